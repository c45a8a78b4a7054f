"""`gmpcore replay trace.out`: replay a recorded Go execution trace under gmpcore's
strategies and P counts and print recorded-vs-replayed (hooked into gmpcore/cli.py)."""
from __future__ import annotations

import sys

__all__ = ["add_parser", "cmd_replay"]


def add_parser(sub) -> None:
    from ..config import STRATEGIES
    r = sub.add_parser("replay", help="replay a Go execution trace (runtime/trace) under "
                                      "strategies and P counts",
                       description="Parse a Go 1.22+ execution trace, rebuild its goroutine "
                                   "graph and rerun it in gmpcore; print the recorded run "
                                   "and one replay per --strategy x --procs (docs/replay.md).")
    r.add_argument("trace", help="the trace file (trace.Start's output)")
    r.add_argument("--strategy", "-s", action="append", choices=sorted(STRATEGIES),
                   help="strategy to replay under (repeatable; default: go)")
    r.add_argument("--procs", "-p", type=int, action="append", default=None, dest="replay_procs",
                   help="GOMAXPROCS of a replay (repeatable; default: the recorded one)")
    r.add_argument("--scale", type=float, default=1.0,
                   help="multiply every recorded compute duration (default 1)")
    r.add_argument("--clock-ghz", type=float, default=None,
                   help="the emulated clock converting ns to cycles (default: the "
                        "calibration's, else 3.0)")
    r.add_argument("--costs", default=None, metavar="FILE",
                   help="a `gmpcore calibrate` file: replay with its costs, clock and cores "
                        "(use the machine the trace was recorded on)")
    r.add_argument("--timers", choices=["recorded", "relative"], default="recorded",
                   help="timer/network wake-ups at their recorded times (default) or after "
                        "their recorded blocked durations from the replayed park")
    r.add_argument("--no-mutexes", action="store_true",
                   help="replay parked sync.Mutex Locks as wake-up edges only")
    r.add_argument("--cores", type=int, default=None,
                   help="cores of the replayed machine (default: the calibration's, else one "
                        "per P); Ps beyond it time-share the cores")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(func=cmd_replay)


def cmd_replay(args) -> int:
    import os
    from .compare import compare
    from .format import TraceFormatError, read_trace
    if not os.path.isfile(args.trace):
        raise ValueError(f"no such trace file: {args.trace}")
    for p in args.replay_procs or []:
        if not 1 <= p <= 1024:
            raise ValueError(f"--procs must be between 1 and 1024, got {p}")
    if args.cores is not None and not 1 <= args.cores <= 256:
        raise ValueError(f"--cores must be between 1 and 256, got {args.cores}")
    if args.scale <= 0:
        raise ValueError(f"--scale must be > 0, got {args.scale}")
    try:
        tr = read_trace(args.trace)
    except TraceFormatError as e:
        raise ValueError(f"{args.trace}: {e}")
    if args.clock_ghz is not None and not args.clock_ghz > 0:
        raise ValueError(f"--clock-ghz must be > 0, got {args.clock_ghz}")
    if args.costs is not None and not os.path.isfile(args.costs):
        raise ValueError(f"no such calibration file: {args.costs}")
    df = compare(tr, strategies=args.strategy or ["go"], procs=args.replay_procs, seed=args.seed,
                 scale=args.scale, clock_ghz=args.clock_ghz, calibration=args.costs,
                 timers=args.timers, mutexes=not args.no_mutexes, cores=args.cores)
    if args.json:
        print(df.to_json(orient="records", indent=2))
        return 0
    s = tr.graph.summary()
    print(f"gmpcore replay {args.trace}: trace format go 1.{tr.version}, {len(tr.events):,} events "
          f"parsed in {tr.parse_s:.2f} s ({tr.events_per_s:,.0f} events/s), "
          f"{s['goroutines']} goroutines, {s['segments']:,} run segments, "
          f"{s['edges']:,} unblock edges, recorded GOMAXPROCS {s['gomaxprocs']}\n")
    cols = ["run", "strategy", "procs", "status", "goroutines", "wall_ns", "latency_p50_ns",
            "latency_p90_ns", "wall_ratio", "p50_ratio", "p90_ratio"]
    cells = [[_fmt(v) for v in row] for row in df[cols].itertuples(index=False)]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    rp = df.attrs["replay"]
    shown = {k: v for k, v in rp.approximations.items() if v}
    if shown:
        print("\napproximations (docs/replay.md): "
              + ", ".join(f"{k}={v}" for k, v in shown.items()), file=sys.stdout)
    return 0


def _fmt(v):
    if isinstance(v, float):
        if v != v:
            return "nan"
        return f"{v:.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
