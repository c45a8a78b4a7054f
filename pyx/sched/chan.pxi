# Channels (runtime/chan.go): chansend, chanrecv, closechan under the channel's own lock.
#
# A parked sender or receiver waits in a FIFO (the sudog queue, linked through G.schedlink).
# Whoever completes the hand-off readies the parked G with goready, which puts it in the
# *waker's* P runnext.  Values are int64: a receiver finds what it got in G.val.

cdef inline int64_t chan_value(G *gp, const int32_t *ins) noexcept nogil:
    if ins[2] == VAL_SPAWN:
        return gp.spawn_index
    if ins[2] == VAL_ITER:
        return gp.loopiter[gp.loopdepth - 1] if gp.loopdepth > 0 else 0
    if ins[2] == VAL_REG:
        return gp.val
    return ins[3]


cdef inline void gq_push(State *s, int32_t *head, int32_t *tail, int32_t gi) noexcept nogil:
    getg(s, gi).schedlink = -1
    if tail[0] == -1:
        head[0] = gi
    else:
        getg(s, tail[0]).schedlink = gi
    tail[0] = gi


cdef inline int32_t gq_pop(State *s, int32_t *head, int32_t *tail) noexcept nogil:
    cdef int32_t gi = head[0]
    if gi != -1:
        head[0] = getg(s, gi).schedlink
        if head[0] == -1:
            tail[0] = -1
        getg(s, gi).schedlink = -1
    return gi


cdef int64_t chan_begin(State *s, M *mp, int32_t mi, int32_t ci) noexcept nogil:
    # lock(&c.lock); the operation itself is the next step
    mp.arg = ci
    mp.lock_id = s.chans[ci].lock_id
    mp.state = MS_CHAN_LOCKED
    return lock_acquire(s, &s.locks[mp.lock_id], mi)


cdef int64_t chan_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t ci = mp.arg, gi = mp.curg, w, target
    cdef Chan *c = &s.chans[ci]
    cdef G *gp = getg(s, gi)
    cdef G *wp
    cdef const int32_t *ins = &s.code[gp.pc * INSTR_WIDTH]
    cdef int64_t v, cost = s.cost.chan, k
    cdef int32_t rlist = -1
    lock_granted(s, &s.locks[mp.lock_id], mi)
    mp.arg = -1
    gp.pc += 1
    if ins[0] == OP_CHAN_SEND:
        v = chan_value(gp, ins)
        if c.closed:
            fail(s, ERR_SEND_CLOSED, ci)
            return -1
        c.sends += 1
        w = gq_pop(s, &c.recvq_head, &c.recvq_tail)
        if w != -1:
            # send(): straight into the parked receiver, which goes to our runnext
            getg(s, w).val = v
            c.recvs += 1
            goready1(s, mp, w)
            cost = unlock_id(s, mp, cost + s.cost.ready)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return cost
        if c.qcount < c.dataqsiz:
            c.buf[c.sendx] = v
            c.sendx = (c.sendx + 1) % c.dataqsiz
            c.qcount += 1
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        # block: the G waits on sendq with its value; park_m releases the lock
        gp.val = v
        gq_push(s, &c.sendq_head, &c.sendq_tail, gi)
        c.blocked_sends += 1
        cost = unlock_id(s, mp, cost)
        gopark(s, mp, gp, waitReasonChanSend, ci)
        return cost + s.cost.park
    elif ins[0] == OP_CHAN_RECV:
        if c.closed and c.qcount == 0:
            gp.val = 0                                   # the zero value, !ok
            if ins[2] >= 0:
                gp.pc = ins[2]                           # `for range` ends
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        w = -1 if c.closed else gq_pop(s, &c.sendq_head, &c.sendq_tail)
        if w != -1:
            # recv(): unbuffered, straight from the sender; buffered (full), take the head
            # and put the sender's value at the tail
            wp = getg(s, w)
            if c.dataqsiz == 0:
                gp.val = wp.val
            else:
                gp.val = c.buf[c.recvx]
                c.buf[c.recvx] = wp.val
                c.recvx = (c.recvx + 1) % c.dataqsiz
                c.sendx = c.recvx
            c.recvs += 1
            goready1(s, mp, w)
            cost = unlock_id(s, mp, cost + s.cost.ready)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return cost
        if c.qcount > 0:
            gp.val = c.buf[c.recvx]
            c.recvx = (c.recvx + 1) % c.dataqsiz
            c.qcount -= 1
            c.recvs += 1
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        gq_push(s, &c.recvq_head, &c.recvq_tail, gi)
        c.blocked_recvs += 1
        cost = unlock_id(s, mp, cost)
        gopark(s, mp, gp, waitReasonChanReceive, ci)
        return cost + s.cost.park
    else:  # OP_CHAN_CLOSE
        if c.closed:
            fail(s, ERR_CLOSE_CLOSED, ci)
            return -1
        c.closed = 1
        if c.sendq_head != -1:
            fail(s, ERR_SEND_CLOSED, ci)         # a parked sender panics when it resumes
            return -1
        # all receivers get the zero value; closechan collects them on a gList (a stack),
        # then readies them popping it: the last parked receiver first
        k = 0
        while c.recvq_head != -1:
            w = gq_pop(s, &c.recvq_head, &c.recvq_tail)
            getg(s, w).schedlink = rlist
            rlist = w
        while rlist != -1:
            w = rlist
            wp = getg(s, w)
            rlist = wp.schedlink
            wp.val = 0
            target = s.code[(wp.pc - 1) * INSTR_WIDTH + 2]   # its receive's `range` exit
            if target >= 0:
                wp.pc = target
            goready1(s, mp, w)
            k += 1
        cost = unlock_id(s, mp, cost + k * s.cost.ready)
        if k:
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
        else:
            mp.state = MS_RUN
        return cost
