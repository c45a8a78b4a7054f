"""The seed article's section 4.2 metrics (M idle fraction, P unpark latency, G wait for a P):
exact counters on runs small enough to follow by hand, and identities that must hold to the
cycle on any run (docs/observability.md, "Idle Ms, P unpark latency and G wait")."""
import numpy as np
import pytest

import gmpcore as gc
from gmpcore import _engine, workloads

ZERO = dict(costs=gc.CostModel.zero(), machine=gc.Machine(sysmon=False, cache=False))


def _fanout(n, work=1000):
    p = gc.Program()
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, n).go("w", times=n).wg_wait(wg)
    p.func("w").compute(work).wg_done(wg)
    return p


def _c(res):
    return res.final["counters"]


def test_one_p_three_goroutines_wait_for_the_p_in_turn():
    # GOMAXPROCS=1, no overheads: main starts three 1000-cycle goroutines at t=0 and waits.
    # They run one after another, so they wait 0, 1000 and 2000 cycles for the only P, which
    # is never idle: all 3000 cycles of runnable G-time are waiting for a P.
    res = gc.run(_fanout(3), procs=1, check_every=1, **ZERO)
    c, s = _c(res), res.summary
    assert (c["g_runnable_cycles"], c["g_wait_p_cycles"]) == (3000, 3000)
    assert c["g_runnable_cycles"] == res.latency.total_cycles
    assert s["g_wait_p_frac"] == 1.0 and s["g_wait_p_ns_total"] == 1000.0   # 3 GHz
    # per execute: the three Gs, and main twice (at start and after its wg_wait)
    assert s["g_wait_p_ns_mean"] == pytest.approx(1000.0 / 5)
    # one thread, busy for the whole 3000 cycles; P0 never idle
    assert (c["m_cycles"], c["m_idle_cycles_now"], c["p_unparks"]) == (3000, 0, 0)
    assert s["m_idle_frac"] == 0.0 and s["p_unpark_ns_mean"] == 0.0


def test_two_ps_unpark_latency_and_idle_m_by_hand():
    # GOMAXPROCS=2, no overheads.  P1 is idle from t=0 (schedinit's pidleput).  main's `go`
    # wakes M1 onto P1 at once (unpark 0 cycles); M1 finds nothing to steal (the G sits in
    # P0's runnext, which M0 runs when main parks), gives P1 back (pidleput at 0) and parks.
    # At t=1000 the G's wg_done readies main and wakes M1 onto P1 again: unpark 1000 cycles,
    # after M1 sat 1000 cycles idle on sched.midle.  Nothing ever waited to run.
    res = gc.run(_fanout(1), procs=2, check_every=1, **ZERO)
    c, s = _c(res), res.summary
    assert (c["p_unparks"], c["p_unpark_cycles"], c["p_unpark_max"]) == (2, 1000, 1000)
    assert res.unpark_latency.count == 2 and res.unpark_latency.max("cycles") == 1000
    assert s["p_unpark_ns_mean"] == pytest.approx(500 / 3)
    assert (c["m_idle_cycles_now"], c["m_cycles"]) == (1000, 2000)   # 2 Ms x 1000 cycles
    assert s["m_idle_frac"] == 0.5
    assert (c["g_runnable_cycles"], c["g_wait_p_cycles"]) == (0, 0)


def test_two_ps_three_goroutines():
    # three goroutines on two Ps: one of them waits one whole compute (1000 cycles) for a P
    res = gc.run(_fanout(3), procs=2, check_every=1, **ZERO)
    c = _c(res)
    assert (c["g_runnable_cycles"], c["g_wait_p_cycles"]) == (1000, 1000)
    assert res.latency.total_cycles == 1000
    assert (c["p_unparks"], c["p_unpark_cycles"]) == (2, 1000)


