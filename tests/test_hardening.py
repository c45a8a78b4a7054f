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
    with pytest.raises(gc.MemoryLimitError):
        gc.run(prog, procs=4, record=True, memory_limit=175 * 2**20)
    # without recording, fewer bytes: the same limit lets it start
    res = gc.run(prog, procs=4, record=False, memory_limit=175 * 2**20, max_events=10**7)
    assert res.status == "max_events"
    # a run capped at max_events cannot create more goroutines than events
    res = gc.run(prog, procs=4, record=True, memory_limit=175 * 2**20, max_events=10_000)
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


@settings(max_examples=500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prog=hostile_programs(), procs=st.integers(1, 8),
       strategy=st.sampled_from(["go", "global", "tokio", "forkjoin", "no-steal", "steal-tail"]),
       seed=st.integers(0, 2**32))
def test_hostile_programs_end_cleanly(prog, procs, strategy, seed):
    try:
        res = gc.run(prog, machine=gc.Machine(procs=procs, gc_heap_goal_bytes=200_000,
                                              gc_period_ns=0 if seed % 2 else 100_000.0),
                     strategy=strategy, seed=seed, check_every=7,
                     max_events=60_000, record=False, memory_limit=1 << 30)
    except gc.ProgramError as e:             # Go would panic too (send/close on closed channel)
        assert "closed channel" in str(e)
        return
    assert res.status in ("ok", "deadlock", "max_events")
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
