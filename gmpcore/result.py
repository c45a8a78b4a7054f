"""What a run returns: plain data (numpy arrays, dicts, pandas frames)."""
from __future__ import annotations

import dataclasses

from dataclasses import dataclass, field

import numpy as np

from . import _engine
from ._version import __version__

__all__ = ["LatencyHistogram", "Result", "ProgramNames", "bucket_bounds", "program_names"]

SUB_BITS = _engine.HIST_SUBBITS
NBUCKETS = _engine.HIST_NBUCKETS
_SUB = 1 << SUB_BITS


def bucket_bounds(nbuckets: int = NBUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """[low, high) cycle range of every histogram bucket (mirrors core/hist.pxi)."""
    lo = np.zeros(nbuckets, dtype=np.float64)
    hi = np.zeros(nbuckets, dtype=np.float64)
    for b in range(nbuckets):
        if b < _SUB:
            lo[b], hi[b] = b, b + 1
        else:
            e = b // _SUB + SUB_BITS - 1
            sub = b % _SUB
            lo[b] = (_SUB + sub) * 2.0 ** (e - SUB_BITS)
            hi[b] = (_SUB + 1 + sub) * 2.0 ** (e - SUB_BITS)
    return lo, hi


_LO, _HI = bucket_bounds()


class LatencyHistogram:
    """Scheduling latency (runnable -> running), log-bucketed: constant memory for any count.

    Percentiles are exact to within one bucket (1/32 of the value); the mean, min-free sum and
    max are exact.  Values are returned in nanoseconds unless unit="cycles".
    """

    def __init__(self, counts: np.ndarray, total_cycles: int, max_cycles: int, clock_ghz: float):
        self.counts = np.asarray(counts, dtype=np.int64)
        self.count = int(self.counts.sum())
        self.total_cycles = int(total_cycles)
        self.max_cycles = int(max_cycles)
        self.clock_ghz = float(clock_ghz)

    def _scale(self, v, unit):
        if unit == "cycles":
            return float(v)
        if unit == "ns":
            return float(v) / self.clock_ghz
        raise ValueError(f"unit must be 'ns' or 'cycles', got {unit!r}")

    def mean(self, unit: str = "ns") -> float:
        if self.count == 0:
            return float("nan")
        return self._scale(self.total_cycles / self.count, unit)

    @property
    def mean_ns(self) -> float:
        return self.mean("ns")

    def max(self, unit: str = "ns") -> float:
        return self._scale(self.max_cycles, unit) if self.count else float("nan")

    def percentile(self, q: float, unit: str = "ns") -> float:
        """The q-th percentile (0..100), interpolated inside its bucket."""
        if not 0 <= q <= 100:
            raise ValueError(f"percentile q must be in [0, 100], got {q}")
        if self.count == 0:
            return float("nan")
        target = q / 100 * self.count
        cum = np.cumsum(self.counts)
        b = int(np.searchsorted(cum, max(target, 1), side="left"))
        before = cum[b - 1] if b > 0 else 0
        frac = (target - before) / self.counts[b] if self.counts[b] else 0.0
        v = _LO[b] + (_HI[b] - _LO[b]) * min(max(frac, 0.0), 1.0)
        if b < _SUB:
            v = _LO[b]                       # exact small values
        return self._scale(min(v, self.max_cycles), unit)

    def percentiles(self, qs=(50, 90, 99, 99.9), unit: str = "ns") -> dict:
        return {q: self.percentile(q, unit) for q in qs}

    def cdf(self, unit: str = "ns") -> tuple[np.ndarray, np.ndarray]:
        """(upper edge of each non-empty bucket, cumulative fraction) for plotting."""
        nz = np.nonzero(self.counts)[0]
        cum = np.cumsum(self.counts)[nz] / max(self.count, 1)
        x = _HI[nz] if unit == "cycles" else _HI[nz] / self.clock_ghz
        return x, cum

    def __repr__(self):
        if not self.count:
            return "<LatencyHistogram: empty>"
        return (f"<LatencyHistogram n={self.count} mean={self.mean():.1f}ns "
                f"p50={self.percentile(50):.1f}ns p99={self.percentile(99):.1f}ns>")



def _sema_cols(r, clock):
    # a sync.Mutex / RWMutex record's semaRoot lock columns (pyx/sched/sema.pxi)
    return {"sema_acquisitions": r.get("sema_acquisitions", 0),
            "sema_contended": r.get("sema_contended", 0),
            "sema_hold_ns": r.get("sema_hold_cycles", 0) / clock}

@dataclass(frozen=True)
class ProgramNames:
    """The names of a run's program, by the engine's indexes: what reports and exporters print
    for a function, channel, mutex, ... the engine names by number."""
    functions: tuple = ()
    func_entry: np.ndarray = None    # first pc of each function (a pc's function: the last <=)
    channels: tuple = ()
    mutexes: tuple = ()
    rwmutexes: tuple = ()
    waitgroups: tuple = ()
    runtime_locks: tuple = ()
    labels: tuple = ()
    vars: tuple = ()

    def function_of_pc(self, pc: int) -> str:
        k = int(np.searchsorted(self.func_entry, pc, side="right")) - 1
        return self.functions[k] if 0 <= k < len(self.functions) else "?"

    def waiting_on(self, reason: str, index: int) -> str:
        """The object a goroutine parked with wait reason `reason` waits on (G.waiting_on)."""
        table = {"chan send": self.channels, "chan receive": self.channels,
                 "sync.Mutex.Lock": self.mutexes, "sync.RWMutex.RLock": self.rwmutexes,
                 "sync.RWMutex.Lock": self.rwmutexes,
                 "sync.WaitGroup.Wait": self.waitgroups}.get(reason, ())
        return table[index] if 0 <= index < len(table) else ""


def program_names(compiled) -> ProgramNames:
    """The ProgramNames of a compiled program."""
    return ProgramNames(
        functions=tuple(compiled.func_names), func_entry=np.asarray(compiled.func_entry),
        channels=tuple(compiled.chan_names or ()), mutexes=tuple(compiled.mutex_names or ()),
        rwmutexes=tuple(compiled.rwmutex_names or ()),
        waitgroups=tuple(compiled.wg_names or ()),
        runtime_locks=tuple(compiled.rtlock_names or ()), labels=tuple(compiled.labels or ()),
        vars=tuple(compiled.var_names or ()))


@dataclass
class Result:
    """The outcome of gmpcore.run().

    summary      dict of scalar metrics (see README, "Results")
    latency      LatencyHistogram of scheduling latency
    unpark_latency  LatencyHistogram of P unpark latency (pidleput -> the next acquirep)
    gc_assist_per_g LatencyHistogram of the mark-assist time charged to each goroutine that
                 was charged some (GC pacer runs; docs/gc.md)
    start_order  goroutine ids in the order they first ran (main is 1; creation order)
    marks        pandas DataFrame of executed marks (time, goid, parent_goid, label,
                 spawn_index, iteration, p)
    per_p        pandas DataFrame of per-P counters and final state
    steals       pandas DataFrame of successful steals (record=True)
    """
    summary: dict
    latency: LatencyHistogram
    start_order: np.ndarray
    mark_records: np.ndarray
    names: ProgramNames
    per_p_records: np.ndarray
    steal_records: np.ndarray
    cache_records: np.ndarray = None
    core_records: np.ndarray = None
    config: dict = field(default_factory=dict)
    sample_records: np.ndarray = None     # sampler (schedtrace_ms / sample_every_ns)
    sample_runq: np.ndarray = None        # [nsamples, procs] ring lengths (runnext excluded)
    sample_ticks: np.ndarray = None       # [nsamples, procs] schedticks
    sched_snapshots: list = field(default_factory=list)   # scheddetail: P/M/G per sample
    trace_records: np.ndarray = None      # trace=...: scheduler events
    trace_lost: int = 0                   # trace events dropped over the cap
    final: dict = field(default_factory=dict)             # P/M/G records at the end
    mutex_records: list = field(default_factory=list)
    rwmutex_records: list = field(default_factory=list)
    # sync.Pool / sync.Cond / contexts (each record with its "name"), LockOSThread counters
    pool_records: list = field(default_factory=list)
    cond_records: list = field(default_factory=list)
    ctx_records: list = field(default_factory=list)
    sync_counters: dict = field(default_factory=dict)
    rtlock_records: list = field(default_factory=list)
    chan_records: list = field(default_factory=list)
    unpark_latency: LatencyHistogram = None   # P unpark latency (pidleput -> acquirep)
    gc_assist_per_g: LatencyHistogram = None  # mark-assist time per goroutine (docs/gc.md)

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def mark_labels(self) -> tuple:
        return self.names.labels

    @classmethod
    def from_engine(cls, eng, compiled, *, machine, strategy, costs, seed, wall, status,
                    snapshots=(), gc=None, gc_model="off") -> "Result":
        """The Result of a finished engine: the one place a Result is built from a run."""
        c = eng.counters()
        hist = LatencyHistogram(eng.hist(), c["lat_sum"], c["lat_max"], machine.clock_ghz)
        ns = machine.ns
        summary = {
            "gmpcore_version": __version__,
            "strategy": strategy.name,
            "procs": machine.procs,
            "seed": seed,
            "status": status,
            "emulated_cycles": c["cycles"],
            "emulated_ns": ns(c["cycles"]),
            "events": c["events"],
            "wall_s": wall,
            "events_per_s": c["events"] / wall if wall > 0 else float("nan"),
            "goroutines_created": c["goroutines_created"],
            "goroutines_finished": c["goroutines_finished"],
            "goroutines_live": c["live_goroutines"],
            "max_live_goroutines": c["max_live"],
            "latency_mean_ns": hist.mean(),
            "latency_p50_ns": hist.percentile(50),
            "latency_p99_ns": hist.percentile(99),
            "latency_p999_ns": hist.percentile(99.9),
            "latency_max_ns": hist.max(),
        }
        cache = eng.cache_stats()
        acc = int(cache["accesses"].sum())
        misses = int((cache["transfers_local"] + cache["transfers_remote"] + cache["mem"]).sum())
        summary.update({
            "cache_accesses": acc,
            "cache_misses": misses,
            "cache_miss_rate": misses / acc if acc else 0.0,
            "transfers_local": int(cache["transfers_local"].sum()),
            "transfers_remote": int(cache["transfers_remote"].sum()),
            "mem_misses": int(cache["mem"].sum()),
            "invalidations": int(cache["invalidations"].sum()),
            "cache_cycles": int(cache["cycles"].sum()),
            "ncores": machine.ncores,
        })
        # every counter of the engine's Counters struct, but those summarised above or in ns
        for k in _engine.COUNTERS_DTYPE.names:
            if k not in summary and k not in _SUMMARISED:
                summary[k] = c[k]
        for k in _ENGINE_EXTRAS:
            summary[k] = c[k]
        # stop-the-world: how long stopping took (time to safe point) and how long it stayed
        # stopped, in ns
        summary["stw_stop_ns_total"] = ns(c["stw_stop_cycles"])
        summary["stw_stop_ns_max"] = ns(c["stw_stop_max"])
        summary["stw_pause_ns_total"] = ns(c["stw_pause_cycles"])
        summary["stw_pause_ns_max"] = ns(c["stw_pause_max"])
        unpark = LatencyHistogram(eng.unpark_hist(), c["p_unpark_cycles"], c["p_unpark_max"],
                                  machine.clock_ghz)
        summary.update(_article_metrics(c, unpark, ns))
        summary.update(_gc_section(c, ns, gc, gc_model))
        names = program_names(compiled)
        chan_records = eng.chan_stats()
        if len(chan_records) > len(names.channels):
            # channels made at run time (Function.make_chan): `<name>#k`, k-th of its site
            sites = list(compiled.makechan_names or [])
            seen: dict = {}
            extra = []
            for r in chan_records[len(names.channels):]:
                k = seen[r["site"]] = seen.get(r["site"], -1) + 1
                site = sites[r["site"]] if 0 <= r["site"] < len(sites) else "chan"
                extra.append(f"{site}#{k}")
            names = dataclasses.replace(names, channels=names.channels + tuple(extra))
        res = cls(
            summary=summary, latency=hist, start_order=eng.start_order(),
            mark_records=eng.marks(), names=names, per_p_records=_per_p(eng),
            steal_records=eng.steals(), cache_records=cache,
            core_records=np.stack(eng.core_stats()),
            config={"machine": machine, "strategy": strategy, "costs": costs, "seed": seed,
                    "gc": gc,
                    "clock_ghz": machine.clock_ghz, "gmpcore_version": __version__},
            sched_snapshots=list(snapshots))
        res.unpark_latency = unpark
        res.gc_assist_per_g = LatencyHistogram(eng.gc_assist_hist(), c["gc_assist_cycles"],
                                               c["gc_assist_g_max"], machine.clock_ghz)
        res.sample_records, res.sample_runq, res.sample_ticks = eng.samples()
        res.trace_records, res.trace_lost = eng.trace(release=True)
        res.mutex_records = eng.mutex_stats()
        res.rwmutex_records = eng.rwmutex_stats()
        res.pool_records = [{"name": n, **r} for n, r in
                            zip(getattr(compiled, "pool_names", None) or (), eng.pool_stats())]
        res.cond_records = [{"name": n, **r} for n, r in
                            zip(getattr(compiled, "cond_names", None) or (), eng.cond_stats())]
        res.ctx_records = [{"name": n, **r} for n, r in
                           zip(getattr(compiled, "ctx_names", None) or (), eng.ctx_stats())]
        res.sync_counters = eng.sync_counters()
        res.chan_records = chan_records
        res.rtlock_records = eng.rtlock_stats()
        res.final = {"procs": eng.procs(), "threads": eng.threads(),
                     "goroutines": _with_go_fields(eng.goroutines(live_only=True), compiled),
                     "counters": eng.counters()}
        return res

    @property
    def marks(self):
        import pandas as pd
        r = self.mark_records
        clock = self.config["clock_ghz"]
        labels = np.asarray(self.names.labels, dtype=object)
        return pd.DataFrame({
            "time_cycles": r["time"],
            "time_ns": r["time"] / clock,
            "goid": r["goid"],
            "parent_goid": r["parent_goid"],
            "label": labels[r["label"]] if len(r) else np.zeros(0, dtype=object),
            "spawn_index": r["spawn_index"],
            "iteration": r["iteration"],
            "p": r["p"],
            "value": r["value"],
            # a mark with values (Function.mark(label, a, b, c)): a is `value`, then these
            "value2": r["value2"],
            "value3": r["value3"],
        })

    def mark_tuples(self) -> list[tuple]:
        """[(label, spawn_index, iteration), ...] in execution order: what a Go program that
        prints computed labels would print."""
        r = self.mark_records
        return [(self.names.labels[l], int(s), int(i))
                for l, s, i in zip(r["label"], r["spawn_index"], r["iteration"])]

    @property
    def per_p(self):
        """Per-P counters and final state (schedtick, ring length, runnext) by P id."""
        import pandas as pd
        return pd.DataFrame(self.per_p_records)

    @property
    def steals(self):
        """Every successful steal (record=True): time, thief P, victim P, Gs taken, the
        victim's ring length at the thief's load, and whether it took runnext."""
        import pandas as pd
        r = self.steal_records
        return pd.DataFrame({
            "time_cycles": r["time"], "thief": r["thief"], "victim": r["victim"],
            "n": r["n"], "victim_len": r["victim_len"], "runnext": r["runnext"].astype(bool)})

    @property
    def timeseries(self):
        """One row per sample: time, gomaxprocs, idleprocs, threads, spinningthreads,
        needspinning, idlethreads, runqueue (global), live goroutines, runq_<p> per P, and the
        article's 4.2 metrics over the interval since the previous sample: runnable (Gs
        runnable at the sample), m_idle_frac, p_unparks, p_unpark_ns_mean, g_runnable_ns,
        g_wait_p_ns (docs/observability.md)."""
        import pandas as pd
        r = self.sample_records
        if r is None or len(r) == 0:
            return pd.DataFrame()
        clock = self.config["clock_ghz"]
        df = pd.DataFrame({
            "time_cycles": r["time"], "time_ns": r["time"] / clock,
            "gomaxprocs": r["gomaxprocs"], "idleprocs": r["npidle"], "threads": r["threads"],
            "spinningthreads": r["nmspinning"], "needspinning": r["needspinning"],
            "idlethreads": r["nmidle"], "runqueue": r["runqsize"], "live": r["live"]})
        for p in range(self.sample_runq.shape[1]):
            df[f"runq_{p}"] = self.sample_runq[:, p]
        # the article's 4.2 metrics, per sampling interval (the first row: since the start)
        if "m_cycles" in r.dtype.names:
            d = {k: np.diff(r[k].astype(np.int64), prepend=0)
                 for k in ("m_idle_cycles", "m_cycles", "p_unparks", "p_unpark_cycles",
                           "g_runnable_cycles", "g_wait_p_cycles")}
            with np.errstate(invalid="ignore", divide="ignore"):
                df["runnable"] = r["runnable"]
                df["m_idle_frac"] = np.where(d["m_cycles"] > 0, d["m_idle_cycles"] /
                                             np.maximum(d["m_cycles"], 1), 0.0)
                df["p_unparks"] = d["p_unparks"]
                df["p_unpark_ns_mean"] = np.where(d["p_unparks"] > 0, d["p_unpark_cycles"] /
                                                  np.maximum(d["p_unparks"], 1) / clock, np.nan)
                df["g_runnable_ns"] = d["g_runnable_cycles"] / clock
                df["g_wait_p_ns"] = d["g_wait_p_cycles"] / clock
        return df

    @property
    def trace(self):
        """Recorded scheduler events (run(trace=...)) as a DataFrame: time, kind, goid, arg
        (parent / waker goid, or victim P for Steal), p, m, reason."""
        import pandas as pd
        r = self.trace_records
        if r is None or len(r) == 0:
            return pd.DataFrame(columns=["time_cycles", "time_ns", "kind", "goid", "arg", "p",
                                         "m", "reason"])
        clock = self.config["clock_ghz"]
        kinds = np.array([_engine.TRACE_KINDS[k] for k in range(len(_engine.TRACE_KINDS))],
                         dtype=object)
        return pd.DataFrame({"time_cycles": r["time"], "time_ns": r["time"] / clock,
                             "kind": kinds[r["kind"]], "goid": r["goid"], "arg": r["arg"],
                             "p": r["p"], "m": r["m"], "reason": r["reason"]})

    @property
    def mutexes(self):
        """Per sync.Mutex: acquisitions, contended Locks, wait (ns, all goroutines),
        switches to starvation mode, direct hand-offs; and its semaphore's semaRoot lock
        (runtime/sema.go, taken by a Lock that queues and an Unlock that wakes a waiter):
        acquisitions, contended ones, and the time it was held (ns)."""
        import pandas as pd
        clock = self.config["clock_ghz"]
        names = self.names.mutexes
        return pd.DataFrame([{"mutex": n, "acquisitions": r["acquisitions"],
                              "contended": r["contended"], "wait_ns": r["wait_cycles"] / clock,
                              "starvation_switches": r["starvation_switches"],
                              "handoffs": r["handoffs"], **_sema_cols(r, clock)}
                             for n, r in zip(names, self.mutex_records)])

    @property
    def pools(self):
        """Per sync.Pool: Gets and Puts; where each Get found its value (private slot, own
        shared chain, another P's chain, the victim cache, New, or nil); poolCleanup moves;
        and what the pool's cache lines did (hits, transfers from another core, memory,
        invalidations) -- false sharing shows as transfers."""
        import pandas as pd
        cols = ["pool", "gets", "puts", "private_hits", "shared_hits", "steals", "victim_hits",
                "news", "nil_gets", "cleanups", "line_hits", "line_transfers",
                "line_transfers_remote", "line_mem", "line_invalidations"]
        return pd.DataFrame([{"pool": r["name"], **{k: r[k] for k in cols[1:]}}
                             for r in self.pool_records], columns=cols)

    @property
    def conds(self):
        """Per sync.Cond: Waits, Signals, Broadcasts, goroutines woken, still waiting."""
        import pandas as pd
        cols = ["cond", "waits", "signals", "broadcasts", "wakeups", "waiting"]
        return pd.DataFrame([{"cond": r["name"], **{k: r[k] for k in cols[1:]}}
                             for r in self.cond_records], columns=cols)

    @property
    def contexts(self):
        """Per context (Program.with_cancel): canceled or not."""
        import pandas as pd
        return pd.DataFrame([{"context": r["name"], "canceled": r["canceled"]}
                             for r in self.ctx_records], columns=["context", "canceled"])

    @property
    def rwmutexes(self):
        """Per sync.RWMutex: RLocks and Locks, and how many had to wait (readers behind a
        pending writer; writers for the readers inside); and the semaRoot lock its readerSem
        and writerSem share (acquisitions, contended, held ns)."""
        import pandas as pd
        names = self.names.rwmutexes
        clock = self.config["clock_ghz"]
        return pd.DataFrame([{"rwmutex": n, "rlocks": r["rlocks"], "locks": r["wlocks"],
                              "reader_waits": r["reader_waits"],
                              "writer_waits": r["writer_waits"], **_sema_cols(r, clock)}
                             for n, r in zip(names, self.rwmutex_records)],
                            columns=["rwmutex", "rlocks", "locks", "reader_waits",
                                     "writer_waits", "sema_acquisitions", "sema_contended",
                                     "sema_hold_ns"])

    @property
    def runtime_locks(self):
        """Per runtime lock (Program.runtime_lock): acquisitions, contended, wait and hold
        (ns, summed over Ms); and the spin-bit mutex's events: Ms that went to sleep, Ms
        woken by an unlock, of which the oldest sleeper (the 1-in-16 anti-starvation wake),
        and releases taken over by a still-spinning waiter."""
        import pandas as pd
        clock = self.config["clock_ghz"]
        names = self.names.runtime_locks
        return pd.DataFrame([{"lock": n, "acquisitions": r["acquisitions"],
                              "contended": r["contended"], "wait_ns": r["wait_cycles"] / clock,
                              "hold_ns": r["hold_cycles"] / clock,
                              "sleeps": r.get("sleeps", 0), "wakes": r.get("wakes", 0),
                              "tail_wakes": r.get("tail_wakes", 0),
                              "spin_acquires": r.get("spin_acquires", 0)}
                             for n, r in zip(names, self.rtlock_records)])

    @property
    def channels(self):
        """Per channel: capacity, values buffered at the end (len), sends, receives, sends and
        receives that had to park (a select counts once per channel it waited on), and its
        ``hchan.lock``: acquisitions, contended ones, wait and hold (ns, summed over Ms)."""
        import pandas as pd
        names = self.names.channels
        clock = self.config["clock_ghz"]
        return pd.DataFrame([{"chan": n, "cap": r["dataqsiz"], "len": r["qcount"],
                              "sends": r["sends"],
                              "recvs": r["recvs"], "blocked_sends": r["blocked_sends"],
                              "blocked_recvs": r["blocked_recvs"], "closed": bool(r["closed"]),
                              "lock_acquisitions": r.get("lock_acquisitions", 0),
                              "lock_contended": r.get("lock_contended", 0),
                              "lock_wait_ns": r.get("lock_wait_cycles", 0) / clock,
                              "lock_hold_ns": r.get("lock_hold_cycles", 0) / clock}
                             for n, r in zip(names, self.chan_records)])

    @property
    def status_message(self) -> str:
        """What Go would print for this ending (e.g. the deadlock fatal error)."""
        return {"ok": "main returned",
                "deadlock": "fatal error: all goroutines are asleep - deadlock!",
                "max_events": "stopped: max_events reached",
                "max_cycles": "stopped: max_cycles reached"}.get(self.status, self.status)

    @property
    def blocked(self):
        """User goroutines still blocked at the end of the run (what a goroutine profile
        would show): goid, function, wait reason (or "syscall" for one in a system call), the
        object waited on, and since when.
        After a deadlock these are every user goroutine; after main returned, the leaks."""
        import pandas as pd
        g = self.final.get("goroutines") if self.final else None
        cols = ["goid", "function", "wait_reason", "waiting_on", "since_ns"]
        if g is None or len(g) == 0:
            return pd.DataFrame(columns=cols)
        # _Gwaiting, and _Gsyscall (pprof's goroutine profile shows "[syscall]")
        sel = g[((g["status"] == _engine._Gwaiting) | (g["status"] == _engine._Gsyscall))
                & ((g["flags"] & _engine.G_FLAG_SYSTEM) == 0)]
        fn = [self.names.function_of_pc(pc) for pc in sel["pc"]]
        reasons = ["syscall" if int(st) == _engine._Gsyscall
                   else _engine.WAIT_REASONS.get(int(w), str(int(w)))
                   for st, w in zip(sel["status"], sel["waitreason"])]
        on = [self.names.waiting_on(r, int(o)) if o >= 0 else "" for r, o in
              zip(reasons, sel["waiting_on"])]
        clock = self.config["clock_ghz"]
        return pd.DataFrame({"goid": sel["goid"], "function": fn, "wait_reason": reasons,
                             "waiting_on": on, "since_ns": sel["runnable_since"] / clock},
                            columns=cols).reset_index(drop=True)

    def blocked_report(self) -> str:
        """Blocked goroutines grouped by wait reason, as `N @ reason: function (object)`."""
        b = self.blocked
        if b.empty:
            return "no blocked goroutines"
        lines = [f"{len(b)} blocked goroutine(s) ({self.status_message}):"]
        for (reason, fn, on), grp in b.groupby(["wait_reason", "function", "waiting_on"],
                                               sort=False):
            where = f" on {on}" if on else ""
            lines.append(f"  {len(grp)} @ [{reason}] main.{fn}{where}: goroutines "
                         f"{', '.join(str(x) for x in grp['goid'][:8])}"
                         f"{' ...' if len(grp) > 8 else ''}")
        return "\n".join(lines)

    @property
    def cache(self):
        """Cache traffic by class of line (see README, "The cache model"): accesses, hits,
        misses and miss rate, transfers from a core on the same / another socket, memory
        misses, invalidations, and the cycles spent."""
        import pandas as pd
        r = self.cache_records
        df = pd.DataFrame({
            "accesses": r["accesses"], "hits": r["hits"],
            "misses": r["transfers_local"] + r["transfers_remote"] + r["mem"],
            "transfers_local": r["transfers_local"], "transfers_remote": r["transfers_remote"],
            "mem": r["mem"], "invalidations": r["invalidations"], "cycles": r["cycles"],
        }, index=pd.Index(_engine.LINE_CLASSES, name="line"))
        df.insert(3, "miss_rate", (df["misses"] / df["accesses"].where(df["accesses"] > 0))
                  .fillna(0.0))
        return df[df["accesses"] > 0]

    @property
    def cache_by_core(self):
        import pandas as pd
        acc, miss = self.core_records
        return pd.DataFrame({"accesses": acc, "misses": miss,
                             "miss_rate": np.where(acc > 0, miss / np.maximum(acc, 1), 0.0)},
                            index=pd.RangeIndex(len(acc), name="core"))

    def summary_series(self):
        import pandas as pd
        return pd.Series(self.summary)

    def __repr__(self):
        s = self.summary
        return (f"<gmpcore.Result {s['strategy']} procs={s['procs']} status={s['status']} "
                f"goroutines={s['goroutines_created']} events={s['events']} "
                f"emulated={s['emulated_ns'] / 1e6:.3f}ms>")

    # --- observability (gmpcore.export, gmpcore.plot; docs/observability.md) -----------------

    def schedtrace(self, detailed: bool | None = None, go_version: str = "1.25",
                   metrics: bool = False) -> str:
        """What GODEBUG=schedtrace=N (with scheddetail: the P, M and G lines too) would print
        for this run.  Needs run(..., schedtrace_ms=N [, scheddetail=True]).  metrics=True
        appends the seed article's 4.2 metrics to each line (gmpcore's, not Go's)."""
        from .export.schedtrace import schedtrace
        return schedtrace(self, detailed=detailed, go_version=go_version, metrics=metrics)

    def write_go_trace(self, path, **kw) -> dict:
        """Write a Go execution trace (Go 1.22+ format) that `go tool trace` opens.  Needs
        run(..., trace=...).  Returns a summary (events, generations, goroutines, procs, ...)."""
        from .export.gotrace import write_go_trace
        return write_go_trace(self, path, **kw)

    def write_perfetto(self, path, **kw) -> dict:
        """Write a Chrome Trace Event JSON file for Perfetto / chrome://tracing (".gz": gzip):
        a track per P and per M with goroutine slices, scheduler counters, steal arrows."""
        from .export.perfetto import write_perfetto
        return write_perfetto(self, path, **kw)

    @property
    def goroutines(self):
        """User goroutines alive at the end of the run, in allgs order: goid, function, state
        (running, runnable, syscall, or the wait reason), parent goid, and for how long a
        waiting one has waited (ns; NaN otherwise) -- the rows of a goroutine dump."""
        import pandas as pd
        from .export.dump import goroutine_records
        names = self.names.functions
        clock = self.config["clock_ghz"]
        cols = ["goid", "function", "state", "parent_goid", "waiting_ns"]
        rows = [{"goid": r["goid"],
                 "function": names[r["function"]] if 0 <= r["function"] < len(names) else "?",
                 "state": r["state"], "parent_goid": r["parent_goid"],
                 "waiting_ns": (r["waiting_cycles"] / clock if r["waiting_cycles"] is not None
                                else float("nan"))}
                for r in (goroutine_records(self) if self.final else [])]
        return pd.DataFrame(rows, columns=cols)

    def goroutine_dump(self, snapshot: int | None = None, include_system: bool = False) -> str:
        """A debug=2 goroutine dump at the end of the run (or at scheddetail snapshot i);
        the one-frame stacks are synthesized (see gmpcore.export.dump)."""
        from .export.dump import goroutine_dump
        return goroutine_dump(self, snapshot=snapshot, include_system=include_system)

    def plot_runqueues(self, **kw):
        """Heatmap of every P's run queue over time, with the global queue (gmpcore.plot)."""
        from .plot import runqueue_heatmap
        return runqueue_heatmap(self, **kw)

    def plot_latency(self, *others, labels=None, **kw):
        """Scheduling-latency CDF of this run (and of `others`) on one axis (gmpcore.plot)."""
        from .plot import latency_cdf
        return latency_cdf([self, *others], labels=labels, **kw)

    def plot_cache(self, **kw):
        """Cache misses and line transfers by line class (gmpcore.plot)."""
        from .plot import cache_traffic
        return cache_traffic(self, **kw)

    def plot_steals(self, **kw):
        """Steal matrix: Gs each thief P took from each victim P (gmpcore.plot)."""
        from .plot import steal_matrix
        return steal_matrix(self, **kw)

    def plot_timeline(self, **kw):
        """Goroutines on Ps over time, from the recorded events (gmpcore.plot)."""
        from .plot import goroutine_timeline
        return goroutine_timeline(self, **kw)


# counters the summary reports under another name or in ns (Result.from_engine)
_SUMMARISED = {"lat_count", "lat_sum", "lat_sum_hi", "lat_max", "max_live", "stw_stop_cycles",
               "stw_stop_max", "stw_pause_cycles", "stw_pause_max", "gc_dedicated_cycles",
               "gc_fractional_cycles", "gc_idle_cycles", "gc_assist_cycles", "gc_assist_g_max",
               "gc_foreachp_cycles", "gc_foreachp_max", "gc_scan_work", "gc_heap_goal",
               "gc_heap_marked", "gc_heap_live"}


def _article_metrics(c: dict, unpark: LatencyHistogram, ns) -> dict:
    """The seed article's section 4.2 metrics (docs/observability.md, "Idle Ms, P unpark
    latency and G wait"): M idle and spinning fractions of the scheduler threads' time, P
    unpark latency, and the G-time spent runnable, with its part when no P was idle.  (Their
    counters are in the summary too, in cycles, as every counter is.)"""
    mc = c["m_cycles"]
    runnable, waitp = c["g_runnable_cycles"], c["g_wait_p_cycles"]
    execs = c["executes"]
    return {
        "m_idle_frac": c["m_idle_cycles_now"] / mc if mc else 0.0,
        "m_spinning_frac": c["m_spinning_cycles_now"] / mc if mc else 0.0,
        "p_unparks": c["p_unparks"],
        # (0 with no unparks, not NaN: summaries compare equal)
        "p_unpark_ns_mean": unpark.mean() if unpark.count else 0.0,
        "p_unpark_ns_p99": unpark.percentile(99) if unpark.count else 0.0,
        "p_unpark_ns_max": unpark.max() if unpark.count else 0.0,
        "g_runnable_ns_total": ns(runnable),
        "g_wait_p_ns_total": ns(waitp),
        "g_wait_p_ns_mean": ns(waitp) / execs if execs else 0.0,
        "g_wait_p_frac": waitp / runnable if runnable else 0.0,
        "gc_pause_ns_total": ns(c["gc_pause_cycles"]),
        "gc_pause_ns_last": ns(c["gc_pause_last"]),
    }


def _gc_section(c, ns, gc, model) -> dict:
    """The summary's GC section (docs/gc.md): which model ran, mark CPU by kind of worker and
    assists (ns), the heap as the pacer sees it (bytes), the forEachP barrier."""
    return {
        "gc_model": model,
        "gc_gogc": gc.gogc if gc is not None else None,
        "gc_mark_dedicated_ns": ns(c["gc_dedicated_cycles"]),
        "gc_mark_fractional_ns": ns(c["gc_fractional_cycles"]),
        "gc_mark_idle_ns": ns(c["gc_idle_cycles"]),
        "gc_mark_assist_ns": ns(c["gc_assist_cycles"]),
        "gc_assist_ns_max_per_g": ns(c["gc_assist_g_max"]),
        "gc_scan_bytes": c["gc_scan_work"],
        "gc_heap_goal_bytes": c["gc_heap_goal"],
        "gc_heap_marked_bytes": c["gc_heap_marked"],
        "gc_heap_live_bytes": c["gc_heap_live"],
        "gc_foreachp_ns_total": ns(c["gc_foreachp_cycles"]),
        "gc_foreachp_ns_max": ns(c["gc_foreachp_max"]),
    }
# scheduler state the engine reports beside its Counters struct (Engine.counters)
_ENGINE_EXTRAS = ("threads", "g_records", "lock_acquisitions", "lock_contended",
                  "lock_wait_cycles", "lock_hold_cycles", "gomaxprocs",
                  # sched.lock as a spin-bit mutex (lock_spinbit.go)
                  "lock_sleeps", "lock_wakes", "lock_tail_wakes", "lock_spin_acquires")


def _concat_fields(*arrays: np.ndarray) -> np.ndarray:
    """One structured array with every field of `arrays` (same length), in order: what
    numpy.lib.recfunctions.merge_arrays(flatten=True, usemask=False) gives, without its
    import of numpy.ma (most of a fresh process's first-run cost)."""
    descr = [(name, a.dtype.fields[name][0]) for a in arrays for name in a.dtype.names]
    out = np.empty(len(arrays[0]), dtype=descr)
    for a in arrays:
        for name in a.dtype.names:
            out[name] = a[name]
    return out


def _per_p(eng) -> np.ndarray:
    st = eng.pstats()
    ps = eng.procs()
    extra = np.zeros(len(ps), dtype=[("p", np.int32), ("status", np.int32),
                                     ("schedtick", np.int64), ("runqsize", np.int64),
                                     ("runnext", np.int32)])
    extra["p"] = ps["id"]
    extra["status"] = ps["status"]
    extra["schedtick"] = ps["schedtick"]
    extra["runqsize"] = (ps["runqtail"].astype(np.int64) - ps["runqhead"]) % 2**32
    extra["runnext"] = ps["runnext"]
    return _concat_fields(extra, st)


def _with_go_fields(g: np.ndarray, compiled) -> np.ndarray:
    """Add Go's g.startpc (the entry of the function the G runs, from its creating `go`)
    and g.waitsince (when a waiting G parked) to the G records."""
    code = compiled.code.reshape(-1, _engine.INSTR)
    entry = compiled.func_entry
    startpc = np.full(len(g), -1, dtype=np.int32)
    has = g["gopc"] >= 0
    startpc[has] = entry[code[g["gopc"][has], 1]]
    waitsince = np.where(g["status"] == _engine._Gwaiting, g["runnable_since"], 0).astype(np.int64)
    extra = np.empty(len(g), dtype=[("startpc", np.int32), ("waitsince", np.int64)])
    extra["startpc"] = startpc
    extra["waitsince"] = waitsince
    return _concat_fields(g, extra)
