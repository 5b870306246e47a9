"""Exact expectations of Algorithm 1-II (tau-nice minibatches of a finite sum of quadratics,
combined with a sketch) against brute-force enumeration of every path and against Monte Carlo.

The joint law of (sketch atom, batch) is finite, so ``expected_dsgd(..., oracle="minibatch")``
is exact; the reference here enumerates all ``(atoms x batches)^T`` paths of the iteration
``x+ = x - gamma S grad f_B(v + S(x - v))`` with the problem's own ``batch_grad`` and atoms
written from the laws' definitions (``enumeration.py``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from enumeration import bernoulli_atoms, randk_atoms

import mastref as mr


def _instance(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return mr.LeastSquares(X, rng.standard_normal(n), lam=0.1), rng


def _brute_force(mast, atoms, tau, x0, gamma, T):
    rows, weights = atoms
    problem, v = mast.problem, mast.v
    batches = list(itertools.combinations(range(problem.n_samples), tau))
    x_star = mast.argmin()
    out = np.empty((3, T + 1))
    paths = [(np.array(x0, dtype=float), 1.0)]
    for t in range(T + 1):
        X = np.array([p[0] for p in paths])
        W = np.array([p[1] for p in paths])
        out[:, t] = (
            W @ np.sum((X - x_star) ** 2, axis=1),
            W @ np.array([mast.value(x) - mast.inf for x in X]),
            W @ np.array([np.sum(mast.grad(x) ** 2) for x in X]),
        )
        if t == T:
            break
        paths = [
            (x - gamma * s * problem.batch_grad(v + s * (x - v), list(B)), w * pk / len(batches))
            for x, w in paths
            for s, pk in zip(rows, weights, strict=True)
            for B in batches
        ]
    return out


CASES = {
    "randk-tau2": (4, 3, 2, lambda d: (mr.RandK(d, 2), randk_atoms(d, 2))),
    "bernoulli-tau1": (
        3,
        3,
        1,
        lambda d: (
            mr.Bernoulli(p=np.array([0.4, 0.7, 1.0])),
            bernoulli_atoms(np.array([0.4, 0.7, 1.0])),
        ),
    ),
    "randk-tau3-of-5": (5, 3, 3, lambda d: (mr.RandK(d, 1), randk_atoms(d, 1))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_minibatch_expectation_equals_enumeration_of_paths(name):
    n, d, tau, make = CASES[name]
    problem, rng = _instance(n, d, len(name))
    law, atoms = make(d)
    mast = mr.MAST(problem, law, shift=rng.standard_normal(d))
    x0 = rng.standard_normal(d)
    gamma = 0.5 / mast.L_max
    exact = mr.expected_dsgd(mast, x0, gamma, 3, oracle="minibatch", batch_size=tau)
    got = np.array([exact.dist2, exact.value_gap, exact.grad_norm2])
    reference = _brute_force(mast, atoms, tau, x0, gamma, 3)
    np.testing.assert_allclose(got, reference, rtol=1e-11, atol=0)


def test_full_batch_is_the_exact_oracle_and_smaller_batches_add_noise():
    problem, rng = _instance(5, 3, 11)
    mast = mr.MAST(problem, mr.RandK(3, 2), shift=rng.standard_normal(3))
    x0, gamma = rng.standard_normal(3), 0.5 / mast.L_max
    full = mr.expected_dsgd(mast, x0, gamma, 40, oracle="minibatch", batch_size=5)
    exact = mr.expected_dsgd(mast, x0, gamma, 40)
    np.testing.assert_allclose(full.dist2, exact.dist2, rtol=1e-12)
    small = mr.expected_dsgd(mast, x0, gamma, 40, oracle="minibatch", batch_size=2)
    np.testing.assert_allclose(small.mean, exact.mean, rtol=1e-12)  # E x_t: GD on f_D either way
    assert small.dist2[-1] > 1.01 * exact.dist2[-1]  # the batch noise raises the floor


def test_minibatch_expectation_agrees_with_monte_carlo():
    """R = 4000 runs, fixed seed: each of the 12 exact values lies within 5 standard errors of
    the Monte Carlo mean (a false alarm has probability < 1e-5 under the normal approximation)."""
    problem, rng = _instance(6, 4, 5)
    mast = mr.MAST(problem, mr.Bernoulli(4, 0.5), shift=rng.standard_normal(4))
    x0, gamma, tau = np.zeros(4), 1.0 / mast.L_max, 2
    exact = mr.expected_dsgd(mast, x0, gamma, 60, oracle="minibatch", batch_size=tau)
    steps = [0, 5, 20, 60]
    trace = mr.dsgd(
        mast,
        x0,
        gamma,
        60,
        rng=3,
        n_runs=4000,
        oracle="minibatch",
        batch_size=tau,
        record_at=steps,
    )
    x_star = mast.argmin()
    for k, t in enumerate(steps[1:], start=1):
        X = trace.iterates[k]
        samples = {
            "dist2": np.sum((X - x_star) ** 2, axis=1),
            "value_gap": np.array([mast.value(x) - mast.inf for x in X]),
            "grad_norm2": np.array([np.sum(mast.grad(x) ** 2) for x in X]),
        }
        for name, vals in samples.items():
            se = vals.std(ddof=1) / np.sqrt(vals.size)
            assert abs(vals.mean() - getattr(exact, name)[t]) <= 5 * se, (name, t)


def test_minibatch_refusals_name_the_way_out():
    problem, rng = _instance(4, 3, 1)
    mast = mr.MAST(problem, mr.RandK(3, 2))
    with pytest.raises(mr.MissingCapability, match="method='auto' or 'atoms'"):
        mr.expected_dsgd(
            mast, np.zeros(3), 0.1, 5, oracle="minibatch", batch_size=2, method="moments"
        )
    big, _ = _instance(40, 3, 2)
    with pytest.raises(mr.MissingCapability, match="MAX_ATOMS.*batch_size"):
        mr.expected_dsgd(
            mr.MAST(big, mr.RandK(3, 2)), np.zeros(3), 0.1, 5, oracle="minibatch", batch_size=3
        )
    with pytest.raises(TypeError, match="finite-sum"):
        quad = mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), mr.RandK(3, 2))
        mr.expected_dsgd(quad, np.zeros(3), 0.1, 5, oracle="minibatch", batch_size=1)
