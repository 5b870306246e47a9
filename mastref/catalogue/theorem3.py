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
from ..verify.instances import QuadraticFamily, near_scalar, random_logistic
from .base import (
    Check,
    Control,
    TheoremEntry,
    at_step,
    control_maker,
    instance_check,
    rebound,
    stored,
)
from .theorem1 import attained_instance
from .theorem2 import stationary_instance

# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def theorem3_sc(mast, **kw) -> Guarantee:
    """Theorem 3, strongly convex form (``theorem3(..., strongly_convex=True)``)."""
    return theorem3(mast, strongly_convex=True, **kw)


def _family(d: int = 3, step_fraction=(1, 1), **kw):

    return QuadraticFamily(
        d=d, laws=("randk", "bernoulli", "partition"), step_fraction=step_fraction, **kw
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


#: Step fraction (of gamma_max = 2 mu/(L A)) -> horizon of the step-axis checks.
_STEPS = {0.1: 3000, 0.01: 3000}


def floor_step_squared(mast, *, strongly_convex: bool = True, **kw) -> Guarantee:
    """Control (step axis): the strongly convex form with the neighbourhood times
    ``min(1, gamma/gamma_def)``, ``gamma_def = gamma_max/2`` the default step."""
    g = quietly(theorem3, mast, strongly_convex=strongly_convex, **kw)
    if not strongly_convex:
        return g
    return rebound(g, floor=g.floor * min(1.0, 2 * g.gamma / g.gamma_max))


def nonconvex_floor_06(mast, *, strongly_convex: bool = False, **kw) -> Guarantee:
    """Control (nonconvex axis): the nonconvex form with its neighbourhood times 0.6."""
    g = quietly(theorem3, mast, strongly_convex=strongly_convex, **kw)
    if strongly_convex:
        return g
    v = g.values
    return rebound(
        g,
        floor=0.6 * g.floor,
        growth=1.0 + v["L"] * v["A"] * g.gamma**2,
        values={"delta_0": v["delta_0"] / (1.0 - v["L"] * v["B"] * g.gamma / 2.0)},
    )


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
        *(
            instance_check(
                f"theorem3-sc-neighbourhood-step{fraction:g}",
                "Theorem 3 (strongly convex)",
                theorem3_sc,
                at_step(near_scalar, fraction),
                part="neighbourhood",
                floor=0.95,
                n_steps=(T, T),
                description=f"S = (1 +- 0.01) I at {fraction:g} gamma_max: L C gamma^2/(2 rho)"
                " (rho = 2 gamma mu - L A gamma^2 keeps it attained at small steps: 0.98)",
            )
            for fraction, T in _STEPS.items()
        ),
        instance_check(
            "theorem3-nonconvex-stationary",
            "Theorem 3",
            theorem3,
            lambda: stationary_instance(300),
            part="neighbourhood",
            floor=0.9,
            n_steps=(300, 300),
            description="exact oracle (Theorem 2's bound): S = (1 +- 0.01) I at the stationary "
            "distance, T = 300",
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
        Control(
            name="theorem3-sc-floor-step-squared",
            theorem="Theorem 3 (strongly convex)",
            claim=floor_step_squared,
            change="neighbourhood times gamma/gamma_def (wrong only below the default step)",
            family=_family(2, step_fraction=(0.01, 1.0)),
            instance=at_step(near_scalar, 0.1),
            n_steps=_STEPS[0.1],
            killed_by="theorem3-sc-neighbourhood-step0.1",
        ),
        Control(
            name="theorem3-nonconvex-floor-0.6",
            theorem="Theorem 3",
            claim=nonconvex_floor_06,
            change="nonconvex neighbourhood times 0.6 (strongly convex form unchanged)",
            family=_family(2, start="offset"),
            instance=lambda: stationary_instance(300),
            n_steps=300,
            killed_by="theorem3-nonconvex-stationary",
        ),
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
        search=lambda: (theorem3_sc, _family(3), 100, "late"),
    )
