"""Theorem 3: Algorithm 1-II with an ABC oracle (general stochastic gradients).

Statement
    ``min_{t<T} E||grad f_D(x_t)||^2 <= [(1 + L A gamma^2)^T delta_0/(gamma T) + L C gamma/2]
    / (1 - L B gamma/2)``; strongly convex: ``E f_D(x_T) - f_D^inf <= (1 - rho)^T delta_0
    + L C gamma^2 / (2 rho)``, ``rho = gamma mu (2 - L B gamma) - L A gamma^2``.
Conditions
    ``E[g_t | x_t] = grad f_D(x_t)`` and ``E||g_t||^2 <= 2A(f_D - f_D^inf) + B||grad f_D||^2 + C``;
    strongly convex form: ``rho`` in ``(0, 1]``.
Step-size limit
    ``0 < gamma < 2/(L B)``; strongly convex: ``gamma < 2 mu/(L B mu + L A)`` (default
    ``mu/(L B mu + L A)``, the maximiser of ``rho``).
Bound
    parts: transient and neighbourhood ``L C gamma/2`` (``L C gamma^2/(2 rho)``). tau-nice ABC
    constants: ``A = L_S_max (A_tau + B_tau L_f)``, ``B = 0``,
    ``C = 2 A Delta + 2 L_S_max A_tau Delta^data`` (``tau_nice_abc``).
Reference
    THEORY.md §5, Theorem 3 (the paper's general-oracle theorem).
Checks and controls
    strongly convex form attained with equality (isotropic RandK, ``v = x*``); the
    neighbourhood within ``1 - O(eps)`` under ``S = (1 +- eps) I``
    (``mastref.verify.instances.near_scalar``: there ``rho -> 1`` at the default step and the
    stationary gap ``(mu/2) E||x - x_D*||^2`` meets ``L C gamma^2 / (2 rho)``); tau-nice
    logistic applications; five negative controls.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ..problems.base import FiniteSum
from .claims import (
    Guarantee,
    InvalidGuarantee,
    check_constants,
    delta0,
    finish,
    gamma_condition,
    gap,
    geometric,
    geometric_parts,
    mast_constants,
    quietly,
    start,
    step,
    sublinear,
    sublinear_parts,
)


def tau_nice_abc(mast, batch_size: int) -> dict[str, float]:
    """ABC constants of the tau-nice sketched oracle (THEORY.md §5, Theorem 3).

    ``c_tau = (n - tau)/(tau (n - 1))``, ``A_tau = c_tau max_i L_i``,
    ``B_tau = n (tau - 1)/(tau (n - 1))``, ``Delta_data = f^inf - (1/n) sum_i f_i^inf``,
    ``A = L_S_max (A_tau + B_tau L_f)``, ``B = 0``, ``C = 2 A Delta + 2 L_S_max A_tau Delta_data``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.LeastSquares(np.eye(4), np.ones(4), lam=0.0)  # n = 4, L_i = 1, L_f = 1/4
    >>> abc = mr.tau_nice_abc(mr.MAST(f, mr.Identity(4)), 2)
    >>> abc["c_tau"], abc["B_tau"], abc["A"]
    (0.3333333333333333, 0.6666666666666666, 0.5)
    """
    p = mast.problem
    if not isinstance(p, FiniteSum):
        raise TypeError(
            f"tau-nice ABC constants need a finite-sum problem (mastref.FiniteSum); got {p!r}"
        )
    n = p.n_samples
    tau = check_int("batch_size", batch_size, 1, n)
    c_tau = 0.0 if n == 1 else (n - tau) / (tau * (n - 1))
    B_tau = 1.0 if n == 1 else n * (tau - 1) / (tau * (n - 1))
    A_tau = c_tau * float(np.max(p.L_i))
    delta_data = p.inf - float(np.mean(p.inf_i))
    notes: list[str] = []
    Delta = gap(mast, notes)
    L_S_max = mast.sketch.L_S_max
    A = L_S_max * (A_tau + B_tau * p.L)
    C = 2 * A * Delta + 2 * L_S_max * A_tau * delta_data
    return {
        "c_tau": c_tau,
        "A_tau": A_tau,
        "B_tau": B_tau,
        "Delta_data": delta_data,
        "Delta": Delta,
        "A": A,
        "B": 0.0,
        "C": C,
    }


def theorem3(
    mast,
    *,
    gamma: float | None = None,
    x0=None,
    n_steps: int | None = None,
    batch_size: int | None = None,
    abc: tuple[float, float, float] | None = None,
    strongly_convex: bool = False,
    constants: str = "paper",
    strict: bool = True,
) -> Guarantee:
    """Theorem 3 (THEORY.md §5), Algorithm 1-II with an ABC oracle.

    Constants: ``abc`` if given, else the tau-nice ones (``batch_size``, see ``tau_nice_abc``),
    else the exact oracle's ``A = L_max, B = 0, C = 2 L_max Delta`` (P8). Nonconvex form
    (``n_steps`` required; default step ``1/sqrt(L A T)``):
    ``min_{t<T} E||grad f_D||^2 <= [(1 + L A gamma^2)^T delta_0/(gamma T) + L C gamma/2]
    / (1 - L B gamma/2)`` for ``0 < gamma < 2/(L B)``. ``strongly_convex=True``:
    ``E f_D(x_T) - f_D^inf <= (1 - rho)^T delta_0 + L C gamma^2/(2 rho)`` with
    ``rho = gamma mu (2 - L B gamma) - L A gamma^2`` in ``(0, 1]`` (default step
    ``mu/(L B mu + L A)``, the maximiser of ``rho``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(0.5, 2), shift=np.ones(2))
    >>> g = mr.theorem3(mast, x0=np.zeros(2), strongly_convex=True)
    >>> g.gamma, g.values["rho"], g.quantity
    (0.0625, 0.125, 'value_gap')
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes)
    values = dict(c)
    options: dict = {"oracle": "exact"}
    if abc is not None:
        A, B, C = (check_real(n, v, nonnegative=True) for n, v in zip("ABC", abc, strict=True))
        options = {"oracle": "custom"}
    elif batch_size is not None:
        tn = tau_nice_abc(mast, batch_size)
        if constants == "exact":
            notes.append("tau-nice ABC constants use the paper constants L_f, L_S_max")
        A, B, C = tn["A"], tn["B"], tn["C"]
        values.update({k: v for k, v in tn.items() if k not in ("A", "B", "C")})
        options = {"oracle": "minibatch", "batch_size": int(batch_size)}
    else:
        A, B, C = c["L_max"], 0.0, 2 * c["L_max"] * c["Delta"]
    values.update({"A": A, "B": B, "C": C})
    L, mu = c["L"], c["mu"]
    finite = math.isfinite(A) and math.isfinite(C)
    d0 = delta0(mast, x0, notes)
    values["delta_0"] = d0
    conditions = {"ABC constants finite": finite}
    details: dict[str, str] = {}
    common = {
        "algorithm": "dsgd",
        "options": options,
        "reference": "THEORY.md §5, Theorem 3",
        "constants": constants,
        "notes": notes,
        "x0": x0,
    }
    if not strongly_convex:
        if n_steps is None:
            raise TypeError("theorem3 needs n_steps (the horizon T sets the default step)")
        T = check_int("n_steps", n_steps, 1)
        gamma_max = 2.0 / (L * B) if B > 0 else math.inf
        default = 1.0 / math.sqrt(L * A * T) if finite and A > 0 else 1.0 / L
        gamma = step(gamma, min(default, 0.5 * gamma_max))
        gamma_condition(conditions, details, gamma, gamma_max, strict_lt=True)
        denom = 1.0 - L * B * gamma / 2.0
        floor = L * C * gamma / 2.0 / denom if finite and denom > 0 else math.inf
        a = 1.0 + L * A * gamma**2
        g = Guarantee(
            name="Theorem 3",
            quantity="grad_norm2_min",
            gamma=gamma,
            gamma_max=gamma_max,
            bound=sublinear(a, d0 / denom if denom > 0 else math.inf, gamma, floor),
            parts=sublinear_parts(a, d0 / denom if denom > 0 else math.inf, gamma, floor),
            floor=floor,
            conditions=conditions,
            details=details,
            values=values,
            n_steps=T,
            **common,
        )
        return finish(g, strict)
    conditions["f_D strongly convex"] = mu > 0
    details["f_D strongly convex"] = f"mu = {mu:.6g}"
    curvature = L * B * mu + L * A
    gamma_max = 2.0 * mu / curvature if curvature > 0 else math.inf
    gamma = step(gamma, mu / curvature if curvature > 0 else 1.0 / L)
    rho = gamma * mu * (2.0 - L * B * gamma) - L * A * gamma**2
    conditions["0 < rho <= 1"] = bool(0 < rho <= 1)
    details["0 < rho <= 1"] = (
        f"rho = {rho:.6g} at gamma = {gamma:.6g} (gamma_max = {gamma_max:.6g})"
    )
    values["rho"] = rho
    floor = L * C * gamma**2 / (2 * rho) if rho > 0 else math.inf
    g = Guarantee(
        name="Theorem 3 (strongly convex)",
        quantity="value_gap",
        gamma=gamma,
        gamma_max=gamma_max,
        bound=geometric(1.0 - rho, d0, floor),
        parts=geometric_parts(1.0 - rho, d0, floor),
        floor=floor,
        rate=1.0 - rho,
        conditions=conditions,
        details=details,
        values=values,
        n_steps=n_steps,
        **common,
    )
    return finish(g, strict)


