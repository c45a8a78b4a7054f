"""Go execution traces (the Go 1.22+ "v2" format) that ``go tool trace`` opens.

    res = gmpcore.run(prog, procs=4, trace=True)
    res.write_go_trace("run.trace")          # then: go tool trace run.trace

The file is what a Go 1.22 runtime writes (header ``go 1.22 trace``; every ``go tool trace``
from 1.22 on reads it): per-M batches of timed events framed in generations, each generation
with its frequency, stack and string tables (golang/go src/internal/trace/tracev2/events.go,
src/internal/trace/raw, src/internal/trace/order.go).  Timestamps are emulated cycles and the
frequency is the emulated clock, so the viewer shows emulated nanoseconds.

How the engine's events map:

    GoCreate            GoCreate (new_stack: the new G's function; stack: the creator's)
    GoStart             GoStart with the G's sequence number
    GoStop              GoStop, reason "runtime.Gosched" / "preempted" (goyield)
    GoBlock             GoBlock, reason from the wait reason ("sync", "chan receive", ...)
    GoUnblock           GoUnblock with the G's sequence number, on the waker's M
    GoEnd               GoDestroy
    ProcStart/Stop      ProcStart (with the P's sequence number) / ProcStop
    Steal               nothing: the Go trace has no steal event (Perfetto shows steals)
    arrival (GoCreate on an M without a P)
                        the G is declared waiting (like a goroutine parked in the netpoller)
                        in the first generation and unblocked by the injecting thread

Statuses are emitted the way the runtime does: a ProcStatus / GoStatus precedes the first event
of a generation that refers to a P or G (the first generation infers a state from the first
event, so windowed traces work too).  The trace is cut into generations of ``gen_events``
events so that a viewer never has to hold one enormous generation.

Stacks are synthesized: one frame per function, ``main.<fn>`` at ``main.go:<code index>``;
the emulated program has no real stacks.
"""
from __future__ import annotations

import os

import numpy as np

from ._common import (FuncTable, KIND, clock_ghz, goroutine_functions, require_trace,
                      wait_reason_name)

__all__ = ["write_go_trace", "GoTraceError", "BLOCK_REASONS", "STOP_REASONS", "HEADER"]

HEADER = b"go 1.22 trace\x00\x00\x00"
NO_THREAD = (1 << 64) - 1
MAX_BATCH = 64 << 10               # tracev2.MaxBatchSize
FLUSH_AT = MAX_BATCH - 256         # start a new batch before an event could overflow one

# tracev2 event types (src/internal/trace/tracev2/events.go)
EvEventBatch, EvStacks, EvStack, EvStrings, EvString = 1, 2, 3, 4, 5
EvFrequency, EvProcsChange, EvProcStart, EvProcStop = 8, 9, 10, 11
EvProcStatus, EvGoCreate, EvGoStart, EvGoDestroy = 13, 14, 16, 17
EvGoStop, EvGoBlock, EvGoUnblock, EvGoStatus = 19, 20, 21, 25

# tracev2.GoStatus / ProcStatus
GoRunnable, GoRunning, GoWaiting = 1, 2, 4
ProcRunning, ProcIdle = 1, 2

#: wait reason (Go's waitReason string) -> the trace block reason the runtime parks with
#: (runtime/traceruntime.go traceBlockReasonStrings; the park sites in chan.go, select.go,
#: sema.go, time.go, netpoll.go, mfinal.go, ...).  A name missing here gives "unspecified".
BLOCK_REASONS = {
    "sync.WaitGroup.Wait": "sync", "sync.Mutex.Lock": "sync", "sync.RWMutex.RLock": "sync",
    "sync.RWMutex.Lock": "sync", "semacquire": "sync", "sync.Cond.Wait": "sync.(*Cond).Wait",
    "chan send": "chan send", "chan receive": "chan receive", "select": "select",
    "select (no cases)": "forever", "chan send (nil chan)": "forever",
    "chan receive (nil chan)": "forever", "sleep": "sleep", "IO wait": "network",
    "finalizer wait": "system goroutine wait", "force gc (idle)": "system goroutine wait",
    "GC worker (idle)": "system goroutine wait", "GC sweep wait": "GC background sweeper wait",
    "GC assist wait": "GC mark assist wait for work", "preempted": "preempted",
    "wait for GC cycle": "wait until GC ends", "debug call": "wait for debug call",
}

