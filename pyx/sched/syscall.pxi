# System calls, in the current Go model (Go 1.26 line, proc.go reentersyscall, exitsyscall,
# exitsyscallTryGetP, exitsyscallNoP, retake, handoffp):
#
#   * entersyscall: the G goes _Gsyscall; the P stays attached to the M (and _Prunning).  The M
#     is in the kernel for the call's duration: its P's run queue is served only by thieves.
#   * sysmon's retake takes the P from an M whose G has been in the same syscall for a whole
#     sysmon tick (the P's syscalltick unchanged since the last look), if the P has work, or
#     nobody is spinning and no P is idle, or the call has lasted 10 ms; handoffp then gives the
#     P to another M (an idle one, or a new thread) or puts it on the idle list.
#   * exitsyscall: fast path if the M still has its P.  Otherwise it tries to take its old P
#     back (if another M now holds it while in a syscall), then an idle P, under sched.lock;
#     with none, exitsyscallNoP puts the G on the global queue tail and the M stops.

cdef int64_t entersyscall(State *s, M *mp, int32_t mi, int64_t d) noexcept nogil:
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    acc_g(s, mp, gi, ACC_WRITE)                       # casgstatus(_Grunning, _Gsyscall)
    gp.status = _Gsyscall
    gp.runnable_since = s.now                         # (since when, for goroutine reports)
    mp.oldp = mp.p
    mp.syscalltick = s.allp[mp.p].syscalltick
    s.c.syscalls += 1
    trace_ev(s, TE_SYSCALL, gp.goid, 0, mp.p, mi, 0)
    if s.sysmonwait:
        sysmon_wake(s)                                # "if sched.sysmonwait: wake sysmon"
    mp.state = MS_EXITSYSCALL
    if s.gcwaiting:
        entersyscall_gcwait(s, mp, mi)                # the stopper is waiting for this P
    s.cpu_sleep = 1                                   # blocked in the kernel: off its core
    return s.cost.entersyscall + d


