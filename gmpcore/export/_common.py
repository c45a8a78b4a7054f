"""Helpers shared by the exporters: clocks, function names, wait-reason and status tables.

Everything here reads the plain data on a Result (numpy arrays and dicts); nothing touches the
engine.  Names of new wait reasons, event kinds and statuses come from gmpcore._engine's tables,
so an exporter picks them up without a change here (only the Go-trace block-reason mapping is
a table of names, with "unspecified" for names it does not know).
"""
from __future__ import annotations

import bisect

import numpy as np

from .. import _engine

# Go's _G* statuses (runtime/runtime2.go, from the engine) and what goroutineheader prints
G_IDLE, G_RUNNABLE, G_RUNNING = _engine._Gidle, _engine._Grunnable, _engine._Grunning
G_SYSCALL, G_WAITING, G_DEAD = _engine._Gsyscall, _engine._Gwaiting, _engine._Gdead
G_STATUS_STRINGS = {**{v: k[2:] for k, v in _engine.G_STATUS.items()},
                    8: "copystack", 9: "preempted", 10: "leaked"}
G_FLAG_SYSTEM = _engine.G_FLAG_SYSTEM

# Go's _P* statuses
P_IDLE, P_RUNNING = _engine._Pidle, _engine._Prunning

# the trace event kinds, by name (the engine's ints, whatever they are)
KIND = {name: k for k, name in _engine.TRACE_KINDS.items()}

#: stop-the-world kinds (the STWBegin/STWEnd `reason`) -> Go's stwReason strings
#: (runtime/proc.go stwReasonStrings)
STW_KINDS = dict(_engine.STW_KINDS)
STW_GC_SWEEPTERM = _engine.ENUMS["STW_GC_SWEEPTERM"]
STW_GC_MARKTERM = _engine.ENUMS["STW_GC_MARKTERM"]
STW_GOMAXPROCS = _engine.ENUMS["STW_GOMAXPROCS"]


def record_columns(rec) -> tuple[list, ...]:
    """(times, kinds, goids, args, ps, ms, reasons): the trace records' fields as Python lists,
    which the per-event walks index far faster than numpy scalars."""
    return tuple(rec[f].tolist() for f in ("time", "kind", "goid", "arg", "p", "m", "reason"))


def kind(name: str) -> int:
    """The engine's int for event kind `name` (-1 if this engine does not record it)."""
    return KIND.get(name, -1)


def stw_kind_name(code: int) -> str:
    return STW_KINDS.get(int(code), "unknown")


def machine_attr(res, name: str, default=None):
    """A Machine field of the run's configuration (a Machine or, from a saved config, a
    dict)."""
    m = (res.config or {}).get("machine")
    if m is None:
        return default
    if isinstance(m, dict):
        return m.get(name, default)
    return getattr(m, name, default)


def sysmon_thread(res) -> int | None:
    """sysmon's M: runtime.main starts it right after m0 (newm(sysmon, nil)), so it is M1 when
    the machine runs sysmon; None without sysmon."""
    return 1 if machine_attr(res, "sysmon", True) else None


def gomaxprocs_at_start(res, rec) -> int | None:
    """GOMAXPROCS when the recording begins: the machine's procs for a recording from cycle 0;
    for a window, the same when GOMAXPROCS never changed during the run, else unknown (None)."""
    start = int(res.summary.get("procs", 0)) or None
    if len(rec) == 0 or int(rec["time"][0]) == 0:
        return start
    final = res.summary.get("gomaxprocs")
    if final is not None and int(final) == start and not (rec["kind"] == kind("ProcsChange")).any():
        return start
    return None


