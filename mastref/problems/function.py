"""A user's smooth function given as callables: ``FunctionProblem(f, grad, L=..., mu=...)``."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property

import numpy as np
import scipy.optimize as so

from .._validation import (
    MissingCapability,
    as_real_array,
    check_int,
    check_real,
    check_vector,
    finite_result,
)
from .auditing import audit
from .base import Problem


class FunctionProblem(Problem):
    """A smooth ``f`` from callables, with its constants stated by the user.

    ``f_D`` is exact by enumeration over finite-support laws (``MAST``); the theorems that need
    only ``L_f``, ``mu_f``, ``f^inf`` and convexity apply (Theorems 1, 2, 3 with the exact oracle,
    4, the baseline), and those that need more (a finite sum, a quadratic form) say so. No
    jitted kernel: the algorithms use the reference path (a Python loop over runs).

    Parameters
    ----------
    f, grad : callable
        ``f(x) -> float`` and ``grad(x) -> ndarray`` on ``R^d``.
    d : int
        Dimension.
    L : float
        Smoothness constant ``L_f`` (an upper bound is fine; the bounds then hold, looser).
    mu : float
        Strong-convexity constant ``mu_f >= 0`` (a lower bound is fine).
    convex : bool, optional
        Whether ``f`` is convex (default: ``mu > 0``).
    hess : callable, optional
        ``hess(x) -> (d, d) array``; enables exact Newton steps.
    inf : float, optional
        ``f^inf`` if known; otherwise computed by minimising ``f`` (convex ``f`` only).
    argmin : array_like, optional
        A minimiser ``x*`` if known.

    Raises
    ------
    ValueError
        ``L <= 0``, ``mu < 0``, ``mu > L``; or what ``mastref.problems.audit`` finds at a few
        seeded points (about 40 calls of ``f``/``grad``, independent of ``d``): a ``grad`` that
        central differences of ``f`` contradict, a ``hess`` that differences of ``grad``
        contradict, a stated ``L`` below (``mu`` above) a measured secant curvature, a declared
        convexity that a secant contradicts, an ``argmin`` where ``grad`` is not ~0, or an
        ``inf`` above a sampled value of ``f``.

    Examples
    --------
    A Huber loss ``sum_j h(x_j - 1)`` with ``h(r) = r^2/2`` for ``|r| <= 1``, ``|r| - 1/2``
    beyond, plus ``0.1/2 ||x||^2``:

    >>> import numpy as np
    >>> import mastref as mr
    >>> def f(x):
    ...     r = np.abs(x - 1.0)
    ...     return float(np.sum(np.where(r <= 1, 0.5 * r**2, r - 0.5)) + 0.05 * x @ x)
    >>> def grad(x):
    ...     return np.clip(x - 1.0, -1.0, 1.0) + 0.1 * x
    >>> huber = mr.FunctionProblem(f, grad, d=3, L=1.1, mu=0.1)
    >>> np.round(huber.argmin(), 6)
    array([0.909091, 0.909091, 0.909091])
    """

    def __init__(
        self,
        f: Callable,
        grad: Callable,
        *,
        d: int,
        L: float,
        mu: float = 0.0,
        convex: bool | None = None,
        hess: Callable | None = None,
        inf: float | None = None,
        argmin=None,
    ):
        if not callable(f) or not callable(grad):
            raise TypeError("arguments 'f' and 'grad' must be callables of x")
        self._f, self._grad, self._hess = f, grad, hess
        if hess is not None and not callable(hess):
            raise TypeError("argument 'hess' must be a callable of x (or None)")
        self.d = check_int("d", d, 1)
        self._L = check_real("L", L, positive=True)
        self._mu = check_real("mu", mu, nonnegative=True)
        if self._mu > self._L:
            raise ValueError(f"argument 'mu' = {mu} exceeds 'L' = {L}: no such function")
        self.is_convex = bool(self._mu > 0) if convex is None else bool(convex)
        if self._mu > 0 and not self.is_convex:
            raise ValueError("argument 'convex' = False contradicts 'mu' > 0")
        self._inf = None if inf is None else check_real("inf", inf)
        self._argmin = None if argmin is None else check_vector("argmin", argmin, self.d)
        conflicts = audit(self, argmin=self._argmin, inf=self._inf)
        if conflicts:
            raise ValueError("; ".join(conflicts))

    @property
    def L(self) -> float:
        return self._L

    @property
    def mu(self) -> float:
        return self._mu

    @finite_result("x")
    def value(self, x) -> float:
        raw = self._f(check_vector("x", x, self.d))
        try:
            out = as_real_array("f(x)", raw)
        except TypeError as err:
            raise TypeError(f"argument 'f' must return a real number: {err}") from None
        if out.size != 1:
            raise TypeError(
                f"argument 'f' must return a real number; it returned an array of shape {out.shape}"
            )
        value = float(out.reshape(()))
        if not math.isfinite(value):
            raise ValueError(f"f(x) = {value} is not finite at x = {x!r}")
        return value

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        return check_vector("grad(x)", self._grad(check_vector("x", x, self.d)), self.d)

    @property
    def has_hessian(self) -> bool:
        return self._hess is not None

    @finite_result("x")
    def hessian(self, x) -> np.ndarray:
        if self._hess is None:
            raise MissingCapability(f"{self!r} has no Hessian (pass hess=)")
        try:
            H = as_real_array("hess(x)", self._hess(check_vector("x", x, self.d)))
        except TypeError as err:
            raise TypeError(f"argument 'hess' must return a real matrix: {err}") from None
        if H.shape != (self.d, self.d):
            raise ValueError(
                f"argument 'hess' returned shape {H.shape}; expected ({self.d}, {self.d})"
            )
        return H

    @cached_property
    def _solution(self) -> np.ndarray:
        if self._argmin is not None:
            return self._argmin
        if not self.is_convex:
            raise MissingCapability(
                f"{self!r} is not declared convex, so its minimiser cannot be certified: pass "
                "argmin= and inf="
            )

        def fun(x):
            return self.value(x), self.grad(x)

        hess = self.hessian if self._hess is not None else None
        method = "trust-exact" if hess is not None else "BFGS"
        res = so.minimize(
            fun,
            np.zeros(self.d),
            jac=True,
            hess=hess,
            method=method,
            options={"gtol": 1e-13, "maxiter": 10000},
        )
        return res.x

    def argmin(self) -> np.ndarray:
        """``x*``: as given, else by minimising ``f`` (BFGS, or trust-region Newton with
        ``hess``) to a gradient norm at round-off level."""
        return self._solution.copy()

    @property
    def inf(self) -> float:
        """``f^inf``: as given, else ``f(x*)``."""
        if self._inf is not None:
            return self._inf
        return self.value(self._solution)

    def __repr__(self) -> str:
        name = getattr(self._f, "__name__", "f")
        return f"FunctionProblem({name}, d={self.d}, L={self._L:.4g}, mu={self._mu:.4g})"
