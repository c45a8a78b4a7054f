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
    GoSyscallBegin      GoSyscallBegin with the P's sequence number (traceLocker.GoSysCall):
                        the G goes Syscall, its P ProcSyscall
    GoSyscallEnd        reason 0 (the P stayed): GoSyscallEnd (GoSysExit(false)).
                        reason 1 (the P was taken): GoSyscallEndBlocked, the G runnable.  When
                        exitsyscallTryGetP gets the M a P (its old one back, or an idle one)
                        the events are exitsyscall's: [ProcSteal,] ProcStart,
                        GoSyscallEndBlocked, GoStart; through exitsyscallNoP the G waits on the
                        global queue for a later GoStart
    ProcSteal           the P of an M in a syscall is taken (syscallingThread.releaseP):
                        ProcSteal [P, P seq, that M] on the taker's M -- sysmon's thread (M1)
                        for retake, the stopper's for a stop-the-world, the returning thread
                        for exitsyscallTryGetP.  A P whose status this generation has not shown
                        yet is declared ProcSyscallAbandoned first, as traceLocker.ProcSteal
                        does.  An M entering a syscall while the world stops gives its own P
                        away: ProcStop on that M (entersyscallHandleGCWait)
    STWBegin/STWEnd     STWBegin (kind: "GC sweep termination", "GC mark termination",
                        "GOMAXPROCS") / STWEnd, on the stopping goroutine
    GCBegin/GCEnd       GCBegin / GCEnd with the trace's GC sequence number (GCStart/GCDone);
                        a recording that starts inside a cycle declares it with GCActive
    ProcsChange         ProcsChange (procresize's Gomaxprocs) on the GOMAXPROCS caller.  When
                        procresize destroys the caller's own P, the caller is descheduled and
                        started again around the P switch (GoStop "runtime.Gosched",
                        ProcStop, ProcStart, GoStart), as procresize traces it

The GC controller: the Go runtime stops the world for a GC pause from a goroutine (the one that
triggered the cycle, a mark worker), which the trace format requires (STW and GC events need a
running G on a P).  The emulator's GC controller is a thread with neither, so during its pauses
the trace shows a runtime goroutine, ``runtime.gcController`` (goid: the largest recorded one +
1), running on an extra P (id: one past every recorded P) on the controller's thread; it parks
("system goroutine wait") when the pause is over.  The summary names both (gc_goroutine,
gc_proc).  GOMAXPROCS pauses are the calling goroutine's own, as in Go.

Statuses are emitted the way the runtime does: a ProcStatus / GoStatus precedes the first event
of a generation that refers to a P or G (the first generation infers a state from the first
event, so windowed traces work too); a G in a system call is GoSyscall on its M, and its P,
while the M still holds it, ProcSyscall on that M.  A window can begin inside a call (the G's
first event ends it), a GC cycle (declared with GCActive) or a stop-the-world pause (its STWEnd
is dropped: the format has no "pause in progress" event; the summary counts it in
skipped["stw_end"]).  GOMAXPROCS at the start (a ProcsChange on the first GoStart) is reported
when it is known (see _common.gomaxprocs_at_start).  The trace is cut into generations of
``gen_events`` events so that a viewer never has to hold one enormous generation.

Stacks are synthesized: one frame per function, ``main.<fn>`` at ``main.go:<code index>``;
the emulated program has no real stacks.
"""
from __future__ import annotations

import os

import numpy as np

from ._common import (KIND, STOP_REASONS, STW_GC_MARKTERM, STW_GOMAXPROCS, FuncTable,
                      clock_ghz, goroutine_functions, kind, record_columns, require_trace,
                      stop_reason_name, stw_kind_name, sysmon_thread, wait_reason_name)
from .intervals import STEAL_OWN, intervals

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
EvProcSteal, EvGoSyscallBegin, EvGoSyscallEnd, EvGoSyscallEndBlocked = 12, 22, 23, 24
EvSTWBegin, EvSTWEnd, EvGCActive, EvGCBegin, EvGCEnd = 26, 27, 28, 29, 30

# tracev2.GoStatus / ProcStatus
GoRunnable, GoRunning, GoSyscall, GoWaiting = 1, 2, 3, 4
ProcRunning, ProcIdle, ProcSyscall, ProcSyscallAbandoned = 1, 2, 3, 4

#: the stand-in for the emulator's GC controller (see the module docstring)
GC_FUNCTION = "runtime.gcController"
GC_PARK_REASON = "system goroutine wait"      # a mark worker parks with waitReasonGCWorkerIdle

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

    def named_stack(self, name: str, file: str, line: int = 1) -> int:
        """A one-frame stack for a runtime function that is not in the program."""
        key = ("named", name)
        s = self.stack_of_fn.get(key)
        if s is None:
            frame = (0x300000 + 16 * len(self.stacks), self.string(name), self.string(file), line)
            s = self.stack_of_fn[key] = len(self.stacks) + 1
            self.stacks.append((s, [frame]))
        return s

    def stack(self, fn: int) -> int:
        """A one-frame stack for function `fn` (0: no stack)."""
        if fn is None or fn < 0:
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
    can begin with anything running, or in a system call (a G whose first event ends a
    syscall; a P whose first event is ProcSteal is held by the M in the syscall).
    """
    k = rec["kind"]
    kget = lambda name: kinds.get(name, -1)                               # noqa: E731
    idx = np.arange(len(rec))
    goid, arg, p, m = rec["goid"], rec["arg"], rec["p"], rec["m"]
    create = k == kinds["GoCreate"]
    parts = []                                    # (goid, event index, status, m)

    def part(g, sel, status, ms):
        parts.append((g[sel], idx[sel], np.full(int(sel.sum()), status, np.int8), ms[sel]))

    part(goid, create & (p >= 0), 0, m)                                   # new
    part(goid, create & (p < 0), GoWaiting, m)                            # arrival
    part(arg, create & (p >= 0) & (arg > 0), GoRunning, m)                # creator
    part(goid, k == kinds["GoStart"], GoRunnable, m)
    part(goid, (k == kinds["GoStop"]) | (k == kinds["GoBlock"]) | (k == kinds["GoEnd"])
         | (k == kget("GoSyscallBegin")), GoRunning, m)
    part(goid, k == kinds["GoUnblock"], GoWaiting, m)
    part(arg, (k == kinds["GoUnblock"]) & (arg > 0), GoRunning, m)        # waker
    part(goid, k == kget("GoSyscallEnd"), GoSyscall, m)
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
    # Ps: the first event naming a P (ProcsChange's P is the one procresize keeps, not
    # necessarily held yet; a Steal's victim is not named in `p`)
    ps = {}
    has_p = np.nonzero((p >= 0) & (k != kget("ProcsChange")))[0]
    if len(has_p):
        pv, firsti = np.unique(p[has_p], return_index=True)
        for pid, j in zip(pv.tolist(), has_p[firsti].tolist()):
            if k[j] == kinds["ProcStart"]:
                ps[pid] = (ProcIdle, int(m[j]))
            elif k[j] == kget("ProcSteal"):
                ps[pid] = (ProcSyscall, int(arg[j]))     # held by M `arg`, in a syscall
            elif k[j] == kget("GoSyscallEnd"):
                ps[pid] = (ProcSyscall, int(m[j]))
            else:
                ps[pid] = (ProcRunning, int(m[j]))
    return gs, ps


def write_go_trace(res, path, *, gen_events: int = 1 << 20) -> dict:
    """Write the run's recorded events as a Go execution trace (Go 1.22 format) to `path`.

    Needs run(..., trace=...).  gen_events: events per generation (the runtime starts one per
    second; a viewer holds one generation at a time).  Returns a summary dict: events written,
    generations, goroutines, procs, threads, bytes, the engine's trace_lost, and the stand-in
    GC goroutine and P (gc_goroutine, gc_proc; None when the run has no GC pause).
    """
    rec = require_trace(res, "write_go_trace")
    if gen_events < 1:
        raise ValueError(f"gen_events must be >= 1, got {gen_events}")
    freq = int(round(clock_ghz(res) * 1e9))
    funcs = FuncTable.of(res)
    tables = _Tables(funcs)
    gfn = goroutine_functions(res, funcs)
    # the replay shared with the other views: which G a ProcStart resumes, who takes a P
    iv = intervals(res, tables=("proc_steals",))
    proc_steals = iter(iv.proc_steals[["thief", "how"]].tolist())

    k_create, k_start, k_stop = KIND["GoCreate"], KIND["GoStart"], KIND["GoStop"]
    k_block, k_unblock, k_end = KIND["GoBlock"], KIND["GoUnblock"], KIND["GoEnd"]
    k_pstart, k_pstop = KIND["ProcStart"], KIND["ProcStop"]
    k_sysbegin, k_sysend, k_psteal = kind("GoSyscallBegin"), kind("GoSyscallEnd"), kind("ProcSteal")
    k_stwbegin, k_stwend = kind("STWBegin"), kind("STWEnd")
    k_gcbegin, k_gcend, k_procs = kind("GCBegin"), kind("GCEnd"), kind("ProcsChange")

    times, kinds, goids, argv, ps, ms, reasons = record_columns(rec)
    n = len(times)

    p_status: dict[int, int] = {}     # p -> ProcRunning / ProcIdle / ProcSyscall / Abandoned
    p_gen: dict[int, int] = {}        # p -> generation its status was last emitted in
    p_seq: dict[int, int] = {}
    g_status: dict[int, int] = {}     # goid -> GoRunnable / GoRunning / GoSyscall / GoWaiting
    g_gen: dict[int, int] = {}
    g_seq: dict[int, int] = {}
    m_p: dict[int, int] = {}          # m -> p held (-1 none)
    m_g: dict[int, int] = {}          # m -> goid running or in a syscall on it (0 none)
    seen_g: set = set()
    seen_m: set = set()
    init_g, init_p = _initial_states(rec, KIND)

    pending_procs: dict[int, int] = {}        # m -> GOMAXPROCS to report once it runs again
    sysmon_m = sysmon_thread(res)
    all_m = [x for x in ms if x >= 0]
    spare_m = (max(all_m) + 1) if all_m else 0
    if sysmon_m is None:
        sysmon_m = spare_m                    # (retake only runs on sysmon: not used)
    # the GC controller's stand-in goroutine and P (module docstring)
    kr, rr = rec["kind"], rec["reason"]
    # (a GOMAXPROCS stop without a P -- the adaptive controller's, docs/adapt.md -- runs on
    # the GC controller's thread too)
    is_gc = np.nonzero((kr == k_gcbegin) | (kr == k_gcend) | (
        ((kr == k_stwbegin) | (kr == k_stwend)) & ((rr != STW_GOMAXPROCS) |
                                                   (rec["p"] < 0))))[0]
    gc_g = gc_p = None
    if len(is_gc):
        named = (kr == k_create) | (kr == k_unblock)
        gc_g = int(max(rec["goid"].max(), rec["arg"][named].max(initial=0))) + 1
        procs_seen = [int(rec["p"].max()), int(res.summary.get("procs", 1)) - 1,
                      int(rec["arg"][kr == KIND.get("Steal", -2)].max(initial=0)),
                      int(rec["arg"][kr == k_procs].max(initial=0)) - 1]
        gc_p = max(procs_seen) + 1
    gc_stack = tables.named_stack(GC_FUNCTION, "runtime/mgc.go") if len(is_gc) else 0
    # a recording that starts inside a GC cycle: its first GC event is not the GCBegin (a
    # sweep-termination STWBegin comes right after one)
    first_gc = int(is_gc[0]) if len(is_gc) else -1
    gc_active_at_start = first_gc >= 0 and kinds[first_gc] != k_gcbegin and not (
        kinds[first_gc] == k_stwbegin and reasons[first_gc] != STW_GC_MARKTERM)
    gc_seq = 0
    gc_running = [False]                      # the stand-in runs on its P
    stw = None                                # (stopper M, kind, G) of the open pause
    skipped = {"stw_end": 0, "gc_end": 0}
    procs0 = iv.gomaxprocs_at_start

    tmp = str(path) + ".tmp"
    with open(tmp, "wb") as f:
        w = _Writer(f, freq)
        ev = w.event
        gen = 1

        def fail(i, msg):
            raise GoTraceError(f"trace event {i} ({rec[i]}): {msg}")

        # The state of every P and G when recording began, as StartTrace emits it.  Running
        # ones (and those in a syscall) go on their M's batch; the others on the first
        # event's M.
        t0, m0 = times[0], ms[0] if ms[0] >= 0 else spare_m
        in_syscall_on = {m: g for g, (st, m) in init_g.items() if st == GoSyscall}
        for p, (st, m) in sorted(init_p.items()):
            if st == ProcSyscall and m not in in_syscall_on:
                st, m = ProcSyscallAbandoned, m0      # whose G is not in the recording
            if st in (ProcRunning, ProcSyscall):
                m_p[m] = p
                ev(m, EvProcStatus, t0, (p, st))
            else:
                ev(m0, EvProcStatus, t0, (p, st))
            p_status[p], p_gen[p], p_seq[p] = st, gen, 0
        for g, (st, m) in init_g.items():
            if st in (GoRunning, GoSyscall):
                if m_g.get(m, 0) or (st == GoRunning and m_p.get(m, -1) < 0):
                    fail(0, f"G{g} was running on M{m} at the start, which holds P"
                            f"{m_p.get(m, -1)} and G{m_g.get(m, 0)}")
                if st == GoSyscall and m_p.get(m, -1) >= 0 and \
                        p_status[m_p[m]] != ProcSyscall:
                    fail(0, f"G{g} was in a syscall on M{m}, whose P{m_p[m]} was running")
                m_g[m] = g
                ev(m, EvGoStatus, t0, (g, m, st))
            else:
                ev(m0, EvGoStatus, t0, (g, NO_THREAD, st))
            g_status[g], g_gen[g], g_seq[g] = st, gen, 0
            seen_g.add(g)
        if gc_active_at_start:                    # GCActive: the cycle was already running
            ev(m0, EvGCActive, t0, (gc_seq,))
            gc_seq += 1
        procs_change_done = procs0 is None

        def p_here(i, m, p, t, want):
            # P p has status `want` (held by M m unless idle): make sure the parser knows it
            # in this generation
            if p_status.get(p) != want or (want != ProcIdle and m_p.get(m, -1) != p):
                fail(i, f"P{p} is not {_PSTATE[want]} on M{m} (status "
                        f"{_PSTATE.get(p_status.get(p))}, M{m} holds P{m_p.get(m, -1)})")
            if p_gen[p] != gen:
                ev(m, EvProcStatus, t, (p, want))
                p_gen[p] = gen
                p_seq[p] = 0

        def g_here(i, m, g, t, want):
            # G g has status `want` (on M m when running or in a syscall)
            st = g_status.get(g)
            on_m = want in (GoRunning, GoSyscall)
            if st != want or (on_m and m_g.get(m, 0) != g):
                fail(i, f"G{g} has status {_GSTATE.get(st)}, expected {_GSTATE[want]}"
                        + (f" on M{m} (which has G{m_g.get(m, 0)})" if on_m else ""))
            if g_gen[g] != gen:
                ev(m, EvGoStatus, t, (g, m if on_m else NO_THREAD, st))
                g_gen[g] = gen
                g_seq[g] = 0

        def running_ctx(i, m, t):
            # M m runs a G on a P (what STW, GC and ProcsChange events need); returns the G
            g, p = m_g.get(m, 0), m_p.get(m, -1)
            if not g or p < 0:
                fail(i, f"M{m} runs no goroutine on a P (G{g}, P{p})")
            p_here(i, m, p, t, ProcRunning)
            g_here(i, m, g, t, GoRunning)
            return g

        def proc_start(i, m, p, t):
            if m_p.get(m, -1) != -1:
                fail(i, f"M{m} already holds P{m_p[m]}")
            p_here(i, m, p, t, ProcIdle)
            p_seq[p] += 1
            ev(m, EvProcStart, t, (p, p_seq[p]))
            p_status[p] = ProcRunning
            m_p[m] = p

        def proc_stop(i, m, p, t):
            p_here(i, m, p, t, ProcRunning)
            ev(m, EvProcStop, t, ())
            p_status[p] = ProcIdle
            m_p[m] = -1

        def go_start(i, m, g, t):
            nonlocal procs_change_done
            p_here(i, m, m_p.get(m, -1), t, ProcRunning)
            if m_g.get(m, 0):
                fail(i, f"M{m} already runs G{m_g[m]}")
            g_here(i, m, g, t, GoRunnable)
            g_seq[g] += 1
            ev(m, EvGoStart, t, (g, g_seq[g]))
            g_status[g] = GoRunning
            m_g[m] = g
            if not procs_change_done:             # GOMAXPROCS, as StartTrace reports it
                ev(m, EvProcsChange, t, (procs0, 0))
                procs_change_done = True

        def go_park(i, m, g, t, typ, reason, stack):
            # GoStop / GoBlock / GoDestroy of the G running on M m
            g_here(i, m, g, t, GoRunning)
            if typ == EvGoDestroy:
                ev(m, EvGoDestroy, t, ())
                del g_status[g]
            else:
                ev(m, typ, t, (tables.string(reason), stack))
                g_status[g] = GoRunnable if typ == EvGoStop else GoWaiting
            m_g[m] = 0

        def gc_ctx(i, m, t):
            # the stand-in GC goroutine runs on its P on the controller's thread M m
            if gc_running[0]:
                if m_g.get(m, 0) != gc_g:
                    fail(i, f"the GC controller's events moved from another thread to M{m}")
                running_ctx(i, m, t)
                return
            if m_p.get(m, -1) != -1 or m_g.get(m, 0):
                fail(i, f"the GC controller's thread M{m} holds P{m_p.get(m, -1)} and "
                        f"G{m_g.get(m, 0)}")
            if gc_p not in p_status:
                ev(m, EvProcStatus, t, (gc_p, ProcIdle))
                p_status[gc_p], p_gen[gc_p], p_seq[gc_p] = ProcIdle, gen, 0
            proc_start(i, m, gc_p, t)
            if gc_g not in g_status:
                ev(m, EvGoCreate, t, (gc_g, gc_stack, 0))
                g_status[gc_g], g_gen[gc_g], g_seq[gc_g] = GoRunnable, gen, 0
                seen_g.add(gc_g)
            else:
                g_here(i, m, gc_g, t, GoWaiting)
                g_seq[gc_g] += 1
                ev(m, EvGoUnblock, t, (gc_g, g_seq[gc_g], 0))
                g_status[gc_g] = GoRunnable
            go_start(i, m, gc_g, t)
            gc_running[0] = True

        def gc_park(i, m, t):
            if not gc_running[0]:
                return
            go_park(i, m, gc_g, t, EvGoBlock, GC_PARK_REASON, gc_stack)
            proc_stop(i, m, gc_p, t)
            gc_running[0] = False

        def resume(i, m, t):
            # after M m's ProcStart: the G it ran before it lost its P goes on, back from a
            # syscall (exitsyscallTryGetP) or after procresize took its P
            g = iv.resumes.get(i)
            if g is None:
                return
            if g_status.get(g) == GoSyscall:      # exitsyscall: GoSysExit(true); GoStart
                g_here(i, m, g, t, GoSyscall)
                ev(m, EvGoSyscallEndBlocked, t, ())
                g_status[g] = GoRunnable
                m_g[m] = 0
            go_start(i, m, g, t)
            if m in pending_procs:
                ev(m, EvProcsChange, t, (pending_procs.pop(m), tables.stack(gfn.get(g, -1))))

        in_gen = 0
        for i in range(n):
            t = times[i]
            k = kinds[i]
            m = ms[i]
            if m >= 0:
                seen_m.add(m)
            if k == k_start:
                p_here(i, m, ps[i], t, ProcRunning)
                go_start(i, m, goids[i], t)
            elif k == k_create:
                g = goids[i]
                if ps[i] < 0:
                    # an arrival: the injecting thread hands a waiting G to the scheduler
                    g_here(i, m, g, t, GoWaiting)
                    g_seq[g] += 1
                    ev(m, EvGoUnblock, t, (g, g_seq[g], 0))
                    g_status[g] = GoRunnable
                else:
                    p_here(i, m, ps[i], t, ProcRunning)
                    parent = argv[i]
                    if parent > 0 and m_g.get(m, 0) == parent:
                        g_here(i, m, parent, t, GoRunning)
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
                p_here(i, m, ps[i], t, ProcRunning)
                if k == k_end:
                    go_park(i, m, g, t, EvGoDestroy, "", 0)
                elif k == k_stop:
                    go_park(i, m, g, t, EvGoStop, stop_reason_name(reasons[i]),
                            tables.stack(gfn.get(g, -1)))
                else:
                    go_park(i, m, g, t, EvGoBlock,
                            BLOCK_REASONS.get(wait_reason_name(reasons[i]), "unspecified"),
                            tables.stack(gfn.get(g, -1)))
            elif k == k_unblock:
                g = goids[i]
                if ps[i] >= 0:
                    p_here(i, m, ps[i], t, ProcRunning)
                waker = argv[i]
                if waker > 0 and m_g.get(m, 0) == waker:
                    g_here(i, m, waker, t, GoRunning)
                g_here(i, m, g, t, GoWaiting)
                g_seq[g] += 1
                ev(m, EvGoUnblock, t, (g, g_seq[g], tables.stack(gfn.get(waker, -1))))
                g_status[g] = GoRunnable
                seen_g.add(g)
            elif k == k_pstart:
                proc_start(i, m, ps[i], t)
                resume(i, m, t)
            elif k == k_pstop:
                p = ps[i]
                g = m_g.get(m, 0)
                if g:
                    if not (stw is not None and stw[0] == m and stw[1] == STW_GOMAXPROCS):
                        fail(i, f"M{m} stops P{p} while running G{g}")
                    # procresize destroys the caller's P: "pretend that we were descheduled
                    # and then scheduled again" (GoSched, ProcStop; acquirep, GoStart)
                    p_here(i, m, p, t, ProcRunning)
                    go_park(i, m, g, t, EvGoStop, stop_reason_name(1),
                            tables.stack(gfn.get(g, -1)))
                proc_stop(i, m, p, t)
            elif k == k_sysbegin:
                g, p = goids[i], ps[i]
                p_here(i, m, p, t, ProcRunning)
                g_here(i, m, g, t, GoRunning)
                p_seq[p] += 1                     # traceLocker.GoSysCall: pp.trace.nextSeq
                ev(m, EvGoSyscallBegin, t, (p_seq[p], tables.stack(gfn.get(g, -1))))
                g_status[g] = GoSyscall
                p_status[p] = ProcSyscall
            elif k == k_sysend:
                g = goids[i]
                g_here(i, m, g, t, GoSyscall)
                if reasons[i] == 0:               # fast path: GoSysExit(false)
                    p_here(i, m, ps[i], t, ProcSyscall)
                    ev(m, EvGoSyscallEnd, t, ())
                    g_status[g] = GoRunning
                    p_status[ps[i]] = ProcRunning
                else:
                    if m_p.get(m, -1) != -1:
                        fail(i, f"G{g} lost its P in the syscall, but M{m} holds P{m_p[m]}")
                    # exitsyscallNoP; else resume() ends the call after the M's ProcStart
                    if i not in iv.reacquiring:
                        ev(m, EvGoSyscallEndBlocked, t, ())
                        g_status[g] = GoRunnable
                        m_g[m] = 0
            elif k == k_psteal:
                p, victim = ps[i], argv[i]
                st = p_status.get(p)
                if st == ProcSyscallAbandoned:
                    ok = True
                else:
                    ok = st == ProcSyscall and m_p.get(victim, -1) == p
                if not ok:
                    fail(i, f"P{p} is not in a syscall on M{victim}")
                thief, how = next(proc_steals)    # (intervals: who takes it, and how)
                if how == STEAL_OWN:
                    # entersyscallHandleGCWait: the M gives its own P to the stopper
                    p_here(i, victim, p, t, ProcSyscall)
                    ev(victim, EvProcStop, t, ())
                else:
                    if thief < 0:
                        thief = sysmon_m          # retake: takeP
                    seen_m.add(thief)
                    if p_gen[p] != gen:
                        ev(thief, EvProcStatus, t, (p, ProcSyscallAbandoned))
                        p_gen[p] = gen
                        p_seq[p] = 0
                    p_seq[p] += 1
                    ev(thief, EvProcSteal, t, (p, p_seq[p], victim))
                p_status[p] = ProcIdle
                if m_p.get(victim, -1) == p:
                    m_p[victim] = -1
            elif k == k_stwbegin:
                kind_ = reasons[i]
                if stw is not None:
                    fail(i, f"a stop-the-world begins while M{stw[0]}'s is in progress")
                if kind_ == STW_GOMAXPROCS and ps[i] >= 0:
                    g = running_ctx(i, m, t)
                    stack = tables.stack(gfn.get(g, -1))
                else:                             # GC, or the GOMAXPROCS controller's
                    gc_ctx(i, m, t)
                    g, stack = gc_g, gc_stack
                ev(m, EvSTWBegin, t, (tables.string(stw_kind_name(kind_)), stack))
                stw = (m, kind_, g, t)
            elif k == k_stwend:
                if stw is None:                   # began before the recording: no range
                    skipped["stw_end"] += 1
                    if (reasons[i] != STW_GOMAXPROCS or ps[i] < 0) and \
                            reasons[i] != STW_GC_MARKTERM:
                        gc_park(i, m, t)
                    continue
                sm, kind_, g, _ = stw
                if sm != m:
                    fail(i, f"the stop-the-world begun by M{sm} ends on M{m}")
                on_gc = g == gc_g                 # (GC, or the GOMAXPROCS controller)
                if not on_gc:
                    if running_ctx(i, m, t) != g:
                        fail(i, f"the stop-the-world begun by G{g} ends on G{m_g.get(m)}")
                else:
                    gc_ctx(i, m, t)
                ev(m, EvSTWEnd, t, ())
                stw = None
                if on_gc and kind_ != STW_GC_MARKTERM:
                    gc_park(i, m, t)              # (after mark termination GCEnd follows)
            elif k == k_gcbegin:
                gc_ctx(i, m, t)
                ev(m, EvGCBegin, t, (gc_seq, gc_stack))
                gc_seq += 1
            elif k == k_gcend:
                if gc_seq == 0:                   # (cannot happen: GCActive declared it)
                    skipped["gc_end"] += 1
                    continue
                gc_ctx(i, m, t)
                ev(m, EvGCEnd, t, (gc_seq,))
                gc_seq += 1
                if stw is None or stw[1] == STW_GOMAXPROCS:
                    gc_park(i, m, t)
            elif k == k_procs:
                g = m_g.get(m, 0)
                if g and m_p.get(m, -1) >= 0 and g_status.get(g) == GoRunning:
                    running_ctx(i, m, t)
                    ev(m, EvProcsChange, t, (argv[i], tables.stack(gfn.get(g, -1))))
                else:
                    pending_procs[m] = argv[i]    # procresize switched the caller's P
                procs_change_done = True
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
            "bytes": w.bytes, "trace_lost": int(res.trace_lost), "frequency": freq,
            "gc_goroutine": gc_g if gc_g in seen_g else None,
            "gc_proc": gc_p if gc_g in seen_g else None,
            "skipped": skipped}


_GSTATE = {GoRunnable: "runnable", GoRunning: "running", GoSyscall: "in a syscall",
           GoWaiting: "waiting", None: "unknown"}
_PSTATE = {ProcRunning: "running", ProcIdle: "idle", ProcSyscall: "in a syscall",
           ProcSyscallAbandoned: "in a syscall (abandoned)", None: "unknown"}
