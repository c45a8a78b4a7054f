# A modelled lock (sched.lock; channel locks and sync.Mutex reuse it).
#
# The holder's critical section is one micro-step: it runs at the cycle the lock is granted and
# declares when it ends (lock_release(L, end)).  Waiters queue FIFO.  A waiter is handed the lock
# at the end of the critical section plus a hand-off latency: a cache-line transfer if it was
# still spinning (waited less than the spin window), a futex wake otherwise -- the shape of
# runtime lock2 (lock_futex.go / lock_spinbit.go: spin 4x30 procyield + osyield, then sleep).
#
#   free:     pending == -1 and busy_until <= now
#   held:     busy_until == INT64_MAX (critical section running, end not yet declared)
#   handing:  pending == M whose step runs at the hand-off cycle

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


cdef int64_t lock_acquire(State *s, Lock *L, int32_t mi) noexcept nogil:
    # Returns the cycles until the M's critical-section step (its state is already set to it),
    # or -1 if the M must wait: the lock schedules it at hand-off.
    cdef M *mp = &s.allm[mi]
    cdef int64_t t
    L.acquisitions += 1
    mp.lock_req = s.now
    if L.pending == -1 and L.busy_until <= s.now:
        L.busy_until = INT64_MAX
        L.holder = mi
        L.grant_time = s.now
        return s.cost.lock
    L.contended += 1
    if L.pending == -1 and L.busy_until != INT64_MAX:
        # released already, at a cycle still in the future: line up for it
        L.pending = mi
        t = L.busy_until + lock_handoff_cost(s, L.busy_until - s.now)
        L.busy_until = INT64_MAX
        heap_push(s, t, EV_M, mi)
        return -1
    mp.schedlink = -1
    if L.waittail == -1:
        L.waithead = mi
    else:
        s.allm[L.waittail].schedlink = mi
    L.waittail = mi
    mp.state_after_lock = mp.state
    mp.state = MS_LOCKWAIT
    return -1


cdef inline int64_t lock_handoff_cost(State *s, int64_t waited) noexcept nogil:
    if waited < LOCK_SPIN_WINDOW:
        return s.cost.lock_handoff
    return s.cost.futex_wake


cdef inline void lock_granted(State *s, Lock *L, int32_t mi) noexcept nogil:
    # first thing in every critical-section step: account the wait of a handed-off M
    if L.pending == mi:
        L.pending = -1
        L.holder = mi
        L.wait_cycles += s.now - s.allm[mi].lock_req
        L.grant_time = s.now


cdef void lock_release(State *s, Lock *L, int64_t end) noexcept nogil:
    # The holder's critical section ends at `end` (>= now).
    cdef int32_t w
    L.hold_cycles += end - L.grant_time
    L.holder = -1
    w = L.waithead
    if w != -1:
        L.waithead = s.allm[w].schedlink
        if L.waithead == -1:
            L.waittail = -1
        s.allm[w].schedlink = -1
        s.allm[w].state = s.allm[w].state_after_lock
        L.pending = w
        L.busy_until = INT64_MAX
        heap_push(s, end + lock_handoff_cost(s, end - s.allm[w].lock_req), EV_M, w)
    else:
        L.busy_until = end
