"""The issue-14 item-4 fidelity fixes that had no test of their own (docs/fidelity.md has the
audit table): each one through the public API with an exact order, P, goid or time that the
fix decides.  Go source: runtime/proc.go (newproc1, findRunnable, injectglist, runqgrab,
procresize, startTheWorldWithSema, sysmon), runtime/netpoll_epoll.go (netpoll).
"""
from __future__ import annotations

import gmpcore as gc
from helpers import MS, US, run

NOSYSMON = gc.Machine(sysmon=False)


def _marks(res, prefix=""):
    m = res.marks
    return [(r.label, int(r.goid), int(r.p)) for r in m.itertuples() if r.label.startswith(prefix)]


def _t(res, label):
    m = res.marks
    return float(m.loc[m["label"] == label, "time_cycles"].iloc[0])


def test_goids_come_from_per_p_batches_of_16():
    # newproc1: `if pp.goidcache == pp.goidcacheend { pp.goidcache =
    # sched.goidgen.Add(_GoidCacheBatch) - (_GoidCacheBatch - 1) ...}`.  main (goid 1) and
    # its first child (2) come from P0's first batch; s, stolen by P1, creates its children
    # from P1's own batch (17..32); main's later children continue P0's batch (3, 4)
    p = gc.Program()
    wg = p.waitgroup("wg")
    m = p.func("main")
    m.wg_add(wg, 6).go("s").compute(1 * MS).go("c", times=2).wg_wait(wg)
    s = p.func("s")
    s.mark("s").go("c", times=3).compute(200 * US).wg_done(wg)
    p.func("c").mark("c").wg_done(wg)
    res = run(p, procs=2, record=True, machine=NOSYSMON)
    got = _marks(res)
    assert got[0] == ("s", 2, 1)
    assert sorted(g for lbl, g, pp in got if lbl == "c" and pp == 1) == [17, 18, 19]
    assert sorted(g for lbl, g, pp in got if lbl == "c" and pp == 0) == [3, 4]


def _net_waiters(delays_us, main_work_us, procs, after=None):
    p = gc.Program()
    wg = p.waitgroup("wg")
    m = p.func("main")
    m.wg_add(wg, len(delays_us))
    for i, d in enumerate(delays_us):
        h = p.func(f"h{i}")
        h.net_wait(d * US).mark(f"ready{i}")
        if after:
            h.compute(after)
        h.wg_done(wg)
        m.go(f"h{i}")
    # main sleeps so that the waiters park, then keeps its P busy: nobody polls until main
    # blocks in wg_wait and findRunnable (step 9) calls netpoll(0)
    m.sleep(1 * US).compute(main_work_us * US).wg_wait(wg)
    return run(p, procs=procs, record=True)


def test_netpoll_returns_a_stack_last_ready_runs_first():
    # netpoll_epoll.go netpoll: `netpollready(&toRun, pd, mode)` pushes each ready G on a
    # gList (a stack); findRunnable step 9 runs list.pop() -- the descriptor that became
    # ready LAST -- and injectglist puts the rest on the local ring in stack order
    res = _net_waiters((10, 20, 30), 100, procs=1)
    assert res.summary["netpoll_polls"] == 1 and res.summary["netpoll_ready"] == 3
    assert [lbl for lbl, _, _ in _marks(res, "ready")] == ["ready2", "ready1", "ready0"]


def test_injectglist_start_idle_starts_one_m_per_global_g_at_once():
    # 5 waiters, 4 Ps.  P1's M, blocked in netpoll, wakes at the first descriptor (h4) and
    # runs it; the other four become ready just after.  When h4's work ends, P1's findRunnable
    # step 9 polls them: it runs the last ready (h3), and injectglist puts
    # min(npidle = 2, k - 1 = 3) = 2 on the global queue and startIdle(2)s two Ms at once
    # (one startm each, not a wakep chain), the third on its own ring
    res = _net_waiters((10,) * 5, 100, procs=4, after=50 * US)
    got = _marks(res, "ready")
    assert [lbl for lbl, _, _ in got] == ["ready4", "ready3", "ready2", "ready1", "ready0"]
    assert [pp for _, _, pp in got][:4] == [1, 1, 2, 3]
    assert res.summary["netpoll_polls"] == 2
    # the two idle Ps' Ms were started together: their Gs start within a micro-step of each
    # other, one futex wake after the poll (a wakep chain would space them by a wake each)
    t2, t1, t3 = _t(res, "ready2"), _t(res, "ready1"), _t(res, "ready3")
    assert abs(t2 - t1) < 1 * US
    assert t2 - t3 >= gc.CostModel().futex_wake


def _busy_main_and_waiter(delay):
    prog = gc.Program()
    main = prog.func("main")
    main.go("h")
    with main.loop(400):
        main.compute(100 * US)
        main.gosched()
    h = prog.func("h")
    h.mark("wait").net_wait(delay).mark("ready")
    return prog


