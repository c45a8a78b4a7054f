# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The per-event half of gmpcore.replay.format in Cython: decoding one generation's event
batches (uvarints) and ordering the Ms' streams as Go's reader does (src/internal/trace:
batchcursor.go for the frontier heap, order.go for which event may advance, reader.go for
the fallback when the earliest cannot).  format.py keeps the file, batch and table levels
and the pure-Python reference of this ordering (format._order_generation), which
tests/test_replay.py checks this against.

Errors are raised as format.TraceFormatError(message, byte offset), with the same messages.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t, uint8_t
from libc.stdlib cimport malloc, free

cnp.import_array()

cdef int64_t NO_THREAD_I = -1
cdef uint64_t NO_THREAD = 0xFFFFFFFFFFFFFFFFULL
# tracev2.GoStatus (wire) and the reader's GoState (resources.go)
DEF WG_RUNNABLE = 1
DEF WG_RUNNING = 2
DEF WG_SYSCALL = 3
DEF WG_WAITING = 4
DEF GoUndetermined = 0
DEF GoNotExist = 1
DEF GoRunnable = 2
DEF GoRunning = 3
DEF GoWaiting = 4
DEF GoSyscall = 5
DEF ProcRunning = 1
DEF ProcIdle = 2
DEF ProcSyscall = 3
DEF ProcSyscallAbandoned = 4

cdef int[5] WIRE_G
WIRE_G[:] = [-1, GoRunnable, GoRunning, GoSyscall, GoWaiting]


cdef class Order:
    """The ordering state carried across generations (order.go ordering)."""
    cdef public dict g          # goid -> slot in gst/ggen/gseq
    cdef public dict p          # pid -> slot in pst/pgen/pseq
    cdef public dict m          # m -> slot in mg/mp
    cdef public object initial_gen
    cdef public int64_t gc_seq
    cdef public int gc_state
    cdef object gst_a, ggen_a, gseq_a, pst_a, pgen_a, pseq_a, mg_a, mp_a
    cdef int64_t[::1] gst, ggen, gseq, pst, pgen, pseq, mg, mp
    cdef Py_ssize_t ng, np_, nm

    def __init__(self):
        self.g, self.p, self.m = {}, {}, {}
        self.initial_gen = None
        self.gc_seq = 0
        self.gc_state = 0
        self.ng = self.np_ = self.nm = 0
        self.gst_a = np.zeros(64, np.int64); self.ggen_a = np.zeros(64, np.int64)
        self.gseq_a = np.zeros(64, np.int64)
        self.pst_a = np.zeros(16, np.int64); self.pgen_a = np.zeros(16, np.int64)
        self.pseq_a = np.zeros(16, np.int64)
        self.mg_a = np.zeros(16, np.int64); self.mp_a = np.zeros(16, np.int64)
        self._views()

    cdef _views(self):
        self.gst = self.gst_a; self.ggen = self.ggen_a; self.gseq = self.gseq_a
        self.pst = self.pst_a; self.pgen = self.pgen_a; self.pseq = self.pseq_a
        self.mg = self.mg_a; self.mp = self.mp_a

    cdef Py_ssize_t new_g(self, int64_t gid, int64_t st, int64_t gen, int64_t seq) except -1:
        cdef Py_ssize_t i = self.ng
        if i == self.gst.shape[0]:
            n = 2 * i
            self.gst_a = np.resize(self.gst_a, n); self.ggen_a = np.resize(self.ggen_a, n)
            self.gseq_a = np.resize(self.gseq_a, n)
            self._views()
        self.gst[i] = st; self.ggen[i] = gen; self.gseq[i] = seq
        self.ng += 1
        self.g[gid] = i
        return i

    cdef Py_ssize_t new_p(self, int64_t pid, int64_t st, int64_t gen, int64_t seq) except -1:
        cdef Py_ssize_t i = self.np_
        if i == self.pst.shape[0]:
            n = 2 * i
            self.pst_a = np.resize(self.pst_a, n); self.pgen_a = np.resize(self.pgen_a, n)
            self.pseq_a = np.resize(self.pseq_a, n)
            self._views()
        self.pst[i] = st; self.pgen[i] = gen; self.pseq[i] = seq
        self.np_ += 1
        self.p[pid] = i
        return i

    cdef Py_ssize_t m_slot(self, int64_t m) except -1:
        """The M's slot, created (no G, no P) on first use."""
        s = self.m.get(m)
        if s is not None:
            return <Py_ssize_t>s
        cdef Py_ssize_t i = self.nm
        if i == self.mg.shape[0]:
            n = 2 * i
            self.mg_a = np.resize(self.mg_a, n); self.mp_a = np.resize(self.mp_a, n)
            self._views()
        self.mg[i] = -1; self.mp[i] = -1
        self.nm += 1
        self.m[m] = i
        return i


