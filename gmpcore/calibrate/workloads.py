"""The multi-P oracle: four small Go workloads, their gmpcore (DSL) twins, and the table of
predicted vs real.

Each workload exists twice with the same shape: in Go (gmpcalib's workloads.go, run by
go_workloads) and as a gmpcore Program (twin).  The unit of user work is gmpcalib's spin loop:
`work` iterations in Go are `cal.work_cycles(work)` cycles of compute in the twin.

    flat   main spawns n goroutines; each does `work` and wg.Done(); main waits
    tree   a fan-out-8 tree shaped as gmpcore.workloads.tree(n, fanout=8); leaves do `work`
    pool   4 workers `for v := range ch` over a channel of capacity 64; main sends n values
    mutex  8 goroutines share one sync.Mutex, n critical sections in all: `work` inside the
           lock and `work` outside it per iteration
    pipeline  three stages joined by unbuffered channels, each doing `work` per value; main
           feeds n values, a sink goroutine drains the last stage
"""
from __future__ import annotations

import os

from ..dist import Const, Exponential
from ..program import Program
from .. import workloads as _wl
from . import _go

__all__ = ["WORKLOADS", "twin", "go_workloads", "emulate", "predicted_vs_real", "selfcheck"]

WORKLOADS = ("flat", "tree", "pool", "mutex", "pipeline")
_ALL = WORKLOADS


def _work(cycles, exp):
    return Exponential(cycles) if exp else Const(int(cycles))


