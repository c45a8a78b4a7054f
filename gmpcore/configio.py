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

from .config import GC, STRATEGIES, CostModel, Machine, Strategy

__all__ = ["save_config", "load_config", "config_to_dict", "config_from_dict", "read_data",
           "plain_value", "MAX_FILE_BYTES"]

SECTIONS = {"machine": Machine, "costs": CostModel, "strategy": Strategy, "gc": GC}
#: [run] keys: their types and accepted ranges (workload/goroutines/work describe the program
#: that `gmpcore run CONFIG` runs: a gmpcore.workloads name or "package.module:function")
RUN_KEYS = {"procs": (int, 1, 1024), "seed": (int, 0, 2**64 - 1), "record": (bool,),
            "max_events": (int, 0, 2**63 - 1), "max_cycles": (int, 0, 2**63 - 1),
            "workload": (str,), "goroutines": (int, 1, 2**31 - 1), "work": ((str, int, float),)}
#: config and sweep files are small: a bigger file, a FIFO or a device is refused
MAX_FILE_BYTES = 4 << 20


def plain_value(value, where: str):
    """A scalar as plain data for a config or sweep file: numpy scalars unwrapped, floats
    finite; anything else (a kernel, an object) is refused with `where` in the message.  The
    one serialiser of scalars shared by save_config and gmpcore.sweeps."""
    import numpy as np
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a finite number")
        return value
    raise TypeError(f"{where}: {value!r} is not plain data (a str, int, float, bool or None)")


def read_data(path, what: str = "config") -> dict:
    """Parse a .toml or .json file into plain data, safely: only a regular file of at most
    MAX_FILE_BYTES (a FIFO would block and /dev/zero would eat memory), and nesting too deep
    to parse is a ValueError, not a RecursionError."""
    import os
    import stat
    path = Path(os.fspath(path)).expanduser()
    if path.suffix not in (".toml", ".json"):
        raise ValueError(f"{what} files are .toml or .json, got {path.name!r}")
    try:
        st = os.stat(path)
    except OSError as e:
        raise ValueError(f"cannot read {what} file {path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{what} file {path} is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise ValueError(f"{what} file {path} is {st.st_size:,} bytes; at most "
                         f"{MAX_FILE_BYTES:,} are read")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise ValueError(f"cannot read {what} file {path}: {e.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{what} file {path} is larger than {MAX_FILE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import tomllib
            data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from None
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply to read") from None
    except Exception as e:  # tomllib.TOMLDecodeError, and its RecursionError-free cousins
        if type(e).__name__ == "TOMLDecodeError":
            raise ValueError(f"{path}: not valid TOML: {e}") from None
        raise
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a {what} file must hold a table, got {type(data).__name__}")
    return data


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
    out = {}
    for k, v in d.items():
        if k not in RUN_KEYS:
            raise ValueError(f"unknown key run.{k}; allowed: {', '.join(RUN_KEYS)}")
        v = plain_value(v, f"run.{k}")
        typ, *rng = RUN_KEYS[k]
        if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
            name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            raise TypeError(f"run.{k} must be {name}, got {v!r}")
        if rng and not rng[0] <= v <= rng[1]:
            raise ValueError(f"run.{k} must be between {rng[0]} and {rng[1]}, got {v}")
        out[k] = v
    return out


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
    v = plain_value(v, "config value")
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
    data = read_data(path)
    try:
        out = config_from_dict(data)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{path}: {e}") from None
    if "calibration" in out:                # a file from `gmpcore calibrate`
        from .calibrate.core import check_foreign
        check_foreign(out["calibration"], f"{path}: ")
    return out
