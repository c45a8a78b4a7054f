"""Real Go agrees on `select`: with a default case, blocking over two channels, with a timeout.

Same protocol as tests/test_go_oracle_blocking.py (read its docstring), through the shared
harness tests/go_oracle.py: each program under tests/go/cmd/<name>/main.go is built once
per session and run several times with GOMAXPROCS=1 GOGC=off; the same program is written
with gmpcore's `Function.select()`; for every distinct order Go produces, some start_schedtick
in 0..60 must make gmpcore's marks (label, goroutine, iteration, value) equal Go's exactly.

selectgo polls the cases in a random order (cheaprand in Go, the engine RNG in gmpcore), so
every program is built so that no select ever finds two non-default cases ready at once: then
the order of marks is deterministic in both.

Cases (the Go semantics each one exercises):

* selectpoll    -- one case + default on both ends of a buffered channel (the compiler's
                   selectnbsend / selectnbrecv: chansend / chanrecv with block=false):
                   producers whose send finds the buffer full take the default, consumers that
                   find it empty take the default and Gosched, and drain it without yielding;
* selectsend    -- a non-blocking sender feeding workers parked in `range`: a send that finds
                   a parked receiver hands the value over and readies it into runnext (chan.go
                   send()), one that finds room queues it, otherwise the default case runs;
* selectmulti   -- selectgo with two receive cases and a default, polled by several
                   goroutines while one producer alternates between the channels (the Go
                   program panics if a poll ever finds both ready);
* selectblock   -- a blocking select over two unbuffered channels: it parks on both ("select"),
                   the first sender dequeues one sudog and readies it into runnext, and the
                   other sudog is dequeued when it runs (selectgo pass 3); senders that find
                   no parked receiver park on sendq and the next select takes them from there;
* selectrelay   -- a blocking select with a receive case and a send case (a relay forwarding
                   the last value it received): a parked select is woken by a sender that
                   copies into its recv sudog, or by a receiver that takes the value from its
                   send sudog (the value evaluated when the select started);
* selecttimeout -- `case <-time.After(T)` against a sender that sleeps between sends: the
                   timer readies the receiver from findRunnable, a send beats it when it comes
                   first, and the timer of a select that received is never seen again.
"""
from __future__ import annotations

from itertools import accumulate

import pytest

import gmpcore as gc
from go_oracle import build_for_session, check_against_go, emulate, marks
from helpers import MS

pytestmark = pytest.mark.go

PROGRAMS = ("selectpoll", "selectsend", "selectmulti", "selectblock", "selectrelay",
            "selecttimeout")


@pytest.fixture(scope="session")
def go_select_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle-select")


# -- 1. select with default on both ends of a buffered channel ------------------------------------
def selectpoll_program(producers, consumers, k, polls, cap):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ch = prog.chan("ch", cap=cap)
    main = prog.func("main")
    main.wg_add(wg, producers + consumers)
    main.go("producer", times=producers)
    main.go("consumer", times=consumers)
    main.wg_wait(wg)
    p = prog.func("producer")
    with p.loop(k):
        with p.select() as sel:
            with sel.send(ch, value="iter"):     # case ch <- it:
                p.mark("s")
            with sel.default():
                p.mark("f")
        p.gosched()
    p.wg_done(wg)
    c = prog.func("consumer")
    with c.loop(polls):
        with c.select() as sel:
            with sel.recv(ch):                   # case v := <-ch:
                c.mark("r")
            with sel.default():
                c.mark("e")
                c.gosched()
    c.wg_done(wg)
    return prog


def selectpoll_strings(res):
    return [f"r{si}.{it}.{v}" if label == "r" else f"{label}{si}.{it}"
            for label, si, it, v in marks(res)]


@pytest.mark.parametrize("producers,consumers,k,polls,cap", [
    (1, 1, 5, 5, 1), (2, 1, 4, 6, 2), (3, 2, 5, 8, 3), (4, 3, 10, 12, 4), (2, 2, 6, 6, 0),
    (50, 20, 4, 10, 8)])
