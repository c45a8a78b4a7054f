# The event loop: pop the earliest event and run that M's micro-steps, or the sampler, sysmon or
# the GC controller.  Provides run_loop (called by Engine.run without the GIL) and step_fns,
# the dispatch of an M's micro-step to the function of its state (MS_*).
# Uses: core/heap.pxi, core/observe.pxi (take_sample), sched/check.pxi (check_invariants), the
# per-state functions of sched/*.pxi, sysmon_tick, gc_event.

cdef int run_loop(State *s, int64_t budget, int64_t check_every) noexcept nogil:
    # Pop the earliest event and run that M's micro-steps.  While the M's next step is still
    # strictly earlier than every pending event, it runs at once without touching the heap: the
    # same order the heap would give, at a fraction of the cost.
    # events: s.events, kept in a register (no micro-step reads it); stored back on every return
    cdef int64_t events = s.events
    cdef int64_t stop_at = events + budget
    # the inline path's event limit: the chunk's end or max_events, whichever comes first
    cdef int64_t ev_limit = stop_at if stop_at < s.max_events else s.max_events
    # (run constants: set by Engine before the run, never by a micro-step)
    cdef int64_t max_cycles = s.max_cycles
    cdef bint cpu_on = s.cpu_on != 0
    # every event popped counts against the chunk, background ones (sysmon ticks, samples,
    # GC) too: with very long steps (CostModel(execute=10**12)) there are thousands of sysmon
    # ticks per M step, and a chunk counted in M steps alone took tens of seconds to end
    cdef int64_t popped = 0
    cdef int64_t cost, t
    # check_every's invariant checks and the livelock guard (sched/guard.pxi): one compare
    cdef int64_t next_check = periodic_start(s, events, check_every)
    cdef Event ev, pend
    cdef bint pending = False       # pend: the M's next event, not yet in the heap (see below)
    cdef bint nofast = False        # (cpu.pxi: the M's next event must go through the heap)
    cdef int32_t mi, st
    cdef M *mp
    while s.status == ST_RUNNING:
        if (events >= ev_limit or popped >= budget or s.heap_n <= s.bg_events or
                s.heap[0].time > max_cycles):
            # a stop, or nothing else in the heap: the M's event goes in first, then the checks
            # in their order (one combined test above keeps them off the common path)
            if pending:
                heap_insert(s, &pend)
                pending = False
            s.events = events
            if events >= stop_at or popped >= budget:
                return 0
            if s.heap_n <= s.bg_events:
                # every M parked: all goroutines are asleep -- unless a timer or a network wait
                # is pending, which some M should be waiting for (checkdead: "any P with
                # timers")
                if next_timer(s) != 0 or s.ntimers[s.netpoll_hp] > 0:
                    fail(s, ERR_INVARIANT, 50)
                    return 0
                if cpu_on and cpu_waiting(s) >= 0:
                    fail(s, ERR_INVARIANT, 704)      # a thread waits for a core nobody holds
                    return 0
                s.status = ST_DEADLOCK
                return 0
            if s.heap[0].time > max_cycles:
                s.status = ST_MAX_CYCLES
                return 0
            if events >= s.max_events:
                s.status = ST_MAX_EVENTS
                return 0
            ev = heap_pop(s)
        elif pending:
            # the M's push and this pop as one sift (heap_pushpop): the same event comes out
            ev = heap_pushpop(s, &pend)
            pending = False
        else:
            ev = heap_pop(s)
        popped += 1
        s.now = ev.time
        if (ev.kind & 0xF) != EV_M:
            # a background event: one test for the common M event (whose kind carries the
            # M's generation in its upper bits; the others are small constants)
            if bg_event(s, &ev):
                s.events = events
                return 1                        # a sample with pause_on_sample
            continue
        mi = ev.id
        mp = &s.allm[mi]                        # (allm is allocated once: maxmcount records)
        if (ev.kind >> 4) != mp.ev_gen:
            continue                            # superseded (the M was preempted)
        if cpu_on and cpu_switch_point(s, mi):
            continue                            # its core goes to another thread (cpu.pxi)
        while True:
            s.step_acc = 0
            mp.in_compute = 0
            st = mp.state
            if <uint32_t> st < NSTEPFN:
                cost = step_fns[st](s, mp, mi)  # the micro-step named by the M's state
            else:
                cost = st_invalid(s, mp, mi)
            if cost >= 0:
                cost += s.step_acc              # cycles of the step's cache accesses
            events += 1
            if cpu_on:
                cost = cpu_after_step(s, mp, mi, cost)   # shared cores (cpu.pxi)
                nofast = s.m_cpu_owed[mi] != 0      # its next event is a slice end: via the heap
            if events >= next_check:
                next_check = periodic_check(s, mi, events, check_every)
            if cost < 0 or s.status != ST_RUNNING:
                break
            t = s.now + cost
            if ((s.heap_n == 0 or t < s.heap[0].time) and t <= max_cycles
                    and events < ev_limit and not nofast):
                s.now = t
                continue
            pend = m_event(s, t, mi)            # m_push, fused with the next pop
            pending = True
            break
    s.events = events
    if pending:
        heap_insert(s, &pend)
    return 0


