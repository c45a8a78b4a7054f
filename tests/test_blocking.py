"""Blocking operations: channels, sync.Mutex, time.Sleep; deadlock and leak reports; panics.

What Go guarantees (runtime/chan.go, internal/sync/mutex.go, runtime/time.go) checked on
emulated runs, mostly on several Ps and with ``check_every=1`` (the native checker verifies
every scheduler and channel invariant after every micro-step):

* a program whose goroutines are all blocked ends with status 'deadlock' and Go's fatal error,
  and Result.blocked names every goroutine with its wait reason and the object it waits on;
* a program whose main returns while goroutines are blocked reports exactly those (leaks);
* Go's panics raise gmpcore.ProgramError with Go's message;
* channels: FIFO order (buffer and parked senders), close wakes every receiver with the zero
  value, `range` drains the buffer and ends on close, unbuffered hand-off values;
* sync.Mutex: mutual exclusion; starvation mode (observable: a waiter is never kept out for
  much more than 1 ms by a holder that keeps re-locking);
* time.Sleep wakes no earlier than its duration (and, with idle Ps, not much later);
* random programs with blocking operations (hypothesis) keep every invariant and end with
  'ok' or 'deadlock' (max_events is only a guard: it would fail the test); random well-formed
  pipelines deliver every value exactly once, keep mutual exclusion and are deterministic.

The exact orders against the real Go runtime are in tests/test_go_oracle_blocking.py.
"""
from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gmpcore as gc
from helpers import MS, US, blocked_rows, run, run_unguarded

DEADLOCK = "fatal error: all goroutines are asleep - deadlock!"


def goid_of(res, label):
    g = res.marks.loc[res.marks["label"] == label, "goid"].unique()
    assert len(g) == 1, (label, g)
    return int(g[0])


# ================================================================================================
# Deadlock
# ================================================================================================
def deadlock_program():
    prog = gc.Program()
    wg = prog.waitgroup("done")
    mu = prog.mutex("mu")
    out, inp = prog.chan("out"), prog.chan("in", cap=2)
    main = prog.func("main")
    main.lock(mu)                      # held for good: the lockers block
    main.go("locker", times=2)
    main.go("sender")
    main.go("receiver")
    main.go("finisher")
    main.wg_add(wg, 1)
    main.sleep(MS)                     # everyone reaches its blocking point
    main.mark("main")
    main.wg_wait(wg)                   # nobody calls Done
    lk = prog.func("locker")
    lk.mark("locker")
    lk.lock(mu)
    s = prog.func("sender")
    s.mark("sender")
    s.send(out, 7)                     # unbuffered, nobody receives
    r = prog.func("receiver")
    r.mark("receiver")
    r.recv(inp)                        # buffered and empty, nobody sends
    f = prog.func("finisher")
    f.mark("finisher")                 # exits: not part of the report
    return prog


@pytest.mark.parametrize("procs", [1, 2, 8])
def test_deadlock_status_and_wait_reasons(procs):
    res = run(deadlock_program(), procs)
    assert res.status == "deadlock"
    assert res.status_message == DEADLOCK
    rows = blocked_rows(res)
    lockers = res.marks.loc[res.marks["label"] == "locker", "goid"].tolist()
    assert len(lockers) == 2
    expect = {1: ("main", "sync.WaitGroup.Wait"),
              lockers[0]: ("locker", "sync.Mutex.Lock"),
              lockers[1]: ("locker", "sync.Mutex.Lock"),
              goid_of(res, "sender"): ("sender", "chan send"),
              goid_of(res, "receiver"): ("receiver", "chan receive")}
    assert {g: r[:2] for g, r in rows.items()} == expect
    assert goid_of(res, "finisher") not in rows
    assert rows[lockers[0]][2] == "mu"
    assert rows[goid_of(res, "sender")][2] == "out"
    assert rows[goid_of(res, "receiver")][2] == "in"
    # Go's deadlock is declared when the last goroutine blocks: right after main's Wait
    t_main = int(res.marks.loc[res.marks["label"] == "main", "time_cycles"].iloc[0])
    assert res.summary["emulated_cycles"] - t_main < 100 * US
    report = res.blocked_report()
    assert DEADLOCK in report
    for line in ("2 @ [sync.Mutex.Lock] main.locker on mu", "[chan send] main.sender on out",
                 "[chan receive] main.receiver on in", "[sync.WaitGroup.Wait] main.main"):
        assert line in report, report
    assert res.summary["goroutines_live"] == 5


def test_deadlock_report_names_the_waitgroup():
    res = run(deadlock_program(), 2)
    assert blocked_rows(res)[1] == ("main", "sync.WaitGroup.Wait", "done")


def test_no_deadlock_while_a_timer_is_pending():
    # main blocks for good, but a goroutine sleeps: Go only declares the deadlock once that
    # goroutine has woken up and exited (a pending timer keeps the program alive)
    prog = gc.Program()
    ch = prog.chan("never")
    main = prog.func("main")
    main.go("napper")
    main.recv(ch)
    n = prog.func("napper")
    n.sleep(3 * MS)
    n.mark("woke")
    for procs in (1, 4):
        res = run(prog, procs)
        assert res.status == "deadlock", procs
        assert res.summary["emulated_cycles"] >= 3 * MS
        assert res.marks["label"].tolist() == ["woke"]
        assert blocked_rows(res) == {1: ("main", "chan receive", "never")}


