"""Save and load run configurations as TOML or JSON: plain data with schema validation.

    gmpcore.save_config({"machine": m, "costs": c, "strategy": s}, "exp.toml")
    cfg = gmpcore.load_config("exp.toml")      # {"machine": Machine, "costs": ..., ...}

Nothing is unpickled or evaluated: a file holds tables of scalars whose names must be fields of
Machine, CostModel or Strategy (a strategy may instead name a preset: preset = "tokio"), and
every value goes through the same validation as in Python.  Strategies with user kernels
cannot be saved (a kernel is code); save the preset or parameters and attach kernels in code.
"""
from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path

from .config import STRATEGIES, CostModel, Machine, Strategy

__all__ = ["save_config", "load_config", "config_to_dict", "config_from_dict"]

SECTIONS = {"machine": Machine, "costs": CostModel, "strategy": Strategy}
RUN_KEYS = {"procs": int, "seed": int, "record": bool, "max_events": int, "max_cycles": int}


def _plain(obj) -> dict:
    from .kernels import Kernel
    out = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, Kernel):
            raise TypeError(f"{type(obj).__name__}.{f.name} is a user kernel ({v.name}); kernels "
                            f"are code and cannot be saved in a config file")
        if v is not None:
            out[f.name] = v
    return out


def config_to_dict(config: dict) -> dict:
    """{"machine": Machine, "costs": CostModel, "strategy": Strategy, "run": {...}} -> plain."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of sections, got {type(config).__name__}")
    out = {}
    for key, val in config.items():
        if key in SECTIONS:
            if not isinstance(val, SECTIONS[key]):
                raise TypeError(f"config[{key!r}] must be a {SECTIONS[key].__name__}, got "
                                f"{type(val).__name__}")
            out[key] = _plain(val)
        elif key == "run":
            out["run"] = dict(_check_run(val))
        else:
            raise ValueError(f"unknown config section {key!r}; sections: "
                             f"{', '.join(list(SECTIONS) + ['run'])}")
    return out


def _check_run(d) -> dict:
    if not isinstance(d, dict):
        raise TypeError("config section 'run' must be a table")
    for k, v in d.items():
        if k not in RUN_KEYS:
            raise ValueError(f"unknown key run.{k}; allowed: {', '.join(RUN_KEYS)}")
        if not isinstance(v, RUN_KEYS[k]) or (RUN_KEYS[k] is int and isinstance(v, bool)):
            raise TypeError(f"run.{k} must be {RUN_KEYS[k].__name__}, got {v!r}")
    return d


def config_from_dict(data: dict) -> dict:
    """Validate plain data and build the objects.  Unknown sections or keys are errors."""
    if not isinstance(data, dict):
        raise TypeError("a config file must hold a table of sections")
    out = {}
    for key, val in data.items():
        if key == "run":
            out["run"] = _check_run(val)
            continue
        if key == "calibration":            # written by `gmpcore calibrate`: metadata
            if not isinstance(val, dict):
                raise TypeError("config section 'calibration' must be a table")
            out["calibration"] = dict(val)
            continue
        if key not in SECTIONS:
            raise ValueError(f"unknown config section {key!r}; sections: "
                             f"{', '.join(list(SECTIONS) + ['run'])}")
        if not isinstance(val, dict):
            raise TypeError(f"config section {key!r} must be a table, got {type(val).__name__}")
        cls = SECTIONS[key]
        names = {f.name for f in fields(cls)}
        val = dict(val)
        base = None
        if cls is Strategy and "preset" in val:
            preset = val.pop("preset")
            if preset not in STRATEGIES:
                raise ValueError(f"strategy.preset {preset!r} is not a preset; presets: "
                                 f"{', '.join(sorted(STRATEGIES))}")
            base = STRATEGIES[preset]
        for k in val:
            if k not in names:
                raise ValueError(f"unknown key {key}.{k}; {cls.__name__} has: "
                                 f"{', '.join(sorted(names))}")
        out[key] = base.replace(**val) if base is not None else cls(**val)
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v!r} to TOML")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)            # a TOML basic string is a JSON string
    raise TypeError(f"cannot write {type(v).__name__} to a config file")


def save_config(config: dict, path) -> Path:
    """Write `config` ({"machine": ..., "costs": ..., "strategy": ..., "run": {...}}) to
    `path` as TOML (.toml) or JSON (.json)."""
    path = Path(path)
    data = config_to_dict(config)
    if path.suffix == ".json":
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    elif path.suffix == ".toml":
        lines = []
        for section, table in data.items():
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
            lines.append("")
        path.write_text("\n".join(lines))
    else:
        raise ValueError(f"config files are .toml or .json, got {path.name!r}")
    return path


def load_config(path) -> dict:
    """Read a .toml or .json config written by save_config (or by hand) and validate it."""
    path = Path(path)
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON: {e}") from None
    elif path.suffix == ".toml":
        import tomllib
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: not valid TOML: {e}") from None
    else:
        raise ValueError(f"config files are .toml or .json, got {path.name!r}")
    try:
        out = config_from_dict(data)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{path}: {e}") from None
    if "calibration" in out:                # a file from `gmpcore calibrate`
        from .calibrate.core import check_foreign
        check_foreign(out["calibration"], f"{path}: ")
    return out
