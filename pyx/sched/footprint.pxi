# The goroutine footprint: what creating a G costs beyond newproc's fixed path.
#
# Go (proc.go newproc1): `newg := gfget(pp)` reuses a dead G from the P's gFree list (refilled
# from sched.gFree); only when there is none does `newg = malg(stackMin)` allocate a new G and
# its stack (stack.go stackalloc: from the P's stack cache, the stack pool, or new heap spans)
# and allgadd it.  allg never shrinks, so a fresh G's stack is memory the process has never
# touched: its first use page-faults.  A reused G is cheap while its descriptor and the top of
# its stack are still in the caches; once the Gs cycling through the free lists outnumber what
# the caches hold (a burst of 200,000 Gs is 1.6 GB of 8 KiB stacks), a reuse misses them.
#
# The engine charges, on top of the CostModel fields of each path:
#   newproc of a fresh G (gfget found none)     CostModel.malg
#   a touch of a G whose lines left the caches  CostModel.g_cold
#   a touch of a G last touched on another core  CostModel.g_move (g_moved, below)
# A G is touched when newproc creates or reuses it, when execute runs it, and when goexit
# frees it (gfput).  A touch is cold when more than CostModel.gcache goroutines were created
# since this G's last touch: each creation brings one G's lines into the caches, and they
# hold the last gcache (LRU; the creations since are a stand-in for the distinct Gs touched).
# Go's free lists are LIFO, so a G freed a moment ago is reused hot, and a G that a burst
# leaves runnable behind tens of thousands of others is cold when it finally runs.  Both
# costs are 0 by default (CostModel.newproc and execute are then averages); `gmpcore
# calibrate` fits them to Go's create+run+exit cost in a fresh burst and in bursts of 2,000
# and 200,000 recycled goroutines (docs/calibration.md).


cdef int64_t g_touch(State *s, int32_t gi, bint check) noexcept nogil:
    # G gi is touched now: the cycles of the touch (CostModel.g_cold when `check` and its lines
    # left the caches).  The stamps (s.g_touches, the creations so far, at the G's last touch)
    # are a side table by G index, grown on use.
    cdef int64_t *t
    cdef int64_t last
    cdef int32_t cap
    if gi >= s.g_touched_cap:
        cap = s.g_touched_cap * 2 if s.g_touched_cap > 0 else 1024
        while cap <= gi:
            cap *= 2
        t = <int64_t *> realloc(s.g_touched_at, cap * sizeof(int64_t))
        if t == NULL:
            fail(s, ERR_NOMEM, 12)
            return 0
        memset(t + s.g_touched_cap, 0, (cap - s.g_touched_cap) * sizeof(int64_t))
        s.g_touched_at = t
        s.g_touched_cap = cap
    last = s.g_touched_at[gi]
    s.g_touched_at[gi] = s.g_touches
    if check and last > 0 and s.g_touches - last > s.cost.gcache:
        s.c.g_cold += 1
        return s.cost.g_cold
    return 0


cdef inline int64_t g_created(State *s, bint fresh, int32_t gi) noexcept nogil:
    # newproc1 / an arrival made G gi: fresh from malg, or reused from a free list
    cdef int64_t cost = 0
    if fresh:
        s.c.g_fresh += 1
        cost = s.cost.malg
    if s.cost.g_cold:
        s.g_touches += 1                 # the clock of g_touch: creations
        cost += g_touch(s, gi, not fresh)
    return cost


cdef inline void g_moved(State *s) noexcept nogil:
    # the cache model found a G's line on another core (coherence.pxi g_access): it models one
    # line per G, but a G that moves takes more with it -- the rest of the g struct (~440
    # bytes, 7 lines, in Go 1.27 on amd64: gobuf, status, sched links, execute and gogo touch
    # them) and the top of its stack.  CostModel.g_move is their transfer (0 by default)
    s.c.g_moves += 1
    s.step_acc += s.cost.g_move
