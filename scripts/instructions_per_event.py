"""Host instructions per emulated event, counted by callgrind: a deterministic measure of the
engine's per-event cost, unlike wall time on a shared machine.

    python scripts/instructions_per_event.py                 # 1e5-goroutine burst, P=2 and 16
    python scripts/instructions_per_event.py -n 1e5 -p 2 16 256

Runs each point in a child interpreter under `valgrind --tool=callgrind`, collecting only
inside the engine's event loop (`run_loop`: everything it calls, not the set-up or the Python
around it), and prints Ir / events.  Needs valgrind on PATH.  For the profile by function and
line, rebuild with line numbers (`cythonize(..., emit_linenums=True)`, CFLAGS=-g) and read the
kept output with `callgrind_annotate --auto=yes FILE`.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

CHILD = r"""
import sys, gmpcore
from gmpcore import workloads
n, procs = int(float(sys.argv[1])), int(sys.argv[2])
res = gmpcore.run(workloads.burst(n, gmpcore.Exponential(2000)), strategy="go",
                  machine=gmpcore.Machine(procs=procs, cache=True), seed=1, record=False)
assert res.summary["status"] == "ok"
print("EVENTS", res.summary["events"])
"""
SYMBOL = "__pyx_f_7gmpcore_7_engine_run_loop"


def measure(n: float, procs: int, keep: str | None = None) -> tuple[int, int]:
    """(instructions inside run_loop, events) of one burst run."""
    out = keep or tempfile.mktemp(prefix="callgrind.", suffix=".out")
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--toggle-collect={SYMBOL}",
                        f"--callgrind-out-file={out}", sys.executable, "-c", CHILD, str(n),
                        str(procs)], capture_output=True, text=True, env=dict(os.environ))
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    events = int(re.search(r"EVENTS (\d+)", r.stdout).group(1))
    ir = int(re.search(r"Collected : (\d+)", r.stderr).group(1))
    if keep is None:
        os.unlink(out)
    return ir, events


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=float, default=1e5, help="goroutines of the burst (1e5)")
    ap.add_argument("-p", type=int, nargs="+", default=[2, 16], help="procs (2 16)")
    ap.add_argument("--keep", help="keep the callgrind output as KEEP.P<procs>")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not on PATH", file=sys.stderr)
        return 2
    for p in args.p:
        ir, ev = measure(args.n, p, f"{args.keep}.P{p}" if args.keep else None)
        print(f"P={p}: {ev:,} events, {ir:,} instructions, {ir / ev:.1f} per event")
    return 0


if __name__ == "__main__":
    sys.exit(main())
