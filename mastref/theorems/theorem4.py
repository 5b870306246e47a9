"""Theorem 4: L-SVRDSG (Algorithm 3; derived in THEORY.md, not in the paper).

Statement
    (a) ``b = N``: ``E Phi_T <= (1 - min(gamma mu, p/2))^T Phi_0``,
    ``Phi = ||x - x_D*||^2 + (4 gamma^2/p) D``. (b) ``b < N``:
    ``E Psi_T <= (1 - rho)^T Psi_0 + 4 c_b (3 gamma^2 + 2 gamma/mu) sigma*^2 / rho``,
    ``rho = min(gamma mu/2, p/2)``, ``Psi = ||x - x_D*||^2 + (6 gamma^2/p) D
    + (2(3 gamma^2 + 2 gamma/mu)/p) ||h - grad f_D(w)||^2``.
Conditions
    finite uniform law ``S_1..S_N``; ``f`` convex, ``L_f``-smooth; ``f_D`` ``mu``-strongly convex;
    (b): ``8 c_b L / mu < 1``, ``c_b = (N - b)/(b (N - 1))``.
Step-size limit
    (a) ``gamma <= 1/(6L)``; (b) ``gamma <= (1 - 8 c_b L/mu)/((9 + 12 c_b) L)``;
    ``L = L_f max_k L_{S_k}``.
Bound
    (a) contraction only (branches ``gamma mu`` and ``p/2`` of the min); (b) transient and
    neighbourhood (vanishing as ``b -> N``).
Reference
    THEORY.md §5, Theorem 4 (derived there; Kovalev, Horvath & Richtarik 2020 for L-SVRG).
Checks and controls
    exact L-SVRDSG moments (``mastref.expected_svrdsg``); worst cases of each branch of (a); a
    near-identity law for (b); the §7 variance-reduction prediction; five negative controls.
Ceiling of (b)
    Once the transient has decayed, ``E Psi`` stays near 0.3 of the neighbourhood
    ``F = 4 c_b (3 gamma^2 + 2 gamma/mu) sigma*^2 / rho``, and a cruder bound on the terms below
    keeps it under about 0.35 (a heuristic estimate, not a proof). The three parts of ``Psi``,
    each against ``F``:

    * the reference error ``c_h E||h - grad f_D(w)||^2`` is ``(rho/(2p)) (1 + phi)``, with
      ``rho/(2p) <= 1/4`` and a feedback ``phi < 1/8``. The halving at a refresh
      (``||a + b||^2 <= 2||a||^2 + 2||b||^2``) and ``rho <= p/2`` are the proof's own;
    * ``||x - x*||^2`` is at most about ``1/32``, at ``p = gamma mu``;
    * ``c_D D`` is at most about ``3 gamma L / 8 < 1/24``.

    The best instance, ``NEAR_IDENTITY_THETA``, measures 0.294 (parts 0.250, 0.029 and 0.015,
    from the exact moments); the search found 0.288. Above that only the transient helps. On
    that family the measured late tightness is 0.51 at ``rho T = 0.5``, where the bound has
    fallen only to 0.62 of its start, and 0.34 at ``rho T = 1`` (0.37 of its start). A tightness
    of 0.5 is thus found only where the bound has hardly decayed, and does not test the rate.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ..algorithms import Trace, uniform_atoms
from .claims import (
    Guarantee,
    InvalidGuarantee,
    check_constants,
    finish,
    gamma_condition,
    geometric,
    geometric_parts,
    mast_constants,
    quietly,
    require_mast,
    start,
    step,
)


def atom_grads(mast, x: np.ndarray) -> np.ndarray:
    """``grad f_{S_k}(x)`` for every atom ``S_k`` of the law's support, ``(N, d)``."""
    samples, _ = mast.sketch.support()
    return np.array([mast.sketched_grad(x, s) for s in samples])


