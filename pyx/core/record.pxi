# Run errors and the growing recording buffers.
# Provides: fail (stop the run with an ErrCode), kernel_fail, grow (double a recording buffer or
# stop with ERR_NOMEM, or ERR_MEMLIMIT past the run's recording budget: rec_charge), record_start / record_mark / record_steal (record=True observations).
# Uses: State and the record structs of _types.pxd; nothing of the scheduler.

cdef inline void fail(State *s, int32_t code, int64_t arg) noexcept nogil:
    if s.status == ST_RUNNING or s.status == ST_OK:
        s.status = ST_ERROR
        s.err_code = code
        s.err_arg = arg


cdef inline void kernel_fail(State *s, int32_t hook, int32_t code) noexcept nogil:
    fail(s, ERR_KERNEL, ((<int64_t> hook) << 32) | <int64_t> (<uint32_t> code))


cdef bint rec_charge(State *s, int64_t nbytes, int32_t what) noexcept nogil:
    # a recording buffer grows by nbytes: stop the run with ERR_MEMLIMIT (err_arg: which
    # buffer) if that passes the run's recording budget (gmpcore.guard), else count them
    if s.rec_limit > 0 and s.rec_bytes + nbytes > s.rec_limit:
        fail(s, ERR_MEMLIMIT, what)
        return False
    s.rec_bytes += nbytes
    return True


cdef bint grow(State *s, void **buf, int64_t n, int64_t *cap, size_t elem,
               int32_t what) noexcept nogil:
    # make room for element n of a recording buffer (doubling); on failure stop the run with
    # ERR_NOMEM (err_arg says which buffer) and return False
    cdef void *p
    if n < cap[0]:
        return True
    if not rec_charge(s, cap[0] * elem, what):
        return False
    p = realloc(buf[0], 2 * cap[0] * elem)
    if p == NULL:
        fail(s, ERR_NOMEM, what)
        return False
    buf[0] = p
    cap[0] *= 2
    return True


cdef void record_start(State *s, int64_t goid) noexcept nogil:
    if grow(s, <void **> &s.start_order, s.nstart, &s.start_cap, sizeof(int64_t), 4):
        s.start_order[s.nstart] = goid
        s.nstart += 1


cdef bint record_mark(State *s, int32_t gi, G *gp, int32_t label, int32_t p) noexcept nogil:
    cdef MarkRec *r
    if not grow(s, <void **> &s.marks, s.nmarks, &s.marks_cap, sizeof(MarkRec), 5):
        return False
    r = &s.marks[s.nmarks]
    s.nmarks += 1
    r.time = s.now
    r.goid = gp.goid
    r.parent_goid = gp.parent_goid
    r.label = label
    r.spawn_index = gp.spawn_index
    r.iteration = g_iter(s, gi, gp)
    r.p = p
    r.value = g_val(s, gi)
    r.value2 = 0
    r.value3 = 0
    return True


cdef void record_steal(State *s, int32_t thief, int32_t victim, int32_t n, int32_t vlen,
                       int32_t runnext) noexcept nogil:
    cdef StealRec *r
    if not grow(s, <void **> &s.steals, s.nsteals, &s.steals_cap, sizeof(StealRec), 6):
        return
    r = &s.steals[s.nsteals]
    s.nsteals += 1
    r.time = s.now
    r.thief = thief
    r.victim = victim
    r.n = n
    r.victim_len = vlen
    r.runnext = runnext
