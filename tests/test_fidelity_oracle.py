"""Real Go agrees on the fidelity fixes whose effect is observable at GOMAXPROCS=1.

Same protocol as tests/test_go_oracle_blocking.py (tests/go_oracle.py's harness).  Of the
issue 14 fixes, only the timer heap changes the order a single P produces: the runtime mutex
(lock_spinbit.go), wakeNetPoller's wakep, stealWork's gcwaiting check and the hchan.lock
hold time all need a second P (or change only timing).  Real-time timers never share a
`when` (timerWhen.less breaks ties with a per-timer rand that only fake-time timers set, and
nanotime advances between two adds), so real Go cannot show equal-`when` ties; what it shows is
that a 4-ary heap with many timers, added in a scrambled deadline order and removed through
several levels of siftDown, hands them to findRunnable in deadline order.  The tie order is
pinned against Go's siftUp/siftDown in tests/test_fidelity.py.

* timerheap -- 8 sleepers with scrambled distinct deadlines (1 ms apart) expire while the
               only P is busy (the tests/go/cmd/timerbatch program; the busy loop stays under
               sysmon's 10 ms preemption): checkTimers pops them in one batch, each goready
               into runnext (the last popped runs first, then the ring in deadline order).
* netpoll stack -- N goroutines blocked reading pipes that main writes in order while it keeps
               the only P (tests/go/cmd/netpollstack): findRunnable step 9's netpoll(0)
               returns them as a stack (netpoll_epoll.go netpollready -> toRun.push), so the
               last pipe written wakes first and the others follow in reverse write order
               (injectglist onto the local ring).  gmpcore's twin: net_wait()s that become
               ready in the same order.
* mutex count -- sync.Mutex over runtime/sema.go (tests/go/cmd/mutexcount): an Unlock readies
               the queued g1 without the semaphore count; a newcomer g2 takes that count in
               semacquire1's easy case and queues again at the front (it has waited before),
               g1 finds no count and queues again at the tail (its call's lifo=false): g2 gets
               the mutex first.  gmpcore before the semaphore model ran g1 first.
"""
from __future__ import annotations

import pytest

import gmpcore as gc
from go_oracle import build_for_session, check_against_go
from test_go_oracle_blocking import timerbatch_program, timerbatch_strings

pytestmark = pytest.mark.go


@pytest.fixture(scope="session")
def fidelity_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory,
                             ("timerbatch", "netpollstack", "mutexcount"), "go-oracle-fid")


@pytest.mark.parametrize("busy,durations", [
    (9, [1, 4, 7, 2, 5, 8, 3, 6]),          # all 8 in one batch (two levels of the heap)
    (9, [8, 6, 4, 2, 1, 3, 5, 7]),          # another scramble (timers firing one by one after
                                            # a batch are in test_go_oracle_blocking's sleepwake)
])
def test_timer_heap_order(fidelity_binaries, record_property, busy, durations):
    later = [d for d in durations if d > busy]
    limit_us = (min(later) - 1) * 1000 if later else 1 << 62
    fits = check_against_go(f"timerheap busy={busy} D={durations}",
                            fidelity_binaries["timerbatch"], [busy, *durations],
                            timerbatch_program(busy, durations), timerbatch_strings,
                            record_property, valid=lambda meta: meta["busy_end_us"] < limit_us)
    expired = sorted((d, g) for g, d in enumerate(durations) if d < busy)
    batch = [f"w{g}" for _, g in expired]
    rest = [f"w{g}" for _, g in sorted((d, g) for g, d in enumerate(durations) if d > busy)]
    for f in fits:
        wakes = [x for x in f.go_order if x[0] == "w"]
        assert wakes == batch[-1:] + batch[:-1] + rest


US = 3_000
MS = 3_000_000


def netpollstack_program(n, busy_ms):
    # the twin of tests/go/cmd/netpollstack: reader g parks in IO wait and its descriptor
    # becomes ready 100 us * (g + 1) later -- ready in the order main writes the pipes, all
    # before main's busy loop ends
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    for g in range(n):
        r = prog.func(f"reader{g}")
        r.mark(f"r{g}")
        r.net_wait(100 * US * (g + 1))
        r.mark(f"w{g}")
        r.wg_done(wg)
        main.go(f"reader{g}")
    main.gosched()
    main.mark("b")
    main.compute(busy_ms * MS)
    main.mark("e")
    main.wg_wait(wg)
    return prog


@pytest.mark.parametrize("n", [2, 4, 7])
def test_netpoll_returns_a_stack(fidelity_binaries, record_property, n):
    busy = 2
    fits = check_against_go(f"netpollstack N={n} busy={busy}", fidelity_binaries["netpollstack"],
                            [n, busy], netpollstack_program(n, busy), timerbatch_strings,
                            record_property,
                            valid=lambda meta: meta["busy_end_us"] < 8_000)   # before sysmon
    for f in fits:
        wakes = [x for x in f.go_order if x[0] == "w"]
        assert wakes == [f"w{g}" for g in reversed(range(n))]


def mutexcount_program(n):
    # the twin of tests/go/cmd/mutexcount, line for line
    prog = gc.Program()
    mu = prog.mutex("mu")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    for r in range(n):
        for k in (1, 2):
            g = 2 * r + k
            f = prog.func(f"locker{g}")
            f.mark(f"a{g}").lock(mu).mark(f"l{g}").unlock(mu).wg_done(wg)
        main.wg_add(wg, 2).lock(mu).go(f"locker{2 * r + 1}").gosched().mark("u").unlock(mu)
        main.lock(mu).go(f"locker{2 * r + 2}").gosched().mark("u").unlock(mu).wg_wait(wg)
    return prog


@pytest.mark.parametrize("n", [1, 3])
def test_mutex_newcomer_takes_the_semaphore_count(fidelity_binaries, record_property, n):
    fits = check_against_go(f"mutexcount N={n}", fidelity_binaries["mutexcount"], [n],
                            mutexcount_program(n), timerbatch_strings, record_property)
    for f in fits:
        got = [x for x in f.go_order if x[0] == "l"]
        assert got == [f"l{2 * r + k}" for r in range(n) for k in (2, 1)]
