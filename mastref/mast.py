"""The MAST objective ``f_D(x) = E[f(v + S(x - v))]`` (THEORY.md §0, §2, §3).

``MAST(problem, sketch, shift)`` gives ``f_D`` exactly where the capabilities of the problem and
of the law allow it, and says which capability is missing otherwise:

* a quadratic form ``(A, b, c)`` and a closed-form sandwich ``A_D = E[S^T A S]``:
  ``f_D(x) = f(v) + g_v^T h + 1/2 h^T A_D h``, ``h = x - v``, ``g_v = grad f(v)``;
* a finite-support law: the weighted sum over the atoms, minimised by the problem's
  ``minimize_sketched``;
* neither: ``value``/``grad`` raise and point to the Monte Carlo estimators
  ``estimate_value``/``estimate_grad``; the optimum comes from a sample-average approximation
  with a stated confidence interval (``solution``), or exactly when ``v = x*`` (``Delta = 0``).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import ndtri, stdtrit

from ._budget import SECONDS_PER_PYTHON_STEP, CostLimitExceeded, check_cost
from ._kernels import sketched_grad_kernel
from ._validation import (
    MissingCapability,
    as_generator,
    as_real_array,
    check_array,
    check_int,
    check_real,
    check_support,
    check_vector,
    finite_result,
)
from .problems.base import Problem
from .sketches.base import JointSketch, Sketch
from .sketches.check import SketchCheck, builtin_certificate, check_sketch
from .solvers import minimize_lbfgs


def _pinv_apply(eig: np.ndarray, U: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``M^+ g`` for symmetric PSD ``M = U Diag(eig) U^T``; eigenvalues below round-off dropped."""
    tol = 1e-12 * max(1.0, abs(eig[-1])) * eig.size
    keep = eig > tol
    return U[:, keep] @ ((U[:, keep].T @ g) / eig[keep])


@dataclass(frozen=True, kw_only=True)
class Solution:
    """The optimum of ``f_D`` and the gap, with how they were obtained.

    Attributes
    ----------
    x : ndarray
        ``x_D*`` (exact) or the SAA candidate.
    inf : float
        ``f_D^inf`` (exact) or the Monte Carlo value of ``f_D`` at the candidate.
    gap : float
        ``Delta = f_D^inf - f^inf``.
    gap_interval : tuple of float
        ``(lower, upper)`` confidence bounds on ``Delta`` (both ``gap`` when exact).
    dist2_bound : float
        Upper bound on ``||x - x_D*||^2`` (0 when exact): ``2 (upper - lower) / mu``.
    confidence : float
        Joint confidence of the interval and of ``dist2_bound`` (1 when exact).
    method : str
        ``"closed form"``, ``"enumeration"``, ``"interpolation (v = x*)"`` or
        ``"sample-average approximation"``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.eye(2), np.ones(2))
    >>> mr.MAST(f, mr.RandK(2, 1), shift=f.argmin()).solution
    Solution(gap=0, inf=-1, closed form)
    """

    x: np.ndarray
    inf: float
    gap: float
    gap_interval: tuple[float, float]
    dist2_bound: float
    confidence: float
    method: str

    @property
    def exact(self) -> bool:
        """``True`` unless the numbers come from a sample-average approximation."""
        return self.confidence == 1.0

    def __repr__(self) -> str:
        lo, hi = self.gap_interval
        interval = "" if self.exact else f" in [{lo:.4g}, {hi:.4g}] ({self.confidence:g})"
        return f"Solution(gap={self.gap:.6g}{interval}, inf={self.inf:.10g}, {self.method})"


@dataclass(frozen=True, kw_only=True)
class GapBound:
    """A certified bracket on ``Delta = f_D^inf - f^inf`` and a ball around ``x_D*``.

    ``lower <= Delta <= upper``, ``||x - x_D*|| <= radius`` and ``f_D^inf >= inf_lower``, with
    probability ``confidence`` (1: deterministic, up to floating-point round-off, which is added
    to the bracket).

    Attributes
    ----------
    upper, lower : float
        The bracket on ``Delta`` (equal when ``exact``).
    x : ndarray
        A point near ``x_D*`` (``x_D*`` itself when ``radius = 0``).
    radius : float
        ``||x - x_D*|| <= radius``.
    inf_lower : float
        A lower bound on ``f_D^inf`` (``delta_0 = f_D(x_0) - f_D^inf`` is bounded with it).
    exact : bool
        ``Delta`` known exactly (closed form, enumeration, interpolation).
    confidence : float
        1, or the confidence of a sample-average approximation.
    method : str
        How the numbers were obtained.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> b = mast.gap_bound  # A_D = 2 I: Delta = 1/2 ||b||^2 (1 - 1/2)
    >>> b.exact, b.upper, b.radius
    (True, 0.5, 0.0)
    """

    upper: float
    lower: float
    x: np.ndarray
    radius: float
    inf_lower: float
    exact: bool
    confidence: float
    method: str

    def __repr__(self) -> str:
        if self.exact:
            return f"GapBound(Delta={self.upper:.6g}, {self.method})"
        return f"GapBound({self.lower:.4g} <= Delta <= {self.upper:.4g}, {self.method})"


