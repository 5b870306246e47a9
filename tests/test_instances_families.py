"""Search families (issue 20): positive-measure attaining slabs, unions of families, and finite
sums of quadratics with the tau-nice oracle, measured exactly."""

import dataclasses
import itertools
import math
import re

import numpy as np
import pytest

import mastref as mr
from mastref.verify.instances import (
    SNAP,
    FiniteSumQuadraticFamily,
    QuadraticFamily,
    UnionFamily,
    default_family,
)
from mastref.verify.search import _ratio


def _block(family, name):
    """Index range of the block ``name`` in ``family.bounds``."""
    k = 0
    for block, bs in family._blocks:
        if block == name:
            return slice(k, k + len(bs))
        k += len(bs)
    raise KeyError(name)


def _slab_point(family, rng, law):
    """A random parameter vector with the spectrum, law-parameter and step coordinates inside
    their attaining slabs, ``v`` off the optimum and the sketch family ``law``; the other
    coordinates uniform in the box."""
    lo, hi = np.array(family.bounds).T
    theta = lo + (hi - lo) * rng.random(family.dim)
    theta[_block(family, "law0")] = family.sketches.index(law) + rng.random()
    for name in ("law_params0", "spectrum0"):
        s = _block(family, name)
        top = hi[s] if name == "spectrum0" else 0.0
        bottom = 0.0 if name == "spectrum0" else lo[s]
        theta[s] = bottom + (top - bottom) * rng.random(s.stop - s.start)
    theta[_block(family, "step_fraction")] = hi[-1] * rng.random()  # log10 fraction in (0, hi]
    theta[_block(family, "v_optimal")] = (1.0 - SNAP) * rng.random()  # v off the optimum
    return theta


def test_the_snapping_slabs_have_the_stated_share_of_each_range():
    family = default_family()
    for name in ("spectrum0", "law_params0", "step_fraction"):
        ((a, b),) = {family.bounds[i] for i in range(*_block(family, name).indices(family.dim))}
        end = 0.0
        share = (b - end) / (b - a) if name != "law_params0" else (end - a) / (b - a)
        assert share == pytest.approx(SNAP), name


def test_a_random_point_of_the_slabs_is_the_near_scalar_instance_at_gamma_max():
    # In the slabs: every eigenvalue is L_f = 1 (kappa = 1), eps = 0.005, gamma = gamma_max.
    # Then S = (1 +- eps) I on A = I gives L_max = (1 + eps)^2 and mu_D = E s^2 = 1 + eps^2.
    family = default_family()
    rng = np.random.default_rng(0)
    eps = 0.005
    for _ in range(5):
        inst = family.build(_slab_point(family, rng, "near-scalar"))
        assert np.allclose(np.linalg.eigvalsh(inst.A[0]), 1.0, atol=1e-12)
        assert inst.step_fraction == 1.0
        mast = inst.objective()
        assert mast.L_max == pytest.approx((1 + eps) ** 2, rel=1e-12)
        assert mast.mu == pytest.approx(1 + eps**2, rel=1e-12)
        # the neighbourhood is attained to 1 - O(eps) there (near_scalar's docstring)
        r, _ = _ratio(mr.theorem1, inst, 100, "late")
        assert 0.97 < r <= 1 + 1e-9


def test_the_v_optimal_slab_puts_the_shift_at_the_optimum():
    family = default_family()
    theta = family.landmarks()[0].copy()
    s = _block(family, "v_optimal")
    theta[s] = 1.0 - SNAP / 2  # inside the slab
    inst = family.build(theta)
    assert float(inst.objective().gap) == pytest.approx(0.0, abs=1e-12)  # v = x*: Delta = 0
    theta[s] = 0.5 * (1.0 - SNAP)  # outside: v from its own coordinates
    assert np.array_equal(family.build(theta).v, theta[_block(family, "v")])


def test_without_snap_no_coordinate_snaps():
    family = QuadraticFamily(
        d=2, sketches=("near-scalar",), step_fraction=(1e-3, 1), step_scale="log"
    )
    assert family.bounds[_block(family, "spectrum0")][0] == (-math.log(100.0), 0.0)
    assert "v_optimal" not in dict(family._blocks)


