"""gmpcore calibrate: the quick calibration writes a valid file with plausible values, the file
round-trips into run()/compare/load_config, a foreign machine's file loads with a warning, and
the multi-P oracle workloads run in Go and in gmpcore.  No wall time is asserted: the values
only have to be positive and inside ranges no working machine leaves."""
import os
import platform
import re
import warnings
from dataclasses import fields

import pytest

import gmpcore
from gmpcore.calibrate import (MEASURED_FIELDS, CalibrationWarning, go_workloads,
                               load_calibration, predicted_vs_real, twin)
from gmpcore.calibrate.workloads import emulate
from gmpcore.cli import main as cli_main


@pytest.fixture(scope="module")
def quick_file(tmp_path_factory, go_toolchain):
    # the Go program builds once into the user's cache (~/.cache/gmpcore) and is reused
    path = tmp_path_factory.mktemp("calib") / "quick.toml"
    return gmpcore.calibrate(path, quick=True), path


# (low, high) in cycles (at the file's clock) that any machine with a working Go lands in
PLAUSIBLE = {
    "cache_local": (5, 10**6), "cache_mem": (20, 10**6), "runqget": (1, 10**5),
    "lock": (1, 10**5), "chan": (1, 10**5), "newproc": (1, 10**6), "goexit": (1, 10**6),
    "futex_wake": (50, 10**8), "newm": (500, 10**9), "runnext_backoff": (100, 10**9),
}


@pytest.mark.go
def test_quick_calibration_writes_a_valid_file(quick_file):
    cal, path = quick_file
    assert path.is_file()
    back = load_calibration(path)
    assert back.costs == cal.costs
    assert back.machine.clock_ghz == cal.machine.clock_ghz
    assert back.machine.ncores == os.cpu_count()
    for k in ("go_version", "cpu_model", "cores", "clock_ghz", "date", "loadavg_before",
              "loadavg_after", "duration_s"):
        assert k in back.info, k
    assert back.info["go_version"].startswith("go")
    assert back.info["quick"] is True
    for name in MEASURED_FIELDS:
        # the footprint costs are fitted and may floor at 0 (no premium over the base path)
        assert getattr(cal.costs, name) >= (0 if name in ("malg", "g_cold", "g_move") else 1), name
    assert cal.costs.gcache >= 1
    for name, (lo, hi) in PLAUSIBLE.items():
        assert lo <= getattr(cal.costs, name) <= hi, (name, getattr(cal.costs, name))
    # every benchmark has its spread and the load next to it
    for name, m in back.measurements.items():
        assert m["median_ns"] > 0 and m["iqr_ns"] >= 0 and m["reps"] >= 1, name
        assert m["q1_ns"] <= m["median_ns"] <= m["q3_ns"], name
        assert "load_before" in m and "load_after" in m
    d = back.derived
    assert 0.05 < d["work_ns_per_iter"] < 100
    # the benchmarks brought to the work benchmark's speed carry their own probe of the unit
    probed = ["spawn_p2w"] + (["procyield"] if platform.machine().lower() in
                              ("x86_64", "amd64") else [])
    for name in probed:
        assert back.measurements[name]["work_ns_per_iter"] > 0, name
    if os.cpu_count() >= 2:
        assert "fit_spawn_p2w" in d and "fit_spawn_p2" not in d
    assert d["spawn_2k_ns"] > 0 and d["spawn_200k_ns"] > 0
    assert d["sysmon_tick_ns"] is None or d["sysmon_tick_ns"] >= 20_000  # never shorter
    # fields that were not measured keep the defaults, and the file says so
    text = path.read_text()
    for f in fields(gmpcore.CostModel):
        if f.name not in MEASURED_FIELDS:
            assert getattr(cal.costs, f.name) == getattr(gmpcore.CostModel(), f.name)
            assert re.search(rf"^{f.name} = \d+ +# default", text, re.M), f.name


