"""l2-regularised least squares from data (a finite sum with a quadratic form)."""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from .._kernels import (
    least_squares_csc_kernel,
    least_squares_csr_batch_kernel,
    least_squares_dense_batch_kernel,
    least_squares_dense_kernel,
    register_kernels,
)
from .._validation import (
    MissingCapability,
    check_array,
    check_data_scale,
    check_real,
    check_vector,
    finite_result,
)
from .base import FiniteSum, QuadraticForm
from .logistic import as_data_matrix
from .quadratic import Quadratic

#: Largest d for which the d x d quadratic form (and its eigendecomposition) is formed.
MAX_DENSE_D = 4000


class LeastSquaresSparsePack(NamedTuple):
    """Kernel arrays of sparse data at shift ``v`` (``g0 = X^T (X v - y)``, scratch ``dm``)."""

    csc_ptr: np.ndarray
    csc_idx: np.ndarray
    csc_data: np.ndarray
    csr_ptr: np.ndarray
    csr_idx: np.ndarray
    csr_data: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    g0: np.ndarray
    lam: float
    v: np.ndarray
    dm: np.ndarray


class LeastSquaresDensePack(NamedTuple):
    """Kernel arrays of dense data at shift ``v``."""

    X: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    g0: np.ndarray
    lam: float
    v: np.ndarray


@njit(cache=True)
def _sparse_exact(pack, x, idx, sc):
    return least_squares_csc_kernel(
        pack.csc_ptr,
        pack.csc_idx,
        pack.csc_data,
        pack.g0,
        pack.lam,
        pack.y.shape[0],
        pack.v,
        x,
        idx,
        sc,
        pack.dm,
    )


@njit(cache=True)
def _sparse_batch(pack, x, idx, sc, rows, pos):
    return least_squares_csr_batch_kernel(
        pack.csr_ptr,
        pack.csr_idx,
        pack.csr_data,
        pack.y,
        pack.Xv,
        pack.lam,
        pack.v,
        x,
        idx,
        sc,
        rows,
        pos,
    )


@njit(cache=True)
def _dense_exact(pack, x, idx, sc):
    return least_squares_dense_kernel(pack.X, pack.g0, pack.lam, pack.v, x, idx, sc)


@njit(cache=True)
def _dense_batch(pack, x, idx, sc, rows, pos):
    return least_squares_dense_batch_kernel(
        pack.X, pack.y, pack.Xv, pack.lam, pack.v, x, idx, sc, rows
    )


register_kernels(LeastSquaresSparsePack, exact=_sparse_exact, minibatch=_sparse_batch)
register_kernels(LeastSquaresDensePack, exact=_dense_exact, minibatch=_dense_batch)


