"""Hypothesis strategies for property tests of MAST lemmas (needs ``pip install "mastref[test]"``).

The package's own property tests (P1-P9 of THEORY.md §3) draw their instances from here, and so
can a researcher's tests of their own lemmas:

>>> import numpy as np
>>> from hypothesis import given, settings
>>> import mastref as mr
>>> from mastref.testing import mast_instances
>>> @settings(max_examples=10, deadline=None)
... @given(mast_instances(families=("bernoulli", "randk", "partition")))
... def test_gap_is_nonnegative(mast):  # P6: f^inf <= f_D^inf
...     assert mast.gap >= -1e-9 * max(1.0, abs(mast.problem.inf))
>>> test_gap_is_nonnegative()

Every strategy draws integers and builds the object from a seeded ``numpy.random.Generator``, so
examples are reproducible and shrink towards small dimensions and seeds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from .mast import MAST
from .problems import LeastSquares, LogisticRegression, Quadratic
from .sketches import (
    Bernoulli,
    FiniteSketch,
    Gaussian,
    Identity,
    Partition,
    Projection,
    RandK,
    RandomSubset,
)

#: Law families with a finite support (exact f_D for every problem).
FINITE_FAMILIES = ("identity", "bernoulli", "randk", "partition", "finite", "subset")
#: Law families without one (dense sketches; exact f_D for quadratics only).
DENSE_FAMILIES = ("projection", "gaussian")
#: Shift kinds: ``v = 0``, a random ``v``, ``v = x*`` (interpolation, Delta = 0).
SHIFTS = ("zero", "random", "optimal")

_seeds = st.integers(0, 2**32 - 1)


def _draw(draw, value, default):
    """``value`` drawn if it is a strategy, taken as is otherwise; ``default`` when ``None``."""
    value = default if value is None else value
    return draw(value) if isinstance(value, st.SearchStrategy) else value


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


@st.composite
def psd_matrices(draw, d, *, spectrum=(0.1, 10.0), rank=None) -> np.ndarray:
    """Symmetric PSD ``d x d`` matrices ``U Diag(lambda) U^T``: Haar ``U``, eigenvalues drawn
    log-uniformly in ``spectrum`` (the smallest ``d - rank`` set to 0 when ``rank`` is given).

    ``d`` (and ``rank``) may be ints or strategies."""
    d = _draw(draw, d, d)
    rng = _rng(draw(_seeds))
    lo, hi = spectrum
    eig = np.exp(rng.uniform(np.log(lo), np.log(hi), d))
    if rank is not None:
        r = _draw(draw, rank, rank)
        eig[: d - min(r, d)] = 0.0
    U = _orthogonal(rng, d)
    A = (U * eig) @ U.T
    return 0.5 * (A + A.T)


@st.composite
def quadratics(draw, d=None, *, spectrum=(0.1, 10.0), singular=None):
    """``Quadratic(A, b, c)`` with ``A`` from ``psd_matrices`` (rank-deficient when ``singular``
    draws ``True``) and ``b = A z`` in the range of ``A``. Defaults: ``d`` in 2..6, ``singular``
    either."""
    d = _draw(draw, d, st.integers(2, 6))
    sing = _draw(draw, singular, st.booleans())
    rank = max(1, d - 1) if sing else None
    A = draw(psd_matrices(d, spectrum=spectrum, rank=rank))
    rng = _rng(draw(_seeds))
    return Quadratic(A, A @ rng.standard_normal(d), c=float(rng.standard_normal()))


@st.composite
def logistic_problems(draw, n=None, d=None, lam=None, sparse=None, scale: float = 1.0):
    """``LogisticRegression`` on Gaussian data (times ``scale``) with 40% zeros and random
    labels. Defaults: ``n`` in 5..20, ``d`` in 2..4, ``lam`` in [0.05, 1], dense or sparse."""
    import scipy.sparse as sp

    n, d = _draw(draw, n, st.integers(5, 20)), _draw(draw, d, st.integers(2, 4))
    lam, sparse = _draw(draw, lam, st.floats(0.05, 1.0)), _draw(draw, sparse, st.booleans())
    rng = _rng(draw(_seeds))
    X = scale * rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.6)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return LogisticRegression(sp.csr_matrix(X) if sparse else X, y, lam)


@st.composite
def least_squares_problems(draw, n=None, d=None, lam=None, sparse=None):
    """``LeastSquares`` on Gaussian data with 40% zeros and Gaussian targets. Defaults: ``n``
    in 5..20, ``d`` in 2..5, ``lam`` in [0, 1], dense or sparse."""
    import scipy.sparse as sp

    n, d = _draw(draw, n, st.integers(5, 20)), _draw(draw, d, st.integers(2, 5))
    lam, sparse = _draw(draw, lam, st.floats(0.0, 1.0)), _draw(draw, sparse, st.booleans())
    rng = _rng(draw(_seeds))
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.6)
    return LeastSquares(sp.csr_matrix(X) if sparse else X, rng.standard_normal(n), lam)


def _law(family: str, d: int, rng: np.random.Generator):
    if family == "identity":
        return Identity(d)
    if family == "bernoulli":
        return Bernoulli(p=rng.uniform(0.15, 1.0, d))
    if family == "randk":
        return RandK(d, int(rng.integers(1, d + 1)))
    if family == "partition":
        return Partition(d, int(rng.integers(1, d + 1)), rng=rng)
    if family == "subset":
        sizes = np.array([int(rng.integers(1, d + 1)), int(rng.integers(1, d + 1))])
        probs = np.array([0.5, 0.5])
        return RandomSubset(d, sizes, probs, d / float(probs @ sizes))
    if family == "finite":
        N = int(rng.integers(2, 6))
        raw = (
            rng.uniform(0, 2, (N, d)) * (rng.random((N, d)) < 0.6)
            + 0.05 * (np.arange(N) == 0)[:, None]
        )
        w = rng.dirichlet(np.ones(N))
        return FiniteSketch(raw / (w @ raw), w)
    if family == "projection":
        return Projection(d, int(rng.integers(1, d + 1)))
    if family == "gaussian":
        return Gaussian(d, int(rng.integers(1, 2 * d)))
    raise ValueError(f"unknown law family {family!r}")


@st.composite
def sketch_laws(draw, d, families=FINITE_FAMILIES + DENSE_FAMILIES):
    """A law of one of ``families`` on ``R^d`` (``d`` an int or a strategy), parameters drawn
    at random (keep probabilities in ``[0.15, 1]``, any ``K``, any number of blocks, ...)."""
    d = _draw(draw, d, d)
    family = draw(st.sampled_from(families))
    return _law(family, d, _rng(draw(_seeds)))


@st.composite
def shifts(draw, problem, kinds=SHIFTS):
    """A shift ``v`` for ``problem``: 0, a random vector (scale 2) or ``x*``."""
    kind = draw(st.sampled_from(kinds))
    if kind == "zero":
        return np.zeros(problem.n_features)
    if kind == "optimal":
        return problem.argmin()
    return 2.0 * _rng(draw(_seeds)).standard_normal(problem.n_features)


@st.composite
def mast_instances(draw, problems=None, families=FINITE_FAMILIES, kinds=SHIFTS):
    """``MAST(problem, law, shift)``: ``problems`` a strategy (default: quadratics and
    least-squares problems), a law of ``families`` and a shift of ``kinds``."""
    if problems is None:
        problems = st.one_of(quadratics(), least_squares_problems())
    problem = draw(problems)
    law = draw(sketch_laws(problem.n_features, families))
    v = draw(shifts(problem, kinds))
    return MAST(problem, law, shift=v)
