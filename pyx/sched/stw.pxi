# Stop-the-world, GC pauses and GOMAXPROCS changes (proc.go stopTheWorldWithSema, gcstopm,
# startTheWorldWithSema, procresize).
#
# stw_begin: sched.gcwaiting = true, stopwait = gomaxprocs; the stopper's own P (if it has
# one), Ps of Ms in syscalls and idle Ps go to _Pgcstop at once; every running G is preempted
# (preemptall, retried every 100 us).  Each running M stops at its next safe point: the
# preempted G goes to its P's runnext (TIP goschedImpl while gcwaiting), schedule() ->
# findRunnable sees gcwaiting -> gcstopm (P to _Pgcstop, stopwait--, stopm).  The last one
# wakes the stopper.  The world stays stopped for the pause; start_the_world runs procresize
# (Ps with local work get an M, the others go idle), clears gcwaiting and wakes a spinner.
#
# Two stoppers: the GC controller (periodic GC cycles, or an allocation crossing the heap goal:
# a thread of its own, EV_GC events) and a goroutine calling runtime.GOMAXPROCS(n) (its M stops
# the world keeping its P; the G continues after procresize).

cdef enum:
    GCEV_CYCLE = 0           # EV_GC ids: start a GC cycle (periodic / heap goal)
    GCEV_RETRY = 1           #   re-preempt while the world is stopping (every 100 us)
    GCEV_START = 2           #   the pause is over: start the world
    GCEV_MARKDONE = 3        #   concurrent mark over: the mark-termination pause


cdef void gcstop_p(State *s, int32_t pi) noexcept nogil:
    # a P stops for the stopper (handoffp / entersyscall while gcwaiting)
    s.allp[pi].status = _Pgcstop
    s.stopwait -= 1
    if s.stopwait == 0:
        world_stopped(s)


cdef void entersyscall_gcwait(State *s, M *mp, int32_t mi) noexcept nogil:
    # entersyscallHandleGCWait: the syscalling M gives its P to the stopper
    cdef int32_t pi = mp.p
    if s.stopwait > 0:
        takep(s, mi)
        gcstop_p(s, pi)


cdef void preemptall(State *s) noexcept nogil:
    # preemptone on every running P but the stopper's own (preemptone skips the current M)
    cdef int32_t pi
    for pi in range(s.sched.gomaxprocs):
        if s.allp[pi].status == _Prunning and (s.stw_m < 0 or s.allp[pi].m != s.stw_m):
            preemptone(s, &s.allp[pi])


cdef void stw_begin(State *s, int32_t mi, int32_t kind) noexcept nogil:
    # stopTheWorldWithSema (lock, stopwait, gcwaiting, preemptall, own/syscall/idle Ps)
    cdef int32_t pi
    cdef P *pp
    cdef M *om
    s.gcwaiting = 1
    s.stw_kind = kind
    s.stw_m = mi
    s.stw_start = s.now
    if kind == STW_GC_SWEEPTERM:
        trace_ev(s, TE_GC_BEGIN, 0, s.c.gc_cycles + 1, -1, mi if mi >= 0 else s.gc_m, 0)
    trace_ev(s, TE_STW_BEGIN, 0, 0, s.allm[mi].p if mi >= 0 else -1,
             mi if mi >= 0 else s.gc_m, kind)
    s.stopwait = s.sched.gomaxprocs
    preemptall(s)                                     # (skips mi's own P: s.stw_m is set)
    if mi >= 0 and s.allm[mi].p >= 0:
        s.allp[s.allm[mi].p].status = _Pgcstop        # own P: "only diagnostic"
        s.stopwait -= 1
    for pi in range(s.sched.gomaxprocs):
        pp = &s.allp[pi]
        if pp.status == _Prunning and pp.m >= 0:
            om = &s.allm[pp.m]
            if om.curg >= 0 and getg(s, om.curg).status == _Gsyscall:
                takep(s, pp.m)                        # setBlockOnExitSyscall + gcstopP
                pp.status = _Pgcstop
                s.stopwait -= 1
    while True:
        pi = pidleget(s, &s.allm[s.stw_m if mi >= 0 else s.gc_m])
        if pi == -1:
            break
        s.allp[pi].status = _Pgcstop
        s.stopwait -= 1
    s.c.stw_count += 1
    if s.stopwait == 0:
        world_stopped(s)
    else:
        heap_push(s, s.now + s.stw_retry, EV_GC, GCEV_RETRY)
        s.bg_events += 1