class LeastSquares(FiniteSum):
    """``f(x) = 1/(2n) ||X x - y||^2 + (lam/2) ||x||^2`` from dense or sparse data.

    A finite sum of ``f_i(x) = 1/2 (a_i^T x - y_i)^2 + (lam/2)||x||^2`` and a quadratic with
    ``A = X^T X / n + lam I``, ``b = X^T y / n``, ``c = ||y||^2/(2n)`` (so every closed form of
    THEORY.md §2 for quadratics applies). Closed-form constants:
    ``L_f = lambda_max(X^T X)/n + lam``, ``mu_f = lambda_min(X^T X)/n + lam``,
    ``L_i = ||a_i||^2 + lam`` and
    ``f_i^inf = y_i^2 lam / (2 (||a_i||^2 + lam))`` (minimum along ``a_i``; ``y_i^2/2`` when
    ``a_i = 0`` and ``lam = 0``).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, d)
        The data ``a_i`` as rows.
    y : array_like, shape (n,)
        Real targets.
    lam : float
        Regularisation ``lam >= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.LeastSquares(np.array([[1.0, 0.0], [0.0, 2.0]]), [1.0, 2.0], lam=0.0)
    >>> f.L, f.mu, f.argmin(), f.inf
    (2.0, 0.5, array([1., 1.]), 0.0)
    """

    def __init__(self, X, y, lam: float = 0.0):
        self.X = as_data_matrix(X)
        self.is_sparse = sp.issparse(self.X)
        n, d = self.X.shape
        if n == 0 or d == 0:
            raise ValueError(f"argument 'X' has shape {self.X.shape}; it must be non-empty")
        self.y = check_vector("y", y, n)
        with np.errstate(over="ignore"):
            check_data_scale("y", float(self.y @ self.y))
            X2 = self.X.multiply(self.X).sum() if self.is_sparse else np.sum(self.X**2)
            check_data_scale("X' and 'y", float(X2) * float(self.y @ self.y))  # |X^T y|^2
        self.lam = check_real("lam", lam, nonnegative=True)
        self.n_samples = n
        self.d = d
        self.X_csc = self.X.tocsc() if self.is_sparse else None
        if self.is_sparse:
            self.X_csc.sort_indices()

    # ---- the quadratic form -------------------------------------------------------------

    def _gram(self) -> np.ndarray:
        G = self.X.T @ self.X
        return G.toarray() if sp.issparse(G) else np.asarray(G)

    @cached_property
    def _quadratic(self) -> Quadratic:
        if self.d > MAX_DENSE_D:
            raise MissingCapability(
                f"{self!r}: the {self.d} x {self.d} quadratic form needs "
                f"{8 * self.d**2 / 1e9:.2g} GB; it is formed only for d <= {MAX_DENSE_D}"
            )
        n = self.n_samples
        A = self._gram() / n + self.lam * np.eye(self.d)
        b = np.asarray(self.X.T @ self.y).ravel() / n
        return Quadratic(A, b, float(self.y @ self.y) / (2 * n))

    def quadratic_form(self) -> QuadraticForm:
        """``(X^T X/n + lam I, X^T y/n, ||y||^2/(2n))``."""
        return self._quadratic.quadratic_form()

    # ---- values -------------------------------------------------------------------------

    @finite_result("x")
    def value(self, x) -> float:
        """``1/(2n) ||X x - y||^2 + (lam/2)||x||^2``."""
        x = check_vector("x", x, self.d)
        r = np.asarray(self.X @ x).ravel() - self.y
        return float(0.5 * r @ r / self.n_samples + 0.5 * self.lam * x @ x)

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        """``X^T (X x - y)/n + lam x``."""
        x = check_vector("x", x, self.d)
        r = np.asarray(self.X @ x).ravel() - self.y
        return np.asarray(self.X.T @ r).ravel() / self.n_samples + self.lam * x

    @finite_result("x")
    def hessian(self, x) -> np.ndarray:
        """``X^T X / n + lam I``."""
        check_vector("x", x, self.d)
        return self._gram() / self.n_samples + self.lam * np.eye(self.d)

    @finite_result("Y")
    def values_and_grads(self, Y) -> tuple[np.ndarray, np.ndarray]:
        Y = check_array("Y", Y, 2, (-1, self.d))
        R = np.asarray(self.X @ Y.T) - self.y[:, None]
        vals = 0.5 * np.sum(R * R, axis=0) / self.n_samples + 0.5 * self.lam * np.sum(Y**2, axis=1)
        return vals, np.asarray(self.X.T @ R).T / self.n_samples + self.lam * Y

    @finite_result("x")
    def batch_value(self, x, rows) -> float:
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        r = np.asarray(self.X[rows] @ x).ravel() - self.y[rows]
        return float(0.5 * r @ r / rows.size + 0.5 * self.lam * x @ x)

    @finite_result("x")
    def batch_grad(self, x, rows) -> np.ndarray:
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        r = np.asarray(self.X[rows] @ x).ravel() - self.y[rows]
        return np.asarray(self.X[rows].T @ r).ravel() / rows.size + self.lam * x

    def kernel_pack(self, v: np.ndarray) -> LeastSquaresSparsePack | LeastSquaresDensePack:
        """The CSC/CSR arrays (sparse) or ``X`` (dense), ``y``, ``X v``, ``X^T (X v - y)``."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        Xv = np.asarray(self.X @ v, dtype=np.float64).ravel()
        g0 = np.asarray(self.X.T @ (Xv - self.y), dtype=np.float64).ravel()
        if self.is_sparse:
            C, R = self.X_csc, self.X
            return LeastSquaresSparsePack(
                C.indptr.astype(np.int64),
                C.indices.astype(np.int64),
                C.data,
                R.indptr.astype(np.int64),
                R.indices.astype(np.int64),
                R.data,
                self.y,
                Xv,
                g0,
                self.lam,
                v,
                np.zeros(self.n_samples),
            )
        return LeastSquaresDensePack(self.X, self.y, Xv, g0, self.lam, v)

    # ---- constants ----------------------------------------------------------------------

    @cached_property
    def _row_norms2(self) -> np.ndarray:
        if self.is_sparse:
            return np.asarray(self.X.multiply(self.X).sum(axis=1)).ravel()
        return np.einsum("ij,ij->i", self.X, self.X)

    @cached_property
    def _gram_extremes(self) -> tuple[float, float]:
        if self.d <= MAX_DENSE_D:
            eig = np.linalg.eigvalsh(self._gram())
            return float(max(eig[0], 0.0)), float(eig[-1])
        top = sp.linalg.svds(sp.csr_matrix(self.X), k=1, return_singular_vectors=False)[0]
        return 0.0, float(top**2)  # lambda_min not computed: 0 is a valid lower bound

    @property
    def L(self) -> float:
        """``L_f = lambda_max(X^T X)/n + lam``."""
        return self._gram_extremes[1] / self.n_samples + self.lam

    @property
    def mu(self) -> float:
        """``mu_f = lambda_min(X^T X)/n + lam`` (``lam`` when ``d > MAX_DENSE_D``)."""
        return self._gram_extremes[0] / self.n_samples + self.lam

    @property
    def L_i(self) -> np.ndarray:
        """``||a_i||^2 + lam``."""
        return self._row_norms2 + self.lam

    @property
    def inf_i(self) -> np.ndarray:
        """``f_i^inf = y_i^2 lam / (2 (||a_i||^2 + lam))`` (``y_i^2 / 2`` if both vanish)."""
        denom = self._row_norms2 + self.lam
        ratio = np.divide(self.lam, denom, out=np.ones_like(denom), where=denom > 0)
        return 0.5 * self.y**2 * ratio

    def argmin(self) -> np.ndarray:
        """``x* = A^+ b`` of the quadratic form."""
        return self._quadratic.argmin()

    @property
    def inf(self) -> float:
        """``f^inf = c - 1/2 b^T A^+ b``."""
        return self._quadratic.inf

    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        return f"LeastSquares(n={self.n_samples}, d={self.d}, lam={self.lam:g}, {kind})"
