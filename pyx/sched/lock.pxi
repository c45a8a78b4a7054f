# A modelled runtime mutex: sched.lock, hchan.lock and Program.runtime_lock (sync.Mutex has its
# own model in sched/mutex.pxi).  It follows the spin-bit mutex of runtime/lock_spinbit.go:
#
#   * lock2: a waiter that finds the lock held tries to take the spin bit (mutexSpinning).
#     Only the M that holds it spins on the lock word (mutexActiveSpinCount x
#     procyield(mutexActiveSpinSize) + one osyield: LOCK_SPIN_WINDOW cycles here); the others
#     go to sleep at once.  Exceptions, as in lock2: an M woken from the bottom of the stack
#     (atTail) spins too, and on sched.lock (mutexPreferLowLatency) every waiter spins.
#   * Sleeping Ms form a stack (LIFO): the one that went to sleep last is on top.
#   * unlock2 / unlock2Wake: if Ms sleep, draw cheaprandn(mutexTailWakePeriod = 16); unless
#     that is 0 (anti-starvation), do not wake anyone while a spinner exists (it will take the
#     lock), except on sched.lock.  Otherwise wake the top of the stack -- or, on the 1-in-16
#     draw, the M at the bottom (the oldest sleeper).  A woken M retries from the start.
#
# Time model:
#   * The holder's critical section is one micro-step: it runs at the cycle the lock is granted
#     and declares when it ends (lock_release(L, end)); the lock stays held until then.
#   * If any M spins or sleeps on the lock, the unlock is an event at `end` (EV_UNLOCK,
#     lock_unlock_event), so that its decisions see the waiters of that moment.  There the
#     first M (in spin order) still spinning takes the lock after a hand-off latency (the line
#     moving to its core plus its CAS, CostModel.lock_handoff), and unlock2Wake picks whom to
#     wake.
#   * A woken M runs CostModel.futex_wake after the release and retries; the lock is free in
#     the meantime, so a newcomer may barge in, as on the real mutex.
#   * A spinner whose window ends before the release goes to sleep then (an event at
#     m.lock_spin_end, superseded through ev_gen if the lock is handed to it first).
#
#   free:     pending == -1 and busy_until <= now
#   held:     busy_until == INT64_MAX (critical section running, or being handed to `pending`)
#   M.lock_retry: 0 first attempt, 1 woken from the stack (keeps lock_req), 2 spinning (the
#   M's event is the end of its spin window; keeps lock_req)

cdef enum:
    LOCK_SPIN_WINDOW = 2000        # cycles of lock2's spin: 4 x procyield(30) + osyield
    MUTEX_TAIL_WAKE_PERIOD = 16    # lock_spinbit.go mutexTailWakePeriod


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
    L.spinner = -1
    L.spinhead = -1
    L.spintail = -1
    L.sleeps = 0
    L.wakes = 0
    L.tail_wakes = 0
    L.spin_acquires = 0
    L.unlock_ev = 0


cdef inline bint mutex_prefer_low_latency(State *s, Lock *L) noexcept nogil:
    # lock_spinbit.go mutexPreferLowLatency: only sched.lock
    return L == &s.schedlock


cdef inline void spin_append(State *s, Lock *L, int32_t mi) noexcept nogil:
    s.allm[mi].schedlink = -1
    if L.spintail == -1:
        L.spinhead = mi
    else:
        s.allm[L.spintail].schedlink = mi
    L.spintail = mi


cdef inline void spin_remove(State *s, Lock *L, int32_t mi) noexcept nogil:
    cdef int32_t prev = -1, x = L.spinhead
    while x != -1 and x != mi:
        prev = x
        x = s.allm[x].schedlink
    if x == -1:
        return
    if prev == -1:
        L.spinhead = s.allm[mi].schedlink
    else:
        s.allm[prev].schedlink = s.allm[mi].schedlink
    if L.spintail == mi:
        L.spintail = prev
    s.allm[mi].schedlink = -1
    if L.spinner == mi:
        L.spinner = -1                 # retire the spin bit (it takes the lock or sleeps)


cdef inline void sleep_push(State *s, Lock *L, M *mp, int32_t mi) noexcept nogil:
    # lock2: "Store the current head of the list of sleeping Ms in our mWaitList.next", CAS
    # ourselves in as the new head, semasleep(-1)
    mp.state_after_lock = mp.state
    mp.state = MS_LOCKWAIT
    mp.schedlink = L.waithead
    L.waithead = mi
    L.sleeps += 1


cdef inline void lock_watch(State *s, Lock *L) noexcept nogil:
    # an M waits on L: make the unlock at busy_until an event (once)
    cdef int32_t lid
    if L.unlock_ev or L.busy_until == INT64_MAX:
        return                            # already watched, or a holder will call lock_release
    lid = 0 if L == &s.schedlock else <int32_t> (L - s.locks)
    heap_push(s, L.busy_until, EV_UNLOCK, lid)
    L.unlock_ev = 1


