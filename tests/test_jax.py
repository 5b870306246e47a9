"""The JAX adaptor (mastref.jax): JaxProblem against the NumPy problems, the JAX samplers'
moments, and the training-loop step.

float64: each test that needs it runs inside ``jax.enable_x64(True)``, a context manager that
sets the flag for the current thread and restores it on exit, so nothing leaks into other
test modules (``jax.config.update`` at import would be process-wide).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import fd_grad, random_logistic

jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install 'mastref[jax]'")
jnp = pytest.importorskip("jax.numpy", reason="JAX is an optional extra")
pytest.importorskip("jax.flatten_util", reason="JAX is an optional extra")  # jax.flatten_util.*

import mastref as mr  # noqa: E402
from mastref.jax import (  # noqa: E402
    JaxProblem,
    mast_value_and_grad,
    rng_key,
    sketch_sampler,
)


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def _logistic_loss(params, batch):
    """The per-sample l2-logistic loss of LogisticRegression, averaged over the batch."""
    X, y, lam = batch["X"], batch["y"], 0.1
    margins = y * (X @ params["w"])
    return jnp.mean(jnp.logaddexp(0.0, -margins)) + 0.5 * lam * params["w"] @ params["w"]


def _pair(rng, n=30, d=5, **kw):
    lr = random_logistic(rng, n, d, lam=0.1)
    f = JaxProblem(
        _logistic_loss,
        {"w": jnp.zeros(d)},
        {"X": lr.X, "y": lr.y},
        dtype="float64",
        L=lr.L,
        mu=lr.mu,
        argmin=lr.argmin(),
        inf=lr.inf,
        **kw,
    )
    return lr, f


def _mlp_loss(params, batch):
    h = jnp.tanh(batch["x"] @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    return jnp.mean(
        jax.nn.logsumexp(logits, axis=1) - logits[jnp.arange(logits.shape[0]), batch["c"]]
    )


def _mlp(rng, d_in=4, width=6, classes=3, n=20):
    params = {
        "W1": jnp.asarray(rng.standard_normal((d_in, width))),
        "b1": jnp.asarray(rng.standard_normal(width)),
        "W2": jnp.asarray(rng.standard_normal((width, classes))),
        "b2": jnp.zeros(classes),
    }
    data = {"x": rng.standard_normal((n, d_in)), "c": rng.integers(classes, size=n)}
    return params, data


def test_mlp_gradient_equals_finite_difference(x64):
    rng = np.random.default_rng(0)
    params, data = _mlp(rng)
    f = JaxProblem(_mlp_loss, params, data, batch_size=7)  # chunks 7 + 7 + 6
    x = f.x0 + 0.1 * rng.standard_normal(f.d)
    g = f.grad(x)
    np.testing.assert_allclose(g, fd_grad(f.value, x, eps=1e-6), rtol=1e-6, atol=1e-8)
    # the chunked mean equals the one-shot mean
    one = JaxProblem(_mlp_loss, params, data)
    assert f.value(x) == pytest.approx(one.value(x), rel=1e-14)
    np.testing.assert_allclose(g, one.grad(x), rtol=1e-13, atol=1e-15)
    rows = np.array([3, 11, 0])
    fb = lambda z: f.batch_value(z, rows)  # noqa: E731
    np.testing.assert_allclose(f.batch_grad(x, rows), fd_grad(fb, x), rtol=1e-6, atol=1e-8)


def test_logistic_in_jax_equals_logistic_regression(x64):
    rng = np.random.default_rng(1)
    lr, f = _pair(rng)
    x = rng.standard_normal(f.d)
    assert f.value(x) == pytest.approx(lr.value(x), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(f.grad(x), lr.grad(x), rtol=1e-12, atol=1e-14)
    rows = np.array([4, 17, 2, 9])
    assert f.batch_value(x, rows) == pytest.approx(lr.batch_value(x, rows), rel=1e-12)
    np.testing.assert_allclose(
        f.batch_grad(x, rows), lr.batch_grad(x, rows), rtol=1e-12, atol=1e-14
    )
    v = rng.standard_normal(f.d)
    law = mr.Bernoulli(p=np.array([0.3, 0.5, 0.7, 0.9, 1.0]))
    m_jax, m_np = mr.MAST(f, law, shift=v), mr.MAST(lr, law, shift=v)
    for seed in range(5):
        S = law.sample(rng=seed)
        np.testing.assert_allclose(
            m_jax.sketched_grad(x, S), m_np.sketched_grad(x, S), rtol=1e-12, atol=1e-14
        )
    # and f_D, exactly by enumeration over the 16 masks
    assert m_jax.value(x) == pytest.approx(m_np.value(x), rel=1e-12)
    np.testing.assert_allclose(m_jax.grad(x), m_np.grad(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("oracle", ["exact", "minibatch"])
def test_dsgd_on_jax_problem_matches_numpy_problem_step_by_step(x64, oracle):
    rng = np.random.default_rng(2)
    lr, f = _pair(rng)
    v = rng.standard_normal(f.d)
    kw = {"oracle": oracle, "batch_size": 4 if oracle == "minibatch" else None}
    traces = [
        mr.dsgd(
            mr.MAST(p, mr.RandK(f.d, 2), shift=v),
            np.zeros(f.d),
            0.2,
            30,
            n_runs=3,
            rng=7,
            record_every=1,
            **kw,
        )
        for p in (f, lr)
    ]
    assert traces[0].iterates.shape == (31, 3, f.d)
    np.testing.assert_allclose(traces[0].iterates, traces[1].iterates, rtol=1e-12, atol=1e-13)


def test_theorem_with_user_constants_and_check(x64):
    rng = np.random.default_rng(3)
    lr, f = _pair(rng, n=20, d=3)
    law = mr.RandK(3, 1)
    g_jax = mr.theorem1(mr.MAST(f, law), x0=np.zeros(3))
    g_np = mr.theorem1(mr.MAST(lr, law), x0=np.zeros(3))
    assert g_jax.gamma == pytest.approx(g_np.gamma, rel=1e-12)
    assert g_jax.floor == pytest.approx(g_np.floor, rel=1e-6)  # Delta via the two minimisers
    res = mr.check(mr.theorem1, mr.MAST(f, law), n_steps=40, n_runs=100, rng=0)
    assert res.verdict == "holds"


def test_missing_constants_and_precision_are_named():
    rng = np.random.default_rng(4)
    params, data = _mlp(rng)
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    f = JaxProblem(_mlp_loss, params, data)
    assert f.dtype == "float32" and f.n_samples == 20
    with pytest.raises(mr.MissingCapability, match="pass L="):
        f.L  # noqa: B018
    with pytest.raises(ValueError, match="jax_enable_x64"):
        JaxProblem(_mlp_loss, params, data, dtype="float64")
    with pytest.raises(ValueError, match="leading lengths"):
        JaxProblem(_mlp_loss, params, {"x": data["x"], "c": data["c"][:5]})


# ------------------------------------------------------------------------------------------------
# The JAX samplers: the law's first and second moments by a seeded Monte Carlo
# ------------------------------------------------------------------------------------------------

_N = 40_000  # draws; every entry is held within 6 standard errors (normal approx.: < 2e-9 each)


@pytest.mark.parametrize(
    "law",
    [
        mr.Bernoulli(p=np.linspace(0.2, 1.0, 8)),
        mr.Bernoulli(8, 0.3),
        mr.RandK(8, 3),  # small d: the permutation branch of the subset sampler
        mr.RandK(2000, 1000),  # the sort-free branch, dyadic p0 = 1/2
        mr.RandK(2000, 700),  # the sort-free branch, p0 = 90/256
        mr.Partition(8, 3, rng=0),
    ],
    ids=repr,
)
def test_sampler_has_the_law_moments(x64, law):
    sampler = sketch_sampler(law, "float64")
    m = min(law.d, 12)  # the moments of the first m coordinates
    draw = jax.jit(lambda keys: jax.lax.map(lambda key: sampler(key)[:m], keys))
    S = np.asarray(draw(jax.random.split(jax.random.PRNGKey(0), _N)))
    assert S.shape == (_N, m)
    second = law.pair_moments()[:m, :m]  # E[s_i s_j]
    if isinstance(law, mr.RandK):  # c^4 P(i, j in C), c = d/k (RandomSubset.moment overflows
        c, d, k = law.d / law.k, law.d, law.k  # math.comb at d = 2000)
        fourth = np.full((m, m), c**4 * k * (k - 1) / (d * (d - 1)))
        np.fill_diagonal(fourth, c**4 * k / d)
    else:
        unit = np.eye(law.d, dtype=int)
        fourth = np.array(  # E[s_i^2 s_j^2]: the variance bound of each product
            [[law.moment(2 * unit[i] + 2 * unit[j]) for j in range(m)] for i in range(m)]
        )
    se1 = np.sqrt(np.diag(second) - 1.0) / np.sqrt(_N)
    assert np.all(np.abs(S.mean(axis=0) - 1.0) <= 6 * se1 + 1e-12)
    se2 = np.sqrt(fourth - second**2) / np.sqrt(_N)
    assert np.all(np.abs(S.T @ S / _N - second) <= 6 * se2 + 1e-12)


_TREE = {"W": np.zeros((3, 37)), "b": np.zeros(3), "c": np.zeros(())}  # 115 entries


@pytest.mark.parametrize(
    "law", [mr.Bernoulli(p=np.linspace(0.2, 1.0, 115)), mr.Bernoulli(115, 0.5)], ids=repr
)
def test_leafwise_sampler_has_the_law_moments(x64, law):
    """The pytree sampler (bits in each leaf's shape, one key a leaf) has the law's moments on
    coordinates of every leaf, across a word boundary (37 > 32) and on a scalar leaf."""
    sampler = sketch_sampler(law, "float64", params=_TREE)
    idx = np.array([0, 30, 31, 32, 33, 36, 37, 110, 111, 112, 113, 114])  # W, W, ..., b, c

    def flat(key):
        return jax.flatten_util.ravel_pytree(sampler(key))[0][idx]

    S = np.asarray(jax.jit(lambda keys: jax.lax.map(flat, keys))(jax.random.split(rng_key(3), _N)))
    unit = np.eye(law.d, dtype=int)
    second = law.pair_moments()[np.ix_(idx, idx)]
    fourth = np.array([[law.moment(2 * unit[i] + 2 * unit[j]) for j in idx] for i in idx])
    se1 = np.sqrt(np.diag(second) - 1.0) / np.sqrt(_N)
    assert np.all(np.abs(S.mean(axis=0) - 1.0) <= 6 * se1 + 1e-12)
    se2 = np.sqrt(fourth - second**2) / np.sqrt(_N)
    assert np.all(np.abs(S.T @ S / _N - second) <= 6 * se2 + 1e-12)
    with pytest.raises(ValueError, match="'params' has 115 entries, but the sketch has d = 116"):
        sketch_sampler(mr.Bernoulli(116, 0.5), params=_TREE)


def test_sampler_scales_and_support_exact():
    key = jax.random.PRNGKey(1)
    s = np.asarray(sketch_sampler(mr.RandK(10, 4))(key))
    assert sorted(s.tolist()) == [0.0] * 6 + [2.5] * 4
    part = mr.Partition(blocks=[[0, 3], [1, 2, 4]])
    s = np.asarray(sketch_sampler(part)(key))
    assert set(np.flatnonzero(s).tolist()) in ({0, 3}, {1, 2, 4}) and set(s[s > 0]) == {2.0}
    s = np.asarray(sketch_sampler(mr.Bernoulli(p=np.array([1.0, 0.25, 0.25])))(key))
    assert s[0] == 1.0 and set(s[1:].tolist()) <= {0.0, 4.0}
    with pytest.raises(TypeError, match="Bernoulli, RandK and Partition"):
        sketch_sampler(mr.Gaussian(3, 2))


@pytest.mark.parametrize(
    "law",
    [mr.Bernoulli(10**6, 0.5), mr.RandK(10**6, 10**5), mr.Partition(10**6, 4, rng=0)],
    ids=["bernoulli", "randk", "partition"],
)
def test_sampler_at_a_million_parameters(law):
    s = np.asarray(jax.jit(sketch_sampler(law))(jax.random.PRNGKey(2)), dtype=np.float64)
    assert s.shape == (10**6,)
    if isinstance(law, mr.Bernoulli):  # sum of 1e6 iid scales of variance 1: within 6 sigma
        assert abs(s.mean() - 1.0) <= 6 * 1.0 / np.sqrt(10**6)
    else:  # every atom of RandK and of a balanced Partition sums to d
        assert s.sum() == pytest.approx(10**6, rel=1e-6)


def test_rng_key_is_one_documented_map():
    assert np.array_equal(rng_key(5), jax.random.PRNGKey(5))
    g = np.random.default_rng(9)
    expected = jax.random.PRNGKey(int(np.random.default_rng(9).integers(2**63)))
    assert np.array_equal(rng_key(g), expected)
    with pytest.raises(TypeError, match="'rng'"):
        rng_key(-1)


def test_training_step_is_the_sketched_gradient(x64):
    rng = np.random.default_rng(5)
    params, data = _mlp(rng)
    f = JaxProblem(_mlp_loss, params, data)
    v_flat = f.x0 + 0.3 * rng.standard_normal(f.d)
    v = f.unravel(jnp.asarray(v_flat))
    x = f.x0 + 0.2 * rng.standard_normal(f.d)
    for law in (mr.Bernoulli(f.d, 0.6), mr.RandK(f.d, 9), mr.Partition(f.d, 3, rng=1)):
        step = mast_value_and_grad(_mlp_loss, law, v)
        key = rng_key(11)
        value, g = step(f.unravel(jnp.asarray(x)), f.data, key)
        s_tree = sketch_sampler(law, "float64", params=params)(key)  # the step's draw
        s = np.asarray(jax.flatten_util.ravel_pytree(s_tree)[0])
        if isinstance(law, mr.Partition):  # Partition: unravel of the flat draw
            np.testing.assert_array_equal(s, sketch_sampler(law, "float64")(key))
        mast = mr.MAST(f, law, shift=v_flat)
        flat_g = np.asarray(jax.flatten_util.ravel_pytree(g)[0])
        np.testing.assert_allclose(flat_g, mast.sketched_grad(x, s), rtol=1e-12, atol=1e-14)
        assert float(value) == pytest.approx(mast.sketched_value(x, s), rel=1e-12)


def test_training_step_with_optax_is_sgd_on_the_sketched_gradient():
    optax = pytest.importorskip("optax", reason="optax comes with the extra mastref[jax]")
    rng = np.random.default_rng(6)
    params, data = _mlp(rng)
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float32), params)
    law = mr.Bernoulli(sum(a.size for a in jax.tree_util.tree_leaves(params)), 0.5)
    step = mast_value_and_grad(_mlp_loss, law, params)
    opt = optax.sgd(0.05)
    state = opt.init(params)
    key = rng_key(0)
    _, g = step(params, data, key)
    updates, state = opt.update(g, state)
    new = optax.apply_updates(params, updates)
    for a, b, gi in zip(*(jax.tree_util.tree_leaves(t) for t in (new, params, g)), strict=True):
        np.testing.assert_allclose(a, b - 0.05 * gi, rtol=1e-6, atol=1e-7)
    # same key, same draw: the run is reproducible
    _, g2 = step(params, data, key)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(g2), strict=True)
    )


def test_training_step_takes_the_sketch_by_keyword_and_checks_its_dimension():
    rng = np.random.default_rng(7)
    params, data = _mlp(rng)
    d = sum(a.size for a in jax.tree_util.tree_leaves(params))
    step = mast_value_and_grad(_mlp_loss, sketch=mr.RandK(d, 3))
    _, g = step(params, data, rng_key(0))  # v = 0, RandK(d, 3): g is 0 off 3 coordinates
    assert np.count_nonzero(np.asarray(jax.flatten_util.ravel_pytree(g)[0])) <= 3
    with pytest.raises(ValueError, match=f"'sketch' has d = {d + 1}, but params have {d}"):
        mast_value_and_grad(_mlp_loss, sketch=mr.RandK(d + 1, 3))(params, data, rng_key(0))
    assert sketch_sampler(sketch=mr.RandK(4, 2))(rng_key(0)).shape == (4,)
