"""sync.Pool, sync.Cond, context cancellation, runtime.LockOSThread and entersyscallblock,
through the public API (docs/sync.md).  Every run checks the engine's invariants after each
step (helpers.run).  The orders asserted here follow the Go source cited in pyx/sched/pool.pxi,
cond.pxi, ctx.pxi and lockos.pxi; tests/test_go_oracle_sync.py checks the same against real Go.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import gmpcore as gc
from gmpcore import _engine, scenarios
from gmpcore.runner import _prepare
from helpers import MS, US, run


def values(res, label):
    m = res.marks
    return m[m["label"] == label]["value"].tolist()


# -- sync.Pool ----------------------------------------------------------------------------------
def test_pool_private_then_shared_head_then_new():
    p = gc.Program()
    pl = p.pool("buf", new=100)
    m = p.func("main")
    m.pool_put(pl, 1).pool_put(pl, 2).pool_put(pl, 3)    # private 1; shared chain 2, 3
    for _ in range(4):
        m.pool_get(pl).mark("get")
    res = run(p, procs=1)
    # Get: l.private, then popHead (newest first), then New()
    assert values(res, "get") == [1, 3, 2, 100]
    r = res.pools.iloc[0]
    assert (r["gets"], r["puts"], r["private_hits"], r["shared_hits"], r["news"]) == (4, 3, 1, 2, 1)


def test_pool_put_nil_is_a_noop_and_get_without_new_is_nil():
    p = gc.Program()
    pl = p.pool()
    p.func("main").pool_put(pl, 0).pool_get(pl).mark("get")
    res = run(p, procs=1)
    assert values(res, "get") == [0]
    r = res.pools.iloc[0]
    assert (r["puts"], r["nil_gets"], r["news"]) == (0, 1, 0)


def test_pool_victim_cache_survives_one_gc_not_two():
    p = gc.Program()
    pl = p.pool("buf", new=1000)
    m = p.func("main")
    m.pool_put(pl, 7).pool_put(pl, 8).pool_put(pl, 9)    # private 7; chain 8, 9
    m.gc().sleep(5 * MS)                                  # poolCleanup: local -> victim
    m.pool_get(pl).mark("a").pool_get(pl).mark("a")
    m.gc().sleep(5 * MS)                                  # the victim (9 left) is dropped
    m.pool_get(pl).mark("b")
    res = run(p, procs=1)
    assert res.summary["gc_cycles"] == 2
    # getSlow's victim pass: the victim's private first, then the victims' chains from the tail
    assert values(res, "a") == [7, 8]
    assert values(res, "b") == [1000]
    r = res.pools.iloc[0]
    # (the Gets after the first cycle pinned a new, empty local: the second cycle moves it too)
    assert (r["victim_hits"], r["cleanups"], r["news"]) == (2, 2, 1)


def test_pool_get_steals_the_oldest_value_of_another_p():
    p = gc.Program()
    pl = p.pool("buf")
    m = p.func("main")
    m.pool_put(pl, 1).pool_put(pl, 2).pool_put(pl, 3).pool_put(pl, 4)   # P0: private 1; 2 3 4
    m.go("getter").compute(200 * US)                      # main keeps P0 busy
    g = p.func("getter")
    g.pool_get(pl).mark("got")
    res = run(p, procs=2, record=True)
    marks = res.marks
    assert marks["p"].tolist() == [1]                     # the getter was stolen by P1
    assert values(res, "got") == [2]                      # popTail of P0's chain: the oldest
    assert res.pools.iloc[0]["steals"] == 1


def test_pool_false_sharing_scenario_direction_and_size():
    df = scenarios.pool_false_sharing(procs=4, iterations=2_000).set_index("variant")
    unpadded, padded = df.loc["unpadded"], df.loc["padded (Go)"]
    assert (unpadded["status"], padded["status"]) == ("ok", "ok")
    assert unpadded["gets"] == padded["gets"] == 8000
    # unpadded: P0/P1 and P2/P3 write one line on every Get and Put -- most of the 16000
    # operations move the line; padded: only first touches and rare migrations do
    assert unpadded["line_transfers"] > 8000
    assert unpadded["transfers_per_op"] > 0.5
    assert padded["transfers_per_op"] < 0.01
    assert unpadded["line_transfers"] > 100 * padded["line_transfers"]
    assert unpadded["pool_line_cycles"] > 5 * padded["pool_line_cycles"]
    assert unpadded["emulated_ms"] > 1.1 * padded["emulated_ms"]


def test_pool_on_one_p_has_no_false_sharing():
    df = scenarios.pool_false_sharing(procs=1, iterations=500).set_index("variant")
    assert df["line_transfers"].tolist() == [0, 0]


# -- sync.Cond ----------------------------------------------------------------------------------
def cond_program(n, wake):
    p = gc.Program()
    wg, mu = p.waitgroup(), p.mutex("mu")
    cv = p.cond(mu, "cv")
    m = p.func("main")
    m.wg_add(wg, n).go("waiter", times=n).sleep(MS)
    if wake == "broadcast":
        m.lock(mu).mark("wake").cond_broadcast(cv).compute(50 * US).mark("unlock").unlock(mu)
    else:
        for _ in range(n):
            m.lock(mu).mark("wake").cond_signal(cv).unlock(mu).sleep(100 * US)
    m.wg_wait(wg)
    w = p.func("waiter")
    w.lock(mu).mark("wait").cond_wait(cv).mark("woke").unlock(mu).wg_done(wg)
    return p


def spawn_order(res, label):
    m = res.marks
    return m[m["label"] == label]["spawn_index"].tolist()


def test_cond_broadcast_readies_in_wait_order_into_runnext():
    res = run(cond_program(5, "broadcast"), procs=1)
    waited = spawn_order(res, "wait")
    # goready one after the other into runnext: the last waiter runs first, then the ring
    assert spawn_order(res, "woke") == waited[-1:] + waited[:-1]
    # the waiters re-acquire the mutex: none wakes before main unlocks it
    m = res.marks
    t_unlock = m[m["label"] == "unlock"]["time_ns"].iloc[0]
    assert (m[m["label"] == "woke"]["time_ns"] > t_unlock).all()
    assert res.conds.to_dict("records") == [{"cond": "cv", "waits": 5, "signals": 0,
                                             "broadcasts": 1, "wakeups": 5, "waiting": 0}]


def test_cond_signal_wakes_the_oldest_ticket_first():
    for procs in (1, 4):
        res = run(cond_program(4, "signal"), procs=procs)
        assert spawn_order(res, "woke") == spawn_order(res, "wait")
        assert res.conds.iloc[0][["signals", "wakeups"]].tolist() == [4, 4]


def test_cond_signal_without_waiters_is_lost_and_wait_with_rwmutex():
    p = gc.Program()
    wg, rw = p.waitgroup(), p.rwmutex("rw")
    cv = p.cond(rw)
    m = p.func("main")
    m.cond_signal(cv).cond_broadcast(cv)              # nobody waits: nothing to notify
    m.wg_add(wg, 1).go("w").sleep(MS).lock(rw).cond_signal(cv).unlock(rw).wg_wait(wg)
    p.func("w").lock(rw).cond_wait(cv).mark("woke").unlock(rw).wg_done(wg)
    res = run(p, procs=2)
    assert res.status == "ok" and spawn_order(res, "woke") == [0]


def test_cond_waiters_left_are_reported_blocked():
    p = gc.Program()
    mu = p.mutex()
    cv = p.cond(mu)
    p.func("main").go("w", times=2).sleep(MS)
    p.func("w").lock(mu).cond_wait(cv).unlock(mu)
    res = run(p, procs=2)
    assert res.status == "ok"
    assert sorted(res.blocked["wait_reason"].tolist()) == ["sync.Cond.Wait"] * 2
    assert res.conds.iloc[0]["waiting"] == 2


# -- context cancellation -----------------------------------------------------------------------
def test_cancel_wakes_every_done_waiter_and_propagates_to_children():
    p = gc.Program()
    wg = p.waitgroup()
    root = p.with_cancel(name="root")
    child = p.with_cancel(root, name="child")
    grandchild = p.with_cancel(child, name="grandchild")
    other = p.with_cancel(name="other")
    m = p.func("main")
    m.wg_add(wg, 6).go("onroot", times=2).go("onchild", times=2).go("onsel", times=2)
    m.sleep(MS).cancel(child).mark("cancel-child").sleep(MS).cancel(root).cancel(root)
    m.mark("cancel-root").wg_wait(wg)
    p.func("onroot").recv(root.done).mark("root").wg_done(wg)
    p.func("onchild").recv(child.done).mark("child").wg_done(wg)
    s = p.func("onsel")
    with s.select() as sel:
        with sel.recv(grandchild.done):
            s.mark("grandchild")
        with sel.recv(other.done):
            s.mark("other")
    s.wg_done(wg)
    res = run(p, procs=1)
    labels = res.marks["label"].tolist()
    # cancel(child) closes child's and grandchild's Done, not root's; cancel(root) then
    # wakes root's waiters (the child subtree is already canceled); a second cancel is a no-op
    assert labels == ["cancel-child", "grandchild", "child", "child", "grandchild",
                      "cancel-root", "root", "root"]
    assert res.contexts.to_dict("records") == [
        {"context": "root", "canceled": True}, {"context": "child", "canceled": True},
        {"context": "grandchild", "canceled": True}, {"context": "other", "canceled": False}]


def test_done_channel_is_receive_only():
    p = gc.Program()
    ctx = p.with_cancel()
    p.func("main").send(ctx.done, 1)
    with pytest.raises(ValueError, match="Done channel"):
        p.compile()
    q = gc.Program()
    ctx = q.with_cancel()
    q.func("main").close(ctx.done)
    with pytest.raises(ValueError, match="Done channel"):
        q.compile()


# -- LockOSThread and entersyscallblock ------------------------------------------------------------
def locked_program(unlock_after=None, rounds=6):
    p = gc.Program()
    wg, ch = p.waitgroup(), p.chan("ch")
    m = p.func("main")
    m.wg_add(wg, 9).go("locked").go("worker", times=8)
    with m.loop(rounds):
        m.sleep(100 * US).send(ch, "iter")
    m.wg_wait(wg)
    lk = p.func("locked")
    lk.lock_os_thread()
    with lk.loop(rounds):
        lk.recv(ch).mark("got").compute(2 * US).gosched()
    if unlock_after:
        lk.unlock_os_thread()
    lk.wg_done(wg)
    w = p.func("worker")
    with w.loop(4):
        w.compute(60 * US).sleep(20 * US)
    w.wg_done(wg)
    return p


def thread_of_starts(res, goid):
    t = res.trace
    return set(t[(t["kind"] == "GoStart") & (t["goid"] == goid)]["m"].tolist())


def test_locked_goroutine_runs_only_on_its_thread():
    for procs in (1, 2, 4):
        res = run(locked_program(), procs=procs, record=True, trace=True)
        goid = int(res.marks["goid"].iloc[0])
        assert len(thread_of_starts(res, goid)) == 1
        # the locked M runs nothing else
        mlocked = thread_of_starts(res, goid).pop()
        t = res.trace
        others = t[(t["kind"] == "GoStart") & (t["m"] == mlocked) & (t["goid"] != goid)]
        first = t[(t["kind"] == "GoStart") & (t["goid"] == goid)]["time_cycles"].min()
        started_after = others[others["time_cycles"] > first]
        assert len(started_after) == 0
        # every wake-up after a block or a Gosched needs a hand-off: 6 receives and 6
        # Goscheds, each made runnable on another P's queue
        assert res.sync_counters["lockedm_handoffs"] >= 6
        # it exits still locked: its thread exits with it
        assert res.sync_counters["lockedm_exits"] == 1


def test_unlock_os_thread_lets_the_goroutine_move_and_keeps_its_thread():
    res = run(locked_program(unlock_after=True), procs=4, record=True)
    assert res.sync_counters["lockedm_exits"] == 0


def test_unlock_without_lock_is_a_noop_and_nesting_counts():
    p = gc.Program()
    p.func("main").go("g").sleep(MS)
    g = p.func("g")
    g.unlock_os_thread().lock_os_thread().lock_os_thread().unlock_os_thread().sleep(10 * US)
    res = run(p, procs=2)
    assert res.sync_counters["lockedm_exits"] == 1        # still locked once when it exits


def syscall_program(block):
    # main sleeps 5 us while the goroutine it started is in a 2 ms system call
    p = gc.Program()
    wg = p.waitgroup()
    m = p.func("main")
    m.wg_add(wg, 1).go("sys").sleep(5 * US).mark("main").wg_wait(wg)
    s = p.func("sys")
    (s.syscall_block if block else s.syscall)(2 * MS)
    s.wg_done(wg)
    return p


def test_entersyscallblock_hands_off_the_p_at_once():
    # one P: with entersyscall the P stays with the thread until sysmon retakes it (>= 20 us);
    # with entersyscallblock, handoffp gives it to another thread immediately
    times = {}
    for block in (False, True):
        res = run(syscall_program(block), procs=1, record=True)
        m = res.marks
        times[block] = m[m["label"] == "main"]["time_ns"].iloc[0]
        assert res.sync_counters["syscall_block"] == int(block)
        assert res.summary["syscall_retakes"] == (0 if block else 1)
    # (blocking: a new thread takes the P and runs the timer; plain: sysmon's retake first)
    assert 5_000 <= times[True] < 15_000 and times[False] >= 20_000


# -- the loader refuses bad operands -----------------------------------------------------------------
@pytest.mark.parametrize("op, operand", [("POOL_GET", 3), ("POOL_PUT", 1), ("COND_WAIT", 2),
                                         ("COND_BROADCAST", -1), ("CANCEL", 5),
                                         ("SYSCALL_BLOCK", 99)])
def test_engine_loader_refuses_bad_sync_operands(op, operand):
    p = gc.Program()
    pl, mu = p.pool(), p.mutex()
    cv, ctx = p.cond(mu), p.with_cancel()
    m = p.func("main")
    m.pool_get(pl).pool_put(pl, 1).cond_signal(cv).cancel(ctx).syscall_block(10)
    m.cond_broadcast(cv).cond_signal(cv).lock(mu).cond_wait(cv).unlock(mu)
    prep = _prepare(p, 1)
    code = prep.compiled.code.reshape(-1, _engine.INSTR).copy()
    pc = int(np.flatnonzero(code[:, 0] == _engine.OPCODES[op])[0])
    code[pc, 1] = operand
    prep.compiled = dataclasses.replace(prep.compiled, code=code.reshape(-1))
    with pytest.raises(ValueError, match="bad program"):
        prep.engine()
    with pytest.raises(ValueError, match=op):
        gc.program.validate_compiled(prep.compiled, nrtlocks=0, nrwmutexes=0)


def test_engine_loader_refuses_bad_context_tables():
    p = gc.Program()
    p.with_cancel()
    p.func("main")
    prep = _prepare(p, 1)
    for parent, done in (([0], [0]), ([-1], [7])):
        prep.compiled = dataclasses.replace(prep.compiled, ctx_parent=parent, ctx_done=done)
        with pytest.raises(ValueError, match="context 0"):
            prep.engine()


def test_dsl_refuses_foreign_and_bad_objects():
    p, q = gc.Program(), gc.Program()
    pl, ctx = q.pool(), q.with_cancel()
    f = p.func("main")
    with pytest.raises(ValueError, match="belongs to another Program"):
        f.pool_get(pl)
    with pytest.raises(ValueError, match="belongs to another Program"):
        f.cancel(ctx)
    with pytest.raises(TypeError):
        f.cond_wait(pl)
    with pytest.raises(ValueError, match="0 is nil"):
        p.pool(new=0)
    with pytest.raises(ValueError, match="belongs to another Program"):
        p.cond(q.mutex())


# -- random programs mixing them keep every invariant ----------------------------------------------
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

SYNC_OPS = ["get", "put", "compute", "gosched", "signal", "wait", "lock_os", "unlock_os",
            "syscall_block", "sleep", "done", "gc"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(workers=st.lists(st.lists(st.sampled_from(SYNC_OPS), max_size=12), min_size=1,
                        max_size=6),
       procs=st.integers(1, 4), padded=st.booleans(), cache=st.booleans(),
       seed=st.integers(0, 50), gc_period=st.sampled_from([0, 0, 40_000]))
def test_random_sync_programs_keep_invariants(workers, procs, padded, cache, seed, gc_period):
    p = gc.Program()
    pool = p.pool("pool", padded=padded, new=1)
    mu = p.mutex("mu")
    cv = p.cond(mu, "cv")
    root = p.with_cancel(name="root")
    child = p.with_cancel(root, name="child")
    m = p.func("main")
    for i, ops in enumerate(workers):
        f = p.func(f"w{i}")
        for op in ops:
            if op == "get":
                f.pool_get(pool)
            elif op == "put":
                f.pool_put(pool, "val")
            elif op == "compute":
                f.compute(gc.Exponential(3_000))
            elif op == "gosched":
                f.gosched()
            elif op == "signal":
                f.lock(mu).cond_signal(cv).unlock(mu)
            elif op == "wait":
                f.lock(mu).cond_wait(cv).unlock(mu)
            elif op == "lock_os":
                f.lock_os_thread()
            elif op == "unlock_os":
                f.unlock_os_thread()
            elif op == "syscall_block":
                f.syscall_block(gc.Exponential(20_000))
            elif op == "sleep":
                f.sleep(gc.Exponential(10_000))
            elif op == "done":
                with f.select() as sel:
                    with sel.recv(child.done):
                        f.mark("canceled")
                    with sel.after(50_000):
                        f.mark("timeout")
            else:
                f.gc()
        f.mark("end")
        m.go(f"w{i}", times=2)
    with m.loop(5):
        m.sleep(30_000).lock(mu).cond_broadcast(cv).unlock(mu)
    m.cancel(root).sleep(3 * MS)
    machine = gc.Machine(procs=procs, cache=cache, gc_period_ns=gc_period)
    res = run(p, machine=machine, seed=seed, max_events=400_000)
    assert res.status in ("ok", "max_events")
    r = res.pools.iloc[0]
    assert r["private_hits"] + r["shared_hits"] + r["steals"] + r["victim_hits"] + r["news"] \
        == r["gets"]
    c = res.conds.iloc[0]
    assert c["wakeups"] + c["waiting"] <= c["waits"]
    assert res.contexts["canceled"].all() or res.status == "max_events"


def test_scheddetail_shows_locked_threads_and_goroutines():
    p = gc.Program()
    p.func("main").go("ui").sleep(2 * MS)
    p.func("ui").lock_os_thread().sleep(10 * MS)
    res = gc.run(p, procs=2, schedtrace_ms=1, scheddetail=True)
    text = res.schedtrace()
    goid = 2                                       # main is 1; ui is the next goroutine
    m_lines = [ln for ln in text.splitlines() if f"lockedg={goid}" in ln]
    g_lines = [ln for ln in text.splitlines() if ln.startswith(f"  G{goid}:")]
    assert m_lines and all(ln.startswith("  M0:") for ln in m_lines)
    assert g_lines and all(ln.endswith("lockedm=0") for ln in g_lines)


def test_pool_put_takes_an_expression_of_the_goroutines_arguments():
    p = gc.Program()
    pool = p.pool("pool")
    w = p.func("w", "i")
    (i,) = w.params
    w.pool_put(pool, i * 10 + 1).pool_get(pool).mark("got")
    m = p.func("main")
    with m.loop(3) as k:
        m.go(w, k)
    m.sleep(MS)
    res = run(p, procs=1)
    assert sorted(values(res, "got")) == [1, 11, 21]
