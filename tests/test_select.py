"""select: default, blocking, timeout, random choice among ready cases, and bad programs.
Exact counters and marks on small programs (runtime/select.go selectgo semantics)."""
import pytest

import gmpcore as gc
from gmpcore import Const
from helpers import US, run



def labels(res):
    return list(res.marks["label"])


def test_default_taken_when_nothing_is_ready_and_recv_when_something_is():
    prog = gc.Program()
    ch = prog.chan("ch", cap=1)
    m = prog.func("main")
    for _ in range(2):
        with m.select() as sel:
            with sel.recv(ch):
                m.mark("got")
            with sel.default():
                m.mark("empty")
        m.send(ch, 42)
    res = run(prog, procs=1)
    assert res.status == "ok"
    assert labels(res) == ["empty", "got"]
    assert list(res.marks["value"]) == [0, 42]
    assert res.channels["len"].tolist() == [1]      # the second send is still buffered


def test_non_blocking_send_into_full_channel_takes_default():
    prog = gc.Program()
    ch = prog.chan("ch", cap=1)
    m = prog.func("main")
    with m.loop(3):
        with m.select() as sel:
            with sel.send(ch, "iter"):
                m.mark("sent")
            with sel.default():
                m.mark("full")
    m.recv(ch).mark("drained")
    res = run(prog, procs=1)
    assert labels(res) == ["sent", "full", "full", "drained"]
    assert res.marks["value"].tolist()[-1] == 0        # the value sent at iteration 0


def test_blocking_select_is_woken_by_a_sender_into_its_runnext():
    prog = gc.Program()
    a, b = prog.chan("a"), prog.chan("b")
    m = prog.func("main")
    m.go("waiter")
    m.sleep(5 * US)                                    # the waiter parks in the select first
    m.send(b, 7)
    m.mark("sent")
    m.sleep(5 * US)
    w = prog.func("waiter")
    with w.select() as sel:
        with sel.recv(a):
            w.mark("a")
        with sel.recv(b):
            w.mark("b")
    res = run(prog, procs=1)
    assert res.status == "ok"
    assert labels(res) == ["sent", "b"]
    assert res.marks["value"].tolist() == [0, 7]
    s = res.summary
    assert s["parks"] == s["readies"] == 3              # two sleeps and the select
    # the select left the other channel's queue: nobody waits anywhere at the end
    assert res.channels["blocked_recvs"].tolist() == [1, 1]


def test_timeout_case_fires_and_a_late_sender_blocks():
    prog = gc.Program()
    ch = prog.chan("results")
    m = prog.func("main")
    m.go("slow")
    with m.select() as sel:
        with sel.recv(ch):
            m.mark("result")
        with sel.after(Const(50 * US)):
            m.mark("timeout")
    m.sleep(200 * US)
    s = prog.func("slow")
    s.compute(100 * US)
    s.send(ch, 1)                                      # nobody listens any more: a leak
    # (two Ps: with one, `slow` would hold the only P past the deadline and win the race)
    res = run(prog, procs=2)
    assert res.status == "ok"
    assert labels(res) == ["timeout"]
    t = res.marks["time_cycles"].iloc[0]
    assert 50 * US <= t < 55 * US                     # + the poller M waking, taking a P
    leaks = res.blocked
    assert leaks["wait_reason"].tolist() == ["chan send"]
    assert leaks["function"].tolist() == ["slow"]


def test_channel_beats_the_timeout_and_the_stale_timer_does_nothing():
    prog = gc.Program()
    ch = prog.chan("results")
    m = prog.func("main")
    m.go("fast")
    with m.loop(2):
        with m.select() as sel:
            with sel.recv(ch):
                m.mark("result")
            with sel.after(Const(50 * US)):
                m.mark("timeout")
    f = prog.func("fast")
    f.compute(5 * US)
    f.send(ch, 1)
    res = run(prog, procs=1)
    # first select: the result; second: nobody sends, the second timer fires (the first
    # select's timer fired in between and was ignored)
    assert labels(res) == ["result", "timeout"]
    t = res.marks["time_cycles"].tolist()
    assert t[1] - t[0] >= 50 * US
    assert res.summary["readies"] == 2 and res.summary["parks"] == 2


