"""The two problem classes of the paper: quadratics and l2-regularised logistic regression.

THEORY.md §2. Each problem exposes ``value(x)``, ``grad(x)``, the constants ``L`` (``L_f``) and
``mu`` (``mu_f``), the optimal value ``inf`` (``f^inf``), ``argmin()`` and ``n_features``.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._validation import check_array, check_real, check_symmetric_psd, check_vector
from .solvers import minimize_weighted_logistic

#: Relative tolerance below which an eigenvalue of ``A`` counts as zero.
_EIG_RTOL = 1e-12


class Quadratic:
    """``f(x) = 1/2 x^T A x - b^T x + c``, ``A`` symmetric PSD, ``b in range(A)`` (THEORY.md §2).

    ``L_f = lambda_max(A)``, ``mu_f = lambda_min(A)``, ``f^inf = c - 1/2 b^T A^+ b``,
    ``x* = A^+ b`` (the minimum-norm minimiser when ``A`` is singular).
    ``b`` outside ``range(A)`` makes ``f`` unbounded below and is rejected.
    """

    def __init__(self, A, b, c: float = 0.0):
        A = check_array("A", A, 2)
        if A.size == 0:
            raise ValueError(f"argument 'A' has shape {A.shape}; it must be non-empty")
        check_symmetric_psd("A", A)
        self.A = 0.5 * (A + A.T)
        self.d = A.shape[0]
        self.b = check_vector("b", b, self.d)
        self.c = check_real("c", c)
        eig, U = np.linalg.eigh(self.A)
        tol = _EIG_RTOL * max(1.0, abs(eig[-1])) * self.d
        nonzero = eig > tol
        self._eig = np.where(nonzero, eig, 0.0)
        coef = U.T @ self.b
        outside = float(np.linalg.norm(coef[~nonzero]))
        if outside > 1e-8 * max(1.0, float(np.linalg.norm(self.b))):
            raise ValueError(
                f"argument 'b' is not in range(A): its component in the null space of A has norm "
                f"{outside:.3g}, so f is unbounded below (f^inf = -inf)"
            )
        self._range, self._range_eig = U[:, nonzero], eig[nonzero]
        self._x_star = self.pinv_apply(self.b)

    @property
    def n_features(self) -> int:
        return self.d

    @property
    def L(self) -> float:
        """``L_f = lambda_max(A)``."""
        return float(self._eig[-1])

    @property
    def mu(self) -> float:
        """``mu_f = lambda_min(A)`` (0 when ``A`` is singular)."""
        return float(self._eig[0])

    def value(self, x) -> float:
        """``1/2 x^T A x - b^T x + c``."""
        x = check_vector("x", x, self.d)
        return float(0.5 * x @ self.A @ x - self.b @ x + self.c)

    def grad(self, x) -> np.ndarray:
        """``A x - b``."""
        return self.A @ check_vector("x", x, self.d) - self.b

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


def _as_data_matrix(X):
    """Dense float64 C-contiguous array, or a CSR matrix with float64 data and sorted indices."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"argument 'X' has shape {X.shape}; expected a 2-d matrix")
        if X.nnz and not np.all(np.isfinite(X.data)):
            raise ValueError("argument 'X' has a non-finite entry")
        X.sum_duplicates()
        X.sort_indices()
        return X
    return np.ascontiguousarray(check_array("X", X, 2))


