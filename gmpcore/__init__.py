"""gmpcore: a cycle-level, native-accelerated emulator of the Go runtime's GMP scheduler.

    import gmpcore
    prog = gmpcore.Program()
    ...
    res = gmpcore.run(prog, procs=16, strategy="go", seed=1)
    res.summary, res.latency.percentile(99), res.start_order
"""
from ._version import __version__
from ._engine import G_DTYPE, M_DTYPE, P_DTYPE
from .configio import load_config, save_config
from .config import GC, STRATEGIES, STRATEGY_DOCS, CostModel, Machine, Strategy, get_strategy
from .dist import Const, Distribution, Exponential, LogNormal, Uniform
from .program import Function, Program, WaitGroup
from .result import LatencyHistogram, Result
from .kernels import Kernel, KernelError, kernel
from .runner import InternalError, LivelockError, MemoryLimitError, ProgramError, run
from .adapt import GomaxprocsPolicy
from .sweeps import RunSpec, load_store, sweep

#: the named strategy presets (name -> Strategy); STRATEGY_DOCS has each one's source
strategies = STRATEGIES


__all__ = [
    "Program", "Function", "WaitGroup", "run", "Result", "LatencyHistogram",
    "Machine", "CostModel", "Strategy", "STRATEGIES", "get_strategy", "GC",
    "Distribution", "Const", "Exponential", "Uniform", "LogNormal",
    "ProgramError", "InternalError", "LivelockError", "G_DTYPE", "P_DTYPE", "M_DTYPE", "__version__",
    "sweep", "RunSpec", "load_store",
    "kernel", "Kernel", "KernelError", "strategies", "STRATEGY_DOCS", "MemoryLimitError", "save_config", "load_config",
    "calibrate", "load_calibration",
    "GomaxprocsPolicy",
]

#: submodules reached as attributes after a plain `import gmpcore` (gmpcore.plot.latency_cdf,
#: gmpcore.scenarios.per_p_counters(), ...), imported on first use as numpy and scipy do, so
#: `import gmpcore` stays light (plot needs matplotlib, export and sweeps pandas-heavy paths)
_SUBMODULES = ("experiments", "export", "kernels", "plot", "scenarios", "sweeps", "workloads",
               "calibrate", "replay", "adapt")


def __getattr__(name):
    import importlib
    if name == "load_calibration":
        # (gmpcore.calibrate is a callable package; it needs Go only when a calibration runs)
        return importlib.import_module(".calibrate", __name__).load_calibration
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gmpcore' has no attribute {name!r}")


def __dir__():
    # the public names only: internal modules (runner, program, configio, _engine, ...) stay
    # out of tab completion although importing the API binds them as attributes
    return sorted(set(__all__) | set(_SUBMODULES))
