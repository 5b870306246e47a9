"""The figures of the verifier (THEORY.md §7): a ``CheckResult`` or a ``WorstCase`` drawn by the
rules of ``mastref.plotting``.

``plot_check`` draws one check on an axes, ``check_figure`` and ``worst_case_figure`` make the
figures of ``mastref verify`` and of ``WorstCase.plot``, ``plot`` writes a check's PNG. The
generic drawing helpers (measured curve, bound, resolution, frames) live in ``mastref.plotting``,
which knows nothing of the verifier; matplotlib and those helpers are imported when a figure is
drawn, so ``import mastref`` does not load matplotlib.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .result import FALSE_ALARM, CheckResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class WorstPoint(Protocol):
    """What ``worst_case_figure`` reads from a ``WorstCase`` (``mastref.verify.search``): the
    claim, the verdict, the worst ratio measured/bound, the iteration t where it is reached and the
    check at the worst instance."""

    claim: str
    verdict: str
    ratio: float
    t: int
    result: CheckResult


def check_title(result: CheckResult) -> str:
    """Two lines: the check, its verdict and tightness; the theorem, the law and the step.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.plot import check_title
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> print(check_title(mr.check(mr.theorem1, mast, n_steps=20, name="t1")))
    t1: holds, tightness 0.000976
    Theorem 1 · RandK(d=2, k=1) · γ = γ_max
    """
    from ..plotting import step_text

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


def plot_check(
    result: CheckResult,
    ax: Axes | None = None,
    *,
    ceiling: float | None = None,
    place: bool = True,
) -> Axes:
    r"""Draw a ``CheckResult`` on ``ax`` (a new figure's when ``None``) by the module's rules:
    measured (band when Monte Carlo; grey where not checked), bound and neighbourhood,
    resolution, violated and inconclusive points marked (``CheckResult.point_verdicts``), words
    on the axes, the title of ``check_title``.

    ``ceiling``, a proved ceiling ``c`` on the late tightness (a catalogue check's
    ``Check.ceiling``), draws ``c * bound`` at the counted points (``late_mask``, checked, bound
    above 0): the line no instance with the check's constants can cross there, so the gap
    between it and the measurement is what the check leaves unreached. Nothing is drawn for
    ``None``, a non-finite or non-positive value, or a check that is not a curve over steps.
    ``place=False`` leaves the legend at ``loc="best"`` unchecked, for a caller that lays the
    figure out and places it afterwards (``check_figure``: ``settle_legends``), saving a draw.

    A curve over steps frames every finite measured value above the resolution; a sweep (any
    other x-axis) frames the points with a finite bound and draws values more than
    ``OFF_SCALE`` times above them at the top (``draw_off_scale``), and a sweep over the step
    marks ``γ_max``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.plot import plot_check
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> ax = plot_check(mr.check(mr.theorem1, mast, n_steps=20))
    >>> print(ax.get_xlabel(), "|", ax.get_ylabel())
    iteration t | $\mathbf{E}\,\|x_t - x_D^\star\|^2$
    """
    from ..plotting import (
        OFF_SCALE,
        draw_bound,
        draw_measured,
        draw_off_scale,
        draw_resolution,
        mark_gamma_max,
        mark_points,
        place_legend,
        quantity_label,
        set_y_frame,
        shade_not_checked,
        sweep_axis,
        x_label,
        y_frame,
    )

    if ax is None:
        from matplotlib.figure import Figure

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
    floor = r.neighbourhood  # the bound's floor: where the bound levels off
    if floor is not None and np.all(np.asarray(floor, dtype=float) <= r.resolution):
        floor = None  # at or below the numerical resolution: zero at this scale, not drawn
    if floor is not None:
        frame_data.append(floor)
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
    draw_bound(ax, x, r.bound, neighbourhood=floor, label=f"bound ({r.theorem})")
    if over_steps and ceiling is not None and math.isfinite(ceiling) and ceiling > 0:
        at = r.late_mask() & checked & (r.bound > 0)
        ax.plot(
            x[at],
            ceiling * r.bound[at],
            "-.",
            color="tab:purple",
            lw=1.3,
            zorder=4,
            label=f"proved ceiling: {ceiling:.3g} × bound at the counted steps",
        )
    verdicts, _ = r.point_verdicts()
    marks = {
        "violated": ("x", "tab:red", "violated: lower confidence bound above the bound"),
        "inconclusive": ("o", "tab:orange", "inconclusive: the band straddles the bound"),
    }
    if not monte_carlo:
        marks["violated"] = ("x", "tab:red", "violated: measured above the bound")
    x_name = "t" if over_steps else "γ/γ_max" if "gamma" in r.xlabel else "x"
    for kind, (symbol, colour, label) in marks.items():
        at = (verdicts == kind) & ~off
        mark_points(ax, x, measured, at, marker=symbol, color=colour, label=label, x_name=x_name)
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
        above = "off the scale, above the frame (value below the marker)"
        draw_off_scale(ax, x[off], measured[off], label=above)
    ax.set_xlabel(x_label(r.xlabel))
    ax.set_ylabel(quantity_label(r.quantity, r.algorithm, r.theorem))
    ax.set_title(check_title(r), fontsize=10)
    if place:
        place_legend(ax, fontsize=7.5, framealpha=0.9)
    else:
        ax.legend(fontsize=7.5, framealpha=0.9)
    return ax


def check_figure(result: CheckResult, *, ceiling: float | None = None) -> Figure:
    """A figure holding ``plot_check(result, ceiling=ceiling)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.plot import check_figure
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> fig = check_figure(mr.check(mr.theorem1, mast, n_steps=20))
    >>> fig.axes[0].get_title().splitlines()[1]
    'Theorem 1 · RandK(d=2, k=1) · γ = γ_max'
    """
    from matplotlib.figure import Figure

    from ..plotting import settle_legends

    fig = Figure(figsize=(7, 4.6))
    plot_check(result, fig.subplots(), ceiling=ceiling, place=False)
    settle_legends(fig)
    return fig


def worst_case_figure(worst: WorstPoint) -> Figure:
    """The check of a ``WorstCase`` (``check_figure``) with the worst point marked and a title
    that says what the search found.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.verify.plot import worst_case_figure
    >>> from mastref.verify.instances import QuadraticFamily
    >>> w = mr.worst_case(mr.theorem1, QuadraticFamily(d=2, sketches=("randk",)), n_steps=20,
    ...                   budget=20, progress=False)
    >>> worst_case_figure(w).axes[0].get_title().startswith("worst case of Theorem 1")
    True
    """
    from matplotlib.figure import Figure

    from ..plotting import settle_legends

    fig = Figure(figsize=(7, 4.6))
    ax = fig.subplots()
    plot_check(worst.result, ax, place=False)
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
        ax.legend(fontsize=7.5, framealpha=0.9)
    head = f"worst case of {worst.claim}: {worst.verdict}, ratio {worst.ratio:.4g}"
    ax.set_title(head + "\n" + check_title(r).split("\n", 1)[1], fontsize=10)
    settle_legends(fig)
    return fig


def save_check_figure(
    result: CheckResult, path: Path, *, ceiling: float | None = None
) -> None:
    """Write the PNG of ``result`` to ``path``: ``check_figure`` (measured with its confidence
    band when Monte Carlo, grey where not checked; the bound and its neighbourhood; the numerical
    resolution when the data reach it; γ_max on a step sweep; a proved ``ceiling`` times the
    bound at the counted steps).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "t1.png"
    ...     mr.verify.save_check_figure(mr.check(mr.theorem1, mast, n_steps=20), path)
    ...     path.is_file()
    True
    """
    from ..plotting import save_figure

    save_figure(check_figure(result, ceiling=ceiling), path)
