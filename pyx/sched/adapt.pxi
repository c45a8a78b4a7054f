# The adaptive GOMAXPROCS controller: a user policy (a Numba kernel, gmpcore.adapt) that runs
# every `adapt_every` cycles of emulated time on a runtime thread without a P, as sysmon runs
# (proc.go sysmon), reads the run-time metrics of struct AdaptMetrics and may return a new
# GOMAXPROCS.  The change is made as runtime.GOMAXPROCS makes it (debug.go GOMAXPROCS):
# stopTheWorldGC(stwGOMAXPROCS) -- which first waits for a GC cycle in progress to end
# (semacquire(&gcsema)) and for any other stop to finish (worldsema) --, newprocs = n,
# startTheWorldGC, whose procresize (proc.go procresize) destroys or creates Ps.  The stopper
# is the GC controller's thread (created for the controller when the program has no GC): it
# has no P, so the world stops as for a GC pause (sched/stw.pxi), is woken by the last M to
# stop (notewakeup(&sched.stopnote): futex_wake cycles later) and starts the world at once.
#
# Also here: GC pause accounting as Go's MemStats does it (mgc.go: work.pauseNS sums the
# cycle's stop-the-world pauses, each from the stop request to the restart; PauseNs[] holds the
# cycle's sum, PauseTotalNs their total), for the controller and Result.summary.

cdef enum:
    ADAPTEV_TICK = 0         # EV_ADAPT ids: the controller's period is up
    ADAPTEV_RETRY = 1        #   a change waits for a GC cycle or another stop to end
    ADAPTEV_START = 2        #   its stop is complete: procresize, start the world

cdef enum:
    ADAPT_IDLE = 0
    ADAPT_WAITING = 1        # an ADAPTEV_RETRY event is pending
    ADAPT_STOPPING = 2       # the controller's stop-the-world is in progress


cdef void adapt_init(State *s) noexcept nogil:
    # the first call one period after start (the Engine calls it after sched_start)
    if s.adapt_every <= 0 or s.kern.gomaxprocs == NULL or s.gc_m < 0:
        return
    heap_push(s, s.adapt_every, EV_ADAPT, ADAPTEV_TICK)
    s.bg_events += 1


cdef inline int64_t to_ns(State *s, int64_t cycles) noexcept nogil:
    return <int64_t> (<double> cycles / s.clock_ghz)


cdef void adapt_fill(State *s, AdaptMetrics *m) noexcept nogil:
    # the metrics a call sees; the window is the time since the previous call
    cdef int32_t pi
    cdef int64_t local = 0, idle, mcyc, runnable, waitp
    cdef P *pp
    for pi in range(s.sched.gomaxprocs):
        pp = &s.allp[pi]
        local += <int64_t> (pp.runqtail - pp.runqhead) + (1 if pp.runnext != -1 else 0)
    m_time_now(s, &idle, &mcyc)
    runnable_now(s, &runnable, &waitp)
    m.now_ns = to_ns(s, s.now)
    m.period_ns = to_ns(s, s.now - s.adapt_prev_now)
    m.gomaxprocs = s.sched.gomaxprocs
    m.max_procs = s.nprocs
    m.runnable = s.nrunnable
    m.runq_global = s.sched.runqsize
    m.runq_local = local
    m.goroutines = s.sched.ngoroutines
    m.npidle = s.sched.npidle
    m.nmspinning = s.sched.nmspinning
    m.nmidle = s.sched.nmidle
    m.threads = s.sched.mnext
    m.gc_cycles = s.c.gc_cycles
    m.gc_pause_last_ns = to_ns(s, s.c.gc_pause_last)
    m.gc_pause_total_ns = to_ns(s, s.c.gc_pause_cycles)
    m.gc_pause_window_ns = to_ns(s, s.c.gc_pause_cycles - s.adapt_prev_gcpause)
    m.m_idle_window_ns = to_ns(s, idle - s.adapt_prev_midle)
    m.m_window_ns = to_ns(s, mcyc - s.adapt_prev_mcycles)
    m.p_unparks_window = s.c.p_unparks - s.adapt_prev_unparks
    m.p_unpark_window_ns = to_ns(s, s.c.p_unpark_cycles - s.adapt_prev_unpark)
    m.g_runnable_window_ns = to_ns(s, runnable - s.adapt_prev_runnable)
    m.g_wait_p_window_ns = to_ns(s, waitp - s.adapt_prev_waitp)
    m.changes = s.c.gomaxprocs_policy_changes
    s.adapt_prev_now = s.now
    s.adapt_prev_gcpause = s.c.gc_pause_cycles
    s.adapt_prev_midle = idle
    s.adapt_prev_mcycles = mcyc
    s.adapt_prev_unparks = s.c.p_unparks
    s.adapt_prev_unpark = s.c.p_unpark_cycles
    s.adapt_prev_runnable = runnable
    s.adapt_prev_waitp = waitp


