"""The seed article's incidents as runnable before/after scenarios.

Each scenario returns a tidy DataFrame (one row per variant) with the numbers that tell its
story; the programs are plain gmpcore Programs you can inspect or vary.

    from gmpcore import scenarios
    scenarios.shared_slice_incident()          # the "72-hour incident"
    scenarios.leaky_pipeline()                 # a consumer that stops, leaking every sender
    scenarios.context_leak()                   # goroutines that never watch their context
    scenarios.per_p_counters()                 # per-P counters with and without padding
    scenarios.gc_stw_tail()                    # GC stop-the-world: global vs per-P queues
    scenarios.adaptive_gomaxprocs()            # the article's GOMAXPROCS rule vs fixed
    scenarios.pool_false_sharing()             # sync.Pool's poolLocal with and without its pad

docs/scenarios.md shows each one's output and what it means.
"""
from __future__ import annotations

from . import units
from .config import GC, Machine
from .dist import Const, Exponential, LogNormal, as_distribution
from .program import Program
from .runner import run

__all__ = ["shared_slice_program", "shared_slice_incident", "leaky_pipeline_program",
           "leaky_pipeline", "context_leak_program", "context_leak", "per_p_counters_program",
           "per_p_counters", "gc_stw_program", "gc_stw_tail", "bursty_program",
           "adaptive_gomaxprocs", "pool_program", "pool_false_sharing"]

# cycles per microsecond at the default Machine clock (3 GHz), for the scenarios whose
# durations are still built in cycles; context_leak_program gives its durations in time units
# (us=), converted with the run's own clock (gmpcore.units)
US = units.ns_to_cycles(units.US, Machine().clock_ghz)


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


def context_leak_program(requests: int = 200, watches: bool = False, timeout_us: float = 500,
                         interarrival_us: float = 50, handle_us: float = 40,
                         tick_us: float = 100, tick_work_us: float = 2) -> Program:
    """A server whose request handlers each start a background goroutine with the request's
    context (context.WithTimeout).

    before (watches=False): the goroutine never looks at the context -- `for { time.Sleep(tick);
    work() }` -- so it outlives its request: an orphan that keeps waking up and taking CPU.
    after (watches=True): `for { select { case <-ctx.Done(): return; case <-time.After(tick):
    work() } }`: it returns at the deadline.

    Requests arrive from the network (open arrivals); main serves `requests` of them, waits
    1 ms more, and returns.  A metrics goroutine ticks every millisecond meanwhile, as servers'
    tickers do (its timer also bounds sysmon's deep sleep while every P is idle)."""
    prog = Program()
    served = prog.waitgroup("served")
    main = prog.func("main")
    main.go("metrics")
    main.wg_add(served, requests).wg_wait(served).sleep(ms=1)
    metrics = prog.func("metrics")
    with metrics.loop(1_000_000):
        metrics.sleep(ms=1).compute(us=1)
    prog.arrivals("handler", us=Exponential(interarrival_us), count=requests)
    h = prog.func("handler")
    h.with_timeout(us=timeout_us).go("background")
    h.compute(us=Exponential(handle_us)).mark("served").wg_done(served)
    bg = prog.func("background")
    with bg.loop(1_000_000):
        if watches:
            with bg.select() as sel:
                with sel.done():
                    bg.ret()
                with sel.after(us=tick_us):
                    bg.compute(us=tick_work_us)
        else:
            bg.sleep(us=tick_us).compute(us=tick_work_us)
    return prog


def context_leak(requests: int = 200, procs: int = 4, seed: int = 1, **kw):
    """Before and after: goroutines still alive when main returns (the orphans), what they are
    blocked on, when the last request was served, the p99 scheduling latency (of every
    goroutine: the orphans' own wake-ups included), and the emulated time."""
    import pandas as pd
    rows = []
    for watches in (False, True):
        res = run(context_leak_program(requests, watches, **kw), procs=procs, seed=seed,
                  record=True, sample_every_ns=100_000)
        s = res.summary
        b = res.blocked
        served = res.marks["time_ns"]
        live = res.goroutines
        rows.append({
            "variant": "after (select on ctx.Done())" if watches else "before (ctx never watched)",
            "status": s["status"],
            "orphans": int((live["function"] == "background").sum()),
            "orphans_by_reason": b[b["function"] == "background"]["wait_reason"]
            .value_counts().to_dict(),
            "last_served_ms": float(served.max()) / 1e6 if len(served) else float("nan"),
            "latency_p99_us": s["latency_p99_ns"] / 1e3,
            "emulated_ms": s["emulated_ns"] / 1e6,
            "peak_goroutines": s["max_live_goroutines"],
            "timeseries": res.timeseries[["time_ns", "live"]],
        })
    return pd.DataFrame(rows)


