"""The checks and negative controls of Theorem 3 (``mastref.theorems.general_oracle``).

Checks and controls
    strongly convex form attained with equality (isotropic RandK, ``v = x*``); the
    neighbourhood within ``1 - O(eps)`` under ``S = (1 +- eps) I``
    (``mastref.verify.instances.near_scalar``: there ``rho -> 1`` at the default step and the
    stationary gap ``(mu/2) E||x - x_D*||^2`` meets ``L C gamma^2 / (2 rho)``); tau-nice
    logistic applications; five negative controls.
"""

from __future__ import annotations

import numpy as np

from ..mast import MAST
from ..sketches import Partition
from ..theorems import theorem3
from ..theorems.claims import (
    Guarantee,
    InvalidGuarantee,
    geometric,
    geometric_parts,
    quietly,
)
from ..verify.checker import check
from ..verify.instances import QuadraticFamily, default_family, near_scalar, random_logistic
from .base import Check, TheoremEntry, control_maker, instance_check, stored
from .theorem1 import attained_instance

# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def theorem3_sc(mast, **kw) -> Guarantee:
    """Theorem 3, strongly convex form (``theorem3(..., strongly_convex=True)``)."""
    return theorem3(mast, strongly_convex=True, **kw)


def _family(d: int = 3, step_fraction=(1, 1), **kw):

    return QuadraticFamily(
        d=d, sketches=("randk", "bernoulli", "partition"), step_fraction=step_fraction, **kw
    )


def _application(strongly_convex: bool):
    """Logistic regression (n = 200, d = 6), Partition(3), tau = 8: Monte Carlo."""

    def run(quick: bool, data=None):

        lr = random_logistic(rng=3)
        mast = MAST(lr, Partition(6, 3, rng=0), shift=0.5 * lr.argmin())
        x0 = np.zeros(6)
        R = 200 if quick else 1000
        instance = "logistic n=200 d=6, Partition(3), tau=8"
        if strongly_convex:
            T = 500 if quick else 3000
            g = theorem3(mast, x0=x0, batch_size=8, strongly_convex=True)
            return check(
                g,
                mast,
                n_steps=T,
                method="monte_carlo",
                n_runs=R,
                rng=3,
                name="theorem3-sc-logistic-tau8",
                instance=instance,
                record={"geometric": 25},
            )
        T = 200 if quick else 1000
        g = theorem3(mast, x0=x0, n_steps=T, batch_size=8)
        return check(
            g,
            mast,
            n_steps=T,
            method="monte_carlo",
            n_runs=R,
            rng=4,
            name="theorem3-nonconvex-logistic-tau8",
            instance=instance,
            record={"record_every": 1},
        )

    return run


def _checks() -> tuple:

    return (
        instance_check(
            "theorem3-sc-attained",
            "Theorem 3 (strongly convex)",
            theorem3_sc,
            attained_instance,
            part="transient",
            floor=0.99,
            n_steps=(100, 100),
            description="isotropic quadratic, RandK(4, 1), v = x*: rho = 1/c, equality",
        ),
        instance_check(
            "theorem3-sc-neighbourhood",
            "Theorem 3 (strongly convex)",
            theorem3_sc,
            near_scalar,
            part="neighbourhood",
            floor=0.95,
            n_steps=(300, 300),
            description="S = (1 +- 0.01) I: L C gamma^2/(2 rho) attained up to 1 - O(eps)",
        ),
        Check(
            name="theorem3-sc-logistic-tau8",
            theorem="Theorem 3 (strongly convex)",
            run=_application(True),
            kind="application",
            method="Monte Carlo",
            description="tau-nice ABC constants on logistic data, Monte Carlo",
        ),
        Check(
            name="theorem3-nonconvex-logistic-tau8",
            theorem="Theorem 3",
            run=_application(False),
            kind="application",
            method="Monte Carlo",
            description="tau-nice ABC constants on logistic data, Monte Carlo",
        ),
    )


def _variant(
    name: str, *, rate_power=1.0, rho_scale=1.0, floor_scale=1.0, A_scale=1.0, quad_term=1.0
):
    """Theorem 3 (strongly convex, exact oracle) with a part changed (controls)."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, **_):
        base = quietly(theorem3, mast, x0=x0, n_steps=n_steps, strongly_convex=True)
        c = base.values
        L, mu, A, C = c["L"], c["mu"], A_scale * c["A"], c["C"]
        gam = mu / (L * A) if gamma is None else gamma
        rho = rho_scale * (2 * gam * mu - quad_term * L * A * gam**2)
        if not 0 < rho <= 1:
            raise InvalidGuarantee(f"{name}: rho = {rho:.4g} outside (0, 1]")
        rate = (1.0 - rho) ** rate_power
        floor = floor_scale * L * C * gam**2 / (2 * rho)
        return Guarantee(
            name=name,
            quantity="value_gap",
            gamma=gam,
            gamma_max=2 * mu / (L * A),
            bound=geometric(rate, c["delta_0"], floor),
            parts=geometric_parts(rate, c["delta_0"], floor),
            floor=floor,
            rate=rate,
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:

    control = control_maker(
        "Theorem 3 (strongly convex)",
        _variant,
        lambda: _family(2, step_fraction=(0.05, 1.0)),
        CONTROL_THETA,
        n_steps=50,
    )

    return (
        control("theorem3-squared-contraction", "rate (1 - rho)^2", rate_power=2.0),
        control("theorem3-double-rho", "rho doubled", rho_scale=2.0),
        control(
            "theorem3-no-neighbourhood",
            "neighbourhood L C gamma^2/(2 rho) dropped",
            floor_scale=0.0,
        ),
        control(
            "theorem3-no-curvature-term",
            "rho = 2 gamma mu (the - L A gamma^2 term dropped)",
            quad_term=0.0,
        ),
        control("theorem3-half-A", "ABC constant A halved", A_scale=0.5),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = stored("theorem3")


def entry():
    """Theorem 3 in the registry."""

    return TheoremEntry(
        name="theorem3",
        statement=theorem3,
        reference="THEORY.md §5, Theorem 3",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem3_sc, default_family(), 100, "late"),
    )
