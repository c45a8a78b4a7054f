"""Plots of a run (matplotlib, imported when a function is called).  Each returns the Figure.

    import gmpcore.plot as gp
    gp.runqueue_heatmap(res)                   # run(..., schedtrace_ms= or sample_every_ns=)
    gp.latency_cdf({"go": r1, "global": r2})   # scheduling latency of several runs
    gp.cache_traffic(res)                      # misses and line transfers by line class
    gp.steal_matrix(res)                       # who stole from whom (run(record=True))
    gp.goroutine_timeline(res)                 # goroutines on Ps (run(trace=...)), small runs
    gp.strategy_matrix(df)                     # experiments.strategy_matrix: mean +- std

Every function takes ``ax=`` (or ``axes=``) to draw into existing axes; otherwise it makes a
new figure with pyplot, so notebooks show it.  See docs/gallery for what they look like.
"""
from __future__ import annotations

import numpy as np

__all__ = ["runqueue_heatmap", "latency_cdf", "cache_traffic", "steal_matrix",
           "goroutine_timeline", "strategy_matrix", "METRIC_TITLES"]

#: panel titles of strategy_matrix for the summary metrics it is usually given
METRIC_TITLES = {
    "latency_p50_ns": "scheduling latency p50 (ns)",
    "latency_p90_ns": "scheduling latency p90 (ns)",
    "latency_p99_ns": "scheduling latency p99 (ns)",
    "latency_mean_ns": "scheduling latency mean (ns)",
    "latency_max_ns": "scheduling latency max (ns)",
    "cache_miss_rate": "cache miss rate",
    "emulated_ns": "run time (emulated ns)",
    "steals": "steals",
    "goroutines_created": "goroutines created",
}

