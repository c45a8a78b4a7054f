# Goroutine records: allocation in fixed chunks, the gFree caches (gfput/gfget), the global run
# queue (a gQueue linked through G.schedlink) and the pidle / midle lists.

cdef inline G *getg(State *s, int32_t i) noexcept nogil:
    return &s.gchunks[i >> G_CHUNK_BITS][i & (G_CHUNK - 1)]


# --- side tables: the G fields only blocking operations use ----------------------------------
# G.val, G.wait_start and the counters of loops nested deeper than G_LOOPS_INLINE live in
# tables by G index (State.g_val, g_wait, g_loophi) so the G record is 64 bytes.  A table is
# allocated the first time it is needed (a non-zero value stored, a deep loop entered) for
# every G slot, all zero, which is what every G read before; allocg grows the allocated ones
# with the slots.  A spawn burst never allocates any.

cdef int gside_alloc(State *s, void **tab, size_t width) noexcept nogil:
    cdef int64_t cap
    if s.gside_cap == 0:
        cap = 1024
        while cap < s.nallg:
            cap *= 2
        s.gside_cap = cap
    tab[0] = calloc(<size_t> s.gside_cap, width)
    if tab[0] == NULL:
        fail(s, ERR_NOMEM, 12)
        return -1
    return 0


cdef int gside_realloc(State *s, void **tab, size_t width, int64_t ncap) noexcept nogil:
    cdef char *t
    if tab[0] == NULL:
        return 0
    t = <char *> realloc(tab[0], <size_t> ncap * width)
    if t == NULL:
        fail(s, ERR_NOMEM, 13)
        return -1
    memset(t + <size_t> s.gside_cap * width, 0, <size_t> (ncap - s.gside_cap) * width)
    tab[0] = t
    return 0


cdef int gside_grow(State *s) noexcept nogil:
    # allocg: a G slot past the tables' capacity: double the allocated ones
    cdef int64_t ncap = 2 * s.gside_cap
    if (gside_realloc(s, <void **> &s.g_val, sizeof(int64_t), ncap) != 0
            or gside_realloc(s, <void **> &s.g_wait, sizeof(int64_t), ncap) != 0
            or gside_realloc(s, <void **> &s.g_loophi,
                             (MAX_LOOP_DEPTH - G_LOOPS_INLINE) * sizeof(int32_t), ncap) != 0):
        return -1
    s.gside_cap = ncap
    return 0


cdef inline void gside_clear(State *s, int32_t gi) noexcept nogil:
    # a G dies (gfput): the next goroutine in its slot starts with val and wait_start 0
    if s.g_val != NULL:
        s.g_val[gi] = 0
    if s.g_wait != NULL:
        s.g_wait[gi] = 0


cdef inline int64_t g_val(State *s, int32_t gi) noexcept nogil:
    # G.val: the value G gi last received (or is sending) on a channel
    return s.g_val[gi] if s.g_val != NULL else 0


cdef inline void g_val_set(State *s, int32_t gi, int64_t v) noexcept nogil:
    # (out of memory for the table: fail() has stopped the run, the value is dropped)
    if s.g_val == NULL and (v == 0 or gside_alloc(s, <void **> &s.g_val, sizeof(int64_t)) != 0):
        return
    s.g_val[gi] = v


cdef inline int64_t g_wait(State *s, int32_t gi) noexcept nogil:
    # G.wait_start (see State.g_wait)
    return s.g_wait[gi] if s.g_wait != NULL else 0


cdef inline void g_wait_set(State *s, int32_t gi, int64_t v) noexcept nogil:
    if s.g_wait == NULL and (v == 0 or gside_alloc(s, <void **> &s.g_wait, sizeof(int64_t)) != 0):
        return
    s.g_wait[gi] = v


