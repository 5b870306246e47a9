"""Exact minimisation of weighted logistic models (THEORY.md §2, §3).

Both the ERM problem of logistic regression and the MAST problem ``f_D`` of a logistic problem
with a finite-support diagonal sketch are instances of

    F(x) = sum_r w_r log(1 + exp(-(Z x + o)_r)) + 1/2 sum_j Q_j x_j^2 + q^T x

with ``w > 0`` and ``Q > 0`` (strongly convex). ``minimize_weighted_logistic`` solves it with cvxpy
(Clarabel, exponential cone) and polishes the result with Newton's method, whose quadratic local
convergence takes the interior-point answer to machine precision.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy import optimize
from scipy.special import expit

from ._budget import check_dense


def weighted_logistic_value(Z, w, Q, q, x, offset=None) -> float:
    """``F(x)`` of the module docstring."""
    m = Z @ x if offset is None else Z @ x + offset
    return float(w @ np.logaddexp(0.0, -m) + 0.5 * Q @ (x * x) + q @ x)


def weighted_logistic_grad(Z, w, Q, q, x, offset=None) -> np.ndarray:
    """``grad F(x) = -Z^T (w * sigma(-(Z x + o))) + Q x + q``."""
    m = Z @ x if offset is None else Z @ x + offset
    return -np.asarray(Z.T @ (w * expit(-m))).ravel() + Q * x + q


def _hessian(Z, w, Q, x, offset) -> np.ndarray:
    m = Z @ x if offset is None else Z @ x + offset
    sig = expit(m)
    c = w * sig * (1.0 - sig)
    if sp.issparse(Z):
        H = (Z.T @ sp.diags(c) @ Z).toarray()
    else:
        H = Z.T @ (c[:, None] * Z)
    H[np.diag_indices_from(H)] += Q
    return H


def _cvxpy_solve(Z, w, Q, q, offset) -> np.ndarray | None:
    import cvxpy as cp  # lazy: cvxpy imports JAX where installed, 1.3 s of every import mastref

    x = cp.Variable(Z.shape[1])
    m = Z @ x if offset is None else Z @ x + offset
    objective = w @ cp.logistic(-m) + 0.5 * Q @ cp.square(x) + q @ x
    problem = cp.Problem(cp.Minimize(objective))
    try:
        with warnings.catch_warnings():  # "inaccurate" answers are polished by Newton anyway
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:
        return None
    if x.value is None or not np.all(np.isfinite(x.value)):
        return None
    return np.asarray(x.value, dtype=float)


def newton_polish(Z, w, Q, q, x0, offset=None, max_iter: int = 100) -> tuple[np.ndarray, float]:
    """Damped Newton's method from ``x0``; returns the point of smallest gradient norm found.

    Backtracking (Armijo) while the Newton decrement is large; full steps once it is below
    1e-8, iterating until the gradient norm stops decreasing (round-off level).
    """
    x = np.array(x0, dtype=float)
    g = weighted_logistic_grad(Z, w, Q, q, x, offset)
    best_x, best_g = x.copy(), float(np.linalg.norm(g))
    stalls = 0
    for _ in range(max_iter):
        H = _hessian(Z, w, Q, x, offset)
        step = -la.cho_solve(la.cho_factor(H), g)
        decrement = float(-g @ step)
        t = 1.0
        if decrement > 1e-8:
            F0 = weighted_logistic_value(Z, w, Q, q, x, offset)
            while (
                weighted_logistic_value(Z, w, Q, q, x + t * step, offset)
                > F0 - 0.25 * t * decrement
                and t > 1e-12
            ):
                t *= 0.5
        x = x + t * step
        g = weighted_logistic_grad(Z, w, Q, q, x, offset)
        gnorm = float(np.linalg.norm(g))
        if gnorm < best_g:
            best_x, best_g = x.copy(), gnorm
            stalls = 0
        else:
            stalls += 1
        if best_g == 0.0 or stalls >= 3:
            break
    return best_x, best_g


def minimize_weighted_logistic(Z, w, Q, q, offset=None, x0=None) -> tuple[np.ndarray, float]:
    """Minimise ``F`` (module docstring); returns ``(x, ||grad F(x)||)``.

    cvxpy with Clarabel gives a point accurate to the interior-point tolerance; Newton's method
    then polishes it to the round-off level. If Clarabel fails, Newton starts from 0 (it converges
    globally with backtracking because ``F`` is strongly convex). With a start ``x0`` (a warm
    start, e.g. ``x*`` for a sample of sketched copies of the same model) Newton runs from it
    first, and the interior point only when Newton's gradient norm stays above
    ``1e-8 (1 + ||grad F(x0)||)``.
    """
    check_dense("minimize_weighted_logistic (Newton's Hessian)", Z.shape[1], copies=2)
    w = np.asarray(w, dtype=float)
    Q = np.asarray(Q, dtype=float)
    q = np.asarray(q, dtype=float)
    if x0 is not None:
        g0 = float(np.linalg.norm(weighted_logistic_grad(Z, w, Q, q, x0, offset)))
        x, gnorm = newton_polish(Z, w, Q, q, x0, offset)
        if gnorm <= 1e-8 * (1.0 + g0):
            return x, gnorm
    start = _cvxpy_solve(Z, w, Q, q, offset)
    if start is None:
        start = np.zeros(Z.shape[1])
    return newton_polish(Z, w, Q, q, start, offset)


def minimize_lbfgs(fun, x0, *, mu: float, max_iter: int = 2000) -> tuple[np.ndarray, float, float]:
    """Minimise a smooth ``mu``-strongly convex ``F`` by L-BFGS, with an a-posteriori certificate.

    ``fun(x) -> (F(x), grad F(x))``. Returns ``(x, F(x), ||grad F(x)||)``; strong convexity gives
    ``F(x) - F^inf <= ||grad F(x)||^2 / (2 mu)`` and ``||x - x*|| <= ||grad F(x)|| / mu``, so the
    answer is a certified bracket whatever the iteration count. Cost: O(iterations x one
    ``fun`` call), no ``d x d`` matrix (the path for large ``d``, where Newton's Hessian is
    refused).

    Examples
    --------
    >>> import numpy as np
    >>> x, F, g = minimize_lbfgs(lambda x: (0.5 * x @ x - x.sum(), x - 1.0), np.zeros(3), mu=1.0)
    >>> bool(np.allclose(x, 1.0)), g < 1e-8
    (True, True)
    """
    x0 = np.asarray(x0, dtype=float)
    F0, g0 = fun(x0)
    scale = max(1.0, float(np.max(np.abs(g0))))
    res = optimize.minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-13 * scale, "ftol": 0.0, "maxcor": 20},
    )
    x = np.asarray(res.x, dtype=float)
    F, g = fun(x)
    return x, float(F), float(np.linalg.norm(g))
