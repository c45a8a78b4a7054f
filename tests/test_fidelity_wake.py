"""Unlock before goready (issue 14 item 4), everywhere Go does it, through the public API.

* runtime/select.go selectgo: the recv/send/rclose paths of pass 1 call recv/send with
  selunlock as the unlock function, so every case lock is released before the partner is
  readied -- the hchan.lock hold time of a select never includes the readying;
* runtime/sema.go semrelease1 (under sync.Mutex.Unlock's runtime_Semrelease and
  sync.RWMutex's readerSem/writerSem releases): root.dequeue under the semaRoot lock,
  unlock(&root.lock), then readyWithTime -> goready ("May be slow or even yield, so unlock
  first"); in starvation mode (handoff) the releaser goyields after the unlock.  semacquire1's
  slow path holds the root lock until goparkunlock.

At GOMAXPROCS=1 the order of goroutines does not depend on when a lock is released (one M runs
goroutines; the Go oracle tests of sync.Mutex and RWMutex -- test_go_oracle_blocking,
test_go_oracle_rwmutex -- still match exactly), so these tests pin the critical sections with
exact counters: with the cache model off, each semaRoot critical section lasts exactly
CostModel.lock cycles and each hchan.lock one lock + chan cycles, even with a readying that
costs 10,000 cycles.
"""
from __future__ import annotations

import gmpcore as gc
from helpers import US, run

COSTS = gc.CostModel(ready=10_000)          # a readying inside a lock would show at once
P1 = gc.Machine(procs=1, cache=False)


def _cycles(ns, res):
    return round(ns * res.config["clock_ghz"])


def _mutex_prog(n=4, rounds=5, sleep_us=0):
    # n goroutines take turns on one mutex; the holder yields (Gosched) or sleeps inside it
    p = gc.Program()
    mu = p.mutex("mu")
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, n).go("w", times=n).wg_wait(wg)
    w = p.func("w")
    with w.loop(rounds):
        w.lock(mu)
        if sleep_us:
            w.sleep(sleep_us * US)
        else:
            w.gosched()
        w.unlock(mu)
    w.wg_done(wg)
    return p


def test_mutex_semaroot_unlocked_before_goready_normal_mode():
    res = run(_mutex_prog(), procs=1, machine=P1, costs=COSTS, seed=1)
    mu = res.mutexes.iloc[0]
    assert mu["acquisitions"] == 20 and mu["contended"] == 14 and mu["handoffs"] == 0
    # semacquire1 takes the root lock for each of the 14 queueings, semrelease1 for each of
    # the 14 Unlocks that woke a waiter (readies: 14 + main's WaitGroup wake)
    assert mu["sema_acquisitions"] == 28 and mu["sema_contended"] == 0
    assert res.summary["readies"] == 15
    # no critical section of root.lock contains a readying
    assert _cycles(mu["sema_hold_ns"], res) == 28 * COSTS.lock


def test_mutex_semaroot_unlocked_before_goready_starvation_handoff():
    # holders sleep 1.5 ms inside the mutex: waiters pass starvationThresholdNs (1 ms), the
    # mutex starves, and Unlock hands it over (semrelease1 handoff=true, then goyield)
    res = run(_mutex_prog(sleep_us=1500), procs=1, machine=P1, costs=COSTS, seed=1)
    mu = res.mutexes.iloc[0]
    assert mu["contended"] == 19 and mu["starvation_switches"] == 1 and mu["handoffs"] == 18
    assert mu["sema_acquisitions"] == 38                 # 19 queueings + 19 wakes
    assert _cycles(mu["sema_hold_ns"], res) == 38 * COSTS.lock


def test_rwmutex_semaroot_unlocked_before_goready():
    # readers hold the RWMutex across a sleep; a writer arrives behind them (waits on
    # writerSem), new readers queue behind the writer (readerSem); the last reader out and
    # the writer's Unlock release the semaphores
    p = gc.Program()
    rw = p.rwmutex("rw")
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, 5).go("r", times=4).go("w").wg_wait(wg)
    r = p.func("r")
    with r.loop(3):
        r.rlock(rw).sleep(10 * US).runlock(rw).sleep(1 * US)
    r.wg_done(wg)
    w = p.func("w")
    with w.loop(2):
        w.sleep(2 * US).lock(rw).sleep(5 * US).unlock(rw)
    w.wg_done(wg)
    res = run(p, procs=1, machine=P1, costs=COSTS, seed=1)
    x = res.rwmutexes.iloc[0]
    assert x["reader_waits"] == 8 and x["writer_waits"] == 2
    # 8 readers and 2 writer waits queue under the root lock; 8 readerSem and 2 writerSem
    # releases find them there
    assert x["sema_acquisitions"] == 20
    assert _cycles(x["sema_hold_ns"], res) == 20 * COSTS.lock


