"""PEPit cross-check of THEORY.md §5's one-step inequalities (``mastref.catalogue.pepit``).

Tolerance: the SDPs are solved by CLARABEL (interior point); the duality gaps measured on the
grid are below 2e-7 on quantities of order 1, so "holds" means ``worst <= bound + 1e-6`` and
"equals" means a relative error below 1e-6. The values asserted to be equal are derived
independently (closed forms with an attaining instance, the classical GD rate); the Theorem 3
and 4a totals are held two-sided against explicit convex quadratics computed with numpy.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from mastref.catalogue.pepit import pepit_one_step

TOL = 1e-6
L_MAX = 1.0
GRID_1 = [
    (N, g, mu) for N in (2, 3) for g in (0.25, 0.5, 1.0) for mu in (0.1, 0.5)
]  # N, gamma L_max, mu / L_max


@pytest.mark.parametrize(("N", "g", "mu"), GRID_1)
def test_theorem1_rate_holds_and_equals_the_proofs_inequality(N, g, mu):
    """Delta = 0, ||x - x*||^2 <= 1: the worst case is <= 1 - gamma mu, and it is exactly
    1 - gamma mu (2 - gamma L_max), the proof's bound before it drops the term
    -2 gamma (1 - gamma L_max)(f_D(x) - f_D^inf) (with f_D(x) - f_D^inf >= mu/2 ||x - x*||^2);
    attained by ``_two_component_instance``. The theorem's rate is tight only at gamma L_max = 1.
    """
    r = pepit_one_step("theorem1", L_max=L_MAX, mu=mu, N=N, gamma=g)
    assert r.bound == pytest.approx(1 - g * mu, rel=1e-15)
    assert r.holds(TOL)
    assert abs(r.worst_case - r.primal) < TOL
    assert r.worst_case == pytest.approx(1 - g * mu * (2 - g), rel=TOL)
    assert (r.ratio == pytest.approx(1.0, abs=TOL)) == (g == 1.0)


@pytest.mark.parametrize("mu", [0.1, 0.3, 0.5])
@pytest.mark.parametrize("g", [0.25, 0.5, 1.0])
def test_two_component_instance_attains_the_pep_value(g, mu):
    """Lower bound without PEPit: f_k = (L/2) <u_k, x - x*>^2, u_{1,2} = (a, +-b),
    a^2 = mu/L, a^2 + b^2 = 1, x - x* = e_1. Each f_k is convex and L-smooth, f_D has Hessian
    L diag(a^2, b^2) >= mu I (mu <= L/2), Delta = 0, and
    E||x+ - x*||^2 = 1 - gamma mu (2 - gamma L)."""
    L = 1.0
    a, b = math.sqrt(mu / L), math.sqrt(1 - mu / L)
    H = [L * np.outer(u, u) for u in (np.array([a, b]), np.array([a, -b]))]
    assert max(np.linalg.eigvalsh(Hk).max() for Hk in H) <= L + 1e-15
    assert np.linalg.eigvalsh(sum(H) / 2).min() >= mu - 1e-15
    e = np.array([1.0, 0.0])
    after = np.mean([np.sum((e - g * Hk @ e) ** 2) for Hk in H])
    assert after == pytest.approx(1 - g * mu * (2 - g * L), rel=1e-14)


@pytest.mark.parametrize(("N", "g", "mu"), GRID_1)
def test_theorem1_neighbourhood_is_exact(N, g, mu):
    """sup_x E||x+ - x*||^2 - (1 - gamma mu)||x - x*||^2 over gap <= Delta is 2 gamma^2 L_max
    Delta: the bound, attained at x = x* by f_k = (L_max/2)||x - x_k*||^2."""
    r = pepit_one_step(
        "theorem1", L_max=L_MAX, mu=mu, N=N, gamma=g, Delta=1.0, part="neighbourhood"
    )
    assert r.bound == pytest.approx(2 * g**2, rel=1e-15)
    assert r.worst_case == pytest.approx(r.bound, rel=TOL)


@pytest.mark.parametrize(("N", "g", "mu"), [(2, 0.5, 0.1), (3, 0.25, 0.5), (3, 1.0, 0.1)])
def test_theorem1_nonconvex_components_same_worst_case(N, g, mu):
    """Theorem 1's literal class (f only smooth: f_k L_max-smooth, possibly nonconvex) has the
    same one-step worst case, total with a gap and neighbourhood."""
    kw = dict(L_max=L_MAX, mu=mu, N=N, gamma=g, components="smooth")
    total = pepit_one_step("theorem1", Delta=0.5, **kw)
    assert total.holds(TOL)
    assert total.bound == pytest.approx(1 - g * mu + 2 * g**2 * 0.5, rel=1e-15)
    nb = pepit_one_step("theorem1", Delta=1.0, part="neighbourhood", **kw)
    assert nb.worst_case == pytest.approx(2 * g**2, rel=TOL)


@pytest.mark.parametrize("mu", [0.1, 0.5])
@pytest.mark.parametrize("g", [0.1, 0.5, 1.0])
def test_gradient_descent_exact_contraction(g, mu):
    """N = 1, Delta = 0: one gradient step on an L-smooth mu-strongly convex function has the
    tight worst case ||x+ - x*||^2 / ||x - x*||^2 = max((1 - gamma mu)^2, (1 - gamma L)^2)
    (Polyak 1987, Introduction to Optimization, §1.4; attained by the quadratics with
    eigenvalues mu and L), here the first branch since gamma <= 1/L."""
    r = pepit_one_step("theorem1", L_max=L_MAX, mu=mu, N=1, gamma=g)
    assert r.worst_case == pytest.approx(max((1 - g * mu) ** 2, (1 - g) ** 2), rel=TOL)


@pytest.mark.parametrize(("N", "g", "mu"), [(2, 0.5, 0.5), (3, 0.25, 0.1), (2, 1.0, 0.5)])
def test_stronger_theorem1_claims_are_exceeded(N, g, mu):
    """Negative controls: rate 1 - 2 gamma mu and the neighbourhood halved are violated by at
    least gamma^2 L_max mu resp. gamma^2 L_max Delta (>= 6e-3 here)."""
    r = pepit_one_step("theorem1", L_max=L_MAX, mu=mu, N=N, gamma=g)
    assert r.worst_case >= 1 - 2 * g * mu + g**2 * mu * (1 - TOL)
    nb = pepit_one_step(
        "theorem1", L_max=L_MAX, mu=mu, N=N, gamma=g, Delta=1.0, part="neighbourhood"
    )
    assert nb.worst_case >= 2 * (g**2 * 1.0) * (1 - TOL) > g**2 * 1.0 + 5e-3


@pytest.mark.parametrize(
    ("N", "g", "mu", "p"), [(2, 1 / 6, 0.5, None), (3, 1 / 12, 0.1, None), (2, 1 / 6, 0.5, 0.05)]
)
def test_theorem4a_holds_and_a_doubled_rate_fails(N, g, mu, p):
    """E Phi+ <= (1 - min(gamma mu, p/2)) Phi holds (both branches of the min: p = 1/N gives
    gamma mu, p = 0.05 gives p/2); the doubled decrease 1 - 2 min(gamma mu, p/2) does not."""
    r = pepit_one_step("theorem4a", L_max=L_MAX, mu=mu, N=N, gamma=g, p=p)
    pp = 1 / N if p is None else p
    decrease = min(g * mu, pp / 2)
    assert r.bound == pytest.approx(1 - decrease, rel=1e-15)
    assert r.holds(TOL)
    assert r.ratio > 0.97  # within 3 % of the bound on these points
    assert r.worst_case > 1 - 2 * decrease + 1e-3


@pytest.mark.parametrize(("N", "g"), [(2, 0.5), (3, 0.25)])
def test_theorem3_dsgd_constants(N, g):
    """Theorem 3 with A = L_max, B = 0, C = 2 L_max Delta, L = L_max, mu = L_max/2: the rate
    1 - rho holds (rho = 2 gamma mu - gamma^2 L L_max); the neighbourhood L C gamma^2/2 is exact."""
    mu = 0.5
    r = pepit_one_step("theorem3", L_max=L_MAX, mu=mu, N=N, gamma=g)
    assert r.rate == pytest.approx(1 - (2 * g * mu - g**2), rel=1e-15)
    assert r.holds(TOL) and r.ratio < 0.98
    nb = pepit_one_step(
        "theorem3", L_max=L_MAX, mu=mu, N=N, gamma=g, Delta=1.0, part="neighbourhood"
    )
    assert nb.worst_case == pytest.approx(g**2, rel=TOL)


def test_homogeneity():
    """f -> 4f (L_max, mu, Delta times 4) with gamma/4 gives the same iterates: same worst case
    and bound; x - x* -> sqrt(2)(x - x*) (initial and Delta times 2) doubles both."""
    a = pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2, gamma=0.5, Delta=0.3)
    assert a.bound == pytest.approx(0.95 + 2 * 0.25 * 0.3, rel=1e-15)
    assert a.holds(TOL)
    b = pepit_one_step("theorem1", L_max=4.0, mu=0.4, N=2, gamma=0.125, Delta=1.2)
    assert b.bound == pytest.approx(a.bound, rel=1e-15)
    assert b.worst_case == pytest.approx(a.worst_case, rel=TOL)
    c = pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2, gamma=0.5, Delta=0.6, initial=2.0)
    assert c.bound == pytest.approx(2 * a.bound, rel=1e-15)
    assert c.worst_case == pytest.approx(2 * a.worst_case, rel=TOL)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="argument 'claim' = 'theorem9'"):
        pepit_one_step("theorem9", L_max=1.0, mu=0.1, N=2, gamma=0.5)
    with pytest.raises(ValueError, match=r"argument 'gamma' = 2.0 .*1/L_max"):
        pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2, gamma=2.0)
    with pytest.raises(ValueError, match="argument 'mu' = 1.0 must be < L"):
        pepit_one_step("theorem1", L_max=1.0, mu=1.0, N=2, gamma=0.5)
    with pytest.raises(ValueError, match="argument 'components' = 'smooth'"):
        pepit_one_step("theorem4a", L_max=1.0, mu=0.1, N=2, gamma=0.1, components="smooth")
    with pytest.raises(ValueError, match=r"argument 'gamma' = 0.5 .*rho"):
        pepit_one_step("theorem3", L_max=1.0, mu=0.1, N=2, gamma=0.5)
    with pytest.raises(ValueError, match="argument 'Delta' = 0.0 must be > 0"):
        pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2, gamma=0.5, part="neighbourhood")
    with pytest.raises(TypeError, match="argument 'N'"):
        pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2.0, gamma=0.5)


def test_missing_pepit_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PEPit", None)  # makes ``import PEPit`` raise ImportError
    with pytest.raises(ImportError, match=r'pip install "mastref\[pepit\]"'):
        pepit_one_step("theorem1", L_max=1.0, mu=0.1, N=2, gamma=0.5)


def test_repr_is_short():
    r = pepit_one_step("theorem1", L_max=1.0, mu=0.5, N=2, gamma=1.0)
    assert repr(r).startswith("PepitComparison(theorem1 total, N=2, gamma*L_max=1, mu/L_max=0.5")
    assert len(repr(r)) < 140


def _random_hessians(N, mu, rng, n):
    """Up to ``n`` draws of ``N`` Hessians ``0 <= H_k <= L_MAX I`` in R^2 (random eigenbasis and
    eigenvalues), with their mean ``H_D``; draws with ``lambda_min(H_D) < mu`` are skipped."""
    for _ in range(n):
        H = []
        for _ in range(N):
            Q, _ = np.linalg.qr(rng.standard_normal((2, 2)))
            H.append(Q @ np.diag(rng.uniform(0.0, L_MAX, 2)) @ Q.T)
        H_D = sum(H) / N
        if np.linalg.eigvalsh(H_D)[0] >= mu:
            yield H, H_D


def _theorem3_on_quadratics(N, g, mu, rng, n=400):
    """The largest ``E f_D(x+) - f*`` over random explicit members of the class: ``N`` convex
    quadratics ``(1/2)(x - x*)^T H_k (x - x*)`` in R^2 with ``0 <= H_k <= L_MAX I`` and
    ``lambda_min(mean H_k) >= mu`` (a common minimiser: the gap Delta = 0), started where
    ``f_D(x) - f* = 1``. Computed directly with numpy, independently of PEPit."""
    best = 0.0
    for H, H_D in _random_hessians(N, mu, rng, n):
        e = rng.standard_normal(2)
        e /= np.sqrt(0.5 * e @ H_D @ e)  # f_D(x) - f* = 1
        nxt = np.mean([0.5 * (e - g * Hk @ e) @ H_D @ (e - g * Hk @ e) for Hk in H])
        best = max(best, nxt)
    return best


@pytest.mark.parametrize(("N", "g"), [(2, 0.5), (3, 0.5)])
def test_theorem3_pep_value_is_at_least_every_explicit_instance(N, g):
    """Two-sided: the PEP value (an upper bound on the class's worst case) is at least the value
    of every explicit member found by a seeded random search (a model that under-estimates the
    class fails), and within 15 % of the best one (400 draws reach 0.925 and 0.890 of it at
    N = 2, 3; a model that adds a wrong constraint below that fails)."""
    mu = 0.5
    r = pepit_one_step("theorem3", L_max=L_MAX, mu=mu, N=N, gamma=g)
    found = _theorem3_on_quadratics(N, g, mu, np.random.default_rng(N))
    assert found <= r.worst_case + TOL
    assert found >= 0.85 * r.worst_case


def _theorem4a_on_quadratics(N, g, mu, p, rng, n=400):
    """The largest ``E Phi+`` with ``Phi = 1`` over random explicit members of the class: ``N``
    convex quadratics ``f_k(y) = (1/2)(y - a_k)^T H_k (y - a_k)`` in R^2, ``0 <= H_k <= L_MAX I``,
    ``lambda_min(mean H_k) >= mu``, random ``x``, ``w``. L-SVRDSG's step from ``(x, w)``:
    ``x+ = x - g (H_k (x - w) + grad f_D(w))``, ``E D+ = p D(x) + (1 - p) D(w)``,
    ``D(y) = (1/N) sum_k ||H_k (y - x*)||^2``. Computed directly with numpy."""
    best = 0.0
    c = 4 * g**2 / p
    for H, H_D in _random_hessians(N, mu, rng, n):
        a = rng.standard_normal((N, 2))
        x_star = np.linalg.solve(H_D, sum(Hk @ ak for Hk, ak in zip(H, a, strict=True)) / N)
        x, w = rng.standard_normal(2), rng.standard_normal(2)

        def D(y, H=H, x_star=x_star):
            return np.mean([np.sum((Hk @ (y - x_star)) ** 2) for Hk in H])

        phi = np.sum((x - x_star) ** 2) + c * D(w)
        grad_w = H_D @ (w - x_star)
        dist = np.mean([np.sum((x - g * (Hk @ (x - w) + grad_w) - x_star) ** 2) for Hk in H])
        best = max(best, (dist + c * (p * D(x) + (1 - p) * D(w))) / phi)
    return best


@pytest.mark.parametrize(("N", "g", "mu", "p"), [(2, 1 / 6, 0.5, 0.5), (2, 1 / 6, 0.5, 0.05)])
def test_theorem4a_pep_value_is_at_least_every_explicit_instance(N, g, mu, p):
    """Two-sided, as for Theorem 3: no explicit member of the class exceeds the PEP value of
    ``E Phi+`` at ``Phi <= 1``, and the best of a seeded random search is within 5 % of it
    (both branches of the min: p = 0.5 gives gamma mu, p = 0.05 gives p/2)."""
    r = pepit_one_step("theorem4a", L_max=L_MAX, mu=mu, N=N, gamma=g, p=p)
    found = _theorem4a_on_quadratics(N, g, mu, p, np.random.default_rng(7))
    assert found <= r.worst_case + TOL
    assert found >= 0.95 * r.worst_case  # measured: 0.980 and 0.995 of it