cdef inline int32_t *loopiter_at(State *s, int32_t gi, G *gp, int32_t d) noexcept nogil:
    # the counter of G gi's loop at nesting level d (0: outermost); NULL only when the table
    # of deep loops cannot be allocated (fail() has stopped the run)
    if d < G_LOOPS_INLINE:
        return &gp.loopiter[d]
    if s.g_loophi == NULL and gside_alloc(s, <void **> &s.g_loophi,
                                          (MAX_LOOP_DEPTH - G_LOOPS_INLINE) * sizeof(int32_t)) != 0:
        return NULL
    return &s.g_loophi[<int64_t> gi * (MAX_LOOP_DEPTH - G_LOOPS_INLINE) + d - G_LOOPS_INLINE]


cdef inline int32_t g_iter(State *s, int32_t gi, G *gp) noexcept nogil:
    # the iteration of G gi's innermost loop (0 outside loops): marks, `go` spawn indexes,
    # "iter" values.  A level past G_LOOPS_INLINE was entered by OP_LOOP, which allocated
    # the table.
    cdef int32_t d = gp.loopdepth - 1
    if d < 0:
        return 0
    if d < G_LOOPS_INLINE:
        return gp.loopiter[d]
    return s.g_loophi[<int64_t> gi * (MAX_LOOP_DEPTH - G_LOOPS_INLINE) + d - G_LOOPS_INLINE]


cdef int32_t allocg(State *s) noexcept nogil:
    # malg: a brand-new G slot (allgadd).  Chunks never move, so G pointers stay valid.
    cdef G **chunks
    cdef G *chunk
    cdef int64_t *dl
    cdef int32_t i
    if s.nallg == s.ngchunks * G_CHUNK:
        if s.nallg >= 2147483647 - G_CHUNK:
            fail(s, ERR_NOMEM, 1)
            return -1
        if s.ngchunks == s.gchunks_cap:
            chunks = <G **> realloc(s.gchunks, 2 * s.gchunks_cap * sizeof(G *))
            if chunks == NULL:
                fail(s, ERR_NOMEM, 2)
                return -1
            s.gchunks = chunks
            s.gchunks_cap *= 2
        chunk = <G *> malloc(G_CHUNK * sizeof(G))
        if chunk == NULL:
            fail(s, ERR_NOMEM, 3)
            return -1
        s.gchunks[s.ngchunks] = chunk
        s.ngchunks += 1
    i = s.nallg
    if s.deadlines_cap > 0 and i >= s.deadlines_cap:
        dl = <int64_t *> realloc(s.deadlines, 2 * s.deadlines_cap * sizeof(int64_t))
        if dl == NULL:
            fail(s, ERR_NOMEM, 11)
            return -1
        memset(dl + s.deadlines_cap, 0, s.deadlines_cap * sizeof(int64_t))
        s.deadlines = dl
        s.deadlines_cap *= 2
    if s.gside_cap > 0 and i >= s.gside_cap and gside_grow(s) != 0:
        return -1
    if s.nlocals > 0 and not locals_grow(s, i):   # the DSL's frame of locals (sched/expr.pxi)
        return -1
    if gsync_grow(s, i) != 0:                 # (Cond tickets, LockOSThread: lockos.pxi)
        fail(s, ERR_NOMEM, 11)
        return -1
    if s.gcs.on and i >= s.gcs.gcap and gc_grow(s, i) != 0:
        return -1                            # (the GC's per-G side tables: sched/gc.pxi)
    s.nallg += 1
    memset(getg(s, i), 0, sizeof(G))
    getg(s, i).status = _Gdead
    getg(s, i).cowner = -1               # a fresh descriptor is in no cache yet
    return i


