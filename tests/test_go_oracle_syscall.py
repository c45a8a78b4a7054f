"""Real Go agrees on blocking system calls: sysmon's retake, exitsyscall's fast path, its slow
paths (an idle P, or exitsyscallNoP and the global queue).

Same protocol as tests/test_go_oracle_blocking.py (read its docstring), through the shared
harness tests/go_oracle.py: each program under tests/go/cmd/<name>/main.go is built once
per session and run several times with GOMAXPROCS=1 GOGC=off; the same program is written with
gmpcore's `Function.syscall()`; for every distinct order Go produces, some start_schedtick in
0..60 must make gmpcore's marks equal Go's exactly.

The Go programs make real blocking system calls that go through syscall.Syscall, hence
runtime entersyscall/exitsyscall (not vDSO calls): nanosleep(2) (syscall.Nanosleep) for the
long ones, a one-byte write(2) to /dev/null for the short ones.  Their busy loops spin on
time.Since (vDSO clock_gettime, no system call), so a busy loop of T us lasts T us of wall
time, as `compute(T * US)` lasts T us in gmpcore.  The programs print the time of every mark
("#<label>_us T", microseconds from main's start), and a run is kept only if the machine did
not delay the process enough to change what the runtime did (go_oracle.run_go): on a loaded
machine a retake, a new thread or a wake-up can take milliseconds, and a call may then return
on the other side of a busy loop's end, or of another call's return, than in gmpcore.

Cases (the Go semantics each one exercises):

* syscallretake  -- main starts N workers then blocks 10-20 ms in nanosleep: the P stays with
                    main's M (Go 1.26: no _Psyscall) until sysmon, having seen the same
                    syscalltick on two ticks 20 us apart, retakes it because its run queue has
                    work; handoffp starts a new M on it, which runs the workers (runnext first,
                    then the ring, then the global queue after a ring overflow).  When the call
                    returns, exitsyscall finds the P idle and takes it (workers done), or held
                    by the M running a busy worker: exitsyscallNoP puts main on the global queue
                    tail and its M stops, so main runs at the next schedtick % 61 == 0 pick, or
                    when the local queue is empty, or behind the workers that overflowed the
                    ring onto the global queue;
* syscallfast    -- Gosched round-robin with a write(2) to /dev/null between two marks of every
                    iteration: ~1 us in the kernel, never seen twice by sysmon, so exitsyscall
                    always takes the fast path and the order equals the order without the calls;
* syscallstagger -- workers each blocking in nanosleep for a different time: each one's P is
                    retaken and handed to a new M for the next worker, the last one's too (no M
                    spins and no P is idle); a call that returns while the P is idle takes it
                    (exitsyscallTryGetP -> pidleget), one that returns while another worker
                    busy-loops on the P goes to the global queue tail (exitsyscallNoP) and runs
                    when that worker is done, in the order the calls returned.  A last case
                    needs sysmon's deep sleep while every P is idle: the call returning to the
                    idle P wakes sysmon and resets its tick, so worker 2 is not preempted.

Not covered: exitsyscallTryGetP taking the old P back from an M that is itself in a system
call -- with one P, sysmon retakes that P within a tick or two (nobody spins and no P is
idle), so a Go program hits that window only by chance.
"""
from __future__ import annotations

from collections import Counter

import pytest

import gmpcore as gc
import go_oracle as oracle
from go_oracle import build_for_session, check_against_go, emulate, fit, marks, run_go
from helpers import MS, US

pytestmark = pytest.mark.go

PROGRAMS = ("syscallretake", "syscallfast", "syscallstagger")
MARGIN_US = 600                      # how far a syscall return must be from a busy-loop edge
WRITE_DEVNULL = 1 * US               # a one-byte write(2) to /dev/null, kernel entry included
TIME_SLICE_US = 10_000               # forcePreemptNS


@pytest.fixture(scope="session")
def go_syscall_binaries(go_toolchain, tmp_path_factory):
    return build_for_session(go_toolchain, tmp_path_factory, PROGRAMS, "go-oracle-syscall")


def times_of(meta, prefix):
    """{label: us} for the marks whose label starts with prefix, from the "#<label>_us" lines."""
    return {k[:-3]: v for k, v in meta.items() if k.endswith("_us") and k.startswith(prefix)}


