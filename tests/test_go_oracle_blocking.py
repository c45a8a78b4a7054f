"""Real Go agrees on blocking operations: channels, sync.Mutex, Gosched and time.Sleep.

Same protocol as tests/test_go_oracle.py (read its docstring): each program under
tests/go/cmd/<name>/main.go is built once per session with the installed toolchain and run
several times with GOMAXPROCS=1 GOGC=off.  The programs record into a preallocated array
through an atomic index and print from main at the end.  The same program is written in
gmpcore's DSL; for every distinct order Go produces, the test searches start_schedtick in
0..60 (init_goroutines=1: the finalizer goroutine sits in runnext when main starts) for one
that makes gmpcore's order of marks equal Go's exactly, and asserts that one exists.  When the
global queue is not involved every value fits.

The marks carry more than goroutine identity here: the value a goroutine received (column
`value`) and the loop iteration, so a test fails if the right goroutine runs but receives the
wrong value.

Cases (the Go semantics each one exercises):

* pingpong   -- unbuffered send/recv hand-off (chan.go send()/recv(): the value is copied
                straight to the parked peer, which goready puts in the waker's runnext);
* workerpool -- a buffered (and an unbuffered) channel drained by workers that `range` over
                it; the buffer fills, main parks on sendq, a receiver takes the buffer head and
                moves the parked sender's value to the tail; close() wakes the parked workers;
* goschedrr  -- Gosched round-robin through the global queue (schedtick % 61 matters);
* mutexyield -- a contended sync.Mutex whose holder calls Gosched: waiters park on the
                semaphore, Unlock wakes one (runnext), the unlocker barges back in, and the woken
                waiter re-queues at the front (lifo) -- all in normal mode, far below 1 ms;
* mutexsleep -- a sync.Mutex held across a 2 ms time.Sleep: waiters wait > 1 ms, so the
                mutex enters starvation mode (Unlock hands it to the front waiter with goyield,
                newcomers queue at the tail) and leaves it when the last waiter gets it;
* closewake  -- close() of a channel with N parked receivers: all get the zero value, readied
                from closechan's gList (a stack) into runnext one after the other;
* sleepwake  -- time.Sleep with distinct durations (>= 2 ms apart): wake order, timers run by
                findRunnable and the M blocked in netpoll until the next timer;
* timerbatch -- timers that all expire while the only P is busy: the next findRunnable runs
                them in deadline order, each goready into runnext, so the latest runs first.
"""
from __future__ import annotations

import pytest

import gmpcore as gc
from go_oracle import build_for_session, by_values, check_against_go, emulate, marks
from helpers import MS

pytestmark = pytest.mark.go

PROGRAMS = ("pingpong", "workerpool", "goschedrr", "mutexyield", "mutexsleep", "sleepwake",
            "timerbatch", "closewake")


@pytest.fixture(scope="session")
def go_cmd_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle-blocking")