cdef void world_stopped(State *s) noexcept nogil:
    # notewakeup(&sched.stopnote): the stopper runs, for the pause
    cdef int64_t stop = s.now - s.stw_start
    s.c.stw_stop_cycles += stop
    if stop > s.c.stw_stop_max:
        s.c.stw_stop_max = stop
    s.stw_stopped_at = s.now
    if s.stw_kind == STW_GC_SWEEPTERM and s.npools > 0:
        pool_cleanup(s)            # gcStart -> clearpools -> sync.poolCleanup (sched/pool.pxi)
    if s.stw_m >= 0:
        s.allm[s.stw_m].state = MS_STW_START
        m_push(s, s.now + s.cost.futex_wake, s.stw_m)
    elif s.stw_kind == STW_GOMAXPROCS:
        adapt_world_stopped(s)                        # the GOMAXPROCS controller (adapt.pxi)
    else:
        heap_push(s, s.now + (s.gc_sweepterm if s.stw_kind == STW_GC_SWEEPTERM
                              else s.gc_markterm), EV_GC, GCEV_START)


cdef void procresize(State *s, int32_t nprocs, int32_t mi) noexcept nogil:
    # func procresize (the world stopped): destroy the Ps beyond nprocs (their Gs to the head
    # of the global queue, their timers and free Gs to the surviving P), create the new ones
    cdef int32_t old = s.sched.gomaxprocs, i, gi, keep, x
    cdef P *pp
    cdef P *dst
    cdef M *mp = &s.allm[mi if mi >= 0 else s.gc_m]
    keep = mp.p if mp.p >= 0 and mp.p < nprocs else 0
    dst = &s.allp[keep]
    for i in range(nprocs, old):
        pp = &s.allp[i]
        # p.destroy: the ring popped from its tail, then runnext, each pushed on the global
        # queue's head (so runnext ends up first, then the ring in order; the last P destroyed
        # leads the queue)
        while pp.runqhead != pp.runqtail:
            pp.runqtail -= 1
            globrunqputhead(s, mp, s.runq_buf[pp.runq_off + (pp.runqtail & s.ring_mask)])
        if pp.runnext != -1:
            globrunqputhead(s, mp, pp.runnext)
            pp.runnext = -1
        while s.ntimers[i] > 0:                      # moveTimers to the current P
            x = s.timer_g[i][0]
            if timer_add(s, keep, s.timer_when[i][0], x) != 0:
                fail(s, ERR_NOMEM, 8)
                return
            timer_pop(s, i)
        while pp.gFree != -1:                         # gfpurge
            gi = pp.gFree
            pp.gFree = getg(s, gi).schedlink
            getg(s, gi).schedlink = s.sched.gFree
            s.sched.gFree = gi
            s.sched.gFreeCount += 1
        pp.gFreeCount = 0
        if pp.m >= 0:
            releasep(s, pp.m)
        pp.status = _Pdead
        pp.idle = 0
        pp.pidle_since = -1                           # (an idle spell no acquirep ends)
        s.idlepMask[i >> 6] &= ~((<uint64_t> 1) << (i & 63))
    for i in range(old, nprocs):
        pp = &s.allp[i]
        pp.status = _Pgcstop
        pp.m = -1
        pp.oldm = -1
        pp.link = -1
        pp.pidle_since = -1
    s.sched.gomaxprocs = nprocs
    trace_ev(s, TE_PROCS_CHANGE, 0, nprocs, keep, mp.id, 0)
    if mi >= 0 and mp.p != keep:
        if mp.p >= 0:
            releasep(s, mi)
        acquirep(s, mi, keep)
    steal_order_reset(s, nprocs)


