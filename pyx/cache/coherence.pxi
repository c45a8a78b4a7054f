# The coherence directory: MESI-like states per modelled 64-byte line.
#
#   read:   hit if this core holds a copy; else the line comes from the owner (M/E -> both S),
#           from a sharer, or from memory (-> E); a transfer is "local" when a copy sits on this
#           core's socket, "remote" otherwise.
#   write / atomic RMW:  hit if this core owns it (M/E), or is the only sharer (silent upgrade);
#           otherwise every other copy is invalidated and the line moves here (-> M).
#
# Each access adds its cycles to s.step_acc; the engine adds those to the micro-step's cost, so
# a contended line lengthens critical sections and widens the window between a load and a CAS.
# Goroutine descriptors use a cheaper migratory model (one owner per G, 2 bytes in the G): a G
# is touched by whoever schedules it, so its line simply follows it from core to core.

cdef inline int socket_of(State *s, int32_t core) noexcept nogil:
    return s.core_socket[core]          # core // cores_per_socket, without the division


cdef inline int64_t account(State *s, int32_t core, int32_t cls, int32_t what) noexcept nogil:
    # what: 0 hit, 1 local transfer, 2 remote transfer, 3 memory.  Only the outcome counts are
    # kept per event (per class, and hits/misses per core); accesses and cycles follow from them
    # and the (run-constant) costs at the end: cstats_total.
    cdef CacheStats *st = &s.cstats[cls]
    cdef int64_t c
    if what == 0:
        st.hits += 1
        s.core_hit[core] += 1
        c = s.cost.cache_hit
    else:
        s.core_miss[core] += 1
        if what == 1:
            st.transfers_local += 1
            c = s.cost.cache_local
        elif what == 2:
            st.transfers_remote += 1
            c = s.cost.cache_remote
        else:
            st.mem += 1
            c = s.cost.cache_mem
    s.step_acc += c
    return c


cdef void cstats_total(State *s, CacheStats *out) noexcept nogil:
    # the per-class statistics as read from outside: accesses and cycles derived from the
    # outcome counts (account keeps only those)
    cdef int32_t k
    cdef CacheStats *st
    for k in range(NLINECLASSES):
        st = &out[k]
        st[0] = s.cstats[k]
        st.accesses = st.hits + st.transfers_local + st.transfers_remote + st.mem
        st.cycles = (st.hits * s.cost.cache_hit + st.transfers_local * s.cost.cache_local +
                     st.transfers_remote * s.cost.cache_remote + st.mem * s.cost.cache_mem)


cdef extern from *:
    bint __builtin_smulll_overflow(long long, long long, long long *) nogil


cdef void cache_cycles_check(State *s) noexcept nogil:
    # the checked form of cstats_total's cycle totals (acc_add's rule where they are derived):
    # a class whose cycles pass 2^63 (accesses x costs up to 10^12) stops the run with
    # ERR_OVERFLOW / OVF_CACHE rather than report a wrapped, negative figure.  Engine.run calls
    # it after every chunk, whatever status the chunk ended with.
    cdef int32_t k
    cdef CacheStats *st
    cdef long long tot, t
    if not s.cache_on or s.status == ST_ERROR:
        return
    for k in range(NLINECLASSES):
        st = &s.cstats[k]
        tot = 0
        if (__builtin_smulll_overflow(st.hits, s.cost.cache_hit, &t)
                or __builtin_saddll_overflow(tot, t, &tot)
                or __builtin_smulll_overflow(st.transfers_local, s.cost.cache_local, &t)
                or __builtin_saddll_overflow(tot, t, &tot)
                or __builtin_smulll_overflow(st.transfers_remote, s.cost.cache_remote, &t)
                or __builtin_saddll_overflow(tot, t, &tot)
                or __builtin_smulll_overflow(st.mem, s.cost.cache_mem, &t)
                or __builtin_saddll_overflow(tot, t, &tot)):
            s.status = ST_ERROR
            s.err_code = ERR_OVERFLOW
            s.err_arg = OVF_CACHE
            return


cdef inline int32_t copy_distance(State *s, Line *L, int32_t core) noexcept nogil:
    # where would a copy come from: 1 a core on my socket, 2 another socket, 3 memory
    cdef int sock = socket_of(s, core), w
    if L.nsharers == 0 and L.owner < 0:
        return 3
    if s.cores_per_socket == s.ncores:
        return 1                       # one socket: every copy is on it
    if L.owner >= 0:
        return 1 if socket_of(s, L.owner) == sock else 2
    for w in range(4):
        if L.sharers[w] & s.socket_mask[sock][w]:
            return 1
    return 2


cdef inline int64_t line_access(State *s, int32_t core, int32_t li, int32_t kind) noexcept nogil:
    # the common case inline: a hit (this core holds a copy, and for a write it owns the line or
    # is its only sharer); everything else in line_miss.  Tested as "this core owns it, or reads
    # a copy it holds": a line has an owner exactly when it has one sharer, the owner (every
    # transition in line_miss keeps that, and a fresh line has neither), so "the only sharer"
    # is the owner and needs no test of its own, and a write hit leaves the owner as it is.
    cdef Line *L
    if not s.cache_on:
        return 0
    L = &s.lines[li]
    if L.owner == core or (kind == ACC_READ and (L.sharers[core >> 6] >> (core & 63)) & 1):
        s.cstats[L.cls].hits += 1
        s.core_hit[core] += 1
        s.step_acc += s.cost.cache_hit
        return s.cost.cache_hit
    return line_miss(s, L, core, kind)


