"""Check results, verdicts and confidence bounds (THEORY.md §7).

* Exact measurements (the moment recursion of §6, or deterministic GD): ``holds`` or
  ``violated``.
* Monte Carlo over ``R`` runs: one-sided normal confidence bounds at false-alarm rate
  ``FALSE_ALARM`` per check (Bonferroni over the recorded steps). ``violated`` when the lower
  confidence bound exceeds the bound somewhere, ``holds`` when the upper one stays below it
  everywhere, ``inconclusive`` otherwise.

A check that holds is ``weak`` when its tightness -- the largest ``measured / bound`` over the
last half of the horizon (where the checked part of the bound dominates, if a part is named),
on the steps whose bound lies above the numerical resolution -- falls below the check's stated
``floor``: a bound that is never approached does not test the statement. A check with no finite
comparison at all is ``not-checked``.

A point is compared with the bound (``checked``) where the bound is finite and above the
numerical resolution, and also where the measurement's lower confidence bound is above the
resolution while the bound is not: a measurement clear of round-off that exceeds a bound below
round-off is a violation, whatever the bound's own precision.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

#: False-alarm rate of a Monte Carlo check (probability of a wrong ``violated``).
FALSE_ALARM = 1e-3
#: Relative numerical resolution: values below RESOLUTION times the initial value are round-off.
RESOLUTION = 1e-10
_RTOL = 1e-9


@dataclass(frozen=True, kw_only=True, repr=False)
class CheckResult:
    """Outcome of one check; arrays are indexed like ``steps``.

    Attributes
    ----------
    name, theorem, instance, quantity, method : str
        What was checked, against which claim, on what, how measured.
    gamma_ratio : float
        ``gamma / gamma_max`` (``nan`` without a step limit).
    gamma, gamma_max : float
        The step and the claim's step limit (``inf``: the claim has none; ``nan``: not one
        step, e.g. a sweep over the step).
    steps : ndarray
        The x-axis (step counts, or the swept parameter).
    measured, lower, upper : ndarray
        The measured quantity and its confidence bounds (equal when exact).
    bound : ndarray
        The claimed bound.
    verdict : str
        ``holds``, ``violated``, ``inconclusive``, ``weak`` or ``not-checked`` (see the module
        docstring).
    notes : tuple of str
        Remarks (constants, skipped points).
    xlabel : str
        Label of ``steps``.
    seconds : float
        Wall time of the check.
    resolution : float
        Values at or below it are round-off; bounds below it are not checked.
    relation : str
        What the claim asserts about the quantity (``"upper bound"``).
    part : str
        The part of the bound the check stresses (``""``: the whole bound).
    part_mask : ndarray or None
        Where that part dominates the bound (``None``: everywhere).
    floor : float or None
        The tightness the check promises (``weak`` below it; ``None``: no promise).
    neighbourhood : float, ndarray or None
        The claim's floor (``Guarantee.floor``): the part of the bound that does not decay, 0
        for none; an array indexed like ``steps`` for a sweep whose claim changes along the
        x-axis (``nan`` where there is no claim); ``None``: not stated. Drawn by the plots,
        not used by the verdict.
    law : str
        The sketch law(s) of the instance (``""``: not stated), for titles.
    algorithm : str
        The algorithm whose run was measured (``Guarantee.algorithm``; ``""``: not stated).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> result = mr.check(mr.theorem1, mast, n_steps=20)
    >>> result.verdict, bool(result.max_tightness <= 1)
    ('holds', True)
    """

    name: str
    theorem: str
    instance: str
    quantity: str
    method: str
    gamma_ratio: float
    steps: np.ndarray
    measured: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    bound: np.ndarray
    verdict: str = ""
    notes: tuple = ()
    xlabel: str = "step t"
    seconds: float = 0.0
    resolution: float = 0.0
    relation: str = "upper bound"
    part: str = ""
    part_mask: np.ndarray | None = None
    floor: float | None = None
    gamma: float = float("nan")
    gamma_max: float = float("nan")
    neighbourhood: float | np.ndarray | None = None
    law: str = ""
    algorithm: str = ""

    def __repr__(self) -> str:
        worst = ""
        if self.verdict == "violated":
            tight = np.where(np.isfinite(self.tightness), self.tightness, -np.inf)
            at = int(np.argmax(tight))
            worst = f"max ratio {tight[at]:.4g} at {self._x_name()} = {self.steps[at]:g}, "
        return (
            f"CheckResult({self.name}: {self.verdict}, {worst}tightness "
            f"{self.late_tightness:.3g} (late{', ' + self.part if self.part else ''}), "
            f"{self.method}, {self.steps.size} points)"
        )

    def _x_name(self) -> str:
        return "t" if self.xlabel == "step t" else self.xlabel

    def checked(self) -> np.ndarray:
        """Mask of the compared entries (``compared``): the bound finite and above the
        numerical resolution, or the measurement's lower bound above it."""
        return compared(self.lower, self.bound, self.resolution)

    @property
    def tightness(self) -> np.ndarray:
        """``measured / bound`` on the checked entries (nan elsewhere)."""
        ok = self.checked() & (self.bound > 0)
        out = np.full(self.measured.shape, np.nan)
        out[ok] = self.measured[ok] / self.bound[ok]
        return out

    @property
    def max_tightness(self) -> float:
        """Largest ``measured / bound`` (over ``t >= 1`` for curves over steps)."""
        tight = self.tightness[self.steps > 0] if self.xlabel == "step t" else self.tightness
        return float(np.nanmax(tight)) if np.any(np.isfinite(tight)) else float("nan")

    def late_mask(self) -> np.ndarray:
        """The counted points: the last half of the horizon (curves over steps), where the
        checked part dominates; every point for other x-axes."""
        if self.xlabel != "step t":
            mask = np.ones(self.steps.shape, dtype=bool)
        else:
            mask = self.steps >= 0.5 * float(np.max(self.steps))
        if self.part_mask is not None:
            mask = mask & self.part_mask
        return mask

    @property
    def bound_decay(self) -> float:
        """How far the bound has fallen where the tightness is counted: its value at the last
        counted point over its first finite value at ``t >= 1`` (near 1: the bound has not
        moved, and a tightness near 1 there says little)."""
        if self.xlabel != "step t":
            return float("nan")
        ok = self.checked() & (self.steps >= 1)
        counted = ok & self.late_mask()
        if not counted.any():
            return float("nan")
        first = self.bound[np.flatnonzero(ok)[0]]
        return float(self.bound[np.flatnonzero(counted)[-1]] / first)

    @property
    def late_tightness(self) -> float:
        """Largest ``measured / bound`` over the counted points (``late_mask``)."""
        tight = self.tightness[self.late_mask()]
        return float(np.nanmax(tight)) if np.any(np.isfinite(tight)) else float("nan")

    def point_verdicts(self) -> tuple[np.ndarray, np.ndarray]:
        """``(verdicts, reasons)`` per point: ``holds``, ``violated`` or ``inconclusive`` where
        the point is compared with the bound (``checked``), else ``not-checked`` with the
        reason (no finite bound, a bound below the numerical resolution); ``reasons`` is empty
        where a finite comparison was made.

        Examples
        --------
        >>> import numpy as np
        >>> from mastref.verify import CheckResult
        >>> m = np.array([1.0, 0.5, 2.0])
        >>> r = CheckResult(name="x", theorem="T", instance="i", quantity="dist2", method="exact",
        ...     gamma_ratio=1.0, steps=np.arange(3), measured=m, lower=m, upper=m,
        ...     bound=np.array([1.0, 1.0, np.inf]))
        >>> r.point_verdicts()[0].tolist()
        ['holds', 'holds', 'not-checked']
        """
        ok = self.checked()
        with np.errstate(invalid="ignore"):
            slack = _RTOL * np.abs(self.bound) + 1e-15
            violated = ok & (self.lower > self.bound + slack)
            holds = ok & ~violated & (self.upper <= self.bound + slack)
        verdicts = np.where(ok, "inconclusive", "not-checked").astype(object)
        verdicts[holds] = "holds"
        verdicts[violated] = "violated"
        reasons = np.full(self.steps.size, "", dtype=object)
        reasons[ok & ~(np.isfinite(self.lower) & np.isfinite(self.upper))] = (
            "measured value not finite"
        )
        reasons[~np.isfinite(self.bound)] = "no finite bound (the claim promises nothing here)"
        below = np.isfinite(self.bound) & ~ok
        reasons[below] = f"bound below the numerical resolution {self.resolution:.3g}"
        return verdicts, reasons

    def replace(self, **changes) -> CheckResult:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def judge(result: CheckResult) -> CheckResult:
    """``result`` with its ``verdict`` set from the confidence bounds on the checked entries,
    and ``weak`` / ``not-checked`` as the module docstring says."""
    v = verdict(result.lower, result.upper, result.bound, result.resolution)
    notes = list(result.notes)
    if not np.any(result.checked()):
        v = "not-checked"
        notes.append("no point has a finite bound above the numerical resolution")
    elif v == "holds" and result.floor is not None:
        tight = result.late_tightness
        if not tight >= result.floor:
            v = "weak"
            notes.append(f"tightness {tight:.3g} is below the check's floor {result.floor:g}")
    skipped = int(np.sum(np.isfinite(result.bound) & ~result.checked()))
    if skipped:
        notes.append(
            f"{skipped} recorded point(s) with a bound below the numerical resolution "
            f"{result.resolution:.2g} are not checked"
        )
    return result.replace(verdict=v, notes=tuple(notes))


