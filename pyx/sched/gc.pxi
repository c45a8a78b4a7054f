# GC work, not just its pauses: the GOGC pacer, background mark workers, mark assists and the
# forEachP ragged barrier (runtime/mgcpacer.go gcControllerState, mgc.go gcStart /
# gcBgMarkWorker / gcMarkDone, mgcmark.go gcAssistAlloc / gcFlushBgCredit, proc.go
# findRunnable / forEachP / procresize).  On only when the run has the pacer (gmpcore.GC:
# RunConfig.gc_pacer) and the program allocates; every hook elsewhere is behind s.gcs.on or
# s.gcs.blacken, so runs without it are unchanged.
#
# The heap.  Function.alloc(n) adds n bytes to heapLive.  What is reachable decides what the
# next cycle marks: a temporary (the default) is garbage at once; alloc(n, live="goroutine")
# bytes stay reachable until the goroutine exits (gc_gexit); live="global" bytes until
# free(n).  A cycle marks the bytes reachable when
# it starts plus everything allocated during mark (allocate-black), so heapMarked =
# reach_start + alloc_black, and its scan work is reach_start plus GC.roots_bytes (stacks and
# globals, a constant; every heap byte is scannable).
#
# A cycle.  op_alloc's trigger test (heapLive >= trigger, from gcControllerState.trigger)
# starts it: the controller thread stops the world (sweep termination, stw.pxi), gc_start_cycle
# runs gcControllerState.startCycle (25% of the Ps as dedicated workers, a fractional goal for
# the rounding error, idle workers on the rest) and enables blackening; startTheWorld hands
# dedicated/fractional workers to idle Ps first (procresize, Go 1.27).  Workers run in
# findRunnable BEFORE the local run queue (gc_find_worker), idle-priority workers where
# findRunnable would give up its P (gc_idle_worker).  A worker does its scan work in chunks
# (GC.chunk bytes at GC.scan_rate); between chunks it looks at the scheduler as gcDrain does:
# a stopping world or a safe-point request stops every worker; a fractional worker stops past
# its utilization goal (pollFractionalWorkerExit), an idle one when work appears (pollWork); a
# dedicated worker runs until the work is gone, and after a time slice (sysmon's preemption)
# hands its run queue to the global queue (gcBgMarkWorker's runqdrain).  Allocating goroutines
# pay mark assists (gcAssistAlloc) in scan work, delaying them; with no work left to take they
# park until workers flush credit (gcFlushBgCredit) or the mark phase ends.  The last chunk
# done runs gcMarkDone: a forEachP barrier (every P runs a safe-point function when it next
# reaches a safe point: findRunnable's top, or at once if idle or in a system call), then the
# mark-termination pause, endCycle / resetLive / commit for the next goal, and the assists
# woken.  With GC.workers = False, the mark phase lasts the time 25% of the Ps would need and
# uses no CPU (the pauses-only model, for comparison).

cdef enum:
    GCW_NONE = 0
    GCW_DEDICATED = 1        # gcMarkWorkerDedicatedMode
    GCW_FRACTIONAL = 2       # gcMarkWorkerFractionalMode
    GCW_IDLE = 3             # gcMarkWorkerIdleMode
    GC_OVER_ASSIST_WORK = 65536         # mgcpacer.go gcOverAssistWork
    GC_SWEEP_MIN_HEAP_DISTANCE = 1048576  # mgc.go sweepMinHeapDistance
    GC_DEFAULT_HEAP_MINIMUM = 4194304   # mgcpacer.go defaultHeapMinimum
    GC_MIN_RUNWAY = 65536               # heapGoalInternal's minRunway
    GC_TRIGGER_RATIO_DEN = 64           # triggerRatioDen, minTriggerRatioNum, maxTriggerRatioNum
    GC_MIN_TRIGGER_NUM = 45
    GC_MAX_TRIGGER_NUM = 61
    GC_NO_WORKER = -3                   # gc_find_worker / gc_idle_worker: none to run (-1 is
                                        # taken: the M waits for wakep's lock)

