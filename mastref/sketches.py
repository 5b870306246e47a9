"""Sketch laws ``D`` with ``E[S] = I`` and their exact constants (THEORY.md §0-§1).

Notation (THEORY.md §0): ``L_S = lambda_max(S^T S)`` and ``mu_S = lambda_min(S^T S)`` per sample,
``L_S_max = ess sup L_S``, ``L_D = lambda_max(E[S^T S])``, ``mu_D = lambda_min(E[S^T S])``.

Diagonal sketches ``S = Diag(s)`` are represented by their scale vector ``s``. For them everything
follows from the pair moments ``E[s_i s_j]``: ``E[S^T S] = Diag(E[s_j^2])`` and
``E[S^T A S]_{ij} = A_{ij} E[s_i s_j]`` (THEORY.md §1, "Sandwich").
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod

import numpy as np
from numba import njit

from ._validation import as_generator, check_array, check_int, check_real, check_vector

#: Largest support that ``support()`` will enumerate (2^20 Bernoulli masks, say).
MAX_SUPPORT = 1 << 20

_UNBIASED_RTOL = 1e-12


@njit(cache=True)
def _floyd_subsets(d, sizes, u):
    """Uniform subsets of ``[d]`` of the given sizes by Floyd's algorithm, O(size) each.

    ``u``: ``(n, max size)`` uniforms on [0, 1); row ``r`` draws a ``sizes[r]``-subset.
    Returns the CSR pair ``(ptr, idx)``.
    """
    n = sizes.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        ptr[r + 1] = ptr[r] + sizes[r]
    idx = np.empty(ptr[n], dtype=np.int64)
    mark = np.zeros(d, dtype=np.bool_)
    for r in range(n):
        k = sizes[r]
        base = ptr[r]
        c = 0
        for j in range(d - k, d):
            t = min(int(u[r, c] * (j + 1)), j)
            if mark[t]:
                t = j
            mark[t] = True
            idx[base + c] = t
            c += 1
        for c in range(k):
            mark[idx[base + c]] = False
    return ptr, idx


def supports_from_pairs(pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR layout ``(ptr, idx, sc)`` from a list of ``(indices, scales)`` pairs."""
    lengths = np.array([len(i) for i, _ in pairs], dtype=np.int64)
    ptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    if not pairs or ptr[-1] == 0:
        return ptr, np.zeros(0, dtype=np.int64), np.zeros(0)
    idx = np.concatenate([i for i, _ in pairs]).astype(np.int64)
    sc = np.concatenate([c for _, c in pairs]).astype(np.float64)
    return ptr, idx, sc


