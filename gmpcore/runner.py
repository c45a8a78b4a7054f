"""gmpcore.run(): validate, build the native engine, run it in chunks, collect a Result."""
from __future__ import annotations

import sys
import time

import numpy as np

from . import _engine
from .config import LAYOUTS, CostModel, Machine, get_strategy
from .guard import MemoryLimitError, check_memory
from .kernels import KERNEL_RAISED, KernelError
from .program import Program
from .result import LatencyHistogram, Result

__all__ = ["run", "ProgramError", "InternalError", "KernelError", "MemoryLimitError"]

DEFAULT_MAX_EVENTS = 2**62
CHUNK_EVENTS = 1 << 21          # ~0.1 s of native work between Ctrl-C checks
DEFAULT_TRACE_CAP = 10_000_000  # trace=True keeps at most this many events (400 MB, and
                                # as much again briefly while the run hands them over)


class ProgramError(RuntimeError):
    """The emulated Go program failed the way Go would panic (e.g. a negative WaitGroup)."""


class InternalError(RuntimeError):
    """The engine detected a broken invariant: a gmpcore bug.  Please report it."""


def _check_int(name, v, lo, hi):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if not lo <= int(v) <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {v}")
    return int(v)


def run(program: Program, procs: int | None = None, strategy="go", seed: int = 0, *,
        machine: Machine | None = None, costs: CostModel | None = None, record: bool = True,
        max_events: int | None = None, max_cycles: int | None = None,
        check_every: int = 0, schedtrace_ms: float | None = None, scheddetail: bool = False,
        sample_every_ns: float | None = None, trace=False, trace_window=None,
        memory_limit=None, progress=None) -> Result:
    """Run `program` on the emulated scheduler and return a Result.

    procs        GOMAXPROCS (overrides machine.procs)
    strategy     a preset name ("go", "global") or a Strategy
    seed         the engine RNG seed: same program, config and seed -> identical result
    record       record start_order and marks (turn off for very large runs)
    max_events   stop after this many micro-steps (status "max_events")
    max_cycles   stop at this emulated cycle (status "max_cycles")
    check_every  check the scheduler invariants every N micro-steps (tests; 0 = never)
    schedtrace_ms     sample the scheduler every N emulated ms, as GODEBUG=schedtrace=N
                      does (Result.schedtrace() prints the lines; Result.timeseries has them)
    scheddetail       with schedtrace_ms: also snapshot every P, M and G at each sample
                      (GODEBUG=scheddetail=1; small runs only)
    sample_every_ns   sample period in ns for the time series (instead of schedtrace_ms)
    trace             record scheduler events (create/start/stop/block/unblock/end, procs,
                      steals) for Go traces, Perfetto and timelines: True (up to 10M events)
                      or the maximum number of events to keep; Result.trace_lost counts the
                      rest
    trace_window      (start_ns, end_ns): record trace events only inside this window
    memory_limit      bytes the run may allocate (estimated before it starts; default 80% of
                      available memory, or $GMPCORE_MEMORY_LIMIT); False disables the guard
    progress          None/False: silent; True: a progress line on stderr for runs longer
                      than a second; a callable: called as progress(events, emulated_ns)
                      between chunks (about every 0.1 s)
    """
    if not isinstance(program, Program):
        raise TypeError(f"run() takes a gmpcore.Program, got {type(program).__name__}")
    if machine is None:
        machine = Machine()
    elif not isinstance(machine, Machine):
        raise TypeError(f"machine must be a gmpcore.Machine, got {type(machine).__name__}")
    if procs is not None:
        _check_int("procs", procs, 1, 1024)
        machine = Machine(**{**machine.__dict__, "procs": int(procs)})
    if costs is None:
        costs = CostModel()
    elif not isinstance(costs, CostModel):
        raise TypeError(f"costs must be a gmpcore.CostModel, got {type(costs).__name__}")
    strat = get_strategy(strategy)
    seed = _check_int("seed", seed, 0, 2**64 - 1)
    max_events = DEFAULT_MAX_EVENTS if max_events is None else _check_int(
        "max_events", max_events, 1, 2**62)
    max_cycles = 2**62 if max_cycles is None else _check_int("max_cycles", max_cycles, 0, 2**62)
    check_every = _check_int("check_every", check_every, 0, 2**62)
    if not isinstance(record, bool):
        raise TypeError(f"record must be a bool, got {type(record).__name__}")
    sample_every = 0
    if schedtrace_ms is not None and sample_every_ns is not None:
        raise ValueError("give schedtrace_ms or sample_every_ns, not both")
    for name, v, scale in (("schedtrace_ms", schedtrace_ms, 1e6),
                           ("sample_every_ns", sample_every_ns, 1.0)):
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 \
                    or v != v or v == float("inf"):
                raise ValueError(f"{name} must be a number > 0, got {v!r}")
            sample_every = max(1, int(round(v * scale * machine.clock_ghz)))
    if not isinstance(scheddetail, bool):
        raise TypeError(f"scheddetail must be a bool, got {type(scheddetail).__name__}")
    if scheddetail and sample_every == 0:
        raise ValueError("scheddetail needs schedtrace_ms (as GODEBUG's scheddetail=1 needs "
                         "schedtrace=N)")
    if trace is True:
        trace_cap = DEFAULT_TRACE_CAP
    elif trace is False or trace is None:
        trace_cap = 0
    else:
        trace_cap = _check_int("trace", trace, 1, 2**40)
    trace_from, trace_to = 0, 2**62
    if trace_window is not None:
        try:
            a, b = trace_window
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            raise TypeError(f"trace_window must be (start_ns, end_ns), got {trace_window!r}")
        if not 0 <= a < b:
            raise ValueError(f"trace_window must satisfy 0 <= start < end, got {trace_window!r}")
        trace_from = int(a * machine.clock_ghz)
        trace_to = int(min(b * machine.clock_ghz, 2**62))
        if trace_cap == 0:
            trace_cap = DEFAULT_TRACE_CAP

    compiled = program.compile()
    if memory_limit is not None and memory_limit is not False:
        memory_limit = _check_int("memory_limit", memory_limit, 1, 2**62)
    check_memory(compiled, max(machine.procs, compiled.max_procs), strat.ring_cap, record, trace_cap, memory_limit,
                 None if max_events == DEFAULT_MAX_EVENTS else max_events)
    if progress not in (None, False, True) and not callable(progress):
        raise TypeError(f"progress must be a bool or a callable, got {type(progress).__name__}")
    eng = _engine.Engine(
        compiled.code, compiled.func_entry, compiled.dist_kind, compiled.dist_a,
        compiled.dist_b, compiled.nwgs, compiled.main_fn, compiled.sys_fn,
        max(machine.procs, compiled.max_procs),
        strat.to_native(), costs.to_native(), seed, machine.start_schedtick,
        machine.init_goroutines, record, max_events, max_cycles, machine.max_threads,
        cache=machine.cache, cores=machine.ncores, sockets=machine.sockets,
        layout=LAYOUTS[machine.layout], arr_fn=compiled.arr_fn, arr_dist=compiled.arr_dist,
        arr_count=compiled.arr_count, sample_every=sample_every, trace_cap=trace_cap,
        trace_from=trace_from, trace_to=trace_to, chan_caps=compiled.chan_caps,
        nmutexes=compiled.nmutexes, starve_cycles=int(1e6 * machine.clock_ghz),
        nrtlocks=len(compiled.rtlock_names),
        time_slice=int(machine.time_slice_ns * machine.clock_ghz) if machine.sysmon else 0,
        sysmon_min=int(20_000 * machine.clock_ghz), sysmon_max=int(10_000_000 * machine.clock_ghz),
        gomaxprocs=machine.procs, gc_controller=compiled.uses_alloc,
        gc_period=int(machine.gc_period_ns * machine.clock_ghz),
        gc_sweepterm=int(machine.gc_sweepterm_ns * machine.clock_ghz),
        gc_markterm=int(machine.gc_markterm_ns * machine.clock_ghz),
        gc_mark=int(machine.gc_mark_ns * machine.clock_ghz),
        gc_heap_goal=machine.gc_heap_goal_bytes, stw_retry=int(100_000 * machine.clock_ghz),
        var_kinds=compiled.var_kinds, deadlines=compiled.uses_deadlines, rw_w=compiled.rw_w,
        **_kernel_addresses(strat))

    t0 = time.perf_counter()
    status = "running"
    snapshots = []
    last_report = t0
    while status in ("running", "sample"):
        status = eng.run(CHUNK_EVENTS, check_every, scheddetail)
        if progress:
            now = time.perf_counter()
            if callable(progress):
                progress(eng.events, machine.ns(eng.now))
            elif now - t0 > 1.0 and now - last_report > 0.5:
                last_report = now
                print(f"\rgmpcore: {eng.events:,} events, {machine.ns(eng.now) / 1e6:,.3f} ms "
                      f"emulated, {now - t0:,.1f} s", end="", file=sys.stderr, flush=True)
        if status == "sample":
            snapshots.append({"time": eng.now, "procs": eng.procs(), "threads": eng.threads(),
                              "goroutines": eng.goroutines(), "counters": eng.counters(),
                              "timerslen": eng.timers_len()})
    wall = time.perf_counter() - t0
    if progress is True and wall > 1.0:
        print(file=sys.stderr)

    if status == "error":
        msg, code, arg = eng.error
        if msg == "internal invariant violated":
            raise InternalError(f"gmpcore: internal invariant {arg} violated at cycle {eng.now} "
                                f"(event {eng.events})")
        if msg == "sync: negative WaitGroup counter":
            raise ProgramError(f"panic: sync: negative WaitGroup counter "
                               f"(WaitGroup #{arg}) at cycle {eng.now}")
        if msg in ("send on closed channel", "close of closed channel"):
            raise ProgramError(f"panic: {msg} (channel {compiled.chan_names[arg]!r}) at cycle "
                               f"{eng.now}")
        if msg == "sync: unlock of unlocked mutex":
            raise ProgramError(f"fatal error: {msg} ({compiled.mutex_names[arg]!r}) at cycle "
                               f"{eng.now}")
        if msg in ("sync: RUnlock of unlocked RWMutex", "sync: Unlock of unlocked RWMutex"):
            raise ProgramError(f"fatal error: {msg} ({compiled.rwmutex_names[arg]!r}) at cycle "
                               f"{eng.now}")
        if msg == "out of memory":
            raise MemoryError(f"gmpcore: out of memory at cycle {eng.now} ({arg})")
        if msg == "kernel error":
            hook = _engine.HOOK_NAMES.get(arg >> 32, "?")
            rc = arg & 0xffffffff
            rc = rc - 2**32 if rc >= 2**31 else rc
            k = strat.kernels.get(hook)
            if rc == KERNEL_RAISED:
                detail = "raised an exception (run its body, k.py_func, in Python to see it)"
            elif rc <= -1000000:
                detail = f"returned {-1000000 - rc}, which is out of range"
            else:
                detail = f"returned error code {rc}"
            raise KernelError(f"kernel {k.name if k else '?'!r} for hook {hook!r} {detail} at "
                              f"cycle {eng.now}; the run was stopped")
        if msg == "thread exhaustion":
            raise ProgramError(f"runtime: program exceeds {machine.max_threads}-thread limit")
        raise InternalError(f"gmpcore: {msg} ({arg}) at cycle {eng.now}")

    res = _collect(eng, compiled, machine, strat, costs, seed, wall, status)
    res.sched_snapshots = snapshots
    res.sample_records, res.sample_runq, res.sample_ticks = eng.samples()
    res.trace_records, res.trace_lost = eng.trace(release=True)
    res.mutex_records = eng.mutex_stats()
    res.rwmutex_records = eng.rwmutex_stats()
    res.chan_records = eng.chan_stats()
    res.rtlock_records = eng.rtlock_stats()
    res.final = {"procs": eng.procs(), "threads": eng.threads(),
                 "goroutines": _with_go_fields(eng.goroutines(live_only=True), compiled),
                 "counters": eng.counters(), "func_entry": compiled.func_entry,
                 "func_names": compiled.func_names,
                 "objects": {**{("chan send", i): n for i, n in enumerate(compiled.chan_names)},
                             **{("chan receive", i): n for i, n in enumerate(compiled.chan_names)},
                             **{("sync.Mutex.Lock", i): n for i, n in enumerate(compiled.mutex_names)},
                             **{(r, i): n for i, n in enumerate(compiled.rwmutex_names)
                                for r in ("sync.RWMutex.RLock", "sync.RWMutex.Lock")},
                             **{("sync.WaitGroup.Wait", i): n for i, n in enumerate(compiled.wg_names)}}}
    return res


