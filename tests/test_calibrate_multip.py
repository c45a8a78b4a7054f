"""The multi-P calibration (issue 14 item 5): the real runs' own speed, the crossing cost
fitted to a burst that keeps both Ps busy (spawn_p2w), and sync.Mutex's spin from the
measured procyield(30).  Deterministic: synthetic measurements, no Go."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import gmpcore
from gmpcore.calibrate import Calibration, predicted_vs_real
from gmpcore.calibrate.core import SPAWN_WORK, _bursts, derive, fit_footprint, spawn_target


def _cal(**derived):
    return Calibration(costs=gmpcore.CostModel(), machine=gmpcore.Machine(procs=2, cores=2,
                                                                       clock_ghz=2.0),
                       derived={"work_ns_per_iter": 1.0, "work_cycles_per_iter": 2.0,
                                **derived})


def _real(work_ns=None, workload="pool", n=800):
    rows = []
    for procs, wall in ((1, 1e6), (2, 8e5)):
        row = {"workload": workload, "procs": procs, "n": n, "work": 16, "rep": 0,
               "wall_ns": wall, "cpu_ns": wall, "latency_mean_ns": 1e3, "latency_p50_ns": 1e3,
               "latency_p90_ns": 2e3, "latency_samples": 100, "load_before": 0.5,
               "load_after": 0.5}
        if work_ns is not None:
            row["work_ns_per_iter"] = work_ns
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_prediction_runs_at_the_real_runs_speed():
    cal = _cal()
    base = predicted_vs_real(cal, _real(), workloads=("pool",))
    same = predicted_vs_real(cal, _real(1.0), workloads=("pool",))
    slow = predicted_vs_real(cal, _real(1.25), workloads=("pool",))
    assert list(base["speed"]) == [1.0, 1.0] and list(slow["speed"]) == [1.25, 1.25]
    assert list(same["pred_wall_ms"]) == list(base["pred_wall_ms"])
    # every emulated time is stretched by the speed; the speed-up is unchanged
    for col in ("pred_wall_ms", "pred_p50_us", "pred_p90_us", "pred_mean_us"):
        assert list(slow[col]) == pytest.approx(list(base[col] * 1.25), rel=1e-12), col
    assert list(slow["pred_speedup"]) == pytest.approx(list(base["pred_speedup"]), rel=1e-12)
    assert list(slow["wall_ratio"]) == pytest.approx(list(base["wall_ratio"] * 1.25), rel=1e-12)


def test_spawn_p2w_is_brought_to_the_calibrations_speed():
    meas = {"work": {"median_ns": 1.0}, "spawn": {"median_ns": 300.0},
            "spawn_p2w": {"median_ns": 500.0, "work_ns_per_iter": 1.25}}
    assert spawn_target(meas, "spawn") == (300.0, 0)
    assert spawn_target(meas, "spawn_p2w") == (400.0, SPAWN_WORK * 1.0)
    assert spawn_target(meas, "spawn_p2w", derived_work_ns=2.0) == (800.0, SPAWN_WORK * 2.0)
    del meas["spawn_p2w"]["work_ns_per_iter"]          # no probe: taken as is
    assert spawn_target(meas, "spawn_p2w") == (500.0, SPAWN_WORK * 1.0)


def test_a_burst_with_work_runs_it_in_every_goroutine():
    res = gmpcore.run(_bursts(50, 2, work=1000), procs=1, seed=1, record=False)
    none = gmpcore.run(_bursts(50, 2), procs=1, seed=1, record=False)
    assert res.summary["goroutines_finished"] == none.summary["goroutines_finished"] == 101
    assert res.summary["emulated_cycles"] - none.summary["emulated_cycles"] == 100 * 1000


def test_g_move_is_fitted_to_the_busy_two_p_burst():
    machine = gmpcore.Machine(procs=2, cores=2, clock_ghz=2.0)
    costs = gmpcore.CostModel(g_move=0)
    from gmpcore.calibrate.core import _per_g
    work = SPAWN_WORK * 2                                  # cycles at 1 ns/iteration, 2 GHz
    at0 = _per_g(costs, machine, 400, True, 2, work)
    target = at0 * 1.3
    meas = {"work": {"median_ns": 1.0},
            "spawn_p2w": {"median_ns": target, "n": 400, "work_ns_per_iter": 1.0}}
    fitted, ratios = fit_footprint(costs, meas, machine)
    assert set(ratios) == {"spawn_p2w"} and abs(ratios["spawn_p2w"] - 1) < 0.02
    assert fitted.g_move > 0
    # spawn_p2 (no work) is no longer a fit target: it alone leaves g_move alone
    only_p2, r2 = fit_footprint(costs, {"spawn_p2": {"median_ns": target, "n": 400}}, machine)
    assert r2 == {} and only_p2.g_move == 0
    # on one core there is nothing to cross
    one, r1 = fit_footprint(costs, meas, dataclasses.replace(machine, cores=1))
    assert r1 == {} and one.g_move == 0


def _measurements(**extra):
    base = {"pingpong": 50.0, "memlat": 50.0, "cas": 5.0, "mutex_uncontended": 14.0,
            "chan_buffered": 32.0, "chan_unbuffered": 170.0, "spawn": 280.0,
            "spawn_200k": 640.0, "gosched": 95.0, "locked_handoff": 3000.0, "newm": 20000.0,
            "mutex_contended": 25.0, "work": 1.0}
    base.update(extra)
    return {k: {"median_ns": v, "min_ns": v, "n": 1000} for k, v in base.items()}


def test_procyield_sets_mutex_spin_and_its_absence_keeps_the_default():
    costs, _ = derive(_measurements(procyield=350.0), {"clock_ghz": 2.0})
    assert costs.mutex_spin == 700
    # measured while the machine ran 1.25x faster than during `work`: brought to its speed
    m = _measurements(procyield=280.0)
    m["procyield"]["work_ns_per_iter"] = 0.8
    costs, _ = derive(m, {"clock_ghz": 2.0})
    assert costs.mutex_spin == 700
    costs, _ = derive(_measurements(), {"clock_ghz": 2.0})
    assert costs.mutex_spin == gmpcore.CostModel().mutex_spin
    assert "mutex_spin" in gmpcore.calibrate.MEASURED_FIELDS


@pytest.mark.parametrize("bad", [0.0, float("nan")])
def test_a_missing_or_broken_probe_means_no_scaling(bad):
    t = predicted_vs_real(_cal(), _real(bad), workloads=("pool",))
    assert list(t["speed"]) == [1.0, 1.0]
