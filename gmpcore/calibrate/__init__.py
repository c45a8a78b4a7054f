"""Calibration: tie gmpcore's costs to the machine it runs on (docs/calibration.md).

    cal = gmpcore.calibrate("calib.toml")       # Go microbenchmarks -> CostModel + Machine
    cal = gmpcore.load_calibration("calib.toml")
    gmpcore.run(prog, procs=2, costs=cal.costs, machine=cal.machine)
    gmpcore.calibrate.go_workloads(...)          # the multi-P oracle: real Go wall times and
    gmpcore.calibrate.predicted_vs_real(cal)     # /sched/latencies next to gmpcore's

`gmpcore.calibrate` is this package and is also callable: gmpcore.calibrate(...) is
gmpcore.calibrate.calibrate(...).
"""
from __future__ import annotations

import sys
import types

from ._go import GoError
from .core import (BENCHMARKS, MEASURED_FIELDS, Calibration, CalibrationWarning, calibrate,
                   load_calibration, machine_info, refit)
from .workloads import WORKLOADS, go_workloads, predicted_vs_real, selfcheck, twin

__all__ = ["calibrate", "load_calibration", "refit", "Calibration", "CalibrationWarning", "GoError",
           "BENCHMARKS", "MEASURED_FIELDS", "machine_info", "go_workloads", "twin",
           "predicted_vs_real", "selfcheck", "WORKLOADS"]


class _CallablePackage(types.ModuleType):
    """gmpcore.calibrate(...) runs the calibration; gmpcore.calibrate.X is the package."""

    def __call__(self, *args, **kwargs):
        return calibrate(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
