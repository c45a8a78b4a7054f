"""Configuration of a run: the machine, the cost of each scheduler operation, the queue strategy.

All three are frozen dataclasses of plain values (picklable, comparable, printable); the native
engine receives them as flat C structs.  Changing a CostModel changes timings, never Go's
semantics; changing a Strategy changes the run-queue design.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from . import _engine, units

__all__ = ["Machine", "CostModel", "Strategy", "STRATEGIES", "STRATEGY_DOCS", "get_strategy",
           "GC"]


def _plain_scalars(obj) -> None:
    """numpy scalars (np.int64, np.float32, np.bool_, np.str_) become the Python value, so every
    field accepts them alike (a value read from an array or a DataFrame is a numpy scalar)."""
    import numpy as np
    for f in fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, np.generic):
            object.__setattr__(obj, f.name, v.item())


def _number(obj, name, lo, hi, unit=""):
    """A finite int or float field in [lo, hi]."""
    v = getattr(obj, name)
    cls = type(obj).__name__
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v)
                                                                     and lo <= v <= hi):
        raise ValueError(f"{cls}.{name} must be a number{unit} between {lo:g} and {hi:g}, "
                         f"got {v!r}")


def _bool(obj, name):
    v = getattr(obj, name)
    if not isinstance(v, bool):
        raise TypeError(f"{type(obj).__name__}.{name} must be a bool, got {v!r}")


def _int_field(obj, name, lo, hi):
    v = getattr(obj, name)
    cls = type(obj).__name__
    if isinstance(v, bool) or not isinstance(v, int):
        try:
            import numpy as np
            if isinstance(v, np.integer):
                object.__setattr__(obj, name, int(v))
                v = int(v)
            else:
                raise TypeError
        except TypeError:
            raise TypeError(f"{cls}.{name} must be an int, got {type(v).__name__}") from None
    if not lo <= v <= hi:
        raise ValueError(f"{cls}.{name} must be between {lo} and {hi}, got {v}")


@dataclass(frozen=True)
class Machine:
    """The emulated machine.

    procs            GOMAXPROCS (number of Ps), 1..1024.
    clock_ghz        clock used to print cycles as nanoseconds.
    start_schedtick  P0's schedtick when main.main starts.  A real program starts main after
                     the runtime has already run a few goroutines, which moves where the
                     every-61st global-queue pick falls; the Go-oracle tests fit this value.
    init_goroutines  runtime goroutines that are runnable in P0's runnext when main.main starts
                     (a Go binary importing os has one: the finalizer goroutine runfinq, started
                     by SetFinalizer on os.Stdin/Stdout/Stderr).  Each runs once and parks for
                     good ("finalizer wait"); they are not user goroutines.
    max_threads      sched.maxmcount (Go: 10000); more Ms is "thread exhaustion".
    cores            cores of the machine (default: procs, and a core for every P a later
                     GOMAXPROCS adds); the thread holding P i runs on core i % cores.  When
                     cores is given and procs (or a runtime.GOMAXPROCS / policy change)
                     exceeds it, the threads holding Ps time-share the cores
                     (docs/calibration.md, "CPU time-sharing").
    sockets          sockets (cores are split evenly); a line moving between sockets costs
                     CostModel.cache_remote instead of cache_local.
    layout           which scheduler fields share a 64-byte line: "go" (Go's structs: runqhead,
                     runqtail and ring[0:7] on one line, runnext beside ring[255]; sched.lock
                     beside goidgen and midle; the global queue beside npidle and nmspinning)
                     or "padded" (every field on a line of its own).
    cache            model the caches (coherence directory).  False: accesses cost nothing and
                     are not counted (the op costs alone).
    sysmon           run sysmon: it preempts a G that holds its P for a whole time slice,
                     retakes Ps from long system calls and polls the network every 10 ms
    time_slice_ns    forcePreemptNS (Go: 10 ms)
    gc_period_ns     start a GC cycle this often (0: no periodic GC).  A cycle is two
                     stop-the-world pauses (sweep termination, mark termination) with a
                     concurrent mark phase between them.
    gc_heap_goal_bytes  start a GC cycle when goroutines have allocated this many bytes
                     (Function.alloc) since the last one (0: never)
    gc_sweepterm_ns  the first pause of a cycle, once the world is stopped
    gc_mark_ns       the concurrent mark phase between the pauses (its CPU use by mark
                     workers is not modelled)
    gc_markterm_ns   the second pause
    os_slice_ns      with procs > cores: how long a thread keeps a shared core while others
                     wait for it (the OS time slice).  None: Linux's EEVDF base slice, 0.75 ms
                     x (1 + log2(min(cores, 8))); 0: no time-sharing (every P runs in
                     parallel, as if it had a core of its own)
    """
    procs: int = 4
    clock_ghz: float = 3.0
    start_schedtick: int = 0
    init_goroutines: int = 0
    max_threads: int = 10000
    cores: int | None = None
    sockets: int = 1
    layout: str = "go"
    cache: bool = True
    sysmon: bool = True
    time_slice_ns: float = 10_000_000.0
    gc_period_ns: float = 0.0
    gc_heap_goal_bytes: int = 0
    gc_sweepterm_ns: float = 20_000.0
    gc_mark_ns: float = 2_000_000.0
    gc_markterm_ns: float = 50_000.0
    os_slice_ns: float | None = None

    def __post_init__(self):
        _plain_scalars(self)
        _int_field(self, "procs", 1, 1024)
        _int_field(self, "start_schedtick", 0, 2**32 - 1)
        _int_field(self, "init_goroutines", 0, 256)
        _int_field(self, "max_threads", 1, 10000)
        if self.max_threads < self.procs:
            raise ValueError(f"Machine.max_threads ({self.max_threads}) must be >= procs "
                             f"({self.procs})")
        if self.cores is not None:
            _int_field(self, "cores", 1, 256)
        _int_field(self, "sockets", 1, 8)
        if self.ncores % self.sockets:
            raise ValueError(f"Machine.sockets ({self.sockets}) must divide the number of cores "
                             f"({self.ncores})")
        if not isinstance(self.layout, str) or self.layout not in LAYOUTS:
            raise ValueError(f"Machine.layout must be one of {sorted(LAYOUTS)}, got "
                             f"{self.layout!r}")
        _bool(self, "cache")
        _bool(self, "sysmon")
        _number(self, "time_slice_ns", 1e3, 1e12, " of ns")
        for name in ("gc_period_ns", "gc_sweepterm_ns", "gc_mark_ns", "gc_markterm_ns"):
            _number(self, name, 0, 1e12, " of ns")
        if 0 < self.gc_period_ns < 1_000:
            raise ValueError(f"Machine.gc_period_ns must be 0 (off) or at least 1000, got "
                             f"{self.gc_period_ns!r}")
        _int_field(self, "gc_heap_goal_bytes", 0, 2**62)
        _number(self, "clock_ghz", 0.01, 100)
        if self.os_slice_ns is not None:
            _number(self, "os_slice_ns", 0, 1e12, " of ns")
            if 0 < self.os_slice_ns < 1_000:
                raise ValueError(f"Machine.os_slice_ns must be 0 (no time-sharing), None "
                                 f"(Linux's default) or at least 1000, got {self.os_slice_ns!r}")

    @property
    def os_slice(self) -> float:
        """The OS time slice in ns (os_slice_ns, or Linux's default for this many cores:
        kernel/sched/fair.c sysctl_sched_base_slice = 0.75 ms scaled by 1 + ilog2(min(cores,
        8)), SCHED_TUNABLESCALING_LOG)."""
        if self.os_slice_ns is not None:
            return float(self.os_slice_ns)
        return 750_000.0 * (1 + (min(self.ncores, 8).bit_length() - 1))

    def ns(self, cycles):
        """Emulated cycles as nanoseconds of this machine's clock."""
        return units.cycles_to_ns(cycles, self.clock_ghz)

    def cycles(self, ns) -> int:
        """Nanoseconds as a whole number of this machine's cycles (rounded): the one place a
        time in ns becomes the engine's unit."""
        return units.ns_to_cycles(ns, self.clock_ghz)

    def to_native(self) -> dict:
        """The machine's fields of the engine's RunConfig (_engine.CONFIG_DTYPE), in cycles."""
        c = self.cycles
        return {
            "start_schedtick": self.start_schedtick,
            "init_goroutines": self.init_goroutines,
            "maxmcount": self.max_threads,
            "cache": int(self.cache),
            "cores": self.ncores,
            "sockets": self.sockets,
            "layout": LAYOUTS[self.layout],
            "starve_cycles": c(STARVATION_THRESHOLD_NS),
            "time_slice": c(self.time_slice_ns) if self.sysmon else 0,
            "sysmon_min": c(SYSMON_MIN_SLEEP_NS),
            "sysmon_max": c(SYSMON_MAX_SLEEP_NS),
            "gc_period": c(self.gc_period_ns),
            "gc_sweepterm": c(self.gc_sweepterm_ns),
            "gc_markterm": c(self.gc_markterm_ns),
            "gc_mark": c(self.gc_mark_ns),
            "gc_heap_goal": self.gc_heap_goal_bytes,
            "stw_retry": c(STW_RETRY_NS),
            # time-sharing only on a machine whose cores were given: by default every P
            # (also those a later GOMAXPROCS adds) has a core of its own
            "os_slice": c(self.os_slice) if self.cores is not None else 0,
        }

    @property
    def ncores(self) -> int:
        return self.cores if self.cores is not None else min(self.procs, 256)


