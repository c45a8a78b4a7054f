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
# The engine charges, on top of CostModel.newproc:
#   fresh G (gfget found none)  CostModel.malg
#   reused G                    CostModel.gfget_cold * max(0, 1 - gcache / allg)
# where allg is the number of G records allocated so far (Go's allglen): the fraction of a
# uniform pick among allg stacks that misses a cache holding gcache of them.  Both are 0 by
# default (CostModel.newproc is then an average); `gmpcore calibrate` fits them to Go's
# create+run+exit cost in bursts of 2,000 and 200,000 (docs/calibration.md).


cdef inline int64_t g_footprint(State *s, bint fresh) noexcept nogil:
    # the cycles to add to the step that created a G (fresh: it came from allocg, not gfget)
    cdef int64_t n
    if fresh:
        s.c.g_fresh += 1
        return s.cost.malg
    if s.cost.gfget_cold == 0:
        return 0
    n = s.nallg
    if n <= s.cost.gcache:
        return 0
    s.c.g_cold_reuse += 1
    # gfget_cold * (n - gcache) / n without overflow (both <= 10**12, n < 2**31)
    return <int64_t> ((<double> s.cost.gfget_cold) * (n - s.cost.gcache) / n)
