"""GODEBUG=schedtrace=N / scheddetail=1 output, at emulated time.

    res = gmpcore.run(prog, procs=4, schedtrace_ms=1)
    print(res.schedtrace())                     # one SCHED line per sample
    res = gmpcore.run(prog, procs=4, schedtrace_ms=1, scheddetail=True)
    print(res.schedtrace())                     # + P, M and G lines per sample

The lines follow golang/go src/runtime/proc.go ``func schedtrace`` (Go 1.25+ shape by default):

    SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=1 spinningthreads=0 needspinning=0 idlethreads=0 runqueue=0 [ 0 0 ] schedticks=[ 0 0 ]

Go's rules, as the engine's sampler applies them: the first line is at 0 ms and one follows
every period, while anything can still happen; ``SCHED <n>ms`` is the emulated time since the
first line, truncated to whole ms; the bracket holds each P's ring length ``runqtail -
runqhead`` (``runnext`` is not counted); ``schedticks`` counts the executes that did not
inherit a time slice.  ``threads`` is the engine's ``mcount()``: every M the emulation
created (real Go's also counts sysmon and the template thread, if any).

``SCHEDTRACE_RE`` matches the summary line of every Go version (and ours), and
``parse_schedtrace`` turns real or emulated output into records, so the two can be compared.

``schedtrace(res, metrics=True)`` appends the seed article's section 4.2 metrics to each
summary line, over the interval since the previous line (docs/observability.md)::

    ... schedticks=[ 36 170 ] | runnable=1172 midle=0.000 punparks=0 punpark=-us gwait=8.2ms gwaitp=8.2ms

``runnable``: Gs runnable at the sample (global + local + in hand); ``midle``: the share of the
scheduler threads' time parked idle; ``punparks`` / ``punpark``: Ps acquired after an idle
spell and their mean spell (pidleput -> acquirep; ``-`` if none); ``gwait`` / ``gwaitp``:
G-time spent runnable, and its part with no idle P (waiting for a P), in ms.  Go prints no
such fields: the text after `` | `` is gmpcore's.
"""
from __future__ import annotations

import re

import numpy as np

from ._common import wait_reason_name

__all__ = ["schedtrace", "schedtrace_lines", "parse_schedtrace", "SCHEDTRACE_RE",
           "SCHEDDETAIL_P_RE", "SCHEDDETAIL_M_RE", "SCHEDDETAIL_G_RE", "GO_VERSIONS"]

#: the summary line of every Go version: <= 1.19 (no needspinning, "[0 0]"), 1.20-1.24
#: ("[0 0]"), 1.25+ ("[ 0 0 ] schedticks=[ 0 0 ]") and the scheddetail header (whose
#: nmidlelocked can be transiently negative in real output)
SCHEDTRACE_RE = re.compile(
    r"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+)"
    r"(?: needspinning=(\d+))? idlethreads=(\d+) runqueue=(\d+)"
    r"(?: gcwaiting=(\S+) nmidlelocked=(-?\d+) stopwait=(-?\d+) sysmonwait=(\S+))?"
    r"(?: \[ ?([\d ]*?) ?\])?(?: schedticks=\[ ?([\d ]*?) ?\])?"
    # gmpcore's 4.2 metrics (schedtrace(metrics=True)); Go prints none of this
    r"(?: \| runnable=(\d+) midle=([\d.]+) punparks=(\d+) punpark=([\d.]+|-)us"
    r" gwait=([\d.]+)ms gwaitp=([\d.]+)ms)?$")

#: scheddetail lines (two leading spaces), current Go
SCHEDDETAIL_P_RE = re.compile(
    r"^  P(\d+): status=(\d+) schedtick=(\d+) syscalltick=(\d+) m=(\d+|nil) runqsize=(\d+) "
    r"gfreecnt=(\d+) timerslen=(\d+)$")
SCHEDDETAIL_M_RE = re.compile(
    r"^  M(\d+): p=(\d+|nil) curg=(\d+|nil) mallocing=(-?\d+) throwing=(-?\d+) preemptoff=(.*) "
    r"locks=(-?\d+) dying=(-?\d+) spinning=(true|false) blocked=(true|false) lockedg=(\d+|nil)$")
SCHEDDETAIL_G_RE = re.compile(r"^  G(\d+): status=(\d+)\((.*)\) m=(\d+|nil) lockedm=(\d+|nil)$")

#: line shapes: "1.25" is current Go (1.25 through tip); "1.20" is 1.20-1.24; "1.19" and older
GO_VERSIONS = ("1.25", "1.20", "1.19")


