"""Quadratics ``f(x) = 1/2 x^T A x - b^T x + c`` (THEORY.md §2, "Quadratic")."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .._budget import check_dense
from .._kernels import quadratic_kernel, register_kernels
from .._validation import (
    check_array,
    check_psd,
    check_real,
    check_symmetric,
    check_vector,
    finite_result,
)
from .base import Problem, QuadraticForm

#: Relative tolerance below which an eigenvalue of ``A`` counts as zero.
_EIG_RTOL = 1e-12


class QuadraticPack(NamedTuple):
    """Kernel arrays of a quadratic at shift ``v``: ``A``, ``g_v = A v - b`` and ``v``."""

    A: np.ndarray
    g_v: np.ndarray
    v: np.ndarray


@njit(cache=True)
def _quadratic_exact(pack, x, idx, sc):
    return quadratic_kernel(pack.A, pack.g_v, pack.v, x, idx, sc)


register_kernels(QuadraticPack, exact=_quadratic_exact)


class Quadratic(Problem):
    """``f(x) = 1/2 x^T A x - b^T x + c``, ``A`` symmetric PSD, ``b in range(A)`` (THEORY.md §2).

    ``L_f = lambda_max(A)``, ``mu_f = lambda_min(A)``, ``f^inf = c - 1/2 b^T A^+ b``,
    ``x* = A^+ b`` (the minimum-norm minimiser when ``A`` is singular).

    Parameters
    ----------
    A : array_like, shape (d, d)
        Symmetric positive semidefinite.
    b : array_like, shape (d,)
        In the range of ``A`` (else ``f`` is unbounded below).
    c : float
        Constant term.

    Raises
    ------
    ValueError
        ``A`` not square, not symmetric, not PSD or not finite; ``b`` of the wrong length or
        outside ``range(A)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 4.0]), np.array([1.0, 4.0]))
    >>> f.L, f.mu, f.inf, f.argmin()
    (4.0, 1.0, -2.5, array([1., 1.]))
    """

    def __init__(self, A, b, c: float = 0.0):
        A = check_array("A", A, 2)
        if A.size == 0:
            raise ValueError(f"argument 'A' has shape {A.shape}; it must be non-empty")
        check_dense("Quadratic", A.shape[0], copies=4, eigh=True)
        self.d = A.shape[0]
        self.b = check_vector("b", b, self.d)
        self.c = check_real("c", c)
        check_symmetric("A", A)
        self.A = 0.5 * A + 0.5 * A.T  # no overflow at |A| ~ 1e308
        eig, U = np.linalg.eigh(self.A)
        check_psd("A", eig)
        tol = _EIG_RTOL * max(1.0, abs(eig[-1])) * self.d
        nonzero = eig > tol
        self._eig = np.where(nonzero, eig, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            coef = U.T @ self.b
            outside = float(np.linalg.norm(coef[~nonzero]))
            b_norm = float(np.linalg.norm(self.b))
        if outside > 1e-8 * max(1.0, b_norm):
            raise ValueError(
                f"argument 'b' is not in range(A): its component in the null space of A has norm "
                f"{outside:.3g}, so f is unbounded below (f^inf = -inf)"
            )
        self._range, self._range_eig = U[:, nonzero], eig[nonzero]
        with np.errstate(over="ignore", invalid="ignore"):
            self._x_star = self.pinv_apply(self.b)
            finite = np.isfinite(self._x_star).all() and np.isfinite(self.inf)
        if not finite:
            raise ValueError(
                "arguments 'A', 'b', 'c': the minimiser A^+ b or f^inf overflows double precision "
                f"(max |b| = {np.max(np.abs(self.b)):.3g}, smallest nonzero eigenvalue "
                f"{self._range_eig.min():.3g})"
            )

    @property
    def L(self) -> float:
        """``L_f = lambda_max(A)``."""
        return float(self._eig[-1])

    @property
    def mu(self) -> float:
        """``mu_f = lambda_min(A)`` (0 when ``A`` is singular)."""
        return float(self._eig[0])

    @finite_result("x")
    def value(self, x) -> float:
        """``1/2 x^T A x - b^T x + c``."""
        x = check_vector("x", x, self.d)
        return float(0.5 * x @ self.A @ x - self.b @ x + self.c)

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        """``A x - b``."""
        return self.A @ check_vector("x", x, self.d) - self.b

    @finite_result("x")
    def hessian(self, x) -> np.ndarray:
        """``A``."""
        check_vector("x", x, self.d)
        return self.A.copy()

    @finite_result("Y")
    def values_and_grads(self, Y) -> tuple[np.ndarray, np.ndarray]:
        Y = check_array("Y", Y, 2, (-1, self.d))
        AY = Y @ self.A
        return 0.5 * np.einsum("ri,ri->r", AY, Y) - Y @ self.b + self.c, AY - self.b

    def quadratic_form(self) -> QuadraticForm:
        """``(A, b, c)``."""
        return QuadraticForm(self.A, self.b, self.c)

    def kernel_pack(self, v: np.ndarray) -> QuadraticPack:
        """``(A, A v - b, v)`` for the ``O(K^2)`` kernel."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        return QuadraticPack(np.ascontiguousarray(self.A), self.A @ v - self.b, v)

    def pinv_apply(self, g) -> np.ndarray:
        """``A^+ g`` from the eigendecomposition computed at construction."""
        return self._range @ ((self._range.T @ g) / self._range_eig)

    def argmin(self) -> np.ndarray:
        """``x* = A^+ b``."""
        return self._x_star.copy()

    @property
    def inf(self) -> float:
        """``f^inf = c - 1/2 b^T A^+ b``."""
        return float(self.c - 0.5 * self.b @ self._x_star)

    def __repr__(self) -> str:
        return f"Quadratic(d={self.d}, L={self.L:.4g}, mu={self.mu:.4g})"
