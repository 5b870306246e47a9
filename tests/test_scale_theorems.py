"""Theorem constants at scale (issue 22): the certified bracket on Delta, user Delta, refusals.

The bracket of ``MAST.gap_bound`` (THEORY.md §3 P5-P6) is held against the exact ``Delta`` of
small instances where it is known: quadratics (closed form) and logistic regression with an
enumerable law (the finite sum minimised by cvxpy + Newton). Heavy timing is in
``benchmarks/theorems_at_scale.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mastref as mr

LAWS = {
    "randk": lambda d: mr.RandK(d, max(1, d // 2)),
    "bernoulli": lambda d: mr.Bernoulli(d, 0.4),
    "partition": lambda d: mr.Partition(d, 2, rng=0),
}


def _logistic(n, d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0)
    y = np.where(X @ rng.standard_normal(d) + rng.standard_normal(n) > 0, 1.0, -1.0)
    return mr.LogisticRegression(X, y, lam=float(rng.uniform(0.01, 1.0)))


def _quadratic(d, seed):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d))
    return mr.Quadratic(B @ B.T / d + rng.uniform(0.05, 1.0) * np.eye(d), rng.standard_normal(d))


def _instance(kind, law, d, seed):
    f = _logistic(12, d, seed) if kind == "logistic" else _quadratic(d, seed)
    shift = np.random.default_rng(seed + 1).standard_normal(d) * 0.5
    return mr.MAST(f, LAWS[law](d), shift=shift)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kind=st.sampled_from(["logistic", "quadratic"]),
    law=st.sampled_from(sorted(LAWS)),
    d=st.integers(2, 5),
    seed=st.integers(0, 10**6),
)
def test_the_bracket_contains_the_exact_gap_and_its_ball_contains_x_D(kind, law, d, seed):
    mast = _instance(kind, law, d, seed)
    exact = mast.solution
    assert exact.exact and exact.dist2_bound == 0.0
    b = mast._bracket_bound()
    Delta = exact.gap
    tol = 1e-9 * max(1.0, abs(exact.inf))
    assert b.lower - tol <= Delta <= b.upper + tol, (b, Delta)
    assert np.linalg.norm(b.x - exact.x) <= b.radius + 1e-7
    assert b.inf_lower <= exact.inf + tol
    # phi(c) = min_x f(x) + c/2 ||x - v||^2 is concave in c with phi(0) = f^inf, so
    # (phi(c) - f^inf)/c decreases: upper/c_up <= lower/c_lo (c_lo <= c_up).
    p = mast.problem
    c_up, c_lo = p.L * (mast.sketch.L_D - 1), p.mu * (mast.sketch.mu_D - 1)
    if c_lo > 0:
        assert b.upper / c_up <= b.lower / c_lo * (1 + 1e-6) + tol / c_lo


def test_the_slack_of_the_bracket_on_a_small_logistic_instance():
    """The measured slack (reported in benchmarks/theorems_at_scale.py --slack): RandK(4, 2) on a
    logistic problem; both ends within the concavity ratio c_up/c_lo = L_f/mu_f of the exact
    value, and the upper end at most the P6 bound."""
    mast = _instance("logistic", "randk", 4, 3)
    exact, b = mast.solution.gap, mast._bracket_bound()
    p = mast.problem
    assert exact > 0
    assert 1.0 <= b.upper / exact <= p.L / p.mu
    assert p.mu / p.L <= b.lower / exact <= 1.0
    p6 = 0.5 * p.L * (mast.sketch.L_D - 1) * float(np.sum((p.argmin() - mast.v) ** 2))
    assert b.upper <= p6 * (1 + 1e-9)


def test_theorems_use_the_bracket_when_the_exact_solution_is_refused():
    mast = _instance("logistic", "bernoulli", 4, 7)
    exact = mr.theorem1(mast, x0=np.zeros(4))
    fresh = _instance("logistic", "bernoulli", 4, 7)
    fresh.exact_support_limit = 1  # no enumeration: the SAA path, refused by the budget
    with mr.cost_budget(seconds=1e-6):
        bounded = mr.theorem1(fresh, x0=np.zeros(4))
    assert bounded.values["Delta"] >= exact.values["Delta"]
    assert bounded.values["dist2_0"] >= exact.values["dist2_0"]
    assert any("P5 bracket" in note for note in bounded.notes)
    assert not any("P5 bracket" in note for note in exact.notes)


def test_theorem5_bracket_contains_the_exact_client_gap():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((24, 3))
    y = np.where(X @ rng.standard_normal(3) > 0, 1.0, -1.0)
    clients = [mr.LogisticRegression(X[i::2], y[i::2], 0.2) for i in range(2)]
    dp = mr.DistributedProblem(clients, mr.RandK(3, 1), shift=np.full(3, 0.3))
    exact = dp.gap_bound
    assert exact.exact
    b = dp._bracket_bound()
    assert b.lower - 1e-9 <= exact.upper <= b.upper + 1e-9
    assert np.linalg.norm(b.x - exact.x) <= b.radius + 1e-7


def test_a_user_Delta_is_used_and_checked():
    mast = _instance("quadratic", "randk", 3, 1)
    stated = 2 * mast.gap + 1.0  # an upper bound
    g = mr.theorem1(mast, Delta=stated)
    assert g.values["Delta"] == stated
    assert g.floor == pytest.approx(2 * g.gamma * g.values["L_max"] * stated / g.values["mu"])
    assert any("user-supplied" in note for note in g.notes)
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="'Delta'"):
            mr.theorem1(mast, Delta=bad)
    with pytest.raises(ValueError, match="'Delta'.*below the certified lower bound"):
        mr.theorem2(mast, n_steps=10, Delta=0.5 * mast.gap)
    with pytest.raises(ValueError, match="'Delta'"):
        mr.theorem3(mast, n_steps=10, Delta=-0.1)


class _SoftAbs(mr.Problem):
    """``sum_j sqrt(1 + x_j^2)``: convex, 1-smooth, not strongly convex (mu_f = 0)."""

    d, L, mu, is_convex = 40, 1.0, 0.0, True

    def value(self, x):
        return float(np.sum(np.sqrt(1.0 + x * x)))

    def grad(self, x):
        return x / np.sqrt(1.0 + x * x)

    def argmin(self):
        return np.zeros(self.d)

    @property
    def inf(self):
        return float(self.d)


def test_a_refusal_is_fast_and_names_an_argument_the_theorem_accepts():
    mast = mr.MAST(_SoftAbs(), mr.RandK(40, 10), shift=np.ones(40))
    start = time.perf_counter()
    with pytest.raises(mr.MissingCapability, match="Delta=") as err:
        mr.theorem2(mast, n_steps=10)
    assert time.perf_counter() - start < 2.0
    assert "n_batches" not in str(err.value)
    g = mr.theorem2(mast, n_steps=10, Delta=0.7)  # the named argument works
    assert g.values["Delta"] == 0.7


def test_the_solution_refusal_is_up_front_and_names_its_own_arguments():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 30))
    mast = mr.MAST(
        mr.LogisticRegression(X, np.sign(X[:, 0]) + (X[:, 0] == 0), 0.1),
        mr.RandK(30, 10),
        shift=np.ones(30),
    )
    with mr.cost_budget(seconds=1e-3):
        start = time.perf_counter()
        with pytest.raises(mr.CostLimitExceeded, match=r"saa_solution\(n_samples") as err:
            mast.argmin()
        assert time.perf_counter() - start < 2.0
        assert "gap_bound" in str(err.value)
        g = mr.theorem1(mast)  # the theorem does not refuse: the bracket
    assert g.values["Delta"] > 0 and np.isfinite(g.values["dist2_0"])


def test_check_blames_a_contradicted_stated_L_not_the_theorem():
    def run(stated):
        class Steep(mr.Problem):  # f = 5 ||x||^2: L_f = mu_f = 10
            d, L, mu, inf = 2, stated, stated, 0.0

            def value(self, x):
                return 5.0 * float(x @ x)

            def grad(self, x):
                return 10.0 * x

            def argmin(self):
                return np.zeros(2)

        mast = mr.MAST(Steep(), mr.Bernoulli(2, 0.5), shift=np.ones(2))
        return mr.check(mr.theorem1, mast, x0=np.zeros(2), n_steps=30)

    assert run(10.0).verdict == "holds"
    with pytest.raises(ValueError, match="your stated L = 0.5 is below the measured curvature 10"):
        run(0.5)
    with pytest.raises(ValueError, match="stated L = 0.5 is below the measured curvature 10"):
        mr.FunctionProblem(lambda x: 5.0 * float(x @ x), lambda x: 10.0 * x, d=2, L=0.5, mu=0.5)
