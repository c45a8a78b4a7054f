# Hooks for the tests and benchmarks: drive native helpers directly (sklearn `_test_*` style).
# Provides _test_coherence (cache/layout.pxi's socket masks + cache/coherence.pxi),
# _test_steal_race and _bench_runq (the run queues of sched/runq.pxi on a built Engine).

_ACC = {"r": ACC_READ, "w": ACC_WRITE, "rmw": ACC_RMW}
_OUTCOME = ("hit", "local", "remote", "mem")


def _test_coherence(int ncores, int sockets, int nlines, accesses, dict costs):
    """Apply `accesses` [(core, line, 'r'|'w'|'rmw'), ...] to a fresh directory of `nlines`
    lines on `ncores` cores in `sockets` sockets.  Returns (outcomes, cycles, lines) where
    outcomes[i] is 'hit' | 'local' | 'remote' | 'mem', and lines[j] = (owner, sharers, stats)."""
    cdef CacheStats tot[NLINECLASSES]
    cdef State st
    cdef State *s = &st
    cdef int32_t i, j, k, core, li
    cdef int64_t before[4]
    cdef int64_t c
    cdef CacheStats *cs
    memset(s, 0, sizeof(State))
    s.cost = costs
    s.cache_on = 1
    socket_masks(s, ncores, sockets)
    s.lines = <Line *> calloc(nlines, sizeof(Line))
    s.core_hit = <int64_t *> calloc(ncores, sizeof(int64_t))
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
        cstats_total(s, tot)
        stats = dict(tot[LC_USER])
        return outcomes, cycles, lines, stats
    finally:
        free(s.lines)
        free(s.core_hit)
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
    if not 0 <= fn < s.nfuncs:
        raise ValueError(f"function {fn} does not exist")
    for i in range(k):
        gi = allocg(s)
        gp = getg(s, gi)
        ginit(s, gp, goid_next(s), s.func_entry[fn], 0, 0, -1)
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


def _test_livelock_poller(bint on):
    """Revert (on=True) or restore timers.pxi become_poller's fix for the zero-cost poll
    livelock, for every engine of this process: tests force a real livelock with it and check
    that the livelock guard (sched/guard.pxi) stops the run.  Returns the previous setting."""
    global g_test_flags
    cdef bint was = g_test_flags & 1
    g_test_flags = (g_test_flags | 1) if on else (g_test_flags & ~1)
    return was
