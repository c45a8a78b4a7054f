# sync.Pool (sync/pool.go, Go 1.27): a per-P cache of values.
#
#   Put(x):  pin to the current P (procPin); x goes to l.private if that is empty, else to
#            the head of l.shared (poolChain.pushHead).  Put(nil) does nothing.
#   Get():   pin; take l.private; else l.shared.popHead (the newest of this P's chain); else
#            getSlow: popTail (the oldest) of the other Ps' chains, in the order
#            (pid+1) % size, (pid+2) % size, ... (its own last); then the victim cache: its own
#            victim private, then the victims' chains from pid on; an empty victim sets
#            victimSize = 0.  Nothing anywhere: New() if the pool has one, else nil (0).
#   poolCleanup (sync/pool.go, registered with the runtime, called by gcStart -> clearpools
#            with the world stopped for sweep termination): every pool's local array becomes
#            its victim, the old victim is dropped; local is nil until the next pin
#            (pinSlow allocates it, GOMAXPROCS slots; a pid past localSize after a GOMAXPROCS
#            change re-allocates it and the old contents are lost, as pinSlow says).
#
# The poolChain (a list of poolDequeues of doubling size) is kept as one deque: the values
# come out in the same order.  Values are int64s (0 is nil); Get's value lands in the G's
# value register (gs.pxi g_val).
#
# Cache model: each poolLocal sits on a line (p.local[i]: 32 bytes of poolLocalInternal, so
# without Go's 128-byte pad P i and P i^1 share a line; with it each has its own), each P's
# poolDequeue headTail word on a line of its own (a separate allocation), and the Pool
# struct's header (local, localSize) on one line read by every pin.  Accesses follow the
# code: Get writes l.private (l.private = nil, always); Put reads it and writes it or pushes;
# popHead/popTail CAS the dequeue's headTail; a thief reads the victim's poolLocal (c.tail).
# The pool's own counters record what those accesses did (line_hits / line_transfers / ...).

cdef enum:
    POOL_MAX_CAP = 1 << 26      # values one poolLocal's chain may hold (512 MiB); a Put past it
                                # stops the run with ERR_NOMEM (Go's chain has no bound but memory)


cdef inline void pool_access(State *s, M *mp, Pool *pl, int32_t li, int32_t kind) noexcept nogil:
    # one access to a pool line through the coherence model, counted on the pool too
    cdef CacheStats *st
    cdef int64_t h, x, r, m, inv
    if not s.cache_on:
        return
    st = &s.cstats[s.lines[li].cls]
    h = st.hits
    x = st.transfers_local
    r = st.transfers_remote
    m = st.mem
    inv = st.invalidations
    line_access(s, mp.core, li, kind)
    pl.line_hits += st.hits - h
    pl.line_transfers += st.transfers_local - x + st.transfers_remote - r
    pl.line_transfers_remote += st.transfers_remote - r
    pl.line_mem += st.mem - m
    pl.line_invalidations += st.invalidations - inv


cdef inline void pool_line_fresh(State *s, int32_t li) noexcept nogil:
    # newly allocated memory: no core holds the line
    cdef Line *L
    if s.lines == NULL:
        return
    L = &s.lines[li]
    L.owner = -1
    L.nsharers = 0
    L.sharers[0] = 0
    L.sharers[1] = 0
    L.sharers[2] = 0
    L.sharers[3] = 0


cdef void pool_local_reset(State *s, Pool *pl, PoolLocal *arr, int32_t n) noexcept nogil:
    # a fresh p.local array (pinSlow's make([]poolLocal, size)); the chains' buffers are kept
    # for reuse (their contents are gone)
    cdef int32_t i
    for i in range(n):
        arr[i].private = 0
        arr[i].head = 0
        arr[i].tail = 0
        pool_line_fresh(s, arr[i].line)
        pool_line_fresh(s, arr[i].dline)


cdef int32_t pool_pin(State *s, M *mp, Pool *pl) noexcept nogil:
    # pin: procPin, then p.local[pid] -- pinSlow when the array is missing or too short
    cdef int32_t pid = mp.p
    pool_access(s, mp, pl, pl.line, ACC_READ)        # runtime_LoadAcquintptr(&p.localSize)
    if pid < pl.localSize:
        return pid
    # pinSlow: allPoolsMu; size := runtime.GOMAXPROCS(0); local := make([]poolLocal, size)
    pool_local_reset(s, pl, pl.local, s.nprocs)
    pl.localSize = s.sched.gomaxprocs
    pool_access(s, mp, pl, pl.line, ACC_WRITE)       # StorePointer(&p.local); localSize
    return pid


