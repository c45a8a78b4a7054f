"""The cycle-level comparison (issue: cycles and caches).

Targets: the full `gmpcore compare --goroutines 10M --procs 16` (both strategies) in < 30 s on
one core with peak RSS < 1.5 GB; the cache model costs at most 2x in events/s against the same
run with it switched off (ratio measured within one run, medians).
"""
import pytest

import gmpcore
from gmpcore import workloads


def test_compare_10m_16p(benchmark, rss):
    out = benchmark.pedantic(rss, args=(
        "import time\n"
        "from gmpcore.experiments import queue_comparison\n"
        "t = time.perf_counter()\n"
        "df = queue_comparison(goroutines=10_000_000, procs=16)\n"
        "out = {'wall': time.perf_counter() - t, 'events': int(df['events'].sum()),\n"
        "       'created': [int(x) for x in df['goroutines_created']],\n"
        "       'status': list(df['status'])}\n",), rounds=1, iterations=1)
    assert out["status"] == ["ok", "ok"]
    assert out["created"] == [10_000_001, 10_000_001]
    benchmark.extra_info.update(wall_s=out["wall"], events=out["events"],
                                events_per_s=out["events"] / out["wall"],
                                peak_rss_delta_mb=out["peak_delta_bytes"] / 2**20)
    assert out["wall"] < 30
    assert out["peak_delta_bytes"] < 1.5 * 2**30


@pytest.mark.parametrize("strategy", ["go", "global"])
@pytest.mark.parametrize("cache", [True, False], ids=["cache", "nocache"])
def test_burst_1m_cache_on_off(benchmark, strategy, cache):
    prog = workloads.burst(1_000_000, gmpcore.Exponential(2000))
    machine = gmpcore.Machine(procs=16, cache=cache)

    def once():
        return gmpcore.run(prog, strategy=strategy, machine=machine, seed=1, record=False)

    res = benchmark.pedantic(once, rounds=3, iterations=1)
    s = res.summary
    assert s["status"] == "ok" and s["goroutines_finished"] >= 1_000_000
    assert (s["cache_accesses"] > 0) == cache
    benchmark.extra_info["events"] = s["events"]
    benchmark.extra_info["events_per_s_median"] = s["events"] / benchmark.stats.stats.median
