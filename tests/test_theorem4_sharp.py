"""Theorem 4 (a) with the proof's own constants (``theorem4(..., constants="sharp")``).

docs/theory/theorem4_proof.rst, Lemma A: for ``b = N``, any ``beta, kappa > 0``, with
``Phi = ||x - x*||^2 + (kappa gamma^2/p) D(w)`` and ``s = gamma L (1 + beta + kappa)``,

    E Phi+ <= (1 - rho_x(s)) ||x - x*||^2 + (1 - rho_D) (kappa gamma^2/p) D(w),
    rho_x(s) = gamma mu (2 - s) (s <= 1),  gamma mu - gamma (s - 1) L_fD (s > 1),
    rho_D = p (1 - (1 + 1/beta)/kappa).

The tests hold the lemma at EVERY state ``(x, w)`` on random quadratics (the one-step map is a
quadratic form in ``(x - x*, w - x*)``, built here from ``A``, the atoms and the algorithm, not
from mastref), the optimisation of ``beta, kappa`` against a grid, the bound against the exact
moments over a searched family, and the paper statement's late tightness against the ceiling
the sharp rate proves.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import mastref as mr
from mastref.catalogue import theorem4 as catalogue4
from mastref.theorems.svrdsg import ceiling_a, lemma_rate, paper_ceiling, sharp_rate_a
from mastref.verify.instances import QuadraticFamily, claim_at
from mastref.verify.search import worst_case


def _random_case(rng):
    """A PSD quadratic and ``N`` diagonal atoms with mean 1 (a finite uniform law)."""
    d, N = int(rng.integers(1, 4)), int(rng.integers(1, 6))
    B = rng.standard_normal((d, d))
    A = B @ B.T + rng.uniform(0.05, 1) * np.eye(d)
    S = rng.uniform(0, 2, (N, d))
    S = S / S.mean(axis=0)
    Dk = np.array([s[:, None] * A * s[None, :] for s in S])  # Hessians of the f_{S_k}
    return A, Dk


def _one_step_excess(Dk, gamma, p, c, rho):
    """``Q`` with ``E Phi+ - (1 - rho) Phi = z^T Q z``, ``z = (x - x*, w - x*)``, ``b = N``.

    ``g_k = D_k (x - x*) - D_k (w - x*) + A_D (w - x*)`` (``h = grad f_D(w)``), ``x+ = x -
    gamma g_k``; with probability ``p`` ``w+ = x`` (``D+ = D(x)``), else ``w+ = w``."""
    N, d = Dk.shape[0], Dk.shape[1]
    AD = Dk.mean(axis=0)
    K = np.einsum("kab,kbc->ac", Dk, Dk) / N  # D(w) = (w - x*)^T K (w - x*)
    I, Z = np.eye(d), np.zeros((d, d))
    Q = np.zeros((2 * d, 2 * d))
    for D in Dk:
        M = np.hstack([I - gamma * D, gamma * (D - AD)])
        Q += M.T @ M / N
    Q += c * np.block([[p * K, Z], [Z, (1 - p) * K]])
    Q -= (1 - rho) * np.block([[I, Z], [Z, c * K]])
    scale = max(1.0, c * np.linalg.eigvalsh(K)[-1])
    return Q, scale


def _constants(Dk):
    ev = np.linalg.eigvalsh(Dk.mean(axis=0))
    return max(np.linalg.eigvalsh(D)[-1] for D in Dk), ev[0], ev[-1]  # L, mu, L_fD


def test_lemma_a_holds_at_every_state_and_fails_when_inflated():
    rng = np.random.default_rng(0)
    inflated_fails = 0
    for _ in range(150):
        _, Dk = _random_case(rng)
        L, mu, L_fD = _constants(Dk)
        gamma = rng.uniform(0, 1) ** 3 / (6 * L)
        p = rng.uniform(0.001, 1) ** 2
        r = sharp_rate_a(gamma, L, mu, L_fD, p)
        c = r.kappa * gamma**2 / p
        Q, scale = _one_step_excess(Dk, gamma, p, c, r.rho)
        assert np.linalg.eigvalsh(Q)[-1] <= 1e-12 * scale
        # any (beta, kappa) is a valid lemma, not only the optimum
        beta, kappa = rng.uniform(0.1, 5), rng.uniform(1.5, 40)
        rho = lemma_rate(gamma, L, mu, L_fD, p, beta, kappa)
        Q, scale = _one_step_excess(Dk, gamma, p, kappa * gamma**2 / p, rho)
        assert np.linalg.eigvalsh(Q)[-1] <= 1e-12 * scale
        Q, _ = _one_step_excess(Dk, gamma, p, c, 1.1 * r.rho)
        inflated_fails += np.linalg.eigvalsh(Q)[-1] > 0
    assert inflated_fails >= 50  # the test has power: 10 % more rate breaks it often


def test_paper_proof_is_the_lemma_at_beta_1_kappa_4():
    # at gamma L = 1/6: s = (1/6)(1 + 1 + 4) = 1, rho_x = gamma mu, rho_D = p (1 - 2/4) = p/2
    for gmu, p in [(0.1, 0.02), (0.01, 0.5), (0.05, 0.1)]:
        gamma = 1 / 6
        assert lemma_rate(gamma, 1.0, gmu / gamma, 1.0, p, 1.0, 4.0) == pytest.approx(
            min(gmu, p / 2), rel=1e-14
        )


@pytest.mark.parametrize(
    "gL, gmu, ratio, p",
    [
        (1 / 6, 0.01, 1.0, 0.001),
        (1 / 6, 0.1, 0.5, 0.5),
        (0.01, 0.005, 0.5, 0.004),
        (0.05, 0.001, 0.01, 1.0),
        (1 / 6, 1 / 6, 1.0, 0.2),
    ],
)
def test_sharp_rate_is_the_best_lemma_rate_on_a_grid(gL, gmu, ratio, p):
    gamma = 1.0
    mu, L_fD = gmu, gmu / ratio
    r = sharp_rate_a(gamma, gL, mu, L_fD, p)
    betas = np.geomspace(1e-2, 1e3, 400)
    kappas = np.geomspace(1.01, 1e5, 400)
    grid = max(lemma_rate(gamma, gL, mu, L_fD, p, b, k) for b in betas for k in kappas)
    assert grid <= r.rho * (1 + 1e-9)
    assert grid >= r.rho * (1 - 2e-2)
    assert r.s == pytest.approx(gL * (1 + r.beta + r.kappa), rel=1e-12)
    assert r.rho >= min(gmu, p / 2) * (1 - 1e-12)  # never below the paper's rate


def test_sharp_rate_hand_limit_isotropic():
    """``A_D = 2 I``, ``L = 4`` (``Partition`` of ``I`` in two blocks), ``gamma = 1/24``:
    ``gamma L = 1/6``, ``mu = L_fD = 2``, so ``rho_x(s) = (2 - s)/12`` for every ``s``; as
    ``p -> 0`` the crossing goes to ``s = 2``, ``u = sqrt(12)``, ``rho/p -> 1 - 1/(sqrt(12) -
    1)^2`` (0.8353; the paper has 1/2)."""
    r = sharp_rate_a(1 / 24, 4.0, 2.0, 2.0, 1e-7)
    assert r.rho / 1e-7 == pytest.approx(1 - 1 / (math.sqrt(12) - 1) ** 2, rel=1e-5)
    mast = mr.MAST(mr.Quadratic(np.eye(2), np.zeros(2)), mr.Partition(blocks=[[0], [1]]))
    g = mr.theorem4(mast, x0=np.ones(2), p=1e-7, constants="sharp")
    assert g.gamma == pytest.approx(1 / 24, rel=1e-14)
    assert 1 - g.rate == pytest.approx(r.rho, rel=1e-12)
    assert g.values["c_D"] == pytest.approx(r.kappa * g.gamma**2 / 1e-7, rel=1e-12)


def test_constants_argument_names_its_choices():
    mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(blocks=[[0], [1]]))
    with pytest.raises(ValueError, match="'paper', 'exact' or 'sharp'"):
        mr.theorem4(mast, x0=np.zeros(2), constants="tight")


def test_sharp_refuses_part_b():
    law = mr.FiniteSketch(np.array([[1.1, 0.9], [0.9, 1.1], [1.1, 1.1], [0.9, 0.9]]))
    mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), law)
    with pytest.raises(ValueError, match="'sharp' is derived for part \\(a\\) only"):
        mr.theorem4(mast, x0=np.zeros(2), b=3, constants="sharp")


def _family():
    return QuadraticFamily(
        d=2,
        sketches=("randk", "partition", "bernoulli-half", "near-identity"),
        step_fraction=(1e-2, 1),
        step_scale="log",
        max_steps=600,
        kappa=10.0,
        svrdsg=True,
        start="offset",
    )


def test_sharp_bound_holds_over_a_searched_family():
    sharp = functools.partial(mr.theorem4, constants="sharp")
    sharp.__name__ = "theorem4_sharp"
    w = worst_case(sharp, _family(), n_steps=100, budget=16, rng=3)
    assert w.verdict != "violated", str(w)
    assert w.ratio <= 1 + 1e-9
    assert w.ratio > 0.05  # the search reached counted ratios (not an empty search)


def _paper_late_tightness(mast, x0, gamma, p, T):
    """Largest ``E Phi_t / ((1 - min(gamma mu, p/2))^t Phi_0)`` over ``t >= t_2`` (paper
    constants, computed here from the exact moments)."""
    g = mr.theorem4(mast, x0=x0, gamma=gamma, p=p)
    e = mr.expected_svrdsg(mast, x0, gamma, T, p=p)
    c = 4 * gamma**2 / p
    phi = e.dist2 + c * e.extra["D"]
    rho = min(gamma * mast.mu, p / 2)
    assert 1 - g.rate == pytest.approx(rho, rel=1e-14)
    t = np.arange(T + 1)
    t2 = math.log(100) / -math.log(1 - rho)
    ratio = phi / ((1 - rho) ** t * phi[0])
    return float(np.max(ratio[t >= t2])), g


@pytest.mark.parametrize(
    "A, frac, p",
    [
        (np.diag([1.0, 2.0]), 1.0, 1.0),  # gamma mu branch at the step limit
        (np.diag([1.0, 2.0]), 0.1, 1.0),
        (np.eye(2), 1.0, 0.002),  # p/2 branch
        (np.eye(2), 0.3, 0.002),
        (np.diag([1.0, 3.0]), 1.0, 0.004),
    ],
)
def test_paper_late_tightness_below_the_proved_ceiling(A, frac, p):
    mast = mr.MAST(mr.Quadratic(A, np.zeros(2)), mr.Partition(blocks=[[0], [1]]), shift=np.ones(2))
    x0 = np.array([1.5, -0.5])
    gamma = frac * mr.theorem4(mast, x0=x0, p=p).gamma
    paper = mr.theorem4(mast, x0=x0, gamma=gamma, p=p)
    T = int(math.ceil(3 * math.log(10) / -math.log(paper.rate)))
    tight, _ = _paper_late_tightness(mast, x0, gamma, p, T)
    ceiling = paper_ceiling(paper, mr.theorem4(mast, x0=x0, gamma=gamma, p=p, constants="sharp"))
    assert tight <= ceiling * (1 + 1e-9)
    assert ceiling < 0.5


def test_statement_ceiling_below_0_13_at_0_3_of_the_step_limit():
    """Sampled: on 300 random points (``gamma L`` = 0.3/6 or 0.1/6, ``gamma mu <= gamma L``,
    ``p``, ``mu/L_fD`` down to 1e-6) the proved ceiling on the counted late tightness of the
    statement (rate ``min(gamma mu, p/2)``, both branches) stays below 0.13. Each value is
    proved (Lemma A); the maximum is sampled. At the step limit it is not small (0.999 where
    the branches meet): there the paper's proof is nearly the best Lemma A gives."""
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(300):
        gL = float(rng.choice([0.3, 0.1])) / 6
        gmu = gL * 10 ** rng.uniform(-4, 0)
        p = min(1.0, 2 * gmu * 10 ** rng.uniform(-2, 2))
        L_fD = gmu / 10 ** rng.uniform(-6, 0)
        worst = max(worst, ceiling_a(1.0, gL, gmu, L_fD, p, min(gmu, p / 2)))
    assert worst < 0.13
    assert ceiling_a(1.0, 1 / 6, 0.01, 0.01, 0.02, 0.01) > 0.9  # step limit, branches meet


