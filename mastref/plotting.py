"""Plots that say what the checks say (THEORY.md §7).

Every figure of the package is drawn with these helpers: the per-check plot of ``mastref
verify`` (``plot_check``, ``check_figure``; also ``CheckResult`` and ``WorstCase`` plots) and the
experiment figures of ``mastref.experiments``. The rules they follow:

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
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .verify.result import CheckResult
    from .verify.search import WorstCase

#: Colour of the points a check does not compare with its bound.
GREY = "0.62"
#: A log axis is used when the framed data span at least this factor.
LOG_SPAN = 20.0
#: On a sweep, a measured value more than this factor above the frame's data is off the scale.
OFF_SCALE = 10.0

_X_WORDS = {"step t": "iteration t", "gamma / gamma_max": "step size γ / γ_max"}


def quantity_label(quantity: str, algorithm: str = "", theorem: str = "") -> str:
    """The measured quantity in words and symbols, for a y-axis.

    ``dist2`` is ``E‖x_t − x_D*‖²``, ``value_gap`` ``E f_D(x_t) − f_D^inf``,
    ``grad_norm2_min`` ``min_{s<t} E‖∇f_D(x_s)‖²`` (with ``F`` and ``x_F*`` for Algorithm 4,
    ``algorithm="distributed_dsgd"``), ``lyapunov`` the Lyapunov function of Theorem 4
    (``Φ_t`` for 4a, ``Ψ_t`` for 4b; THEORY.md §5). Any other quantity is returned as given.

    Examples
    --------
    >>> from mastref.plotting import quantity_label
    >>> quantity_label("dist2")
    'E‖x_t − x_D*‖²'
    >>> quantity_label("grad_norm2_min", algorithm="distributed_dsgd")
    'min_{s<t} E‖∇F(x_s)‖²'
    """
    f, x_star = ("F", "x_F*") if algorithm == "distributed_dsgd" else ("f_D", "x_D*")
    if quantity == "lyapunov":
        if "4b" in theorem:
            return "E Ψ_t, Lyapunov function of Theorem 4b"
        return f"E Φ_t = E‖x_t − {x_star}‖² + (4γ²/p) E D_t"
    words = {
        "dist2": f"E‖x_t − {x_star}‖²",
        "value_gap": f"E {f}(x_t) − {f}^inf",
        "grad_norm2_min": f"min_{{s<t}} E‖∇{f}(x_s)‖²",
        "dist2 at T": f"E‖x_T − {x_star}‖² at the horizon T",
        "contraction factor": f"contraction factor of E‖x_t − {x_star}‖² per step",
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
    """Values off the scale of the frame (a diverged run) as triangles at the top of ``ax``,
    each annotated with its value (``overflow`` when not finite).

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import draw_off_scale
    >>> ax = Figure().subplots()
    >>> draw_off_scale(ax, [2, 4], [3e20, np.inf], label="off the scale")
    >>> [t.get_text() for t in ax.texts]
    ['3e+20', 'overflow']
    """
    x, values = np.asarray(x, dtype=float), np.asarray(values, dtype=float)
    if x.size == 0:
        return
    at_top = ax.get_xaxis_transform()  # x in data, y in axes coordinates
    ax.plot(
        x, np.full(x.size, 0.96), "^", ms=9, color=color, label=label, zorder=5, transform=at_top
    )
    for xi, v in zip(x, values, strict=True):
        ax.annotate(
            f"{v:.2g}" if np.isfinite(v) else "overflow",
            (xi, 0.96),
            xycoords=at_top,
            xytext=(0, -15),
            textcoords="offset points",
            ha="center",
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


def check_title(result: CheckResult) -> str:
    """Two lines: the check, its verdict and tightness; the theorem, the law and the step.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.plotting import check_title
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> print(check_title(mr.check(mr.theorem1, mast, n_steps=20, name="t1")))
    t1: holds, tightness 0.000976
    Theorem 1 · RandK(d=2, k=1) · γ = γ_max
    """
    head = f"{result.name}: {result.verdict}"
    if math.isfinite(result.late_tightness):
        head += f", tightness {result.late_tightness:.3g}"
    where = result.law or (
        result.instance if len(result.instance) <= 48 else result.instance[:45] + "..."
    )
    if result.xlabel == "step t":
        step = step_text(result.gamma, result.gamma_max, result.gamma_ratio)
    elif "gamma" in result.xlabel:
        step = "γ swept"
    else:
        step = step_text(math.nan, math.nan, result.gamma_ratio) + " at each point"
    lines = [result.theorem]
    for part in (where, step):  # a new line between parts, never inside one
        if len(lines[-1]) + 3 + len(part) > 84:
            lines.append(part)
        else:
            lines[-1] += f" · {part}"
    return "\n".join([head, *lines])


def plot_check(result: CheckResult, ax: Axes | None = None) -> Axes:
    """Draw a ``CheckResult`` on ``ax`` (a new figure's when ``None``) by the module's rules:
    measured (band when Monte Carlo; grey where not checked), bound and neighbourhood,
    resolution, violated and inconclusive points marked (``CheckResult.point_verdicts``), words
    on the axes, the title of ``check_title``.

    A curve over steps frames every finite measured value above the resolution; a sweep (any
    other x-axis) frames the points with a finite bound and draws values more than
    ``OFF_SCALE`` times above them at the top (``draw_off_scale``), and a sweep over the step
    marks ``γ_max``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.plotting import plot_check
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> ax = plot_check(mr.check(mr.theorem1, mast, n_steps=20))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('iteration t', 'E‖x_t − x_D*‖²')
    """
    from .verify.result import FALSE_ALARM

    if ax is None:
        ax = Figure(figsize=(7, 4.6)).subplots()
    r = result
    x = np.asarray(r.steps, dtype=float)
    over_steps = r.xlabel == "step t"
    checked = r.checked()
    finite_bound = np.isfinite(r.bound)
    below = finite_bound & ~checked  # bound at or below the resolution
    measured = np.asarray(r.measured, dtype=float)
    monte_carlo = bool(np.any(np.isfinite(r.upper) & (r.upper != r.lower)))
    reasons = []
    if below.any():
        reasons.append("bound below the resolution")
    if (~finite_bound).any():
        reasons.append("no finite bound")
    off = np.zeros(x.shape, bool)
    if over_steps:
        frame_data = [measured, r.bound[checked]]
    else:  # a sweep: frame what the claim speaks about; the rest may be off the scale
        ref = np.concatenate([measured[finite_bound], r.bound[finite_bound]])
        ref = ref[np.isfinite(ref)]
        if ref.size:
            off = ~np.isfinite(measured) | (measured > OFF_SCALE * ref.max())
        frame_data = [measured[~off], r.bound[finite_bound]]
    if monte_carlo:
        frame_data += [r.upper[checked], r.lower[checked]]
    if r.neighbourhood is not None:  # the bound's floor: where the bound levels off
        frame_data.append(r.neighbourhood)
    show_res = r.resolution > 0 and bool(
        below.any() or np.any(np.isfinite(measured) & (measured <= r.resolution))
    )
    frame = y_frame(*frame_data, resolution=r.resolution, show_resolution=show_res)
    shown = np.where(off, np.nan, measured)
    draw_measured(
        ax,
        x,
        shown,
        lower=r.lower if monte_carlo else None,
        upper=r.upper if monte_carlo else None,
        checked=checked,
        label=f"measured, {r.method}",
        band_label=f"confidence band (one-sided, false alarm {FALSE_ALARM:g})",
        unchecked_label="_nolegend_" if over_steps else "not checked: " + " or ".join(reasons),
        marker="o" if x.size <= 40 else "",
    )
    if over_steps:
        shade_not_checked(ax, x, checked, "not checked: " + " or ".join(reasons))
    draw_bound(ax, x, r.bound, neighbourhood=r.neighbourhood, label=f"bound ({r.theorem})")
    verdicts, _ = r.point_verdicts()
    marks = {
        "violated": ("x", "tab:red", "violated: lower confidence bound above the bound"),
        "inconclusive": ("o", "tab:orange", "inconclusive: the band straddles the bound"),
    }
    if not monte_carlo:
        marks["violated"] = ("x", "tab:red", "violated: measured above the bound")
    for kind, (symbol, colour, label) in marks.items():
        at = (verdicts == kind) & ~off
        if at.any():
            ax.plot(
                x[at],
                measured[at],
                symbol,
                color=colour,
                mfc="none",
                ms=7,
                mew=2,
                zorder=6,
                label=label,
            )
    if show_res:
        draw_resolution(ax, r.resolution, frame[0])
    set_y_frame(ax, frame)
    if over_steps:
        if x.size and x[0] >= 1 and x[-1] / x[0] >= 100:
            ax.set_xscale("log")
    else:
        sweep_axis(ax, x)
        if "gamma" in r.xlabel:
            mark_gamma_max(ax)
        draw_off_scale(ax, x[off], measured[off], label="off the scale (value under the marker)")
    ax.set_xlabel(x_label(r.xlabel))
    ax.set_ylabel(quantity_label(r.quantity, r.algorithm, r.theorem))
    ax.set_title(check_title(r), fontsize=10)
    ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
    return ax


def check_figure(result: CheckResult) -> Figure:
    """A figure holding ``plot_check(result)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.plotting import check_figure
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> fig = check_figure(mr.check(mr.theorem1, mast, n_steps=20))
    >>> fig.axes[0].get_title().splitlines()[1]
    'Theorem 1 · RandK(d=2, k=1) · γ = γ_max'
    """
    fig = Figure(figsize=(7, 4.6))
    plot_check(result, fig.subplots())
    fig.tight_layout()
    return fig


def worst_case_figure(worst: WorstCase) -> Figure:
    """The check of a ``WorstCase`` (``check_figure``) with the worst point marked and a title
    that says what the search found.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.plotting import worst_case_figure
    >>> from mastref.verify.instances import QuadraticFamily
    >>> w = mr.worst_case(mr.theorem1, QuadraticFamily(d=2, laws=("randk",)), n_steps=20,
    ...                   budget=20, progress=False)
    >>> worst_case_figure(w).axes[0].get_title().startswith("worst case of Theorem 1")
    True
    """
    fig = Figure(figsize=(7, 4.6))
    ax = fig.subplots()
    plot_check(worst.result, ax)
    r = worst.result
    at = np.flatnonzero(np.asarray(r.steps) == worst.t)
    if at.size:
        ax.plot(
            r.steps[at],
            r.measured[at],
            "*",
            ms=14,
            color="tab:orange",
            mec="k",
            zorder=7,
            label=f"worst measured/bound {worst.ratio:.4g} at t = {worst.t}",
        )
        ax.legend(fontsize=7.5, loc="best", framealpha=0.9)
    head = f"worst case of {worst.claim}: {worst.verdict}, ratio {worst.ratio:.4g}"
    ax.set_title(head + "\n" + check_title(r).split("\n", 1)[1], fontsize=10)
    fig.tight_layout()
    return fig


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
    """What a reader would miss in ``fig``: the invariants every mastref figure keeps.

    For each axes that draws data: a title (or the figure's suptitle), both axis labels, a
    legend (on the axes or the figure) when more than one artist is labelled, and y-limits that
    show every finite value of the measured data -- the solid lines and marker-only lines drawn
    in data coordinates (on a log axis, every positive value). Dashed and dotted lines (bounds,
    floors) may leave the frame: a bound decades below the data must not stretch the axis.
    Returns the problems as sentences (empty: the figure is fine). The tests hold the package's
    figures to it and the documentation build the gallery's.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from mastref.plotting import figure_problems
    >>> fig = Figure()
    >>> ax = fig.subplots()
    >>> _ = ax.plot([1, 2, 3], label="measured")
    >>> figure_problems(fig)
    ['axes 0: no title', 'axes 0: no x label', 'axes 0: no y label']
    >>> _ = ax.set(title="A", xlabel="iteration t", ylabel="value")
    >>> figure_problems(fig)
    []
    """
    problems = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    for k, ax in enumerate(fig.axes):
        lines = [
            line
            for line in ax.get_lines()
            if line.get_transform() == ax.transData and np.isfinite(line.get_xydata()).any()
        ]
        if not (lines or ax.collections or ax.patches or ax.images):
            continue  # a colour bar or an empty panel
        if not (ax.get_title() or suptitle):
            problems.append(f"axes {k}: no title")
        if not ax.get_xlabel():
            problems.append(f"axes {k}: no x label")
        if not ax.get_ylabel():
            problems.append(f"axes {k}: no y label")
        labelled = [h for h in ax.get_legend_handles_labels()[1] if not h.startswith("_")]
        if len(labelled) > 1 and ax.get_legend() is None and not fig.legends:
            problems.append(f"axes {k}: {len(labelled)} labelled artists but no legend")
        bottom, top = sorted(ax.get_ylim())
        for line in lines:
            if line.get_linestyle() not in ("-", "None", "none", " ", ""):
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
    return problems
