"""Every plot of ``mastref verify --quick`` and of the quick experiments, held to its invariants
(``mastref.plotting``): title, axis labels in words, legend entries for what is drawn and only
for it, the measured curve grey exactly where the check does not compare it, the bound's
neighbourhood drawn when the claim has one, and y-limits that frame the measured data (no
round-off plateau, no 1e105 axis). Figures are inspected through matplotlib's object API, never
as pixels.
"""

from __future__ import annotations

import math
import re
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import mastref as mr  # noqa: E402
import mastref.experiments as ex  # noqa: E402
from mastref.catalogue import catalogue  # noqa: E402
from mastref.plotting import (  # noqa: E402
    GREY,
    MAX_MARKERS,
    figure_problems,
    marker_count,
    quantity_label,
    x_label,
)
from mastref.report import proved_ceiling, run_check  # noqa: E402
from mastref.verify import CheckResult, judge  # noqa: E402
from mastref.verify.instances import QuadraticFamily  # noqa: E402
from mastref.verify.plot import check_figure, worst_case_figure  # noqa: E402

CHECKS = list(catalogue())
CODE_WORDS = ("dist2", "value_gap", "grad_norm2", "lyapunov", "gamma", "tau=", "lam=", "CBs")


@pytest.fixture(scope="module")
def results():
    return {name: run_check(name, quick=True) for name in CHECKS}


def _labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def _line(ax, prefix: str):
    found = [
        h for h, lab in zip(*ax.get_legend_handles_labels(), strict=True) if lab.startswith(prefix)
    ]
    assert len(found) == 1, (prefix, _labels(ax))
    return found[0]


