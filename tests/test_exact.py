"""Exact expected trajectories (THEORY.md §6) vs brute-force enumeration and Monte Carlo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from enumeration import balanced_assignments
from helpers import random_quadratic

import mastref as mr


def _curves(objective_value, objective_grad, x_star, f_inf, X, w):
    """Weighted averages over paths of the three measured quantities; X (paths, d)."""
    d2 = np.sum((X - x_star) ** 2, axis=1)
    gap = np.array([objective_value(x) for x in X]) - f_inf
    gn = np.array([np.sum(objective_grad(x) ** 2) for x in X])
    return np.array([w @ d2, w @ gap, w @ gn])


def brute_force_dsgd(mast, x0, gamma, T):
    """Enumerate all sketch sequences (support^T) and average the deterministic paths."""
    atoms, weights = mast.sketch.support()
    q, v = mast.problem, mast.v
    out = np.empty((3, T + 1))
    paths = [(x0.copy(), 1.0)]
    for t in range(T + 1):
        X = np.array([p[0] for p in paths])
        W = np.array([p[1] for p in paths])
        out[:, t] = _curves(mast.value, mast.grad, mast.argmin(), mast.inf, X, W)
        if t == T:
            break
        paths = [
            (x - gamma * s * (q.A @ (v + s * (x - v)) - q.b), w * pk)
            for x, w in paths
            for s, pk in zip(atoms, weights, strict=True)
        ]
    return out


def _compare(exact, brute):
    got = np.array([exact.dist2, exact.value_gap, exact.grad_norm2])
    np.testing.assert_allclose(got, brute, rtol=1e-11, atol=1e-12)


SKETCHES = {
    "bernoulli": lambda: mr.Bernoulli(p=np.array([0.3, 0.6, 0.9])),
    "randk": lambda: mr.RandK(3, 2),
    "randk1": lambda: mr.RandK(4, 1),
    "partition": lambda: mr.Partition(4, 2, rng=0),
    "finite": lambda: mr.FiniteSketch([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]),
    "perm-marginal": lambda: mr.PermutationSketch(4, 3).marginal(),
}


@pytest.mark.parametrize("name", list(SKETCHES))
def test_expected_dsgd_equals_enumeration(name):
    sketch = SKETCHES[name]()
    rng = np.random.default_rng(len(name))
    q = random_quadratic(rng, sketch.d, mu=0.3)
    mast = mr.MAST(q, sketch, shift=rng.standard_normal(sketch.d))
    x0 = rng.standard_normal(sketch.d)
    gamma = 0.5 / mast.L_max
    _compare(mr.expected_dsgd(mast, x0, gamma, 3), brute_force_dsgd(mast, x0, gamma, 3))


def _brute_force_distributed(dp, x0, gamma, T, joint_atoms):
    """joint_atoms: list of ((M, d) scale arrays, weight)."""
    v, M = dp.v, dp.n_clients
    out = np.empty((3, T + 1))
    paths = [(x0.copy(), 1.0)]
    for t in range(T + 1):
        X = np.array([p[0] for p in paths])
        W = np.array([p[1] for p in paths])
        out[:, t] = _curves(dp.value, dp.grad, dp.argmin(), dp.inf, X, W)
        if t == T:
            break
        new = []
        for x, w in paths:
            for S, pk in joint_atoms:
                g = sum(
                    S[i] * (c.A @ (v + S[i] * (x - v)) - c.b) for i, c in enumerate(dp.problems)
                )
                new.append((x - gamma * g / M, w * pk))
        paths = new
    return out


@pytest.mark.parametrize(("d", "M"), [(4, 2), (5, 2), (4, 3)])
def test_expected_distributed_permutation_equals_enumeration(d, M):
    rng = np.random.default_rng(d * M)
    clients = [random_quadratic(rng, d, mu=0.3) for _ in range(M)]
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(d, M), shift=rng.standard_normal(d))
    owners = list(balanced_assignments(d, M))
    atoms = [
        (np.array([M * (o == i) for i in range(M)], dtype=float), 1 / len(owners)) for o in owners
    ]
    x0 = rng.standard_normal(d)
    gamma = 0.3 / dp.A
    _compare(
        mr.expected_distributed_dsgd(dp, x0, gamma, 3),
        _brute_force_distributed(dp, x0, gamma, 3, atoms),
    )


def test_expected_distributed_independent_equals_enumeration():
    rng = np.random.default_rng(1)
    d = 3
    laws = [mr.Bernoulli(p=np.array([0.5, 0.7, 1.0])), mr.RandK(3, 2)]
    clients = [random_quadratic(rng, d, mu=0.3) for _ in laws]
    dp = mr.DistributedProblem(clients, laws, shift=rng.standard_normal(d))
    supports = [law.support() for law in laws]
    atoms = [
        (np.array([supports[0][0][a], supports[1][0][b]]), supports[0][1][a] * supports[1][1][b])
        for a, b in itertools.product(range(len(supports[0][1])), range(len(supports[1][1])))
    ]
    x0 = rng.standard_normal(d)
    gamma = 0.3 / dp.A
    _compare(
        mr.expected_distributed_dsgd(dp, x0, gamma, 2),
        _brute_force_distributed(dp, x0, gamma, 2, atoms),
    )


@pytest.mark.parametrize("sketch", [mr.RandK(8, 3), mr.Bernoulli(8, 0.5)], ids=repr)
def test_expected_dsgd_agrees_with_monte_carlo(sketch):
    """d = 8, T = 200, R = 4000 runs: each exact value within 5 standard errors of the MC mean."""
    rng = np.random.default_rng(2)
    q = random_quadratic(rng, 8, mu=0.3)
    mast = mr.MAST(q, sketch, shift=rng.standard_normal(8))
    x0 = np.zeros(8)
    gamma = 1 / mast.L_max
    exact = mr.expected_dsgd(mast, x0, gamma, 200)
    steps = [0, 10, 50, 200]
    trace = mr.dsgd(mast, x0, gamma, 200, rng=3, n_runs=4000, record_at=steps)
    x_star = mast.argmin()
    for k, t in enumerate(steps):
        X = trace.iterates[k]
        samples = {
            "dist2": np.sum((X - x_star) ** 2, axis=1),
            "value_gap": np.array([mast.value(x) for x in X]) - mast.inf,
            "grad_norm2": np.sum((mast.grad(mast.v) + (X - mast.v) @ mast.A_D) ** 2, axis=1),
        }
        for name, vals in samples.items():
            se = vals.std(ddof=1) / np.sqrt(vals.size)
            assert abs(vals.mean() - getattr(exact, name)[t]) <= 5 * se + 1e-10 * abs(vals.mean())


def test_expected_distributed_agrees_with_monte_carlo():
    rng = np.random.default_rng(4)
    clients = [random_quadratic(rng, 8, mu=0.3) for _ in range(3)]
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(8, 3), shift=rng.standard_normal(8))
    gamma = 1 / dp.A
    exact = mr.expected_distributed_dsgd(dp, np.zeros(8), gamma, 200)
    trace = mr.distributed_dsgd(dp, np.zeros(8), gamma, 200, rng=5, n_runs=4000, record_at=[200])
    d2 = np.sum((trace.final - dp.argmin()) ** 2, axis=1)
    assert abs(d2.mean() - exact.dist2[200]) <= 5 * d2.std(ddof=1) / np.sqrt(d2.size)


def test_exact_mean_is_gd_on_f_D():
    """E x_t follows GD on f_D: m+ = m - gamma (g_v + A_D m)."""
    rng = np.random.default_rng(6)
    mast = mr.MAST(random_quadratic(rng, 5, mu=0.3), mr.RandK(5, 2), shift=rng.standard_normal(5))
    gamma = 0.1 / mast.L
    gd = mr.gd_mast(mast, np.zeros(5), gamma, 30)
    np.testing.assert_allclose(
        mr.expected_dsgd(mast, np.zeros(5), gamma, 30).mean, gd.final[0], rtol=1e-12, atol=1e-14
    )


def test_dense_sketches_are_refused():
    rng = np.random.default_rng(7)
    mast = mr.MAST(random_quadratic(rng, 3, mu=0.3), mr.Projection(3, 1))
    with pytest.raises(NotImplementedError, match="Monte Carlo"):
        mr.expected_dsgd(mast, np.zeros(3), 0.01, 5)


# ------------------------------------------------------------------------------------------------
# The O(d^3) forms against the O(d^4) reference loops (THEORY.md §6)
# ------------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mastref.exact import (  # noqa: E402
    _drift_fast,
    _f3_cross_perm,
    _f3_cross_perm_fast,
    _f3_fast,
    _f3_single,
    _f4_cross_perm,
    _f4_cross_perm_fast,
    _f4_fast,
    _f4_single,
)


def _law_of(kind: int, d: int, rng):
    if kind == 0:
        return mr.Bernoulli(p=rng.uniform(0.1, 1.0, d))
    if kind == 1:
        return mr.RandK(d, int(rng.integers(1, d + 1)))
    if kind == 2:
        sizes = np.array([int(rng.integers(1, d + 1)), int(rng.integers(1, d + 1))])
        return mr.RandomSubset(d, sizes, [0.3, 0.7], d / (0.3 * sizes[0] + 0.7 * sizes[1]))
    return mr.Partition(d, int(rng.integers(1, d + 1)), rng=rng)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 2**31), st.integers(1, 9), st.sampled_from([0, 1, 2, 3]), st.booleans())
def test_fast_moment_forms_equal_the_reference_loops(seed, d, kind, symmetric):
    rng = np.random.default_rng(seed)
    law = _law_of(kind, d, rng)
    structure = law.moment_structure()
    B = rng.standard_normal((d, d))
    A = B @ B.T
    P = rng.standard_normal((d, d))
    P = P @ P.T if symmetric else P + P.T
    m, g = rng.standard_normal(d), rng.standard_normal(d)
    ref4, ref3 = _f4_single(A, P, *structure), _f3_single(A, m, g, *structure)
    scale4, scale3 = max(1.0, np.abs(ref4).max()), max(1.0, np.abs(ref3).max())
    assert np.abs(_f4_fast(A, P, *structure) - ref4).max() <= 1e-12 * scale4
    assert np.abs(_f4_fast(A, P, *structure, AP=A @ P) - ref4).max() <= 1e-12 * scale4
    assert np.abs(_f3_fast(A, m, g, *structure) - ref3).max() <= 1e-12 * scale3
    drift = _drift_fast(A, P, *structure)
    assert np.abs(drift - law.sandwich(A) @ P).max() <= 1e-12 * max(1.0, np.abs(drift).max())


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(2, 4))
def test_fast_permutation_cross_terms_equal_the_reference(seed, d, M):
    M = min(M, d)
    rng = np.random.default_rng(seed)
    Q = mr.PermutationSketch(d, M).cross_moment_table()
    Ai, Aj = (lambda B: B @ B.T)(rng.standard_normal((d, d))), rng.standard_normal((d, d))
    Aj = Aj + Aj.T
    P = rng.standard_normal((d, d))
    P = P + P.T
    m, g = rng.standard_normal(d), rng.standard_normal(d)
    ref4 = _f4_cross_perm(Ai, Aj, P, Q, float(M))
    ref3 = _f3_cross_perm(Ai, m, g, Q, float(M))
    assert np.abs(_f4_cross_perm_fast(Ai, Aj, P, Q, float(M)) - ref4).max() <= 1e-12 * max(
        1.0, np.abs(ref4).max()
    )
    assert np.abs(_f3_cross_perm_fast(Ai, m, g, Q, float(M)) - ref3).max() <= 1e-12 * max(
        1.0, np.abs(ref3).max()
    )


def test_huge_horizon_is_refused_up_front_naming_n_steps():
    """T = 10^9 would need 22 GiB of curves and hours of steps: refused in well under 1 s, with
    the argument to change; with the time budget lifted, the memory estimate refuses it."""
    import time

    mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    start = time.perf_counter()
    with pytest.raises(mr.CostLimitExceeded, match="n_steps = 1000000000 needs an estimated.*h;"):
        mr.expected_dsgd(mast, np.zeros(2), 0.1, 10**9)
    assert time.perf_counter() - start < 1.0
    with mr.cost_budget(seconds=1e9), pytest.raises(mr.CostLimitExceeded, match=r"2\d\.\d GiB"):
        mr.expected_dsgd(mast, np.zeros(2), 0.1, 10**9)
    dp = mr.DistributedProblem([mr.Quadratic(np.eye(2), np.ones(2))] * 2, mr.RandK(2, 1))
    with pytest.raises(mr.CostLimitExceeded, match="Reduce n_steps"):
        mr.expected_distributed_dsgd(dp, np.zeros(2), 0.1, 10**9)
    part = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(2, 2, rng=0))
    with pytest.raises(mr.CostLimitExceeded, match="Reduce n_steps"):
        mr.expected_svrdsg(part, np.zeros(2), 0.1, 10**9)
