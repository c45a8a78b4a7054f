# stealWork's victim walk (runtime/proc.go stealWork, randomOrder / randomEnum) at a host cost
# that follows the victims it finds, not the Ps it passes.
#
# Go's walk visits every P of the pass in stealOrder's order (start at r % nprocs, stride
# coprimes[r / nprocs % len], mod nprocs), reads idlepMask for each one other than its own, and
# probes the first that is not idle.  The emulator models exactly that: steal_i / steal_pos end
# where Go's walk leaves them, and each idlepMask read is a read of the idlepMask line through
# the coherence model.  What it no longer does is pay a function call, a line lookup and a P
# record load per skipped P:
#
#   * steal_walk tests the walk's positions against the bits of sched.idlepMask (State.idlepMask,
#     kept beside pp.idle by pidleput / pidleget / procresize) in a tight loop, and charges the
#     k idlepMask reads of the call at the end: the first through line_access (it may miss and
#     change the line's state), the other k-1 as hits (line_reads_again).  Nothing else is
#     accessed between them, so after the first read this core holds the line and every later
#     read is a hit: the counters, the cycles (s.step_acc) and the line's state come out as k
#     line_access calls leave them.
#   * with few non-idle Ps (P=256 with a dozen threads), or after WALK_TESTS positions without
#     one, next_victim_skip computes where the walk stops instead of walking there: P v comes
#     up at step d(v) = (v - pos) * inc^-1 (mod n), so the stop is the smallest d(v) over the
#     non-idle Ps (the zero bits of idlepMask), O(non-idle Ps + n/64).
#
# Used for the stride orders (VICTIM_GO, _SEQUENTIAL, _ROUND_ROBIN) without a choose_victim
# kernel, within the pass's GOMAXPROCS; the last pass's timer check (stealTimersOrRunNextG:
# any P's expired timers) is done position by position when any timer exists.

cdef extern from *:
    """
    /* a % d for 32-bit a and d from one precomputed m = 2^64 / d + 1 (Lemire, Kaser & Kurz,
       "Faster remainder by direct computation", 2019): two multiplications, no division */
    static inline uint32_t gmpcore_fastmod_u32(uint32_t a, uint64_t m, uint32_t d) {
        return (uint32_t)(((__uint128_t)(m * a) * d) >> 64);
    }
    """
    uint32_t gmpcore_fastmod_u32(uint32_t a, uint64_t m, uint32_t d) nogil
    int __builtin_ctzll(unsigned long long) nogil


cdef enum:
    WALK_TESTS = 64      # positions steal_walk tests one by one before next_victim_skip


cdef inline int64_t inv_mod(int64_t a, int64_t n) noexcept nogil:
    # the inverse of a modulo n (gcd(a, n) == 1), by the extended Euclid algorithm
    cdef int64_t t = 0, nt = 1, r = n, nr = a % n, q, x
    while nr != 0:
        q = r // nr
        x = t - q * nt
        t = nt
        nt = x
        x = r - q * nr
        r = nr
        nr = x
    return t + n if t < 0 else t


cdef inline void charge_idlep_reads(State *s, M *mp, int64_t k) noexcept nogil:
    # k reads of the idlepMask line in a row by this M's core (see the top of this file)
    if k > 0:
        acc_sched(s, mp, SF_IDLEPMASK, ACC_READ)
        line_reads_again(s, mp.core, s.sched_line[SF_IDLEPMASK], k - 1)


cdef inline bint steal_walk_ok(State *s, M *mp) noexcept nogil:
    # may this pass use steal_walk?  (a stride order, no kernel, GOMAXPROCS as at the pass's
    # start: then steal_pos < n and steal_inc is coprime to n)
    return (s.kern.choose_victim == NULL and (mp.steal_walk & 0xFFFF) == s.sched.gomaxprocs and
            (s.strat.victim == VICTIM_GO or s.strat.victim == VICTIM_SEQUENTIAL or
             s.strat.victim == VICTIM_ROUND_ROBIN))


