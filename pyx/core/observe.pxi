# Observation: the sampler (a periodic look at the scheduler, as sysmon's schedtrace takes one)
# and the bounded event trace.  Both are off unless asked for; the trace keeps at most
# trace_cap events inside [trace_from, trace_to) and counts what it had to drop.

cdef inline void trace_ev(State *s, int32_t kind, int64_t goid, int64_t arg, int32_t p,
                          int32_t m, int32_t reason) noexcept nogil:
    # the test inline (most runs trace nothing: a call per scheduler event for nothing cost
    # ~15 host instructions), the recording out of line
    if s.trace_cap != 0:
        trace_rec(s, kind, goid, arg, p, m, reason)


cdef void trace_rec(State *s, int32_t kind, int64_t goid, int64_t arg, int32_t p, int32_t m,
                    int32_t reason) noexcept nogil:
    cdef TraceEv *buf
    cdef TraceEv *e
    cdef int64_t n
    if s.now < s.trace_from or s.now >= s.trace_to:
        return
    if s.ntrace >= s.trace_cap:
        s.trace_lost += 1
        return
    if s.ntrace == s.trace_alloc:
        n = 2 * s.trace_alloc if s.trace_alloc > 0 else 4096
        if n > s.trace_cap:
            n = s.trace_cap
        buf = <TraceEv *> realloc(s.trace, n * sizeof(TraceEv))
        if buf == NULL:
            s.trace_lost += 1
            return
        s.trace = buf
        s.trace_alloc = n
    e = &s.trace[s.ntrace]
    s.ntrace += 1
    e.time = s.now
    e.goid = goid
    e.arg = arg
    e.kind = kind
    e.p = p
    e.m = m
    e.reason = reason


cdef int take_sample(State *s) noexcept nogil:
    cdef SampleRec *buf
    cdef int32_t *rq
    cdef uint32_t *tk
    cdef SampleRec *r
    cdef int64_t n
    cdef int32_t i
    if s.nsamples == s.samples_cap:
        n = 2 * s.samples_cap if s.samples_cap > 0 else 256
        if not rec_charge(s, (n - s.samples_cap) * (<int64_t> sizeof(SampleRec) +
                                                    s.nprocs * 8), 7):
            return 0                                  # (the run is stopped)
        buf = <SampleRec *> realloc(s.samples, n * sizeof(SampleRec))
        if buf == NULL:
            return -1
        s.samples = buf
        rq = <int32_t *> realloc(s.sample_runq, n * s.nprocs * sizeof(int32_t))
        if rq == NULL:
            return -1
        s.sample_runq = rq
        tk = <uint32_t *> realloc(s.sample_ticks, n * s.nprocs * sizeof(uint32_t))
        if tk == NULL:
            return -1
        s.sample_ticks = tk
        s.samples_cap = n
    r = &s.samples[s.nsamples]
    r.time = s.now
    r.runqsize = s.sched.runqsize
    r.live = s.sched.ngoroutines
    r.gomaxprocs = s.sched.gomaxprocs
    r.npidle = s.sched.npidle
    r.threads = s.sched.mnext
    r.nmspinning = s.sched.nmspinning
    r.needspinning = s.sched.needspinning
    r.nmidle = s.sched.nmidle
    r.gcwaiting = s.gcwaiting
    r.stopwait = s.stopwait if s.gcwaiting else 0
    sample_metrics(s, r)
    for i in range(s.nprocs):
        s.sample_runq[s.nsamples * s.nprocs + i] = <int32_t> (s.allp[i].runqtail -
                                                              s.allp[i].runqhead)
        s.sample_ticks[s.nsamples * s.nprocs + i] = s.allp[i].schedtick
    s.nsamples += 1
    return 0


# --- The article's 4.2 metrics -----------------------------------------------------------------
# Three figures the article cross-checks to tell P starvation from a scheduler that is slow to
# hand out Ps (docs/observability.md, "Idle Ms, P unpark latency and G wait"):
#   * M idle fraction: the share of the scheduler threads' time spent parked on sched.midle
#     (stopm -> startm), against the thread-time of every M but sysmon, the GC controller's
#     thread and the arrivals injector;
#   * P unpark latency: for each P, from the pidleput that made it idle to the next acquirep
#     of that P (proc.go pidleput / acquirep); a P that stays idle through a stop-the-world
#     keeps its first pidleput time, a P destroyed by procresize drops its spell;
#   * G wait for a P: the integral over time of the number of _Grunnable Gs (Go 1.27's
#     /sched/goroutines/runnable:goroutines, integrated), and the part of it during which no
#     P was idle -- Gs waiting for a P proper, rather than for an M to take an idle P.  The
#     first equals the sum of scheduling latencies (/sched/latencies:seconds) plus the wait of
#     the Gs still runnable; tests/test_metrics.py checks that to the cycle.

cdef extern from *:
    bint __builtin_smulll_overflow(long long, long long, long long *) nogil


cdef enum:
    CARRY_BITS = 62          # the runnable integrals' low words stay below 2^62


cdef inline void acc_area(int64_t *lo, int64_t *hi, int64_t dt, int64_t n) noexcept nogil:
    # (hi, lo) += dt * n exactly, for 0 <= dt < 2^62 and 0 <= n < 2^31: the product may pass
    # 2^63, so it is added in two parts of at most 2^62 each
    cdef int64_t q = (dt >> 31) * n                  # < 2^62: the part in units of 2^31
    cdef int64_t lomask = ((<int64_t> 1) << CARRY_BITS) - 1
    hi[0] += q >> 31
    lo[0] += (q & 0x7fffffff) << 31
    lo[0] += (dt & 0x7fffffff) * n
    hi[0] += lo[0] >> CARRY_BITS                     # lo < 3 * 2^62 before: no overflow
    lo[0] &= lomask