cdef void steal_order_reset(State *s, int32_t nprocs) noexcept nogil:
    # stealOrder.reset(nprocs) (proc.go randomOrder.reset): the strides coprime to nprocs, from
    # which each stealWork pass picks one; at start-up and at every procresize
    cdef int32_t i
    s.ncoprimes = 0
    for i in range(1, nprocs + 1):
        if gcd32(i, nprocs) == 1:
            s.coprimes[s.ncoprimes] = i
            s.ncoprimes += 1


cdef inline int32_t gcd32(int32_t a, int32_t b) noexcept nogil:
    cdef int32_t t
    while b:
        t = a % b
        a = b
        b = t
    return a


cdef void start_the_world(State *s) noexcept nogil:
    # startTheWorldWithSema: netpoll, procresize; each stopped P with local work gets an M
    # (its previous one if idle), the others go idle; then wakep
    cdef int32_t i, mi = s.stw_m, own = -1, pi, om
    cdef int32_t idle_ps = -1, need_m = -1, runnable = -1
    cdef M *mp = &s.allm[mi if mi >= 0 else s.gc_m]
    cdef P *pp
    cdef int64_t pause = s.now - s.stw_stopped_at
    cdef int32_t head, tail, n
    if s.netpoll_waiters > 0 and netpoll_due(s):
        # netpoll(0) + injectglist before procresize.  No P is idle while the world is
        # stopped: a stopper with a P (GOMAXPROCS) takes them on its own ring; the GC
        # controller, a thread without one here, puts them on the global queue.
        head = netpoll(s, mp, &tail, &n, True)
        if mi >= 0 and mp.p >= 0:
            while head != -1:
                i = getg(s, head).schedlink
                runqput(s, mp, &s.allp[mp.p], head, PUT_PLAIN)    # (a full ring spills)
                head = i
            if mp.gbatch_n > 0:
                globrunqputbatch(s, mp, mp.gbatch_head, mp.gbatch_tail, mp.gbatch_n)
                mp.gbatch_n = 0
                mp.gbatch_head = -1
                mp.gbatch_tail = -1
        else:
            globrunqputbatch(s, mp, head, tail, n)
    if s.stw_kind == STW_GOMAXPROCS:
        procresize(s, s.newprocs, mi)
    if mi >= 0:
        own = s.allm[mi].p
    # procresize's tail: walking the Ps from the highest id down, Ps without work are
    # collected (idlePs), Ps with work get their previous M if it is idle (mgetSpecific) or wait
    # for any idle M (runnablePsNeedM, served after every oldm has been claimed); the truly
    # idle Ps are then pidleput lowest first, leaving the highest id on top of sched.pidle
    for i in range(s.sched.gomaxprocs - 1, -1, -1):
        pp = &s.allp[i]
        if i == own:
            pp.status = _Prunning
            continue
        if pp.status != _Pgcstop:
            continue
        pp.status = _Pidle
        if runqempty(s, pp):
            pp.link = idle_ps
            idle_ps = i
            continue
        om = mgetSpecific(s, mp, pp.oldm) if pp.oldm >= 0 else -1
        if om == -1:
            pp.link = need_m
            need_m = i
            continue
        pp.m = om                              # (claimed: the wake-up below hands it over)
        pp.link = runnable
        runnable = i
    while need_m != -1:
        i = need_m
        need_m = s.allp[i].link
        s.allp[i].m = mget(s, mp)              # -1: startTheWorld starts a new M for it
        s.allp[i].link = runnable
        runnable = i
    while s.gcs.blacken and idle_ps != -1 and gc_assign_worker(s, idle_ps):
        # Go 1.27 procresize: in the mark phase, idle Ps get the mark workers still needed
        # (dedicated, fractional) and an M, before the rest go idle (sched/gc.pxi)
        i = idle_ps
        idle_ps = s.allp[i].link
        s.allp[i].m = mget(s, mp)
        s.allp[i].link = runnable
        runnable = i
    while idle_ps != -1:
        i = idle_ps
        idle_ps = s.allp[i].link
        pidleput(s, mp, i)
    while runnable != -1:                      # startTheWorldWithSema: notewakeup / newm
        i = runnable
        runnable = s.allp[i].link
        s.allp[i].link = -1
        om = s.allp[i].m
        s.allp[i].m = -1
        startm_wake_m(s, mp, om, i, 0, s.now)
    trace_ev(s, TE_STW_END, 0, 0, own, mi if mi >= 0 else s.gc_m, s.stw_kind)
    s.gcwaiting = 0
    if s.sysmonwait:
        sysmon_wake(s)
    s.stw_m = -1
    s.c.stw_pause_cycles += pause
    gc_pause_note(s)                                  # MemStats.PauseNs (sched/adapt.pxi)
    if pause > s.c.stw_pause_max:
        s.c.stw_pause_max = pause
    # wakep(): a spinner for any excess work -- the global queue, or timers that now need an M
    # to wait for them in netpoll (the Ms that stopped for the world did not)
    if s.sched.npidle > 0 and s.sched.nmspinning == 0:
        pi = pidleget(s, mp)
        s.sched.nmspinning += 1
        startm_wake(s, mp, pi, 1, s.now)


