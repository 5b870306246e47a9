"""Theorem 1: strongly convex DSGD (Algorithm 1-I).

Statement
    ``E||x_T - x_D*||^2 <= (1 - gamma mu)^T ||x_0 - x_D*||^2 + 2 gamma L_max Delta / mu``.
Conditions
    ``f`` ``L_f``-smooth and bounded below; ``f_D`` ``mu``-strongly convex (``mu = mu_f mu_D``,
    or ``lambda_min(A_D)`` with exact constants); ``L_S_max < inf``.
Step-size limit
    ``gamma <= 1/L_max``, ``L_max = L_f L_S_max`` (default: the limit).
Bound
    parts: transient ``(1 - gamma mu)^T r_0`` and neighbourhood ``2 gamma L_max Delta / mu``
    (zero under interpolation).
Reference
    THEORY.md §5, Theorem 1 (the paper's strongly convex theorem for Algorithm 1; its number in
    the paper is not reproduced in THEORY.md).
Checks and controls
    attained with equality on an isotropic quadratic with RandK and ``v = x*``; the
    neighbourhood within ``1 - O(eps)`` under ``S = (1 +- eps) I``
    (``mastref.verify.instances.near_scalar``: P8 is tight there and ``L_max/mu -> 1``);
    logistic applications; §7 predictions; seven negative controls.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._validation import DivergenceWarning
from .claims import (
    Guarantee,
    check_constants,
    finish,
    gamma_condition,
    geometric,
    geometric_parts,
    mast_constants,
    quietly,
    start,
    step,
)


def theorem1(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 1 (THEORY.md §5): strongly convex DSGD, ``gamma <= 1/L_max``.

    ``E||x_T - x_D*||^2 <= (1 - gamma mu)^T ||x_0 - x_D*||^2 + 2 gamma L_max Delta / mu``.

    Parameters
    ----------
    mast : MAST
        The objective.
    gamma : float, optional
        The step (default ``1/L_max``, the largest admitted).
    x0 : array_like, optional
        The start (default the shift ``v``).
    n_steps : int, optional
        Recorded as the horizon; the bound holds for every ``T``.
    constants : {"paper", "exact"}
        ``L_f L_S_max`` and ``mu_f mu_D``, or (quadratics) ``max_S lambda_max(S^T A S)`` and
        ``lambda_min(A_D)``.
    strict : bool
        Raise ``InvalidGuarantee`` when a condition fails (else warn and mark it invalid).

    Returns
    -------
    Guarantee
        ``quantity="dist2"``, ``rate = 1 - gamma mu``, ``floor = 2 gamma L_max Delta / mu``.

    Raises
    ------
    InvalidGuarantee
        ``gamma > 1/L_max``, ``mu = 0`` or ``L_S_max = inf`` (with ``strict``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> g = mr.theorem1(mr.MAST(f, mr.Bernoulli(0.5, 2), shift=np.ones(2)), x0=np.zeros(2))
    >>> g.gamma, g.rate, g.floor, float(g.bound(0))
    (0.125, 0.75, 0.75, 1.25)
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    gamma_max = 1.0 / c["L_max"] if math.isfinite(c["L_max"]) else 0.0
    gamma = step(gamma, gamma_max)
    conditions = {"L_S_max < inf": math.isfinite(c["L_max"]), "f_D strongly convex": c["mu"] > 0}
    details = {
        "L_S_max < inf": f"L_S_max = {mast.sketch.L_S_max}",
        "f_D strongly convex": f"mu = {c['mu']:.6g}",
    }
    gamma_condition(conditions, details, gamma, gamma_max)
    r0 = float(np.sum((x0 - mast.argmin()) ** 2))
    mu = c["mu"]
    rate = 1.0 - gamma * mu
    floor = 2 * gamma * c["L_max"] * c["Delta"] / mu if mu > 0 else math.inf
    g = Guarantee(
        name="Theorem 1",
        reference="THEORY.md §5, Theorem 1",
        quantity="dist2",
        algorithm="dsgd",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(rate, r0, floor),
        parts=geometric_parts(rate, r0, floor),
        floor=floor,
        rate=rate,
        constants=constants,
        conditions=conditions,
        details=details,
        values={**c, "dist2_0": r0},
        notes=notes,
        x0=x0,
        n_steps=n_steps,
    )
    return finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Instances and checks
# ------------------------------------------------------------------------------------------------

_LAWS = ("randk", "bernoulli", "partition")


def attained_instance(d: int = 4, k: int = 1):
    """Argued worst case: ``f = 1/2 ||x - x*||^2``, RandK(d, k), ``v = x*`` (``Delta = 0``).

    With ``c = d/k``: ``mu = c``, ``L_max = c^2``, and at ``gamma = 1/L_max`` every coordinate
    contracts in mean square by ``E(1 - gamma s^2)^2 = 1 - 2/c + 1/c = 1 - gamma mu``: the bound
    holds with equality at every step.
    """
    from ..sketches import RandK
    from ..verify.instances import isotropic

    return isotropic(d, RandK(d, k))


def _family(d: int = 3, step=(1, 1), **kw):
    from ..verify.instances import QuadraticFamily

    return QuadraticFamily(d=d, laws=_LAWS, step=step, **kw)


def _logistic(source: str):
    """Application: logistic regression with a fixed Partition(4), v = 0 (Monte Carlo)."""

    def run(quick: bool, data=None):
        from pathlib import Path

        from ..mast import MAST
        from ..problems import LogisticRegression
        from ..sketches import Partition
        from ..verify.check import check

        if source == "a5a":
            from ..data import load_libsvm

            X, y = load_libsvm(Path(data) / "a5a" if Path(data).is_dir() else data, n_features=123)
            lr = LogisticRegression(X, y, 1e-3)
            R, T = (20 if quick else 100), (200 if quick else 1000)
            inst = f"a5a (n={lr.n_samples}, d=123, lam=1e-3), Partition(4), v = 0"
        else:
            from ..data import synthetic_a5a_like

            X, y = synthetic_a5a_like(400, 20, 5, rng=9)
            lr = LogisticRegression(X, y, 1e-2)
            R, T = (200 if quick else 1000), (300 if quick else 2000)
            inst = "synthetic a5a-like (n=400, d=20, lam=1e-2), Partition(4), v = 0"
        mast = MAST(lr, Partition(lr.n_features, 4, rng=0))
        g = theorem1(mast, x0=np.zeros(lr.n_features))
        return check(
            g,
            mast,
            n_steps=T,
            method="monte_carlo",
            n_runs=R,
            rng=10,
            name=f"theorem1-logistic-{source}",
            instance=inst,
            notes=(f"Delta = {mast.gap:.4g}",),
            record={"geometric": 20},
        )

    return run


def _sparsity(quick: bool, data=None):
    """§7: the contraction factor of E||x_t - x*||^2 under interpolation grows as K falls."""
    from ..exact import expected_dsgd
    from ..mast import MAST
    from ..sketches import RandK
    from ..verify.instances import random_quadratic
    from ..verify.result import RESOLUTION, CheckResult, verdict

    q = random_quadratic(11)
    Ks = np.array([8, 4, 2, 1])
    T = 200 if quick else 1000
    measured, predicted = [], []
    for K in Ks:
        mast = MAST(q, RandK(8, int(K)), shift=q.argmin())
        g = theorem1(mast, x0=np.zeros(8))
        e = expected_dsgd(mast, np.zeros(8), g.gamma, T)
        above = np.flatnonzero(e.dist2 > RESOLUTION * e.dist2[0])[-1]  # before round-off
        measured.append((e.dist2[above] / e.dist2[0]) ** (1.0 / above))
        predicted.append(g.rate)
    measured, predicted = np.array(measured), np.array(predicted)
    v = verdict(measured, measured, predicted)
    slows = bool(np.all(np.diff(measured) > 0))
    notes = (
        f"measured factors {np.round(measured, 6).tolist()} for K = {Ks.tolist()}",
        "slows down as K decreases" if slows else "NO monotone slowdown",
    )
    return CheckResult(
        name="sparsity-slowdown",
        theorem="Theorem 1",
        instance="quadratic d=8, RandK(K), v = x*",
        quantity="contraction factor",
        method="exact (§6 recursion)",
        gamma_ratio=1.0,
        steps=Ks,
        measured=measured,
        lower=measured,
        upper=measured,
        bound=predicted,
        verdict="inconclusive" if not slows and v == "holds" else v,
        notes=notes,
        xlabel="K (coordinates kept of 8)",
        relation="upper bound on the per-step contraction",
        neighbourhood=0.0,  # a claim on the rate, with v = x* (Delta = 0): no neighbourhood
        law="RandK(d=8, k=K)",
        algorithm="dsgd",
    )


def _stepsize_sweep(quick: bool, data=None):
    """§7: beyond gamma_max the guarantee ends, and DSGD diverges."""
    from ..exact import expected_dsgd
    from ..mast import MAST
    from ..sketches import RandK
    from ..verify.instances import random_quadratic
    from ..verify.result import CheckResult, verdict

    q = random_quadratic(13)
    mast = MAST(q, RandK(8, 2), shift=np.random.default_rng(1013).standard_normal(8))
    x0 = np.zeros(8)
    g = theorem1(mast, x0=x0)
    ratios = 2.0 ** np.arange(-3, 4)
    T = 200 if quick else 1000
    measured, bound, neighbourhood = [], [], []
    for rho in ratios:
        gamma = rho * g.gamma_max
        with warnings.catch_warnings():  # beyond gamma_max divergence is the point of the sweep
            warnings.simplefilter("ignore", DivergenceWarning)
            e = expected_dsgd(mast, x0, gamma, T)
        measured.append(e.dist2[-1] if e.stopped_at is None else np.inf)
        g_rho = theorem1(mast, x0=x0, gamma=gamma) if rho <= 1 else None
        bound.append(g_rho.bound(T) if g_rho is not None else np.inf)
        neighbourhood.append(g_rho.floor if g_rho is not None else np.nan)
    measured, bound = np.array(measured), np.array(bound)
    diverged = ratios[~(measured < np.sum((x0 - mast.argmin()) ** 2))]
    notes = (
        "guarantee ends at gamma/gamma_max = 1 (no bound beyond)",
        f"diverges (E||x_T - x*||^2 > ||x_0 - x*||^2) from gamma/gamma_max = {diverged.min():g}"
        if diverged.size
        else "no divergence up to 8 gamma_max",
    )
    return CheckResult(
        name="stepsize-sweep",
        theorem="Theorem 1",
        instance="quadratic d=8, RandK(2), random v",
        quantity="dist2 at T",
        method="exact (§6 recursion)",
        gamma_ratio=float("nan"),
        steps=ratios,
        measured=measured,
        lower=measured,
        upper=measured,
        bound=bound,
        verdict=verdict(measured, measured, bound),
        notes=notes,
        xlabel="gamma / gamma_max",
        neighbourhood=np.array(neighbourhood),
        law=repr(mast.sketch),
        algorithm="dsgd",
    )


def _checks() -> tuple:
    from ..verify.check import instance_check
    from ..verify.instances import near_scalar
    from .claims import Check

    return (
        instance_check(
            "theorem1-attained",
            "Theorem 1",
            theorem1,
            attained_instance,
            part="transient",
            floor=0.99,
            n_steps=(100, 100),
            description="isotropic quadratic, RandK(4, 1), v = x*: equality at every step",
        ),
        instance_check(
            "theorem1-neighbourhood",
            "Theorem 1",
            theorem1,
            near_scalar,
            part="neighbourhood",
            floor=0.95,
            n_steps=(300, 300),
            description="S = (1 +- 0.01) I on ||x - x*||^2/2: the neighbourhood, up to 1 - O(eps)",
        ),
        Check(
            name="theorem1-logistic-synthetic",
            theorem="Theorem 1",
            run=_logistic("synthetic"),
            kind="application",
            description="synthetic a5a-like data, Partition(4), v = 0, Monte Carlo",
        ),
        Check(
            name="theorem1-logistic-a5a",
            theorem="Theorem 1",
            run=_logistic("a5a"),
            kind="application",
            needs_data=True,
            description="LIBSVM a5a, Partition(4), v = 0, Monte Carlo (with --data)",
        ),
        Check(
            name="sparsity-slowdown",
            theorem="Theorem 1",
            run=_sparsity,
            kind="prediction",
            description="the contraction factor grows as RandK keeps fewer coordinates",
        ),
        Check(
            name="stepsize-sweep",
            theorem="Theorem 1",
            run=_stepsize_sweep,
            kind="prediction",
            description="from gamma_max/8 to 8 gamma_max: the guarantee ends, DSGD diverges",
        ),
    )


# ------------------------------------------------------------------------------------------------
# Negative controls: statements stronger than Theorem 1, each of which must come out violated
# ------------------------------------------------------------------------------------------------


def _variant(name: str, *, rate=None, floor=None, limit=None):
    """Theorem 1 with its rate, floor or step limit replaced (functions of gamma and the
    constants ``c``); valid wherever the changed step limit allows."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, **_):
        base = quietly(theorem1, mast, x0=x0, n_steps=n_steps)
        c = base.values
        gamma_max = limit(c) if limit else base.gamma_max
        gam = gamma_max if gamma is None else gamma
        rt = rate(gam, c) if rate else 1.0 - gam * c["mu"]
        fl = floor(gam, c) if floor else 2 * gam * c["L_max"] * c["Delta"] / c["mu"]
        return Guarantee(
            name=name,
            quantity="dist2",
            gamma=gam,
            gamma_max=gamma_max,
            bound=geometric(rt, c["dist2_0"], fl),
            parts=geometric_parts(rt, c["dist2_0"], fl),
            floor=fl,
            rate=rt,
            conditions={"gamma <= gamma_max": gam <= gamma_max * (1 + 1e-12)},
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:
    from ..verify.instances import near_scalar
    from .claims import Control, control_maker

    control = control_maker("Theorem 1", _variant, lambda: _family(2), CONTROL_THETA, n_steps=50)

    return (
        control(
            "theorem1-squared-contraction",
            "rate (1 - gamma mu)^2",
            rate=lambda g, c: (1 - g * c["mu"]) ** 2,
        ),
        control(
            "theorem1-double-rate",
            "rate 1 - 2 gamma mu",
            rate=lambda g, c: 1 - 2 * g * c["mu"],
        ),
        control(
            "theorem1-no-neighbourhood",
            "neighbourhood dropped",
            floor=lambda g, c: 0.0,
        ),
        Control(
            name="theorem1-half-neighbourhood",
            theorem="Theorem 1",
            claim=_variant(
                "theorem1-half-neighbourhood",
                floor=lambda g, c: g * c["L_max"] * c["Delta"] / c["mu"],
            ),
            change="neighbourhood halved",
            family=_family(2),
            instance=near_scalar,
            n_steps=300,
            window="late",
        ),
        control(
            "theorem1-double-step",
            "step limit 2/L_max",
            limit=lambda c: 2.0 / c["L_max"],
        ),
        control(
            "theorem1-L_D-for-L_S_max",
            "L_S_max replaced by L_D (step limit and neighbourhood)",
            limit=lambda c: 1.0 / c["L"],
            floor=lambda g, c: 2 * g * c["L"] * c["Delta"] / c["mu"],
        ),
        control(
            "theorem1-L-for-mu",
            "rate 1 - gamma L (L = L_f L_D in place of mu)",
            rate=lambda g, c: 1 - g * c["L"],
        ),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = {
    "theorem1-L-for-mu": (
        1.319941251313074,
        0.9359989175503247,
        0.0652375630632428,
        -1.797426966627678,
        -1.7784120181075327,
        -1.2238162865272129,
        -2.124481351243144,
        -1.245077408027015,
        -2.1088375003280095,
        -2.9238445794157,
        -0.5987251156917877,
    ),
    "theorem1-L_D-for-L_S_max": (
        1.7030318314765829,
        0.32129473535155095,
        0.00025146331097625836,
        -0.06351710686911399,
        -1.5866652111112574,
        -0.002747473900727689,
        -0.003922255312141019,
        2.0740883185478065,
        -2.113116694529743,
        0.5654797674541872,
        -0.641957685989285,
    ),
    "theorem1-double-rate": (
        0.06396269620890199,
        0.5670891434463653,
        0.9876860817556374,
        -0.7044083646997976,
        -1.2148125865109591,
        2.8117090981410184,
        2.4726230069367663,
        0.9157352343037211,
        -0.9710288264913909,
        0.7020436854795462,
        2.9030723263688465,
    ),
    "theorem1-double-step": (
        0.5470257623710695,
        0.951817576113337,
        0.6464511434891558,
        -0.5552611834560418,
        -3.0151775230901117,
        1.3593916834464341,
        2.09459484752892,
        -0.6279344167322216,
        1.9353334765055812,
        2.4653446677770594,
        2.0101967715652957,
    ),
    "theorem1-no-neighbourhood": (
        1.7089954610129354,
        0.6789750668235615,
        0.6252061119371679,
        -0.22954677108559152,
        -0.6499663058472944,
        1.8384620099021278,
        2.7383439067717585,
        -2.6873791809598933,
        -1.8610132019647767,
        -1.4876847237070066,
        0.9449717735845082,
    ),
    "theorem1-squared-contraction": (
        2.8649528958539268,
        0.6367123512751725,
        0.6513642092006866,
        -0.19585824325375611,
        2.2939742763501982,
        -1.0717006212392963,
        1.4374301238017928,
        -1.3765467004642318,
        2.1711044246209443,
        -2.4567733835681302,
        -3.0,
    ),
}


def entry():
    """Theorem 1 in the registry."""
    from .claims import TheoremEntry

    return TheoremEntry(
        name="theorem1",
        statement=theorem1,
        reference="THEORY.md §5, Theorem 1",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem1, _family(3), 100, "late"),
    )
