"""Distributed MAST: ``F(x) = (1/M) sum_i E[f_i(v + S_i(x - v))]`` (THEORY.md §2, §5 Theorem 5).

Client ``i`` holds a problem ``f_i`` (a data shard, or a quadratic) and a sketch law ``D_i``; the
laws may be independent or one joint ``PermutationSketch`` (independent subnetwork training),
whose per-client marginals are used for every expectation.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ._budget import check_dense
from ._validation import MissingCapability, as_generator, check_int
from .mast import MAST, GapBound, _pinv_apply, _rounding, erm_bracket, value_and_grad
from .problems.base import Problem
from .problems.logistic import LogisticRegression
from .sketches.base import JointSketch, Sketch
from .solvers import minimize_lbfgs, minimize_weighted_logistic


class DistributedProblem:
    """``M`` clients ``(f_i, D_i)`` with a common shift ``v``.

    ``sketches`` is a list of ``M`` laws (drawn independently across clients), one ``Sketch``
    used by every client independently, or a joint law (``JointSketch``, e.g. a
    ``PermutationSketch``) with ``n_clients = M``. Constants of Theorem 5:
    ``L_F = (1/M) sum_i L_i L_{D_i}``, ``A = max_i L_i L_{S_i}^max``,
    ``Delta_M = F^inf - (1/M) sum_i f_i^inf``.

    Parameters
    ----------
    problems : sequence of Problem
        The clients' functions ``f_i`` (same dimension).
    sketches : Sketch, sequence of Sketch, or JointSketch
        The clients' laws.
    shift : array_like, optional
        The common shift ``v`` (default 0).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> clients = [mr.Quadratic(np.eye(2), np.array([1.0, 0.0])),
    ...            mr.Quadratic(np.eye(2), np.array([0.0, 1.0]))]
    >>> dp = mr.DistributedProblem(clients, mr.PermutationSketch(2, 2))
    >>> dp.L_F, dp.A, dp.argmin()
    (2.0, 4.0, array([0.25, 0.25]))
    """

    def __init__(self, problems, sketches, shift=None):
        problems = list(problems)
        if not problems:
            raise ValueError("argument 'problems' must hold at least one client problem")
        M = len(problems)
        d = problems[0].n_features
        for i, p in enumerate(problems):
            if not isinstance(p, Problem):
                raise TypeError(f"argument 'problems'[{i}] = {p!r} is not a mastref Problem")
            if p.n_features != d:
                raise ValueError(
                    f"argument 'problems'[{i}] has d = {p.n_features}, client 0 has d = {d}"
                )
        self.joint = None
        if isinstance(sketches, JointSketch):
            if sketches.n_clients != M:
                raise ValueError(
                    f"argument 'sketches' is a joint law for {sketches.n_clients} clients, "
                    f"but there are {M} problems"
                )
            self.joint = sketches
            laws = [sketches.marginal()] * M
        elif isinstance(sketches, Sketch):
            laws = [sketches] * M
        else:
            if isinstance(sketches, str | bytes) or not hasattr(sketches, "__iter__"):
                raise TypeError(
                    f"argument 'sketches' = {sketches!r} must be a Sketch, a JointSketch or a "
                    f"sequence of {M} Sketches"
                )
            laws = list(sketches)
            if len(laws) != M:
                raise ValueError(f"argument 'sketches' has {len(laws)} laws for {M} clients")
            for i, law in enumerate(laws):
                if not isinstance(law, Sketch):
                    raise TypeError(f"argument 'sketches'[{i}] = {law!r} is not a Sketch")
        self.clients = [MAST(p, law, shift) for p, law in zip(problems, laws, strict=True)]
        quadratic = [c.has_quadratic_form for c in self.clients]
        if any(quadratic) and not all(quadratic):
            i, j = quadratic.index(True), quadratic.index(False)
            raise TypeError(
                f"argument 'problems' mixes quadratic clients ({type(problems[i]).__name__} at "
                f"{i}) with non-quadratic ones ({type(problems[j]).__name__} at {j}): x_F* and "
                "Delta_M are exact only when every client is quadratic or every client is not"
            )
        self.problems = problems
        self.sketches = laws
        self.n_clients = M
        self.d = d
        self.v = self.clients[0].v

    @classmethod
    def from_data(
        cls,
        X,
        y,
        lam: float,
        n_clients: int,
        sketches,
        split: str = "homogeneous",
        shift=None,
        rng: int | np.random.Generator | None = None,
    ) -> DistributedProblem:
        """Shard a logistic data set over ``n_clients`` clients.

        ``split="homogeneous"``: a uniformly random balanced split. ``"heterogeneous"``: the
        samples sorted by label (ties in random order) and cut into contiguous shards, so that
        most clients see one label only.

        Examples
        --------
        >>> import numpy as np
        >>> import mastref as mr
        >>> X = np.random.default_rng(0).standard_normal((8, 3))
        >>> y = np.array([1.0, -1.0] * 4)
        >>> dp = mr.DistributedProblem.from_data(X, y, 0.1, 2, mr.Bernoulli(3, 0.5), rng=0)
        >>> [c.problem.n_samples for c in dp.clients]
        [4, 4]
        """
        whole = LogisticRegression(X, y, lam)
        M = check_int("n_clients", n_clients, 1, whole.n_samples)
        rng = as_generator(rng)
        order = rng.permutation(whole.n_samples)
        if split == "heterogeneous":
            order = order[np.argsort(whole.y[order], kind="stable")]
        elif split != "homogeneous":
            raise ValueError(
                f"argument 'split' = {split!r} must be 'homogeneous' or 'heterogeneous'"
            )
        shards = np.array_split(order, M)
        problems = [
            LogisticRegression(whole.X[np.sort(s)], whole.y[np.sort(s)], lam) for s in shards
        ]
        return cls(problems, sketches, shift)

    def __repr__(self) -> str:
        if self.joint is not None:
            law = repr(self.joint)
        elif all(repr(s) == repr(self.sketches[0]) for s in self.sketches):
            law = repr(self.sketches[0])
        else:
            law = f"laws=[{', '.join(type(s).__name__ for s in self.sketches)}]"
        return f"DistributedProblem(M={self.n_clients}, d={self.d}, {law})"

    @property
    def has_quadratic_form(self) -> bool:
        """Every client is quadratic: closed forms and the exact recursion of §6 apply."""
        return all(c.has_quadratic_form for c in self.clients)

    def value(self, x) -> float:
        """``F(x) = (1/M) sum_i f_{D_i, i}(x)``."""
        return float(np.mean([c.value(x) for c in self.clients]))

    def grad(self, x) -> np.ndarray:
        """``grad F(x)``."""
        return np.mean([c.grad(x) for c in self.clients], axis=0)

    def values_and_grads(self, X) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``grad F`` at every row of ``X`` (shape ``(R, d)``)."""
        parts = [c.values_and_grads(X) for c in self.clients]
        return np.mean([p[0] for p in parts], axis=0), np.mean([p[1] for p in parts], axis=0)

    @property
    def L_F(self) -> float:
        """``(1/M) sum_i L_i L_{D_i}``: smoothness of ``F``."""
        return float(np.mean([c.L for c in self.clients]))

    @property
    def A(self) -> float:
        """``max_i L_i L_{S_i}^max``."""
        return float(max(c.L_max for c in self.clients))

    @property
    def mu_F(self) -> float:
        """``(1/M) sum_i mu_i mu_{D_i}``: strong convexity of ``F`` (paper constants)."""
        return float(np.mean([c.mu for c in self.clients]))

    @cached_property
    def A_F(self) -> np.ndarray:
        """``(1/M) sum_i E[S_i^T A_i S_i]``: the Hessian of ``F`` (quadratic clients)."""
        check_dense("DistributedProblem.A_F", self.d, copies=2)
        total = np.zeros((self.d, self.d))
        for c in self.clients:
            total += c.A_D
        return total / self.n_clients

    @property
    def mu_F_exact(self) -> float:
        """``lambda_min`` of the Hessian of ``F`` (quadratics only)."""
        return float(max(np.linalg.eigvalsh(self.A_F)[0], 0.0))

    @property
    def L_F_exact(self) -> float:
        """``lambda_max`` of the Hessian of ``F`` (quadratics only)."""
        return float(np.linalg.eigvalsh(self.A_F)[-1])

    @cached_property
    def _solution(self) -> np.ndarray:
        if self.has_quadratic_form:
            g = np.mean([c.grad(c.v) for c in self.clients], axis=0)
            eig, U = np.linalg.eigh(self.A_F)
            return self.v - _pinv_apply(eig, U, g)
        if all(callable(getattr(c.problem, "weighted_terms", None)) for c in self.clients):
            terms = [c.problem.weighted_terms(*c._exact_support(), c.v) for c in self.clients]
            M = self.n_clients
            dense = not any(sp.issparse(t[0]) for t in terms)
            Z = (
                np.vstack([t[0] for t in terms])
                if dense
                else sp.vstack([t[0] for t in terms], "csr")
            )
            w = np.concatenate([t[1] / M for t in terms])
            Q = sum(t[2] for t in terms) / M
            q = sum(t[3] for t in terms) / M
            offset = np.concatenate([t[4] for t in terms])
            x, _ = minimize_weighted_logistic(Z, w, Q, q, offset=offset)
            return x
        return self._enumerated_solution()

    def _enumerated_solution(self) -> np.ndarray:
        """``x_F*`` of convex clients with enumerable diagonal supports: L-BFGS on the exact
        ``F(x) = (1/M) sum_i sum_k pi_ik f_i(v + s_ik * (x - v))`` from the mean of the
        clients' minimisers, to a gradient norm at round-off level (as ``minimize_sketched``
        for one client). Otherwise a ``MissingCapability`` naming each client's lack."""
        lacks = []
        supports = []
        for i, c in enumerate(self.clients):
            if not c.problem.is_convex:
                lacks.append(f"client {i} ({c.problem!r}) is not declared convex")
                continue
            try:
                supports.append(c._exact_support())
            except MissingCapability as err:
                lacks.append(f"client {i}: {str(err).split('; use ')[0]}")
        if lacks:
            raise MissingCapability(
                "x_F* has no exact form: not every client is quadratic (quadratic_form) or a "
                "weighted logistic model (weighted_terms), and the exact finite sum needs "
                "convex clients with enumerable diagonal supports: " + "; ".join(lacks)
            )
        M = self.n_clients

        def fun(x):
            total, grad = 0.0, np.zeros(self.d)
            for c, (atoms, w) in zip(self.clients, supports, strict=True):
                vals, grads = c.problem.values_and_grads(c.v + atoms * (x - c.v))
                total += float(w @ vals)
                grad += (w[:, None] * atoms * grads).sum(axis=0)
            return total / M, grad / M

        x0 = np.mean([p.argmin() for p in self.problems], axis=0)
        x, _, _ = minimize_lbfgs(fun, x0, mu=self.mu_F)
        return x

    def argmin(self) -> np.ndarray:
        """``x_F*``: closed form for quadratics; exact finite sums + cvxpy/Newton for logistic;
        L-BFGS on the exact finite sum for other convex clients with enumerable supports."""
        return self._solution.copy()

    @property
    def inf(self) -> float:
        """``F^inf = F(x_F*)``."""
        return self.value(self._solution)

    @property
    def client_inf(self) -> np.ndarray:
        """``f_i^inf`` of every client."""
        return np.array([p.inf for p in self.problems])

    @property
    def gap(self) -> float:
        """``Delta_M = F^inf - (1/M) sum_i f_i^inf`` (THEORY.md §5, Theorem 5)."""
        return self.inf - float(np.mean(self.client_inf))

    @cached_property
    def gap_bound(self) -> GapBound:
        """A certified bracket on ``Delta_M`` and a ball around ``x_F*`` (``mastref.GapBound``).

        Exact (``argmin``, ``gap``) for quadratic clients or ``d <= MAST.exact_solve_limit`` when
        the exact path runs; otherwise, for convex clients with ``mu_F > 0``, the P5 bracket
        averaged over clients: with ``c_i = L_i (L_{D_i} - 1)``, ``c_i' = mu_i (mu_{D_i} - 1)``,
        ``min_x (1/M) sum_i [f_i(x) + (c_i/2)||x - v||^2] - (1/M) sum_i f_i^inf >= Delta_M >=
        min_x (1/M) sum_i [f_i(x) + (c_i'/2)||x - v||^2] - (1/M) sum_i f_i^inf``, by L-BFGS
        with certificates (``f_i^inf`` bracketed by ``mastref.mast.erm_bracket``). Ball:
        ``||x_U - x_F*||^2 <= 2 (F(x_U) - F^inf)/mu_F <= 2 upper / mu_F``
        (``F^inf >= (1/M) sum_i f_i^inf``).
        """
        if self.has_quadratic_form or self.d <= MAST.exact_solve_limit:
            try:
                x, gap = self.argmin(), self.gap
                inf = self.inf
                return GapBound(
                    upper=max(gap, 0.0),
                    lower=max(gap, 0.0),
                    x=x,
                    radius=0.0,
                    inf_lower=inf,
                    exact=True,
                    confidence=1.0,
                    method="exact (closed form or enumeration)",
                )
            except (ValueError, MissingCapability):  # CostLimitExceeded is a ValueError
                pass
        return self._bracket_bound()

    def _bracket_bound(self) -> GapBound:
        """The P5 bracket of ``gap_bound`` (convex clients, ``mu_F > 0``)."""
        probs = self.problems
        mu_F = self.mu_F
        if not all(p.is_convex for p in probs) or not mu_F > 0:
            raise MissingCapability(
                f"Delta_M has no exact form here and its P5 bracket needs convex clients with "
                f"mu_F > 0 (mu_F = {mu_F:.3g}); pass Delta= to the theorem"
            )
        brackets = [erm_bracket(p) for p in probs]
        f_lo = float(np.mean([b[1] for b in brackets]))
        f_hi = float(np.mean([b[2] for b in brackets]))
        vgs = [value_and_grad(p) for p in probs]
        v = self.v
        x_start = np.mean([b[0] for b in brackets], axis=0)
        mu_bar = float(np.mean([p.mu for p in probs]))

        def solve(c):
            def fun(x):
                h = x - v
                parts = [vg(x) for vg in vgs]
                val = float(np.mean([q[0] for q in parts]))
                return val + 0.5 * c * float(h @ h), np.mean([q[1] for q in parts], axis=0) + c * h

            return minimize_lbfgs(fun, x_start, mu=mu_bar + c)

        c_up = float(np.mean([c.problem.L * (c.sketch.L_D - 1.0) for c in self.clients]))
        c_lo = float(np.mean([c.problem.mu * (c.sketch.mu_D - 1.0) for c in self.clients]))
        x_u, U, _ = solve(c_up)
        upper = max(U - f_lo + _rounding(U, f_lo), 0.0)
        _, W, g_w = solve(c_lo)
        W_lo = W - g_w**2 / (2 * (mu_bar + c_lo)) - _rounding(W, f_hi)
        return GapBound(
            upper=upper,
            lower=min(max(W_lo - f_hi, 0.0), upper),
            x=x_u,
            radius=math.sqrt(2 * upper / mu_F),
            inf_lower=max(W_lo, f_lo),
            exact=False,
            confidence=1.0,
            method=(
                "P5 bracket over clients: Delta_M <= min_x (1/M) sum_i [f_i(x) + L_i (L_D_i - 1)/2 "
                "||x - v||^2] - (1/M) sum_i f_i^inf (L-BFGS, certified)"
            ),
        )
