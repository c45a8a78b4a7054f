# Scheduling-latency histogram: log-linear buckets (32 per power of two), so 10M samples cost
# 15 KiB and percentiles are exact to 1/32 of the value.  gmpcore/result.py mirrors
# bucket_bounds() to turn counts into percentiles.

cdef extern from *:
    int __builtin_clzll(unsigned long long) nogil


cdef inline int32_t hist_bucket(int64_t v) noexcept nogil:
    cdef int32_t e
    if v < 32:
        return <int32_t> (v if v > 0 else 0)
    e = 63 - __builtin_clzll(<unsigned long long> v)
    return (e - 4) * 32 + <int32_t> ((v >> (e - 5)) & 31)


cdef inline void hist_add(State *s, int64_t v) noexcept nogil:
    s.hist[hist_bucket(v)] += 1
    s.c.lat_count += 1
    s.c.lat_sum += v
    if v > s.c.lat_max:
        s.c.lat_max = v
