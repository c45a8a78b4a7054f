"""A small DSL for Go programs, compiled to flat bytecode arrays for the native engine.

    prog = Program()
    wg = prog.waitgroup("wg")
    main = prog.func("main")
    main.wg_add(wg, 1000)
    main.go("worker", times=1000)        # for i := 0; i < 1000; i++ { go worker(i) }
    main.wg_wait(wg)

    worker = prog.func("worker")
    worker.compute(Exponential(2000))    # user code: ~2000 cycles
    worker.mark("done")                  # records (time, goid, "done", i, loop iteration)
    worker.wg_done(wg)

Each instruction is (opcode, a, b, c) int32 words; functions end with an implicit goexit.
New kinds of operation (channels, mutexes, timers, syscalls) are new opcodes, not a new engine.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from . import _engine
from .dist import Distribution, as_distribution

__all__ = ["Program", "Function", "Select", "WaitGroup", "Chan", "Mutex", "RWMutex", "RuntimeLock",
           "Var",
           "CompiledProgram", "OP"]

OP = dict(_engine.OPCODES)
INSTR = _engine.INSTR
MAX_LOOP_DEPTH = _engine.MAXLOOPDEPTH
MAX_COUNT = 2**31 - 1
RUNTIME_FUNC = "runtime.runfinq"


class _Owner:
    """The identity of one Program: a private object the program and every object it made
    (channels, mutexes, ...) keep alive.  Unlike id(program), which CPython reuses once the
    program is freed, it cannot be matched by an object of another program."""
    __slots__ = ()


@dataclass(frozen=True)
class WaitGroup:
    """A sync.WaitGroup shared by the program's goroutines."""
    index: int
    name: str
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Chan:
    """A channel of int64 values: make(chan int64, cap)."""
    index: int
    name: str
    cap: int
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Mutex:
    """A sync.Mutex."""
    index: int
    name: str
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RWMutex:
    """A sync.RWMutex: Function.rlock/runlock for readers, Function.lock/unlock for writers.
    Its writers serialise on an inner sync.Mutex (named `<name>.w` in Result.mutexes)."""
    index: int
    name: str
    w: int                    # index of the writers' Mutex
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RuntimeLock:
    """A runtime-internal lock (like mheap.lock): a thread waits for it holding its P."""
    index: int
    name: str
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Var:
    """A user variable the cache model tracks: one shared word, or one word per P (like
    sync.Pool's poolLocal array), packed eight to a 64-byte line or padded to a line each."""
    index: int
    name: str
    per_p: bool
    padded: bool
    owner: object = field(default=None, repr=False, compare=False)

    @property
    def kind(self) -> int:
        return _engine.VAR_KINDS["shared" if not self.per_p else
                                 ("per_p_padded" if self.padded else "per_p")]


ACCESS = dict(_engine.ACCESS_KINDS)
MAX_GOMAXPROCS = 1024
VALUE_SOURCES = dict(_engine.VALUE_SOURCES)
SELECT_KINDS = dict(_engine.SELECT_KINDS)
MAX_SELECT_CASES = _engine.MAXSELECTCASES


def _send_value(value):
    """(value source, constant) of a send's value argument."""
    if isinstance(value, str):
        if value not in VALUE_SOURCES or value == "const":
            raise ValueError(f"send value must be an int or one of 'spawn', 'iter', 'val', "
                             f"got {value!r}")
        return VALUE_SOURCES[value], 0
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not -2**31 <= int(value) < 2**31:
            raise ValueError(f"send value must fit in int32, got {value}")
        return VALUE_SOURCES["const"], int(value)
    raise TypeError(f"send value must be an int or a str, got {type(value).__name__}")


