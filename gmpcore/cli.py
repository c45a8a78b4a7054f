"""The `gmpcore` command (also `python -m gmpcore`)."""
from __future__ import annotations

import argparse
import math
import sys

__all__ = ["main"]

_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9}


def parse_count(text: str) -> int:
    """'1000000', '1M', '10m', '100k', '1e6' -> int."""
    t = str(text).strip().lower().replace("_", "")
    try:
        if t and t[-1] in _SUFFIX:
            v = float(t[:-1]) * _SUFFIX[t[-1]]
        else:
            v = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (e.g. 1000000, 1M, 100k)")
    if not math.isfinite(v) or v != int(v) or v < 1:
        raise argparse.ArgumentTypeError(f"count must be a positive integer, got {text!r}")
    return int(v)


def _work(text):
    from .dist import parse_distribution
    try:
        return parse_distribution(text)
    except (ValueError, TypeError) as e:
        raise argparse.ArgumentTypeError(str(e))


def _fmt(v):
    if isinstance(v, float):
        if v != v:
            return "nan"
        if abs(v) >= 1e6:
            return f"{v:.3e}"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def print_table(df, columns, file=None):
    file = file or sys.stdout
    cols = [c for c in columns if c in df.columns]
    cells = [[_fmt(v) for v in row] for row in df[cols].itertuples(index=False)]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)), file=file)
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)), file=file)


def print_transposed(df, rows, file=None):
    """One row per metric, one column per strategy."""
    file = file or sys.stdout
    labels = [lab for col, lab in rows if col in df.columns]
    cols = [col for col, lab in rows if col in df.columns]
    names = list(df["strategy"])
    cells = [[_fmt(v) for v in df[c]] for c in cols]
    lw = max(len(x) for x in labels)
    widths = [max(len(n), *(len(r[i]) for r in cells)) for i, n in enumerate(names)]
    print(" " * lw + "  " + "  ".join(n.rjust(w) for n, w in zip(names, widths)), file=file)
    for lab, r in zip(labels, cells):
        print(lab.ljust(lw) + "  " + "  ".join(v.rjust(w) for v, w in zip(r, widths)), file=file)


def cmd_compare(args) -> int:
    from .experiments import COMPARISON_ROWS, queue_comparison
    strategies = args.strategy or ["go", "global"]
    if args.fanout is not None and args.spawn != "tree":
        raise CLIError("--fanout applies to --spawn tree only")
    if args.fanout is not None and not 2 <= args.fanout <= 2**31 - 1:
        raise CLIError(f"--fanout must be at least 2, got {args.fanout}")
    _check_machine_flags(args)
    if args.schedtrace is not None and not (math.isfinite(args.schedtrace)
                                            and 0 < args.schedtrace <= 1e6):
        raise CLIError(f"--schedtrace must be a number of ms in (0, 1e6], got {args.schedtrace}")
    if args.goroutines > 2**31 - 1:
        raise CLIError(f"--goroutines must be at most {2**31 - 1:,}, got {args.goroutines:,}")
    machine, costs = _machine(args), None
    if args.costs is not None:               # a `gmpcore calibrate` file (or any config)
        from .calibrate.core import costs_for_compare
        machine, costs = costs_for_compare(args.costs, machine, cores_given=args.cores)
    df = queue_comparison(goroutines=args.goroutines, procs=args.procs, strategies=strategies,
                          work=args.work, spawn=args.spawn, seed=args.seed,
                          fanout=16 if args.fanout is None else args.fanout,
                          machine=machine, costs=costs, schedtrace_ms=args.schedtrace,
                          progress=sys.stderr.isatty())   # a progress bar on a terminal
    if args.schedtrace is not None and not args.json:
        for strat, text in zip(df["strategy"], df["schedtrace"]):
            print(f"# GODEBUG=schedtrace={args.schedtrace:g} ({strat}, emulated)")
            print(text.rstrip("\n"))
            print()
    if args.json:
        print(df.to_json(orient="records", indent=2))
        return 0
    # the goroutines that ran: a tree has inner goroutines besides its (at least -n) leaves
    fanout = 16 if args.fanout is None else args.fanout
    spawn = "burst" if args.spawn == "burst" else f"tree: -n {args.goroutines:,}, fanout {fanout}"
    print(f"gmpcore compare: {int(df['goroutines'].iloc[0]):,} goroutines ({spawn}), "
          f"{args.procs} Ps, "
          f"{df['ncores'].iloc[0] if 'ncores' in df else args.procs} cores, layout "
          f"{args.layout}, work {df['work'].iloc[0]}, seed {args.seed}\n")
    print_transposed(df, COMPARISON_ROWS)
    from .seed import format_seed_table          # the seed article's figures (gmpcore/seed.py)
    seed_text = format_seed_table(df, costs, machine.clock_ghz)
    if seed_text:
        print("\n" + seed_text)
    classes = [c[len("misses["):-1] for c in df.columns if c.startswith("misses[")]
    if classes:
        print("\ncache misses by line (misses / accesses = miss rate):")
        rows = []
        for line in classes:
            rows.append((f"misses[{line}]", line))
        shown = df.copy()
        for line in classes:
            m, a = shown[f"misses[{line}]"].fillna(0), shown[f"accesses[{line}]"].fillna(0)
            shown[f"misses[{line}]"] = [f"{int(x):,} / {int(y):,} = {x / y if y else 0:.1%}"
                                        for x, y in zip(m, a)]
        print_transposed(shown, rows)
    return 0