def per_p_counters_program(variant: str = "padded", goroutines: int = 64,
                           increments: int = 200, work=Const(300)) -> Program:
    """Goroutines that each increment a counter `increments` times between bits of work.
    variant "shared": one atomic counter; "per-P": one counter per P in an array (eight
    8-byte slots to a 64-byte line, so neighbouring Ps share lines -- false sharing);
    "padded": one counter per P, each on its own line (sync.Pool's poolLocal pad)."""
    if variant not in ("shared", "per-P", "padded"):
        raise ValueError(f"variant must be 'shared', 'per-P' or 'padded', got {variant!r}")
    prog = Program()
    wg = prog.waitgroup("wg")
    counter = (prog.var("counter") if variant == "shared" else
               prog.var("counters", per_p=True, padded=variant == "padded"))
    prog.func("main").wg_add(wg, goroutines).go("worker", times=goroutines).wg_wait(wg)
    w = prog.func("worker")
    with w.loop(increments):
        w.compute(as_distribution(work)).touch(counter, "rmw")
    w.wg_done(wg)
    return prog


def per_p_counters(procs: int = 8, goroutines: int = 64, increments: int = 200, seed: int = 1):
    """Shared vs per-P vs padded per-P counters: line transfers and cycles spent on the
    counters' lines, and the emulated time.  The counters' traffic is the cache model's "user"
    class minus that of the same program without increments (its WaitGroup's line)."""
    import pandas as pd

    def user_traffic(variant, n):
        res = run(per_p_counters_program(variant, goroutines, n), procs=procs, seed=seed,
                  record=False)
        u = res.cache.loc["user"]
        return res, (int(u["transfers_local"] + u["transfers_remote"]), int(u["invalidations"]),
                     int(u["cycles"]))

    rows = []
    for variant in ("shared", "per-P", "padded"):
        res, (tr, inv, cyc) = user_traffic(variant, increments)
        _, (tr0, inv0, cyc0) = user_traffic(variant, 0)
        s = res.summary
        rows.append({
            "variant": variant,
            "status": s["status"],
            "increments": s["touches"],
            "line_transfers": tr - tr0,
            "invalidations": inv - inv0,
            "counter_cycles": cyc - cyc0,
            "cycles_per_increment": (cyc - cyc0) / max(s["touches"], 1),
            "emulated_ms": s["emulated_ns"] / 1e6,
        })
    return pd.DataFrame(rows)


def gc_stw_program(requests: int = 40_000, procs: int = 16, load: float = 0.7,
                   service_us: float = 10, alloc_bytes: int = 1024,
                   live_mb: float = 8) -> Program:
    """A server at `load` utilisation: main holds `live_mb` MiB of live data (a cache,
    alloc(live="global")); requests arrive from the network (Poisson), compute for
    ~service_us and allocate a temporary `alloc_bytes` buffer.  The GOGC pacer starts a cycle
    each time the garbage reaches its trigger (the goal is about twice the live heap), and
    the mark phase scans the live heap."""
    prog = Program()
    interarrival = service_us * US / (procs * load)
    main = prog.func("main")
    if live_mb > 0:
        main.alloc(int(live_mb * (1 << 20)), live="global")
    main.sleep(Const(int(requests * interarrival * 1.05)))
    prog.arrivals("request", Exponential(interarrival), requests)
    r = prog.func("request")
    r.compute(Exponential(service_us * US)).alloc(alloc_bytes).mark("done")
    return prog


#: gc_stw_tail's GC models: run()'s gc= for each
GC_MODELS = {"off": False, "pauses": GC(workers=False), "workers": GC()}