cdef int64_t gcstopm_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_GCSTOPM_LOCKED: gcstopm under sched.lock: P -> _Pgcstop, stopwait--, stopm
    # (an M reaches it from findRunnable's top, with its P, while gcwaiting is set)
    lock_granted(s, &s.schedlock, mi)
    if mp.spinning:
        stopSpinning(s, mp)
    gcstop_p(s, releasep(s, mi))
    return stopm_park(s, mp, mi)


cdef void gc_event(State *s, int32_t id) noexcept nogil:
    # the GC controller's events
    if id == GCEV_RETRY:
        s.bg_events -= 1
        if s.gcwaiting and s.stopwait > 0:
            preemptall(s)
            heap_push(s, s.now + s.stw_retry, EV_GC, GCEV_RETRY)
            s.bg_events += 1
        return
    if id == GCEV_START:
        if s.gcs.on and s.stw_kind == STW_GC_SWEEPTERM:
            gc_start_cycle(s)                  # startCycle, gcBlackenEnabled (sched/gc.pxi)
        elif s.gcs.on:
            gc_mark_termination(s)             # endCycle, resetLive, commit; assists woken
        start_the_world(s)
        if s.stw_kind == STW_GC_SWEEPTERM:
            if s.gcs.on:
                gc_mark_begin(s)               # the workers mark; the last one ends it
            else:
                # concurrent mark (not a background event: the cycle's end readies gcsema
                # waiters)
                heap_push(s, s.now + s.gc_mark, EV_GC, GCEV_MARKDONE)
        else:
            s.c.gc_cycles += 1
            trace_ev(s, TE_GC_END, 0, s.c.gc_cycles, -1, s.gc_m, 0)
            s.gc_running = 0
            gcsema_release(s)                         # GOMAXPROCS callers waiting for the cycle
            if s.gc_period > 0:
                heap_push(s, s.now + s.gc_period, EV_GC, GCEV_CYCLE)
                s.bg_events += 1
        return
    if id == GCEV_MARKDONE:
        if s.gcwaiting:                               # a GOMAXPROCS stop is in progress
            heap_push(s, s.now + s.stw_retry, EV_GC, GCEV_MARKDONE)
        else:
            stw_begin(s, -1, STW_GC_MARKTERM)
        return
    s.bg_events -= 1
    # GCEV_CYCLE: a periodic cycle is due -- only while something else can happen: an M event
    # pending is not enough, since each cycle's start_the_world wakes a spinner (wakep) that
    # may still be looking for work when the next cycle is due, and a short gc_period would
    # then keep a deadlocked program cycling for ever (checkdead never runs)
    if s.heap_n > s.bg_events and not gc_world_dead(s):
        gc_start(s)


cdef bint gc_world_dead(State *s) noexcept nogil:
    # True when no goroutine can ever run again without another GC cycle: none runnable,
    # running or in a system call, no timer, no network wait, no arrival to come.  Only
    # looked at when no G was executed since the previous periodic cycle was due (a G that
    # runs is executed again after the cycle's stop-the-world), so cheap while the program
    # makes progress.
    cdef int32_t gi
    cdef G *gp
    if s.c.executes != s.gc_executes:
        s.gc_executes = s.c.executes
        return False
    if next_timer(s) != 0 or s.ntimers[s.netpoll_hp] > 0 or s.netpoll_waiters > 0:
        return False
    if s.arr_left > 0:
        return False
    for gi in range(s.nallg):
        gp = getg(s, gi)
        if gp.status == _Grunnable or gp.status == _Grunning or gp.status == _Gsyscall:
            return False
    return True


