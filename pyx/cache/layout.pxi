# The layout of the modelled 64-byte lines: which scheduler fields share a line (Machine.layout
# "go": Go's struct p and schedt; "padded": a line each), then the lines of user objects.
# Provides socket_masks (also used by the test hook _test_coherence) and cache_layout.
# Uses the State sizes set by sched/start.pxi's state_alloc; cache/coherence.pxi reads the result.

cdef void socket_masks(State *s, int32_t ncores, int32_t sockets) noexcept:
    # cores of each socket as bitmasks (cores are split evenly, socket i has the i-th block)
    cdef int32_t i, j, k
    s.ncores = ncores
    s.cores_per_socket = ncores // sockets
    for i in range(sockets):
        for j in range(s.cores_per_socket):
            k = i * s.cores_per_socket + j
            s.socket_mask[i][k >> 6] |= (<uint64_t> 1) << (k & 63)
            s.core_socket[k] = <uint8_t> i


cdef int cache_layout(State *s, int ncores, int sockets, int layout) except -1:
    # Lay the modelled lines out: each P's runq lines, the schedt lines, the user lines.
    cdef int32_t i, j, k, C = s.strat.ring_cap, nsched, base, nvarlines
    if ncores < 1 or ncores > MAX_CORES or sockets < 1 or sockets > 8 or ncores % sockets:
        raise ValueError("bad cores/sockets")
    socket_masks(s, ncores, sockets)
    if layout == LAYOUT_GO:
        # Go's struct p: runqhead, runqtail, runq [C]guintptr, runnext -- contiguous, so
        # head/tail share a line with ring[0:7] and runnext with the last slot
        s.tail_line = 0
        s.slot_shift = 1
        s.slot_base = 0
        s.runnext_line = (C + 1) >> 3
    else:
        # padded: head, tail, ring and runnext each start a line of their own
        s.tail_line = 1
        s.slot_shift = 0
        s.slot_base = 2
        s.runnext_line = 2 + C // 8
    s.lines_per_p = s.runnext_line + 1
    if layout == LAYOUT_GO:
        # schedt: lock shares a line with goidgen and the idle-M list; the global queue with
        # the idle-P list and the spinning counters
        nsched = 3
        s.sched_line[SF_LOCK] = 0
        s.sched_line[SF_MIDLE] = 0
        s.sched_line[SF_GOID] = 0
        s.sched_line[SF_RUNQ] = 1
        s.sched_line[SF_IDLE] = 1
        s.sched_line[SF_SPIN] = 1
        s.sched_line[SF_IDLEPMASK] = 2
    else:
        nsched = NSCHEDFIELDS
        for i in range(NSCHEDFIELDS):
            s.sched_line[i] = i
    base = s.nprocs * s.lines_per_p
    nvarlines = 0
    for i in range(s.nvars):
        s.var_line[i] = nvarlines                  # (offset; the base is added below)
        nvarlines += (1 if s.var_kind[i] == VAR_SHARED else
                      (s.nprocs + 7) // 8 if s.var_kind[i] == VAR_PER_P else s.nprocs)
    s.nlines = (base + nsched + s.nwgs + s.nchans + s.nmutexes + (s.nlocks - s.rtlock0)
                + nvarlines + s.nrwmutexes)
    j = s.nlines                                  # sync.Pool and sync.Cond lines from here on
    s.nlines += pools_nlines(s) + s.nconds
    s.lines = <Line *> calloc(s.nlines, sizeof(Line))
    s.lines_cap = s.nlines                     # (grown by channels made at run time)
    s.core_hit = <int64_t *> calloc(ncores, sizeof(int64_t))
    s.core_miss = <int64_t *> calloc(ncores, sizeof(int64_t))
    if s.lines == NULL or s.core_hit == NULL or s.core_miss == NULL:
        raise MemoryError("gmpcore: cannot allocate the cache model")
    for i in range(s.nlines):
        s.lines[i].owner = -1
    for i in range(s.nprocs):
        s.allp[i].line_base = i * s.lines_per_p
        for j in range(s.lines_per_p):
            k = i * s.lines_per_p + j
            if j == 0:
                s.lines[k].cls = LC_P_HEAD
            elif j == s.runnext_line:
                s.lines[k].cls = LC_P_RUNNEXT
            elif j == s.tail_line:
                s.lines[k].cls = LC_P_TAIL
            else:
                s.lines[k].cls = LC_P_RING
    for i in range(NSCHEDFIELDS):
        s.sched_line[i] += base
    if layout == LAYOUT_GO:
        s.lines[base].cls = LC_SCHED_LOCK
        s.lines[base + 1].cls = LC_SCHED_RUNQ
        s.lines[base + 2].cls = LC_IDLEPMASK
    else:
        s.lines[s.sched_line[SF_LOCK]].cls = LC_SCHED_LOCK
        s.lines[s.sched_line[SF_RUNQ]].cls = LC_SCHED_RUNQ
        s.lines[s.sched_line[SF_IDLE]].cls = LC_SCHED_IDLE
        s.lines[s.sched_line[SF_SPIN]].cls = LC_SCHED_SPIN
        s.lines[s.sched_line[SF_MIDLE]].cls = LC_SCHED_MIDLE
        s.lines[s.sched_line[SF_GOID]].cls = LC_SCHED_GOID
        s.lines[s.sched_line[SF_IDLEPMASK]].cls = LC_IDLEPMASK
    s.wg_line0 = base + nsched
    for i in range(s.nwgs):
        s.lines[s.wg_line0 + i].cls = LC_USER
    s.chan_line0 = s.wg_line0 + s.nwgs
    for i in range(s.nchans):
        s.lines[s.chan_line0 + i].cls = LC_CHAN
        s.locks[1 + i].line = s.chan_line0 + i
    s.mutex_line0 = s.chan_line0 + s.nchans
    for i in range(s.nmutexes):
        s.lines[s.mutex_line0 + i].cls = LC_USER
        s.mutexes[i].line = s.mutex_line0 + i
    for i in range(s.rtlock0, s.nlocks):
        k = s.mutex_line0 + s.nmutexes + (i - s.rtlock0)
        s.lines[k].cls = LC_USER
        s.locks[i].line = k
    k = s.mutex_line0 + s.nmutexes + (s.nlocks - s.rtlock0)
    for i in range(k, s.nlines):
        s.lines[i].cls = LC_USER
    for i in range(s.nvars):
        s.var_line[i] += k
    s.rw_line0 = j - s.nrwmutexes
    for i in range(s.nrwmutexes):
        s.rwmutexes[i].line = s.rw_line0 + i
    pools_layout(s, j)                            # (sched/pool.pxi)
    s.cond_line0 = s.nlines - s.nconds
    for i in range(s.nconds):
        s.conds[i].line = s.cond_line0 + i
    return 0