def twin(name: str, n: int, work_cycles: float, exp: bool = False) -> Program:
    """The gmpcore Program of Go workload `name` with n goroutines / items / critical
    sections and `work_cycles` cycles per unit of work (exp: exponential with that mean)."""
    if name not in _ALL:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(_ALL)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    w = _work(work_cycles, exp)
    if name == "flat":
        return _wl.burst(n, w)
    if name == "tree":
        return _wl.tree(n, w, fanout=8)
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    if name == "pool":
        ch = prog.chan("jobs", cap=64)
        main.wg_add(wg, 4).go("worker", times=4)
        with main.loop(n):
            main.send(ch, "iter")
        main.close(ch).wg_wait(wg)
        worker = prog.func("worker")
        with worker.range(ch):
            worker.compute(w)
        worker.wg_done(wg)
        return prog
    if name == "pipeline":
        chans = [prog.chan(f"c{i}") for i in range(4)]
        done = prog.chan("done")
        main.go("stage1").go("stage2").go("stage3").go("sink")
        with main.loop(n):
            main.send(chans[0], "iter")
        main.close(chans[0]).recv(done)
        for i in (1, 2, 3):
            st = prog.func(f"stage{i}")
            with st.range(chans[i - 1]):
                st.compute(w).send(chans[i], "val")
            st.close(chans[i])
        sink = prog.func("sink")
        with sink.range(chans[3]):
            pass
        sink.close(done)
        return prog
    # mutex: Go's `for i := g; i < n; i += 8` gives each of the 8 goroutines n/8 iterations
    if n % 8:
        raise ValueError(f"the mutex workload needs n divisible by 8, got {n}")
    mu = prog.mutex("mu")
    main.wg_add(wg, 8).go("worker", times=8).wg_wait(wg)
    worker = prog.func("worker")
    with worker.loop(n // 8):
        worker.lock(mu).compute(w).unlock(mu).compute(w)
    worker.wg_done(wg)
    return prog


def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return float("nan")


def go_workloads(workloads=WORKLOADS, procs=(1, 2), n: int = 200_000, work: int = 128,
                 reps: int = 5, exp: bool = False, progress=None):
    """Run the Go workloads for real: each (workload, procs) `reps` times, each run in a
    fresh process (cold free lists, as a real program starts), interleaved so that a burst
    of load from other processes spreads over every configuration.

    work: iterations of gmpcalib's unit loop per goroutine (mean, with exp=True).  Returns a
    DataFrame, one row per run: workload, procs, n, work, rep, wall_ns, latency_p50_ns,
    latency_p90_ns, latency_p99_ns (the runtime's /sched/latencies:seconds histogram over the
    workload, interpolated inside its buckets), latency_samples, load_before, load_after,
    cpu_ns (the process's CPU time over the workload), work_ns_per_iter (the run's own probe
    of the unit of work, just before and after the workload: the speed the machine ran at;
    predicted_vs_real scales its prediction by it).
    """
    import pandas as pd
    workloads = [workloads] if isinstance(workloads, str) else list(workloads)
    for w in workloads:
        if w not in _ALL:
            raise ValueError(f"unknown workload {w!r}; known: {', '.join(_ALL)}")
    procs = [procs] if isinstance(procs, int) else list(procs)
    if not procs or any(isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 1024
                        for p in procs):
        raise ValueError(f"procs must be ints between 1 and 1024, got {procs!r}")
    for name, v, lo in (("n", n, 1), ("work", work, 0), ("reps", reps, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"{name} must be an int >= {lo}, got {v!r}")
    if "mutex" in workloads and n % 8:
        raise ValueError(f"the mutex workload needs n divisible by 8, got {n}")
    exe = _go.build()
    rows = []
    for rep in range(reps):
        for w in workloads:
            for p in procs:
                before = _load()
                args = ["workload", w, "-procs", str(p), "-n", str(n), "-work", str(work),
                        "-reps", "1"] + (["-exp"] if exp else [])
                rec = _go.run_json(exe, args, timeout=1800)[0]
                rec.update(rep=rep, load_before=before, load_after=_load(), exp=bool(exp))
                rec.pop("name", None)
                rows.append({"workload": w, **rec})
                if progress:
                    progress(rows[-1])
    return pd.DataFrame(rows)


def emulate(cal, workloads=WORKLOADS, procs=(1, 2), n: int = 200_000, work: int = 128,
            exp: bool = False, seed: int = 1):
    """gmpcore's prediction of the same runs with calibration `cal`: one row per
    (workload, procs) with wall_ns (emulated time), latency_p50/p90/p99_ns, steals."""
    import pandas as pd
    from ..runner import run
    workloads = [workloads] if isinstance(workloads, str) else list(workloads)
    procs = [procs] if isinstance(procs, int) else list(procs)
    cycles = cal.work_cycles(work)
    rows = []
    for w in workloads:
        prog = twin(w, n, cycles, exp)
        for p in procs:
            res = run(prog, procs=p, costs=cal.costs, machine=cal.machine_for(p), seed=seed,
                      record=False)
            s = res.summary
            rows.append({"workload": w, "procs": p, "n": n, "work": work,
                         "work_cycles": cycles, "wall_ns": float(s["emulated_ns"]),
                         "latency_mean_ns": float(s["latency_mean_ns"]),
                         "latency_p50_ns": res.latency.percentile(50),
                         "latency_p90_ns": res.latency.percentile(90),
                         "latency_p99_ns": res.latency.percentile(99),
                         "steals": s.get("steals"), "status": s.get("status")})
    return pd.DataFrame(rows)


def predicted_vs_real(cal, real=None, workloads=WORKLOADS, procs=(1, 2), n: int = 200_000,
                      work: int = 128, reps: int = 5, exp: bool = False, seed: int = 1):
    """The comparison table: real Go (medians over `reps` runs, or the DataFrame `real`
    from go_workloads) next to gmpcore's prediction with calibration `cal`.

    One row per (workload, procs): real_wall_ms, pred_wall_ms, wall_ratio (pred / real),
    real_speedup / pred_speedup (wall at the smallest procs / wall at this procs),
    real/pred/ratio of the scheduling latency mean, p50 and p90 (Go: /sched/latencies:seconds,
    which samples every 8th transition of each goroutine -- real_samples says how many it
    had; gmpcore: every runnable -> running), real_cpu_ms (the process's CPU time: far below
    the wall time when other processes held the cores), wall_iqr_ms (spread of the real
    runs), load (mean 1-minute load average during the real runs).

    speed: the real runs' own unit of work (`work_ns_per_iter`, gmpcalib's probe just before
    and after each workload, median over the runs) over the calibration's.  A machine whose
    speed drifts (the dev VM's spin loop took 1.00 to 1.44 ns per iteration within minutes)
    runs every cycle of Go code slower or faster by that factor, so the prediction's times
    (wall, latencies) are the emulated ones times `speed`: the emulation at the clock the real
    runs had.  1 when the real data have no probe (older files)."""
    import pandas as pd
    if real is None:
        real = go_workloads(workloads, procs, n=n, work=work, reps=reps, exp=exp)
    real = real[real["workload"].isin(list(workloads) if not isinstance(workloads, str)
                                      else [workloads])]
    for col in ("latency_mean_ns", "cpu_ns", "work_ns_per_iter"):
        if col not in real:
            real = real.assign(**{col: float("nan")})
    # -1 marks "no samples" (a histogram without counts; a missing CPU time)
    real = real.assign(**{c: real[c].where(real[c] >= 0) for c in
                          ("latency_mean_ns", "latency_p50_ns", "latency_p90_ns", "cpu_ns")})
    g = real.groupby(["workload", "procs"], sort=False)
    med = g[["wall_ns", "cpu_ns", "latency_mean_ns", "latency_p50_ns", "latency_p90_ns",
             "latency_samples", "work_ns_per_iter"]].median()
    iqr = g["wall_ns"].quantile(0.75) - g["wall_ns"].quantile(0.25)
    load = g[["load_before", "load_after"]].mean().mean(axis=1)
    n_real = int(real["n"].iloc[0])
    work_real = int(real["work"].iloc[0])
    pred = emulate(cal, list(dict.fromkeys(real["workload"])),
                   sorted(set(int(p) for p in real["procs"])), n=n_real, work=work_real,
                   exp=bool(real["exp"].iloc[0]) if "exp" in real else exp, seed=seed)
    rows = []
    for _, pr in pred.iterrows():
        key = (pr["workload"], pr["procs"])
        r = med.loc[key]
        speed = r["work_ns_per_iter"] / cal.derived["work_ns_per_iter"]
        if not speed > 0:                       # NaN: no probe in the real data
            speed = 1.0
        pr = pr.copy()
        for col in ("wall_ns", "latency_mean_ns", "latency_p50_ns", "latency_p90_ns"):
            pr[col] = pr[col] * speed
        rows.append({"workload": key[0], "procs": key[1],
                     "real_wall_ms": r["wall_ns"] / 1e6, "pred_wall_ms": pr["wall_ns"] / 1e6,
                     "wall_ratio": pr["wall_ns"] / r["wall_ns"],
                     "real_cpu_ms": r["cpu_ns"] / 1e6,
                     "real_mean_us": r["latency_mean_ns"] / 1e3,
                     "pred_mean_us": pr["latency_mean_ns"] / 1e3,
                     "mean_ratio": pr["latency_mean_ns"] / r["latency_mean_ns"],
                     "real_p50_us": r["latency_p50_ns"] / 1e3,
                     "pred_p50_us": pr["latency_p50_ns"] / 1e3,
                     "p50_ratio": pr["latency_p50_ns"] / r["latency_p50_ns"],
                     "real_p90_us": r["latency_p90_ns"] / 1e3,
                     "pred_p90_us": pr["latency_p90_ns"] / 1e3,
                     "p90_ratio": pr["latency_p90_ns"] / r["latency_p90_ns"],
                     "real_samples": int(r["latency_samples"]),
                     "speed": speed,
                     "wall_iqr_ms": iqr.loc[key] / 1e6, "load": round(load.loc[key], 2)})
    df = pd.DataFrame(rows)
    base = df.groupby("workload")["procs"].transform("min")
    for col, src in (("real_speedup", "real_wall_ms"), ("pred_speedup", "pred_wall_ms")):
        ref = df[df["procs"] == base].set_index("workload")[src]
        df[col] = df["workload"].map(ref) / df[src]
    df["speedup_ratio"] = df["pred_speedup"] / df["real_speedup"]
    cols = ["workload", "procs", "real_wall_ms", "pred_wall_ms", "wall_ratio", "real_speedup",
            "pred_speedup", "speedup_ratio", "real_mean_us", "pred_mean_us", "mean_ratio",
            "real_p50_us", "pred_p50_us", "p50_ratio", "real_p90_us", "pred_p90_us",
            "p90_ratio", "real_samples", "real_cpu_ms", "wall_iqr_ms", "load", "speed"]
    return df[cols]


# --- the microbenchmarks, emulated -------------------------------------------------------------

def _micro_twin(name: str, n: int) -> tuple[Program, int, int]:
    """(Program, procs, operations) of gmpcalib microbenchmark `name` in the DSL."""
    prog = Program()
    main = prog.func("main")
    if name in ("spawn", "spawn_200k", "spawn_fresh"):
        return _wl.burst(n, 0), 1, n
    if name == "chan_buffered":
        ch = prog.chan("ch", cap=1)
        with main.loop(n):
            main.send(ch, 0).recv(ch)
        return prog, 1, n
    if name == "chan_unbuffered":
        ping, pong = prog.chan("ping"), prog.chan("pong")
        main.go("echo")
        with main.loop(n):
            main.send(ping, 0).recv(pong)
        main.close(ping)
        echo = prog.func("echo")
        with echo.range(ping):
            echo.send(pong, "val")
        return prog, 1, 2 * n
    if name == "gosched":
        with main.loop(n):
            main.gosched()
        return prog, 1, n
    if name == "mutex_uncontended":
        mu = prog.mutex("mu")
        with main.loop(n):
            main.lock(mu).unlock(mu)
        return prog, 1, n
    if name == "mutex_contended":
        mu, wg = prog.mutex("mu"), prog.waitgroup("wg")
        main.wg_add(wg, 2).go("locker", times=2).wg_wait(wg)
        locker = prog.func("locker")
        with locker.loop(n):
            locker.lock(mu).unlock(mu)
        locker.wg_done(wg)
        return prog, 2, 2 * n
    raise ValueError(f"no DSL twin for microbenchmark {name!r}")


SELFCHECK = ("spawn", "spawn_200k", "spawn_fresh", "spawn_p2", "spawn_p2w", "chan_buffered",
             "chan_unbuffered", "gosched", "mutex_uncontended", "mutex_contended")
# the spawn benchmarks: (recycled?) -- gmpcalib's spawn times a burst after one that filled
# the free lists; spawn_fresh is the first burst of a process
_SPAWN = {"spawn": (True, 1), "spawn_200k": (True, 1), "spawn_fresh": (False, 1),
          "spawn_p2": (True, 2), "spawn_p2w": (True, 2)}


def selfcheck(cal, benchmarks=SELFCHECK, seed: int = 1):
    """Emulate the microbenchmarks that have a DSL twin with calibration `cal` and put the
    emulated cost per operation next to the measured median: how well the calibrated
    CostModel (and the cache model on top of it) reproduces its own inputs.  The spawn
    benchmarks are emulated as gmpcalib runs them: a burst that recycles the Gs of the one
    before (spawn, spawn_200k; spawn_p2 and spawn_p2w at procs=2, spawn_p2w with 128
    iterations of the unit loop per goroutine and its measured median brought to the
    calibration's speed), or the first burst of a process (spawn_fresh)."""
    import pandas as pd
    from ..runner import run
    rows = []
    for name in benchmarks:
        if name not in cal.measurements:
            continue
        m = cal.measurements[name]
        n = int(m["n"])
        measured = m["median_ns"]
        if name in _SPAWN:
            from .core import _per_g, spawn_target
            recycled, procs = _SPAWN[name]
            # spawn_p2w: at the calibration's speed (its own probe of the unit of work)
            measured, work_ns = spawn_target(cal.measurements, name,
                                             cal.derived.get("work_ns_per_iter"))
            pred = _per_g(cal.costs, cal.machine, n, recycled, procs,
                          int(round(work_ns * cal.machine.clock_ghz)))
        else:
            prog, procs, ops = _micro_twin(name, n)
            res = run(prog, procs=procs, costs=cal.costs, machine=cal.machine_for(procs),
                      seed=seed, record=False)
            pred = res.summary["emulated_ns"] / ops
        rows.append({"benchmark": name, "procs": procs, "unit": m["unit"],
                     "measured_ns": measured, "emulated_ns": pred,
                     "ratio": pred / measured})
    return pd.DataFrame(rows)