cdef bint bg_event(State *s, Event *ev) noexcept nogil:
    # the sampler, sysmon, the GC controller, a contended lock's release, the GOMAXPROCS
    # controller; True: pause the run (a sample taken with pause_on_sample)
    if ev.kind == EV_SAMPLE:
        s.bg_events -= 1
        if take_sample(s) != 0:
            fail(s, ERR_NOMEM, 7)
        elif s.heap_n > s.bg_events:        # only while something else can still happen
            heap_push(s, s.now + s.sample_every, EV_SAMPLE, 0)
            s.bg_events += 1
        return s.pause_on_sample != 0
    if ev.kind == EV_SYSMON:
        s.bg_events -= 1
        if ev.id == s.sysmon_gen:               # (else superseded by a wake-up)
            sysmon_tick(s)
    elif ev.kind == EV_GC:
        gc_event(s, ev.id)
    elif ev.kind == EV_UNLOCK:
        lock_unlock_event(s, ev.id)          # sched/lock.pxi: unlock2 of a contended lock
    elif ev.kind == EV_ADAPT:
        adapt_event(s, ev.id)                   # the GOMAXPROCS controller (adapt.pxi)
    else:
        fail(s, ERR_INVARIANT, 2000 + ev.kind)  # a kind nobody handles (add it here)
    return False


# The dispatch of an M's micro-step: a table of one function per state (MS_*), indexed by
# m.state and filled at import by init_step_fns -- the one place that says what each state runs.
# Each step runs at cycle s.now, sets the M's next state and returns the cycles until that step
# (-1: the M waits for someone to wake it).  A table call skips the chain of state tests a
# switch would make (~25 host instructions per event).  A new state needs its line in
# init_step_fns (and NSTEPFN above its value); a state without one fails as an invariant.
ctypedef int64_t (*step_fn)(State *s, M *mp, int32_t mi) noexcept nogil

cdef enum:
    NSTEPFN = 80                        # > every MS_* value (MS_SEMA_LOCKED = 70)
cdef step_fn step_fns[NSTEPFN]


cdef int64_t st_schedule(State *s, M *mp, int32_t mi) noexcept nogil:
    if mp.lockedg >= 0:
        return schedule_locked(s, mp, mi)      # stoplockedm / mexit (sched/lockos.pxi)
    s.c.schedules += 1
    return fr_top(s, mp, mi, s.cost.schedule)


cdef int64_t st_fr_top(State *s, M *mp, int32_t mi) noexcept nogil:
    return fr_top(s, mp, mi, 0)


cdef int64_t st_lock(State *s, M *mp, int32_t mi) noexcept nogil:
    # (re)try the lock the M wants: sched.lock, or a channel's lock after a futex wake
    mp.state = mp.lock_cont
    return lock_acquire(s, lock_of(s, mp.lock_id), mi)


cdef int64_t st_fr_local(State *s, M *mp, int32_t mi) noexcept nogil:
    return fr_local(s, mp, &s.allp[mp.p], 0)