cdef int32_t steal_walk(State *s, M *mp) noexcept nogil:
    # next_victim for a stride order (steal_walk_ok): the next non-idle P of the pass other than
    # this one (or, on the last pass, the next other P with an expired timer), -1 when the pass
    # is over.  Position by position as Go walks, idlepMask bits instead of P records; with few
    # non-idle Ps (b: the walk passes ~n/b idle Ps per victim at ~14 instructions each, the
    # computed stop costs ~12 per non-idle P and ~60 more), next_victim_skip.
    cdef int32_t n = s.sched.gomaxprocs, i = mp.steal_i, i0 = mp.steal_i, pos = mp.steal_pos
    cdef int32_t inc = mp.steal_inc, me = mp.p, vi = -1, lim, busy, mine = 0
    cdef const uint64_t *mask = s.idlepMask
    cdef bint found = False
    if mp.steal_pass == s.strat.steal_passes - 1 and s.ntimers_all > 0:
        return steal_walk_timers(s, mp)
    busy = n - s.sched.npidle
    if busy * (busy + 4) < n:
        return next_victim_skip(s, mp)
    lim = n if i + WALK_TESTS > n else i + WALK_TESTS
    while i < lim:
        vi = pos
        pos += inc                       # (pos + inc) % n: both are below n
        if pos >= n:
            pos -= n
        i += 1
        if not ((mask[vi >> 6] >> (vi & 63)) & 1):
            if vi != me:
                found = True
                break
            mine = 1                     # this P: visited, not read (held, so never idle)
    mp.steal_i = i
    mp.steal_pos = pos
    charge_idlep_reads(s, mp, i - i0 - mine)
    if found:
        return vi
    if i < n:
        return next_victim_skip(s, mp)   # a long run of idle Ps: compute where the walk stops
    return -1


cdef int32_t steal_walk_timers(State *s, M *mp) noexcept nogil:
    # steal_walk on the last pass while timers exist: stealTimersOrRunNextG stops the walk at
    # the next other P with an expired timer (without moving past it), before its idle check
    cdef int32_t n = s.sched.gomaxprocs, i = mp.steal_i, pos = mp.steal_pos
    cdef int32_t inc = mp.steal_inc, me = mp.p, vi = -1
    cdef int64_t reads = 0
    cdef const uint64_t *mask = s.idlepMask
    cdef bint found = False
    while i < n:
        vi = pos
        if vi != me and timers_due(s, vi):
            found = True
            break
        pos += inc
        if pos >= n:
            pos -= n
        i += 1
        if vi != me:
            reads += 1
            if not ((mask[vi >> 6] >> (vi & 63)) & 1):
                found = True
                break
    mp.steal_i = i
    mp.steal_pos = pos
    charge_idlep_reads(s, mp, reads)
    return vi if found else -1