@pytest.mark.parametrize(
    "make, ceiling_about",
    [
        (lambda: catalogue4._family().build(catalogue4.GAMMA_MU_THETA), 0.39),
        (lambda: catalogue4._P_FAMILY().build(catalogue4.P_HALF_THETA), 0.38),
        (lambda: catalogue4.branch_instance("a-p"), 0.10),
    ],
)
def test_catalogue_paper_instances_below_their_ceilings(make, ceiling_about):
    """The statement's checks in the catalogue (their descriptions quote these ceilings): the
    exact ``E Phi_t / bound_t`` over ``t_2 <= t <= 3 decades`` stays under ``paper_ceiling``."""
    inst = make()
    obj, g = claim_at(mr.theorem4, inst, 100)
    p = g.values["p"]
    sharp = mr.theorem4(obj, x0=inst.x0, gamma=g.gamma, p=p, constants="sharp")
    ceiling = paper_ceiling(g, sharp)
    assert ceiling == pytest.approx(ceiling_about, abs=0.006)
    rho = 1 - g.rate
    T = int(math.ceil(3 * math.log(10) / rho))
    e = mr.expected_svrdsg(obj, inst.x0, g.gamma, T, p=p)
    phi = e.dist2 + 4 * g.gamma**2 / p * e.extra["D"]
    t = np.arange(T + 1)
    ratio = phi / ((1 - rho) ** t * phi[0])
    assert np.max(ratio[t >= math.log(100) / -math.log(1 - rho)]) <= ceiling
