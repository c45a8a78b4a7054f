"""The documentation runs as written: every ```python block of README.md and docs/*.md is
executed (the blocks of one file in order, in one namespace, in a scratch directory), and every
console block that shows `$ gmpcore ...` with its output is run and its output compared line
by line.  A block preceded by `<!-- docs-test: skip (reason) -->` is not run."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- docs-test: skip[^>]*-->\n)?```(\w*)\n(.*?)```", re.S)


def blocks(path):
    """(language, text, skipped) of every fenced block."""
    return [(m.group(2), m.group(3), bool(m.group(1))) for m in BLOCK.finditer(path.read_text())]


def _setup(ns):
    """Names the docs use without defining them: a small program `prog`, and imports."""
    import gmpcore
    from gmpcore import scenarios, workloads
    prog = workloads.burst(2000, gmpcore.Exponential(2000))
    ns.update(gmpcore=gmpcore, scenarios=scenarios, workloads=workloads, prog=prog,
              worker=prog["worker"])
    # the README's calibration example reads the file `gmpcore calibrate -o calib.toml`
    # writes: the dev machine's, shipped in docs/data (the cwd is a temporary directory)
    import shutil
    shutil.copy(ROOT / "docs" / "data" / "calibration-dev.toml", "calib.toml")


@pytest.mark.parametrize("path", [p for p in DOCS if any(b[0] == "python" for b in blocks(p))],
                         ids=lambda p: p.name)
def test_every_python_block_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if path.name == "README.md":
        pytest.importorskip("numba")
    ns = {}
    _setup(ns)
    ran = 0
    for i, (lang, text, skipped) in enumerate(blocks(path)):
        if lang != "python" or skipped:
            continue
        if "sweep(" in text:
            ns["progress"] = False
        exec(compile(text, f"{path.name}:block{i}", "exec"), ns)
        ran += 1
    assert ran >= 1


def _console(path):
    """[(command, expected output lines)] of the console blocks of `path`."""
    out = []
    for lang, text, skipped in blocks(path):
        if skipped or lang or not text.startswith("$ gmpcore"):
            continue
        for chunk in re.split(r"^\$ ", text, flags=re.M)[1:]:
            cmd, *lines = chunk.rstrip("\n").split("\n")
            out.append((cmd, lines))
    return out


def _same(expected: str, actual: str, tmp: Path) -> bool:
    expected = re.sub(r"/tmp/docex/", f"{tmp}/", expected)
    # the wall time is the one number that depends on the machine
    pat = re.escape(expected)
    pat = re.sub(r"\d+\\.\d+\\ s$", r"\\d+\\.\\d+\\ s", pat)
    return re.fullmatch(pat, actual) is not None


@pytest.mark.slow
def test_sweeps_md_console_output_is_what_the_command_prints(tmp_path):
    path = ROOT / "docs" / "sweeps.md"
    (toml,) = [t for lang, t, _ in blocks(path) if lang == "toml"]
    (tmp_path / "sweep.toml").write_text(toml)
    checked = 0
    for cmd, expected in _console(path):
        cmd, _, pipe = cmd.partition("|")
        argv = shlex.split(cmd)
        assert argv[0] == "gmpcore"
        r = subprocess.run([sys.executable, "-m", "gmpcore", *argv[1:], "--no-progress"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert r.returncode == 0, r.stderr
        actual = r.stdout.rstrip("\n").split("\n")
        if pipe.strip() == "head -1":
            actual = actual[:1]
        # shown lines appear in order; "  ..." stands for any number of lines
        j = 0
        for line in expected:
            if line.strip() == "...":
                continue
            while j < len(actual) and not _same(line, actual[j], tmp_path):
                j += 1
            assert j < len(actual), f"docs/sweeps.md shows a line `{cmd}` does not print:\n" \
                                    f"{line}\nactual output:\n" + "\n".join(actual)
            j += 1
            checked += 1
    assert checked >= 10
