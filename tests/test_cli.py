"""The command line: the main job works, and bad input gets a clear message and exit code 2."""
import json
import os
import subprocess
import sys

import pytest

from gmpcore.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gmpcore", *args], capture_output=True,
                          text=True, timeout=120)


def test_compare_prints_the_comparison():
    r = run_cli("compare", "--goroutines", "20k", "--procs", "4")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "sched latency p99 (ns)" in out and "cache miss rate" in out
    assert "sched.lock acquisitions" in out and "cache misses by line" in out
    head = out.splitlines()[2].split()
    assert head == ["go", "global"]


def test_compare_json_is_machine_readable(capsys):
    assert main(["compare", "-n", "5000", "-p", "2", "-s", "go", "-s", "tokio", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["strategy"] for r in rows] == ["go", "tokio"]
    assert all(r["goroutines"] == 5000 and r["status"] == "ok" for r in rows)


def test_strategies_lists_every_preset(capsys):
    import gmpcore
    assert main(["strategies"]) == 0
    out = capsys.readouterr().out
    for name in gmpcore.strategies:
        assert f"\n{name}\n" in "\n" + out


def test_scenario_lists_and_runs_the_incidents(capsys):
    from gmpcore.cli import SCENARIOS
    assert main(["scenario"]) == 0
    out = capsys.readouterr().out
    assert all(f"\n{name}\n" in "\n" + out for name in SCENARIOS)
    assert main(["scenario", "per-p-counters"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["shared", "per-P", "padded"]
    transfers = next(l for l in lines if l.startswith("line_transfers")).split()[1:]
    assert int(transfers[2].replace(",", "")) * 100 < int(transfers[1].replace(",", ""))
    assert main(["scenario", "context-leak", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["orphans"] for r in rows] == [200, 0]
    assert main(["scenario", "leaky-pipeline"]) == 0
    assert "[chan send] main.producer on src" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["compare", "--goroutines", "-5"], "count must be a positive integer"),
    (["compare", "--goroutines", "lots"], "not a count"),
    (["compare", "--goroutines", "1.5"], "count must be a positive integer"),
    (["compare", "--procs", "0"], "--procs must be between 1 and 1024"),
    (["compare", "--procs", "5000"], "--procs must be between 1 and 1024"),
    (["compare", "--strategy", "fifo"], "invalid choice: 'fifo'"),
    (["compare", "--work", "gamma:3"], "unknown work distribution 'gamma'"),
    (["compare", "--work", "uniform:10"], "uniform takes 2 number"),
    (["compare", "--work", "uniform:10:5"], "Uniform.high"),
    (["compare", "--work", "exp:-3"], "must be a finite number >= 0"),
    (["compare", "--seed", "-1"], "--seed must be between 0 and 2**64-1"),
    (["compare", "--spawn", "star"], "invalid choice: 'star'"),
    (["compare", "--layout", "tight"], "invalid choice: 'tight'"),
    (["compare", "--sockets", "3", "--procs", "16"], "--sockets (3) must divide"),
    (["compare", "--cores", "999"], "--cores must be between 1 and 256"),
    (["compare", "-n", "inf"], "count must be a positive integer, got 'inf'"),
    (["compare", "-n", "1000", "--fanout", "4"], "--fanout applies to --spawn tree only"),
    (["compare", "-n", "1000", "--spawn", "tree", "--fanout", "1"], "--fanout must be at least 2"),
    (["compare", "-n", "1000", "--schedtrace", "-1"], "--schedtrace must be a number of ms"),
    (["compare", "-n", "2G"], "over the memory limit"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["scenario", "72h"], "invalid choice: '72h'"),
    (["scenario", "gc-stw", "--procs", "0"], "--procs must be between 1 and 1024"),
])
def test_bad_cli_input_exits_2_with_a_clear_message(args, message):
    r = run_cli(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr     # one line, no usage dump


# --- files, stores, executors: every error is one line and exit status 2 -----------------------

# this checkout's gmpcore, whatever the working directory of the command
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
     *filter(None, [os.environ.get("PYTHONPATH")])])}


def _files(tmp_path):
    (tmp_path / "huge.toml").write_text("[base]\ngoroutines = 100\n[grid]\n"
                                        "procs = [1, 100000000000000000000000000]\n")
    (tmp_path / "huge2.toml").write_text("[base]\ngoroutines = 100000000000000000000000000\n")
    (tmp_path / "mod.toml").write_text('[base]\nworkload = "no_such_module:f"\ngoroutines = 9\n')
    (tmp_path / "deep.toml").write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    (tmp_path / "deep.json").write_text('{"machine": ' + "[" * 50_000 + "]" * 50_000 + "}")
    (tmp_path / "store.toml").write_text('[sweep]\nstore = "/proc/no/such/runs.csv"\n'
                                         '[base]\ngoroutines = 100\n')
    (tmp_path / "dask.toml").write_text('[sweep]\nexecutor = "tcp://127.0.0.1:1"\n'
                                        '[base]\ngoroutines = 100\n')
    (tmp_path / "run.toml").write_text("[run]\nprocs = 5000\n")
    (tmp_path / "big.json").write_text(" " * (5 << 20) + "{}")
    os.mkfifo(tmp_path / "fifo.toml")


