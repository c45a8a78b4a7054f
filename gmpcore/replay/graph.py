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


# -- replay ------------------------------------------------------------------------------------
@dataclass
class Replay:
    """A recorded trace as a gmpcore Program: ``gmpcore.run(rp.program, procs=rp.procs)``."""
    program: object
    graph: Graph
    procs: int
    clock_ghz: float
    scale: float
    main_goid: int
    functions: dict               # goid -> function name
    channels: int
    approximations: dict          # what was approximated, counted

    def recorded(self) -> dict:
        s = self.graph.summary()
        return {"wall_ns": s["wall_ns"], "latency_p50_ns": s["latency_p50_ns"],
                "latency_p90_ns": s["latency_p90_ns"], "goroutines": s["goroutines"]}


def _cycles(ns, clock_ghz, scale):
    return int(round(ns * clock_ghz * scale))


def replay_program(graph: Graph, clock_ghz: float = 3.0, scale: float = 1.0,
                   main: int | None = None) -> Replay:
    """Build a Program that reruns the recorded work with the recorded dependencies.

    Each goroutine becomes a function ``g<goid>``; the main goroutine (G1, or `main`)
    becomes ``main``.  Compute between two actions keeps its recorded duration (ns ->
    cycles at `clock_ghz`, times `scale`).  See docs/replay.md for the mapping and its
    approximations."""
    from ..program import Program
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    gs = graph.goroutines
    if not gs:
        raise ValueError("the trace names no goroutine: nothing to replay")
    if main is None:
        main = 1 if 1 in gs else min(gs)
    if main not in gs:
        raise ValueError(f"main goroutine G{main} is not in the trace")
    t0 = graph.start
    prog = Program()
    names = {goid: ("main" if goid == main else f"g{goid}") for goid in gs}
    approx = {"unblock_outside_run": 0, "create_outside_run": 0, "timer_wakeups": 0,
              "network_wakeups": 0, "never_unblocked": 0, "preemptions_merged": 0,
              "spawned_at_start": 0}
    # edge channels: one cap-1 channel per recorded unblock by a goroutine
    edge_chan: dict = {}        # (blocked goid, segment index or -1) -> channel
    sends: dict = {}            # unblocker goid -> list of (ns, channel)
    never = None

    def chan_for(key):
        ch = edge_chan.get(key)
        if ch is None:
            ch = edge_chan[key] = prog.chan(f"e{len(edge_chan)}", cap=1)
        return ch

    running = {goid for goid, g in gs.items() if g.segments}
    for goid, g in gs.items():
        if g.first_unblock is not None and g.first_unblock[1] in running:
            sends.setdefault(g.first_unblock[1], []).append(
                (g.first_unblock[0], chan_for((goid, -1))))
        for k, s in enumerate(g.segments):
            if s.kind == "block" and s.unblocked_by in running:
                sends.setdefault(s.unblocked_by, []).append((s.unblock_time,
                                                             chan_for((goid, k))))
    # sync.WaitGroup.Wait: the trace names only the last Done (the goroutine whose Done
    # unblocked the waiter).  The other Dones leave no event, so a waiter would be released
    # as soon as that one goroutine got there.  Join instead: the waiter also waits for
    # every goroutine it created that exited (in the recording) since its previous wait and
    # before the wake-up -- each sends on a per-wait channel as it exits.
    joins: dict = {}            # (goid, segment index) -> (channel, n)
    exit_sends: dict = {}       # goid -> [channel]
    children: dict = {}
    for goid, g in gs.items():
        if g.creator is not None and g.creator >= 0:
            children.setdefault(g.creator, []).append(goid)
    wg_frames = ("sync.(*WaitGroup).Wait",)
    for goid, g in gs.items():
        prev = -1
        for k, s in enumerate(g.segments):
            if s.kind != "block" or s.category != "sync" or s.unblock_time < 0:
                continue
            frames = graph.trace.stacks[s.stack] if s.stack else ()
            if not any(fr[0] in wg_frames for fr in frames):
                continue
            done = []
            for c in children.get(goid, []):
                cg = gs[c]
                if cg.exited and prev < cg.segments[-1].end <= s.unblock_time:
                    done.append(c)
            prev = s.unblock_time
            if done:
                ch = prog.chan(f"join{len(joins)}", cap=len(done))
                joins[(goid, k)] = (ch, len(done))
                for c in done:
                    exit_sends.setdefault(c, []).append(ch)
    approx["waitgroup_joins"] = len(joins)
    # which goroutines main starts at time 0 (before the trace, or created by no goroutine)
    at_start = [goid for goid, g in gs.items()
                if goid != main and (g.creator is None or g.creator < 0
                                     or g.creator not in running)]
    approx["spawned_at_start"] = len(at_start)
    creates: dict = {}
    for goid, g in gs.items():
        if g.creator is not None and g.creator >= 0 and g.creator in running and goid != main:
            creates.setdefault(g.creator, []).append((g.created, goid))

    def c(ns):
        return _cycles(max(ns, 0), clock_ghz, scale)

    for goid, g in gs.items():
        f = prog.func(names[goid])
        if goid == main:
            for child in at_start:
                f.go(names[child])
        # a goroutine that existed before its first run: wait as the trace says
        first = g.segments[0] if g.segments else None
        if goid != main and first is not None:
            if g.first_unblock is not None:
                ts, by = g.first_unblock
                if by in running:
                    f.recv(edge_chan[(goid, -1)])
                else:
                    approx["timer_wakeups"] += 1
                    f.sleep(max(c(ts - t0), 1))
            elif g.creator is not None and g.creator < 0 and g.created > t0:
                approx["timer_wakeups"] += 1
                f.sleep(max(c(g.created - t0), 1))
        acts = sorted([(ts, "send", ch) for ts, ch in sends.get(goid, [])]
                      + [(ts, "go", child) for ts, child in creates.get(goid, [])],
                      key=lambda a: a[0])
        ai = 0
        for k, s in enumerate(g.segments):
            end = s.end if s.end >= 0 else graph.end
            pos = s.start
            while ai < len(acts) and acts[ai][0] <= end:
                ts, kind, obj = acts[ai]
                if ts < s.start:
                    approx["unblock_outside_run" if kind == "send" else
                           "create_outside_run"] += 1
                ts = max(ts, pos)
                if c(ts - pos):
                    f.compute(c(ts - pos))
                pos = ts
                if kind == "send":
                    f.send(obj, 0)
                else:
                    f.go(names[obj])
                ai += 1
            if c(end - pos):
                f.compute(c(end - pos))
            if s.kind == "exit":
                for ch in exit_sends.get(goid, ()):
                    f.send(ch, 0)
            if s.kind == "block":
                if (goid, k) in joins:
                    ch, n = joins[(goid, k)]
                    with f.loop(n):
                        f.recv(ch)
                if s.unblocked_by in running:
                    f.recv(edge_chan[(goid, k)])
                elif s.unblock_time >= 0:
                    d = max(c(s.unblock_time - s.end), 1)
                    if s.category == "network":
                        approx["network_wakeups"] += 1
                        f.net_wait(d)
                    else:
                        approx["timer_wakeups"] += 1
                        f.sleep(d)
                elif goid != main:
                    approx["never_unblocked"] += 1
                    if never is None:
                        never = prog.chan("never", cap=0)
                    f.recv(never)
            elif s.kind == "stop":
                if s.category == "gosched":
                    f.gosched()
                else:
                    approx["preemptions_merged"] += 1
            elif s.kind == "syscall" and s.syscall_ns >= 0:
                f.syscall(max(c(s.syscall_ns), 1))
        # actions after the last segment (e.g. an unblock recorded while in a syscall)
        while ai < len(acts):
            ts, kind, obj = acts[ai]
            approx["unblock_outside_run" if kind == "send" else "create_outside_run"] += 1
            if kind == "send":
                f.send(obj, 0)
            else:
                f.go(names[obj])
            ai += 1
    return Replay(program=prog, graph=graph, procs=max(graph.gomaxprocs, 1),
                  clock_ghz=clock_ghz, scale=scale, main_goid=main, functions=names,
                  channels=len(edge_chan), approximations=approx)