cdef inline Py_ssize_t _slot(dict d, int64_t key):
    s = d.get(key)
    return -1 if s is None else <Py_ssize_t>s


cdef int64_t _as_id(uint64_t v, str what, int64_t off, err) except? -2:
    if v > <uint64_t>0x7FFFFFFFFFFFFFFF:
        raise err(f"{what} {v} out of range", off)
    return <int64_t>v


def decode_stream(const uint8_t[::1] buf, list batches, const int[::1] nargs,
                  double ns_per_tick, list names, err):
    """Decode one M's batches [(offset, size, base ticks), ...] into arrays: time ns (int64),
    type (uint8), args (n x 4 uint64, the arguments after the timestamp), offset (int64)."""
    cdef Py_ssize_t total = 0, n = 0, j, i, end, k, na
    cdef int64_t off, size, last, st
    cdef uint64_t x, b, typ
    cdef int s
    cdef double dt
    cdef uint64_t[8] vals
    for bt in batches:
        total += bt[1]
    t_a = np.empty(total, np.int64)
    y_a = np.empty(total, np.uint8)
    a_a = np.zeros((total, 4), np.uint64)
    o_a = np.empty(total, np.int64)
    cdef int64_t[::1] T = t_a
    cdef uint8_t[::1] Y = y_a
    cdef uint64_t[:, ::1] A = a_a
    cdef int64_t[::1] O = o_a
    for bt in batches:
        off, size, base = bt
        end = off + size
        dt = <double>base * ns_per_tick
        if dt >= 4.0e18:
            raise err("batch timestamp out of range (past 4e18 ns)", off)
        last = <int64_t>dt
        i = off
        while i < end:
            st = i
            k = 0
            na = 1
            while k < na:
                # one uvarint
                x = 0
                s = 0
                while True:
                    if i >= end:
                        raise err("truncated batch: its last uvarint has no final byte",
                                  end - 1)
                    b = buf[i]
                    i += 1
                    if b < 0x80:
                        if s == 63 and b > 1:
                            raise err("uvarint overflows 64 bits", st)
                        x |= b << s
                        break
                    x |= (b & 0x7F) << s
                    s += 7
                    if s > 63:
                        raise err("uvarint longer than 10 bytes", st)
                if k == 0:
                    typ = x
                    na = nargs[typ] if typ < 256 else -1
                    if na < 0:
                        nm = names[typ] if typ < <uint64_t>len(names) else 'unknown'
                        raise err(f"expected a timed event type, got {typ} ({nm})", st)
                    na += 1
                    if i >= end:
                        raise err(f"truncated event {names[typ]}: {na - 1} arguments "
                                  f"expected, 0 left in the batch", st)
                else:
                    if i >= end and k + 1 < na:
                        raise err(f"truncated event {names[typ]}: {na - 1} arguments "
                                  f"expected, {k} left in the batch", st)
                    vals[k - 1] = x
                k += 1
            dt = <double>vals[0] * ns_per_tick
            if dt >= 4.0e18 or last >= <int64_t>4000000000000000000:
                raise err("timestamp out of range (past 4e18 ns)", st)
            last = <int64_t>dt + last
            T[n] = last
            Y[n] = <uint8_t>typ
            for k in range(na - 2):
                A[n, k] = vals[k + 1]
            O[n] = st
            n += 1
    return t_a[:n], y_a[:n], a_a[:n], o_a[:n]


