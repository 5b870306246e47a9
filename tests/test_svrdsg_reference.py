"""L-SVRDSG from a reference point ``w_0 != x_0`` (Algorithm 3 does not fix it): the exact
recursion, the Monte Carlo run and Theorem 4's Lyapunov start, held to a hand computation."""

import numpy as np
import pytest

import mastref as mr
from mastref.catalogue.theorem4 import (
    FIRST_STEPS,
    REFERENCE_LOW,
    SVRDSGFamily,
    branch_rate,
    reference_apart_instance,
    search_family,
)
from mastref.verify.checker import check
from mastref.verify.instances import Instance, claim_at
from mastref.verify.measure import svrdsg_lyapunov
from mastref.verify.search import NOT_FOUND, _ratio

C = -0.253  # w_0 - x_D* = C e_1, x_0 - x_D* = e_1


def _setup():
    mast = mr.MAST(
        mr.Quadratic(np.eye(2), np.zeros(2)), mr.Partition(blocks=[[0], [1]]), shift=np.ones(2)
    )
    x_star = mast.argmin()
    return mast, x_star + np.array([1.0, 0.0]), x_star + np.array([C, 0.0])


def _hand(p: float) -> tuple[float, float]:
    """``Phi_0`` and ``E Phi_1`` by hand: ``D_k = 4 e_k e_k^T``, ``A_D = 2I``, ``gamma = 1/24``
    (``L = 4``), ``c_D = 4 gamma^2/p``, ``K = (1/N) sum D_k^2 = 8I``. Atom 1: ``e+ = (1 - 4
    gamma) e_1 + gamma (4 - 2) C e_1``; atom 2: ``e+ = e_1 - 2 gamma C e_1``; ``eps+ = e_0``
    (prob. ``p``) or ``eps_0``."""
    gamma = 1.0 / 24.0
    weight = 4 * gamma**2 / p * 8.0
    e1 = 0.5 * ((1 - 4 * gamma + 2 * gamma * C) ** 2 + (1 - 2 * gamma * C) ** 2)
    return 1.0 + weight * C**2, e1 + weight * (p * 1.0 + (1 - p) * C**2)


@pytest.mark.parametrize("p", [0.25, 0.5, 1.0])
def test_the_exact_recursion_and_theorem4_start_from_w0_as_computed_by_hand(p):
    mast, x0, w0 = _setup()
    g = mr.theorem4(mast, x0=x0, w0=w0, p=p)
    assert g.gamma == pytest.approx(1 / 24, rel=1e-14) and g.values["mu"] == pytest.approx(2.0)
    phi0, phi1 = _hand(p)
    assert g.values["lyapunov_0"] == pytest.approx(phi0, rel=1e-13)
    e = mr.expected_svrdsg(mast, x0, g.gamma, 1, p=p, w0=w0)
    phi = e.dist2 + g.values["c_D"] * e.extra["D"]
    assert phi == pytest.approx([phi0, phi1], rel=1e-13)
    assert np.all(e.extra["h_error"] == 0)  # h_0 = grad f_D(w_0) exactly, b = N


def test_the_monte_carlo_run_starts_from_w0_too():
    mast, x0, w0 = _setup()
    g = mr.theorem4(mast, x0=x0, w0=w0, p=0.25)
    exact = mr.expected_svrdsg(mast, x0, g.gamma, 3, p=0.25, w0=w0)
    phi_exact = exact.dist2 + g.values["c_D"] * exact.extra["D"]
    trace = mr.l_svrdsg(mast, x0, g.gamma, 3, n_runs=40_000, rng=3, p=0.25, w0=w0)
    samples = svrdsg_lyapunov(g, mast, trace)
    mean = samples.mean(axis=1)
    se = samples.std(axis=1) / np.sqrt(samples.shape[1])
    assert mean[0] == pytest.approx(phi_exact[0], rel=1e-13)  # deterministic start
    # 5 standard errors: a false alarm below 1e-6 per step; a start at w_0 = x_0 instead
    # is off by more than 20 standard errors
    assert np.all(np.abs(mean[1:] - phi_exact[1:]) < 5 * se[1:])
    wrong = mr.expected_svrdsg(mast, x0, g.gamma, 3, p=0.25)
    wrong_phi = wrong.dist2 + g.values["c_D"] * wrong.extra["D"]
    assert abs(wrong_phi[1] - mean[1]) > 20 * se[1]


