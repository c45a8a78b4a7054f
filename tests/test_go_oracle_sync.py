"""Real Go agrees on sync.Cond, context cancellation and sync.Pool.

Same protocol as tests/test_go_oracle.py (read its docstring): each program under
tests/go/cmd/<name>/main.go is built once per session and run several times with GOMAXPROCS=1
GOGC=off; the same program is written in gmpcore's DSL, and for every distinct order Go
produces the test searches start_schedtick in 0..60 for one that makes gmpcore's order of
marks equal Go's exactly.

Cases (the Go semantics each one exercises):

* condwake   -- sync.Cond: Wait = notifyListAdd, Unlock, notifyListWait, Lock; Signal wakes
                the oldest ticket (goready into runnext, kicking the previous one to the ring),
                Broadcast readies the rest in list order; the woken re-lock the mutex;
* cancelwake -- context.WithCancel: cancel() closes the parent's Done (closechan's stack of
                receivers, each into runnext), then the child's, whose waiters sit in a select;
* poolorder  -- sync.Pool on one P: Get takes l.private, then the shared chain's head
                (popHead), then getSlow's victim (private, then the chain's tail); Put fills
                l.private first; runtime.GC's poolCleanup moves the primary cache to the victim
                and drops the old victim; New when everything is empty.  The values each
                goroutine gets are part of the order compared;
* lockedgosched -- runtime.LockOSThread: a locked goroutine that parks in a receive and
                yields with Gosched, among workers that yield: each time it stops its thread
                gives the P away (stoplockedm) and whoever schedules it hands the P back
                (startlockedm).  On one P the hand-offs keep the run queues' order, so Go's
                order is the one the same program has without the lock (the emulator gives
                it both ways: this checks that the hand-offs lose or reorder nothing, and the
                test counts them).
"""
from __future__ import annotations

import pytest

import gmpcore as gc
from go_oracle import build_for_session, check_against_go, marks
from helpers import MS

pytestmark = pytest.mark.go

#: a run in which main needed more than one 1 ms sleep for its goroutines to park was slowed
#: by the machine (the DSL twins sleep once)
ONE_SLEEP = lambda meta: meta.get("sleeps") == 1          # noqa: E731

PROGRAMS = ("condwake", "cancelwake", "poolorder", "lockedgosched")


@pytest.fixture(scope="session")
def go_cmd_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle-sync")


# -- sync.Cond -------------------------------------------------------------------------------------
def condwake_program(n, signals):
    prog = gc.Program()
    wg, mu = prog.waitgroup("wg"), prog.mutex("mu")
    c = prog.cond(mu, "c")
    main = prog.func("main")
    # main sleeps until every waiter holds a ticket: one 1 ms sleep in an undisturbed run
    main.wg_add(wg, n).go("waiter", times=n).lock(mu).unlock(mu).sleep(MS).lock(mu).unlock(mu)
    with main.loop(signals):
        main.lock(mu).cond_signal(c).mark("s").unlock(mu)
    main.lock(mu).cond_broadcast(c).mark("b").unlock(mu)
    main.wg_wait(wg)
    w = prog.func("waiter")
    w.lock(mu).mark("w").cond_wait(c).mark("r").unlock(mu).wg_done(wg)
    return prog


def condwake_strings(res):
    return [{"w": f"w{si}", "r": f"r{si}", "s": f"s{it}", "b": "b"}[label]
            for label, si, it, _ in marks(res)]


@pytest.mark.parametrize("n, signals", [(1, 0), (1, 1), (4, 2), (8, 0), (8, 8), (50, 20)])
def test_cond_signal_broadcast(go_cmd_binaries, record_property, n, signals):
    fits = check_against_go(f"condwake N={n} S={signals}", go_cmd_binaries["condwake"],
                            [n, signals], condwake_program(n, signals), condwake_strings,
                            record_property, valid=ONE_SLEEP)
    for f in fits:
        order = list(f.go_order)
        waited = [s[1:] for s in order if s[0] == "w"]
        woken = [s[1:] for s in order if s[0] == "r"]
        # tickets follow Wait order; Signal and Broadcast ready the waiters in that order, each
        # into runnext (the previous one to the ring): the last waiter runs first
        assert woken == waited[-1:] + waited[:-1]


# -- context cancellation ------------------------------------------------------------------------
def cancelwake_program(n):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    root = prog.with_cancel(name="root")
    child = prog.with_cancel(root, name="child")
    never = prog.chan("never")
    main = prog.func("main")
    main.wg_add(wg, 2 * n).go("onRoot", times=n).go("onChild", times=n)
    main.sleep(MS).cancel(root).mark("c").wg_wait(wg)
    r = prog.func("onRoot")
    r.mark("a").recv(root.done).mark("A").wg_done(wg)
    ch = prog.func("onChild")
    ch.mark("b")
    with ch.select() as sel:
        with sel.recv(child.done):
            ch.mark("B")
        with sel.recv(never):
            ch.mark("X")
    ch.wg_done(wg)
    return prog


