# runtime.LockOSThread / UnlockOSThread (runtime/proc.go) and entersyscallblock.
#
# A locked G runs only on its M, and that M runs nothing else:
#   * LockOSThread (dolockOSThread): m.lockedg = g, g.lockedm = m, m.lockedExt++.
#     UnlockOSThread: m.lockedExt-- (no-op at 0); at 0 both links are cleared.
#   * schedule(): an M whose locked G stopped running (parked, yielded, preempted) calls
#     stoplockedm: handoffp(releasep()) -- its P goes to another M or idle -- then sleeps on
#     m.park until the G is scheduled again; then acquirep(m.nextp) and execute(lockedg).
#   * schedule(), after findRunnable: a G with g.lockedm != this M is not run here:
#     startlockedm(gp) hands this M's P to the locked M (m.nextp, notewakeup(&m.park)) and this
#     M stops (stopm), then looks for work again when started.
#   * goexit0 of a G still locked: the thread exits (mexit: handoffp(releasep())), rather than
#     go back to the pool in the unusual state the G may have left it in.
#   * exitsyscall0 with no P for a locked G: the G goes to the global queue and its M sleeps
#     in stoplockedm (not stopm) until someone schedules the G.
# m.park is a note: a notewakeup before the notesleep makes the sleep return at once
# (M.lockedwake: 0 clear, 1 woken early, 2 the M sleeps on it).
#
# entersyscallblock (proc.go): a system call known to block -- the P is handed off at once
# (handoffp(releasep())) instead of waiting for sysmon's retake; exitsyscall then finds no P
# of its own (m.oldp is not set) and takes an idle one or queues the G globally.

cdef enum:
    LOCKED_NOTE_CLEAR = 0
    LOCKED_NOTE_WOKEN = 1
    LOCKED_NOTE_SLEEPING = 2


cdef int gsync_alloc(State *s) except -1:
    # the per-G side table (Cond tickets, g.lockedm), by G index; grown by allocg
    cdef int32_t i
    s.gsync_cap = 1024
    s.gsync = <GSync *> malloc(s.gsync_cap * sizeof(GSync))
    if s.gsync == NULL:
        raise MemoryError("gmpcore: cannot allocate the engine state")
    for i in range(s.gsync_cap):
        s.gsync[i].ticket = 0
        s.gsync[i].lockedm = -1
    return 0


cdef int gsync_grow(State *s, int32_t i) noexcept nogil:
    # allocg: G slot i needs its side-table entry
    cdef GSync *t
    cdef int32_t j
    if s.gsync_cap == 0 or i < s.gsync_cap:
        return 0
    t = <GSync *> realloc(s.gsync, 2 * s.gsync_cap * sizeof(GSync))
    if t == NULL:
        return -1
    for j in range(s.gsync_cap, 2 * s.gsync_cap):
        t[j].ticket = 0
        t[j].lockedm = -1
    s.gsync = t
    s.gsync_cap *= 2
    return 0


cdef int64_t lock_os_thread(State *s, M *mp, int32_t mi) noexcept nogil:
    # LockOSThread -> dolockOSThread
    cdef int32_t gi = mp.curg
    getg(s, gi).pc += 1
    mp.lockedExt += 1
    mp.lockedg = gi
    s.gsync[gi].lockedm = mi
    return s.cost.mark


cdef int64_t unlock_os_thread(State *s, M *mp, int32_t mi) noexcept nogil:
    # UnlockOSThread -> dounlockOSThread
    cdef int32_t gi = mp.curg
    getg(s, gi).pc += 1
    if mp.lockedExt == 0:
        return s.cost.mark                           # not locked: a no-op
    mp.lockedExt -= 1
    if mp.lockedExt == 0:
        mp.lockedg = -1
        s.gsync[gi].lockedm = -1
    return s.cost.mark


cdef int64_t schedule_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # schedule() of an M with m.lockedg set: mexit if the G exited locked, else stoplockedm
    cdef int32_t gi = mp.lockedg
    if getg(s, gi).status == _Gdead:
        # goexit0: "the goroutine may have locked this thread because it put it in an unusual
        # kernel state; kill it rather than returning it to the thread pool" -> mexit
        mp.lockedg = -1
        mp.lockedExt = 0
        s.gsync[gi].lockedm = -1
        s.lockedm_exits += 1
        if mp.p >= 0:
            handoffp(s, mp, releasep(s, mi))
        mp.state = MS_PARKED                         # the thread is gone: never woken again
        return -1
    if mp.p >= 0:
        handoffp(s, mp, releasep(s, mi))             # stoplockedm: schedule another M on the P
    mp.state = MS_LOCKEDM_WAKE
    if mp.lockedwake == LOCKED_NOTE_WOKEN:
        return s.cost.futex_wake                     # notesleep returns at once
    mp.lockedwake = LOCKED_NOTE_SLEEPING             # mPark
    mp.idle_since = s.now
    return -1


cdef int64_t lockedm_wake(State *s, M *mp, int32_t mi) noexcept nogil:
    # stoplockedm's end: acquirep(m.nextp), then schedule's execute(m.lockedg, false)
    if s.now > mp.idle_since and mp.lockedwake == LOCKED_NOTE_SLEEPING:
        acc_add(s, &s.c.idle_cycles, s.now - mp.idle_since, OVF_IDLE)
    mp.lockedwake = LOCKED_NOTE_CLEAR
    acquirep(s, mi, mp.nextp)
    mp.nextp = -1
    mp.arg = mp.lockedg
    mp.arg2 = 0
    return execute(s, mp, mi)


cdef int64_t startlockedm(State *s, M *mp, int32_t mi, int32_t gi) noexcept nogil:
    # schedule found gp locked to another M: hand it our P, wake it, stopm
    cdef int32_t lmi = s.gsync[gi].lockedm
    cdef M *lm = &s.allm[lmi]
    lm.nextp = releasep(s, mi)
    mp.arg = -1
    s.lockedm_handoffs += 1
    if lm.lockedwake == LOCKED_NOTE_SLEEPING:
        m_push(s, s.now + s.cost.futex_wake, lmi)    # notewakeup(&mp.park)
    else:
        lm.lockedwake = LOCKED_NOTE_WOKEN            # it has not reached its notesleep yet
    return lock_after(mp, MS_STOPM_LOCKED, s.cost.wakep)


cdef int64_t entersyscallblock(State *s, M *mp, int32_t mi, int64_t d) noexcept nogil:
    # entersyscallblock: _Gsyscall, then entersyscallblock_handoff: handoffp(releasep())
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    acc_g(s, mp, gi, ACC_WRITE)
    s.allp[mp.p].syscalltick += 1
    gp.status = _Gsyscall
    gp.runnable_since = s.now
    mp.oldp = -1                                      # (entersyscallblock keeps no oldp)
    s.c.syscalls += 1
    s.syscall_block += 1
    trace_ev(s, TE_SYSCALL, gp.goid, 0, mp.p, mi, 0)
    handoffp(s, mp, releasep(s, mi))
    mp.state = MS_EXITSYSCALL
    return s.cost.entersyscall + d
