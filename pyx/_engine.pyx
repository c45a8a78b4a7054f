# cython: language_level=3
"""The native engine of gmpcore: an integer-cycle discrete-event loop whose actors are Ms.

Python (gmpcore.runner) validates a run, builds flat arrays (bytecode, distributions, costs,
strategy) and calls Engine.run() once per chunk of events; everything per event happens here,
without the GIL.  Layout of this extension:

    _types.pxd          every struct and enum, with Go's field names
    core/heap.pxi       event heap, (time, seq) order
    core/rng.pxi        the engine RNG and work distributions
    core/hist.pxi       log-linear latency histogram
    cache/coherence.pxi coherence directory over modelled 64-byte lines (hit/transfer/memory)
    sched/gs.pxi        G records, gFree caches, global queue, pidle/midle lists
    sched/lock.pxi      the modelled lock (sched.lock)
    sched/runq.pxi      per-P rings: runqput, runqputslow, steal copy
    sched/proc.pxi      Ms' micro-steps: schedule, findRunnable, stealWork, wakep, startm, stopm
    sched/interp.pxi    goroutine bytecode: compute, go, WaitGroup, mark, loops, Gosched, exit
    sched/check.pxi     the scheduler invariants, checked on demand
    sched/arrivals.pxi  open arrivals: goroutines injected from outside the Ps
    sched/chan.pxi      channels: sudog wait queues, chansend / chanrecv / closechan
    sched/select.pxi    selectgo: channel, timeout, ctx.Done() and default cases
    sched/mutex.pxi     sync.Mutex (normal and starvation modes) over a sema queue
    sched/rwmutex.pxi   sync.RWMutex
    sched/timers.pxi    per-P timer heaps, checkTimers, the M blocked in netpoll
    sched/sysmon.pxi    sysmon: time-slice preemption, back-off, deep sleep
    sched/syscall.pxi   entersyscall / exitsyscall, retake, handoffp
    sched/netpoll.pxi   the netpoller: IO waits, netpoll(0), injectglist
    sched/stw.pxi       stop-the-world: GC pauses, GOMAXPROCS (procresize)
"""
cimport cython
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, INT64_MAX
from libc.stdlib cimport malloc, calloc, realloc, free
from libc.string cimport memset, memcpy
from libc.math cimport log, exp, sqrt, cos
from cpython.exc cimport PyErr_CheckSignals

import numpy as np
cimport numpy as cnp

from _types cimport *

cnp.import_array()

cdef extern from *:
    int GMPCORE_DEBUG_BUILD "GMPCORE_DEBUG"   # set by setup.py (GMPCORE_DEBUG=1 pip install)

DEBUG_BUILD = bool(GMPCORE_DEBUG_BUILD)
DEBUG_CHECK_EVERY = 1024          # a debug build checks every invariant this often
G_RECORD_BYTES = sizeof(G)
TRACE_EVENT_BYTES = sizeof(TraceEv)
MARK_BYTES = sizeof(MarkRec)


cdef inline void fail(State *s, int32_t code, int64_t arg) noexcept nogil:
    if s.status == ST_RUNNING or s.status == ST_OK:
        s.status = ST_ERROR
        s.err_code = code
        s.err_arg = arg


cdef inline void kernel_fail(State *s, int32_t hook, int32_t code) noexcept nogil:
    fail(s, ERR_KERNEL, ((<int64_t> hook) << 32) | <int64_t> (<uint32_t> code))


cdef bint grow(State *s, void **buf, int64_t n, int64_t *cap, size_t elem,
               int32_t what) noexcept nogil:
    # make room for element n of a recording buffer (doubling); on failure stop the run with
    # ERR_NOMEM (err_arg says which buffer) and return False
    cdef void *p
    if n < cap[0]:
        return True
    p = realloc(buf[0], 2 * cap[0] * elem)
    if p == NULL:
        fail(s, ERR_NOMEM, what)
        return False
    buf[0] = p
    cap[0] *= 2
    return True


cdef void record_start(State *s, int64_t goid) noexcept nogil:
    if grow(s, <void **> &s.start_order, s.nstart, &s.start_cap, sizeof(int64_t), 4):
        s.start_order[s.nstart] = goid
        s.nstart += 1


cdef bint record_mark(State *s, G *gp, int32_t label, int32_t p) noexcept nogil:
    cdef MarkRec *r
    if not grow(s, <void **> &s.marks, s.nmarks, &s.marks_cap, sizeof(MarkRec), 5):
        return False
    r = &s.marks[s.nmarks]
    s.nmarks += 1
    r.time = s.now
    r.goid = gp.goid
    r.parent_goid = gp.parent_goid
    r.label = label
    r.spawn_index = gp.spawn_index
    r.iteration = gp.loopiter[gp.loopdepth - 1] if gp.loopdepth > 0 else 0
    r.p = p
    r.value = gp.val
    return True


cdef void record_steal(State *s, int32_t thief, int32_t victim, int32_t n, int32_t vlen,
                       int32_t runnext) noexcept nogil:
    cdef StealRec *r
    if not grow(s, <void **> &s.steals, s.nsteals, &s.steals_cap, sizeof(StealRec), 6):
        return
    r = &s.steals[s.nsteals]
    s.nsteals += 1
    r.time = s.now
    r.thief = thief
    r.victim = victim
    r.n = n
    r.victim_len = vlen
    r.runnext = runnext


include "core/heap.pxi"
include "core/rng.pxi"
include "core/hist.pxi"
include "core/observe.pxi"
include "cache/coherence.pxi"
include "sched/gs.pxi"
include "sched/lock.pxi"
include "sched/runq.pxi"
include "sched/interp.pxi"
include "sched/proc.pxi"
include "sched/check.pxi"
include "sched/arrivals.pxi"
include "sched/chan.pxi"
include "sched/select.pxi"
include "sched/mutex.pxi"
include "sched/rwmutex.pxi"
include "sched/timers.pxi"
include "sched/sysmon.pxi"
include "sched/syscall.pxi"
include "sched/netpoll.pxi"
include "sched/stw.pxi"


