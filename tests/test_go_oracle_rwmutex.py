"""Real Go agrees on sync.RWMutex (sync/rwmutex.go over runtime/sema.go and the writer's
internal/sync/mutex.go).

Same protocol as tests/test_go_oracle_blocking.py (read its docstring), through the shared
harness tests/go_oracle.py: each program under tests/go/cmd/<name>/main.go is built once
per session and run several times with GOMAXPROCS=1 GOGC=off; the same program is written with
gmpcore's `rlock`/`runlock`/`lock`/`unlock` on a `Program.rwmutex`; for every distinct order Go
produces, some start_schedtick in 0..60 must make gmpcore's marks equal Go's exactly.

The programs print "#elapsed_us N" last; a run is kept only if it took < 800 us, so no writer
waited 1 ms for the writer mutex (which would switch it to starvation mode) and sysmon never
had a 10 ms time slice to preempt (go_oracle.run_go).

Cases (the Go semantics each one exercises):

* rwmutexmix   -- readers and writers started by main (with Gosched between some of them),
                  each holding its lock across Gosched: readers share the lock; a writer takes
                  the writer mutex, announces itself (readerCount -= rwmutexMaxReaders) and parks
                  on writerSem until the last reader inside leaves (rUnlockSlow's semrelease
                  readies it into runnext); readers that arrive meanwhile park on readerSem,
                  and Unlock releases them FIFO, each semrelease readying into the unlocker's
                  runnext (so the last one released runs first, the others from the ring tail),
                  then the writer mutex's Unlock wakes the next writer into runnext in front of
                  all of them; writers contend on the writer mutex in normal mode (a woken
                  writer re-queues at the front when the unlocker barged back in).
* rwmutexsteal -- a reader that arrives (behind a second pending writer) while readers released
                  by Unlock have been readied but have not run yet: the semaphore count the
                  releases left behind is up for grabs, so the newcomer's semacquire1 takes
                  it on its fast path (cansemacquire) and reads at once, and a released reader
                  that finds no count queues again (test_go_reader_steals_released_count pins
                  Go's side).  The same steal shows in two rwmutexmix cases.
* rwmutexgomaxprocs -- runtime.GOMAXPROCS(1) at GOMAXPROCS=1 inside read and write sections
                  (runtime/debug.go returns at once when n is the current value), and
                  GOMAXPROCS(2 or 4) then GOMAXPROCS(1) from main while nothing else is
                  runnable (two stop-the-worlds, procresize keeps main's P0): no change to the
                  order.  Growing GOMAXPROCS while goroutines are queued is not covered: the
                  new P's spinning M steals from P0 in parallel, a race with main's next call.

All cases were seen with one order only in 20 runs of the Go program.
"""
from __future__ import annotations

import pytest

import gmpcore as gc
import go_oracle as oracle
from go_oracle import build_for_session, check_against_go, emulate, marks, run_go

pytestmark = pytest.mark.go

PROGRAMS = ("rwmutexmix", "rwmutexsteal", "rwmutexgomaxprocs")


def clean(meta):
    return meta["elapsed_us"] < 800


@pytest.fixture(scope="session")
def go_rwmutex_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle-rwmutex")


# -- 1. readers and writers, each holding the lock across Gosched ---------------------------------
def rwmutexmix_program(pattern, k, hold, after):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    rw = prog.rwmutex("rw")
    main = prog.func("main")
    main.wg_add(wg, sum(c in "rw" for c in pattern))
    for g, c in enumerate(pattern):
        if c == ".":
            main.gosched()
            continue
        f = prog.func(f"g{g}")
        enter, leave = ("r", "q") if c == "r" else ("w", "u")
        with f.loop(k):
            if c == "r":
                f.rlock(rw)
            else:
                f.lock(rw)
            f.mark(f"{enter}{g}")
            for _ in range(hold):
                f.gosched()
            f.mark(f"{leave}{g}")
            if c == "r":
                f.runlock(rw)
            else:
                f.unlock(rw)
            for _ in range(after):
                f.gosched()
        f.wg_done(wg)
        main.go(f"g{g}")
    main.wg_wait(wg)
    return prog


