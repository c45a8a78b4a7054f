"""The DSL's values (docs/dsl.md): goroutine parameters and `go f(args)`, expressions with Go's
integer semantics, locals, if/else, marks with values, channels made at run time and channel
values, durations in time units -- and the errors a bad program gets (at the line that builds
it, at compile, at run time, and from the native loader)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import gmpcore as gc
from gmpcore import _engine, units
from gmpcore.runner import ProgramError


def run(prog, procs=1, **kw):
    kw.setdefault("machine", gc.Machine(procs=procs))
    return gc.run(prog, seed=1, **kw)


def values(res, label=None):
    m = res.marks
    if label is not None:
        m = m[m["label"] == label]
    return [tuple(r) for r in m[["value", "value2", "value3"]].itertuples(index=False)]


# -- expressions ---------------------------------------------------------------------------------
def test_arithmetic_follows_go():
    """Go's / truncates and % takes the dividend's sign; shifts, wrap-around, comparisons."""
    prog = gc.Program()
    main = prog.func("main")
    x = main.let("x", -7)
    y = main.let("y", 2)
    main.mark("div", x // y, x % y, -x // y)          # -3, -1, 3 (Python: -4, 1, 3)
    s7 = main.let("s7", 7)
    main.mark("mod", s7 % -2, x % -y, s7 // -2)       # 1, -1, -3
    big = main.let("big", 2**31 - 1)
    main.mark("wrap", big * big * big * 8, 1 << y, -1 >> y)
    main.mark("shift", big << 40, (big << 62) >> 70, x >> 64)
    main.mark("cmp", (x < y) & (y <= 2), (x == -7) | (y > 5), ~(x == -7))
    main.mark("bits", x & 12, x | 1, x ^ -1)
    main.mark("neg", -x, ~y, +y)
    res = run(prog)
    assert res.status == "ok"
    wrap = (2**31 - 1) ** 3 * 8
    wrap = (wrap + 2**63) % 2**64 - 2**63
    big_shift = ((2**31 - 1) << 40) % 2**64
    big_shift = big_shift - 2**64 if big_shift >= 2**63 else big_shift
    assert values(res) == [(-3, -1, 3), (1, -1, -3), (wrap, 4, -1), (big_shift, -1, -1),
                           (1, 1, 0), (8, -7, 6), (7, -3, 2)]


def test_go_with_arguments_spawn_iteration_and_received():
    """`go worker(id)`; the worker marks id*100+round for each round it receives."""
    prog = gc.Program()
    rounds = prog.chan("rounds", cap=0)
    wg = prog.waitgroup("wg")
    worker = prog.func("worker", "id")
    id_, = worker.params
    with worker.loop(2) as r:
        got = worker.recv(rounds, into="got")
        worker.mark("w", id_ * 100 + r, got, worker.spawn)
    worker.wg_done(wg)
    main = prog.func("main")
    main.wg_add(wg, 3)
    with main.loop(3) as i:
        main.go(worker, i + 10)                       # id = i + 10, spawn index = i
    with main.loop(6) as k:
        main.send(rounds, k * 7)
    main.wg_wait(wg)
    res = run(prog)
    assert res.status == "ok"
    w = sorted(values(res, "w"))
    assert [v[0] for v in w] == [1000, 1001, 1100, 1101, 1200, 1201]
    assert sorted(v[1] for v in w) == [0, 7, 14, 21, 28, 35]        # every value once
    assert all(v[2] == (v[0] // 100) - 10 for v in w)              # spawn index = id - 10


def test_if_else_makes_a_fanout_tree_one_function():
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    node = prog.func("node", "depth", "id")
    d, id_ = node.params
    node.mark("n", d, id_)
    with node.if_(d > 0):
        with node.loop(3) as i:
            node.go(node, d - 1, id_ * 3 + i)
    with node.else_():
        node.mark("leaf", id_)
        node.wg_done(wg)
    main = prog.func("main")
    main.wg_add(wg, 27)
    main.go(node, 3, 0)
    main.wg_wait(wg)
    res = run(prog, procs=4)
    assert res.status == "ok"
    assert res.summary["goroutines_created"] == 1 + 1 + 3 + 9 + 27
    assert sorted(values(res, "n")) == sorted((3 - k, i, 0) for k in range(4)
                                              for i in range(3 ** k))
    assert sorted(v[0] for v in values(res, "leaf")) == list(range(27))


def test_if_without_else_and_nested_conditions():
    prog = gc.Program()
    main = prog.func("main")
    with main.loop(6) as i:
        with main.if_((i % 2 == 0) & ~(i == 4)):
            main.mark("even", i)
        with main.if_(i >= 4):
            with main.if_(i == 5):
                main.mark("five", i)
            with main.else_():
                main.mark("four", i)
    res = run(prog)
    assert [(lab, v) for lab, v in zip(res.marks["label"], res.marks["value"])] == [
        ("even", 0), ("even", 2), ("four", 4), ("five", 5)]


def test_locals_are_per_goroutine_and_reset_when_a_g_is_reused():
    """1000 goroutines run one after the other (Gs are recycled through gFree): each one's
    counter starts at 0."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    w = prog.func("w")
    n = w.let("n", 0)
    with w.loop(3):
        w.set(n, n + w.spawn)
    w.mark("n", n)
    w.wg_done(wg)
    main = prog.func("main")
    main.wg_add(wg, 1000)
    with main.loop(1000):
        main.go(w)
        main.gosched()
    main.wg_wait(wg)
    res = run(prog, procs=2)
    assert res.summary["gfree_reuse"] > 0
    assert sorted(v[0] for v in values(res, "n")) == [3 * k for k in range(1000)]


