"""A reader of Go execution traces (the "v2" format of Go 1.22 to 1.26) in Python.

The wire format and the rules that order it are Go's (golang/go src/internal/trace):

* ``version/version.go``: a 16-byte header ``go 1.NN trace\\0\\0\\0``; v2 versions are 22, 23,
  25 and 26 (Go 1.27 still writes ``go 1.26 trace``).  Older versions are the v1 format.
* ``batch.go readBatch``: after the header, batches: byte ``EvEventBatch`` (1), uvarint
  generation, M (thread id; ``2**64-1`` for structural batches), base timestamp and size, then
  ``size`` bytes of events (at most ``MaxBatchSize`` = 64 KiB).  ``EvExperimentalBatch`` (49,
  Go 1.23+) adds an experiment byte.  Go 1.26 ends every generation with a one-byte
  ``EvEndOfGeneration`` (52); older versions start a generation when the number changes
  (``generation.go readGenerationWithSpill``).
* ``generation.go processBatch``: a batch whose first byte is ``EvStrings``, ``EvStacks``,
  ``EvCPUSamples`` or the sync event (``EvFrequency`` before 1.25, ``EvSync`` after) is a
  table; every other batch holds one M's timed events.  A timed event is its type byte then
  uvarint arguments, the first a timestamp delta (``tracev2/events.go`` gives the count).
  Timestamps become nanoseconds with ``float64(ticks) * (1e9 / freq)``, truncated, the delta
  converted on its own and added (``batchcursor.go nextEvent``).
* ``reader.go ReadEvent`` + ``order.go``: the Ms' streams are merged by timestamp, but an event
  may only be taken when its sequence number says its predecessor was (``GoStart``,
  ``GoUnblock`` and ``GoSwitch`` carry the G's sequence number; ``ProcStart`` and
  ``ProcSteal`` the P's; ``GCBegin``/``GCActive``/``GCEnd`` a global one).  When the earliest
  event cannot advance, the next earliest is tried.  Emitted times are forced to increase by
  at least 1 ns.

This module reproduces that ordering, so the goroutine state transitions it yields are the
ones ``go tool trace -d=parsed`` prints, in the same order per goroutine and with the same
times.  The file, batch and table levels are Python; the per-event work (decoding each M's
batches and the ordering) runs in native code, ``_tracecore.pyx`` (about 1M events/s on the
2-core dev machine), with the pure-Python ``_decode_events``/``_order_generation`` below kept
as its reference (``_PURE_PYTHON[0] = True`` selects it; tests/test_replay.py checks the two
give identical arrays and errors).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["TraceFormatError", "Trace", "read_trace", "GO_STATES", "EVENT_NAMES"]

NO_THREAD = (1 << 64) - 1
MAX_BATCH = 64 << 10            # tracev2.MaxBatchSize
MAX_STRING = 1 << 10            # tracev2.MaxEventTrailerDataSize
MAX_FRAMES = 128                # tracev2.MaxFramesPerStack

# tracev2 event types (src/internal/trace/tracev2/events.go), in order from 0
EVENT_NAMES = [
    "None", "EventBatch", "Stacks", "Stack", "Strings", "String", "CPUSamples", "CPUSample",
    "Frequency", "ProcsChange", "ProcStart", "ProcStop", "ProcSteal", "ProcStatus", "GoCreate",
    "GoCreateSyscall", "GoStart", "GoDestroy", "GoDestroySyscall", "GoStop", "GoBlock",
    "GoUnblock", "GoSyscallBegin", "GoSyscallEnd", "GoSyscallEndBlocked", "GoStatus",
    "STWBegin", "STWEnd", "GCActive", "GCBegin", "GCEnd", "GCSweepActive", "GCSweepBegin",
    "GCSweepEnd", "GCMarkAssistActive", "GCMarkAssistBegin", "GCMarkAssistEnd", "HeapAlloc",
    "HeapGoal", "GoLabel", "UserTaskBegin", "UserTaskEnd", "UserRegionBegin", "UserRegionEnd",
    "UserLog", "GoSwitch", "GoSwitchDestroy", "GoCreateBlocked", "GoStatusStack",
    "ExperimentalBatch", "Sync", "ClockSnapshot", "EndOfGeneration",
]
EV = {name: i for i, name in enumerate(EVENT_NAMES)}
(EvEventBatch, EvStacks, EvStack, EvStrings, EvString, EvCPUSamples, EvCPUSample,
 EvFrequency) = range(1, 9)
EvExperimentalBatch, EvSync, EvClockSnapshot, EvEndOfGeneration = 49, 50, 51, 52

# argument count of each timed event, the timestamp delta included (tracev2 specs Args)
_TIMED_NARGS = {
    "ProcsChange": 3, "ProcStart": 3, "ProcStop": 1, "ProcSteal": 4, "ProcStatus": 3,
    "GoCreate": 4, "GoCreateSyscall": 2, "GoStart": 3, "GoDestroy": 1, "GoDestroySyscall": 1,
    "GoStop": 3, "GoBlock": 3, "GoUnblock": 4, "GoSyscallBegin": 3, "GoSyscallEnd": 1,
    "GoSyscallEndBlocked": 1, "GoStatus": 4, "STWBegin": 3, "STWEnd": 1, "GCActive": 2,
    "GCBegin": 3, "GCEnd": 2, "GCSweepActive": 2, "GCSweepBegin": 2, "GCSweepEnd": 3,
    "GCMarkAssistActive": 2, "GCMarkAssistBegin": 2, "GCMarkAssistEnd": 1, "HeapAlloc": 2,
    "HeapGoal": 2, "GoLabel": 2, "UserTaskBegin": 5, "UserTaskEnd": 3, "UserRegionBegin": 4,
    "UserRegionEnd": 4, "UserLog": 5, "GoSwitch": 3, "GoSwitchDestroy": 3,
    "GoCreateBlocked": 4, "GoStatusStack": 5, "ClockSnapshot": 4,
}
# the last event type each version knows (version.go: Specs()[:...])
_LAST_EVENT = {22: EV["UserLog"], 23: EvExperimentalBatch, 25: EvClockSnapshot,
               26: EvEndOfGeneration}
V1_VERSIONS = (11, 19, 21)


def _nargs_table(version: int) -> list[int]:
    t = [-1] * 256
    for name, n in _TIMED_NARGS.items():
        i = EV[name]
        if i <= _LAST_EVENT[version] and name != "ClockSnapshot":   # only in sync batches
            t[i] = n
    return t


# the reader's goroutine states (trace.GoState, resources.go)
GoUndetermined, GoNotExist, GoRunnable, GoRunning, GoWaiting, GoSyscall = range(6)
GO_STATES = ["Undetermined", "NotExist", "Runnable", "Running", "Waiting", "Syscall"]
# tracev2.GoStatus (wire) -> GoState; tracev2.ProcStatus values
_WIRE_G = {1: GoRunnable, 2: GoRunning, 3: GoSyscall, 4: GoWaiting}
_WG_RUNNABLE, _WG_RUNNING, _WG_SYSCALL, _WG_WAITING = 1, 2, 3, 4
ProcRunning, ProcIdle, ProcSyscall, ProcSyscallAbandoned = 1, 2, 3, 4


try:                                # the native decoder/orderer (setup.py builds it)
    from . import _tracecore as _core
except ImportError:                 # not built: the pure-Python reference below
    _core = None
#: set _PURE_PYTHON[0] = True to force the pure-Python path (tests compare the two)
_PURE_PYTHON = [False]


class TraceFormatError(ValueError):
    """The file is not a Go execution trace this reader understands: the message names the
    byte offset and what was expected there (``.offset`` holds the offset, or None when the
    problem is not at one place, e.g. events that cannot be ordered)."""

    def __init__(self, msg: str, offset: int | None = None):
        self.offset = offset
        super().__init__(f"byte offset {offset}: {msg}" if offset is not None else msg)


@dataclass
class Trace:
    """A parsed trace: every timed event in the reader's order, with its scheduling context,
    and the goroutine state transitions (``go tool trace -d=parsed``'s StateTransition lines
    for goroutines).

    ``events`` is a structured numpy array (time ns, type, m, p, g, gen, offset, a0..a3): the
    wire arguments after the timestamp; ``m/p/g`` are the M, P and G the event happened on
    (-1: none).  ``transitions`` is a structured array (time, goid, from, to, reason, actor,
    stack, event): ``actor`` is the goroutine that caused it (the ``G=`` of the line, -1:
    none), ``reason`` an index into ``strings``, ``stack`` into ``stacks`` (0: none), ``event``
    the index into ``events``.  ``stacks[i]`` is a tuple of (function, file, line) frames,
    innermost first.
    """
    path: str | None
    version: int
    freq: int                     # ticks per second (of the last generation)
    events: np.ndarray
    transitions: np.ndarray
    strings: list
    stacks: list
    generations: int
    nbytes: int
    parse_s: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def start_ns(self) -> int:
        return int(self.events["time"][0]) if len(self.events) else 0

    @property
    def end_ns(self) -> int:
        return int(self.events["time"][-1]) if len(self.events) else 0

    @property
    def graph(self):
        """The goroutine graph (built on first use): see graph.Graph."""
        g = self.extra.get("graph")
        if g is None:
            from .graph import build_graph
            g = self.extra["graph"] = build_graph(self)
        return g

    @property
    def goroutines(self) -> dict:
        """goid -> graph.Goroutine (creator, run segments, what ended each)."""
        return self.graph.goroutines

    def replay(self, clock_ghz: float = 3.0, scale: float = 1.0, main: int | None = None,
               timers: str = "recorded", mutexes: bool = True):
        """The recorded program as a gmpcore Program (a build.Replay; see docs/replay.md)."""
        from .build import replay_program
        return replay_program(self.graph, clock_ghz=clock_ghz, scale=scale, main=main,
                              timers=timers, mutexes=mutexes)

    @property
    def events_per_s(self) -> float:
        return len(self.events) / self.parse_s if self.parse_s > 0 else float("nan")

    def event_name(self, typ: int) -> str:
        return EVENT_NAMES[typ] if 0 <= typ < len(EVENT_NAMES) else f"Invalid({typ})"

    def transitions_frame(self):
        """The goroutine transitions as a DataFrame (states and reasons as strings)."""
        import pandas as pd
        t = self.transitions
        return pd.DataFrame({
            "time": t["time"], "goid": t["goid"],
            "from": [GO_STATES[x] for x in t["from"]], "to": [GO_STATES[x] for x in t["to"]],
            "reason": [self.strings[x] for x in t["reason"]], "actor": t["actor"],
            "where": [self.frame_str(s) for s in t["stack"]]})

    def frame_str(self, stack: int, skip_runtime: bool = True) -> str:
        """The innermost frame of a stack ("func file:line"), skipping runtime/sync/internal
        frames when there is a user one."""
        frames = self.stacks[stack] if 0 <= stack < len(self.stacks) else ()
        if not frames:
            return ""
        chosen = frames[0]
        if skip_runtime:
            for fr in frames:
                if not _is_runtime(fr[0]):
                    chosen = fr
                    break
        return f"{chosen[0]} {os.path.basename(chosen[1])}:{chosen[2]}"


_RUNTIME_PREFIXES = ("runtime.", "runtime/", "sync.", "sync/", "internal/", "time.",
                     "net.", "internal/poll.", "os.", "syscall.", "bufio.", "io.", "iter.")


def _is_runtime(fn: str) -> bool:
    return fn.startswith(_RUNTIME_PREFIXES)


EVENT_DTYPE = np.dtype([("time", "i8"), ("type", "u1"), ("m", "i8"), ("p", "i8"), ("g", "i8"),
                        ("gen", "i8"), ("offset", "i8"), ("a0", "u8"), ("a1", "u8"),
                        ("a2", "u8"), ("a3", "u8")])
TRANSITION_DTYPE = np.dtype([("time", "i8"), ("goid", "i8"), ("from", "u1"), ("to", "u1"),
                             ("reason", "i4"), ("actor", "i8"), ("stack", "i4"),
                             ("event", "i8")])


# -- wire level -------------------------------------------------------------------------------
def _uvarint(buf, off: int, end: int, what: str):
    x = 0
    s = 0
    i = off
    while True:
        if i >= end:
            raise TraceFormatError(f"truncated trace: expected a uvarint ({what}), found the end "
                                   f"of the {'file' if end == len(buf) else 'batch'}", off)
        b = buf[i]
        i += 1
        if b < 0x80:
            if s >= 63 and b > 1:
                raise TraceFormatError(f"uvarint overflows 64 bits ({what})", off)
            return x | (b << s), i
        x |= (b & 0x7F) << s
        s += 7
        if s > 63:
            raise TraceFormatError(f"uvarint longer than 10 bytes ({what})", off)


def _varints(data: np.ndarray, base: int):
    """Decode a buffer that is a sequence of uvarints: (values uint64, start offsets)."""
    if len(data) == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    end = (data & 0x80) == 0
    if not end[-1]:
        raise TraceFormatError("truncated batch: its last uvarint has no final byte",
                               base + len(data) - 1)
    ends = np.flatnonzero(end)
    starts = np.empty(len(ends), np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts + 1
    if lens.max() > 10:
        bad = int(starts[np.argmax(lens > 10)])
        raise TraceFormatError("uvarint longer than 10 bytes", base + bad)
    grp = np.repeat(np.arange(len(ends)), lens)
    pos = np.arange(len(data)) - starts[grp]
    shifted = (data & 0x7F).astype(np.uint64) << (7 * pos).astype(np.uint64)
    vals = np.bitwise_or.reduceat(shifted, starts)
    return vals, starts


@dataclass
class _Batch:
    gen: int
    m: int
    time: int
    off: int         # offset of the data in the file
    size: int
    exp: int


def _read_header(buf) -> int:
    head = bytes(buf[:16])
    mt = re.match(rb"go 1\.(\d+) trace\x00\x00\x00", head)
    if mt is None:
        shown = head[:16]
        raise TraceFormatError(f"expected the header 'go 1.NN trace\\0\\0\\0' of a Go execution "
                               f"trace, found {shown!r}", 0)
    v = int(mt.group(1))
    if v in V1_VERSIONS:
        raise TraceFormatError(f"this is a Go 1.{v} trace (the v1 format, Go 1.21 and older); "
                               f"this reader takes the v2 format of Go 1.22+ (versions "
                               f"{sorted(_LAST_EVENT)})", 0)
    if v not in _LAST_EVENT:
        raise TraceFormatError(f"unsupported trace version go 1.{v}: expected one of "
                               f"{', '.join(f'go 1.{x}' for x in sorted(_LAST_EVENT))}", 0)
    return v


def _read_batches(buf, version: int):
    """Yield lists of batches, one list per generation."""
    n = len(buf)
    off = 16
    cur: list[_Batch] = []
    cur_gen = None
    while off < n:
        start = off
        b = buf[off]
        off += 1
        if b == EvEndOfGeneration and version >= 26:
            if not cur:
                raise TraceFormatError("EndOfGeneration with no batches before it", start)
            yield cur
            cur, cur_gen = [], None
            continue
        exp = 0
        if b == EvExperimentalBatch and version >= 23:
            if off >= n:
                raise TraceFormatError("truncated trace: expected an experiment id", off)
            exp = buf[off]
            off += 1
        elif b != EvEventBatch:
            raise TraceFormatError(f"expected a batch (EventBatch, byte 1) or an "
                                   f"end-of-generation marker, got byte {b}", start)
        gen, off = _uvarint(buf, off, n, "batch generation")
        m, off = _uvarint(buf, off, n, "batch M id")
        ts, off = _uvarint(buf, off, n, "batch timestamp")
        size, off = _uvarint(buf, off, n, "batch size")
        if size > MAX_BATCH:
            raise TraceFormatError(f"batch size {size} exceeds the maximum {MAX_BATCH}", start)
        if off + size > n:
            raise TraceFormatError(f"truncated trace: the batch starting here declares {size} "
                                   f"bytes of events, only {n - off} remain", start)
        if gen == 0:
            raise TraceFormatError("invalid generation number 0", start)
        if version >= 26:
            if cur_gen is not None and gen != cur_gen:
                raise TraceFormatError(f"batch of generation {gen} inside generation "
                                       f"{cur_gen} (missing end-of-generation marker)", start)
        elif cur_gen is not None and gen != cur_gen:
            if gen != cur_gen + 1:
                raise TraceFormatError(f"generations out of order: {gen} after {cur_gen}",
                                       start)
            yield cur
            cur = []
        cur_gen = gen
        cur.append(_Batch(gen, -1 if m == NO_THREAD else m, ts, off, size, exp))
        off += size
    if cur:
        if version >= 26:
            raise TraceFormatError("truncated trace: expected an end-of-generation marker "
                                   f"for generation {cur_gen}, found the end of the file", n)
        yield cur


class _Gen:
    """One generation's tables and per-M event streams."""

    def __init__(self):
        self.freq = 0
        self.strings: dict[int, str] = {}
        self.stacks: dict[int, tuple] = {}
        self.mbatches: dict[int, list] = {}
        self.order_ms: list[int] = []
        self.min_ts = None
        self.has_snapshot = False