def test_select_default_poll(go_select_binaries, record_property, producers, consumers, k,
                             polls, cap):
    args = [producers, consumers, k, polls, cap]
    fits = check_against_go(f"selectpoll P={producers} C={consumers} K={k} L={polls} "
                            f"cap={cap}", go_select_binaries["selectpoll"], args,
                            selectpoll_program(*args), selectpoll_strings, record_property)
    for f in fits:
        order = f.go_order
        assert len(order) == producers * k + consumers * polls
        sent = sorted(int(s.split(".")[1]) for s in order if s[0] == "s")
        got = sorted(int(s.split(".")[2]) for s in order if s[0] == "r")
        assert len(sent) - len(got) <= cap          # what was not received is still buffered
        assert not (set(got) - set(sent))
        if cap == 0:                                # nobody ever parks: nothing goes through
            assert not sent and not got


# -- 2. a non-blocking sender feeding parked workers --------------------------------------------
def selectsend_program(workers, n, cap):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ch = prog.chan("jobs", cap=cap)
    main = prog.func("main")
    main.wg_add(wg, workers)
    main.go("worker", times=workers)
    with main.loop(n):
        with main.select() as sel:
            with sel.send(ch, value="iter"):
                main.mark("s")
            with sel.default():
                main.mark("f")
                main.gosched()
    main.close(ch)
    main.mark("c")
    main.wg_wait(wg)
    w = prog.func("worker")
    with w.range(ch):
        w.mark("w")
    w.wg_done(wg)
    return prog


def selectsend_strings(res):
    out = []
    for label, si, it, v in marks(res):
        out.append({"w": f"w{si}.{v}", "s": f"s.{it}", "f": f"f.{it}", "c": "c"}[label])
    return out


@pytest.mark.parametrize("workers,n,cap", [(1, 6, 0), (3, 10, 2), (4, 20, 0), (2, 12, 1),
                                           (8, 50, 4), (200, 400, 10)])
def test_select_default_send(go_select_binaries, record_property, workers, n, cap):
    fits = check_against_go(f"selectsend W={workers} N={n} cap={cap}",
                            go_select_binaries["selectsend"], [workers, n, cap],
                            selectsend_program(workers, n, cap), selectsend_strings,
                            record_property)
    for f in fits:
        order = f.go_order
        sent = sorted(int(s[2:]) for s in order if s[0] == "s")
        got = sorted(int(s.split(".")[1]) for s in order if s[0] == "w")
        assert got == sent                          # close() after the sends: all delivered
        assert len(sent) + sum(s[0] == "f" for s in order) == n
        assert 0 < len(sent) < n                    # both cases are taken
        assert order.count("c") == 1


# -- 3. selectgo: two receive cases and a default -----------------------------------------------
def selectmulti_program(pollers, k, polls, cap):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    a, b = prog.chan("a", cap=cap), prog.chan("b", cap=cap)
    main = prog.func("main")
    main.wg_add(wg, pollers)
    main.go("producer")
    main.go("poller", times=pollers)
    main.wg_wait(wg)
    p = prog.func("producer")
    with p.loop(k):
        p.send(a, "iter")
        p.gosched()
        p.send(b, "iter")
        p.gosched()
    q = prog.func("poller")
    with q.loop(polls):
        with q.select() as sel:
            with sel.recv(a):
                q.mark("a")
            with sel.recv(b):
                q.mark("b")
            with sel.default():
                q.mark("e")
        q.gosched()
    q.wg_done(wg)
    return prog


def selectmulti_strings(res):
    return [f"e{si}.{it}" if label == "e" else f"{label}{si}.{it}.{v}"
            for label, si, it, v in marks(res)]


@pytest.mark.parametrize("pollers,k,polls,cap", [(1, 3, 8, 1), (2, 4, 10, 1), (3, 5, 12, 2),
                                                  (2, 6, 20, 1), (5, 10, 12, 3)])
def test_select_two_cases_and_default(go_select_binaries, record_property, pollers, k, polls,
                                      cap):
    fits = check_against_go(f"selectmulti P={pollers} K={k} L={polls} cap={cap}",
                            go_select_binaries["selectmulti"], [pollers, k, polls, cap],
                            selectmulti_program(pollers, k, polls, cap), selectmulti_strings,
                            record_property)
    for f in fits:
        order = f.go_order
        assert len(order) == pollers * polls
        for ch in "ab":                             # each channel's values arrive in order
            vals = [int(s.split(".")[2]) for s in order if s[0] == ch]
            assert vals == list(range(len(vals)))
        assert any(s[0] == "a" for s in order) and any(s[0] == "b" for s in order)
        assert any(s[0] == "e" for s in order)


