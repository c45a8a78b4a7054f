# The invariants of docs/invariants.md (numbered as there), checked over the whole state.  Used by the
# tests (run(check_every=1) checks after every micro-step) and by debug builds.  A failure stops
# the run with ERR_INVARIANT and the number of the failed check in err_arg.

cdef enum:
    SEEN_QUEUE = 1        # on a run queue (ring, runnext, global) or bound for one
    SEEN_CURG = 2
    SEEN_HAND = 4         # found by findRunnable, about to be executed
    SEEN_WAIT = 8         # on a wait list
    SEEN_FREE = 16        # on a gFree list


cdef inline bint in_sequence(M *mp, int32_t st) noexcept nogil:
    cdef int32_t i
    if mp.state == st:
        return True
    for i in range(mp.nret):
        if mp.retstack[i] == st:
            return True
    return False


cdef inline int32_t effective_state(M *mp) noexcept nogil:
    if mp.state == MS_LOCKWAIT:
        return mp.state_after_lock
    if mp.state == MS_LOCK:
        return mp.lock_cont
    return mp.state


cdef int32_t check_fail(State *s, uint8_t *seen, int32_t code) noexcept nogil:
    free(seen)
    fail(s, ERR_INVARIANT, code)
    return code


cdef int32_t seen_add(State *s, uint8_t *seen, int32_t gi, uint8_t what) noexcept nogil:
    if gi < 0 or gi >= s.nallg:
        return 1
    if seen[gi] != 0:
        return 1                          # in two places at once
    seen[gi] = what
    return 0


cdef bint select_blocks_forever(State *s, int32_t gi) noexcept nogil:
    # a G parked in a select none of whose cases can fire (only ctx.Done() cases of a context
    # without deadline: nil channels) waits on no queue and no timer -- as selectgo parks
    # with no sudog enqueued when every case's channel is nil (select.go)
    cdef G *gp = getg(s, gi)
    cdef int32_t base = gp.pc, n, i
    if gp.waitreason == waitReasonChanSendNilChan or gp.waitreason == waitReasonChanReceiveNilChan:
        return True                       # a send/receive on a nil channel (DSL channel values)
    if gp.waitreason != waitReasonSelect or base < 0 or base >= s.ncode:
        return False
    if s.code[base * INSTR_WIDTH] != OP_SELECT:
        return False
    n = s.code[base * INSTR_WIDTH + 1]
    if n < 1 or base + n >= s.ncode:
        return False
    if gp.waiting_on == -1 and g_wait(s, gi) == 0:
        return True                       # no sudog, no timer: every channel case is nil
    for i in range(n):
        if (s.code[(base + 1 + i) * INSTR_WIDTH + 1] & 0xF) != SEL_DONE:
            return False
    return deadline_of(s, gi) == 0