def cmd_sweep(args) -> int:
    from .sweeps import DEFAULT_SUMMARY, FAILED, summarize, sweep_from_config
    executor = args.executor
    if executor is not None and executor.isdigit():
        executor = int(executor)
    progress = False if args.no_progress else None
    metrics = None
    if args.columns is not None:
        metrics = [c.strip() for c in args.columns.split(",") if c.strip()]
        _check_metrics(metrics)
    df, opts = sweep_from_config(args.config, executor=executor, store=args.store,
                                 progress=progress)
    if args.json:
        print(df.to_json(orient="records", indent=2))
    else:
        st = df.attrs.get("sweep", {})
        short = df[df["status"].isin(INCOMPLETE)]
        metrics = metrics or opts.get("summary") or list(DEFAULT_SUMMARY)
        table = summarize(df, metrics)
        print(f"gmpcore sweep {args.config}: {st.get('points', len(df))} runs "
              f"({st.get('ran', len(df))} run now, {st.get('skipped', 0)} from the store"
              + (f" {opts['store']}" if opts.get("store") else "") + f"), "
              f"{st.get('failed', 0)} failed, {len(short)} stopped early, "
              f"{st.get('wall_s', float('nan')):.1f} s\n")
        if any(f"{m}_ci95" in table.columns and table[f"{m}_ci95"].notna().any()
               for m in metrics):
            print("each metric: mean over seeds ± the half-width of its 95% confidence "
                  "interval (Student's t)\n")
        table = _with_ci(table, metrics)
        print_table(table, list(table.columns), file=sys.stdout)
        bad = df[df["status"] == FAILED]
        if len(bad):
            print(f"\n{len(bad)} failed run(s):")
            params = [c for c in table.columns if c not in ("runs", "failed", *metrics)]
            for _, r in bad.head(20).iterrows():
                where = ", ".join(f"{c}={r[c]}" for c in params if c in r)
                print(f"  {where}, seed {r['seed']}: {r['error']}")
        if len(short):
            print(f"\n{len(short)} run(s) stopped early (max_events or max_cycles): their "
                  f"metrics cover only part of the run")
            params = [c for c in table.columns if c not in ("runs", "failed", *metrics)]
            for _, r in short.head(20).iterrows():
                where = ", ".join(f"{c}={r[c]}" for c in params if c in r)
                print(f"  {where}, seed {r['seed']}: {r['status']}")
    return 1 if df["status"].isin((FAILED, *INCOMPLETE)).any() else 0


def _with_ci(table, metrics):
    """Each metric as one column "mean ± ci95" (the 95% confidence interval of the mean over
    seeds) when the sweep ran several seeds; the _std and _ci95 columns folded in."""
    out = table.copy()
    for m in metrics:
        ci = f"{m}_ci95"
        if ci not in out.columns:
            continue
        if out[ci].notna().any():
            out[m] = [_fmt(_scalar(v)) + ("" if c != c else f" ± {_fmt(_scalar(c))}")
                      for v, c in zip(out[m], out[ci])]
        out = out.drop(columns=[f"{m}_std", ci])
    return out