cdef int run_loop(State *s, int64_t budget, int64_t check_every) noexcept nogil:
    # Pop the earliest event and run that M's micro-steps.  While the M's next step is still
    # strictly earlier than every pending event, it runs at once without touching the heap: the
    # same order the heap would give, at a fraction of the cost.
    cdef int64_t stop_at = s.events + budget
    cdef int64_t cost, t
    cdef int64_t next_check = s.events + check_every if check_every > 0 else INT64_MAX
    cdef Event ev
    cdef int32_t mi
    while s.status == ST_RUNNING:
        if s.events >= stop_at:
            return 0
        if s.heap_n <= s.bg_events:
            # every M parked: all goroutines are asleep -- unless a timer or a network wait is
            # pending, which some M should be waiting for (checkdead: "any P with timers")
            if next_timer(s) != 0 or s.ntimers[s.netpoll_hp] > 0:
                fail(s, ERR_INVARIANT, 50)
                return 0
            s.status = ST_DEADLOCK
            return 0
        if s.heap[0].time > s.max_cycles:
            s.status = ST_MAX_CYCLES
            return 0
        if s.events >= s.max_events:
            s.status = ST_MAX_EVENTS
            return 0
        ev = heap_pop(s)
        s.now = ev.time
        if ev.kind == EV_SAMPLE:
            s.bg_events -= 1
            if take_sample(s) != 0:
                fail(s, ERR_NOMEM, 7)
            elif s.heap_n > s.bg_events:        # only while something else can still happen
                heap_push(s, s.now + s.sample_every, EV_SAMPLE, 0)
                s.bg_events += 1
            if s.pause_on_sample:
                return 1
            continue
        if ev.kind == EV_SYSMON:
            s.bg_events -= 1
            if ev.id == s.sysmon_gen:               # (else superseded by a wake-up)
                sysmon_tick(s)
            continue
        if ev.kind == EV_GC:
            gc_event(s, ev.id)
            continue
        mi = ev.id
        if (ev.kind >> 4) != s.allm[mi].ev_gen:
            continue                            # superseded (the M was preempted)
        while True:
            s.step_acc = 0
            cost = m_step(s, mi)
            if cost >= 0:
                cost += s.step_acc              # cycles of the step's cache accesses
            s.events += 1
            if s.events >= next_check:
                next_check = s.events + check_every
                check_invariants(s)
            if cost < 0 or s.status != ST_RUNNING:
                break
            t = s.now + cost
            if ((s.heap_n == 0 or t < s.heap[0].time) and t <= s.max_cycles
                    and s.events < stop_at and s.events < s.max_events):
                s.now = t
                continue
            m_push(s, t, mi)
            break
    return 0


def _struct_fields(dtype):
    return list(dtype.names)


# numpy dtypes derived from the C structs (one layout, never written twice)
cdef G _g_dummy
cdef P _p_dummy
cdef M _m_dummy
cdef MarkRec _mark_dummy
cdef StealRec _steal_dummy
cdef PStats _pstats_dummy
cdef SampleRec _sample_dummy
cdef TraceEv _trace_dummy
G_DTYPE = np.asarray(<G[:1]> (&_g_dummy)).dtype
P_DTYPE = np.asarray(<P[:1]> (&_p_dummy)).dtype
M_DTYPE = np.asarray(<M[:1]> (&_m_dummy)).dtype
MARK_DTYPE = np.asarray(<MarkRec[:1]> (&_mark_dummy)).dtype
STEAL_DTYPE = np.asarray(<StealRec[:1]> (&_steal_dummy)).dtype
PSTATS_DTYPE = np.asarray(<PStats[:1]> (&_pstats_dummy)).dtype
SAMPLE_DTYPE = np.asarray(<SampleRec[:1]> (&_sample_dummy)).dtype
TRACE_DTYPE = np.asarray(<TraceEv[:1]> (&_trace_dummy)).dtype
STOP_REASONS = {0: "unspecified", 1: "runtime.Gosched", 2: "preempted", 3: "preempted"}
TRACE_KINDS = {TE_GO_CREATE: "GoCreate", TE_GO_START: "GoStart", TE_GO_STOP: "GoStop",
               TE_GO_BLOCK: "GoBlock", TE_GO_UNBLOCK: "GoUnblock", TE_GO_END: "GoEnd",
               TE_PROC_START: "ProcStart", TE_PROC_STOP: "ProcStop", TE_STEAL: "Steal",
               TE_SYSCALL: "GoSyscallBegin", TE_SYSCALL_END: "GoSyscallEnd",
               TE_PROC_STEAL: "ProcSteal", TE_STW_BEGIN: "STWBegin", TE_STW_END: "STWEnd",
               TE_GC_BEGIN: "GCBegin", TE_GC_END: "GCEnd", TE_PROCS_CHANGE: "ProcsChange"}
STW_KINDS = {1: "GC sweep termination", 2: "GC mark termination", 3: "GOMAXPROCS"}
WAIT_REASONS = {waitReasonZero: "", waitReasonSyncWaitGroupWait: "sync.WaitGroup.Wait",
                waitReasonFinalizerWait: "finalizer wait", waitReasonChanSend: "chan send",
                waitReasonChanReceive: "chan receive", waitReasonSyncMutexLock: "sync.Mutex.Lock",
                waitReasonSleep: "sleep", waitReasonSelect: "select",
                waitReasonChanSendNilChan: "chan send (nil chan)", waitReasonIOWait: "IO wait",
                waitReasonSyscall: "syscall", waitReasonSemacquire: "semacquire",
                waitReasonSyncRWMutexRLock: "sync.RWMutex.RLock",
                waitReasonSyncRWMutexLock: "sync.RWMutex.Lock"}
STATUS_NAMES = {ST_RUNNING: "running", ST_OK: "ok", ST_DEADLOCK: "deadlock",
                ST_MAX_EVENTS: "max_events", ST_MAX_CYCLES: "max_cycles", ST_ERROR: "error",
                ST_INTERRUPTED: "interrupted"}
