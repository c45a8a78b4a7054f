"""gmpcore.replay: parsing a Go execution trace (events/s) and building its replay.

The trace is gmpcore's own (a 64-worker channel pipeline with system calls, ~200k events),
so the benchmark needs no Go toolchain; real Go traces parse at the same rate per event
(docs/replay.md).  test_parse_trace is the native path (pyx/replay/_tracecore.pyx),
test_parse_trace_reference the pure-Python reference of the same ordering."""
import pytest

import gmpcore
import gmpcore.replay as rp


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    prog = gmpcore.Program()
    ch = prog.chan("jobs", cap=8)
    main = prog.func("main")
    main.go("worker", times=64)
    with main.loop(20_000):
        main.compute(500).send(ch, 1)
    w = prog.func("worker")
    with w.range(ch):
        w.compute(gmpcore.Exponential(4_000)).syscall(1_000)
    res = gmpcore.run(prog, procs=8, trace=True, seed=1)
    path = tmp_path_factory.mktemp("replay") / "bench.trace"
    res.write_go_trace(path)
    return path


def test_parse_trace(benchmark, trace_file):
    tr = benchmark.pedantic(rp.load, args=(trace_file,), rounds=3, iterations=1)
    benchmark.extra_info["events"] = len(tr.events)
    benchmark.extra_info["events_per_s"] = len(tr.events) / benchmark.stats.stats.median


def test_parse_trace_reference(benchmark, trace_file):
    import gmpcore.replay.format as F
    F._PURE_PYTHON[0] = True
    try:
        tr = benchmark.pedantic(rp.load, args=(trace_file,), rounds=1, iterations=1)
    finally:
        F._PURE_PYTHON[0] = False
    benchmark.extra_info["events"] = len(tr.events)
    benchmark.extra_info["events_per_s"] = len(tr.events) / benchmark.stats.stats.median


def test_build_graph_and_replay(benchmark, trace_file):
    tr = rp.load(trace_file)

    def build():
        tr.extra.pop("graph", None)
        return tr.replay()
    out = benchmark.pedantic(build, rounds=3, iterations=1)
    benchmark.extra_info["segments"] = out.graph.summary()["segments"]