def gather_supports(atoms, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR rows ``which`` of the CSR triple ``atoms``."""
    a_ptr, a_idx, a_sc = atoms
    lengths = a_ptr[which + 1] - a_ptr[which]
    ptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    pos = np.arange(ptr[-1]) - np.repeat(ptr[:-1], lengths) + np.repeat(a_ptr[which], lengths)
    return ptr, a_idx[pos], a_sc[pos]


class Sketch(ABC):
    """A law ``D`` of random ``d x d`` matrices with ``E[S] = I`` (Assumption A1, THEORY.md §0)."""

    d: int
    is_diagonal: bool = False
    #: ``True`` when the law has finitely many atoms that ``support()`` can list.
    has_finite_support: bool = False

    @property
    @abstractmethod
    def L_D(self) -> float:
        """``lambda_max(E[S^T S])``."""

    @property
    @abstractmethod
    def mu_D(self) -> float:
        """``lambda_min(E[S^T S])``."""

    @property
    @abstractmethod
    def L_S_max(self) -> float:
        """``ess sup lambda_max(S^T S)``; ``inf`` when unbounded."""

    @abstractmethod
    def second_moment(self) -> np.ndarray:
        """``E[S^T S]`` as a dense ``d x d`` array."""

    @abstractmethod
    def sandwich(self, A) -> np.ndarray:
        """``E[S^T A S]`` for a ``d x d`` matrix ``A``."""

    @abstractmethod
    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        """One draw: the scale vector ``s`` (diagonal laws) or the ``d x d`` matrix ``S``."""

    @abstractmethod
    def L_S(self, sample) -> float:
        """``lambda_max(S^T S)`` of one sample."""

    @abstractmethod
    def mu_S(self, sample) -> float:
        """``lambda_min(S^T S)`` of one sample."""

    @property
    def kappa_D(self) -> float:
        """``L_D / mu_D``."""
        return self.L_D / self.mu_D

    @property
    def support_size(self) -> int | None:
        """Number of atoms of a finite-support law, ``None`` otherwise."""
        return None

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """``(samples, weights)`` of a finite-support law; samples ``(N, d)``, weights sum to 1."""
        raise ValueError(f"{type(self).__name__} has no finite support to enumerate")

    def _check_square(self, name: str, A) -> np.ndarray:
        return check_array(name, A, 2, (self.d, self.d))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d})"


class DiagonalSketch(Sketch):
    """``S = Diag(s)``; subclasses give the pair moments ``E[s s^T]`` in closed form."""

    is_diagonal = True

    @abstractmethod
    def pair_moments(self) -> np.ndarray:
        """``E[s s^T]`` (``d x d``): ``E[s_i s_j]`` off the diagonal and ``E[s_j^2]`` on it."""

    @abstractmethod
    def moment(self, multi_index) -> float:
        """Mixed moment ``E[prod_j s_j^{m_j}]`` for ``d`` integers ``m_j >= 0``."""

    def second_moment_diag(self) -> np.ndarray:
        """``E[s_j^2]`` for each coordinate (the diagonal of ``E[S^T S]``)."""
        return np.diag(self.pair_moments()).copy()

    @property
    def L_D(self) -> float:
        return float(np.max(self.second_moment_diag()))

    @property
    def mu_D(self) -> float:
        return float(np.min(self.second_moment_diag()))

    def second_moment(self) -> np.ndarray:
        return np.diag(self.second_moment_diag())

    def sandwich(self, A) -> np.ndarray:
        """``E[S A S] = A * E[s s^T]`` entrywise (THEORY.md §1)."""
        return self._check_square("A", A) * self.pair_moments()

    def L_S(self, sample) -> float:
        """``max_j s_j^2`` (0 when every coordinate is dropped)."""
        s = check_vector("sample", sample, self.d)
        return float(np.max(s * s))

    def mu_S(self, sample) -> float:
        """``min_j s_j^2`` (0 whenever a coordinate is dropped)."""
        s = check_vector("sample", sample, self.d)
        return float(np.min(s * s))

    def sample_support(
        self, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One draw as ``(indices, scales)`` of its nonzero coordinates (for the kernels)."""
        s = self.sample(rng)
        idx = np.flatnonzero(s)
        return idx.astype(np.int64), s[idx]

    def sample_supports(
        self, rng: int | np.random.Generator | None, n_draws: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n_draws`` independent draws in CSR layout ``(ptr, idx, sc)``.

        Draw ``r`` keeps coordinates ``idx[ptr[r]:ptr[r+1]]``, scales ``sc[ptr[r]:ptr[r+1]]``.
        Subclasses vectorise this; the algorithms advance all runs from it in one kernel call.
        """
        rng = as_generator(rng)
        return supports_from_pairs([self.sample_support(rng) for _ in range(n_draws)])

    def _check_multi_index(self, multi_index) -> np.ndarray:
        m = np.asarray(multi_index)
        if m.shape != (self.d,) or not np.issubdtype(m.dtype, np.integer) or np.any(m < 0):
            raise ValueError(
                f"argument 'multi_index' must be {self.d} nonnegative integers; got {multi_index!r}"
            )
        return m.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Finite support: Identity, FiniteSketch, Partition
# --------------------------------------------------------------------------------------------


class FiniteSketch(DiagonalSketch):
    """A diagonal law with finitely many atoms ``s^(k)`` and weights ``pi_k`` (THEORY.md §1).

    Requires ``pi_k > 0``, ``sum_k pi_k = 1`` and unbiasedness ``sum_k pi_k s^(k) = 1``.
    ``weights=None`` means uniform weights.
    """

    has_finite_support = True

    def __init__(self, diagonals, weights=None):
        samples = check_array("diagonals", diagonals, 2)
        n_atoms, d = samples.shape
        if n_atoms == 0 or d == 0:
            raise ValueError(
                f"argument 'diagonals' has shape {samples.shape}; it must be non-empty"
            )
        if weights is None:
            w = np.full(n_atoms, 1.0 / n_atoms)
        else:
            w = check_vector("weights", weights, n_atoms)
            if np.any(w <= 0):
                raise ValueError(f"argument 'weights' must be > 0; got min {w.min():.3g}")
            if abs(w.sum() - 1.0) > 1e-12:
                raise ValueError(f"argument 'weights' must sum to 1; got {w.sum()!r}")
        mean = w @ samples
        err = float(np.max(np.abs(mean - 1.0)))
        if err > _UNBIASED_RTOL * max(1.0, float(np.max(np.abs(samples)))):
            raise ValueError(
                "argument 'diagonals' is not unbiased: sum_k weights_k * diagonals_k must be 1 "
                f"in every coordinate; max deviation {err:.3g}"
            )
        self.d = d
        self._samples = samples
        self._weights = w
        self._atoms = supports_from_pairs(
            [(np.flatnonzero(row), row[np.flatnonzero(row)]) for row in samples]
        )

    @property
    def support_size(self) -> int:
        return self._samples.shape[0]

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        return self._samples.copy(), self._weights.copy()

    def pair_moments(self) -> np.ndarray:
        """``sum_k pi_k s^(k) s^(k)^T``."""
        return (self._samples.T * self._weights) @ self._samples

    def second_moment_diag(self) -> np.ndarray:
        return self._weights @ (self._samples * self._samples)

    @property
    def L_S_max(self) -> float:
        """``max_k max_j (s_j^(k))^2``."""
        return float(np.max(self._samples * self._samples))

    def moment(self, multi_index) -> float:
        """``sum_k pi_k prod_j (s_j^(k))^{m_j}``."""
        m = self._check_multi_index(multi_index)
        on = m > 0
        return float(self._weights @ np.prod(self._samples[:, on] ** m[on], axis=1))

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        k = as_generator(rng).choice(self.support_size, p=self._weights)
        return self._samples[k].copy()

    def atom_supports(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The atoms' supports in CSR layout ``(ptr, idx, sc)`` (row ``k`` is atom ``k``)."""
        return tuple(a.copy() for a in self._atoms)

    def sample_supports(self, rng, n_draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        atoms = as_generator(rng).choice(self.support_size, size=n_draws, p=self._weights)
        return gather_supports(self._atoms, atoms)

    def __repr__(self) -> str:
        return f"FiniteSketch(d={self.d}, n_atoms={self.support_size})"


class Identity(FiniteSketch):
    """``S = I`` (no sparsification): every constant equals 1."""

    def __init__(self, d: int):
        super().__init__(np.ones((1, check_int("d", d, 1))))

    def __repr__(self) -> str:
        return f"Identity(d={self.d})"


class Partition(FiniteSketch):
    """Uniform choice of one block of a fixed partition ``P_1..P_B`` of ``[d]``, ``s = B 1_{P_b}``.

    Either ``Partition(d, n_blocks, seed)`` draws a random balanced partition (block sizes differ by
    at most one) once, at construction, or ``Partition(blocks=[...])`` takes the blocks as given.
    Closed forms (THEORY.md §1): ``L_S = L_S_max = B^2``, ``L_D = mu_D = B``,
    ``E[s_i s_j] = B`` if ``i, j`` share a block, else 0.
    """

    def __init__(
        self,
        d: int | None = None,
        n_blocks: int | None = None,
        seed: int | np.random.Generator | None = None,
        *,
        blocks=None,
    ):
        if blocks is None:
            if d is None or n_blocks is None:
                raise TypeError("Partition needs either (d, n_blocks[, seed]) or blocks=[...]")
            d = check_int("d", d, 1)
            n_blocks = check_int("n_blocks", n_blocks, 1, d)
            perm = as_generator(seed).permutation(d)
            blocks = [np.sort(perm[b::n_blocks]) for b in range(n_blocks)]
        else:
            if n_blocks is not None:
                raise TypeError("give either n_blocks or blocks, not both")
            blocks = [np.asarray(b) for b in blocks]
            if not blocks or any(b.ndim != 1 or b.size == 0 for b in blocks):
                raise ValueError(
                    "argument 'blocks' must be a non-empty list of non-empty 1-d lists"
                )
            if any(not np.issubdtype(b.dtype, np.integer) for b in blocks):
                raise TypeError("argument 'blocks' must hold integer coordinate indices")
            flat = np.concatenate(blocks)
            d_blocks = int(flat.max()) + 1 if flat.min() >= 0 else -1
            if d is not None and d_blocks != check_int("d", d, 1):
                raise ValueError(f"argument 'blocks' covers {d_blocks} coordinates, but d = {d}")
            if flat.min() < 0 or np.sort(flat).tolist() != list(range(flat.size)):
                raise ValueError(
                    "argument 'blocks' must be a partition of {0, ..., d-1}: every coordinate "
                    "in exactly one block"
                )
            d = flat.size
            blocks = [np.sort(b.astype(np.int64)) for b in blocks]
        B = len(blocks)
        samples = np.zeros((B, d))
        for b, block in enumerate(blocks):
            samples[b, block] = B
        super().__init__(samples)
        self.blocks = blocks
        self.n_blocks = B
        self._block_of = np.empty(d, dtype=np.int64)
        for b, block in enumerate(blocks):
            self._block_of[block] = b

    def pair_moments(self) -> np.ndarray:
        same = self._block_of[:, None] == self._block_of[None, :]
        return np.where(same, float(self.n_blocks), 0.0)

    def second_moment_diag(self) -> np.ndarray:
        return np.full(self.d, float(self.n_blocks))

    @property
    def L_S_max(self) -> float:
        return float(self.n_blocks) ** 2

    def sample_support(self, rng=None) -> tuple[np.ndarray, np.ndarray]:
        block = self.blocks[as_generator(rng).integers(self.n_blocks)]
        return block, np.full(block.size, float(self.n_blocks))

    def __repr__(self) -> str:
        return f"Partition(d={self.d}, n_blocks={self.n_blocks})"


# --------------------------------------------------------------------------------------------
# Bernoulli
# --------------------------------------------------------------------------------------------


class Bernoulli(DiagonalSketch):
    """Independent keep-or-drop: ``s_j = c_j / p_j``, ``c_j ~ Bern(p_j)`` (THEORY.md §1).

    ``Bernoulli(p, d)`` with a scalar keep probability, or ``Bernoulli(p_vector)``.
    Closed forms: ``L_S_max = 1/p_min^2``, ``L_D = 1/p_min``, ``mu_D = 1/p_max``,
    ``E[s_i s_j] = 1`` (i != j), ``E[s_j^2] = 1/p_j``,
    ``E[prod_j s_j^{m_j}] = prod_{j: m_j > 0} p_j^{1 - m_j}``.
    """

    has_finite_support = True

    def __init__(self, p, d: int | None = None):
        if np.ndim(p) == 0:
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
                f"argument 'p' has entry {bad!r}; keep probabilities must lie in (0, 1]"
            )
        self.p = p
        self.d = p.size

    def pair_moments(self) -> np.ndarray:
        P = np.ones((self.d, self.d))
        np.fill_diagonal(P, 1.0 / self.p)
        return P

    def second_moment_diag(self) -> np.ndarray:
        return 1.0 / self.p

    @property
    def L_S_max(self) -> float:
        return 1.0 / float(np.min(self.p)) ** 2

    def moment(self, multi_index) -> float:
        m = self._check_multi_index(multi_index)
        on = m > 0
        return float(np.prod(self.p[on] ** (1.0 - m[on])))

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        keep = as_generator(rng).random(self.d) < self.p
        return np.where(keep, 1.0 / self.p, 0.0)

    def sample_supports(self, rng, n_draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = as_generator(rng).random((n_draws, self.d)) < self.p
        rows, idx = np.nonzero(keep)
        ptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n_draws))))
        return ptr.astype(np.int64), idx.astype(np.int64), 1.0 / self.p[idx]

    @property
    def support_size(self) -> int:
        return 2 ** int(np.sum(self.p < 1.0))

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """All ``2^r`` keep masks of the ``r`` coordinates with ``p_j < 1``."""
        if self.support_size > MAX_SUPPORT:
            raise ValueError(f"support of {self.support_size} atoms exceeds MAX_SUPPORT")
        random = np.flatnonzero(self.p < 1.0)
        masks = np.array(list(itertools.product((0, 1), repeat=random.size)), dtype=bool)
        masks = masks.reshape(-1, random.size)
        keep = np.ones((masks.shape[0], self.d), dtype=bool)
        keep[:, random] = masks
        samples = np.where(keep, 1.0 / self.p, 0.0)
        pr = self.p[random]
        weights = np.prod(np.where(masks, pr, 1.0 - pr), axis=1)
        return samples, weights

    def __repr__(self) -> str:
        if np.all(self.p == self.p[0]):
            return f"Bernoulli(p={self.p[0]:g}, d={self.d})"
        return f"Bernoulli(p=<{self.d} keep probabilities>)"


