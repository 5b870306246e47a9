"""Closed forms of THEORY.md §1 against independent enumeration and Monte Carlo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from enumeration import (
    balanced_assignments,
    bernoulli_atoms,
    mixed_moment_of,
    moments_of,
    partition_atoms,
    randk_atoms,
    sandwich_of,
)

import mastref as mr

TOL = 1e-12


def _finite_cases():
    rng = np.random.default_rng(2024)
    cases = []
    for d in range(1, 11):
        p = 0.3 + 0.6 * (d % 3) / 2
        cases.append((f"bern-scalar-d{d}", mr.Bernoulli(d, p), bernoulli_atoms(np.full(d, p))))
    for d in (3, 6, 10):
        p = rng.uniform(0.1, 1.0, d)
        p[0] = 1.0  # a coordinate that is always kept
        cases.append((f"bern-vector-d{d}", mr.Bernoulli(p=p), bernoulli_atoms(p)))
    for d in range(1, 8):
        for k in range(1, d + 1):
            cases.append((f"randk-{d}-{k}", mr.RandK(d, k), randk_atoms(d, k)))
    for d, B in ((4, 2), (7, 3), (9, 9), (5, 1)):
        P = mr.Partition(d, B, rng=d)
        cases.append((f"partition-{d}-{B}", P, partition_atoms(P.blocks, d)))
    P = mr.Partition(blocks=[[0, 3], [1], [2, 4, 5]])
    cases.append(("partition-uneven", P, partition_atoms([[0, 3], [1], [2, 4, 5]], 6)))
    cases.append(("identity-5", mr.Identity(5), (np.ones((1, 5)), np.ones(1))))
    for d, N in ((3, 4), (6, 7)):
        raw = rng.uniform(0, 2, (N, d)) * (rng.random((N, d)) < 0.6)
        raw[0] += 0.1  # every coordinate appears in some atom
        w = rng.dirichlet(np.ones(N))
        rows = raw / (w @ raw)
        cases.append((f"finite-{d}-{N}", mr.FiniteSketch(rows, w), (rows, w)))
    return cases


FINITE = _finite_cases()
IDS = [c[0] for c in FINITE]


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_unbiased_by_enumeration(name, sketch, atoms):
    rows, w = atoms
    assert abs(w.sum() - 1) < TOL
    np.testing.assert_allclose(moments_of(rows, w)["mean"], 1.0, rtol=0, atol=TOL)


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_constants_equal_enumeration(name, sketch, atoms):
    rows, w = atoms
    mom = moments_of(rows, w)
    np.testing.assert_allclose(sketch.pair_moments(), mom["pair"], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(sketch.second_moment(), np.diag(mom["second"]), rtol=TOL, atol=TOL)
    assert sketch.L_D == pytest.approx(mom["second"].max(), rel=TOL)
    assert sketch.mu_D == pytest.approx(mom["second"].min(), rel=TOL)
    assert sketch.L_S_max == pytest.approx(mom["L_S_max"], rel=TOL)
    assert sketch.kappa_D == pytest.approx(mom["second"].max() / mom["second"].min(), rel=TOL)
    # per-sample constants of every atom
    for s in rows:
        assert sketch.L_S(s) == pytest.approx(np.max(s**2), rel=TOL)
        assert sketch.mu_S(s) == pytest.approx(np.min(s**2), rel=TOL, abs=0)


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_sandwich_equals_enumeration(name, sketch, atoms):
    rows, w = atoms
    rng = np.random.default_rng(len(name))
    A = rng.standard_normal((sketch.d, sketch.d))  # not symmetric: the formula is entrywise
    np.testing.assert_allclose(sketch.sandwich(A), sandwich_of(rows, w, A), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_mixed_moments_equal_enumeration(name, sketch, atoms):
    rows, w = atoms
    rng = np.random.default_rng(7 + len(name))
    for _ in range(12):
        m = rng.integers(0, 5, sketch.d) * (rng.random(sketch.d) < 0.5)
        exact = mixed_moment_of(rows, w, m)
        assert sketch.moment(m) == pytest.approx(exact, rel=1e-11, abs=1e-12)
    assert sketch.moment(np.zeros(sketch.d, dtype=int)) == pytest.approx(1.0, rel=TOL)


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_support_lists_the_law(name, sketch, atoms):
    rows, w = atoms
    got_rows, got_w = sketch.support()
    assert sketch.support_size == got_rows.shape[0]

    def canon(R, W):
        order = np.lexsort(R.T[::-1])
        return R[order], W[order]

    R1, W1 = canon(got_rows, got_w)
    R2, W2 = canon(rows, w)
    np.testing.assert_allclose(R1, R2, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(W1, W2, rtol=TOL, atol=TOL)


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_p2_sketch_constant_chain(name, sketch, atoms):
    """P2: 1 <= mu_D <= L_D <= E[L_S] <= L_S_max."""
    mom = moments_of(*atoms)
    chain = [1.0, sketch.mu_D, sketch.L_D, mom["E_L_S"], sketch.L_S_max]
    assert all(a <= b * (1 + 1e-12) for a, b in itertools.pairwise(chain))


@pytest.mark.parametrize(("name", "sketch", "atoms"), FINITE, ids=IDS)
def test_samples_are_atoms(name, sketch, atoms):
    rows, _ = atoms
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = sketch.sample(rng)
        assert np.min(np.max(np.abs(rows - s), axis=1)) < 1e-12
        idx, sc = sketch.sample_support(rng)
        full = np.zeros(sketch.d)
        full[idx] = sc
        assert np.min(np.max(np.abs(rows - full), axis=1)) < 1e-12


def test_randk_closed_form_table():
    """THEORY.md §1 table entries for RandK, written out."""
    d, k = 7, 3
    R = mr.RandK(d, k)
    assert R.L_D == R.mu_D == pytest.approx(d / k)
    assert R.L_S_max == pytest.approx((d / k) ** 2)
    assert R.pair_moments()[0, 1] == pytest.approx(d * (k - 1) / (k * (d - 1)))
    A = np.random.default_rng(0).standard_normal((d, d))
    A = A + A.T
    c = d * (k - 1) / (k * (d - 1))
    np.testing.assert_allclose(R.sandwich(A), c * A + (d / k - c) * np.diag(np.diag(A)), rtol=1e-12)
    assert mr.RandK(d, 1).pair_moments()[0, 1] == 0.0


def test_bernoulli_sandwich_formula():
    """A_D = A + Diag((1/p_j - 1) A_jj) (THEORY.md §1)."""
    p = np.array([0.2, 0.5, 1.0, 0.9])
    A = np.random.default_rng(3).standard_normal((4, 4))
    expected = A + np.diag((1 / p - 1) * np.diag(A))
    np.testing.assert_allclose(mr.Bernoulli(p=p).sandwich(A), expected, rtol=1e-12)
    assert mr.Bernoulli(p=p).kappa_D == pytest.approx(5.0)
    assert mr.Bernoulli(6, 0.3).kappa_D == pytest.approx(1.0)


def test_partition_random_balanced():
    P = mr.Partition(10, 3, rng=5)
    sizes = sorted(len(b) for b in P.blocks)
    assert sizes == [3, 3, 4]
    assert sorted(np.concatenate(P.blocks).tolist()) == list(range(10))
    assert np.array_equal(
        np.concatenate(mr.Partition(10, 3, rng=5).blocks), np.concatenate(P.blocks)
    )


# ----------------------------------------------------------------------------------------------
# Permutation sketch
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("d", "M"), [(4, 2), (5, 2), (6, 3), (5, 5), (3, 1)])
def test_permutation_marginal_equals_enumeration(d, M):
    """Uniform balanced assignments: each client's law equals marginal(), and E[S_i] = I."""
    P = mr.PermutationSketch(d, M)
    owners = list(balanced_assignments(d, M))
    w = np.full(len(owners), 1.0 / len(owners))
    marg = P.marginal()
    rng = np.random.default_rng(0)
    A = rng.standard_normal((d, d))
    for client in range(M):
        rows = np.array([M * (o == client) for o in owners], dtype=float)
        mom = moments_of(rows, w)
        np.testing.assert_allclose(mom["mean"], 1.0, atol=TOL)
        np.testing.assert_allclose(marg.pair_moments(), mom["pair"], rtol=TOL, atol=TOL)
        np.testing.assert_allclose(
            marg.sandwich(A), sandwich_of(rows, w, A), rtol=1e-11, atol=1e-11
        )
        m = rng.integers(0, 4, d)
        assert marg.moment(m) == pytest.approx(mixed_moment_of(rows, w, m), rel=1e-11, abs=1e-12)
    assert P.L_S_max == M**2 and P.L_D == M and P.mu_D == M