# ------------------------------------------------------------------------------------------------
# Instances, checks and negative controls
# ------------------------------------------------------------------------------------------------


def theorem3_sc(mast, **kw) -> Guarantee:
    """Theorem 3, strongly convex form (``theorem3(..., strongly_convex=True)``)."""
    return theorem3(mast, strongly_convex=True, **kw)


def _family(d: int = 3, step=(1, 1), **kw):
    from ..verify.instances import QuadraticFamily

    return QuadraticFamily(d=d, laws=("randk", "bernoulli", "partition"), step=step, **kw)


def _application(strongly_convex: bool):
    """Logistic regression (n = 200, d = 6), Partition(3), tau = 8: Monte Carlo."""

    def run(quick: bool, data=None):
        from ..mast import MAST
        from ..sketches import Partition
        from ..verify.check import check
        from ..verify.instances import random_logistic

        lr = random_logistic(3)
        mast = MAST(lr, Partition(6, 3, rng=0), shift=0.5 * lr.argmin())
        x0 = np.zeros(6)
        R = 200 if quick else 1000
        instance = "logistic n=200 d=6, Partition(3), tau=8"
        if strongly_convex:
            T = 500 if quick else 3000
            g = theorem3(mast, x0=x0, batch_size=8, strongly_convex=True)
            return check(
                g,
                mast,
                n_steps=T,
                method="monte_carlo",
                n_runs=R,
                rng=3,
                name="theorem3-sc-logistic-tau8",
                instance=instance,
                record={"geometric": 25},
            )
        T = 200 if quick else 1000
        g = theorem3(mast, x0=x0, n_steps=T, batch_size=8)
        return check(
            g,
            mast,
            n_steps=T,
            method="monte_carlo",
            n_runs=R,
            rng=4,
            name="theorem3-nonconvex-logistic-tau8",
            instance=instance,
            record={"record_every": 1},
        )

    return run


