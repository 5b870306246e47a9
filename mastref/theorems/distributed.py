"""Theorem 5: distributed DSGD (Algorithm 4), and a reconstructed ``D_max`` form.

Statement
    ``min_{t<T} E||grad F(x_t)||^2 <= (1 + L_F A gamma^2)^T delta_0/(gamma T)
    + L_F A gamma Delta_M``; strongly convex: ``E||x_T - x_F*||^2 <= (1 - gamma mu_F)^T
    ||x_0 - x_F*||^2 + 2 gamma A Delta_M / mu_F``.
Conditions
    clients ``f_i`` ``L_i``-smooth and bounded below; each ``S_i`` satisfies A1 (any joint law);
    strongly convex form: ``F`` ``mu_F``-strongly convex.
Step-size limit
    none (default ``1/sqrt(L_F A T)``); strongly convex: ``gamma <= 1/A``.
Bound
    ``L_F = (1/M) sum_i L_i L_{D_i}``, ``A = max_i L_i L_{S_i}^max``,
    ``Delta_M = F^inf - (1/M) sum_i f_i^inf``; parts: transient and neighbourhood.
Reference
    THEORY.md §5, Theorem 5 (derived in THEORY.md with the constants above; the paper's own
    statement of its distributed theorem has not been read).
    ``theorem5_reconstructed`` is a form with ``D_max = max_i L_i^2 L_{D_i} L_{S_i}^max``
    reconstructed from secondary summaries (THEORY.md §5), not the paper's statement.
Checks and controls
    ``mastref.catalogue.theorem5`` (the instances, the checks and the negative controls).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import MissingCapability, check_int
from ..distributed import DistributedProblem
from .claims import (
    Guarantee,
    check_constants,
    dist2,
    finish,
    gamma_condition,
    gamma_or_default,
    gap,
    geometric,
    geometric_parts,
    start,
    sublinear,
    sublinear_parts,
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
    Delta: float | None = None,
) -> Guarantee:
    """Theorem 5 (THEORY.md §5), Algorithm 4.

    Nonconvex (``n_steps`` required; default step ``1/sqrt(L_F A T)``):
    ``min_{t<T} E||grad F(x_t)||^2 <= (1 + L_F A gamma^2)^T delta_0/(gamma T)
    + L_F A gamma Delta_M``. ``strongly_convex=True``, ``gamma <= 1/A``:
    ``E||x_T - x_F*||^2 <= (1 - gamma mu_F)^T ||x_0 - x_F*||^2 + 2 gamma A Delta_M / mu_F``.
    ``Delta``: ``Delta_M`` or an upper bound on it (checked finite, ``>= 0``, not below a
    certified lower bound); default ``problem.gap_bound`` (exact where it can be, else a
    certified upper bound; the notes say which, and ``||x_0 - x_F*||^2`` is then bounded too).

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
    Delta_M = gap(problem, notes, Delta)
    d0 = _delta0(problem, x0, notes)
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
        gamma = gamma_or_default(gamma, 1.0 / math.sqrt(L_F * A * T) if finite else 0.0)
        conditions["gamma > 0"] = gamma > 0
        floor = L_F * A * gamma * Delta_M
        values["bound_simplified"] = (math.e * d0 + Delta_M) * math.sqrt(L_F * A / T)
        g = Guarantee(
            name="Theorem 5",
            quantity="grad_norm2_min",
            gamma=gamma,
            gamma_max=math.inf,
            bound=sublinear(1.0 + L_F * A * gamma**2, d0, gamma, floor),
            parts=sublinear_parts(1.0 + L_F * A * gamma**2, d0, gamma, floor),
            floor=floor,
            conditions=conditions,
            values=values,
            n_steps=T,
            **common,
        )
        return finish(g, strict)
    gamma_max = 1.0 / A if finite else 0.0
    gamma = gamma_or_default(gamma, gamma_max)
    conditions["F strongly convex"] = mu_F > 0
    details["F strongly convex"] = f"mu_F = {mu_F:.6g}"
    gamma_condition(conditions, details, gamma, gamma_max)
    r0 = dist2(problem, x0, notes)
    rate = 1.0 - gamma * mu_F
    floor = 2 * gamma * A * Delta_M / mu_F if mu_F > 0 else math.inf
    values["dist2_0"] = r0
    g = Guarantee(
        name="Theorem 5 (strongly convex)",
        quantity="dist2",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(rate, r0, floor),
        parts=geometric_parts(rate, r0, floor),
        floor=floor,
        rate=rate,
        conditions=conditions,
        values=values,
        n_steps=n_steps,
        **common,
    )
    return finish(g, strict)