def test_permutation_samples_partition_the_coordinates():
    P = mr.PermutationSketch(7, 3)
    rng = np.random.default_rng(11)
    for _ in range(20):
        S = P.sample(rng)
        assert S.shape == (3, 7)
        np.testing.assert_array_equal(S.sum(axis=0), 3.0)  # sum_i S_i = M I
        assert np.all(np.count_nonzero(S, axis=0) == 1)  # disjoint supports
        assert sorted(np.count_nonzero(S, axis=1).tolist()) == [2, 2, 3]


def test_permutation_sample_unbiased_monte_carlo():
    """E[S_i] = I for every client, within 5 standard errors (n = 20000, seed 0)."""
    P = mr.PermutationSketch(5, 2)
    rng = np.random.default_rng(0)
    draws = np.array([P.sample(rng) for _ in range(20000)])
    mean = draws.mean(axis=0)
    se = draws.std(axis=0, ddof=1) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(mean - 1.0) <= 5 * se)


# ----------------------------------------------------------------------------------------------
# Dense sketches: Monte Carlo within 5 standard errors
# ----------------------------------------------------------------------------------------------


def _mc(sketch, fn, n, seed):
    rng = np.random.default_rng(seed)
    vals = np.array([fn(sketch.sample(rng)) for _ in range(n)])
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(n)


