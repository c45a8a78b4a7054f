"""Regenerate the figures of docs/gallery (referenced from docs/observability.md).

    python scripts/make_gallery.py [outdir]

Every figure comes from gmpcore.plot on a small, seeded run, so the gallery is reproducible.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import gmpcore  # noqa: E402
from gmpcore import plot as gp  # noqa: E402
from gmpcore.experiments import strategy_matrix  # noqa: E402
from gmpcore.workloads import burst, tree  # noqa: E402


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig, name):
        path = out / name
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)

    prog = burst(20_000, gmpcore.Exponential(5000))
    go = gmpcore.run(prog, procs=8, seed=1, sample_every_ns=5_000)
    glob = gmpcore.run(prog, procs=8, strategy="global", seed=1)
    save(gp.runqueue_heatmap(go), "runqueues.png")
    save(gp.latency_cdf({"go (per-P queues + stealing)": go, "global (one locked queue)": glob}),
         "latency_cdf.png")
    save(gp.cache_traffic(go), "cache.png")
    save(gp.steal_matrix(go), "steals.png")
    small = gmpcore.run(burst(60, gmpcore.Exponential(20_000)), procs=4, seed=2, trace=True)
    save(gp.goroutine_timeline(small), "timeline.png")
    # a 2,000-goroutine burst: too many steals for arrows (show_steals=None leaves them out)
    big = gmpcore.run(burst(2_000, gmpcore.Exponential(5000)), procs=8, seed=3, trace=True)
    save(gp.goroutine_timeline(big), "timeline_burst.png")
    df = strategy_matrix({"burst": burst(3_000, 2000), "tree": tree(3_000, 2000, fanout=8)},
                         ["go", "global", "tokio"], procs=4, seeds=(1, 2, 3))
    save(gp.strategy_matrix(df), "strategy_matrix.png")
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else
                  Path(__file__).resolve().parent.parent / "docs" / "gallery"):
        print(p)