def _render(fig, tmp_path, name: str) -> None:
    """Save as PNG with every warning an error (a glyph missing from the font, say)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(tmp_path / f"{name}.png", dpi=60)


def _no_overlap(labels) -> bool:
    boxes = [t.get_window_extent() for t in labels if t.get_text()]
    boxes.sort(key=lambda b: b.x0)
    return all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_every_kind_of_plot_is_covered(results):
    kinds = {c.kind for c in catalogue().values()}
    assert kinds >= {"stress", "application", "prediction", "counterexample"}
    assert any(r.method.startswith("Monte Carlo") for r in results.values())
    assert any(r.quantity == "lyapunov" for r in results.values())
    assert any("gamma" in r.xlabel for r in results.values())
    assert any(r.verdict == "violated" for r in results.values())


@pytest.mark.parametrize("name", CHECKS)
def test_check_plot_invariants(results, name, tmp_path):
    r = results[name]
    ceiling = proved_ceiling(r)
    fig = check_figure(r, ceiling=ceiling)
    (ax,) = fig.axes
    fig.canvas.draw()
    _render(fig, tmp_path, name)
    assert figure_problems(fig) == []

    # title: the check and its verdict; the theorem, the law and the step
    head, *rest = ax.get_title().split("\n")
    assert head.startswith(f"{r.name}: {r.verdict}")
    where = " · ".join(rest)
    assert r.theorem in where and r.law and r.law in where
    assert ("γ = " in where) or ("γ swept" in where)
    # axes in words
    assert ax.get_xlabel() == x_label(r.xlabel) and ax.get_ylabel() == quantity_label(
        r.quantity, r.algorithm, r.theorem
    )
    assert not any(w in ax.get_ylabel() + ax.get_xlabel() for w in CODE_WORDS)
    assert ax.get_legend() is not None

    labels = _labels(ax)
    over_steps = r.xlabel == "step t"
    checked = r.checked()
    measured = np.asarray(r.measured, float)
    bottom, top = ax.get_ylim()

    # the measured curve: coloured exactly where the check compares it with the bound
    line = _line(ax, "measured, ")
    y = np.asarray(line.get_ydata(), float)
    off = np.zeros(measured.shape, bool)
    if any(lab.startswith("off the scale") for lab in labels):
        xs = _line(ax, "off the scale").get_xdata()
        off = np.isin(r.steps, xs)
        assert not over_steps and not np.any(checked & off)
    np.testing.assert_array_equal(np.isnan(y), ~checked | off | ~np.isfinite(measured))
    unchecked = ~checked & ~off & np.isfinite(measured)
    if unchecked.any():
        assert any(lab.startswith("not checked: ") for lab in labels)
        grey = [g for g in ax.get_lines() if g.get_color() == GREY]
        assert grey and np.all(np.isfinite(np.asarray(grey[0].get_ydata(), float)[unchecked]))
    else:
        assert not any(lab.startswith("not checked") for lab in labels)

    # the band: drawn and listed when (and only when) the measurement is Monte Carlo
    monte_carlo = r.method.startswith("Monte Carlo")
    assert any(lab.startswith("confidence band") for lab in labels) == monte_carlo
    assert any(isinstance(c, PolyCollection) for c in ax.collections) >= monte_carlo

    # the bound, and its neighbourhood when the claim has one
    bound_line = _line(ax, f"bound ({r.theorem})")
    finite = np.isfinite(r.bound)
    np.testing.assert_allclose(bound_line.get_ydata(), r.bound[finite])
    floor = np.atleast_1d(np.asarray(r.neighbourhood, float))
    has_floor = bool(np.any(np.isfinite(floor) & (floor > r.resolution)))
    assert any(lab.startswith("its neighbourhood") for lab in labels) == has_floor
    if has_floor:
        drawn = np.asarray(_line(ax, "its neighbourhood").get_ydata(), float)
        assert np.all((drawn > bottom) & (drawn < top))
        np.testing.assert_allclose(
            np.unique(drawn), np.unique(floor[np.isfinite(floor) & (floor > 0)])
        )

    # violated and inconclusive points are marked, where they are
    verdicts = r.point_verdicts()[0]
    for kind in ("violated", "inconclusive"):
        at = verdicts == kind
        assert any(lab.startswith(kind) for lab in labels) == bool(at.any())
        if at.any():  # one marker each, or (beyond MAX_MARKERS) a band over the same points
            marked = _line(ax, kind)
            y = np.asarray(marked.get_ydata(), float)
            np.testing.assert_array_equal(
                np.asarray(marked.get_xdata())[np.isfinite(y)], r.steps[at]
            )
            assert marker_count(marked) <= MAX_MARKERS

    # the resolution: drawn when (and only when) the data reach it, and then inside the frame
    reach = bool(
        np.any(finite & ~checked) or np.any(np.isfinite(measured) & (measured <= r.resolution))
    )
    shown = [lab for lab in labels if lab.startswith("numerical resolution")]
    assert bool(shown) == (reach and r.resolution > 0)
    if shown:
        assert bottom < r.resolution < top

    # the frame covers every finite measured value above the resolution that is on the scale
    keep = np.isfinite(measured) & (measured > r.resolution) & ~off
    assert np.all((measured[keep] >= bottom) & (measured[keep] <= top))
    # ... and is framed by the data: no axis decades beyond them (round-off, a 1e105 axis)
    framed = np.concatenate([measured[keep], r.bound[checked], floor[floor > r.resolution]])
    lowest = min(framed.min(), r.resolution) if shown else framed.min()
    if ax.get_yscale() == "log":
        assert 0 < bottom and bottom >= lowest / 100 and top <= 100 * framed.max()
    else:
        span = framed.max() - lowest
        assert bottom >= lowest - 0.25 * span and top <= framed.max() + 0.25 * span

    # a proved ceiling: c * bound at the counted points, never below the measurement there
    drawn = [lab for lab in labels if lab.startswith("proved ceiling")]
    assert len(drawn) == int(over_steps and math.isfinite(ceiling) and ceiling > 0)
    if drawn:
        at = r.late_mask() & checked & (r.bound > 0)
        line = _line(ax, "proved ceiling")
        np.testing.assert_array_equal(line.get_xdata(), r.steps[at])
        np.testing.assert_allclose(line.get_ydata(), ceiling * r.bound[at], rtol=1e-15)
        assert np.all(measured[at] <= ceiling * r.bound[at] * (1 + 1e-9)), (name, ceiling)

    if not over_steps:  # a sweep: one readable tick per point
        ticks = [t for t in ax.get_xticklabels() if t.get_text()]
        assert len(ticks) == np.unique(r.steps).size and _no_overlap(ticks)
    if "gamma" in r.xlabel:  # ... and the step limit marked
        gamma_max = _line(ax, "γ_max")
        assert np.all(np.asarray(gamma_max.get_xdata(), float) == 1.0)


def _synthetic(measured, bound, half_width=0.0, **kw):
    steps = kw.pop("steps", np.arange(len(measured), dtype=float))
    m = np.asarray(measured, float)
    return judge(
        CheckResult(
            name="synthetic",
            theorem="Theorem 1",
            instance="-",
            quantity="dist2",
            method="Monte Carlo (R=50)" if half_width else "exact (§6 recursion)",
            gamma_ratio=1.0,
            steps=steps,
            measured=m,
            lower=m - half_width,
            upper=m + half_width,
            bound=np.asarray(bound, float),
            law="RandK(d=2, k=1)",
            **kw,
        )
    )


def test_a_bound_far_below_the_resolution_does_not_stretch_the_axis():
    """A bound decaying to 1e-110 while the measurement sits on its round-off floor: the frame
    stops half a decade or so below the resolution, the unchecked stretch is hatched and grey."""
    t = np.arange(301.0)
    bound = 0.43**t
    measured = np.maximum(0.42**t, 3e-16)
    r = _synthetic(measured, bound, resolution=1e-10)
    assert r.verdict == "holds" and bound.min() < 1e-109
    ax = check_figure(r).axes[0]
    bottom, top = ax.get_ylim()
    assert 1e-12 < bottom < 1e-10 and 1 < top < 10
    labels = _labels(ax)
    assert "not checked: bound below the resolution" in labels
    assert any(lab.startswith("numerical resolution 1e-10") for lab in labels)


def test_a_diverged_sweep_point_is_a_marker_not_an_axis():
    x = 2.0 ** np.arange(-3, 4)
    measured = np.array([0.15, 0.02, 0.013, 0.029, 0.081, 4.5e20, np.inf])
    bound = np.array([4.0, 5.8, 10.2, 19.9, np.inf, np.inf, np.inf])
    r = _synthetic(measured, bound, steps=x, xlabel="gamma / gamma_max", neighbourhood=0.0)
    ax = check_figure(r).axes[0]
    bottom, top = ax.get_ylim()
    assert top < 100 and bottom > 1e-3
    marker = _line(ax, "off the scale")
    np.testing.assert_array_equal(marker.get_xdata(), [4.0, 8.0])
    assert [t.get_text() for t in ax.texts] == ["↑ 4.5e+20", "↑ overflow"]
    # on the top edge of the frame, at no height of the y-axis
    assert np.all(np.asarray(marker.get_ydata()) == 1.0) and marker.get_transform() != ax.transData
    assert not any(lab.startswith("its neighbourhood") for lab in _labels(ax))  # floor 0: none
    assert any(lab.startswith("γ_max") for lab in _labels(ax))


def test_a_monte_carlo_check_shows_its_band_and_where_it_is_inconclusive():
    t = np.arange(11.0)
    bound = 0.8**t + 0.1
    measured = bound - 0.02  # the band (half-width 0.05) straddles the bound everywhere
    r = _synthetic(measured, bound, half_width=0.05, neighbourhood=0.1)
    assert r.verdict == "inconclusive"
    ax = check_figure(r).axes[0]
    labels = _labels(ax)
    assert "confidence band (one-sided, false alarm 0.001)" in labels
    np.testing.assert_array_equal(_line(ax, "inconclusive").get_xdata(), t)
    assert "its neighbourhood (floor) = 0.1" in labels
    assert not any(lab.startswith("violated") for lab in labels)


def test_worst_case_plot_marks_the_worst_point(tmp_path):
    family = QuadraticFamily(d=2, sketches=("randk",), step_fraction=(1, 1))
    w = mr.worst_case(mr.theorem1, family, n_steps=40, budget=40, rng=0, progress=False)
    fig = worst_case_figure(w)
    (ax,) = fig.axes
    fig.canvas.draw()
    assert figure_problems(fig) == []
    assert ax.get_title().startswith(f"worst case of {w.claim}: {w.verdict}, ratio")
    star = _line(ax, "worst measured/bound")
    k = int(np.flatnonzero(w.result.steps == w.t)[0])
    assert star.get_xdata()[0] == w.t and star.get_ydata()[0] == w.result.measured[k]
    assert w.result.measured[k] / w.result.bound[k] == pytest.approx(w.ratio, rel=1e-9)
    _render(fig, tmp_path, "worst")
    w.plot(tmp_path / "w.png")
    assert (tmp_path / "w.png").stat().st_size > 1000


# ------------------------------------------------------------------------------------------------
# The experiment figures (quick mode, synthetic data, serial)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def experiment_figures(tmp_path_factory):
    figures: dict = {}
    save = ex._save_figure

    def keep(fig, path):
        figures[path.stem] = fig
        save(fig, path)

    out = tmp_path_factory.mktemp("experiments")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ex, "_save_figure", keep)
        summaries = {
            name: run(None, out, quick=True, backend="serial", progress=False)
            for name, run in ex.EXPERIMENTS.items()
        }
    return figures, summaries


def _data_lines(ax):
    """The lines drawn in data coordinates with finite values (not axhline / axvline)."""
    return [
        line
        for line in ax.get_lines()
        if line.get_transform() == ax.transData and np.isfinite(line.get_xydata()).any()
    ]


@pytest.mark.parametrize("name", list(ex.EXPERIMENTS))
def test_experiment_figure_invariants(experiment_figures, name, tmp_path):
    figures, _ = experiment_figures
    fig = figures[name]
    fig.canvas.draw()
    _render(fig, tmp_path, name)
    assert figure_problems(fig) == []
    suptitle = fig.get_suptitle()
    for ax in fig.axes:
        assert (ax.get_title() or suptitle) and ax.get_xlabel() and ax.get_ylabel()
        words = ax.get_title() + suptitle + ax.get_xlabel() + ax.get_ylabel()
        assert not any(w in words for w in CODE_WORDS)
        assert "synthetic a5a-like data" in ax.get_title() + suptitle or name == "subsampling"
        assert (ax.get_legend() is not None or fig.legends) and _labels(ax)
        bottom, top = ax.get_ylim()
        for line in _data_lines(ax):
            y = np.asarray(line.get_ydata(), float)
            y = y[np.isfinite(y)]
            assert np.all((y >= bottom) & (y <= top)), (name, line.get_label())
        if ax.get_yscale() == "log":
            assert 0 < bottom and top / bottom < 1e4  # framed, not stretched
        fills = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_paths()]
        legend = ax.get_legend() or fig.legends[0]
        listed = [t.get_text() for t in legend.get_texts()]
        assert any(t.startswith(("confidence band", "bands:")) for t in listed) == bool(fills)


def test_subsampling_panels_draw_bound_and_neighbourhood(experiment_figures):
    figures, summaries = experiment_figures
    panels = [ax for ax in figures["subsampling"].axes if ax.get_title().startswith("τ = ")]
    assert len(panels) == 4
    (legend,) = figures["subsampling"].legends
    listed = [t.get_text() for t in legend.get_texts()]
    assert any(t.startswith("confidence band") for t in listed)
    for ax in panels:
        labels = _labels(ax)
        assert "Theorem 3 bound" in labels
        (floor,) = [lab for lab in labels if lab.startswith("its neighbourhood (floor) = ")]
        y = _line(ax, "its neighbourhood").get_ydata()[0]
        assert float(floor.rsplit("= ", 1)[1]) == pytest.approx(y, rel=1e-2)
        assert ax.get_ylim()[0] < y < ax.get_ylim()[1]
        assert "γ = " in ax.get_title() and "γ_max" in ax.get_title()


def test_stepsize_sweep_marks_gamma_max_with_readable_ticks(experiment_figures):
    figures, summaries = experiment_figures
    (ax,) = figures["stepsize"].axes
    assert np.all(np.asarray(_line(ax, "γ_max").get_xdata(), float) == 1.0)
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks == ["1/4", "1/2", "1", "2", "4", "8", "16", "32", "64", "128", "256"]
    assert _no_overlap(ax.get_xticklabels())
    start = _line(ax, "start f_D(x_0) = log 2")
    assert start.get_ydata()[0] == pytest.approx(math.log(2))
    # the ratio where each sparsity first ends above the start is drawn above that line
    for q in (0.1, 0.5, 0.9):
        (curve,) = [ln for ln in _data_lines(ax) if ln.get_label() == f"q = {q:g}"]
        x, y = np.asarray(curve.get_xdata(), float), np.asarray(curve.get_ydata(), float)
        first = x[np.flatnonzero(y > math.log(2))[0]]
        assert first == summaries["stepsize"][f"diverges_from_q{q}"]


# ------------------------------------------------------------------------------------------------
# Each invariant of figure_problems trips on a figure made deliberately bad
# ------------------------------------------------------------------------------------------------


def _axes(title="a figure", xlabel="iteration t", ylabel="value"):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig, ax


def test_a_legend_over_the_data_is_a_problem_until_it_moves_outside():
    from mastref.plotting import settle_legends

    fig, ax = _axes()
    rng = np.random.default_rng(0)
    for k in range(3):  # noise over the whole frame: no free corner
        ax.plot(np.linspace(0, 1, 300), rng.uniform(size=300), label=f"run {k}")
    ax.legend(loc="center")
    (problem,) = figure_problems(fig)
    assert problem.startswith("axes 0: the legend covers plotted data")
    settle_legends(fig)
    assert figure_problems(fig) == []
    assert ax.get_legend().get_window_extent().x0 >= ax.bbox.x1  # outside, to the right


def test_a_legend_in_a_free_corner_is_kept_inside():
    from mastref.plotting import settle_legends

    fig, ax = _axes()
    t = np.linspace(0, 1, 100)
    ax.plot(t, t**2, label="measured")
    ax.plot(t, t**2 + 0.1, "--", label="bound")
    ax.legend(loc="lower right")  # the curves run through the lower right? no: through (1, 1)
    settle_legends(fig)
    assert figure_problems(fig) == []
    box = ax.get_legend().get_window_extent()
    assert ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1  # inside


def test_coinciding_curves_must_be_told_apart_or_merged():
    t = np.arange(1.0, 101.0)
    curve = 0.9**t + 0.01

    def figure(upper_style="-", lower_width=2.0, upper_label="exact step"):
        fig, ax = _axes()
        ax.plot(t, curve, "-", lw=lower_width, label="paper step")
        ax.plot(t, curve * (1 + 1e-4), upper_style, lw=2.0, label=upper_label)
        ax.set_yscale("log")
        ax.legend(loc="upper right")
        return fig

    (problem,) = figure_problems(figure())
    assert "'exact step' hides 'paper step'" in problem
    assert figure_problems(figure(upper_style="--")) == []  # the lower shows in the gaps
    # ... but not when both are dashed alike (two coinciding bounds)
    fig, ax = _axes()
    ax.plot(t, curve, "--", label="bound, law A")
    ax.plot(t, curve, "--", label="bound, law B")
    ax.legend(loc="upper right")
    assert any("'bound, law B' hides 'bound, law A'" in p for p in figure_problems(fig))
    assert figure_problems(figure(lower_width=5.0)) == []  # the lower shows around the upper
    assert figure_problems(figure(upper_label="_nolegend_")) == []  # one legend entry
    # curves that meet at one point but part elsewhere are not coinciding
    fig, ax = _axes()
    ax.plot(t, curve, label="a")
    ax.plot(t, curve * (1 + t / 10), label="b")
    ax.legend(loc="upper right")
    assert figure_problems(fig) == []


def test_more_than_fifty_markers_must_be_aggregated():
    from mastref.plotting import mark_points

    t = np.arange(300.0)
    y = 1 / (1 + t)
    fig, ax = _axes()
    ax.plot(t, y, label="measured")
    ax.plot(t[100:], y[100:], "x", color="tab:red", label="violated")
    ax.legend(loc="upper right")
    (problem,) = figure_problems(fig)
    assert "'violated' draws 200 markers" in problem
    fig, ax = _axes()
    ax.plot(t, y, label="measured")
    line = mark_points(
        ax, t, y, t >= 100, marker="x", color="tab:red", label="violated", x_name="t"
    )
    ax.legend(loc="upper right")
    assert figure_problems(fig) == [] and marker_count(line) == 0
    assert line.get_label() == "violated: 200 points, t = 100 to 299"
    fig, ax = _axes()  # 50 markers are fine
    ax.plot(t[:50], y[:50], "x", label="a few")
    assert figure_problems(fig) == []


@pytest.mark.parametrize(
    ("label", "bad"),
    [
        ("min_{s<t} E‖∇f_D(x_s)‖²", True),
        ("E f_D(x_t) − f_D^{inf}", True),
        (r"\nabla f", True),
        (r"$\min_{s<t}\,\mathbb{E}\,\|\nabla f_D(x_s)\|^2$", False),
        ("E‖x_t − x_D*‖² (plain words)", False),
        (r"cost in \$ of $x^{2}$", False),
    ],
)
def test_tex_outside_mathtext_is_a_problem(label, bad, tmp_path):
    fig, ax = _axes(ylabel=label)
    ax.plot([1, 2, 3])
    assert bool(figure_problems(fig)) == bad
    if not bad:
        _render(fig, tmp_path, "mathtext")  # and mathtext renders every symbol used


def test_every_quantity_label_is_mathtext_that_renders(tmp_path):
    for quantity in ("dist2", "value_gap", "grad_norm2_min", "dist2 at T", "lyapunov"):
        for algorithm, theorem in (("dsgd", "Theorem 1"), ("distributed_dsgd", "Theorem 4b")):
            fig, ax = _axes(ylabel=quantity_label(quantity, algorithm, theorem))
            ax.plot([1, 2, 3])
            assert figure_problems(fig) == []
            _render(fig, tmp_path, "label")


def test_a_band_in_the_legend_must_be_visible():
    from mastref.plotting import band_entry, draw_measured

    t = np.arange(1.0, 101.0)
    mean = 1 + 0.5 * np.exp(-t / 30)

    def figure(half):
        fig, ax = _axes()
        draw_measured(ax, t, mean, lower=mean - half, upper=mean + half)
        ax.set_ylim(0.9, 2.5)  # room above the curve for the legend
        ax.legend(loc="upper right")
        return fig, ax

    fig, ax = figure(1e-5)  # far thinner than the line
    (problem,) = figure_problems(fig)
    assert "the band 'confidence band' is in the legend but not visible" in problem
    assert figure_problems(figure(0.05)[0]) == []  # a band the reader can see
    # the fix for a thin band: say so in the legend instead of showing a patch
    fig, ax = _axes()
    draw_measured(ax, t, mean, lower=mean - 1e-5, upper=mean + 1e-5, band_label="_nolegend_")
    ax.set_ylim(0.9, 2.5)
    fig.draw_without_rendering()
    handles, labels = ax.get_legend_handles_labels()
    handle, label = band_entry([ax], 1e-5, "confidence band")
    ax.legend([*handles, handle], [*labels, label], loc="upper right")
    assert label.endswith("thinner than the line") and figure_problems(fig) == []
    # a figure legend with a band patch needs one visible band in the figure
    fig, ax = _axes()
    draw_measured(ax, t, mean, lower=mean - 1e-5, upper=mean + 1e-5, band_label="_nolegend_")
    from matplotlib.patches import Patch

    fig.legend([Patch(color="0.5", alpha=0.25)], ["confidence band"], loc="lower center")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    assert any("no band of the figure is visible" in p for p in figure_problems(fig))


# ------------------------------------------------------------------------------------------------
# The gallery: every figure followed by one sentence to conclude, held true by an assert
# ------------------------------------------------------------------------------------------------

GALLERY = sorted((Path(__file__).parents[1] / "docs" / "examples").glob("plot_*.py"))


def _docs_ext():
    import importlib
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "_ext"))
    try:
        return importlib.import_module("mastref_docs")
    finally:
        sys.path.pop(0)


def _blocks(source: str):
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(source)
    try:
        return split_code_and_text_blocks(fh.name)[1]
    finally:
        Path(fh.name).unlink()


BAD_EXAMPLE = '''"""
Title
=====

