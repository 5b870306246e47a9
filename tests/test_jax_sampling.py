"""The exact laws of the JAX samplers (mastref.jax): RandK's k-subset drawn in the leaves'
layout is exactly uniform (every branch of the scheme), and the same key gives the same draw.

False alarms: each chi-square or binomial check below is set at a stated level (1e-6 per check),
so a correct sampler fails one with probability below 1e-5 in all; the seeds are fixed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install 'mastref[jax]'")
jnp = pytest.importorskip("jax.numpy", reason="JAX is an optional extra")
pytest.importorskip("jax.flatten_util", reason="JAX is an optional extra")  # jax.flatten_util.*

import mastref as mr  # noqa: E402
from mastref.jax import _subset_sampler, rng_key, sketch_sampler  # noqa: E402

_ALPHA = 1e-6  # false-alarm level of each check


@pytest.mark.parametrize("k", [3, 4])
@pytest.mark.parametrize("n_draws", [2, 8])
def test_subset_in_leaves_is_exactly_uniform_in_every_branch(k, n_draws):
    """Leaves (2, 3) and (2,) (d = 8; one padded word a row): with N = 2 or 8 fix-up draws the
    sort-free branch and the permutation fallback both run often, and the k-subset must be
    uniform over all C(8, k) subsets (chi-square, C(8, k) - 1 degrees of freedom, level 1e-6).
    k = 4 uses one bit a coordinate (p0 = 1/2), k = 3 four bits (p0 = 6/16)."""
    shapes, d, n = [(2, 3), (2,)], 8, 20_000
    sample = _subset_sampler(jax, jnp, shapes, k, n_draws=n_draws)

    def flat(key):
        return jnp.concatenate([m.reshape(-1) for m in sample(key)])

    masks = np.asarray(jax.jit(jax.vmap(flat))(jax.random.split(rng_key(k + 10 * n_draws), n)))
    assert masks.shape == (n, d)
    assert np.all(masks.sum(axis=1) == k)  # every draw has exactly k coordinates
    code = masks.astype(np.int64) @ (2 ** np.arange(d))
    subsets = [sum(2**j for j in c) for c in itertools.combinations(range(d), k)]
    counts = np.array([np.sum(code == c) for c in subsets])
    assert counts.sum() == n
    expected = n / math.comb(d, k)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 <= stats.chi2.isf(_ALPHA, len(subsets) - 1)


def test_randk_in_leaves_has_uniform_marginals_at_the_sort_free_size():
    """d = 2104 in leaves (3, 700), (3,), (1,) and k = d/2: the fix-up takes N ~ 350 < d draws
    (the sort-free branch). Every draw has exactly k scales d/k; each coordinate is kept with
    probability k/d = 1/2: its count over 4000 draws is Binomial(4000, 1/2), held within the
    two-sided level 1e-6 / d of each coordinate (Bonferroni: 1e-6 in all)."""
    tree = {"W": np.zeros((3, 700)), "b": np.zeros(3), "c": np.zeros(())}
    d, k, n = 2104, 1052, 4000
    sampler = sketch_sampler(mr.RandK(d, k), "float32", params=tree)

    def flat(key):
        return jax.flatten_util.ravel_pytree(sampler(key))[0]

    S = np.asarray(jax.jit(jax.vmap(flat))(jax.random.split(rng_key(4), n)))
    assert set(np.unique(S).tolist()) == {0.0, 2.0}
    assert np.all((S > 0).sum(axis=1) == k)
    z = stats.norm.isf(_ALPHA / (2 * d))
    counts = (S > 0).sum(axis=0)
    assert np.all(np.abs(counts - n / 2) <= z * math.sqrt(n / 4))


@pytest.mark.parametrize(
    "law",
    [
        mr.Bernoulli(2104, 0.5),
        mr.Bernoulli(2104, 0.3),
        mr.RandK(2104, 1052),
        mr.Partition(2104, 4, rng=0),
    ],
    ids=repr,
)
def test_same_key_same_draw(law):
    """The same key gives the same draw (flat and leafwise); another key another draw."""
    tree = {"W": np.zeros((3, 700)), "b": np.zeros(3), "c": np.zeros(())}
    for params in (None, tree):
        sampler = jax.jit(sketch_sampler(law, params=params))
        a, b, c = (
            np.asarray(jax.flatten_util.ravel_pytree(sampler(rng_key(s)))[0]) for s in (7, 7, 8)
        )
        assert np.array_equal(a, b)
        if not isinstance(law, mr.Partition):  # 4 atoms: two keys may draw the same block
            assert not np.array_equal(a, c)


def test_a_subclass_that_draws_its_own_way_is_refused():
    """A user's subclass of a built-in law that overrides its sampling would silently get the
    built-in JAX sampler (a new user's trial, stop 31, read from the code); it is refused,
    naming the method. A subclass that keeps the built-in draws is accepted."""

    class Tilted(mr.Bernoulli):
        def sample_support(self, rng=None):
            return np.array([0]), np.array([self.d * 1.0])

    with pytest.raises(TypeError, match="draws by its own sample_support; the JAX sampler of "
                       "Bernoulli would ignore it"):
        sketch_sampler(Tilted(4, 0.5))

    class Renamed(mr.RandK):
        pass

    assert sketch_sampler(Renamed(4, 2))(jax.random.PRNGKey(0)).shape == (4,)