def theorem4(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    p: float | None = None,
    b: int | None = None,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 4 (THEORY.md §5), L-SVRDSG on a finite uniform law ``S_1..S_N``.

    ``p``: refresh probability (default ``1/N``); ``b``: reference batch (default ``N``, part
    (a)); ``b < N`` gives part (b). The start is ``w_0 = x_0``, ``h_0 = grad f_D(x_0)``.
    ``values["c_D"]`` and ``values["c_h"]`` are the Lyapunov weights of ``D`` and of the ``h``
    error (``svrdsg_lyapunov``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Partition(blocks=[[0], [1]]), shift=np.ones(2))
    >>> g = mr.theorem4(mast, x0=np.zeros(2))
    >>> g.gamma, g.name, g.floor
    (0.020833333333333332, 'Theorem 4a', 0.0)
    """
    constants = check_constants(constants)
    require_mast(mast)
    N = uniform_atoms(mast.sketch)
    _, weights = mast.sketch.support()
    x0 = start(mast, x0)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    b = N if b is None else check_int("b", b, 1, N)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    L, mu = c["L_max"], c["mu"]
    c_b = 0.0 if N == 1 else (N - b) / (b * (N - 1))
    x_star = mast.argmin()
    g_star = atom_grads(mast, x_star)
    D0 = float(np.mean(np.sum((atom_grads(mast, x0) - g_star) ** 2, axis=1)))
    sigma2 = float(np.mean(np.sum(g_star**2, axis=1)))
    r0 = float(np.sum((x0 - x_star) ** 2))
    conditions = {
        "uniform law": bool(np.ptp(weights) <= 1e-15),
        "f convex": bool(mast.problem.is_convex),
        "f_D strongly convex": mu > 0,
        "0 < p <= 1": p <= 1,
    }
    details = {"f_D strongly convex": f"mu = {mu:.6g}", "0 < p <= 1": f"p = {p}"}
    values = {
        **c,
        "L": L,
        "N": float(N),
        "b": float(b),
        "p": p,
        "c_b": c_b,
        "D_0": D0,
        "sigma_star2": sigma2,
        "dist2_0": r0,
    }
    common = {
        "quantity": "lyapunov",
        "algorithm": "l_svrdsg",
        "options": {"p": p, "b": b},
        "constants": constants,
        "conditions": conditions,
        "details": details,
        "notes": notes,
        "x0": x0,
        "n_steps": n_steps,
    }
    if b == N:
        gamma_max = 1.0 / (6.0 * L)
        gamma = step(gamma, gamma_max)
        gamma_condition(conditions, details, gamma, gamma_max)
        rate = 1.0 - min(gamma * mu, p / 2.0)
        c_D, c_h = 4 * gamma**2 / p, 0.0
        phi0 = r0 + c_D * D0
        values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": phi0})
        g = Guarantee(
            name="Theorem 4a",
            reference="THEORY.md §5, Theorem 4 (a)",
            gamma=gamma,
            gamma_max=gamma_max,
            bound=geometric(rate, phi0, 0.0),
            parts=geometric_parts(rate, phi0, 0.0),
            floor=0.0,
            rate=rate,
            values=values,
            **common,
        )
        return finish(g, strict)
    ratio = 8.0 * c_b * L / mu if mu > 0 else math.inf
    conditions["8 c_b L / mu < 1"] = ratio < 1
    details["8 c_b L / mu < 1"] = f"8 c_b L / mu = {ratio:.6g} (c_b = {c_b:.6g}; increase b)"
    gamma_max = (1.0 - ratio) / ((9.0 + 12.0 * c_b) * L) if ratio < 1 else 0.0
    gamma = step(gamma, gamma_max if gamma_max > 0 else 1.0 / L)
    gamma_condition(conditions, details, gamma, gamma_max)
    rho = min(gamma * mu / 2.0, p / 2.0)
    c_D = 6 * gamma**2 / p
    c_h = 2 * (3 * gamma**2 + 2 * gamma / mu) / p if mu > 0 else math.inf
    psi0 = r0 + c_D * D0
    floor = 4 * c_b * (3 * gamma**2 + 2 * gamma / mu) * sigma2 / rho if mu > 0 else math.inf
    values.update({"c_D": c_D, "c_h": c_h, "lyapunov_0": psi0, "rho": rho})
    g = Guarantee(
        name="Theorem 4b",
        reference="THEORY.md §5, Theorem 4 (b)",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(1.0 - rho, psi0, floor),
        parts=geometric_parts(1.0 - rho, psi0, floor),
        floor=floor,
        rate=1.0 - rho,
        values=values,
        **common,
    )
    return finish(g, strict)


def svrdsg_lyapunov(guarantee: Guarantee, mast, trace: Trace) -> np.ndarray:
    """Measured Lyapunov function of Theorem 4 at each recorded step, per run: (n_records, R).

    ``||x - x*||^2 + c_D D(w) + c_h ||h - grad f_D(w)||^2`` from the trace's iterates and its
    recorded ``w`` and ``h`` (``l_svrdsg`` records both).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(2, 2, rng=0))
    >>> g = mr.theorem4(mast, x0=np.zeros(2))
    >>> trace = mr.l_svrdsg(mast, np.zeros(2), g.gamma, 5, n_runs=2, rng=0)
    >>> phi = mr.svrdsg_lyapunov(g, mast, trace)
    >>> phi.shape, bool(np.allclose(phi[0], g.bound(0)))  # Phi_0 is deterministic
    ((6, 2), True)
    """
    if guarantee.quantity != "lyapunov":
        raise ValueError(f"{guarantee.name} does not bound a Lyapunov function")
    x_star = mast.argmin()
    g_star = atom_grads(mast, x_star)
    c_D, c_h = guarantee.values["c_D"], guarantee.values["c_h"]
    n_rec, R, _ = trace.iterates.shape
    out = np.empty((n_rec, R))
    for k in range(n_rec):
        for r in range(R):
            w, h = trace.aux["w"][k, r], trace.aux["h"][k, r]
            D = float(np.mean(np.sum((atom_grads(mast, w) - g_star) ** 2, axis=1)))
            e = float(np.sum((h - mast.grad(w)) ** 2)) if c_h else 0.0
            out[k, r] = float(np.sum((trace.iterates[k, r] - x_star) ** 2)) + c_D * D + c_h * e
    return out


# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def _family(d: int = 3, step=(1, 1), laws=("randk", "partition"), **kw):
    from ..verify.instances import QuadraticFamily

    return QuadraticFamily(d=d, laws=laws, step=step, svrdsg=True, **kw)


def _P_FAMILY():
    """Part (a) with ``p/2 < gamma mu = 1/(6 kappa c)``: needs ``N > 3 kappa c`` atoms, so
    Bernoulli(1/2) masks (``N = 2^d``, ``c = 2``) and ``kappa <= 2``."""
    return _family(4, laws=("bernoulli-half",), kappa=2.0)


def _B_FAMILY():
    """Part (b) with ``p = gamma mu`` reachable: near-identity laws on ``d = 4`` (``N = 16``
    atoms, so ``p >= 1/16``) and ``kappa <= 2`` (so ``gamma mu >= 1/16`` with ``b = 15``)."""
    return _family(4, laws=("near-identity",), kappa=2.0)


def near_identity_instance():
    """Theorem 4 (b) needs ``8 c_b L/mu < 1``: a near-identity law (12 atoms ``1 +- 0.1``), a
    well-conditioned quadratic (``mu_f = 2``) and ``b = 11`` of ``N = 12`` satisfy it."""
    from ..sketches import FiniteSketch
    from ..verify.instances import Instance, random_quadratic

    q = random_quadratic(5, d=3, mu=2.0)
    atoms = np.array([[1.1, 1.1, 0.9], [0.9, 0.9, 1.1], [1.1, 0.9, 1.1], [0.9, 1.1, 0.9]] * 3)
    return Instance(
        A=(q.A,),
        b=(q.b,),
        law=FiniteSketch(atoms),
        v=np.random.default_rng(5).standard_normal(3),
        x0=np.zeros(3),
        step_fraction=1.0,
        claim_kwargs={"b": 11},
    )


#: Worst cases found by ``worst_case(theorem4, ..., n_steps=100, window="late")`` for part (a):
#: with the ``gamma mu`` branch of ``min(gamma mu, p/2)`` active (``_family(3)``), and with
#: ``p/2`` (``_P_FAMILY()``).
GAMMA_MU_THETA: tuple = (
    1.9821502987756634,
    0.11512985262780434,
    0.47057839675775415,
    0.05987271587915363,
    -4.605170185988092,
    -0.8776214729930341,
    -1.448435050523571,
    0.02412198955945242,
    -2.960038199755676,
    -1.5595073552008192,
    -2.4265592813374086,
    1.3171601003681126,
    0.33466394403964667,
    -2.099315677069466,
    2.8720129740591345,
    2.0192979841563212,
    -2.8516653119101636,
    1.9770233875520629,
    0.33979820527151267,
    0.9338646297741363,
)
#: Part (b) at its best (``_B_FAMILY()``, ``n_steps=600``): ``f = ||x - x*||^2 / 2`` (spectrum
#: pinned at 1), atoms ``1 +- 0.3``, ``b = 15`` of ``N = 16``, ``p = gamma mu`` (where the two
#: branches of ``rho = min(gamma mu/2, p/2)`` meet), ``x_0 = (3, 3, 3, 3)``. Late tightness
#: 0.294, the stationary ``E Psi / neighbourhood``; the search (``worst_case`` over the family
#: with ``b = N - 1``, 2048 evaluations) found 0.288. Why 0.5 is out of reach once the
#: transient has decayed: see "Ceiling of (b)" in the module docstring.
NEAR_IDENTITY_THETA: tuple = (
    0.0,
    0.48275862068965514,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.34,
    -0.68,
    -0.26,
    0.67,
    -3.0,
    -0.37,
    -0.15,
    -2.31,
    3.0,
    3.0,
    3.0,
    3.0,
    0.005134789432965488,
    0.90625,
)
P_HALF_THETA: tuple = (
    0.29707922787397745,
    0.4846197182522885,
    0.3148911756797479,
    0.27797564305365086,
    0.6576351590173274,
    -0.24668790638585503,
    -0.2780958245338862,
    -0.6275140868332694,
    -1.0439855010987928,
    -1.2321708568564687,
    0.9126570362075751,
    1.0297316831595982,
    -1.015426406123692,
    0.32370367949665957,
    0.6853050932869407,
    -2.341234063920464,
    0.6419949129767579,
    -0.7617344140327216,
    2.2283052459804846,
    -1.3390339782794458,
    -1.5550949424505234,
    1.712413111070288,
    1.1585182920098305,
    1.1444787698686916,
    1.637196888375197,
    -2.823445521337012,
    0.009568727973338909,
    0.9537915447726846,
)


def _variance_reduction(quick: bool, data=None):
    """§7: L-SVRDSG removes the neighbourhood DSGD keeps at the same step (exact both)."""
    from ..exact import expected_dsgd, expected_svrdsg
    from ..mast import MAST
    from ..sketches import FiniteSketch, RandK
    from ..verify.check import check
    from ..verify.instances import random_quadratic

    mast = MAST(
        random_quadratic(12, d=6),
        FiniteSketch(*RandK(6, 3).support()),
        shift=np.random.default_rng(12).standard_normal(6),
    )
    x0 = np.zeros(6)
    g = theorem4(mast, x0=x0)
    T = 1500 if quick else 6000
    floor = expected_dsgd(mast, x0, g.gamma, T).dist2[-1]
    vr = expected_svrdsg(mast, x0, g.gamma, T).dist2[-1]
    r = check(
        g,
        mast,
        n_steps=T,
        method="exact",
        name="variance-reduction",
        instance="quadratic d=6, RandK(3) as N=20 atoms, random v",
        notes=(
            f"at T: E||x_T - x*||^2 = {vr:.3g} for L-SVRDSG, {floor:.3g} for DSGD at the same "
            "step (its neighbourhood)",
        ),
    )
    v = r.verdict if (r.verdict != "holds" or vr < 1e-3 * floor) else "inconclusive"
    return r.replace(verdict=v)


def _checks() -> tuple:
    from ..verify.check import instance_check
    from .claims import Check

    return (
        instance_check(
            "theorem4a-gamma-mu-branch",
            "Theorem 4a",
            theorem4,
            lambda: _family().build(GAMMA_MU_THETA),
            floor=0.85,
            n_steps=(100, 100),
            description="the search's worst case with gamma mu < p/2",
        ),
        instance_check(
            "theorem4a-p-branch",
            "Theorem 4a",
            theorem4,
            lambda: _P_FAMILY().build(P_HALF_THETA),
            floor=0.1,
            n_steps=(100, 100),
            description="the search's worst case with p/2 < gamma mu",
        ),
        instance_check(
            "theorem4b-near-identity",
            "Theorem 4b",
            theorem4,
            lambda: _B_FAMILY().build(NEAR_IDENTITY_THETA),
            floor=0.28,
            n_steps=(600, 600),
            description=(
                "near-identity law (N = 16), b = 15, p = gamma mu: the largest E Psi / "
                "neighbourhood found (the stationary ratio cannot reach 0.5)"
            ),
        ),
        Check(
            name="variance-reduction",
            theorem="Theorem 4a",
            run=_variance_reduction,
            kind="prediction",
            description="no neighbourhood: L-SVRDSG beats DSGD's floor by 1e3 at the same step",
        ),
    )


def _variant(
    name: str,
    *,
    limit_scale=1.0,
    use_max=False,
    cD_scale=1.0,
    condition=1.0,
    floor_scale=1.0,
    rho_scale=1.0,
):
    """Theorem 4 with a part changed (controls): the step limit, the min of the rate, the
    weight of D in the Lyapunov function, (b)'s condition ``8 c_b L/mu < condition``, (b)'s
    neighbourhood."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, p=None, b=None, **_):
        base = quietly(theorem4, mast, x0=x0, n_steps=n_steps, p=p, b=b)
        c = base.values
        L, mu, pp, cb = c["L"], c["mu"], c["p"], c["c_b"]
        N = int(c["N"])
        part_a = int(c["b"]) == N
        if part_a:
            gamma_max = limit_scale / (6.0 * L)
        else:
            ratio = 8 * cb * L / mu
            if not ratio < condition:
                raise InvalidGuarantee(f"{name}: 8 c_b L/mu = {ratio:.4g}")
            factor = max(1 - ratio, 0.0) if condition <= 1 else 1.0  # relaxed: no factor
            gamma_max = limit_scale * factor / ((9 + 12 * cb) * L)
        gam = gamma_max if gamma is None else gamma
        if not gam > 0:
            raise InvalidGuarantee(f"{name}: no admissible step")
        pick = max if use_max else min
        rho = rho_scale * (pick(gam * mu, pp / 2) if part_a else pick(gam * mu / 2, pp / 2))
        c_D = cD_scale * (4 if part_a else 6) * gam**2 / pp
        c_h = 0.0 if part_a else 2 * (3 * gam**2 + 2 * gam / mu) / pp
        start_value = c["dist2_0"] + c_D * c["D_0"]
        floor = (
            0.0
            if part_a
            else floor_scale * 4 * cb * (3 * gam**2 + 2 * gam / mu) * c["sigma_star2"] / rho
        )
        return Guarantee(
            name=name,
            quantity="lyapunov",
            algorithm="l_svrdsg",
            options={"p": pp, "b": int(c["b"])},
            gamma=gam,
            gamma_max=gamma_max,
            bound=geometric(1 - rho, start_value, floor),
            parts=geometric_parts(1 - rho, start_value, floor),
            floor=floor,
            rate=1 - rho,
            values={"c_D": c_D, "c_h": c_h},
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:
    from .claims import Control, control_maker

    near_identity = _family(3, laws=("near-identity",), kappa=3.0, step=(0.05, 1.0))

    control = control_maker(
        "Theorem 4", _variant, lambda: _family(2, step=(0.05, 1.0)), CONTROL_THETA, n_steps=50
    )

    return (
        control("theorem4-step-1/L", "step limit 1/L in place of 1/(6L)", limit_scale=6.0),
        control("theorem4-max-rate", "rate 1 - max(gamma mu, p/2) in place of min", use_max=True),
        control("theorem4-double-contraction", "rate 1 - 2 min(gamma mu, p/2)", rho_scale=2.0),
        control(
            "theorem4b-relaxed-condition",
            "(b) under 8 c_b L/mu < 4 (not < 1), step 1/((9 + 12 c_b) L)",
            family=_family(4, laws=("randk",), kappa=1.2, step=(1, 1)),
            condition=4.0,
        ),
        Control(
            name="theorem4b-no-neighbourhood",
            theorem="Theorem 4",
            claim=_variant("theorem4b-no-neighbourhood", floor_scale=0.0),
            change="(b) with its neighbourhood dropped",
            family=near_identity,
            instance=near_identity_instance,
            n_steps=1000,
        ),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = {
    # RandK(4, 1), b = 3 (8 c_b L/mu = 3.998), p = 0.32: E Psi_1 exceeds the relaxed bound at t = 1
    # (ratio 1.00059, also in extended precision).
    "theorem4b-relaxed-condition": (
        0.05478664134832656,
        0.19336357304165064,
        0.37860847970556777,
        0.8964953808139375,
        0.309662137089039,
        -0.11727786519965812,
        -0.01019670518375615,
        -0.01374698365487205,
        0.010423551057007556,
        2.9039321537588423,
        -1.8939775063001154,
        -1.121240123351425,
        -2.956977836918583,
        1.9503044640344314,
        -1.0904780911023195,
        -1.226351435259679,
        -2.5760037073291766,
        1.141440323479954,
        2.6918422919596665,
        -2.576248598272245,
        0.4782565809087116,
        -1.9154262422418418,
        -1.1611067961406798,
        -2.4758251546436516,
        -0.183019106398306,
        -0.243755489900926,
        0.08802169869830101,
        0.738217305781213,
    ),
    "theorem4-double-contraction": (
        0.46960963285330704,
        0.7236543893814087,
        0.1367494147270918,
        -0.0892655787567902,
        0.32092326488499534,
        -2.2522329669445753,
        -2.7338159177452326,
        2.5562010761350393,
        -0.16023974865674973,
        -2.2778433691710234,
        2.063868809491396,
        0.9420279565267264,
        0.10195641871541739,
        0.9094234751537442,
    ),
    "theorem4-max-rate": (
        1.1089150023008532,
        0.42129570343795475,
        0.2779102546923826,
        -4.521108084758254,
        1.8805932045179579,
        2.56817052090549,
        -2.8612074912759553,
        2.7894958621315524,
        -1.410153441131115,
        -2.4613504111803417,
        -1.5306043127917888,
        0.0701308041605645,
        0.9322795848766201,
        0.8877056684114194,
    ),
    "theorem4-step-1/L": (
        1.1654958439751333,
        0.324431786313653,
        0.038870778586265475,
        -0.15013879588232593,
        -0.04881582298463251,
        -0.7183138299927205,
        -2.9244957491755486,
        -2.7501084823161364,
        -1.3100867637375626,
        -2.9367663471937204,
        -1.373409160509904,
        0.9690992632998543,
        0.4644157796043789,
        0.5339900799446711,
    ),
    "theorem4b-no-neighbourhood": (
        0.7390194192589111,
        0.2635218139554926,
        0.5624487810266238,
        0.11227923192870115,
        -0.01094516512975574,
        -0.13345407209705773,
        -1.0701533515520432,
        -0.31077589233447545,
        1.0262578070858623,
        -1.1243506511202421,
        -1.4958192537613515,
        -2.8827362314854756,
        2.841160473741926,
        2.740967972204089,
        -0.5308320857584476,
        0.621965120676554,
        0.32698699307362467,
        0.19028362445533276,
        0.938445069777758,
        0.06773236266290728,
        0.7688760024173993,
    ),
}


def entry():
    """Theorem 4 in the registry."""
    from .claims import TheoremEntry

    return TheoremEntry(
        name="theorem4",
        statement=theorem4,
        reference="THEORY.md §5, Theorem 4",
        min_tightness=0.5,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem4, _family(3), 100, "late"),
    )
