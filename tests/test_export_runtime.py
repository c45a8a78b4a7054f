"""The runtime's own events in the exports: system calls (fast path, P retaken by sysmon,
exitsyscallTryGetP, exitsyscallNoP), the netpoller, GC cycles and their stop-the-world pauses,
and GOMAXPROCS changes.

``go tool trace -d=parsed`` is the judge of the Go traces: it must read every one (windows,
caps and small generations included), and the syscall, stop-the-world and GC events it sees
must be the run's (Result.summary: syscalls, syscall_fast, syscall_reacquire, syscall_nop,
stw_count, gc_cycles).  ``-d=wire`` shows the raw events (which thread stole a P).  The
Perfetto JSON must load, nest on every track, and show the calls, pauses and cycles as slices.
Tests that need the Go toolchain are marked ``go`` (they skip without it, except under CI).
"""
from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

import gmpcore as gc
from gmpcore.export import GoTraceError, chrome_trace_events, write_go_trace
from gmpcore.export._common import KIND, syscall_exits_reacquiring
from gmpcore.export.perfetto import PID_PROCS, PID_RUNTIME, PID_SCHED, PID_THREADS
from helpers import MS, US, burst
from test_export import (assert_nested, go_tool, go_tool_trace, kind_count,  # noqa: F401
                         parsed_summary, slices_by_track)



# -- programs ----------------------------------------------------------------------------------
def one_syscall(duration):
    prog = gc.Program()
    main = prog.func("main")
    main.syscall(duration)
    main.compute(10 * US)
    return prog


def syscall_with_queued_work(duration=5 * MS, workers=4):
    """main's P has work while main is in the kernel: sysmon retakes it, a new thread runs the
    workers; main's call returns to an idle P (exitsyscallTryGetP)."""
    prog = gc.Program()
    main = prog.func("main")
    main.go("w", times=workers)
    main.syscall(duration)
    main.compute(10 * US)
    w = prog.func("w")
    w.compute(50 * US)
    return prog


def syscall_takes_its_p_back():
    """main's call loses P0 to the worker's thread, which enters its own call: main's call
    returns and takes P0 back from that thread (setBlockOnExitSyscall + takeP)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 1)
    main.go("w")
    main.syscall(6 * MS)
    main.wg_wait(wg)
    w = prog.func("w")
    w.compute(5 * MS)
    w.syscall(3 * MS)
    w.wg_done(wg)
    return prog


def syscall_without_a_p_to_return_to(procs=2):
    """Every P runs a worker when main's call returns: exitsyscallNoP (the global queue)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, procs)
    main.go("w", times=procs)
    main.syscall(1 * MS)
    main.wg_wait(wg)
    w = prog.func("w")
    w.compute(3 * MS)
    w.wg_done(wg)
    return prog


def network(delays=(300 * US, 100 * US, 200 * US)):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(delays))
    for i in range(len(delays)):
        main.go(f"h{i}")
    main.wg_wait(wg)
    for i, d in enumerate(delays):
        h = prog.func(f"h{i}")
        h.net_wait(d)
        h.compute(20 * US)
        h.wg_done(wg)
    return prog


def gc_workers(nw=4, chunks=40, chunk=120 * US, alloc=0):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, nw)
    main.go("w", times=nw)
    main.wg_wait(wg)
    w = prog.func("w")
    with w.loop(chunks):
        w.compute(chunk)
        if alloc:
            w.alloc(alloc)
    w.wg_done(wg)
    return prog


def gc_during_a_syscall():
    """runtime.GC() while a goroutine is in the kernel: the stopper takes its P at once."""
    prog = gc.Program()
    main = prog.func("main")
    main.go("s")
    main.compute(50 * US)
    main.gc()
    main.compute(5 * MS)
    prog.func("s").syscall(3 * MS)
    return prog


