# Scheduling-latency histogram: log-linear buckets (32 per power of two), so 10M samples cost
# 15 KiB and percentiles are exact to 1/32 of the value.  gmpcore/result.py mirrors
# bucket_bounds() to turn counts into percentiles.

cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil
    bint __builtin_saddll_overflow(long long, long long, long long *) nogil


cdef inline void acc_add(State *s, int64_t *acc, int64_t v, int32_t which) noexcept nogil:
    # add v to a cycle total that may outgrow an int64 on accepted inputs (a sum over Ms, Gs
    # or accesses of durations each up to 2^62, or of costs up to 10^12): stop the run with
    # ERR_OVERFLOW naming it rather than wrap to a wrong (negative) figure
    if __builtin_saddll_overflow(acc[0], v, <long long *> acc):
        fail(s, ERR_OVERFLOW, which)


cdef inline int32_t hist_bucket(int64_t v) noexcept nogil:
    cdef int32_t e
    if v < 32:
        return <int32_t> (v if v > 0 else 0)
    e = 63 - __builtin_clzll(<unsigned long long> v)
    return (e - 4) * 32 + <int32_t> ((v >> (e - 5)) & 31)


cdef inline void hist_add(State *s, int64_t v) noexcept nogil:
    s.hist[hist_bucket(v)] += 1
    s.c.lat_count += 1
    s.c.lat_sum += v                  # < 2^63: lat_sum < 2^62 and v <= now <= 2^62
    if s.c.lat_sum >= (<int64_t> 1) << 62:        # carry
        s.c.lat_sum -= (<int64_t> 1) << 62
        s.c.lat_sum_hi += 1
    if v > s.c.lat_max:
        s.c.lat_max = v
