"""The resumable store of a sweep: a JSON-lines journal folded into a Parquet or CSV file,
and the tidy DataFrame built from records."""
from __future__ import annotations

import importlib
import json
import os
import time
import warnings
from pathlib import Path
from typing import Mapping

from .spec import FAILED, NESTED, _FIELDS, _Point, _py


# --- the store --------------------------------------------------------------------------------

def _parquet_ok() -> bool:
    for mod in ("pyarrow", "fastparquet"):
        try:
            importlib.import_module(mod)
            return True
        except ImportError:
            pass
    return False


class _Store:
    """Finished points of sweeps, by key.

    Every finished point is appended at once, as one JSON line, to `<store>.journal` (a line is
    flushed before the next point is recorded, so a killed sweep loses only the points that
    were still running).  The journal is folded into the Parquet or CSV file itself (written
    to a temporary file and renamed over it, so the file is always complete) when the sweep
    ends, every `compact_every` seconds, and when a sweep opens a store whose journal is left
    over from a killed one.  Reading merges both, the last row of a key winning.
    """

    def __init__(self, path, compact_every: float = 30.0):
        path = Path(os.fspath(path)).expanduser()
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            self.format = "parquet"
            if not _parquet_ok():
                alt = path.with_suffix(".csv")
                warnings.warn(f"gmpcore.sweep: pyarrow is not installed, so the store is "
                              f"written as CSV to {alt} (pip install pyarrow for Parquet)",
                              RuntimeWarning, stacklevel=3)
                path, self.format = alt, "csv"
        elif suffix == ".csv":
            self.format = "csv"
        else:
            raise ValueError(f"store must end in .parquet or .csv, got {str(path)!r}")
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.lockpath = path.with_name(path.name + ".lock")
        self.compact_every = compact_every
        self._lockfd = None
        self._jf = None
        self._last_compact = time.monotonic()

    # reading
    def read_file(self) -> list[dict]:
        if not self.path.exists():
            return []
        import pandas as pd
        if self.format == "parquet":
            df = pd.read_parquet(self.path)
        else:
            df = pd.read_csv(self.path, dtype_backend="numpy_nullable",
                             dtype={"key": "string", "status": "string", "error": "string",
                                    "spec": "string", "worker": "string"}, keep_default_na=True)
        cols = list(df.columns)
        return [{c: _py(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False)]

    def read_journal(self) -> list[dict]:
        if not self.journal.exists():
            return []
        out = []
        with open(self.journal, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass            # a line cut short by a kill: that point was not finished
        return out

    def records(self) -> dict[str, dict]:
        out = {}
        for r in self.read_file() + self.read_journal():
            if r.get("key"):
                out[str(r["key"])] = r
        return out

    # writing
    def open(self):
        try:
            self._open()
        except OSError as e:
            raise OSError(f"cannot write the store {self.path}: {e.strerror or e}") from None

    def _open(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            fcntl = None
        if fcntl is not None:
            fd = os.open(self.lockpath, os.O_CREAT | os.O_RDWR, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise RuntimeError(f"store {self.path} is in use by another running sweep "
                                   f"(lock {self.lockpath})") from None
            self._lockfd = fd
        if self.journal.exists():
            self.compact()

    def append(self, rec: dict):
        if self._jf is None:
            self._jf = open(self.journal, "a", encoding="utf-8")
        self._jf.write(json.dumps(rec, separators=(",", ":"), default=_json_default) + "\n")
        self._jf.flush()
        if time.monotonic() - self._last_compact > self.compact_every:
            self.compact()

    def compact(self):
        if self._jf is not None:
            self._jf.close()
            self._jf = None
        recs = list(self.records().values())
        if recs:
            df = _frame(recs, for_storage=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            if self.format == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                df.to_csv(tmp, index=False)
            os.replace(tmp, self.path)
        if self.journal.exists():
            self.journal.unlink()
        self._last_compact = time.monotonic()

    def close(self):
        try:
            self.compact()
        finally:
            if self._lockfd is not None:
                os.close(self._lockfd)
                self._lockfd = None
                try:
                    self.lockpath.unlink()
                except OSError:  # pragma: no cover
                    pass


def _json_default(o):
    v = _py(o)
    if v is o:
        raise TypeError(f"not JSON-serialisable: {o!r}")
    return v


def load_store(path):
    """Every point a store holds (all sweeps written to it), as a DataFrame, including the
    `spec` column: the canonical JSON of each run's parameters."""
    st = _Store(path)
    return _frame(list(st.records().values()))


# --- frames -------------------------------------------------------------------------------------

_FRONT = ("key", "seed", "status", "error", "wall_s")


def _frame(records: list[dict], columns: list[str] | None = None, for_storage: bool = False):
    """A DataFrame from records of plain values, with stable dtypes: integer columns stay
    integers (nullable Int64 when some rows lack them, e.g. failed points)."""
    import numpy as np
    import pandas as pd
    cols = list(columns or [])
    seen = set(cols)
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    failed = [r.get("status") == FAILED for r in records]
    data = {}
    for c in cols:
        vals = [_py(r.get(c)) for r in records]
        if c.startswith(("misses[", "accesses[", "miss_rate[")):
            vals = [(0 if not c.startswith("miss_rate[") else 0.0) if v is None and not f else v
                    for v, f in zip(vals, failed)]
        present = [v for v in vals if v is not None and not (isinstance(v, float) and v != v)]
        types = {type(v) for v in present}
        if types and types <= {int} and all(-2**63 <= v < 2**63 for v in present):
            ser = pd.Series(vals, dtype="Int64" if len(present) < len(vals) else "int64")
        elif types and types <= {int, float}:
            ser = pd.Series([np.nan if v is None else float(v) for v in vals], dtype="float64")
        elif types and types <= {bool}:
            ser = pd.Series(vals, dtype="boolean" if len(present) < len(vals) else "bool")
        elif for_storage and len(types) > 1:
            ser = pd.Series([None if v is None else str(v) for v in vals], dtype=object)
        elif types and types <= {str}:
            ser = pd.Series(vals)
        else:
            ser = pd.Series(vals, dtype=object)
        data[c] = ser
    return pd.DataFrame(data, columns=cols)


def _row(p: _Point, rec: Mapping) -> dict:
    """The output row of point `p` from a worker's or the store's record: the point's own
    parameters, then the measurements."""
    row = {"key": p.key, **p.params, "seed": p.seed}
    for k, v in rec.items():
        if k in ("key", "seed", "spec") or k in _FIELDS or k.split(".", 1)[0] in NESTED:
            continue
        row[k] = v
    return row


def _failed(error: str) -> dict:
    return {"status": FAILED, "error": error, "wall_s": float("nan"), "worker": None}