def test_close_wakes_a_select_with_the_zero_value():
    prog = gc.Program()
    ch = prog.chan("done")
    m = prog.func("main")
    m.go("w")
    m.compute(5 * US)
    m.close(ch)
    m.sleep(10 * US)
    w = prog.func("w")
    with w.select() as sel:
        with sel.recv(ch):
            w.mark("closed")
        with sel.after(Const(1000 * US)):
            w.mark("timeout")
    res = run(prog, procs=1)
    assert labels(res) == ["closed"]
    assert res.marks["value"].tolist() == [0]


def test_random_choice_among_ready_cases():
    # two buffered channels, both ready: the poll order is random (cheaprandn), so over many
    # selects both cases win, roughly equally
    prog = gc.Program()
    a, b = prog.chan("a", cap=1000), prog.chan("b", cap=1000)
    m = prog.func("main")
    with m.loop(400):
        m.send(a, 1).send(b, 2)
    with m.loop(400):
        with m.select() as sel:
            with sel.recv(a):
                m.mark("a")
            with sel.recv(b):
                m.mark("b")
    res = run(prog, procs=1, seed=3)
    n_a = labels(res).count("a")
    assert 150 < n_a < 250
    res2 = run(prog, procs=1, seed=3)
    assert labels(res2) == labels(res)                 # deterministic for a seed


def test_select_on_send_and_receive_of_one_channel_by_two_goroutines():
    # a ping-pong where each side offers both directions: every select completes
    prog = gc.Program()
    ch = prog.chan("ch")
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 2)
    m.go("peer", times=2)
    m.wg_wait(wg)
    p = prog.func("peer")
    with p.loop(10):
        with p.select() as sel:
            with sel.send(ch, "spawn"):
                p.mark("sent")
            with sel.recv(ch):
                p.mark("recv")
    p.wg_done(wg)
    res = run(prog, procs=2)
    assert res.status == "ok"
    assert labels(res).count("sent") == labels(res).count("recv") == 10


def test_blocked_select_is_reported_and_deadlocks():
    prog = gc.Program()
    a, b = prog.chan("a"), prog.chan("b")
    m = prog.func("main")
    with m.select() as sel:
        with sel.recv(a):
            m.mark("a")
        with sel.send(b, 1):
            m.mark("b")
    res = run(prog, procs=1)
    assert res.status == "deadlock"
    assert res.blocked["wait_reason"].tolist() == ["select"]
    assert "[select]" in res.blocked_report()


@pytest.mark.parametrize("build, msg", [
    (lambda f: _unclosed(f), "still open"),
    (lambda f: _only_default(f), "at least one channel or timeout case"),
    (lambda f: _two_defaults(f), "at most one 'default'"),
    (lambda f: _op_outside_case(f), "inside one of its cases"),
    (lambda f: _nested_case(f), "cannot be nested"),
])
def test_bad_selects_are_refused(build, msg):
    prog = gc.Program()
    prog.chan("c")
    f = prog.func("main")
    with pytest.raises(ValueError, match=msg):
        build(f)
        prog.compile()


_KEEP = []


def _unclosed(f):
    cm = f.select()
    _KEEP.append(cm)                 # (a dropped generator would close the select itself)
    cm.__enter__()


def _only_default(f):
    with f.select() as sel:
        with sel.default():
            f.mark("x")


def _two_defaults(f):
    ch = f._program._chans[0]
    with f.select() as sel:
        with sel.recv(ch):
            pass
        with sel.default():
            pass
        with sel.default():
            pass


def _op_outside_case(f):
    ch = f._program._chans[0]
    with f.select() as sel:
        f.mark("stray")
        with sel.recv(ch):
            pass


def _nested_case(f):
    ch = f._program._chans[0]
    with f.select() as sel:
        with sel.recv(ch):
            with sel.default():
                pass


def test_select_rejects_foreign_channels_and_bad_values():
    prog, other = gc.Program(), gc.Program()
    mine, theirs = prog.chan("c"), other.chan("c")
    f = prog.func("main")
    with f.select() as sel:
        with pytest.raises(ValueError, match="another Program"):
            sel.recv(theirs)
        with pytest.raises(TypeError, match="send value"):
            sel.send(mine, 1.5)
        with pytest.raises(ValueError, match="Distribution|duration|negative|finite"):
            sel.after(-5)
        with sel.recv(mine):
            pass
