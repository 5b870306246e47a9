"""The theorems of THEORY.md §5 as code: step-size limits, conditions and bounds over time.

Each function returns a ``Guarantee``: the largest admissible step ``gamma_max``, the step used
``gamma`` (default: the theorem's choice), the constants (``constants="paper"``: ``L_f L_D``,
``mu_f mu_D``, ``L_f L_S_max``; ``"exact"``: ``lambda_max(A_D)``, ``lambda_min(A_D)``,
``max_S lambda_max(S^T A S)`` for quadratics), the contraction factor ``rate`` (``nan`` when the
rate is sublinear), the ``neighborhood``, ``bound(t)`` and the measured ``quantity`` it bounds:

* ``"dist2"``: ``E||x_t - x*||^2``;
* ``"grad_norm2_min"``: ``min_{s<t} E||grad f_D(x_s)||^2``;
* ``"value_gap"``: ``E f_D(x_t) - f_D^inf``;
* ``"lyapunov"``: the Lyapunov function of Theorem 4 (see ``svrdsg_lyapunov``).

A guarantee whose assumptions fail raises ``InvalidGuarantee`` naming the failed condition, or,
with ``strict=False``, is returned with ``valid = False`` (and a warning).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int, check_real, check_vector
from .algorithms import Trace
from .distributed import DistributedProblem
from .mast import MAST
from .problems import LogisticRegression
from .sketches import FiniteSketch


class InvalidGuarantee(ValueError):
    """A theorem was asked for outside its assumptions."""


@dataclass
class Guarantee:
    """A theorem's statement on a concrete instance (see the module docstring)."""

    name: str
    reference: str
    quantity: str
    gamma_max: float
    gamma: float
    constants: str
    rate: float
    neighborhood: float
    conditions: dict[str, bool]
    values: dict[str, float]
    notes: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    _bound: Callable | None = field(default=None, repr=False)

    @property
    def valid(self) -> bool:
        """All conditions hold."""
        return all(self.conditions.values())

    def bound(self, t) -> np.ndarray:
        """The bound after ``t`` steps (vectorised over an array of step counts)."""
        t = np.asarray(t, dtype=float)
        if np.any(t < 0):
            raise ValueError("argument 't' must be >= 0")
        return np.asarray(self._bound(t), dtype=float)

    def summary(self) -> str:
        """A Markdown table of the guarantee."""
        rows = [
            ("theorem", f"{self.name} ({self.reference})"),
            ("bounds", self.quantity),
            ("constants", self.constants),
            ("gamma", f"{self.gamma:.6g}"),
            ("gamma_max", f"{self.gamma_max:.6g}"),
            ("rate", f"{self.rate:.6g}"),
            ("neighborhood", f"{self.neighborhood:.6g}"),
        ]
        rows += [(f"condition: {k}", "holds" if v else "FAILS") for k, v in self.conditions.items()]
        rows += [(k, f"{v:.6g}") for k, v in self.values.items()]
        return "\n".join(["| item | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def _finish(g: Guarantee, strict: bool) -> Guarantee:
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


def _check_constants(constants: str) -> str:
    if constants not in ("paper", "exact"):
        raise ValueError(f"argument 'constants' = {constants!r} must be 'paper' or 'exact'")
    return constants


def _step(gamma, default: float) -> float:
    if gamma is None:
        return float(default)
    return check_real("gamma", gamma, positive=True)


def _gamma_condition(
    g_conditions: dict, details: dict, gamma: float, gamma_max: float, strict_lt=False
):
    ok = gamma < gamma_max if strict_lt else gamma <= gamma_max * (1 + 1e-12)
    key = "gamma < gamma_max" if strict_lt else "gamma <= gamma_max"
    g_conditions[key] = bool(gamma > 0 and ok)
    details[key] = f"gamma = {gamma:.6g}, gamma_max = {gamma_max:.6g}"


def _mast_constants(mast: MAST, constants: str, notes: list) -> dict:
    """``L``, ``mu``, ``L_max`` of ``f_D`` (paper or exact); ``Delta`` (exact, else P6 bound)."""
    if constants == "paper":
        out = {"L": mast.L, "mu": mast.mu, "L_max": mast.L_max}
    else:
        if not mast.is_quadratic:
            raise ValueError("constants='exact' needs a quadratic problem; use constants='paper'")
        try:
            L_max = mast.L_max_exact
        except NotImplementedError:
            L_max = mast.L_max
            notes.append("L_max: no enumerable support, the paper value L_f L_S_max is used")
        out = {"L": mast.L_exact, "mu": mast.mu_exact, "L_max": L_max}
    out["Delta"] = _gap(mast, notes)
    return out


def _gap(mast: MAST, notes: list) -> float:
    try:
        return max(mast.gap, 0.0)
    except (ValueError, NotImplementedError):
        p = mast.problem
        bound = 0.5 * p.L * (mast.sketch.L_D - 1.0) * float(np.sum((p.argmin() - mast.v) ** 2))
        notes.append("Delta is not exactly computable here; its P6 upper bound is used")
        return bound


def _delta0(obj, x0: np.ndarray, notes: list) -> float:
    """``f_D(x_0) - f_D^inf``, or its upper bound ``f(x_0) + L_f(L_D-1)/2 ||x_0-v||^2 - f^inf``."""
    try:
        return max(obj.value(x0) - obj.inf, 0.0)
    except (ValueError, NotImplementedError):
        p = obj.problem
        h2 = float(np.sum((x0 - obj.v) ** 2))
        notes.append("delta_0 bounded through P5/P6: f(x0) + L_f(L_D-1)/2 ||x0-v||^2 - f^inf")
        return p.value(x0) + 0.5 * p.L * (obj.sketch.L_D - 1.0) * h2 - p.inf


def _x0(x0, d: int) -> np.ndarray:
    return check_vector("x0", x0, d)


def _geometric(rate: float, start: float, floor: float) -> Callable:
    return lambda t: rate**t * start + floor


def _sublinear(a: float, delta0: float, gamma: float, floor: float) -> Callable:
    """``a^t delta0 / (gamma t) + floor`` for t >= 1, ``inf`` at t = 0."""

    def bound(t):
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(t > 0, np.exp(t * math.log(a)) * delta0 / (gamma * t) + floor, np.inf)

    return bound


# ------------------------------------------------------------------------------------------------
# Theorem 1
# ------------------------------------------------------------------------------------------------


def theorem1(
    mast: MAST, x0, gamma: float | None = None, constants: str = "paper", strict: bool = True
) -> Guarantee:
    """Theorem 1 (THEORY.md §5), Algorithm 1-I, ``f_D`` mu-strongly convex, ``gamma <= 1/L_max``:

    E||x_T - x_D*||^2 <= (1 - gamma mu)^T ||x_0 - x_D*||^2 + 2 gamma L_max Delta / mu
    """
    constants = _check_constants(constants)
    x0 = _x0(x0, mast.d)
    notes: list[str] = []
    c = _mast_constants(mast, constants, notes)
    gamma_max = 1.0 / c["L_max"] if math.isfinite(c["L_max"]) else 0.0
    gamma = _step(gamma, gamma_max)
    conditions = {"L_S_max < inf": math.isfinite(c["L_max"]), "f_D strongly convex": c["mu"] > 0}
    details = {
        "L_S_max < inf": f"L_S_max = {mast.sketch.L_S_max}",
        "f_D strongly convex": f"mu = {c['mu']:.6g}",
    }
    _gamma_condition(conditions, details, gamma, gamma_max)
    r0 = float(np.sum((x0 - mast.argmin()) ** 2))
    mu = c["mu"]
    rate = 1.0 - gamma * mu
    neighborhood = 2 * gamma * c["L_max"] * c["Delta"] / mu if mu > 0 else math.inf
    g = Guarantee(
        "Theorem 1",
        "THEORY.md §5, Theorem 1",
        "dist2",
        gamma_max,
        gamma,
        constants,
        rate,
        neighborhood,
        conditions,
        {**c, "dist2_0": r0},
        notes,
        details,
        _geometric(rate, r0, neighborhood),
    )
    return _finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Theorem 2
# ------------------------------------------------------------------------------------------------


def theorem2(
    mast: MAST,
    x0,
    n_steps: int,
    gamma: float | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 2 (THEORY.md §5), Algorithm 1-I, nonconvex; ``a = 1 + L L_max gamma^2``

    min_{t<T} E||grad f_D(x_t)||^2 <= a^T delta_0/(gamma T) + L L_max gamma Delta

    Default step ``1/sqrt(L L_max T)``, for which the bound is at most
    ``(e delta_0 + Delta) sqrt(L L_max / T)`` (``values["bound_simplified"]``).
    """
    constants = _check_constants(constants)
    x0 = _x0(x0, mast.d)
    T = check_int("n_steps", n_steps, 1)
    notes: list[str] = []
    c = _mast_constants(mast, constants, notes)
    LL = c["L"] * c["L_max"]
    finite = math.isfinite(LL)
    gamma = _step(gamma, 1.0 / math.sqrt(LL * T) if finite else 0.0)
    conditions = {"L_S_max < inf": finite, "gamma > 0": gamma > 0}
    delta0 = _delta0(mast, x0, notes)
    values = {**c, "delta_0": delta0, "T": float(T)}
    if finite:
        values["bound_simplified"] = (math.e * delta0 + c["Delta"]) * math.sqrt(LL / T)
    a = 1.0 + LL * gamma**2 if finite else math.inf
    floor = LL * gamma * c["Delta"] if finite else math.inf
    g = Guarantee(
        "Theorem 2",
        "THEORY.md §5, Theorem 2",
        "grad_norm2_min",
        math.inf,
        gamma,
        constants,
        math.nan,
        floor,
        conditions,
        values,
        notes,
        {},
        _sublinear(a, delta0, gamma, floor) if finite else (lambda t: np.full(np.shape(t), np.inf)),
    )
    return _finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Theorem 3
# ------------------------------------------------------------------------------------------------


def tau_nice_abc(mast: MAST, batch_size: int) -> dict[str, float]:
    """ABC constants of the tau-nice sketched oracle (THEORY.md §5, Theorem 3).

    ``c_tau = (n - tau)/(tau (n - 1))``, ``A_tau = c_tau max_i L_i``,
    ``B_tau = n (tau - 1)/(tau (n - 1))``, ``Delta_data = f^inf - (1/n) sum_i f_i^inf``,
    ``A = L_S_max (A_tau + B_tau L_f)``, ``B = 0``, ``C = 2 A Delta + 2 L_S_max A_tau Delta_data``.
    """
    p = mast.problem
    if not isinstance(p, LogisticRegression):
        raise TypeError("tau-nice ABC constants need a finite-sum problem (LogisticRegression)")
    n = p.n_samples
    tau = check_int("batch_size", batch_size, 1, n)
    c_tau = 0.0 if n == 1 else (n - tau) / (tau * (n - 1))
    B_tau = 1.0 if n == 1 else n * (tau - 1) / (tau * (n - 1))
    A_tau = c_tau * float(np.max(p.L_i))
    delta_data = p.inf - float(np.mean(p.inf_i))
    notes: list[str] = []
    Delta = _gap(mast, notes)
    L_S_max = mast.sketch.L_S_max
    A = L_S_max * (A_tau + B_tau * p.L)
    C = 2 * A * Delta + 2 * L_S_max * A_tau * delta_data
    return {
        "c_tau": c_tau,
        "A_tau": A_tau,
        "B_tau": B_tau,
        "Delta_data": delta_data,
        "Delta": Delta,
        "A": A,
        "B": 0.0,
        "C": C,
    }


def theorem3(
    mast: MAST,
    x0,
    n_steps: int | None = None,
    gamma: float | None = None,
    *,
    batch_size: int | None = None,
    abc: tuple[float, float, float] | None = None,
    strongly_convex: bool = False,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 3 (THEORY.md §5), Algorithm 1-II with an ABC oracle.

    ``E||g||^2 <= 2A(f_D - f_D^inf) + B||grad f_D||^2 + C``. Constants: ``abc`` if given, else the
    tau-nice ones (``batch_size``, see ``tau_nice_abc``), else the exact oracle's
    ``A = L_max, B = 0, C = 2 L_max Delta`` (P8). For ``0 < gamma < 2/(L B)``:

        min_{t<T} E||grad f_D(x_t)||^2 <= [(1 + L A gamma^2)^T delta_0/(gamma T) + L C gamma/2]
                                           / (1 - L B gamma/2)

    (default step ``1/sqrt(L A T)``). ``strongly_convex=True``: with
    ``rho = gamma mu (2 - L B gamma) - L A gamma^2 in (0, 1]``,
    ``E f_D(x_T) - f_D^inf <= (1 - rho)^T delta_0 + L C gamma^2 / (2 rho)``
    (default step ``mu/(L B mu + L A)``, the maximiser of rho).
    """
    constants = _check_constants(constants)
    x0 = _x0(x0, mast.d)
    notes: list[str] = []
    c = _mast_constants(mast, constants, notes)
    values = dict(c)
    if abc is not None:
        A, B, C = (check_real(n, v, nonnegative=True) for n, v in zip("ABC", abc, strict=True))
    elif batch_size is not None:
        tn = tau_nice_abc(mast, batch_size)
        if constants == "exact":
            notes.append("tau-nice ABC constants use the paper constants L_f, L_S_max")
        A, B, C = tn["A"], tn["B"], tn["C"]
        values.update({k: v for k, v in tn.items() if k not in ("A", "B", "C")})
    else:
        A, B, C = c["L_max"], 0.0, 2 * c["L_max"] * c["Delta"]
    values.update({"A": A, "B": B, "C": C})
    L, mu = c["L"], c["mu"]
    finite = math.isfinite(A) and math.isfinite(C)
    delta0 = _delta0(mast, x0, notes)
    values["delta_0"] = delta0
    conditions = {"ABC constants finite": finite}
    details: dict[str, str] = {}
    if not strongly_convex:
        T = check_int("n_steps", n_steps, 1)
        gamma_max = 2.0 / (L * B) if B > 0 else math.inf
        default = 1.0 / math.sqrt(L * A * T) if finite and A > 0 else 1.0 / L
        gamma = _step(gamma, min(default, 0.5 * gamma_max))
        _gamma_condition(conditions, details, gamma, gamma_max, strict_lt=True)
        denom = 1.0 - L * B * gamma / 2.0
        floor = L * C * gamma / 2.0 / denom if finite and denom > 0 else math.inf
        a = 1.0 + L * A * gamma**2
        base = _sublinear(a, delta0 / denom if denom > 0 else math.inf, gamma, floor)
        g = Guarantee(
            "Theorem 3",
            "THEORY.md §5, Theorem 3",
            "grad_norm2_min",
            gamma_max,
            gamma,
            constants,
            math.nan,
            floor,
            conditions,
            values,
            notes,
            details,
            base,
        )
        return _finish(g, strict)
    conditions["f_D strongly convex"] = mu > 0
    details["f_D strongly convex"] = f"mu = {mu:.6g}"
    curvature = L * B * mu + L * A
    gamma_max = 2.0 * mu / curvature if curvature > 0 else math.inf
    gamma = _step(gamma, mu / curvature if curvature > 0 else 1.0 / L)
    rho = gamma * mu * (2.0 - L * B * gamma) - L * A * gamma**2
    conditions["0 < rho <= 1"] = bool(0 < rho <= 1)
    details["0 < rho <= 1"] = (
        f"rho = {rho:.6g} at gamma = {gamma:.6g} (gamma_max = {gamma_max:.6g})"
    )
    values["rho"] = rho
    floor = L * C * gamma**2 / (2 * rho) if rho > 0 else math.inf
    g = Guarantee(
        "Theorem 3 (strongly convex)",
        "THEORY.md §5, Theorem 3",
        "value_gap",
        gamma_max,
        gamma,
        constants,
        1.0 - rho,
        floor,
        conditions,
        values,
        notes,
        details,
        _geometric(1.0 - rho, delta0, floor),
    )
    return _finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Theorem 4
# ------------------------------------------------------------------------------------------------


def _atom_grads(mast: MAST, x: np.ndarray) -> np.ndarray:
    samples, _ = mast.sketch.support()
    return np.array([mast.sketched_grad(x, s) for s in samples])


def theorem4(
    mast: MAST,
    x0,
    p: float | None = None,
    b: int | None = None,
    gamma: float | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 4 (THEORY.md §5), L-SVRDSG on a finite uniform law ``S_1..S_N``.

    ``L = L_f max_k L_{S_k}`` (exact: ``max_k lambda_max(S_k A S_k)``), ``c_b = (N-b)/(b(N-1))``,
    ``D_t = (1/N) sum_k ||grad f_{S_k}(w_t) - grad f_{S_k}(x*)||^2``,
    ``sigma*^2 = (1/N) sum_k ||grad f_{S_k}(x*)||^2``. Start ``w_0 = x_0``, ``h_0 = grad f_D(x_0)``.

    (a) ``b = N``, ``gamma <= 1/(6L)``: ``E Phi_T <= (1 - min(gamma mu, p/2))^T Phi_0``,
        ``Phi = ||x - x*||^2 + (4 gamma^2/p) D``.
    (b) ``b < N``, ``8 c_b L/mu < 1``, ``gamma <= (1 - 8 c_b L/mu)/((9 + 12 c_b) L)``:
        ``E Psi_T <= (1 - rho)^T Psi_0 + 4 c_b (3 gamma^2 + 2 gamma/mu) sigma*^2 / rho``,
        ``rho = min(gamma mu/2, p/2)``,
        ``Psi = ||x - x*||^2 + (6 gamma^2/p) D + (2(3 gamma^2 + 2 gamma/mu)/p) ||e||^2``,
        ``e = h - grad f_D(w)``.
    ``values["c_D"]`` and ``values["c_h"]`` are the weights of ``D`` and of the ``h`` error.
    """
    constants = _check_constants(constants)
    if not isinstance(mast.sketch, FiniteSketch):
        raise TypeError(f"Theorem 4 needs a finite uniform sketch law; got {mast.sketch!r}")
    _, weights = mast.sketch.support()
    N = weights.size
    x0 = _x0(x0, mast.d)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    b = N if b is None else check_int("b", b, 1, N)
    notes: list[str] = []
    c = _mast_constants(mast, constants, notes)
    L, mu = c["L_max"], c["mu"]
    c_b = 0.0 if N == 1 else (N - b) / (b * (N - 1))
    x_star = mast.argmin()
    g_star = _atom_grads(mast, x_star)
    D0 = float(np.mean(np.sum((_atom_grads(mast, x0) - g_star) ** 2, axis=1)))
    sigma2 = float(np.mean(np.sum(g_star**2, axis=1)))
    r0 = float(np.sum((x0 - x_star) ** 2))
    conditions = {
        "uniform law": bool(np.ptp(weights) <= 1e-15),
        "f convex": True,  # quadratics with PSD A and logistic regression are convex
        "f_D strongly convex": mu > 0,
        "0 < p <= 1": p <= 1,
    }
    details = {"f_D strongly convex": f"mu = {mu:.6g}", "0 < p <= 1": f"p = {p}"}
    values = {
        **c,
        "L": L,
        "N": float(N),
        "b": float(b),
        "p": p,
        "c_b": c_b,
        "D_0": D0,
        "sigma_star2": sigma2,
        "dist2_0": r0,
    }
    if b == N:
        gamma_max = 1.0 / (6.0 * L)
        gamma = _step(gamma, gamma_max)
        _gamma_condition(conditions, details, gamma, gamma_max)
        rate = 1.0 - min(gamma * mu, p / 2.0)
        c_D, c_h = 4 * gamma**2 / p, 0.0
        phi0 = r0 + c_D * D0
        values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": phi0})
        g = Guarantee(
            "Theorem 4a",
            "THEORY.md §5, Theorem 4 (a)",
            "lyapunov",
            gamma_max,
            gamma,
            constants,
            rate,
            0.0,
            conditions,
            values,
            notes,
            details,
            _geometric(rate, phi0, 0.0),
        )
        return _finish(g, strict)
    ratio = 8.0 * c_b * L / mu if mu > 0 else math.inf
    conditions["8 c_b L / mu < 1"] = ratio < 1
    details["8 c_b L / mu < 1"] = f"8 c_b L / mu = {ratio:.6g} (c_b = {c_b:.6g}; increase b)"
    gamma_max = (1.0 - ratio) / ((9.0 + 12.0 * c_b) * L) if ratio < 1 else 0.0
    gamma = _step(gamma, gamma_max if gamma_max > 0 else 1.0 / L)
    _gamma_condition(conditions, details, gamma, gamma_max)
    rho = min(gamma * mu / 2.0, p / 2.0)
    c_D = 6 * gamma**2 / p
    c_h = 2 * (3 * gamma**2 + 2 * gamma / mu) / p if mu > 0 else math.inf
    psi0 = r0 + c_D * D0
    floor = 4 * c_b * (3 * gamma**2 + 2 * gamma / mu) * sigma2 / rho if mu > 0 else math.inf
    values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": psi0, "rho": rho})
    g = Guarantee(
        "Theorem 4b",
        "THEORY.md §5, Theorem 4 (b)",
        "lyapunov",
        gamma_max,
        gamma,
        constants,
        1.0 - rho,
        floor,
        conditions,
        values,
        notes,
        details,
        _geometric(1.0 - rho, psi0, floor),
    )
    return _finish(g, strict)


def svrdsg_lyapunov(guarantee: Guarantee, mast: MAST, trace: Trace) -> np.ndarray:
    """Measured Lyapunov function of Theorem 4 at each recorded step, per run: (n_records, R).

    ``||x - x*||^2 + c_D D(w) + c_h ||h - grad f_D(w)||^2`` from the trace's iterates and its
    recorded ``w`` and ``h`` (``l_svrdsg`` records both).
    """
    if guarantee.quantity != "lyapunov":
        raise ValueError(f"{guarantee.name} does not bound a Lyapunov function")
    x_star = mast.argmin()
    g_star = _atom_grads(mast, x_star)
    c_D, c_h = guarantee.values["c_D"], guarantee.values["c_h"]
    n_rec, R, _ = trace.iterates.shape
    out = np.empty((n_rec, R))
    for k in range(n_rec):
        for r in range(R):
            w, h = trace.aux["w"][k, r], trace.aux["h"][k, r]
            D = float(np.mean(np.sum((_atom_grads(mast, w) - g_star) ** 2, axis=1)))
            e = float(np.sum((h - mast.grad(w)) ** 2)) if c_h else 0.0
            out[k, r] = float(np.sum((trace.iterates[k, r] - x_star) ** 2)) + c_D * D + c_h * e
    return out


# ------------------------------------------------------------------------------------------------
# Theorem 5
# ------------------------------------------------------------------------------------------------


def theorem5(
    problem: DistributedProblem,
    x0,
    n_steps: int | None = None,
    gamma: float | None = None,
    *,
    strongly_convex: bool = False,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 5 (THEORY.md §5), Algorithm 4.

    ``L_F = (1/M) sum_i L_i L_{D_i}``, ``A = max_i L_i L_{S_i}^max``,
    ``Delta_M = F^inf - (1/M) sum_i f_i^inf``, ``delta_0 = F(x_0) - F^inf``. Nonconvex, any
    ``gamma > 0`` (default ``1/sqrt(L_F A T)``):
    ``min_{t<T} E||grad F(x_t)||^2 <= (1 + L_F A gamma^2)^T delta_0/(gamma T)
    + L_F A gamma Delta_M``.
    ``strongly_convex=True``, ``gamma <= 1/A``:
    ``E||x_T - x_F*||^2 <= (1 - gamma mu_F)^T ||x_0 - x_F*||^2 + 2 gamma A Delta_M / mu_F``.
    """
    if not isinstance(problem, DistributedProblem):
        raise TypeError(f"argument 'problem' = {problem!r} must be a DistributedProblem")
    constants = _check_constants(constants)
    x0 = _x0(x0, problem.d)
    notes: list[str] = []
    if constants == "exact":
        if not problem.is_quadratic:
            raise ValueError("constants='exact' needs quadratic clients; use constants='paper'")
        L_F, mu_F = problem.L_F_exact, problem.mu_F_exact
        try:
            A = max(c.L_max_exact for c in problem.clients)
        except NotImplementedError:
            A = problem.A
            notes.append("A: no enumerable support, the paper value max_i L_i L_S_i^max is used")
    else:
        L_F, mu_F, A = problem.L_F, problem.mu_F, problem.A
    Delta_M = max(problem.gap, 0.0)
    delta0 = max(problem.value(x0) - problem.inf, 0.0)
    values = {"L_F": L_F, "mu_F": mu_F, "A": A, "Delta_M": Delta_M, "delta_0": delta0}
    finite = math.isfinite(A)
    conditions = {"L_S_i^max < inf": finite}
    details: dict[str, str] = {}
    if not strongly_convex:
        T = check_int("n_steps", n_steps, 1)
        gamma = _step(gamma, 1.0 / math.sqrt(L_F * A * T) if finite else 0.0)
        conditions["gamma > 0"] = gamma > 0
        floor = L_F * A * gamma * Delta_M
        values["bound_simplified"] = (math.e * delta0 + Delta_M) * math.sqrt(L_F * A / T)
        g = Guarantee(
            "Theorem 5",
            "THEORY.md §5, Theorem 5",
            "grad_norm2_min",
            math.inf,
            gamma,
            constants,
            math.nan,
            floor,
            conditions,
            values,
            notes,
            details,
            _sublinear(1.0 + L_F * A * gamma**2, delta0, gamma, floor),
        )
        return _finish(g, strict)
    gamma_max = 1.0 / A if finite else 0.0
    gamma = _step(gamma, gamma_max)
    conditions["F strongly convex"] = mu_F > 0
    details["F strongly convex"] = f"mu_F = {mu_F:.6g}"
    _gamma_condition(conditions, details, gamma, gamma_max)
    r0 = float(np.sum((x0 - problem.argmin()) ** 2))
    rate = 1.0 - gamma * mu_F
    floor = 2 * gamma * A * Delta_M / mu_F if mu_F > 0 else math.inf
    values["dist2_0"] = r0
    g = Guarantee(
        "Theorem 5 (strongly convex)",
        "THEORY.md §5, Theorem 5",
        "dist2",
        gamma_max,
        gamma,
        constants,
        rate,
        floor,
        conditions,
        values,
        notes,
        details,
        _geometric(rate, r0, floor),
    )
    return _finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Baseline
# ------------------------------------------------------------------------------------------------


def baseline_gd(
    mast: MAST, x0, gamma: float | None = None, constants: str = "paper", strict: bool = True
) -> Guarantee:
    """Baseline (THEORY.md §5), Algorithm 2, ``gamma <= 1/L``:
    ``f_D(x_T) - f_D^inf <= (1 - gamma mu)^T delta_0``."""
    constants = _check_constants(constants)
    x0 = _x0(x0, mast.d)
    notes: list[str] = []
    c = _mast_constants(mast, constants, notes)
    gamma_max = 1.0 / c["L"]
    gamma = _step(gamma, gamma_max)
    conditions: dict[str, bool] = {}
    details: dict[str, str] = {}
    _gamma_condition(conditions, details, gamma, gamma_max)
    delta0 = _delta0(mast, x0, notes)
    rate = 1.0 - gamma * c["mu"]
    g = Guarantee(
        "Baseline GD",
        "THEORY.md §5, Baseline (Algorithm 2)",
        "value_gap",
        gamma_max,
        gamma,
        constants,
        rate,
        0.0,
        conditions,
        {**c, "delta_0": delta0},
        notes,
        details,
        _geometric(rate, delta0, 0.0),
    )
    return _finish(g, strict)
