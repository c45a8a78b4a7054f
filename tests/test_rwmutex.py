"""sync.RWMutex (sync/rwmutex.go): readers share, a writer excludes everyone, a pending writer
holds new readers back, and misuse is Go's fatal error.  Exact counters, invariants checked
after every step."""
import pytest

import gmpcore as gc
from gmpcore import Const
from helpers import US, run



def readers_and_writer(readers=8, rounds=5, writer=True):
    p = gc.Program()
    rw = p.rwmutex("cache")
    wg = p.waitgroup()
    m = p.func("main")
    m.wg_add(wg, readers + int(writer)).go("reader", times=readers)
    if writer:
        m.go("writer")
    m.wg_wait(wg)
    r = p.func("reader")
    with r.loop(rounds):
        r.rlock(rw).mark("rlock").compute(Const(5 * US)).mark("runlock").runlock(rw)
        r.compute(Const(US))
    r.wg_done(wg)
    if writer:
        w = p.func("writer")
        with w.loop(3):
            w.compute(Const(7 * US)).lock(rw).mark("lock").compute(Const(3 * US))
            w.mark("unlock").unlock(rw)
        w.wg_done(wg)
    return p


def test_readers_hold_the_lock_together():
    res = run(readers_and_writer(readers=4, rounds=3, writer=False))
    assert res.status == "ok"
    rw = res.rwmutexes.iloc[0]
    assert rw["rlocks"] == 12 and rw["locks"] == 0 and rw["reader_waits"] == 0
    # with as many Ps as readers, read sections overlap: more than one reader inside at once
    m = res.marks.sort_values("time_cycles")
    inside = (m["label"] == "rlock").astype(int) - (m["label"] == "runlock").astype(int)
    assert inside.cumsum().max() >= 2


def test_a_writer_excludes_readers_and_waits_for_them():
    res = run(readers_and_writer())
    assert res.status == "ok"
    rw = res.rwmutexes.iloc[0]
    assert rw["rlocks"] == 40 and rw["locks"] == 3
    assert rw["reader_waits"] > 0            # readers arriving behind a pending writer
    assert rw["writer_waits"] > 0            # the writer waited for readers inside
    m = res.marks.sort_values(["time_cycles"], kind="stable")
    readers_in, writer_in = 0, False
    for label in m["label"]:
        if label == "rlock":
            assert not writer_in
            readers_in += 1
        elif label == "runlock":
            readers_in -= 1
        elif label == "lock":
            assert readers_in == 0 and not writer_in
            writer_in = True
        else:
            writer_in = False
    # the writers' inner mutex is a sync.Mutex of its own
    assert res.mutexes["mutex"].tolist() == ["cache.w"]
    assert res.mutexes["acquisitions"].tolist() == [3]


def test_deadlock_on_rlock_behind_own_writer_is_reported():
    p = gc.Program()
    rw = p.rwmutex("state")
    p.func("main").lock(rw).rlock(rw)          # RLock while holding Lock: Go deadlocks
    res = run(p, procs=1)
    assert res.status == "deadlock"
    b = res.blocked
    assert b["wait_reason"].tolist() == ["sync.RWMutex.RLock"]
    assert b["waiting_on"].tolist() == ["state"]


@pytest.mark.parametrize("body, msg", [
    (lambda f, rw: f.runlock(rw), "RUnlock of unlocked RWMutex"),
    (lambda f, rw: f.unlock(rw), "Unlock of unlocked RWMutex"),
    (lambda f, rw: f.rlock(rw).unlock(rw), "Unlock of unlocked RWMutex"),
])
def test_misuse_is_a_fatal_error(body, msg):
    p = gc.Program()
    rw = p.rwmutex("rw")
    body(p.func("main"), rw)
    with pytest.raises(gc.ProgramError, match=msg):
        gc.run(p)


def test_rwmutex_from_another_program_is_refused():
    p, q = gc.Program(), gc.Program()
    rw = q.rwmutex()
    with pytest.raises(ValueError, match="another Program"):
        p.func("main").rlock(rw)
    with pytest.raises(TypeError):
        p.func("f").rlock(p.mutex())
