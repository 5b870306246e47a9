"""Baseline: gradient descent on ``f_D`` (Algorithm 2).

Statement
    ``f_D(x_T) - f_D^inf <= (1 - gamma mu)^T delta_0``.
Conditions
    ``f_D`` ``L``-smooth and ``mu``-strongly convex.
Step-size limit
    ``gamma <= 1/L`` (``L = L_f L_D``).
Bound
    contraction only (no neighbourhood). On quadratics the true rate is ``(1 - gamma
    lambda)^2`` per mode, so measured/bound ``<= (1 - gamma mu)^t``: the bound is approached only
    while it has hardly decayed.
Reference
    THEORY.md §5, Baseline.
Checks and controls
    an ill-conditioned diagonal quadratic started on the flat mode; four negative controls.
"""

from __future__ import annotations

import numpy as np

from .claims import (
    Guarantee,
    check_constants,
    delta0,
    finish,
    gamma_condition,
    geometric,
    geometric_parts,
    mast_constants,
    quietly,
    start,
    step,
)


def baseline_gd(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Baseline (THEORY.md §5), Algorithm 2, ``gamma <= 1/L``:
    ``f_D(x_T) - f_D^inf <= (1 - gamma mu)^T delta_0``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> g = mr.baseline_gd(mr.MAST(f, mr.Bernoulli(0.5, 2), shift=np.ones(2)), x0=np.zeros(2))
    >>> g.gamma, g.rate, float(g.bound(0))
    (0.25, 0.5, 0.75)
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    gamma_max = 1.0 / c["L"]
    gamma = step(gamma, gamma_max)
    conditions: dict[str, bool] = {}
    details: dict[str, str] = {}
    gamma_condition(conditions, details, gamma, gamma_max)
    d0 = delta0(mast, x0, notes)
    rate = 1.0 - gamma * c["mu"]
    g = Guarantee(
        name="Baseline GD",
        reference="THEORY.md §5, Baseline (Algorithm 2)",
        quantity="value_gap",
        algorithm="gd_mast",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(rate, d0, 0.0),
        parts=geometric_parts(rate, d0, 0.0),
        floor=0.0,
        rate=rate,
        constants=constants,
        conditions=conditions,
        details=details,
        values={**c, "delta_0": d0},
        notes=notes,
        x0=x0,
        n_steps=n_steps,
    )
    return finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def attained_instance(kappa: float = 1e4):
    """Argued worst case: ``A = Diag(1, 1/kappa)``, RandK(2, 1), ``x_0 - x_D*`` along the flat
    direction. For quadratics GD contracts the flat mode by ``(1 - gamma mu)^2`` per step, so
    ``measured/bound = (1 - gamma mu)^t``: at ``gamma mu = 1/kappa`` it stays above
    ``1 - t/kappa`` over the horizon (the bound is approached, not attained: the true rate on
    quadratics is ``(1 - gamma mu)^2``)."""
    from ..sketches import RandK
    from ..verify.instances import Instance

    A = np.diag([1.0, 1.0 / kappa])
    x_star = np.array([1.0, -1.0])
    v = np.array([0.5, 2.0])
    mast_x = v - np.linalg.solve(2 * A, A @ v - A @ x_star)  # x_D* = v - A_D^{-1} g_v, A_D = 2A
    return Instance(
        A=(A,),
        b=(A @ x_star,),
        law=RandK(2, 1),
        v=v,
        x0=mast_x + np.array([0.0, 1.0]),
        step_fraction=1.0,
    )


def _family(d: int = 2, step=(1, 1), laws=("randk", "bernoulli"), **kw):
    from ..verify.instances import QuadraticFamily

    return QuadraticFamily(d=d, laws=laws, step=step, **kw)


def _checks() -> tuple:
    from ..verify.check import instance_check

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
    from .claims import control_maker

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
            family=_family(step=(0.05, 0.9)),
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
CONTROL_THETA: dict = {
    "baseline-L-for-mu": (
        1.7084036437497023,
        0.9772766507215744,
        0.1208883826222316,
        -4.261183947470502,
        1.7997255724055736,
        -1.4413581175499226,
        0.3751667395617308,
        -1.5654501324577723,
        3.0,
        0.11137678798550041,
        1.5966309580369853,
        0.6820426877975839,
    ),
    "baseline-L_D-for-mu_D": (
        0.9662783583588088,
        0.8684956700545455,
        0.09923156192818289,
        -0.05806594000183911,
        -0.013113071658217759,
        -0.8571832222332998,
        0.837761755801022,
        0.9460602884346301,
        -1.9273041668305417,
        0.42354138172000844,
    ),
    "baseline-double-rate": (
        0.1047490079482041,
        0.8033215179105999,
        0.2054643321826608,
        -0.6964079536169587,
        -1.2233943119634079,
        -2.0253042937102457,
        -2.874188356169245,
        -2.118942597230573,
        1.7003046377595514,
        2.367181667175773,
        -2.5208628150876926,
    ),
    "baseline-double-step": (
        0.6330228947663199,
        0.5638000480830669,
        0.5834856182336807,
        -0.8532188856166458,
        1.8137187491779994,
        -2.1448705438524485,
        -0.27368761226534843,
        1.186651736497879,
        0.29038847610354424,
        -1.172588724642992,
        1.1715696919709444,
    ),
}


def entry():
    """The baseline in the registry."""
    from .claims import TheoremEntry

    return TheoremEntry(
        name="baseline",
        statement=baseline_gd,
        reference="THEORY.md §5, Baseline (Algorithm 2)",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (baseline_gd, _family(kappa=1e4), 100, "late"),
    )