cdef packed struct EventRec:          # format.EVENT_DTYPE, field for field
    int64_t time
    uint8_t type
    int64_t m, p, g, gen, offset
    uint64_t a0, a1, a2, a3

cdef packed struct TransRec:          # format.TRANSITION_DTYPE, field for field
    int64_t time, goid
    uint8_t frm, to
    int reason
    int64_t actor
    int stack
    int64_t event


cdef class _Out:
    """Growable EVENT_DTYPE and TRANSITION_DTYPE arrays the ordering appends to."""
    cdef object ev_a, tr_a
    cdef EventRec* ev
    cdef TransRec* tr
    cdef Py_ssize_t ne, nt, cap
    cdef int64_t base_event

    def __init__(self, Py_ssize_t cap, int64_t base_event, ev_dtype, tr_dtype):
        if ev_dtype.itemsize != sizeof(EventRec) or tr_dtype.itemsize != sizeof(TransRec):
            raise TypeError("EVENT_DTYPE/TRANSITION_DTYPE do not match _tracecore's records")
        self.cap = max(cap, 16)
        self.ev_a = np.zeros(self.cap, ev_dtype)
        self.tr_a = np.zeros(self.cap, tr_dtype)
        self.ne = self.nt = 0
        self.base_event = base_event
        self._views()

    cdef _views(self):
        self.ev = <EventRec*>cnp.PyArray_DATA(self.ev_a)
        self.tr = <TransRec*>cnp.PyArray_DATA(self.tr_a)

    cdef grow(self):
        self.cap *= 2
        self.ev_a = np.resize(self.ev_a, self.cap)
        self.tr_a = np.resize(self.tr_a, self.cap)
        self._views()

    def arrays(self):
        return self.ev_a[:self.ne], self.tr_a[:self.nt]


