# cython: language_level=3
"""The native engine of gmpcore: an integer-cycle discrete-event loop whose actors are Ms.

Python (gmpcore.runner) validates a run and builds Engine(program, config, kernels): the compiled
program's arrays, one RunConfig record (CONFIG_DTYPE; machine, costs, strategy, all in cycles)
and the strategy's kernels.  It then calls Engine.run() once per chunk of events; everything
per event happens here, without the GIL.  Layout of this extension:

    _types.pxd          every struct and enum, with Go's field names
    core/record.pxi     run errors (fail) and the growing recording buffers
    core/heap.pxi       event heap, (time, seq) order
    core/rng.pxi        the engine RNG and work distributions
    core/hist.pxi       log-linear latency histogram
    core/observe.pxi    the sampler and the bounded event trace
    cache/coherence.pxi coherence directory over modelled 64-byte lines (hit/transfer/memory)
    cache/layout.pxi    which fields share a line (Machine.layout), the user objects' lines
    sched/gs.pxi        G records, gFree caches, global queue, pidle/midle lists
    sched/footprint.pxi what creating a G costs beyond newproc: malg, cold reuses
    sched/lock.pxi      the modelled lock (sched.lock)
    sched/runq.pxi      per-P rings: runqput, runqputslow, steal copy
    sched/interp.pxi    goroutine bytecode: compute, go, WaitGroup, mark, loops, Gosched, exit
    sched/expr.pxi      the DSL's values: expressions, locals, go with arguments, if,
                        marks with values, channels made at run time
    sched/proc.pxi      Ms' micro-steps: schedule, findRunnable, stealWork, wakep, startm, stopm
    sched/cpu.pxi       Ms beyond the cores time-share them (per-core FIFO, OS time slice)
    sched/loop.pxi      the event loop; step_fns, the dispatch of a micro-step by M state
    sched/guard.pxi     the livelock guard (no goroutine progress at one instant) and the
                        periodic invariant check, both behind run_loop's one event-count test
    sched/check.pxi     the scheduler invariants, checked on demand
    sched/arrivals.pxi  open arrivals: goroutines injected from outside the Ps
    sched/chan.pxi      channels: sudog wait queues, chansend / chanrecv / closechan
    sched/select.pxi    selectgo: channel, timeout, ctx.Done() and default cases
    sched/mutex.pxi     sync.Mutex (normal and starvation modes) over a sema queue
    sched/rwmutex.pxi   sync.RWMutex
    sched/sema.pxi      their semaphores' semaRoot lock: unlocked before goready
    sched/timers.pxi    per-P timer heaps, checkTimers, the M blocked in netpoll
    sched/sysmon.pxi    sysmon: time-slice preemption, back-off, deep sleep
    sched/syscall.pxi   entersyscall / exitsyscall, retake, handoffp
    sched/netpoll.pxi   the netpoller: IO waits, netpoll(0), injectglist
    sched/stw.pxi       stop-the-world: GC pauses, GOMAXPROCS (procresize, stealOrder.reset)
    sched/gc.pxi        GC work: the GOGC pacer, mark workers, assists, the forEachP barrier
    sched/adapt.pxi     the adaptive GOMAXPROCS controller (a user kernel, every N ms)
    sched/pool.pxi      sync.Pool: per-P poolLocal, getSlow stealing, victim cache, poolCleanup
    sched/cond.pxi      sync.Cond over the runtime notify list (tickets)
    sched/ctx.pxi       context cancellation: CancelFunc closes Done, then the children's
    sched/lockos.pxi    LockOSThread (startlockedm / stoplockedm), entersyscallblock
    sched/start.pxi     start-up: allocate the state, schedinit, M0 and main, sysmon, GC thread
    exports.pxi         what Python reads: dtypes derived from the structs, enum tables
    loader.pxi          the native loader: every operand of the program and the RunConfig
                        checked (ValueError naming the instruction), kernels set
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


include "core/record.pxi"
include "core/heap.pxi"
include "core/rng.pxi"
include "core/hist.pxi"
include "core/observe.pxi"
include "cache/coherence.pxi"
include "cache/layout.pxi"
include "sched/gs.pxi"
include "sched/footprint.pxi"
include "sched/lock.pxi"
include "sched/runq.pxi"
include "sched/interp.pxi"
include "sched/expr.pxi"
include "sched/proc.pxi"
include "sched/steal.pxi"
include "sched/cpu.pxi"
include "sched/loop.pxi"
include "sched/guard.pxi"
include "sched/check.pxi"
include "sched/arrivals.pxi"
include "sched/chan.pxi"
include "sched/select.pxi"
include "sched/mutex.pxi"
include "sched/rwmutex.pxi"
include "sched/sema.pxi"
include "sched/timers.pxi"
include "sched/sysmon.pxi"
include "sched/syscall.pxi"
include "sched/netpoll.pxi"
include "sched/stw.pxi"
include "sched/gc.pxi"
include "sched/adapt.pxi"
include "sched/pool.pxi"
include "sched/cond.pxi"
include "sched/ctx.pxi"
include "sched/lockos.pxi"
include "sched/start.pxi"
include "exports.pxi"
include "loader.pxi"


@cython.final
cdef object _records(const void *ptr, Py_ssize_t n, size_t size, object dtype):
    # a copy of n C records as a structured array of `dtype` (derived from the struct once, in
    # exports.pxi).  np.asarray of a typed memoryview makes numpy parse the struct's buffer
    # format in Python on every call: ~0.5 ms for P or M, per scheddetail snapshot.
    if dtype.itemsize != size:
        raise AssertionError(f"{dtype} does not match its C struct ({size} bytes)")
    out = np.empty(n, dtype=dtype)
    if n > 0:
        memcpy(cnp.PyArray_DATA(out), ptr, n * size)
    return out


cdef class Engine:
    """Engine(program, config, kernels=None)

    Owns the native state of one run; gmpcore.runner builds it (runner.make_engine for tests
    and benchmarks).  Same inputs give the same run, bit for bit.

    program   the compiled program (gmpcore.program.CompiledProgram): its code, function
              entries, distributions and object counts.  The loader checks every operand and
              refuses a bad one with a ValueError naming the instruction.
    config    one record of CONFIG_DTYPE (struct RunConfig: the machine, the run's limits and
              recording, the Costs and the Strategy), every time in cycles
    kernels   {hook name: gmpcore.Kernel} for the strategy's user kernels; the Engine holds
              them, so the compiled functions it calls live as long as it does
    """
    cdef State s
    cdef object _keep           # arrays whose memory the state points into
    cdef object _kernels        # the Kernel objects whose addresses are in s.kern

    def __cinit__(self):
        memset(&self.s, 0, sizeof(State))

    def __init__(self, program, config, kernels=None):
        cdef State *s = &self.s
        cdef RunConfig c
        cfg = np.asarray(config)
        if cfg.dtype != CONFIG_DTYPE or cfg.size != 1:
            raise TypeError(f"Engine config must be one record of _engine.CONFIG_DTYPE, got "
                            f"{cfg.dtype} x {cfg.size} (gmpcore.runner.native_config builds it)")
        cfg = cfg.reshape(()).copy()        # (a 0-d record of its own, C-contiguous)
        check_config(cfg)
        memcpy(&c, cnp.PyArray_DATA(cfg), sizeof(RunConfig))
        s.nprocs = c.nprocs
        loaded = load_program(s, program, &c)
        self._keep = loaded["arrays"]
        self._kernels = set_kernels(s, kernels)

        s.strat = c.strat
        s.cost = c.cost
        s.rng = c.seed
        s.status = ST_RUNNING
        s.max_events = c.max_events
        s.max_cycles = c.max_cycles
        s.record = c.record
        s.maxmcount = c.maxmcount
        s.sample_every = c.sample_every
        s.trace_cap = c.trace_cap
        s.trace_from = c.trace_from
        s.trace_to = c.trace_to
        s.ring_mask = <uint32_t> (s.strat.ring_cap - 1)
        s.starve_cycles = c.starve_cycles
        if c.time_slice > 0:
            s.time_slice = c.time_slice
            s.sysmon_min = c.sysmon_min
            s.sysmon_max = c.sysmon_max
        s.stw_retry = c.stw_retry
        # (the GOMAXPROCS controller stops the world from the GC controller's thread)
        gc_controller = loaded["uses_alloc"] or (c.adapt_every > 0 and
                                                 s.kern.gomaxprocs != NULL)
        if gc_controller or c.gc_period > 0 or c.gc_heap_goal > 0:
            s.gc_period = c.gc_period
            s.gc_sweepterm = c.gc_sweepterm
            s.gc_markterm = c.gc_markterm
            s.gc_mark = c.gc_mark
            s.gc_heap_goal = c.gc_heap_goal
            if c.gc_pacer and gc_init(s, &c) != 0:
                raise MemoryError("gmpcore: cannot allocate the GC tables")
        state_alloc(s, loaded["chan_caps"], loaded["rw_w"], loaded["var_kinds"],
                    loaded["uses_deadlines"], loaded["nrtlocks"])
        # sync.Pool, sync.Cond, contexts and the per-G side table they need (before the
        # cache layout, which gives the pools and conds their lines)
        pools_alloc(s, loaded["pool_padded"], loaded["pool_has_new"], loaded["pool_new_base"])
        conds_alloc(s, loaded["nconds"])
        ctxs_alloc(s, loaded["ctx_parent"], loaded["ctx_done"])
        if loaded["uses_gsync"]:
            gsync_alloc(s)
        cache_layout(s, c.cores if c.cores > 0 else c.nprocs, c.sockets, c.layout)
        sched_start(s, c.gomaxprocs, c.start_schedtick, loaded["main_fn"], loaded["sys_fn"],
                    c.init_goroutines, gc_controller, loaded["arr_fn"], loaded["arr_dist"],
                    loaded["arr_count"])
        if c.adapt_every > 0 and s.kern.gomaxprocs != NULL:
            s.adapt_every = c.adapt_every
            s.clock_ghz = c.clock_ghz
            adapt_init(s)
        if c.os_slice > 0 and s.nprocs > s.ncores:
            cpu_alloc(s, c.os_slice)           # Ms beyond the cores time-share them (cpu.pxi)
        s.cache_on = c.cache               # (set last: setup itself is not modelled traffic)

    def __dealloc__(self):
        state_free(&self.s)
        cpu_free(&self.s)
        free(self.s.g_touched_at)

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
            cache_cycles_check(&self.s)
        if rc == 1 and self.s.status == ST_RUNNING:
            return "sample"
        return STATUS_NAMES[self.s.status]

    def set_recording_limit(self, long long nbytes):
        """Bytes the growing recording buffers (start order, marks, steals, samples) may hold
        in all; past it the run stops with 'recording memory limit' (0: no limit)."""
        self.s.rec_limit = nbytes

    @property
    def recording_bytes(self):
        return self.s.rec_bytes

    def check(self):
        """Check the scheduler invariants now; returns 0 or the number of the failed check."""
        return check_invariants(&self.s)

    @property
    def status(self):
        return STATUS_NAMES[self.s.status]

    @property
    def error(self):
        """(error code, argument) of a run that ended with status 'error': an ERR_* value of
        ERROR_CODES, and what it names (a WaitGroup, channel, ... index, or an invariant)."""
        return self.s.err_code, self.s.err_arg

    @property
    def now(self):
        return self.s.now

    @property
    def events(self):
        return self.s.events

    def counters(self):
        d = dict(self.s.c)
        d["lat_sum"] += d.pop("lat_sum_hi") << 62         # (see Counters.lat_sum_hi)
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
        d["lock_sleeps"] = self.s.schedlock.sleeps          # the spin-bit mutex (lock.pxi)
        d["lock_wakes"] = self.s.schedlock.wakes
        d["lock_tail_wakes"] = self.s.schedlock.tail_wakes
        d["lock_spin_acquires"] = self.s.schedlock.spin_acquires
        d["globrunq_len"] = self.s.sched.runqsize
        d["npidle"] = self.s.sched.npidle
        d["nmspinning"] = self.s.sched.nmspinning
        d["nmidle"] = self.s.sched.nmidle
        d["ncores"] = self.s.ncores
        d.update(metrics_counters(&self.s))               # (core/observe.pxi)
        return d

    def unpark_hist(self):
        """P unpark latencies (pidleput -> acquirep), in the latency histogram's buckets."""
        return np.asarray(<int64_t[:HIST_BUCKETS]> self.s.unpark_hist).copy()

    def hist(self):
        return np.asarray(<int64_t[:HIST_BUCKETS]> self.s.hist).copy()

    def gc_assist_hist(self):
        """Mark-assist cycles per goroutine charged some (sched/gc.pxi), in the latency
        histogram's buckets: the goroutines that exited, and those still live."""
        cdef int32_t gi
        out = np.asarray(<int64_t[:HIST_BUCKETS]> self.s.gcs.assist_hist).copy()
        if self.s.gcs.on:
            for gi in range(self.s.nallg):
                if self.s.gcs.gassist[gi] > 0:
                    out[hist_bucket(self.s.gcs.gassist[gi])] += 1
        return out

    def start_order(self):
        if self.s.nstart == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(<int64_t[:self.s.nstart]> self.s.start_order).copy()

    def marks(self):
        if self.s.nmarks == 0:
            return np.zeros(0, dtype=MARK_DTYPE)
        return _records(self.s.marks, self.s.nmarks, sizeof(MarkRec), MARK_DTYPE)

    def steals(self):
        if self.s.nsteals == 0:
            return np.zeros(0, dtype=STEAL_DTYPE)
        return _records(self.s.steals, self.s.nsteals, sizeof(StealRec), STEAL_DTYPE)

    def samples(self):
        """(records, runq[nsamples, nprocs], schedticks[nsamples, nprocs]) of the sampler."""
        cdef int64_t n = self.s.nsamples, P = self.s.nprocs
        if n == 0:
            return (np.zeros(0, dtype=SAMPLE_DTYPE), np.zeros((0, P), dtype=np.int32),
                    np.zeros((0, P), dtype=np.uint32))
        return (_records(self.s.samples, n, sizeof(SampleRec), SAMPLE_DTYPE),
                np.asarray(<int32_t[:n * P]> self.s.sample_runq).reshape(n, P).copy(),
                np.asarray(<uint32_t[:n * P]> self.s.sample_ticks).reshape(n, P).copy())

    def trace(self, bint release=False):
        """(events of TRACE_DTYPE, number of events dropped over the cap).  With release,
        the native buffer is freed right after the copy (the run is over)."""
        if self.s.ntrace == 0:
            return np.zeros(0, dtype=TRACE_DTYPE), self.s.trace_lost
        out = _records(self.s.trace, self.s.ntrace, sizeof(TraceEv), TRACE_DTYPE)
        if release:
            free(self.s.trace)
            self.s.trace = NULL
            self.s.ntrace = 0
            self.s.trace_alloc = 0
            self.s.trace_cap = 0
        return out, self.s.trace_lost

    def mutex_stats(self):
        return [dict(self.s.mutexes[i], **self._sema_lock(self.s.mutexes[i].sema_lock))
                for i in range(self.s.nmutexes)]

    def rwmutex_stats(self):
        return [dict(self.s.rwmutexes[i], **self._sema_lock(self.s.rwmutexes[i].sema_lock))
                for i in range(self.s.nrwmutexes)]

    def _sema_lock(self, int32_t i):
        # the semaRoot lock's counters (sched/sema.pxi)
        return {"sema_acquisitions": self.s.locks[i].acquisitions,
                "sema_contended": self.s.locks[i].contended,
                "sema_wait_cycles": self.s.locks[i].wait_cycles,
                "sema_hold_cycles": self.s.locks[i].hold_cycles}

    def pool_stats(self):
        """Per sync.Pool: Get/Put counts by where Get found its value, and what the pool's
        lines did in the cache model."""
        return [pool_stats_of(&self.s.pools[i]) for i in range(self.s.npools)]

    def cond_stats(self):
        return [{"waits": self.s.conds[i].waits, "signals": self.s.conds[i].signals,
                 "broadcasts": self.s.conds[i].broadcasts, "wakeups": self.s.conds[i].wakeups,
                 "waiting": self.s.conds[i].nwait} for i in range(self.s.nconds)]

    def ctx_stats(self):
        return [{"canceled": bool(self.s.chans[self.s.ctxs[i].done].closed),
                 "cancels": self.s.ctxs[i].cancels} for i in range(self.s.nctxs)]

    def sync_counters(self):
        """Counters of LockOSThread and entersyscallblock (kept out of Counters, whose
        fields are Result.summary's)."""
        return {"lockedm_handoffs": self.s.lockedm_handoffs,
                "lockedm_exits": self.s.lockedm_exits, "syscall_block": self.s.syscall_block}

    def rtlock_stats(self):
        return [dict(acquisitions=self.s.locks[i].acquisitions,
                     contended=self.s.locks[i].contended,
                     wait_cycles=self.s.locks[i].wait_cycles,
                     hold_cycles=self.s.locks[i].hold_cycles,
                     sleeps=self.s.locks[i].sleeps, wakes=self.s.locks[i].wakes,
                     tail_wakes=self.s.locks[i].tail_wakes,
                     spin_acquires=self.s.locks[i].spin_acquires)
                # (the semaRoot locks of the mutexes and RWMutexes, then those of the channels
                # made at run time, follow the runtime locks)
                for i in range(self.s.rtlock0,
                               self.s.nlocks - (self.s.nchans - self.s.nchans_static)
                               - self.s.nmutexes - self.s.nrwmutexes)]

    def chan_stats(self):
        cdef Chan *c
        out = []
        for i in range(self.s.nchans):
            c = &self.s.chans[i]
            out.append({"dataqsiz": c.dataqsiz, "qcount": c.qcount, "sends": c.sends,
                        "recvs": c.recvs, "blocked_sends": c.blocked_sends,
                        "blocked_recvs": c.blocked_recvs, "closed": c.closed,
                        # hchan.lock (a modelled runtime mutex)
                        "lock_acquisitions": self.s.locks[c.lock_id].acquisitions,
                        "lock_contended": self.s.locks[c.lock_id].contended,
                        "lock_wait_cycles": self.s.locks[c.lock_id].wait_cycles,
                        "lock_hold_cycles": self.s.locks[c.lock_id].hold_cycles,
                        "site": c.site})
        return out

    def cache_stats(self):
        """Per line class: accesses, hits, transfers (same / other socket), memory, ..."""
        out = np.zeros(NLINECLASSES, dtype=CACHESTATS_DTYPE)
        cdef CacheStats[::1] view = out
        cstats_total(&self.s, &view[0])
        return out

    def core_stats(self):
        miss = np.asarray(<int64_t[:self.s.ncores]> self.s.core_miss).copy()
        acc = np.asarray(<int64_t[:self.s.ncores]> self.s.core_hit) + miss
        return acc, miss

    def timers_len(self):
        """Timers in each P's heap (len(pp.timers.heap), as scheddetail prints it)."""
        return np.asarray(<int32_t[:self.s.nprocs]> self.s.ntimers).copy()

    def pstats(self):
        return _records(self.s.pstats, self.s.nprocs, sizeof(PStats), PSTATS_DTYPE)

    def procs(self):
        return _records(self.s.allp, self.s.nprocs, sizeof(P), P_DTYPE)

    def threads(self):
        if self.s.sched.mnext == 0:
            return np.zeros(0, dtype=M_DTYPE)
        return _records(self.s.allm, self.s.sched.mnext, sizeof(M), M_DTYPE)

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
