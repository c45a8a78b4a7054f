# cython: language_level=3
"""The native engine of gmpcore: an integer-cycle discrete-event loop whose actors are Ms.

Python (gmpcore.runner) validates a run, builds flat arrays (bytecode, distributions, costs,
strategy) and calls Engine.run() once per chunk of events; everything per event happens here,
without the GIL.  Layout of this extension:

    _types.pxd          every struct and enum, with Go's field names
    core/record.pxi     run errors (fail) and the growing recording buffers
    core/heap.pxi       event heap, (time, seq) order
    core/rng.pxi        the engine RNG and work distributions
    core/hist.pxi       log-linear latency histogram
    core/observe.pxi    the sampler and the bounded event trace
    cache/coherence.pxi coherence directory over modelled 64-byte lines (hit/transfer/memory)
    cache/layout.pxi    which fields share a line (Machine.layout), the user objects' lines
    sched/gs.pxi        G records, gFree caches, global queue, pidle/midle lists
    sched/lock.pxi      the modelled lock (sched.lock)
    sched/runq.pxi      per-P rings: runqput, runqputslow, steal copy
    sched/interp.pxi    goroutine bytecode: compute, go, WaitGroup, mark, loops, Gosched, exit
    sched/proc.pxi      Ms' micro-steps: schedule, findRunnable, stealWork, wakep, startm, stopm
    sched/loop.pxi      the event loop and m_step, the dispatch of a micro-step by M state
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
    sched/stw.pxi       stop-the-world: GC pauses, GOMAXPROCS (procresize, stealOrder.reset)
    sched/start.pxi     start-up: allocate the state, schedinit, M0 and main, sysmon, GC thread
    exports.pxi         what Python reads: dtypes derived from the structs, enum tables
    testhooks.pxi       _test_* / _bench_* hooks that drive native helpers directly
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


include "core/record.pxi"
include "core/heap.pxi"
include "core/rng.pxi"
include "core/hist.pxi"
include "core/observe.pxi"
include "cache/coherence.pxi"
include "cache/layout.pxi"
include "sched/gs.pxi"
include "sched/lock.pxi"
include "sched/runq.pxi"
include "sched/interp.pxi"
include "sched/proc.pxi"
include "sched/loop.pxi"
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
include "sched/start.pxi"
include "exports.pxi"


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
        s.nmutexes = nmutexes
        s.starve_cycles = starve_cycles
        if time_slice > 0:
            s.time_slice = time_slice
            s.sysmon_min = sysmon_min
            s.sysmon_max = sysmon_max
        s.stw_retry = stw_retry
        if gc_controller or gc_period > 0 or gc_heap_goal > 0:
            s.gc_period = gc_period
            s.gc_sweepterm = gc_sweepterm
            s.gc_markterm = gc_markterm
            s.gc_mark = gc_mark
            s.gc_heap_goal = gc_heap_goal
        state_alloc(s, [] if chan_caps is None else [int(x) for x in chan_caps],
                    [] if rw_w is None else [int(x) for x in rw_w],
                    [] if var_kinds is None else [int(x) for x in var_kinds], deadlines,
                    nrtlocks)
        cache_layout(s, cores if cores > 0 else nprocs, sockets, layout)
        sched_start(s, gomaxprocs, start_schedtick, main_fn, sys_fn, init_goroutines,
                    gc_controller, arr_fn, arr_dist, arr_count)
        s.cache_on = cache                 # (set last: setup itself is not modelled traffic)

    def __dealloc__(self):
        state_free(&self.s)

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


include "testhooks.pxi"
