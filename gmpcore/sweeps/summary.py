"""Summaries of a sweep: metrics over seeds per grid point."""
from __future__ import annotations

from .spec import FAILED, NESTED, _FIELDS


DEFAULT_SUMMARY = ("emulated_ns", "latency_mean_ns", "latency_p99_ns", "cache_miss_rate",
                   "steals", "lock_contended", "wall_s")


#: two-sided 95% quantiles of Student's t by degrees of freedom (1..30); 1.96 beyond
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(dof: int) -> float:
    """The 0.975 quantile of Student's t with `dof` degrees of freedom (NaN for dof < 1)."""
    if dof < 1:
        return float("nan")
    return _T95[dof - 1] if dof <= len(_T95) else 1.96


def summarize(df, metrics=DEFAULT_SUMMARY, by=None, spread: bool = True):
    """Mean of `metrics` over seeds, one row per grid point (grouped by the parameters that
    vary, or `by`), with the number of runs and of failed runs.

    With spread=True (the default) each metric `m` also gets `m_std`, the sample standard
    deviation across seeds, and `m_ci95`, the half-width of the 95% confidence interval of
    the mean (Student's t with n-1 degrees of freedom: t * std / sqrt(n)); both are NaN for a
    point with fewer than two runs that reported `m` (failed runs report nothing)."""
    import numpy as np
    import pandas as pd
    params = [c for c in df.columns
              if c != "seed" and (c in _FIELDS or c.split(".", 1)[0] in NESTED)]
    if by is None:
        by = [c for c in params if df[c].nunique(dropna=False) > 1] or params[:1]
    metrics = [m for m in metrics if m in df.columns]
    g = df.groupby(by, sort=False, dropna=False)
    numeric = [m for m in metrics if pd.api.types.is_numeric_dtype(df[m])]
    out = g[numeric].mean() if numeric else pd.DataFrame(index=g.size().index)
    if spread and numeric:
        std = g[numeric].std(ddof=1)
        count = g[numeric].count()
        for m in numeric:
            n = count[m].to_numpy()
            t = np.array([t95(int(k) - 1) for k in n])
            out[f"{m}_std"] = std[m].to_numpy()
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"{m}_ci95"] = t * std[m].to_numpy() / np.sqrt(n)
        out = out[[c for m in numeric for c in (m, f"{m}_std", f"{m}_ci95")]]
    out.insert(0, "failed", g["status"].apply(lambda s: int((s == FAILED).sum())))
    out.insert(0, "runs", g.size())
    return out.reset_index()