# -- channels as values -------------------------------------------------------------------------
def test_channels_made_in_a_loop_and_passed_to_goroutines():
    prog = gc.Program()
    worker = prog.func("worker", "id", "reply chan int")
    id_, reply = worker.params
    worker.compute(ns=100)
    worker.send(reply, id_ * id_)
    main = prog.func("main")
    with main.loop(4) as i:
        ch = main.make_chan("reply", cap=1)
        main.go(worker, i, ch)
        main.mark("got", i, main.recv(ch, into="v"))
    res = run(prog, procs=2)
    assert values(res, "got") == [(0, 0, 0), (1, 1, 0), (2, 4, 0), (3, 9, 0)]
    ch = res.channels
    assert ch["chan"].tolist() == ["reply#0", "reply#1", "reply#2", "reply#3"]
    assert ch["sends"].tolist() == [1] * 4 and ch["recvs"].tolist() == [1] * 4
    assert ch["cap"].tolist() == [1] * 4


def test_range_and_close_on_a_channel_value_and_static_channels_as_values():
    prog = gc.Program()
    results = prog.chan("results", cap=16)
    wg = prog.waitgroup("wg")
    stage = prog.func("stage", "in chan", "out chan")
    in_, out = stage.params
    with stage.range(in_) as v:
        stage.recv(results)                       # another receive: v keeps its value
        stage.send(out, v * 2)
    stage.close(out)
    sink = prog.func("sink", "in chan")
    in_, = sink.params
    with sink.range(in_) as v:
        sink.mark("v", v)
    sink.wg_done(wg)
    main = prog.func("main")
    main.wg_add(wg, 1)
    with main.loop(5):
        main.send(results, -1)
    a = main.make_chan("a")
    b = main.make_chan("b")
    main.go(stage, a, b)
    main.go(sink, b)
    with main.loop(5) as i:
        main.send(a, i + 1)
    main.close(a)
    main.wg_wait(wg)
    res = run(prog, procs=2)
    assert res.status == "ok"
    assert [v[0] for v in values(res, "v")] == [2, 4, 6, 8, 10]
    assert res.channels.set_index("chan").loc[["a#0", "b#0"], "closed"].tolist() == [True, True]


