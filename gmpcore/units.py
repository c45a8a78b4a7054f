"""Time units: the one place where a duration in ns, µs, ms or s meets the engine's cycles.

The engine counts cycles of the modelled machine.  Configuration (``Machine``) is in
nanoseconds, and DSL durations may be given in cycles (a number or a Distribution, as always)
or in a time unit::

    f.compute(ns=500)                        # 500 ns of user code
    f.sleep(us=Exponential(50))              # time.Sleep, 50 µs on average
    f.with_timeout(ms=1)                     # context.WithTimeout(ctx, time.Millisecond)

A duration in a time unit stays in nanoseconds until the program is compiled for a machine;
then ``Machine.cycles(ns)`` -- which calls :func:`ns_to_cycles` with the machine's clock --
turns it (each parameter of its distribution) into cycles.  Nothing else converts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["NS", "US", "MS", "S", "UNITS", "ns_to_cycles", "cycles_to_ns", "to_ns", "Duration",
           "duration"]

#: nanoseconds per unit
NS = 1.0
US = 1e3
MS = 1e6
S = 1e9
UNITS = {"ns": NS, "us": US, "ms": MS, "s": S}


def ns_to_cycles(ns, clock_ghz: float) -> int:
    """Nanoseconds as a whole number of cycles of a `clock_ghz` clock (rounded to nearest)."""
    return int(round(ns * clock_ghz))


def cycles_to_ns(cycles, clock_ghz: float) -> float:
    """Cycles of a `clock_ghz` clock in nanoseconds."""
    return cycles / clock_ghz


def to_ns(value, unit: str) -> float:
    """`value` `unit`s ("ns", "us", "ms", "s") in nanoseconds."""
    if unit not in UNITS:
        raise ValueError(f"unknown time unit {unit!r}; units: {', '.join(UNITS)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"a duration in {unit} must be a finite number, got {value!r}")
    return value * UNITS[unit]


@dataclass(frozen=True)
class Duration:
    """A duration (a number or a Distribution) in nanoseconds, waiting for a machine's clock.
    ``cycles(machine)`` gives the Distribution in cycles (each parameter through
    ``machine.cycles``; a log-normal's sigma is unit-free)."""
    dist: object                  # a gmpcore.dist.Distribution whose parameters are ns
    text: str                     # how the user wrote it, for messages ("us=50")

    def cycles(self, machine):
        from .dist import Const, Exponential, LogNormal, Uniform
        d, c = self.dist, machine.cycles
        if isinstance(d, Const):
            return Const(c(d.cycles))
        if isinstance(d, Exponential):
            return Exponential(c(d.mean_cycles))
        if isinstance(d, Uniform):
            return Uniform(c(d.low), c(d.high))
        if isinstance(d, LogNormal):
            return LogNormal(max(c(d.mean_cycles), 1), d.sigma)
        raise TypeError(f"cannot convert a {type(d).__name__} to cycles")   # pragma: no cover


def duration(what: str, value=None, *, ns=None, us=None, ms=None, s=None):
    """The duration argument of a DSL operation `what`: exactly one of `value` (cycles: a
    number or a Distribution) or ns=, us=, ms=, s= (a number or a Distribution in that unit).
    Returns a Distribution in cycles, or a Duration to convert when the program compiles."""
    from .dist import Const, Exponential, LogNormal, Uniform, as_distribution
    given = {k: v for k, v in (("cycles", value), ("ns", ns), ("us", us), ("ms", ms), ("s", s))
             if v is not None}
    if not given:
        return as_distribution(value)        # (None: the TypeError naming what it takes)
    if len(given) != 1:
        raise TypeError(f"{what} takes one duration: cycles (positional), or ns=, us=, ms= or s="
                        f"{'' if not given else f'; got {sorted(given)}'}")
    (unit, v), = given.items()
    if unit == "cycles":
        return as_distribution(v)
    f = UNITS[unit]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        d = Const(to_ns(v, unit))
    else:
        d = as_distribution(v)
        if isinstance(d, Const):
            d = Const(d.cycles * f)
        elif isinstance(d, Exponential):
            d = Exponential(d.mean_cycles * f)
        elif isinstance(d, Uniform):
            d = Uniform(d.low * f, d.high * f)
        elif isinstance(d, LogNormal):
            d = LogNormal(d.mean_cycles * f, d.sigma)
        else:
            raise TypeError(f"{what}: cannot scale a {type(d).__name__} to {unit}")
    return Duration(d, f"{unit}={v!r}")
