"""The checks and negative controls of Theorem 2 (``mastref.theorems.nonconvex``).

Checks and controls
    the stationary near-scalar instance (last half; neighbourhood); four negative controls.
"""

from __future__ import annotations

import math

from ..theorems import theorem2
from ..theorems.claims import (
    Guarantee,
    quietly,
    sublinear,
    sublinear_parts,
)
from ..verify.instances import (
    QuadraticFamily,
    default_family,
    near_scalar,
    near_scalar_spread,
)
from .base import Control, TheoremEntry, control_maker, instance_check, rebound, stored

# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def _family(d: int = 3, step_fraction=(1, 1), **kw):

    return QuadraticFamily(
        d=d, sketches=("randk", "bernoulli", "partition"), step_fraction=step_fraction, **kw
    )


def stationary_instance(n_steps: int, eps: float = 0.01, fraction: float = 1.0):
    """Argued worst case: ``mastref.verify.instances.near_scalar(eps)`` started at the stationary
    distance of Theorem 2's default step for horizon ``n_steps``.

    With ``S = (1 +- eps) I`` on ``f = ||x - x*||^2/2`` each coordinate runs the scalar recursion
    ``e+ = (1 - gamma s^2) e - gamma s (s h* - c)`` around ``x_D*`` (``h* = c/(1 + eps^2)``), whose
    stationary ``E e^2 = gamma^2 sigma^2 / (1 - E(1 - gamma s^2)^2)``, ``sigma^2 = E[s^2 (s h* -
    c)^2]``. Started at that distance, ``E||grad f_D(x_t)||^2 = mu^2 E||x_t - x_D*||^2`` stays
    flat, so its running minimum is ``gamma mu sigma*^2/2 (1 + O(gamma))``, against the
    neighbourhood ``L L_max gamma Delta``: their ratio ``(mu/L) sigma*^2/(2 L_max Delta)`` tends
    to 1 as ``eps -> 0``. The transient ``a^T delta_0/(gamma T)`` adds about ``e/(2 sqrt(T))``
    of the neighbourhood to the bound (14 % at ``T = 100``, 8 % at ``T = 300``), so the
    tightness is ``1 - O(eps) - O(1/sqrt(T))``: 0.90 at ``T = 100``, 0.93 at ``T = 300``.
    With ``fraction`` the instance is taken at ``fraction`` times the default step (and started
    at that step's stationary distance); the transient then adds ``O(1/(gamma T))``.
    """

    base = near_scalar(eps)
    gamma = fraction * theorem2(base.objective(), x0=base.x0, n_steps=n_steps).gamma
    inst = near_scalar(eps, offset=math.sqrt(base.d * near_scalar_spread(eps, gamma)))
    return type(inst)(**{**inst.__dict__, "step_fraction": fraction})


#: Step fraction (of the default step) -> horizon of the step-axis checks.
_STEPS = {0.1: 3000, 0.01: 30000}


def floor_step_squared(mast, **kw) -> Guarantee:
    """Control (step axis): Theorem 2 with the neighbourhood times ``min(1, gamma/gamma_def)``,
    ``gamma_def = 1/sqrt(L L_max T)`` (equal at the default step, quadratic below it)."""
    g = quietly(theorem2, mast, **kw)
    v = g.values
    LL = v["L"] * v["L_max"]
    gamma_def = 1.0 / math.sqrt(LL * g.n_steps)
    return rebound(g, floor=g.floor * min(1.0, g.gamma / gamma_def), growth=1.0 + LL * g.gamma**2)


def _checks() -> tuple:

    return (
        instance_check(
            "theorem2-late",
            "Theorem 2",
            theorem2,
            lambda: stationary_instance(100),
            floor=0.88,
            n_steps=(100, 100),
            description="S = (1 +- 0.01) I started at the stationary distance, T = 100",
        ),
        instance_check(
            "theorem2-neighbourhood",
            "Theorem 2",
            theorem2,
            lambda: stationary_instance(300),
            part="neighbourhood",
            floor=0.9,
            n_steps=(300, 300),
            description="as theorem2-late, T = 300, where L L_max gamma Delta dominates",
        ),
        instance_check(
            "theorem2-step0.1",
            "Theorem 2",
            theorem2,
            lambda: stationary_instance(_STEPS[0.1], fraction=0.1),
            part="neighbourhood",
            floor=0.85,
            n_steps=(_STEPS[0.1],) * 2,
            description="as theorem2-late at 0.1 of the default step, T = 3000 (measured 0.90)",
        ),
        instance_check(
            "theorem2-step0.01",
            "Theorem 2",
            theorem2,
            lambda: stationary_instance(_STEPS[0.01], fraction=0.01),
            floor=0.7,
            n_steps=(_STEPS[0.01],) * 2,
            description="as theorem2-late at 0.01 of the default step, T = 30000 (measured "
            "0.76: the transient 1/(gamma T) still adds a third)",
        ),
    )


def _variant(name: str, *, growth=True, floor_scale=1.0, delta0_scale=1.0, law_constant="L_max"):
    """Theorem 2 with a part of its bound changed (controls)."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, **_):
        base = quietly(theorem2, mast, gamma=gamma, x0=x0, n_steps=n_steps)
        c = base.values
        LL = c["L"] * c[law_constant]
        gam = (
            base.gamma
            if gamma is not None or law_constant == "L_max"
            else 1 / math.sqrt(LL * c["T"])
        )
        a = 1.0 + LL * gam**2 if growth else 1.0
        floor = floor_scale * LL * gam * c["Delta"]
        d0 = delta0_scale * c["delta_0"]
        return Guarantee(
            name=name,
            quantity="grad_norm2_min",
            gamma=gam,
            bound=sublinear(a, d0, gam, floor),
            parts=sublinear_parts(a, d0, gam, floor),
            floor=floor,
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:

    control = control_maker(
        "Theorem 2",
        _variant,
        lambda: _family(2, step_fraction=(0.05, 20.0), start="offset"),
        CONTROL_THETA,
        n_steps=10,
    )

    return (
        control("theorem2-no-neighbourhood", "neighbourhood dropped", floor_scale=0.0),
        control("theorem2-no-growth", "growth factor a^T dropped", growth=False),
        control("theorem2-half-delta0", "delta_0 halved", delta0_scale=0.5),
        control(
            "theorem2-L_D-for-L_S_max",
            "L L_max replaced by L^2 (L_S_max by L_D) in a, the step and the neighbourhood",
            family=_family(2, step_fraction=(0.05, 3.0)),
            n_steps=50,
            law_constant="L",
        ),
        Control(
            name="theorem2-floor-step-squared",
            theorem="Theorem 2",
            claim=floor_step_squared,
            change="neighbourhood times gamma/gamma_def (wrong only below the default step)",
            family=_family(2, step_fraction=(0.01, 1.0)),
            instance=lambda: stationary_instance(_STEPS[0.1], fraction=0.1),
            n_steps=_STEPS[0.1],
            killed_by="theorem2-step0.1",
        ),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = stored("theorem2")


#: Horizon of the default search: a ``1/T`` bound needs ``gamma T >> 1`` at the default step
#: ``1/sqrt(L L_max T)`` before its transient is within 5 % of the floor (the counting rule).
SEARCH_STEPS = 2000


def entry():
    """Theorem 2 in the registry."""

    return TheoremEntry(
        name="theorem2",
        statement=theorem2,
        reference="THEORY.md §5, Theorem 2",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem2, default_family(max_steps=SEARCH_STEPS), SEARCH_STEPS, "late"),
    )
