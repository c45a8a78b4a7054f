# The scheduler as micro-steps of M actors (runtime/proc.go: schedule, findRunnable, stealWork,
# runqgrab, execute, wakep, startm, stopm).
#
# Each MS_* state has a function here (step_fns in sched/loop.pxi dispatches on m.state) that
# performs the step at cycle s.now, sets the next state and returns the cycles until that next step (or -1 when the M waits: parked on sched.midle, or
# queued on a lock, which schedules it at hand-off).  Effects of a step happen at the cycle of
# the step; a load in one step and the CAS in a later step are separated by that step's cost, so
# other Ms can move a runqhead in between and make the CAS fail, as on real hardware.

cdef enum:
    NOT_STARTED = -2   # wakep_begin: wakep returned at once


cdef inline void ret_push(M *mp, int32_t st) noexcept nogil:
    mp.retstack[mp.nret] = st
    mp.nret += 1


cdef inline int32_t ret_pop(M *mp) noexcept nogil:
    mp.nret -= 1
    return mp.retstack[mp.nret]


cdef inline void becomeSpinning(State *s, M *mp) noexcept nogil:
    acc_sched(s, mp, SF_SPIN, ACC_RMW)
    mp.spinning = 1
    mp.spin_since = s.now
    s.sched.nmspinning += 1
    s.sched.needspinning = 0
    s.c.become_spinning += 1


cdef inline void stopSpinning(State *s, M *mp) noexcept nogil:
    # the first half of resetspinning (and of findRunnable step 15)
    acc_sched(s, mp, SF_SPIN, ACC_RMW)
    mp.spinning = 0
    s.sched.nmspinning -= 1
    acc_add(s, &s.c.spinning_cycles, s.now - mp.spin_since, OVF_SPINNING)


cdef inline int64_t to_execute(M *mp, int32_t gi, int32_t inherit, int64_t cost) noexcept nogil:
    mp.arg = gi
    mp.arg2 = inherit
    mp.state = MS_EXECUTE
    return cost


cdef inline Lock *lock_of(State *s, int32_t lock_id) noexcept nogil:
    # lock 0 is sched.lock; the others are channel locks (hchan.lock)
    return &s.schedlock if lock_id == 0 else &s.locks[lock_id]


cdef inline int64_t take_lock(State *s, M *mp, int32_t mi, int32_t cont) noexcept nogil:
    # acquire sched.lock now; the critical section is the step `cont`
    mp.state = cont
    mp.lock_id = 0
    return lock_acquire(s, &s.schedlock, mi)


cdef inline int64_t unlock_id(State *s, M *mp, int64_t cost) noexcept nogil:
    # end the critical section of the lock the M holds (mp.lock_id) after `cost` more cycles
    cdef Lock *L = lock_of(s, mp.lock_id)
    line_access(s, mp.core, L.line, ACC_WRITE)
    lock_release(s, L, s.now + s.step_acc + cost)
    mp.lock_id = 0
    return cost


cdef inline int64_t lock_after(M *mp, int32_t cont, int64_t cost) noexcept nogil:
    # acquire sched.lock after `cost` more cycles of work in this step
    mp.state = MS_LOCK
    mp.lock_cont = cont
    mp.lock_id = 0
    return cost


cdef inline int64_t unlock(State *s, M *mp, int64_t cost) noexcept nogil:
    # end the current critical section after `cost` more cycles (plus the cycles of the
    # accesses the step made so far, and of the releasing store itself)
    line_access(s, mp.core, s.schedlock.line, ACC_WRITE)
    lock_release(s, &s.schedlock, s.now + s.step_acc + cost)
    return cost


cdef inline int64_t wakep_begin(State *s, M *mp, int32_t mi, int32_t ret) noexcept nogil:
    # func wakep: "if nmspinning != 0 || !CAS(nmspinning, 0, 1) return", then lock and
    # pidlegetSpinning.  Returns NOT_STARTED when wakep returned at once; otherwise the M resumes
    # at `ret` when the wakep/startm sequence is over.
    s.c.wakep_calls += 1
    acc_sched(s, mp, SF_SPIN, ACC_READ)
    if s.sched.nmspinning != 0:
        return NOT_STARTED
    acc_sched(s, mp, SF_SPIN, ACC_RMW)
    s.c.cas_attempts += 1
    s.sched.nmspinning = 1          # pre-increment: the started M will be spinning
    ret_push(mp, ret)
    return take_lock(s, mp, mi, MS_WAKEP_LOCKED)