def test_select_on_channel_values_and_a_nil_case():
    """select over channels made at run time; a nil channel's case is never ready."""
    prog = gc.Program()
    prod = prog.func("prod", "out chan")
    out, = prod.params
    with prod.loop(3) as i:
        prod.send(out, i + 1)
    sink = prog.func("sink", "in chan", "done chan")
    in_, done = sink.params
    with sink.range(in_) as v:
        sink.mark("sink", v)
    sink.send(done, 0)
    main = prog.func("main")
    a = main.make_chan("a")
    b = main.make_chan("b", cap=1)
    done = main.make_chan("done")
    with main.if_(main.spawn == 1):
        nilc = main.make_chan("never")            # not taken: nilc stays nil
    main.go(prod, a)
    main.go(sink, b, done)
    with main.loop(4):
        with main.select() as sel:
            with sel.recv(a) as v:
                main.mark("a", v)
                with main.select() as sel2:       # case b <- v*10 (b has room)
                    with sel2.send(b, v * 10):
                        pass
                    with sel2.recv(nilc):
                        main.mark("nil")
            with sel.recv(nilc) as w:
                main.mark("nil", w)
            with sel.after(us=50):
                main.mark("timeout")
    main.close(b)
    main.recv(done)
    res = run(prog, procs=2)
    assert res.status == "ok"
    m = res.marks
    assert m.loc[m["label"].isin(["a", "timeout"]), "label"].tolist() == ["a"] * 3 + ["timeout"]
    assert m.loc[m["label"] == "a", "value"].tolist() == [1, 2, 3]
    assert m.loc[m["label"] == "sink", "value"].tolist() == [10, 20, 30]
    ch = res.channels.set_index("chan")
    assert ch.loc["a#0", "recvs"] == 3 and ch.loc["b#0", "recvs"] == 3
    assert "never#0" not in ch.index


def test_nil_channel_blocks_forever_and_close_of_nil_panics():
    """A channel local never assigned is nil: a receive parks for good ("chan receive (nil
    chan)", then the deadlock), close panics (chan.go)."""
    prog = gc.Program()
    main = prog.func("main")
    with main.if_(main.spawn == 1):               # not taken: d stays the nil channel
        d = main.make_chan("d")
    main.recv(d)
    res = run(prog, check_every=1)
    assert res.status == "deadlock"
    assert res.blocked["wait_reason"].tolist() == ["chan receive (nil chan)"]
    # a select whose every channel is nil blocks forever too (no sudog, no timer)
    prog = gc.Program()
    main = prog.func("main")
    with main.if_(main.spawn == 1):
        d = main.make_chan("d")
    with main.select() as sel:
        with sel.recv(d):
            main.mark("never")
        with sel.send(d, 1):
            main.mark("never")
    res = run(prog, check_every=1)
    assert res.status == "deadlock" and res.blocked["wait_reason"].tolist() == ["select"]
    prog = gc.Program()
    main = prog.func("main")
    with main.if_(main.spawn == 1):
        e = main.make_chan("e")
    main.close(e)
    with pytest.raises(ProgramError, match="close of nil channel.*CCLOSE in function 'main'"):
        run(prog)


