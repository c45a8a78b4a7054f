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

from ._common import (FuncTable, KIND, STW_GOMAXPROCS, clock_ghz, gomaxprocs_at_start,
                      goroutine_functions, kind, stw_kind_name, syscall_exits_reacquiring,
                      trace_records, wait_reason_name)
from .gotrace import STOP_REASONS

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
    gfn = {g: funcs.go_name(fn) for g, fn in goroutine_functions(res, funcs).items()} \
        if funcs is not None else {}
    from .. import _engine
    stop_names = {**STOP_REASONS, **_engine.STOP_REASONS}
    dumps = json.dumps

    # (time in cycles, -duration, sequence, JSON text): sorted at the end
    out: list[tuple] = []
    rec = trace_records(res)
    nprocs = int(res.summary.get("procs", 0))
    procs = set(range(nprocs))
    threads: set = set()

    k_create, k_start, k_stop = KIND["GoCreate"], KIND["GoStart"], KIND["GoStop"]
    k_block, k_unblock, k_end = KIND["GoBlock"], KIND["GoUnblock"], KIND["GoEnd"]
    k_pstart, k_pstop, k_steal = KIND["ProcStart"], KIND["ProcStop"], KIND["Steal"]
    k_sysbegin, k_sysend, k_psteal = kind("GoSyscallBegin"), kind("GoSyscallEnd"), kind("ProcSteal")
    k_stwbegin, k_stwend = kind("STWBegin"), kind("STWEnd")
    k_gcbegin, k_gcend, k_procs = kind("GCBegin"), kind("GCEnd"), kind("ProcsChange")

    n = len(rec)
    nslices = {"goroutine": 0, "proc": 0, "syscall": 0, "stw": 0, "gc": 0}
    flows = 0
    ncounter = 0
    nprocs_changes = 0
    runtime_tracks = False
    if n:
        times = rec["time"].tolist()
        kinds = rec["kind"].tolist()
        goids = rec["goid"].tolist()
        argv = rec["arg"].tolist()
        ps = rec["p"].tolist()
        ms = rec["m"].tolist()
        reasons = rec["reason"].tolist()
        t0, tend = times[0], times[-1]
        p_open: dict[int, tuple] = {}            # p -> (m, start)
        m_open: dict[int, tuple] = {}            # m -> (p, start)
        g_open: dict[int, tuple] = {}            # m -> (goid, p, start, inherited)
        g_state: dict[int, int] = {}     # goid -> 1 runnable, 2 running, 3 syscall, 4 waiting
        counts = {1: 0, 2: 0, 3: 0, 4: 0}
        last_counter = [-1, None]                # (time, index in out)
        last_sys_counter = [-1, None]
        sys_open: dict[int, tuple] = {}          # m -> (goid, p held or -1, start)
        pending_run: dict[int, int] = {}         # m -> goid it runs again when it gets a P
        reacquire = syscall_exits_reacquiring(rec)
        stw_open = None                          # (kind, stopper m, goid, start)
        gc_open = None                           # (cycle, start)

        def span(start, end):
            # "ts" and "dur" from the rounded ends, so that a slice that starts where another
            # ends does not overlap it by a rounding error
            a, b = round(start * us * 1000), round(end * us * 1000)
            return f"{a / 1000:.3f}", f"{(b - a) / 1000:.3f}"

        def held(p, m, start, end, is_open=False, taken=False):
            # the P-held interval, on the P's track and on the M's track
            a, d = span(start, end)
            o = (',"open":true' if is_open else "") + (',"taken":true' if taken else "")
            out.append((start, start - end, len(out),
                        f'{{"name":"M{m}","cat":"proc","ph":"X","pid":{PID_PROCS},"tid":{p},'
                        f'"ts":{a},"dur":{d},"args":{{"m":{m}{o}}}}}'))
            out.append((start, start - end, len(out),
                        f'{{"name":"P{p}","cat":"proc","ph":"X","pid":{PID_THREADS},"tid":{m},'
                        f'"ts":{a},"dur":{d},"args":{{"p":{p}{o}}}}}'))
            nslices["proc"] += 1

        def syscall(goid, p, m, start, end, how, is_open=False):
            # the call on the M's track, and on the P's while the M holds it (p >= 0)
            a, d = span(start, end)
            o = ',"open":true' if is_open else ""
            args = (f'{{"goid":{goid},"func":{dumps(gfn.get(goid, "unknown"))},"p":{p},'
                    f'"m":{m},"end":{dumps(how)}{o}}}')
            out.append((start, start - end, len(out),
                        f'{{"name":"syscall","cat":"syscall","ph":"X","pid":{PID_THREADS},'
                        f'"tid":{m},"ts":{a},"dur":{d},"args":{args}}}'))
            if p >= 0:
                out.append((start, start - end, len(out),
                            f'{{"name":"syscall","cat":"syscall","ph":"X","pid":{PID_PROCS},'
                            f'"tid":{p},"ts":{a},"dur":{d},"args":{args}}}'))
            nslices["syscall"] += 1

        def runtime_slice(tid, name, cat, start, end, args, is_open=False):
            a, d = span(start, end)
            if is_open:
                args = {**args, "open": True}
            out.append((start, start - end, len(out),
                        f'{{"name":{dumps(name)},"cat":"{cat}","ph":"X","pid":{PID_RUNTIME},'
                        f'"tid":{tid},"ts":{a},"dur":{d},"args":{dumps(args)}}}'))
            nslices[cat] += 1

        def stw_slice(stw, end, is_open=False):
            kind_, sm, goid, start = stw
            args = {"kind": stw_kind_name(kind_), "m": sm}
            if kind_ == STW_GOMAXPROCS:
                args["goid"] = goid
            else:
                args["stopper"] = "GC controller"
            runtime_slice(TID_STW, f"stop-the-world ({stw_kind_name(kind_)})", "stw", start,
                          end, args, is_open)

        def gc_slice(gc, end, is_open=False):
            runtime_slice(TID_GC, "GC", "gc", gc[1], end, {"cycle": gc[0]}, is_open)

        def run(goid, p, m, start, end, how, inherited, is_open=False):
            a, d = span(start, end)
            o = ',"open":true' if is_open else ""
            inh = "true" if inherited else "false"
            args = (f'{{"goid":{goid},"func":{dumps(gfn.get(goid, "unknown"))},"p":{p},'
                    f'"m":{m},"end":{dumps(how)},"inherited_timeslice":{inh}{o}}}')
            out.append((start, start - end, len(out),
                        f'{{"name":"G{goid}","cat":"goroutine","ph":"X","pid":{PID_PROCS},'
                        f'"tid":{p},"ts":{a},"dur":{d},"args":{args}}}'))
            out.append((start, start - end, len(out),     # (args on the P track's copy)
                        f'{{"name":"G{goid}","cat":"goroutine","ph":"X","pid":{PID_THREADS},'
                        f'"tid":{m},"ts":{a},"dur":{d}}}'))
            nslices["goroutine"] += 1

        def set_state(g, st, t):
            # the "Goroutines" counter, as go tool trace draws it: one value per time
            old = g_state.get(g)
            if old in counts:
                counts[old] -= 1
            if st:
                g_state[g] = st
                counts[st] += 1
            else:
                g_state.pop(g, None)
            text = (f'{{"name":"Goroutines","ph":"C","pid":{PID_SCHED},"tid":0,'
                    f'"ts":{t * us:.3f},"args":{{"running":{counts[2]},'
                    f'"runnable":{counts[1]},"waiting":{counts[4]}}}}}')
            counter(last_counter, t, text)
            if old == 3 or st == 3:              # (go tool trace: Threads InSyscall)
                counter(last_sys_counter, t,
                        f'{{"name":"Syscalls","ph":"C","pid":{PID_SCHED},"tid":0,'
                        f'"ts":{t * us:.3f},"args":{{"in_syscall":{counts[3]}}}}}')

        def counter(last, t, text):
            # one value per time: a later change at the same time replaces the earlier one
            if last[0] == t:
                j = last[1]
                out[j] = out[j][:3] + (text,)
            else:
                last[0], last[1] = t, len(out)
                out.append((t, 0, len(out), text))

        def gomaxprocs(t, v):
            out.append((t, 0, len(out),
                        f'{{"name":"GOMAXPROCS","ph":"C","pid":{PID_SCHED},"tid":0,'
                        f'"ts":{t * us:.3f},"args":{{"procs":{v}}}}}'))

        procs0 = gomaxprocs_at_start(res, rec)
        if procs0 is not None:
            gomaxprocs(t0, procs0)

        for i in range(n):
            t, k, m, p = times[i], kinds[i], ms[i], ps[i]
            if m >= 0:
                threads.add(m)
            if p >= 0:
                procs.add(p)
            if k == k_start:
                if p not in p_open:               # held since before the window
                    p_open[p] = (m, t0)
                    m_open[m] = (p, t0)
                g_open[m] = (goids[i], p, t, reasons[i])
                set_state(goids[i], 2, t)
            elif k == k_stop or k == k_block or k == k_end:
                g = goids[i]
                if p >= 0 and p not in p_open:
                    p_open[p] = (m, t0)
                    m_open[m] = (p, t0)
                _, gp, s0, inh = g_open.pop(m, (g, p, t0, 0))
                if k == k_stop:
                    how, st = "GoStop " + stop_names.get(reasons[i], "unspecified"), 1
                elif k == k_block:
                    how, st = "GoBlock " + wait_reason_name(reasons[i]), 4
                else:
                    how, st = "GoEnd", 0
                run(g, gp, m, s0, t, how, inh)
                set_state(g, st, t)
            elif k == k_create or k == k_unblock:
                set_state(goids[i], 1, t)
            elif k == k_pstart:
                p_open[p] = (m, t)
                m_open[m] = (p, t)
                g = pending_run.pop(m, None)
                if g is not None:                 # back from a syscall / procresize
                    g_open[m] = (g, p, t, 0)
                    set_state(g, 2, t)
            elif k == k_pstop:
                if m in g_open:
                    # procresize destroys the GOMAXPROCS caller's P: it goes on on another
                    g, gp, s0, inh = g_open.pop(m)
                    run(g, gp, m, s0, t, "ProcStop (procresize)", inh)
                    pending_run[m] = g
                _, s0 = p_open.pop(p, (m, t0))
                m_open.pop(m, None)
                held(p, m, s0, t)
            elif k == k_sysbegin:
                g = goids[i]
                if p not in p_open:
                    p_open[p] = (m, t0)
                    m_open[m] = (p, t0)
                _, gp, s0, inh = g_open.pop(m, (g, p, t0, 0))
                run(g, gp, m, s0, t, "GoSyscallBegin", inh)
                sys_open[m] = (g, p, t)
                set_state(g, 3, t)
            elif k == k_sysend:
                g = goids[i]
                _, sp, s0 = sys_open.pop(m, (g, p if reasons[i] == 0 else -1, t0))
                if reasons[i] == 0:
                    syscall(g, sp, m, s0, t, "GoSyscallEnd")
                    g_open[m] = (g, p, t, 0)
                    set_state(g, 2, t)
                else:
                    syscall(g, sp, m, s0, t, "GoSyscallEndBlocked")
                    if i in reacquire:
                        pending_run[m] = g        # runs on when its M gets a P
                    set_state(g, 1, t)
            elif k == k_psteal:
                victim = argv[i]
                sc = sys_open.get(victim)
                if sc is not None and sc[1] == p:
                    syscall(sc[0], p, victim, sc[2], t, "P taken")
                    sys_open[victim] = (sc[0], -1, t)
                hm, s0 = p_open.pop(p, (victim, t0))
                m_open.pop(hm, None)
                held(p, hm, s0, t, taken=True)
                out.append((t, 0, len(out),
                            f'{{"name":"ProcSteal","cat":"proc","ph":"i","s":"t",'
                            f'"pid":{PID_PROCS},"tid":{p},"ts":{t * us:.3f},'
                            f'"args":{{"from_m":{victim}}}}}'))
            elif k == k_stwbegin:
                runtime_tracks = True
                goid = g_open[m][0] if m in g_open else 0
                stw_open = (reasons[i], m, goid, t)
            elif k == k_stwend:
                runtime_tracks = True
                stw_slice(stw_open or (reasons[i], m, 0, t0), t)
                stw_open = None
            elif k == k_gcbegin:
                runtime_tracks = True
                gc_open = (argv[i], t)
            elif k == k_gcend:
                runtime_tracks = True
                gc_slice(gc_open or (argv[i], t0), t)
                gc_open = None
            elif k == k_procs:
                gomaxprocs(t, argv[i])
                nprocs_changes += 1
            elif k == k_steal:
                victim, nstolen = argv[i], reasons[i]
                procs.add(victim)
                flows += 1
                ts = f"{t * us:.3f}"
                out.append((t, 0, len(out),
                            f'{{"name":"steal","cat":"steal","ph":"s","id":{flows},'
                            f'"pid":{PID_PROCS},"tid":{victim},"ts":{ts}}}'))
                out.append((t, 0, len(out),
                            f'{{"name":"steal","cat":"steal","ph":"f","bp":"e","id":{flows},'
                            f'"pid":{PID_PROCS},"tid":{p},"ts":{ts}}}'))
                out.append((t, 0, len(out),
                            f'{{"name":"steal","cat":"steal","ph":"i","s":"t","pid":{PID_PROCS},'
                            f'"tid":{p},"ts":{ts},"args":{{"victim":{victim},"n":{nstolen}}}}}'))
        # close what is still open when the recording ends
        for m, (g, gp, s0, inh) in g_open.items():
            run(g, gp, m, s0, tend, "running at the end", inh, is_open=True)
        for p, (m, s0) in p_open.items():
            held(p, m, s0, tend, is_open=True)
        for m, (g, sp, s0) in sys_open.items():
            syscall(g, sp, m, s0, tend, "in the syscall at the end", is_open=True)
        if stw_open is not None:
            stw_slice(stw_open, tend, is_open=True)
        if gc_open is not None:
            gc_slice(gc_open, tend, is_open=True)

    # sampled counters
    samples = res.sample_records
    if samples is not None and len(samples):
        runq = res.sample_runq
        np_ = runq.shape[1]
        for j, (t, r) in enumerate(zip(samples["time"].tolist(), samples.tolist())):
            rec_ = dict(zip(samples.dtype.names, r))
            ts = f"{t * us:.3f}"
            q = ",".join(f'"P{p}":{int(runq[j, p])}' for p in range(np_))
            head = f'"ph":"C","pid":{PID_SCHED},"tid":0,"ts":{ts}'
            for text in (
                    f'{{"name":"runq",{head},"args":{{{q},"global":{rec_["runqsize"]}}}}}',
                    f'{{"name":"Ps",{head},"args":{{"idle":{rec_["npidle"]}}}}}',
                    f'{{"name":"Ms",{head},"args":{{"spinning":{rec_["nmspinning"]},'
                    f'"idle":{rec_["nmidle"]},"threads":{rec_["threads"]}}}}}',
                    f'{{"name":"Goroutines (sampled)",{head},"args":{{"live":{rec_["live"]}}}}}'):
                out.append((t, 0, len(out), text))
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
    if runtime_tracks:
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
            "goroutine_slices": nslices["goroutine"], "proc_slices": nslices["proc"],
            "steal_flows": flows, "counter_samples": ncounter, "trace_lost": int(res.trace_lost),
            "syscall_slices": nslices["syscall"], "stw_slices": nslices["stw"],
            "gc_slices": nslices["gc"], "gomaxprocs_changes": nprocs_changes}
    return [json.dumps(e, separators=(",", ":")) for e in meta] + [e[3] for e in out], info


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
