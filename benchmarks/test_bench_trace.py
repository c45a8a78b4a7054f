"""The cost of recording scheduler events (run(trace=...)) and of exporting them.

Targets (issue: observability): recording the events of a 1M-goroutine burst on 16 Ps costs at
most 3x the events/s of the same run without recording, and stays within a stated memory
budget: at most MAX_BYTES_PER_EVENT bytes of peak memory per recorded event (a record is
_engine.TRACE_EVENT_BYTES = 40 bytes; the engine's buffer and its numpy copy coexist for a
moment, hence ~2x), on top of the run without recording.  The default cap (trace=True keeps
10M events) bounds that at 10M x MAX_BYTES_PER_EVENT.

The exporters are Python: their throughput (recorded events written per second) is reported
for a 100k-goroutine burst.
"""
import statistics
import time

import pytest

import gmpcore
import gmpcore.export
from gmpcore import workloads

N = 1_000_000
MAX_BYTES_PER_EVENT = 96          # budget: 2.4x the 40-byte record
MAX_SLOWDOWN = 3.0


def _burst(n):
    return workloads.burst(n, gmpcore.Exponential(2000))


def test_trace_recording_cost_1m(benchmark):
    prog = _burst(N)

    def run(trace):
        return gmpcore.run(prog, procs=16, seed=1, record=False, trace=trace)

    # the same run without recording, timed the same way (whole run() calls, median of 3)
    base_t, base = [], None
    for _ in range(3):
        t = time.perf_counter()
        base = run(False)
        base_t.append(time.perf_counter() - t)
    res = benchmark.pedantic(run, args=(True,), rounds=3, iterations=1, warmup_rounds=0)
    s = res.summary
    # the work: the same emulation, every event recorded, none lost
    assert s["status"] == "ok" and s["goroutines_created"] == N + 1
    assert s["events"] == base.summary["events"]
    assert s["emulated_cycles"] == base.summary["emulated_cycles"]
    k = gmpcore.export._common.KIND
    kinds = res.trace_records["kind"]
    assert res.trace_lost == 0
    assert (kinds == k["GoCreate"]).sum() == N and (kinds == k["GoStart"]).sum() >= N + 1
    events = s["events"]
    traced_eps = events / benchmark.stats.stats.median
    base_eps = events / statistics.median(base_t)
    slowdown = base_eps / traced_eps
    benchmark.extra_info.update({
        "events": events, "recorded_events": int(len(res.trace_records)),
        "events_per_s_traced": traced_eps, "events_per_s_untraced": base_eps,
        "slowdown": slowdown})
    print(f"\nrecording {len(res.trace_records):,} events: {traced_eps:,.0f} events/s vs "
          f"{base_eps:,.0f} untraced ({slowdown:.2f}x)")
    assert slowdown <= MAX_SLOWDOWN


def test_trace_recording_memory_1m(benchmark, rss):
    code = ("import gmpcore\nfrom gmpcore import workloads\n"
            "prog = workloads.burst(1_000_000, gmpcore.Exponential(2000))\n"
            "r = gmpcore.run(prog, procs=16, seed=1, record=False, trace={trace})\n"
            "out = {{'recorded': int(len(r.trace_records)), 'lost': int(r.trace_lost), "
            "'status': r.status}}\n")
    base = rss(code.format(trace=False))
    out = benchmark.pedantic(rss, args=(code.format(trace=True),), rounds=1, iterations=1)
    assert out["status"] == base["status"] == "ok"
    assert out["recorded"] > 3 * N and out["lost"] == 0
    extra = out["peak_delta_bytes"] - base["peak_delta_bytes"]
    per_event = extra / out["recorded"]
    benchmark.extra_info.update({
        "recorded_events": out["recorded"], "peak_bytes_traced": out["peak_delta_bytes"],
        "peak_bytes_untraced": base["peak_delta_bytes"], "bytes_per_recorded_event": per_event})
    print(f"\npeak memory: +{out['peak_delta_bytes'] / 2**20:,.0f} MiB with "
          f"{out['recorded']:,} events recorded (+{base['peak_delta_bytes'] / 2**20:,.1f} MiB "
          f"without): {per_event:.1f} bytes per event")
    assert per_event <= MAX_BYTES_PER_EVENT


@pytest.fixture(scope="module")
def traced_100k():
    return gmpcore.run(_burst(100_000), procs=16, seed=1, record=False, trace=True)


@pytest.mark.parametrize("fmt", ["go", "perfetto"])
def test_export_throughput(benchmark, traced_100k, tmp_path, fmt):
    res = traced_100k
    path = tmp_path / ("run.trace" if fmt == "go" else "run.json")
    write = res.write_go_trace if fmt == "go" else res.write_perfetto
    info = benchmark.pedantic(write, args=(path,), rounds=3, iterations=1, warmup_rounds=0)
    n = len(res.trace_records)
    if fmt == "go":
        k = gmpcore.export._common.KIND
        started = res.trace_records["p"][res.trace_records["kind"] == k["ProcStart"]]
        assert info["goroutines"] == 100_001 and info["procs"] == len(set(started.tolist()))
    else:
        assert info["goroutine_slices"] == int(
            (res.trace_records["kind"] == gmpcore.export._common.KIND["GoStart"]).sum())
    benchmark.extra_info.update({"recorded_events": n, "bytes": info["bytes"],
                                 "bytes_per_event": info["bytes"] / n,
                                 "events_per_s": n / benchmark.stats.stats.median})