def next_same(keys: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """For each event i, the index of the next event j > i with keys[j] == keys[i] (both valid),
    or -1."""
    nxt = np.full(len(keys), -1, np.int64)
    idx = np.nonzero(valid)[0]
    if len(idx) < 2:
        return nxt
    order = idx[np.argsort(keys[idx], kind="stable")]
    same = keys[order[1:]] == keys[order[:-1]]
    nxt[order[:-1][same]] = order[1:][same]
    return nxt


def syscall_exits_reacquiring(rec) -> set[int]:
    """Indices of the GoSyscallEnd events with reason 1 (the P was taken during the call) after
    which the same M gets a P and goes on running the G: exitsyscallTryGetP found one (its old
    P back from a thread in a syscall, or an idle P), so the next event on that M is its
    ProcStart and the G is not started again by a GoStart.  The others went through
    exitsyscallNoP: the G is on the global queue and a later GoStart runs it."""
    k_end = kind("GoSyscallEnd")
    if len(rec) == 0 or k_end < 0:
        return set()
    k = rec["kind"]
    sel = np.nonzero((k == k_end) & (rec["reason"] == 1))[0]
    if len(sel) == 0:
        return set()
    m, goid = rec["m"], rec["goid"]
    nxt_m = next_same(m, m >= 0)
    nxt_g = next_same(goid, goid > 0)
    k_pstart, k_gstart = kind("ProcStart"), kind("GoStart")
    k_create, k_unblock = kind("GoCreate"), kind("GoUnblock")
    out = set()
    for i in sel.tolist():
        j = int(nxt_m[i])
        if j < 0 or k[j] != k_pstart:
            continue
        jg = int(nxt_g[i])
        if jg >= 0:
            if k[jg] != k_gstart:            # the G's next event is not a (re)start: it ran on
                out.add(i)
            continue
        # the G has no later event: it kept running unless the M's next one starts another G
        j2 = int(nxt_m[j])
        g = int(goid[i])
        if j2 < 0 or (k[j2] in (k_create, k_unblock) and int(rec["arg"][j2]) == g):
            out.add(i)
    return out


#: the engine's GoStop reason codes -> trace stop reasons (runtime traceGoStopReasonStrings):
#: 1 Gosched (gosched_m), 2 goyield (goyield_m traces GoPreempt), 3 preempted by sysmon
#: (gopreempt_m)
STOP_REASONS = dict(_engine.STOP_REASONS)


def stop_reason_name(code: int) -> str:
    """The trace's GoStop reason for the engine's stop-reason code."""
    return STOP_REASONS.get(int(code), "unspecified")


def wait_reason_name(code: int) -> str:
    """Go's waitReason string for the engine's wait-reason code."""
    return _engine.WAIT_REASONS.get(int(code), "unknown wait reason")


def clock_ghz(res) -> float:
    return float(res.config["clock_ghz"])


def cycles_to_ns(res, cycles):
    return np.asarray(cycles) / clock_ghz(res)


def go_func_name(name: str) -> str:
    """A DSL function's Go name: "worker" -> "main.worker"; qualified names stay as they are
    ("runtime.runfinq")."""
    return name if "." in name else "main." + name


class FuncTable:
    """Maps a G's pc (an index into the program's code array) to its function: the function
    whose entry is the largest one <= pc (a DSL function is one contiguous code range)."""

    def __init__(self, func_entry, func_names):
        order = np.argsort(np.asarray(func_entry), kind="stable")
        self.entries = [int(func_entry[i]) for i in order]
        self.index = [int(i) for i in order]
        self.names = [str(n) for n in func_names]

    @classmethod
    def of(cls, res) -> "FuncTable":
        return cls(res.names.func_entry, res.names.functions)

    def fn_of_pc(self, pc: int) -> int:
        """Function index of code index `pc` (-1 if before every entry)."""
        k = bisect.bisect_right(self.entries, int(pc)) - 1
        return self.index[k] if k >= 0 else -1

    def entry(self, fn: int) -> int:
        return self.entries[self.index.index(fn)]

    def go_name(self, fn: int) -> str:
        return go_func_name(self.names[fn]) if 0 <= fn < len(self.names) else "main.unknown"


def trace_records(res) -> np.ndarray:
    r = res.trace_records
    if r is None:
        return np.zeros(0, dtype=_engine.TRACE_DTYPE)
    return r


def require_trace(res, what: str) -> np.ndarray:
    """The recorded events, or a ValueError that says how to record them."""
    r = res.trace_records
    if r is None or len(r) == 0:
        raise ValueError(f"{what} needs recorded scheduler events, and this Result has none: run "
                         f"gmpcore.run(..., trace=True) (or trace=<max events>, "
                         f"trace_window=(start_ns, end_ns) around something that happens)")
    return r


def g_record_function(funcs: FuncTable, g) -> int:
    """The function a G record runs: its start pc (Go's g.startpc) when the engine records
    one, else the function its pc is in (a DSL function is one code range, so a G's pc stays
    inside the function it started in)."""
    names = g.dtype.names
    if "startpc" in names and int(g["startpc"]) >= 0:
        return funcs.fn_of_pc(int(g["startpc"]))
    return funcs.fn_of_pc(int(g["pc"]))


def goroutine_functions(res, funcs: FuncTable) -> dict[int, int]:
    """goid -> function index, from everything the run recorded.

    Sources, later ones winning: the G records in scheddetail snapshots and at the end of the
    run (live Gs), and GoCreate events whose `reason` is the new G's function index + 1 (0:
    the engine did not record it).  Goroutines that finished before the end, were never in a
    snapshot and whose GoCreate carries no function are absent.
    """
    out: dict[int, int] = {}
    if "main" in funcs.names:
        out[1] = funcs.names.index("main")
    sources = [s["goroutines"] for s in (res.sched_snapshots or [])]
    if res.final and "goroutines" in res.final:
        sources.append(res.final["goroutines"])
    for gs in sources:
        if len(gs) == 0:
            continue
        if "startpc" in gs.dtype.names:
            pcs = np.where(gs["startpc"] >= 0, gs["startpc"], gs["pc"])
        else:
            pcs = gs["pc"]
        for goid, pc in zip(gs["goid"].tolist(), pcs.tolist()):
            out[goid] = funcs.fn_of_pc(pc)
    rec = res.trace_records
    if rec is not None and len(rec):
        sel = (rec["kind"] == KIND["GoCreate"]) & (rec["reason"] > 0)
        for goid, r in zip(rec["goid"][sel].tolist(), rec["reason"][sel].tolist()):
            if r - 1 < len(funcs.names):
                out[goid] = r - 1
    return out
