"""Runtime-heavy throughput: emulated events per second of a server-like program that uses
the netpoller, select with timeouts, system calls, an RWMutex and GC pauses, against the
pure-spawn burst, in one run.

    pytest benchmarks/test_bench_blocking.py --benchmark-only

* server: 16 Ps; 4,000 connection goroutines, each serving 25 requests: wait for the socket
  (net_wait, ~30 us), read shared state under an RWMutex (a writer updates it now and then),
  compute, a short system call (a write, ~2 us), allocate (GC cycles on a 64 MB heap goal,
  two stop-the-world pauses each), and hand the result to one of 16 loggers through a select
  with a 50 us timeout.  100,000 requests in all.
* spawn: the 1M-goroutine burst on 16 Ps, as in test_bench_engine.py.

No target is set by an issue; the ratio is reported (extra_info) so a regression in the
blocking paths shows up next to the core loop's figure.
"""
import pytest

import gmpcore
from gmpcore import Const, Exponential, workloads

PROCS = 16
CONNS = 4_000
REQUESTS = 25
LOGGERS = 16
SPAWN_N = 1_000_000
US = 3_000

_events_per_s: dict = {}


def server_program() -> gmpcore.Program:
    prog = gmpcore.Program()
    wg = prog.waitgroup("conns")
    state = prog.rwmutex("config")
    logs = prog.chan("log", cap=64)
    main = prog.func("main")
    main.wg_add(wg, CONNS).go("logger", times=LOGGERS).go("admin").go("conn", times=CONNS)
    main.wg_wait(wg)
    c = prog.func("conn")
    with c.loop(REQUESTS):
        c.net_wait(Exponential(30 * US))                 # conn.Read
        c.rlock(state).compute(Const(200)).runlock(state)
        c.compute(Exponential(5 * US))
        c.syscall(Exponential(2 * US))                   # conn.Write
        c.alloc(2_048)
        with c.select() as sel:
            with sel.send(logs, "iter"):
                pass
            with sel.after(Const(50 * US)):
                c.mark("log dropped")
    c.wg_done(wg)
    lg = prog.func("logger")
    with lg.range(logs):
        lg.compute(Exponential(1 * US))
    a = prog.func("admin")
    with a.loop(50):
        a.sleep(Const(100 * US)).lock(state).compute(Const(2 * US)).unlock(state)
    return prog


def _record(benchmark, name, res):
    s = res.summary
    eps = s["events"] / benchmark.stats.stats.median
    _events_per_s[name] = eps
    benchmark.extra_info["events"] = s["events"]
    benchmark.extra_info["events_per_s_median"] = eps
    benchmark.extra_info["emulated_ms"] = s["emulated_ns"] / 1e6
    return eps


def test_server_100k_requests_16p(benchmark):
    prog = server_program()
    machine = gmpcore.Machine(procs=PROCS, gc_heap_goal_bytes=64 << 20)
    res = benchmark.pedantic(lambda: gmpcore.run(prog, machine=machine, seed=1, record=False),
                             rounds=3, iterations=1)
    s = res.summary
    assert s["status"] == "ok"                 # main returns (the loggers still wait on the log)
    assert s["netpoll_waits"] == CONNS * REQUESTS and s["syscalls"] == CONNS * REQUESTS
    assert s["gc_cycles"] > 0 and s["stw_count"] >= 2 * s["gc_cycles"]
    _record(benchmark, "server", res)
    benchmark.extra_info["requests"] = CONNS * REQUESTS
    benchmark.extra_info["syscall_retakes"] = s["syscall_retakes"]
    benchmark.extra_info["threads"] = s["threads"]
    benchmark.extra_info["gc_cycles"] = s["gc_cycles"]


def test_spawn_burst_1m_16p_for_blocking(benchmark):
    prog = workloads.burst(SPAWN_N, Exponential(2000))
    res = benchmark.pedantic(lambda: gmpcore.run(prog, procs=PROCS, seed=1, record=False),
                             rounds=3, iterations=1)
    assert res.summary["status"] == "ok"
    _record(benchmark, "spawn", res)


def test_blocking_vs_spawn_ratio(benchmark):
    if set(_events_per_s) != {"server", "spawn"}:
        pytest.skip("run the whole file: the ratio needs both benchmarks of this session")
    ratio = _events_per_s["server"] / _events_per_s["spawn"]
    benchmark.pedantic(lambda: ratio, rounds=1, iterations=1)
    benchmark.extra_info["server_events_per_s"] = _events_per_s["server"]
    benchmark.extra_info["spawn_events_per_s"] = _events_per_s["spawn"]
    benchmark.extra_info["ratio"] = ratio
    print(f"\nserver {_events_per_s['server']:.3e} events/s, spawn "
          f"{_events_per_s['spawn']:.3e} events/s, ratio {ratio:.2f}")
