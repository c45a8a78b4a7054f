# Timers (time.Sleep) on per-P heaps, run by findRunnable's checkTimers (step 1), stolen with
# work on stealWork's last pass, and -- when every M would sleep -- by the one M blocked in
# netpoll until the earliest timer (findRunnable step 16: pollUntil).

cdef enum:
    TIMER_HEAP_N = 4     # time.go timerHeapN: the timer heap is 4-ary


cdef int timer_add(State *s, int32_t pi, int64_t when, int32_t gi) noexcept nogil:
    # time.go timers.addHeap: append, then siftUp with timerHeapN = 4 children per node.  The
    # order is timerWhen.less: `when` only (the per-timer rand breaks ties for fake-time timers
    # only; a real-time timer's rand is 0), so an equal-`when` timer stays below its parent.
    cdef int32_t n = s.ntimers[pi], i, parent, cap
    cdef int64_t *tw
    cdef int32_t *tg
    if n == s.timers_cap[pi]:
        cap = 2 * n if n > 0 else 16
        tw = <int64_t *> realloc(s.timer_when[pi], cap * sizeof(int64_t))
        if tw == NULL:
            return -1
        s.timer_when[pi] = tw
        tg = <int32_t *> realloc(s.timer_g[pi], cap * sizeof(int32_t))
        if tg == NULL:
            return -1
        s.timer_g[pi] = tg
        s.timers_cap[pi] = cap
    tw = s.timer_when[pi]
    tg = s.timer_g[pi]
    i = n
    s.ntimers[pi] = n + 1
    s.ntimers_all += 1
    while i > 0:
        parent = (i - 1) // TIMER_HEAP_N                   # time.go siftUp
        if not (when < tw[parent]):
            break
        tw[i] = tw[parent]
        tg[i] = tg[parent]
        i = parent
    tw[i] = when
    tg[i] = gi
    return 0


cdef int32_t timer_pop(State *s, int32_t pi) noexcept nogil:
    # time.go timers.deleteMin: the last timer moves to the root, then siftDown: at each level
    # the first of the (up to 4) children strictly earlier than the moving timer's running
    # minimum takes its place.  Returns the earliest timer's G.
    cdef int64_t *tw = s.timer_when[pi]
    cdef int32_t *tg = s.timer_g[pi]
    cdef int32_t n = s.ntimers[pi] - 1, i = 0, j, c, left, end, top = tg[0]
    cdef int64_t lw = tw[n], w
    cdef int32_t lg = tg[n]
    s.ntimers[pi] = n
    s.ntimers_all -= 1
    if n == 0:
        return top
    while True:
        left = i * TIMER_HEAP_N + 1
        if left >= n:
            break
        end = left + TIMER_HEAP_N if left + TIMER_HEAP_N < n else n
        w = lw
        c = -1
        for j in range(left, end):
            if tw[j] < w:
                w = tw[j]
                c = j
        if c < 0:
            break
        tw[i] = tw[c]
        tg[i] = tg[c]
        i = c
    tw[i] = lw
    tg[i] = lg
    return top


cdef inline bint timers_due(State *s, int32_t pi) noexcept nogil:
    return s.ntimers[pi] > 0 and s.timer_when[pi][0] <= s.now


cdef int64_t next_timer(State *s) noexcept nogil:
    # pollUntil: the earliest timer of any P (0: none)
    cdef int32_t pi
    cdef int64_t best = 0
    if s.ntimers_all == 0:
        return 0                 # no timer anywhere (become_poller asks at every stopm)
    for pi in range(s.nprocs):
        if s.ntimers[pi] > 0 and (best == 0 or s.timer_when[pi][0] < best):
            best = s.timer_when[pi][0]
    return best


cdef int32_t run_due_timers(State *s, M *mp, int32_t pi) noexcept nogil:
    # p.timers.run: every expired timer of P pi fires goready (onto the *current* P)
    cdef int32_t k = 0, gi
    cdef int64_t when
    while timers_due(s, pi):
        when = s.timer_when[pi][0]
        gi = timer_pop(s, pi)
        if gi < 0:
            # a select's timeout (entered as ~gi): fires only if that select still waits
            gi = ~gi
            if not sel_timeout(s, gi, when):
                continue
        goready1(s, mp, gi)
        k += 1
    return k


