# The per-P ring (runtime/proc.go runqput, runqputslow, runqempty, runqgrab's copy), and the
# M-side list of Gs bound for the global queue.
#
# The ring is single-producer / multi-consumer: runqtail is written only by the owner; runqhead
# is advanced by CAS by the owner (runqget) and by thieves (runqgrab).  Indexes are free-running
# uint32 counters, slot = index & ring_mask.

cdef inline int32_t *ring(State *s, P *pp) noexcept nogil:
    return &s.runq_buf[pp.runq_off]


cdef inline bint runqempty(State *s, P *pp) noexcept nogil:
    return pp.runqhead == pp.runqtail and pp.runnext == -1


cdef inline void gbatch_add(State *s, M *mp, int32_t gi) noexcept nogil:
    # queue a G for the global queue; the M puts the whole batch under one sched.lock
    getg(s, gi).schedlink = -1
    if mp.gbatch_n == 0:
        mp.gbatch_head = gi
    else:
        acc_g(s, mp, mp.gbatch_tail, ACC_WRITE)
        getg(s, mp.gbatch_tail).schedlink = gi
    mp.gbatch_tail = gi
    mp.gbatch_n += 1


cdef enum:
    PUT_PLAIN = -1           # runqput(pp, gp, next=false)
    PUT_NEWPROC = 0          # newproc: runqput(pp, newg, next=true)
    PUT_READY = 1            # ready / goready: runqput(pp, gp, next=true)


cdef void runqput(State *s, M *mp, P *pp, int32_t gi, int32_t kind) noexcept nogil:
    # func runqput.  For a new or readied G (kind >= 0) the strategy decides where it goes: in
    # Go, runnext, kicking the old runnext to the ring tail.  A full ring triggers runqputslow:
    # the oldest half plus the G being put go to the global queue (collected on the M, put
    # under sched.lock by the MS_AFTERPUT sequence).
    cdef int32_t old, i, n, place = READY_TAIL
    cdef uint32_t h, t
    cdef int32_t *rq
    if s.strat.global_only:
        gbatch_add(s, mp, gi)
        return
    if kind >= 0:
        place = s.strat.ready
        if s.kern.place_ready != NULL:
            place = s.kern.place_ready(pp.id, getg(s, gi).goid, kind,
                               <int32_t> (pp.runqtail - pp.runqhead), pp.runnext != -1)
            if place < 0 or place > READY_GLOBAL:
                kernel_fail(s, HOOK_READY, place)
                place = READY_TAIL
        if place == READY_GLOBAL:
            gbatch_add(s, mp, gi)
            return
    if place == READY_RUNNEXT and s.strat.use_runnext:
        acc_runnext(s, mp, pp, ACC_RMW)       # CAS loop on runnext (owner: cannot fail)
        s.c.cas_attempts += 1
        old = pp.runnext
        pp.runnext = gi
        s.c.runnext_puts += 1
        if old == -1:
            return
        gi = old
        s.c.runnext_kicks += 1
    acc_head(s, mp, pp, ACC_READ)             # LoadAcq(runqhead)
    h = pp.runqhead
    t = pp.runqtail
    rq = ring(s, pp)
    if t - h < <uint32_t> s.strat.ring_cap:
        acc_slot(s, mp, pp, t, ACC_WRITE)
        acc_tail(s, mp, pp, ACC_WRITE)        # StoreRel(runqtail)
        rq[t & s.ring_mask] = gi
        pp.runqtail = t + 1
        return
    # runqputslow: the oldest overflow_batch Gs (Go: half of the full ring) plus gi
    n = s.strat.overflow_batch
    acc_slots(s, mp, pp, h, <uint32_t> n, ACC_READ)
    acc_head(s, mp, pp, ACC_RMW)
    s.c.cas_attempts += 1
    for i in range(n):
        gbatch_add(s, mp, rq[(h + <uint32_t> i) & s.ring_mask])
    pp.runqhead = h + <uint32_t> n      # CasRel(runqhead, h, h+n): atomic within this step
    gbatch_add(s, mp, gi)
    s.c.runqputslow += 1
    s.pstats[pp.id].runqputslow += 1


cdef int32_t runq_move(State *s, M *mp, P *pp, P *victim, uint32_t start,
                       uint32_t n) noexcept nogil:
    # runqsteal after a successful CAS: victim slots [start, start+n) go to the thief's ring
    # tail in victim order; the last one is returned to run now.  The CAS already moved the
    # victim's head (steal from the head) -- or its tail (steal from the tail), done here.
    cdef uint32_t t = pp.runqtail, i
    cdef int32_t *src = ring(s, victim)
    cdef int32_t *dst = ring(s, pp)
    cdef int32_t gi
    acc_slots(s, mp, pp, t, n, ACC_WRITE)
    if n > 1:
        acc_tail(s, mp, pp, ACC_WRITE)
    for i in range(n):
        dst[(t + i) & s.ring_mask] = src[(start + i) & s.ring_mask]
    if s.strat.steal_tail:
        victim.runqtail = start
    else:
        victim.runqhead = start + n
    gi = dst[(t + n - 1) & s.ring_mask]
    pp.runqtail = t + n - 1             # the other n-1 become visible (StoreRel)
    return gi