# --------------------------------------------------------------------------------------------
# Uniform random subsets: RandK and the marginal of a permutation sketch
# --------------------------------------------------------------------------------------------


class RandomSubset(DiagonalSketch):
    """``s = c 1_C``: size ``|C| = k_r`` with probability ``q_r``, then ``C`` uniform of that size.

    Unbiased iff ``c E|C| = d``. RandK is ``|C| = K``, ``c = d/K``; each client of a permutation
    sketch sees such a law with sizes ``floor(d/M)``, ``ceil(d/M)`` and ``c = M``.
    Closed forms (THEORY.md §1): ``E[s_j^2] = c``, ``E[s_i s_j] = c^2 E[|C|(|C|-1)]/(d(d-1))``,
    ``E[prod_j s_j^{m_j}] = c^{sum m} sum_r q_r C(d-u, k_r-u)/C(d, k_r)`` with ``u = #{m_j > 0}``.
    """

    has_finite_support = True

    def __init__(self, d: int, sizes, size_probs, scale: float):
        self.d = check_int("d", d, 1)
        self._sizes = np.asarray(sizes, dtype=np.int64)
        self._size_probs = np.asarray(size_probs, dtype=float)
        self.scale = float(scale)
        mean_size = float(self._size_probs @ self._sizes)
        if abs(self.scale * mean_size / self.d - 1.0) > 1e-12:
            raise ValueError(f"scale {scale} * E|C| {mean_size} != d = {d}: the law is biased")

    def _pair_offdiag(self) -> float:
        if self.d == 1:
            return 0.0
        ek = float(self._size_probs @ (self._sizes * (self._sizes - 1)))
        return self.scale**2 * ek / (self.d * (self.d - 1))

    def pair_moments(self) -> np.ndarray:
        P = np.full((self.d, self.d), self._pair_offdiag())
        np.fill_diagonal(P, self.scale)
        return P

    def second_moment_diag(self) -> np.ndarray:
        return np.full(self.d, self.scale)

    @property
    def L_S_max(self) -> float:
        return self.scale**2 if np.any(self._sizes[self._size_probs > 0] > 0) else 0.0

    def moment(self, multi_index) -> float:
        m = self._check_multi_index(multi_index)
        u = int(np.count_nonzero(m))
        total = 0.0
        for k, q in zip(self._sizes, self._size_probs, strict=True):
            if k >= u:
                total += q * math.comb(self.d - u, int(k) - u) / math.comb(self.d, int(k))
        return float(self.scale ** int(m.sum()) * total)

    def sample_support(self, rng=None) -> tuple[np.ndarray, np.ndarray]:
        rng = as_generator(rng)
        k = self._sizes[0] if self._sizes.size == 1 else rng.choice(self._sizes, p=self._size_probs)
        idx = rng.choice(self.d, size=int(k), replace=False).astype(np.int64)
        return idx, np.full(idx.size, self.scale)

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        idx, sc = self.sample_support(rng)
        s = np.zeros(self.d)
        s[idx] = sc
        return s

    def sample_supports(self, rng, n_draws: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = as_generator(rng)
        if self._sizes.size == 1:
            sizes = np.full(n_draws, self._sizes[0], dtype=np.int64)
        else:
            sizes = rng.choice(self._sizes, size=n_draws, p=self._size_probs).astype(np.int64)
        u = rng.random((n_draws, int(self._sizes.max())))
        ptr, idx = _floyd_subsets(self.d, sizes, u)
        return ptr, idx, np.full(idx.size, self.scale)

    @property
    def support_size(self) -> int:
        return sum(
            math.comb(self.d, int(k))
            for k, q in zip(self._sizes, self._size_probs, strict=True)
            if q > 0
        )

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Every subset of every size, each with weight ``q_r / C(d, k_r)``."""
        if self.support_size > MAX_SUPPORT:
            raise ValueError(f"support of {self.support_size} atoms exceeds MAX_SUPPORT")
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


class RandK(RandomSubset):
    """Uniform ``K``-subset ``C``, ``s = (d/K) 1_C`` (THEORY.md §1).

    ``L_S = L_S_max = (d/K)^2``, ``L_D = mu_D = d/K``, ``E[s_i s_j] = d(K-1)/(K(d-1))`` (i != j).
    """

    def __init__(self, d: int, k: int):
        d = check_int("d", d, 1)
        self.k = check_int("k", k, 1, d)
        super().__init__(d, [self.k], [1.0], d / self.k)

    def __repr__(self) -> str:
        return f"RandK(d={self.d}, k={self.k})"


class PermutationSketch:
    """Joint law of ``M`` client sketches for independent subnetwork training (THEORY.md §1).

    One random balanced assignment of the ``d`` coordinates to the ``M`` clients (block sizes
    ``floor(d/M)`` or ``ceil(d/M)``, block sizes assigned to clients at random); client ``i`` gets
    ``S_i = M Diag(1_{P_i})``. The supports are disjoint and ``sum_i S_i = M I``. Every client has
    the same marginal law (``marginal()``), so the constants are per client:
    ``L_S_max = M^2``, ``L_D = mu_D = M``.
    """

    is_diagonal = True
    is_joint = True

    def __init__(self, d: int, n_clients: int):
        self.d = check_int("d", d, 1)
        self.n_clients = check_int("n_clients", n_clients, 1, self.d)
        q, r = divmod(self.d, self.n_clients)
        sizes, probs = [q], [(self.n_clients - r) / self.n_clients]
        if r:
            sizes.append(q + 1)
            probs.append(r / self.n_clients)
        self._marginal = RandomSubset(self.d, sizes, probs, float(self.n_clients))

    def marginal(self) -> RandomSubset:
        """The law of one client's ``s_i`` (the same for every client)."""
        return self._marginal

    @property
    def L_D(self) -> float:
        return self._marginal.L_D

    @property
    def mu_D(self) -> float:
        return self._marginal.mu_D

    @property
    def L_S_max(self) -> float:
        return self._marginal.L_S_max

    def second_moment(self) -> np.ndarray:
        return self._marginal.second_moment()

    def sandwich(self, A) -> np.ndarray:
        return self._marginal.sandwich(A)

    def moment(self, multi_index) -> float:
        return self._marginal.moment(multi_index)

    def L_S(self, sample) -> float:
        return self._marginal.L_S(sample)

    def mu_S(self, sample) -> float:
        return self._marginal.mu_S(sample)

    def sample_owners(self, rng: int | np.random.Generator | None, n_draws: int) -> np.ndarray:
        """``(n_draws, d)`` ints: the client that owns each coordinate, one assignment per row.

        Balanced block sizes ``ceil/floor(d/M)``; the sizes go to clients in random order and the
        coordinates are permuted uniformly, so every balanced assignment is equally likely.
        """
        rng = as_generator(rng)
        M = self.n_clients
        balanced = np.arange(self.d) % M
        labels = np.argsort(rng.random((n_draws, M)), axis=1)
        perm = np.argsort(rng.random((n_draws, self.d)), axis=1)
        return np.take_along_axis(labels[:, balanced], perm, axis=1).astype(np.int64)

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        """An ``(M, d)`` array: row ``i`` is client ``i``'s scale vector; rows sum to ``M``."""
        owner = self.sample_owners(rng, 1)[0]
        S = np.zeros((self.n_clients, self.d))
        S[owner, np.arange(self.d)] = float(self.n_clients)
        return S

    def __repr__(self) -> str:
        return f"PermutationSketch(d={self.d}, n_clients={self.n_clients})"


# --------------------------------------------------------------------------------------------
# Dense sketches
# --------------------------------------------------------------------------------------------


class _DenseSketch(Sketch):
    def L_S(self, sample) -> float:
        S = self._check_square("sample", sample)
        return float(np.linalg.eigvalsh(S.T @ S)[-1])

    def mu_S(self, sample) -> float:
        S = self._check_square("sample", sample)
        return float(max(np.linalg.eigvalsh(S.T @ S)[0], 0.0))


class Projection(_DenseSketch):
    """Scaled Haar projection ``S = (d/m) Q Q^T``, ``Q``: ``m`` orthonormal columns (THEORY.md §1).

    ``L_S = L_S_max = (d/m)^2``, ``E[S^T S] = (d/m) I``. With ``P = QQ^T`` and
    ``beta = m(d-m)/(d(d-1)(d+2))``, ``a = m(m+2)/(d(d+2)) - beta``:
    ``E[P A P] = (a - beta) A + beta A^T + beta tr(A) I`` (for symmetric ``A``:
    ``a A + beta tr(A) I``), times ``(d/m)^2``.
    """

    def __init__(self, d: int, m: int):
        self.d = check_int("d", d, 1)
        self.m = check_int("m", m, 1, self.d)

    @property
    def L_D(self) -> float:
        return self.d / self.m

    @property
    def mu_D(self) -> float:
        return self.d / self.m

    @property
    def L_S_max(self) -> float:
        return (self.d / self.m) ** 2

    def second_moment(self) -> np.ndarray:
        return (self.d / self.m) * np.eye(self.d)

    def sandwich(self, A) -> np.ndarray:
        A = self._check_square("A", A)
        d, m = self.d, self.m
        beta = 0.0 if d == 1 else m * (d - m) / (d * (d - 1) * (d + 2))
        a = m * (m + 2) / (d * (d + 2)) - beta
        PAP = (a - beta) * A + beta * A.T + beta * np.trace(A) * np.eye(d)
        return (d / m) ** 2 * PAP

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        G = as_generator(rng).standard_normal((self.d, self.m))
        Q, R = np.linalg.qr(G)
        Q = Q * np.sign(np.diag(R))  # Haar measure on the Stiefel manifold
        return (self.d / self.m) * (Q @ Q.T)

    def __repr__(self) -> str:
        return f"Projection(d={self.d}, m={self.m})"


class Gaussian(_DenseSketch):
    """``S = (1/m) G G^T``, ``G`` a ``d x m`` standard Gaussian matrix (THEORY.md §1).

    ``E[S^T S] = ((m + d + 1)/m) I``; ``E[S A S] = A + (A^T + tr(A) I)/m`` (for symmetric ``A``:
    ``((m+1)/m) A + (tr(A)/m) I``); ``L_S_max = inf``: no theorem that needs ``L_S_max`` applies.
    """

    def __init__(self, d: int, m: int):
        self.d = check_int("d", d, 1)
        self.m = check_int("m", m, 1)

    @property
    def L_D(self) -> float:
        return (self.m + self.d + 1) / self.m

    @property
    def mu_D(self) -> float:
        return self.L_D

    @property
    def L_S_max(self) -> float:
        return math.inf

    def second_moment(self) -> np.ndarray:
        return self.L_D * np.eye(self.d)

    def sandwich(self, A) -> np.ndarray:
        A = self._check_square("A", A)
        return A + (A.T + np.trace(A) * np.eye(self.d)) / self.m

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        G = as_generator(rng).standard_normal((self.d, self.m))
        return (G @ G.T) / self.m

    def __repr__(self) -> str:
        return f"Gaussian(d={self.d}, m={self.m})"
