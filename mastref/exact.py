"""Exact expected trajectories of Algorithms 1-I and 4 on quadratics (THEORY.md §6).

With ``h_t = x_t - v`` the iteration is linear, ``h_{t+1} = M_S h_t - u_S``, so the first moment
``m_t = E h_t`` and the second moment ``P_t = E h_t h_t^T`` follow an exact recursion. For
``M`` clients with ``D_i = S_i A_i S_i`` and ``g_i = A_i v - b_i`` (``M = 1`` is Algorithm 1-I):

    m+ = m - (gamma/M) (sum_i A_{D_i} m + sum_i g_i)
    P+ = P - (gamma/M)(sum_i A_{D_i} P + P sum_i A_{D_i}) - (gamma/M)(m G^T + G m^T)
         + (gamma/M)^2 sum_{i,j} (E[D_i P D_j] + F3_ij + F3_ij^T + E[S_i g_i g_j^T S_j])

with ``G = sum_i g_i`` and ``F3_ij = E[D_i m g_j^T S_j]``. The expectations need mixed moments
of order up to four: closed forms for Bernoulli and uniform-subset laws (RandK, the marginal of a
permutation sketch) evaluated in O(d^4) numba loops, exact weighted sums for finite-support laws,
a moment table for laws known through ``moment()`` only, factorisation for independent clients
and closed-form joint moments for permutation sketches.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import njit

from ._validation import MissingCapability, check_int, check_real, check_vector
from .distributed import DistributedProblem
from .mast import MAST

#: Largest d for which a law known only through ``moment()`` gets its d^4 moment table.
MAX_TABLE_D = 24


@dataclass(frozen=True, kw_only=True)
class Expectation:
    """Exact expected curves, indexed by ``t = 0..n_steps``.

    Attributes
    ----------
    steps : ndarray
        ``0..n_steps``.
    dist2 : ndarray
        ``E||x_t - x*||^2``.
    value_gap : ndarray
        ``E f(x_t) - f^inf``.
    grad_norm2 : ndarray
        ``E||grad f(x_t)||^2``.
    mean : ndarray
        ``E x_T``.

    Here ``f`` is ``f_D`` (Algorithm 1) or ``F`` (Algorithm 4) and ``x*`` its minimiser.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> mr.expected_dsgd(mast, np.zeros(2), 0.25, 3)
    Expectation(n_steps=3, dist2: 0.5 -> 0.0625, value_gap: 0.5 -> 0.0625)
    """

    steps: np.ndarray
    dist2: np.ndarray
    value_gap: np.ndarray
    grad_norm2: np.ndarray
    mean: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Expectation(n_steps={int(self.steps[-1])}, dist2: {self.dist2[0]:.4g} -> "
            f"{self.dist2[-1]:.4g}, value_gap: {self.value_gap[0]:.4g} -> "
            f"{self.value_gap[-1]:.4g})"
        )


# ------------------------------------------------------------------------------------------------
# Mixed moments in numba. kind 0: Bernoulli with w = 1/p; kind 1: uniform subset with scale c and
# qtab[u] = P(u given distinct coordinates all kept) = sum_r q_r (k_r)_u / (d)_u.
# ------------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _distinct4(a, k, l, b):
    u = 1
    if k != a:
        u += 1
    if l != a and l != k:
        u += 1
    if b != a and b != k and b != l:
        u += 1
    return u


@njit(cache=True)
def _moment4(kind, w, qtab, c, a, k, l, b):
    """``E[s_a s_k s_l s_b]``."""
    if kind == 0:
        r = w[a] * w[k] * w[l] * w[b] / w[a]
        if k != a:
            r /= w[k]
        if l != a and l != k:
            r /= w[l]
        if b != a and b != k and b != l:
            r /= w[b]
        return r
    return c**4 * qtab[_distinct4(a, k, l, b)]


@njit(cache=True)
def _moment3(kind, w, qtab, c, a, k, b):
    """``E[s_a s_k s_b]``."""
    if kind == 0:
        r = w[a] * w[k] * w[b] / w[a]
        if k != a:
            r /= w[k]
        if b != a and b != k:
            r /= w[b]
        return r
    u = 1 + (k != a) + (b != a and b != k)
    return c**3 * qtab[u]


@njit(cache=True)
def _f4_single(A, P, kind, w, qtab, c):
    """``E[D P D]``, ``D = S A S``: ``sum_{k,l} A_ak A_bl P_kl E[s_a s_k s_l s_b]``, O(d^4)."""
    d = A.shape[0]
    out = np.zeros((d, d))
    for a in range(d):
        for b in range(a, d):
            acc = 0.0
            for k in range(d):
                Aak = A[a, k]
                if Aak == 0.0:
                    continue
                for l in range(d):
                    acc += Aak * A[b, l] * P[k, l] * _moment4(kind, w, qtab, c, a, k, l, b)
            out[a, b] = acc
            out[b, a] = acc
    return out


@njit(cache=True)
def _f3_single(A, m, g, kind, w, qtab, c):
    """``E[D m (S g)^T]``: ``sum_k A_ak m_k g_b E[s_a s_k s_b]``, O(d^3)."""
    d = A.shape[0]
    out = np.zeros((d, d))
    for a in range(d):
        for b in range(d):
            acc = 0.0
            for k in range(d):
                acc += A[a, k] * m[k] * _moment3(kind, w, qtab, c, a, k, b)
            out[a, b] = acc * g[b]
    return out


@njit(cache=True)
def _f4_cross_perm(Ai, Aj, P, Q, c):
    """``E[D_i P D_j]`` for two clients of one permutation sketch (disjoint supports)."""
    d = Ai.shape[0]
    out = np.zeros((d, d))
    c4 = c**4
    for a in range(d):
        for b in range(d):
            if a == b:
                continue
            acc = 0.0
            for k in range(d):
                if k == b or Ai[a, k] == 0.0:
                    continue
                ua = 1 + (k != a)
                for l in range(d):
                    if l == a or l == k:
                        continue
                    ub = 1 + (l != b)
                    acc += Ai[a, k] * Aj[b, l] * P[k, l] * Q[ua, ub]
            out[a, b] = c4 * acc
    return out


@njit(cache=True)
def _f3_cross_perm(Ai, m, gj, Q, c):
    """``E[D_i m (S_j g_j)^T]`` for two clients of one permutation sketch."""
    d = Ai.shape[0]
    out = np.zeros((d, d))
    c3 = c**3
    for a in range(d):
        for b in range(d):
            if a == b:
                continue
            acc = 0.0
            for k in range(d):
                if k == b:
                    continue
                acc += Ai[a, k] * m[k] * Q[1 + (k != a), 1]
            out[a, b] = c3 * acc * gj[b]
    return out


# ------------------------------------------------------------------------------------------------
# One client's law
# ------------------------------------------------------------------------------------------------


class _ClientTerms:
    """Everything one client contributes to the recursion: ``A_D``, ``g`` and the three
    expectations ``E[D P D]``, ``E[D m (S g)^T]``, ``E[S g g^T S]``.

    The law's capabilities choose the path: moments that depend only on index coincidences
    (``moment_structure``: numba loops), a finite support (exact weighted sums), or mixed
    moments from ``moment()`` (a precomputed ``d^4`` table, ``d <= MAX_TABLE_D``).
    """

    def __init__(self, A: np.ndarray, g: np.ndarray, sketch):
        if not sketch.is_diagonal or "moments" not in sketch.capabilities():
            raise MissingCapability(
                f"exact expectations (§6) need a diagonal law with mixed moments up to order 4 "
                f"(capability 'moments': moment() or a finite support); {sketch!r} has "
                f"{sorted(sketch.capabilities())}: use Monte Carlo (dsgd with n_runs)"
            )
        self.A, self.g = np.ascontiguousarray(A), g
        self.A_D = sketch.sandwich(A)
        self.F2 = np.outer(g, g) * sketch.pair_moments()
        d = A.shape[0]
        structure = sketch.moment_structure()
        if structure is not None:
            self.kind, self.w, self.qtab, self.c = structure
        elif sketch.has_finite_support and sketch.support_size <= MAST.exact_support_limit:
            self.kind = 2
            samples, self.weights = sketch.support()
            self.S = samples
            self.D = samples[:, :, None] * A[None] * samples[:, None, :]
        else:
            if d > MAX_TABLE_D:
                raise MissingCapability(
                    f"{sketch!r} gives moments only through moment(): its d^4 table is built for "
                    f"d <= {MAX_TABLE_D} (d = {d}); give a finite support or a moment_structure"
                )
            self.kind = 3
            self.T3, self.T4 = _moment_tables(sketch)

    def F4(self, P: np.ndarray) -> np.ndarray:
        if self.kind == 2:
            return np.einsum("k,kab,kbc->ac", self.weights, self.D @ P, self.D)
        if self.kind == 3:
            return np.einsum("ak,bl,kl,aklb->ab", self.A, self.A, P, self.T4, optimize=True)
        return _f4_single(self.A, P, self.kind, self.w, self.qtab, self.c)

    def F3(self, m: np.ndarray) -> np.ndarray:
        if self.kind == 2:
            Dm = self.D @ m
            return np.einsum("k,ka,kb->ab", self.weights, Dm, self.S * self.g)
        if self.kind == 3:
            return np.einsum("ak,k,akb->ab", self.A, m, self.T3) * self.g[None, :]
        return _f3_single(self.A, m, self.g, self.kind, self.w, self.qtab, self.c)


def _moment_tables(sketch) -> tuple[np.ndarray, np.ndarray]:
    """``T3[a,k,b] = E[s_a s_k s_b]`` and ``T4[a,k,l,b] = E[s_a s_k s_l s_b]`` from ``moment()``,
    one call per multiset of indices."""
    d = sketch.d
    T3 = np.empty((d, d, d))
    T4 = np.empty((d, d, d, d))
    for order, T in ((3, T3), (4, T4)):
        for combo in itertools.combinations_with_replacement(range(d), order):
            m = np.bincount(combo, minlength=d).astype(np.int64)
            value = sketch.moment(m)
            for perm in set(itertools.permutations(combo)):
                T[perm] = value
    return T3, T4


# ------------------------------------------------------------------------------------------------
# The recursion
# ------------------------------------------------------------------------------------------------


def _recursion(clients, joint_Q, joint_c, h0, gamma, n_steps, value_terms):
    M = len(clients)
    eta = gamma / M
    sumAD = sum(c.A_D for c in clients)
    G = sum(c.g for c in clients)
    m = h0.copy()
    P = np.outer(h0, h0)
    c0, gbar, Abar, x_star_h, F_inf = value_terms
    A2 = Abar @ Abar
    out = np.empty((3, n_steps + 1))
    means = np.empty(h0.size)

    def record(t):
        with np.errstate(over="ignore", invalid="ignore"):
            out[0, t] = np.trace(P) - 2 * m @ x_star_h + x_star_h @ x_star_h
            out[1, t] = c0 + gbar @ m + 0.5 * np.sum(Abar * P) - F_inf
            out[2, t] = gbar @ gbar + 2 * gbar @ (Abar @ m) + np.sum(A2 * P)

    record(0)
    for t in range(n_steps):
        F4 = sum(c.F4(P) for c in clients)
        F3 = sum(c.F3(m) for c in clients)
        F2 = sum(c.F2 for c in clients)
        if M > 1 and joint_Q is None:  # independent clients: cross terms factorise
            ADs = [c.A_D for c in clients]
            F4 = F4 + sumAD @ P @ sumAD - sum(AD @ P @ AD for AD in ADs)
            F3 = F3 + np.outer(sumAD @ m, G) - sum(np.outer(c.A_D @ m, c.g) for c in clients)
            F2 = F2 + np.outer(G, G) - sum(np.outer(c.g, c.g) for c in clients)
        elif M > 1:
            for i, ci in enumerate(clients):
                for j, cj in enumerate(clients):
                    if i != j:
                        F4 = F4 + _f4_cross_perm(ci.A, cj.A, P, joint_Q, joint_c)
                        F3 = F3 + _f3_cross_perm(ci.A, m, cj.g, joint_Q, joint_c)
                        F2 = F2 + joint_c**2 * joint_Q[1, 1] * (
                            np.outer(ci.g, cj.g) * (1.0 - np.eye(h0.size))
                        )
        with np.errstate(over="ignore", invalid="ignore"):
            P_next = (
                P
                - eta * (sumAD @ P + P @ sumAD)
                - eta * (np.outer(m, G) + np.outer(G, m))
                + eta**2 * (F4 + F3 + F3.T + F2)
            )
            m = m - eta * (sumAD @ m + G)
        P = 0.5 * (P_next + P_next.T)
        record(t + 1)
    means[:] = m
    return out, means


def _expectation(out: np.ndarray, mean: np.ndarray, n_steps: int) -> Expectation:
    return Expectation(
        steps=np.arange(n_steps + 1),
        dist2=out[0],
        value_gap=out[1],
        grad_norm2=out[2],
        mean=mean,
    )


def expected_dsgd(mast: MAST, x0, gamma: float, n_steps: int) -> Expectation:
    """Exact ``E||x_t - x_D*||^2``, ``E f_D(x_t) - f_D^inf``, ``E||grad f_D(x_t)||^2`` of
    Algorithm 1-I on a quadratic problem, ``t = 0..n_steps`` (THEORY.md §6).

    Needs a quadratic problem (``Problem.quadratic_form``) and a diagonal law with mixed
    moments up to order 4 (capability ``"moments"``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> e = mr.expected_dsgd(mast, np.zeros(2), 0.25, 3)
    >>> e.dist2  # E||x_t - x_D*||^2, x_D* = (1/2, 1/2)
    array([0.5   , 0.25  , 0.125 , 0.0625])
    """
    if not isinstance(mast, MAST) or not mast.has_quadratic_form:
        raise MissingCapability("expected_dsgd needs a MAST objective of a quadratic problem")
    x0 = check_vector("x0", x0, mast.d)
    gamma = check_real("gamma", gamma, positive=True)
    n_steps = check_int("n_steps", n_steps, 0)
    A, b, _ = mast.problem.quadratic_form()
    g = A @ mast.v - b
    client = _ClientTerms(A, g, mast.sketch)
    terms = (mast.problem.value(mast.v), g, mast.A_D, mast.argmin() - mast.v, mast.inf)
    out, mean = _recursion([client], None, 0.0, x0 - mast.v, gamma, n_steps, terms)
    return _expectation(out, mean + mast.v, n_steps)


def expected_distributed_dsgd(
    problem: DistributedProblem, x0, gamma: float, n_steps: int
) -> Expectation:
    """Exact curves of Algorithm 4 on quadratic clients (``E||x_t - x_F*||^2``,
    ``E F(x_t) - F^inf``, ``E||grad F(x_t)||^2``): independent client laws, or one joint law
    with closed-form cross moments (``JointSketch.cross_moment_table``, e.g. a permutation
    sketch).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> clients = [mr.Quadratic(np.eye(2), np.ones(2))] * 2
    >>> dp = mr.DistributedProblem(clients, mr.PermutationSketch(2, 2))
    >>> mr.expected_distributed_dsgd(dp, np.zeros(2), 0.25, 2).dist2
    array([0.5    , 0.125  , 0.03125])
    """
    if not isinstance(problem, DistributedProblem) or not problem.has_quadratic_form:
        raise MissingCapability(
            "expected_distributed_dsgd needs a DistributedProblem of quadratic clients"
        )
    x0 = check_vector("x0", x0, problem.d)
    gamma = check_real("gamma", gamma, positive=True)
    n_steps = check_int("n_steps", n_steps, 0)
    v = problem.v
    clients = []
    for c in problem.clients:
        A, b, _ = c.problem.quadratic_form()
        clients.append(_ClientTerms(A, A @ v - b, c.sketch))
    M = problem.n_clients
    joint_Q = None if problem.joint is None else problem.joint.cross_moment_table()
    joint_c = 0.0 if problem.joint is None else problem.joint.scale
    gbar = sum(c.g for c in clients) / M
    c0 = float(np.mean([c.problem.value(v) for c in problem.clients]))
    terms = (c0, gbar, problem.A_F, problem.argmin() - v, problem.inf)
    out, mean = _recursion(clients, joint_Q, joint_c, x0 - v, gamma, n_steps, terms)
    return _expectation(out, mean + v, n_steps)
