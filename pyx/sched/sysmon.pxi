# sysmon (runtime/proc.go func sysmon, func retake, func preemptone): a thread without a P that
# wakes every 20 us, backing off (doubling after 50 fruitless ticks) to 10 ms, and preempts any
# G that has held its P for a whole time slice (forcePreemptNS = 10 ms) without a schedtick
# change.  Preemption is asynchronous: the signal interrupts the G's compute step after
# CostModel.preempt_signal cycles, and gopreempt_m puts the G on the global queue tail with the
# rest of its compute still to do.  retake (sched/syscall.pxi) also takes Ps from long system
# calls.  When every P is idle (or the world is stopping), sysmon sleeps deeply -- until the
# next timer, at most forcegcperiod/2 -- and is woken early by entersyscall, by exitsyscall
# taking an idle P, or by startTheWorld, which reset its back-off (`if syscallWake { idle = 0;
# delay = 20 }`).  (Go skips the deep sleep under GODEBUG=schedtrace; the emulator always
# sleeps.)

cdef inline void sysmon_push(State *s, int64_t when) noexcept nogil:
    heap_push(s, when, EV_SYSMON, s.sysmon_gen)
    s.bg_events += 1


cdef void sysmon_wake(State *s) noexcept nogil:
    # notewakeup(&sched.sysmonnote): the deep sleep ends now; the iteration goes on with a
    # reset back-off
    if not s.sysmonwait:
        return
    s.sysmonwait = 0
    s.sysmon_gen += 1                            # the sleeping tick is superseded
    s.sysmon_idle = 0
    s.sysmon_delay = s.sysmon_min
    s.sysmon_resume = 1
    sysmon_push(s, s.now + s.cost.futex_wake)


cdef void sysmon_tick(State *s) noexcept nogil:
    cdef int32_t pi, retaken = 0
    cdef bint sysretake
    cdef P *pp
    cdef int64_t next_t, sleep
    if s.sysmonwait:
        s.sysmonwait = 0                         # slept until the timer: no syscallWake
        s.sysmon_resume = 1
    if not s.sysmon_resume and (s.gcwaiting or s.sched.npidle == s.sched.gomaxprocs):
        # deep sleep until the next timer (timeSleepUntil), at most forcegcperiod / 2
        next_t = next_timer(s)
        if next_t == 0 or next_t > s.now:
            sleep = 6000 * s.sysmon_max          # forcegcperiod / 2 = 60 s (sysmon_max: 10 ms)
            if next_t != 0 and next_t - s.now < sleep:
                sleep = next_t - s.now
            s.sysmonwait = 1
            if s.heap_n > s.bg_events:
                sysmon_push(s, s.now + sleep)
            return
    s.sysmon_resume = 0
    s.c.sysmon_ticks += 1
    if s.netpoll_waiters > 0:
        sysmon_netpoll(s)
    for pi in range(s.sched.gomaxprocs):
        if s.gcwaiting:
            break                                # (sysmon sleeps while the world stops)
        pp = &s.allp[pi]
        if pp.status != _Prunning:
            continue
        sysretake = False
        if pp.sysmon_schedtick != pp.schedtick:
            pp.sysmon_schedtick = pp.schedtick
            pp.sysmon_schedwhen = s.now
        elif pp.sysmon_schedwhen + s.time_slice <= s.now:
            preemptone(s, pp)
            sysretake = True
        retaken += retake_syscall(s, pp, sysretake)
    # if idle == 0: delay = 20us; elif idle > 50: delay *= 2; delay = min(delay, 10ms)
    if retaken:
        s.sysmon_idle = 0
    else:
        s.sysmon_idle += 1
    if s.sysmon_idle == 0:
        s.sysmon_delay = s.sysmon_min
    elif s.sysmon_idle > 50:
        s.sysmon_delay *= 2
    if s.sysmon_delay > s.sysmon_max:
        s.sysmon_delay = s.sysmon_max
    if s.heap_n > s.bg_events:                   # only while something else can happen
        sysmon_push(s, s.now + s.sysmon_delay)


cdef void preemptone(State *s, P *pp) noexcept nogil:
    cdef M *mp
    cdef G *gp
    cdef int64_t t
    if pp.m < 0:
        return
    mp = &s.allm[pp.m]
    if mp.curg < 0 or mp.state == MS_PREEMPT or getg(s, mp.curg).status != _Grunning:
        return                                   # (TIP: not a G in a syscall)
    gp = getg(s, mp.curg)
    t = s.now + s.cost.preempt_signal
    if mp.in_compute and t < mp.compute_end:
        # async preemption (preemptM): the signal lands mid-compute; the M's pending event
        # (the end of the compute) is superseded
        g_wait_set(s, mp.curg, mp.compute_end - t)   # the compute left to do
        s.pstats[pp.id].busy_cycles -= mp.compute_end - t
        mp.ev_gen += 1
        mp.state = MS_PREEMPT
        m_push(s, t, pp.m)
    else:
        gp.flags |= G_FLAG_PREEMPT                 # preempt at the next safe point


cdef int64_t gopreempt(State *s, M *mp, int32_t mi) noexcept nogil:
    # gopreempt_m -> goschedImpl(preempted=true): _Grunnable, global queue tail, schedule
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    if gp.flags & G_FLAG_PREEMPT:
        gp.flags &= ~G_FLAG_PREEMPT
    elif g_wait(s, gi) > 0:
        gp.flags |= G_FLAG_RESUME
    s.c.preemptions += 1
    gstop(s, mp, gi, 3)
    if s.gcwaiting:
        runqput(s, mp, &s.allp[mp.p], gi, PUT_READY)   # TIP: runnext, to resume after the STW
    else:
        gbatch_add(s, mp, gi)
    ret_push(mp, MS_SCHEDULE)
    mp.state = MS_AFTERPUT
    return s.cost.gosched