def _programs():
    """Runs that cover every way a G becomes runnable: newproc, goready, Gosched, preemption,
    exitsyscall without a P, netpoll, timers, arrivals, GC and GOMAXPROCS stops."""
    yield "burst go", workloads.burst(5000, gc.Exponential(2000)), dict(procs=4)
    yield "burst global", workloads.burst(5000, gc.Exponential(2000)), dict(procs=4,
                                                                           strategy="global")
    yield "tree", workloads.tree(5000, gc.Exponential(2000), fanout=8), dict(procs=8)
    p = gc.Program()
    ch = p.chan("c", cap=2)
    m = p.func("main")
    m.go("prod", times=4)
    with m.loop(40):
        m.recv(ch).compute(500)
    pr = p.func("prod")
    with pr.loop(10):
        pr.compute(gc.Exponential(3000)).send(ch, 1).gosched()
    yield "channels + gosched", p, dict(procs=3)
    p = gc.Program()
    wg = p.waitgroup()
    p.func("main").wg_add(wg, 60).go("w", times=60).wg_wait(wg)
    w = p.func("w")
    w.net_wait(gc.Exponential(60_000)).syscall(gc.Exponential(200_000))
    w.sleep(gc.Exponential(30_000)).compute(gc.Exponential(90_000_000)).wg_done(wg)
    yield "netpoll, syscalls, timers, preemption", p, dict(procs=4)
    p = gc.Program()
    wg = p.waitgroup()
    m = p.func("main")
    m.wg_add(wg, 400).go("w", times=200).gomaxprocs(2).go("w", times=200).gomaxprocs(6)
    m.wg_wait(wg)
    p.func("w").compute(gc.Exponential(20_000)).alloc(4096).wg_done(wg)
    yield "GC + GOMAXPROCS", p, dict(procs=4, machine=gc.Machine(gc_heap_goal_bytes=200_000))
    p = gc.Program()
    wg = p.waitgroup()
    p.func("main").wg_add(wg, 500).wg_wait(wg)
    p.func("h").compute(gc.Exponential(5000)).wg_done(wg)
    p.arrivals("h", gc.Exponential(1500), 500)
    yield "arrivals", p, dict(procs=2)
    yield "cut short (runnable Gs left)", workloads.burst(5000, 2000), dict(procs=2,
                                                                          max_cycles=1_000_000)


@pytest.mark.parametrize("name,prog,kw", list(_programs()), ids=[x[0] for x in _programs()])
def test_runnable_time_is_latency_plus_open_waits(name, prog, kw):
    # the integral of the runnable count equals, to the cycle, the sum of every scheduling
    # latency plus the waits of the Gs still runnable at the end; check_every re-counts the
    # runnable Gs and the idle spells along the way (invariant 70)
    res = gc.run(prog, seed=3, check_every=97, **kw)
    c = _c(res)
    g = res.final["goroutines"]
    runnable = g[g["status"] == _engine._Grunnable]
    now = c["cycles"]
    assert c["nrunnable"] == len(runnable)
    assert c["g_runnable_cycles"] == res.latency.total_cycles + int(
        (now - runnable["runnable_since"]).sum())
    assert 0 <= c["g_wait_p_cycles"] <= c["g_runnable_cycles"]
    # unparks: one per histogram entry; the mean and the maximum agree with the counters
    assert res.unpark_latency.count == c["p_unparks"]
    assert res.unpark_latency.total_cycles == c["p_unpark_cycles"]
    # thread-time: every M but sysmon, the GC controller's thread and the injector, from its
    # creation to the end; its idle part is at least the closed spells
    th = res.final["threads"]
    assert c["m_cycles"] <= now * len(th)
    assert c["idle_cycles"] <= c["m_idle_cycles_now"] <= c["m_cycles"]
    s = res.summary
    assert 0 <= s["m_idle_frac"] <= 1 and 0 <= s["m_spinning_frac"] <= 1
    assert 0 <= s["g_wait_p_frac"] <= 1


def test_m_cycles_leave_out_sysmon_and_the_gc_thread():
    # sysmon and the GC controller's thread run no Go code: their time is not M-time
    p = _fanout(2000, gc.Exponential(3000))
    res = gc.run(p, procs=4, seed=1, machine=gc.Machine(gc_period_ns=200_000,
                                                         gc_mark_ns=20_000))
    c = _c(res)
    th = res.final["threads"]
    assert res.summary["gc_cycles"] > 0 and len(th) >= 3
    # M0..: M0 runs main; M1 is sysmon, M2 the GC controller (created in that order)
    workers = [i for i in range(len(th)) if i not in (1, 2)]
    assert c["m_cycles"] == sum(c["cycles"] - int(th["born"][i]) for i in workers)


def test_gc_pause_is_the_cycles_stops_summed():
    # MemStats: PauseNs[last] is the last cycle's two stops (request to restart) summed and
    # PauseTotalNs all cycles' -- with only complete GC cycles and no other stop, exactly the
    # stop-the-world totals
    p = _fanout(3000, gc.Exponential(3000))
    res = gc.run(p, procs=4, seed=2, machine=gc.Machine(gc_period_ns=300_000,
                                                        gc_mark_ns=20_000,
                                                        gc_markterm_ns=40_000))
    s = res.summary
    assert s["gc_cycles"] >= 2 and s["stw_count"] == 2 * s["gc_cycles"]
    assert s["gc_pause_ns_total"] == pytest.approx(s["stw_stop_ns_total"] +
                                                   s["stw_pause_ns_total"])
    assert 40_000 < s["gc_pause_ns_last"] < s["gc_pause_ns_total"]