cdef int pool_push_head(State *s, PoolLocal *l, int64_t x) noexcept nogil:
    # poolChain.pushHead: the chain grows (a new dequeue of twice the size) when full
    cdef uint32_t n = l.head - l.tail, cap, i
    cdef int64_t *nb
    if l.buf == NULL or n == l.cap:
        if l.cap >= POOL_MAX_CAP:
            return -1
        cap = 2 * l.cap if l.cap > 0 else 8           # poolChain's first dequeue holds 8
        nb = <int64_t *> malloc(cap * sizeof(int64_t))
        if nb == NULL:
            return -1
        for i in range(n):
            nb[i] = l.buf[(l.tail + i) & (l.cap - 1)]
        free(l.buf)
        l.buf = nb
        l.cap = cap
        l.tail = 0
        l.head = n
    l.buf[l.head & (l.cap - 1)] = x
    l.head += 1
    return 0


cdef inline int64_t pool_pop_head(PoolLocal *l) noexcept nogil:
    if l.head == l.tail:
        return 0
    l.head -= 1
    return l.buf[l.head & (l.cap - 1)]


cdef inline int64_t pool_pop_tail(PoolLocal *l) noexcept nogil:
    cdef int64_t x
    if l.head == l.tail:
        return 0
    x = l.buf[l.tail & (l.cap - 1)]
    l.tail += 1
    return x


cdef inline int64_t pool_steal(State *s, M *mp, Pool *pl, PoolLocal *l) noexcept nogil:
    # l.shared.popTail from another P (or from a victim): load c.tail from the poolLocal;
    # a chain that was never pushed to stops there, otherwise CAS the dequeue's headTail
    pool_access(s, mp, pl, l.line, ACC_READ)
    if l.buf == NULL:
        return 0
    if l.head == l.tail:
        pool_access(s, mp, pl, l.dline, ACC_READ)
        return 0
    pool_access(s, mp, pl, l.dline, ACC_RMW)
    return pool_pop_tail(l)