cdef int64_t lock_acquire(State *s, Lock *L, int32_t mi) noexcept nogil:
    # lock2.  Returns the cycles until the M's critical-section step (its state is already set
    # to it), or -1 if the M must wait: the unlock (or its own spin-end event) schedules it.
    cdef M *mp = &s.allm[mi]
    cdef int32_t phase = mp.lock_retry
    cdef bint spin = False
    line_access(s, mp.core, L.line, ACC_RMW)     # the Xchg8/CAS on the lock word
    if phase == 2:
        spin_remove(s, L, mi)                    # the spin window is over
    elif phase == 0:
        mp.lock_req = s.now
    if L.pending == -1 and L.busy_until <= s.now:
        L.busy_until = INT64_MAX
        L.holder = mi
        L.grant_time = s.now
        L.acquisitions += 1
        mp.lock_attail = 0
        if phase:
            acc_add(s, &L.wait_cycles, s.now - mp.lock_req, OVF_LOCK_WAIT)
            mp.lock_retry = 0
        return s.cost.lock
    if phase == 0:
        L.contended += 1
    if phase != 2:
        # lock2's loop: take the spin bit if nobody has it; spin if we have it, if woken from
        # the bottom of the stack (atTail), or on sched.lock (mutexPreferLowLatency)
        if L.spinner == -1:
            L.spinner = mi
            spin = True
        elif mp.lock_attail or mutex_prefer_low_latency(s, L):
            spin = True
        mp.lock_attail = 0
    lock_watch(s, L)
    if spin:
        # spin on the lock word until lock_spin_end; the unlock hands the lock over if it comes
        # first (and supersedes this event)
        mp.lock_cont = mp.state
        mp.state = MS_LOCK
        mp.lock_retry = 2
        mp.lock_spin_end = s.now + LOCK_SPIN_WINDOW
        spin_append(s, L, mi)
        m_push(s, mp.lock_spin_end, mi)
        return -1
    # go to sleep on the stack of sleeping Ms (a woken M that lost pushes itself again)
    mp.lock_retry = 1
    sleep_push(s, L, mp, mi)
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


cdef void unlock2_wake(State *s, Lock *L, int64_t end, bint spinning) noexcept nogil:
    # lock_spinbit.go unlock2Wake, with sleepers on the stack
    cdef bint anti_starve = cheaprandn(s, MUTEX_TAIL_WAKE_PERIOD) == 0
    cdef bint low = mutex_prefer_low_latency(s, L)
    cdef int32_t head = L.waithead, w = -1, prev = -1
    cdef M *wp
    if not (anti_starve or not spinning or low):
        return                          # a spinner will take the lock: no wake
    if not spinning or low:
        w = head
    if anti_starve:
        # wake the M at the bottom of the stack (O(N), as in Go)
        w = head
        while s.allm[w].schedlink != -1:
            prev = w
            w = s.allm[w].schedlink
    wp = &s.allm[w]
    if prev == -1:
        L.waithead = wp.schedlink
    else:
        s.allm[prev].schedlink = wp.schedlink
        L.tail_wakes += 1
    wp.lock_attail = wp.schedlink == -1  # lock2: "atTail = gp.m.mWaitList.next == 0"
    wp.schedlink = -1
    wp.lock_cont = wp.state_after_lock   # (wp.lock_id still names this lock)
    wp.state = MS_LOCK
    wp.lock_retry = 1
    L.wakes += 1
    m_push(s, end + s.cost.futex_wake, w)


cdef void lock_release(State *s, Lock *L, int64_t end) noexcept nogil:
    # unlock2: the holder's critical section ends at `end` (>= now).  With Ms waiting, the
    # release is an event at `end` (lock_unlock_event); later arrivals add it (lock_watch).
    acc_add(s, &L.hold_cycles, end - L.grant_time, OVF_LOCK_HOLD)
    L.holder = -1
    L.busy_until = end
    if L.waithead != -1 or L.spinhead != -1:
        lock_watch(s, L)


cdef void lock_unlock_event(State *s, int32_t lid) noexcept nogil:
    # EV_UNLOCK: unlock2 at busy_until, with the lock's waiters of this moment
    cdef Lock *L = &s.schedlock if lid == 0 else &s.locks[lid]
    cdef int32_t w
    cdef M *wp
    cdef bint spinning, free
    L.unlock_ev = 0
    if L.busy_until != INT64_MAX and L.busy_until > s.now:
        lock_watch(s, L)                 # (a newer release, later: watch that one)
        return
    # a newcomer may have taken the lock at this very cycle, before this event (barging)
    free = L.pending == -1 and L.busy_until <= s.now
    # the first M still spinning sees the lock free and takes it
    w = L.spinhead
    while w != -1 and s.allm[w].lock_spin_end < s.now:
        w = s.allm[w].schedlink
    # mutexSpinning as unlock2Wake reads it
    spinning = L.spinner != -1 and s.allm[L.spinner].lock_spin_end >= s.now
    if L.waithead != -1:
        unlock2_wake(s, L, s.now, spinning)
    if w == -1 or not free:
        return
    spin_remove(s, L, w)
    wp = &s.allm[w]
    wp.state = wp.lock_cont             # its critical-section step (lock_granted)
    wp.ev_gen += 1                      # its spin-end event is superseded
    L.pending = w
    L.busy_until = INT64_MAX
    L.spin_acquires += 1
    m_push(s, s.now + s.cost.lock_handoff, w)
