"""The checks and negative controls of the baseline (``mastref.theorems.baseline``).

Checks and controls
    an ill-conditioned diagonal quadratic started on the flat mode (the bound approached while
    it has hardly decayed), and a well-conditioned one over two decades of the bound, where the
    tightness meets its proved ceiling ``(1 - gamma mu)^t`` (Lemma C2: GD's exact worst-case
    rate is ``(1 - gamma mu)^2`` per step for ``gamma <= 1/L``); four negative controls.
"""

from __future__ import annotations

import numpy as np

from ..mast import MAST
from ..problems import LogisticRegression
from ..sketches import Bernoulli, Identity, RandK
from ..theorems import baseline_gd
from ..theorems.claims import (
    Guarantee,
    geometric,
    geometric_parts,
    quietly,
)
from ..verify.instances import Instance, QuadraticFamily, default_family
from .base import (
    GD_DECAY,
    TheoremEntry,
    control_maker,
    deterministic_check,
    instance_check,
    stored,
)

# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def attained_instance(kappa: float = 1e4):
    """Argued worst case: ``A = Diag(1, 1/kappa)``, RandK(2, 1), ``x_0 - x_D*`` along the flat
    direction. For quadratics GD contracts the flat mode by ``(1 - gamma mu)^2`` per step, so
    ``measured/bound = (1 - gamma mu)^t``: at ``gamma mu = 1/kappa`` it stays above
    ``1 - t/kappa`` over the horizon (the bound is approached, not attained: the true rate on
    quadratics is ``(1 - gamma mu)^2``)."""

    A = np.diag([1.0, 1.0 / kappa])
    x_star = np.array([1.0, -1.0])
    v = np.array([0.5, 2.0])
    mast_x = v - np.linalg.solve(2 * A, A @ v - A @ x_star)  # x_D* = v - A_D^{-1} g_v, A_D = 2A
    return Instance(
        A=(A,),
        b=(A @ x_star,),
        sketch=RandK(2, 1),
        v=v,
        x0=mast_x + np.array([0.0, 1.0]),
        step_fraction=1.0,
    )


def well_conditioned_instance():
    """``A = Diag(1, 1/1.8)`` (``kappa = 1.8 < 2``), the identity law, ``v = x* = 0``, ``x_0 =
    (1, 1)``: gradient descent at ``1/L`` clears the top mode in one step and contracts the
    flat one by ``(1 - 1/1.8)^2 = 0.198`` against the bound's ``1 - 1/1.8 = 0.444``. The step
    limit ``1/L`` is what holds there: at ``3/(2L)`` the top mode's value contracts by
    ``(1 - 3/2)^2 = 1/4``, more than ``1 - 3/(2 kappa) = 0.167``; for ``kappa >= 2`` every mode
    would satisfy ``(1 - gamma lambda)^2 <= 1 - gamma mu`` at that step."""
    A = np.diag([1.0, 1.0 / 1.8])
    z = np.zeros(2)
    return Instance(A=(A,), b=(z,), sketch=Identity(2), v=z, x0=np.ones(2), step_fraction=1.0)


def far_start_instance():
    """``A = Diag(1, 0.1)``, Bernoulli(0.1), ``v = x* = 0``, ``x_0 = (0, 3)``, far from the shift:
    ``A_D = Diag(10, 1)`` (``E[s_j^2] = 1/p``), so ``delta_0 = f_D(x_0) - f_D^inf = 4.5`` while
    ``f(x_0) - f^inf = 0.45``; the measured ``4.5 (1 - gamma mu)^(2t)`` against the bound's
    ``4.5 (1 - gamma mu)^t``, ``gamma mu = 0.1``."""
    A = np.diag([1.0, 0.1])
    z = np.zeros(2)
    return Instance(
        A=(A,), b=(z,), sketch=Bernoulli(2, 0.1), v=z, x0=np.array([0.0, 3.0]), step_fraction=1.0
    )


def top_mode_instance():
    """``A = Diag(1, 1/4)``, Bernoulli(2, 1/2), ``v = x* = 0``, ``x_0 = e_1`` on the top mode:
    ``A_D = A * E[s s^T] = Diag(2, 1/2)``, so ``L = L_f L_D = 2`` and the step ``1/L`` clears
    the top mode in one step. A step limit built from ``L_f`` alone (1, twice as large) leaves
    it at ``|1 - 2| = 1`` per step, and a bound that contracts is violated (round eight's blind
    ``baseline_L_without_sketch``; the other checks start on the flat mode or have ``L_D =
    1``)."""
    A = np.diag([1.0, 0.25])
    z = np.zeros(2)
    return Instance(
        A=(A,), b=(z,), sketch=Bernoulli(2, 0.5), v=z, x0=np.array([1.0, 0.0]), step_fraction=1.0
    )