class Select:
    """The cases of one `select` statement (Function.select()).  Each case is a context
    manager; the operations added inside its block are the case's body:

        with f.select() as sel:
            with sel.recv(results):          # case v := <-results:
                f.mark("result")
            with sel.after(Const(30_000)):   # case <-time.After(10us) / <-ctx.Done():
                f.mark("timeout")

    As in Go, when several cases are ready one is chosen at random (the engine RNG); with
    nothing ready, `default` runs if there is one, otherwise the goroutine parks ("select")
    until a channel operation or the timeout completes one case."""

    def __init__(self, fn: "Function"):
        self._fn = fn
        self.cases: list[tuple] = []      # (kind, object index, value source, constant)
        self._in_case = False
        self._closed = False

    @contextlib.contextmanager
    def _case(self, kind, obj, src=0, const=0):
        if self._closed:
            raise ValueError("this select statement is already complete")
        if self._in_case:
            raise ValueError("select cases cannot be nested inside one another "
                             "(start a new f.select() inside the case instead)")
        if kind in ("default", "after", "done") and any(c[0] == kind for c in self.cases):
            raise ValueError(f"a select has at most one {kind!r} case")
        if len(self.cases) >= MAX_SELECT_CASES:
            raise ValueError(f"a select has at most {MAX_SELECT_CASES} cases")
        i = len(self.cases)
        self.cases.append((kind, obj, src, const))
        self._fn._ops.append(("CASE", self, i))
        self._in_case = True
        try:
            yield self._fn
        finally:
            self._in_case = False
            self._fn._ops.append(("ENDCASE", self))

    def recv(self, ch: "Chan"):
        """`case v := <-ch:` (v lands in the goroutine's register; a closed channel gives 0)."""
        self._fn._check_obj(ch, Chan, "chan")
        return self._case("recv", ch.index)

    def send(self, ch: "Chan", value="spawn"):
        """`case ch <- v:` (value as in Function.send, evaluated when the select starts)."""
        self._fn._check_obj(ch, Chan, "chan")
        src, const = _send_value(value)
        return self._case("send", ch.index, src, const)

    def after(self, duration):
        """`case <-time.After(d):` -- or `<-ctx.Done()` for a context whose deadline is d
        away: a timer of `duration` cycles (a number or a Distribution) started by the
        select; the case wins when it fires if nothing else did first."""
        return self._case("after", as_distribution(duration))

    def done(self):
        """`case <-ctx.Done():` -- ready at the goroutine's context deadline (set by
        Function.with_timeout, inherited by the goroutines it starts); without a deadline the
        case never fires (context.Background().Done() is nil)."""
        return self._case("done", 0)

    def default(self):
        """`default:` -- taken when no other case is ready; the select never blocks."""
        return self._case("default", 0)


