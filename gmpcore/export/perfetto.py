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

from ._common import (FuncTable, KIND, clock_ghz, goroutine_functions, trace_records,
                      wait_reason_name)
from .gotrace import STOP_REASONS

__all__ = ["write_perfetto", "chrome_trace_events", "PID_PROCS", "PID_THREADS", "PID_SCHED"]

PID_PROCS, PID_THREADS, PID_SCHED = 1, 2, 3


def _json_events(res) -> tuple[list[str], dict]:
    """The trace events as JSON strings, in file order (by time; at one time an enclosing
    slice before those it encloses, as Perfetto's importer needs), and a summary."""
    ghz = clock_ghz(res)
    us = 1.0 / (ghz * 1000.0)                    # cycles -> microseconds
    funcs = FuncTable.of(res)
    gfn = {g: funcs.go_name(fn) for g, fn in goroutine_functions(res, funcs).items()} \
        if funcs is not None else {}
    from .. import _engine
    stop_names = {**STOP_REASONS, **getattr(_engine, "STOP_REASONS", {})}
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

    n = len(rec)
    nslices = {"goroutine": 0, "proc": 0}
    flows = 0
    ncounter = 0
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
        g_state: dict[int, int] = {}             # goid -> 1 runnable, 2 running, 4 waiting
        counts = {1: 0, 2: 0, 4: 0}
        last_counter = [-1, None]                # (time, index in out)

        def held(p, m, start, end, is_open=False):
            # the P-held interval, on the P's track and on the M's track
            a, d = f"{start * us:.3f}", f"{(end - start) * us:.3f}"
            o = ',"open":true' if is_open else ""
            out.append((start, start - end, len(out),
                        f'{{"name":"M{m}","cat":"proc","ph":"X","pid":{PID_PROCS},"tid":{p},'
                        f'"ts":{a},"dur":{d},"args":{{"m":{m}{o}}}}}'))
            out.append((start, start - end, len(out),
                        f'{{"name":"P{p}","cat":"proc","ph":"X","pid":{PID_THREADS},"tid":{m},'
                        f'"ts":{a},"dur":{d},"args":{{"p":{p}{o}}}}}'))
            nslices["proc"] += 1

        def run(goid, p, m, start, end, how, inherited, is_open=False):
            a, d = f"{start * us:.3f}", f"{(end - start) * us:.3f}"
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
            if last_counter[0] == t:
                j = last_counter[1]
                out[j] = out[j][:3] + (text,)
            else:
                last_counter[0], last_counter[1] = t, len(out)
                out.append((t, 0, len(out), text))

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
            elif k == k_pstop:
                if m in g_open:                   # (never: a P is released with no G)
                    g, gp, s0, inh = g_open.pop(m)
                    run(g, gp, m, s0, t, "?", inh)
                _, s0 = p_open.pop(p, (m, t0))
                m_open.pop(m, None)
                held(p, m, s0, t)
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
            "steal_flows": flows, "counter_samples": ncounter, "trace_lost": int(res.trace_lost)}
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
