"""Fixed costs that matter for sweeps of many small runs: `import gmpcore`, and the first run
of a fresh process against the second (lazy imports, first-call set-up), each in a fresh
interpreter."""
import json
import subprocess
import sys

CODE = r"""
import json, time
t0 = time.perf_counter()
import gmpcore
t1 = time.perf_counter()
p = gmpcore.workloads.burst(1000, gmpcore.Exponential(2000))
t2 = time.perf_counter()
r1 = gmpcore.run(p, procs=4, seed=1, record=False)
t3 = time.perf_counter()
r2 = gmpcore.run(p, procs=4, seed=1, record=False)
t4 = time.perf_counter()
assert r1.summary["events"] == r2.summary["events"] and r1.status == "ok"
print(json.dumps({"import_s": t1 - t0, "first_run_s": t3 - t2, "second_run_s": t4 - t3}))
"""


def _fresh():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_import_and_first_run(benchmark):
    outs = []
    benchmark.pedantic(lambda: outs.append(_fresh()), rounds=5, iterations=1)
    med = {k: sorted(o[k] for o in outs)[len(outs) // 2] for k in outs[0]}
    benchmark.extra_info.update({f"{k}_median": v for k, v in med.items()})
    benchmark.extra_info["first_run_fixed_cost_s"] = med["first_run_s"] - med["second_run_s"]
    assert med["second_run_s"] > 0


def test_scheddetail_snapshot_cost(benchmark):
    # GODEBUG=scheddetail=1: a snapshot of every P, M and G at each sample; the per-snapshot
    # cost is the run's wall time with scheddetail less the same run without, per sample
    import time

    import gmpcore
    prog = gmpcore.workloads.burst(20_000, gmpcore.Exponential(2000))
    kw = dict(procs=8, seed=1, record=False, schedtrace_ms=0.01)
    walls = {}

    def once():
        for detail in (False, True):
            t = time.perf_counter()
            res = gmpcore.run(prog, scheddetail=detail, **kw)
            walls[detail] = (time.perf_counter() - t, res)
    benchmark.pedantic(once, rounds=3, iterations=1)
    res = walls[True][1]
    nsnap = len(res.sched_snapshots)
    assert nsnap > 100 and res.status == "ok"
    benchmark.extra_info["snapshots"] = nsnap
    benchmark.extra_info["ms_per_snapshot"] = (walls[True][0] - walls[False][0]) / nsnap * 1e3
