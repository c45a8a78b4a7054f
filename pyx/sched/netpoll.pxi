# The netpoller (runtime/netpoll.go, proc.go findRunnable steps 9 and 16, sysmon, injectglist).
# A goroutine waiting for network readiness parks ("IO wait")
# with the cycle its descriptor becomes ready; the descriptors live in one heap (the last slot
# of the timer arrays, s.netpoll_hp).  Ready goroutines reach the run queues only when some M
# polls:
#   * findRunnable step 9: a non-blocking netpoll(0) when nobody is blocked in netpoll; the
#     first G runs, the others are injected (injectglist);
#   * findRunnable step 16: the last M without work blocks in netpoll until the earliest
#     timer or descriptor (become_poller), then takes an idle P;
#   * sysmon: netpoll(0) when nobody has polled for 10 ms.
# netpoll returns at most 128 goroutines per call (epoll's event batch).

cdef enum:
    NETPOLL_BATCH = 128


cdef int64_t netpoll_park(State *s, M *mp, int32_t mi, int64_t d) noexcept nogil:
    # netpollblock -> gopark(waitReasonIOWait); ready `d` cycles from now
    cdef int32_t gi = mp.curg
    cdef int64_t when = s.now + (d if d > 0 else 1)
    if timer_add(s, s.netpoll_hp, when, gi) != 0:
        fail(s, ERR_NOMEM, 10)
        return -1
    s.netpoll_waiters += 1
    s.c.netpoll_waits += 1
    gopark(s, mp, getg(s, gi), waitReasonIOWait, -1)
    if s.poller != -1 and when < s.poll_until:
        poller_rearm(s, when)                         # the descriptor wakes the poller earlier
    return s.cost.park


cdef inline bint netpoll_due(State *s) noexcept nogil:
    return timers_due(s, s.netpoll_hp)


cdef int32_t netpoll(State *s, M *mp, int32_t *tail, int32_t *n, bint lastpoll) noexcept nogil:
    # netpoll(0): the ready goroutines (at most 128), made _Grunnable, as a list linked through
    # schedlink; returns its head (-1: none).  netpoll_epoll.go netpoll collects them with
    # netpollready's toRun.push -- a stack -- so the last descriptor to become ready comes first
    # (and is the one findRunnable runs).
    cdef int32_t head = -1, gi, k = 0
    tail[0] = -1
    if lastpoll:
        s.lastpoll = s.now          # (sched.lastpoll: the blocking poll and sysmon's, not step 9)
    while k < NETPOLL_BATCH and netpoll_due(s):
        gi = timer_pop(s, s.netpoll_hp)
        gwake(s, mp, gi)
        if head == -1:
            tail[0] = gi
        getg(s, gi).schedlink = head
        head = gi
        k += 1
    s.netpoll_waiters -= k
    s.c.netpoll_ready += k
    if k:
        s.c.netpoll_polls += 1
    n[0] = k
    return head


cdef int32_t inject_rest(State *s, M *mp, P *pp, int32_t head, int32_t n) noexcept nogil:
    # injectglist with a P, for the ready list after its first G: as many as there are idle Ps
    # go to the M's global batch, the others to pp's ring (a full ring spills to the batch
    # too).  Returns the first G (to run) and leaves the batch for the caller to put.
    cdef int32_t x = getg(s, head).schedlink, nxt
    cdef int32_t k = s.sched.npidle if s.sched.npidle < n - 1 else n - 1
    getg(s, head).schedlink = -1
    while x != -1:
        nxt = getg(s, x).schedlink
        if k > 0:
            gbatch_add(s, mp, x)
            k -= 1
        else:
            runqput(s, mp, pp, x, PUT_PLAIN)
        x = nxt
    return head


cdef int64_t netpoll_findrunnable(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 9: run the first ready G, inject the rest; the batch is put under
    # sched.lock by MS_AFTERPUT, whose wakep starts a spinner for it
    cdef int32_t tail, n, k
    cdef int32_t head = netpoll(s, mp, &tail, &n, False)
    cdef int32_t gi
    k = s.sched.npidle if s.sched.npidle < n - 1 else n - 1     # Gs for the idle Ps
    gi = inject_rest(s, mp, &s.allp[mp.p], head, n)
    mp.gbatch_startidle = k                           # startIdle(k) once they are put
    mp.arg = gi
    mp.arg2 = 0
    ret_push(mp, MS_EXECUTE)
    mp.state = MS_AFTERPUT
    return s.cost.netpoll + n * s.cost.ready


cdef int64_t poll_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 16 after netpoll(delay) returned: lock; pidleget; unlock.  No P: the Gs
    # go to the global queue.  With a P: run the first, inject the rest (global queue and
    # startIdle for the idle Ps, this P's ring for the others).
    cdef int32_t tail = -1, n = 0, head = -1, pi, gi, k
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    if netpoll_due(s):
        head = netpoll(s, mp, &tail, &n, True)
    else:
        s.lastpoll = s.now
    pi = pidleget_timers(s, mp)          # the P whose timer fired, if it is idle
    if pi == -1:
        pi = pidlegetSpinning(s, mp) if head == -1 else pidleget(s, mp)
    if pi == -1:
        if head != -1:
            globrunqputbatch(s, mp, head, tail, n)
        cost = unlock(s, mp, s.cost.lock + n * s.cost.globrunq_per_g)
        return lock_after(mp, MS_STOPM_LOCKED, cost)
    acquirep(s, mi, pi)
    if head == -1:
        cost = unlock(s, mp, s.cost.lock)
        becomeSpinning(s, mp)
        mp.state = MS_FR_TOP
        return cost
    k = s.sched.npidle if s.sched.npidle < n - 1 else n - 1     # Gs for the idle Ps
    gi = inject_rest(s, mp, &s.allp[pi], head, n)
    cost = s.cost.lock + n * s.cost.ready
    if mp.gbatch_n > 0:                               # sched.lock is held: put the batch now
        globrunqputbatch(s, mp, mp.gbatch_head, mp.gbatch_tail, mp.gbatch_n)
        mp.gbatch_n = 0
        mp.gbatch_head = -1
        mp.gbatch_tail = -1
    start_idle(s, mp, k, s.now + s.step_acc + cost)
    cost = unlock(s, mp, cost)
    return to_execute(mp, gi, 0, cost)


cdef void sysmon_netpoll(State *s) noexcept nogil:
    # sysmon: "poll network if not polled for more than 10ms"; inject without a P
    cdef int32_t tail, n, head
    cdef M *mp = &s.allm[s.sysmon_m]
    if s.poller != -1 or s.lastpoll + s.sysmon_max >= s.now:
        return
    s.lastpoll = s.now        # sched.lastpoll.CompareAndSwap(lastpoll, now), found Gs or not
    if not netpoll_due(s):
        return
    head = netpoll(s, mp, &tail, &n, True)
    globrunqputbatch(s, mp, head, tail, n)
    start_idle(s, mp, n, s.now)