cdef double GC_BACKGROUND_UTILIZATION = 0.25   # gcBackgroundUtilization (= gcGoalUtilization)


cdef int gc_init(State *s, RunConfig *c) noexcept nogil:
    # gcControllerState.init: heapMinimum, no cycle yet, commit(isSweepDone=true)
    cdef GCState *g = &s.gcs
    g.on = 1
    g.workers = c.gc_workers
    g.assists = c.gc_assists and c.gc_workers
    g.percent = c.gc_percent
    g.scan_rate = c.gc_scan_rate
    g.chunk = c.gc_chunk if c.gc_chunk > 0 else 1
    g.heap_minimum = c.gc_heap_minimum
    g.roots = c.gc_roots
    g.triggered = INT64_MAX
    g.assistq_head = -1
    g.assistq_tail = -1
    g.p = <GCP *> calloc(s.nprocs, sizeof(GCP))
    g.gcap = 1024
    g.gbytes = <int64_t *> calloc(g.gcap, sizeof(int64_t))
    g.credit = <int64_t *> calloc(g.gcap, sizeof(int64_t))
    g.gwork = <int64_t *> calloc(g.gcap, sizeof(int64_t))
    g.gassist = <int64_t *> calloc(g.gcap, sizeof(int64_t))
    if g.p == NULL or g.gbytes == NULL or g.credit == NULL or g.gwork == NULL or \
            g.gassist == NULL:
        return -1
    gc_commit(s, True)
    return 0


cdef void gc_free(State *s) noexcept nogil:
    free(s.gcs.p)
    free(s.gcs.gbytes)
    free(s.gcs.credit)
    free(s.gcs.gwork)
    free(s.gcs.gassist)


cdef bint gc_grow_one(int64_t **a, int32_t cap) noexcept nogil:
    cdef int64_t *x = <int64_t *> realloc(a[0], 2 * <size_t> cap * sizeof(int64_t))
    if x == NULL:
        return False
    memset(x + cap, 0, cap * sizeof(int64_t))
    a[0] = x
    return True


cdef int gc_grow(State *s, int32_t gi) noexcept nogil:
    # allocg's hook: the per-G side tables cover slot gi (G records stay small: no GC field)
    cdef GCState *g = &s.gcs
    while gi >= g.gcap:
        if not (gc_grow_one(&g.gbytes, g.gcap) and gc_grow_one(&g.credit, g.gcap) and
                gc_grow_one(&g.gwork, g.gcap) and gc_grow_one(&g.gassist, g.gcap)):
            fail(s, ERR_NOMEM, 12)
            return -1
        g.gcap *= 2
    return 0


# ---- the pacer (mgcpacer.go) -----------------------------------------------------------------
cdef void gc_commit(State *s, bint sweep_done) noexcept nogil:
    # gcControllerState.commit: the GOGC heap goal from heapMarked and the roots,
    # the sweep-distance trigger floor, the runway from consMark; then the trigger
    cdef GCState *g = &s.gcs
    g.sweep_dist = 0 if sweep_done else g.heap_live + GC_SWEEP_MIN_HEAP_DISTANCE
    if g.percent >= 0:
        g.pct_goal = g.heap_marked + (g.heap_marked + g.roots) * g.percent // 100
        if g.pct_goal < g.heap_minimum:
            g.pct_goal = g.heap_minimum
    else:
        g.pct_goal = INT64_MAX
    g.runway = <int64_t> (g.cons_mark * (1 - GC_BACKGROUND_UTILIZATION) /
                          GC_BACKGROUND_UTILIZATION * <double> g.last_heap_scan)
    g.trigger = gc_trigger(s)
    s.c.gc_heap_goal = gc_heap_goal(s, NULL) if g.percent >= 0 else 0    # (0: GOGC=off)


cdef int64_t gc_heap_goal(State *s, int64_t *min_trigger) noexcept nogil:
    # gcControllerState.heapGoalInternal (no memory limit)
    cdef GCState *g = &s.gcs
    cdef int64_t goal = g.pct_goal
    if g.sweep_dist > goal:
        goal = g.sweep_dist
    if min_trigger != NULL:
        min_trigger[0] = g.sweep_dist
    if g.triggered != INT64_MAX and goal < g.triggered + GC_MIN_RUNWAY:
        goal = g.triggered + GC_MIN_RUNWAY
    return goal


