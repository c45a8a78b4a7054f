"""The seed article's incidents as runnable before/after scenarios.

Each scenario returns a tidy DataFrame (one row per variant) with the numbers that tell its
story; the programs are plain gmpcore Programs you can inspect or vary.

    from gmpcore import scenarios
    scenarios.shared_slice_incident()          # the "72-hour incident"
    scenarios.leaky_pipeline()                 # a consumer that stops, leaking every sender

Available so far: the two above.  The context-without-timeout, padded per-P counters and
GC stop-the-world scenarios need select with a timeout, user variables and STW, which the
engine does not model yet.
"""
from __future__ import annotations

from .config import Machine
from .dist import Exponential, LogNormal, as_distribution
from .program import Program
from .runner import run

__all__ = ["shared_slice_program", "shared_slice_incident", "leaky_pipeline_program",
           "leaky_pipeline"]


def shared_slice_program(goroutines: int, fixed: bool, work=Exponential(20_000),
                         append_cost=LogNormal(3_000, 1.5)) -> Program:
    """The 72-hour incident (seed article, chapter 1).

    before (fixed=False): a fan-out where every goroutine computes and then appends to one
    shared slice; growing the slice takes the heap lock, a *runtime* lock (mheap.lock), held
    for the append, whose cost is heavy-tailed (most appends are cheap, growslice copies are
    not).  Ms waiting for a runtime lock keep their P, so the whole scheduler stalls behind it.
    after (fixed=True): each goroutine sends its result on a channel and one collector
    goroutine appends, with no lock.
    """
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    if fixed:
        results = prog.chan("results")
        main.wg_add(wg, 1).go("collector").go("worker", times=goroutines).wg_wait(wg)
        prog.func("worker").compute(as_distribution(work)).send(results, "spawn")
        col = prog.func("collector")
        with col.loop(goroutines):
            col.recv(results).compute(as_distribution(append_cost))
        col.wg_done(wg)
    else:
        heap = prog.runtime_lock("mheap.lock")
        main.wg_add(wg, goroutines).go("worker", times=goroutines).wg_wait(wg)
        w = prog.func("worker")
        w.compute(as_distribution(work))
        w.hold(heap, as_distribution(append_cost))
        w.wg_done(wg)
    return prog


def shared_slice_incident(goroutines: int = 20_000, procs: int = 16, seed: int = 1,
                          machine: Machine | None = None):
    """Before and after the fix: emulated time, goroutines alive at the peak, p99 scheduling
    latency, and the share of all P-time spent by Ms waiting for the heap lock."""
    import pandas as pd
    rows = []
    for fixed in (False, True):
        res = run(shared_slice_program(goroutines, fixed), procs=procs, seed=seed,
                  machine=machine, record=False, sample_every_ns=20_000)
        s = res.summary
        rl = res.runtime_locks
        wait_ns = float(rl["wait_ns"].sum()) if len(rl) else 0.0
        rows.append({
            "variant": "after (channel + collector)" if fixed else "before (locked append)",
            "status": s["status"],
            "emulated_ms": s["emulated_ns"] / 1e6,
            "peak_goroutines": s["max_live_goroutines"],
            "latency_p99_ns": s["latency_p99_ns"],
            "lock_wait_share": wait_ns / (procs * s["emulated_ns"]) if s["emulated_ns"] else 0,
            "parks": s["parks"],
            "timeseries": res.timeseries[["time_ns", "live"]],
        })
    return pd.DataFrame(rows)


def leaky_pipeline_program(items: int = 100, consumer_takes: int = 10) -> Program:
    """producer -> stage -> consumer over unbuffered channels; the consumer stops after
    `consumer_takes` items and main returns, leaving every upstream sender blocked."""
    prog = Program()
    src = prog.chan("src")
    out = prog.chan("out")
    done = prog.waitgroup("consumer")
    main = prog.func("main")
    main.wg_add(done, 1).go("producer").go("stage").go("consumer").wg_wait(done)
    main.sleep(3_000_000)               # the server keeps running for 1 ms: the leak settles
    p = prog.func("producer")
    with p.loop(items):
        p.compute(200).send(src, "iter")
    p.close(src)
    st = prog.func("stage")
    with st.range(src):
        st.compute(300).send(out, "val")
    st.close(out)
    c = prog.func("consumer")
    with c.loop(consumer_takes):
        c.recv(out).mark("consumed")
    c.wg_done(done)
    return prog


def leaky_pipeline(items: int = 100, consumer_takes: int = 10, procs: int = 4, seed: int = 1):
    """Run the pipeline: the leak report names the goroutines left blocked."""
    res = run(leaky_pipeline_program(items, consumer_takes), procs=procs, seed=seed)
    return res
