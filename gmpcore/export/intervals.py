"""One replay of the recorded scheduler events into intervals: the tables every view draws.

    iv = gmpcore.export.intervals(res)       # res = gmpcore.run(..., trace=True)
    iv.runs                                  # goroutine runs: goid, p, m, start, end, ...
    iv.frame("blocked")                      # the same tables as pandas DataFrames

write_go_trace, write_perfetto and plot.goroutine_timeline all read these tables instead of
each walking the events on its own.  Times are emulated cycles (as in trace_records).  Every
table is a numpy structured array; rows are in the order the replay closed them, and the
column ``seq`` orders the rows of all tables together: 4 * (index of the event that closed
the row) + its place among that event's rows, and from 4 * len(events) on for the rows still
open at the end (an exporter that merges tables keeps ties in the order the events
happened).

Tables (columns):

    runs          a goroutine on an M holding a P, from GoStart (or the ProcStart that resumes
                  it) to what ended it: goid, p, m, start, end, end_kind (the event kind:
                  GoStop, GoBlock, GoEnd, GoSyscallBegin, ProcStop when procresize destroys
                  the caller's P; -1 still running at the end), end_reason (GoStop's stop
                  reason, GoBlock's wait reason), inherited (GoStart's inherited time slice),
                  open (still running when the recording ends)
    procs         an M holding a P (ProcStart to ProcStop, or to the ProcSteal that takes it
                  during a syscall: taken): p, m, start, end, open, taken
    syscalls      a goroutine in a system call on its M: goid, p (held during the call, -1
                  once it was taken), m, start, end, end_kind (SYSCALL_ENDS), open
    blocked       a goroutine parked (GoBlock to the GoUnblock that readies it): goid, start,
                  end, reason (the wait reason; -1 parked before the recording), open
    stw           a stop-the-world pause: kind (STW_KINDS), m (the stopper), goid (the
                  GOMAXPROCS caller, else 0), start, end, open
    gc            a GC cycle (GCBegin to GCEnd): cycle, start, end, open
    steals        runqsteal: time, p (the thief), victim (P), n (Gs taken)
    proc_steals   a P taken from an M in a syscall (ProcSteal): time, p, m (that M), thief
                  (the taking M; -1: sysmon's retake), how (PROC_STEAL_HOW)
    procs_changes procresize: time, procs (the new GOMAXPROCS)
    states        goroutine state changes: time, goid, prev, state (Go's _G* values:
                  1 runnable, 2 running, 3 syscall, 4 waiting; 0 gone or not seen yet)

A span that began before a trace window starts at the window's first event; one still open
when the recording ends stops at its last event with ``open`` set.

Besides the tables: ``resumes`` maps the index of a ProcStart event to the goroutine its M
goes on running (back from a syscall through exitsyscallTryGetP, or the GOMAXPROCS caller
whose P procresize destroyed), ``reacquiring`` holds the indices of the GoSyscallEnd events
whose M gets a P again that way (_common.syscall_exits_reacquiring), and ``gomaxprocs_at_start`` is GOMAXPROCS where the recording
begins (None when unknown).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from ._common import (G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, KIND, gomaxprocs_at_start,
                      kind, record_columns, stop_reason_name, syscall_exits_reacquiring,
                      trace_records, wait_reason_name)

__all__ = ["Intervals", "intervals", "SYSCALL_ENDS", "PROC_STEAL_HOW", "run_end_name"]

#: syscalls.end_kind -> how the call ended
SYSCALL_ENDS = ("GoSyscallEnd", "GoSyscallEndBlocked", "P taken", "in the syscall at the end")
SYS_END, SYS_END_BLOCKED, SYS_P_TAKEN, SYS_OPEN = range(4)

#: proc_steals.how -> who took the P (runtime/proc.go)
PROC_STEAL_HOW = ("retake", "stop-the-world", "exitsyscall", "own P")
STEAL_RETAKE, STEAL_STW, STEAL_EXITSYSCALL, STEAL_OWN = range(4)

_I8, _I4, _B = np.int64, np.int32, np.bool_
DTYPES = {
    "runs": [("goid", _I8), ("p", _I4), ("m", _I4), ("start", _I8), ("end", _I8),
             ("end_kind", _I4), ("end_reason", _I4), ("inherited", _B), ("open", _B),
             ("seq", _I8)],
    "procs": [("p", _I4), ("m", _I4), ("start", _I8), ("end", _I8), ("open", _B),
              ("taken", _B), ("seq", _I8)],
    "syscalls": [("goid", _I8), ("p", _I4), ("m", _I4), ("start", _I8), ("end", _I8),
                 ("end_kind", _I4), ("open", _B), ("seq", _I8)],
    "blocked": [("goid", _I8), ("start", _I8), ("end", _I8), ("reason", _I4), ("open", _B),
                ("seq", _I8)],
    "stw": [("kind", _I4), ("m", _I4), ("goid", _I8), ("start", _I8), ("end", _I8),
            ("open", _B), ("seq", _I8)],
    "gc": [("cycle", _I8), ("start", _I8), ("end", _I8), ("open", _B), ("seq", _I8)],
    "steals": [("time", _I8), ("p", _I4), ("victim", _I4), ("n", _I4), ("seq", _I8)],
    "proc_steals": [("time", _I8), ("p", _I4), ("m", _I4), ("thief", _I4), ("how", _I4),
                    ("seq", _I8)],
    "procs_changes": [("time", _I8), ("procs", _I8), ("seq", _I8)],
    "states": [("time", _I8), ("goid", _I8), ("prev", _I4), ("state", _I4), ("seq", _I8)],
}


def run_end_name(end_kind: int, end_reason: int) -> str:
    """How a run ended, in words ("GoBlock chan receive", "GoStop runtime.Gosched", ...)."""
    if end_kind == KIND["GoStop"]:
        return "GoStop " + stop_reason_name(end_reason)
    if end_kind == KIND["GoBlock"]:
        return "GoBlock " + wait_reason_name(end_reason)
    if end_kind == KIND["GoEnd"]:
        return "GoEnd"
    if end_kind == KIND["ProcStop"]:
        return "ProcStop (procresize)"
    if end_kind == kind("GoSyscallBegin"):
        return "GoSyscallBegin"
    return "running at the end"


@dataclass
class Intervals:
    """The replay's tables (see the module docstring)."""
    runs: np.ndarray
    procs: np.ndarray
    syscalls: np.ndarray
    blocked: np.ndarray
    stw: np.ndarray
    gc: np.ndarray
    steals: np.ndarray
    proc_steals: np.ndarray
    procs_changes: np.ndarray
    states: np.ndarray
    start: int = 0                     # time of the first and the last recorded event
    end: int = 0
    nseq: int = 0                      # a seq after every row's
    gomaxprocs_at_start: int | None = None
    resumes: dict = field(default_factory=dict)
    reacquiring: set = field(default_factory=set)

    TABLES = tuple(DTYPES)

    def frame(self, name: str):
        """Table `name` as a pandas DataFrame (without the seq column)."""
        import pandas as pd
        if name not in DTYPES:
            raise ValueError(f"no table {name!r}; the tables are {', '.join(DTYPES)}")
        return pd.DataFrame(getattr(self, name)).drop(columns="seq")


