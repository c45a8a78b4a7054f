"""The adaptive GOMAXPROCS controller (gmpcore.adapt, pyx/sched/adapt.pxi): when it runs, what
it sees, how its changes are made (a real stop-the-world procresize), how bad kernels stop the
run, and the article's rule against a fixed GOMAXPROCS (the scenario's direction and size)."""
import re

import pytest

import gmpcore as gc
from gmpcore import _engine, adapt, scenarios, workloads
from test_export import go_tool, go_tool_trace  # noqa: F401 (a fixture)

pytest.importorskip("numba")


def _long(procs_work_ms=10.3):
    # main computes alone for ~10.3 ms (one compute of that many cycles), then returns
    p = gc.Program()
    p.func("main").compute(int(procs_work_ms * 3e6))
    return p


@gc.kernel("gomaxprocs")
def checks_what_it_sees(m):
    # the struct, as the engine fills it: every call is one period (1 ms) after the previous,
    # on a run that allocated 6 Ps and runs main alone on one of 2
    if m.period_ns != 1_000_000:
        return -11
    if m.now_ns % 1_000_000 != 0 or m.now_ns <= 0:
        return -12
    if m.max_procs != 6 or m.gomaxprocs != 2 or m.goroutines != 1:
        return -13
    if m.runnable != 0 or m.runq_global != 0 or m.runq_local != 0 or m.npidle != 1:
        return -14
    if m.m_window_ns < m.period_ns or m.g_runnable_window_ns != 0 or m.changes != 0:
        return -15
    return 0


def test_the_kernel_runs_every_period_and_sees_the_metrics():
    pol = gc.GomaxprocsPolicy(checks_what_it_sees, every_ms=1, max_procs=6)
    res = gc.run(_long(), procs=2, gomaxprocs_policy=pol, check_every=50)
    s = res.summary
    assert s["status"] == "ok"
    # calls at 1, 2, ..., 10 ms: main returns at 10.3 ms (plus start-up cycles)
    assert s["gomaxprocs_policy_calls"] == 10 and s["gomaxprocs_policy_changes"] == 0
    assert s["gomaxprocs"] == 2 and s["stw_count"] == 0
    assert len(res.per_p) == 6                       # allp holds max_procs Ps


@gc.kernel("gomaxprocs")
def grow_to_four_then_one(m):
    if m.changes == 0:
        return 4
    if m.changes == 1 and m.now_ns >= 3_000_000:
        return 1
    return 0


def test_changes_are_stop_the_world_procresizes():
    pol = gc.GomaxprocsPolicy(grow_to_four_then_one, every_ms=1, max_procs=4)
    res = gc.run(workloads.burst(8000, gc.Exponential(9000)), procs=2, gomaxprocs_policy=pol,
                 trace=True, check_every=31, seed=2)
    s = res.summary
    assert s["status"] == "ok"
    assert s["gomaxprocs_policy_changes"] == 2 and s["gomaxprocs"] == 1
    assert s["stw_count"] == 2                       # one stop per change
    tr = res.trace
    stw = tr[tr["kind"] == "STWBegin"]
    assert list(stw["reason"]) == [_engine.ENUMS["STW_GOMAXPROCS"]] * 2
    ch = tr[tr["kind"] == "ProcsChange"]
    assert list(ch["arg"]) == [4, 1]
    # the changes land just after the 1 ms and 3 ms calls (time to stop + the wake-up)
    t = (ch["time_ns"] / 1e6).tolist()
    assert 1.0 < t[0] < 1.1 and 3.0 < t[1] < 3.1
    # Ps 0..3 ran Gs between the changes; after the second one only P0 does
    starts = tr[tr["kind"] == "GoStart"]
    mid = starts[(starts["time_ns"] > t[0] * 1e6) & (starts["time_ns"] < t[1] * 1e6)]
    late = starts[starts["time_ns"] > t[1] * 1e6]
    assert set(mid["p"]) == {0, 1, 2, 3} and set(late["p"]) == {0}


@gc.kernel("gomaxprocs")
def grow_at_once(m):
    return 3 if m.gomaxprocs == 1 else 0


def test_a_change_waits_for_the_gc_cycle_in_progress():
    # stopTheWorldGC first waits on gcsema: a change asked for during a GC cycle is made
    # after the cycle's mark termination, not during its mark phase
    pol = gc.GomaxprocsPolicy(grow_at_once, every_ms=1, max_procs=3)
    m = gc.Machine(gc_period_ns=900_000, gc_mark_ns=500_000)   # cycle 0.9 ms .. ~1.4 ms
    res = gc.run(workloads.burst(8000, gc.Exponential(3000)), procs=1, machine=m,
                 gomaxprocs_policy=pol, trace=True, seed=1, check_every=101)
    tr = res.trace
    gc_end = tr[tr["kind"] == "GCEnd"]["time_ns"].iloc[0]
    change = tr[tr["kind"] == "ProcsChange"]["time_ns"].iloc[0]
    assert 1_000_000 < gc_end < change < gc_end + 150_000
    assert res.summary["gomaxprocs"] == 3 and res.summary["status"] == "ok"