def _rounding(*values: float) -> float:
    """A floating-point margin for a difference of the ``values`` (8 ulp of the largest)."""
    return 8.0 * np.finfo(float).eps * max(1.0, *(abs(v) for v in values))


def value_and_grad(problem: Problem):
    """``x -> (f(x), grad f(x))`` of a problem (its fused ``_value_and_grad`` when it has one)."""
    fused = getattr(problem, "_value_and_grad", None)
    if callable(fused):
        return fused
    return lambda x: (problem.value(x), problem.grad(x))


def erm_bracket(problem: Problem) -> tuple[np.ndarray, float, float]:
    """``(x_hat, f_inf_lower, f_inf_upper)``: the problem's ``argmin()`` (L-BFGS when it has none
    and ``mu_f > 0``) and a certified bracket on
    ``f^inf``: ``f(x_hat) - ||grad f(x_hat)||^2 / (2 mu_f) <= f^inf <= f(x_hat)`` (``mu_f > 0``;
    with ``mu_f = 0`` the problem's ``inf`` is taken as exact).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> _, lo, hi = erm_bracket(mr.Quadratic(np.eye(2), np.ones(2)))  # f^inf = -1
    >>> bool(lo <= -1.0 <= hi), hi - lo < 1e-14
    (True, True)
    """
    mu_f = problem.mu
    try:
        x_hat = problem.argmin()
    except MissingCapability:  # e.g. a least-squares problem too large for its Gram matrix
        if not mu_f > 0:
            raise
        x_hat, _, _ = minimize_lbfgs(value_and_grad(problem), np.zeros(problem.d), mu=mu_f)
    f_hat, g = value_and_grad(problem)(x_hat)
    if mu_f > 0:
        return x_hat, float(f_hat - g @ g / (2 * mu_f) - _rounding(f_hat)), float(f_hat)
    return x_hat, problem.inf, problem.inf


