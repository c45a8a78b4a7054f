"""gmpcore.sweep: grids, executors (local pool, serial, Dask), failures, the resumable store,
the `gmpcore sweep` command, and the notebooks' stripped outputs."""
import concurrent.futures as cf
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import gmpcore
from gmpcore import workloads
from gmpcore.sweeps import (FAILED, NONDETERMINISTIC_COLUMNS, RunSpec, expand_grid, load_store,
                            point_key, run_point, summarize)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def deterministic(df):
    """The columns that are a pure function of (parameters, seed), sorted by key."""
    return (df.drop(columns=[c for c in NONDETERMINISTIC_COLUMNS if c in df.columns])
            .sort_values("key").reset_index(drop=True))


# module-level workloads: workers import them by reference ("test_sweep:flaky")

def flaky(goroutines, work, mode="ok"):
    """A burst that raises, or kills its worker process, on demand."""
    if mode == "raise":
        raise ValueError(f"boom at {goroutines}")
    if mode == "exit":
        os._exit(3)
    return workloads.burst(goroutines, work)


def killer(goroutines, work):
    """A burst that kills the *sweeping* process (serial executor) at one point."""
    if str(goroutines) == os.environ.get("GMPCORE_TEST_KILL_AT"):
        os.kill(os.getpid(), signal.SIGKILL)
    return workloads.burst(goroutines, work)


def not_a_program(goroutines, work):
    return 42


