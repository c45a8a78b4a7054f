# select (runtime/select.go selectgo) over channel cases, a timeout case and default.
#
#   OP_SELECT n | n x OP_SELCASE (kind | value source << 4, chan or distribution, constant)
#               | n x OP_JMP (to each case's body)
#
# selectgo: lock every channel of the select in lock order (by address: here by index, each
# channel once), then pass 1 polls the cases in a random order (pollorder, cheaprandn); the first
# ready case wins.  With nothing ready, a select with default takes it; otherwise pass 2 puts a
# sudog on every case's channel queue and parks ("select"), and selparkcommit unlocks them all.
# The G that completes one of those operations wins the select for that case (the sudog is
# claimed, the G's other sudogs leave their queues: see sudog_claim) and readies the G into its
# own runnext.  The woken G runs pass 3: it locks every channel again, and unlocks them; then it
# runs the body of the case that won.  While parked the G's pc stays on the OP_SELECT.
#
# The timer cases -- `case <-time.After(d)` and `case <-ctx.Done()` (the goroutine's context
# deadline, see OP_WITH_TIMEOUT) -- share one timer on the current P's heap for the earlier of
# the two, entered as ~gi; it wins the select when it fires if the G is still parked in the
# same select (the timer's cycle is kept in G.wait_start while parked).  A timer case already
# due is ready in pass 1, as an expired timer channel is (maybeRunChan).

cdef inline uint32_t cheaprandn(State *s, uint32_t n) noexcept nogil:
    return <uint32_t> ((<uint64_t> cheaprand(s) * n) >> 32)


cdef inline const int32_t *sel_case(State *s, int32_t base, int32_t i) noexcept nogil:
    return &s.code[(base + 1 + i) * INSTR_WIDTH]


cdef inline int64_t sel_value(State *s, int32_t gi, G *gp, const int32_t *ins) noexcept nogil:
    cdef int32_t src = (ins[1] >> 4) & 0xF
    cdef int64_t v = 0
    if src == VAL_EXPR:
        expr_eval(s, gi, gp, ins[3], &v)        # (a panic has called fail: the run stops)
        return v
    if src == VAL_SPAWN:
        return gp.spawn_index
    if src == VAL_ITER:
        return g_iter(s, gi, gp)
    if src == VAL_REG:
        return g_val(s, gi)
    return ins[3]


cdef int32_t sel_chan(State *s, int32_t gi, G *gp, const int32_t *ins) noexcept nogil:
    # the channel of a recv/send case: b, or (SELCASE_CHANVAL) the channel value of expression
    # b, evaluated by the select's own G (mp.curg) each time it is needed -- a channel value
    # comes only from locals, which do not change while the G is in the select.  -1: the nil
    # channel, whose case is never ready (selectgo skips it); also after a panic or a value
    # that names no channel (fail has been called: the run stops)
    cdef int64_t h
    if not (ins[1] & SELCASE_CHANVAL):
        return ins[2]
    if expr_eval(s, gi, gp, ins[2], &h) < 0:
        return -1
    if h == 0:
        return -1
    if not 1 <= h <= s.nchans:
        fail(s, ERR_BAD_CHAN, h)
        return -1
    return <int32_t> (h - 1)


cdef int64_t sel_lock_next(State *s, M *mp, int32_t mi) noexcept nogil:
    # sellock: acquire the lock of the next channel in lock order after mp.arg; with all of
    # them held, run the select pass in this same step
    cdef G *gp = getg(s, mp.curg)
    cdef int32_t base = gp.pc, n = s.code[base * INSTR_WIDTH + 1], i, ci, best = -1, kind
    cdef const int32_t *ins
    for i in range(n):
        ins = sel_case(s, base, i)
        kind = ins[1] & 0xF
        if kind == SEL_RECV or kind == SEL_SEND:
            ci = sel_chan(s, mp.curg, gp, ins)
            if ci >= 0 and ci > mp.arg and (best == -1 or ci < best):
                best = ci
    if best == -1:
        return sel_pass(s, mp, mi)
    mp.arg = best
    mp.lock_id = s.chans[best].lock_id
    mp.state = MS_SEL_LOCKED
    return lock_acquire(s, &s.locks[mp.lock_id], mi)


cdef int64_t sel_unlock_all(State *s, M *mp, G *gp, int32_t base, int64_t cost) noexcept nogil:
    # selunlock: release every channel lock of the select (held since sel_lock_next)
    cdef int32_t n = s.code[base * INSTR_WIDTH + 1], i, j, ci, kind, dup
    cdef const int32_t *ins
    cdef Lock *L
    for i in range(n):
        ins = sel_case(s, base, i)
        kind = ins[1] & 0xF
        if kind != SEL_RECV and kind != SEL_SEND:
            continue
        ci = sel_chan(s, mp.curg, gp, ins)
        if ci < 0:
            continue                                  # (a nil channel: never locked)
        dup = 0
        for j in range(i):
            if (sel_case(s, base, j)[1] & 0xF) <= SEL_SEND and \
                    sel_chan(s, mp.curg, gp, sel_case(s, base, j)) == ci:
                dup = 1
                break
        if dup:
            continue
        L = &s.locks[s.chans[ci].lock_id]
        line_access(s, mp.core, L.line, ACC_WRITE)
        lock_release(s, L, s.now + s.step_acc + cost)
    mp.lock_id = 0
    mp.arg = -1
    return cost


