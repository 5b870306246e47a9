"""Theorem 2: nonconvex DSGD (Algorithm 1-I).

Statement
    ``min_{t<T} E||grad f_D(x_t)||^2 <= a^T delta_0/(gamma T) + L L_max gamma Delta``,
    ``a = 1 + L L_max gamma^2``.
Conditions
    ``f`` ``L_f``-smooth and bounded below; ``L_S_max < inf``.
Step-size limit
    none (any ``gamma > 0``); default ``1/sqrt(L L_max T)``, for which the bound is at most
    ``(e delta_0 + Delta) sqrt(L L_max / T)``.
Bound
    parts: transient ``a^T delta_0/(gamma T)`` (with its growth factor ``a^T``) and
    neighbourhood ``L L_max gamma Delta``.
Reference
    THEORY.md §5, Theorem 2 (the paper's nonconvex theorem for Algorithm 1).
Checks and controls
    the stationary near-scalar instance (last half; neighbourhood); four negative controls.
Tightness
    Approached by ``S = (1 +- eps) I`` started at its stationary distance
    (``stationary_instance``): 0.90 over the last half of ``T = 100``, 0.93 at ``T = 300``,
    0.965 at ``T = 3000`` (``eps = 0.01``). The ratio is ``1 - O(eps) - O(1/sqrt(T))``: the
    transient ``a^T delta_0/(gamma T)`` stays about ``e/(2 sqrt(T))`` of the neighbourhood,
    since ``delta_0`` and ``Delta`` both scale as ``eps^2``. Without noise the bound is far: on
    quadratics with ``S = I`` (``Delta = 0``) the late ratio at the default step tends to
    ``e^{-3/2} = 0.223`` at most as ``T -> inf`` (0.227 at ``T = 100``). Per eigenmode
    ``lambda`` with ``s = gamma lambda``, ``min_{r<t} ||grad f(x_r)||^2 = ||grad f(x_{t-1})||^2``
    and ``delta_0 = (1/2) sum lambda h^2``, so ``measured/bound = a^{-t} sum_i w_i 2 s_i t
    (1 - s_i)^{2(t-1)}`` with weights ``w_i = lambda_i h_i^2 / sum lambda h^2``: a mean of
    terms that tend to ``x e^{-x} <= 1/e`` (``x = 2 s t``, ``s -> 0``), times the growth factor
    ``a^{-t} = (1 + 1/T)^{-t}``, which tends to ``e^{-t/T} <= e^{-1/2}`` for ``t >= T/2``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int
from .claims import (
    Guarantee,
    check_constants,
    delta0,
    finish,
    mast_constants,
    quietly,
    start,
    step,
    sublinear,
    sublinear_parts,
)


def theorem2(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 2 (THEORY.md §5): nonconvex DSGD, any ``gamma > 0``.

    ``min_{t<T} E||grad f_D(x_t)||^2 <= a^T delta_0/(gamma T) + L L_max gamma Delta``,
    ``a = 1 + L L_max gamma^2``; default step ``1/sqrt(L L_max T)`` (``n_steps`` = ``T`` is
    required), for which the bound is at most ``(e delta_0 + Delta) sqrt(L L_max / T)``
    (``values["bound_simplified"]``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(0.5, 2), shift=np.ones(2))
    >>> g = mr.theorem2(mast, x0=np.zeros(2), n_steps=100)
    >>> round(g.gamma, 6), g.quantity
    (0.017678, 'grad_norm2_min')
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    if n_steps is None:
        raise TypeError("theorem2 needs n_steps (the horizon T sets the default step)")
    T = check_int("n_steps", n_steps, 1)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    LL = c["L"] * c["L_max"]
    finite = math.isfinite(LL)
    gamma = step(gamma, 1.0 / math.sqrt(LL * T) if finite else 0.0)
    conditions = {"L_S_max < inf": finite, "gamma > 0": gamma > 0}
    d0 = delta0(mast, x0, notes)
    values = {**c, "delta_0": d0, "T": float(T)}
    if finite:
        values["bound_simplified"] = (math.e * d0 + c["Delta"]) * math.sqrt(LL / T)
    a = 1.0 + LL * gamma**2 if finite else math.inf
    floor = LL * gamma * c["Delta"] if finite else math.inf
    g = Guarantee(
        name="Theorem 2",
        reference="THEORY.md §5, Theorem 2",
        quantity="grad_norm2_min",
        algorithm="dsgd",
        gamma=gamma,
        gamma_max=math.inf,
        bound=sublinear(a, d0, gamma, floor) if finite else _infinite,
        parts=sublinear_parts(a, d0, gamma, floor) if finite else {},
        floor=floor,
        constants=constants,
        conditions=conditions,
        values=values,
        notes=notes,
        x0=x0,
        n_steps=T,
    )
    return finish(g, strict)


def _infinite(t):
    return np.full(np.shape(t), np.inf)


# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def _family(d: int = 3, step=(1, 1), **kw):
    from ..verify.instances import QuadraticFamily

    return QuadraticFamily(d=d, laws=("randk", "bernoulli", "partition"), step=step, **kw)


def stationary_instance(n_steps: int, eps: float = 0.01):
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
    """
    from ..verify.instances import near_scalar, near_scalar_spread

    base = near_scalar(eps)
    gamma = theorem2(base.objective(), x0=base.x0, n_steps=n_steps).gamma
    return near_scalar(eps, offset=math.sqrt(base.d * near_scalar_spread(eps, gamma)))


