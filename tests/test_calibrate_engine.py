"""The engine mechanisms the calibration feeds (no Go needed): the goroutine footprint
(CostModel.malg, g_cold/gcache, g_move; pyx/sched/footprint.pxi) and the CPU time-sharing of
cores when procs > cores (Machine.os_slice_ns, CostModel.ctx_switch; pyx/sched/cpu.pxi).
Every assertion is an exact counter or cycle count derived from the rules in those files."""
from dataclasses import replace

import pytest

import gmpcore as gc
from gmpcore.calibrate.core import _bursts


def _run(prog, costs, machine):
    return gc.run(prog, costs=costs, machine=machine, seed=1, record=False).summary


ONE_P = gc.Machine(procs=1, cores=1, sysmon=False)


# --- footprint --------------------------------------------------------------------------------

def test_fresh_gs_then_reuses_are_counted_and_malg_is_charged_per_fresh_g():
    # two bursts of 100 on one P: the first allocates 100 Gs (malg: gfget finds none), the
    # second reuses them all from the free lists
    prog = _bursts(100, 2)
    s0 = _run(prog, gc.CostModel(), ONE_P)
    assert s0["goroutines_created"] == 201                     # main + 2 x 100
    assert (s0["g_fresh"], s0["gfree_reuse"]) == (100, 100)
    assert s0["g_cold"] == 0 and s0["g_moves"] == 0             # defaults: no footprint costs
    s1 = _run(prog, replace(gc.CostModel(), malg=1000), ONE_P)
    # one P: the run is the sum of its steps, so each fresh G adds exactly malg
    assert s1["emulated_cycles"] - s0["emulated_cycles"] == 100 * 1000
    assert (s1["g_fresh"], s1["gfree_reuse"]) == (100, 100)


def test_cold_touches_follow_the_creations_since_the_last_touch():
    # gcache = 50, two bursts of 100 on one P (creations are the clock; main creates the
    # whole burst before any G runs):
    #   burst 1 runs: G k (created at clock k) runs at clock 100: cold for k < 50 -> 49
    #   burst 2 reuses (clock 101..200) Gs freed at clock 100: cold from clock 151 -> 50
    #   burst 2 runs at clock 200 the G reused at clock c: cold for c < 150 -> 49
    #   main, woken at clock 200 after running at clock 100 -> 1
    prog = _bursts(100, 2)
    base = _run(prog, gc.CostModel(), ONE_P)
    s = _run(prog, replace(gc.CostModel(), g_cold=500, gcache=50), ONE_P)
    assert s["g_cold"] == 49 + 50 + 49 + 1
    assert s["emulated_cycles"] - base["emulated_cycles"] == 149 * 500
    # caches that hold the whole burst: nothing is cold
    s = _run(prog, replace(gc.CostModel(), g_cold=500, gcache=1000), ONE_P)
    assert s["g_cold"] == 0 and s["emulated_cycles"] == base["emulated_cycles"]


def test_g_moves_are_the_cache_models_g_transfers():
    prog = gc.workloads.burst(2000, 5000)
    m = gc.Machine(procs=2, cores=2, sysmon=False)
    res = gc.run(prog, costs=replace(gc.CostModel(), g_move=700), machine=m, seed=1,
                 record=False)
    g = res.cache.loc["g"]
    assert res.summary["g_moves"] > 0
    assert res.summary["g_moves"] == g["transfers_local"] + g["transfers_remote"]
    # one core: a G never changes core
    s = _run(prog, replace(gc.CostModel(), g_move=700), ONE_P)
    assert s["g_moves"] == 0


# --- CPU time-sharing -------------------------------------------------------------------------

def _four_workers(work):
    p = gc.Program()
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, 4).go("w", times=4).wg_wait(wg)
    p.func("w").compute(work).wg_done(wg)
    return p


W = 3_000_000      # cycles of each worker's compute


@pytest.mark.parametrize("cores,expect", [(4, W), (2, 2 * W), (1, 4 * W)])
def test_four_ps_on_fewer_cores_share_them(cores, expect):
    # zero scheduler costs: the cores are the only limit, so the run takes exactly the work
    # divided over the cores
    m = gc.Machine(procs=4, cores=cores, sysmon=False, cache=False)
    s = _run(_four_workers(W), gc.CostModel.zero(), m)
    assert s["status"] == "ok"
    assert s["emulated_cycles"] == expect
    assert (s["cpu_switches"] > 0) == (cores < 4)


def test_the_slice_splits_a_long_compute():
    # one core, Linux's slice for 1 core (0.75 ms = 2.25M cycles at 3 GHz): each worker's
    # 3M-cycle compute runs as a full slice and the rest, so each loses the core once
    m = gc.Machine(procs=4, cores=1, sysmon=False, cache=False)
    assert m.os_slice == 750_000.0
    s = _run(_four_workers(W), gc.CostModel.zero(), m)
    assert s["cpu_slice_ends"] == 4
    # a slice longer than all the work (an M may run several workers in one slice): no
    # thread loses its core before it blocks
    s = _run(_four_workers(W), gc.CostModel.zero(), replace(m, os_slice_ns=5_000_000))
    assert s["cpu_slice_ends"] == 0 and s["emulated_cycles"] == 4 * W


def test_time_sharing_off_and_procs_within_cores_are_unchanged():
    prog = gc.workloads.burst(3000, gc.Exponential(2000))
    for machine in (gc.Machine(procs=4, cores=4), gc.Machine(procs=2, cores=4)):
        a = gc.run(prog, machine=machine, seed=3, record=False).summary
        b = gc.run(prog, machine=replace(machine, os_slice_ns=0), seed=3, record=False).summary
        assert a["cpu_switches"] == 0
        drop = ("wall_s", "events_per_s")
        assert {k: v for k, v in a.items() if k not in drop} == \
            {k: v for k, v in b.items() if k not in drop}
    # os_slice_ns=0 with procs > cores: every P runs as if it had a core
    s = _run(_four_workers(W), gc.CostModel.zero(),
             gc.Machine(procs=4, cores=1, sysmon=False, cache=False, os_slice_ns=0))
    assert s["emulated_cycles"] == W and s["cpu_switches"] == 0


def test_the_default_slice_follows_linux():
    # kernel/sched/fair.c: 0.75 ms x (1 + ilog2(min(cores, 8)))
    assert [gc.Machine(procs=1, cores=c).os_slice for c in (1, 2, 3, 4, 8, 64)] == \
        [750_000.0, 1_500_000.0, 1_500_000.0, 2_250_000.0, 3_000_000.0, 3_000_000.0]
    with pytest.raises(ValueError, match="os_slice_ns"):
        gc.Machine(os_slice_ns=10)
    with pytest.raises(ValueError, match="os_slice_ns"):
        gc.Machine(os_slice_ns=-1.0)


def test_invariants_hold_while_cores_are_shared():
    # every invariant after every micro-step, with channels, mutexes and spinning Ms
    from gmpcore.calibrate import twin
    for name in ("flat", "tree", "pool", "mutex", "pipeline"):
        prog = twin(name, 800, 300)
        for procs, cores in ((3, 2), (8, 2), (6, 1)):
            m = gc.Machine(procs=procs, cores=cores, os_slice_ns=20_000)
            res = gc.run(prog, machine=m, seed=2, record=False, check_every=1)
            assert res.status == "ok", (name, procs, cores)
            assert res.summary["cpu_switches"] > 0, (name, procs, cores)