def test_select_partner_readied_outside_the_case_locks():
    # a select sends to / receives from a parked partner (pass 1: send/recv with selunlock),
    # or parks and is woken (pass 3 relocks and unlocks): every hchan.lock critical section
    # is lock + chan cycles, none contains the 10,000-cycle readying
    p = gc.Program()
    ping, pong = p.chan("ping"), p.chan("pong")
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, 2).go("a").go("b").wg_wait(wg)
    a = p.func("a")
    with a.loop(50):
        with a.select() as sel:
            with sel.send(ping, 1):
                a.compute(0)
        with a.select() as sel:
            with sel.recv(pong):
                a.compute(0)
    a.wg_done(wg)
    b = p.func("b")
    with b.loop(50):
        b.recv(ping).send(pong, 2)
    b.wg_done(wg)
    res = run(p, procs=1, machine=P1, costs=COSTS, seed=1)
    assert res.summary["readies"] == 101
    ch = res.channels.set_index("chan")
    assert ch.loc["ping", "lock_acquisitions"] == 100
    assert ch.loc["pong", "lock_acquisitions"] == 150    # a's woken selects relock pong
    for name in ("ping", "pong"):
        acq = int(ch.loc[name, "lock_acquisitions"])
        assert _cycles(ch.loc[name, "lock_hold_ns"], res) == acq * (COSTS.lock + COSTS.chan)


def test_semaroot_lock_contended_across_ps_with_invariants():
    # 16 goroutines on one mutex over 4 Ps: Ms meet on the semaRoot lock (a runtime mutex:
    # sched/lock.pxi); every invariant holds after every step
    res = run(_mutex_prog(n=16, rounds=200, sleep_us=0), procs=4, seed=1, check_every=1)
    mu = res.mutexes.iloc[0]
    assert res.status == "ok" and mu["acquisitions"] == 3200
    assert mu["sema_acquisitions"] >= 2 * mu["contended"] > 0


def test_no_lost_wakeup_across_ps_and_seeds():
    # a G counts itself in the waiter count before it reaches the semaRoot lock; an Unlock in
    # between releases m.sema's count and that G takes it there (semacquire1's second
    # cansemacquire) instead of parking with nobody left to wake it.  Random work around a
    # tiny critical section makes every interleaving happen; no run may deadlock.
    for procs in (2, 3, 4):
        for seed in range(8):
            p = gc.Program()
            mu = p.mutex("mu")
            wg = p.waitgroup("wg")
            p.func("main").wg_add(wg, 6).go("w", times=6).wg_wait(wg)
            w = p.func("w")
            with w.loop(60):
                w.compute(gc.Exponential(300)).lock(mu).compute(gc.Exponential(100))
                w.unlock(mu)
            w.wg_done(wg)
            res = run(p, procs=procs, seed=seed, check_every=7)
            assert res.status == "ok", (procs, seed)
            mu_row = res.mutexes.iloc[0]
            assert mu_row["acquisitions"] == 360
            rec = res.mutex_records[0]
            assert rec["nwait"] == rec["root_nwait"] == rec["sema"] == 0


def test_semaroot_locks_do_not_show_as_runtime_locks():
    # State.locks holds sched.lock, hchan locks, the program's runtime locks, then the
    # semaRoot locks, then run-time channels' locks: Result.runtime_locks lists only the third
    p = gc.Program()
    heap = p.runtime_lock("heap")
    mu, rw = p.mutex("mu"), p.rwmutex("rw")
    m = p.func("main")
    c = m.make_chan("c", 1)
    m.hold(heap, 100).lock(mu).unlock(mu).rlock(rw).runlock(rw).send(c, 1).recv(c)
    m.hold(heap, 50)
    res = run(p, procs=2)
    assert res.runtime_locks["lock"].tolist() == ["heap"]
    assert res.runtime_locks["acquisitions"].tolist() == [2]
    assert res.channels["lock_acquisitions"].tolist() == [2]
    # (Result.mutexes also lists the RWMutex's writer mutex) nothing was ever contended
    assert (res.mutexes["sema_acquisitions"] == 0).all() and len(res.mutexes) == 2
    assert res.rwmutexes["sema_acquisitions"].tolist() == [0]