cdef class _Gen:
    cdef Order o
    cdef _Out out
    cdef int64_t gen
    cdef bint initial
    cdef dict gstack, gstr
    cdef object err
    cdef list names
    cdef public int64_t last_ts

    cdef int64_t emit(self, int64_t t, int typ, int64_t m, int64_t p, int64_t g,
                      uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int64_t off):
        if t <= self.last_ts:
            t = self.last_ts + 1
        self.last_ts = t
        cdef _Out o = self.out
        if o.ne == o.cap:
            o.grow()
        cdef EventRec* e = &o.ev[o.ne]
        e.time = t; e.type = <uint8_t>typ; e.m = m; e.p = p; e.g = g; e.gen = self.gen
        e.offset = off
        e.a0 = a0; e.a1 = a1; e.a2 = a2; e.a3 = a3
        o.ne += 1
        return t

    cdef trans(self, int64_t t, int64_t goid, int frm, int to, int reason, int64_t actor,
               int stack):
        cdef _Out o = self.out
        if o.nt == o.cap:
            o.grow()
        cdef TransRec* r = &o.tr[o.nt]
        r.time = t; r.goid = goid; r.frm = <uint8_t>frm; r.to = <uint8_t>to
        r.reason = reason; r.actor = actor; r.stack = stack
        r.event = o.base_event + o.ne - 1
        o.nt += 1

    cdef int stk(self, uint64_t sid, int64_t off) except -1:
        k = self.gstack.get(sid)
        if k is None:
            raise self.err(f"unknown stack id {sid}", off)
        return <int>k

    cdef int strid(self, uint64_t sid, int64_t off) except -1:
        k = self.gstr.get(sid)
        if k is None:
            raise self.err(f"unknown string id {sid}", off)
        return <int>k

    cdef int advance(self, int64_t m, int64_t t, int typ, const uint64_t* A,
                     int64_t off) except -1:
        """order.go Advance: 0 when the event must wait for another M's, 1 when taken."""
        cdef Order o = self.o
        cdef Py_ssize_t ms = o.m_slot(m), gs, cs, ps, vs
        cdef int64_t cg = o.mg[ms], cp = o.mp[ms], gid, seq, pid, victim, status, mid
        cdef int64_t gen = self.gen
        cdef int frm, old
        cdef uint64_t a0 = A[0], a1 = A[1], a2 = A[2], a3 = A[3]
        err = self.err
        names = self.names
        if typ == 16:                                             # GoStart
            gid = _as_id(a0, "goroutine id", off, err)
            seq = <int64_t>a1
            gs = _slot(o.g, gid)
            if gs < 0 or o.gst[gs] != WG_RUNNABLE or o.ggen[gs] != gen or \
                    o.gseq[gs] + 1 != seq:
                return 0
            if cp < 0 or cg >= 0:
                raise err(f"GoStart of G{gid} on M{m} which holds P{cp} and runs G{cg}", off)
            o.gst[gs] = WG_RUNNING
            o.gseq[gs] = seq
            t = self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
            self.trans(t, gid, GoRunnable, GoRunning, 0, -1, 0)
            o.mg[ms] = gid
            return 1
        if typ == 21 or typ == 45 or typ == 46:                   # GoUnblock, GoSwitch*
            gid = _as_id(a0, "goroutine id", off, err)
            seq = <int64_t>a1
            gs = _slot(o.g, gid)
            if gs < 0 or o.gst[gs] != WG_WAITING or o.ggen[gs] != gen or \
                    o.gseq[gs] + 1 != seq:
                return 0
            if typ == 21:
                o.gst[gs] = WG_RUNNABLE
                o.gseq[gs] = seq
                t = self.emit(t, typ, m, cp, cg, a0, a1, a2, 0, off)
                self.trans(t, gid, GoWaiting, GoRunnable, 0, cg, self.stk(a2, off))
                return 1
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cs < 0 or o.gst[cs] != WG_RUNNING:
                raise err(f"{names[typ]} on M{m} without a running goroutine", off)
            t = self.emit(t, typ, m, cp, cg, a0, a1, a2, 0, off)
            self.trans(t, gid, GoWaiting, GoRunnable, 0, cg, 0)
            if typ == 45:
                o.gst[cs] = WG_WAITING
                t = self.emit(t, 20, m, cp, cg, 0, 0, 0, 0, off)
                self.trans(t, cg, GoRunning, GoWaiting, 0, cg, 0)
            else:
                del o.g[cg]
                t = self.emit(t, 17, m, cp, cg, 0, 0, 0, 0, off)
                self.trans(t, cg, GoRunning, GoNotExist, 0, cg, 0)
            o.gst[gs] = WG_RUNNING
            o.gseq[gs] = seq
            t = self.emit(t, 16, m, cp, -1, a0, a1, 0, 0, off)
            self.trans(t, gid, GoRunnable, GoRunning, 0, -1, 0)
            o.mg[ms] = gid
            return 1
        if typ == 17 or typ == 19 or typ == 20:                   # GoDestroy/GoStop/GoBlock
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cp < 0 or cs < 0 or o.gst[cs] != WG_RUNNING:
                raise err(f"{names[typ]} on M{m} which runs no goroutine on a P "
                          f"(G{cg}, P{cp})", off)
            if typ == 17:
                t = self.emit(t, typ, m, cp, cg, 0, 0, 0, 0, off)
                del o.g[cg]
                self.trans(t, cg, GoRunning, GoNotExist, 0, cg, 0)
            elif typ == 19:
                t = self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
                o.gst[cs] = WG_RUNNABLE
                self.trans(t, cg, GoRunning, GoRunnable, self.strid(a0, off), cg,
                           self.stk(a1, off))
            else:
                t = self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
                o.gst[cs] = WG_WAITING
                self.trans(t, cg, GoRunning, GoWaiting, self.strid(a0, off), cg,
                           self.stk(a1, off))
            o.mg[ms] = -1
            return 1
        if typ == 14 or typ == 47:                                # GoCreate(Blocked)
            gid = _as_id(a0, "goroutine id", off, err)
            if cp < 0:
                raise err(f"{names[typ]} on M{m} without a P", off)
            if gid in o.g:
                raise err(f"G{gid} created but it already exists", off)
            o.new_g(gid, WG_RUNNABLE if typ == 14 else WG_WAITING, gen, 0)
            t = self.emit(t, typ, m, cp, cg, a0, a1, a2, 0, off)
            self.trans(t, gid, GoNotExist, GoRunnable if typ == 14 else GoWaiting, 0, cg,
                       self.stk(a1, off))
            return 1
        if typ == 10:                                             # ProcStart
            pid = _as_id(a0, "P id", off, err)
            seq = <int64_t>a1
            ps = _slot(o.p, pid)
            if ps < 0 or o.pst[ps] != ProcIdle or o.pgen[ps] != gen or \
                    o.pseq[ps] + 1 != seq or cp >= 0:
                return 0
            o.pst[ps] = ProcRunning
            o.pseq[ps] = seq
            self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
            o.mp[ms] = pid
            return 1
        if typ == 11:                                             # ProcStop
            ps = _slot(o.p, cp) if cp >= 0 else -1
            if ps < 0 or (o.pst[ps] != ProcRunning and o.pst[ps] != ProcSyscall):
                raise err(f"ProcStop on M{m} for P{cp} that is not running", off)
            o.pst[ps] = ProcIdle
            self.emit(t, typ, m, cp, cg, 0, 0, 0, 0, off)
            o.mp[ms] = -1
            return 1
        if typ == 12:                                             # ProcSteal
            pid = _as_id(a0, "P id", off, err)
            seq = <int64_t>a1
            ps = _slot(o.p, pid)
            if ps < 0 or (o.pst[ps] != ProcSyscall and o.pst[ps] != ProcSyscallAbandoned) \
                    or o.pgen[ps] != gen or o.pseq[ps] + 1 != seq:
                return 0
            old = o.pst[ps]
            o.pst[ps] = ProcIdle
            o.pseq[ps] = seq
            self.emit(t, typ, m, cp, cg, a0, a1, a2, 0, off)
            if old == ProcSyscallAbandoned:
                return 1
            victim = <int64_t>a2 if a2 != NO_THREAD else -1
            if victim == m:
                if cp != pid:
                    raise err(f"M{m} steals P{pid} from itself but holds P{cp}", off)
                o.mp[ms] = -1
                return 1
            vs = _slot(o.m, victim)
            if vs < 0 or o.mp[vs] != pid:
                raise err(f"ProcSteal of P{pid} from M{a2}, which does not hold it", off)
            o.mp[vs] = -1
            return 1
        if typ == 13:                                             # ProcStatus
            pid = _as_id(a0, "P id", off, err)
            if a1 < 1 or a1 > 4:
                raise err(f"invalid status {a1} for P{pid}", off)
            status = <int64_t>a1
            ps = _slot(o.p, pid)
            if ps >= 0:
                if status == ProcSyscallAbandoned and o.pst[ps] == ProcSyscall:
                    status = ProcSyscall
                elif status == ProcSyscallAbandoned and o.pst[ps] == ProcSyscallAbandoned:
                    pass
                elif o.pst[ps] != status:
                    raise err(f"inconsistent status for P{pid}: {o.pst[ps]} then {status}",
                              off)
                o.pgen[ps] = gen
                o.pseq[ps] = 0
            else:
                o.new_p(pid, status, gen, 0)
            self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
            if status == ProcRunning or status == ProcSyscall:
                o.mp[ms] = pid
            return 1
        if typ == 25 or typ == 48:                                # GoStatus(Stack)
            gid = _as_id(a0, "goroutine id", off, err)
            if a2 < 1 or a2 > 4:
                raise err(f"invalid status {a2} for G{gid}", off)
            status = <int64_t>a2
            gs = _slot(o.g, gid)
            if gs >= 0:
                if o.gst[gs] != status:
                    raise err(f"inconsistent status for G{gid}: {o.gst[gs]} then {status}",
                              off)
                o.ggen[gs] = gen
                o.gseq[gs] = 0
                frm = WIRE_G[status]
            elif self.initial:
                o.new_g(gid, status, gen, 0)
                frm = GoUndetermined
            else:
                raise err(f"GoStatus for G{gid}, a new goroutine, after the first generation",
                          off)
            t = self.emit(t, typ, m, cp, cg, a0, a1, a2, a3, off)
            self.trans(t, gid, frm, WIRE_G[status], 0, cg,
                       self.stk(a3, off) if typ == 48 else 0)
            if status == WG_RUNNING:
                o.mg[ms] = gid
            elif status == WG_SYSCALL:
                if a1 == NO_THREAD:
                    raise err(f"G{gid} in a syscall without a thread", off)
                mid = _as_id(a1, "M id", off, err)
                if mid == m:
                    o.mg[ms] = gid
                else:
                    if _slot(o.m, mid) < 0:
                        vs = o.m_slot(mid)
                        o.mg[vs] = gid
            return 1
        if typ == 22:                                             # GoSyscallBegin
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cp < 0 or cs < 0 or o.gst[cs] != WG_RUNNING:
                raise err(f"GoSyscallBegin on M{m} which runs no goroutine on a P", off)
            ps = _slot(o.p, cp)
            if ps < 0:
                raise err(f"GoSyscallBegin on P{cp}, which has no status", off)
            seq = <int64_t>a0
            if o.pgen[ps] != gen or o.pseq[ps] + 1 != seq:
                raise err(f"GoSyscallBegin: P{cp} sequence {seq} does not follow "
                          f"{o.pseq[ps]}", off)
            o.gst[cs] = WG_SYSCALL
            o.pst[ps] = ProcSyscall
            o.pseq[ps] = seq
            t = self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
            self.trans(t, cg, GoRunning, GoSyscall, 0, cg, self.stk(a1, off))
            return 1
        if typ == 23:                                             # GoSyscallEnd
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cs < 0 or o.gst[cs] != WG_SYSCALL:
                raise err(f"GoSyscallEnd on M{m} whose goroutine G{cg} is not in a syscall",
                          off)
            ps = _slot(o.p, cp) if cp >= 0 else -1
            if ps < 0 or o.pst[ps] != ProcSyscall:
                raise err(f"GoSyscallEnd on M{m}: P{cp} is not in a syscall", off)
            o.gst[cs] = WG_RUNNING
            o.pst[ps] = ProcRunning
            t = self.emit(t, typ, m, cp, cg, 0, 0, 0, 0, off)
            self.trans(t, cg, GoSyscall, GoRunning, 0, cg, 0)
            return 1
        if typ == 24:                                             # GoSyscallEndBlocked
            if cp >= 0:
                ps = _slot(o.p, cp)
                if ps >= 0 and o.pst[ps] == ProcSyscall:
                    return 0
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cs < 0 or o.gst[cs] != WG_SYSCALL:
                raise err(f"GoSyscallEndBlocked on M{m} whose goroutine G{cg} is not in a "
                          f"syscall", off)
            o.gst[cs] = WG_RUNNABLE
            t = self.emit(t, typ, m, cp, cg, 0, 0, 0, 0, off)
            self.trans(t, cg, GoSyscall, GoRunnable, 0, cg, 0)
            o.mg[ms] = -1
            return 1
        if typ == 15:                                             # GoCreateSyscall
            gid = _as_id(a0, "goroutine id", off, err)
            if gid in o.g:
                raise err(f"G{gid} created in a syscall but it already exists", off)
            o.new_g(gid, WG_SYSCALL, gen, 0)
            t = self.emit(t, typ, m, cp, cg, a0, 0, 0, 0, off)
            self.trans(t, gid, GoNotExist, GoSyscall, 0, cg, 0)
            o.mg[ms] = gid
            return 1
        if typ == 18:                                             # GoDestroySyscall
            cs = _slot(o.g, cg) if cg >= 0 else -1
            if cg < 0 or cs < 0 or o.gst[cs] != WG_SYSCALL:
                raise err(f"GoDestroySyscall on M{m} without a goroutine in a syscall", off)
            del o.g[cg]
            t = self.emit(t, typ, m, cp, cg, 0, 0, 0, 0, off)
            self.trans(t, cg, GoSyscall, GoNotExist, 0, cg, 0)
            if cp >= 0:
                ps = _slot(o.p, cp)
                if ps >= 0:
                    o.pst[ps] = ProcSyscallAbandoned
                o.mp[ms] = -1
            o.mg[ms] = -1
            return 1
        if typ == 28:                                             # GCActive
            seq = <int64_t>a0
            if self.initial:
                o.gc_seq, o.gc_state = seq, 1
            else:
                if seq != o.gc_seq + 1:
                    return 0
                o.gc_seq = seq
            self.emit(t, typ, m, cp, cg, a0, 0, 0, 0, off)
            return 1
        if typ == 29:                                             # GCBegin
            seq = <int64_t>a0
            if o.gc_state != 0:
                if seq != o.gc_seq + 1:
                    return 0
            o.gc_seq, o.gc_state = seq, 1
            self.emit(t, typ, m, cp, cg, a0, a1, 0, 0, off)
            return 1
        if typ == 30:                                             # GCEnd
            seq = <int64_t>a0
            if seq != o.gc_seq + 1:
                return 0
            o.gc_seq, o.gc_state = seq, 2
            self.emit(t, typ, m, cp, cg, a0, 0, 0, 0, off)
            return 1
        # annotations, STW, sweep, assists, heap metrics: no ordering constraint
        self.emit(t, typ, m, cp, cg, a0, a1, a2, a3, off)
        return 1


