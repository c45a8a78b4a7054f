"""Experiments: complete, reproducible comparisons returning tidy pandas DataFrames."""
from __future__ import annotations

from .config import CostModel, Machine, get_strategy
from .dist import as_distribution
from .runner import run
from . import workloads

__all__ = ["queue_comparison", "strategy_matrix", "plot_strategy_matrix", "COMPARISON_COLUMNS"]

# (column, label) of the comparison, in display order
COMPARISON_ROWS = [
    ("goroutines", "goroutines"),
    ("procs", "procs"),
    ("emulated_ms", "emulated time (ms)"),
    ("latency_mean_ns", "sched latency mean (ns)"),
    ("latency_p50_ns", "sched latency p50 (ns)"),
    ("latency_p99_ns", "sched latency p99 (ns)"),
    ("latency_p999_ns", "sched latency p99.9 (ns)"),
    ("cache_accesses", "cache accesses"),
    ("cache_misses", "cache misses"),
    ("cache_miss_rate", "cache miss rate"),
    ("transfers_local", "line transfers (same socket)"),
    ("transfers_remote", "line transfers (other socket)"),
    ("invalidations", "invalidations"),
    ("cas_attempts", "CAS attempts"),
    ("cas_failures", "CAS failures"),
    ("lock_acquisitions", "sched.lock acquisitions"),
    ("lock_contended", "sched.lock contended"),
    ("lock_wait_ms", "sched.lock wait (ms, all Ms)"),
    ("steals", "steals"),
    ("stolen_gs", "stolen goroutines"),
    ("globrunq_ops", "global queue puts+gets"),
    ("spinning_ms", "spinning (ms, all Ms)"),
    ("idle_ms", "idle (ms, all Ms)"),
    ("events", "emulated events"),
    ("wall_s", "wall time (s)"),
    ("events_per_s", "events/s"),
]
COMPARISON_COLUMNS = ["strategy"] + [c for c, _ in COMPARISON_ROWS]


def queue_comparison(goroutines: int = 1_000_000, procs: int = 16,
                     strategies=("go", "global"), work=None, spawn: str = "burst",
                     seed: int = 1, costs: CostModel | None = None,
                     machine: Machine | None = None, fanout: int = 16,
                     schedtrace_ms: float | None = None):
    """Run the same workload and seed under each strategy; one row per strategy.

    spawn="burst": main spawns every goroutine in one loop; spawn="tree": a fan-out tree
    (`fanout` children per inner goroutine).  work: cycles per goroutine (number or
    Distribution; default Exponential(2000), ~0.7 us at 3 GHz).
    """
    import pandas as pd
    from .dist import Exponential

    work = Exponential(2000) if work is None else as_distribution(work)
    if spawn == "burst":
        prog = workloads.burst(goroutines, work)
    elif spawn == "tree":
        prog = workloads.tree(goroutines, work, fanout=fanout)
    else:
        raise ValueError(f"spawn must be 'burst' or 'tree', got {spawn!r}")
    machine = machine or Machine(procs=procs)
    strategies = [get_strategy(s) for s in strategies]
    if not strategies:
        raise ValueError("strategies must name at least one strategy")
    rows = []
    for strat in strategies:
        res = run(prog, procs=procs, strategy=strat, seed=seed, machine=machine, costs=costs,
                  record=False, schedtrace_ms=schedtrace_ms)
        s = res.summary
        row = dict(s)
        if schedtrace_ms is not None:
            row["schedtrace"] = res.schedtrace()
        row.update({
            "goroutines": s["goroutines_created"] - 1,
            "emulated_ms": s["emulated_ns"] / 1e6,
            "globrunq_ops": s["globrunq_puts"] + s["globrunq_gets"],
            "lock_wait_ms": machine.ns(s["lock_wait_cycles"]) / 1e6,
            "spinning_ms": machine.ns(s["spinning_cycles"]) / 1e6,
            "idle_ms": machine.ns(s["idle_cycles"]) / 1e6,
            "work": repr(work),
            "spawn": spawn,
        })
        cache = res.cache
        for line, r in cache.iterrows():
            row[f"misses[{line}]"] = int(r["misses"])
            row[f"miss_rate[{line}]"] = float(r["miss_rate"])
            row[f"accesses[{line}]"] = int(r["accesses"])
        rows.append(row)
    df = pd.DataFrame(rows)
    front = [c for c in COMPARISON_COLUMNS if c in df.columns]
    return df[front + [c for c in df.columns if c not in front]]


def strategy_matrix(workloads, strategies=None, procs: int = 16, seeds=(1,),
                    machine: Machine | None = None, costs: CostModel | None = None):
    """Every strategy on every workload with the same seeds: one row per run.

    workloads   {name: Program} (or an iterable of (name, Program) pairs)
    strategies  names or Strategy objects (default: every preset in gmpcore.strategies)
    Returns a tidy DataFrame: workload, strategy, seed, every summary metric, and
    miss_rate[<line class>] for each class of cache line.
    """
    import pandas as pd
    from .config import STRATEGIES
    from .program import Program

    items = list(workloads.items()) if isinstance(workloads, dict) else list(workloads)
    if not items:
        raise ValueError("strategy_matrix needs at least one workload")
    for name, prog in items:
        if not isinstance(prog, Program):
            raise TypeError(f"workload {name!r} must be a gmpcore.Program, got "
                            f"{type(prog).__name__}")
    strategies = [get_strategy(s) for s in (strategies or list(STRATEGIES))]
    seeds = list(seeds)
    if not seeds:
        raise ValueError("strategy_matrix needs at least one seed")
    machine = machine or Machine(procs=procs)
    rows = []
    for wname, prog in items:
        for strat in strategies:
            for seed in seeds:
                res = run(prog, procs=procs, strategy=strat, seed=seed, machine=machine,
                          costs=costs, record=False)
                row = {"workload": wname, **res.summary}
                for line, r in res.cache.iterrows():
                    row[f"miss_rate[{line}]"] = float(r["miss_rate"])
                rows.append(row)
    return pd.DataFrame(rows)


def plot_strategy_matrix(df, metrics=("latency_p50_ns", "latency_p99_ns", "cache_miss_rate")):
    """Grouped bars: one panel per metric, workloads on the x axis, one bar per strategy (the
    mean over seeds, error bars one standard deviation across seeds).  Returns the matplotlib
    Figure.  (gmpcore.plot.strategy_matrix draws it.)"""
    from .plot import strategy_matrix
    return strategy_matrix(df, metrics)