cdef int32_t newm(State *s) noexcept nogil:
    # func newm / mcommoninit: a new thread (M) with a fresh id
    cdef int32_t mi = s.sched.mnext
    cdef M *mp
    if mi >= s.maxmcount:
        fail(s, ERR_TOO_MANY_M, mi)
        return -1
    s.sched.mnext += 1
    mp = &s.allm[mi]
    m_init(s, mp, mi)
    mp.born = s.now                    # (core/observe.pxi: thread-time)
    s.c.newm += 1
    return mi


cdef void m_init(State *s, M *mp, int32_t mi) noexcept nogil:
    memset(mp, 0, sizeof(M))
    mp.id = mi
    mp.p = -1
    mp.nextp = -1
    mp.curg = -1
    mp.schedlink = -1
    mp.arg = -1
    mp.steal_victim = -1
    mp.steal_next = -1
    mp.lockedg = -1
    mp.core = mi % s.ncores            # until it first takes a P (acquirep places it)
    mp.state = MS_PARKED


cdef int32_t global_batch(State *s, M *mp, P *pp, int64_t *cost) noexcept nogil:
    # under sched.lock: globrunqget's batch into pp (one G for a global-only design), then
    # unlock; *cost is the critical section's cycles
    cdef int64_t k = s.c.globrunq_gets
    cdef int32_t gi = globrunqget(s, mp, pp, 1 if s.strat.global_only else 0)
    cost[0] = unlock(s, mp, s.cost.globrunq + (s.c.globrunq_gets - k) * s.cost.globrunq_per_g)
    return gi


cdef int64_t fr_top(State *s, M *mp, int32_t mi, int64_t cost) noexcept nogil:
    # findRunnable from the top: step 4 (fairness), then step 7 (runqget, first phase)
    cdef P *pp = &s.allp[mp.p]
    cdef int64_t gcc
    if s.gcwaiting:
        return take_lock(s, mp, mi, MS_GCSTOPM_LOCKED)   # step 0: gcstopm
    if s.gcs.fep_wait > 0 and s.gcs.p[mp.p].safepoint:
        gc_safepoint(s, mp.p)                 # runSafePointFn (forEachP; sched/gc.pxi)
        cost += s.cost.lock
    if timers_due(s, mp.p):
        mp.state = MS_TIMERS                  # step 1: checkTimers
        return cost
    if s.gcs.blacken:
        # "Try to schedule a GC worker" (findRunnableGCWorker), before the local run queue
        gcc = gc_find_worker(s, mp, mi, cost)
        if gcc != GC_NO_WORKER:
            return gcc
    if s.strat.global_only:
        mp.state = MS_FR_GLOBAL
        return cost
    if s.strat.fairness_tick > 0 and pp.schedtick % <uint32_t> s.strat.fairness_tick == 0:
        acc_sched(s, mp, SF_RUNQ, ACC_READ)
        if s.sched.runqsize > 0:
            return lock_after(mp, MS_FR_FAIR_LOCKED, cost)
    return fr_local(s, mp, pp, cost)


cdef int64_t fr_local(State *s, M *mp, P *pp, int64_t cost) noexcept nogil:
    # runqget, first phase: runnext (its CAS cannot need a retry: only thieves clear it), else
    # load runqhead; the CAS comes one step later.
    cdef int32_t gi = pp.runnext
    cost += s.cost.runqget
    acc_runnext(s, mp, pp, ACC_READ)
    if gi != -1:
        acc_runnext(s, mp, pp, ACC_RMW)
        s.c.cas_attempts += 1
        pp.runnext = -1
        return to_execute(mp, gi, 1, cost)
    acc_head(s, mp, pp, ACC_READ)            # LoadAcq(runqhead); runqtail: plain owner read
    acc_tail(s, mp, pp, ACC_READ)
    if pp.runqhead == pp.runqtail:
        mp.state = MS_FR_GLOBAL
        return cost
    # FIFO (Go): take the head; LIFO (ForkJoin deque): take the tail.  mp.get_h keeps the index
    # loaded now; the next step commits only if nobody moved it.
    mp.get_h = pp.runqtail if s.strat.local_lifo else pp.runqhead
    mp.state = MS_FR_LOCAL_CAS
    return cost