cdef void gc_start(State *s) noexcept nogil:
    # gcStart: the sweep-termination stop (the cycle is skipped if one is running)
    if s.gc_running:
        return
    if s.gcwaiting:
        heap_push(s, s.now + s.stw_retry, EV_GC, GCEV_CYCLE)
        s.bg_events += 1
        return
    s.gc_running = 1
    stw_begin(s, -1, STW_GC_SWEEPTERM)


cdef int64_t op_gomaxprocs(State *s, M *mp, int32_t mi, int32_t n) noexcept nogil:
    # runtime.GOMAXPROCS(n): stopTheWorldGC, newprocs = n, startTheWorldGC
    cdef G *gp = getg(s, mp.curg)
    if n == s.sched.gomaxprocs:
        gp.pc += 1
        return s.cost.lock
    if s.gc_running:
        # stopTheWorldGC: semacquire(&gcsema) -- wait for the GC cycle in progress to end
        gq_push(s, &s.gcsema_head, &s.gcsema_tail, mp.curg)
        gopark(s, mp, gp, waitReasonSemacquire, -1)
        return s.cost.park
    if s.gcwaiting:
        return stw_yield(s, mp, mi)                   # semacquire(&worldsema) would block
    gp.pc += 1
    s.newprocs = n
    mp.state = MS_STW_WAIT          # notesleep(&sched.stopnote): world_stopped wakes us
    stw_begin(s, mi, STW_GOMAXPROCS)
    return -1


cdef int64_t stw_yield(State *s, M *mp, int32_t mi) noexcept nogil:
    # the G cannot proceed while the world is stopping: it yields to its P's runnext and the
    # M stops at schedule(); the G retries the operation after the world restarts
    cdef int32_t gi = mp.curg
    gstop(s, mp, gi, 3)
    runqput(s, mp, &s.allp[mp.p], gi, PUT_READY)
    ret_push(mp, MS_SCHEDULE)
    mp.state = MS_AFTERPUT
    return s.cost.gosched


cdef int64_t op_alloc(State *s, M *mp, int32_t mi, int64_t nbytes, int32_t kind) noexcept nogil:
    # mallocgc's GC trigger: an allocation that crosses the heap goal starts a GC cycle
    # (the controller stops the world; the allocating G goes on until preempted); 0 bytes
    # is runtime.GC()'s trigger.  kind: 0 temporary, 1 global, 2 free, 3 the goroutine's (the
    # pacer's reachability, sched/gc.pxi; the fixed-goal model counts bytes only)
    if s.gcs.on:
        return gc_op_alloc(s, mp, mi, nbytes, kind)
    if kind == 2:
        return s.cost.mark
    s.heap_live = s.heap_live + nbytes if s.heap_live <= INT64_MAX - nbytes else INT64_MAX
    if (nbytes == 0 or (s.gc_heap_goal > 0 and s.heap_live >= s.gc_heap_goal)) and \
            not s.gc_running:
        s.heap_live = 0                               # (the cycle frees everything)
        gc_start(s)
    return s.cost.mark


cdef void gcsema_release(State *s) noexcept nogil:
    # the GC cycle ended: its waiters (GOMAXPROCS callers) are readied, injected from the
    # controller's thread (no P): the global queue, an idle P started for each
    cdef int32_t n = 0, gi = s.gcsema_head, nxt
    cdef M *mp = &s.allm[s.gc_m]
    if gi == -1:
        return
    while gi != -1:
        nxt = getg(s, gi).schedlink
        gwake(s, mp, gi)
        getg(s, gi).schedlink = nxt                   # (the list stays linked for the batch)
        n += 1
        gi = nxt
    globrunqputbatch(s, mp, s.gcsema_head, s.gcsema_tail, n)
    s.gcsema_head = -1
    s.gcsema_tail = -1
    start_idle(s, mp, n, s.now)
