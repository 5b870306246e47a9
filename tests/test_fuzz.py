"""Hypothesis fuzz of the user objects: ``FunctionProblem`` (its audit), and, lightly and through
public calls only, user sketch laws and ``Guarantee`` bounds.

The contract everywhere: a clear error (``ValueError``/``TypeError``/... whose message quotes
what is wrong) or a correct result, never a silent wrong number. For ``FunctionProblem`` the
audit's one-sided guarantees are tested exactly: a correct gradient with true constants is never
refused; a gradient off by a factor ``c`` (``|c - 1| >= 1/2``) is always refused; a stated ``L``
below ``lambda_min`` (so below every secant slope) is always refused.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mastref as mr

CLEAR = (ValueError, TypeError, FloatingPointError, mr.MissingCapability)
FUZZ = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def quadratics(draw, max_d: int = 6, low: float = 1.0, high: float = 10.0):
    """``(A, b)``: ``A = Q diag(lam) Q^T`` with ``lam`` in ``[low, high]``, ``Q`` orthogonal."""
    d = draw(st.integers(1, max_d))
    lam = np.array(draw(st.lists(st.floats(low, high), min_size=d, max_size=d)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    A = (Q * lam) @ Q.T
    A = 0.5 * (A + A.T)
    b = np.array(draw(st.lists(st.floats(-10, 10), min_size=d, max_size=d)))
    return A, b


def _f(A, b):
    return lambda x: 0.5 * float(x @ A @ x) - float(b @ x)


def _eig(A):
    e = np.linalg.eigvalsh(A)
    return float(e[0]), float(e[-1])


@FUZZ
@given(q=quadratics(max_d=8, low=1e-3, high=1e3), offset=st.floats(-1e9, 1e9))
def test_a_correct_gradient_with_true_constants_is_never_refused(q, offset):
    A, b = q
    lo, hi = _eig(A)
    f = _f(A, b)
    mr.FunctionProblem(
        lambda x: f(x) + offset,
        lambda x: A @ x - b,
        d=b.size,
        L=hi,
        mu=lo,
        hess=lambda x: A,
        argmin=np.linalg.solve(A, b),
    )


@FUZZ
@given(
    q=quadratics(max_d=6, low=0.1, high=10.0),
    c=st.one_of(st.floats(-10.0, 0.5), st.floats(1.5, 10.0)),
)
def test_a_gradient_off_by_a_factor_is_always_refused(q, c):
    A, b = q
    lo, hi = _eig(A)
    with pytest.raises(ValueError, match="'grad' is not the gradient of 'f'"):
        mr.FunctionProblem(_f(A, b), lambda x: c * (A @ x - b), d=b.size, L=abs(c) * hi + 1)


@FUZZ
@given(q=quadratics(max_d=6, low=1.0, high=10.0), shrink=st.floats(0.01, 0.99))
def test_a_stated_L_below_every_secant_slope_is_always_refused(q, shrink):
    A, b = q
    lo, hi = _eig(A)
    stated = shrink * lo  # every secant slope ||A u|| >= lambda_min > stated
    with pytest.raises(ValueError, match=f"stated L = {stated:.6g} is below the measured"):
        mr.FunctionProblem(_f(A, b), lambda x: A @ x - b, d=b.size, L=stated)


_JUNK = st.sampled_from(
    [
        np.nan,
        np.inf,
        -np.inf,
        "0.5",
        1j,
        None,
        np.zeros(0),
        np.ones((2, 2)),
        np.array([np.nan, 0.0]),
        np.array([1.0 + 1j, 0.0]),
        np.array(["a", "b"]),
        np.ones(3),
        [1.0],
    ]
)


@FUZZ
@given(junk=_JUNK, where=st.sampled_from(["f", "grad", "hess"]))
def test_junk_from_a_user_callable_gives_a_clear_error(junk, where):
    def ok_f(x):
        return 0.5 * float(x @ x)

    def ok_grad(x):
        return x

    def ok_hess(x):
        return np.eye(2)

    parts = {"f": ok_f, "grad": ok_grad, "hess": ok_hess}
    parts[where] = lambda x: junk
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ComplexWarning: complex output is refused
            mr.FunctionProblem(parts["f"], parts["grad"], d=2, L=1.0, hess=parts["hess"])
    except CLEAR as err:
        assert "'" in str(err) or where in str(err), err
        return
    raise AssertionError(f"{where} returning {junk!r} was accepted")


# ------------------------------------------------------------------------------------------------
# Light: user laws and Guarantee bounds through public calls (their checks belong to the sketch
# and verify owners; these tests state the contract at the public doors)
# ------------------------------------------------------------------------------------------------


class _Law(mr.DiagonalSketch):
    def __init__(self, idx, sc):
        self.d, self._idx, self._sc = 3, idx, sc

    def sample_support(self, rng=None):
        return np.asarray(self._idx), np.asarray(self._sc)


_IDX = st.lists(st.sampled_from([-1, 0, 1, 2, 3, 10**6]), min_size=0, max_size=4)
_SC = st.lists(st.sampled_from([1.0, 3.0, 0.0, -1.0, np.nan, np.inf]), min_size=0, max_size=4)


@FUZZ
@given(idx=_IDX, sc=_SC)
def test_a_malformed_user_law_gives_a_clear_error_or_a_failed_check(idx, sc):
    law = _Law(idx, sc)
    try:
        report = mr.check_sketch(law, rng=0)
    except CLEAR as err:
        assert "'" in str(err), err
        return
    valid = (
        len(idx) == len(sc)
        and all(0 <= i < 3 for i in idx)
        and len(set(idx)) == len(idx)
        and np.all(np.isfinite(sc))
    )
    assert valid or not report.passed, f"{idx}, {sc}: {report}"


@FUZZ
@given(kind=st.sampled_from(["nan", "negative", "matrix", "text", "inf"]))
def test_a_malformed_guarantee_bound_is_refused_or_not_held(kind):
    values = {
        "nan": lambda t: np.nan * np.asarray(t, float),
        "negative": lambda t: -1.0 + 0 * np.asarray(t, float),
        "matrix": lambda t: np.ones((2, 2)),
        "text": lambda t: "x",
        "inf": lambda t: np.inf + 0 * np.asarray(t, float),
    }
    mast = mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), mr.RandK(3, 1))
    g = mr.Guarantee(name="fuzz", quantity="dist2", gamma=0.1, bound=values[kind])
    try:
        result = mr.check(g, mast, n_steps=5, rng=0)
    except CLEAR as err:
        assert "fuzz" in str(err) or "bound" in str(err), err
        return
    assert result.verdict in ("violated", "refused"), (kind, result.verdict)
