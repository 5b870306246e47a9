"""The MAST objective ``f_D(x) = E[f(v + S(x - v))]`` (THEORY.md §0, §2, §3).

``MAST(problem, sketch, shift)`` gives ``f_D`` exactly where it has an exact form:

* quadratics, any sketch with a closed-form sandwich ``A_D = E[S^T A S]``:
  ``f_D(x) = f(v) + g_v^T h + 1/2 h^T A_D h`` with ``h = x - v``, ``g_v = grad f(v)``;
* any problem with a finite-support diagonal sketch: the weighted sum over the atoms.

Otherwise ``value``/``grad`` raise and point to the Monte Carlo estimators ``estimate_value`` and
``estimate_grad``, which return a mean and its standard error.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from ._validation import as_generator, check_array, check_int, check_vector
from .kernels import (
    KIND_LOGISTIC_DENSE,
    KIND_LOGISTIC_SPARSE,
    KIND_QUADRATIC,
    pack_sketched_grad,
)
from .problems import LogisticRegression, Quadratic
from .sketches import PermutationSketch, Sketch
from .solvers import minimize_weighted_logistic


def _pinv_apply(eig: np.ndarray, U: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``M^+ g`` for symmetric PSD ``M = U Diag(eig) U^T``; eigenvalues below round-off dropped."""
    tol = 1e-12 * max(1.0, abs(eig[-1])) * eig.size
    keep = eig > tol
    return U[:, keep] @ ((U[:, keep].T @ g) / eig[keep])


def kernel_pack(problem, v: np.ndarray) -> tuple:
    """Pack a problem and shift ``v`` for the jitted kernels (layout in ``mastref.kernels``)."""
    i0, f0, F0 = np.zeros(1, np.int64), np.zeros(1), np.zeros((1, 1))
    v = np.ascontiguousarray(v, dtype=np.float64)
    if isinstance(problem, Quadratic):
        g_v = problem.A @ v - problem.b
        return (
            KIND_QUADRATIC,
            np.ascontiguousarray(problem.A),
            g_v,
            i0,
            i0,
            f0,
            i0,
            i0,
            f0,
            F0,
            f0,
            f0,
            0.0,
            v,
        )
    Xv = np.asarray(problem.X @ v, dtype=np.float64).ravel()
    if problem.is_sparse:
        C, R = problem.X_csc, problem.X
        return (
            KIND_LOGISTIC_SPARSE,
            F0,
            f0,
            C.indptr.astype(np.int64),
            C.indices.astype(np.int64),
            C.data,
            R.indptr.astype(np.int64),
            R.indices.astype(np.int64),
            R.data,
            F0,
            problem.y,
            Xv,
            problem.lam,
            v,
        )
    return (
        KIND_LOGISTIC_DENSE,
        F0,
        f0,
        i0,
        i0,
        f0,
        i0,
        i0,
        f0,
        problem.X,
        problem.y,
        Xv,
        problem.lam,
        v,
    )