cdef int32_t next_victim(State *s, M *mp) noexcept nogil:
    # stealWork's walk: the next P to probe in this pass (skipping this P and idle Ps, as Go
    # skips them by idlepMask), or -1 when the pass is over.
    cdef int32_t vi, nprocs = s.sched.gomaxprocs, visits = nprocs, mysock, vsock
    if steal_walk_ok(s, mp):
        return steal_walk(s, mp)             # the stride orders, by idlepMask bits (steal.pxi)
    if s.strat.victim == VICTIM_SAME_SOCKET:
        visits = 2 * nprocs                  # one round on my socket, one on the others
    while mp.steal_i < visits:
        if mp.steal_pass == s.strat.steal_passes - 1 and s.kern.choose_victim == NULL:
            # stealTimersOrRunNextG: any P's expired timers are fair game on the last pass
            vi = mp.steal_pos
            if vi != mp.p and timers_due(s, vi):
                return vi
        if s.kern.choose_victim != NULL:
            vi = s.kern.choose_victim(mp.p, nprocs, mp.steal_pass, mp.steal_i, mp.steal_r,
                                      s.coprimes, s.ncoprimes)
            if vi == -1:
                return -1
            if vi < -1 or vi >= nprocs:
                kernel_fail(s, HOOK_VICTIM, vi if vi < -1 else -1000000 - vi)
                return -1
        elif s.strat.victim == VICTIM_RANDOM:
            vi = <int32_t> (cheaprand(s) % <uint32_t> nprocs)
        else:
            vi = mp.steal_pos
            mp.steal_pos += mp.steal_inc             # (steal_pos + steal_inc) % nprocs
            while mp.steal_pos >= nprocs:            # without a division (both are below
                mp.steal_pos -= nprocs               # nprocs but after a procresize)
            if s.strat.victim == VICTIM_SAME_SOCKET:
                if mp.steal_i == nprocs - 1:
                    mp.steal_pos = <int32_t> (mp.steal_r % <uint32_t> nprocs)  # restart
                if s.allp[vi].m >= 0:
                    mysock = socket_of(s, mp.core)
                    vsock = socket_of(s, s.allm[s.allp[vi].m].core)
                    if (vsock == mysock) != (mp.steal_i < nprocs):
                        mp.steal_i += 1
                        continue
        mp.steal_i += 1
        if vi != mp.p:
            acc_sched(s, mp, SF_IDLEPMASK, ACC_READ)
            if not s.allp[vi].idle:          # never steal from an idle P
                return vi
    return -1


cdef inline bint runnext_backoff(State *s, P *victim) noexcept nogil:
    # runqgrab: usleep(3) before stealing runnext only when "pp.status == _Prunning", "mp :=
    # pp.m.ptr(); mp != nil" and "gp := mp.curg; gp == nil || readgstatus(gp)&^_Gscan !=
    # _Gsyscall": not when the victim's M is in a syscall (its P cannot schedule runnext
    # soon), nor when the running P has no M
    cdef M *vm
    if victim.status != _Prunning or victim.m < 0:
        return False
    vm = &s.allm[victim.m]
    return vm.curg < 0 or getg(s, vm.curg).status != _Gsyscall


cdef int64_t steal_probe(State *s, M *mp, int32_t vi) noexcept nogil:
    # MS_STEAL_PROBE: runqgrab's retry on the same victim
    return runqgrab_probe(s, mp, vi)


cdef inline int64_t runqgrab_probe(State *s, M *mp, int32_t vi) noexcept nogil:
    # runqgrab's first phase on victim vi: load head and tail, decide how many to take, copy
    # the G pointers.  The CAS that commits the grab is the next step (MS_STEAL_CAS).  (Inline
    # in stealwork_victim: one call per probe less.)
    cdef P *pp = &s.allp[mp.p]
    cdef P *victim = &s.allp[vi]
    cdef uint32_t h, t, ln, n
    cdef int32_t k
    if mp.steal_pass == s.strat.steal_passes - 1 and timers_due(s, vi):
        # run the victim's expired timers: their Gs are readied onto this P
        k = run_due_timers(s, mp, vi)
        ret_push(mp, MS_FR_TOP)
        mp.state = MS_AFTERPUT
        return s.cost.steal_probe + k * s.cost.ready
    s.c.steal_attempts += 1
    s.pstats[mp.p].steal_attempts += 1
    acc_head(s, mp, victim, ACC_READ)         # LoadAcq(runqhead), LoadAcq(runqtail)
    acc_tail(s, mp, victim, ACC_READ)
    h = victim.runqhead
    t = victim.runqtail
    ln = t - h
    if s.kern.steal_amount != NULL:
        k = s.kern.steal_amount(<int32_t> ln, pp.id, vi, s.strat.ring_cap)
        if k < 0 or <uint32_t> k > ln:
            kernel_fail(s, HOOK_AMOUNT, k if k < 0 else -1000000 - k)
            return -1
        n = <uint32_t> k
    elif s.strat.steal_amount == STEAL_HALF:
        n = ln - ln // 2
    elif s.strat.steal_amount == STEAL_ONE:
        n = 1 if ln > 0 else 0
    elif s.strat.steal_amount == STEAL_ALL_BUT_ONE:
        n = ln - 1 if ln > 1 else 0
    else:
        n = ln if ln < <uint32_t> s.strat.steal_batch else <uint32_t> s.strat.steal_batch
    mp.steal_victim = vi
    if n == 0:
        if (s.strat.steal_runnext and mp.steal_pass == s.strat.steal_passes - 1):
            acc_runnext(s, mp, victim, ACC_READ)
            if victim.runnext != -1:
                mp.steal_next = victim.runnext
                mp.state = MS_STEAL_RUNNEXT
                if runnext_backoff(s, victim):
                    # usleep(3): the victim is probably about to run it (runqgrab)
                    s.cpu_sleep = 1             # (a nanosleep: off its core, cpu.pxi)
                    return s.cost.steal_probe + s.cost.runnext_backoff
                return s.cost.steal_probe
        mp.state = MS_STEAL_VICTIM
        return s.cost.steal_probe
    # copy the G pointers out of the victim's ring (oldest n, or newest n from the tail)
    acc_slots(s, mp, victim, t - n if s.strat.steal_tail else h, n, ACC_READ)
    mp.steal_h = h
    mp.steal_t = t
    mp.steal_n = n
    mp.steal_len = ln
    mp.state = MS_STEAL_CAS
    return s.cost.steal_probe + <int64_t> n * s.cost.steal_per_g


