"""gmpcore.plot: every plot draws something from the run's own data (Agg backend)."""
from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import gmpcore as gc  # noqa: E402
import gmpcore.export  # noqa: E402,F401
from gmpcore import plot as gp  # noqa: E402
from helpers import burst  # noqa: E402


@pytest.fixture(scope="module")
def res():
    return gc.run(burst(300), procs=4, seed=1, trace=True, sample_every_ns=2000)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def drawn(fig):
    """The number of things drawn on the figure's axes (a non-empty figure has some)."""
    assert isinstance(fig, Figure)
    return sum(len(ax.collections) + len(ax.lines) + len(ax.patches) + len(ax.images)
               for ax in fig.axes)


def test_runqueue_heatmap(res):
    fig = gp.runqueue_heatmap(res)
    assert drawn(fig) >= 2
    mesh = fig.axes[0].collections[0]
    # the heatmap is the sampled ring lengths, P by sample
    assert np.array_equal(np.asarray(mesh.get_array()).reshape(4, -1), res.sample_runq.T)
    assert drawn(res.plot_runqueues()) >= 2
    assert np.array_equal(fig.axes[1].lines[0].get_ydata(), res.sample_records["runqsize"])
    with pytest.raises(ValueError, match="schedtrace_ms"):
        gp.runqueue_heatmap(gc.run(burst(10), procs=2))


def test_latency_cdf_of_several_runs(res):
    other = gc.run(burst(300), procs=4, strategy="global", seed=1)
    fig = gp.latency_cdf({"go": res, "global": other})
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_xscale() == "log"
    for line, r in zip(ax.lines, (res, other)):
        y = line.get_ydata()
        assert y[-1] == pytest.approx(1.0) and np.all(np.diff(y) >= 0)
        assert len(y) == len(r.latency.cdf()[1])
    assert [t.get_text().split(":")[0] for t in ax.get_legend().get_texts()] == ["go", "global"]
    assert len(res.plot_latency(other).axes[0].lines) == 2
    assert len(gp.latency_cdf(res).axes[0].lines) == 1


def test_cache_traffic(res):
    fig = gp.cache_traffic(res)
    df = res.cache
    ax = fig.axes[0]
    assert len(ax.patches) == 4 * len(df) and drawn(fig) >= 5 * len(df)
    # the stacked bars add up to the accesses of each line class
    widths = np.array([p.get_width() for p in ax.patches]).reshape(4, len(df)).sum(axis=0)
    assert np.allclose(widths, df["accesses"].to_numpy())
    assert drawn(res.plot_cache()) > 0


def test_steal_matrix(res):
    fig = gp.steal_matrix(res)
    im = fig.axes[0].images[0]
    mat = np.ma.filled(im.get_array(), 0)
    assert mat.shape == (4, 4) and mat.sum() == res.steals["n"].sum() > 0
    st = res.steals
    for (thief, victim), n in st.groupby(["thief", "victim"])["n"].sum().items():
        assert mat[thief, victim] == n
    assert np.ma.filled(gp.steal_matrix(res, what="steals").axes[0].images[0].get_array(),
                        0).sum() == len(st)
    assert drawn(res.plot_steals()) > 0
    quiet = gc.run(burst(3, work=100), procs=1)
    assert len(gp.steal_matrix(quiet).axes[0].images) == 1      # an empty matrix still draws


def test_goroutine_timeline(res):
    fig = gp.goroutine_timeline(res)
    ax = fig.axes[0]
    k = gc.export._common.KIND
    starts = int((res.trace_records["kind"] == k["GoStart"]).sum())
    bars = sum(len(c.get_paths()) for c in ax.collections)
    assert bars == starts                              # one bar per goroutine run
    steals = int((res.trace_records["kind"] == k["Steal"]).sum())
    assert len([t for t in ax.texts if t.arrow_patch is not None]) == steals
    assert drawn(res.plot_timeline(show_steals=False)) > 0
    with pytest.raises(ValueError, match="max_slices"):
        gp.goroutine_timeline(res, max_slices=10)
    with pytest.raises(ValueError, match="trace=True"):
        gp.goroutine_timeline(gc.run(burst(10), procs=2))


