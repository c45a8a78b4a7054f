"""Queue operations: runqput (through runnext), the steal copy, and runqget, in a tight native
loop with no scheduling around them (the "queue operations" layer)."""
import pytest

import gmpcore
from gmpcore import _engine
from gmpcore.runner import make_engine


def fresh_engine():
    prog = gmpcore.Program()
    prog.func("main")
    return make_engine(prog, 2, "go", 1, record=False,
                       machine=gmpcore.Machine(cache=False, sysmon=False, max_threads=10))


@pytest.mark.parametrize("rounds", [20_000])
def test_runq_operations(benchmark, rounds):
    def setup():
        return (fresh_engine(), rounds), {}

    ops = benchmark.pedantic(_engine._bench_runq, setup=setup, rounds=5, iterations=1)
    # per round: 256 puts leave runnext + 255 in the ring; one steal of ceil(255/2) = 128;
    # the owner's gets of the rest: runnext + 127
    assert ops == rounds * (256 + 1 + 128)
    benchmark.extra_info["queue_ops"] = ops
    benchmark.extra_info["queue_ops_per_s_median"] = ops / benchmark.stats.stats.median