cdef int64_t checkrunqs(State *s, M *mp, int64_t cost) noexcept nogil:
    # checkRunqsNoP: any non-idle P with local work?  Then get an idle P and spin again.
    cdef int32_t pi
    for pi in range(s.sched.gomaxprocs):
        cost += s.cost.steal_probe
        if not s.allp[pi].idle:
            acc_head(s, mp, &s.allp[pi], ACC_READ)
            acc_tail(s, mp, &s.allp[pi], ACC_READ)
            acc_runnext(s, mp, &s.allp[pi], ACC_READ)
        # work a thief could take: the ring, and runnext only where thieves may take it
        # (with a private LIFO slot, as Tokio's, counting it would spin Ms up for nothing)
        if not s.allp[pi].idle and (s.allp[pi].runqhead != s.allp[pi].runqtail or
                                    (s.strat.steal_runnext and s.allp[pi].runnext != -1)):
            return lock_after(mp, MS_CHECKRUNQS_LOCKED, cost)
    return lock_after(mp, MS_STOPM_LOCKED, cost)


cdef void startm_wake(State *s, M *mp, int32_t pi, int32_t spinning,
                      int64_t when) noexcept nogil:
    # startm's second half (sched.lock held): an idle M, or a new thread, gets pi as nextp
    startm_wake_m(s, mp, mget(s, mp), pi, spinning, when)


cdef void startm_wake_m(State *s, M *mp, int32_t nmi, int32_t pi, int32_t spinning,
                        int64_t when) noexcept nogil:
    # wake idle M nmi (or, if -1, a new thread) with pi as nextp
    cdef int64_t delay = s.cost.futex_wake
    cdef M *nmp
    if nmi == -1:
        nmi = newm(s)
        if nmi < 0:
            return
        delay = s.cost.newm
        s.allm[nmi].idle_since = when + delay     # a new thread was never asleep
    nmp = &s.allm[nmi]
    nmp.nextp = pi
    nmp.spinning = spinning
    nmp.state = MS_WAKE
    s.c.startm += 1
    m_push(s, when + delay, nmi)


cdef int64_t stopm_park(State *s, M *mp, int32_t mi) noexcept nogil:
    # stopm's end, sched.lock held: mput, unlock, sleep on m.park until startm
    mput(s, mi)
    mp.idle_since = s.now + unlock(s, mp, s.cost.lock)
    mp.state = MS_PARKED
    s.c.stopm += 1
    return -1


cdef inline int64_t stw_start_step(State *s, M *mp, int32_t mi) noexcept nogil:
    # the world is stopped (for a GOMAXPROCS change): procresize, start it, go on
    start_the_world(s)
    mp.state = MS_RUN
    return s.cost.lock + s.sched.gomaxprocs * s.cost.wakep


cdef inline int64_t rtlock_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # a runtime lock granted: hold it for the instruction's distribution, then unlock
    cdef G *gp
    cdef int64_t k
    lock_granted(s, &s.locks[mp.lock_id], mi)
    gp = getg(s, mp.curg)
    k = sample_dist(s, s.code[gp.pc * INSTR_WIDTH + 2])
    gp.pc += 1
    acc_add(s, &s.pstats[mp.p].busy_cycles, k, OVF_BUSY)
    mp.state = MS_RUN
    return unlock_id(s, mp, k)