def test_a_union_builds_each_member_at_its_mapped_parameters():
    one = default_family(clients=1, distributed=True)
    two = default_family(clients=2, per_client_sketches=True)
    union = UnionFamily([one, two])
    rng = np.random.default_rng(1)
    for k, member in enumerate((one, two)):
        lo, hi = np.array(member.bounds).T
        inner = lo + (hi - lo) * rng.random(member.dim)
        unit = np.full(union.dim - 1, 0.5)
        unit[: member.dim] = (inner - lo) / (hi - lo)
        a = union.build(np.concatenate([[k + 0.25], unit]))
        b = member.build(inner)
        assert a.describe() == b.describe()
    # each member's landmarks come back unchanged through the union
    for theta, inner in zip(union.landmarks(), one.landmarks() + two.landmarks(), strict=True):
        member = one if theta[0] < 1 else two
        assert np.allclose(union.split(theta)[1], inner)
        assert np.allclose(union.join(*union.split(theta)), theta)
    assert isinstance(union.build(union.landmarks()[0]).objective(), mr.DistributedProblem)


def test_one_distributed_client_attains_what_two_independent_clients_halve():
    # Theorem 5 (strongly convex) on S = (1 +- eps) I at gamma_max: one client (M identical
    # clients sharing one draw) reaches 1 - O(eps) of the neighbourhood; two identical clients
    # with independent draws average their noise, so the spread is half: ratio <= 1/2.
    from mastref.catalogue.theorem5 import search_family, theorem5_sc

    union = search_family()
    ratios = {}
    for theta in union.landmarks():
        inst = union.build(theta)
        if not inst.claim_kwargs.pop("strongly_convex"):
            continue  # the nonconvex member
        if repr(inst.sketch).startswith("FiniteSketch") or (
            isinstance(inst.sketch, list) and repr(inst.sketch[0]).startswith("FiniteSketch")
        ):
            law = inst.sketch[0] if isinstance(inst.sketch, list) else inst.sketch
            if law.support_size == 2:  # near-scalar
                ratios[len(inst.A)] = _ratio(theorem5_sc, inst, 100, "late")[0]
    assert ratios[1] > 0.97
    assert ratios[2] < 0.5 + 1e-9 and ratios[2] > 0.45


def _brute_force(inst, gamma, T):
    """``E||x_T - x_D*||^2`` and ``E f_D(x_T) - f_D^inf`` of Algorithm 1-II by enumerating
    every path of (sketch atom, tau-subset) pairs: ``g = S grad f_B(v + S(x - v))``,
    ``grad f_B(y) = (1/tau) sum_{i in B} (a_i (a_i^T y - y_i) + lam y)``."""
    X, y, lam, v = inst.X, inst.y, inst.lam, inst.v
    n = X.shape[0]
    tau = inst.claim_kwargs["batch_size"]
    S, w = inst.sketch.support()
    atoms = [
        (ws / math.comb(n, tau), s, B)
        for s, ws in zip(S, w, strict=True)
        for B in itertools.combinations(range(n), tau)
    ]
    mast = inst.objective()
    x_D = mast.argmin()
    dist2 = gap = 0.0
    for path in itertools.product(atoms, repeat=T):
        x, p = inst.x0.copy(), 1.0
        for wk, s, B in path:
            yy = v + s * (x - v)
            grad = sum(X[i] * (X[i] @ yy - y[i]) + lam * yy for i in B) / tau
            x = x - gamma * s * grad
            p *= wk
        dist2 += p * float((x - x_D) @ (x - x_D))
        gap += p * (mast.value(x) - mast.value(x_D))
    return dist2, gap


