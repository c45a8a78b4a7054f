# sync.RWMutex (sync/rwmutex.go RLock, RUnlock, rUnlockSlow, Lock, Unlock).  Lock is the writer
# Mutex's Lock (OP_LOCK, with Go's normal and starvation modes) followed by OP_WLOCK, which
# announces the writer (readerCount -= rwmutexMaxReaders) and waits on writerSem for the
# readers still inside; Unlock is OP_WUNLOCK (release every reader that queued on readerSem)
# followed by the writer Mutex's Unlock.
#
# readerSem and writerSem are runtime semaphores (runtime/sema.go semacquire1, semrelease1):
# a count and a FIFO of waiters.  semrelease (handoff=false) adds to the count and readies the
# first waiter into the releaser's runnext -- but does not give it the count: the woken G takes
# it when it runs (cansemacquire), and a G that gets there first, e.g. a new reader's RLock
# behind another pending writer, takes it instead; the woken G then queues again at the tail.
# A woken G re-executes its OP_RLOCK / OP_WLOCK with G_FLAG_SEMRETRY set.  Both semaphores
# hang off one semaRoot (sched/sema.pxi): a G queues and a release dequeues under its lock,
# and the release unlocks it before it readies the waiter.

cdef enum:
    RWMUTEX_MAX_READERS = 1 << 30


cdef inline int64_t sem_park(State *s, M *mp, int32_t mi, RWMutex *rw, int32_t which,
                             int32_t a) noexcept nogil:
    # semacquire1's slow path on readerSem (which 0) or writerSem (1): lock(&root.lock), then
    # (sema.pxi rw_acquire_locked) cansemacquire once more, or queue (lifo=false) and park; the
    # pc stays on the instruction
    return sema_begin(s, mp, mi, rw.sema_lock, SEMA_RW_ACQ | (which << 3), a)


cdef int64_t rw_acquire_locked(State *s, M *mp, int32_t a, int32_t which) noexcept nogil:
    # semacquire1 under root.lock: root.nwait.Add(1); cansemacquire -> unlock and return, else
    # root.queue and goparkunlock(&root.lock)
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int32_t *count = &rw.wsem if which else &rw.rsem
    cdef int64_t cost
    line_access(s, mp.core, rw.line, ACC_RMW)   # cansemacquire: the semaphores share rw's line
    if count[0] > 0:
        count[0] -= 1
        gp.flags &= ~G_FLAG_SEMRETRY
        gp.pc += 1
        mp.state = MS_RUN
        return unlock_id(s, mp, s.cost.mutex)
    gp.flags |= G_FLAG_SEMRETRY
    if which:
        gq_push(s, &rw.wsemhead, &rw.wsemtail, gi)
    else:
        gq_push(s, &rw.rsemhead, &rw.rsemtail, gi)
    cost = unlock_id(s, mp, 0)
    gopark(s, mp, gp, waitReasonSyncRWMutexLock if which else waitReasonSyncRWMutexRLock, a)
    return cost + s.cost.park


cdef int64_t rw_sem_releases(State *s, M *mp, int32_t a, int32_t which, int32_t left,
                             bint readied, int64_t cost) noexcept nogil:
    # `left` more runtime_Semrelease(&sem, false, 0) calls on readerSem (which 0: Unlock's loop
    # over the readers that queued behind the writer) or writerSem (1: rUnlockSlow's last
    # reader).  semrelease1: Xadd(addr, 1); if root.nwait == 0 return (the root is shared by
    # both semaphores); else lock(&root.lock) -- continued in rw_release_locked.  After the
    # last one: MS_AFTERPUT if anyone was readied (its wakep), else back to the program.
    cdef RWMutex *rw = &s.rwmutexes[a]
    while left > 0:
        left -= 1
        if which:
            rw.wsem += 1
        else:
            rw.rsem += 1
        if rw.rsemhead != -1 or rw.wsemhead != -1:
            mp.arg = left                       # (the releases still to do)
            return sema_release_begin(s, mp, rw.sema_lock,
                                      SEMA_RW_REL | (which << 3) | (readied << 4), a, cost)
    if readied:
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
    else:
        mp.state = MS_RUN
    return cost


