"""An adaptive GOMAXPROCS controller: a user policy the engine calls every N ms of emulated time.

    rule = gmpcore.GomaxprocsPolicy(gmpcore.adapt.article_rule, every_ms=10, max_procs=8)
    res = gmpcore.run(prog, procs=2, gomaxprocs_policy=rule)
    res.summary["gomaxprocs"], res.summary["gomaxprocs_policy_changes"]

The policy is a Numba kernel for the hook "gomaxprocs" (gmpcore.kernel, the same conventions
as the stealing hooks: compiled with error_model="python", an exception or an error code stops
the run with gmpcore.KernelError).  It receives one record `m` of METRICS_DTYPE (the engine's
struct AdaptMetrics, filled before each call) and returns the GOMAXPROCS to run with: 0 keeps
the current one; 1..m.max_procs asks for a change, which the engine makes as
runtime.GOMAXPROCS does -- stop the world (after any GC cycle in progress has ended), procresize,
start the world -- from a runtime thread without a P, as sysmon runs.  Anything else (a
negative code, more than max_procs) stops the run with KernelError.

The fields of `m` (times in ns; *_window_* cover the time since the previous call, whose
length is m.period_ns):

    now_ns, period_ns, gomaxprocs, max_procs
    runnable            Gs in _Grunnable (/sched/goroutines/runnable:goroutines)
    runq_global, runq_local    the global queue; the Ps' rings and runnext slots
    goroutines          live user goroutines;  npidle, nmspinning, nmidle, threads
    gc_cycles, gc_pause_last_ns, gc_pause_total_ns, gc_pause_window_ns
                        GC stop-the-world time as MemStats has it: a cycle's pauses (each
                        from the stop request to the restart) summed, counted when it ends
    m_idle_window_ns, m_window_ns      M-time parked idle / M-time of the scheduler's threads
    p_unparks_window, p_unpark_window_ns   Ps acquired after an idle spell; their spells
    g_runnable_window_ns, g_wait_p_window_ns   runnable G-time; its part with no idle P
    changes             GOMAXPROCS changes this controller made so far

The kernel is plain Python too: call it on gmpcore.adapt.metrics(...) to unit-test it.

article_rule is the seed article's rule (its section 4.4, "dynamic P count tuning"), restated:
every period, if the last GC's stop-the-world pause was longer than 5 ms and more than 1000
goroutines are runnable, raise GOMAXPROCS by one (one step at a time, never down, so that it
does not oscillate).  The article reads the pause as ``MemStats.PauseNs[0]`` -- the first slot
of a circular buffer, not the latest pause (that is ``PauseNs[(NumGC+255)%256]``) -- and the
runnable count as ``sched.nready``, which no Go runtime has; here they are the last GC's pause
and the exact runnable count.
"""
from __future__ import annotations

import numpy as np

from . import _engine
from .kernels import Kernel

__all__ = ["GomaxprocsPolicy", "METRICS_DTYPE", "metrics", "article_rule",
           "ARTICLE_PAUSE_NS", "ARTICLE_RUNNABLE"]

#: the record a "gomaxprocs" kernel reads (struct AdaptMetrics of pyx/_types.pxd)
METRICS_DTYPE = _engine.ADAPT_DTYPE

#: the article's thresholds: a GC pause over 5 ms with over 1000 runnable goroutines
ARTICLE_PAUSE_NS = 5_000_000
ARTICLE_RUNNABLE = 1000


def article_rule(m):
    """The seed article's section 4.4 rule: +1 P when the last GC pause exceeded 5 ms and more
    than 1000 goroutines are runnable; never more than max_procs, never down."""
    if (m.gc_pause_last_ns > ARTICLE_PAUSE_NS and m.runnable > ARTICLE_RUNNABLE
            and m.gomaxprocs < m.max_procs):
        return m.gomaxprocs + 1
    return 0


def metrics(**fields) -> np.record:
    """One AdaptMetrics record (zeros but for `fields`), to call a policy from Python."""
    unknown = set(fields) - set(METRICS_DTYPE.names)
    if unknown:
        raise ValueError(f"unknown metrics field(s) {sorted(unknown)}; fields: "
                         f"{', '.join(METRICS_DTYPE.names)}")
    a = np.zeros(1, dtype=METRICS_DTYPE).view(np.recarray)
    for k, v in fields.items():
        a[k] = v
    return a[0]


_COMPILED: dict = {}


class GomaxprocsPolicy:
    """An adaptive GOMAXPROCS controller for gmpcore.run(..., gomaxprocs_policy=...).

    kernel     a Kernel for the "gomaxprocs" hook (@gmpcore.kernel("gomaxprocs")) or a plain
               function of one argument (compiled here)
    every_ms   emulated ms between calls (the first call is one period after start)
    max_procs  the most GOMAXPROCS may become: the run allocates this many Ps (allp) up
               front, as a Go process has its CPU count; 1..1024
    """

    def __init__(self, kernel, every_ms: float = 10.0, *, max_procs: int):
        if isinstance(kernel, Kernel):
            if kernel.hook != "gomaxprocs":
                raise ValueError(f"GomaxprocsPolicy needs a 'gomaxprocs' kernel, got one for "
                                 f"hook {kernel.hook!r}")
        elif callable(kernel):
            key = getattr(kernel, "py_func", kernel)
            if key not in _COMPILED:
                _COMPILED[key] = Kernel("gomaxprocs", kernel)
            kernel = _COMPILED[key]
        else:
            raise TypeError(f"GomaxprocsPolicy takes a kernel or a function, got "
                            f"{type(kernel).__name__}")
        if isinstance(every_ms, bool) or not isinstance(every_ms, (int, float)) \
                or not 0 < every_ms < 1e9:
            raise ValueError(f"every_ms must be a number in (0, 1e9), got {every_ms!r}")
        if isinstance(max_procs, bool) or not isinstance(max_procs, (int, np.integer)) \
                or not 1 <= int(max_procs) <= 1024:
            raise ValueError(f"max_procs must be an int in 1..1024, got {max_procs!r}")
        self.kernel = kernel
        self.every_ms = float(every_ms)
        self.max_procs = int(max_procs)

    def every_cycles(self, machine) -> int:
        return max(1, machine.cycles(self.every_ms * 1e6))

    def __repr__(self):
        return (f"GomaxprocsPolicy({self.kernel.name}, every_ms={self.every_ms:g}, "
                f"max_procs={self.max_procs})")
