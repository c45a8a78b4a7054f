"""Parameter sweeps: many runs over a grid of parameters and seeds, in parallel, resumable.

    import gmpcore
    base = gmpcore.RunSpec(workload="burst", goroutines=100_000, work="exp:2000")
    df = gmpcore.sweep(base, {"procs": [2, 4, 8, 16], "strategy": ["go", "global"]},
                       seeds=3, store="runs.parquet")

`sweep()` returns a tidy pandas DataFrame, one row per run: the point's key, the swept
parameters (flattened, e.g. `machine.layout`), the seed, the status and error, the wall time and
every metric of `Result.summary`, plus cache misses by line class (`misses[sched.lock]`, ...).

Everything that crosses to a worker is plain data: a dict of the run's parameters (strings,
numbers, booleans, nested dicts) and the seed.  The worker builds the program, the Machine, the
CostModel and the Strategy itself (`run_point`), so any `concurrent.futures.Executor` works: the
default local process pool, a Dask cluster's `client.get_executor()`, or your own.  A custom
workload is a module-level function, sent by reference ("package.module:function") and imported
in the worker; a user kernel (gmpcore.kernel) travels the same way and is recompiled there.

See docs/sweeps.md for the full description (grid keys, store format, executors, the TOML
file of `gmpcore sweep`).
"""
from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import difflib
import hashlib
import importlib
import inspect
import itertools
import json
import math
import os
import socket
import sys
import time
import traceback
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = ["RunSpec", "sweep", "run_point", "expand_grid", "load_store", "summarize",
           "sweep_from_config", "SerialExecutor", "NONDETERMINISTIC_COLUMNS", "FAILED"]

#: columns that depend on the machine and its load, not on the model: leave them out when
#: comparing two sweeps (everything else is a pure function of the parameters and the seed)
NONDETERMINISTIC_COLUMNS = ("wall_s", "events_per_s", "worker")
#: the status of a point that raised or whose worker died (other statuses are the engine's:
#: "ok", "deadlock", "max_events", "max_cycles")
FAILED = "failed"

WORKLOADS = ("burst", "tree")
NESTED = ("args", "machine", "costs", "strategy_opts")
# summary entries that the row already holds as parameters or replaces
_SUMMARY_DROP = ("strategy", "procs", "seed", "status", "wall_s")


