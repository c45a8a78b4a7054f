# Observation: the sampler (a periodic look at the scheduler, as sysmon's schedtrace takes one)
# and the bounded event trace.  Both are off unless asked for; the trace keeps at most
# trace_cap events inside [trace_from, trace_to) and counts what it had to drop.

cdef void trace_ev(State *s, int32_t kind, int64_t goid, int64_t arg, int32_t p, int32_t m,
                   int32_t reason) noexcept nogil:
    cdef TraceEv *buf
    cdef TraceEv *e
    cdef int64_t n
    if s.trace_cap == 0 or s.now < s.trace_from or s.now >= s.trace_to:
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
    for i in range(s.nprocs):
        s.sample_runq[s.nsamples * s.nprocs + i] = <int32_t> (s.allp[i].runqtail -
                                                              s.allp[i].runqhead)
        s.sample_ticks[s.nsamples * s.nprocs + i] = s.allp[i].schedtick
    s.nsamples += 1
    return 0