#: the engine's GoStop reason codes -> trace stop reasons (runtime traceGoStopReasonStrings):
#: 1 Gosched (gosched_m), 2 goyield (goyield_m traces GoPreempt), 3 preempted by sysmon
#: (gopreempt_m).  The engine's own _engine.STOP_REASONS, when it has one, takes precedence.
STOP_REASONS = {0: "unspecified", 1: "runtime.Gosched", 2: "preempted", 3: "preempted"}


class GoTraceError(ValueError):
    """The recorded events contradict each other (a gmpcore bug: please report it)."""


def _uv(buf: bytearray, x: int) -> None:
    while x >= 0x80:
        buf.append((x & 0x7F) | 0x80)
        x >>= 7
    buf.append(x)


class _Writer:
    """Batches and generations of the wire format (src/internal/trace/raw/writer.go)."""

    def __init__(self, f, freq: int):
        self.f = f
        self.freq = freq
        self.gen = 1
        self.batches: dict[int, list] = {}      # m -> [base time, last time, bytearray]
        self.bytes = len(HEADER)
        self.nbatches = 0
        f.write(HEADER)

    def event(self, m: int, typ: int, t: int, args) -> None:
        b = self.batches.get(m)
        if b is None or len(b[2]) >= FLUSH_AT:
            if b is not None:
                self._flush(m, b)
            b = self.batches[m] = [t, t, bytearray()]
        buf = b[2]
        buf.append(typ)
        _uv(buf, t - b[1])
        b[1] = t
        for a in args:
            _uv(buf, a)

    def _batch(self, m: int, base: int, data) -> None:
        hdr = bytearray([EvEventBatch])
        _uv(hdr, self.gen)
        _uv(hdr, m)
        _uv(hdr, base)
        _uv(hdr, len(data))
        self.f.write(hdr)
        self.f.write(data)
        self.bytes += len(hdr) + len(data)
        self.nbatches += 1

    def _flush(self, m: int, b) -> None:
        if b[2]:
            self._batch(m, b[0], b[2])

    def end_generation(self, strings: list[str], stacks: list[tuple]) -> None:
        """Flush every M's batch, then the structural batches: frequency, stacks, strings."""
        for m, b in sorted(self.batches.items()):
            self._flush(m, b)
        self.batches = {}
        data = bytearray([EvFrequency])
        _uv(data, self.freq)
        self._batch(NO_THREAD, 0, data)
        # stack table: id, nframes, then (pc, func string id, file string id, line) per frame
        data = bytearray([EvStacks])
        for sid, frames in stacks:
            if len(data) >= FLUSH_AT:
                self._batch(NO_THREAD, 0, data)
                data = bytearray([EvStacks])
            data.append(EvStack)
            _uv(data, sid)
            _uv(data, len(frames))
            for fr in frames:
                for v in fr:
                    _uv(data, v)
        if len(data) > 1:
            self._batch(NO_THREAD, 0, data)
        data = bytearray([EvStrings])
        for sid, s in enumerate(strings):
            if sid == 0:
                continue                          # id 0 is "no string"
            raw = s.encode()[:1024]
            if len(data) + len(raw) + 16 >= FLUSH_AT:
                self._batch(NO_THREAD, 0, data)
                data = bytearray([EvStrings])
            data.append(EvString)
            _uv(data, sid)
            _uv(data, len(raw))
            data += raw
        if len(data) > 1:
            self._batch(NO_THREAD, 0, data)
        self.gen += 1


class _Tables:
    """Per-trace string and stack tables (re-emitted in every generation)."""

    def __init__(self, funcs: FuncTable | None):
        self.strings = [""]
        self.sid = {"": 0}
        self.funcs = funcs
        self.stacks: list[tuple] = []
        self.stack_of_fn: dict[int, int] = {}
        self.file = self.string("main.go")

    def string(self, s: str) -> int:
        i = self.sid.get(s)
        if i is None:
            i = self.sid[s] = len(self.strings)
            self.strings.append(s)
        return i

    def stack(self, fn: int) -> int:
        """A one-frame stack for function `fn` (0: no stack)."""
        if fn is None or fn < 0 or self.funcs is None:
            return 0
        s = self.stack_of_fn.get(fn)
        if s is None:
            entry = self.funcs.entry(fn)
            frame = (0x401000 + 16 * entry, self.string(self.funcs.go_name(fn)), self.file,
                     entry + 1)
            s = self.stack_of_fn[fn] = len(self.stacks) + 1
            self.stacks.append((s, [frame]))
        return s


