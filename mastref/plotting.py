"""Plots that say what the checks say (THEORY.md §7): generic drawing helpers.

Every figure of the package is drawn with these helpers: the figures of the verifier
(``mastref.verify.plot``: one per check, and the worst case of a search) and the experiment
figures of ``mastref.experiments``. This module draws arrays and knows nothing of the verifier's
types. The rules the figures follow:

* the measured curve is coloured where the check compares it with the bound and grey where it
  does not (``CheckResult.checked``: no finite bound, or a bound at or below the numerical
  resolution), exactly as the verdict treats it; a Monte Carlo mean is drawn with its
  confidence band, and the band has a legend entry only when it is drawn;
* the bound is dashed and its floor -- the neighbourhood ``Guarantee.floor``, the part of the
  bound that does not decay -- dotted and labelled with its value;
* the numerical resolution (``RESOLUTION`` times the initial value; values below it are
  round-off) is drawn, with the region below it shaded, whenever data reach it;
* the y-limits frame the finite measured data above the resolution and the bound where it is
  checked: never a round-off plateau, nor a bound decades below the resolution; on a sweep,
  values far above the frame (a run that diverged) are markers at its top, annotated with their
  value, not a 1e100 axis;
* axes are in words with their symbols ("E‖x_t − x_D*‖²", "iteration t"); titles name the
  check, its verdict, the theorem, the sketch law and the step ``γ/γ_max``; a sweep over the
  step marks ``γ_max``, beyond which the claim promises nothing, and has one tick per point.

Figures are built with matplotlib's object API (``matplotlib.figure.Figure``), not pyplot: no
global state, no backend to choose, safe in worker processes.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import Bbox
from numpy.typing import ArrayLike

#: Colour of the points a check does not compare with its bound.
GREY = "0.62"
#: A log axis is used when the framed data span at least this factor.
LOG_SPAN = 20.0
#: On a sweep, a measured value more than this factor above the frame's data is off the scale.
OFF_SCALE = 10.0
#: At most this many markers on one line; beyond it, points are aggregated (``mark_points``).
MAX_MARKERS = 50
#: Two curves closer than this many pixels everywhere they overlap are drawn on top of each other.
COINCIDE_PX = 1.5

_X_WORDS = {"step t": "iteration t", "gamma / gamma_max": "step size γ / γ_max"}


def quantity_label(quantity: str, algorithm: str = "", theorem: str = "") -> str:
    r"""The measured quantity in words and matplotlib mathtext, for a y-axis.

    ``dist2`` is ``E‖x_t − x_D*‖²``, ``value_gap`` ``E f_D(x_t) − f_D^inf``, ``grad_norm2_min``
    ``min_{s<t} E‖∇f_D(x_s)‖²`` (with ``F`` and ``x_F*`` for Algorithm 4,
    ``algorithm="distributed_dsgd"``), ``lyapunov`` the Lyapunov function of Theorem 4 (``Φ_t``
    for 4a, ``Ψ_t`` for 4b; THEORY.md §5), each written in mathtext (``$...$``) so that
    subscripts and superscripts render. Any other quantity is returned as given.

    Examples
    --------
    >>> from mastref.plotting import quantity_label
    >>> print(quantity_label("dist2"))
    $\mathbf{E}\,\|x_t - x_D^\star\|^2$
    >>> print(quantity_label("grad_norm2_min", algorithm="distributed_dsgd"))
    $\min_{s<t}\,\mathbf{E}\,\|\nabla F(x_s)\|^2$
    """
    f, x_star = ("F", r"x_F^\star") if algorithm == "distributed_dsgd" else ("f_D", r"x_D^\star")
    dist = rf"\mathbf{{E}}\,\|x_t - {x_star}\|^2"
    if quantity == "lyapunov":
        if "4b" in theorem:
            return r"$\mathbf{E}\,\Psi_t$, Lyapunov function of Theorem 4b"
        return rf"$\mathbf{{E}}\,\Phi_t = {dist} + (4γ^2/p)\,\mathbf{{E}}\,\mathcal{{D}}_t$"
    words = {
        "dist2": f"${dist}$",
        "value_gap": rf"$\mathbf{{E}}\,{f}(x_t) - {f}^{{\inf}}$",
        "grad_norm2_min": rf"$\min_{{s<t}}\,\mathbf{{E}}\,\|\nabla {f}(x_s)\|^2$",
        "dist2 at T": rf"$\mathbf{{E}}\,\|x_T - {x_star}\|^2$ at the horizon T",
        "contraction factor": f"contraction factor of ${dist}$ per step",
    }
    return words.get(quantity, quantity)


def x_label(xlabel: str) -> str:
    """A ``CheckResult.xlabel`` in words (``"step t"`` is ``"iteration t"``).

    Examples
    --------
    >>> from mastref.plotting import x_label
    >>> x_label("step t"), x_label("gamma / gamma_max")
    ('iteration t', 'step size γ / γ_max')
    """
    return _X_WORDS.get(xlabel, xlabel)


def step_text(gamma: float, gamma_max: float, gamma_ratio: float = math.nan) -> str:
    """The step of a claim for a title: ``γ = 0.5 γ_max``, ``γ = γ_max``, or ``γ = 0.0221
    (no step limit)`` when the claim admits every step.

    Examples
    --------
    >>> from mastref.plotting import step_text
    >>> step_text(0.1, 0.2), step_text(0.25, 0.25), step_text(0.0221, float("inf"))
    ('γ = 0.5 γ_max', 'γ = γ_max', 'γ = 0.0221 (no step limit)')
    """
    if math.isfinite(gamma) and math.isfinite(gamma_max) and gamma_max > 0:
        gamma_ratio = gamma / gamma_max
    if math.isfinite(gamma_ratio):
        return "γ = γ_max" if abs(gamma_ratio - 1) < 1e-9 else f"γ = {gamma_ratio:.3g} γ_max"
    if math.isfinite(gamma) and gamma_max == math.inf:
        return f"γ = {gamma:.3g} (no step limit)"
    if math.isfinite(gamma):
        return f"γ = {gamma:.3g}"
    return "γ not recorded"


def y_frame(
    *arrays: ArrayLike, resolution: float = 0.0, show_resolution: bool = False
) -> tuple[float, float, str]:
    """``(bottom, top, scale)``: y-limits that frame the finite values above ``resolution`` of
    ``arrays`` (and, with ``show_resolution``, the resolution itself, with half a decade or
    more of the round-off region below it; THEORY.md §7).

    With ``lo, hi`` the smallest and largest such values, ``scale`` is ``"log"`` when
    ``hi / lo >= LOG_SPAN`` and the limits are ``lo / 10^p, hi 10^p`` with
    ``p = max(0.05 log10(hi / lo), 0.08)`` decades; otherwise ``"linear"`` with 10 % margins,
    never below 0. Values at or below the resolution, and non-finite ones, never move the frame.

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.plotting import y_frame
    >>> lo, hi, scale = y_frame(np.array([1.0, 1e-3, 1e-30]), resolution=1e-10)
    >>> scale, bool(lo < 1e-3 and hi > 1.0 and lo > 1e-10)
    ('log', True)
    >>> lo, hi, scale = y_frame(np.array([0.98, 1.0]))
    >>> scale, bool(0.9 < lo < 0.98 and 1.0 < hi < 1.1)
    ('linear', True)
    """
    values = [np.asarray(a, dtype=float).ravel() for a in arrays]
    values = np.concatenate(values) if values else np.zeros(0)
    values = values[np.isfinite(values) & (values > max(resolution, 0.0))]
    if values.size == 0:
        top = 1.0 if resolution <= 0 else 10 * resolution
        return (0.1 * top, top, "log")
    lo, hi = float(values.min()), float(values.max())
    if show_resolution and resolution > 0:
        lo = min(lo, resolution)
    if hi / lo >= LOG_SPAN:
        pad = max(0.05 * math.log10(hi / lo), 0.08)
        below = max(1.5 * pad, 0.5) if show_resolution and resolution > 0 else pad
        return (lo / 10**below, hi * 10**pad, "log")
    span = hi - lo if hi > lo else 0.1 * abs(hi) or 1.0
    return (max(lo - 0.1 * span, 0.0), hi + 0.1 * span, "linear")


def set_y_frame(ax: Axes, frame: tuple[float, float, str]) -> None:
    """Apply a ``y_frame`` to ``ax`` (scale, then limits).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import set_y_frame
    >>> ax = Figure().subplots()
    >>> set_y_frame(ax, (1e-3, 10.0, "log"))
    >>> ax.get_yscale(), [float(y) for y in ax.get_ylim()]
    ('log', [0.001, 10.0])
    """
    bottom, top, scale = frame
    ax.set_yscale(scale)
    ax.set_ylim(bottom, top)
    if scale == "linear":
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useOffset=False)


def draw_measured(
    ax: Axes,
    x: ArrayLike,
    measured: ArrayLike,
    *,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    checked: ArrayLike | None = None,
    label: str = "measured",
    band_label: str = "confidence band",
    unchecked_label: str = "not checked",
    color=None,
    marker: str = "",
) -> Line2D:
    """The measured curve: coloured on the ``checked`` points, grey on the others (with its own
    legend entry), and the band between ``lower`` and ``upper`` when they differ (a Monte Carlo
    mean; ``band_label`` is used only then). Returns the coloured line.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import draw_measured
    >>> ax = Figure().subplots()
    >>> m = np.array([1.0, 0.5, 0.25])
    >>> line = draw_measured(ax, np.arange(3), m, lower=0.9 * m, upper=1.1 * m,
    ...                      checked=np.array([True, True, False]))
    >>> ax.get_legend_handles_labels()[1]
    ['measured', 'not checked', 'confidence band']
    """
    x, measured = np.asarray(x, dtype=float), np.asarray(measured, dtype=float)
    checked = np.ones(x.shape, bool) if checked is None else np.asarray(checked, bool)
    shown = np.where(checked, measured, np.nan)
    (line,) = ax.plot(x, shown, marker=marker, ms=4, lw=2, color=color, label=label, zorder=3)
    if not checked.all():
        # the grey part, joined to the coloured one at its ends
        joined = ~checked | np.convolve(~checked, [1, 1, 1], mode="same").astype(bool)
        ax.plot(
            x,
            np.where(joined, measured, np.nan),
            marker=marker or ".",
            ms=4,
            lw=1.5,
            color=GREY,
            label=unchecked_label,
            zorder=2,
        )
    if lower is not None and upper is not None:
        lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if np.any(np.isfinite(upper) & (upper != lower)):
            ax.fill_between(
                x,
                np.maximum(lower, 1e-300),
                upper,
                color=line.get_color(),
                alpha=0.25,
                lw=0.8,
                label=band_label,
                zorder=1,
            )
    return line


def draw_bound(
    ax: Axes,
    x: ArrayLike,
    bound: ArrayLike,
    *,
    neighbourhood: ArrayLike | None = None,
    label: str = "bound",
    neighbourhood_label: str = "its neighbourhood (floor)",
    color="k",
) -> Line2D:
    """The bound, dashed where finite, and its floor (the neighbourhood) dotted, with its value
    in the label: a horizontal line for one number, a curve for one per point (a sweep);
    nothing for ``None``, 0 or non-finite values. Returns the bound's line.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import draw_bound
    >>> ax = Figure().subplots()
    >>> t = np.arange(5.0)
    >>> line = draw_bound(ax, t, 0.5**t + 0.1, neighbourhood=0.1)
    >>> ax.get_legend_handles_labels()[1]
    ['bound', 'its neighbourhood (floor) = 0.1']
    """
    x, bound = np.asarray(x, dtype=float), np.asarray(bound, dtype=float)
    ok = np.isfinite(bound)
    (line,) = ax.plot(x[ok], bound[ok], "--", color=color, lw=1.5, label=label, zorder=4)
    if neighbourhood is None:
        return line
    floor = np.asarray(neighbourhood, dtype=float)
    if floor.ndim == 0:
        if math.isfinite(floor) and floor > 0:
            ax.axhline(
                float(floor),
                color=color,
                ls=":",
                lw=1.2,
                label=f"{neighbourhood_label} = {float(floor):.3g}",
            )
    else:
        keep = np.isfinite(floor) & (floor > 0)
        if keep.any():
            ax.plot(x[keep], floor[keep], ":", color=color, lw=1.2, label=neighbourhood_label)
    return line


def draw_resolution(ax: Axes, resolution: float, bottom: float) -> None:
    """The numerical resolution as a dotted line, and the round-off region below it (down to
    ``bottom``) shaded.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import draw_resolution
    >>> ax = Figure().subplots()
    >>> draw_resolution(ax, 1e-10, 1e-11)
    >>> ax.get_legend_handles_labels()[1]
    ['numerical resolution 1e-10: below it, round-off']
    """
    ax.axhspan(bottom, resolution, color="0.93", lw=0, zorder=0)
    ax.axhline(
        resolution,
        color="0.45",
        ls=(0, (1, 2)),
        lw=1,
        label=f"numerical resolution {resolution:.2g}: below it, round-off",
    )


def draw_off_scale(
    ax: Axes, x: ArrayLike, values: ArrayLike, *, color=GREY, label: str = ""
) -> None:
    """Values off the scale of the frame (a diverged run) as upward triangles sitting on the top
    edge of ``ax`` -- beyond the frame, at no height of the y-axis -- each annotated just below,
    in vertical text, with its value (``overflow`` when not finite).

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import draw_off_scale
    >>> ax = Figure().subplots()
    >>> draw_off_scale(ax, [2, 4], [3e20, np.inf], label="off the scale")
    >>> [t.get_text() for t in ax.texts]
    ['↑ 3e+20', '↑ overflow']
    >>> [float(y) for y in ax.get_lines()[0].get_ydata()]  # on the top edge (axes coordinates)
    [1.0, 1.0]
    """
    x, values = np.asarray(x, dtype=float), np.asarray(values, dtype=float)
    if x.size == 0:
        return
    at_top = ax.get_xaxis_transform()  # x in data, y in axes coordinates
    ax.plot(
        x,
        np.ones(x.size),
        "^",
        ms=9,
        color=color,
        label=label,
        zorder=5,
        transform=at_top,
        clip_on=False,
    )
    for xi, v in zip(x, values, strict=True):
        ax.annotate(
            "↑ " + (f"{v:.2g}" if np.isfinite(v) else "overflow"),
            (xi, 1.0),
            xycoords=at_top,
            xytext=(0, -9),
            textcoords="offset points",
            ha="center",
            va="top",
            rotation=90,  # upright text would run into a neighbour's
            fontsize=8,
            color="0.3",
        )


def sweep_axis(ax: Axes, x: ArrayLike) -> None:
    """A readable x-axis for a sweep: one tick per point, labels 1/8, ..., 1, ..., 8 for powers
    of two (log base 2 when the points span a factor 4 or more), no minor ticks.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import sweep_axis
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([0.25, 1, 4], [1, 2, 3])
    >>> sweep_axis(ax, [0.25, 1, 4])
    >>> fig.canvas.draw()
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1/4', '1', '4']
    """
    x = np.unique(np.asarray(x, dtype=float))
    x = x[np.isfinite(x)]
    if x.size and x.min() > 0 and x.max() / x.min() >= 4:
        ax.set_xscale("log", base=2)
        ax.set_xlim(x.min() / 2**0.4, x.max() * 2**0.4)

    def words(v, _pos=None):
        if v >= 1 or v <= 0 or not float(1 / v).is_integer():
            return f"{v:g}"
        return f"1/{1 / v:g}"

    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(words))


def mark_gamma_max(ax: Axes, at: float = 1.0, label: str = "γ_max: the claim's step limit") -> None:
    """A vertical line at ``γ = γ_max`` (``at`` on the axis) and the region beyond it shaded:
    no guarantee there.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import mark_gamma_max
    >>> ax = Figure().subplots()
    >>> _ = ax.set_xlim(0.1, 10)
    >>> mark_gamma_max(ax)
    >>> ax.get_legend_handles_labels()[1]
    ["γ_max: the claim's step limit", 'beyond γ_max: no guarantee']
    """
    right = ax.get_xlim()[1]
    ax.axvline(at, color="k", lw=1.2, label=label)
    ax.axvspan(at, right, color="0.9", lw=0, zorder=0, label="beyond γ_max: no guarantee")
    ax.set_xlim(right=right)


def shade_not_checked(
    ax: Axes, x: ArrayLike, checked: ArrayLike, label: str = "not checked"
) -> None:
    """Hatch the stretches of the x-axis whose points are not ``checked`` (the check does not
    compare them with the bound), whatever their values; one legend entry.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import shade_not_checked
    >>> ax = Figure().subplots()
    >>> shade_not_checked(ax, np.arange(6.0), np.array([1, 1, 1, 0, 0, 1], bool))
    >>> ax.get_legend_handles_labels()[1]
    ['not checked']
    """
    x, checked = np.asarray(x, dtype=float), np.asarray(checked, bool)
    if x.size == 0 or checked.all():
        return
    edges = np.concatenate([[x[0]], (x[1:] + x[:-1]) / 2, [x[-1]]])
    flips = np.flatnonzero(np.diff(np.concatenate([[0], (~checked).astype(int), [0]])))
    for k, (start, stop) in enumerate(zip(flips[::2], flips[1::2], strict=True)):
        ax.axvspan(
            edges[start],
            edges[stop],
            facecolor="none",
            edgecolor="0.7",
            hatch="///",
            lw=0,
            zorder=0,
            label=label if k == 0 else "_nolegend_",
        )


def mark_points(
    ax: Axes,
    x: ArrayLike,
    y: ArrayLike,
    where: ArrayLike,
    *,
    marker: str,
    color,
    label: str,
    x_name: str = "x",
    zorder: float = 6,
) -> Line2D | None:
    """Mark the points ``(x, y)`` where ``where`` holds: one marker each up to ``MAX_MARKERS``
    points; beyond, the points are aggregated -- each stretch of consecutive marked points is a
    wide translucent band of ``color`` behind the curve, and the label says how many points and
    over which range of ``x_name`` -- so that hundreds of markers never merge into a bar.
    Returns the line (``None`` when nothing is marked).

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import mark_points
    >>> ax = Figure().subplots()
    >>> t = np.arange(200.0)
    >>> line = mark_points(ax, t, 1 / (1 + t), t >= 100, marker="x", color="r", label="violated")
    >>> line.get_marker(), line.get_label()
    ('None', 'violated: 100 points, x = 100 to 199')
    >>> line = mark_points(ax, t, 1 / (1 + t), t == 5, marker="x", color="r", label="one")
    >>> line.get_marker(), line.get_label()
    ('x', 'one')
    """
    x, y, where = (np.asarray(a) for a in (x, y, where))
    x, y, where = x.astype(float), y.astype(float), where.astype(bool)
    n = int(where.sum())
    if n == 0:
        return None
    if n <= MAX_MARKERS:
        (line,) = ax.plot(
            x[where],
            y[where],
            marker,
            color=color,
            mfc="none",
            ms=7,
            mew=2,
            zorder=zorder,
            label=label,
        )
        return line
    shown = np.where(where, y, np.nan)  # NaN breaks the band between stretches
    (line,) = ax.plot(
        x,
        shown,
        "-",
        color=color,
        lw=7,
        alpha=0.35,
        solid_capstyle="round",
        zorder=min(zorder, 2.5),  # behind the measured curve, which stays readable
        label=f"{label}: {n} points, {x_name} = {x[where].min():.4g} to {x[where].max():.4g}",
    )
    return line


def place_legend(ax: Axes, **kwargs) -> Legend:
    """A legend at ``loc="best"`` if the box covers no plotted data (``legend_covers``), else
    outside the axes, to their right. An existing legend of ``ax`` is replaced, its entries
    kept. Call it after the layout is final (``tight_layout``) and lay out again when it moved
    outside. Keyword arguments go to ``Axes.legend``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import place_legend
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> rng = np.random.default_rng(0)
    >>> for k in range(3):  # noise everywhere: no room inside
    ...     _ = ax.plot(np.linspace(0, 1, 200), rng.uniform(size=200), label=f"run {k}")
    >>> legend = place_legend(ax)
    >>> bool(legend.get_window_extent().x0 >= ax.bbox.x1)
    True
    """
    entries = ()
    if ax.get_legend() is not None:  # keep its entries (custom handles included)
        old = ax.get_legend()
        entries = (old.legend_handles, [t.get_text() for t in old.get_texts()])
        old.remove()
    legend = ax.legend(*entries, loc="best", **kwargs)
    ax.figure.draw_without_rendering()
    if legend_covers(legend, [ax]):
        legend.remove()
        legend = ax.legend(
            *entries, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, **kwargs
        )
    return legend


def settle_legends(fig: Figure, rounds: int = 3) -> None:
    """Lay ``fig`` out (``tight_layout``) and re-place every axes legend with ``place_legend``
    (same font size and frame), until no legend moves: the last step of a figure whose legends
    must not cover its data.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import figure_problems, settle_legends
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> rng = np.random.default_rng(0)
    >>> _ = ax.plot(rng.uniform(size=300), label="noise")
    >>> _ = ax.plot(rng.uniform(size=300), label="more noise")
    >>> _ = ax.set(title="noise", xlabel="index", ylabel="value")
    >>> _ = ax.legend(loc="center", fontsize=7)
    >>> figure_problems(fig)[0].startswith("axes 0: the legend covers plotted data")
    True
    >>> settle_legends(fig)
    >>> figure_problems(fig)
    []
    """
    for _ in range(rounds):
        fig.tight_layout()
        moved = False
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            before = legend.get_window_extent().bounds
            texts = legend.get_texts()
            kwargs = {"fontsize": texts[0].get_fontsize()} if texts else {}
            alpha = legend.get_frame().get_alpha()
            new = place_legend(ax, framealpha=0.9 if alpha is None else alpha, **kwargs)
            moved |= not np.allclose(new.get_window_extent().bounds, before, atol=1.0)
        if not moved:
            return
    fig.tight_layout()


_NO_LINE = ("None", "none", " ", "")


def _data_lines(ax: Axes) -> list[Line2D]:
    """The lines drawn in data coordinates with finite values (not axhline / axvline)."""
    return [
        line
        for line in ax.get_lines()
        if line.get_transform() == ax.transData and np.isfinite(line.get_xydata()).any()
    ]


def _pixels(ax: Axes, line: Line2D) -> np.ndarray:
    """The points of ``line`` in display coordinates (rows with a non-finite value dropped)."""
    with np.errstate(all="ignore"):
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    return xy[np.isfinite(xy).all(axis=1)]


def _runs(xy_data: np.ndarray, transform) -> list[np.ndarray]:
    """The stretches of consecutive finite points of a polyline, in display coordinates."""
    with np.errstate(all="ignore"):
        xy = transform.transform(np.asarray(xy_data, dtype=float))
    ok = np.isfinite(xy).all(axis=1)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(idx) > 1) + 1
    return [xy[part] for part in np.split(idx, cuts)]


def legend_covers(legend: Legend, axes: list[Axes], margin: float = 2.0) -> list[str]:
    """The labels of the plotted data (lines and their markers, in data coordinates) that the
    box of ``legend`` covers on ``axes``; empty when the legend lies over no data (or outside
    the axes). Needs a drawn figure (``Figure.draw_without_rendering``).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import legend_covers
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="diagonal")
    >>> legend = ax.legend(loc="center")
    >>> fig.draw_without_rendering()
    >>> legend_covers(legend, [ax])
    ['diagonal']
    """
    box = legend.get_window_extent()
    covered = []
    for ax in axes:
        inside = Bbox.intersection(box, ax.bbox)
        if inside is None or inside.width <= 2 * margin or inside.height <= 2 * margin:
            continue
        inner = Bbox.from_extents(
            inside.x0 + margin, inside.y0 + margin, inside.x1 - margin, inside.y1 - margin
        )
        for line in _data_lines(ax):
            runs = _runs(line.get_xydata(), line.get_transform())
            if line.get_linestyle() in _NO_LINE:
                hit = any(inner.count_contains(run) for run in runs)
            else:
                hit = any(
                    (run.shape[0] > 1 and MplPath(run).intersects_bbox(inner))
                    or (run.shape[0] == 1 and inner.count_contains(run))
                    for run in runs
                )
            if hit:
                covered.append(line.get_label())
    return covered


def band_height(ax: Axes, band) -> float:
    """The largest vertical extent, in pixels, of the filled region ``band`` (a
    ``fill_between``) inside ``ax``: 0 for an empty region (a legend proxy).

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import band_height
    >>> fig = Figure(figsize=(4, 3), dpi=100)
    >>> ax = fig.subplots()
    >>> band = ax.fill_between([0, 1], [0.0, 0.0], [0.5, 0.5])
    >>> _ = ax.set_ylim(0, 1)
    >>> fig.draw_without_rendering()
    >>> bool(abs(band_height(ax, band) - ax.bbox.height / 2) < 1)
    True
    """
    tallest = 0.0
    for path in band.get_paths():
        with np.errstate(all="ignore"):
            xy = band.get_transform().transform(path.vertices)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if xy.shape[0] < 3:
            continue
        xy[:, 1] = np.clip(xy[:, 1], ax.bbox.y0, ax.bbox.y1)
        a, b = xy, np.roll(xy, -1, axis=0)  # the polygon's edges
        lo, hi = max(xy[:, 0].min(), ax.bbox.x0), min(xy[:, 0].max(), ax.bbox.x1)
        for col in np.linspace(lo, hi, 201)[1:-1]:
            cross = (np.minimum(a[:, 0], b[:, 0]) <= col) & (np.maximum(a[:, 0], b[:, 0]) > col)
            if cross.sum() < 2:
                continue
            w = (col - a[cross, 0]) / (b[cross, 0] - a[cross, 0])
            y = a[cross, 1] + w * (b[cross, 1] - a[cross, 1])
            tallest = max(tallest, float(y.max() - y.min()))
    return tallest


def band_entry(axes: list[Axes], half_width: float, label: str) -> tuple[Artist, str]:
    """A legend entry for the confidence bands drawn on ``axes`` (call it on a drawn, laid out
    figure): a grey patch and ``"LABEL, half-width ≤ W"`` when one band is visible (taller
    than the widest solid line by 2 pixels somewhere), else an empty handle and ``"LABEL:
    half-width ≤ W, thinner than the line"`` -- the legend never shows a patch the reader
    cannot find.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import band_entry, draw_measured
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> m = np.linspace(1.0, 2.0, 50)
    >>> _ = draw_measured(ax, np.arange(50), m, lower=m - 1e-4, upper=m + 1e-4)
    >>> fig.draw_without_rendering()
    >>> band_entry([ax], 1e-4, "confidence band")[1]
    'confidence band: half-width ≤ 0.0001, thinner than the line'
    """
    dpi = axes[0].figure.dpi if axes else 72.0
    visible = False
    for ax in axes:
        solid = [
            _line_px(ln, dpi) for ln in _data_lines(ax) if ln.get_linestyle() in ("-", "solid")
        ]
        need = max(solid, default=0.0) + 2.0
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        visible |= any(band_height(ax, c) >= need for c in bands)
    if visible:
        return Patch(color="0.5", alpha=0.25), f"{label}, half-width ≤ {half_width:.2g}"
    return Line2D([], [], lw=0), f"{label}: half-width ≤ {half_width:.2g}, thinner than the line"


def marker_count(line: Line2D) -> int:
    """How many markers ``line`` draws: its finite points, thinned by ``markevery``.

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import marker_count
    >>> ax = Figure().subplots()
    >>> (line,) = ax.plot(np.arange(200.0), "x")
    >>> marker_count(line), marker_count(ax.plot(np.arange(200.0), "x", markevery=5)[0])
    (200, 40)
    """
    if line.get_marker() in (None, "None", "none", "", " "):
        return 0
    n = int(np.isfinite(np.asarray(line.get_xydata(), dtype=float)).all(axis=1).sum())
    every = line.get_markevery()
    if every is None:
        return n
    if isinstance(every, int):
        return -(-n // every)
    if isinstance(every, slice):
        return len(range(n)[every])
    return n if isinstance(every, float | tuple) else len(np.atleast_1d(every))


def _line_px(line: Line2D, dpi: float) -> float:
    return line.get_linewidth() * dpi / 72


def _coinciding(ax: Axes, dpi: float) -> list[tuple[Line2D, Line2D]]:
    """Pairs ``(lower, upper)`` of labelled curves of ``ax`` that lie within ``COINCIDE_PX``
    of each other over the whole stretch where both are drawn (90 % of the shorter one at
    least), such that the upper hides the lower: the upper is opaque (alpha above 0.7), solid
    or dashed like the lower, and the lower is not wider by 1.5 pixels or more."""
    curves = []
    for order, line in enumerate(_data_lines(ax)):
        if line.get_linestyle() in _NO_LINE or line.get_label().startswith("_"):
            continue
        xy = _pixels(ax, line)
        if xy.shape[0] >= 3 and np.all(np.diff(xy[:, 0]) > 0):
            curves.append((line.get_zorder(), order, line, xy))
    curves.sort(key=lambda c: c[:2])
    pairs = []
    for i, (_, _, lower, a) in enumerate(curves):
        for _, _, upper, b in curves[i + 1 :]:
            lo, hi = max(a[0, 0], b[0, 0]), min(a[-1, 0], b[-1, 0])
            shorter = min(a[-1, 0] - a[0, 0], b[-1, 0] - b[0, 0])
            common = a[(a[:, 0] >= lo) & (a[:, 0] <= hi)]
            if common.shape[0] < 3 or hi - lo < 0.9 * shorter:
                continue
            if np.max(np.abs(np.interp(common[:, 0], b[:, 0], b[:, 1]) - common[:, 1])) >= (
                COINCIDE_PX
            ):
                continue
            opaque = upper.get_alpha() is None or upper.get_alpha() > 0.7
            # dashes over a solid line (or other dashes) let the lower show in their gaps;
            # the same dashes over the same dashes hide it
            same_dashes = upper.get_linestyle() == lower.get_linestyle()
            covering = opaque and (upper.get_linestyle() in ("-", "solid") or same_dashes)
            if covering and _line_px(lower, dpi) - _line_px(upper, dpi) < 1.5:
                pairs.append((lower, upper))
    return pairs


_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
_PSEUDO_TEX = re.compile(r"[_^]\{|\\[A-Za-z]+")


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> None:
    """Write ``fig`` to ``path`` (PNG unless the suffix says otherwise).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import save_figure
    >>> fig = Figure()
    >>> _ = fig.subplots().plot([0, 1])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_figure(fig, pathlib.Path(tmp) / "f.png")
    ...     (pathlib.Path(tmp) / "f.png").stat().st_size > 0
    True
    """
    fig.savefig(Path(path), dpi=dpi)


def figure_problems(fig: Figure) -> list[str]:
    r"""What a reader would miss in ``fig``: the invariants every mastref figure keeps.

    For each axes that draws data:

    * a title (or the figure's suptitle), both axis labels, and a legend (on the axes or the
      figure) when more than one artist is labelled;
    * y-limits that show every finite value of the measured data -- the solid lines and
      marker-only lines drawn in data coordinates (on a log axis, every positive value); dashed
      and dotted lines (bounds, floors) may leave the frame: a bound decades below the data must
      not stretch the axis;
    * no legend box over plotted data (``legend_covers``; a legend outside the axes is fine);
    * no labelled curve hidden under another: two labelled curves within ``COINCIDE_PX`` of
      each other everywhere they overlap are drawn distinguishably (the upper translucent, or
      dashed or dotted over a line of another style, or the lower wider) -- or merged into one
      legend entry;
    * at most ``MAX_MARKERS`` markers on one line (``mark_points`` aggregates beyond);
    * a band (filled region) listed in a legend is visible: taller somewhere than the widest
      solid line of its axes by 2 pixels (a legend proxy needs one such band in its axes, or in
      the figure for a figure legend).

    And for every text of the figure: no TeX outside mathtext (``_{``, ``^{`` or a ``\name``
    not between ``$`` signs). Returns the problems as sentences (empty: the figure is fine).
    The tests hold the package's figures to it and the documentation build the gallery's.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import figure_problems
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([1, 2, 3], label="measured")
    >>> figure_problems(fig)
    ['axes 0: no title', 'axes 0: no x label', 'axes 0: no y label']
    >>> _ = ax.set(title="A", xlabel="iteration t", ylabel="min_{s<t} value")
    >>> figure_problems(fig)
    ["text 'min_{s<t} value': TeX outside $...$ (write it in mathtext)"]
    """
    fig.draw_without_rendering()  # legend positions and limits as drawn
    problems = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    dpi = fig.dpi
    visible_band = {}  # axes index -> whether one band of the axes is visible
    for k, ax in enumerate(fig.axes):
        lines = _data_lines(ax)
        if not (lines or ax.collections or ax.patches or ax.images):
            continue  # a colour bar or an empty panel
        if not (ax.get_title() or suptitle):
            problems.append(f"axes {k}: no title")
        if not ax.get_xlabel():
            problems.append(f"axes {k}: no x label")
        if not ax.get_ylabel():
            problems.append(f"axes {k}: no y label")
        handles, labels = ax.get_legend_handles_labels()
        labelled = [h for h in labels if not h.startswith("_")]
        if len(labelled) > 1 and ax.get_legend() is None and not fig.legends:
            problems.append(f"axes {k}: {len(labelled)} labelled artists but no legend")
        bottom, top = sorted(ax.get_ylim())
        for line in lines:
            if line.get_linestyle() not in ("-", *_NO_LINE):
                continue  # a reference line (bound, floor), not measured data
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            if ax.get_yscale() == "log":
                y = y[y > 0]
            span = (top - bottom) if ax.get_yscale() != "log" else 0.0
            tol = 1e-9 * max(abs(bottom), abs(top), span)
            outside = (y < bottom - tol) | (y > top + tol)
            if outside.any():
                problems.append(
                    f"axes {k}: line {line.get_label()!r} has {int(outside.sum())} value(s) "
                    f"outside the y-limits [{bottom:.3g}, {top:.3g}]"
                )
        if ax.get_legend() is not None:
            covered = legend_covers(ax.get_legend(), [ax])
            if covered:
                problems.append(f"axes {k}: the legend covers plotted data {covered}")
        for lower, upper in _coinciding(ax, dpi):
            problems.append(
                f"axes {k}: {upper.get_label()!r} hides {lower.get_label()!r} (the curves "
                "coincide): draw the upper dashed or the lower wider, or merge the entries"
            )
        for line in ax.get_lines():
            if marker_count(line) > MAX_MARKERS:
                problems.append(
                    f"axes {k}: line {line.get_label()!r} draws {marker_count(line)} markers "
                    f"(more than {MAX_MARKERS}: thin or aggregate them, mark_points)"
                )
        solid = [_line_px(ln, dpi) for ln in lines if ln.get_linestyle() in ("-", "solid")]
        need = max(solid, default=0.0) + 2.0
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        heights = {id(c): band_height(ax, c) for c in bands}
        visible_band[k] = any(h >= need for h in heights.values())
        legend_on = ax.get_legend() is not None or bool(fig.legends)
        for handle, label in zip(handles, labels, strict=True):
            if not (legend_on and isinstance(handle, PolyCollection)) or label.startswith("_"):
                continue
            proxy = not handle.get_paths()
            if (proxy and not visible_band[k]) or (not proxy and heights[id(handle)] < need):
                problems.append(
                    f"axes {k}: the band {label!r} is in the legend but not visible (at most "
                    f"{max(heights.values(), default=0.0):.1f} px tall, the line "
                    f"{need - 2:.1f} px)"
                )
    for legend in fig.legends:
        covered = legend_covers(legend, fig.axes)
        if covered:
            problems.append(f"figure legend covers plotted data {covered}")
        patches = [h for h in legend.legend_handles if isinstance(h, Patch | PolyCollection)]
        if patches and not any(visible_band.values()):
            problems.append("figure legend lists a band, but no band of the figure is visible")
    for text in fig.findobj(Text):
        raw = text.get_text()
        if text.get_visible() and raw and _PSEUDO_TEX.search(_MATH.sub("", raw)):
            problems.append(f"text {raw!r}: TeX outside $...$ (write it in mathtext)")
    return list(dict.fromkeys(problems))
