"""Summaries of a sweep: metrics over seeds per grid point."""
from __future__ import annotations

from .spec import FAILED, NESTED, _FIELDS


# --- summaries and the TOML file ---------------------------------------------------------------

DEFAULT_SUMMARY = ("emulated_ns", "latency_mean_ns", "latency_p99_ns", "cache_miss_rate",
                   "steals", "lock_contended", "wall_s")


def summarize(df, metrics=DEFAULT_SUMMARY, by=None):
    """Mean of `metrics` over seeds, one row per grid point (grouped by the parameters that
    vary, or `by`), with the number of runs and of failed runs."""
    import pandas as pd
    params = [c for c in df.columns
              if c != "seed" and (c in _FIELDS or c.split(".", 1)[0] in NESTED)]
    if by is None:
        by = [c for c in params if df[c].nunique(dropna=False) > 1] or params[:1]
    metrics = [m for m in metrics if m in df.columns]
    g = df.groupby(by, sort=False, dropna=False)
    out = g[metrics].mean(numeric_only=True) if metrics else pd.DataFrame(index=g.size().index)
    out.insert(0, "failed", g["status"].apply(lambda s: int((s == FAILED).sum())))
    out.insert(0, "runs", g.size())
    return out.reset_index()