def logistic_far_start():
    """Logistic regression with ``X = Diag(1, 2)``, ``y = (1, 1)``, ``lam = 0.01``, the
    identity law, started at ``x* + 30 e_1``: far out the sigmoid is flat, so the curvature
    along ``e_1`` is about ``lam`` and the value gap contracts at about ``1 - gamma lam``, the
    stated ``1 - gamma mu``; a ``mu`` built from the sigmoid's curvature at 0 (``1/4``) is
    violated (round nine's blind ``baseline_logistic_quarter``; every other baseline check is
    quadratic)."""
    lr = LogisticRegression(np.diag([1.0, 2.0]), np.ones(2), lam=0.01)
    mast = MAST(lr, Identity(2))
    return mast, mast.argmin() + np.array([30.0, 0.0])


def _family(d: int = 2, step_fraction=(1, 1), laws=("randk", "bernoulli"), **kw):

    return QuadraticFamily(d=d, sketches=laws, step_fraction=step_fraction, **kw)


def _checks() -> tuple:

    return (
        instance_check(
            "baseline-approached",
            "Baseline GD",
            baseline_gd,
            attained_instance,
            floor=0.98,
            n_steps=(100, 200),
            description="ill-conditioned diagonal quadratic (kappa = 1e4), start on the flat mode",
        ),
        instance_check(
            "baseline-two-decades",
            "Baseline GD",
            baseline_gd,
            lambda: attained_instance(10.0),
            ceiling=GD_DECAY,
            floor=0.05,
            n_steps=(50, 50),
            description="kappa = 10, start on the flat mode, T = 50 (the bound falls 2.3 "
            "decades): measured/bound = (1 - gamma mu)^t, its proved ceiling (Lemma C2)",
        ),
        instance_check(
            "baseline-well-conditioned",
            "Baseline GD",
            baseline_gd,
            well_conditioned_instance,
            kind="application",
            n_steps=(30, 30),
            description="kappa = 1.8 < 2, identity law: where a step limit above 1/L would "
            "fail (the other checks have kappa = 10 and 1e4)",
        ),
        instance_check(
            "baseline-far-start",
            "Baseline GD",
            baseline_gd,
            far_start_instance,
            kind="application",
            n_steps=(50, 50),
            description="Bernoulli(0.1), x_0 far from the shift v: delta_0 = f_D(x_0) - "
            "f_D^inf = 4.5, ten times the ERM gap f(x_0) - f^inf",
        ),
        deterministic_check(
            "baseline-logistic-far-start",
            "Baseline GD",
            baseline_gd,
            logistic_far_start,
            n_steps=20,
            instance="logistic X = Diag(1, 2), y = (1, 1), lam = 0.01, identity law, "
            "x0 = x* + 30 e_1",
            description="logistic, started where the sigmoid is flat: the rate 1 - gamma lam, "
            "not the curvature 1/4 of the sigmoid at 0",
        ),
        instance_check(
            "baseline-top-mode",
            "Baseline GD",
            baseline_gd,
            top_mode_instance,
            kind="application",
            n_steps=(20, 20),
            description="Bernoulli(1/2), x_0 on the top mode of A_D = Diag(2, 1/2): the step "
            "limit 1/(L_f L_D), not 1/L_f",
        ),
    )


def _variant(name: str, *, limit_scale=1.0, mu_key="mu", rate_scale=1.0):
    """The baseline with its step limit scaled or its rate constant replaced (controls)."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, **_):
        base = quietly(baseline_gd, mast, x0=x0, n_steps=n_steps)
        c = base.values
        mu = mast.problem.mu * mast.sketch.L_D if mu_key == "mu_f L_D" else c[mu_key]
        gamma_max = limit_scale * base.gamma_max
        gam = gamma_max if gamma is None else gamma
        rate = 1.0 - rate_scale * gam * mu
        return Guarantee(
            name=name,
            quantity="value_gap",
            algorithm="gd_mast",
            gamma=gam,
            gamma_max=gamma_max,
            bound=geometric(rate, c["delta_0"], 0.0),
            parts=geometric_parts(rate, c["delta_0"], 0.0),
            rate=rate,
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:

    control = control_maker("Baseline GD", _variant, lambda: _family(), CONTROL_THETA, n_steps=20)

    return (
        control(
            "baseline-double-rate",
            "rate 1 - 2 gamma mu",
            family=_family(kappa=1e3),
            n_steps=200,
            rate_scale=2.0,
        ),
        control("baseline-double-step", "step limit 2/L", limit_scale=2.0),
        control(
            "baseline-L-for-mu",
            "rate 1 - gamma L",
            family=_family(step_fraction=(0.05, 0.9)),
            mu_key="L",
        ),
        control(
            "baseline-L_D-for-mu_D",
            "mu_f mu_D replaced by mu_f L_D",
            family=_family(laws=("bernoulli",), basis="aligned"),
            mu_key="mu_f L_D",
        ),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = stored("baseline")


def entry():
    """The baseline in the registry."""

    return TheoremEntry(
        name="baseline",
        statement=baseline_gd,
        reference="THEORY.md §5, Baseline (Algorithm 2)",
        min_tightness=0.9,
        terms=(("Baseline GD", "whole", ""),),
        checks=_checks(),
        controls=_controls(),
        search=lambda: (baseline_gd, default_family(kappa=1e4), 100, "late"),
    )