def _clip(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters (with an ellipsis)."""
    return text if len(text) <= n else text[: n - 3] + "..."


def _problem_at(problem: Problem, v: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``(f(v), grad f(v))``, checked at the door: a finite number and ``n_features`` finite
    numbers, else an error naming the problem and what it returned (a user's ``grad`` of the
    wrong length ran silently in the reference path of the algorithms); ``None`` where they
    overflow (a large shift)."""
    d = v.size
    try:
        g = np.asarray(problem.grad(v))
        f = np.asarray(problem.value(v))
    except FloatingPointError:
        return None
    if g.shape != (d,):
        raise ValueError(
            f"argument 'problem' = {problem!r}: grad returned an array of shape {g.shape} at the "
            f"shift; it must return n_features = {d} numbers"
        )
    if f.shape != () or not np.isfinite(f) or not np.all(np.isfinite(g)):
        raise ValueError(
            f"argument 'problem' = {problem!r}: at the shift (max |v| = "
            f"{float(np.max(np.abs(v), initial=0.0)):.3g}) value returned "
            f"{f.tolist() if f.size < 4 else f.shape} and grad {int(np.sum(~np.isfinite(g)))} "
            "non-finite entries; f must be a finite number and grad f finite there"
        )
    return float(f), g


class MAST:
    """``f_D(x) = E_{S ~ D} f(v + S(x - v))`` for a problem ``f``, a law ``D`` and a shift ``v``.

    Paper constants (THEORY.md §3, P3-P4): ``L = L_f L_D``, ``mu = mu_f mu_D``,
    ``L_max = L_f L_S_max``. Exact ones where ``f`` is quadratic: ``L_exact = lambda_max(A_D)``,
    ``mu_exact = lambda_min(A_D)``, ``L_max_exact = max_S lambda_max(S^T A S)`` (finite laws).
    ``gap`` is ``Delta = f_D^inf - f^inf``.

    Parameters
    ----------
    problem : Problem
        The function ``f`` (``Quadratic``, ``LogisticRegression``, ``LeastSquares``,
        ``FunctionProblem`` or a user's ``Problem``).
    sketch : Sketch
        The law ``D``; it must pass ``check_sketch`` (the certificate is ``self.certificate``).
    shift : array_like, optional
        The shift ``v`` (default 0: training from scratch).

    Raises
    ------
    TypeError
        A joint law (use ``sketch.marginal()``), or objects that are not a problem and a law.
    ValueError
        Mismatched dimensions, or a law that fails ``check_sketch`` (the message gives the
        measured bias).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2))
    >>> mast.L, mast.mu, mast.L_max
    (4.0, 2.0, 8.0)
    >>> mast.argmin(), mast.gap  # x_D* = v - A_D^{-1} grad f(v)
    (array([0.5, 0.5]), 0.75)
    """

    #: Largest number of atoms the exact finite-support path sums over.
    exact_support_limit: int = 4096
    #: Largest ``d`` for ``minimize_sketched`` (dense Newton) on a finite support; above it,
    #: L-BFGS on the exact finite sum with its strong-convexity certificate.
    exact_solve_limit: int = 2000

    def __init__(self, problem: Problem, sketch: Sketch, shift=None):
        if isinstance(sketch, JointSketch):
            raise TypeError(
                f"argument 'sketch' is {sketch!r}, a joint law over clients; MAST takes one "
                "client's law: use sketch.marginal() (or a DistributedProblem)"
            )
        if not isinstance(sketch, Sketch):
            raise TypeError(f"argument 'sketch' = {sketch!r} must be a mastref Sketch")
        if not isinstance(problem, Problem):
            raise TypeError(
                f"argument 'problem' = {problem!r} must implement mastref.Problem (Quadratic, "
                "LogisticRegression, LeastSquares, FunctionProblem or a subclass)"
            )
        d = problem.n_features
        if sketch.d != d:
            raise ValueError(f"argument 'sketch' has d = {sketch.d}, but the problem has d = {d}")
        self.problem = problem
        self.sketch = sketch
        self.d = d
        self.v = np.zeros(d) if shift is None else check_vector("shift", shift, d)
        self.certificate: SketchCheck = _certificate(sketch)
        if not self.certificate.passed:
            failed = "; ".join(
                f"{i.name}: {_clip(i.detail, 160)}" for i in self.certificate.items if not i.passed
            )
            raise ValueError(
                f"argument 'sketch' = {sketch!r} fails check_sketch: {failed} (for reference, "
                f"the measured bias max |E[S] - I| = {self.certificate.bias:.3g}, "
                f"{self.certificate.method}; every item: mr.check_sketch(sketch).table())"
            )
        at_v = _problem_at(problem, self.v)  # checked once, for every problem
        if type(problem).quadratic_form is not Problem.quadratic_form:  # f and grad f at v
            if at_v is None:
                raise ValueError(
                    f"argument 'shift' is too large: f and grad f overflow at the shift (max |v| "
                    f"= {np.max(np.abs(self.v)):.3g})"
                )
            self._f_v, self._g_v = at_v

    @cached_property
    def _qf(self):
        """The problem's quadratic form ``(A, b, c)``, or ``None``: built on first use, not at
        construction (a least-squares problem forms a dense ``d x d`` Gram matrix for it)."""
        try:
            qf = self.problem.quadratic_form()
        except MissingCapability:
            return None
        return qf

    def __repr__(self) -> str:
        return f"MAST({self.problem!r}, {self.sketch!r}, shift_norm={np.linalg.norm(self.v):.3g})"

    @property
    def has_quadratic_form(self) -> bool:
        """``True`` when ``f`` (hence ``f_D``) is quadratic: closed forms and §6 apply."""
        return self._qf is not None

    # ---------------------------------------------------------------------------------------
    # Sketched objective f_S and its gradient (THEORY.md §0, §3 P1)
    # ---------------------------------------------------------------------------------------

    def _check_sample(self, S) -> np.ndarray:
        S = np.asarray(S, dtype=float)
        if S.shape == (self.d,):
            return check_vector("S", S, self.d)
        if S.shape == (self.d, self.d):
            return check_array("S", S, 2, (self.d, self.d))
        raise ValueError(
            f"argument 'S' has shape {S.shape}; expected a scale vector ({self.d},) "
            f"or a matrix ({self.d}, {self.d})"
        )

    def _model(self, x: np.ndarray, S: np.ndarray) -> np.ndarray:
        """``y = v + S(x - v)``."""
        h = x - self.v
        return self.v + (S * h if S.ndim == 1 else S @ h)

    @finite_result("x")
    def sketched_value(self, x, S) -> float:
        """``f_S(x) = f(v + S(x - v))``; ``S`` a scale vector (diagonal) or a ``d x d`` matrix."""
        x = check_vector("x", x, self.d)
        return self.problem.value(self._model(x, self._check_sample(S)))

    @finite_result("x")
    def sketched_grad(self, x, S) -> np.ndarray:
        """``grad f_S(x) = S^T grad f(v + S(x - v))`` (THEORY.md §3 P1).

        For a scale vector the problem's kernel on its support is used (cost follows the
        support).
        """
        x = check_vector("x", x, self.d)
        S = self._check_sample(S)
        if S.ndim == 2:
            return S.T @ self.problem.grad(self._model(x, S))
        idx = np.flatnonzero(S != 0)  # distinct, in range, int64: no support check needed
        # (a boolean mask: numpy's nonzero on floats is ~4x slower at d = 1e4)
        out = np.zeros(self.d)
        out[idx] = self._sketched_grad_support(x, idx, S[idx])
        return out

    def sketched_grad_support(self, x, idx, sc) -> np.ndarray:
        """Entries on ``C = idx`` of ``grad f_S(x)`` for ``s = sc`` on ``C`` and 0 elsewhere.

        ``grad f_S(x)_C = s_C * grad f(v + s * (x - v))_C`` (THEORY.md §3 P1), by the problem's
        kernel when it has one (cost follows the support). Checked in O(K log K) beyond O(1)
        shape checks: ``x`` real of length d and finite on ``C``; ``idx`` distinct integers in
        ``[0, d)`` (a negative index is refused, not wrapped); ``sc`` finite, of ``len(idx)``.

        Examples
        --------
        >>> import numpy as np
        >>> import mastref as mr
        >>> mast = mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), mr.RandK(3, 1))
        >>> mast.sketched_grad_support(np.zeros(3), np.array([2]), np.array([3.0]))
        array([-3.])
        """
        x = as_real_array("x", x)
        if x.shape != (self.d,):
            raise ValueError(f"argument 'x' has shape {x.shape}; expected ({self.d},)")
        idx, sc = check_support(idx, sc, self.d)
        if not np.all(np.isfinite(x[idx])):
            raise ValueError("argument 'x' has a non-finite entry on the support 'idx'")
        return self._sketched_grad_support(np.ascontiguousarray(x), idx, sc)

    def _sketched_grad_support(self, x: np.ndarray, idx: np.ndarray, sc: np.ndarray):
        """``sketched_grad_support`` without checks: ``x`` float64 of length d, ``idx`` distinct
        int64 in ``[0, d)``, ``sc`` float64 of the same length (the algorithms' inner loop)."""
        if self.kernel_pack is None:
            return self.problem.sketched_grad_support(self.v, x, idx, sc)
        return sketched_grad_kernel(self.kernel_pack, x, idx, sc)

    @cached_property
    def kernel_pack(self):
        """The problem's kernel pack at ``v`` (``Problem.kernel_pack``), or ``None``."""
        return self.problem.kernel_pack(self.v)

    # ---------------------------------------------------------------------------------------
    # f_D and its gradient
    # ---------------------------------------------------------------------------------------

    def _require_quadratic(self, what: str) -> None:
        if self._qf is None:
            raise MissingCapability(
                f"{what} needs a quadratic problem (Problem.quadratic_form); {self.problem!r} "
                "has none"
            )

    @cached_property
    def A_D(self) -> np.ndarray:
        """``E[S^T A S]``: the Hessian of ``f_D`` (quadratic problems)."""
        self._require_quadratic("A_D = E[S^T A S]")
        if "sandwich" not in self.sketch.capabilities():
            raise self.sketch.missing("sandwich", "E[S^T A S] in closed form or finite support")
        AD = self.sketch.sandwich(self._qf.A)
        return 0.5 * (AD + AD.T)

    @cached_property
    def _A_D_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(self.A_D)

    @cached_property
    def _A_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(self._qf.A)

    def _closed_form(self) -> bool:
        return self._qf is not None and "sandwich" in self.sketch.capabilities()

    def _exact_support(self) -> tuple[np.ndarray, np.ndarray]:
        sk = self.sketch
        if sk.has_finite_support and sk.support_size <= self.exact_support_limit:
            atoms, weights = sk.support()
            if atoms.ndim == 2:
                return atoms, weights
        if self._qf is None:
            closed = f"{self.problem!r} has no quadratic form"
        else:
            closed = f"{sk!r} lacks the capability 'sandwich' (closed-form E[S^T A S])"
        if not sk.has_finite_support:
            finite = "it lacks 'finite_support'"
        elif not sk.is_diagonal:
            finite = "its support is not diagonal"
        else:
            size = sk.support_size
            size = str(size) if size < 10**9 else f"~10^{math.log10(size):.0f}"
            finite = f"its {size} atoms exceed exact_support_limit = "
            finite += str(self.exact_support_limit)
        raise MissingCapability(
            f"f_D has no exact form here: {closed}, and {finite}; use "
            "estimate_value(x, n_samples, rng=...) or estimate_grad(x, n_samples, rng=...) "
            "(Monte Carlo mean and standard error)"
        )

    @finite_result("x")
    def value(self, x) -> float:
        """``f_D(x)``: closed form for quadratics, exact weighted sum over a finite support."""
        x = check_vector("x", x, self.d)
        h = x - self.v
        if self._closed_form():
            return float(self._f_v + self._g_v @ h + 0.5 * h @ self.A_D @ h)
        samples, weights = self._exact_support()
        return float(
            sum(
                w * self.problem.value(self.v + s * h)
                for s, w in zip(samples, weights, strict=True)
            )
        )

    @finite_result("x")
    def grad(self, x) -> np.ndarray:
        """``grad f_D(x) = E[S^T grad f(v + S(x - v))]`` (``g_v + A_D h`` for quadratics)."""
        x = check_vector("x", x, self.d)
        h = x - self.v
        if self._closed_form():
            return self._g_v + self.A_D @ h
        samples, weights = self._exact_support()
        out = np.zeros(self.d)
        for s, w in zip(samples, weights, strict=True):
            out += w * s * self.problem.grad(self.v + s * h)
        return out

    @finite_result("X")
    def values_and_grads(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``f_D`` and ``grad f_D`` at every row of ``X`` (shape ``(R, d)``), vectorised."""
        X = check_array("X", X, 2, (-1, self.d))
        H = X - self.v
        if self._closed_form():
            G = self._g_v + H @ self.A_D
            vals = self._f_v + H @ self._g_v + 0.5 * np.einsum("ri,ri->r", H @ self.A_D, H)
            return vals, G
        samples, weights = self._exact_support()
        vals = np.zeros(X.shape[0])
        grads = np.zeros_like(X)
        for s, w in zip(samples, weights, strict=True):
            f_vals, f_grads = self.problem.values_and_grads(self.v + s * H)
            vals += w * f_vals
            grads += w * s * f_grads
        return vals, grads

    def _estimate(self, fn, n_samples: int, rng) -> tuple:
        n_samples = check_int("n_samples", n_samples, 2)
        check_cost(
            f"Monte Carlo estimate: n_samples = {n_samples}",
            seconds=n_samples * SECONDS_PER_PYTHON_STEP,
            nbytes=8.0 * n_samples * self.d,
            hint="Reduce n_samples.",
        )
        rng = as_generator(rng)
        vals = np.array([fn(self.sketch.sample(rng)) for _ in range(n_samples)])
        return vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(n_samples)

    def estimate_value(
        self, x, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[float, float]:
        """Monte Carlo ``(mean, standard error)`` of ``f_S(x)`` over ``n_samples`` sketches."""
        x = check_vector("x", x, self.d)
        mean, se = self._estimate(lambda S: self.problem.value(self._model(x, S)), n_samples, rng)
        return float(mean), float(se)

    def estimate_grad(
        self, x, n_samples: int, rng: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Monte Carlo ``(mean, standard error)`` (per coordinate) of ``grad f_S(x)``."""
        x = check_vector("x", x, self.d)
        return self._estimate(lambda S: self.sketched_grad(x, S), n_samples, rng)

    # ---------------------------------------------------------------------------------------
    # Constants (THEORY.md §3 P2-P4)
    # ---------------------------------------------------------------------------------------

    @property
    def L(self) -> float:
        """Paper smoothness constant of ``f_D``: ``L_f L_D`` (THEORY.md §3 P3)."""
        return self.problem.L * self.sketch.L_D

    @property
    def mu(self) -> float:
        """Paper strong-convexity constant of ``f_D``: ``mu_f mu_D`` (THEORY.md §3 P4)."""
        return self.problem.mu * self.sketch.mu_D

    @property
    def L_max(self) -> float:
        """``L_f L_S_max``: the smoothness of every ``f_S`` (``inf`` for unbounded sketches)."""
        return self.problem.L * self.sketch.L_S_max

    @cached_property
    def L_max_exact(self) -> float:
        """``max_S lambda_max(S^T A S)`` over the support: the exact smoothness bound of every
        ``f_S`` that replaces ``L_f L_S_max`` (quadratics with an enumerable support)."""
        self._require_quadratic("L_max_exact")
        if not self.sketch.has_finite_support:
            raise MissingCapability(
                f"L_max_exact needs a finite support; {self.sketch!r} has none (use L_max)"
            )
        samples, _ = self._exact_support()
        A = self._qf.A
        return float(max(np.linalg.eigvalsh(s[:, None] * A * s[None, :])[-1] for s in samples))

    @property
    def L_exact(self) -> float:
        """``lambda_max(A_D)``, the exact smoothness of ``f_D`` (quadratics)."""
        self._require_quadratic("L_exact")
        return float(self._A_D_eigh[0][-1])

    @property
    def mu_exact(self) -> float:
        """``lambda_min(A_D)``, the exact strong convexity of ``f_D`` (quadratics)."""
        self._require_quadratic("mu_exact")
        return float(max(self._A_D_eigh[0][0], 0.0))

    # ---------------------------------------------------------------------------------------
    # Optimum and gap (THEORY.md §2, §3 P6-P7)
    # ---------------------------------------------------------------------------------------

    @cached_property
    def solution(self) -> Solution:
        """``x_D*``, ``f_D^inf`` and ``Delta`` with how they were obtained (see ``Solution``).

        Closed form for quadratics (``x_D* = v - A_D^+ g_v``,
        ``f_D^inf = f(v) - 1/2 g_v^T A_D^+ g_v``, ``Delta = 1/2 g_v^T (A^+ - A_D^+) g_v``);
        the problem's ``minimize_sketched`` over a finite support; exactly ``x_D* = v``,
        ``Delta = 0`` when ``v`` is the ERM minimiser (then ``f_D >= f^inf = f(v) = f_D(v)``);
        otherwise the sample-average approximation of ``saa_solution`` with its defaults.
        """
        if self._closed_form():
            eig, U = self._A_D_eigh
            g = self._g_v
            AD_g = _pinv_apply(eig, U, g)
            gap = float(0.5 * g @ (_pinv_apply(*self._A_eigh, g) - AD_g))
            inf = float(self._f_v - 0.5 * g @ AD_g)
            return _exact_solution(self.v - AD_g, inf, gap, "closed form")
        if not np.any(self.problem.grad(self.v)):  # v = x*, no solve needed
            return _exact_solution(self.v.copy(), self.problem.inf, 0.0, "interpolation (v = x*)")
        try:
            samples, weights = self._exact_support()
        except MissingCapability as err:
            try:
                self._saa_cost()  # refuse up front, before any solve
            except CostLimitExceeded as cost:
                raise CostLimitExceeded(
                    f"MAST.solution: {err}. The sample-average approximation at its defaults "
                    f"is refused: {cost} Call mast.saa_solution(n_samples=..., n_batches=...) "
                    "with smaller values, or use mast.gap_bound (a certified bracket on Delta "
                    "and a ball around x_D*, convex f), or pass Delta= to the theorems"
                ) from None
            if self._is_interpolating():
                return _exact_solution(
                    self.v.copy(), self.problem.inf, 0.0, "interpolation (v = x*)"
                )
            return self.saa_solution()
        if self._is_interpolating():
            return _exact_solution(self.v.copy(), self.problem.inf, 0.0, "interpolation (v = x*)")
        if self.d > self.exact_solve_limit and self.mu > 0:
            return self._enumeration_lbfgs(samples, weights)
        x, _ = self.problem.minimize_sketched(samples, weights, self.v)
        inf = self.value(x)
        return _exact_solution(x, inf, inf - self.problem.inf, "enumeration")

    def _enumeration_lbfgs(self, samples: np.ndarray, weights: np.ndarray) -> Solution:
        """``x_D*`` of the exact finite sum by L-BFGS (large ``d``): with ``g = ||grad f_D(x)||``
        and ``mu = mu_f mu_D``, ``f_D(x) - g^2/(2 mu) <= f_D^inf <= f_D(x)`` and
        ``||x - x_D*|| <= g / mu``; ``inf`` is that lower bound."""
        vg = value_and_grad(self.problem)
        v = self.v

        def f_D(x):
            h = x - v
            total, grad = 0.0, np.zeros(self.d)
            for s, w in zip(samples, weights, strict=True):
                val, g = vg(v + s * h)
                total += w * val
                grad += w * s * g
            return total, grad

        x_erm, f_lo, f_hi = erm_bracket(self.problem)
        x, F, gnorm = minimize_lbfgs(f_D, x_erm, mu=self.mu)
        slack = gnorm**2 / (2 * self.mu) + _rounding(F)
        return Solution(
            x=x,
            inf=F - slack,
            gap=F - f_hi,
            gap_interval=(max(F - slack - f_hi, 0.0), max(F - f_lo, 0.0)),
            dist2_bound=(gnorm / self.mu) ** 2,
            confidence=1.0,
            method=f"enumeration, L-BFGS (||grad f_D|| = {gnorm:.2g}, certified)",
        )

    def _is_interpolating(self) -> bool:
        """``v`` is a minimiser of ``f``: its gradient vanishes or it is the stored ``x*``."""
        if not np.any(self.problem.grad(self.v)):
            return True
        try:
            return bool(np.array_equal(self.v, self.problem.argmin()))
        except MissingCapability:
            return False

    def _saa_cost(self, n_samples: int = 64, n_batches: int = 8) -> None:
        """Refuse ``saa_solution(n_samples, n_batches)`` up front when over the cost budget."""
        n_rows = n_samples * getattr(self.problem, "n_samples", 1)
        check_cost(
            f"saa_solution: n_batches = {n_batches} problems of n_samples = {n_samples} atoms "
            f"({n_rows} weighted terms each)",
            seconds=n_batches * n_rows * self.d * 1e-8,  # interior point: >= ~10 ns a nonzero
            nbytes=8.0 * n_rows * self.d,
            hint="Reduce n_samples or n_batches.",
        )

    def saa_solution(
        self,
        *,
        n_samples: int = 64,
        n_batches: int = 8,
        n_eval: int = 4000,
        confidence: float = 0.99,
        rng: int | np.random.Generator | None = 0,
    ) -> Solution:
        """``x_D*`` and ``Delta`` by a sample-average approximation with confidence bounds.

        ``n_batches`` independent SAA problems ``min_x (1/N) sum_{k<N} f(v + s_k * (x - v))``
        (``N = n_samples`` draws each) are solved exactly by the problem's
        ``minimize_sketched``. Their optimal values ``v_m`` satisfy ``E v_m <= f_D^inf``, so the
        lower Student-t confidence bound of their mean bounds ``f_D^inf`` from below; the
        candidate ``x_hat`` (mean of the SAA minimisers) has ``f_D(x_hat) >= f_D^inf``, and the
        upper normal confidence bound of its Monte Carlo value over ``n_eval`` fresh draws
        bounds ``f_D^inf`` from above (Mak, Morton & Wood 1999). Each bound has error rate
        ``(1 - confidence)/2``. With ``mu = mu_f mu_D > 0``, strong convexity gives
        ``||x_hat - x_D*||^2 <= 2 (upper - lower) / mu``.
        """
        n_samples = check_int("n_samples", n_samples, 1)
        n_batches = check_int("n_batches", n_batches, 2)
        n_eval = check_int("n_eval", n_eval, 2)
        confidence = check_real("confidence", confidence, positive=True)
        if confidence >= 1:
            raise ValueError(f"argument 'confidence' = {confidence} must lie in (0, 1)")
        self._saa_cost(n_samples, n_batches)
        rng = as_generator(rng)
        alpha = (1.0 - confidence) / 2
        xs, values = [], []
        weights = np.full(n_samples, 1.0 / n_samples)
        for _ in range(n_batches):
            atoms = np.array([self.sketch.sample(rng) for _ in range(n_samples)])
            if atoms.ndim != 2:
                raise MissingCapability(
                    f"the sample-average approximation needs a diagonal law; got {self.sketch!r}"
                )
            x, _ = self.problem.minimize_sketched(atoms, weights, self.v)
            H = x - self.v
            vals, _ = self.problem.values_and_grads(self.v + atoms * H)
            xs.append(x)
            values.append(float(weights @ vals))
        values = np.array(values)
        t_quantile = float(stdtrit(n_batches - 1, 1 - alpha))
        lower = values.mean() - t_quantile * values.std(ddof=1) / math.sqrt(n_batches)
        x_hat = np.mean(xs, axis=0)
        mean, se = self.estimate_value(x_hat, n_eval, rng=rng)
        upper = mean + float(ndtri(1 - alpha)) * se
        f_inf = self.problem.inf
        gap_lo, gap_hi = max(lower - f_inf, 0.0), max(upper - f_inf, 0.0)
        mu = self.mu
        dist2 = 2 * max(upper - lower, 0.0) / mu if mu > 0 else math.inf
        return Solution(
            x=x_hat,
            inf=mean,
            gap=max(mean - f_inf, 0.0),
            gap_interval=(gap_lo, gap_hi),
            dist2_bound=dist2,
            confidence=confidence,
            method="sample-average approximation",
        )

    @cached_property
    def gap_bound(self) -> GapBound:
        """A certified bracket on ``Delta`` and a ball around ``x_D*`` (see ``GapBound``).

        ``solution`` where it is exact or certified (closed form, enumeration, interpolation).
        Otherwise, for convex ``f`` (THEORY.md §3 P5-P6), with ``c = L_f (L_D - 1)`` and
        ``c_lo = mu_f (mu_D - 1)``: ``f_D <= U = f + (c/2)||x - v||^2`` and
        ``f_D >= f + (c_lo/2)||x - v||^2`` (P5), so
        ``min U - f^inf >= Delta >= min (f + (c_lo/2)||. - v||^2) - f^inf``; both minima by
        L-BFGS with their strong-convexity certificates, ``f^inf`` bracketed by ``erm_bracket``.
        ``min U <= U(x*)`` makes the upper bound at most the P6 bound
        ``L_f (L_D - 1)/2 ||x* - v||^2``. The ball: ``||x_U - x_D*||^2 <= 2 (f_D(x_U) -
        f_D^inf)/mu <= 2 upper/mu``. Where the sample-average approximation of ``solution``
        runs within the cost budget and its upper bound is smaller, it is used (with its
        confidence). Cost: three L-BFGS solves of O(nnz) per iteration; nothing ``d x d``.

        Raises
        ------
        MissingCapability
            ``f`` not convex or ``mu_f mu_D = 0`` without an exact solution (pass ``Delta=``
            to the theorem).
        """
        try:
            sol = self.solution
        except (ValueError, MissingCapability):  # CostLimitExceeded is a ValueError
            sol = None
        if sol is not None and sol.exact:
            lo, hi = sol.gap_interval
            return GapBound(
                upper=max(hi, 0.0),
                lower=max(lo, 0.0),
                x=sol.x,
                radius=math.sqrt(sol.dist2_bound),
                inf_lower=sol.inf,
                exact=lo == hi,
                confidence=1.0,
                method=sol.method,
            )
        erm = erm_bracket(self.problem) if sol is None else None
        if erm is not None and np.array_equal(self.v, erm[0]):
            return GapBound(
                upper=0.0,
                lower=0.0,
                x=self.v.copy(),
                radius=0.0,
                inf_lower=erm[1],
                exact=True,
                confidence=1.0,
                method="interpolation (v = x*)",
            )
        bracket = self._bracket_bound(erm)
        if sol is not None and sol.gap_interval[1] < bracket.upper:
            return GapBound(
                upper=sol.gap_interval[1],
                lower=max(sol.gap_interval[0], bracket.lower),
                x=sol.x,
                radius=math.sqrt(sol.dist2_bound),
                inf_lower=bracket.inf_lower,
                exact=False,
                confidence=sol.confidence,
                method=f"{sol.method} ({sol.confidence:g} confidence)",
            )
        return bracket

    def _bracket_bound(self, erm: tuple | None = None) -> GapBound:
        """The P5 bracket of ``gap_bound`` (convex ``f``, ``mu = mu_f mu_D > 0``); ``erm``:
        ``erm_bracket(problem)`` if already computed."""
        p = self.problem
        if not p.is_convex or not self.mu > 0:
            raise MissingCapability(
                f"Delta has no exact form here and its P5 bracket needs a convex f with "
                f"mu_f mu_D > 0 ({p!r}: convex = {p.is_convex}, mu = {self.mu:.3g}); pass "
                "Delta= (a value or an upper bound) to the theorem"
            )
        vg = value_and_grad(p)
        v = self.v
        x_erm, f_lo, f_hi = erm_bracket(p) if erm is None else erm

        def bracket(c):
            def fun(x):
                h = x - v
                val, g = vg(x)
                return val + 0.5 * c * float(h @ h), g + c * h

            return minimize_lbfgs(fun, x_erm, mu=p.mu + c)

        c_up = p.L * (self.sketch.L_D - 1.0)
        x_u, U, _ = bracket(c_up)  # U(x_u) >= min U >= f_D^inf: no certificate needed
        upper = max(U - f_lo + _rounding(U, f_lo), 0.0)
        c_lo = p.mu * (self.sketch.mu_D - 1.0)
        _, W, g_w = bracket(c_lo)
        W_lo = W - g_w**2 / (2 * (p.mu + c_lo)) - _rounding(W, f_hi)
        lower = max(W_lo - f_hi, 0.0)
        return GapBound(
            upper=upper,
            lower=min(lower, upper),
            x=x_u,
            radius=math.sqrt(2 * upper / self.mu),
            inf_lower=max(W_lo, f_lo),
            exact=False,
            confidence=1.0,
            method=(
                "P5 bracket: Delta <= min_x [f(x) + L_f (L_D - 1)/2 ||x - v||^2] - f^inf, "
                ">= min_x [f(x) + mu_f (mu_D - 1)/2 ||x - v||^2] - f^inf (L-BFGS, certified)"
            ),
        )

    def argmin(self) -> np.ndarray:
        """``x_D*`` (see ``solution``)."""
        return self.solution.x.copy()

    @property
    def inf(self) -> float:
        """``f_D^inf`` (see ``solution``)."""
        return self.solution.inf

    @property
    def gap(self) -> float:
        """``Delta = f_D^inf - f^inf`` (see ``solution``; THEORY.md §0, P6)."""
        return self.solution.gap


def _exact_solution(x: np.ndarray, inf: float, gap: float, method: str) -> Solution:
    return Solution(
        x=x,
        inf=inf,
        gap=gap,
        gap_interval=(gap, gap),
        dist2_bound=0.0,
        confidence=1.0,
        method=method,
    )


class CertificationWarning(UserWarning):
    """``MAST`` certified a user's law by sampling it (``check_sketch``); says what it cost."""


def _certificate(sketch: Sketch) -> SketchCheck:
    """The law's certificate, once per law object (laws are immutable).

    Built-in laws: their closed forms (``builtin_certificate``, O(d), nothing sampled). A user's
    law: ``check_sketch(sketch, rng=0)`` at its default ``n_samples``, within the cost guard,
    announced by a ``CertificationWarning``.
    """
    cert = getattr(sketch, "_mastref_certificate", None)
    if cert is None:
        cert = builtin_certificate(sketch)
    if cert is None:
        start = time.perf_counter()
        cert = check_sketch(sketch, rng=0)
        if cert.passed:  # a law that fails is refused by the caller, with the failing items
            warnings.warn(
                f"MAST certified the user law {sketch!r} with check_sketch(rng=0): "
                f"{cert.method}, {len(cert.items)} items, {time.perf_counter() - start:.3g} s; "
                "the certificate is kept on the law object and in MAST.certificate",
                CertificationWarning,
                stacklevel=3,
            )
        try:
            sketch._mastref_certificate = cert
        except AttributeError:  # a law with __slots__: recompute next time
            pass
    return cert
