"""`gmpcore calibrate [-o FILE] [--quick]`: the subcommand (hooked into gmpcore/cli.py)."""
from __future__ import annotations

import sys

__all__ = ["add_parser", "cmd_calibrate"]


def add_parser(sub):
    p = sub.add_parser(
        "calibrate", help="measure this machine with Go microbenchmarks and write a "
                          "CostModel/Machine TOML",
        description="Build and run small Go microbenchmarks (needs `go` on PATH) and map them "
                    "onto gmpcore's CostModel and Machine (docs/calibration.md).  Use the file "
                    "with `gmpcore compare --costs FILE`, gmpcore.load_calibration(FILE) or "
                    "gmpcore.load_config(FILE).")
    p.add_argument("-o", "--output", default="gmpcore-calibration.toml", metavar="FILE",
                   help="the TOML file to write (default gmpcore-calibration.toml)")
    p.add_argument("--quick", action="store_true",
                   help="small batches, few repetitions: a few seconds, noisier values")
    p.add_argument("--quiet", action="store_true", help="no line per benchmark")
    p.set_defaults(func=cmd_calibrate)
    return p


def cmd_calibrate(args) -> int:
    from .core import MEASURED_FIELDS, calibrate
    print(f"gmpcore calibrate: Go microbenchmarks{' (quick)' if args.quick else ''} ...",
          file=sys.stderr)
    cal = calibrate(args.output, quick=args.quick, progress=not args.quiet)
    i = cal.info
    print(f"{i['go_version']}, {i['cpu_model']}, {i['cores']} cores, {i['clock_ghz']} GHz "
          f"({i['clock_source']}), load {i['loadavg_before'][0]:.2f} -> "
          f"{i['loadavg_after'][0]:.2f}, {i['duration_s']:.1f} s")
    t = cal.table()
    t = t[t["field"].isin(MEASURED_FIELDS)]
    w = max(len(f) for f in t["field"])
    print(f"{'field':<{w}}  {'cycles':>10}  {'default':>10}")
    for _, r in t.iterrows():
        print(f"{r['field']:<{w}}  {r['calibrated']:>10,}  {r['default']:>10,}")
    d = cal.derived
    print(f"unit of work: {d['work_ns_per_iter']:.3g} ns per spin iteration; goroutine "
          f"create+run+exit {d['spawn_2k_ns']:.0f} ns in a burst of 2,000, "
          f"{d['spawn_200k_ns']:.0f} ns in a burst of {d['spawn_200k_n']:,}")
    print(f"wrote {args.output}")
    return 0
