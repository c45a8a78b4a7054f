"""Reproduce docs/calibration.md's tables: calibrate this machine, run the Go oracle
workloads, and put gmpcore's predictions next to them.

    python scripts/calibration_report.py calibrate      # -> docs/data/calibration-dev.toml
    python scripts/calibration_report.py refit          # re-derive its costs (no measuring)
    python scripts/calibration_report.py go200k         # -> docs/data/go-workloads-200k.csv
    nice python scripts/calibration_report.py go10m     # -> docs/data/go-burst-10M.csv
    python scripts/calibration_report.py table          # predicted vs real, as markdown
"""
import sys
import time
from pathlib import Path

import pandas as pd

import gmpcore
from gmpcore.calibrate import go_workloads, predicted_vs_real
from gmpcore.calibrate.workloads import emulate

DATA = Path(__file__).resolve().parent.parent / "docs" / "data"
CAL = DATA / "calibration-dev.toml"
W200K = DATA / "go-workloads-200k.csv"
W10M = DATA / "go-burst-10M.csv"


def burst_iters(cal):
    """`gmpcore compare`'s default work, exp:2000 cycles, as spin iterations."""
    return int(round(2000 / cal.derived["work_cycles_per_iter"]))


def show(row):
    print({k: row[k] for k in ("workload", "procs", "rep", "wall_ns", "cpu_ns",
                               "latency_p50_ns", "load_before")}, flush=True)


def markdown(df):
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
        return str(v)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in df.itertuples(index=False)]
    return "\n".join(lines)


def main(step):
    if step == "calibrate":
        t = time.perf_counter()
        gmpcore.calibrate(CAL, progress=True)
        print(f"calibrate: {time.perf_counter() - t:.1f} s")
    elif step == "refit":
        from gmpcore.calibrate import refit
        refit(gmpcore.load_calibration(CAL)).save(CAL)
    elif step == "go200k":
        go_workloads(n=200_000, work=128, reps=5, progress=show).to_csv(W200K, index=False)
    elif step == "go10m":
        cal = gmpcore.load_calibration(CAL)
        go_workloads("flat", procs=(1, 2, 16), n=10_000_000, work=burst_iters(cal), exp=True,
                     reps=int(sys.argv[2]) if len(sys.argv) > 2 else 5,
                     progress=show).to_csv(W10M, index=False)
    elif step == "table":
        cal = gmpcore.load_calibration(CAL)
        pd.set_option("display.width", 250)
        t = predicted_vs_real(cal, pd.read_csv(W200K))
        print(markdown(t))
        if W10M.exists():
            print()
            print(markdown(predicted_vs_real(cal, pd.read_csv(W10M), workloads=("flat",))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