def test_self_deadlock_on_mutex_and_main_alone():
    prog = gc.Program()
    mu = prog.mutex("mu")
    prog.func("main").lock(mu).lock(mu)          # Lock twice: fatal error, deadlock
    res = run(prog, 2)
    assert res.status == "deadlock"
    assert blocked_rows(res) == {1: ("main", "sync.Mutex.Lock", "mu")}

    prog = gc.Program()
    ch = prog.chan("c")
    prog.func("main").send(ch, 1)                # unbuffered send with no receiver
    res = run(prog, 1)
    assert res.status == "deadlock" and res.status_message == DEADLOCK
    assert blocked_rows(res) == {1: ("main", "chan send", "c")}


# ================================================================================================
# Leaks: main returns while goroutines are blocked
# ================================================================================================
@pytest.mark.parametrize("procs", [1, 4])
def test_leak_pipeline_consumer_stops_early(procs):
    # gen -> nums -> square -> sqs -> main, which takes 3 values and returns
    prog = gc.Program()
    nums, sqs = prog.chan("nums"), prog.chan("sqs")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 1)
    main.go("gen")
    main.go("square")
    main.go("bystander")
    with main.loop(3):
        main.recv(sqs)
        main.mark("got")
    main.wg_wait(wg)                      # the bystander finishes; it must not be reported
    gen = prog.func("gen")
    gen.mark("gen")
    with gen.loop(100):
        gen.send(nums, "iter")
    gen.close(nums)
    sq = prog.func("square")
    sq.mark("square")
    with sq.range(nums):
        sq.send(sqs, "val")
    by = prog.func("bystander")
    by.mark("bystander")
    by.sleep(10 * US)
    by.wg_done(wg)
    res = run_unguarded(prog, procs)
    assert res.status == "ok"
    got = res.marks[res.marks["label"] == "got"]
    assert got["value"].tolist() == [0, 1, 2]
    assert blocked_rows(res) == {goid_of(res, "gen"): ("gen", "chan send", "nums"),
                                 goid_of(res, "square"): ("square", "chan send", "sqs")}
    report = res.blocked_report()
    assert report.startswith("2 blocked goroutine(s) (main returned):"), report
    assert "[chan send] main.gen on nums" in report and "[chan send] main.square on sqs" in report


@pytest.mark.parametrize("procs", [1, 3])
def test_leak_sender_nobody_reads(procs):
    prog = gc.Program()
    results = prog.chan("results")
    buffered = prog.chan("buffered", cap=1)
    main = prog.func("main")
    main.go("leaker")
    main.go("fits")                       # its send fits in the buffer: not a leak
    main.go("worker", times=3)
    main.sleep(50 * US)
    lk = prog.func("leaker")
    lk.mark("leaker")
    lk.compute(1000)
    lk.send(results, 42)
    prog.func("fits").mark("fits").send(buffered, 1)
    prog.func("worker").compute(500).mark("w")
    res = run(prog, procs, machine=gc.Machine(procs=procs, init_goroutines=1))
    assert res.status == "ok" and res.status_message == "main returned"
    # exactly the leaker: not the finished goroutines, not the runtime's finalizer goroutine
    assert blocked_rows(res) == {goid_of(res, "leaker"): ("leaker", "chan send", "results")}
    assert len(res.marks[res.marks["label"] == "w"]) == 3
    t_mark = res.marks.loc[res.marks["label"] == "leaker", "time_ns"].iloc[0]
    since = res.blocked["since_ns"].iloc[0]
    assert t_mark <= since <= t_mark + 1000            # blocked since its send


def test_no_leak_no_report():
    prog = gc.Program()
    ch = prog.chan("ch")
    main = prog.func("main")
    main.go("child")
    main.recv(ch)
    prog.func("child").send(ch, 5)
    res = run(prog, 2)
    assert res.status == "ok"
    assert res.blocked.empty
    assert res.blocked_report() == "no blocked goroutines"


# ================================================================================================
# Panics
# ================================================================================================
def test_send_on_closed_channel_panics():
    prog = gc.Program()
    ch = prog.chan("jobs", cap=3)
    prog.func("main").send(ch, 1).close(ch).send(ch, 2)
    with pytest.raises(gc.ProgramError, match=r"^panic: send on closed channel \(channel 'jobs'\)"):
        run(prog, 2)


def test_close_of_closed_channel_panics():
    prog = gc.Program()
    ch = prog.chan("jobs")
    prog.func("main").close(ch).close(ch)
    with pytest.raises(gc.ProgramError, match=r"^panic: close of closed channel \(channel 'jobs'\)"):
        run(prog, 1)


def test_close_with_a_parked_sender_panics():
    # the sender is parked in chansend when the channel is closed: it panics when it resumes
    prog = gc.Program()
    ch = prog.chan("c")
    main = prog.func("main")
    main.go("sender")
    main.sleep(100 * US)
    main.close(ch)
    main.sleep(100 * US)
    prog.func("sender").send(ch, 1)
    with pytest.raises(gc.ProgramError, match=r"^panic: send on closed channel \(channel 'c'\)"):
        run(prog, 2)


def test_unlock_of_unlocked_mutex_is_fatal():
    prog = gc.Program()
    mu = prog.mutex("state")
    prog.func("main").lock(mu).unlock(mu).unlock(mu)
    with pytest.raises(gc.ProgramError,
                       match=r"^fatal error: sync: unlock of unlocked mutex \('state'\)"):
        run(prog, 1)


