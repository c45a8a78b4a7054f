"""The `gmpcore` command (also `python -m gmpcore`)."""
from __future__ import annotations

import argparse
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
    if v != int(v) or v < 1:
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
    df = queue_comparison(goroutines=args.goroutines, procs=args.procs, strategies=strategies,
                          work=args.work, spawn=args.spawn, seed=args.seed, fanout=args.fanout,
                          machine=_machine(args), schedtrace_ms=args.schedtrace)
    if args.schedtrace is not None and not args.json:
        for strat, text in zip(df["strategy"], df["schedtrace"]):
            print(f"# GODEBUG=schedtrace={args.schedtrace:g} ({strat}, emulated)")
            print(text.rstrip("\n"))
            print()
    if args.json:
        print(df.to_json(orient="records", indent=2))
        return 0
    print(f"gmpcore compare: {args.goroutines:,} goroutines ({args.spawn}), {args.procs} Ps, "
          f"{df['ncores'].iloc[0] if 'ncores' in df else args.procs} cores, layout "
          f"{args.layout}, work {df['work'].iloc[0]}, seed {args.seed}\n")
    print_transposed(df, COMPARISON_ROWS)
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
    import os
    from .sweep import DEFAULT_SUMMARY, FAILED, summarize, sweep_from_config
    if not os.path.isfile(args.config):
        raise ValueError(f"no such sweep file: {args.config}")
    executor = args.executor
    if executor is not None and executor.isdigit():
        executor = int(executor)
    progress = False if args.no_progress else None
    df, opts = sweep_from_config(args.config, executor=executor, store=args.store,
                                 progress=progress)
    if args.json:
        print(df.to_json(orient="records", indent=2))
    else:
        st = df.attrs.get("sweep", {})
        metrics = (args.columns.split(",") if args.columns
                   else opts.get("summary") or list(DEFAULT_SUMMARY))
        table = summarize(df, metrics)
        print(f"gmpcore sweep {args.config}: {st.get('points', len(df))} runs "
              f"({st.get('ran', len(df))} run now, {st.get('skipped', 0)} from the store"
              + (f" {opts['store']}" if opts.get("store") else "") + f"), "
              f"{st.get('failed', 0)} failed, {st.get('wall_s', float('nan')):.1f} s\n")
        print_table(table, list(table.columns), file=sys.stdout)
        bad = df[df["status"] == FAILED]
        if len(bad):
            print(f"\n{len(bad)} failed run(s):")
            params = [c for c in table.columns if c not in ("runs", "failed", *metrics)]
            for _, r in bad.head(20).iterrows():
                where = ", ".join(f"{c}={r[c]}" for c in params if c in r)
                print(f"  {where}, seed {r['seed']}: {r['error']}")
    return 1 if (df["status"] == FAILED).any() else 0


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


def _machine(args):
    from .config import Machine
    return Machine(procs=args.procs, cores=args.cores, sockets=args.sockets,
                   layout=args.layout, cache=not args.no_cache)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .config import STRATEGIES
    p = argparse.ArgumentParser(prog="gmpcore", description=(
        "Cycle-level emulator of the Go runtime's GMP scheduler."))
    p.add_argument("--version", action="version", version=f"gmpcore {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
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
    c.add_argument("--fanout", type=int, default=16, help="children per node with --spawn tree")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--cores", type=int, default=None, help="cores (default: procs)")
    c.add_argument("--sockets", type=int, default=1, help="sockets (default 1)")
    c.add_argument("--layout", choices=["go", "padded"], default="go",
                   help="which scheduler fields share cache lines (default: Go's structs)")
    c.add_argument("--no-cache", action="store_true", help="switch the cache model off")
    c.add_argument("--schedtrace", type=float, default=None, metavar="MS",
                   help="also print GODEBUG=schedtrace-style lines every MS emulated ms")
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
    sc = sub.add_parser("scenario", help="run one of the seed article's incidents (no name: "
                                         "list them)")
    sc.add_argument("name", nargs="?", choices=sorted(SCENARIOS), default=None)
    sc.add_argument("--procs", "-p", type=int, default=None,
                    help="GOMAXPROCS (default: the scenario's own)")
    sc.add_argument("--seed", type=int, default=1)
    sc.add_argument("--json", action="store_true", help="machine-readable output")
    sc.set_defaults(func=cmd_scenario)
    from .replay.cli import add_parser as add_replay_parser   # `gmpcore replay` (replay stream)
    add_replay_parser(sub)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    procs = getattr(args, "procs", 1)
    if procs is not None and not 1 <= procs <= 1024:
        parser.error(f"--procs must be between 1 and 1024, got {args.procs}")
    if getattr(args, "seed", 0) < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    try:
        return args.func(args)
    except (ValueError, TypeError) as e:
        parser.error(str(e))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                  # e.g. `gmpcore strategies | head`
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
