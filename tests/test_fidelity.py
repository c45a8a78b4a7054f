"""Fidelity fixes against the Go 1.27.3 runtime (issue 14 item 4), through the public API.

Each test pins what the Go source does, with exact counters or an exact order:

* time.go's timer heap is 4-ary (timerHeapN): equal-`when` timers fire in the order Go's
  siftUp/siftDown leave them, which a binary heap does not reproduce;
* time.go maybeAdd calls wakeNetPoller only when the new timer is its P's earliest, and
  wakeNetPoller breaks a poller that sleeps past it (netpollBreak) or else calls wakep;
* proc.go stealWork checks gcwaiting at every victim of its walk;
* chan.go unlocks hchan.lock before goready (send, recv, closechan), so the lock's hold time
  does not include the readying.

The runtime mutex (lock_spinbit.go) has its own file, tests/test_fidelity_lock.py.
"""
from __future__ import annotations

import gmpcore as gc
from helpers import US, run

ZERO = gc.CostModel.zero()


# -- time.go: the 4-ary timer heap ---------------------------------------------------------------
def _heap_push(h, item):
    # time.go timers.siftUp with timerHeapN = 4 (timerWhen.less: `when` only)
    h.append(item)
    i = len(h) - 1
    while i > 0:
        p = (i - 1) // 4
        if not item[0] < h[p][0]:
            break
        h[i] = h[p]
        i = p
    h[i] = item


def _heap_pop(h):
    # time.go timers.deleteMin + siftDown: the first child strictly below the running minimum
    top, last = h[0], h.pop()
    n = len(h)
    if n:
        i = 0
        while i * 4 + 1 < n:
            w, c = last[0], -1
            for j in range(i * 4 + 1, min(i * 4 + 5, n)):
                if h[j][0] < w:
                    w, c = h[j][0], j
            if c < 0:
                break
            h[i] = h[c]
            i = c
        h[i] = last
    return top


def _sleepers(durations_us):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(durations_us))
    for i, d in enumerate(durations_us):
        prog.func(f"s{i}").sleep(d * US).mark(f"w{i}").wg_done(wg)
        main.go(f"s{i}")
    main.gosched().compute(100 * US).wg_wait(wg)
    return prog


def test_equal_when_timers_fire_in_4ary_heap_order():
    # With zero costs every sleeper adds its timer at cycle 0, so `when` is the duration and
    # many are equal.  All expire while main computes; main's wg.Wait runs them in one batch
    # (checkTimers), in heap-pop order, each goready into runnext (the last popped runs first).
    durations = [1, 3, 3, 1, 2, 3, 2, 3, 3]
    n = len(durations)
    res = run(_sleepers(durations), procs=1, costs=ZERO, record=True, seed=1,
              machine=gc.Machine(procs=1, cache=False, sysmon=False, start_schedtick=1))
    assert res.status == "ok"
    # the sleepers ran (and added their timers) in runnext-then-ring order: s8, s0, ..., s7
    h = []
    for i in [n - 1] + list(range(n - 1)):
        _heap_push(h, (durations[i], i))
    pops = [_heap_pop(h)[1] for _ in range(n)]
    expected = [f"w{i}" for i in [pops[-1]] + pops[:-1]]
    assert expected == ["w5", "w0", "w3", "w6", "w4", "w8", "w7", "w2", "w1"]
    assert res.marks["label"].tolist() == expected
    # (a binary heap gives w2 w0 w3 w6 w4 w1 w8 w7 w5 here)
    assert set(res.marks["time_cycles"]) == {100 * US}


def test_many_timers_pop_in_when_order():
    # 50 distinct deadlines in a scrambled order (fewer than 61 sleepers, so main stays on the
    # global queue until they all sleep): the 4-ary heap pops them sorted
    durations = [(i * 37) % 50 * 3 + 1 for i in range(50)]
    res = run(_sleepers(durations), procs=1, costs=ZERO, record=True, seed=1,
              machine=gc.Machine(procs=1, cache=False, sysmon=False, start_schedtick=1),
              check_every=0)
    got = res.marks["label"].tolist()
    order = sorted(range(50), key=lambda i: durations[i])
    # all expired while main computed for 100 us: those fire as one batch (the latest first),
    # the later ones one at a time
    batch = [i for i in order if durations[i] <= 100]
    rest = [i for i in order if durations[i] > 100]
    assert got == [f"w{i}" for i in [batch[-1]] + batch[:-1] + rest]