def test_receive_from_closed_channel_does_not_panic():
    prog = gc.Program()
    ch = prog.chan("c", cap=2)
    main = prog.func("main")
    main.send(ch, 8).close(ch)
    with main.loop(3):
        main.recv(ch)
        main.mark("v")
    res = run(prog, 1)
    assert res.status == "ok"
    assert res.marks["value"].tolist() == [8, 0, 0]      # the buffered value, then zeros


# ================================================================================================
# Channels
# ================================================================================================
@pytest.mark.parametrize("cap", [1, 4, 64])
def test_buffered_channel_fifo_single_goroutine(cap):
    prog = gc.Program()
    ch = prog.chan("c", cap=cap)
    main = prog.func("main")
    with main.loop(cap):
        main.send(ch, "iter")
    with main.loop(cap):
        main.recv(ch)
        main.mark("v")
    res = run(prog, 1)
    assert res.marks["value"].tolist() == list(range(cap))


@pytest.mark.parametrize("cap", [0, 1, 3])
def test_fifo_through_buffer_and_parked_senders(cap):
    # 8 senders each record, then send their index; the buffer fills and the rest park on
    # sendq.  The receiver starts late and must get the values in the order they were sent:
    # buffer first, then each parked sender's value moved to the buffer tail (chan.go recv()).
    prog = gc.Program()
    ch = prog.chan("c", cap=cap)
    main = prog.func("main")
    main.go("sender", times=8)
    main.sleep(100 * US)
    with main.loop(8):
        main.recv(ch)
        main.mark("r")
    s = prog.func("sender")
    s.mark("s")
    s.send(ch, "spawn")
    res = run(prog, 1)
    m = res.marks
    sent = m.loc[m["label"] == "s", "spawn_index"].tolist()
    got = m.loc[m["label"] == "r", "value"].tolist()
    assert sorted(sent) == list(range(8))
    assert got == sent


@pytest.mark.parametrize("procs,cap", [(2, 0), (4, 1), (4, 16), (8, 3)])
def test_fifo_per_receiver_on_many_ps(procs, cap):
    # one producer sends 0..N-1; several consumers: every value arrives exactly once and each
    # consumer sees an increasing sequence
    n = 400
    prog = gc.Program()
    ch = prog.chan("c", cap=cap)
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 5)
    main.go("consumer", times=5)
    with main.loop(n):
        main.send(ch, "iter")
    main.close(ch)
    main.wg_wait(wg)
    c = prog.func("consumer")
    with c.range(ch):
        c.mark("v")
        c.compute(gc.Exponential(300))
    c.wg_done(wg)
    res = run_unguarded(prog, procs)
    assert res.status == "ok"
    m = res.marks
    assert sorted(m["value"].tolist()) == list(range(n))
    for _, grp in m.groupby("goid"):
        v = grp["value"].tolist()
        assert v == sorted(v)
    assert len(m.groupby("goid")) >= 2 or procs == 1


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_unbuffered_handoff_values(procs):
    # a relay chain: main -> r0 -> r1 -> r2 -> main, each stage forwarding "val"
    prog = gc.Program()
    chans = [prog.chan(f"c{i}") for i in range(4)]
    main = prog.func("main")
    for i in range(3):
        main.go(f"relay{i}")
    with main.loop(50):
        main.send(chans[0], "iter")
        main.recv(chans[3])
        main.mark("back")
    for i in range(3):
        r = prog.func(f"relay{i}")
        with r.loop(50):
            r.recv(chans[i])
            r.mark(f"r{i}")
            r.send(chans[i + 1], "val")
    res = run(prog, procs)
    m = res.marks
    assert m.loc[m["label"] == "back", "value"].tolist() == list(range(50))
    for i in range(3):
        assert m.loc[m["label"] == f"r{i}", "value"].tolist() == list(range(50))
    # synchronous: relay i handles value v only after main sent it and before main got it back
    t = {(lab, int(v)): int(tc) for lab, v, tc in zip(m["label"], m["value"], m["time_cycles"])}
    for v in range(50):
        assert t[("r0", v)] <= t[("r1", v)] <= t[("r2", v)] <= t[("back", v)]
        if v:
            assert t[("back", v - 1)] <= t[("r0", v)]


@pytest.mark.parametrize("procs", [1, 4, 8])
def test_pingpong_handoffs_go_through_runnext(procs):
    # goready puts the readied peer in the waker's runnext and the waker parks right after:
    # each hand-off inherits the time slice (spec 9).  The only way the pair leaves its P is
    # a spinning M stealing runnext (on its last pass, after the 3 us back-off), which Go
    # does too when the same G is still in runnext: rare, one G at a time, from runnext.
    k = 200
    prog = gc.Program()
    ping, pong = prog.chan("ping"), prog.chan("pong")
    main = prog.func("main")
    main.go("ponger")
    with main.loop(k):
        main.send(ping, "iter")
        main.recv(pong)
        main.mark("a")
    b = prog.func("ponger")
    with b.loop(k):
        b.recv(ping)
        b.mark("b")
        b.send(pong, "val")
    res = run(prog, procs)
    m = res.marks
    assert m.loc[m["label"] == "a", "value"].tolist() == list(range(k))
    assert m.loc[m["label"] == "b", "value"].tolist() == list(range(k))
    s = res.summary
    assert s["executes_inherit"] >= 0.95 * s["executes"]
    st = res.steals
    assert len(st) <= k // 10
    assert st["runnext"].all() and (st["n"] == 1).all()
    assert m["p"].nunique() <= 1 + len(st)