def _checks() -> tuple:
    from ..verify.check import instance_check

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
    from .claims import control_maker

    control = control_maker(
        "Theorem 2",
        _variant,
        lambda: _family(2, step=(0.05, 20.0), start="offset"),
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
            family=_family(2, step=(0.05, 3.0)),
            n_steps=50,
            law_constant="L",
        ),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = {
    "theorem2-L_D-for-L_S_max": (
        1.166260124266225,
        0.7614649591882251,
        0.0395599034821999,
        -1.2228040669667228,
        -1.5227562907811085,
        2.096351885602819,
        -1.6141717090671603,
        0.551292459800089,
        -0.7184786899817635,
        0.9064227544389392,
        -2.99015637759409,
        1.9310083839096954,
    ),
    "theorem2-half-delta0": (
        0.18703767651045378,
        0.8876846972852945,
        0.31940478179603815,
        -1.5454407692025276,
        -0.9930438485594197,
        -2.64707850292325,
        -2.041240392252803,
        -0.9838720578700304,
        -2.832433031871915,
        -2.413572442769601,
        -0.6629463899880648,
        -0.951106533408165,
        2.9556397493928674,
    ),
    "theorem2-no-growth": (
        0.8683995365282391,
        0.8172471385274978,
        0.5752082329572558,
        -1.273726741338984,
        2.495403453988494,
        -0.09838854726229296,
        -0.23621267639100552,
        -2.13730994425714,
        1.1566192731519962,
        -3.2090034796674134,
        -0.3993911024159422,
        -0.2752050545172835,
        19.845919384701073,
    ),
    "theorem2-no-neighbourhood": (
        1.6746552692732006,
        0.4052411700540871,
        0.33292314951327606,
        -1.9879000804187281,
        -2.045009320903833,
        0.8502734005451202,
        -0.9359081469652666,
        1.8966924411272346,
        -0.2925092428922653,
        -3.487907575941177,
        -0.036973135267300616,
        0.9336487352848053,
        0.8364021204411998,
    ),
}


def entry():
    """Theorem 2 in the registry."""
    from .claims import TheoremEntry

    return TheoremEntry(
        name="theorem2",
        statement=theorem2,
        reference="THEORY.md §5, Theorem 2",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem2, _family(3), 100, "late"),
    )
