"""What several test files share: units, the checked run, the blocked-goroutine rows and the
burst workload.  (The Go-oracle harness is tests/go_oracle.py.)"""
from __future__ import annotations

import gmpcore as gc
from gmpcore import workloads

US = 3_000                 # cycles per microsecond at the default 3 GHz clock
MS = 3_000_000             # cycles per millisecond


def run(prog, procs=None, **kw):
    """gmpcore.run with the engine's invariants checked after every step (check_every=1).
    procs defaults to 4, unless a machine= gives it."""
    kw.setdefault("check_every", 1)
    if procs is None and "machine" not in kw:
        procs = 4
    return gc.run(prog, procs=procs, **kw)


def run_unguarded(prog, procs=None, **kw):
    """run() for programs with marks inside `for range ch`, which the memory guard refuses
    with record=True (test_blocking.py::test_memory_guard_accepts_marks_in_range)."""
    return run(prog, procs, memory_limit=False, **kw)


def blocked_rows(res, columns=("function", "wait_reason", "waiting_on")):
    """{goid: (function, wait_reason, waiting_on)} of the goroutines blocked at the end of the
    run (Result.blocked; `columns` picks others)."""
    b = res.blocked
    return {int(g): tuple(row) for g, *row in zip(b["goid"], *(b[c] for c in columns))}


def burst(n=400, work=20_000, gosched=False):
    """workloads.burst with exponentially distributed work (mean `work` cycles).  gosched:
    each worker yields once (runtime.Gosched) and computes 200 cycles more, which puts every
    worker through the global queue once."""
    if not gosched:
        return workloads.burst(n, gc.Exponential(work))
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    prog.func("main").wg_add(wg, n).go("worker", times=n).wg_wait(wg)
    w = prog.func("worker")
    w.compute(gc.Exponential(work)).gosched().compute(200).wg_done(wg)
    return prog
