# Channels (runtime/chan.go): chansend, chanrecv, closechan under the channel's own lock.
#
# A parked sender or receiver waits in a FIFO of sudogs (a select waits in several at once).
# Whoever completes the hand-off readies the parked G with goready, which puts it in the
# *waker's* P runnext.  Values are int64: a receiver finds what it got in G.val.

cdef inline int64_t chan_value(State *s, int32_t gi, G *gp, const int32_t *ins) noexcept nogil:
    cdef int64_t v = 0
    if ins[2] == VAL_EXPR:
        expr_eval(s, gi, gp, ins[3], &v)             # (a panic has called fail: the run stops)
        return v
    if ins[2] == VAL_SPAWN:
        return gp.spawn_index
    if ins[2] == VAL_ITER:
        return g_iter(s, gi, gp)
    if ins[2] == VAL_REG:
        return g_val(s, gi)
    return ins[3]


# --- sudogs and wait queues (runtime/chan.go waitq.enqueue / dequeue, acquireSudog) ----------

cdef int32_t sudog_alloc(State *s, int32_t gi, int32_t ci, int32_t casei, int32_t is_send,
                         int64_t elem) noexcept nogil:
    cdef int32_t i = s.sudog_free, cap
    cdef Sudog *t
    cdef Sudog *sg
    if i != -1:
        s.sudog_free = s.sudogs[i].next
    else:
        if s.nsudogs == s.sudogs_cap:
            cap = 2 * s.sudogs_cap if s.sudogs_cap > 0 else 64
            t = <Sudog *> realloc(s.sudogs, cap * sizeof(Sudog))
            if t == NULL:
                fail(s, ERR_NOMEM, 9)
                return -1
            s.sudogs = t
            s.sudogs_cap = cap
        i = s.nsudogs
        s.nsudogs += 1
    sg = &s.sudogs[i]
    sg.elem = elem
    sg.g = gi
    sg.next = -1
    sg.prev = -1
    sg.waitlink = -1
    sg.c = ci
    sg.casei = <int16_t> casei
    sg.isSend = <uint8_t> is_send
    return i


cdef inline void sudog_free(State *s, int32_t i) noexcept nogil:
    s.sudogs[i].g = -1
    s.sudogs[i].c = -1
    s.sudogs[i].next = s.sudog_free
    s.sudog_free = i


cdef inline void sq_enqueue(State *s, Chan *c, int32_t i) noexcept nogil:
    cdef int32_t *head = &c.sendq_head if s.sudogs[i].isSend else &c.recvq_head
    cdef int32_t *tail = &c.sendq_tail if s.sudogs[i].isSend else &c.recvq_tail
    s.sudogs[i].next = -1
    s.sudogs[i].prev = tail[0]
    if tail[0] == -1:
        head[0] = i
    else:
        s.sudogs[tail[0]].next = i
    tail[0] = i


cdef void sq_unlink(State *s, int32_t i) noexcept nogil:
    # take sudog i out of its channel's queue, wherever it is (a select leaving its other
    # cases: selectgo pass 3, c.sendq/recvq.dequeueSudoG)
    cdef Sudog *sg = &s.sudogs[i]
    cdef Chan *c
    if sg.c < 0:
        return
    c = &s.chans[sg.c]
    if sg.prev == -1:
        if sg.isSend:
            c.sendq_head = sg.next
        else:
            c.recvq_head = sg.next
    else:
        s.sudogs[sg.prev].next = sg.next
    if sg.next == -1:
        if sg.isSend:
            c.sendq_tail = sg.prev
        else:
            c.recvq_tail = sg.prev
    else:
        s.sudogs[sg.next].prev = sg.prev
    sg.next = -1
    sg.prev = -1
    sg.c = -1


cdef inline int32_t sq_dequeue(State *s, Chan *c, bint send) noexcept nogil:
    # the first waiter of c.sendq (send) or c.recvq, or -1
    cdef int32_t i = c.sendq_head if send else c.recvq_head
    if i != -1:
        sq_unlink(s, i)
    return i