cdef void gfput(State *s, P *pp, int32_t gi) noexcept nogil:
    # func gfput: push on the P's list; at 64, move Gs to the global cache until fewer than 32.
    cdef G *gp = getg(s, gi)
    cdef int32_t x
    gside_clear(s, gi)                   # a recycled G starts with val 0 (ginit's reset)
    if s.cost.g_cold:
        g_touch(s, gi, False)            # goexit touched it last (footprint.pxi)
    gp.status = _Gdead
    gp.schedlink = pp.gFree
    pp.gFree = gi
    pp.gFreeCount += 1
    if pp.gFreeCount >= 64:
        while pp.gFreeCount >= 32:
            x = pp.gFree
            pp.gFree = getg(s, x).schedlink
            pp.gFreeCount -= 1
            getg(s, x).schedlink = s.sched.gFree
            s.sched.gFree = x
            s.sched.gFreeCount += 1


cdef int32_t gfget(State *s, P *pp) noexcept nogil:
    # func gfget: refill the P's list from the global cache (up to 32), then pop.
    cdef int32_t x
    if pp.gFree == -1 and s.sched.gFree != -1:
        while pp.gFreeCount < 32 and s.sched.gFree != -1:
            x = s.sched.gFree
            s.sched.gFree = getg(s, x).schedlink
            s.sched.gFreeCount -= 1
            getg(s, x).schedlink = pp.gFree
            pp.gFree = x
            pp.gFreeCount += 1
    x = pp.gFree
    if x != -1:
        pp.gFree = getg(s, x).schedlink
        pp.gFreeCount -= 1
        s.c.gfree_reuse += 1
    return x


# --- global run queue (sched.runq), always under sched.lock --------------------------------

cdef inline void globrunqputbatch(State *s, M *mp, int32_t head, int32_t tail,
                                  int32_t n) noexcept nogil:
    # pushBackAll: append a linked batch at the tail
    if n == 0:
        return
    acc_sched(s, mp, SF_RUNQ, ACC_WRITE)
    getg(s, tail).schedlink = -1
    if s.sched.runq_tail == -1:
        s.sched.runq_head = head
    else:
        acc_g(s, mp, s.sched.runq_tail, ACC_WRITE)      # old tail's schedlink
        getg(s, s.sched.runq_tail).schedlink = head
    s.sched.runq_tail = tail
    s.sched.runqsize += n
    s.c.globrunq_puts += n


cdef inline void globrunqputhead(State *s, M *mp, int32_t gi) noexcept nogil:
    # globrunqputhead (procresize's p.destroy): push one G at the head
    acc_sched(s, mp, SF_RUNQ, ACC_WRITE)
    getg(s, gi).schedlink = s.sched.runq_head
    s.sched.runq_head = gi
    if s.sched.runq_tail == -1:
        s.sched.runq_tail = gi
    s.sched.runqsize += 1
    s.c.globrunq_puts += 1


cdef inline int32_t globrunqpop(State *s, M *mp) noexcept nogil:
    cdef int32_t gi = s.sched.runq_head
    if gi == -1:
        return -1
    acc_g(s, mp, gi, ACC_WRITE)          # read and clear its schedlink: pointer chasing
    s.sched.runq_head = getg(s, gi).schedlink
    if s.sched.runq_head == -1:
        s.sched.runq_tail = -1
    getg(s, gi).schedlink = -1
    s.sched.runqsize -= 1
    s.c.globrunq_gets += 1
    return gi


cdef int32_t globrunqget(State *s, M *mp, P *pp, int64_t maxn) noexcept nogil:
    # G122 func globrunqget / TIP globrunqgetbatch: take k = min(L, L/GOMAXPROCS + 1, maxn)
    # Gs; the first is returned to run, the other k-1 go to the local ring tail in order.
    # Returns the G, and sets s.last_batch to k for the caller's cost.
    cdef int64_t n = s.sched.runqsize
    cdef int32_t gi, x
    cdef uint32_t t
    if n == 0:
        return -1
    acc_sched(s, mp, SF_RUNQ, ACC_WRITE)
    n = n // s.sched.gomaxprocs + 1
    if n > s.sched.runqsize:
        n = s.sched.runqsize
    if maxn > 0 and n > maxn:
        n = maxn
    if not s.strat.global_only and n > s.strat.global_batch_max:
        n = s.strat.global_batch_max
    gi = globrunqpop(s, mp)
    t = pp.runqtail
    if n > 1:
        acc_slots(s, mp, pp, t, <uint32_t> (n - 1), ACC_WRITE)
        acc_tail(s, mp, pp, ACC_WRITE)
    while n > 1:
        x = globrunqpop(s, mp)
        # the ring is empty here (findRunnable found no local work), so k-1 <= cap/2 fit
        s.runq_buf[pp.runq_off + (t & s.ring_mask)] = x
        t += 1
        n -= 1
    pp.runqtail = t
    s.c.globrunq_batches += 1
    return gi


