"""Distributions of user work, in cycles.  Sampled in native code from the engine's RNG."""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass

import numpy as np

from . import _engine

__all__ = ["Distribution", "Const", "Exponential", "Uniform", "LogNormal", "as_distribution",
           "parse_distribution"]


def _finite_nonneg(name: str, field: str, v) -> float:
    if isinstance(v, (np.integer, np.floating)):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{name}.{field} must be a number of cycles, got {type(v).__name__}")
    v = float(v)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name}.{field} must be a finite number >= 0, got {v!r}")
    if v > 1e18:
        raise ValueError(f"{name}.{field} must be at most 1e18 cycles, got {v!r}")
    return v


class Distribution(abc.ABC):
    """Base class: a distribution of a number of cycles (rounded to an integer >= 0)."""
    kind: str = ""

    @abc.abstractmethod
    def params(self) -> tuple[float, float]:
        """The two native parameters (see core/rng.pxi sample_dist)."""

    @property
    @abc.abstractmethod
    def mean(self) -> float:
        """The mean number of cycles."""


@dataclass(frozen=True)
class Const(Distribution):
    """Always `cycles`."""
    cycles: float
    kind = "const"

    def __post_init__(self):
        _finite_nonneg("Const", "cycles", self.cycles)

    def params(self):
        return float(self.cycles), 0.0

    @property
    def mean(self):
        return float(self.cycles)


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with the given mean (cycles)."""
    mean_cycles: float
    kind = "exp"

    def __post_init__(self):
        _finite_nonneg("Exponential", "mean_cycles", self.mean_cycles)

    def params(self):
        return float(self.mean_cycles), 0.0

    @property
    def mean(self):
        return float(self.mean_cycles)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high] cycles."""
    low: float
    high: float
    kind = "uniform"

    def __post_init__(self):
        lo = _finite_nonneg("Uniform", "low", self.low)
        hi = _finite_nonneg("Uniform", "high", self.high)
        if hi < lo:
            raise ValueError(f"Uniform.high ({hi}) must be >= Uniform.low ({lo})")

    def params(self):
        return float(self.low), float(self.high)

    @property
    def mean(self):
        return (self.low + self.high) / 2


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal with the given mean (cycles) and sigma of the underlying normal."""
    mean_cycles: float
    sigma: float = 1.0
    kind = "lognormal"

    def __post_init__(self):
        m = _finite_nonneg("LogNormal", "mean_cycles", self.mean_cycles)
        s = _finite_nonneg("LogNormal", "sigma", self.sigma)
        if m <= 0:
            raise ValueError("LogNormal.mean_cycles must be > 0")
        if s > 10:
            raise ValueError(f"LogNormal.sigma must be <= 10, got {s}")

    def params(self):
        mu = math.log(self.mean_cycles) - self.sigma ** 2 / 2
        return mu, float(self.sigma)

    @property
    def mean(self):
        return float(self.mean_cycles)


def as_distribution(work) -> Distribution:
    """An int/float number of cycles becomes Const; a Distribution passes through.  The engine
    samples only the built-in kinds, so a subclass must keep one of theirs."""
    if isinstance(work, Distribution):
        if getattr(work, "kind", None) not in _engine.DISTS:
            raise TypeError(f"{type(work).__name__} has kind {getattr(work, 'kind', None)!r}, "
                            f"which the engine cannot sample: a work distribution must be "
                            f"Const, Exponential, Uniform or LogNormal (kinds "
                            f"{', '.join(sorted(_engine.DISTS))}), or a subclass of one")
        return work
    if isinstance(work, bool):
        raise TypeError("work must be a number of cycles or a Distribution, got bool")
    if isinstance(work, (np.integer, np.floating)):
        work = work.item()
    if isinstance(work, (int, float)):
        return Const(work)
    raise TypeError(f"work must be a number of cycles or a Distribution, got {type(work).__name__}")


def parse_distribution(text: str) -> Distribution:
    """Parse the CLI form: '2000', 'const:2000', 'exp:2000', 'uniform:100:5000',
    'lognormal:2000:1.0'."""
    parts = str(text).split(":")
    try:
        if len(parts) == 1:
            return Const(float(parts[0]))
        kind, args = parts[0].lower(), [float(x) for x in parts[1:]]
    except ValueError:
        raise ValueError(f"cannot parse work distribution {text!r}: numbers expected, e.g. "
                         f"'exp:2000' or 'uniform:100:5000'") from None
    table = {"const": (Const, 1), "exp": (Exponential, 1), "uniform": (Uniform, 2),
             "lognormal": (LogNormal, 2)}
    if kind not in table:
        raise ValueError(f"unknown work distribution {kind!r} in {text!r}; "
                         f"expected one of {sorted(table)}")
    cls, n = table[kind]
    if len(args) != n:
        raise ValueError(f"{kind} takes {n} number(s), got {len(args)} in {text!r}")
    return cls(*args)


KIND_CODES = _engine.DISTS
