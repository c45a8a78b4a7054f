"""GC work's cost to the engine: emulated events per second of the gc_stw_tail server
(200,000 requests on 16 Ps, 8 MiB live, the GOGC pacer) with the mark workers, assists and
forEachP barrier, against the same run with the cycles as pauses only.

    pytest benchmarks/test_bench_gc.py --benchmark-only

The workers add events (a worker's chunk of scan work is one micro-step, 10 us of work; an
assist is two), so events/s is reported for both; no target is set by an issue.
"""
import gmpcore
from gmpcore import scenarios

REQUESTS = 200_000
PROCS = 16


def _bench(benchmark, gc):
    prog = scenarios.gc_stw_program(REQUESTS, PROCS)
    res = benchmark.pedantic(lambda: gmpcore.run(prog, procs=PROCS, seed=1, record=False,
                                                 gc=gc), rounds=3, iterations=1)
    s = res.summary
    assert s["status"] == "ok" and s["gc_cycles"] > 0
    benchmark.extra_info["events"] = s["events"]
    benchmark.extra_info["events_per_s_median"] = s["events"] / benchmark.stats.stats.median
    benchmark.extra_info["gc_cycles"] = s["gc_cycles"]
    benchmark.extra_info["gc_worker_runs"] = s["gc_worker_runs"]
    return s


def test_gc_server_with_mark_workers(benchmark):
    s = _bench(benchmark, gmpcore.GC())
    assert s["gc_mark_dedicated_ns"] > 0


def test_gc_server_pauses_only(benchmark):
    s = _bench(benchmark, gmpcore.GC(workers=False))
    assert s["gc_mark_dedicated_ns"] == 0