# --- idle P and M lists ----------------------------------------------------------------------

cdef inline void pidleput(State *s, M *mp, int32_t pi) noexcept nogil:
    cdef P *pp = &s.allp[pi]
    if mp != NULL:
        acc_sched(s, mp, SF_IDLE, ACC_WRITE)
        acc_sched(s, mp, SF_IDLEPMASK, ACC_WRITE)
    pp.link = s.sched.pidle
    s.sched.pidle = pi
    runnable_flush(s)                    # (core/observe.pxi: npidle changes)
    if pp.pidle_since < 0:
        pp.pidle_since = s.now           # P unpark latency: the idle spell starts
    s.sched.npidle += 1
    pp.idle = 1
    s.idlepMask[pi >> 6] |= (<uint64_t> 1) << (pi & 63)
    pp.status = _Pidle
    if s.gcs.fep_wait > 0 and s.gcs.p[pi].safepoint:
        gc_safepoint(s, pi)                  # handoffp: a P going idle runs forEachP's fn


cdef inline int32_t pidleget(State *s, M *mp) noexcept nogil:
    cdef int32_t pi = s.sched.pidle
    if pi == -1:
        acc_sched(s, mp, SF_IDLE, ACC_READ)
    else:
        acc_sched(s, mp, SF_IDLE, ACC_WRITE)
        acc_sched(s, mp, SF_IDLEPMASK, ACC_WRITE)
        s.sched.pidle = s.allp[pi].link
        s.allp[pi].link = -1
        s.allp[pi].idle = 0
        s.idlepMask[pi >> 6] &= ~((<uint64_t> 1) << (pi & 63))
        runnable_flush(s)                # (core/observe.pxi: npidle changes)
        s.sched.npidle -= 1
    return pi


cdef int32_t pidleget_timers(State *s, M *mp) noexcept nogil:
    # take the idle P holding the earliest expired timer, if any (after netpoll returned)
    cdef int32_t pi, best = -1, prev = -1, bprev = -1
    pi = s.sched.pidle
    while pi != -1:
        if timers_due(s, pi) and (best == -1 or s.timer_when[pi][0] < s.timer_when[best][0]):
            best = pi
            bprev = prev
        prev = pi
        pi = s.allp[pi].link
    if best == -1:
        return -1
    acc_sched(s, mp, SF_IDLE, ACC_WRITE)
    acc_sched(s, mp, SF_IDLEPMASK, ACC_WRITE)
    if bprev == -1:
        s.sched.pidle = s.allp[best].link
    else:
        s.allp[bprev].link = s.allp[best].link
    s.allp[best].link = -1
    s.allp[best].idle = 0
    s.idlepMask[best >> 6] &= ~((<uint64_t> 1) << (best & 63))
    runnable_flush(s)                    # (core/observe.pxi: npidle changes)
    s.sched.npidle -= 1
    return best


cdef inline int32_t pidlegetSpinning(State *s, M *mp) noexcept nogil:
    cdef int32_t pi = pidleget(s, mp)
    if pi == -1:
        acc_sched(s, mp, SF_SPIN, ACC_WRITE)
        s.sched.needspinning = 1
    return pi