def _parse_tables(buf, g: _Gen, b: _Batch, version: int, global_pcs: dict):
    end = b.off + b.size
    kind = buf[b.off]
    off = b.off + 1
    if kind == EvStrings:
        while off < end:
            if buf[off] != EvString:
                raise TraceFormatError(f"expected a String event (byte {EvString}) in a "
                                       f"strings batch, got byte {buf[off]}", off)
            off += 1
            sid, off = _uvarint(buf, off, end, "string id")
            ln, off = _uvarint(buf, off, end, "string length")
            if ln > MAX_STRING:
                raise TraceFormatError(f"string of {ln} bytes exceeds the maximum {MAX_STRING}",
                                       off)
            if off + ln > end:
                raise TraceFormatError(f"truncated string: {ln} bytes declared, "
                                       f"{end - off} left in the batch", off)
            if sid in g.strings:
                raise TraceFormatError(f"string id {sid} defined twice", off)
            g.strings[sid] = bytes(buf[off:off + ln]).decode("utf-8", "replace")
            off += ln
    elif kind == EvStacks:
        while off < end:
            if buf[off] != EvStack:
                raise TraceFormatError(f"expected a Stack event (byte {EvStack}) in a stacks "
                                       f"batch, got byte {buf[off]}", off)
            off += 1
            sid, off = _uvarint(buf, off, end, "stack id")
            nf, off = _uvarint(buf, off, end, "stack frame count")
            if nf > MAX_FRAMES:
                raise TraceFormatError(f"stack of {nf} frames exceeds the maximum {MAX_FRAMES}",
                                       off)
            frames = []
            for _ in range(nf):
                pc, off = _uvarint(buf, off, end, "frame pc")
                fn, off = _uvarint(buf, off, end, "frame function string id")
                fl, off = _uvarint(buf, off, end, "frame file string id")
                ln, off = _uvarint(buf, off, end, "frame line")
                frames.append((pc, fn, fl, ln))
            g.stacks[sid] = frames
    elif kind == EvCPUSamples:
        pass                                  # CPU profile samples: not used
    else:                                     # sync batch: Frequency (+ ClockSnapshot)
        # Go 1.25+: the EvSync byte, then events; before: the batch is one Frequency event
        off = b.off + 1 if version >= 25 else b.off
        while off < end:
            ev = buf[off]
            off += 1
            if ev == EvFrequency:
                if g.freq:
                    raise TraceFormatError("two Frequency events in one generation", off - 1)
                g.freq, off = _uvarint(buf, off, end, "frequency")
                if g.freq == 0:
                    raise TraceFormatError("frequency 0", off - 1)
            elif ev == EvClockSnapshot and version >= 25:
                for what in ("dt", "mono", "sec", "nsec"):
                    _, off = _uvarint(buf, off, end, f"clock snapshot {what}")
                g.has_snapshot = True
            else:
                raise TraceFormatError(f"expected Frequency or ClockSnapshot in a sync batch, "
                                       f"got event type {ev}", off - 1)


