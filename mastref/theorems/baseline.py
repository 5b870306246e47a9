"""Baseline: gradient descent on ``f_D`` (Algorithm 2).

Statement
    ``f_D(x_T) - f_D^inf <= (1 - gamma mu)^T delta_0``. ``Delta`` (the value or an upper
    bound, default ``mast.gap_bound``) is only reported: the bound does not use it.
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
    ``mastref.catalogue.baseline`` (the instances, the checks and the negative controls).
"""

from __future__ import annotations

from .claims import (
    Guarantee,
    check_constants,
    delta0,
    finish,
    gamma_condition,
    gamma_or_default,
    geometric,
    geometric_parts,
    mast_constants,
    start,
)


def baseline_gd(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    constants: str = "paper",
    strict: bool = True,
    Delta: float | None = None,
) -> Guarantee:
    """Baseline (THEORY.md §5), Algorithm 2, ``gamma <= 1/L``:
    ``f_D(x_T) - f_D^inf <= (1 - gamma mu)^T delta_0``. ``Delta`` (the value or an upper
    bound, default ``mast.gap_bound``) is only reported: the bound does not use it.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> g = mr.baseline_gd(mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2)), x0=np.zeros(2))
    >>> g.gamma, g.rate, float(g.bound(0))
    (0.25, 0.5, 0.75)
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes, Delta)
    gamma_max = 1.0 / c["L"]
    gamma = gamma_or_default(gamma, gamma_max)
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