cdef void adapt_tick(State *s) noexcept nogil:
    cdef AdaptMetrics m
    cdef int32_t rc
    adapt_fill(s, &m)
    s.c.gomaxprocs_policy_calls += 1
    rc = s.kern.gomaxprocs(&m)
    if rc < 0 or rc > s.nprocs:
        # < 0: the kernel's error code; > the Ps allocated: out of range (-1000000 - rc)
        kernel_fail(s, HOOK_GOMAXPROCS, rc if rc < 0 else -1000000 - rc)
        return
    if rc == 0:
        return                                        # keep GOMAXPROCS (and a change pending)
    s.adapt_newprocs = rc
    if s.adapt_state == ADAPT_IDLE:
        adapt_apply(s)


cdef void adapt_apply(State *s) noexcept nogil:
    # runtime.GOMAXPROCS(n) from the controller's thread
    if s.adapt_newprocs == s.sched.gomaxprocs:
        s.adapt_newprocs = 0                          # (GOMAXPROCS: "if n == ret, return")
        s.adapt_state = ADAPT_IDLE
        return
    if s.gc_running or s.gcwaiting:
        # stopTheWorldGC: semacquire(&gcsema) waits for the GC cycle; semacquire(&worldsema)
        # for a stop in progress -- try again every stw_retry cycles
        s.adapt_state = ADAPT_WAITING
        heap_push(s, s.now + s.stw_retry, EV_ADAPT, ADAPTEV_RETRY)
        s.bg_events += 1
        return
    s.newprocs = s.adapt_newprocs
    s.adapt_newprocs = 0
    s.adapt_state = ADAPT_STOPPING
    stw_begin(s, -1, STW_GOMAXPROCS)


cdef void adapt_world_stopped(State *s) noexcept nogil:
    # (world_stopped, sched/stw.pxi) the last M to stop wakes the controller's thread
    heap_push(s, s.now + s.cost.futex_wake, EV_ADAPT, ADAPTEV_START)


cdef void adapt_event(State *s, int32_t id) noexcept nogil:
    if id == ADAPTEV_START:
        start_the_world(s)                            # procresize(newprocs) included
        s.c.gomaxprocs_policy_changes += 1
        s.adapt_state = ADAPT_IDLE
        return
    s.bg_events -= 1
    if id == ADAPTEV_RETRY:
        s.adapt_state = ADAPT_IDLE
        if s.adapt_newprocs > 0:
            adapt_apply(s)
        return
    # ADAPTEV_TICK: only while something else can still happen (as the sampler)
    adapt_tick(s)
    if s.heap_n > s.bg_events and s.status == ST_RUNNING:
        heap_push(s, s.now + s.adapt_every, EV_ADAPT, ADAPTEV_TICK)
        s.bg_events += 1


cdef void gc_pause_note(State *s) noexcept nogil:
    # (start_the_world) a GC stop-the-world ends: work.pauseNS += now - startedStopping; at
    # mark termination the cycle's sum becomes PauseNs[last] and joins PauseTotalNs
    cdef int64_t pause = s.now - s.stw_start
    if s.stw_kind == STW_GC_SWEEPTERM:
        s.gc_pause_acc = pause
    elif s.stw_kind == STW_GC_MARKTERM:
        s.gc_pause_acc += pause
        s.c.gc_pause_last = s.gc_pause_acc
        acc_add(s, &s.c.gc_pause_cycles, s.gc_pause_acc, OVF_RUNNABLE)
        s.gc_pause_acc = 0