ERROR_NAMES = {ERR_NONE: "", ERR_WG_NEGATIVE: "sync: negative WaitGroup counter",
               ERR_NOMEM: "out of memory", ERR_INVARIANT: "internal invariant violated",
               ERR_BAD_PC: "bad program counter", ERR_TOO_MANY_M: "thread exhaustion",
               ERR_KERNEL: "kernel error", ERR_SEND_CLOSED: "send on closed channel",
               ERR_CLOSE_CLOSED: "close of closed channel",
               ERR_UNLOCK_UNLOCKED: "sync: unlock of unlocked mutex",
               ERR_RUNLOCK_UNLOCKED: "sync: RUnlock of unlocked RWMutex",
               ERR_WUNLOCK_UNLOCKED: "sync: Unlock of unlocked RWMutex"}
HOOK_NAMES = {HOOK_VICTIM: "choose_victim", HOOK_AMOUNT: "steal_amount", HOOK_READY: "place_ready"}
HIST_NBUCKETS = HIST_BUCKETS
LINE_CLASSES = ["p.runqhead", "p.runqtail", "p.runq", "p.runnext", "sched.lock", "sched.runq",
                "sched.pidle", "sched.nmspinning", "sched.midle", "sched.goidgen", "idlepMask",
                "g", "user", "chan"]
OPCODES = {"EXIT": OP_EXIT, "COMPUTE": OP_COMPUTE, "GO": OP_GO, "WG_ADD": OP_WG_ADD,
           "WG_WAIT": OP_WG_WAIT, "MARK": OP_MARK, "LOOP": OP_LOOP, "ENDLOOP": OP_ENDLOOP,
           "GOSCHED": OP_GOSCHED, "SYSPARK": OP_SYSPARK, "CHAN_SEND": OP_CHAN_SEND,
           "CHAN_RECV": OP_CHAN_RECV, "CHAN_CLOSE": OP_CHAN_CLOSE, "JMP": OP_JMP,
           "LOCK": OP_LOCK, "UNLOCK": OP_UNLOCK, "SLEEP": OP_SLEEP, "RTLOCK": OP_RTLOCK,
           "SELECT": OP_SELECT, "SELCASE": OP_SELCASE, "SYSCALL": OP_SYSCALL,
           "NETWAIT": OP_NETWAIT, "TOUCH": OP_TOUCH, "GOMAXPROCS": OP_GOMAXPROCS, "ALLOC": OP_ALLOC,
           "WITH_TIMEOUT": OP_WITH_TIMEOUT, "RLOCK": OP_RLOCK, "RUNLOCK": OP_RUNLOCK,
           "WLOCK": OP_WLOCK, "WUNLOCK": OP_WUNLOCK}
SELECT_KINDS = {"recv": SEL_RECV, "send": SEL_SEND, "after": SEL_AFTER, "default": SEL_DEFAULT,
                "done": SEL_DONE}
MAXSELECTCASES = MAX_SELECT_CASES
VALUE_SOURCES = {"const": VAL_CONST, "spawn": VAL_SPAWN, "iter": VAL_ITER, "val": VAL_REG}
DISTS = {"const": DIST_CONST, "exp": DIST_EXP, "uniform": DIST_UNIFORM,
         "lognormal": DIST_LOGNORMAL}
INSTR = INSTR_WIDTH
MAXLOOPDEPTH = MAX_LOOP_DEPTH


