"""Hardening: memory guard, Ctrl-C, progress, saved configs, hostile programs."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gmpcore as gc
from gmpcore import workloads


# --- memory guard ---------------------------------------------------------------------------

def test_memory_guard_refuses_before_allocating():
    with pytest.raises(gc.MemoryLimitError, match=r"may need .* MiB .*largest part: goroutines"):
        gc.run(workloads.burst(10_000_000), procs=16, memory_limit=50 * 2**20)


def test_memory_guard_counts_what_is_recorded():
    prog = workloads.burst(2_000_000)
    # 2M goroutines x (64-byte G + 8-byte wait_start table) = 137 MiB; recording adds the
    # start order (8 bytes each): 153 MiB
    with pytest.raises(gc.MemoryLimitError):
        gc.run(prog, procs=4, record=True, memory_limit=145 * 2**20)
    # without recording, fewer bytes: the same limit lets it start
    res = gc.run(prog, procs=4, record=False, memory_limit=145 * 2**20, max_events=10**7)
    assert res.status == "max_events"
    # a run capped at max_events cannot create more goroutines than events
    res = gc.run(prog, procs=4, record=True, memory_limit=145 * 2**20, max_events=10_000)
    assert res.status == "max_events"


def test_memory_guard_trace_cap_and_override(monkeypatch):
    prog = workloads.burst(1000)
    with pytest.raises(gc.MemoryLimitError, match="largest part: trace"):
        gc.run(prog, procs=2, trace=10**9, memory_limit=2**30)
    assert gc.run(prog, procs=2, trace=10**9, memory_limit=False).status == "ok"
    monkeypatch.setenv("GMPCORE_MEMORY_LIMIT", str(1 << 20))
    with pytest.raises(gc.MemoryLimitError):
        gc.run(workloads.burst(100_000), procs=2)


def test_recursive_spawning_is_unbounded():
    prog = gc.Program()
    prog.func("main").go("f").compute(10**12)      # main outlives the spawning
    prog.func("f").go("f")
    with pytest.raises(gc.MemoryLimitError, match="unbounded number of goroutines"):
        gc.run(prog, procs=2, max_cycles=10**6)
    # bounded by max_events, or not recorded: it may run
    assert gc.run(prog, procs=2, max_events=1000).status == "max_events"
    assert gc.run(prog, procs=2, max_cycles=10**6, record=False).status == "max_cycles"


# --- interrupts and progress ----------------------------------------------------------------

def test_sigint_interrupts_a_long_run_cleanly():
    child = textwrap.dedent("""
        import sys, time, gmpcore
        from gmpcore import workloads
        prog = workloads.burst(200_000_000)
        print("ready", flush=True)
        try:
            gmpcore.run(prog, procs=16, record=False, memory_limit=False)
            print("finished", flush=True)
        except KeyboardInterrupt:
            t = time.time()
            r = gmpcore.run(workloads.burst(100), procs=2)      # the interpreter still works
            print("interrupted", t, r.status, flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(1.0)                      # well into the native loop
        sent = time.time()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        p.kill()
    word, t, status = out.split()
    assert word == "interrupted" and status == "ok"
    assert float(t) - sent < 1.0
    assert p.returncode == 0


def test_progress_callback_is_called_between_chunks():
    seen = []
    res = gc.run(workloads.burst(300_000), procs=8, record=False,
                 progress=lambda ev, ns: seen.append((ev, ns)))
    assert len(seen) >= 2
    assert [e for e, _ in seen] == sorted(e for e, _ in seen)
    assert seen[-1][0] == res.summary["events"]
    with pytest.raises(TypeError, match="progress"):
        gc.run(workloads.burst(10), progress="yes")


# --- reproducibility records ----------------------------------------------------------------

def test_result_records_version_config_and_seed():
    res = gc.run(workloads.burst(100), procs=2, seed=42)
    assert res.summary["gmpcore_version"] == gc.__version__
    assert res.config["seed"] == 42 and res.config["machine"].procs == 2
    assert res.config["strategy"] == gc.strategies["go"]


# --- saved configs --------------------------------------------------------------------------

@pytest.mark.parametrize("ext", ["toml", "json"])
def test_configs_roundtrip(tmp_path, ext):
    cfg = {"machine": gc.Machine(procs=8, sockets=2, layout="padded"),
           "costs": gc.CostModel(futex_wake=9000), "strategy": gc.strategies["tokio"],
           "run": {"seed": 3, "record": False}}
    path = gc.save_config(cfg, tmp_path / f"exp.{ext}")
    assert gc.load_config(path) == cfg


def test_config_files_are_validated(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[machine]\nprocs = 0\n")
    with pytest.raises(ValueError, match=r"bad.toml: Machine.procs must be between 1"):
        gc.load_config(bad)
    bad.write_text("[machine]\nprocz = 4\n")
    with pytest.raises(ValueError, match=r"unknown key machine.procz"):
        gc.load_config(bad)
    bad.write_text("[network]\nx = 1\n")
    with pytest.raises(ValueError, match=r"unknown config section 'network'"):
        gc.load_config(bad)
    bad.write_text("[strategy]\npreset = \"fifo\"\n")
    with pytest.raises(ValueError, match=r"strategy.preset 'fifo' is not a preset"):
        gc.load_config(bad)
    bad.write_text("[machine\nprocs = 4\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        gc.load_config(bad)
    js = tmp_path / "x.json"
    js.write_text(json.dumps({"run": {"seed": "one"}}))
    with pytest.raises(TypeError, match="run.seed must be int"):
        gc.load_config(js)
    with pytest.raises(ValueError, match=r"\.toml or \.json"):
        gc.load_config(tmp_path / "x.yaml")
    ok = tmp_path / "ok.toml"
    ok.write_text("[strategy]\npreset = \"tokio\"\nsteal_passes = 2\n")
    assert gc.load_config(ok)["strategy"] == gc.strategies["tokio"].replace(steal_passes=2)


def test_kernel_strategies_cannot_be_saved(tmp_path):
    pytest.importorskip("numba")

    @gc.kernel("steal_amount")
    def one(n, a, b, c):
        return 1 if n > 0 else 0
    with pytest.raises(TypeError, match="kernels are code"):
        gc.save_config({"strategy": gc.Strategy(name="k", steal_amount=one)}, tmp_path / "k.toml")


# --- hostile programs: no crash, no hang, invariants hold -----------------------------------

OPS = ["compute", "zero", "go", "mark", "loop", "gosched", "send", "recv", "close", "lock",
       "sleep", "wg", "hold", "select", "syscall", "netwait", "alloc", "gomaxprocs", "touch",
       "rwlock"]


@st.composite
def hostile_programs(draw):
    prog = gc.Program()
    nf = draw(st.integers(1, 6))
    chans = [prog.chan(f"c{i}", cap=draw(st.integers(0, 3))) for i in range(2)]
    mus = [prog.mutex("m0")]
    rt = prog.runtime_lock("rt")
    wg = prog.waitgroup()
    vars_ = [prog.var("v"), prog.var("pp", per_p=True), prog.var("pad", per_p=True, padded=True)]
    rw = prog.rwmutex("rw")
    funcs = [prog.func("main")] + [prog.func(f"f{i}") for i in range(nf)]
    for k, f in enumerate(funcs):
        for _ in range(draw(st.integers(0, 6))):
            op = draw(st.sampled_from(OPS))
            if op == "compute":
                f.compute(draw(st.sampled_from([gc.Exponential(500), gc.Uniform(0, 3000), 50])))
            elif op == "zero":
                with f.loop(draw(st.integers(0, 500))):        # zero-cost loops
                    f.mark("z")
            elif op == "go" and k + 1 < len(funcs):
                f.go(funcs[draw(st.integers(k + 1, len(funcs) - 1))],
                     times=draw(st.integers(1, 400)))        # huge fan-outs / deep trees
            elif op == "mark":
                f.mark(f"m{k}")
            elif op == "loop":
                with f.loop(draw(st.integers(0, 5))):
                    f.compute(100)
            elif op == "gosched":
                f.gosched()
            elif op == "send":
                f.send(draw(st.sampled_from(chans)), "spawn")
            elif op == "recv":
                f.recv(draw(st.sampled_from(chans)))
            elif op == "rwlock":
                if draw(st.booleans()):
                    f.rlock(rw).compute(300).runlock(rw)
                else:
                    f.lock(rw).compute(300).unlock(rw)
            elif op == "syscall":
                f.syscall(draw(st.sampled_from([0, 100, 40_000, gc.Exponential(100_000)])))
            elif op == "netwait":
                f.net_wait(draw(st.sampled_from([0, 100, 40_000, gc.Exponential(100_000)])))
            elif op == "alloc":
                f.alloc(draw(st.sampled_from([1, 1000, 100_000])))
            elif op == "gomaxprocs":
                f.gomaxprocs(draw(st.integers(1, 12)))
            elif op == "touch":
                f.touch(draw(st.sampled_from(vars_)), draw(st.sampled_from(["read", "write", "rmw"])))
            elif op == "select":
                with f.select() as sel:
                    with sel.recv(chans[0]):
                        f.mark("s0")
                    with sel.send(chans[1], "spawn"):
                        f.mark("s1")
                    if draw(st.booleans()):
                        with sel.after(draw(st.sampled_from([0, 100, 20_000]))):
                            f.mark("s2")
                    if draw(st.booleans()):
                        with sel.default():
                            f.mark("s3")
            elif op == "close":
                f.close(draw(st.sampled_from(chans)))
            elif op == "lock":
                f.lock(mus[0]).compute(200).unlock(mus[0])
            elif op == "sleep":
                f.sleep(draw(st.integers(0, 50_000)))
            elif op == "wg":
                f.wg_add(wg, 1).wg_done(wg)
            elif op == "hold":
                f.hold(rt, draw(st.sampled_from([100, gc.LogNormal(5000, 1.5), 20_000])))
    return prog


COST_FIELDS = list(gc.CostModel.__dataclass_fields__)


@st.composite
def extreme_costs(draw):
    """Default costs, or a few of them anywhere up to the validated maximum."""
    if draw(st.booleans()):
        return gc.CostModel()
    names = draw(st.lists(st.sampled_from(COST_FIELDS), min_size=1, max_size=4, unique=True))
    return gc.CostModel(**{n: draw(st.sampled_from([0, 1, 10**6, 10**9, 10**12]))
                           for n in names})


SAMPLING = st.sampled_from([{}, {}, {"sample_every_ns": 1}, {"sample_every_ns": 1000},
                            {"schedtrace_ms": 0.001, "scheddetail": True},
                            {"schedtrace_ms": 0.01}])


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=hostile_programs(), procs=st.integers(1, 8),
       strategy=st.sampled_from(["go", "global", "tokio", "forkjoin", "no-steal", "steal-tail"]),
       seed=st.integers(0, 2**32), costs=extreme_costs(), sampling=SAMPLING,
       gc_period=st.sampled_from([0, 0, 1000, 2000, 100_000]))
def test_hostile_programs_end_cleanly(prog, procs, strategy, seed, costs, sampling, gc_period):
    extreme = costs != gc.CostModel()
    try:
        res = gc.run(prog, machine=gc.Machine(procs=procs, gc_heap_goal_bytes=200_000,
                                              gc_period_ns=gc_period),
                     strategy=strategy, seed=seed, check_every=7, costs=costs,
                     # long steps span many background events: bound emulated time too
                     max_cycles=10**10 if extreme or gc_period else None,
                     max_events=60_000, record=False, memory_limit=64 << 20, **sampling)
    except gc.ProgramError as e:             # Go would panic too (send/close on closed channel)
        assert "closed channel" in str(e)
        return
    except gc.MemoryLimitError as e:         # sampling every ns: stopped, with the reason
        assert sampling and "recording" in str(e) or "largest part" in str(e)
        return
    except ValueError as e:                  # refused: no goroutine could ever run
        assert "must be shorter than the time slice" in str(e) and costs.execute >= 30_000_000
        return
    assert res.status in ("ok", "deadlock", "max_events", "max_cycles")
    summary = [v for v in res.summary.values() if isinstance(v, int)]
    assert min(summary) >= 0
    if res.status == "deadlock":
        assert len(res.blocked) == res.summary["goroutines_live"]


@pytest.mark.skipif(not os.environ.get("GMPCORE_DEBUG"), reason="only in the debug CI job")
def test_debug_build_checks_invariants():
    from gmpcore import _engine
    assert _engine.DEBUG_BUILD


def test_rearmed_poller_wakes_once():
    # regression (found by the long fuzz run): while one M is blocked in netpoll until a far
    # timer, a G on another P sleeps for less and re-arms it; the first wake-up must be
    # superseded, or the M later runs twice (checked: at most one live event per M)
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 2).go("late").go("busy").wg_wait(wg)
    prog.func("late").sleep(30_000_000).wg_done(wg)          # its M ends up polling till 10 ms
    prog.func("busy").compute(3_000_000).sleep(300_000).compute(1000).wg_done(wg)
    for procs in (2, 3):
        for seed in range(5):
            res = gc.run(prog, procs=procs, seed=seed, check_every=1)
            assert res.status == "ok"


# --- issue 12: ownership, overflow, accounting, liveness, recording memory --------------------

def test_objects_of_a_freed_program_are_refused_not_used():
    # CPython reuses id(program) once it is freed: ownership is a token, never an id.  In a
    # subprocess, so that a regression crashes the child, not the test run.
    child = textwrap.dedent("""
        import gmpcore as g
        old = g.Program()
        for _ in range(100_000):
            ch = old.chan(cap=1)
        del old
        prog = g.Program()
        try:
            prog.func("main").send(ch, 1).recv(ch)
            g.run(prog)
            print("accepted")
        except ValueError as e:
            print("refused:", e)
    """)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused: Chan 'ch99999' belongs to another Program")


@pytest.mark.parametrize("make", [
    lambda: gc.program.Chan(10**6, "c", 0),
    lambda: gc.program.WaitGroup(10**7, "w"),
    lambda: gc.program.Mutex(5, "m"),
])
def test_hand_built_objects_are_refused(make):
    p = gc.Program()
    f = p.func("main")
    obj = make()
    call = {gc.program.Chan: lambda: f.send(obj, 1), gc.program.WaitGroup: lambda: f.wg_wait(obj),
            gc.program.Mutex: lambda: f.lock(obj)}[type(obj)]
    with pytest.raises(ValueError, match="belongs to another Program"):
        call()


def test_forged_and_tampered_operands_are_refused_at_compile():
    import dataclasses
    p = gc.Program()
    ch = p.chan("c", cap=1)
    f = p.func("main")
    # the right token, a wrong index or a changed field: refused when used
    with pytest.raises(ValueError, match="does not match"):
        f.send(gc.program.Chan(10**6, "c", 1, p._owner), 1)
    with pytest.raises(ValueError, match="does not match"):
        f.send(dataclasses.replace(ch, cap=5), 1)
    # operands written into the program's internals by hand: compile() checks every one
    f.send(ch, 1)
    f._ops.append(("CHAN_RECV", 10**6))
    with pytest.raises(ValueError, match=r"instruction \d+ \(CHAN_RECV\): operand 1000000 out of "
                                         r"range"):
        p.compile()
    q = gc.Program()
    g_ = q.func("main")
    g_._ops.append(("WG_WAIT", -1))
    with pytest.raises(ValueError, match="WG_WAIT"):
        q.compile()


def test_latency_sum_does_not_wrap():
    # FIFO on one P, no preemption: goroutine i waits i * W, so the mean is (n - 1) W / 2;
    # the sum (~1e19 and ~2e21 cycles) is past int64
    for n, w in ((1000, 2 * 10**13), (1000, 4 * 10**15)):
        res = gc.run(workloads.burst(n, work=w), procs=1, record=False,
                     machine=gc.Machine(procs=1, sysmon=False))
        assert res.status == "ok"
        mean_cycles = res.summary["latency_mean_ns"] * 3.0
        assert mean_cycles == pytest.approx((n - 1) * w / 2, rel=5e-3)   # (+ main, overheads)
        assert res.latency.total_cycles > 2**63


def test_latency_sum_issue_case():
    # the issue's case: reported a mean 23x too low
    res = gc.run(workloads.burst(300_000, work=300_000_000), procs=1, record=False)
    mean = res.summary["latency_mean_ns"]
    # every G is preempted each 10 ms slice and waits for the whole queue: about
    # 300_000 * 10 ms = 3000 s per wait
    assert 2.5e12 < mean < 4.5e12


def test_cycle_total_overflow_is_an_error_not_a_wrong_figure():
    p = gc.Program()
    mu, wg = p.mutex("mu"), p.waitgroup()
    p.func("main").wg_add(wg, 10).go("w", times=10).wg_wait(wg)
    p.func("w").lock(mu).compute(45 * 10**16).unlock(mu).wg_done(wg)
    with pytest.raises(OverflowError, match="sync.Mutex wait cycles total passed 2\\*\\*63"):
        gc.run(p, procs=4, machine=gc.Machine(procs=4, sysmon=False))


def test_cache_cycles_overflow_is_an_error_not_a_wrong_figure():
    # cache cycles are derived from the outcome counts (hits * cache_hit + ...): 8 Ps each
    # touching a shared line 2M times at 10^12 cycles pass 2^63 in sum while the clock is
    # still below 2^62
    p = gc.Program()
    v, wg = p.var("x"), p.waitgroup()
    p.func("main").wg_add(wg, 8).go("w", times=8).wg_wait(wg)
    w = p.func("w")
    with w.loop(2_000_000):
        w.touch(v, "rmw")
    w.wg_done(wg)
    big = 10**12
    costs = gc.CostModel(cache_hit=big, cache_local=big, cache_remote=big, cache_mem=big)
    with pytest.raises(OverflowError, match="cache cycles total passed 2\\*\\*63"):
        gc.run(p, procs=8, machine=gc.Machine(procs=8, sysmon=False), costs=costs)


def test_waitgroup_counter_past_int32_panics_as_go():
    p = gc.Program()
    wg = p.waitgroup()
    p.func("main").wg_add(wg, 2**31 - 1).wg_add(wg, 1)
    with pytest.raises(gc.ProgramError, match="negative WaitGroup counter"):
        gc.run(p, procs=1)


def test_idle_cycles_non_negative_with_gc_and_slow_locks():
    p = gc.Program()
    p.func("main").gc()
    res = gc.run(p, procs=1, costs=gc.CostModel(lock=100_000), check_every=1)
    assert res.status == "ok"
    assert res.summary["idle_cycles"] == 0          # woken before its stopm unlock ended
    assert min(v for k, v in res.summary.items() if isinstance(v, int)) >= 0


@pytest.mark.parametrize("period", [1000, 2000, 100_000])
def test_deadlock_detected_with_frequent_gc(period):
    p = gc.Program()
    ch = p.chan()
    p.func("main").compute(1000).recv(ch)
    res = gc.run(p, procs=2, machine=gc.Machine(procs=2, gc_period_ns=period),
                 max_events=10**6, check_every=1)
    assert res.status == "deadlock"
    assert res.summary["events"] < 200


def test_execute_cost_of_a_time_slice_is_refused():
    with pytest.raises(ValueError, match="must be shorter than the time slice"):
        gc.run(workloads.burst(10), costs=gc.CostModel(execute=30_000_000))
    # just under the slice runs, and without sysmon any execute cost is fine
    assert gc.run(workloads.burst(3), procs=1, costs=gc.CostModel(execute=29_999_999)).status == "ok"
    assert gc.run(workloads.burst(3), procs=1, costs=gc.CostModel(execute=10**12),
                  machine=gc.Machine(procs=1, sysmon=False)).status == "ok"


@pytest.mark.skipif(gc._engine.DEBUG_BUILD, reason="a debug build checks every invariant each "
                    "1024 events, which makes a chunk far longer than a second")
def test_sigint_within_a_second_with_huge_step_costs():
    # each M step is 10^12 cycles: thousands of sysmon ticks per step, all counted against
    # the chunk (they were not: Ctrl-C took 24 s)
    child = textwrap.dedent("""
        import time, gmpcore
        from gmpcore import workloads
        print("ready", flush=True)
        try:
            gmpcore.run(workloads.burst(10**8), procs=4, record=False, memory_limit=False,
                        costs=gmpcore.CostModel(execute=10**12),
                        machine=gmpcore.Machine(procs=4, time_slice_ns=1e12))
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", time.time(), flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        time.sleep(1.5)
        sent = time.time()
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=30)
    finally:
        p.kill()
    word, t = out.split()
    assert word == "interrupted"
    assert float(t) - sent < 1.0


def test_scheddetail_is_bounded_by_the_memory_limit():
    with pytest.raises(gc.MemoryLimitError, match=r"recording \(scheddetail snapshots\)"):
        gc.run(workloads.burst(20_000, 2000), procs=4, schedtrace_ms=0.001, scheddetail=True,
               memory_limit=100 << 20)


def test_sampling_is_bounded_by_the_memory_limit():
    # unbounded (no max_cycles): stopped at run time
    with pytest.raises(gc.MemoryLimitError, match=r"recording \(samples\)"):
        gc.run(workloads.burst(20_000, 2000), procs=4, sample_every_ns=1, memory_limit=50 << 20)
    # bounded by max_cycles: refused before the run
    with pytest.raises(gc.MemoryLimitError, match="largest part: samples"):
        gc.run(workloads.burst(20_000, 2000), procs=4, sample_every_ns=1, max_cycles=10**9,
               memory_limit=50 << 20)
    # and a run that fits is unaffected
    res = gc.run(workloads.burst(2000, 2000), procs=4, sample_every_ns=100, memory_limit=50 << 20)
    assert res.status == "ok" and len(res.sample_records) > 10


def test_marks_in_range_loops_are_bounded_at_run_time():
    p = gc.Program()
    ch = p.chan(cap=64)
    m = p.func("main")
    m.go("prod")
    with m.range(ch):
        with m.loop(1000):
            m.mark("x")
    prod = p.func("prod")
    with prod.loop(100_000):
        prod.send(ch, 1)
    prod.close(ch)
    with pytest.raises(gc.MemoryLimitError, match=r"recording \(marks\)"):
        gc.run(p, procs=2, memory_limit=20 << 20)


def test_select_on_done_without_deadline_is_a_deadlock_not_an_internal_error():
    p = gc.Program()
    f = p.func("main")
    with f.select() as sel:
        with sel.done():
            f.mark("x")
    for check in (0, 1):
        assert gc.run(p, procs=2, check_every=check).status == "deadlock"


OBJECT_MAKERS = {"chan": lambda p: p.chan(cap=1), "mutex": lambda p: p.mutex(),
                 "waitgroup": lambda p: p.waitgroup(), "var": lambda p: p.var(),
                 "rwmutex": lambda p: p.rwmutex(), "runtime_lock": lambda p: p.runtime_lock()}
USES = [lambda f, o: f.send(o, 1), lambda f, o: f.recv(o), lambda f, o: f.close(o),
        lambda f, o: f.lock(o), lambda f, o: f.unlock(o), lambda f, o: f.rlock(o),
        lambda f, o: f.wg_add(o, 1), lambda f, o: f.wg_wait(o), lambda f, o: f.touch(o),
        lambda f, o: f.hold(o, 1)]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(kind=st.sampled_from(sorted(OBJECT_MAKERS)), n=st.integers(1, 300),
       free_owner=st.booleans(), index=st.sampled_from([-1, 0, 1, 10**6, 2**40]),
       use=st.sampled_from(USES))
def test_objects_cannot_cross_programs_or_be_forged(kind, n, free_owner, index, use):
    import dataclasses
    other = gc.Program()
    objs = [OBJECT_MAKERS[kind](other) for _ in range(n)]
    obj = objs[-1]
    if free_owner:
        del other, objs                      # its id may be reused by the next Program
    prog = gc.Program()
    mine = [OBJECT_MAKERS[kind](prog) for _ in range(n)][-1]
    f = prog.func("main")
    for bad in (obj, dataclasses.replace(obj, index=index),
                dataclasses.replace(mine, index=index) if index != mine.index else obj):
        with pytest.raises((ValueError, TypeError)):
            use(f, bad)
    prog.compile()                           # nothing was added by the refused calls
