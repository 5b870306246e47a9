"""Theorem 3's tau-nice ABC constants, exactly: the expected-smoothness inequality

    E||g(x)||^2 <= 2 A (f_D(x) - f_D^inf) + B ||grad f_D(x)||^2 + C,   (B = 0)

with g = S grad f_B(v + S(x - v)), S from the law and B a tau-nice batch, holds on every
(atom, batch) pair enumerated, on random finite sums of quadratics; it holds with equality on
the two catalogue instances that isolate the A term and C's Delta_data term (hand-derived:
identical samples x^2/2 with Bernoulli(1/2), E g^2 = E s^4 x^2 = 8 x^2 = 2 A f_D with A = 4;
f_{1,2} = (x -+ 1)^2/2 with tau = 1, E g^2 = x^2 + 1 = 2 (x^2/2) + C with A = 1, C = 1)."""

import itertools

import numpy as np
import pytest

import mastref as mr
from mastref.catalogue.theorem3 import FINITE_SUMS
from mastref.theorems import tau_nice_abc


def _sides(mast, tau, x):
    """(E||g(x)||^2, 2 A (f_D(x) - f_D^inf) + C) by enumeration of (atom, batch)."""
    f, v = mast.problem, mast.v
    atoms, weights = mast.sketch.support()
    batches = list(itertools.combinations(range(f.n_samples), tau))
    g2 = 0.0
    for s, w in zip(atoms, weights, strict=True):
        y = v + s * (x - v)
        for B in batches:
            g = s * f.batch_grad(y, list(B))
            g2 += w / len(batches) * float(g @ g)
    abc = tau_nice_abc(mast, tau)
    return g2, 2 * abc["A"] * (mast.value(x) - mast.inf) + abc["C"]


def _unbiased(atoms):
    return mr.FiniteSketch(atoms / atoms.mean(axis=0))


def test_expected_smoothness_holds_on_random_finite_sums():
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(30):
        n, d = int(rng.integers(2, 6)), 2
        X = rng.standard_normal((n, d)) * rng.uniform(0.2, 3.0, (n, 1))
        f = mr.LeastSquares(X, rng.standard_normal(n))
        law = [
            mr.Bernoulli(d, 0.5),
            mr.RandK(d, 1),
            mr.Identity(d),
            _unbiased(rng.uniform(0.5, 1.5, (3, d))),
        ][int(rng.integers(0, 4))]
        mast = mr.MAST(f, law, shift=rng.standard_normal(d))
        tau = int(rng.integers(1, n + 1))
        for _ in range(4):
            x = mast.argmin() + rng.standard_normal(d) * 10.0 ** rng.uniform(-2, 1)
            lhs, rhs = _sides(mast, tau, x)
            assert lhs <= rhs * (1 + 1e-10) + 1e-12, (n, tau, law, lhs, rhs)
            worst = max(worst, lhs / rhs)
    assert worst > 0.2  # not vacuous


@pytest.mark.parametrize("term", ["A", "Delta_data"])
def test_expected_smoothness_is_an_equality_where_one_term_is_isolated(term):
    mast, tau, _ = FINITE_SUMS[term]()
    for x in (-2.0, 0.3, 5.0):
        lhs, rhs = _sides(mast, tau, np.array([x]))
        assert lhs == pytest.approx(rhs, rel=1e-12)