def far_from(t, edges, margin=MARGIN_US):
    return all(abs(t - e) >= margin for e in edges)


# -- 1. a long system call while the P has queued work: sysmon retakes it -------------------------
def syscallretake_program(n, work_us, syscall_us):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("worker", times=n)
    main.mark("b")
    main.syscall(syscall_us * US)
    main.mark("a")
    main.wg_wait(wg)
    w = prog.func("worker")
    w.mark("s")
    if work_us:
        w.compute(work_us * US)
    w.mark("e")
    w.wg_done(wg)
    return prog


def syscallretake_strings(res):
    return [label if label in "ab" else f"{label}{si}" for label, si, _, _ in marks(res)]


def syscallretake_valid(work_us, syscall_us, path):
    def valid(meta):
        t = times_of(meta, "")               # in the order of the marks
        labels = list(t)
        # the call returned at b + syscall_us (give or take the ~60 us of timer slack) and main's
        # thread got a CPU at most qwait later
        lo = t["b"] + syscall_us
        hi = lo + meta["qwait"]
        ends = [v for k, v in t.items() if k[0] == "e"]
        if any(t["e" + k[1:]] - v > TIME_SLICE_US - MARGIN_US
               for k, v in t.items() if k[0] == "s"):
            return False                     # a busy loop stalled long enough to be preempted
        if path == "idle":                   # the workers were all done
            return lo > max(ends) + MARGIN_US
        # main ran well after its call returned, which was inside a busy loop, far from its
        # edges if the loops are long (with short ones, main only has to join the global queue
        # before the pick that takes it)
        return (hi < t[labels[labels.index("a") - 1]] - MARGIN_US
                and (work_us < 4 * MARGIN_US
                     or all(e < lo - MARGIN_US or e > hi + MARGIN_US for e in ends)))
    return valid


@pytest.mark.parametrize("n,work_us,syscall_us,path", [
    (5, 0, 20_000, "idle"),        # workers done long before the call returns: take the idle P
    (300, 0, 20_000, "idle"),      # ... after a ring overflow: 129 workers on the global queue
    (3, 4_000, 30_000, "idle"),    # busy workers, still done in time
    (5, 4_000, 10_000, "nop"),     # returns during worker 1's busy loop: exitsyscallNoP, and
                                   # main runs when the local queue is empty
    (80, 500, 10_000, "nop"),      # ... among 80 busy workers: the next schedtick % 61 pick
    (300, 200, 10_000, "nop"),     # ... behind the 129 workers of the ring overflow
])
def test_syscall_retake(go_syscall_binaries, record_property, n, work_us, syscall_us, path):
    prog = syscallretake_program(n, work_us, syscall_us)
    res = emulate(prog, 0)
    s = res.summary
    assert (s["syscalls"], s["syscall_retakes"], s["syscall_fast"]) == (1, 1, 0)
    assert s["syscall_nop" if path == "nop" else "syscall_reacquire"] == 1
    fits = check_against_go(f"syscallretake N={n} work={work_us}us syscall={syscall_us}us",
                            go_syscall_binaries["syscallretake"], [n, work_us, syscall_us],
                            prog, syscallretake_strings, record_property,
                            valid=syscallretake_valid(work_us, syscall_us, path))
    for f in fits:
        order = list(f.go_order)
        assert len(order) == 2 * n + 2
        # main records "b" before any worker runs: the workers ran because the P was retaken
        assert order[0] == "b" and order[1] == f"s{n - 1}"     # runnext first
        if path == "idle":
            assert order[-1] == "a"
        else:
            assert order.index("a") > order.index("e2")


# -- 2. short system calls: always the fast path --------------------------------------------------
def syscallfast_program(n, k, with_syscall):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n)
    main.go("looper", times=n)
    main.wg_wait(wg)
    lp = prog.func("looper")
    with lp.loop(k):
        lp.mark("a")
        if with_syscall:
            lp.syscall(WRITE_DEVNULL)
        lp.mark("b")
        lp.gosched()
    lp.wg_done(wg)
    return prog


