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
    ``mu/(L B mu + L A)``, the maximiser of ``rho``). ``Delta``: the value or an upper bound
    (default ``mast.gap_bound``; see ``theorem1``).
Bound
    parts: transient and neighbourhood ``L C gamma/2`` (``L C gamma^2/(2 rho)``). tau-nice ABC
    constants: ``A = L_S_max (A_tau + B_tau L_f)``, ``B = 0``,
    ``C = 2 A Delta + 2 L_S_max A_tau Delta^data`` (``tau_nice_abc``). Branches (the terms of
    the sums, ``Guarantee.branches``, with the tau-nice constants): ``"A: L_S A_tau"``,
    ``"A: L_S B_tau L_f"``, ``"C: 2 A Delta"``, ``"C: 2 L_S A_tau Delta_data"``, each True
    where that term is at least 0.9 of its sum.
Reference
    THEORY.md §5, Theorem 3 (the paper's general-oracle theorem).
Checks and controls
    ``mastref.catalogue.theorem3`` (the instances, the checks and the negative controls).
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_real
from ..problems.base import FiniteSum
from .claims import (
    Guarantee,
    check_constants,
    delta0,
    finish,
    gamma_condition,
    gamma_or_default,
    gap,
    geometric,
    geometric_parts,
    mast_constants,
    start,
    sublinear,
    sublinear_parts,
    term_branches,
)


def tau_nice_abc(mast, batch_size: int, Delta: float | None = None) -> dict[str, float]:
    """ABC constants of the tau-nice sketched oracle (THEORY.md §5, Theorem 3).

    ``c_tau = (n - tau)/(tau (n - 1))``, ``A_tau = c_tau max_i L_i``,
    ``B_tau = n (tau - 1)/(tau (n - 1))``, ``Delta_data = f^inf - (1/n) sum_i f_i^inf`` (an
    upper bound: plus ``Delta_data_roundoff`` = 8 ulp of the infima, so that round-off never
    makes ``C`` negative),
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
    # an upper bound: the difference plus 8 ulp of its terms (never below 0, its true range),
    # so that round-off cannot make C negative (identical samples: Delta_data = 0 exactly)
    inf_i = np.asarray(p.inf_i, dtype=float)
    scale = max(1.0, abs(p.inf), float(np.max(np.abs(inf_i))))
    roundoff = 8.0 * np.finfo(float).eps * scale
    delta_data = max(p.inf - float(np.mean(inf_i)) + roundoff, 0.0)
    notes: list[str] = []
    Delta = gap(mast, notes, Delta)
    L_S_max = mast.sketch.L_S_max
    A = L_S_max * (A_tau + B_tau * p.L)
    C = 2 * A * Delta + 2 * L_S_max * A_tau * delta_data
    values = {
        "c_tau": c_tau,
        "A_tau": A_tau,
        "B_tau": B_tau,
        "Delta_data": delta_data,
        "Delta_data_roundoff": roundoff,
        "Delta": Delta,
        "A": A,
        "B": 0.0,
        "C": C,
    }
    return {k: float(v) for k, v in values.items()}


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
    Delta: float | None = None,
) -> Guarantee:
    """Theorem 3 (THEORY.md §5), Algorithm 1-II with an ABC oracle.

    Constants: ``abc`` if given, else the tau-nice ones (``batch_size``, see ``tau_nice_abc``),
    else the exact oracle's ``A = L_max, B = 0, C = 2 L_max Delta`` (P8). Nonconvex form
    (``n_steps`` required; default step ``1/sqrt(L A T)``):
    ``min_{t<T} E||grad f_D||^2 <= [(1 + L A gamma^2)^T delta_0/(gamma T) + L C gamma/2]
    / (1 - L B gamma/2)`` for ``0 < gamma < 2/(L B)``. ``strongly_convex=True``:
    ``E f_D(x_T) - f_D^inf <= (1 - rho)^T delta_0 + L C gamma^2/(2 rho)`` with
    ``rho = gamma mu (2 - L B gamma) - L A gamma^2`` in ``(0, 1]`` (default step
    ``mu/(L B mu + L A)``, the maximiser of ``rho``). ``Delta``: the value or an upper bound
    (default ``mast.gap_bound``; see ``theorem1``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2))
    >>> g = mr.theorem3(mast, x0=np.zeros(2), strongly_convex=True)
    >>> g.gamma, g.values["rho"], g.quantity
    (0.0625, 0.125, 'value_gap')
    """
    constants = check_constants(constants)
    x0 = start(mast, x0)
    notes: list[str] = []
    c = mast_constants(mast, constants, notes, Delta)
    values = dict(c)
    options: dict = {"oracle": "exact"}
    branches: dict[str, bool] = {}
    if abc is not None:
        if isinstance(abc, (str, bytes)) or np.ndim(abc) != 1 or len(abc) != 3:
            raise ValueError(f"argument 'abc' = {abc!r} must be a triple (A, B, C) of numbers")
        A, B, C = (
            check_real(f"abc[{n}]", v, nonnegative=True) for n, v in zip("ABC", abc, strict=True)
        )
        options = {"oracle": "custom"}
    elif batch_size is not None:
        tn = tau_nice_abc(mast, batch_size, Delta=Delta)
        if constants == "exact":
            notes.append("tau-nice ABC constants use the paper constants L_f, L_S_max")
        A, B, C = tn["A"], tn["B"], tn["C"]
        LS = mast.sketch.L_S_max
        branches = {
            **term_branches(
                "A",
                {"L_S A_tau": LS * tn["A_tau"], "L_S B_tau L_f": LS * tn["B_tau"] * mast.problem.L},
            ),
            **term_branches(
                "C",
                {
                    "2 A Delta": 2 * A * tn["Delta"],
                    # the branch is the computed difference, not its round-off allowance
                    "2 L_S A_tau Delta_data": 2
                    * LS
                    * tn["A_tau"]
                    * max(tn["Delta_data"] - tn["Delta_data_roundoff"], 0.0),
                },
            ),
        }
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
        "branches": branches,
    }
    if not strongly_convex:
        if n_steps is None:
            raise TypeError("theorem3 needs n_steps (the horizon T sets the default step)")
        T = check_int("n_steps", n_steps, 1)
        gamma_max = 2.0 / (L * B) if B > 0 else math.inf
        default = 1.0 / math.sqrt(L * A * T) if finite and A > 0 else 1.0 / L
        gamma = gamma_or_default(gamma, min(default, 0.5 * gamma_max))
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
    gamma = gamma_or_default(gamma, mu / curvature if curvature > 0 else 1.0 / L)
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