def _per_p(eng) -> np.ndarray:
    import numpy.lib.recfunctions as rfn
    st = eng.pstats()
    ps = eng.procs()
    extra = np.zeros(len(ps), dtype=[("p", np.int32), ("status", np.int32),
                                     ("schedtick", np.int64), ("runqsize", np.int64),
                                     ("runnext", np.int32)])
    extra["p"] = ps["id"]
    extra["status"] = ps["status"]
    extra["schedtick"] = ps["schedtick"]
    extra["runqsize"] = (ps["runqtail"].astype(np.int64) - ps["runqhead"]) % 2**32
    extra["runnext"] = ps["runnext"]
    return rfn.merge_arrays([extra, st], flatten=True, usemask=False)


def _version() -> str:
    from . import __version__
    return __version__


def _with_go_fields(g: np.ndarray, compiled) -> np.ndarray:
    """Add Go's g.startpc (the entry of the function the G runs, from its creating `go`)
    and g.waitsince (when a waiting G parked) to the G records."""
    import numpy.lib.recfunctions as rfn
    code = compiled.code.reshape(-1, 4)
    entry = compiled.func_entry
    startpc = np.full(len(g), -1, dtype=np.int32)
    has = g["gopc"] >= 0
    startpc[has] = entry[code[g["gopc"][has], 1]]
    waitsince = np.where(g["status"] == 4, g["runnable_since"], 0).astype(np.int64)
    return rfn.append_fields(g, ["startpc", "waitsince"], [startpc, waitsince], usemask=False)


