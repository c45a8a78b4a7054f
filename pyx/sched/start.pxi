# Start-up: allocate the state an Engine owns and lay out the world main.main starts in
# (proc.go schedinit and procresize, runtime.main's newm(sysmon), the GC controller, open
# arrivals), and free it all again.
# Provides state_alloc, sched_start, state_free.  Uses sched/gs.pxi (allocg, pidleput),
# sched/proc.pxi (newm, acquirep), sched/runq.pxi (runqput), sched/stw.pxi (steal_order_reset),
# sched/lock.pxi (lock_init), sched/arrivals.pxi, core/heap.pxi; cache/layout.pxi lays out the
# modelled lines between the two steps.

cdef int state_alloc(State *s, list caps, list rws, list kinds, bint deadlines,
                     int32_t nrtlocks) except -1:
    # Every array of the state, sized by s.nprocs, s.nwgs, s.nmutexes, s.maxmcount and the
    # strategy's ring capacity (set by the caller), with its lists empty (-1 heads).
    cdef int32_t i
    s.wgs = <WaitGroup *> calloc(max(s.nwgs, 1), sizeof(WaitGroup))
    s.allp = <P *> calloc(s.nprocs, sizeof(P))
    s.pstats = <PStats *> calloc(s.nprocs, sizeof(PStats))
    s.runq_buf = <int32_t *> calloc(<size_t> s.nprocs * s.strat.ring_cap, sizeof(int32_t))
    s.coprimes = <int32_t *> calloc(s.nprocs, sizeof(int32_t))
    s.allm = <M *> calloc(s.maxmcount, sizeof(M))
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
    for i in range(s.nwgs):
        s.wgs[i].waithead = -1
        s.wgs[i].waittail = -1
    s.nchans = len(caps)
    # State.locks: sched.lock, the channels' hchan.locks, the program's runtime locks, then one
    # semaRoot lock per sync.Mutex and per sync.RWMutex (sched/sema.pxi); channels made at run
    # time append theirs
    s.nlocks = 1 + s.nchans + nrtlocks + s.nmutexes + len(rws)
    s.rtlock0 = 1 + s.nchans
    s.poller = -1
    s.sudog_free = -1
    s.chans = <Chan *> calloc(max(s.nchans, 1), sizeof(Chan))
    s.mutexes = <Mutex *> calloc(max(s.nmutexes, 1), sizeof(Mutex))
    s.locks = <Lock *> calloc(s.nlocks, sizeof(Lock))
    # one timer heap per P, plus the netpoller's descriptors (s.netpoll_hp)
    s.timer_when = <int64_t **> calloc(s.nprocs + 1, sizeof(int64_t *))
    s.timer_g = <int32_t **> calloc(s.nprocs + 1, sizeof(int32_t *))
    s.ntimers = <int32_t *> calloc(s.nprocs + 1, sizeof(int32_t))
    s.timers_cap = <int32_t *> calloc(s.nprocs + 1, sizeof(int32_t))
    s.netpoll_hp = s.nprocs
    s.nrwmutexes = len(rws)
    s.rwmutexes = <RWMutex *> calloc(max(s.nrwmutexes, 1), sizeof(RWMutex))
    if s.rwmutexes == NULL:
        raise MemoryError("gmpcore: cannot allocate the engine state")
    for i in range(s.nrwmutexes):
        if not 0 <= rws[i] < s.nmutexes:
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
        s.chans[i].site = -1
        if caps[i] > 0:
            s.chans[i].buf = <int64_t *> calloc(caps[i], sizeof(int64_t))
            if s.chans[i].buf == NULL:
                raise MemoryError("gmpcore: cannot allocate a channel buffer")
    for i in range(s.nlocks):
        lock_init(&s.locks[i])
    # channels made at run time (OP_MAKECHAN) grow these (sched/expr.pxi chan_make)
    s.nchans_static = s.nchans
    s.chans_cap = max(s.nchans, 1)
    s.locks_cap = s.nlocks
    for i in range(s.nmutexes):
        s.mutexes[i].semahead = -1
        s.mutexes[i].sematail = -1
        s.mutexes[i].sema_lock = s.rtlock0 + nrtlocks + i
    for i in range(s.nrwmutexes):
        s.rwmutexes[i].sema_lock = s.rtlock0 + nrtlocks + s.nmutexes + i
    return 0