def next_victims(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    """A choose_victim policy (plain Python: compiled as a kernel where it is used)."""
    if i >= nprocs:
        return -1
    return (thief + 1 + i) % nprocs


# --- grids and keys ----------------------------------------------------------------------------

def test_grid_expands_in_order_with_flattened_columns():
    pts, cols = expand_grid(RunSpec(goroutines=1000, machine={"cache": True}),
                            {"procs": [2, 4], "machine.layout": ["go", "padded"]}, seeds=[7, 8])
    assert len(pts) == 8
    assert cols == ["workload", "goroutines", "work", "procs", "strategy", "machine.cache",
                    "machine.layout"]
    assert [(p.params["procs"], p.params["machine.layout"], p.seed) for p in pts[:4]] == [
        (2, "go", 7), (2, "go", 8), (2, "padded", 7), (2, "padded", 8)]
    assert len({p.key for p in pts}) == 8
    # what is sent is plain data
    json.dumps([p.spec for p in pts])


def test_keys_are_stable_and_ignore_explicit_defaults():
    (a,), _ = expand_grid({"goroutines": 1000}, None, seeds=[3])
    (b,), _ = expand_grid({"goroutines": 1000, "machine.layout": "go", "costs.futex_wake": 6000,
                           "work": "exp:2000.0", "strategy_opts.steal_passes": 4}, None,
                          seeds=[3])
    assert a.key == b.key
    (c,), _ = expand_grid({"goroutines": 1000}, None, seeds=[4])
    assert c.key != a.key
    # the canonical form is pinned: changing it would orphan every store written so far
    assert a.canon == {"workload": "burst", "goroutines": 1000, "work": "exp:2000", "args": {},
                       "procs": 4, "strategy": "go", "strategy_opts": {}, "machine": {},
                       "costs": {}, "max_events": None, "max_cycles": None}
    assert a.key == point_key(a.canon, 3) == "3de578ba52144516"


def test_work_and_strategy_forms():
    pts, _ = expand_grid(None, {"work": [2000, "exp:2000", gmpcore.Uniform(100, 300),
                                         gmpcore.LogNormal(2000, 1.5)]})
    assert [p.params["work"] for p in pts] == ["2000", "exp:2000", "uniform:100:300",
                                               "lognormal:2000:1.5"]
    custom = gmpcore.Strategy(name="go-2passes", steal_passes=2)
    pts, _ = expand_grid(None, {"strategy": ["go", custom, gmpcore.STRATEGIES["global"]]})
    assert [p.params["strategy"] for p in pts] == ["go", "go-2passes", "global"]
    assert pts[1].spec["strategy"] == {"name": "go-2passes", "steal_passes": 2}


def test_runspec_runs_in_process_like_a_sweep_row():
    spec = RunSpec.coerce({"goroutines": 3000, "procs": 8, "machine.layout": "padded",
                           "costs": {"futex_wake": 3000}})
    assert spec.machine == {"layout": "padded"} and spec.costs == {"futex_wake": 3000}
    prog, kw = spec.build(seed=2)
    assert kw["machine"].layout == "padded" and kw["costs"].futex_wake == 3000
    res = spec.run(seed=2)
    (row,) = gmpcore.sweep(spec, None, seeds=[2], executor="serial",
                           progress=False).to_dict("records")
    assert row["events"] == res.summary["events"]
    assert row["latency_p99_ns"] == res.summary["latency_p99_ns"]
    assert row["machine.layout"] == "padded" and row["costs.futex_wake"] == 3000


@pytest.mark.parametrize("grid, error, match", [
    ({"proc": [1]}, ValueError, "did you mean 'procs'"),
    ({"machine.layot": ["go"]}, ValueError, "did you mean 'machine.layout'"),
    ({"costs.futex": [1]}, ValueError, "costs has no field 'futex'.*futex_wake"),
    ({"machine.procs": [2]}, ValueError, "use 'procs'"),
    ({"machine": [{"layout": "go"}]}, ValueError, "one field, e.g. 'machine.layout'"),
    ({"seed": [1, 2]}, ValueError, "seeds="),
    ({"procs": 4}, TypeError, r"list of values.*\[4\]"),
    ({"procs": []}, ValueError, "is empty"),
    ({"machine.layout": ["go", "weird"]}, ValueError, "machine.layout='weird'.*layout must be"),
    ({"procs": [2, 2]}, ValueError, "repeats a point"),
    ({"strategy": ["go", "nope"]}, ValueError, "unknown strategy 'nope'"),
    ({"args.fanot": [2]}, ValueError, "no argument 'fanot'"),
    ({"work": ["exp:abc"]}, ValueError, "cannot parse work"),
    ({"workload": ["bursty"]}, ValueError, "unknown workload 'bursty'"),
    ({"workload": [lambda goroutines, work: None]}, TypeError, "module-level function"),
    ([{"procs": 2}, 3], TypeError, "list of dicts|hold dicts"),
])
def test_bad_grids_fail_before_running(grid, error, match):
    with pytest.raises(error, match=match):
        gmpcore.sweep({"goroutines": 100}, grid, executor="serial", progress=False)


def test_bad_base_and_seeds():
    with pytest.raises(ValueError, match="unknown base key 'goroutine'"):
        gmpcore.sweep({"goroutine": 10}, None, progress=False)
    with pytest.raises(ValueError, match="duplicates"):
        gmpcore.sweep(None, None, seeds=[1, 1], progress=False)
    with pytest.raises(TypeError, match="executor"):
        gmpcore.sweep(None, None, executor=object(), progress=False)


# --- running ------------------------------------------------------------------------------------

GRID = {"procs": [2, 8], "strategy": ["go", "global"]}


def test_local_pool_equals_serial_and_matches_run():
    base = RunSpec(goroutines=5000, work="uniform:100:3000")
    pool = gmpcore.sweep(base, GRID, seeds=2, progress=False)
    serial = gmpcore.sweep(base, GRID, seeds=2, executor="serial", progress=False)
    assert len(pool) == 8 and (pool["status"] == "ok").all()
    pd.testing.assert_frame_equal(deterministic(pool), deterministic(serial))
    assert pool.attrs["sweep"]["ran"] == 8
    # a row is what gmpcore.run gives for the same inputs
    row = pool.iloc[-1]
    res = gmpcore.run(workloads.burst(5000, gmpcore.Uniform(100, 3000)), procs=8,
                      strategy="global", seed=1, record=False)
    for k in ("events", "emulated_cycles", "latency_p99_ns", "cache_misses", "lock_contended"):
        assert row[k] == res.summary[k], k
    assert row["misses[sched.lock]"] == res.cache.loc["sched.lock", "misses"]
    # integer metrics stay integers
    assert pool["events"].dtype == "int64" and pool["latency_mean_ns"].dtype == "float64"


def test_nested_keys_custom_workloads_and_strategy_opts():
    grid = [{"workload": "tree", "args.fanout": 4, "machine.layout": "padded"},
            {"workload": "test_sweep:flaky", "costs.futex_wake": 1000},
            {"workload": flaky, "strategy_opts.steal_passes": 1}]
    df = gmpcore.sweep({"goroutines": 300}, grid, executor="serial", progress=False)
    assert list(df["status"]) == ["ok"] * 3
    assert list(df["workload"]) == ["tree", "test_sweep:flaky", "test_sweep:flaky"]
    assert df["args.fanout"].iloc[0] == 4 and pd.isna(df["args.fanout"].iloc[1])
    tree = gmpcore.run(workloads.tree(300, gmpcore.Exponential(2000), fanout=4), procs=4,
                       machine=gmpcore.Machine(layout="padded"), record=False)
    assert df["events"].iloc[0] == tree.summary["events"]
    assert df["strategy_opts.steal_passes"].iloc[2] == 1
    # the point function itself: plain data in, plain data out
    (p,), _ = expand_grid({"goroutines": 300}, None)
    out = run_point(p.spec, 0)
    assert out["status"] == "ok" and out["goroutines_created"] == 301
    json.dumps(out)


def test_kernels_travel_by_reference_and_compile_in_the_worker():
    pytest.importorskip("numba")
    ref = {"kernel": "choose_victim", "ref": "test_sweep:next_victims"}
    kernel = gmpcore.kernel("choose_victim")(next_victims)
    pts, _ = expand_grid(None, {"strategy_opts.victim": [kernel]})
    assert pts[0].spec["strategy_opts"]["victim"] == ref          # plain data
    df = gmpcore.sweep({"goroutines": 5000, "procs": 8}, {"strategy_opts.victim": ["go", ref]},
                       seeds=1, executor=2, progress=False)
    assert df["status"].tolist() == ["ok", "ok"]
    assert df["strategy_opts.victim"].tolist() == ["go", "test_sweep:next_victims"]
    res = gmpcore.run(workloads.burst(5000, gmpcore.Exponential(2000)), procs=8, seed=0,
                      strategy=gmpcore.Strategy(victim=kernel), record=False)
    assert df["events"].iloc[1] == res.summary["events"]
    assert df["steals"].iloc[1] == res.summary["steals"]


@pytest.mark.parametrize("pool", ["ours", "users"])
def test_failed_points_are_recorded_and_the_sweep_goes_on(tmp_path, pool):
    store = tmp_path / "runs.parquet"
    grid = {"goroutines": [1000, 2000, 3000], "args.mode": ["ok", "raise", "exit"]}
    kw = dict(base={"workload": "test_sweep:flaky"}, grid=grid, seeds=1, executor=2,
              progress=False, store=store)
    if pool == "users":
        # a pool the caller owns: when it breaks, the sweep goes on in a pool of its own
        with cf.ProcessPoolExecutor(2) as user_pool:
            df = gmpcore.sweep(**{**kw, "executor": user_pool})
    else:
        df = gmpcore.sweep(**kw)
    assert len(df) == 9
    by_mode = df.groupby("args.mode")["status"].apply(list).to_dict()
    assert by_mode == {"ok": ["ok"] * 3, "raise": [FAILED] * 3, "exit": [FAILED] * 3}
    raised = df[df["args.mode"] == "raise"]
    assert raised["error"].str.contains("ValueError: boom at").all()
    died = df[df["args.mode"] == "exit"]
    assert died["error"].str.contains("worker process died").all()
    ok = df[df["status"] == "ok"]
    assert (ok["goroutines_created"] == ok["goroutines"] + 1).all()
    assert ok["error"].isna().all()
    assert df.attrs["sweep"]["failed"] == 6

    # the store has every point; a rerun retries only the failed ones
    stored = load_store(store)
    assert sorted(stored["key"]) == sorted(df["key"])
    again = gmpcore.sweep(**kw)
    assert again.attrs["sweep"]["ran"] == 6 and again.attrs["sweep"]["skipped"] == 3
    keep = again["status"] == "ok"
    assert list(again.loc[keep, "worker"]) == list(ok["worker"])     # not recomputed
    again = gmpcore.sweep(**{**kw}, retry_failed=False)
    assert again.attrs["sweep"]["ran"] == 0


KILL_SCRIPT = """
import gmpcore
gmpcore.sweep({{"workload": "test_sweep:killer", "goroutines": 1000}},
              {{"goroutines": {goroutines}}}, seeds=2, executor="serial", progress=False,
              store={store!r})
raise SystemExit("the sweep was supposed to be killed")
"""


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_killed_sweep_keeps_finished_points_and_resumes(tmp_path, fmt):
    store = tmp_path / f"runs.{fmt}"
    goroutines = [1000 * i for i in range(1, 9)]
    env = dict(os.environ, GMPCORE_TEST_KILL_AT="5000",
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, "-c", KILL_SCRIPT.format(goroutines=goroutines,
                                                                 store=str(store))],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr
    # killed while running the 9th point (goroutines=5000, seed 0): 8 finished, in the journal
    assert not store.exists() and Path(f"{store}.journal").exists()
    stored = load_store(store)
    assert len(stored) == 8 and sorted(set(stored["goroutines"])) == [1000, 2000, 3000, 4000]
    assert (stored["status"] == "ok").all()

    base = {"workload": "test_sweep:killer", "goroutines": 1000}
    resumed = gmpcore.sweep(base, {"goroutines": goroutines}, seeds=2, progress=False,
                            store=store)
    st = resumed.attrs["sweep"]
    assert (st["ran"], st["skipped"], st["failed"]) == (8, 8, 0)
    assert store.exists() and not Path(f"{store}.journal").exists()
    fresh = gmpcore.sweep(base, {"goroutines": goroutines}, seeds=2, executor="serial",
                          progress=False)
    pd.testing.assert_frame_equal(deterministic(resumed), deterministic(fresh))
    # the stored rows are the killed process's own, not recomputed
    first = resumed[resumed["goroutines"] <= 4000]
    assert set(first["worker"]) == set(stored["worker"]) and len(set(stored["worker"])) == 1


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_store_round_trip_keeps_dtypes(tmp_path, fmt):
    store = tmp_path / f"s.{fmt}"
    grid = {"workload": ["test_sweep:flaky"], "args.mode": ["ok", "raise"], "procs": [1, 3]}
    first = gmpcore.sweep({"goroutines": 500}, grid, seeds=[5], executor="serial",
                          progress=False, store=store, retry_failed=False)
    second = gmpcore.sweep({"goroutines": 500}, grid, seeds=[5], executor="serial",
                           progress=False, store=store, retry_failed=False)
    assert second.attrs["sweep"]["ran"] == 0
    pd.testing.assert_frame_equal(first, second)
    assert first["events"].dtype == "Int64"                # failed rows have none
    # a wider sweep over the same store reuses the points it shares
    wider = gmpcore.sweep({"goroutines": 500}, {**grid, "procs": [1, 3, 5]}, seeds=[5],
                          executor="serial", progress=False, store=store, retry_failed=False)
    assert wider.attrs["sweep"]["ran"] == 2
    assert len(load_store(store)) == 6


def test_store_is_locked_and_tolerates_a_cut_journal_line(tmp_path):
    from gmpcore.sweeps.store import _Store
    store = tmp_path / "s.parquet"
    gmpcore.sweep({"goroutines": 200}, {"procs": [1, 2]}, executor="serial", progress=False,
                  store=store)
    held = _Store(store)
    held.open()
    try:
        with pytest.raises(RuntimeError, match="in use by another running sweep"):
            gmpcore.sweep({"goroutines": 200}, {"procs": [1, 2]}, progress=False, store=store)
    finally:
        held.close()
    # a kill in the middle of writing a journal line leaves half a line: ignored
    with open(f"{store}.journal", "w") as f:
        f.write('{"key": "abc", "status": "o')
    df = gmpcore.sweep({"goroutines": 200}, {"procs": [1, 2, 3]}, executor="serial",
                       progress=False, store=store)
    assert df.attrs["sweep"]["ran"] == 1 and len(load_store(store)) == 3
    with pytest.raises(ValueError, match=".parquet or .csv"):
        gmpcore.sweep(None, None, store=tmp_path / "x.txt")


def test_progress_bar_reports_points_and_failures(capsys):
    gmpcore.sweep({"workload": "test_sweep:flaky", "goroutines": 100},
                  {"args.mode": ["ok", "raise"]}, executor="serial", progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "failed=1" in err


def test_workload_returning_garbage_is_a_failed_point():
    df = gmpcore.sweep({"workload": "test_sweep:not_a_program", "goroutines": 10}, None,
                       executor="serial", progress=False)
    assert df["status"].tolist() == [FAILED]
    assert "not a gmpcore.Program" in df["error"].iloc[0]


def test_summarize_means_over_seeds():
    df = gmpcore.sweep({"goroutines": 2000}, GRID, seeds=2, executor="serial", progress=False)
    s = summarize(df, ["latency_mean_ns", "steals"], spread=False)
    assert list(s.columns) == ["procs", "strategy", "runs", "failed", "latency_mean_ns",
                               "steals"]
    assert s["runs"].tolist() == [2] * 4
    g = df[(df["procs"] == 8) & (df["strategy"] == "go")]
    assert s["latency_mean_ns"].iloc[2] == pytest.approx(g["latency_mean_ns"].mean())


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_dataframe():
    from distributed import Client, LocalCluster
    base = RunSpec(goroutines=10_000)
    grid = {"procs": [2, 8], "strategy": ["go", "global"]}
    local = gmpcore.sweep(base, grid, seeds=1, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        with cf.ThreadPoolExecutor(1) as guard:        # a hang fails the test, not CI
            fut = guard.submit(gmpcore.sweep, base, grid, seeds=1,
                               executor=client.get_executor(), progress=False)
            remote = fut.result(timeout=120)
        dask_pids = set(client.run(os.getpid).values())
    assert len(remote) == 4 and (remote["status"] == "ok").all()
    # it really ran on the cluster's worker processes
    assert {int(w.rsplit(":", 1)[1]) for w in remote["worker"]} <= dask_pids
    pd.testing.assert_frame_equal(deterministic(remote), deterministic(local))


# --- the command ----------------------------------------------------------------------------------

def test_cli_sweep_runs_a_toml_file(tmp_path, capsys):
    from gmpcore.cli import main
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(textwrap.dedent("""
        [sweep]
        seeds = [1, 2]
        store = "out/runs.csv"
        executor = "local"
        summary = ["latency_mean_ns", "cache_miss_rate"]

        [base]
        goroutines = 2000
        work = "exp:1000"
        machine = { cache = true }

        [grid]
        procs = [2, 4]
        "machine.layout" = ["go", "padded"]
    """))
    assert main(["sweep", str(cfg), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "8 runs (8 run now, 0 from the store" in out
    lines = out.strip().splitlines()
    assert lines[2].startswith("each metric: mean over seeds ± the half-width of its 95%")
    assert lines[4].split() == ["procs", "machine.layout", "runs", "failed", "latency_mean_ns",
                                "cache_miss_rate"]
    assert len(lines) == 5 + 4
    assert all(line.count("±") == 2 for line in lines[5:])
    assert (tmp_path / "out" / "runs.csv").exists()
    assert main(["sweep", str(cfg), "--no-progress", "--columns", "steals"]) == 0
    assert "(0 run now, 8 from the store" in capsys.readouterr().out
    assert main(["sweep", str(cfg), "--no-progress", "--json", "--executor", "serial"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 8


def test_cli_sweep_reports_failures_and_bad_files(tmp_path, capsys):
    from gmpcore.cli import main
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[base]\nworkload = "test_sweep:flaky"\ngoroutines = 100\n'
                   '[grid]\n"args.mode" = ["ok", "raise"]\n')
    assert main(["sweep", str(cfg), "--no-progress", "--executor", "serial"]) == 1
    out = capsys.readouterr().out
    assert "1 failed run(s)" in out and "ValueError: boom at 100" in out
    cfg.write_text('[grid]\nprocz = [1]\n')
    assert main(["sweep", str(cfg)]) == 2
    assert "did you mean 'procs'" in capsys.readouterr().err


# --- notebooks --------------------------------------------------------------------------------------

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_outputs_are_stripped(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{path.name}: commit notebooks without outputs (jupyter nbconvert "
                f"--clear-output --inplace {path.name})")


def test_summarize_reports_spread_across_seeds():
    df = gmpcore.sweep({"goroutines": 2000}, {"procs": [2, 4]}, seeds=3, executor="serial",
                       progress=False)
    t = summarize(df, ["latency_mean_ns"])
    assert list(t.columns) == ["procs", "runs", "failed", "latency_mean_ns",
                               "latency_mean_ns_std", "latency_mean_ns_ci95"]
    for procs, row in zip((2, 4), t.itertuples(index=False)):
        vals = df.loc[df["procs"] == procs, "latency_mean_ns"].to_numpy(dtype=float)
        assert row.latency_mean_ns == pytest.approx(vals.mean())
        assert row.latency_mean_ns_std == pytest.approx(vals.std(ddof=1))
        assert row.latency_mean_ns_ci95 == pytest.approx(4.303 * vals.std(ddof=1) / 3 ** 0.5)
    one = summarize(df[df["seed"] == 0], ["latency_mean_ns"])
    assert one["latency_mean_ns_ci95"].isna().all()
    assert "latency_mean_ns_std" not in summarize(df, ["latency_mean_ns"], spread=False)