@gc.kernel("gomaxprocs")
def error_code(m):
    return -5


@gc.kernel("gomaxprocs")
def too_many(m):
    return m.max_procs + 1


@gc.kernel("gomaxprocs")
def raises(m):
    return m.gomaxprocs // (m.runnable - m.runnable)


@pytest.mark.parametrize("k,msg", [
    (error_code, "returned error code -5"),
    (too_many, "returned 5, which is out of range"),
    (raises, "raised an exception"),
])
def test_a_bad_kernel_stops_the_run(k, msg, capfd):
    pol = gc.GomaxprocsPolicy(k, every_ms=0.5, max_procs=4)
    with pytest.raises(gc.KernelError, match=rf"{k.name}.*'gomaxprocs' {msg}"):
        gc.run(workloads.burst(3000, gc.Exponential(3000)), procs=2, gomaxprocs_policy=pol)
    assert "Exception ignored" not in capfd.readouterr().err


def test_bad_arguments():
    with pytest.raises(ValueError, match="every_ms"):
        gc.GomaxprocsPolicy(adapt.article_rule, every_ms=0, max_procs=4)
    with pytest.raises(ValueError, match="max_procs"):
        gc.GomaxprocsPolicy(adapt.article_rule, max_procs=0)
    with pytest.raises(ValueError, match="'gomaxprocs' kernel"):
        gc.GomaxprocsPolicy(gc.Kernel("steal_amount", lambda a, b, c, d: a), max_procs=4)
    with pytest.raises(TypeError, match="GomaxprocsPolicy"):
        gc.run(workloads.burst(10), gomaxprocs_policy=adapt.article_rule)
    with pytest.raises(ValueError, match="unknown metrics field"):
        adapt.metrics(runable=3)


def test_the_article_rule_in_python():
    r = adapt.article_rule
    m = dict(gomaxprocs=4, max_procs=8)
    assert r(adapt.metrics(gc_pause_last_ns=5_000_001, runnable=1001, **m)) == 5
    assert r(adapt.metrics(gc_pause_last_ns=5_000_000, runnable=5000, **m)) == 0   # not > 5 ms
    assert r(adapt.metrics(gc_pause_last_ns=9_000_000, runnable=1000, **m)) == 0   # not > 1000
    assert r(adapt.metrics(gc_pause_last_ns=9e6, runnable=5000, gomaxprocs=8,
                           max_procs=8)) == 0                                      # at the cap


def test_no_controller_no_change():
    # a run without a policy is the run it always was: no thread, no events, no calls
    a = gc.run(workloads.burst(2000, gc.Exponential(2000)), procs=4, seed=1)
    assert a.summary["gomaxprocs_policy_calls"] == 0 and a.summary["threads"] == len(
        a.final["threads"])


def test_article_rule_beats_fixed_gomaxprocs_on_bursts():
    df = scenarios.adaptive_gomaxprocs().set_index("variant")
    fixed, adaptive, ref = df.iloc[0], df.iloc[1], df.iloc[2]
    assert (df["status"] == "ok").all()
    # the rule fires after the first long GC pause, one P per 10 ms call, up to the cap
    assert adaptive["gomaxprocs_end"] == 8 and adaptive["changes"] == 6
    # direction and size: against GOMAXPROCS fixed at 2 it cuts the mean scheduling latency
    # more than 5x, the p99 more than 3x, and finishes the bursts a third sooner ...
    assert adaptive["latency_mean_us"] * 5 < fixed["latency_mean_us"]
    assert adaptive["latency_p99_us"] * 3 < fixed["latency_p99_us"]
    assert adaptive["emulated_ms"] < 0.75 * fixed["emulated_ms"]
    # ... but it starts late and climbs one P at a time: 8 Ps from the start do better
    assert ref["latency_p99_us"] < adaptive["latency_p99_us"]
    assert ref["latency_mean_us"] < adaptive["latency_mean_us"]
    # the 4.2 metrics tell the same story: far less G-time waiting for a P
    assert adaptive["g_wait_p_ms"] * 5 < fixed["g_wait_p_ms"]


