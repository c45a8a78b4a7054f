# sync.Mutex (internal/sync/mutex.go, Lock/lockSlow/Unlock/unlockSlow) over the runtime
# semaphore m.sema (runtime/sema.go semacquire1/semrelease1, sched/sema.pxi).  Normal mode: a
# woken waiter competes with newcomers (who may spin while runtime_canSpin allows); a waiter
# that has waited more than 1 ms switches the mutex to starvation mode, where Unlock hands
# ownership straight to the front waiter (semrelease(handoff=true): the waiter gets the ticket,
# goes to runnext and the unlocker yields with goyield).
#
# The state word is m.locked / m.woken / m.starving / m.nwait (the waiter count: a G adds
# itself before it calls runtime_SemacquireMutex, so it counts while on its way to the
# semaRoot lock too).  m.sema is the semaphore's count: Unlock's semrelease adds one before it
# looks for a queued waiter, and whoever takes it (cansemacquire) returns from semacquire --
# a G on its way to the root lock, a G just woken from the queue, or a newcomer's easy case.
# A G whose semacquire returned carries G_FLAG_HANDOFF into its next OP_LOCK step
# (mutex_after_sema); a woken G without a ticket carries G_FLAG_SEMRETRY.
#
# While a G runs lockSlow, its spin count and `awoke` flag live in G.waiting_on
# (awoke << 8 | iter); a parked waiter keeps waiting_on = the mutex, as any parked G.

cdef enum:
    STARVATION_NS = 1000000   # starvationThresholdNs = 1e6
    ACTIVE_SPIN = 4           # runtime_canSpin: at most 4 spins


cdef inline bint can_spin(State *s, M *mp, int32_t iter) noexcept nogil:
    # internal_sync_runtime_canSpin
    cdef P *pp = &s.allp[mp.p]
    if iter >= ACTIVE_SPIN or s.ncores <= 1:
        return False
    if s.sched.gomaxprocs <= s.sched.npidle + s.sched.nmspinning + 1:
        return False
    return pp.runqhead == pp.runqtail and pp.runnext == -1


cdef int64_t mutex_lock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # OP_LOCK: Lock's fast path and lockSlow, or the continuation of a semacquire
    cdef Mutex *m = &s.mutexes[a]
    cdef G *gp = getg(s, mp.curg)
    if gp.flags & G_FLAG_HANDOFF:
        gp.flags &= ~G_FLAG_HANDOFF
        line_access(s, mp.core, m.line, ACC_RMW)
        return mutex_after_sema(s, mp, mi, a)
    if gp.flags & G_FLAG_SEMRETRY:
        # woken without a ticket: semacquire1's loop, `if s.ticket != 0 ||
        # cansemacquire(addr) { break }`, else lock the root and queue again
        gp.flags &= ~G_FLAG_SEMRETRY
        line_access(s, mp.core, m.line, ACC_RMW)
        if m.sema > 0:
            m.sema -= 1
            return mutex_after_sema(s, mp, mi, a)
        # (root.queue(addr, s, lifo) with the lifo of the same semacquire call: at the tail
        # for a first wait, at the front for a re-wait)
        return sema_begin(s, mp, mi, m.sema_lock,
                          SEMA_MUTEX_ACQ | (SEMA_LIFO if gp.flags & G_FLAG_SEMALIFO else 0), a)
    return mutex_lock_slow(s, mp, mi, a)