cdef int32_t sudog_claim(State *s, int32_t i) noexcept nogil:
    # the waker has dequeued sudog i: its G is done waiting.  A select's G leaves all its other
    # queues now (Go does it in selectgo pass 3 under every channel lock; the woken G still
    # pays for those locks when it resumes) and remembers which case won.  Returns the G.
    cdef int32_t gi = s.sudogs[i].g
    if s.sudogs[i].casei >= 0:
        sel_won(s, gi, getg(s, gi), s.sudogs[i].casei)
    else:
        sudog_free(s, i)
    return gi


cdef void sel_won(State *s, int32_t gi, G *gp, int32_t casei) noexcept nogil:
    # a parked select is over: case `casei` won; every sudog of the select (gp.waiting_on's
    # waitlink list) leaves its channel's queue
    cdef int32_t j = gp.waiting_on, nxt
    while j != -1:
        nxt = s.sudogs[j].waitlink
        sq_unlink(s, j)
        sudog_free(s, j)
        j = nxt
    gp.waiting_on = -1
    g_wait_set(s, gi, casei)
    gp.flags |= G_FLAG_SELWOKE


cdef inline void recv_from(State *s, Chan *c, int32_t sgi, int32_t gi) noexcept nogil:
    # recv(): unbuffered, straight from the sender; buffered (full), take the head and put the
    # sender's value at the tail
    if c.dataqsiz == 0:
        g_val_set(s, gi, s.sudogs[sgi].elem)
    else:
        g_val_set(s, gi, c.buf[c.recvx])
        c.buf[c.recvx] = s.sudogs[sgi].elem
        c.recvx = (c.recvx + 1) % c.dataqsiz
        c.sendx = c.recvx
    c.recvs += 1


cdef inline bint buf_recv(State *s, Chan *c, int32_t gi) noexcept nogil:
    if c.qcount == 0:
        return False
    g_val_set(s, gi, c.buf[c.recvx])
    c.recvx = (c.recvx + 1) % c.dataqsiz
    c.qcount -= 1
    c.recvs += 1
    return True


cdef inline bint buf_send(Chan *c, int64_t v) noexcept nogil:
    if c.qcount >= c.dataqsiz:
        return False
    c.buf[c.sendx] = v
    c.sendx = (c.sendx + 1) % c.dataqsiz
    c.qcount += 1
    return True


cdef int32_t sq_park(State *s, Chan *c, int32_t gi, int32_t ci, int32_t is_send,
                     int64_t v) noexcept nogil:
    # a plain send or receive that must wait: one sudog on the channel's queue
    cdef int32_t i = sudog_alloc(s, gi, ci, -1, is_send, v)
    if i < 0:
        return -1
    sq_enqueue(s, c, i)
    return 0


cdef int32_t closechan_collect(State *s, Chan *c) noexcept nogil:
    # closechan, under the lock (c.closed is set): every parked receiver gets the zero value
    # and goes on a gList (a stack, linked through schedlink); returns its head.  (Also
    # context cancel: ctx.pxi.)
    cdef int32_t w, target, rlist = -1
    cdef G *wp
    while c.recvq_head != -1:
        w = sudog_claim(s, sq_dequeue(s, c, False))
        wp = getg(s, w)
        g_val_set(s, w, 0)
        if not (wp.flags & G_FLAG_SELWOKE):
            target = s.code[(wp.pc - 1) * INSTR_WIDTH + 2]   # its receive's `range` exit
            if target >= 0:
                wp.pc = target
        wp.schedlink = rlist
        rlist = w
    return rlist


cdef int64_t closechan_ready(State *s, M *mp, int32_t rlist) noexcept nogil:
    # closechan, after the unlock: "Ready all Gs now that we've dropped the channel lock",
    # popping the gList -- the last parked receiver first.  Returns how many were readied.
    cdef int64_t k = 0
    cdef int32_t w
    cdef G *wp
    while rlist != -1:
        w = rlist
        wp = getg(s, w)
        rlist = wp.schedlink
        wp.schedlink = -1
        goready1(s, mp, w)
        k += 1
    return k


