"""The seed article's table, next to what gmpcore predicts (issue 14 item 6).

The blog post whose comparison ``gmpcore compare`` reproduces reports, for 10M goroutines on
16 cores, Go's per-P run queues with work stealing against a single locked global queue:

* mean scheduling delay: 89 ns against 482 ns;
* scheduler overhead: 9.1% against 32.7%.

``gmpcore compare`` prints :func:`format_seed_table` under its own table whenever it ran both
``go`` and ``global``: the article's figure, gmpcore's prediction, and a one-line reason for
the difference computed from the run (docs/seed.md explains what each side measures).

What gmpcore's figures are:

* **scheduling delay** -- ``latency_mean_ns``: the mean runnable -> running time of every
  goroutine (creation to first run, and every ready to run), on the emulated clock;
* **scheduler overhead** -- the share of the CPU time the Ps can use (``min(procs, cores) x
  emulated time``: with more Ps than cores they time-share the cores) not spent in goroutine
  code: ``1 - user_cycles / (min(procs, cores) * emulated_cycles)``, where ``user_cycles`` is
  the cycles of the programs' ``compute`` summed over the Ps (``P.busy_cycles``).  Scheduler
  code, lock waits, spinning and idle cores all count as overhead.
"""
from __future__ import annotations

SEED_ARTICLE = {
    "goroutines": 10_000_000,
    "procs": 16,
    # strategy -> figure, as the article prints them
    "latency_mean_ns": {"go": 89.0, "global": 482.0},
    "sched_overhead": {"go": 0.091, "global": 0.327},
}


def _capacity(row) -> float:
    # the CPU the Ps can use: min(procs, cores) x emulated time (with procs > cores the Ps
    # time-share the cores, Machine.cores)
    cores = row.get("ncores", row["procs"])
    try:
        cores = int(cores)
    except (TypeError, ValueError):
        cores = int(row["procs"])
    return float(min(int(row["procs"]), max(1, cores))) * float(row["emulated_cycles"])


def sched_overhead(row) -> float:
    """gmpcore's scheduler overhead of one ``queue_comparison`` row: the share of the CPU
    time the Ps could use (``min(procs, cores) x emulated time``) not spent running goroutine
    code."""
    capacity = _capacity(row)
    if capacity <= 0:
        return 0.0
    return 1.0 - float(row["user_cycles"]) / capacity


def _ns(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.3g} ms"
    if x >= 1e3:
        return f"{x / 1e3:.3g} us"
    return f"{x:.3g} ns"


def _ms(x: float) -> str:
    return f"{x:,.0f} ms" if x >= 100 else f"{x:.3g} ms"


def _latency_reason(row, other, op_ns: float) -> str:
    p50 = float(row["latency_p50_ns"])
    mean = float(row["latency_mean_ns"])
    cpu = float(row.get("cpu_wait_cycles", 0) or 0)
    if row["strategy"] == "go":
        return (f"gmpcore times each G from runnable to running, and in a burst it waits "
                f"behind its P's backlog (p50 {_ns(p50)})" +
                (f" while {int(row['procs'])} Ps time-share {int(row['ncores'])} cores"
                 if cpu > 0 and "ncores" in row else "") +
                f"; 89 ns is the order of one schedule+runqget+execute ({_ns(op_ns)} in "
                f"this cost model), not of a wait")
    busy = float(row["lock_contended"]) / max(1.0, float(row["lock_acquisitions"]))
    lower = mean < float(other["latency_mean_ns"])
    return (f"one FIFO drained by {int(row['procs'])} Ps in spawn order: a G waits for the "
            f"queue ahead of it ({busy:.0%} of sched.lock acquisitions contended, "
            f"{_ms(float(row['lock_wait_ms']))} of M-time waiting)" +
            ("; lower than per-P rings, the reverse of the article" if lower else ""))


def _overhead_reason(row) -> str:
    pt = float(row["procs"]) * float(row["emulated_cycles"])     # (M-time: per P)
    idle = float(row["idle_cycles"]) / pt
    spin = float(row["spinning_cycles"]) / pt
    lock = float(row["lock_wait_cycles"]) / pt
    cpu = float(row.get("cpu_wait_cycles", 0) or 0)
    shared = (f"{int(row['procs'])} Ps time-share {int(row['ncores'])} cores; "
              if cpu > 0 and "ncores" in row else "")
    if row["strategy"] == "go":
        return (f"{shared}it counts every cycle not in goroutine code: M-time spinning "
                f"{spin:.0%}, parked {idle:.0%}, on sched.lock {lock:.0%} of the Ps' time "
                f"(one spawner feeds all the Ps)")
    return (f"{shared}every put and get takes sched.lock: M-time waiting on it {lock:.0%}, "
            f"parked {idle:.0%} of the Ps' time; the miss rate on its line is "
            f"{float(row.get('miss_rate[sched.lock]', 0.0)):.0%}")


def seed_table(df, costs=None, clock_ghz: float | None = None):
    """Rows (metric, strategy, article figure, gmpcore's prediction, reason) for the go and
    global rows of a ``queue_comparison`` DataFrame; empty if either is missing.  `costs`
    (default CostModel()) and `clock_ghz` (default: the run's) price one scheduling round
    for the reasons."""
    from .config import CostModel
    costs = costs or CostModel()
    rows = {r["strategy"]: r for _, r in df.iterrows()}
    if "go" not in rows or "global" not in rows:
        return []
    r0 = rows["go"]
    if clock_ghz is None:
        clock_ghz = float(r0["emulated_cycles"]) / float(r0["emulated_ns"])
    op_ns = (costs.schedule + costs.runqget + costs.execute) / clock_ghz
    out = []
    for strat, other in (("go", "global"), ("global", "go")):
        r = rows[strat]
        out.append(("mean scheduling delay", strat, SEED_ARTICLE["latency_mean_ns"][strat],
                    float(r["latency_mean_ns"]), _latency_reason(r, rows[other], op_ns)))
    for strat in ("go", "global"):
        r = rows[strat]
        out.append(("scheduler overhead", strat, SEED_ARTICLE["sched_overhead"][strat],
                    sched_overhead(r), _overhead_reason(r)))
    return out


def format_seed_table(df, costs=None, clock_ghz: float | None = None) -> str:
    """The text ``gmpcore compare`` prints under its table (empty if the comparison did not
    run both ``go`` and ``global``)."""
    rows = seed_table(df, costs, clock_ghz)
    if not rows:
        return ""
    r0 = df.iloc[0]
    lines = [f"the seed article ({SEED_ARTICLE['goroutines']:,} goroutines, "
             f"{SEED_ARTICLE['procs']} cores) against this run "
             f"({int(r0['goroutines']):,} goroutines, {int(r0['procs'])} Ps); "
             f"docs/seed.md says what each side measures:"]
    for metric, strat, art, pred, reason in rows:
        if metric == "mean scheduling delay":
            a, p = _ns(art), _ns(pred)
        else:
            a, p = f"{art:.1%}", f"{pred:.1%}"
        lines.append(f"  {metric} ({strat}): article {a}, gmpcore {p} -- {reason}")
    miss = {r["strategy"]: float(r["cache_miss_rate"]) for _, r in df.iterrows()}
    lines.append(f"  (the README of the seed quotes 9.1% / 32.7% as cache miss rates: gmpcore's "
                 f"are {miss['go']:.1%} / {miss['global']:.1%})")
    return "\n".join(lines)