def _scalar(v):
    return v.item() if hasattr(v, "item") else v


#: statuses of runs that stopped before the program ended: the sweep reports them and exits 1
INCOMPLETE = ("max_events", "max_cycles")


def _check_metrics(metrics):
    """--columns must name metrics a run reports (Result.summary keys, the sweep's own
    columns, or per-line-class cache columns such as misses[sched.lock])."""
    import difflib
    import re
    from .runner import run
    from .workloads import burst
    known = set(run(burst(2, 1), procs=1, record=False).summary) | {"wall_s", "worker"}
    for m in metrics:
        if m in known or re.fullmatch(r"(misses|accesses|miss_rate)\[[\w.]+\]", m):
            continue
        hint = difflib.get_close_matches(m, sorted(known), n=3)
        raise CLIError(f"--columns: unknown metric {m!r}"
                       + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else
                          f" (metrics: {', '.join(sorted(known))})"))


RUN_SUMMARY = (("status", "status"), ("emulated_ns", "emulated time (ns)"),
               ("goroutines_created", "goroutines created"),
               ("latency_mean_ns", "sched latency mean (ns)"),
               ("latency_p99_ns", "sched latency p99 (ns)"), ("steals", "steals"),
               ("cache_miss_rate", "cache miss rate"), ("lock_contended", "sched.lock contended"),
               ("events", "emulated events"))


def cmd_run(args) -> int:
    import json
    from .configio import load_config
    from .dist import parse_distribution
    from .sweeps.spec import _workload_fn, _workload_name
    cfg = load_config(args.config)
    r = dict(cfg.get("run", {}))
    for flag, key in (("workload", "workload"), ("goroutines", "goroutines"), ("work", "work"),
                      ("procs", "procs"), ("seed", "seed"), ("max_events", "max_events")):
        v = getattr(args, flag)
        if v is not None:
            r[key] = v
    workload = r.get("workload", "burst")
    try:
        fn = _workload_fn(_workload_name(workload))
    except (ValueError, TypeError) as e:
        raise CLIError(f"--workload: {e}") from None
    work = r.get("work", "exp:2000")
    work = parse_distribution(work) if isinstance(work, str) else work
    try:
        prog = fn(goroutines=r.get("goroutines", 100_000), work=work)
    except (ValueError, TypeError) as e:
        raise CLIError(f"--goroutines/--work: {e}") from None
    if args.schedtrace is not None and not (math.isfinite(args.schedtrace)
                                            and 0 < args.schedtrace <= 1e6):
        raise CLIError(f"--schedtrace must be a number of ms in (0, 1e6], got {args.schedtrace}")
    machine = cfg.get("machine")
    procs = r.get("procs", machine.procs if machine is not None else 4)
    from .runner import run
    res = run(prog, procs=procs, strategy=cfg.get("strategy", "go"), seed=r.get("seed", 0),
              machine=machine, costs=cfg.get("costs"), record=r.get("record", True),
              max_events=r.get("max_events"), max_cycles=r.get("max_cycles"),
              trace=bool(args.trace or args.perfetto), schedtrace_ms=args.schedtrace,
              gc=cfg.get("gc"))                 # a [gc] table: the GC pacer (docs/gc.md)
    if args.trace:
        res.write_go_trace(args.trace)
    if args.perfetto:
        res.write_perfetto(args.perfetto)
    if args.plot:
        from . import plot
        ax = plot.latency_cdf([res])
        ax.figure.savefig(args.plot, bbox_inches="tight")
    s = res.summary
    if args.json:
        print(json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in s.items()},
                         indent=2))
        return 0
    if args.schedtrace is not None:
        print(res.schedtrace().rstrip("\n") + "\n")
    name = res.config["strategy"].name if hasattr(res, "config") else "run"
    print(f"gmpcore run {args.config}: {workload}, {procs} Ps, strategy {name}, seed "
          f"{r.get('seed', 0)}\n")
    lw = max(len(lab) for _, lab in RUN_SUMMARY)
    for key, lab in RUN_SUMMARY:
        if key in s:
            v = s[key]
            print(f"{lab.ljust(lw)}  {_fmt(v.item() if hasattr(v, 'item') else v)}")
    for flag, path in (("trace", args.trace), ("perfetto", args.perfetto), ("plot", args.plot)):
        if path:
            print(f"wrote {path} (--{flag})")
    return 0 if s["status"] in ("ok",) else 1


