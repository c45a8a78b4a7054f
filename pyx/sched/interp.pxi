# The goroutine side: a G's bytecode, interpreted by the M running it (MS_RUN).  Each
# instruction that models Go runtime work (newproc, goexit, gopark, goready, Gosched) follows
# the runtime function named in its comment; compute is user code and only advances time.

cdef enum:
    ZERO_COST_BUDGET = 64    # zero-cost instructions run in one step, at most this many
    GOID_CACHE_BATCH = 16    # runtime2.go _GoidCacheBatch


cdef inline int64_t goid_next(State *s) noexcept nogil:
    # a goid straight from sched.goidgen: main, the runtime's goroutines at start-up, arrivals
    s.sched.goidgen += 1
    return s.sched.goidgen


cdef void ginit(State *s, G *gp, int64_t goid, int32_t pc, int64_t parent_goid,
                int32_t spawn_index, int32_t gopc) noexcept nogil:
    # a G record made _Grunnable for a new goroutine (newproc1; arrivals; the runtime's own at
    # start-up).  cowner is left alone: a recycled G's descriptor is still in some cache.
    gp.goid = goid
    gp.runnable_since = s.now
    gp.parent_goid = parent_goid
    gp.schedlink = -1
    gp.pc = pc
    gp.m = -1
    gp.spawn_index = spawn_index
    gp.gopc = gopc
    gp.waiting_on = -1
    gp.status = _Grunnable
    runnable_delta(s, 1)                 # (core/observe.pxi)
    gp.waitreason = waitReasonZero
    gp.loopdepth = 0
    gp.flags = 0
    # (val and wait_start, in side tables, were cleared when the slot's last G died: gfput)


cdef inline int64_t newgoid(State *s, M *mp, P *pp) noexcept nogil:
    # newproc1: goids come from per-P batches of _GoidCacheBatch = 16 reserved with one atomic
    # add on sched.goidgen, so with several Ps the ids of consecutive goroutines interleave
    # by batches
    cdef int64_t goid
    if pp.goidcache <= 0:
        acc_sched(s, mp, SF_GOID, ACC_RMW)   # sched.goidgen.Add(_GoidCacheBatch)
        s.sched.goidgen += GOID_CACHE_BATCH
        pp.goidnext = s.sched.goidgen - GOID_CACHE_BATCH + 1
        pp.goidcache = GOID_CACHE_BATCH
    pp.goidcache -= 1
    goid = pp.goidnext
    pp.goidnext += 1
    return goid


cdef inline void goid_startup(State *s) noexcept nogil:
    # main and the runtime's own goroutines took the first goids of P0's first batch (Go's
    # rt0 newproc on P0); P0 continues that batch
    cdef P *p0 = &s.allp[0]
    if s.sched.goidgen < GOID_CACHE_BATCH:
        p0.goidnext = s.sched.goidgen + 1
        p0.goidcache = <int32_t> (GOID_CACHE_BATCH - s.sched.goidgen)
        s.sched.goidgen = GOID_CACHE_BATCH


cdef inline int64_t deadline_of(State *s, int32_t gi) noexcept nogil:
    return s.deadlines[gi] if s.deadlines_cap > 0 else 0


cdef inline void count_created(State *s) noexcept nogil:
    s.c.goroutines_created += 1
    s.sched.ngoroutines += 1
    if s.sched.ngoroutines > s.c.max_live:
        s.c.max_live = s.sched.ngoroutines


cdef void gwake(State *s, M *mp, int32_t gi) noexcept nogil:
    # _Gwaiting -> _Grunnable (ready, injectglist's casgstatus), made by M mp; the caller puts
    # the G on a run queue
    cdef G *gp = getg(s, gi)
    acc_g(s, mp, gi, ACC_WRITE)
    gp.status = _Grunnable
    runnable_delta(s, 1)                 # (core/observe.pxi)
    gp.waitreason = waitReasonZero
    gp.waiting_on = -1
    gp.runnable_since = s.now
    gp.schedlink = -1
    trace_ev(s, TE_GO_UNBLOCK, gp.goid, getg(s, mp.curg).goid if mp.curg >= 0 else 0, mp.p,
             mp.id, 0)
    s.c.readies += 1


cdef void goready1(State *s, M *mp, int32_t gi) noexcept nogil:
    # goready(gp): _Gwaiting -> _Grunnable, runqput(current P, gp, next=true).  The caller
    # follows with MS_AFTERPUT (the global-queue flush and wakep).
    gwake(s, mp, gi)
    runqput(s, mp, &s.allp[mp.p], gi, PUT_READY)