Intro.
"""

import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ratio = 0.5
{code}
# %%
{text}
'''


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("assert ratio < 1", "# **Conclusion.** The bound holds: the ratio is 0.5.", []),
        ("", "# **Conclusion.** The bound holds.", ["asserts nothing about its numbers"]),
        ("assert ratio < 1", "# The bound holds.", ["not followed by a '**Conclusion.**'"]),
        ("assert ratio < 1", "# **Conclusion.** It holds. It is loose.", ["must be one sentence"]),
        ("assert ratio < 1", "# **Conclusion.**", ["must be one sentence"]),
    ],
)
def test_a_gallery_figure_needs_an_assert_and_one_concluding_sentence(code, text, expected):
    blocks = _blocks(BAD_EXAMPLE.format(code=code, text=text))
    (index,) = [k for k, b in enumerate(blocks) if b.type == "code" and "subplots" in b.content]
    problems = _docs_ext().conclusion_problems(blocks, index)
    assert len(problems) == len(expected)
    assert all(e in p for e, p in zip(expected, problems, strict=True))


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_every_gallery_figure_is_concluded(path):
    """Static twin of the documentation build's check: a code block that opens a figure."""
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    blocks = split_code_and_text_blocks(str(path))[1]
    drawing = [
        k
        for k, b in enumerate(blocks)
        if b.type == "code" and re.search(r"plt\.(subplots|figure)\(", b.content)
    ]
    assert drawing
    for k in drawing:
        assert _docs_ext().conclusion_problems(blocks, k) == [], path.name


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.stem)
def test_gallery_text_shows_no_raw_markup(path):
    """The gallery index shows each example's intro as plain text, and the rendered code shows
    docstrings in italics: neither may carry reST literals (````x````) that would appear as
    backquotes, and the intro holds no italics around a literal."""
    import ast

    from sphinx_gallery.gen_rst import extract_intro_and_title

    tree = ast.parse(path.read_text())
    intro, _ = extract_intro_and_title(str(path), ast.get_docstring(tree))
    assert "``" not in intro and "`" not in intro, intro
    docstring = ast.get_docstring(tree)
    assert not re.search(r"(?<![*\w])\*[^*\s][^*]*``[^*]*\*(?!\*)", docstring), "italic literal"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            assert "``" not in (ast.get_docstring(node) or ""), f"{path.name}: {node.name}"


def test_a_folder_named_bb_in_the_working_directory_breaks_no_figure(tmp_path, monkeypatch):
    # matplotlib 3.11.2 resolves the font of \mathbb as a file "bb" relative to the working
    # directory (IsADirectoryError for a folder, FT_Open_Face for a file): the package writes
    # the expectation as \mathbf{E}, so a user's folder named bb breaks no figure
    import matplotlib.pyplot as plt

    from mastref.plotting import quantity_label

    (tmp_path / "bb").mkdir()
    monkeypatch.chdir(tmp_path)
    fig, ax = plt.subplots()
    for quantity in ("dist2", "value_gap", "grad_norm2_min", "lyapunov", "dist2 at T"):
        ax.set_ylabel(quantity_label(quantity, theorem="Theorem 4a"))
        fig.savefig(tmp_path / "label.png")
    plt.close(fig)
    assert (tmp_path / "label.png").stat().st_size > 0