DENSE = [mr.Projection(4, 2), mr.Projection(5, 1), mr.Projection(3, 3), mr.Gaussian(4, 3)]


@pytest.mark.parametrize("sketch", DENSE, ids=repr)
def test_dense_sketch_moments_monte_carlo(sketch):
    d = sketch.d
    rng = np.random.default_rng(99)
    A_sym = rng.standard_normal((d, d))
    A_sym = A_sym + A_sym.T
    A_gen = rng.standard_normal((d, d))
    checks = [
        (lambda S: S, np.eye(d)),
        (lambda S: S.T @ S, sketch.second_moment()),
        (lambda S: S.T @ A_sym @ S, sketch.sandwich(A_sym)),
        (lambda S: S.T @ A_gen @ S, sketch.sandwich(A_gen)),
    ]
    for i, (fn, exact) in enumerate(checks):
        mean, se = _mc(sketch, fn, 20000, seed=i)
        assert np.all(np.abs(mean - exact) <= 5 * se + 1e-12), (i, mean - exact, se)
    np.testing.assert_allclose(sketch.second_moment(), sketch.L_D * np.eye(d), rtol=TOL)
    assert sketch.mu_D == pytest.approx(sketch.L_D)


def test_projection_sample_constants():
    """Every sample of (d/m) Q Q^T has L_S = (d/m)^2 and mu_S = 0 for m < d."""
    P = mr.Projection(6, 2)
    rng = np.random.default_rng(4)
    for _ in range(10):
        S = P.sample(rng)
        np.testing.assert_allclose(S, S.T, atol=1e-12)
        assert P.L_S(S) == pytest.approx(9.0, rel=1e-10)
        assert P.mu_S(S) == pytest.approx(0.0, abs=1e-10)
    assert P.L_S_max == 9.0


def test_projection_symmetric_formula():
    """For symmetric A: E[S A S] = (d/m)^2 (a A + beta tr(A) I) (THEORY.md §1)."""
    d, m = 6, 2
    beta = m * (d - m) / (d * (d - 1) * (d + 2))
    a = m * (m + 2) / (d * (d + 2)) - beta
    A = np.random.default_rng(5).standard_normal((d, d))
    A = A + A.T
    expected = (d / m) ** 2 * (a * A + beta * np.trace(A) * np.eye(d))
    np.testing.assert_allclose(mr.Projection(d, m).sandwich(A), expected, rtol=1e-12)


def test_gaussian_constants():
    G = mr.Gaussian(5, 3)
    assert G.L_S_max == np.inf
    assert G.L_D == pytest.approx((3 + 5 + 1) / 3)
    A = np.diag([1.0, 2, 3, 4, 5])
    np.testing.assert_allclose(G.sandwich(A), (4 / 3) * A + (15 / 3) * np.eye(5), rtol=1e-12)


@pytest.mark.parametrize("p", [[1.0, 1.0], [1.0, 0.5]])
def test_bernoulli_with_kept_coordinates_lists_its_atoms(p):
    """Coordinates kept with probability 1 are always 1 (``1/p = 1``); with every ``p_j = 1``
    the law is the identity: one atom of weight 1 (it raised a reshape error)."""
    samples, weights = mr.Bernoulli(2, p).support()
    expected = [[1.0, 1.0]] if p[1] == 1.0 else [[1.0, 0.0], [1.0, 2.0]]
    assert np.array_equal(samples, np.array(expected))
    assert np.allclose(weights, [1.0] if p[1] == 1.0 else [0.5, 0.5], atol=0)