def _ms(cycles: int, ghz: float) -> int:
    # (now - starttime) / 1e6 on integer nanoseconds, as sysmon computes it
    return int(int(cycles / ghz) // 1_000_000)


def _metrics(recs, i, ghz) -> str:
    # the interval since the previous sample (the first: since the start), as
    # Result.timeseries computes it
    r = recs[i]
    prev = recs[i - 1] if i > 0 else None

    def d(k):
        return int(r[k]) - (int(prev[k]) if prev is not None else 0)
    mc, n = d("m_cycles"), d("p_unparks")
    midle = d("m_idle_cycles") / mc if mc > 0 else 0.0
    unpark = f"{d('p_unpark_cycles') / n / ghz / 1e3:.1f}" if n > 0 else "-"
    return (f" | runnable={int(r['runnable'])} midle={midle:.3f} punparks={n} "
            f"punpark={unpark}us gwait={d('g_runnable_cycles') / ghz / 1e6:.1f}ms "
            f"gwaitp={d('g_wait_p_cycles') / ghz / 1e6:.1f}ms")


def _summary(ms, rec, runq, ticks, version, detailed) -> str:
    head = (f"SCHED {ms}ms: gomaxprocs={rec['gomaxprocs']} idleprocs={rec['npidle']} "
            f"threads={rec['threads']} spinningthreads={rec['nmspinning']} ")
    if version != "1.19":
        head += f"needspinning={rec['needspinning']} "
    head += f"idlethreads={rec['nmidle']} runqueue={rec['runqsize']}"
    if detailed:
        # (nmidlelocked, the Ms asleep in stoplockedm, and sysmon's deep sleep are not
        # sampled)
        gcw = "true" if rec["gcwaiting"] else "false"
        return head + f" gcwaiting={gcw} nmidlelocked=0 stopwait={rec['stopwait']} sysmonwait=false"
    n = int(rec["gomaxprocs"])                       # allp after procresize: len == gomaxprocs
    runq, ticks = runq[:n], ticks[:n]
    q = " ".join(str(int(x)) for x in runq)
    if version == "1.25":
        t = "".join(f"{int(x)} " for x in ticks)
        return f"{head} [ {q} ] schedticks=[ {t}]"
    return f"{head} [{q}]"


def _detail(snap) -> list[str]:
    out = []
    procs, threads, gs = snap["procs"], snap["threads"], snap["goroutines"]
    goid = gs["goid"] if len(gs) else np.zeros(0, dtype=np.int64)
    gomaxprocs = int(snap["counters"].get("gomaxprocs", len(procs)))
    for p in procs[:gomaxprocs]:                  # allp: the Ps GOMAXPROCS keeps
        m = "nil" if p["m"] < 0 else str(int(p["m"]))
        size = (int(p["runqtail"]) - int(p["runqhead"])) % (1 << 32)
        out.append(f"  P{int(p['id'])}: status={int(p['status'])} schedtick={int(p['schedtick'])} "
                   f"syscalltick={int(p['syscalltick'])} m={m} runqsize={size} "
                   f"gfreecnt={int(p['gFreeCount'])} "
                   f"timerslen={int(snap['timerslen'][int(p['id'])]) if 'timerslen' in snap else 0}")
    # LockOSThread: m.lockedg and g.lockedm (the engine keeps the G side in a side table;
    # the M's lockedg names both ends)
    has_locked = "lockedg" in (threads.dtype.names or ())
    lockedm = {int(mp["lockedg"]): int(mp["id"]) for mp in threads
               if has_locked and mp["lockedg"] >= 0}
    for mp in threads[::-1]:                      # allm is a push-front list: newest M first
        p = "nil" if mp["p"] < 0 else str(int(mp["p"]))
        lg = ("nil" if not has_locked or mp["lockedg"] < 0 or mp["lockedg"] >= len(goid)
              else str(int(goid[mp["lockedg"]])))
        g = "nil" if mp["curg"] < 0 else str(int(goid[mp["curg"]]))
        out.append(f"  M{int(mp['id'])}: p={p} curg={g} mallocing=0 throwing=0 preemptoff= "
                   f"locks=0 dying=0 spinning={'true' if mp['spinning'] else 'false'} "
                   f"blocked={'true' if mp['parked'] else 'false'} lockedg={lg}")
    for gi, g in enumerate(gs):                   # forEachG: allgs order, dead Gs included
        m = "nil" if g["m"] < 0 else str(int(g["m"]))
        lm = lockedm.get(gi)
        out.append(f"  G{int(g['goid'])}: status={int(g['status'])}"
                   f"({wait_reason_name(g['waitreason'])}) m={m} "
                   f"lockedm={'nil' if lm is None else lm}")
    return out


def schedtrace_lines(res, detailed: bool | None = None, go_version: str = "1.25",
                     metrics: bool = False) -> list[str]:
    """The schedtrace output of a run as a list of lines (see schedtrace())."""
    if go_version not in GO_VERSIONS:
        raise ValueError(f"go_version must be one of {GO_VERSIONS}, got {go_version!r}")
    recs = res.sample_records
    if recs is None or len(recs) == 0:
        raise ValueError("schedtrace needs samples: run with gmpcore.run(..., schedtrace_ms=N) "
                         "(or sample_every_ns=...)")
    snaps = res.sched_snapshots or []
    if detailed is None:
        detailed = bool(snaps)
    if detailed:
        if len(snaps) != len(recs):
            raise ValueError("scheddetail output needs a P/M/G snapshot per sample: run with "
                             "gmpcore.run(..., schedtrace_ms=N, scheddetail=True)")
        if go_version != "1.25":
            raise ValueError("scheddetail lines are produced in the current Go shape only")
    ghz = float(res.config["clock_ghz"])
    lines = []
    for i, rec in enumerate(recs):
        ms = _ms(int(rec["time"]), ghz)
        line = _summary(ms, rec, res.sample_runq[i], res.sample_ticks[i], go_version, detailed)
        lines.append(line + (_metrics(recs, i, ghz) if metrics else ""))
        if detailed:
            snap = snaps[i]
            if int(snap["time"]) != int(rec["time"]):
                raise ValueError(f"sample {i} and its snapshot disagree on the time "
                                 f"({rec['time']} vs {snap['time']} cycles)")
            lines.extend(_detail(snap))
    return lines


def schedtrace(res, detailed: bool | None = None, go_version: str = "1.25",
               metrics: bool = False) -> str:
    """What ``GODEBUG=schedtrace=N[,scheddetail=1]`` would print for this run, as text.

    detailed    also print the P, M and G lines (scheddetail=1); default: when the run took
                snapshots (run(..., scheddetail=True))
    go_version  "1.25" (current Go, default), "1.20" (1.20-1.24: "[0 0]", no schedticks) or
                "1.19" (no needspinning either)
    metrics     append gmpcore's section 4.2 metrics to each summary line (see the module
                docstring); not Go output
    """
    return "\n".join(schedtrace_lines(res, detailed, go_version, metrics)) + "\n"


def _ints(s):
    return [int(x) for x in s.split()] if s else []


def parse_schedtrace(text: str) -> list[dict]:
    """Parse schedtrace / scheddetail output (real Go's or gmpcore's) into one dict per SCHED
    line: ms, gomaxprocs, idleprocs, threads, spinningthreads, needspinning (None before Go
    1.20), idlethreads, runqueue, runq (list, or None in detailed mode), schedticks (list or
    None), and with scheddetail: procs, threads_detail, goroutines (lists of dicts).  Lines
    written with metrics=True also give "metrics": runnable, midle, punparks, punpark_us
    (None for "-"), gwait_ms, gwaitp_ms (else "metrics" is None).

    Lines that are not schedtrace output (the program's own output) are skipped.
    """
    out = []
    cur = None
    for line in text.splitlines():
        m = SCHEDTRACE_RE.match(line)
        if m:
            g = m.groups()
            cur = {"ms": int(g[0]), "gomaxprocs": int(g[1]), "idleprocs": int(g[2]),
                   "threads": int(g[3]), "spinningthreads": int(g[4]),
                   "needspinning": None if g[5] is None else int(g[5]),
                   "idlethreads": int(g[6]), "runqueue": int(g[7]),
                   "detailed": g[8] is not None,
                   "runq": None if g[12] is None else _ints(g[12]),
                   "schedticks": None if g[13] is None else _ints(g[13]),
                   "metrics": None if g[14] is None else {
                       "runnable": int(g[14]), "midle": float(g[15]), "punparks": int(g[16]),
                       "punpark_us": None if g[17] == "-" else float(g[17]),
                       "gwait_ms": float(g[18]), "gwaitp_ms": float(g[19])},
                   "procs": [], "threads_detail": [], "goroutines": []}
            out.append(cur)
            continue
        if cur is None:
            continue
        m = SCHEDDETAIL_P_RE.match(line)
        if m:
            g = m.groups()
            cur["procs"].append({"id": int(g[0]), "status": int(g[1]), "schedtick": int(g[2]),
                                 "syscalltick": int(g[3]),
                                 "m": None if g[4] == "nil" else int(g[4]),
                                 "runqsize": int(g[5]), "gfreecnt": int(g[6]),
                                 "timerslen": int(g[7])})
            continue
        m = SCHEDDETAIL_M_RE.match(line)
        if m:
            g = m.groups()
            cur["threads_detail"].append({
                "id": int(g[0]), "p": None if g[1] == "nil" else int(g[1]),
                "curg": None if g[2] == "nil" else int(g[2]), "preemptoff": g[5],
                "spinning": g[8] == "true", "blocked": g[9] == "true"})
            continue
        m = SCHEDDETAIL_G_RE.match(line)
        if m:
            g = m.groups()
            cur["goroutines"].append({"goid": int(g[0]), "status": int(g[1]),
                                      "waitreason": g[2],
                                      "m": None if g[3] == "nil" else int(g[3])})
    return out