def test_without_w0_the_start_is_x0():
    mast, x0, _ = _setup()
    g = mr.theorem4(mast, x0=x0, p=0.25)
    same = mr.theorem4(mast, x0=x0, w0=x0, p=0.25)
    assert g.values["lyapunov_0"] == same.values["lyapunov_0"] and "w0" not in g.options
    a = mr.expected_svrdsg(mast, x0, g.gamma, 5, p=0.25)
    b = mr.expected_svrdsg(mast, x0, g.gamma, 5, p=0.25, w0=x0)
    assert np.array_equal(a.dist2, b.dist2) and np.array_equal(a.extra["D"], b.extra["D"])


def test_the_statement_holds_there_and_a_faster_gamma_mu_branch_does_not():
    inst = reference_apart_instance()
    obj, g = claim_at(mr.theorem4, inst, 3)
    result = check(g, obj, x0=inst.x0, n_steps=3, method="exact")
    ratio_1 = result.measured[1] / result.bound[1]
    phi0, phi1 = _hand(0.25)
    gamma_mu = g.gamma * g.values["mu"]
    assert result.verdict == "holds"
    assert ratio_1 == pytest.approx((phi1 / phi0) / (1 - gamma_mu), rel=1e-12)  # 0.987
    assert 0.98 < ratio_1 < 1
    # min(1.25 gamma mu, p/2) = 1.25 gamma mu here (p = 3 gamma mu): exceeded at t = 1
    assert (phi1 / phi0) / (1 - 1.25 * gamma_mu) == pytest.approx(1.0097, abs=1e-4)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x0: mr.theorem4(m, x0=x0, w0=np.zeros(3)),
        lambda m, x0: mr.expected_svrdsg(m, x0, 0.01, 2, w0=np.zeros(3)),
        lambda m, x0: mr.l_svrdsg(m, x0, 0.01, 2, w0=[np.nan, 0.0]),
    ],
)
def test_a_bad_w0_is_refused_by_name(call):
    mast, x0, _ = _setup()
    with pytest.raises(ValueError, match="'w0'"):
        call(mast, x0)


def test_a_bound_broken_before_the_late_window_is_found_there():
    """``min(1.25 gamma mu, p/2)`` is broken at ``t = 1`` only (hand value above); the search's
    ratio reports it although its tightness window is the last half of the run."""
    wrong = branch_rate("a faster gamma mu branch", lambda gm, p: min(1.25 * gm, p / 2), "a")
    inst = reference_apart_instance()
    ratio, t = _ratio(wrong, inst, 20, "late")
    phi0, phi1 = _hand(0.25)
    gamma_mu = 1.0 / 12.0  # gamma = 1/24, mu = 2
    assert t == 1 and ratio == pytest.approx((phi1 / phi0) / (1 - 1.25 * gamma_mu), rel=1e-12)
    obj, g = claim_at(wrong, inst, 20)
    late = check(g, obj, x0=inst.x0, n_steps=20, method="exact")
    assert np.all(late.measured[10:] < late.bound[10:])  # the late window alone hides it


