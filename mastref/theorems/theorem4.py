"""Theorem 4 (THEORY.md §5, derived there): L-SVRDSG, Algorithm 3.

Statement. Finite uniform law ``S_1..S_N``, ``f`` convex and ``L_f``-smooth, ``f_D``
``mu``-strongly convex, ``L = L_f max_k L_{S_k}``,
``D_t = (1/N) sum_k ||grad f_{S_k}(w_t) - grad f_{S_k}(x_D*)||^2``,
``sigma*^2 = (1/N) sum_k ||grad f_{S_k}(x_D*)||^2``, ``c_b = (N - b)/(b (N - 1))``.

(a) ``b = N``, ``gamma <= 1/(6L)``: ``Phi = ||x - x_D*||^2 + (4 gamma^2/p) D`` satisfies
    ``E Phi_T <= (1 - min(gamma mu, p/2))^T Phi_0`` (no neighbourhood, whatever ``Delta``).
(b) ``b < N``, ``8 c_b L/mu < 1`` and ``gamma <= (1 - 8 c_b L/mu)/((9 + 12 c_b) L)``:
    ``Psi = ||x - x_D*||^2 + (6 gamma^2/p) D + (2(3 gamma^2 + 2 gamma/mu)/p) ||h - grad f_D(w)||^2``
    satisfies ``E Psi_T <= (1 - rho)^T Psi_0 + 4 c_b (3 gamma^2 + 2 gamma/mu) sigma*^2 / rho``,
    ``rho = min(gamma mu/2, p/2)``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ..algorithms import Trace, uniform_atoms
from .claims import (
    Guarantee,
    check_constants,
    finish,
    gamma_condition,
    geometric,
    mast_constants,
    start,
    step,
)


def atom_grads(mast, x: np.ndarray) -> np.ndarray:
    """``grad f_{S_k}(x)`` for every atom ``S_k`` of the law's support, ``(N, d)``."""
    samples, _ = mast.sketch.support()
    return np.array([mast.sketched_grad(x, s) for s in samples])


