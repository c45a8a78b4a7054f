# The engine's only source of randomness: splitmix64 in State.rng, seeded from the run's seed.
# Go itself randomises only the steal victim order (cheaprand per stealWork pass); distributions
# of user work are drawn from the same stream, in event order, so a run is reproducible bit for
# bit.

cdef inline uint64_t rng_next(State *s) noexcept nogil:
    cdef uint64_t z
    s.rng += <uint64_t> 0x9E3779B97F4A7C15ULL
    z = s.rng
    z = (z ^ (z >> 30)) * <uint64_t> 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t> 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint32_t cheaprand(State *s) noexcept nogil:
    return <uint32_t> (rng_next(s) >> 32)


cdef inline double rng_uniform(State *s) noexcept nogil:
    # in [0, 1)
    return <double> (rng_next(s) >> 11) * (1.0 / 9007199254740992.0)


cdef int64_t sample_dist(State *s, int32_t d) noexcept nogil:
    cdef int32_t kind = s.dist_kind[d]
    cdef double a = s.dist_a[d], b = s.dist_b[d], u, v, x
    if kind == DIST_CONST:
        x = a
    elif kind == DIST_EXP:
        x = -a * log(1.0 - rng_uniform(s))
    elif kind == DIST_UNIFORM:
        x = a + (b - a) * rng_uniform(s)
    else:  # DIST_LOGNORMAL: exp(N(a, b)), Box-Muller on two fresh uniforms
        u = 1.0 - rng_uniform(s)
        v = rng_uniform(s)
        x = exp(a + b * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v))
    if x < 0.0:
        return 0
    if x > 4.0e18:
        return <int64_t> 4000000000000000000
    return <int64_t> (x + 0.5)
