"""Real Go agrees on the GC pacer: cycle counts and who does the marking (docs/gc.md).

tests/go/cmd/gcpacer builds a live heap of -live MiB (128-byte objects of pointers), then
allocates -total MiB of 4 KiB garbage.  It runs with GOGC=100 GODEBUG=gctrace=1: stdout has
the cycle count from runtime/metrics (/gc/cycles/total:gc-cycles) before and after the
garbage phase and the phase's duration; stderr has one gctrace line per cycle, whose "ms cpu"
field splits the mark CPU into assist / background (dedicated + fractional) / idle.  The DSL
twin allocates the same bytes, with the mutator time per allocation Go measured.

What is compared (GOMAXPROCS=1, where Go's pacer is least disturbed by a loaded machine):
* the garbage phase's cycles with no live heap: within 10% (observed: Go 84-85, gmpcore 85);
* with a 4 MiB live heap, the direction only: fewer cycles than with none, in both
  (observed: Go 20-48 cycles from one batch of runs to the next on the loaded 2-core dev
  machine, gmpcore 55).  Go's first cycles start while the live heap is being built, run
  long (the mark competes with the OS for the machine) and mark a large black-allocated
  heap, which raises the next goals; Go's own count varies by more than 2x, so no tolerance
  on the number holds;
* who marks: with one P and one goroutine allocating without pause, assists do almost all of
  it in both (observed: Go >= 97% assist, gmpcore ~92%).
"""
from __future__ import annotations

import re
import statistics
import subprocess

import pytest

import gmpcore as gc
from go_oracle import build_for_session, run_env

pytestmark = pytest.mark.go

TOTAL_MB = 256
CHUNK = 4096
CPU = re.compile(r"ms clock, [\d.]+\+([\d.]+)/([\d.]+)/([\d.]+)\+[\d.]+ ms cpu")


@pytest.fixture(scope="session")
def gcpacer(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, ("gcpacer",), "go-oracle-gc")[
        "gcpacer"]


def run_gcpacer(binary, live_mb, procs=1, runs=3):
    """[(garbage-phase cycles, garbage ns per allocation, (assist, background, idle) ms)]"""
    env = {**run_env(), "GOMAXPROCS": str(procs), "GOGC": "100", "GODEBUG": "gctrace=1"}
    out = []
    for _ in range(runs):
        p = subprocess.run([str(binary), "-live", str(live_mb), "-total", str(TOTAL_MB),
                            "-chunk", str(CHUNK)], env=env, capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stderr[-2000:]
        meta = {ln.split()[0][1:]: int(ln.split()[1]) for ln in p.stdout.splitlines()
                if ln.startswith("#")}
        split = [0.0, 0.0, 0.0]
        for m in CPU.finditer(p.stderr):
            for i in range(3):
                split[i] += float(m[i + 1])
        out.append((meta["cycles_after"] - meta["cycles_before"],
                    meta["garbage_ns"] / meta["allocs"], tuple(split)))
    return out


def twin(live_mb, garbage=True, per_alloc_ns=1300):
    """The DSL twin: the live heap (and the slice holding it), then the garbage loop."""
    p = gc.Program()
    m = p.func("main")
    n = (live_mb << 20) // 128
    if n:
        m.alloc(n * 8, live="global")
        with m.loop(n):
            m.alloc(128, live="global").compute(90)
    if garbage:
        with m.loop((TOTAL_MB << 20) // CHUNK):
            m.alloc(CHUNK).compute(int(per_alloc_ns * 3))
    return p


def emulated_cycles(live_mb, per_alloc_ns, procs=1):
    before = gc.run(twin(live_mb, garbage=False), procs=procs).summary
    after = gc.run(twin(live_mb, per_alloc_ns=per_alloc_ns), procs=procs).summary
    return after["gc_cycles"] - before["gc_cycles"], after


def mutator_ns(go_runs):
    # Go's garbage phase per allocation includes its GC time; the twin's compute is the
    # mutator's share, taken from the no-live-heap runs where GC is ~15% of the time
    return 0.85 * statistics.median(r[1] for r in go_runs)


def test_cycle_count_with_no_live_heap(gcpacer, record_property):
    go = run_gcpacer(gcpacer, 0)
    go_cycles = statistics.median(r[0] for r in go)
    emu, s = emulated_cycles(0, min(mutator_ns(go), 2000))
    record_property("go_cycles", [r[0] for r in go])
    record_property("gmpcore_cycles", emu)
    assert abs(emu - go_cycles) <= 0.10 * go_cycles, (go, emu)


def test_cycle_count_with_a_live_heap(gcpacer, record_property):
    # Go's count here varies with the machine's load (27-48 between batches of runs), so the
    # comparison is the direction: a live heap raises the goal, so both do fewer cycles for
    # the same garbage than with no live heap (Go 84-85, gmpcore 85)
    go = run_gcpacer(gcpacer, 4)
    emu, s = emulated_cycles(4, 1300)
    emu0, _ = emulated_cycles(0, 1300)
    record_property("go_cycles", [r[0] for r in go])
    record_property("gmpcore_cycles", emu)
    assert max(r[0] for r in go) < 0.75 * 84, go
    assert emu < 0.75 * emu0, (emu, emu0)
    assert s["gc_heap_goal_bytes"] > 2 * (4 << 20)       # about twice the marked heap


def test_assists_do_the_marking_on_one_busy_p(gcpacer, record_property):
    go = run_gcpacer(gcpacer, 4)
    a, b, i = (sum(r[2][k] for r in go) for k in range(3))
    go_share = a / (a + b + i)
    _, s = emulated_cycles(4, 1300)
    mark = (s["gc_mark_assist_ns"] + s["gc_mark_dedicated_ns"] + s["gc_mark_fractional_ns"] +
            s["gc_mark_idle_ns"])
    emu_share = s["gc_mark_assist_ns"] / mark
    record_property("go_assist_share", go_share)
    record_property("gmpcore_assist_share", emu_share)
    assert go_share > 0.8 and emu_share > 0.8, (go_share, emu_share)
    assert s["gc_mark_idle_ns"] == 0 and s["gc_mark_dedicated_ns"] == 0     # one P