#: colours: one per line class in cache_traffic ("memory" red), and the miss rate apart
MISS_RATE_COLOR = "C4"


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _thousands(*axes_):
    """Tick labels with thousands separators (12,500 rather than 12500) on linear axes;
    log axes get plain numbers (1,000 rather than 10^3)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    fmt = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 1 or v == 0 else f"{v:g}")
    for axis in axes_:
        axis.set_major_formatter(fmt)
        if axis.get_scale() == "log":
            # labels at 1, 2, 5 x 10^k when the axis spans few decades, else the decades
            lo, hi = axis.get_view_interval()
            few = lo > 0 and hi / lo < 300
            axis.set_major_locator(LogLocator(10, subs=(1, 2, 5) if few else (1,)))
            axis.set_minor_formatter(NullFormatter())


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
    ghz = float(res.config["clock_ghz"])
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
    cb = fig.colorbar(mesh, ax=ax, label="local run queue (Gs)")
    _thousands(cb.ax.yaxis)
    ax.set_ylabel("P")
    if runq.shape[1] <= 32:
        ax.set_yticks(range(runq.shape[1]))
    ax.set_title(f"run queues: {res.summary.get('strategy')}, "
                 f"{res.summary.get('procs')} Ps")
    ax2.step(t, r["runqsize"], where="post", color="C3", label="global queue")
    ax2.set_ylabel("global queue (Gs)")
    _thousands(ax2.xaxis, ax2.yaxis)
    ax2.set_xlabel(f"emulated time ({unit})")
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
    lows = []
    for i, (res, lab) in enumerate(zip(results, labels)):
        x, y = res.latency.cdf(unit)
        if len(x) == 0:
            continue
        ax.step(x, y, where="post", label=f"{lab}: p50 {res.latency.percentile(50, unit):,.0f}, "
                f"p99 {res.latency.percentile(99, unit):,.0f} {unit}", color=f"C{i}")
        lows.append(res.latency.percentile(0.5, unit))
    ax.set_xscale("log")
    # start the axis at the decade below the fastest runs' 0.5th percentile: the few
    # near-zero latencies (a G that runs the moment it is readied) would stretch it over
    # empty decades
    low = min((v for v in lows if v > 0), default=None)
    if low is not None:
        ax.set_xlim(left=10 ** np.floor(np.log10(low)))
    _thousands(ax.xaxis)
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
        fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(df) + 2.1), sharey=True,
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
    _thousands(ax.xaxis)
    # (below the bars, where it hides none of them)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4,
               fontsize="small", frameon=False)
    ax.set_title("cache accesses by line class")
    ax2.barh(y, df["miss_rate"].to_numpy(), color=MISS_RATE_COLOR)
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("miss rate")
    ax2.set_title("miss rate")
    for yi, v in zip(y, df["miss_rate"].to_numpy()):
        if v > 0.75:                              # inside the bar's end
            ax2.text(v - 0.02, yi, f"{v:.1%}", va="center", ha="right", fontsize="small",
                     color="white")
        else:
            ax2.text(v + 0.02, yi, f"{v:.1%}", va="center", fontsize="small")
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
    cb = fig.colorbar(im, ax=ax, label="Gs stolen" if what == "gs" else "steals")
    _thousands(cb.ax.yaxis)
    ax.set_xlabel("victim P")
    ax.set_ylabel("thief P")
    if procs <= 32:
        ax.set_xticks(range(procs))
        ax.set_yticks(range(procs))
    if procs <= 16:
        top = mat.max() if mat.size else 0
        for (i, j), v in np.ndenumerate(mat):
            if v:
                ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize="x-small",
                        color="white" if v > 0.6 * top else "black")
    total = int(mat.sum())
    ax.set_title(f"steals: {len(r) if r is not None else 0:,} steals, "
                 f"{int(r['n'].sum()) if r is not None and len(r) else 0:,} Gs"
                 if total else "steals: none")
    return fig


def goroutine_timeline(res, ax=None, max_slices: int = 20_000, label_goroutines: bool = None,
                       show_steals: bool = None, max_steal_arrows: int = 50):
    """A timeline of goroutines on Ps, from the recorded events (run(..., trace=...)): one row
    per P, one bar per goroutine run (gmpcore.export.intervals: a run ends where the G stops,
    blocks, exits or enters a system call), coloured by goroutine, with the steals as arrows
    from the victim's row to the thief's.  show_steals: None draws the arrows when there are
    at most max_steal_arrows steals (a burst of thousands of goroutines makes a wall of
    them), True or False always or never.  For small runs: more than max_slices runs raise
    ValueError (record a trace_window instead)."""
    plt = _plt()
    from .export._common import require_trace
    from .export.intervals import intervals
    rec = require_trace(res, "goroutine_timeline")
    iv = intervals(res)
    if len(iv.runs) > max_slices:
        raise ValueError(f"goroutine_timeline: {len(iv.runs):,} goroutine runs is more than "
                         f"max_slices={max_slices:,}; record a window "
                         f"(run(..., trace_window=(start_ns, end_ns))) or raise max_slices")
    ghz = float(res.config["clock_ghz"])
    t0, tend = int(rec["time"][0]), int(rec["time"][-1])
    procs = max(int(res.summary.get("procs", 0)),
                int(iv.runs["p"].max(initial=-1)) + 1, int(iv.steals["victim"].max(initial=-1)) + 1)
    div, unit = _time_axis((tend - t0) / ghz)
    scale = 1.0 / ghz / div
    if ax is None:
        fig, ax = plt.subplots(figsize=(11, 0.45 * procs + 1.6), layout="constrained")
    fig = ax.figure
    cmap = plt.get_cmap("tab20")
    if label_goroutines is None:
        label_goroutines = len(iv.runs) <= 60
    runs = iv.runs[iv.runs["p"] >= 0]
    for p in np.unique(runs["p"]).tolist():
        r = runs[runs["p"] == p]
        s, d = r["start"] * scale, np.maximum(r["end"] - r["start"], 1) * scale
        ax.broken_barh(list(zip(s.tolist(), d.tolist())), (p - 0.4, 0.8),
                       facecolors=[cmap(g % 20) for g in r["goid"].tolist()], edgecolor="white",
                       linewidth=0.3)
        if label_goroutines:
            for si, di, g in zip(s.tolist(), d.tolist(), r["goid"].tolist()):
                ax.text(si + di / 2, p, f"G{g}", ha="center", va="center", fontsize="x-small")
    nsteals = len(iv.steals)
    if show_steals is None:
        show_steals = nsteals <= max_steal_arrows
    if show_steals:
        for t, thief, victim in iv.steals[["time", "p", "victim"]].tolist():
            ax.annotate("", xy=(t * scale, thief), xytext=(t * scale, victim),
                        arrowprops={"arrowstyle": "->", "color": "C3", "lw": 0.8})
    ax.set_ylim(procs - 0.5, -0.5)
    ax.set_yticks(range(procs), [f"P{p}" for p in range(procs)])
    _thousands(ax.xaxis)
    ax.set_xlabel(f"emulated time ({unit})")
    if not nsteals:
        steals = ""
    elif show_steals:
        steals = f", {nsteals:,} steals in red"
    else:
        steals = f", {nsteals:,} steals: arrows off above {max_steal_arrows:,}"
    ax.set_title(f"goroutines on Ps ({len(iv.runs):,} runs{steals})")
    return fig


def _metric_title(metric: str) -> str:
    if metric in METRIC_TITLES:
        return METRIC_TITLES[metric]
    if metric.startswith("miss_rate[") and metric.endswith("]"):
        return f"miss rate: {metric[10:-1]}"
    return metric.replace("_", " ")


def strategy_matrix(df, metrics=("latency_p50_ns", "latency_p99_ns", "cache_miss_rate"),
                    axes=None):
    """Grouped bars of experiments.strategy_matrix's DataFrame: one panel per metric,
    workloads on the x axis, one bar per strategy: the mean over seeds, with an error bar of
    one standard deviation across seeds (none with a single seed).  Latencies ("_ns") are on
    a log axis."""
    plt = _plt()
    metrics = list(metrics)
    missing = [m for m in metrics if m not in df.columns]
    if missing:
        raise ValueError(f"strategy_matrix: no column {', '.join(map(repr, missing))} in the "
                         f"DataFrame (columns: {', '.join(map(str, df.columns))})")
    grouped = df.groupby(["workload", "strategy"], sort=False)[metrics]
    mean, std = grouped.mean().reset_index(), grouped.std(ddof=1).reset_index()
    workloads = list(dict.fromkeys(mean["workload"]))
    strategies = list(dict.fromkeys(mean["strategy"]))
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.6 * len(metrics), 3.9),
                                 squeeze=False, layout="constrained")
        axes = axes[0]
    fig = axes[0].figure
    width = 0.8 / max(len(strategies), 1)
    x = np.arange(len(workloads))
    for ax, metric in zip(axes, metrics):
        for k, strat in enumerate(strategies):
            m = mean[mean["strategy"] == strat].set_index("workload").reindex(workloads)
            e = std[std["strategy"] == strat].set_index("workload").reindex(workloads)
            ax.bar(x + k * width - 0.4 + width / 2, m[metric], width, label=strat,
                   color=f"C{k % 10}", yerr=e[metric].fillna(0.0).to_numpy(),
                   error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.2"})
        ax.set_xticks(x, workloads)
        ax.set_title(_metric_title(metric), fontsize="medium")
        if metric.endswith("_ns"):
            ax.set_yscale("log")
        _thousands(ax.yaxis)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].legend(fontsize="small", title="strategy", title_fontsize="small")
    nseeds = df.groupby(["workload", "strategy"]).size().max() if len(df) else 0
    fig.suptitle(f"strategies by workload (mean of {nseeds} seed{'s' if nseeds != 1 else ''}"
                 + (", error bars: std across seeds)" if nseeds > 1 else ")"),
                 fontsize="medium")
    return fig