def _is_table(buf, b: _Batch, version: int) -> bool:
    if b.exp or b.size == 0:
        return False
    k = buf[b.off]
    return k in (EvStrings, EvStacks, EvCPUSamples) or \
        (k == EvFrequency and version < 25) or (k == EvSync and version >= 25)


def _decode_events(buf, arr, b: _Batch, nargs: list, ns_per_tick: float, out: list):
    """Append (time ns, type, args tuple, offset) for every event of an M's batch."""
    vals, starts = _varints(arr[b.off:b.off + b.size], b.off)
    v = vals.tolist()
    st = starts.tolist()
    n = len(v)
    j = 0
    last = int(b.time * ns_per_tick)
    append = out.append
    while j < n:
        typ = v[j]
        na = nargs[typ] if typ < 256 else -1
        if na < 0:
            raise TraceFormatError(f"expected a timed event type, got {typ} "
                                   f"({EVENT_NAMES[typ] if typ < len(EVENT_NAMES) else 'unknown'})",
                                   b.off + st[j])
        if j + na >= n:
            raise TraceFormatError(f"truncated event {EVENT_NAMES[typ]}: {na} arguments "
                                   f"expected, {n - j - 1} left in the batch", b.off + st[j])
        last = int(v[j + 1] * ns_per_tick) + last
        append((last, typ, tuple(v[j + 2:j + 1 + na]), b.off + st[j]))
        j += 1 + na