cdef int64_t gc_trigger(State *s) noexcept nogil:
    # gcControllerState.trigger: between 0.7 and 0.95 of the way from heapMarked to the goal
    # (or goal - heapMinimum), goal - runway inside those bounds
    cdef GCState *g = &s.gcs
    cdef int64_t min_trigger, goal, lo, hi, trig
    if g.percent < 0:
        return INT64_MAX                      # GOGC=off: only runtime.GC() starts a cycle
    goal = gc_heap_goal(s, &min_trigger)
    if g.heap_marked >= goal:
        return goal
    if min_trigger < g.heap_marked:
        min_trigger = g.heap_marked
    lo = (goal - g.heap_marked) // GC_TRIGGER_RATIO_DEN * GC_MIN_TRIGGER_NUM + g.heap_marked
    if min_trigger < lo:
        min_trigger = lo
    hi = (goal - g.heap_marked) // GC_TRIGGER_RATIO_DEN * GC_MAX_TRIGGER_NUM + g.heap_marked
    if goal > GC_DEFAULT_HEAP_MINIMUM and goal - GC_DEFAULT_HEAP_MINIMUM > hi:
        hi = goal - GC_DEFAULT_HEAP_MINIMUM
    if hi < min_trigger:
        hi = min_trigger
    trig = min_trigger if g.runway > goal else goal - g.runway
    if trig < min_trigger:
        trig = min_trigger
    if trig > hi:
        trig = hi
    return trig


cdef void gc_revise(State *s) noexcept nogil:
    # gcControllerState.revise: the assist ratio that finishes the expected scan work by the
    # time heapLive reaches the goal (extrapolated to all scannable memory if the cycle has
    # already done more work than expected)
    cdef GCState *g = &s.gcs
    cdef double pct = g.percent if g.percent >= 0 else 100000.0
    cdef double goal = <double> gc_heap_goal(s, NULL)
    cdef double expected = <double> g.last_heap_scan
    cdef double maxwork = <double> (g.heap_scan + g.roots)
    cdef double work = <double> g.work_done
    cdef double ext, hard, remaining, heap_remaining
    if work > expected:
        if expected > 0:
            ext = (goal - <double> g.triggered) / expected * maxwork + <double> g.triggered
        else:
            ext = 1e300                        # (nothing expected: the hard goal below)
        expected = maxwork
        hard = (1.0 + pct / 100.0) * goal
        if ext > hard:
            ext = hard
        goal = ext
    if <double> g.heap_live > goal:
        goal = goal * 1.1                      # maxOvershoot
        expected = maxwork
    remaining = expected - work
    if remaining < 1000:
        remaining = 1000
    heap_remaining = goal - <double> g.heap_live
    if heap_remaining <= 0:
        heap_remaining = 1
    g.awpb = remaining / heap_remaining
    g.abpw = heap_remaining / remaining


cdef inline int64_t gc_cycles_of(GCState *g, int64_t work) noexcept nogil:
    # cycles a worker needs for `work` bytes of scan work (at least 1)
    cdef int64_t t = <int64_t> (<double> work / g.scan_rate + 0.999999)
    return t if t > 0 else 1


