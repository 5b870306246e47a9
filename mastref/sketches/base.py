"""The sketch-law protocol: what a law ``D`` of random ``d x d`` matrices can do (THEORY.md §0-§1).

A law declares its capabilities by the methods it implements; every tool asks for the
capability it needs and, when it is missing, raises ``MissingCapability`` naming it:

``sample``
    draw ``S`` (``sample``; for diagonal laws ``sample_support`` suffices). Always present.
``finite_support``
    the atoms and their probabilities (``support()``, ``support_size``). Gives exact ``f_D``
    by enumeration, every constant, L-SVRDSG (uniform atoms) and the exact recursion of §6.
``moments``
    diagonal mixed moments ``E[prod_j s_j^{m_j}]`` up to order 4 (``moment``, ``pair_moments``).
    Gives ``E[S^T A S]`` and the exact recursion of §6 without enumeration.
``sandwich``
    a closed form of ``E[S^T A S]`` (``sandwich``); diagonal laws derive it from pair moments.
``constants``
    ``L_D``, ``mu_D`` and ``L_S_max`` (closed forms, or derived from the capabilities above).

Notation (THEORY.md §0): ``L_S = lambda_max(S^T S)``, ``L_S_max = ess sup L_S``,
``L_D = lambda_max(E[S^T S])``, ``mu_D = lambda_min(E[S^T S])``. Diagonal laws ``S = Diag(s)``
are represented by the scale vector ``s`` or by its support ``(idx, scales)``.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from abc import ABC, abstractmethod
from collections import namedtuple
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._budget import check_cost, check_dense
from .._validation import MissingCapability, as_generator, check_array, check_int, check_vector

#: Largest support that ``support()`` enumerates (2^20 Bernoulli masks, say).
MAX_SUPPORT = 1 << 20

#: The capability names a law can declare (module docstring).
CAPABILITIES = ("sample", "finite_support", "moments", "sandwich", "constants")


class MomentStructure(NamedTuple):
    """Mixed moments that depend only on which indices coincide (fast exact recursion, §6).

    ``kind = 0``: independent coordinates, ``s_j = w_j`` with probability ``1/w_j``, so
    ``E[prod_j s_j^{m_j}] = prod_{j: m_j > 0} w_j^{m_j - 1}``. ``kind = 1``: exchangeable
    subsets, ``s = c 1_C`` with ``P(U subset of C) = qtab[|U|]`` for ``|U| <= 4``, so
    ``E[prod_j s_j^{m_j}] = c^{sum m} qtab[#{m_j > 0}]``. ``kind = 2``: one block of a fixed
    partition into ``c`` blocks, uniformly, ``s = c 1_block``; ``w_j`` labels the block of ``j``,
    so ``E[prod_j s_j^{m_j}] = c^{sum m - 1}`` if all ``j`` with ``m_j > 0`` share a block, else 0.
    """

    kind: int
    w: np.ndarray
    qtab: np.ndarray
    c: float


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


def count_str(n) -> str:
    """An atom count for a message: exact when short, else ``~10^k`` (no int-to-str limit)."""
    if n == math.inf:
        return "more than 2^20000"
    if n < 10**15:
        return str(n)
    return f"~10^{math.log10(n):.1f}"


def check_pair_block(law, idx) -> np.ndarray | None:
    """The coordinates ``idx`` of a ``pair_moments(idx=...)`` call (``None``: all ``d``), with
    the cost guard on the ``len(idx) x len(idx)`` block it asks for."""
    if idx is not None:
        idx = np.asarray(idx)
        if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"argument 'idx' must be a 1-d array of integers; got {idx!r:.80}")
        if idx.size and (idx.min() < 0 or idx.max() >= law.d):
            bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
            raise ValueError(f"argument 'idx' has entry {bad}; indices must lie in [0, {law.d})")
        idx = idx.astype(np.int64)
    m = law.d if idx is None else idx.size
    check_cost(
        f"{type(law).__name__}.pair_moments: a dense {m} x {m} matrix E[s s^T]",
        nbytes=8.0 * float(m) ** 2,
        hint="Pass idx=<coordinates> for the block E[s_idx s_idx^T], or use "
        "second_moment_diag() (the diagonal, O(d)).",
    )
    return idx


def check_n_samples(n_samples) -> int:
    """A number of draws: an integer >= 0."""
    return check_int("n_samples", n_samples, 0)


class Sketch(ABC):
    """A law ``D`` of random ``d x d`` matrices with ``E[S] = I`` (Assumption A1, THEORY.md §0).

    Subclasses implement ``sample`` and whichever of the capabilities of the module docstring
    they can give in closed form; the defaults here derive the rest from a finite support and
    raise ``MissingCapability`` otherwise. ``mastref.check_sketch`` certifies a law.

    Examples
    --------
    >>> import mastref as mr
    >>> sorted(mr.Projection(4, 2).capabilities())
    ['constants', 'sample', 'sandwich']
    >>> sorted(mr.RandK(4, 2).capabilities())
    ['constants', 'finite_support', 'moments', 'sample', 'sandwich']
    """

    d: int
    is_diagonal: bool = False

    def __init_subclass__(cls, **kwargs):
        """A user's dense law gets its ``sample`` output checked at the door: a finite
        ``d x d`` matrix, or an error naming the law and the shape (``DiagonalSketch`` checks
        its own sampling methods)."""
        super().__init_subclass__(**kwargs)
        method = cls.__dict__.get("sample")
        if _is_builtin(cls) or method is None or hasattr(method, "__wrapped__"):
            return
        if any(getattr(base, "is_diagonal", False) for base in cls.__mro__[1:]):
            return

        @functools.wraps(method)
        def sample(self, rng=None):
            S = np.asarray(method(self, rng))
            if S.shape != (self.d, self.d) or not np.all(np.isfinite(S)):
                raise ValueError(
                    f"{self!r}.sample returned an array of shape {S.shape} (finite: "
                    f"{bool(np.all(np.isfinite(S)))}); a dense law's sample is a finite "
                    f"{self.d} x {self.d} matrix"
                )
            return S.astype(np.float64, copy=False)

        cls.sample = sample

    @abstractmethod
    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        """One draw: the scale vector ``s`` (diagonal laws) or the ``d x d`` matrix ``S``."""

    # ---- capabilities -------------------------------------------------------------------

    @property
    def support_size(self) -> int | None:
        """Number of atoms of a finite-support law, ``None`` otherwise."""
        return None

    @property
    def has_finite_support(self) -> bool:
        """``True`` when ``support()`` lists finitely many atoms."""
        return self.support_size is not None

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """``(atoms, weights)`` of a finite-support law; weights are positive and sum to 1."""
        raise self.missing("finite_support", "implement support() and support_size")

    def _overrides(self, name: str, base: type) -> bool:
        return getattr(type(self), name) is not getattr(base, name)

    def capabilities(self) -> frozenset[str]:
        """The capabilities this law provides (names in ``CAPABILITIES``).

        Read off the methods the law implements: a finite support gives all of them; otherwise
        ``sandwich`` needs a closed-form ``sandwich`` (diagonal laws: moments) and ``constants``
        needs closed forms of ``L_S_max`` and of ``E[S^T S]`` (or of ``L_D`` and ``mu_D``).
        """
        caps = {"sample"}
        if self.has_finite_support:
            caps |= {"finite_support", "sandwich", "constants"}
        if self._provides_sandwich():
            caps.add("sandwich")
        if self._provides_constants():
            caps.add("constants")
        return frozenset(caps)

    def _provides_sandwich(self) -> bool:
        return self._overrides("sandwich", Sketch)

    def _provides_constants(self) -> bool:
        return self._overrides("L_S_max", Sketch) and (
            self._overrides("second_moment", Sketch) or self._overrides("L_D", Sketch)
        )

    def missing(self, capability: str, how: str) -> MissingCapability:
        """The ``MissingCapability`` error for this law (raise it)."""
        return MissingCapability(
            f"{self!r} lacks the capability {capability!r} needed here ({how}); laws with "
            "sampling only reach the Monte Carlo paths (estimate_value, estimate_grad, "
            "check_sketch)"
        )

    def _finite_atoms(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.has_finite_support:
            raise self.missing("finite_support", "implement support() and support_size")
        if self.support_size > MAX_SUPPORT:
            raise ValueError(
                f"{self!r} has {count_str(self.support_size)} atoms, more than MAX_SUPPORT = "
                f"{MAX_SUPPORT}"
            )
        return self.support()

    def _atom_matrices(self, atoms: np.ndarray) -> np.ndarray:
        """The atoms as ``(N, d, d)`` matrices."""
        check_dense(
            f"{type(self).__name__}: {atoms.shape[0]} atoms as matrices",
            self.d,
            copies=atoms.shape[0],
        )
        return atoms if atoms.ndim == 3 else np.einsum("ki,ij->kij", atoms, np.eye(self.d))

    # ---- constants (defaults from a finite support) --------------------------------------

    def second_moment(self) -> np.ndarray:
        """``E[S^T S]`` as a dense ``d x d`` array."""
        atoms, w = self._finite_atoms()
        S = self._atom_matrices(atoms)
        return np.einsum("k,kji,kjl->il", w, S, S)

    def sandwich(self, A) -> np.ndarray:
        """``E[S^T A S]`` for a ``d x d`` matrix ``A`` (THEORY.md §1, "Sandwich")."""
        A = self._check_square("A", A)
        atoms, w = self._finite_atoms()
        S = self._atom_matrices(atoms)
        return np.einsum("k,kji,jm,kml->il", w, S, A, S)

    @property
    def L_D(self) -> float:
        """``lambda_max(E[S^T S])``."""
        return float(np.linalg.eigvalsh(self.second_moment())[-1])

    @property
    def mu_D(self) -> float:
        """``lambda_min(E[S^T S])``."""
        return float(np.linalg.eigvalsh(self.second_moment())[0])

    @property
    def L_S_max(self) -> float:
        """``ess sup lambda_max(S^T S)``; ``inf`` when unbounded."""
        atoms, _ = self._finite_atoms()
        return float(max(self.L_S(a) for a in atoms))

    @property
    def kappa_D(self) -> float:
        """``L_D / mu_D``."""
        return self.L_D / self.mu_D

    def L_S(self, sample) -> float:
        """``lambda_max(S^T S)`` of one sample."""
        S = self._check_square("sample", sample)
        return float(np.linalg.eigvalsh(S.T @ S)[-1])

    def mu_S(self, sample) -> float:
        """``lambda_min(S^T S)`` of one sample."""
        S = self._check_square("sample", sample)
        return float(max(np.linalg.eigvalsh(S.T @ S)[0], 0.0))

    def _check_square(self, name: str, A) -> np.ndarray:
        return check_array(name, A, 2, (self.d, self.d))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d})"


def _is_builtin(cls: type) -> bool:
    return cls.__module__.startswith("mastref.")


def check_draw(law, idx, sc, where: str) -> tuple[np.ndarray, np.ndarray]:
    """A user law's draw ``(idx, sc)`` checked at the door, in O(K): 1-d, equal lengths,
    integer indices in ``[0, d)`` (index -1 must not wrap to the last coordinate), distinct,
    finite scales. The message names the law, the method and the value."""
    name = f"'{where}' of the law {law!r}"
    idx, sc = np.asarray(idx), np.asarray(sc)
    if idx.ndim != 1 or sc.ndim != 1 or idx.shape != sc.shape:
        raise ValueError(
            f"{name} returned indices of shape {idx.shape} and scales of shape {sc.shape}; they "
            "must be 1-d arrays of equal length"
        )
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"{name} returned indices of dtype {idx.dtype}; they must be integers")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= law.d:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"{name} returned index {bad}; indices must lie in [0, d = {law.d}) (a negative "
                "index would silently wrap around to the last coordinates)"
            )
        if not np.all(np.isfinite(sc)):
            bad = float(sc[~np.isfinite(sc)][0])
            raise ValueError(f"{name} returned the scale {bad}; scales must be finite")
    return idx.astype(np.int64, copy=False), sc.astype(np.float64, copy=False)


def check_draws(law, ptr, idx, sc, n_samples: int, where: str) -> tuple:
    """``n_samples`` draws in CSR layout checked at the door in O(total K + d) (``check_draw``
    per row, and no index twice in one row)."""
    name = f"'{where}' of the law {law!r}"
    ptr = np.asarray(ptr)
    if ptr.shape != (n_samples + 1,) or not np.issubdtype(ptr.dtype, np.integer):
        raise ValueError(
            f"{name} returned ptr of shape {ptr.shape} and dtype {ptr.dtype}; expected "
            f"{n_samples + 1} integers for {n_samples} draws"
        )
    if ptr[0] != 0 or np.any(np.diff(ptr) < 0) or ptr[-1] != np.asarray(idx).size:
        raise ValueError(
            f"{name} returned ptr from {ptr[0]} to {ptr[-1]} (nondecreasing from 0 to "
            f"len(idx) = {np.asarray(idx).size} is required)"
        )
    idx, sc = check_draw(law, idx, sc, where)
    row = _first_repeat(ptr.astype(np.int64, copy=False), idx, law.d)
    if row >= 0:
        raise ValueError(f"{name} returned an index twice in draw {row}; indices must be distinct")
    return ptr.astype(np.int64, copy=False), idx, sc


@njit(cache=True)
def _first_repeat(ptr, idx, d):
    """The first draw that lists an index twice, or -1: one pass with a ``d``-sized stamp."""
    stamp = np.full(d, -1, np.int64)
    for r in range(ptr.shape[0] - 1):
        for t in range(ptr[r], ptr[r + 1]):
            j = idx[t]
            if stamp[j] == r:
                return r
            stamp[j] = r
    return -1


def _checked(method, where: str):
    """Wrap a user law's sampling method with the door checks of its output."""

    @functools.wraps(method)
    def sample_support(self, rng=None):
        idx, sc = method(self, rng)
        idx, sc = check_draw(self, idx, sc, "sample_support")
        if np.unique(idx).size != idx.size:
            raise ValueError(f"{self!r}.sample_support returned a repeated index")
        return idx, sc

    @functools.wraps(method)
    def sample_supports(self, n_samples, rng=None):
        n_samples = check_n_samples(n_samples)
        return check_draws(self, *method(self, n_samples, rng), n_samples, "sample_supports")

    @functools.wraps(method)
    def sample(self, rng=None):
        s = np.asarray(method(self, rng))
        if s.shape != (self.d,) or not np.all(np.isfinite(s)):
            bad = s.shape if s.shape != (self.d,) else s[~np.isfinite(s)][0]
            raise ValueError(
                f"{self!r}.sample returned {bad!r}; a diagonal law's sample must be {self.d} "
                "finite scales"
            )
        return s.astype(np.float64, copy=False)

    return {"sample_support": sample_support, "sample_supports": sample_supports, "sample": sample}[
        where
    ]


class DiagonalSketch(Sketch):
    """``S = Diag(s)``. Implement ``sample`` or ``sample_support`` (one is enough).

    Everything else derives from a finite support (``support``) or from the mixed moments
    (``moment``): ``E[s s^T]`` (``pair_moments``), ``E[S^T A S] = A * E[s s^T]``, ``L_D``,
    ``mu_D``. ``sample_supports`` draws many supports at once; the default compiles
    ``sample_support`` with numba when it can (see ``sample_supports``).

    Examples
    --------
    A law written by a user: coordinate blocks kept together with probability ``p``.

    >>> import numpy as np
    >>> import mastref as mr
    >>> class BlockBernoulli(mr.DiagonalSketch):
    ...     def __init__(self, block_of, p):
    ...         self.block_of = np.asarray(block_of)
    ...         self.n_blocks = int(self.block_of.max()) + 1
    ...         self.d, self.p = self.block_of.size, float(p)
    ...     def sample_support(self, rng=None):
    ...         rng = mr.as_generator(rng)
    ...         keep = rng.random(self.n_blocks) < self.p
    ...         idx = np.flatnonzero(keep[self.block_of])
    ...         return idx, np.full(idx.size, 1.0 / self.p)
    >>> law = BlockBernoulli([0, 0, 1, 1], 0.5)
    >>> sorted(law.capabilities())
    ['sample']
    >>> law.sample(rng=0)
    array([0., 0., 2., 2.])
    >>> mr.check_sketch(law, rng=0).passed  # E[S] = I by Monte Carlo: sampling is all it has
    True
    """

    is_diagonal = True

    def __init_subclass__(cls, **kwargs):
        """A user's law gets its sampling methods' outputs checked at the door (``check_draw``):
        every tool that samples it sees valid draws or an error naming the law and the value."""
        super().__init_subclass__(**kwargs)
        if _is_builtin(cls):
            return
        for where in ("sample_support", "sample_supports", "sample"):
            method = cls.__dict__.get(where)
            if method is not None and not hasattr(method, "__wrapped__"):
                setattr(cls, where, _checked(method, where))

    # ---- sampling -----------------------------------------------------------------------

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        """One draw as the scale vector ``s`` (zero off the support)."""
        if not self._overrides("sample_support", DiagonalSketch):
            raise TypeError(f"{type(self).__name__} must implement sample() or sample_support()")
        idx, sc = self.sample_support(rng)
        s = np.zeros(self.d)
        s[idx] = sc
        return s

    def sample_support(
        self, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """One draw as ``(indices, scales)`` of its nonzero coordinates (for the kernels)."""
        if not self._overrides("sample", DiagonalSketch):
            raise TypeError(f"{type(self).__name__} must implement sample() or sample_support()")
        s = self.sample(rng)
        idx = np.flatnonzero(s)
        return idx.astype(np.int64), s[idx]

    def sample_supports(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``n_samples`` independent draws in CSR layout ``(ptr, idx, sc)``.

        Draw ``r`` keeps coordinates ``idx[ptr[r]:ptr[r+1]]`` with scales
        ``sc[ptr[r]:ptr[r+1]]``. Built-in laws vectorise this. The default for a user's law
        compiles its ``sample_support`` with numba (``self`` seen as a named tuple of its numeric
        attributes, ``rng`` the same Generator, so the stream is shared) and falls back to a
        Python loop, with a ``PerformanceWarning`` saying why, when numba cannot compile it.
        """
        n_samples = check_n_samples(n_samples)
        rng = as_generator(rng)
        compiled = _compiled_sampler(self)
        if compiled is not None:
            fn, state = compiled
            out = _draw_many(fn, state, rng, n_samples, self.d)
            return check_draws(self, *out, n_samples, "sample_support (compiled)")
        return supports_from_pairs([self.sample_support(rng) for _ in range(n_samples)])

    # ---- moments ------------------------------------------------------------------------

    def moment(self, multi_index) -> float:
        """Mixed moment ``E[prod_j s_j^{m_j}]`` for ``d`` integers ``m_j >= 0``."""
        m = self._check_multi_index(multi_index)
        atoms, w = self._finite_atoms()
        on = m > 0
        return float(w @ np.prod(atoms[:, on] ** m[on], axis=1))

    def _provides_moments(self) -> bool:
        return self.has_finite_support or self._overrides("moment", DiagonalSketch)

    def moment_structure(self) -> MomentStructure | None:
        """Moments that depend only on index coincidences (fast §6 recursion), else ``None``."""
        return None

    def pair_moments(self, idx=None) -> np.ndarray:
        """``E[s s^T]`` (``d x d``): ``E[s_i s_j]`` off the diagonal and ``E[s_j^2]`` on it.

        ``idx`` (built-in laws and this default): only the block ``E[s_idx s_idx^T]``. The
        cost guard refuses a block beyond the memory budget before allocating it.
        """
        idx = check_pair_block(self, idx)
        coords = np.arange(self.d) if idx is None else idx
        if self.has_finite_support:
            atoms, w = self._finite_atoms()
            return (atoms[:, coords].T * w) @ atoms[:, coords]
        if not self._provides_moments():
            raise self.missing("moments", "implement moment(), pair_moments() or support()")
        out = np.empty((coords.size, coords.size))
        for a, i in enumerate(coords):
            for b in range(a, coords.size):
                m = np.zeros(self.d, dtype=np.int64)
                m[i] += 1
                m[coords[b]] += 1
                out[a, b] = out[b, a] = self.moment(m)
        return out

    def second_moment_diag(self) -> np.ndarray:
        """``E[s_j^2]`` for each coordinate (the diagonal of ``E[S^T S]``).

        Default: from the atoms (``sum_k pi_k (s_j^(k))^2``, O(N d)), from ``moment(2 e_j)``, or
        the diagonal of a user's ``pair_moments()``.
        """
        if self.has_finite_support:
            atoms, w = self._finite_atoms()
            return w @ (atoms * atoms)
        if self._overrides("moment", DiagonalSketch) and not self._overrides(
            "pair_moments", DiagonalSketch
        ):
            out = np.empty(self.d)
            for j in range(self.d):
                m = np.zeros(self.d, dtype=np.int64)
                m[j] = 2
                out[j] = self.moment(m)
            return out
        return np.diag(self.pair_moments()).copy()

    def capabilities(self) -> frozenset[str]:
        caps = set(super().capabilities())
        if self._provides_moments():
            caps.add("moments")
        return frozenset(caps)

    def _provides_sandwich(self) -> bool:
        return self._provides_moments() or self._overrides("pair_moments", DiagonalSketch)

    def _provides_constants(self) -> bool:
        return self._overrides("L_S_max", DiagonalSketch) and (
            self._provides_sandwich() or self._overrides("second_moment_diag", DiagonalSketch)
        )

    # ---- constants ----------------------------------------------------------------------

    @property
    def L_D(self) -> float:
        return float(np.max(self.second_moment_diag()))

    @property
    def mu_D(self) -> float:
        return float(np.min(self.second_moment_diag()))

    @property
    def L_S_max(self) -> float:
        """``max`` over atoms of ``max_j s_j^2`` (finite support), else a closed form."""
        atoms, _ = self._finite_atoms()
        return float(np.max(atoms * atoms))

    def second_moment(self) -> np.ndarray:
        check_dense(f"{type(self).__name__}.second_moment", self.d)
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

    def atom_supports(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The atoms' supports in CSR layout ``(ptr, idx, sc)`` (row ``k`` is atom ``k``)."""
        atoms, _ = self._finite_atoms()
        return supports_from_pairs(
            [(np.flatnonzero(row), row[np.flatnonzero(row)]) for row in atoms]
        )

    def _check_multi_index(self, multi_index) -> np.ndarray:
        m = np.asarray(multi_index)
        if m.shape != (self.d,) or not np.issubdtype(m.dtype, np.integer) or np.any(m < 0):
            raise ValueError(
                f"argument 'multi_index' must be {self.d} nonnegative integers; got {multi_index!r}"
            )
        return m.astype(np.int64)


class JointSketch(ABC):
    """A joint law of ``M`` client sketches (Algorithm 4) that assigns coordinates to owners.

    Each draw gives every coordinate to one client, which keeps it with the scale ``scale``
    (a permutation sketch: ``scale = M``). Implements ``n_clients``, ``scale``, ``marginal()``
    (the law of one client's sketch, the same for every client), ``sample_owners`` (which
    client owns each coordinate) and ``cross_moment_table()`` (joint moments of two distinct
    clients, for the exact recursion of §6).

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.PermutationSketch(4, 2)
    >>> isinstance(law, mr.JointSketch), law.scale, law.sample_owners(1, rng=0).shape
    (True, 2.0, (1, 4))
    """

    d: int
    n_clients: int
    scale: float
    is_diagonal = True

    @abstractmethod
    def marginal(self) -> DiagonalSketch:
        """The law of one client's ``s_i``."""

    @abstractmethod
    def sample_owners(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """``(n_samples, d)`` ints: the client owning each coordinate, one draw per row."""

    def cross_moment_table(self) -> np.ndarray:
        """``Q[u1, u2]``: joint inclusion probabilities of two distinct clients (§6)."""
        raise MissingCapability(f"{self!r} gives no joint moments of two clients")


# ------------------------------------------------------------------------------------------------
# The compiled default of sample_supports
# ------------------------------------------------------------------------------------------------


class PerformanceWarning(UserWarning):
    """A slow path was taken; the message says why and how to get the fast one.

    Examples
    --------
    >>> import warnings
    >>> import mastref as mr
    >>> issubclass(mr.PerformanceWarning, UserWarning)
    True
    """


_SAMPLERS: dict[type, object] = {}
_STATE_TYPES: dict[tuple, type] = {}


def _numeric_state(law) -> tuple | None:
    """``law``'s numeric attributes as a named tuple (what numba sees as ``self``)."""
    items = {}
    for key, value in vars(law).items():
        if key.startswith("__"):
            continue
        if isinstance(value, bool | numbers.Integral | numbers.Real):
            items[key] = value
        elif isinstance(value, np.ndarray) and value.dtype != object:
            items[key] = value
    if not items:
        return None
    key = (type(law), tuple(items))
    state_type = _STATE_TYPES.get(key)
    if state_type is None:
        state_type = _STATE_TYPES[key] = namedtuple(f"{type(law).__name__}State", list(items))
    return state_type(**items)


def _compiled_sampler(law):
    """``(jitted sample_support, state)`` for a user's law, or ``None`` (use the Python loop)."""
    cls = type(law)
    if not law._overrides("sample_support", DiagonalSketch):
        return None
    fn = _SAMPLERS.get(cls)
    if fn is False:
        return None
    state = _numeric_state(law)
    if state is None:
        return None
    if fn is None:
        try:
            fn = njit(getattr(cls.sample_support, "__wrapped__", cls.sample_support))
            fn(state, np.random.default_rng(0))  # compile now, so that failures surface here
        except Exception as exc:  # numba raises many error types; any of them means "cannot"
            warnings.warn(
                f"{cls.__name__}.sample_supports runs a Python loop: numba could not compile "
                f"sample_support ({type(exc).__name__}: {_numba_reason(exc)}). Use "
                "numpy functions and rng methods numba supports, or implement sample_supports.",
                PerformanceWarning,
                stacklevel=3,
            )
            fn = False
        _SAMPLERS[cls] = fn
    return None if fn is False else (fn, state)


def _numba_reason(exc: Exception) -> str:
    """The informative lines of a numba compilation error: the first line that is not the
    pipeline header (e.g. "Unknown attribute 'choice' of type NumPyRandomGeneratorType") and
    the first source location."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    cause = next((x for x in lines if not x.startswith("Failed in ")), lines[0] if lines else "")
    where = next((x for x in lines if x.startswith("File ")), "")
    return f"{cause[:160]}{'; ' + where[:120] if where else ''}"


@njit
def _draw_many(fn, state, rng, n, d):
    """``n`` draws of the compiled ``fn(state, rng) -> (idx, sc)`` in CSR layout."""
    ptr = np.zeros(n + 1, np.int64)
    cap = max(16, n * min(d, 8))
    idx_all = np.empty(cap, np.int64)
    sc_all = np.empty(cap)
    for r in range(n):
        idx, sc = fn(state, rng)
        k = idx.shape[0]
        a = ptr[r]
        if a + k > cap:
            cap = max(2 * cap, a + k)
            grown_i = np.empty(cap, np.int64)
            grown_i[:a] = idx_all[:a]
            idx_all = grown_i
            grown_s = np.empty(cap)
            grown_s[:a] = sc_all[:a]
            sc_all = grown_s
        for t in range(k):
            idx_all[a + t] = idx[t]
            sc_all[a + t] = sc[t]
        ptr[r + 1] = a + k
    return ptr, idx_all[: ptr[n]].copy(), sc_all[: ptr[n]].copy()


@overload(as_generator)
def _as_generator_in_numba(rng):
    """Inside numba (the compiled ``sample_supports``), ``as_generator(rng)`` is ``rng``."""
    if isinstance(rng, types.NumPyRandomGeneratorType):
        return lambda rng: rng
    return None
