"""The seed article's table in `gmpcore compare` (issue 14 item 6; gmpcore/seed.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gmpcore import seed
from gmpcore.cli import main
from gmpcore.experiments import queue_comparison

CALIB = Path(__file__).resolve().parents[1] / "docs" / "data" / "calibration-dev.toml"


def _seed_block(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("the seed article"))
    block = [lines[start]]
    for x in lines[start + 1:]:
        if not x.startswith("  "):
            break
        block.append(x)
    return block


def test_compare_prints_the_seed_figures_with_a_reason_each(capsys):
    assert main(["compare", "-n", "3000", "-p", "16", "--costs", str(CALIB)]) == 0
    out = capsys.readouterr().out
    block = _seed_block(out)
    assert block[0].startswith("the seed article (10,000,000 goroutines, 16 cores) against "
                               "this run (3,000 goroutines, 16 Ps)")
    rows = block[1:5]
    assert [r.split(":")[0].strip() for r in rows] == [
        "mean scheduling delay (go)", "mean scheduling delay (global)",
        "scheduler overhead (go)", "scheduler overhead (global)"]
    for r, art in zip(rows, ("article 89 ns,", "article 482 ns,", "article 9.1%,",
                             "article 32.7%,")):
        assert art in r
        assert re.search(r"gmpcore [0-9.]+ ?(ns|us|ms|%) -- \S", r), r
    assert "cache miss rates" in block[5]


def test_seed_figures_are_the_runs_own():
    # the predicted figures are the comparison's own latency and the share of P-time not in
    # goroutine code
    df = queue_comparison(goroutines=2000, procs=16, parallel=False)
    rows = {(m, s): (a, p) for m, s, a, p, _ in seed.seed_table(df)}
    byname = {r["strategy"]: r for _, r in df.iterrows()}
    for strat in ("go", "global"):
        r = byname[strat]
        assert rows[("mean scheduling delay", strat)][1] == r["latency_mean_ns"]
        over = 1 - r["user_cycles"] / (min(r["procs"], r["ncores"]) * r["emulated_cycles"])
        assert rows[("scheduler overhead", strat)][1] == pytest.approx(over, abs=0)
        assert 0 < over < 1
    assert rows[("mean scheduling delay", "go")][0] == 89.0
    assert rows[("scheduler overhead", "global")][0] == 0.327
    # user_cycles is the goroutines' own code: 2000 goroutines of Exponential(2000) work
    # (the engine's one RNG also draws victims, so the two runs draw different works)
    for strat in ("go", "global"):
        assert 0.9 * 2000 * 2000 < byname[strat]["user_cycles"] < 1.1 * 2000 * 2000


def test_no_seed_table_without_both_strategies(capsys):
    assert main(["compare", "-n", "2000", "-p", "4", "-s", "go", "-s", "tokio"]) == 0
    assert "the seed article" not in capsys.readouterr().out
