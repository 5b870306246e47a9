"""Built-in laws at scale: overflow-free combinatorics, O(d) constants, guarded d x d objects."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest

import mastref as mr
from mastref.sketches.subsets import inclusion_probability, log2_comb


def test_inclusion_probability_equals_exact_fractions_for_small_d():
    """``C(d-u, k-u)/C(d, k)`` in exact rational arithmetic, every d <= 14, k, u <= 4."""
    for d in range(1, 15):
        for k in range(0, d + 1):
            for u in range(0, 5):
                if u > d:
                    continue
                exact = (
                    Fraction(math.comb(d - u, k - u), math.comb(d, k)) if k >= u else Fraction(0)
                )
                assert inclusion_probability(d, k, u) == pytest.approx(float(exact), rel=1e-15)


def test_log2_comb_equals_exact_bit_count():
    for n, k in ((10, 3), (200, 100), (10000, 1000)):
        assert log2_comb(n, k) == pytest.approx(math.log2(math.comb(n, k)), rel=1e-12)


@pytest.mark.parametrize(("d", "k"), [(5000, 500), (10000, 1000), (10**6, 10**5)])
def test_randk_at_scale_has_exact_moments_without_overflow(d, k):
    law = mr.RandK(d, k)
    # P(U in C) for |U| = u is prod_{t<u} (k-t)/(d-t): independent of the law's code path.
    for u in range(5):
        m = np.zeros(d, dtype=np.int64)
        m[:u] = 1
        exact = Fraction(1)
        for t in range(u):
            exact *= Fraction(k - t, d - t)
        assert law.moment(m) == pytest.approx(float(exact) * (d / k) ** u, rel=1e-13)
    assert law.L_D == law.mu_D == pytest.approx(d / k)
    assert law.L_S_max == pytest.approx((d / k) ** 2)


def test_support_sizes_are_exact_when_small_and_inf_when_huge():
    assert mr.RandK(10, 3).support_size == 120
    assert mr.RandK(10000, 1000).support_size == math.comb(10000, 1000)
    start = time.perf_counter()
    assert mr.RandK(10**6, 5 * 10**5).support_size == math.inf  # math.comb takes ~30 s here
    assert mr.PermutationSketch(10**6, 4).n_assignments == math.inf
    assert time.perf_counter() - start < 1.0
    assert mr.PermutationSketch(7, 3).n_assignments == 630  # 3 * 7!/(3! 2! 2!)


def test_huge_support_message_does_not_trip_int_to_str_limit():
    with pytest.raises(ValueError, match=r"~10\^6020\.6 atoms exceeds MAX_SUPPORT"):
        mr.Bernoulli(20000, 0.5).support()


@pytest.mark.parametrize(
    "law",
    [
        mr.Bernoulli(10**5, 0.5),
        mr.RandK(10**5, 10),
        mr.Partition(10**5, 10, rng=0),
        mr.Identity(10**5),
        mr.PermutationSketch(10**5, 4).marginal(),
    ],
    ids=repr,
)
def test_pair_moments_at_scale_are_refused_up_front_naming_idx(law):
    start = time.perf_counter()
    with pytest.raises(mr.CostLimitExceeded, match=r"74\.5 GiB.*Pass idx="):
        law.pair_moments()
    assert time.perf_counter() - start < 0.5
    idx = np.array([0, 7, 99999])
    block = law.pair_moments(idx=idx)
    assert block.shape == (3, 3)
    np.testing.assert_allclose(np.diag(block), law.second_moment_diag()[idx], rtol=1e-15)


def test_pair_moment_blocks_equal_the_full_matrix_at_small_d():
    rng = np.random.default_rng(0)
    for law in (
        mr.Bernoulli(p=rng.uniform(0.2, 1, 7)),
        mr.RandK(7, 3),
        mr.Partition(7, 3, rng=1),
        mr.Identity(7),
        mr.FiniteSketch(*mr.RandK(5, 2).support()),
    ):
        idx = rng.permutation(law.d)[:4]
        np.testing.assert_array_equal(
            law.pair_moments(idx=idx), law.pair_moments()[np.ix_(idx, idx)]
        )
    with pytest.raises(ValueError, match="argument 'idx' has entry -1"):
        mr.RandK(7, 3).pair_moments(idx=[-1, 2])
    with pytest.raises(ValueError, match="argument 'idx' has entry 7"):
        mr.Bernoulli(7, 0.5).pair_moments(idx=[7])


@pytest.mark.parametrize(
    "make",
    [
        lambda d: mr.Bernoulli(d, 0.1),
        lambda d: mr.RandK(d, d // 10),
        lambda d: mr.Partition(d, 10, rng=0),
        lambda d: mr.Identity(d),
        lambda d: mr.PermutationSketch(d, 8).marginal(),
        lambda d: mr.PermutationSketch(d, 8),
    ],
)
def test_constants_at_d_one_million_in_linear_time(make):
    start = time.perf_counter()
    law = make(10**6)
    consts = (law.L_D, law.mu_D, law.L_S_max)
    assert time.perf_counter() - start < 5.0  # O(d); a d x d object would need 7.3 TiB
    assert 1.0 <= consts[1] <= consts[0] <= consts[2]
