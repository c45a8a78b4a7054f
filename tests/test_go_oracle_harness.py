"""tests/go_oracle.py's verdict when a loaded machine disturbs the Go runs: run_go retries
more (8 runs per kept run instead of 4) and, if fewer than 2 runs survive the program's
disturbed-run filter, skips with the load in the reason -- but on a quiet machine that is
still a failure (no Go toolchain needed: /bin/echo stands in for a Go program)."""
from pathlib import Path

import pytest

import go_oracle

ECHO = Path("/bin/echo")
pytestmark = pytest.mark.skipif(not ECHO.exists(), reason="needs /bin/echo")


def _calls(monkeypatch, load):
    monkeypatch.setattr(go_oracle, "load_average", lambda: load)
    n = []

    def valid(meta):
        n.append(1)
        return False                                 # every run "disturbed"
    return n, valid


def test_disturbed_runs_on_a_loaded_machine_skip_with_the_load(monkeypatch):
    n, valid = _calls(monkeypatch, 50.0)
    with pytest.raises(pytest.skip.Exception) as exc:
        go_oracle.run_go(ECHO, ["#x", "1"], valid=valid, runs=2)
    assert "1-minute load 50.00" in str(exc.value) and "only 0 of 16 runs" in str(exc.value)
    assert len(n) == 16                              # 8 attempts per run wanted


def test_disturbed_runs_on_a_quiet_machine_fail(monkeypatch):
    n, valid = _calls(monkeypatch, 0.1)
    with pytest.raises(pytest.fail.Exception) as exc:
        go_oracle.run_go(ECHO, ["#x", "1"], valid=valid, runs=2)
    assert "only 0 of 8 runs" in str(exc.value)
    assert len(n) == 8