class Function:
    """The body of one Go function, built by appending operations.  Methods return self."""

    def __init__(self, program: "Program", name: str):
        self._program = program
        self.name = name
        self._ops: list[tuple] = []
        self._depth = 0
        self._selects = 0

    def __repr__(self):
        return f"<gmpcore.Function {self.name!r}: {len(self._ops)} ops>"

    # -- user code ---------------------------------------------------------------------------
    def compute(self, work) -> "Function":
        """Run user code for `work` cycles (a number, or a Distribution drawn per execution)."""
        self._ops.append(("COMPUTE", as_distribution(work)))
        return self

    def mark(self, label: str) -> "Function":
        """Record (time, goid, label, spawn index, loop iteration) when executed."""
        if not isinstance(label, str):
            raise TypeError(f"mark label must be a str, got {type(label).__name__}")
        self._ops.append(("MARK", label))
        return self

    # -- goroutines --------------------------------------------------------------------------
    def go(self, fn, times: int = 1) -> "Function":
        """`go fn()`; with times=N, `for i := 0; i < N; i++ { go fn(i) }` (i is the spawned
        goroutine's spawn index).  A single `go` inside a loop gets that loop's iteration."""
        name = fn.name if isinstance(fn, Function) else fn
        if not isinstance(name, str):
            raise TypeError(f"go() takes a function name or Function, got {type(fn).__name__}")
        times = _count("go(times=...)", times)
        if times == 1:
            self._ops.append(("GO", name))
        else:
            with self.loop(times):
                self._ops.append(("GO", name))
        return self

    # -- channels ----------------------------------------------------------------------------
    def send(self, ch: "Chan", value="spawn") -> "Function":
        """`ch <- v`.  value: an int, or "spawn" (this goroutine's spawn index), "iter" (the
        innermost loop iteration), "val" (the value this goroutine last received)."""
        self._check_obj(ch, Chan, "chan")
        src, const = _send_value(value)
        self._ops.append(("CHAN_SEND", ch.index, src, const))
        return self

    @contextlib.contextmanager
    def select(self):
        """A `select` statement; add its cases with the returned Select (see Select)."""
        sel = Select(self)
        self._ops.append(("SELECT", sel))
        self._selects += 1
        try:
            yield sel
        finally:
            self._selects -= 1
            sel._closed = True
            self._ops.append(("ENDSELECT", sel))

    def recv(self, ch: "Chan") -> "Function":
        """`v := <-ch` (the value lands in the goroutine's register: marks record it,
        send(value="val") forwards it).  A closed, drained channel gives 0."""
        self._check_obj(ch, Chan, "chan")
        self._ops.append(("CHAN_RECV", ch.index))
        return self

    @contextlib.contextmanager
    def range(self, ch: "Chan"):
        """`for v := range ch { ... }`: receive until the channel is closed and drained."""
        self._check_obj(ch, Chan, "chan")
        self._ops.append(("RANGE", ch.index))
        try:
            yield self
        finally:
            self._ops.append(("ENDRANGE",))

    def close(self, ch: "Chan") -> "Function":
        """`close(ch)`."""
        self._check_obj(ch, Chan, "chan")
        self._ops.append(("CHAN_CLOSE", ch.index))
        return self

    # -- sync.Mutex and time ---------------------------------------------------------------
    def lock(self, mu) -> "Function":
        """sync.Mutex.Lock, or sync.RWMutex.Lock (the writer's lock)."""
        if isinstance(mu, RWMutex):
            self._check_obj(mu, RWMutex, "rwmutex")
            self._ops.append(("LOCK", mu.w))
            self._ops.append(("WLOCK", mu.index))
            return self
        self._check_obj(mu, Mutex, "mutex")
        self._ops.append(("LOCK", mu.index))
        return self

    def unlock(self, mu) -> "Function":
        """sync.Mutex.Unlock, or sync.RWMutex.Unlock."""
        if isinstance(mu, RWMutex):
            self._check_obj(mu, RWMutex, "rwmutex")
            self._ops.append(("WUNLOCK", mu.index))
            self._ops.append(("UNLOCK", mu.w))
            return self
        self._check_obj(mu, Mutex, "mutex")
        self._ops.append(("UNLOCK", mu.index))
        return self

    def rlock(self, rw: "RWMutex") -> "Function":
        """sync.RWMutex.RLock: shared with other readers; waits while a writer is pending."""
        self._check_obj(rw, RWMutex, "rwmutex")
        self._ops.append(("RLOCK", rw.index))
        return self

    def runlock(self, rw: "RWMutex") -> "Function":
        """sync.RWMutex.RUnlock (the last reader out lets a pending writer in)."""
        self._check_obj(rw, RWMutex, "rwmutex")
        self._ops.append(("RUNLOCK", rw.index))
        return self

    def hold(self, lock: "RuntimeLock", work) -> "Function":
        """Run `work` cycles holding a runtime lock (e.g. growslice under mheap.lock).  Unlike
        a sync.Mutex, waiters do not park: their M spins, then sleeps on a futex, keeping its
        P -- so a hot runtime lock stalls whole Ps and their run queues."""
        self._check_obj(lock, RuntimeLock, "runtime_lock")
        self._ops.append(("RTLOCK", lock.index, as_distribution(work)))
        return self

    def sleep(self, duration) -> "Function":
        """time.Sleep for `duration` cycles (a number or a Distribution)."""
        self._ops.append(("SLEEP", as_distribution(duration)))
        return self

    # -- system calls, the network, the runtime ----------------------------------------------
    def with_timeout(self, timeout) -> "Function":
        """`ctx, cancel := context.WithTimeout(ctx, timeout)`: this goroutine's deadline
        becomes `timeout` cycles from now (or stays, if it is earlier); goroutines it starts
        afterwards get the same deadline (the context is passed down).  Select on it with
        Select.done()."""
        self._ops.append(("WITH_TIMEOUT", as_distribution(timeout)))
        return self

    def syscall(self, duration) -> "Function":
        """A blocking system call of `duration` cycles (e.g. a file read).  The P stays with
        the thread; if the call outlasts a sysmon tick and the P has work (or nobody else is
        looking for work, or 10 ms pass), sysmon hands the P to another thread (a new one if
        none is idle), and the goroutine needs a P back when the call returns."""
        self._ops.append(("SYSCALL", as_distribution(duration)))
        return self

    def net_wait(self, duration) -> "Function":
        """Wait for a network descriptor that becomes ready after `duration` cycles (a read
        on a socket): the goroutine parks ("IO wait") and the netpoller readies it when an M
        polls (findRunnable, the idle M blocked in netpoll, or sysmon every 10 ms)."""
        self._ops.append(("NETWAIT", as_distribution(duration)))
        return self

    def touch(self, var: "Var", access: str = "rmw") -> "Function":
        """Access a user variable through the cache model: "read", "write" or "rmw" (an
        atomic add, as a counter increment).  A per-P variable touches this P's slot."""
        self._check_obj(var, Var, "var")
        if access not in ACCESS:
            raise ValueError(f"touch access must be one of {sorted(ACCESS)}, got {access!r}")
        self._ops.append(("TOUCH", var.index, ACCESS[access], int(var.per_p)))
        return self

    def gomaxprocs(self, n: int) -> "Function":
        """runtime.GOMAXPROCS(n): stop the world, resize the set of Ps (the Gs of removed Ps
        go to the head of the global queue), start the world."""
        n = _count("gomaxprocs(n)", n)
        if n > MAX_GOMAXPROCS:
            raise ValueError(f"gomaxprocs(n) must be at most {MAX_GOMAXPROCS}, got {n}")
        self._ops.append(("GOMAXPROCS", n))
        return self

    # ---- the heap (the GC stream: docs/gc.md) ----------------------------------------------
    def alloc(self, nbytes: int, live: str | None = None) -> "Function":
        """Allocate `nbytes` on the heap (mallocgc).  How long the bytes stay reachable decides
        what the GC marks: live=None, a temporary (garbage once the statement is over, as
        `sink = make([]byte, n)`); live="goroutine", until this goroutine exits (its own
        data); live="global", until free() drops it (a cache, a global map).  With the GC
        pacer (gmpcore.GC, the default for a program that allocates) the allocation may start
        a cycle and, during the mark phase, pay a mark assist; with the pauses-only model,
        crossing Machine.gc_heap_goal_bytes starts a cycle."""
        nbytes = _count("alloc(nbytes)", nbytes)
        if live not in ALLOC_LIVE:
            raise ValueError(f"alloc(live=) must be one of {list(ALLOC_LIVE)}, got {live!r}")
        self._ops.append(("ALLOC", nbytes, ALLOC_LIVE[live]))
        return self

    def free(self, nbytes: int) -> "Function":
        """Drop the references to `nbytes` of global memory (alloc(live="global")): they become
        garbage, and the next cycle does not mark them (at most what is held is dropped)."""
        nbytes = _count("free(nbytes)", nbytes)
        self._ops.append(("ALLOC", nbytes, 2))
        return self

    def gc(self) -> "Function":
        """Start a GC cycle now (runtime.GC()'s trigger; this goroutine does not wait for the
        cycle to finish)."""
        self._ops.append(("ALLOC", 0, 0))
        return self

    def _check_obj(self, obj, cls, what):
        self._program._check_own(obj, cls, what)

    def ret(self) -> "Function":
        """`return`: the goroutine exits here (main returning ends the program)."""
        self._ops.append(("RET",))
        return self

    def gosched(self) -> "Function":
        """runtime.Gosched(): yield to the global queue tail."""
        self._ops.append(("GOSCHED",))
        return self

    # -- sync.WaitGroup ----------------------------------------------------------------------
    def wg_add(self, wg: WaitGroup, delta: int = 1) -> "Function":
        self._check_wg(wg)
        if isinstance(delta, bool) or not isinstance(delta, (int, np.integer)):
            raise TypeError(f"wg_add delta must be an int, got {type(delta).__name__}")
        if not -MAX_COUNT <= int(delta) <= MAX_COUNT:
            raise ValueError(f"wg_add delta must be within +-{MAX_COUNT}, got {delta}")
        self._ops.append(("WG_ADD", wg.index, int(delta)))
        return self

    def wg_done(self, wg: WaitGroup) -> "Function":
        return self.wg_add(wg, -1)

    def wg_wait(self, wg: WaitGroup) -> "Function":
        self._check_wg(wg)
        self._ops.append(("WG_WAIT", wg.index))
        return self

    # -- control flow ------------------------------------------------------------------------
    @contextlib.contextmanager
    def loop(self, n: int):
        """`for i := 0; i < n; i++ { ... }` around the operations added inside the block."""
        n = _count("loop(n)", n, allow_zero=True)
        if self._depth >= MAX_LOOP_DEPTH:
            raise ValueError(f"function {self.name!r}: loops nest at most {MAX_LOOP_DEPTH} deep "
                             f"(go(times=N) counts as a loop)")
        self._ops.append(("LOOP", n))
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            self._ops.append(("ENDLOOP",))

    def _check_wg(self, wg):
        self._program._check_own(wg, WaitGroup, "waitgroup")


