"""Queue strategies as data: each preset's defining behaviour through the public API, and
user policies as Numba kernels in the native loop."""
import pickle

import numpy as np
import pytest

import gmpcore as gc
from gmpcore import workloads


def spawn_order_program(n=10):
    prog = gc.Program()
    wg = prog.waitgroup()
    main = prog.func("main")
    main.wg_add(wg, n).go("w", times=n).wg_wait(wg)
    prog.func("w").mark("w").wg_done(wg)
    return prog


def spawn_indexes(res):
    return [i for _, i, _ in res.mark_tuples()]


def test_presets_are_listed_and_documented():
    assert {"go", "global", "tokio", "forkjoin", "steal-one", "no-steal",
            "steal-tail"} <= set(gc.strategies)
    for name, strat in gc.strategies.items():
        assert strat.name == name and gc.STRATEGY_DOCS[name]


def test_go_runs_runnext_then_fifo_on_one_p():
    res = gc.run(spawn_order_program(10), procs=1, strategy="go")
    assert spawn_indexes(res) == [9, 0, 1, 2, 3, 4, 5, 6, 7, 8]


def test_forkjoin_runs_the_newest_first_on_one_p():
    res = gc.run(spawn_order_program(10), procs=1, strategy="forkjoin")
    assert spawn_indexes(res) == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_tokio_thieves_never_take_the_lifo_slot():
    # every parent spawns one child into its LIFO slot and then computes for longer than the
    # 3 us runnext back-off: idle thieves find rings empty and LIFO slots full
    prog = gc.Program()
    wg = prog.waitgroup()
    main = prog.func("main")
    main.wg_add(wg, 400).go("parent", times=200).wg_wait(wg)
    prog.func("parent").go("child").compute(60000).wg_done(wg)
    prog.func("child").compute(500).wg_done(wg)
    go = gc.run(prog, procs=8, strategy="go", seed=2)
    tokio = gc.run(prog, procs=8, strategy="tokio", seed=2)
    assert go.summary["runnext_steals"] > 0               # Go's thieves do take runnext
    assert tokio.summary["runnext_steals"] == 0
    assert not tokio.steals["runnext"].any()
    assert tokio.summary["steals"] > 0


def test_no_steal_never_steals():
    res = gc.run(workloads.burst(5000, 2000), procs=8, strategy="no-steal", seed=1)
    assert res.status == "ok"
    assert res.summary["steals"] == 0 and res.summary["steal_attempts"] == 0
    # work reaches other Ps only through ring overflow to the global queue
    assert res.summary["globrunq_gets"] > 0


def test_steal_one_takes_exactly_one():
    res = gc.run(workloads.burst(5000, 2000), procs=8, strategy="steal-one", seed=1)
    st = res.steals
    assert len(st) > 100 and (st["n"] == 1).all()


def test_global_sends_everything_through_the_global_queue():
    res = gc.run(workloads.burst(5000, 2000), procs=8, strategy="global", seed=1)
    s = res.summary
    assert s["steals"] == 0 and s["runnext_puts"] == 0
    assert s["globrunq_puts"] == s["goroutines_created"] - 1 + s["readies"]   # + main, woken


def _first_stolen_index(strategy):
    # main spawns 200 slow workers on P0; P1 wakes up and steals: which end did it take?
    prog = gc.Program()
    wg = prog.waitgroup()
    prog.func("main").wg_add(wg, 200).go("w", times=200).wg_wait(wg)
    prog.func("w").mark("w").compute(20000).wg_done(wg)
    res = gc.run(prog, procs=2, strategy=strategy, seed=1)
    m = res.marks
    first = m[m["p"] == 1].iloc[0]
    st = res.steals.iloc[0]
    return int(first["spawn_index"]), int(st["victim_len"])