def gc_stw_tail(requests: int = 40_000, procs: int = 16, live_mb: float = 8, seed: int = 1,
                strategies=("go", "global"), models=("off", "pauses", "workers")):
    """GC's effect on the scheduling-latency tail under each queue design (docs/gc.md):
    without GC ("off"), with the pacer's cycles as pauses only ("pauses": the mark phase
    lasts as long as its scan work takes 25% of the Ps, using no CPU), and with the mark
    workers, assists and forEachP barrier doing that work ("workers").  Per run: the tail
    (p99, p99.9, max), the pauses, the time to stop the world and the time stopped, and the
    mark CPU by kind."""
    import pandas as pd
    rows = []
    for strategy in strategies:
        for model in models:
            if model not in GC_MODELS:
                raise ValueError(f"gc_stw_tail: unknown model {model!r}; models: "
                                 f"{list(GC_MODELS)}")
            prog = gc_stw_program(requests, procs, live_mb=live_mb if model != "off" else 0)
            res = run(prog, procs=procs, strategy=strategy, seed=seed, record=False,
                      gc=GC_MODELS[model])
            s = res.summary
            rows.append({
                "strategy": strategy,
                "gc": model != "off",
                "model": model,
                "status": s["status"],
                "gc_cycles": s["gc_cycles"],
                "stw_pauses": s["stw_count"],
                "stop_max_us": s["stw_stop_ns_max"] / 1e3,
                "stopped_total_us": s["stw_pause_ns_total"] / 1e3,
                "mark_dedicated_ms": s["gc_mark_dedicated_ns"] / 1e6,
                "mark_fractional_ms": s["gc_mark_fractional_ns"] / 1e6,
                "mark_idle_ms": s["gc_mark_idle_ns"] / 1e6,
                "mark_assist_ms": s["gc_mark_assist_ns"] / 1e6,
                "latency_p50_us": s["latency_p50_ns"] / 1e3,
                "latency_p99_us": s["latency_p99_ns"] / 1e3,
                "latency_p999_us": s["latency_p999_ns"] / 1e3,
                "latency_max_us": s["latency_max_ns"] / 1e3,
            })
    return pd.DataFrame(rows)


# --- The adaptive GOMAXPROCS controller (seed article, section 4.4) -------------------------

def bursty_program(bursts: int = 10, burst: int = 2000, work_us: float = 50,
                   period_ms: float = 40) -> Program:
    """A bursty service: every `period_ms`, `burst` request goroutines arrive at once (main
    spawns them and sleeps), each computing ~work_us (exponential); main waits for all."""
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, bursts * burst)
    with main.loop(bursts):
        main.go("handler", times=burst)
        main.sleep(Const(int(period_ms * 1000 * US)))
    main.wg_wait(wg)
    prog.func("handler").compute(Exponential(work_us * US)).wg_done(wg)
    return prog


