# sync.Mutex (internal/sync/mutex.go, Lock/lockSlow/Unlock/unlockSlow) over the runtime
# semaphore (sema.go).  Normal mode: a woken waiter competes with newcomers (who may spin while
# runtime_canSpin allows); a waiter that has waited more than 1 ms switches the mutex to
# starvation mode, where Unlock hands ownership straight to the front waiter
# (semrelease(handoff=true): the waiter goes to runnext and the unlocker yields with goyield).
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
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int32_t scratch = gp.waiting_on if gp.waiting_on >= 0 else 0
    cdef int32_t iter = scratch & 0xff, awoke = (scratch >> 8) & 1
    cdef bint starving
    line_access(s, mp.core, m.line, ACC_RMW)
    if gp.flags & G_FLAG_HANDOFF:
        # starvation mode: the unlocker handed us the mutex (it stays locked for us)
        gp.flags &= ~G_FLAG_HANDOFF
        if s.now - g_wait(s, gi) <= s.starve_cycles or m.nwait == 0:
            m.starving = 0                      # leave starvation mode
        acc_add(s, &m.wait_cycles, s.now - g_wait(s, gi), OVF_MUTEX_WAIT)
        g_wait_set(s, gi, 0)
        gp.waiting_on = -1
        gp.pc += 1
        m.acquisitions += 1
        return s.cost.mutex
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
    # queue on the semaphore (runtime_SemacquireMutex), LIFO for a re-waiter
    if awoke:
        m.woken = 0
    starving = g_wait(s, gi) != 0 and s.now - g_wait(s, gi) > s.starve_cycles
    if starving and m.locked and not m.starving:
        m.starving = 1
        m.starvation_switches += 1
    if g_wait(s, gi) == 0:
        g_wait_set(s, gi, s.now)
        gq_push(s, &m.semahead, &m.sematail, gi)
    else:
        gp.schedlink = m.semahead               # lifo: back to the front
        m.semahead = gi
        if m.sematail == -1:
            m.sematail = gi
    m.nwait += 1
    m.contended += 1
    gopark(s, mp, gp, waitReasonSyncMutexLock, a)
    return s.cost.park


cdef int64_t mutex_unlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef Mutex *m = &s.mutexes[a]
    cdef int32_t gi = mp.curg, w
    cdef G *gp = getg(s, gi)
    line_access(s, mp.core, m.line, ACC_RMW)
    if not m.locked:
        fail(s, ERR_UNLOCK_UNLOCKED, a)
        return -1
    gp.pc += 1
    if not m.starving:
        m.locked = 0
        if m.nwait == 0 or m.woken:
            return s.cost.mutex
        # wake one waiter (semrelease, handoff=false): it competes for the mutex
        m.nwait -= 1
        m.woken = 1
        w = gq_pop(s, &m.semahead, &m.sematail)
        goready1(s, mp, w)
        getg(s, w).waiting_on = 1 << 8         # awoke = true, iter = 0
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
        return s.cost.mutex + s.cost.ready
    # starvation mode: hand the mutex and our time slice to the front waiter
    m.nwait -= 1
    m.handoffs += 1
    w = gq_pop(s, &m.semahead, &m.sematail)
    getg(s, w).flags |= G_FLAG_HANDOFF
    goready1(s, mp, w)
    # goyield: this G goes to the local ring tail and the waiter runs (runnext)
    gstop(s, mp, gi, 2)
    runqput(s, mp, &s.allp[mp.p], gi, PUT_PLAIN)
    ret_push(mp, MS_SCHEDULE)
    mp.state = MS_AFTERPUT
    return s.cost.mutex + s.cost.ready