@pytest.mark.parametrize("procs,cap", [(1, 0), (4, 0), (4, 2)])
def test_close_wakes_all_receivers_with_zero(procs, cap):
    n = 50
    prog = gc.Program()
    ch = prog.chan("c", cap=cap)
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("receiver", times=n)
    main.sleep(MS)                                   # all parked in <-ch
    main.mark("close")
    main.close(ch)
    main.wg_wait(wg)
    r = prog.func("receiver")
    r.recv(ch)
    r.mark("r")
    r.wg_done(wg)
    res = run(prog, procs)
    assert res.status == "ok"
    m = res.marks
    got = m[m["label"] == "r"]
    assert len(got) == n and set(got["spawn_index"]) == set(range(n))
    assert (got["value"] == 0).all()
    t_close = int(m.loc[m["label"] == "close", "time_cycles"].iloc[0])
    assert (got["time_cycles"] > t_close).all()           # nobody got past <-ch before close
    assert res.summary["parks"] >= n + 1                   # they really were parked


@pytest.mark.parametrize("procs", [1, 4])
def test_range_drains_buffer_and_ends_on_close(procs):
    prog = gc.Program()
    ch = prog.chan("c", cap=8)
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 1)
    with main.loop(5):
        main.send(ch, "iter")
    main.close(ch)                                   # closed with 5 values still buffered
    main.go("consumer")
    main.wg_wait(wg)
    c = prog.func("consumer")
    with c.range(ch):
        c.mark("v")
    c.mark("end")
    c.recv(ch)                                       # a closed, drained channel: zero at once
    c.mark("after")
    c.wg_done(wg)
    res = run_unguarded(prog, procs)
    assert res.status == "ok"
    assert [(lab, v) for lab, v in zip(res.marks["label"], res.marks["value"])] == \
        [("v", 0), ("v", 1), ("v", 2), ("v", 3), ("v", 4), ("end", 0), ("after", 0)]


def test_range_over_closed_empty_channel_runs_zero_times():
    prog = gc.Program()
    ch = prog.chan("c")
    main = prog.func("main")
    main.close(ch)
    with main.range(ch):
        main.mark("body")
    main.mark("end")
    res = run_unguarded(prog, 1)
    assert res.marks["label"].tolist() == ["end"]


@pytest.mark.parametrize("procs", [1, 4])
def test_range_ends_when_closed_while_parked(procs):
    # consumers park in range; the producer sends a few values, then closes: each range ends
    prog = gc.Program()
    ch = prog.chan("c")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 3)
    main.go("consumer", times=3)
    main.sleep(100 * US)
    with main.loop(7):
        main.send(ch, "iter")
    main.sleep(100 * US)
    main.close(ch)
    main.wg_wait(wg)
    c = prog.func("consumer")
    with c.range(ch):
        c.mark("v")
    c.mark("end")
    c.wg_done(wg)
    res = run_unguarded(prog, procs)
    assert res.status == "ok"
    m = res.marks
    assert sorted(m.loc[m["label"] == "v", "value"]) == list(range(7))
    assert sorted(m.loc[m["label"] == "end", "spawn_index"]) == [0, 1, 2]


def test_memory_guard_accepts_marks_in_range():
    prog = gc.Program()
    ch = prog.chan("c", cap=4)
    main = prog.func("main")
    main.send(ch, 1).close(ch)
    with main.range(ch):
        main.mark("v")
    res = gc.run(prog, procs=1)
    assert res.marks["value"].tolist() == [1]


# ================================================================================================
# sync.Mutex
# ================================================================================================
def mutex_program(g, k, inside, outside, yield_inside=False, sleep_inside=0):
    prog = gc.Program()
    mu = prog.mutex("mu")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, g)
    main.go("worker", times=g)
    main.wg_wait(wg)
    w = prog.func("worker")
    with w.loop(k):
        w.lock(mu)
        w.mark("in")
        w.compute(inside)
        if yield_inside:
            w.gosched()
        if sleep_inside:
            w.sleep(sleep_inside)
        w.mark("out")
        w.unlock(mu)
        w.compute(outside)
    w.wg_done(wg)
    return prog


@pytest.mark.parametrize("procs,g,kw", [
    (2, 4, dict(inside=gc.Exponential(500), outside=gc.Exponential(500))),
    (8, 16, dict(inside=gc.Exponential(200), outside=gc.Exponential(2000))),
    (8, 16, dict(inside=100, outside=100)),
    (4, 8, dict(inside=gc.Exponential(300), outside=gc.Exponential(300), yield_inside=True)),
    (4, 6, dict(inside=100, outside=gc.Exponential(5000), sleep_inside=20 * US)),
    (16, 64, dict(inside=gc.Uniform(50, 3000), outside=gc.Exponential(1000))),
])
def test_mutex_mutual_exclusion(procs, g, kw):
    k = 20
    res = run(mutex_program(g, k, **kw), procs)
    assert res.status == "ok"
    m = res.marks.sort_values("time_cycles", kind="stable")
    labels, goids = m["label"].tolist(), m["goid"].tolist()
    its, times = m["iteration"].tolist(), m["time_cycles"].tolist()
    assert len(labels) == 2 * g * k
    for i in range(0, len(labels), 2):
        # every "in" is immediately followed, in time, by the same goroutine's "out"
        assert labels[i] == "in" and labels[i + 1] == "out", i
        assert (goids[i], its[i]) == (goids[i + 1], its[i + 1]), i
        if i:
            assert times[i] > times[i - 1]               # no two holders at the same cycle
    assert res.summary["parks"] > 0                      # there was contention