@pytest.mark.go
def test_the_file_round_trips_into_run_compare_and_load_config(quick_file, capsys):
    cal, path = quick_file
    cfg = gmpcore.load_config(path)
    assert cfg["costs"] == cal.costs and cfg["machine"].clock_ghz == cal.machine.clock_ghz
    prog = gmpcore.workloads.burst(500, cal.cycles(200))
    a = gmpcore.run(prog, procs=2, costs=cal.costs, machine=cal.machine_for(2), seed=3)
    b = gmpcore.run(prog, procs=2, costs=cfg["costs"], machine=cfg["machine"], seed=3)
    assert a.status == "ok" and a.summary["goroutines_created"] == 501
    drop = ("wall_s", "events_per_s")
    assert {k: v for k, v in a.summary.items() if k not in drop} == \
        {k: v for k, v in b.summary.items() if k not in drop}
    # compare --costs uses the file's costs, its clock and its cores
    assert cli_main(["compare", "-n", "2000", "-p", "2", "-s", "go", "--costs", str(path),
                     "--json"]) == 0
    out = capsys.readouterr().out
    assert '"ncores":%d' % cal.machine.ncores in out.replace(" ", "")
    default = gmpcore.experiments.queue_comparison(2000, 2, ["go"])
    with_costs = gmpcore.experiments.queue_comparison(2000, 2, ["go"], costs=cal.costs,
                                                      machine=cal.machine_for(2))
    assert default["emulated_ms"][0] != with_costs["emulated_ms"][0]


@pytest.mark.go
def test_a_foreign_machines_file_loads_with_a_warning(quick_file, tmp_path):
    _, path = quick_file
    text = path.read_text()
    text = re.sub(r'^cpu_model = .*$', 'cpu_model = "Some Other CPU 9000"', text, count=1,
                  flags=re.M)
    text = re.sub(r'^cores = \d+$', "cores = 512", text, count=1, flags=re.M)
    foreign = tmp_path / "foreign.toml"
    foreign.write_text(text)
    with pytest.warns(CalibrationWarning, match="Some Other CPU 9000.*512 cores"):
        cal = load_calibration(foreign)
    assert cal.costs == load_calibration(path).costs     # still usable
    with pytest.warns(CalibrationWarning, match="another machine"):
        gmpcore.load_config(foreign)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_calibration(path)                            # this machine's: no warning


@pytest.mark.go
def test_the_cli_writes_a_calibration(tmp_path, capsys, quick_file):
    out = tmp_path / "cli.toml"
    assert cli_main(["calibrate", "--quick", "--quiet", "-o", str(out)]) == 0
    assert load_calibration(out).costs.futex_wake > 0
    assert "wrote" in capsys.readouterr().out


@pytest.mark.go
def test_go_workloads_and_the_prediction_table(quick_file):
    cal, _ = quick_file
    real = go_workloads(procs=(1, 2), n=2000, work=16, reps=1)
    assert len(real) == 10
    assert (real["wall_ns"] > 0).all()
    assert set(real["workload"]) == {"flat", "tree", "pool", "mutex", "pipeline"}
    assert (real["latency_samples"] >= 0).all()
    t = predicted_vs_real(cal, real)
    assert list(t["workload"]) == ["flat", "flat", "tree", "tree", "pool", "pool", "mutex",
                                   "mutex", "pipeline", "pipeline"]
    assert (t.loc[t["procs"] == 1, "real_speedup"] == 1).all()
    assert (t["pred_wall_ms"] > 0).all() and (t["wall_ratio"] > 0).all()


# --- no Go needed -----------------------------------------------------------------------------

def test_twins_have_the_go_programs_shape():
    res = gmpcore.run(twin("flat", 100, 50), procs=2, seed=1)
    assert res.summary["goroutines_created"] == 101
    res = gmpcore.run(twin("tree", 100, 50), procs=2, seed=1)
    # 100 leaves at fan-out 8: 2 top nodes x 8 x 8 = 128 leaves, 2 + 16 inner goroutines
    assert res.summary["goroutines_created"] == 1 + 2 + 16 + 128
    res = gmpcore.run(twin("pool", 1000, 50), procs=2, seed=1)
    assert res.status == "ok" and res.summary["goroutines_created"] == 5
    res = gmpcore.run(twin("mutex", 800, 50), procs=2, seed=1)
    assert res.status == "ok" and res.summary["goroutines_created"] == 9
    res = gmpcore.run(twin("pipeline", 300, 50), procs=2, seed=1)
    # main, three stages and the sink; every value goes through the three stages
    assert res.status == "ok" and res.summary["goroutines_created"] == 5