def _initial_states(rec, kinds: dict):
    """What each G and P was when the recording began, from the first event that refers to it.

    Returns (gs, ps): gs maps goid -> (status, m) for the Gs that existed before their first
    event (a G whose first event is its GoCreate is absent); ps maps p -> (status, m).
    A trace that starts at cycle 0 begins with every P idle and main runnable; a windowed one
    can begin with anything running.
    """
    k = rec["kind"]
    idx = np.arange(len(rec))
    goid, arg, p, m = rec["goid"], rec["arg"], rec["p"], rec["m"]
    create = k == kinds["GoCreate"]
    parts = []                                    # (goid, event index, status, m)
    sel = create & (p >= 0)
    parts.append((goid[sel], idx[sel], np.zeros(sel.sum(), np.int8), m[sel]))      # new
    sel = create & (p < 0)                                                            # arrival
    parts.append((goid[sel], idx[sel], np.full(sel.sum(), GoWaiting, np.int8), m[sel]))
    sel = create & (p >= 0) & (arg > 0)                                               # creator
    parts.append((arg[sel], idx[sel], np.full(sel.sum(), GoRunning, np.int8), m[sel]))
    sel = k == kinds["GoStart"]
    parts.append((goid[sel], idx[sel], np.full(sel.sum(), GoRunnable, np.int8), m[sel]))
    sel = (k == kinds["GoStop"]) | (k == kinds["GoBlock"]) | (k == kinds["GoEnd"])
    parts.append((goid[sel], idx[sel], np.full(sel.sum(), GoRunning, np.int8), m[sel]))
    sel = k == kinds["GoUnblock"]
    parts.append((goid[sel], idx[sel], np.full(sel.sum(), GoWaiting, np.int8), m[sel]))
    sel = (k == kinds["GoUnblock"]) & (arg > 0)                                        # waker
    parts.append((arg[sel], idx[sel], np.full(sel.sum(), GoRunning, np.int8), m[sel]))
    g_all = np.concatenate([x[0] for x in parts])
    i_all = np.concatenate([x[1] for x in parts])
    s_all = np.concatenate([x[2] for x in parts])
    m_all = np.concatenate([x[3] for x in parts])
    order = np.lexsort((i_all, g_all))            # by goid, then event index
    g_sorted = g_all[order]
    first = order[np.r_[True, g_sorted[1:] != g_sorted[:-1]]] if len(order) else order
    gs = {}
    for j in first[np.argsort(i_all[first], kind="stable")]:
        if s_all[j] != 0:
            gs[int(g_all[j])] = (int(s_all[j]), int(m_all[j]))
    ps = {}
    has_p = np.nonzero(p >= 0)[0]
    if len(has_p):
        pv, firsti = np.unique(p[has_p], return_index=True)
        for pid, j in zip(pv.tolist(), has_p[firsti].tolist()):
            st = ProcIdle if k[j] == kinds["ProcStart"] else ProcRunning
            ps[pid] = (st, int(m[j]))
    return gs, ps