def gomaxprocs_changes(caller_on_p0=True):
    """GOMAXPROCS 4 -> 2 -> 3 from main (on P0: procresize keeps its P), or 4 -> 1 -> 4 from a
    goroutine on another P (procresize destroys the caller's P and moves it to P0)."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    if caller_on_p0:
        main.wg_add(wg, 6)
        main.go("w", times=6)
        main.compute(100 * US)
        main.gomaxprocs(2)
        main.compute(100 * US)
        main.gomaxprocs(3)
        main.wg_wait(wg)
        w = prog.func("w")
        w.compute(300 * US)
        w.wg_done(wg)
    else:
        main.wg_add(wg, 1)
        main.go("s")
        main.compute(1 * MS)
        main.wg_wait(wg)
        s = prog.func("s")
        s.compute(100 * US)
        s.gomaxprocs(1)
        s.compute(100 * US)
        s.gomaxprocs(4)
        s.compute(50 * US)
        s.wg_done(wg)
    return prog


def everything(n=24):
    """Syscalls, the network, allocation-triggered and periodic GC, and GOMAXPROCS changes."""
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("w", times=n)
    main.compute(200 * US)
    main.gomaxprocs(2)
    main.compute(300 * US)
    main.gomaxprocs(6)
    main.wg_wait(wg)
    w = prog.func("w")
    with w.loop(5):
        w.compute(gc.Exponential(60 * US))
        w.syscall(gc.Exponential(80 * US))
        w.alloc(4096)
        w.net_wait(gc.Exponential(50 * US))
    w.wg_done(wg)
    return prog


EVERYTHING_MACHINE = gc.Machine(procs=4, gc_period_ns=300_000, gc_heap_goal_bytes=200_000)
GC_MACHINE = dict(gc_sweepterm_ns=30_000, gc_mark_ns=1_000_000, gc_markterm_ns=80_000)


# -- helpers -----------------------------------------------------------------------------------
def go_trace(go_tool, res, path, gen_events=1 << 20):
    """Write the Go trace, require go tool trace -d=parsed to read it; (info, parsed text)."""
    info = res.write_go_trace(path, gen_events=gen_events)
    p = go_tool_trace(go_tool, path)
    assert p.returncode == 0, p.stderr[-3000:]
    return info, p.stdout


def wire(go_tool, path):
    """The raw events (go tool trace -d=wire): [(batch M, event name, {arg: value})]."""
    p = go_tool_trace(go_tool, path, "-d=wire")
    assert p.returncode == 0, p.stderr[-3000:]
    out, m = [], None
    for line in p.stdout.splitlines():
        f = line.split()
        if not f or "=" in f[0]:
            continue
        args = dict(x.split("=", 1) for x in f[1:] if "=" in x)
        if f[0] == "EventBatch":
            m = int(args["m"])
            continue
        out.append((m, f[0], args))
    return out


def ranges(text):
    """Counter of (RangeBegin/RangeEnd, name) in -d=parsed output."""
    return Counter(re.findall(r' Range(Begin|End) .*?Name="([^"]*)"', text))


def gomaxprocs_metrics(text):
    return [int(v) for v in re.findall(
        r'Name="/sched/gomaxprocs:threads" Value=Value\{Uint64\((\d+)\)\}', text)]


def check_syscall_transitions(res, text, gc_goroutine=None):
    """The syscall transitions go tool trace sees are the run's counters."""
    s = res.summary
    _, _, trans = parsed_summary(text)
    if gc_goroutine is not None:                  # the GC controller's stand-in starts too
        trans[("Runnable", "Running")] -= text.count(f"GoID={gc_goroutine} Runnable->Running")
    assert trans[("Running", "Syscall")] == s["syscalls"] == kind_count(res, "GoSyscallBegin")
    assert trans[("Syscall", "Running")] == s["syscall_fast"]
    assert trans[("Syscall", "Runnable")] == s["syscall_reacquire"] + s["syscall_nop"]
    # every GoStart, plus the restart of each G whose thread got a P when its call returned
    reacquired = len(syscall_exits_reacquiring(res.trace_records))
    assert trans[("Runnable", "Running")] == kind_count(res, "GoStart") + reacquired
    return trans


