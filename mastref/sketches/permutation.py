"""Permutation sketches for ``M`` clients (independent subnetwork training, THEORY.md §1)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._validation import as_generator, check_int
from .base import JointSketch, check_n_samples
from .subsets import MAX_COUNT_BITS, RandomSubset


def _falling(x: int, k: int) -> float:
    out = 1.0
    for t in range(k):
        out *= x - t
    return out


class PermutationSketch(JointSketch):
    """Joint law of ``M`` client sketches from one random balanced assignment (THEORY.md §1).

    The coordinates are split into blocks of sizes ``floor(d/M)`` or ``ceil(d/M)`` (the sizes
    assigned to clients at random); client ``i`` gets ``S_i = M Diag(1_{P_i})``. The supports are
    disjoint and ``sum_i S_i = M I``. Every client has the same marginal law (``marginal()``), so
    the constants are per client: ``L_S_max = M^2``, ``L_D = mu_D = M``.

    Parameters
    ----------
    d : int
        Dimension.
    n_clients : int
        Number of clients ``M``, ``1 <= M <= d``.

    Examples
    --------
    >>> import mastref as mr
    >>> law = mr.PermutationSketch(6, 3)
    >>> law.sample(rng=0).sum(axis=0)  # sum_i s_i = M 1
    array([3., 3., 3., 3., 3., 3.])
    >>> law.L_D, law.L_S_max
    (3.0, 9.0)
    """

    def __init__(self, d: int, n_clients: int):
        self.d = check_int("d", d, 1)
        self.n_clients = check_int("n_clients", n_clients, 1, self.d)
        self.scale = float(self.n_clients)
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

    def sample_owners(
        self, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> np.ndarray:
        """``(n_samples, d)`` ints: the client that owns each coordinate, one assignment per row.

        Balanced block sizes ``ceil/floor(d/M)``; the sizes go to clients in random order and the
        coordinates are permuted uniformly, so every balanced assignment is equally likely.
        """
        n_samples = check_n_samples(n_samples)
        rng = as_generator(rng)
        M = self.n_clients
        balanced = np.arange(self.d) % M
        labels = np.argsort(rng.random((n_samples, M)), axis=1)
        perm = np.argsort(rng.random((n_samples, self.d)), axis=1)
        return np.take_along_axis(labels[:, balanced], perm, axis=1).astype(np.int64)

    def sample(self, rng: int | np.random.Generator | None = None) -> np.ndarray:
        """An ``(M, d)`` array: row ``i`` is client ``i``'s scale vector; rows sum to ``M``."""
        owner = self.sample_owners(1, rng)[0]
        S = np.zeros((self.n_clients, self.d))
        S[owner, np.arange(self.d)] = float(self.n_clients)
        return S

    @property
    def n_assignments(self) -> int | float:
        """Number of balanced assignments (the joint law is uniform over them): exact up to
        ``2^MAX_COUNT_BITS``, ``math.inf`` beyond (decided in log space, no big integers)."""
        q, r = divmod(self.d, self.n_clients)
        M = self.n_clients
        log_ways = (
            math.lgamma(M + 1)
            - math.lgamma(r + 1)
            - math.lgamma(M - r + 1)
            + math.lgamma(self.d + 1)
            - r * math.lgamma(q + 2)
            - (M - r) * math.lgamma(q + 1)
        )
        if log_ways / math.log(2) > MAX_COUNT_BITS:
            return math.inf
        ways = math.comb(self.n_clients, r) * math.factorial(self.d)
        return ways // (math.factorial(q + 1) ** r * math.factorial(q) ** (self.n_clients - r))

    def support_owners(self, limit: int = 4096) -> np.ndarray | None:
        """Every balanced assignment as a row of owners (``None`` beyond ``limit`` of them)."""
        if self.n_assignments > limit or self.n_clients**self.d > 4_000_000:
            return None
        q, r = divmod(self.d, self.n_clients)
        target = sorted([q + 1] * r + [q] * (self.n_clients - r))
        grid = np.array(list(itertools.product(range(self.n_clients), repeat=self.d)))
        counts = np.sort(
            np.stack([(grid == i).sum(axis=1) for i in range(self.n_clients)], axis=1), axis=1
        )
        return grid[np.all(counts == target, axis=1)].astype(np.int64)

    def cross_moment_table(self) -> np.ndarray:
        """``Q[u1, u2] = E[(n_i)_{u1} (n_j)_{u2}] / (d)_{u1 + u2}`` for two distinct clients.

        ``(x)_k`` is the falling factorial and ``n_i`` the block size of client ``i``: the
        probability that ``u1`` given coordinates lie in ``P_i`` and ``u2`` others in ``P_j``.
        Block sizes: ``r`` clients hold ``q + 1`` coordinates and ``M - r`` hold ``q``, assigned
        at random; given the sizes the assignment of coordinates is uniform.
        """
        d, M = self.d, self.n_clients
        q, r = divmod(d, M)
        pairs = {}
        if M > 1:
            pairs[(q + 1, q + 1)] = r * (r - 1) / (M * (M - 1))
            pairs[(q + 1, q)] = r * (M - r) / (M * (M - 1))
            pairs[(q, q + 1)] = r * (M - r) / (M * (M - 1))
            pairs[(q, q)] = (M - r) * (M - r - 1) / (M * (M - 1))
        Q = np.zeros((5, 5))
        for u1 in range(5):
            for u2 in range(5):
                if u1 + u2 > d:
                    continue
                Q[u1, u2] = sum(
                    prob * _falling(ni, u1) * _falling(nj, u2) for (ni, nj), prob in pairs.items()
                ) / _falling(d, u1 + u2)
        return Q

    def __repr__(self) -> str:
        return f"PermutationSketch(d={self.d}, n_clients={self.n_clients})"
