"""The problem protocol: what ``MAST``, the algorithms and the theorems ask of ``f`` (THEORY.md §2).

Every problem implements ``value``, ``grad``, the constants ``L`` (``L_f``) and ``mu``
(``mu_f``), ``inf`` (``f^inf``) and ``argmin``. Optional capabilities, each used where present:

``hessian(x)`` / ``hvp(x, u)``
    second derivatives (exact Newton steps, the Hessian of ``f_D``).
``quadratic_form()``
    ``(A, b, c)`` with ``f(x) = 1/2 x^T A x - b^T x + c``: closed forms of ``f_D``, ``x_D*``,
    ``Delta`` and the exact expectations of §6.
``kernel_pack(v)``
    a ``NamedTuple`` of arrays for the jitted sketched-gradient kernels registered with
    ``mastref.kernels.register_kernels``; without it the algorithms take a Python reference path.
``minimize_sketched(atoms, weights, v)``
    the exact minimiser of ``sum_k pi_k f(v + s_k * (x - v))`` (``x_D*`` for finite laws); the
    default is a generic second-order solve.
``FiniteSum``
    ``f = (1/n) sum_i f_i``: minibatches (``batch_value``, ``batch_grad``, a minibatch kernel),
    per-sample constants ``L_i`` and ``inf_i`` (Theorem 3's tau-nice constants).

A new problem is one file: a subclass of ``Problem`` (or ``FiniteSum``) with whichever of these
it can give.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np
import scipy.optimize as so

from .._validation import MissingCapability, check_array, check_support, check_vector


class QuadraticForm(NamedTuple):
    """``f(x) = 1/2 x^T A x - b^T x + c`` with ``A`` symmetric PSD.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mr.LeastSquares(np.eye(2), np.ones(2)).quadratic_form().b
    array([0.5, 0.5])
    """

    A: np.ndarray
    b: np.ndarray
    c: float


class Problem(ABC):
    """A smooth function ``f: R^d -> R`` bounded below (THEORY.md §0, §2).

    Subclasses set ``d`` and implement the abstract members; ``is_convex`` states whether ``f``
    is convex (Theorem 4 and the default minimiser need it).

    Examples
    --------
    A problem in a few lines: ``f(x) = 1/2 ||x - c||^2`` (no kernel: the reference path).

    >>> import numpy as np
    >>> import mastref as mr
    >>> class Centred(mr.Problem):
    ...     def __init__(self, c):
    ...         self.c, self.d = np.asarray(c, float), len(c)
    ...     def value(self, x):
    ...         return 0.5 * float(np.sum((x - self.c) ** 2))
    ...     def grad(self, x):
    ...         return x - self.c
    ...     L = mu = 1.0
    ...     inf = 0.0
    ...     def argmin(self):
    ...         return self.c.copy()
    >>> mast = mr.MAST(Centred([1.0, 2.0]), mr.RandK(2, 1))
    >>> mast.argmin(), mast.gap  # f_D(x) = E f(v + S x): x_D* = c/2, Delta = ||c||^2/4
    (array([0.5, 1. ]), 1.25)
    """

    d: int
    is_convex: bool = True

    @property
    def n_features(self) -> int:
        """The dimension ``d``."""
        return self.d

    @abstractmethod
    def value(self, x) -> float:
        """``f(x)``."""

    @abstractmethod
    def grad(self, x) -> np.ndarray:
        """``grad f(x)``."""

    @property
    @abstractmethod
    def L(self) -> float:
        """``L_f``: the smoothness constant of ``f``."""

    @property
    @abstractmethod
    def mu(self) -> float:
        """``mu_f``: the strong-convexity constant of ``f`` (0 when merely convex)."""

    @property
    @abstractmethod
    def inf(self) -> float:
        """``f^inf = inf f``."""

    @abstractmethod
    def argmin(self) -> np.ndarray:
        """A minimiser ``x*`` of ``f``."""

    # ---- optional capabilities -----------------------------------------------------------

    def hessian(self, x) -> np.ndarray:
        """``grad^2 f(x)`` as a dense ``d x d`` array."""
        raise MissingCapability(f"{self!r} has no Hessian (implement hessian(x))")

    @property
    def has_hessian(self) -> bool:
        """``True`` when ``hessian`` is implemented."""
        return type(self).hessian is not Problem.hessian

    def hvp(self, x, u) -> np.ndarray:
        """``grad^2 f(x) u``."""
        return self.hessian(x) @ check_vector("u", u, self.d)

    def quadratic_form(self) -> QuadraticForm | None:
        """``(A, b, c)`` if ``f`` is quadratic, else ``None``."""
        return None

    def kernel_pack(self, v: np.ndarray) -> tuple | None:
        """A ``NamedTuple`` for the registered jitted kernels at shift ``v``, or ``None``."""
        return None

    def values_and_grads(self, Y) -> tuple[np.ndarray, np.ndarray]:
        """``f`` and ``grad f`` at every row of ``Y`` (shape ``(R, d)``)."""
        Y = check_array("Y", Y, 2, (-1, self.d))
        vals = np.array([self.value(y) for y in Y])
        grads = np.array([self.grad(y) for y in Y]).reshape(Y.shape)
        return vals, grads

    def sketched_grad_support(self, v, x, idx, sc) -> np.ndarray:
        """``grad f_S(x)`` on ``C = idx`` for ``s = sc`` on ``C``: ``sc * grad f(y)[C]`` with
        ``y = v + s * (x - v)`` (THEORY.md §2), from the full gradient (the reference path).
        ``v``, ``x`` of length ``d``, ``idx`` distinct in ``[0, d)`` and ``sc`` of its length are
        checked (``O(d)``, as the full gradient costs)."""
        v, x = check_vector("v", v, self.d), check_vector("x", x, self.d)
        idx, sc = check_support(idx, sc, self.d)
        y = np.array(v, dtype=float)
        y[idx] = v[idx] + sc * (x[idx] - v[idx])
        return sc * self.grad(y)[idx]

    def minimize_sketched(self, atoms: np.ndarray, weights: np.ndarray, v: np.ndarray):
        """Minimiser of ``F(x) = sum_k pi_k f(v + s_k * (x - v))`` over ``x``.

        Generic solve: trust-region Newton with the exact Hessian where ``hessian`` exists,
        else BFGS, from ``x*`` and polished to a gradient norm at round-off level. Returns
        ``(x, ||grad F(x)||)``. Needs a convex ``f`` for the answer to be the global minimiser.
        """
        if not self.is_convex:
            raise MissingCapability(
                f"{self!r} is not declared convex: a local search does not certify x_D*"
            )

        def fun(x):
            H = x - v
            Y = v + atoms * H
            vals, grads = self.values_and_grads(Y)
            return float(weights @ vals), (weights[:, None] * atoms * grads).sum(axis=0)

        hess = None
        if self.has_hessian:

            def hess(x):
                H = x - v
                out = np.zeros((self.d, self.d))
                for s, w in zip(atoms, weights, strict=True):
                    out += w * (s[:, None] * self.hessian(v + s * H) * s[None, :])
                return out

        x0 = self.argmin()
        method = "trust-exact" if hess is not None else "BFGS"
        options = {"gtol": 1e-13, "maxiter": 10000}
        res = so.minimize(fun, x0, jac=True, hess=hess, method=method, options=options)
        return res.x, float(np.linalg.norm(fun(res.x)[1]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d})"


class FiniteSum(Problem):
    """``f = (1/n) sum_i f_i`` (THEORY.md §2, "Finite sums and sampling").

    Adds ``n_samples``, ``batch_value``/``batch_grad`` over sample indices, the per-sample
    constants ``L_i`` (smoothness of ``f_i``) and ``inf_i`` (``f_i^inf``), and a minibatch
    sketched gradient (a registered jitted kernel, or the reference path here).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.LeastSquares(np.eye(3), np.ones(3))
    >>> isinstance(f, mr.FiniteSum), f.n_samples, f.batch_value(np.zeros(3), [0, 1])
    (True, 3, 0.5)
    """

    n_samples: int

    @abstractmethod
    def batch_value(self, x, rows) -> float:
        """``(1/|B|) sum_{i in B} f_i(x)`` for the sample indices ``rows``."""

    @abstractmethod
    def batch_grad(self, x, rows) -> np.ndarray:
        """``(1/|B|) sum_{i in B} grad f_i(x)``."""

    @property
    @abstractmethod
    def L_i(self) -> np.ndarray:
        """Per-sample smoothness constants."""

    @property
    @abstractmethod
    def inf_i(self) -> np.ndarray:
        """Per-sample infima ``f_i^inf``."""

    def sketched_batch_grad_support(self, v, x, idx, sc, rows) -> np.ndarray:
        """``grad f_{S,B}(x)`` on ``C = idx``: ``sc * grad f_B(y)[C]`` (the reference path;
        arguments checked as in ``sketched_grad_support``)."""
        v, x = check_vector("v", v, self.d), check_vector("x", x, self.d)
        idx, sc = check_support(idx, sc, self.d)
        y = np.array(v, dtype=float)
        y[idx] = v[idx] + sc * (x[idx] - v[idx])
        return sc * self.batch_grad(y, rows)[idx]

    def _check_rows(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError("argument 'rows' must be a non-empty 1-d array of sample indices")
        if rows.min() < 0 or rows.max() >= self.n_samples:
            raise ValueError(f"argument 'rows' has an index outside [0, {self.n_samples - 1}]")
        return rows