cdef int64_t rw_release_locked(State *s, M *mp, int32_t a, int32_t which, int32_t left,
                               bint readied) noexcept nogil:
    # semrelease1 under root.lock: dequeue this semaphore's first waiter, unlock(&root.lock),
    # then readyWithTime -> goready into our runnext ("May be slow or even yield, so unlock
    # first"); the next release of the loop follows
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t w
    cdef int64_t cost
    if which:
        w = gq_pop(s, &rw.wsemhead, &rw.wsemtail)
    else:
        w = gq_pop(s, &rw.rsemhead, &rw.rsemtail)
    cost = unlock_id(s, mp, 0)
    if w != -1:
        goready1(s, mp, w)
        readied = True
        cost += s.cost.ready
    return rw_sem_releases(s, mp, a, which, left, readied, cost)


cdef int64_t rw_rlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    line_access(s, mp.core, rw.line, ACC_RMW)
    if gp.flags & G_FLAG_SEMRETRY:
        # woken from readerSem (already counted in readerCount): cansemacquire, or wait again
        if rw.rsem > 0:
            rw.rsem -= 1
            gp.flags &= ~G_FLAG_SEMRETRY
            gp.pc += 1
            return s.cost.mutex
        return sem_park(s, mp, mi, rw, 0, a)
    rw.readerCount += 1                              # readerCount.Add(1)
    rw.rlocks += 1
    if rw.readerCount < 0:
        # a writer is pending: runtime_SemacquireRWMutexR(&rw.readerSem)
        rw.reader_waits += 1
        if rw.rsem > 0:                              # cansemacquire: a count is left over
            rw.rsem -= 1
            gp.pc += 1
            return s.cost.mutex
        return sem_park(s, mp, mi, rw, 0, a)
    gp.pc += 1
    return s.cost.mutex


cdef int64_t rw_runlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t r
    line_access(s, mp.core, rw.line, ACC_RMW)        # readerCount.Add(-1)
    rw.readerCount -= 1
    r = rw.readerCount
    if r < 0:
        # rUnlockSlow
        if r + 1 == 0 or r + 1 == -RWMUTEX_MAX_READERS:
            rw.readerCount += 1
            fail(s, ERR_RUNLOCK_UNLOCKED, a)
            return -1
        rw.readerWait -= 1
        if rw.readerWait == 0:
            # the last reader unblocks the writer: runtime_Semrelease(&rw.writerSem)
            getg(s, mp.curg).pc += 1
            return rw_sem_releases(s, mp, a, 1, 1, False, s.cost.mutex)
    getg(s, mp.curg).pc += 1
    return s.cost.mutex


cdef int64_t rw_wlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Lock, after rw.w.Lock(): announce the writer, wait for the active readers
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t gi = mp.curg, r
    cdef G *gp = getg(s, gi)
    line_access(s, mp.core, rw.line, ACC_RMW)
    if gp.flags & G_FLAG_SEMRETRY:
        if rw.wsem > 0:                              # woken from writerSem
            rw.wsem -= 1
            gp.flags &= ~G_FLAG_SEMRETRY
            gp.pc += 1
            return s.cost.mutex
        return sem_park(s, mp, mi, rw, 1, a)
    rw.wlocks += 1
    r = rw.readerCount
    rw.readerCount -= RWMUTEX_MAX_READERS
    if r != 0:
        rw.readerWait += r
        if rw.readerWait != 0:
            # runtime_SemacquireRWMutex(&rw.writerSem)
            rw.writer_waits += 1
            if rw.wsem > 0:
                rw.wsem -= 1
                gp.pc += 1
                return s.cost.mutex
            return sem_park(s, mp, mi, rw, 1, a)
    gp.pc += 1
    return s.cost.mutex


cdef int64_t rw_wunlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Unlock, before rw.w.Unlock(): no active writer; a semrelease on readerSem for every
    # reader that queued behind us
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t r
    line_access(s, mp.core, rw.line, ACC_RMW)
    r = rw.readerCount + RWMUTEX_MAX_READERS
    if r >= RWMUTEX_MAX_READERS:
        fail(s, ERR_WUNLOCK_UNLOCKED, a)
        return -1
    rw.readerCount = r
    getg(s, mp.curg).pc += 1
    # for i := 0; i < int(r); i++ { runtime_Semrelease(&rw.readerSem, false, 0) }
    return rw_sem_releases(s, mp, a, 0, r, False, s.cost.mutex)