def perfetto(res, tmp_path, name="run.json"):
    """Write the Perfetto JSON, load it with json, check nesting; (events, info)."""
    path = tmp_path / name
    info = res.write_perfetto(path)
    with open(path) as f:
        doc = json.load(f)
    ev = doc["traceEvents"]
    for _, sl in slices_by_track(ev).items():
        assert_nested(sl)
    return ev, info


def slices(ev, cat, pid=None):
    return [e for e in ev if e["ph"] == "X" and e.get("cat") == cat
            and (pid is None or e["pid"] == pid)]


def counter_values(ev, name):
    return [e["args"] for e in ev if e["ph"] == "C" and e["name"] == name]


# == 1. system calls ===========================================================================
@pytest.mark.go
def test_short_syscall_fast_path(go_tool, tmp_path):
    res = gc.run(one_syscall(10 * US), procs=2, seed=1, trace=True)
    s = res.summary
    assert (s["syscalls"], s["syscall_fast"], s["syscall_retakes"]) == (1, 1, 0)
    path = tmp_path / "fast.trace"
    _, text = go_trace(go_tool, res, path)
    trans = check_syscall_transitions(res, text)
    assert trans[("Syscall", "Runnable")] == 0
    raw = wire(go_tool, path)
    names = Counter(e[1] for e in raw)
    assert names["GoSyscallBegin"] == names["GoSyscallEnd"] == 1
    assert names["ProcSteal"] == names["GoSyscallEndBlocked"] == 0
    # the call is the P's next sequence number (P0 started once: seq 1, the call 2)
    begin = next(a for _, n, a in raw if n == "GoSyscallBegin")
    assert begin["p_seq"] == "2"
    # Perfetto: the call on M0's and P0's tracks; main's run split around it
    ev, info = perfetto(res, tmp_path)
    sc = slices(ev, "syscall")
    assert info["syscall_slices"] == 1
    assert sorted((e["pid"], e["tid"]) for e in sc) == [(PID_PROCS, 0), (PID_THREADS, 0)]
    assert {e["args"]["end"] for e in sc} == {"GoSyscallEnd"}
    assert sc[0]["dur"] == pytest.approx(10, abs=0.5)                       # 10 us in the kernel
    runs = sorted((e for e in slices(ev, "goroutine", PID_PROCS)), key=lambda e: e["ts"])
    assert [e["args"]["end"] for e in runs] == ["GoSyscallBegin", "GoEnd"]
    assert runs[0]["ts"] + runs[0]["dur"] == pytest.approx(sc[0]["ts"], abs=1e-6)
    assert runs[1]["ts"] == pytest.approx(sc[0]["ts"] + sc[0]["dur"], abs=1e-6)
    assert counter_values(ev, "Syscalls") == [{"in_syscall": 1}, {"in_syscall": 0}]


LONG_SYSCALLS = {
    # name: (program, procs, (retakes, reacquire, nop), ProcSteals taken by the returning M)
    "retake": (syscall_with_queued_work, 1, (1, 1, 0), 0),
    "take_back": (syscall_takes_its_p_back, 1, (1, 2, 0), 1),
    "no_p": (syscall_without_a_p_to_return_to, 2, (1, 0, 1), 0),
}


