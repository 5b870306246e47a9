"""Theorems of THEORY.md §5: hand computations, Monte Carlo sanity, invalid guarantees.

The hand instance H: f(x) = 1/2 x^T diag(1, 2) x (b = 0), shift v = (1, 1), x_0 = 0.
With Bernoulli(1/2): L_f = 2, mu_f = 1, L_D = mu_D = 2, L_S_max = 4, so L = 4, mu = 2, L_max = 8;
A_D = diag(2, 4), g_v = (1, 2), x_D* = v - A_D^{-1} g_v = (1/2, 1/2), ||x_0 - x_D*||^2 = 1/2,
f_D(x_0) = E f((1 - s) v) = f(v) = 3/2, f_D^inf = f(v) - 1/2 g_v^T A_D^{-1} g_v = 3/4,
f^inf = 0, so Delta = delta_0 = 3/4.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import random_logistic, random_quadratic

import mastref as mr

V = np.array([1.0, 1.0])
X0 = np.zeros(2)


def hand_mast(sketch) -> mr.MAST:
    return mr.MAST(mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2)), sketch, shift=V)


def test_hand_instance_constants():
    M = hand_mast(mr.Bernoulli(2, 0.5))
    assert (M.L, M.mu, M.L_max) == (4.0, 2.0, 8.0)
    np.testing.assert_allclose(M.argmin(), [0.5, 0.5], rtol=1e-14)
    assert M.gap == pytest.approx(0.75, rel=1e-14)
    assert M.value(X0) - M.inf == pytest.approx(0.75, rel=1e-14)


def test_theorem1_by_hand():
    g = mr.theorem1(hand_mast(mr.Bernoulli(2, 0.5)), x0=X0)
    assert g.gamma_max == g.gamma == 1 / 8
    assert g.rate == 0.75
    assert g.floor == pytest.approx(2 * (1 / 8) * 8 * 0.75 / 2, rel=1e-14)
    np.testing.assert_allclose(g.bound([0, 10]), [0.5 + 0.75, 0.75**10 * 0.5 + 0.75], rtol=1e-14)
    assert g.quantity == "dist2" and g.valid
    # a smaller step: rate 1 - gamma mu, neighbourhood 2 gamma L_max Delta / mu
    g2 = mr.theorem1(hand_mast(mr.Bernoulli(2, 0.5)), x0=X0, gamma=1 / 16)
    assert g2.rate == 1 - 2 / 16
    assert g2.floor == pytest.approx(2 / 16 * 8 * 0.75 / 2, rel=1e-14)


def test_theorem2_by_hand():
    T = 100
    g = mr.theorem2(hand_mast(mr.Bernoulli(2, 0.5)), x0=X0, n_steps=T)
    gamma = 1 / math.sqrt(32 * T)
    assert g.gamma == pytest.approx(gamma, rel=1e-14)
    expected = 1.01**T * 0.75 / (gamma * T) + 32 * gamma * 0.75
    assert g.bound(T) == pytest.approx(expected, rel=1e-12)
    assert g.bound(0) == np.inf
    assert g.values["bound_simplified"] == pytest.approx((math.e * 0.75 + 0.75) * math.sqrt(0.32))
    assert g.bound(T) <= g.values["bound_simplified"]
    assert g.quantity == "grad_norm2_min" and g.gamma_max == np.inf


def test_theorem3_by_hand():
    M = hand_mast(mr.Bernoulli(2, 0.5))
    g = mr.theorem3(M, x0=X0, strongly_convex=True)
    # exact oracle: A = L_max = 8, B = 0, C = 2 L_max Delta = 12; gamma = mu/(L A) = 1/16
    assert (g.values["A"], g.values["B"], g.values["C"]) == (8.0, 0.0, 12.0)
    assert g.gamma == 1 / 16
    assert g.values["rho"] == pytest.approx(0.125, rel=1e-14)
    assert g.floor == pytest.approx(4 * 12 / 256 / (2 * 0.125), rel=1e-14)
    np.testing.assert_allclose(g.bound([0, 5]), [1.5, 0.875**5 * 0.75 + 0.75], rtol=1e-14)
    assert g.gamma_max == pytest.approx(2 * 2 / 32)
    # the nonconvex form with the exact oracle is Theorem 2
    g3, g2 = mr.theorem3(M, x0=X0, n_steps=100), mr.theorem2(M, x0=X0, n_steps=100)
    assert g3.bound(100) == pytest.approx(g2.bound(100), rel=1e-12)


def test_tau_nice_abc_constants_by_hand():
    rng = np.random.default_rng(0)
    lr = random_logistic(rng, 4, 3, lam=0.2)
    M = mr.MAST(lr, mr.RandK(3, 2), shift=rng.standard_normal(3))
    abc = mr.tau_nice_abc(M, 2)
    assert abc["c_tau"] == pytest.approx(1 / 3) and abc["B_tau"] == pytest.approx(2 / 3)
    L_i = np.sum(lr.X**2, axis=1) / 4 + 0.2
    L_f = np.linalg.eigvalsh(lr.X.T @ lr.X)[-1] / 16 + 0.2
    A_tau = max(L_i) / 3
    assert abc["A_tau"] == pytest.approx(A_tau, rel=1e-13)
    assert abc["A"] == pytest.approx(2.25 * (A_tau + 2 / 3 * L_f), rel=1e-12)
    Dd = lr.inf - np.mean(lr.inf_i)
    assert abc["C"] == pytest.approx(2 * abc["A"] * M.gap + 2 * 2.25 * A_tau * Dd, rel=1e-10)
    full = mr.tau_nice_abc(M, 4)  # tau = n: the exact oracle
    assert full["A"] == pytest.approx(M.L_max, rel=1e-12) and full["A_tau"] == 0.0
    assert mr.theorem3(M, x0=np.zeros(3), n_steps=50, batch_size=4).bound(50) == pytest.approx(
        mr.theorem2(M, x0=np.zeros(3), n_steps=50).bound(50), rel=1e-12
    )


def test_theorem4a_by_hand():
    """Partition {0}, {1}: atoms (2, 0), (0, 2); L = L_f L_S_max = 8, gamma_max = 1/48, p = 1/2.

    At x_0 = 0 the atom gradients are (-2, 0) and (0, -4); at x_D* = (1/2, 1/2) both vanish, so
    D_0 = (4 + 16)/2 = 10, sigma*^2 = 0 and Phi_0 = 1/2 + (4 gamma^2 / p) D_0.
    """
    M = hand_mast(mr.Partition(blocks=[[0], [1]]))
    g = mr.theorem4(M, x0=X0)
    assert g.gamma_max == g.gamma == 1 / 48
    assert g.rate == pytest.approx(1 - 1 / 24, rel=1e-14)
    assert g.values["D_0"] == pytest.approx(10.0, rel=1e-14)
    assert g.values["sigma_star2"] == pytest.approx(0.0, abs=1e-28)
    phi0 = 0.5 + 4 * (1 / 48) ** 2 / 0.5 * 10
    np.testing.assert_allclose(g.bound([0, 24]), [phi0, (1 - 1 / 24) ** 24 * phi0], rtol=1e-13)
    assert g.floor == 0.0


def test_theorem4b_by_hand():
    """Near-identity law: 8 atoms (1 +- 0.1, 1 +- 0.1), each twice; f = 1/2||x||^2 - b^T x."""
    atoms = np.array([[1.1, 1.1], [0.9, 0.9], [1.1, 0.9], [0.9, 1.1]] * 2)
    b_vec = np.array([0.3, -0.2])
    M = mr.MAST(mr.Quadratic(np.eye(2), b_vec), mr.FiniteSketch(atoms), shift=V)
    g = mr.theorem4(M, x0=X0, b=7)
    N, b = 8, 7
    c_b = (N - b) / (b * (N - 1))
    L, mu = 1.21, 1.01  # L_f max s^2 and mu_f min E[s_j^2]
    ratio = 8 * c_b * L / mu
    gamma = (1 - ratio) / ((9 + 12 * c_b) * L)
    assert g.values["c_b"] == pytest.approx(c_b) and g.gamma == pytest.approx(gamma, rel=1e-12)
    # x_D* and sigma*^2 from the definitions
    AD = np.mean([np.outer(s, s) for s in atoms], axis=0) * np.eye(2)
    gv = V - b_vec
    xs = V - np.linalg.solve(AD, gv)
    grads = np.array([s * (V + s * (xs - V) - b_vec) for s in atoms])
    sigma2 = np.mean(np.sum(grads**2, axis=1))
    rho = min(gamma * mu / 2, (1 / N) / 2)
    floor = 4 * c_b * (3 * gamma**2 + 2 * gamma / mu) * sigma2 / rho
    assert g.values["sigma_star2"] == pytest.approx(sigma2, rel=1e-10)
    assert g.floor == pytest.approx(floor, rel=1e-10)
    assert g.rate == pytest.approx(1 - rho, rel=1e-12)


def test_theorem5_by_hand():
    """Clients diag(1,2), diag(3,1) (b = 0), permutation sketch over 2 clients, v = (1, 1).

    Marginal: one coordinate, scale 2: L_D = 2, L_S_max = 4. L_F = (2*2 + 3*2)/2 = 5,
    A = max(2*4, 3*4) = 12, mu_F = 2. A_F = (diag(2,4) + diag(6,2))/2 = diag(4,3),
    x_F* = v - A_F^{-1} (2, 1.5) = (1/2, 1/2), F^inf = 7/8, f_i^inf = 0, Delta_M = 7/8,
    F(0) = 7/4, delta_0 = 7/8.
    """
    clients = [
        mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2)),
        mr.Quadratic(np.diag([3.0, 1.0]), np.zeros(2)),
    ]
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(2, 2), shift=V)
    g = mr.theorem5(dp, x0=X0, strongly_convex=True)
    assert (g.values["L_F"], g.values["A"], g.values["mu_F"]) == (5.0, 12.0, 2.0)
    assert g.values["Delta_M"] == pytest.approx(0.875, rel=1e-14)
    assert g.gamma == g.gamma_max == 1 / 12 and g.rate == pytest.approx(5 / 6)
    np.testing.assert_allclose(g.bound([0]), [0.5 + 0.875], rtol=1e-14)
    T = 50
    g = mr.theorem5(dp, x0=X0, n_steps=T)
    gamma = 1 / math.sqrt(5 * 12 * T)
    expected = (1 + 60 * gamma**2) ** T * 0.875 / (gamma * T) + 60 * gamma * 0.875
    assert g.bound(T) == pytest.approx(expected, rel=1e-12)
    ge = mr.theorem5(dp, x0=X0, strongly_convex=True, constants="exact")
    assert ge.values["mu_F"] == pytest.approx(3.0) and ge.values["L_F"] == pytest.approx(4.0)


def test_baseline_by_hand_and_gd_obeys_it():
    M = hand_mast(mr.Bernoulli(2, 0.5))
    g = mr.baseline_gd(M, x0=X0)
    assert g.gamma == 1 / 4 and g.rate == 0.5
    trace = mr.gd_mast(M, X0, g.gamma, 20)
    gaps = np.array([M.value(x) - M.inf for x in trace.iterates[:, 0]])
    assert np.all(gaps <= g.bound(trace.steps) * (1 + 1e-12) + 1e-15)


def test_exact_constants_are_refinements():
    rng = np.random.default_rng(3)
    q = random_quadratic(rng, 5, mu=0.3)
    M = mr.MAST(q, mr.RandK(5, 2), shift=rng.standard_normal(5))
    paper, exact = mr.theorem1(M, x0=np.zeros(5)), mr.theorem1(M, x0=np.zeros(5), constants="exact")
    assert (
        exact.values["L_max"] <= paper.values["L_max"] and exact.values["mu"] >= paper.values["mu"]
    )
    samples, _ = M.sketch.support()
    by_hand = max(np.linalg.eigvalsh(np.diag(s) @ q.A @ np.diag(s))[-1] for s in samples)
    assert exact.values["L_max"] == pytest.approx(by_hand, rel=1e-12)
    assert exact.gamma_max >= paper.gamma_max


# ----------------------------------------------------------------------------------------------
# Invalid guarantees
# ----------------------------------------------------------------------------------------------


def test_unbounded_sketch_has_no_theorem1():
    M = mr.MAST(random_quadratic(np.random.default_rng(4), 3, mu=0.5), mr.Gaussian(3, 2))
    with pytest.raises(mr.InvalidGuarantee, match="L_S_max < inf"):
        mr.theorem1(M, x0=np.zeros(3))
    with pytest.warns(UserWarning, match="L_S_max < inf"):
        g = mr.theorem1(M, x0=np.zeros(3), strict=False)
    assert not g.valid and not g.conditions["L_S_max < inf"]


def test_step_above_the_limit_is_rejected():
    M = hand_mast(mr.Bernoulli(2, 0.5))
    with pytest.raises(mr.InvalidGuarantee, match="gamma <= gamma_max"):
        mr.theorem1(M, x0=X0, gamma=0.2)
    with pytest.raises(mr.InvalidGuarantee, match="gamma <= gamma_max"):
        mr.baseline_gd(M, x0=X0, gamma=0.3)
    with pytest.raises(mr.InvalidGuarantee, match="rho"):
        mr.theorem3(M, x0=X0, gamma=0.2, strongly_convex=True)
    with pytest.warns(UserWarning, match="gamma_max = 0.125"):
        assert not mr.theorem1(M, x0=X0, gamma=0.2, strict=False).valid


def test_not_strongly_convex():
    M = mr.MAST(mr.Quadratic(np.diag([1.0, 0.0]), np.zeros(2)), mr.Identity(2))
    with pytest.raises(mr.InvalidGuarantee, match="f_D strongly convex"):
        mr.theorem1(M, x0=np.ones(2))


def test_theorem4b_needs_the_c_b_condition():
    M = hand_mast(mr.Partition(blocks=[[0], [1]]))
    with pytest.raises(mr.InvalidGuarantee, match="8 c_b L / mu < 1"):
        mr.theorem4(M, x0=X0, b=1)


def test_exact_constants_need_a_quadratic():
    rng = np.random.default_rng(5)
    M = mr.MAST(random_logistic(rng, 10, 3), mr.RandK(3, 1))
    with pytest.raises(ValueError, match="constants='exact'"):
        mr.theorem1(M, x0=np.zeros(3), constants="exact")


# ----------------------------------------------------------------------------------------------
# Monte Carlo sanity: the mean over R runs stays below the bound (upper 3-sigma confidence
# bound of the mean, one-sided, false-alarm rate ~0.13% per recorded step; seeds fixed).
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sketch", [mr.RandK(6, 2), mr.Bernoulli(6, 0.4)], ids=["randk", "bernoulli"]
)
@pytest.mark.parametrize("shift", ["random", "optimal"])
def test_theorem1_monte_carlo(sketch, shift):
    rng = np.random.default_rng(6)
    q = random_quadratic(rng, 6, mu=0.5)
    v = q.argmin() if shift == "optimal" else rng.standard_normal(6)
    M = mr.MAST(q, sketch, shift=v)
    x0 = np.zeros(6)
    g = mr.theorem1(M, x0=x0)
    R, T = 2000, 400
    trace = mr.dsgd(M, x0, g.gamma, T, rng=7, n_runs=R, geometric=20)
    dist2 = np.sum((trace.iterates - M.argmin()) ** 2, axis=2)
    upper = dist2.mean(axis=1) + 3 * dist2.std(axis=1, ddof=1) / np.sqrt(R)
    assert np.all(upper <= g.bound(trace.steps) * (1 + 1e-12))  # equal at t = 0
    if shift == "optimal":  # Delta = 0: no neighbourhood, exact linear convergence
        assert g.floor <= 1e-20  # Delta = 0 up to the round-off of x* in v
        assert dist2[-1].mean() < 1e-2 * dist2[0].mean()


def test_theorem5_monte_carlo_permutation_sketch():
    rng = np.random.default_rng(8)
    clients = [random_quadratic(rng, 6, mu=0.5) for _ in range(3)]
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(6, 3), shift=rng.standard_normal(6))
    x0 = np.zeros(6)
    g = mr.theorem5(dp, x0=x0, strongly_convex=True)
    R, T = 2000, 400
    trace = mr.distributed_dsgd(dp, x0, g.gamma, T, rng=9, n_runs=R, geometric=20)
    dist2 = np.sum((trace.iterates - dp.argmin()) ** 2, axis=2)
    upper = dist2.mean(axis=1) + 3 * dist2.std(axis=1, ddof=1) / np.sqrt(R)
    assert np.all(upper <= g.bound(trace.steps) * (1 + 1e-12))  # equal at t = 0


def test_theorem4a_lyapunov_monte_carlo():
    rng = np.random.default_rng(10)
    q = random_quadratic(rng, 4, mu=0.5)
    M = mr.MAST(q, mr.Partition(4, 2, rng=0), shift=rng.standard_normal(4))
    g = mr.theorem4(M, x0=np.zeros(4))
    trace = mr.l_svrdsg(M, np.zeros(4), g.gamma, 300, rng=11, n_runs=200, record_every=50)
    phi = mr.svrdsg_lyapunov(g, M, trace)
    assert phi[0, 0] == pytest.approx(g.values["lyapunov_0"], rel=1e-12)
    upper = phi.mean(axis=1) + 3 * phi.std(axis=1, ddof=1) / np.sqrt(200)
    assert np.all(upper <= g.bound(trace.steps) * (1 + 1e-12))