def cmd_strategies(args) -> int:
    import textwrap
    from .config import STRATEGIES, STRATEGY_DOCS
    for name, strat in STRATEGIES.items():
        print(f"{name}")
        print(textwrap.fill(STRATEGY_DOCS.get(name, ""), width=92, initial_indent="    ",
                            subsequent_indent="    "))
    return 0


SCENARIOS = {
    "shared-slice": ("shared_slice_incident", "the 72-hour incident: a locked append vs a "
                     "channel and one collector"),
    "leaky-pipeline": ("leaky_pipeline", "a consumer that stops early leaks every upstream "
                       "sender"),
    "context-leak": ("context_leak", "background goroutines that never watch their context vs "
                     "a select on ctx.Done()"),
    "per-p-counters": ("per_p_counters", "shared vs per-P vs padded per-P counters (false "
                       "sharing)"),
    "gc-stw": ("gc_stw_tail", "GC stop-the-world pauses under per-P and global queues"),
    "adaptive-gomaxprocs": ("adaptive_gomaxprocs", "the article's adaptive GOMAXPROCS rule "
                            "against a fixed GOMAXPROCS on a bursty workload with long GC "
                            "pauses"),
    "pool-false-sharing": ("pool_false_sharing", "sync.Pool's poolLocal with and without its "
                           "128-byte pad (false sharing between Ps)"),
}


def cmd_scenario(args) -> int:
    import textwrap
    from . import scenarios
    if args.name is None:
        for name, (_, doc) in SCENARIOS.items():
            print(f"{name}")
            print(textwrap.fill(doc, width=92, initial_indent="    ", subsequent_indent="    "))
        print("\nrun one with: gmpcore scenario NAME  (docs/scenarios.md explains each)")
        return 0
    fn = getattr(scenarios, SCENARIOS[args.name][0])
    kw = {"seed": args.seed}
    if args.procs is not None:
        kw["procs"] = args.procs
    out = fn(**kw)
    if args.name == "leaky-pipeline":
        print(out.blocked_report())
        return 0
    df = out.drop(columns=[c for c in ("timeseries",) if c in out.columns])
    if args.json:
        print(df.to_json(orient="records", indent=2))
        return 0
    # one row per metric, one column per variant
    if df.columns[0] == "strategy":             # gc_stw_tail: one column per (strategy, gc)
        names = [f"{s}{' +GC' if g else ''}" for s, g in zip(df["strategy"], df["gc"])]
        metrics = list(df.columns[2:])
    else:
        names = [str(x) for x in df[df.columns[0]]]
        metrics = list(df.columns[1:])
    cells = [[_fmt(v.item() if hasattr(v, "item") else v) for v in df[m]] for m in metrics]
    lw = max(len(m) for m in metrics)
    widths = [max(len(n), *(len(r[i]) for r in cells)) for i, n in enumerate(names)]
    print(" " * lw + "  " + "  ".join(n.rjust(w) for n, w in zip(names, widths)))
    for m, r in zip(metrics, cells):
        print(m.ljust(lw) + "  " + "  ".join(v.rjust(w) for v, w in zip(r, widths)))
    return 0


class CLIError(ValueError):
    """A bad command line, already worded in terms of the flags."""


def _check_machine_flags(args):
    if args.cores is not None and not 1 <= args.cores <= 256:
        raise CLIError(f"--cores must be between 1 and 256, got {args.cores}")
    if not 1 <= args.sockets <= 8:
        raise CLIError(f"--sockets must be between 1 and 8, got {args.sockets}")
    cores = args.cores if args.cores is not None else min(args.procs, 256)
    if cores % args.sockets:
        raise CLIError(f"--sockets ({args.sockets}) must divide the number of cores ({cores}; "
                       f"set with --cores, default --procs)")