cdef int64_t sel_pass(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t gi = mp.curg, base, n, i, k, j, kind, won = -1, dflt = -1, after = -1
    cdef int32_t norder = 0, w = -1, sgi, head = -1, done = -1, ci
    cdef int32_t order[MAX_SELECT_CASES]
    cdef G *gp = getg(s, gi)
    cdef Chan *c
    cdef const int32_t *ins
    cdef int64_t cost = s.cost.chan, d = 0, dd = 0, when = 0
    cdef bint wake = False
    base = gp.pc
    n = s.code[base * INSTR_WIDTH + 1]
    if gp.flags & G_FLAG_SELWOKE:
        # pass 3 (woken): the winning case is known; the other sudogs already left
        gp.flags &= ~G_FLAG_SELWOKE
        won = <int32_t> g_wait(s, gi)
        g_wait_set(s, gi, 0)
        cost = sel_unlock_all(s, mp, gp, base, cost)
        gp.pc = base + 1 + n + won
        mp.state = MS_RUN
        return cost
    # pollorder: a random permutation of the cases (default excluded)
    for i in range(n):
        kind = sel_case(s, base, i)[1] & 0xF
        if kind == SEL_DEFAULT:
            dflt = i
            continue
        if kind == SEL_AFTER:
            after = i
            d = sample_dist(s, sel_case(s, base, i)[2])   # time.After(d) is evaluated first
        elif kind == SEL_DONE:
            if deadline_of(s, gi) == 0:
                continue                              # context.Background: Done() is nil
            done = i
            dd = deadline_of(s, gi) - s.now
        j = <int32_t> cheaprandn(s, <uint32_t> (norder + 1))
        order[norder] = order[j]
        order[j] = i
        norder += 1
    # pass 1: the first ready case in poll order
    for k in range(norder):
        i = order[k]
        ins = sel_case(s, base, i)
        kind = ins[1] & 0xF
        if kind == SEL_AFTER or kind == SEL_DONE:
            if (d if kind == SEL_AFTER else dd) <= 0:
                g_val_set(s, gi, 0)
                won = i
                break
            continue
        ci = sel_chan(s, gi, gp, ins)
        if ci < 0:
            continue                                  # a nil channel is never ready
        c = &s.chans[ci]
        if kind == SEL_RECV:
            sgi = -1 if c.closed else sq_dequeue(s, c, True)
            if sgi != -1:
                recv_from(s, c, sgi, gi)
                w = sudog_claim(s, sgi)
                won = i
                break
            if c.qcount > 0 and buf_recv(s, c, gi):
                won = i
                break
            if c.closed:
                g_val_set(s, gi, 0)                   # rclose: the zero value, !ok
                won = i
                break
        else:
            if c.closed:
                fail(s, ERR_SEND_CLOSED, ci)          # sclose: panic
                return -1
            sgi = sq_dequeue(s, c, False)
            if sgi != -1:
                c.sends += 1
                c.recvs += 1
                w = sudog_claim(s, sgi)
                g_val_set(s, w, sel_value(s, gi, gp, ins))
                won = i
                break
            if buf_send(c, sel_value(s, gi, gp, ins)):
                c.sends += 1
                won = i
                break
    if won == -1 and dflt != -1:
        won = dflt                                    # nothing ready: default
    if won != -1:
        cost = sel_unlock_all(s, mp, gp, base, cost)
        gp.pc = base + 1 + n + won
        if w != -1:
            goready1(s, mp, w)                        # the partner goes to our runnext
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return cost + s.cost.ready
        mp.state = MS_RUN
        return cost
    # pass 2: a sudog on every channel case, then park
    for i in range(n):
        ins = sel_case(s, base, i)
        kind = ins[1] & 0xF
        if kind != SEL_RECV and kind != SEL_SEND:
            continue
        ci = sel_chan(s, gi, gp, ins)
        if ci < 0:
            continue                                  # (no sudog on a nil channel)
        c = &s.chans[ci]
        sgi = sudog_alloc(s, gi, ci, i, kind == SEL_SEND,
                          sel_value(s, gi, gp, ins) if kind == SEL_SEND else 0)
        if sgi < 0:
            return -1
        sq_enqueue(s, c, sgi)
        s.sudogs[sgi].waitlink = head
        head = sgi
        if kind == SEL_SEND:
            c.blocked_sends += 1
        else:
            c.blocked_recvs += 1
    if after != -1 or done != -1:
        # one timer for the earlier of time.After and the context deadline
        if after == -1 or (done != -1 and dd < d):
            d = dd
        when = s.now + d
        wake = timer_wake(s, mp.p, when)           # (time.go maybeAdd, as for a sleep)
        if timer_add(s, mp.p, when, ~gi) != 0:
            fail(s, ERR_NOMEM, 8)
            return -1
        g_wait_set(s, gi, when)
    else:
        g_wait_set(s, gi, 0)                          # no timer (check.pxi reads it)
    cost = sel_unlock_all(s, mp, gp, base, cost)
    gopark(s, mp, gp, waitReasonSelect, head)
    if wake and wake_netpoller(s, when):
        ret_push(mp, MS_SCHEDULE)
        mp.state = MS_AFTERPUT                     # wakeNetPoller's wakep, then schedule
    return cost + s.cost.park


cdef bint sel_timeout(State *s, int32_t gi, int64_t when) noexcept nogil:
    # a select's timeout timer fired: it wins if the G still waits in that select
    cdef G *gp = getg(s, gi)
    cdef int32_t base, n, i, kind, won
    if gp.status != _Gwaiting or gp.waitreason != waitReasonSelect or g_wait(s, gi) != when:
        return False                                  # stale: the select ended another way
    base = gp.pc
    n = s.code[base * INSTR_WIDTH + 1]
    won = -1
    for i in range(n):
        kind = sel_case(s, base, i)[1] & 0xF
        if kind == SEL_DONE and deadline_of(s, gi) == when:
            won = i                                   # the context's deadline
            break
        if kind == SEL_AFTER:
            won = i
    if won == -1:
        return False
    g_val_set(s, gi, 0)
    sel_won(s, gi, gp, won)
    return True
