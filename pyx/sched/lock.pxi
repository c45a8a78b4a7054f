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
#   * Spinning Ms wait without events, in the order they started (so in the order their spins
#     end, m.lock_spin_end).  A spinner whose spin ends before an unlock went to sleep at its
#     spin's end: the next unlock moves it onto the stack (lock_expire), which is kept in the
#     order the Ms went to sleep (m.lock_spin_end holds that cycle for a sleeper).
#   * At lock_release, the first spinner whose spin lasts until `end` is lined up: it takes the
#     lock after a hand-off latency (the line moving to its core plus its CAS,
#     CostModel.lock_handoff).  With Ms asleep, unlock2Wake's decisions are an event at `end`
#     (EV_UNLOCK, lock_unlock_event), so that they see the waiters of that moment.
#   * A woken M runs CostModel.futex_wake after the unlock and retries; the lock is free in
#     the meantime, so a newcomer may barge in, as on the real mutex.
#
#   free:     pending == -1 and busy_until <= now
#   held:     busy_until == INT64_MAX (critical section running), busy_until > now (declared
#             unlock), or pending != -1 (being handed to `pending`)
#   M.lock_retry: 0 first attempt, 1 woken from the stack, 2 spinning; 1 and 2 keep lock_req

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


cdef inline bint spin_bit_held(State *s, Lock *L, int64_t t) noexcept nogil:
    # mutexSpinning at cycle t: its holder is still spinning (it clears the bit when it takes
    # the lock, lock_granted, or goes to sleep at lock_spin_end)
    return L.spinner != -1 and s.allm[L.spinner].lock_spin_end >= t


cdef inline void sleep_insert(State *s, Lock *L, int32_t mi) noexcept nogil:
    # lock2: push onto the stack of sleeping Ms; the stack is ordered by the cycle each M went
    # to sleep (m.lock_spin_end), the latest on top
    cdef M *mp = &s.allm[mi]
    cdef int32_t prev = -1, x = L.waithead
    while x != -1 and s.allm[x].lock_spin_end > mp.lock_spin_end:
        prev = x
        x = s.allm[x].schedlink
    mp.schedlink = x
    if prev == -1:
        L.waithead = mi
    else:
        s.allm[prev].schedlink = mi
    mp.lock_retry = 1
    L.sleeps += 1


cdef inline void lock_expire(State *s, Lock *L, int64_t t) noexcept nogil:
    # the spinners whose spin ends before cycle t are asleep by then (lock2: "Go to sleep",
    # retiring the spin bit)
    cdef int32_t x
    while L.spinhead != -1 and s.allm[L.spinhead].lock_spin_end < t:
        x = L.spinhead
        L.spinhead = s.allm[x].schedlink
        if L.spinhead == -1:
            L.spintail = -1
        if L.spinner == x:
            L.spinner = -1
        sleep_insert(s, L, x)


cdef inline void lock_watch(State *s, Lock *L, bint release=False) noexcept nogil:
    # make the unlock at busy_until an event (once): Ms wait on L (or, from lock_release, the
    # unlock being declared has waiters to decide about, even at this very cycle)
    cdef int32_t lid
    if (L.unlock_ev or L.busy_until == INT64_MAX or L.busy_until < s.now or
            (L.busy_until == s.now and not release)):
        # already watched; or a holder will call lock_release; or that unlock has happened
        # (with nobody to wake then: the next holder's unlock will see this M)
        return
    lid = 0 if L == &s.schedlock else <int32_t> (L - s.locks)
    heap_push(s, L.busy_until, EV_UNLOCK, lid)
    L.unlock_ev = 1