cdef void gstop(State *s, M *mp, int32_t gi, int32_t reason) noexcept nogil:
    # the running G stops but stays runnable (Gosched, preemption, goyield); the caller
    # queues it and goes back to schedule
    cdef G *gp = getg(s, gi)
    acc_g(s, mp, gi, ACC_WRITE)
    trace_ev(s, TE_GO_STOP, gp.goid, 0, mp.p, mp.id, reason)
    gp.status = _Grunnable
    runnable_delta(s, 1)                 # (core/observe.pxi)
    gp.runnable_since = s.now
    gp.m = -1
    mp.curg = -1


cdef int32_t newproc(State *s, M *mp, P *pp, int32_t fn, int32_t parent) noexcept nogil:
    # func newproc / newproc1: gfget or malg, then runqput(pp, newg, next=true)
    cdef int32_t gi = gfget(s, pp)
    cdef G *gp
    cdef G *par
    if gi == -1:
        gi = allocg(s)
        if gi < 0:
            return -1
        s.step_acc += g_created(s, True, gi)     # malg: a new G and stack (footprint.pxi)
    else:
        s.step_acc += g_created(s, False, gi)    # a reuse, cold past the caches' reach
    acc_g(s, mp, gi, ACC_WRITE)
    gp = getg(s, gi)
    par = getg(s, parent)
    # the OP_GO being executed is at par.pc - 1 (pc already advanced)
    ginit(s, gp, newgoid(s, mp, pp), s.func_entry[fn], par.goid,
          g_iter(s, parent, par), par.pc - 1)
    if s.deadlines_cap > 0:
        s.deadlines[gi] = s.deadlines[parent]     # the context is passed to the goroutine
    count_created(s)
    trace_ev(s, TE_GO_CREATE, gp.goid, par.goid, pp.id, mp.id, fn + 1)
    runqput(s, mp, pp, gi, PUT_NEWPROC)
    return gi


cdef int64_t goready_all(State *s, M *mp, WaitGroup *w) noexcept nogil:
    # semrelease for every waiter, FIFO (sema.go dequeues the first waiter each time); each
    # goready puts the G in the current P's runnext, kicking the previous one to the ring tail.
    cdef int32_t gi
    cdef int64_t k = 0
    while w.waithead != -1:
        gi = w.waithead
        w.waithead = getg(s, gi).schedlink
        getg(s, gi).schedlink = -1
        goready1(s, mp, gi)
        k += 1
    w.waittail = -1
    w.nwait = 0
    return k


cdef int64_t goexit(State *s, M *mp, int32_t mi, int32_t gi) noexcept nogil:
    # goexit0 / gdestroy: _Gdead, gfput, schedule.  main returning ends the program (exit(0)).
    cdef G *gp = getg(s, gi)
    acc_g(s, mp, gi, ACC_WRITE)
    trace_ev(s, TE_GO_END, gp.goid, 0, mp.p, mp.id, 0)
    gp.status = _Gdead
    gp.m = -1
    mp.curg = -1
    if s.gcs.on:
        gc_gexit(s, gi)                      # its allocations become garbage (sched/gc.pxi)
    if not (gp.flags & G_FLAG_SYSTEM):
        s.c.goroutines_finished += 1
        s.sched.ngoroutines -= 1
    if gi == s.maing:
        s.status = ST_OK
        return -1
    frame_clear(s, gi)                   # (DSL locals: a reused G starts with a zero frame)
    gfput(s, &s.allp[mp.p], gi)
    mp.state = MS_SCHEDULE
    return s.cost.goexit


cdef inline void gopark(State *s, M *mp, G *gp, int32_t reason, int32_t obj) noexcept nogil:
    # gopark / park_m: _Grunning -> _Gwaiting, dropg
    acc_g(s, mp, mp.curg, ACC_WRITE)
    trace_ev(s, TE_GO_BLOCK, gp.goid, obj, mp.p, mp.id, reason)
    gp.status = _Gwaiting
    gp.runnable_since = s.now               # while parked: when it parked (Go's waitsince)
    gp.waitreason = <uint8_t> reason
    gp.waiting_on = obj
    gp.m = -1
    mp.curg = -1
    mp.state = MS_SCHEDULE
    s.c.parks += 1


