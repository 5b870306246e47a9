"""Theorem 5 (THEORY.md §5; the paper's distributed theorem in this package's constants).

Statement. Clients ``f_i`` ``L_i``-smooth and bounded below, each ``S_i`` satisfying A1 (any
joint law); ``L_F = (1/M) sum_i L_i L_{D_i}``, ``A = max_i L_i L_{S_i}^max``,
``Delta_M = F^inf - (1/M) sum_i f_i^inf``, ``delta_0 = F(x_0) - F^inf``. For ``gamma > 0``:

    min_{t<T} E||grad F(x_t)||^2 <= (1 + L_F A gamma^2)^T delta_0/(gamma T) + L_F A gamma Delta_M

If ``F`` is ``mu_F``-strongly convex and ``gamma <= 1/A``:
``E||x_T - x_F*||^2 <= (1 - gamma mu_F)^T ||x_0 - x_F*||^2 + 2 gamma A Delta_M / mu_F``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import MissingCapability, check_int
from ..distributed import DistributedProblem
from .claims import (
    Guarantee,
    check_constants,
    finish,
    gamma_condition,
    geometric,
    start,
    step,
    sublinear,
)


def theorem5(
    problem: DistributedProblem,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    strongly_convex: bool = False,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 5 (THEORY.md §5), Algorithm 4.

    Nonconvex (``n_steps`` required; default step ``1/sqrt(L_F A T)``):
    ``min_{t<T} E||grad F(x_t)||^2 <= (1 + L_F A gamma^2)^T delta_0/(gamma T)
    + L_F A gamma Delta_M``. ``strongly_convex=True``, ``gamma <= 1/A``:
    ``E||x_T - x_F*||^2 <= (1 - gamma mu_F)^T ||x_0 - x_F*||^2 + 2 gamma A Delta_M / mu_F``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> clients = [mr.Quadratic(np.eye(2), np.array([1.0, 0.0])),
    ...            mr.Quadratic(np.eye(2), np.array([0.0, 1.0]))]
    >>> dp = mr.DistributedProblem(clients, mr.PermutationSketch(2, 2))
    >>> g = mr.theorem5(dp, x0=np.zeros(2), strongly_convex=True)
    >>> g.gamma, g.rate
    (0.25, 0.5)
    """
    if not isinstance(problem, DistributedProblem):
        raise TypeError(f"argument 'problem' = {problem!r} must be a DistributedProblem")
    constants = check_constants(constants)
    x0 = start(problem, x0)
    notes: list[str] = []
    if constants == "exact":
        if not problem.has_quadratic_form:
            raise ValueError("constants='exact' needs quadratic clients; use constants='paper'")
        L_F, mu_F = problem.L_F_exact, problem.mu_F_exact
        try:
            A = max(c.L_max_exact for c in problem.clients)
        except MissingCapability:
            A = problem.A
            notes.append("A: no enumerable support, the paper value max_i L_i L_S_i^max is used")
    else:
        L_F, mu_F, A = problem.L_F, problem.mu_F, problem.A
    Delta_M = max(problem.gap, 0.0)
    d0 = max(problem.value(x0) - problem.inf, 0.0)
    values = {"L_F": L_F, "mu_F": mu_F, "A": A, "Delta_M": Delta_M, "delta_0": d0}
    finite = math.isfinite(A)
    conditions = {"L_S_i^max < inf": finite}
    details: dict[str, str] = {}
    common = {
        "algorithm": "distributed_dsgd",
        "reference": "THEORY.md §5, Theorem 5",
        "constants": constants,
        "details": details,
        "notes": notes,
        "x0": x0,
    }
    if not strongly_convex:
        if n_steps is None:
            raise TypeError("theorem5 needs n_steps (the horizon T sets the default step)")
        T = check_int("n_steps", n_steps, 1)
        gamma = step(gamma, 1.0 / math.sqrt(L_F * A * T) if finite else 0.0)
        conditions["gamma > 0"] = gamma > 0
        floor = L_F * A * gamma * Delta_M
        values["bound_simplified"] = (math.e * d0 + Delta_M) * math.sqrt(L_F * A / T)
        g = Guarantee(
            name="Theorem 5",
            quantity="grad_norm2_min",
            gamma=gamma,
            gamma_max=math.inf,
            bound=sublinear(1.0 + L_F * A * gamma**2, d0, gamma, floor),
            floor=floor,
            conditions=conditions,
            values=values,
            n_steps=T,
            **common,
        )
        return finish(g, strict)
    gamma_max = 1.0 / A if finite else 0.0
    gamma = step(gamma, gamma_max)
    conditions["F strongly convex"] = mu_F > 0
    details["F strongly convex"] = f"mu_F = {mu_F:.6g}"
    gamma_condition(conditions, details, gamma, gamma_max)
    r0 = float(np.sum((x0 - problem.argmin()) ** 2))
    rate = 1.0 - gamma * mu_F
    floor = 2 * gamma * A * Delta_M / mu_F if mu_F > 0 else math.inf
    values["dist2_0"] = r0
    g = Guarantee(
        name="Theorem 5 (strongly convex)",
        quantity="dist2",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(rate, r0, floor),
        floor=floor,
        rate=rate,
        conditions=conditions,
        values=values,
        n_steps=n_steps,
        **common,
    )
    return finish(g, strict)
