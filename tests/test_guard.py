"""The livelock guard (pyx/sched/guard.pxi): a run whose emulated time stays at one cycle while
no goroutine makes progress stops with gmpcore.LivelockError naming the Ms' states, instead of
hanging; legitimate zero-cost runs -- many events at one timestamp -- are never stopped."""
import os
import tempfile

import pytest

import gmpcore as gc
import gmpcore.replay as rp
from gmpcore import _engine

from test_replay import _own_program

# guard.pxi: GUARD_WINDOW events at one instant with no goroutine counter moving, then
# GUARD_VERIFY events watched one by one
WINDOW = 1 << 20
VERIFY = 1 << 16
ZERO = gc.CostModel.zero()


def _replayed_program():
    # the replay of a recorded run whose clock goroutine's first timer expires while both Ps
    # run goroutines: with zero costs, timers.pxi become_poller once re-polled at that instant
    # forever (fixed; _test_livelock_poller reverts the fix)
    res = gc.run(_own_program(), procs=2, trace=True, seed=3)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.trace")
        res.write_go_trace(path)
        return rp.load(path).replay(scale=1.0).program


def test_forced_livelock_raises_naming_the_ms():
    prog = _replayed_program()
    ok = gc.run(prog, procs=2, seed=0, costs=ZERO)
    assert ok.summary["status"] == "ok" and ok.summary["events"] < 10_000
    was = _engine._test_livelock_poller(True)
    try:
        with pytest.raises(gc.LivelockError) as exc:
            gc.run(prog, procs=2, seed=0, costs=ZERO)
    finally:
        _engine._test_livelock_poller(was)
    msg = str(exc.value)
    assert isinstance(exc.value, gc.InternalError)
    assert "livelock" in msg and "no goroutine made progress" in msg
    # every M is named with its state; the looping M is the one without a P re-polling
    assert "M0 " in msg and "M3 " in msg and "MS_STOPM_LOCKED" in msg
    # it stopped after one window and one verification, not at a max_events budget
    stuck = int(msg.split("for the last ")[1].split(" events")[0].replace(",", ""))
    assert stuck == WINDOW + VERIFY
    # the hook is off again: the same run ends normally
    again = gc.run(prog, procs=2, seed=0, costs=ZERO)
    assert again.summary["events"] == ok.summary["events"]


def test_forced_livelock_with_max_events_still_raises_first():
    # the guard fires long before a generous max_events would stop the run
    prog = _replayed_program()
    was = _engine._test_livelock_poller(True)
    try:
        with pytest.raises(gc.LivelockError):
            gc.run(prog, procs=2, seed=0, costs=ZERO, max_events=10**9)
    finally:
        _engine._test_livelock_poller(was)


def test_zero_cost_instruction_loop_is_not_a_livelock():
    # one goroutine runs 3M zero-cost instructions at cycle 0 with no status change: three
    # windows of the guard without a counter moving, but instructions run
    prog = gc.Program()
    m = prog.func("main")
    with m.loop(3 * WINDOW):
        m.compute(0)
    res = gc.run(prog, procs=2, costs=ZERO, machine=gc.Machine(sysmon=False))
    assert res.summary["status"] == "ok"
    assert res.summary["emulated_ns"] == 0
    assert res.summary["events"] > 3 * WINDOW


def test_zero_cost_select_polling_loop_is_not_a_livelock():
    # a select with default polled 1.5M times at one instant: every iteration takes two M
    # steps (the channel lock, then the pass), so half the steps leave the M off MS_RUN
    prog = gc.Program()
    ch = prog.chan("ch", cap=1)
    m = prog.func("main")
    with m.loop(3 * WINDOW // 2):
        with m.select() as sel:
            with sel.recv(ch):
                m.compute(0)
            with sel.default():
                m.compute(0)
    res = gc.run(prog, procs=1, costs=ZERO, machine=gc.Machine(sysmon=False))
    assert res.summary["status"] == "ok" and res.summary["emulated_ns"] == 0
    assert res.summary["events"] > 2 * WINDOW


def test_zero_cost_burst_is_not_a_livelock():
    # 600k goroutines created and run at one instant on 4 Ps: millions of events at cycle 0
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    m = prog.func("main")
    m.wg_add(wg, 600_000).go("w", times=600_000).wg_wait(wg)
    prog.func("w").wg_done(wg)
    res = gc.run(prog, procs=4, costs=ZERO, machine=gc.Machine(sysmon=False))
    assert res.summary["status"] == "ok" and res.summary["emulated_ns"] == 0
    assert res.summary["goroutines_finished"] == 600_001
    assert res.summary["events"] > WINDOW


def test_guard_leaves_check_every_intact():
    # the invariant checks and the guard share run_loop's one compare: check_every still
    # checks (a clean run passes them), and a zero-cost run with checks is not stopped
    prog = gc.Program()
    m = prog.func("main")
    with m.loop(WINDOW + VERIFY + 10):
        m.compute(0)
    res = gc.run(prog, procs=2, costs=ZERO, check_every=1000,
                 machine=gc.Machine(sysmon=False))
    assert res.summary["status"] == "ok"


def test_zero_cost_gc_cycles_are_not_a_livelock():
    # allocation-heavy goroutines at zero cost: GC cycles (stop-the-world, mark workers and
    # assists) run with emulated time barely moving; mark work counts as progress
    p = gc.Program()
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, 8).go("w", times=8).wg_wait(wg)
    w = p.func("w")
    with w.loop(20_000):
        w.alloc(4096, live="goroutine").compute(0)
    w.wg_done(wg)
    res = gc.run(p, procs=4, costs=ZERO, seed=1)
    assert res.summary["status"] == "ok"
    assert res.summary["gc_cycles"] >= 1
