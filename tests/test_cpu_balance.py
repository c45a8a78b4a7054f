"""CPU time-sharing is work-conserving (pyx/sched/cpu.pxi): with more Ps than cores, a core
never idles while a thread waits for a core, as on Linux, where an idle core pulls a waiting
thread from a busier one (newidle balancing) and a waking thread takes an idle core
(select_idle_sibling).  Exact counters through the public API: zero scheduler costs, so the
cores are the only limit and the run's length is the work over the cores."""
import pytest

import gmpcore as gc

W = 3_000_000      # cycles of each worker's compute


def _workers(n, work=W):
    p = gc.Program()
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, n).go("w", times=n).wg_wait(wg)
    p.func("w").compute(work).wg_done(wg)
    return p


def _run(n, procs, cores, slice_ns=100_000):
    m = gc.Machine(procs=procs, cores=cores, sysmon=False, cache=False, os_slice_ns=slice_ns)
    return gc.run(_workers(n), costs=gc.CostModel.zero(), machine=m, seed=1,
                  record=False).summary


@pytest.mark.parametrize("n,procs", [(3, 3), (3, 4), (5, 5), (7, 7), (8, 8)])
def test_no_core_idles_while_a_thread_waits(n, procs):
    # n equal workers on 2 cores: the run takes n*W/2 exactly.  A static placement (P i's
    # thread on core i % 2) leaves core 1 idle while core 0 still has two of three workers
    # to run: 3 workers took 2W, not 1.5W
    s = _run(n, procs, 2)
    assert s["status"] == "ok"
    assert s["cpu_unbalanced_cycles"] == 0
    # every cycle a core was not idle ran a worker
    assert 2 * s["emulated_cycles"] - s["cpu_idle_cycles"] == n * W
    if n != 7:
        assert s["emulated_cycles"] == n * W // 2
        assert s["cpu_idle_cycles"] == 0
    else:
        # the last worker's last slices run alone: the other core has nobody left to run
        assert s["emulated_cycles"] == 10_800_000 and s["cpu_idle_cycles"] == 600_000
    assert s["cpu_slice_ends"] > 0 and s["cpu_switches"] > 0


def test_an_idle_core_pulls_a_waiting_thread():
    # 3 workers on 2 cores: when the first two threads' Ps are placed on cores 0 and 1 and
    # the third queues behind one of them, the core whose worker ends first takes the
    # waiting one from the other core's queue (a migration); the idle core-time is the
    # single core left when only one worker remains -- none, with the work split evenly
    s = _run(3, 3, 2)
    assert s["cpu_migrations"] > 0
    # one worker, 2 cores: the other core idles the whole time, and nobody waits
    s = _run(1, 3, 2)
    assert s["emulated_cycles"] == W
    assert s["cpu_unbalanced_cycles"] == 0 and s["cpu_wait_cycles"] == 0
    assert s["cpu_idle_cycles"] == W


def test_counters_are_zero_without_time_sharing():
    for procs, cores in ((2, 2), (2, 4)):
        s = _run(2, procs, cores)
        assert s["emulated_cycles"] == W
        assert (s["cpu_idle_cycles"], s["cpu_unbalanced_cycles"], s["cpu_migrations"]) == \
            (0, 0, 0)


US = 3000          # cycles per microsecond at the default 3 GHz


def _lock_waiters_and_hogs():
    # a holder takes a runtime lock for 200 us; two waiters arrive while it holds it and
    # futex-sleep; two hogs keep the cores busy, so a woken waiter must wait for a core
    p = gc.Program()
    lk = p.runtime_lock("lk")
    wg = p.waitgroup("wg")
    main = p.func("main")
    main.wg_add(wg, 5)
    p.func("holder").hold(lk, 200 * US).wg_done(wg)
    main.go("holder")
    for i in range(2):
        f = p.func(f"w{i}")
        f.compute((30 + 20 * i) * US).hold(lk, 10 * US).wg_done(wg)
        main.go(f"w{i}")
    p.func("hog").compute(2000 * US).wg_done(wg)
    main.go("hog", times=2)
    main.wg_wait(wg)
    return p


def test_a_woken_lock_waiter_takes_the_lock_on_a_core():
    # A thread woken from the lock's futex retries its CAS once it runs on a core: it does
    # not take the lock first and then wait for a core holding it.  So the lock is held for
    # exactly the three critical sections (200 + 10 + 10 us), though the waiters wait
    # milliseconds for a core; when the retry ran off-core, the hold came to 2,240 us.
    for cores in (None, 2):
        m = gc.Machine(procs=6, cores=cores, sysmon=False, cache=False, os_slice_ns=100_000)
        res = gc.run(_lock_waiters_and_hogs(), costs=gc.CostModel.zero(), machine=m, seed=1,
                     record=False)
        assert res.status == "ok"
        lk = res.runtime_locks.iloc[0]
        assert lk["acquisitions"] == 3 and lk["hold_ns"] == 220_000.0
        if cores == 2:
            assert res.summary["cpu_wait_cycles"] > 1_000 * US
            assert res.summary["cpu_unbalanced_cycles"] == 0
