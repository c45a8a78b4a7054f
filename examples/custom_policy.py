"""Write your own stealing policy in 15 lines.

A kernel is a plain Python function compiled by Numba for one scheduler hook and called from
the native loop (no Python per call).  Here: steal from the P whose ring is, by the engine's
cheap random draw, the next in a random stride -- Go's own order -- and take a third instead of
half of the victim's ring.  Run:  python examples/custom_policy.py
"""
import gmpcore
from gmpcore import workloads


@gmpcore.kernel("choose_victim")
def go_victim_order(thief, nprocs, pass_, i, r, coprimes, ncoprimes):
    # runtime/proc.go stealOrder: start at r % nprocs, stride coprime to nprocs
    if i >= nprocs:
        return -1                                   # this pass is over
    inc = coprimes[(r // nprocs) % ncoprimes]
    return (r % nprocs + i * inc) % nprocs


@gmpcore.kernel("steal_amount")
def steal_a_third(victim_len, thief, victim, ring_cap):
    return (victim_len + 2) // 3                    # ceil(n/3) instead of Go's ceil(n/2)


mine = gmpcore.Strategy(name="third", victim=go_victim_order, steal_amount=steal_a_third)

if __name__ == "__main__":
    prog = workloads.burst(200_000, gmpcore.Exponential(2000))
    for strat in ("go", mine):
        res = gmpcore.run(prog, procs=16, strategy=strat, seed=1, record=False)
        s = res.summary
        print(f"{s['strategy']:>6}: mean latency {s['latency_mean_ns']:7.0f} ns, "
              f"p99 {s['latency_p99_ns']:7.0f} ns, steals {s['steals']:,}")