def intervals(res, tables=None) -> Intervals:
    """Replay the Result's recorded events (run(..., trace=...)) into interval tables.  A run
    without recorded events gives empty tables.  tables: the names of the tables to fill (the
    others stay empty; resumes and reacquiring are always there); default all."""
    rec = trace_records(res)
    want = set(DTYPES if tables is None else tables)
    if not want <= set(DTYPES):
        raise ValueError(f"no table {', '.join(map(repr, sorted(want - set(DTYPES))))}; the "
                         f"tables are {', '.join(DTYPES)}")
    keep_runs, keep_procs, keep_steals = "runs" in want, "procs" in want, "steals" in want
    rows = {name: [] for name in DTYPES if name != "states"}
    n = len(rec)
    out = Intervals(**{name: np.zeros(0, DTYPES[name]) for name in DTYPES},
                    gomaxprocs_at_start=gomaxprocs_at_start(res, rec))
    if n == 0:
        return out
    closing = itertools.count(4 * n)      # seq of the rows closed at the end
    times, kinds, goids, argv, ps, ms, reasons = record_columns(rec)
    t0, tend = times[0], times[-1]

    k_create, k_start, k_stop = KIND["GoCreate"], KIND["GoStart"], KIND["GoStop"]
    k_block, k_unblock, k_end = KIND["GoBlock"], KIND["GoUnblock"], KIND["GoEnd"]
    k_pstart, k_pstop, k_steal = KIND["ProcStart"], KIND["ProcStop"], KIND["Steal"]
    k_sysbegin, k_sysend, k_psteal = kind("GoSyscallBegin"), kind("GoSyscallEnd"), kind("ProcSteal")
    k_stwbegin, k_stwend = kind("STWBegin"), kind("STWEnd")
    k_gcbegin, k_gcend, k_procs = kind("GCBegin"), kind("GCEnd"), kind("ProcsChange")

    runs, held, calls, blocked = rows["runs"], rows["procs"], rows["syscalls"], rows["blocked"]
    p_open: dict[int, tuple] = {}            # p -> (m, start)
    g_open: dict[int, tuple] = {}            # m -> (goid, p, start, inherited)
    sys_open: dict[int, tuple] = {}          # m -> (goid, p held or -1, start)
    b_open: dict[int, tuple] = {}            # goid -> (start, wait reason)
    pending_run: dict[int, int] = {}         # m -> goid it runs again when it gets a P
    stw_open = None                          # (kind, stopper m, goid, start)
    gc_open = None                           # (cycle, start)
    reacquire = out.reacquiring = syscall_exits_reacquiring(rec)

    for i in range(n):
        t, k, m, p = times[i], kinds[i], ms[i], ps[i]
        if k == k_start:
            if p not in p_open and p >= 0:        # held since before the window
                p_open[p] = (m, t0)
            g_open[m] = (goids[i], p, t, reasons[i])
        elif k == k_stop or k == k_block or k == k_end:
            g = goids[i]
            if p not in p_open and p >= 0:        # held since before the window
                p_open[p] = (m, t0)
            _, gp, s0, inh = g_open.pop(m, (g, p, t0, 0))
            if keep_runs:
                runs.append((g, gp, m, s0, t, k, reasons[i], inh, False, 4 * i))
            if k == k_block:
                b_open[g] = (t, reasons[i])
        elif k == k_create or k == k_unblock:
            g = goids[i]
            if k == k_unblock:
                s0, why = b_open.pop(g, (t0, -1))
                blocked.append((g, s0, t, why, False, 4 * i))
        elif k == k_pstart:
            p_open[p] = (m, t)
            g = pending_run.pop(m, None)
            if g is not None:                     # back from a syscall / procresize
                out.resumes[i] = g
                g_open[m] = (g, p, t, 0)
        elif k == k_pstop:
            if m in g_open:
                # procresize destroys the GOMAXPROCS caller's P: it goes on on another
                g, gp, s0, inh = g_open.pop(m)
                if keep_runs:
                    runs.append((g, gp, m, s0, t, k, 0, inh, False, 4 * i))
                pending_run[m] = g
            _, s0 = p_open.pop(p, (m, t0))
            if keep_procs:
                held.append((p, m, s0, t, False, False, 4 * i + 1))
        elif k == k_sysbegin:
            g = goids[i]
            if p not in p_open and p >= 0:        # held since before the window
                p_open[p] = (m, t0)
            _, gp, s0, inh = g_open.pop(m, (g, p, t0, 0))
            if keep_runs:
                runs.append((g, gp, m, s0, t, k, 0, inh, False, 4 * i))
            sys_open[m] = (g, p, t)
        elif k == k_sysend:
            g = goids[i]
            _, sp, s0 = sys_open.pop(m, (g, p if reasons[i] == 0 else -1, t0))
            if reasons[i] == 0:                   # the P stayed: the G runs on at once
                calls.append((g, sp, m, s0, t, SYS_END, False, 4 * i))
                g_open[m] = (g, p, t, 0)
            else:
                calls.append((g, sp, m, s0, t, SYS_END_BLOCKED, False, 4 * i))
                if i in reacquire:
                    pending_run[m] = g            # runs on when its M gets a P
        elif k == k_psteal:
            victim = argv[i]
            sc = sys_open.get(victim)
            if sc is not None and sc[1] == p:
                calls.append((sc[0], p, victim, sc[2], t, SYS_P_TAKEN, False, 4 * i))
                sys_open[victim] = (sc[0], -1, t)
            hm, s0 = p_open.pop(p, (victim, t0))
            if keep_procs:
                held.append((p, hm, s0, t, False, True, 4 * i + 1))
            # who took it: the events at the same time tell (runtime/proc.go)
            prev = i - 1 if i > 0 and times[i - 1] == t else -1
            if prev >= 0 and kinds[prev] == k_sysbegin and ms[prev] == victim:
                thief, how = victim, STEAL_OWN       # entersyscallHandleGCWait
            elif prev >= 0 and kinds[prev] == k_sysend and reasons[prev] == 1 \
                    and ms[prev] != victim:
                thief, how = ms[prev], STEAL_EXITSYSCALL   # exitsyscallTryGetP: the old P
            elif stw_open is not None and stw_open[3] == t:
                thief, how = stw_open[1], STEAL_STW       # stopTheWorldWithSema
            else:
                thief, how = -1, STEAL_RETAKE             # sysmon's retake
            rows["proc_steals"].append((t, p, victim, thief, how, 4 * i + 2))
        elif k == k_stwbegin:
            goid = g_open[m][0] if m in g_open else 0
            stw_open = (reasons[i], m, goid, t)
        elif k == k_stwend:
            kd, sm, goid, s0 = stw_open or (reasons[i], m, 0, t0)
            rows["stw"].append((kd, sm, goid, s0, t, False, 4 * i))
            stw_open = None
        elif k == k_gcbegin:
            gc_open = (argv[i], t)
        elif k == k_gcend:
            cyc, s0 = gc_open or (argv[i], t0)
            rows["gc"].append((cyc, s0, t, False, 4 * i))
            gc_open = None
        elif k == k_procs:
            rows["procs_changes"].append((t, argv[i], 4 * i))
        elif k == k_steal:
            if keep_steals:
                rows["steals"].append((t, p, argv[i], reasons[i], 4 * i))
    # close what is still open when the recording ends
    for m, (g, gp, s0, inh) in g_open.items():
        runs.append((g, gp, m, s0, tend, -1, 0, inh, True, next(closing)))
    for p, (m, s0) in p_open.items():
        held.append((p, m, s0, tend, True, False, next(closing)))
    for m, (g, sp, s0) in sys_open.items():
        calls.append((g, sp, m, s0, tend, SYS_OPEN, True, next(closing)))
    if stw_open is not None:
        kd, sm, goid, s0 = stw_open
        rows["stw"].append((kd, sm, goid, s0, tend, True, next(closing)))
    if gc_open is not None:
        rows["gc"].append((gc_open[0], gc_open[1], tend, True, next(closing)))
    for g, (s0, why) in b_open.items():
        blocked.append((g, s0, tend, why, True, next(closing)))
    for name, r in rows.items():
        if r and name in want:
            setattr(out, name, np.array(r, dtype=DTYPES[name]))
    if "states" in want:
        out.states = _states(rec, out.resumes)
    out.start, out.end, out.nseq = t0, tend, next(closing)
    return out