LAYOUTS = dict(_engine.LAYOUTS)

# Go's own times, in ns (the machine's clock turns them into cycles: Machine.to_native)
STARVATION_THRESHOLD_NS = 1_000_000   # internal/sync/mutex.go starvationThresholdNs
SYSMON_MIN_SLEEP_NS = 20_000          # proc.go sysmon: usleep(delay), delay from 20 us ...
SYSMON_MAX_SLEEP_NS = 10_000_000      # ... doubling up to 10 ms
STW_RETRY_NS = 100_000                # proc.go stopTheWorldWithSema: notetsleep 100 us, then
                                      # preemptall again


GC_SCAN_BYTES_PER_NS = 1.0      # one mark worker's scan rate: tests/go/cmd/gcpacer -forced
                                # measured 1.0-1.2 B/ns (71 MB heap, GOMAXPROCS 1 and 2; docs/gc.md)
GC_DRAIN_CHUNK_NS = 10_000      # a worker looks at the scheduler between chunks of this much
                                # scan work (gcDrain checks preemption between work units)


@dataclass(frozen=True)
class GC:
    """The garbage collector's work: the GOGC pacer, mark workers and mark assists (docs/gc.md).

    With it, a program that allocates (Function.alloc) gets Go's GC: the pacer
    (runtime/mgcpacer.go gcControllerState) starts a cycle when heapLive reaches its trigger,
    between 0.7 and 0.95 of the way to the heap goal heapMarked * (1 + GOGC/100); a cycle is
    the sweep-termination pause, a concurrent mark phase whose scan work is done by dedicated
    mark workers on 25% of the Ps, fractional workers for the rounding, idle-priority workers
    on idle Ps and mark assists charged to allocating goroutines, a forEachP ragged barrier,
    and the mark-termination pause.  The pause lengths are Machine.gc_sweepterm_ns and
    Machine.gc_markterm_ns.  run(gc=None) uses GC() for a program that allocates, unless the
    Machine sets a fixed gc_heap_goal_bytes or gc_period_ns (the pauses-only model);
    run(gc=False) keeps the pauses-only model.

    gogc                GOGC: the heap may grow by this percentage of the marked heap before
                        the next cycle (-1: off, only runtime.GC() starts one)
    heap_minimum_bytes  the smallest heap goal at GOGC=100 (Go's defaultHeapMinimum, 4 MiB),
                        scaled by GOGC/100 as setGCPercent does
    scan_bytes_per_ns   bytes of heap one mark worker scans per ns (calibrated against Go's
                        gctrace: docs/gc.md)
    workers             False: the mark phase lasts as long as 25% of the Ps would take but
                        uses no CPU and charges no assists (the pauses-only baseline)
    assists             mark assists (gcAssistAlloc) charged to allocating goroutines
    roots_bytes         root scan work of every cycle: goroutine stacks and globals (Go's
                        stackScan + globalsScan, a constant here; they also raise the goal)
    """
    gogc: int = 100
    heap_minimum_bytes: int = 4 << 20
    scan_bytes_per_ns: float = GC_SCAN_BYTES_PER_NS
    workers: bool = True
    assists: bool = True
    roots_bytes: int = 128 << 10

    def __post_init__(self):
        _plain_scalars(self)
        _int_field(self, "gogc", -1, 2**31 - 1)
        _int_field(self, "heap_minimum_bytes", 0, 2**50)
        _number(self, "scan_bytes_per_ns", 1e-3, 1e6, " of bytes per ns")
        _bool(self, "workers")
        _bool(self, "assists")
        _int_field(self, "roots_bytes", 0, 2**50)

    def to_native(self, machine: "Machine", pacer: bool) -> dict:
        """The GC fields of the engine's RunConfig (gc_pacer 0: the pauses-only model)."""
        rate = self.scan_bytes_per_ns / machine.clock_ghz            # bytes per cycle
        return {
            "gc_pacer": int(pacer),
            "gc_percent": self.gogc,
            "gc_heap_minimum": self.heap_minimum_bytes * max(self.gogc, 0) // 100,
            "gc_scan_rate": rate,
            "gc_chunk": max(64, int(self.scan_bytes_per_ns * GC_DRAIN_CHUNK_NS)),
            "gc_workers": int(self.workers),
            "gc_assists": int(self.assists),
            "gc_roots": self.roots_bytes,
        }


