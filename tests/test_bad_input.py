"""Bad input gets a ValueError/TypeError whose message names the argument."""

from __future__ import annotations

import numpy as np
import pytest

import mastref as mr

A_OK = np.eye(3)
X_OK = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y_OK = np.array([1.0, -1.0, 1.0])
NAN_X = X_OK.copy()
NAN_X[1, 1] = np.nan

CASES = [
    ("bernoulli p > 1", lambda: mr.Bernoulli(1.5, 3), ValueError, "'p'"),
    ("bernoulli p = 0", lambda: mr.Bernoulli(np.array([0.5, 0.0])), ValueError, "'p'"),
    ("bernoulli p nan", lambda: mr.Bernoulli(np.array([0.5, np.nan])), ValueError, "'p'"),
    ("bernoulli p 2-d", lambda: mr.Bernoulli(np.ones((2, 2))), ValueError, "'p'"),
    ("bernoulli scalar without d", lambda: mr.Bernoulli(0.5), TypeError, "'d'"),
    ("bernoulli length mismatch", lambda: mr.Bernoulli(np.array([0.5, 0.5]), 3), ValueError, "'p'"),
    ("randk k = 0", lambda: mr.RandK(5, 0), ValueError, "'k'"),
    ("randk k > d", lambda: mr.RandK(5, 6), ValueError, "'k'"),
    ("randk float k", lambda: mr.RandK(5, 2.5), TypeError, "'k'"),
    ("identity d = 0", lambda: mr.Identity(0), ValueError, "'d'"),
    ("partition too many blocks", lambda: mr.Partition(3, 4), ValueError, "'n_blocks'"),
    (
        "partition overlapping blocks",
        lambda: mr.Partition(blocks=[[0, 1], [1, 2]]),
        ValueError,
        "'blocks'",
    ),
    (
        "partition missing coordinate",
        lambda: mr.Partition(blocks=[[0], [2]]),
        ValueError,
        "'blocks'",
    ),
    ("finite biased", lambda: mr.FiniteSketch([[1.0, 2.0], [0.0, 0.0]]), ValueError, "'diagonals'"),
    (
        "finite weights sum",
        lambda: mr.FiniteSketch([[1.0], [1.0]], [0.5, 0.6]),
        ValueError,
        "'weights'",
    ),
    (
        "finite negative weight",
        lambda: mr.FiniteSketch([[1.0], [1.0]], [1.5, -0.5]),
        ValueError,
        "'weights'",
    ),
    (
        "permutation more clients than d",
        lambda: mr.PermutationSketch(3, 4),
        ValueError,
        "'n_clients'",
    ),
    ("projection m > d", lambda: mr.Projection(3, 4), ValueError, "'m'"),
    ("gaussian m = 0", lambda: mr.Gaussian(3, 0), ValueError, "'m'"),
    (
        "quadratic not symmetric",
        lambda: mr.Quadratic([[1.0, 2.0], [0.0, 1.0]], [0, 0]),
        ValueError,
        "'A'",
    ),
    ("quadratic indefinite", lambda: mr.Quadratic(np.diag([1.0, -1.0]), [0, 0]), ValueError, "'A'"),
    ("quadratic not square", lambda: mr.Quadratic(np.ones((2, 3)), [0, 0]), ValueError, "'A'"),
    ("quadratic b wrong length", lambda: mr.Quadratic(A_OK, [1.0, 2.0]), ValueError, "'b'"),
    (
        "quadratic b outside range",
        lambda: mr.Quadratic(np.diag([1.0, 0.0]), [0.0, 1.0]),
        ValueError,
        "'b'",
    ),
    (
        "quadratic nan in A",
        lambda: mr.Quadratic(np.diag([1.0, np.nan]), [0.0, 0.0]),
        ValueError,
        "'A'",
    ),
    ("quadratic c inf", lambda: mr.Quadratic(A_OK, np.zeros(3), np.inf), ValueError, "'c'"),
    (
        "logistic labels 0/1",
        lambda: mr.LogisticRegression(X_OK, [1.0, 0.0, 1.0], 0.1),
        ValueError,
        "'y'",
    ),
    ("logistic negative lam", lambda: mr.LogisticRegression(X_OK, Y_OK, -0.1), ValueError, "'lam'"),
    ("logistic zero lam", lambda: mr.LogisticRegression(X_OK, Y_OK, 0.0), ValueError, "'lam'"),
    ("logistic nan in X", lambda: mr.LogisticRegression(NAN_X, Y_OK, 0.1), ValueError, "'X'"),
    ("logistic y length", lambda: mr.LogisticRegression(X_OK, [1.0, -1.0], 0.1), ValueError, "'y'"),
    ("logistic X 1-d", lambda: mr.LogisticRegression(np.ones(3), Y_OK, 0.1), ValueError, "'X'"),
    (
        "mast dimension mismatch",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.RandK(4, 2)),
        ValueError,
        "'sketch'",
    ),
    (
        "mast shift length",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.RandK(3, 2), shift=np.zeros(2)),
        ValueError,
        "'shift'",
    ),
    (
        "mast permutation sketch",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.PermutationSketch(3, 3)),
        TypeError,
        "'sketch'",
    ),
    (
        "mast x with nan",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.Identity(3)).value(
            np.array([0.0, np.nan, 0.0])
        ),
        ValueError,
        "'x'",
    ),
    (
        "mast sample shape",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.Identity(3)).sketched_grad(
            np.zeros(3), np.ones(2)
        ),
        ValueError,
        "'S'",
    ),
    ("bad seed type", lambda: mr.RandK(3, 1).sample("seed"), TypeError, "'seed'"),
    (
        "moment negative order",
        lambda: mr.RandK(3, 1).moment([1, -1, 0]),
        ValueError,
        "'multi_index'",
    ),
    ("sandwich wrong shape", lambda: mr.RandK(3, 1).sandwich(np.eye(2)), ValueError, "'A'"),
]


@pytest.mark.parametrize(("name", "call", "exc", "names"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_rejected_with_the_argument_named(name, call, exc, names):
    with pytest.raises(exc, match=names):
        call()


def test_enough_distinct_bad_inputs():
    assert len({c[0] for c in CASES}) >= 20