def adaptive_gomaxprocs(procs: int = 2, max_procs: int = 8, every_ms: float = 10,
                        gc_period_ms: float = 20, gc_markterm_ms: float = 6, seed: int = 1,
                        **program):
    """The article's rule (gmpcore.adapt.article_rule: +1 P when the last GC pause exceeded
    5 ms and more than 1000 goroutines are runnable) against a fixed GOMAXPROCS, on
    bursty_program(**program) with a GC cycle every gc_period_ms whose mark-termination pause
    lasts gc_markterm_ms, on a machine of `max_procs` cores: GOMAXPROCS fixed at `procs`,
    adaptive from `procs` up to `max_procs`, and fixed at `max_procs` for reference; then the
    adaptive run again on a machine of only `procs` cores, where the extra Ps time-share the
    cores.  One row per variant: scheduling latency, time to finish, GOMAXPROCS at the end,
    the controller's changes, and the 4.2 metrics."""
    import pandas as pd
    from .adapt import GomaxprocsPolicy, article_rule
    gcm = dict(gc_period_ns=gc_period_ms * 1e6, gc_markterm_ns=gc_markterm_ms * 1e6)
    m = Machine(procs=procs, cores=max_procs, **gcm)
    small = Machine(procs=procs, cores=procs, **gcm)
    rule = GomaxprocsPolicy(article_rule, every_ms=every_ms, max_procs=max_procs)
    rows = []
    for variant, mach, kw in (
            (f"fixed {procs}", m, dict(procs=procs)),
            (f"adaptive {procs}..{max_procs}", m, dict(procs=procs, gomaxprocs_policy=rule)),
            (f"fixed {max_procs}", m, dict(procs=max_procs)),
            (f"adaptive {procs}..{max_procs}, {procs} cores", small,
             dict(procs=procs, gomaxprocs_policy=rule))):
        res = run(bursty_program(**program), machine=mach, seed=seed, record=False, **kw)
        s = res.summary
        rows.append({
            "variant": variant,
            "cores": mach.ncores,
            "status": s["status"],
            "latency_mean_us": s["latency_mean_ns"] / 1e3,
            "latency_p99_us": s["latency_p99_ns"] / 1e3,
            "emulated_ms": s["emulated_ns"] / 1e6,
            "gomaxprocs_end": s["gomaxprocs"],
            "changes": s["gomaxprocs_policy_changes"],
            "gc_cycles": s["gc_cycles"],
            "g_wait_p_ms": s["g_wait_p_ns_total"] / 1e6,
            "m_idle_frac": s["m_idle_frac"],
            "p_unpark_us_mean": s["p_unpark_ns_mean"] / 1e3,
        })
    return pd.DataFrame(rows)


# -- sync.Pool false sharing (the sync block) ---------------------------------------------------
def pool_program(padded: bool = True, workers: int = 4, iterations: int = 2_000,
                 work=Const(600)) -> Program:
    """`workers` goroutines that each, `iterations` times, take a buffer from one sync.Pool,
    work with it for `work` cycles and put it back -- the article's per-request buffer pool.
    padded=True is Go's layout (each P's poolLocal padded to 128 bytes); padded=False packs
    two 32-byte poolLocals to a 64-byte line, so Ps 2k and 2k+1 write the same line on every
    Get (l.private = nil) and Put (l.private = x): false sharing."""
    prog = Program()
    wg = prog.waitgroup("wg")
    pool = prog.pool("buffers", padded=padded, new=1)
    prog.func("main").wg_add(wg, workers).go("worker", times=workers).wg_wait(wg)
    w = prog.func("worker")
    with w.loop(iterations):
        w.pool_get(pool).compute(as_distribution(work)).pool_put(pool, "val")
    w.wg_done(wg)
    return prog


def pool_false_sharing(procs: int = 4, iterations: int = 2_000, seed: int = 1,
                       work=Const(600)):
    """sync.Pool with and without poolLocal's 128-byte pad, one worker per P: the pool's
    Get/Put counts, where Gets were served, and the pool's cache lines -- transfers from
    another core (coherence misses), invalidations, cycles spent on them -- and emulated
    time.  Unpadded, neighbouring Ps' poolLocals share a line and every Get and Put moves it
    between their cores; padded, each P's line stays in its core."""
    import pandas as pd
    rows = []
    for padded in (False, True):
        res = run(pool_program(padded, procs, iterations, work), procs=procs, seed=seed,
                  record=False)
        s = res.summary
        p = res.pools.iloc[0]
        costs = res.config["costs"]
        ops = int(p["gets"] + p["puts"])
        remote = int(p["line_transfers_remote"])
        cycles = (int(p["line_hits"]) * costs.cache_hit
                  + (int(p["line_transfers"]) - remote) * costs.cache_local
                  + remote * costs.cache_remote + int(p["line_mem"]) * costs.cache_mem)
        rows.append({
            "variant": "padded (Go)" if padded else "unpadded",
            "status": s["status"],
            "gets": int(p["gets"]),
            "puts": int(p["puts"]),
            "private_hits": int(p["private_hits"]),
            "line_transfers": int(p["line_transfers"]),
            "invalidations": int(p["line_invalidations"]),
            "transfers_per_op": int(p["line_transfers"]) / max(ops, 1),
            "pool_line_cycles": cycles,
            "emulated_ms": s["emulated_ns"] / 1e6,
        })
    return pd.DataFrame(rows)
