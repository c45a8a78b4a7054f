"""The cache model: coherence rules on tiny cases with exact counts, CAS races, layouts, and the
event core against queueing theory (Erlang C)."""
import math

import pytest

import gmpcore as gc
from gmpcore import _engine
from gmpcore.runner import make_engine

COSTS = dict(gc.CostModel(cache_hit=1, cache_local=10, cache_remote=100, cache_mem=1000)
             .to_native())


def trace(accesses, ncores=2, sockets=1, nlines=1):
    return _engine._test_coherence(ncores, sockets, nlines, accesses, COSTS)


# --- coherence rules ------------------------------------------------------------------------

def test_read_read_shares_the_line():
    out, cyc, lines, st = trace([(0, 0, "r"), (1, 0, "r"), (0, 0, "r"), (1, 0, "r")])
    assert out == ["mem", "local", "hit", "hit"]
    assert cyc == [1000, 10, 1, 1]
    assert lines[0] == (-1, [0, 1])          # Shared by both, no owner
    assert st["invalidations"] == 0


def test_write_after_read_invalidates_and_transfers():
    out, cyc, lines, st = trace([(0, 0, "r"), (1, 0, "r"), (1, 0, "w"), (0, 0, "r")])
    # core 1's write invalidates core 0's copy (an upgrade miss), core 0's re-read transfers
    assert out == ["mem", "local", "local", "local"]
    assert st["invalidations"] == 1
    assert lines[0] == (-1, [0, 1])
    out, cyc, lines, st = trace([(0, 0, "w"), (0, 0, "rmw"), (1, 0, "rmw"), (1, 0, "w")])
    assert out == ["mem", "hit", "local", "hit"]
    assert lines[0] == (1, [1])              # Modified at core 1
    assert st["invalidations"] == 1


def test_exclusive_then_silent_upgrade():
    # a line read by one core only is Exclusive: writing it is a hit
    out, _, lines, st = trace([(0, 0, "r"), (0, 0, "w")])
    assert out == ["mem", "hit"] and lines[0] == (0, [0]) and st["invalidations"] == 0


def test_sockets_make_transfers_remote():
    acc = [(0, 0, "w"), (1, 0, "w"), (2, 0, "w"), (3, 0, "r"), (0, 0, "r")]
    out, cyc, _, st = trace(acc, ncores=4, sockets=2)
    # cores 0,1 on socket 0; 2,3 on socket 1
    assert out == ["mem", "local", "remote", "local", "remote"]
    assert st["transfers_remote"] == 2 and st["transfers_local"] == 2 and st["mem"] == 1


def test_false_sharing_versus_padding():
    # two counters, each written by its own core, alternately, 10 times each
    rounds = [(c, None, "rmw") for _ in range(10) for c in (0, 1)]
    shared = [(c, 0, k) for c, _, k in rounds]           # both counters on line 0
    padded = [(c, c, k) for c, _, k in rounds]           # counter i on line i
    out_s, _, _, st_s = trace(shared, nlines=2)
    out_p, _, _, st_p = trace(padded, nlines=2)
    assert out_s.count("hit") == 0 and out_s.count("local") == 19 and st_s["invalidations"] == 19
    assert out_p.count("hit") == 18 and out_p.count("mem") == 2 and st_p["invalidations"] == 0


# --- atomics that lose races ----------------------------------------------------------------

def _race(k, t1, t2, until):
    prog = gc.Program()
    main = prog.func("main")
    main.compute(10**12)                     # P0 is busy and never touches its ring
    prog.func("w")
    comp = prog.compile()
    costs = gc.CostModel(steal_probe=40, steal_per_g=4, steal_cas=40)
    eng = make_engine(prog, 3, "go", 1, costs=costs, max_cycles=until,
                      machine=gc.Machine(cache=False, sysmon=False))
    assert eng.run(10) == "max_cycles"       # main is computing (until far past `until`)
    _engine._test_steal_race(eng, comp.func_names.index("w"), k, t1, t2)
    eng.run(10**6)
    return eng.counters(), eng.steals()


def test_two_thieves_race_and_the_later_cas_fails():
    # k=20: each thief loads h=0, n=10; thief A's CAS is at t1 + 40 + 10*4 = t1 + 80.
    # Thief B loads at t1 + 10, before A's CAS, so B's CAS (t1 + 90) fails; B retries at
    # t1 + 130, sees 10 Gs and takes 5.
    c, steals = _race(20, 1000, 1010, until=1000 + 300)
    assert c["steal_cas_fail"] == 1 and c["cas_failures"] == 1
    assert list(steals["n"]) == [10, 5]
    assert list(steals["victim_len"]) == [20, 10]
    assert list(steals["thief"]) == [1, 2]