def cancelwake_strings(res):
    return ["c" if label == "c" else f"{label}{si}" for label, si, _, _ in marks(res)]


@pytest.mark.parametrize("n", [1, 3, 10, 100])
def test_cancel_wakes_done_waiters(go_cmd_binaries, record_property, n):
    fits = check_against_go(f"cancelwake N={n}", go_cmd_binaries["cancelwake"], [n],
                            cancelwake_program(n), cancelwake_strings, record_property,
                            valid=ONE_SLEEP)
    for f in fits:
        order = list(f.go_order)
        assert order.index("c") == 2 * n                  # all parked before the cancel
        assert sorted(s for s in order if s[0] in "AB") == sorted(
            [f"A{i}" for i in range(n)] + [f"B{i}" for i in range(n)])


# -- sync.Pool ------------------------------------------------------------------------------------
def poolorder_program(k, n, rounds):
    assert n % 2 == 0
    prog = gc.Program()
    pool = prog.pool("pool", new=100)
    main = prog.func("main")
    for v in range(1, k + 1):
        main.pool_put(pool, v)
    for r in range(rounds):
        if r > 0:
            main.gc().sleep(5 * MS)              # runtime.GC(): poolCleanup at its first stop
            main.mark(f"G{r}")
        wg = prog.waitgroup(f"wg{r}")
        main.wg_add(wg, n)
        # getter i puts its value back when i is even: getters 2j and 2j + 1 are started
        # in iteration j (their spawn index), in that order (n is even)
        with main.loop(n // 2):
            main.go(f"even{r}").go(f"odd{r}")
        ev = prog.func(f"even{r}")
        ev.pool_get(pool).mark(f"g{r}.e").pool_put(pool, "val").wg_done(wg)
        od = prog.func(f"odd{r}")
        od.pool_get(pool).mark(f"g{r}.o").wg_done(wg)
        main.wg_wait(wg)
    return prog


def poolorder_strings(res):
    out = []
    for label, si, _, v in marks(res):
        if label.startswith("G"):
            out.append(label)
        else:
            r, kind = label[1:].split(".")
            out.append(f"g{r}.{2 * si + (kind == 'o')}={v}")
    return out


@pytest.mark.parametrize("k, n, rounds", [(0, 2, 1), (4, 6, 4), (10, 4, 3), (3, 20, 3)])
def test_pool_get_put_victim(go_cmd_binaries, record_property, k, n, rounds):
    fits = check_against_go(f"poolorder K={k} N={n} R={rounds}", go_cmd_binaries["poolorder"],
                            [k, n, rounds], poolorder_program(k, n, rounds), poolorder_strings,
                            record_property)
    for f in fits:
        order = list(f.go_order)
        # every value is one main put (1..K) or one New made (100, 101, ...)
        got = [int(s.split("=")[1]) for s in order if s.startswith("g")]
        assert all(1 <= v <= k or v >= 100 for v in got)
        assert len(got) == n * rounds


# -- runtime.LockOSThread ---------------------------------------------------------------------------
def lockedgosched_program(n, k):
    prog = gc.Program()
    wg, ch = prog.waitgroup("wg"), prog.chan("ch")
    main = prog.func("main")
    main.wg_add(wg, n + 1).go("locked")
    if n:
        main.go("worker", times=n)
    with main.loop(k):
        main.send(ch, "iter").mark("m")
    main.wg_wait(wg)
    lk = prog.func("locked")
    lk.lock_os_thread()
    with lk.loop(k):
        lk.recv(ch).mark("L").gosched()
    lk.wg_done(wg)
    w = prog.func("worker")
    with w.loop(k):
        w.mark("w").gosched()
    w.wg_done(wg)
    return prog


def lockedgosched_strings(res):
    out = []
    for label, si, it, v in marks(res):
        out.append({"L": f"L{it}.{v}", "w": f"w{si}.{it}", "m": f"m{it}"}[label])
    return out


@pytest.mark.parametrize("n, k", [(0, 3), (3, 4), (10, 10), (40, 5)])
def test_locked_goroutine_hand_offs(go_cmd_binaries, record_property, n, k):
    prog = lockedgosched_program(n, k)
    check_against_go(f"lockedgosched N={n} K={k}", go_cmd_binaries["lockedgosched"], [n, k],
                     prog, lockedgosched_strings, record_property)
    res = gc.run(prog, machine=gc.Machine(procs=1, init_goroutines=1), memory_limit=False)
    # every stop of the locked goroutine (k receives that park or not, k Goscheds) is
    # followed by a hand-off of the P to its thread
    assert k <= res.sync_counters["lockedm_handoffs"] <= 2 * k
    assert res.sync_counters["lockedm_exits"] == 1