# -- 4. a blocking select over two unbuffered channels ------------------------------------------
def selectblock_program(senders, k, yield_):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    a, b = prog.chan("a"), prog.chan("b")
    main = prog.func("main")
    main.wg_add(wg, 2 * senders + 1)
    main.go("receiver")
    main.go("senda", times=senders)
    main.go("sendb", times=senders)
    main.wg_wait(wg)
    r = prog.func("receiver")
    with r.loop(2 * senders * k):
        with r.select() as sel:
            with sel.recv(a):
                r.mark("ra")
            with sel.recv(b):
                r.mark("rb")
    r.wg_done(wg)
    for name, ch in (("a", a), ("b", b)):
        s = prog.func(f"send{name}")
        with s.loop(k):
            s.send(ch, "iter")
            s.mark(name)
            if yield_:
                s.gosched()
        s.wg_done(wg)
    return prog


def selectblock_strings(res):
    return [f"{label}.{it}.{v}" if label[0] == "r" else f"{label}{si}.{it}"
            for label, si, it, v in marks(res)]


@pytest.mark.parametrize("senders,k,yield_", [(1, 3, 0), (1, 3, 1), (2, 4, 0), (2, 4, 1),
                                              (3, 5, 1), (20, 3, 1), (100, 2, 1)])
def test_select_blocking_two_channels(go_select_binaries, record_property, senders, k, yield_):
    prog = selectblock_program(senders, k, yield_)
    fits = check_against_go(f"selectblock S={senders} K={k} Y={yield_}",
                            go_select_binaries["selectblock"], [senders, k, yield_], prog,
                            selectblock_strings, record_property)
    for f in fits:
        order = f.go_order
        assert len(order) == 4 * senders * k
        for ch in "ab":                             # every value of every sender arrives
            got = sorted(int(s.split(".")[2]) for s in order if s.startswith("r" + ch))
            assert got == sorted(list(range(k)) * senders)


def test_select_parks_with_wait_reason_select():
    """A select with nothing ready and no default parks with wait reason "select", as in a
    goroutine profile (runtime/select.go: gopark(..., waitReasonSelect, ...))."""
    prog = gc.Program()
    a, b = prog.chan("a"), prog.chan("b")
    main = prog.func("main")
    main.go("waiter")
    main.sleep(30_000)                      # 10 us: the waiter runs and parks
    main.mark("m")
    w = prog.func("waiter")
    with w.select() as sel:
        with sel.recv(a):
            w.mark("a")
        with sel.recv(b):
            w.mark("b")
    res = gc.run(prog, procs=1, seed=0)
    assert res.status == "ok"
    assert res.marks["label"].tolist() == ["m"]
    b = res.blocked
    assert b["wait_reason"].tolist() == ["select"], res.blocked_report()
    assert b["function"].tolist() == ["waiter"]


# -- 4b. a relay: a blocking select with a receive and a send case -------------------------------
def selectrelay_program(k, relay_first):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    cin, cout = prog.chan("in"), prog.chan("out")
    main = prog.func("main")
    main.wg_add(wg, 3)
    if relay_first:
        main.go("relay")
    main.go("producer")
    main.go("consumer")
    if not relay_first:
        main.go("relay")
    main.wg_wait(wg)
    p = prog.func("producer")
    with p.loop(k):
        p.send(cin, "iter")
        p.mark("p")
        p.gosched()
    p.wg_done(wg)
    c = prog.func("consumer")
    with c.loop(k):
        c.recv(cout)
        c.mark("c")
        c.gosched()
    c.wg_done(wg)
    r = prog.func("relay")
    with r.loop(2 * k):
        with r.select() as sel:
            with sel.recv(cin):                     # case v := <-in: last = v
                r.mark("i")
            with sel.send(cout, value="val"):       # case out <- last:
                r.mark("o")
    r.wg_done(wg)
    return prog