cdef int32_t check_counters(State *s) noexcept nogil:
    # (60-66) the counters: never negative, and the ones kept twice add up
    cdef const int64_t *c = <const int64_t *> &s.c
    cdef int32_t i, k
    cdef int64_t sums[6]
    cdef int64_t nhist = 0
    for i in range(<int32_t> (sizeof(Counters) // sizeof(int64_t))):
        if c[i] < 0:
            return 60
    memset(sums, 0, sizeof(sums))
    for i in range(s.nprocs):
        c = <const int64_t *> &s.pstats[i]
        for k in range(<int32_t> (sizeof(PStats) // sizeof(int64_t))):
            if c[k] < 0:
                return 61
        sums[0] += s.pstats[i].steals
        sums[1] += s.pstats[i].stolen
        sums[2] += s.pstats[i].stolen_from
        sums[3] += s.pstats[i].steal_attempts
        sums[4] += s.pstats[i].executes
        sums[5] += s.pstats[i].runqputslow
    if (sums[0] != s.c.steals or sums[1] != s.c.stolen_gs or sums[2] != s.c.stolen_gs
            or sums[3] != s.c.steal_attempts or sums[4] != s.c.executes
            or sums[5] != s.c.runqputslow):
        return 62
    for i in range(HIST_BUCKETS):
        nhist += s.hist[i]
    if nhist != s.c.lat_count or s.c.goroutines_finished > s.c.goroutines_created:
        return 63
    # the stop-the-world phases never overlap; each M is asleep or spinning at most all the
    # time since it exists (division: the products may not fit an int64)
    if s.c.stw_stop_cycles + s.c.stw_pause_cycles > s.now:
        return 64
    if s.sched.mnext > 0 and (s.c.idle_cycles // s.sched.mnext > s.now or
                              s.c.spinning_cycles // s.sched.mnext > s.now):
        return 65
    for i in range(s.nlocks):
        if s.locks[i].wait_cycles < 0 or s.locks[i].hold_cycles < 0:
            return 66
    for i in range(s.nmutexes):
        if s.mutexes[i].wait_cycles < 0:
            return 66
    for i in range(NLINECLASSES):
        c = <const int64_t *> &s.cstats[i]
        for k in range(<int32_t> (sizeof(CacheStats) // sizeof(int64_t))):
            if c[k] < 0:
                return 66
    return 0


cdef int32_t check_invariants(State *s) noexcept nogil:
    cdef uint8_t *seen = <uint8_t *> calloc(s.nallg + 1, 1)
    cdef int32_t pi, mi, gi, n, i, j, prev, nspin = 0, nreserved = 0, nrunning = 0
    cdef uint32_t h, t, k
    cdef P *pp
    cdef M *mp
    cdef G *gp
    cdef int32_t st
    cdef int64_t nrunnable
    if seen == NULL:
        return 0
    i = check_counters(s)
    if i != 0:
        return check_fail(s, seen, i)
    i = steal_check(s)                    # (17) sched/steal.pxi's bitmaps
    if i != 0:
        return check_fail(s, seen, i)
    # (4, 13, 14) Ps: ring bounds, idle Ps empty and on the idle list, running Ps owned
    n = 0
    pi = s.sched.pidle
    while pi != -1:
        n += 1
        if n > s.nprocs or not s.allp[pi].idle:
            return check_fail(s, seen, 13)
        pi = s.allp[pi].link
    if n != s.sched.npidle:
        return check_fail(s, seen, 13)
    for pi in range(s.nprocs):
        pp = &s.allp[pi]
        h = pp.runqhead
        t = pp.runqtail
        if t - h > <uint32_t> s.strat.ring_cap:
            return check_fail(s, seen, 4)
        if pp.idle:
            if pp.status != _Pidle or pp.m != -1 or h != t or pp.runnext != -1:
                return check_fail(s, seen, 13)
        elif pp.status == _Pdead:
            # beyond GOMAXPROCS: no M, nothing queued, no timers
            if pi < s.sched.gomaxprocs or pp.m != -1 or h != t or pp.runnext != -1 or s.ntimers[pi]:
                return check_fail(s, seen, 16)
        elif pp.status == _Prunning:
            if pp.m < 0 or s.allm[pp.m].p != pi:
                return check_fail(s, seen, 14)
        for k in range(t - h):
            if seen_add(s, seen, s.runq_buf[pp.runq_off + ((h + k) & s.ring_mask)], SEEN_QUEUE):
                return check_fail(s, seen, 1)
        if pp.runnext != -1 and seen_add(s, seen, pp.runnext, SEEN_QUEUE):
            return check_fail(s, seen, 1)
        gi = pp.gFree
        while gi != -1:
            if seen_add(s, seen, gi, SEEN_FREE):
                return check_fail(s, seen, 1)
            gi = getg(s, gi).schedlink
    # global queue and its length
    n = 0
    gi = s.sched.runq_head
    while gi != -1:
        n += 1
        if seen_add(s, seen, gi, SEEN_QUEUE):
            return check_fail(s, seen, 1)
        gi = getg(s, gi).schedlink
    if n != s.sched.runqsize:
        return check_fail(s, seen, 9)
    gi = s.sched.gFree
    while gi != -1:
        if seen_add(s, seen, gi, SEEN_FREE):
            return check_fail(s, seen, 1)
        gi = getg(s, gi).schedlink
    for i in range(s.nwgs):
        gi = s.wgs[i].waithead
        while gi != -1:
            if seen_add(s, seen, gi, SEEN_WAIT):
                return check_fail(s, seen, 1)
            gi = getg(s, gi).schedlink
    for i in range(s.nchans):
        # channel invariants (chan.go header): one of sendq/recvq is empty; a buffered
        # channel has no waiting receiver while it holds data, no waiting sender while not full
        if s.chans[i].sendq_head != -1 and s.chans[i].recvq_head != -1:
            # "except for an unbuffered channel with a single goroutine blocked on it for both
            # sending and receiving using a select statement"
            gi = s.sudogs[s.chans[i].sendq_head].g
            for k in range(2):
                j = s.chans[i].sendq_head if k == 0 else s.chans[i].recvq_head
                while j != -1:
                    if s.sudogs[j].g != gi or s.sudogs[j].casei < 0 or s.chans[i].dataqsiz:
                        return check_fail(s, seen, 30)
                    j = s.sudogs[j].next
        if s.chans[i].qcount > 0 and s.chans[i].recvq_head != -1:
            return check_fail(s, seen, 30)
        if s.chans[i].qcount < s.chans[i].dataqsiz and s.chans[i].sendq_head != -1:
            return check_fail(s, seen, 30)
        for k in range(2):
            j = s.chans[i].sendq_head if k == 0 else s.chans[i].recvq_head
            prev = -1
            while j != -1:
                # a sudog: on this queue, linked both ways, of a waiting G; a select's G sits
                # in several queues (once per case), any other G in exactly one place
                if (j < 0 or j >= s.nsudogs or s.sudogs[j].c != i or s.sudogs[j].prev != prev
                        or s.sudogs[j].isSend != (k == 0)):
                    return check_fail(s, seen, 32)
                gi = s.sudogs[j].g
                if s.sudogs[j].casei >= 0:
                    if gi < 0 or gi >= s.nallg or getg(s, gi).waitreason != waitReasonSelect:
                        return check_fail(s, seen, 32)
                    if seen[gi] == 0:
                        seen[gi] = SEEN_WAIT
                    elif seen[gi] != SEEN_WAIT:
                        return check_fail(s, seen, 1)
                elif seen_add(s, seen, gi, SEEN_WAIT):
                    return check_fail(s, seen, 1)
                prev = j
                j = s.sudogs[j].next
            if prev != (s.chans[i].sendq_tail if k == 0 else s.chans[i].recvq_tail):
                return check_fail(s, seen, 32)
    for i in range(s.nmutexes):
        n = 0
        gi = s.mutexes[i].semahead
        while gi != -1:
            n += 1
            if seen_add(s, seen, gi, SEEN_WAIT):
                return check_fail(s, seen, 1)
            gi = getg(s, gi).schedlink
        if n != s.mutexes[i].root_nwait or s.mutexes[i].nwait < 0 or s.mutexes[i].sema < 0:
            return check_fail(s, seen, 31)
    for i in range(s.nrwmutexes):
        for k in range(2):
            gi = s.rwmutexes[i].rsemhead if k == 0 else s.rwmutexes[i].wsemhead
            while gi != -1:
                if seen_add(s, seen, gi, SEEN_WAIT):
                    return check_fail(s, seen, 1)
                gi = getg(s, gi).schedlink
    for i in range(s.nconds):                     # sync.Cond notify lists
        n = 0
        gi = s.conds[i].head
        while gi != -1:
            n += 1
            if seen_add(s, seen, gi, SEEN_WAIT):
                return check_fail(s, seen, 1)
            if getg(s, gi).schedlink == -1 and gi != s.conds[i].tail:
                return check_fail(s, seen, 33)
            gi = getg(s, gi).schedlink
        if n != s.conds[i].nwait:
            return check_fail(s, seen, 33)
    gi = s.gcsema_head
    while gi != -1:
        if seen_add(s, seen, gi, SEEN_WAIT):
            return check_fail(s, seen, 1)
        gi = getg(s, gi).schedlink
    gi = s.gcs.assistq_head if s.gcs.on else -1   # parked mark assists (sched/gc.pxi)
    while gi != -1:
        if seen_add(s, seen, gi, SEEN_WAIT):
            return check_fail(s, seen, 1)
        gi = getg(s, gi).schedlink
    for pi in range(s.nprocs + 1):                # (the last heap is the netpoller's)
        for i in range(s.ntimers[pi]):
            gi = s.timer_g[pi][i]
            if gi < 0:
                # a select's timeout: may be stale (the select ended another way)
                if ~gi >= s.nallg:
                    return check_fail(s, seen, 32)
                gi = ~gi
                if (getg(s, gi).status == _Gwaiting and getg(s, gi).waitreason ==
                        waitReasonSelect and seen[gi] == 0):
                    seen[gi] = SEEN_WAIT          # a select with only a timeout case
                continue
            if seen_add(s, seen, gi, SEEN_WAIT):
                return check_fail(s, seen, 1)
    # Ms: curg, Gs in hand, batches bound for the global queue, idle list, spinning count
    n = 0
    mi = s.sched.midle
    while mi != -1:
        n += 1
        if (n > s.sched.mnext or s.allm[mi].state != MS_PARKED or s.allm[mi].p != -1
                or mi == s.poller):
            return check_fail(s, seen, 13)
        mi = s.allm[mi].schedlink
    if n != s.sched.nmidle:
        return check_fail(s, seen, 13)
    for mi in range(s.sched.mnext):
        mp = &s.allm[mi]
        st = effective_state(mp)
        if mp.spinning:
            nspin += 1
            if mp.p != -1 and not in_sequence(mp, MS_EXECUTE) and not runqempty(s, &s.allp[mp.p]):
                if st == MS_SCHEDULE:          # schedule(): "spinning with local work"
                    return check_fail(s, seen, 15)
        if st == MS_WAKEP_LOCKED or st == MS_STARTM_LOCKED:
            nreserved += 1
        if mp.curg != -1:
            if mp.p != -1:
                nrunning += 1
            if seen_add(s, seen, mp.curg, SEEN_CURG) or getg(s, mp.curg).m != mi:
                return check_fail(s, seen, 3)
            # running, or in a system call (_Gsyscall until the M's exitsyscall step)
            if getg(s, mp.curg).status != _Grunning and not (
                    getg(s, mp.curg).status == _Gsyscall and mp.state == MS_EXITSYSCALL):
                return check_fail(s, seen, 3)
        if in_sequence(mp, MS_EXECUTE) and mp.arg != -1 and mp.curg == -1:
            if seen_add(s, seen, mp.arg, SEEN_HAND):
                return check_fail(s, seen, 1)
        if (mp.lockedg >= 0 and mp.nextp >= 0 and mp.curg == -1
                and getg(s, mp.lockedg).status == _Grunnable):
            # startlockedm handed the locked G and a P to this M (sched/lockos.pxi)
            if seen_add(s, seen, mp.lockedg, SEEN_HAND):
                return check_fail(s, seen, 1)
        gi = mp.gbatch_head if mp.gbatch_n > 0 else -1
        while gi != -1:
            if seen_add(s, seen, gi, SEEN_QUEUE):
                return check_fail(s, seen, 1)
            gi = getg(s, gi).schedlink
    if s.sched.nmspinning != nspin + nreserved or s.sched.nmspinning < 0:
        return check_fail(s, seen, 15)
    # an M is one actor: at most one live (current-generation) event in the heap, and none
    # while it is parked on midle or queued on a lock
    cdef int32_t *pending = <int32_t *> calloc(s.sched.mnext + 1, sizeof(int32_t))
    cdef int64_t e
    if pending != NULL:
        for e in range(s.heap_n):
            if (s.heap[e].kind & 0xF) == EV_M and (s.heap[e].kind >> 4) == s.allm[s.heap[e].id].ev_gen:
                pending[s.heap[e].id] += 1
        for mi in range(s.sched.mnext):
            if pending[mi] > 1 or (pending[mi] == 1 and (s.allm[mi].state == MS_PARKED or
                                                         s.allm[mi].state == MS_LOCKWAIT)):
                free(pending)
                return check_fail(s, seen, 40)
        free(pending)
    if nrunning > s.sched.gomaxprocs:
        return check_fail(s, seen, 3)
    # (2) every G's status agrees with where it was found
    nrunnable = 0
    for gi in range(s.nallg):
        gp = getg(s, gi)
        if gp.status == _Grunnable:
            nrunnable += 1
            if seen[gi] != SEEN_QUEUE and seen[gi] != SEEN_HAND:
                return check_fail(s, seen, 2)
        elif gp.status == _Grunning or gp.status == _Gsyscall:
            if seen[gi] != SEEN_CURG:
                return check_fail(s, seen, 3)
        elif gp.status == _Gwaiting:
            if (seen[gi] != SEEN_WAIT and not (gp.flags & G_FLAG_SYSTEM)
                    and not select_blocks_forever(s, gi)):
                return check_fail(s, seen, 2)
        elif gp.status == _Gdead:
            if seen[gi] != SEEN_FREE and gi != s.maing:
                return check_fail(s, seen, 2)
    # (core/observe.pxi) the runnable count the G-wait metric integrates is exact; a P on the
    # idle list is in an idle spell (its unpark latency runs), a P some M holds is not
    if nrunnable != s.nrunnable:
        return check_fail(s, seen, 70)
    for i in range(s.sched.gomaxprocs):
        if (s.allp[i].idle and s.allp[i].pidle_since < 0) or (
                s.allp[i].status == _Prunning and s.allp[i].pidle_since >= 0):
            return check_fail(s, seen, 70)
    free(seen)
    return 0
