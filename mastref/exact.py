"""Exact expected trajectories of Algorithms 1-I and 4 on quadratics (THEORY.md §6).

With ``h_t = x_t - v`` the iteration is linear, ``h_{t+1} = M_S h_t - u_S``, so the first moment
``m_t = E h_t`` and the second moment ``P_t = E h_t h_t^T`` follow an exact recursion. For
``M`` clients with ``D_i = S_i A_i S_i`` and ``g_i = A_i v - b_i`` (``M = 1`` is Algorithm 1-I):

    m+ = m - (gamma/M) (sum_i A_{D_i} m + sum_i g_i)
    P+ = P - (gamma/M)(sum_i A_{D_i} P + P sum_i A_{D_i}) - (gamma/M)(m G^T + G m^T)
         + (gamma/M)^2 sum_{i,j} (E[D_i P D_j] + F3_ij + F3_ij^T + E[S_i g_i g_j^T S_j])

with ``G = sum_i g_i`` and ``F3_ij = E[D_i m g_j^T S_j]``. The expectations need mixed moments
of order up to four: closed forms for Bernoulli and uniform-subset laws (RandK, the marginal of a
permutation sketch) evaluated in O(d^3) by regions of coinciding indices (the O(d^4) numba loops
are their reference), exact weighted sums for finite-support laws,
a moment table for laws known through ``moment()`` only, factorisation for independent clients
and closed-form joint moments for permutation sketches.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._budget import (
    SECONDS_PER_PYTHON_STEP,
    SECONDS_PER_RECURSION_D3,
    TYPICAL_SECONDS_PER_STEP,
    check_cost,
)
from ._validation import MissingCapability, check_int, check_real, check_vector
from ._watch import RunWatch
from .algorithms import _check_oracle
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
    extra : dict
        Further exact curves (L-SVRDSG: ``"D"``, ``E D_t``, and ``"h_error"``,
        ``E||h_t - grad f_D(w_t)||^2``, the terms of Theorem 4's Lyapunov functions).
    stopped_at : int or None
        ``None``; or the first ``t`` at which a curve overflowed (beyond the step limit the
        second moments grow geometrically): the recursion stopped there with a
        ``DivergenceWarning`` and the curves end at ``t`` (their last value is non-finite).

    Here ``f`` is ``f_D`` (Algorithm 1 and 3) or ``F`` (Algorithm 4) and ``x*`` its minimiser.

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
    extra: dict = field(default_factory=dict)
    stopped_at: int | None = None

    def __repr__(self) -> str:
        stop = "" if self.stopped_at is None else f", DIVERGED at step {self.stopped_at}"
        return (
            f"Expectation(n_steps={int(self.steps[-1])}, dist2: {self.dist2[0]:.4g} -> "
            f"{self.dist2[-1]:.4g}, value_gap: {self.value_gap[0]:.4g} -> "
            f"{self.value_gap[-1]:.4g}{stop})"
        )


# ------------------------------------------------------------------------------------------------
# Mixed moments in numba. kind 0: Bernoulli with w = 1/p; kind 1: uniform subset with scale c and
# qtab[u] = P(u given distinct coordinates all kept) = sum_r q_r (k_r)_u / (d)_u; kind 2: one block
# of a fixed partition, w = block labels, c = the number of blocks (MomentStructure).
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
    if kind == 2:
        return c**3 if w[k] == w[a] and w[l] == w[a] and w[b] == w[a] else 0.0
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
    if kind == 2:
        return c**2 if w[k] == w[a] and w[b] == w[a] else 0.0
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
# The same expectations in O(d^3): split the index sums by which indices coincide (THEORY.md §6).
# For fixed (a, b) the sum over (k, l) is cut into the regions "k, l outside {a, b}, k != l",
# "k = l outside", "k in {a, b}", "l in {a, b}", "both in {a, b}": each region's moment is
# constant (exchangeable laws) or a product of per-coordinate factors (independent laws), and
# each region's sum is a dense product (A P A, A diag(P) A) corrected by O(d^2) terms.
# The O(d^4) loops above are the reference they are tested against.
# ------------------------------------------------------------------------------------------------


def _region_sums(A, P, B=None):
    """The pieces of ``sum_{k,l} A_ak P_kl B_lb`` (``B = A`` by default) by region.

    Returns ``T`` (all ``k, l``), ``Dg`` (``k = l``) and, as ``(d, d)`` arrays over ``(a, b)``,
    ``Rk`` (``k in {a, b}``, any ``l``), ``Rl`` (``l in {a, b}``, any ``k``), ``Rkl`` (both in
    ``{a, b}``) and ``Dgin`` (``k = l in {a, b}``), counting ``a = b`` once.
    """
    B = A if B is None else B
    T = A @ P @ B
    Dg = (A * np.diag(P)) @ B
    PB, AP = P @ B, A @ P
    dA, dB, dP = np.diag(A), np.diag(B), np.diag(P)
    # k = a: A_aa (P B)_ab ; k = b: A_ab (P B)_bb
    Rk = dA[:, None] * PB + A * np.diag(PB)[None, :]
    # l = a: (A P)_aa B_ab ; l = b: (A P)_ab B_bb
    Rl = np.diag(AP)[:, None] * B + AP * dB[None, :]
    # (k, l) in {a, b}^2: (a,a), (a,b), (b,a), (b,b)
    Rkl = (
        (dA * dP)[:, None] * B
        + dA[:, None] * P * dB[None, :]
        + A * P.T * B
        + A * (dP * dB)[None, :]
    )
    Dgin = (dA * dP)[:, None] * B + A * (dP * dB)[None, :]
    # on the diagonal a = b the two choices of each index coincide: count them once
    i = np.diag_indices_from(T)
    Rk[i] = dA * np.diag(PB)
    Rl[i] = np.diag(AP) * dB
    Rkl[i] = dA * dP * dB
    Dgin[i] = dA * dP * dB
    return T, Dg, Rk, Rl, Rkl, Dgin


class _Workspace:
    """Named ``d x d`` buffers reused at every step: a fresh array costs a page fault per 4 KiB
    when first written (measured: more than the O(d^2) work itself at d = 500)."""

    def __init__(self, d: int):
        self.d = d
        self._buffers: dict[str, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        if name not in self._buffers:
            self._buffers[name] = np.empty((self.d, self.d))
        return self._buffers[name]


def _blocks_of(label: np.ndarray) -> list[np.ndarray]:
    """The coordinates of each block, from per-coordinate block labels."""
    order = np.argsort(label, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(label[order])) + 1)


@njit(cache=True)
def _f4_input(A, X, AX, kind, w, qtab, Y):
    """``Y`` (written in place) of the main term ``Y @ A = A (alpha X + Diag(beta diag X)) A``
    of ``E[D X D]``."""
    d = A.shape[0]
    alpha = qtab[4] if kind == 1 else 1.0
    beta = np.empty(d)
    for b in range(d):
        beta[b] = ((qtab[3] - qtab[4]) if kind == 1 else (w[b] - 1.0)) * X[b, b]
    for a in range(d):
        for b in range(d):
            Y[a, b] = alpha * AX[a, b] + A[a, b] * beta[b]


@njit(cache=True)
def _f4_finish(out, A, X, AX, kind, w, qtab, c):
    """Add to ``out = Y @ A`` (in place) the regions where ``k`` or ``l`` lies in ``{a, b}``,
    and assemble the diagonal ``a = b`` whole (``A``, ``X`` symmetric, ``AX = A @ X``).

    Regions for ``a != b``: ``Rk`` (``k in {a, b}``), ``Rl`` (``l in {a, b}``), ``Dgin``
    (``k = l in {a, b}``), ``Rkl`` (both in ``{a, b}``). The off-diagonal loops also visit
    ``a = b`` (no branch in the hot loop); the diagonal pass overwrites those entries.
    """
    d = A.shape[0]
    dA, dX, dAX = np.empty(d), np.empty(d), np.empty(d)
    for a in range(d):
        dA[a], dX[a], dAX[a] = A[a, a], X[a, a], AX[a, a]
    q1, q2, q3, q4 = qtab[1], qtab[2], qtab[3], qtab[4]
    c4 = c**4
    if kind == 1:  # E[s_a s_k s_l s_b] = c^4 q_{#distinct}
        for a in range(d):
            for b in range(d):
                Aab, Xab = A[a, b], X[a, b]
                Rk = dA[a] * AX[b, a] + Aab * dAX[b]
                Rl = dAX[a] * Aab + AX[a, b] * dA[b]
                Dgin = dA[a] * dX[a] * Aab + Aab * dX[b] * dA[b]
                Rkl = Dgin + dA[a] * Xab * dA[b] + Aab * Xab * Aab
                out[a, b] = c4 * (
                    out[a, b] + (q3 - q4) * (Rk + Rl - Dgin) + (q4 - 2 * q3 + q2) * Rkl
                )
    else:
        # kind 0: moment 1 outside {a, b} (inclusion-exclusion), w_k for k = l outside (in the
        # main term), then k = a: w_a, k = b: w_b, l = a: w_a, l = b: w_b, (k, l) in {a, b}^2
        for a in range(d):
            wa = w[a]
            wAa = wa * dA[a]
            for b in range(d):
                Aab, Xab, wb = A[a, b], X[a, b], w[b]
                wAb = wb * dA[b]
                Rk = dA[a] * AX[b, a] + Aab * dAX[b]
                Rl = dAX[a] * Aab + AX[a, b] * dA[b]
                Dgin = dA[a] * dX[a] * Aab + Aab * dX[b] * dA[b]
                Rkl = Dgin + dA[a] * Xab * dA[b] + Aab * Xab * Aab
                out[a, b] += (
                    -Rk
                    - Rl
                    + Rkl
                    + Dgin
                    - (wAa * dX[a] * Aab + Aab * dX[b] * wAb)
                    + wAa * (AX[b, a] - dX[a] * Aab - Xab * dA[b])
                    + Aab * wb * (dAX[b] - Xab * Aab - dX[b] * dA[b])
                    + wa * Aab * (dAX[a] - dA[a] * dX[a] - Aab * Xab)
                    + wAb * (AX[a, b] - dA[a] * Xab - Aab * dX[b])
                    + wa * wAa * dX[a] * Aab
                    + wAa * Xab * wAb
                    + Aab * Xab * Aab * wa * wb
                    + Aab * wb * wAb * dX[b]
                )
    for a in range(d):
        wa = w[a]
        Td = 0.0  # (A X A)_aa
        AAdX = 0.0  # (A Diag(X) A)_aa
        AAwdX = 0.0  # (A Diag(w X) A)_aa
        for k in range(d):
            Td += AX[a, k] * A[a, k]
            AAdX += A[a, k] * A[a, k] * dX[k]
            AAwdX += A[a, k] * A[a, k] * dX[k] * w[k]
        R12 = dA[a] * dX[a] * dA[a]  # k = l = a
        Rkd = dA[a] * dAX[a]  # k = a (or l = a)
        if kind == 1:
            out[a, a] = c4 * (
                q3 * Td + (q2 - q3) * (2 * Rkd + AAdX) + (2 * q3 - 3 * q2 + q1) * R12
            )
        else:  # k, l != a distinct: w_a; k = l != a: w_a w_k; one of them = a: w_a^2; both: w_a^3
            out[a, a] = (
                wa * (Td - 2 * Rkd + 2 * R12 - AAdX)
                + wa * (AAwdX - wa * R12)
                + wa**2 * (2 * Rkd - 2 * R12)
                + wa**3 * R12
            )


def _f4_fast(A, P, kind, w, qtab, c, AP=None, ws=None):
    """``E[D P D]`` in O(d^3) for the moment structures of ``_f4_single``, ``A`` and ``P``
    symmetric: two ``d x d`` products (one given ``AP = A @ P``) and one fused O(d^2) pass for
    kinds 0 and 1; for kind 2, ``c^3 A_bb P_bb A_bb`` on each block ``b`` (zero across blocks).

    The main term ``A (alpha P + Diag(beta diag P)) A`` carries the regions ``k != l`` and
    ``k = l`` outside ``{a, b}`` at once; the regions touching ``{a, b}`` are O(d^2) given
    ``AP`` (``P A = (A P)^T``); the diagonal ``a = b`` is assembled separately. ``ws``: the
    ``_Workspace`` whose buffers ``"Y"`` and ``"F4"`` are overwritten (the result is ``"F4"``).
    """
    ws = _Workspace(A.shape[0]) if ws is None else ws
    out = ws("F4")
    if kind == 2:
        out.fill(0.0)
        for idx in _blocks_of(w):
            ix = np.ix_(idx, idx)
            Ab = A[ix]
            out[ix] = c**3 * (Ab @ P[ix] @ Ab)
        return out
    AP = A @ P if AP is None else AP
    Y = ws("Y")
    _f4_input(A, P, AP, kind, w, qtab, Y)
    np.matmul(Y, A, out=out)
    _f4_finish(out, A, P, AP, kind, w, qtab, c)
    return out


@njit(cache=True)
def _f3_structured(A, m, g, kind, w, qtab, c, out):
    """``E[D m (S g)^T]`` for kinds 0 and 1 in one O(d^2) pass, into ``out``: entry ``(a, b)``,
    ``a != b``, is ``(r_a + t_b A_ab m_b) g_b``; kind 1: ``c^3 q_{#distinct of (a, k, b)}``."""
    d = A.shape[0]
    c3 = c**3 if kind == 1 else 1.0
    q1, q2, q3 = qtab[1], qtab[2], qtab[3]
    t = np.empty(d)
    for b in range(d):
        t[b] = c3 * (q2 - q3) * m[b] if kind == 1 else (w[b] - 1) * m[b]
    for a in range(d):
        Am = 0.0
        for k in range(d):
            Am += A[a, k] * m[k]
        dm = A[a, a] * m[a]
        r = c3 * (q3 * Am + (q2 - q3) * dm) if kind == 1 else Am + (w[a] - 1) * dm
        for b in range(d):
            out[a, b] = (r + A[a, b] * t[b]) * g[b]
        if kind == 1:
            out[a, a] = c3 * (q2 * Am + (q1 - q2) * dm) * g[a]
        else:
            out[a, a] = (w[a] * (Am - dm) + w[a] ** 2 * dm) * g[a]


def _f3_fast(A, m, g, kind, w, qtab, c, ws=None):
    """``E[D m (S g)^T]`` in O(d^2) for the moment structures of ``_f3_single`` (into the
    buffer ``"F3"`` of ``ws``)."""
    out = (_Workspace(m.size) if ws is None else ws)("F3")
    if kind == 2:
        out.fill(0.0)
        for idx in _blocks_of(w):
            out[np.ix_(idx, idx)] = c**2 * np.outer(A[np.ix_(idx, idx)] @ m[idx], g[idx])
        return out
    _f3_structured(A, m, g, kind, w, qtab, c, out)
    return out


def _drift_terms(A, kind, w, qtab, c) -> tuple[float, np.ndarray]:
    """``(alpha, beta)`` with ``A_D = alpha A + Diag(beta)`` (kinds 0 and 1):
    ``A_D = A + Diag((w - 1) diag A)``, resp. ``c^2 (q_2 A + (q_1 - q_2) Diag(A))``."""
    dA = np.diag(A)
    if kind == 1:
        return c**2 * qtab[2], c**2 * (qtab[1] - qtab[2]) * dA
    return 1.0, (w - 1) * dA


def _drift_fast(A, P, kind, w, qtab, c, AP=None, ws=None):
    """``A_D @ P`` with ``A_D = E[S A S]``: from ``AP = A @ P`` in O(d^2) for kinds 0 and 1,
    and one product per block for kind 2 (``A_D = c A`` on the blocks, 0 across them)."""
    if kind == 2:
        out = (_Workspace(A.shape[0]) if ws is None else ws)("drift")
        out.fill(0.0)
        for idx in _blocks_of(w):
            out[idx] = c * (A[np.ix_(idx, idx)] @ P[idx])
        return out
    AP = A @ P if AP is None else AP
    alpha, beta = _drift_terms(A, kind, w, qtab, c)
    return alpha * AP + beta[:, None] * P


@njit(cache=True)
def _plus_outers(M0, u, v, x, y, out):
    """``out = M0 + u v^T + x y^T`` in one pass; returns ``out``."""
    d = M0.shape[0]
    for a in range(d):
        for b in range(d):
            out[a, b] = M0[a, b] + u[a] * v[b] + x[a] * y[b]
    return out


@njit(cache=True)
def _assemble(P, D1, alpha, beta, F4, F3, Sigma, eta, B, N, out):
    """The symmetric part of ``P - eta (R + R^T) + eta^2 (F4 + F3 + F3^T + Sigma)`` with the
    drift ``R = alpha D1 + Diag(beta) P``, exactly symmetric. Two passes: one over the rows of
    every term, then one over the upper triangle that reads the two sums it needs transposed
    (reading five matrices by columns at once is slow). ``B``, ``N``: scratch; returns ``out``."""
    d = P.shape[0]
    e2 = eta * eta  # B: the terms symmetric up to rounding; N: those entering with transposes
    for a in range(d):
        for b in range(d):
            B[a, b] = P[a, b] * (1.0 - eta * (beta[a] + beta[b])) + e2 * (F4[a, b] + Sigma[a, b])
            N[a, b] = e2 * F3[a, b] - eta * alpha * D1[a, b]
    for a in range(d):
        for b in range(a, d):
            v = 0.5 * (B[a, b] + B[b, a]) + N[a, b] + N[b, a]
            out[a, b] = v
            out[b, a] = v
    return out


def _f4_cross_perm_fast(Ai, Aj, P, Q, c):
    """``_f4_cross_perm`` in O(d^3): ``k in {a}`` or outside ``{a, b}``, ``l in {b}`` or outside,
    ``k != l`` (disjoint supports), each region with its joint inclusion probability ``Q``."""
    T, Dg, Rk, Rl, Rkl, Dgin = _region_sums(Ai, P, Aj)
    dAi, dAj, dP = np.diag(Ai), np.diag(Aj), np.diag(P)
    PAj, AiP = P @ Aj, Ai @ P
    out = Q[1, 1] * dAi[:, None] * P * dAj[None, :]
    out += Q[1, 2] * dAi[:, None] * (PAj - dP[:, None] * Aj - P * dAj[None, :])
    out += Q[2, 1] * (AiP - dAi[:, None] * P - Ai * dP[None, :]) * dAj[None, :]
    out += Q[2, 2] * (T - Rk - Rl + Rkl - Dg + Dgin)
    np.fill_diagonal(out, 0.0)
    return c**4 * out


def _f3_cross_perm_fast(Ai, m, gj, Q, c):
    """``_f3_cross_perm`` in O(d^2)."""
    dAi, Aim = np.diag(Ai), Ai @ m
    out = (Q[1, 1] * dAi * m + Q[2, 1] * (Aim - dAi * m))[:, None] - Q[2, 1] * Ai * m[None, :]
    out = out * gj[None, :]
    np.fill_diagonal(out, 0.0)
    return c**3 * out


# ------------------------------------------------------------------------------------------------
# One client's law
# ------------------------------------------------------------------------------------------------


class _ClientTerms:
    """Everything one client contributes to the recursion: ``A_D``, ``g`` and the three
    expectations ``E[D P D]``, ``E[D m (S g)^T]``, ``E[S g g^T S]``.

    The law's capabilities choose the path: moments that depend only on index coincidences
    (``moment_structure``: O(d^3) forms checked against numba loops), a finite support (exact
    weighted sums), or mixed moments from ``moment()`` (a precomputed ``d^4`` table,
    ``d <= MAX_TABLE_D``). ``work`` is the cost of ``F4`` in ``d x d`` products.
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
        self.structure = sketch.moment_structure()
        if self.structure is not None:
            self.path = "structured"
            kind, w = self.structure.kind, self.structure.w
            # kinds 0, 1: A @ P and one more product; kind 2: per block b, two |b|^3 products
            # in E[D P D] and one |b|^2 d in the drift
            fractions = [b.size / d for b in _blocks_of(w)] if kind == 2 else []
            self.work = 2.0 if kind != 2 else sum(2.0 * f**3 + f**2 for f in fractions)
        elif sketch.has_finite_support and sketch.support_size <= MAST.exact_support_limit:
            self.path = "finite"
            samples, self.weights = sketch.support()
            self.S = samples
            self.D = samples[:, :, None] * A[None] * samples[:, None, :]
            self.work = 2.0 * self.weights.size
        else:
            if d > MAX_TABLE_D:
                raise MissingCapability(
                    f"{sketch!r} gives moments only through moment(): its d^4 table is built for "
                    f"d <= {MAX_TABLE_D} (d = {d}); give a finite support or a moment_structure"
                )
            self.path = "table"
            self.T3, self.T4 = _moment_tables(sketch)
            self.work = 2.0 * d

    def drift_terms(self, P: np.ndarray, AP: np.ndarray | None, ws=None) -> tuple:
        """``(D1, alpha, beta)`` with ``A_D P = alpha D1 + Diag(beta) P`` (``D1 = AP`` for
        structured laws of kinds 0 and 1, else ``A_D P`` itself)."""
        if self.needs_AP:
            return (AP, *_drift_terms(self.A, *self.structure))
        return self.drift(P, ws=ws), 1.0, np.zeros(P.shape[0])

    @property
    def needs_AP(self) -> bool:
        """Whether ``F4`` and ``drift`` share the product ``A @ P``."""
        return self.path == "structured" and self.structure.kind != 2

    def drift(self, P: np.ndarray, AP: np.ndarray | None = None, ws=None) -> np.ndarray:
        """``A_D @ P`` (O(d^2) from ``AP = A @ P`` for structured laws of kinds 0 and 1)."""
        if self.path == "structured":
            return _drift_fast(self.A, P, *self.structure, AP=AP, ws=ws)
        return self.A_D @ P

    def F4(self, P: np.ndarray, AP: np.ndarray | None = None, ws=None) -> np.ndarray:
        """``E[D P D]`` for symmetric ``P`` (``AP = A @ P`` saves a product if given; a
        structured law writes into the workspace ``ws``, else a fresh array)."""
        if self.path == "finite":
            return np.einsum("k,kab,kbc->ac", self.weights, self.D @ P, self.D)
        if self.path == "table":
            return np.einsum("ak,bl,kl,aklb->ab", self.A, self.A, P, self.T4, optimize=True)
        return _f4_fast(self.A, P, *self.structure, AP=AP, ws=ws)

    def F3(self, m: np.ndarray, ws=None) -> np.ndarray:
        if self.path == "finite":
            Dm = self.D @ m
            return np.einsum("k,ka,kb->ab", self.weights, Dm, self.S * self.g)
        if self.path == "table":
            return np.einsum("ak,k,akb->ab", self.A, m, self.T3) * self.g[None, :]
        return _f3_fast(self.A, m, self.g, *self.structure, ws=ws)


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
# The recursion, in error coordinates e = x - x*
#
# With h* = x* - v, every step is e+ = e - eta (D e + U): D = sum_i S_i A_i S_i, and
# U = sum_i grad f_{S_i,i}(x*) = sum_i (S_i g_i + D_i h*), whose mean is 0 (x* is optimal). So
#     m+ = m - eta A m,          A = E[D]
#     P+ = P - eta (A P + P A) + eta^2 (E[D P D] + C(m) + C(m)^T + Sigma),
# C(m) = E[D m U^T], Sigma = E[U U^T]; the quantities are traces of P (no cancellation):
# E||e||^2 = tr P, E f(x) - f^inf = 1/2 tr(H P), E||grad f(x)||^2 = tr(H^2 P).
# Two ways to the expectations: enumeration of the joint atoms (D_k, U_k) -- exact to round-off
# in relative terms, in any floating type -- or the mixed moments of the laws (closed forms, any
# d), where Sigma is assembled from terms that cancel near interpolation.
# ------------------------------------------------------------------------------------------------

#: Largest number of joint atoms the enumeration path sums over.
MAX_ATOMS = 4096
#: Largest ``atoms * d^3`` (flops of one step of the enumeration path) chosen by ``"auto"``.
MAX_ATOM_WORK = 5e7


class _AtomSystem:
    """The joint law of ``(D, U)`` as weighted atoms: exact expectations by enumeration."""

    def __init__(self, weights, D, U, dtype=np.float64):
        self.w = np.asarray(weights, dtype=dtype)
        self.D = np.asarray(D, dtype=dtype)
        self.U = np.asarray(U, dtype=dtype)
        self.A = np.einsum("k,kab->ab", self.w, self.D)
        self.Sigma = np.einsum("k,ka,kb->ab", self.w, self.U, self.U)
        self.bias = float(np.max(np.abs(np.einsum("k,ka->a", self.w, self.U)), initial=0.0))

    @property
    def work(self) -> float:
        """Cost of one step in units of a ``d x d`` matrix product."""
        return 1.0 + 2.0 * self.w.size

    def step(self, m, P, eta):
        """``P - eta (A P + P A) + eta^2 (E[D P D] + C(m) + C(m)^T + Sigma)``, symmetric."""
        AP = self.A @ P
        DP = self.D @ P
        F4 = np.einsum("k,kab,kbc->ac", self.w, DP, self.D)
        C = np.einsum("k,ka,kb->ab", self.w, self.D @ m, self.U)
        if self.A.dtype != np.float64:  # the fused pass is compiled for float64
            P_next = P - eta * (AP + AP.T) + eta**2 * (F4 + C + C.T + self.Sigma)
            return 0.5 * (P_next + P_next.T)
        d = P.shape[0]
        B, N = np.empty((d, d)), np.empty((d, d))
        return _assemble(P, AP, 1.0, np.zeros(d), F4, C, self.Sigma, eta, B, N, np.empty((d, d)))


class _MomentSystem:
    """The same expectations from the laws' mixed moments (closed forms, no enumeration)."""

    def __init__(self, clients, joint_Q, joint_c, h_star):
        self.clients = clients
        self.joint_Q, self.joint_c = joint_Q, joint_c
        self.h = h_star
        self.A = sum(c.A_D for c in clients)
        self.G = sum(c.g for c in clients)
        F4, F3, F2 = self._moments(h_star, np.outer(h_star, h_star))
        self.Sigma = F2 + F3 + F3.T + F4
        self.ws = _Workspace(h_star.size)

    @property
    def work(self) -> float:
        """Cost of one step in units of a ``d x d`` matrix product (cross terms: ``M^2``)."""
        M = len(self.clients)
        if M == 1:
            return self.clients[0].work
        own = sum(c.work for c in self.clients)
        return 1.0 + own + (2.0 + 2.0 * M if self.joint_Q is None else 7.0 * (M + 1))

    def _moments(self, m, P):
        """``E[D P D]``, ``E[D m (sum_j S_j g_j)^T]``, ``E[(sum S_i g_i)(sum S_j g_j)^T]``."""
        clients, d = self.clients, m.size
        F4 = sum(c.F4(P) for c in clients)
        F3 = sum(c.F3(m) for c in clients)
        F2 = sum(c.F2 for c in clients)
        if len(clients) > 1 and self.joint_Q is None:  # independent: cross terms factorise
            ADs = [c.A_D for c in clients]
            F4 = F4 + self.A @ P @ self.A - sum(AD @ P @ AD for AD in ADs)
            F3 = F3 + np.outer(self.A @ m, self.G) - sum(np.outer(c.A_D @ m, c.g) for c in clients)
            F2 = F2 + np.outer(self.G, self.G) - sum(np.outer(c.g, c.g) for c in clients)
        elif len(clients) > 1:  # the pairs i != j: bilinear, so (sum, sum) minus the i = j terms
            Q, cj = self.joint_Q, self.joint_c
            A_all = sum(c.A for c in clients)
            F4 = F4 + _f4_cross_perm_fast(A_all, A_all, P, Q, cj)
            F4 = F4 - sum(_f4_cross_perm_fast(c.A, c.A, P, Q, cj) for c in clients)
            F3 = F3 + _f3_cross_perm_fast(A_all, m, self.G, Q, cj)
            F3 = F3 - sum(_f3_cross_perm_fast(c.A, m, c.g, Q, cj) for c in clients)
            GG = np.outer(self.G, self.G) - sum(np.outer(c.g, c.g) for c in clients)
            F2 = F2 + cj**2 * Q[1, 1] * (GG * (1.0 - np.eye(d)))
        return F4, F3, F2

    def step(self, m, P, eta):
        """``P - eta (A P + P A) + eta^2 (E[D X D] + F3(m) + F3(m)^T + Sigma)`` with
        ``X = P + m h^T + h m^T`` (``E[D X D]`` is linear in ``X``: one evaluation serves the
        second moment and the cross term). One client with a structured law shares ``A @ P``
        between ``E[D X D]`` and the drift ``A_D P``: two ``d x d`` products a step."""
        h, ws = self.h, self.ws
        X = _plus_outers(P, m, h, h, m, ws("X"))
        if len(self.clients) == 1:
            c = self.clients[0]
            AP = np.matmul(c.A, P, out=ws("AP")) if c.needs_AP else None
            AX = None if AP is None else _plus_outers(AP, c.A @ m, h, c.A @ h, m, ws("AX"))
            D1, alpha, beta = c.drift_terms(P, AP, ws)
            F4, F3 = c.F4(X, AX, ws), c.F3(m, ws)
        else:
            D1, alpha, beta = self.A @ P, 1.0, np.zeros(m.size)
            F4, F3, _ = self._moments(m, X)
        out = ws("P0") if P is not ws("P0") else ws("P1")  # P itself may be the other one
        return _assemble(P, D1, alpha, beta, F4, F3, self.Sigma, eta, ws("B"), ws("N"), out)


#: Numpy calls of one recursion step beyond its ``d x d`` products, each costing at least
#: ``SECONDS_PER_PYTHON_STEP`` (measured: 50-550 us a step at d = 2, so this is a lower bound).
CALLS_PER_STEP = 20
#: Passes over ``d x d`` arrays in one step beyond its products, at >= 1 ns an element.
PASSES_PER_STEP = 10


def recursion_seconds(work: float, d: int, n_steps: int, dtype) -> float:
    """Estimated time of ``n_steps`` steps of ``work`` ``d x d`` products (``float64`` BLAS;
    other dtypes run without BLAS, ~50x slower) plus each step's fixed overhead."""
    slow = 1.0 if np.dtype(dtype) == np.float64 else 50.0
    per_step = work * slow * SECONDS_PER_RECURSION_D3 * float(d) ** 3
    per_step += CALLS_PER_STEP * SECONDS_PER_PYTHON_STEP + PASSES_PER_STEP * 1e-9 * float(d) ** 2
    return n_steps * per_step


def _precheck(name: str, d: int, n_steps: int, dtype, n_curves: int = 3) -> None:
    """Refuse at once, before any ``O(d^3)`` set-up, a run whose fixed cost alone (the steps'
    overhead, the recorded curves, the ``d x d`` second moment) exceeds the cost budget."""
    check_cost(
        f"{name}: d = {d}, n_steps = {n_steps}",
        seconds=recursion_seconds(0.0, d, n_steps, dtype),
        nbytes=max(n_curves * (n_steps + 1), float(d) ** 2) * np.dtype(dtype).itemsize,
        hint="Reduce n_steps (the curves hold n_steps + 1 values each).",
    )


def _watch(name, work, d, n_steps, dtype, gamma, limit, on_divergence, stacklevel=4):
    """Check the cost (``mastref.cost_budget``) and return the run's ``RunWatch``."""
    seconds = recursion_seconds(work, d, n_steps, dtype)
    check_cost(
        f"{name}: d = {d}, n_steps = {n_steps}",
        seconds=seconds,
        hint="Reduce n_steps (or use dsgd with n_runs: Monte Carlo costs O(d) a step).",
    )
    return RunWatch(
        name, gamma, n_steps, limit, on_divergence, seconds=seconds, what="expected curve",
        record="expectation", stacklevel=stacklevel,
    )


def _recursion(system, e0, eta, H, n_steps, watch):
    """The error-coordinate recursion; returns ``(curves (3, t+1), E e_t, stopped_at)`` with
    ``t = n_steps``, or the first step whose curves are non-finite."""
    dtype = system.A.dtype
    m = np.asarray(e0, dtype=dtype).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        P = np.outer(m, m)
    H = np.asarray(H, dtype=dtype)
    H2 = H @ H
    A = system.A
    out = np.empty((3, n_steps + 1), dtype=dtype)

    def record(t):
        out[0, t] = np.trace(P)
        out[1, t] = 0.5 * np.vdot(H, P)
        out[2, t] = np.vdot(H2, P)

    with np.errstate(over="ignore", invalid="ignore"):
        record(0)
    if not np.isfinite(out[:, 0]).all():
        raise ValueError(
            "argument 'x0' is too far from the minimiser: E||x_0 - x*||^2 overflows double "
            f"precision (max |x_0 - x*| = {np.max(np.abs(e0)):.3g})"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            P = system.step(m, P, eta)
            m = m - eta * (A @ m)
            record(t + 1)
            watch.tick()
            if not np.isfinite(out[:, t + 1]).all():
                watch.diverged(t + 1)
                return out[:, : t + 2], m, t + 1
    watch.close()
    return out, m, None


def _expectation(out: np.ndarray, mean: np.ndarray, stopped_at=None, **extra) -> Expectation:
    return Expectation(
        steps=np.arange(out.shape[1]),
        dist2=np.asarray(out[0], dtype=float),
        value_gap=np.asarray(out[1], dtype=float),
        grad_norm2=np.asarray(out[2], dtype=float),
        mean=np.asarray(mean, dtype=float),
        stopped_at=stopped_at,
        **extra,
    )


def _client_atoms(A, g, h_star, sketch):
    """``(weights, D_k, U_k)`` of one client's law, or ``None`` if it cannot be enumerated
    (more than ``MAX_ATOMS`` atoms, or more than ``MAX_ATOM_WORK`` flops a step)."""
    if not (sketch.is_diagonal and sketch.has_finite_support):
        return None
    if sketch.support_size > MAX_ATOMS or sketch.support_size * A.shape[0] ** 3 > MAX_ATOM_WORK:
        return None
    S, w = sketch.support()
    D = S[:, :, None] * A[None] * S[:, None, :]
    U = S * (g[None, :] + (S * h_star[None, :]) @ A.T)
    return w, D, U


def _minibatch_atoms(mast: MAST, tau: int, h_star: np.ndarray):
    """``(weights, D, U)`` of the joint law of (sketch, tau-nice batch) for a finite sum of
    quadratics: ``D = S A_B S``, ``U = S (A_B (v + S h*) - b_B)`` for every atom ``S`` of the
    law and every ``tau``-subset ``B`` (weight ``pi_S / C(n, tau)``), with ``A_B``, ``b_B`` the
    batch averages of the per-sample forms ``grad f_i(y) = A_i y - b_i``, read off the
    problem's own ``batch_grad`` (``d + 1`` calls per sample)."""
    problem, sketch, v = mast.problem, mast.sketch, mast.v
    n, d = problem.n_samples, mast.d
    n_batches = math.comb(n, tau)
    if not (sketch.is_diagonal and sketch.has_finite_support):
        raise MissingCapability(
            f"exact expectations with oracle='minibatch' enumerate the joint law of (sketch, "
            f"batch): {sketch!r} has no finite support; use dsgd with n_runs (Monte Carlo)"
        )
    n_atoms = sketch.support_size * n_batches
    if n_atoms > MAX_ATOMS:
        raise MissingCapability(
            f"oracle='minibatch': {sketch.support_size} sketch atoms x C({n}, {tau}) = "
            f"{n_batches} batches = {n_atoms} joint atoms > MAX_ATOMS = {MAX_ATOMS}; use a "
            f"larger batch_size, a smaller problem, or dsgd with n_runs (Monte Carlo)"
        )
    check_cost(
        f"expected_dsgd: per-sample forms of n = {n} samples at d = {d}",
        seconds=n * (d + 1) * TYPICAL_SECONDS_PER_STEP,
        nbytes=8.0 * max(n, n_atoms) * d * d,
        hint="Use a larger batch_size (fewer batches C(n, batch_size)) or a smaller problem.",
    )
    zero = np.zeros(d)
    b_i = np.array([-problem.batch_grad(zero, [i]) for i in range(n)])
    A_i = np.array(
        [[problem.batch_grad(e, [i]) + b_i[i] for e in np.eye(d)] for i in range(n)]
    ).transpose(0, 2, 1)  # column j of A_i is grad f_i(e_j) + b_i
    A, b, _ = problem.quadratic_form()
    scale = max(float(np.abs(A).max()), float(np.abs(b).max()), 1e-300)
    if max(np.abs(A_i.mean(axis=0) - A).max(), np.abs(b_i.mean(axis=0) - b).max()) > 1e-10 * scale:
        raise MissingCapability(
            f"{problem!r}: the per-sample gradients are not affine with mean the problem's "
            "quadratic form; exact minibatch expectations need a finite sum of quadratics"
        )
    batches = np.array(list(itertools.combinations(range(n), tau)))
    A_B = A_i[batches].mean(axis=1)
    b_B = b_i[batches].mean(axis=1)
    g_B = A_B @ v - b_B
    S, w = sketch.support()
    D = S[:, None, :, None] * A_B[None] * S[:, None, None, :]
    U = S[:, None, :] * (g_B[None] + np.einsum("jab,kb->kja", A_B, S * h_star[None, :]))
    weights = np.repeat(w / n_batches, n_batches)
    return weights, D.reshape(-1, d, d), U.reshape(-1, d)


def _product_atoms(parts):
    """Joint atoms of independent clients: every combination, weights multiplied."""
    w, D, U = parts[0]
    for w2, D2, U2 in parts[1:]:
        w = (w[:, None] * w2[None, :]).ravel()
        D = (D[:, None] + D2[None, :]).reshape(-1, *D.shape[1:])
        U = (U[:, None] + U2[None, :]).reshape(-1, U.shape[-1])
    return w, D, U


def _choose_method(method: str, atoms) -> str:
    if method not in ("auto", "atoms", "moments"):
        raise ValueError(f"argument 'method' = {method!r} must be 'auto', 'atoms' or 'moments'")
    if method == "atoms" and atoms is None:
        raise MissingCapability(
            f"method='atoms' needs a joint law with at most MAX_ATOMS = {MAX_ATOMS} atoms"
        )
    if method == "auto":
        return "atoms" if atoms is not None else "moments"
    return method


def expected_dsgd(
    mast: MAST,
    x0,
    gamma: float,
    n_steps: int,
    *,
    oracle: str = "exact",
    batch_size: int | None = None,
    method: str = "auto",
    dtype=np.float64,
    on_divergence: str = "warn",
) -> Expectation:
    """Exact ``E||x_t - x_D*||^2``, ``E f_D(x_t) - f_D^inf``, ``E||grad f_D(x_t)||^2`` of
    Algorithm 1 on a quadratic problem, ``t = 0..n_steps`` (THEORY.md §6).

    ``oracle="exact"`` is Algorithm 1-I. ``oracle="minibatch"`` with ``batch_size = tau`` is
    Algorithm 1-II on a finite sum of quadratics (e.g. ``LeastSquares``), as in ``dsgd``:
    ``g = S grad f_B(v + S(x - v))`` with ``B`` a uniform ``tau``-subset drawn independently
    of ``S``. Its expectations are exact by enumeration of the joint law of (sketch atom,
    batch): at most ``MAX_ATOMS`` joint atoms, ``method`` ``"auto"`` or ``"atoms"``.

    The recursion runs in error coordinates ``e = x - x_D*``, so small values keep their
    relative accuracy however far the shift. ``method="atoms"`` enumerates the law's support
    (finite laws of at most ``MAX_ATOMS`` atoms: exact to round-off, and in any floating
    ``dtype``, e.g. ``np.longdouble`` for a reference); ``"moments"`` uses the mixed moments of
    the law (any ``d``); ``"auto"`` prefers the atoms. The cost, ``O(d^3)`` a step, is estimated
    first and checked against ``mastref.cost_budget``; long runs show a progress bar on a
    terminal. A curve that overflows stops the recursion (``on_divergence``, as in ``dsgd``).

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
    tau = _check_oracle(mast.problem, oracle, batch_size)
    _precheck("expected_dsgd", mast.d, n_steps, dtype)
    A, b, _ = mast.problem.quadratic_form()
    x_star = mast.argmin()
    g, h_star = A @ mast.v - b, x_star - mast.v
    if tau is not None:
        if _choose_method(method, ()) == "moments":
            raise MissingCapability(
                "oracle='minibatch' has no moments path: its expectations enumerate the joint "
                "law of (sketch, batch); use method='auto' or 'atoms'"
            )
        atoms = _minibatch_atoms(mast, tau, h_star)
    else:
        atoms = _client_atoms(A, g, h_star, mast.sketch)
    if _choose_method(method, atoms) == "atoms":
        system = _AtomSystem(*atoms, dtype=dtype)
    else:
        system = _MomentSystem([_ClientTerms(A, g, mast.sketch)], None, 0.0, h_star)
    watch = _watch(
        "expected_dsgd", system.work, mast.d, n_steps, dtype, gamma,
        lambda: ("gamma_max = 1/L_max (Theorem 1)", 1 / mast.L_max), on_divergence,
    )
    out, m, stopped = _recursion(system, x0 - x_star, gamma, mast.A_D, n_steps, watch)
    return _expectation(out, m + x_star, stopped)


def expected_distributed_dsgd(
    problem: DistributedProblem,
    x0,
    gamma: float,
    n_steps: int,
    *,
    method: str = "auto",
    dtype=np.float64,
    on_divergence: str = "warn",
) -> Expectation:
    """Exact curves of Algorithm 4 on quadratic clients (``E||x_t - x_F*||^2``,
    ``E F(x_t) - F^inf``, ``E||grad F(x_t)||^2``): independent client laws, or one joint law
    with a listed support or closed-form cross moments (``JointSketch.cross_moment_table``,
    e.g. a permutation sketch). Error coordinates and the two methods of ``expected_dsgd``.

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
    _precheck("expected_distributed_dsgd", problem.d, n_steps, dtype)
    v, M = problem.v, problem.n_clients
    x_star = problem.argmin()
    h_star = x_star - v
    forms = [c.problem.quadratic_form() for c in problem.clients]
    gs = [A @ v - b for A, b, _ in forms]
    atoms = None
    if problem.joint is not None:
        atoms = _joint_atoms(problem.joint, forms, gs, h_star)
    else:
        parts = [
            _client_atoms(A, g, h_star, c.sketch)
            for (A, _, _), g, c in zip(forms, gs, problem.clients, strict=True)
        ]
        if all(p is not None for p in parts) and np.prod([p[0].size for p in parts]) <= MAX_ATOMS:
            atoms = _product_atoms(parts)
    if _choose_method(method, atoms) == "atoms":
        system = _AtomSystem(*atoms, dtype=dtype)
    else:
        clients = [
            _ClientTerms(A, g, c.sketch)
            for (A, _, _), g, c in zip(forms, gs, problem.clients, strict=True)
        ]
        joint_Q = None if problem.joint is None else problem.joint.cross_moment_table()
        joint_c = 0.0 if problem.joint is None else problem.joint.scale
        system = _MomentSystem(clients, joint_Q, joint_c, h_star)
    watch = _watch(
        "expected_distributed_dsgd", system.work, problem.d, n_steps, dtype, gamma,
        lambda: ("gamma_max = 1/A (Theorem 5)", 1 / problem.A), on_divergence,
    )
    out, m, stopped = _recursion(system, x0 - x_star, gamma / M, problem.A_F, n_steps, watch)
    return _expectation(out, m + x_star, stopped)


def _joint_atoms(joint, forms, gs, h_star):
    """Atoms of a joint law that lists its support of owner assignments, else ``None``."""
    owners = joint.support_owners() if hasattr(joint, "support_owners") else None
    if owners is None or len(owners) > MAX_ATOMS:
        return None
    d, c = joint.d, joint.scale
    w = np.full(len(owners), 1.0 / len(owners))
    D = np.zeros((len(owners), d, d))
    U = np.zeros((len(owners), d))
    for k, owner in enumerate(owners):
        for i, ((A, _, _), g) in enumerate(zip(forms, gs, strict=True)):
            s = c * (owner == i)
            D[k] += s[:, None] * A * s[None, :]
            U[k] += s * (g + A @ (s * h_star))
    return w, D, U


# ------------------------------------------------------------------------------------------------
# Algorithm 3 (L-SVRDSG) on quadratics: the state (x, w, h) is affine in each branch
# ------------------------------------------------------------------------------------------------


def expected_svrdsg(
    mast: MAST,
    x0,
    gamma: float,
    n_steps: int,
    *,
    p: float | None = None,
    b: int | None = None,
    w0=None,
    dtype=np.float64,
    on_divergence: str = "warn",
) -> Expectation:
    """Exact expectations of L-SVRDSG (Algorithm 3) on a quadratic with a finite uniform law.

    In the coordinates ``e = x - x_D*``, ``eps = w - x_D*``, ``r = h - grad f_D(w)``, each branch
    (atom ``k``; refresh or not; reference batch ``B``) is affine:

        e+ = (I - gamma D_k) e + gamma (D_k - A_D) eps - gamma r
        no refresh: eps+ = eps, r+ = r;   refresh: eps+ = e, r+ = (D_B - A_D) e + u_B

    with ``D_k = S_k A S_k``, ``u_k = grad f_{S_k}(x_D*)`` (mean 0) and ``D_B``, ``u_B`` their
    averages over ``B``, a uniform ``b``-subset: ``E_B[(D_B - A_D) X (D_B - A_D)]
    = c_b (1/N) sum_j (D_j - A_D) X (D_j - A_D)``, ``c_b = (N - b)/(b (N - 1))``. So the first
    and second moments of ``(e, eps, r)`` follow exactly (THEORY.md §4, Algorithm 3, §5 Theorem
    4). Start ``w_0 = x_0`` (or the ``w0`` given), ``h_0 = grad f_D(w_0)`` (so ``eps_0 =
    w_0 - x_D*``, ``r_0 = 0``).

    Returns an ``Expectation`` whose ``extra`` holds ``"D"`` (``E D_t``,
    ``D_t = (1/N) sum_k ||grad f_{S_k}(w_t) - grad f_{S_k}(x*)||^2``) and ``"h_error"``
    (``E||h_t - grad f_D(w_t)||^2``), the terms of Theorem 4's Lyapunov functions.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(2, 2, rng=0))
    >>> e = mr.expected_svrdsg(mast, np.zeros(2), 0.1, 200)
    >>> bool(e.dist2[-1] < 1e-10 * e.dist2[0])  # no neighbourhood
    True
    """
    from .algorithms import uniform_atoms

    if not isinstance(mast, MAST) or not mast.has_quadratic_form:
        raise MissingCapability("expected_svrdsg needs a MAST objective of a quadratic problem")
    N = uniform_atoms(mast.sketch)
    if N > MAX_ATOMS:
        raise MissingCapability(f"{mast.sketch!r} has {N} atoms > MAX_ATOMS = {MAX_ATOMS}")
    x0 = check_vector("x0", x0, mast.d)
    w0 = None if w0 is None else check_vector("w0", w0, mast.d)
    gamma = check_real("gamma", gamma, positive=True)
    n_steps = check_int("n_steps", n_steps, 0)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    if p > 1:
        raise ValueError(f"argument 'p' = {p} must lie in (0, 1]")
    b = N if b is None else check_int("b", b, 1, N)
    c_b = 0.0 if N == 1 else (N - b) / (b * (N - 1))
    _precheck("expected_svrdsg", mast.d, n_steps, dtype, n_curves=5)
    A, bvec, _ = mast.problem.quadratic_form()
    x_star = mast.argmin()
    g, h_star = A @ mast.v - bvec, x_star - mast.v
    w, D, U = _client_atoms(A, g, h_star, mast.sketch)
    D, U = np.asarray(D, dtype=dtype), np.asarray(U, dtype=dtype)
    A_D = D.mean(axis=0)
    Dc = D - A_D  # centred atoms
    K = np.einsum("kab,kbc->ac", D, D) / N  # (1/N) sum_k D_k^2, for E D_t
    noise = c_b * np.einsum("ka,kb->ab", U, U) / N
    d = mast.d
    I = np.eye(d, dtype=dtype)
    Z0 = np.zeros((d, d), dtype=dtype)
    E0 = np.block([I, -gamma * A_D, -gamma * I])  # e+ = (E0 + gamma D_k J) Y
    J = np.block([-I, I, Z0])
    R0 = np.block([[Z0, I, Z0], [Z0, Z0, I]])
    R1 = np.block([[I, Z0, Z0], [Z0, Z0, Z0]])  # E_B of the refresh rows
    Et = E0 + gamma * A_D @ J
    Eb = (1 - p) * R0 + p * R1
    e0 = np.asarray(x0 - x_star, dtype=dtype)
    eps0 = e0 if w0 is None else np.asarray(w0 - x_star, dtype=dtype)
    mu = np.concatenate([e0, eps0, np.zeros(d, dtype=dtype)])
    Z = np.outer(mu, mu)
    curves = np.empty((5, n_steps + 1), dtype=dtype)
    A2 = A_D @ A_D
    watch = _watch(
        "expected_svrdsg", 27.0 + 2.0 * N, d, n_steps, dtype, gamma,
        lambda: ("gamma_max = 1/(6 L_max) (Theorem 4)", 1 / (6 * mast.L_max)), on_divergence,
        stacklevel=3,
    )
    stopped = None

    def record(t):
        Pee, Pff, Prr = Z[:d, :d], Z[d : 2 * d, d : 2 * d], Z[2 * d :, 2 * d :]
        curves[:, t] = (
            np.trace(Pee),
            0.5 * np.sum(A_D * Pee),
            np.sum(A2 * Pee),
            np.sum(K * Pff),
            np.trace(Prr),
        )

    record(0)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            JZJ = J @ Z @ J.T
            top = (
                E0 @ Z @ E0.T
                + gamma * (A_D @ J @ Z @ E0.T + E0 @ Z @ J.T @ A_D)
                + gamma**2 * np.einsum("kab,bc,kcd->ad", D, JZJ, D) / N
            )
            cross = Et @ Z @ Eb.T
            bottom = (1 - p) * (R0 @ Z @ R0.T)
            Pee, me = Z[:d, :d], mu[:d]
            Dm = Dc @ me
            rr = c_b * np.einsum("kab,bc,kdc->ad", Dc, Pee, Dc) / N
            rr = rr + c_b * (np.einsum("ka,kb->ab", Dm, U) + np.einsum("ka,kb->ab", U, Dm)) / N
            bottom[:d, :d] += p * Pee
            bottom[d:, d:] += p * (rr + noise)
            Z = np.block([[top, cross], [cross.T, bottom]])
            Z = 0.5 * (Z + Z.T)
            mu = np.concatenate([Et @ mu, Eb @ mu])
            record(t + 1)
            watch.tick()
            if not np.isfinite(curves[:, t + 1]).all():
                watch.diverged(t + 1)
                stopped = t + 1
                curves = curves[:, : t + 2]
                break
        else:
            watch.close()
    extra = {"D": np.asarray(curves[3], dtype=float), "h_error": np.asarray(curves[4], float)}
    return _expectation(curves[:3], mu[:d] + x_star, stopped, extra=extra)
