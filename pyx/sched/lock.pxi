# A modelled lock (sched.lock; channel locks and sync.Mutex reuse it).
#
# Shaped after the runtime's own mutex (lock_futex.go / lock_spinbit.go): a waiter spins for a
# while (4 x procyield(30) + osyield, LOCK_SPIN_WINDOW cycles here) and then sleeps on a futex.
#
#   * The holder's critical section is one micro-step: it runs at the cycle the lock is granted
#     and declares when it ends (lock_release(L, end)).
#   * At release, a waiter that is still spinning takes the lock after a hand-off latency (the
#     line moving to its core plus its CAS, CostModel.lock_handoff).
#   * A waiter that went to sleep is woken (CostModel.futex_wake later it retries), and the lock
#     is free in the meantime: a newcomer may barge in, as with Go's mutex.  A woken waiter that
#     loses goes back to the front of the queue.
#
#   free:     pending == -1 and busy_until <= now
#   held:     busy_until == INT64_MAX (critical section running, or being handed to `pending`)

cdef enum:
    LOCK_SPIN_WINDOW = 2000   # cycles a waiter spins before it sleeps on the futex


cdef inline void lock_init(Lock *L) noexcept nogil:
    L.busy_until = 0
    L.pending = -1
    L.waithead = -1
    L.waittail = -1
    L.holder = -1
    L.acquisitions = 0
    L.contended = 0
    L.wait_cycles = 0
    L.hold_cycles = 0
    L.grant_time = 0
    L.line = 0


cdef int64_t lock_acquire(State *s, Lock *L, int32_t mi) noexcept nogil:
    # Returns the cycles until the M's critical-section step (its state is already set to it),
    # or -1 if the M must wait: the lock schedules it at hand-off.
    cdef M *mp = &s.allm[mi]
    line_access(s, mp.core, L.line, ACC_RMW)     # the Xchg/CAS on the lock word
    if not mp.lock_retry:
        mp.lock_req = s.now
    if L.pending == -1 and L.busy_until <= s.now:
        L.busy_until = INT64_MAX
        L.holder = mi
        L.grant_time = s.now
        L.acquisitions += 1
        if mp.lock_retry:
            acc_add(s, &L.wait_cycles, s.now - mp.lock_req, OVF_LOCK_WAIT)
            mp.lock_retry = 0
        return s.cost.lock
    if not mp.lock_retry:
        L.contended += 1
    if L.pending == -1 and L.busy_until != INT64_MAX:
        # the holder has already declared when its critical section ends and nobody is lined
        # up: take the lock then -- right away if we are still spinning by then, after a futex
        # wake if we will have gone to sleep.  (No later release would pop a queued waiter.)
        L.pending = mi
        if L.busy_until - s.now < LOCK_SPIN_WINDOW:
            m_push(s, L.busy_until + s.cost.lock_handoff, mi)
        else:
            m_push(s, L.busy_until + s.cost.futex_wake, mi)
        L.busy_until = INT64_MAX
        return -1
    mp.state_after_lock = mp.state
    mp.state = MS_LOCKWAIT
    if mp.lock_retry:
        # a woken sleeper that lost the race goes back to the front
        mp.schedlink = L.waithead
        L.waithead = mi
        if L.waittail == -1:
            L.waittail = mi
    else:
        mp.schedlink = -1
        if L.waittail == -1:
            L.waithead = mi
        else:
            s.allm[L.waittail].schedlink = mi
        L.waittail = mi
    return -1


cdef inline void lock_granted(State *s, Lock *L, int32_t mi) noexcept nogil:
    # first thing in every critical-section step: account the wait of a handed-off M
    if L.pending == mi:
        line_access(s, s.allm[mi].core, L.line, ACC_RMW)   # the waiter's winning CAS
        L.pending = -1
        L.holder = mi
        L.acquisitions += 1
        acc_add(s, &L.wait_cycles, s.now - s.allm[mi].lock_req, OVF_LOCK_WAIT)
        L.grant_time = s.now
        s.allm[mi].lock_retry = 0


cdef void lock_release(State *s, Lock *L, int64_t end) noexcept nogil:
    # The holder's critical section ends at `end` (>= now).
    cdef int32_t w
    cdef M *wp
    acc_add(s, &L.hold_cycles, end - L.grant_time, OVF_LOCK_HOLD)
    L.holder = -1
    w = L.waithead
    if w == -1:
        L.busy_until = end
        return
    wp = &s.allm[w]
    L.waithead = wp.schedlink
    if L.waithead == -1:
        L.waittail = -1
    wp.schedlink = -1
    if end - wp.lock_req < LOCK_SPIN_WINDOW:
        # still spinning: it sees the release and takes the lock
        wp.state = wp.state_after_lock
        L.pending = w
        L.busy_until = INT64_MAX
        m_push(s, end + s.cost.lock_handoff, w)
    else:
        # asleep on the futex: wake it to retry; the lock is free until someone takes it
        wp.lock_cont = wp.state_after_lock       # (wp.lock_id still names this lock)
        wp.state = MS_LOCK
        wp.lock_retry = 1
        L.busy_until = end
        m_push(s, end + s.cost.futex_wake, w)