cdef void gc_start_cycle(State *s) noexcept nogil:
    # gcStart with the world stopped: gcResetMarkState (assist credit to 0), startCycle (the
    # workers needed, the fractional goal, idle workers, revise), the scan work, and
    # gcBlackenEnabled = 1
    cdef GCState *g = &s.gcs
    cdef int32_t procs = s.sched.gomaxprocs, pi, ded
    cdef double total, util_err
    g.work_done = 0
    g.bg_credit = 0
    g.assist_time = 0
    g.idle_time = 0
    g.mark_start = s.now
    g.triggered = g.heap_live
    total = procs * GC_BACKGROUND_UTILIZATION
    ded = <int32_t> (total + 0.5)
    util_err = ded / total - 1
    if util_err < -0.3 or util_err > 0.3:
        # rounding is more than 30% off (GOMAXPROCS <= 3 or 6): fractional workers make it up
        if ded > total:
            ded -= 1
        g.frac_goal = (total - ded) / procs
    else:
        g.frac_goal = 0
    for pi in range(s.nprocs):
        g.p[pi].frac_time = 0
        g.p[pi].next = GCW_NONE
        g.p[pi].safepoint = 0
    g.idle_max = procs - ded                   # (heap-triggered and forced cycles)
    g.idle_n = 0
    g.dedicated_needed = ded
    memset(g.credit, 0, g.gcap * sizeof(int64_t))
    g.reach_start = g.reach
    g.alloc_black = 0
    g.work_left = g.reach + g.roots
    g.inflight = 0
    g.marking_done = 0
    g.blacken = g.workers
    gc_revise(s)


cdef void gc_mark_begin(State *s) noexcept nogil:
    # the world has restarted in _GCmark
    cdef GCState *g = &s.gcs
    cdef int64_t t
    if not g.workers:
        # the pauses-only model: the mark phase lasts as long as 25% of the Ps would take,
        # using no CPU
        t = <int64_t> (<double> g.work_left / (g.scan_rate * s.sched.gomaxprocs *
                                               GC_BACKGROUND_UTILIZATION))
        g.work_done = g.work_left
        g.work_left = 0
        heap_push(s, s.now + t, EV_GC, GCEV_MARKDONE)
        return
    if g.work_left == 0:
        gc_mark_done(s)                         # nothing to mark: the first worker finds that


cdef void gc_mark_termination(State *s) noexcept nogil:
    # mark termination, the world stopped: gcBlackenEnabled = 0, gcWakeAllAssists, endCycle
    # (consMark), resetLive(heapMarked), commit(isSweepDone=false) -- the next trigger
    cdef GCState *g = &s.gcs
    cdef int64_t dur = s.now - g.mark_start, scan = g.work_done
    cdef double util, idle, cur
    cdef int32_t procs = s.sched.gomaxprocs, i
    g.blacken = 0
    gc_wake_all_assists(s)
    if g.workers:
        util = GC_BACKGROUND_UTILIZATION
        idle = 0
        if dur > 0:
            util += <double> g.assist_time / (<double> dur * procs)
            idle = <double> g.idle_time / (<double> dur * procs)
        if g.heap_live > g.triggered and scan > 0 and util < 1:
            cur = (<double> (g.heap_live - g.triggered) * (util + idle)) / \
                  (<double> scan * (1 - util))
        else:
            cur = 0
        g.cons_mark = cur
        for i in range(4):
            if g.last_cons_mark[i] > g.cons_mark:
                g.cons_mark = g.last_cons_mark[i]
        for i in range(3):
            g.last_cons_mark[i] = g.last_cons_mark[i + 1]
        g.last_cons_mark[3] = cur
    g.heap_marked = g.reach_start + g.alloc_black
    g.heap_live = g.heap_marked
    g.heap_scan = scan - g.roots if scan > g.roots else 0
    g.last_heap_scan = scan
    g.triggered = INT64_MAX
    s.c.gc_heap_marked = g.heap_marked
    s.c.gc_heap_live = g.heap_live
    gc_commit(s, False)