def test_finite_sum_family_expectations_equal_brute_force_enumeration():
    family = FiniteSumQuadraticFamily(d=2, n=3, sketches=("bernoulli",), snap=SNAP)
    rng = np.random.default_rng(3)
    lo, hi = np.array(family.bounds).T
    theta = lo + (hi - lo) * rng.random(family.dim)
    theta[_block(family, "homogeneity")] = 0.0  # distinct samples
    theta[_block(family, "lam")] = -1.0  # lam = 0.1: strongly convex
    theta[_block(family, "tau")] = 1.5  # tau = 2 of n = 3
    theta[_block(family, "step_fraction")] = -0.5
    inst = family.build(theta)
    assert inst.claim_kwargs["batch_size"] == 2 and inst.lam == pytest.approx(0.1)
    T, gamma = 3, 0.3
    dist2, gap = _brute_force(inst, gamma, T)
    e = mr.expected_dsgd(inst.objective(), inst.x0, gamma, T, oracle="minibatch", batch_size=2)
    assert e.dist2[T] == pytest.approx(dist2, rel=1e-10)
    assert e.value_gap[T] == pytest.approx(gap, rel=1e-10)


def test_the_homogeneity_slab_gives_identical_rows_then_identical_samples():
    family = FiniteSumQuadraticFamily(n=4, snap=SNAP)
    theta = family.landmarks()[0].copy()
    s = _block(family, "homogeneity")
    lo, hi = np.array(family.bounds).T
    rng = np.random.default_rng(4)
    for name in ("rows", "targets"):
        b = _block(family, name)
        theta[b] = lo[b] + (hi[b] - lo[b]) * rng.random(b.stop - b.start)
    theta[s] = 1.0 - 0.75 * SNAP  # identical rows, distinct targets: Delta_data > 0
    inst = family.build(theta)
    assert np.ptp(inst.X) == 0 and np.ptp(inst.y) > 0
    abc = mr.tau_nice_abc(inst.objective(), 2)
    assert abc["Delta_data"] > 0
    theta[s] = 1.0 - 0.25 * SNAP  # identical samples: Delta_data = 0, c_tau + B_tau = 1
    inst = family.build(theta)
    assert np.ptp(inst.X) == 0 and np.ptp(inst.y) == 0
    abc = mr.tau_nice_abc(inst.objective(), 2)
    assert abc["Delta_data"] == pytest.approx(0.0, abs=1e-12)
    assert abc["c_tau"] + abc["B_tau"] == pytest.approx(1.0)


def test_theorem3_search_family_reaches_finite_sums_with_tau_below_n_in_both_forms():
    from mastref.catalogue.theorem3 import search_family

    union = search_family()
    finite = union.members[1]
    assert set(finite.taus) == set(range(1, finite.n))
    kinds = {
        (inst.claim_kwargs.get("strongly_convex"), inst.claim_kwargs.get("batch_size"))
        for inst in map(union.build, union.landmarks())
    }
    assert (True, None) in kinds and (True, 1) in kinds and (False, 1) in kinds


