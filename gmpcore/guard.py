"""Memory guard: estimate what a run will allocate before any native code runs, and refuse
runs that would not fit (a notebook kernel killed by the OOM killer loses everything)."""
from __future__ import annotations

import os

from . import _engine
from .program import OP, INSTR, CompiledProgram

__all__ = ["estimate_run_memory", "available_memory", "MemoryLimitError"]

UNBOUNDED = float("inf")


def _mul(x: float, y: float) -> float:
    return 0.0 if x == 0 or y == 0 else x * y


class MemoryLimitError(MemoryError):
    """The run's estimated memory exceeds the limit."""


def available_memory() -> int:
    """MemAvailable from /proc/meminfo (bytes), or 8 GiB where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def _spawn_bound(c: CompiledProgram) -> tuple[float, float]:
    """Upper bounds on (goroutines created, marks executed) by the program, from its loops:
    each function's count times the product of enclosing loop counts; recursion (a function
    that can reach itself) is unbounded."""
    code = c.code.reshape(-1, INSTR)
    entries = list(c.func_entry) + [len(code)]
    memo: dict[int, tuple[float, float]] = {}
    visiting: set[int] = set()

    def body(f):
        if f in memo:
            return memo[f]
        if f in visiting:
            return UNBOUNDED, UNBOUNDED
        visiting.add(f)
        spawns = marks = 0.0
        mult = [1.0]
        range_ends = []
        for pc in range(entries[f], entries[f + 1]):
            while range_ends and pc == range_ends[-1]:
                range_ends.pop()
                mult.pop()
            op, a, b = int(code[pc, 0]), int(code[pc, 1]), int(code[pc, 2])
            if op == OP["LOOP"]:
                mult.append(_mul(mult[-1], max(a, 0)))
            elif op == OP["ENDLOOP"]:
                mult.pop()
            elif op in (OP["CHAN_RECV"], OP["CRECV"]) and b >= 0:
                # `for range ch` runs once per value sent: not bounded by this analysis.
                # Goroutines spawned inside are unbounded; marks inside are not counted (the
                # marks buffer grows on demand, and a failed allocation raises MemoryError)
                mult.append(UNBOUNDED)
                range_ends.append(b)
            elif op in (OP["GO"], OP["GOX"]):
                cs, cm = body(a)
                spawns += _mul(mult[-1], 1 + cs)
                marks += _mul(mult[-1], cm)
            elif op in (OP["MARK"], OP["MARKX"]) and mult[-1] != UNBOUNDED:
                marks += mult[-1]
        visiting.discard(f)
        memo[f] = (spawns, marks)
        return memo[f]

    s, m = body(c.main_fn)
    if c.arr_fn >= 0:
        a_s, a_m = body(c.arr_fn)
        s += _mul(c.arr_count, 1 + a_s)
        m += _mul(c.arr_count, a_m)
    return s + 1, m


def _side_table_bytes(c: CompiledProgram) -> int:
    """Bytes per G slot of the side tables the engine may allocate for this program (gs.pxi):
    G.val for channel operations, G.wait_start for mutexes, selects and preempted computes,
    the counters of loops nested deeper than the G record holds, context deadlines, and the
    GSync table of sync.Cond tickets and LockOSThread links (pyx/sched/lockos.pxi)."""
    code = c.code.reshape(-1, INSTR)
    ops = set(int(o) for o in code[:, 0]) if len(code) else set()
    per_g = 0
    if ops & {OP["CHAN_SEND"], OP["CHAN_RECV"], OP["CHAN_CLOSE"], OP["SELECT"],
              OP["POOL_GET"], OP["POOL_PUT"]}:
        per_g += 8
    if ops & {OP["LOCK"], OP["SELECT"], OP["COMPUTE"]}:
        per_g += 8
    depth = deepest = 0
    for op in code[:, 0]:
        if op == OP["LOOP"]:
            depth += 1
            deepest = max(deepest, depth)
        elif op == OP["ENDLOOP"]:
            depth -= 1
    if deepest > _engine.ENUMS["G_LOOPS_INLINE"]:
        per_g += 4 * (_engine.MAXLOOPDEPTH - _engine.ENUMS["G_LOOPS_INLINE"])
    if c.uses_deadlines:
        per_g += 8
    if ops & {OP[k] for k in ("COND_ADD", "COND_WAIT", "COND_SIGNAL", "COND_BROADCAST",
                              "LOCKOSTHREAD", "UNLOCKOSTHREAD")}:
        per_g += 8                                    # struct GSync
    return per_g


def estimate_run_memory(c: CompiledProgram, procs: int, ring_cap: int, record: bool,
                        trace_cap: int, max_events: int | None = None) -> tuple[float, dict]:
    """Bytes the run may allocate at most (G records are bounded by the goroutines the
    program can create, and by max_events: every newproc and every mark is an event), and
    the breakdown."""
    goroutines, marks = _spawn_bound(c)
    if max_events is not None:
        goroutines = min(goroutines, max_events + 1.0)
        marks = min(marks, float(max_events))
    parts = {
        "goroutines": _mul(goroutines, _engine.G_RECORD_BYTES),
        "G side tables": _mul(goroutines, _side_table_bytes(c)),
        "run queues": procs * ring_cap * 4 + procs * 2048,
        "start order": _mul(goroutines, 8) if record else 0,
        "marks": _mul(marks, _engine.MARK_BYTES) if record else 0,
        "trace": 2 * trace_cap * _engine.TRACE_EVENT_BYTES,   # the buffer + its copy
        "channel buffers": sum(c.chan_caps or []) * 8,
    }
    return sum(parts.values()), parts


def _env_limit():
    """$GMPCORE_MEMORY_LIMIT in bytes ("8e9", "inf" for no limit), else 80% of available."""
    env = os.environ.get("GMPCORE_MEMORY_LIMIT", "").strip()
    if not env:
        return int(0.8 * available_memory())
    try:
        v = float(env)
    except ValueError:
        v = float("nan")
    if not v >= 0:          # also NaN
        raise ValueError(f"GMPCORE_MEMORY_LIMIT must be a number of bytes >= 0 (e.g. 8e9, or "
                         f"inf for no limit), got {env!r}")
    return v if v == UNBOUNDED else int(v)


def _samples_bound(sample_every: int, max_cycles: int | None) -> float:
    """Samples a run can take: one per sample_every cycles up to max_cycles (unbounded
    without max_cycles: the run-time budget then stops it)."""
    if not sample_every:
        return 0.0
    if max_cycles is None:
        return UNBOUNDED
    return max_cycles // sample_every + 2.0


def estimate_recording(c: CompiledProgram, procs: int, sample_every: int, scheddetail: bool,
                       max_cycles: int | None, max_events: int | None) -> dict:
    """Bytes of the sampler's records and of scheddetail snapshots (each snapshot copies
    every P, M and G record), counted twice: the engine's buffer and the copy handed over."""
    n = _samples_bound(sample_every, max_cycles)
    goroutines, _ = _spawn_bound(c)
    if max_events is not None:
        goroutines = min(goroutines, max_events + 1.0)
    per_sample = _engine.SAMPLE_RECORD_BYTES + procs * 8
    per_snap = (_mul(goroutines, _engine.G_RECORD_BYTES) + procs * _engine.P_RECORD_BYTES
                + (procs + 2) * _engine.M_RECORD_BYTES)
    return {"samples": 2 * _mul(n, per_sample),
            "scheddetail": _mul(n, per_snap) if scheddetail else 0.0}