cdef int64_t mutex_after_sema(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # lockSlow after runtime_SemacquireMutex returned
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    gp.flags &= ~G_FLAG_SEMALIFO
    if m.starving:
        # "If this goroutine was woken and mutex is in starvation mode, ownership was handed
        # off to us": delta = mutexLocked - 1<<mutexWaiterShift, and leave starvation mode if
        # we did not wait past the threshold or are the last waiter (the mutex stays locked:
        # m.locked was kept through the hand-off)
        if s.now - g_wait(s, gi) <= s.starve_cycles or m.nwait == 1:
            m.starving = 0
        m.nwait -= 1
        acc_add(s, &m.wait_cycles, s.now - g_wait(s, gi), OVF_MUTEX_WAIT)
        g_wait_set(s, gi, 0)
        gp.waiting_on = -1
        gp.pc += 1
        m.acquisitions += 1
        return s.cost.mutex
    gp.waiting_on = 1 << 8                      # awoke = true, iter = 0; and loop
    return mutex_lock_slow(s, mp, mi, a)


cdef int64_t mutex_lock_slow(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Lock's fast path and one pass of lockSlow's loop
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int32_t scratch = gp.waiting_on if gp.waiting_on >= 0 else 0
    cdef int32_t iter = scratch & 0xff, awoke = (scratch >> 8) & 1
    cdef bint starving, lifo
    line_access(s, mp.core, m.line, ACC_RMW)
    if not m.locked and not m.starving:
        m.locked = 1
        if awoke:
            m.woken = 0
        if g_wait(s, gi):
            acc_add(s, &m.wait_cycles, s.now - g_wait(s, gi), OVF_MUTEX_WAIT)
        g_wait_set(s, gi, 0)
        gp.waiting_on = -1
        gp.pc += 1
        m.acquisitions += 1
        return s.cost.mutex
    if m.locked and not m.starving and can_spin(s, mp, iter):
        if not awoke and not m.woken and m.nwait > 0:
            m.woken = 1
            awoke = 1
        gp.waiting_on = (awoke << 8) | (iter + 1)
        return s.cost.mutex_spin                 # runtime_doSpin: procyield(30)
    # the CAS: count ourselves as a waiter, set mutexStarving if we starve, drop mutexWoken
    if awoke:
        m.woken = 0
    starving = g_wait(s, gi) != 0 and s.now - g_wait(s, gi) > s.starve_cycles
    if starving and m.locked and not m.starving:
        m.starving = 1
        m.starvation_switches += 1
    m.nwait += 1
    m.contended += 1
    # runtime_SemacquireMutex(&m.sema, queueLifo = waitStartTime != 0, 2)
    lifo = g_wait(s, gi) != 0
    if not lifo:
        g_wait_set(s, gi, s.now)
    gp.waiting_on = a
    if m.sema > 0:
        m.sema -= 1                              # semacquire1's easy case: cansemacquire
        gp.flags |= G_FLAG_HANDOFF               # (mutex_after_sema at the next step)
        return s.cost.mutex
    return sema_begin(s, mp, mi, m.sema_lock, SEMA_MUTEX_ACQ | (SEMA_LIFO if lifo else 0), a)


cdef int64_t mutex_acquire_locked(State *s, M *mp, int32_t a, bint lifo) noexcept nogil:
    # semacquire1 under root.lock: root.nwait++, cansemacquire once more (unlock, return to
    # lockSlow), else root.queue(addr, s, lifo) and goparkunlock(&root.lock)
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int64_t cost
    line_access(s, mp.core, m.line, ACC_RMW)    # cansemacquire: m.sema shares the state's line
    if m.sema > 0:
        m.sema -= 1
        gp.flags |= G_FLAG_HANDOFF               # (mutex_after_sema at the next step)
        mp.state = MS_RUN
        return unlock_id(s, mp, 0)
    if lifo:
        gp.flags |= G_FLAG_SEMALIFO
    else:
        gp.flags &= ~G_FLAG_SEMALIFO
    if lifo:
        gp.schedlink = m.semahead
        m.semahead = gi
        if m.sematail == -1:
            m.sematail = gi
    else:
        gq_push(s, &m.semahead, &m.sematail, gi)
    m.root_nwait += 1
    cost = unlock_id(s, mp, 0)
    gopark(s, mp, gp, waitReasonSyncMutexLock, a)
    return cost + s.cost.park


cdef int64_t mutex_unlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Unlock / unlockSlow up to runtime_Semrelease (sema.pxi sema_release_begin, then
    # mutex_release_locked under the semaRoot lock)
    cdef Mutex *m = &s.mutexes[a]
    cdef G *gp = getg(s, mp.curg)
    line_access(s, mp.core, m.line, ACC_RMW)
    if not m.locked:
        fail(s, ERR_UNLOCK_UNLOCKED, a)
        return -1
    gp.pc += 1
    if not m.starving:
        m.locked = 0
        if m.nwait == 0 or m.woken:
            return s.cost.mutex
        # grab the right to wake someone: (old - 1<<mutexWaiterShift) | mutexWoken, then
        # runtime_Semrelease(&m.sema, false, 2)
        m.nwait -= 1
        m.woken = 1
        return mutex_semrelease(s, mp, a, False)
    # starvation mode: runtime_Semrelease(&m.sema, true, 2) hands ownership to the next
    # waiter (m.locked stays set: "mutex is still considered locked if mutexStarving is set")
    return mutex_semrelease(s, mp, a, True)


cdef inline int64_t mutex_semrelease(State *s, M *mp, int32_t a, bint handoff) noexcept nogil:
    # semrelease1: atomic.Xadd(addr, 1); "Easy case: no waiters?" (root.nwait == 0: a G on
    # its way to the root lock will take the count); else lock(&root.lock)
    cdef Mutex *m = &s.mutexes[a]
    m.sema += 1
    if m.root_nwait == 0:
        return s.cost.mutex
    return sema_release_begin(s, mp, m.sema_lock, SEMA_MUTEX_REL | (SEMA_HANDOFF if handoff else 0),
                              a, s.cost.mutex)


cdef int64_t mutex_release_locked(State *s, M *mp, int32_t a, bint handoff) noexcept nogil:
    # semrelease1 under root.lock: root.dequeue, unlock(&root.lock), and only then
    # readyWithTime -> goready ("May be slow or even yield, so unlock first"); with handoff
    # and cansemacquire the waiter gets the ticket and we goyield
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg, w
    cdef int64_t cost
    cdef bint ticket = False
    w = gq_pop(s, &m.semahead, &m.sematail)
    if w != -1:
        m.root_nwait -= 1
    cost = unlock_id(s, mp, 0)
    if w == -1:
        mp.state = MS_RUN                      # (root.nwait == 0 under the lock)
        return cost
    if handoff and m.sema > 0:
        m.sema -= 1
        ticket = True
        getg(s, w).flags |= G_FLAG_HANDOFF
    else:
        getg(s, w).flags |= G_FLAG_SEMRETRY
    goready1(s, mp, w)
    if not ticket:
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
        return cost + s.cost.ready
    # Direct G handoff: goyield -- this G goes to the local ring tail, the waiter (runnext)
    # runs in our time slice
    m.handoffs += 1
    gstop(s, mp, gi, 2)
    runqput(s, mp, &s.allp[mp.p], gi, PUT_PLAIN)
    ret_push(mp, MS_SCHEDULE)
    mp.state = MS_AFTERPUT
    return cost + s.cost.ready