def test_gd_value_gaps_keep_their_relative_accuracy_far_below_the_infimum():
    # GD on a quadratic f_D contracts the mode lambda by (1 - gamma lambda)^2 a step; started
    # 1e-6 from x_D* along the flat eigenvector, the gap 1/2 lambda (1 - gamma lambda)^(2t) 1e-12
    # is followed to 1e-12 relative accuracy down to 1e-40, where f_D(x) - f_D^inf from the
    # iterates is pure round-off (|f_D^inf| ~ 1).
    from mastref.verify.measure import exact_curve

    A = np.diag([1.0, 0.5])
    mast = mr.MAST(mr.Quadratic(A, A @ np.array([1.0, 2.0])), mr.Identity(2), shift=np.zeros(2))
    x0 = mast.argmin() + np.array([0.0, 1e-6])
    g = mr.baseline_gd(mast, x0=x0)
    steps, gap = exact_curve(g, mast, x0, 60)
    e0 = (x0 - mast.argmin())[1]  # 1e-6 up to the rounding of 2 + 1e-6
    expected = 0.5 * 0.5 * (1 - g.gamma * 0.5) ** (2 * steps) * e0**2
    assert gap[-1] < 1e-40
    assert np.allclose(gap, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("quantity", ["dist2", "grad_norm2_min"])
def test_gd_distances_and_gradients_keep_their_relative_accuracy_below_round_off(quantity):
    # The same run measured as ||x_t - x_D*||^2 = (1 - gamma lambda)^(2t) e0^2 and as
    # ||grad f_D(x_t)||^2 = lambda^2 (1 - gamma lambda)^(2t) e0^2 (lambda = 0.5 on the flat
    # mode): from the iterates both stop at (eps ||x_D*||)^2 ~ 1e-32 (a ratio of 1e40 at
    # t = 200 against a bound that follows the truth); in error coordinates they reach 1e-60.
    from dataclasses import replace

    from mastref.verify.measure import exact_curve

    A = np.diag([1.0, 0.5])
    mast = mr.MAST(mr.Quadratic(A, A @ np.array([1.0, 2.0])), mr.Identity(2), shift=np.zeros(2))
    x0 = mast.argmin() + np.array([0.0, 1e-6])
    g = replace(mr.baseline_gd(mast, x0=x0), quantity=quantity)
    steps, q = exact_curve(g, mast, x0, 200)
    e0 = (x0 - mast.argmin())[1]
    scale = 1.0 if quantity == "dist2" else 0.5**2
    expected = scale * (1 - g.gamma * 0.5) ** (2 * steps) * e0**2
    assert q[-1] < 1e-60
    assert np.allclose(q, expected, rtol=1e-12, atol=0)


def test_the_start_slab_resolves_to_a_multiple_of_the_stationary_spread():
    # Below log10-distance -4 the start is m sqrt(s) from x_D*, m in STATIONARY_STARTS
    # (linear over the slab), s the stationary E||x - x_D*||^2 of DSGD at the claim's step.
    # On A = I with S = (1 +- eps) I each coordinate is near_scalar's scalar recursion with
    # c_i = x*_i - v_i, so s = sum_i near_scalar_spread(eps, gamma, c_i) (closed form).
    from mastref.verify.instances import STATIONARY_STARTS, near_scalar_spread, resolve_start

    family = default_family()
    rng = np.random.default_rng(5)
    s0 = _block(family, "x0").start
    low = family.bounds[s0][0]
    for r, m in ((low, STATIONARY_STARTS[1]), (-4.0 - 1e-12, STATIONARY_STARTS[0])):
        theta = _slab_point(family, rng, "near-scalar")
        theta[_block(family, "step_fraction")] = -1.0  # gamma = 0.1 gamma_max
        theta[s0] = r
        inst = family.build(theta)
        assert inst.start_spread == pytest.approx(m)
        resolved = resolve_start(mr.theorem1, inst, 100)
        gamma = mr.theorem1(inst.objective(), gamma=None).gamma * 0.1
        c = np.linalg.solve(inst.A[0], inst.b[0]) - inst.v
        s = sum(near_scalar_spread(0.005, gamma, ci) for ci in c)
        e = resolved.x0 - inst.objective().argmin()
        assert float(e @ e) == pytest.approx(m**2 * s, rel=1e-6)
        assert resolved.start_spread is None
        # the direction is the placeholder's
        u = inst.x0 - inst.objective().argmin()
        assert np.allclose(e / np.linalg.norm(e), u / np.linalg.norm(u))


def test_client_scale_gives_the_second_client_its_own_curvature_and_keeps_its_minimiser():
    fam = default_family(clients=2, per_client_sketches=True, client_scale=100.0)
    s = _block(fam, "scale1")
    grow = SNAP / (1 - SNAP)
    assert fam.bounds[s][0] == pytest.approx((-2.0, 2.0 * grow))  # log10 s_1, slab above 0
    rng = np.random.default_rng(3)
    lo, hi = np.array(fam.bounds).T
    theta = lo + (hi - lo) * rng.random(fam.dim)
    for log_s, expected in ((-2.0, 0.01), (-1.0, 0.1), (0.5 * grow, 1.0)):  # the slab: s = 1
        theta[s] = log_s
        inst = fam.build(theta)
        # client 0 keeps L_f = 1; client 1's largest eigenvalue is its scale s_1
        assert np.linalg.eigvalsh(inst.A[0]).max() == pytest.approx(1.0, rel=1e-12)
        assert np.linalg.eigvalsh(inst.A[1]).max() == pytest.approx(expected, rel=1e-12)
        x1 = theta[_block(fam, "x_star1")]
        assert np.linalg.solve(inst.A[1], inst.b[1]) == pytest.approx(x1, rel=1e-9)
    problem = inst.objective()
    assert max(c.problem.L for c in problem.clients) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="'client_scale' = 0.5 must be >= 1"):
        default_family(clients=2, client_scale=0.5)