@gc.kernel("gomaxprocs")
def jumpy(m):
    # a new GOMAXPROCS at almost every call, from the time: shrink and grow in any order
    return (m.now_ns // 100_000 * 7 + 3) % m.max_procs + 1


def _busy_program():
    # everything that interacts with a stop-the-world: GC cycles (heap goal), the program's
    # own runtime.GOMAXPROCS calls, system calls, network waits, timers, channels, a mutex
    p = gc.Program()
    wg = p.waitgroup()
    ch = p.chan("c", cap=3)
    mu = p.mutex("mu")
    m = p.func("main")
    m.wg_add(wg, 120).go("w", times=60).gomaxprocs(3).go("w", times=60)
    with m.loop(30):
        m.recv(ch)
    m.wg_wait(wg)
    w = p.func("w")
    w.compute(gc.Exponential(20_000)).alloc(8192).syscall(gc.Exponential(40_000))
    w.net_wait(gc.Exponential(30_000)).lock(mu).compute(2_000).unlock(mu)
    w.sleep(gc.Exponential(50_000))
    with w.select() as sel:
        with sel.send(ch, 1):
            w.mark("sent")
        with sel.default():
            w.mark("full")
    w.compute(gc.Exponential(60_000)).wg_done(wg)
    return p


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("strategy", ["go", "global"])
def test_controller_changes_under_load_keep_every_invariant(seed, strategy):
    pol = gc.GomaxprocsPolicy(jumpy, every_ms=0.1, max_procs=5)
    m = gc.Machine(gc_heap_goal_bytes=150_000, gc_mark_ns=80_000)
    res = gc.run(_busy_program(), procs=2, strategy=strategy, seed=seed, machine=m,
                 gomaxprocs_policy=pol, check_every=7)
    s = res.summary
    assert s["status"] == "ok" and s["goroutines_finished"] == 121     # (main too)
    assert s["gomaxprocs_policy_changes"] > 5 and s["gc_cycles"] > 0
    # stops: two per GC cycle, one per change (the controller's and the program's one)
    assert s["stw_count"] == 2 * s["gc_cycles"] + s["gomaxprocs_policy_changes"] + 1
    # the same inputs give the same run, bit for bit
    again = gc.run(_busy_program(), procs=2, strategy=strategy, seed=seed, machine=m,
                   gomaxprocs_policy=pol)
    assert {k: v for k, v in again.summary.items() if k not in ("wall_s", "events_per_s")} == \
        {k: v for k, v in s.items() if k not in ("wall_s", "events_per_s")}


@gc.kernel("gomaxprocs")
def up_down_up(m):
    return 4 if m.gomaxprocs == 2 else (2 if m.changes == 1 and m.now_ns > 2_000_000 else 0)


def _traced_controller_run():
    pol = gc.GomaxprocsPolicy(up_down_up, every_ms=1, max_procs=4)
    m = gc.Machine(gc_period_ns=700_000, gc_mark_ns=100_000)
    return gc.run(workloads.burst(8000, gc.Exponential(9000)), procs=2, machine=m,
                  gomaxprocs_policy=pol, trace=True, seed=1)


def test_the_controllers_stops_in_the_exports(tmp_path):
    # the controller stops the world from the GC controller's thread: the Go trace shows
    # those stops, as the GC's, on the stand-in runtime goroutine; Perfetto and the interval
    # tables list every stop and GOMAXPROCS change
    from gmpcore.export import intervals
    res = _traced_controller_run()
    s = res.summary
    assert s["gomaxprocs_policy_changes"] == 3 and s["gc_cycles"] > 3
    info = res.write_go_trace(tmp_path / "run.trace")
    assert info["skipped"] == {"stw_end": 0, "gc_end": 0}
    tr = gc.replay.load(tmp_path / "run.trace")
    assert len(tr.goroutines) >= 8000
    pf = res.write_perfetto(tmp_path / "run.json")
    assert pf["gomaxprocs_changes"] == 3 and pf["stw_slices"] == s["stw_count"]
    iv = intervals(res)
    assert list(iv.frame("procs_changes")["procs"]) == [4, 2, 4]
    kinds = iv.frame("stw")["kind"]
    assert (kinds == _engine.ENUMS["STW_GOMAXPROCS"]).sum() == 3
    assert len(kinds) == s["stw_count"]


@pytest.mark.go
def test_go_tool_trace_reads_the_controllers_stops(go_tool, tmp_path):
    res = _traced_controller_run()
    res.write_go_trace(tmp_path / "run.trace")
    p = go_tool_trace(go_tool, tmp_path / "run.trace")
    assert p.returncode == 0, p.stderr[-3000:]
    stw = re.findall(r'RangeBegin .*?Name="stop-the-world \(([^)]*)\)"', p.stdout)
    assert stw.count("GOMAXPROCS") == 3
    assert len(stw) == res.summary["stw_count"]
