"""Perfetto / chrome://tracing export (Chrome Trace Event JSON).

    res = gmpcore.run(prog, procs=4, trace=True, schedtrace_ms=0.01)
    res.write_perfetto("run.json")           # open in ui.perfetto.dev or chrome://tracing
    res.write_perfetto("run.json.gz")        # gzip-compressed (both viewers read it)

Layout (the same one ``go tool trace`` uses, plus the emulator's own counters):

    process "Procs"      one track per P ("Proc N"): a slice "M<m>" while M m holds the P,
                         and inside it one slice per goroutine run ("G<goid>", args: function,
                         M, how the run ended, whether it inherited the time slice)
    process "Threads"    one track per M ("M N"): a slice "P<p>" while it holds P p, with the
                         same goroutine slices inside
    process "Scheduler"  counters: goroutines running / runnable / waiting (from the events);
                         and from the sampler (run(..., schedtrace_ms= or sample_every_ns=)):
                         each P's run queue, the global queue, idle Ps, spinning and idle Ms,
                         live goroutines
    steals               a flow arrow from the victim P's track to the thief P's track, plus
                         an instant "steal" on the thief's track (args: victim, Gs taken)
    system calls         a slice "syscall" on the M's track (args: goroutine, function, P,
                         how it ended) and, while the M keeps its P, on the P's track; the
                         goroutine's run slice ends where the call begins and a new one starts
                         where it runs again (at once after GoSyscallEnd; when its M gets a P
                         back after GoSyscallEndBlocked; else at its next GoStart).  When the P
                         is taken during the call (ProcSteal: sysmon's retake, a stop-the-world,
                         another thread leaving its syscall) the slices end there, the P-held
                         slice too (arg "taken"), an instant "ProcSteal" marks the P's track,
                         and the call goes on as a second "syscall" slice on the M's track
                         (arg p = -1); the counter "Syscalls" counts the Ms in the kernel (a
                         G in a call is none of the "Goroutines" counter's running / runnable /
                         waiting, as in go tool trace)
    process "Runtime"    (runs with GC or GOMAXPROCS pauses) a track "GC" with one slice per
                         GC cycle (GCBegin to GCEnd, arg cycle) and a track "Stop-the-world"
                         with one slice per pause, named as go tool trace names them
                         ("stop-the-world (GC sweep termination)", ... "(GOMAXPROCS)"; args:
                         the stopper's M and, for GOMAXPROCS, its goroutine)
    GOMAXPROCS           a counter in "Scheduler": its value where the recording begins (when
                         known) and at every procresize (ProcsChange)

Slices and arrows come from the recorded events (run(..., trace=...)); the counters from the
samples.  Timestamps are emulated time (microseconds in the file, ``displayTimeUnit`` ns).
A slice that is still open when the recording ends is closed there (arg ``open``); one that
began before a trace window starts at the window's first event.

JSON costs about 100 bytes per event; Perfetto's UI handles a few million events.  Record a
window (run(trace_window=...)) for bigger runs.
"""
from __future__ import annotations

import gzip
import json
import os

import numpy as np

from ._common import (G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, STW_GOMAXPROCS, FuncTable,
                      clock_ghz, goroutine_functions, stw_kind_name, trace_records)
from .intervals import SYSCALL_ENDS, intervals, run_end_name

__all__ = ["write_perfetto", "chrome_trace_events", "PID_PROCS", "PID_THREADS", "PID_SCHED",
           "PID_RUNTIME", "TID_GC", "TID_STW"]

PID_PROCS, PID_THREADS, PID_SCHED, PID_RUNTIME = 1, 2, 3, 4
TID_GC, TID_STW = 0, 1                           # the tracks of process "Runtime"