def test_thief_after_the_cas_does_not_fail():
    # B loads one cycle after A's CAS (t1 + 80): it sees the new head, takes 5 of 10, no failure
    c, steals = _race(20, 1000, 1081, until=1000 + 300)
    assert c["steal_cas_fail"] == 0
    assert list(steals["n"]) == [10, 5]


def test_tie_goes_to_the_event_scheduled_first():
    # B's load and A's CAS both fall on cycle t1 + 80.  Ties run in the order the events were
    # scheduled: B's start was scheduled (at setup) before A scheduled its CAS (at t1), so B
    # loads the old head first and its CAS fails.
    c, steals = _race(20, 1000, 1080, until=1000 + 300)
    assert c["steal_cas_fail"] == 1
    assert list(steals["n"]) == [10, 5]


def test_simultaneous_thieves_fail_once():
    c, steals = _race(8, 500, 500, until=500 + 300)
    assert c["steal_cas_fail"] == 1
    assert list(steals["n"]) == [4, 2]


# --- layouts and switches through the public API --------------------------------------------

def _burst(n=20000):
    from gmpcore import workloads
    return workloads.burst(n, gc.Exponential(2000))


def test_cache_off_counts_nothing_and_on_counts_every_class():
    off = gc.run(_burst(), procs=8, machine=gc.Machine(procs=8, cache=False), record=False)
    on = gc.run(_burst(), procs=8, record=False)
    assert off.summary["cache_accesses"] == 0 and len(off.cache) == 0
    assert on.summary["cache_accesses"] > 0
    classes = set(on.cache.index)
    assert {"p.runqhead", "p.runq", "p.runnext", "sched.lock", "sched.runq", "g"} <= classes
    assert "p.runqtail" not in classes              # Go's layout: tail shares head's line
    c = on.cache
    assert (c["misses"] == c["transfers_local"] + c["transfers_remote"] + c["mem"]).all()
    assert (c["hits"] + c["misses"] == c["accesses"]).all()
    assert on.summary["emulated_cycles"] > off.summary["emulated_cycles"]


def test_padded_layout_separates_fields():
    go = gc.run(_burst(), procs=8, record=False)
    padded = gc.run(_burst(), machine=gc.Machine(procs=8, layout="padded"), record=False)
    assert "p.runqtail" in set(padded.cache.index)
    assert {"sched.pidle", "sched.nmspinning", "sched.midle"} <= set(padded.cache.index)
    # in Go's layout the global queue shares its line with npidle/nmspinning, which spinning
    # Ms keep writing: reading sched.runq misses far more often than when it is padded
    assert (go.cache.loc["sched.runq", "miss_rate"]
            > 2 * padded.cache.loc["sched.runq", "miss_rate"])


def test_sockets_produce_remote_transfers():
    one = gc.run(_burst(), machine=gc.Machine(procs=8), record=False)
    two = gc.run(_burst(), machine=gc.Machine(procs=8, sockets=2), record=False)
    assert one.summary["transfers_remote"] == 0
    assert two.summary["transfers_remote"] > 0


def test_costs_change_timing_not_semantics():
    from gmpcore import workloads
    prog = workloads.burst(600, 500, mark=True)
    a = gc.run(prog, procs=1)
    b = gc.run(prog, procs=1, costs=gc.CostModel(newproc=2000, execute=700, cache_local=900))
    assert a.mark_tuples() == b.mark_tuples()           # one P: the order is Go's, whatever the costs
    assert list(a.start_order) == list(b.start_order)
    assert b.summary["emulated_cycles"] > a.summary["emulated_cycles"]


# --- the event core against queueing theory -------------------------------------------------

def erlang_c_wait(c, lam, mu):
    """Mean wait in queue of M/M/c."""
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    pw = top / (s + top)
    return pw / (c * mu - lam)


@pytest.mark.parametrize("servers,rho", [(4, 0.8), (2, 0.6)])
def test_mmc_global_queue_matches_erlang_c(servers, rho):
    n = 400_000
    service = 1000.0
    inter = service / (servers * rho)
    prog = gc.Program()
    wg = prog.waitgroup()
    prog.func("main").wg_add(wg, n).wg_wait(wg)
    prog.func("handler").compute(gc.Exponential(service)).wg_done(wg)
    prog.arrivals("handler", gc.Exponential(inter), n)
    res = gc.run(prog, procs=servers, strategy="global", seed=7, costs=gc.CostModel.zero(),
                 record=False)
    assert res.status == "ok" and res.summary["arrivals"] == n
    # the latency samples: every handler once, plus main's two runs
    assert res.latency.count == n + 2
    measured = res.latency.mean(unit="cycles") * (n + 2) / n
    expected = erlang_c_wait(servers, 1 / inter, 1 / service)
    assert measured == pytest.approx(expected, rel=0.03)
