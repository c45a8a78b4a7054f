"""The runtime mutex is lock_spinbit.go's spin-bit mutex (issue 14 item 4), through the public API.

Program.runtime_lock + hold(lk, work) is a runtime mutex (like mheap.lock), the same model as
sched.lock and hchan.lock.  lock_spinbit.go, and what the tests pin:

* lock2: a waiter that finds the lock held takes the spin bit if it is free and spins
  (4 x procyield(30) + osyield); otherwise it sleeps at once.  Only on sched.lock
  (mutexPreferLowLatency) does every waiter spin.
* Sleeping Ms form a stack: the last to sleep is woken first (LIFO).
* unlock2Wake: no wake while a spinner exists (it takes the lock), except on sched.lock or
  on the 1-in-16 cheaprandn(mutexTailWakePeriod) draw, which wakes the oldest sleeper.

Real Go cannot show any of this at GOMAXPROCS=1 (one running M never contends a runtime
mutex), so there is no Go-oracle test for it.
"""
from __future__ import annotations

import gmpcore as gc
from helpers import US, run


def _waiters(n, hold_us=10, first_hold_us=200):
    # a holder takes the lock for 200 us; n waiters arrive 20 us apart while it holds it
    prog = gc.Program()
    lk = prog.runtime_lock("lk")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n + 1)
    prog.func("holder").mark("h").hold(lk, first_hold_us * US).mark("H").wg_done(wg)
    main.go("holder")
    for i in range(n):
        f = prog.func(f"w{i}")
        f.compute((30 + 20 * i) * US).mark(f"a{i}").hold(lk, hold_us * US).mark(f"g{i}")
        f.wg_done(wg)
        main.go(f"w{i}")
    main.wg_wait(wg)
    return prog


def _sleep_order(marks):
    """The order in which the waiters went to sleep, from their arrival marks: a waiter that
    finds no spinner takes the spin bit and sleeps LOCK_SPIN_WINDOW (2000) cycles later; one
    that arrives while another spins sleeps at once."""
    spinner_end, slept = -1, []
    for t, g in sorted((t, lab[1:]) for lab, t in zip(marks["label"], marks["time_cycles"])
                       if lab[0] == "a"):
        if t < spinner_end:
            slept.append((t, g))
        else:
            spinner_end = t + 2000
            slept.append((spinner_end, g))
    return [g for _, g in sorted(slept)]


def _stack_pops(arrivals, acquired):
    """Check that `acquired` pops the stack built by `arrivals` (bottom first) from the top,
    or from the bottom; return how many pops took the bottom of a stack of two or more."""
    stack, bottom_pops = list(arrivals), 0
    for g in acquired:
        if g == stack[-1]:
            stack.pop()
        else:
            assert g == stack[0], f"{g} is neither the top nor the bottom of {stack}"
            stack.pop(0)
            bottom_pops += 1
    return bottom_pops


def test_sleepers_are_woken_last_in_first_out():
    res = run(_waiters(5), procs=7, seed=1, record=True)
    labels = res.marks.sort_values("time_cycles", kind="stable")["label"].tolist()
    arrivals = [x[1:] for x in labels if x[0] == "a"]
    acquired = [x[1:] for x in labels if x[0] == "g"]
    assert arrivals == ["1", "0", "2", "4", "3"] == _sleep_order(res.marks)
    # every waiter slept (the holder's 200 us outlasts any spin); each unlock woke the one
    # that went to sleep last
    assert acquired == ["3", "4", "2", "0", "1"]
    lk = res.runtime_locks.iloc[0]
    assert (lk["acquisitions"], lk["contended"], lk["sleeps"], lk["wakes"], lk["tail_wakes"],
            lk["spin_acquires"]) == (6, 5, 5, 5, 0, 0)


def test_one_in_sixteen_unlocks_wakes_the_oldest_sleeper():
    # Over many seeds, every unlock wakes the top of the stack, except the ones that drew the
    # anti-starvation wake: those take the bottom, and tail_wakes counts them exactly.
    total_tail, total_wakes = 0, 0
    for seed in range(1, 41):
        res = run(_waiters(6, hold_us=5), procs=8, seed=seed, record=True, check_every=0)
        labels = res.marks.sort_values("time_cycles", kind="stable")["label"].tolist()
        acquired = [x[1:] for x in labels if x[0] == "g"]
        lk = res.runtime_locks.iloc[0]
        assert lk["sleeps"] == lk["wakes"] == 6
        assert _stack_pops(_sleep_order(res.marks), acquired) == lk["tail_wakes"]
        total_tail += int(lk["tail_wakes"])
        total_wakes += int(lk["wakes"])
    # (the draw is made at each of the 240 unlocks with sleepers: about 15 come up 0, but
    # those at a stack of one are not counted)
    assert total_wakes == 240
    assert total_tail == 13