# ---- allocation and assists (malloc.go mallocgc, mgcmark.go gcAssistAlloc) --------------------
cdef int64_t gc_op_alloc(State *s, M *mp, int32_t mi, int64_t nbytes, int32_t kind) noexcept nogil:
    # OP_ALLOC with the pacer: kind 0 = a temporary, 1 = kept by a global, 2 = free: drop kept
    # bytes, 3 = owned by this goroutine until it exits; nbytes 0 = runtime.GC().  mallocgc: deductAssistCredit
    # first (an assist may take scan work or park), then the allocation, then the trigger test
    cdef GCState *g = &s.gcs
    cdef int32_t gi = mp.curg
    cdef int64_t cost = s.cost.mark, r = 0
    if kind == 2:
        if nbytes > g.kept:
            nbytes = g.kept
        g.kept -= nbytes
        g.reach -= nbytes
        return cost
    if nbytes == 0:
        if not s.gc_running:
            gc_start(s)                        # runtime.GC(): a forced cycle
        return cost
    if g.blacken and g.assists:
        g.credit[gi] -= nbytes
        if g.credit[gi] < 0:
            r = gc_assist_alloc(s, mp, mi, gi)
    g.heap_live = g.heap_live + nbytes if g.heap_live <= INT64_MAX - nbytes else INT64_MAX
    g.heap_scan = g.heap_scan + nbytes if g.heap_scan <= INT64_MAX - nbytes else INT64_MAX
    s.c.gc_heap_live = g.heap_live
    if kind == 1:
        g.kept += nbytes
        g.reach += nbytes
    elif kind == 3:
        g.gbytes[gi] += nbytes
        g.reach += nbytes
    if g.blacken:
        g.alloc_black += nbytes
    if not s.gc_running and g.heap_live >= g.trigger:
        gc_start(s)                            # gcTrigger{kind: gcTriggerHeap}.test()
    if r < 0:
        gc_park_assist(s, mp, gi)
        return s.cost.park
    return cost + r


cdef inline void gc_charge_assist(State *s, int32_t gi, int64_t t) noexcept nogil:
    cdef GCState *g = &s.gcs
    if g.gassist[gi] == 0:
        s.c.gc_assist_gs += 1
    g.gassist[gi] += t
    if g.gassist[gi] > s.c.gc_assist_g_max:
        s.c.gc_assist_g_max = g.gassist[gi]
    s.c.gc_assist_cycles += t
    g.assist_time += t


cdef int64_t gc_assist_alloc(State *s, M *mp, int32_t mi, int32_t gi) noexcept nogil:
    # gcAssistAlloc: pay the debt in scan work (at least gcOverAssistWork), from background
    # credit first, then by doing it (gcAssistAlloc1 / gcDrainN).  Returns the cycles of the
    # work taken (the M continues at MS_GCASSIST once they are over), 0 if the debt is paid,
    # -1 if the goroutine must park for credit (no work left to take).
    cdef GCState *g = &s.gcs
    cdef int64_t debt, work, stolen, w, t
    gc_revise(s)
    s.c.gc_assists += 1
    debt = -g.credit[gi]
    work = <int64_t> (g.awpb * <double> debt)
    if work < GC_OVER_ASSIST_WORK:
        work = GC_OVER_ASSIST_WORK
        debt = <int64_t> (g.abpw * <double> work)
    if g.bg_credit > 0:
        if g.bg_credit < work:
            stolen = g.bg_credit
            g.credit[gi] += 1 + <int64_t> (g.abpw * <double> stolen)
        else:
            stolen = work
            g.credit[gi] += debt
        g.bg_credit -= stolen
        work -= stolen
        if work == 0:
            return 0
    w = work if work < g.work_left else g.work_left
    if w > 0:
        g.work_left -= w
        g.inflight += 1
        g.gwork[gi] = w
        t = gc_cycles_of(g, w)
        gc_charge_assist(s, gi, t)
        mp.state = MS_GCASSIST
        return t
    return -1 if g.credit[gi] < 0 else 0


cdef int64_t gc_assist_end(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_GCASSIST: the assist's scan work is done (gcAssistAlloc1's accounting); still in debt:
    # retry while there is work, else park (gcParkAssist)
    cdef GCState *g = &s.gcs
    cdef int32_t gi = mp.curg
    cdef int64_t w = g.gwork[gi], r
    g.gwork[gi] = 0
    g.inflight -= 1
    g.work_done += w
    s.c.gc_scan_work += w
    g.credit[gi] += 1 + <int64_t> (g.abpw * <double> w)
    mp.state = MS_RUN
    gc_check_done(s)
    if g.credit[gi] < 0 and g.blacken:
        r = gc_assist_alloc(s, mp, mi, gi)
        if r < 0:
            gc_park_assist(s, mp, gi)
            return s.cost.park
        return r
    return 0


