"""The model's output on a fixed set of scenarios, pinned exactly in tests/data/golden.json.

Any change to what the engine emulates (counters, latencies, cache traffic, goroutine order)
shows up here as a readable diff, so it is reviewed rather than noticed later.  When a change
is intended, regenerate the file and commit its diff with the change:

    GMPCORE_UPDATE_GOLDEN=1 pytest tests/test_golden.py
    git diff tests/data/golden.json

Wall times and events/s are left out (they are not model output).
"""
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import gmpcore
from gmpcore import workloads

GOLDEN = Path(__file__).resolve().parent / "data" / "golden.json"
UPDATE = os.environ.get("GMPCORE_UPDATE_GOLDEN", "") not in ("", "0")
NOT_MODEL_OUTPUT = ("wall_s", "events_per_s")


def _gosched_loops():
    p = gmpcore.Program()
    wg = p.waitgroup("wg")
    m = p.func("main")
    m.wg_add(wg, 40).go("w", times=40).wg_wait(wg)
    w = p.func("w")
    with w.loop(3):
        w.compute(gmpcore.Uniform(100, 900)).mark("step").gosched()
    w.wg_done(wg)
    return p


def _arrivals():
    p = gmpcore.Program()
    wg = p.waitgroup("wg")
    p.func("main").wg_add(wg, 3000).wg_wait(wg)
    p.func("handler").compute(gmpcore.Exponential(2000)).wg_done(wg)
    p.arrivals("handler", gmpcore.Exponential(900), 3000)     # Poisson, rho ~ 0.56 on 4 Ps
    return p


def _nested_spawns():
    p = gmpcore.Program()
    wg = p.waitgroup("wg")
    m = p.func("main")
    m.wg_add(wg, 8 * 33).go("parent", times=8).wg_wait(wg)
    par = p.func("parent")
    par.mark("parent").go("child", times=32).compute(500).wg_done(wg)
    c = p.func("child")
    c.compute(gmpcore.Exponential(1500)).mark("child").wg_done(wg)
    return p


# name -> (program builder, run keyword arguments); record=True scenarios also pin the order
SCENARIOS = {
    "burst_1k_p1_go": (lambda: workloads.burst(1000, gmpcore.Exponential(2000), mark=True),
                       dict(procs=1, strategy="go", seed=1, record=True)),
    "burst_10k_p4_go": (lambda: workloads.burst(10_000, gmpcore.Exponential(2000)),
                        dict(procs=4, strategy="go", seed=1)),
    "burst_10k_p4_global": (lambda: workloads.burst(10_000, gmpcore.Exponential(2000)),
                            dict(procs=4, strategy="global", seed=1)),
    "burst_20k_p16_go": (lambda: workloads.burst(20_000, gmpcore.Exponential(2000)),
                         dict(procs=16, strategy="go", seed=7)),
    "burst_20k_p16_global": (lambda: workloads.burst(20_000, gmpcore.Exponential(2000)),
                             dict(procs=16, strategy="global", seed=7)),
    "burst_20k_p16_go_padded": (lambda: workloads.burst(20_000, gmpcore.Exponential(2000)),
                                dict(procs=16, strategy="go", seed=7,
                                     machine=gmpcore.Machine(layout="padded"))),
    "burst_10k_p8_go_2sockets": (lambda: workloads.burst(10_000, gmpcore.LogNormal(2000, 1.5)),
                                 dict(procs=8, strategy="go", seed=3,
                                      machine=gmpcore.Machine(sockets=2))),
    "burst_10k_p8_go_nocache": (lambda: workloads.burst(10_000, gmpcore.Uniform(100, 3900)),
                                dict(procs=8, strategy="go", seed=3,
                                     machine=gmpcore.Machine(cache=False))),
    "burst_10k_p8_go_zero_costs": (lambda: workloads.burst(10_000, gmpcore.Exponential(2000)),
                                   dict(procs=8, strategy="go", seed=3,
                                        costs=gmpcore.CostModel.zero())),
    "tree_20k_p8_go": (lambda: workloads.tree(20_000, gmpcore.Exponential(2000), fanout=8),
                       dict(procs=8, strategy="go", seed=2)),
    "tree_20k_p8_global": (lambda: workloads.tree(20_000, gmpcore.Exponential(2000), fanout=8),
                           dict(procs=8, strategy="global", seed=2)),
    "nested_spawns_p4_go": (_nested_spawns, dict(procs=4, strategy="go", seed=5, record=True)),
    "gosched_loops_p2_go": (_gosched_loops, dict(procs=2, strategy="go", seed=4, record=True)),
    "arrivals_p4_go": (_arrivals, dict(procs=4, strategy="go", seed=6)),
    "arrivals_p4_global": (_arrivals, dict(procs=4, strategy="global", seed=6)),
}


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


