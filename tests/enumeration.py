"""Independent enumeration of finite sketch laws, written from the definitions in THEORY.md §1.

Nothing here calls the closed forms or ``support()`` of mastref: the atoms and weights are built
from the verbal definition of each family, so that agreement is evidence, not tautology.
"""

from __future__ import annotations

import itertools

import numpy as np


def bernoulli_atoms(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All keep masks c in {0,1}^d with probability prod p^c (1-p)^(1-c); s = c / p."""
    rows, weights = [], []
    for c in itertools.product((0, 1), repeat=p.size):
        c = np.array(c, dtype=float)
        w = float(np.prod(np.where(c == 1, p, 1 - p)))
        if w > 0:
            rows.append(c / p)
            weights.append(w)
    return np.array(rows), np.array(weights)


def randk_atoms(d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every k-subset C with probability 1/C(d,k); s = (d/k) 1_C."""
    subsets = list(itertools.combinations(range(d), k))
    rows = np.zeros((len(subsets), d))
    for r, C in enumerate(subsets):
        rows[r, list(C)] = d / k
    return rows, np.full(len(subsets), 1.0 / len(subsets))


def partition_atoms(blocks: list, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Block b with probability 1/B; s = B 1_{P_b}."""
    B = len(blocks)
    rows = np.zeros((B, d))
    for r, block in enumerate(blocks):
        rows[r, list(block)] = B
    return rows, np.full(B, 1.0 / B)


def balanced_assignments(d: int, M: int):
    """All maps owner: [d] -> [M] whose block sizes are the balanced ones (floor/ceil of d/M)."""
    q, r = divmod(d, M)
    target = sorted([q + 1] * r + [q] * (M - r))
    for owner in itertools.product(range(M), repeat=d):
        counts = sorted(np.bincount(owner, minlength=M).tolist())
        if counts == target:
            yield np.array(owner)


def moments_of(rows: np.ndarray, weights: np.ndarray) -> dict:
    """E[s], E[s s^T], E[L_S], ess sup L_S and E[s_j^2] of a finite law."""
    return {
        "mean": weights @ rows,
        "pair": (rows.T * weights) @ rows,
        "E_L_S": float(weights @ np.max(rows**2, axis=1)),
        "L_S_max": float(np.max(rows**2)),
        "second": weights @ rows**2,
    }


def sandwich_of(rows: np.ndarray, weights: np.ndarray, A: np.ndarray) -> np.ndarray:
    """sum_k w_k Diag(s_k) A Diag(s_k)."""
    return sum(w * (s[:, None] * A * s[None, :]) for s, w in zip(rows, weights, strict=True))


def mixed_moment_of(rows: np.ndarray, weights: np.ndarray, m: np.ndarray) -> float:
    """sum_k w_k prod_j (s_k)_j^{m_j}."""
    return float(sum(w * np.prod(s**m) for s, w in zip(rows, weights, strict=True)))


def random_subset_atoms(d: int, sizes, probs, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """|C| = k_r with probability q_r, then C uniform among the k_r-subsets; s = scale 1_C."""
    rows, weights = [], []
    for k, q in zip(sizes, probs, strict=True):
        subsets = list(itertools.combinations(range(d), k))
        for C in subsets:
            s = np.zeros(d)
            s[list(C)] = scale
            rows.append(s)
            weights.append(q / len(subsets))
    return np.array(rows), np.array(weights)


def permutation_joint_atoms(d: int, M: int) -> tuple[np.ndarray, np.ndarray]:
    """Joint atoms (n, M, d) of a permutation sketch: each balanced assignment equally likely,
    client i keeps its own coordinates with scale M."""
    owners = list(balanced_assignments(d, M))
    rows = np.array([[M * (o == i) for i in range(M)] for o in owners], dtype=float)
    return rows, np.full(len(owners), 1.0 / len(owners))


def independent_joint_atoms(laws: list) -> tuple[np.ndarray, np.ndarray]:
    """Joint atoms (n, M, d) of independent clients from each client's (rows, weights)."""
    rows, weights = [], []
    for combo in itertools.product(*[range(len(w)) for _, w in laws]):
        rows.append([laws[i][0][k] for i, k in enumerate(combo)])
        weights.append(float(np.prod([laws[i][1][k] for i, k in enumerate(combo)])))
    return np.array(rows), np.array(weights)


def exact_curves(As, bs, v, rows, weights, x0, gamma, T) -> np.ndarray:
    """(3, T+1): E||x_t - x*||^2, E F(x_t) - F^inf, E||grad F(x_t)||^2 of Algorithm 4 (one client:
    Algorithm 1-I) for quadratic clients f_i = 1/2 x^T A_i x - b_i^T x, by the exact recursion of
    the augmented second moment over the joint atoms ``rows`` (n, M, d).

    In error coordinates e = x - x*, a draw is the affine map e+ = (I - (gamma/M) D) e
    - (gamma/M) U with D = sum_i S_i A_i S_i and U = sum_i S_i (A_i (v + S_i (x* - v)) - b_i);
    E[(e, 1)(e, 1)^T] is pushed through the weighted sum of these maps.
    """
    M, d = rows.shape[1], rows.shape[2]
    Ds = np.array(
        [sum(s[:, None] * A * s[None, :] for s, A in zip(S, As, strict=True)) for S in rows]
    )
    A_F = np.einsum("k,kab->ab", weights, Ds) / M
    grad_v = sum(A @ v - b for A, b in zip(As, bs, strict=True)) / M  # E[S] = I per client
    x_star = v - np.linalg.solve(A_F, grad_v)
    h = x_star - v
    Us = np.array(
        [sum(s * (A @ (v + s * h) - b) for s, A, b in zip(S, As, bs, strict=True)) for S in rows]
    )
    maps = np.zeros((len(weights), d + 1, d + 1))
    maps[:, :d, :d] = np.eye(d) - gamma / M * Ds
    maps[:, :d, d] = -gamma / M * Us
    maps[:, d, d] = 1.0
    z = np.append(x0 - x_star, 1.0)
    Z = np.outer(z, z)
    out = np.empty((3, T + 1))
    for t in range(T + 1):
        E = Z[:d, :d]
        out[:, t] = np.trace(E), 0.5 * np.sum(A_F * E), np.sum((A_F @ A_F) * E)
        Z = np.einsum("k,kab,bc,kdc->ad", weights, maps, Z, maps)
    return out
