"""The runs of a comparison go in threads at the same time: the results must be those of
running them one after another (the engine releases the GIL; nothing else is shared)."""
import gmpcore
from gmpcore import workloads
from gmpcore.experiments import queue_comparison, strategy_matrix

TIMING = ("wall_s", "events_per_s")


def _drop_timing(df):
    return df.drop(columns=[c for c in df.columns if c in TIMING or "wall" in c]).reset_index(
        drop=True)


def test_queue_comparison_parallel_equals_sequential():
    kw = dict(goroutines=20_000, procs=8, strategies=("go", "global", "tokio"), seed=3)
    seq = queue_comparison(parallel=False, **kw)
    par = queue_comparison(parallel=True, **kw)
    assert list(par["strategy"]) == list(seq["strategy"])
    assert _drop_timing(par).equals(_drop_timing(seq))
    assert int(seq["goroutines_created"].iloc[0]) == 20_001


def test_strategy_matrix_parallel_equals_sequential():
    progs = {"burst": workloads.burst(5_000, gmpcore.Exponential(2000)),
             "tree": workloads.tree(5_000)}
    kw = dict(strategies=("go", "steal-one"), procs=4, seeds=(1, 2))
    seq = strategy_matrix(progs, parallel=False, **kw)
    par = strategy_matrix(progs, parallel=True, **kw)
    assert len(seq) == 8
    assert _drop_timing(par).equals(_drop_timing(seq))


def test_queue_comparison_progress_callable():
    calls = []
    queue_comparison(goroutines=2_000, procs=4, strategies=("go", "global"),
                     progress=lambda i, ev, ns: calls.append((i, ev, ns)))
    # one call per engine chunk at least: the last one of each run has its final events
    assert sorted({i for i, _, _ in calls}) == [0, 1]
    assert all(ev > 0 and ns > 0 for _, ev, ns in calls)