# --- the description of one run ----------------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One run, as plain data.

    workload       "burst" or "tree" (gmpcore.workloads), "package.module:function", or a
                   module-level function; it is called as f(goroutines=..., work=..., **args)
                   and returns a gmpcore.Program (goroutines/work are left out when None)
    goroutines     goroutines to spawn (workload parameter)
    work           cycles per goroutine: a number, "exp:2000", "uniform:100:5000",
                   "lognormal:2000:1", or a gmpcore Distribution
    args           more keyword arguments of the workload (tree: {"fanout": 16})
    procs          GOMAXPROCS
    strategy       a preset name (gmpcore.STRATEGIES), or a dict of Strategy fields (a custom
                   strategy; give it a distinct "name"), or a gmpcore.Strategy
    strategy_opts  Strategy fields replaced on top of `strategy` (e.g. {"steal_passes": 1})
    machine        Machine fields other than procs (e.g. {"layout": "padded", "cores": 8})
    costs          CostModel fields (e.g. {"futex_wake": 3000})
    max_events     stop a run after this many micro-steps (status "max_events")
    max_cycles     stop a run at this emulated cycle (status "max_cycles")
    seed           the seed when sweep() is given no `seeds`

    A grid key names a field ("procs", "work") or a field inside a nested one
    ("machine.layout", "costs.futex_wake", "strategy_opts.steal_passes", "args.fanout").
    """
    workload: Any = "burst"
    goroutines: int | None = 100_000
    work: Any = "exp:2000"
    args: Mapping = field(default_factory=dict)
    procs: int = 4
    strategy: Any = "go"
    strategy_opts: Mapping = field(default_factory=dict)
    machine: Mapping = field(default_factory=dict)
    costs: Mapping = field(default_factory=dict)
    max_events: int | None = None
    max_cycles: int | None = None
    seed: int = 0

    def to_dict(self) -> dict:
        """The spec as a dict (nested dicts copied)."""
        return {f.name: (dict(getattr(self, f.name)) if f.name in NESTED
                         else getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def coerce(cls, base) -> "RunSpec":
        """A RunSpec from a RunSpec, a dict of its fields (dotted keys allowed) or None."""
        if base is None:
            return cls()
        if isinstance(base, RunSpec):
            return base
        if not isinstance(base, Mapping):
            raise TypeError(f"base must be a gmpcore.RunSpec or a dict of its fields, got "
                            f"{type(base).__name__}")
        spec = cls().to_dict()
        for k, v in base.items():
            _check_key(k, "base")
            if "." in k:
                continue
            spec[k] = dict(v) if k in NESTED else v
            if k in NESTED and not isinstance(v, Mapping):
                raise TypeError(f"base[{k!r}] must be a dict, got {type(v).__name__}")
        for k, v in base.items():
            if "." in k:
                _set(spec, k, v)
        return cls(**spec)

    def with_params(self, params: Mapping) -> "RunSpec":
        """A copy with `params` ({grid key: value}) applied."""
        spec = self.to_dict()
        for k, v in params.items():
            _check_key(k, "grid")
            _set(spec, k, v)
        return RunSpec(**spec)

    def build(self, seed: int | None = None):
        """(program, keyword arguments of gmpcore.run) for this spec: what a worker runs."""
        return _materialise(self.to_dict(), self.seed if seed is None else seed)

    def run(self, seed: int | None = None, **kw):
        """Run this spec in-process and return the gmpcore.Result (record=False unless given)."""
        from .runner import run
        prog, kwargs = self.build(seed)
        kwargs.setdefault("record", False)
        kwargs.update(kw)
        return run(prog, **kwargs)


_FIELDS = tuple(f.name for f in dataclasses.fields(RunSpec))


def _nested_fields(group: str) -> list[str] | None:
    """The valid names inside a nested group (None: anything, checked per workload)."""
    from .config import CostModel, Machine, Strategy
    if group == "machine":
        return [f.name for f in dataclasses.fields(Machine) if f.name != "procs"]
    if group == "costs":
        return [f.name for f in dataclasses.fields(CostModel)]
    if group == "strategy_opts":
        return [f.name for f in dataclasses.fields(Strategy)]
    return None


def _valid_keys() -> list[str]:
    keys = [k for k in _FIELDS if k not in NESTED and k != "seed"]
    for g in NESTED:
        names = _nested_fields(g)
        keys += [f"{g}.{n}" for n in names] if names is not None else [f"{g}.<name>"]
    return keys


def _check_key(key, where: str) -> None:
    if not isinstance(key, str):
        raise TypeError(f"{where} keys must be strings, got {key!r}")
    head, dot, rest = key.partition(".")
    if key == "seed" and where == "grid":
        raise ValueError("grid key 'seed': give the seeds with sweep(..., seeds=[...]) "
                         "(every grid point runs with every seed)")
    if not dot:
        if key in _FIELDS:
            if key in NESTED and where == "grid":
                raise ValueError(f"grid key {key!r} must address one field, e.g. "
                                 f"{_example(key)!r}")
            return
    elif head in NESTED and rest:
        names = _nested_fields(head)
        if names is None:
            if rest.isidentifier():
                return
        elif rest in names:
            return
        if head == "machine" and rest == "procs":
            raise ValueError(f"{where} key 'machine.procs': use 'procs'")
        hint = difflib.get_close_matches(rest, names or [], n=3)
        raise ValueError(f"unknown {where} key {key!r}: {head} has no field {rest!r}"
                         + (f"; did you mean {', '.join(repr(f'{head}.{h}') for h in hint)}?"
                            if hint else f"; its fields: {', '.join(names or [])}"))
    hint = difflib.get_close_matches(key, _valid_keys(), n=3)
    raise ValueError(f"unknown {where} key {key!r}"
                     + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else "")
                     + f" (fields: {', '.join(k for k in _FIELDS if k != 'seed')}; nested "
                       f"fields as 'machine.layout', 'costs.futex_wake', "
                       f"'strategy_opts.steal_passes', 'args.fanout')")


def _example(group):
    return {"machine": "machine.layout", "costs": "costs.futex_wake",
            "strategy_opts": "strategy_opts.steal_passes", "args": "args.fanout"}[group]


def _set(spec: dict, key: str, value) -> None:
    head, dot, rest = key.partition(".")
    if dot:
        spec[head] = {**spec[head], rest: value}
    else:
        spec[head] = dict(value) if head in NESTED else value


def _get(spec: dict, key: str):
    head, dot, rest = key.partition(".")
    if dot:
        return spec[head].get(rest)
    return spec[head]


# --- plain data: canonical forms, references -------------------------------------------------

def _ref(obj) -> str:
    """'module:qualname' of a module-level function (or object)."""
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not mod or not qual or "<" in qual:
        raise TypeError(f"{obj!r} must be a module-level function so that workers can import "
                        f"it (lambdas and nested functions cannot be sent to another process)")
    return f"{mod}:{qual}"


def _import_ref(ref: str):
    mod, _, qual = ref.partition(":")
    if not mod or not qual:
        raise ValueError(f"a reference must look like 'package.module:function', got {ref!r}")
    if mod == "__main__" and "__main__" in sys.modules:
        obj = sys.modules["__main__"]
    else:
        obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def _plain(value, where: str):
    """A parameter value as plain JSON-able data (kernels become references)."""
    try:
        import numpy as np
        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a finite number")
        return value
    kernel_cls = _kernel_cls()
    if kernel_cls is not None and isinstance(value, kernel_cls):
        return {"kernel": value.hook, "ref": _ref(value.py_func)}
    if isinstance(value, Mapping) and set(value) <= {"kernel", "ref"} and "ref" in value:
        return {k: str(v) for k, v in value.items()}
    raise TypeError(f"{where}: {value!r} is not plain data (a str, int, float, bool or None, "
                    f"or a gmpcore kernel)")


def _kernel_cls():
    try:
        from .kernels import Kernel
        return Kernel
    except ImportError:  # pragma: no cover - older gmpcore without kernels
        return None


def _unplain(value):
    """Inverse of _plain for values that are references (done in the worker)."""
    if isinstance(value, Mapping) and "ref" in value:
        obj = _import_ref(value["ref"])
        kernel_cls = _kernel_cls()
        if kernel_cls is not None and "kernel" in value and not isinstance(obj, kernel_cls):
            obj = kernel_cls(value["kernel"], obj)
        return obj
    return value


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _work_text(work) -> str | None:
    """The canonical text of a work distribution ('2000', 'exp:2000', 'uniform:100:5000')."""
    from .dist import Const, Distribution, Exponential, LogNormal, Uniform, parse_distribution
    if work is None:
        return None
    if isinstance(work, bool):
        raise TypeError("work must be a number of cycles, a distribution text or a "
                        "Distribution, got bool")
    if isinstance(work, (int, float)):
        d = Const(work)
    elif isinstance(work, str):
        d = parse_distribution(work)
    elif isinstance(work, Distribution):
        d = work
    else:
        raise TypeError(f"work must be a number of cycles, a distribution text such as "
                        f"'exp:2000', or a Distribution, got {type(work).__name__}")
    if isinstance(d, Const):
        return _num_text(d.cycles)
    if isinstance(d, Exponential):
        return f"exp:{_num_text(d.mean_cycles)}"
    if isinstance(d, Uniform):
        return f"uniform:{_num_text(d.low)}:{_num_text(d.high)}"
    if isinstance(d, LogNormal):
        return f"lognormal:{_num_text(d.mean_cycles)}:{_num_text(d.sigma)}"
    raise TypeError(f"unsupported distribution {d!r}")  # pragma: no cover


def _workload_name(w) -> str:
    if isinstance(w, str):
        if w in WORKLOADS or ":" in w:
            return w
        raise ValueError(f"unknown workload {w!r}: use one of {', '.join(WORKLOADS)}, "
                         f"'package.module:function', or a module-level function")
    if callable(w):
        return _ref(w)
    raise TypeError(f"workload must be a name or a function, got {type(w).__name__}")


def _workload_fn(w):
    from . import workloads
    if callable(w) and not isinstance(w, str):
        return w
    if w in WORKLOADS:
        return getattr(workloads, w)
    fn = _import_ref(w)
    if not callable(fn):
        raise TypeError(f"workload {w!r} is not a function")
    return fn


def _strategy_plain(s) -> str | dict:
    from .config import STRATEGIES, Strategy
    if isinstance(s, str):
        if s not in STRATEGIES:
            raise ValueError(f"unknown strategy {s!r}; presets: {', '.join(sorted(STRATEGIES))} "
                             f"(or give a dict of Strategy fields)")
        return s
    if isinstance(s, Strategy):
        if STRATEGIES.get(s.name) == s:
            return s.name
        default = Strategy()
        d = {"name": s.name}
        for f in dataclasses.fields(Strategy):
            v = getattr(s, f.name)
            if f.name != "name" and v != getattr(default, f.name):
                d[f.name] = _plain(v, f"Strategy.{f.name}")
        return d
    if isinstance(s, Mapping):
        return {str(k): _plain(v, f"strategy[{k!r}]") for k, v in s.items()}
    raise TypeError(f"strategy must be a preset name, a dict of Strategy fields or a "
                    f"gmpcore.Strategy, got {type(s).__name__}")


def _build_strategy(strategy, opts):
    from .config import Strategy, get_strategy
    if isinstance(strategy, Mapping):
        strat = Strategy(**{k: _unplain(v) for k, v in strategy.items()})
    else:
        strat = get_strategy(strategy)
    if opts:
        strat = strat.replace(**{k: _unplain(v) for k, v in opts.items()})
    return strat


def _normnum(x):
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, dict):
        return {k: _normnum(v) for k, v in x.items()}
    return x


def _signature_check(fn, name: str, kwargs: Mapping) -> dict:
    """Check that the workload accepts `kwargs`; return its defaults."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return {}
    params = sig.parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {k: p.default for k, p in params.items() if p.default is not p.empty}
    for k in kwargs:
        if k not in params:
            hint = difflib.get_close_matches(k, list(params), n=2)
            raise ValueError(f"workload {name!r} takes no argument {k!r}"
                             + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else
                                f" (it takes {', '.join(params)})"))
    return {k: p.default for k, p in params.items() if p.default is not p.empty}


