"""Fuzz campaign: random programs on random machines, strategies, costs, kernels and sampling
settings, each run with the invariant checker on.  Deterministic: program i of seed S is
always the same, so a finding is rerun with `--start i --count 1`.

    python scripts/fuzz.py --count 20000            # ~ tens of minutes on one core
    python scripts/fuzz.py --count 1 --start 1234 -v   # one case again, with its config

Every run is bounded (max_events, max_cycles, memory_limit), so the campaign stops by
itself.  A run may end in any status, or raise one of the exceptions the API documents for
bad or hopeless input (ProgramError: Go would panic; MemoryLimitError; OverflowError;
KernelError from the deliberately failing kernel; ValueError for a refused configuration).
Anything else -- InternalError (a broken invariant), another exception, a crash of the
worker process -- is a finding, printed with the case number.  Exit status 1 if any.
"""
from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import gmpcore as gc  # noqa: E402

EXPECTED = (gc.ProgramError, gc.MemoryLimitError, OverflowError, gc.KernelError)
PRESETS = ["go", "global", "tokio", "forkjoin", "steal-one", "no-steal", "steal-tail"]
_KERNELS = {}


def kernels():
    """A few user kernels (compiled once): Go's victim order, a random-ish one, steal-one,
    ready to the ring tail, and one that fails on purpose."""
    if not _KERNELS:
        @gc.kernel("choose_victim")
        def go_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
            inc = coprimes[(r // nprocs) % ncoprimes]
            return (r % nprocs + i * inc) % nprocs if i < nprocs else -1

        @gc.kernel("choose_victim")
        def backwards(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
            return (thief + nprocs - 1 - i) % nprocs if i < nprocs else -1

        @gc.kernel("steal_amount")
        def one(victim_len, thief, victim, ring_cap):
            return 1 if victim_len > 0 else 0

        @gc.kernel("place_ready")
        def tail_if_busy(p, goid, kind, runq_len, runnext_busy):
            return 1 if runnext_busy else 0

        @gc.kernel("steal_amount")
        def broken(victim_len, thief, victim, ring_cap):
            return -7 if victim_len > 3 else victim_len

        _KERNELS.update(victim=[go_order, backwards], amount=[one, broken],
                        ready=[tail_if_busy])
    return _KERNELS


def dist(r: random.Random, scale: int):
    k = r.random()
    if k < 0.4:
        return r.choice([0, 1, 50, scale, 10 * scale])
    if k < 0.6:
        return gc.Exponential(max(scale, 1))
    if k < 0.8:
        return gc.Uniform(0, 2 * scale)
    return gc.LogNormal(max(scale, 1), r.choice([0.5, 1.5, 3.0]))


def program(r: random.Random) -> gc.Program:
    prog = gc.Program()
    chans = [prog.chan(f"c{i}", cap=r.choice([0, 0, 1, 3, 64])) for i in range(r.randint(1, 3))]
    mus = [prog.mutex(f"m{i}") for i in range(r.randint(1, 2))]
    rws = [prog.rwmutex("rw")]
    rt = prog.runtime_lock("rt")
    wgs = [prog.waitgroup(f"wg{i}") for i in range(2)]
    vars_ = [prog.var("v"), prog.var("pp", per_p=True), prog.var("pad", per_p=True, padded=True)]
    nf = r.randint(1, 6)
    # the DSL's values: some functions take an int and a channel (go f(x, ch)), and use
    # expressions, if/else and channels made at run time (gmpcore/expr.py)
    funcs = [prog.func("main")] + [prog.func(f"f{i}", *(("x", "c chan") if r.random() < 0.3
                                                        else ())) for i in range(nf)]
    scale = r.choice([10, 1000, 100_000, 10_000_000])

    def body(k, f, depth, nops):
        for _ in range(nops):
            op = r.choice(["compute", "compute", "go", "go", "mark", "loop", "gosched", "send",
                           "recv", "close", "lock", "rwlock", "sleep", "wg", "hold", "select",
                           "syscall", "netwait", "alloc", "gc", "gomaxprocs", "touch",
                           "timeout", "range", "ret", "xmark", "if", "mkchan", "let"])
            if op == "compute":
                f.compute(dist(r, scale))
            elif op == "go" and k + 1 < len(funcs):
                g = funcs[r.randint(k + 1, len(funcs) - 1)]
                args = ()
                if g.params:
                    args = (value(f), r.choice(chans) if r.random() < 0.5 or not f.params
                            else f.params[1])
                f.go(g, *args, times=r.choice([1, 1, 3, 50, 400]))
            elif op == "xmark":
                f.mark(f"x{k}", *[value(f) for _ in range(r.randint(1, 3))])
            elif op == "let":
                if f._nslots < 12:
                    f.let(f"l{f._nslots}", value(f))
            elif op == "if" and depth < 3:
                with f.if_(r.choice([value(f) < value(f), value(f) == value(f),
                                     (value(f) > 0) & (value(f) != 3)])):
                    body(k, f, depth + 1, r.randint(0, 2))
                if r.random() < 0.5:
                    with f.else_():
                        body(k, f, depth + 1, r.randint(0, 2))
            elif op == "mkchan" and f._nslots < 12:
                ch = f.make_chan(cap=r.choice([0, 1, 4]))
                if r.random() < 0.5:
                    f.send(ch, value(f))
                if r.random() < 0.5:
                    f.recv(ch)
                if r.random() < 0.3:
                    f.close(ch)
            elif op == "mark":
                f.mark(f"m{k}")
            elif op == "loop" and depth < 3:
                with f.loop(r.choice([0, 1, 3, 20])):
                    body(k, f, depth + 1, r.randint(0, 3))
            elif op == "gosched":
                f.gosched()
            elif op == "send":
                ch = f.params[1] if f.params and r.random() < 0.3 else r.choice(chans)
                f.send(ch, r.choice(["spawn", "iter", "val", 7, value(f)]))
            elif op == "recv":
                f.recv(r.choice(chans))
            elif op == "range" and depth < 3:
                with f.range(r.choice(chans)):
                    body(k, f, depth + 1, r.randint(0, 2))
            elif op == "close":
                f.close(r.choice(chans))
            elif op == "lock":
                mu = r.choice(mus)
                f.lock(mu).compute(dist(r, scale)).unlock(mu)
            elif op == "rwlock":
                if r.random() < 0.5:
                    f.rlock(rws[0]).compute(300).runlock(rws[0])
                else:
                    f.lock(rws[0]).compute(300).unlock(rws[0])
            elif op == "sleep":
                f.sleep(dist(r, scale))
            elif op == "wg":
                wg = r.choice(wgs)
                if r.random() < 0.8:
                    f.wg_add(wg, 1).wg_done(wg)
                else:
                    f.wg_add(wg, r.choice([1, 2, -1]))
                    if r.random() < 0.5:
                        f.wg_wait(wg)
            elif op == "hold":
                f.hold(rt, dist(r, scale))
            elif op == "select":
                with f.select() as sel:
                    for _ in range(r.randint(1, 3)):
                        kind = r.choice(["recv", "send", "after", "done", "default"])
                        if kind in ("after", "done", "default") and any(
                                c[0] == kind for c in sel.cases):
                            continue            # (at most one after/done/default case)
                        if True:
                            if kind == "recv":
                                cm = sel.recv(f.params[1] if f.params and r.random() < 0.4
                                              else r.choice(chans))
                            elif kind == "send":
                                cm = sel.send(r.choice(chans), "spawn")
                            elif kind == "after":
                                cm = sel.after(dist(r, scale))
                            elif kind == "done":
                                cm = sel.done()
                            else:
                                cm = sel.default()
                        with cm:
                            f.mark(f"s{kind}")
                    if not any(c[0] != "default" for c in sel.cases):
                        with sel.done():
                            f.mark("sdone")
            elif op == "syscall":
                f.syscall(dist(r, scale))
            elif op == "netwait":
                f.net_wait(dist(r, scale))
            elif op == "alloc":
                f.alloc(r.choice([1, 1000, 100_000]))
            elif op == "gc":
                f.gc()
            elif op == "gomaxprocs":
                f.gomaxprocs(r.randint(1, 12))
            elif op == "touch":
                f.touch(r.choice(vars_), r.choice(["read", "write", "rmw"]))
            elif op == "timeout":
                f.with_timeout(dist(r, scale))
            elif op == "ret" and r.random() < 0.2:
                f.ret()

    def value(f):
        """A random int expression over what f can read (division and shifts may panic)."""
        leaves = [f.spawn, f.received, r.randint(-5, 5)] + ([f.params[0]] if f.params else [])
        a, b = r.choice(leaves), r.choice(leaves)
        op = r.choice(["+", "-", "*", "//", "%", "<<", ">>", "&", "leaf", "leaf", "panic"])
        if op == "leaf" or (isinstance(a, int) and isinstance(b, int)):
            return gc.expr.as_expr(a) if isinstance(a, int) else a
        b = gc.expr.as_expr(b)
        # (divisors and shift counts kept valid but for the rare "panic" case)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "//": lambda: a // (b | 1), "%": lambda: a % (b | 1),
                "<<": lambda: a << (b & 15), ">>": lambda: a >> (b & 127),
                "&": lambda: a & b, "panic": lambda: a // b}[op]()

    for k, f in enumerate(funcs):
        body(k, f, 0, r.randint(0, 8))
    if r.random() < 0.15 and any(not g.params for g in funcs[1:]):
        prog.arrivals(r.choice([g for g in funcs[1:] if not g.params]),
                      gc.Exponential(r.choice([100, 10_000])), r.randint(1, 500))
    return prog


def costs(r: random.Random) -> gc.CostModel:
    k = r.random()
    fields = list(gc.CostModel.__dataclass_fields__)
    if k < 0.3:
        return gc.CostModel()
    if k < 0.45:
        return gc.CostModel.zero()
    if k < 0.8:
        return gc.CostModel(**{f: r.randint(0, 300) for f in fields})
    # extreme: a few costs anywhere up to the validated maximum
    kw = {f: r.choice([0, 1, 10**6, 10**9, 10**12]) for f in r.sample(fields, r.randint(1, 4))}
    return gc.CostModel(**kw)


def strategy(r: random.Random):
    k = r.random()
    if k < 0.5:
        return r.choice(PRESETS)
    if k < 0.75:
        cap = r.choice([2, 4, 8, 256])
        runnext = r.random() < 0.7
        return gc.Strategy(name="fz", ring_cap=cap, use_runnext=runnext,
                           steal_passes=r.randint(1, 5), steal_runnext=runnext and r.random() < 0.5,
                           fairness_tick=r.choice([0, 1, 7, 61]),
                           global_batch_max=r.choice([1, max(cap // 2, 1)]),
                           local_order=r.choice(["fifo", "lifo"]),
                           steal_end=r.choice(["head", "tail"]),
                           victim=r.choice(["go", "random", "sequential", "round_robin",
                                            "same_socket"]),
                           steal_amount=r.choice(["half", "one", "all_but_one", 2]),
                           ready=r.choice(["runnext", "tail", "global"]))
    ks = kernels()
    kw = {}
    if r.random() < 0.7:
        kw["victim"] = r.choice(ks["victim"])
    if r.random() < 0.5:
        kw["steal_amount"] = r.choice(ks["amount"])
    if r.random() < 0.4:
        kw["ready"] = r.choice(ks["ready"])
    return gc.Strategy(name="fzk", **kw)


def machine(r: random.Random) -> gc.Machine:
    procs = r.choice([1, 1, 2, 3, 4, 8, 16, 64])
    sockets = r.choice([1, 2]) if procs % 2 == 0 else 1
    return gc.Machine(procs=procs, sockets=sockets, cache=r.random() < 0.7,
                      layout=r.choice(["go", "padded"]), sysmon=r.random() < 0.85,
                      time_slice_ns=r.choice([1e3, 1e5, 1e7, 1e7, 1e12]),
                      start_schedtick=r.choice([0, 60, 2**32 - 1]),
                      init_goroutines=r.choice([0, 0, 1]),
                      gc_period_ns=r.choice([0, 0, 0, 1000, 2000, 100_000]),
                      gc_heap_goal_bytes=r.choice([0, 0, 1, 200_000]),
                      gc_sweepterm_ns=r.choice([0, 20_000]), gc_mark_ns=r.choice([0, 2e6]),
                      gc_markterm_ns=r.choice([0, 50_000]),
                      max_threads=r.choice([procs, 10000]))


def case(i: int, seed: int):
    """(program, run keyword arguments) of case i: deterministic in (seed, i)."""
    r = random.Random(seed * 1_000_003 + i)
    prog = program(r)
    kw = dict(machine=machine(r), strategy=strategy(r), costs=costs(r),
              seed=r.randrange(2**64), record=r.random() < 0.5,
              max_events=r.choice([100, 5_000, 20_000]),
              max_cycles=r.choice([None, 10**6, 10**9, 2**62]),
              check_every=r.choice([0, 1, 7, 97]), memory_limit=r.choice([1 << 30, 64 << 20]))
    k = r.random()
    if k < 0.15:
        kw["schedtrace_ms"] = r.choice([0.001, 0.01, 1.0])
        kw["scheddetail"] = r.random() < 0.5
    elif k < 0.3:
        kw["sample_every_ns"] = r.choice([1, 100, 10_000])
    if r.random() < 0.1:
        kw["trace"] = r.choice([True, 100])
    c = kw["costs"]
    if max(getattr(c, f) for f in gc.CostModel.__dataclass_fields__) > 10**6 or \
            kw["machine"].time_slice_ns < 1e5 or kw["machine"].gc_period_ns:
        # steps of up to 10^12 cycles (or very frequent sysmon / GC events): each M step
        # spans up to ~10^8 background events, so bound the emulated time to keep every
        # case short (it ends at max_events anyway, but after minutes)
        kw["max_cycles"] = r.choice([10**6, 10**9, 10**11])
    m = kw["machine"]
    if not (m.gc_heap_goal_bytes or m.gc_period_ns):
        # the GC pacer's settings, from a generator of their own (the draws above, and so
        # every other case's program, stay what they were): small heap minimums and GOGC=0
        # make the programs' small allocations start cycles
        g = random.Random(seed * 1_000_003 + i + 7_777_777)
        kw["gc"] = gc.GC(gogc=g.choice([-1, 0, 10, 100]),
                         heap_minimum_bytes=g.choice([0, 64 << 10, 4 << 20]),
                         scan_bytes_per_ns=g.choice([0.01, 1.0, 100.0]),
                         workers=g.random() < 0.8, assists=g.random() < 0.8,
                         roots_bytes=g.choice([0, 4096, 128 << 10]))
    return prog, kw


def reuse_check(r: random.Random) -> None:
    """Objects of another (possibly freed) program must be refused, never used."""
    other = gc.Program()
    objs = [other.chan(cap=1), other.mutex(), other.waitgroup(), other.var(), other.rwmutex(),
            other.runtime_lock()]
    del other
    p = gc.Program()
    f = p.func("main")
    o = r.choice(objs)
    for call in (lambda: f.send(o, 1), lambda: f.lock(o), lambda: f.wg_wait(o),
                 lambda: f.touch(o), lambda: f.rlock(o), lambda: f.hold(o, 1)):
        try:
            call()
        except (ValueError, TypeError):
            continue
        raise AssertionError(f"a {type(o).__name__} of another program was accepted")


class CaseTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CaseTimeout()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="a case running longer (wall seconds) is a finding")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    slowest = []
    outcomes = collections.Counter()
    findings = []
    t0 = time.perf_counter()
    events = 0
    for i in range(a.start, a.start + a.count):
        try:
            prog, kw = case(i, a.seed)
        except ValueError as e:                     # a configuration the API refuses
            outcomes["refused config: " + str(e).split(":")[0][:40]] += 1
            continue
        if a.verbose:
            print(i, kw, "\n", prog["main"], file=sys.stderr)
        tc = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, a.timeout)
        try:
            reuse_check(random.Random(i))
            res = gc.run(prog, **kw)
            outcomes[res.status] += 1
            events += res.summary["events"]
            for k in ("idle_cycles", "spinning_cycles", "lock_wait_cycles", "cache_cycles"):
                if res.summary[k] < 0:
                    raise AssertionError(f"{k} = {res.summary[k]} < 0")
        except EXPECTED as e:
            outcomes[type(e).__name__] += 1
        except ValueError as e:
            if "must be shorter than the time slice" in str(e):
                outcomes["refused: execute >= time slice"] += 1
            else:
                findings.append((i, traceback.format_exc()))
        except CaseTimeout:
            findings.append((i, f"did not end within {a.timeout} s (a run must end, or be "
                                f"refused)\n"))
        except Exception:                           # noqa: BLE001 -- every other one is a bug
            findings.append((i, traceback.format_exc()))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        slowest = sorted(slowest + [(time.perf_counter() - tc, i)])[-5:]
        if (i - a.start + 1) % 1000 == 0:
            print(f"... {i - a.start + 1} cases, {time.perf_counter() - t0:.0f} s, "
                  f"{len(findings)} findings", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0
    print(f"fuzz: seed {a.seed}, cases {a.start}..{a.start + a.count - 1}: {a.count} programs "
          f"in {wall:.1f} s, {events:,} events; findings: {len(findings)}")
    for k, v in sorted(outcomes.items(), key=lambda kv: -kv[1]):
        print(f"  {v:7d}  {k}")
    print("slowest cases: " + ", ".join(f"#{i} {t:.1f} s" for t, i in reversed(slowest)))
    for i, tb in findings[:20]:
        print(f"--- case {i} (rerun: --start {i} --count 1 --seed {a.seed} -v)\n{tb}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
