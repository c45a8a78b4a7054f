"""The G record is 64 bytes; the fields only blocking operations use live in side tables.

G.val (the value last received), G.wait_start (mutex waits, select timeouts and cases won, the
cycles left of a preempted compute) and the counters of loops nested deeper than two are kept
by G index in tables the engine allocates the first time they are needed (pyx/sched/gs.pxi).
These tests check, through the public API, that programs behave as if the fields were in the
record: deep loops count right, a recycled G starts with val 0, a preempted compute resumes
with the cycles it had left.
"""
import itertools

import gmpcore as gc
from gmpcore import _engine, workloads


def test_g_record_is_one_cache_line():
    assert _engine.G_RECORD_BYTES == 64 == gc.G_DTYPE.itemsize
    assert _engine.ENUMS["G_LOOPS_INLINE"] == 2 < _engine.MAXLOOPDEPTH == 4


def test_four_nested_loops_count_every_level():
    # the iterations of levels 3 and 4 live in the side table: marks, `go` spawn indexes and
    # "iter" values see the innermost counter, and the outer ones resume where they were
    prog = gc.Program()
    ch = prog.chan("c", cap=64)
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 12)
    with main.loop(2):
        main.mark("l1")
        with main.loop(3):
            main.mark("l2")
            with main.loop(2):
                main.mark("l3")
                with main.loop(2):
                    main.mark("l4")
                    main.send(ch, "iter")
                main.mark("l3end")
                main.go("child")
    main.close(ch)
    with main.range(ch):
        main.mark("got")
    main.wg_wait(wg)
    child = prog.func("child")
    child.mark("child")
    child.wg_done(wg)
    res = gc.run(prog, procs=1, seed=1)
    assert res.status == "ok"
    t = res.mark_tuples()
    want = []
    for i1 in range(2):
        want.append(("l1", 0, i1))
        for i2 in range(3):
            want.append(("l2", 0, i2))
            for i3 in range(2):
                want.append(("l3", 0, i3))
                for i4 in range(2):
                    want.append(("l4", 0, i4))
                want.append(("l3end", 0, i3))
    assert [x for x in t if x[0] != "child" and x[0] != "got"] == want
    # every child was spawned at the third level: its spawn index is that level's iteration
    assert sorted(s for lab, s, _ in t if lab == "child") == sorted(
        i3 for _, _, i3 in itertools.product(range(2), range(3), range(2)))
    # the values sent were the fourth level's iterations, in order
    got = res.marks[res.marks["label"] == "got"]
    assert got["value"].tolist() == [0, 1] * 12


def test_values_received_follow_the_deep_loop_counter():
    prog = gc.Program()
    ch = prog.chan("c", cap=16)
    main = prog.func("main")
    with main.loop(1):
        with main.loop(1):
            with main.loop(2):
                with main.loop(3):
                    main.send(ch, "iter")
    main.close(ch)
    with main.range(ch):
        main.mark("got")
    res = gc.run(prog, procs=1, seed=1)
    assert res.marks["value"].tolist() == [0, 1, 2, 0, 1, 2]


def test_a_recycled_g_starts_with_val_zero():
    # A receives 42 and exits; on one P its G goes to the P's gFree list and the next `go`
    # takes that slot (gfget).  B forwards its own val, which must be 0, not A's 42.
    prog = gc.Program()
    ch, out = prog.chan("in"), prog.chan("out")
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 1)
    main.go("a")
    main.send(ch, 42)
    main.wg_wait(wg)
    main.go("b")
    main.recv(out)
    main.mark("got")
    a = prog.func("a")
    a.recv(ch)
    a.mark("a")
    a.wg_done(wg)
    b = prog.func("b")
    b.send(out, "val")
    res = gc.run(prog, procs=1, seed=1)
    m = res.marks.set_index("label")
    assert m.loc["a", "value"] == 42
    assert m.loc["got", "value"] == 0
    assert res.summary["gfree_reuse"] >= 1


def test_preempted_compute_resumes_with_what_it_had_left():
    # a compute longer than the 10 ms time slice is preempted (its remaining cycles go to the
    # wait_start side table) and resumed; the busy time is exactly the work done
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 3)
    main.go("spin", times=3)
    main.wg_wait(wg)
    spin = prog.func("spin")
    spin.compute(90_000_000)
    spin.wg_done(wg)
    res = gc.run(prog, procs=1, seed=1)
    s = res.summary
    assert s["status"] == "ok" and s["preemptions"] >= 3
    assert int(res.per_p["busy_cycles"].sum()) == 3 * 90_000_000


def test_a_burst_allocates_no_side_table():
    eng_res = gc.run(workloads.burst(20_000), procs=4, seed=1, record=False)
    assert eng_res.status == "ok"
    # the memory guard counts only the wait_start table (preemptible computes) for a burst
    from gmpcore.guard import _side_table_bytes
    c = workloads.burst(10).compile()
    assert _side_table_bytes(c) == 8