@pytest.mark.go
@pytest.mark.parametrize("name", sorted(LONG_SYSCALLS))
def test_long_syscalls_lose_their_p(go_tool, tmp_path, name):
    make, procs, (retakes, reacquire, nop), taken_back = LONG_SYSCALLS[name]
    res = gc.run(make(), procs=procs, seed=1, trace=True)
    s = res.summary
    assert res.status == "ok" and res.trace_lost == 0
    assert (s["syscall_retakes"], s["syscall_reacquire"], s["syscall_nop"]) == \
           (retakes, reacquire, nop)
    steals = res.trace_records[res.trace_records["kind"] == KIND["ProcSteal"]]
    assert len(steals) == retakes + taken_back
    for gen_events in (1 << 20, 4):            # generation boundaries inside the calls too
        path = tmp_path / f"{name}-{gen_events}.trace"
        info, text = go_trace(go_tool, res, path, gen_events)
        check_syscall_transitions(res, text)
        raw = wire(go_tool, path)
        names = Counter(e[1] for e in raw)
        assert names["GoSyscallEndBlocked"] == reacquire + nop
        assert names["ProcSteal"] == len(steals)
        # sysmon (M1) takes the Ps of calls that last; a returning thread takes its own back
        by = Counter(m for m, n, _ in raw if n == "ProcSteal")
        assert by[1] == retakes
        assert sum(by.values()) - by[1] == taken_back
        victims = sorted(int(a["m"]) for _, n, a in raw if n == "ProcSteal")
        assert victims == sorted(steals["arg"].tolist())
        if gen_events < 1 << 20:
            assert info["generations"] > 3
    # Perfetto: each call ends once; those that lost their P show it as a second slice
    ev, info = perfetto(res, tmp_path)
    sc = slices(ev, "syscall", PID_THREADS)
    ends = Counter(e["args"]["end"] for e in sc)
    assert ends["GoSyscallEnd"] == s["syscall_fast"]
    assert ends["GoSyscallEndBlocked"] == reacquire + nop
    assert ends["P taken"] == len(steals)
    taken = [e for e in ev if e["ph"] == "i" and e["name"] == "ProcSteal"]
    assert sorted(e["args"]["from_m"] for e in taken) == sorted(steals["arg"].tolist())
    held_taken = [e for e in slices(ev, "proc", PID_PROCS) if e["args"].get("taken")]
    assert len(held_taken) == len(steals)
    # goroutine run slices: one per GoStart, plus one per call returning to a running G
    assert info["goroutine_slices"] == kind_count(res, "GoStart") + s["syscall_fast"] + len(
        syscall_exits_reacquiring(res.trace_records))
    assert counter_values(ev, "Syscalls")[-1] == {"in_syscall": 0}
    assert counter_values(ev, "Goroutines")[-1] == {"running": 0, "runnable": 0, "waiting": 0}


@pytest.mark.go
def test_net_wait_blocks_on_the_network(go_tool, tmp_path):
    res = gc.run(network(), procs=2, seed=1, trace=True)
    assert res.summary["netpoll_waits"] == res.summary["netpoll_ready"] == 3
    _, text = go_trace(go_tool, res, tmp_path / "net.trace")
    reasons = Counter(re.findall(r'GoID=\d+ Running->Waiting Reason="([^"]*)"', text))
    assert reasons["network"] == 3
    _, _, trans = parsed_summary(text)
    assert trans[("Waiting", "Runnable")] == kind_count(res, "GoUnblock")
    ev, _ = perfetto(res, tmp_path)
    ends = Counter(e["args"]["end"] for e in slices(ev, "goroutine", PID_PROCS))
    assert ends["GoBlock IO wait"] == 3


# == 2. GC cycles and stop-the-world ===========================================================
GC_CASES = {
    # name: (program, machine, a P taken from a thread in a syscall by the stopper)
    "periodic": (lambda: gc_workers(), gc.Machine(procs=4, gc_period_ns=1_000_000,
                                                  **GC_MACHINE), False),
    "heap_goal": (lambda: gc_workers(alloc=64 << 10),
                  gc.Machine(procs=4, gc_heap_goal_bytes=4 << 20, **GC_MACHINE), False),
    "during_syscall": (gc_during_a_syscall, gc.Machine(procs=2, sysmon=False, **GC_MACHINE),
                       True),
}


