# The semaphores under sync.Mutex and sync.RWMutex (runtime/sema.go semacquire1, semrelease1)
# and their semaRoot lock.  A semaphore address hashes to one of 251 semaRoots (rootFor:
# addr >> 3 % semTabSize), each with its own runtime mutex (root.lock) and the queue of
# sudogs waiting on its addresses.  Here every sync.Mutex has a root, and every RWMutex one
# root for readerSem and writerSem (one 8-byte word: the same root); collisions between
# objects are not modelled.  root.lock is a modelled runtime lock (sched/lock.pxi, the
# spin-bit mutex), in State.locks after the program's runtime locks.
#
# Only the slow paths take it, as in Go:
#   * semacquire1 after the easy cansemacquire failed: lock(&root.lock), root.nwait++,
#     cansemacquire again (unlock and return on success), else root.queue and
#     goparkunlock(&root.lock) -- the G parks and the lock is released together;
#   * semrelease1 when root.nwait != 0: lock(&root.lock), root.dequeue, unlock(&root.lock),
#     and only THEN readyWithTime -> goready ("May be slow or even yield, so unlock first"):
#     the readying (goready's runqput, its cache accesses) is outside the critical section;
#     with handoff (a starving sync.Mutex) the waiter gets the ticket and the releaser
#     goyields after the unlock.
#
# The M's state while it waits for or holds root.lock is MS_SEMA_LOCKED; the operation is in
# mp.chan_op (SEMA_* | handoff, lifo or which semaphore << 3 | a G was readied << 4), the object in mp.arg2,
# the releases still to do (RWMutex.Unlock's loop) in mp.arg.

cdef enum:
    SEMA_MUTEX_ACQ = 1     # sync.Mutex lockSlow -> runtime_SemacquireMutex
    SEMA_MUTEX_REL = 2     # unlockSlow -> runtime_Semrelease(&m.sema, handoff, 1)
    SEMA_RW_ACQ = 3        # RLock / Lock -> runtime_SemacquireRWMutex(R)
    SEMA_RW_REL = 4        # rUnlockSlow (writerSem) / Unlock (readerSem, r times)
    SEMA_HANDOFF = 8       # (SEMA_MUTEX_REL) starvation mode: semrelease1's handoff=true
    SEMA_LIFO = 8          # (SEMA_MUTEX_ACQ) semacquire1's lifo: queue at the front


cdef inline int64_t sema_begin(State *s, M *mp, int32_t mi, int32_t lid, int32_t op,
                               int32_t a) noexcept nogil:
    # semacquire1: lock(&root.lock) now
    mp.chan_op = op
    mp.arg2 = a
    mp.lock_id = lid
    mp.state = MS_SEMA_LOCKED
    return lock_acquire(s, &s.locks[lid], mi)


cdef inline int64_t sema_release_begin(State *s, M *mp, int32_t lid, int32_t op, int32_t a,
                                       int64_t cost) noexcept nogil:
    # semrelease1: lock(&root.lock) after `cost` more cycles of this step
    mp.chan_op = op
    mp.arg2 = a
    cost = lock_after(mp, MS_SEMA_LOCKED, cost)
    mp.lock_id = lid
    return cost


cdef int64_t sema_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # root.lock granted: the operation's critical section (it unlocks root.lock itself)
    cdef int32_t op = mp.chan_op, a = mp.arg2, left = mp.arg
    lock_granted(s, &s.locks[mp.lock_id], mi)
    mp.chan_op = 0
    mp.arg2 = 0
    mp.arg = -1
    if (op & 7) == SEMA_MUTEX_ACQ:
        return mutex_acquire_locked(s, mp, a, (op & SEMA_LIFO) != 0)
    if (op & 7) == SEMA_MUTEX_REL:
        return mutex_release_locked(s, mp, a, (op & SEMA_HANDOFF) != 0)
    if (op & 7) == SEMA_RW_ACQ:
        return rw_acquire_locked(s, mp, a, (op >> 3) & 1)
    return rw_release_locked(s, mp, a, (op >> 3) & 1, left, (op >> 4) & 1)
