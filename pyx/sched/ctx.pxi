# Context cancellation (context/context.go cancelCtx).  A context made with WithCancel has a
# Done() channel (an ordinary channel of the program, so `<-ctx.Done()` is a receive and a
# select can wait on it); its CancelFunc runs cancelCtx.cancel:
#
#   c.mu.Lock(); if already canceled: return; c.err = Canceled; close(c.done);
#   for child := range c.children { child.cancel(false, err, cause) }; c.mu.Unlock()
#
# so the context's Done is closed first, then its children's, depth first.  Go walks
# c.children, a map, in a random order; here children go in the order they were made.  Each
# close wakes the Done channel's parked receivers as closechan does (closechan_collect, then
# closechan_ready: the last parked first, each into this P's runnext).  The contexts are the program's objects, made
# before main starts (propagateCancel at creation never finds a canceled parent).  The
# cancel's cost is c.mu's Lock/Unlock (Costs.mutex) plus a channel operation (Costs.chan) per
# context canceled; the channel's lock word is accessed, its lock is not queued on.

cdef int64_t ctx_cancel(State *s, M *mp, int32_t mi, int32_t a) noexcept nogil:
    cdef G *gp = getg(s, mp.curg)
    cdef int32_t *stack
    cdef int32_t n = 0, i, j
    cdef Ctx *x
    cdef Chan *c
    cdef int64_t k = 0, cost = 0
    gp.pc += 1
    stack = <int32_t *> malloc(s.nctxs * sizeof(int32_t))
    if stack == NULL:
        fail(s, ERR_NOMEM, 13)
        return -1
    stack[0] = a
    n = 1
    while n > 0:
        n -= 1
        i = stack[n]
        x = &s.ctxs[i]
        c = &s.chans[x.done]
        cost += s.cost.mutex
        line_access(s, mp.core, s.locks[c.lock_id].line, ACC_RMW)   # c.mu, then close(d)
        if c.closed:
            continue                                  # already canceled: its subtree too
        cost += s.cost.chan
        c.closed = 1
        x.cancels += 1
        if c.sendq_head != -1:
            free(stack)
            fail(s, ERR_SEND_CLOSED, x.done)          # (the DSL never sends on a Done channel)
            return -1
        k += closechan_ready(s, mp, closechan_collect(s, c))
        # the children, first-made on top of the stack (every child's index is above its
        # parent's: the program made the parent first)
        for j in range(s.nctxs - 1, i, -1):
            if s.ctxs[j].parent == i:
                stack[n] = j
                n += 1
    free(stack)
    if k:
        ret_push(mp, MS_RUN)
        mp.state = MS_AFTERPUT
    return cost + k * s.cost.ready


cdef int ctxs_alloc(State *s, list parents, list dones) except -1:
    cdef int32_t i
    s.nctxs = len(parents)
    if s.nctxs == 0:
        return 0
    s.ctxs = <Ctx *> calloc(s.nctxs, sizeof(Ctx))
    if s.ctxs == NULL:
        raise MemoryError("gmpcore: cannot allocate the contexts")
    for i in range(s.nctxs):
        if not (-1 <= parents[i] < i and 0 <= dones[i] < s.nchans):
            raise ValueError("gmpcore: bad program: a context's parent or Done channel")
        s.ctxs[i].parent = parents[i]
        s.ctxs[i].done = dones[i]
    return 0