#: Python names in library messages -> the flag that sets them
_FLAG_NAMES = (("Machine.procs", "--procs"), ("Machine.cores", "--cores"),
               ("Machine.sockets", "--sockets"), ("schedtrace_ms", "--schedtrace"),
               ("max_events", "--max-events"), ("Machine.layout", "--layout"))


def _flag_words(msg: str) -> str:
    for py, flag in _FLAG_NAMES:
        msg = msg.replace(py, flag)
    return msg


def _machine(args):
    from .config import Machine
    return Machine(procs=args.procs, cores=args.cores, sockets=args.sockets,
                   layout=args.layout, cache=not args.no_cache)


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (the command, the flag and the problem), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .config import STRATEGIES
    p = _Parser(prog="gmpcore", description=(
        "Cycle-level emulator of the Go runtime's GMP scheduler."))
    p.add_argument("--version", action="version", version=f"gmpcore {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("compare", help="compare queue strategies on one workload and seed")
    c.add_argument("--goroutines", "-n", type=parse_count, default=1_000_000,
                   help="goroutines to spawn (e.g. 1000000, 1M, 10M; default 1M)")
    c.add_argument("--procs", "-p", type=int, default=16, help="GOMAXPROCS (default 16)")
    c.add_argument("--strategy", "-s", action="append", choices=sorted(STRATEGIES),
                   help="strategy to run (repeatable; default: go and global)")
    c.add_argument("--work", type=_work, default=None,
                   help="cycles per goroutine: N, exp:MEAN, uniform:LO:HI, lognormal:MEAN:SIGMA "
                        "(default exp:2000)")
    c.add_argument("--spawn", choices=["burst", "tree"], default="burst",
                   help="burst: main spawns all; tree: fan-out tree (default burst)")
    c.add_argument("--fanout", type=int, default=None,
                   help="children per node with --spawn tree (default 16)")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--cores", type=int, default=None, help="cores (default: procs)")
    c.add_argument("--sockets", type=int, default=1, help="sockets (default 1)")
    c.add_argument("--layout", choices=["go", "padded"], default="go",
                   help="which scheduler fields share cache lines (default: Go's structs)")
    c.add_argument("--no-cache", action="store_true", help="switch the cache model off")
    c.add_argument("--schedtrace", type=float, default=None, metavar="MS",
                   help="also print GODEBUG=schedtrace-style lines every MS emulated ms")
    c.add_argument("--costs", default=None, metavar="FILE",
                   help="CostModel from a config or `gmpcore calibrate` file (its [machine] "
                        "clock, and its cores unless --cores is given)")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_compare)
    s = sub.add_parser("strategies", help="list the queue-strategy presets and their sources")
    s.set_defaults(func=cmd_strategies)
    w = sub.add_parser("sweep", help="run a parameter sweep described in a TOML file",
                       description="Run the sweep a TOML file describes ([sweep] seeds, store, "
                                   "executor; [base] RunSpec fields; [grid] key = [values]; see "
                                   "docs/sweeps.md) and print the mean over seeds of each grid "
                                   "point.  Exits 1 if any run failed.")
    w.add_argument("config", help="the sweep's TOML file")
    w.add_argument("--store", default=None,
                   help="results file (.parquet or .csv), overriding [sweep] store; a rerun "
                        "skips the runs it already holds")
    w.add_argument("--executor", default=None,
                   help="'local' (a process pool, one worker per CPU), a number of workers, "
                        "'serial', or a Dask scheduler address tcp://host:8786 (overrides "
                        "[sweep] executor)")
    w.add_argument("--columns", default=None,
                   help="comma-separated metrics of the summary table (default: [sweep] summary "
                        "or emulated_ns, latency_mean_ns, latency_p99_ns, cache_miss_rate, "
                        "steals, lock_contended, wall_s)")
    w.add_argument("--no-progress", action="store_true", help="no progress bar")
    w.add_argument("--json", action="store_true", help="print every run as JSON records")
    w.set_defaults(func=cmd_sweep)
    r = sub.add_parser("run", help="run one configuration saved with gmpcore.save_config",
                       description="Run the program and configuration a save_config file "
                                   "describes ([machine], [costs], [strategy], and [run]: procs, "
                                   "seed, record, max_events, max_cycles, workload, goroutines, "
                                   "work); flags override [run].  Exits 1 unless the run ends ok.")
    r.add_argument("config", help="a .toml or .json file written by gmpcore.save_config")
    r.add_argument("--workload", default=None,
                   help="burst, tree, or package.module:function (default: [run] workload or "
                        "burst)")
    r.add_argument("--goroutines", "-n", type=parse_count, default=None,
                   help="goroutines (default: [run] goroutines or 100k)")
    r.add_argument("--work", type=_work, default=None,
                   help="cycles per goroutine: N, exp:MEAN, uniform:LO:HI, lognormal:MEAN:SIGMA")
    r.add_argument("--procs", "-p", type=int, default=None, help="GOMAXPROCS")
    r.add_argument("--seed", type=int, default=None)
    r.add_argument("--max-events", type=parse_count, default=None, dest="max_events",
                   help="stop after this many micro-steps")
    r.add_argument("--schedtrace", type=float, default=None, metavar="MS",
                   help="print GODEBUG=schedtrace-style lines every MS emulated ms")
    r.add_argument("--trace", metavar="FILE", default=None,
                   help="write a Go execution trace (go tool trace FILE)")
    r.add_argument("--perfetto", metavar="FILE", default=None,
                   help="write Perfetto / chrome://tracing JSON")
    r.add_argument("--plot", metavar="FILE", default=None,
                   help="save the scheduling-latency CDF (needs matplotlib; .png, .svg, .pdf)")
    r.add_argument("--json", action="store_true", help="print Result.summary as JSON")
    r.set_defaults(func=cmd_run)
    sc = sub.add_parser("scenario", help="run one of the seed article's incidents (no name: "
                                         "list them)")
    sc.add_argument("name", nargs="?", choices=sorted(SCENARIOS), default=None)
    sc.add_argument("--procs", "-p", type=int, default=None,
                    help="GOMAXPROCS (default: the scenario's own)")
    sc.add_argument("--seed", type=int, default=1)
    sc.add_argument("--json", action="store_true", help="machine-readable output")
    sc.set_defaults(func=cmd_scenario)
    from .calibrate.cli import add_parser as add_calibrate   # its own module (calib stream)
    add_calibrate(sub)
    from .replay.cli import add_parser as add_replay_parser   # `gmpcore replay` (replay stream)
    add_replay_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cmd = f"gmpcore {args.command}"

    def fail(msg) -> int:
        # one line, in terms of the flags, and exit status 2 (argparse's for usage errors)
        msg = str(msg) if args.command == "sweep" else _flag_words(str(msg))
        msg = " ".join(msg.split())
        print(f"{cmd}: error: {msg}", file=sys.stderr)
        return 2

    procs = getattr(args, "procs", 1)
    if procs is not None and not 1 <= procs <= 1024:
        return fail(f"--procs must be between 1 and 1024, got {args.procs}")
    seed = getattr(args, "seed", 0)
    if seed is not None and not 0 <= seed < 2**64:
        return fail(f"--seed must be between 0 and 2**64-1, got {args.seed}")
    from .guard import MemoryLimitError
    from .kernels import KernelError
    from .runner import InternalError, ProgramError
    try:
        return args.func(args)
    except BrokenPipeError:                  # e.g. `gmpcore strategies | head`
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no error at exit
        return 0
    except CLIError as e:
        return fail(e)
    except MemoryLimitError as e:
        return fail(f"{e} (lower --goroutines, or raise $GMPCORE_MEMORY_LIMIT)")
    except (ProgramError, KernelError) as e:
        return fail(e)
    except (ValueError, TypeError, OverflowError, ConnectionError) as e:
        return fail(e)
    except RecursionError:
        return fail("input nested too deeply")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except InternalError:
        raise                                # a bug in gmpcore: keep the traceback
    except OSError as e:
        return fail(f"{e.strerror or e}" + (f": {e.filename}" if e.filename else ""))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
