"""Parameter sweeps: many runs over a grid of parameters and seeds, in parallel, resumable.

    import gmpcore
    base = gmpcore.RunSpec(workload="burst", goroutines=100_000, work="exp:2000")
    df = gmpcore.sweep(base, {"procs": [2, 4, 8, 16], "strategy": ["go", "global"]},
                       seeds=3, store="runs.parquet")

`sweep()` returns a tidy pandas DataFrame, one row per run: the point's key, the swept
parameters (flattened, e.g. `machine.layout`), the seed, the status and error, the wall time and
every metric of `Result.summary`, plus cache misses by line class (`misses[sched.lock]`, ...).

Everything that crosses to a worker is plain data: a dict of the run's parameters (strings,
numbers, booleans, nested dicts) and the seed.  The worker builds the program, the Machine, the
CostModel and the Strategy itself (`run_point`), so any `concurrent.futures.Executor` works: the
default local process pool, a Dask cluster's `client.get_executor()`, or your own.  A custom
workload is a module-level function, sent by reference ("package.module:function") and imported
in the worker; a user kernel (gmpcore.kernel) travels the same way and is recompiled there.

The package: `spec` (RunSpec, grid keys, canonical plain data and keys), `grid` (the points
and seeds), `execution` (the worker function, executors, the driving loop, the TOML file),
`store` (the resumable journal + Parquet/CSV store) and `summary` (metrics over seeds).
`gmpcore.sweep` is the function; this package is `gmpcore.sweeps`.

See docs/sweeps.md for the full description (grid keys, store format, executors, the TOML
file of `gmpcore sweep`).
"""
from .execution import SerialExecutor, run_point, sweep, sweep_from_config
from .grid import expand_grid
from .spec import FAILED, NONDETERMINISTIC_COLUMNS, RunSpec, point_key
from .store import load_store
from .summary import DEFAULT_SUMMARY, summarize

__all__ = ["RunSpec", "sweep", "run_point", "expand_grid", "load_store", "summarize",
           "sweep_from_config", "SerialExecutor", "NONDETERMINISTIC_COLUMNS", "FAILED",
           "DEFAULT_SUMMARY", "point_key"]
