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
