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