# --- a point: normalise and validate once, in the parent ---------------------------------------

@dataclass
class _Point:
    index: int
    seed: int
    spec: dict          # what is sent to the worker (plain data; a workload may be a function)
    canon: dict         # the canonical plain form that is hashed (and stored as `spec`)
    params: dict        # column -> value
    key: str


def _normalise(spec: dict, where: str) -> tuple[dict, dict]:
    """(spec to send, canonical dict): checks every value and builds the configuration once, so
    a bad value fails before anything runs."""
    from .config import CostModel, Machine
    out = dict(spec)
    name = _workload_name(spec["workload"])
    if isinstance(spec["workload"], str):
        out["workload"] = name
    fn = _workload_fn(spec["workload"])
    g = spec["goroutines"]
    if g is not None:
        try:
            import numpy as np
            if isinstance(g, np.integer):
                g = int(g)
        except ImportError:  # pragma: no cover
            pass
        if isinstance(g, bool) or not isinstance(g, int):
            raise TypeError(f"{where}: goroutines must be an int or None, got {g!r}")
    out["goroutines"] = g
    out["work"] = _work_text(spec["work"])
    args = {str(k): _plain(v, f"{where}: args[{k!r}]") for k, v in spec["args"].items()}
    call = dict(args)
    if g is not None:
        call["goroutines"] = g
    if out["work"] is not None:
        call["work"] = out["work"]
    defaults = _signature_check(fn, name, call)
    out["args"] = args
    out["procs"] = _plain(spec["procs"], f"{where}: procs")
    out["strategy"] = _strategy_plain(spec["strategy"])
    out["strategy_opts"] = {str(k): _plain(v, f"{where}: strategy_opts[{k!r}]")
                            for k, v in spec["strategy_opts"].items()}
    out["machine"] = {str(k): _plain(v, f"{where}: machine[{k!r}]")
                      for k, v in spec["machine"].items()}
    out["costs"] = {str(k): _plain(v, f"{where}: costs[{k!r}]") for k, v in spec["costs"].items()}
    for k in ("max_events", "max_cycles"):
        out[k] = _plain(spec[k], f"{where}: {k}")
    if "procs" in out["machine"]:
        raise ValueError(f"{where}: set procs with 'procs', not 'machine.procs'")
    # build the configuration here: a bad value is an error now, not 64 failed points later
    try:
        machine = Machine(procs=out["procs"], **out["machine"])
        costs = CostModel(**out["costs"])
        strat = _build_strategy(out["strategy"], out["strategy_opts"])
        base_strat = _build_strategy(out["strategy"], {})
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: {e}") from None
    for k in ("max_events", "max_cycles"):
        v = out[k]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise ValueError(f"{where}: {k} must be a non-negative int or None, got {v!r}")
    del machine, costs, strat
    dm, dc = Machine(), CostModel()
    canon = {
        "workload": name,
        "goroutines": g,
        "work": out["work"],
        "args": {k: v for k, v in args.items()
                 if not (k in defaults and _plain_eq(v, defaults[k]))},
        "procs": out["procs"],
        "strategy": out["strategy"],
        "strategy_opts": {k: v for k, v in out["strategy_opts"].items()
                          if not _plain_eq(v, getattr(base_strat, k))},
        "machine": {k: v for k, v in out["machine"].items()
                    if not _plain_eq(v, getattr(dm, k))},
        "costs": {k: v for k, v in out["costs"].items() if not _plain_eq(v, getattr(dc, k))},
        "max_events": out["max_events"],
        "max_cycles": out["max_cycles"],
    }
    return out, _normnum(canon)


