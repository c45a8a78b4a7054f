# The livelock guard: a run whose emulated time never advances must stop with an error, not
# hang.  (The scheduler is a set of Ms stepping at cycle times; with CostModel.zero() a bug that
# makes Ms retry something at one instant -- timers.pxi become_poller once did -- loops forever.)
#
# "Time did not advance for N events" alone would fire on legitimate runs: with zero costs a
# burst of goroutines runs many events at one timestamp.  The guard's test is "no goroutine made
# progress": during a whole window of events
#   - the emulated time stayed at one cycle, and
#   - no goroutine counter moved (created, started by execute, parked, readied, preempted,
#     finished, a system call, a netpoll wake, a steal, a global-queue get, an arrival, a touch,
#     a GC cycle or stop-the-world), and
#   - no goroutine instruction ran: checked event by event over a second, shorter window (an M
#     whose step leaves it in MS_RUN with a G is about to interpret that G's next instructions --
#     every interp step is preceded by such a step of the same M -- and GC mark work steps count
#     as progress too).
# Only then does the run fail with ERR_LIVELOCK; gmpcore.runner names the Ms' states.  A
# goroutine in a long zero-cost loop, a zero-cost burst, a GC cycle at zero cost: all make
# progress, so the guard stays silent on them.
#
# Cost: run_loop compares its event count with one precomputed count per event (the compare
# that already served check_every); this file's functions run once per GUARD_WINDOW events,
# or on every event only while a window without progress is being verified.

cdef enum:
    GUARD_WINDOW = 1 << 20    # events between two looks at time and the progress signature
    GUARD_VERIFY = 1 << 16    # then, events watched one by one before declaring a livelock

# test hooks (testhooks.pxi _test_livelock_poller): bit 0 reverts become_poller's fix for the
# zero-cost poll livelock, so the tests can force a real livelock through the public API
cdef int32_t g_test_flags = 0


cdef inline int64_t guard_signature(State *s) noexcept nogil:
    # the sum of monotonic counters: equal sums mean none of them moved
    cdef Counters *c = &s.c
    return (c.goroutines_created + c.goroutines_finished + c.executes + c.parks + c.readies +
            c.preemptions + c.syscalls + c.netpoll_ready + c.stolen_gs + c.globrunq_gets +
            c.arrivals + c.touches + c.gc_cycles + c.stw_count)


cdef inline void guard_reset(State *s, int64_t events) noexcept nogil:
    s.guard_now = s.now
    s.guard_sig = guard_signature(s)
    s.guard_since = events
    s.guard_verify_end = 0
    s.guard_next = events + GUARD_WINDOW


cdef inline int64_t periodic_next(State *s) noexcept nogil:
    return s.inv_next if s.inv_next < s.guard_next else s.guard_next


cdef int64_t periodic_start(State *s, int64_t events, int64_t check_every) noexcept nogil:
    # run_loop's entry (`events`: its count of events, s.events until it returns): the event
    # count of its first periodic_check
    s.inv_next = events + check_every if check_every > 0 else INT64_MAX
    if s.guard_next == 0:
        guard_reset(s, events)
    return periodic_next(s)


cdef int64_t periodic_check(State *s, int32_t mi, int64_t events,
                            int64_t check_every) noexcept nogil:
    # called by run_loop after M mi's step once its event count reached the count this
    # returned last time: the invariants every check_every events, the livelock guard; returns
    # the next count
    if events >= s.inv_next:
        s.inv_next = events + check_every
        check_invariants(s)
    if events >= s.guard_next:
        livelock_guard(s, mi, events)
    return periodic_next(s)


cdef void livelock_guard(State *s, int32_t mi, int64_t events) noexcept nogil:
    cdef M *mp = &s.allm[mi]
    if s.now != s.guard_now or guard_signature(s) != s.guard_sig:
        guard_reset(s, events)                      # time or a goroutine moved
        return
    if s.guard_verify_end == 0:
        # a whole window at one instant with no goroutine counter moving: watch every event
        s.guard_verify_end = events + GUARD_VERIFY
        s.guard_next = events + 1
        return
    if (mp.curg >= 0 and mp.state == MS_RUN) or mp.state == MS_GCWORK or \
            mp.state == MS_GCASSIST:
        guard_reset(s, events)                      # a goroutine's instructions, GC work
        return
    if events >= s.guard_verify_end:
        fail(s, ERR_LIVELOCK, events - s.guard_since)
        return
    s.guard_next = events + 1
