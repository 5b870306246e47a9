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
    ``mastref.catalogue.theorem1`` (the instances, the checks and the negative controls).
"""

from __future__ import annotations

import math

from .claims import (
    Guarantee,
    check_constants,
    dist2,
    finish,
    gamma_condition,
    gamma_or_default,
    geometric,
    geometric_parts,
    mast_constants,
    start,
)


def theorem1(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    constants: str = "paper",
    strict: bool = True,
    Delta: float | None = None,
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
    Delta : float, optional
        ``Delta = f_D^inf - f^inf`` or an upper bound on it (the bound grows with ``Delta``);
        checked finite, ``>= 0`` and not below a certified lower bound. Default:
        ``mast.gap_bound`` (exact where it can be, else a certified upper bound; the notes say
        which).

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
    >>> g = mr.theorem1(mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2)), x0=np.zeros(2))
    >>> g.gamma, g.rate, g.floor, float(g.bound(0))
    (0.125, 0.75, 0.75, 1.25)
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes, Delta)
    gamma_max = 1.0 / c["L_max"] if math.isfinite(c["L_max"]) else 0.0
    gamma = gamma_or_default(gamma, gamma_max)
    conditions = {"L_S_max < inf": math.isfinite(c["L_max"]), "f_D strongly convex": c["mu"] > 0}
    details = {
        "L_S_max < inf": f"L_S_max = {mast.sketch.L_S_max}",
        "f_D strongly convex": f"mu = {c['mu']:.6g}",
    }
    gamma_condition(conditions, details, gamma, gamma_max)
    r0 = dist2(mast, x0, notes)
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
