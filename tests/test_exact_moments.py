"""The moments path of the exact recursion (THEORY.md §6) held against enumeration.

``method="auto"`` enumerates the atoms on small instances, so the closed-form moments
(``moment_structure``, ``cross_moment_table``, the cross terms of several clients) would never
run in a test that does not force ``method="moments"``. Every test here forces it and compares
with the exact recursion over atoms written from the laws' definitions (``enumeration.py``,
which calls no closed form of mastref): agreement to 1e-12 relative on every curve.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from enumeration import (
    balanced_assignments,
    bernoulli_atoms,
    exact_curves,
    independent_joint_atoms,
    mixed_moment_of,
    partition_atoms,
    permutation_joint_atoms,
    randk_atoms,
    random_subset_atoms,
)
from helpers import random_quadratic

import mastref as mr

RTOL = 1e-12


class MomentsOnly(mr.DiagonalSketch):
    """A user's law known through ``moment()`` only: Bernoulli(p), written from §1."""

    def __init__(self, p):
        self.p = np.asarray(p, dtype=float)
        self.d = self.p.size

    def sample(self, rng=None):
        keep = mr.as_generator(rng).random(self.d) < self.p
        return np.where(keep, 1.0 / self.p, 0.0)

    def moment(self, multi_index):
        m = np.asarray(multi_index)
        return float(np.prod(np.where(m > 0, self.p ** (1.0 - m), 1.0)))

    @property
    def L_S_max(self):
        return float(np.max(1.0 / self.p) ** 2)


def _perm_marginal_atoms(d, M):
    q, r = divmod(d, M)
    sizes, probs = ([q, q + 1], [(M - r) / M, r / M]) if r else ([q], [1.0])
    return random_subset_atoms(d, sizes, probs, float(M))


P_NONUNIFORM = np.array([0.3, 0.6, 0.9, 1.0, 0.45])

#: name -> (law, its atoms from the definition)
LAWS = {
    "bernoulli-nonuniform": lambda: (mr.Bernoulli(p=P_NONUNIFORM), bernoulli_atoms(P_NONUNIFORM)),
    "bernoulli-uniform": lambda: (mr.Bernoulli(4, 0.5), bernoulli_atoms(np.full(4, 0.5))),
    "randk": lambda: (mr.RandK(5, 2), randk_atoms(5, 2)),
    "randk1": lambda: (mr.RandK(4, 1), randk_atoms(4, 1)),
    "randk-full": lambda: (mr.RandK(3, 3), randk_atoms(3, 3)),
    "random-subset": lambda: (
        mr.RandomSubset(5, [1, 3], [0.5, 0.5], 2.5),
        random_subset_atoms(5, [1, 3], [0.5, 0.5], 2.5),
    ),
    "perm-marginal-5-2": lambda: (
        mr.PermutationSketch(5, 2).marginal(),
        _perm_marginal_atoms(5, 2),
    ),
    "perm-marginal-5-3": lambda: (
        mr.PermutationSketch(5, 3).marginal(),
        _perm_marginal_atoms(5, 3),
    ),
    "partition": lambda: (
        mr.Partition(blocks=[[0, 3], [1], [2, 4]]),
        partition_atoms([[0, 3], [1], [2, 4]], 5),
    ),
    "finite": lambda: (
        mr.FiniteSketch([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]),
        (np.array([[2.0, 0.0, 1.0], [0.0, 2.0, 1.0]]), np.array([0.5, 0.5])),
    ),
    "identity": lambda: (mr.Identity(3), (np.ones((1, 3)), np.ones(1))),
    "moments-only": lambda: (MomentsOnly(P_NONUNIFORM[:4]), bernoulli_atoms(P_NONUNIFORM[:4])),
}


def _assert_curves(exact, reference):
    got = np.array([exact.dist2, exact.value_gap, exact.grad_norm2])
    scale = np.abs(reference).max(axis=1, keepdims=True)
    err = np.abs(got - reference) / scale
    assert err.max() <= RTOL, f"max relative error {err.max():.3g} (per curve {err.max(axis=1)})"


@pytest.mark.parametrize("name", list(LAWS))
def test_moments_path_equals_enumeration(name):
    law, (rows, weights) = LAWS[name]()
    d = law.d
    rng = np.random.default_rng(len(name))
    q = random_quadratic(rng, d, mu=0.3)
    v = rng.standard_normal(d)
    mast = mr.MAST(q, law, shift=v)
    x0 = rng.standard_normal(d)
    gamma = 0.7 / mast.L_max
    T = 12
    reference = exact_curves([q.A], [q.b], v, rows[:, None, :], weights, x0, gamma, T)
    _assert_curves(mr.expected_dsgd(mast, x0, gamma, T, method="moments"), reference)


@pytest.mark.parametrize(("d", "M"), [(4, 2), (5, 2), (4, 3), (5, 3), (7, 3), (6, 4)])
def test_permutation_moments_path_equals_enumeration(d, M):
    """Includes ``M`` not dividing ``d`` (blocks of two sizes assigned at random)."""
    rng = np.random.default_rng(10 * d + M)
    clients = [random_quadratic(rng, d, mu=0.3) for _ in range(M)]
    v = rng.standard_normal(d)
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(d, M), shift=v)
    rows, weights = permutation_joint_atoms(d, M)
    x0 = rng.standard_normal(d)
    gamma = 0.5 / dp.A
    T = 8
    reference = exact_curves(
        [c.A for c in clients], [c.b for c in clients], v, rows, weights, x0, gamma, T
    )
    _assert_curves(mr.expected_distributed_dsgd(dp, x0, gamma, T, method="moments"), reference)