#: Function.alloc(live=): OP_ALLOC's kind operand (sched/gc.pxi; 2 is free())
ALLOC_LIVE = {None: 0, "global": 1, "goroutine": 3}


def _count(what: str, n, allow_zero=False) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}")
    n = int(n)
    lo = 0 if allow_zero else 1
    if not lo <= n <= MAX_COUNT:
        raise ValueError(f"{what} must be between {lo} and {MAX_COUNT}, got {n}")
    return n


@dataclass
class CompiledProgram:
    code: np.ndarray          # int32, INSTR words per instruction
    func_entry: np.ndarray    # int32, first pc of each function
    func_names: list
    dist_kind: np.ndarray
    dist_a: np.ndarray
    dist_b: np.ndarray
    labels: list              # mark label strings, by index
    nwgs: int
    main_fn: int
    sys_fn: int
    arr_fn: int = -1
    arr_dist: int = -1
    arr_count: int = 0
    chan_caps: list = None
    nmutexes: int = 0
    chan_names: list = None
    mutex_names: list = None
    rtlock_names: list = None
    wg_names: list = None
    rw_w: list = None         # per RWMutex: its writers' Mutex
    rwmutex_names: list = None
    var_kinds: list = None
    var_names: list = None
    max_procs: int = 0        # the largest GOMAXPROCS(n) in the program
    uses_alloc: bool = False  # the program allocates (or calls runtime.GC): a GC controller
    uses_deadlines: bool = False  # context deadlines: the engine keeps a deadline per G

    def disassemble(self) -> str:
        names = {v: k for k, v in OP.items()}
        out = []
        entries = {int(e): n for e, n in zip(self.func_entry, self.func_names)}
        for pc in range(len(self.code) // INSTR):
            if pc in entries:
                out.append(f"{entries[pc]}:")
            op, a, b, c = self.code[pc * INSTR:(pc + 1) * INSTR]
            out.append(f"  {pc:4d}  {names[int(op)]:<8} {a} {b}")
        return "\n".join(out)


class Program:
    """A Go program: functions (``main`` is where the main goroutine starts) and WaitGroups."""

    def __init__(self):
        self._funcs: dict[str, Function] = {}
        self._wgs: list[WaitGroup] = []
        self._chans: list[Chan] = []
        self._mutexes: list[Mutex] = []
        self._rtlocks: list[RuntimeLock] = []
        self._vars: list[Var] = []
        self._rwmutexes: list[RWMutex] = []
        self._arrivals = None
        # the token objects compare against (see _Owner): held here and by every object
        self._owner = _Owner()

    def _objects(self, cls) -> list:
        return {WaitGroup: self._wgs, Chan: self._chans, Mutex: self._mutexes,
                RWMutex: self._rwmutexes, RuntimeLock: self._rtlocks, Var: self._vars}[cls]

    def _check_own(self, obj, cls, what):
        """obj must be a `cls` this program made (Program.<what>()), unchanged."""
        if not isinstance(obj, cls):
            raise TypeError(f"expected a {cls.__name__} from Program.{what}(), got "
                            f"{type(obj).__name__}")
        if obj.owner is not self._owner:
            raise ValueError(f"{cls.__name__} {obj.name!r} belongs to another Program "
                             f"(use this Program's {what}(); objects cannot be shared between "
                             f"programs or built by hand)")
        objs = self._objects(cls)
        i = obj.index
        if (isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(objs)
                or objs[i] != obj):
            raise ValueError(f"{cls.__name__} {obj.name!r} does not match the object this "
                             f"Program's {what}() made (index {i!r})")

    def func(self, name: str) -> Function:
        """Define a function (its body is built with the returned Function's methods)."""
        if not isinstance(name, str) or not name:
            raise TypeError("function name must be a non-empty str")
        if name in self._funcs:
            raise ValueError(f"function {name!r} is already defined")
        if name == RUNTIME_FUNC:
            raise ValueError(f"{RUNTIME_FUNC!r} is reserved")
        f = Function(self, name)
        self._funcs[name] = f
        return f

    def __getitem__(self, name) -> Function:
        return self._funcs[name]

    @property
    def functions(self) -> list[str]:
        return list(self._funcs)

    def arrivals(self, fn, interarrival, count: int) -> "Program":
        """Open arrivals: `count` goroutines running `fn` arrive from outside the Ps, with
        inter-arrival times drawn from `interarrival` (cycles; e.g. Exponential(mean) for a
        Poisson stream).  They are injected like netpoll results: global queue, idle Ps
        started.  The arriving goroutine's spawn_index is its arrival number."""
        name = fn.name if isinstance(fn, Function) else fn
        if not isinstance(name, str):
            raise TypeError(f"arrivals() takes a function name or Function, got {type(fn).__name__}")
        count = _count("arrivals(count=...)", count)
        self._arrivals = (name, as_distribution(interarrival), count)
        return self

    def chan(self, name: str | None = None, cap: int = 0) -> Chan:
        """make(chan int64, cap): unbuffered with cap=0."""
        cap = _count("chan(cap=...)", cap, allow_zero=True)
        if cap > 1 << 26:
            raise ValueError(f"chan cap must be at most {1 << 26}, got {cap}")
        ch = Chan(len(self._chans), name or f"ch{len(self._chans)}", cap, self._owner)
        self._chans.append(ch)
        return ch

    def runtime_lock(self, name: str | None = None) -> RuntimeLock:
        lk = RuntimeLock(len(self._rtlocks), name or f"lock{len(self._rtlocks)}", self._owner)
        self._rtlocks.append(lk)
        return lk

    def var(self, name: str | None = None, per_p: bool = False, padded: bool = False) -> Var:
        """A variable for Function.touch: one shared word, or (per_p) one word per P, packed
        eight to a line or (padded) each on its own line."""
        if not isinstance(per_p, bool) or not isinstance(padded, bool):
            raise TypeError("var(per_p=..., padded=...) take bools")
        if padded and not per_p:
            raise ValueError("padded=True needs per_p=True (a shared word is one line anyway)")
        v = Var(len(self._vars), name or f"var{len(self._vars)}", per_p, padded, self._owner)
        self._vars.append(v)
        return v

    def rwmutex(self, name: str | None = None) -> RWMutex:
        """A sync.RWMutex."""
        name = name or f"rw{len(self._rwmutexes)}"
        w = self.mutex(f"{name}.w")
        rw = RWMutex(len(self._rwmutexes), name, w.index, self._owner)
        self._rwmutexes.append(rw)
        return rw

    def mutex(self, name: str | None = None) -> Mutex:
        mu = Mutex(len(self._mutexes), name or f"mu{len(self._mutexes)}", self._owner)
        self._mutexes.append(mu)
        return mu

    def waitgroup(self, name: str | None = None) -> WaitGroup:
        wg = WaitGroup(len(self._wgs), name or f"wg{len(self._wgs)}", self._owner)
        self._wgs.append(wg)
        return wg

    def compile(self) -> CompiledProgram:
        """Check the program and lower it to arrays.  Raises ValueError naming the problem."""
        if "main" not in self._funcs:
            raise ValueError("the program has no 'main' function (Program.func('main'))")
        names = list(self._funcs) + [RUNTIME_FUNC]
        index = {n: i for i, n in enumerate(names)}
        dists: dict[Distribution, int] = {}
        labels: dict[str, int] = {}
        code: list[list[int]] = []
        entries = []
        max_procs, uses_alloc, uses_deadlines = 0, False, False
        for name in names:
            entries.append(len(code))
            if name == RUNTIME_FUNC:
                code.append([OP["SYSPARK"], 0, 0, 0])
                code.append([OP["EXIT"], 0, 0, 0])
                continue
            f = self._funcs[name]
            if f._depth or f._selects:
                raise ValueError(f"function {name!r}: a loop or select is still open")
            loop_stack = []
            # open selects: [Select, pc of its jump table, pcs of the JMPs to its end, in a case]
            sel_stack = []
            for op in f._ops:
                kind = op[0]
                if sel_stack and not sel_stack[-1][3] and kind not in (
                        "CASE", "ENDSELECT"):
                    raise ValueError(f"function {name!r}: operations inside a select must be "
                                     f"inside one of its cases")
                if kind == "SELECT":
                    sel = op[1]
                    n = len(sel.cases)
                    if not any(c[0] != "default" for c in sel.cases):
                        raise ValueError(f"function {name!r}: a select needs at least one "
                                         f"channel or timeout case")
                    code.append([OP["SELECT"], n, 0, 0])
                    for ckind, obj, src, const in sel.cases:
                        if ckind == "after":
                            if obj not in dists:
                                dists[obj] = len(dists)
                            obj = dists[obj]
                        code.append([OP["SELCASE"], SELECT_KINDS[ckind] | (src << 4), obj,
                                     const])
                    sel_stack.append([sel, len(code), [], False])
                    for _ in range(n):
                        code.append([OP["JMP"], -1, 0, 0])
                elif kind == "CASE":
                    top = sel_stack[-1]
                    code[top[1] + op[2]][1] = len(code)
                    top[3] = True
                elif kind == "ENDCASE":
                    top = sel_stack[-1]
                    top[2].append(len(code))
                    code.append([OP["JMP"], -1, 0, 0])
                    top[3] = False
                elif kind == "ENDSELECT":
                    ends = sel_stack.pop()[2]
                    for pc in ends:
                        code[pc][1] = len(code)
                elif kind == "COMPUTE":
                    d = op[1]
                    if d not in dists:
                        dists[d] = len(dists)
                    code.append([OP["COMPUTE"], dists[d], 0, 0])
                elif kind == "GO":
                    if op[1] not in self._funcs:
                        raise ValueError(f"function {name!r} spawns undefined function {op[1]!r}"
                                         f"{_did_you_mean(op[1], self._funcs)}")
                    code.append([OP["GO"], index[op[1]], 0, 0])
                elif kind == "WG_ADD":
                    code.append([OP["WG_ADD"], op[1], op[2], 0])
                elif kind == "WG_WAIT":
                    code.append([OP["WG_WAIT"], op[1], 0, 0])
                elif kind == "MARK":
                    if op[1] not in labels:
                        labels[op[1]] = len(labels)
                    code.append([OP["MARK"], labels[op[1]], 0, 0])
                elif kind == "LOOP":
                    loop_stack.append(len(code))
                    code.append([OP["LOOP"], op[1], -1, 0])
                elif kind == "ENDLOOP":
                    start = loop_stack.pop()
                    code[start][2] = len(code)
                    code.append([OP["ENDLOOP"], start, 0, 0])
                elif kind == "GOSCHED":
                    code.append([OP["GOSCHED"], 0, 0, 0])
                elif kind == "RET":
                    code.append([OP["EXIT"], 0, 0, 0])
                elif kind == "CHAN_SEND":
                    code.append([OP["CHAN_SEND"], op[1], op[2], op[3]])
                elif kind == "CHAN_RECV":
                    code.append([OP["CHAN_RECV"], op[1], -1, 0])
                elif kind == "CHAN_CLOSE":
                    code.append([OP["CHAN_CLOSE"], op[1], 0, 0])
                elif kind == "RANGE":
                    loop_stack.append(len(code))
                    code.append([OP["CHAN_RECV"], op[1], -1, 0])   # exit patched at ENDRANGE
                elif kind == "ENDRANGE":
                    start = loop_stack.pop()
                    code.append([OP["JMP"], start, 0, 0])
                    code[start][2] = len(code)
                elif kind in ("LOCK", "UNLOCK", "RLOCK", "RUNLOCK", "WLOCK", "WUNLOCK"):
                    code.append([OP[kind], op[1], 0, 0])
                elif kind == "RTLOCK":
                    d = op[2]
                    if d not in dists:
                        dists[d] = len(dists)
                    code.append([OP["RTLOCK"], op[1], dists[d], 0])
                elif kind in ("SLEEP", "SYSCALL", "NETWAIT", "WITH_TIMEOUT"):
                    uses_deadlines = uses_deadlines or kind == "WITH_TIMEOUT"
                    d = op[1]
                    if d not in dists:
                        dists[d] = len(dists)
                    code.append([OP[kind], dists[d], 0, 0])
                elif kind == "TOUCH":
                    code.append([OP["TOUCH"], op[1], op[2], op[3]])
                elif kind == "GOMAXPROCS":
                    max_procs = max(max_procs, op[1])
                    code.append([OP["GOMAXPROCS"], op[1], 0, 0])
                elif kind == "ALLOC":
                    uses_alloc = True
                    code.append([OP["ALLOC"], op[1], op[2], 0])
                else:  # pragma: no cover - the builder only appends the kinds above
                    raise AssertionError(kind)
            code.append([OP["EXIT"], 0, 0, 0])
        if len(code) >= 2**31 // INSTR:
            raise ValueError("program too large")
        arr_fn, arr_dist, arr_count = -1, -1, 0
        if self._arrivals is not None:
            fname, d, arr_count = self._arrivals
            if fname not in self._funcs:
                raise ValueError(f"arrivals() names undefined function {fname!r}"
                                 f"{_did_you_mean(fname, self._funcs)}")
            arr_fn = index[fname]
            if d not in dists:
                dists[d] = len(dists)
            arr_dist = dists[d]
        dlist = sorted(dists, key=dists.get)
        compiled = CompiledProgram(
            code=np.asarray(code, dtype=np.int32).reshape(-1),
            func_entry=np.asarray(entries, dtype=np.int32),
            func_names=names,
            dist_kind=np.asarray([_engine.DISTS[d.kind] for d in dlist], dtype=np.int32),
            dist_a=np.asarray([d.params()[0] for d in dlist], dtype=np.float64),
            dist_b=np.asarray([d.params()[1] for d in dlist], dtype=np.float64),
            labels=sorted(labels, key=labels.get),
            nwgs=len(self._wgs),
            main_fn=index["main"],
            sys_fn=index[RUNTIME_FUNC],
            arr_fn=arr_fn,
            arr_dist=arr_dist,
            arr_count=arr_count,
            chan_caps=[c.cap for c in self._chans],
            nmutexes=len(self._mutexes),
            chan_names=[c.name for c in self._chans],
            mutex_names=[m.name for m in self._mutexes],
            rtlock_names=[r.name for r in self._rtlocks],
            wg_names=[w.name for w in self._wgs],
            rw_w=[rw.w for rw in self._rwmutexes],
            rwmutex_names=[rw.name for rw in self._rwmutexes],
            var_kinds=[v.kind for v in self._vars],
            var_names=[v.name for v in self._vars],
            max_procs=max_procs,
            uses_alloc=uses_alloc,
            uses_deadlines=uses_deadlines,
        )
        validate_compiled(compiled, nrtlocks=len(self._rtlocks), nrwmutexes=len(self._rwmutexes))
        return compiled


def validate_compiled(c: CompiledProgram, nrtlocks: int, nrwmutexes: int) -> None:
    """Check every operand of the lowered program against the program's objects: the engine
    indexes its arrays with them (it also checks them when it loads the program, as a second
    line).  The builder only emits valid code, so a failure here means a Program whose
    internals were changed by hand; raises ValueError naming the instruction."""
    code = np.asarray(c.code)
    if code.dtype != np.int32 or code.ndim != 1 or len(code) % INSTR:
        raise ValueError("program: code must be a flat int32 array of whole instructions")
    ins = code.reshape(-1, INSTR)
    ncode, nfuncs = len(ins), len(c.func_entry)
    ndists, nlabels = len(c.dist_kind), len(c.labels)
    nchans, nvars = len(c.chan_caps or []), len(c.var_kinds or [])
    names = {v: k for k, v in OP.items()}
    if not (len(c.dist_a) == len(c.dist_b) == ndists and nfuncs == len(c.func_names)):
        raise ValueError("program: distribution or function tables disagree in length")
    if any(k not in _engine.DISTS.values() for k in c.dist_kind.tolist()):
        raise ValueError("program: unknown distribution kind")
    entries = [int(e) for e in c.func_entry] + [ncode]
    if entries[0] != 0 or any(not a < b for a, b in zip(entries, entries[1:])):
        raise ValueError("program: function entries out of order")
    for what, v, n in (("main function", c.main_fn, nfuncs), ("runtime function", c.sys_fn,
                                                                nfuncs)):
        if not 0 <= v < n:
            raise ValueError(f"program: {what} index {v} out of range")
    if c.arr_fn != -1 and not (0 <= c.arr_fn < nfuncs and 0 <= c.arr_dist < ndists
                               and 1 <= c.arr_count <= MAX_COUNT):
        raise ValueError("program: arrivals refer to a missing function or distribution")
    for i, w in enumerate(c.rw_w or []):
        if not 0 <= w < c.nmutexes:
            raise ValueError(f"program: RWMutex #{i} names writer mutex {w}, out of range")
    if len(c.rw_w or []) != nrwmutexes:
        raise ValueError("program: RWMutex table disagrees with the program")
    if any(not 0 <= cap <= 1 << 26 for cap in (c.chan_caps or [])):
        raise ValueError("program: channel capacity out of range")
    if any(k not in (0, 1, 2) for k in (c.var_kinds or [])):
        raise ValueError("program: unknown variable kind")
    limits = {"COMPUTE": ndists, "SLEEP": ndists, "SYSCALL": ndists, "NETWAIT": ndists,
              "WITH_TIMEOUT": ndists, "WG_ADD": c.nwgs, "WG_WAIT": c.nwgs, "MARK": nlabels,
              "CHAN_SEND": nchans, "CHAN_RECV": nchans, "CHAN_CLOSE": nchans,
              "LOCK": c.nmutexes, "UNLOCK": c.nmutexes, "RLOCK": nrwmutexes,
              "RUNLOCK": nrwmutexes, "WLOCK": nrwmutexes, "WUNLOCK": nrwmutexes,
              "RTLOCK": nrtlocks, "TOUCH": nvars, "GO": nfuncs}
    sel_kinds = {v: k for k, v in SELECT_KINDS.items()}
    f = 0
    cases_left = 0
    for pc in range(ncode):
        while pc >= entries[f + 1]:
            f += 1
        lo, hi = entries[f], entries[f + 1]
        op, a, b, _ = (int(x) for x in ins[pc])
        name = names.get(op)

        def bad(why):
            return ValueError(f"program: function {c.func_names[f]!r}, instruction {pc} "
                              f"({name or op}): {why}")
        if name is None:
            raise bad("unknown opcode")
        if cases_left:
            cases_left -= 1
            if name != "SELCASE":
                raise bad("a select is missing its cases")
            kind = sel_kinds.get(a & 0xF)
            if kind is None or (a >> 4) not in VALUE_SOURCES.values():
                raise bad("unknown select case kind or value source")
            n = nchans if kind in ("recv", "send") else ndists if kind == "after" else 1
            if not 0 <= b < n:
                raise bad(f"case operand {b} out of range")
            continue
        if name == "SELCASE":
            raise bad("a select case outside a select")
        if name in limits and not 0 <= a < limits[name]:
            raise bad(f"operand {a} out of range (0..{limits[name] - 1})")
        if name == "GO" and a == c.sys_fn:
            raise bad("cannot start the runtime function")
        if name == "RTLOCK" and not 0 <= b < ndists:
            raise bad(f"distribution {b} out of range")
        if name == "CHAN_SEND" and b not in VALUE_SOURCES.values():
            raise bad("unknown value source")
        if name == "TOUCH" and (b not in ACCESS.values() or _ not in (0, 1)):
            raise bad("unknown access kind")
        if name == "LOOP" and not (0 <= a <= MAX_COUNT and pc < b < hi):
            raise bad("loop count or end out of range")
        if name == "ENDLOOP" and not (lo <= a < pc and int(ins[a, 0]) == OP["LOOP"]):
            raise bad("loop start out of range")
        if name == "CHAN_RECV" and b != -1 and not pc < b < hi:
            raise bad("range exit out of range")
        if name == "JMP" and not lo <= a < hi:
            raise bad(f"jump target {a} outside the function")
        if name == "GOMAXPROCS" and not 1 <= a <= MAX_GOMAXPROCS:
            raise bad("GOMAXPROCS out of range")
        if name == "ALLOC" and (a < 0 or b not in (0, 1, 2, 3)):
            raise bad("negative allocation or unknown allocation kind")
        if name == "SELECT":
            if not 1 <= a <= MAX_SELECT_CASES or pc + a >= hi:
                raise bad("select case count out of range")
            cases_left = a
    if cases_left:
        raise ValueError("program: a select is missing its cases")
    if any(int(ins[e - 1, 0]) != OP["EXIT"] for e in entries[1:]):
        raise ValueError("program: a function does not end with an exit")


def _did_you_mean(name, defined) -> str:
    import difflib
    hint = difflib.get_close_matches(str(name), list(defined), n=3)
    if hint:
        return f"; did you mean {', '.join(map(repr, hint))}?"
    return f" (defined: {', '.join(map(repr, defined))})" if defined else " (none defined)"
