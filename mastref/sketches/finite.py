"""Finite-support diagonal laws: ``FiniteSketch``, ``Identity``, ``Partition`` (THEORY.md §1).

For these ``f_D`` is a finite sum, so it can be evaluated and minimised exactly, and L-SVRDSG
(Algorithm 3) runs on the atoms of a uniform law.
"""

from __future__ import annotations

import numpy as np

from .._budget import check_cost
from .._validation import (
    as_generator,
    check_array,
    check_int,
    check_sketch_entries,
    check_vector,
)
from .base import (
    DiagonalSketch,
    MomentStructure,
    check_n_samples,
    check_pair_block,
    gather_supports,
    supports_from_pairs,
)

_UNBIASED_RTOL = 1e-12


class FiniteSketch(DiagonalSketch):
    """A diagonal law with atoms ``s^(k)`` and weights ``pi_k`` (THEORY.md §1, "Finite support").

    Requires ``pi_k > 0``, ``sum_k pi_k = 1`` and unbiasedness ``sum_k pi_k s^(k) = 1``.
    Closed forms: ``E[s_i s_j] = sum_k pi_k s_i^(k) s_j^(k)``,
    ``L_S_max = max_k max_j (s_j^(k))^2``, ``L_D = max_j sum_k pi_k (s_j^(k))^2``.

    Parameters
    ----------
    diagonals : array_like, shape (N, d)
        The atoms ``s^(k)``, one per row.
    weights : array_like, shape (N,), optional
        The probabilities ``pi_k``; uniform when omitted.

    Raises
    ------
    ValueError
        Empty atoms, weights that are not a probability vector, or a biased law.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.FiniteSketch([[2.0, 0.0], [0.0, 2.0]])
    >>> law.L_D, law.L_S_max, law.support_size
    (2.0, 4.0, 2)
    """

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
                raise ValueError(f"argument 'weights' must sum to 1; got {float(w.sum())}")
        check_sketch_entries("diagonals", float(np.max(np.abs(samples))))
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

    def pair_moments(self, idx=None) -> np.ndarray:
        """``sum_k pi_k s^(k) s^(k)^T`` (the block ``idx`` only, when given)."""
        idx = check_pair_block(self, idx)
        S = self._samples if idx is None else self._samples[:, idx]
        return (S.T * self._weights) @ S

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
        return tuple(a.copy() for a in self._atoms)

    def sample_supports(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_samples = check_n_samples(n_samples)
        atoms = as_generator(rng).choice(self.support_size, size=n_samples, p=self._weights)
        return gather_supports(self._atoms, atoms)

    def __repr__(self) -> str:
        return f"FiniteSketch(d={self.d}, n_atoms={self.support_size})"


class Identity(FiniteSketch):
    """``S = I`` (no sparsification): every constant equals 1 (THEORY.md §1).

    Examples
    --------
    >>> import mastref as mr
    >>> mr.Identity(3).L_S_max
    1.0
    """

    def __init__(self, d: int):
        super().__init__(np.ones((1, check_int("d", d, 1))))

    def moment_structure(self) -> MomentStructure:
        """One block holding every coordinate, scale 1: every mixed moment is 1."""
        return MomentStructure(2, np.zeros(self.d), np.zeros(5), 1.0)

    def __repr__(self) -> str:
        return f"Identity(d={self.d})"


class Partition(FiniteSketch):
    """One block of a fixed partition ``P_1..P_B`` of ``[d]``, uniformly; ``s = B 1_{P_b}``.

    THEORY.md §1: ``L_S = L_S_max = B^2``, ``L_D = mu_D = B``, ``E[s_i s_j] = B`` if ``i, j``
    share a block, else 0.

    Parameters
    ----------
    d, n_blocks : int, optional
        Draw a random balanced partition (block sizes differ by at most one) once, with ``rng``.
    rng : int, Generator or None, optional
        Randomness of that draw.
    blocks : list of lists of int, optional
        The blocks, given instead of ``n_blocks``.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.Partition(blocks=[[0, 2], [1, 3]])
    >>> law.L_D, law.L_S_max, law.sample_support(rng=0)
    (2.0, 4.0, (array([1, 3]), array([2., 2.])))
    """

    def __init__(
        self,
        d: int | None = None,
        n_blocks: int | None = None,
        rng: int | np.random.Generator | None = None,
        *,
        blocks=None,
    ):
        if blocks is None:
            if d is None or n_blocks is None:
                raise TypeError(
                    "Partition needs either (d, n_blocks[, rng]) or the argument 'blocks' = "
                    "[[...], ...]"
                )
            d = check_int("d", d, 1)
            n_blocks = check_int("n_blocks", n_blocks, 1, d)
            perm = as_generator(rng).permutation(d)
            block_of = np.empty(d, dtype=np.int64)
            block_of[perm] = np.arange(d) % n_blocks  # block b is sort(perm[b::n_blocks])
            order = np.argsort(block_of, kind="stable")
            blocks = np.split(order, np.cumsum(np.bincount(block_of, minlength=n_blocks))[:-1])
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
            if flat.min() < 0 or not np.array_equal(np.sort(flat), np.arange(flat.size)):
                raise ValueError(
                    "argument 'blocks' must be a partition of {0, ..., d-1}: every coordinate "
                    "in exactly one block"
                )
            d = flat.size
            blocks = [np.sort(b.astype(np.int64)) for b in blocks]
            block_of = np.empty(d, dtype=np.int64)
            block_of[flat] = np.repeat(np.arange(len(blocks)), [b.size for b in blocks])
        B = len(blocks)
        # No (B, d) array of atoms: the blocks in CSR layout are the atoms' supports.
        self.d = d
        self.blocks = blocks
        self.n_blocks = B
        self._weights = np.full(B, 1.0 / B)
        self._atoms = supports_from_pairs([(b, np.full(b.size, float(B))) for b in blocks])
        self._block_of = block_of

    @property
    def support_size(self) -> int:
        return self.n_blocks

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``B`` atoms ``B 1_{P_b}`` as a dense ``(B, d)`` array (cost-guarded)."""
        check_cost(
            f"Partition.support: {self.n_blocks} atoms of dimension {self.d} as a dense array",
            nbytes=8.0 * self.n_blocks * self.d,
            hint="Use atom_supports() (CSR layout, O(d)) or fewer n_blocks.",
        )
        samples = np.zeros((self.n_blocks, self.d))
        samples[self._block_of, np.arange(self.d)] = float(self.n_blocks)
        return samples, self._weights.copy()

    def moment(self, multi_index) -> float:
        """``B^(sum m - 1)`` if the coordinates with ``m_j > 0`` share a block, else 0."""
        m = self._check_multi_index(multi_index)
        on = np.flatnonzero(m)
        if on.size == 0:
            return 1.0
        if np.any(self._block_of[on] != self._block_of[on[0]]):
            return 0.0
        return float(self.n_blocks) ** (int(m.sum()) - 1)

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        idx, sc = self.sample_support(rng)
        s = np.zeros(self.d)
        s[idx] = sc
        return s

    def pair_moments(self, idx=None) -> np.ndarray:
        idx = check_pair_block(self, idx)
        owner = self._block_of if idx is None else self._block_of[idx]
        return np.where(owner[:, None] == owner[None, :], float(self.n_blocks), 0.0)

    def second_moment_diag(self) -> np.ndarray:
        return np.full(self.d, float(self.n_blocks))

    @property
    def L_S_max(self) -> float:
        return float(self.n_blocks) ** 2

    def moment_structure(self) -> MomentStructure:
        """Kind 2: ``E[prod_j s_j^{m_j}] = B^{sum m - 1}`` if the coordinates with ``m_j > 0``
        share a block, else 0 (labels ``w`` = block of each coordinate, ``c = B``)."""
        return MomentStructure(2, self._block_of.astype(float), np.zeros(5), float(self.n_blocks))

    def sample_support(self, rng=None) -> tuple[np.ndarray, np.ndarray]:
        block = self.blocks[as_generator(rng).integers(self.n_blocks)]
        return block, np.full(block.size, float(self.n_blocks))

    def __repr__(self) -> str:
        return f"Partition(d={self.d}, n_blocks={self.n_blocks})"
