"""What a new user meets: the package namespace, clear errors for odd inputs (numpy scalars,
unhashable values, foreign Distribution subclasses, $GMPCORE_MEMORY_LIMIT), and config files."""
import os
from dataclasses import dataclass

import numpy as np
import pytest

import gmpcore as gc
from gmpcore import workloads


def test_submodules_are_attributes_after_a_plain_import():
    import subprocess
    import sys
    code = ("import gmpcore, sys; "
            "assert 'gmpcore.plot' not in sys.modules; "
            "print(gmpcore.plot.__name__, gmpcore.scenarios.__name__, gmpcore.export.__name__, "
            "gmpcore.sweeps.summarize.__name__, gmpcore.experiments.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["gmpcore.plot", "gmpcore.scenarios", "gmpcore.export", "summarize",
                   "gmpcore.experiments"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gc.nope


def test_tab_completion_lists_the_public_api_only():
    names = dir(gc)
    for public in ("run", "Program", "sweep", "sweeps", "plot", "scenarios", "export",
                   "KernelError", "load_config"):
        assert public in names
    for internal in ("runner", "program", "configio", "guard", "_engine", "result", "cli"):
        assert internal not in names
    assert callable(gc.sweep) and gc.sweeps.sweep is gc.sweep


def test_numpy_scalars_are_accepted_in_every_config_field():
    m = gc.Machine(procs=np.int64(4), clock_ghz=np.float32(2.5), cores=np.int32(4),
                   cache=np.bool_(True), sysmon=np.bool_(False), time_slice_ns=np.int64(10**7),
                   gc_period_ns=np.float64(0), gc_heap_goal_bytes=np.uint64(0),
                   layout=np.str_("padded"))
    assert (m.procs, m.clock_ghz, m.cache, m.sysmon, m.layout) == (4, 2.5, True, False, "padded")
    assert type(m.procs) is int and type(m.time_slice_ns) is int
    c = gc.CostModel(lock=np.int16(50), futex_wake=np.uint32(3000))
    assert (c.lock, c.futex_wake) == (50, 3000)
    s = gc.Strategy(steal_amount=np.int64(3), spin_limit=np.float32(0.5), steal=np.bool_(True),
                    steal_passes=np.int8(2))
    assert (s.steal_amount, s.spin_limit, s.steal_passes) == (3, 0.5, 2)
    res = gc.run(workloads.burst(200, np.int64(500)), procs=np.int64(2), machine=m, costs=c,
                 strategy=s, seed=np.uint64(3))
    assert res.status == "ok"


@pytest.mark.parametrize("make,exc,msg", [
    (lambda: gc.Machine(layout=[]), ValueError, r"Machine\.layout must be one of"),
    (lambda: gc.Strategy(victim=[]), ValueError, r"Strategy\.victim must be one of"),
    (lambda: gc.Strategy(local_order={}), ValueError, r"Strategy\.local_order"),
    (lambda: gc.Machine(cache=1), TypeError, r"Machine\.cache must be a bool"),
    (lambda: gc.Machine(time_slice_ns=float("inf")), ValueError, r"Machine\.time_slice_ns"),
    (lambda: gc.Strategy(spin_limit=float("nan")), ValueError, r"Strategy\.spin_limit"),
])
def test_odd_config_values_get_a_clear_error(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


def test_a_distribution_subclass_of_an_unknown_kind_is_refused_by_name():
    @dataclass(frozen=True)
    class Pareto(gc.Distribution):
        kind = "pareto"

        def params(self):
            return (1.0, 2.0)

        def mean(self):
            return 2.0
    with pytest.raises(TypeError, match=r"Pareto has kind 'pareto'.*Const, Exponential"):
        gc.Program().func("main").compute(Pareto())

    @dataclass(frozen=True)
    class Slower(gc.Exponential):        # a subclass of a built-in kind is fine
        pass
    p = gc.Program()
    p.func("main").compute(Slower(100))
    assert gc.run(p).status == "ok"


@pytest.mark.parametrize("value,ok", [("inf", True), ("8e9", True), ("lots", False),
                                      ("-1", False), ("nan", False)])
def test_memory_limit_environment_variable(monkeypatch, value, ok):
    monkeypatch.setenv("GMPCORE_MEMORY_LIMIT", value)
    if ok:
        assert gc.run(workloads.burst(10, 10)).status == "ok"
    else:
        with pytest.raises(ValueError, match="GMPCORE_MEMORY_LIMIT must be a number of bytes"):
            gc.run(workloads.burst(10, 10))
