# CPU time-sharing: threads beyond the cores share them, as the OS scheduler makes them.
#
# With GOMAXPROCS above the core count, Go still runs one M per P, and the OS multiplexes those
# threads on the cores.  The rule modelled here (only when Machine.cores was given and the Ps
# outnumber it -- RunConfig.os_slice > 0 -- so runs with a core per P are unchanged):
#
#   * A thread wants a core while it holds a P and runs runtime or user code: a G, findRunnable,
#     spinning.  It stops wanting one when its step blocks it (a futex sleep on a lock or in
#     stopm, and also a lock spin: the step returns -1), when it enters a system call or
#     runqgrab's usleep (the step sets s.cpu_sleep), or when it gives up its P.  A thread
#     holding a P that wakes (futex, syscall or usleep return) runs its next step only once
#     it has a core (cpu_switch_point): a woken lock waiter retries its CAS on a core rather
#     than taking the lock and then queueing for a core while holding it.  Threads without a P
#     (sysmon, the GC controller, a poller blocked in netpoll) are not counted: they are short
#     or asleep, and taking them out keeps procs <= cores runs exactly as before.
#   * Each core runs one thread; the others that want it wait in a FIFO.  The running thread
#     keeps the core until it blocks or, while others wait, until its time slice ends; it then
#     goes to the tail of the queue with the CPU time its current step still needs (a compute
#     is split at the slice end).  Taking a waiting thread onto a core costs
#     CostModel.ctx_switch.
#   * Placement is Linux's, work-conserving: no core idles while a thread waits for a core.
#     A thread waking up to run (it got a P, its futex or lock wait ended, its syscall
#     returned) goes to its previous core if idle, else to the first idle core after it
#     (select_task_rq_fair -> select_idle_sibling, kernel/sched/fair.c); with every core busy
#     it queues on its previous core.  The previous core of a thread that just took P i is
#     i % cores (acquirep).  A running thread stays on its core when it takes another P.  A
#     core whose thread blocks, with nobody queued for it, pulls the longest-waiting thread
#     of the busiest core (newidle balancing: sched_balance_newidle -> sched_balance_rq).
#     (With threads fixed on core P % cores, a 10M burst at 16 Ps on 2 cores left one core
#     idle for 61% of the run while threads queued for the other.)  Not modelled: the
#     periodic balancing of queue lengths (sched_balance_rq from the tick), EEVDF's lag and
#     wake-up preemption, the CPU a lock spinner burns.
#   * The slice is Machine.os_slice_ns, by default Linux's: since 6.6 the EEVDF scheduler
#     gives equal-weight runnable threads a request of sysctl_sched_base_slice = 0.75 ms scaled
#     by 1 + log2(min(cores, 8)) (kernel/sched/fair.c, SCHED_TUNABLESCALING_LOG) and picks the
#     eligible one with the earliest virtual deadline, which for always-runnable threads of
#     equal weight is round robin with that slice.  (Before 6.6, CFS's sched_latency / nr
#     with min_granularity came to slices of the same order.)
#
# A step's scheduler effects happen when it starts and its cost is CPU time after that, so the
# hooks sit in the event loop: cpu_switch_point when an M's event comes out of the heap, and
# cpu_after_step once its step has run.