cdef int64_t line_miss(State *s, Line *L, int32_t core, int32_t kind) noexcept nogil:
    # the rest of the protocol, for what line_access found not to be a hit: a read of a line
    # this core holds no copy of, or a write to a line it does not own (if it holds a copy, it
    # is one of several: an upgrade)
    cdef int32_t w = core >> 6, what, i
    cdef uint64_t bit = (<uint64_t> 1) << (core & 63)
    cdef CacheStats *st = &s.cstats[L.cls]
    cdef int64_t c
    if kind == ACC_READ:
        what = copy_distance(s, L, core)
        if what == 3:
            L.owner = <int16_t> core           # Exclusive
        else:
            L.owner = -1                       # owner (if any) downgrades: all Shared
        L.sharers[w] |= bit
        L.nsharers += 1
    else:
        # write or atomic RMW
        if L.sharers[w] & bit:
            # Shared -> Modified with other copies around: invalidate them (an upgrade miss,
            # costed like a transfer from the nearest other copy)
            L.sharers[w] &= ~bit
            L.nsharers -= 1
        what = copy_distance(s, L, core)
        st.invalidations += L.nsharers
        for i in range(4):
            L.sharers[i] = 0
        L.sharers[w] = bit
        L.nsharers = 1
        L.owner = <int16_t> core
    # account(s, core, L.cls, what) for a miss
    s.core_miss[core] += 1
    if what == 1:
        st.transfers_local += 1
        c = s.cost.cache_local
    elif what == 2:
        st.transfers_remote += 1
        c = s.cost.cache_remote
    else:
        st.mem += 1
        c = s.cost.cache_mem
    s.step_acc += c
    return c


cdef inline int64_t g_access(State *s, int32_t core, int32_t gi, int32_t kind) noexcept nogil:
    cdef G *gp
    cdef int32_t o, what
    if not s.cache_on:
        return 0
    gp = getg(s, gi)
    o = gp.cowner
    if o == core:
        what = 0
    elif o < 0:
        what = 3
    else:
        what = 1 if socket_of(s, o) == socket_of(s, core) else 2
        if kind != ACC_READ:
            s.cstats[LC_G].invalidations += 1
        if s.cost.g_move:
            g_moved(s)                   # the G's other lines follow it (footprint.pxi)
    gp.cowner = <int16_t> core
    return account(s, core, LC_G, what)


# --- where scheduler fields live ------------------------------------------------------------

cdef inline int64_t acc_head(State *s, M *mp, P *pp, int32_t kind) noexcept nogil:
    return line_access(s, mp.core, pp.line_base, kind)


cdef inline int64_t acc_tail(State *s, M *mp, P *pp, int32_t kind) noexcept nogil:
    return line_access(s, mp.core, pp.line_base + s.tail_line, kind)


cdef inline int64_t acc_runnext(State *s, M *mp, P *pp, int32_t kind) noexcept nogil:
    return line_access(s, mp.core, pp.line_base + s.runnext_line, kind)


cdef inline int64_t acc_slot(State *s, M *mp, P *pp, uint32_t idx, int32_t kind) noexcept nogil:
    cdef uint32_t slot = idx & s.ring_mask
    return line_access(s, mp.core,
                       pp.line_base + s.slot_base + <int32_t> ((slot + s.slot_shift) >> 3), kind)


cdef inline void acc_slots(State *s, M *mp, P *pp, uint32_t start, uint32_t n,
                           int32_t kind) noexcept nogil:
    # n consecutive slots: one access per line touched
    cdef uint32_t i
    cdef int32_t li, last = -1
    if not s.cache_on:
        return
    for i in range(n):
        li = pp.line_base + s.slot_base + <int32_t> ((((start + i) & s.ring_mask) + s.slot_shift) >> 3)
        if li != last:
            line_access(s, mp.core, li, kind)
            last = li


cdef inline int64_t acc_sched(State *s, M *mp, int32_t field, int32_t kind) noexcept nogil:
    return line_access(s, mp.core, s.sched_line[field], kind)


cdef inline int64_t acc_g(State *s, M *mp, int32_t gi, int32_t kind) noexcept nogil:
    return g_access(s, mp.core, gi, kind)


cdef inline int64_t acc_wg(State *s, M *mp, int32_t wg, int32_t kind) noexcept nogil:
    return line_access(s, mp.core, s.wg_line0 + wg, kind)


cdef inline void line_reads_again(State *s, int32_t core, int32_t li, int64_t k) noexcept nogil:
    # k more reads of line li by core right after one: all hits (the core holds a copy now),
    # counted as k line_access calls would count them
    if not s.cache_on or k <= 0:
        return
    s.cstats[s.lines[li].cls].hits += k
    s.core_hit[core] += k
    s.step_acc += k * s.cost.cache_hit
