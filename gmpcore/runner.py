"""gmpcore.run(): validate, build the native engine, run it in chunks, collect a Result."""
from __future__ import annotations

import sys
import time

import numpy as np

from . import _engine
from .config import GC, CostModel, Machine, get_strategy
from .guard import MemoryLimitError, RecordingBudget, check_memory, check_progress
from .kernels import KERNEL_RAISED, KernelError
from .program import Program
from .result import Result, program_names

__all__ = ["run", "make_engine", "native_config", "ProgramError", "InternalError", "KernelError",
           "MemoryLimitError", "ERRORS"]

DEFAULT_MAX_EVENTS = 2**62
CHUNK_EVENTS = 1 << 21          # ~0.1 s of native work between Ctrl-C checks
DEFAULT_TRACE_CAP = 10_000_000  # trace=True keeps at most this many events (400 MB, and
                                # as much again briefly while the run hands them over)


class ProgramError(RuntimeError):
    """The emulated Go program failed the way Go would panic (e.g. a negative WaitGroup)."""


class InternalError(RuntimeError):
    """The engine detected a broken invariant: a gmpcore bug.  Please report it."""


class LivelockError(InternalError):
    """The engine's livelock guard (pyx/sched/guard.pxi) stopped a run whose emulated time
    stayed at one cycle while no goroutine made progress: a gmpcore bug.  The message names
    the state of every M.  Please report it with the program."""


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
        memory_limit=None, progress=None, gomaxprocs_policy=None, gc=None) -> Result:
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
    gomaxprocs_policy an adaptive GOMAXPROCS controller (gmpcore.GomaxprocsPolicy): its
                      kernel runs every `every_ms` of emulated time and may change
                      GOMAXPROCS (docs/adapt.md)
    gc                the garbage collector of a program that allocates: None (GC(), the
                      GOGC pacer with mark workers and assists, unless the Machine sets the
                      fixed gc_heap_goal_bytes / gc_period_ns pauses), a gmpcore.GC, True
                      (GC()) or False (the pauses-only model: Machine's gc_* fields)
    """
    prep = _prepare(program, procs, strategy, seed, machine=machine, costs=costs,
                    record=record, max_events=max_events, max_cycles=max_cycles,
                    schedtrace_ms=schedtrace_ms, sample_every_ns=sample_every_ns, trace=trace,
                    trace_window=trace_window, memory_limit=memory_limit,
                    scheddetail=scheddetail is True, gomaxprocs_policy=gomaxprocs_policy,
                    gc=gc)
    check_every = _check_int("check_every", check_every, 0, 2**62)
    if not isinstance(scheddetail, bool):
        raise TypeError(f"scheddetail must be a bool, got {type(scheddetail).__name__}")
    if scheddetail and int(prep.config["sample_every"]) == 0:
        raise ValueError("scheddetail needs schedtrace_ms (as GODEBUG's scheddetail=1 needs "
                         "schedtrace=N)")
    if progress not in (None, False, True) and not callable(progress):
        raise TypeError(f"progress must be a bool or a callable, got {type(progress).__name__}")
    machine = prep.machine
    eng = prep.engine()

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
            prep.budget.charge_snapshot(snapshots[-1])
    wall = time.perf_counter() - t0
    if progress is True and wall > 1.0:
        print(file=sys.stderr)

    if status == "error":
        raise engine_error(eng, prep)
    return Result.from_engine(eng, prep.compiled, machine=machine, strategy=prep.strategy,
                              costs=prep.costs, seed=prep.seed, wall=wall, status=status,
                              snapshots=snapshots, gc=prep.gc, gc_model=prep.gc_model)


class _Prepared:
    """A validated run: the compiled program, the configuration objects and the engine's
    RunConfig record (everything in cycles)."""

    def __init__(self, compiled, machine, strategy, costs, seed, config, budget=None,
                 policy=None, gc=None):
        self.compiled, self.machine, self.strategy = compiled, machine, strategy
        self.costs, self.seed, self.config = costs, seed, config
        self.gc = gc                     # the GC config the pacer runs with (None: no pacer)
        fixed = machine.gc_heap_goal_bytes > 0 or machine.gc_period_ns > 0
        #: Result.summary["gc_model"]: "pacer", "pauses" (Machine's fixed pauses) or "off"
        self.gc_model = ("pacer" if gc is not None else
                         "pauses" if fixed or compiled.uses_alloc else "off")
        self.budget = budget if budget is not None else RecordingBudget(None)
        self.kernels = dict(strategy.kernels)
        if policy is not None:
            self.kernels["gomaxprocs"] = policy.kernel

    def engine(self) -> "_engine.Engine":
        eng = _engine.Engine(self.compiled, self.config, self.kernels)
        self.budget.attach(eng)          # the recording buffers' share of memory_limit
        return eng


def _fill(rec, values: dict, what: str, nested=()):
    """Set every field of the structured record `rec` from `values` (exactly its fields, but
    the nested structs named in `nested`)."""
    names = set(rec.dtype.names) - set(nested)
    if set(values) != names:
        raise AssertionError(f"{what}: fields {sorted(names ^ set(values))} differ from the "
                             f"engine's struct")
    for k, v in values.items():
        rec[k] = v


def native_config(machine: Machine, costs: CostModel, strategy, *, nprocs: int, seed: int,
                  record: bool, max_events: int, max_cycles: int, sample_every: int = 0,
                  trace_cap: int = 0, trace_from: int = 0, trace_to: int = 2**62,
                  adapt_every: int = 0, gc: GC | None = None) -> np.ndarray:
    """The engine's RunConfig (one record of _engine.CONFIG_DTYPE) for a run; times in cycles.
    `gc`: the GC pacer's settings (None: the pauses-only model)."""
    cfg = np.zeros((), dtype=_engine.CONFIG_DTYPE)
    _fill(cfg, {**machine.to_native(), **(gc or GC()).to_native(machine, gc is not None),
                "seed": seed, "max_events": max_events,
                "max_cycles": max_cycles, "nprocs": nprocs, "gomaxprocs": machine.procs,
                "record": int(record), "sample_every": sample_every, "trace_cap": trace_cap,
                "trace_from": trace_from, "trace_to": trace_to, "adapt_every": adapt_every,
                "clock_ghz": machine.clock_ghz}, "RunConfig", ("cost", "strat"))
    _fill(cfg["cost"], costs.to_native(), "Costs")
    _fill(cfg["strat"], strategy.to_native(), "Strategy")
    return cfg


def _prepare(program, procs=None, strategy="go", seed=0, *, machine=None, costs=None,
             record=True, max_events=None, max_cycles=None, schedtrace_ms=None,
             sample_every_ns=None, trace=False, trace_window=None, memory_limit=None,
             scheddetail=False, gomaxprocs_policy=None, gc=None):
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
            sample_every = max(1, machine.cycles(v * scale))
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
        trace_from = machine.cycles(a)
        trace_to = machine.cycles(min(b, 2**62 / machine.clock_ghz))
        if trace_cap == 0:
            trace_cap = DEFAULT_TRACE_CAP

    if gomaxprocs_policy is not None:
        from .adapt import GomaxprocsPolicy
        if not isinstance(gomaxprocs_policy, GomaxprocsPolicy):
            raise TypeError(f"gomaxprocs_policy must be a gmpcore.GomaxprocsPolicy, got "
                            f"{type(gomaxprocs_policy).__name__}")
    compiled = program.compile(machine=machine)
    gc = _resolve_gc(gc, machine, compiled)
    nprocs = max(machine.procs, compiled.max_procs)
    adapt_every = 0
    if gomaxprocs_policy is not None:
        # the Ps the controller may use are allocated up front (allp's capacity)
        nprocs = max(nprocs, gomaxprocs_policy.max_procs)
        adapt_every = gomaxprocs_policy.every_cycles(machine)
    if memory_limit is not None and memory_limit is not False:
        memory_limit = _check_int("memory_limit", memory_limit, 1, 2**62)
    budget = check_memory(compiled, nprocs, strat.ring_cap, record, trace_cap, memory_limit,
                          None if max_events == DEFAULT_MAX_EVENTS else max_events,
                          sample_every=sample_every, scheddetail=scheddetail,
                          max_cycles=None if max_cycles == 2**62 else max_cycles)
    check_progress(machine, costs)
    config = native_config(machine, costs, strat, nprocs=nprocs, seed=seed, record=record,
                           max_events=max_events, max_cycles=max_cycles,
                           sample_every=sample_every, trace_cap=trace_cap,
                           trace_from=trace_from, trace_to=trace_to, adapt_every=adapt_every,
                           gc=gc)
    return _Prepared(compiled, machine, strat, costs, seed, config, budget, gomaxprocs_policy,
                     gc=gc)


def _resolve_gc(gc, machine: Machine, compiled) -> GC | None:
    """The GC the pacer runs with, or None for the pauses-only model (docs/gc.md): the pacer
    only for a program that allocates, and by default only if the Machine sets no fixed
    heap goal or period."""
    fixed = machine.gc_heap_goal_bytes > 0 or machine.gc_period_ns > 0
    if gc is None:
        gc = None if fixed else GC()
    elif gc is True:
        gc = GC()
    elif gc is False:
        return None
    elif not isinstance(gc, GC):
        raise TypeError(f"gc must be a gmpcore.GC, True, False or None, got {type(gc).__name__}")
    if gc is not None and fixed:
        raise ValueError("gc=GC(...) paces GC cycles itself: leave Machine.gc_heap_goal_bytes "
                         "and Machine.gc_period_ns at 0 (they drive the pauses-only model)")
    return gc if gc is not None and compiled.uses_alloc else None


def make_engine(program: Program, procs: int | None = None, strategy="go", seed: int = 0,
                **kw) -> "_engine.Engine":
    """The native engine of a run, built but not run (run()'s arguments, without the ones
    about running it): for tests and benchmarks that drive it directly."""
    return _prepare(program, procs, strategy, seed, **kw).engine()


def _kernel_error(eng, prep, arg):
    hook = _engine.HOOK_NAMES.get(arg >> 32, "?")
    rc = arg & 0xffffffff
    rc = rc - 2**32 if rc >= 2**31 else rc
    k = prep.kernels.get(hook)
    if rc == KERNEL_RAISED:
        detail = "raised an exception (run its body, k.py_func, in Python to see it)"
    elif rc <= -1000000:
        detail = f"returned {-1000000 - rc}, which is out of range"
    else:
        detail = f"returned error code {rc}"

    return {"kernel": k.name if k else "?", "hook": hook, "detail": detail}


E = _engine.ERROR_CODES
#: error code -> (exception class, message template, the program's names `arg` indexes).
#: Templates see: now (cycle), events, arg, name (of object `arg`), max_threads, and for
#: kernels: kernel, hook, detail.
ERRORS = {
    E["ERR_WG_NEGATIVE"]: (ProgramError, "panic: sync: negative WaitGroup counter "
                           "(WaitGroup {name!r}) at cycle {now}", "waitgroups"),
    E["ERR_SEND_CLOSED"]: (ProgramError, "panic: send on closed channel (channel {name!r}) at "
                           "cycle {now}", "channels"),
    E["ERR_CLOSE_CLOSED"]: (ProgramError, "panic: close of closed channel (channel {name!r}) "
                            "at cycle {now}", "channels"),
    E["ERR_UNLOCK_UNLOCKED"]: (ProgramError, "fatal error: sync: unlock of unlocked mutex "
                               "({name!r}) at cycle {now}", "mutexes"),
    E["ERR_RUNLOCK_UNLOCKED"]: (ProgramError, "fatal error: sync: RUnlock of unlocked RWMutex "
                                "({name!r}) at cycle {now}", "rwmutexes"),
    E["ERR_WUNLOCK_UNLOCKED"]: (ProgramError, "fatal error: sync: Unlock of unlocked RWMutex "
                                "({name!r}) at cycle {now}", "rwmutexes"),
    E["ERR_TOO_MANY_M"]: (ProgramError, "runtime: program exceeds {max_threads}-thread limit",
                          None),
    E["ERR_NOMEM"]: (MemoryError, "gmpcore: out of memory at cycle {now} ({arg})", None),
    E["ERR_KERNEL"]: (KernelError, "kernel {kernel!r} for hook {hook!r} {detail} at cycle "
                      "{now}; the run was stopped", None),
    E["ERR_INVARIANT"]: (InternalError, "gmpcore: internal invariant {arg} violated at cycle "
                         "{now} (event {events})", None),
    E["ERR_BAD_PC"]: (InternalError, "gmpcore: bad program counter ({arg}) at cycle {now}",
                      None),
    E["ERR_OVERFLOW"]: (OverflowError, "gmpcore: the run's {total} total passed 2**63 cycles at "
                        "cycle {now}; the run was stopped (shorten it with max_cycles, or use "
                        "smaller costs / durations)", None),
    # the DSL's values (sched/expr.pxi): arg is the pc of the instruction, or the bad value
    E["ERR_DIVIDE"]: (ProgramError, "panic: runtime error: integer divide by zero (instruction "
                      "{arg}: {instr}) at cycle {now}", None),
    E["ERR_SHIFT"]: (ProgramError, "panic: runtime error: negative shift amount (instruction "
                     "{arg}: {instr}) at cycle {now}", None),
    E["ERR_CLOSE_NIL"]: (ProgramError, "panic: close of nil channel (instruction {arg}: "
                         "{instr}) at cycle {now}", None),
    E["ERR_BAD_CHAN"]: (ProgramError, "gmpcore: the channel value {arg} names no channel at "
                        "cycle {now}", None),
    # (ERR_MEMLIMIT: MemoryLimitError, its message from the run's RecordingBudget.error)
    E["ERR_LIVELOCK"]: (LivelockError, "gmpcore: livelock: emulated time stayed at cycle {now} "
                        "for the last {arg:,} events (of {events:,}) and no goroutine made "
                        "progress (no instruction ran; none was created, started, parked, "
                        "readied, preempted or finished); the Ms: {mstates}.  This is an "
                        "engine bug: please report it with the program", None),
    E["ERR_MEMLIMIT"]: (MemoryLimitError, "{memlimit}", None),
}
del E


def _instruction(compiled, pc) -> str:
    """'<OP> in function <name>' for the instruction at pc (error messages)."""
    from .program import OP
    names = {v: k for k, v in OP.items()}
    entries = list(compiled.func_entry)
    if not 0 <= pc < len(compiled.code) // _engine.INSTR:
        return "?"
    fn = max((i for i, e in enumerate(entries) if e <= pc), key=lambda i: entries[i],
             default=None)
    op = names.get(int(compiled.code[pc * _engine.INSTR]), "?")
    return f"{op} in function {compiled.func_names[fn]!r}" if fn is not None else op


_MS_NAMES = {v: k for k, v in _engine.ENUMS.items() if k.startswith("MS_")}


def m_states(eng) -> str:
    """'M0 MS_RUN P0 goroutine 3 spinning, M1 MS_PARKED, ...': where every M is (livelock
    messages)."""
    out = []
    gs = eng.goroutines()
    for m in eng.threads():
        s = f"M{m['id']} {_MS_NAMES.get(int(m['state']), m['state'])}"
        if m["p"] >= 0:
            s += f" P{m['p']}"
        if 0 <= m["curg"] < len(gs):
            s += f" goroutine {gs[m['curg']]['goid']}"
        if m["spinning"]:
            s += " spinning"
        if m["lock_id"] > 0:
            s += f" lock#{m['lock_id']}"
        out.append(s)
    return ", ".join(out)


def engine_error(eng, prep) -> Exception:
    """The exception for a run that ended with status 'error' (ERRORS by the engine's code)."""
    code, arg = eng.error
    cls, template, names = ERRORS.get(
        code, (InternalError, f"gmpcore: engine error {code} ({{arg}}) at cycle {{now}}", None))
    ctx = {"now": eng.now, "events": eng.events, "arg": arg,
           "max_threads": prep.machine.max_threads}
    if names is not None:
        objs = getattr(program_names(prep.compiled), names)
        ctx["name"] = objs[arg] if 0 <= arg < len(objs) else f"#{arg}"
    if code == _engine.ERR_KERNEL:
        ctx.update(_kernel_error(eng, prep, arg))
    if code in (_engine.ERR_DIVIDE, _engine.ERR_SHIFT, _engine.ERR_CLOSE_NIL):
        ctx["instr"] = _instruction(prep.compiled, arg)
    if code == _engine.ERR_OVERFLOW:
        ctx["total"] = _engine.OVERFLOW_NAMES.get(arg, "?")
    if code == _engine.ERR_LIVELOCK:
        ctx["mstates"] = m_states(eng)
    if code == _engine.ERR_MEMLIMIT:
        ctx["memlimit"] = str(prep.budget.error(_engine.RECORDING_BUFFERS.get(arg, "?")))
    return cls(template.format(**ctx))