cdef int64_t run_timers(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_TIMERS (checkTimers at the top of findRunnable), then findRunnable continues
    cdef int32_t k = run_due_timers(s, mp, mp.p)
    ret_push(mp, MS_FR_TOP)
    mp.state = MS_AFTERPUT
    return k * s.cost.ready


cdef inline bint timer_wake(State *s, int32_t pi, int64_t when) noexcept nogil:
    # time.go timer.maybeAdd, before addHeap: "wake = wakeTime == 0 || when < wakeTime" -- the
    # new timer is the earliest of its P's heap
    return s.ntimers[pi] == 0 or when < s.timer_when[pi][0]


cdef bint wake_netpoller(State *s, int64_t when) noexcept nogil:
    # proc.go wakeNetPoller(when), called by maybeAdd when `wake`: if an M is blocked in
    # netpoll (sched.lastpoll == 0), netpollBreak it when it would sleep past `when`;
    # otherwise wakep() "so it can handle new timers".  Returns True when the caller must run
    # wakep (through MS_AFTERPUT, after its gopark, as park_m runs the unlockf before
    # schedule).
    s.c.wake_netpoller += 1
    if s.poller != -1:
        if s.poll_until == 0 or s.poll_until > when:
            poller_rearm(s, when)
        return False
    return True


cdef int64_t sleep_park(State *s, M *mp, int32_t mi, int64_t d) noexcept nogil:
    # time.go timeSleep: gopark("sleep") with resetForSleep, which adds the timer to this P
    # (timer.modify -> maybeAdd) and calls wakeNetPoller when it is this P's earliest
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int64_t when = s.now + d
    cdef bint wake = timer_wake(s, mp.p, when)
    if timer_add(s, mp.p, when, gi) != 0:
        fail(s, ERR_NOMEM, 8)
        return -1
    gopark(s, mp, gp, waitReasonSleep, -1)
    if wake and wake_netpoller(s, when):
        ret_push(mp, MS_SCHEDULE)
        mp.state = MS_AFTERPUT             # wakep, then schedule
    return s.cost.park


cdef void poller_rearm(State *s, int64_t when) noexcept nogil:
    # netpollBreak: the blocked poller returns and sleeps again until `when`
    cdef M *pm = &s.allm[s.poller]
    s.poll_until = when
    pm.idle_since = when if when > s.now else s.now   # (the wake-up this event stands for)
    pm.ev_gen += 1                                    # the earlier wake-up is superseded
    m_push(s, pm.idle_since, s.poller)


cdef bint become_poller(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 16: with timers pending and nobody polling, block in netpoll until the
    # earliest one instead of stopm
    cdef int64_t until
    if s.poller != -1 or s.gcwaiting:
        return False
    until = next_timer(s)
    if s.ntimers[s.netpoll_hp] > 0 and (until == 0 or s.timer_when[s.netpoll_hp][0] < until):
        until = s.timer_when[s.netpoll_hp][0]       # a descriptor becomes ready first
    if until == 0:
        return False
    if until <= s.now and s.sched.npidle == 0 and not (g_test_flags & 1):
        # the timer is already due and every P is busy: Go's netpoll(0) returns at once,
        # pidleget finds no P and the M stopm()s (proc.go findRunnable, after `netpoll(delay)`);
        # the timer runs at its P's next checkTimers.  Polling again here would loop at this
        # instant (a livelock with CostModel.zero(), a busy loop of lock costs otherwise)
        return False
    s.poller = mi
    s.poll_until = until
    mp.state = MS_POLL_WAKE
    mp.idle_since = until if until > s.now else s.now
    m_push(s, mp.idle_since, mi)
    return True


cdef int64_t poll_wake(State *s, M *mp, int32_t mi) noexcept nogil:
    # netpoll returned (timer due): take an idle P and look for work from the top
    if s.now != mp.idle_since or s.poller != mi:
        return -1                                    # a stale wake-up (re-armed since)
    s.poller = -1
    s.poll_until = 0
    return take_lock(s, mp, mi, MS_POLL_LOCKED)