cdef int64_t st_steal_probe(State *s, M *mp, int32_t mi) noexcept nogil:
    return steal_probe(s, mp, mp.steal_victim)   # runqgrab's retry loop: same victim


cdef int64_t st_sel_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # select's lockorder pass: the case lock just granted, then the next one (select.pxi)
    lock_granted(s, &s.locks[mp.lock_id], mi)
    return sel_lock_next(s, mp, mi)


cdef int64_t st_invalid(State *s, M *mp, int32_t mi) noexcept nogil:
    fail(s, ERR_INVARIANT, 1000 + mp.state)     # a state with no step function
    return -1


cdef void init_step_fns() noexcept nogil:
    cdef int i
    for i in range(NSTEPFN):
        step_fns[i] = st_invalid
    step_fns[<int> MS_RUN] = interp
    step_fns[<int> MS_SCHEDULE] = st_schedule
    step_fns[<int> MS_FR_TOP] = st_fr_top
    step_fns[<int> MS_LOCK] = st_lock
    step_fns[<int> MS_FR_LOCAL] = st_fr_local
    step_fns[<int> MS_FR_LOCAL_CAS] = runqget_cas
    step_fns[<int> MS_FR_GLOBAL] = fr_global
    step_fns[<int> MS_FR_GLOBAL_LOCKED] = fr_global_locked
    step_fns[<int> MS_FR_SPIN] = fr_spin
    step_fns[<int> MS_STEAL_PASS] = stealwork_pass
    step_fns[<int> MS_STEAL_VICTIM] = stealwork_victim
    step_fns[<int> MS_STEAL_PROBE] = st_steal_probe
    step_fns[<int> MS_STEAL_CAS] = runqgrab_cas
    step_fns[<int> MS_STEAL_RUNNEXT] = runqgrab_runnext
    step_fns[<int> MS_FR_IDLE_LOCKED] = fr_idle_locked
    step_fns[<int> MS_FR_DROP] = fr_drop
    step_fns[<int> MS_FR_DROP_LOCKED] = fr_drop_locked
    step_fns[<int> MS_CHECKRUNQS_LOCKED] = checkrunqs_locked
    step_fns[<int> MS_STOPM_LOCKED] = stopm_locked
    step_fns[<int> MS_WAKE] = mwake
    step_fns[<int> MS_EXECUTE] = execute_step
    step_fns[<int> MS_AFTERPUT] = afterput
    step_fns[<int> MS_GLOBPUT_LOCKED] = globput_locked
    step_fns[<int> MS_WAKEP_LOCKED] = wakep_locked
    step_fns[<int> MS_STARTM_LOCKED] = startm_locked
    step_fns[<int> MS_ARRIVE] = arrive
    step_fns[<int> MS_INJECT_LOCKED] = inject_locked
    step_fns[<int> MS_TIMERS] = run_timers
    step_fns[<int> MS_CHAN_LOCKED] = chan_locked
    step_fns[<int> MS_PREEMPT] = gopreempt
    step_fns[<int> MS_EXITSYSCALL] = exitsyscall
    step_fns[<int> MS_EXITSYSCALL_LOCKED] = exitsyscall_locked
    step_fns[<int> MS_POLL_LOCKED] = poll_locked
    step_fns[<int> MS_GCSTOPM_LOCKED] = gcstopm_locked
    step_fns[<int> MS_STW_START] = stw_start_step
    step_fns[<int> MS_GCWORK] = gc_work_step
    step_fns[<int> MS_GCASSIST] = gc_assist_end
    step_fns[<int> MS_SEL_LOCKED] = st_sel_locked
    step_fns[<int> MS_RTLOCK_LOCKED] = rtlock_locked
    step_fns[<int> MS_POLL_WAKE] = poll_wake
    step_fns[<int> MS_FR_FAIR_LOCKED] = fr_fair_locked
    step_fns[<int> MS_LOCKEDM_WAKE] = lockedm_wake
    step_fns[<int> MS_SEMA_LOCKED] = sema_locked        # sync.Mutex/RWMutex semaRoot (sema.pxi)


init_step_fns()
