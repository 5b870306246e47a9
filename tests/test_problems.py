"""Problems of THEORY.md §2: values, gradients, constants, optima."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import fd_grad, random_logistic, random_quadratic
from scipy.optimize import minimize_scalar
from scipy.special import expit

import mastref as mr


def test_quadratic_grad_constants_and_optimum():
    rng = np.random.default_rng(0)
    q = random_quadratic(rng, 5, mu=0.3)
    x = rng.standard_normal(5)
    np.testing.assert_allclose(q.grad(x), fd_grad(q.value, x), rtol=1e-7, atol=1e-7)
    eig = np.linalg.eigvalsh(q.A)
    assert q.L == pytest.approx(eig[-1], rel=1e-12) and q.mu == pytest.approx(eig[0], rel=1e-10)
    xs = q.argmin()
    np.testing.assert_allclose(q.A @ xs, q.b, atol=1e-10)
    assert q.inf == pytest.approx(q.value(xs), rel=1e-12, abs=1e-12)
    assert q.inf == pytest.approx(q.c - 0.5 * q.b @ np.linalg.solve(q.A, q.b), rel=1e-10)


def test_quadratic_singular_uses_pseudoinverse():
    rng = np.random.default_rng(1)
    q = random_quadratic(rng, 6, rank=3)
    xs = q.argmin()
    np.testing.assert_allclose(q.grad(xs), 0.0, atol=1e-10)
    assert q.mu == 0.0
    np.testing.assert_allclose(xs, np.linalg.pinv(q.A) @ q.b, atol=1e-10)
    # every point has value >= f^inf
    for _ in range(20):
        assert q.value(rng.standard_normal(6) * 3) >= q.inf - 1e-12


@pytest.mark.parametrize("sparse", [False, True])
def test_logistic_grad_finite_differences(sparse):
    rng = np.random.default_rng(2)
    lr = random_logistic(rng, 30, 6, lam=0.05, sparse=sparse)
    x = rng.standard_normal(6)
    np.testing.assert_allclose(lr.grad(x), fd_grad(lr.value, x), rtol=1e-6, atol=1e-8)
    rows = np.array([3, 7, 11])
    np.testing.assert_allclose(
        lr.batch_grad(x, rows), fd_grad(lambda z: lr.batch_value(z, rows), x), rtol=1e-6, atol=1e-8
    )


def test_logistic_sparse_equals_dense_and_batches_average():
    rng = np.random.default_rng(3)
    dense = random_logistic(rng, 25, 5, lam=0.2)
    sparse = mr.LogisticRegression(sp.csc_matrix(dense.X), dense.y, 0.2)
    x = rng.standard_normal(5)
    assert sparse.value(x) == pytest.approx(dense.value(x), rel=1e-13)
    np.testing.assert_allclose(sparse.grad(x), dense.grad(x), rtol=1e-12, atol=1e-15)
    allrows = np.arange(25)
    np.testing.assert_allclose(dense.batch_grad(x, allrows), dense.grad(x), rtol=1e-12)
    per_sample = np.array([dense.batch_grad(x, np.array([i])) for i in range(25)])
    np.testing.assert_allclose(per_sample.mean(axis=0), dense.grad(x), rtol=1e-12, atol=1e-15)


def test_logistic_definition_by_hand():
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]])
    y = np.array([1.0, -1.0, 1.0])
    lam = 0.3
    lr = mr.LogisticRegression(X, y, lam)
    x = np.array([0.2, -0.4])
    by_hand = np.mean([np.log(1 + np.exp(-y[i] * X[i] @ x)) for i in range(3)]) + lam / 2 * x @ x
    assert lr.value(x) == pytest.approx(by_hand, rel=1e-14)
    assert lr.L == pytest.approx(np.linalg.eigvalsh(X.T @ X)[-1] / 12 + lam, rel=1e-12)
    np.testing.assert_allclose(lr.L_i, np.sum(X**2, axis=1) / 4 + lam, rtol=1e-14)
    assert lr.mu == lam


def test_logistic_L_bounds_the_hessian():
    rng = np.random.default_rng(4)
    lr = random_logistic(rng, 40, 4, lam=0.01)
    for _ in range(10):
        x = rng.standard_normal(4) * 2
        m = lr.y * (lr.X @ x)
        c = expit(m) * expit(-m) / lr.n_samples
        H = lr.X.T @ (c[:, None] * lr.X) + lr.lam * np.eye(4)
        assert np.linalg.eigvalsh(H)[-1] <= lr.L * (1 + 1e-12)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_logistic_stable_for_huge_margins(sign):
    X = np.array([[1e4], [sign * 1e4]])
    lr = mr.LogisticRegression(X, np.array([1.0, 1.0]), 1e-3)
    x = np.array([1.0])
    # log(1 + e^{-1e4}) = 0 to double precision; log(1 + e^{1e4}) = 1e4
    expected = (0.0 + (0.0 if sign > 0 else 1e4)) / 2 + 0.5e-3
    assert lr.value(x) == pytest.approx(expected, rel=1e-14)
    g = lr.grad(x)
    assert np.all(np.isfinite(g))
    # sample 2 contributes -(1/2) sigma(-m) a = -(1/2)(1)(-1e4) = +5e3 when its margin is -1e4
    assert g[0] == pytest.approx((0.0 if sign > 0 else 0.5e4) + 1e-3, rel=1e-12)


def test_logistic_argmin_exact():
    rng = np.random.default_rng(5)
    for sparse in (False, True):
        lr = random_logistic(rng, 60, 7, lam=1e-3, sparse=sparse)
        xs = lr.argmin()
        assert np.linalg.norm(lr.grad(xs)) <= 1e-10
        assert lr.inf == pytest.approx(lr.value(xs), rel=1e-15)
        # strong convexity: f(x) - f^inf >= lam/2 ||x - x*||^2 everywhere
        for _ in range(5):
            x = xs + rng.standard_normal(7)
            assert lr.value(x) - lr.inf >= 0.5 * lr.lam * np.sum((x - xs) ** 2) * (1 - 1e-9)


def test_logistic_per_sample_inf_by_independent_1d_solve():
    rng = np.random.default_rng(6)
    lr = random_logistic(rng, 12, 4, lam=0.07, scale=3.0)
    lr.X[0] = 0.0  # a zero row: f_0^inf = log 2
    lr = mr.LogisticRegression(lr.X, lr.y, lr.lam)
    for i in range(12):
        r = float(lr.X[i] @ lr.X[i])
        res = minimize_scalar(
            lambda t, r=r: np.logaddexp(0, -t * r) + 0.5 * lr.lam * r * t * t,
            bounds=(0, 1 / lr.lam),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert lr.inf_i[i] == pytest.approx(res.fun, rel=1e-10, abs=1e-14)
        assert lr.inf_i[i] <= res.fun + 1e-15  # the exact root is no worse than the search
        # f_i(x) >= f_i^inf at random points
        for _ in range(5):
            x = rng.standard_normal(4) * 2
            fi = np.logaddexp(0, -lr.y[i] * lr.X[i] @ x) + 0.5 * lr.lam * x @ x
            assert fi >= lr.inf_i[i] - 1e-14
    assert lr.inf_i[0] == pytest.approx(np.log(2), rel=1e-15)


# ------------------------------------------------------------------------------------------------
# audit: a user's derivatives and constants checked against the function's own values
# ------------------------------------------------------------------------------------------------


def _half_norm(x):
    return 0.5 * float(x @ x)


@pytest.mark.parametrize("d", [1, 7, 400])
def test_audit_refuses_a_gradient_that_f_contradicts_and_accepts_the_right_one(d):
    # grad = 3x for f = ||x||^2/2 is off by 2x: along x/||x|| the slope is 3||x||, not ||x||
    with pytest.raises(ValueError, match=r"'grad' is not the gradient.*= 3 but .* = 1 "):
        mr.FunctionProblem(_half_norm, lambda x: 3 * x, d=d, L=3.0)
    # the right one, also with f far from 0 (round-off of f ~ 1e12 * eps / h) and no curvature
    assert mr.FunctionProblem(_half_norm, lambda x: x, d=d, L=1.0, mu=1.0).d == d
    offset = mr.FunctionProblem(lambda x: 1e12 + _half_norm(x), lambda x: x, d=d, L=1.0)
    assert offset.L == 1.0
    mr.FunctionProblem(lambda x: float(np.sum(x)), lambda x: np.ones(d), d=d, L=1e-3)
    # wrong by 1% is caught: the allowance at the larger step 100 h ~ 6e-4 is 2 L h ~ 1.2e-3
    with pytest.raises(ValueError, match="'grad'"):
        mr.FunctionProblem(_half_norm, lambda x: 1.01 * x, d=d, L=2.0)


def test_audit_accepts_piecewise_smooth_and_steep_correct_gradients():
    huber_grad = lambda x: np.clip(x - 1.0, -1.0, 1.0) + 0.1 * x  # noqa: E731

    def huber(x):
        r = np.abs(x - 1.0)
        return float(np.sum(np.where(r <= 1, 0.5 * r**2, r - 0.5)) + 0.05 * x @ x)

    for d in (1, 3, 50):
        mr.FunctionProblem(huber, huber_grad, d=d, L=1.1, mu=0.1)
    # softplus scaled by 1e6: |f| ~ 1e8, L = 2.5e5
    mr.FunctionProblem(
        lambda x: 1e6 * float(np.sum(np.logaddexp(0, x))),
        lambda x: 1e6 * expit(x),
        d=20,
        L=2.5e5,
    )


def test_audit_names_a_stated_L_below_the_measured_curvature():
    # f = 5 ||x||^2: every secant has slope exactly 10
    with pytest.raises(ValueError, match=r"stated L = 0.5 is below the measured curvature 10 "):
        mr.FunctionProblem(lambda x: 5.0 * float(x @ x), lambda x: 10.0 * x, d=3, L=0.5)
    # the secant power iteration finds the top eigenvalue of diag(1, ..., 10) nearly: L = 9 fails
    A = np.diag(np.arange(1.0, 11.0))
    with pytest.raises(ValueError, match=r"stated L = 9 is below the measured curvature 9\.\d"):
        mr.FunctionProblem(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, d=10, L=9.0)
    # stated exactly: never refused (a secant slope cannot exceed the top eigenvalue)
    mr.FunctionProblem(lambda x: 0.5 * float(x @ A @ x), lambda x: A @ x, d=10, L=10.0, mu=1.0)


def test_audit_names_a_stated_mu_or_convexity_that_secants_contradict():
    with pytest.raises(ValueError, match=r"stated mu = 1 is above the measured curvature 0.5"):
        mr.FunctionProblem(lambda x: 0.25 * float(x @ x), lambda x: 0.5 * x, d=3, L=1.0, mu=1.0)
    sin = lambda x: float(np.sum(np.sin(x)))  # noqa: E731
    with pytest.raises(ValueError, match="declared convex.*convex=False"):
        mr.FunctionProblem(sin, np.cos, d=3, L=1.0, convex=True)
    assert not mr.FunctionProblem(sin, np.cos, d=3, L=1.0, convex=False).is_convex


def test_audit_checks_argmin_inf_and_hess():
    grad = lambda x: x - 1.0  # noqa: E731
    f = lambda x: 0.5 * float((x - 1.0) @ (x - 1.0))  # noqa: E731
    ok = mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, argmin=np.ones(4) + 1e-9, inf=0.0)
    assert ok.inf == 0.0
    with pytest.raises(ValueError, match=r"'argmin' is not a minimiser: .* = 2"):
        mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, argmin=np.zeros(4))
    with pytest.raises(ValueError, match="'inf' = 1 exceeds f = 0"):
        mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, argmin=np.ones(4), inf=1.0)
    with pytest.raises(ValueError, match=r"'inf' = -1 differs from f\(argmin\) = 0"):
        mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, argmin=np.ones(4), inf=-1.0)
    mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, hess=lambda x: np.eye(4))
    with pytest.raises(ValueError, match="'hess' is not the Hessian"):
        mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, hess=lambda x: 2 * np.eye(4))
    with pytest.raises(ValueError, match="'hess' is not symmetric"):
        mr.FunctionProblem(f, grad, d=4, L=1.0, mu=1.0, hess=lambda x: np.eye(4) + np.eye(4, k=1))
    with pytest.raises(TypeError, match="'f' must return a real number.*shape \\(4,\\)"):
        mr.FunctionProblem(lambda x: x, grad, d=4, L=1.0)


def test_audit_cost_does_not_grow_with_d():
    calls = {}

    def counted(d):
        calls[d] = 0

        def f(x):
            calls[d] += 1
            return _half_norm(x)

        def grad(x):
            calls[d] += 1
            return x

        mr.FunctionProblem(f, grad, d=d, L=1.0, mu=1.0)
        return calls[d]

    assert counted(2) == counted(5000) <= 60


def test_audit_finds_nothing_wrong_with_the_built_in_problems():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6))
    y = np.sign(rng.standard_normal(40))
    for f in (
        random_quadratic(rng, 6, mu=0.1),
        mr.LogisticRegression(X, y, 0.1),
        mr.LogisticRegression(100 * X, y, 1e-4),
        mr.LeastSquares(X, y, 0.1),
    ):
        assert mr.problems.audit(f) == ()
