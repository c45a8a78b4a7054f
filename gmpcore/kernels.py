"""User scheduling policies as Numba kernels, called from the native loop without the GIL.

    @gmpcore.kernel("choose_victim")
    def go_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
        # Go's stealOrder: start at r % nprocs, stride coprimes[(r // nprocs) % ncoprimes]
        inc = coprimes[(r // nprocs) % ncoprimes]
        return (r % nprocs + i * inc) % nprocs if i < nprocs else -1

    strat = gmpcore.Strategy(name="mine", victim=go_order)

The decorator compiles the function with the hook's exact C signature (numba.cfunc), checks it
at registration (a wrongly typed function is refused with both signatures in the message),
keeps the compiled object alive as long as the Kernel lives, and hands its address to the
engine.  The undecorated body stays callable from plain Python (`k(...)` or `k.py_func`), so a
policy can be unit-tested and stepped in a debugger.  Kernels report errors by return code
(Numba cannot raise into C): the run stops and gmpcore.KernelError names the kernel and code.
A kernel that raises (including ZeroDivisionError: the body is compiled with Numba's
error_model="python") stops the run the same way: the body is compiled with numba.njit and
called from a cfunc wrapper whose `try/except Exception` returns KERNEL_RAISED, a code no hook
returns otherwise, and KernelError says that the kernel raised.
A Kernel pickles by reference to its Python function and is recompiled where it is unpickled
(a function pointer does not cross processes).

Hooks and their signatures:

choose_victim(thief: int32, nprocs: int32, pass_: int32, i: int32, r: uint64,
              coprimes: int32*, ncoprimes: int32) -> int32
    The i-th P to probe in steal pass `pass_` (i = 0, 1, ... up to nprocs-1); r is the pass's
    cheaprand value (drawn by the engine once per pass, as Go does).  Return a P id in
    [0, nprocs), -1 to end the pass, or a code <= -2 for an error.  The engine skips the
    thief's own P and idle Ps, as Go does.
steal_amount(victim_len: int32, thief: int32, victim: int32, ring_cap: int32) -> int32
    How many Gs to take from a victim ring holding victim_len: 0..victim_len, or < 0 for an
    error.
place_ready(p: int32, goid: int64, kind: int32, runq_len: int32, runnext_busy: int32) -> int32
    Where a new (kind 0, newproc) or readied (kind 1, goready) G goes on P p: 0 runnext,
    1 the local ring tail, 2 the global queue; < 0 for an error.
gomaxprocs(m: AdaptMetrics*) -> int32
    The adaptive GOMAXPROCS controller (gmpcore.adapt, gmpcore.GomaxprocsPolicy), called every
    N ms of emulated time.  The body receives `m`, one record of gmpcore.adapt.METRICS_DTYPE
    (read its fields as m.runnable, m.gc_pause_last_ns, ...); it returns 0 to keep GOMAXPROCS,
    1..m.max_procs for a new value, < 0 for an error.
"""
from __future__ import annotations

import importlib

__all__ = ["kernel", "Kernel", "KernelError", "HOOKS", "KERNEL_RAISED"]

#: what the compiled wrapper returns when the kernel body raised (INT32_MIN: an error code for
#: every hook, and far below the range the engine uses for out-of-range results)
KERNEL_RAISED = -2**31


class KernelError(RuntimeError):
    """A user kernel returned an error code; the run was stopped."""


def _sigs():
    from numba import types
    i32, i64, u64 = types.int32, types.int64, types.uint64
    return {
        "choose_victim": types.int32(i32, i32, i32, i32, u64, types.CPointer(i32), i32),
        "steal_amount": types.int32(i32, i32, i32, i32),
        "place_ready": types.int32(i32, i64, i32, i32, i32),
        # (a struct pointer: the wrapper views it as one record, see _compile)
        "gomaxprocs": types.int32(types.voidptr),
    }


HOOKS = {
    "choose_victim": "int32 (int32 thief, int32 nprocs, int32 pass_, int32 i, uint64 r, "
                     "int32* coprimes, int32 ncoprimes)",
    "steal_amount": "int32 (int32 victim_len, int32 thief, int32 victim, int32 ring_cap)",
    "place_ready": "int32 (int32 p, int64 goid, int32 kind, int32 runq_len, "
                   "int32 runnext_busy)",
    "gomaxprocs": "int32 (AdaptMetrics* m)",
}


def _numba():
    try:
        import numba  # noqa: F401
    except ImportError as e:  # pragma: no cover - numba is a declared dependency of kernels
        raise ImportError("gmpcore kernels need numba: pip install 'gmpcore[kernels]'") from e
    return numba


