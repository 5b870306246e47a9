"""numba kernels vs their NumPy references (relative error 1e-12) on random instances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import random_logistic, random_quadratic

import mastref as mr
from mastref import _kernels as raw
from mastref import kernels as mk
from mastref.kernels import csc_scratch

RTOL = 1e-12


def _rel_err(a, b):
    scale = max(np.max(np.abs(b)), 1e-300) if b.size else 1.0
    return float(np.max(np.abs(a - b)) / scale) if b.size else 0.0


def _support(rng, d, K):
    idx = np.sort(rng.choice(d, size=K, replace=False)).astype(np.int64)
    return idx, rng.uniform(0.5, 4.0, K)


@pytest.mark.parametrize("K", [0, 1, 5, 40])
@pytest.mark.parametrize("seed", range(3))
def test_logistic_kernels_equal_reference(K, seed):
    rng = np.random.default_rng(seed)
    n, d = 200, 40
    X = sp.random(n, d, density=0.2, random_state=seed, format="csr") * 5.0
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    lam = 0.01
    v, x = rng.standard_normal(d), rng.standard_normal(d) * 3
    Xv = X @ v
    idx, sc = _support(rng, d, K)
    ref = mk.logistic_reference(X, y, lam, v, x, idx, sc)
    Xc = X.tocsc()
    got_csc = mk.logistic_csc_kernel(Xc.indptr, Xc.indices, Xc.data, y, Xv, lam, v, x, idx, sc)
    got_csr = mk.logistic_csr_kernel(X.indptr, X.indices, X.data, y, Xv, lam, v, x, idx, sc, d)
    Xd = X.toarray()
    got_dense = mk.logistic_dense_kernel(Xd, y, Xd @ v, lam, v, x, idx, sc)
    for got in (got_csc, got_csr, got_dense):
        assert got.shape == (K,)
        assert _rel_err(got, ref) <= RTOL


@pytest.mark.parametrize("K", [0, 1, 4, 30])
def test_quadratic_kernel_equals_reference(K):
    rng = np.random.default_rng(K)
    q = random_quadratic(rng, 30)
    v, x = rng.standard_normal(30), rng.standard_normal(30)
    idx, sc = _support(rng, 30, K)
    got = mk.quadratic_kernel(q.A, q.A @ v - q.b, v, x, idx, sc)
    assert _rel_err(got, mk.quadratic_reference(q.A, q.b, v, x, idx, sc)) <= RTOL


def test_reference_is_the_sketched_gradient_formula():
    """The reference equals s * grad f(v + s(x - v)) computed through the problem classes."""
    rng = np.random.default_rng(8)
    lr = random_logistic(rng, 30, 6, lam=0.1)
    v, x = rng.standard_normal(6), rng.standard_normal(6)
    s = np.array([0.0, 2.0, 0.0, 1.5, 3.0, 0.0])
    idx = np.flatnonzero(s)
    full = s * lr.grad(v + s * (x - v))
    np.testing.assert_allclose(
        mk.logistic_reference(lr.X, lr.y, lr.lam, v, x, idx, s[idx]), full[idx], rtol=1e-13
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_mast_sketched_grad_uses_kernels_correctly(sparse):
    rng = np.random.default_rng(9)
    lr = random_logistic(rng, 50, 8, lam=0.05, sparse=sparse)
    M = mr.MAST(lr, mr.Bernoulli(8, 0.4), shift=rng.standard_normal(8))
    for _ in range(5):
        x = rng.standard_normal(8)
        s = M.sketch.sample(rng)
        expected = s * lr.grad(M.v + s * (x - M.v))
        assert _rel_err(M.sketched_grad(x, s), expected) <= RTOL


@pytest.mark.parametrize("K", [0, 3, 40])
@pytest.mark.parametrize("tau", [1, 17, 200])
def test_minibatch_kernels_equal_reference(K, tau):
    rng = np.random.default_rng(100 + K + tau)
    n, d = 200, 40
    X = sp.random(n, d, density=0.2, random_state=K + tau, format="csr") * 4.0
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    v, x = rng.standard_normal(d), rng.standard_normal(d) * 3
    idx, sc = _support(rng, d, K)
    rows = rng.choice(n, size=tau, replace=False).astype(np.int64)
    ref = mk.logistic_batch_reference(X, y, 0.02, v, x, idx, sc, rows)
    pos = np.full(d, -1, dtype=np.int64)
    got = mk.logistic_csr_batch_kernel(
        X.indptr.astype(np.int64),
        X.indices.astype(np.int64),
        X.data,
        y,
        X @ v,
        0.02,
        v,
        x,
        idx,
        sc,
        rows,
        pos,
    )
    assert _rel_err(got, ref) <= RTOL
    assert np.all(pos == -1)  # the scratch array is restored
    Xd = X.toarray()
    got = mk.logistic_dense_batch_kernel(Xd, y, Xd @ v, 0.02, v, x, idx, sc, rows)
    assert _rel_err(got, ref) <= RTOL


# ------------------------------------------------------------------------------------------------
# The column-sparse logistic kernel's three paths, its scratch, and saturated margins
# ------------------------------------------------------------------------------------------------


def _csc_path(nnz_c: int, n: int) -> str:
    """The path ``logistic_csc_scratch_kernel`` takes (its docstring): by ``nnz(X[:, C])``."""
    if nnz_c >= raw.DENSE_ROWS * n:
        return "all rows"
    return "first visit" if 64 * nnz_c < n else "bitmap"


@pytest.mark.parametrize("scale", [1.0, 300.0])  # 300: margins up to ~1e3, sigmoid saturated
def test_logistic_csc_paths_and_scratch_reuse(scale):
    rng = np.random.default_rng(11)
    n, d = 4000, 80
    X = sp.random(n, d, density=0.01, random_state=11, format="csr") * 4.0  # ~40 entries/column
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    v, x = rng.standard_normal(d), rng.standard_normal(d) * scale
    Xc = X.tocsc()
    counts = np.diff(Xc.indptr)
    scratch = csc_scratch(n)
    paths = set()
    for K in (0, 1, 2, 8, 30, 80):  # each call reuses the scratch the previous one left
        idx, sc = _support(rng, d, K)
        ref = mk.logistic_reference(X, y, 0.01, v, x, idx, sc)
        got = mk.logistic_csc_kernel(
            Xc.indptr, Xc.indices, Xc.data, y, X @ v, 0.01, v, x, idx, sc, scratch
        )
        assert got.shape == (K,) and _rel_err(got, ref) <= RTOL
        assert not scratch[1].any()  # the bitmap is left clear for the next call
        scratch[0][:] = np.nan  # dm and rows may hold anything between calls
        scratch[2][:] = -7
        paths.add(_csc_path(int(counts[idx].sum()), n))
    assert paths == {"all rows", "first visit", "bitmap"}


def test_logistic_csc_rows_that_meet_the_support_alone_enter():
    """A row outside X[:, C] keeps its margin X v: changing its label must not move g_C."""
    rng = np.random.default_rng(12)
    n, d = 300, 30
    X = sp.random(n, d, density=0.05, random_state=12, format="csc")
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    v, x = rng.standard_normal(d), rng.standard_normal(d)
    idx, sc = np.array([3, 17]), np.array([2.0, 0.5])
    args = (X.indptr, X.indices, X.data)
    base = mk.logistic_csc_kernel(*args, y, X @ v, 0.1, v, x, idx, sc)
    outside = np.setdiff1d(np.arange(n), X[:, idx].tocoo().row)
    y2 = y.copy()
    y2[outside] *= -1
    np.testing.assert_array_equal(
        mk.logistic_csc_kernel(*args, y2, X @ v, 0.1, v, x, idx, sc), base
    )


def test_logistic_sparse_pack_bitmap_stays_clear():
    rng = np.random.default_rng(13)
    lr = random_logistic(rng, 500, 40, lam=0.05, sparse=True)
    pack = lr.kernel_pack(rng.standard_normal(40))
    for K in (1, 5, 40):
        idx, sc = _support(rng, 40, K)
        x = rng.standard_normal(40)
        got = mk.sketched_grad_kernel(pack, x, idx, sc)
        ref = mk.logistic_reference(lr.X, lr.y, lr.lam, pack.v, x, idx, sc)
        assert _rel_err(got, ref) <= RTOL
        assert not pack.touched.any()


def test_csc_scratch_of_the_wrong_shape_is_refused():
    X = sp.csc_matrix(np.eye(3))
    args = (X.indptr, X.indices, X.data, np.ones(3), np.zeros(3), 0.0, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="argument 'scratch'.*csc_scratch\\(3\\)"):
        mk.logistic_csc_kernel(*args, np.array([0]), np.array([1.0]), csc_scratch(4))
    with pytest.raises(ValueError, match="argument 'scratch'"):
        mk.logistic_csc_kernel(*args, np.array([0]), np.array([1.0]), (np.zeros(3),))


@pytest.mark.parametrize("scale", [1.0, 300.0])
def test_logistic_row_kernels_with_saturated_margins(scale):
    rng = np.random.default_rng(14)
    n, d = 700, 25  # more rows than one block of the vectorised sigmoid
    X = sp.random(n, d, density=0.3, random_state=14, format="csr") * 3.0
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    v, x = rng.standard_normal(d), rng.standard_normal(d) * scale
    idx, sc = _support(rng, d, 9)
    ref = mk.logistic_reference(X, y, 0.02, v, x, idx, sc)
    Xd = X.toarray()
    got_csr = mk.logistic_csr_kernel(X.indptr, X.indices, X.data, y, X @ v, 0.02, v, x, idx, sc)
    got_dense = mk.logistic_dense_kernel(Xd, y, Xd @ v, 0.02, v, x, idx, sc)
    for got in (got_csr, got_dense):
        assert _rel_err(got, ref) <= RTOL
    rows = rng.choice(n, 600, replace=False).astype(np.int64)
    ref_b = mk.logistic_batch_reference(X, y, 0.02, v, x, idx, sc, rows)
    got_b = mk.logistic_csr_batch_kernel(
        X.indptr, X.indices, X.data, y, X @ v, 0.02, v, x, idx, sc, rows
    )
    assert _rel_err(got_b, ref_b) <= RTOL
    got_db = mk.logistic_dense_batch_kernel(Xd, y, Xd @ v, 0.02, v, x, idx, sc, rows)
    assert _rel_err(got_db, ref_b) <= RTOL


@pytest.mark.parametrize("K", [1, 6, 40])
def test_least_squares_csc_resets_its_scratch_on_both_paths(K):
    rng = np.random.default_rng(15)
    n, d = 2000, 40
    X = sp.random(n, d, density=0.01, random_state=15, format="csc") * 2.0  # 20 per column
    y = rng.standard_normal(n)
    v, x = rng.standard_normal(d), rng.standard_normal(d)
    idx, sc = _support(rng, d, K)
    g0 = X.T @ (X @ v - y)
    dm = np.zeros(n)
    got = mk.least_squares_csc_kernel(X.indptr, X.indices, X.data, g0, 0.1, n, v, x, idx, sc, dm)
    assert _rel_err(got, mk.least_squares_reference(X, y, 0.1, v, x, idx, sc)) <= RTOL
    assert not dm.any()


def test_references_refuse_a_negative_lam():
    X, y = np.eye(2), np.array([1.0, -1.0])
    z, idx, sc = np.zeros(2), np.array([1]), np.array([2.0])
    rows = np.array([0])
    for call in (
        lambda: mr.kernels.logistic_reference(X, y, -1.0, z, z, idx, sc),
        lambda: mr.kernels.least_squares_reference(X, y, -1.0, z, z, idx, sc),
        lambda: mr.kernels.logistic_batch_reference(X, y, -1.0, z, z, idx, sc, rows),
        lambda: mr.kernels.least_squares_batch_reference(X, y, -1.0, z, z, idx, sc, rows),
    ):
        with pytest.raises(ValueError, match=r"argument 'lam' = -1\.0 must be >= 0"):
            call()