# -- 1. unbuffered ping-pong between pairs ----------------------------------------------------
def pingpong_program(pairs, k):
    """tests/go/cmd/pingpong, line for line: a channel pair made per loop iteration and
    passed to one pinger and one ponger function (DSL arguments and channel values)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")

    pinger = prog.func("pinger", "i", "ping chan", "pong chan")  # func pinger(i int, ping, pong chan int64)
    i, ping, pong = pinger.params
    with pinger.loop(k) as it:                  # for it := 0; it < k; it++ {
        pinger.send(ping, it)                   #     ping <- int64(it)
        v = pinger.recv(pong, into="v")         #     v := <-pong
        pinger.mark("a", i, it, v)              #     recorder.Add('a', int64(i), int64(it), v)
    pinger.wg_done(wg)                          # wg.Done()

    ponger = prog.func("ponger", "i", "ping chan", "pong chan")
    i, ping, pong = ponger.params
    with ponger.loop(k) as it:                  # for it := 0; it < k; it++ {
        v = ponger.recv(ping, into="v")         #     v := <-ping
        ponger.mark("b", i, it, v)              #     recorder.Add('b', int64(i), int64(it), v)
        ponger.send(pong, v)                    #     pong <- v
    ponger.wg_done(wg)

    main = prog.func("main")
    main.wg_add(wg, 2 * pairs)                  # wg.Add(2 * pairs)
    with main.loop(pairs) as i:                 # for i := 0; i < pairs; i++ {
        ping = main.make_chan("ping")           #     ping, pong := make(chan int64), make(chan int64)
        pong = main.make_chan("pong")
        main.go(pinger, i, ping, pong)          #     go pinger(i, ping, pong)
        main.go(ponger, i, ping, pong)          #     go ponger(i, ping, pong)
    main.wg_wait(wg)                            # wg.Wait()
    return prog


def pingpong_strings(res):
    # the Go program's Print: fmt.Sprintf("%c%d.%d.%d", r.Kind, r.A, r.B, r.C)
    return by_values(lambda kind, a, b, c: f"{kind}{a}.{b}.{c}")(res)


@pytest.mark.parametrize("pairs,k", [(1, 5), (3, 4), (8, 10), (200, 3)])
def test_pingpong_pairs(go_cmd_binaries, record_property, pairs, k):
    fits = check_against_go(f"pingpong pairs={pairs} k={k}", go_cmd_binaries["pingpong"],
                            [pairs, k], pingpong_program(pairs, k), pingpong_strings,
                            record_property)
    for f in fits:
        assert len(f.go_order) == 2 * pairs * k
        # every message arrives, with its value, in order within each pair
        assert sorted(f.go_order) == sorted(f"{s}{i}.{it}.{it}" for s in "ab"
                                            for i in range(pairs) for it in range(k))


# -- 2. a worker pool reading a buffered channel ----------------------------------------------
def workerpool_program(workers, n, cap):
    """tests/go/cmd/workerpool, line for line: the jobs channel is made in main and passed to
    each worker with its number (DSL arguments and channel values)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")

    worker = prog.func("worker", "w", "jobs chan")   # func worker(w int, jobs chan int64)
    w, jobs = worker.params
    with worker.range(jobs) as v:               # for v := range jobs {
        worker.mark("w", w, v)                  #     recorder.Add('w', int64(w), v, 0)
    worker.wg_done(wg)                          # wg.Done()

    main = prog.func("main")
    jobs = main.make_chan("jobs", cap=cap)      # jobs := make(chan int64, c)
    main.wg_add(wg, workers)                    # wg.Add(w)
    with main.loop(workers) as i:               # for i := 0; i < w; i++ {
        main.go(worker, i, jobs)                #     go worker(i, jobs)
    with main.loop(n) as j:                     # for j := 0; j < n; j++ {
        main.send(jobs, j)                      #     jobs <- int64(j)
        main.mark("m", 0, j)                    #     recorder.Add('m', 0, int64(j), 0)
    main.close(jobs)                            # close(jobs)
    main.mark("c")                              # recorder.Add('c', 0, 0, 0)
    main.wg_wait(wg)                            # wg.Wait()
    return prog


def workerpool_strings(res):
    # the Go program's Print
    return by_values(lambda kind, a, b, c: {"w": f"w{a}.{b}", "m": f"m.{b}", "c": "c"}[kind])(res)


@pytest.mark.parametrize("workers,jobs,cap", [(3, 10, 2), (4, 30, 0), (4, 30, 8), (8, 100, 16),
                                              (2, 20, 100), (300, 600, 10)])
def test_worker_pool(go_cmd_binaries, record_property, workers, jobs, cap):
    fits = check_against_go(f"workerpool W={workers} N={jobs} cap={cap}",
                            go_cmd_binaries["workerpool"], [workers, jobs, cap],
                            workerpool_program(workers, jobs, cap), workerpool_strings,
                            record_property)
    for f in fits:
        got = sorted(int(s.split(".")[1]) for s in f.go_order if s.startswith("w"))
        assert got == list(range(jobs))           # every job received exactly once
        assert f.go_order.count("c") == 1


# -- 3. Gosched round-robin -------------------------------------------------------------------
def goschedrr_program(n, k):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("looper", times=n)
    main.wg_wait(wg)
    lp = prog.func("looper")
    with lp.loop(k):
        lp.mark("g")
        lp.gosched()
    lp.wg_done(wg)
    return prog


def goschedrr_strings(res):
    return [f"g{si}.{it}" for _, si, it, _ in marks(res)]


