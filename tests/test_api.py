"""The public API: argument validation (clear errors, raised before any native code runs),
Go-level failures (negative WaitGroup counter, deadlock), run limits, and the shape of a Result.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import gmpcore as gc
import gmpcore.runner


# --------------------------------------------------------------------------------------------
# helpers

def fanout(n=100, work=1000, *, wait=True):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    m = prog.func("main")
    if wait:
        m.wg_add(wg, n)
    m.go("worker", times=n)
    if wait:
        m.wg_wait(wg)
    w = prog.func("worker")
    w.compute(work)
    w.mark("w")
    if wait:
        w.wg_done(wg)
    return prog


class _NoEngine:
    """Stands in for gmpcore._engine inside gmpcore.runner: building the native engine fails
    the test, so an error raised with it in place was raised before native code ran."""

    def __init__(self, real):
        self._real = real
        self.constructed = 0

    def __getattr__(self, name):
        return getattr(self._real, name)

    def Engine(self, *a, **kw):  # noqa: N802 - mirrors the extension's class name
        self.constructed += 1
        raise AssertionError("native engine constructed: validation happened too late")


@pytest.fixture
def no_engine(monkeypatch):
    fake = _NoEngine(gmpcore.runner._engine)
    monkeypatch.setattr(gmpcore.runner, "_engine", fake)
    yield fake
    assert fake.constructed == 0


@pytest.fixture(scope="module")
def prog():
    return fanout(20)


# --------------------------------------------------------------------------------------------
# run(): bad arguments raise ValueError/TypeError naming the problem, before the engine exists

@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(procs=0), ValueError, r"procs must be between 1 and 1024, got 0"),
    (dict(procs=-1), ValueError, r"procs must be between 1 and 1024, got -1"),
    (dict(procs=10**6), ValueError, r"procs must be between 1 and 1024, got 1000000"),
    (dict(procs="4"), TypeError, r"procs must be an int, got str"),
    (dict(procs=4.0), TypeError, r"procs must be an int, got float"),
    (dict(procs=True), TypeError, r"procs must be an int, got bool"),
    (dict(strategy="fifo"), ValueError, r"unknown strategy 'fifo'.*known: .*global.*go"),
    (dict(strategy=42), TypeError, r"strategy must be a name or a Strategy, got int"),
    (dict(strategy=None), TypeError, r"strategy must be a name or a Strategy, got NoneType"),
    (dict(seed=-1), ValueError, r"seed must be between 0 and \d+, got -1"),
    (dict(seed=2**64), ValueError, r"seed must be between 0 and \d+"),
    (dict(seed=1.5), TypeError, r"seed must be an int, got float"),
    (dict(seed="1"), TypeError, r"seed must be an int, got str"),
    (dict(max_events=0), ValueError, r"max_events must be between 1 and \d+, got 0"),
    (dict(max_events=-5), ValueError, r"max_events must be between 1"),
    (dict(max_events=1.0), TypeError, r"max_events must be an int"),
    (dict(max_cycles=-1), ValueError, r"max_cycles must be between 0"),
    (dict(check_every=-1), ValueError, r"check_every must be between 0"),
    (dict(record="yes"), TypeError, r"record must be a bool, got str"),
    (dict(record=1), TypeError, r"record must be a bool, got int"),
    (dict(machine="big"), TypeError, r"machine must be a gmpcore.Machine, got str"),
    (dict(machine={"procs": 4}), TypeError, r"machine must be a gmpcore.Machine, got dict"),
    (dict(costs={"execute": 1}), TypeError, r"costs must be a gmpcore.CostModel, got dict"),
    (dict(procs=8, machine=gc.Machine(procs=2, max_threads=4)), ValueError,
     r"max_threads \(4\) must be >= procs \(8\)"),
])
def test_run_rejects_bad_arguments(prog, no_engine, kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gc.run(prog, **kwargs)


@pytest.mark.parametrize("thing", [None, "main", 42, gc.Program().func("main")])
def test_run_rejects_non_program(no_engine, thing):
    with pytest.raises(TypeError, match=r"run\(\) takes a gmpcore\.Program, got "
                                        + type(thing).__name__):
        gc.run(thing)


def test_program_without_main(no_engine):
    prog = gc.Program()
    prog.func("worker").compute(10)
    with pytest.raises(ValueError, match=r"no 'main' function"):
        gc.run(prog)


def test_spawn_of_undefined_function(no_engine):
    prog = gc.Program()
    prog.func("main").go("nope", times=3)
    with pytest.raises(ValueError, match=r"function 'main' spawns undefined function 'nope'"):
        gc.run(prog)
    # also from a function other than main, and found at compile time
    prog = gc.Program()
    prog.func("main").go("a")
    prog.func("a").go("ghost")
    with pytest.raises(ValueError, match=r"'a' spawns undefined function 'ghost'"):
        prog.compile()


# --------------------------------------------------------------------------------------------
# the program DSL: errors at the call that makes the mistake

@pytest.mark.parametrize("times", [0, -1, -(2**40), 2**31])
def test_go_times_out_of_range(times):
    f = gc.Program().func("main")
    with pytest.raises(ValueError, match=re.escape("go(times=...) must be between 1 and ")
                       + r"\d+, got " + re.escape(str(times))):
        f.go("w", times=times)
    assert f._ops == []                            # nothing half-appended


@pytest.mark.parametrize("times,tname", [(2.0, "float"), ("3", "str"), (True, "bool")])
def test_go_times_wrong_type(times, tname):
    with pytest.raises(TypeError, match=re.escape(f"go(times=...) must be an int, got {tname}")):
        gc.Program().func("main").go("w", times=times)


def test_go_target_wrong_type():
    with pytest.raises(TypeError, match=r"go\(\) takes a function name or Function, got int"):
        gc.Program().func("main").go(123)


def test_go_accepts_function_object():
    prog = gc.Program()
    w = prog.func("w")
    w.compute(1)
    prog.func("main").go(w, times=2)
    res = gc.run(prog, procs=1)
    assert res.summary["goroutines_created"] == 3


def test_loops_nest_at_most_four_deep():
    f = gc.Program().func("main")
    with f.loop(1), f.loop(1), f.loop(1), f.loop(1):
        with pytest.raises(ValueError, match=r"function 'main': loops nest at most 4 deep"):
            with f.loop(1):
                pass                               # pragma: no cover
        # go(times>1) counts as a loop level too
        with pytest.raises(ValueError, match=r"loops nest at most 4 deep"):
            f.go("w", times=2)
        f.go("w")                                  # a single go is not a loop


@pytest.mark.parametrize("n", [-1, -100])
def test_negative_loop_count(n):
    f = gc.Program().func("main")
    with pytest.raises(ValueError, match=r"loop\(n\) must be between 0 and \d+, got " + str(n)):
        with f.loop(n):
            pass                                   # pragma: no cover


def test_loop_count_wrong_type():
    with pytest.raises(TypeError, match=r"loop\(n\) must be an int, got float"):
        with gc.Program().func("main").loop(2.5):
            pass                                   # pragma: no cover


def test_waitgroup_from_another_program():
    p1, p2 = gc.Program(), gc.Program()
    wg1 = p1.waitgroup("other")
    f = p2.func("main")
    with pytest.raises(ValueError, match=r"WaitGroup 'other' belongs to another Program"):
        f.wg_add(wg1, 1)
    with pytest.raises(ValueError, match=r"WaitGroup 'other' belongs to another Program"):
        f.wg_wait(wg1)
    with pytest.raises(ValueError, match=r"belongs to another Program"):
        f.wg_done(wg1)


def test_waitgroup_argument_types():
    prog = gc.Program()
    wg = prog.waitgroup()
    f = prog.func("main")
    with pytest.raises(TypeError, match=r"expected a WaitGroup from Program.waitgroup\(\), got str"):
        f.wg_add("wg", 1)
    with pytest.raises(TypeError, match=r"wg_add delta must be an int, got float"):
        f.wg_add(wg, 1.5)
    with pytest.raises(ValueError, match=r"wg_add delta must be within"):
        f.wg_add(wg, 2**40)


@pytest.mark.parametrize("work,msg", [
    (-1, r"Const\.cycles must be a finite number >= 0, got -1\.0"),
    (-0.5, r"Const\.cycles must be a finite number >= 0"),
    (float("nan"), r"Const\.cycles must be a finite number >= 0, got nan"),
    (float("inf"), r"Const\.cycles must be a finite number >= 0, got inf"),
    (float("-inf"), r"Const\.cycles must be a finite number >= 0"),
    (1e19, r"Const\.cycles must be at most 1e18"),
])
def test_compute_rejects_bad_cycles(work, msg):
    f = gc.Program().func("main")
    with pytest.raises(ValueError, match=msg):
        f.compute(work)
    assert f._ops == []


@pytest.mark.parametrize("make,exc,msg", [
    (lambda: gc.Const(-3), ValueError, r"Const\.cycles must be a finite number >= 0"),
    (lambda: gc.Exponential(-1), ValueError, r"Exponential\.mean_cycles must be a finite"),
    (lambda: gc.Exponential(float("nan")), ValueError, r"Exponential\.mean_cycles"),
    (lambda: gc.Uniform(10, 5), ValueError, r"Uniform\.high \(5\.0\) must be >= Uniform\.low "
                                            r"\(10\.0\)"),
    (lambda: gc.Uniform(-1, 5), ValueError, r"Uniform\.low must be a finite number >= 0"),
    (lambda: gc.Uniform(0, float("inf")), ValueError, r"Uniform\.high must be a finite"),
    (lambda: gc.LogNormal(0), ValueError, r"LogNormal\.mean_cycles must be > 0"),
    (lambda: gc.LogNormal(100, sigma=11), ValueError, r"LogNormal\.sigma must be <= 10"),
    (lambda: gc.LogNormal(100, sigma=-1), ValueError, r"LogNormal\.sigma must be a finite"),
    (lambda: gc.Const("5"), TypeError, r"Const\.cycles must be a number of cycles, got str"),
    (lambda: gc.Exponential(True), TypeError, r"Exponential\.mean_cycles must be a number"),
])
def test_distribution_validation(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


@pytest.mark.parametrize("work,tname", [("100", "str"), (True, "bool"), (None, "NoneType"),
                                        ([1], "list")])
def test_compute_rejects_non_numbers(work, tname):
    with pytest.raises(TypeError, match=r"work must be a number of cycles or a Distribution, got "
                                        + tname):
        gc.Program().func("main").compute(work)


@pytest.mark.parametrize("label,tname", [(3, "int"), (None, "NoneType"), (b"x", "bytes")])
def test_mark_label_must_be_str(label, tname):
    with pytest.raises(TypeError, match=r"mark label must be a str, got " + tname):
        gc.Program().func("main").mark(label)


def test_function_names():
    prog = gc.Program()
    prog.func("main")
    with pytest.raises(ValueError, match=r"function 'main' is already defined"):
        prog.func("main")
    with pytest.raises(TypeError, match=r"function name must be a non-empty str"):
        prog.func("")
    with pytest.raises(TypeError, match=r"function name must be a non-empty str"):
        prog.func(7)
    with pytest.raises(ValueError, match=r"'runtime\.runfinq' is reserved"):
        prog.func("runtime.runfinq")


# --------------------------------------------------------------------------------------------
# configuration objects

@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(procs=0), ValueError, r"Machine\.procs must be between 1 and 1024, got 0"),
    (dict(procs=1025), ValueError, r"Machine\.procs must be between 1 and 1024, got 1025"),
    (dict(procs="4"), TypeError, r"Machine\.procs must be an int, got str"),
    (dict(clock_ghz=0), ValueError, r"Machine\.clock_ghz must be a number between 0\.01 and 100"),
    (dict(clock_ghz=-3.0), ValueError, r"Machine\.clock_ghz"),
    (dict(clock_ghz=float("nan")), ValueError, r"Machine\.clock_ghz"),
    (dict(clock_ghz="3"), ValueError, r"Machine\.clock_ghz"),
    (dict(start_schedtick=-1), ValueError, r"Machine\.start_schedtick must be between 0"),
    (dict(start_schedtick=2**32), ValueError, r"Machine\.start_schedtick must be between 0"),
    (dict(init_goroutines=-1), ValueError, r"Machine\.init_goroutines must be between 0"),
    (dict(procs=8, max_threads=4), ValueError, r"Machine\.max_threads \(4\) must be >= procs"),
])
def test_machine_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gc.Machine(**kwargs)


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(ring_cap=100), ValueError, r"Strategy\.ring_cap must be a power of two, got 100"),
    (dict(ring_cap=0), ValueError, r"Strategy\.ring_cap must be between"),
    (dict(global_only=True, steal=True), ValueError,
     r"global_only has no local rings, so steal must be False"),
    (dict(global_batch_max=129), ValueError, r"global_batch_max \(129\) must be at most "
                                             r"ring_cap/2 \(128\)"),
    (dict(steal_passes=0), ValueError, r"Strategy\.steal_passes must be between 1"),
    (dict(fairness_tick=-1), ValueError, r"Strategy\.fairness_tick must be between 0"),
    (dict(use_runnext=1), TypeError, r"Strategy\.use_runnext must be a bool"),
    (dict(name=""), TypeError, r"Strategy\.name must be a non-empty str"),
])
def test_strategy_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gc.Strategy(**kwargs)


@pytest.mark.parametrize("kwargs,exc,msg", [
    (dict(execute=-1), ValueError, r"CostModel\.execute must be between 0 and \d+, got -1"),
    (dict(futex_wake=10**13), ValueError, r"CostModel\.futex_wake must be between 0"),
    (dict(lock=1.5), TypeError, r"CostModel\.lock must be an int, got float"),
    (dict(newproc=None), TypeError, r"CostModel\.newproc must be an int, got NoneType"),
])
def test_costmodel_validation(kwargs, exc, msg):
    with pytest.raises(exc, match=msg):
        gc.CostModel(**kwargs)


def test_presets_and_configs_are_plain_values():
    assert gc.get_strategy("go") is gc.STRATEGIES["go"]
    assert gc.get_strategy("go") == gc.Strategy()
    g = gc.get_strategy("global")
    assert g.global_only and not g.steal and not g.use_runnext
    s = gc.Strategy(name="x", ring_cap=8, global_batch_max=4)
    assert gc.get_strategy(s) is s
    assert s.replace(ring_cap=16).ring_cap == 16 and s.ring_cap == 8
    with pytest.raises(ValueError, match="power of two"):
        s.replace(ring_cap=12)
    z = gc.CostModel.zero()
    assert all(v == 0 for v in z.to_native().values())
    assert gc.Machine(procs=3) == gc.Machine(procs=3)
    with pytest.raises(Exception):
        gc.Machine().procs = 5                     # frozen


# --------------------------------------------------------------------------------------------
# Go-level failures and limits

def test_negative_waitgroup_counter_panics():
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    m = prog.func("main")
    m.go("w")
    m.compute(10**6)
    w = prog.func("w")
    w.wg_done(wg)                                  # Done() without Add(): Go panics
    with pytest.raises(gc.ProgramError, match=r"negative WaitGroup counter") as ei:
        gc.run(prog, procs=2, check_every=1)
    assert "panic: sync: negative WaitGroup counter" in str(ei.value)
    assert not isinstance(ei.value, gc.InternalError)


def test_negative_waitgroup_counter_in_main_after_balanced_use():
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 2)
    m.go("w", times=2)
    m.wg_wait(wg)
    m.wg_add(wg, -1)                               # counter 0 -> -1
    w = prog.func("w")
    w.wg_done(wg)
    with pytest.raises(gc.ProgramError, match="negative WaitGroup counter"):
        gc.run(prog, procs=4, check_every=1)


@pytest.mark.parametrize("strategy", ["go", "global"])
@pytest.mark.parametrize("procs", [1, 4])
def test_deadlock_is_reported_not_hung(strategy, procs):
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 3)
    m.go("w", times=2)                             # two Done()s for an Add(3)
    m.wg_wait(wg)
    m.mark("never")
    w = prog.func("w")
    w.compute(500)
    w.wg_done(wg)
    # max_events is only a safety net: the run must stop by itself, as "deadlock"
    res = gc.run(prog, procs=procs, strategy=strategy, seed=1, check_every=1,
                 max_events=10**6)
    s = res.summary
    assert res.status == "deadlock" == s["status"]
    assert s["events"] < 10**6
    assert s["goroutines_created"] == 3
    assert s["goroutines_finished"] == 2           # the workers; main is asleep for good
    assert s["goroutines_live"] == 1
    assert len(res.marks[res.marks["label"] == "never"]) == 0
    assert (res.per_p["status"] == 0).all()        # every P idle, every M parked


def test_deadlock_with_many_waiters():
    prog = gc.Program()
    wg, gate = prog.waitgroup("wg"), prog.waitgroup("gate")
    m = prog.func("main")
    m.wg_add(gate, 1)                              # nobody ever Done()s the gate
    m.wg_add(wg, 50)
    m.go("w", times=50)
    m.wg_wait(wg)
    w = prog.func("w")
    w.wg_done(wg)
    w.wg_wait(gate)
    res = gc.run(prog, procs=4, seed=2, check_every=1, max_events=10**6)
    s = res.summary
    # all workers Done() -> main is readied and returns: not a deadlock, even though 50
    # goroutines sleep on the gate forever (Go exits when main returns)
    assert res.status == "ok"
    assert s["goroutines_created"] == 51
    assert s["goroutines_finished"] == 1           # main only
    assert s["goroutines_live"] == 50


def test_max_events_limit():
    prog = fanout(5000, work=gc.Exponential(3000))
    res = gc.run(prog, procs=8, seed=1, max_events=1000)
    s = res.summary
    assert res.status == "max_events"
    assert s["events"] == 1000
    assert s["goroutines_finished"] < s["goroutines_created"]
    full = gc.run(prog, procs=8, seed=1)
    assert full.status == "ok" and full.summary["events"] > 1000
    # the limited run is a prefix of the full one
    assert s["emulated_cycles"] <= full.summary["emulated_cycles"]
    n = len(res.start_order)
    assert res.start_order.tolist() == full.start_order[:n].tolist()


def test_max_cycles_limit():
    prog = fanout(5000, work=gc.Exponential(3000))
    res = gc.run(prog, procs=8, seed=1, max_cycles=50_000)
    s = res.summary
    assert res.status == "max_cycles"
    assert s["emulated_cycles"] <= 50_000
    assert s["goroutines_finished"] < s["goroutines_created"]
    assert (res.marks["time_cycles"] <= 50_000).all()
    full = gc.run(prog, procs=8, seed=1)
    assert full.summary["emulated_cycles"] > 50_000
    early = full.marks[full.marks["time_cycles"] < 50_000]
    assert len(res.marks) >= len(early)


def test_max_cycles_zero():
    res = gc.run(fanout(10), procs=2, max_cycles=0)
    assert res.status == "max_cycles"
    assert res.summary["emulated_cycles"] == 0


def test_main_returning_ends_the_run():
    res = gc.run(fanout(200, work=10**6, wait=False), procs=4, seed=1, check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["goroutines_created"] == 201
    assert s["goroutines_finished"] < 201
    assert s["goroutines_live"] == 201 - s["goroutines_finished"]


# --------------------------------------------------------------------------------------------
# the latency histogram

def test_latency_histogram_properties():
    res = gc.run(fanout(3000, work=gc.Exponential(4000)), procs=8, seed=3)
    lat = res.latency
    s = res.summary
    assert lat.count == s["executes"] > 3000
    qs = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 100]
    ps = [lat.percentile(q) for q in qs]
    assert all(a <= b for a, b in zip(ps, ps[1:])), ps
    assert ps[-1] <= lat.max() and ps[0] >= 0
    assert lat.percentile(50) <= lat.percentile(99) <= lat.max()
    assert s["latency_p50_ns"] == lat.percentile(50)
    assert s["latency_p99_ns"] == lat.percentile(99)
    assert s["latency_p999_ns"] == lat.percentile(99.9)
    assert s["latency_max_ns"] == lat.max()
    assert s["latency_mean_ns"] == lat.mean()
    assert lat.percentile(50) < lat.max()          # not degenerate
    # units: ns = cycles / clock
    assert lat.mean("cycles") == pytest.approx(lat.mean() * 3.0)
    assert lat.percentile(90, unit="cycles") == pytest.approx(lat.percentile(90) * 3.0)
    assert lat.max(unit="cycles") == lat.max_cycles
    assert lat.percentiles((50, 99)) == {50: lat.percentile(50), 99: lat.percentile(99)}
    x, cdf = lat.cdf()
    assert (np.diff(x) > 0).all() and (np.diff(cdf) >= 0).all() and cdf[-1] == pytest.approx(1)
    with pytest.raises(ValueError, match=r"percentile q must be in \[0, 100\], got 101"):
        lat.percentile(101)
    with pytest.raises(ValueError, match=r"percentile q must be in \[0, 100\]"):
        lat.percentile(-1)
    with pytest.raises(ValueError, match=r"unit must be 'ns' or 'cycles', got 'ms'"):
        lat.mean("ms")
    assert "LatencyHistogram n=" in repr(lat)


def test_latency_clock_scaling():
    prog = fanout(500, work=gc.Exponential(2000))
    a = gc.run(prog, procs=4, seed=9, machine=gc.Machine(procs=4, clock_ghz=3.0))
    b = gc.run(prog, procs=4, seed=9, machine=gc.Machine(procs=4, clock_ghz=1.5))
    # the clock only changes how cycles are printed
    assert a.latency.total_cycles == b.latency.total_cycles
    assert b.latency.mean() == pytest.approx(2 * a.latency.mean())
    assert b.summary["emulated_ns"] == pytest.approx(2 * a.summary["emulated_ns"])
    assert a.summary["emulated_cycles"] == b.summary["emulated_cycles"]


@pytest.mark.parametrize("strategy", ["go", "global"])
@pytest.mark.parametrize("n,c", [(10, 300), (100, 1000), (1, 50)])
def test_latency_exact_on_one_p_without_overheads(strategy, n, c):
    """One P, every scheduler cost zero, every worker computes exactly c cycles.  main spawns
    n workers at cycle 0 and parks; the P then runs them back to back, so the k-th to run waits
    k*c cycles (k = 0..n-1) -- with Go's queues runnext (the last spawned) goes first, then the
    ring in order; with the global queue they go in order.  main's two executes (its start and
    its wake-up by the last Done, which it follows at once) wait 0.  Mean = c*n(n-1)/2/(n+2)."""
    prog = fanout(n, work=c)
    res = gc.run(prog, procs=1, strategy=strategy, seed=0, costs=gc.CostModel.zero(),
                 check_every=1)
    lat = res.latency
    assert res.status == "ok"
    assert lat.count == n + 2
    assert lat.total_cycles == c * n * (n - 1) // 2
    assert lat.mean("cycles") == pytest.approx(c * n * (n - 1) / 2 / (n + 2))
    assert res.summary["latency_mean_ns"] == pytest.approx(c * n * (n - 1) / 2 / (n + 2) / 3.0)
    assert lat.max_cycles == c * (n - 1)
    assert res.summary["emulated_cycles"] == c * n
    # marks: worker k finishes its compute at (k+1)*c
    assert res.marks["time_cycles"].tolist() == [c * (k + 1) for k in range(n)]


# --------------------------------------------------------------------------------------------
# the Result

def test_result_shape_and_repr():
    prog = fanout(300, work=gc.Exponential(2000))
    res = gc.run(prog, procs=4, seed=1)
    r = repr(res)
    assert r.startswith("<gmpcore.Result go procs=4 status=ok goroutines=301 ")
    assert "events=" in r and "emulated=" in r
    assert res.status == "ok"
    s = res.summary
    for k in ("strategy", "procs", "seed", "status", "emulated_cycles", "emulated_ns", "events",
              "wall_s", "events_per_s", "goroutines_created", "goroutines_finished",
              "goroutines_live", "max_live_goroutines", "latency_mean_ns", "latency_p50_ns",
              "latency_p99_ns", "latency_p999_ns", "latency_max_ns", "schedules", "executes",
              "executes_inherit", "steals", "stolen_gs", "steal_attempts", "steal_cas_fail",
              "runnext_steals", "runqget_cas_fail", "runnext_puts", "runnext_kicks",
              "globrunq_puts", "globrunq_gets", "globrunq_batches", "fairness_gets",
              "runqputslow", "wakep_calls", "wakep_started", "startm", "stopm", "newm",
              "threads", "become_spinning", "spinning_cycles", "idle_cycles", "parks", "readies",
              "gfree_reuse", "g_records", "lock_acquisitions", "lock_contended",
              "lock_wait_cycles", "lock_hold_cycles"):
        assert k in s, k
    assert (s["strategy"], s["procs"], s["seed"]) == ("go", 4, 1)
    assert s["emulated_ns"] == pytest.approx(s["emulated_cycles"] / 3.0)
    assert s["wall_s"] >= 0
    assert res.summary_series()["procs"] == 4

    marks = res.marks
    assert list(marks.columns) == ["time_cycles", "time_ns", "goid", "parent_goid", "label",
                                   "spawn_index", "iteration", "p", "value", "value2", "value3"]
    assert len(marks) == 300
    assert (marks["label"] == "w").all()
    assert (marks["parent_goid"] == 1).all()
    assert sorted(marks["spawn_index"]) == list(range(300))      # go worker(i), i = 0..299
    assert sorted(marks["goid"]) == list(range(2, 302))
    assert marks["time_ns"].to_numpy() == pytest.approx(marks["time_cycles"].to_numpy() / 3.0)
    assert res.mark_tuples()[:2] == [("w", int(marks["spawn_index"][0]), 0),
                                     ("w", int(marks["spawn_index"][1]), 0)]

    per_p = res.per_p
    for c in ("p", "status", "schedtick", "runqsize", "runnext", "steals", "stolen",
              "stolen_from", "steal_attempts", "cas_fail", "runqputslow", "executes",
              "busy_cycles"):
        assert c in per_p.columns, c
    assert per_p["p"].tolist() == [0, 1, 2, 3]

    steals = res.steals
    assert list(steals.columns) == ["time_cycles", "thief", "victim", "n", "victim_len",
                                    "runnext"]
    assert steals["runnext"].dtype == bool
    assert len(steals) == s["steals"] > 0

    so = res.start_order
    assert so.dtype == np.int64 and so[0] == 1 and len(so) == 301
    assert sorted(so.tolist()) == list(range(1, 302))


def test_mark_tuples_report_loop_iterations_and_spawn_index():
    prog = gc.Program()
    m = prog.func("main")
    with m.loop(2):
        with m.loop(3):
            m.mark("in")
        m.mark("out")
    m.go("w", times=1)
    m.compute(10**6)
    w = prog.func("w")
    w.mark("w")
    res = gc.run(prog, procs=1, seed=0)
    assert res.mark_tuples() == [("in", 0, 0), ("in", 0, 1), ("in", 0, 2), ("out", 0, 0),
                                 ("in", 0, 0), ("in", 0, 1), ("in", 0, 2), ("out", 0, 1)]


def test_loop_zero_skips_body():
    prog = gc.Program()
    m = prog.func("main")
    with m.loop(0):
        m.go("w", times=5)
        m.mark("never")
    m.mark("after")
    prog.func("w").mark("w")
    res = gc.run(prog, procs=2, check_every=1)
    assert res.mark_tuples() == [("after", 0, 0)]
    assert res.summary["goroutines_created"] == 1


def test_record_false_records_nothing_but_counts_everything():
    prog = fanout(200, work=gc.Exponential(2000))
    res = gc.run(prog, procs=4, seed=1, record=False)
    assert len(res.start_order) == 0 and len(res.marks) == 0 and len(res.steals) == 0
    assert res.mark_tuples() == []
    assert res.summary["goroutines_created"] == 201 and res.summary["steals"] > 0


def test_program_reusable_and_unchanged_by_run():
    prog = fanout(50)
    before = prog.compile().code.copy()
    a = gc.run(prog, procs=2, seed=4)
    b = gc.run(prog, procs=2, seed=4)
    assert np.array_equal(prog.compile().code, before)
    assert a.summary["events"] == b.summary["events"]


def test_procs_argument_overrides_machine():
    prog = fanout(50)
    res = gc.run(prog, procs=3, machine=gc.Machine(procs=8, clock_ghz=2.0))
    assert res.summary["procs"] == 3 and len(res.per_p) == 3
    assert res.config["machine"].clock_ghz == 2.0 and res.config["machine"].procs == 3
    res = gc.run(prog, machine=gc.Machine(procs=5))
    assert res.summary["procs"] == 5 and len(res.per_p) == 5


def test_numpy_integers_accepted():
    prog = gc.Program()
    m = prog.func("main")
    m.go("w", times=np.int64(3))
    with m.loop(np.int32(2)):
        m.compute(np.float64(5.0))          # (np.int64 cycles are refused: see the report)
    prog.func("w").compute(1)
    res = gc.run(prog, procs=np.int64(2), seed=np.uint64(7), max_events=np.int64(10**6))
    assert res.status == "ok" and res.summary["procs"] == 2 and res.summary["seed"] == 7


def test_internal_error_and_program_error_are_distinct():
    assert issubclass(gc.ProgramError, RuntimeError)
    assert issubclass(gc.InternalError, RuntimeError)
    assert not issubclass(gc.ProgramError, gc.InternalError)
    assert not issubclass(gc.InternalError, gc.ProgramError)