cdef int64_t lock_acquire(State *s, Lock *L, int32_t mi) noexcept nogil:
    # lock2.  Returns the cycles until the M's critical-section step (its state is already set
    # to it), or -1 if the M must wait: an unlock lines it up or wakes it.
    cdef M *mp = &s.allm[mi]
    cdef bint spin = False
    line_access(s, mp.core, L.line, ACC_RMW)     # the Xchg8/CAS on the lock word
    if not mp.lock_retry:
        mp.lock_req = s.now
    if L.pending == -1 and L.busy_until <= s.now:
        L.busy_until = INT64_MAX
        L.holder = mi
        L.grant_time = s.now
        L.acquisitions += 1
        mp.lock_attail = 0
        if mp.lock_retry:
            acc_add(s, &L.wait_cycles, s.now - mp.lock_req, OVF_LOCK_WAIT)
            mp.lock_retry = 0
        return s.cost.lock
    if not mp.lock_retry:
        L.contended += 1
    # lock2's loop: take the spin bit if nobody has it; spin if we have it, if woken from the
    # bottom of the stack (atTail), or on sched.lock (mutexPreferLowLatency)
    if not spin_bit_held(s, L, s.now):
        L.spinner = mi
        spin = True
    elif mp.lock_attail or mutex_prefer_low_latency(s, L):
        spin = True
    mp.lock_attail = 0
    mp.lock_spin_end = s.now + (LOCK_SPIN_WINDOW if spin else 0)
    mp.state_after_lock = mp.state
    if (spin and L.pending == -1 and L.spinhead == -1 and L.busy_until != INT64_MAX and
            L.busy_until <= mp.lock_spin_end):
        # the holder has declared its unlock, within our spin and with nobody spinning ahead
        # of us: that unlock will find us spinning and hand us the lock.  Line up for it now;
        # the unlock's wake decisions still run at busy_until if Ms sleep (lock_watch), with
        # this M counted as the spinner.
        L.pending = mi
        L.spin_acquires += 1
        if L.waithead != -1:
            lock_watch(s, L)
        mp.lock_retry = 2
        m_push(s, L.busy_until + s.cost.lock_handoff, mi)
        return -1
    mp.state = MS_LOCKWAIT
    if spin:
        # spin on the lock word (no event: an unlock lines us up, or lock_expire puts us to
        # sleep when our spin ends before one)
        mp.lock_retry = 2
        mp.schedlink = -1
        if L.spintail == -1:
            L.spinhead = mi
        else:
            s.allm[L.spintail].schedlink = mi
        L.spintail = mi
        if L.pending == -1:
            lock_watch(s, L)              # a declared unlock with nobody lined up: decide then
        return -1
    # go to sleep at once (a spinner exists); a woken M that lost pushes itself again
    lock_expire(s, L, s.now)              # (spinners that gave up earlier are below us)
    sleep_insert(s, L, mi)
    lock_watch(s, L)                      # the unlock decides whether to wake us
    return -1


cdef inline void lock_granted(State *s, Lock *L, int32_t mi) noexcept nogil:
    # first thing in every critical-section step: account the wait of a handed-off M
    if L.pending == mi:
        line_access(s, s.allm[mi].core, L.line, ACC_RMW)   # the waiter's winning CAS
        L.pending = -1
        L.busy_until = INT64_MAX
        if L.spinner == mi:
            L.spinner = -1                # its CAS clears mutexSpinning
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


cdef inline void lock_line_up(State *s, Lock *L, int64_t end) noexcept nogil:
    # the first spinner still spinning at `end` (spinners whose spin ended before went to
    # sleep: lock_expire) takes the lock then; it keeps the spin bit until its CAS
    cdef int32_t w
    cdef M *wp
    lock_expire(s, L, end)
    w = L.spinhead
    if w == -1:
        return
    wp = &s.allm[w]
    L.spinhead = wp.schedlink
    if L.spinhead == -1:
        L.spintail = -1
    wp.schedlink = -1
    wp.state = wp.state_after_lock      # its critical-section step (lock_granted)
    L.pending = w
    L.spin_acquires += 1
    m_push(s, end + s.cost.lock_handoff, w)


cdef void lock_release(State *s, Lock *L, int64_t end) noexcept nogil:
    # unlock2: the holder's critical section ends at `end` (>= now)
    acc_add(s, &L.hold_cycles, end - L.grant_time, OVF_LOCK_HOLD)
    L.holder = -1
    L.busy_until = end
    if L.spinhead != -1:
        lock_line_up(s, L, end)
    if L.waithead != -1:
        lock_watch(s, L, True)


cdef void lock_unlock_event(State *s, int32_t lid) noexcept nogil:
    # EV_UNLOCK: unlock2Wake at busy_until, with the lock's waiters of this moment
    cdef Lock *L = &s.schedlock if lid == 0 else &s.locks[lid]
    L.unlock_ev = 0
    if L.busy_until != INT64_MAX and L.busy_until > s.now:
        lock_watch(s, L, True)           # (a newer release, later: watch that one)
        return
    lock_expire(s, L, s.now)
    if L.pending == -1 and L.busy_until <= s.now and L.spinhead != -1:
        lock_line_up(s, L, s.now)        # a spinner that came after the unlock was declared
    if L.waithead != -1:
        unlock2_wake(s, L, s.now, spin_bit_held(s, L, s.now))