@pytest.mark.parametrize("n,k", [(3, 3), (10, 5), (100, 4), (300, 3)])
def test_gosched_round_robin(go_cmd_binaries, record_property, n, k):
    fits = check_against_go(f"goschedrr N={n} K={k}", go_cmd_binaries["goschedrr"], [n, k],
                            goschedrr_program(n, k), goschedrr_strings, record_property)
    for f in fits:
        assert len(f.go_order) == n * k


# -- 4. a contended sync.Mutex whose holder yields --------------------------------------------
def mutexyield_program(g, k):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    mu = prog.mutex("mu")
    main = prog.func("main")
    main.wg_add(wg, g)
    main.go("locker", times=g)
    main.wg_wait(wg)
    lk = prog.func("locker")
    with lk.loop(k):
        lk.lock(mu)
        lk.mark("l")
        lk.gosched()
        lk.mark("u")
        lk.unlock(mu)
    lk.wg_done(wg)
    return prog


def mutexyield_strings(res):
    return [f"{label}{si}.{it}" for label, si, it, _ in marks(res)]


@pytest.mark.parametrize("g,k", [(2, 3), (3, 2), (5, 4), (50, 3)])
def test_mutex_holder_yields(go_cmd_binaries, record_property, g, k):
    prog = mutexyield_program(g, k)
    # the whole run must stay in normal mode (starvation needs a 1 ms wait), in gmpcore too
    assert emulate(prog, 0).summary["emulated_ns"] < 500_000
    fits = check_against_go(f"mutexyield G={g} K={k}", go_cmd_binaries["mutexyield"], [g, k],
                            prog, mutexyield_strings, record_property,
                            valid=lambda meta: meta["elapsed_us"] < 800)
    for f in fits:
        order = f.go_order
        assert len(order) == 2 * g * k
        # mutual exclusion in Go itself: every l<g>.<it> is followed by its u<g>.<it>
        assert all(order[i + 1] == "u" + order[i][1:] for i in range(0, len(order), 2))


# -- 5. time.Sleep with distinct durations ----------------------------------------------------
def sleepwake_program(reps, durations_ms):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(durations_ms))
    for g, d in enumerate(durations_ms):
        s = prog.func(f"sleeper{g}")
        s.mark(f"s{g}")
        with s.loop(reps):
            s.sleep(d * MS)
            s.mark(f"w{g}")
        s.wg_done(wg)
        main.go(f"sleeper{g}")
    main.wg_wait(wg)
    return prog


def sleepwake_strings(res):
    return [label if label[0] == "s" else f"{label}.{it}" for label, _, it, _ in marks(res)]


# Deadlines >= 3 ms apart, also once each sleep is ~1 ms late (the Go binary's timers wake
# through epoll_wait with a millisecond timeout, and the lateness adds up over repeated sleeps)
@pytest.mark.parametrize("reps,durations", [
    (1, [12, 3, 21, 6, 15, 9, 18, 24]),         # one sleep each, 3 ms apart: wake sorted
    (2, [4, 14, 18]),                           # wakes at 4,8 / 14,28 / 18,36 ms
    (3, [4, 19, 23]),                           # 4,8,12 / 19,38,57 / 23,46,69 ms
])
def test_sleep_wake_order(go_cmd_binaries, record_property, reps, durations):
    prog = sleepwake_program(reps, durations)
    fits = check_against_go(f"sleepwake R={reps} D={durations}", go_cmd_binaries["sleepwake"],
                            [reps, *durations], prog, sleepwake_strings, record_property,
                            valid=lambda meta: meta["min_gap_us"] >= 1000)
    # the expected wake order, independently of both: by wake time r * d
    wakes = sorted(((r + 1) * d, f"w{g}.{r}") for g, d in enumerate(durations)
                   for r in range(reps))
    times = [t for t, _ in wakes]
    assert all(b - a >= 3 for a, b in zip(times, times[1:])), "deadlines < 3 ms apart"
    for f in fits:
        assert [s for s in f.go_order if s[0] == "w"] == [w for _, w in wakes]
    res = emulate(prog, 0)
    assert res.summary["emulated_ns"] == pytest.approx(max(times) * 1e6, rel=0.01)