def selectrelay_strings(res):
    return [f"p.{it}" if label == "p" else f"{label}.{it}.{v}"
            for label, _, it, v in marks(res)]


@pytest.mark.parametrize("k,relay_first", [(3, 0), (3, 1), (6, 0), (6, 1), (50, 0), (50, 1)])
def test_select_relay_recv_and_send(go_select_binaries, record_property, k, relay_first):
    fits = check_against_go(f"selectrelay K={k} first={relay_first}",
                            go_select_binaries["selectrelay"], [k, relay_first],
                            selectrelay_program(k, relay_first), selectrelay_strings,
                            record_property)
    for f in fits:
        order = f.go_order
        assert len(order) == 4 * k
        assert [s for s in order if s[0] == "p"] == [f"p.{i}" for i in range(k)]
        # the consumer gets what the relay sent, in order, and the relay forwards its last value
        sent = [s.split(".")[2] for s in order if s[0] == "o"]
        assert [s.split(".")[2] for s in order if s[0] == "c"] == sent
        last = "0"
        for s in order:
            if s[0] == "i":
                last = s.split(".")[2]
            elif s[0] == "o":
                assert s.split(".")[2] == last


# -- 5. a select with a timeout case ------------------------------------------------------------
def selecttimeout_timeline(timeout, sleeps, margin=3):
    """Go's order, computed from the deadlines alone: (number of selects, labels).  Asserts
    that every deadline is >= `margin` ms away from the send that could beat it, and that at
    most 2 timeouts come in a row (what the Go program's "disturbed run" check relies on)."""
    sends = list(accumulate(sleeps))
    t, j, it, labels, in_a_row = 0, 0, 0, [], 0
    while j < len(sends):
        deadline = t + timeout
        assert abs(sends[j] - deadline) >= margin, (it, sends[j], deadline)
        if sends[j] < deadline:
            labels += [f"s.{j}", f"r.{it}.{j}"]
            t, j, in_a_row = sends[j], j + 1, 0
        else:
            labels.append(f"t.{it}")
            t, in_a_row = deadline, in_a_row + 1
            assert in_a_row <= 2, it
        it += 1
    return it, labels


def selecttimeout_program(k, timeout_ms, sleeps_ms):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    ch = prog.chan("ch")
    main = prog.func("main")
    main.wg_add(wg, 1)                      # main waits for the receiver only
    main.go("receiver")
    main.go("sender")
    main.wg_wait(wg)
    r = prog.func("receiver")
    with r.loop(k):
        with r.select() as sel:
            with sel.recv(ch):
                r.mark("r")
            with sel.after(timeout_ms * MS):      # case <-time.After(T):
                r.mark("t")
    r.wg_done(wg)
    s = prog.func("sender")
    for j, d in enumerate(sleeps_ms):
        s.sleep(d * MS)
        s.send(ch, j)
        s.mark(f"s.{j}")
    return prog


def selecttimeout_strings(res):
    return [{"r": f"r.{it}.{v}", "t": f"t.{it}"}.get(label, label)
            for label, _, it, v in marks(res)]


@pytest.mark.parametrize("timeout,sleeps", [
    (6, [3, 9, 3, 15, 3]),          # r t r r t t r r: sends at 3, 12, 15, 30, 33 ms
    (6, [15, 3, 9]),                # t t r r t r: sends at 15, 18, 27 ms
])
def test_select_timeout(go_select_binaries, record_property, timeout, sleeps):
    k, expected = selecttimeout_timeline(timeout, sleeps)
    prog = selecttimeout_program(k, timeout, sleeps)
    fits = check_against_go(f"selecttimeout T={timeout} D={sleeps}",
                            go_select_binaries["selecttimeout"], [k, timeout, *sleeps], prog,
                            selecttimeout_strings, record_property,
                            valid=lambda meta: (meta["unsent"] == 0
                                                and meta["min_margin_us"] >= 1000
                                                and meta["max_late_us"] < 1000))
    for f in fits:                   # (the orders gmpcore reproduced: see go_oracle.assert_fits)
        assert list(f.go_order) == expected
    res = emulate(prog, 0)
    assert res.summary["emulated_ns"] == pytest.approx(sum(sleeps) * 1e6, rel=0.01)
