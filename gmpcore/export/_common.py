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

# Go's _G* statuses (runtime/runtime2.go) and what goroutineheader prints for them
G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_DEAD = 0, 1, 2, 3, 4, 6
G_STATUS_STRINGS = {0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting",
                    6: "dead", 8: "copystack", 9: "preempted", 10: "leaked"}
G_FLAG_SYSTEM = 1

# Go's _P* statuses
P_IDLE, P_RUNNING = 0, 1

# the trace event kinds, by name (the engine's ints, whatever they are)
KIND = {name: k for k, name in _engine.TRACE_KINDS.items()}


def wait_reason_name(code: int) -> str:
    """Go's waitReason string for the engine's wait-reason code."""
    return _engine.WAIT_REASONS.get(int(code), "unknown wait reason")


def clock_ghz(res) -> float:
    return float(res.config.get("clock_ghz", 3.0))


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
    def of(cls, res) -> "FuncTable | None":
        f = res.final or {}
        if "func_entry" not in f or "func_names" not in f:
            return None
        return cls(f["func_entry"], f["func_names"])

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


def goroutine_functions(res, funcs: FuncTable | None) -> dict[int, int]:
    """goid -> function index, from everything the run recorded.

    Sources, later ones winning: the G records in scheddetail snapshots and at the end of the
    run (live Gs), and GoCreate events whose `reason` is the new G's function index + 1 (0:
    the engine did not record it).  Goroutines that finished before the end, were never in a
    snapshot and whose GoCreate carries no function are absent.
    """
    out: dict[int, int] = {}
    if funcs is None:
        return out
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