class LogisticRegression:
    """``f(x) = (1/n) sum_i log(1 + exp(-y_i a_i^T x)) + (lam/2) ||x||^2`` (THEORY.md §2).

    ``X`` is the ``n x d`` data matrix (dense, or scipy.sparse: stored both as CSR for rows and
    minibatches and as CSC for the column-sparse kernels), ``y`` the labels in ``{-1, +1}``,
    ``lam > 0`` the regularisation. ``L_f = lambda_max(X^T X)/(4n) + lam``, ``mu_f = lam``;
    per sample ``f_i(x) = log(1 + exp(-y_i a_i^T x)) + (lam/2)||x||^2``,
    ``L_i = ||a_i||^2/4 + lam`` and ``f_i^inf`` from the 1-D problem along ``y_i a_i``.
    """

    def __init__(self, X, y, lam: float):
        self.X = _as_data_matrix(X)
        self.is_sparse = sp.issparse(self.X)
        n, d = self.X.shape
        if n == 0 or d == 0:
            raise ValueError(f"argument 'X' has shape {self.X.shape}; it must be non-empty")
        y = check_vector("y", y, n)
        if not np.all((y == 1.0) | (y == -1.0)):
            bad = y[(y != 1.0) & (y != -1.0)][0]
            raise ValueError(f"argument 'y' has label {bad!r}; labels must be -1 or +1")
        self.y = y
        self.lam = check_real("lam", lam, positive=True)
        self.n_samples = n
        self.d = d
        self.X_csc = self.X.tocsc() if self.is_sparse else None
        if self.is_sparse:
            self.X_csc.sort_indices()

    @property
    def n_features(self) -> int:
        return self.d

    def _margins(self, x: np.ndarray, rows=None) -> np.ndarray:
        """``y_i a_i^T x`` for all samples (or the given rows)."""
        if rows is None:
            return self.y * (self.X @ x)
        return self.y[rows] * (self.X[rows] @ x)

    def value(self, x) -> float:
        """``f(x)``, with ``log(1 + e^{-z})`` evaluated as ``logaddexp(0, -z)``."""
        x = check_vector("x", x, self.d)
        return float(np.mean(np.logaddexp(0.0, -self._margins(x))) + 0.5 * self.lam * x @ x)

    def grad(self, x) -> np.ndarray:
        """``-(1/n) sum_i y_i sigma(-y_i a_i^T x) a_i + lam x``."""
        x = check_vector("x", x, self.d)
        r = -self.y * expit(-self._margins(x)) / self.n_samples
        return np.asarray(self.X.T @ r).ravel() + self.lam * x

    def _check_rows(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError("argument 'rows' must be a non-empty 1-d array of sample indices")
        if rows.min() < 0 or rows.max() >= self.n_samples:
            raise ValueError(f"argument 'rows' has an index outside [0, {self.n_samples - 1}]")
        return rows

    def batch_value(self, x, rows) -> float:
        """``(1/|B|) sum_{i in B} f_i(x)`` for the sample indices ``rows``."""
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        return float(np.mean(np.logaddexp(0.0, -self._margins(x, rows))) + 0.5 * self.lam * x @ x)

    def batch_grad(self, x, rows) -> np.ndarray:
        """``(1/|B|) sum_{i in B} grad f_i(x)`` for the sample indices ``rows``."""
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        r = -self.y[rows] * expit(-self._margins(x, rows)) / rows.size
        return np.asarray(self.X[rows].T @ r).ravel() + self.lam * x

    @cached_property
    def _row_norms2(self) -> np.ndarray:
        if self.is_sparse:
            return np.asarray(self.X.multiply(self.X).sum(axis=1)).ravel()
        return np.einsum("ij,ij->i", self.X, self.X)

    @cached_property
    def L(self) -> float:
        """``L_f = lambda_max(X^T X)/(4n) + lam`` (exact eigenvalue; Lanczos for d > 2000)."""
        if self.d <= 2000:
            G = self.X.T @ self.X
            G = G.toarray() if sp.issparse(G) else G
            top = float(np.linalg.eigvalsh(G)[-1])
        else:
            top = float(
                sp.linalg.svds(
                    sp.csr_matrix(self.X), k=1, return_singular_vectors=False, tol=1e-12
                )[0]
                ** 2
            )
        return top / (4.0 * self.n_samples) + self.lam

    @property
    def mu(self) -> float:
        """``mu_f = lam``."""
        return self.lam

    @property
    def L_i(self) -> np.ndarray:
        """Per-sample smoothness ``||a_i||^2/4 + lam``."""
        return self._row_norms2 / 4.0 + self.lam

    @cached_property
    def inf_i(self) -> np.ndarray:
        """``f_i^inf = min_t log(1 + exp(-t r)) + (lam/2) t^2 r``, ``r = ||a_i||^2`` (§2)."""
        r_unique, inverse = np.unique(self._row_norms2, return_inverse=True)
        return logistic_1d_inf(r_unique, self.lam)[inverse]

    @cached_property
    def _solution(self) -> tuple[np.ndarray, float]:
        n = self.n_samples
        Z = (sp.diags(self.y) @ self.X) if self.is_sparse else self.y[:, None] * self.X
        x, _ = minimize_weighted_logistic(
            Z, np.full(n, 1.0 / n), np.full(self.d, self.lam), np.zeros(self.d)
        )
        return x, self.value(x)

    def argmin(self) -> np.ndarray:
        """``x*`` by cvxpy (Clarabel), polished by Newton's method to machine precision."""
        return self._solution[0].copy()

    @property
    def inf(self) -> float:
        """``f^inf = f(x*)``."""
        return self._solution[1]

    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        return f"LogisticRegression(n={self.n_samples}, d={self.d}, lam={self.lam:g}, {kind})"


def logistic_1d_inf(r: np.ndarray, lam: float) -> np.ndarray:
    """``min_t phi(t)``, ``phi(t) = log(1 + exp(-t r)) + (lam/2) r t^2``, for each ``r >= 0``.

    ``phi'(t) = r (lam t - sigma(-t r))`` is increasing, negative at ``t = 0`` and nonnegative at
    ``t = 1/(2 lam)``, so the minimiser is the root in ``[0, 1/(2 lam)]``; bisection brackets it and
    Newton's method polishes it. ``r = 0`` gives ``log 2``.
    """
    r = np.asarray(r, dtype=float)
    lo = np.zeros_like(r)
    hi = np.full_like(r, 0.5 / lam)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        neg = lam * mid - expit(-mid * r) < 0
        lo = np.where(neg, mid, lo)
        hi = np.where(neg, hi, mid)
    t = 0.5 * (lo + hi)
    for _ in range(3):
        sig = expit(-t * r)
        t = t - (lam * t - sig) / (lam + r * sig * (1.0 - sig))
    t = np.clip(t, lo, hi)
    return np.logaddexp(0.0, -t * r) + 0.5 * lam * r * t * t