INDEPENDENT = {
    "bernoulli+randk": lambda: [
        (mr.Bernoulli(p=P_NONUNIFORM[:4]), bernoulli_atoms(P_NONUNIFORM[:4])),
        (mr.RandK(4, 2), randk_atoms(4, 2)),
    ],
    "bernoulli+randk+partition": lambda: [
        (mr.Bernoulli(p=P_NONUNIFORM[:4]), bernoulli_atoms(P_NONUNIFORM[:4])),
        (mr.RandK(4, 3), randk_atoms(4, 3)),
        (mr.Partition(blocks=[[0, 2], [1, 3]]), partition_atoms([[0, 2], [1, 3]], 4)),
    ],
    "randk-x3": lambda: [(mr.RandK(4, 2), randk_atoms(4, 2))] * 3,
}


@pytest.mark.parametrize("name", list(INDEPENDENT))
def test_independent_clients_moments_path_equals_enumeration(name):
    laws = INDEPENDENT[name]()
    d, M = laws[0][0].d, len(laws)
    rng = np.random.default_rng(len(name))
    clients = [random_quadratic(rng, d, mu=0.3) for _ in range(M)]
    v = rng.standard_normal(d)
    dp = mr.DistributedProblem(clients, [law for law, _ in laws], shift=v)
    rows, weights = independent_joint_atoms([atoms for _, atoms in laws])
    x0 = rng.standard_normal(d)
    gamma = 0.5 / dp.A
    T = 8
    reference = exact_curves(
        [c.A for c in clients], [c.b for c in clients], v, rows, weights, x0, gamma, T
    )
    _assert_curves(mr.expected_distributed_dsgd(dp, x0, gamma, T, method="moments"), reference)


# ------------------------------------------------------------------------------------------------
# The closed forms the moments path reads, against enumeration
# ------------------------------------------------------------------------------------------------


def _multi_indices(d, max_order=4):
    for order in range(1, max_order + 1):
        for combo in itertools.combinations_with_replacement(range(d), order):
            yield np.bincount(combo, minlength=d).astype(np.int64)


def _structure_moment(structure, m):
    """``E[prod s_j^{m_j}]`` as ``MomentStructure`` defines it (its docstring)."""
    on = m > 0
    if structure.kind == 0:
        return float(np.prod(structure.w[on] ** (m[on] - 1.0)))
    if structure.kind == 2:
        one_block = np.unique(structure.w[on]).size == 1
        return float(structure.c ** (m.sum() - 1.0)) if one_block else 0.0
    return float(structure.c ** m.sum() * structure.qtab[np.count_nonzero(m)])


STRUCTURED = [name for name in LAWS if LAWS[name]()[0].moment_structure() is not None]


@pytest.mark.parametrize("name", STRUCTURED)
def test_moment_structure_equals_moment_and_enumeration(name):
    law, (rows, weights) = LAWS[name]()
    structure = law.moment_structure()
    for m in _multi_indices(law.d):
        exact = mixed_moment_of(rows, weights, m)
        assert law.moment(m) == pytest.approx(exact, rel=1e-13, abs=1e-15), m
        assert _structure_moment(structure, m) == pytest.approx(exact, rel=1e-13, abs=1e-15), m


def test_structured_laws_cover_the_built_in_laws():
    assert {
        "bernoulli-nonuniform",
        "randk",
        "random-subset",
        "perm-marginal-5-3",
        "partition",
        "identity",
    } <= set(STRUCTURED)


@pytest.mark.parametrize(
    ("d", "M"), [(2, 2), (4, 2), (5, 2), (4, 3), (5, 3), (7, 3), (6, 4), (7, 4), (8, 3)]
)
def test_cross_moment_table_equals_enumeration(d, M):
    """``Q[u1, u2]`` = P(``u1`` given coordinates in ``P_i`` and ``u2`` others in ``P_j``)."""
    law = mr.PermutationSketch(d, M)
    owners = np.array(list(balanced_assignments(d, M)))
    rng = np.random.default_rng(d * M)
    Q = law.cross_moment_table()
    assert Q.shape == (5, 5)
    for u1, u2 in itertools.product(range(5), repeat=2):
        if u1 + u2 > d:
            continue
        coords = rng.permutation(d)[: u1 + u2]
        i, j = rng.choice(M, size=2, replace=False)
        hit = np.all(owners[:, coords[:u1]] == i, axis=1) & np.all(
            owners[:, coords[u1:]] == j, axis=1
        )
        assert Q[u1, u2] == pytest.approx(hit.mean(), rel=1e-13, abs=1e-15), (u1, u2)


@pytest.mark.parametrize(("d", "M"), [(4, 2), (5, 3), (7, 3)])
def test_support_owners_are_the_balanced_assignments(d, M):
    law = mr.PermutationSketch(d, M)
    got = {tuple(o) for o in law.support_owners()}
    expected = {tuple(o) for o in balanced_assignments(d, M)}
    assert got == expected
    assert len(law.support_owners()) == law.n_assignments == len(expected)


@pytest.mark.parametrize(("d", "M"), [(5, 2), (7, 3), (6, 4)])
def test_cross_moment_table_against_support_owners(d, M):
    """The table against the law's own listed support (the atoms path's input)."""
    law = mr.PermutationSketch(d, M)
    owners = law.support_owners()
    Q = law.cross_moment_table()
    for u1, u2 in itertools.product(range(5), repeat=2):
        if u1 + u2 > d:
            continue
        hit = np.all(owners[:, :u1] == 0, axis=1) & np.all(owners[:, u1 : u1 + u2] == 1, axis=1)
        assert Q[u1, u2] == pytest.approx(hit.mean(), rel=1e-13, abs=1e-15), (u1, u2)
