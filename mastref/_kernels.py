"""Raw numba kernels of the sketched gradient ``grad f_S(x) = s * grad f(v + s*(x - v))``.

Private: no argument checks, for the algorithms' inner loops. ``mastref.kernels`` holds the
public, checked wrappers (same names), the NumPy references and the docs of every formula; the
kernel registry (``register_kernels``) is here because the jitted loops import it.

THEORY.md §2 ("Cost of a sketched gradient"). A diagonal sketch sample is passed as its support
``idx`` (``C``, int64) and the scales ``sc = s[C]``; every kernel returns the ``K = |C|`` gradient
entries on ``C``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import overload

from ._validation import MissingCapability


@njit(cache=True)
def floyd_subsets(d, sizes, u):
    """Uniform subsets of ``[d]`` of the given sizes by Floyd's algorithm, O(size) each.

    ``u``: ``(n, max size)`` uniforms on [0, 1); row ``r`` draws a ``sizes[r]``-subset.
    Returns the CSR pair ``(ptr, idx)``.
    """
    n = sizes.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        ptr[r + 1] = ptr[r] + sizes[r]
    idx = np.empty(ptr[n], dtype=np.int64)
    mark = np.zeros(d, dtype=np.bool_)
    for r in range(n):
        k = sizes[r]
        base = ptr[r]
        c = 0
        for j in range(d - k, d):
            t = min(int(u[r, c] * (j + 1)), j)
            if mark[t]:
                t = j
            mark[t] = True
            idx[base + c] = t
            c += 1
        for c in range(k):
            mark[idx[base + c]] = False
    return ptr, idx


@njit(cache=True)
def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


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


# --------------------------------------------------------------------------------------------
# Least squares: f(x) = 1/(2n) ||X x - y||^2 + (lam/2) ||x||^2, g0 = X^T (X v - y) cached.
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def least_squares_csc_kernel(indptr, indices, data, g0, lam, n, v, x, idx, sc, dm):
    """Sketched least-squares gradient on ``C`` from CSC arrays, ``O(nnz(X[:, C]))``.

    ``grad_C = s_C * ((g0_C + X[:, C]^T X[:, C] u) / n + lam (v_C + u))``, ``u = s_C * h_C``,
    with ``g0 = X^T (X v - y)`` cached. The product is a scatter of ``X[:, C] u`` into the
    scratch ``dm`` (float64 zeros of length ``n``, restored on return) and a gather, so no
    ``O(n)`` pass is made.
    """
    K = idx.shape[0]
    u = np.empty(K)
    for t in range(K):
        j = idx[t]
        u[t] = sc[t] * (x[j] - v[j])
        for p in range(indptr[j], indptr[j + 1]):
            dm[indices[p]] += data[p] * u[t]
    out = np.empty(K)
    for t in range(K):
        j = idx[t]
        acc = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            acc += data[p] * dm[indices[p]]
        out[t] = sc[t] * ((g0[j] + acc) / n + lam * (v[j] + u[t]))
    for t in range(K):
        j = idx[t]
        for p in range(indptr[j], indptr[j + 1]):
            dm[indices[p]] = 0.0
    return out


@njit(cache=True)
def least_squares_dense_kernel(X, g0, lam, v, x, idx, sc):
    """Sketched least-squares gradient on ``C`` from a dense ``X``, ``O(n K)`` (formula above)."""
    n = X.shape[0]
    K = idx.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    dm = np.zeros(n)
    for i in range(n):
        acc = 0.0
        for t in range(K):
            acc += X[i, idx[t]] * u[t]
        dm[i] = acc
    out = np.empty(K)
    for t in range(K):
        j = idx[t]
        acc = 0.0
        for i in range(n):
            acc += X[i, j] * dm[i]
        out[t] = sc[t] * ((g0[j] + acc) / n + lam * (v[j] + u[t]))
    return out


@njit(cache=True)
def least_squares_csr_batch_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos):
    """Sketched minibatch least-squares gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    ``f_B = (1/|B|) sum_{i in B} [1/2 (a_i^T x - y_i)^2 + (lam/2)||x||^2]``; ``pos`` is int64
    scratch of length ``d`` filled with -1 (restored on return).
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
        r = Xv[i] - y[i]
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                r += data[p] * u[t]
        r /= tau
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                g[t] += data[p] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
        pos[j] = -1
    return g


