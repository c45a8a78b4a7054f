"""Kernel call overhead (issue: strategies).  The same policy (Go's victim order and steal
amount) built in versus as Numba kernels called through function pointers from the nogil loop.
Target: the kernel path keeps at least 70% of the built-in events/s.
"""
import pytest

import gmpcore
from gmpcore import workloads

numba = pytest.importorskip("numba")


@gmpcore.kernel("choose_victim")
def go_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    if i >= nprocs:
        return -1
    inc = coprimes[(r // nprocs) % ncoprimes]
    return (r % nprocs + i * inc) % nprocs


@gmpcore.kernel("steal_amount")
def half(victim_len, thief, victim, ring_cap):
    return victim_len - victim_len // 2


KERNELS = gmpcore.Strategy(name="go-kernels", victim=go_order, steal_amount=half)


@pytest.mark.parametrize("strategy", ["go", KERNELS], ids=["builtin", "kernels"])
def test_kernel_overhead(benchmark, strategy):
    prog = workloads.burst(1_000_000, gmpcore.Exponential(2000))

    def once():
        return gmpcore.run(prog, procs=16, strategy=strategy, seed=1, record=False)

    res = benchmark.pedantic(once, rounds=3, iterations=1)
    s = res.summary
    assert s["status"] == "ok" and s["goroutines_finished"] >= 1_000_000
    assert s["steal_attempts"] > 1_000_000          # the hooks ran for every probe
    benchmark.extra_info["events"] = s["events"]
    benchmark.extra_info["events_per_s_median"] = s["events"] / benchmark.stats.stats.median
