"""l2-regularised logistic regression (THEORY.md §2), dense or scipy.sparse data."""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.special import expit

from .._kernels import (
    csc_scratch,
    logistic_csc_scratch_kernel,
    logistic_csr_batch_kernel,
    logistic_dense_batch_kernel,
    logistic_dense_kernel,
    register_kernels,
)
from .._validation import check_array, check_data_scale, check_real, check_vector, finite_result
from ..solvers import minimize_lbfgs, minimize_weighted_logistic
from .base import FiniteSum


class LogisticSparsePack(NamedTuple):
    """Kernel arrays of sparse data at shift ``v``: CSC (exact oracle) and CSR (minibatches),
    and the exact kernel's scratch (``dm``, ``touched``, ``rows`` of ``csc_scratch(n)``; the
    bitmap ``touched`` stays clear between calls; one pack serves one thread at a time)."""

    csc_ptr: np.ndarray
    csc_idx: np.ndarray
    csc_data: np.ndarray
    csr_ptr: np.ndarray
    csr_idx: np.ndarray
    csr_data: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    lam: float
    v: np.ndarray
    dm: np.ndarray
    touched: np.ndarray
    rows: np.ndarray


class LogisticDensePack(NamedTuple):
    """Kernel arrays of dense data at shift ``v``."""

    X: np.ndarray
    y: np.ndarray
    Xv: np.ndarray
    lam: float
    v: np.ndarray


@njit(cache=True)
def _sparse_exact(pack, x, idx, sc):
    """The column-sparse kernel with the pack's scratch: no O(n) pass at sparse supports (one
    pack serves one thread at a time)."""
    return logistic_csc_scratch_kernel(
        pack.csc_ptr,
        pack.csc_idx,
        pack.csc_data,
        pack.y,
        pack.Xv,
        pack.lam,
        pack.v,
        x,
        idx,
        sc,
        pack.dm,
        pack.touched,
        pack.rows,
    )