def rwmutexmix_strings(res):
    return [f"{label}.{it}" for label, _, it, _ in marks(res)]


def check_exclusion(order):
    """RWMutex semantics in the order itself: a writer is alone inside, readers share."""
    readers, writer = set(), None
    for s in order:
        kind, who = s[0], s[1:]
        if kind == "r":
            assert writer is None, order
            readers.add(who)
        elif kind == "q":
            readers.remove(who)
        elif kind == "w":
            assert writer is None and not readers, order
            writer = who
        else:
            assert writer == who, order
            writer = None


MIX_CASES = [
    ("rrw", 1, 1, 0),          # two readers inside, Gosched: the writer arrives and waits
    ("rrw.rr", 1, 1, 0),       # ... and readers started after it queue behind it
    ("rr.w.rr", 2, 1, 0),      # round 2: a newcomer steals a released count (see below)
    ("ww", 3, 1, 0),           # two writers: the writer mutex in normal mode
    ("www", 2, 1, 1),          # three writers, yielding after Unlock too
    ("rwrwr", 2, 1, 0),        # alternating readers and writers
    ("rrwrr", 3, 2, 1),        # a writer among four readers, two yields inside
    ("rw.rw.r", 2, 1, 1),      # staggered starts: a newcomer steals
    ("rrrrrrrrw.rrrr", 2, 1, 1),   # many readers released by one Unlock
]


@pytest.mark.parametrize("pattern,k,hold,after", MIX_CASES)
def test_readers_and_writers(go_rwmutex_binaries, record_property, pattern, k, hold, after):
    prog = rwmutexmix_program(pattern, k, hold, after)
    # far below the 1 ms that would switch the writer mutex to starvation mode, in gmpcore too
    assert emulate(prog, 0).summary["emulated_ns"] < 500_000
    fits = check_against_go(f"rwmutexmix {pattern} K={k} hold={hold} after={after}",
                            go_rwmutex_binaries["rwmutexmix"], [pattern, k, hold, after], prog,
                            rwmutexmix_strings, record_property, valid=clean)
    n = sum(c in "rw" for c in pattern)
    for f in fits:
        assert len(f.go_order) == 2 * n * k
        check_exclusion(f.go_order)


# -- 2. a newcomer takes the count of a released reader that has not run yet ----------------------
def rwmutexsteal_program(r):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    rw = prog.rwmutex("rw")
    main = prog.func("main")
    main.wg_add(wg, r + 3)
    main.lock(rw)
    main.mark("w0")
    main.go("first")
    for i in range(1, r + 1):
        rd = prog.func(f"reader{i}")
        rd.rlock(rw).mark(f"r{i}").mark(f"q{i}").runlock(rw).wg_done(wg)
        main.go(f"reader{i}")
    main.go("writer")
    main.gosched()
    main.mark("u0")
    main.unlock(rw)
    main.wg_wait(wg)
    first = prog.func("first")
    first.rlock(rw).mark("r0").go("late").mark("q0").runlock(rw).wg_done(wg)
    late = prog.func("late")
    late.rlock(rw).mark("rL").mark("qL").runlock(rw).wg_done(wg)
    w = prog.func("writer")
    w.lock(rw).mark("w1").mark("u1").unlock(rw).wg_done(wg)
    return prog


def rwmutexsteal_strings(res):
    return res.marks["label"].tolist()


def steal_order(r, stolen):
    """The order of marks in rwmutexsteal R, by hand.  main's Unlock releases first, reader1..R
    (each semrelease readying into runnext: first..reader<R-1> end up on the ring, reader<R> in
    runnext) and then the writer mutex's Unlock readies the writer into runnext in front of
    them; the writer takes the writer mutex, finds R + 1 readers counted in and parks on
    writerSem; first reads and starts late, which runs when first is done.
    stolen=True (Go): late's RLock finds readerCount < 0 and calls semacquire1, whose
    cansemacquire takes one of the R counts the releases left on readerSem; late reads at once,
    and the released readers read after it, the last one out readying the writer.
    stolen=False (a model without the count): late parks on readerSem, the released readers read, the last one out
    readies the writer, whose Unlock releases late."""
    readers = [f"{x}{i}" for i in range(1, r + 1) for x in "rq"]
    if r == 0:                       # nobody left to steal from: the writer goes first
        return ["w0", "u0", "r0", "q0", "w1", "u1", "rL", "qL"]
    if stolen:
        return ["w0", "u0", "r0", "q0", "rL", "qL", *readers[:-2], "w1", "u1", *readers[-2:]]
    return ["w0", "u0", "r0", "q0", *readers, "w1", "u1", "rL", "qL"]


