"""The per-sample logistic infimum f_i^inf (THEORY.md §2, Delta^data) at the edges of lam.

Reference: 40-digit mpmath. In the margin u = t r the minimiser solves c u = sigma(-u),
c = lam / r; the reference bisects h(z) = log c + z + log(1 + e^(e^z)) (increasing in z = log u)
over z in [-800, 10] to 2^-120 and evaluates log1p(e^-u) + c u^2 / 2 directly (not through the
optimality condition the implementation uses).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mastref as mr
from mastref.problems import logistic_1d_inf

LAMS = np.logspace(-300, 6, 18)
RS = (1e-3, 0.1, 1.0, 14.0, 1e3)


def reference(r: float, lam: float) -> mp.mpf:
    with mp.workdps(40):
        r, lam = mp.mpf(r), mp.mpf(lam)
        if r == 0:
            return mp.log(2)
        c = lam / r
        lo, hi = mp.mpf(-800), mp.mpf(10)
        for _ in range(120):
            mid = (lo + hi) / 2
            if mp.log(c) + mid + mp.log1p(mp.exp(mp.exp(mid))) < 0:
                lo = mid
            else:
                hi = mid
        u = mp.exp((lo + hi) / 2)
        return mp.log1p(mp.exp(-u)) + c * u * u / 2


@pytest.mark.parametrize("lam", LAMS, ids=[f"lam={v:.0e}" for v in LAMS])
def test_matches_mpmath_over_lambda_grid(lam):
    got = logistic_1d_inf(np.array([0.0, *RS]), lam)
    assert got[0] == np.log(2.0)
    for r, value in zip(RS, got[1:], strict=True):
        want = reference(r, lam)
        assert float(abs(mp.mpf(value) - want) / want) <= 1e-12, (r, lam, value, float(want))


def test_tiny_lambda_rows_are_not_a_constant():
    """The old bracket returned 0.0426 for every row with f_i^inf < 2e-9 at lam = 1e-20."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    f = mr.LogisticRegression(X, y, 1e-20)
    r = np.sum(X * X, axis=1)
    for ri, value in zip(r, f.inf_i, strict=True):
        want = reference(ri, 1e-20)
        assert float(abs(mp.mpf(value) - want) / want) <= 1e-12
    assert np.all(f.inf_i < 1e-15)


@settings(max_examples=60, deadline=None)
@given(
    log_lam=st.floats(-300, 6),
    r=st.floats(1e-6, 1e6),
    t=st.floats(-1e3, 1e3),
)
def test_is_a_lower_bound_of_phi(log_lam, r, t):
    """``min_t phi(t) <= phi(t)`` for any t (phi evaluated stably with logaddexp)."""
    lam = 10.0**log_lam
    inf = logistic_1d_inf(np.array([r]), lam)[0]
    phi = np.logaddexp(0.0, -t * r) + 0.5 * lam * r * t * t
    assert inf <= phi * (1 + 1e-13)


@pytest.mark.parametrize(
    "r, lam, match",
    [
        (np.array([-1.0]), 1.0, "'r'"),
        (np.array([np.nan]), 1.0, "'r'"),
        (np.array([1.0]), 0.0, "'lam'"),
        (np.array([1.0]), np.inf, "'lam'"),
    ],
)
def test_bad_input(r, lam, match):
    with pytest.raises(ValueError, match=match):
        logistic_1d_inf(r, lam)