def _theorem5_mu_max(problem, **kw):
    """Theorem 5 (strongly convex) with ``mu_F = (1/M) sum_i mu_i mu_{D_i}`` replaced by the
    largest ``mu_i mu_{D_i}`` in the rate and the neighbourhood: equal for identical clients,
    false where the clients' curvatures differ (gradient descent on ``F`` contracts at the
    mean curvature)."""
    kw.pop("strongly_convex", None)
    g = mr.theorem5(problem, strongly_convex=True, **kw)
    mu = max(c.problem.mu * c.sketch.mu_D for c in problem.clients)
    rate = 1.0 - g.gamma * mu
    floor = 2.0 * g.gamma * g.values["A"] * g.values["Delta_M"] / mu
    r0 = g.values["dist2_0"]
    return dataclasses.replace(
        g, name="mu-max", bound=lambda t: rate**t * r0 + floor, rate=rate, floor=floor, parts={}
    )


def test_a_union_is_searched_member_by_member():
    # one client (where the wrong claim is Theorem 5 itself and the ratio reaches 1) and two
    # clients with curvatures within 100x (where it is false): the member-by-member search
    # reports the violation, with the union's theta and each member's best in its message
    sc = {"strongly_convex": True}
    one = default_family(d=1, sketches=("bernoulli",), clients=1, distributed=True, claim_kwargs=sc)
    two = default_family(
        d=1,
        sketches=("bernoulli",),
        clients=2,
        per_client_sketches=True,
        client_scale=100.0,
        claim_kwargs=sc,
    )
    union = UnionFamily([one, two])
    found = mr.worst_case(_theorem5_mu_max, union, n_steps=100, budget=8, rng=0)
    assert found.verdict == "violated" and found.ratio > 1.0
    assert len(found.instance.A) == 2 and found.theta[0] > 1  # the two-client member
    rebuilt = union.build(found.theta)  # the union's theta gives the instance back
    assert all(
        np.allclose(a, b, rtol=1e-12) for a, b in zip(rebuilt.A, found.instance.A, strict=True)
    )
    assert found.message.startswith("each member searched on its own: member 0")
    per_member = [int(n) for n in re.findall(r"\((\d+) evaluations\)", found.message)]
    assert len(per_member) == 2 and sum(per_member) == found.evaluations
    assert min(per_member) >= 4  # ceil(budget / 2) each, at least


def test_identical_clients_copy_client_0_and_draw_independently():
    fam = default_family(clients=2, per_client_sketches=True, identical_clients=True)
    alone = default_family(clients=1, distributed=True)
    assert fam.dim == alone.dim  # only client 0's coordinates are searched
    rng = np.random.default_rng(5)
    lo, hi = np.array(fam.bounds).T
    for _ in range(5):
        inst = fam.build(lo + (hi - lo) * rng.random(fam.dim))
        assert np.array_equal(inst.A[0], inst.A[1]) and np.array_equal(inst.b[0], inst.b[1])
        assert repr(inst.sketch[0]) == repr(inst.sketch[1])
    # the two-client neighbourhood is half the one-client one (the test above): the landmark
    # of the near-scalar law is that instance
    near = fam.build(fam.landmarks()[fam.sketches.index("near-scalar")])
    assert np.array_equal(near.A[0], np.eye(2)) and np.array_equal(near.A[1], np.eye(2))


def _coupled_pair():
    """The two-client family with and without the coupling coordinate, and its index."""
    kw = dict(clients=2, per_client_sketches=True, client_scale=100.0)
    plain, fam = default_family(**kw), default_family(**kw, coupled_clients=True)
    return plain, fam, _block(fam, "coupled").start