cdef inline int64_t fr_fair_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 4 under sched.lock: one G from the global queue (schedtick % 61)
    cdef int32_t gi
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    gi = globrunqget(s, mp, &s.allp[mp.p], 1)
    cost = unlock(s, mp, s.cost.globrunq + s.cost.globrunq_per_g)
    if gi != -1:
        s.c.fairness_gets += 1
        return to_execute(mp, gi, 0, cost)
    return fr_local(s, mp, &s.allp[mp.p], cost)


cdef inline int64_t runqget_cas(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 7, runqget: the CAS on runqhead (or, LIFO owner, the pop of the tail)
    cdef P *pp
    cdef int32_t gi
    pp = &s.allp[mp.p]
    s.c.cas_attempts += 1
    if s.strat.local_lifo:
        # pop the newest: runqtail-1, unless a thief took it (head passed it)
        acc_slot(s, mp, pp, mp.get_h - 1, ACC_READ)
        acc_tail(s, mp, pp, ACC_WRITE)
        acc_head(s, mp, pp, ACC_READ)
        if pp.runqtail == mp.get_h and <int32_t> (mp.get_h - 1 - pp.runqhead) >= 0:
            gi = ring(s, pp)[(mp.get_h - 1) & s.ring_mask]
            pp.runqtail = mp.get_h - 1
            return to_execute(mp, gi, 0, s.cost.runqget)
    else:
        acc_slot(s, mp, pp, mp.get_h, ACC_READ)
        acc_head(s, mp, pp, ACC_RMW)
        # CasRel(runqhead, h, h+1); the ring must still hold h (tail-stealing thieves)
        if pp.runqhead == mp.get_h and pp.runqtail != mp.get_h:
            gi = ring(s, pp)[mp.get_h & s.ring_mask]
            pp.runqhead = mp.get_h + 1
            return to_execute(mp, gi, 0, s.cost.runqget)
    s.c.cas_failures += 1
    s.c.runqget_cas_fail += 1          # a thief moved runqhead since our load
    s.pstats[pp.id].cas_fail += 1
    mp.state = MS_FR_LOCAL
    return s.cost.runqget


cdef inline int64_t fr_global(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 8: anything on the global queue? (else step 9's netpoll, step 10)
    acc_sched(s, mp, SF_RUNQ, ACC_READ)
    if s.sched.runqsize > 0:
        return take_lock(s, mp, mi, MS_FR_GLOBAL_LOCKED)
    if s.netpoll_waiters > 0 and s.poller == -1 and netpoll_due(s):
        return netpoll_findrunnable(s, mp, mi)      # step 9: netpoll(0)
    mp.state = MS_FR_SPIN
    return 0


cdef inline int64_t fr_global_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 8 under sched.lock: globrunqget a batch
    cdef int32_t gi
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    gi = global_batch(s, mp, &s.allp[mp.p], &cost)
    if gi != -1:
        return to_execute(mp, gi, 0, cost)
    mp.state = MS_FR_SPIN
    return cost


cdef inline int64_t fr_spin(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 10: spin only if already spinning or spinning Ms < half the busy Ps
    if s.strat.steal and not mp.spinning:
        acc_sched(s, mp, SF_SPIN, ACC_READ)
        acc_sched(s, mp, SF_IDLE, ACC_READ)
    if s.strat.steal and (mp.spinning or s.sched.nmspinning * 100 <
                          s.strat.spin_pct * (s.sched.gomaxprocs - s.sched.npidle)):
        if not mp.spinning:
            becomeSpinning(s, mp)
        mp.steal_pass = 0
        mp.state = MS_STEAL_PASS
        return 0
    return fr_nothing(s, mp, mi)


cdef inline int64_t fr_nothing(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable, "We have nothing to do": idle-time marking in the GC mark phase
    # (sched/gc.pxi), else step 14 (return the P and block)
    cdef int64_t c
    if s.gcs.blacken:
        c = gc_idle_worker(s, mp, mi)
        if c != GC_NO_WORKER:
            return c
    return take_lock(s, mp, mi, MS_FR_IDLE_LOCKED)


cdef inline int64_t stealwork_pass(State *s, M *mp, int32_t mi) noexcept nogil:
    # stealWork: start of a pass (stealOrder.start(cheaprand())); gcwaiting is checked per
    # victim, in stealwork_victim, as Go checks it inside the enum loop
    cdef uint32_t r
    if mp.steal_pass >= s.strat.steal_passes:
        return fr_nothing(s, mp, mi)
    # stealOrder.start(cheaprand()): a random start and a random stride coprime to nprocs
    r = cheaprand(s)
    mp.steal_r = r
    mp.steal_i = 0
    mp.steal_walk = s.sched.gomaxprocs       # (sched/steal.pxi's walk; no inverse yet)
    if s.strat.victim == VICTIM_ROUND_ROBIN:
        mp.steal_pos = (mp.p + 1) % s.sched.gomaxprocs
        mp.steal_inc = 1
    else:
        mp.steal_pos = <int32_t> (r % <uint32_t> s.sched.gomaxprocs)
        if s.strat.victim == VICTIM_SEQUENTIAL:
            mp.steal_inc = 1
        else:
            mp.steal_inc = s.coprimes[(r // <uint32_t> s.sched.gomaxprocs) %
                                      <uint32_t> s.ncoprimes]
    mp.state = MS_STEAL_VICTIM
    return s.cost.spin_pass


cdef int64_t stealwork_victim(State *s, M *mp, int32_t mi) noexcept nogil:
    # stealWork: the next victim of the pass, probed by runqgrab
    cdef int32_t pi
    if s.gcwaiting and mp.steal_i < s.sched.gomaxprocs:
        # proc.go stealWork: "if sched.gcwaiting.Load() { return ... newWork=true }" at every
        # position of the stealOrder walk (not once per pass): a stop-the-world that begins
        # while this M walks the Ps stops its stealing at the next victim
        s.c.steal_gcwaiting += 1
        mp.state = MS_FR_TOP
        return 0
    pi = next_victim(s, mp)
    if pi < 0:
        mp.steal_pass += 1
        mp.state = MS_STEAL_PASS
        return 0
    return runqgrab_probe(s, mp, pi)


cdef inline int64_t runqgrab_cas(State *s, M *mp, int32_t mi) noexcept nogil:
    # runqgrab: CAS the victim's runqhead (runqtail when stealing from the tail)
    cdef P *pp
    cdef P *victim
    cdef int32_t gi
    cdef bint ok
    pp = &s.allp[mp.p]
    victim = &s.allp[mp.steal_victim]
    s.c.cas_attempts += 1
    if s.strat.steal_tail:
        # CAS runqtail t -> t-n; the n Gs must still be there (the owner takes from the
        # head, and runqput moves the tail)
        acc_tail(s, mp, victim, ACC_RMW)
        ok = (victim.runqtail == mp.steal_t and
              <int32_t> (mp.steal_t - mp.steal_n - victim.runqhead) >= 0)
    else:
        # CasRel(runqhead, h, h+n); with a LIFO owner the n Gs must still be there
        acc_head(s, mp, victim, ACC_RMW)
        ok = (victim.runqhead == mp.steal_h and
              <int32_t> (victim.runqtail - mp.steal_h - mp.steal_n) >= 0)
    if ok:
        if s.record:
            record_steal(s, pp.id, victim.id, mp.steal_n, mp.steal_len, 0)
        trace_ev(s, TE_STEAL, 0, victim.id, pp.id, mp.id, mp.steal_n)
        gi = runq_move(s, mp, pp, victim, mp.steal_t - mp.steal_n if s.strat.steal_tail
                       else mp.steal_h, mp.steal_n)
        s.c.steals += 1
        s.c.stolen_gs += mp.steal_n
        s.pstats[pp.id].steals += 1
        s.pstats[pp.id].stolen += mp.steal_n
        s.pstats[victim.id].stolen_from += mp.steal_n
        return to_execute(mp, gi, 0, s.cost.steal_cas)
    s.c.steal_cas_fail += 1            # the owner or another thief got there first: retry
    s.c.cas_failures += 1
    s.pstats[pp.id].cas_fail += 1
    mp.state = MS_STEAL_PROBE
    return s.cost.steal_cas


cdef inline int64_t runqgrab_runnext(State *s, M *mp, int32_t mi) noexcept nogil:
    # runqgrab: CAS the victim's runnext (last pass only)
    cdef P *pp
    cdef P *victim
    pp = &s.allp[mp.p]
    victim = &s.allp[mp.steal_victim]
    acc_runnext(s, mp, victim, ACC_RMW)
    s.c.cas_attempts += 1
    if mp.steal_next != -1 and victim.runnext == mp.steal_next:
        victim.runnext = -1
        if s.record:
            record_steal(s, pp.id, victim.id, 1, 0, 1)
        trace_ev(s, TE_STEAL, 0, victim.id, pp.id, mp.id, 1)
        s.c.steals += 1
        s.c.stolen_gs += 1
        s.c.runnext_steals += 1
        s.pstats[pp.id].steals += 1
        s.pstats[pp.id].stolen += 1
        s.pstats[victim.id].stolen_from += 1
        return to_execute(mp, mp.steal_next, 0, s.cost.steal_cas)
    s.c.steal_cas_fail += 1
    s.c.cas_failures += 1
    s.pstats[pp.id].cas_fail += 1
    mp.state = MS_STEAL_PROBE         # runqgrab retries: re-read the victim
    return s.cost.steal_cas


cdef inline int64_t fr_idle_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t gi
    cdef int64_t cost
    # step 14: last look at the global queue under the lock, then give up the P
    lock_granted(s, &s.schedlock, mi)
    if s.gcwaiting or (s.gcs.fep_wait > 0 and s.gcs.p[mp.p].safepoint):
        mp.state = MS_FR_TOP               # "if gcwaiting || pp.runSafePointFn: goto top"
        return unlock(s, mp, s.cost.lock)
    acc_sched(s, mp, SF_RUNQ, ACC_READ)
    if s.sched.runqsize > 0:
        gi = global_batch(s, mp, &s.allp[mp.p], &cost)
        return to_execute(mp, gi, 0, cost)
    if not mp.spinning and s.sched.needspinning == 1:
        becomeSpinning(s, mp)          # the "delicate dance": someone needs a spinner
        mp.state = MS_FR_TOP           # goto top
        return unlock(s, mp, s.cost.lock)
    pidleput(s, mp, releasep(s, mi))
    mp.wasSpinning = mp.spinning
    mp.state = MS_FR_DROP
    return unlock(s, mp, s.cost.lock)


cdef inline int64_t fr_drop(State *s, M *mp, int32_t mi) noexcept nogil:
    # step 15: a spinning M that dropped its P re-checks everything (StoreLoad dance)
    if mp.wasSpinning:
        if mp.spinning:
            stopSpinning(s, mp)
        acc_sched(s, mp, SF_RUNQ, ACC_READ)
        if s.sched.runqsize > 0:
            return take_lock(s, mp, mi, MS_FR_DROP_LOCKED)
        if s.strat.steal:                 # other Ps' rings are work only for thieves
            return checkrunqs(s, mp, 0)
    return take_lock(s, mp, mi, MS_STOPM_LOCKED)


cdef inline int64_t fr_drop_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # findRunnable step 15 under sched.lock: pidlegetSpinning + global batch
    cdef int32_t gi
    cdef int32_t pi
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    if s.sched.runqsize > 0:
        pi = pidlegetSpinning(s, mp)
        if pi != -1:
            acquirep(s, mi, pi)
            gi = global_batch(s, mp, &s.allp[pi], &cost)
            becomeSpinning(s, mp)
            return to_execute(mp, gi, 0, cost)
    cost = unlock(s, mp, s.cost.lock)
    if s.strat.steal:
        return checkrunqs(s, mp, cost)
    return lock_after(mp, MS_STOPM_LOCKED, cost)


cdef inline int64_t checkrunqs_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # checkRunqsNoP under sched.lock: take an idle P to steal with
    cdef int32_t pi
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    pi = pidleget_timers(s, mp)           # after netpoll: the P whose timer fired, if idle
    if pi == -1:
        pi = pidlegetSpinning(s, mp)
    cost = unlock(s, mp, s.cost.lock)
    if pi != -1:
        acquirep(s, mi, pi)
        becomeSpinning(s, mp)
        mp.state = MS_FR_TOP
        return cost
    return lock_after(mp, MS_STOPM_LOCKED, cost)


cdef inline int64_t stopm_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # stopm under sched.lock: mput and park (or block in netpoll)
    lock_granted(s, &s.schedlock, mi)
    if become_poller(s, mp, mi):
        # block in netpoll until the next timer instead of sleeping on m.park
        unlock(s, mp, s.cost.lock)
        return -1
    return stopm_park(s, mp, mi)


cdef inline int64_t mwake(State *s, M *mp, int32_t mi) noexcept nogil:
    # woken by startm (or a new thread's mstart): acquirep(nextp), then findRunnable
    # asleep from the end of stopm's unlock (idle_since); a waker that took the M off
    # midle before that found it awake: no idle time (not a negative one)
    if s.now > mp.idle_since:
        acc_add(s, &s.c.idle_cycles, s.now - mp.idle_since, OVF_IDLE)
    acquirep(s, mi, mp.nextp)
    mp.nextp = -1
    if mp.spinning:
        mp.spin_since = s.now
    return fr_top(s, mp, mi, 0)


cdef inline int64_t execute_step(State *s, M *mp, int32_t mi) noexcept nogil:
    # schedule's end: resetspinning (+wakep), then execute(gp)
    cdef int64_t cost
    if mp.spinning:
        # resetspinning: the last spinner to find work starts a replacement (wakep)
        stopSpinning(s, mp)
        cost = wakep_begin(s, mp, mi, MS_EXECUTE)
        if cost != NOT_STARTED:
            return cost
    if s.gsync_cap > 0 and s.gsync[mp.arg].lockedm >= 0 and s.gsync[mp.arg].lockedm != mi:
        return startlockedm(s, mp, mi, mp.arg)     # the G runs only on its M (lockos.pxi)
    return execute(s, mp, mi)


cdef inline int64_t afterput(State *s, M *mp, int32_t mi) noexcept nogil:
    # after runqput (newproc, ready, Gosched): put the Gs bound for the global queue under
    # one sched.lock, then wakep, then return
    if mp.gbatch_n > 0:
        return take_lock(s, mp, mi, MS_GLOBPUT_LOCKED)
    s.c.wakep_calls += 1
    acc_sched(s, mp, SF_SPIN, ACC_READ)
    if s.sched.nmspinning == 0:
        acc_sched(s, mp, SF_SPIN, ACC_RMW)
        s.c.cas_attempts += 1
        s.sched.nmspinning = 1
        return take_lock(s, mp, mi, MS_WAKEP_LOCKED)
    mp.state = ret_pop(mp)
    return 0


cdef inline int64_t globput_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # globrunqputbatch under sched.lock
    cdef int64_t k, cost
    lock_granted(s, &s.schedlock, mi)
    k = mp.gbatch_n
    globrunqputbatch(s, mp, mp.gbatch_head, mp.gbatch_tail, mp.gbatch_n)
    mp.gbatch_n = 0
    mp.gbatch_head = -1
    mp.gbatch_tail = -1
    mp.state = MS_AFTERPUT
    cost = unlock(s, mp, s.cost.globrunq + k * s.cost.globrunq_per_g)
    if mp.gbatch_startidle > 0:
        # injectglist's startIdle(n): an M for each idle P, for the Gs just put globally
        start_idle(s, mp, mp.gbatch_startidle, s.now + s.step_acc + cost)
        mp.gbatch_startidle = 0
    return cost


cdef inline int64_t wakep_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # wakep under sched.lock: pidlegetSpinning
    cdef int32_t pi
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    pi = pidlegetSpinning(s, mp)
    cost = unlock(s, mp, s.cost.lock)
    if pi == -1:
        acc_sched(s, mp, SF_SPIN, ACC_RMW)
        s.sched.nmspinning -= 1        # nobody to wake: undo the pre-increment
        mp.state = ret_pop(mp)
        return cost
    s.c.wakep_started += 1
    mp.startm_p = pi
    return lock_after(mp, MS_STARTM_LOCKED, cost)


cdef inline int64_t startm_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    # startm under sched.lock: mget, then wake or create an M
    cdef int64_t cost
    lock_granted(s, &s.schedlock, mi)
    cost = unlock(s, mp, s.cost.lock)
    startm_wake(s, mp, mp.startm_p, 1, s.now + s.step_acc + cost)
    mp.state = ret_pop(mp)
    return cost


cdef int64_t execute(State *s, M *mp, int32_t mi) noexcept nogil:
    # func execute: the G becomes _Grunning on this M; schedtick counts only Gs that do not
    # inherit the time slice (runnext).
    cdef int32_t gi = mp.arg
    cdef G *gp = getg(s, gi)
    cdef P *pp = &s.allp[mp.p]
    acc_g(s, mp, gi, ACC_WRITE)
    gp.status = _Grunning
    runnable_delta(s, -1)                # (core/observe.pxi)
    gp.m = mi
    gp.flags &= ~G_FLAG_PREEMPT             # execute: gp.preempt = false
    mp.curg = gi
    mp.arg = -1
    if mp.arg2:
        s.c.executes_inherit += 1
    else:
        pp.schedtick += 1
    s.c.executes += 1
    s.pstats[pp.id].executes += 1
    hist_add(s, s.now - gp.runnable_since)
    trace_ev(s, TE_GO_START, gp.goid, 0, pp.id, mi, mp.arg2)
    if not (gp.flags & G_FLAG_STARTED):
        gp.flags |= G_FLAG_STARTED
        if s.record and not (gp.flags & G_FLAG_SYSTEM):
            record_start(s, gp.goid)
    mp.state = MS_RUN
    if s.cost.g_cold:
        s.step_acc += g_touch(s, gi, True)    # its lines, cold after a long wait (footprint.pxi)
    return s.cost.execute
