"""The kernels' branch-free sigmoid against scipy.special.expit and mpmath, on the whole double
range: random arguments at every magnitude, the saturation and subnormal edges (+-709.78, +-745),
+-inf, signed zeros, subnormal arguments, and NaN propagation."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.special import expit

from mastref._kernels import expit_into

TINY = np.finfo(np.float64).tiny  # smallest normal number, 2^-1022
SUBNORMAL_ULP = 2.0**-1074


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` in units of the last place of ``b`` (ulp of a subnormal is 2^-1074)."""
    return np.abs(a - b) / np.maximum(np.spacing(np.abs(b)), SUBNORMAL_ULP)


def _arguments(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    magnitudes = 10.0 ** rng.uniform(-320, 308, 20_000)  # every exponent, subnormal to huge
    signs = np.where(rng.random(magnitudes.size) < 0.5, -1.0, 1.0)
    edges = np.array([709.78, 709.7827128933840, 744.44, 745.0, 745.1332191019411, 745.14, 746.0])
    special = np.array([0.0, -0.0, 5e-324, -5e-324, TINY, -TINY, 1e-300, 36.7, 37.5, 40.0])
    return np.concatenate(
        [
            rng.uniform(-750, 750, 200_000),
            rng.uniform(-40, 40, 100_000),
            rng.standard_normal(50_000),
            signs * magnitudes,
            edges,
            -edges,
            special,
            -special,
            np.nextafter(edges, 0),
            -np.nextafter(edges, 0),
            [np.inf, -np.inf, 1e308, -1e308, np.finfo(np.float64).max, -np.finfo(np.float64).max],
        ]
    )


def _expit(z: np.ndarray) -> np.ndarray:
    return expit_into(z, np.empty_like(z))


@pytest.mark.parametrize("seed", range(2))
def test_sigmoid_within_a_few_ulp_of_scipy_on_the_full_range(seed):
    z = _arguments(seed)
    got, ref = _expit(z), expit(z)
    assert np.all((got >= 0) & (got <= 1))
    normal = ref >= TINY
    assert normal.sum() > 0.9 * z.size
    assert np.max(_ulps(got[normal], ref[normal])) <= 4
    # Below sigma = 2^-1022 (z < -708.4) SciPy flushes to 0 from z = -709.78 on, while the true
    # value is subnormal down to z = -745.13: there the kernel agrees with SciPy to TINY and is
    # checked against mpmath below.
    assert np.max(np.abs(got[~normal] - ref[~normal])) <= TINY


def test_sigmoid_within_a_few_ulp_of_the_exact_value():
    rng = np.random.default_rng(7)
    z = np.concatenate(
        [
            rng.uniform(-750, 750, 3000),
            rng.uniform(-746, -700, 2000),  # subnormal and smallest normal results
            rng.uniform(-5, 5, 1000),
            [-745.0, 745.0, -745.1332191019411, -745.14, -709.78, 709.78, 0.0],
        ]
    )
    with mpmath.workdps(40):
        exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(float(t))))) for t in z])
    assert np.max(_ulps(_expit(z), exact)) <= 3


def test_sigmoid_limits_symmetry_and_nan():
    z = np.array([np.inf, -np.inf, 0.0, -0.0, np.nan, -np.nan, 800.0, -800.0, -745.0])
    got = _expit(z)
    np.testing.assert_array_equal(got[:4], [1.0, 0.0, 0.5, 0.5])
    assert np.isnan(got[4]) and np.isnan(got[5])
    assert got[6] == 1.0 and got[7] == 0.0
    assert got[8] == 5e-324  # the subnormal exp(-745), which SciPy flushes to 0
    # sigma(z) + sigma(-z) = 1 to rounding where both are representable
    w = np.random.default_rng(3).uniform(-30, 30, 10_000)
    assert np.max(np.abs(_expit(w) + _expit(-w) - 1.0)) <= 2.3e-16
    # NaNs anywhere in an array stay NaN at their place and do not disturb the others
    v = np.random.default_rng(4).uniform(-50, 50, 257)
    v[::7] = np.nan
    out = _expit(v)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(v))
    ok = ~np.isnan(v)
    assert np.max(_ulps(out[ok], expit(v[ok]))) <= 4
