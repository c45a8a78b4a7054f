"""The command line: the main job works, and bad input gets a clear message and exit code 2."""
import json
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
    (["compare", "--seed", "-1"], "--seed must be >= 0"),
    (["compare", "--spawn", "star"], "invalid choice: 'star'"),
    (["compare", "--layout", "tight"], "invalid choice: 'tight'"),
    (["compare", "--sockets", "3", "--procs", "16"], "Machine.sockets (3) must divide"),
    (["compare", "--cores", "999"], "Machine.cores must be between 1 and 256"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["scenario", "72h"], "invalid choice: '72h'"),
    (["scenario", "gc-stw", "--procs", "0"], "--procs must be between 1 and 1024"),
])
def test_bad_cli_input_exits_2_with_a_clear_message(args, message):
    r = run_cli(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