cdef int cpu_alloc(State *s, int64_t os_slice) except -1:
    # the side tables, when time-sharing is on (procs > cores)
    cdef int32_t i
    s.os_slice = os_slice
    s.core_owner = <int32_t *> malloc(s.ncores * sizeof(int32_t))
    s.core_qhead = <int32_t *> malloc(s.ncores * sizeof(int32_t))
    s.core_qtail = <int32_t *> malloc(s.ncores * sizeof(int32_t))
    s.core_qlen = <int32_t *> calloc(s.ncores, sizeof(int32_t))
    s.core_slice_end = <int64_t *> calloc(s.ncores, sizeof(int64_t))
    s.m_core = <int32_t *> malloc(s.maxmcount * sizeof(int32_t))
    s.m_cpu_next = <int32_t *> malloc(s.maxmcount * sizeof(int32_t))
    s.m_cpu_owed = <int64_t *> calloc(s.maxmcount, sizeof(int64_t))
    s.m_cpu_since = <int64_t *> malloc(s.maxmcount * sizeof(int64_t))
    if (s.core_owner == NULL or s.core_qhead == NULL or s.core_qtail == NULL
            or s.core_qlen == NULL or s.core_slice_end == NULL or s.m_core == NULL
            or s.m_cpu_next == NULL or s.m_cpu_owed == NULL or s.m_cpu_since == NULL):
        cpu_free(s)
        raise MemoryError("gmpcore: cannot allocate the CPU time-sharing tables")
    for i in range(s.ncores):
        s.core_owner[i] = -1
        s.core_qhead[i] = -1
        s.core_qtail[i] = -1
    for i in range(s.maxmcount):
        s.m_core[i] = -1
        s.m_cpu_next[i] = -1
        s.m_cpu_since[i] = -1           # -1: not waiting for a core
    s.cpu_acct_t = s.now
    s.cpu_nidle = s.ncores
    s.cpu_unbal = 0
    s.cpu_on = 1
    return 0


cdef void cpu_free(State *s) noexcept:
    free(s.core_owner)
    free(s.core_qhead)
    free(s.core_qtail)
    free(s.core_qlen)
    free(s.core_slice_end)
    free(s.m_core)
    free(s.m_cpu_next)
    free(s.m_cpu_owed)
    free(s.m_cpu_since)
    s.core_owner = NULL
    s.core_qhead = NULL
    s.core_qtail = NULL
    s.core_qlen = NULL
    s.core_slice_end = NULL
    s.m_core = NULL
    s.m_cpu_next = NULL
    s.m_cpu_owed = NULL
    s.m_cpu_since = NULL
    s.cpu_on = 0


cdef void cpu_account(State *s) noexcept nogil:
    # the core state changed at s.now: integrate the previous state since it began -- idle
    # core-time (Counters.cpu_idle_cycles) and the time some core sat idle while a thread
    # waited for a core (cpu_unbalanced_cycles: a miss of work conservation, which the
    # balancing below keeps at 0) -- then note the new one.  Called after every change of a
    # core's owner or queue, at the cycle of the change.
    cdef int64_t dt = s.now - s.cpu_acct_t
    cdef int32_t c, nidle = 0
    cdef bint waiting = False
    if dt > 0:
        if s.cpu_nidle > 0:
            if dt > INT64_MAX // s.cpu_nidle:
                fail(s, ERR_OVERFLOW, OVF_CPU_IDLE)
            else:
                acc_add(s, &s.c.cpu_idle_cycles, dt * s.cpu_nidle, OVF_CPU_IDLE)
        if s.cpu_unbal:
            acc_add(s, &s.c.cpu_unbalanced_cycles, dt, OVF_CPU_IDLE)
    s.cpu_acct_t = s.now
    for c in range(s.ncores):
        if s.core_owner[c] == -1:
            nidle += 1
        if s.core_qlen[c] > 0:
            waiting = True
    s.cpu_nidle = nidle
    s.cpu_unbal = nidle > 0 and waiting


cdef inline int32_t cpu_idle_core(State *s, int32_t target) noexcept nogil:
    # select_idle_sibling (kernel/sched/fair.c) for a thread waking up to run: its previous
    # core (target) if idle, else the first idle core after it (select_idle_cpu scans the
    # LLC with for_each_cpu_wrap from target + 1); -1: every core is busy
    cdef int32_t i, c
    for i in range(s.ncores):
        c = target + i
        if c >= s.ncores:
            c -= s.ncores
        if s.core_owner[c] == -1:
            return c
    return -1


cdef inline int32_t cpu_least_loaded(State *s, int32_t c) noexcept nogil:
    # the core with the fewest threads on it (running + waiting), c itself on a tie: the
    # target of the periodic load balance (sched_balance_rq moves tasks from the busiest
    # runqueue to even out nr_running between cores)
    cdef int32_t i, best = c
    for i in range(s.ncores):
        if s.core_qlen[i] + (s.core_owner[i] >= 0) < s.core_qlen[best] + (s.core_owner[best] >= 0):
            best = i
    return best


