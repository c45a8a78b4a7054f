"""Smoke test of an installed gmpcore (a wheel in a fresh venv): import and use every
subpackage, from outside the source tree.  Run by .ci/run; exits non-zero on any failure.

    python .ci/smoke.py EXPECTED_PREFIX    # gmpcore must be imported from under this path
"""
import os
import subprocess
import sys
import tempfile

import gmpcore

prefix = os.path.realpath(sys.argv[1]) if len(sys.argv) > 1 else None
where = os.path.realpath(gmpcore.__file__)
if prefix and not where.startswith(prefix + os.sep):
    sys.exit(f"smoke: gmpcore was imported from {where}, not from the venv {prefix}")
print(f"smoke: gmpcore {gmpcore.__version__} from {os.path.dirname(where)}")

from gmpcore import workloads                                      # noqa: E402

prog = workloads.burst(2000, gmpcore.Exponential(2000))
res = gmpcore.run(prog, procs=4, seed=1, trace=True, schedtrace_ms=0.05)
assert res.status == "ok" and res.summary["goroutines_created"] == 2001, res.summary

with tempfile.TemporaryDirectory() as tmp:
    # export: every writer
    from gmpcore import export
    assert export.schedtrace(res).startswith("SCHED")
    assert "goroutine 1" in export.goroutine_dump(res) or res.goroutine_dump() is not None
    export.write_go_trace(res, os.path.join(tmp, "run.trace"))
    export.write_perfetto(res, os.path.join(tmp, "run.json"))
    assert os.path.getsize(os.path.join(tmp, "run.trace")) > 0

    # plot (lazy attribute after a plain import)
    os.environ.setdefault("MPLBACKEND", "Agg")
    gmpcore.plot.latency_cdf([res])
    gmpcore.plot.runqueue_heatmap(res)

    # scenarios, experiments
    df = gmpcore.scenarios.per_p_counters(procs=2, goroutines=8, increments=10)
    assert len(df) == 3, df
    cmp = gmpcore.experiments.queue_comparison(goroutines=2000, procs=2)
    assert list(cmp["strategy"]) == ["go", "global"]

    # configio
    path = gmpcore.save_config({"machine": gmpcore.Machine(procs=2)}, os.path.join(tmp, "m.toml"))
    assert gmpcore.load_config(path)["machine"].procs == 2

    # sweeps
    swept = gmpcore.sweep({"goroutines": 300}, {"procs": [1, 2]}, seeds=2, executor="serial",
                          progress=False, store=os.path.join(tmp, "runs.csv"))
    assert (swept["status"] == "ok").all() and len(swept) == 4
    assert len(gmpcore.sweeps.summarize(swept, ["steals"])) == 2

    # kernels (numba)
    @gmpcore.kernel("steal_amount")
    def half(victim_len, thief, victim, ring_cap):
        return victim_len - victim_len // 2
    mine = gmpcore.Strategy(name="half", steal_amount=half)
    a = gmpcore.run(prog, procs=4, seed=1, strategy=mine, record=False)
    assert a.summary["steals"] == res.summary["steals"], (a.summary["steals"],
                                                          res.summary["steals"])

    # the console script
    out = subprocess.run(["gmpcore", "compare", "-n", "2000", "-p", "2"], capture_output=True,
                         text=True, check=True, cwd=tmp).stdout
    assert "sched latency mean" in out, out

print("smoke: ok (export, plot, scenarios, experiments, configio, sweeps, kernels, CLI)")