def write_go_trace(res, path, *, gen_events: int = 1 << 20) -> dict:
    """Write the run's recorded events as a Go execution trace (Go 1.22 format) to `path`.

    Needs run(..., trace=...).  gen_events: events per generation (the runtime starts one per
    second; a viewer holds one generation at a time).  Returns a summary dict: events written,
    generations, goroutines, procs, threads, bytes, and the engine's trace_lost.
    """
    rec = require_trace(res, "write_go_trace")
    if gen_events < 1:
        raise ValueError(f"gen_events must be >= 1, got {gen_events}")
    freq = int(round(clock_ghz(res) * 1e9))
    funcs = FuncTable.of(res)
    tables = _Tables(funcs)
    gfn = goroutine_functions(res, funcs)
    stop_names = dict(STOP_REASONS)
    from .. import _engine
    stop_names.update(getattr(_engine, "STOP_REASONS", {}))   # the engine's, when it has one

    k_create, k_start, k_stop = KIND["GoCreate"], KIND["GoStart"], KIND["GoStop"]
    k_block, k_unblock, k_end = KIND["GoBlock"], KIND["GoUnblock"], KIND["GoEnd"]
    k_pstart, k_pstop = KIND["ProcStart"], KIND["ProcStop"]

    times = rec["time"].tolist()
    kinds = rec["kind"].tolist()
    goids = rec["goid"].tolist()
    argv = rec["arg"].tolist()
    ps = rec["p"].tolist()
    ms = rec["m"].tolist()
    reasons = rec["reason"].tolist()

    p_status: dict[int, int] = {}     # p -> ProcRunning / ProcIdle
    p_gen: dict[int, int] = {}        # p -> generation its status was last emitted in
    p_seq: dict[int, int] = {}
    g_status: dict[int, int] = {}     # goid -> GoRunnable / GoRunning / GoWaiting
    g_gen: dict[int, int] = {}
    g_seq: dict[int, int] = {}
    m_p: dict[int, int] = {}          # m -> p held (-1 none)
    m_g: dict[int, int] = {}          # m -> goid running (0 none)
    seen_g: set = set()
    seen_m: set = set()
    init_g, init_p = _initial_states(rec, KIND)

    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        w = _Writer(f, freq)
        ev = w.event
        gen = 1

        def fail(i, msg):
            raise GoTraceError(f"trace event {i} ({rec[i]}): {msg}")

        # The state of every P and G when recording began, as StartTrace emits it.  Running
        # ones go on their M's batch; the others on the first event's M.
        t0, m0 = times[0], ms[0]
        for p, (st, m) in sorted(init_p.items()):
            if st == ProcRunning:
                m_p[m] = p
            ev(m if st == ProcRunning else m0, EvProcStatus, t0, (p, st))
            p_status[p], p_gen[p], p_seq[p] = st, gen, 0
        for g, (st, m) in init_g.items():
            if st == GoRunning:
                if m_g.get(m, 0) or m_p.get(m, -1) < 0:
                    fail(0, f"G{g} was running on M{m} at the start, which holds P"
                            f"{m_p.get(m, -1)} and G{m_g.get(m, 0)}")
                m_g[m] = g
                ev(m, EvGoStatus, t0, (g, m, GoRunning))
            else:
                ev(m0, EvGoStatus, t0, (g, NO_THREAD, st))
            g_status[g], g_gen[g], g_seq[g] = st, gen, 0
            seen_g.add(g)
        procs_change_done = False

        def p_running(i, m, p, t):
            # the M holds P p: make sure the parser knows it in this generation
            if p_status.get(p) != ProcRunning or m_p.get(m, -1) != p:
                fail(i, f"P{p} is not running on M{m}")
            if p_gen[p] != gen:
                ev(m, EvProcStatus, t, (p, ProcRunning))
                p_gen[p] = gen
                p_seq[p] = 0

        def g_running(i, m, g, t):
            if g_status.get(g) != GoRunning or m_g.get(m, 0) != g:
                fail(i, f"G{g} is not running on M{m}")
            if g_gen[g] != gen:
                ev(m, EvGoStatus, t, (g, m, GoRunning))
                g_gen[g] = gen
                g_seq[g] = 0

        def g_known(i, m, g, t, want):
            # a G that is not running, referred to here: runnable (GoStart) or waiting
            st = g_status.get(g)
            if st != want:
                fail(i, f"G{g} has status {st}, expected {want}")
            if g_gen[g] != gen:
                ev(m, EvGoStatus, t, (g, NO_THREAD, st))
                g_gen[g] = gen
                g_seq[g] = 0

        n = len(times)
        in_gen = 0
        for i in range(n):
            t = times[i]
            k = kinds[i]
            m = ms[i]
            seen_m.add(m)
            if k == k_start:
                g = goids[i]
                p_running(i, m, ps[i], t)
                if m_g.get(m, 0):
                    fail(i, f"M{m} already runs G{m_g[m]}")
                g_known(i, m, g, t, GoRunnable)
                g_seq[g] += 1
                ev(m, EvGoStart, t, (g, g_seq[g]))
                g_status[g] = GoRunning
                m_g[m] = g
                if not procs_change_done:          # GOMAXPROCS, as StartTrace reports it
                    ev(m, EvProcsChange, t, (int(res.summary.get("procs", 0)), 0))
                    procs_change_done = True
            elif k == k_create:
                g = goids[i]
                if ps[i] < 0:
                    # an arrival: the injecting thread hands a waiting G to the scheduler
                    g_known(i, m, g, t, GoWaiting)
                    g_seq[g] += 1
                    ev(m, EvGoUnblock, t, (g, g_seq[g], 0))
                    g_status[g] = GoRunnable
                else:
                    p_running(i, m, ps[i], t)
                    parent = argv[i]
                    if parent > 0 and m_g.get(m, 0) == parent:
                        g_running(i, m, parent, t)
                    fn = gfn.get(g, -1)
                    if g in g_status:
                        fail(i, f"G{g} created twice")
                    ev(m, EvGoCreate, t, (g, tables.stack(fn), tables.stack(gfn.get(parent, -1))))
                    g_status[g] = GoRunnable
                    g_gen[g] = gen
                    g_seq[g] = 0
                    seen_g.add(g)
            elif k == k_stop or k == k_block or k == k_end:
                g = goids[i]
                p_running(i, m, ps[i], t)
                g_running(i, m, g, t)
                if k == k_end:
                    ev(m, EvGoDestroy, t, ())
                    del g_status[g]
                else:
                    if k == k_stop:
                        r = tables.string(stop_names.get(reasons[i], "unspecified"))
                        g_status[g] = GoRunnable
                        typ = EvGoStop
                    else:
                        r = tables.string(BLOCK_REASONS.get(wait_reason_name(reasons[i]),
                                                            "unspecified"))
                        g_status[g] = GoWaiting
                        typ = EvGoBlock
                    ev(m, typ, t, (r, tables.stack(gfn.get(g, -1))))
                m_g[m] = 0
            elif k == k_unblock:
                g = goids[i]
                if ps[i] >= 0:
                    p_running(i, m, ps[i], t)
                waker = argv[i]
                if waker > 0 and m_g.get(m, 0) == waker:
                    g_running(i, m, waker, t)
                g_known(i, m, g, t, GoWaiting)
                g_seq[g] += 1
                ev(m, EvGoUnblock, t, (g, g_seq[g], tables.stack(gfn.get(waker, -1))))
                g_status[g] = GoRunnable
                seen_g.add(g)
            elif k == k_pstart:
                p = ps[i]
                if m_p.get(m, -1) != -1:
                    fail(i, f"M{m} already holds P{m_p[m]}")
                if p_status.get(p) != ProcIdle:
                    fail(i, f"P{p} is not idle")
                if p_gen[p] != gen:
                    ev(m, EvProcStatus, t, (p, ProcIdle))
                    p_gen[p] = gen
                    p_seq[p] = 0
                p_seq[p] += 1
                ev(m, EvProcStart, t, (p, p_seq[p]))
                p_status[p] = ProcRunning
                m_p[m] = p
            elif k == k_pstop:
                p = ps[i]
                p_running(i, m, p, t)
                if m_g.get(m, 0):
                    fail(i, f"M{m} stops P{p} while running G{m_g[m]}")
                ev(m, EvProcStop, t, ())
                p_status[p] = ProcIdle
                m_p[m] = -1
            else:
                continue                          # Steal, and kinds the Go trace has no event for
            in_gen += 1
            if in_gen >= gen_events and i + 1 < n:
                w.end_generation(tables.strings, tables.stacks)
                gen = w.gen
                in_gen = 0
        w.end_generation(tables.strings, tables.stacks)
    os.replace(tmp, path)
    return {"path": str(path), "events": n, "generations": w.gen - 1, "batches": w.nbatches,
            "goroutines": len(seen_g), "procs": len(init_p), "threads": len(seen_m),
            "bytes": w.bytes, "trace_lost": int(res.trace_lost), "frequency": freq}
