"""User kernels that raise stop the run with KernelError (issue 12 item 3)."""
import warnings

import pytest

import gmpcore as gc
from gmpcore import workloads

pytest.importorskip("numba")


@gc.kernel("steal_amount")
def raising_amount(victim_len, thief, victim, ring_cap):
    if victim_len > 3:
        raise ValueError("too many")
    return victim_len - victim_len // 2


@gc.kernel("choose_victim")
def dividing_victim(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    if i >= nprocs:
        return -1
    return (r % nprocs) // (i - i)            # ZeroDivisionError on every call


@gc.kernel("place_ready")
def indexing_ready(p, goid, kind, runq_len, runnext_busy):
    return p // (runq_len - runq_len)


def _run(strat):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return gc.run(workloads.burst(3000, 2000), procs=4, strategy=strat, seed=1)


@pytest.mark.parametrize("field,k,name", [
    ("steal_amount", raising_amount, "raising_amount"),
    ("victim", dividing_victim, "dividing_victim"),
    ("ready", indexing_ready, "indexing_ready"),
])
def test_a_raising_kernel_stops_the_run_with_kernel_error(field, k, name, capfd):
    strat = gc.Strategy(name="bad", **{field: k})
    with pytest.raises(gc.KernelError, match=rf"{name}.*{k.hook}.*raised an exception"):
        _run(strat)
    assert "Exception ignored" not in capfd.readouterr().err


def test_the_body_still_raises_in_python():
    with pytest.raises(ValueError, match="too many"):
        raising_amount(9, 0, 1, 256)
    with pytest.raises(ZeroDivisionError):
        dividing_victim(0, 4, 0, 1, 7, None, 0)


def test_a_kernel_that_does_not_raise_is_unchanged_by_the_wrapper():
    @gc.kernel("steal_amount")
    def half(victim_len, thief, victim, ring_cap):
        return victim_len - victim_len // 2
    a = gc.run(workloads.burst(3000, 2000), procs=4, strategy="go", seed=3)
    b = gc.run(workloads.burst(3000, 2000), procs=4,
               strategy=gc.Strategy(name="h", steal_amount=half), seed=3)
    assert a.summary["steals"] == b.summary["steals"] > 0
    assert a.summary["emulated_cycles"] == b.summary["emulated_cycles"]


def test_a_numba_cfunc_is_rewrapped_too():
    from numba import cfunc, types
    i32 = types.int32

    def boom(a, b, c, d):
        return a // 0
    k = gc.Kernel("steal_amount", cfunc(i32(i32, i32, i32, i32))(boom))
    with pytest.raises(gc.KernelError, match="raised an exception"):
        _run(gc.Strategy(name="c", steal_amount=k))