cdef inline void cpu_enqueue(State *s, int32_t c, int32_t mi, int64_t owed) noexcept nogil:
    # M mi waits for core c with `owed` cycles of CPU before its next step.  A preemption
    # signal sent while it is off its core is handled once it runs (sysmon's preemptone then
    # takes the flag path instead of splitting a compute that is not running)
    s.m_cpu_owed[mi] = owed
    s.m_cpu_since[mi] = s.now
    s.m_cpu_next[mi] = -1
    if s.core_qtail[c] == -1:
        s.core_qhead[c] = mi
    else:
        s.m_cpu_next[s.core_qtail[c]] = mi
    s.core_qtail[c] = mi
    s.core_qlen[c] += 1
    s.allm[mi].in_compute = 0


cdef inline int64_t cpu_run_until(State *s, int32_t c, int32_t mi, int64_t start,
                                  int64_t need) noexcept nogil:
    # the owner of core c needs `need` cycles of CPU from `start`: the time of its next event.
    # While others wait and that goes past its slice, the event is the slice end instead,
    # with the rest owed (cpu_switch_point hands the core over there)
    cdef int64_t end
    if s.core_qlen[c] > 0 and start + need > s.core_slice_end[c]:
        end = s.core_slice_end[c] if s.core_slice_end[c] > start else start
        s.m_cpu_owed[mi] = start + need - end
        s.allm[mi].in_compute = 0
        return end
    return start + need


cdef void cpu_grant(State *s, int32_t c) noexcept nogil:
    # core c is free: the first thread waiting for it gets it (context switch).  With none,
    # the core does not go idle while another core has threads waiting: Linux's newidle
    # balancing (sched_balance_newidle -> sched_balance_rq, kernel/sched/fair.c) pulls one
    # from the busiest runqueue -- detach_tasks walks cfs_tasks from the tail, the task that
    # ran least recently, the head of our FIFO.  (Its cache-hot test, task_hot with
    # sysctl_sched_migration_cost = 0.5 ms, passes: a waiting thread has been off a core for
    # a slice or more.)  Only with no thread waiting anywhere does the core idle.
    cdef int32_t h = s.core_qhead[c]
    cdef int32_t src = c, i
    cdef int64_t start, owed
    if h == -1:
        for i in range(s.ncores):
            if s.core_qlen[i] > s.core_qlen[src]:
                src = i
        h = s.core_qhead[src]
        if h == -1:
            s.core_owner[c] = -1
            cpu_account(s)
            return
        s.c.cpu_migrations += 1
        s.allm[h].core = c
    s.core_qhead[src] = s.m_cpu_next[h]
    if s.core_qhead[src] == -1:
        s.core_qtail[src] = -1
    s.core_qlen[src] -= 1
    s.m_cpu_next[h] = -1
    s.core_owner[c] = h
    s.m_core[h] = c
    s.c.cpu_switches += 1
    acc_add(s, &s.c.cpu_wait_cycles, s.now - s.m_cpu_since[h], OVF_CPU_WAIT)
    s.m_cpu_since[h] = -1
    start = s.now + s.cost.ctx_switch
    s.core_slice_end[c] = start + s.os_slice
    owed = s.m_cpu_owed[h]
    s.m_cpu_owed[h] = 0
    s.allm[h].ev_gen += 1                # (nothing of it is live in the heap: belt and braces)
    m_push(s, cpu_run_until(s, c, h, start, owed), h)
    cpu_account(s)


cdef inline void cpu_release(State *s, int32_t mi) noexcept nogil:
    cdef int32_t c = s.m_core[mi]
    if c >= 0:
        s.m_core[mi] = -1
        cpu_grant(s, c)


cdef void cpu_preempt_compute(State *s, int32_t c) noexcept nogil:
    # a thread started waiting for core c: an owner in the middle of a long compute loses the
    # core at its slice end (the timer tick), not when the compute is over
    cdef int32_t o = s.core_owner[c]
    cdef M *om
    cdef int64_t end
    if o < 0:
        return
    om = &s.allm[o]
    if not om.in_compute or s.m_cpu_owed[o] != 0:
        return
    end = s.core_slice_end[c] if s.core_slice_end[c] > s.now else s.now
    if om.compute_end > end:
        s.m_cpu_owed[o] = om.compute_end - end
        om.in_compute = 0
        om.ev_gen += 1                   # its event at the compute's end is superseded
        m_push(s, end, o)