def _checks() -> tuple:
    from ..verify.check import instance_check
    from ..verify.instances import near_scalar
    from .claims import Check
    from .theorem1 import attained_instance

    return (
        instance_check(
            "theorem3-sc-attained",
            "Theorem 3 (strongly convex)",
            theorem3_sc,
            attained_instance,
            part="transient",
            floor=0.99,
            n_steps=(100, 100),
            description="isotropic quadratic, RandK(4, 1), v = x*: rho = 1/c, equality",
        ),
        instance_check(
            "theorem3-sc-neighbourhood",
            "Theorem 3 (strongly convex)",
            theorem3_sc,
            near_scalar,
            part="neighbourhood",
            floor=0.95,
            n_steps=(300, 300),
            description="S = (1 +- 0.01) I: L C gamma^2/(2 rho) attained up to 1 - O(eps)",
        ),
        Check(
            name="theorem3-sc-logistic-tau8",
            theorem="Theorem 3 (strongly convex)",
            run=_application(True),
            kind="application",
            description="tau-nice ABC constants on logistic data, Monte Carlo",
        ),
        Check(
            name="theorem3-nonconvex-logistic-tau8",
            theorem="Theorem 3",
            run=_application(False),
            kind="application",
            description="tau-nice ABC constants on logistic data, Monte Carlo",
        ),
    )