def test_sysmon_refreshes_lastpoll_even_when_its_poll_finds_nothing():
    # sysmon: `if netpollinited() && lastpoll != 0 && lastpoll+10*1000*1000 < now {
    # sched.lastpoll.CompareAndSwap(lastpoll, now); list, delta := netpoll(0) ...}` -- the
    # CAS comes before the poll, found Gs or not.  main never lets its P poll (Gosched's
    # global queue is checked first), so only sysmon's 10 ms polls ready h.
    m1 = gc.Machine(procs=1)
    early = run(_busy_main_and_waiter(100 * US), machine=m1, record=True)
    first_poll = _t(early, "ready")                   # the first sysmon poll finds h
    assert 10 * MS < first_poll < 12 * MS
    # h ready at 15 ms: the poll at first_poll finds nothing but refreshes lastpoll, so the
    # next tick (10 ms later) is not past lastpoll + 10 ms and the one after polls -- without
    # the refresh, the next tick would have found h
    late = run(_busy_main_and_waiter(15 * MS), machine=m1, record=True)
    assert late.summary["netpoll_polls"] == 1
    assert _t(late, "ready") > first_poll + 20 * MS - 10 * US


def test_runnext_back_off_skipped_when_the_victims_m_is_in_a_syscall():
    # runqgrab: "Sleep to ensure that pp isn't about to run the g we are about to steal ...
    # if gp := mp.curg; gp == nil || readgstatus(gp)&^_Gscan != _Gsyscall { usleep(3) }":
    # x waits in P0's runnext while main computes (the thief backs off) or is in a syscall
    # (it does not): x starts exactly CostModel.runnext_backoff earlier
    def start(syscall):
        p = gc.Program()
        m = p.func("main")
        m.go("x")
        if syscall:
            m.syscall(1 * MS)
        else:
            m.compute(1 * MS)
        p.func("x").mark("x")
        res = run(p, procs=2, record=True, machine=NOSYSMON)
        assert _marks(res) == [("x", 2, 1)] and res.summary["runnext_steals"] == 1
        return _t(res, "x")
    assert start(False) - start(True) == gc.CostModel().runnext_backoff


def test_procresize_leaves_the_highest_idle_p_on_top_of_pidle():
    # procresize walks allp from the highest id down collecting idle Ps, then pidleputs them
    # lowest first: the highest is on top, and the next wakep (for x) takes P3.  At start-up
    # P1 is taken first.
    def p_of_x(resize):
        p = gc.Program()
        m = p.func("main")
        if resize:
            m.gomaxprocs(2).gomaxprocs(4)
        m.compute(50 * US).go("x").compute(1 * MS)
        p.func("x").mark("x")
        return _marks(run(p, procs=4, record=True, machine=NOSYSMON))[0][2]
    assert p_of_x(False) == 1
    assert p_of_x(True) == 3


def test_start_the_world_gives_each_p_its_previous_m():
    # procresize: a stopped P with local work gets `mgetSpecific(pp.oldm)` before any other
    # idle M.  Here the Ms stopped for the GC in the order M0, M3 (P2), M2 (P1): M2 is on top
    # of sched.midle, so a plain mget would give P2 M2 and P1 M3; each gets its own back
    p = gc.Program()
    m = p.func("main")
    m.go("y", times=3).compute(100 * US).gc().compute(300 * US)
    y = p.func("y")
    y.go("w", times=3).compute(200 * US)
    p.func("w").compute(100 * US).mark("w")
    res = run(p, procs=3, machine=NOSYSMON, trace=True)
    t = res.trace
    begin = t.loc[t["kind"] == "STWBegin", "time_cycles"].iloc[0]
    end = t.loc[t["kind"] == "STWEnd", "time_cycles"].iloc[0]
    before = t[t["time_cycles"] < begin]
    held = {int(p_): int(m_) for p_, m_ in zip(before["p"], before["m"]) if p_ >= 0}
    assert held == {0: 0, 1: 2, 2: 3}
    stops = t[(t["kind"] == "ProcStop") & (t["time_cycles"] >= begin) & (t["time_cycles"] < end)]
    assert list(zip(stops["p"], stops["m"])) == [(0, 0), (2, 3), (1, 2)]
    starts = t[(t["kind"] == "ProcStart") & (t["time_cycles"] >= end)].head(3)
    assert {int(p_): int(m_) for p_, m_ in zip(starts["p"], starts["m"])} == held


def test_netpoll_at_start_the_world_goes_to_the_stoppers_ring():
    # startTheWorldWithSema: `list, delta := netpoll(0); injectglist(&list)` runs on the
    # stopping M, which holds its P (runtime.GOMAXPROCS called by main): injectglist with a P
    # and no idle P puts h on main's own ring (not the global queue); the new P2's spinning M
    # then steals it from P0
    p = gc.Program()
    m = p.func("main")
    m.go("h").go("y").compute(50 * US).gomaxprocs(3).compute(200 * US)
    p.func("h").mark("wait").net_wait(10 * US).mark("ready")
    p.func("y").compute(1 * MS)
    res = run(p, procs=2, record=True, machine=NOSYSMON, trace=True)
    s = res.summary
    assert s["netpoll_polls"] == 1 and s["stw_count"] == 1 and s["globrunq_gets"] == 0
    t = res.trace
    unblock = t[(t["kind"] == "GoUnblock") & (t["goid"] == 2)].iloc[0]
    assert (unblock["p"], unblock["m"]) == (0, 0)      # readied by main's M, into P0
    assert _marks(res) == [("wait", 2, 1), ("ready", 2, 2)]
