"""GC work, not just its pauses (pyx/sched/gc.pxi, gmpcore.GC; docs/gc.md): the GOGC pacer,
dedicated / fractional / idle mark workers, mark assists, the forEachP barrier.

Every run here goes through gmpcore.run with the engine's invariants checked at every step
(helpers.run); counters are exact for the given seed.
"""
from __future__ import annotations

import pytest

import gmpcore as gc
from helpers import MS, US, run

MiB = 1 << 20


def garbage_loop(n, chunk=4096, work=4000, live_mb=0, procs_busy=0):
    """main allocates `n` temporaries of `chunk` bytes, `work` cycles apart, after building
    `live_mb` MiB of live (global) data."""
    prog = gc.Program()
    main = prog.func("main")
    if live_mb:
        main.alloc(live_mb * MiB, live="global")
    if procs_busy:
        main.go("busy", times=procs_busy)
    with main.loop(n):
        main.alloc(chunk).compute(work)
    main.mark("end")
    if procs_busy:
        b = prog.func("busy")
        with b.loop(400):
            b.compute(30 * US).gosched()
    return prog


def test_a_program_that_does_not_allocate_has_no_gc():
    prog = gc.Program()
    prog.func("main").compute(1000)
    s = run(prog).summary
    assert s["gc_model"] == "off" and s["gc_gogc"] is None
    assert s["gc_cycles"] == s["stw_count"] == s["gc_worker_runs"] == 0


def test_the_pacer_is_the_default_for_a_program_that_allocates():
    s = run(garbage_loop(2000), procs=1).summary
    assert s["gc_model"] == "pacer" and s["gc_gogc"] == 100
    # 8 MB of garbage, nothing live: the goal is heapMinimum (4 MiB), the trigger the 0.7
    # lower bound once the runway is long (consMark), so a cycle every ~2.9 MiB
    assert s["gc_heap_goal_bytes"] == 4 * MiB
    assert 0 < s["gc_heap_marked_bytes"] < MiB        # only what was allocated during mark
    assert s["gc_cycles"] == 2
    assert s["stw_count"] == 2 * s["gc_cycles"]
    # one P: no dedicated worker (0.25 rounds to 0), a fractional goal of 25%
    assert s["gc_mark_dedicated_ns"] == 0
    # mark work = the roots (128 KiB) per cycle, done by assists and the fractional worker
    assert s["gc_scan_bytes"] == 2 * (128 << 10)
    # each forEachP barrier runs its function once per P
    assert s["gc_safepoint_fns"] == s["gc_cycles"] * 1


def test_gc_false_and_a_fixed_goal_keep_the_pauses_only_model():
    prog = garbage_loop(2000)
    s = run(prog, procs=1, gc=False).summary
    assert s["gc_model"] == "pauses" and s["gc_cycles"] == 0       # no goal, no period
    m = gc.Machine(procs=1, gc_heap_goal_bytes=3 * MiB, gc_mark_ns=100_000)
    s = run(prog, machine=m).summary
    assert s["gc_model"] == "pauses" and s["gc_cycles"] == 2 and s["gc_worker_runs"] == 0
    with pytest.raises(ValueError, match="gc_heap_goal_bytes"):
        run(prog, machine=m, gc=gc.GC())


def test_heap_goal_follows_the_live_heap_and_gogc():
    res = {}
    for gogc in (50, 100, 200):
        res[gogc] = run(garbage_loop(6000, live_mb=8), procs=1, gc=gc.GC(gogc=gogc)).summary
    for gogc, s in res.items():
        marked = s["gc_heap_marked_bytes"]
        # the live data, plus what was allocated during the mark phase (allocate-black: one
        # P, so the mark phase is assists slowing the allocating goroutine down)
        assert 8 * MiB < marked < 20 * MiB
        # gcControllerState.commit: goal = marked + (marked + roots) * GOGC / 100, or the
        # sweep distance (heapLive + 1 MiB) if that is higher
        goal = marked + (marked + (128 << 10)) * gogc // 100
        assert s["gc_heap_goal_bytes"] == max(goal, s["gc_heap_live_bytes"] + MiB)
    assert res[50]["gc_cycles"] > res[100]["gc_cycles"] > res[200]["gc_cycles"] >= 1


def test_gogc_off_runs_only_forced_cycles():
    prog = garbage_loop(3000)
    s = run(prog, procs=1, gc=gc.GC(gogc=-1)).summary
    assert s["gc_cycles"] == 0 and s["gc_heap_live_bytes"] == 3000 * 4096
    prog = gc.Program()
    main = prog.func("main")
    main.alloc(2 * MiB, live="global").gc().compute(10 * MS).mark("end")
    s = run(prog, procs=2, gc=gc.GC(gogc=-1)).summary
    assert s["gc_cycles"] == 1 and s["gc_heap_marked_bytes"] == 2 * MiB
    assert s["gc_heap_goal_bytes"] == 0                   # no goal with GOGC=off
    # main computes without allocating: the other P marks (a fractional worker, then
    # idle-priority ones)
    assert s["gc_mark_assist_ns"] == 0 and s["gc_mark_idle_ns"] > 0
    assert s["gc_scan_bytes"] == 2 * MiB + (128 << 10)


