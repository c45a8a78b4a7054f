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


def test_readme_blocking_example_runs():
    block = next(b for b in python_blocks() if "sel.done()" in b)
    ns = {}
    exec(compile(block, "README.md:blocking", "exec"), ns)
    res = ns["res"]
    assert res.status == "ok"
    counts = res.marks["label"].value_counts().to_dict()
    assert counts == {"result": 6, "timeout": 1}            # as the comment says
    assert (res.summary["gc_cycles"], res.summary["stw_count"]) == (1, 2)
    assert res.summary["netpoll_waits"] == 8 and res.summary["syscalls"] >= 6
