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

import numbers
import warnings
from abc import ABC, abstractmethod
from collections import namedtuple
from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import overload

from .._budget import check_dense
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
                f"{self!r} has {self.support_size} atoms, more than MAX_SUPPORT = {MAX_SUPPORT}"
            )
        return self.support()

    def _atom_matrices(self, atoms: np.ndarray) -> np.ndarray:
        """The atoms as ``(N, d, d)`` matrices."""
        check_dense(f"{type(self).__name__}: {atoms.shape[0]} atoms as matrices", self.d,
                    copies=atoms.shape[0])
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
            return _draw_many(fn, state, rng, n_samples, self.d)
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

    def pair_moments(self) -> np.ndarray:
        """``E[s s^T]`` (``d x d``): ``E[s_i s_j]`` off the diagonal and ``E[s_j^2]`` on it."""
        check_dense(f"{type(self).__name__}.pair_moments", self.d)
        if self.has_finite_support:
            atoms, w = self._finite_atoms()
            return (atoms.T * w) @ atoms
        if not self._provides_moments():
            raise self.missing("moments", "implement moment(), pair_moments() or support()")
        out = np.empty((self.d, self.d))
        for i in range(self.d):
            for j in range(i, self.d):
                m = np.zeros(self.d, dtype=np.int64)
                m[i] += 1
                m[j] += 1
                out[i, j] = out[j, i] = self.moment(m)
        return out

    def second_moment_diag(self) -> np.ndarray:
        """``E[s_j^2]`` for each coordinate (the diagonal of ``E[S^T S]``)."""
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
            fn = njit(cls.sample_support)
            fn(state, np.random.default_rng(0))  # compile now, so that failures surface here
        except Exception as exc:  # numba raises many error types; any of them means "cannot"
            warnings.warn(
                f"{cls.__name__}.sample_supports runs a Python loop: numba could not compile "
                f"sample_support ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}). Use "
                "numpy functions and rng methods numba supports, or implement sample_supports.",
                PerformanceWarning,
                stacklevel=3,
            )
            fn = False
        _SAMPLERS[cls] = fn
    return None if fn is False else (fn, state)


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
