"""Plots of a run (matplotlib, imported when a function is called).  Each returns the Figure.

    import gmpcore.plot as gp
    gp.runqueue_heatmap(res)                   # run(..., schedtrace_ms= or sample_every_ns=)
    gp.latency_cdf({"go": r1, "global": r2})   # scheduling latency of several runs
    gp.cache_traffic(res)                      # misses and line transfers by line class
    gp.steal_matrix(res)                       # who stole from whom (run(record=True))
    gp.goroutine_timeline(res)                 # goroutines on Ps (run(trace=...)), small runs

Every function takes ``ax=`` (or ``axes=``) to draw into existing axes; otherwise it makes a
new figure with pyplot, so notebooks show it.  See docs/gallery for what they look like.
"""
from __future__ import annotations

import numpy as np

__all__ = ["runqueue_heatmap", "latency_cdf", "cache_traffic", "steal_matrix",
           "goroutine_timeline"]


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _time_axis(ns_max: float):
    """(divisor, unit) so that times read in a convenient unit."""
    for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns_max >= 2 * div:
            return div, unit
    return 1.0, "ns"


def runqueue_heatmap(res, axes=None, cmap: str = "viridis"):
    """Run-queue length of every P over time (a heatmap: P by sample time), with the global
    queue below it.  Needs samples: run(..., schedtrace_ms=N or sample_every_ns=N).  The
    per-P length is the ring's, without runnext, as GODEBUG=schedtrace counts it."""
    plt = _plt()
    r = res.sample_records
    if r is None or len(r) == 0:
        raise ValueError("runqueue_heatmap needs samples: run with gmpcore.run(..., "
                         "schedtrace_ms=N) or sample_every_ns=N")
    ghz = float(res.config.get("clock_ghz", 3.0))
    t_ns = r["time"] / ghz
    div, unit = _time_axis(float(t_ns[-1]) if len(t_ns) else 0.0)
    t = t_ns / div
    runq = np.asarray(res.sample_runq, dtype=float)
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True,
                                 gridspec_kw={"height_ratios": [3, 1]}, layout="constrained")
    ax, ax2 = axes
    fig = ax.figure
    # each sample's cell spans to the next sample
    edges = np.append(t, t[-1] + (t[-1] - t[-2] if len(t) > 1 else 1.0))
    pe = np.arange(runq.shape[1] + 1) - 0.5
    mesh = ax.pcolormesh(edges, pe, runq.T, cmap=cmap, shading="flat")
    fig.colorbar(mesh, ax=ax, label="local run queue (Gs)")
    ax.set_ylabel("P")
    if runq.shape[1] <= 32:
        ax.set_yticks(range(runq.shape[1]))
    ax.set_title(f"run queues: {res.summary.get('strategy')}, "
                 f"{res.summary.get('procs')} Ps")
    ax2.step(t, r["runqsize"], where="post", color="C3", label="global queue")
    ax2.set_ylabel("global (Gs)")
    ax2.set_xlabel(f"emulated time ({unit})")
    ax2.legend(loc="upper right", frameon=False)
    return fig


def latency_cdf(results, labels=None, ax=None, unit: str = "ns"):
    """Scheduling-latency CDFs (runnable -> running) of several runs on one axis (log x).
    results: a dict {label: Result}, a list of Results, or one Result."""
    plt = _plt()
    if hasattr(results, "latency"):
        results = [results]
    if isinstance(results, dict):
        labels, results = list(results.keys()), list(results.values())
    results = list(results)
    if not results:
        raise ValueError("latency_cdf needs at least one Result")
    if labels is None:
        labels = [f"{r.summary.get('strategy')} ({r.summary.get('procs')} Ps)" for r in results]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    fig = ax.figure
    for i, (res, lab) in enumerate(zip(results, labels)):
        x, y = res.latency.cdf(unit)
        if len(x) == 0:
            continue
        ax.step(x, y, where="post", label=f"{lab}: p50 {res.latency.percentile(50, unit):,.0f}, "
                f"p99 {res.latency.percentile(99, unit):,.0f} {unit}", color=f"C{i}")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(f"scheduling latency ({unit}, log)")
    ax.set_ylabel("fraction of schedules")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("scheduling latency CDF")
    return fig


def cache_traffic(res, axes=None):
    """Cache misses and line transfers by class of line: accesses split into hits, transfers
    from a core on the same socket, from another socket, and memory misses (left, log), and
    the miss rate (right)."""
    plt = _plt()
    df = res.cache
    if len(df) == 0:
        raise ValueError("cache_traffic: this run made no modelled cache accesses "
                         "(Machine(cache=False)?)")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(df) + 1.8), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 1]}, layout="constrained")
    ax, ax2 = axes
    fig = ax.figure
    y = np.arange(len(df))
    left = np.zeros(len(df))
    for col, color, lab in (("hits", "0.8", "hits"),
                            ("transfers_local", "C0", "transfers (same socket)"),
                            ("transfers_remote", "C1", "transfers (other socket)"),
                            ("mem", "C3", "memory")):
        v = df[col].to_numpy(dtype=float)
        ax.barh(y, v, left=left, color=color, label=lab)
        left += v
    ax.set_yticks(y, df.index)
    ax.invert_yaxis()
    ax.set_xlabel("accesses")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("cache accesses by line class")
    ax2.barh(y, df["miss_rate"].to_numpy(), color="C3")
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("miss rate")
    for yi, v in zip(y, df["miss_rate"].to_numpy()):
        ax2.text(min(v, 0.8) + 0.02, yi, f"{v:.1%}", va="center", fontsize="small")
    return fig


