"""Benchmarks (pytest-benchmark).  Run: pytest benchmarks --benchmark-only
Save a baseline: --benchmark-save=NAME; compare: --benchmark-compare --benchmark-compare-fail=mean:25%
"""
import os
import subprocess
import sys

import pytest


def peak_rss_delta(code: str) -> dict:
    """Run `code` in a fresh interpreter (after importing gmpcore and pandas) and return the
    growth of its peak RSS (VmHWM) caused by the code, plus whatever the code prints as JSON."""
    prog = (
        "import json, gmpcore, pandas\n"
        "def hwm():\n"
        "    for l in open('/proc/self/status'):\n"
        "        if l.startswith('VmHWM'): return int(l.split()[1]) * 1024\n"
        "base = hwm()\n"
        + code +
        "\nout['peak_delta_bytes'] = hwm() - base\nprint(json.dumps(out))\n"
    )
    r = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True,
                       env=dict(os.environ, PYTHONHASHSEED="0"))
    import json
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture
def rss():
    return peak_rss_delta


@pytest.fixture(autouse=True)
def _record_load(request):
    """The machine's load average before and after each benchmark, in its extra_info: a
    figure measured while other processes held the cores is not the engine's speed."""
    bench = (request.getfixturevalue("benchmark") if "benchmark" in request.fixturenames
             else None)
    before = os.getloadavg()
    yield
    if bench is not None:
        bench.extra_info["loadavg_1m_before"] = round(before[0], 2)
        bench.extra_info["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
