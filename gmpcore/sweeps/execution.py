"""Running a sweep: the worker function, executors (process pool, serial, Dask), the loop
that isolates a point that kills its worker, progress, and the TOML file of `gmpcore sweep`."""
from __future__ import annotations

import concurrent.futures as cf
import importlib
import json
import os
import socket
import sys
import time
import traceback
from collections import deque
from pathlib import Path
from typing import Mapping

from .grid import expand_grid
from .spec import FAILED, _Point, _SUMMARY_DROP, _materialise, _py
from .store import _FRONT, _Store, _failed, _frame, _row


#: seconds to wait for a Dask scheduler given as an address
DASK_CONNECT_TIMEOUT_S = 5


def run_point(spec: dict, seed: int) -> dict:
    """Run one point and return its measurements as a dict of plain values; never raises
    for a failure of the run itself (status "failed" and the error instead).  This is the
    function the executor's workers call; call it directly to debug one point."""
    t0 = time.perf_counter()
    out = {"status": FAILED, "error": None}
    try:
        from ..runner import run
        prog, kwargs = _materialise(spec, seed)
        res = run(prog, record=False, **kwargs)
        s = res.summary
        out["status"] = str(s["status"])
        metrics = {k: _py(v) for k, v in s.items() if k not in _SUMMARY_DROP}
        cache = res.cache
        for line, r in cache.iterrows():
            metrics[f"misses[{line}]"] = int(r["misses"])
            metrics[f"accesses[{line}]"] = int(r["accesses"])
            metrics[f"miss_rate[{line}]"] = float(r["miss_rate"])
    except Exception as e:  # noqa: BLE001 - every failure becomes a failed row
        out["error"] = _error_text(e)
        metrics = {}
    out["wall_s"] = time.perf_counter() - t0
    out.update(metrics)
    out["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return out


def _error_text(e: BaseException) -> str:
    msg = f"{type(e).__name__}: {e}"
    tb = traceback.extract_tb(e.__traceback__)
    if tb:
        fr = tb[-1]
        msg += f" (at {os.path.basename(fr.filename)}:{fr.lineno} in {fr.name})"
    return msg


# --- executors --------------------------------------------------------------------------------

class SerialExecutor(cf.Executor):
    """Runs each submitted call at once, in this process (for debugging and baselines).  A
    point that kills its process kills the sweep here; the store keeps what was finished."""

    def submit(self, fn, /, *args, **kwargs):
        f = cf.Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f


def _cpus() -> int:
    """The CPUs this process may run on (its affinity mask), else os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class _Exec:
    """The executor a sweep uses: created on first use, replaced if a process pool breaks."""

    def __init__(self, spec):
        self.spec = spec
        self.ex = None
        self.owned = False
        self.client = None
        self.workers = None
        self.window = None      # max in flight (None: everything at once)
        if spec is None or spec == "local":
            self.workers = _cpus()
        elif spec == "serial":
            self.window = 1
        elif isinstance(spec, int) and not isinstance(spec, bool):
            if spec < 1:
                raise ValueError(f"executor as a number of workers must be >= 1, got {spec}")
            self.workers = spec
        elif isinstance(spec, str) and "://" in spec:
            pass
        elif isinstance(spec, cf.Executor):
            if isinstance(spec, cf.ProcessPoolExecutor):
                self.workers = getattr(spec, "_max_workers", None) or _cpus()
            if isinstance(spec, SerialExecutor):
                self.window = 1
        else:
            raise TypeError(f"executor must be None or 'local' (a process pool, one worker "
                            f"per CPU), a number of workers, 'serial', a Dask scheduler address "
                            f"('tcp://host:8786'), or a concurrent.futures.Executor; got "
                            f"{spec!r}")
        if self.workers is not None and self.window is None:
            self.window = 2 * self.workers

    def get(self) -> cf.Executor:
        if self.ex is None:
            s = self.spec
            if s is None or s == "local" or (isinstance(s, int) and not isinstance(s, bool)):
                self.ex = cf.ProcessPoolExecutor(max_workers=self.workers)
                self.owned = True
            elif s == "serial":
                self.ex = SerialExecutor()
            elif isinstance(s, str):
                try:
                    from distributed import Client
                except ImportError as e:
                    raise ImportError("a Dask scheduler address needs dask.distributed: "
                                      "pip install 'dask[distributed]'") from e
                try:
                    # a short connect timeout: Dask's default waits 30 s and then raises a
                    # bare OSError
                    self.client = Client(s, timeout=DASK_CONNECT_TIMEOUT_S)
                except OSError as e:
                    raise ConnectionError(f"cannot reach the Dask scheduler at {s} within "
                                          f"{DASK_CONNECT_TIMEOUT_S} s ({e})") from None
                self.ex = self.client.get_executor()
            else:
                self.ex = s
        return self.ex

    def replace_broken(self):
        """The process pool died under a point: start a fresh one of the same size."""
        old, was_owned = self.ex, self.owned
        if was_owned:
            old.shutdown(wait=False, cancel_futures=True)
        self.ex = cf.ProcessPoolExecutor(max_workers=self.workers or _cpus())
        self.owned = True

    def close(self, wait=True):
        if self.ex is not None and self.owned:
            self.ex.shutdown(wait=wait, cancel_futures=True)
        if self.client is not None:
            self.client.close()
        self.ex = None


# --- the sweep ---------------------------------------------------------------------------------

class _Progress:
    def __init__(self, total: int, skipped: int, enabled):
        self.bar = None
        self.total, self.done, self.failed = total, 0, 0
        self.enabled = bool(enabled) and total > 0
        self.t0 = time.monotonic()
        self.last = 0.0
        self.skipped = skipped
        if not self.enabled:
            return
        desc = "sweep" + (f" ({skipped} in store)" if skipped else "")
        try:
            from tqdm import tqdm
        except ImportError:
            self.desc = desc
            return
        self.bar = tqdm(total=total, desc=desc, unit="pt", file=sys.stderr, dynamic_ncols=True,
                        smoothing=0.1)
        self.bar.set_postfix(failed=0, refresh=False)

    def update(self, failed: bool):
        self.done += 1
        self.failed += failed
        if self.bar is not None:
            if failed:
                self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)
        elif self.enabled:
            now = time.monotonic()
            if now - self.last >= 5 or self.done == self.total:
                self.last = now
                rate = self.done / max(now - self.t0, 1e-9)
                eta = (self.total - self.done) / rate
                print(f"{self.desc}: {self.done}/{self.total} points, {self.failed} failed, "
                      f"ETA {eta:.0f} s", file=sys.stderr, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def sweep(base=None, grid=None, seeds=None, executor=None, progress=True, store=None, *,
          retry_failed: bool = True):
    """Run every point of `grid` (over `base`) with every seed; return a tidy DataFrame.

    base      a RunSpec, or a dict of its fields (None: RunSpec())
    grid      {key: [values]} for the full product (the first key varies slowest), or a list
              of {key: value} dicts (one per point); keys as in RunSpec ("procs", "work",
              "machine.layout", "costs.futex_wake", "strategy_opts.steal_passes", "args.fanout")
    seeds     an int n (seeds 0..n-1) or a list of ints; None: base.seed
    executor  None or "local": a process pool, one worker per CPU; an int: a pool of that
              many; "serial": in this process, one after another; a Dask scheduler address
              ("tcp://host:8786"); or any concurrent.futures.Executor, e.g. a Dask
              `client.get_executor()` (only submit() is used)
    progress  show a progress bar (tqdm if installed): points done, failures, ETA
    store     a .parquet or .csv path: every finished point is appended as it arrives, and a
              rerun with the same store runs only the points it lacks
    retry_failed  rerun the store's failed points (default True)

    Returns one row per (point, seed) in grid order: key, the parameters, seed, status
    ("ok", "deadlock", "max_events", "max_cycles" or "failed"), error, wall_s (the point's
    wall time in its worker), every Result.summary metric, misses/accesses/miss_rate by cache
    line class, and worker (host:pid).  df.attrs["sweep"] counts the points run, skipped and
    failed.  A point that raises, or kills its worker process, is a "failed" row with its
    error; the sweep goes on.
    """
    t_start = time.perf_counter()
    # import these before the pool forks its workers: they need them for every run
    importlib.import_module("pandas")
    importlib.import_module("..runner", __package__)
    points, columns = expand_grid(base, grid, seeds)
    ex = _Exec(executor)
    st = _Store(store) if store is not None else None
    results: dict[str, dict] = {}
    if st is not None:
        st.open()
    try:
        if st is not None:
            stored = st.records()
            for p in points:
                r = stored.get(p.key)
                if r is not None and (r.get("status") != FAILED or not retry_failed):
                    results[p.key] = _row(p, r)
        todo = [p for p in points if p.key not in results]
        skipped = len(points) - len(todo)
        prog = _Progress(len(todo), skipped, progress)
        try:
            nfailed = _drive(todo, ex, st, results, prog)
        finally:
            prog.close()
    except BaseException:
        ex.close(wait=False)
        if st is not None:
            st.close()
        raise
    ex.close()
    if st is not None:
        st.close()
    df = _frame([results[p.key] for p in points], ["key"] + columns + ["seed"] + list(_FRONT[2:]))
    df.attrs["sweep"] = {"points": len(points), "ran": len(todo), "skipped": skipped,
                         "failed": int((df["status"] == FAILED).sum()) if len(df) else 0,
                         "failed_now": nfailed, "wall_s": time.perf_counter() - t_start}
    return df


def _drive(todo: list[_Point], ex: _Exec, st: _Store | None, results: dict, prog: _Progress
           ) -> int:
    """Submit, collect and record; isolate the point that breaks a process pool."""
    queue = deque(todo)
    inflight: dict[cf.Future, _Point] = {}
    suspects: deque[_Point] = deque()
    isolating = False
    nfailed = 0

    def record(p: _Point, rec: dict):
        nonlocal nfailed
        row = _row(p, rec)
        if st is not None:
            st.append({**row, "spec": json.dumps({**p.canon, "seed": p.seed}, sort_keys=True)})
        results[p.key] = row
        failed = row.get("status") == FAILED
        nfailed += failed
        prog.update(failed)

    def submit(p: _Point, source: deque) -> bool:
        try:
            inflight[ex.get().submit(run_point, p.spec, p.seed)] = p
            return True
        except cf.BrokenExecutor:
            if inflight:
                # a worker died since the last wait: its futures will say so; come back later
                source.appendleft(p)
                return False
            ex.replace_broken()         # broken before we gave it anything (a user's pool)
            inflight[ex.get().submit(run_point, p.spec, p.seed)] = p
            return True

    while queue or suspects or inflight:
        if isolating:
            if not inflight and suspects:
                submit(suspects.popleft(), suspects)
        else:
            while queue and (ex.window is None or len(inflight) < ex.window):
                if not submit(queue.popleft(), queue):
                    break
        done, _ = cf.wait(list(inflight), timeout=1.0, return_when=cf.FIRST_COMPLETED)
        broken: list[_Point] = []
        for f in done:
            p = inflight.pop(f)
            try:
                rec = f.result()
            except cf.BrokenExecutor:
                broken.append(p)
            except cf.CancelledError:
                broken.append(p)
            except Exception as e:  # noqa: BLE001 - e.g. Dask's KilledWorker, pickling
                record(p, _failed(_error_text(e)))
            else:
                record(p, rec)
        if broken:
            # the pool is dead: whatever was still in it must run again
            for f, p in list(inflight.items()):
                if f.done() and not f.cancelled() and f.exception() is None:
                    record(p, f.result())
                else:
                    broken.append(p)
            inflight.clear()
            ex.replace_broken()
            if len(broken) == 1:
                record(broken[0], _failed(
                    "the worker process died while running this point (killed, crashed, "
                    "os._exit or out of memory): concurrent.futures BrokenProcessPool"))
            else:
                # which one killed the pool?  rerun each alone in a fresh pool to find out
                broken.sort(key=lambda p: p.index)
                suspects.extend(broken)
                isolating = True
        if isolating and not suspects and not inflight:
            isolating = False
    return nfailed


def sweep_from_config(config, *, executor=None, store=None, progress=None):
    """Run the sweep a TOML file (path) or its parsed dict describes (see docs/sweeps.md):

        [sweep]
        seeds = 3                     # a count, or a list of seeds
        store = "runs.parquet"        # optional; relative to the file
        executor = "local"            # "local", "serial", a worker count, or "tcp://host:8786"
        summary = ["latency_mean_ns", "latency_p99_ns", "cache_miss_rate"]

        [base]                        # RunSpec fields
        workload = "burst"
        goroutines = 100000
        work = "exp:2000"
        machine = { layout = "go" }

        [grid]                        # key = [values]
        procs = [2, 4, 8]
        strategy = ["go", "global"]
        "machine.layout" = ["go", "padded"]

    Returns (DataFrame, the [sweep] table with defaults filled in)."""
    here = Path.cwd()
    if not isinstance(config, Mapping):
        from ..configio import read_data
        path = Path(os.fspath(config))
        if path.suffix != ".toml":
            raise ValueError(f"a sweep file is .toml, got {path.name!r}")
        config = read_data(path, "sweep")
        here = path.resolve().parent
    unknown = set(config) - {"sweep", "base", "grid"}
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)} in the sweep file; expected "
                         f"[sweep], [base] and [grid]")
    opts = dict(config.get("sweep", {}))
    known = {"seeds", "store", "executor", "summary", "progress", "retry_failed"}
    bad = set(opts) - known
    if bad:
        raise ValueError(f"unknown [sweep] option(s) {sorted(bad)}; known: {sorted(known)}")
    if store is None and opts.get("store"):
        p = Path(opts["store"]).expanduser()
        store = p if p.is_absolute() else here / p
    if executor is None:
        executor = opts.get("executor")
    if progress is None:
        progress = opts.get("progress", True)
    opts.update(store=store, executor=executor)
    df = sweep(config.get("base"), config.get("grid"), seeds=opts.get("seeds"),
               executor=executor, progress=progress, store=store,
               retry_failed=opts.get("retry_failed", True))
    return df, opts
