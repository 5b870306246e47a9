"""Held-out per-axis variants of the THEORY.md §5 statements (issue 20, "your own controls").

Each variant is a claim with the signature of the statement it patches (``theorem1`` ...
``theorem5``) that returns a ``Guarantee`` STRONGER than the stated one, but only off the
beaten path: it equals the stated bound at the theorem's own default step, with one client or
identical clients, at ``tau = n``, in the strongly convex form, or in the other branch of a
``min``, and is strictly smaller elsewhere. They were written from the statements of
THEORY.md §5 and the public API alone, before reading the checks, controls, instances or search
families of ``mastref``, so that they measure the checker from outside.

``VARIANTS`` maps a variant's name to a ``Variant``: the registry key of the theorem it patches
(``statement``), the hypothesis axis it probes, the claim, whether it is believed false
(``expected_false``) and the argument. ``verification/axis_power.py`` patches each one in the
way a new user would and reports which route of the checker kills it (``AXIS_POWER.md``).

Axes: ``step`` (wrong only at steps below the theorem's default), ``clients`` (wrong only with
heterogeneous clients, Theorem 5), ``tau`` (wrong only for ``tau < n``, Theorem 3's tau-nice
constants), ``nonconvex`` (wrong only in a nonconvex form), ``branch`` (wrong only in one
branch of a ``min`` of Theorem 4), ``law`` (wrong only for laws other than the uniform ones).

One variant, ``t5_A_mean``, is included although it is TRUE (proof in its docstring): it is a
false-alarm probe, and the issue's suggestion "max over clients replaced by the mean" is that
variant.

Examples
--------
>>> import numpy as np
>>> import mastref as mr
>>> from verification.axis_variants import VARIANTS
>>> v = VARIANTS["t1_floor_step_squared"]
>>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Bernoulli(2, 0.5))
>>> g, g_var = mr.theorem1(mast), v.claim(mast)
>>> bool(g_var.floor == g.floor)  # equal at gamma_max ...
True
>>> g, g_var = mr.theorem1(mast, gamma=0.1 * g.gamma), v.claim(mast, gamma=0.1 * g.gamma)
>>> round(g_var.floor / g.floor, 12)  # ... and 10 times smaller at 0.1 gamma_max
0.1
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import mastref as mr
from mastref.theorems.claims import (
    Guarantee,
    InvalidGuarantee,
    geometric,
    geometric_parts,
    sublinear,
    sublinear_parts,
)

#: The original statements, captured at import (before any patching).
#: Statement name -> its module in ``mastref.theorems``.
MODULE_OF = {
    "theorem1": "strongly_convex",
    "theorem2": "nonconvex",
    "theorem3": "general_oracle",
    "theorem4": "svrdsg",
    "theorem5": "distributed",
    "baseline": "baseline",
}
_MODULES = {
    n: importlib.import_module(f"mastref.theorems.{MODULE_OF[n]}")
    for n in ("theorem1", "theorem2", "theorem3", "theorem4", "theorem5", "baseline")
}
_T1 = _MODULES["theorem1"].theorem1
_T2 = _MODULES["theorem2"].theorem2
_T3 = _MODULES["theorem3"].theorem3
_TAU = _MODULES["theorem3"].tau_nice_abc
_T4 = _MODULES["theorem4"].theorem4
_T5 = _MODULES["theorem5"].theorem5
_BASELINE_GD = _MODULES["baseline"].baseline_gd


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A stronger-than-stated claim: ``claim`` patches the registry entry ``statement``."""

    name: str
    statement: str
    axis: str
    claim: Callable
    expected_false: bool = True

    @property
    def argument(self) -> str:
        """The first paragraph of the claim's docstring (what changed, why it is false)."""
        return " ".join((self.claim.__doc__ or "").strip().split("\n\n")[0].split())


# ------------------------------------------------------------------------------------------------
# Rebuilding a guarantee with other constants
# ------------------------------------------------------------------------------------------------


def _geometric(g: Guarantee, rate: float, start: float, floor: float) -> Guarantee:
    """``g`` with the bound ``rate^t start + floor`` (rate clipped to [0, 1])."""
    rate = min(max(rate, 0.0), 1.0)
    return dataclasses.replace(
        g,
        bound=geometric(rate, start, floor),
        parts=geometric_parts(rate, start, floor),
        rate=rate,
        floor=floor,
    )


def _sublinear(g: Guarantee, a: float, start: float, gamma: float, floor: float) -> Guarantee:
    """``g`` with the bound ``a^t start/(gamma t) + floor``."""
    return dataclasses.replace(
        g,
        bound=sublinear(a, start, gamma, floor),
        parts=sublinear_parts(a, start, gamma, floor),
        floor=floor,
    )


def _with_limit(g: Guarantee, gamma_max: float, strict: bool) -> Guarantee:
    """``g`` with the step limit ``gamma_max`` (its condition recomputed); raise like the
    theorems when a condition fails and ``strict``."""
    conditions = dict(g.conditions)
    details = dict(g.details)
    conditions["gamma <= gamma_max"] = bool(0 < g.gamma <= gamma_max * (1 + 1e-12))
    details["gamma <= gamma_max"] = f"gamma = {g.gamma:.6g}, gamma_max = {gamma_max:.6g}"
    g = dataclasses.replace(g, gamma_max=gamma_max, conditions=conditions, details=details)
    if strict and not g.valid:
        failed = [k for k, ok in g.conditions.items() if not ok]
        raise InvalidGuarantee(f"{g.name}: condition(s) fail: {'; '.join(failed)}")
    return g


def _quiet(statement: Callable, *args, **kw) -> Guarantee:
    """``statement(..., strict=False)`` without the invalid-guarantee warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return statement(*args, **{**kw, "strict": False})


def _client_constants(problem) -> dict[str, np.ndarray]:
    """Per-client paper constants ``L_i``, ``L_{D_i}``, ``L_{S_i}^max``, ``mu_i``, ``mu_{D_i}``."""
    cs = problem.clients
    return {
        "L": np.array([c.problem.L for c in cs], dtype=float),
        "L_D": np.array([c.sketch.L_D for c in cs], dtype=float),
        "L_S_max": np.array([c.sketch.L_S_max for c in cs], dtype=float),
        "mu": np.array([c.problem.mu for c in cs], dtype=float),
        "mu_D": np.array([c.sketch.mu_D for c in cs], dtype=float),
    }


# ------------------------------------------------------------------------------------------------
# Axis "step": wrong only below the theorem's default step
# ------------------------------------------------------------------------------------------------


def t1_floor_step_squared(mast, **kw) -> Guarantee:
    """Theorem 1 with the neighbourhood ``2 gamma L_max Delta/mu * (gamma/gamma_max)``: equal at
    ``gamma = gamma_max``, quadratic instead of linear in ``gamma`` below it.

    False: the stationary ``E||x - x_D*||^2`` of DSGD is linear in ``gamma`` for small steps
    (``gamma sigma*^2/(2 mu)``). On ``near_scalar(0.01)`` at ``0.1 gamma_max`` it is about
    0.515 of Theorem 1's neighbourhood (``1/(2 - gamma L_max)``, Lemma C1; corrected in round
    eight, which measured 0.515 / 0.649 / 0.96 at 0.1 / 0.5 / 1 gamma_max: the first text said
    0.9 at every step fraction), so the variant, 10 times smaller there, is exceeded about
    5-fold (the witness: 5.15) once ``gamma mu T >> 1`` (``T`` of a few thousand).
    """
    g = _T1(mast, **kw)
    floor = g.floor * min(1.0, g.gamma / g.gamma_max)
    return _geometric(g, g.rate, g.values["dist2_0"], floor)


def t1_rate_sqrt(mast, **kw) -> Guarantee:
    """Theorem 1 with the contraction ``1 - mu sqrt(gamma gamma_max)`` instead of ``1 - gamma
    mu``: equal at ``gamma_max``, much faster below.

    False: on the attained instance (isotropic quadratic, RandK, ``v = x*``, ``Delta = 0``)
    ``E||x_t - x*||^2 = (1 - 2 gamma c + gamma^2 c^3)^t r_0`` with ``c = d/K``; at ``gamma =
    0.01 gamma_max`` that is about ``(1 - 0.02/c)^t`` against the claimed ``(1 - 0.1/c)^t``.
    """
    g = _T1(mast, **kw)
    rate = 1.0 - g.values["mu"] * math.sqrt(g.gamma * g.gamma_max)
    return _geometric(g, rate, g.values["dist2_0"], g.floor)


def t2_floor_step_squared(mast, **kw) -> Guarantee:
    """Theorem 2 (nonconvex) with the neighbourhood ``L L_max gamma Delta * min(1, gamma /
    gamma_def)``, ``gamma_def = 1/sqrt(L L_max T)`` the default step: equal at the default
    step, quadratic in ``gamma`` below it.

    False: at a small step DSGD on ``near_scalar(0.01)`` settles at ``E||grad f_D||^2 ~ gamma
    sigma*^2 / 2``, linear in ``gamma``, which Theorem 2's floor meets to ``1 - O(eps)``; at
    ``0.1 gamma_def`` with ``T ~ 3000`` the variant is exceeded about 9-fold.
    """
    g = _T2(mast, **kw)
    v = g.values
    LL = v["L"] * v["L_max"]
    gamma_def = 1.0 / math.sqrt(LL * g.n_steps)
    floor = g.floor * min(1.0, g.gamma / gamma_def)
    return _sublinear(g, 1.0 + LL * g.gamma**2, v["delta_0"], g.gamma, floor)


def t3sc_floor_step_squared(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, strongly convex form, with the neighbourhood ``L C gamma^2/(2 rho) *
    min(1, gamma/gamma_def)``, ``gamma_def = mu/(L B mu + L A)`` the default step (the
    nonconvex form is unchanged).

    False: ``rho ~ 2 gamma mu`` for small steps, so the true neighbourhood ``~ L C gamma/(4
    mu)`` is linear in ``gamma``, and it is met on ``near_scalar(0.01)`` (value gap ``(mu/2)
    E||x - x_D*||^2``); at ``0.1 gamma_def`` the variant is exceeded several-fold.
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    gamma_def = 0.5 * g.gamma_max
    floor = g.floor * min(1.0, g.gamma / gamma_def)
    return _geometric(g, g.rate, g.values["delta_0"], floor)


def t5sc_floor_step_squared(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, strongly convex form, with the neighbourhood ``2 gamma A Delta_M/mu_F *
    (gamma/gamma_max)`` (nonconvex form unchanged).

    False: with one client Algorithm 4 is DSGD, whose stationary distance is linear in
    ``gamma``; one client with ``S = (1 +- 0.01) I`` at ``0.1 gamma_max`` exceeds it about
    9-fold (``T`` a few thousand).
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    floor = g.floor * min(1.0, g.gamma / g.gamma_max)
    return _geometric(g, g.rate, g.values["dist2_0"], floor)


# ------------------------------------------------------------------------------------------------
# Axis "clients": wrong only with heterogeneous clients (Theorem 5)
# ------------------------------------------------------------------------------------------------


def t5_LF_min(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, nonconvex form, with ``L_F = (1/M) sum_i L_i L_{D_i}`` replaced by
    ``min_i L_i L_{D_i}`` (also in the default step and the growth factor); the strongly
    convex form, which does not use ``L_F``, is unchanged. Equal for identical clients.

    False: two clients, client 1 ``f_1 = 1/2 ||x - x*||^2`` with ``S = (1 +- 0.01) I``, client 2
    ``f_2 = (0.01/2) ||x - x*||^2`` with ``S = I`` (same minimiser, so ``Delta_M`` is client
    1's half gap). Near ``x*`` the noise is client 1's, ``E||grad F||^2 ~ gamma lambda(F)
    Var/2`` with ``lambda(F) ~ 0.5``, while the variant's floor uses ``0.01``: exceeded about
    10-fold at the stationary distance.
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g
    c = _client_constants(problem)
    per = c["L"] * c["L_D"]
    L_F = g.values["L_F"] * float(per.min() / per.mean())
    A, T = g.values["A"], g.n_steps
    gamma = kw.get("gamma")
    if gamma is None:
        gamma = 1.0 / math.sqrt(L_F * A * T)
        g = _T5(problem, **{**kw, "gamma": gamma})
    values = {**g.values, "L_F": L_F}
    g = dataclasses.replace(g, values=values)
    floor = L_F * A * gamma * g.values["Delta_M"]
    return _sublinear(g, 1.0 + L_F * A * gamma**2, g.values["delta_0"], gamma, floor)


def _t5_with_A(problem, A_of: Callable, strongly_convex: bool, kw: dict) -> Guarantee:
    """Theorem 5 with ``A`` replaced by ``A_of(per-client constants, A used) `` everywhere (step
    limit, default step, growth factor, neighbourhood)."""
    strict = kw.pop("strict", True)
    g0 = _quiet(_T5, problem, strongly_convex=strongly_convex, **kw)
    A = float(A_of(_client_constants(problem), g0.values["A"]))
    gamma = kw.get("gamma")
    if strongly_convex:
        gamma_max = 1.0 / A
        if gamma is None:
            gamma = gamma_max
        g = _quiet(_T5, problem, strongly_convex=True, **{**kw, "gamma": gamma})
        v = {**g.values, "A": A}
        mu_F = v["mu_F"]
        floor = 2 * gamma * A * v["Delta_M"] / mu_F if mu_F > 0 else math.inf
        g = _geometric(dataclasses.replace(g, values=v), 1 - gamma * mu_F, v["dist2_0"], floor)
        return _with_limit(g, gamma_max, strict)
    L_F, T = g0.values["L_F"], g0.n_steps
    if gamma is None:
        gamma = 1.0 / math.sqrt(L_F * A * T)
    g = _T5(problem, strongly_convex=False, strict=strict, **{**kw, "gamma": gamma})
    v = {**g.values, "A": A}
    g = dataclasses.replace(g, values=v)
    floor = L_F * A * gamma * v["Delta_M"]
    return _sublinear(g, 1.0 + L_F * A * gamma**2, v["delta_0"], gamma, floor)


def t5_A_maxL_minLS(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with ``A = max_i L_i L_{S_i}^max`` replaced by ``(max_i L_i)(min_i
    L_{S_i}^max)`` (step limit ``1/A`` included). Equal for identical clients or identical laws.

    False: two clients with the same ``L_i`` but different laws, client 1 Bernoulli(0.1)
    (``L_S^max = 100``), client 2 the identity: the variant's ``A`` is 1 where the true one is
    100, so its step ``1/A = 1`` makes client 1's coordinate ``x <- (1 - s^2) x`` with ``s^2 =
    100`` blow up (and at a common step its floor is 100 times smaller than client 1's noise,
    which is ``~ 1/(2M)`` of Theorem 5's floor).
    """
    return _t5_with_A(
        problem,
        lambda c, A: A * c["L"].max() * c["L_S_max"].min() / (c["L"] * c["L_S_max"]).max(),
        strongly_convex,
        dict(kw),
    )


