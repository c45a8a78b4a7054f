"""A run is a pure function of (program, configuration, seed): the same inputs give the same
Result, bit for bit -- in the same process, after other runs, and in another interpreter with
a different hash seed.  Different seeds give different runs where randomness matters.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmpcore as gc

WALL_KEYS = {"wall_s", "events_per_s"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stealing_program(n=2000, mean=3000, nested=True):
    """Multi-level fan-out with exponential work: steals, spinning, global-queue traffic."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    m = prog.func("main")
    m.wg_add(wg, n + (4 + 4 * 3 * 20 if nested else 0))    # everybody Done()s once
    m.go("worker", times=n)
    if nested:
        m.go("spawner", times=4)
    m.wg_wait(wg)
    w = prog.func("worker")
    w.compute(gc.Exponential(mean))
    w.mark("w")
    w.wg_done(wg)
    if nested:
        sp = prog.func("spawner")
        with sp.loop(3):
            sp.go("leaf", times=20)
            sp.compute(gc.Uniform(100, 5000))
            sp.gosched()
        sp.mark("spawner")
        sp.wg_done(wg)
        leaf = prog.func("leaf")
        leaf.compute(gc.LogNormal(1500, 1.0))
        leaf.mark("leaf")
        leaf.wg_done(wg)
    return prog


def summary_key(res):
    return {k: v for k, v in res.summary.items() if k not in WALL_KEYS}


def assert_same_run(a, b):
    sa, sb = summary_key(a), summary_key(b)
    diff = {k: (sa[k], sb.get(k)) for k in sa if sa[k] != sb.get(k) and
            not (isinstance(sa[k], float) and np.isnan(sa[k]) and np.isnan(sb.get(k)))}
    assert not diff, f"summaries differ: {diff}"
    assert sa.keys() == sb.keys()
    assert np.array_equal(a.start_order, b.start_order)
    pd.testing.assert_frame_equal(a.marks, b.marks)
    pd.testing.assert_frame_equal(a.steals, b.steals)
    pd.testing.assert_frame_equal(a.per_p, b.per_p)
    assert np.array_equal(a.latency.counts, b.latency.counts)
    assert a.latency.total_cycles == b.latency.total_cycles
    assert a.mark_tuples() == b.mark_tuples()


CONFIGS = [
    dict(procs=1, strategy="go"),
    dict(procs=4, strategy="go"),
    dict(procs=16, strategy="go"),
    dict(procs=8, strategy="global"),
    dict(procs=6, strategy=gc.Strategy(name="small", ring_cap=8, global_batch_max=4)),
    dict(procs=5, strategy="go", costs=gc.CostModel.zero()),
    dict(procs=7, strategy="go", machine=gc.Machine(procs=7, start_schedtick=13,
                                                    init_goroutines=2)),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c['procs']}-{gc.get_strategy(c['strategy']).name}")
def test_same_seed_same_result(cfg):
    prog = stealing_program()
    a = gc.run(prog, seed=42, **cfg)
    b = gc.run(prog, seed=42, **cfg)
    assert a.status == "ok"
    assert_same_run(a, b)
    # a Program built again from scratch (new ids, new objects) runs the same
    c = gc.run(stealing_program(), seed=42, **cfg)
    assert_same_run(a, c)


def test_same_result_after_other_runs():
    """No state survives a run: the same run, after other (larger, different) runs have
    allocated and freed engine memory, is unchanged."""
    cfg = dict(procs=8, strategy="go", seed=7)
    first = gc.run(stealing_program(500), **cfg)
    for seed, procs, n in [(1, 16, 3000), (2, 3, 800), (3, 12, 4000)]:
        gc.run(stealing_program(n, mean=500), procs=procs, seed=seed)
    again = gc.run(stealing_program(500), **cfg)
    assert_same_run(first, again)


def test_record_does_not_change_the_run():
    prog = stealing_program()
    a = gc.run(prog, procs=8, seed=5, record=True)
    b = gc.run(prog, procs=8, seed=5, record=False)
    assert summary_key(a) == summary_key(b)
    assert np.array_equal(a.latency.counts, b.latency.counts)
    pd.testing.assert_frame_equal(a.per_p, b.per_p)


@pytest.mark.parametrize("check_every", [1, 3, 1000])
def test_checking_invariants_does_not_change_the_run(check_every):
    prog = stealing_program(800)
    a = gc.run(prog, procs=8, seed=11)
    b = gc.run(prog, procs=8, seed=11, check_every=check_every)
    assert_same_run(a, b)


def test_chunked_execution_does_not_change_the_run(monkeypatch):
    # run() drives the engine in chunks of events (to honour Ctrl-C); the chunk size must not
    # matter
    import gmpcore.runner
    prog = stealing_program(800)
    a = gc.run(prog, procs=8, seed=3)
    monkeypatch.setattr(gmpcore.runner, "CHUNK_EVENTS", 97)
    b = gc.run(prog, procs=8, seed=3)
    assert_same_run(a, b)


