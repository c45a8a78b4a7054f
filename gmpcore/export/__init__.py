"""Observability: what a run looks like through Go's own tools and in trace viewers.

    schedtrace(res)            GODEBUG=schedtrace=N / scheddetail=1 text
    write_go_trace(res, path)  a Go 1.22+ execution trace for `go tool trace`
    write_perfetto(res, path)  Chrome Trace Event JSON for Perfetto / chrome://tracing
    goroutine_dump(res)        a debug=2 goroutine dump (synthesized one-frame stacks)
    intervals(res)             the recorded events replayed into tables (goroutine runs, Ps
                               held, system calls, blocked spans, pauses, GC, steals) that
                               the Go trace, Perfetto and plot.goroutine_timeline draw

Each is also a Result method (res.schedtrace(), res.write_go_trace(path), ...).  See
docs/observability.md.
"""
from .dump import goroutine_dump, goroutine_records
from .gotrace import GoTraceError, write_go_trace
from .intervals import Intervals, intervals
from .perfetto import chrome_trace_events, write_perfetto
from .schedtrace import SCHEDTRACE_RE, parse_schedtrace, schedtrace, schedtrace_lines

__all__ = ["schedtrace", "schedtrace_lines", "parse_schedtrace", "SCHEDTRACE_RE",
           "write_go_trace", "GoTraceError", "write_perfetto", "chrome_trace_events",
           "goroutine_dump", "goroutine_records", "intervals", "Intervals"]
