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
# A woken G re-executes its OP_RLOCK / OP_WLOCK with G_FLAG_SEMRETRY set.

cdef enum:
    RWMUTEX_MAX_READERS = 1 << 30


cdef inline int64_t sem_park(State *s, M *mp, int32_t *head, int32_t *tail, int32_t reason,
                             int32_t a) noexcept nogil:
    # semacquire1's slow path: queue (lifo=false) and park; pc stays on the instruction
    cdef int32_t gi = mp.curg
    getg(s, gi).flags |= G_FLAG_SEMRETRY
    gq_push(s, head, tail, gi)
    gopark(s, mp, getg(s, gi), reason, a)
    return s.cost.park


cdef inline int64_t sem_release(State *s, M *mp, int32_t *count, int32_t *head,
                                int32_t *tail) noexcept nogil:
    # semrelease1(addr, handoff=false): count++, ready the first waiter (if any) into our
    # runnext; returns the number readied
    count[0] += 1
    if head[0] == -1:
        return 0
    goready1(s, mp, gq_pop(s, head, tail))
    return 1


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
        return sem_park(s, mp, &rw.rsemhead, &rw.rsemtail, waitReasonSyncRWMutexRLock, a)
    rw.readerCount += 1                              # readerCount.Add(1)
    rw.rlocks += 1
    if rw.readerCount < 0:
        # a writer is pending: runtime_SemacquireRWMutexR(&rw.readerSem)
        rw.reader_waits += 1
        if rw.rsem > 0:                              # cansemacquire: a count is left over
            rw.rsem -= 1
            gp.pc += 1
            return s.cost.mutex
        return sem_park(s, mp, &rw.rsemhead, &rw.rsemtail, waitReasonSyncRWMutexRLock, a)
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
            if sem_release(s, mp, &rw.wsem, &rw.wsemhead, &rw.wsemtail):
                ret_push(mp, MS_RUN)
                mp.state = MS_AFTERPUT
                return s.cost.mutex + s.cost.ready
            return s.cost.mutex
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
        return sem_park(s, mp, &rw.wsemhead, &rw.wsemtail, waitReasonSyncRWMutexLock, a)
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
            return sem_park(s, mp, &rw.wsemhead, &rw.wsemtail, waitReasonSyncRWMutexLock, a)
    gp.pc += 1
    return s.cost.mutex


cdef int64_t rw_wunlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Unlock, before rw.w.Unlock(): no active writer; a semrelease on readerSem for every
    # reader that queued behind us
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t r, i
    cdef int64_t k = 0
    line_access(s, mp.core, rw.line, ACC_RMW)
    r = rw.readerCount + RWMUTEX_MAX_READERS
    if r >= RWMUTEX_MAX_READERS:
        fail(s, ERR_WUNLOCK_UNLOCKED, a)
        return -1
    rw.readerCount = r
    getg(s, mp.curg).pc += 1
    for i in range(r):
        k += sem_release(s, mp, &rw.rsem, &rw.rsemhead, &rw.rsemtail)
    if k > 0:
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
    return s.cost.mutex + k * s.cost.ready
