"""sync.Pool, sync.Cond and LockOSThread in the engine: emulated events per second.

    pytest benchmarks/test_bench_sync.py --benchmark-only

* pool: scenarios.pool_program -- 16 workers on 16 Ps, each 20,000 Get/work/Put rounds on one
  sync.Pool (unpadded: every Get and Put also moves a line in the cache model); 640,000 pool
  operations.
* cond: 64 waiters on one sync.Cond, woken one Signal at a time by a signaller, 200 rounds
  on 8 Ps (the woken re-lock the mutex): 12,800 Signals and about as many parks and
  wake-ups, then Broadcasts for the waiters whose Signal came before their Wait.
* locked: a LockOSThread goroutine receiving 20,000 values from main on 4 Ps: every receive
  is a stoplockedm / startlockedm hand-off.

Each benchmark asserts the work it did (status, counts), so a fast wrong answer fails.
"""
import gmpcore
from gmpcore import scenarios


def _eps(benchmark, res):
    benchmark.extra_info["events"] = res.summary["events"]
    benchmark.extra_info["events_per_s"] = res.summary["events"] / benchmark.stats.stats.median


def test_pool_events_per_s(benchmark):
    prog = scenarios.pool_program(padded=False, workers=16, iterations=20_000)
    res = benchmark.pedantic(lambda: gmpcore.run(prog, procs=16, record=False), rounds=3)
    assert res.status == "ok"
    assert res.pools.iloc[0]["gets"] == res.pools.iloc[0]["puts"] == 320_000
    _eps(benchmark, res)


def cond_program(waiters=64, rounds=200):
    prog = gmpcore.Program()
    wg, mu = prog.waitgroup(), prog.mutex()
    cv = prog.cond(mu)
    main = prog.func("main")
    main.wg_add(wg, waiters).go("waiter", times=waiters)
    with main.loop(waiters * rounds):
        main.compute(200).lock(mu).cond_signal(cv).unlock(mu)
    # a Signal with no ticket outstanding is lost (as in Go): broadcasts for the stragglers
    with main.loop(2 * rounds):
        main.sleep(20_000).lock(mu).cond_broadcast(cv).unlock(mu)
    main.wg_wait(wg)
    w = prog.func("waiter")
    with w.loop(rounds):
        w.lock(mu).cond_wait(cv).unlock(mu).compute(gmpcore.Exponential(500))
    w.wg_done(wg)
    return prog


def test_cond_events_per_s(benchmark):
    prog = cond_program()
    res = benchmark.pedantic(lambda: gmpcore.run(prog, procs=8, record=False), rounds=3)
    assert res.status == "ok"
    assert res.conds.iloc[0]["signals"] == 64 * 200
    _eps(benchmark, res)


def locked_program(n=20_000):
    prog = gmpcore.Program()
    wg, ch = prog.waitgroup(), prog.chan("ch")
    main = prog.func("main")
    main.wg_add(wg, 1).go("locked")
    with main.loop(n):
        main.compute(1_000).send(ch, "iter")
    main.wg_wait(wg)
    lk = prog.func("locked")
    lk.lock_os_thread()
    with lk.loop(n):
        lk.recv(ch).compute(500)
    lk.wg_done(wg)
    return prog


def test_locked_thread_events_per_s(benchmark):
    prog = locked_program()
    res = benchmark.pedantic(lambda: gmpcore.run(prog, procs=4, record=False), rounds=3)
    assert res.status == "ok"
    assert res.sync_counters["lockedm_handoffs"] >= 1
    _eps(benchmark, res)