def steal_matrix(res, ax=None, what: str = "gs"):
    """Who stole from whom: a P x P matrix, thief (rows) by victim (columns), of the Gs taken
    (what="gs") or of the number of steals (what="steals").  Needs run(record=True)."""
    plt = _plt()
    if what not in ("gs", "steals"):
        raise ValueError(f"what must be 'gs' or 'steals', got {what!r}")
    procs = int(res.summary.get("procs", 0))
    r = res.steal_records
    mat = np.zeros((procs, procs), dtype=np.int64)
    if r is not None and len(r):
        np.add.at(mat, (r["thief"], r["victim"]), r["n"] if what == "gs" else 1)
    if ax is None:
        side = min(4 + 0.3 * procs, 10)
        fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")
    fig = ax.figure
    cm = plt.get_cmap("magma_r").with_extremes(bad="white")    # no steals: blank
    im = ax.imshow(np.ma.masked_equal(mat, 0), cmap=cm, origin="upper")
    fig.colorbar(im, ax=ax, label="Gs stolen" if what == "gs" else "steals")
    ax.set_xlabel("victim P")
    ax.set_ylabel("thief P")
    if procs <= 32:
        ax.set_xticks(range(procs))
        ax.set_yticks(range(procs))
    if procs <= 16:
        top = mat.max() if mat.size else 0
        for (i, j), v in np.ndenumerate(mat):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize="x-small",
                        color="white" if v > 0.6 * top else "black")
    total = int(mat.sum())
    ax.set_title(f"steals: {len(r) if r is not None else 0:,} steals, "
                 f"{int(r['n'].sum()) if r is not None and len(r) else 0:,} Gs"
                 if total else "steals: none")
    return fig


def goroutine_timeline(res, ax=None, max_slices: int = 20_000, label_goroutines: bool = None,
                       show_steals: bool = True):
    """A timeline of goroutines on Ps, from the recorded events (run(..., trace=...)): one row
    per P, one bar per goroutine run, coloured by goroutine, with the steals as arrows from
    the victim's row to the thief's.  For small runs: more than max_slices runs raise
    ValueError (record a trace_window instead)."""
    plt = _plt()
    from .export._common import KIND, require_trace
    rec = require_trace(res, "goroutine_timeline")
    ghz = float(res.config.get("clock_ghz", 3.0))
    kinds = rec["kind"]
    starts = np.nonzero(kinds == KIND["GoStart"])[0]
    if len(starts) > max_slices:
        raise ValueError(f"goroutine_timeline: {len(starts):,} goroutine runs is more than "
                         f"max_slices={max_slices:,}; record a window "
                         f"(run(..., trace_window=(start_ns, end_ns))) or raise max_slices")
    ends = {KIND["GoStop"], KIND["GoBlock"], KIND["GoEnd"]}
    t0, tend = int(rec["time"][0]), int(rec["time"][-1])
    open_ = {}                                    # m -> (goid, p, start)
    bars = []                                     # (p, start, end, goid)
    for t, k, g, p, m in zip(rec["time"].tolist(), kinds.tolist(), rec["goid"].tolist(),
                             rec["p"].tolist(), rec["m"].tolist()):
        if k == KIND["GoStart"]:
            open_[m] = (g, p, t)
        elif k in ends:
            g0, p0, s = open_.pop(m, (g, p, t0))
            bars.append((p0, s, t, g0))
    for m, (g, p, s) in open_.items():
        bars.append((p, s, tend, g))
    procs = int(res.summary.get("procs", 0))
    div, unit = _time_axis((tend - t0) / ghz)
    scale = 1.0 / ghz / div
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 0.45 * procs + 1.6), layout="constrained")
    fig = ax.figure
    cmap = plt.get_cmap("tab20")
    if label_goroutines is None:
        label_goroutines = len(bars) <= 60
    by_p: dict[int, list] = {}
    for p, s, e, g in bars:
        by_p.setdefault(p, []).append((s * scale, max(e - s, 1) * scale, g))
    for p, items in by_p.items():
        ax.broken_barh([(s, d) for s, d, _ in items], (p - 0.4, 0.8),
                       facecolors=[cmap(g % 20) for _, _, g in items], edgecolor="white",
                       linewidth=0.3)
        if label_goroutines:
            for s, d, g in items:
                ax.text(s + d / 2, p, f"G{g}", ha="center", va="center", fontsize="x-small")
    if show_steals:
        st = rec[kinds == KIND["Steal"]]
        for t, thief, victim, n in zip(st["time"].tolist(), st["p"].tolist(),
                                       st["arg"].tolist(), st["reason"].tolist()):
            ax.annotate("", xy=(t * scale, thief), xytext=(t * scale, victim),
                        arrowprops={"arrowstyle": "->", "color": "C3", "lw": 0.8})
    ax.set_ylim(procs - 0.5, -0.5)
    ax.set_yticks(range(procs), [f"P{p}" for p in range(procs)])
    ax.set_xlabel(f"emulated time ({unit})")
    ax.set_title(f"goroutines on Ps ({len(bars):,} runs"
                 + (f", {int((kinds == KIND['Steal']).sum())} steals in red" if show_steals
                    else "") + ")")
    return fig
