"""Theorem 2 (THEORY.md §5; the paper's nonconvex theorem): DSGD, Algorithm 1-I.

Statement. ``f`` ``L_f``-smooth, bounded below. For any ``gamma > 0``, with
``a = 1 + L L_max gamma^2``:

    min_{t<T} E||grad f_D(x_t)||^2 <= a^T delta_0/(gamma T) + L L_max gamma Delta

Conditions: ``L_S_max < inf``. No step-size limit. Default step ``1/sqrt(L L_max T)``, for which
the bound is at most ``(e delta_0 + Delta) sqrt(L L_max / T)``. Floor ``L L_max gamma Delta``.
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
    start,
    step,
    sublinear,
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