@pytest.mark.go
@pytest.mark.parametrize("name", sorted(GC_CASES))
def test_gc_cycles_and_pauses(go_tool, tmp_path, name):
    make, machine, stw_steal = GC_CASES[name]
    # the pauses-only model (runtime.GC() would otherwise get the pacer: tests/test_gc.py)
    res = gc.run(make(), machine=machine, seed=2, trace=True, gc=False)
    s = res.summary
    assert res.status == "ok"
    # cycles begun and ended (main can return during a cycle's concurrent mark, as in Go)
    n, done = kind_count(res, "GCBegin"), s["gc_cycles"]
    assert done >= 1 and n in (done, done + 1)
    assert s["stw_count"] == n + done == kind_count(res, "STWBegin") == kind_count(res, "STWEnd")
    path = tmp_path / f"{name}.trace"
    info, text = go_trace(go_tool, res, path)
    r = ranges(text)
    assert r[("Begin", "GC concurrent mark phase")] == n
    assert r[("End", "GC concurrent mark phase")] == done
    for what in ("Begin", "End"):
        assert r[(what, "stop-the-world (GC sweep termination)")] == n
        assert r[(what, "stop-the-world (GC mark termination)")] == done
        assert sum(v for (w, nm), v in r.items()
                   if w == what and nm.startswith("stop-the-world")) == s["stw_count"]
    # the pauses belong to the stand-in goroutine of the GC controller, on its own P
    gc_g, gc_p = info["gc_goroutine"], info["gc_proc"]
    assert gc_g is not None and gc_p >= machine.procs
    scopes = set(re.findall(r'Name="stop-the-world \([^)]*\)" Scope=Goroutine\((\d+)\)', text))
    assert scopes == {str(gc_g)}
    gor, procs, _ = parsed_summary(text)
    assert gc_g in gor and gc_p in procs
    assert "runtime.gcController" in text
    # the GC events are on the controller's thread, in cycle order
    raw = wire(go_tool, path)
    gc_events = [(m, nm, a) for m, nm, a in raw if nm in ("GCBegin", "GCEnd")]
    assert [int(a["gc_seq"]) for _, _, a in gc_events] == list(range(n + done))
    assert len({m for m, _, _ in gc_events}) == 1
    steals = [(m, a) for m, nm, a in raw if nm == "ProcSteal"]
    if stw_steal:
        assert steals and all(m == gc_events[0][0] for m, _ in steals)
        check_syscall_transitions(res, text, gc_g)
    # small generations: pauses and cycles cut by generation boundaries
    _, text = go_trace(go_tool, res, tmp_path / f"{name}-small.trace", gen_events=5)
    assert ranges(text) == r
    # Perfetto: one slice per cycle and per pause on the Runtime tracks, as long as configured
    ev, pinfo = perfetto(res, tmp_path)
    assert pinfo["gc_slices"] == n and pinfo["stw_slices"] == s["stw_count"]
    gcs, stws = slices(ev, "gc", PID_RUNTIME), slices(ev, "stw", PID_RUNTIME)
    gcs.sort(key=lambda e: e["ts"])
    assert [e["args"]["cycle"] for e in gcs] == list(range(1, n + 1))
    assert [bool(e["args"].get("open")) for e in gcs] == [False] * done + [True] * (n - done)
    kinds = Counter(e["name"] for e in stws)
    assert kinds == {"stop-the-world (GC sweep termination)": n,
                     "stop-the-world (GC mark termination)": done}
    for e in stws:
        pause = GC_MACHINE["gc_sweepterm_ns" if "sweep" in e["name"] else "gc_markterm_ns"]
        assert pause / 1000 <= e["dur"] < pause / 1000 + 50
        assert any(g["ts"] <= e["ts"] and e["ts"] + e["dur"] <= g["ts"] + g["dur"] + 1e-6
                   for g in gcs)                  # each pause inside its cycle
    tracks = {e["args"]["name"] for e in ev
              if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == PID_RUNTIME}
    assert tracks == {"GC", "Stop-the-world"}


