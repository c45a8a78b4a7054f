"""A recorded goroutine graph as a gmpcore Program (``Trace.replay()``), and the measurement
of a replayed run on the same terms as the recording (``Replay.measure``).

The mapping (docs/replay.md has the full list and its approximations):

* one function per recorded goroutine; compute between two recorded actions keeps its
  recorded duration; a creation is ``go`` at its recorded point;
* an unblock of B by goroutine A is a cap-1 channel: A sends at the recorded point, B
  receives where it blocked, so B cannot go on before A got there under any scheduler;
* a ``sync.Mutex`` whose Lock parked is a real ``Program.mutex``: the parked goroutine
  calls ``lock`` where it parked, the goroutine that woke it calls ``unlock`` at that point,
  and the Lock/Unlock calls the trace does not show (uncontended ones) are inferred from the
  mutex's recorded hold times, so the replay keeps mutual exclusion, not just the wake-ups;
* ``sync.WaitGroup.Wait`` waits on a real WaitGroup that every child exiting before the
  recorded wake-up calls ``Done`` on (the trace names only the last ``Done``);
* wake-ups by no goroutine (timers, the netpoller): at their recorded times since the start
  (``timers="recorded"``, a clock goroutine sends on the waiter's edge channel) or after their
  recorded blocked durations counted from the replayed park (``timers="relative"``: ``sleep``
  and ``net_wait``).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np

__all__ = ["Replay", "replay_program", "MUTEX_LOCK_FRAMES", "CLOCK_FUNC"]

#: the frames of a parked sync.Mutex.Lock (Go 1.24+ moved the body to internal/sync; the
#: runtime's stack walk may show either the exported method or the slow path)
MUTEX_LOCK_FRAMES = ("sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow",
                     "internal/sync.(*Mutex).Lock", "internal/sync.(*Mutex).lockSlow")
WAITGROUP_FRAMES = ("sync.(*WaitGroup).Wait",)
#: the synthetic goroutine that delivers recorded timer/network wake-ups (timers="recorded")
CLOCK_FUNC = "replay.clock"
TIMERS = ("recorded", "relative")


@dataclass
class Replay:
    """A recorded trace as a gmpcore Program: ``gmpcore.run(rp.program, procs=rp.procs)``.

    ``functions`` maps each recorded goid to its function name in the program;
    ``synthetic`` names the functions that are not recorded goroutines (the clock);
    ``approximations`` counts each approximation used (docs/replay.md)."""
    program: object
    graph: object
    procs: int
    clock_ghz: float
    scale: float
    main_goid: int
    functions: dict
    channels: int
    approximations: dict
    mutexes: int = 0
    timers: str = "recorded"
    synthetic: tuple = ()
    dependencies: int = 0         # recorded goroutine-to-goroutine wake-ups replayed as edges

    @property
    def goroutines(self) -> int:
        """Recorded goroutines the replay runs (a replayed run creates this many plus one per
        synthetic function)."""
        return len(self.functions)

    def recorded(self) -> dict:
        s = self.graph.summary()
        return {"wall_ns": s["wall_ns"], "latency_p50_ns": s["latency_p50_ns"],
                "latency_p90_ns": s["latency_p90_ns"], "goroutines": s["goroutines"],
                "edges": s["edges"]}

    def replayed_graph(self, res):
        """The goroutine graph of a replayed run (``gmpcore.run(..., trace=True)``): its Go
        trace goes through the same parser and graph code as the recording.  Returns
        (graph, {recorded goid: replayed goroutine})."""
        from .format import read_trace
        if getattr(res, "trace_records", None) is None:
            raise ValueError("measure() needs the run's scheduler trace: "
                             "gmpcore.run(rp.program, ..., trace=True)")
        fd, path = tempfile.mkstemp(suffix=".trace")
        os.close(fd)
        try:
            res.write_go_trace(path)
            g2 = read_trace(path).graph
        finally:
            os.unlink(path)
        by_func = {}
        for gr in g2.goroutines.values():
            by_func.setdefault(gr.func, gr)
        out = {}
        for goid, name in self.functions.items():
            gr = by_func.get(f"main.{name}")
            if gr is None and name == "main":
                gr = g2.goroutines.get(1)          # gmpcore's main goroutine is G1
            if gr is not None:
                out[goid] = gr
        return g2, out

    def measure(self, res) -> dict:
        """Wall time and scheduling latency of a replayed run, measured as the recording's
        are: latency p50/p90 over the run segments of the replayed goroutines that stand for
        recorded ones (not the clock), from the run's own Go trace.  Also the goroutine
        count (synthetic ones excluded) and the replayed unblock edges between them."""
        g2, m = self.replayed_graph(res)
        lat = np.array([s.wait for gr in m.values() for s in gr.segments if s.wait >= 0],
                       dtype=np.int64)
        return {"wall_ns": float(res.summary["emulated_ns"]),
                "latency_p50_ns": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
                "latency_p90_ns": float(np.percentile(lat, 90)) if len(lat) else float("nan"),
                "goroutines": int(res.summary["goroutines_created"]) - len(self.synthetic),
                "latencies": lat}


def _cycles(ns, clock_ghz, scale):
    return int(round(ns * clock_ghz * scale))


class _UF:
    def __init__(self):
        self.p = {}

    def find(self, x):
        self.p.setdefault(x, x)
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a, b):
        self.p[self.find(a)] = self.find(b)


def _frames(graph, s):
    return graph.trace.stacks[s.stack] if s.stack else ()


def _is_mutex_block(graph, s) -> bool:
    if s.kind != "block" or s.category != "sync":
        return False
    names = [fr[0] for fr in _frames(graph, s)]
    return any(n in MUTEX_LOCK_FRAMES for n in names) and not any("RWMutex" in n for n in names)


def _plan_mutexes(graph, running):
    """Infer every goroutine's Lock/Unlock calls on each parked-on sync.Mutex.

    Evidence: a parked Lock (a block whose stack is sync.(*Mutex).Lock) and the goroutine that
    woke it (its Unlock, at the wake-up time).  A chain of parks of one goroutine at the same
    stack with no Unlock of its own in between is one Lock call (a woken waiter that lost the
    race parks again: sync/mutex.go lockSlow).  Mutexes are told apart by the Lock's call
    site, merged when a goroutine unlocks a site's waiter while holding another site's lock.
    Calls the trace does not show are inferred: an Unlock with no Lock before it locked at
    (Unlock - the mutex's median recorded hold), and a Lock with no Unlock after it unlocks
    (median hold) after it resumed, both clipped to the run segment.

    Returns (blocks, acts, nmutex, stats): blocks maps (goid, segment) -> mutex id for the
    last park of each Lock call (the Lock is acquired after it), None for the earlier parks
    of the call; acts maps goid -> [(ns, "lock"|"unlock", mutex id)]."""
    gs = graph.goroutines
    mblocks = {}                                   # (goid, k) -> site
    for goid, g in gs.items():
        for k, s in enumerate(g.segments):
            if _is_mutex_block(graph, s):
                mblocks[(goid, k)] = s.where or str(s.stack)
    if not mblocks:
        return {}, {}, 0, {}
    # Unlock evidence: (unlocker goid, ns, site of the woken Lock)
    unl = {}
    for (goid, k), site in mblocks.items():
        s = gs[goid].segments[k]
        if s.unblocked_by in running and s.unblock_time >= 0:
            unl.setdefault(s.unblocked_by, []).append((s.unblock_time, site))
    for v in unl.values():
        v.sort()

    def unlocks_in(goid, t0, t1):
        return [u for u in unl.get(goid, ()) if t0 <= u[0] <= t1]

    # Lock calls: (goid, first park k, resume segment index or None, site)
    calls = []
    for goid, g in gs.items():
        k = 0
        n = len(g.segments)
        while k < n:
            if (goid, k) not in mblocks:
                k += 1
                continue
            first, site, stack = k, mblocks[(goid, k)], g.segments[k].stack
            while (k + 1 < n and (goid, k + 1) in mblocks
                   and g.segments[k + 1].stack == stack
                   and not unlocks_in(goid, g.segments[k + 1].start, g.segments[k + 1].end)):
                k += 1
            last = g.segments[k]
            resume = k + 1 if (last.unblock_time >= 0 and k + 1 < n) else None
            calls.append((goid, first, k, resume, site))
            k += 1
    # mutex identity: union the site of an unlocked waiter with the site of the unlocker's
    # latest parked Lock before it (the lock it most likely holds)
    uf = _UF()
    for site in mblocks.values():
        uf.find(site)
    latest = {}
    for goid, first, last, resume, site in calls:
        if resume is not None:
            latest.setdefault(goid, []).append((gs[goid].segments[resume].start, site))
    for goid, us in unl.items():
        mine = sorted(latest.get(goid, ()))
        for t, site in us:
            prev = [st for ts, st in mine if ts <= t]
            if prev:
                uf.union(site, prev[-1])
    roots = {}
    mid = {site: roots.setdefault(uf.find(site), len(roots)) for site in mblocks.values()}
    # median hold per mutex: from a parked Lock's resume to its goroutine's next Unlock of
    # that mutex inside the resumed segment
    holds = {}
    for goid, first, last, resume, site in calls:
        if resume is None:
            continue
        seg = gs[goid].segments[resume]
        end = seg.end if seg.end >= 0 else graph.end
        for t, s2 in unlocks_in(goid, seg.start, end):
            if mid[s2] == mid[site]:
                holds.setdefault(mid[site], []).append(t - seg.start)
                break
    hold = {m: int(np.median(v)) for m, v in holds.items()}
    # per goroutine and mutex: pair Locks with Unlocks in time order, inferring the missing
    blocks = {}
    for goid, first, last, resume, site in calls:
        for k in range(first, last):
            blocks[(goid, k)] = None
        blocks[(goid, last)] = mid[site]
    acts: dict = {}
    stats = {"mutex_locks_inferred": 0, "mutex_unlocks_inferred": 0}

    def seg_at(goid, t):
        for s in gs[goid].segments:
            e = s.end if s.end >= 0 else graph.end
            if s.start <= t <= e:
                return s
        return None

    per: dict = {}
    for goid, first, last, resume, site in calls:
        s = gs[goid].segments[last]
        per.setdefault((goid, mid[site]), []).append((s.end, 0, resume))
    for goid, us in unl.items():
        for t, site in us:
            per.setdefault((goid, mid[site]), []).append((t, 1, None))
    for (goid, m), evs in per.items():
        evs.sort(key=lambda e: (e[0], e[1]))
        h = hold.get(m, 0)
        held = None                                   # the resume segment of a held lock
        last_t = None
        out = acts.setdefault(goid, [])

        def release(resume_k):
            seg = gs[goid].segments[resume_k]
            end = seg.end if seg.end >= 0 else graph.end
            out.append((min(seg.start + h, end), "unlock", m))
            stats["mutex_unlocks_inferred"] += 1

        for t, kind, resume in evs:
            if kind == 0:                             # a parked Lock
                if held is not None:
                    release(held)
                held = resume if resume is not None else -1
                if held == -1:
                    held = None                      # never woke: nothing after it
                last_t = t
            else:                                     # an Unlock (it woke a waiter)
                if held is None:
                    seg = seg_at(goid, t)
                    lo = seg.start if seg is not None else t
                    if last_t is not None:
                        lo = max(lo, last_t)
                    out.append((min(max(t - h, lo), t), "lock", m))
                    stats["mutex_locks_inferred"] += 1
                out.append((t, "unlock", m))
                held = None
                last_t = t
        if held is not None:
            release(held)
    stats["mutex_hold_ns"] = hold
    return blocks, acts, len(roots), stats


def replay_program(graph, clock_ghz: float = 3.0, scale: float = 1.0,
                   main: int | None = None, timers: str = "recorded",
                   mutexes: bool = True) -> Replay:
    """Build a Program that reruns the recorded work with the recorded dependencies.

    Each goroutine becomes a function ``g<goid>``; the main goroutine (G1, or `main`)
    becomes ``main``.  Compute between two actions keeps its recorded duration (ns ->
    cycles at `clock_ghz`, times `scale`).  `timers`: "recorded" (wake-ups by timers and the
    network at their recorded times) or "relative" (after their recorded blocked durations,
    from the replayed park).  `mutexes`: replay parked sync.Mutex Locks as real mutexes
    (False: as wake-up edges only).  See docs/replay.md."""
    from ..program import Program
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if not clock_ghz > 0:
        raise ValueError(f"clock_ghz must be > 0, got {clock_ghz}")
    if timers not in TIMERS:
        raise ValueError(f"timers must be one of {TIMERS}, got {timers!r}")
    gs = graph.goroutines
    if not gs:
        raise ValueError("the trace names no goroutine: nothing to replay")
    if main is None:
        main = 1 if 1 in gs else min(gs)
    if main not in gs:
        raise ValueError(f"main goroutine G{main} is not in the trace")
    t0 = graph.start
    prog = Program()
    names = {goid: ("main" if goid == main else f"g{goid}") for goid in gs}
    approx = {"unblock_outside_run": 0, "create_outside_run": 0, "timer_wakeups": 0,
              "network_wakeups": 0, "never_unblocked": 0, "preemptions_merged": 0,
              "spawned_at_start": 0}
    running = {goid for goid, g in gs.items() if g.segments}
    # -- sync.Mutex
    if mutexes:
        mblocks, mut_acts, nmut, mstats = _plan_mutexes(graph, running)
    else:
        mblocks, mut_acts, nmut, mstats = {}, {}, 0, {}
    mus = [prog.mutex(f"mu{i}") for i in range(nmut)]
    approx["mutex_locks_inferred"] = mstats.get("mutex_locks_inferred", 0)
    approx["mutex_unlocks_inferred"] = mstats.get("mutex_unlocks_inferred", 0)
    # -- edge channels: one cap-1 channel per recorded unblock by a goroutine
    edge_chan: dict = {}        # (blocked goid, segment index or -1) -> channel
    sends: dict = {}            # unblocker goid -> list of (ns, channel)
    clock: list = []            # (recorded ns, channel): wake-ups the clock delivers
    never = None

    def chan_for(key):
        ch = edge_chan.get(key)
        if ch is None:
            ch = edge_chan[key] = prog.chan(f"e{len(edge_chan)}", cap=1)
        return ch

    for goid, g in gs.items():
        if g.first_unblock is not None and g.first_unblock[1] in running:
            sends.setdefault(g.first_unblock[1], []).append(
                (g.first_unblock[0], chan_for((goid, -1))))
        for k, s in enumerate(g.segments):
            if s.kind == "block" and s.unblocked_by in running:
                sends.setdefault(s.unblocked_by, []).append((s.unblock_time,
                                                             chan_for((goid, k))))
    # -- sync.WaitGroup.Wait: the trace names only the last Done (the goroutine whose Done
    # unblocked the waiter); the other Dones leave no event.  The waiter also waits on a
    # WaitGroup that every child of its exiting (in the recording) since its previous wait
    # and before the wake-up calls Done on as it exits; it Adds them when it starts, before
    # it creates any of them.
    joins: dict = {}            # (goid, segment index) -> WaitGroup
    join_adds: dict = {}        # goid -> [(WaitGroup, n)]
    exit_dones: dict = {}       # goid -> [WaitGroup]
    children: dict = {}
    for goid, g in gs.items():
        if g.creator is not None and g.creator >= 0:
            children.setdefault(g.creator, []).append(goid)
    for goid, g in gs.items():
        prev = -1
        for k, s in enumerate(g.segments):
            if s.kind != "block" or s.category != "sync" or s.unblock_time < 0:
                continue
            if not any(fr[0] in WAITGROUP_FRAMES for fr in _frames(graph, s)):
                continue
            done = [c for c in children.get(goid, [])
                    if gs[c].exited and prev < gs[c].segments[-1].end <= s.unblock_time]
            prev = s.unblock_time
            if done:
                wg = prog.waitgroup(f"join{len(joins)}")
                joins[(goid, k)] = wg
                join_adds.setdefault(goid, []).append((wg, len(done)))
                for c in done:
                    exit_dones.setdefault(c, []).append(wg)
    approx["waitgroup_joins"] = len(joins)
    # which goroutines main starts at time 0 (before the trace, or created by no goroutine)
    at_start = [goid for goid, g in gs.items()
                if goid != main and (g.creator is None or g.creator < 0
                                     or g.creator not in running)]
    approx["spawned_at_start"] = len(at_start)
    creates: dict = {}
    for goid, g in gs.items():
        if g.creator is not None and g.creator >= 0 and g.creator in running and goid != main:
            creates.setdefault(g.creator, []).append((g.created, goid))

    def c(ns):
        return _cycles(max(ns, 0), clock_ghz, scale)

    def wait_until(f, key, ts, park, network):
        """Wait for a wake-up no goroutine caused, recorded at `ts` (the park at `park`)."""
        approx["network_wakeups" if network else "timer_wakeups"] += 1
        if timers == "recorded":
            ch = chan_for(key)
            clock.append((ts, ch))
            f.recv(ch)
        elif network:
            f.net_wait(max(c(ts - park), 1))
        else:
            f.sleep(max(c(ts - park), 1))

    # the clock runs only if some wake-up needs it (the same conditions as wait_until below)
    use_clock = timers == "recorded" and any(
        (goid != main and g.segments and (
            (g.first_unblock is not None and g.first_unblock[1] not in running)
            or (g.first_unblock is None and g.creator is not None and g.creator < 0
                and g.created > t0)))
        or any(s.kind == "block" and s.unblocked_by not in running and s.unblock_time >= 0
               for s in g.segments)
        for goid, g in gs.items())
    funcs = {goid: prog.func(names[goid]) for goid in gs}
    # action order at one instant: an inferred Lock first; an Unlock before the wake-up it
    # causes (the edge send)
    prio = {"lock": 0, "go": 1, "unlock": 2, "send": 3}

    def act(f, kind, obj):
        # one recorded action: an edge send, a goroutine creation, an inferred Lock/Unlock
        if kind == "send":
            f.send(obj, 0)
        elif kind == "go":
            f.go(names[obj])
        elif kind == "lock":
            f.lock(mus[obj])
        else:
            f.unlock(mus[obj])
    for goid, g in gs.items():
        f = funcs[goid]
        for wg, n in join_adds.get(goid, ()):
            f.wg_add(wg, n)
        if goid == main:
            if use_clock:
                f.go(CLOCK_FUNC)
            for child in at_start:
                f.go(names[child])
        # a goroutine that existed before its first run: wait as the trace says
        first = g.segments[0] if g.segments else None
        if goid != main and first is not None:
            if g.first_unblock is not None:
                ts, by = g.first_unblock
                if by in running:
                    f.recv(edge_chan[(goid, -1)])
                else:
                    wait_until(f, (goid, -1), ts, t0, False)
            elif g.creator is not None and g.creator < 0 and g.created > t0:
                wait_until(f, (goid, -2), g.created, t0, False)
        acts = sorted([(ts, "send", ch) for ts, ch in sends.get(goid, [])]
                      + [(ts, "go", child) for ts, child in creates.get(goid, [])]
                      + list(mut_acts.get(goid, [])),
                      key=lambda a: (a[0], prio[a[1]]))
        ai = 0
        for k, s in enumerate(g.segments):
            end = s.end if s.end >= 0 else graph.end
            pos = s.start
            while ai < len(acts) and acts[ai][0] <= end:
                ts, kind, obj = acts[ai]
                if ts < s.start and kind in ("send", "go"):
                    approx["unblock_outside_run" if kind == "send" else
                           "create_outside_run"] += 1
                ts = max(ts, pos)
                if c(ts - pos):
                    f.compute(c(ts - pos))
                pos = ts
                act(f, kind, obj)
                ai += 1
            if c(end - pos):
                f.compute(c(end - pos))
            if s.kind == "exit":
                for wg in exit_dones.get(goid, ()):
                    f.wg_done(wg)
            if s.kind == "block":
                if (goid, k) in joins:
                    f.wg_wait(joins[(goid, k)])
                if s.unblocked_by in running:
                    f.recv(edge_chan[(goid, k)])
                elif s.unblock_time >= 0:
                    wait_until(f, (goid, k), s.unblock_time, s.end, s.category == "network")
                elif goid != main:
                    approx["never_unblocked"] += 1
                    if never is None:
                        never = prog.chan("never", cap=0)
                    f.recv(never)
                if mblocks.get((goid, k)) is not None:
                    # a parked Lock: woken by the recorded Unlock (the edge above: Unlock
                    # happens before the next Lock), then acquire the mutex itself
                    f.lock(mus[mblocks[(goid, k)]])
            elif s.kind == "stop":
                if s.category == "gosched":
                    f.gosched()
                else:
                    approx["preemptions_merged"] += 1
            elif s.kind == "syscall" and s.syscall_ns >= 0:
                f.syscall(max(c(s.syscall_ns), 1))
        # actions after the last segment (e.g. an unblock recorded while in a syscall)
        while ai < len(acts):
            ts, kind, obj = acts[ai]
            if kind in ("send", "go"):
                approx["unblock_outside_run" if kind == "send" else "create_outside_run"] += 1
            act(f, kind, obj)
            ai += 1
    synthetic = ()
    if bool(clock) != use_clock:          # the two conditions above must agree
        raise RuntimeError("replay: clock wake-ups and use_clock disagree (a bug)")
    if use_clock:
        # the clock: sleeps from one recorded wake-up to the next (times since the first
        # goroutine event) and delivers each on the waiter's edge channel
        synthetic = (CLOCK_FUNC,)
        f = prog.func(CLOCK_FUNC)
        prev = t0
        for ts, ch in sorted(clock, key=lambda x: x[0]):
            if c(ts - prev) > 0:
                f.sleep(c(ts - prev))
                prev = ts
            f.send(ch, 0)
    return Replay(program=prog, graph=graph, procs=max(graph.gomaxprocs, 1),
                  clock_ghz=clock_ghz, scale=scale, main_goid=main, functions=names,
                  channels=len(edge_chan), approximations=approx, mutexes=nmut,
                  timers=timers, synthetic=synthetic,
                  dependencies=sum(len(v) for v in sends.values()))
