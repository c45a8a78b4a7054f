"""Offline replay of a real Go program's execution trace (``runtime/trace``).

    tr = gmpcore.replay.load("trace.out")      # parse (Go 1.22+ trace format)
    tr.goroutines[1].segments                  # the goroutine graph
    rp = tr.replay()                           # a gmpcore Program that reruns the recorded work
    gmpcore.run(rp.program, procs=4, strategy="global")

See docs/replay.md.
"""
from .format import GO_STATES, Trace, TraceFormatError, read_trace

__all__ = ["load", "TraceFormatError", "Trace", "GO_STATES", "read_trace"]


def load(path):
    """Parse the Go execution trace at `path` (or bytes) and rebuild its goroutine graph."""
    return read_trace(path)