cdef int64_t exitsyscall(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t gi = mp.curg, oldp = mp.oldp
    cdef G *gp = getg(s, gi)
    cdef P *op
    cdef M *om
    acc_g(s, mp, gi, ACC_WRITE)                       # casgstatus(_Gsyscall, _Grunning)
    gp.status = _Grunning
    mp.oldp = -1
    trace_ev(s, TE_SYSCALL_END, gp.goid, 0, mp.p, mi, 0 if mp.p >= 0 else 1)
    if mp.p >= 0:
        s.allp[mp.p].syscalltick += 1                 # fast path: the P stayed
        s.c.syscall_fast += 1
        mp.state = MS_RUN
        return s.cost.exitsyscall
    if oldp >= 0 and not s.gcwaiting:
        # exitsyscallTryGetP: setBlockOnExitSyscall(oldp) succeeds if the M now holding the
        # old P is itself in a syscall -- take it back
        op = &s.allp[oldp]
        if op.status == _Prunning and op.m >= 0 and op.m != mi:
            om = &s.allm[op.m]
            if om.curg >= 0 and getg(s, om.curg).status == _Gsyscall:
                takep(s, op.m)
                acquirep(s, mi, oldp)
                s.c.syscall_reacquire += 1
                mp.state = MS_RUN
                return s.cost.exitsyscall
    return take_lock(s, mp, mi, MS_EXITSYSCALL_LOCKED)


cdef int64_t exitsyscall_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # under sched.lock: an idle P, else exitsyscallNoP
    cdef int32_t pi = -1, gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    if not s.gcwaiting:
        pi = pidleget(s, mp)
    if pi != -1:
        acquirep(s, mi, pi)
        s.c.syscall_reacquire += 1
        if s.sysmonwait:
            sysmon_wake(s)                            # exitsyscallTryGetP took an idle P
        mp.state = MS_RUN
        return unlock(s, mp, s.cost.lock) + s.cost.exitsyscall
    # exitsyscallNoP: _Grunnable, dropg, globrunqput (the tail), unlock, stopm
    acc_g(s, mp, gi, ACC_WRITE)
    gp.status = _Grunnable
    runnable_delta(s, 1)                 # (core/observe.pxi)
    gp.runnable_since = s.now
    gp.m = -1
    mp.curg = -1
    globrunqputbatch(s, mp, gi, gi, 1)
    s.c.syscall_nop += 1
    cost = unlock(s, mp, s.cost.globrunq + s.cost.globrunq_per_g)
    if mp.lockedg >= 0:
        mp.state = MS_SCHEDULE                        # a locked G: stoplockedm (lockos.pxi)
        return cost
    return lock_after(mp, MS_STOPM_LOCKED, cost)


cdef void start_idle(State *s, M *mp, int32_t n, int64_t when) noexcept nogil:
    # startIdle(n) (injectglist): start an M on an idle P for each of n injected Gs, while
    # there are idle Ps.  sched.lock is held by the caller.
    cdef int32_t pi
    while n > 0:
        pi = pidlegetSpinning(s, mp)
        if pi == -1:
            break
        startm_wake(s, mp, pi, 0, when)
        n -= 1


cdef void handoffp(State *s, M *mp, int32_t pi) noexcept nogil:
    # func handoffp: a P released from a syscall gets an M if findRunnable would find work for
    # it, else goes idle.  (Run from sysmon: sched.lock is taken but not modelled.)
    cdef P *pp = &s.allp[pi]
    if not runqempty(s, pp) or s.sched.runqsize > 0:
        s.c.handoff_startm += 1
        startm_wake(s, mp, pi, 0, s.now)
        return
    if s.sched.nmspinning + s.sched.npidle == 0:
        # no spinning M and no idle P: this P's new M becomes the spinner
        s.sched.nmspinning += 1
        s.sched.needspinning = 0
        s.c.handoff_startm += 1
        startm_wake(s, mp, pi, 1, s.now)
        return
    if s.gcwaiting:
        gcstop_p(s, pi)
        return
    if s.sched.npidle == s.sched.gomaxprocs - 1 and s.poller == -1:
        # the last running P and nobody polls the network: keep an M on it
        s.c.handoff_startm += 1
        startm_wake(s, mp, pi, 0, s.now)
        return
    pidleput(s, mp, pi)
    if s.ntimers[pi] > 0:
        # wakeNetPoller(when): re-arm the blocked poller, or start a spinner to run the timer
        if s.poller != -1:
            if s.timer_when[pi][0] < s.poll_until:
                poller_rearm(s, s.timer_when[pi][0])
        elif s.sched.nmspinning == 0:
            pi = pidleget(s, mp)
            s.sched.nmspinning += 1
            startm_wake(s, mp, pi, 1, s.now)


cdef int32_t retake_syscall(State *s, P *pp, bint sysretake) noexcept nogil:
    # retake's syscall half for one _Prunning P; returns 1 if the P was taken
    cdef M *mp
    cdef uint32_t t
    if pp.m < 0:
        return 0
    mp = &s.allm[pp.m]
    if mp.curg < 0 or getg(s, mp.curg).status != _Gsyscall:
        return 0
    t = pp.syscalltick
    if not sysretake and pp.sysmon_syscalltick != t:
        pp.sysmon_syscalltick = t                     # seen for the first time
        pp.sysmon_syscallwhen = s.now
        return 0
    # "we don't want to retake Ps if there is no other work to do, but we want to retake
    # them eventually": local work, or no spinning M and no idle P, or 10 ms in the syscall
    if (runqempty(s, pp) and s.sched.nmspinning + s.sched.npidle > 0
            and pp.sysmon_syscallwhen + s.sysmon_max > s.now):
        return 0
    takep(s, pp.m)                                    # takeP: pp.m = 0; mp.p = 0; _Pidle
    s.c.syscall_retakes += 1
    handoffp(s, &s.allm[s.sysmon_m], pp.id)
    return 1
