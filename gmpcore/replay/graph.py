"""The goroutine graph of a parsed trace, and its replay as a gmpcore Program.

A goroutine's life is cut into run segments: maximal intervals in the Running state (from
GoStart or a fast-path GoSyscallEnd to GoStop, GoBlock, GoSyscallBegin or GoDestroy).  Each
segment records what the goroutine did inside it (goroutines it created, goroutines it
unblocked, with their offsets in ns) and what ended it (the trace's reason string, a
category, the object -- the innermost user frame of the stack -- and, for a block, who
unblocked it and when).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .format import (GoNotExist, GoRunnable, GoRunning, GoSyscall, GoUndetermined, GoWaiting,
                     Trace)

__all__ = ["Segment", "Goroutine", "Graph", "build_graph", "CATEGORIES", "Replay",
           "replay_program"]

#: the trace's block/stop reason (runtime/traceruntime.go traceBlockReasonStrings,
#: traceGoStopReasonStrings) -> the category a segment end gets
CATEGORIES = {
    "chan send": "chan_send", "chan receive": "chan_recv", "select": "select",
    "sync": "sync", "sync.(*Cond).Wait": "cond", "sleep": "sleep", "network": "network",
    "forever": "forever", "runtime.Gosched": "gosched", "preempted": "preempt",
    "GC mark assist wait for work": "gc", "GC background sweeper wait": "gc",
    "wait until GC ends": "gc", "GC weak to strong wait": "gc",
    "system goroutine wait": "system", "synctest": "other", "wait for debug call": "other",
    "unspecified": "other", "": "other",
}


@dataclass
class Segment:
    start: int                    # ns (trace time) the goroutine started running
    end: int = -1                 # ns it stopped (-1: still running when the trace ended)
    ready: int = -1               # ns it became runnable before this run (-1: unknown)
    kind: str = "running"         # block, stop, syscall, exit, running (at the end)
    reason: str = ""              # the trace's reason string
    category: str = "running"     # chan_send, chan_recv, select, sync, sleep, network, ...
    where: str = ""               # the innermost user frame of the stack at the end
    stack: int = 0                # the full stack at the end (an index into Trace.stacks)
    unblocked_by: int = -1        # goid that made it runnable again (-1: none/unknown)
    unblock_time: int = -1        # ns (-1: never in the trace)
    syscall_ns: int = -1          # for kind == "syscall": the call's duration (-1: unfinished)
    syscall_blocked: bool = False  # the call lost its P (GoSyscallEndBlocked)
    actions: list = field(default_factory=list)   # (ns, "go"|"unblock", goid)

    @property
    def duration(self) -> int:
        return self.end - self.start if self.end >= 0 else -1

    @property
    def wait(self) -> int:
        """Scheduling latency before this run (runnable -> running), ns; -1 if unknown."""
        return self.start - self.ready if self.ready >= 0 else -1


@dataclass
class Goroutine:
    goid: int
    creator: int | None           # goid of the creator, -1: created with no goroutine
                                  # running (e.g. a timer callback); None: before the trace
    created: int                  # ns (-1: existed before the trace)
    func: str = ""                # the function it runs (from GoCreate's new stack)
    initial: str = "NotExist"     # its state when the trace first names it
    segments: list = field(default_factory=list)
    first_unblock: tuple | None = None   # (ns, goid) for a G waiting when the trace began
    state: int = GoNotExist       # the state at the end of the trace

    @property
    def exited(self) -> bool:
        return bool(self.segments) and self.segments[-1].kind == "exit"


@dataclass
class Graph:
    trace: Trace
    goroutines: dict
    start: int
    end: int
    gomaxprocs: int

    def edges(self):
        """(unblocker, unblocked, ns, category, where) for every block a goroutine ended."""
        out = []
        for g in self.goroutines.values():
            for s in g.segments:
                if s.kind == "block" and s.unblocked_by >= 0:
                    out.append((s.unblocked_by, g.goid, s.unblock_time, s.category, s.where))
        return out

    def creation_tree(self):
        """goid -> creator goid (None: existed before the trace, -1: no goroutine)."""
        return {g.goid: g.creator for g in self.goroutines.values()}

    def latencies(self) -> np.ndarray:
        return np.array([s.wait for g in self.goroutines.values() for s in g.segments
                         if s.wait >= 0], dtype=np.int64)

    def frame(self):
        """One row per segment (a DataFrame)."""
        import pandas as pd
        rows = []
        for g in self.goroutines.values():
            for i, s in enumerate(g.segments):
                rows.append(dict(goid=g.goid, func=g.func, seg=i, start=s.start, end=s.end,
                                 duration=s.duration, wait=s.wait, kind=s.kind,
                                 category=s.category, reason=s.reason, where=s.where,
                                 unblocked_by=s.unblocked_by, unblock_time=s.unblock_time,
                                 syscall_ns=s.syscall_ns))
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        lat = self.latencies()
        cats: dict = {}
        for g in self.goroutines.values():
            for s in g.segments:
                cats[s.category] = cats.get(s.category, 0) + 1
        return {"goroutines": len(self.goroutines),
                "created": sum(1 for g in self.goroutines.values() if g.created >= 0),
                "segments": sum(len(g.segments) for g in self.goroutines.values()),
                "edges": len(self.edges()), "wall_ns": self.end - self.start,
                "gomaxprocs": self.gomaxprocs,
                "latency_p50_ns": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
                "latency_p90_ns": float(np.percentile(lat, 90)) if len(lat) else float("nan"),
                "ends": cats}


def build_graph(tr: Trace) -> Graph:
    gs: dict[int, Goroutine] = {}
    strings, stacks = tr.strings, tr.stacks
    t = tr.transitions
    tl, gl, fl, tol = t["time"].tolist(), t["goid"].tolist(), t["from"].tolist(), t["to"].tolist()
    rl, al, sl = t["reason"].tolist(), t["actor"].tolist(), t["stack"].tolist()
    cur: dict[int, Segment] = {}        # goid -> its open segment
    last_seg: dict[int, Segment] = {}   # goid -> its last segment (blocked/stopped)
    ready: dict[int, int] = {}
    sys_begin: dict[int, int] = {}

    def func_of(stack):
        fr = stacks[stack] if stack else ()
        return fr[0][0] if fr else ""

    for i in range(len(tl)):
        ts, goid, frm, to, actor = tl[i], gl[i], fl[i], tol[i], al[i]
        g = gs.get(goid)
        if g is None:
            if frm == GoNotExist:
                g = Goroutine(goid, actor, ts, func_of(sl[i]))
            else:
                g = Goroutine(goid, None, -1, func_of(sl[i]))
                g.initial = ["Undetermined", "NotExist", "Runnable", "Running", "Waiting",
                             "Syscall"][to]
            gs[goid] = g
        if frm == to:
            continue                     # a GoStatus of a later generation
        # actions of the actor inside its running segment
        if actor >= 0 and actor != goid and actor in cur and (
                frm == GoNotExist or (frm == GoWaiting and to == GoRunnable)):
            cur[actor].actions.append((ts, "go" if frm == GoNotExist else "unblock", goid))
        g.state = to
        if to == GoRunning:
            seg = Segment(ts, ready=ready.pop(goid, -1))
            if frm == GoSyscall:
                seg.ready = -1
            elif frm == GoUndetermined:
                seg.ready = -1
            g.segments.append(seg)
            cur[goid] = seg
            continue
        if frm == GoRunning:
            seg = cur.pop(goid)
            seg.end = ts
            reason = strings[rl[i]]
            seg.reason = reason
            seg.where = tr.frame_str(sl[i])
            seg.stack = sl[i]
            if to == GoWaiting:
                seg.kind, seg.category = "block", CATEGORIES.get(reason, "other")
            elif to == GoRunnable:
                seg.kind, seg.category = "stop", CATEGORIES.get(reason, "other")
                ready[goid] = ts
            elif to == GoSyscall:
                seg.kind, seg.category, seg.reason = "syscall", "syscall", "syscall"
                sys_begin[goid] = ts
            elif to == GoNotExist:
                seg.kind, seg.category = "exit", "exit"
            last_seg[goid] = seg
            continue
        if frm == GoSyscall:
            b = sys_begin.pop(goid, None)
            seg = last_seg.get(goid)
            if seg is not None and b is not None and seg.end == b:
                seg.syscall_ns = ts - b
                seg.syscall_blocked = to == GoRunnable
            if to == GoRunnable:
                ready[goid] = ts
            continue
        if frm == GoWaiting and to == GoRunnable:
            ready[goid] = ts
            seg = last_seg.get(goid)
            if seg is not None and seg.kind == "block" and seg.unblock_time < 0:
                seg.unblocked_by, seg.unblock_time = actor, ts
            elif not g.segments and g.first_unblock is None:
                g.first_unblock = (ts, actor)
            continue
        if to == GoRunnable and frm in (GoNotExist, GoUndetermined):
            ready[goid] = ts
    procs = tr.events["a0"][tr.events["type"] == 9]
    start = int(tr.transitions["time"][0]) if len(tr.transitions) else tr.start_ns
    return Graph(tr, gs, start, tr.end_ns, int(procs[0]) if len(procs) else 0)


# the replay (a gmpcore Program) is built in build.py
from .build import Replay, replay_program  # noqa: E402,F401