def test_mutex_contention_with_several_ps_spins_and_parks():
    # a 16-goroutine scramble on 8 Ps: some waiters must park on the semaphore and be woken
    res = run(mutex_program(16, 10, inside=2000, outside=200), 8)
    assert res.status == "ok"
    assert res.summary["parks"] >= 16 and res.summary["readies"] >= 16


def starvation_program(k, hold_cycles):
    """Two goroutines loop k times: record "try", Lock, record "l", hold for `hold_cycles`
    (time.Sleep), record "u", Unlock -- and immediately try again."""
    prog = gc.Program()
    mu = prog.mutex("mu")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 2)
    main.go("locker", times=2)
    main.wg_wait(wg)
    lk = prog.func("locker")
    with lk.loop(k):
        lk.mark("try")
        lk.lock(mu)
        lk.mark("l")
        lk.sleep(hold_cycles)
        lk.mark("u")
        lk.unlock(mu)
    lk.wg_done(wg)
    return prog


def _waits_and_runs(res):
    """Per acquisition: (goid, cycles from its "try" to its "l"); and the holders' runs."""
    m = res.marks
    tries = {}
    waits, holders = [], []
    for lab, g, t in zip(m["label"], m["goid"], m["time_cycles"]):
        if lab == "try":
            tries[g] = t
        elif lab == "l":
            waits.append((int(g), int(t - tries.pop(g))))
            holders.append(int(g))
    runs = [len(list(grp)) for _, grp in itertools.groupby(holders)]
    return waits, runs


@pytest.mark.parametrize("procs", [1, 2, 4])
def test_mutex_starvation_mode_bounds_the_wait(procs):
    # The holder re-locks right after Unlock.  In normal mode the woken waiter competes with it
    # and loses every time (the holder is running; the waiter is only runnable), so without
    # starvation mode the waiter would wait for all k of the holder's turns (k * 100 us =
    # 4 ms).  Go switches to starvation mode once a waiter has waited > 1 ms: the next Unlock
    # hands it the mutex.  Observable: no wait exceeds ~1 ms + 2 holds, some wait exceeds 1 ms
    # (barging is real in normal mode), and the holder changes every ~1 ms.
    hold, k = 100 * US, 40
    res = run(starvation_program(k, hold), procs)
    assert res.status == "ok"
    waits, runs = _waits_and_runs(res)
    longest = max(w for _, w in waits)
    assert MS < longest <= MS + 2 * hold + 50 * US, longest / MS
    assert len(runs) >= 3                       # the mutex changed hands several times
    assert max(runs) <= MS // hold + 2          # nobody held it for much more than 1 ms in a row
    assert sum(runs) == 2 * k


@pytest.mark.parametrize("procs", [1, 4])
def test_mutex_normal_mode_below_threshold_barges(procs):
    # the same program with a total hold time below 1 ms: no waiter ever starves, so the
    # holder barges through all its k turns and the other goroutine gets the mutex only after
    hold, k = 20 * US, 30                       # 30 * 20 us = 0.6 ms < 1 ms
    res = run(starvation_program(k, hold), procs)
    waits, runs = _waits_and_runs(res)
    assert runs == [k, k]
    assert max(w for _, w in waits) < MS


# ================================================================================================
# time.Sleep
# ================================================================================================
@pytest.mark.parametrize("procs", [1, 2, 8])
def test_sleep_wakes_no_earlier_than_its_duration(procs):
    durations = [1, 7, 50 * US, 3 * US, MS, 2 * MS + 17, 333_333, 10 * US]
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 4 * len(durations))
    for i, d in enumerate(durations):
        f = prog.func(f"sleeper{i}")
        with f.loop(3):
            f.mark(f"before{i}")
            f.sleep(d)
            f.mark(f"after{i}")
            f.compute(gc.Exponential(1000))
        f.wg_done(wg)
        main.go(f"sleeper{i}", times=4)
    main.go("busy", times=procs * 2)       # keep the Ps busy so timers also fire late
    main.wg_wait(wg)
    b = prog.func("busy")
    with b.loop(50):
        b.compute(gc.Exponential(20_000))
    res = run(prog, procs)
    assert res.status == "ok"
    m = res.marks
    late = []
    for i, d in enumerate(durations):
        for (g, it), grp in m[m["label"].isin([f"before{i}", f"after{i}"])].groupby(
                ["goid", "iteration"]):
            t = dict(zip(grp["label"], grp["time_cycles"]))
            slept = t[f"after{i}"] - t[f"before{i}"]
            assert slept >= d, (i, d, slept)
            late.append(slept - d)
    assert len(late) == len(durations) * 4 * 3


@pytest.mark.parametrize("procs", [1, 4])
def test_sleep_on_idle_ps_is_punctual(procs):
    # with nothing else to run, the M blocked in netpoll wakes at the timer: the sleep ends
    # within a few microseconds of its deadline, in deadline order
    durations = [5 * MS, 1 * MS, 3 * MS, 2 * MS, 4 * MS]
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(durations))
    for i, d in enumerate(durations):
        f = prog.func(f"s{i}")
        f.mark("before")
        f.sleep(d)
        f.mark(f"w{i}")
        f.wg_done(wg)
        main.go(f"s{i}")
    main.wg_wait(wg)
    res = run(prog, procs)
    m = res.marks
    wakes = m[m["label"] != "before"]
    assert wakes["label"].tolist() == [f"w{i}" for i in np.argsort(durations)]
    t0 = m.loc[m["label"] == "before", "time_cycles"]
    for i, d in enumerate(durations):
        t = int(wakes.loc[wakes["label"] == f"w{i}", "time_cycles"].iloc[0])
        assert d <= t - t0.min() and t - t0.max() <= d + 20 * US, (i, t - t0.min() - d)