def _json_events(res) -> tuple[list[str], dict]:
    """The trace events as JSON strings, in file order (by time; at one time an enclosing
    slice before those it encloses, as Perfetto's importer needs), and a summary."""
    ghz = clock_ghz(res)
    us = 1.0 / (ghz * 1000.0)                    # cycles -> microseconds
    funcs = FuncTable.of(res)
    gfn = {g: funcs.go_name(fn) for g, fn in goroutine_functions(res, funcs).items()}
    dumps = json.dumps
    rec = trace_records(res)
    iv = intervals(res)
    procs = set(range(int(res.summary.get("procs", 0))))
    procs.update(np.unique(rec["p"][rec["p"] >= 0]).tolist())
    procs.update(iv.steals["victim"].tolist())
    threads = set(np.unique(rec["m"][rec["m"] >= 0]).tolist())

    # (time in cycles, -duration, seq, part, JSON text): sorted at the end.  seq is the
    # replay's row order, so that ties keep the order of the events.
    out: list[tuple] = []
    add = out.append

    def span(start, end):
        # "ts" and "dur" from the rounded ends, so that a slice that starts where another
        # ends does not overlap it by a rounding error
        a, b = round(start * us * 1000), round(end * us * 1000)
        return f"{a / 1000:.3f}", f"{(b - a) / 1000:.3f}"

    def opened(is_open):
        return ',"open":true' if is_open else ""

    if len(rec) and iv.gomaxprocs_at_start is not None:
        add((iv.start, 0, -1, 0, _gomaxprocs(iv.start * us, iv.gomaxprocs_at_start)))
    # goroutine runs: on the P's track (with args) and on the M's
    for g, p, m, start, end, ek, er, inh, is_open, sq in iv.runs.tolist():
        a, d = span(start, end)
        args = (f'{{"goid":{g},"func":{dumps(gfn.get(g, "unknown"))},"p":{p},"m":{m},'
                f'"end":{dumps(run_end_name(ek, er))},'
                f'"inherited_timeslice":{"true" if inh else "false"}{opened(is_open)}}}')
        add((start, start - end, sq, 0,
             f'{{"name":"G{g}","cat":"goroutine","ph":"X","pid":{PID_PROCS},"tid":{p},'
             f'"ts":{a},"dur":{d},"args":{args}}}'))
        add((start, start - end, sq, 1,
             f'{{"name":"G{g}","cat":"goroutine","ph":"X","pid":{PID_THREADS},"tid":{m},'
             f'"ts":{a},"dur":{d}}}'))
    # an M holding a P, on the P's track and on the M's
    for p, m, start, end, is_open, taken, sq in iv.procs.tolist():
        a, d = span(start, end)
        o = opened(is_open) + (',"taken":true' if taken else "")
        add((start, start - end, sq, 0,
             f'{{"name":"M{m}","cat":"proc","ph":"X","pid":{PID_PROCS},"tid":{p},'
             f'"ts":{a},"dur":{d},"args":{{"m":{m}{o}}}}}'))
        add((start, start - end, sq, 1,
             f'{{"name":"P{p}","cat":"proc","ph":"X","pid":{PID_THREADS},"tid":{m},'
             f'"ts":{a},"dur":{d},"args":{{"p":{p}{o}}}}}'))
    # system calls on the M's track, and on the P's while the M holds it (p >= 0)
    for g, p, m, start, end, ek, is_open, sq in iv.syscalls.tolist():
        a, d = span(start, end)
        args = (f'{{"goid":{g},"func":{dumps(gfn.get(g, "unknown"))},"p":{p},'
                f'"m":{m},"end":{dumps(SYSCALL_ENDS[ek])}{opened(is_open)}}}')
        add((start, start - end, sq, 0,
             f'{{"name":"syscall","cat":"syscall","ph":"X","pid":{PID_THREADS},'
             f'"tid":{m},"ts":{a},"dur":{d},"args":{args}}}'))
        if p >= 0:
            add((start, start - end, sq, 1,
                 f'{{"name":"syscall","cat":"syscall","ph":"X","pid":{PID_PROCS},'
                 f'"tid":{p},"ts":{a},"dur":{d},"args":{args}}}'))
    for t, p, m, _thief, _how, sq in iv.proc_steals.tolist():
        add((t, 0, sq, 0,
             f'{{"name":"ProcSteal","cat":"proc","ph":"i","s":"t","pid":{PID_PROCS},'
             f'"tid":{p},"ts":{t * us:.3f},"args":{{"from_m":{m}}}}}'))

    # process "Runtime": stop-the-world pauses and GC cycles
    def runtime_slice(tid, name, cat, start, end, args, is_open, sq):
        a, d = span(start, end)
        if is_open:
            args = {**args, "open": True}
        add((start, start - end, sq, 0,
             f'{{"name":{dumps(name)},"cat":"{cat}","ph":"X","pid":{PID_RUNTIME},'
             f'"tid":{tid},"ts":{a},"dur":{d},"args":{dumps(args)}}}'))

    for kd, sm, g, start, end, is_open, sq in iv.stw.tolist():
        args = {"kind": stw_kind_name(kd), "m": sm}
        if kd == STW_GOMAXPROCS:
            args["goid"] = g
        else:
            args["stopper"] = "GC controller"
        runtime_slice(TID_STW, f"stop-the-world ({stw_kind_name(kd)})", "stw", start, end,
                      args, is_open, sq)
    for cyc, start, end, is_open, sq in iv.gc.tolist():
        runtime_slice(TID_GC, "GC", "gc", start, end, {"cycle": cyc}, is_open, sq)
    for t, v, sq in iv.procs_changes.tolist():
        add((t, 0, sq, 0, _gomaxprocs(t * us, v)))
    # steals: a flow arrow from the victim's track to the thief's, and an instant
    for flow, (t, p, victim, nstolen, sq) in enumerate(iv.steals.tolist(), 1):
        ts = f"{t * us:.3f}"
        add((t, 0, sq, 0, f'{{"name":"steal","cat":"steal","ph":"s","id":{flow},'
                          f'"pid":{PID_PROCS},"tid":{victim},"ts":{ts}}}'))
        add((t, 0, sq, 1, f'{{"name":"steal","cat":"steal","ph":"f","bp":"e","id":{flow},'
                          f'"pid":{PID_PROCS},"tid":{p},"ts":{ts}}}'))
        add((t, 0, sq, 2, f'{{"name":"steal","cat":"steal","ph":"i","s":"t","pid":{PID_PROCS},'
                          f'"tid":{p},"ts":{ts},"args":{{"victim":{victim},"n":{nstolen}}}}}'))

    # the "Goroutines" and "Syscalls" counters, as go tool trace draws them: one value per
    # time (a later change at the same time replaces the earlier one)
    def counter(last, t, sq, text):
        if last[0] == t:
            j = last[1]
            out[j] = out[j][:4] + (text,)
        else:
            last[0], last[1] = t, len(out)
            add((t, 0, sq, 0, text))

    counts = {G_RUNNABLE: 0, G_RUNNING: 0, G_SYSCALL: 0, G_WAITING: 0}
    last_g, last_sys = [-1, None], [-1, None]
    for t, _g, prev, st, sq in iv.states.tolist():
        if prev in counts:
            counts[prev] -= 1
        if st:
            counts[st] += 1
        counter(last_g, t, sq,
                f'{{"name":"Goroutines","ph":"C","pid":{PID_SCHED},"tid":0,'
                f'"ts":{t * us:.3f},"args":{{"running":{counts[G_RUNNING]},'
                f'"runnable":{counts[G_RUNNABLE]},"waiting":{counts[G_WAITING]}}}}}')
        if prev == G_SYSCALL or st == G_SYSCALL:       # (go tool trace: Threads InSyscall)
            counter(last_sys, t, sq,
                    f'{{"name":"Syscalls","ph":"C","pid":{PID_SCHED},"tid":0,'
                    f'"ts":{t * us:.3f},"args":{{"in_syscall":{counts[G_SYSCALL]}}}}}')

    # sampled counters (after every event row: they sort by time alone)
    samples = res.sample_records
    ncounter = 0
    if samples is not None and len(samples):
        runq = res.sample_runq
        np_ = runq.shape[1]
        for j, (t, r) in enumerate(zip(samples["time"].tolist(), samples.tolist())):
            rec_ = dict(zip(samples.dtype.names, r))
            ts = f"{t * us:.3f}"
            q = ",".join(f'"P{p}":{int(runq[j, p])}' for p in range(np_))
            head = f'"ph":"C","pid":{PID_SCHED},"tid":0,"ts":{ts}'
            for part, text in enumerate((
                    f'{{"name":"runq",{head},"args":{{{q},"global":{rec_["runqsize"]}}}}}',
                    f'{{"name":"Ps",{head},"args":{{"idle":{rec_["npidle"]}}}}}',
                    f'{{"name":"Ms",{head},"args":{{"spinning":{rec_["nmspinning"]},'
                    f'"idle":{rec_["nmidle"]},"threads":{rec_["threads"]}}}}}',
                    f'{{"name":"Goroutines (sampled)",{head},"args":{{"live":{rec_["live"]}}}}}')):
                add((t, 0, iv.nseq + j, part, text))
            ncounter += 4

    out.sort()
    meta = [
        {"name": "process_name", "ph": "M", "pid": PID_PROCS, "args": {"name": "Procs"}},
        {"name": "process_sort_index", "ph": "M", "pid": PID_PROCS, "args": {"sort_index": 1}},
        {"name": "process_name", "ph": "M", "pid": PID_THREADS, "args": {"name": "Threads"}},
        {"name": "process_sort_index", "ph": "M", "pid": PID_THREADS, "args": {"sort_index": 2}},
        {"name": "process_name", "ph": "M", "pid": PID_SCHED, "args": {"name": "Scheduler"}},
        {"name": "process_sort_index", "ph": "M", "pid": PID_SCHED, "args": {"sort_index": 0}},
    ]
    if len(iv.stw) or len(iv.gc):
        meta += [
            {"name": "process_name", "ph": "M", "pid": PID_RUNTIME, "args": {"name": "Runtime"}},
            {"name": "process_sort_index", "ph": "M", "pid": PID_RUNTIME,
             "args": {"sort_index": 0}},
            {"name": "thread_name", "ph": "M", "pid": PID_RUNTIME, "tid": TID_GC,
             "args": {"name": "GC"}},
            {"name": "thread_name", "ph": "M", "pid": PID_RUNTIME, "tid": TID_STW,
             "args": {"name": "Stop-the-world"}},
        ]
    for p in sorted(procs):
        meta.append({"name": "thread_name", "ph": "M", "pid": PID_PROCS, "tid": p,
                     "args": {"name": f"Proc {p}"}})
        meta.append({"name": "thread_sort_index", "ph": "M", "pid": PID_PROCS, "tid": p,
                     "args": {"sort_index": p}})
    for m in sorted(threads):
        meta.append({"name": "thread_name", "ph": "M", "pid": PID_THREADS, "tid": m,
                     "args": {"name": f"M{m}"}})
        meta.append({"name": "thread_sort_index", "ph": "M", "pid": PID_THREADS, "tid": m,
                     "args": {"sort_index": m}})
    info = {"events": len(out), "procs": len(procs), "threads": len(threads),
            "goroutine_slices": len(iv.runs), "proc_slices": len(iv.procs),
            "steal_flows": len(iv.steals), "counter_samples": ncounter,
            "trace_lost": int(res.trace_lost), "syscall_slices": len(iv.syscalls),
            "stw_slices": len(iv.stw), "gc_slices": len(iv.gc),
            "gomaxprocs_changes": len(iv.procs_changes)}
    return [json.dumps(e, separators=(",", ":")) for e in meta] + [e[4] for e in out], info


