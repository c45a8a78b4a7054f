"""Instructions per emulated event, by P: a deterministic companion to test_bench_scaling.py.

Wall-clock figures on the shared 2-core dev machine move by 10-30% with the load; the number of
instructions the engine executes does not.  This script runs the scaling benchmark's workload
(a burst of N goroutines, Exponential(2000) work, `go` strategy, cache model on, seed 1) under
`valgrind --tool=callgrind`, counting only the instructions inside the event loop (run_loop,
everything it calls), and prints instructions per event for each P:

    python benchmarks/callgrind_per_event.py                   # N=1e5, P=2,16,64,256
    python benchmarks/callgrind_per_event.py --n 1e4 --procs 16,1024

Needs valgrind on PATH; about 10-20 s per P at N=1e5.  Not a pytest file (pytest only collects
test_*.py): run it by hand before and after an engine change, on the same build options.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

RUN_LOOP = "__pyx_f_7gmpcore_7_engine_run_loop"


def _child(n, procs):
    import gmpcore
    from gmpcore import workloads
    prog = workloads.burst(n, gmpcore.Exponential(2000))
    res = gmpcore.run(prog, strategy="go", machine=gmpcore.Machine(procs=procs, cache=True),
                      seed=1, record=False)
    s = res.summary
    assert s["status"] == "ok" and s["goroutines_created"] == n + 1
    print(json.dumps({"events": s["events"]}))


def _measure(n, procs):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               f"--toggle-collect={RUN_LOOP}", sys.executable, os.path.abspath(__file__),
               "--child", "--n", str(n), "--procs", str(procs)]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        events = json.loads(p.stdout.strip().splitlines()[-1])["events"]
        with open(out) as f:
            m = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
        return events, int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, default=1e5, help="goroutines (default 1e5)")
    ap.add_argument("--procs", default="2,16,64,256", help="comma-separated Ps")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    n = int(a.n)
    procs = [int(x) for x in a.procs.split(",")]
    if a.child:
        _child(n, procs[0])
        return
    if shutil.which("valgrind") is None:
        sys.exit("callgrind_per_event: valgrind is not on PATH")
    print(f"{'P':>6} {'events':>10} {'instructions':>14} {'per event':>10}")
    for p in procs:
        events, ir = _measure(n, p)
        print(f"{p:>6} {events:>10} {ir:>14,} {ir / events:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
