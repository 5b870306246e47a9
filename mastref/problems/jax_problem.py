"""A JAX loss over a parameter pytree as a ``Problem``: ``JaxProblem(loss, params, data)``.

JAX is imported when a ``JaxProblem`` is built, not when ``mastref`` is imported: the package
works without the optional extra ``mastref[jax]``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._validation import MissingCapability, check_int, check_real, check_vector, finite_result
from .base import FiniteSum


def import_jax():
    """``jax`` and ``jax.numpy``, or an ImportError that names the extra to install."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "mastref's JAX adaptor needs JAX: pip install 'mastref[jax]' (jax, optax)"
        ) from err
    return jax, jnp


class JaxProblem(FiniteSum):
    """``f(x) = (1/n) sum_i loss_i(unravel(x))`` for a JAX loss over a parameter pytree.

    ``x`` is the flat parameter vector of ``jax.flatten_util.ravel_pytree(params)``; every
    sketch acts on it (THEORY.md §0: ``f_S(x) = f(v + S(x - v))``). ``value`` and ``grad`` are
    ``jax.jit``-compiled ``loss`` and ``jax.value_and_grad(loss)``; the minibatch oracle
    (``batch_value``, ``batch_grad``, Algorithm 1-II) slices the leading axis of every array of
    ``data``. ``loss(params, batch)`` must be the MEAN over the batch of the per-sample losses,
    so that ``f_B = (1/|B|) sum_{i in B} f_i`` (THEORY.md §2, "Finite sums and sampling"). The
    constants a neural network does not reveal (``L_f``, ``mu_f``, ``f^inf``, ``x*``, ``L_i``,
    ``f_i^inf``) are the user's to state; a theorem that needs one that is missing raises
    ``MissingCapability`` naming the argument.

    Parameters
    ----------
    loss : callable
        ``loss(params, batch) -> scalar``, written in ``jax.numpy``.
    params : pytree
        Parameters (the structure, shapes and dtype of ``x``; their value is ``x0``).
    data : pytree of arrays
        Leading axis indexes the ``n`` samples (same length for every leaf).
    batch_size : int, optional
        ``f`` and ``grad f`` over the whole data are evaluated in chunks of this many samples
        (bounded memory; the chunk means are weighted by their sizes, exact for a mean loss).
        Default: all samples at once.
    dtype : {"float32", "float64"}, optional
        Precision of the JAX computation (default: that of ``params``). ``"float64"`` needs
        ``jax_enable_x64`` on while the problem is used (``jax.config.update("jax_enable_x64",
        True)`` or the context manager ``jax.enable_x64(True)``). Results are returned as
        float64 NumPy either way.
    L, mu, inf, argmin, L_i, inf_i : optional
        ``L_f``, ``mu_f`` (default 0), ``f^inf``, ``x*`` (flat), per-sample ``L_i`` and
        ``f_i^inf``, if known.
    convex : bool
        Whether ``f`` is convex (default ``mu > 0``; a neural network is not).

    Raises
    ------
    ValueError
        Empty data, leaves of different lengths, non-finite parameters, float64 without x64.
    ImportError
        JAX is not installed (``pip install 'mastref[jax]'``).

    Examples
    --------
    A least-squares model in JAX, ``f(x) = (1/n) sum_i (a_i^T w - b_i)^2 / 2``:

    >>> import jax.numpy as jnp, numpy as np
    >>> import mastref as mr
    >>> from mastref.jax import JaxProblem
    >>> def loss(params, batch):
    ...     return 0.5 * jnp.mean((batch["a"] @ params["w"] - batch["b"]) ** 2)
    >>> data = {"a": np.eye(3, dtype=np.float32), "b": np.ones(3, dtype=np.float32)}
    >>> f = JaxProblem(loss, {"w": jnp.zeros(3)}, data, L=1 / 3)
    >>> f.d, f.n_samples, f.value(np.zeros(3)), f.grad(np.zeros(3))
    (3, 3, 0.5, array([-0.33333334, -0.33333334, -0.33333334]))
    >>> trace = mr.dsgd(mr.MAST(f, mr.RandK(3, 1)), np.zeros(3), 0.5, 10, rng=0)
    """

    def __init__(
        self,
        loss: Callable,
        params,
        data,
        *,
        batch_size: int | None = None,
        dtype: str | None = None,
        L: float | None = None,
        mu: float = 0.0,
        inf: float | None = None,
        argmin=None,
        L_i=None,
        inf_i=None,
        convex: bool | None = None,
    ):
        jax, jnp = import_jax()
        from jax.flatten_util import ravel_pytree

        if not callable(loss):
            raise TypeError(f"argument 'loss' = {loss!r} must be a callable loss(params, batch)")
        leaves = jax.tree_util.tree_leaves(data)
        if not leaves:
            raise ValueError("argument 'data' holds no array; it must be a pytree of arrays")
        lengths = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in leaves}
        if len(lengths) != 1 or min(lengths) < 1:
            raise ValueError(
                f"argument 'data' has leading lengths {sorted(lengths)}; every leaf must have the "
                "same number n >= 1 of samples along axis 0"
            )
        self.n_samples = lengths.pop()
        flat, self.unravel = ravel_pytree(params)
        if dtype is None:
            dtype = str(flat.dtype)
        if dtype not in ("float32", "float64"):
            raise ValueError(f"argument 'dtype' = {dtype!r} must be 'float32' or 'float64'")
        if dtype == "float64" and not jax.config.jax_enable_x64:
            raise ValueError(
                "argument 'dtype' = 'float64' needs JAX's x64 mode: jax.config.update("
                "'jax_enable_x64', True), or build and use the problem inside "
                "`with jax.enable_x64(True):`"
            )
        self.dtype = dtype
        self.x0 = check_vector("params", np.asarray(flat, dtype=np.float64))
        self.d = self.x0.size
        self.loss = loss
        self.data = jax.tree_util.tree_map(lambda a: jnp.asarray(a), data)
        self.batch_size = (
            None if batch_size is None else check_int("batch_size", batch_size, 1, self.n_samples)
        )

        def flat_loss(x, batch):
            return loss(self.unravel(x), batch)

        self._value = jax.jit(flat_loss)
        self._value_and_grad = jax.jit(jax.value_and_grad(flat_loss))
        self._take = jax.jit(lambda data, rows: jax.tree_util.tree_map(lambda a: a[rows], data))
        self._L = None if L is None else check_real("L", L, positive=True)
        self._mu = check_real("mu", mu, nonnegative=True)
        if self._L is not None and self._mu > self._L:
            raise ValueError(f"argument 'mu' = {mu} exceeds 'L' = {L}: no such function")
        self.is_convex = bool(self._mu > 0) if convex is None else bool(convex)
        if self._mu > 0 and not self.is_convex:
            raise ValueError("argument 'convex' = False contradicts 'mu' > 0")
        self._inf = None if inf is None else check_real("inf", inf)
        self._argmin = None if argmin is None else check_vector("argmin", argmin, self.d)
        self._L_i = None if L_i is None else check_vector("L_i", L_i, self.n_samples)
        self._inf_i = None if inf_i is None else check_vector("inf_i", inf_i, self.n_samples)

    def _jax_x(self, x):
        _, jnp = import_jax()
        return jnp.asarray(check_vector("x", x, self.d), dtype=self.dtype)

    def _chunks(self):
        n, b = self.n_samples, self.batch_size or self.n_samples
        for start in range(0, n, b):
            rows = np.arange(start, min(start + b, n))
            yield rows.size / n, (self.data if rows.size == n else self._take(self.data, rows))

    @finite_result("x")
    def value(self, x) -> float:
        """``f(x)``: the jitted ``loss`` over all samples (chunk means weighted by size)."""
        xj = self._jax_x(x)
        return math.fsum(w * float(self._value(xj, batch)) for w, batch in self._chunks())

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        """``grad f(x)``: the jitted ``jax.value_and_grad(loss)``, as float64 NumPy."""
        xj = self._jax_x(x)
        out = np.zeros(self.d)
        for w, batch in self._chunks():
            out += w * np.asarray(self._value_and_grad(xj, batch)[1], dtype=np.float64)
        return out

    @finite_result("x")
    def batch_value(self, x, rows) -> float:
        """``f_B(x) = loss(x, data[rows])``."""
        rows = self._check_rows(rows)
        return float(self._value(self._jax_x(x), self._take(self.data, rows)))

    @finite_result("x")
    def batch_grad(self, x, rows) -> np.ndarray:
        """``grad f_B(x)`` for the sample indices ``rows``."""
        rows = self._check_rows(rows)
        g = self._value_and_grad(self._jax_x(x), self._take(self.data, rows))[1]
        return np.asarray(g, dtype=np.float64)

    def _given(self, value, name: str):
        if value is None:
            raise MissingCapability(
                f"{self!r}: {name} is not known for a general JAX loss; pass {name}= to "
                "JaxProblem if you know it"
            )
        return value

    @property
    def L(self) -> float:
        """``L_f`` as given (``L=``)."""
        return self._given(self._L, "L")

    @property
    def mu(self) -> float:
        """``mu_f`` as given (``mu=``, default 0)."""
        return self._mu

    @property
    def inf(self) -> float:
        """``f^inf`` as given (``inf=``), else ``f(argmin)`` if ``argmin=`` was given."""
        if self._inf is None and self._argmin is not None:
            return self.value(self._argmin)
        return self._given(self._inf, "inf")

    def argmin(self) -> np.ndarray:
        """``x*`` as given (``argmin=``)."""
        return self._given(self._argmin, "argmin").copy()

    @property
    def L_i(self) -> np.ndarray:
        """Per-sample smoothness constants as given (``L_i=``)."""
        return self._given(self._L_i, "L_i")

    @property
    def inf_i(self) -> np.ndarray:
        """Per-sample infima as given (``inf_i=``)."""
        return self._given(self._inf_i, "inf_i")

    def __repr__(self) -> str:
        name = getattr(self.loss, "__name__", "loss")
        return f"JaxProblem({name}, n={self.n_samples}, d={self.d}, {self.dtype})"