@dataclass(frozen=True)
class CostModel:
    """Cycles of each scheduler micro-operation.

    Defaults are for a ~3 GHz x86 core and come from the order of magnitude of Go's own
    benchmarks (BenchmarkCreateGoroutines*, BenchmarkPingPongHog, runtime lock microbenchmarks)
    and of cache/atomic latencies: an uncontended atomic/CAS on a local line ~20 cycles, a
    context switch into a G (gogo) ~100, a futex wake-up of a sleeping thread ~2 us, creating a
    thread ~10 us.  They are inputs of experiments, not measurements of this machine.
    """
    schedule: int = 40          # schedule() top + findRunnable bookkeeping
    runqget: int = 20           # one phase of runqget (load, or CAS)
    runqput: int = 20
    globrunq: int = 60          # global-queue operation under sched.lock, per batch
    globrunq_per_g: int = 10    # ... plus per G moved
    lock: int = 40              # uncontended lock + unlock (two atomics)
    lock_handoff: int = 150     # lock hand-off to a spinning waiter (line transfer + retry)
    futex_wake: int = 6000      # notewakeup -> the woken thread runs (~2 us)
    newm: int = 30000           # newm: clone a thread and start it (~10 us)
    execute: int = 100          # execute + gogo: switch into the G
    newproc: int = 450          # `go` statement: newproc1 (gfget, stack, goid) + runqput
    goexit: int = 150           # goexit0 + gfput
    park: int = 150             # gopark + park_m
    ready: int = 100            # goready, per G
    wakep: int = 30
    steal_probe: int = 40       # stealWork: look at one victim (load head and tail)
    steal_per_g: int = 4        # runqgrab: copy one G pointer
    steal_cas: int = 40         # runqgrab: CAS on the victim's runqhead / runnext
    runnext_backoff: int = 9000 # runqgrab: usleep(3) before taking a running P's runnext
    preempt_signal: int = 3000  # preemptM: SIGURG delivered and handled (~1 us)
    spin_pass: int = 30         # stealWork: cheaprand + start of one pass
    mark: int = 0               # recording a mark
    wg: int = 20                # WaitGroup Add/Done/Wait fast path (one atomic)
    gosched: int = 100          # Gosched -> goschedImpl (before the global-queue put)
    chan: int = 60              # chansend / chanrecv / closechan under the channel lock
    mutex: int = 20             # sync.Mutex Lock/Unlock fast path (one CAS)
    mutex_spin: int = 120       # runtime_doSpin: procyield(30)
    entersyscall: int = 300     # entersyscall + the kernel entry (~100 ns)
    exitsyscall: int = 300      # exitsyscall fast path + the kernel exit (~100 ns)
    netpoll: int = 1500         # netpoll(0): epoll_wait with a zero timeout (~500 ns)
    touch: int = 1              # Function.touch: the instruction itself (its line costs extra)
    # cache model (Machine.cache=True): the cost of one access to a modelled line.  Orders of
    # magnitude from published measurements of x86 servers (e.g. Schweizer, Besta, Hoefler,
    # "Evaluating the cost of atomic operations on modern architectures", PACT 2015; Intel
    # memory-latency-checker figures): L1 ~4 cycles, a line from another core of the same
    # socket ~100, from another socket ~300, from DRAM ~250.
    cache_hit: int = 4
    cache_local: int = 100
    cache_remote: int = 300
    cache_mem: int = 250
    # the goroutine footprint (docs/calibration.md): newproc1 reuses a dead G (gfget) or
    # allocates one with its stack (malg).  0 by default (newproc is then an average);
    # `gmpcore calibrate` fits them to Go's bursts of 2,000 and 200,000 goroutines
    malg: int = 0               # a fresh G: malg + stackalloc + first-touch page faults
    g_cold: int = 0             # a touch of a G (reuse, run) whose lines left the caches:
                                # more than gcache other G touches since its last one
    gcache: int = 0             # Gs (descriptor + stack top) the caches hold (a count)
    g_move: int = 0             # a G touched on another core than its last: the lines of its
                                # g struct and stack top beyond the one the cache model keeps
    # CPU time-sharing (Machine.procs > Machine.cores)
    ctx_switch: int = 3000      # the OS putting a waiting thread on a core (~1 us)

    def __post_init__(self):
        _plain_scalars(self)
        for f in fields(self):
            _int_field(self, f.name, 0, 10**12)

    @classmethod
    def zero(cls) -> "CostModel":
        """Every scheduler overhead zero: only user work takes time (queueing-theory checks)."""
        return cls(**{f.name: 0 for f in fields(cls)})

    def to_native(self) -> dict:
        return asdict(self)