# -- ordering (order.go) ----------------------------------------------------------------------
class _Order:
    def __init__(self):
        self.g: dict[int, list] = {}          # goid -> [wire status, seq gen, seq]
        self.p: dict[int, list] = {}          # pid -> [status, seq gen, seq]
        self.m: dict[int, list] = {}          # m -> [g, p]
        self.gc_seq = 0
        self.gc_state = 0                     # 0 undetermined, 1 running, 2 not running
        self.initial_gen = None


def read_trace(source) -> Trace:
    """Parse a Go execution trace (a path, bytes or a binary file object)."""
    import time as _time
    t0 = _time.perf_counter()
    path = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf = bytes(source)
    elif hasattr(source, "read"):
        buf = source.read()
    else:
        path = os.fspath(source)
        with open(path, "rb") as f:
            buf = f.read()
    if len(buf) < 16:
        raise TraceFormatError(f"expected a 16-byte trace header, the input has {len(buf)} "
                               f"bytes", 0)
    version = _read_header(buf)
    arr = np.frombuffer(buf, np.uint8)
    nargs = _nargs_table(version)

    strings = [""]
    sindex = {"": 0}
    stacks = [()]
    kindex = {(): 0}

    def s_id(s):
        i = sindex.get(s)
        if i is None:
            i = sindex[s] = len(strings)
            strings.append(s)
        return i

    ev_rows: list = []
    tr_rows: list = []
    fast = _core is not None and not _PURE_PYTHON[0]
    o = _core.Order() if fast else _Order()
    chunks: list = []                 # fast path: (gen, event columns, transition columns)
    nevents = 0
    nargs_arr = np.array(nargs, dtype=np.intc)
    last_ts = [0]                     # reader.go: Time forced above lastTs, which starts at 0
    ngen = 0
    freq = 0
    for batches in _read_batches(buf, version):
        ngen += 1
        g = _Gen()
        pcs: dict = {}
        gen_no = batches[0].gen
        for b in batches:
            if not g.min_ts or b.time < g.min_ts:        # generation.go: minTs
                g.min_ts = b.time
            if b.exp:
                continue                       # experimental data: not used
            if _is_table(buf, b, version):
                _parse_tables(buf, g, b, version, pcs)
            else:
                if b.m not in g.mbatches:
                    g.mbatches[b.m] = []
                    g.order_ms.append(b.m)
                g.mbatches[b.m].append(b)
        if not g.freq:
            raise TraceFormatError(f"generation {gen_no} has no Frequency event",
                                   batches[0].off)
        if version >= 25 and not g.has_snapshot:
            raise TraceFormatError(f"generation {gen_no} has no ClockSnapshot event",
                                   batches[0].off)
        freq = g.freq
        ns_per_tick = 1.0 / (g.freq / 1e9)     # frequency(1.0 / (float64(f) / 1e9))
        # resolve this generation's stacks to global ids
        gstack: dict[int, int] = {0: 0}
        for sid, frames in g.stacks.items():
            fr = []
            for pc, fn, fl, ln in frames:
                if fn not in g.strings and fn != 0 or fl not in g.strings and fl != 0:
                    raise TraceFormatError(f"stack {sid} names a string id that generation "
                                           f"{gen_no} does not define", batches[0].off)
                fr.append((g.strings.get(fn, ""), g.strings.get(fl, ""), ln))
            key = tuple(fr)
            k = kindex.get(key)
            if k is None:
                k = kindex[key] = len(stacks)
                stacks.append(key)
            gstack[sid] = k
        gstr = {sid: s_id(s) for sid, s in g.strings.items()}
        gstr[0] = 0
        if fast:
            # decode each M's stream and order them in native code (_tracecore.pyx)
            ms, sts = [], []
            for m in g.order_ms:
                st = _core.decode_stream(arr, [(b.off, b.size, b.time) for b in g.mbatches[m]],
                                         nargs_arr, ns_per_tick, EVENT_NAMES, TraceFormatError)
                if len(st[0]):
                    ms.append(m)
                    sts.append(st)
            sync_time = int(g.min_ts * ns_per_tick)
            if sync_time <= last_ts[0]:
                sync_time = last_ts[0] + 1
            last_ts[0] = sync_time
            ev, trc, last_ts[0] = _core.order_generation(o, gen_no, ms, sts, gstack, gstr,
                                                         last_ts[0], nevents, EVENT_NAMES,
                                                         TraceFormatError, EVENT_DTYPE,
                                                         TRANSITION_DTYPE)
            chunks.append((ev, trc))
            nevents += len(ev)
            continue
        # decode each M's stream
        streams = {}
        for m in g.order_ms:
            evs: list = []
            for b in g.mbatches[m]:
                _decode_events(buf, arr, b, nargs, ns_per_tick, evs)
            if evs:
                streams[m] = evs
        sync_time = int(g.min_ts * ns_per_tick)
        if sync_time <= last_ts[0]:
            sync_time = last_ts[0] + 1
        last_ts[0] = sync_time
        _order_generation(o, gen_no, streams, gstack, gstr, ev_rows, tr_rows, last_ts,
                          version)
    if ngen == 0:
        raise TraceFormatError("expected at least one generation of batches after the header, "
                               "found the end of the file", 16)
    if fast:
        events = np.concatenate([c[0] for c in chunks]) if chunks else \
            np.zeros(0, EVENT_DTYPE)
        trans = np.concatenate([c[1] for c in chunks]) if chunks else \
            np.zeros(0, TRANSITION_DTYPE)
    else:
        events = np.array(ev_rows, dtype=EVENT_DTYPE) if ev_rows else \
            np.zeros(0, EVENT_DTYPE)
        trans = np.array(tr_rows, dtype=TRANSITION_DTYPE) if tr_rows else \
            np.zeros(0, TRANSITION_DTYPE)
    return Trace(path=path, version=version, freq=freq, events=events, transitions=trans,
                 strings=strings, stacks=stacks, generations=ngen, nbytes=len(buf),
                 parse_s=_time.perf_counter() - t0)