cdef int sched_start(State *s, int32_t gomaxprocs, uint32_t start_schedtick, int32_t main_fn,
                     int32_t sys_fn, int32_t init_goroutines, bint gc_controller,
                     int32_t arr_fn, int32_t arr_dist, int64_t arr_count) except -1:
    # schedinit + procresize(gomaxprocs) + newproc(runtime.main): P0 and M0 run the main
    # goroutine; then the threads without a P start (sysmon, the GC controller, arrivals).
    cdef int32_t i, gi, mi
    cdef G *gp
    # GOMAXPROCS: allp holds s.nprocs Ps (the most the program ever asks for); the Ps beyond
    # gomaxprocs start _Pdead
    if gomaxprocs <= 0:
        gomaxprocs = s.nprocs
    if gomaxprocs > s.nprocs:
        raise ValueError("gomaxprocs > s.nprocs")
    steal_order_reset(s, gomaxprocs)

    lock_init(&s.schedlock)
    s.schedlock.line = s.sched_line[SF_LOCK]
    s.sched.gomaxprocs = gomaxprocs
    s.sched.midle = -1
    s.sched.pidle = -1
    s.sched.runq_head = -1
    s.sched.runq_tail = -1
    s.sched.gFree = -1
    for i in range(s.nprocs):
        s.allp[i].id = i
        s.allp[i].m = -1
        s.allp[i].link = -1
        s.allp[i].runnext = -1
        s.allp[i].oldm = -1
        s.allp[i].gFree = -1
        s.allp[i].pidle_since = -1
        s.allp[i].runq_off = <int64_t> i * s.strat.ring_cap
    # procresize: P0 runs main; the others go idle in descending id order on the LIFO
    # pidle list, so the lowest id is taken first
    for i in range(s.nprocs - 1, gomaxprocs - 1, -1):
        s.allp[i].status = _Pdead
    for i in range(gomaxprocs - 1, 0, -1):
        pidleput(s, NULL, i)
    s.allp[0].schedtick = start_schedtick

    mi = newm(s)                       # M0
    acquirep(s, mi, 0)
    gi = allocg(s)                     # the main goroutine, goid 1
    s.maing = gi
    gp = getg(s, gi)
    ginit(s, gp, goid_next(s), s.func_entry[main_fn], 0, 0, -1)   # goid 1
    count_created(s)
    # runtime goroutines left runnable by init (e.g. runfinq, started by os's init): they
    # sit in P0's runnext when main.main begins, and park for good when they run
    for i in range(init_goroutines):
        if sys_fn < 0:
            raise ValueError("init_goroutines needs the runtime function")
        gi = allocg(s)
        gp = getg(s, gi)
        ginit(s, gp, goid_next(s), s.func_entry[sys_fn], 0, 0, -1)
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
    if s.sample_every > 0:
        heap_push(s, 0, EV_SAMPLE, 0)
        s.bg_events += 1
    s.sysmon_m = -1
    if s.time_slice > 0:
        # runtime.main: newm(sysmon, nil) -- a thread without a P
        s.sysmon_m = newm(s)
        s.sysmon_delay = s.sysmon_min
        heap_push(s, s.sysmon_min, EV_SYSMON, 0)
        s.bg_events += 1
    s.stw_m = -1
    s.gc_m = -1
    s.arr_m = -1
    s.gcsema_head = -1
    s.gcsema_tail = -1
    if gc_controller or s.gc_period > 0 or s.gc_heap_goal > 0:
        # the GC controller: a thread of its own that stops the world for GC pauses
        s.gc_m = newm(s)
        if s.gc_period > 0:
            heap_push(s, s.gc_period, EV_GC, 0)
            s.bg_events += 1
    if arr_count > 0:
        arrivals_init(s, arr_fn, arr_dist, arr_count)
    return 0


cdef void state_free(State *s) noexcept:
    cdef int32_t i
    if s.gchunks != NULL:
        for i in range(s.ngchunks):
            free(s.gchunks[i])
    free(s.gchunks)
    free(s.wgs)
    free(s.allp)
    free(s.pstats)
    free(s.runq_buf)
    free(s.coprimes)
    free(s.steal_cache)
    free(s.allm)
    free(s.heap)
    free(s.hist)
    free(s.start_order)
    free(s.marks)
    free(s.steals)
    free(s.lines)
    if s.chans != NULL:
        for i in range(s.nchans):
            free(s.chans[i].buf)
    free(s.chans)
    free(s.sudogs)
    free(s.deadlines)
    free(s.g_val)
    free(s.g_wait)
    free(s.g_loophi)
    free(s.locals)
    free(s.rwmutexes)
    free(s.var_line)
    free(s.var_kind)
    free(s.mutexes)
    free(s.locks)
    if s.timer_when != NULL:
        for i in range(s.nprocs + 1):
            free(s.timer_when[i])
            free(s.timer_g[i])
    free(s.timer_when)
    free(s.timer_g)
    free(s.ntimers)
    free(s.timers_cap)
    free(s.samples)
    free(s.sample_runq)
    free(s.sample_ticks)
    free(s.trace)
    free(s.core_hit)
    free(s.core_miss)
    pools_free(s)                      # sync.Pool, sync.Cond, contexts, the GSync side table
    free(s.conds)
    free(s.ctxs)
    free(s.gsync)
    gc_free(s)
