"""Goroutine dumps in the layout of ``pprof.Lookup("goroutine").WriteTo(w, 2)`` (debug=2),
which is also what a Go program prints when it dies (runtime/traceback.go goroutineheader,
traceback1, printcreatedby1):

    goroutine 1 [sync.WaitGroup.Wait]:
    main.main()
    	main.go:4 +0x3

    goroutine 7 [runnable]:
    main.worker()
    	main.go:6
    created by main.main in goroutine 1
    	main.go:1

What is real and what is synthesized (docs/observability.md):

* real: the goroutine ids, their order (allgs order), the state (the wait reason for a waiting
  G, else runnable / running), the function each G runs, its parent's goroutine id, and how
  long a waiting G has been blocked (", N minutes" when N >= 1 emulated minute, as Go prints;
  from the recorded events, since the G records do not keep the park time);
* synthesized: the stack.  An emulated G has no call stack, so each G shows one frame, the
  DSL function it runs, as ``main.<fn>()`` (no arguments).  The ``file:line +0xoff`` lines
  give the G's position in the compiled program: ``main.go`` is the program, the line is the
  code index + 1 of the instruction the G is in (past the entry, the one before pc, as Go
  reports the call a frame is in) and the offset the distance from the function's entry.
  The ``created by`` line names the parent's function at its entry line (the engine does not
  record the pc of the ``go`` statement); ``main.unknown`` when that function is not known
  any more.
"""
from __future__ import annotations

from ._common import (G_DEAD, G_FLAG_SYSTEM, G_STATUS_STRINGS, G_WAITING, FuncTable, KIND,
                      clock_ghz, g_record_function, goroutine_functions, trace_records,
                      wait_reason_name)

__all__ = ["goroutine_dump", "goroutine_records"]

MINUTE_NS = 60e9


def _block_times(res, now: int) -> dict[int, int]:
    """goid -> cycle of its last GoBlock up to `now` in the recorded events (for the
    ", N minutes" of a waiting G; the engine's G records do not keep the park time)."""
    rec = trace_records(res)
    if len(rec) == 0:
        return {}
    sel = (rec["kind"] == KIND["GoBlock"]) & (rec["time"] <= now)
    return dict(zip(rec["goid"][sel].tolist(), rec["time"][sel].tolist()))


def goroutine_records(res, snapshot: int | None = None, include_system: bool = False) -> list:
    """One dict per goroutine that a debug=2 dump prints (allgs order, dead Gs skipped):
    goid, status (Go's _G* int), state (the header's word), function, pc, parent_goid,
    creator (the parent's function, or None), waiting_cycles (None if unknown), m, system."""
    if snapshot is None:
        src = res.final
        now = int(res.summary.get("emulated_cycles", 0))
    else:
        src = res.sched_snapshots[snapshot]
        now = int(src["time"])
    if not src or "goroutines" not in src:
        raise ValueError("goroutine_dump needs the G records of a run (Result.final)")
    gs = src["goroutines"]
    funcs = FuncTable.of(res)
    names = gs.dtype.names or ()
    known = goroutine_functions(res, funcs)       # goid -> function, for the creators
    blocked_at = _block_times(res, now)
    out = []
    for g in gs:
        status = int(g["status"])
        if status == G_DEAD:
            continue
        system = bool(int(g["flags"]) & G_FLAG_SYSTEM)
        if system and not include_system:
            continue
        goid, pc = int(g["goid"]), int(g["pc"])
        state = G_STATUS_STRINGS.get(status, "???")
        if status == G_WAITING and int(g["waitreason"]) != 0:
            state = wait_reason_name(g["waitreason"])
        fn = g_record_function(funcs, g) if funcs else -1
        parent = int(g["parent_goid"])
        creator = None
        if "gopc" in names and int(g["gopc"]) >= 0 and funcs:
            creator = funcs.fn_of_pc(int(g["gopc"]))    # the function of the go statement
        elif parent in known:
            creator = known[parent]
        waiting = None
        if status == G_WAITING:
            if "waitsince" in names and int(g["waitsince"]) > 0:
                waiting = now - int(g["waitsince"])
            elif goid in blocked_at:
                waiting = now - blocked_at[goid]
        out.append({"goid": goid, "status": status, "state": state, "function": fn, "pc": pc,
                    "parent_goid": parent, "creator": creator, "waiting_cycles": waiting,
                    "m": int(g["m"]), "system": system})
    return out


def goroutine_dump(res, snapshot: int | None = None, include_system: bool = False) -> str:
    """The debug=2 goroutine dump of the run's goroutines at the end of the run (or at
    scheddetail snapshot `snapshot`), as text.  See the module docstring for what is
    synthesized.  include_system: also dump runtime goroutines (GOTRACEBACK=system)."""
    funcs = FuncTable.of(res)
    ghz = clock_ghz(res)
    blocks = []
    for r in goroutine_records(res, snapshot, include_system):
        head = f"goroutine {r['goid']} [{r['state']}"
        if r["waiting_cycles"] is not None:
            minutes = int(r["waiting_cycles"] / ghz // MINUTE_NS)
            if minutes >= 1:
                head += f", {minutes} minutes"
        lines = [head + "]:"]
        fn = r["function"]
        name = funcs.go_name(fn) if funcs and fn >= 0 else "main.unknown"
        lines.append(f"{name}()")
        lines.append(_fileline(funcs, fn, r["pc"]))
        if r["parent_goid"] > 0:
            c = r["creator"]
            cname = funcs.go_name(c) if funcs and c is not None and c >= 0 else "main.unknown"
            lines.append(f"created by {cname} in goroutine {r['parent_goid']}")
            lines.append(_fileline(funcs, c, None))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _fileline(funcs, fn, pc) -> str:
    if fn is None or fn < 0:
        return "\tmain.go:0"
    entry = funcs.entry(fn)
    if pc is None:
        pc = entry
    # as printcreatedby1 / traceback do: past the entry, the line is the one of the instruction
    # before pc (the call the G is in), and the offset is pc's
    s = f"\tmain.go:{(pc - 1 if pc > entry else pc) + 1}"
    if pc > entry:
        s += f" +{hex(pc - entry)}"
    return s