@pytest.mark.parametrize("args,message", [
    (["sweep", "huge.toml"], "Machine.procs must be between 1 and 1024"),
    (["sweep", "huge2.toml"], "goroutines must be between 0 and 2**63-1"),
    (["sweep", "mod.toml"], "cannot import 'no_such_module:f': No module named"),
    (["sweep", "deep.toml"], "nested too deeply"),
    (["run", "deep.json"], "nested too deeply"),
    (["sweep", "store.toml"], "cannot write the store /proc/no/such/runs.csv"),
    (["sweep", "fifo.toml"], "is not a regular file"),
    (["run", "fifo.toml"], "is not a regular file"),
    (["run", "/dev/zero"], "config files are .toml or .json"),
    (["run", "big.json"], "at most 4,194,304 are read"),
    (["run", "run.toml"], "run.procs must be between 1 and 1024, got 5000"),
    (["run", "missing.toml"], "No such file or directory"),
    (["sweep", "dask.toml"], "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 5 s"),
    (["sweep", "mod.toml", "--columns", "latency_p99,steals"],
     "--columns: unknown metric 'latency_p99'; did you mean"),
])
def test_bad_files_exit_2_with_one_line(tmp_path, args, message):
    _files(tmp_path)
    r = subprocess.run([sys.executable, "-m", "gmpcore", *args, "--no-progress"]
                       if args[0] == "sweep" else [sys.executable, "-m", "gmpcore", *args],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_ENV)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_load_config_refuses_fifos_devices_and_huge_files(tmp_path):
    import gmpcore
    _files(tmp_path)
    with pytest.raises(ValueError, match="not a regular file"):
        gmpcore.load_config(tmp_path / "fifo.toml")
    with pytest.raises(ValueError, match="at most"):
        gmpcore.load_config(tmp_path / "big.json")
    with pytest.raises(ValueError, match="nested too deeply"):
        gmpcore.load_config(tmp_path / "deep.json")


def test_run_a_saved_config_with_export_flags(tmp_path):
    import gmpcore
    pytest.importorskip("matplotlib")
    gmpcore.save_config({"machine": gmpcore.Machine(procs=2), "strategy": gmpcore.Strategy(),
                         "run": {"seed": 3, "goroutines": 500, "work": "exp:3000"}},
                        tmp_path / "exp.toml")
    r = subprocess.run([sys.executable, "-m", "gmpcore", "run", "exp.toml", "--trace", "t.trace",
                        "--perfetto", "t.json", "--plot", "t.png"], capture_output=True,
                       text=True, timeout=120, cwd=tmp_path, env={**_ENV, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr
    assert "goroutines created       501" in r.stdout
    for f in ("t.trace", "t.json", "t.png"):
        assert (tmp_path / f).stat().st_size > 0
    # the same run from Python
    res = gmpcore.run(gmpcore.workloads.burst(500, gmpcore.Exponential(3000)), procs=2, seed=3)
    r = run_cli("run", str(tmp_path / "exp.toml"), "--json")
    assert json.loads(r.stdout)["emulated_cycles"] == res.summary["emulated_cycles"]
    r = run_cli("run", str(tmp_path / "exp.toml"), "--workload", "nope")
    assert r.returncode == 2 and "--workload: unknown workload 'nope'" in r.stderr


def test_sweep_counts_runs_stopped_at_max_events(tmp_path):
    cfg = tmp_path / "me.toml"
    cfg.write_text("[base]\ngoroutines = 3000\nmax_events = 1000\n[grid]\nprocs = [1, 2]\n")
    r = run_cli("sweep", str(cfg), "--executor", "serial", "--no-progress")
    assert r.returncode == 1
    assert "0 failed, 2 stopped early" in r.stdout
    assert "procs=2, seed 0: max_events" in r.stdout


def test_compare_tree_header_counts_the_goroutines_that_ran():
    r = run_cli("compare", "-n", "1000", "--spawn", "tree", "--fanout", "4", "-p", "2", "--json")
    created = json.loads(r.stdout)[0]["goroutines_created"]
    r = run_cli("compare", "-n", "1000", "--spawn", "tree", "--fanout", "4", "-p", "2")
    assert r.stdout.startswith(f"gmpcore compare: {created - 1:,} goroutines (tree: -n 1,000, "
                               f"fanout 4)")
