"""The proved ceilings of the catalogue (docs/theory/theorems.rst, Lemmas C1 and C2).

Each lemma is held on exact expectations over a small searched family (the sharper bound it
proves must hold at every step), and shown nearly reached (>= 0.9 of it) on the catalogue
instance whose check it caps. The expected numbers are derived by hand in the lemmas:
``1/(2 - gamma L_max)`` and ``(1 - gamma mu)^t``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mastref.catalogue import catalogue
from mastref.catalogue.base import decay_ceiling, dropped_term_ceiling
from mastref.catalogue.baseline import attained_instance as gd_instance
from mastref.catalogue.theorem5 import theorem5_sc
from mastref.report import run_check
from mastref.theorems import baseline_gd, theorem1
from mastref.theorems.claims import Guarantee
from mastref.verify.checker import check
from mastref.verify.instances import QuadraticFamily, claim_at


def _thetas(fam, n, seed):
    rng = np.random.default_rng(seed)
    lo, hi = np.array(fam.bounds, dtype=float).T
    return [lo + (hi - lo) * rng.random(lo.size) for _ in range(n)]


def _lemma_c1(g: Guarantee) -> Guarantee:
    """Lemma C1's sharper bound ``q^t r_0 + (1 - q^t) N/(2 - gamma L_max)`` of a Theorem 1 (or
    Theorem 5, ``A`` for ``L_max``) guarantee, ``q = 1 - gamma mu (2 - gamma L_max)``."""
    v = g.values
    mu = v["mu"] if "mu" in v else v["mu_F"]
    gL = g.gamma / g.gamma_max  # gamma L_max (gamma A), gamma_max = 1/L_max (1/A)
    q = 1.0 - g.gamma * mu * (2.0 - gL)
    r0 = float(g.bound(0)) - g.floor
    stationary = g.floor / (2.0 - gL)
    return Guarantee(
        name="Lemma C1",
        quantity="dist2",
        algorithm=g.algorithm,
        options=g.options,
        gamma=g.gamma,
        gamma_max=g.gamma_max,
        bound=lambda t: q**t * r0 + (1.0 - q**t) * stationary,
        x0=g.x0,
    )


@pytest.mark.parametrize(
    ("claim", "clients", "seed"),
    [(theorem1, 1, 1), (theorem5_sc, 2, 2)],
    ids=["theorem1", "theorem5-sc"],
)
def test_lemma_c1_sharper_bound_holds_on_a_searched_family(claim, clients, seed):
    """E||x_t - x*||^2 <= q^t r_0 + (1 - q^t) N/(2 - gamma L_max) at every step, on random
    quadratics with RandK, Bernoulli, Partition and near-scalar laws, steps 1e-2..1 gamma_max
    (Theorem 5: two clients with their own laws)."""
    fam = QuadraticFamily(
        d=2,
        sketches=("randk", "bernoulli", "partition", "near-scalar"),
        step_fraction=(0.01, 1.0),
        step_scale="log",
        kappa=10.0,
        clients=clients,
        per_client_sketches=clients > 1,
    )
    worst = 0.0
    for theta in _thetas(fam, 12, seed):
        inst = fam.build(theta)
        obj, g = claim_at(claim, inst, 200)
        r = check(_lemma_c1(g), obj, x0=inst.x0, n_steps=200, method="exact")
        assert r.verdict == "holds", (inst, r)
        worst = max(worst, r.max_tightness)
    assert worst > 0.95  # reached (0.99-1.0 measured): a faster q or smaller k would fail


@pytest.mark.parametrize("fraction", [0.1, 0.01])
@pytest.mark.parametrize("prefix", ["theorem1-neighbourhood", "theorem5-sc-neighbourhood"])
def test_lemma_c1_ceiling_nearly_reached_on_the_catalogue_instance(prefix, fraction):
    """At 0.1 and 0.01 gamma_max the ceiling is 1/(2 - gamma L_max) = 1/1.9, 1/1.99 (the
    transient has gone), the measured late tightness lies below it and reaches >= 0.9 of it
    (0.979 and 0.98 measured: 1 - O(eps) of near_scalar(0.01))."""
    name = f"{prefix}-step{fraction:g}"
    r = run_check(name, quick=True)
    c = catalogue()[name].ceiling(r)
    assert c == pytest.approx(1.0 / (2.0 - fraction), rel=1e-6)
    assert r.late_tightness <= c
    assert r.late_tightness >= 0.9 * c
    # the uncapped requirement (>= 0.5 of the stated bound) is out of reach at 0.01 gamma_max
    assert fraction != 0.01 or r.late_tightness < 0.5


def test_lemma_c1_ceiling_is_one_at_the_step_limit():
    """At gamma = gamma_max, k = 1 and q = 1 - gamma mu: the ceiling is 1 (no cap), and the
    neighbourhood check meets 0.96 of it."""
    r = run_check("theorem1-neighbourhood", quick=True)
    assert dropped_term_ceiling(r) == pytest.approx(1.0, abs=1e-9)


def test_lemma_c2_gd_rate_on_a_searched_family():
    """GD on f_D at gamma <= 1/L: f_D(x_t) - f_D^inf <= (1 - gamma mu)^(2t) delta_0 at every
    step, on random quadratics (the exact worst-case rate, Lemma C2)."""
    fam = QuadraticFamily(
        d=2,
        sketches=("randk", "bernoulli", "partition"),
        step_fraction=(0.01, 1.0),
        step_scale="log",
        kappa=30.0,
    )
    for theta in _thetas(fam, 12, 3):
        inst = fam.build(theta)
        obj, g = claim_at(baseline_gd, inst, 100)
        rate2, d0 = g.rate**2, g.values["delta_0"]
        sharp = Guarantee(
            name="Lemma C2",
            quantity="value_gap",
            algorithm="gd_mast",
            gamma=g.gamma,
            gamma_max=g.gamma_max,
            bound=lambda t, rate2=rate2, d0=d0: rate2**t * d0,
            x0=g.x0,
        )
        r = check(sharp, obj, x0=inst.x0, n_steps=100, method="exact")
        assert r.verdict == "holds", (inst, r)


def test_lemma_c2_attained_exactly_and_ceiling_met():
    """On the flat mode of Diag(1, 1/kappa) GD's value gap is (1 - gamma mu)^(2t) delta_0
    exactly, so measured/bound = (1 - gamma mu)^t = bound(t)/bound(0): the check's late
    tightness equals its ceiling, (1 - 1/10)^25 at kappa = 10, T = 50."""
    inst = gd_instance(10.0)
    obj, g = claim_at(baseline_gd, inst, 50)
    r = check(g, obj, x0=inst.x0, n_steps=50, method="exact")
    t = r.steps.astype(float)
    np.testing.assert_allclose(r.measured, g.rate ** (2 * t) * g.values["delta_0"], rtol=1e-9)
    assert g.rate == pytest.approx(0.9, rel=1e-12)
    res = run_check("baseline-two-decades", quick=True)
    c = decay_ceiling(res)
    assert c == pytest.approx(0.9**25, rel=1e-9)
    assert res.late_tightness == pytest.approx(c, rel=1e-9)
    assert res.bound_decay <= 0.01  # the two-decade rule is met over the run
    assert math.sqrt(res.bound_decay) <= 0.1 and c <= 0.1


def test_lemma_c2_pepit_one_step_worst_case():
    """PEPit (exact interpolation of mu-strongly convex L-smooth functions): the worst one-step
    ratio (f(x_1) - f*)/(f(x_0) - f*) of GD is (1 - gamma mu)^2 for gamma <= 1/L (Taylor,
    Hendrickx and Glineur 2018)."""
    PEPit = pytest.importorskip("PEPit")
    from PEPit.functions import SmoothStronglyConvexFunction

    mu, L = 0.1, 1.0
    for gamma in (1.0, 0.5, 0.1):
        pb = PEPit.PEP()
        f = pb.declare_function(SmoothStronglyConvexFunction, mu=mu, L=L)
        xs = f.stationary_point()
        x0 = pb.set_initial_point()
        pb.set_initial_condition(f(x0) - f(xs) <= 1)
        pb.set_performance_metric(f(x0 - gamma * f.gradient(x0)) - f(xs))
        worst = pb.solve(wrapper="cvxpy", verbose=0)
        assert worst == pytest.approx((1 - gamma * mu) ** 2, rel=1e-4)
        assert worst > 1 - 2 * gamma * mu + 0.5 * (gamma * mu) ** 2  # not a faster rate