cdef int64_t pool_put(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef G *gp = getg(s, mp.curg)
    cdef Pool *pl = &s.pools[a]
    cdef PoolLocal *l
    cdef int64_t x = chan_value(s, mp.curg, gp, &s.code[gp.pc * INSTR_WIDTH])
    gp.pc += 1
    if x == 0:
        return s.cost.touch                          # Put(nil): return
    pl.puts += 1
    l = &pl.local[pool_pin(s, mp, pl)]
    if l.private == 0:
        pool_access(s, mp, pl, l.line, ACC_WRITE)    # l.private = x
        l.private = x
    else:
        pool_access(s, mp, pl, l.line, ACC_READ)     # l.private != nil; c.head
        pool_access(s, mp, pl, l.dline, ACC_RMW)     # d.pushHead: headTail.Add
        if pool_push_head(s, l, x) != 0:
            fail(s, ERR_NOMEM, 12)
            return -1
    return s.cost.touch


cdef int64_t pool_get(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef G *gp = getg(s, mp.curg)
    cdef Pool *pl = &s.pools[a]
    cdef PoolLocal *l
    cdef int32_t pid, size, i
    cdef int64_t x
    gp.pc += 1
    pl.gets += 1
    pid = pool_pin(s, mp, pl)
    l = &pl.local[pid]
    pool_access(s, mp, pl, l.line, ACC_WRITE)        # x := l.private; l.private = nil
    x = l.private
    l.private = 0
    if x != 0:
        pl.private_hits += 1
    else:
        # l.shared.popHead
        if l.buf != NULL:
            pool_access(s, mp, pl, l.dline, ACC_RMW if l.head != l.tail else ACC_READ)
        x = pool_pop_head(l)
        if x != 0:
            pl.shared_hits += 1
        else:
            x = pool_get_slow(s, mp, pl, pid)
    if x == 0:
        if pl.has_new:
            x = pl.new_base + pl.news                # p.New()
            pl.news += 1
        else:
            pl.nil_gets += 1
    g_val_set(s, mp.curg, x)                         # (G.val: gs.pxi side table)
    return s.cost.touch


cdef int64_t pool_get_slow(State *s, M *mp, Pool *pl, int32_t pid) noexcept nogil:
    # getSlow: steal from the other Ps' chains, then try the victim cache
    cdef int32_t size = pl.localSize, i
    cdef PoolLocal *l
    cdef int64_t x
    for i in range(size):
        x = pool_steal(s, mp, pl, &pl.local[(pid + i + 1) % size])
        if x != 0:
            pl.steals += 1
            return x
    pool_access(s, mp, pl, pl.line, ACC_READ)        # atomic.LoadUintptr(&p.victimSize)
    size = pl.victimSize
    if pid >= size:
        return 0
    l = &pl.victim[pid]
    pool_access(s, mp, pl, l.line, ACC_READ)
    if l.private != 0:
        pool_access(s, mp, pl, l.line, ACC_WRITE)    # l.private = nil
        x = l.private
        l.private = 0
        pl.victim_hits += 1
        return x
    for i in range(size):
        x = pool_steal(s, mp, pl, &pl.victim[(pid + i) % size])
        if x != 0:
            pl.victim_hits += 1
            return x
    pool_access(s, mp, pl, pl.line, ACC_WRITE)       # atomic.StoreUintptr(&p.victimSize, 0)
    pl.victimSize = 0
    return 0


cdef void pool_cleanup(State *s) noexcept nogil:
    # poolCleanup, with the world stopped: drop the victims (oldPools), move each primary
    # cache to its victim (allPools), and the primaries are nil again
    cdef int32_t i
    cdef Pool *pl
    cdef PoolLocal *t
    for i in range(s.npools):
        pl = &s.pools[i]
        if pl.localSize > 0:
            pl.cleanups += 1
        t = pl.victim
        pl.victim = pl.local
        pl.victimSize = pl.localSize
        pl.local = t                                 # (the old victim's memory, for reuse)
        pl.localSize = 0


cdef int pools_alloc(State *s, list padded, list has_new, list new_base) except -1:
    # the pools of a program: two poolLocal arrays of nprocs each (local and victim)
    cdef int32_t i, j
    cdef Pool *pl
    s.npools = len(padded)
    if s.npools == 0:
        return 0
    s.pools = <Pool *> calloc(s.npools, sizeof(Pool))
    if s.pools == NULL:
        raise MemoryError("gmpcore: cannot allocate the pools")
    for i in range(s.npools):
        pl = &s.pools[i]
        pl.padded = 1 if padded[i] else 0
        pl.has_new = 1 if has_new[i] else 0
        pl.new_base = new_base[i]
        pl.local = <PoolLocal *> calloc(s.nprocs, sizeof(PoolLocal))
        pl.victim = <PoolLocal *> calloc(s.nprocs, sizeof(PoolLocal))
        if pl.local == NULL or pl.victim == NULL:
            raise MemoryError("gmpcore: cannot allocate the pools")
    return 0


cdef inline int32_t pool_array_lines(State *s, Pool *pl) noexcept nogil:
    # one poolLocal array: its poolLocals (2 to a line unpadded, 2 lines each padded) and
    # each P's poolDequeue line
    return (2 * s.nprocs if pl.padded else (s.nprocs + 1) // 2) + s.nprocs


cdef int32_t pools_nlines(State *s) noexcept nogil:
    cdef int32_t i, n = 0
    for i in range(s.npools):
        n += 1 + 2 * pool_array_lines(s, &s.pools[i])
    return n


cdef void pools_layout(State *s, int32_t first) noexcept nogil:
    # the lines of each pool from `first` on: header, then local's and victim's lines
    cdef int32_t i, j, k = first, n, which
    cdef Pool *pl
    cdef PoolLocal *arr
    s.pool_line0 = first
    for i in range(s.npools):
        pl = &s.pools[i]
        pl.line = k
        s.lines[k].cls = LC_USER
        k += 1
        for which in range(2):
            arr = pl.local if which == 0 else pl.victim
            n = (2 * s.nprocs if pl.padded else (s.nprocs + 1) // 2)
            for j in range(s.nprocs):
                arr[j].line = k + (2 * j if pl.padded else j // 2)
                arr[j].dline = k + n + j
            for j in range(n + s.nprocs):
                s.lines[k + j].cls = LC_USER
            k += n + s.nprocs


cdef void pools_free(State *s) noexcept:
    cdef int32_t i, j
    if s.pools == NULL:
        return
    for i in range(s.npools):
        for j in range(s.nprocs):
            if s.pools[i].local != NULL:
                free(s.pools[i].local[j].buf)
            if s.pools[i].victim != NULL:
                free(s.pools[i].victim[j].buf)
        free(s.pools[i].local)
        free(s.pools[i].victim)
    free(s.pools)
    s.pools = NULL


cdef dict pool_stats_of(Pool *pl):
    # Engine.pool_stats: the counters of one Pool
    return {"gets": pl.gets, "puts": pl.puts, "private_hits": pl.private_hits,
            "shared_hits": pl.shared_hits, "steals": pl.steals, "victim_hits": pl.victim_hits,
            "news": pl.news, "nil_gets": pl.nil_gets, "cleanups": pl.cleanups,
            "line_hits": pl.line_hits, "line_transfers": pl.line_transfers,
            "line_transfers_remote": pl.line_transfers_remote,
            "line_mem": pl.line_mem, "line_invalidations": pl.line_invalidations}