def theorem4(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    p: float | None = None,
    b: int | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 4 (THEORY.md §5), L-SVRDSG on a finite uniform law ``S_1..S_N``.

    ``p``: refresh probability (default ``1/N``); ``b``: reference batch (default ``N``, part
    (a)); ``b < N`` gives part (b). The start is ``w_0 = x_0``, ``h_0 = grad f_D(x_0)``.
    ``values["c_D"]`` and ``values["c_h"]`` are the Lyapunov weights of ``D`` and of the ``h``
    error (``svrdsg_lyapunov``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Partition(blocks=[[0], [1]]), shift=np.ones(2))
    >>> g = mr.theorem4(mast, x0=np.zeros(2))
    >>> g.gamma, g.name, g.floor
    (0.020833333333333332, 'Theorem 4a', 0.0)
    """
    constants = check_constants(constants)
    N = uniform_atoms(mast.sketch)
    _, weights = mast.sketch.support()
    x0 = start(mast, x0)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    b = N if b is None else check_int("b", b, 1, N)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    L, mu = c["L_max"], c["mu"]
    c_b = 0.0 if N == 1 else (N - b) / (b * (N - 1))
    x_star = mast.argmin()
    g_star = atom_grads(mast, x_star)
    D0 = float(np.mean(np.sum((atom_grads(mast, x0) - g_star) ** 2, axis=1)))
    sigma2 = float(np.mean(np.sum(g_star**2, axis=1)))
    r0 = float(np.sum((x0 - x_star) ** 2))
    conditions = {
        "uniform law": bool(np.ptp(weights) <= 1e-15),
        "f convex": bool(mast.problem.is_convex),
        "f_D strongly convex": mu > 0,
        "0 < p <= 1": p <= 1,
    }
    details = {"f_D strongly convex": f"mu = {mu:.6g}", "0 < p <= 1": f"p = {p}"}
    values = {
        **c,
        "L": L,
        "N": float(N),
        "b": float(b),
        "p": p,
        "c_b": c_b,
        "D_0": D0,
        "sigma_star2": sigma2,
        "dist2_0": r0,
    }
    common = {
        "quantity": "lyapunov",
        "algorithm": "l_svrdsg",
        "options": {"p": p, "b": b},
        "constants": constants,
        "conditions": conditions,
        "details": details,
        "notes": notes,
        "x0": x0,
        "n_steps": n_steps,
    }
    if b == N:
        gamma_max = 1.0 / (6.0 * L)
        gamma = step(gamma, gamma_max)
        gamma_condition(conditions, details, gamma, gamma_max)
        rate = 1.0 - min(gamma * mu, p / 2.0)
        c_D, c_h = 4 * gamma**2 / p, 0.0
        phi0 = r0 + c_D * D0
        values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": phi0})
        g = Guarantee(
            name="Theorem 4a",
            reference="THEORY.md §5, Theorem 4 (a)",
            gamma=gamma,
            gamma_max=gamma_max,
            bound=geometric(rate, phi0, 0.0),
            floor=0.0,
            rate=rate,
            values=values,
            **common,
        )
        return finish(g, strict)
    ratio = 8.0 * c_b * L / mu if mu > 0 else math.inf
    conditions["8 c_b L / mu < 1"] = ratio < 1
    details["8 c_b L / mu < 1"] = f"8 c_b L / mu = {ratio:.6g} (c_b = {c_b:.6g}; increase b)"
    gamma_max = (1.0 - ratio) / ((9.0 + 12.0 * c_b) * L) if ratio < 1 else 0.0
    gamma = step(gamma, gamma_max if gamma_max > 0 else 1.0 / L)
    gamma_condition(conditions, details, gamma, gamma_max)
    rho = min(gamma * mu / 2.0, p / 2.0)
    c_D = 6 * gamma**2 / p
    c_h = 2 * (3 * gamma**2 + 2 * gamma / mu) / p if mu > 0 else math.inf
    psi0 = r0 + c_D * D0
    floor = 4 * c_b * (3 * gamma**2 + 2 * gamma / mu) * sigma2 / rho if mu > 0 else math.inf
    values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": psi0, "rho": rho})
    g = Guarantee(
        name="Theorem 4b",
        reference="THEORY.md §5, Theorem 4 (b)",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(1.0 - rho, psi0, floor),
        floor=floor,
        rate=1.0 - rho,
        values=values,
        **common,
    )
    return finish(g, strict)


def svrdsg_lyapunov(guarantee: Guarantee, mast, trace: Trace) -> np.ndarray:
    """Measured Lyapunov function of Theorem 4 at each recorded step, per run: (n_records, R).

    ``||x - x*||^2 + c_D D(w) + c_h ||h - grad f_D(w)||^2`` from the trace's iterates and its
    recorded ``w`` and ``h`` (``l_svrdsg`` records both).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(2, 2, rng=0))
    >>> g = mr.theorem4(mast, x0=np.zeros(2))
    >>> trace = mr.l_svrdsg(mast, np.zeros(2), g.gamma, 5, n_runs=2, rng=0)
    >>> phi = mr.svrdsg_lyapunov(g, mast, trace)
    >>> phi.shape, bool(np.allclose(phi[0], g.bound(0)))  # Phi_0 is deterministic
    ((6, 2), True)
    """
    if guarantee.quantity != "lyapunov":
        raise ValueError(f"{guarantee.name} does not bound a Lyapunov function")
    x_star = mast.argmin()
    g_star = atom_grads(mast, x_star)
    c_D, c_h = guarantee.values["c_D"], guarantee.values["c_h"]
    n_rec, R, _ = trace.iterates.shape
    out = np.empty((n_rec, R))
    for k in range(n_rec):
        for r in range(R):
            w, h = trace.aux["w"][k, r], trace.aux["h"][k, r]
            D = float(np.mean(np.sum((atom_grads(mast, w) - g_star) ** 2, axis=1)))
            e = float(np.sum((h - mast.grad(w)) ** 2)) if c_h else 0.0
            out[k, r] = float(np.sum((trace.iterates[k, r] - x_star) ** 2)) + c_D * D + c_h * e
    return out