cdef void gc_park_assist(State *s, M *mp, int32_t gi) noexcept nogil:
    # gcParkAssist: queue on work.assistQueue and park until credit (or the cycle's end)
    cdef GCState *g = &s.gcs
    cdef G *gp = getg(s, gi)
    s.c.gc_assist_parks += 1
    gp.schedlink = -1
    if g.assistq_tail == -1:
        g.assistq_head = gi
    else:
        getg(s, g.assistq_tail).schedlink = gi
    g.assistq_tail = gi
    gopark(s, mp, gp, waitReasonGCAssistWait, -1)


cdef int32_t gc_flush_bg_credit(State *s, M *mp, int64_t work) noexcept nogil:
    # gcFlushBgCredit: a worker's scan work pays parked assists first (each readied to this
    # P's run queue, ready(gp, 0, false)); the rest becomes background credit.  Returns the
    # Gs readied (the caller follows with MS_AFTERPUT for wakep).
    cdef GCState *g = &s.gcs
    cdef double scan_bytes
    cdef int32_t gi, k = 0
    if g.assistq_head == -1:
        g.bg_credit += work
        return 0
    scan_bytes = <double> work * g.abpw
    while g.assistq_head != -1 and scan_bytes > 0:
        gi = g.assistq_head
        if scan_bytes + <double> g.credit[gi] >= 0:
            scan_bytes += <double> g.credit[gi]
            g.credit[gi] = 0
            g.assistq_head = getg(s, gi).schedlink
            if g.assistq_head == -1:
                g.assistq_tail = -1
            gwake(s, mp, gi)
            runqput(s, mp, &s.allp[mp.p], gi, PUT_PLAIN)
            k += 1
        else:
            g.credit[gi] += <int64_t> scan_bytes
            scan_bytes = 0
            if g.assistq_head != g.assistq_tail:  # to the back of the queue (the heuristic)
                g.assistq_head = getg(s, gi).schedlink
                getg(s, gi).schedlink = -1
                getg(s, g.assistq_tail).schedlink = gi
                g.assistq_tail = gi
    if scan_bytes > 0:
        g.bg_credit += <int64_t> (scan_bytes * g.awpb)
    return k


cdef void gc_wake_all_assists(State *s) noexcept nogil:
    # gcWakeAllAssists: injectglist(&work.assistQueue.q) from the controller's thread (no P):
    # the global queue (the world is stopped: startTheWorld's wakep finds them)
    cdef GCState *g = &s.gcs
    cdef int32_t gi = g.assistq_head, nxt, n = 0
    cdef M *mp = &s.allm[s.gc_m]
    if gi == -1:
        return
    while gi != -1:
        nxt = getg(s, gi).schedlink
        gwake(s, mp, gi)
        getg(s, gi).schedlink = nxt
        n += 1
        gi = nxt
    globrunqputbatch(s, mp, g.assistq_head, g.assistq_tail, n)
    g.assistq_head = -1
    g.assistq_tail = -1


cdef void gc_gexit(State *s, int32_t gi) noexcept nogil:
    # goexit0 / gdestroy: its allocations become garbage; positive assist credit goes to the
    # background pool (gcAssistBytes > 0 -> bgScanCredit); its assist time is reported
    cdef GCState *g = &s.gcs
    g.reach -= g.gbytes[gi]
    g.gbytes[gi] = 0
    if g.blacken and g.credit[gi] > 0:
        g.bg_credit += <int64_t> (g.awpb * <double> g.credit[gi])
    g.credit[gi] = 0
    if g.gassist[gi] > 0:
        g.assist_hist[hist_bucket(g.gassist[gi])] += 1   # (Result.gc_assist_per_g)
    g.gassist[gi] = 0