cdef int32_t next_victim_skip(State *s, M *mp) noexcept nogil:
    # the rest of steal_walk's pass without visiting idle Ps one by one.  The pass's positions
    # are pos0 + d*inc (mod n), so P v comes up at step d(v) = (v - pos0) * inc^-1 (mod n); the
    # steps of the non-idle Ps other than this one, as a bitmap over d (this P's StealCache,
    # rebuilt when the pass or sched.idlepMask differ from what it was built from), give the
    # walk's next stop as the first set bit from steal_i on.  The walk's state (steal_i,
    # steal_pos) and its idlepMask reads (one per step walked, except this P's own) end up
    # exactly as the visit-by-visit walk leaves them.  No timer may be due (steal_walk does
    # the last pass with timers position by position).
    cdef int32_t n = s.sched.gomaxprocs, me = mp.p, i = mp.steal_i, inc = mp.steal_inc
    cdef int32_t nw = (n + 63) >> 6, w, b, v, inv, pos0, c, d, best, k
    cdef uint64_t word, fm
    cdef StealCache local
    cdef StealCache *sc
    cdef bint same
    fm = s.steal_fm
    if s.steal_fm_n != n:
        fm = <uint64_t> 0xFFFFFFFFFFFFFFFF // <uint64_t> n + 1
        s.steal_fm = fm
        s.steal_fm_n = n
    # where the pass started: steal_pos is pos0 + i*inc (mod n); i*inc < n*n <= 2^20
    pos0 = <int32_t> gmpcore_fastmod_u32(<uint32_t> (mp.steal_pos + n * n - i * inc), fm,
                                         <uint32_t> n)
    if s.steal_cache == NULL:
        s.steal_cache = <StealCache *> calloc(s.nprocs, sizeof(StealCache))
    sc = &s.steal_cache[me] if s.steal_cache != NULL else &local
    same = sc != &local and sc.n == n and sc.pos0 == pos0 and sc.inc == inc
    if same:
        for w in range(nw):
            if sc.mask[w] != s.idlepMask[w]:
                same = False
                break
    if not same:
        inv = mp.steal_walk >> 16
        if inv == 0:
            # once per pass: steal_inc's inverse mod n (never 0 for n >= 2)
            inv = <int32_t> inv_mod(inc, n)
            mp.steal_walk = n | (inv << 16)
        # d(v) = (v*inv mod n) - c (mod n), c = pos0*inv mod n; v*inv < 1024 * 1024
        c = <int32_t> gmpcore_fastmod_u32(<uint32_t> (pos0 * inv), fm, <uint32_t> n)
        sc.n = n
        sc.pos0 = pos0
        sc.inc = inc
        for w in range(nw):
            sc.mask[w] = s.idlepMask[w]
            sc.steps[w] = 0
        for w in range(nw):
            word = ~sc.mask[w]
            if (w + 1) << 6 > n:
                word &= ((<uint64_t> 1) << (n & 63)) - 1
            while word:
                b = __builtin_ctzll(word)
                word &= word - 1
                v = (w << 6) + b
                d = <int32_t> gmpcore_fastmod_u32(<uint32_t> (v * inv), fm, <uint32_t> n) - c
                if d < 0:
                    d += n
                if v != me:
                    sc.steps[d >> 6] |= (<uint64_t> 1) << (d & 63)
        # this P's own step: passed, neither read nor probed
        sc.dme = <int32_t> gmpcore_fastmod_u32(<uint32_t> (me * inv), fm, <uint32_t> n) - c
        if sc.dme < 0:
            sc.dme += n
    # the first non-idle step from i on (n: none left in this pass)
    best = n
    w = i >> 6
    if w < nw:
        word = sc.steps[w] & (~(<uint64_t> 0) << (i & 63))
        while True:
            if word:
                best = (w << 6) + __builtin_ctzll(word)
                break
            w += 1
            if w >= nw:
                break
            word = sc.steps[w]
    k = best + 1 if best < n else n              # steps walked, to the stop included
    mp.steal_i = k
    mp.steal_pos = <int32_t> gmpcore_fastmod_u32(<uint32_t> (pos0 + k * inc), fm, <uint32_t> n)
    charge_idlep_reads(s, mp, k - i - (1 if i <= sc.dme < k else 0))
    if best < n:
        return <int32_t> gmpcore_fastmod_u32(<uint32_t> (pos0 + best * inc), fm, <uint32_t> n)
    return -1


cdef int32_t steal_check(State *s) noexcept nogil:
    # invariant 17 (docs/invariants.md), what the walk relies on: bit pi of sched.idlepMask is
    # set exactly when P pi is idle, for every P; ntimers_all is the number of timers (per-P
    # heaps and the netpoller's), so 0 means none can be due
    cdef int32_t pi
    cdef int64_t nt = 0
    for pi in range(s.nprocs):
        if ((s.idlepMask[pi >> 6] >> (pi & 63)) & 1) != (s.allp[pi].idle != 0):
            return 17
    for pi in range(s.nprocs, 1024):
        if (s.idlepMask[pi >> 6] >> (pi & 63)) & 1:
            return 17
    for pi in range(s.nprocs + 1):
        nt += s.ntimers[pi]
    if nt != s.ntimers_all:
        return 17
    return 0