@pytest.mark.parametrize("r", [0, 1, 2, 4])
def test_go_reader_steals_released_count(go_rwmutex_binaries, r):
    """Go's side of the next test: the newcomer reads before the released readers."""
    orders, _ = run_go(go_rwmutex_binaries["rwmutexsteal"], [r], valid=clean)
    assert set(orders) == {tuple(steal_order(r, stolen=True))}, orders


@pytest.mark.parametrize("r", [0, 1, 2, 4])
def test_reader_steals_released_count(go_rwmutex_binaries, record_property, r):
    prog = rwmutexsteal_program(r)
    # gmpcore models the semaphore's count: the newcomer steals a released reader's count, as
    # in Go (at start_schedtick 0 main's Gosched comes straight back off the global queue and
    # unlocks before anyone parks: another order, without a steal)
    emu = {tuple(rwmutexsteal_strings(emulate(prog, st)))
           for st in range(oracle.SCHEDTICK_PERIOD)}
    assert tuple(steal_order(r, stolen=True)) in emu
    if r:
        assert tuple(steal_order(r, stolen=False)) not in emu
    check_against_go(f"rwmutexsteal R={r}", go_rwmutex_binaries["rwmutexsteal"], [r], prog,
                     rwmutexsteal_strings, record_property, valid=clean)


# -- 3. runtime.GOMAXPROCS(n) from main and from inside read sections -----------------------------
def rwmutexgomaxprocs_program(up, g, k):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    rw = prog.rwmutex("rw")
    main = prog.func("main")
    if up != 1:
        main.gomaxprocs(up)
        main.gomaxprocs(1)
    main.wg_add(wg, g + 1)
    main.go("reader", times=g)
    main.go("writer")
    main.wg_wait(wg)
    rd = prog.func("reader")
    with rd.loop(k):
        rd.rlock(rw).mark("r").gomaxprocs(1).gosched().mark("q").runlock(rw)
    rd.wg_done(wg)
    w = prog.func("writer")
    w.lock(rw).mark("w").gomaxprocs(1).mark("u").unlock(rw).wg_done(wg)
    return prog


def rwmutexgomaxprocs_strings(res):
    return [f"{label}{si if label in 'rq' else 0}.{it if label in 'rq' else 0}"
            for label, si, it, _ in marks(res)]


@pytest.mark.parametrize("up,g,k", [(1, 3, 2), (2, 3, 2), (4, 5, 3)])
def test_gomaxprocs_calls(go_rwmutex_binaries, record_property, up, g, k):
    """GOMAXPROCS(1) at 1 returns at once (runtime/debug.go: n == ret, no stop-the-world);
    GOMAXPROCS(up) then GOMAXPROCS(1) while main is the only runnable goroutine stops and
    restarts the world twice and leaves main on P0 with its (empty) run queue: the order is the
    one without the calls -- the writer started last runs first (runnext) and waits for
    nobody, then the readers share the lock, yielding through the global queue."""
    prog = rwmutexgomaxprocs_program(up, g, k)
    fits = check_against_go(f"rwmutexgomaxprocs UP={up} G={g} K={k}",
                            go_rwmutex_binaries["rwmutexgomaxprocs"], [up, g, k], prog,
                            rwmutexgomaxprocs_strings, record_property, valid=clean)
    for f in fits:
        assert f.go_order[:2] == ("w0.0", "u0.0")
        assert len(f.go_order) == 2 * g * k + 2
