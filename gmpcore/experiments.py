"""Experiments: complete, reproducible comparisons returning tidy pandas DataFrames.

The runs of a comparison are independent, so they run in threads at the same time (the
engine releases the GIL while it emulates): the results are those of running them one after
another, in the same order, bit for bit.
"""
from __future__ import annotations

import os
import sys
import threading

from .config import CostModel, Machine, get_strategy
from .dist import as_distribution
from .runner import run
from . import workloads

# events per goroutine of a burst or tree (measured: 14-16 on 2..256 Ps), for the progress
# bar's ETA before the first run ends
_EVENTS_PER_G_ESTIMATE = 16


def _run_all(jobs, parallel, progress=None, total_events=None, desc="gmpcore"):
    """Run `jobs` (each a zero-argument function taking a progress callback and returning a
    Result), in threads when `parallel`; results in job order.  progress: True for a tqdm bar
    on stderr (emulated time, events, ETA against `total_events`), or a callable called as
    progress(job_index, events, emulated_ns)."""
    from concurrent.futures import ThreadPoolExecutor

    bar = None
    lock = threading.Lock()
    done = [0] * len(jobs)
    emul = [0.0] * len(jobs)
    if progress is True:
        from tqdm.auto import tqdm
        bar = tqdm(total=total_events, unit="ev", unit_scale=True, desc=desc, file=sys.stderr,
                   leave=False)

    def report(i):
        def cb(events, emulated_ns):
            with lock:
                if bar is not None:
                    delta = events - done[i]
                    done[i] = events
                    emul[i] = emulated_ns
                    if bar.total is not None and bar.n + delta > bar.total:
                        bar.total = bar.n + delta
                    bar.update(delta)
                    bar.set_postfix_str(f"emulated {max(emul) / 1e6:,.1f} ms", refresh=False)
                else:
                    progress(i, events, emulated_ns)
        return cb if progress else None

    try:
        if parallel and len(jobs) > 1:
            workers = min(len(jobs), os.cpu_count() or 1)
            with ThreadPoolExecutor(max_workers=workers) as ex:
                futures = [ex.submit(job, report(i)) for i, job in enumerate(jobs)]
                return [f.result() for f in futures]
        return [job(report(i)) for i, job in enumerate(jobs)]
    finally:
        if bar is not None:
            bar.close()


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
                     schedtrace_ms: float | None = None, parallel: bool = True,
                     progress=None):
    """Run the same workload and seed under each strategy; one row per strategy.

    spawn="burst": main spawns every goroutine in one loop; spawn="tree": a fan-out tree
    (`fanout` children per inner goroutine).  work: cycles per goroutine (number or
    Distribution; default Exponential(2000), ~0.7 us at 3 GHz).
    parallel: run the strategies at the same time in threads (same results as one after
    another).  progress: True for a progress bar on stderr (events, emulated time, ETA), or a
    callable progress(strategy_index, events, emulated_ns).
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
    def job(strat):
        return lambda cb: run(prog, procs=procs, strategy=strat, seed=seed, machine=machine,
                              costs=costs, record=False, schedtrace_ms=schedtrace_ms,
                              progress=cb)

    results = _run_all([job(st) for st in strategies], parallel, progress,
                       total_events=_EVENTS_PER_G_ESTIMATE * goroutines * len(strategies),
                       desc="gmpcore compare")
    rows = []
    for strat, res in zip(strategies, results):
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
            # goroutine code run on the Ps (for gmpcore.seed's scheduler overhead)
            "user_cycles": int(res.per_p_records["busy_cycles"].sum()),
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
                    machine: Machine | None = None, costs: CostModel | None = None,
                    parallel: bool = True):
    """Every strategy on every workload with the same seeds: one row per run (the runs go
    in threads at the same time when `parallel`; the results do not depend on it).

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
    points = [(wname, prog, strat, seed) for wname, prog in items for strat in strategies
              for seed in seeds]

    def job(prog, strat, seed):
        return lambda cb: run(prog, procs=procs, strategy=strat, seed=seed, machine=machine,
                              costs=costs, record=False)

    results = _run_all([job(p, st, sd) for _, p, st, sd in points], parallel)
    rows = []
    for (wname, _, _, _), res in zip(points, results):
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