# -- time.go maybeAdd / proc.go wakeNetPoller --------------------------------------------------
def test_wake_netpoller_only_for_the_p_earliest_timer():
    # time.go maybeAdd: wake = wakeTime == 0 || when < wakeTime.  Sleepers run s2, s0, s1 (runnext,
    # then the ring) and each adds its timer ~1 us after the previous one.
    def count(durations_us):
        res = run(_sleepers(durations_us), procs=1, seed=1,
                  machine=gc.Machine(procs=1, start_schedtick=1))
        return res.summary["wake_netpoller"], res.summary["wakep_calls"]

    # s2 (10 us) first: empty heap, wake; s0 (300) and s1 (200) are later: no wake
    assert count([300, 200, 10])[0] == 1
    # s2 (300) wakes; s0 (200) is earlier: wake; s1 (10): wake
    assert count([200, 10, 300])[0] == 3
    # s2 (200), s0 (300) later, s1 (100) earlier
    w, wakep = count([300, 100, 200])
    assert w == 2
    # each wakeNetPoller with nobody in netpoll calls wakep (nothing to start at procs=1)
    w0, wakep0 = count([300, 200, 10])
    assert wakep - wakep0 == 1


def test_wake_netpoller_breaks_a_later_poll():
    # An M blocked in netpoll until a 2 ms timer is woken (netpollBreak) by a 100 us timer
    # added on another P, and that G wakes on time, not at 2 ms.
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 2).go("long").compute(300 * US).go("short").compute(3000 * US).wg_wait(wg)
    prog.func("long").sleep(2000 * US).mark("long").wg_done(wg)
    prog.func("short").sleep(100 * US).mark("short").wg_done(wg)
    res = run(prog, procs=2, record=True, seed=1)
    assert res.status == "ok"
    m = dict(zip(res.marks["label"], res.marks["time_cycles"]))
    # "short" sleeps from ~300 us: it must run well before the 2 ms timer
    assert 400 * US <= m["short"] < 450 * US
    assert m["long"] >= 2000 * US
    assert res.summary["wake_netpoller"] == 2


# -- proc.go stealWork: gcwaiting per victim ---------------------------------------------------
def _gc_burst(n):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    prog.func("main").wg_add(wg, n).go("w", times=n).wg_wait(wg)
    prog.func("w").compute(gc.Exponential(3000)).alloc(4096).wg_done(wg)
    return prog


def test_stealwork_checks_gcwaiting_at_every_victim():
    # GC cycles (stop-the-world pauses) while spinning Ms walk the Ps: a walk stops at the next
    # victim once gcwaiting is set (proc.go stealWork), counted in steal_gcwaiting
    mach = gc.Machine(procs=8, gc_heap_goal_bytes=1 << 20, gc_mark_ns=5000,
                      gc_sweepterm_ns=2000, gc_markterm_ns=2000)
    res = run(_gc_burst(2000), machine=mach, seed=1)
    s = res.summary
    assert res.status == "ok"
    assert s["stw_count"] == 14
    assert (s["steal_gcwaiting"], s["steal_attempts"], s["steals"]) == (10, 8484, 1412)


def test_no_gcwaiting_no_early_stop():
    res = run(_gc_burst(600), machine=gc.Machine(procs=8), seed=1)
    assert res.summary["stw_count"] == 0 and res.summary["steal_gcwaiting"] == 0


# -- chan.go: hchan.lock released before goready -------------------------------------------------
def _pingpong(k):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ping, pong = prog.chan("ping"), prog.chan("pong")
    main = prog.func("main")
    main.wg_add(wg, 2).go("a").go("b").wg_wait(wg)
    a = prog.func("a")
    with a.loop(k):
        a.send(ping, "iter").recv(pong)
    a.wg_done(wg)
    b = prog.func("b")
    with b.loop(k):
        b.recv(ping).send(pong, "val")
    b.wg_done(wg)
    return prog


def test_chan_lock_hold_excludes_goready():
    # Without the cache model every critical section of hchan.lock is lock + chan cycles,
    # whether or not it readies a parked peer (the ready cost, 100 cycles, comes after unlock)
    costs = gc.CostModel()
    res = run(_pingpong(50), procs=1, machine=gc.Machine(procs=1, cache=False), seed=1)
    ch = res.channels.set_index("chan")
    for name in ("ping", "pong"):
        acq = int(ch.loc[name, "lock_acquisitions"])
        assert acq == 100                              # 50 sends + 50 receives
        assert ch.loc[name, "lock_contended"] == 0
        hold = round(ch.loc[name, "lock_hold_ns"] * 3.0)
        assert hold == acq * (costs.lock + costs.chan)
    # half the operations found the peer parked and readied it: the readies are there, but
    # outside the lock
    assert res.summary["readies"] >= 99


def test_closechan_readies_outside_the_lock():
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ch = prog.chan("c")
    main = prog.func("main")
    main.wg_add(wg, 20).go("r", times=20).sleep(50 * US).close(ch).wg_wait(wg)
    prog.func("r").recv(ch).mark("r").wg_done(wg)
    costs = gc.CostModel()
    res = run(prog, procs=1, machine=gc.Machine(procs=1, cache=False), seed=1, record=True)
    c = res.channels.iloc[0]
    assert c["lock_acquisitions"] == 21 and c["blocked_recvs"] == 20
    # 20 receivers park (lock + chan each) and close readies 20 Gs after unlocking
    assert round(c["lock_hold_ns"] * 3.0) == 21 * (costs.lock + costs.chan)
    assert len(res.marks) == 20
