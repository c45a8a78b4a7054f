"""Recorded-vs-replayed comparison tables (gmpcore.replay.compare, `gmpcore replay`)."""
from __future__ import annotations

__all__ = ["compare"]


def _calibration(calibration):
    if calibration is None:
        return None
    from ..calibrate.core import Calibration, load_calibration
    if isinstance(calibration, Calibration):
        return calibration
    return load_calibration(calibration)


def compare(trace, strategies=("go",), procs=None, seed: int = 0, scale: float = 1.0,
            clock_ghz: float | None = None, costs=None, calibration=None,
            timers: str = "recorded", mutexes: bool = True, measure: bool = True,
            cores: int | None = None, **run_kw):
    """Replay `trace` (a Trace or a path) under every strategy x P count and return a
    DataFrame: the first row is the recorded program, then one row per replay.

    `calibration`: a `gmpcore calibrate` file (or Calibration) whose costs, clock and cores
    the replays use (recommended: the machine the trace was recorded on); `costs`/`clock_ghz`
    override it (default clock 3.0 GHz).  `cores`: the replays' Machine.cores (default: the
    calibration's, else one per P); with more Ps than cores the Ps' threads time-share the
    cores, as they did in a recording with GOMAXPROCS > cores.  With `measure` (default) each replay runs with
    trace=True and its latency is measured from its own Go trace exactly as the recording's
    is (Replay.measure); without, from the run's latency histogram.

    Columns: run, strategy, procs, status, goroutines, wall_ns, latency_p50_ns,
    latency_p90_ns and the replayed/recorded ratios wall_ratio, p50_ratio, p90_ratio."""
    import pandas as pd
    from .. import Machine, run
    from .format import Trace, read_trace
    tr = trace if isinstance(trace, Trace) else read_trace(trace)
    cal = _calibration(calibration)
    if clock_ghz is None:
        clock_ghz = cal.machine.clock_ghz if cal is not None else 3.0
    if costs is None and cal is not None:
        costs = cal.costs
    rp = tr.replay(clock_ghz=clock_ghz, scale=scale, timers=timers, mutexes=mutexes)
    rec = rp.recorded()
    rows = [dict(run="recorded", strategy="(Go)", procs=rp.procs, status="ok",
                 goroutines=rec["goroutines"], wall_ns=float(rec["wall_ns"]),
                 latency_p50_ns=rec["latency_p50_ns"], latency_p90_ns=rec["latency_p90_ns"])]
    for strat in strategies:
        for p in (procs or [rp.procs]):
            if cal is not None:
                m = cal.machine_for(p, clock_ghz=clock_ghz,
                                    **({"cores": cores} if cores is not None else {}))
            else:
                m = Machine(procs=p, clock_ghz=clock_ghz, cores=cores)
            kw = dict(machine=m, strategy=strat, seed=seed, **run_kw)
            if costs is not None:
                kw["costs"] = costs
            if measure:
                kw["trace"] = True
            res = run(rp.program, **kw)
            name = strat if isinstance(strat, str) else getattr(strat, "name", "custom")
            if measure:
                mm = rp.measure(res)
            else:
                mm = {"wall_ns": float(res.summary["emulated_ns"]),
                      "latency_p50_ns": float(res.latency.percentile(50)),
                      "latency_p90_ns": float(res.latency.percentile(90)),
                      "goroutines": int(res.summary["goroutines_created"])
                      - len(rp.synthetic)}
            rows.append(dict(run="replayed", strategy=name, procs=p,
                             status=res.summary["status"], goroutines=mm["goroutines"],
                             wall_ns=mm["wall_ns"], latency_p50_ns=mm["latency_p50_ns"],
                             latency_p90_ns=mm["latency_p90_ns"]))
    df = pd.DataFrame(rows)
    for col, src in (("wall_ratio", "wall_ns"), ("p50_ratio", "latency_p50_ns"),
                     ("p90_ratio", "latency_p90_ns")):
        df[col] = df[src] / float(df[src].iloc[0]) if df[src].iloc[0] else float("nan")
    df.attrs["replay"] = rp
    df.attrs["parse_events_per_s"] = tr.events_per_s
    return df