def test_coupling_slab_makes_client_1_client_0_times_its_scale():
    # below the coupling slab the family is the uncoupled one (every instance it held is still
    # there); in the slab client 1 takes client 0's law, spectrum and basis, so A_1 = s_1 A_0
    # with s_1 = 10^(scale coordinate), and in the slab's upper half also client 0's
    # minimiser, so b_1 = A_1 x_0* = s_1 b_0
    plain, fam, c = _coupled_pair()
    assert fam.dim == plain.dim + 1
    rng = np.random.default_rng(11)
    lo, hi = np.array(plain.bounds).T
    for _ in range(5):
        old = lo + (hi - lo) * rng.random(plain.dim)
        old[_block(plain, "law1")] = plain.sketches.index("randk") + 0.5  # differs from 0's
        old[_block(plain, "law0")] = plain.sketches.index("near-scalar") + 0.5
        s = 10.0 ** min(float(old[_block(plain, "scale1")][0]), 0.0)
        x0_star, x1_star = old[_block(plain, "x_star0")], old[_block(plain, "x_star1")]
        ref = plain.build(old)
        below = fam.build(np.insert(old, c, (1 - SNAP) * rng.random()))
        assert below.describe() == ref.describe()
        for u, x_star in ((1 - 0.75 * SNAP, x1_star), (1 - 0.25 * SNAP, x0_star)):
            inst = fam.build(np.insert(old, c, u))
            assert np.array_equal(inst.A[0], ref.A[0]) and np.array_equal(inst.b[0], ref.b[0])
            assert np.allclose(inst.A[1], s * ref.A[0], rtol=1e-12, atol=1e-15)
            assert np.linalg.solve(inst.A[1], inst.b[1]) == pytest.approx(x_star, rel=1e-9)
            atoms = [law.support()[0] for law in inst.sketch]  # one law, two draws
            assert np.array_equal(atoms[0], atoms[1]) and np.array_equal(
                atoms[0], ref.sketch[0].support()[0]
            )
        assert np.allclose(inst.b[1], s * ref.b[0], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="'coupled_clients' = True needs snap > 0"):
        QuadraticFamily(d=2, clients=2, coupled_clients=True)
    with pytest.raises(ValueError, match="'identical_clients' = True and 'coupled_clients'"):
        QuadraticFamily(d=2, clients=2, coupled_clients=True, identical_clients=True, snap=0.4)


def test_coupled_clients_express_100x_heterogeneity_where_mu_max_for_mu_F_is_violated():
    # a coupled pair at curvature scale s = 0.01 (Bernoulli(0.64), v = x*, started far): the
    # clients' L_i L_S_i^max differ 100-fold (max/mean = 2 / (1 + s) = 1.98, the most two
    # clients allow); F's Hessian (1/M) sum_i E[S A_i S] = (1 + s)/2 E[S A_0 S] (from the
    # law's atoms) has smallest eigenvalue mu_F, the MEAN of the clients' mu_i mu_D_i, so
    # replacing mu_F by their max is violated, while Theorem 5 holds
    fam = default_family(
        sketches=("bernoulli",),
        clients=2,
        per_client_sketches=True,
        client_scale=100.0,
        coupled_clients=True,
        claim_kwargs={"strongly_convex": True},
    )
    theta = np.array(fam.landmarks()[0])
    theta[_block(fam, "law_params0")] = 0.6  # Bernoulli(p = 0.1 + 0.9 * 0.6)
    theta[_block(fam, "scale1")] = -2.0
    theta[_block(fam, "coupled")] = 1.0
    inst = fam.build(theta)
    problem = inst.objective()
    per = [cl.L_max for cl in problem.clients]
    assert max(per) / min(per) == pytest.approx(100.0, rel=1e-9)
    assert max(per) / np.mean(per) == pytest.approx(2 / 1.01, rel=1e-9)
    hessian = np.mean(
        [
            sum(w * (a[:, None] * A * a[None, :]) for a, w in zip(*law.support(), strict=True))
            for A, law in zip(inst.A, inst.sketch, strict=True)
        ],
        axis=0,
    )
    mu_F = mr.theorem5(problem, strongly_convex=True).values["mu_F"]
    assert np.linalg.eigvalsh(hessian)[0] == pytest.approx(mu_F, rel=1e-12)
    mu = [cl.problem.mu * cl.sketch.mu_D for cl in problem.clients]
    assert mu_F == pytest.approx(np.mean(mu), rel=1e-12) and max(mu) > 1.9 * mu_F
    assert _ratio(_theorem5_mu_max, inst, 100, "late")[0] > 1.5
    assert _ratio(mr.theorem5, inst, 100, "late")[0] <= 1 + 1e-9
