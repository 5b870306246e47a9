"""numba kernels vs their NumPy references (relative error 1e-12) on random instances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import random_logistic, random_quadratic

import mastref as mr

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
    ref = mr.logistic_reference(X, y, lam, v, x, idx, sc)
    Xc = X.tocsc()
    got_csc = mr.logistic_csc_kernel(Xc.indptr, Xc.indices, Xc.data, y, Xv, lam, v, x, idx, sc)
    got_csr = mr.logistic_csr_kernel(X.indptr, X.indices, X.data, y, Xv, lam, v, x, idx, sc, d)
    Xd = X.toarray()
    got_dense = mr.logistic_dense_kernel(Xd, y, Xd @ v, lam, v, x, idx, sc)
    for got in (got_csc, got_csr, got_dense):
        assert got.shape == (K,)
        assert _rel_err(got, ref) <= RTOL


@pytest.mark.parametrize("K", [0, 1, 4, 30])
def test_quadratic_kernel_equals_reference(K):
    rng = np.random.default_rng(K)
    q = random_quadratic(rng, 30)
    v, x = rng.standard_normal(30), rng.standard_normal(30)
    idx, sc = _support(rng, 30, K)
    got = mr.quadratic_kernel(q.A, q.A @ v - q.b, v, x, idx, sc)
    assert _rel_err(got, mr.quadratic_reference(q.A, q.b, v, x, idx, sc)) <= RTOL


def test_reference_is_the_sketched_gradient_formula():
    """The reference equals s * grad f(v + s(x - v)) computed through the problem classes."""
    rng = np.random.default_rng(8)
    lr = random_logistic(rng, 30, 6, lam=0.1)
    v, x = rng.standard_normal(6), rng.standard_normal(6)
    s = np.array([0.0, 2.0, 0.0, 1.5, 3.0, 0.0])
    idx = np.flatnonzero(s)
    full = s * lr.grad(v + s * (x - v))
    np.testing.assert_allclose(
        mr.logistic_reference(lr.X, lr.y, lr.lam, v, x, idx, s[idx]), full[idx], rtol=1e-13
    )


@pytest.mark.parametrize("sparse", [False, True])
def test_mast_sketched_grad_uses_kernels_correctly(sparse):
    rng = np.random.default_rng(9)
    lr = random_logistic(rng, 50, 8, lam=0.05, sparse=sparse)
    M = mr.MAST(lr, mr.Bernoulli(0.4, 8), shift=rng.standard_normal(8))
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
    ref = mr.logistic_batch_reference(X, y, 0.02, v, x, idx, sc, rows)
    pos = np.full(d, -1, dtype=np.int64)
    got = mr.logistic_csr_batch_kernel(
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
    got = mr.logistic_dense_batch_kernel(Xd, y, Xd @ v, 0.02, v, x, idx, sc, rows)
    assert _rel_err(got, ref) <= RTOL
