"""Random keep-sets with fixed scales: ``Bernoulli``, ``RandomSubset``, ``RandK`` (THEORY.md §1).

Both families have finite supports (``2^r`` masks, all subsets of the admissible sizes), closed
forms for every constant and mixed moments that depend only on which indices coincide
(``moment_structure``), which the exact recursion of §6 uses.
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from .._kernels import floyd_subsets
from .._validation import (
    as_generator,
    check_int,
    check_real,
    check_sketch_entries,
    check_vector,
    ndim_of,
)
from .base import (
    MAX_SUPPORT,
    DiagonalSketch,
    MomentStructure,
    check_n_samples,
    check_pair_block,
    count_str,
)

#: ``support_size`` is exact up to this many bits and ``math.inf`` beyond (never enumerable).
MAX_COUNT_BITS = 20000


def log2_comb(n: int, k: int) -> float:
    """``log2 C(n, k)`` in floating point (``math.lgamma``; no big integers)."""
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def inclusion_probability(d: int, k: int, u: int) -> float:
    """``P(U subset of C) = C(d-u, k-u)/C(d, k) = prod_{t<u} (k-t)/(d-t)`` for ``|U| = u`` and a
    uniform ``k``-subset ``C`` of ``[d]``: a product of ``u`` ratios, exact for small ``d`` up to
    rounding and free of overflow for any ``d``.

    Examples
    --------
    >>> from mastref.sketches.subsets import inclusion_probability
    >>> inclusion_probability(10000, 1000, 2)  # (1000 * 999) / (10000 * 9999)
    0.00999099909990999
    """
    if u > k:
        return 0.0
    out = 1.0
    for t in range(u):
        out *= (k - t) / (d - t)
    return out


class Bernoulli(DiagonalSketch):
    """Independent keep-or-drop: ``s_j = c_j / p_j``, ``c_j ~ Bern(p_j)`` (THEORY.md §1).

    Closed forms: ``L_S_max = 1/p_min^2``, ``L_D = 1/p_min``, ``mu_D = 1/p_max``,
    ``E[s_i s_j] = 1`` (i != j), ``E[s_j^2] = 1/p_j``,
    ``E[prod_j s_j^{m_j}] = prod_{j: m_j > 0} p_j^{1 - m_j}``. With ``v = 0`` this is weight-level
    dropout with inverse scaling (THEORY.md §4).

    Parameters
    ----------
    d : int, optional
        The dimension (first, as in ``RandK(d, k)`` and every other law); it may be left out when
        ``p`` is given per coordinate (``Bernoulli(p=[...])``).
    p : float or array_like
        Keep probabilities in ``(0, 1]``: one for all coordinates or one per coordinate.

    Raises
    ------
    TypeError
        ``d`` that is not an integer (the order before 0.3 was ``Bernoulli(p, d)``), or no ``p``.
    ValueError
        A probability outside ``(0, 1]`` or a length that disagrees with ``d``.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.Bernoulli(4, 0.5)
    >>> law.L_D, law.mu_D, law.L_S_max
    (2.0, 2.0, 4.0)
    >>> law.moment([2, 1, 0, 0])  # E[s_1^2 s_2] = p^{-1} p^0
    2.0
    """

    def __init__(self, d: int | None = None, p=None):
        if p is None:
            raise TypeError("Bernoulli(d, p) needs the keep probabilities 'p'")
        if d is not None and (
            isinstance(d, bool) or not isinstance(d, numbers.Integral | np.integer)
        ):
            raise TypeError(
                f"argument 'd' = {d!r} must be the dimension, a positive int: the signature is "
                "Bernoulli(d, p), dimension first as in RandK(d, k) (before 0.3 it was "
                "Bernoulli(p, d)); per-coordinate probabilities alone go as Bernoulli(p=[...])"
            )
        if ndim_of("p", p) == 0:
            if d is None:
                raise TypeError("Bernoulli with a scalar 'p' needs the dimension 'd'")
            d = check_int("d", d, 1)
            p = np.full(d, check_real("p", p))
        p = check_vector("p", p)
        if d is not None and p.size != d:
            raise ValueError(f"argument 'p' has length {p.size}, but d = {d}")
        if p.size == 0:
            raise ValueError("argument 'p' must not be empty")
        if np.any(p <= 0) or np.any(p > 1):
            bad = p[(p <= 0) | (p > 1)][0]
            raise ValueError(
                f"argument 'p' has entry {float(bad)}; keep probabilities must lie in (0, 1]"
            )
        check_sketch_entries("p", 1.0 / float(p.min()))
        self.p = p
        self.d = p.size

    def pair_moments(self, idx=None) -> np.ndarray:
        idx = check_pair_block(self, idx)
        p = self.p if idx is None else self.p[idx]
        P = np.ones((p.size, p.size))
        np.fill_diagonal(P, 1.0 / p)
        return P

    def second_moment_diag(self) -> np.ndarray:
        return 1.0 / self.p

    def sandwich(self, A) -> np.ndarray:
        """``E[S A S] = A + Diag((1/p_j - 1) A_jj)`` (THEORY.md §1), without ``E[s s^T]``."""
        A = self._check_square("A", A)
        out = A.copy()
        out[np.diag_indices(self.d)] += (1.0 / self.p - 1.0) * np.diag(A)
        return out

    @property
    def L_S_max(self) -> float:
        return 1.0 / float(np.min(self.p)) ** 2

    def moment(self, multi_index) -> float:
        m = self._check_multi_index(multi_index)
        on = m > 0
        return float(np.prod(self.p[on] ** (1.0 - m[on])))

    def moment_structure(self) -> MomentStructure:
        return MomentStructure(0, 1.0 / self.p, np.zeros(5), 1.0)

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        keep = as_generator(rng).random(self.d) < self.p
        return np.where(keep, 1.0 / self.p, 0.0)

    def sample_supports(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_samples = check_n_samples(n_samples)
        keep = as_generator(rng).random((n_samples, self.d)) < self.p
        rows, idx = np.nonzero(keep)
        ptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_samples))))
        return ptr.astype(np.int64), idx.astype(np.int64), 1.0 / self.p[idx]

    @property
    def support_size(self) -> int:
        return 2 ** int(np.sum(self.p < 1.0))

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2^r`` keep masks of the ``r`` coordinates with ``p_j < 1``."""
        if self.support_size > MAX_SUPPORT:
            raise ValueError(
                f"support of {count_str(self.support_size)} atoms exceeds MAX_SUPPORT = "
                f"{MAX_SUPPORT}"
            )
        random = np.flatnonzero(self.p < 1.0)
        masks = np.array(list(itertools.product((0, 1), repeat=random.size)), dtype=bool)
        masks = masks.reshape(2**random.size, random.size)  # r = 0: one atom, the identity
        keep = np.ones((masks.shape[0], self.d), dtype=bool)
        keep[:, random] = masks
        samples = np.where(keep, 1.0 / self.p, 0.0)
        pr = self.p[random]
        weights = np.prod(np.where(masks, pr, 1.0 - pr), axis=1)
        return samples, weights

    def __repr__(self) -> str:
        if np.all(self.p == self.p[0]):
            return f"Bernoulli(d={self.d}, p={self.p[0]:g})"
        return f"Bernoulli(d={self.d}, p=<{self.d} keep probabilities>)"