def _order_generation(o: _Order, gen: int, streams: dict, gstack: dict, gstr: dict,
                      ev_rows: list, tr_rows: list, last_ts: list, version: int):
    if o.initial_gen is None:
        o.initial_gen = gen
    pos = {m: 0 for m in streams}
    G, P, M = o.g, o.p, o.m
    ev_append = ev_rows.append
    tr_append = tr_rows.append
    initial = gen == o.initial_gen

    def stk(sid, off):
        k = gstack.get(sid)
        if k is None:
            raise TraceFormatError(f"unknown stack id {sid}", off)
        return k

    def strid(sid, off):
        k = gstr.get(sid)
        if k is None:
            raise TraceFormatError(f"unknown string id {sid}", off)
        return k

    def emit(t, typ, m, p, g, args, off):
        if t <= last_ts[0]:
            t = last_ts[0] + 1
        last_ts[0] = t
        a = args + (0, 0, 0, 0)
        ev_append((t, typ, m, p, g, gen, off, a[0], a[1], a[2], a[3]))
        return t

    def trans(t, goid, frm, to, reason, actor, stack, off):
        tr_append((t, goid, frm, to, reason, actor, stack, len(ev_rows) - 1))

    def bad(msg, off):
        raise TraceFormatError(msg, off)

    def advance(m, e):
        """order.go Advance: False when the event must wait for another M's."""
        t, typ, args, off = e
        ms = M.get(m)
        if ms is None:
            ms = M[m] = [-1, -1]
        cg, cp = ms
        if typ == 16:                                             # GoStart
            gid, seq = args
            st = G.get(gid)
            if st is None or st[0] != _WG_RUNNABLE or st[1] != gen or st[2] + 1 != seq:
                return False
            if cp < 0 or cg >= 0:
                bad(f"GoStart of G{gid} on M{m} which holds P{cp} and runs G{cg}", off)
            st[0] = _WG_RUNNING
            st[2] = seq
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, gid, GoRunnable, GoRunning, 0, -1, 0, off)
            ms[0] = gid
            return True
        if typ == 21 or typ == 45 or typ == 46:                   # GoUnblock, GoSwitch*
            gid, seq = args[0], args[1]
            st = G.get(gid)
            if st is None or st[0] != _WG_WAITING or st[1] != gen or st[2] + 1 != seq:
                return False
            if typ == 21:
                st[0] = _WG_RUNNABLE
                st[2] = seq
                t = emit(t, typ, m, cp, cg, args, off)
                trans(t, gid, GoWaiting, GoRunnable, 0, cg, stk(args[2], off), off)
                return True
            cur = G.get(cg)
            if cg < 0 or cur is None or cur[0] != _WG_RUNNING:
                bad(f"{EVENT_NAMES[typ]} on M{m} without a running goroutine", off)
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, gid, GoWaiting, GoRunnable, 0, cg, 0, off)
            if typ == 45:
                cur[0] = _WG_WAITING
                t = emit(t, 20, m, cp, cg, (0, 0), off)
                trans(t, cg, GoRunning, GoWaiting, 0, cg, 0, off)
            else:
                del G[cg]
                t = emit(t, 17, m, cp, cg, (), off)
                trans(t, cg, GoRunning, GoNotExist, 0, cg, 0, off)
            st[0] = _WG_RUNNING
            st[2] = seq
            t = emit(t, 16, m, cp, -1, (gid, seq), off)
            trans(t, gid, GoRunnable, GoRunning, 0, -1, 0, off)
            ms[0] = gid
            return True
        if typ == 17 or typ == 19 or typ == 20:                   # GoDestroy/GoStop/GoBlock
            st = G.get(cg)
            if cg < 0 or cp < 0 or st is None or st[0] != _WG_RUNNING:
                bad(f"{EVENT_NAMES[typ]} on M{m} which runs no goroutine on a P "
                    f"(G{cg}, P{cp})", off)
            t = emit(t, typ, m, cp, cg, args, off)
            if typ == 17:
                del G[cg]
                trans(t, cg, GoRunning, GoNotExist, 0, cg, 0, off)
            elif typ == 19:
                st[0] = _WG_RUNNABLE
                trans(t, cg, GoRunning, GoRunnable, strid(args[0], off), cg,
                      stk(args[1], off), off)
            else:
                st[0] = _WG_WAITING
                trans(t, cg, GoRunning, GoWaiting, strid(args[0], off), cg,
                      stk(args[1], off), off)
            ms[0] = -1
            return True
        if typ == 14 or typ == 47:                                # GoCreate(Blocked)
            gid = args[0]
            if cp < 0:
                bad(f"{EVENT_NAMES[typ]} on M{m} without a P", off)
            if gid in G:
                bad(f"G{gid} created but it already exists", off)
            G[gid] = [_WG_RUNNABLE if typ == 14 else _WG_WAITING, gen, 0]
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, gid, GoNotExist, GoRunnable if typ == 14 else GoWaiting, 0, cg,
                  stk(args[1], off), off)
            return True
        if typ == 10:                                             # ProcStart
            pid, seq = args
            st = P.get(pid)
            if st is None or st[0] != ProcIdle or st[1] != gen or st[2] + 1 != seq or cp >= 0:
                return False
            st[0] = ProcRunning
            st[2] = seq
            emit(t, typ, m, cp, cg, args, off)
            ms[1] = pid
            return True
        if typ == 11:                                             # ProcStop
            st = P.get(cp)
            if st is None or st[0] not in (ProcRunning, ProcSyscall):
                bad(f"ProcStop on M{m} for P{cp} that is not running", off)
            st[0] = ProcIdle
            emit(t, typ, m, cp, cg, args, off)
            ms[1] = -1
            return True
        if typ == 12:                                             # ProcSteal
            pid, seq, victim = args
            st = P.get(pid)
            if st is None or st[0] not in (ProcSyscall, ProcSyscallAbandoned) or \
                    st[1] != gen or st[2] + 1 != seq:
                return False
            old = st[0]
            st[0] = ProcIdle
            st[2] = seq
            emit(t, typ, m, cp, cg, args, off)
            if old == ProcSyscallAbandoned:
                return True
            if victim == m:
                if cp != pid:
                    bad(f"M{m} steals P{pid} from itself but holds P{cp}", off)
                ms[1] = -1
                return True
            vs = M.get(victim)
            if vs is None or vs[1] != pid:
                bad(f"ProcSteal of P{pid} from M{victim}, which does not hold it", off)
            vs[1] = -1
            return True
        if typ == 13:                                             # ProcStatus
            pid, status = args
            if status < 1 or status > 4:
                bad(f"invalid status {status} for P{pid}", off)
            st = P.get(pid)
            if st is not None:
                if status == ProcSyscallAbandoned and st[0] == ProcSyscall:
                    status = ProcSyscall
                elif status == ProcSyscallAbandoned and st[0] == ProcSyscallAbandoned:
                    pass
                elif st[0] != status:
                    bad(f"inconsistent status for P{pid}: {st[0]} then {status}", off)
                st[1], st[2] = gen, 0
            else:
                P[pid] = [status, gen, 0]
            emit(t, typ, m, cp, cg, args, off)
            if status in (ProcRunning, ProcSyscall):
                ms[1] = pid
            return True
        if typ == 25 or typ == 48:                                # GoStatus(Stack)
            gid, mid, status = args[0], args[1], args[2]
            if status not in _WIRE_G:
                bad(f"invalid status {status} for G{gid}", off)
            st = G.get(gid)
            if st is not None:
                if st[0] != status:
                    bad(f"inconsistent status for G{gid}: {st[0]} then {status}", off)
                st[1], st[2] = gen, 0
                frm = _WIRE_G[status]
            elif initial:
                G[gid] = [status, gen, 0]
                frm = GoUndetermined
            else:
                bad(f"GoStatus for G{gid}, a new goroutine, after the first generation", off)
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, gid, frm, _WIRE_G[status], 0, cg,
                  stk(args[3], off) if typ == 48 else 0, off)
            if status == _WG_RUNNING:
                ms[0] = gid
            elif status == _WG_SYSCALL:
                if mid == NO_THREAD:
                    bad(f"G{gid} in a syscall without a thread", off)
                if mid == m:
                    ms[0] = gid
                else:
                    vs = M.get(mid)
                    if vs is None:
                        M[mid] = [gid, -1]
            return True
        if typ == 22:                                             # GoSyscallBegin
            st = G.get(cg)
            if cg < 0 or cp < 0 or st is None or st[0] != _WG_RUNNING:
                bad(f"GoSyscallBegin on M{m} which runs no goroutine on a P", off)
            pst = P.get(cp)
            if pst is None:
                bad(f"GoSyscallBegin on P{cp}, which has no status", off)
            seq = args[0]
            if pst[1] != gen or pst[2] + 1 != seq:
                bad(f"GoSyscallBegin: P{cp} sequence {seq} does not follow {pst[2]}", off)
            st[0] = _WG_SYSCALL
            pst[0] = ProcSyscall
            pst[2] = seq
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, cg, GoRunning, GoSyscall, 0, cg, stk(args[1], off), off)
            return True
        if typ == 23:                                             # GoSyscallEnd
            st = G.get(cg)
            if cg < 0 or st is None or st[0] != _WG_SYSCALL:
                bad(f"GoSyscallEnd on M{m} whose goroutine G{cg} is not in a syscall", off)
            pst = P.get(cp)
            if pst is None or pst[0] != ProcSyscall:
                bad(f"GoSyscallEnd on M{m}: P{cp} is not in a syscall", off)
            st[0] = _WG_RUNNING
            pst[0] = ProcRunning
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, cg, GoSyscall, GoRunning, 0, cg, 0, off)
            return True
        if typ == 24:                                             # GoSyscallEndBlocked
            if cp >= 0:
                pst = P.get(cp)
                if pst is not None and pst[0] == ProcSyscall:
                    return False
            st = G.get(cg)
            if cg < 0 or st is None or st[0] != _WG_SYSCALL:
                bad(f"GoSyscallEndBlocked on M{m} whose goroutine G{cg} is not in a syscall",
                    off)
            st[0] = _WG_RUNNABLE
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, cg, GoSyscall, GoRunnable, 0, cg, 0, off)
            ms[0] = -1
            return True
        if typ == 15:                                             # GoCreateSyscall
            gid = args[0]
            if gid in G:
                bad(f"G{gid} created in a syscall but it already exists", off)
            G[gid] = [_WG_SYSCALL, gen, 0]
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, gid, GoNotExist, GoSyscall, 0, cg, 0, off)
            ms[0] = gid
            return True
        if typ == 18:                                             # GoDestroySyscall
            st = G.get(cg)
            if cg < 0 or st is None or st[0] != _WG_SYSCALL:
                bad(f"GoDestroySyscall on M{m} without a goroutine in a syscall", off)
            del G[cg]
            t = emit(t, typ, m, cp, cg, args, off)
            trans(t, cg, GoSyscall, GoNotExist, 0, cg, 0, off)
            if cp >= 0:
                pst = P.get(cp)
                if pst is not None:
                    pst[0] = ProcSyscallAbandoned
                ms[1] = -1
            ms[0] = -1
            return True
        if typ == 28:                                             # GCActive
            seq = args[0]
            if initial:
                o.gc_seq, o.gc_state = seq, 1
            else:
                if seq != o.gc_seq + 1:
                    return False
                o.gc_seq = seq
            emit(t, typ, m, cp, cg, args, off)
            return True
        if typ == 29:                                             # GCBegin
            seq = args[0]
            if o.gc_state != 0:
                if seq != o.gc_seq + 1:
                    return False
            o.gc_seq, o.gc_state = seq, 1
            emit(t, typ, m, cp, cg, args, off)
            return True
        if typ == 30:                                             # GCEnd
            seq = args[0]
            if seq != o.gc_seq + 1:
                return False
            o.gc_seq, o.gc_state = seq, 2
            emit(t, typ, m, cp, cg, args, off)
            return True
        # annotations, STW, sweep, assists, heap metrics: no ordering constraint
        emit(t, typ, m, cp, cg, args, off)
        return True

    # the frontier: a binary heap of [time of the next event, m], kept exactly as Go's
    # batchcursor.go heapInsert/heapUpdate/heapRemove keep it, so that Ms whose next events
    # have equal times are tried in the same order as go tool trace
    def sift_up(i):
        while i > 0 and heap[(i - 1) // 2][0] > heap[i][0]:
            j = (i - 1) // 2
            heap[j], heap[i] = heap[i], heap[j]
            i = j
        return i

    def sift_down(i):
        n = len(heap)
        while True:
            mi, mt = i, heap[i][0] if i < n else None
            for c in (2 * i + 1, 2 * i + 2):
                if c < n and (mt is None or heap[c][0] < mt):
                    mi, mt = c, heap[c][0]
            if mi == i:
                return i
            heap[i], heap[mi] = heap[mi], heap[i]
            i = mi

    def remove(i):
        while i > 0:
            j = (i - 1) // 2
            heap[j], heap[i] = heap[i], heap[j]
            i = j
        heap[0], heap[-1] = heap[-1], heap[0]
        heap.pop()
        if heap:
            sift_down(0)

    heap: list = []
    for m in streams:
        heap.append([streams[m][0][0], m])
        sift_up(len(heap) - 1)

    def try_advance(i):
        m = heap[i][1]
        evs = streams[m]
        if not advance(m, evs[pos[m]]):
            return False
        p = pos[m] = pos[m] + 1
        if p < len(evs):
            heap[i][0] = evs[p][0]
            if sift_up(i) == i:
                sift_down(i)
        else:
            remove(i)
        return True

    while heap:
        if not try_advance(0):
            # reader.go: sort the frontier (pdqsort is an insertion sort, so stable, for
            # the few Ms a trace has) and try the others in timestamp order
            heap.sort(key=lambda h: h[0])
            for i in range(1, len(heap)):
                if try_advance(i):
                    break
            else:
                m0 = heap[0][1]
                e = streams[m0][pos[m0]]
                raise TraceFormatError(
                    f"broken trace: no M's next event can be ordered in generation {gen} "
                    f"(the earliest is {EVENT_NAMES[e[1]]} {list(e[2])} on M{m0})", e[3])
