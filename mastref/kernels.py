"""The sketched-gradient kernels, checked, and their NumPy references (THEORY.md §2).

``grad f_S(x) = s * grad f(v + s * (x - v))``. A diagonal sketch sample is passed as its support
``idx`` (``C``, distinct indices) and the scales ``sc = s[C]``. Since ``y = v + s * (x - v)``
differs from ``v`` only on ``C`` and the gradient vanishes off ``C``, every kernel returns the
``K = |C|`` entries on ``C`` and costs

* logistic, CSC data, ``X v`` cached: ``O(nnz(X[:, C]))``: a scatter, one sigmoid per row that
  meets ``C`` and a gather, with no ``O(n)`` pass while ``nnz(X[:, C]) < 0.3 n`` (see
  ``logistic_csc_kernel`` for the layout and the two paths);
* logistic, CSR data: ``O(nnz(X) + n + d)``; dense data: ``O(n K)``;
* logistic minibatch, CSR data: ``O(nnz(X[B]) + K)``; dense: ``O(|B| K)``;
* quadratic, ``g_v = A v - b`` cached: ``O(K^2)``;
* least squares, CSC data, ``X^T (X v - y)`` cached: ``O(nnz(X[:, C]))``; dense: ``O(n K)``.

The logistic sigmoid inside the kernels is branch-free and vectorised (``exp`` by Cody-Waite
reduction and a degree-13 Taylor polynomial, within a few ulp of ``scipy.special.expit`` over
the whole double range, NaN propagating), so a residual pass over touched rows runs at SIMD
speed on AVX2 and AVX-512 alike.

The functions here are the public, checked entry points: they validate the support (indices in
range and distinct, scales finite, lengths agreeing, ``v`` and ``x`` finite on it) in
``O(K log K)`` and the shapes in ``O(1)``, and then call the raw jitted kernel of
``mastref._kernels``; the data arrays (``X``'s CSR/CSC arrays, ``y``, ``X v``) are trusted to
come from a validated problem. Each kernel has a NumPy reference
``*_reference`` computed from the full ``d``-vector formula; the tests compare the two to
``1e-12`` relative error.

Problems reach the jitted algorithms through a registry: ``Problem.kernel_pack(v)`` returns a
``NamedTuple`` and ``register_kernels(PackType, exact=..., minibatch=...)`` ties that type to its
kernels; ``sketched_grad_kernel(pack, ...)`` dispatches on the pack's type, in Python and in
jitted loops alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import expit

from . import _kernels as raw
from ._kernels import (
    csc_scratch,
    register_kernels,
    sketched_batch_grad_kernel,
    sketched_grad_kernel,
)
from ._validation import as_real_array, check_array, check_real, check_rows, check_support

__all__ = [
    "csc_scratch",
    "least_squares_batch_reference",
    "least_squares_csc_kernel",
    "least_squares_csr_batch_kernel",
    "least_squares_dense_batch_kernel",
    "least_squares_dense_kernel",
    "least_squares_reference",
    "logistic_batch_reference",
    "logistic_csc_kernel",
    "logistic_csr_batch_kernel",
    "logistic_csr_kernel",
    "logistic_dense_batch_kernel",
    "logistic_dense_kernel",
    "logistic_reference",
    "quadratic_kernel",
    "quadratic_reference",
    "register_kernels",
    "sketched_batch_grad_kernel",
    "sketched_grad_kernel",
]


def _point(v, x, idx, sc, lam=None):
    """Checked ``v``, ``x`` (length ``d = len(v)``, finite on the support), support, ``lam``:
    ``O(K log K)`` beyond the ``O(1)`` shape checks, since the kernels read ``v`` and ``x`` on
    the support alone."""
    v = np.ascontiguousarray(as_real_array("v", v))
    if v.ndim != 1:
        raise ValueError(f"argument 'v' has shape {v.shape}; expected a 1-d array")
    d = v.size
    x = np.ascontiguousarray(as_real_array("x", x))
    if x.shape != (d,):
        raise ValueError(f"argument 'x' has shape {x.shape}; expected ({d},) like 'v'")
    idx, sc = check_support(idx, sc, d)
    for name, arr in (("v", v), ("x", x)):
        if not np.all(np.isfinite(arr[idx])):
            raise ValueError(f"argument '{name}' has a non-finite entry on the support")
    lam = None if lam is None else check_real("lam", lam, nonnegative=True)
    return v, x, idx, sc, lam


def _compressed(indptr, indices, data, n_major: int, name: str):
    """CSR/CSC arrays with ``n_major + 1`` pointers and consistent lengths (``O(1)`` checks)."""
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    data = np.ascontiguousarray(data, dtype=np.float64)
    if indptr.shape != (n_major + 1,) or indptr[0] != 0:
        raise ValueError(
            f"argument 'indptr' has shape {indptr.shape}; a {name} matrix with {n_major} "
            f"major entries needs {n_major + 1} pointers starting at 0"
        )
    if indices.shape != data.shape or indices.shape != (indptr[-1],):
        raise ValueError(
            f"arguments 'indices' {indices.shape} and 'data' {data.shape} must both have "
            f"indptr[-1] = {indptr[-1]} entries"
        )
    return indptr, indices, data


@njit(cache=True)
def _minor_ok(indptr, indices, majors, n_minor, pos):
    """Whether the pointers of ``majors`` are ordered and inside ``indices``, and every minor
    index they list lies in ``[0, n_minor)`` with ``pos[j] == -1`` (``pos`` empty: unchecked).
    Cost ``O(len(majors) + nnz of those majors)``: the order of the kernel it guards."""
    nnz = indices.size
    bad = 0
    for a in range(majors.size):
        m = majors[a]
        lo, hi = indptr[m], indptr[m + 1]
        if lo < 0 or hi < lo or hi > nnz:
            return False
        for q in range(lo, hi):  # branch-free: LLVM vectorises the range test
            j = indices[q]
            bad |= (j < 0) | (j >= n_minor)
        if bad:
            return False
        if pos.size:
            for q in range(lo, hi):
                if pos[indices[q]] != -1:
                    return False
    return True


def _check_minor(indptr, indices, majors, n_minor: int, name: str, pos=None) -> None:
    empty = np.empty(0, dtype=np.int64)
    if not _minor_ok(indptr, indices, majors, n_minor, empty if pos is None else pos):
        raise ValueError(
            f"argument 'indices' (or 'indptr') of the {name} arrays is corrupt where the call "
            f"reads it: pointers must be ordered and indices lie in [0, {n_minor - 1}]"
            + ("" if pos is None else "; argument 'pos' must be -1 there")
        )


def _vectors(n: int, **arrays):
    out = []
    for name, value in arrays.items():
        arr = np.ascontiguousarray(np.asarray(value, dtype=np.float64))
        if arr.shape != (n,):
            raise ValueError(f"argument '{name}' has shape {arr.shape}; expected ({n},)")
        out.append(arr)
    return out


def _pos(pos, d: int):
    if pos is None:
        return np.full(d, -1, dtype=np.int64)
    pos = np.asarray(pos)
    if pos.shape != (d,) or pos.dtype != np.int64:
        raise ValueError(f"argument 'pos' must be int64 scratch of shape ({d},) filled with -1")
    return pos


# ------------------------------------------------------------------------------------------------
# Logistic regression
# ------------------------------------------------------------------------------------------------


def _scratch(scratch, n: int):
    """The column-sparse kernel's scratch: fresh, or the caller's ``csc_scratch(n)`` triple."""
    if scratch is None:
        return csc_scratch(n)
    want = ((np.float64, (n,)), (np.int64, ((n + 63) // 64,)), (np.int64, (n,)))
    ok = isinstance(scratch, tuple) and len(scratch) == 3
    for a, (dtype, shape) in zip(scratch if ok else (), want, strict=False):
        ok = ok and isinstance(a, np.ndarray) and a.dtype == dtype and a.shape == shape
    if not ok:
        raise ValueError(
            f"argument 'scratch' must be the triple (dm, touched, rows) made by csc_scratch({n}): "
            f"float64 {want[0][1]}, int64 {want[1][1]}, int64 {want[2][1]}"
        )
    return scratch


def logistic_csc_kernel(
    indptr, indices, data, y, Xv, lam, v, x, idx, sc, scratch=None
) -> np.ndarray:
    """Sketched logistic gradient on ``C`` from the CSC arrays of ``X`` (THEORY.md §2).

    ``g_C = s_C * (X[:, C]^T r + lam (v_C + u))`` with ``u = s_C * (x_C - v_C)`` and
    ``r_i = -y_i sigma(-y_i (Xv_i + X[i, C] u)) / n``; only rows that meet ``C`` enter.

    Layout. With ``nnz_C = nnz(X[:, C])`` and ``rows_C <= min(n, nnz_C)`` the rows that meet
    ``C``: cost(CSC) ~ 2 nnz_C random accesses to n-vectors + rows_C sigmoids; cost(CSR) ~
    2 nnz(X) random accesses to d-vectors + n sigmoids whatever ``C``, about a full gradient.
    As ``nnz_C / nnz(X) ~ K/d``, CSC is the layout of the exact oracle (and CSR that of the
    minibatches, which read rows). A per-sketch cached slice of ``X[:, C]`` costs ``nnz_C``
    copies per new support: it pays off only for laws that reuse a few supports many times,
    not for RandK.

    Paths. While ``nnz_C < 0.3 n`` the scatter also sets each touched row's bit in a bitmap of
    ``ceil(n/64)`` words (a row's first entry writes ``dm_i``, so ``dm`` is never reset), the
    touched rows are read off it in increasing order (at first visit when ``64 nnz_C < n``)
    and the sigmoid runs over them by blocks: ``O(nnz_C + n/64)``, no ``O(n)`` pass. From
    ``0.3 n`` on (``_kernels.DENSE_ROWS``, the measured crossover) the touched rows share most
    cache lines and one contiguous vectorised pass over all ``n`` rows is faster; it is still
    ``O(nnz_C)``.

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSC arrays of the ``n x d`` data matrix.
    y : ndarray, shape (n,)
        Labels in ``{-1, +1}``.
    Xv : ndarray, shape (n,)
        ``X v``, cached.
    lam : float
        The l2 regularisation.
    v, x : ndarray, shape (d,)
        Shift and point.
    idx, sc : ndarray, shape (K,)
        The support (distinct indices) and the scales on it.
    scratch : tuple of ndarray, optional
        ``csc_scratch(n)``, reused across calls (its bitmap is left clear on return); fresh
        scratch, an ``O(n)`` allocation, when omitted.

    Returns
    -------
    ndarray, shape (K,)
        ``grad f_S(x)`` on ``C``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import mastref as mr
    >>> X = sp.csc_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> y, v, x = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    >>> mr.kernels.logistic_csc_kernel(X.indptr, X.indices, X.data, y, X @ v, 0.0, v, x,
    ...                        np.array([1]), np.array([2.0]))  # s = (0, 2): 2 * 2 * 1/2 / 2
    array([1.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    y, Xv = _vectors(np.asarray(Xv).shape[0], y=y, Xv=Xv)
    indptr, indices, data = _compressed(indptr, indices, data, v.size, "CSC")
    _check_minor(indptr, indices, idx, Xv.size, "CSC")
    dm, touched, rows = _scratch(scratch, Xv.size)
    return raw.logistic_csc_scratch_kernel(
        indptr, indices, data, y, Xv, lam, v, x, idx, sc, dm, touched, rows
    )


def logistic_csr_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, d=None) -> np.ndarray:
    """Sketched logistic gradient on ``C`` from the CSR arrays of ``X``, ``O(nnz(X) + n + d)``.

    The formula of ``logistic_csc_kernel``; every row is read (``m_i = Xv_i + X[i, :] w`` with
    ``w = s * (x - v)``, zero off ``C``), so the cost is that of a full gradient whatever ``K``:
    prefer CSC for the exact oracle (see its layout note). ``d`` defaults to ``len(v)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import mastref as mr
    >>> X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> y, v, x = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    >>> mr.kernels.logistic_csr_kernel(X.indptr, X.indices, X.data, y, X @ v, 0.0, v, x,
    ...                        np.array([1]), np.array([2.0]))
    array([1.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    if d is not None and d != v.size:
        raise ValueError(f"argument 'd' = {d} differs from len(v) = {v.size}")
    y, Xv = _vectors(np.asarray(Xv).shape[0], y=y, Xv=Xv)
    indptr, indices, data = _compressed(indptr, indices, data, Xv.size, "CSR")
    _check_minor(indptr, indices, np.arange(Xv.size), v.size, "CSR")
    return raw.logistic_csr_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, v.size)


def logistic_dense_kernel(X, y, Xv, lam, v, x, idx, sc) -> np.ndarray:
    """Sketched logistic gradient on ``C`` from a dense ``X``, ``O(n K)``.

    The formula of ``logistic_csc_kernel``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> y, v, x = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    >>> mr.kernels.logistic_dense_kernel(X, y, X @ v, 0.0, v, x, np.array([1]), np.array([2.0]))
    array([1.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    X = np.ascontiguousarray(check_array("X", X, 2, (-1, v.size)))
    y, Xv = _vectors(X.shape[0], y=y, Xv=Xv)
    return raw.logistic_dense_kernel(X, y, Xv, lam, v, x, idx, sc)


def logistic_csr_batch_kernel(
    indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos=None
) -> np.ndarray:
    """Sketched minibatch logistic gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    ``grad f_{S,B}`` with ``f_B = (1/|B|) sum_{i in B} f_i`` (each ``f_i`` carries the
    regulariser, so it enters once). ``rows`` are the batch's sample indices; ``pos``
    (optional) is int64 scratch of length ``d`` filled with -1, restored on return.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import mastref as mr
    >>> X = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    >>> y, v, x = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    >>> mr.kernels.logistic_csr_batch_kernel(X.indptr, X.indices, X.data, y, X @ v, 0.0, v, x,
    ...                              np.array([1]), np.array([2.0]), np.array([1]))
    array([2.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    y, Xv = _vectors(np.asarray(Xv).shape[0], y=y, Xv=Xv)
    indptr, indices, data = _compressed(indptr, indices, data, Xv.size, "CSR")
    rows = check_rows(rows, Xv.size)
    pos = _pos(pos, v.size)
    _check_minor(indptr, indices, rows, v.size, "CSR", pos)
    return raw.logistic_csr_batch_kernel(
        indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos
    )


def logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows) -> np.ndarray:
    """Sketched minibatch logistic gradient on ``C`` from a dense ``X``, ``O(|B| K)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> y, v, x = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    >>> mr.kernels.logistic_dense_batch_kernel(X, y, X @ v, 0.0, v, x, np.array([1]),
    ...                                        np.array([2.0]), np.array([1]))
    array([2.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    X = np.ascontiguousarray(check_array("X", X, 2, (-1, v.size)))
    y, Xv = _vectors(X.shape[0], y=y, Xv=Xv)
    rows = check_rows(rows, X.shape[0])
    return raw.logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows)


# ------------------------------------------------------------------------------------------------
# Quadratics
# ------------------------------------------------------------------------------------------------


def quadratic_kernel(A, g_v, v, x, idx, sc) -> np.ndarray:
    """Sketched quadratic gradient on ``C``: ``s_C * (g_v[C] + A[C, C] (s_C * h_C))``, ``O(K^2)``.

    ``g_v = A v - b`` is cached; ``h = x - v``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> A, b, v = np.eye(2), np.ones(2), np.zeros(2)
    >>> mr.kernels.quadratic_kernel(A, A @ v - b, v, np.ones(2), np.array([0]), np.array([2.0]))
    array([2.])
    """
    v, x, idx, sc, _ = _point(v, x, idx, sc)
    A = np.ascontiguousarray(check_array("A", A, 2, (v.size, v.size)))
    (g_v,) = _vectors(v.size, g_v=g_v)
    return raw.quadratic_kernel(A, g_v, v, x, idx, sc)


# ------------------------------------------------------------------------------------------------
# Least squares: f(x) = 1/(2n) ||X x - y||^2 + (lam/2) ||x||^2
# ------------------------------------------------------------------------------------------------


def least_squares_csc_kernel(indptr, indices, data, g0, lam, n, v, x, idx, sc, dm=None):
    """Sketched least-squares gradient on ``C`` from CSC arrays, ``O(nnz(X[:, C]))``.

    ``g_C = s_C * ((g0_C + X[:, C]^T X[:, C] u)/n + lam (v_C + u))``, ``u = s_C * (x_C - v_C)``,
    with ``g0 = X^T (X v - y)`` cached. ``dm`` (optional) is float64 scratch of zeros, length
    ``n``, restored on return.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import mastref as mr
    >>> X, y, v = sp.csc_matrix(np.eye(2)), np.ones(2), np.zeros(2)
    >>> g0 = X.T @ (X @ v - y)
    >>> mr.kernels.least_squares_csc_kernel(X.indptr, X.indices, X.data, g0, 0.0, 2, v, np.ones(2),
    ...                             np.array([0]), np.array([2.0]))  # 2 (-1 + 2)/2
    array([1.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    (g0,) = _vectors(v.size, g0=g0)
    indptr, indices, data = _compressed(indptr, indices, data, v.size, "CSC")
    n = int(n)
    if dm is None:
        dm = np.zeros(n)
    elif np.shape(dm) != (n,):
        raise ValueError(f"argument 'dm' must be float64 zeros of shape ({n},)")
    _check_minor(indptr, indices, idx, n, "CSC")
    return raw.least_squares_csc_kernel(indptr, indices, data, g0, lam, n, v, x, idx, sc, dm)


def least_squares_dense_kernel(X, g0, lam, v, x, idx, sc) -> np.ndarray:
    """Sketched least-squares gradient on ``C`` from a dense ``X``, ``O(n K)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X, y, v = np.eye(2), np.ones(2), np.zeros(2)
    >>> mr.kernels.least_squares_dense_kernel(X, X.T @ (X @ v - y), 0.0, v, np.ones(2),
    ...                               np.array([0]), np.array([2.0]))
    array([1.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    X = np.ascontiguousarray(check_array("X", X, 2, (-1, v.size)))
    (g0,) = _vectors(v.size, g0=g0)
    return raw.least_squares_dense_kernel(X, g0, lam, v, x, idx, sc)


def least_squares_csr_batch_kernel(
    indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos=None
) -> np.ndarray:
    """Sketched minibatch least-squares gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> import mastref as mr
    >>> X, y, v = sp.csr_matrix(np.eye(2)), np.ones(2), np.zeros(2)
    >>> mr.kernels.least_squares_csr_batch_kernel(X.indptr, X.indices, X.data, y, X @ v, 0.0, v,
    ...                                   np.ones(2), np.array([0]), np.array([2.0]),
    ...                                   np.array([0]))  # 2 (2 - 1)
    array([2.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    y, Xv = _vectors(np.asarray(Xv).shape[0], y=y, Xv=Xv)
    indptr, indices, data = _compressed(indptr, indices, data, Xv.size, "CSR")
    rows = check_rows(rows, Xv.size)
    pos = _pos(pos, v.size)
    _check_minor(indptr, indices, rows, v.size, "CSR", pos)
    return raw.least_squares_csr_batch_kernel(
        indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos
    )


def least_squares_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows) -> np.ndarray:
    """Sketched minibatch least-squares gradient on ``C`` from a dense ``X``, ``O(|B| K)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X, y, v = np.eye(2), np.ones(2), np.zeros(2)
    >>> mr.kernels.least_squares_dense_batch_kernel(X, y, X @ v, 0.0, v, np.ones(2), np.array([0]),
    ...                                     np.array([2.0]), np.array([0]))
    array([2.])
    """
    v, x, idx, sc, lam = _point(v, x, idx, sc, lam)
    X = np.ascontiguousarray(check_array("X", X, 2, (-1, v.size)))
    y, Xv = _vectors(X.shape[0], y=y, Xv=Xv)
    rows = check_rows(rows, X.shape[0])
    return raw.least_squares_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows)


# ------------------------------------------------------------------------------------------------
# NumPy references: the full d-vector formula grad f_S(x) = s * grad f(v + s*(x - v)), on C.
# ------------------------------------------------------------------------------------------------


def _full_scale(d: int, idx: np.ndarray, sc: np.ndarray) -> np.ndarray:
    s = np.zeros(d)
    s[idx] = sc
    return s


def logistic_reference(X, y, lam, v, x, idx, sc) -> np.ndarray:
    """``(s * grad f(v + s*(x - v)))[C]`` with ``grad f`` of THEORY.md §2, in NumPy/SciPy.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> mr.kernels.logistic_reference(X, np.array([1.0, -1.0]), 0.0, np.zeros(2), np.zeros(2),
    ...                       np.array([1]), np.array([2.0]))
    array([1.])
    """
    lam = check_real("lam", lam, nonnegative=True)
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    r = -y * expit(-y * (X @ point)) / X.shape[0]
    grad = np.asarray(X.T @ r).ravel() + lam * point
    return (s * grad)[idx]


def quadratic_reference(A, b, v, x, idx, sc) -> np.ndarray:
    """``(s * (A (v + s*(x - v)) - b))[C]``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mr.kernels.quadratic_reference(np.eye(2), np.ones(2), np.zeros(2), np.ones(2),
    ...                                np.array([0]), np.array([2.0]))
    array([2.])
    """
    s = _full_scale(x.shape[0], idx, sc)
    return (s * (A @ (v + s * (x - v)) - b))[idx]


def logistic_batch_reference(X, y, lam, v, x, idx, sc, rows) -> np.ndarray:
    """``(s * grad f_B(v + s*(x - v)))[C]``, ``f_B = (1/|B|) sum_{i in B} f_i``, in NumPy/SciPy.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> mr.kernels.logistic_batch_reference(X, np.array([1.0, -1.0]), 0.0, np.zeros(2), np.zeros(2),
    ...                             np.array([1]), np.array([2.0]), np.array([1]))
    array([2.])
    """
    lam = check_real("lam", lam, nonnegative=True)
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    Xb = X[rows]
    r = -y[rows] * expit(-y[rows] * (Xb @ point)) / rows.size
    grad = np.asarray(Xb.T @ r).ravel() + lam * point
    return (s * grad)[idx]


def least_squares_reference(X, y, lam, v, x, idx, sc) -> np.ndarray:
    """``(s * grad f(v + s*(x - v)))[C]``, ``grad f(z) = X^T (X z - y)/n + lam z``, in NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mr.kernels.least_squares_reference(np.eye(2), np.ones(2), 0.0, np.zeros(2), np.ones(2),
    ...                            np.array([0]), np.array([2.0]))
    array([1.])
    """
    lam = check_real("lam", lam, nonnegative=True)
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    grad = np.asarray(X.T @ (X @ point - y)).ravel() / X.shape[0] + lam * point
    return (s * grad)[idx]


def least_squares_batch_reference(X, y, lam, v, x, idx, sc, rows) -> np.ndarray:
    """``(s * grad f_B(v + s*(x - v)))[C]`` for the least-squares ``f_B``, in NumPy/SciPy.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mr.kernels.least_squares_batch_reference(np.eye(2), np.ones(2), 0.0, np.zeros(2),
    ...                                          np.ones(2), np.array([0]), np.array([2.0]),
    ...                                          np.array([0]))
    array([2.])
    """
    lam = check_real("lam", lam, nonnegative=True)
    s = _full_scale(x.shape[0], idx, sc)
    point = v + s * (x - v)
    Xb = X[rows]
    grad = np.asarray(Xb.T @ (Xb @ point - y[rows])).ravel() / rows.size + lam * point
    return (s * grad)[idx]
