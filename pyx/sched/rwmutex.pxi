# sync.RWMutex (sync/rwmutex.go RLock, RUnlock, rUnlockSlow, Lock, Unlock).  Lock is the writer
# Mutex's Lock (OP_LOCK, with Go's normal and starvation modes) followed by OP_WLOCK, which
# announces the writer (readerCount -= rwmutexMaxReaders) and waits on writerSem for the
# readers still inside; Unlock is OP_WUNLOCK (release every reader that queued on readerSem)
# followed by the writer Mutex's Unlock.  Semaphore releases ready the waiter into the
# releaser's runnext (semrelease handoff=false -> goready), FIFO.

cdef enum:
    RWMUTEX_MAX_READERS = 1 << 30


cdef int64_t rw_rlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t gi = mp.curg
    line_access(s, mp.core, rw.line, ACC_RMW)        # readerCount.Add(1)
    getg(s, gi).pc += 1
    rw.readerCount += 1
    rw.rlocks += 1
    if rw.readerCount < 0:
        # a writer is pending: runtime_SemacquireRWMutexR(&rw.readerSem)
        gq_push(s, &rw.rsemhead, &rw.rsemtail, gi)
        rw.reader_waits += 1
        gopark(s, mp, getg(s, gi), waitReasonSyncRWMutexRLock, a)
        return s.cost.park
    return s.cost.mutex


cdef int64_t rw_runlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t r, w
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
            w = gq_pop(s, &rw.wsemhead, &rw.wsemtail)
            goready1(s, mp, w)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return s.cost.mutex + s.cost.ready
    getg(s, mp.curg).pc += 1
    return s.cost.mutex


cdef int64_t rw_wlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Lock, after rw.w.Lock(): announce the writer, wait for the active readers
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t gi = mp.curg, r
    line_access(s, mp.core, rw.line, ACC_RMW)
    getg(s, gi).pc += 1
    rw.wlocks += 1
    r = rw.readerCount
    rw.readerCount -= RWMUTEX_MAX_READERS
    if r != 0:
        rw.readerWait += r
        if rw.readerWait != 0:
            gq_push(s, &rw.wsemhead, &rw.wsemtail, gi)   # runtime_SemacquireRWMutex
            rw.writer_waits += 1
            gopark(s, mp, getg(s, gi), waitReasonSyncRWMutexLock, a)
            return s.cost.park
    return s.cost.mutex


cdef int64_t rw_wunlock(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # Unlock, before rw.w.Unlock(): no active writer; release the readers that queued
    cdef RWMutex *rw = &s.rwmutexes[a]
    cdef int32_t r, i, w
    line_access(s, mp.core, rw.line, ACC_RMW)
    r = rw.readerCount + RWMUTEX_MAX_READERS
    if r >= RWMUTEX_MAX_READERS:
        fail(s, ERR_WUNLOCK_UNLOCKED, a)
        return -1
    rw.readerCount = r
    getg(s, mp.curg).pc += 1
    for i in range(r):
        w = gq_pop(s, &rw.rsemhead, &rw.rsemtail)
        goready1(s, mp, w)
    if r > 0:
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
    return s.cost.mutex + r * s.cost.ready
