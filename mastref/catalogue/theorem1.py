"""The checks and negative controls of Theorem 1 (``mastref.theorems.strongly_convex``).

Checks and controls
    attained with equality on an isotropic quadratic with RandK and ``v = x*``; the
    neighbourhood within ``1 - O(eps)`` under ``S = (1 +- eps) I``
    (``mastref.verify.instances.near_scalar``: P8 is tight there and ``L_max/mu -> 1``);
    logistic applications; §7 predictions; seven negative controls.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from .._validation import DivergenceWarning
from ..data import load_a5a, synthetic_a5a_like
from ..exact import expected_dsgd
from ..mast import MAST
from ..problems import LogisticRegression, Quadratic
from ..sketches import Bernoulli, Identity, Partition, Projection, RandK
from ..theorems import theorem1
from ..theorems.claims import (
    Guarantee,
    geometric,
    geometric_parts,
    quietly,
)
from ..verify.checker import check
from ..verify.instances import (
    Instance,
    QuadraticFamily,
    default_family,
    isotropic,
    near_scalar,
    random_quadratic,
)
from ..verify.result import RESOLUTION, CheckResult, verdict
from .base import (
    DROPPED_TERM,
    Check,
    Control,
    TheoremEntry,
    at_step,
    control_maker,
    deterministic_check,
    instance_check,
    rebound,
    stored,
)

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

    return isotropic(d, RandK(d, k), rng=0)


def _family(d: int = 3, step_fraction=(1, 1), **kw):

    return QuadraticFamily(d=d, sketches=_LAWS, step_fraction=step_fraction, **kw)


def _logistic(source: str):
    """Application: logistic regression with a fixed Partition(4), v = 0 (Monte Carlo)."""

    def run(quick: bool, data=None):

        if source == "a5a":
            X, y = load_a5a(Path(data) / "a5a" if (Path(data) / "a5a").is_dir() else data)
            lr = LogisticRegression(X, y, 1e-3)
            R, T = (20 if quick else 100), (200 if quick else 1000)
            inst = f"a5a (n={lr.n_samples}, d=123, lam=1e-3), Partition(4), v = 0"
        else:
            X, y = synthetic_a5a_like(400, 20, 5, rng=9)
            lr = LogisticRegression(X, y, 1e-2)
            R, T = (200 if quick else 400), (300 if quick else 1500)  # lean: an application
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

    q = random_quadratic(rng=11)
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

    q = random_quadratic(rng=13)
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


#: Step fraction -> horizon of the step-axis checks: ``gamma mu T`` of about 300 and 30, so the
#: bound sits on its neighbourhood (the start ``x_0 = x_D* + 3 u`` is forgotten by ``T/3``).
_STEPS = {0.1: 3000, 0.01: 3000}


def _step_checks() -> tuple:
    """The neighbourhood at ``0.1`` and ``0.01 gamma_max`` on ``near_scalar(0.01)``.

    Ceiling (Lemma C1 of ``docs/theory/theorems.rst``, ``base.DROPPED_TERM``; for any
    instance): keeping the term ``-2 gamma (1 - gamma L_max)(f_D - f_D^inf)`` the proof drops,
    with ``f_D - f_D^inf >= mu/2 ||x - x_D*||^2``, the distance contracts by
    ``1 - gamma mu (2 - gamma L_max)`` and its stationary value is at most
    ``1/(2 - gamma L_max)`` of the neighbourhood. On ``near_scalar`` it is nearly met: per
    coordinate DSGD is the scalar recursion of ``near_scalar``, whose
    stationary ``E e^2 = gamma^2 sigma*^2 / (2 gamma E s^2 - gamma^2 E s^4)``; with
    ``sigma*^2 -> 2 L_max Delta`` and ``E s^2, E s^4 -> 1`` as ``eps -> 0`` its ratio to the
    neighbourhood ``2 gamma L_max Delta / mu`` is ``1 / (2 - gamma L_max)``: 1 at
    ``gamma_max`` and 1/2 as ``gamma -> 0`` (the factor 2 of the stated neighbourhood is
    attained only at the largest step). Measured: 0.515 at 0.1, 0.492 at 0.01 (the
    ``1 - O(eps)`` of ``eps = 0.01``); promised 0.45.
    """
    return tuple(
        instance_check(
            f"theorem1-neighbourhood-step{fraction:g}",
            "Theorem 1",
            theorem1,
            at_step(near_scalar, fraction),
            part="neighbourhood",
            ceiling=DROPPED_TERM,
            floor=0.45,
            n_steps=(T, T),
            description=f"S = (1 +- 0.01) I at {fraction:g} gamma_max: the neighbourhood, "
            "up to its proved ceiling 1/(2 - gamma L_max) (Lemma C1)",
        )
        for fraction, T in _STEPS.items()
    )


def floor_step_squared(mast, **kw) -> Guarantee:
    """Control (step axis): Theorem 1 with the neighbourhood times ``gamma / gamma_max``
    (equal at ``gamma_max``, quadratic in ``gamma`` below it)."""
    g = quietly(theorem1, mast, **kw)
    return rebound(g, floor=g.floor * min(1.0, g.gamma / g.gamma_max))


def rate_sqrt(mast, **kw) -> Guarantee:
    """Control (step axis): Theorem 1 with the rate ``1 - mu sqrt(gamma gamma_max)`` (equal at
    ``gamma_max``, faster below it)."""
    g = quietly(theorem1, mast, **kw)
    return rebound(g, floor=g.floor, rate=1.0 - g.values["mu"] * (g.gamma * g.gamma_max) ** 0.5)


def flat_mode_instance() -> Instance:
    """``f = 1/2 x^T Diag(1, 0.1) x`` (``kappa = 10``), the identity law (``Delta = 0``: DSGD is
    gradient descent), ``v = x* = 0``, ``x_0 = (0, 3)`` on the flat mode: at ``gamma = 1/L`` the
    error contracts by ``(1 - gamma mu)^2 = 0.81`` per step, the bound by ``1 - gamma mu = 0.9``.
    A faster rate (``gamma sqrt(mu L)``, say) is violated here; no check before measured an
    ill-conditioned ``f_D`` late on its flat mode (round seven's blind ``t1_rate_accelerated``
    passed the catalogue, verification/AXIS_POWER.md)."""
    A = np.diag([1.0, 0.1])
    z = np.zeros(2)
    x0 = np.array([0.0, 3.0])
    return Instance(A=(A,), b=(z,), sketch=Identity(2), v=z, x0=x0, step_fraction=1.0)


def _dense_law_check() -> Check:
    """Theorem 1 with a dense (non-diagonal) law, by Monte Carlo: ``Projection(4, 2)`` (``S =
    2 P``, ``P`` a uniformly random rank-2 orthogonal projection: ``L_S^max = 4`` in every draw,
    ``L_D = 2``) on ``f = x^T diag(1, 1, 1, 0.5) x/2``, ``v = x* = 0``, ``x_0 = e_1``. For a
    diagonal law ``L_S^max`` and ``L_D`` coincide on the uniform laws; here a step limit built
    from ``L_D`` (twice the stated step) is violated at once. No Theorem 1 check used a dense
    law before (round eight's blind ``t1_dense_LS_as_LD`` passed every route,
    verification/AXIS_POWER.md)."""

    def run(quick: bool, data=None) -> CheckResult:
        A = np.diag([1.0, 1.0, 1.0, 0.5])
        mast = MAST(Quadratic(A, np.zeros(4)), Projection(4, 2))
        x0 = np.eye(4)[0]
        return check(
            theorem1,
            mast,
            x0=x0,
            n_steps=20,
            method="monte_carlo",
            n_runs=200 if quick else 1000,
            rng=20261208,
            name="theorem1-dense-law",
            instance="f = x^T diag(1, 1, 1, 0.5) x/2, Projection(4, 2), v = x* = 0, x0 = e_1",
        )

    return Check(
        name="theorem1-dense-law",
        theorem="Theorem 1",
        run=run,
        kind="application",
        method="Monte Carlo",
        description="a dense law, Projection(4, 2): L_S^max = 4 where L_D = 2, Monte Carlo",
    )


def _logistic_far_start():
    """Logistic regression with ``n = d = 1`` (``a = y = 1``), ``lam = 0.01``, the identity law,
    ``x_0 = x* + 30``: far from ``x*`` the curvature of ``f`` is about ``lam`` (the sigmoid is
    flat), so the error contracts at about ``1 - gamma lam``, the stated ``1 - gamma mu``; a
    rate built from the curvature at the optimum (0.21, not 0.01) is violated (round eight's
    blind ``t1_mu_local_curvature``; no check had a non-quadratic ``f`` started far away)."""
    lr = LogisticRegression(np.ones((1, 1)), np.ones(1), lam=0.01)
    mast = MAST(lr, Identity(1))
    return mast, mast.argmin() + 30.0


def nonuniform_bernoulli_instance():
    """Isotropic quadratic, Bernoulli with ``p = (0.1, 1)``, ``v = x*``: ``L_S^max = 100``
    while ``L_D mu_D = 10`` (they agree for uniform laws)."""
    return isotropic(2, Bernoulli(2, np.array([0.1, 1.0])), rng=0)


def LS_max_as_LD_muD(mast, *, gamma=None, **kw) -> Guarantee:
    """Control (law axis): ``L_S^max`` replaced by ``L_D mu_D`` (step limit, neighbourhood)."""
    law = mast.sketch
    g0 = quietly(theorem1, mast, **kw)
    L_max = g0.values["L_max"] * law.L_D * law.mu_D / law.L_S_max
    gam = 1.0 / L_max if gamma is None else gamma
    g = quietly(theorem1, mast, gamma=gam, **kw)
    v = g.values
    return rebound(
        replace(g, gamma_max=1.0 / L_max),
        floor=2 * gam * L_max * v["Delta"] / v["mu"],
        rate=1 - gam * v["mu"],
        values={"L_max": L_max},
    )


def _checks() -> tuple:

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
        *_step_checks(),
        instance_check(
            "theorem1-flat-mode",
            "Theorem 1",
            theorem1,
            flat_mode_instance,
            kind="application",
            n_steps=(50, 50),
            description="kappa = 10, identity law, v = x*, x_0 - x* on the flat mode: the "
            "measured (1 - gamma mu)^(2t) against the bound's (1 - gamma mu)^t (late 0.9^25)",
        ),
        _dense_law_check(),
        deterministic_check(
            "theorem1-logistic-far-start",
            "Theorem 1",
            theorem1,
            _logistic_far_start,
            n_steps=20,
            instance="logistic n = d = 1, lam = 0.01, identity law, x0 = x* + 30",
            description="logistic, started where f is nearly flat: the rate is 1 - gamma lam "
            "there, not the curvature at the optimum (0.605 at T = 20)",
        ),
        instance_check(
            "theorem1-nonuniform-bernoulli",
            "Theorem 1",
            theorem1,
            nonuniform_bernoulli_instance,
            kind="application",
            n_steps=(100, 100),
            description="isotropic, Bernoulli p = (0.1, 1), v = x*: L_S^max = 100 (0.91 early)",
        ),
        Check(
            name="theorem1-logistic-synthetic",
            theorem="Theorem 1",
            run=_logistic("synthetic"),
            kind="application",
            method="Monte Carlo",
            description="synthetic a5a-like data, Partition(4), v = 0, Monte Carlo",
        ),
        Check(
            name="theorem1-logistic-a5a",
            theorem="Theorem 1",
            run=_logistic("a5a"),
            kind="application",
            method="Monte Carlo",
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
        *(
            step_control(name, claim, change)
            for name, claim, change in (
                (
                    "theorem1-floor-step-squared",
                    floor_step_squared,
                    "neighbourhood times gamma/gamma_max (wrong only below gamma_max)",
                ),
                (
                    "theorem1-LS_max-as-LD-muD",
                    LS_max_as_LD_muD,
                    "L_S^max replaced by L_D mu_D (wrong only for non-uniform laws)",
                ),
                (
                    "theorem1-rate-sqrt",
                    rate_sqrt,
                    "rate 1 - mu sqrt(gamma gamma_max) (wrong only below gamma_max)",
                ),
            )
        ),
    )


def step_control(name: str, claim, change: str, fraction: float = 0.01) -> Control:
    """A control of Theorem 1 held against ``theorem1-neighbourhood-step0.01`` (the law-axis
    one against ``theorem1-nonuniform-bernoulli``)."""
    if "LD" in name:
        return Control(
            name=name,
            theorem="Theorem 1",
            claim=claim,
            change=change,
            family=_family(2),
            killed_by="theorem1-nonuniform-bernoulli",
        )
    return Control(
        name=name,
        theorem="Theorem 1",
        claim=claim,
        change=change,
        family=_family(2, step_fraction=(0.01, 1.0)),
        instance=at_step(near_scalar, fraction),
        n_steps=_STEPS[fraction],
        killed_by=f"theorem1-neighbourhood-step{fraction:g}",
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = stored("theorem1")


def entry():
    """Theorem 1 in the registry."""

    return TheoremEntry(
        name="theorem1",
        statement=theorem1,
        reference="THEORY.md §5, Theorem 1",
        min_tightness=0.9,
        terms=tuple(("Theorem 1", p, "") for p in ("transient", "neighbourhood")),
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem1, default_family(), 100, "late"),
    )