class Kernel:
    """A compiled user policy for one hook.  Call it like the Python function."""

    def __init__(self, hook: str, func, name: str | None = None):
        if hook not in HOOKS:
            raise ValueError(f"unknown kernel hook {hook!r}; hooks: {', '.join(sorted(HOOKS))}")
        numba = _numba()
        from numba.core.ccallback import CFunc
        expected = _sigs()[hook]
        self.hook = hook
        if isinstance(func, CFunc):
            given = func._sig
            if (given.return_type, tuple(given.args)) != (expected.return_type,
                                                        tuple(expected.args)):
                raise TypeError(f"kernel for hook {hook!r} has the wrong signature: expected "
                                f"{HOOKS[hook]}, i.e. {expected}; given {given}")
            self.py_func = func._pyfunc
            self._cfunc = _compile(hook, func._pyfunc, expected)
        else:
            py = getattr(func, "py_func", func)          # accept @njit dispatchers too
            if not callable(py):
                raise TypeError(f"kernel({hook!r}) decorates a function, got {type(func).__name__}")
            self.py_func = py
            try:
                self._cfunc = _compile(hook, py, expected)
            except Exception as e:
                raise TypeError(f"kernel {getattr(py, '__name__', py)!r} cannot be compiled for "
                                f"hook {hook!r} with signature {HOOKS[hook]}: "
                                f"{type(e).__name__}: {str(e).strip().splitlines()[0]}") from e
        self.name = name or getattr(self.py_func, "__qualname__", repr(self.py_func))

    @property
    def address(self) -> int:
        return self._cfunc.address

    def __call__(self, *args):
        return self.py_func(*args)

    def __repr__(self):
        return f"<gmpcore.Kernel {self.hook} {self.name}>"

    def __eq__(self, other):
        return (isinstance(other, Kernel) and other.hook == self.hook
                and other.py_func is self.py_func)

    def __hash__(self):
        return hash((self.hook, id(self.py_func)))

    def __reduce__(self):
        mod, qual = getattr(self.py_func, "__module__", None), getattr(self.py_func,
                                                                       "__qualname__", "")
        if not mod or "<" in qual:
            raise TypeError(f"kernel {self.name} cannot be pickled: define its function at "
                            f"module level so workers can import and recompile it")
        return _rebuild, (self.hook, mod, qual, self.name)


def _compile(hook: str, py, sig):
    """The cfunc the engine calls: `py` compiled by numba.njit (error_model="python", so a
    division by zero raises ZeroDivisionError instead of returning garbage) inside a wrapper
    that turns any exception into KERNEL_RAISED.  A cfunc cannot raise into C: without the
    wrapper Numba prints "Exception ignored" and returns 0, and the run would go on."""
    import numba
    # not inline="always": inlined, the body's exceptions escape the wrapper's try/except
    # (tests/test_kernels.py fails); the call costs a few % of events/s with Go's policy
    inner = numba.njit(error_model="python")(py)
    args = ", ".join(_ARGS[hook])
    ns = {"inner": inner, "RAISED": KERNEL_RAISED}
    call = args
    if hook in _RECORD_ARG:
        # a pointer to one engine struct: the body sees it as a numpy record (m.field)
        from numba import carray
        ns.update(carray=carray, DTYPE=_RECORD_ARG[hook]())
        call = f"carray({args}, 1, DTYPE)[0]"
    exec(f"def {hook}_kernel({args}):\n"
         f"    try:\n"
         f"        return inner({call})\n"
         f"    except Exception:\n"
         f"        return RAISED\n", ns)
    return numba.cfunc(sig, nopython=True)(ns[f"{hook}_kernel"])


def _adapt_dtype():
    from . import _engine
    return _engine.ADAPT_DTYPE


#: hooks whose one argument points to an engine struct, and the struct's dtype
_RECORD_ARG = {"gomaxprocs": _adapt_dtype}

#: argument names of each hook, from HOOKS
_ARGS = {h: [a.split()[-1].lstrip("*") for a in sig[sig.index("(") + 1:-1].split(",")]
         for h, sig in HOOKS.items()}


def _rebuild(hook, module, qualname, name):
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if isinstance(obj, Kernel):
        return obj
    return Kernel(hook, obj, name)


def kernel(hook: str):
    """Decorator: compile a function as a kernel for `hook` (see the module docstring)."""
    if hook not in HOOKS:
        raise ValueError(f"unknown kernel hook {hook!r}; hooks: {', '.join(sorted(HOOKS))}")

    def wrap(func):
        return Kernel(hook, func)
    return wrap
