"""Property-based tests of the scheduler's invariants (docs/invariants.md).

Random Go programs (a main and 1-4 more functions, random compute / go / mark / loops /
Gosched / WaitGroup patterns that cannot go negative nor deadlock) run on random machines with
`check_every=1`, so the native engine checks every invariant after every micro-step; the tests
then cross-check the counters of the Result against each other and against what the program
must have done (the number of goroutines, of marks per label and loop iteration, of Gosched
calls, of compute cycles).

A second family compares runs on a single P against a small, independent Python model of
Go's single-P scheduling (runnext, the 256-slot ring, runqputslow, the schedtick % 61 global
pick, globrunqget's batch size): with one P and one M the order in which goroutines run is
fully determined by Go's rules, whatever the cost model.
"""
from __future__ import annotations

import collections
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gmpcore as gc

MAX_GOROUTINES = 3000          # user goroutines created by one generated program (main excluded)
MAX_OP_EXECS = 12000           # executed ops (marks, computes, ...) of one generated program

# custom run-queue designs besides the two presets: small rings make runqputslow, refills and
# steal-half happen with few goroutines
def _small_ring(cap, runnext, passes, steal_runnext, fair, batch_div):
    kw = dict(name=f"ring{cap}", ring_cap=cap, use_runnext=runnext, steal_passes=passes,
              steal_runnext=steal_runnext and runnext, fairness_tick=fair,
              global_batch_max=max(1, cap // 2 // batch_div))
    if not runnext and "ready" in gc.Strategy.__dataclass_fields__:
        kw["ready"] = "tail"                    # newproc/goready put at the ring tail
    return gc.Strategy(**kw)


SMALL_RING_STRATEGIES = st.builds(
    _small_ring, st.sampled_from([2, 4, 8, 16, 256]), st.booleans(), st.integers(1, 4),
    st.booleans(), st.sampled_from([0, 1, 2, 7, 61]), st.sampled_from([1, 2, 8]))


# --------------------------------------------------------------------------------------------
# Random programs: an op tree per function, built into a gc.Program, with what it must do.

@dataclass
class Spec:
    """A generated program.  Function 0 is main; function i only spawns functions j > i, so
    the spawn graph is acyclic and every goroutine terminates."""
    nfuncs: int
    wg_mode: str                                # "none" | "global" | "nested"
    bodies: list                                # op trees, one per function
    count: list                                 # goroutines that run each function (main: 1)
    mark_counts: collections.Counter = field(default_factory=collections.Counter)
    gosched: int = 0                            # Gosched calls executed by a complete run
    const_cycles: int = 0                       # compute cycles of a complete run ...
    all_const: bool = True                      # ... exact only if every compute is Const

    @property
    def created(self) -> int:
        return sum(self.count)                  # main included

    @property
    def waits_for_all(self) -> bool:
        return self.wg_mode != "none"


def _dist(draw):
    kind = draw(st.sampled_from(["int", "const", "exp", "uniform", "lognormal"]))
    if kind == "int":
        return draw(st.integers(0, 3000))
    if kind == "const":
        return gc.Const(draw(st.floats(0, 3000, allow_nan=False)))
    if kind == "exp":
        return gc.Exponential(draw(st.integers(0, 3000)))
    if kind == "uniform":
        lo = draw(st.integers(0, 2000))
        return gc.Uniform(lo, lo + draw(st.integers(0, 2000)))
    return gc.LogNormal(draw(st.integers(1, 3000)), draw(st.floats(0, 1.5)))


@st.composite
def programs(draw):
    nfuncs = draw(st.integers(1, 4)) + 1
    wg_mode = draw(st.sampled_from(["none", "global", "nested"]))
    count = [1] + [0] * (nfuncs - 1)
    spec = Spec(nfuncs, wg_mode, [None] * nfuncs, count)
    budget = {"gs": draw(st.sampled_from([40, 300, MAX_GOROUTINES])), "ops": MAX_OP_EXECS}
    labels = iter(range(10**6))

    def body(i, depth, mult, min_ops=0):
        ops = []
        for _ in range(draw(st.integers(min_ops, 5))):
            execs = count[i] * mult
            if execs > budget["ops"]:
                break
            kind = draw(st.sampled_from(["compute", "compute", "mark", "mark", "go", "go", "go",
                                         "loop", "gosched"]))
            if kind == "go" and i + 1 < nfuncs:
                j = draw(st.integers(i + 1, nfuncs - 1))
                times = draw(st.integers(1, 300))
                if execs:
                    times = min(times, budget["gs"] // execs)
                    if times == 0:
                        continue
                    budget["gs"] -= execs * times
                    count[j] += execs * times
                ops.append(("go", j, times))
            elif kind == "loop" and depth < 3:
                n = draw(st.integers(0, 4))
                ops.append(("loop", n, body(i, depth + 1, mult * n)))
            elif kind == "mark":
                label = f"f{i}.{next(labels)}"
                ops.append(("mark", label))
            elif kind == "gosched":
                ops.append(("gosched",))
            else:
                ops.append(("compute", _dist(draw)))
            budget["ops"] -= execs
        return ops

    # main always starts some goroutines at top level (so they do run)
    first = min(draw(st.integers(1, 300)), budget["gs"])
    budget["gs"] -= first
    count[1] += first
    for i in range(nfuncs):                     # parents before children: count[i] is final
        spec.bodies[i] = body(i, 0, 1, min_ops=1)
    spec.bodies[0].insert(draw(st.integers(0, len(spec.bodies[0]))), ("go", 1, first))
    _expect(spec)
    return spec


def _walk(ops, mult, iters, visit):
    """visit(op, executions, iteration_range) for every leaf op."""
    for op in ops:
        if op[0] == "loop":
            _walk(op[2], mult * op[1], op[1], visit)
        else:
            visit(op, mult, iters)


def _expect(spec: Spec):
    for i, ops in enumerate(spec.bodies):
        def visit(op, mult, iters, i=i):
            n = spec.count[i] * mult
            if op[0] == "mark":
                # each execution of the innermost loop body sees iterations 0..iters-1
                if iters is None:
                    spec.mark_counts[(op[1], 0)] += n
                else:
                    for it in range(iters):
                        spec.mark_counts[(op[1], it)] += n // iters
            elif op[0] == "gosched":
                spec.gosched += n
            elif op[0] == "compute":
                d = op[1]
                if isinstance(d, (int, float)):
                    spec.const_cycles += n * int(d)
                elif isinstance(d, gc.Const):
                    spec.const_cycles += n * int(d.cycles + 0.5)
                else:
                    spec.all_const = False
        _walk(ops, 1, None, visit)


def build(spec: Spec) -> gc.Program:
    prog = gc.Program()
    names = ["main"] + [f"f{i}" for i in range(1, spec.nfuncs)]
    fns = [prog.func(n) for n in names]
    gwg = prog.waitgroup("all") if spec.wg_mode == "global" else None
    wgs = [prog.waitgroup(f"wg_{n}") for n in names] if spec.wg_mode == "nested" else None

    def emit(f, ops, spawned):
        for op in ops:
            if op[0] == "compute":
                f.compute(op[1])
            elif op[0] == "mark":
                f.mark(op[1])
            elif op[0] == "gosched":
                f.gosched()
            elif op[0] == "go":
                if wgs is not None:
                    f.wg_add(wgs[op[1]], op[2])
                    spawned.add(op[1])
                f.go(names[op[1]], times=op[2])
            else:
                with f.loop(op[1]):
                    emit(f, op[2], spawned)

    for i, f in enumerate(fns):
        spawned = set()
        if i == 0 and gwg is not None:
            f.wg_add(gwg, spec.created - 1)     # every goroutine Done()s once at its end
        emit(f, spec.bodies[i], spawned)
        if wgs is not None:
            for j in sorted(spawned):
                f.wg_wait(wgs[j])
            if i > 0:
                f.wg_done(wgs[i])
        if gwg is not None:
            if i == 0:
                f.wg_wait(gwg)
            else:
                f.wg_done(gwg)
    return prog


# --------------------------------------------------------------------------------------------
# Run configurations

@st.composite
def configs(draw):
    strategy = draw(st.one_of(st.sampled_from(["go", "go", "global"]), SMALL_RING_STRATEGIES))
    procs = draw(st.integers(1, 16))
    costs = draw(st.sampled_from(["default", "zero", "random"]))
    if costs == "default":
        costs = gc.CostModel()
    elif costs == "zero":
        costs = gc.CostModel.zero()
    else:
        costs = gc.CostModel(**{f: draw(st.integers(0, 300)) for f in
                                gc.CostModel.__dataclass_fields__})
    machine = gc.Machine(procs=procs, start_schedtick=draw(st.sampled_from([0, 0, 1, 60, 1000])),
                         init_goroutines=draw(st.sampled_from([0, 0, 0, 1, 3])),
                         cache=draw(st.sampled_from([True, True, False])),
                         layout=draw(st.sampled_from(["go", "padded"])),
                         sockets=2 if procs % 2 == 0 and draw(st.booleans()) else 1)
    return dict(procs=procs, strategy=strategy, seed=draw(st.integers(0, 2**64 - 1)),
                machine=machine, costs=costs, record=draw(st.booleans()),
                max_events=draw(st.sampled_from([200_000, 200_000, 200_000, 50, 3000])),
                max_cycles=draw(st.sampled_from([None, None, None, None, 20_000])))


def check_result(res: gc.Result, spec: Spec, cfg: dict):
    """Every cross-check between the counters, the records and the program."""
    s = res.summary
    strat = gc.get_strategy(cfg["strategy"])
    machine = cfg["machine"]
    procs = cfg["procs"]
    init = machine.init_goroutines
    per_p = res.per_p
    half = strat.ring_cap // 2

    # -- run status --------------------------------------------------------------------------
    # Nothing in these programs blocks for good: all Ms parked ("deadlock") would mean a lost
    # wake-up or a G stranded on a run queue.
    assert res.status in ("ok", "max_events", "max_cycles"), res.status
    assert s["status"] == res.status
    assert (s["procs"], s["strategy"], s["seed"]) == (procs, strat.name, cfg["seed"])
    assert s["events"] <= cfg["max_events"]
    if res.status == "max_events":
        assert s["events"] == cfg["max_events"]
    if cfg["max_cycles"] is not None:
        assert s["emulated_cycles"] <= cfg["max_cycles"]
    assert s["emulated_ns"] == pytest.approx(s["emulated_cycles"] / machine.clock_ghz)
    complete = res.status == "ok" and spec.waits_for_all

    # -- goroutine accounting ----------------------------------------------------------------
    assert 1 <= s["goroutines_created"] <= spec.created
    assert s["goroutines_finished"] <= s["goroutines_created"]
    assert s["goroutines_live"] == s["goroutines_created"] - s["goroutines_finished"]
    assert s["goroutines_live"] <= s["max_live_goroutines"] <= s["goroutines_created"]
    if res.status == "ok":
        assert s["goroutines_finished"] >= 1                # main returned
    if complete:
        assert s["goroutines_created"] == spec.created
        # Every goroutine has called its last Done() before main's Wait() returned, but, as in
        # Go, one may still be between Done() and goexit on another P when main returns (main,
        # readied into that P's runnext, can be stolen and run at once).  At most one such G
        # per P other than main's; on one P there is none.
        assert 0 <= s["goroutines_live"] <= procs - 1
    # G records: at the peak every live user G and every runtime G had its own record
    assert s["g_records"] >= s["max_live_goroutines"] + init
    assert s["gfree_reuse"] <= s["goroutines_created"] - 1

    # -- executes, schedtick, latency --------------------------------------------------------
    ticks = int(per_p["schedtick"].sum()) - machine.start_schedtick
    assert s["executes"] == s["executes_inherit"] + ticks
    assert int(per_p["executes"].sum()) == s["executes"]
    assert res.latency.count == s["executes"]
    if cfg["record"]:
        assert s["executes"] >= len(res.start_order)     # a first run is an execute
    assert s["executes_inherit"] >= 1                   # main starts in runtime.main's slice
    if not strat.use_runnext or strat.global_only:
        assert s["executes_inherit"] == 1               # nothing else can inherit a time slice
    lat = res.latency
    if lat.count:
        ps = [lat.percentile(q, unit="cycles") for q in (0, 1, 50, 90, 99, 99.9, 100)]
        assert all(a <= b for a, b in zip(ps, ps[1:])), ps
        assert 0 <= ps[-1] <= lat.max(unit="cycles") == lat.max_cycles
        assert 0 <= lat.mean(unit="cycles") <= lat.max_cycles
        assert lat.total_cycles <= lat.max_cycles * lat.count
        assert s["latency_p50_ns"] <= s["latency_p99_ns"] <= s["latency_p999_ns"] \
            <= s["latency_max_ns"]
        assert lat.max_cycles <= s["emulated_cycles"]

    # -- per-P table -------------------------------------------------------------------------
    assert list(per_p["p"]) == list(range(procs))
    assert set(per_p["status"]) <= {0, 1}              # _Pidle, _Prunning
    assert (per_p["runqsize"] >= 0).all() and (per_p["runqsize"] <= strat.ring_cap).all()
    idle = per_p[per_p["status"] == 0]
    assert (idle["runqsize"] == 0).all() and (idle["runnext"] == -1).all()
    if strat.global_only:
        assert (per_p["runqsize"] == 0).all() and (per_p["runnext"] == -1).all()
    if complete and init == 0:
        # every G finished: nothing left on any local queue
        assert (per_p["runqsize"] == 0).all() and (per_p["runnext"] == -1).all()
    assert (per_p["busy_cycles"] >= 0).all()
    if complete and spec.all_const:
        assert int(per_p["busy_cycles"].sum()) == spec.const_cycles
    assert int(per_p["steals"].sum()) == s["steals"]
    assert int(per_p["stolen"].sum()) == s["stolen_gs"] == int(per_p["stolen_from"].sum())
    assert int(per_p["steal_attempts"].sum()) == s["steal_attempts"]
    assert int(per_p["cas_fail"].sum()) == s["steal_cas_fail"] + s["runqget_cas_fail"]
    assert int(per_p["runqputslow"].sum()) == s["runqputslow"]

    # -- steals ------------------------------------------------------------------------------
    assert s["steals"] <= s["steal_attempts"]
    assert s["runnext_steals"] <= s["steals"] <= s["stolen_gs"] <= s["steals"] * half
    if procs == 1 or not strat.steal:
        assert s["steals"] == s["steal_attempts"] == s["stolen_gs"] == 0
    if not strat.steal_runnext:
        assert s["runnext_steals"] == 0
    stl = res.steals
    if cfg["record"]:
        assert len(stl) == s["steals"]
        assert int(stl["n"].sum()) == s["stolen_gs"]
        assert int(stl["runnext"].sum()) == s["runnext_steals"]
        assert (stl["thief"] != stl["victim"]).all()
        assert stl["thief"].between(0, procs - 1).all() and stl["victim"].between(0, procs - 1).all()
        assert (np.diff(stl["time_cycles"].to_numpy()) >= 0).all()
        assert (stl["time_cycles"] <= s["emulated_cycles"]).all()
        ring = stl[~stl["runnext"]]
        vl = ring["victim_len"]
        assert (vl >= 1).all() and (vl <= strat.ring_cap).all()
        assert (ring["n"] == vl - vl // 2).all()        # steal half, rounded up
        rn = stl[stl["runnext"]]
        assert (rn["n"] == 1).all() and (rn["victim_len"] == 0).all()
        # the per-P counters agree with the record
        assert np.array_equal(np.bincount(stl["thief"], minlength=procs), per_p["steals"])
        assert np.array_equal(np.bincount(stl["thief"], weights=stl["n"], minlength=procs)
                              .astype(np.int64), per_p["stolen"])
        assert np.array_equal(np.bincount(stl["victim"], weights=stl["n"], minlength=procs)
                              .astype(np.int64), per_p["stolen_from"])
    else:
        assert len(stl) == 0

    # -- run queues: runnext, global queue -------------------------------------------------
    puts_next = s["goroutines_created"] - 1 + s["readies"] + init
    if strat.use_runnext and not strat.global_only:
        # newproc and goready always go through runnext (invariant 11)
        assert s["runnext_puts"] == puts_next
        assert s["runnext_kicks"] <= s["runnext_puts"]
    else:
        assert s["runnext_puts"] == s["runnext_kicks"] == 0
    if strat.global_only:
        assert s["runqputslow"] == 0 and s["fairness_gets"] == 0
    if strat.fairness_tick == 0:
        assert s["fairness_gets"] == 0
    assert s["globrunq_gets"] <= s["globrunq_puts"]
    assert s["fairness_gets"] <= s["globrunq_batches"] <= s["globrunq_gets"]
    slow_batch = half + 1                               # runqputslow: the oldest half + the new G
    # every G reaching the global queue came from a Gosched, a runqputslow, or (global-only)
    # newproc/goready; a batch may still sit on an M at the end of a run
    upper = spec.gosched + slow_batch * s["runqputslow"]
    if strat.global_only:
        upper += puts_next
    assert s["globrunq_puts"] <= upper
    if spec.gosched == 0 and not strat.global_only:
        assert s["globrunq_puts"] % slow_batch == 0
    if complete and init == 0:
        # everything ran: every batch was put, every G put was taken
        assert s["globrunq_puts"] == upper
        assert s["globrunq_gets"] == s["globrunq_puts"]

    # -- CAS and cache counters -------------------------------------------------------------
    assert s["cas_failures"] == s["steal_cas_fail"] + s["runqget_cas_fail"]
    assert s["cas_failures"] <= s["cas_attempts"]
    assert s["cache_misses"] == s["transfers_local"] + s["transfers_remote"] + s["mem_misses"]
    assert s["cache_misses"] <= s["cache_accesses"]
    if not machine.cache:
        assert s["cache_accesses"] == s["cache_misses"] == s["cache_cycles"] == 0
    if machine.sockets == 1:
        assert s["transfers_remote"] == 0

    # -- Ms, spinning, locks -----------------------------------------------------------------
    assert s["threads"] == s["newm"] >= 1
    assert s["wakep_started"] <= s["wakep_calls"]
    assert s["startm"] <= s["wakep_started"]        # startm only follows a successful wakep
    assert s["spinning_cycles"] >= 0 and s["idle_cycles"] >= 0
    # a contended request becomes an acquisition when granted; at the end of a run each M may
    # still have one request outstanding
    assert s["lock_contended"] <= s["lock_acquisitions"] + s["threads"]
    assert s["lock_wait_cycles"] >= 0 and s["lock_hold_cycles"] >= 0
    assert s["readies"] <= s["parks"]                # only parked Gs are readied
    if spec.wg_mode == "none":
        assert s["readies"] == 0 and s["parks"] <= init  # only runfinq parks

    # -- start order and marks ---------------------------------------------------------------
    so = res.start_order.tolist()
    if not cfg["record"]:
        assert so == [] and len(res.marks) == 0
        return
    assert len(so) == len(set(so)), "a goroutine started twice"
    assert so[0] == 1, "main must run first"
    # goids come from per-P batches of 16 (newproc1's goidcache): unique, above the runtime's
    # own, contiguous only while one P creates them all
    assert all(g == 1 or g >= 2 + init for g in so)     # runtime goroutines are not listed
    if complete:
        assert len(so) == s["goroutines_created"]
    assert len(so) <= s["goroutines_created"]

    marks = res.marks
    assert list(marks.columns) == ["time_cycles", "time_ns", "goid", "parent_goid", "label",
                                   "spawn_index", "iteration", "p", "value", "value2",
                                   "value3"]
    got = collections.Counter(zip(marks["label"], marks["iteration"]))
    for key, n in got.items():
        assert n <= spec.mark_counts[key], (key, n, spec.mark_counts[key])
    if complete:
        assert got == +spec.mark_counts
    if len(marks):
        assert (np.diff(marks["time_cycles"].to_numpy()) >= 0).all()
        assert marks["time_cycles"].iloc[-1] <= s["emulated_cycles"]
        assert set(marks["goid"]) <= set(so)            # only started goroutines mark
        assert marks["p"].between(0, procs - 1).all()
        main_marks = marks[marks["goid"] == 1]
        assert (main_marks["parent_goid"] == 0).all() and (main_marks["spawn_index"] == 0).all()
        other = marks[marks["goid"] != 1]
        assert (other["parent_goid"] != other["goid"]).all()
        if procs == 1:                                  # one P's goid batches are in order
            assert (other["parent_goid"] < other["goid"]).all()
        assert (other["parent_goid"] >= 1).all()
        # main's marks are all labelled f0.*, and so on: a goroutine runs one function
        fn_of = marks["label"].str.split(".").str[0]
        assert (fn_of[marks["goid"] == 1] == "f0").all()
        assert (marks.groupby("goid")["label"].apply(
            lambda x: x.str.split(".").str[0].nunique()) == 1).all()
        assert (marks["iteration"] >= 0).all() and (marks["spawn_index"] >= 0).all()


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=programs(), cfg=configs())
def test_random_programs_keep_invariants(spec, cfg):
    prog = build(spec)
    res = gc.run(prog, check_every=1, **cfg)   # raises gc.InternalError on a broken invariant
    check_result(res, spec, cfg)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=programs(), procs=st.integers(2, 16), seed=st.integers(0, 2**32),
       strategy=st.sampled_from(["go", "global"]))
def test_random_programs_complete(spec, procs, seed, strategy):
    """Programs that wait for every goroutine, without event limits, always finish and do
    exactly what the program says."""
    assume(spec.waits_for_all)
    cfg = dict(procs=procs, strategy=strategy, seed=seed, machine=gc.Machine(procs=procs),
               costs=gc.CostModel(), record=True, max_events=2_000_000, max_cycles=None)
    res = gc.run(build(spec), check_every=1, **cfg)
    assert res.status == "ok"
    check_result(res, spec, cfg)


# --------------------------------------------------------------------------------------------
# A reference model of Go's scheduler on one P (one M): the order goroutines run in is fixed
# by runtime/proc.go's rules, whatever the cost of each operation.

class OnePModel:
    """main: for each burst, `go worker()` n times (Gosched between bursts if asked), then
    wg.Wait().  worker: mark "a"; [Gosched; mark "b"]; wg.Done().  Returns the goids in the
    order they first ran (runtime goroutines excluded) and the marks as (label, goid)."""

    def __init__(self, strat: gc.Strategy, start_schedtick: int, init_goroutines: int):
        self.s = strat
        self.tick = start_schedtick
        self.runnext = None
        self.ring = collections.deque()
        self.glob = collections.deque()
        self.init = init_goroutines
        self.stats = collections.Counter()

    def runqput(self, g, next_=True):
        s = self.s
        if s.global_only:
            self.glob.append(g)
            return
        if next_ and s.use_runnext:
            old, self.runnext = self.runnext, g
            if old is None:
                return
            g = old
        if len(self.ring) < s.ring_cap:
            self.ring.append(g)
            return
        moved = [self.ring.popleft() for _ in range(len(self.ring) // 2)]
        self.glob.extend(moved + [g])
        self.stats["runqputslow"] += 1

    def find_runnable(self):
        s = self.s
        if s.global_only:
            self.tick += 1
            return self.glob.popleft()
        if s.fairness_tick and self.tick % s.fairness_tick == 0 and self.glob:
            self.tick += 1
            self.stats["fairness_gets"] += 1
            return self.glob.popleft()
        if self.runnext is not None:
            g, self.runnext = self.runnext, None
            return g                                    # inherits the time slice
        if self.ring:
            self.tick += 1
            return self.ring.popleft()
        # globrunqget with GOMAXPROCS=1: k = min(L, L/1 + 1, batch max)
        k = min(len(self.glob), s.global_batch_max)
        g = self.glob.popleft()
        for _ in range(k - 1):
            self.ring.append(self.glob.popleft())
        self.tick += 1
        return g

    def run(self, bursts, main_gosched, worker_gosched):
        order, marks = [], []
        wg = {"counter": sum(bursts), "main_waiting": False}
        sys_goids = set(range(2, 2 + self.init))
        for g in sorted(sys_goids):                     # runfinq & co: runnable at start
            self.runqput(g)
        next_goid = 2 + self.init
        body = {}

        def main():
            nonlocal next_goid
            for b, k in enumerate(bursts):
                for _ in range(k):
                    body[next_goid] = worker(next_goid)
                    self.runqput(next_goid)             # newproc: runqput(pp, newg, true)
                    next_goid += 1
                if main_gosched and b + 1 < len(bursts):
                    yield "gosched"
            if wg["counter"] > 0:
                wg["main_waiting"] = True
                yield "park"
            yield "exit"

        def worker(g):
            marks.append(("a", g))
            if worker_gosched:
                yield "gosched"
                marks.append(("b", g))
            wg["counter"] -= 1
            if wg["counter"] == 0 and wg["main_waiting"]:
                wg["main_waiting"] = False
                self.runqput(1)                         # goready(main)
            yield "exit"

        body[1] = main()
        started = set()
        cur = 1                                         # main runs first, in runtime.main's slice
        while True:
            if cur not in started:
                started.add(cur)
                if cur not in sys_goids:
                    order.append(cur)
            action = "park" if cur in sys_goids else next(body[cur])
            if action == "exit" and cur == 1:
                return order, marks
            if action == "gosched":
                self.glob.append(cur)                   # globrunqput: global queue tail
            cur = self.find_runnable()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(bursts=st.lists(st.integers(1, 700), min_size=1, max_size=3),
       main_gosched=st.booleans(), worker_gosched=st.booleans(),
       strategy=st.one_of(st.sampled_from(["go", "global"]), SMALL_RING_STRATEGIES),
       start_schedtick=st.integers(0, 130), init=st.integers(0, 2),
       costs=st.sampled_from(["default", "zero", "slow-locks"]), seed=st.integers(0, 1000))
def test_single_p_matches_reference_model(bursts, main_gosched, worker_gosched, strategy,
                                          start_schedtick, init, costs, seed):
    strat = gc.get_strategy(strategy)
    costs = {"default": gc.CostModel(), "zero": gc.CostModel.zero(),
             "slow-locks": gc.CostModel(lock=5000, globrunq=3000, execute=1)}[costs]
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, sum(bursts))
    for b, k in enumerate(bursts):
        m.go("worker", times=k)
        if main_gosched and b + 1 < len(bursts):
            m.gosched()
    m.wg_wait(wg)
    w = prog.func("worker")
    w.compute(gc.Exponential(500))
    w.mark("a")
    if worker_gosched:
        w.gosched()
        w.mark("b")
    w.wg_done(wg)
    machine = gc.Machine(procs=1, start_schedtick=start_schedtick, init_goroutines=init)
    res = gc.run(prog, machine=machine, strategy=strat, seed=seed, costs=costs, check_every=1)
    assert res.status == "ok"
    model = OnePModel(strat, start_schedtick, init)
    order, marks = model.run(bursts, main_gosched, worker_gosched)
    assert res.start_order.tolist() == order
    got = list(zip(res.marks["label"], res.marks["goid"]))
    assert got == marks
    s = res.summary
    assert s["runqputslow"] == model.stats["runqputslow"]
    assert s["fairness_gets"] == model.stats["fairness_gets"]
    assert s["steals"] == s["steal_attempts"] == 0
    assert s["goroutines_finished"] == s["goroutines_created"] == sum(bursts) + 1


# --------------------------------------------------------------------------------------------
# Targeted checks

def _fanout(n, *, worker_work=100, gosched=False):
    prog = gc.Program()
    wg = prog.waitgroup("wg")
    m = prog.func("main")
    m.wg_add(wg, n)
    m.go("worker", times=n)
    m.wg_wait(wg)
    w = prog.func("worker")
    w.compute(worker_work)
    if gosched:
        w.gosched()
    w.mark("w")
    w.wg_done(wg)
    return prog


@pytest.mark.parametrize("strategy", ["go", "global"])
def test_single_p_never_steals(strategy):
    res = gc.run(_fanout(2000, worker_work=gc.Exponential(3000)), procs=1, strategy=strategy,
                 seed=3, check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["steals"] == s["stolen_gs"] == s["steal_attempts"] == s["runnext_steals"] == 0
    assert len(res.steals) == 0
    assert s["threads"] == 2                      # main's M and sysmon: wakep finds no idle P
    assert s["goroutines_created"] == s["goroutines_finished"] == 2001


def test_multi_p_go_does_steal():
    # the counterpart of the test above: the same program on 8 Ps spreads by stealing
    res = gc.run(_fanout(2000, worker_work=gc.Exponential(3000)), procs=8, seed=3,
                 check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["steals"] > 0 and s["stolen_gs"] >= s["steals"]
    assert (res.per_p["executes"] > 0).sum() >= 4


@pytest.mark.parametrize("procs", [1, 4, 16])
def test_global_strategy_never_steals_and_queues_everything_globally(procs):
    res = gc.run(_fanout(1500, worker_work=gc.Exponential(2000), gosched=True), procs=procs,
                 strategy="global", seed=5, check_every=1)
    s = res.summary
    assert res.status == "ok"
    n = s["goroutines_created"] - 1
    assert n == 1500
    assert s["steals"] == s["steal_attempts"] == 0 and len(res.steals) == 0
    assert s["runnext_puts"] == 0 and s["runqputslow"] == 0
    assert s["executes_inherit"] == 1             # only main's start
    # every spawn, every Gosched and main's wake-up went through the global queue
    assert s["globrunq_puts"] >= s["goroutines_created"] - 1
    assert s["globrunq_puts"] == n + n + s["readies"]
    assert s["globrunq_gets"] == s["globrunq_puts"]
    assert s["globrunq_batches"] == s["globrunq_gets"]      # one G at a time
    assert (res.per_p["runqsize"] == 0).all() and (res.per_p["runnext"] == -1).all()


@pytest.mark.parametrize("n,slow", [(256, 0), (257, 0), (258, 1), (258 + 128, 1),
                                    (258 + 129, 2)])
def test_burst_on_one_p_runqputslow(n, slow):
    """On one P a burst of `go` statements fills runnext and the 256-slot ring; the G kicked
    out of runnext by spawn #258 finds the ring full: runqputslow moves the 128 oldest Gs plus
    that one (129) to the global queue.  (Spawn #257 still fits: 256 in the ring + runnext.)
    After that the ring holds 128, so the next runqputslow comes 129 spawns later."""
    res = gc.run(_fanout(n), procs=1, seed=1, check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["runqputslow"] == slow
    assert s["globrunq_puts"] == 129 * slow
    assert s["globrunq_gets"] == 129 * slow
    so = res.start_order.tolist()
    if slow:
        # the first execute after main parks (schedtick 0, global queue non-empty) is the
        # fairness pick of the oldest G (spawn #1, goid 2); then runnext (the last spawned),
        # then the ring head: spawn #129 after one runqputslow, #258 after two
        first_ring = {1: 129, 2: 258}[slow]
        assert so[:4] == [1, 2, n + 1, first_ring + 1]
    else:
        # runnext first, then the ring in spawn order
        assert so == [1, n + 1] + list(range(2, n + 1))


def test_runqputslow_preserves_order_to_global_tail():
    # Strategy without the fairness pick: after main parks, the P drains runnext, then its
    # ring, then refills from the global queue -- which must hold the 128 oldest Gs, in order,
    # then the kicked G (#257 of 258).
    strat = gc.Strategy(name="nofair", fairness_tick=0)
    res = gc.run(_fanout(258), procs=1, strategy=strat, seed=1, check_every=1)
    so = res.start_order.tolist()
    goid = lambda k: k + 1                         # noqa: E731 - spawn #k has goid k+1
    expected = ([1, goid(258)] + [goid(k) for k in range(129, 257)]
                + [goid(k) for k in range(1, 129)] + [goid(257)])
    assert so == expected
    assert res.summary["fairness_gets"] == 0
    assert res.summary["globrunq_batches"] == 2    # 128 max per refill: 128, then 1


def test_fairness_pick_every_61_ticks():
    # 1000 spawns on one P: the ring overflows several times, and while the local ring is
    # non-empty the global queue is only reached by the schedtick % 61 pick.
    res = gc.run(_fanout(1000), procs=1, seed=1, check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["fairness_gets"] > 1
    assert s["runqputslow"] == (1000 - 258) // 129 + 1
    # without the fairness tick the global queue is reached only when the ring is empty
    res0 = gc.run(_fanout(1000), procs=1, seed=1, check_every=1,
                  strategy=gc.Strategy(name="nofair", fairness_tick=0))
    assert res0.summary["fairness_gets"] == 0
    assert res0.start_order.tolist() != res.start_order.tolist()
    # start_schedtick moves where the pick falls
    res7 = gc.run(_fanout(1000), procs=1, seed=1, check_every=1,
                  machine=gc.Machine(procs=1, start_schedtick=7))
    assert res7.start_order.tolist() != res.start_order.tolist()
    assert res7.summary["executes"] == res.summary["executes"]


def test_fairness_pick_positions_single_p():
    # 258 spawns: global = [#1..#128, #257], ring = [#129..#256], runnext = #258.  schedtick
    # is 0 when main parks -> #1 from the global queue (tick 1), #258 inherits, the ring runs at
    # ticks 2.., and at tick 61 and 122 the next global G (#2, #3) is picked.
    res = gc.run(_fanout(258), procs=1, seed=1, check_every=1)
    so = [g - 1 for g in res.start_order.tolist()[1:]]     # spawn numbers
    assert so[:3] == [1, 258, 129]
    i61 = so.index(2)
    i122 = so.index(3)
    # picks happen after 59 and then 60 ring Gs
    assert so[3:i61] == list(range(130, 130 + i61 - 3)) and i61 - 2 == 60
    assert i122 - i61 == 61
    assert res.summary["fairness_gets"] >= 3


def test_steals_take_half_from_head():
    # one producer goroutine per P spawning in bursts: steals happen, each takes ceil(n/2)
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 4000)
    with m.loop(20):
        m.go("w", times=200)
        m.compute(20000)
    m.wg_wait(wg)
    w = prog.func("w")
    w.compute(gc.Exponential(5000))
    w.wg_done(wg)
    res = gc.run(prog, procs=8, seed=11, check_every=1)
    st_ = res.steals
    assert res.status == "ok" and len(st_) > 20
    ring = st_[~st_["runnext"]]
    assert (ring["n"] == ring["victim_len"] - ring["victim_len"] // 2).all()
    assert (st_["thief"] != st_["victim"]).all()
    assert res.summary["stolen_gs"] == st_["n"].sum()


def test_no_wait_program_leaves_goroutines_unfinished():
    # main does not wait: Go exits when main returns, so goroutines are left behind
    prog = gc.Program()
    m = prog.func("main")
    m.go("w", times=100)
    w = prog.func("w")
    w.compute(10**6)
    res = gc.run(prog, procs=4, seed=1, check_every=1)
    s = res.summary
    assert res.status == "ok"
    assert s["goroutines_created"] == 101
    assert s["goroutines_finished"] < s["goroutines_created"]
    assert s["goroutines_live"] == s["goroutines_created"] - s["goroutines_finished"]


def test_schedtick_wraps_modulo_2_32():
    start = 2**32 - 3
    res = gc.run(_fanout(50), procs=1, seed=1, check_every=1,
                 machine=gc.Machine(procs=1, start_schedtick=start))
    s = res.summary
    ticks = (int(res.per_p["schedtick"].sum()) - start) % 2**32
    assert s["executes"] == s["executes_inherit"] + ticks


@pytest.mark.parametrize("strategy", ["go", "global"])
@pytest.mark.parametrize("procs", [1, 4])
def test_runtime_goroutines_run_before_deadlock(strategy, procs):
    """Machine.init_goroutines: runtime goroutines runnable when main starts; each runs once
    and parks for good.  When main blocks for ever, they must have run before every M parks."""
    prog = gc.Program()
    wg = prog.waitgroup()
    m = prog.func("main")
    m.wg_add(wg, 1)
    m.wg_wait(wg)                                  # nobody will Done(): deadlock
    res = gc.run(prog, strategy=strategy, check_every=1, max_events=10**5,
                 machine=gc.Machine(procs=procs, init_goroutines=2))
    s = res.summary
    assert res.status == "deadlock"
    assert s["executes"] == 1 + 2                  # main, then each runtime goroutine once
    assert s["parks"] == 1 + 2


# --- counters add up under extreme costs and sampling (issue 12) ------------------------------

def check_counters_add_up(res: gc.Result):
    """Every counter is non-negative and the ones kept twice agree (the engine checks the
    same with check_every: invariants 60-66)."""
    s, pp = res.summary, res.per_p_records
    for k, v in s.items():
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            assert v >= 0, k
    for name in pp.dtype.names:
        if name not in ("runnext",):
            assert (pp[name] >= 0).all(), name
    assert pp["steals"].sum() == s["steals"]
    assert pp["stolen"].sum() == pp["stolen_from"].sum() == s["stolen_gs"]
    assert pp["executes"].sum() == s["executes"]
    assert pp["steal_attempts"].sum() == s["steal_attempts"]
    assert pp["cas_fail"].sum() == s["cas_failures"]
    assert res.latency.count == int(res.latency.counts.sum())
    assert s["goroutines_finished"] <= s["goroutines_created"]
    assert s["stw_stop_ns_total"] + s["stw_pause_ns_total"] <= s["emulated_ns"] + 1e-6
    threads = max(s["threads"], 1)
    assert s["idle_cycles"] <= threads * s["emulated_cycles"]
    assert s["spinning_cycles"] <= threads * s["emulated_cycles"]


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=programs(), cfg=configs(),
       extreme=st.dictionaries(st.sampled_from(list(gc.CostModel.__dataclass_fields__)),
                               st.sampled_from([0, 1, 10**6, 10**9, 10**12]), max_size=3),
       sampling=st.sampled_from([{}, {"sample_every_ns": 1}, {"sample_every_ns": 997},
                                 {"schedtrace_ms": 0.001, "scheddetail": True}]),
       gc_period=st.sampled_from([0, 1000, 100_000]))
def test_counters_add_up_under_extreme_costs_and_sampling(spec, cfg, extreme, sampling,
                                                          gc_period):
    m = cfg["machine"]
    machine = gc.Machine(**{**m.__dict__, "gc_period_ns": gc_period})
    costs = gc.CostModel(**{**cfg["costs"].__dict__, **extreme})
    if costs.execute >= int(machine.time_slice_ns * machine.clock_ghz):
        with pytest.raises(ValueError, match="shorter than the time slice"):
            gc.run(build(spec), procs=cfg["procs"], machine=machine, costs=costs)
        return
    try:
        res = gc.run(build(spec), procs=cfg["procs"], strategy=cfg["strategy"], seed=cfg["seed"],
                     machine=machine, costs=costs, record=cfg["record"],
                     max_events=min(cfg["max_events"], 20_000), check_every=13,
                     max_cycles=cfg["max_cycles"] or 10**11, memory_limit=64 << 20, **sampling)
    except gc.MemoryLimitError as e:
        assert "sampl" in str(e) or "scheddetail" in str(e)
        return
    assert res.status in ("ok", "max_events", "max_cycles", "deadlock")
    check_counters_add_up(res)