class MAST:
    """``f_D(x) = E_{S ~ D} f(v + S(x - v))`` for a problem ``f``, sketch law ``D``, shift ``v``.

    Paper constants (THEORY.md §3, P3-P4): ``L = L_f L_D``, ``mu = mu_f mu_D``,
    ``L_max = L_f L_S_max``. Exact ones for quadratics: ``L_exact = lambda_max(A_D)``,
    ``mu_exact = lambda_min(A_D)``. ``gap`` is ``Delta = f_D^inf - f^inf``.

    ``exact_support_limit`` bounds the number of atoms summed by the exact finite-support path.
    """

    exact_support_limit: int = 4096

    def __init__(self, problem, sketch: Sketch, shift=None):
        if isinstance(sketch, PermutationSketch):
            raise TypeError(
                "argument 'sketch' is a PermutationSketch, a joint law over clients; MAST takes "
                "one client's law: use sketch.marginal() (or a distributed problem)"
            )
        if not isinstance(sketch, Sketch):
            raise TypeError(f"argument 'sketch' = {sketch!r} must be a mastref Sketch")
        if not isinstance(problem, Quadratic | LogisticRegression):
            raise TypeError(
                f"argument 'problem' = {problem!r} must be a Quadratic or a LogisticRegression"
            )
        d = problem.n_features
        if sketch.d != d:
            raise ValueError(f"argument 'sketch' has d = {sketch.d}, but the problem has d = {d}")
        self.problem = problem
        self.sketch = sketch
        self.d = d
        self.v = np.zeros(d) if shift is None else check_vector("shift", shift, d)
        self.is_quadratic = isinstance(problem, Quadratic)
        if self.is_quadratic:
            self._g_v = problem.grad(self.v)
            self._f_v = problem.value(self.v)

    def __repr__(self) -> str:
        return f"MAST({self.problem!r}, {self.sketch!r}, shift_norm={np.linalg.norm(self.v):.3g})"

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

    def sketched_value(self, x, S) -> float:
        """``f_S(x) = f(v + S(x - v))``; ``S`` a scale vector (diagonal) or a ``d x d`` matrix."""
        x = check_vector("x", x, self.d)
        return self.problem.value(self._model(x, self._check_sample(S)))

    def sketched_grad(self, x, S) -> np.ndarray:
        """``grad f_S(x) = S^T grad f(v + S(x - v))`` (THEORY.md §3 P1).

        For a scale vector the numba kernel on its support is used (cost follows the support).
        """
        x = check_vector("x", x, self.d)
        S = self._check_sample(S)
        if S.ndim == 2:
            return S.T @ self.problem.grad(self._model(x, S))
        idx = np.flatnonzero(S).astype(np.int64)
        out = np.zeros(self.d)
        out[idx] = self.sketched_grad_support(x, idx, S[idx])
        return out

    def sketched_grad_support(self, x: np.ndarray, idx: np.ndarray, sc: np.ndarray) -> np.ndarray:
        """Entries on ``C = idx`` of ``grad f_S(x)`` for ``s = sc`` on ``C`` and 0 elsewhere.

        No argument checks (this is the inner loop of the algorithms): ``x`` float64 of length d,
        ``idx`` int64 distinct indices, ``sc`` float64 of the same length.
        """
        return pack_sketched_grad(self.kernel_pack, x, idx, sc)

    @cached_property
    def kernel_pack(self) -> tuple:
        """The arrays the jitted kernels need (``mastref.kernels``, "problem pack")."""
        return kernel_pack(self.problem, self.v)

    # ---------------------------------------------------------------------------------------
    # f_D and its gradient
    # ---------------------------------------------------------------------------------------

    @cached_property
    def A_D(self) -> np.ndarray:
        """``E[S^T A S]`` (quadratics only)."""
        if not self.is_quadratic:
            raise AttributeError("A_D = E[S^T A S] exists only for quadratic problems")
        AD = self.sketch.sandwich(self.problem.A)
        return 0.5 * (AD + AD.T)

    @cached_property
    def _A_D_eigh(self) -> tuple[np.ndarray, np.ndarray]:
        return np.linalg.eigh(self.A_D)

    def _exact_support(self) -> tuple[np.ndarray, np.ndarray]:
        sk = self.sketch
        if sk.has_finite_support and sk.support_size <= self.exact_support_limit:
            return sk.support()
        raise ValueError(
            f"f_D has no exact form for {sk!r} with {self.problem!r} (no closed form, and the "
            f"support has {sk.support_size or 'infinitely many'} atoms > exact_support_limit = "
            f"{self.exact_support_limit}); use estimate_value(x, n, rng) or "
            "estimate_grad(x, n, rng), which return the Monte Carlo mean and its standard error"
        )

    def value(self, x) -> float:
        """``f_D(x)``: closed form for quadratics, exact weighted sum over a finite support."""
        x = check_vector("x", x, self.d)
        h = x - self.v
        if self.is_quadratic:
            return float(self._f_v + self._g_v @ h + 0.5 * h @ self.A_D @ h)
        samples, weights = self._exact_support()
        return float(
            sum(
                w * self.problem.value(self.v + s * h)
                for s, w in zip(samples, weights, strict=True)
            )
        )

    def grad(self, x) -> np.ndarray:
        """``grad f_D(x) = E[S^T grad f(v + S(x - v))]`` (``g_v + A_D h`` for quadratics)."""
        x = check_vector("x", x, self.d)
        h = x - self.v
        if self.is_quadratic:
            return self._g_v + self.A_D @ h
        samples, weights = self._exact_support()
        out = np.zeros(self.d)
        for s, w in zip(samples, weights, strict=True):
            out += w * s * self.problem.grad(self.v + s * h)
        return out

    def values_and_grads(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Exact ``f_D`` and ``grad f_D`` at every row of ``X`` (shape ``(R, d)``), vectorised:
        the closed form for quadratics, the weighted sum over the support for logistic problems
        with a finite-support sketch."""
        X = check_array("X", X, 2, (-1, self.d))
        H = X - self.v
        if self.is_quadratic:
            G = self._g_v + H @ self.A_D
            vals = self._f_v + H @ self._g_v + 0.5 * np.einsum("ri,ri->r", H @ self.A_D, H)
            return vals, G
        p = self.problem
        samples, weights = self._exact_support()
        vals = np.zeros(X.shape[0])
        grads = np.zeros_like(X)
        for s, w in zip(samples, weights, strict=True):
            Y = self.v + s * H
            margins = p.y[:, None] * np.asarray(p.X @ Y.T)
            loss = np.mean(np.logaddexp(0.0, -margins), axis=0)
            vals += w * (loss + 0.5 * p.lam * np.sum(Y**2, axis=1))
            r = -p.y[:, None] * expit(-margins) / p.n_samples
            grads += w * s * (np.asarray(p.X.T @ r).T + p.lam * Y)
        return vals, grads

    def _estimate(self, fn, n: int, rng) -> tuple:
        n = check_int("n", n, 2)
        rng = as_generator(rng)
        vals = np.array([fn(self.sketch.sample(rng)) for _ in range(n)])
        return vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(n)

    def estimate_value(self, x, n: int, rng=None) -> tuple[float, float]:
        """Monte Carlo ``(mean, standard error)`` of ``f_S(x)`` over ``n`` i.i.d. sketches."""
        x = check_vector("x", x, self.d)
        mean, se = self._estimate(lambda S: self.problem.value(self._model(x, S)), n, rng)
        return float(mean), float(se)

    def estimate_grad(self, x, n: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
        """Monte Carlo ``(mean, standard error)`` (per coordinate) of ``grad f_S(x)``."""
        x = check_vector("x", x, self.d)
        return self._estimate(lambda S: self.sketched_grad(x, S), n, rng)

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
        ``f_S`` that replaces ``L_f L_S_max`` (quadratics with an enumerable support only)."""
        sk = self.sketch
        if not self.is_quadratic or not sk.has_finite_support:
            raise NotImplementedError(
                "L_max_exact needs a quadratic and a finite-support sketch; use L_max = L_f L_S_max"
            )
        samples, _ = self._exact_support()
        A = self.problem.A
        return float(max(np.linalg.eigvalsh(s[:, None] * A * s[None, :])[-1] for s in samples))

    @property
    def L_exact(self) -> float:
        """``lambda_max(A_D)``, the exact smoothness of ``f_D`` (quadratics only)."""
        if not self.is_quadratic:
            raise NotImplementedError("L_exact is known only for quadratics; use L = L_f L_D")
        return float(self._A_D_eigh[0][-1])

    @property
    def mu_exact(self) -> float:
        """``lambda_min(A_D)``, the exact strong convexity of ``f_D`` (quadratics only)."""
        if not self.is_quadratic:
            raise NotImplementedError("mu_exact is known only for quadratics; use mu = mu_f mu_D")
        return float(max(self._A_D_eigh[0][0], 0.0))

    # ---------------------------------------------------------------------------------------
    # Optimum and gap (THEORY.md §2, §3 P6-P7)
    # ---------------------------------------------------------------------------------------

    @cached_property
    def _solution(self) -> np.ndarray:
        if self.is_quadratic:
            eig, U = self._A_D_eigh
            return self.v - _pinv_apply(eig, U, self._g_v)
        x, _ = minimize_weighted_logistic(*self.logistic_terms())
        return x

    def logistic_terms(self) -> tuple:
        """``f_D`` of a logistic problem with a finite-support sketch as a weighted logistic model.

        Returns ``(Z, w, Q, q, offset)`` with ``f_D(x) = F(x) + const`` for ``F`` of
        ``mastref.solvers``: atom ``k`` contributes rows ``y_i (a_i * s_k)``, offsets
        ``y_i a_i^T (v - s_k * v)`` and weights ``pi_k / n``; the regulariser gives
        ``Q = lam E[s^2]`` and ``q = lam (1 - E[s^2]) * v``.
        """
        if self.is_quadratic:
            raise TypeError("logistic_terms() applies to logistic problems only")
        samples, weights = self._exact_support()
        p = self.problem
        n = p.n_samples
        blocks, offsets = [], []
        for s in samples:
            Xs = p.X @ sp.diags(s) if p.is_sparse else p.X * s
            blocks.append(sp.diags(p.y) @ Xs if p.is_sparse else p.y[:, None] * Xs)
            offsets.append(p.y * np.asarray(p.X @ (self.v - s * self.v)).ravel())
        Z = sp.vstack(blocks, format="csr") if p.is_sparse else np.vstack(blocks)
        Es2 = weights @ (samples * samples)
        w = np.repeat(weights / n, n)
        return Z, w, p.lam * Es2, p.lam * (1.0 - Es2) * self.v, np.concatenate(offsets)

    def argmin(self) -> np.ndarray:
        """``x_D*``: ``v - A_D^+ g_v`` for quadratics; else cvxpy (Clarabel) + Newton polish."""
        return self._solution.copy()

    @property
    def inf(self) -> float:
        """``f_D^inf``: ``f(v) - 1/2 g_v^T A_D^+ g_v`` for quadratics, ``f_D(x_D*)`` otherwise."""
        if self.is_quadratic:
            eig, U = self._A_D_eigh
            return float(self._f_v - 0.5 * self._g_v @ _pinv_apply(eig, U, self._g_v))
        return self.value(self._solution)

    @property
    def gap(self) -> float:
        """``Delta = f_D^inf - f^inf``; quadratics: ``1/2 g_v^T (A^+ - A_D^+) g_v`` (§2)."""
        if self.is_quadratic:
            eig_D, U_D = self._A_D_eigh
            g = self._g_v
            return float(0.5 * g @ (self.problem.pinv_apply(g) - _pinv_apply(eig_D, U_D, g)))
        return self.inf - self.problem.inf
