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

from . import _engine, units
from .dist import Distribution, as_distribution
from .expr import (BOOL, CHAN, INT, MAX_LOCALS, ChanConst, Expr, Iter, Local, Received, Spawn,
                   as_expr, compile_values)

__all__ = ["Program", "Function", "Select", "WaitGroup", "Chan", "Mutex", "RWMutex", "RuntimeLock",
           "Var", "Pool", "Cond", "Context",
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


# -- sync.Pool, sync.Cond, context cancellation (the sync block; builders: Function.pool_get ...
@dataclass(frozen=True)
class Pool:
    """A sync.Pool of int64 values (0 is nil): Function.pool_put / pool_get.  padded: Go's
    layout, each P's poolLocal padded to 128 bytes; padded=False packs two to a 64-byte line
    (the false sharing Go's pad prevents).  new_base: the pool has a New function returning
    new_base, new_base + 1, ... on successive calls (None: no New, an empty Get gives 0)."""
    index: int
    name: str
    padded: bool
    new_base: object
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Cond:
    """A sync.Cond with its Locker L (a Mutex, or an RWMutex's writer lock):
    Function.cond_wait / cond_signal / cond_broadcast."""
    index: int
    name: str
    L: object
    owner: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Context:
    """A context made by context.WithCancel(parent) (parent None: context.Background()).
    `done` is its Done() channel: receive on it (Function.recv, Select.recv) to wait for the
    cancel; Function.cancel(ctx) is its CancelFunc, which also cancels every context made
    from it."""
    index: int
    name: str
    parent: object
    done: Chan
    owner: object = field(default=None, repr=False, compare=False)


ACCESS = dict(_engine.ACCESS_KINDS)
MAX_GOMAXPROCS = 1024
VALUE_SOURCES = dict(_engine.VALUE_SOURCES)
SELECT_KINDS = dict(_engine.SELECT_KINDS)
SELCASE_CHANVAL = _engine.ENUMS["SELCASE_CHANVAL"]
MAX_SELECT_CASES = _engine.MAXSELECTCASES


def _send_value(value):
    """(value source, constant) of a send's value argument (an Expr: VAL_EXPR and the Expr)."""
    if isinstance(value, Expr):
        value._need(INT, "a channel send")
        return VALUE_SOURCES["expr"], value
    if isinstance(value, str):
        if value not in VALUE_SOURCES or value in ("const", "expr"):
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
    def _case(self, kind, obj, src=0, const=0, var=None):
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
        self._fn._ops.append(("CASE", self, i, var))
        self._in_case = True
        try:
            yield self._fn
        finally:
            self._in_case = False
            self._fn._ops.append(("ENDCASE", self))

    def recv(self, ch: "Chan"):
        """`case v := <-ch:` (v lands in the goroutine's register; a closed channel gives 0).
        `with sel.recv(ch) as v:` names the value received for the case's body."""
        ch = self._fn._case_chan(ch, "case <-ch")
        var = Received(self._fn, None, "v")
        var.scope = var
        return self._recv_case(ch, var)

    @contextlib.contextmanager
    def _recv_case(self, ch, var):
        with self._case("recv", ch, var=var):
            with self._fn._scope(var):
                yield var

    def send(self, ch: "Chan", value="spawn"):
        """`case ch <- v:` (value as in Function.send, evaluated when the select starts)."""
        ch = self._fn._case_chan(ch, "case ch <- v")
        src, const = _send_value(value)
        if isinstance(const, Expr):
            self._fn._use(const)
        return self._case("send", ch, src, const)

    def after(self, duration=None, **unit):
        """`case <-time.After(d):` -- or `<-ctx.Done()` for a context whose deadline is d
        away: a timer of `duration` cycles (a number or a Distribution; or ns=, us=, ms=,
        s=) started by the select; the case wins when it fires if nothing else did first."""
        return self._case("after", units.duration("after()", duration, **unit))

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

    def __init__(self, program: "Program", name: str, params=()):
        self._program = program
        self.name = name
        self._ops: list[tuple] = []
        self._depth = 0
        self._selects = 0
        # the DSL's values (gmpcore/expr.py): parameters are the frame's first slots, then
        # the locals; _scopes holds the blocks open now (a loop's or a range's variable is
        # valid inside its block only)
        self.params: tuple = tuple(_parse_params(self, params))
        self._nslots = len(self.params)
        self._scopes: list = []

    def __repr__(self):
        return f"<gmpcore.Function {self.name!r}: {len(self._ops)} ops>"

    # -- user code ---------------------------------------------------------------------------
    def compute(self, work=None, **unit) -> "Function":
        """Run user code for `work` cycles (a number, or a Distribution drawn per execution),
        or for a time: compute(ns=500), compute(us=Exponential(2))."""
        self._ops.append(("COMPUTE", units.duration("compute()", work, **unit)))
        return self

    def mark(self, label: str, *values) -> "Function":
        """Record (time, goid, label, spawn index, loop iteration, value) when executed.
        With values (1 to 3 ints or expressions: mark("w", id, v)), they are recorded in the
        mark's value, value2 and value3 columns; without, value is the last value received."""
        if not isinstance(label, str):
            raise TypeError(f"mark label must be a str, got {type(label).__name__}")
        if values:
            if len(values) > 3:
                raise ValueError(f"a mark records at most 3 values, got {len(values)}")
            vals = self._use(*values)
            for v in vals:
                if v.type == CHAN:
                    raise TypeError(f"mark({label!r}, ...): {v} is a channel, not a number")
            self._ops.append(("MARKX", label, vals))
            return self
        self._ops.append(("MARK", label))
        return self

    # -- goroutines --------------------------------------------------------------------------
    def go(self, fn, *args, times: int = 1) -> "Function":
        """`go fn(args...)`; with times=N, `for i := 0; i < N; i++ { go fn(args...) }` (i is
        the spawned goroutine's spawn index).  A single `go` inside a loop gets that loop's
        iteration.  args (ints, expressions, channels) are evaluated by this goroutine at
        the `go` statement and become fn's parameters (Program.func(name, "id", ...))."""
        name = fn.name if isinstance(fn, Function) else fn
        if not isinstance(name, str):
            raise TypeError(f"go() takes a function name or Function, got {type(fn).__name__}")
        times = _count("go(times=...)", times)
        op = ("GO", name)
        if args:
            op = ("GOX", name, self._use(*args), _where())
        if times == 1:
            self._ops.append(op)
        else:
            with self.loop(times):
                self._ops.append(op)
        return self

    # -- channels ----------------------------------------------------------------------------
    def send(self, ch, value="spawn") -> "Function":
        """`ch <- v`.  value: an int or an expression, or "spawn" (this goroutine's spawn
        index), "iter" (the innermost loop iteration), "val" (the value this goroutine last
        received).  ch: a Program.chan(), or a channel value (a parameter, make_chan())."""
        src, const = _send_value(value)
        if isinstance(const, Expr):
            self._use(const)
        if isinstance(ch, Expr):
            self._ops.append(("CSEND", self._chan_value(ch, "send"), src, const))
            return self
        self._check_obj(ch, Chan, "chan")
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

    def recv(self, ch, into: str | None = None):
        """`<-ch` (the value lands in the goroutine's register: marks record it,
        send(value="val") forwards it, `f.received` reads it).  A closed, drained channel
        gives 0.  With into="v" it is `v := <-ch` and returns the new local v (an Expr);
        otherwise it returns self.  ch: a Program.chan() or a channel value."""
        if isinstance(ch, Expr):
            self._ops.append(("CRECV", self._chan_value(ch, "receive"), None))
        else:
            self._check_obj(ch, Chan, "chan")
            self._ops.append(("CHAN_RECV", ch.index))
        if into is not None:
            return self.let(into, self.received)
        return self

    @contextlib.contextmanager
    def range(self, ch):
        """`for v := range ch { ... }`: receive until the channel is closed and drained.
        `with f.range(ch) as v:` names the value received (an Expr, valid in the block)."""
        var = Received(self, None, "v")
        var.scope = var
        if isinstance(ch, Expr):
            self._ops.append(("CRECV", self._chan_value(ch, "range over"), var))
        else:
            self._check_obj(ch, Chan, "chan")
            self._ops.append(("RANGE", ch.index, var))
        try:
            with self._scope(var):
                yield var
        finally:
            self._ops.append(("ENDRANGE",))

    def close(self, ch) -> "Function":
        """`close(ch)` (a Program.chan() or a channel value)."""
        if isinstance(ch, Expr):
            self._ops.append(("CCLOSE", self._chan_value(ch, "close")))
            return self
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

    def hold(self, lock: "RuntimeLock", work=None, **unit) -> "Function":
        """Run `work` cycles holding a runtime lock (e.g. growslice under mheap.lock).  Unlike
        a sync.Mutex, waiters do not park: their M spins, then sleeps on a futex, keeping its
        P -- so a hot runtime lock stalls whole Ps and their run queues."""
        self._check_obj(lock, RuntimeLock, "runtime_lock")
        self._ops.append(("RTLOCK", lock.index, units.duration("hold()", work, **unit)))
        return self

    def sleep(self, duration=None, **unit) -> "Function":
        """time.Sleep for `duration` cycles (a number or a Distribution), or sleep(us=50)."""
        self._ops.append(("SLEEP", units.duration("sleep()", duration, **unit)))
        return self

    # -- system calls, the network, the runtime ----------------------------------------------
    def with_timeout(self, timeout=None, **unit) -> "Function":
        """`ctx, cancel := context.WithTimeout(ctx, timeout)`: this goroutine's deadline
        becomes `timeout` cycles from now (or stays, if it is earlier); goroutines it starts
        afterwards get the same deadline (the context is passed down).  Select on it with
        Select.done()."""
        self._ops.append(("WITH_TIMEOUT", units.duration("with_timeout()", timeout, **unit)))
        return self

    def syscall(self, duration=None, **unit) -> "Function":
        """A blocking system call of `duration` cycles (e.g. a file read).  The P stays with
        the thread; if the call outlasts a sysmon tick and the P has work (or nobody else is
        looking for work, or 10 ms pass), sysmon hands the P to another thread (a new one if
        none is idle), and the goroutine needs a P back when the call returns."""
        self._ops.append(("SYSCALL", units.duration("syscall()", duration, **unit)))
        return self

    def net_wait(self, duration=None, **unit) -> "Function":
        """Wait for a network descriptor that becomes ready after `duration` cycles (a read
        on a socket): the goroutine parks ("IO wait") and the netpoller readies it when an M
        polls (findRunnable, the idle M blocked in netpoll, or sysmon every 10 ms)."""
        self._ops.append(("NETWAIT", units.duration("net_wait()", duration, **unit)))
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

    # -- sync.Pool, sync.Cond, context cancellation, LockOSThread (the sync block) ---------
    def pool_put(self, pool: "Pool", value="val") -> "Function":
        """pool.Put(v) on the current P's poolLocal (private slot, else the head of its shared
        chain).  value: an int or an expression, or "spawn", "iter", "val" as in send(); 0 is
        nil (Put(nil) does nothing)."""
        self._check_obj(pool, Pool, "pool")
        src, const = _send_value(value)
        if isinstance(const, Expr):
            self._use(const)
        self._ops.append(("POOL_PUT", pool.index, src, const))
        return self

    def pool_get(self, pool: "Pool") -> "Function":
        """v := pool.Get(): this P's private slot, else its shared chain's head, else the
        tail of another P's chain (getSlow), else the victim cache, else New() (or 0).  The
        value lands in the goroutine's register (marks record it; send/pool_put("val")
        forward it)."""
        self._check_obj(pool, Pool, "pool")
        self._ops.append(("POOL_GET", pool.index))
        return self

    def cond_wait(self, cond: "Cond") -> "Function":
        """cond.Wait(): take a notify-list ticket, unlock cond.L, park until the ticket is
        notified, lock cond.L again (the caller must hold L, as in Go)."""
        self._check_obj(cond, Cond, "cond")
        self._ops.append(("COND_ADD", cond.index))
        self.unlock(cond.L)
        self._ops.append(("COND_WAIT", cond.index))
        self.lock(cond.L)
        return self

    def cond_signal(self, cond: "Cond") -> "Function":
        """cond.Signal(): wake the waiter with the oldest unnotified ticket, if any."""
        self._check_obj(cond, Cond, "cond")
        self._ops.append(("COND_SIGNAL", cond.index))
        return self

    def cond_broadcast(self, cond: "Cond") -> "Function":
        """cond.Broadcast(): wake every waiter (in Wait order, each into this P's runnext)."""
        self._check_obj(cond, Cond, "cond")
        self._ops.append(("COND_BROADCAST", cond.index))
        return self

    def cancel(self, ctx: "Context") -> "Function":
        """Call ctx's CancelFunc: close its Done channel (waking every goroutine receiving
        on it, in a select too), then its children's.  Calling it again does nothing."""
        self._check_obj(ctx, Context, "with_cancel")
        self._ops.append(("CANCEL", ctx.index))
        return self

    def lock_os_thread(self) -> "Function":
        """runtime.LockOSThread(): this goroutine runs only on its current thread (M), and
        the thread runs nothing else: when the goroutine blocks, the M gives its P away and
        sleeps (stoplockedm); whoever schedules the goroutine next hands its P to the M
        (startlockedm).  A goroutine that exits still locked takes its thread with it."""
        self._ops.append(("LOCKOSTHREAD",))
        return self

    def unlock_os_thread(self) -> "Function":
        """runtime.UnlockOSThread(): undo one LockOSThread (a no-op if there is none)."""
        self._ops.append(("UNLOCKOSTHREAD",))
        return self

    def syscall_block(self, duration=None, **unit) -> "Function":
        """A system call entered with entersyscallblock (one the runtime knows will block),
        of `duration` cycles (or ns=, us=, ms=, s=, as syscall()): the P is handed off at
        once (handoffp) instead of after a sysmon tick; on return the goroutine needs an
        idle P, or it goes to the global queue."""
        self._ops.append(("SYSCALL_BLOCK", units.duration("syscall_block()", duration, **unit)))
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
        var = Iter(self, None, self._depth, f"i{self._depth}")
        var.scope = var
        self._depth += 1
        try:
            with self._scope(var):
                yield var                    # `with f.loop(n) as i:` -- the iteration
        finally:
            self._depth -= 1
            self._ops.append(("ENDLOOP",))

    def _check_wg(self, wg):
        self._program._check_own(wg, WaitGroup, "waitgroup")

    # -- values: parameters, locals, if/else, channels as values (gmpcore/expr.py) ----------
    @property
    def spawn(self) -> Expr:
        """This goroutine's spawn index as a value (the `i` of `for i ... { go f(i) }`)."""
        return Spawn(self)

    @property
    def received(self) -> Expr:
        """The value this goroutine last received (changes at its next receive)."""
        return Received(self)

    def let(self, name: str, value) -> Expr:
        """`name := value`: a new local of this function (an int, a condition or a channel,
        as value is); returns it as an Expr.  Locals and parameters share a frame of at most
        MAX_LOCALS (16) slots per goroutine."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"let(): the local's name must be an identifier, got {name!r}")
        v, = self._use(value)
        var = Local(self, self._new_slot(name), name, v.type)
        self._ops.append(("SET", var.slot, v))
        return var

    def set(self, var, value) -> "Function":
        """`var = value` for a local made by let() (or a parameter)."""
        if not isinstance(var, Local):
            raise TypeError(f"set(): {var!r} is not a variable (make one with f.let(name, v))")
        var_, v = self._use(var, value)
        if v.type != var.type:
            raise TypeError(f"set({var.name}, {v}): {var.name} is {_type_name(var.type)}, the "
                            f"value {_type_name(v.type)}")
        self._ops.append(("SET", var.slot, v))
        return self

    @contextlib.contextmanager
    def if_(self, cond):
        """`if cond { ... }` around the operations added inside the block; an else_() block
        may follow right after.  cond is a condition: a comparison (depth > 0, i == 2), or
        conditions combined with &, |, ~ (Go's &&, ||, !)."""
        c, = self._use(cond)
        if c.type != BOOL:
            raise TypeError(f"if_({c}): the condition must be a comparison (e.g. {c} != 0), "
                            f"got {_type_name(c.type)}")
        self._ops.append(("IF", c))
        try:
            with self._scope(object()):
                yield self
        finally:
            self._ops.append(("ENDIF",))

    @contextlib.contextmanager
    def else_(self):
        """`} else { ... }` of the if_() block just closed."""
        if not self._ops or self._ops[-1][0] != "ENDIF":
            raise ValueError(f"function {self.name!r}: else_() must follow an if_() block "
                             f"directly")
        self._ops.append(("ELSE",))
        try:
            with self._scope(object()):
                yield self
        finally:
            self._ops.append(("ENDELSE",))

    def make_chan(self, name: str = "ch", cap: int = 0) -> Expr:
        """`name := make(chan int, cap)`: a new channel each time it runs (in a loop, one
        per iteration); returns the local holding it, to pass to go(), send on, receive from,
        range over or close.  Channels made at run time appear in Result.channels as
        `name#k`.  They are never freed (their memory counts against the run's budget)."""
        cap = _count("make_chan(cap=...)", cap, allow_zero=True)
        if cap > 1 << 26:
            raise ValueError(f"make_chan cap must be at most {1 << 26}, got {cap}")
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"make_chan(): the channel's name must be an identifier, got "
                             f"{name!r}")
        var = Local(self, self._new_slot(name), name, CHAN)
        self._ops.append(("MAKECHAN", var.slot, cap, name))
        return var

    def _new_slot(self, name) -> int:
        if self._nslots >= MAX_LOCALS:
            raise ValueError(f"function {self.name!r}: at most {MAX_LOCALS} parameters and "
                             f"locals (adding {name!r})")
        self._nslots += 1
        return self._nslots - 1

    @contextlib.contextmanager
    def _scope(self, token):
        self._scopes.append(token)
        try:
            yield
        finally:
            del self._scopes[next(k for k, t in enumerate(self._scopes) if t is token)]

    def _use(self, *values) -> list:
        """The Exprs of `values` (ints and Program.chan()s converted), checked to be usable
        here: this function's variables, loop and range variables of blocks still open."""
        out = []
        for v in values:
            e = as_expr(v)
            for leaf in e.leaves():
                fn = getattr(leaf, "fn", self)
                if fn is not self:
                    raise ValueError(f"{leaf} belongs to function {fn.name!r}, not "
                                     f"{self.name!r} (pass it as an argument: "
                                     f"go({self.name!r}, {leaf}))")
                scope = getattr(leaf, "scope", None)
                if scope is not None and not any(scope is t for t in self._scopes):
                    raise ValueError(f"function {self.name!r}: {leaf} is used outside its "
                                     f"{'loop' if isinstance(leaf, Iter) else 'block'}")
                if isinstance(leaf, Received) and leaf.scope is not None and leaf.local is None:
                    # a range or case variable: copied to a local at the top of its block,
                    # so a later receive in the block does not change it
                    leaf.local = Local(self, self._new_slot(leaf.name), leaf.name, INT)
                if isinstance(leaf, ChanConst):
                    self._check_obj(leaf.chan, Chan, "chan")
            out.append(e)
        return out

    def _chan_value(self, ch: Expr, what: str) -> Expr:
        c, = self._use(ch)
        if c.type != CHAN:
            raise TypeError(f"{what}: {c} is {_type_name(c.type)}, not a channel")
        return c

    def _case_chan(self, ch, what):
        """A select case's channel: its index (a Program.chan()) or a channel Expr."""
        if isinstance(ch, Expr):
            return self._chan_value(ch, what)
        self._check_obj(ch, Chan, "chan")
        return ch.index


def _type_name(t) -> str:
    return {INT: "an int", BOOL: "a condition", CHAN: "a channel"}[t]


_PARAM_TYPES = {"": INT, "int": INT, "int64": INT, "bool": BOOL, "chan": CHAN,
                "chan int": CHAN, "chan int64": CHAN}


def _parse_params(fn, params):
    """Function parameters from Go-like strings: "id", "id int", "jobs chan int"."""
    seen = set()
    for k, p in enumerate(params):
        if not isinstance(p, str):
            raise TypeError(f"function {fn.name!r}: a parameter is a str like 'id' or "
                            f"'jobs chan int', got {type(p).__name__}")
        name, _, typ = p.strip().partition(" ")
        typ = " ".join(typ.split())
        if not name.isidentifier() or typ not in _PARAM_TYPES:
            raise ValueError(f"function {fn.name!r}: bad parameter {p!r} (a name, then "
                             f"optionally int, bool or chan int)")
        if name in seen:
            raise ValueError(f"function {fn.name!r}: duplicate parameter {name!r}")
        seen.add(name)
        if k >= MAX_LOCALS:
            raise ValueError(f"function {fn.name!r}: at most {MAX_LOCALS} parameters")
        yield Local(fn, k, name, _PARAM_TYPES[typ])


def _where() -> str:
    """file:line of the user's code that called into the DSL (for errors found at compile)."""
    import sys
    f = sys._getframe(1)
    here = __file__.rsplit("/", 1)[0]
    while f is not None and (f.f_code.co_filename.startswith(here)
                             or f.f_code.co_filename.endswith("contextlib.py")):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "?"


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
    exprs: np.ndarray = None  # the DSL's expressions: int32 (op, arg) pairs (gmpcore/expr.py)
    nlocals: int = 0          # locals per goroutine frame (0: the program has none)
    makechan_names: list = None   # per OP_MAKECHAN site: the channel's name
    # sync.Pool, sync.Cond, contexts (the sync block)
    pool_padded: list = None
    pool_has_new: list = None
    pool_new_base: list = None
    pool_names: list = None
    nconds: int = 0
    cond_names: list = None
    ctx_parent: list = None   # per context: its parent's index (-1: Background)
    ctx_done: list = None     # per context: its Done channel
    ctx_names: list = None

    def disassemble(self) -> str:
        names = {v: k for k, v in OP.items()}
        out = []
        entries = {int(e): n for e, n in zip(self.func_entry, self.func_names)}
        for pc in range(len(self.code) // INSTR):
            if pc in entries:
                out.append(f"{entries[pc]}:")
            op, a, b, c = self.code[pc * INSTR:(pc + 1) * INSTR]
            out.append(f"  {pc:4d}  {names[int(op)]:<8} {a} {b}" + (f" {c}" if c else ""))
        if self.exprs is not None and len(self.exprs):
            # the DSL's expressions: each a stack program, by its start (gmpcore/expr.py)
            xn = {v: k for k, v in _engine.EXPR_OPS.items()}
            out.append("expressions:")
            words, start = self.exprs.reshape(-1, 2).tolist(), 0
            for k, (op, arg) in enumerate(words):
                if op == _engine.EXPR_OPS["END"]:
                    body = " ".join(f"{xn.get(o, o)}" + (f"({g})" if xn.get(o) in
                                                        ("CONST", "LOCAL", "ITER") else "")
                                    for o, g in words[start:k])
                    out.append(f"  {start:4d}  {body} -> {arg} value(s)")
                    start = k + 1
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
        self._pools: list[Pool] = []
        self._conds: list[Cond] = []
        self._ctxs: list[Context] = []
        # the token objects compare against (see _Owner): held here and by every object
        self._owner = _Owner()

    def _objects(self, cls) -> list:
        return {WaitGroup: self._wgs, Chan: self._chans, Mutex: self._mutexes,
                RWMutex: self._rwmutexes, RuntimeLock: self._rtlocks, Var: self._vars,
                Pool: self._pools, Cond: self._conds, Context: self._ctxs}[cls]

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

    def func(self, name: str, *params: str) -> Function:
        """Define a function (its body is built with the returned Function's methods).
        params: Go-like parameter declarations, "id" or "id int", "ok bool", "jobs chan int";
        f.params holds them as Exprs, and go(f, args...) passes their values."""
        if not isinstance(name, str) or not name:
            raise TypeError("function name must be a non-empty str")
        if name in self._funcs:
            raise ValueError(f"function {name!r} is already defined")
        if name == RUNTIME_FUNC:
            raise ValueError(f"{RUNTIME_FUNC!r} is reserved")
        f = Function(self, name, params)
        self._funcs[name] = f
        return f

    def __getitem__(self, name) -> Function:
        return self._funcs[name]

    @property
    def functions(self) -> list[str]:
        return list(self._funcs)

    def arrivals(self, fn, interarrival=None, count: int = None, **unit) -> "Program":
        """Open arrivals: `count` goroutines running `fn` arrive from outside the Ps, with
        inter-arrival times drawn from `interarrival` (cycles; e.g. Exponential(mean) for a
        Poisson stream).  They are injected like netpoll results: global queue, idle Ps
        started.  The arriving goroutine's spawn_index is its arrival number."""
        name = fn.name if isinstance(fn, Function) else fn
        if not isinstance(name, str):
            raise TypeError(f"arrivals() takes a function name or Function, got {type(fn).__name__}")
        count = _count("arrivals(count=...)", count)
        self._arrivals = (name, units.duration("arrivals()", interarrival, **unit), count)
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

    # -- sync.Pool, sync.Cond, contexts (the sync block) -------------------------------------
    def pool(self, name: str | None = None, padded: bool = True, new: int | None = None) -> Pool:
        """A sync.Pool (see Pool).  new: New() returns new, new + 1, ... (None: no New)."""
        if not isinstance(padded, bool):
            raise TypeError("pool(padded=...) takes a bool")
        if new is not None:
            if isinstance(new, bool) or not isinstance(new, (int, np.integer)):
                raise TypeError(f"pool(new=...) must be an int or None, got {type(new).__name__}")
            if not 1 <= int(new) <= 2**62:
                raise ValueError(f"pool(new=...) must be in 1..2**62 (0 is nil), got {new}")
            new = int(new)
        pl = Pool(len(self._pools), name or f"pool{len(self._pools)}", padded, new, self._owner)
        self._pools.append(pl)
        return pl

    def cond(self, L, name: str | None = None) -> Cond:
        """sync.NewCond(L): L is a Mutex or an RWMutex (its writer lock) of this program."""
        if isinstance(L, RWMutex):
            self._check_own(L, RWMutex, "rwmutex")
        else:
            self._check_own(L, Mutex, "mutex")
        c = Cond(len(self._conds), name or f"cond{len(self._conds)}", L, self._owner)
        self._conds.append(c)
        return c

    def with_cancel(self, parent: "Context | None" = None, name: str | None = None) -> Context:
        """ctx, cancel := context.WithCancel(parent) (parent None: context.Background()).
        Contexts are made before main starts; cancel with Function.cancel(ctx), wait with a
        receive on ctx.done."""
        if parent is not None:
            self._check_own(parent, Context, "with_cancel")
        name = name or f"ctx{len(self._ctxs)}"
        done = self.chan(f"{name}.Done()")
        ctx = Context(len(self._ctxs), name, parent, done, self._owner)
        self._ctxs.append(ctx)
        return ctx

    def _sync_tables(self) -> dict:
        """The CompiledProgram fields of the pools, conds and contexts."""
        return dict(pool_padded=[p.padded for p in self._pools],
                    pool_has_new=[p.new_base is not None for p in self._pools],
                    pool_new_base=[p.new_base or 0 for p in self._pools],
                    pool_names=[p.name for p in self._pools], nconds=len(self._conds),
                    cond_names=[c.name for c in self._conds],
                    ctx_parent=[-1 if c.parent is None else c.parent.index for c in self._ctxs],
                    ctx_done=[c.done.index for c in self._ctxs],
                    ctx_names=[c.name for c in self._ctxs])

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

    def compile(self, machine=None) -> CompiledProgram:
        """Check the program and lower it to arrays.  Raises ValueError naming the problem.
        Durations given in time units (ns=, us=, ...) become cycles with `machine`'s clock
        (Machine.cycles); run() passes its machine."""
        if "main" not in self._funcs:
            raise ValueError("the program has no 'main' function (Program.func('main'))")
        if self._funcs["main"].params:
            raise ValueError("function 'main' cannot take parameters")
        names = list(self._funcs) + [RUNTIME_FUNC]
        index = {n: i for i, n in enumerate(names)}
        dists: dict[Distribution, int] = {}
        labels: dict[str, int] = {}
        code: list[list[int]] = []
        entries = []
        max_procs, uses_alloc, uses_deadlines = 0, False, False
        exprs: list[int] = []            # the expressions' (op, arg) words (gmpcore/expr.py)
        makechan_names: list[str] = []
        nlocals = max((f._nslots for f in self._funcs.values()), default=0)

        def dist_index(d):
            if isinstance(d, units.Duration):
                if machine is None:
                    raise ValueError(f"function {name!r}: the duration {d.text} is a time: "
                                     f"compile the program for a machine (run() does; or "
                                     f"Program.compile(machine=gmpcore.Machine(...)))")
                d = d.cycles(machine)
            if d not in dists:
                dists[d] = len(dists)
            return dists[d]

        def ex(*vals):
            return compile_values(vals, exprs)

        def set_recv(var):
            # a range / case variable that is used: copy the value received to its local
            if var is not None and var.local is not None:
                code.append([OP["SET"], var.local.slot, ex(Received(f)), 0])
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
            if_stack, else_stack = [], []
            # open selects: [Select, pc of its jump table, pcs of the JMPs to its end, in a case]
            sel_stack = []
            for opi, op in enumerate(f._ops):
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
                        flag = 0
                        if ckind == "after":
                            obj = dist_index(obj)
                        elif isinstance(obj, Expr):      # a channel value
                            obj, flag = ex(obj), SELCASE_CHANVAL
                        if isinstance(const, Expr):
                            const = ex(const)
                        code.append([OP["SELCASE"], SELECT_KINDS[ckind] | (src << 4) | flag,
                                     obj, const])
                    sel_stack.append([sel, len(code), [], False])
                    for _ in range(n):
                        code.append([OP["JMP"], -1, 0, 0])
                elif kind == "CASE":
                    top = sel_stack[-1]
                    code[top[1] + op[2]][1] = len(code)
                    top[3] = True
                    set_recv(op[3])
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
                    code.append([OP["COMPUTE"], dist_index(op[1]), 0, 0])
                elif kind in ("GO", "GOX"):
                    if op[1] not in self._funcs:
                        raise ValueError(f"function {name!r} spawns undefined function {op[1]!r}"
                                         f"{_did_you_mean(op[1], self._funcs)}")
                    args = op[2] if kind == "GOX" else []
                    _check_call(name, self._funcs[op[1]], args, op[3] if kind == "GOX" else "")
                    if kind == "GO":
                        code.append([OP["GO"], index[op[1]], 0, 0])
                    else:
                        code.append([OP["GOX"], index[op[1]], ex(*args), len(args)])
                elif kind == "WG_ADD":
                    code.append([OP["WG_ADD"], op[1], op[2], 0])
                elif kind == "WG_WAIT":
                    code.append([OP["WG_WAIT"], op[1], 0, 0])
                elif kind in ("MARK", "MARKX"):
                    if op[1] not in labels:
                        labels[op[1]] = len(labels)
                    if kind == "MARK":
                        code.append([OP["MARK"], labels[op[1]], 0, 0])
                    else:
                        code.append([OP["MARKX"], labels[op[1]], ex(*op[2]), len(op[2])])
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
                elif kind in ("CHAN_SEND", "CSEND"):
                    c = ex(op[1]) if kind == "CSEND" else op[1]
                    v = ex(op[3]) if isinstance(op[3], Expr) else op[3]
                    code.append([OP[kind], c, op[2], v])
                elif kind == "CHAN_RECV":
                    code.append([OP["CHAN_RECV"], op[1], -1, 0])
                elif kind == "CHAN_CLOSE":
                    code.append([OP["CHAN_CLOSE"], op[1], 0, 0])
                elif kind == "RANGE":
                    loop_stack.append(len(code))
                    code.append([OP["CHAN_RECV"], op[1], -1, 0])   # exit patched at ENDRANGE
                    set_recv(op[2])
                elif kind == "CRECV":
                    if op[2] is not None:                          # a range
                        loop_stack.append(len(code))
                    code.append([OP["CRECV"], ex(op[1]), -1, 0])
                    set_recv(op[2])
                elif kind == "CCLOSE":
                    code.append([OP["CCLOSE"], ex(op[1]), 0, 0])
                elif kind == "SET":
                    code.append([OP["SET"], op[1], ex(op[2]), 0])
                elif kind == "IF":
                    if_stack.append(len(code))
                    code.append([OP["IF"], ex(op[1]), -1, 0])      # else target patched below
                elif kind == "ENDIF":
                    pc = if_stack.pop()
                    if opi + 1 < len(f._ops) and f._ops[opi + 1][0] == "ELSE":
                        else_stack.append(len(code))
                        code.append([OP["JMP"], -1, 0, 0])         # the then-branch skips else
                    code[pc][2] = len(code)
                elif kind == "ELSE":
                    pass
                elif kind == "ENDELSE":
                    code[else_stack.pop()][1] = len(code)
                elif kind == "MAKECHAN":
                    makechan_names.append(op[3])
                    code.append([OP["MAKECHAN"], op[1], op[2], len(makechan_names) - 1])
                elif kind == "ENDRANGE":
                    start = loop_stack.pop()
                    code.append([OP["JMP"], start, 0, 0])
                    code[start][2] = len(code)
                elif kind in ("LOCK", "UNLOCK", "RLOCK", "RUNLOCK", "WLOCK", "WUNLOCK"):
                    code.append([OP[kind], op[1], 0, 0])
                elif kind == "RTLOCK":
                    code.append([OP["RTLOCK"], op[1], dist_index(op[2]), 0])
                elif kind in ("SLEEP", "SYSCALL", "NETWAIT", "WITH_TIMEOUT"):
                    uses_deadlines = uses_deadlines or kind == "WITH_TIMEOUT"
                    code.append([OP[kind], dist_index(op[1]), 0, 0])
                elif kind == "TOUCH":
                    code.append([OP["TOUCH"], op[1], op[2], op[3]])
                elif kind == "GOMAXPROCS":
                    max_procs = max(max_procs, op[1])
                    code.append([OP["GOMAXPROCS"], op[1], 0, 0])
                elif kind == "ALLOC":
                    uses_alloc = True
                    code.append([OP["ALLOC"], op[1], op[2], 0])
                elif kind in _SYNC_KINDS:
                    _lower_sync(op, code, dists, ex)   # (the sync block)
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
            if self._funcs[fname].params:
                raise ValueError(f"arrivals() function {fname!r} cannot take parameters (an "
                                 f"arriving goroutine's number is its spawn index)")
            arr_fn = index[fname]
            name = fname
            arr_dist = dist_index(d)
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
            exprs=np.asarray(exprs, dtype=np.int32),
            nlocals=nlocals,
            makechan_names=makechan_names,
            **self._sync_tables(),
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
              "RTLOCK": nrtlocks, "TOUCH": nvars, "GO": nfuncs, "GOX": nfuncs,
              "MARKX": nlabels,
              "POOL_PUT": len(c.pool_padded or []), "POOL_GET": len(c.pool_padded or []),
              "COND_ADD": c.nconds, "COND_WAIT": c.nconds, "COND_SIGNAL": c.nconds,
              "COND_BROADCAST": c.nconds, "CANCEL": len(c.ctx_parent or []),
              "SYSCALL_BLOCK": ndists}
    sel_kinds = {v: k for k, v in SELECT_KINDS.items()}
    done_chans = {d: n for d, n in zip(c.ctx_done or [], c.ctx_names or [])}
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
            if kind is None or ((a >> 4) & 0xF) not in VALUE_SOURCES.values() or \
                    a & ~(0xFF | SELCASE_CHANVAL):
                raise bad("unknown select case kind or value source")
            n = nchans if kind in ("recv", "send") else ndists if kind == "after" else 1
            if not a & SELCASE_CHANVAL and not 0 <= b < n:
                raise bad(f"case operand {b} out of range")
            if kind == "send" and b in done_chans:
                raise bad(f"a select sends on context {done_chans[b]!r}'s Done channel")
            continue
        if name == "SELCASE":
            raise bad("a select case outside a select")
        if name in limits and not 0 <= a < limits[name]:
            raise bad(f"operand {a} out of range (0..{limits[name] - 1})")
        if name in ("GO", "GOX") and a == c.sys_fn:
            raise bad("cannot start the runtime function")
        if name == "RTLOCK" and not 0 <= b < ndists:
            raise bad(f"distribution {b} out of range")
        if name in ("CHAN_SEND", "POOL_PUT") and b not in VALUE_SOURCES.values():
            raise bad("unknown value source")
        if name == "TOUCH" and (b not in ACCESS.values() or _ not in (0, 1)):
            raise bad("unknown access kind")
        if name in ("CHAN_SEND", "CHAN_CLOSE") and a in done_chans:
            raise bad(f"sends on or closes context {done_chans[a]!r}'s Done channel (only its "
                      f"cancel closes it)")
        if name == "LOOP" and not (0 <= a <= MAX_COUNT and pc < b < hi):
            raise bad("loop count or end out of range")
        if name == "ENDLOOP" and not (lo <= a < pc and int(ins[a, 0]) == OP["LOOP"]):
            raise bad("loop start out of range")
        if name == "CHAN_RECV" and b != -1 and not pc < b < hi:
            raise bad("range exit out of range")
        if name in ("IF",) and not lo <= b < hi:
            raise bad(f"else target {b} outside the function")
        if name == "CRECV" and b != -1 and not pc < b < hi:
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


def _check_call(caller, callee, args, where):
    """`go callee(args)` passes what callee's parameters take."""
    ps = callee.params
    if len(args) != len(ps) or any(a.type != p.type for a, p in zip(args, ps)):
        sig = ", ".join(f"{p.name} {p.type}" for p in ps)
        got = ", ".join(f"{a} ({a.type})" for a in args)
        raise TypeError(f"{where + ': ' if where else ''}function {caller!r}: go "
                        f"{callee.name}({got}) does not match func {callee.name}({sig})"
                        + ("" if len(args) == len(ps) else
                           f": {len(args)} argument(s) for {len(ps)} parameter(s)"))


def _did_you_mean(name, defined) -> str:
    import difflib
    hint = difflib.get_close_matches(str(name), list(defined), n=3)
    if hint:
        return f"; did you mean {', '.join(map(repr, hint))}?"
    return f" (defined: {', '.join(map(repr, defined))})" if defined else " (none defined)"


# -- the sync block's lowering (sync.Pool, sync.Cond, contexts, LockOSThread) -----------------
_SYNC_KINDS = ("POOL_PUT", "POOL_GET", "COND_ADD", "COND_WAIT", "COND_SIGNAL", "COND_BROADCAST",
               "CANCEL", "LOCKOSTHREAD", "UNLOCKOSTHREAD", "SYSCALL_BLOCK")


def _lower_sync(op, code, dists, ex) -> None:
    kind = op[0]
    if kind == "POOL_PUT":
        code.append([OP["POOL_PUT"], op[1], op[2], ex(op[3]) if isinstance(op[3], Expr) else op[3]])
    elif kind == "SYSCALL_BLOCK":
        if op[1] not in dists:
            dists[op[1]] = len(dists)
        code.append([OP["SYSCALL_BLOCK"], dists[op[1]], 0, 0])
    elif kind in ("LOCKOSTHREAD", "UNLOCKOSTHREAD"):
        code.append([OP[kind], 0, 0, 0])
    else:
        code.append([OP[kind], op[1], 0, 0])