def test_bad_arguments_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="unknown workload"):
        twin("ring", 10, 1)
    with pytest.raises(ValueError, match="divisible by 8"):
        twin("mutex", 10, 1)
    with pytest.raises(ValueError, match="unknown workload"):
        go_workloads("ring")
    with pytest.raises(ValueError, match="procs"):
        go_workloads("flat", procs=0)
    with pytest.raises(ValueError, match="reps"):
        go_workloads("flat", reps=0)
    plain = tmp_path / "plain.toml"
    gmpcore.save_config({"costs": gmpcore.CostModel()}, plain)
    with pytest.raises(ValueError, match="not a calibration file"):
        load_calibration(plain)
    with pytest.raises(ValueError, match=r"\.toml"):
        load_calibration(tmp_path / "x.json")
    bad = tmp_path / "bad.toml"
    bad.write_text('[calibration]\nformat = 1\n[machine]\nclock_ghz = 2.0\n[costs]\n'
                   'futex_wake = -5\n')
    with pytest.raises(ValueError, match="futex_wake"):
        load_calibration(bad)


def test_calibrate_is_a_callable_package():
    assert callable(gmpcore.calibrate)
    assert gmpcore.calibrate.go_workloads is go_workloads
    assert gmpcore.load_calibration is load_calibration
    assert emulate is gmpcore.calibrate.workloads.emulate


def _synthetic(**medians):
    from gmpcore.calibrate import Calibration
    meas = {k: {"median_ns": v, "n": 2000, "unit": "ns/op"} for k, v in medians.items()}
    return Calibration(costs=gmpcore.CostModel(), machine=gmpcore.Machine(procs=2, cores=2),
                       measurements=meas)


def test_the_fit_makes_gmpcore_reproduce_its_microbenchmarks():
    from gmpcore.calibrate.core import fit
    cal = _synthetic(chan_buffered=80.0, chan_unbuffered=400.0, mutex_uncontended=30.0)
    costs, ratios = fit(cal.costs, cal.measurements, cal.machine)
    assert set(ratios) == {"chan_buffered", "chan_unbuffered", "mutex_uncontended"}
    for bench, r in ratios.items():
        assert abs(r - 1) < 0.05, (bench, r)
    # the ratios of a group stay the defaults' (park:ready:schedule:execute = 150:100:40:100)
    assert abs(costs.park / costs.ready - 1.5) < 0.05
    assert costs.gosched == gmpcore.CostModel().gosched        # no measurement, no change
    # emulating the fitted costs gives the measured values back
    cal.costs = costs
    sc = gmpcore.calibrate.selfcheck(cal, ("chan_buffered", "mutex_uncontended"))
    assert list(sc["benchmark"]) == ["chan_buffered", "mutex_uncontended"]
    assert (abs(sc["ratio"] - 1) < 0.05).all()


def test_a_measurement_below_gmpcores_own_overheads_floors_at_one_cycle():
    from gmpcore.calibrate.core import fit
    cal = _synthetic(chan_buffered=1.0)
    costs, ratios = fit(cal.costs, cal.measurements, cal.machine)
    assert costs.chan == 1 and ratios["chan_buffered"] > 1


def test_a_saved_calibration_feeds_a_sweep(tmp_path):
    import dataclasses
    from gmpcore.calibrate import Calibration, machine_info
    here = machine_info()
    cal = Calibration(costs=gmpcore.CostModel(chan=33, futex_wake=4321),
                      machine=gmpcore.Machine(procs=2, cores=here["cores"], clock_ghz=2.5),
                      info={"format": 1, "cpu_model": here["cpu_model"],
                            "cores": here["cores"], "loadavg_before": [0.5, 0.25, 0.125]},
                      measurements={"cas": {"median_ns": 5.0, "unit": "ns/op", "n": 10}},
                      derived={"work_cycles_per_iter": 3.0})
    path = cal.save(tmp_path / "c.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = load_calibration(path)
    assert back.costs == cal.costs and back.machine.clock_ghz == 2.5
    assert back.info["loadavg_before"] == [0.5, 0.25, 0.125]
    assert back.measurements["cas"]["median_ns"] == 5.0 and back.work_cycles(10) == 30
    df = gmpcore.sweep(gmpcore.RunSpec(goroutines=300, costs=dataclasses.asdict(back.costs),
                                       machine={"clock_ghz": back.machine.clock_ghz}),
                       {"procs": [1, 2]}, seeds=1, executor="serial", progress=False)
    assert list(df["status"]) == ["ok", "ok"]
    direct = gmpcore.run(gmpcore.workloads.burst(300, gmpcore.Exponential(2000)), procs=2, seed=0,
                         costs=back.costs, machine=gmpcore.Machine(procs=2, clock_ghz=2.5))
    assert df["emulated_ns"].iloc[1] == direct.summary["emulated_ns"]