@pytest.mark.parametrize("procs, dedicated, fractional", [(1, 0, True), (2, 0, True),
                                                          (4, 1, False), (6, 1, True),
                                                          (8, 2, False), (16, 4, False)])
def test_dedicated_workers_on_a_quarter_of_the_ps_fractional_for_the_rest(procs, dedicated,
                                                                           fractional):
    # startCycle: dedicated = round(procs / 4), fractional workers when that is more than 30%
    # off (GOMAXPROCS <= 3 or 6).  runtime.GC() with every P busy: the workers start as the
    # Ps reach findRunnable (the busy goroutines yield every 30 us)
    prog = gc.Program()
    main = prog.func("main")
    main.alloc(2 * MiB, live="global")
    main.go("busy", times=procs).compute(100 * US).gc().compute(40 * MS).mark("end")
    b = prog.func("busy")
    with b.loop(1500):
        b.compute(30 * US).gosched()
    res = run(prog, procs=procs, gc=gc.GC(gogc=-1))
    s = res.summary
    assert s["gc_cycles"] == 1 and s["gc_mark_idle_ns"] == 0 and s["gc_mark_assist_ns"] == 0
    assert (s["gc_mark_dedicated_ns"] > 0) == (dedicated > 0)
    assert (s["gc_mark_fractional_ns"] > 0) == fractional
    # the scan work (2 MiB + the roots) at 1 byte/ns, whoever did it
    work_ns = s["gc_scan_bytes"] / gc.GC().scan_bytes_per_ns
    assert s["gc_scan_bytes"] == 2 * MiB + (128 << 10)
    assert s["gc_mark_dedicated_ns"] + s["gc_mark_fractional_ns"] == pytest.approx(work_ns, 1e-3)
    if not fractional:
        # a dedicated worker keeps its P until the work is gone: one run each
        assert s["gc_worker_runs"] == dedicated


def test_mark_workers_run_before_the_local_run_queue():
    # 4 Ps kept busy by goroutines that yield every 30 us: with mark workers, a dedicated
    # worker takes a P for the mark phase and the goroutines queued there wait; without them
    # (the pauses-only model) the same cycles cost only the pauses
    prog = garbage_loop(3000, live_mb=4, work=30_000, procs_busy=4)
    on = run(prog, procs=4, seed=3).summary
    off = run(prog, procs=4, seed=3, gc=gc.GC(workers=False)).summary
    assert on["gc_cycles"] == off["gc_cycles"] == 2
    assert on["gc_mark_dedicated_ns"] > 0 and off["gc_mark_dedicated_ns"] == 0
    # observed: p99 28.7 us against 0.3 us, p99.9 4.2 ms against 53 us
    assert on["latency_p99_ns"] > 20 * off["latency_p99_ns"]
    assert on["latency_p999_ns"] > 20 * off["latency_p999_ns"]
    assert on["emulated_ns"] > off["emulated_ns"]


def test_idle_ps_run_idle_priority_workers():
    # one allocating goroutine on 4 Ps: a dedicated worker and idle workers on the other Ps
    s = run(garbage_loop(4000, live_mb=8), procs=4).summary
    assert s["gc_cycles"] >= 1
    assert s["gc_mark_idle_ns"] > 0 and s["gc_mark_dedicated_ns"] > 0
    # one P: never an idle worker while the allocating goroutine runs
    s1 = run(garbage_loop(4000, live_mb=8), procs=1).summary
    assert s1["gc_mark_idle_ns"] == 0


def test_assists_are_charged_to_allocating_goroutines():
    prog = garbage_loop(6000, live_mb=8)
    on = run(prog, procs=1).summary
    off = run(prog, procs=1, gc=gc.GC(assists=False)).summary
    assert on["gc_assists"] > 0 and on["gc_mark_assist_ns"] > 0
    assert on["gc_assist_gs"] == 1                 # main, the only goroutine allocating
    assert on["gc_assist_ns_max_per_g"] == on["gc_mark_assist_ns"]
    assert off["gc_assists"] == 0 and off["gc_mark_assist_ns"] == 0
    # with one P and main never yielding, assists do almost all the marking
    assert on["gc_mark_assist_ns"] > 3 * on["gc_mark_fractional_ns"]
    # the allocating goroutine is delayed by its assists
    assert on["emulated_ns"] > off["emulated_ns"]


def test_assists_park_for_credit_and_are_woken():
    # many short goroutines allocating fast on 2 Ps: with the scan work all taken, an assist
    # in debt parks (gcParkAssist) until a worker's credit or the end of the mark phase
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.alloc(16 * MiB, live="global").wg_add(wg, 400).go("w", times=400).wg_wait(wg)
    main.mark("end")
    w = prog.func("w")
    with w.loop(20):
        w.alloc(32 << 10).compute(2000)
    w.wg_done(wg)
    res = run(prog, procs=2)
    s = res.summary
    assert res.status == "ok" and s["goroutines_finished"] == 401      # (and main)
    assert s["gc_assist_parks"] > 0
    assert s["gc_assist_gs"] > 1
    # assist time per goroutine: one histogram entry per goroutine charged, summing to the
    # total, its max the summary's
    h = res.gc_assist_per_g
    assert h.count == s["gc_assist_gs"]
    assert h.total_cycles * 1 == round(s["gc_mark_assist_ns"] * 3)
    assert h.max() == pytest.approx(s["gc_assist_ns_max_per_g"])
    assert 0 < h.percentile(50) <= h.percentile(99) <= h.max()