def _states(rec, resumes: dict) -> np.ndarray:
    """The states table, from the event kinds (no Python per event): what each event makes
    of its goroutine, plus the ProcStarts that resume one; prev is the same goroutine's
    previous state (0 before its first).  seq puts a change after the row its event closed
    (a run, a call, a blocked span), as the replay's loop numbers them."""
    k, goid, n = rec["kind"], rec["goid"], len(rec)
    st = np.full(n, -1, np.int32)
    after = np.zeros(n, np.int64)                 # 1: the event closed a row first
    for name, state, closes in (("GoStart", G_RUNNING, 0), ("GoCreate", G_RUNNABLE, 0),
                                ("GoUnblock", G_RUNNABLE, 1), ("GoStop", G_RUNNABLE, 1),
                                ("GoBlock", G_WAITING, 1), ("GoEnd", 0, 1),
                                ("GoSyscallBegin", G_SYSCALL, 1)):
        sel = k == kind(name)
        st[sel], after[sel] = state, closes
    sysend = k == kind("GoSyscallEnd")
    st[sysend] = np.where(rec["reason"][sysend] == 0, G_RUNNING, G_RUNNABLE)
    after[sysend] = 1
    idx = np.nonzero(st >= 0)[0]
    ri = np.fromiter(resumes.keys(), np.int64, len(resumes))
    out = np.zeros(len(idx) + len(ri), DTYPES["states"])
    out["time"] = np.concatenate([rec["time"][idx], rec["time"][ri]])
    out["goid"] = np.concatenate([goid[idx], np.fromiter(resumes.values(), np.int64, len(ri))])
    out["state"] = np.concatenate([st[idx], np.full(len(ri), G_RUNNING, np.int32)])
    out["seq"] = np.concatenate([4 * idx + after[idx], 4 * ri])
    out = out[np.argsort(out["seq"], kind="stable")]
    by_g = np.argsort(out["goid"], kind="stable")  # each goroutine's changes, in order
    g_sorted = out["goid"][by_g]
    prev = np.zeros(len(out), np.int32)
    same = np.nonzero(g_sorted[1:] == g_sorted[:-1])[0]
    prev[by_g[same + 1]] = out["state"][by_g[same]]
    out["prev"] = prev
    return out
