"""The points of a sweep: the grid (a product or a list of points) times the seeds, each
validated and keyed before anything runs."""
from __future__ import annotations

import itertools
from typing import Mapping

from .spec import NESTED, RunSpec, _Point, _check_key, _get, _normalise, _plain, _set, _workload_name, point_key


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
