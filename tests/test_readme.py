"""The README's Python examples run as written."""
import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_quickstart_runs():
    blocks = python_blocks()
    assert len(blocks) >= 2
    ns = {}
    exec(compile(blocks[0], "README.md:quickstart", "exec"), ns)
    res = ns["res"]
    assert res.status == "ok"
    assert res.summary["goroutines_created"] == 1001
    assert list(res.marks["label"].unique()) == ["done"]


def test_readme_kernel_example_runs():
    import pytest
    pytest.importorskip("numba")
    import gmpcore
    from gmpcore import workloads
    block = next(b for b in python_blocks() if "@gmpcore.kernel" in b)
    ns = {"gmpcore": gmpcore, "prog": workloads.burst(2000, 2000)}
    exec(compile(block, "README.md:kernels", "exec"), ns)
    assert ns["mine"].victim.hook == "choose_victim"