# ---- mark workers (mgcpacer.go findRunnableGCWorker, mgc.go gcBgMarkWorker) -------------------
cdef bint gc_assign_worker(State *s, int32_t pi) noexcept nogil:
    # gcControllerState.assignWaitingGCWorker: a dedicated worker while they are needed, else
    # a fractional one if this P is behind the fractional utilization goal
    cdef GCState *g = &s.gcs
    cdef int64_t delta
    if g.work_left <= 0:                        # gcShouldScheduleWorker
        return False
    if g.dedicated_needed <= 0 and g.frac_goal == 0:
        return False
    if g.dedicated_needed > 0:
        g.dedicated_needed -= 1
        g.p[pi].next = GCW_DEDICATED
    elif g.frac_goal == 0:
        return False
    else:
        delta = s.now - g.mark_start
        if delta > 0 and <double> g.p[pi].frac_time / <double> delta > g.frac_goal:
            return False
        g.p[pi].next = GCW_FRACTIONAL
    return True


cdef int64_t gc_worker_start(State *s, M *mp, int32_t mi, int32_t mode,
                             int64_t cost) noexcept nogil:
    # the worker G runs on this P (execute); findRunnable returned it with tryWakeP = true,
    # so schedule() does resetspinning and wakep (as execute_step: wakep's lock first, then
    # MS_GCWORK)
    cdef GCP *w = &s.gcs.p[mp.p]
    cdef int64_t c
    w.mode = <uint8_t> mode
    w.start = s.now
    w.chunk = 0
    w.kicked = 0
    s.c.gc_worker_runs += 1
    if mp.spinning:
        stopSpinning(s, mp)
    c = wakep_begin(s, mp, mi, MS_GCWORK)
    if c != NOT_STARTED:
        return c
    mp.state = MS_GCWORK
    return cost + s.cost.execute


cdef int64_t gc_find_worker(State *s, M *mp, int32_t mi, int64_t cost) noexcept nogil:
    # findRunnable's "Try to schedule a GC worker" (findRunnableGCWorker): GC_NO_WORKER if none
    cdef GCP *w = &s.gcs.p[mp.p]
    cdef int32_t mode
    if w.next == GCW_NONE and not gc_assign_worker(s, mp.p):
        return GC_NO_WORKER
    mode = w.next
    w.next = GCW_NONE
    return gc_worker_start(s, mp, mi, mode, cost)


