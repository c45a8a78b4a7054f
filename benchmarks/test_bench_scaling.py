"""Engine speed against P and against N (issue: performance).

Targets: >= 30M events/s with the cache model on, go strategy, 16 Ps, 1M goroutines; events/s
within +-20% from P=2 to P=256 (extra_info max_over_min_p2_p256) and from 1e4 to 1e7
goroutines.  Each test measures all of its points in one run (alternating, best of the rounds)
and reports the ratios in extra_info; the 1e7 point runs only with GMPCORE_BENCH_SLOW=1.
Instructions per event (deterministic, for A/B comparisons under load):
benchmarks/callgrind_per_event.py.
"""
import os
import resource
import time

import gmpcore
from gmpcore import workloads


def _eps(n, procs, rounds):
    prog = workloads.burst(n, gmpcore.Exponential(2000))
    machine = gmpcore.Machine(procs=procs, cache=True)
    best, res = None, None
    for _ in range(rounds):
        t = time.perf_counter()
        res = gmpcore.run(prog, strategy="go", machine=machine, seed=1, record=False)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    s = res.summary
    assert s["status"] == "ok" and s["goroutines_created"] == n + 1
    return s["events"] / best, s["events"]


def _sweep(benchmark, points, rounds):
    out = {}

    def once():
        for key, (n, procs) in points.items():
            out[key] = _eps(n, procs, rounds)
    benchmark.pedantic(once, rounds=1, iterations=1)
    for key, (eps, events) in out.items():
        benchmark.extra_info[f"events_per_s[{key}]"] = eps
        benchmark.extra_info[f"events[{key}]"] = events
    vals = [eps for eps, _ in out.values()]
    benchmark.extra_info["max_over_min"] = max(vals) / min(vals)
    benchmark.extra_info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def test_events_per_s_vs_procs(benchmark):
    # P=64 and P=1024 beside the target's range: the victim walk changes method with the
    # number of idle Ps (sched/steal.pxi), and events/s should stay flat across it
    out = _sweep(benchmark, {f"P={p}": (1_000_000, p) for p in (2, 16, 64, 256, 1024)},
                 rounds=3)
    target = [out[k][0] for k in ("P=2", "P=16", "P=64", "P=256")]
    benchmark.extra_info["max_over_min_p2_p256"] = max(target) / min(target)
    assert out["P=16"][0] > 0


def test_events_per_s_vs_goroutines(benchmark):
    ns = [10_000, 100_000, 1_000_000]
    if os.environ.get("GMPCORE_BENCH_SLOW"):
        ns.append(10_000_000)
    out = _sweep(benchmark, {f"N={n:.0e}": (n, 16) for n in ns}, rounds=3)
    assert len(out) == len(ns)