def test_the_searched_reference_point_lies_on_the_line_through_x0_and_the_optimum():
    """``SVRDSGFamily(reference_point=True)``: one more parameter ``lam``; ``w_0 - x_D* = lam
    (x_0 - x_D*)`` below 1, and the slab of share ``snap`` above 1 is ``w_0 = x_0`` (no
    ``w0`` passed), as in every landmark."""
    kw = dict(kappa=2.0, step_fraction=(1, 1), snap=0.4)
    fam = SVRDSGFamily(2, ("partition",), reference_point=True, **kw)
    assert fam.dim == SVRDSGFamily(2, ("partition",), **kw).dim + 1
    lo, hi = fam.bounds[-1]
    assert lo == REFERENCE_LOW and (hi - 1.0) / (hi - lo) == pytest.approx(0.4, rel=1e-12)
    theta = np.array(fam.landmarks()[0], float)
    assert "w0" not in fam.build(theta).claim_kwargs
    for lam in (C, -1.5, 0.5):
        theta[-1] = lam
        inst = fam.build(theta)
        # x_D* from the atoms, not the package's argmin: grad f_D(x) = A_D (x - v) + A v - b,
        # A_D = mean_k S_k^T A S_k (f = x^T A x/2 - b^T x, E S = I)
        S, weights = inst.sketch.support()
        A, b, v = inst.A[0], inst.b[0], inst.v
        S = np.asarray(S, float)
        if S.ndim == 2:  # a diagonal law's atoms are their diagonals
            S = np.stack([np.diag(s) for s in S])
        A_D = np.einsum("k,kji,jl,klm->im", weights, S, A, S)
        x_D = v - np.linalg.solve(A_D, A @ v - b)
        assert np.linalg.norm(x_D - inst.objective().argmin()) < 1e-12 * (1 + np.linalg.norm(x_D))
        assert np.allclose(inst.claim_kwargs["w0"] - x_D, lam * (inst.x0 - x_D), atol=1e-14)
    theta[-1] = 1.0 + 0.5 * (hi - 1.0)
    assert "w0" not in fam.build(theta).claim_kwargs


def test_the_first_steps_search_finds_the_plain_gradient_descent_witness():
    """``S = I`` (a one-block partition), ``f = ||x||^2/2``, ``p = 1``, ``w_0 = x*``: L-SVRDSG
    is gradient descent, ``L = mu = 1``, ``gamma = 1/6``, and ``D(w) = ||w - x*||^2``. By hand
    ``Phi_0 = r_0`` and ``E Phi_1 = (1 - gamma)^2 r_0 + 4 gamma^2 r_0 = (29/36) r_0``: 0.967 of
    the statement's ``1 - gamma mu = 5/6``, and ``(29/36)/(1 - 1.25/6) = 1.0175`` times the
    faster ``gamma mu`` branch. The default search's first-steps member finds a violation of
    that branch from scratch (no seeding)."""
    wrong = branch_rate("a faster gamma mu branch", lambda gm, p: min(1.25 * gm, p / 2), "a")
    x_star = np.zeros(2)
    inst = Instance(
        A=(np.eye(2),),
        b=(np.zeros(2),),
        sketch=mr.Partition(blocks=[[0, 1]]),
        v=np.ones(2),
        x0=x_star + np.array([1.0, 0.0]),
        step_fraction=1.0,
        claim_kwargs={"p": 1.0, "w0": x_star},
    )
    for claim, rate in ((mr.theorem4, 1 / 6), (wrong, 1.25 / 6)):
        ratio, t = _ratio(claim, inst, 3, "all")
        assert t == 1 and ratio == pytest.approx((29 / 36) / (1 - rate), rel=1e-12)
    member = next(m for m in search_family().members if getattr(m, "first_steps", None))
    found = mr.worst_case(wrong, member, n_steps=100, budget=100, rng=0, progress=False)
    assert found.verdict == "violated" and found.t == 1 and found.n_steps == FIRST_STEPS
    # what it finds is that instance: one atom (S = I) and the hand ratio to 1e-3 (with w_0 =
    # x*, D(w_0) = 0, the ratio is the same for every p with p/2 >= 1.25 gamma mu = 5/24)
    inst = found.instance
    assert inst.sketch.support_size == 1 and inst.claim_kwargs["p"] >= 5 / 12
    assert found.ratio == pytest.approx((29 / 36) / (1 - 1.25 / 6), abs=1e-3)
    assert mr.worst_case(mr.theorem4, member, budget=100, rng=0).verdict == NOT_FOUND