VICTIMS = dict(_engine.VICTIMS)
AMOUNTS = {k: v for k, v in _engine.STEAL_AMOUNTS.items() if k != "batch"}   # batch: an int
READY = dict(_engine.READY_PLACES)


@dataclass(frozen=True)
class Strategy:
    """A run-queue design as data.  The defaults are Go's (runtime/proc.go).

    global_only       every runnable G goes through one global queue under sched.lock
    ring_cap          per-P ring capacity (power of two; Go: 256)
    use_runnext       each P has a LIFO slot (Go's runnext, Tokio's lifo_slot)
    ready             where newproc / goready put the G: "runnext" (Go: the old runnext is
                      kicked to the ring tail), "tail" (the local ring tail), "global", or a
                      place_ready kernel
    local_order       "fifo": the owner takes the oldest G (Go); "lifo": the newest (ForkJoin)
    steal             idle Ps steal from other Ps' rings
    steal_amount      "half" (n - n/2, Go), "one", "all_but_one", an int (at most that many),
                      or a steal_amount kernel
    steal_end         "head": thieves take the oldest Gs (Go); "tail": the newest
    victim            order of victims in a pass: "go" (random start, random stride coprime to
                      GOMAXPROCS), "random" (independent random P per probe), "sequential"
                      (random start, stride 1: Tokio), "round_robin" (from the next P),
                      "same_socket" (Go's order, Ps on my socket first), or a choose_victim
                      kernel
    steal_passes      passes over the victims before giving up (Go: 4)
    steal_runnext     thieves may take a victim's runnext, on the last pass only (Go: yes)
    fairness_tick     take one G from the global queue every N schedticks (Go: 61; 0: never)
    global_batch_max  cap of a global -> local refill (Go: ring_cap / 2)
    spin_limit        a non-spinning M may start spinning while spinning Ms < spin_limit x busy
                      Ps (Go: 0.5)
    overflow_batch    runqputslow: Gs moved from a full ring to the global queue (Go: half)
    """
    name: str = "go"
    global_only: bool = False
    ring_cap: int = 256
    use_runnext: bool = True
    ready: object = "runnext"
    local_order: str = "fifo"
    steal: bool = True
    steal_amount: object = "half"
    steal_end: str = "head"
    victim: object = "go"
    steal_passes: int = 4
    steal_runnext: bool = True
    fairness_tick: int = 61
    global_batch_max: int = 128
    spin_limit: float = 0.5
    overflow_batch: int | None = None

    def __post_init__(self):
        from .kernels import Kernel
        _plain_scalars(self)
        if not isinstance(self.name, str) or not self.name:
            raise TypeError("Strategy.name must be a non-empty str")
        for b in ("global_only", "use_runnext", "steal", "steal_runnext"):
            _bool(self, b)
        _int_field(self, "ring_cap", 2, 1 << 20)
        if self.ring_cap & (self.ring_cap - 1):
            raise ValueError(f"Strategy.ring_cap must be a power of two, got {self.ring_cap}")
        _int_field(self, "steal_passes", 1, 64)
        _int_field(self, "fairness_tick", 0, 1 << 30)
        _int_field(self, "global_batch_max", 1, 1 << 20)
        if self.overflow_batch is None:
            object.__setattr__(self, "overflow_batch", self.ring_cap // 2)
        _int_field(self, "overflow_batch", 1, self.ring_cap)
        if not isinstance(self.local_order, str) or self.local_order not in ("fifo", "lifo"):
            raise ValueError(f"Strategy.local_order must be 'fifo' or 'lifo', got "
                             f"{self.local_order!r}")
        if not isinstance(self.steal_end, str) or self.steal_end not in ("head", "tail"):
            raise ValueError(f"Strategy.steal_end must be 'head' or 'tail', got {self.steal_end!r}")
        _choice(self, "ready", READY, "place_ready", Kernel)
        _choice(self, "victim", VICTIMS, "choose_victim", Kernel)
        if isinstance(self.steal_amount, int) and not isinstance(self.steal_amount, bool):
            if not 1 <= self.steal_amount <= self.ring_cap:
                raise ValueError(f"Strategy.steal_amount as a batch must be between 1 and "
                                 f"ring_cap ({self.ring_cap}), got {self.steal_amount}")
        else:
            _choice(self, "steal_amount", AMOUNTS, "steal_amount", Kernel)
        _number(self, "spin_limit", 0, 1, " (a fraction)")
        if self.global_batch_max > self.ring_cap // 2 and not self.global_only:
            raise ValueError(f"Strategy.global_batch_max ({self.global_batch_max}) must be at "
                             f"most ring_cap/2 ({self.ring_cap // 2}): a refill must fit in the "
                             f"ring")
        # combinations that cannot work, with the reason
        if self.global_only:
            why = "global_only has no local rings"
            if self.steal:
                raise ValueError(f"Strategy: {why}, so steal must be False")
            if self.use_runnext:
                raise ValueError(f"Strategy: {why}, so use_runnext must be False")
            if self.fairness_tick:
                raise ValueError(f"Strategy: {why}, so fairness_tick (a check of the global "
                                 f"queue before the local one) must be 0")
        if self.steal_runnext and not (self.steal and self.use_runnext):
            raise ValueError("Strategy: steal_runnext needs steal=True and use_runnext=True "
                             "(there is no runnext slot to steal)")
        if self.ready == "runnext" and not self.use_runnext and not self.global_only:
            raise ValueError("Strategy: ready='runnext' needs use_runnext=True; use "
                             "ready='tail' for a design without a LIFO slot")
        if not self.steal and (isinstance(self.victim, Kernel) or
                               isinstance(self.steal_amount, Kernel)):
            raise ValueError("Strategy: a choose_victim/steal_amount kernel needs steal=True")

    @property
    def kernels(self) -> dict:
        """The user kernels of this strategy, by hook name."""
        from .kernels import Kernel
        out = {}
        for f, hook in (("victim", "choose_victim"), ("steal_amount", "steal_amount"),
                        ("ready", "place_ready")):
            v = getattr(self, f)
            if isinstance(v, Kernel):
                out[hook] = v
        return out

    def to_native(self) -> dict:
        from .kernels import Kernel
        amount = self.steal_amount
        return {
            "global_only": int(self.global_only),
            "ring_cap": self.ring_cap,
            "use_runnext": int(self.use_runnext),
            "steal_passes": self.steal_passes,
            "steal_runnext": int(self.steal_runnext),
            "fairness_tick": self.fairness_tick,
            "global_batch_max": self.global_batch_max,
            "steal": int(self.steal),
            "local_lifo": int(self.local_order == "lifo"),
            "steal_amount": _engine.STEAL_AMOUNTS["batch"] if isinstance(amount, int)
            and not isinstance(amount, bool)
            else (AMOUNTS["half"] if isinstance(amount, Kernel) else AMOUNTS[amount]),
            "steal_batch": amount if isinstance(amount, int) and not isinstance(amount, bool)
            else 0,
            "steal_tail": int(self.steal_end == "tail"),
            "victim": VICTIMS["go"] if isinstance(self.victim, Kernel) else VICTIMS[self.victim],
            "spin_pct": int(round(self.spin_limit * 100)),
            "overflow_batch": self.overflow_batch,
            "ready": READY["runnext"] if isinstance(self.ready, Kernel) else READY[self.ready],
        }

    def replace(self, **kw) -> "Strategy":
        return replace(self, **kw)

    def describe(self) -> str:
        return STRATEGY_DOCS.get(self.name, "")


def _choice(obj, field, table, hook, kernel_cls):
    v = getattr(obj, field)
    if isinstance(v, kernel_cls):
        if v.hook != hook:
            raise TypeError(f"Strategy.{field} takes a {hook!r} kernel, got a {v.hook!r} kernel "
                            f"({v.name})")
        return
    if not isinstance(v, str) or v not in table:
        raise ValueError(f"Strategy.{field} must be one of {sorted(table)} or a {hook!r} "
                         f"kernel, got {v!r}")


STRATEGIES: dict[str, Strategy] = {
    "go": Strategy(),
    "global": Strategy(name="global", global_only=True, steal=False, use_runnext=False,
                       ready="tail", steal_runnext=False, fairness_tick=0, global_batch_max=1),
    "tokio": Strategy(name="tokio", victim="sequential", steal_passes=1, steal_runnext=False,
                      fairness_tick=31),
    "forkjoin": Strategy(name="forkjoin", ring_cap=8192, use_runnext=False, ready="tail",
                         local_order="lifo", steal_amount="one", victim="random",
                         steal_runnext=False, fairness_tick=0, global_batch_max=1),
    "steal-one": Strategy(name="steal-one", steal_amount="one"),
    "no-steal": Strategy(name="no-steal", steal=False, steal_runnext=False),
    "steal-tail": Strategy(name="steal-tail", steal_end="tail"),
}

STRATEGY_DOCS = {
    "go": "Go (runtime/proc.go): per-P 256-slot FIFO rings with runnext, steal half from the "
          "victim's head over 4 random coprime-stride passes, runnext stolen on the last pass "
          "only, a global-queue check every 61 schedticks.",
    "global": "One global run queue under sched.lock; no local rings, no stealing: the "
              "baseline of the seed article's comparison.",
    "tokio": "Tokio's multi-thread scheduler (tokio/src/runtime/scheduler/multi_thread): "
             "256-slot local queues with a LIFO slot that thieves never take, steal half from "
             "the head, one pass over the workers from a random start, the injection (global) "
             "queue checked every 31 ticks (global_queue_interval).",
    "forkjoin": "Java's ForkJoinPool / Cilk work-stealing deques: the owner pushes and pops "
                "its newest task (LIFO), thieves take one task from the oldest end, random "
                "victims; no LIFO slot, external submissions through the global queue.",
    "steal-one": "Go, but a thief takes a single G instead of half the ring.",
    "no-steal": "Go without work stealing: idle Ps only take from the global queue.",
    "steal-tail": "Go, but thieves take the newest half from the victim's tail (what some "
                  "blog posts claim Go does; Go takes the oldest half from the head).",
}


def get_strategy(strategy) -> Strategy:
    if isinstance(strategy, Strategy):
        return strategy
    if isinstance(strategy, str):
        try:
            return STRATEGIES[strategy]
        except KeyError:
            raise ValueError(f"unknown strategy {strategy!r}; known: "
                             f"{', '.join(sorted(STRATEGIES))}") from None
    raise TypeError(f"strategy must be a name or a Strategy, got {type(strategy).__name__}")