def _kernel_addresses(strat) -> dict:
    k = strat.kernels
    return {"victim_fn": k["choose_victim"].address if "choose_victim" in k else 0,
            "amount_fn": k["steal_amount"].address if "steal_amount" in k else 0,
            "ready_fn": k["place_ready"].address if "place_ready" in k else 0}


def _collect(eng, compiled, machine, strat, costs, seed, wall, status) -> Result:
    c = eng.counters()
    hist = LatencyHistogram(eng.hist(), c["lat_sum"], c["lat_max"], machine.clock_ghz)
    ns = machine.ns
    summary = {
        "gmpcore_version": _version(),
        "strategy": strat.name,
        "procs": machine.procs,
        "seed": seed,
        "status": status,
        "emulated_cycles": c["cycles"],
        "emulated_ns": ns(c["cycles"]),
        "events": c["events"],
        "wall_s": wall,
        "events_per_s": c["events"] / wall if wall > 0 else float("nan"),
        "goroutines_created": c["goroutines_created"],
        "goroutines_finished": c["goroutines_finished"],
        "goroutines_live": c["live_goroutines"],
        "max_live_goroutines": c["max_live"],
        "latency_mean_ns": hist.mean(),
        "latency_p50_ns": hist.percentile(50),
        "latency_p99_ns": hist.percentile(99),
        "latency_p999_ns": hist.percentile(99.9),
        "latency_max_ns": hist.max(),
    }
    cache = eng.cache_stats()
    acc = int(cache["accesses"].sum())
    misses = int((cache["transfers_local"] + cache["transfers_remote"] + cache["mem"]).sum())
    summary.update({
        "cache_accesses": acc,
        "cache_misses": misses,
        "cache_miss_rate": misses / acc if acc else 0.0,
        "transfers_local": int(cache["transfers_local"].sum()),
        "transfers_remote": int(cache["transfers_remote"].sum()),
        "mem_misses": int(cache["mem"].sum()),
        "invalidations": int(cache["invalidations"].sum()),
        "cache_cycles": int(cache["cycles"].sum()),
        "ncores": machine.ncores,
    })
    for k in ("schedules", "executes", "executes_inherit", "steals", "stolen_gs",
              "steal_attempts", "steal_cas_fail", "runnext_steals", "runqget_cas_fail",
              "runnext_puts", "runnext_kicks", "globrunq_puts", "globrunq_gets",
              "globrunq_batches", "fairness_gets", "runqputslow", "wakep_calls", "wakep_started",
              "startm", "stopm", "newm", "threads", "become_spinning", "spinning_cycles",
              "idle_cycles", "parks", "readies", "gfree_reuse", "g_records",
              "lock_acquisitions", "lock_contended", "lock_wait_cycles", "lock_hold_cycles",
              "cas_attempts", "cas_failures", "arrivals", "preemptions", "sysmon_ticks",
              "syscalls", "syscall_fast", "syscall_reacquire", "syscall_nop", "syscall_retakes",
              "handoff_startm", "netpoll_waits", "netpoll_ready", "netpoll_polls", "stw_count",
              "gc_cycles", "touches", "gomaxprocs"):
        summary[k] = c[k]
    # stop-the-world: how long stopping took (time to safe point) and how long it stayed
    # stopped, in ns
    summary["stw_stop_ns_total"] = machine.ns(c["stw_stop_cycles"])
    summary["stw_stop_ns_max"] = machine.ns(c["stw_stop_max"])
    summary["stw_pause_ns_total"] = machine.ns(c["stw_pause_cycles"])
    summary["stw_pause_ns_max"] = machine.ns(c["stw_pause_max"])
    return Result(
        summary=summary,
        latency=hist,
        start_order=eng.start_order(),
        mark_records=eng.marks(),
        mark_labels=list(compiled.labels),
        per_p_records=_per_p(eng),
        steal_records=eng.steals(),
        cache_records=cache,
        core_records=np.stack(eng.core_stats()),
        config={"machine": machine, "strategy": strat, "costs": costs, "seed": seed,
                "clock_ghz": machine.clock_ghz, "gmpcore_version": _version(),
                "chan_names": compiled.chan_names, "mutex_names": compiled.mutex_names,
                "rtlock_names": compiled.rtlock_names,
                "rwmutex_names": compiled.rwmutex_names},
    )