@cython.final
cdef class Engine:
    """Engine(code, func_entry, dists, nwgs, main_fn, sys_fn, nprocs, strategy, costs, seed,
    start_schedtick, init_goroutines, record, max_events, max_cycles, maxmcount)

    Owns the native state of one run.  Built by gmpcore.runner after validation; not meant to
    be constructed by hand.  Same inputs and seed give the same run, bit for bit.
    """
    cdef State s
    cdef object _keep           # arrays whose memory the state points into

    def __cinit__(self):
        memset(&self.s, 0, sizeof(State))

    def __init__(self, cnp.ndarray code, cnp.ndarray func_entry, cnp.ndarray dist_kind,
                 cnp.ndarray dist_a, cnp.ndarray dist_b, int nwgs, int main_fn, int sys_fn,
                 int nprocs, dict strategy, dict costs, unsigned long long seed,
                 unsigned int start_schedtick, int init_goroutines, bint record,
                 long long max_events, long long max_cycles, int maxmcount,
                 bint cache=False, int cores=0, int sockets=1, int layout=0,
                 int arr_fn=-1, int arr_dist=-1, long long arr_count=0,
                 size_t victim_fn=0, size_t amount_fn=0, size_t ready_fn=0,
                 long long sample_every=0, long long trace_cap=0, long long trace_from=0,
                 long long trace_to=INT64_MAX, chan_caps=None, int nmutexes=0,
                 long long starve_cycles=3000000, int nrtlocks=0, long long time_slice=0,
                 long long sysmon_min=60000, long long sysmon_max=30000000,
                 int gomaxprocs=0, bint gc_controller=False, long long gc_period=0,
                 long long gc_sweepterm=0, long long gc_markterm=0, long long gc_mark=0,
                 long long gc_heap_goal=0, long long stw_retry=300000, var_kinds=None,
                 bint deadlines=False, rw_w=None):
        cdef State *s = &self.s
        cdef int32_t i, gi, mi
        cdef G *gp
        code = np.ascontiguousarray(code, dtype=np.int32)
        func_entry = np.ascontiguousarray(func_entry, dtype=np.int32)
        dist_kind = np.ascontiguousarray(dist_kind, dtype=np.int32)
        dist_a = np.ascontiguousarray(dist_a, dtype=np.float64)
        dist_b = np.ascontiguousarray(dist_b, dtype=np.float64)
        self._keep = (code, func_entry, dist_kind, dist_a, dist_b)
        s.code = <const int32_t *> cnp.PyArray_DATA(code)
        s.ncode = <int32_t> (code.shape[0] // INSTR_WIDTH)
        s.func_entry = <const int32_t *> cnp.PyArray_DATA(func_entry)
        s.nfuncs = <int32_t> func_entry.shape[0]
        s.dist_kind = <const int32_t *> cnp.PyArray_DATA(dist_kind)
        s.dist_a = <const double *> cnp.PyArray_DATA(dist_a)
        s.dist_b = <const double *> cnp.PyArray_DATA(dist_b)
        s.ndists = <int32_t> dist_kind.shape[0]

        s.strat = strategy
        s.cost = costs
        # user kernels: addresses of Numba cfuncs whose owners gmpcore.runner keeps alive
        s.victim_fn = <victim_fn_t> victim_fn
        s.amount_fn = <amount_fn_t> amount_fn
        s.ready_fn = <ready_fn_t> ready_fn
        s.rng = seed
        s.status = ST_RUNNING
        s.max_events = max_events
        s.max_cycles = max_cycles
        s.record = record
        s.nprocs = nprocs
        s.maxmcount = maxmcount
        s.sample_every = sample_every
        s.trace_cap = trace_cap
        s.trace_from = trace_from
        s.trace_to = trace_to
        s.ring_mask = <uint32_t> (s.strat.ring_cap - 1)

        s.nwgs = nwgs
        s.wgs = <WaitGroup *> calloc(max(nwgs, 1), sizeof(WaitGroup))
        s.allp = <P *> calloc(nprocs, sizeof(P))
        s.pstats = <PStats *> calloc(nprocs, sizeof(PStats))
        s.runq_buf = <int32_t *> calloc(<size_t> nprocs * s.strat.ring_cap, sizeof(int32_t))
        s.coprimes = <int32_t *> calloc(nprocs, sizeof(int32_t))
        s.allm = <M *> calloc(maxmcount, sizeof(M))
        s.gchunks_cap = 16
        s.gchunks = <G **> calloc(s.gchunks_cap, sizeof(G *))
        s.heap_cap = 1024
        s.heap = <Event *> malloc(s.heap_cap * sizeof(Event))
        s.hist = <int64_t *> calloc(HIST_BUCKETS, sizeof(int64_t))
        s.start_cap = 1024
        s.start_order = <int64_t *> malloc(s.start_cap * sizeof(int64_t))
        s.marks_cap = 1024
        s.marks = <MarkRec *> malloc(s.marks_cap * sizeof(MarkRec))
        s.steals_cap = 1024
        s.steals = <StealRec *> malloc(s.steals_cap * sizeof(StealRec))
        if (s.wgs == NULL or s.allp == NULL or s.pstats == NULL or s.runq_buf == NULL
                or s.coprimes == NULL or s.allm == NULL or s.gchunks == NULL or s.heap == NULL
                or s.hist == NULL or s.start_order == NULL or s.marks == NULL or s.steals == NULL):
            raise MemoryError("gmpcore: cannot allocate the engine state")
        for i in range(nwgs):
            s.wgs[i].waithead = -1
            s.wgs[i].waittail = -1
        caps = [] if chan_caps is None else [int(x) for x in chan_caps]
        s.nchans = len(caps)
        s.nmutexes = nmutexes
        s.nlocks = 1 + s.nchans + nrtlocks
        s.rtlock0 = 1 + s.nchans
        s.starve_cycles = starve_cycles
        s.poller = -1
        s.sudog_free = -1
        s.chans = <Chan *> calloc(max(s.nchans, 1), sizeof(Chan))
        s.mutexes = <Mutex *> calloc(max(nmutexes, 1), sizeof(Mutex))
        s.locks = <Lock *> calloc(s.nlocks, sizeof(Lock))
        # one timer heap per P, plus the netpoller's descriptors (s.netpoll_hp)
        s.timer_when = <int64_t **> calloc(nprocs + 1, sizeof(int64_t *))
        s.timer_g = <int32_t **> calloc(nprocs + 1, sizeof(int32_t *))
        s.ntimers = <int32_t *> calloc(nprocs + 1, sizeof(int32_t))
        s.timers_cap = <int32_t *> calloc(nprocs + 1, sizeof(int32_t))
        s.netpoll_hp = nprocs
        rws = [] if rw_w is None else [int(x) for x in rw_w]
        s.nrwmutexes = len(rws)
        s.rwmutexes = <RWMutex *> calloc(max(s.nrwmutexes, 1), sizeof(RWMutex))
        if s.rwmutexes == NULL:
            raise MemoryError("gmpcore: cannot allocate the engine state")
        for i in range(s.nrwmutexes):
            if not 0 <= rws[i] < nmutexes:
                raise ValueError("bad RWMutex writer mutex")
            s.rwmutexes[i].w = rws[i]
            s.rwmutexes[i].rsemhead = -1
            s.rwmutexes[i].rsemtail = -1
            s.rwmutexes[i].wsemhead = -1
            s.rwmutexes[i].wsemtail = -1
        if deadlines:
            s.deadlines_cap = 1024
            s.deadlines = <int64_t *> calloc(s.deadlines_cap, sizeof(int64_t))
            if s.deadlines == NULL:
                raise MemoryError("gmpcore: cannot allocate the engine state")
        kinds = [] if var_kinds is None else [int(x) for x in var_kinds]
        s.nvars = len(kinds)
        s.var_line = <int32_t *> calloc(max(s.nvars, 1), sizeof(int32_t))
        s.var_kind = <int32_t *> calloc(max(s.nvars, 1), sizeof(int32_t))
        if s.var_line == NULL or s.var_kind == NULL:
            raise MemoryError("gmpcore: cannot allocate the engine state")
        for i in range(s.nvars):
            s.var_kind[i] = kinds[i]
        if (s.chans == NULL or s.mutexes == NULL or s.locks == NULL or s.timer_when == NULL
                or s.timer_g == NULL or s.ntimers == NULL or s.timers_cap == NULL):
            raise MemoryError("gmpcore: cannot allocate the engine state")
        for i in range(s.nchans):
            s.chans[i].dataqsiz = caps[i]
            s.chans[i].recvq_head = -1
            s.chans[i].recvq_tail = -1
            s.chans[i].sendq_head = -1
            s.chans[i].sendq_tail = -1
            s.chans[i].lock_id = 1 + i
            if caps[i] > 0:
                s.chans[i].buf = <int64_t *> calloc(caps[i], sizeof(int64_t))
                if s.chans[i].buf == NULL:
                    raise MemoryError("gmpcore: cannot allocate a channel buffer")
        for i in range(s.nlocks):
            lock_init(&s.locks[i])
        for i in range(nmutexes):
            s.mutexes[i].semahead = -1
            s.mutexes[i].sematail = -1
        self._init_cache(cores if cores > 0 else nprocs, sockets, layout)

        # GOMAXPROCS: allp holds nprocs Ps (the most the program ever asks for); the Ps beyond
        # gomaxprocs start _Pdead
        if gomaxprocs <= 0:
            gomaxprocs = nprocs
        if gomaxprocs > nprocs:
            raise ValueError("gomaxprocs > nprocs")
        # randomOrder.reset(gomaxprocs): the strides coprime to it
        s.ncoprimes = 0
        for i in range(1, gomaxprocs + 1):
            if _gcd(i, gomaxprocs) == 1:
                s.coprimes[s.ncoprimes] = i
                s.ncoprimes += 1

        lock_init(&s.schedlock)
        s.schedlock.line = s.sched_line[SF_LOCK]
        s.sched.gomaxprocs = gomaxprocs
        s.sched.midle = -1
        s.sched.pidle = -1
        s.sched.runq_head = -1
        s.sched.runq_tail = -1
        s.sched.gFree = -1
        for i in range(nprocs):
            s.allp[i].id = i
            s.allp[i].m = -1
            s.allp[i].link = -1
            s.allp[i].runnext = -1
            s.allp[i].oldm = -1
            s.allp[i].gFree = -1
            s.allp[i].runq_off = <int64_t> i * s.strat.ring_cap
        # procresize: P0 runs main; the others go idle in descending id order on the LIFO
        # pidle list, so the lowest id is taken first
        for i in range(nprocs - 1, gomaxprocs - 1, -1):
            s.allp[i].status = _Pdead
        for i in range(gomaxprocs - 1, 0, -1):
            pidleput(s, NULL, i)
        s.allp[0].schedtick = start_schedtick

        mi = newm(s)                       # M0
        acquirep(s, mi, 0)
        gi = allocg(s)                     # the main goroutine, goid 1
        s.maing = gi
        gp = getg(s, gi)
        ginit(s, gp, s.func_entry[main_fn], 0, 0, -1)   # goid 1
        count_created(s)
        # runtime goroutines left runnable by init (e.g. runfinq, started by os's init): they
        # sit in P0's runnext when main.main begins, and park for good when they run
        for i in range(init_goroutines):
            if sys_fn < 0:
                raise ValueError("init_goroutines needs the runtime function")
            gi = allocg(s)
            gp = getg(s, gi)
            ginit(s, gp, s.func_entry[sys_fn], 0, 0, -1)
            gp.flags = G_FLAG_SYSTEM                       # not a user goroutine
            runqput(s, &s.allm[mi], &s.allp[0], gi, PUT_NEWPROC)
        if s.allm[mi].gbatch_n > 0:
            # (global queue designs) runtime goroutines start on the global queue itself
            globrunqputbatch(s, &s.allm[mi], s.allm[mi].gbatch_head, s.allm[mi].gbatch_tail,
                             s.allm[mi].gbatch_n)
            s.allm[mi].gbatch_n = 0
            s.allm[mi].gbatch_head = -1
            s.allm[mi].gbatch_tail = -1
        s.allm[mi].arg = s.maing
        goid_startup(s)
        s.allm[mi].arg2 = 1                # main starts in the time slice of runtime.main
        s.allm[mi].state = MS_EXECUTE
        m_push(s, 0, mi)
        if sample_every > 0:
            heap_push(s, 0, EV_SAMPLE, 0)
            s.bg_events += 1
        s.sysmon_m = -1
        if time_slice > 0:
            # runtime.main: newm(sysmon, nil) -- a thread without a P
            s.sysmon_m = newm(s)
            s.time_slice = time_slice
            s.sysmon_min = sysmon_min
            s.sysmon_max = sysmon_max
            s.sysmon_delay = sysmon_min
            heap_push(s, sysmon_min, EV_SYSMON, 0)
            s.bg_events += 1
        s.stw_m = -1
        s.gc_m = -1
        s.gcsema_head = -1
        s.gcsema_tail = -1
        s.stw_retry = stw_retry
        if gc_controller or gc_period > 0 or gc_heap_goal > 0:
            # the GC controller: a thread of its own that stops the world for GC pauses
            s.gc_m = newm(s)
            s.gc_period = gc_period
            s.gc_sweepterm = gc_sweepterm
            s.gc_markterm = gc_markterm
            s.gc_mark = gc_mark
            s.gc_heap_goal = gc_heap_goal
            if gc_period > 0:
                heap_push(s, gc_period, EV_GC, 0)
                s.bg_events += 1
        if arr_count > 0:
            arrivals_init(s, arr_fn, arr_dist, arr_count)
        s.cache_on = cache                 # (set last: setup itself is not modelled traffic)

    cdef _init_cache(self, int ncores, int sockets, int layout):
        # Lay the modelled lines out: each P's runq lines, the schedt lines, the user lines.
        cdef State *s = &self.s
        cdef int32_t i, j, k, C = s.strat.ring_cap, nsched, base, nvarlines
        if ncores < 1 or ncores > MAX_CORES or sockets < 1 or sockets > 8 or ncores % sockets:
            raise ValueError("bad cores/sockets")
        s.ncores = ncores
        s.cores_per_socket = ncores // sockets
        for i in range(sockets):
            for j in range(s.cores_per_socket):
                k = i * s.cores_per_socket + j
                s.socket_mask[i][k >> 6] |= (<uint64_t> 1) << (k & 63)
        if layout == 0:
            # Go's struct p: runqhead, runqtail, runq [C]guintptr, runnext -- contiguous, so
            # head/tail share a line with ring[0:7] and runnext with the last slot
            s.tail_line = 0
            s.slot_shift = 1
            s.slot_base = 0
            s.runnext_line = (C + 1) >> 3
        else:
            # padded: head, tail, ring and runnext each start a line of their own
            s.tail_line = 1
            s.slot_shift = 0
            s.slot_base = 2
            s.runnext_line = 2 + C // 8
        s.lines_per_p = s.runnext_line + 1
        if layout == 0:
            # schedt: lock shares a line with goidgen and the idle-M list; the global queue with
            # the idle-P list and the spinning counters
            nsched = 3
            s.sched_line[SF_LOCK] = 0
            s.sched_line[SF_MIDLE] = 0
            s.sched_line[SF_GOID] = 0
            s.sched_line[SF_RUNQ] = 1
            s.sched_line[SF_IDLE] = 1
            s.sched_line[SF_SPIN] = 1
            s.sched_line[SF_IDLEPMASK] = 2
        else:
            nsched = NSCHEDFIELDS
            for i in range(NSCHEDFIELDS):
                s.sched_line[i] = i
        base = s.nprocs * s.lines_per_p
        nvarlines = 0
        for i in range(s.nvars):
            s.var_line[i] = nvarlines                  # (offset; the base is added below)
            nvarlines += (1 if s.var_kind[i] == VAR_SHARED else
                          (s.nprocs + 7) // 8 if s.var_kind[i] == VAR_PER_P else s.nprocs)
        s.nlines = (base + nsched + s.nwgs + s.nchans + s.nmutexes + (s.nlocks - s.rtlock0)
                    + nvarlines + s.nrwmutexes)
        s.lines = <Line *> calloc(s.nlines, sizeof(Line))
        s.core_acc = <int64_t *> calloc(ncores, sizeof(int64_t))
        s.core_miss = <int64_t *> calloc(ncores, sizeof(int64_t))
        if s.lines == NULL or s.core_acc == NULL or s.core_miss == NULL:
            raise MemoryError("gmpcore: cannot allocate the cache model")
        for i in range(s.nlines):
            s.lines[i].owner = -1
        for i in range(s.nprocs):
            s.allp[i].line_base = i * s.lines_per_p
            for j in range(s.lines_per_p):
                k = i * s.lines_per_p + j
                if j == 0:
                    s.lines[k].cls = LC_P_HEAD
                elif j == s.runnext_line:
                    s.lines[k].cls = LC_P_RUNNEXT
                elif j == s.tail_line:
                    s.lines[k].cls = LC_P_TAIL
                else:
                    s.lines[k].cls = LC_P_RING
        for i in range(NSCHEDFIELDS):
            s.sched_line[i] += base
        if layout == 0:
            s.lines[base].cls = LC_SCHED_LOCK
            s.lines[base + 1].cls = LC_SCHED_RUNQ
            s.lines[base + 2].cls = LC_IDLEPMASK
        else:
            s.lines[s.sched_line[SF_LOCK]].cls = LC_SCHED_LOCK
            s.lines[s.sched_line[SF_RUNQ]].cls = LC_SCHED_RUNQ
            s.lines[s.sched_line[SF_IDLE]].cls = LC_SCHED_IDLE
            s.lines[s.sched_line[SF_SPIN]].cls = LC_SCHED_SPIN
            s.lines[s.sched_line[SF_MIDLE]].cls = LC_SCHED_MIDLE
            s.lines[s.sched_line[SF_GOID]].cls = LC_SCHED_GOID
            s.lines[s.sched_line[SF_IDLEPMASK]].cls = LC_IDLEPMASK
        s.wg_line0 = base + nsched
        for i in range(s.nwgs):
            s.lines[s.wg_line0 + i].cls = LC_USER
        s.chan_line0 = s.wg_line0 + s.nwgs
        for i in range(s.nchans):
            s.lines[s.chan_line0 + i].cls = LC_CHAN
            s.locks[1 + i].line = s.chan_line0 + i
        s.mutex_line0 = s.chan_line0 + s.nchans
        for i in range(s.nmutexes):
            s.lines[s.mutex_line0 + i].cls = LC_USER
            s.mutexes[i].line = s.mutex_line0 + i
        for i in range(s.rtlock0, s.nlocks):
            k = s.mutex_line0 + s.nmutexes + (i - s.rtlock0)
            s.lines[k].cls = LC_USER
            s.locks[i].line = k
        k = s.mutex_line0 + s.nmutexes + (s.nlocks - s.rtlock0)
        for i in range(k, s.nlines):
            s.lines[i].cls = LC_USER
        for i in range(s.nvars):
            s.var_line[i] += k
        s.rw_line0 = s.nlines - s.nrwmutexes
        for i in range(s.nrwmutexes):
            s.rwmutexes[i].line = s.rw_line0 + i
    def __dealloc__(self):
        cdef int32_t i
        if self.s.gchunks != NULL:
            for i in range(self.s.ngchunks):
                free(self.s.gchunks[i])
        free(self.s.gchunks)
        free(self.s.wgs)
        free(self.s.allp)
        free(self.s.pstats)
        free(self.s.runq_buf)
        free(self.s.coprimes)
        free(self.s.allm)
        free(self.s.heap)
        free(self.s.hist)
        free(self.s.start_order)
        free(self.s.marks)
        free(self.s.steals)
        free(self.s.lines)
        if self.s.chans != NULL:
            for i in range(self.s.nchans):
                free(self.s.chans[i].buf)
        free(self.s.chans)
        free(self.s.sudogs)
        free(self.s.deadlines)
        free(self.s.rwmutexes)
        free(self.s.var_line)
        free(self.s.var_kind)
        free(self.s.mutexes)
        free(self.s.locks)
        if self.s.timer_when != NULL:
            for i in range(self.s.nprocs + 1):
                free(self.s.timer_when[i])
                free(self.s.timer_g[i])
        free(self.s.timer_when)
        free(self.s.timer_g)
        free(self.s.ntimers)
        free(self.s.timers_cap)
        free(self.s.samples)
        free(self.s.sample_runq)
        free(self.s.sample_ticks)
        free(self.s.trace)
        free(self.s.core_acc)
        free(self.s.core_miss)

    def run(self, long long chunk=1 << 22, long long check_every=0, bint pause_on_sample=False):
        """Run up to `chunk` events (then return, so Python can honour Ctrl-C and report
        progress).  Returns the status name; 'running' means call again.  With
        pause_on_sample, it also returns right after each sample ('sample')."""
        cdef int rc
        if GMPCORE_DEBUG_BUILD and check_every == 0:
            check_every = DEBUG_CHECK_EVERY
        self.s.pause_on_sample = pause_on_sample
        with nogil:
            rc = run_loop(&self.s, chunk, check_every)
        if rc == 1 and self.s.status == ST_RUNNING:
            return "sample"
        return STATUS_NAMES[self.s.status]

    def check(self):
        """Check the scheduler invariants now; returns 0 or the number of the failed check."""
        return check_invariants(&self.s)

    @property
    def status(self):
        return STATUS_NAMES[self.s.status]

    @property
    def error(self):
        return ERROR_NAMES.get(self.s.err_code, "error"), self.s.err_code, self.s.err_arg

    @property
    def now(self):
        return self.s.now

    @property
    def events(self):
        return self.s.events

    def counters(self):
        d = dict(self.s.c)
        d["cycles"] = self.s.now
        d["events"] = self.s.events
        d["threads"] = self.s.sched.mnext
        d["gomaxprocs"] = self.s.sched.gomaxprocs
        d["live_goroutines"] = self.s.sched.ngoroutines
        d["g_records"] = self.s.nallg
        d["lock_acquisitions"] = self.s.schedlock.acquisitions
        d["lock_contended"] = self.s.schedlock.contended
        d["lock_wait_cycles"] = self.s.schedlock.wait_cycles
        d["lock_hold_cycles"] = self.s.schedlock.hold_cycles
        d["globrunq_len"] = self.s.sched.runqsize
        d["npidle"] = self.s.sched.npidle
        d["nmspinning"] = self.s.sched.nmspinning
        d["nmidle"] = self.s.sched.nmidle
        d["ncores"] = self.s.ncores
        return d

    def hist(self):
        return np.asarray(<int64_t[:HIST_BUCKETS]> self.s.hist).copy()

    def start_order(self):
        if self.s.nstart == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(<int64_t[:self.s.nstart]> self.s.start_order).copy()

    def marks(self):
        if self.s.nmarks == 0:
            return np.zeros(0, dtype=MARK_DTYPE)
        return np.asarray(<MarkRec[:self.s.nmarks]> self.s.marks).copy()

    def steals(self):
        if self.s.nsteals == 0:
            return np.zeros(0, dtype=STEAL_DTYPE)
        return np.asarray(<StealRec[:self.s.nsteals]> self.s.steals).copy()

    def samples(self):
        """(records, runq[nsamples, nprocs], schedticks[nsamples, nprocs]) of the sampler."""
        cdef int64_t n = self.s.nsamples, P = self.s.nprocs
        if n == 0:
            return (np.zeros(0, dtype=SAMPLE_DTYPE), np.zeros((0, P), dtype=np.int32),
                    np.zeros((0, P), dtype=np.uint32))
        return (np.asarray(<SampleRec[:n]> self.s.samples).copy(),
                np.asarray(<int32_t[:n * P]> self.s.sample_runq).reshape(n, P).copy(),
                np.asarray(<uint32_t[:n * P]> self.s.sample_ticks).reshape(n, P).copy())

    def trace(self, bint release=False):
        """(events of TRACE_DTYPE, number of events dropped over the cap).  With release,
        the native buffer is freed right after the copy (the run is over)."""
        if self.s.ntrace == 0:
            return np.zeros(0, dtype=TRACE_DTYPE), self.s.trace_lost
        out = np.asarray(<TraceEv[:self.s.ntrace]> self.s.trace).copy()
        if release:
            free(self.s.trace)
            self.s.trace = NULL
            self.s.ntrace = 0
            self.s.trace_alloc = 0
            self.s.trace_cap = 0
        return out, self.s.trace_lost

    def mutex_stats(self):
        return [dict(self.s.mutexes[i]) for i in range(self.s.nmutexes)]

    def rwmutex_stats(self):
        return [dict(self.s.rwmutexes[i]) for i in range(self.s.nrwmutexes)]

    def rtlock_stats(self):
        return [dict(acquisitions=self.s.locks[i].acquisitions,
                     contended=self.s.locks[i].contended,
                     wait_cycles=self.s.locks[i].wait_cycles,
                     hold_cycles=self.s.locks[i].hold_cycles)
                for i in range(self.s.rtlock0, self.s.nlocks)]

    def chan_stats(self):
        cdef Chan *c
        out = []
        for i in range(self.s.nchans):
            c = &self.s.chans[i]
            out.append({"dataqsiz": c.dataqsiz, "qcount": c.qcount, "sends": c.sends,
                        "recvs": c.recvs, "blocked_sends": c.blocked_sends,
                        "blocked_recvs": c.blocked_recvs, "closed": c.closed})
        return out

    def cache_stats(self):
        """Per line class: accesses, hits, transfers (same / other socket), memory, ..."""
        return np.asarray(<CacheStats[:NLINECLASSES]> self.s.cstats).copy()

    def core_stats(self):
        acc = np.asarray(<int64_t[:self.s.ncores]> self.s.core_acc).copy()
        miss = np.asarray(<int64_t[:self.s.ncores]> self.s.core_miss).copy()
        return acc, miss

    def timers_len(self):
        """Timers in each P's heap (len(pp.timers.heap), as scheddetail prints it)."""
        return np.asarray(<int32_t[:self.s.nprocs]> self.s.ntimers).copy()

    def pstats(self):
        return np.asarray(<PStats[:self.s.nprocs]> self.s.pstats).copy()

    def procs(self):
        return np.asarray(<P[:self.s.nprocs]> self.s.allp).copy()

    def threads(self):
        if self.s.sched.mnext == 0:
            return np.zeros(0, dtype=M_DTYPE)
        return np.asarray(<M[:self.s.sched.mnext]> self.s.allm).copy()

    def goroutines(self, bint live_only=False):
        """G records in allgs order, as a structured array of G_DTYPE (live_only: skip
        _Gdead records, which are most of them after a large run)."""
        cdef int32_t i, n = 0, k = 0
        for i in range(self.s.nallg):
            if not live_only or getg(&self.s, i).status != _Gdead:
                n += 1
        out = np.zeros(n, dtype=G_DTYPE)
        cdef G[::1] view = out
        for i in range(self.s.nallg):
            if not live_only or getg(&self.s, i).status != _Gdead:
                view[k] = getg(&self.s, i)[0]
                k += 1
        return out

    def runq(self, int p):
        """G indexes in P p's ring, head to tail."""
        cdef P *pp = &self.s.allp[p]
        cdef uint32_t h = pp.runqhead, t = pp.runqtail
        return np.array([self.s.runq_buf[pp.runq_off + ((h + i) & self.s.ring_mask)]
                         for i in range(t - h)], dtype=np.int32)

    def global_runq(self):
        out = []
        cdef int32_t gi = self.s.sched.runq_head
        while gi != -1:
            out.append(gi)
            gi = getg(&self.s, gi).schedlink
        return np.array(out, dtype=np.int32)


cdef int _gcd(int a, int b) noexcept:
    while b:
        a, b = b, a % b
    return a


# --- hooks for the tests: drive native helpers directly (sklearn `_test_*` style) ------------

_ACC = {"r": ACC_READ, "w": ACC_WRITE, "rmw": ACC_RMW}
_OUTCOME = ("hit", "local", "remote", "mem")


def _test_coherence(int ncores, int sockets, int nlines, accesses, dict costs):
    """Apply `accesses` [(core, line, 'r'|'w'|'rmw'), ...] to a fresh directory of `nlines`
    lines on `ncores` cores in `sockets` sockets.  Returns (outcomes, cycles, lines) where
    outcomes[i] is 'hit' | 'local' | 'remote' | 'mem', and lines[j] = (owner, sharers, stats)."""
    cdef State st
    cdef State *s = &st
    cdef int32_t i, j, k, core, li
    cdef int64_t before[4]
    cdef int64_t c
    cdef CacheStats *cs
    memset(s, 0, sizeof(State))
    s.cost = costs
    s.cache_on = 1
    s.ncores = ncores
    s.cores_per_socket = ncores // sockets
    for i in range(sockets):
        for j in range(s.cores_per_socket):
            k = i * s.cores_per_socket + j
            s.socket_mask[i][k >> 6] |= (<uint64_t> 1) << (k & 63)
    s.lines = <Line *> calloc(nlines, sizeof(Line))
    s.core_acc = <int64_t *> calloc(ncores, sizeof(int64_t))
    s.core_miss = <int64_t *> calloc(ncores, sizeof(int64_t))
    try:
        for i in range(nlines):
            s.lines[i].owner = -1
            s.lines[i].cls = LC_USER
        outcomes, cycles = [], []
        cs = &s.cstats[LC_USER]
        for core, li, kind in accesses:
            if not 0 <= core < ncores or not 0 <= li < nlines:
                raise ValueError("core or line out of range")
            before[0], before[1], before[2], before[3] = (cs.hits, cs.transfers_local,
                                                          cs.transfers_remote, cs.mem)
            c = line_access(s, core, li, _ACC[kind])
            after = (cs.hits, cs.transfers_local, cs.transfers_remote, cs.mem)
            outcomes.append(_OUTCOME[[after[x] - before[x] for x in range(4)].index(1)])
            cycles.append(c)
        lines = []
        for i in range(nlines):
            sharers = [k for k in range(ncores)
                       if s.lines[i].sharers[k >> 6] & ((<uint64_t> 1) << (k & 63))]
            lines.append((s.lines[i].owner, sharers))
        stats = dict(s.cstats[LC_USER])
        return outcomes, cycles, lines, stats
    finally:
        free(s.lines)
        free(s.core_acc)
        free(s.core_miss)


def _test_steal_race(Engine eng, int fn, int k, long long t1, long long t2):
    """Two thieves race for one victim.  Put k runnable Gs (running function `fn`) in P0's
    ring; take P1 and P2 off the idle list for two new spinning Ms whose stealWork starts at
    cycles t1 and t2 with P0 as their first victim.  Run the engine afterwards."""
    cdef State *s = &eng.s
    cdef int32_t i, gi, mi, pi
    cdef G *gp
    cdef P *p0 = &s.allp[0]
    cdef M *mp
    if s.nprocs < 3 or k < 1 or k > s.strat.ring_cap:
        raise ValueError("needs 3 Ps and 1 <= k <= ring capacity")
    for i in range(k):
        gi = allocg(s)
        gp = getg(s, gi)
        ginit(s, gp, s.func_entry[fn], 0, 0, -1)
        count_created(s)
        s.runq_buf[p0.runq_off + (p0.runqtail & s.ring_mask)] = gi
        p0.runqtail += 1
    for t in (t1, t2):
        pi = pidleget(s, &s.allm[0])
        mi = newm(s)
        mp = &s.allm[mi]
        acquirep(s, mi, pi)
        mp.spinning = 1
        mp.spin_since = t
        s.sched.nmspinning += 1
        mp.steal_pass = 0
        mp.steal_pos = 0
        mp.steal_inc = 1
        mp.steal_i = 0
        mp.state = MS_STEAL_VICTIM
        m_push(s, t, mi)
    s.status = ST_RUNNING


def _bench_runq(Engine eng, long long rounds):
    """Queue-operation micro-benchmark (benchmarks/test_bench_queue.py): on P0 of a fresh
    engine, repeat `rounds` times: fill the ring with runqput (newproc-style, through runnext,
    so 256 puts kick 255 Gs to the ring), steal half of it into P1 with the runqgrab copy, and
    drain both rings with the owner's runqget.  Returns the number of queue operations."""
    cdef State *s = &eng.s
    cdef int32_t i, gi, base
    cdef long long r, ops = 0
    cdef P *p0 = &s.allp[0]
    cdef P *p1 = &s.allp[1]
    cdef M *mp = &s.allm[0]
    cdef uint32_t h, n
    if s.nprocs < 2 or s.strat.global_only:
        raise ValueError("needs 2 Ps and local rings")
    base = s.nallg
    for i in range(s.strat.ring_cap):
        gi = allocg(s)
        if gi < 0:
            raise MemoryError("gmpcore: cannot allocate G records")
    with nogil:
        for r in range(rounds):
            for i in range(s.strat.ring_cap):
                runqput(s, mp, p0, base + i, PUT_NEWPROC)
                ops += 1
            h = p0.runqhead
            n = (p0.runqtail - h) - (p0.runqtail - h) // 2
            runq_move(s, mp, p1, p0, h, n)
            ops += 1
            while p0.runnext != -1 or p0.runqhead != p0.runqtail:
                if p0.runnext != -1:
                    p0.runnext = -1
                else:
                    p0.runqhead += 1
                ops += 1
            p1.runqhead = p1.runqtail
            mp.gbatch_n = 0
    return ops