def syscallfast_strings(res):
    return [f"{label}{si}.{it}" for label, si, it, _ in marks(res)]


@pytest.mark.parametrize("n,k", [(3, 3), (10, 5), (100, 4)])
def test_short_syscalls_fast_path(go_syscall_binaries, record_property, n, k):
    prog, plain_prog = syscallfast_program(n, k, True), syscallfast_program(n, k, False)
    res = emulate(prog, 0)
    assert res.summary["syscall_fast"] == res.summary["syscalls"] == n * k
    # the system calls change nothing in gmpcore ...
    for st in (0, 4, 60):
        assert (syscallfast_strings(emulate(prog, st))
                == syscallfast_strings(emulate(plain_prog, st)))
    binary = go_syscall_binaries["syscallfast"]

    def valid(meta):
        # no retake: no call lasted a sysmon tick (20 us; a loaded machine can stall a 1 us
        # write for longer, and the P then goes to an idle thread, not always a new one) and
        # no thread was started; no goroutine held the P for 10 ms
        return (meta["max_syscall_us"] < 15 and meta["new_threads"] == 0
                and meta["elapsed_us"] < TIME_SLICE_US - MARGIN_US)

    fits = check_against_go(f"syscallfast N={n} K={k} write(/dev/null)", binary, [n, k, 1],
                            prog, syscallfast_strings, record_property, valid=valid)
    # ... nor in Go: each of its orders is one that gmpcore gives without the calls, and so are
    # the orders of the same Go program run without them
    go_orders = Counter({f.go_order: f.times_seen for f in fits})
    oracle.assert_fits(f"syscallfast N={n} K={k} write(/dev/null) vs no calls",
                       fit(plain_prog, syscallfast_strings, go_orders))
    check_against_go(f"syscallfast N={n} K={k} no syscall", binary, [n, k, 0], plain_prog,
                     syscallfast_strings, record_property, valid=valid)
    for f in fits:
        assert len(f.go_order) == 2 * n * k


# -- 3. workers blocking in system calls of different lengths -------------------------------------
def syscallstagger_program(work_us, durations_ms):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, len(durations_ms))
    for g, d in enumerate(durations_ms):
        w = prog.func(f"worker{g}")
        w.mark(f"s{g}")
        if d:
            w.syscall(d * MS)
        w.mark(f"e{g}")
        if work_us:
            w.compute(work_us * US)
        w.mark(f"f{g}")
        w.wg_done(wg)
        main.go(f"worker{g}")
    main.wg_wait(wg)
    return prog


def syscallstagger_strings(res):
    return res.marks["label"].tolist()


def syscallstagger_valid(prog, work_us, durations_ms):
    """Keep a Go run only if it went through the same timeline as gmpcore's.  Worker g's call
    returned at r<g> = s<g> + D_g, and its thread got a CPU back at most "qwait<g>" later (the
    time it spent on a run queue from the call to the end: a loaded machine can delay a
    retake, a new thread or a wake-up by milliseconds).  That interval must lie on the same
    side of every other worker's start, busy-loop end and return interval as in gmpcore, at
    least MARGIN_US away; a call that got the idle P at once in gmpcore got it within 1 ms of
    its thread running in Go; and no busy loop lasted much longer than it should (its thread
    was not stalled so long that sysmon preempted it)."""
    emu = emulate(prog, 0).marks
    emu_t = dict(zip(emu["label"].tolist(), (emu["time_ns"] / 1000).tolist()))
    n = len(durations_ms)
    edges = [f"s{g}" for g in range(n)] + ([f"f{g}" for g in range(n)] if work_us else [])
    callers = [g for g, d in enumerate(durations_ms) if d]
    for g in callers:
        emu_t[f"r{g}"] = emu_t[f"s{g}"] + 1000 * durations_ms[g]

    def valid(meta):
        t = times_of(meta, "")
        span = {x: (t[x], t[x]) for x in edges}
        for g in callers:
            lo = t[f"s{g}"] + 1000 * durations_ms[g]
            span[f"r{g}"] = (lo, lo + meta[f"qwait{g}"])
        for g in callers:
            lo, hi = span[f"r{g}"]
            for x in edges + [f"r{h}" for h in callers]:
                if x[1:] == str(g):
                    continue
                if emu_t[f"r{g}"] > emu_t[x]:
                    if lo - span[x][1] < MARGIN_US:
                        return False
                elif span[x][0] - hi < MARGIN_US:
                    return False
            if emu_t[f"e{g}"] - emu_t[f"r{g}"] < 100 and t[f"e{g}"] - hi > 1000:
                return False
        return all(t[f"f{g}"] - t[f"e{g}"] < work_us + 1000 for g in range(n))
    return valid


