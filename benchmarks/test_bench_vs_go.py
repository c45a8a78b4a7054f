"""gmpcore against the real thing: `gmpcore compare --goroutines N --procs 16` (both strategies,
cache model on) alternately with a real Go program spawning the same N goroutines at
GOMAXPROCS=16 (benchmarks/go/spawn.go, built with the `go` on PATH).  Target: the comparison
takes less wall time than Go.  N is 10M (GMPCORE_BENCH_VS_GO_N overrides it); skipped without
a Go toolchain.  Three rounds (GMPCORE_BENCH_VS_GO_ROUNDS), medians.
"""
import os
import shutil
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
N = int(float(os.environ.get("GMPCORE_BENCH_VS_GO_N", "1e7")))


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory):
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go toolchain on PATH")
    out = str(tmp_path_factory.mktemp("go") / "spawn")
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod",
               GOCACHE=os.environ.get("GOCACHE", "/tmp/gocache-bench"))
    subprocess.run([go, "build", "-o", out, os.path.join(HERE, "go", "spawn.go")], check=True,
                   env=env, cwd=os.path.join(HERE, "go"))
    return out


def _wall(cmd, env=None):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return time.perf_counter() - t, r.stdout


def test_compare_vs_real_go(benchmark, go_binary):
    gm, go = [], []
    genv = dict(os.environ, GOMAXPROCS="16")

    def once():
        w, out = _wall([sys.executable, "-m", "gmpcore", "compare", "--goroutines", str(N),
                        "--procs", "16", "--json"])
        assert f'"goroutines":{N}' in out.replace(" ", "")
        gm.append(w)
        w, _ = _wall([go_binary, str(N)], env=genv)
        go.append(w)
    benchmark.pedantic(once, rounds=int(os.environ.get("GMPCORE_BENCH_VS_GO_ROUNDS", "3")),
                       iterations=1)
    g, r = sorted(gm)[len(gm) // 2], sorted(go)[len(go) // 2]
    benchmark.extra_info.update(goroutines=N, gmpcore_wall_s=g, go_wall_s=r, ratio=g / r,
                                gmpcore_walls_s=gm, go_walls_s=go,
                                ratios=[a / b for a, b in zip(gm, go)])
