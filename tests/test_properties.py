"""Property-based tests of P1-P9 (THEORY.md §3) with hypothesis.

Random quadratics (strongly convex and singular PSD), small l2-regularised logistic and
least-squares problems, across the sketch families and three shifts (v = 0, random v, v = x*),
drawn from the public strategies of ``mastref.testing``. Expectations over the
sketch are exact sums over the support (finite-support laws) or closed forms (dense laws on
quadratics). Every inequality is checked with a relative slack of 1e-9 only.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastref.testing import (
    DENSE_FAMILIES,
    FINITE_FAMILIES,
    least_squares_problems,
    logistic_problems,
    mast_instances,
    quadratics,
)

SLACK = 1e-9
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def leq(a: float, b: float, scale: float = 1.0) -> bool:
    """a <= b up to a relative slack."""
    return a <= b + SLACK * max(1.0, abs(a), abs(b), scale)


def cases(problems, families=FINITE_FAMILIES + DENSE_FAMILIES):
    """``(MAST instance, Generator)`` pairs from the public strategies of mastref.testing."""
    return st.tuples(mast_instances(problems, families), st.integers(0, 2**32 - 1)).map(
        lambda pair: (pair[0], np.random.default_rng(pair[1]))
    )


quadratic_cases = cases(quadratics())
logistic_cases = cases(logistic_problems(scale=2.0), FINITE_FAMILIES)
least_squares_cases = cases(least_squares_problems(), FINITE_FAMILIES)


# ----------------------------------------------------------------------------------------------
# Generic checks (any problem): expectations are exact sums over the sketch's support.
# ----------------------------------------------------------------------------------------------


def check_p1(M, rng):
    """grad f_S(x) = S^T grad f(v + S(x - v)) and E[grad f_S(x)] = grad f_D(x)."""
    rows, w = M.sketch.support()
    x = rng.standard_normal(M.d)
    grads = np.array([M.sketched_grad(x, s) for s in rows])
    for s, g in zip(rows, grads, strict=True):
        direct = s * M.problem.grad(M.v + s * (x - M.v))
        np.testing.assert_allclose(
            g, direct, rtol=1e-12, atol=1e-13 * max(1.0, np.abs(direct).max())
        )
    expected = M.grad(x)
    np.testing.assert_allclose(
        w @ grads, expected, rtol=1e-10, atol=1e-12 * max(1, np.abs(expected).max())
    )


def check_p3_p4(M, rng):
    """f_D is L_f L_D-smooth and, if f is mu_f-strongly convex, mu_f mu_D-strongly convex."""
    for _ in range(4):
        x, y = rng.standard_normal(M.d) * 2, rng.standard_normal(M.d) * 2
        gx, gy = M.grad(x), M.grad(y)
        assert leq(np.linalg.norm(gx - gy), M.L * np.linalg.norm(x - y))
        lower = M.value(x) + gx @ (y - x) + 0.5 * M.mu * np.sum((y - x) ** 2)
        assert leq(lower, M.value(y))


def check_p5_p6(M, rng):
    """Bracketing of f_D by f and the minimum values."""
    f, p = M.problem, M.problem
    E2 = np.diag(M.sketch.second_moment())
    for _ in range(4):
        x = rng.standard_normal(M.d) * 2
        h = x - M.v
        excess = h @ ((E2 - 1.0) * h)
        fD = M.value(x)
        assert leq(f.value(x) + 0.5 * p.mu * excess, fD)
        assert leq(fD, f.value(x) + 0.5 * p.L * excess)
        assert leq(fD, f.value(x) + 0.5 * p.L * (M.sketch.L_D - 1) * h @ h)
    r2 = np.sum((f.argmin() - M.v) ** 2)
    assert leq(f.inf, M.inf)
    assert leq(M.gap, 0.5 * p.L * (M.sketch.L_D - 1) * r2, scale=abs(f.inf))
    assert M.gap >= -SLACK * max(1.0, abs(f.inf))


def check_p7(M):
    """P7: f(x_D*) - f^inf <= Delta, |x_D* - x*|^2 <= 2 Delta/mu_f <= L_f(L_D-1)/mu_f |x*-v|^2."""
    p = M.problem
    xD, xs = M.argmin(), p.argmin()
    gap = M.gap
    scale = abs(p.inf)
    assert leq(p.value(xD) - p.inf, gap, scale=scale)
    dist2 = np.sum((xD - xs) ** 2)
    assert dist2 <= 2 * max(gap, 0.0) / p.mu + SLACK * max(1.0, scale / p.mu)
    assert leq(
        2 * gap / p.mu,
        p.L * (M.sketch.L_D - 1) / p.mu * np.sum((xs - M.v) ** 2),
        scale=scale / p.mu,
    )


def check_p8_p9(M, rng):
    """Key inequality and expected smoothness, per atom and in expectation."""
    p = M.problem
    rows, w = M.sketch.support()
    L_Smax = M.sketch.L_S_max
    xD, fD_inf, gap = M.argmin(), M.inf, M.gap
    for _ in range(3):
        x = rng.standard_normal(M.d) * 2
        sq, sq_diff = [], []
        for s in rows:
            y = M.v + s * (x - M.v)
            gS = M.sketched_grad(x, s)
            L_S = M.sketch.L_S(s)
            gy2 = np.sum(p.grad(y) ** 2)
            assert leq(gS @ gS, L_S * gy2)
            assert leq(L_S * gy2, 2 * p.L * L_S * (p.value(y) - p.inf), scale=abs(p.inf))
            sq.append(gS @ gS)
            sq_diff.append(np.sum((gS - M.sketched_grad(xD, s)) ** 2))
        fD = M.value(x)
        scale = abs(fD_inf) * p.L * L_Smax
        assert leq(w @ sq, 2 * p.L * L_Smax * (fD - fD_inf) + 2 * p.L * L_Smax * gap, scale=scale)
        assert leq(w @ sq_diff, 2 * p.L * L_Smax * (fD - fD_inf), scale=scale)


# ----------------------------------------------------------------------------------------------
# Quadratics
# ----------------------------------------------------------------------------------------------


@SETTINGS
@given(quadratic_cases)
def test_quadratic_p1(case):
    M, rng = case
    if M.sketch.has_finite_support:
        check_p1(M, rng)
    else:  # dense: grad f_D = g_v + E[S^T A S] h, and f_S's gradient by the chain rule
        S = M.sketch.sample(rng)
        x = rng.standard_normal(M.d)
        expected = S.T @ (M.problem.A @ (M.v + S @ (x - M.v)) - M.problem.b)
        np.testing.assert_allclose(M.sketched_grad(x, S), expected, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(quadratic_cases)
def test_quadratic_p2_p3_p4_exact_constants(case):
    """P2-P4 on the exact matrices: mu_f mu_D <= lambda(A_D) <= L_f L_D; per sample likewise."""
    M, rng = case
    A, sk = M.problem.A, M.sketch
    assert 1.0 <= sk.mu_D * (1 + SLACK) and sk.mu_D <= sk.L_D * (1 + SLACK)
    assert sk.L_D <= sk.L_S_max * (1 + SLACK)
    eig = np.linalg.eigvalsh(M.A_D)
    assert leq(eig[-1], M.L) and leq(M.mu, eig[0])
    assert leq(M.mu_exact, M.L_exact)
    for _ in range(3):
        S = sk.sample(rng)
        Sm = np.diag(S) if S.ndim == 1 else S
        eS = np.linalg.eigvalsh(Sm.T @ A @ Sm)
        assert leq(eS[-1], M.problem.L * sk.L_S(S))
        assert leq(M.problem.mu * sk.mu_S(S), eS[0], scale=M.problem.L * sk.L_S(S))
    check_p3_p4(M, rng)


@SETTINGS
@given(quadratic_cases)
def test_quadratic_p5_p6_p7(case):
    M, rng = case
    check_p5_p6(M, rng)
    x = rng.standard_normal(M.d)
    h = x - M.v
    exact = 0.5 * h @ (M.A_D - M.problem.A) @ h
    assert abs(M.value(x) - M.problem.value(x) - exact) <= 1e-10 * max(1.0, abs(M.value(x)))
    if M.problem.mu > 0:
        check_p7(M)


@SETTINGS
@given(cases(quadratics(), FINITE_FAMILIES))
def test_quadratic_p8_p9(case):
    M, rng = case
    check_p8_p9(M, rng)


# ----------------------------------------------------------------------------------------------
# Logistic regression (finite-support sketches: f_D and its minimiser are exact)
# ----------------------------------------------------------------------------------------------


@SETTINGS
@given(logistic_cases)
def test_logistic_p1_p3_p4(case):
    M, rng = case
    check_p1(M, rng)
    check_p3_p4(M, rng)


@SETTINGS
@given(logistic_cases)
def test_logistic_p5_p6_p7(case):
    M, rng = case
    check_p5_p6(M, rng)
    check_p7(M)


@SETTINGS
@given(logistic_cases)
def test_logistic_p8_p9(case):
    M, rng = case
    check_p8_p9(M, rng)


# ----------------------------------------------------------------------------------------------
# Least squares from data (finite sum with a quadratic form; finite-support sketches)
# ----------------------------------------------------------------------------------------------


@SETTINGS
@given(least_squares_cases)
def test_least_squares_p1_p3_p4_p5_p6(case):
    M, rng = case
    check_p1(M, rng)
    check_p3_p4(M, rng)
    check_p5_p6(M, rng)
    if M.problem.mu > 1e-8:
        check_p7(M)


@SETTINGS
@given(least_squares_cases)
def test_least_squares_p8_p9(case):
    M, rng = case
    check_p8_p9(M, rng)