def test_goroutine_exit_and_free_release_the_live_heap():
    def prog(release):
        p = gc.Program()
        done = p.chan("done")
        wg = p.waitgroup("wg")
        main = p.func("main")
        main.alloc(4 * MiB, live="global")
        main.wg_add(wg, 4).go("w", times=4).wg_wait(wg)
        if release:
            main.close(done).free(4 * MiB).compute(200 * US)
        main.gc().compute(20 * MS).mark("end")
        w = p.func("w")
        w.alloc(2 * MiB, live="goroutine").wg_done(wg).recv(done)
        return p
    kept = run(prog(False), procs=2, gc=gc.GC(gogc=-1)).summary
    gone = run(prog(True), procs=2, gc=gc.GC(gogc=-1)).summary
    assert kept["gc_cycles"] == gone["gc_cycles"] == 1
    assert kept["gc_heap_marked_bytes"] == 12 * MiB        # 4 global + 4 x 2 per goroutine
    assert gone["gc_heap_marked_bytes"] == 0               # the workers exited, main freed
    assert gone["gc_scan_bytes"] == 128 << 10              # only the roots left to scan


def test_foreachp_barrier_reaches_every_p():
    prog = garbage_loop(3000, live_mb=4, work=30_000, procs_busy=4)
    s = run(prog, procs=4, seed=3).summary
    n = s["gc_cycles"]
    assert n == 2 and s["gc_safepoint_fns"] == 4 * n
    # running Ps reach their safe point after a preemption (~1.7 us here)
    assert 0 < s["gc_foreachp_ns_max"] <= s["gc_foreachp_ns_total"] < 10_000


def test_runs_are_deterministic():
    prog = garbage_loop(2000, live_mb=8, procs_busy=3)
    a, b = run(prog, procs=4, seed=9).summary, run(prog, procs=4, seed=9).summary
    for k in ("wall_s", "events_per_s"):
        a.pop(k), b.pop(k)
    assert a == b


def test_pinned_counters():
    # the exact output of one run, so a change to the GC model shows up here
    s = run(garbage_loop(3000, live_mb=8, procs_busy=2), procs=4, seed=1).summary
    got = {k: s[k] for k in ("gc_cycles", "stw_count", "gc_worker_runs", "gc_assists",
                             "gc_assist_parks", "gc_safepoint_fns", "gc_scan_bytes",
                             "gc_heap_goal_bytes", "gc_heap_marked_bytes")}
    assert got == PINNED


PINNED = {'gc_cycles': 1, 'stw_count': 2, 'gc_worker_runs': 1, 'gc_assists': 130,
          'gc_assist_parks': 0, 'gc_safepoint_fns': 4, 'gc_scan_bytes': 8519680,
          'gc_heap_goal_bytes': 30482432, 'gc_heap_marked_bytes': 15175680}


# ---- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("kw, err, what", [
    ({"gogc": -2}, ValueError, "GC.gogc"),
    ({"gogc": 1.5}, TypeError, "GC.gogc"),
    ({"scan_bytes_per_ns": 0}, ValueError, "GC.scan_bytes_per_ns"),
    ({"scan_bytes_per_ns": float("nan")}, ValueError, "GC.scan_bytes_per_ns"),
    ({"workers": 1}, TypeError, "GC.workers"),
    ({"assists": None}, TypeError, "GC.assists"),
    ({"heap_minimum_bytes": -1}, ValueError, "GC.heap_minimum_bytes"),
    ({"roots_bytes": -1}, ValueError, "GC.roots_bytes"),
])
def test_bad_gc_settings(kw, err, what):
    with pytest.raises(err, match=what):
        gc.GC(**kw)


def test_bad_gc_arguments():
    prog = garbage_loop(10)
    with pytest.raises(TypeError, match="gc must be"):
        run(prog, gc="pacer")
    f = gc.Program().func("main")
    with pytest.raises(ValueError, match="alloc\\(live=\\)"):
        f.alloc(10, live="heap")
    with pytest.raises(ValueError, match="free\\(nbytes\\)"):
        f.free(0)
    with pytest.raises(TypeError, match="free\\(nbytes\\) must be an int"):
        f.free(1.5)


def test_gc_config_round_trips_through_config_files(tmp_path):
    g = gc.GC(gogc=50, workers=False, roots_bytes=1 << 16)
    for ext in ("toml", "json"):
        path = tmp_path / f"exp.{ext}"
        gc.save_config({"gc": g}, path)
        assert gc.load_config(path)["gc"] == g