cdef inline bint cpu_switch_point(State *s, int32_t mi) noexcept nogil:
    # M mi's event came out of the heap: True when it is not a step to run -- a stray event
    # of a thread waiting for its core, or an owner's slice end (the core goes to the next
    # waiting thread, mi to the tail of the queue with the CPU its step still owes)
    cdef int32_t c, i
    cdef int64_t owed = s.m_cpu_owed[mi]
    cdef M *mp
    if s.m_cpu_since[mi] >= 0:
        return True
    if owed == 0:
        mp = &s.allm[mi]
        if s.m_core[mi] >= 0 or mp.p < 0 or mp.lock_retry == 2:
            return False
        # a thread holding a P wakes up (its futex wait on a lock ended, its system call or
        # usleep returned): it runs its step only once it has a core -- a woken lock waiter
        # retries its CAS on a core, it does not take the lock and then wait for one.  (A
        # lined-up lock spinner, lock_retry 2, spun on a core and runs at once.)
        c = mp.core
        if c < 0 or c >= s.ncores:
            fail(s, ERR_INVARIANT, 705)     # (acquirep places Ms on cores)
            return True
        i = cpu_idle_core(s, c)
        if i < 0:
            cpu_enqueue(s, c, mi, 0)
            cpu_preempt_compute(s, c)
            cpu_account(s)
            return True
        if i != c:
            s.c.cpu_migrations += 1
            mp.core = i
        s.core_owner[i] = mi
        s.m_core[mi] = i
        s.core_slice_end[i] = s.now + s.os_slice
        cpu_account(s)
        return False
    c = s.m_core[mi]
    if c < 0 or c >= s.ncores:
        fail(s, ERR_INVARIANT, 702)         # (an owner always has its core)
        return True
    s.m_cpu_owed[mi] = 0
    if s.core_qlen[c] == 0:              # (nobody waits any more: keep running)
        s.core_slice_end[c] = s.now + s.os_slice
        m_push(s, s.now + owed, mi)
        return True
    s.c.cpu_slice_ends += 1
    s.m_core[mi] = -1
    cpu_enqueue(s, c, mi, owed)
    cpu_grant(s, c)
    return True


cdef inline int64_t cpu_after_step(State *s, M *mp, int32_t mi, int64_t cost) noexcept nogil:
    # M mi's step ran and its next step is `cost` cycles of CPU away (-1: it waits to be
    # woken).  Returns the cycles until its next event, or -1 when it has none: blocked, or
    # waiting for its core (cpu_grant pushes it)
    cdef int32_t c, i
    if cost < 0 or s.cpu_sleep or mp.p < 0:
        s.cpu_sleep = 0
        cpu_release(s, mi)
        return cost
    c = mp.core
    if c < 0 or c >= s.ncores:
        fail(s, ERR_INVARIANT, 703)         # (acquirep places Ms on cores)
        return -1
    if s.m_core[mi] >= 0:
        # it runs on a core: it stays there.  The OS does not move a running thread because it
        # took another P (acquirep's pi % cores is where a thread woken for P pi lands)
        c = s.m_core[mi]
        mp.core = c
    else:
        # it wakes up to run (select_task_rq_fair): its previous core, else an idle one
        # (select_idle_sibling); with every core busy, it queues on its previous core
        i = cpu_idle_core(s, c)
        if i < 0:
            cpu_enqueue(s, c, mi, cost)
            cpu_preempt_compute(s, c)
            cpu_account(s)
            return -1
        if i != c:
            s.c.cpu_migrations += 1
            mp.core = i
            c = i
        s.core_owner[c] = mi
        s.m_core[mi] = c
        s.core_slice_end[c] = s.now + s.os_slice
        cpu_account(s)
    return cpu_run_until(s, c, mi, s.now, cost) - s.now


cdef int32_t cpu_waiting(State *s) noexcept nogil:
    # a thread waiting for a core (-1: none); with nothing else left to run, one waiting is
    # a lost grant, not a deadlock of the program
    cdef int32_t c
    for c in range(s.ncores):
        if s.core_qhead[c] != -1:
            return s.core_qhead[c]
    return -1
