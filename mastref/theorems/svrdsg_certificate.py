"""Theorem 4 (a) and (b): Lyapunov certificates by semidefinite programming, and the ceilings
they prove (part (b), a reference batch ``b < N``: ``lyapunov_certificate(..., b=b)``).

Lemma A (docs/theory/theorem4_proof.rst) bounds the statement with a Lyapunov function of the
form ``r + c D``; where the branches of ``min(gamma mu, p/2)`` meet at the step limit its
ceiling is near 1, because ``Phi`` itself contracts there at almost ``1 - rho`` from some
states. A wider family does better. Here ``V`` is any quadratic form in the vectors

    x - x*,  w - x*,  a_k = grad f_k(x) - grad f_k(x*),  b_k = grad f_k(w) - grad f_k(x*)

plus a linear form in the Bregman values ``f_k(y) - f_k(x*) - <grad f_k(x*), y - x*>`` at
``y = x`` and ``y = w``. A semidefinite program (the S-procedure over valid inequalities, as in
performance estimation: Taylor, Van Scoy & Lessard 2018) searches for one with

    E V(x+, w+) <= (1 - rho') V(x, w),   Phi <= V <= C Phi   (every state, every instance)

over the whole class of Theorem 4 (a) with the given constants: ``N`` atoms ``f_k``, each
convex and ``L``-smooth, ``f_D = (1/N) sum f_k`` ``mu``-strongly convex and ``L_fD``-smooth,
``grad f_D(x*) = 0``, exact reference (``b = N``). Then ``E Phi_t <= C (1 - rho')^t Phi_0``,
so the statement's late tightness at a step ``t`` is at most ``C ((1 - rho')/(1 - rho))^t``.

The valid inequalities, for every ``f_k`` between any two of the points ``x*, x, w, x+_j``
(``x+_j = x - gamma g_j``, the step drawn with atom ``j``), are

    f(z) >= f(y) + <g_y, z - y> + ||g_z - g_y||^2 / (2L)        (convex, L-smooth)

and for ``f_D`` between any two of them

    (mu/2) ||z - y||^2 <= f(z) - f(y) - <g_y, z - y> <= (L_fD/2) ||z - y||^2,
    (L_fD - mu) <h, z - y> >= ||h||^2,   h = g_z - g_y - mu (z - y)

(the last: co-coercivity of the ``(L_fD - mu)``-smooth convex ``f_D - mu ||.||^2/2``). Every
inequality holds for every instance of the class, so any nonnegative multipliers that make the
three residual forms negative semidefinite prove the claim. ``verify_certificate`` re-checks that in
floating point; the solver's small residual in the function values is absorbed by ``0 <= F <=
(||y - x*||^2 + ||grad f_k(y) - grad f_k(x*)||^2)/2`` for a Bregman value ``F`` (convexity of
``f_k`` both ways).

Reference: THEORY.md §5, Theorem 4 (a); docs/theory/theorem4_proof.rst ("Certificates by
semidefinite programming").
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from .._budget import check_cost, progress_bar
from .._validation import check_int, check_real

#: Seconds of one certificate (two solves) per cubed Gram dimension ``n = 2 + 2N + N^2``:
#: measured 75 s at ``N = 8`` (``n = 82``) and 17 s at ``N = 6`` on a loaded 2-core machine.
SECONDS_PER_CUBED_DIMENSION = 1.4e-4
#: Bytes per inequality and Gram entry the solver's canonicalisation takes (1.2 GB measured at
#: ``N = 8``: 1155 inequalities of an 82 x 82 form).
BYTES_PER_ENTRY = 160.0


def certificate_cost(N: int, b: int | None = None) -> tuple[float, float]:
    """Estimated ``(seconds, bytes)`` of one ``lyapunov_certificate`` with ``N`` atoms (part
    (b), ``b < N``: a program without the ``N`` next points, three solves).

    Examples
    --------
    >>> from mastref.theorems.svrdsg_certificate import certificate_cost
    >>> seconds, nbytes = certificate_cost(8)
    >>> round(seconds), round(nbytes / 2**30, 1)
    (77, 1.2)
    """
    N = check_int("N", N, 1)
    b = None if b is None else check_int("b", b, 1, N)
    if b is not None and b < N:
        n, count = 3 * N + 2, 6 * N + 15
        return 1.5 * SECONDS_PER_CUBED_DIMENSION * n**3, BYTES_PER_ENTRY * count * n * n
    n = 2 + 2 * N + N * N
    points = N + 3
    count = N * points * (points - 1) + points * (points - 1) * 2 + points * (points - 1) // 2
    return SECONDS_PER_CUBED_DIMENSION * n**3, BYTES_PER_ENTRY * count * n * n


#: The margin the first solve asks of each residual form (in units where ``L = 1``).
MARGIN = 1e-7
#: The second solve fixes ``C`` at ``(1 + SLACK)`` times the least the first found and maximises
#: the margin, so that the certificate survives the solver's round-off when ``verify_certificate``
#: re-checks it.
SLACK = 0.01


@dataclass(frozen=True, kw_only=True)
class LyapunovCertificate:
    """A proof, for Theorem 4 (a) with the constants below, that ``E Phi_t <= C (1 - rho)^t
    Phi_0`` (``Phi = ||x - x*||^2 + (4 gamma^2/p) D``, the statement's), through ``V``.

    Everything is in the units where ``L = 1`` (``gamma_L = gamma L``, ``mu_L = mu/L``,
    ``L_fD_L = L_fD/L``; the claim is invariant under ``f -> f/L``, ``gamma -> gamma L``).

    Attributes
    ----------
    N, gamma_L, mu_L, L_fD_L, p : the class (``N`` atoms) and the method.
    rho : float
        ``E V+ <= (1 - rho) V``.
    C : float
        ``Phi <= V <= C Phi``.
    P, ell : numpy.ndarray
        ``V = s^T P s + ell . F``, ``s = (x - x*, w - x*, a_1..a_N, b_1..b_N)`` (``a_k``,
        ``b_k`` the gradient differences at ``x``, ``w``), ``F`` the Bregman values of the
        ``f_k`` at ``x`` and at ``w``.
    multipliers : tuple of numpy.ndarray
        The nonnegative multipliers of the valid inequalities in the three forms (contraction,
        ``Phi <= V``, ``V <= C Phi``).
    batch, mu_P_L, K : part (b) only (``None``, ``None``, ``0`` for (a)): the reference batch
        ``b < N``, the statement's ``mu / L`` in the weight of ``Psi``, and the floor constant:
        ``E V+ <= (1 - rho) V + K sigma*^2`` with ``Psi`` in place of ``Phi`` (see
        ``lyapunov_certificate``).
    """

    N: int
    gamma_L: float
    mu_L: float
    L_fD_L: float
    p: float
    rho: float
    C: float
    P: np.ndarray = field(repr=False)
    ell: np.ndarray = field(repr=False)
    multipliers: tuple = field(repr=False)
    batch: int | None = None
    mu_P_L: float | None = None
    K: float = 0.0

    def __repr__(self) -> str:
        part = "" if self.batch is None else f", b={self.batch}, K={self.K:.6g}"
        return (
            f"LyapunovCertificate(N={self.N}{part}, gamma_L={self.gamma_L:.6g}, "
            f"p={self.p:.6g}, rho={self.rho:.6g}, C={self.C:.6g})"
        )


def to_record(cert: LyapunovCertificate) -> dict:
    """``cert`` as a JSON-ready dict (floats written exactly by ``json``'s ``repr``).

    Examples
    --------
    >>> from mastref.theorems.svrdsg_certificate import lyapunov_certificate, to_record
    >>> from mastref.theorems.svrdsg_certificate import from_record, verify_certificate
    >>> cert = lyapunov_certificate(1, 1 / 6, 1.0, 1.0, 1.0, 0.5, 0.1)
    >>> verify_certificate(from_record(to_record(cert)))
    True
    """
    return {
        "N": cert.N,
        "gamma_L": cert.gamma_L,
        "mu_L": cert.mu_L,
        "L_fD_L": cert.L_fD_L,
        "p": cert.p,
        "rho": cert.rho,
        "C": cert.C,
        "P": cert.P.tolist(),
        "ell": cert.ell.tolist(),
        "multipliers": [m.tolist() for m in cert.multipliers],
        "batch": cert.batch,
        "mu_P_L": cert.mu_P_L,
        "K": cert.K,
    }


def from_record(record: dict) -> LyapunovCertificate:
    """The certificate ``to_record`` wrote (not yet verified: call ``verify_certificate``)."""
    return LyapunovCertificate(
        N=int(record["N"]),
        **{k: float(record[k]) for k in ("gamma_L", "mu_L", "L_fD_L", "p", "rho", "C")},
        P=np.array(record["P"], dtype=float),
        ell=np.array(record["ell"], dtype=float),
        multipliers=tuple(np.array(m, dtype=float) for m in record["multipliers"]),
        batch=None if record.get("batch") is None else int(record["batch"]),
        mu_P_L=None if record.get("mu_P_L") is None else float(record["mu_P_L"]),
        K=float(record.get("K", 0.0)),
    )


def _sym(a, b):
    return 0.5 * (np.outer(a, b) + np.outer(b, a))


def _inequalities(points, points_D, mu_L: float, L_fD_L: float, m: int):
    """The valid inequalities among ``points`` (per atom: ``(position, gradient, value)``
    triples of its Bregman form) and ``points_D`` (the same for ``f_D``), as stacked quadratic
    parts ``Q`` and linear parts ``F``: ``tr(Q G) + F . values >= 0`` on every instance."""
    out = []
    zm = np.zeros(m)
    for pts in points:
        for i, (y, gy, fy) in enumerate(pts):
            for k, (z, gz, fz) in enumerate(pts):
                if i != k:
                    out.append((-_sym(gy, z - y) - _sym(gz - gy, gz - gy) / 2, fz - fy))
    for i, (y, gy, fy) in enumerate(points_D):
        for k, (z, gz, fz) in enumerate(points_D):
            if i == k:
                continue
            out.append((-_sym(gy, z - y) - mu_L / 2 * _sym(z - y, z - y), fz - fy))
            out.append((_sym(gy, z - y) + L_fD_L / 2 * _sym(z - y, z - y), fy - fz))
            if i < k:
                h = gz - gy - mu_L * (z - y)
                out.append(((L_fD_L - mu_L) * _sym(h, z - y) - _sym(h, h), zm))
    Q = np.array([q for q, _ in out])
    return Q, np.array([f for _, f in out])


def _current_points(e0, e1, a, b, Fx, Fw) -> tuple[list, list]:
    """The points ``x*``, ``x``, ``w`` of each atom's Bregman form and of ``f_D``, as
    ``(position, gradient, value)`` coordinate triples (``x*``: all zero)."""
    zn, zm = np.zeros_like(e0), np.zeros_like(Fx[0])
    base = [[(zn, zn, zm), (e0, a[k], Fx[k]), (e1, b[k], Fw[k])] for k in range(len(a))]
    base_D = [
        (zn, zn, zm),
        (e0, np.mean(a, axis=0), np.mean(Fx, axis=0)),
        (e1, np.mean(b, axis=0), np.mean(Fw, axis=0)),
    ]
    return base, base_D


def _absorb(values) -> np.ndarray:
    """For each value coordinate ``(point, gradient)``: the form ``(||y - x*||^2 + ||g||^2)/2``
    that bounds its Bregman value, ``0 <= F <= <g, y - x*> <= (||g||^2 + ||y - x*||^2)/2``."""
    return np.array([(_sym(y, y) + _sym(g, g)) / 2 for y, g in values])


@cache
def _program(N: int, gamma_L: float, mu_L: float, L_fD_L: float, p: float):
    """The fixed data of the program: coordinates of every vector in a Gram basis, the valid
    inequalities (quadratic part, linear part in the function values), the state and its
    transitions, and ``Phi``. Each ``f_k`` enters through its Bregman form ``f_k(y) - f_k(x*) -
    <u_k, y - x*>`` (``u_k = grad f_k(x*)``): convex, ``L``-smooth, least at ``x*``, with the
    same inequalities as ``f_k`` and the same mean ``f_D - f_D(x*)`` (``mean u_k = 0``), while
    the step ``g = a_j - b_j + mean b`` does not see ``u``. Basis: ``x - x*``, ``w - x*``,
    ``a_k``, ``b_k``, ``c_{jk} = grad f_k(x+_j) - u_k``; values: the Bregman forms at ``x``,
    ``w``, ``x+_j``."""
    n = 2 + 2 * N + N * N
    m = 2 * N + N * N
    In, Im = np.eye(n), np.eye(m)
    e0, e1 = In[0], In[1]
    a = [In[2 + k] for k in range(N)]
    b = [In[2 + N + k] for k in range(N)]
    c = [[In[2 + 2 * N + j * N + k] for k in range(N)] for j in range(N)]
    Fx = [Im[k] for k in range(N)]
    Fw = [Im[N + k] for k in range(N)]
    Fp = [[Im[2 * N + j * N + k] for k in range(N)] for j in range(N)]
    b_bar = np.mean(b, axis=0)
    x_plus = [e0 - gamma_L * (a[j] - b[j] + b_bar) for j in range(N)]

    base, base_D = _current_points(e0, e1, a, b, Fx, Fw)
    full = [base[k] + [(x_plus[j], c[j][k], Fp[j][k]) for j in range(N)] for k in range(N)]
    full_D = base_D + [(x_plus[j], np.mean(c[j], axis=0), np.mean(Fp[j], axis=0)) for j in range(N)]
    state = (np.array([e0, e1, *a, *b]), np.array([*Fx, *Fw]))
    transitions = []
    for j in range(N):  # atom j; refresh (w+ = x) with probability p
        transitions.append((p / N, np.array([x_plus[j], e0, *c[j], *a]), np.array([*Fp[j], *Fx])))
        transitions.append(
            ((1 - p) / N, np.array([x_plus[j], e1, *c[j], *b]), np.array([*Fp[j], *Fw]))
        )
    Phi = _sym(e0, e0) + (4 * gamma_L**2 / p) / N * sum(_sym(v, v) for v in b)
    # 0 <= F_k(y) <= <g, y - x*> <= (||g||^2 + ||y - x*||^2)/2: (point, gradient) of each value
    values = [(e0, a[k]) for k in range(N)] + [(e1, b[k]) for k in range(N)]
    values += [(x_plus[j], c[j][k]) for j in range(N) for k in range(N)]
    return {
        "n": n,
        # the coordinates each form involves (the last two never see the points x+_j)
        "dims": (n, 2 + 2 * N, 2 + 2 * N),
        "forms": (
            _inequalities(full, full_D, mu_L, L_fD_L, m),
            _inequalities(base, base_D, mu_L, L_fD_L, m),
            _inequalities(base, base_D, mu_L, L_fD_L, m),
        ),
        "state": state,
        "transitions": transitions,
        "Phi": Phi,
        "absorb": _absorb(values),
    }


@cache
def _program_b(
    N: int, batch: int, gamma_L: float, mu_L: float, L_fD_L: float, p: float, mu_P_L: float
):
    """Part (b), reference batch ``batch < N``: the data of the program as ``_program``'s.

    The reference error ``e = h - grad f_D(w)`` is one more vector of the state (any vector: a
    relaxation of its batch structure, as in Lemma B); the step is ``g = a_j - b_j + mean b +
    e``; at a refresh (``w+ = x``, a new batch of ``b`` atoms drawn without replacement) ``e+``
    has mean 0 and ``E ||e+||^2 = c_b (1/N) sum_k ||z_k - mean z||^2``, ``z_k = a_k + u_k``,
    ``u_k = grad f_k(x*)`` (``mean u = 0``), ``c_b = (N - b)/(b (N - 1))``: the refresh term
    ``P_ee ||e+||^2`` of ``V+`` enters through that expectation and its cross terms vanish.
    ``sigma*^2 = (1/N) sum ||u_k||^2``. ``Psi = ||x - x*||^2 + (6 gamma^2/p) D + (2 (3 gamma^2
    + 2 gamma/mu_P)/p) ||e||^2``, the statement's. Basis: ``x - x*``, ``w - x*``, ``a_k``,
    ``b_k``, ``e``, ``u_1..u_{N-1}``; values: the Bregman forms at ``x`` and ``w``."""
    n = 3 * N + 2
    m = 2 * N
    In, Im = np.eye(n), np.eye(m)
    e0, e1 = In[0], In[1]
    a = [In[2 + k] for k in range(N)]
    b = [In[2 + N + k] for k in range(N)]
    e = In[2 + 2 * N]
    u = [In[3 + 2 * N + k] for k in range(N - 1)]
    u.append(-np.sum(u, axis=0) if u else np.zeros(n))
    Fx = [Im[k] for k in range(N)]
    Fw = [Im[N + k] for k in range(N)]
    zn = np.zeros(n)
    b_bar = np.mean(b, axis=0)
    base, base_D = _current_points(e0, e1, a, b, Fx, Fw)
    forms = _inequalities(base, base_D, mu_L, L_fD_L, m)
    c_b = (N - batch) / (batch * (N - 1))
    z = [a[k] + u[k] for k in range(N)]
    z_bar = np.mean(z, axis=0)
    refreshed = c_b / N * sum(_sym(v - z_bar, v - z_bar) for v in z)
    state = (np.array([e0, e1, *b, e]), np.array(Fw))
    transitions, extra = [], []
    for j in range(N):
        x_plus = e0 - gamma_L * (a[j] - b[j] + b_bar + e)
        transitions.append((p / N, np.array([x_plus, e0, *a, zn]), np.array(Fx)))
        transitions.append(((1 - p) / N, np.array([x_plus, e1, *b, e]), np.array(Fw)))
    extra.append((p, N + 2, refreshed))  # E over the new batch of P_ee ||e+||^2
    c_D = 6 * gamma_L**2 / p
    c_h = 2 * (3 * gamma_L**2 + 2 * gamma_L / mu_P_L) / p
    Psi = _sym(e0, e0) + c_D / N * sum(_sym(v, v) for v in b) + c_h * _sym(e, e)
    values = [(e0, a[k]) for k in range(N)] + [(e1, b[k]) for k in range(N)]
    return {
        "n": n,
        # form 2 never sees u; form 3 is claimed at a start, e = 0 (h_0 = grad f_D(w_0)): the
        # coordinate e is fixed at 0 there (verify_certificate checks the others are not seen)
        "dims": (n, 2 + 2 * N + 1, 2 + 2 * N),
        "fixed": ((), (), (2 + 2 * N,)),
        "forms": (forms, forms, forms),
        "state": state,
        "transitions": transitions,
        "extra": extra,
        "sigma2": sum(_sym(v, v) for v in u) / N,
        "Phi": Psi,
        "absorb": _absorb(values),
    }


def _program_of(cert: LyapunovCertificate):
    if cert.batch is None:
        return _program(cert.N, cert.gamma_L, cert.mu_L, cert.L_fD_L, cert.p)
    return _program_b(cert.N, cert.batch, cert.gamma_L, cert.mu_L, cert.L_fD_L, cert.p, cert.mu_P_L)


def _residuals(prog, P, ell, rho, C, K=0.0):
    """The three residual forms without the multipliers (quadratic part, linear part)."""
    R, Rf = prog["state"]
    V = R.T @ P @ R
    v = Rf.T @ ell
    EV = sum(w * (Rp.T @ P @ Rp) for w, Rp, _ in prog["transitions"])
    for w, i, M in prog.get("extra", ()):
        EV = EV + w * P[i, i] * M
    Ev = sum(w * (Rfp.T @ ell) for w, _, Rfp in prog["transitions"])
    first = EV - (1 - rho) * V
    if "sigma2" in prog:
        first = first - K * prog["sigma2"]
    Phi = prog["Phi"]
    return ((first, Ev - (1 - rho) * v), (Phi - V, -v), (V - C * Phi, v))


def _class(N, gamma, L, mu, L_fD, p):
    N = check_int("N", N, 1)
    for name, value in (("gamma", gamma), ("L", L), ("mu", mu), ("L_fD", L_fD), ("p", p)):
        check_real(name, value, positive=True)
    if p > 1:
        raise ValueError(f"argument 'p' = {p} must lie in (0, 1] (a refresh probability)")
    if mu > L_fD:
        raise ValueError(f"argument 'mu' = {mu} must be <= L_fD = {L_fD} (f_D's constants)")
    if L_fD > L:
        raise ValueError(f"argument 'L_fD' = {L_fD} must be <= L = {L} (the atoms' smoothness)")
    return N, float(gamma * L), float(mu / L), float(L_fD / L), float(p)


def lyapunov_certificate(
    N: int,
    gamma: float,
    L: float,
    mu: float,
    L_fD: float,
    p: float,
    rho: float,
    *,
    b: int | None = None,
    mu_P: float | None = None,
) -> LyapunovCertificate | None:
    """The certificate with contraction ``rho`` and the least ``C`` the program finds, or
    ``None`` where the program finds none (then no claim is made).

    Part (a) (``b`` None or ``N``): solves ``min C`` over ``P``, ``ell`` and nonnegative
    multipliers subject to: each of the three residual forms (``E V+ - (1 - rho) V``, ``Phi -
    V``, ``V - C Phi``) plus its combination of valid inequalities is ``<= -MARGIN I`` in its
    quadratic part and ``0`` in its linear part (Clarabel); then, with ``C`` fixed ``SLACK``
    above the least found, maximises the margin, so that round-off cannot undo the
    certificate.

    Part (b) (``b < N``; ``mu_P`` the statement's ``mu`` in ``Psi``'s weight, default ``mu``):
    ``E V+ <= (1 - rho) V + K sigma*^2``, ``Psi <= V`` at every state and ``V <= C Psi`` at a
    start (``e = 0``), so ``E Psi_t <= C (1 - rho)^t Psi_0 + K sigma*^2 / rho``. Solves ``min
    K``, then the margin with ``K`` and ``C`` within ``SLACK`` of that solution
    (``_program_b``).

    The result is re-checked by ``verify_certificate``; one that fails the re-check is returned
    as ``None``. One call is a single step without progress, held to a tenth of the cost budget
    (``certificate_cost``: about 75 s at ``N = 8`` in (a), over the default 60 s: raise it with
    ``mastref.cost_budget``).

    Examples
    --------
    >>> from mastref.theorems.svrdsg_certificate import lyapunov_certificate
    >>> cert = lyapunov_certificate(1, 1 / 6, 1.0, 1.0, 1.0, 0.5, 0.1)  # one atom: GD
    >>> cert.rho, bool(cert.C >= 1)
    (0.1, True)
    """
    N, gL, muL, LDL, p = _class(N, gamma, L, mu, L_fD, p)
    rho = check_real("rho", rho, positive=True)
    if rho >= 1:
        raise ValueError(f"argument 'rho' = {rho} (the certificate's contraction) must be < 1")
    b = N if b is None else check_int("b", b, 1, N)
    if mu_P is not None and b == N:
        raise ValueError(
            f"argument 'mu_P' = {mu_P} applies to part (b) only (a batch b < N = {N}); got b = {b}"
        )
    mu_P = mu if mu_P is None else check_real("mu_P", mu_P, positive=True)
    seconds, nbytes = certificate_cost(N, b)
    check_cost(
        f"lyapunov_certificate: N = {N} atoms",
        seconds=seconds,
        nbytes=nbytes,
        hint="The program of part (a) grows like N^6 in time; reduce N.",
        silent=True,
    )
    common = {"N": N, "gamma_L": gL, "mu_L": muL, "L_fD_L": LDL, "p": p, "rho": rho}
    if b == N:
        prog = _program(N, gL, muL, LDL, p)
        first = _solve(prog, rho, objective="C")
        if first is None:
            return None
        found = _solve(prog, rho, objective="margin", C_cap=first[0] * (1 + SLACK))
        part = {}
    else:
        prog = _program_b(N, b, gL, muL, LDL, p, float(mu_P / L))
        first = _solve(prog, rho, objective="K")
        if first is None:
            return None
        # C as the least-K solve left it (a "min C" solve at that K fails in Clarabel): at the
        # floor, where (b) is counted, C enters only through the vanishing transient
        found = _solve(
            prog,
            rho,
            objective="margin",
            C_cap=first[0] * (1 + SLACK),
            K_cap=first[1] * (1 + SLACK) + 1e-12,
        )
        part = {"batch": b, "mu_P_L": float(mu_P / L)}
    if found is None:
        return None
    C_value, K_value, P_value, ell_value, lams = found
    cert = LyapunovCertificate(
        **common, C=C_value, P=P_value, ell=ell_value, multipliers=lams, K=K_value, **part
    )
    return cert if verify_certificate(cert) else None


def _solve(prog, rho: float, *, objective: str, C_cap=None, K_cap=None):
    """One solve of the program: ``objective`` ``"C"`` (least ``C``), ``"K"`` (least floor
    constant, part (b)) or ``"margin"`` (at ``C = C_cap``, the largest ``tau <= 1`` with every
    residual form ``<= -tau I``); ``K <= K_cap`` where given. Returns ``(C, K, P, ell,
    multipliers)``, or ``None`` where the solver finds no solution."""
    import cvxpy as cp  # lazy: cvxpy imports JAX where installed (solvers._cvxpy_solve)

    n = prog["n"]
    ns = prog["state"][0].shape[0]
    P = cp.Variable((ns, ns), symmetric=True)
    ell = cp.Variable(prog["state"][1].shape[0])
    C = C_cap if objective == "margin" else cp.Variable()
    K = cp.Variable(nonneg=True) if "sigma2" in prog else 0.0
    tau = cp.Variable() if objective == "margin" else MARGIN
    lams, constraints = [], []
    for (Q, F), (res_Q, res_f), k in zip(
        prog["forms"], _residuals(prog, P, ell, rho, C, K), prog["dims"], strict=True
    ):
        lam = cp.Variable(len(Q), nonneg=True)
        M = res_Q + cp.reshape(lam @ Q.reshape(len(Q), -1), (n, n), order="C")
        M = 0.5 * (M + M.T)[:k, :k]
        constraints += [M << -tau * np.eye(k), res_f + lam @ F == 0]
        lams.append(lam)
    if K_cap is not None:
        constraints.append(K <= K_cap)
    if objective == "C":
        problem = cp.Problem(cp.Minimize(C), constraints)
    elif objective == "K":
        problem = cp.Problem(cp.Minimize(K), constraints)
    else:
        problem = cp.Problem(cp.Maximize(tau), [*constraints, tau <= 1])
    try:
        with warnings.catch_warnings():
            # "optimal_inaccurate" is accepted here: verify_certificate decides
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver="CLARABEL")
    except cp.error.SolverError:
        return None
    if problem.status not in ("optimal", "optimal_inaccurate") or P.value is None:
        return None
    return (
        float(C_cap) if objective == "margin" else float(C.value),
        float(K.value) if isinstance(K, cp.Variable) else 0.0,
        np.array(P.value),
        np.array(ell.value),
        tuple(np.maximum(np.array(lam.value), 0.0) for lam in lams),
    )


def verify_certificate(cert: LyapunovCertificate) -> bool:
    """Whether ``cert`` proves its claim: finite entries, ``0 < rho < 1``, nonnegative
    multipliers, and for each of the three forms the residual plus its multipliers' combination
    of valid inequalities, plus the absorption of its linear part, negative definite by more
    than a bound on the rounding of computing it.

    The linear part ``r . F`` (``r`` the solver's residual) is bounded by ``sum_i |r_i|
    (||y_i - x*||^2 + ||g_i||^2)/2`` (a Bregman value lies between 0 and ``<g_y, y - x*>``), a
    positive semidefinite form that is added to the quadratic part: so the check proves the
    inequality for every state and every instance. The rounding bound is ``(m + n + 4N + 8) eps
    S``, ``m`` inequalities, ``S`` the sum of the Frobenius norms of every term that enters the
    form (the standard worst-case bound of a floating-point sum, and ``n eps ||M||`` for the
    eigenvalue): a floating-point check, not interval arithmetic.

    Examples
    --------
    >>> from mastref.theorems.svrdsg_certificate import lyapunov_certificate, verify_certificate
    >>> from dataclasses import replace
    >>> cert = lyapunov_certificate(2, 1 / 6, 1.0, 0.5, 0.5, 1 / 6, 1 / 12 * 1.3)
    >>> verify_certificate(cert), verify_certificate(replace(cert, C=0.9 * cert.C))
    (True, False)
    """
    if not isinstance(cert, LyapunovCertificate):
        raise TypeError(
            f"argument 'cert' = {cert!r} must be a LyapunovCertificate (lyapunov_certificate "
            "returns None where it finds none: there is nothing to verify)"
        )
    values = (cert.P, cert.ell, cert.rho, cert.C, cert.K, *cert.multipliers)
    if not all(np.all(np.isfinite(x)) for x in values) or not (0 < cert.rho < 1 and cert.K >= 0):
        return False
    # the class must be one (an empty class proves nothing) and the part well formed
    if not (0 < cert.mu_L <= cert.L_fD_L <= 1 and 0 < cert.p <= 1 and cert.gamma_L > 0):
        return False
    if cert.batch is not None and not (1 <= cert.batch < cert.N and cert.mu_P_L):
        return False
    prog = _program_of(cert)
    R, Rf = prog["state"]
    shapes = (np.shape(cert.P), np.shape(cert.ell), len(cert.multipliers))
    if shapes != ((len(R), len(R)), (len(Rf),), len(prog["forms"])):
        return False
    eps = np.finfo(float).eps
    P_norm = float(np.linalg.norm(cert.P))
    moved = sum(w * np.linalg.norm(Rp) ** 2 for w, Rp, _ in prog["transitions"])
    residual_scale = P_norm * (moved + (1 + cert.C) * np.linalg.norm(R) ** 2) + (
        1 + cert.C
    ) * float(np.linalg.norm(prog["Phi"]))
    residual_scale += sum(
        w * P_norm * float(np.linalg.norm(M)) for w, _, M in prog.get("extra", ())
    )
    if "sigma2" in prog:
        residual_scale += cert.K * float(np.linalg.norm(prog["sigma2"]))
    for (Q, F), (res_Q, res_f), lam, k, fixed in zip(
        prog["forms"],
        _residuals(prog, cert.P, cert.ell, cert.rho, cert.C, cert.K),
        cert.multipliers,
        prog["dims"],
        prog.get("fixed", ((), (), ())),
        strict=True,
    ):
        if lam.shape != (len(Q),) or np.any(lam < 0):
            return False
        M = res_Q + np.tensordot(lam, Q, axes=1)
        r = res_f + lam @ F
        M = 0.5 * (M + M.T) + np.tensordot(np.abs(r), prog["absorb"], axes=1)
        rest = [i for i in range(k, len(M)) if i not in fixed]  # coordinates not involved
        if np.any(M[rest]) or np.any(M[:, rest]):
            return False
        M = M[:k, :k]
        scale = (
            residual_scale
            + float(lam @ np.linalg.norm(Q, axis=(1, 2)))
            + float(np.abs(r) @ np.linalg.norm(prog["absorb"], axis=(1, 2)))
            + float(np.linalg.norm(M))
        )
        tolerance = (len(Q) + M.shape[0] + 4 * cert.N + 8) * eps * scale
        if not float(np.linalg.eigvalsh(M)[-1]) < -tolerance:
            return False
    return True


def sdp_ceiling(
    N: int,
    gamma: float,
    L: float,
    mu: float,
    L_fD: float,
    p: float,
    rho: float,
    t: float,
    factors=(1.1, 1.2, 1.3, 1.4, 1.45, 1.5, 1.55, 1.6, 1.7),
) -> tuple[float, LyapunovCertificate | None]:
    """A proved ceiling on the late tightness of Theorem 4 (a) as stated at the counted steps
    ``>= t``: ``min C ((1 - rho')/(1 - rho))^t`` over certificates with ``rho' = factor *
    rho`` (``rho = min(gamma mu, p/2)``, the statement's rate), and the certificate that
    gives it (``1.0`` and ``None`` where none is found: no ceiling below 1 is claimed). Each
    value is proved (``verify_certificate``); the minimum over ``factors`` is sampled. Cost: one
    ``lyapunov_certificate`` per factor (``certificate_cost``: under a second at ``N = 2``,
    about 75 s and 1.2 GB at ``N = 8``), held to the cost budget (``mastref.cost_budget``), with
    a progress bar on a terminal. A step above the statement's limit, ``gamma L > 1/6``, is
    warned about: the certificates still hold, but the statement does not apply there.

    Examples
    --------
    >>> from mastref.theorems.svrdsg_certificate import sdp_ceiling
    >>> gamma, mu = 1 / 24, 2.0  # N = 2 coordinates, partition law, f = ||x||^2/2, p = 2 gamma mu
    >>> c, cert = sdp_ceiling(2, gamma, 4.0, mu, mu, 2 * gamma * mu, gamma * mu, t=27)
    >>> bool(c < 0.5), cert.N
    (True, 2)
    """
    check_real("t", t, nonnegative=True)
    rho = check_real("rho", rho, positive=True)
    if rho >= 1:
        raise ValueError(f"argument 'rho' = {rho} (the statement's rate) must be < 1")
    factors = tuple(factors)
    if not factors or any(
        isinstance(f, bool) or not isinstance(f, numbers.Real) or not 1 < f < 1 / rho
        for f in factors
    ):
        raise ValueError(
            f"argument 'factors' = {factors!r} must be one or more numbers in (1, 1/rho) = (1, "
            f"{1 / rho:.6g}): each rho' = factor * rho must exceed the statement's rate and "
            "stay below 1"
        )
    gamma_L = check_real("gamma", gamma, positive=True) * check_real("L", L, positive=True)
    if gamma_L > (1 + 1e-12) / 6:
        warnings.warn(
            f"sdp_ceiling: argument 'gamma' = {gamma:.6g} gives gamma L = {gamma_L:.6g} above "
            "Theorem 4 (a)'s step limit 1/(6L): the certificates hold at any step, but the "
            "statement, and so the meaning of this ceiling, applies only for gamma <= 1/(6L)",
            stacklevel=2,
        )
    seconds, nbytes = certificate_cost(check_int("N", N, 1))
    check_cost(
        f"sdp_ceiling: N = {N} atoms, {len(factors)} factors",
        seconds=seconds * len(factors),
        nbytes=nbytes,
        hint="Reduce N or pass fewer factors.",
    )
    best, best_cert = 1.0, None
    with progress_bar(len(factors), seconds * len(factors), "SDP certificates") as update:
        for factor in factors:
            cert = lyapunov_certificate(N, gamma, L, mu, L_fD, p, factor * rho)
            update(1)
            if cert is None or not cert.rho > rho:  # the ceiling needs q < 1
                continue
            value = cert.C * ((1 - cert.rho) / (1 - rho)) ** t
            if value < best:
                best, best_cert = value, cert
    return float(best), best_cert
