"""stealWork's victim walk (pyx/sched/steal.pxi): the built-in stride orders skip idle Ps by
sched.idlepMask and, with many idle Ps, compute where the walk stops; a choose_victim kernel
returning the same order goes through the visit-by-visit walk.  Both must give the same run, to
the cache line, at every P (the walk's result, its idlepMask reads and the pass's state are
model output).  Invariant 17 (idlepMask agrees with the idle Ps, the timer count with the
heaps) is checked after every micro-step."""
import numpy as np
import pytest

import gmpcore as gc
from gmpcore import workloads

numba = pytest.importorskip("numba")


@gc.kernel("choose_victim")
def go_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    # proc.go randomOrder.start(r): position i of the pass, -1 when it is over
    if i >= nprocs:
        return -1
    inc = coprimes[(r // nprocs) % ncoprimes]
    return (r % nprocs + i * inc) % nprocs


@gc.kernel("choose_victim")
def sequential_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    if i >= nprocs:
        return -1
    return (r % nprocs + i) % nprocs


@gc.kernel("choose_victim")
def round_robin_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    if i >= nprocs:
        return -1
    return (thief + 1 + i) % nprocs


def _model_output(res):
    s = {k: v for k, v in res.summary.items() if k not in ("wall_s", "events_per_s", "strategy")}
    return s, res.cache.to_dict("index"), res.steals, res.per_p


def _same_run(a, b):
    sa, ca, sta, pa = _model_output(a)
    sb, cb, stb, pb = _model_output(b)
    assert sa == sb
    assert ca == cb
    assert sta.equals(stb)
    assert pa.equals(pb)
    assert np.array_equal(a.start_order, b.start_order)


@pytest.mark.parametrize("procs", [3, 16, 64, 200, 256])
def test_builtin_go_walk_equals_the_visit_by_visit_walk(procs):
    prog = workloads.burst(4000, gc.Exponential(2000))
    a = gc.run(prog, procs=procs, strategy="go", seed=procs)
    b = gc.run(prog, procs=procs, strategy=gc.Strategy(name="k", victim=go_order), seed=procs)
    assert a.summary["steals"] > 0 and a.summary["steal_attempts"] > a.summary["steals"]
    _same_run(a, b)


@pytest.mark.parametrize("victim,kernel", [("sequential", sequential_order),
                                           ("round_robin", round_robin_order)])
@pytest.mark.parametrize("procs", [5, 100])
def test_builtin_stride_orders_equal_their_kernels(victim, kernel, procs):
    prog = workloads.tree(3000, gc.Exponential(2000), fanout=8)
    a = gc.run(prog, procs=procs, strategy=gc.Strategy(name="b", victim=victim), seed=2)
    b = gc.run(prog, procs=procs, strategy=gc.Strategy(name="k", victim=kernel), seed=2)
    assert a.summary["steals"] > 0
    _same_run(a, b)


def test_idlepmask_reads_are_counted_per_visited_p():
    # P=256 with a handful of threads: each pass reads idlepMask once per P it passes (one
    # first read, then hits), not once per victim
    prog = workloads.burst(2000, gc.Exponential(2000))
    res = gc.run(prog, procs=256, strategy="go", seed=1)
    row = res.cache.loc["idlepMask"]
    assert row["accesses"] > 20 * res.summary["steal_attempts"]
    assert row["hits"] > 0.9 * row["accesses"]


def _sleepers(n, resize_to=None):
    p = gc.Program()
    wg = p.waitgroup("wg")
    m = p.func("main")
    m.wg_add(wg, n).go("w", times=n)
    if resize_to:
        m.compute(20000).gomaxprocs(resize_to)
    m.wg_wait(wg)
    w = p.func("w")
    w.compute(gc.Exponential(1500)).sleep(gc.Exponential(30000)).compute(gc.Exponential(800))
    w.wg_done(wg)
    return p


@pytest.mark.parametrize("procs,prog", [
    (64, lambda: workloads.burst(1500, gc.Exponential(2000))),
    (256, lambda: workloads.burst(1500, gc.Exponential(2000))),
    (100, lambda: _sleepers(800)),                 # timers: the last pass's timer stops
    (64, lambda: _sleepers(800, resize_to=200)),   # GOMAXPROCS changes during the run
    (200, lambda: _sleepers(800, resize_to=33)),
])
def test_invariants_hold_after_every_step(procs, prog):
    res = gc.run(prog(), procs=procs, strategy="go", seed=3, check_every=1)
    assert res.summary["status"] == "ok"
    assert res.summary["steal_attempts"] > 0