def _variant(
    name: str, *, rate_power=1.0, rho_scale=1.0, floor_scale=1.0, A_scale=1.0, quad_term=1.0
):
    """Theorem 3 (strongly convex, exact oracle) with a part changed (controls)."""

    def claim(mast, *, gamma=None, x0=None, n_steps=None, **_):
        base = quietly(theorem3, mast, x0=x0, n_steps=n_steps, strongly_convex=True)
        c = base.values
        L, mu, A, C = c["L"], c["mu"], A_scale * c["A"], c["C"]
        gam = mu / (L * A) if gamma is None else gamma
        rho = rho_scale * (2 * gam * mu - quad_term * L * A * gam**2)
        if not 0 < rho <= 1:
            raise InvalidGuarantee(f"{name}: rho = {rho:.4g} outside (0, 1]")
        rate = (1.0 - rho) ** rate_power
        floor = floor_scale * L * C * gam**2 / (2 * rho)
        return Guarantee(
            name=name,
            quantity="value_gap",
            gamma=gam,
            gamma_max=2 * mu / (L * A),
            bound=geometric(rate, c["delta_0"], floor),
            parts=geometric_parts(rate, c["delta_0"], floor),
            floor=floor,
            rate=rate,
            x0=base.x0,
            n_steps=n_steps,
        )

    claim.__name__ = name
    return claim


def _controls() -> tuple:
    from .claims import control_maker

    control = control_maker(
        "Theorem 3 (strongly convex)",
        _variant,
        lambda: _family(2, step=(0.05, 1.0)),
        CONTROL_THETA,
        n_steps=50,
    )

    return (
        control("theorem3-squared-contraction", "rate (1 - rho)^2", rate_power=2.0),
        control("theorem3-double-rho", "rho doubled", rho_scale=2.0),
        control(
            "theorem3-no-neighbourhood",
            "neighbourhood L C gamma^2/(2 rho) dropped",
            floor_scale=0.0,
        ),
        control(
            "theorem3-no-curvature-term",
            "rho = 2 gamma mu (the - L A gamma^2 term dropped)",
            quad_term=0.0,
        ),
        control("theorem3-half-A", "ABC constant A halved", A_scale=0.5),
    )


#: Counterexamples found by ``worst_case`` for the controls (family parameter vectors).
CONTROL_THETA: dict = {
    "theorem3-double-rho": (
        0.940637058815563,
        0.5196926715306511,
        0.8650591648957557,
        -0.37457426937712923,
        -1.2540952430006276,
        -0.21777265957941927,
        2.818887407376696,
        -2.802469953822783,
        2.4200382520495944,
        0.05747026578578046,
        1.1437945303444366,
        0.311506935004642,
    ),
    "theorem3-half-A": (
        2.999999999,
        0.6286073808497845,
        0.009475165954655262,
        -0.04200786740680976,
        0.9356827842184594,
        -1.4233739833729033,
        -0.40813447562241034,
        2.7258609209123854,
        1.2028992046801634,
        2.60738941469691,
        2.246228107946844,
        0.994033313718646,
    ),
    "theorem3-no-curvature-term": (
        0.9220202239259723,
        0.8142257521577525,
        0.2046348503654139,
        -0.35424002119362796,
        1.1119582517697255,
        2.43022635358333,
        1.319070627414971,
        -1.7979667396496404,
        -1.7824596663496575,
        -2.6722980193227777,
        -1.2702537467322599,
        0.5004261356586298,
    ),
    "theorem3-no-neighbourhood": (
        1.9136419152480366,
        0.45971083490036724,
        0.4591728547045064,
        -0.30620414787308947,
        1.2142352134873056,
        1.633228053966877,
        -1.2781708560333804,
        -3.0,
        0.30687020516273533,
        -1.6919286946052043,
        -0.8730032594517527,
        0.639554466009804,
    ),
    "theorem3-squared-contraction": (
        0.4319883136501399,
        0.902687487192452,
        0.40160550083965063,
        -0.006328364762635541,
        1.6429976596645057,
        1.5110598877072334,
        -1.3806007934384978,
        2.5138752534985542,
        -1.3920597564429045,
        -2.89695980027318,
        0.6833483465015888,
        0.650513375722221,
    ),
}


def entry():
    """Theorem 3 in the registry."""
    from .claims import TheoremEntry

    return TheoremEntry(
        name="theorem3",
        statement=theorem3,
        reference="THEORY.md §5, Theorem 3",
        min_tightness=0.9,
        checks=_checks(),
        controls=_controls(),
        search=lambda: (theorem3_sc, _family(3), 100, "late"),
    )