def t5_A_mean(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with ``A = max_i L_i L_{S_i}^max`` replaced by the MEAN over clients (step limit
    included). TRUE, so not a control: a probe for false alarms.

    Proof: the proof of Theorem 5 needs ``E||g||^2 <= 2A (F(x) - (1/M) sum f_i^inf)`` for the
    averaged oracle ``g = (1/M) sum g_i``. By Minkowski in L2, ``(E||g||^2)^(1/2) <= (1/M) sum
    (E||g_i||^2)^(1/2)``; by P8 per client ``E||g_i||^2 <= 2 A_i (f_{i,D}(x) - f_i^inf)``; by
    Cauchy-Schwarz ``((1/M) sum sqrt(a_i u_i))^2 <= ((1/M) sum a_i)((1/M) sum u_i)``. So the
    ABC bound holds with ``A_mean``, for ANY joint law, and the rest of the proof is unchanged.
    """
    return _t5_with_A(
        problem,
        lambda c, A: A * (c["L"] * c["L_S_max"]).mean() / (c["L"] * c["L_S_max"]).max(),
        strongly_convex,
        dict(kw),
    )


def t5sc_mu_max(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, strongly convex form, with ``mu_F = (1/M) sum_i mu_i mu_{D_i}`` replaced by
    ``max_i mu_i mu_{D_i}`` (rate and neighbourhood); nonconvex form unchanged. Equal for
    identical clients.

    False: two clients ``f_1 = 1/2||x - a||^2``, ``f_2 = (0.01/2)||x - a||^2`` with the identity
    law: ``F`` has curvature ``0.505``, Algorithm 4 is gradient descent on it and contracts at
    ``(1 - 0.505 gamma)^2`` per step, while the variant claims ``1 - gamma`` (at ``gamma = 1/A
    = 1``: zero after one step).
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    c = _client_constants(problem)
    per = c["mu"] * c["mu_D"]
    if per.mean() <= 0:
        return g
    mu = g.values["mu_F"] * float(per.max() / per.mean())
    g = dataclasses.replace(g, values={**g.values, "mu_F": mu})
    floor = 2 * g.gamma * g.values["A"] * g.values["Delta_M"] / mu
    return _geometric(g, 1.0 - g.gamma * mu, g.values["dist2_0"], floor)


def t5_delta_sketch_only(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with ``Delta_M = F^inf - (1/M) sum_i f_i^inf`` replaced by the sketch gap of
    the average alone, ``F^inf - Fbar^inf`` with ``Fbar = (1/M) sum f_i`` unsketched (both
    forms). Equal when every client has its minimum where ``Fbar`` has its (identical clients).

    False: ``f_{1,2} = 1/2 (x -+ 1)^2`` in d = 1, independent Bernoulli(0.5) laws, ``v = 0``:
    ``F`` and ``Fbar`` both have their infimum 1/2 at 0, so the variant has no neighbourhood,
    but at ``x* = 0`` the oracle ``-(1/2)(S_1 - S_2)`` has variance 1 (``S_i`` in {0, 2}), so
    ``E x_t^2`` stays near ``gamma/(2 mu_F)``.
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    try:
        problems = [c.problem for c in problem.clients]
        fbar = mr.DistributedProblem(problems, mr.Identity(problem.d), shift=problem.v).inf
    except Exception:  # noqa: BLE001 - no exact infimum of the average: keep the theorem
        return g
    delta = max(problem.inf - fbar, 0.0)
    v = {**g.values, "Delta_M": delta}
    g = dataclasses.replace(g, values=v)
    if strongly_convex:
        mu_F = v["mu_F"]
        floor = 2 * g.gamma * v["A"] * delta / mu_F if mu_F > 0 else math.inf
        return _geometric(g, g.rate, v["dist2_0"], floor)
    LA = v["L_F"] * v["A"]
    return _sublinear(g, 1.0 + LA * g.gamma**2, v["delta_0"], g.gamma, LA * g.gamma * delta)


# ------------------------------------------------------------------------------------------------
# Axis "tau": wrong only for tau < n (Theorem 3's tau-nice constants)
# ------------------------------------------------------------------------------------------------


def _tau_variant(mast, batch_size, abc, kw, constants_of: Callable) -> Guarantee:
    """Theorem 3 with the tau-nice constants ``(A, C) = constants_of(mast, tau, tau_nice_abc)``
    (``B = 0``), the oracle still the tau-nice one; unchanged without ``batch_size``."""
    if batch_size is None or abc is not None:
        return _T3(mast, batch_size=batch_size, abc=abc, **kw)
    tn = _TAU(mast, batch_size)
    A, C = constants_of(mast, int(batch_size), tn)
    g = _T3(mast, abc=(A, 0.0, C), **kw)
    values = {**g.values, **{k: v for k, v in tn.items() if k not in ("A", "B", "C")}}
    values.update({"A": A, "C": C})
    branches = _quiet(_T3, mast, batch_size=batch_size, **kw).branches  # the stated terms
    return dataclasses.replace(
        g,
        values=values,
        options={"oracle": "minibatch", "batch_size": int(batch_size)},
        branches=branches,
    )


def t3_tau_A_mean_L(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with ``A_tau = c_tau max_i L_i`` replaced by ``c_tau (1/n) sum_i L_i`` (in
    ``A`` and ``C``). Equal at ``tau = n`` (``c_tau = 0``) and for equal ``L_i``.

    False: least squares in d = 1, identity law, ``n = m + 1`` samples, sample 1 with
    ``L_1 = m`` and optimum ``-1/m``, the others ``L = 1`` and optimum ``1/m`` (``x* = 0``, every
    ``||grad f_i(x*)||^2 = 2 L_i (f_i(x*) - f_i^inf)`` exactly). The tau-nice noise at ``x*`` is
    ``c_tau (1/n) sum ||grad f_i||^2 = c_tau G^2/m`` while the variant's ``C/2 = c_tau
    mean(L) Delta_data`` is ``4 c_tau G^2/n^2``: for ``n = 20``, tau = 1, 5 times smaller.
    """

    def constants(m, tau, tn):
        p, LS = m.problem, m.sketch.L_S_max
        A_tau = tn["c_tau"] * float(np.mean(p.L_i))
        A = LS * (A_tau + tn["B_tau"] * p.L)
        return A, 2 * A * tn["Delta"] + 2 * LS * A_tau * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


def t3_tau_c_without_bessel(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with ``c_tau = (n - tau)/(tau (n - 1))`` replaced by ``(n - tau)/(tau n)`` in
    the data term of ``C`` (``A`` unchanged). Equal at ``tau = n``; smaller by ``(n-1)/n``.

    False: ``f_{1,2} = 1/2 (x -+ 1)^2`` (n = 2, tau = 1, identity law): at the default step
    ``gamma = 1`` the iterate jumps to ``+-1``, value gap exactly 1/2, which is Theorem 3's
    strongly convex floor ``L C gamma^2/(2 rho) = 1/2``; the variant's floor is 1/4.
    """

    def constants(m, tau, tn):
        n, p, LS = m.problem.n_samples, m.problem, m.sketch.L_S_max
        c = (n - tau) / (tau * n)
        A = tn["A"]
        return A, 2 * A * tn["Delta"] + 2 * LS * c * float(np.max(p.L_i)) * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


def t3_tau_B_linear(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with ``B_tau = n (tau - 1)/(tau (n - 1))`` replaced by ``(tau - 1)/(n - 1)`` (in
    ``A`` and ``C``). Equal at ``tau = 1`` and ``tau = n``, smaller in between.

    False: ``n`` identical samples ``f_i = f`` (then the tau-nice oracle is the exact one and
    ``A_tau + B_tau L_f = L_f``) with isotropic ``f``, RandK and ``v = x*``: the variant's ``A``
    is ``k L_max`` with ``k = c_tau + B' < 1``, its default step ``1/(c^2 k)`` (``c = d/K``)
    gives the true factor ``1 - 2/(c k) + 1/(c k^2)`` per step, above the claimed
    ``1 - 1/(c k)``.
    """

    def constants(m, tau, tn):
        n, p, LS = m.problem.n_samples, m.problem, m.sketch.L_S_max
        B = 1.0 if n == 1 else (tau - 1) / (n - 1)
        A = LS * (tn["A_tau"] + B * p.L)
        return A, 2 * A * tn["Delta"] + 2 * LS * tn["A_tau"] * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


# ------------------------------------------------------------------------------------------------
# Axis "nonconvex": wrong only in a nonconvex form
# ------------------------------------------------------------------------------------------------


def t3nc_floor_06(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, nonconvex form, with the neighbourhood ``L C gamma/2 / (1 - L B gamma/2)``
    multiplied by 0.6 (strongly convex form unchanged).

    False: with the exact oracle (``A = L_max, B = 0, C = 2 L_max Delta``) the nonconvex form is
    Theorem 2's bound, which ``S = (1 +- 0.01) I`` started at its stationary distance meets to
    0.93 at ``T = 300`` (THEORY-side figure quoted by ``theorem2``'s docstring): the variant is
    exceeded about 1.5-fold.
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g
    v = g.values
    denom = 1.0 - v["L"] * v["B"] * g.gamma / 2.0
    a = 1.0 + v["L"] * v["A"] * g.gamma**2
    return _sublinear(g, a, v["delta_0"] / denom, g.gamma, 0.6 * g.floor)


# ------------------------------------------------------------------------------------------------
# Axis "branch": wrong only in one branch of a min (Theorem 4)
# ------------------------------------------------------------------------------------------------


def _t4_rate(mast, kw, rho_of: Callable, part: str) -> Guarantee:
    """Theorem 4 with ``rho = rho_of(gamma mu, p)`` in part ``part`` ("a" or "b"; the other part
    unchanged); in (b) the neighbourhood's ``1/rho`` follows."""
    g = _T4(mast, **kw)
    v = g.values
    is_a = g.name.endswith("4a")
    if (part == "a") != is_a:
        return g
    rho = rho_of(g.gamma * v["mu"], v["p"])
    floor = 0.0 if is_a else g.floor * v["rho"] / rho
    g = dataclasses.replace(g, values={**v, "rho": rho})
    return _geometric(g, 1.0 - rho, v["lyapunov_0"], floor)


def t4a_gamma_mu_branch(mast, **kw) -> Guarantee:
    """Theorem 4 (a) with ``min(gamma mu, p/2)`` replaced by ``min(1.25 gamma mu, p/2)``: wrong
    only where the ``gamma mu`` branch is active.

    Believed false when written; shown false at stop 26 from a reference point ``w_0 != x_0``
    (Algorithm 3 does not fix ``w_0``): ``catalogue.theorem4.reference_apart_instance``
    (``N = 2``, ``A = I``, ``p = 3 gamma mu``, ``w_0 - x* = -0.253 (x_0 - x*)``) has ``E Phi_1
    / Phi_0 = 0.90453`` by hand, 1.0097 times ``1 - 1.25 gamma mu``. From ``w_0 = x_0`` no
    witness was found (the PEPit cross-check's one-step worst cases within 2.5 % of ``1 -
    gamma mu`` lie at states with ``w != x``). ``t4a_gamma_mu_branch_2p5`` is the version
    false from any start.
    """
    return _t4_rate(mast, kw, lambda gm, p: min(1.25 * gm, p / 2), "a")


def t4a_gamma_mu_branch_2p5(mast, **kw) -> Guarantee:
    """Theorem 4 (a) with ``min(gamma mu, p/2)`` replaced by ``min(2.5 gamma mu, p/2)``: wrong
    only where the ``gamma mu`` branch is active. Added after the BEFORE run, with the argument
    of ``t4b_gamma_mu_branch``.

    False (proof) with ``5 gamma mu < p``: the oracle is unbiased, so on a quadratic ``E x_t -
    x* = (I - gamma H)^t (x_0 - x*)`` and ``E||x_t - x*||^2 >= (1 - gamma mu)^(2t) r_0`` along
    the flattest mode, which decays slower than ``(1 - 2.5 gamma mu)^t``.
    """
    return _t4_rate(mast, kw, lambda gm, p: min(2.5 * gm, p / 2), "a")


def t4a_p_branch(mast, **kw) -> Guarantee:
    """Theorem 4 (a) with ``min(gamma mu, p/2)`` replaced by ``min(gamma mu, 1.5 p)``: wrong only
    where the ``p/2`` branch is active.

    False (proof) wherever ``gamma mu > p`` and ``D_0 > 0``: with probability ``(1 - p)^t`` the
    reference was never refreshed, so ``E D_t >= (1 - p)^t D_0`` and ``E Phi_t >= (4 gamma^2/p)
    (1 - p)^t D_0``, which outgrows ``(1 - 1.5 p)^t Phi_0`` (e.g. a two-atom Partition law on a
    well-conditioned quadratic, ``p = 0.01``, ``gamma = 1/(6L)``).
    """
    return _t4_rate(mast, kw, lambda gm, p: min(gm, 1.5 * p), "a")


def t4b_gamma_mu_branch(mast, **kw) -> Guarantee:
    """Theorem 4 (b) with ``rho = min(gamma mu/2, p/2)`` replaced by ``min(2.5 gamma mu, p/2)``:
    wrong only where the ``gamma mu/2`` branch is active (``gamma mu < p``).

    False (proof) under interpolation (``v = x*``: ``sigma*^2 = 0``, no neighbourhood) with
    ``5 gamma mu < p``: the oracle is unbiased on average (``E[h - grad f_D(w)] = 0`` since
    each reference batch is fresh), so on a quadratic ``E x_t - x* = (I - gamma H)^t (x_0 -
    x*)`` and ``E||x_t - x*||^2 >= (1 - gamma mu)^(2t) r_0`` along the flattest mode, which
    decays slower than ``(1 - 2.5 gamma mu)^t``.
    """
    return _t4_rate(mast, kw, lambda gm, p: min(2.5 * gm, p / 2), "b")


def t4b_p_branch(mast, **kw) -> Guarantee:
    """Theorem 4 (b) with ``rho = min(gamma mu/2, p/2)`` replaced by ``min(gamma mu/2, 1.5 p)``:
    wrong only where the ``p/2`` branch is active (``p < gamma mu``).

    False (proof) under interpolation (``v = x*``, no neighbourhood) with ``gamma mu > 2 p``
    and ``D_0 > 0``: ``E Psi_t >= (6 gamma^2/p)(1 - p)^t D_0`` (no refresh yet with probability
    ``(1 - p)^t``), which outgrows ``(1 - min(gamma mu/2, 1.5 p))^t Psi_0``.
    """
    return _t4_rate(mast, kw, lambda gm, p: min(gm / 2, 1.5 * p), "b")


# ------------------------------------------------------------------------------------------------
# Axis "law": wrong only for non-uniform laws
# ------------------------------------------------------------------------------------------------


def _t1_with_L_max(mast, L_max: float, gamma, strict: bool, kw: dict) -> Guarantee:
    """Theorem 1 with ``L_max = L_f L_S^max`` replaced by ``L_max`` in the step limit
    ``1/L_max``, the default step and the neighbourhood ``2 gamma L_max Delta/mu``."""
    gamma_max = 1.0 / L_max
    if gamma is None:
        gamma = gamma_max
    g = _quiet(_T1, mast, gamma=gamma, **kw)
    v = {**g.values, "L_max": L_max}
    mu = v["mu"]
    floor = 2 * gamma * L_max * v["Delta"] / mu if mu > 0 else math.inf
    g = _geometric(dataclasses.replace(g, values=v), 1 - gamma * mu, v["dist2_0"], floor)
    return _with_limit(g, gamma_max, strict)


def t1_LS_max_as_LD_muD(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Theorem 1 with ``L_S^max`` replaced by ``L_D mu_D`` (in ``L_max``, the step limit and the
    neighbourhood). Equal for the identity, uniform Bernoulli, RandK and partitions; smaller for
    non-uniform Bernoulli (``1/(p_min p_max)`` against ``1/p_min^2``).

    False: isotropic ``f``, ``v = x*``, Bernoulli ``p = (0.1, 1)``: the variant's step ``1/L_max'
    = 0.1`` gives coordinate 1 the factor ``E(1 - gamma s^2)^2 = 0.9 + 0.1 * 81 = 9`` per step:
    DSGD diverges while the variant claims contraction.
    """
    g0 = _quiet(_T1, mast, gamma=gamma, **kw)
    law = mast.sketch
    scale = law.L_D * law.mu_D / law.L_S_max
    if not (math.isfinite(scale) and scale > 0):
        return _T1(mast, gamma=gamma, strict=strict, **kw)
    return _t1_with_L_max(mast, g0.values["L_max"] * scale, gamma, strict, kw)


# ------------------------------------------------------------------------------------------------
# Round seven (blind, 2026-12-07): new axes, written from the statements alone (THEORY.md §1-§5,
# the theorem modules and this file's format), before reading the catalogue, the instances or the
# search families. Axes: condition number, dimension, gap, start, step above the default, law x
# tau, reference probability, reference point, heterogeneity source, number of clients.
# ------------------------------------------------------------------------------------------------


def t1_rate_accelerated(mast, **kw) -> Guarantee:
    """Theorem 1 with the contraction ``1 - gamma mu`` replaced by the "accelerated" ``1 - gamma
    sqrt(mu L)`` (``L`` the smoothness of ``f_D``). Equal when ``mu = L`` (isotropic ``f``,
    uniform laws).

    False (proof) for ``kappa = L/mu > 2.62``: with the identity law (``Delta = 0``, DSGD is
    gradient descent) the flattest mode contracts exactly by ``(1 - gamma mu)^2`` per step, and
    at ``gamma = 1/L`` that is ``1 - 2/kappa + 1/kappa^2 > 1 - 1/sqrt(kappa)`` once ``kappa >
    2.62``. Witness: ``f = 1/2 x^T diag(1, 0.1) x``, identity law, ``v = x*``, ``x0 - x*`` along
    the flat mode: ``0.81^t`` against the claimed ``0.684^t``.
    """
    g = _T1(mast, **kw)
    v = g.values
    rate = 1.0 - g.gamma * math.sqrt(v["mu"] * v["L"])
    return _geometric(g, rate, v["dist2_0"], g.floor)


def _mean_L_S(law) -> float:
    """``E[L_S]`` of a diagonal law (``L_S = max_j s_j^2``): closed form for Bernoulli, the
    weighted support for a small finite support, else ``L_S^max``."""
    if isinstance(law, mr.Bernoulli):
        p = np.sort(np.asarray(law.p, dtype=float))  # the kept coordinate of smallest p decides
        none_before = np.concatenate([[1.0], np.cumprod(1.0 - p)[:-1]])
        return float(np.sum(none_before * p / p**2))
    if law.is_diagonal and law.has_finite_support and law.support_size <= 4096:
        diagonals, weights = law.support()
        return float(np.sum(weights * np.max(np.asarray(diagonals) ** 2, axis=1)))
    return float(law.L_S_max)


def t1_LS_mean(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Theorem 1 with ``L_S^max = ess sup L_S`` replaced by the mean ``E[L_S]`` (in ``L_max``,
    the step limit and the neighbourhood). Equal for the identity, RandK, partitions and
    projections (``L_S`` constant), and for Bernoulli in large ``d`` (``E[L_S] = (1 - (1 -
    p)^d)/p^2`` for uniform ``p``): wrong only in small dimension.

    False (proof): isotropic ``f``, ``v = x*`` (``Delta = 0``), Bernoulli(0.5) in ``d = 2``:
    ``E[L_S] = 3``, the variant's step ``1/3`` gives each coordinate the exact factor ``E(1 -
    gamma s^2)^2 = 1/2 + (1/2)(1/3)^2 = 0.556`` per step, against the claimed ``1 - gamma mu =
    1 - 2/3 = 0.333`` (the statement's step ``1/4`` attains its rate ``1/2`` exactly there).
    """
    g0 = _quiet(_T1, mast, gamma=gamma, **kw)
    law = mast.sketch
    scale = _mean_L_S(law) / law.L_S_max if math.isfinite(law.L_S_max) else 1.0
    if not (0 < scale < 1):
        return _T1(mast, gamma=gamma, strict=strict, **kw)
    return _t1_with_L_max(mast, g0.values["L_max"] * scale, gamma, strict, kw)


def t1_gap_erm_suboptimality(mast, **kw) -> Guarantee:
    """Theorem 1 with ``Delta = f_D^inf - f^inf`` in the neighbourhood replaced by the ERM
    suboptimality of the MAST solution, ``f(x_D*) - f^inf``, which is at most ``Delta`` (P7).
    Equal (both 0) when ``v = x*``.

    False: for ``S = (1 +- eps) I`` on ``f = 1/2||x - x*||^2`` with ``v != x*``, ``x_D* - x* =
    (eps^2/(1 + eps^2))(v - x*)``, so ``f(x_D*) - f^inf ~ eps^2 Delta``: the variant's
    neighbourhood is ``eps^2 = 1e-4`` times Theorem 1's, which DSGD's stationary distance meets
    to about 0.9 (the oracle's noise at ``x_D*`` is ``~ eps^2 ||v - x*||^2``). Witness:
    ``eps = 0.01``, ``x* = (3, 3)``, ``v = 0``, ``x0 = x_D*``, ``gamma = 0.5 gamma_max``.
    """
    g = _T1(mast, **kw)
    Delta = g.values["Delta"]
    if not Delta > 0:
        return g
    sub = float(mast.problem.value(mast.argmin()) - mast.problem.inf)
    share = min(max(sub, 0.0) / Delta, 1.0)
    return _geometric(g, g.rate, g.values["dist2_0"], g.floor * share)


def t1_floor_accumulated(mast, **kw) -> Guarantee:
    """Theorem 1 with the neighbourhood switched on as it accumulates: ``(1 - gamma mu)^t r_0 +
    (1 - (1 - gamma mu)^t) 2 gamma L_max Delta/mu``. Stronger than stated at every ``t``
    (strictly where ``Delta > 0``), equal as ``t -> inf``. TRUE, so not a control: a probe for
    false alarms.

    Proof: THEORY.md's proof of Theorem 1 gives the one-step inequality ``E r_{t+1} <= (1 -
    gamma mu) E r_t + 2 gamma^2 L_max Delta`` for ``gamma <= 1/L_max`` (strong convexity of
    ``f_D`` and P8, the middle term dropped). Unrolling it sums the geometric series exactly:
    ``E r_t <= (1 - gamma mu)^t r_0 + 2 gamma^2 L_max Delta sum_{k<t} (1 - gamma mu)^k``, and
    the sum is ``(1 - (1 - gamma mu)^t)/(gamma mu)``. The statement keeps only the limit.
    """
    g = _T1(mast, **kw)
    rate, r0, floor = g.rate, g.values["dist2_0"], g.floor
    return _accumulated(g, rate, r0, floor)


def _accumulated(g: Guarantee, rate: float, start: float, floor: float) -> Guarantee:
    """``g`` with the bound ``rate^t start + (1 - rate^t) floor``."""

    def transient(t):
        return rate**t * start

    def neighbourhood(t):
        return (1.0 - rate**t) * floor

    def bound(t):
        return transient(t) + neighbourhood(t)

    return dataclasses.replace(
        g, bound=bound, parts={"transient": transient, "neighbourhood": neighbourhood}
    )


def t2_delta0_gradient(mast, **kw) -> Guarantee:
    """Theorem 2 with ``delta_0 = f_D(x_0) - f_D^inf`` replaced by its smoothness lower bound
    ``||grad f_D(x_0)||^2/(2 L)`` where smaller (``L`` the smoothness of ``f_D``). Equal when
    ``x_0 - x_D*`` lies along the top eigenvector of a quadratic ``f_D`` (d = 1, isotropic
    ``f``); smaller when the start is off along flat modes.

    False (exact): ``f = 1/2 x^T diag(1, 0.001) x``, identity law (``Delta = 0``, gradient
    descent), ``v = x* = 0``, ``x_0 = e_2``, ``T = 100``, the default step ``0.1``:
    ``min_{t<T} ||grad f(x_t)||^2 = 1e-6 (1 - 1e-4)^198 = 0.98e-6`` while the variant's bound
    is ``(1.01)^100 (0.5e-6)/(0.1 * 100) = 1.35e-7``: exceeded 7-fold.
    """
    g = _T2(mast, **kw)
    v = g.values
    grad = np.asarray(mast.grad(g.x0), dtype=float)
    d0 = min(v["delta_0"], float(grad @ grad) / (2.0 * v["L"]))
    LL = v["L"] * v["L_max"]
    g = dataclasses.replace(g, values={**v, "delta_0": d0})
    return _sublinear(g, 1.0 + LL * g.gamma**2, d0, g.gamma, g.floor)


def t3sc_floor_rho_as_gamma_mu(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, strongly convex form, with the neighbourhood ``L C gamma^2/(2 rho)`` replaced by
    ``L C gamma/(2 mu)`` where smaller (``rho`` replaced by ``gamma mu``). Equal at the default
    step ``mu/(L B mu + L A)`` (where ``rho = gamma mu`` when ``B = 0``), weaker below it,
    stronger only between the default and the limit ``2 mu/(L B mu + L A)``, where ``rho -> 0``.

    False: on ``S = (1 +- eps) I``, ``f = 1/2||x - x*||^2`` (exact oracle, ``A = (1 + eps)^2``)
    DSGD is still stable at the limit ``~2(1 - 2 eps)`` (it needs ``gamma < 2 E s^2/E s^4 ~ 2(1 -
    5 eps^2)``), and its stationary distance there grows like ``gamma^2 sigma*^2/(1 - E(1 -
    gamma s^2)^2) ~ 25 sigma*^2`` at ``0.98`` of the limit, while the variant's neighbourhood
    stays ``~ C gamma/2 ~ A Delta gamma``: exceeded about 10-fold (``eps = 0.01``, ``x* = (3, 3)``,
    ``v = 0``).
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    v = g.values
    if not v["mu"] > 0:
        return g
    floor = min(g.floor, v["L"] * v["C"] * g.gamma / (2.0 * v["mu"]))
    return _geometric(g, g.rate, v["delta_0"], floor)


def t3sc_floor_accumulated(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, strongly convex form, with the neighbourhood switched on as it accumulates:
    ``(1 - rho)^t delta_0 + (1 - (1 - rho)^t) L C gamma^2/(2 rho)`` (nonconvex form unchanged).
    Stronger than stated at every finite ``t`` where ``C > 0``. TRUE, so not a control: a probe
    for false alarms.

    Proof: the descent lemma for the ``L``-smooth ``f_D`` and the ABC bound give ``E delta_{t+1}
    <= delta_t - gamma (1 - L B gamma/2)||grad f_D||^2 + L A gamma^2 delta_t + L C gamma^2/2``;
    with ``||grad f_D||^2 >= 2 mu delta_t`` (``mu``-strong convexity, ``1 - L B gamma/2 > 0``)
    this is ``E delta_{t+1} <= (1 - rho) delta_t + L C gamma^2/2``, ``rho = gamma mu (2 - L B
    gamma) - L A gamma^2``; unrolled, the sum ``sum_{k<t} (1 - rho)^k = (1 - (1 - rho)^t)/rho``
    is exact. The statement keeps only its limit ``1/rho``.
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    return _accumulated(g, g.rate, g.values["delta_0"], g.floor)


def t3_tau_LS_on_B_only(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with the tau-nice ``A = L_S^max (A_tau + B_tau L_f)`` replaced by ``A_tau +
    L_S^max B_tau L_f`` and the data term of ``C`` by ``2 A_tau Delta^data`` (the sketch's
    ``L_S^max`` left off the sampling noise). Equal for the identity law (``L_S^max = 1``) and at
    ``tau = n`` (``A_tau = 0``): wrong only for a sparsifying law with ``tau < n``.

    False (exact by hand): ``f_{1,2} = 1/2 (x -+ 1)^2`` (``n = 2``, ``tau = 1``, ``x* = 0``),
    Bernoulli(p) in ``d = 1``, ``v = 0``. At the statement's step ``gamma = p^2`` the iterate is
    left alone with probability ``1 - p`` and else jumps to ``+-p``, so ``E f_D(x_t) - f_D^inf
    -> p/2``, while the variant's neighbourhood (``A = 1``, ``C = 1``, ``rho = 2p - p^3``) is
    ``p^2/(2(2 - p^2))``: for ``p = 0.5`` the measured 0.25 against 0.0714, 3.5-fold.
    """

    def constants(m, tau, tn):
        LS, L_f = m.sketch.L_S_max, m.problem.L
        A = tn["A_tau"] + LS * tn["B_tau"] * L_f
        return A, 2 * A * tn["Delta"] + 2 * tn["A_tau"] * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


def t4b_floor_gamma_mu(mast, **kw) -> Guarantee:
    """Theorem 4 (b) with the neighbourhood's ``1/rho`` replaced by ``2/(gamma mu)`` (as in
    SGD: ``4 c_b (3 gamma^2 + 2 gamma/mu) sigma*^2/(gamma mu/2)``) where smaller; the rate is
    unchanged. Equal where ``gamma mu <= p`` (the ``gamma mu/2`` branch), smaller by
    ``p/(gamma mu)`` where the reference is rarely refreshed (``p < gamma mu``).

    False: after a refresh at ``w ~ x_D*`` the reference error ``e = h - grad f_D(w)`` has ``E
    ||e||^2 = c_b (1/N) sum_k ||grad f_k(w) - grad f_D(w)||^2 ~ c_b sigma*^2`` (sampling without
    replacement) and stays until the next refresh, so ``E Psi >= c_h c_b sigma*^2`` with ``c_h
    = 2(3 gamma^2 + 2 gamma/mu)/p``: that is 1/4 of the statement's neighbourhood in the ``p/2``
    branch, and ``gamma mu/(4 p)`` times the variant's. Witness: 16 near-identity atoms ``1 +-
    0.05``, ``f = 1/2||x - (1, 1)||^2``, ``v = 0``, ``b = 8``, ``p = gamma mu/20``, started at
    ``x_0 = w_0 = x_D*`` (``Psi_0 = 0``): about 5-fold after a few refreshes.
    """
    g = _T4(mast, **kw)
    if g.name.endswith("4a"):
        return g
    v = g.values
    gm = g.gamma * v["mu"]
    if not (gm > 0 and v["p"] < gm):
        return g
    return _geometric(g, g.rate, v["lyapunov_0"], g.floor * v["p"] / gm)


def t4a_phi0_reference_ignored(mast, *, w0=None, **kw) -> Guarantee:
    """Theorem 4 (a) with ``Phi_0 = ||x_0 - x_D*||^2 + (4 gamma^2/p) D(w_0)`` replaced by the
    smaller of it and the value with ``D(x_0)`` (as if ``w_0 = x_0``, the default). Equal when
    ``w_0 = x_0``; stronger when the reference point starts farther than ``x_0``.

    False (proof): with probability ``1 - p`` the first step does not refresh, so ``E D(w_1) >=
    (1 - p) D(w_0)`` and ``E Phi_1 >= (4 gamma^2/p)(1 - p) D(w_0)``, which exceeds ``(1 -
    rho)(||x_0 - x_D*||^2 + (4 gamma^2/p) D(x_0))`` when ``x_0`` is near ``x_D*`` and ``w_0`` is
    not. Witness: 16 near-identity atoms, ``v = x*``, ``x_0 = x* + 0.05 e_2``, ``w_0 = x* +
    e_1``.
    """
    g = _T4(mast, w0=w0, **kw)
    if not g.name.endswith("4a") or w0 is None:
        return g
    v = g.values
    D_x0 = _T4(mast, **kw).values["D_0"]
    phi0 = v["dist2_0"] + v["c_D"] * min(v["D_0"], D_x0)
    g = dataclasses.replace(g, values={**v, "lyapunov_0": phi0})
    return _geometric(g, g.rate, phi0, 0.0)


def t5_delta_gradient_dissimilarity(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with ``Delta_M = F^inf - (1/M) sum_i f_i^inf`` replaced by the gradient
    dissimilarity at the optimum, ``zeta = (1/M) sum_i ||grad f_i(x_F*)||^2/(2 L_i)``, where
    smaller (``zeta <= (1/M) sum_i (f_i(x_F*) - f_i^inf) <= Delta_M`` by smoothness and P5).
    Equal for identity laws with clients quadratic along their gradient (``f_{1,2} = 1/2 (x -+
    1)^2``): wrong where the gap comes from the sketches rather than the data.

    False: one client ``f = 1/2||x - x*||^2`` with ``S = (1 +- 0.01) I``, ``v = 0``:
    ``grad f(x_F*) = (eps^2/(1 + eps^2))(v - x*)``, so ``zeta ~ eps^2 Delta_M`` and the
    variant's neighbourhood is ``1e-4`` times Theorem 5's, which the stationary distance of this
    one-client DSGD meets to about 0.9.
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    v = g.values
    Delta = v["Delta_M"]
    if not Delta > 0:
        return g
    x = problem.argmin()
    zeta = float(
        np.mean(
            [
                np.sum(np.asarray(c.problem.grad(x)) ** 2) / (2 * c.problem.L)
                for c in problem.clients
            ]
        )
    )
    share = min(zeta / Delta, 1.0)
    g = dataclasses.replace(g, values={**v, "Delta_M": Delta * share})
    if strongly_convex:
        return _geometric(g, g.rate, v["dist2_0"], g.floor * share)
    LA = v["L_F"] * v["A"]
    return _sublinear(g, 1.0 + LA * g.gamma**2, v["delta_0"], g.gamma, g.floor * share)


def t5_LFA_over_M(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, nonconvex form, with ``L_F A`` replaced by ``L_F A/M`` (the belief that
    averaging ``M`` clients divides the second-moment constant by ``M``) in the default step
    ``1/sqrt(L_F A T/M)``, the growth factor and the neighbourhood; strongly convex form
    unchanged. Equal for one client.

    False (exact): ``M = 16`` identical clients ``f_i = x^2/2`` in ``d = 1`` with the identity
    law (``Delta_M = 0``, Algorithm 4 is gradient descent), ``T = 4``: the variant's default
    step is ``sqrt(16/4) = 2``, where ``x_t = (-1)^t x_0`` and ``min_{t<T} |grad F|^2 =
    x_0^2``, while its bound is ``(1 + 1/4)^4 (x_0^2/2)/(2 * 4) = 0.153 x_0^2``.

    Measured after the round-seven run (exact §6 recursion): with noise, ``M`` identical
    clients ``S = (1 +- 0.01) I`` drawing independently, started at the stationary distance
    (``catalogue.theorem5.near_scalar_client(M, start=100)``, ``T = 100``), the variant's
    tightness is 0.90, 0.92, 0.95, 0.999 at ``M = 1, 2, 4, 8`` and it is violated at ``M = 16``
    (1.071) and ``M = 32`` (1.193): false only with many clients.
    """
    g0 = _T5(problem, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g0
    M = problem.n_clients
    v = g0.values
    LA = v["L_F"] * v["A"] / M
    gamma = kw.get("gamma")
    if gamma is None:
        gamma = 1.0 / math.sqrt(LA * g0.n_steps)
        g0 = _T5(problem, **{**kw, "gamma": gamma})
    g = dataclasses.replace(g0, values={**g0.values, "A": v["A"] / M})
    return _sublinear(g, 1.0 + LA * gamma**2, v["delta_0"], gamma, LA * gamma * v["Delta_M"])


def baseline_step_3_over_2L(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Baseline (Algorithm 2) with the step limit ``1/L`` raised to ``3/(2L)``, the rate ``1 -
    gamma mu`` kept (default step: the new limit). Equal at every step ``gamma <= 1/L``.

    False (exact) for well-conditioned ``f_D`` (``kappa < 2``): on a quadratic the top mode's
    value contracts by ``(1 - gamma L)^2 = 1/4`` at ``gamma = 3/(2L)``, more than the claimed
    ``1 - 3/(2 kappa)`` when ``kappa < 2`` (for ``kappa >= 2`` every mode's ``(1 - gamma
    lambda)^2 <= 1 - gamma mu`` and the variant holds on quadratics). Witness: ``f = 1/2 x^T
    diag(1, 1/1.8) x``, identity law: ``0.25^t`` against ``0.167^t``.
    """
    g0 = _quiet(_BASELINE_GD, mast, gamma=gamma, **kw)
    gamma_max = 1.5 * g0.gamma_max
    if gamma is None:
        gamma = gamma_max
    g = _quiet(_BASELINE_GD, mast, gamma=gamma, **kw)
    g = _geometric(g, 1.0 - gamma * g.values["mu"], g.values["delta_0"], 0.0)
    return _with_limit(g, gamma_max, strict)


def baseline_delta0_erm_gap(mast, **kw) -> Guarantee:
    """Baseline with ``delta_0 = f_D(x_0) - f_D^inf`` replaced by the ERM gap ``f(x_0) -
    f^inf`` where smaller. Equal at ``x_0 = v`` (the default start: ``f_D(v) = f(v)`` and
    ``f_D^inf >= f^inf``); smaller for starts far from the shift, where ``f_D(x_0) - f(x_0) =
    1/2 h^T (A_D - A) h`` grows quadratically in ``h = x_0 - v``.

    False (exact): ``f = 1/2 x^T diag(1, 0.1) x``, Bernoulli(0.1), ``v = x* = 0``, ``x_0 = (0,
    3)``: ``A_D = 10 A``, so ``delta_0 = 4.5`` against the variant's 0.45 at ``t = 0``, and the
    measured ``4.5 * 0.81^t`` stays above the claimed ``0.45 * 0.9^t`` until ``t ~ 21``
    (ratio 9 at ``t = 1``).
    """
    g = _BASELINE_GD(mast, **kw)
    v = g.values
    f = mast.problem
    d0 = min(v["delta_0"], max(float(f.value(g.x0) - f.inf), 0.0))
    g = dataclasses.replace(g, values={**v, "delta_0": d0})
    return _geometric(g, g.rate, d0, 0.0)


# ------------------------------------------------------------------------------------------------
# The list
# ------------------------------------------------------------------------------------------------

_TABLE = (
    ("step", "theorem1", t1_floor_step_squared),
    ("step", "theorem1", t1_rate_sqrt),
    ("step, nonconvex", "theorem2", t2_floor_step_squared),
    ("step", "theorem3", t3sc_floor_step_squared),
    ("step", "theorem5", t5sc_floor_step_squared),
    ("clients, nonconvex", "theorem5", t5_LF_min),
    ("clients", "theorem5", t5_A_maxL_minLS),
    ("clients", "theorem5", t5sc_mu_max),
    ("clients", "theorem5", t5_delta_sketch_only),
    ("tau", "theorem3", t3_tau_A_mean_L),
    ("tau", "theorem3", t3_tau_c_without_bessel),
    ("tau", "theorem3", t3_tau_B_linear),
    ("nonconvex", "theorem3", t3nc_floor_06),
    ("branch", "theorem4", t4a_gamma_mu_branch),
    ("branch (added after the BEFORE run)", "theorem4", t4a_gamma_mu_branch_2p5),
    ("branch", "theorem4", t4a_p_branch),
    ("branch", "theorem4", t4b_gamma_mu_branch),
    ("branch", "theorem4", t4b_p_branch),
    ("law", "theorem1", t1_LS_max_as_LD_muD),
)

#: name -> Variant: the false ones, then the true probe ``t5_A_mean``.
VARIANTS: dict[str, Variant] = {
    fn.__name__: Variant(name=fn.__name__, statement=key, axis=axis, claim=fn)
    for axis, key, fn in _TABLE
}
_ROUND7 = (
    ("condition number", "theorem1", t1_rate_accelerated),
    ("dimension (E[L_S] vs ess sup)", "theorem1", t1_LS_mean),
    ("gap (Delta vs a smaller quantity)", "theorem1", t1_gap_erm_suboptimality),
    ("start (off the top mode)", "theorem2", t2_delta0_gradient),
    ("step above the default", "theorem3", t3sc_floor_rho_as_gamma_mu),
    ("law x tau", "theorem3", t3_tau_LS_on_B_only),
    ("reference probability p (rare refresh)", "theorem4", t4b_floor_gamma_mu),
    ("start (reference point w0 != x0)", "theorem4", t4a_phi0_reference_ignored),
    ("heterogeneity source (sketch gap)", "theorem5", t5_delta_gradient_dissimilarity),
    ("number of clients M", "theorem5", t5_LFA_over_M),
    ("condition number (kappa < 2), step", "baseline", baseline_step_3_over_2L),
    ("start (far from the shift)", "baseline", baseline_delta0_erm_gap),
)
#: Round seven's true probes (proofs in their docstrings).
_ROUND7_TRUE = (
    ("horizon (true probe)", "theorem1", t1_floor_accumulated),
    ("horizon (true probe)", "theorem3", t3sc_floor_accumulated),
)

VARIANTS["t5_A_mean"] = Variant(
    name="t5_A_mean",
    statement="theorem5",
    axis="clients (true probe)",
    claim=t5_A_mean,
    expected_false=False,
)

def _register(round_no: int, false: tuple, true: tuple) -> None:
    """Add a round's ``(axis, statement, claim)`` triples to ``VARIANTS``: ``false`` believed
    false, ``true`` the round's true probes; the axis is prefixed with the round."""
    for rows, expected_false in ((false, True), (true, False)):
        for axis, key, fn in rows:
            VARIANTS[fn.__name__] = Variant(
                name=fn.__name__,
                statement=key,
                axis=f"round {round_no}: {axis}",
                claim=fn,
                expected_false=expected_false,
            )


_register(7, _ROUND7, _ROUND7_TRUE)


# ------------------------------------------------------------------------------------------------
# Round eight (blind, 2026-12-08): new axes, written from the statements alone (THEORY.md §1-§5,
# the theorem modules and this file's format), before reading the catalogue, the instances or the
# search families. Axes: dense (non-diagonal) law, non-quadratic f, step far above the default
# (growth factor), horizon T = 1, ABC with B > 0, the L A gamma^2 loss in rho, reference batch
# b near N, atom smoothness in the step of Theorem 4 (a), a factor 2 in the neighbourhood, loss
# offsets of the clients, the sketch in the smoothness of f_D; two true probes (the proof's
# unused dissipation in Theorem 1, the squared rate of gradient descent).
# ------------------------------------------------------------------------------------------------


def t1_dense_LS_as_LD(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Theorem 1 for a non-diagonal (dense) law with ``L_S^max`` replaced by ``L_D`` (``L_max =
    L_f L_D`` in the step limit, the default step and the neighbourhood): the belief that a
    rotation-invariant sketch spreads the gradient, ``E||S^T g||^2 = L_D ||g||^2``, so that only
    the mean of ``S^T S`` matters. Diagonal laws unchanged.

    False (proof): ``S = (d/m) Q Q^T`` (Projection) with ``d = 2m`` has ``S^T S = 4 Q Q^T`` and
    ``L_D = 2``. On ``f = 1/2||x||^2`` (``v = x* = 0``, ``Delta = 0``, ``mu = mu_f mu_D = 2``) the
    variant's step ``1/(L_f L_D) = 1/2`` makes every step the reflection ``x <- (I - 2 QQ^T) x``,
    so ``||x_t||^2 = ||x_0||^2`` for every draw, while the variant claims the rate ``1 - gamma
    mu = 0``. Witness (Monte Carlo): Projection(4, 2), ``f = 1/2 x^T diag(1, 1, 1, 0.5) x``
    (claimed rate ``1 - gamma mu_f mu_D = 1/2``), ``v = x* = 0``, ``x_0 = e_1``, ``T = 20``:
    ratio 5e4.
    """
    law = mast.sketch
    if law.is_diagonal:
        return _T1(mast, gamma=gamma, strict=strict, **kw)
    L_max = float(mast.problem.L * law.L_D)
    return _t1_with_L_max(mast, L_max, gamma, strict, kw)


def _hessian_min_eig(grad: Callable, x: np.ndarray) -> float:
    """``lambda_min`` of the Hessian of a function at ``x`` by central differences of ``grad``
    (step ``1e-5 max(1, |x|)``)."""
    d = x.size
    h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
    H = np.empty((d, d))
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        H[:, j] = (np.asarray(grad(x + e)) - np.asarray(grad(x - e))) / (2 * h)
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])


def t1_mu_local_curvature(mast, **kw) -> Guarantee:
    """Theorem 1 for a non-quadratic ``f`` with ``mu`` replaced by the curvature of ``f_D`` at
    its minimiser, ``lambda_min(grad^2 f_D(x_D*))``, where larger (rate and neighbourhood): the
    belief that the constant of a quadratic model at the optimum governs the whole run.
    Quadratic problems unchanged (there the curvature is the same everywhere).

    False: for l2-regularised logistic regression the curvature far from the optimum is only
    ``lambda``: ``f(x) = log(1 + e^-x) + (0.01/2) x^2`` (``n = d = 1``, identity law, ``Delta =
    0``, DSGD is gradient descent at ``gamma = 1/L_f = 1/0.26``) has ``x* ~ 3.4`` and curvature
    ``~ 0.04`` there, but started at ``x* + 30`` the error shrinks by about ``1 - gamma lambda =
    0.96`` per step (the sigmoid is flat), not the claimed ``1 - 0.0425 gamma = 0.837``.
    Witness: ``T = 20``, ratio 5.5 (a deterministic run, checked as Monte Carlo).
    """
    g = _T1(mast, **kw)
    if mast.has_quadratic_form:
        return g
    v = g.values
    mu = _hessian_min_eig(mast.grad, np.asarray(mast.argmin(), dtype=float))
    if not mu > v["mu"]:
        return g
    floor = 2 * g.gamma * v["L_max"] * v["Delta"] / mu
    g = dataclasses.replace(g, values={**v, "mu": mu})
    return _geometric(g, 1.0 - g.gamma * mu, v["dist2_0"], floor)


def t2_growth_capped_e(mast, **kw) -> Guarantee:
    """Theorem 2 with the growth factor ``a^t`` capped at ``e``: ``min(a^t, e) delta_0/(gamma
    t) + L L_max gamma Delta``. Equal at and below the default step for ``t <= T`` (``a^T = (1
    + L L_max gamma^2)^T <= e^(L L_max gamma^2 T) <= e``), stronger only for steps above the
    default, where the statement's factor grows.

    False (exact): ``f = x^2/2``, identity law (``Delta = 0``, gradient descent), ``x_0 = 1``,
    ``gamma = 1.9``: ``x_t = (-0.9)^t``, so ``min_{s<10} |f'(x_s)|^2 = 0.81^9 = 0.150``, while
    the variant's bound at ``T = 10`` is ``e (1/2)/(1.9 * 10) = 0.0715``: exceeded 2.1-fold (the
    statement's ``a^10 = 4.61^10`` keeps it valid); the largest ratio along the run is 3.0.
    """
    g = _T2(mast, **kw)
    v = g.values
    a = 1.0 + v["L"] * v["L_max"] * g.gamma**2
    d0, gamma, floor = v["delta_0"], g.gamma, g.floor

    def transient(t):
        with np.errstate(divide="ignore", over="ignore"):
            grow = np.minimum(np.exp(t * math.log(a)), math.e)
            return np.where(t > 0, grow * d0 / (gamma * t), np.inf)

    def neighbourhood(t):
        return np.full(np.shape(t), float(floor))

    def bound(t):
        return transient(t) + neighbourhood(t)

    return dataclasses.replace(
        g, bound=bound, parts={"transient": transient, "neighbourhood": neighbourhood}
    )


def t2_horizon_T_plus_1(mast, **kw) -> Guarantee:
    """Theorem 2 with the transient ``a^t delta_0/(gamma t)`` replaced by ``a^t delta_0/(gamma
    (t + 1))`` (counting the ``t + 1`` iterates ``x_0..x_t``). Equal in the limit of long
    horizons, stronger by ``(t + 1)/t``, 2 at ``t = 1``: wrong only for short horizons.

    False (exact): at ``t = 1`` the measured quantity is ``||grad f_D(x_0)||^2``, which is ``2 L
    delta_0`` along the top eigenvector of a quadratic. ``f = x^2/2``, identity law, ``x_0 = 1``,
    ``T = 4`` (default step ``1/2``): at ``t = 1`` the measurement is 1, the statement's bound
    ``1.25 * 0.5/0.5 = 1.25`` and the variant's ``0.625``: exceeded 1.6-fold.
    """
    g = _T2(mast, **kw)
    v = g.values
    a = 1.0 + v["L"] * v["L_max"] * g.gamma**2
    d0, gamma, floor = v["delta_0"], g.gamma, g.floor

    def transient(t):
        with np.errstate(divide="ignore", over="ignore"):
            return np.where(t > 0, np.exp(t * math.log(a)) * d0 / (gamma * (t + 1)), np.inf)

    def neighbourhood(t):
        return np.full(np.shape(t), float(floor))

    def bound(t):
        return transient(t) + neighbourhood(t)

    return dataclasses.replace(
        g, bound=bound, parts={"transient": transient, "neighbourhood": neighbourhood}
    )


def t3nc_B_denominator_dropped(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, nonconvex form, without the denominator ``1 - L B gamma/2``: ``(1 + L A
    gamma^2)^T delta_0/(gamma T) + L C gamma/2`` (step limit ``2/(L B)`` kept). Equal for ``B =
    0`` (the exact and the tau-nice oracles); stronger for an ABC oracle with ``B > 0``.

    False (exact): the exact oracle of ``f = x^2/2`` with the identity law satisfies the ABC
    bound with ``(A, B, C) = (0, 1, 0)`` (``E||g||^2 = ||grad f||^2``); at ``gamma = 1.9 < 2/(L
    B)`` gradient descent gives ``x_t = (-0.9)^t`` and ``min_{s<10}|f'(x_s)|^2 = 0.150``, while
    the variant's bound at ``T = 10`` is ``0.5/19 = 0.026`` (the statement divides it by ``1 -
    0.95``: 0.53); the largest ratio along the run is 8.2.
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g
    v = g.values
    if not v["B"] > 0:
        return g
    a = 1.0 + v["L"] * v["A"] * g.gamma**2
    floor = v["L"] * v["C"] * g.gamma / 2.0
    return _sublinear(g, a, v["delta_0"], g.gamma, floor)


def t3sc_rho_without_A(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 3, strongly convex form, with ``rho = gamma mu (2 - L B gamma) - L A gamma^2``
    replaced by ``gamma mu (2 - L B gamma)`` (the ``L A gamma^2`` loss to the oracle's
    multiplicative noise left out; clipped to 1), in the rate and the neighbourhood ``L C
    gamma^2/(2 rho)``. Equal as ``gamma -> 0``, twice the rate at the default step ``mu/(L B mu
    + L A)`` (``B = 0``).

    False (exact): Bernoulli(p) in ``d = 1``, ``f = x^2/2``, ``v = x* = 0``: ``L = mu = 1/p``,
    ``A = L_max = 1/p^2``, default step ``p^2``; the iterate is kept with probability ``1 - p``
    and sent to 0 otherwise, so ``E f_D(x_t) = (1 - p)^t f_D(x_0)``: the statement's ``rho = p``
    is attained, the variant claims ``2p``. For ``p = 1/4``: ``0.75^t`` against ``0.5^t`` (``T
    = 20``, ratio ``1.5^20 = 3325``).
    """
    g = _T3(mast, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    v = g.values
    rho = min(g.gamma * v["mu"] * (2.0 - v["L"] * v["B"] * g.gamma), 1.0)
    if not rho > v["rho"]:
        return g
    floor = v["L"] * v["C"] * g.gamma**2 / (2 * rho)
    g = dataclasses.replace(g, values={**v, "rho": rho})
    return _geometric(g, 1.0 - rho, v["delta_0"], floor)


def t3_tau_C_max(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with the tau-nice ``C = 2 A Delta + 2 L_S^max A_tau Delta^data`` replaced by
    ``2 max(A Delta, L_S^max A_tau Delta^data)`` (the belief that the sketch's noise and the
    sampling noise do not add up; ``A``, ``B = 0`` unchanged). Equal where either vanishes
    (``v = x*``, ``tau = n``, identical samples), up to 2 times smaller where both are present.

    False (exact, §6 recursion over the joint atoms of sketch and batch): two samples ``f_{1,2}
    = 1/2 (x - (20 +- 1))^2`` in ``d = 1`` (``n = 2``, ``tau = 1``), the sketch ``s = 1 +- 0.05``,
    ``v = 0``: both terms of ``C`` are 0.55, and the stationary value gap from ``x_0 = x_D*`` at
    the default step is 0.84 of the statement's neighbourhood, 1.67 times the variant's
    (``T = 300``).

    It declares the statement's branches (the terms of ``A`` and ``C``, through
    ``_tau_variant``): in the first quick/full run it declared none, and the 8 checks that name
    a term raised an error on it.
    """

    def constants(m, tau, tn):
        LS = m.sketch.L_S_max
        A = tn["A"]
        return A, 2 * max(A * tn["Delta"], LS * tn["A_tau"] * tn["Delta_data"])

    return _tau_variant(mast, batch_size, abc, kw, constants)  # with the statement's terms


def t4b_cb_squared(mast, **kw) -> Guarantee:
    """Theorem 4 (b) with the neighbourhood's ``c_b`` replaced by ``c_b (N - b)/(N - 1)`` (the
    belief that the reference error vanishes quadratically as ``b -> N``); rate and Lyapunov
    weights unchanged. Equal at ``b = 1``, smaller by ``1/(N - 1)`` at ``b = N - 1``.

    False: after a refresh at ``w`` the reference error ``e = h - grad f_D(w)`` has ``E||e||^2 =
    c_b (1/N) sum_k ||grad f_k(w) - grad f_D(w)||^2 ~ c_b sigma*^2`` near ``x_D*`` (sampling
    without replacement, linear in ``c_b``), weighted by ``c_h = 2(3 gamma^2 + 2 gamma/mu)/p``
    in ``Psi``: about ``rho/(2p)`` of the statement's neighbourhood (1/4 in the ``p/2``
    branch), ``(N - 1)/4`` times the variant's. Witness: 16 near-identity atoms ``1 +- 0.05``,
    ``f = 1/2||x - (1, 1)||^2``, ``v = 0``, ``b = 15``, ``p = 0.02`` (``p/2`` branch), ``x_0 =
    w_0 = x_D*``, ``T = 1500``: ratio 4.3 (exact moments).
    """
    g = _T4(mast, **kw)
    if g.name.endswith("4a"):
        return g
    v = g.values
    N, b = v["N"], v["b"]
    return _geometric(g, g.rate, v["lyapunov_0"], g.floor * (N - b) / (N - 1))


def t4a_L_as_L_fD(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Theorem 4 (a) with ``L = L_f max_k L_{S_k}`` (the smoothness of every atom ``f_{S_k}``)
    replaced by the smoothness of ``f_D`` (``L_f L_D``, or ``lambda_max(A_D)``): step limit
    ``1/(6 L_fD)`` (the default step), rate ``1 - min(gamma mu, p/2)`` and the weight ``4
    gamma^2/p`` at that step. Part (b) unchanged; equal for the identity law.

    False: variance reduction needs every ``f_{S_k}`` smooth; with a partition into ``B``
    blocks the atoms are ``B^2 L_f``-smooth but ``f_D`` only ``B L_f``-smooth, so the variant's
    step is ``B`` times the statement's. Witness: ``f = 1/2||x||^2`` in ``d = 8``, Partition
    into 8 blocks (``S_k = 8 e_k e_k^T``), ``v = x* = 0``, ``p = 1/8``: the variant's step
    ``1/48`` gives the drawn coordinate the factor ``1 - 64/48 < 0`` on ``x - w`` and the run
    decays slower than the claimed ``1 - min(gamma mu, p/2) = 15/16`` (exact moments, ``T =
    60``: ratio 5.4).
    """
    g0 = _quiet(_T4, mast, gamma=gamma, **kw)
    if g0.name.endswith("4b"):
        return _T4(mast, gamma=gamma, strict=strict, **kw)
    v = g0.values
    gamma_max = 1.0 / (6.0 * v["L_fD"])
    if gamma is None:
        gamma = gamma_max
    g = _quiet(_T4, mast, gamma=gamma, **kw)
    v = g.values
    rho = min(gamma * v["mu"], v["p"] / 2.0)
    g = dataclasses.replace(g, values={**v, "L": v["L_fD"]})
    g = _geometric(g, 1.0 - rho, v["lyapunov_0"], 0.0)
    return _with_limit(g, gamma_max, strict)


def t5sc_floor_half(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, strongly convex form, with the neighbourhood ``2 gamma A Delta_M/mu_F``
    halved (the factor 2 dropped; rate unchanged); nonconvex form unchanged.

    False: with one client Algorithm 4 is DSGD, whose stationary distance at the step limit
    ``1/A`` meets Theorem 1's neighbourhood to about 0.96 on ``S = (1 +- 0.01) I``, ``f =
    1/2||x - (3, 3)||^2``, ``v = 0`` (exact recursion, started at ``x_F*``): the variant is
    exceeded 1.92-fold (``T = 200``).
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    return _geometric(g, g.rate, g.values["dist2_0"], 0.5 * g.floor)


def t5_delta_offsets(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with ``Delta_M = F^inf - (1/M) sum_i f_i^inf`` replaced by ``max(F^inf - max_i
    f_i^inf, 0)`` where smaller (both forms): the gap measured against the worst client's
    floor. Equal for one client and for clients with equal minimum values; the statement is
    invariant under constant offsets of the clients' losses, the variant is not.

    False (exact): ``f_1 = 1/2 (x - 1)^2``, ``f_2 = 1/2 (x + 1)^2 + 1`` in ``d = 1``, independent
    Bernoulli(0.5) laws, ``v = 0``: ``F(x) = x^2 + 1``, so ``F^inf = 1 = max_i f_i^inf`` and the
    variant has no neighbourhood, but at ``x_F* = 0`` the oracle ``(1/2)(s_2 - s_1)`` (``s_i``
    in {0, 2}) has variance 1/2 and ``E x_t^2`` settles near ``gamma/(4 mu_F)``. Witness: ``x_0
    = 0.5``, the step limit, ``T = 100`` (the variant's bound decays to 0: ratio 2.5e29).
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    v = g.values
    Delta = v["Delta_M"]
    if not Delta > 0:
        return g
    worst = max(float(c.problem.inf) for c in problem.clients)
    share = min(max(problem.inf - worst, 0.0) / Delta, 1.0)
    g = dataclasses.replace(g, values={**v, "Delta_M": Delta * share})
    if strongly_convex:
        return _geometric(g, g.rate, v["dist2_0"], g.floor * share)
    LA = v["L_F"] * v["A"]
    return _sublinear(g, 1.0 + LA * g.gamma**2, v["delta_0"], g.gamma, g.floor * share)


def baseline_L_without_sketch(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Baseline (Algorithm 2) with ``L = L_f L_D`` replaced by ``L_f`` in the step limit (the
    default step), the rate ``1 - gamma mu`` kept: the belief that averaging over sketches
    does not raise the curvature of ``f_D`` above that of ``f``. Equal for the identity law.

    False (exact): ``f_D`` has Hessian ``A_D = A + Diag((1/p - 1) A_jj)`` under Bernoulli(p);
    with ``p = 1/2``, ``A = diag(1, 1/4)``, ``A_D = diag(2, 1/2)`` and the variant's step ``1``
    sends the top mode ``e -> (1 - 2) e``: the value gap from ``x_0 - x_D* = e_1`` never moves,
    while the variant claims ``(1 - gamma mu)^t = 0.5^t`` (``mu = mu_f mu_D = 1/2``). ``v = x*
    = 0``, ``T = 20`` (ratio ``2^20``).
    """
    gamma_max = 1.0 / float(mast.problem.L)
    if gamma is None:
        gamma = gamma_max
    g = _quiet(_BASELINE_GD, mast, gamma=gamma, **kw)
    g = _geometric(g, 1.0 - gamma * g.values["mu"], g.values["delta_0"], 0.0)
    g = dataclasses.replace(g, values={**g.values, "L": float(mast.problem.L)})
    return _with_limit(g, gamma_max, strict)


def t1_rate_two_minus(mast, **kw) -> Guarantee:
    """Theorem 1 with the rate ``1 - gamma mu`` replaced by ``1 - gamma mu (2 - gamma L_max)``
    and the neighbourhood by ``2 gamma L_max Delta/(mu (2 - gamma L_max))``. Equal at the step
    limit ``1/L_max``, up to twice the rate and half the neighbourhood below it. TRUE, so not a
    control: a probe for false alarms on the step axis.

    Proof: THEORY.md's one-step inequality is ``E r_{t+1} <= (1 - gamma mu) r_t - 2 gamma (1 -
    gamma L_max) delta_t + 2 gamma^2 L_max Delta`` (``r = ||x - x_D*||^2``, ``delta = f_D(x) -
    f_D^inf``). The statement drops the middle term; instead use ``delta_t >= (mu/2) r_t``
    (``mu``-strong convexity of ``f_D``) with ``1 - gamma L_max >= 0``: ``E r_{t+1} <= (1 -
    gamma mu (2 - gamma L_max)) r_t + 2 gamma^2 L_max Delta``, and ``rho = gamma mu (2 - gamma
    L_max)`` lies in ``(0, 1]`` (``mu <= L_max``). Unrolling gives the claim. Measured on ``S =
    (1 +- 0.01) I``, ``f = 1/2||x - (3, 3)||^2``, ``v = 0`` from ``x_D*``: stationary distance
    0.96, 0.97, 0.98 of the variant's neighbourhood at 1, 0.5, 0.1 times the step limit.
    """
    g = _T1(mast, **kw)
    v = g.values
    s = 2.0 - g.gamma * v["L_max"]
    rho = min(g.gamma * v["mu"] * s, 1.0)
    return _geometric(g, 1.0 - rho, v["dist2_0"], g.floor / s)


def baseline_rate_squared(mast, **kw) -> Guarantee:
    """Baseline with the rate ``1 - gamma mu`` replaced by ``(1 - gamma mu)^2``. TRUE, so not a
    control: a probe for false alarms (the stated rate is the textbook one, not the tight one).

    Proof: ``f_D`` is ``L``-smooth and ``mu``-strongly convex with ``L = L_f L_D``, ``mu = mu_f
    mu_D`` (P3, P4; or the exact constants). For a quadratic ``f_D`` each eigenmode ``lambda``
    in ``[mu, L]`` of the error contracts by ``|1 - gamma lambda| <= 1 - gamma mu`` for ``gamma
    <= 1/L``, so the value gap contracts by at least ``(1 - gamma mu)^2`` per step. For any
    ``L``-smooth ``mu``-strongly convex function, one gradient step with ``gamma`` in ``(0,
    2/L)`` gives ``f(x+) - f^* <= max((1 - gamma mu)^2, (1 - gamma L)^2)(f(x) - f^*)`` (Taylor,
    Hendrickx & Glineur 2018, exact worst case of gradient descent), which is ``(1 - gamma
    mu)^2`` for ``gamma <= 1/L`` (``1 - gamma L >= 0`` and ``<= 1 - gamma mu``). Attained with
    equality on a quadratic whose ``x_0 - x_D*`` lies on the flattest mode when ``mu`` is exact
    (witness: ratio exactly 1 with the identity law, ``diag(1, 0.1)``, ``T = 60``).
    """
    g = _BASELINE_GD(mast, **kw)
    return _geometric(g, g.rate**2, g.values["delta_0"], 0.0)


_ROUND8 = (
    ("dense (non-diagonal) law", "theorem1", t1_dense_LS_as_LD),
    ("non-quadratic f (curvature at the optimum)", "theorem1", t1_mu_local_curvature),
    ("step far above the default (growth factor)", "theorem2", t2_growth_capped_e),
    ("horizon T = 1 (short-run transient)", "theorem2", t2_horizon_T_plus_1),
    ("ABC oracle with B > 0", "theorem3", t3nc_B_denominator_dropped),
    ("multiplicative noise (L A gamma^2 in rho)", "theorem3", t3sc_rho_without_A),
    ("sketch and subsampling combined (the two terms of C)", "theorem3", t3_tau_C_max),
    ("reference batch b near N", "theorem4", t4b_cb_squared),
    ("atom smoothness vs f_D smoothness (step)", "theorem4", t4a_L_as_L_fD),
    ("neighbourhood factor 2", "theorem5", t5sc_floor_half),
    ("loss offsets of the clients", "theorem5", t5_delta_offsets),
    ("sketch in the smoothness of f_D (step)", "baseline", baseline_L_without_sketch),
)
#: Round eight's true probes (proofs in their docstrings).
_ROUND8_TRUE = (
    ("step below the limit (true probe)", "theorem1", t1_rate_two_minus),
    ("tight rate of gradient descent (true probe)", "baseline", baseline_rate_squared),
)

_register(8, _ROUND8, _ROUND8_TRUE)


# ------------------------------------------------------------------------------------------------
# Round nine (blind, 2026-12-08): new axes, written from the statements alone (THEORY.md §1-§5,
# the theorem modules and this file's format), before reading the catalogue, the instances or the
# search families. Axes: mu_D vs L_D (non-uniform law), tau = n - 1 (c_tau counted twice),
# refresh probability p far below 1/N, joint (permutation) law of the clients, the start gap of
# the best-started client, the growth factor for convex f at T = 1, the P6 bound of Delta for a
# law near the identity, the sigmoid's curvature at 0 taken globally (logistic, lam small), one
# rare large atom in Theorem 4's L, Delta = 0 read as interpolation for tau < n; two
# true probes (the exact strong-convexity constant of f_D in Theorem 1 and in the baseline).
# ------------------------------------------------------------------------------------------------


def t1_mu_as_LD(mast, **kw) -> Guarantee:
    """Theorem 1 with ``mu = mu_f mu_D`` replaced by ``mu_f L_D`` where larger (rate and
    neighbourhood): the belief that the sketch raises the curvature of ``f_D`` uniformly, so
    that its largest and smallest stretch coincide. Equal for uniform laws (``L_D = mu_D``:
    Bernoulli(p) with one ``p``, RandK, identity).

    False (exact): Bernoulli with ``p = (1/4, 1)`` in ``d = 2`` has ``mu_D = 1``, ``L_D = 4``,
    ``L_S^max = 16``. On ``f = 1/2||x||^2`` (``v = x* = 0``, ``Delta = 0``) the default step is
    ``1/16`` and the second coordinate (kept with probability 1) contracts by ``15/16`` per
    step, so from ``x_0 = e_2`` ``E||x_t||^2 = (15/16)^(2t)``, while the variant claims ``(1 -
    4/16)^t``. ``T = 20``: ratio ``(0.8789/0.75)^20 = 23.8``.
    """
    g = _T1(mast, **kw)
    v = g.values
    mu = float(mast.problem.mu) * float(mast.sketch.L_D)
    if not mu > v["mu"]:
        return g
    floor = 2 * g.gamma * v["L_max"] * v["Delta"] / mu
    g = dataclasses.replace(g, values={**v, "mu": mu})
    return _geometric(g, 1.0 - g.gamma * mu, v["dist2_0"], floor)


def t3_tau_C_ctau_squared(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with the tau-nice data term ``2 L_S^max A_tau Delta^data`` of ``C`` multiplied
    once more by ``c_tau`` (``c_tau`` counted in ``A_tau = c_tau max_i L_i`` and again in the
    data term: the belief that the sampling noise at the optimum scales like ``c_tau^2``).
    Equal at ``tau = n`` (``c_tau = 0``) and ``tau = 1`` (``c_tau = 1``); smaller in between,
    most at ``tau = n - 1`` for small ``n``.

    False (exact): ``n = 3`` samples ``f_i = 1/2 (x - a_i)^2``, ``a = (-10, 0, 10)``, identity
    law in ``d = 1``, ``tau = 2`` (``c_tau = 1/4``, ``B_tau = 3/4``, ``A = 1``, ``Delta^data =
    100/3``), strongly convex form at the default step ``1`` (``rho = 1``): one step from any
    point lands on the batch mean, whose value gap is ``c_tau (1/n) sum a_i^2/2 = 25/3``; the
    statement's neighbourhood ``L C gamma^2/(2 rho) = 25/3`` is attained, the variant's is
    ``25/12``. ``x_0 = x* = 0``, ``T = 5``: ratio 4.
    """

    def constants(m, tau, tn):
        LS = m.sketch.L_S_max
        A = tn["A"]
        return A, 2 * A * tn["Delta"] + 2 * LS * tn["A_tau"] * tn["c_tau"] * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


def t4a_p_at_least_1_over_N(mast, *, p=None, **kw) -> Guarantee:
    """Theorem 4 (a) with the rate ``1 - min(gamma mu, p/2)`` replaced by ``1 - min(gamma mu,
    max(p, 1/N)/2)``: the belief that a rare refresh costs nothing below the usual ``p = 1/N``
    because the sampled atoms already visit the whole law every ``N`` steps. Equal for ``p >=
    1/N`` (the default ``p = 1/N``) and in part (b).

    False (exact): two atoms ``s = 0.5, 1.5`` in ``d = 1``, ``f = x^2/2``, ``v = x* = 0``
    (``L = 2.25``, ``mu = 1.25``, step ``1/13.5``), ``p = 0.001``: while the reference ``w``
    stays at ``x_0 = w_0 = 1`` the update ``x - gamma (s_k^2 (x - w) + 1.25 w)`` carries the
    noise ``gamma (s_k^2 - 1.25)(x - w)`` and ``Phi`` keeps the weight ``(4 gamma^2/p) D_t``
    with ``D_t`` near ``D_0`` for about ``1/p`` steps, while the variant claims ``(1 - 0.0926)^t
    Phi_0``. ``T = 100``: ratio above 1e4.
    """
    g = _T4(mast, p=p, **kw)
    if not g.name.endswith("4a"):
        return g
    v = g.values
    rho = min(g.gamma * v["mu"], max(v["p"], 1.0 / v["N"]) / 2.0)
    return _geometric(g, 1.0 - rho, v["lyapunov_0"], 0.0)


def t5_joint_law_no_neighbourhood(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5 with the neighbourhood (``L_F A gamma Delta_M``, or ``2 gamma A Delta_M/mu_F``)
    dropped when the clients' sketches are drawn jointly (a ``JointSketch``, e.g. the
    permutation law): the belief that ``sum_i S_i = M I`` makes the averaged oracle exact, as it
    is for identical isotropic clients. Independent laws unchanged.

    False: with different clients the permutation decides which client's gradient fills which
    coordinate. ``M = d = 2``, ``f_{1,2} = 1/2||x -+ (1, -1)||^2``, PermutationSketch(2, 2),
    ``v = 0``: client ``i`` fills coordinate ``j = pi(i)`` of the averaged oracle with ``(1/2)
    2 (2 x_j - c_{i,j})``, so at ``x_F* = 0`` the oracle is ``+-(1, 1)`` with equal
    probability; ``E||x_t||^2`` stays positive while the variant's bound from ``x_0 = x_F*`` is
    0. Witness: ``x_0 = x_F*``, the step limit
    ``1/A``, ``T = 50``: violated exactly (§6 recursion; the ratio is infinite).
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if not getattr(problem, "joint", False):
        return g
    v = g.values
    g = dataclasses.replace(g, values={**v, "Delta_M": 0.0})
    if strongly_convex:
        return _geometric(g, g.rate, v["dist2_0"], 0.0)
    LA = v["L_F"] * v["A"]
    return _sublinear(g, 1.0 + LA * g.gamma**2, v["delta_0"], g.gamma, 0.0)


def t5_delta0_best_client(problem, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Theorem 5, nonconvex form, with ``delta_0 = F(x_0) - F^inf`` replaced by the smallest
    client gap ``min_i (f_{i,D_i}(x_0) - f_{i,D_i}^inf)`` where smaller: the belief that the
    run is as far from stationarity as its best-started client. Equal for one client and for
    identical clients; strongly convex form unchanged.

    False (exact): ``f_{1,2} = 1/2 (x -+ 1)^2`` in ``d = 1``, identity laws, ``x_0 = 1`` (client
    1 at its optimum: the variant's transient is 0), ``T = 1`` (default step ``1/sqrt(L_F A) =
    1``): the measurement ``|grad F(x_0)|^2 = 1``, the variant's bound ``L_F A gamma Delta_M =
    1/2`` (``Delta_M = F^inf - 0 = 1/2``), the statement's ``2 * 1/2 + 1/2 = 1.5``: ratio 2.
    """
    g = _T5(problem, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g
    v = g.values
    x0 = kw.get("x0")
    x0 = problem.v if x0 is None else np.asarray(x0, dtype=float)
    gaps = [float(c.value(x0)) - float(c.inf) for c in problem.clients]
    d0 = max(min(gaps), 0.0)
    if not d0 < v["delta_0"]:
        return g
    g = dataclasses.replace(g, values={**v, "delta_0": d0})
    LA = v["L_F"] * v["A"]
    return _sublinear(g, 1.0 + LA * g.gamma**2, d0, g.gamma, g.floor)


def t2_convex_no_growth(mast, **kw) -> Guarantee:
    """Theorem 2 for convex ``f`` (``mu_f >= 0``) with the growth factor ``a^T`` dropped:
    ``delta_0/(gamma T) + L L_max gamma Delta``: the belief that without negative curvature the
    descent never loses ground. Nonconvex ``f`` unchanged; at most ``e`` times smaller than the
    statement at its default step, 2 times at ``T = 1``.

    False (exact): ``f = x^2/2`` (convex), identity law, ``x_0 = 1``, ``T = 1`` (default step
    ``1``): the measurement at ``t = 0`` is ``|f'(x_0)|^2 = 1``; the statement's bound ``2 *
    (1/2)/1 = 1`` is attained, the variant's ``1/2``: ratio 2.
    """
    g = _T2(mast, **kw)
    mu_f = float(getattr(mast.problem, "mu", math.nan))
    if not mu_f >= 0:
        return g
    v = g.values
    return _sublinear(g, 1.0, v["delta_0"], g.gamma, g.floor)


def t2_Delta_P6_squared(mast, **kw) -> Guarantee:
    """Theorem 2 with ``Delta`` replaced by ``min(Delta, L_f (L_D - 1)^2/2 ||x* - v||^2)`` (P6's
    bound with ``L_D - 1`` squared: the belief that a law near the identity, ``L_D = 1 +
    eps``, loses only ``O(eps^2)``). Equal for the identity law and at ``L_D >= 2``.

    False: P6 is tight to first order in ``L_D - 1``: for ``f = 1/2||x - c||^2`` and ``S = s
    I`` (``s`` with mean 1 and variance ``eps``), ``Delta = eps ||c - v||^2/(2 (1 + eps))``.
    Witness (exact): ``S = (1 +- 0.1) I`` (``L_D - 1 = 0.01``, ``Delta = 0.089``, the variant's
    ``9e-4``), ``c = (3, 3)``, ``v = 0``, ``x_0 = x_D* + 0.05 (1, 1)`` (``||grad f_D(x_0)||^2``
    near the stationary level), ``gamma = 0.05``, ``T = 200``: the run stays near ``4e-3`` while
    the variant's bound is about ``5e-4``: ratio 8.6 (the statement's tightness 0.76).
    """
    g = _T2(mast, **kw)
    v = g.values
    L_D = float(mast.sketch.L_D)
    x_star = np.asarray(mast.problem.argmin(), dtype=float)
    shift = np.asarray(mast.v, dtype=float)
    D = float(mast.problem.L) * (L_D - 1.0) ** 2 / 2.0 * float(np.sum((x_star - shift) ** 2))
    if not D < v["Delta"]:
        return g
    g = dataclasses.replace(g, values={**v, "Delta": D})
    a = 1.0 + v["L"] * v["L_max"] * g.gamma**2
    return _sublinear(g, a, v["delta_0"], g.gamma, v["L"] * v["L_max"] * g.gamma * D)


def baseline_logistic_quarter(mast, **kw) -> Guarantee:
    """Baseline for l2-regularised logistic regression with ``mu = mu_D lam`` replaced by
    ``mu_D (lam + lambda_min(X^T X)/(4 n))`` (the sigmoid's curvature at 0, ``1/4``, taken as
    if it held everywhere; where larger). Other problems unchanged; equal as the data term
    vanishes.

    False: far out on a well-classified side the sigmoid is flat and only ``lam`` curves the
    loss. ``X = diag(1, 2)``, ``y = (1, 1)``, ``lam = 0.01``, identity law (gradient descent,
    ``L = 0.51``): the variant claims ``1 - 0.135/0.51 = 0.735`` per step; from ``x_0 = x* +
    (30, 0)`` the gap shrinks by about ``(1 - lam/L)^2 = 0.96`` per step. ``T = 20``: ratio
    209 (a deterministic run).
    """
    g = _BASELINE_GD(mast, **kw)
    prob = mast.problem
    if not isinstance(prob, mr.LogisticRegression):
        return g
    X = prob.X.toarray() if hasattr(prob.X, "toarray") else np.asarray(prob.X, dtype=float)
    curv = float(np.linalg.eigvalsh(X.T @ X / X.shape[0])[0]) / 4.0
    mu = float(mast.sketch.mu_D) * (float(prob.lam) + curv)
    v = g.values
    if not mu > v["mu"]:
        return g
    g = dataclasses.replace(g, values={**v, "mu": mu})
    return _geometric(g, 1.0 - g.gamma * mu, v["delta_0"], 0.0)


def t4a_L_without_outlier_atom(mast, *, gamma=None, strict: bool = True, **kw) -> Guarantee:
    """Theorem 4 (a) with ``L = L_f max_k L_{S_k}`` replaced by ``L_f`` times the second
    largest ``L_{S_k}`` (an outlier-robust max: the belief that one atom drawn once in ``N``
    steps does not bound the step), in the step limit ``1/(6 L)`` (the default step); rate
    ``1 - min(gamma mu, p/2)`` at that step. Equal when the largest atom is not alone; part
    (b) and laws without a finite diagonal support unchanged.

    False (exact): four atoms ``s = 0.5, 0.5, 0.5, 2.5`` in ``d = 1`` (mean 1), ``f = x^2/2``,
    ``v = x* = 0``: the variant's step ``1/(6 * 0.25) = 2/3`` gives the rare atom the factor ``1
    - (2/3) 6.25 = -3.2`` on ``x - w``, and the run diverges in mean square while the variant
    claims ``(1 - min(gamma mu, 1/8))^t``. ``x_0 = w_0 = 1``, ``T = 20``: ratio 2.3e10.
    """
    g0 = _quiet(_T4, mast, gamma=gamma, **kw)
    law = mast.sketch
    if g0.name.endswith("4b") or not (law.is_diagonal and law.has_finite_support):
        return _T4(mast, gamma=gamma, strict=strict, **kw)
    atoms, _ = law.support()
    L_S = np.sort(np.max(np.asarray(atoms, dtype=float) ** 2, axis=1))
    if L_S.size < 2 or not L_S[-2] < L_S[-1]:
        return _T4(mast, gamma=gamma, strict=strict, **kw)
    L = float(mast.problem.L) * float(L_S[-2])
    gamma_max = 1.0 / (6.0 * L)
    if gamma is None:
        gamma = gamma_max
    g = _quiet(_T4, mast, gamma=gamma, **kw)
    v = g.values
    rho = min(gamma * v["mu"], v["p"] / 2.0)
    g = dataclasses.replace(g, values={**v, "L": L})
    g = _geometric(g, 1.0 - rho, v["lyapunov_0"], 0.0)
    return _with_limit(g, gamma_max, strict)


def t3_tau_interpolation_by_shift(mast, *, batch_size=None, abc=None, **kw) -> Guarantee:
    """Theorem 3 with the tau-nice ``C`` set to 0 when ``Delta = 0`` (the shift interpolates,
    ``v = x*``, or the law is the identity): the belief that ``Delta = 0`` means interpolation
    for the subsampled oracle too, so the data term ``2 L_S^max A_tau Delta^data`` is dropped
    with the sketch term. Equal at ``tau = n`` and where ``Delta > 0``.

    False (exact): the instance of ``t3_tau_C_ctau_squared`` (identity law, so ``Delta = 0``;
    ``n = 3``, ``tau = 2``, ``a = (-10, 0, 10)``): the statement's neighbourhood ``25/3`` is
    attained from ``x_0 = x*`` at the default step, the variant's bound is 0 (``T = 5``:
    violated, infinite ratio).
    """

    def constants(m, tau, tn):
        A = tn["A"]
        if tn["Delta"] == 0:
            return A, 0.0
        return A, 2 * A * tn["Delta"] + 2 * m.sketch.L_S_max * tn["A_tau"] * tn["Delta_data"]

    return _tau_variant(mast, batch_size, abc, kw, constants)


def _lambda_min_A_D(mast) -> float:
    """``lambda_min(A_D)``, the exact strong-convexity constant of a quadratic ``f_D``."""
    return float(np.linalg.eigvalsh(np.asarray(mast.A_D, dtype=float))[0])


def t1_mu_exact(mast, **kw) -> Guarantee:
    """Theorem 1 for a quadratic ``f`` with ``mu = mu_f mu_D`` replaced by ``lambda_min(A_D)``
    where larger (rate and neighbourhood), ``L_max`` and the step unchanged. TRUE, so not a
    control: a probe for false alarms on non-uniform laws.

    Proof: THEORY.md §5 allows the exact constants ("the bounds hold with either"); the proof
    uses ``mu`` only through the ``mu``-strong convexity of ``f_D``, which holds with
    ``lambda_min(A_D)``, and P8, which does not involve ``mu``. ``gamma mu <= mu/L_max <= 1``
    (``lambda_min(A_D) <= lambda_max(A_D) <= L_max``), so the rate stays in ``[0, 1)``.
    Witness: ``A = diag(4, 1)``, Bernoulli ``p = (1, 1/4)`` (``A_D = 4 I``, paper ``mu = 1``),
    ``v = x* = 0``, ``x_0 = (1, 1)``, ``T = 20``: ratio at most 1.
    """
    g = _T1(mast, **kw)
    if not mast.has_quadratic_form:
        return g
    v = g.values
    mu = _lambda_min_A_D(mast)
    if not mu > v["mu"]:
        return g
    floor = 2 * g.gamma * v["L_max"] * v["Delta"] / mu
    g = dataclasses.replace(g, values={**v, "mu": mu})
    return _geometric(g, 1.0 - g.gamma * mu, v["dist2_0"], floor)


def baseline_mu_exact(mast, **kw) -> Guarantee:
    """Baseline for a quadratic ``f`` with ``mu`` replaced by ``lambda_min(A_D)`` where larger.
    TRUE, so not a control.

    Proof: gradient descent on the quadratic ``f_D`` with Hessian ``A_D`` and ``gamma <= 1/L``
    (``L >= lambda_max(A_D)``) contracts each eigenmode ``lambda`` of ``x - x_D*`` by ``|1 -
    gamma lambda| = 1 - gamma lambda <= 1 - gamma lambda_min(A_D)``, so the value gap contracts
    by at least ``(1 - gamma lambda_min(A_D))^2 <= 1 - gamma lambda_min(A_D)`` per step.
    Witness: as for ``t1_mu_exact`` (``A_D = 4 I``, paper ``mu = 1``), ``T = 10``.
    """
    g = _BASELINE_GD(mast, **kw)
    if not mast.has_quadratic_form:
        return g
    v = g.values
    mu = _lambda_min_A_D(mast)
    if not mu > v["mu"]:
        return g
    g = dataclasses.replace(g, values={**v, "mu": mu})
    return _geometric(g, 1.0 - g.gamma * mu, v["delta_0"], 0.0)


_ROUND9 = (
    ("mu_D vs L_D (non-uniform law)", "theorem1", t1_mu_as_LD),
    ("tau = n - 1 (c_tau counted twice in C)", "theorem3", t3_tau_C_ctau_squared),
    ("refresh probability p far below 1/N", "theorem4", t4a_p_at_least_1_over_N),
    ("one rare large atom (L_S^max of an outlier)", "theorem4", t4a_L_without_outlier_atom),
    ("Delta = 0 read as interpolation (tau < n)", "theorem3", t3_tau_interpolation_by_shift),
    ("joint (permutation) law of the clients", "theorem5", t5_joint_law_no_neighbourhood),
    ("start gap of the best-started client", "theorem5", t5_delta0_best_client),
    ("convex f, growth factor at T = 1", "theorem2", t2_convex_no_growth),
    ("P6 bound of Delta for a law near the identity", "theorem2", t2_Delta_P6_squared),
    ("logistic, lam small (sigmoid curvature at 0)", "baseline", baseline_logistic_quarter),
)
#: Round nine's true probes (proofs in their docstrings).
_ROUND9_TRUE = (
    ("exact mu of f_D, non-uniform law (true probe)", "theorem1", t1_mu_exact),
    ("exact mu of f_D, non-uniform law (true probe)", "baseline", baseline_mu_exact),
)

_register(9, _ROUND9, _ROUND9_TRUE)