cdef inline void runnable_flush(State *s) noexcept nogil:
    # integrate the runnable count up to now (before it or npidle changes).  Time only moves
    # forward here: a step whose effects are dated earlier than the last flush adds nothing.
    cdef int64_t dt = s.now - s.runnable_at
    if dt <= 0:
        return
    s.runnable_at = s.now
    if s.nrunnable <= 0:
        return
    acc_area(&s.c.g_runnable_cycles, &s.c.g_runnable_hi, dt, s.nrunnable)
    if s.sched.npidle == 0:
        acc_area(&s.c.g_wait_p_cycles, &s.c.g_wait_p_hi, dt, s.nrunnable)


cdef inline void runnable_delta(State *s, int32_t d) noexcept nogil:
    # a G entered (+1) or left (-1) _Grunnable at s.now
    runnable_flush(s)
    s.nrunnable += d


cdef inline void unpark_end(State *s, P *pp) noexcept nogil:
    # acquirep of a P that was idle: its unpark latency, pidleput -> now
    cdef int64_t v = s.now - pp.pidle_since
    pp.pidle_since = -1
    if v < 0:
        v = 0
    s.unpark_hist[hist_bucket(v)] += 1
    s.c.p_unparks += 1
    acc_add(s, &s.c.p_unpark_cycles, v, OVF_RUNNABLE)
    if v > s.c.p_unpark_max:
        s.c.p_unpark_max = v


cdef inline bint scheduler_thread(State *s, int32_t mi) noexcept nogil:
    # an M that runs the scheduler (not sysmon, the GC controller's thread or the injector)
    return mi != s.sysmon_m and mi != s.gc_m and mi != s.arr_m


cdef void m_time_now(State *s, int64_t *idle, int64_t *total) noexcept nogil:
    # the scheduler threads' idle cycles (closed spells, plus those of the Ms parked on
    # sched.midle now) and their thread-time, up to now
    cdef int32_t mi
    cdef int64_t t = 0, i = s.c.idle_cycles
    for mi in range(s.sched.mnext):
        if scheduler_thread(s, mi) and s.now > s.allm[mi].born:
            t += s.now - s.allm[mi].born
    mi = s.sched.midle
    while mi != -1:
        if s.now > s.allm[mi].idle_since:
            i += s.now - s.allm[mi].idle_since
        mi = s.allm[mi].schedlink
    idle[0] = i
    total[0] = t


cdef inline int64_t sat_total(int64_t lo, int64_t hi) noexcept nogil:
    # hi * 2^62 + lo, or INT64_MAX past it (samples and the controller's metrics are int64)
    if hi >= 2 or (hi == 1 and lo >= ((<int64_t> 1) << CARRY_BITS)):
        return INT64_MAX
    return hi * ((<int64_t> 1) << CARRY_BITS) + lo


cdef void runnable_now(State *s, int64_t *runnable, int64_t *waitp) noexcept nogil:
    # g_runnable_cycles and g_wait_p_cycles integrated up to now, without changing the state
    # (saturating at INT64_MAX: ~97 years of G-time at 3 GHz)
    cdef int64_t dt = s.now - s.runnable_at
    cdef int64_t rlo = s.c.g_runnable_cycles, rhi = s.c.g_runnable_hi
    cdef int64_t wlo = s.c.g_wait_p_cycles, whi = s.c.g_wait_p_hi
    if dt > 0 and s.nrunnable > 0:
        acc_area(&rlo, &rhi, dt, s.nrunnable)
        if s.sched.npidle == 0:
            acc_area(&wlo, &whi, dt, s.nrunnable)
    runnable[0] = sat_total(rlo, rhi)
    waitp[0] = sat_total(wlo, whi)


cdef void sample_metrics(State *s, SampleRec *r) noexcept nogil:
    r.runnable = s.nrunnable
    m_time_now(s, &r.m_idle_cycles, &r.m_cycles)
    r.p_unparks = s.c.p_unparks
    r.p_unpark_cycles = s.c.p_unpark_cycles
    runnable_now(s, &r.g_runnable_cycles, &r.g_wait_p_cycles)


cdef dict metrics_counters(State *s):
    # Engine.counters()'s share: the figures above, brought up to now
    # (exact Python ints: the runnable integrals may pass 2^63, as the latency sum may)
    cdef int64_t idle, total, dt = s.now - s.runnable_at
    cdef int32_t mi
    m_time_now(s, &idle, &total)
    spin = s.c.spinning_cycles
    for mi in range(s.sched.mnext):
        if s.allm[mi].spinning and s.allm[mi].p >= 0 and s.now > s.allm[mi].spin_since:
            spin += s.now - s.allm[mi].spin_since
    pending = (<object> dt) * (<object> s.nrunnable) if dt > 0 else 0
    runnable = ((<object> s.c.g_runnable_hi) << 62) + s.c.g_runnable_cycles + pending
    waitp = ((<object> s.c.g_wait_p_hi) << 62) + s.c.g_wait_p_cycles + (
        pending if s.sched.npidle == 0 else 0)
    return {"m_idle_cycles_now": idle, "m_cycles": total, "m_spinning_cycles_now": spin,
            "g_runnable_cycles": runnable, "g_wait_p_cycles": waitp,
            "nrunnable": s.nrunnable}