def _spinner_arrives_late(b_compute):
    prog = gc.Program()
    lk = prog.runtime_lock("lk")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 3)
    prog.func("h").mark("h").hold(lk, 200 * US).mark("H").wg_done(wg)
    prog.func("A").compute(50 * US).mark("a").hold(lk, 10 * US).mark("A").wg_done(wg)
    prog.func("B").compute(b_compute).mark("b").hold(lk, 10 * US).mark("B").wg_done(wg)
    main.go("h").go("A").go("B").wg_wait(wg)
    return run(prog, procs=4, seed=1, record=True)


def test_no_wake_while_a_spinner_exists():
    # A sleeps early; B arrives 1000 cycles before the holder's unlock, takes the spin bit and
    # is still spinning at the unlock: unlock2Wake wakes nobody, B takes the lock, and only
    # B's unlock wakes A.
    probe = _spinner_arrives_late(100 * US)
    t = dict(zip(probe.marks["label"], probe.marks["time_cycles"]))
    b_compute = 100 * US + (t["H"] - 1000 - t["b"])
    res = _spinner_arrives_late(b_compute)
    t = dict(zip(res.marks["label"], res.marks["time_cycles"]))
    assert 0 < t["H"] - t["b"] < 2000                  # B still spins when h unlocks
    assert res.marks["label"].tolist() == ["h", "a", "b", "H", "B", "A"]
    lk = res.runtime_locks.iloc[0]
    assert (lk["sleeps"], lk["wakes"], lk["tail_wakes"], lk["spin_acquires"]) == (1, 1, 0, 1)
    # B's hand-off costs no futex round trip: it runs its 10 us right after h
    assert t["B"] - t["H"] < 12 * US
    assert t["A"] - t["B"] > 10 * US


def test_only_one_spinner_on_a_runtime_lock():
    # w0, w1, w2 reach the held lock 0.2 us apart: w0 takes the spin bit and spins for 2000
    # cycles; w1 arrives while w0 spins and sleeps at once (so before w0); w2 arrives after w0
    # gave up, spins in turn, and sleeps last.  The stack is then w2, w0, w1 from the top.
    prog = gc.Program()
    lk = prog.runtime_lock("lk")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 5)
    prog.func("holder").mark("h").hold(lk, 200 * US).mark("H").wg_done(wg)
    main.go("holder")
    for i in range(4):
        f = prog.func(f"w{i}")
        f.compute(60 * US - i * 10 * US + i * 300).mark(f"a{i}").hold(lk, 5 * US)
        f.mark(f"g{i}").wg_done(wg)
        main.go(f"w{i}")
    main.wg_wait(wg)
    res = run(prog, procs=6, seed=2, record=True)
    m = res.marks.sort_values("time_cycles", kind="stable")
    t = dict(zip(m["label"], m["time_cycles"]))
    assert 0 < t["a1"] - t["a0"] < 2000 < t["a2"] - t["a0"]
    assert t["a2"] < t["h"] + 200 * US                       # all three wait for the holder
    assert _sleep_order(res.marks)[1:] == ["1", "0", "2"]
    assert [x[1:] for x in m["label"] if x[0] == "g"][1:] == ["2", "0", "1"]
    lk = res.runtime_locks.iloc[0]
    assert (lk["sleeps"], lk["wakes"], lk["tail_wakes"], lk["spin_acquires"]) == (3, 3, 0, 0)


def test_short_critical_sections_pass_to_the_spinner():
    # 8 Ms hammer a runtime lock with 300-cycle critical sections (shorter than a spin): most
    # contended acquisitions go to the one spinner without a futex round trip; every other
    # contended acquisition went through a sleep and a wake
    prog = gc.Program()
    lk = prog.runtime_lock("lk")
    wg = prog.waitgroup("wg")
    prog.func("main").wg_add(wg, 8).go("w", times=8).wg_wait(wg)
    w = prog.func("w")
    with w.loop(30):
        w.hold(lk, 300).compute(gc.Exponential(1500))
    w.wg_done(wg)
    res = run(prog, procs=8, seed=3)
    lk = res.runtime_locks.iloc[0]
    assert (lk["acquisitions"], lk["contended"], lk["sleeps"], lk["wakes"], lk["tail_wakes"],
            lk["spin_acquires"]) == (240, 104, 28, 28, 0, 92)


def test_every_waiter_spins_on_sched_lock():
    # sched.lock prefers low latency: every waiter spins first, and each unlock with sleepers
    # wakes one.  A global-queue burst hammers it.
    res = run(gc.workloads.burst(3000, gc.Exponential(2000)), procs=8, strategy="global",
              seed=1, check_every=0)
    s = res.summary
    assert (s["lock_contended"], s["lock_sleeps"], s["lock_wakes"], s["lock_tail_wakes"],
            s["lock_spin_acquires"]) == (5859, 85, 85, 1, 5816)
