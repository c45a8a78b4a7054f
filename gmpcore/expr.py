"""Values in the DSL: expressions over a goroutine's arguments and locals, its spawn index,
its loop iterations and the values it receives.

    tree = prog.func("tree", "depth int")          # func tree(depth int)
    depth, = tree.params
    tree.mark("node", depth * 100 + tree.spawn)   # recorder.Add(depth*100 + i)
    with tree.if_(depth > 0):                      # if depth > 0 {
        with tree.loop(2) as i:                    #     for i := 0; i < 2; i++ {
            tree.go(tree, depth - 1)               #         go tree(depth - 1)

An Expr is built with Python's operators and compiled to a small stack program
(``CompiledProgram.exprs``) that the engine evaluates natively (pyx/sched/expr.pxi) each time
the instruction using it runs -- no Python per event.  Values are Go ints (int64: arithmetic
wraps; ``//`` and ``%`` are Go's ``/`` and ``%``, truncated toward zero; a zero divisor
panics), booleans (comparisons; combine them with ``&``, ``|`` and ``~``, not ``and``/``or``/
``not``), or channels.  Types are checked when the expression is built: a channel used as a
number, a number used as a condition, a variable of another function or a loop variable used
outside its loop raise TypeError or ValueError at that line.
"""
from __future__ import annotations

import abc

import numpy as np

from . import _engine

__all__ = ["Expr", "as_expr", "INT", "BOOL", "CHAN"]

X = dict(_engine.EXPR_OPS)
INT, BOOL, CHAN = "int", "bool", "chan"
MAX_LOCALS = _engine.ENUMS["MAX_LOCALS"]
EXPR_STACK = _engine.ENUMS["EXPR_STACK"]


class Expr(abc.ABC):
    """A value of the DSL (see the module docstring).  `type` is "int", "bool" or "chan"."""
    type = INT
    __hash__ = object.__hash__          # (== builds an expression; identity for dicts/sets)

    # -- what an expression reads (for the scope checks) ------------------------------------
    def leaves(self):
        yield self

    @abc.abstractmethod
    def emit(self, out: list) -> None:
        """Append this expression's stack-program instructions to `out` (each kind has its
        own: Const, Local, Binary, ...)."""

    def depth(self) -> int:
        """Stack slots needed to evaluate it."""
        return 1

    def __bool__(self):
        raise TypeError("a DSL expression has no Python truth value: use f.if_(cond) for Go's "
                        "`if`, and &, |, ~ instead of and, or, not")

    def __repr__(self):
        return f"<gmpcore.Expr {self}>"

    # -- operators ---------------------------------------------------------------------------
    def _bin(self, other, op, sym, reverse=False):
        other = as_expr(other)
        a, b = (other, self) if reverse else (self, other)
        return Binary(op, sym, a, b)

    def __add__(self, o): return self._bin(o, "ADD", "+")
    def __radd__(self, o): return self._bin(o, "ADD", "+", True)
    def __sub__(self, o): return self._bin(o, "SUB", "-")
    def __rsub__(self, o): return self._bin(o, "SUB", "-", True)
    def __mul__(self, o): return self._bin(o, "MUL", "*")
    def __rmul__(self, o): return self._bin(o, "MUL", "*", True)
    def __floordiv__(self, o): return self._bin(o, "DIV", "/")
    def __rfloordiv__(self, o): return self._bin(o, "DIV", "/", True)
    def __mod__(self, o): return self._bin(o, "MOD", "%")
    def __rmod__(self, o): return self._bin(o, "MOD", "%", True)
    def __lshift__(self, o): return self._bin(o, "SHL", "<<")
    def __rlshift__(self, o): return self._bin(o, "SHL", "<<", True)
    def __rshift__(self, o): return self._bin(o, "SHR", ">>")
    def __rrshift__(self, o): return self._bin(o, "SHR", ">>", True)
    def __and__(self, o): return self._bin(o, "AND", "&")
    def __rand__(self, o): return self._bin(o, "AND", "&", True)
    def __or__(self, o): return self._bin(o, "OR", "|")
    def __ror__(self, o): return self._bin(o, "OR", "|", True)
    def __xor__(self, o): return self._bin(o, "XOR", "^")
    def __rxor__(self, o): return self._bin(o, "XOR", "^", True)
    def __eq__(self, o): return self._bin(o, "EQ", "==")
    def __ne__(self, o): return self._bin(o, "NE", "!=")
    def __lt__(self, o): return self._bin(o, "LT", "<")
    def __le__(self, o): return self._bin(o, "LE", "<=")
    def __gt__(self, o): return self._bin(o, "GT", ">")
    def __ge__(self, o): return self._bin(o, "GE", ">=")

    def __truediv__(self, o):
        raise TypeError("use // for Go's integer division (it truncates toward zero, as Go's /)")
    __rtruediv__ = __truediv__

    def __neg__(self):
        return Unary("NEG", "-", self)

    def __pos__(self):
        self._need(INT, "unary +")
        return self

    def __invert__(self):
        """~b is Go's !b for a condition, ^x (bitwise complement) for an int."""
        if self.type == BOOL:
            return Unary("NOT", "!", self)
        return Unary("BITNOT", "^", self)

    def _need(self, t, what):
        if self.type != t:
            raise TypeError(f"{what} needs {'a number' if t == INT else 'a condition' if t == BOOL else 'a channel'}"
                            f", got {self} ({_describe(self.type)})")


