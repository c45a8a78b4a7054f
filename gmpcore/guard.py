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
            elif op == OP["CHAN_RECV"] and b >= 0:
                # `for range ch` runs once per value sent: not bounded by this analysis.
                # Goroutines spawned inside are unbounded; marks inside are not counted (the
                # marks buffer grows on demand, and a failed allocation raises MemoryError)
                mult.append(UNBOUNDED)
                range_ends.append(b)
            elif op == OP["GO"]:
                cs, cm = body(a)
                spawns += _mul(mult[-1], 1 + cs)
                marks += _mul(mult[-1], cm)
            elif op == OP["MARK"] and mult[-1] != UNBOUNDED:
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


def check_memory(c: CompiledProgram, procs: int, ring_cap: int, record: bool, trace_cap: int,
                 limit, max_events: int | None = None) -> None:
    if limit is False:
        return
    if limit is None:
        limit = _env_limit()
    est, parts = estimate_run_memory(c, procs, ring_cap, record, trace_cap, max_events)
    if est > limit:
        worst = max(parts, key=parts.get)
        what = "unbounded (recursive spawning or `range` loops)" if est == UNBOUNDED \
            else f"{est / 2**20:,.0f} MiB"
        if est == UNBOUNDED and worst in ("goroutines", "start order", "marks"):
            # recursion: the program may create any number of goroutines; only refuse what
            # recording would certainly grow without bound
            if not record:
                return
            raise MemoryLimitError(
                "gmpcore: this program can create an unbounded number of goroutines and "
                "record=True keeps a record of each; pass record=False, or memory_limit=False "
                "to run anyway")
        raise MemoryLimitError(
            f"gmpcore: the run may need {what} (largest part: {worst}, "
            f"{parts[worst] / 2**20:,.0f} MiB), over the memory limit of {limit / 2**20:,.0f} "
            f"MiB; reduce the run (record=False, a smaller trace cap) or raise memory_limit")
