"""Non-diagonal sketches: scaled Haar projections and Gaussian sketches (THEORY.md §1)."""

from __future__ import annotations

import math

import numpy as np

from .._budget import check_dense
from .._validation import as_generator, check_int
from .base import Sketch


class Projection(Sketch):
    """Scaled Haar projection ``S = (d/m) Q Q^T``, ``Q``: ``m`` orthonormal columns (THEORY.md §1).

    ``L_S = L_S_max = (d/m)^2``, ``E[S^T S] = (d/m) I``. With ``P = QQ^T``,
    ``beta = m(d-m)/(d(d-1)(d+2))`` and ``a = m(m+2)/(d(d+2)) - beta``:
    ``E[P A P] = (a - beta) A + beta A^T + beta tr(A) I`` (symmetric ``A``:
    ``a A + beta tr(A) I``), times ``(d/m)^2``.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.Projection(4, 2)
    >>> law.L_D, law.L_S_max
    (2.0, 4.0)
    """

    def __init__(self, d: int, m: int):
        self.d = check_int("d", d, 1)
        self.m = check_int("m", m, 1, self.d)
        check_dense("Projection (every sample is dense)", self.d)

    @property
    def L_D(self) -> float:
        return self.d / self.m

    @property
    def mu_D(self) -> float:
        return self.d / self.m

    @property
    def L_S_max(self) -> float:
        return (self.d / self.m) ** 2

    def second_moment(self) -> np.ndarray:
        return (self.d / self.m) * np.eye(self.d)

    def sandwich(self, A) -> np.ndarray:
        A = self._check_square("A", A)
        d, m = self.d, self.m
        beta = 0.0 if d == 1 else m * (d - m) / (d * (d - 1) * (d + 2))
        a = m * (m + 2) / (d * (d + 2)) - beta
        PAP = (a - beta) * A + beta * A.T + beta * np.trace(A) * np.eye(d)
        return (d / m) ** 2 * PAP

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        G = as_generator(rng).standard_normal((self.d, self.m))
        Q, R = np.linalg.qr(G)
        Q = Q * np.sign(np.diag(R))  # Haar measure on the Stiefel manifold
        return (self.d / self.m) * (Q @ Q.T)

    def __repr__(self) -> str:
        return f"Projection(d={self.d}, m={self.m})"


class Gaussian(Sketch):
    """``S = (1/m) G G^T``, ``G`` a ``d x m`` standard Gaussian matrix (THEORY.md §1).

    ``E[S^T S] = ((m + d + 1)/m) I``; ``E[S A S] = A + (A^T + tr(A) I)/m`` (symmetric ``A``:
    ``((m+1)/m) A + (tr(A)/m) I``); ``L_S_max = inf``: no theorem that needs ``L_S_max``
    applies, and those theorems say so.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.Gaussian(3, 2)
    >>> law.L_D, law.L_S_max
    (3.0, inf)
    """

    def __init__(self, d: int, m: int):
        self.d = check_int("d", d, 1)
        self.m = check_int("m", m, 1)
        check_dense("Gaussian (every sample is dense)", self.d)

    @property
    def L_D(self) -> float:
        return (self.m + self.d + 1) / self.m

    @property
    def mu_D(self) -> float:
        return self.L_D

    @property
    def L_S_max(self) -> float:
        return math.inf

    def second_moment(self) -> np.ndarray:
        return self.L_D * np.eye(self.d)

    def sandwich(self, A) -> np.ndarray:
        A = self._check_square("A", A)
        return A + (A.T + np.trace(A) * np.eye(self.d)) / self.m

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        G = as_generator(rng).standard_normal((self.d, self.m))
        return (G @ G.T) / self.m

    def __repr__(self) -> str:
        return f"Gaussian(d={self.d}, m={self.m})"
