# sync.Cond (sync/cond.go) over the runtime's notify list (runtime/sema.go notifyList*).
#
#   Wait():  t := runtime_notifyListAdd(&c.notify)     OP_COND_ADD   (a ticket, in call order)
#            c.L.Unlock()                              OP_UNLOCK (or the RWMutex's Unlock)
#            runtime_notifyListWait(&c.notify, t)      OP_COND_WAIT  (park unless t notified)
#            c.L.Lock()                                OP_LOCK: the woken G re-acquires L
#   Signal():    notifyListNotifyOne: wake the waiter holding ticket l.notify, if any has
#                called notifyListWait yet (the ticket is consumed either way)
#   Broadcast(): notifyListNotifyAll: every ticket handed out so far is notified; the waiters
#                are readied in list order, each goready into the current P's runnext (so the
#                last one runs first, the others follow from the ring in order)
#
# The list's own runtime lock (l.lock) is an access to the cond's line; the notify-list
# operations cost Costs.wg (the sync fast path).  Tickets live in the GSync side table.

cdef inline bint ticket_less(uint32_t a, uint32_t b) noexcept nogil:
    # sema.go less: a < b with wrap-around
    return <int32_t> (a - b) < 0


cdef int64_t cond_add(State *s, M *mp, int32_t a) noexcept nogil:
    # notifyListAdd: l.wait.Add(1) - 1
    cdef Cond *c = &s.conds[a]
    cdef int32_t gi = mp.curg
    line_access(s, mp.core, c.line, ACC_RMW)
    s.gsync[gi].ticket = c.wait
    c.wait += 1
    c.waits += 1
    getg(s, gi).pc += 1
    return s.cost.wg


cdef int64_t cond_wait(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # notifyListWait(l, t)
    cdef Cond *c = &s.conds[a]
    cdef int32_t gi = mp.curg
    cdef G *gp = getg(s, gi)
    line_access(s, mp.core, c.line, ACC_RMW)         # lock(&l.lock)
    gp.pc += 1
    if ticket_less(s.gsync[gi].ticket, c.notify):
        return s.cost.wg                             # already notified
    gq_push(s, &c.head, &c.tail, gi)
    c.nwait += 1
    gopark(s, mp, gp, waitReasonSyncCondWait, a)     # goparkunlock(&l.lock, ...)
    return s.cost.wg + s.cost.park


cdef int64_t cond_signal(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # notifyListNotifyOne
    cdef Cond *c = &s.conds[a]
    cdef int32_t gi, prev = -1, t
    cdef G *gp = getg(s, mp.curg)
    gp.pc += 1
    c.signals += 1
    line_access(s, mp.core, c.line, ACC_READ)        # l.wait.Load() == l.notify: fast path
    if c.wait == c.notify:
        return s.cost.wg
    line_access(s, mp.core, c.line, ACC_RMW)         # lock(&l.lock); l.notify.Store(t + 1)
    t = c.notify
    c.notify += 1
    gi = c.head
    while gi != -1:
        if s.gsync[gi].ticket == <uint32_t> t:
            if prev == -1:
                c.head = getg(s, gi).schedlink
            else:
                getg(s, prev).schedlink = getg(s, gi).schedlink
            if getg(s, gi).schedlink == -1:
                c.tail = prev
            getg(s, gi).schedlink = -1
            c.nwait -= 1
            c.wakeups += 1
            goready1(s, mp, gi)
            ret_push(mp, MS_RUN)
            mp.state = MS_AFTERPUT
            return s.cost.wg + s.cost.ready
        prev = gi
        gi = getg(s, gi).schedlink
    return s.cost.wg        # the ticket's owner has not reached notifyListWait: it won't park


cdef int64_t cond_broadcast(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    # notifyListNotifyAll
    cdef Cond *c = &s.conds[a]
    cdef int32_t gi, nxt
    cdef int64_t k = 0
    cdef G *gp = getg(s, mp.curg)
    gp.pc += 1
    c.broadcasts += 1
    line_access(s, mp.core, c.line, ACC_READ)
    if c.wait == c.notify:
        return s.cost.wg
    line_access(s, mp.core, c.line, ACC_RMW)         # take the list, l.notify = l.wait
    gi = c.head
    c.head = -1
    c.tail = -1
    c.notify = c.wait
    c.nwait = 0
    while gi != -1:
        nxt = getg(s, gi).schedlink
        getg(s, gi).schedlink = -1
        goready1(s, mp, gi)                          # readyWithTime -> goready
        c.wakeups += 1
        k += 1
        gi = nxt
    if k == 0:
        return s.cost.wg
    ret_push(mp, MS_RUN)
    mp.state = MS_AFTERPUT
    return s.cost.wg + k * s.cost.ready


cdef int conds_alloc(State *s, int32_t n) except -1:
    cdef int32_t i
    s.nconds = n
    if n == 0:
        return 0
    s.conds = <Cond *> calloc(n, sizeof(Cond))
    if s.conds == NULL:
        raise MemoryError("gmpcore: cannot allocate the conds")
    for i in range(n):
        s.conds[i].head = -1
        s.conds[i].tail = -1
    return 0
