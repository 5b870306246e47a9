"""Claims as data: ``Guarantee`` and the helpers every theorem shares (THEORY.md §5, §7).

A ``Guarantee`` states, for one instance, a bound on a measured ``quantity`` of an algorithm's
run: its step ``gamma`` and step limit ``gamma_max``, ``bound(t)``, the part of the bound that
does not decay (``floor``, the neighbourhood), the conditions it needs and the constants it
used. The theorems of ``mastref.theorems`` return one; a user states their own claim the same
way (``Guarantee(name=..., quantity="dist2", gamma=..., bound=..., ...)``) and checks it with
``mastref.check`` or ``mastref.worst_case``. Quantities:

* ``"dist2"``: ``E||x_t - x*||^2``;
* ``"value_gap"``: ``E f(x_t) - f^inf`` (``f = f_D``, or ``F`` for Algorithm 4);
* ``"grad_norm2_min"``: ``min_{s<t} E||grad f(x_s)||^2``;
* ``"lyapunov"``: the Lyapunov function of Theorem 4 (weights ``values["c_D"]``, ``["c_h"]``).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validation import MissingCapability, check_real, check_vector
from ..mast import erm_bracket

#: The measured quantities a guarantee can bound.
QUANTITIES = ("dist2", "value_gap", "grad_norm2_min", "lyapunov")
#: The algorithms a guarantee can be about (``mastref.algorithms``).
ALGORITHMS = ("dsgd", "gd_mast", "l_svrdsg", "distributed_dsgd")


class InvalidGuarantee(ValueError):
    """A theorem was asked for outside its assumptions (the message names the condition).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> try:
    ...     mr.theorem1(mast, gamma=1.0)  # gamma_max = 1/L_max = 1/4
    ... except mr.InvalidGuarantee as err:
    ...     print(str(err).split(":")[0])
    Theorem 1
    """


class _Bound:
    """``t -> bound(t)`` vectorised over iterations ``t``: ``t >= 0`` checked (``nan`` refused),
    a scalar value broadcast to the shape of ``t``, any other shape refused naming the claim."""

    def __init__(self, fn: Callable, claim: str = ""):
        self.fn = fn
        self.claim = claim

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        if not np.all(t >= 0):
            raise ValueError(f"argument 't' = {t} must be >= 0 (iterations; nan refused)")
        with np.errstate(over="ignore"):
            out = self.fn(t)
        try:
            out = np.asarray(out, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"{self.claim or 'the claim'}: bound(t) returned {out!r}; it must give real "
                "numbers, one per t"
            ) from None
        if out.shape == () and t.shape != ():
            return np.full(t.shape, float(out))
        if out.shape != t.shape:
            raise ValueError(
                f"{self.claim or 'the claim'}: bound(t) has shape {out.shape} for t of shape "
                f"{t.shape}; it must give one value per t"
            )
        return out

    def __repr__(self) -> str:
        return f"<bound {getattr(self.fn, '__name__', 'callable')}>"


@dataclass(frozen=True, kw_only=True, repr=False)
class Guarantee:
    """A claim about a run on a concrete instance (see the module docstring).

    Attributes
    ----------
    name : str
        The claim's name (``"Theorem 1"``, or a user's).
    quantity : str
        One of ``QUANTITIES``.
    gamma : float
        The step size the claim is about.
    gamma_max : float
        The largest step it admits (``inf``: none).
    bound : callable
        ``bound(t)`` for step counts ``t`` (vectorised).
    floor : float
        The part of the bound that does not decay (the neighbourhood; 0 for none).
    rate : float
        The contraction factor of the decaying part (``nan`` for sublinear bounds).
    algorithm : str
        One of ``ALGORITHMS``; ``options`` holds its settings (``batch_size``, ``p``, ``b``).
    reference : str
        Where the statement comes from (THEORY.md section, paper number).
    constants : str
        ``"paper"`` or ``"exact"`` constants (theorems), or the user's wording.
    conditions : dict
        condition -> holds; ``details`` gives the numbers behind each.
    values : dict
        The constants used.
    parts : dict
        name -> callable of ``t``: the bound's parts (``"transient"``, ``"neighbourhood"``),
        which sum to ``bound``; a check stresses a part where that part dominates.
    branches : dict
        name -> bool: the branches of each ``min`` or ``max`` inside the statement and the
        terms of each sum inside a constant, ``True`` where that branch or term decides the
        bound on this instance (``min_branches``, ``term_branches``: keys ``"GROUP: NAME"``,
        e.g. ``"rho: p/2"`` or ``"C: 2 A Delta"``). A catalogue check that names a branch
        (``Check.branch``) is counted for it only where it is ``True``.
    notes : tuple of str
        Remarks (e.g. a constant replaced by an upper bound).
    x0 : ndarray or None
        The starting point the claim is about (``None``: any).
    n_steps : int or None
        The horizon it was stated for (``None``: any).

    Examples
    --------
    A claim "DSGD with RandK converges at rate ``1 - gamma mu_f`` to zero", stated by hand:

    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(4), np.ones(4)), mr.RandK(4, 2))
    >>> gamma = 0.1
    >>> claim = mr.Guarantee(name="naive rate", quantity="dist2", gamma=gamma,
    ...     gamma_max=1 / mast.L_max, bound=lambda t: (1 - gamma) ** t * 4.0)
    >>> claim
    Guarantee(naive rate: dist2 of dsgd, gamma=0.1 (gamma_max=0.25), valid)
    >>> float(claim.bound(2))
    3.24
    """

    name: str
    quantity: str
    gamma: float
    bound: Callable
    gamma_max: float = math.inf
    floor: float = 0.0
    rate: float = math.nan
    algorithm: str = "dsgd"
    options: dict = field(default_factory=dict)
    reference: str = ""
    constants: str = "paper"
    conditions: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)
    branches: dict = field(default_factory=dict)
    notes: tuple = ()
    x0: np.ndarray | None = None
    n_steps: int | None = None

    def __post_init__(self):
        if self.quantity not in QUANTITIES:
            raise ValueError(
                f"argument 'quantity' = {self.quantity!r} must be one of {list(QUANTITIES)}"
            )
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"argument 'algorithm' = {self.algorithm!r} must be one of {list(ALGORITHMS)}"
            )
        if not callable(self.bound):
            raise TypeError("argument 'bound' must be a callable of the step count t")
        for name in ("gamma", "gamma_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"argument '{name}' = {value!r} must be a real number")
            if not value >= 0 or (name == "gamma" and not math.isfinite(value)):
                raise ValueError(
                    f"argument '{name}' = {value} must be "
                    + ("finite and >= 0" if name == "gamma" else ">= 0 (inf: no step limit)")
                )
        if not isinstance(self.bound, _Bound):
            object.__setattr__(self, "bound", _Bound(self.bound, self.name))
        parts = {
            k: f if isinstance(f, _Bound) else _Bound(f, f"{self.name}, part {k}")
            for k, f in self.parts.items()
        }
        object.__setattr__(self, "parts", parts)
        bad = {k: v for k, v in self.branches.items() if not isinstance(v, (bool, np.bool_))}
        if bad or not all(isinstance(k, str) and k for k in self.branches):
            raise TypeError(
                f"argument 'branches' = {self.branches!r} must map branch names (non-empty "
                "str) to bool (the branch decides the bound here)"
            )
        object.__setattr__(self, "branches", {k: bool(v) for k, v in self.branches.items()})
        object.__setattr__(self, "notes", tuple(self.notes))

    def dominant(self, part: str, t, share: float = 0.9) -> np.ndarray:
        """Mask of the steps ``t`` where ``part`` is at least ``share`` of the bound (so that a
        measurement there tests that part, not the others)."""
        t = np.asarray(t, dtype=float)
        if part not in self.parts:
            raise ValueError(f"{self.name} has no part {part!r}; parts: {list(self.parts)}")
        with np.errstate(invalid="ignore"):
            return self.parts[part](t) >= share * self.bound(t)

    @property
    def valid(self) -> bool:
        """All conditions hold."""
        return all(self.conditions.values())

    @property
    def gamma_ratio(self) -> float:
        """``gamma / gamma_max`` (``nan`` when there is no finite step limit)."""
        if math.isfinite(self.gamma_max) and self.gamma_max > 0:
            return self.gamma / self.gamma_max
        return math.nan

    def __repr__(self) -> str:
        limit = f"gamma_max={self.gamma_max:.4g}" if math.isfinite(self.gamma_max) else "no limit"
        state = "valid" if self.valid else "INVALID"
        return (
            f"Guarantee({self.name}: {self.quantity} of {self.algorithm}, gamma={self.gamma:.4g} "
            f"({limit}), {state})"
        )

    def summary(self) -> str:
        """A Markdown table of the guarantee."""
        rows = [
            ("claim", f"{self.name} ({self.reference})" if self.reference else self.name),
            ("bounds", f"{self.quantity} of {self.algorithm}"),
            ("constants", self.constants),
            ("gamma", f"{self.gamma:.6g}"),
            ("gamma_max", f"{self.gamma_max:.6g}"),
            ("rate", f"{self.rate:.6g}"),
            ("floor (neighbourhood)", f"{self.floor:.6g}"),
        ]
        rows += [(f"condition: {k}", "holds" if v else "FAILS") for k, v in self.conditions.items()]
        rows += [(k, f"{v:.6g}") for k, v in self.values.items()]
        return "\n".join(["| item | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


# ------------------------------------------------------------------------------------------------
# Helpers shared by the theorem files
# ------------------------------------------------------------------------------------------------


def finish(g: Guarantee, strict: bool) -> Guarantee:
    """Return a valid guarantee; raise ``InvalidGuarantee`` (``strict``) or warn otherwise."""
    if g.valid:
        return g
    failed = [
        f"{name} ({g.details[name]})" if name in g.details else name
        for name, ok in g.conditions.items()
        if not ok
    ]
    message = f"{g.name}: condition(s) fail: " + "; ".join(failed)
    if strict:
        raise InvalidGuarantee(message + " (pass strict=False for the guarantee marked invalid)")
    warnings.warn(message, stacklevel=3)
    return g


def quietly(statement: Callable, *args, **kw) -> Guarantee:
    """``statement(*args, strict=False, **kw)`` without the warning of an invalid guarantee (the
    controls reuse a theorem's constants outside its conditions on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return statement(*args, strict=False, **kw)


def check_constants(constants: str) -> str:
    if constants not in ("paper", "exact"):
        raise ValueError(f"argument 'constants' = {constants!r} must be 'paper' or 'exact'")
    return constants


def gamma_or_default(gamma, default: float) -> float:
    """The step: ``default`` when ``gamma`` is ``None``, else a checked positive number."""
    if gamma is None:
        return float(default)
    return check_real("gamma", gamma, positive=True)


def gamma_condition(conditions: dict, details: dict, gamma, gamma_max, strict_lt=False) -> None:
    """Record ``gamma <= gamma_max`` (or ``<``) among the conditions."""
    ok = gamma < gamma_max if strict_lt else gamma <= gamma_max * (1 + 1e-12)
    key = "gamma < gamma_max" if strict_lt else "gamma <= gamma_max"
    conditions[key] = bool(gamma > 0 and ok)
    details[key] = f"gamma = {gamma:.6g}, gamma_max = {gamma_max:.6g}"
    if not gamma_max > 0:
        details[key] += " (no positive step: a constant of the limit is infinite or zero)"


def start(obj, x0) -> np.ndarray:
    """The starting point: ``x0``, or the shift ``v`` when ``x0`` is ``None`` (a ``TypeError``
    naming the argument unless ``obj`` is an objective with a shift)."""
    if not (hasattr(obj, "v") and hasattr(obj, "d")):
        raise TypeError(
            f"argument 'mast' = {obj!r} must be a MAST objective (a DistributedProblem for "
            "theorem5)"
        )
    return obj.v.copy() if x0 is None else check_vector("x0", x0, obj.d)


def require_mast(mast) -> None:
    """A ``TypeError`` naming the argument unless ``mast`` is a MAST objective (by capability:
    its constants, problem and law)."""
    if not all(hasattr(mast, name) for name in ("L", "mu", "L_max", "problem", "sketch")):
        raise TypeError(
            f"argument 'mast' = {mast!r} must be a MAST objective (one problem, one law); "
            "for clients use theorem5"
        )


def mast_constants(mast, constants: str, notes: list, Delta=None) -> dict:
    """``L``, ``mu``, ``L_max`` of ``f_D`` (paper or exact); ``Delta`` (exact, else an upper
    bound, or the user's ``Delta``: see ``gap``)."""
    require_mast(mast)
    if constants == "paper":
        out = {"L": mast.L, "mu": mast.mu, "L_max": mast.L_max}
    else:
        if not mast.has_quadratic_form:
            raise ValueError("constants='exact' needs a quadratic problem; use constants='paper'")
        try:
            L_max = mast.L_max_exact
        except MissingCapability:
            L_max = mast.L_max
            notes.append("L_max: no enumerable support, the paper value L_f L_S_max is used")
        out = {"L": mast.L_exact, "mu": mast.mu_exact, "L_max": L_max}
    out["Delta"] = gap(mast, notes, Delta)
    return out


def check_Delta(Delta) -> float:
    """A user's ``Delta`` (or upper bound on it): a finite real number ``>= 0``."""
    Delta = check_real("Delta", Delta)
    if not (math.isfinite(Delta) and Delta >= 0):
        raise ValueError(
            f"argument 'Delta' = {Delta} must be finite and >= 0 (Delta = f_D^inf - f^inf, or an "
            "upper bound on it)"
        )
    return Delta


def _bracket(obj):
    """``obj.gap_bound``, with a refusal that names the theorems' argument ``Delta``."""
    try:
        return obj.gap_bound
    except MissingCapability as err:
        if "Delta=" in str(err):
            raise
        raise MissingCapability(
            f"{err} (the theorem accepts Delta=, a value or an upper bound on Delta)"
        ) from None


def gap(obj, notes: list, Delta=None) -> float:
    """``Delta`` the theorem uses, with a note saying which one.

    * ``Delta`` given: the user's value or upper bound, checked to be finite, ``>= 0`` and not
      below the certified lower bound of ``obj.gap_bound`` when that one is available;
    * else ``obj.gap_bound.upper``: exact (closed form, enumeration, interpolation), a certified
      upper bound (L-BFGS on the exact finite sum; the P5 bracket, at most the P6 bound
      ``L_f (L_D - 1)/2 ||x* - v||^2``), or a sample-average upper confidence bound.
    """
    if Delta is not None:
        Delta = check_Delta(Delta)
        try:
            b = obj.gap_bound
        except (ValueError, MissingCapability):
            b = None
        if b is not None and b.confidence == 1.0 and Delta < b.lower * (1 - 1e-9):
            raise ValueError(
                f"argument 'Delta' = {Delta:.6g} is below the certified lower bound "
                f"{b.lower:.6g} of Delta ({b.method}); Delta must be the value or an upper bound"
            )
        notes.append(f"Delta: user-supplied value or upper bound {Delta:.6g}")
        return Delta
    b = _bracket(obj)
    if not b.exact:
        notes.append(
            f"Delta: upper bound {b.upper:.6g} (Delta in [{b.lower:.6g}, {b.upper:.6g}]; "
            f"{b.method})"
        )
    return float(b.upper)


def dist2(obj, x0: np.ndarray, notes: list) -> float:
    """``||x_0 - x*||^2`` for the optimum ``x*`` of ``obj`` (``x_D*`` or ``x_F*``): exact, or the
    upper bound ``(||x_0 - x|| + radius)^2`` of ``obj.gap_bound``'s ball."""
    b = _bracket(obj)
    r = float(np.linalg.norm(x0 - b.x))
    if b.radius == 0:
        return r * r
    notes.append(
        f"dist2_0: upper bound (||x_0 - x|| + {b.radius:.3g})^2 around a point within "
        f"{b.radius:.3g} of the optimum ({b.method})"
    )
    return (r + b.radius) ** 2


def delta0(obj, x0: np.ndarray, notes: list) -> float:
    """``f_D(x_0) - f_D^inf``: ``f_D(x_0)`` exact, or its P5 upper bound
    ``f(x_0) + L_f(L_D-1)/2 ||x_0-v||^2``, minus the lower bound ``gap_bound.inf_lower`` of
    ``f_D^inf`` (exact where ``Delta`` is). A quadratic ``f_D`` (or ``F``): ``1/2 e^T H e``,
    ``e = x_0 - x*``, ``H`` its Hessian, accurate relative to ``delta_0`` however small (the
    difference of values loses ``eps |f_D^inf|``)."""
    if getattr(obj, "has_quadratic_form", False):
        try:
            H = obj.A_F if hasattr(obj, "A_F") else obj.A_D
            e = np.asarray(x0, dtype=float) - obj.argmin()
            return max(0.5 * float(e @ H @ e), 0.0)
        except MissingCapability:
            pass
    try:
        inf_lower = obj.gap_bound.inf_lower
    except MissingCapability:  # f_D^inf >= f^inf (P6)
        inf_lower = erm_bracket(obj.problem)[1]
        notes.append("delta_0: f_D^inf bounded below by f^inf (P6)")
    try:
        fx = obj.value(x0)
    except (ValueError, MissingCapability):
        p = obj.problem
        h2 = float(np.sum((x0 - obj.v) ** 2))
        notes.append("delta_0 bounded through P5: f(x0) + L_f(L_D-1)/2 ||x0-v||^2 - f_D^inf")
        fx = p.value(x0) + 0.5 * p.L * (obj.sketch.L_D - 1.0) * h2
    return max(fx - inf_lower, 0.0)


def geometric(rate: float, start_value: float, floor: float) -> Callable:
    """``rate^t start_value + floor``."""

    def bound(t):
        return rate**t * start_value + floor

    return bound


def geometric_parts(rate: float, start_value: float, floor: float) -> dict:
    """The parts of ``geometric``: the transient ``rate^t start`` and the floor."""

    def transient(t):
        return rate**t * start_value

    def neighbourhood(t):
        return np.full(np.shape(t), float(floor))

    return {"transient": transient, "neighbourhood": neighbourhood}


def sublinear(a: float, delta0: float, gamma: float, floor: float) -> Callable:
    """``a^t delta0 / (gamma t) + floor`` for t >= 1, ``inf`` at t = 0."""

    def bound(t):
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(t > 0, np.exp(t * math.log(a)) * delta0 / (gamma * t) + floor, np.inf)

    return bound


def sublinear_parts(a: float, delta0: float, gamma: float, floor: float) -> dict:
    """The parts of ``sublinear``: ``a^t delta0 / (gamma t)`` and the floor."""

    def transient(t):
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(t > 0, np.exp(t * math.log(a)) * delta0 / (gamma * t), np.inf)

    def neighbourhood(t):
        return np.full(np.shape(t), float(floor))

    return {"transient": transient, "neighbourhood": neighbourhood}


def min_branches(group: str, terms: dict[str, float], kind: str = "min") -> dict[str, bool]:
    """The branches of ``group = min(terms)`` (``kind="max"``: ``max``) as
    ``Guarantee.branches``: ``"group: name" -> True`` where that term alone attains the min
    (max), strictly, by more than a relative ``1e-9`` (at a tie no branch decides: a wrong
    constant in one of them would change nothing there).

    Examples
    --------
    >>> from mastref.theorems.claims import min_branches
    >>> min_branches("rho", {"gamma mu": 0.01, "p/2": 0.05})
    {'rho: gamma mu': True, 'rho: p/2': False}
    >>> min_branches("rho", {"gamma mu": 0.05, "p/2": 0.05})
    {'rho: gamma mu': False, 'rho: p/2': False}
    """
    if kind not in ("min", "max"):
        raise ValueError(f"argument 'kind' = {kind!r} must be 'min' or 'max'")
    sign = 1.0 if kind == "min" else -1.0
    out = {}
    for name, value in terms.items():
        others = [sign * w for k, w in terms.items() if k != name]
        out[f"{group}: {name}"] = bool(
            all(sign * value < w - 1e-9 * max(abs(w), abs(value)) for w in others)
        )
    return out


def term_branches(group: str, terms: dict[str, float], share: float = 0.9) -> dict[str, bool]:
    """The terms of the sum ``group = sum(terms)`` (nonnegative) as ``Guarantee.branches``:
    ``"group: name" -> True`` where that term is at least ``share`` of the sum (so that a
    measurement near the bound tests that term, not the others).

    Examples
    --------
    >>> from mastref.theorems.claims import term_branches
    >>> term_branches("C", {"2 A Delta": 0.0, "2 L_S A_tau Delta_data": 1.5})
    {'C: 2 A Delta': False, 'C: 2 L_S A_tau Delta_data': True}
    """
    total = float(sum(terms.values()))
    return {f"{group}: {k}": bool(total > 0 and v >= share * total) for k, v in terms.items()}


def atom_grads(mast, x: np.ndarray) -> np.ndarray:
    """``grad f_{S_k}(x)`` for every atom ``S_k`` of the law's support, ``(N, d)``."""
    samples, _ = mast.sketch.support()
    return np.array([mast.sketched_grad(x, s) for s in samples])