def observe(name) -> dict:
    build, kw = SCENARIOS[name]
    kw = {"record": False, **kw}
    res = gmpcore.run(build(), **kw)
    out = {"summary": {k: _plain(v) for k, v in res.summary.items()
                       if k not in NOT_MODEL_OUTPUT}}
    out["cache"] = {line: {k: _plain(v) for k, v in row.items()}
                    for line, row in res.cache.to_dict("index").items()}
    out["latency_percentiles_ns"] = {str(q): _plain(v) for q, v in
                                     res.latency.percentiles((10, 50, 90, 99, 99.9)).items()}
    out["per_p_schedtick"] = [int(x) for x in res.per_p["schedtick"]]
    if kw["record"]:
        order = np.asarray(res.start_order, dtype=np.int64)
        out["start_order"] = {"n": len(order), "first": [int(x) for x in order[:24]],
                              "sha256": hashlib.sha256(order.tobytes()).hexdigest()[:16]}
        marks = res.mark_tuples()
        out["marks"] = {"n": len(marks), "first": [list(m) for m in marks[:12]],
                        "sha256": hashlib.sha256(repr(marks).encode()).hexdigest()[:16]}
        out["steals"] = len(res.steals)
    return out


def _load() -> dict:
    if not GOLDEN.exists():
        return {}
    return json.loads(GOLDEN.read_text()).get("scenarios", {})


def _save(scenarios: dict):
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    doc = {"_about": "gmpcore's emulated output on tests/test_golden.py's scenarios. "
                     "Regenerate with GMPCORE_UPDATE_GOLDEN=1 pytest tests/test_golden.py and "
                     "review the diff.",
           "gmpcore": gmpcore.__version__,
           "scenarios": {k: scenarios[k] for k in sorted(scenarios)}}
    GOLDEN.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")


def _flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def _fmt(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list) and len(v) > 12:
        return repr(v[:12])[:-1] + ", ...]"
    return repr(v)


def diff(golden: dict, now: dict) -> list[str]:
    """Readable lines, one per differing value: path: golden -> now (change)."""
    g, n = _flat(golden), _flat(now)
    lines = []
    for k in sorted(set(g) | set(n)):
        if k not in n:
            lines.append(f"  - {k}: {_fmt(g[k])} (no longer produced)")
        elif k not in g:
            lines.append(f"  + {k}: {_fmt(n[k])} (new)")
        elif g[k] != n[k]:
            a, b = g[k], n[k]
            change = ""
            if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
                d = b - a
                change = f"  ({d:+,}" if isinstance(d, int) else f"  ({d:+.6g}"
                change += f", {d / a:+.2%})" if a else ")"
            lines.append(f"  ~ {k}: {_fmt(a)} -> {_fmt(b)}{change}")
    return lines


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_golden(name):
    now = observe(name)
    golden = _load()
    if UPDATE:
        golden[name] = now
        _save(golden)
        return
    if name not in golden:
        pytest.fail(f"scenario {name!r} is not in {GOLDEN.name}; generate it with "
                    f"GMPCORE_UPDATE_GOLDEN=1 pytest tests/test_golden.py", pytrace=False)
    lines = diff(golden[name], now)
    if lines:
        shown = lines[:60] + ([f"  ... and {len(lines) - 60} more"] if len(lines) > 60 else [])
        pytest.fail(f"the model's output changed for scenario {name!r} "
                    f"({len(lines)} value(s), golden -> now):\n" + "\n".join(shown) +
                    "\nIf this change is intended, regenerate the golden file and review its "
                    "diff:\n  GMPCORE_UPDATE_GOLDEN=1 pytest tests/test_golden.py && "
                    "git diff tests/data/golden.json", pytrace=False)


def test_golden_file_has_no_stale_scenarios():
    golden = _load()
    stale = sorted(set(golden) - set(SCENARIOS))
    if UPDATE and stale:
        for k in stale:
            del golden[k]
        _save(golden)
        return
    assert not stale, (f"{GOLDEN.name} has scenarios that tests/test_golden.py no longer "
                       f"defines: {stale}; regenerate with GMPCORE_UPDATE_GOLDEN=1")


def test_diff_is_readable():
    g = {"summary": {"steals": 100, "latency_mean_ns": 2.5, "status": "ok", "gone": 1}}
    n = {"summary": {"steals": 110, "latency_mean_ns": 2.5, "status": "deadlock", "new": 2}}
    assert diff(g, n) == [
        "  - summary.gone: 1 (no longer produced)",
        "  + summary.new: 2 (new)",
        "  ~ summary.status: 'ok' -> 'deadlock'",
        "  ~ summary.steals: 100 -> 110  (+10, +10.00%)",
    ]
