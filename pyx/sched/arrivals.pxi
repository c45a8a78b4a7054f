# Open arrivals: goroutines that come from outside the Ps, as requests from the network do.
# An injecting thread with no P creates each arriving G at its arrival time and hands it to the
# scheduler the way netpoll results are handed over by an M without a P (proc.go injectglist,
# "if current M has no P" branch): under sched.lock the G goes to the global queue tail, then
# startIdle starts one idle P (startm(pp, spinning=false)) per injected G while there are any.

cdef void arrivals_init(State *s, int32_t fn, int32_t dist, int64_t count) noexcept nogil:
    cdef int32_t mi = newm(s)
    cdef M *mp
    if mi < 0:
        return
    mp = &s.allm[mi]
    s.arr_fn = fn
    s.arr_dist = dist
    s.arr_left = count
    s.arr_m = mi
    mp.state = MS_ARRIVE
    mp.idle_since = sample_dist(s, dist)          # the first arrival's time
    m_push(s, mp.idle_since, mi)


cdef int32_t gfget_global(State *s) noexcept nogil:
    cdef int32_t gi = s.sched.gFree
    if gi != -1:
        s.sched.gFree = getg(s, gi).schedlink
        s.sched.gFreeCount -= 1
        s.c.gfree_reuse += 1
        s.step_acc += g_created(s, False, gi)    # (footprint.pxi)
        return gi
    gi = allocg(s)
    if gi >= 0:
        s.step_acc += g_created(s, True, gi)
    return gi


cdef int64_t arrive(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_ARRIVE: the G arriving now (mp.idle_since holds its arrival cycle)
    cdef int32_t gi = gfget_global(s)
    cdef G *gp
    if gi < 0:
        return -1
    acc_g(s, mp, gi, ACC_WRITE)
    gp = getg(s, gi)
    ginit(s, gp, goid_next(s), s.func_entry[s.arr_fn], 0, <int32_t> (s.c.arrivals & 0x7fffffff), -1)
    s.c.arrivals += 1
    count_created(s)
    s.arr_left -= 1
    trace_ev(s, TE_GO_CREATE, gp.goid, 0, -1, mp.id, s.arr_fn + 1)
    gbatch_add(s, mp, gi)
    return take_lock(s, mp, mi, MS_INJECT_LOCKED)


cdef int64_t inject_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_INJECT_LOCKED: globrunqputbatch + startIdle(n), then wait for the next arrival
    cdef int32_t n = mp.gbatch_n, pi
    cdef int64_t cost, when
    lock_granted(s, &s.schedlock, mi)
    globrunqputbatch(s, mp, mp.gbatch_head, mp.gbatch_tail, n)
    mp.gbatch_n = 0
    mp.gbatch_head = -1
    mp.gbatch_tail = -1
    cost = s.cost.globrunq + n * s.cost.globrunq_per_g
    while n > 0:
        pi = pidlegetSpinning(s, mp)
        if pi == -1:
            break
        startm_wake(s, mp, pi, 0, s.now + s.step_acc + cost)
        n -= 1
    cost = unlock(s, mp, cost)
    if s.arr_left <= 0:
        mp.state = MS_PARKED                       # the source is exhausted
        return -1
    mp.idle_since += sample_dist(s, s.arr_dist)    # next arrival: previous + inter-arrival
    mp.state = MS_ARRIVE
    when = mp.idle_since - s.now - s.step_acc
    return when if when > cost else cost