def _gomaxprocs(ts_us: float, procs: int) -> str:
    return (f'{{"name":"GOMAXPROCS","ph":"C","pid":{PID_SCHED},"tid":0,"ts":{ts_us:.3f},'
            f'"args":{{"procs":{procs}}}}}')


def chrome_trace_events(res) -> tuple[list[dict], dict]:
    """The trace events (a list of dicts in Chrome's Trace Event Format) and a summary.
    (For small runs and tests: write_perfetto writes the same events without building
    dicts.)"""
    texts, info = _json_events(res)
    return [json.loads(t) for t in texts], info


def write_perfetto(res, path, *, format: str | None = None) -> dict:
    """Write the run as a Chrome Trace Event JSON file that Perfetto (ui.perfetto.dev) and
    chrome://tracing open.  A path ending in ".gz" is gzip-compressed.  Returns a summary:
    events, procs, threads, goroutine_slices, proc_slices, steal_flows, counter_samples.

    format: "json" (default).  (Perfetto's protobuf format is not written.)
    """
    fmt = format or "json"
    if fmt != "json":
        raise ValueError(f"format must be 'json', got {format!r}")
    texts, info = _json_events(res)
    other = json.dumps({"generator": "gmpcore", "clock_ghz": clock_ghz(res),
                        "strategy": str(res.summary.get("strategy")),
                        "procs": int(res.summary.get("procs", 0)),
                        "trace_lost": int(res.trace_lost)}, separators=(",", ":"))
    path = os.fspath(path)
    tmp = path + ".tmp"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(tmp, "wt", encoding="utf-8") as f:
        f.write('{"displayTimeUnit":"ns","otherData":' + other + ',"traceEvents":[\n')
        for j in range(0, len(texts), 4096):
            chunk = texts[j:j + 4096]
            f.write(",\n".join(chunk))
            if j + 4096 < len(texts):
                f.write(",\n")
        f.write("\n]}\n")
    os.replace(tmp, path)
    info["path"] = path
    info["bytes"] = os.path.getsize(path)
    return info
