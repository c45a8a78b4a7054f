"""Channel throughput: emulated events per second of a channel-heavy program, against the
pure-spawn burst, in one run.

    pytest benchmarks/test_bench_channels.py --benchmark-only

* channels: 64 channels (32 unbuffered, 32 with a 64-slot buffer), each with 4 producers
  and 4 consumers on 16 Ps; every producer sends 2,000 values, every consumer receives 2,000:
  1,024,000 channel operations, with parks, readies into runnext, hchan lock contention and
  work stealing.
* spawn: the 1M-goroutine burst on 16 Ps (`workloads.burst(1_000_000, Exponential(2000))`),
  as in test_bench_engine.py.

Target (issue: blocking operations): the channel benchmark reaches at least half the events/s
of the pure-spawn benchmark.  test_channel_vs_spawn_ratio reports the ratio (extra_info) and
checks it; it needs both benchmarks to have run first in the same session.
"""
import pytest

import gmpcore
from gmpcore import workloads

PROCS = 16
CHANNELS = 64
PER_SIDE = 4            # producers and consumers per channel
K = 2_000               # values per producer (and per consumer)
BUFFER = 64
SPAWN_N = 1_000_000
CHAN_OPS = 2 * CHANNELS * PER_SIDE * K

_events_per_s: dict = {}


def channel_program() -> gmpcore.Program:
    prog = gmpcore.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 2 * CHANNELS * PER_SIDE)
    for c in range(CHANNELS):
        ch = prog.chan(f"ch{c}", cap=0 if c % 2 == 0 else BUFFER)
        prod = prog.func(f"producer{c}")
        with prod.loop(K):
            prod.compute(gmpcore.Exponential(100))
            prod.send(ch, "iter")
        prod.wg_done(wg)
        cons = prog.func(f"consumer{c}")
        with cons.loop(K):
            cons.recv(ch)
            cons.compute(gmpcore.Exponential(100))
        cons.wg_done(wg)
    for c in range(CHANNELS):           # interleave the spawns: pairs start close together
        main.go(f"consumer{c}", times=PER_SIDE)
        main.go(f"producer{c}", times=PER_SIDE)
    main.wg_wait(wg)
    return prog


def _record(benchmark, name, res):
    s = res.summary
    events = s["events"]
    eps = events / benchmark.stats.stats.median
    _events_per_s[name] = eps
    benchmark.extra_info["events"] = events
    benchmark.extra_info["events_per_s_median"] = eps
    benchmark.extra_info["emulated_ms"] = s["emulated_ns"] / 1e6
    return eps


def test_channels_1m_ops_16p(benchmark):
    prog = channel_program()

    def once():
        return gmpcore.run(prog, procs=PROCS, seed=1, record=False)

    res = benchmark.pedantic(once, rounds=3, iterations=1, warmup_rounds=0)
    s = res.summary
    # the amount of work: a fast wrong answer cannot pass
    assert s["status"] == "ok"
    assert s["goroutines_created"] == 2 * CHANNELS * PER_SIDE + 1
    ch = res.channels
    assert len(ch) == CHANNELS
    assert (ch["sends"] == PER_SIDE * K).all() and (ch["recvs"] == PER_SIDE * K).all()
    assert int(ch["sends"].sum() + ch["recvs"].sum()) == CHAN_OPS
    unbuf = ch[ch["cap"] == 0]
    assert (unbuf["blocked_sends"] + unbuf["blocked_recvs"] > 0).all()   # real hand-offs
    assert s["parks"] > 0 and s["readies"] >= s["parks"] - 1
    assert s["steals"] > 0
    _record(benchmark, "channels", res)
    benchmark.extra_info["channel_ops"] = CHAN_OPS
    benchmark.extra_info["parks"] = s["parks"]
    benchmark.extra_info["channel_ops_per_s_median"] = CHAN_OPS / benchmark.stats.stats.median


def test_spawn_burst_1m_16p(benchmark):
    prog = workloads.burst(SPAWN_N, gmpcore.Exponential(2000))

    def once():
        return gmpcore.run(prog, procs=PROCS, seed=1, record=False)

    res = benchmark.pedantic(once, rounds=3, iterations=1, warmup_rounds=0)
    s = res.summary
    assert s["status"] == "ok"
    assert s["goroutines_created"] == SPAWN_N + 1 and s["goroutines_finished"] >= SPAWN_N
    assert s["executes"] >= SPAWN_N
    _record(benchmark, "spawn", res)


def test_channel_vs_spawn_ratio(benchmark):
    if set(_events_per_s) != {"channels", "spawn"}:
        pytest.skip("run the whole file: the ratio needs both benchmarks of this session")
    ratio = _events_per_s["channels"] / _events_per_s["spawn"]
    benchmark.pedantic(lambda: ratio, rounds=1, iterations=1)
    benchmark.extra_info["channels_events_per_s"] = _events_per_s["channels"]
    benchmark.extra_info["spawn_events_per_s"] = _events_per_s["spawn"]
    benchmark.extra_info["ratio"] = ratio
    print(f"\nchannels {_events_per_s['channels']:.3e} events/s, spawn "
          f"{_events_per_s['spawn']:.3e} events/s, ratio {ratio:.2f}")
    assert ratio >= 0.5, f"channel events/s is {ratio:.2f} of the pure-spawn figure (target 0.5)"