@njit(cache=True)
def _sparse_batch(pack, x, idx, sc, rows, pos):
    return logistic_csr_batch_kernel(
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
    return logistic_dense_kernel(pack.X, pack.y, pack.Xv, pack.lam, pack.v, x, idx, sc)


@njit(cache=True)
def _dense_batch(pack, x, idx, sc, rows, pos):
    return logistic_dense_batch_kernel(pack.X, pack.y, pack.Xv, pack.lam, pack.v, x, idx, sc, rows)


register_kernels(LogisticSparsePack, exact=_sparse_exact, minibatch=_sparse_batch)
register_kernels(LogisticDensePack, exact=_dense_exact, minibatch=_dense_batch)


def as_data_matrix(X):
    """Dense float64 C-contiguous array, or a CSR matrix with float64 data and sorted indices."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"argument 'X' has shape {X.shape}; expected a 2-d matrix")
        if X.nnz and not np.all(np.isfinite(X.data)):
            raise ValueError("argument 'X' has a non-finite entry")
        X.sum_duplicates()
        X.sort_indices()
        with np.errstate(over="ignore"):
            check_data_scale("X", float(np.sum(X.data * X.data)))
        return X
    X = np.ascontiguousarray(check_array("X", X, 2))
    with np.errstate(over="ignore"):
        check_data_scale("X", float(np.sum(X * X)))
    return X


class LogisticRegression(FiniteSum):
    """``f(x) = (1/n) sum_i log(1 + exp(-y_i a_i^T x)) + (lam/2) ||x||^2`` (THEORY.md §2).

    ``L_f = lambda_max(X^T X)/(4n) + lam``, ``mu_f = lam``; per sample
    ``f_i(x) = log(1 + exp(-y_i a_i^T x)) + (lam/2)||x||^2``, ``L_i = ||a_i||^2/4 + lam`` and
    ``f_i^inf`` from the 1-D problem along ``y_i a_i``. Sparse data is stored both as CSR (rows,
    minibatches) and CSC (the column-sparse kernel).

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, d)
        The data ``a_i`` as rows.
    y : array_like, shape (n,)
        Labels in ``{-1, +1}``.
    lam : float
        Regularisation ``lam > 0``.

    Raises
    ------
    ValueError
        Empty or non-finite data, labels outside ``{-1, +1}``, ``lam <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.LogisticRegression(np.array([[1.0, 0.0], [0.0, 2.0]]), [1, -1], lam=0.5)
    >>> f.mu, round(f.value(np.zeros(2)), 6)  # log 2 at x = 0
    (0.5, 0.693147)
    """

    def __init__(self, X, y, lam: float):
        self.X = as_data_matrix(X)
        self.is_sparse = sp.issparse(self.X)
        n, d = self.X.shape
        if n == 0 or d == 0:
            raise ValueError(f"argument 'X' has shape {self.X.shape}; it must be non-empty")
        if np.asarray(y).dtype == bool:
            raise TypeError("argument 'y' is a bool array; labels must be the numbers -1 or +1")
        y = check_vector("y", y, n)
        if not np.all((y == 1.0) | (y == -1.0)):
            bad = y[(y != 1.0) & (y != -1.0)][0]
            raise ValueError(f"argument 'y' has label {float(bad)!r}; labels must be -1 or +1")
        self.y = y
        self.lam = check_real("lam", lam, positive=True)
        self.n_samples = n
        self.d = d
        self.X_csc = self.X.tocsc() if self.is_sparse else None
        if self.is_sparse:
            self.X_csc.sort_indices()

    def _margins(self, x: np.ndarray, rows=None) -> np.ndarray:
        """``y_i a_i^T x`` for all samples (or the given rows)."""
        if rows is None:
            return self.y * (self.X @ x)
        return self.y[rows] * (self.X[rows] @ x)

    @finite_result("x")
    def value(self, x) -> float:
        """``f(x)``, with ``log(1 + e^{-z})`` evaluated as ``logaddexp(0, -z)``."""
        x = check_vector("x", x, self.d)
        return float(np.mean(np.logaddexp(0.0, -self._margins(x))) + 0.5 * self.lam * x @ x)

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        """``-(1/n) sum_i y_i sigma(-y_i a_i^T x) a_i + lam x``."""
        x = check_vector("x", x, self.d)
        r = -self.y * expit(-self._margins(x)) / self.n_samples
        return np.asarray(self.X.T @ r).ravel() + self.lam * x

    @finite_result("x")
    def hessian(self, x) -> np.ndarray:
        """``(1/n) X^T Diag(sigma (1 - sigma)) X + lam I``."""
        x = check_vector("x", x, self.d)
        sig = expit(self._margins(x))
        c = sig * (1.0 - sig) / self.n_samples
        H = (
            (self.X.T @ sp.diags(c) @ self.X).toarray()
            if self.is_sparse
            else (self.X.T @ (c[:, None] * self.X))
        )
        H[np.diag_indices_from(H)] += self.lam
        return H

    @finite_result("Y")
    def values_and_grads(self, Y) -> tuple[np.ndarray, np.ndarray]:
        """``f`` and ``grad f`` at every row of ``Y``, with one product ``X Y^T``."""
        Y = check_array("Y", Y, 2, (-1, self.d))
        margins = self.y[:, None] * np.asarray(self.X @ Y.T)
        loss = np.mean(np.logaddexp(0.0, -margins), axis=0)
        vals = loss + 0.5 * self.lam * np.sum(Y**2, axis=1)
        r = -self.y[:, None] * expit(-margins) / self.n_samples
        return vals, np.asarray(self.X.T @ r).T + self.lam * Y

    @finite_result("x")
    def batch_value(self, x, rows) -> float:
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        return float(np.mean(np.logaddexp(0.0, -self._margins(x, rows))) + 0.5 * self.lam * x @ x)

    @finite_result("x")
    def batch_grad(self, x, rows) -> np.ndarray:
        x = check_vector("x", x, self.d)
        rows = self._check_rows(rows)
        r = -self.y[rows] * expit(-self._margins(x, rows)) / rows.size
        return np.asarray(self.X[rows].T @ r).ravel() + self.lam * x

    def kernel_pack(self, v: np.ndarray) -> LogisticSparsePack | LogisticDensePack:
        """The CSC/CSR arrays (sparse) or ``X`` (dense), ``y``, ``X v``, ``lam`` and ``v``; for
        sparse data also the scratch of the column-sparse kernel (``csc_scratch``)."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        Xv = np.asarray(self.X @ v, dtype=np.float64).ravel()
        if self.is_sparse:
            C, R = self.X_csc, self.X
            return LogisticSparsePack(
                C.indptr.astype(np.int64),
                C.indices.astype(np.int64),
                C.data,
                R.indptr.astype(np.int64),
                R.indices.astype(np.int64),
                R.data,
                self.y,
                Xv,
                self.lam,
                v,
                *csc_scratch(self.n_samples),
            )
        return LogisticDensePack(self.X, self.y, Xv, self.lam, v)

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

    def weighted_terms(self, atoms: np.ndarray, weights: np.ndarray, v: np.ndarray) -> tuple:
        """``sum_k pi_k f(v + s_k * (x - v))`` as a weighted logistic model of ``mastref.solvers``.

        Returns ``(Z, w, Q, q, offset)``: atom ``k`` contributes rows ``y_i (a_i * s_k)``, offsets
        ``y_i a_i^T (v - s_k * v)`` and weights ``pi_k / n``; the regulariser
        ``(lam/2) sum_k pi_k ||v + s_k * (x - v)||^2`` gives ``Q = lam E_pi[s^2]`` and
        ``q = lam (E_pi[s] - E_pi[s^2]) * v`` (up to a constant), with ``E_pi`` the weighted
        mean over the atoms: ``E_pi[s] = 1`` for a law's exact support, not for a sample of it
        (``MAST.saa_solution``), where the form with 1 in its place minimised another function.
        """
        n = self.n_samples
        blocks, offsets = [], []
        for s in atoms:
            Xs = self.X @ sp.diags(s) if self.is_sparse else self.X * s
            blocks.append(sp.diags(self.y) @ Xs if self.is_sparse else self.y[:, None] * Xs)
            offsets.append(self.y * np.asarray(self.X @ (v - s * v)).ravel())
        Z = sp.vstack(blocks, format="csr") if self.is_sparse else np.vstack(blocks)
        Es, Es2 = weights @ atoms, weights @ (atoms * atoms)
        w = np.repeat(weights / n, n)
        return Z, w, self.lam * Es2, self.lam * (Es - Es2) * v, np.concatenate(offsets)

    def minimize_sketched(self, atoms, weights, v):
        """Newton's method on ``weighted_terms`` from ``x*`` (``minimize_weighted_logistic``
        with ``x0``; cvxpy's interior point only if Newton stalls): ``F`` is strongly convex on
        the kept coordinates, so damped Newton converges from anywhere, to round-off.

        A coordinate that no atom keeps (``s_kj = 0`` for every ``k``: a sample of a sparse law
        can miss one, ``MAST.saa_solution``) does not enter ``F`` at all; it is left at ``v_j``
        and the rest is solved (with it, the Hessian was singular and Newton's Cholesky
        failed).
        """
        Z, w, Q, q, offset = self.weighted_terms(atoms, weights, v)
        kept = np.flatnonzero(np.any(atoms != 0, axis=0))
        x = np.array(v, dtype=float)
        if kept.size:
            Zk = Z[:, kept]
            x[kept], gnorm = minimize_weighted_logistic(
                Zk, w, Q[kept], q[kept], offset=offset, x0=self.argmin()[kept]
            )
        else:
            gnorm = 0.0
        return x, gnorm

    #: Largest ``d`` for the cvxpy + Newton ERM path (dense ``d x d`` Hessian); above it
    #: L-BFGS with the strong-convexity certificate (``solution_gradient_norm``).
    newton_limit: int = 2000

    @cached_property
    def _solution(self) -> tuple[np.ndarray, float]:
        n = self.n_samples
        if self.d > self.newton_limit:
            x, value, _ = minimize_lbfgs(self._value_and_grad, np.zeros(self.d), mu=self.lam)
            return x, value
        Z = (sp.diags(self.y) @ self.X) if self.is_sparse else self.y[:, None] * self.X
        x, _ = minimize_weighted_logistic(
            Z, np.full(n, 1.0 / n), np.full(self.d, self.lam), np.zeros(self.d)
        )
        return x, self.value(x)

    def _value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(x)`` and ``grad f(x)`` with one product ``X x`` (no input checks: solver loop)."""
        z = self.y * (self.X @ x)
        r = -self.y * expit(-z) / self.n_samples
        value = float(np.mean(np.logaddexp(0.0, -z)) + 0.5 * self.lam * x @ x)
        return value, np.asarray(self.X.T @ r).ravel() + self.lam * x

    def argmin(self) -> np.ndarray:
        """``x*``: cvxpy (Clarabel) polished by Newton's method to machine precision for
        ``d <= newton_limit``; L-BFGS above it, certified by ``||x - x*|| <= ||grad f(x)|| / lam``
        (``solution_gradient_norm``)."""
        return self._solution[0].copy()

    @cached_property
    def solution_gradient_norm(self) -> float:
        """``||grad f(x_hat)||`` at the returned ``argmin()``: ``f(x_hat) - f^inf <= g^2/(2 lam)``
        and ``||x_hat - x*|| <= g / lam`` (strong convexity)."""
        return float(np.linalg.norm(self._value_and_grad(self._solution[0])[1]))

    @property
    def inf(self) -> float:
        """``f^inf = f(x*)``."""
        return self._solution[1]

    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        return f"LogisticRegression(n={self.n_samples}, d={self.d}, lam={self.lam:g}, {kind})"


def logistic_1d_inf(r: np.ndarray, lam: float) -> np.ndarray:
    """``min_t phi(t)``, ``phi(t) = log(1 + exp(-t r)) + (lam/2) r t^2``, for each ``r >= 0``.

    The per-sample infimum ``f_i^inf`` of the l2-regularised logistic loss along ``a_i``
    (THEORY.md §2, Delta^data). In the margin ``u = t r`` and with ``c = lam / r``,
    ``phi = softplus(-u) + (c/2) u^2`` and the minimiser solves ``c u = sigma(-u)``, i.e.
    ``h(z) = log c + z + softplus(e^z) = 0`` for ``z = log u``. ``h`` is increasing and convex
    (``h' = 1 + u sigma(u)``), so Newton's method started right of the root converges
    monotonically; the start ``u = min(1/(2c), max(1, log(1/c)))`` is right of it (there
    ``c u >= sigma(-u)``). Working with ``log c = log lam - log r`` keeps every ``lam`` in
    ``[1e-300, 1e6]`` in range, and the value ``softplus(-u) + u sigma(-u)/2`` (using the
    optimality condition) has no cancellation. The solve runs in ``np.longdouble``: in double
    precision the rounding of ``log c`` (up to ~700) alone limits the relative error to ~3e-13;
    with x86's 80-bit long double the measured error against a 50-digit mpmath reference is a
    few ulp over ``lam`` in ``[1e-300, 1e6]`` (tests/test_logistic_inf.py asserts ``1e-12``,
    which holds where ``longdouble`` is ``double``). ``r = 0`` gives ``log 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.problems import logistic_1d_inf
    >>> float(logistic_1d_inf(np.array([0.0]), 1.0)[0]) == float(np.log(2))
    True
    >>> v = logistic_1d_inf(np.array([1.0]), 1e-300)[0]  # u ~ 685: tiny but exact
    >>> bool(1e-296 < v < 1e-294)
    True
    """
    r = check_array("r", r, np.ndim(r)) if np.ndim(r) else check_array("r", np.atleast_1d(r), 1)
    lam = check_real("lam", lam, positive=True)
    if np.any(r < 0):
        raise ValueError("argument 'r' (squared row norms) must be >= 0")
    out = np.full(r.shape, np.log(2.0))
    pos = r > 0
    if not pos.any():
        return out
    ld = np.longdouble  # |log c| reaches 700: its rounding, not the solve, limits the accuracy
    log_c = np.log(ld(lam)) - np.log(r[pos].astype(ld))
    u = np.minimum(0.5 * np.exp(-log_c), np.maximum(ld(1), -log_c))
    z = np.log(u)
    tol = 4 * np.finfo(ld).eps
    for _ in range(100):  # monotone Newton: a handful of steps from the start above
        u = np.exp(z)
        step = (log_c + z + np.logaddexp(ld(0), u)) / (1 + u * expit(u))
        z = z - step
        if np.all(np.abs(step) <= tol * np.maximum(1, np.abs(z))):
            break
    u = np.exp(z)
    out[pos] = (np.logaddexp(ld(0), -u) + u * expit(-u) / 2).astype(float)
    return out