# == 3. GOMAXPROCS ==============================================================================
@pytest.mark.go
@pytest.mark.parametrize("caller_on_p0", [True, False])
def test_gomaxprocs_changes(go_tool, tmp_path, caller_on_p0):
    res = gc.run(gomaxprocs_changes(caller_on_p0), procs=4, seed=1, trace=True)
    assert res.status == "ok"
    rec = res.trace_records
    changes = rec["arg"][rec["kind"] == KIND["ProcsChange"]].tolist()
    assert changes == ([2, 3] if caller_on_p0 else [1, 4])
    assert res.summary["stw_count"] == 2 and res.summary["gomaxprocs"] == changes[-1]
    for gen_events in (1 << 20, 3):
        path = tmp_path / f"gomaxprocs-{gen_events}.trace"
        info, text = go_trace(go_tool, res, path, gen_events)
        assert gomaxprocs_metrics(text) == [4] + changes
        r = ranges(text)
        assert r[("Begin", "stop-the-world (GOMAXPROCS)")] == 2
        assert r[("End", "stop-the-world (GOMAXPROCS)")] == 2
        # the caller's own pause (no stand-in goroutine)
        caller = 1 if caller_on_p0 else 2
        assert set(re.findall(r'Name="stop-the-world \(GOMAXPROCS\)" Scope=Goroutine\((\d+)\)',
                              text)) == {str(caller)}
        assert info["gc_goroutine"] is None
        if not caller_on_p0:
            # procresize destroyed the caller's P: "pretend that we were descheduled and then
            # scheduled again" (GoSched, ProcStop, acquirep(P0), GoStart)
            assert re.search(rf'GoID={caller} Running->Runnable Reason="runtime.Gosched"',
                             text)
    ev, info = perfetto(res, tmp_path)
    assert [a["procs"] for a in counter_values(ev, "GOMAXPROCS")] == [4] + changes
    assert info["gomaxprocs_changes"] == 2
    stws = slices(ev, "stw", PID_RUNTIME)
    assert [e["name"] for e in stws] == ["stop-the-world (GOMAXPROCS)"] * 2
    assert {e["args"]["goid"] for e in stws} == {1 if caller_on_p0 else 2}


# == 4. everything at once, windows, caps ======================================================
@pytest.mark.go
def test_everything_windows_and_caps(go_tool, tmp_path):
    res = gc.run(everything(), machine=EVERYTHING_MACHINE, seed=3, trace=True)
    s = res.summary
    assert res.status == "ok" and res.trace_lost == 0
    assert s["syscall_fast"] and s["syscall_reacquire"] and s["syscall_nop"]
    assert s["gc_cycles"] >= 2 and s["netpoll_waits"] > 0
    for gen_events in (1 << 20, 7):
        info, text = go_trace(go_tool, res, tmp_path / f"all-{gen_events}.trace", gen_events)
        check_syscall_transitions(res, text, info["gc_goroutine"])
        r = ranges(text)
        assert sum(v for (w, nm), v in r.items()
                   if w == "Begin" and nm.startswith("stop-the-world")) == s["stw_count"]
        assert r[("End", "GC concurrent mark phase")] == s["gc_cycles"]
        assert r[("Begin", "GC concurrent mark phase")] == kind_count(res, "GCBegin")
        assert gomaxprocs_metrics(text) == [4, 2, 6]
    # the viewer's syscall profile (the time in calls, by the stacks at GoSyscallBegin)
    p = go_tool_trace(go_tool, tmp_path / "all-7.trace", "-pprof=syscall")
    assert p.returncode == 0 and p.stdout, p.stderr[-2000:]
    # recordings that start inside calls, cycles and pauses, or stop in them
    end = s["emulated_ns"]
    rng = np.random.default_rng(7)
    windows = [(float(a), float(a) + float(rng.uniform(20_000, end / 3)))
               for a in rng.uniform(0, end * 0.8, 6)]
    runs = [gc.run(everything(), machine=EVERYTHING_MACHINE, seed=3, trace=True,
                   trace_window=w) for w in windows]
    runs += [gc.run(everything(), machine=EVERYTHING_MACHINE, seed=3, trace=c)
             for c in (300, 2000)]
    for j, r in enumerate(runs):
        for gen_events in (1 << 20, 5):
            go_trace(go_tool, r, tmp_path / f"w{j}-{gen_events}.trace", gen_events)
        ev, _ = perfetto(r, tmp_path, f"w{j}.json")