def test_sleep_zero_returns_immediately():
    # time.Sleep(0) returns at once (no park): on one P the sleeper keeps running
    prog = gc.Program()
    ch = prog.chan("c")
    main = prog.func("main")
    main.go("other")
    main.mark("a")
    main.sleep(0)
    main.mark("b")
    main.recv(ch)
    main.mark("c")
    prog.func("other").mark("o").send(ch, 1)
    res = run(prog, 1)
    assert res.marks["label"].tolist() == ["a", "b", "o", "c"]
    assert res.summary["parks"] == 1                     # only the receive parked


# ================================================================================================
# Random programs with blocking operations: invariants after every micro-step
# ================================================================================================
MAX_EVENTS = 3_000_000


@dataclass
class Spec:
    nfuncs: int
    chan_caps: list
    closable: list                       # channels only main sends to; main closes them last
    nmutexes: int
    bodies: list
    count: list
    use_wg: bool
    closes: list = field(default_factory=list)


def _small_work(draw):
    return draw(st.sampled_from([0, 50, 500, gc.Exponential(300), gc.Uniform(10, 3000)]))


@st.composite
def blocking_programs(draw):
    """Random programs that can only end (main returns) or deadlock: functions spawn only
    later functions (no recursion), loops are bounded, the body of `range c` starts no
    goroutine and sends only on channels numbered above c (so every channel carries finitely
    many values and every range runs finitely often), every Lock is paired with an Unlock by the same goroutine, nobody
    but main sends on a channel main closes, and main closes each such channel at most once,
    as its last operations.  (max_events is only a guard.)"""
    nfuncs = draw(st.integers(1, 4)) + 1
    nchans = draw(st.integers(1, 4))
    caps = [draw(st.sampled_from([0, 0, 1, 2, 5])) for _ in range(nchans)]
    closable = [draw(st.booleans()) for _ in range(nchans)]
    nmut = draw(st.integers(0, 2))
    count = [1] + [0] * (nfuncs - 1)
    spec = Spec(nfuncs, caps, closable, nmut, [None] * nfuncs, count, draw(st.booleans()))
    budget = {"gs": 150, "ops": 3000}

    def body(i, depth, mult, held, lo=0, spawn=True):
        ops = []
        if i == 0 and depth == 0 and nfuncs > 1:    # main starts some goroutines first
            ops.append(("go", 1, draw(st.integers(1, 8))))
            count[1] += ops[-1][2]
            budget["gs"] -= ops[-1][2]
        for _ in range(draw(st.integers(0, 8))):
            execs = count[i] * mult
            if execs > budget["ops"]:
                break
            budget["ops"] -= execs
            kind = draw(st.sampled_from(["compute", "mark", "mark", "go", "go", "loop", "loop",
                                         "gosched", "sleep", "send", "send", "send", "recv",
                                         "recv", "range", "lock", "lock", "select", "select",
                                         "syscall", "netwait", "alloc", "gomaxprocs", "touch",
                                         "rlock", "wlock"]))
            if kind == "go" and i + 1 < nfuncs and spawn:
                j = draw(st.integers(i + 1, nfuncs - 1))
                times = draw(st.integers(1, 8))
                times = min(times, budget["gs"] // max(execs, 1))
                if times == 0:
                    continue
                budget["gs"] -= execs * times
                count[j] += execs * times
                ops.append(("go", j, times))
            elif kind == "loop" and depth < 3:
                n = draw(st.integers(0, 4))
                ops.append(("loop", n, body(i, depth + 1, mult * n, held, lo, spawn)))
            elif kind in ("rlock", "wlock") and depth < 3:
                ops.append((kind, 0, body(i, depth + 1, mult, held, lo, spawn)))
            elif kind == "lock" and nmut and depth < 3:
                mu = draw(st.integers(0, nmut - 1))
                ops.append(("lock", mu, body(i, depth + 1, mult, held | {mu}, lo, spawn)))
            elif kind == "send":
                if lo >= nchans:
                    continue
                c = draw(st.integers(lo, nchans - 1))
                if closable[c] and i != 0:
                    continue
                ops.append(("send", c, draw(st.sampled_from(["spawn", "iter", "val", 3]))))
            elif kind == "recv":
                ops.append(("recv", draw(st.integers(0, nchans - 1))))
            elif kind == "select":
                cases = []
                for _ in range(draw(st.integers(1, 4))):
                    ck = draw(st.sampled_from(["recv", "recv", "send", "after", "default"]))
                    if ck in ("after", "default") and any(c[0] == ck for c in cases):
                        continue
                    if ck == "send":
                        if lo >= nchans:
                            continue
                        c = draw(st.integers(lo, nchans - 1))
                        if closable[c] and i != 0:
                            continue
                        cases.append(("send", c, draw(st.sampled_from(["spawn", "val", 7]))))
                    elif ck == "recv":
                        cases.append(("recv", draw(st.integers(0, nchans - 1))))
                    elif ck == "after":
                        cases.append(("after", draw(st.sampled_from([0, 500, 20 * US]))))
                    else:
                        cases.append(("default",))
                if any(c[0] != "default" for c in cases):
                    ops.append(("select", cases))
            elif kind == "range" and depth < 3:
                c = draw(st.integers(0, nchans - 1))
                # a range runs at most once per value sent: bound its body like a loop of 4
                ops.append(("range", c, body(i, depth + 1, mult * 4, held, max(lo, c + 1),
                                                 False)))
            elif kind == "sleep":
                ops.append(("sleep", draw(st.sampled_from([0, 1, 1000, 20 * US, gc.Uniform(0, 5000)]))))
            elif kind == "gosched":
                ops.append(("gosched",))
            elif kind == "syscall":
                ops.append(("syscall", draw(st.sampled_from([0, 300, 20 * US, 200 * US]))))
            elif kind == "netwait":
                ops.append(("netwait", draw(st.sampled_from([0, 1000, 30 * US, gc.Exponential(5000)]))))
            elif kind == "alloc":
                ops.append(("alloc", draw(st.sampled_from([0, 100, 5000]))))
            elif kind == "gomaxprocs":
                ops.append(("gomaxprocs", draw(st.integers(1, 6))))
            elif kind == "touch":
                ops.append(("touch", draw(st.integers(0, 2)), draw(st.sampled_from(["read", "rmw"]))))
            elif kind == "mark":
                ops.append(("mark", f"f{i}"))
            else:
                ops.append(("compute", _small_work(draw)))
        return ops

    for i in range(nfuncs):
        spec.bodies[i] = body(i, 0, 1, frozenset())
    spec.closes = [c for c in range(nchans) if closable[c] and draw(st.booleans())]
    return spec


def build(spec: Spec) -> gc.Program:
    prog = gc.Program()
    chans = [prog.chan(f"c{i}", cap=c) for i, c in enumerate(spec.chan_caps)]
    mus = [prog.mutex(f"m{i}") for i in range(spec.nmutexes)]
    rw = prog.rwmutex("rw")
    vars_ = [prog.var("shared"), prog.var("perp", per_p=True),
             prog.var("padded", per_p=True, padded=True)]
    wg = prog.waitgroup("wg")
    fns = [prog.func("main")] + [prog.func(f"f{i}") for i in range(1, spec.nfuncs)]

    def emit(f, ops):
        for op in ops:
            kind = op[0]
            if kind == "go":
                f.go(fns[op[1]].name, times=op[2])
            elif kind == "loop":
                with f.loop(op[1]):
                    emit(f, op[2])
            elif kind == "lock":
                f.lock(mus[op[1]])
                emit(f, op[2])
                f.unlock(mus[op[1]])
            elif kind == "rlock":
                f.rlock(rw)
                emit(f, op[2])
                f.runlock(rw)
            elif kind == "wlock":
                f.lock(rw)
                emit(f, op[2])
                f.unlock(rw)
            elif kind == "send":
                f.send(chans[op[1]], op[2])
            elif kind == "recv":
                f.recv(chans[op[1]])
            elif kind == "select":
                with f.select() as sel:
                    for k, case in enumerate(op[1]):
                        if case[0] == "recv":
                            cm = sel.recv(chans[case[1]])
                        elif case[0] == "send":
                            cm = sel.send(chans[case[1]], case[2])
                        elif case[0] == "after":
                            cm = sel.after(case[1])
                        else:
                            cm = sel.default()
                        with cm:
                            f.mark(f"case{k}")
            elif kind == "range":
                with f.range(chans[op[1]]):
                    emit(f, op[2])
            elif kind == "sleep":
                f.sleep(op[1])
            elif kind == "gosched":
                f.gosched()
            elif kind == "syscall":
                f.syscall(op[1])
            elif kind == "netwait":
                f.net_wait(op[1])
            elif kind == "alloc":
                f.alloc(op[1]) if op[1] else f.gc()
            elif kind == "gomaxprocs":
                f.gomaxprocs(op[1])
            elif kind == "touch":
                f.touch(vars_[op[1]], op[2])
            elif kind == "mark":
                f.mark(op[1])
            else:
                f.compute(op[1])

    if spec.use_wg and sum(spec.count) > 1:
        fns[0].wg_add(wg, sum(spec.count) - 1)
    emit(fns[0], spec.bodies[0])
    for c in spec.closes:
        fns[0].close(chans[c])
    if spec.use_wg:
        fns[0].wg_wait(wg)
    for i in range(1, spec.nfuncs):
        emit(fns[i], spec.bodies[i])
        if spec.use_wg:
            fns[i].wg_done(wg)
    return prog


@settings(max_examples=1000, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(spec=blocking_programs(), procs=st.sampled_from([1, 2, 3, 4, 8]),
       seed=st.integers(0, 2**32 - 1), init=st.sampled_from([0, 1]))
def test_random_blocking_programs_keep_invariants(spec, procs, seed, init):
    prog = build(spec)
    machine = gc.Machine(procs=procs, init_goroutines=init, gc_heap_goal_bytes=20_000,
                         gc_period_ns=0 if seed % 3 else 300_000.0)
    res = gc.run(prog, machine=machine, seed=seed,
                 check_every=1, max_events=MAX_EVENTS, memory_limit=False)
    s = res.summary
    assert res.status in ("ok", "deadlock", "max_events"), res.status
    assert res.status != "max_events", "a bounded program ran for 3M events"
    b = res.blocked
    if res.status == "deadlock":
        assert res.status_message == DEADLOCK
        # every live user goroutine is parked for good: nobody sleeping, main among them
        assert 1 in set(b["goid"].tolist())
        assert not (b["wait_reason"] == "sleep").any()
        assert len(b) == s["goroutines_live"]      # goroutines_live counts user goroutines
    else:
        assert len(b) <= s["goroutines_live"]
    assert set(b["wait_reason"]) <= {"chan send", "chan receive", "sync.Mutex.Lock",
                                     "sync.WaitGroup.Wait", "sleep", "select", "IO wait",
                                     "sync.RWMutex.RLock", "sync.RWMutex.Lock", "semacquire",
                                     "syscall"}
    # the counters add up: every park was matched by a ready, except the Gs parked at the end
    # (the blocked user goroutines, and the finalizer goroutine if it ran before main returned)
    parked = b[b["wait_reason"] != "syscall"]          # (a G in a syscall is not parked)
    assert s["parks"] - s["readies"] - len(parked) in ((0, 1) if init else (0,))
    assert s["goroutines_created"] == s["goroutines_finished"] + s["goroutines_live"]
    assert s["goroutines_created"] <= sum(spec.count) + init
    # values received are values that could have been sent: spawn indices, iterations (< 5),
    # the constant 3, or 0 (the zero value / a forwarded zero)
    if len(res.marks):
        assert (res.marks["value"] >= 0).all()


@st.composite
def pipelines(draw):
    """A random, well-formed Go pipeline: producers -> stage 0 -> ... -> main.  Each stage's
    workers `range` over their input channel and forward every value; a closer goroutine per
    channel waits for that channel's senders (a WaitGroup) and closes it.  Workers may hold a
    stage mutex around a compute, Gosched, sleep."""
    nstages = draw(st.integers(1, 3))
    return dict(
        procs=draw(st.sampled_from([1, 2, 3, 4, 8])),
        seed=draw(st.integers(0, 2**32 - 1)),
        producers=draw(st.integers(1, 6)),
        items=draw(st.integers(1, 150)),
        caps=[draw(st.sampled_from([0, 0, 1, 3, 16])) for _ in range(nstages + 1)],
        stages=[dict(workers=draw(st.integers(1, 8)),
                     mutex=draw(st.booleans()),
                     work=draw(st.sampled_from([0, 200, gc.Exponential(1000)])),
                     gosched=draw(st.booleans()),
                     sleep=draw(st.sampled_from([0, 0, 2000, gc.Uniform(0, 30 * US)])))
                for _ in range(nstages)],
    )


def build_pipeline(p) -> gc.Program:
    prog = gc.Program()
    ns = len(p["stages"])
    chans = [prog.chan(f"ch{k}", cap=c) for k, c in enumerate(p["caps"])]
    wgs = [prog.waitgroup(f"senders{k}") for k in range(ns + 1)]
    main = prog.func("main")
    main.wg_add(wgs[0], p["producers"])
    main.go("producer", times=p["producers"])
    for k, stg in enumerate(p["stages"]):
        main.wg_add(wgs[k + 1], stg["workers"])
        main.go(f"stage{k}", times=stg["workers"])
    for k in range(ns + 1):
        main.go(f"closer{k}")
    with main.range(chans[ns]):
        main.mark("sink")
    prod = prog.func("producer")
    with prod.loop(p["items"]):
        prod.send(chans[0], "iter")
    prod.wg_done(wgs[0])
    for k, stg in enumerate(p["stages"]):
        mu = prog.mutex(f"mu{k}") if stg["mutex"] else None
        w = prog.func(f"stage{k}")
        with w.range(chans[k]):
            if mu is not None:
                w.lock(mu)
                w.mark(f"in{k}")
            w.compute(stg["work"])
            if stg["gosched"]:
                w.gosched()
            if stg["sleep"]:
                w.sleep(stg["sleep"])
            if mu is not None:
                w.mark(f"out{k}")
                w.unlock(mu)
            w.send(chans[k + 1], "val")
        w.wg_done(wgs[k + 1])
    for k in range(ns + 1):
        c = prog.func(f"closer{k}")
        c.wg_wait(wgs[k])
        c.close(chans[k])
    return prog


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(p=pipelines())
def test_random_pipelines_deliver_every_value_once(p):
    res = gc.run(build_pipeline(p), procs=p["procs"], seed=p["seed"], check_every=1,
                 max_events=MAX_EVENTS, memory_limit=False)
    assert res.status == "ok", res.status
    assert res.blocked.empty, res.blocked_report()
    m = res.marks
    sink = m.loc[m["label"] == "sink", "value"].tolist()
    assert collections.Counter(sink) == {v: p["producers"] for v in range(p["items"])}
    s = res.summary
    assert s["goroutines_live"] == 0 or s["goroutines_finished"] + s["goroutines_live"] == \
        s["goroutines_created"]
    # mutual exclusion on every stage mutex
    m = m.sort_values("time_cycles", kind="stable")
    for k, stg in enumerate(p["stages"]):
        if not stg["mutex"]:
            continue
        cs = m[m["label"].isin([f"in{k}", f"out{k}"])]
        labels, goids = cs["label"].tolist(), cs["goid"].tolist()
        assert len(labels) == 2 * p["producers"] * p["items"]
        assert labels[0::2] == [f"in{k}"] * (len(labels) // 2)
        assert labels[1::2] == [f"out{k}"] * (len(labels) // 2)
        assert goids[0::2] == goids[1::2]
    # a run is a pure function of (program, configuration, seed)
    again = gc.run(build_pipeline(p), procs=p["procs"], seed=p["seed"], memory_limit=False)
    assert again.summary["emulated_cycles"] == s["emulated_cycles"]
    assert np.array_equal(again.mark_records, res.mark_records)