class RandomSubset(DiagonalSketch):
    """``s = c 1_C``: ``|C| = k_r`` with probability ``q_r``, then ``C`` uniform of that size.

    Unbiased iff ``c E|C| = d``. RandK is ``|C| = K``, ``c = d/K``; each client of a permutation
    sketch sees such a law with sizes ``floor(d/M)``, ``ceil(d/M)`` and ``c = M``.
    Closed forms (THEORY.md §1): ``E[s_j^2] = c``, ``E[s_i s_j] = c^2 E[|C|(|C|-1)]/(d(d-1))``,
    ``E[prod_j s_j^{m_j}] = c^{sum m} sum_r q_r C(d-u, k_r-u)/C(d, k_r)``, ``u = #{m_j > 0}``.

    Parameters
    ----------
    d : int
        Dimension.
    sizes : sequence of int
        The possible sizes ``k_r`` of ``C``, in ``[0, d]``.
    size_probs : sequence of float
        Their probabilities ``q_r`` (nonnegative, summing to 1).
    scale : float
        The scale ``c > 0``.

    Raises
    ------
    ValueError
        Sizes outside ``[0, d]``, probabilities that are not a probability vector, or a biased
        law (``c E|C| != d``).

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.RandomSubset(4, [1, 3], [0.5, 0.5], 2.0)  # E|C| = 2, c = 2
    >>> law.L_D, law.L_S_max
    (2.0, 4.0)
    """

    def __init__(self, d: int, sizes, size_probs, scale: float):
        self.d = check_int("d", d, 1)
        sizes = np.asarray(sizes)
        if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer):
            raise ValueError(f"argument 'sizes' = {sizes!r} must be a non-empty list of integers")
        if sizes.min() < 0 or sizes.max() > self.d:
            raise ValueError(f"argument 'sizes' = {sizes.tolist()} must lie in [0, d = {d}]")
        probs = check_vector("size_probs", size_probs, sizes.size)
        if np.any(probs < 0) or abs(probs.sum() - 1.0) > 1e-12:
            raise ValueError(
                f"argument 'size_probs' = {probs.tolist()} must be nonnegative and sum to 1"
            )
        self._sizes = sizes.astype(np.int64)
        self._size_probs = probs
        self.scale = check_real("scale", scale, positive=True)
        check_sketch_entries("scale", self.scale)
        mean_size = float(self._size_probs @ self._sizes)
        if abs(self.scale * mean_size / self.d - 1.0) > 1e-12:
            raise ValueError(
                f"argument 'scale' = {scale} times E|C| = {mean_size} must equal d = {d}: "
                "otherwise the law is biased (E[S] != I)"
            )

    def _pair_offdiag(self) -> float:
        if self.d == 1:
            return 0.0
        ek = float(self._size_probs @ (self._sizes * (self._sizes - 1)))
        return self.scale**2 * ek / (self.d * (self.d - 1))

    def pair_moments(self, idx=None) -> np.ndarray:
        idx = check_pair_block(self, idx)
        m = self.d if idx is None else idx.size
        P = np.full((m, m), self._pair_offdiag())
        np.fill_diagonal(P, self.scale)
        return P

    def sandwich(self, A) -> np.ndarray:
        """``E[S A S] = c A + (E[s_j^2] - c) Diag(A)``, ``c = E[s_i s_j]`` (THEORY.md §1)."""
        A = self._check_square("A", A)
        c = self._pair_offdiag()
        out = c * A
        out[np.diag_indices(self.d)] += (self.scale - c) * np.diag(A)
        return out

    def second_moment_diag(self) -> np.ndarray:
        return np.full(self.d, self.scale)

    @property
    def L_S_max(self) -> float:
        return self.scale**2 if np.any(self._sizes[self._size_probs > 0] > 0) else 0.0

    def moment(self, multi_index) -> float:
        m = self._check_multi_index(multi_index)
        return float(self.scale ** int(m.sum()) * self._inclusion(int(np.count_nonzero(m))))

    def _inclusion(self, u: int) -> float:
        """``P(U subset of C)`` for a fixed set ``U`` of ``u`` coordinates."""
        return float(
            sum(
                q * inclusion_probability(self.d, int(k), u)
                for k, q in zip(self._sizes, self._size_probs, strict=True)
            )
        )

    def moment_structure(self) -> MomentStructure:
        unit = np.arange(self.d)
        qtab = np.array(  # E[s_1 ... s_u] / c^u, as the §6 recursion has always computed it
            [
                self.moment((unit < u).astype(np.int64)) / self.scale**u if u <= self.d else 0.0
                for u in range(5)
            ]
        )
        return MomentStructure(1, np.ones(self.d), qtab, self.scale)

    def sample_support(self, rng=None) -> tuple[np.ndarray, np.ndarray]:
        rng = as_generator(rng)
        k = self._sizes[0] if self._sizes.size == 1 else rng.choice(self._sizes, p=self._size_probs)
        idx = rng.choice(self.d, size=int(k), replace=False).astype(np.int64)
        return idx, np.full(idx.size, self.scale)

    def sample_supports(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_samples = check_n_samples(n_samples)
        rng = as_generator(rng)
        if self._sizes.size == 1:
            sizes = np.full(n_samples, self._sizes[0], dtype=np.int64)
        else:
            sizes = rng.choice(self._sizes, size=n_samples, p=self._size_probs).astype(np.int64)
        u = rng.random((n_samples, int(self._sizes.max())))
        ptr, idx = floyd_subsets(self.d, sizes, u)
        return ptr, idx, np.full(idx.size, self.scale)

    @property
    def support_size(self) -> int | float:
        """``sum_r C(d, k_r)`` over sizes of positive probability: exact up to
        ``2^MAX_COUNT_BITS``, ``math.inf`` beyond (decided in log space, no big integers)."""
        sizes = [int(k) for k, q in zip(self._sizes, self._size_probs, strict=True) if q > 0]
        if max(log2_comb(self.d, k) for k in sizes) > MAX_COUNT_BITS:
            return math.inf
        return sum(math.comb(self.d, k) for k in sizes)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Every subset of every size, each with weight ``q_r / C(d, k_r)``."""
        if self.support_size > MAX_SUPPORT:
            raise ValueError(
                f"support of {count_str(self.support_size)} atoms exceeds MAX_SUPPORT = "
                f"{MAX_SUPPORT}"
            )
        rows, weights = [], []
        for k, q in zip(self._sizes, self._size_probs, strict=True):
            if q <= 0:
                continue
            w = q / math.comb(self.d, int(k))
            for C in itertools.combinations(range(self.d), int(k)):
                s = np.zeros(self.d)
                s[list(C)] = self.scale
                rows.append(s)
                weights.append(w)
        return np.array(rows), np.array(weights)

    def __repr__(self) -> str:
        return f"RandomSubset(d={self.d}, sizes={self._sizes.tolist()}, scale={self.scale:g})"


class RandK(RandomSubset):
    """Uniform ``K``-subset ``C``, ``s = (d/K) 1_C`` (THEORY.md §1).

    ``L_S = L_S_max = (d/K)^2``, ``L_D = mu_D = d/K``, ``E[s_i s_j] = d(K-1)/(K(d-1))`` (i != j).

    Parameters
    ----------
    d : int
        Dimension.
    k : int
        Coordinates kept, ``1 <= k <= d``.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.RandK(5, 2)
    >>> law.L_D, law.L_S_max, law.support_size
    (2.5, 6.25, 10)
    """

    def __init__(self, d: int, k: int):
        d = check_int("d", d, 1)
        self.k = check_int("k", k, 1, d)
        super().__init__(d, [self.k], [1.0], d / self.k)

    def __repr__(self) -> str:
        return f"RandK(d={self.d}, k={self.k})"