def test_perfetto_everything(tmp_path):
    res = gc.run(everything(), machine=EVERYTHING_MACHINE, seed=3, trace=True)
    s = res.summary
    ev, info = perfetto(res, tmp_path)
    rec = res.trace_records
    # calls: each ends once on its M's track; the part with the P also on the P's track
    sc = slices(ev, "syscall", PID_THREADS)
    ends = Counter(e["args"]["end"] for e in sc)
    assert ends["GoSyscallEnd"] + ends["GoSyscallEndBlocked"] == s["syscalls"]
    assert ends["GoSyscallEnd"] == s["syscall_fast"]
    assert ends["P taken"] == kind_count(res, "ProcSteal")
    with_p = [e for e in sc if e["args"]["p"] >= 0]
    on_p = slices(ev, "syscall", PID_PROCS)
    assert len(on_p) == len(with_p) == s["syscalls"]       # every call began holding its P
    assert info["syscall_slices"] == len(sc)
    # pauses and cycles
    begun = kind_count(res, "GCBegin")
    assert info["stw_slices"] == s["stw_count"] and info["gc_slices"] == begun
    assert Counter(e["name"] for e in slices(ev, "stw")) == {
        "stop-the-world (GC sweep termination)": begun,
        "stop-the-world (GC mark termination)": s["gc_cycles"],
        "stop-the-world (GOMAXPROCS)": 2}
    # counters
    assert [a["procs"] for a in counter_values(ev, "GOMAXPROCS")] == [4, 2, 6]
    assert all(e["pid"] == PID_SCHED for e in ev if e["ph"] == "C" and e["name"] == "GOMAXPROCS")
    assert counter_values(ev, "Syscalls")[-1] == {"in_syscall": 0}
    assert max(a["in_syscall"] for a in counter_values(ev, "Syscalls")) >= 2
    assert counter_values(ev, "Goroutines")[-1] == {"running": 0, "runnable": 0, "waiting": 0}
    assert info["goroutine_slices"] == kind_count(res, "GoStart") + s["syscall_fast"] + len(
        syscall_exits_reacquiring(rec))
    names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    assert names == {"Procs", "Threads", "Scheduler", "Runtime"}
    # and the same events through chrome_trace_events
    events, _ = chrome_trace_events(res)
    assert len(events) == len(ev)


def test_perfetto_without_pauses_has_no_runtime_process(tmp_path):
    res = gc.run(one_syscall(10 * US), procs=2, seed=1, trace=True)
    ev, info = perfetto(res, tmp_path)
    assert not [e for e in ev if e["pid"] == PID_RUNTIME]
    assert info["stw_slices"] == info["gc_slices"] == 0
    assert [a["procs"] for a in counter_values(ev, "GOMAXPROCS")] == [2]


def test_go_trace_rejects_syscall_contradictions(tmp_path):
    res = gc.run(syscall_with_queued_work(), procs=1, seed=1, trace=True)
    res.write_go_trace(tmp_path / "ok.trace")
    rec = res.trace_records
    # without the ProcSteal, M0 still holds P0 when its call "lost" it, and P0 "starts" twice
    res.trace_records = rec[rec["kind"] != KIND["ProcSteal"]]
    with pytest.raises(GoTraceError, match="P0"):
        write_go_trace(res, tmp_path / "bad.trace")
    assert not (tmp_path / "bad.trace").exists()
    # a call that ends twice
    bad = rec.copy()
    i = int(np.nonzero(bad["kind"] == KIND["GoSyscallBegin"])[0][0])
    bad["kind"][i] = KIND["GoSyscallEnd"]
    res.trace_records = bad
    with pytest.raises(GoTraceError, match="syscall"):
        write_go_trace(res, tmp_path / "bad2.trace")


# -- the shared replay (gmpcore.export.intervals) ---------------------------------------------
def _disjoint(starts, ends):
    """Intervals (sorted by start) that only touch, never overlap."""
    o = np.argsort(starts, kind="stable")
    return bool(np.all(starts[o][1:] >= ends[o][:-1]))


