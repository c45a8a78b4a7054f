"""Recorded-vs-replayed comparison tables (gmpcore.replay.compare, `gmpcore replay`)."""
from __future__ import annotations

import numpy as np

__all__ = ["compare"]


def compare(trace, strategies=("go",), procs=None, seed: int = 0, scale: float = 1.0,
            clock_ghz: float = 3.0, costs=None, **run_kw):
    """Replay `trace` (a Trace or a path) under every strategy x P count and return a
    DataFrame: the first row is the recorded program, then one row per replay.  Columns:
    wall_ns, latency_p50_ns, latency_p90_ns, goroutines, status."""
    import pandas as pd
    from .. import Machine, run
    from .format import Trace, read_trace
    tr = trace if isinstance(trace, Trace) else read_trace(trace)
    rp = tr.replay(clock_ghz=clock_ghz, scale=scale)
    rec = rp.recorded()
    rows = [dict(run="recorded", strategy="(Go)", procs=rp.procs, status="ok",
                 wall_ns=float(rec["wall_ns"]), latency_p50_ns=rec["latency_p50_ns"],
                 latency_p90_ns=rec["latency_p90_ns"], goroutines=rec["goroutines"])]
    for strat in strategies:
        for p in (procs or [rp.procs]):
            m = Machine(procs=p, clock_ghz=clock_ghz)
            kw = dict(machine=m, strategy=strat, seed=seed, **run_kw)
            if costs is not None:
                kw["costs"] = costs
            res = run(rp.program, **kw)
            name = strat if isinstance(strat, str) else getattr(strat, "name", "custom")
            rows.append(dict(run="replayed", strategy=name, procs=p,
                             status=res.summary["status"],
                             wall_ns=float(res.summary["emulated_ns"]),
                             latency_p50_ns=float(res.latency.percentile(50)),
                             latency_p90_ns=float(res.latency.percentile(90)),
                             goroutines=int(res.summary["goroutines_created"])))
    df = pd.DataFrame(rows)
    df.attrs["replay"] = rp
    df.attrs["parse_events_per_s"] = tr.events_per_s
    return df