def check_memory(c: CompiledProgram, procs: int, ring_cap: int, record: bool, trace_cap: int,
                 limit, max_events: int | None = None, sample_every: int = 0,
                 scheddetail: bool = False, max_cycles: int | None = None
                 ) -> "RecordingBudget":
    """Refuse a run whose estimate is over the limit; return the budget the buffers that
    grow while the run records (start order, marks, steals, samples, scheddetail snapshots)
    must stay within as it runs (RecordingBudget.attach gives it to the engine)."""
    if limit is False:
        return RecordingBudget(None)
    if limit is None:
        limit = _env_limit()
    est, parts = estimate_run_memory(c, procs, ring_cap, record, trace_cap, max_events)
    rec = estimate_recording(c, procs, sample_every, scheddetail, max_cycles, max_events)
    for k in ("samples", "scheddetail"):
        if rec[k] != UNBOUNDED:             # (unbounded: the run-time budget stops it)
            parts[k] = rec[k]
            est += rec[k]
    if est > limit:
        worst = max(parts, key=parts.get)
        what = "unbounded (recursive spawning or `range` loops)" if est == UNBOUNDED \
            else f"{est / 2**20:,.0f} MiB"
        if est == UNBOUNDED and worst in ("goroutines", "start order", "marks"):
            # recursion: the program may create any number of goroutines; only refuse what
            # recording would certainly grow without bound
            if not record or _conditional(c):
                # (a recursion under the DSL's `if`, as a fan-out tree, ends when its
                # condition says so; the recording budget stops one that does not)
                return _budget(limit, parts)
            raise MemoryLimitError(
                "gmpcore: this program can create an unbounded number of goroutines and "
                "record=True keeps a record of each; pass record=False, or memory_limit=False "
                "to run anyway")
        hint = ("sample less often or set max_cycles" if worst in ("samples", "scheddetail")
                else "record=False, a smaller trace cap")
        raise MemoryLimitError(
            f"gmpcore: the run may need {what} (largest part: {worst}, "
            f"{parts[worst] / 2**20:,.0f} MiB), over the memory limit of {limit / 2**20:,.0f} "
            f"MiB; reduce the run ({hint}) or raise memory_limit")
    return _budget(limit, parts)


