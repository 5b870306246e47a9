"""MAST for models written in JAX (the optional extra ``mastref[jax]``: jax, optax).

Two ways in:

``JaxProblem(loss, params, data)``
    any JAX loss over a parameter pytree as a ``mastref.Problem``: ``MAST``, ``dsgd``, the
    theorems with user-stated constants and ``check`` take it (THEORY.md §2).
``mast_value_and_grad(loss, sketch, v)``
    MAST inside a user's own training loop: a jitted drop-in for ``jax.value_and_grad(loss)``
    that returns ``f_S(x) = f(v + S(x - v))`` and ``grad f_S(x) = S^T grad f(v + S(x - v))``
    with a fresh sketch ``S ~ sketch`` drawn from a JAX key (THEORY.md §0, §3 P1); the user keeps
    their model, data pipeline and optimizer (optax).

Conventions
-----------
Randomness: ``rng_key(rng)`` is the one map from the package's ``rng=`` to JAX keys: an int
seeds ``jax.random.PRNGKey(rng)``; a NumPy Generator draws one integer in ``[0, 2^63)`` that
seeds it; ``None`` draws that integer from fresh entropy. The same ``rng`` gives the same key,
hence the same run.

Precision: JAX computes in float32 unless ``jax_enable_x64`` is on; the package's exactness
tests run in float64 (``jax.enable_x64(True)``), and each experiment states its precision.

Threads (2-core machines): XLA's CPU backend sizes its thread pools when JAX is first
imported. ``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"``
(set before importing JAX) keeps one JAX process on one core; with ``NUMBA_NUM_THREADS=1`` and
``OMP_NUM_THREADS=1`` the numba kernels and BLAS do the same, and parallelism comes from the
process count alone (``--jobs``: joblib or Dask workers, one core each). ``single_thread_env``
gives these settings as a dict.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from .problems.jax_problem import JaxProblem, import_jax
from .sketches import Bernoulli, Partition, RandK

__all__ = [
    "JaxProblem",
    "mast_value_and_grad",
    "rng_key",
    "single_thread_env",
    "sketch_sampler",
]

#: 2^32: the uint32 resolution of the JAX Bernoulli sampler.
_TWO32 = 2**32


def single_thread_env() -> dict[str, str]:
    """Environment variables that keep JAX (XLA), numba and BLAS on one thread per process.

    Set them before JAX, numba or NumPy start (e.g. ``os.environ.update(single_thread_env())``
    at the top of a script, or in the shell); then run ``jobs`` processes for ``jobs`` cores.

    Examples
    --------
    >>> from mastref.jax import single_thread_env
    >>> sorted(single_thread_env())
    ['MKL_NUM_THREADS', 'NUMBA_NUM_THREADS', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'XLA_FLAGS']
    """
    return {
        "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
        "NUMBA_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def rng_key(rng: int | np.random.Generator | None = None):
    """The JAX key of ``rng``: ``PRNGKey(rng)`` for an int, ``PRNGKey(g.integers(2**63))`` for a
    Generator ``g`` (advancing it), fresh entropy for ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.jax import rng_key
    >>> bool((rng_key(3) == rng_key(3)).all())
    True
    >>> a, b = rng_key(np.random.default_rng(0)), rng_key(np.random.default_rng(0))
    >>> bool((a == b).all())
    True
    """
    jax, _ = import_jax()
    if isinstance(rng, np.random.Generator):
        seed = int(rng.integers(2**63))
    elif rng is None:
        seed = int(np.random.default_rng().integers(2**63))
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and 0 <= rng < 2**63:
        seed = int(rng)
    else:
        raise TypeError(
            f"argument 'rng' = {rng!r} must be an int in [0, 2^63), a numpy.random.Generator or "
            "None"
        )
    return jax.random.PRNGKey(seed)


def sketch_sampler(sketch, dtype: str = "float32", params=None) -> Callable:
    """A jittable ``sample(key) -> s`` drawing the scale vector ``s`` of a diagonal law in JAX.

    The JAX law is built from the mastref law's parameters (THEORY.md §1); O(d) memory:

    * ``Bernoulli(p)``: ``s_j = 1[u_j < t_j] * 2^b / t_j`` with ``u_j`` uniform on
      ``{0, ..., 2^b - 1}`` (``b`` bits of a uniform uint32 word, ``32/b`` coordinates a word)
      and ``t_j = p_j 2^b``: ``b`` is the fewest bits in ``{1, 2, 4, 8, 16}`` that write every
      ``p_j`` exactly (``p = 1/2``: one bit a coordinate), the law is then exact; otherwise
      ``b = 32`` and the keep probability is ``p_j`` rounded to a multiple of ``2^-32``.
      Either way ``E[s_j] = 1`` and ``E[s_j^2] = 2^b / t_j`` (``1/p_j``, to a relative
      ``2^-33 / p_j`` when rounded); ``p_j = 1`` is always kept;
    * ``RandK(d, k)``: ``s = (d/k) 1_C`` with ``C`` an exactly uniform k-subset, drawn without a
      sort of ``d`` keys and without a ``d``-vector of indices (see ``_subset_sampler``);
    * ``Partition``: ``s = B 1_{P_b}`` with ``b`` uniform in ``{0, ..., B-1}`` (one draw a call).

    The random bits are JAX's default generator (Threefry-2x32) from ``key``: the same key
    gives the same ``s``. The scales are then cast to ``dtype`` (float32: ``1/p`` to a relative
    ``6e-8``).

    With ``params`` (a pytree whose leaves hold ``d`` entries in all, in ``ravel_pytree``
    order), ``sample(key)`` returns ``s`` as a pytree like ``params``, built leaf by leaf with no
    flat vector: Bernoulli and RandK draw their bits in each leaf's own shape (``32/b``
    coordinates a word along its last axis; Bernoulli one key a leaf from
    ``jax.random.split``), the same law as the flat sampler but another stream; Partition gives
    exactly ``unravel`` of the flat draw.

    Examples
    --------
    >>> import jax
    >>> import mastref as mr
    >>> from mastref.jax import sketch_sampler
    >>> s = sketch_sampler(mr.RandK(6, 2))(jax.random.PRNGKey(0))
    >>> sorted(s.tolist())
    [0.0, 0.0, 0.0, 0.0, 3.0, 3.0]
    >>> tree = sketch_sampler(mr.Bernoulli(6, 0.5), params={"W": jax.numpy.zeros((2, 3))})
    >>> tree(jax.random.PRNGKey(0))["W"].shape
    (2, 3)
    """
    jax, jnp = import_jax()
    if dtype not in ("float32", "float64"):
        raise ValueError(f"argument 'dtype' = {dtype!r} must be 'float32' or 'float64'")
    law = sketch
    d = law.d
    if params is None:
        shapes, treedef = [(d,)], None
    else:
        leaves, treedef = jax.tree_util.tree_flatten(params)
        shapes = [tuple(np.shape(a)) for a in leaves]
        if sum(math.prod(sh) for sh in shapes) != d:
            raise ValueError(
                f"argument 'params' has {sum(math.prod(sh) for sh in shapes)} entries, but the "
                f"sketch has d = {d}"
            )
    flat_shapes = [sh or (1,) for sh in shapes]  # a scalar leaf is drawn as one coordinate
    offsets = np.cumsum([0] + [math.prod(sh) for sh in flat_shapes])

    def constant(values: np.ndarray, i: int, dt):
        """Leaf ``i``'s coordinates of a per-coordinate constant, in the leaf's shape."""
        return jnp.asarray(values[offsets[i] : offsets[i + 1]].reshape(flat_shapes[i]), dt)

    def scales_of(mask, value):
        return jnp.where(mask, jnp.asarray(value, dtype), jnp.zeros((), dtype))

    known = next((c for c in (Bernoulli, RandK, Partition) if isinstance(law, c)), None)
    own = [
        m
        for m in ("sample", "sample_support", "sample_supports")
        if known is not None and law._overrides(m, known)
    ]
    if own:
        raise TypeError(
            f"argument 'sketch' = {law!r} draws by its own {', '.join(own)}; the JAX sampler "
            f"of {known.__name__} would ignore it (give the JAX adaptor a built-in law)"
        )
    if isinstance(law, Bernoulli):
        p = np.asarray(law.p, dtype=np.float64)
        b = next((b for b in (1, 2, 4, 8, 16) if np.all(p * 2**b == np.round(p * 2**b))), 32)
        t = np.round(p * 2**b)  # exact for b < 32; else p rounded to a multiple of 2^-32
        if np.any(t == 0):
            raise ValueError(f"argument 'sketch' has a keep probability below 2^-33: {law!r}")
        always = t >= 2**b  # p = 1
        scale = np.where(always, 1.0, 2.0**b / t)
        t = np.minimum(t, 2**b - 1).astype(np.uint32)
        uniform = bool(np.all(p == p[0]))

        def leaf_scales(key, i):
            """iid scales of leaf ``i``: ``32/b`` fields a uint32 word along the last axis."""
            shape = flat_shapes[i]
            fields = _fields(jnp, jax.random.bits(key, _word_shape(shape, b), jnp.uint32), shape, b)
            if uniform:
                t_j, always_j, scale_j = jnp.uint32(t[0]), bool(always[0]), scale[0]
            else:
                t_j = constant(t, i, jnp.uint32)
                always_j = constant(always, i, bool)
                scale_j = constant(scale, i, dtype)
            return scales_of((fields < t_j) | always_j, scale_j)

        def draw(key):
            keys = [key] if params is None else list(jax.random.split(key, len(shapes)))
            return [leaf_scales(k_i, i) for i, k_i in enumerate(keys)]

    elif isinstance(law, RandK):
        subset, c = _subset_sampler(jax, jnp, flat_shapes, law.k), d / law.k

        def draw(key):
            return [scales_of(mask, c) for mask in subset(key)]

    elif isinstance(law, Partition):
        B = law.n_blocks
        ids_dtype = np.uint8 if B <= 2**8 else np.uint16 if B <= 2**16 else np.int32
        block_of = np.empty(d, dtype=ids_dtype)  # the block of each coordinate, 1 byte if B <= 256
        for blk, block in enumerate(law.blocks):
            block_of[block] = blk

        def draw(key):
            blk = jax.random.randint(key, (), 0, B, dtype=jnp.int32).astype(ids_dtype)
            return [
                scales_of(constant(block_of, i, ids_dtype) == blk, B) for i in range(len(shapes))
            ]

    else:
        raise TypeError(
            f"argument 'sketch' = {law!r}: the JAX sampler knows Bernoulli, RandK and Partition"
        )
    if params is None:
        return lambda key: draw(key)[0]

    def sample(key):
        out = [s.reshape(sh) for s, sh in zip(draw(key), shapes, strict=True)]
        return jax.tree_util.tree_unflatten(treedef, out)

    return sample


def _word_shape(shape: tuple, b: int) -> tuple:
    """The uint32 words holding ``b``-bit fields for an array of ``shape``: ``32/b`` fields a
    word along the last axis."""
    return (*shape[:-1], -(-shape[-1] // (32 // b)))


def _fields(jnp, words, shape: tuple, b: int):
    """The ``b``-bit fields of ``words`` (of ``_word_shape(shape, b)``) as an array of ``shape``:
    entry ``(..., c)`` is field ``c mod (32/b)``, counted from the low bits, of word
    ``floor(c / (32/b))`` of its row."""
    shifts = jnp.arange(32 // b, dtype=jnp.uint32) * jnp.uint32(b)
    fields = (words[..., None] >> shifts) & jnp.uint32(2**b - 1)
    return fields.reshape(*shape[:-1], -1)[..., : shape[-1]]


def _subset_sampler(jax, jnp, shapes: list, k: int, n_draws: int | None = None) -> Callable:
    """``key -> [mask_i]``: boolean masks of ``shapes`` (the leaves, ``d`` entries in all, in
    ravel order) whose union is a uniformly random k-subset of the ``d`` coordinates, exactly.

    XLA sorts slowly on CPU, so ``jax.random.permutation`` (a sort of ``d`` keys) would cost far
    more than a training step at large ``d``. Instead: (1) ``C0`` keeps each coordinate
    independently with a dyadic probability ``p0 = t/2^b`` close to ``k/d`` (``b`` random bits a
    coordinate, in uint32 words laid out in each leaf's shape, see ``_fields``); given
    ``m = |C0|``, ``C0`` is a uniform m-subset. (2) ``r = |m - k|`` coordinates are removed from
    ``C0`` (``m > k``) or added from its complement (``m < k``): the first ``r`` distinct of
    ``N`` iid positions uniform on ``{0, ..., d-1}`` (Lemire's multiply-shift of a uniform
    uint32 ``u``: ``floor(u d / 2^32)``, exactly uniform once the ``2^32 mod d`` values of ``u``
    whose low product word falls below ``2^32 mod d`` are rejected, probability ``< d/2^32``) that
    land in that set, which is a uniform r-subset of it given that at least ``r`` distinct land
    there (an event invariant under relabelling). Removing (adding) a uniform r-subset of a
    uniform m-subset (of its complement) gives a uniform k-subset. The first landing at each
    position is found by a scatter-min of draw indices into a ``d``-table (int16: 2 bytes a
    coordinate; a sort of the ``N`` draws costs ten times more on XLA's CPU backend), the rank
    among first landings by a log-depth scan; the ``r`` changes are recorded as set bits in
    words of the same layout, and each mask is ``C0`` XOR changes, computed where it is used.
    (3) When fewer than ``r`` distinct land (rare: ``N`` is 1.3 times the count whose expected
    landings cover ``|E[m] - k|`` plus 4.5 standard deviations of ``m``, exceeded with
    probability about 7e-6 by the normal approximation; ``n_draws`` overrides ``N``, for
    tests), or when ``N`` would exceed ``d`` (``k`` or ``d - k`` tiny), the subset is the first
    ``k`` of ``jax.random.permutation``. Each branch is exact, so the law is exactly uniform;
    cost ``O(d)`` with ``b d / 32 + N`` random words.
    """
    offsets = np.cumsum([0] + [math.prod(sh) for sh in shapes])
    d = int(offsets[-1])
    if k == d:
        return lambda key: [jnp.ones(sh, dtype=bool) for sh in shapes]
    b = next((b for b in (1, 2, 4, 8) if (k * 2**b) % d == 0), 8)
    t = min(max(round(k * 2**b / d), 1), 2**b - 1)
    p0 = t / 2**b
    if n_draws is None:
        r_cap = abs(d * p0 - k) + 4.5 * math.sqrt(d * p0 * (1 - p0)) + 8
        n_draws = math.ceil(1.3 * r_cap * d / min(k, d - k) / (1 - d / 2**32)) + 64
    table = jnp.int16 if n_draws < 2**15 else jnp.int32  # first draw at each position
    per_word = 32 // b
    word_shapes = [_word_shape(sh, b) for sh in shapes]
    word_off = np.cumsum([0] + [math.prod(w) for w in word_shapes])
    W = int(word_off[-1])
    first_coord, row_len, row_words, first_word = (
        jnp.asarray(a, jnp.int32)
        for a in (offsets[:-1], [s[-1] for s in shapes], [w[-1] for w in word_shapes], word_off)
    )

    def word_of(pos):
        """Word index (in the concatenated layout) and field shift of flat coordinates."""
        bounds = jnp.asarray(offsets[1:-1], jnp.int32)
        method = "compare_all" if len(shapes) <= 64 else "scan"  # fused, for a few leaves
        i = jnp.searchsorted(bounds, pos, side="right", method=method) if len(shapes) > 1 else 0
        local = pos - first_coord[i]
        row, col = local // row_len[i], local % row_len[i]
        word = first_word[i] + row * row_words[i] + col // per_word
        return word, (col % per_word).astype(jnp.uint32) * jnp.uint32(b)

    def marked(pos, take):
        """Words with the low bit of the field of each taken (distinct) position set."""
        word, shift = word_of(pos)
        bit = jnp.left_shift(jnp.uint32(1), shift)
        return jnp.zeros(W, jnp.uint32).at[jnp.where(take, word, W)].add(bit, mode="drop")

    def leaves_of(flat):
        return [flat[word_off[i] : word_off[i + 1]].reshape(w) for i, w in enumerate(word_shapes)]

    def by_permutation(key):
        first_k = jax.random.permutation(key, d)[:k].astype(jnp.int32)
        return marked(first_k, jnp.ones(k, dtype=bool))

    if n_draws > d:
        return lambda key: [
            _fields(jnp, w, sh, b) != 0
            for w, sh in zip(leaves_of(by_permutation(key)), shapes, strict=True)
        ]
    field, reject_below = jnp.uint32(2**b - 1), jnp.uint32(2**32 % d)
    valid_bits = [  # b = 1: the bits of each word column that hold a coordinate
        jnp.asarray([2**32 - 1] * (w[-1] - 1) + [2 ** (sh[-1] - 32 * (w[-1] - 1)) - 1], jnp.uint32)
        for w, sh in zip(word_shapes, shapes, strict=True)
        if b == 1
    ]

    def count(w, i):
        """``|C0|`` in leaf ``i``: for one bit a coordinate (``t = 1``: kept on a 0 bit) by
        population counts of the words, otherwise by comparing each field with ``t``."""
        if b == 1:
            ones = jnp.sum(jax.lax.population_count(w & valid_bits[i]), dtype=jnp.int32)
            return math.prod(shapes[i]) - ones
        return jnp.sum(_fields(jnp, w, shapes[i], b) < t, dtype=jnp.int32)

    def sample(key):
        k_pos, k_perm, *keys = jax.random.split(key, 2 + len(shapes))  # one split a step
        words = [jax.random.bits(keys[i], w, jnp.uint32) for i, w in enumerate(word_shapes)]
        m = sum(count(w, i) for i, w in enumerate(words))
        remove = m > k
        r = jnp.abs(m - k)
        u = jax.random.bits(k_pos, (n_draws,), dtype=jnp.uint32)
        valid = u * jnp.uint32(d) >= reject_below  # the low word of u d (mod 2^32)
        pos = jnp.where(valid, jax.lax.mulhi(u, jnp.uint32(d)), 0).astype(jnp.int32)
        word, shift = word_of(pos)
        flat = jnp.concatenate([w.reshape(-1) for w in words])
        landed = valid & ((((flat[word] >> shift) & field) < t) == remove)
        draw = jnp.arange(n_draws, dtype=jnp.int32)
        first_draw = (
            jnp.full(d, n_draws, table)
            .at[jnp.where(landed, pos, d)]
            .min(draw.astype(table), mode="drop")
        )
        first = landed & (first_draw[pos] == draw.astype(table))
        # rank of each first landing (a log-depth scan: XLA's CPU cumsum is slow)
        take = first & (jax.lax.associative_scan(jnp.add, first.astype(jnp.int32)) <= r)
        fallback = jnp.sum(first) < r
        changes = jax.lax.cond(fallback, lambda: by_permutation(k_perm), lambda: marked(pos, take))
        return [  # C0 XOR changes, or the permutation's subset
            jnp.where(fallback, False, _fields(jnp, w, sh, b) < t) != (_fields(jnp, c, sh, b) != 0)
            for w, c, sh in zip(words, leaves_of(changes), shapes, strict=True)
        ]

    return sample


def mast_value_and_grad(loss: Callable, sketch, v=None) -> Callable:
    """MAST's sketched loss and gradient for a training loop: a drop-in for
    ``jax.value_and_grad(loss)`` with a key argument.

    Returns ``step(params, batch, key) -> (f_S, g)`` (one jitted computation) with
    ``f_S = loss(v + S(x - v), batch)`` and ``g = S^T grad loss(v + S(x - v), batch)``
    (THEORY.md §0, §3 P1), ``x`` the flattened ``params`` and ``S = Diag(s)``,
    ``s = sketch_sampler(sketch, params=params)(key)`` fresh at every call; ``g`` has the
    pytree structure of ``params``. Feed ``g`` to any optimizer (plain SGD is Algorithm 1 with
    the minibatch oracle, Variant II). Split a new key per step (``jax.random.split``).

    Parameters
    ----------
    loss : callable
        ``loss(params, batch) -> scalar`` in ``jax.numpy``.
    sketch : Bernoulli, RandK or Partition
        The sketch law ``D`` on the ``d`` flattened parameters (see ``sketch_sampler``).
    v : pytree, optional
        The centre ``v`` (shift), with the structure of ``params``; default 0 (with Bernoulli,
        weight-level dropout with inverse scaling, THEORY.md §4).

    Examples
    --------
    With optax, one MAST step of an affine model in place of ``jax.value_and_grad(loss)``:

    >>> import jax, jax.numpy as jnp, optax
    >>> import mastref as mr
    >>> from mastref.jax import mast_value_and_grad, rng_key
    >>> def loss(params, batch):
    ...     return jnp.mean((batch[0] @ params["w"] + params["b"] - batch[1]) ** 2)
    >>> params = {"w": jnp.ones(3), "b": jnp.zeros(())}
    >>> step = mast_value_and_grad(loss, mr.Bernoulli(4, 0.5), v=params)
    >>> opt = optax.sgd(0.1)
    >>> state = opt.init(params)
    >>> value, grads = step(params, (jnp.ones((8, 3)), jnp.zeros(8)), rng_key(0))
    >>> updates, state = opt.update(grads, state)
    >>> params = optax.apply_updates(params, updates)
    >>> jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    True
    """
    jax, jnp = import_jax()
    from jax.flatten_util import ravel_pytree

    if not callable(loss):
        raise TypeError(f"argument 'loss' = {loss!r} must be a callable loss(params, batch)")

    def sketched(params, centre, batch, key):
        flat, _ = ravel_pytree(params)
        if flat.size != sketch.d:
            raise ValueError(
                f"argument 'sketch' has d = {sketch.d}, but params have {flat.size} entries"
            )
        # s as a pytree, leaf by leaf (no flat vector in the step), built once per trace
        s = sketch_sampler(sketch, str(flat.dtype), params=params)(key)
        if centre is None:  # v = 0: y = S x
            y = jax.tree_util.tree_map(lambda si, x: si * x, s, params)
        else:  # a centre baked into the caller's jit is a constant: the barrier stops XLA
            # folding -v into a second d-vector constant, read at every step next to v
            centre = jax.lax.optimization_barrier(centre)
            y = jax.tree_util.tree_map(lambda c, si, x: c + si * (x - c), centre, s, params)
        value, g = jax.value_and_grad(loss)(y, batch)
        return value, jax.tree_util.tree_map(lambda si, gi: si * gi, s, g)

    sketched = jax.jit(sketched)
    centre = None if v is None else jax.tree_util.tree_map(jnp.asarray, v)

    def step(params, batch, key):
        return sketched(params, centre, batch, key)

    step.__doc__ = f"MAST step of {getattr(loss, '__name__', 'loss')} with {sketch!r}."
    return step
