"""Real Go agrees on the fidelity fixes whose effect is observable at GOMAXPROCS=1.

Same protocol as tests/test_go_oracle_blocking.py (tests/go_oracle.py's harness).  Of the
issue 14 fixes, only the timer heap changes the order a single P produces: the runtime mutex
(lock_spinbit.go), wakeNetPoller's wakep, stealWork's gcwaiting check and the hchan.lock
hold time all need a second P (or change only timing).  Real-time timers never share a
`when` (timerWhen.less breaks ties with a per-timer rand that only fake-time timers set, and
nanotime advances between two adds), so real Go cannot show equal-`when` ties; what it shows is
that a 4-ary heap with many timers, added in a scrambled deadline order and removed through
several levels of siftDown, hands them to findRunnable in deadline order.  The tie order is
pinned against Go's siftUp/siftDown in tests/test_fidelity.py.

* timerheap -- 8 sleepers with scrambled distinct deadlines (1 ms apart) expire while the
               only P is busy (the tests/go/cmd/timerbatch program; the busy loop stays under
               sysmon's 10 ms preemption): checkTimers pops them in one batch, each goready
               into runnext (the last popped runs first, then the ring in deadline order).
"""
from __future__ import annotations

import pytest

from go_oracle import build_for_session, check_against_go
from test_go_oracle_blocking import timerbatch_program, timerbatch_strings

pytestmark = pytest.mark.go


@pytest.fixture(scope="session")
def fidelity_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, ("timerbatch",), "go-oracle-fid")


@pytest.mark.parametrize("busy,durations", [
    (9, [1, 4, 7, 2, 5, 8, 3, 6]),          # all 8 in one batch (two levels of the heap)
    (9, [8, 6, 4, 2, 1, 3, 5, 7]),          # another scramble (timers firing one by one after
                                            # a batch are in test_go_oracle_blocking's sleepwake)
])
def test_timer_heap_order(fidelity_binaries, record_property, busy, durations):
    later = [d for d in durations if d > busy]
    limit_us = (min(later) - 1) * 1000 if later else 1 << 62
    fits = check_against_go(f"timerheap busy={busy} D={durations}",
                            fidelity_binaries["timerbatch"], [busy, *durations],
                            timerbatch_program(busy, durations), timerbatch_strings,
                            record_property, valid=lambda meta: meta["busy_end_us"] < limit_us)
    expired = sorted((d, g) for g, d in enumerate(durations) if d < busy)
    batch = [f"w{g}" for _, g in expired]
    rest = [f"w{g}" for _, g in sorted((d, g) for g, d in enumerate(durations) if d > busy)]
    for f in fits:
        wakes = [x for x in f.go_order if x[0] == "w"]
        assert wakes == batch[-1:] + batch[:-1] + rest
