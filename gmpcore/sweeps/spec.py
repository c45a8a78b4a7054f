"""A sweep run as plain data: RunSpec, grid-key checks, canonical forms and the stable
key of a run (what is hashed and stored), and building the run from plain data in a worker."""
from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import inspect
import json
import sys
from dataclasses import dataclass, field
from typing import Any, Mapping

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
        from ..runner import run
        prog, kwargs = self.build(seed)
        kwargs.setdefault("record", False)
        kwargs.update(kw)
        return run(prog, **kwargs)


_FIELDS = tuple(f.name for f in dataclasses.fields(RunSpec))


def _nested_fields(group: str) -> list[str] | None:
    """The valid names inside a nested group (None: anything, checked per workload)."""
    from ..config import CostModel, Machine, Strategy
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
    try:
        if mod == "__main__" and "__main__" in sys.modules:
            obj = sys.modules["__main__"]
        else:
            obj = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except ImportError as e:
        raise ValueError(f"cannot import {ref!r}: {e}") from None
    except AttributeError:
        raise ValueError(f"cannot import {ref!r}: module {mod!r} has no {qual!r}") from None
    return obj


def _plain(value, where: str):
    """A parameter value as plain JSON-able data (kernels become references); scalars go
    through the serialiser of config files (gmpcore.configio.plain_value)."""
    from ..configio import plain_value
    kernel_cls = _kernel_cls()
    if kernel_cls is not None and isinstance(value, kernel_cls):
        return {"kernel": value.hook, "ref": _ref(value.py_func)}
    if isinstance(value, Mapping) and set(value) <= {"kernel", "ref"} and "ref" in value:
        return {k: str(v) for k, v in value.items()}
    try:
        return plain_value(value, where)
    except TypeError:
        raise TypeError(f"{where}: {value!r} is not plain data (a str, int, float, bool or "
                        f"None, or a gmpcore kernel)") from None


def _kernel_cls():
    try:
        from ..kernels import Kernel
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
    from ..dist import Const, Distribution, Exponential, LogNormal, Uniform, parse_distribution
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
    from .. import workloads
    if callable(w) and not isinstance(w, str):
        return w
    if w in WORKLOADS:
        return getattr(workloads, w)
    fn = _import_ref(w)
    if not callable(fn):
        raise TypeError(f"workload {w!r} is not a function")
    return fn


def _strategy_plain(s) -> str | dict:
    from ..config import STRATEGIES, Strategy
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
    from ..config import Strategy, get_strategy
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
    from ..config import CostModel, Machine
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
        if not 0 <= g < 2**63:      # results are stored as int64
            raise ValueError(f"{where}: goroutines must be between 0 and 2**63-1, got {g}")
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
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)
                              or not 0 <= v < 2**63):
            raise ValueError(f"{where}: {k} must be an int in [0, 2**63) or None, got {v!r}")
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


# --- the worker side --------------------------------------------------------------------------

def _materialise(spec: dict, seed: int):
    from ..config import CostModel, Machine
    fn = _workload_fn(spec["workload"])
    kw = {k: _unplain(v) for k, v in spec["args"].items()}
    if spec.get("goroutines") is not None:
        kw["goroutines"] = spec["goroutines"]
    if spec.get("work") is not None:
        from ..dist import as_distribution, parse_distribution
        w = spec["work"]
        kw["work"] = parse_distribution(w) if isinstance(w, str) else as_distribution(w)
    prog = fn(**kw)
    from ..program import Program
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
