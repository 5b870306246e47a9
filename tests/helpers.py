"""Small builders and a finite-difference gradient shared by the tests."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

import mastref as mr


def fd_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of f at x."""
    g = np.zeros_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        g[j] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def random_quadratic(rng, d: int, rank: int | None = None, mu: float = 0.0) -> mr.Quadratic:
    """A = B B^T (+ mu I) with B d x rank; b = A z so that b is in range(A)."""
    rank = d if rank is None else rank
    B = rng.standard_normal((d, rank))
    A = B @ B.T + mu * np.eye(d)
    return mr.Quadratic(A, A @ rng.standard_normal(d), c=float(rng.standard_normal()))


def random_logistic(rng, n: int, d: int, lam: float = 0.1, sparse: bool = False, scale=1.0):
    X = scale * rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.6)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return mr.LogisticRegression(sp.csr_matrix(X) if sparse else X, y, lam)