@njit(cache=True)
def least_squares_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows):
    """Sketched minibatch least-squares gradient on ``C`` from a dense ``X``, ``O(|B| K)``."""
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    for b in range(tau):
        i = rows[b]
        r = Xv[i] - y[i]
        for t in range(K):
            r += X[i, idx[t]] * u[t]
        r /= tau
        for t in range(K):
            g[t] += X[i, idx[t]] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
    return g


# --------------------------------------------------------------------------------------------
# The kernel registry: pack type -> jitted kernels (see the module docstring).
# --------------------------------------------------------------------------------------------

_EXACT: dict[type, object] = {}
_MINIBATCH: dict[type, object] = {}


def register_kernels(pack_type: type, *, exact, minibatch=None) -> None:
    """Tie a problem's pack type (a ``NamedTuple`` class) to its jitted kernels.

    ``exact(pack, x, idx, sc) -> g_C`` returns ``grad f_S(x)`` on the support ``C = idx``;
    ``minibatch(pack, x, idx, sc, rows, pos) -> g_C`` the same for ``f_B``, ``B = rows``
    (``pos``: int64 scratch of length ``d`` filled with -1, restored on return). Both must be
    ``numba.njit`` functions. Register before the first algorithm call with that pack type.

    Examples
    --------
    >>> from typing import NamedTuple
    >>> import numpy as np
    >>> from numba import njit
    >>> import mastref as mr
    >>> class ScaledPack(NamedTuple):  # f(x) = (c/2)||x||^2
    ...     c: float
    ...     v: np.ndarray
    >>> @njit
    ... def scaled_grad(pack, x, idx, sc):
    ...     return sc * pack.c * (pack.v[idx] + sc * (x[idx] - pack.v[idx]))
    >>> mr.register_kernels(ScaledPack, exact=scaled_grad)
    >>> pack = ScaledPack(2.0, np.zeros(3))
    >>> mr.sketched_grad_kernel(pack, np.ones(3), np.array([1]), np.array([3.0]))
    array([18.])
    """
    _EXACT[pack_type] = exact
    if minibatch is not None:
        _MINIBATCH[pack_type] = minibatch


def _lookup(table: dict, pack, what: str):
    try:
        return table[type(pack)]
    except KeyError:
        raise MissingCapability(
            f"no {what} kernel is registered for {type(pack).__name__}; call "
            "mastref.register_kernels"
        ) from None


def sketched_grad_kernel(pack, x, idx, sc):
    """``grad f_S(x)`` on ``C = idx`` by the kernel registered for ``type(pack)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> pack = mr.Quadratic(np.eye(2), np.ones(2)).kernel_pack(np.zeros(2))
    >>> mr.sketched_grad_kernel(pack, np.ones(2), np.array([0]), np.array([2.0]))
    array([2.])
    """
    return _lookup(_EXACT, pack, "sketched-gradient")(pack, x, idx, sc)


def sketched_batch_grad_kernel(pack, x, idx, sc, rows, pos):
    """``grad f_{S,B}(x)`` on ``C = idx`` by the minibatch kernel registered for ``type(pack)``.

    ``pos``: int64 scratch of length ``d`` filled with -1 (restored on return).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> pack = mr.LeastSquares(np.eye(2), np.ones(2)).kernel_pack(np.zeros(2))
    >>> mr.sketched_batch_grad_kernel(pack, np.ones(2), np.array([0]), np.array([2.0]),
    ...                               np.array([0]), np.full(2, -1))
    array([2.])
    """
    return _lookup(_MINIBATCH, pack, "minibatch")(pack, x, idx, sc, rows, pos)


@overload(sketched_grad_kernel)
def _sketched_grad_kernel_jit(pack, x, idx, sc):
    kernel = _EXACT.get(getattr(pack, "instance_class", None))
    if kernel is None:
        return None
    return lambda pack, x, idx, sc: kernel(pack, x, idx, sc)


@overload(sketched_batch_grad_kernel)
def _sketched_batch_grad_kernel_jit(pack, x, idx, sc, rows, pos):
    kernel = _MINIBATCH.get(getattr(pack, "instance_class", None))
    if kernel is None:
        return None
    return lambda pack, x, idx, sc, rows, pos: kernel(pack, x, idx, sc, rows, pos)