def test_steal_tail_takes_the_newest_and_go_the_oldest():
    go_idx, go_len = _first_stolen_index("go")
    tail_idx, tail_len = _first_stolen_index("steal-tail")
    # P0's ring holds spawn indexes 0..len-1 (main is still spawning; runnext holds the next).
    # Go's thief takes the oldest ceil(len/2) from the head and runs the last of them; a tail
    # thief takes the newest half and runs the newest.
    assert go_idx == (go_len - go_len // 2) - 1
    assert tail_idx == tail_len - 1


def test_invalid_combinations_say_why():
    with pytest.raises(ValueError, match="global_only has no local rings"):
        gc.Strategy(global_only=True, steal=False, use_runnext=False, ready="tail")
    with pytest.raises(ValueError, match="steal_runnext needs"):
        gc.Strategy(steal=False)
    with pytest.raises(ValueError, match="ready='runnext' needs use_runnext"):
        gc.Strategy(use_runnext=False, steal_runnext=False)
    with pytest.raises(ValueError, match="local_order"):
        gc.Strategy(local_order="stack")
    with pytest.raises(ValueError, match="victim"):
        gc.Strategy(victim="nearest")
    with pytest.raises(ValueError, match="steal_amount"):
        gc.Strategy(steal_amount=0)
    with pytest.raises(ValueError, match="spin_limit"):
        gc.Strategy(spin_limit=2)


@pytest.mark.parametrize("victim", ["random", "sequential", "round_robin", "same_socket"])
def test_every_victim_order_keeps_the_invariants(victim):
    strat = gc.Strategy(name=victim, victim=victim)
    res = gc.run(workloads.burst(3000, 2000), strategy=strat, check_every=1,
                 machine=gc.Machine(procs=6, sockets=2))
    assert res.status == "ok" and res.summary["steals"] > 0


def test_strategy_matrix_is_tidy_and_plots():
    wl = {"burst": workloads.burst(3000, 2000), "tree": workloads.tree(3000, 2000, fanout=8)}
    df = gc.experiments.strategy_matrix(wl, ["go", "global", "tokio"], procs=4, seeds=(1, 2))
    assert len(df) == 2 * 3 * 2
    assert set(df["strategy"]) == {"go", "global", "tokio"}
    assert {"workload", "seed", "latency_p99_ns", "cache_miss_rate"} <= set(df.columns)
    assert (df["status"] == "ok").all()
    import matplotlib
    matplotlib.use("Agg")
    fig = gc.experiments.plot_strategy_matrix(df)
    assert len(fig.axes) == 3 and all(ax.patches for ax in fig.axes)


# --- kernels --------------------------------------------------------------------------------

numba = pytest.importorskip("numba")


@gc.kernel("choose_victim")
def go_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    if i >= nprocs:
        return -1
    inc = coprimes[(r // nprocs) % ncoprimes]
    return (r % nprocs + i * inc) % nprocs


@gc.kernel("steal_amount")
def half(victim_len, thief, victim, ring_cap):
    return victim_len - victim_len // 2


@gc.kernel("place_ready")
def to_runnext(p, goid, kind, runq_len, runnext_busy):
    return 0


@gc.kernel("steal_amount")
def failing_amount(victim_len, thief, victim, ring_cap):
    return -7 if victim_len > 3 else 0


@gc.kernel("choose_victim")
def out_of_range(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    return nprocs + 5


def _strip(s):
    return {k: v for k, v in s.items() if k not in ("wall_s", "events_per_s", "strategy")}


def test_kernels_reimplementing_go_reproduce_go_exactly():
    prog = workloads.burst(20000, gc.Exponential(2000))
    mine = gc.Strategy(name="kernels", victim=go_order, steal_amount=half, ready=to_runnext)
    a = gc.run(prog, procs=8, strategy="go", seed=5)
    b = gc.run(prog, procs=8, strategy=mine, seed=5)
    assert _strip(a.summary) == _strip(b.summary)
    assert np.array_equal(a.start_order, b.start_order)
    assert a.steals.equals(b.steals)


def test_kernel_body_is_plain_python_too():
    cop = np.array([1, 3, 5, 7], dtype=np.int32)
    assert go_order(0, 8, 0, 0, 21, cop, 4) == 5
    assert go_order(0, 8, 0, 1, 21, cop, 4) == (5 + 5) % 8
    assert go_order(0, 8, 0, 8, 21, cop, 4) == -1
    assert half(7, 0, 1, 256) == 4
    assert go_order.py_func(0, 8, 0, 0, 21, cop, 4) == 5


def test_kernel_error_code_stops_the_run_with_a_clear_exception():
    strat = gc.Strategy(name="bad", steal_amount=failing_amount)
    with pytest.raises(gc.KernelError, match=r"failing_amount.*steal_amount.*error code -7"):
        gc.run(workloads.burst(5000, 2000), procs=8, strategy=strat, seed=1)
    strat = gc.Strategy(name="bad2", victim=out_of_range)
    with pytest.raises(gc.KernelError, match=r"out_of_range.*choose_victim.*returned 13"):
        gc.run(workloads.burst(5000, 2000), procs=8, strategy=strat, seed=1)


def test_wrongly_typed_kernels_are_refused_at_registration():
    with pytest.raises(TypeError, match=r"choose_victim.*int32 \(int32 thief"):
        @gc.kernel("choose_victim")
        def two_args(a, b):
            return a
    from numba import cfunc, types
    wrong = cfunc(types.float64(types.int32, types.int32, types.int32, types.int32))(
        lambda a, b, c, d: 1.0)
    with pytest.raises(TypeError, match=r"expected int32 \(int32 victim_len.*"
                                        r"given \(int32, int32, int32, int32\) -> float64"):
        gc.Kernel("steal_amount", wrong)
    with pytest.raises(ValueError, match="unknown kernel hook"):
        gc.kernel("pick_next")
    with pytest.raises(TypeError, match="takes a 'steal_amount' kernel"):
        gc.Strategy(steal_amount=go_order)


def test_kernels_pickle_by_reference_and_recompile():
    k = pickle.loads(pickle.dumps(go_order))
    assert k.hook == "choose_victim" and k.address
    strat = pickle.loads(pickle.dumps(gc.Strategy(name="k", victim=go_order)))
    assert strat.victim.hook == "choose_victim"


def test_the_readme_example_runs():
    import runpy
    from pathlib import Path
    mod = runpy.run_path(str(Path(__file__).parents[1] / "examples" / "custom_policy.py"))
    res = gc.run(workloads.burst(3000, 2000), procs=4, strategy=mod["mine"], seed=1)
    st = res.steals
    ring = st[~st["runnext"]]
    assert len(ring) and ((ring["victim_len"] + 2) // 3 == ring["n"]).all()