def compared(lower, bound, resolution: float) -> np.ndarray:
    """Where a measurement is compared with its bound: the bound finite and above
    ``resolution``, or the lower confidence bound of the measurement above it (then above a
    bound at or below round-off: a violation a bound's round-off cannot explain).

    Examples
    --------
    >>> import numpy as np
    >>> compared(np.array([1.0, 1e-12, 1e-3]), np.array([2.0, 1e-13, 1e-13]), 1e-10).tolist()
    [True, False, True]
    """
    lower, bound = np.asarray(lower, dtype=float), np.asarray(bound, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(bound) & ((bound > resolution) | (lower > resolution))


def verdict(lower, upper, bound, resolution: float = 0.0) -> str:
    """``violated`` / ``holds`` / ``inconclusive`` (see the module docstring), or
    ``not-checked`` when no point is ``compared`` (nothing was compared)."""
    ok = compared(lower, bound, resolution)
    if not np.any(ok):
        return "not-checked"
    slack = _RTOL * np.abs(bound[ok]) + 1e-15
    if np.any(lower[ok] > bound[ok] + slack):
        return "violated"
    if np.all(upper[ok] <= bound[ok] + slack):
        return "holds"
    return "inconclusive"


def z_value(n_steps: int) -> float:
    """One-sided normal quantile at ``FALSE_ALARM`` with Bonferroni over ``n_steps`` points."""
    return float(ndtri(1.0 - FALSE_ALARM / max(n_steps, 1)))


def resolution_of(measured0: float, bound0: float) -> float:
    """``RESOLUTION`` times the larger of the initial measured value and the initial bound."""
    scale = max(abs(measured0), abs(bound0) if np.isfinite(bound0) else 0.0)
    return RESOLUTION * scale


def result_from(
    name,
    g,
    instance,
    method,
    steps,
    mean,
    lower,
    upper,
    notes=(),
    running_min=False,
    part: str = "",
    floor: float | None = None,
    law: str = "",
) -> CheckResult:
    """A judged ``CheckResult`` of the guarantee ``g``; ``running_min``: the quantity is
    ``min_{s<t}`` (from t = 1); ``part``: count only where that part of the bound dominates;
    ``floor``: the promised tightness; ``law``: the sketch law(s), for titles. The claim's
    neighbourhood (``g.floor``) and algorithm are recorded for the plots."""
    res = resolution_of(mean[0], float(g.bound(steps[0])) if steps[0] > 0 else mean[0])
    if running_min:
        mean, lower, upper = (np.minimum.accumulate(a)[:-1] for a in (mean, lower, upper))
        steps = steps[1:]
    bound = g.bound(steps)
    part_mask = g.dominant(part, steps) if part else None
    return judge(
        CheckResult(
            name=name,
            theorem=g.name,
            instance=instance,
            quantity=g.quantity,
            method=method,
            gamma_ratio=g.gamma_ratio,
            steps=steps,
            measured=mean,
            lower=lower,
            upper=upper,
            bound=bound,
            notes=tuple(notes) + tuple(g.notes),
            resolution=res,
            part=part,
            part_mask=part_mask,
            floor=floor,
            gamma=float(g.gamma),
            gamma_max=float(g.gamma_max),
            neighbourhood=float(g.floor),
            law=law,
            algorithm=g.algorithm,
        )
    )


def monte_carlo_result(
    name, g, instance, method, steps, samples, notes=(), running_min=False, **kw
):
    """A Monte Carlo check from per-step samples (n_records, R): one-sided normal bounds."""
    mean = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / np.sqrt(samples.shape[1])
    z = z_value(len(steps))
    return result_from(
        name,
        g,
        instance,
        method,
        steps,
        mean,
        mean - z * se,
        mean + z * se,
        notes,
        running_min,
        **kw,
    )


def exact_result(name, g, instance, method, steps, values, notes=(), running_min=False, **kw):
    """An exact (or deterministic) check: the confidence bounds are the values themselves."""
    return result_from(
        name, g, instance, method, steps, values, values, values, notes, running_min, **kw
    )