def test_goroutine_timeline_draws_the_shared_runs(res):
    fig = gp.goroutine_timeline(res, show_steals=True)
    ax = fig.axes[0]
    iv = gc.export.intervals(res)
    spans = sorted((round(p.vertices[:, 0].min(), 6), round(p.vertices[:, 1].min() + 0.4))
                   for c in ax.collections for p in c.get_paths())
    us = 1 / 3000                                     # cycles -> µs at 3 GHz
    want = sorted((round(s * us, 6), p) for s, p in iv.runs[["start", "p"]].tolist())
    assert spans == want
    assert len([t for t in ax.texts if t.arrow_patch is not None]) == len(iv.steals) > 0


def test_goroutine_timeline_leaves_out_a_wall_of_steal_arrows():
    big = gc.run(gc.workloads.burst(2000, gc.Exponential(5000)), procs=8, seed=3, trace=True)
    nsteals = int((big.trace_records["kind"] == gc.export._common.KIND["Steal"]).sum())
    assert nsteals > 50
    ax = gp.goroutine_timeline(big).axes[0]
    assert not [t for t in ax.texts if t.arrow_patch is not None]
    assert f"{nsteals:,} steals: arrows off above 50" in ax.get_title()
    ax = gp.goroutine_timeline(big, max_steal_arrows=nsteals).axes[0]
    assert len([t for t in ax.texts if t.arrow_patch is not None]) == nsteals


def _labels(axis):
    axis.figure.canvas.draw()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_tick_labels_have_thousands_separators(res):
    other = gc.run(burst(300), procs=4, strategy="global", seed=1)
    ax = gp.latency_cdf({"go": res, "global": other}).axes[0]
    assert any("," in t for t in _labels(ax.xaxis)), _labels(ax.xaxis)
    # the axis starts at the decade below the 0.5th percentile, not at the ns of a G that
    # ran the moment it was readied
    low = min(r.latency.percentile(0.5) for r in (res, other))
    assert ax.get_xlim()[0] == 10 ** np.floor(np.log10(low))
    ax = gp.cache_traffic(res).axes[0]
    assert any("," in t for t in _labels(ax.xaxis))


def test_cache_traffic_tells_memory_from_miss_rate(res):
    from matplotlib.colors import same_color
    ax, ax2 = gp.cache_traffic(res).axes[:2]
    n = len(res.cache)
    memory = ax.patches[3 * n]                         # the fourth stacked series
    assert not same_color(memory.get_facecolor(), ax2.patches[0].get_facecolor())


def test_strategy_matrix_titles_and_error_bars():
    wl = {"burst": gc.workloads.burst(500, 2000), "tree": gc.workloads.tree(500, 2000, fanout=8)}
    df = gc.experiments.strategy_matrix(wl, ["go", "global"], procs=2, seeds=(1, 2))
    fig = gp.strategy_matrix(df)
    assert [ax.get_title() for ax in fig.axes] == [
        "scheduling latency p50 (ns)", "scheduling latency p99 (ns)", "cache miss rate"]
    ax = fig.axes[1]
    # one error bar per bar: one standard deviation of the metric across the two seeds
    from matplotlib.container import BarContainer
    bars = [c for c in ax.containers if isinstance(c, BarContainer)][0]
    std = df[df["strategy"] == "go"].groupby("workload", sort=False)["latency_p99_ns"].std()
    segs = bars.errorbar.lines[2][0].get_segments()
    assert [round(s[1][1] - s[0][1], 3) for s in segs] == \
        [round(2 * std[w], 3) for w in ("burst", "tree")]
    assert "std across seeds" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="no column 'nope'"):
        gp.strategy_matrix(df, metrics=("nope",))