def _conditional(c: CompiledProgram) -> bool:
    """The program branches on values (Function.if_): its recursion may be bounded."""
    return bool((c.code.reshape(-1, INSTR)[:, 0] == OP["IF"]).any())


# buffers that are only allocated as the run records (the rest are allocated up front)
GROWING = ("start order", "marks", "samples", "scheddetail")


def _budget(limit: int, parts: dict) -> "RecordingBudget":
    if limit == UNBOUNDED:                  # GMPCORE_MEMORY_LIMIT=inf: no limit
        return RecordingBudget(None)
    fixed = sum(v for k, v in parts.items() if k not in GROWING and v != UNBOUNDED)
    return RecordingBudget(max(int(limit - fixed), 0), limit)


class RecordingBudget:
    """The memory the growing recording buffers may take while a run goes on: the engine's
    (start order, marks, steals, samples: twice their size, as they are copied when the run
    hands them over) plus the scheddetail snapshots Python takes.  Passing it stops the run
    with MemoryLimitError, whatever the estimate said (sampling is only bounded at run time
    when max_cycles is not given)."""

    def __init__(self, total, limit=None):
        self.total = total            # None: no limit
        self.limit = limit
        self.snapshots = 0
        self._eng = None

    def attach(self, eng) -> None:
        self._eng = eng
        self._update()

    def _update(self):
        if self.total is not None and self._eng is not None:
            self._eng.set_recording_limit(max((self.total - self.snapshots) // 2, 1))

    def charge_snapshot(self, snap: dict) -> None:
        """Count one scheddetail snapshot; raise MemoryLimitError past the budget."""
        self.snapshots += sum(getattr(v, "nbytes", 64) for v in snap.values())
        if self.total is None:
            return
        native = 2 * self._eng.recording_bytes if self._eng is not None else 0
        if self.snapshots + native > self.total:
            raise self.error("scheddetail snapshots", self.snapshots + native)
        self._update()

    def error(self, what: str, nbytes=None) -> MemoryLimitError:
        used = self.snapshots + 2 * (self._eng.recording_bytes if self._eng is not None else 0)
        return MemoryLimitError(
            f"gmpcore: the run's recording ({what}) reached {(nbytes or used) / 2**20:,.0f} MiB, "
            f"over what the memory limit of {(self.limit or 0) / 2**20:,.0f} MiB leaves for "
            f"it; the run was stopped (sample less often, set max_cycles, record=False, or "
            f"raise memory_limit)")


def check_progress(machine, costs) -> None:
    """Refuse a configuration under which no goroutine could ever run user code.

    sysmon preempts a G that has held its P for a whole time slice counted from execute
    (proc.go sysmon -> retake: pd.schedwhen + forcePreemptNS <= now), so with an execute
    cost of a slice or more every G is flagged before its first instruction and the run
    would go round for ever without progress."""
    if not machine.sysmon:
        return
    slice_cycles = int(machine.time_slice_ns * machine.clock_ghz)
    if costs.execute >= slice_cycles:
        raise ValueError(
            f"CostModel.execute ({costs.execute} cycles) must be shorter than the time slice "
            f"(Machine.time_slice_ns = {machine.time_slice_ns:g} ns = {slice_cycles} cycles): "
            f"sysmon preempts a goroutine a slice after execute, so none would ever run; "
            f"lower execute, raise time_slice_ns, or turn sysmon off")