def order_generation(Order o, int64_t gen, list ms, list streams, dict gstack, dict gstr,
                     int64_t last_ts, int64_t base_event, list names, err, ev_dtype,
                     tr_dtype):
    """Order one generation.  `ms` are the M ids (-1: none) in first-batch order,
    `streams` their decode_stream arrays.  Returns (events, transitions, last_ts): arrays of
    ev_dtype/tr_dtype (format.EVENT_DTYPE, TRANSITION_DTYPE)."""
    cdef Py_ssize_t nstream = len(ms), i, c, mi, n, k, total = 0, jj
    cdef int64_t tmp_t, tmp_m
    if o.initial_gen is None:
        o.initial_gen = gen
    for s in streams:
        total += len(s[0])
    cdef _Gen G = _Gen()
    G.o = o
    G.gen = gen
    G.initial = gen == o.initial_gen
    G.gstack = gstack
    G.gstr = gstr
    G.err = err
    G.names = names
    G.last_ts = last_ts
    G.out = _Out(total + total // 8 + 16, base_event, ev_dtype, tr_dtype)
    # per-stream raw pointers (the arrays stay alive in `streams`)
    cdef _Streams S = _Streams(streams)
    pos_a = np.zeros(nstream, np.intp)
    len_a = np.array([len(s[0]) for s in streams], np.intp)
    m_a = np.array(ms, np.int64)
    cdef Py_ssize_t[::1] pos = pos_a, lens = len_a
    cdef int64_t[::1] mid = m_a
    # the frontier: a binary heap of (time of the next event, stream), kept exactly as Go's
    # batchcursor.go heapInsert/heapUpdate/heapRemove keep it, so that Ms whose next events
    # have equal times are tried in the same order as go tool trace
    ht_a = np.zeros(nstream + 1, np.int64)
    hs_a = np.zeros(nstream + 1, np.intp)
    cdef int64_t[::1] ht = ht_a
    cdef Py_ssize_t[::1] hs = hs_a
    cdef Py_ssize_t hn = 0
    for i in range(nstream):
        ht[hn] = S.T[i][0]
        hs[hn] = i
        hn += 1
        _sift_up(ht, hs, hn - 1)
    cdef bint ok
    while hn > 0:
        if _try_advance(G, S, 0, ht, hs, &hn, pos, lens, mid):
            continue
        # reader.go: sort the frontier (pdqsort is an insertion sort, so stable, for the
        # few Ms a trace has) and try the others in timestamp order
        for i in range(1, hn):
            tmp_t = ht[i]
            tmp_m = hs[i]
            k = i
            while k > 0 and ht[k - 1] > tmp_t:
                ht[k] = ht[k - 1]
                hs[k] = hs[k - 1]
                k -= 1
            ht[k] = tmp_t
            hs[k] = tmp_m
        ok = False
        for i in range(1, hn):
            if _try_advance(G, S, i, ht, hs, &hn, pos, lens, mid):
                ok = True
                break
        if not ok:
            c = hs[0]
            jj = pos[c]
            typ = S.Y[c][jj]
            na = [int(S.A[c][4 * jj + q]) for q in range(4)]
            raise err(f"broken trace: no M's next event can be ordered in generation {gen} "
                      f"(the earliest is {names[typ]} {na} on M{mid[c]})", S.O[c][jj])
    ev, tr = G.out.arrays()
    return ev, tr, G.last_ts


cdef inline void _swap(int64_t[::1] ht, Py_ssize_t[::1] hs, Py_ssize_t a, Py_ssize_t b):
    cdef int64_t t = ht[a]
    cdef Py_ssize_t s = hs[a]
    ht[a] = ht[b]; hs[a] = hs[b]
    ht[b] = t; hs[b] = s


cdef Py_ssize_t _sift_up(int64_t[::1] ht, Py_ssize_t[::1] hs, Py_ssize_t i):
    cdef Py_ssize_t j
    while i > 0 and ht[(i - 1) // 2] > ht[i]:
        j = (i - 1) // 2
        _swap(ht, hs, i, j)
        i = j
    return i


cdef Py_ssize_t _sift_down(int64_t[::1] ht, Py_ssize_t[::1] hs, Py_ssize_t i, Py_ssize_t n):
    cdef Py_ssize_t mi, c, q
    cdef int64_t mt
    cdef bint has
    while True:
        mi = i
        has = i < n
        mt = ht[i] if has else 0
        for q in range(2):
            c = 2 * i + 1 + q
            if c < n and (not has or ht[c] < mt):
                mi = c
                mt = ht[c]
                has = True
        if mi == i:
            return i
        _swap(ht, hs, i, mi)
        i = mi


cdef class _Streams:
    """Raw pointers to each stream's decoded columns (kept alive by `keep`)."""
    cdef int64_t** T
    cdef uint8_t** Y
    cdef uint64_t** A
    cdef int64_t** O
    cdef list keep

    def __cinit__(self, list streams):
        cdef Py_ssize_t n = len(streams), i
        cdef int64_t[::1] t, o
        cdef const uint8_t[::1] y
        cdef const uint64_t[:, ::1] a
        self.keep = streams
        self.T = <int64_t**>malloc(max(n, 1) * sizeof(void*))
        self.Y = <uint8_t**>malloc(max(n, 1) * sizeof(void*))
        self.A = <uint64_t**>malloc(max(n, 1) * sizeof(void*))
        self.O = <int64_t**>malloc(max(n, 1) * sizeof(void*))
        if not self.T or not self.Y or not self.A or not self.O:
            raise MemoryError()
        for i in range(n):
            t, y, a, o = streams[i]
            if t.shape[0] == 0:
                raise ValueError("empty stream")
            self.T[i] = &t[0]
            self.Y[i] = <uint8_t*>&y[0]
            self.A[i] = <uint64_t*>&a[0, 0]
            self.O[i] = &o[0]

    def __dealloc__(self):
        free(self.T); free(self.Y); free(self.A); free(self.O)


cdef bint _try_advance(_Gen G, _Streams S, Py_ssize_t i, int64_t[::1] ht, Py_ssize_t[::1] hs,
                       Py_ssize_t* hn, Py_ssize_t[::1] pos, Py_ssize_t[::1] lens,
                       int64_t[::1] mid) except -1:
    cdef Py_ssize_t c = hs[i], j = pos[c], p, k
    cdef int64_t* T = S.T[c]
    if not G.advance(mid[c], T[j], S.Y[c][j], &S.A[c][4 * j], S.O[c][j]):
        return False
    p = pos[c] = j + 1
    if p < lens[c]:
        ht[i] = T[p]
        if _sift_up(ht, hs, i) == i:
            _sift_down(ht, hs, i, hn[0])
    else:
        # heapRemove: bubble it to the root, swap with the last, sift the new root down
        k = i
        while k > 0:
            _swap(ht, hs, k, (k - 1) // 2)
            k = (k - 1) // 2
        _swap(ht, hs, 0, hn[0] - 1)
        hn[0] -= 1
        if hn[0] > 0:
            _sift_down(ht, hs, 0, hn[0])
    return True
