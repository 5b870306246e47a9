"""Loop-level numba kernels for the sketched gradient ``grad f_S(x) = s * grad f(v + s*(x - v))``.

THEORY.md §2 ("Cost of a sketched gradient"). A diagonal sketch sample is passed as its support
``idx`` (``C``, int64) and the scales ``sc = s[C]``. Since ``y = v + s*(x - v)`` differs from ``v``
only on ``C`` and the gradient vanishes off ``C``, every kernel returns the ``K = |C|`` gradient
entries on ``C`` and costs

* logistic, CSC data, ``X v`` cached: ``O(nnz(X[:, C]))`` arithmetic, sigmoids only for the
  rows meeting C, plus an O(n) byte scan;
* logistic, CSR data: ``O(nnz(X) + n)`` (rows must be scanned; use CSC when ``K << d``);
* logistic, dense data: ``O(n K)``;
* quadratic, ``g_v = A v - b`` cached: ``O(K^2)``.

Each kernel ``*_kernel`` has a plain NumPy reference ``*_reference`` computed from the full
``d``-vector formula; the tests compare the two to 1e-12 relative error.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import expit


@njit(cache=True)
def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@njit(cache=True)
def _residual_weights(margins, y, n):
    """``r_i = -y_i sigma(-y_i m_i) / n`` in place of ``margins``."""
    for i in range(margins.shape[0]):
        margins[i] = -y[i] * _sigmoid(-y[i] * margins[i]) / n


@njit(cache=True)
def logistic_csc_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc):
    """Sketched logistic gradient on ``C`` from CSC arrays of ``X``.

    Only the rows that meet ``C`` change their margin ``Xv_i + X[i, C] (s_C * h_C)`` and only
    they contribute to the gradient on ``C``, so the sigmoid is evaluated for those rows alone:
    ``O(nnz(X[:, C]))`` arithmetic plus a sequential byte scan of length ``n`` (cheaper than
    tracking a list of touched rows, measured in ``benchmarks``).
    """
    n = Xv.shape[0]
    K = idx.shape[0]
    dm = np.zeros(n)
    seen = np.zeros(n, dtype=np.bool_)
    for t in range(K):
        j = idx[t]
        u = sc[t] * (x[j] - v[j])
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            dm[i] += data[p] * u
            seen[i] = True
    for i in range(n):  # dm[i] becomes the residual weight r_i of a row meeting C
        if seen[i]:
            dm[i] = -y[i] * _sigmoid(-y[i] * (Xv[i] + dm[i])) / n
    out = np.empty(K)
    for t in range(K):
        j = idx[t]
        g = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            g += data[p] * dm[indices[p]]
        out[t] = sc[t] * (g + lam * (v[j] + sc[t] * (x[j] - v[j])))
    return out


@njit(cache=True)
def logistic_csr_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, d):
    """Sketched logistic gradient on ``C`` from CSR arrays of ``X``, in ``O(nnz(X) + n + d)``:
    the minibatch kernel with every row (rows must be scanned to find the entries in ``C``)."""
    rows = np.arange(Xv.shape[0])
    pos = np.full(d, -1, dtype=np.int64)
    return logistic_csr_batch_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos)


@njit(cache=True)
def logistic_dense_kernel(X, y, Xv, lam, v, x, idx, sc):
    """Sketched logistic gradient on ``C`` from a dense ``X``, in ``O(n K)``: the minibatch
    kernel with every row."""
    return logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, np.arange(X.shape[0]))


@njit(cache=True)
def quadratic_kernel(A, g_v, v, x, idx, sc):
    """Sketched quadratic gradient on ``C``: ``s_C * (g_v[C] + A[C, C] (s_C * h_C))``, O(K^2)."""
    K = idx.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    out = np.empty(K)
    for a in range(K):
        i = idx[a]
        acc = g_v[i]
        for c in range(K):
            acc += A[i, idx[c]] * u[c]
        out[a] = sc[a] * acc
    return out


# --------------------------------------------------------------------------------------------
# NumPy references: the full d-vector formula grad f_S(x) = s * grad f(v + s*(x - v)), on C.
# --------------------------------------------------------------------------------------------


def _full_scale(d: int, idx: np.ndarray, sc: np.ndarray) -> np.ndarray:
    s = np.zeros(d)
    s[idx] = sc
    return s


def logistic_reference(X, y, lam, v, x, idx, sc) -> np.ndarray:
    """``(s * grad f(v + s*(x - v)))[C]`` with ``grad f`` of THEORY.md §2, in NumPy/SciPy."""
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    r = -y * expit(-y * (X @ point)) / X.shape[0]
    grad = np.asarray(X.T @ r).ravel() + lam * point
    return (s * grad)[idx]


def quadratic_reference(A, b, v, x, idx, sc) -> np.ndarray:
    """``(s * (A (v + s*(x - v)) - b))[C]``."""
    s = _full_scale(x.shape[0], idx, sc)
    return (s * (A @ (v + s * (x - v)) - b))[idx]


# --------------------------------------------------------------------------------------------
# Minibatch (tau-nice) kernels: (1/|B|) sum_{i in B} grad f_i, sketched, on C.
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def logistic_csr_batch_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos):
    """Sketched minibatch logistic gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    ``rows`` are the batch's sample indices; ``pos`` is int64 scratch of length ``d`` filled with
    -1 (restored on return). The regulariser enters once: ``lam * y`` on ``C``.
    """
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        pos[idx[t]] = t
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    for b in range(tau):
        i = rows[b]
        m = Xv[i]
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                m += data[p] * u[t]
        r = -y[i] * _sigmoid(-y[i] * m) / tau
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                g[t] += data[p] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + sc[t] * (x[j] - v[j])))
        pos[j] = -1
    return g


@njit(cache=True)
def logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows):
    """Sketched minibatch logistic gradient on ``C`` from a dense ``X``, ``O(|B| K)``."""
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    for b in range(tau):
        i = rows[b]
        m = Xv[i]
        for t in range(K):
            m += X[i, idx[t]] * u[t]
        r = -y[i] * _sigmoid(-y[i] * m) / tau
        for t in range(K):
            g[t] += X[i, idx[t]] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + sc[t] * (x[j] - v[j])))
    return g


def logistic_batch_reference(X, y, lam, v, x, idx, sc, rows) -> np.ndarray:
    """``(s * grad f_B(v + s*(x - v)))[C]``, ``f_B = (1/|B|) sum_{i in B} f_i``, in NumPy/SciPy."""
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    Xb = X[rows]
    r = -y[rows] * expit(-y[rows] * (Xb @ point)) / rows.size
    grad = np.asarray(Xb.T @ r).ravel() + lam * point
    return (s * grad)[idx]


# --------------------------------------------------------------------------------------------
# Dispatch on a "problem pack": the arrays of one problem, shift and cached products, so that one
# jitted run loop serves quadratics, sparse and dense logistic regression.
#   pack = (kind, A, g_v, csc_ptr, csc_idx, csc_data, csr_ptr, csr_idx, csr_data, X, y, Xv, lam, v)
#   kind 0: quadratic (A, g_v); 1: logistic, sparse (CSC and CSR); 2: logistic, dense (X).
# --------------------------------------------------------------------------------------------

KIND_QUADRATIC, KIND_LOGISTIC_SPARSE, KIND_LOGISTIC_DENSE = 0, 1, 2


@njit(cache=True)
def pack_sketched_grad(pack, x, idx, sc):
    """Exact-oracle sketched gradient on ``C`` for the packed problem."""
    kind, A, g_v, cp, ci, cd, rp, ri, rd, X, y, Xv, lam, v = pack
    if kind == 0:
        return quadratic_kernel(A, g_v, v, x, idx, sc)
    if kind == 1:
        return logistic_csc_kernel(cp, ci, cd, y, Xv, lam, v, x, idx, sc)
    return logistic_dense_kernel(X, y, Xv, lam, v, x, idx, sc)


@njit(cache=True)
def pack_sketched_batch_grad(pack, x, idx, sc, rows, pos):
    """Minibatch-oracle sketched gradient on ``C`` for a packed logistic problem."""
    kind, A, g_v, cp, ci, cd, rp, ri, rd, X, y, Xv, lam, v = pack
    if kind == 1:
        return logistic_csr_batch_kernel(rp, ri, rd, y, Xv, lam, v, x, idx, sc, rows, pos)
    return logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows)