cdef int64_t gc_idle_worker(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable, "We have nothing to do": an idle-priority mark worker rather than giving up
    # the P (gcShouldScheduleWorker, addIdleMarkWorker); GC_NO_WORKER if none
    cdef GCState *g = &s.gcs
    if g.work_left <= 0 or g.idle_n >= g.idle_max or g.p[mp.p].safepoint:
        return GC_NO_WORKER
    g.idle_n += 1
    return gc_worker_start(s, mp, mi, GCW_IDLE, 0)


cdef int64_t gc_work_step(State *s, M *mp, int32_t mi) noexcept nogil:
    # MS_GCWORK: account for the chunk just scanned (gcFlushBgCredit), then gcDrain's check:
    # go on with the next chunk, or stop (markWorkerStop) and schedule; the last worker out
    # with no work left runs gcMarkDone
    cdef GCState *g = &s.gcs
    cdef P *pp = &s.allp[mp.p]
    cdef GCP *w = &g.p[mp.p]
    cdef int32_t k, gi
    cdef int64_t t, c, delta
    cdef bint stop
    if w.chunk > 0:
        c = w.chunk
        w.chunk = 0
        g.inflight -= 1
        g.work_done += c
        s.c.gc_scan_work += c
        k = gc_flush_bg_credit(s, mp, c)
        if k > 0:
            ret_push(mp, MS_GCWORK)
            mp.state = MS_AFTERPUT
            return k * s.cost.ready
    stop = s.gcwaiting or w.safepoint or not g.blacken or g.work_left <= 0
    if not stop and w.mode == GCW_FRACTIONAL:
        # pollFractionalWorkerExit: past 1.2x the fractional goal
        delta = s.now - g.mark_start
        stop = delta <= 0 or (<double> (w.frac_time + s.now - w.start) / <double> delta >
                              1.2 * g.frac_goal)
    elif not stop and w.mode == GCW_IDLE:
        # pollWork: work on the global queue or this P's run queue
        stop = s.sched.runqsize > 0 or not runqempty(s, pp) or pp.runnext != -1
    elif not stop and w.mode == GCW_DEDICATED and not w.kicked and s.time_slice > 0 and \
            s.now - w.start >= s.time_slice:
        # sysmon preempted the dedicated worker: runqdrain(pp) to the global queue, then it
        # drains on without preemption
        w.kicked = 1
        if pp.runnext != -1:
            gbatch_add(s, mp, pp.runnext)
            pp.runnext = -1
        while pp.runqhead != pp.runqtail:
            gi = ring(s, pp)[pp.runqhead & s.ring_mask]
            pp.runqhead += 1
            gbatch_add(s, mp, gi)
        if mp.gbatch_n > 0:
            ret_push(mp, MS_GCWORK)
            mp.state = MS_AFTERPUT
            return s.cost.runqget
    if not stop:
        c = g.chunk if g.chunk < g.work_left else g.work_left
        g.work_left -= c
        g.inflight += 1
        w.chunk = c
        t = gc_cycles_of(g, c)
        if w.mode == GCW_DEDICATED:
            s.c.gc_dedicated_cycles += t
        elif w.mode == GCW_FRACTIONAL:
            s.c.gc_fractional_cycles += t
        else:
            s.c.gc_idle_cycles += t
            g.idle_time += t
        return t
    # markWorkerStop
    if w.mode == GCW_DEDICATED:
        g.dedicated_needed += 1
    elif w.mode == GCW_FRACTIONAL:
        w.frac_time += s.now - w.start
    elif w.mode == GCW_IDLE:
        g.idle_n -= 1
    w.mode = GCW_NONE
    gc_check_done(s)
    mp.state = MS_SCHEDULE
    return s.cost.park


cdef inline void gc_check_done(State *s) noexcept nogil:
    # gcEndWork / gcIsMarkDone: no work left and nobody scanning
    if s.gcs.blacken and s.gcs.work_left <= 0 and s.gcs.inflight == 0:
        gc_mark_done(s)


# ---- gcMarkDone: the forEachP ragged barrier, then mark termination ---------------------------
cdef void gc_mark_done(State *s) noexcept nogil:
    # gcMarkDone -> forEachP(waitReasonGCMarkTermination, flush): every P runs the safe-point
    # function -- idle Ps and Ps of Ms in system calls at once (handoffp runs it), running Ps at
    # their next safe point (preemptall; findRunnable's top).  The controller thread runs it,
    # so no P is its own.
    cdef GCState *g = &s.gcs
    cdef int32_t pi
    cdef P *pp
    cdef M *om
    if g.marking_done:
        return
    g.marking_done = 1
    g.fep_start = s.now
    g.fep_wait = 0
    for pi in range(s.sched.gomaxprocs):
        pp = &s.allp[pi]
        if pp.status == _Prunning and pp.m >= 0:
            om = &s.allm[pp.m]
            if not (om.curg >= 0 and getg(s, om.curg).status == _Gsyscall):
                g.p[pi].safepoint = 1
                g.fep_wait += 1
                continue
        s.c.gc_safepoint_fns += 1
    if g.fep_wait == 0:
        gc_foreachp_done(s)
        return
    preemptall(s)


cdef void gc_safepoint(State *s, int32_t pi) noexcept nogil:
    # runSafePointFn on P pi (findRunnable's top, or a P going idle: handoffp / pidleput)
    cdef GCState *g = &s.gcs
    g.p[pi].safepoint = 0
    g.fep_wait -= 1
    s.c.gc_safepoint_fns += 1
    if g.fep_wait == 0:
        gc_foreachp_done(s)


cdef void gc_foreachp_done(State *s) noexcept nogil:
    # the barrier is complete: stop the world for mark termination (GCEV_MARKDONE waits if
    # another stop is in progress)
    cdef int64_t d = s.now - s.gcs.fep_start
    s.c.gc_foreachp_cycles += d
    if d > s.c.gc_foreachp_max:
        s.c.gc_foreachp_max = d
    heap_push(s, s.now, EV_GC, GCEV_MARKDONE)