# -- 4b. a sync.Mutex held across time.Sleep: starvation mode ----------------------------------
def mutexsleep_program(g, k, hold_ms):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    mu = prog.mutex("mu")
    main = prog.func("main")
    main.wg_add(wg, g)
    main.go("locker", times=g)
    main.wg_wait(wg)
    lk = prog.func("locker")
    with lk.loop(k):
        lk.lock(mu)
        lk.mark("l")
        lk.sleep(hold_ms * MS)
        lk.mark("u")
        lk.unlock(mu)
    lk.wg_done(wg)
    return prog


@pytest.mark.parametrize("g,k", [(2, 4), (3, 3), (4, 3)])
def test_mutex_starvation_handoff(go_cmd_binaries, record_property, g, k):
    fits = check_against_go(f"mutexsleep G={g} K={k} D=2ms", go_cmd_binaries["mutexsleep"],
                            [g, k, 2], mutexsleep_program(g, k, 2), mutexyield_strings,
                            record_property)
    for f in fits:
        holders = [s[1:].split(".")[0] for s in f.go_order[::2]]
        # normal mode alone would let the first holder barge through all its k iterations;
        # starvation mode hands the mutex to a waiter after the holder's second turn
        assert holders[:k] != [holders[0]] * k


# -- 6. close wakes every parked receiver --------------------------------------------------------
def closewake_program(n):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ch = prog.chan("ch")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("receiver", times=n)
    main.sleep(MS)
    main.close(ch)
    main.mark("c")
    main.wg_wait(wg)
    r = prog.func("receiver")
    r.mark("s")
    r.recv(ch)
    r.mark("r")
    r.wg_done(wg)
    return prog


def closewake_strings(res):
    return [{"s": f"s{si}", "r": f"r{si}.{v}", "c": "c"}[label]
            for label, si, _, v in marks(res)]


@pytest.mark.parametrize("n", [1, 5, 100, 300])
def test_close_wakes_receivers(go_cmd_binaries, record_property, n):
    fits = check_against_go(f"closewake N={n}", go_cmd_binaries["closewake"], [n],
                            closewake_program(n), closewake_strings, record_property)
    for f in fits:
        order = list(f.go_order)
        parked = [s[1:] for s in order if s[0] == "s"]
        woken = [s[1:].split(".")[0] for s in order if s[0] == "r"]
        assert order.index("c") == n                       # all parked before the close
        assert all(s.endswith(".0") for s in order if s[0] == "r")   # zero values
        # closechan's stack + runnext: the first parked runs first, then last parked first
        if n <= 128:
            assert woken == parked[:1] + parked[:0:-1]


# -- 5b. timers that expire while the P is busy ---------------------------------------------------
def timerbatch_program(busy_ms, durations_ms):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(durations_ms))
    for g, d in enumerate(durations_ms):
        s = prog.func(f"sleeper{g}")
        s.mark(f"s{g}")
        s.sleep(d * MS)
        s.mark(f"w{g}")
        s.wg_done(wg)
        main.go(f"sleeper{g}")
    main.gosched()
    main.mark("b")
    main.compute(busy_ms * MS)
    main.mark("e")
    main.wg_wait(wg)
    return prog


def timerbatch_strings(res):
    return res.marks["label"].tolist()


@pytest.mark.parametrize("busy,durations", [(6, [1, 2, 3]), (6, [3, 1, 4, 2]),
                                            (4, [1, 2, 3, 30])])
def test_timers_expired_while_busy(go_cmd_binaries, record_property, busy, durations):
    later = [d for d in durations if d > busy]
    limit_us = (min(later) - 1) * 1000 if later else 1 << 62
    fits = check_against_go(f"timerbatch busy={busy} D={durations}",
                            go_cmd_binaries["timerbatch"], [busy, *durations],
                            timerbatch_program(busy, durations), timerbatch_strings,
                            record_property, valid=lambda meta: meta["busy_end_us"] < limit_us)
    expired = sorted((d, g) for g, d in enumerate(durations) if d < busy)
    batch = [f"w{g}" for _, g in expired]
    for f in fits:
        wakes = [x for x in f.go_order if x[0] == "w"]
        # the latest expired timer's goroutine runs first, then the others in deadline order
        assert wakes[:len(batch)] == batch[-1:] + batch[:-1]