cdef int64_t interp(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    cdef const int32_t *ins
    cdef int32_t op, a, b, budget = ZERO_COST_BUDGET
    cdef int64_t n
    cdef int32_t *it
    cdef WaitGroup *w
    if gp.flags & (G_FLAG_RESUME | G_FLAG_PREEMPT):
        if gp.flags & G_FLAG_PREEMPT:
            return gopreempt(s, mp, mi)          # a preemption request reached a safe point
        gp.flags &= ~G_FLAG_RESUME               # resume a compute that was preempted
        n = g_wait(s, gi)
        g_wait_set(s, gi, 0)
        # the rest of the work runs here, on this P (preemptone took it off the P that
        # started it: without this, a second preemption made busy_cycles negative)
        acc_add(s, &s.pstats[mp.p].busy_cycles, n, OVF_BUSY)
        mp.in_compute = 1
        mp.compute_end = s.now + n
        return n
    while budget > 0:
        budget -= 1
        if gp.pc < 0 or gp.pc >= s.ncode:
            fail(s, ERR_BAD_PC, gp.pc)
            return -1
        ins = &s.code[gp.pc * INSTR_WIDTH]
        op = ins[0]
        a = ins[1]
        b = ins[2]

        if op == OP_COMPUTE:
            n = sample_dist(s, a)
            gp.pc += 1
            acc_add(s, &s.pstats[mp.p].busy_cycles, n, OVF_BUSY)
            mp.in_compute = 1
            mp.compute_end = s.now + n
            return n

        elif op == OP_GO:
            gp.pc += 1
            if newproc(s, mp, &s.allp[mp.p], a, gi) < 0:
                return -1
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT           # runqputslow's lock, then wakep
            return s.cost.newproc

        elif op == OP_WG_ADD:
            w = &s.wgs[a]
            acc_wg(s, mp, a, ACC_RMW)
            w.counter += b
            gp.pc += 1
            # waitgroup.go Add: the counter is an int32 (state >> 32), so going past 2^31-1
            # wraps negative and panics the same way
            if w.counter < 0 or w.counter > 2147483647:
                fail(s, ERR_WG_NEGATIVE, a)
                return -1
            if w.counter == 0 and w.waithead != -1:
                n = goready_all(s, mp, w)
                ret_push(mp, MS_RUN)
                mp.state = MS_AFTERPUT
                return s.cost.wg + n * s.cost.ready
            if s.cost.wg > 0:
                return s.cost.wg

        elif op == OP_WG_WAIT:
            w = &s.wgs[a]
            acc_wg(s, mp, a, ACC_READ)
            gp.pc += 1
            if w.counter == 0:
                if s.cost.wg > 0:
                    return s.cost.wg
                continue
            gp.schedlink = -1
            acc_wg(s, mp, a, ACC_RMW)         # register as a waiter (CAS on the state word)
            if w.waittail == -1:
                w.waithead = gi
            else:
                acc_g(s, mp, w.waittail, ACC_WRITE)
                getg(s, w.waittail).schedlink = gi
            w.waittail = gi
            w.nwait += 1
            gopark(s, mp, gp, waitReasonSyncWaitGroupWait, a)
            return s.cost.park

        elif op == OP_MARK:
            gp.pc += 1
            if s.record and not record_mark(s, gi, gp, a, mp.p):
                return -1
            if s.cost.mark > 0:
                return s.cost.mark

        elif op == OP_LOOP:
            if a <= 0:
                gp.pc = b + 1
            else:
                it = loopiter_at(s, gi, gp, gp.loopdepth)
                if it == NULL:
                    return -1
                it[0] = 0
                gp.loopdepth += 1
                gp.pc += 1

        elif op == OP_ENDLOOP:
            it = loopiter_at(s, gi, gp, gp.loopdepth - 1)   # (allocated by its OP_LOOP)
            it[0] += 1
            if it[0] < s.code[a * INSTR_WIDTH + 1]:
                gp.pc = a + 1
            else:
                gp.loopdepth -= 1
                gp.pc += 1

        elif op == OP_GOSCHED:
            # gosched_m -> goschedImpl: _Grunnable, global queue tail, wakep, schedule
            gp.pc += 1
            gstop(s, mp, gi, 1)
            gbatch_add(s, mp, gi)
            ret_push(mp, MS_SCHEDULE)
            mp.state = MS_AFTERPUT
            return s.cost.gosched

        elif op == OP_EXIT:
            return goexit(s, mp, mi, gi)

        elif op == OP_CHAN_SEND or op == OP_CHAN_RECV or op == OP_CHAN_CLOSE:
            return chan_begin(s, mp, mi, a)

        elif op == OP_JMP:
            gp.pc = a

        elif op == OP_RTLOCK:
            # lock(&l); user work for b cycles; unlock(&l) -- the M spins/sleeps for the lock
            # without releasing its P, so waiting Ms stall their Ps' run queues
            mp.lock_id = s.rtlock0 + a
            mp.state = MS_RTLOCK_LOCKED
            return lock_acquire(s, &s.locks[mp.lock_id], mi)

        elif op == OP_LOCK:
            return mutex_lock(s, mp, mi, a)

        elif op == OP_UNLOCK:
            return mutex_unlock(s, mp, mi, a)

        elif op == OP_RLOCK:
            return rw_rlock(s, mp, mi, a)

        elif op == OP_RUNLOCK:
            return rw_runlock(s, mp, mi, a)

        elif op == OP_WLOCK:
            return rw_wlock(s, mp, mi, a)

        elif op == OP_WUNLOCK:
            return rw_wunlock(s, mp, mi, a)

        elif op == OP_SLEEP:
            n = sample_dist(s, a)
            gp.pc += 1
            if n > 0:
                return sleep_park(s, mp, mi, n)

        elif op == OP_SYSCALL:
            n = sample_dist(s, a)
            gp.pc += 1
            return entersyscall(s, mp, mi, n)

        elif op == OP_NETWAIT:
            n = sample_dist(s, a)
            gp.pc += 1
            return netpoll_park(s, mp, mi, n)

        elif op == OP_TOUCH:
            # a user variable: one shared word, or this P's slot of a per-P array
            gp.pc += 1
            s.c.touches += 1
            if s.cache_on:
                n = s.var_line[a]
                if s.var_kind[a] == VAR_PER_P:
                    n += mp.p >> 3                   # eight 8-byte slots to a line
                elif s.var_kind[a] == VAR_PER_P_PADDED:
                    n += mp.p
                line_access(s, mp.core, <int32_t> n, b)
            if s.cost.touch > 0 or s.step_acc > 0:
                return s.cost.touch

        elif op == OP_GOMAXPROCS:
            return op_gomaxprocs(s, mp, mi, a)

        elif op == OP_ALLOC:
            if s.gcwaiting:
                return stw_yield(s, mp, mi)
            gp.pc += 1
            return op_alloc(s, mp, mi, a, b)

        elif op == OP_WITH_TIMEOUT:
            if s.deadlines_cap == 0:
                fail(s, ERR_BAD_PC, gp.pc)           # (the runner enables the side table)
                return -1
            n = s.now + sample_dist(s, a)
            gp.pc += 1
            if s.deadlines[gi] == 0 or n < s.deadlines[gi]:
                s.deadlines[gi] = n

        elif op == OP_SELECT:
            mp.arg = -1                      # sellock from the lowest channel
            return sel_lock_next(s, mp, mi)

        elif op == OP_POOL_PUT or op == OP_POOL_GET:
            # sync.Pool (sched/pool.pxi): user code on this P's poolLocal, no parking
            n = pool_put(s, mp, mi, a) if op == OP_POOL_PUT else pool_get(s, mp, mi, a)
            if n < 0 or n > 0 or s.step_acc > 0:
                return n

        elif op == OP_COND_ADD:
            n = cond_add(s, mp, a)                   # sched/cond.pxi
            if n > 0 or s.step_acc > 0:
                return n

        elif op == OP_COND_WAIT:
            return cond_wait(s, mp, mi, a)

        elif op == OP_COND_SIGNAL:
            return cond_signal(s, mp, mi, a)

        elif op == OP_COND_BROADCAST:
            return cond_broadcast(s, mp, mi, a)

        elif op == OP_CANCEL:
            return ctx_cancel(s, mp, mi, a)          # sched/ctx.pxi

        elif op == OP_LOCKOSTHREAD:
            return lock_os_thread(s, mp, mi)         # sched/lockos.pxi

        elif op == OP_UNLOCKOSTHREAD:
            return unlock_os_thread(s, mp, mi)

        elif op == OP_SYSCALL_BLOCK:
            n = sample_dist(s, a)
            gp.pc += 1
            return entersyscallblock(s, mp, mi, n)

        elif op == OP_SYSPARK:
            # a runtime goroutine (runfinq) that parks for good: "finalizer wait"
            gp.pc += 1
            gopark(s, mp, gp, waitReasonFinalizerWait, -1)
            return s.cost.park

        elif (op == OP_SET or op == OP_IF or op == OP_GOX or op == OP_MARKX or
              op == OP_MAKECHAN or op == OP_CSEND or op == OP_CRECV or op == OP_CCLOSE):
            # the DSL's values, `if`, go with arguments, marks with values, channel values
            # (sched/expr.pxi)
            n = dsl_exec(s, mp, mi, gi, gp, ins)
            if n != DSL_CONTINUE:
                return n

        else:
            fail(s, ERR_BAD_PC, gp.pc)
            return -1
    return 0