cdef int64_t chan_begin(State *s, M *mp, int32_t mi, int32_t ci) noexcept nogil:
    # lock(&c.lock); the operation itself is the next step
    mp.arg = ci
    mp.lock_id = s.chans[ci].lock_id
    mp.state = MS_CHAN_LOCKED
    return lock_acquire(s, &s.locks[mp.lock_id], mi)


cdef int64_t chan_locked(State *s, M *mp, int32_t mi) noexcept nogil:
    cdef int32_t ci = mp.arg, gi = mp.curg, w, rlist
    cdef Chan *c = &s.chans[ci]
    cdef G *gp = getg(s, gi)
    cdef const int32_t *ins = &s.code[gp.pc * INSTR_WIDTH]
    cdef int64_t v, cost = s.cost.chan, k
    lock_granted(s, &s.locks[mp.lock_id], mi)
    mp.arg = -1
    gp.pc += 1
    if ins[0] == OP_CHAN_SEND or ins[0] == OP_CSEND:
        v = chan_value(s, gi, gp, ins)
        if s.status == ST_ERROR:
            return -1
        if c.closed:
            fail(s, ERR_SEND_CLOSED, ci)
            return -1
        c.sends += 1
        w = sq_dequeue(s, c, False)
        if w != -1:
            # send(): straight into the parked receiver, which goes to our runnext
            w = sudog_claim(s, w)
            g_val_set(s, w, v)
            c.recvs += 1
            # chan.go send: sendDirect, then unlockf() (unlock(&c.lock)), then goready: the
            # readying (and its cache accesses) is outside the channel's critical section
            cost = unlock_id(s, mp, cost)
            goready1(s, mp, w)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return cost + s.cost.ready
        if buf_send(c, v):
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        # block: a sudog with the value on sendq; park_m releases the lock
        if sq_park(s, c, gi, ci, 1, v) < 0:
            return -1
        c.blocked_sends += 1
        cost = unlock_id(s, mp, cost)
        gopark(s, mp, gp, waitReasonChanSend, ci)
        return cost + s.cost.park
    elif ins[0] == OP_CHAN_RECV or ins[0] == OP_CRECV:
        if c.closed and c.qcount == 0:
            g_val_set(s, gi, 0)                          # the zero value, !ok
            if ins[2] >= 0:
                gp.pc = ins[2]                           # `for range` ends
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        w = -1 if c.closed else sq_dequeue(s, c, True)
        if w != -1:
            recv_from(s, c, w, gi)
            w = sudog_claim(s, w)
            # chan.go recv: the copy under the lock, then unlockf(), then goready(gp)
            cost = unlock_id(s, mp, cost)
            goready1(s, mp, w)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return cost + s.cost.ready
        if buf_recv(s, c, gi):
            mp.state = MS_RUN
            return unlock_id(s, mp, cost)
        if sq_park(s, c, gi, ci, 0, 0) < 0:
            return -1
        c.blocked_recvs += 1
        cost = unlock_id(s, mp, cost)
        gopark(s, mp, gp, waitReasonChanReceive, ci)
        return cost + s.cost.park
    else:  # OP_CHAN_CLOSE, OP_CCLOSE
        if c.closed:
            fail(s, ERR_CLOSE_CLOSED, ci)
            return -1
        c.closed = 1
        if c.sendq_head != -1:
            fail(s, ERR_SEND_CLOSED, ci)         # a parked sender panics when it resumes
            return -1
        # chan.go closechan: "unlock(&c.lock)" and only then "Ready all Gs now that we've
        # dropped the channel lock": the k goready calls are outside the critical section
        rlist = closechan_collect(s, c)
        cost = unlock_id(s, mp, cost)
        k = closechan_ready(s, mp, rlist)
        cost += k * s.cost.ready
        if k:
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
        else:
            mp.state = MS_RUN
        return cost
