"""gmpcore: a cycle-level, native-accelerated emulator of the Go runtime's GMP scheduler.

    import gmpcore
    prog = gmpcore.Program()
    ...
    res = gmpcore.run(prog, procs=16, strategy="go", seed=1)
    res.summary, res.latency.percentile(99), res.start_order
"""
from ._engine import G_DTYPE, M_DTYPE, P_DTYPE
from .configio import load_config, save_config
from .config import STRATEGIES, STRATEGY_DOCS, CostModel, Machine, Strategy, get_strategy
from .dist import Const, Distribution, Exponential, LogNormal, Uniform
from .program import Function, Program, WaitGroup
from .result import LatencyHistogram, Result
from .kernels import Kernel, KernelError, kernel
from .runner import InternalError, MemoryLimitError, ProgramError, run
from . import experiments, workloads  # noqa: F401  (submodules users reach as attributes)
from .sweep import RunSpec, load_store, sweep  # noqa: E402  (gmpcore.sweep is the function)

#: the named strategy presets (name -> Strategy); STRATEGY_DOCS has each one's source
strategies = STRATEGIES

__version__ = "0.1.0"

__all__ = [
    "Program", "Function", "WaitGroup", "run", "Result", "LatencyHistogram",
    "Machine", "CostModel", "Strategy", "STRATEGIES", "get_strategy",
    "Distribution", "Const", "Exponential", "Uniform", "LogNormal",
    "ProgramError", "InternalError", "G_DTYPE", "P_DTYPE", "M_DTYPE", "__version__",
    "sweep", "RunSpec", "load_store",
    "kernel", "Kernel", "KernelError", "strategies", "STRATEGY_DOCS", "MemoryLimitError", "save_config", "load_config",
]


def __getattr__(name):
    # subpackages loaded on first use (gmpcore.replay pulls in pandas only when asked)
    if name == "replay":
        import importlib
        return importlib.import_module(".replay", __name__)
    raise AttributeError(f"module 'gmpcore' has no attribute {name!r}")
