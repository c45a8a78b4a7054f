"""Offline replay of a real Go program's execution trace (``runtime/trace``).

    tr = gmpcore.replay.load("trace.out")      # parse (the Go 1.22+ trace format)
    tr.goroutines[1].segments                  # the goroutine graph
    rp = tr.replay()                           # a gmpcore Program rerunning the recorded work
    gmpcore.run(rp.program, procs=rp.procs, strategy="global")
    gmpcore.replay.compare(tr, strategies=["go", "global"], procs=[4, 16])

See docs/replay.md for the mapping and its approximations.
"""
from .format import GO_STATES, Trace, TraceFormatError, read_trace
from .graph import CATEGORIES, Goroutine, Graph, Replay, Segment, build_graph, replay_program
from .compare import compare

__all__ = ["load", "compare", "TraceFormatError", "Trace", "Graph", "Goroutine", "Segment",
           "Replay", "GO_STATES", "CATEGORIES", "read_trace", "build_graph", "replay_program"]


def load(path) -> Trace:
    """Parse the Go execution trace at `path` (a path, bytes or a binary file).  Raises
    TraceFormatError (naming the byte offset and what was expected) on a bad file."""
    return read_trace(path)
