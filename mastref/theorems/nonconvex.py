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
    ``mastref.catalogue.theorem2`` (the instances, the checks and the negative controls).
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
    gamma_or_default,
    mast_constants,
    start,
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
    Delta: float | None = None,
) -> Guarantee:
    """Theorem 2 (THEORY.md §5): nonconvex DSGD, any ``gamma > 0``.

    ``min_{t<T} E||grad f_D(x_t)||^2 <= a^T delta_0/(gamma T) + L L_max gamma Delta``,
    ``a = 1 + L L_max gamma^2``; default step ``1/sqrt(L L_max T)`` (``n_steps`` = ``T`` is
    required), for which the bound is at most ``(e delta_0 + Delta) sqrt(L L_max / T)``
    (``values["bound_simplified"]``). ``Delta``: the value or an upper bound (default
    ``mast.gap_bound``; see ``theorem1``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2))
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
    c = mast_constants(mast, constants, notes, Delta)
    LL = c["L"] * c["L_max"]
    finite = math.isfinite(LL)
    gamma = gamma_or_default(gamma, 1.0 / math.sqrt(LL * T) if finite else 0.0)
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
