# Event heap: a binary min-heap of (time, seq).  seq is a global counter, so two events at the
# same cycle run in the order they were scheduled; nothing is ever broken at random, and a run
# is a pure function of (program, config, seed).

cdef inline bint ev_before(Event *a, Event *b) noexcept nogil:
    return a.time < b.time or (a.time == b.time and a.seq < b.seq)


cdef inline int ev_before_nb(Event *a, Event *b) noexcept nogil:
    # ev_before without branches (bitwise on the comparisons' 0/1): for picking the earlier
    # child in a sift, a coin toss the branch predictor misses half the time
    return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq))


cdef int heap_push(State *s, int64_t time, int32_t kind, int32_t ident) noexcept nogil:
    cdef Event *h
    cdef Event ev
    cdef int64_t i, parent
    if s.heap_n == s.heap_cap:
        h = <Event *> realloc(s.heap, 2 * s.heap_cap * sizeof(Event))
        if h == NULL:
            fail(s, ERR_NOMEM, 0)
            return -1
        s.heap = h
        s.heap_cap *= 2
    ev.time = time
    ev.seq = s.seq
    ev.kind = kind
    ev.id = ident
    s.seq += 1
    h = s.heap
    i = s.heap_n
    s.heap_n += 1
    while i > 0:
        parent = (i - 1) >> 1
        if not ev_before(&ev, &h[parent]):
            break
        h[i] = h[parent]
        i = parent
    h[i] = ev
    return 0


cdef inline int m_push(State *s, int64_t time, int32_t mi) noexcept nogil:
    # schedule M mi's next micro-step, tagged with its current event generation
    return heap_push(s, time, EV_M | (s.allm[mi].ev_gen << 4), mi)


cdef inline void sift_down(Event *h, int64_t n, Event *ev) noexcept nogil:
    # put ev into the hole at h[0] of the n-event heap h, moving earlier children up.  Tested
    # per level: both children exist (one bound check instead of two); the lone left child the
    # last level can have is handled once at the end.  (A bottom-up sift, down to a leaf and
    # back up, was tried: an M's next event is not usually the latest at 16 Ps, so it compared
    # more and moved more: +1% instructions per event.)
    cdef int64_t i = 0, child = 2, c
    while child < n:                        # both children exist
        c = child - 1 + ev_before_nb(&h[child], &h[child - 1])
        if not ev_before(&h[c], ev):
            h[i] = ev[0]
            return
        h[i] = h[c]
        i = c
        child = 2 * i + 2
    if child == n and ev_before(&h[n - 1], ev):     # a lone left child, the last element
        h[i] = h[n - 1]
        i = n - 1
    h[i] = ev[0]


cdef Event heap_pop(State *s) noexcept nogil:
    cdef Event *h = s.heap
    cdef Event top = h[0]
    cdef Event last
    s.heap_n -= 1
    if s.heap_n > 0:
        last = h[s.heap_n]
        sift_down(h, s.heap_n, &last)
    return top


cdef inline Event m_event(State *s, int64_t time, int32_t mi) noexcept nogil:
    # the event m_push would insert now (same seq, same generation tag), not yet in the heap
    cdef Event ev
    ev.time = time
    ev.seq = s.seq
    ev.kind = EV_M | (s.allm[mi].ev_gen << 4)
    ev.id = mi
    s.seq += 1
    return ev


cdef int heap_insert(State *s, Event *ev) noexcept nogil:
    # heap_push of an event made earlier (its seq already taken)
    cdef Event *h
    cdef int64_t i, parent
    if s.heap_n == s.heap_cap:
        h = <Event *> realloc(s.heap, 2 * s.heap_cap * sizeof(Event))
        if h == NULL:
            fail(s, ERR_NOMEM, 0)
            return -1
        s.heap = h
        s.heap_cap *= 2
    h = s.heap
    i = s.heap_n
    s.heap_n += 1
    while i > 0:
        parent = (i - 1) >> 1
        if not ev_before(ev, &h[parent]):
            break
        h[i] = h[parent]
        i = parent
    h[i] = ev[0]
    return 0


cdef Event heap_pushpop(State *s, Event *ev) noexcept nogil:
    # heap_insert(ev) then heap_pop() in one sift (Python's heapq.heappushpop): the earliest of
    # ev and the heap comes out, and the heap ends up exactly as the two calls would leave it
    # in content; its order of ties is (time, seq), which is total, so the next pops are the same.
    cdef Event *h = s.heap
    cdef Event top
    cdef int64_t n = s.heap_n
    if n == 0 or ev_before(ev, &h[0]):
        return ev[0]
    top = h[0]
    sift_down(h, n, ev)
    return top