cdef inline void mput(State *s, int32_t mi) noexcept nogil:
    acc_sched(s, &s.allm[mi], SF_MIDLE, ACC_WRITE)
    s.allm[mi].schedlink = s.sched.midle
    s.sched.midle = mi
    s.sched.nmidle += 1


cdef inline int32_t mget(State *s, M *mp) noexcept nogil:
    cdef int32_t mi = s.sched.midle
    acc_sched(s, mp, SF_MIDLE, ACC_WRITE if mi != -1 else ACC_READ)
    if mi != -1:
        s.sched.midle = s.allm[mi].schedlink
        s.allm[mi].schedlink = -1
        s.sched.nmidle -= 1
    return mi


cdef inline int32_t mgetSpecific(State *s, M *mp, int32_t want) noexcept nogil:
    # func mgetSpecific: take M `want` off the idle list if it is there (-1: it is not)
    cdef int32_t mi = s.sched.midle, prev = -1
    acc_sched(s, mp, SF_MIDLE, ACC_READ)
    while mi != -1 and mi != want:
        prev = mi
        mi = s.allm[mi].schedlink
    if mi == -1:
        return -1
    acc_sched(s, mp, SF_MIDLE, ACC_WRITE)
    if prev == -1:
        s.sched.midle = s.allm[mi].schedlink
    else:
        s.allm[prev].schedlink = s.allm[mi].schedlink
    s.allm[mi].schedlink = -1
    s.sched.nmidle -= 1
    return mi


cdef inline void acquirep(State *s, int32_t mi, int32_t pi) noexcept nogil:
    trace_ev(s, TE_PROC_START, 0, 0, pi, mi, 0)
    # Core placement: a thread that holds a P runs, so the OS gives it a core of its own while
    # there are enough (P i's thread on core i mod ncores); the thread that takes over a P is
    # woken onto the core its previous holder left.  Threads without a P (sysmon, parked or
    # syscall-blocked Ms) keep the core they last ran on and take no slot from running ones.
    s.allm[mi].core = pi % s.ncores
    s.allp[pi].oldm = mi                 # acquirepNoTrace: pp.oldm = the M taking it
    s.allm[mi].p = pi
    s.allp[pi].m = mi
    s.allp[pi].status = _Prunning
    if s.allp[pi].pidle_since >= 0:
        unpark_end(s, &s.allp[pi])       # (core/observe.pxi: P unpark latency)


cdef inline int32_t takep(State *s, int32_t mi) noexcept nogil:
    # take M mi's P while the M is in a system call (retake's takeP, the stopper's gcstopP):
    # the trace shows a ProcSteal rather than the M stopping its P
    cdef int32_t pi = s.allm[mi].p
    trace_ev(s, TE_PROC_STEAL, 0, mi, pi, -1, 0)
    s.allm[mi].p = -1
    s.allp[pi].m = -1
    s.allp[pi].status = _Pidle
    s.allp[pi].syscalltick += 1
    return pi


cdef inline int32_t releasep(State *s, int32_t mi) noexcept nogil:
    cdef int32_t pi = s.allm[mi].p
    trace_ev(s, TE_PROC_STOP, 0, 0, pi, mi, 0)
    s.allm[mi].p = -1
    s.allp[pi].m = -1
    s.allp[pi].status = _Pidle
    return pi


# --- G lists linked through G.schedlink (sema queues: sync.Mutex) -----------------------------

cdef inline void gq_push(State *s, int32_t *head, int32_t *tail, int32_t gi) noexcept nogil:
    getg(s, gi).schedlink = -1
    if tail[0] == -1:
        head[0] = gi
    else:
        getg(s, tail[0]).schedlink = gi
    tail[0] = gi


cdef inline int32_t gq_pop(State *s, int32_t *head, int32_t *tail) noexcept nogil:
    cdef int32_t gi = head[0]
    if gi != -1:
        head[0] = getg(s, gi).schedlink
        if head[0] == -1:
            tail[0] = -1
        getg(s, gi).schedlink = -1
    return gi
