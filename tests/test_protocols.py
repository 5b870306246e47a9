"""The extension points: the problem and sketch-law protocols, check_sketch, check, SAA.

Each test states an independent derivation: least-squares constants from an SVD and the 1-D
normal equations, f_D by brute-force enumeration, laws written by a "user" that must reach the
exact and the Monte Carlo tools with the same numbers as the built-in laws they imitate.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

import mastref as mr
from mastref import kernels as mk
from mastref.sketches import supports_from_pairs

RTOL = 1e-12


def _rel_err(a, b) -> float:
    scale = max(float(np.max(np.abs(b))), 1e-300) if np.size(b) else 1.0
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) / scale if np.size(b) else 0.0


# ------------------------------------------------------------------------------------------------
# LeastSquares
# ------------------------------------------------------------------------------------------------


def _ls_data(seed, n=60, d=12, density=0.3):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, random_state=seed, format="csr") * 3.0
    return X, rng.standard_normal(n), rng


@pytest.mark.parametrize("K", [0, 1, 5, 12])
@pytest.mark.parametrize("seed", range(3))
def test_least_squares_kernels_equal_reference(K, seed):
    X, y, rng = _ls_data(seed)
    n, d = X.shape
    lam = 0.3
    v, x = rng.standard_normal(d), 3 * rng.standard_normal(d)
    idx = np.sort(rng.choice(d, K, replace=False)).astype(np.int64)
    sc = rng.uniform(0.5, 4.0, K)
    ref = mk.least_squares_reference(X, y, lam, v, x, idx, sc)
    Xc, Xd = X.tocsc(), X.toarray()
    g0 = X.T @ (X @ v - y)
    got = [
        mk.least_squares_csc_kernel(Xc.indptr, Xc.indices, Xc.data, g0, lam, n, v, x, idx, sc),
        mk.least_squares_dense_kernel(Xd, g0, lam, v, x, idx, sc),
    ]
    rows = rng.choice(n, 7, replace=False).astype(np.int64)
    ref_b = mk.least_squares_batch_reference(X, y, lam, v, x, idx, sc, rows)
    got_b = [
        mk.least_squares_csr_batch_kernel(
            X.indptr, X.indices, X.data, y, X @ v, lam, v, x, idx, sc, rows
        ),
        mk.least_squares_dense_batch_kernel(Xd, y, Xd @ v, lam, v, x, idx, sc, rows),
    ]
    for g in got:
        assert g.shape == (K,) and _rel_err(g, ref) <= RTOL
    for g in got_b:
        assert _rel_err(g, ref_b) <= RTOL


def test_least_squares_csc_scratch_is_restored():
    X, y, rng = _ls_data(3)
    Xc = X.tocsc()
    v = rng.standard_normal(X.shape[1])
    dm = np.zeros(X.shape[0])
    mk.least_squares_csc_kernel(
        Xc.indptr,
        Xc.indices,
        Xc.data,
        X.T @ (X @ v - y),
        0.1,
        X.shape[0],
        v,
        v + 1,
        np.array([0, 3, 5]),
        np.ones(3),
        dm,
    )
    assert not np.any(dm)


@pytest.mark.parametrize("sparse", [False, True])
def test_least_squares_constants_from_independent_formulas(sparse):
    X, y, _ = _ls_data(4, n=40, d=6, density=0.5)
    Xd = X.toarray()
    lam = 0.25
    f = mr.LeastSquares(X if sparse else Xd, y, lam)
    n = Xd.shape[0]
    sv = np.linalg.svd(Xd, compute_uv=False)
    assert f.L == pytest.approx(sv[0] ** 2 / n + lam, rel=1e-12)
    assert f.mu == pytest.approx(sv[-1] ** 2 / n + lam, rel=1e-10)
    np.testing.assert_allclose(f.L_i, np.sum(Xd**2, axis=1) + lam, rtol=1e-13)
    # f_i^inf from the normal equations of f_i: (a a^T + lam I) x = a y_i
    for i in range(n):
        a = Xd[i]
        xi = np.linalg.solve(np.outer(a, a) + lam * np.eye(6), a * y[i])
        fi = 0.5 * (a @ xi - y[i]) ** 2 + 0.5 * lam * xi @ xi
        assert f.inf_i[i] == pytest.approx(fi, rel=1e-10, abs=1e-14)
    x_star = np.linalg.solve(Xd.T @ Xd / n + lam * np.eye(6), Xd.T @ y / n)
    np.testing.assert_allclose(f.argmin(), x_star, rtol=1e-10)
    assert f.inf == pytest.approx(f.value(x_star), rel=1e-12)
    z = np.random.default_rng(0).standard_normal(6)
    A, b, c = f.quadratic_form()
    assert f.value(z) == pytest.approx(0.5 * z @ A @ z - b @ z + c, rel=1e-12)
    np.testing.assert_allclose(f.grad(z), A @ z - b, rtol=1e-12, atol=1e-13)


def test_least_squares_mast_optimum_by_enumeration():
    """x_D* solves sum_k pi_k s_k * grad f(v + s_k * (x - v)) = 0, assembled atom by atom."""
    X, y, rng = _ls_data(5, n=30, d=5, density=0.6)
    f = mr.LeastSquares(X, y, 0.1)
    law = mr.RandK(5, 2)
    v = rng.standard_normal(5)
    mast = mr.MAST(f, law, shift=v)
    atoms, w = law.support()
    Xd, n = X.toarray(), X.shape[0]
    H = sum(
        wk * np.outer(s, s) * (Xd.T @ Xd / n + 0.1 * np.eye(5))
        for s, wk in zip(atoms, w, strict=True)
    )
    rhs = sum(
        wk * s * (Xd.T @ (y - Xd @ ((1 - s) * v)) / n - 0.1 * (1 - s) * v)
        for s, wk in zip(atoms, w, strict=True)
    )
    x_D = np.linalg.solve(H, rhs)
    np.testing.assert_allclose(mast.argmin(), x_D, rtol=1e-9)
    assert mast.solution.method == "closed form"
    brute = sum(wk * f.value(v + s * (x_D - v)) for s, wk in zip(atoms, w, strict=True))
    assert mast.inf == pytest.approx(brute, rel=1e-11)


def test_least_squares_algorithms_use_its_kernels():
    X, y, rng = _ls_data(6, n=50, d=8)
    f = mr.LeastSquares(X, y, 0.05)
    mast = mr.MAST(f, mr.Identity(8))
    assert mast.kernel_pack is not None
    gamma = 1 / f.L
    trace = mr.dsgd(mast, np.zeros(8), gamma, 30, rng=0)
    x = np.zeros(8)
    for _ in range(30):
        x = x - gamma * f.grad(x)
    np.testing.assert_allclose(trace.final[0], x, rtol=1e-11)
    # minibatch oracle: tau = n is the full gradient
    tr = mr.dsgd(mast, np.zeros(8), gamma, 30, rng=0, oracle="minibatch", batch_size=50)
    np.testing.assert_allclose(tr.final[0], x, rtol=1e-11)


# ------------------------------------------------------------------------------------------------
# FunctionProblem (a user's smooth function; no kernel, the reference path)
# ------------------------------------------------------------------------------------------------


def _huber(d=3, c=1.0, reg=0.1):
    def f(x):
        r = np.abs(x - c)
        return float(np.sum(np.where(r <= 1, 0.5 * r**2, r - 0.5)) + 0.5 * reg * x @ x)

    def grad(x):
        return np.clip(x - c, -1.0, 1.0) + reg * x

    return mr.FunctionProblem(f, grad, d=d, L=1 + reg, mu=reg)


def test_function_problem_f_D_is_the_enumerated_sum():
    huber = _huber()
    law = mr.Bernoulli(p=np.array([0.3, 0.6, 0.9]))
    v = np.array([2.0, -1.0, 0.5])
    mast = mr.MAST(huber, law, shift=v)
    x = np.array([0.3, 1.7, -2.0])
    masks = itertools.product((0, 1), repeat=3)
    expected = 0.0
    for m in masks:
        m = np.array(m)
        prob = np.prod(np.where(m, law.p, 1 - law.p))
        s = m / law.p
        expected += prob * huber.value(v + s * (x - v))
    assert mast.value(x) == pytest.approx(expected, rel=1e-13)
    x_D = mast.argmin()
    assert np.linalg.norm(mast.grad(x_D)) < 1e-9
    assert mast.gap >= 0 and mast.solution.method == "enumeration"


def test_function_problem_reference_path_equals_kernel_path():
    """The same quadratic as a FunctionProblem (Python path) and a Quadratic (numba path)."""
    rng = np.random.default_rng(2)
    B = rng.standard_normal((5, 5))
    A = B @ B.T + np.eye(5)
    b = A @ rng.standard_normal(5)
    q = mr.Quadratic(A, b)
    fp = mr.FunctionProblem(q.value, q.grad, d=5, L=q.L, mu=q.mu)
    v = rng.standard_normal(5)
    law = mr.RandK(5, 2)
    a = mr.dsgd(mr.MAST(q, law, shift=v), np.zeros(5), 0.01, 40, n_runs=3, rng=1)
    c = mr.dsgd(mr.MAST(fp, law, shift=v), np.zeros(5), 0.01, 40, n_runs=3, rng=1)
    assert mr.MAST(fp, law).kernel_pack is None
    np.testing.assert_allclose(c.iterates, a.iterates, rtol=1e-12, atol=1e-13)


def test_function_problem_theorems_need_only_L_and_mu():
    mast = mr.MAST(_huber(), mr.RandK(3, 2), shift=np.array([1.0, 0.0, -1.0]))
    g = mr.theorem1(mast, x0=np.zeros(3))
    assert g.valid and g.gamma == pytest.approx(1 / (1.1 * 2.25))
    assert mr.check(g, mast, n_steps=200, n_runs=300, rng=0).verdict == "holds"
    with pytest.raises(TypeError, match="finite-sum"):
        mr.theorem3(mast, x0=np.zeros(3), batch_size=2, strongly_convex=True)
    with pytest.raises(mr.MissingCapability, match="quadratic"):
        mr.expected_dsgd(mast, np.zeros(3), 0.1, 5)


def test_function_problem_bad_constants():
    with pytest.raises(ValueError, match="'mu'"):
        mr.FunctionProblem(abs, abs, d=2, L=1.0, mu=2.0)
    with pytest.raises(TypeError, match="callables"):
        mr.FunctionProblem(1.0, abs, d=2, L=1.0)
    nonconvex = mr.FunctionProblem(np.sin, np.cos, d=1, L=1.0, convex=False)
    with pytest.raises(mr.MissingCapability, match="argmin"):
        nonconvex.argmin()


# ------------------------------------------------------------------------------------------------
# Sketch laws written by users
# ------------------------------------------------------------------------------------------------


class BlockBernoulli(mr.DiagonalSketch):
    """Blocks of coordinates kept together with probability p, scaled by 1/p (sampling only)."""

    def __init__(self, block_of, p):
        self.block_of = np.asarray(block_of, dtype=np.int64)
        self.n_blocks = int(self.block_of.max()) + 1
        self.d = self.block_of.size
        self.p = float(p)

    def sample_support(self, rng=None):
        rng = mr.as_generator(rng)
        keep = rng.random(self.n_blocks) < self.p
        idx = np.flatnonzero(keep[self.block_of])
        return idx, np.full(idx.size, 1.0 / self.p)


class FiniteBlockBernoulli(BlockBernoulli):
    """The same law with its finite support: every keep pattern of the blocks."""

    @property
    def support_size(self):
        return 2**self.n_blocks

    def support(self):
        masks = np.array(list(itertools.product((0, 1), repeat=self.n_blocks)), dtype=float)
        atoms = masks[:, self.block_of] / self.p
        weights = np.prod(np.where(masks == 1, self.p, 1 - self.p), axis=1)
        return atoms, weights


class MomentBernoulli(mr.DiagonalSketch):
    """Independent Bernoulli(p) known through its mixed moments only (no support listed)."""

    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)
        self.d = self.p.size

    def sample(self, rng=None):
        return np.where(mr.as_generator(rng).random(self.d) < self.p, 1 / self.p, 0.0)

    def moment(self, multi_index):
        m = np.asarray(multi_index)
        on = m > 0
        return float(np.prod(self.p[on] ** (1.0 - m[on])))

    @property
    def L_S_max(self):
        return float(1 / self.p.min() ** 2)


def test_compiled_default_sample_supports_is_the_same_law_and_stream():
    law = BlockBernoulli([0, 0, 1, 2, 2, 2], 0.4)
    fast = law.sample_supports(200, rng=7)
    rng = np.random.default_rng(7)
    slow = supports_from_pairs([law.sample_support(rng) for _ in range(200)])
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


def test_check_sketch_on_every_builtin_law():
    laws = [
        mr.Identity(4),
        mr.Bernoulli(p=np.array([0.2, 0.5, 0.9, 1.0])),
        mr.RandK(6, 2),
        mr.RandomSubset(6, [1, 3], [0.25, 0.75], 6 / 2.5),
        mr.Partition(7, 3, rng=0),
        mr.FiniteSketch([[2.0, 0.0], [0.0, 2.0]]),
        mr.PermutationSketch(6, 3).marginal(),
        mr.Projection(4, 2),
        mr.Gaussian(3, 2),
        mr.Bernoulli(40, 0.5),  # 2^40 atoms: first moments, not enumeration
    ]
    for law in laws:
        result = mr.check_sketch(law, rng=0)
        assert result.passed, (law, result.table())
        assert result.bias <= 1e-10 or result.method.startswith("Monte Carlo")


def test_check_sketch_fails_a_biased_law_and_mast_refuses_it():
    class Unscaled(BlockBernoulli):  # forgot the 1/p: E[s_j] = p
        def sample_support(self, rng=None):
            rng = mr.as_generator(rng)
            keep = rng.random(self.n_blocks) < self.p
            idx = np.flatnonzero(keep[self.block_of])
            return idx, np.ones(idx.size)

    law = Unscaled([0, 1, 1], 0.5)
    result = mr.check_sketch(law, rng=0)
    assert not result.passed and result.bias == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ValueError, match=r"measured bias max \|E\[S\] - I\| = 0\.5"):
        mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), law)


def test_check_sketch_catches_a_wrong_closed_form():
    class WrongPairs(mr.Bernoulli):
        def pair_moments(self):
            return np.ones((self.d, self.d))  # forgets E[s_j^2] = 1/p_j

    result = mr.check_sketch(WrongPairs(3, 0.5), rng=0)
    failed = {i.name for i in result.items if not i.passed}
    assert "E[s s^T] = enumeration" in failed


def test_user_law_reaches_every_tool():
    """A finite user law: exact f_D, expected_dsgd (= Monte Carlo), L-SVRDSG, Theorems 1, 4."""
    law = FiniteBlockBernoulli([0, 0, 1, 1, 2], 0.5)
    assert mr.check_sketch(law).method == "exact (support)"
    rng = np.random.default_rng(3)
    B = rng.standard_normal((5, 5))
    q = mr.Quadratic(B @ B.T / 5 + 0.5 * np.eye(5), rng.standard_normal(5))
    mast = mr.MAST(q, law, shift=rng.standard_normal(5))
    x0 = np.zeros(5)
    g = mr.theorem1(mast, x0=x0)
    e = mr.expected_dsgd(mast, x0, g.gamma, 50)
    tr = mr.dsgd(mast, x0, g.gamma, 50, n_runs=20000, rng=1, record_at=[50])
    d2 = np.sum((tr.final - mast.argmin()) ** 2, axis=1)
    assert abs(d2.mean() - e.dist2[-1]) <= 5 * d2.std(ddof=1) / math.sqrt(d2.size)
    assert mr.check(g, mast, n_steps=200).verdict == "holds"
    g4 = mr.theorem4(mast, x0=x0)
    r4 = mr.check(g4, mast, n_steps=300)
    assert r4.verdict == "holds" and r4.method == "exact (L-SVRDSG moments)"
    r4mc = mr.check(g4, mast, n_steps=300, method="monte_carlo", n_runs=50, rng=0)
    assert r4mc.verdict == "holds"


def test_moment_only_law_gets_the_exact_recursion_of_its_builtin_twin():
    p = np.array([0.3, 0.5, 0.8, 0.6])
    rng = np.random.default_rng(4)
    B = rng.standard_normal((4, 4))
    q = mr.Quadratic(B @ B.T + np.eye(4), rng.standard_normal(4))
    v = rng.standard_normal(4)
    user = mr.MAST(q, MomentBernoulli(p), shift=v)
    twin = mr.MAST(q, mr.Bernoulli(p=p), shift=v)
    assert "moments" in MomentBernoulli(p).capabilities()
    assert not MomentBernoulli(p).has_finite_support
    a = mr.expected_dsgd(user, np.zeros(4), 0.02, 30)
    b = mr.expected_dsgd(twin, np.zeros(4), 0.02, 30)
    np.testing.assert_allclose(a.dist2, b.dist2, rtol=1e-11)
    np.testing.assert_allclose(a.grad_norm2, b.grad_norm2, rtol=1e-11)


def test_sampling_only_law_says_what_is_missing():
    law = BlockBernoulli([0, 1], 0.5)
    assert law.capabilities() == frozenset({"sample"})
    mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), law)
    with pytest.raises(mr.MissingCapability, match="'sandwich'"):
        mast.value(np.zeros(2))
    with pytest.raises(mr.MissingCapability, match="finite, uniform"):
        mr.l_svrdsg(mast, np.zeros(2), 0.1, 5)
    with pytest.raises(mr.MissingCapability, match="'moments'"):
        mr.expected_dsgd(mast, np.zeros(2), 0.1, 5)


# ------------------------------------------------------------------------------------------------
# check: the verifier on a user's claim
# ------------------------------------------------------------------------------------------------


def test_check_exact_and_monte_carlo_agree_and_a_false_claim_is_violated():
    rng = np.random.default_rng(5)
    B = rng.standard_normal((4, 4))
    q = mr.Quadratic(B @ B.T / 4 + 0.5 * np.eye(4), rng.standard_normal(4))
    mast = mr.MAST(q, mr.RandK(4, 2), shift=rng.standard_normal(4))
    exact = mr.check(mr.theorem1, mast, x0=np.zeros(4), n_steps=100)
    mc = mr.check(mr.theorem1, mast, x0=np.zeros(4), n_steps=100, method="monte_carlo", rng=0)
    assert exact.verdict == mc.verdict == "holds"
    last = mc.steps[-1]
    assert abs(mc.measured[-1] - exact.measured[last]) <= (mc.upper[-1] - mc.measured[-1])
    g = mr.theorem1(mast, x0=np.zeros(4))
    no_floor = mr.Guarantee(
        name="Theorem 1 without its neighbourhood",
        quantity="dist2",
        gamma=g.gamma,
        gamma_max=g.gamma_max,
        bound=lambda t: g.rate**t * g.values["dist2_0"],
    )
    assert mast.gap > 0
    assert mr.check(no_floor, mast, x0=np.zeros(4), n_steps=3000).verdict == "violated"


# ------------------------------------------------------------------------------------------------
# Delta without enumeration: interpolation exactly, otherwise a sample-average approximation
# ------------------------------------------------------------------------------------------------


def test_saa_interval_contains_the_exact_gap():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((80, 6)) * (rng.random((80, 6)) < 0.6)
    lr = mr.LogisticRegression(X, np.where(rng.random(80) < 0.5, -1.0, 1.0), 0.1)
    v = rng.standard_normal(6)
    exact = mr.MAST(lr, mr.RandK(6, 3), shift=v)
    assert exact.solution.method == "enumeration"
    saa = mr.MAST(lr, mr.RandK(6, 3), shift=v)
    saa.exact_support_limit = 5  # 20 atoms: force the sample-average approximation
    sol = saa.solution
    assert sol.method == "sample-average approximation" and not sol.exact
    lo, hi = sol.gap_interval
    assert lo <= exact.gap <= hi
    assert np.sum((sol.x - exact.argmin()) ** 2) <= sol.dist2_bound
    notes: list[str] = []
    g = mr.theorem1(saa, x0=np.zeros(6))
    assert g.values["Delta"] == pytest.approx(hi) or "P6" in " ".join(g.notes), notes


def _saa_objective(lr, atoms, weights, v, x):
    """``sum_k pi_k f(v + s_k * (x - v))`` and its gradient, from the definition."""
    vals = [lr.value(v + s * (x - v)) for s in atoms]
    grads = [s * lr.grad(v + s * (x - v)) for s in atoms]
    return float(weights @ vals), weights @ np.array(grads)


def test_a_sample_of_atoms_is_minimised_as_the_sample_average_it_is():
    """A sample of a law's atoms has ``E_pi[s] != 1``: the weighted model must still be
    ``sum_k pi_k f(v + s_k * (x - v))`` up to a constant (it carried ``lam (1 - E[s^2]) v``,
    another function), and a coordinate no atom keeps (here the last) must not break the solve
    (Newton's Cholesky failed on the singular Hessian: a new user's RandK on a5a)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 5))
    lr = mr.LogisticRegression(X, np.where(rng.random(40) < 0.5, -1.0, 1.0), 0.5)
    v = rng.standard_normal(5)
    atoms = np.array([[2.0, 2.0, 0, 0, 0], [0, 2.0, 2.0, 0, 0], [2.0, 0, 0, 2.0, 0]])
    weights = np.full(3, 1 / 3)  # E_pi[s] = (4/3, 4/3, 2/3, 2/3, 0)
    Z, w, Q, q, offset = lr.weighted_terms(atoms, weights, v)
    from mastref.solvers import weighted_logistic_value

    diffs = [
        _saa_objective(lr, atoms, weights, v, x)[0]
        - weighted_logistic_value(Z, w, Q, q, x, offset)
        for x in rng.standard_normal((4, 5))
    ]
    assert np.ptp(diffs) < 1e-12
    x, gnorm = lr.minimize_sketched(atoms, weights, v)
    assert x[4] == v[4] and gnorm < 1e-10
    assert np.linalg.norm(_saa_objective(lr, atoms, weights, v, x)[1]) < 1e-10


def test_interpolation_is_recognised_exactly():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 30))
    lr = mr.LogisticRegression(X, np.where(rng.random(40) < 0.5, -1.0, 1.0), 0.1)
    mast = mr.MAST(lr, mr.RandK(30, 10), shift=lr.argmin())  # 3e7 atoms: no enumeration
    assert mast.gap == 0.0 and mast.solution.method == "interpolation (v = x*)"
    np.testing.assert_array_equal(mast.argmin(), lr.argmin())