@pytest.mark.parametrize("work_us,durations,nop", [
    (0, [30, 15, 45, 60], 0),       # every call returns to an idle P: wake order = durations
    (0, [15, 10, 20], 0),
    (9_000, [8, 0, 5], 2),          # 2 then 0 return while 1 (no call) busy-loops: the global
])                                  # queue, first in first out
def test_syscall_stagger(go_syscall_binaries, record_property, work_us, durations, nop):
    prog = syscallstagger_program(work_us, durations)
    s = emulate(prog, 0).summary
    n, calls = len(durations), sum(1 for d in durations if d)
    assert (s["syscalls"], s["syscall_retakes"], s["syscall_nop"], s["syscall_reacquire"]) == \
        (calls, calls, nop, calls - nop)
    assert s["preemptions"] == 0
    fits = check_against_go(f"syscallstagger work={work_us}us D={durations}ms",
                            go_syscall_binaries["syscallstagger"], [work_us, *durations], prog,
                            syscallstagger_strings, record_property,
                            valid=syscallstagger_valid(prog, work_us, durations))
    for f in fits:
        order = list(f.go_order)
        assert order[:n] == [f"s{n - 1}"] + [f"s{g}" for g in range(n - 1)]
        # the calls that returned to an idle P ran at once, the ones that returned during a
        # busy loop waited on the global queue in return order: either way, in return order
        assert [x for x in order if x[0] == "e"] == \
            [f"e{g}" for _, g in sorted((d, g) for g, d in enumerate(durations))]
        if nop:                                 # nobody ran during the busy loops
            assert all(order[i + 1] == "f" + x[1:] for i, x in enumerate(order) if x[0] == "e")


# -- 4. a system call that returns to an idle P wakes sysmon from its deep sleep ------------------
# Workers 2, 0, 1 (in the order they start) block in nanosleep for 23, 27 and 50 ms; worker 2
# then busy-loops 9 ms.  Once the last call's P is retaken, no P runs: sysmon deep-sleeps
# (sysmonwait, since npidle == gomaxprocs) instead of backing off.  At 23 ms worker 2 takes the
# idle P and exitsyscall wakes sysmon with idle = 0, delay = 20 us; its retake preempts worker 2
# at once (the P's schedtick has not changed for 10 ms -- harmless: the global queue is empty and
# worker 2 goes on with a new schedtick), and the next forced preemption could only come 10 ms
# later, after the loop ends at ~32 ms.  Worker 0 returns at ~27 ms to the busy P
# (exitsyscallNoP) and runs after it: e2 f2 e0 f0.
DEEP_SLEEP = (9_000, [27, 50, 23])


def test_sysmon_deep_sleep_go_order(go_syscall_binaries):
    """Go's side of the next test: worker 2 is not preempted during its busy loop."""
    work_us, durations = DEEP_SLEEP
    prog = syscallstagger_program(work_us, durations)
    orders, _ = run_go(go_syscall_binaries["syscallstagger"], [work_us, *durations],
                             valid=syscallstagger_valid(prog, work_us, durations))
    for order in orders:
        assert list(order) == ["s2", "s0", "s1", "e2", "f2", "e0", "f0", "e1", "f1"]


def test_sysmon_deep_sleep(go_syscall_binaries, record_property):
    work_us, durations = DEEP_SLEEP
    prog = syscallstagger_program(work_us, durations)
    check_against_go(f"syscallstagger work={work_us}us D={durations}ms (sysmon deep sleep)",
                     go_syscall_binaries["syscallstagger"], [work_us, *durations], prog,
                     syscallstagger_strings, record_property,
                     valid=syscallstagger_valid(prog, work_us, durations))