def _describe(t):
    return {INT: "an int", BOOL: "a condition (bool)", CHAN: "a channel"}[t]


def as_expr(v) -> Expr:
    """A Python int (int32) becomes a constant; a Program.chan() Chan a channel value; an Expr
    passes through."""
    from .program import Chan
    if isinstance(v, Expr):
        return v
    if isinstance(v, Chan):
        return ChanConst(v)
    if isinstance(v, (bool, np.bool_)):
        return Const(int(v), BOOL)
    if isinstance(v, (int, np.integer)):
        v = int(v)
        if not -2**31 <= v < 2**31:
            raise ValueError(f"DSL constants must fit in int32, got {v} (build larger values "
                             f"with arithmetic, e.g. x * 1_000_000)")
        return Const(v)
    raise TypeError(f"expected a DSL value (an int, an expression or a channel), got "
                    f"{type(v).__name__} {v!r}")


class Const(Expr):
    def __init__(self, v: int, t=INT):
        self.value, self.type = v, t

    def emit(self, out):
        out += [X["CONST"], self.value]

    def __str__(self):
        return ("true" if self.value else "false") if self.type == BOOL else str(self.value)


class ChanConst(Expr):
    """A channel declared with Program.chan() used as a value (its handle: index + 1)."""
    type = CHAN

    def __init__(self, ch):
        self.chan = ch

    def emit(self, out):
        out += [X["CONST"], self.chan.index + 1]

    def __str__(self):
        return self.chan.name


class Local(Expr):
    """A parameter or a local variable of one function (a slot of the goroutine's frame)."""

    def __init__(self, fn, slot: int, name: str, t=INT):
        self.fn, self.slot, self.name, self.type = fn, slot, name, t

    def emit(self, out):
        out += [X["LOCAL"], self.slot]

    def __str__(self):
        return self.name


class Spawn(Expr):
    """The goroutine's spawn index (the iteration of the spawner's loop at its `go`)."""

    def __init__(self, fn):
        self.fn = fn

    def emit(self, out):
        out += [X["SPAWN"], 0]

    def __str__(self):
        return "spawn"


class Iter(Expr):
    """The iteration variable of one loop: valid inside that loop only."""

    def __init__(self, fn, scope, level: int, name: str):
        self.fn, self.scope, self.level, self.name = fn, scope, level, name

    def emit(self, out):
        out += [X["ITER"], self.level]

    def __str__(self):
        return self.name


class Received(Expr):
    """The value the goroutine last received (`v := <-ch` before the next receive)."""

    def __init__(self, fn, scope=None, name="received"):
        self.fn, self.scope, self.name = fn, scope, name
        self.local = None               # a range/case variable copied to a local once used

    def emit(self, out):
        if self.local is not None:
            self.local.emit(out)
        else:
            out += [X["RECV"], 0]

    def __str__(self):
        return self.name


class Unary(Expr):
    def __init__(self, op, sym, x):
        x = as_expr(x)
        x._need(BOOL if op == "NOT" else INT, f"operator {sym}")
        self.op, self.sym, self.x = op, sym, x
        self.type = BOOL if op == "NOT" else INT

    def leaves(self):
        yield from self.x.leaves()

    def emit(self, out):
        self.x.emit(out)
        out += [X[self.op], 0]

    def depth(self):
        return self.x.depth()

    def __str__(self):
        return f"{self.sym}{self.x}"


class Binary(Expr):
    def __init__(self, op, sym, a, b):
        self.op, self.sym, self.a, self.b = op, sym, a, b
        if op in ("EQ", "NE"):
            if a.type != b.type:
                raise TypeError(f"{self}: cannot compare {_describe(a.type)} with "
                                f"{_describe(b.type)}")
            self.type = BOOL
        elif op in ("AND", "OR", "XOR") and a.type == BOOL and b.type == BOOL:
            self.type = BOOL                    # && || != on conditions
        else:
            for x in (a, b):
                if x.type != INT:
                    raise TypeError(f"{self}: operator {sym} needs numbers, but {x} is "
                                    f"{_describe(x.type)}")
            self.type = BOOL if op in ("LT", "LE", "GT", "GE") else INT

    def leaves(self):
        yield from self.a.leaves()
        yield from self.b.leaves()

    def emit(self, out):
        self.a.emit(out)
        self.b.emit(out)
        out += [X[self.op], 0]

    def depth(self):
        return max(self.a.depth(), 1 + self.b.depth())

    def __str__(self):
        return f"({self.a} {self.sym} {self.b})"


def compile_values(values, out: list) -> int:
    """Append the words of an expression leaving `values` (in order) to `out`; returns its
    start (in word pairs)."""
    start = len(out) // 2
    depth = 0
    for k, v in enumerate(values):
        depth = max(depth, k + v.depth())
        v.emit(out)
    if depth > EXPR_STACK:
        raise ValueError(f"expression too deep ({depth} stack slots, at most {EXPR_STACK}): "
                         f"split it with f.let()")
    out += [X["END"], len(values)]
    return start
