"""Ready-made programs for experiments and benchmarks."""
from __future__ import annotations

import math

from .dist import as_distribution
from .program import Program

__all__ = ["burst", "tree"]


def burst(goroutines: int, work=2000, mark: bool = False) -> Program:
    """main spawns `goroutines` workers in a loop, each computes `work` cycles and calls
    wg.Done(); main waits (the classic `for i := range n { go f(i) }; wg.Wait()`)."""
    n = _positive("goroutines", goroutines)
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, n).go("worker", times=n).wg_wait(wg)
    w = prog.func("worker")
    w.compute(as_distribution(work))
    if mark:
        w.mark("worker")
    w.wg_done(wg)
    return prog


def tree(goroutines: int, work=2000, fanout: int = 16) -> Program:
    """A fan-out tree: every inner goroutine spawns `fanout` children; leaves compute `work`.
    The number of leaves is the smallest `top * fanout**(levels-1)` >= goroutines, so a few
    more goroutines than asked may run (Result.summary['goroutines_created'] is exact)."""
    n = _positive("goroutines", goroutines)
    fanout = _positive("fanout", fanout)
    if fanout < 2:
        raise ValueError(f"fanout must be >= 2, got {fanout}")
    levels = max(1, math.ceil(math.log(n, fanout) - 1e-9))
    below = fanout ** (levels - 1)
    top = math.ceil(n / below)
    leaves = top * below
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, leaves).go("level0" if levels > 1 else "leaf", times=top).wg_wait(wg)
    for k in range(levels - 1):
        f = prog.func(f"level{k}")
        f.go(f"level{k + 1}" if k < levels - 2 else "leaf", times=fanout)
    leaf = prog.func("leaf")
    leaf.compute(as_distribution(work)).wg_done(wg)
    return prog


def _positive(name, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be an int, got {type(v).__name__}")
    if not 1 <= v <= 2**31 - 1:
        raise ValueError(f"{name} must be between 1 and {2**31 - 1}, got {v}")
    return v