@pytest.mark.parametrize("case", ["everything", "burst"])
def test_intervals_tables(case):
    res = (gc.run(everything(), machine=EVERYTHING_MACHINE, seed=3, trace=True)
           if case == "everything" else
           gc.run(burst(500, gosched=True), procs=4, seed=5, trace=True))
    iv = gc.export.intervals(res)
    rec, k = res.trace_records, res.trace_records["kind"]
    count = lambda name: int((k == KIND[name]).sum())                   # noqa: E731
    # every run begins at a GoStart, a GoSyscallEnd that kept its P, or the ProcStart that
    # resumes its G
    fast = int(((k == KIND["GoSyscallEnd"]) & (rec["reason"] == 0)).sum())
    assert len(iv.runs) == count("GoStart") + fast + len(iv.resumes) > 0
    assert (iv.runs["start"] <= iv.runs["end"]).all() and (iv.runs["p"] >= 0).all()
    ended = Counter(iv.runs["end_kind"].tolist())
    assert ended[KIND["GoEnd"]] == count("GoEnd") and ended[KIND["GoBlock"]] == count("GoBlock")
    assert ended[KIND["GoSyscallBegin"]] == count("GoSyscallBegin")
    # on one M runs never overlap, nor P-held spans on one P, nor calls on one M; every run
    # lies inside a span of its M holding its P
    for m in np.unique(iv.runs["m"]):
        r = iv.runs[iv.runs["m"] == m]
        assert _disjoint(r["start"], r["end"]), f"M{m}"
    for p in np.unique(iv.procs["p"]):
        h = iv.procs[iv.procs["p"] == p]
        assert _disjoint(h["start"], h["end"]), f"P{p}"
    for run in iv.runs:
        h = iv.procs[(iv.procs["p"] == run["p"]) & (iv.procs["m"] == run["m"])]
        assert ((h["start"] <= run["start"]) & (run["end"] <= h["end"])).any(), run
    # one blocked span per GoBlock, with its wait reason; closed ones end at a GoUnblock
    assert Counter(iv.blocked["reason"][iv.blocked["reason"] >= 0].tolist()) == \
        Counter(rec["reason"][k == KIND["GoBlock"]].tolist())
    unblocks = set(zip(rec["goid"][k == KIND["GoUnblock"]].tolist(),
                       rec["time"][k == KIND["GoUnblock"]].tolist()))
    closed = iv.blocked[~iv.blocked["open"]]
    assert set(zip(closed["goid"].tolist(), closed["end"].tolist())) <= unblocks
    # a call whose P is taken shows as two rows (with its P, then without)
    taken = int((iv.syscalls["end_kind"] == 2).sum())
    assert len(iv.syscalls) == count("GoSyscallBegin") + taken
    assert taken <= len(iv.proc_steals) == count("ProcSteal")
    assert len(iv.steals) == count("Steal") and len(iv.procs_changes) == count("ProcsChange")
    assert len(iv.gc) == count("GCBegin") and len(iv.stw) == count("STWBegin")
    seqs = np.concatenate([getattr(iv, t)["seq"] for t in iv.TABLES])
    assert len(np.unique(seqs)) == len(seqs) and seqs.max() < iv.nseq     # one order of rows
    # the states table ends where the run leaves each goroutine
    last = {}
    for g, st in iv.states[["goid", "state"]].tolist():
        last[g] = st
    assert Counter(last.values())[0] == count("GoEnd")
    df = iv.frame("runs")
    assert len(df) == len(iv.runs) and "seq" not in df.columns
    with pytest.raises(ValueError, match="no table 'nope'"):
        iv.frame("nope")
    with pytest.raises(ValueError, match="no table 'nope'"):
        gc.export.intervals(res, tables=("runs", "nope"))
    only = gc.export.intervals(res, tables=("proc_steals",))     # (what write_go_trace needs)
    assert len(only.runs) == len(only.states) == 0 and only.resumes == iv.resumes
    assert np.array_equal(only.proc_steals, iv.proc_steals)
    if case == "everything":
        assert len(iv.syscalls) and len(iv.gc) and len(iv.stw) and taken > 0
    # Perfetto draws exactly these tables
    _, info = gc.export.chrome_trace_events(res)
    assert (info["goroutine_slices"], info["proc_slices"], info["syscall_slices"],
            info["steal_flows"]) == (len(iv.runs), len(iv.procs), len(iv.syscalls),
                                     len(iv.steals))


def test_intervals_without_events():
    iv = gc.export.intervals(gc.run(everything(2), machine=EVERYTHING_MACHINE, seed=3))
    assert all(len(getattr(iv, t)) == 0 for t in iv.TABLES) and iv.nseq == 0