def _plain_eq(v, default) -> bool:
    """v (plain data) equals a default value (bools and numbers never mix)."""
    if isinstance(v, dict) or isinstance(v, bool) != isinstance(default, bool):
        return False
    try:
        return bool(v == default)
    except Exception:  # noqa: BLE001 - exotic defaults
        return False


def point_key(canon: dict, seed: int) -> str:
    """The stable key of a run: a hash of its canonical parameters and seed (JSON, sorted
    keys).  Fields left at their default do not enter it, so adding an axis whose values
    include the default reuses the runs already stored."""
    text = json.dumps({**canon, "seed": seed}, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _seeds(seeds, base: RunSpec) -> list[int]:
    if seeds is None:
        seeds = [base.seed]
    elif isinstance(seeds, bool):
        raise TypeError("seeds must be a count or a list of ints")
    elif isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds as a count must be >= 1, got {seeds}")
        seeds = range(seeds)
    out = []
    for s in seeds:
        s = _plain(s, "seeds")
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**64:
            raise ValueError(f"seeds must be ints in [0, 2**64), got {s!r}")
        out.append(s)
    if not out:
        raise ValueError("seeds is empty")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds has duplicates: {out}")
    return out


def _grid_points(grid) -> tuple[list[dict], list[str]]:
    """[{grid key: value}, ...] and the grid keys in order."""
    if grid is None:
        return [{}], []
    if isinstance(grid, Mapping):
        keys = list(grid)
        for k in keys:
            _check_key(k, "grid")
        axes = []
        for k in keys:
            vals = grid[k]
            if isinstance(vals, (str, bytes, Mapping)) or not hasattr(vals, "__iter__"):
                raise TypeError(f"grid[{k!r}] must be a list of values, got "
                                f"{type(vals).__name__} {vals!r}; write [{vals!r}] for one value")
            vals = list(vals)
            if not vals:
                raise ValueError(f"grid[{k!r}] is empty")
            axes.append(vals)
        return [dict(zip(keys, combo)) for combo in itertools.product(*axes)], keys
    if isinstance(grid, (list, tuple)):
        keys = []
        for i, p in enumerate(grid):
            if not isinstance(p, Mapping):
                raise TypeError(f"grid as a list must hold dicts of {{key: value}}, item {i} is "
                                f"{type(p).__name__}")
            for k in p:
                _check_key(k, "grid")
                if k not in keys:
                    keys.append(k)
        if not grid:
            raise ValueError("grid is an empty list")
        return [dict(p) for p in grid], keys
    raise TypeError(f"grid must be a dict {{key: [values]}} or a list of dicts, got "
                    f"{type(grid).__name__}")


def _column_value(spec: dict, key: str):
    v = _get(spec, key)
    if key == "workload":
        return _workload_name(v)
    if key == "strategy" and isinstance(v, Mapping):
        return v.get("name", "go")
    if isinstance(v, Mapping) and "ref" in v:
        return v["ref"]
    return v


def expand_grid(base=None, grid=None, seeds=None) -> tuple[list[_Point], list[str]]:
    """Every (grid point, seed) of a sweep, validated, in order (the first grid key varies
    slowest, seeds fastest); and the parameter columns."""
    base = RunSpec.coerce(base)
    combos, grid_keys = _grid_points(grid)
    seed_list = _seeds(seeds, base)
    bspec = base.to_dict()
    columns = ["workload", "goroutines", "work", "procs", "strategy"]
    for k in ("max_events", "max_cycles"):
        if bspec[k] is not None or k in grid_keys:
            columns.append(k)
    for g in NESTED:
        columns += [f"{g}.{n}" for n in bspec[g]]
    columns += [k for k in grid_keys if k not in columns]
    points, seen = [], {}
    for combo in combos:
        spec = dict(bspec)
        for k, v in combo.items():
            _set(spec, k, v)
        where = "sweep point " + (", ".join(f"{k}={v!r}" for k, v in combo.items()) or "(base)")
        sent, canon = _normalise(spec, where)
        params = {c: _column_value(sent, c) for c in columns}
        for seed in seed_list:
            key = point_key(canon, seed)
            if key in seen:
                raise ValueError(f"{where}, seed {seed} is the same run as {seen[key]} "
                                 f"(key {key}): the grid repeats a point")
            seen[key] = f"{where}, seed {seed}"
            points.append(_Point(len(points), seed, sent, canon, params, key))
    return points, columns


# --- the worker side --------------------------------------------------------------------------

def _materialise(spec: dict, seed: int):
    from .config import CostModel, Machine
    fn = _workload_fn(spec["workload"])
    kw = {k: _unplain(v) for k, v in spec["args"].items()}
    if spec.get("goroutines") is not None:
        kw["goroutines"] = spec["goroutines"]
    if spec.get("work") is not None:
        from .dist import as_distribution, parse_distribution
        w = spec["work"]
        kw["work"] = parse_distribution(w) if isinstance(w, str) else as_distribution(w)
    prog = fn(**kw)
    from .program import Program
    if not isinstance(prog, Program):
        raise TypeError(f"workload {_workload_name(spec['workload'])!r} returned "
                        f"{type(prog).__name__}, not a gmpcore.Program")
    machine = Machine(procs=spec["procs"], **{k: _unplain(v) for k, v in spec["machine"].items()})
    costs = CostModel(**{k: _unplain(v) for k, v in spec["costs"].items()})
    strat = _build_strategy(spec["strategy"], spec["strategy_opts"])
    return prog, dict(strategy=strat, machine=machine, costs=costs, seed=seed,
                      max_events=spec.get("max_events"), max_cycles=spec.get("max_cycles"))


def _py(v):
    """A plain Python scalar (numpy scalars unwrapped, pandas NA -> None)."""
    if v is None:
        return None
    try:
        import numpy as np
        if isinstance(v, np.generic):
            v = v.item()
    except ImportError:  # pragma: no cover
        pass
    if v.__class__.__name__ in ("NAType", "NaTType"):
        return None
    return v


def run_point(spec: dict, seed: int) -> dict:
    """Run one point and return its measurements as a dict of plain values; never raises
    for a failure of the run itself (status "failed" and the error instead).  This is the
    function the executor's workers call; call it directly to debug one point."""
    t0 = time.perf_counter()
    out = {"status": FAILED, "error": None}
    try:
        from .runner import run
        prog, kwargs = _materialise(spec, seed)
        res = run(prog, record=False, **kwargs)
        s = res.summary
        out["status"] = str(s["status"])
        metrics = {k: _py(v) for k, v in s.items() if k not in _SUMMARY_DROP}
        cache = res.cache
        for line, r in cache.iterrows():
            metrics[f"misses[{line}]"] = int(r["misses"])
            metrics[f"accesses[{line}]"] = int(r["accesses"])
            metrics[f"miss_rate[{line}]"] = float(r["miss_rate"])
    except Exception as e:  # noqa: BLE001 - every failure becomes a failed row
        out["error"] = _error_text(e)
        metrics = {}
    out["wall_s"] = time.perf_counter() - t0
    out.update(metrics)
    out["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return out


def _error_text(e: BaseException) -> str:
    msg = f"{type(e).__name__}: {e}"
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        fr = tb[-1]
        msg += f" (at {os.path.basename(fr.filename)}:{fr.lineno} in {fr.name})"
    return msg


# --- executors --------------------------------------------------------------------------------

class SerialExecutor(cf.Executor):
    """Runs each submitted call at once, in this process (for debugging and baselines).  A
    point that kills its process kills the sweep here; the store keeps what was finished."""

    def submit(self, fn, /, *args, **kwargs):
        f = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f


def _cpus() -> int:
    """The CPUs this process may run on (its affinity mask), else os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Exec:
    """The executor a sweep uses: created on first use, replaced if a process pool breaks."""

    def __init__(self, spec):
        self.spec = spec
        self.ex = None
        self.owned = False
        self.client = None
        self.workers = None
        self.window = None      # max in flight (None: everything at once)
        if spec is None or spec == "local":
            self.workers = _cpus()
        elif spec == "serial":
            self.window = 1
        elif isinstance(spec, int) and not isinstance(spec, bool):
            if spec < 1:
                raise ValueError(f"executor as a number of workers must be >= 1, got {spec}")
            self.workers = spec
        elif isinstance(spec, str) and "://" in spec:
            pass
        elif isinstance(spec, cf.Executor):
            if isinstance(spec, cf.ProcessPoolExecutor):
                self.workers = getattr(spec, "_max_workers", None) or _cpus()
            if isinstance(spec, SerialExecutor):
                self.window = 1
        else:
            raise TypeError(f"executor must be None or 'local' (a process pool, one worker "
                            f"per CPU), a number of workers, 'serial', a Dask scheduler address "
                            f"('tcp://host:8786'), or a concurrent.futures.Executor; got "
                            f"{spec!r}")
        if self.workers is not None and self.window is None:
            self.window = 2 * self.workers

    def get(self) -> cf.Executor:
        if self.ex is None:
            s = self.spec
            if s is None or s == "local" or (isinstance(s, int) and not isinstance(s, bool)):
                self.ex = cf.ProcessPoolExecutor(max_workers=self.workers)
                self.owned = True
            elif s == "serial":
                self.ex = SerialExecutor()
            elif isinstance(s, str):
                try:
                    from distributed import Client
                except ImportError as e:
                    raise ImportError("a Dask scheduler address needs dask.distributed: "
                                      "pip install 'dask[distributed]'") from e
                self.client = Client(s)
                self.ex = self.client.get_executor()
            else:
                self.ex = s
        return self.ex

    def replace_broken(self):
        """The process pool died under a point: start a fresh one of the same size."""
        old, was_owned = self.ex, self.owned
        if was_owned:
            old.shutdown(wait=False, cancel_futures=True)
        self.ex = cf.ProcessPoolExecutor(max_workers=self.workers or _cpus())
        self.owned = True

    def close(self, wait=True):
        if self.ex is not None and self.owned:
            self.ex.shutdown(wait=wait, cancel_futures=True)
        if self.client is not None:
            self.client.close()
        self.ex = None


# --- the store --------------------------------------------------------------------------------

def _parquet_ok() -> bool:
    for mod in ("pyarrow", "fastparquet"):
        try:
            importlib.import_module(mod)
            return True
        except ImportError:
            pass
    return False


class _Store:
    """Finished points of sweeps, by key.

    Every finished point is appended at once, as one JSON line, to `<store>.journal` (a line is
    flushed before the next point is recorded, so a killed sweep loses only the points that
    were still running).  The journal is folded into the Parquet or CSV file itself (written
    to a temporary file and renamed over it, so the file is always complete) when the sweep
    ends, every `compact_every` seconds, and when a sweep opens a store whose journal is left
    over from a killed one.  Reading merges both, the last row of a key winning.
    """

    def __init__(self, path, compact_every: float = 30.0):
        path = Path(os.fspath(path)).expanduser()
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            self.format = "parquet"
            if not _parquet_ok():
                alt = path.with_suffix(".csv")
                warnings.warn(f"gmpcore.sweep: pyarrow is not installed, so the store is "
                              f"written as CSV to {alt} (pip install pyarrow for Parquet)",
                              RuntimeWarning, stacklevel=3)
                path, self.format = alt, "csv"
        elif suffix == ".csv":
            self.format = "csv"
        else:
            raise ValueError(f"store must end in .parquet or .csv, got {str(path)!r}")
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.lockpath = path.with_name(path.name + ".lock")
        self.compact_every = compact_every
        self._lockfd = None
        self._jf = None
        self._last_compact = time.monotonic()

    # reading
    def read_file(self) -> list[dict]:
        if not self.path.exists():
            return []
        import pandas as pd
        if self.format == "parquet":
            df = pd.read_parquet(self.path)
        else:
            df = pd.read_csv(self.path, dtype_backend="numpy_nullable",
                             dtype={"key": "string", "status": "string", "error": "string",
                                    "spec": "string", "worker": "string"}, keep_default_na=True)
        cols = list(df.columns)
        return [{c: _py(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False)]

    def read_journal(self) -> list[dict]:
        if not self.journal.exists():
            return []
        out = []
        with open(self.journal, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass            # a line cut short by a kill: that point was not finished
        return out

    def records(self) -> dict[str, dict]:
        out = {}
        for r in self.read_file() + self.read_journal():
            if r.get("key"):
                out[str(r["key"])] = r
        return out

    # writing
    def open(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            fcntl = None
        if fcntl is not None:
            fd = os.open(self.lockpath, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise RuntimeError(f"store {self.path} is in use by another running sweep "
                                   f"(lock {self.lockpath})") from None
            self._lockfd = fd
        if self.journal.exists():
            self.compact()

    def append(self, rec: dict):
        if self._jf is None:
            self._jf = open(self.journal, "a", encoding="utf-8")
        self._jf.write(json.dumps(rec, separators=(",", ":"), default=_json_default) + "\n")
        self._jf.flush()
        if time.monotonic() - self._last_compact > self.compact_every:
            self.compact()

    def compact(self):
        if self._jf is not None:
            self._jf.close()
            self._jf = None
        recs = list(self.records().values())
        if recs:
            df = _frame(recs, for_storage=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            if self.format == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                df.to_csv(tmp, index=False)
            os.replace(tmp, self.path)
        if self.journal.exists():
            self.journal.unlink()
        self._last_compact = time.monotonic()

    def close(self):
        try:
            self.compact()
        finally:
            if self._lockfd is not None:
                os.close(self._lockfd)
                self._lockfd = None
                try:
                    self.lockpath.unlink()
                except OSError:  # pragma: no cover
                    pass


def _json_default(o):
    v = _py(o)
    if v is o:
        raise TypeError(f"not JSON-serialisable: {o!r}")
    return v


def load_store(path):
    """Every point a store holds (all sweeps written to it), as a DataFrame, including the
    `spec` column: the canonical JSON of each run's parameters."""
    st = _Store(path)
    return _frame(list(st.records().values()))


# --- frames -------------------------------------------------------------------------------------

_FRONT = ("key", "seed", "status", "error", "wall_s")


def _frame(records: list[dict], columns: list[str] | None = None, for_storage: bool = False):
    """A DataFrame from records of plain values, with stable dtypes: integer columns stay
    integers (nullable Int64 when some rows lack them, e.g. failed points)."""
    import numpy as np
    import pandas as pd
    cols = list(columns or [])
    seen = set(cols)
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    failed = [r.get("status") == FAILED for r in records]
    data = {}
    for c in cols:
        vals = [_py(r.get(c)) for r in records]
        if c.startswith(("misses[", "accesses[", "miss_rate[")):
            vals = [(0 if not c.startswith("miss_rate[") else 0.0) if v is None and not f else v
                    for v, f in zip(vals, failed)]
        present = [v for v in vals if v is not None and not (isinstance(v, float) and v != v)]
        types = {type(v) for v in present}
        if types and types <= {int}:
            ser = pd.Series(vals, dtype="Int64" if len(present) < len(vals) else "int64")
        elif types and types <= {int, float}:
            ser = pd.Series([np.nan if v is None else float(v) for v in vals], dtype="float64")
        elif types and types <= {bool}:
            ser = pd.Series(vals, dtype="boolean" if len(present) < len(vals) else "bool")
        elif for_storage and len(types) > 1:
            ser = pd.Series([None if v is None else str(v) for v in vals], dtype=object)
        elif types and types <= {str}:
            ser = pd.Series(vals)
        else:
            ser = pd.Series(vals, dtype=object)
        data[c] = ser
    return pd.DataFrame(data, columns=cols)


def _row(p: _Point, rec: Mapping) -> dict:
    """The output row of point `p` from a worker's or the store's record: the point's own
    parameters, then the measurements."""
    row = {"key": p.key, **p.params, "seed": p.seed}
    for k, v in rec.items():
        if k in ("key", "seed", "spec") or k in _FIELDS or k.split(".", 1)[0] in NESTED:
            continue
        row[k] = v
    return row


def _failed(error: str) -> dict:
    return {"status": FAILED, "error": error, "wall_s": float("nan"), "worker": None}


# --- the sweep ---------------------------------------------------------------------------------

class _Progress:
    def __init__(self, total: int, skipped: int, enabled):
        self.bar = None
        self.total, self.done, self.failed = total, 0, 0
        self.enabled = bool(enabled) and total > 0
        self.t0 = time.monotonic()
        self.last = 0.0
        self.skipped = skipped
        if not self.enabled:
            return
        desc = "sweep" + (f" ({skipped} in store)" if skipped else "")
        try:
            from tqdm import tqdm
        except ImportError:
            self.desc = desc
            return
        self.bar = tqdm(total=total, desc=desc, unit="pt", file=sys.stderr, dynamic_ncols=True,
                        smoothing=0.1)
        self.bar.set_postfix(failed=0, refresh=False)

    def update(self, failed: bool):
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            if failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
        elif self.enabled:
            now = time.monotonic()
            if now - self.last >= 5 or self.done == self.total:
                self.last = now
                rate = self.done / max(now - self.t0, 1e-9)
                eta = (self.total - self.done) / rate
                print(f"{self.desc}: {self.done}/{self.total} points, {self.failed} failed, "
                      f"ETA {eta:.0f} s", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def sweep(base=None, grid=None, seeds=None, executor=None, progress=True, store=None, *,
          retry_failed: bool = True):
    """Run every point of `grid` (over `base`) with every seed; return a tidy DataFrame.

    base      a RunSpec, or a dict of its fields (None: RunSpec())
    grid      {key: [values]} for the full product (the first key varies slowest), or a list
              of {key: value} dicts (one per point); keys as in RunSpec ("procs", "work",
              "machine.layout", "costs.futex_wake", "strategy_opts.steal_passes", "args.fanout")
    seeds     an int n (seeds 0..n-1) or a list of ints; None: base.seed
    executor  None or "local": a process pool, one worker per CPU; an int: a pool of that
              many; "serial": in this process, one after another; a Dask scheduler address
              ("tcp://host:8786"); or any concurrent.futures.Executor, e.g. a Dask
              `client.get_executor()` (only submit() is used)
    progress  show a progress bar (tqdm if installed): points done, failures, ETA
    store     a .parquet or .csv path: every finished point is appended as it arrives, and a
              rerun with the same store runs only the points it lacks
    retry_failed  rerun the store's failed points (default True)

    Returns one row per (point, seed) in grid order: key, the parameters, seed, status
    ("ok", "deadlock", "max_events", "max_cycles" or "failed"), error, wall_s (the point's
    wall time in its worker), every Result.summary metric, misses/accesses/miss_rate by cache
    line class, and worker (host:pid).  df.attrs["sweep"] counts the points run, skipped and
    failed.  A point that raises, or kills its worker process, is a "failed" row with its
    error; the sweep goes on.
    """
    t_start = time.perf_counter()
    # import these before the pool forks its workers: they need them for every run
    importlib.import_module("pandas")
    importlib.import_module(".runner", __package__)
    points, columns = expand_grid(base, grid, seeds)
    ex = _Exec(executor)
    st = _Store(store) if store is not None else None
    results: dict[str, dict] = {}
    if st is not None:
        st.open()
    try:
        if st is not None:
            stored = st.records()
            for p in points:
                r = stored.get(p.key)
                if r is not None and (r.get("status") != FAILED or not retry_failed):
                    results[p.key] = _row(p, r)
        todo = [p for p in points if p.key not in results]
        skipped = len(points) - len(todo)
        prog = _Progress(len(todo), skipped, progress)
        try:
            nfailed = _drive(todo, ex, st, results, prog)
        finally:
            prog.close()
    except BaseException:
        ex.close(wait=False)
        if st is not None:
            st.close()
        raise
    ex.close()
    if st is not None:
        st.close()
    df = _frame([results[p.key] for p in points], ["key"] + columns + ["seed"] + list(_FRONT[2:]))
    df.attrs["sweep"] = {"points": len(points), "ran": len(todo), "skipped": skipped,
                         "failed": int((df["status"] == FAILED).sum()) if len(df) else 0,
                         "failed_now": nfailed, "wall_s": time.perf_counter() - t_start}
    return df


def _drive(todo: list[_Point], ex: _Exec, st: _Store | None, results: dict, prog: _Progress
           ) -> int:
    """Submit, collect and record; isolate the point that breaks a process pool."""
    queue = deque(todo)
    inflight: dict[cf.Future, _Point] = {}
    suspects: deque[_Point] = deque()
    isolating = False
    nfailed = 0

    def record(p: _Point, rec: dict):
        nonlocal nfailed
        row = _row(p, rec)
        if st is not None:
            st.append({**row, "spec": json.dumps({**p.canon, "seed": p.seed}, sort_keys=True)})
        results[p.key] = row
        failed = row.get("status") == FAILED
        nfailed += failed
        prog.update(failed)

    def submit(p: _Point, source: deque) -> bool:
        try:
            inflight[ex.get().submit(run_point, p.spec, p.seed)] = p
            return True
        except cf.BrokenExecutor:
            if inflight:
                # a worker died since the last wait: its futures will say so; come back later
                source.appendleft(p)
                return False
            ex.replace_broken()         # broken before we gave it anything (a user's pool)
            inflight[ex.get().submit(run_point, p.spec, p.seed)] = p
            return True

    while queue or suspects or inflight:
        if isolating:
            if not inflight and suspects:
                submit(suspects.popleft(), suspects)
        else:
            while queue and (ex.window is None or len(inflight) < ex.window):
                if not submit(queue.popleft(), queue):
                    break
        done, _ = cf.wait(list(inflight), timeout=1.0, return_when=cf.FIRST_COMPLETED)
        broken: list[_Point] = []
        for f in done:
            p = inflight.pop(f)
            try:
                rec = f.result()
            except cf.BrokenExecutor:
                broken.append(p)
            except cf.CancelledError:
                broken.append(p)
            except Exception as e:  # noqa: BLE001 - e.g. Dask's KilledWorker, pickling
                record(p, _failed(_error_text(e)))
            else:
                record(p, rec)
        if broken:
            # the pool is dead: whatever was still in it must run again
            for f, p in list(inflight.items()):
                if f.done() and not f.cancelled() and f.exception() is None:
                    record(p, f.result())
                else:
                    broken.append(p)
            inflight.clear()
            ex.replace_broken()
            if len(broken) == 1:
                record(broken[0], _failed(
                    "the worker process died while running this point (killed, crashed, "
                    "os._exit or out of memory): concurrent.futures BrokenProcessPool"))
            else:
                # which one killed the pool?  rerun each alone in a fresh pool to find out
                broken.sort(key=lambda p: p.index)
                suspects.extend(broken)
                isolating = True
        if isolating and not suspects and not inflight:
            isolating = False
    return nfailed


# --- summaries and the TOML file ---------------------------------------------------------------

DEFAULT_SUMMARY = ("emulated_ns", "latency_mean_ns", "latency_p99_ns", "cache_miss_rate",
                   "steals", "lock_contended", "wall_s")


def summarize(df, metrics=DEFAULT_SUMMARY, by=None):
    """Mean of `metrics` over seeds, one row per grid point (grouped by the parameters that
    vary, or `by`), with the number of runs and of failed runs."""
    import pandas as pd
    params = [c for c in df.columns
              if c != "seed" and (c in _FIELDS or c.split(".", 1)[0] in NESTED)]
    if by is None:
        by = [c for c in params if df[c].nunique(dropna=False) > 1] or params[:1]
    metrics = [m for m in metrics if m in df.columns]
    g = df.groupby(by, sort=False, dropna=False)
    out = g[metrics].mean(numeric_only=True) if metrics else pd.DataFrame(index=g.size().index)
    out.insert(0, "failed", g["status"].apply(lambda s: int((s == FAILED).sum())))
    out.insert(0, "runs", g.size())
    return out.reset_index()


def sweep_from_config(config, *, executor=None, store=None, progress=None):
    """Run the sweep a TOML file (path) or its parsed dict describes (see docs/sweeps.md):

        [sweep]
        seeds = 3                     # a count, or a list of seeds
        store = "runs.parquet"        # optional; relative to the file
        executor = "local"            # "local", "serial", a worker count, or "tcp://host:8786"
        summary = ["latency_mean_ns", "latency_p99_ns", "cache_miss_rate"]

        [base]                        # RunSpec fields
        workload = "burst"
        goroutines = 100000
        work = "exp:2000"
        machine = { layout = "go" }

        [grid]                        # key = [values]
        procs = [2, 4, 8]
        strategy = ["go", "global"]
        "machine.layout" = ["go", "padded"]

    Returns (DataFrame, the [sweep] table with defaults filled in)."""
    here = Path.cwd()
    if not isinstance(config, Mapping):
        import tomllib
        path = Path(os.fspath(config))
        with open(path, "rb") as f:
            config = tomllib.load(f)
        here = path.resolve().parent
    unknown = set(config) - {"sweep", "base", "grid"}
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)} in the sweep file; expected "
                         f"[sweep], [base] and [grid]")
    opts = dict(config.get("sweep", {}))
    known = {"seeds", "store", "executor", "summary", "progress", "retry_failed"}
    bad = set(opts) - known
    if bad:
        raise ValueError(f"unknown [sweep] option(s) {sorted(bad)}; known: {sorted(known)}")
    if store is None and opts.get("store"):
        p = Path(opts["store"]).expanduser()
        store = p if p.is_absolute() else here / p
    if executor is None:
        executor = opts.get("executor")
    if progress is None:
        progress = opts.get("progress", True)
    opts.update(store=store, executor=executor)
    df = sweep(config.get("base"), config.get("grid"), seeds=opts.get("seeds"),
               executor=executor, progress=progress, store=store,
               retry_failed=opts.get("retry_failed", True))
    return df, opts