def test_function_definition_order_does_not_matter():
    def build(main_first):
        prog = gc.Program()
        wg = prog.waitgroup()
        defs = {}

        def main():
            m = prog.func("main")
            m.wg_add(wg, 600)
            m.go("worker", times=600)
            m.wg_wait(wg)

        def worker():
            w = prog.func("worker")
            w.compute(gc.Exponential(2500))
            w.mark("w")
            w.wg_done(wg)
        defs["main"], defs["worker"] = main, worker
        for name in (["main", "worker"] if main_first else ["worker", "main"]):
            defs[name]()
        return prog
    a = gc.run(build(True), procs=6, seed=21)
    b = gc.run(build(False), procs=6, seed=21)
    assert_same_run(a, b)


def test_different_seeds_give_different_runs():
    prog = stealing_program()
    runs = [gc.run(prog, procs=8, seed=s) for s in range(1, 6)]
    assert all(r.status == "ok" for r in runs)
    cycles = {r.summary["emulated_cycles"] for r in runs}
    assert len(cycles) == 5, cycles
    orders = {tuple(r.start_order.tolist()) for r in runs}
    assert len(orders) == 5
    steals = {tuple(map(tuple, r.steals[["time_cycles", "thief", "victim", "n"]].to_numpy()))
              for r in runs}
    assert len(steals) == 5
    # ... but the program's own counts do not depend on the seed
    assert {r.summary["goroutines_created"] for r in runs} == {2000 + 4 + 4 * 3 * 20 + 1}
    assert {len(r.marks) for r in runs} == {2000 + 4 + 240}


def test_seed_only_matters_through_randomness():
    # one P, constant work: Go's rules fix the order; the seed only drives the victim order of
    # steal passes (none on one P) and work sampling (constant) -- so every seed is the same
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 400)
    m.go("w", times=400)
    m.wg_wait(wg)
    w = prog.func("w")
    w.compute(1000)
    w.mark("w")
    w.wg_done(wg)
    a = gc.run(prog, procs=1, seed=1)
    b = gc.run(prog, procs=1, seed=2**63 + 12345)
    sa, sb = summary_key(a), summary_key(b)
    sa.pop("seed"), sb.pop("seed")
    assert sa == sb
    assert np.array_equal(a.start_order, b.start_order)


_CHILD = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {repo!r})
    import gmpcore as gc
    sys.path.insert(0, {tests!r})
    from test_determinism import stealing_program, summary_key
    res = gc.run(stealing_program(), procs=8, strategy={strategy!r}, seed=99)
    out = {{"summary": summary_key(res), "start_order": res.start_order.tolist(),
           "marks": [list(t) for t in res.mark_tuples()],
           "steals": res.steals.astype({{"runnext": int}}).to_numpy().tolist(),
           "latency": res.latency.counts.tolist(), "hashseed": __import__("os").environ.get(
               "PYTHONHASHSEED")}}
    print(json.dumps(out, default=float))
""")


def _in_subprocess(strategy, hashseed):
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    code = _CHILD.format(repo=REPO, tests=os.path.join(REPO, "tests"), strategy=strategy)
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120, cwd=REPO)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("strategy", ["go", "global"])
def test_same_result_in_another_interpreter(strategy):
    here = gc.run(stealing_program(), procs=8, strategy=strategy, seed=99)
    mine = {"summary": summary_key(here), "start_order": here.start_order.tolist(),
            "marks": [list(t) for t in here.mark_tuples()],
            "steals": here.steals.astype({"runnext": int}).to_numpy().tolist(),
            "latency": here.latency.counts.tolist()}
    mine = json.loads(json.dumps(mine, default=float))
    a = _in_subprocess(strategy, 1)
    b = _in_subprocess(strategy, 4242)
    assert a.pop("hashseed") == "1" and b.pop("hashseed") == "4242"
    for other in (a, b):
        assert other["summary"] == mine["summary"]
        for k in ("start_order", "marks", "steals", "latency"):
            assert other[k] == mine[k], k


@settings(max_examples=25, deadline=None, derandomize=True)
@given(procs=st.integers(1, 16), seed=st.integers(0, 2**64 - 1),
       strategy=st.sampled_from(["go", "global"]), n=st.integers(1, 1500),
       mean=st.integers(0, 5000), gosched=st.booleans(), zero=st.booleans())
def test_determinism_property(procs, seed, strategy, n, mean, gosched, zero):
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, n)
    m.go("w", times=n)
    m.wg_wait(wg)
    w = prog.func("w")
    w.compute(gc.Exponential(mean))
    if gosched:
        w.gosched()
        w.compute(gc.Uniform(0, mean))
    w.mark("w")
    w.wg_done(wg)
    costs = gc.CostModel.zero() if zero else gc.CostModel()
    a = gc.run(prog, procs=procs, strategy=strategy, seed=seed, costs=costs)
    gc.run(stealing_program(300), procs=16, seed=seed ^ 1)   # dirty the allocator in between
    b = gc.run(prog, procs=procs, strategy=strategy, seed=seed, costs=costs)
    assert a.status == "ok"
    assert_same_run(a, b)