def test_runtime_panics_name_the_instruction():
    prog = gc.Program()
    main = prog.func("main")
    z = main.let("z", main.spawn)                 # 0 at run time
    main.mark("x", 10 // z)
    with pytest.raises(ProgramError, match=r"integer divide by zero \(instruction 1: MARKX in "
                                           r"function 'main'\)"):
        run(prog)
    prog = gc.Program()
    main = prog.func("main")
    main.mark("x", 1 << (main.spawn - 1))
    with pytest.raises(ProgramError, match="negative shift amount"):
        run(prog)


# -- durations in time units --------------------------------------------------------------------
def test_durations_in_time_units_use_the_machine_clock():
    def prog_with(**kw):
        prog = gc.Program()
        main = prog.func("main")
        main.compute(**kw)
        return prog
    m = gc.Machine(procs=1, clock_ghz=2.5, sysmon=False)
    base = gc.run(prog_with(ns=0), machine=m, costs=gc.CostModel.zero()
                  ).summary["emulated_cycles"]
    for kw, cycles in [({"ns": 400}, 1000), ({"us": 2}, 5000), ({"ms": 0.001}, 2500),
                       ({"s": 1e-6}, 2500)]:
        res = gc.run(prog_with(**kw), machine=m, costs=gc.CostModel.zero())
        assert res.summary["emulated_cycles"] - base == cycles, kw
    # the same program on a 3 GHz machine: 400 ns is 1200 cycles
    res = gc.run(prog_with(ns=400), machine=gc.Machine(procs=1, sysmon=False),
                 costs=gc.CostModel.zero())
    assert res.summary["emulated_cycles"] - base == 1200
    # a distribution in a unit: its parameters scale
    c = prog_with(us=gc.Exponential(3)).compile(machine=gc.Machine(procs=1))
    assert c.dist_kind.tolist() == [_engine.DISTS["exp"]] and c.dist_a.tolist() == [9000.0]
    c = prog_with(ns=gc.Uniform(10, 20)).compile(machine=gc.Machine(procs=1))
    assert c.dist_a.tolist() == [30.0] and c.dist_b.tolist() == [60.0]


def test_sleep_timeout_after_and_arrivals_in_units():
    prog = gc.Program()
    main = prog.func("main")
    main.with_timeout(ms=1)
    with main.select() as sel:
        with sel.after(us=500):
            main.mark("after")
        with sel.done():
            main.mark("done")
    main.sleep(us=100)
    main.mark("slept")
    res = run(prog)
    assert res.marks["label"].tolist() == ["after", "slept"]
    assert res.marks["time_ns"].iloc[1] - res.marks["time_ns"].iloc[0] >= 100_000
    prog = gc.Program()
    main = prog.func("main")
    main.with_timeout(us=10)
    with main.select() as sel:
        with sel.after(ms=1):
            main.mark("after")
        with sel.done():
            main.mark("done")
    assert run(prog).marks["label"].tolist() == ["done"]


def test_units_module():
    assert units.ns_to_cycles(333.4, 3.0) == 1000
    assert gc.Machine(procs=1).cycles(333.4) == 1000          # Machine.cycles goes through it
    assert units.to_ns(2, "us") == 2000 and units.to_ns(1.5, "ms") == 1.5e6
    with pytest.raises(ValueError, match="unknown time unit"):
        units.to_ns(1, "h")
    with pytest.raises(TypeError, match="one duration"):
        gc.Program().func("main").sleep(100, us=1)
    with pytest.raises(TypeError, match="one duration"):
        gc.Program().func("main").compute(ns=1, us=1)
    prog = gc.Program()
    prog.func("main").compute(us=1)
    with pytest.raises(ValueError, match="us=1 is a time: compile the program for a machine"):
        prog.compile()


# -- errors found while building or compiling ---------------------------------------------------
def test_build_errors_name_the_problem():
    prog = gc.Program()
    f = prog.func("f", "n", "c chan")
    n, c = f.params
    g = prog.func("g")
    with pytest.raises(TypeError, match=r"\(c \+ 1\): operator \+ needs numbers, but c is a "
                                        r"channel"):
        c + 1
    with pytest.raises(TypeError, match="if_.*condition must be a comparison"):
        with f.if_(n):
            pass
    with pytest.raises(TypeError, match="operator \\+ needs numbers, but \\(n > 0\\) is a "
                                        "condition"):
        (n > 0) + 1
    with pytest.raises(TypeError, match="no Python truth value"):
        if n > 0:
            pass
    with pytest.raises(TypeError, match="use // for Go's integer division"):
        n / 2
    with pytest.raises(ValueError, match="n belongs to function 'f', not 'g'"):
        g.mark("x", n)
    with f.loop(3) as i:
        pass
    with pytest.raises(ValueError, match="i0 is used outside its loop"):
        f.mark("x", i)
    with f.range(c) as v:
        pass
    with pytest.raises(ValueError, match="v is used outside its block"):
        f.mark("x", v)
    with pytest.raises(TypeError, match="send: n is an int, not a channel"):
        f.send(n, 1)
    with pytest.raises(TypeError, match="c is a channel, not a number"):
        f.mark("x", c)
    with pytest.raises(TypeError, match="a channel send needs a number"):
        f.send(c, c)
    with pytest.raises(ValueError, match="at most 3 values"):
        f.mark("x", 1, 2, 3, 4)
    with pytest.raises(ValueError, match="must fit in int32"):
        f.mark("x", n + 2**40)
    with pytest.raises(ValueError, match="else_\\(\\) must follow an if_\\(\\) block"):
        with g.else_():
            pass
    with pytest.raises(ValueError, match="bad parameter 'x float'"):
        prog.func("h", "x float")
    with pytest.raises(TypeError, match="case <-ch: n is an int, not a channel"):
        with f.select() as sel:
            sel.recv(n)
    with pytest.raises(TypeError, match="set\\(n, c\\): n is an int, the value a channel"):
        f.set(n, c)
    k = prog.func("k")
    for j in range(16):
        k.let(f"x{j}", j)
    with pytest.raises(ValueError, match="at most 16 parameters and locals"):
        k.let("x16", 0)


def test_compile_errors_name_the_call():
    prog = gc.Program()
    w = prog.func("worker", "id", "jobs chan")
    main = prog.func("main")
    main.go(w, 1)                                  # one argument for two parameters
    with pytest.raises(TypeError, match=r"test_dsl.py:\d+: function 'main': go worker\(1 "
                                        r"\(int\)\) does not match func worker\(id int, jobs "
                                        r"chan\): 1 argument\(s\) for 2"):
        prog.compile()
    prog = gc.Program()
    w = prog.func("worker", "id", "jobs chan")
    main = prog.func("main")
    main.go(w, prog.chan("c"), 1)                  # the types swapped
    with pytest.raises(TypeError, match="does not match func worker"):
        prog.compile()
    prog = gc.Program()
    prog.func("worker", "id")
    prog.func("main").go("worker")                 # the old form, for a function with params
    with pytest.raises(TypeError, match="0 argument"):
        prog.compile()
    prog = gc.Program()
    prog.func("main", "x")
    with pytest.raises(ValueError, match="'main' cannot take parameters"):
        prog.compile()
    prog = gc.Program()
    prog.func("main")
    prog.func("h", "x")
    prog.arrivals("h", 100, 5)
    with pytest.raises(ValueError, match="arrivals\\(\\) function 'h' cannot take parameters"):
        prog.compile()


# -- the native loader --------------------------------------------------------------------------
def _compiled():
    prog = gc.Program()
    w = prog.func("w", "a", "c chan")
    a, c = w.params
    w.send(c, a * 2)
    main = prog.func("main")
    ch = main.make_chan("c", cap=1)
    main.go(w, 3, ch)
    with main.if_(main.spawn == 0):
        main.mark("v", main.recv(ch, into="v"))
    return prog.compile()


def _load(compiled):
    from gmpcore.runner import native_config
    m = gc.Machine(procs=1)
    cfg = native_config(m, gc.CostModel(), gc.get_strategy("go"), nprocs=1, seed=0,
                        record=True, max_events=1000, max_cycles=2**62, sample_every=0,
                        trace_cap=0, trace_from=0, trace_to=2**62)
    return _engine.Engine(compiled, cfg)


def test_loader_accepts_the_compiled_program_and_it_runs():
    eng = _load(_compiled())
    assert eng.run() == "ok"


@pytest.mark.parametrize("edit,msg", [
    (lambda c, x: x.__setitem__(slice(0, 2), [_engine.ENUMS["X_ADD"], 0]), "binary operator"),
    (lambda c, x: x.__setitem__(slice(-2, None), [0, 5]), "ends with"),
    (lambda c, x: x.__setitem__(-2, 99), "unknown operation|does not end"),
    (lambda c, x: x.__setitem__(slice(0, 2), [_engine.ENUMS["X_LOCAL"], 16]),
     "local 16 does not exist"),
    (lambda c, x: x.__setitem__(slice(0, 2), [_engine.ENUMS["X_ITER"], 7]), "loop depth 7"),
])
def test_loader_rejects_bad_expressions(edit, msg):
    c = _compiled()
    x = c.exprs.copy()
    edit(c, x)
    c = dataclasses.replace(c, exprs=x)
    with pytest.raises(ValueError, match=msg):
        _load(c)


def _edit_op(c, name, word, value):
    code = c.code.copy().reshape(-1, _engine.INSTR)
    pc = int(np.flatnonzero(code[:, 0] == _engine.OPCODES[name])[0])
    code[pc, word] = value
    return dataclasses.replace(c, code=code.reshape(-1))


@pytest.mark.parametrize("name,word,value,msg", [
    ("GOX", 2, 1, "not the start of an expression"),
    ("GOX", 3, 1, "gives 2 values \\(1..1 needed\\)"),
    ("GOX", 3, 17, "17 arguments"),
    ("MARKX", 3, 4, "records 1..3 values"),
    ("SET", 1, 2, "local 2 does not exist"),
    ("SET", 2, 10**6, "not the start of an expression"),
    ("IF", 2, 10**6, "else target"),
    ("IF", 2, 0, "else target 0"),
    ("MAKECHAN", 2, -1, "channel capacity -1"),
    ("MAKECHAN", 3, 5, "make\\(chan\\) site 5 does not exist"),
    ("CSEND", 2, 9, "unknown value source"),
    ("CSEND", 1, -3, "not the start of an expression"),
    ("CRECV", 2, 10**6, "range exit"),
])
def test_loader_rejects_bad_operands(name, word, value, msg):
    with pytest.raises(ValueError, match=msg):
        _load(_edit_op(_compiled(), name, word, value))


def test_loader_rejects_a_frame_too_large():
    c = dataclasses.replace(_compiled(), nlocals=17)
    with pytest.raises(ValueError, match="17 locals per frame"):
        _load(c)


def test_existing_programs_compile_to_the_same_code():
    """A program without the new features has no expressions and no locals: its code is
    what it was (test_golden pins the results)."""
    c = gc.workloads.burst(100, 2000, mark=True).compile()
    assert len(c.exprs) == 0 and c.nlocals == 0
    ops = set(c.code.reshape(-1, _engine.INSTR)[:, 0].tolist())
    assert not ops & {_engine.OPCODES[k] for k in ("SET", "IF", "GOX", "MARKX", "MAKECHAN",
                                                   "CSEND", "CRECV", "CCLOSE")}


def test_channels_made_without_end_stop_at_the_memory_budget():
    prog = gc.Program()
    main = prog.func("main")
    with main.loop(2**31 - 1):
        main.make_chan("c", cap=1 << 20)             # 8 MiB each, never freed
    with pytest.raises(gc.MemoryLimitError, match="channels made by the program"):
        gc.run(prog, procs=1, memory_limit=64 << 20)


def test_invariants_hold_with_values_if_and_channel_values():
    """The pingpong twin's shape on 4 Ps with every scheduler invariant checked at every
    micro-step."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    pinger = prog.func("pinger", "i", "ping chan", "pong chan")
    i, ping, pong = pinger.params
    with pinger.loop(20) as it:
        pinger.send(ping, it)
        pinger.mark("a", i, it, pinger.recv(pong, into="v"))
    pinger.wg_done(wg)
    ponger = prog.func("ponger", "i", "ping chan", "pong chan")
    i, ping, pong = ponger.params
    with ponger.range(ping) as v:
        with ponger.if_(v % 2 == 0):
            ponger.send(pong, v)
        with ponger.else_():
            ponger.compute(ns=200).send(pong, -v)
    main = prog.func("main")
    main.wg_add(wg, 30)
    with main.loop(30) as i:
        a, b = main.make_chan("ping"), main.make_chan("pong", cap=1)
        main.go(pinger, i, a, b)
        main.go(ponger, i, a, b)
    main.wg_wait(wg)
    res = gc.run(prog, procs=4, seed=3, check_every=1)
    assert res.status == "ok"
    m = res.marks
    assert len(m) == 600
    assert (m["value3"] == np.where(m["value2"] % 2 == 0, m["value2"], -m["value2"])).all()
    assert len(res.channels) == 60 and res.channels["recvs"].sum() == 1200
    assert sorted(res.blocked["wait_reason"]) == ["chan receive"] * 30   # the pongers


def test_disassemble_shows_the_expressions():
    prog = gc.Program()
    node = prog.func("node", "depth")
    d, = node.params
    with node.if_(d > 0):
        node.go(node, d - 1)
    prog.func("main").go(node, 2)
    text = prog.compile().disassemble()
    assert "IF       0 2" in text and "GOX      0 4 1" in text
    assert "LOCAL(0) CONST(0) GT -> 1 value(s)" in text
    assert "LOCAL(0) CONST(1) SUB -> 1 value(s)" in text