def test_timeseries_intervals_add_up_to_the_cumulative_figures():
    res = gc.run(workloads.burst(20_000, gc.Exponential(4000)), procs=4, seed=1,
                 schedtrace_ms=0.5)
    ts = res.timeseries
    r = res.sample_records
    assert len(ts) > 5
    clock = res.config["clock_ghz"]
    assert ts["g_runnable_ns"].sum() == pytest.approx(r["g_runnable_cycles"][-1] / clock)
    assert ts["g_wait_p_ns"].sum() == pytest.approx(r["g_wait_p_cycles"][-1] / clock)
    assert ts["p_unparks"].sum() == r["p_unparks"][-1] <= res.summary["p_unparks"]
    assert ((ts["m_idle_frac"] >= 0) & (ts["m_idle_frac"] <= 1)).all()
    assert (ts["runnable"] >= ts["runqueue"]).all()         # global queue Gs are runnable
    # the burst: runnable Gs pile up at the start, and nothing is runnable at the last sample
    assert ts["runnable"].max() > 1000
    c = _c(res)
    assert r["g_runnable_cycles"][-1] <= c["g_runnable_cycles"]


def test_summary_keys_and_units():
    res = gc.run(workloads.burst(2000, gc.Exponential(2000)), procs=4, seed=1)
    s = res.summary
    for k in ("m_idle_frac", "m_spinning_frac", "p_unparks", "p_unpark_ns_mean",
              "p_unpark_ns_p99", "p_unpark_ns_max", "g_runnable_ns_total", "g_wait_p_ns_total",
              "g_wait_p_ns_mean", "g_wait_p_frac", "gc_pause_ns_total", "gc_pause_ns_last"):
        assert k in s
    c = _c(res)
    assert s["g_runnable_ns_total"] == c["g_runnable_cycles"] / 3.0
    assert s["p_unpark_ns_max"] == c["p_unpark_max"] / 3.0
    # the raw counters are there too, in cycles, brought up to the end of the run
    assert s["g_runnable_cycles"] == c["g_runnable_cycles"]
    assert s["p_unpark_cycles"] == c["p_unpark_cycles"]


def test_schedtrace_lines_carry_the_metrics_and_parse_back():
    from gmpcore.export import SCHEDTRACE_RE, parse_schedtrace
    res = gc.run(workloads.burst(20_000, gc.Exponential(4000)), procs=4, seed=1,
                 schedtrace_ms=1)
    plain, with_m = res.schedtrace(), res.schedtrace(metrics=True)
    # Go's part of each line is unchanged; gmpcore's metrics follow " | "
    assert [ln.split(" | ")[0] for ln in with_m.splitlines()] == plain.splitlines()
    assert all(SCHEDTRACE_RE.match(ln) for ln in with_m.splitlines())
    recs = parse_schedtrace(with_m)
    assert all(r["metrics"] is None for r in parse_schedtrace(plain))
    ts = res.timeseries
    assert [r["metrics"]["runnable"] for r in recs] == list(ts["runnable"])
    for r, (_, row) in zip(recs, ts.iterrows()):
        m = r["metrics"]
        assert m["midle"] == pytest.approx(row["m_idle_frac"], abs=5e-4)
        assert m["punparks"] == row["p_unparks"]
        assert m["gwait_ms"] == pytest.approx(row["g_runnable_ns"] / 1e6, abs=0.05)
        assert m["gwaitp_ms"] == pytest.approx(row["g_wait_p_ns"] / 1e6, abs=0.05)
        if m["punpark_us"] is None:
            assert row["p_unparks"] == 0
        else:
            assert m["punpark_us"] == pytest.approx(row["p_unpark_ns_mean"] / 1e3, abs=0.05)


def test_runnable_time_past_int64_stays_exact():
    # FIFO on one P: goroutine i waits i * W; with W = 4e15 the total (~2e21 cycles) is far
    # past 2^63, as the latency sum is (tests/test_hardening.py): both are exact Python ints
    res = gc.run(workloads.burst(1000, work=4 * 10**15), procs=1, record=False,
                 machine=gc.Machine(procs=1, sysmon=False))
    c = _c(res)
    assert c["g_runnable_cycles"] == res.latency.total_cycles > 2**63
    assert c["g_wait_p_cycles"] == c["g_runnable_cycles"]        # the one P is never idle
    assert res.summary["g_wait_p_frac"] == 1.0