# ------------------------------------------------------------------------------------------------
# A D_max form reconstructed from secondary summaries (THEORY.md §5, "A reconstructed D_max
# form"): not the paper's statement, which has not been read
# ------------------------------------------------------------------------------------------------


def theorem5_reconstructed(
    problem: DistributedProblem,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    Delta: float | None = None,
    **_,
) -> Guarantee:
    """A ``D_max`` form of Theorem 5 reconstructed from secondary summaries (THEORY.md §5).

    Secondary summaries of the paper quote only the constant
    ``D_max = max_i L_i^2 L_{D_i} L_{S_i}^max`` and an ``O(1/sqrt(T))`` rate. This form puts
    ``D_max`` in place of ``L_F A`` in the nonconvex bound above, with prefactors 1: default step
    ``1/sqrt(D_max T)`` and
    ``min_{t<T} E||grad F(x_t)||^2 <= (1 + D_max gamma^2)^T delta_0/(gamma T) + D_max gamma
    Delta_M``. It is THEORY.md's reconstruction (the nonconvex form), not the paper's
    statement. ``mastref.catalogue.theorem5_reconstructed.counterexample_instance`` is an
    instance on which this reconstruction fails (ratio 1.225); with a factor 2 on either term
    (as in the usual ABC template) it holds there, so the finding does not bear on the
    published theorem.

    Examples
    --------
    >>> from mastref.catalogue.theorem5_reconstructed import counterexample_instance
    >>> from mastref.theorems.distributed import theorem5_reconstructed
    >>> inst = counterexample_instance()
    >>> g = theorem5_reconstructed(inst.objective(), x0=inst.x0, n_steps=100)
    >>> round(g.values["D_max"], 4), round(g.values["L_F A"], 4)
    (0.1584, 0.6591)
    """
    if not isinstance(problem, DistributedProblem):
        raise TypeError(f"argument 'problem' = {problem!r} must be a DistributedProblem")
    x0 = start(problem, x0)
    if n_steps is None:
        raise TypeError(
            "theorem5_reconstructed needs n_steps (the horizon T sets the default step)"
        )
    T = check_int("n_steps", n_steps, 1)
    D_max = max(c.problem.L**2 * c.sketch.L_D * c.sketch.L_S_max for c in problem.clients)
    gamma = gamma_or_default(gamma, 1.0 / math.sqrt(D_max * T))
    notes: list[str] = []
    Delta_M = gap(problem, notes, Delta)
    d0 = _delta0(problem, x0, notes)
    a = 1.0 + D_max * gamma**2
    floor = D_max * gamma * Delta_M
    return Guarantee(
        name="Theorem 5, reconstructed D_max form",
        reference="THEORY.md §5, a D_max form reconstructed from secondary summaries",
        quantity="grad_norm2_min",
        algorithm="distributed_dsgd",
        gamma=gamma,
        bound=sublinear(a, d0, gamma, floor),
        parts=sublinear_parts(a, d0, gamma, floor),
        floor=floor,
        conditions={"gamma > 0": gamma > 0},
        notes=notes,
        values={
            "D_max": D_max,
            "L_F A": problem.L_F * problem.A,
            "Delta_M": Delta_M,
            "delta_0": d0,
        },
        x0=x0,
        n_steps=T,
    )


def _delta0(problem: DistributedProblem, x0: np.ndarray, notes: list) -> float:
    """``F(x_0) - F^inf``: ``F(x_0)`` exact, or its P5 upper bound
    ``(1/M) sum_i [f_i(x_0) + L_i (L_D_i - 1)/2 ||x_0 - v||^2]``, minus the lower bound
    ``gap_bound.inf_lower`` of ``F^inf``."""
    b = problem.gap_bound
    try:
        Fx = problem.value(x0)
    except (ValueError, MissingCapability):
        h2 = float(np.sum((x0 - problem.v) ** 2))
        notes.append("delta_0 bounded through P5: mean_i f_i(x0) + L_i(L_D_i-1)/2 ||x0-v||^2")
        Fx = float(
            np.mean(
                [
                    c.problem.value(x0) + 0.5 * c.problem.L * (c.sketch.L_D - 1.0) * h2
                    for c in problem.clients
                ]
            )
        )
    return max(Fx - b.inf_lower, 0.0)
