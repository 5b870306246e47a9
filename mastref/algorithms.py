"""Algorithms 1-4 of THEORY.md §4, exact and loop-level, for ``R`` independent runs at once.

The state of ``R`` runs is an ``(R, d)`` array. Each step draws the sketches of all runs at once
(vectorised NumPy on the caller's ``Generator``) and advances every run in one numba kernel call,
whose cost per run follows the sketch's support: the problem's registered kernel
(``Problem.kernel_pack``, ``mastref.kernels.register_kernels``), or, for a problem without one, its
reference ``sketched_grad_support`` in a Python loop over runs. Dense sketches (``Projection``,
``Gaussian``) take a plain reference path too. Every algorithm returns a ``Trace``; the same
``rng`` gives a bit-identical trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._budget import check_cost, check_run
from ._kernels import floyd_subsets, sketched_batch_grad_kernel, sketched_grad_kernel
from ._validation import (
    MissingCapability,
    as_generator,
    check_array,
    check_int,
    check_real,
    check_vector,
    ndim_of,
)
from ._watch import RunWatch
from .distributed import DistributedProblem
from .mast import MAST
from .problems.base import FiniteSum


@dataclass(frozen=True, kw_only=True)
class Trace:
    """Recorded run of an algorithm.

    Attributes
    ----------
    algorithm : str
        Name and options of the algorithm.
    gamma : float
        The step size.
    steps : ndarray, shape (n_records,)
        Recorded step indices (always 0 and ``n_steps``).
    iterates : ndarray, shape (n_records, n_runs, d)
        The iterates at the recorded steps.
    final : ndarray, shape (n_runs, d)
        The iterate after the last step.
    counters : dict
        name -> ``(n_records, n_runs)`` cumulative counts at the recorded steps.
    aux : dict
        Extra recorded state (L-SVRDSG: ``"w"``, ``"h"`` of shape ``(n_records, n_runs, d)``,
        ``"w_final"``, ``"h_final"``).
    stopped_at : int or None
        ``None`` for a complete run; else the step at which an iterate first became non-finite
        (the run stopped there with a ``DivergenceWarning``; the last record is that step).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> mr.dsgd(mast, np.zeros(2), 0.1, 100, n_runs=3, rng=0)
    Trace(dsgd, gamma=0.1, n_steps=100, n_runs=3, d=2, 101 records)
    """

    algorithm: str
    gamma: float
    steps: np.ndarray
    iterates: np.ndarray
    final: np.ndarray
    counters: dict = field(default_factory=dict)
    aux: dict = field(default_factory=dict)
    stopped_at: int | None = None

    @property
    def n_runs(self) -> int:
        """Number of independent runs."""
        return self.final.shape[0]

    def __repr__(self) -> str:
        n_rec, R, d = self.iterates.shape
        stop = "" if self.stopped_at is None else f", DIVERGED at step {self.stopped_at}"
        return (
            f"Trace({self.algorithm}, gamma={self.gamma:.4g}, n_steps={int(self.steps[-1])}, "
            f"n_runs={R}, d={d}, {n_rec} records{stop})"
        )


def recording_steps(
    n_steps: int,
    record_every: int | None = None,
    record_at=None,
    geometric: int | None = None,
) -> np.ndarray:
    """Steps at which to record: every ``record_every`` steps, the list ``record_at``, or
    ``geometric`` geometrically spaced steps. Always contains 0 and ``n_steps``. Default: every
    step up to 1000 steps, else 200 geometric points.

    Examples
    --------
    >>> import mastref as mr
    >>> mr.recording_steps(100, geometric=5)
    array([  0,   1,   3,  10,  32, 100])
    """
    n_steps = check_int("n_steps", n_steps, 0)
    given = sum(a is not None for a in (record_every, record_at, geometric))
    if given > 1:
        raise ValueError("give at most one of 'record_every', 'record_at', 'geometric'")
    if given == 0:
        if n_steps <= 1000:
            record_every = 1
        else:
            geometric = 200
    if record_every is not None:
        every = check_int("record_every", record_every, 1)
        check_cost(
            f"recording every {every} of n_steps = {n_steps} steps",
            nbytes=8.0 * (n_steps // every + 2),
            hint="Record fewer steps (a larger record_every, record_at or geometric).",
        )
        steps = np.arange(0, n_steps + 1, every)
    elif record_at is not None:
        steps = np.asarray(record_at)
        if steps.ndim != 1 or not np.issubdtype(steps.dtype, np.integer):
            raise ValueError("argument 'record_at' must be a 1-d list of integer steps")
        if steps.size and (steps.min() < 0 or steps.max() > n_steps):
            raise ValueError(f"argument 'record_at' has steps outside [0, {n_steps}]")
    else:
        n = check_int("geometric", geometric, 2)
        check_cost(
            f"recording geometric = {n} steps",
            nbytes=8.0 * n,
            hint="Record fewer steps (a smaller geometric).",
        )
        steps = np.unique(np.round(np.geomspace(1, max(n_steps, 1), n)).astype(np.int64))
    return np.unique(np.concatenate(([0, n_steps], steps))).astype(np.int64)


def _guard(name: str, steps: np.ndarray, n_runs: int, d: int, n_arrays: int = 1, **kw) -> None:
    """Refuse a run whose step loop, state or recorded iterates exceed the cost budget
    (``_budget.check_run``), before the start is allocated."""
    check_run(
        name,
        n_steps=int(steps[-1]),
        n_runs=n_runs,
        d=d,
        n_records=steps.size,
        n_arrays=n_arrays,
        **kw,
    )


def _finite_on_support(X: np.ndarray, ptr: np.ndarray, idx: np.ndarray) -> bool:
    """Whether the entries a diagonal step touched (runs ``r``, coordinates ``C_r``) are finite:
    ``O(|C|)``, since the other entries did not change."""
    if X.shape[0] == 1:  # one run: no run index to build (the dsgd-step target, issue 22)
        return bool(np.isfinite(X[0, idx]).all())
    runs = np.repeat(np.arange(X.shape[0]), np.diff(ptr))
    return bool(np.isfinite(X[runs, idx]).all())


class _Recorder:
    def __init__(self, steps: np.ndarray, n_runs: int, d: int, counters, aux=()):
        self.steps = steps
        self.iterates = np.empty((steps.size, n_runs, d))
        self.counters = {name: np.zeros((steps.size, n_runs)) for name in counters}
        self.aux = {name: np.empty((steps.size, n_runs, d)) for name in aux}
        self.running = {name: np.zeros(n_runs) for name in counters}
        self._next = 0

    def maybe_record(self, t: int, X: np.ndarray, **aux) -> None:
        if self._next < self.steps.size and self.steps[self._next] == t:
            k = self._next
            self.iterates[k] = X
            for name, total in self.running.items():
                self.counters[name][k] = total
            for name, value in aux.items():
                self.aux[name][k] = value
            self._next += 1

    def stop(self, t: int, X: np.ndarray, **aux) -> None:
        """Record step ``t`` (the first non-finite iterate) as the last record."""
        k = self._next
        self.steps = np.append(self.steps[:k], t).astype(np.int64)
        self.iterates = np.concatenate([self.iterates[:k], X[None]])
        for name, total in self.running.items():
            self.counters[name] = np.concatenate([self.counters[name][:k], total[None]])
        for name, value in aux.items():
            self.aux[name] = np.concatenate([self.aux[name][:k], np.asarray(value)[None]])
        self.stopped_at = t

    def trace(self, algorithm: str, gamma: float, X: np.ndarray, **aux) -> Trace:
        return Trace(
            algorithm=algorithm,
            gamma=gamma,
            steps=self.steps,
            iterates=self.iterates,
            final=X.copy(),
            counters=self.counters,
            aux={**self.aux, **aux},
            stopped_at=getattr(self, "stopped_at", None),
        )


# ------------------------------------------------------------------------------------------------
# Jitted run loops
# ------------------------------------------------------------------------------------------------


@njit(cache=True)
def _sketched_step(pack, X, ptr, idx, sc, out, coef):
    """For every run r: ``out[r, C_r] += coef * grad f_{S_r}(X[r])`` on the support ``C_r``.

    With ``out = X`` and ``coef = -gamma`` this is one step of Algorithm 1-I. The kernel is the
    one registered for the type of ``pack``.
    """
    for r in range(X.shape[0]):
        a, b = ptr[r], ptr[r + 1]
        if b == a:
            continue
        g = sketched_grad_kernel(pack, X[r], idx[a:b], sc[a:b])
        for t in range(b - a):
            out[r, idx[a + t]] += coef * g[t]


@njit(cache=True)
def _sketched_batch_step(pack, X, ptr, idx, sc, rows, out, coef):
    """``_sketched_step`` with the minibatch oracle: run r uses the tau-nice batch ``rows[r]``
    (Algorithm 1-II)."""
    pos = np.full(X.shape[1], -1, dtype=np.int64)
    for r in range(X.shape[0]):
        a, b = ptr[r], ptr[r + 1]
        if b == a:
            continue
        g = sketched_batch_grad_kernel(pack, X[r], idx[a:b], sc[a:b], rows[r], pos)
        for t in range(b - a):
            out[r, idx[a + t]] += coef * g[t]


def _sketched_step_reference(problem, v, X, ptr, idx, sc, rows, out, coef) -> None:
    """``_sketched_step`` for a problem without a kernel: its reference path, run by run."""
    for r in range(X.shape[0]):
        a, b = ptr[r], ptr[r + 1]
        if b == a:
            continue
        if rows.shape[1] == 0:
            g = problem.sketched_grad_support(v, X[r], idx[a:b], sc[a:b])
        else:
            g = problem.sketched_batch_grad_support(v, X[r], idx[a:b], sc[a:b], rows[r])
        out[r, idx[a:b]] += coef * g


def _step(mast: MAST, X, ptr, idx, sc, rows, out, coef) -> None:
    """Advance every run by its sketched gradient, by kernel or by the reference path."""
    if mast.kernel_pack is None:
        _sketched_step_reference(mast.problem, mast.v, X, ptr, idx, sc, rows, out, coef)
    elif rows.shape[1] == 0:
        _sketched_step(mast.kernel_pack, X, ptr, idx, sc, out, coef)
    else:
        _sketched_batch_step(mast.kernel_pack, X, ptr, idx, sc, rows, out, coef)


@njit(cache=True)
def _svrdsg_step(pack, X, W, H, aptr, aidx, asc, k, refresh, ref_atoms, gamma):
    """One L-SVRDSG step for every run (THEORY.md §4, Algorithm 3).

    ``g = grad f_{S_k}(x) - grad f_{S_k}(w) + h``; ``x <- x - gamma g``; on refresh
    ``w <- x_t`` (the pre-step iterate) and ``h <- (1/b) sum_{j in B} grad f_{S_j}(x_t)``.
    """
    R, d = X.shape
    b = ref_atoms.shape[1]
    for r in range(R):
        a0, a1 = aptr[k[r]], aptr[k[r] + 1]
        ci, cs = aidx[a0:a1], asc[a0:a1]
        gx = sketched_grad_kernel(pack, X[r], ci, cs)
        gw = sketched_grad_kernel(pack, W[r], ci, cs)
        if refresh[r]:
            h_new = np.zeros(d)
            for j in range(b):
                c0, c1 = aptr[ref_atoms[r, j]], aptr[ref_atoms[r, j] + 1]
                g = sketched_grad_kernel(pack, X[r], aidx[c0:c1], asc[c0:c1])
                for t in range(c1 - c0):
                    h_new[aidx[c0 + t]] += g[t]
            for i in range(d):
                h_new[i] /= b
            x_old = X[r].copy()
        for i in range(d):
            X[r, i] -= gamma * H[r, i]
        for t in range(a1 - a0):
            X[r, ci[t]] -= gamma * (gx[t] - gw[t])
        if refresh[r]:
            for i in range(d):
                W[r, i] = x_old[i]
                H[r, i] = h_new[i]


def _svrdsg_step_reference(problem, v, X, W, H, aptr, aidx, asc, k, refresh, ref_atoms, gamma):
    """``_svrdsg_step`` for a problem without a kernel: its reference path
    (``problem.sketched_grad_support``), run by run; the same step and the same draws."""
    for r in range(X.shape[0]):
        ci, cs = aidx[aptr[k[r]] : aptr[k[r] + 1]], asc[aptr[k[r]] : aptr[k[r] + 1]]
        gx = problem.sketched_grad_support(v, X[r], ci, cs)
        gw = problem.sketched_grad_support(v, W[r], ci, cs)
        if refresh[r]:
            h_new = np.zeros(X.shape[1])
            for j in ref_atoms[r]:
                cj, sj = aidx[aptr[j] : aptr[j + 1]], asc[aptr[j] : aptr[j + 1]]
                np.add.at(h_new, cj, problem.sketched_grad_support(v, X[r], cj, sj))
            h_new /= ref_atoms.shape[1]
            x_old = X[r].copy()
        X[r] -= gamma * H[r]
        np.add.at(X[r], ci, -gamma * (gx - gw))
        if refresh[r]:
            W[r], H[r] = x_old, h_new


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _start(x0, d: int, n_runs: int) -> np.ndarray:
    if ndim_of("x0", x0) == 2:
        return check_array("x0", x0, 2, (n_runs, d)).copy()
    return np.tile(check_vector("x0", x0, d), (n_runs, 1))


def _minibatches(rng: np.random.Generator, n: int, tau: int, n_runs: int) -> np.ndarray:
    """``(n_runs, tau)`` tau-nice batches: uniform tau-subsets of ``[n]``, without replacement."""
    _, rows = floyd_subsets(n, np.full(n_runs, tau, dtype=np.int64), rng.random((n_runs, tau)))
    return rows.reshape(n_runs, tau)


def _batch_rows(rng: np.random.Generator, tau: int | None, n: int, n_runs: int) -> np.ndarray:
    """Minibatch rows for each run, or ``(n_runs, 0)`` for the exact oracle (``tau = None``)."""
    if tau is None:
        return np.zeros((n_runs, 0), dtype=np.int64)
    return _minibatches(rng, n, tau, n_runs)


def _check_oracle(problem, oracle: str, batch_size):
    if oracle == "exact":
        if batch_size is not None:
            raise ValueError("argument 'batch_size' is only used with oracle='minibatch'")
        return None
    if oracle != "minibatch":
        raise ValueError(f"argument 'oracle' = {oracle!r} must be 'exact' or 'minibatch'")
    if not isinstance(problem, FiniteSum):
        raise TypeError(
            f"oracle='minibatch' needs a finite-sum problem (mastref.FiniteSum); got {problem!r}"
        )
    if batch_size is None:
        raise ValueError("oracle='minibatch' needs 'batch_size' (tau)")
    return check_int("batch_size", batch_size, 1, problem.n_samples)


# ------------------------------------------------------------------------------------------------
# Algorithm 1: DSGD
# ------------------------------------------------------------------------------------------------


def dsgd(
    mast: MAST,
    x0,
    gamma: float,
    n_steps: int,
    *,
    n_runs: int = 1,
    rng: int | np.random.Generator | None = None,
    oracle: str = "exact",
    batch_size: int | None = None,
    record_every: int | None = None,
    record_at=None,
    geometric: int | None = None,
    on_divergence: str = "warn",
) -> Trace:
    """Algorithm 1 (THEORY.md §4): ``x_{t+1} = x_t - gamma S_t^T G(v + S_t(x_t - v))``.

    Parameters
    ----------
    mast : MAST
        The objective (problem, law, shift).
    x0 : array_like, shape (d,) or (n_runs, d)
        Starting point(s).
    gamma : float
        Step size ``> 0``.
    n_steps : int
        Number of steps ``T``.
    n_runs : int
        Independent runs advanced together.
    rng : int, Generator or None
        Randomness (sketches and minibatches).
    oracle : {"exact", "minibatch"}
        Variant I (``G = grad f``) or II (``G = grad f_B``, a tau-nice batch of a finite sum).
    batch_size : int, optional
        ``tau`` for ``oracle="minibatch"``.
    record_every, record_at, geometric
        Which steps to record (``recording_steps``).
    on_divergence : {"warn", "raise"}
        At the first non-finite iterate the run stops and warns (``DivergenceWarning``, naming
        the step, ``gamma`` and Theorem 1's ``gamma_max = 1/L_max``; ``Trace.stopped_at``), or
        raises ``DivergenceError``.

    Returns
    -------
    Trace
        Counters ``"sketched_grads"`` (one per step), ``"coords"`` (support sizes: coordinates
        of the sparse model), ``"samples"`` (data points touched; ``n`` per step for the exact
        oracle on a finite sum).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), mr.RandK(3, 1))
    >>> trace = mr.dsgd(mast, np.zeros(3), 0.1, 50, n_runs=4, rng=0)
    >>> trace.final.shape, trace.counters["coords"][-1]
    ((4, 3), array([50., 50., 50., 50.]))
    """
    if not isinstance(mast, MAST):
        raise TypeError(f"argument 'mast' = {mast!r} must be a MAST objective")
    gamma = check_real("gamma", gamma, positive=True)
    n_runs = check_int("n_runs", n_runs, 1)
    steps = recording_steps(n_steps, record_every, record_at, geometric)
    n_steps = int(steps[-1])
    tau = _check_oracle(mast.problem, oracle, batch_size)
    rng = as_generator(rng)
    _guard(
        "dsgd",
        steps,
        n_runs,
        mast.d,
        python_per_run=not mast.sketch.is_diagonal or mast.kernel_pack is None,
    )
    X = _start(x0, mast.d, n_runs)
    watch = RunWatch(
        "dsgd",
        gamma,
        n_steps,
        lambda: ("gamma_max = 1/L_max (Theorem 1)", 1 / mast.L_max),
        on_divergence,
    )
    rec = _Recorder(steps, n_runs, mast.d, ("sketched_grads", "coords", "samples"))
    n_data = getattr(mast.problem, "n_samples", 1)
    sketch = mast.sketch
    for t in range(n_steps):
        rec.maybe_record(t, X)
        if sketch.is_diagonal:
            ptr, idx, sc = sketch.sample_supports(n_runs, rng=rng)
            rows = _batch_rows(rng, tau, n_data, n_runs)
            _step(mast, X, ptr, idx, sc, rows, X, -gamma)
            rec.running["coords"] += ptr[1:] - ptr[:-1]
            finite = _finite_on_support(X, ptr, idx)
        else:
            for r in range(n_runs):
                S = sketch.sample(rng)
                if tau is None:
                    g = mast.sketched_grad(X[r], S)
                else:
                    batch = _minibatches(rng, n_data, tau, 1)[0]
                    y = mast.v + S @ (X[r] - mast.v)
                    g = S.T @ mast.problem.batch_grad(y, batch)
                X[r] -= gamma * g
            rec.running["coords"] += mast.d
            finite = bool(np.isfinite(X).all())
        rec.running["sketched_grads"] += 1
        rec.running["samples"] += n_data if tau is None else tau
        if watch.after_step(t, finite, rec, X):
            break
    else:
        watch.close()
        rec.maybe_record(n_steps, X)
    return rec.trace("dsgd" if tau is None else f"dsgd-minibatch(tau={tau})", gamma, X)


# ------------------------------------------------------------------------------------------------
# Algorithm 2: GD on f_D
# ------------------------------------------------------------------------------------------------


def gd_mast(
    mast: MAST,
    x0,
    gamma: float,
    n_steps: int,
    *,
    n_runs: int = 1,
    record_every: int | None = None,
    record_at=None,
    geometric: int | None = None,
    on_divergence: str = "warn",
) -> Trace:
    """Algorithm 2 (THEORY.md §4): ``x_{t+1} = x_t - gamma grad f_D(x_t)`` with the exact gradient.

    Deterministic (no ``rng``): all ``n_runs`` runs are the same trajectory. Counter
    ``"grads_D"`` counts exact ``grad f_D`` evaluations. A non-finite iterate stops the run as in
    ``dsgd`` (``on_divergence``; the limit named is the baseline's ``gamma_max = 1/L``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Bernoulli(2, 0.5))
    >>> trace = mr.gd_mast(mast, np.zeros(2), 0.5, 60)
    >>> np.allclose(trace.final[0], mast.argmin())
    True
    """
    if not isinstance(mast, MAST):
        raise TypeError(f"argument 'mast' = {mast!r} must be a MAST objective")
    gamma = check_real("gamma", gamma, positive=True)
    n_runs = check_int("n_runs", n_runs, 1)
    steps = recording_steps(n_steps, record_every, record_at, geometric)
    n_steps = int(steps[-1])
    _guard("gd_mast", steps, n_runs, mast.d)
    X = _start(x0, mast.d, n_runs)
    x = X[0].copy()
    mast.grad(x)  # fail early with the clear error if f_D has no exact gradient
    watch = RunWatch(
        "gd_mast",
        gamma,
        n_steps,
        lambda: ("gamma_max = 1/L (baseline GD)", 1 / mast.L),
        on_divergence,
    )
    rec = _Recorder(steps, n_runs, mast.d, ("grads_D",))
    for t in range(n_steps):
        rec.maybe_record(t, np.broadcast_to(x, X.shape))
        with np.errstate(over="ignore", invalid="ignore"):  # reported by the watch below
            x = x - gamma * mast.grad(x)
        rec.running["grads_D"] += 1
        finite = bool(np.isfinite(x).all())
        if not finite:
            X[:] = x
        if watch.after_step(t, finite, rec, X):
            break
    else:
        watch.close()
        X[:] = x
        rec.maybe_record(n_steps, X)
    return rec.trace("gd_mast", gamma, X)


# ------------------------------------------------------------------------------------------------
# Algorithm 3: L-SVRDSG
# ------------------------------------------------------------------------------------------------


def uniform_atoms(sketch) -> int:
    """Number ``N`` of atoms of a finite, uniform diagonal law (L-SVRDSG, Theorem 4).

    Raises ``MissingCapability`` for laws without a finite support and ``ValueError`` for
    non-uniform weights.
    """
    if not sketch.is_diagonal or not sketch.has_finite_support:
        raise MissingCapability(
            f"L-SVRDSG needs a finite, uniform diagonal law S_1..S_N (capability "
            f"'finite_support'); {sketch!r} has none"
        )
    _, weights = sketch.support()
    if np.ptp(weights) > 1e-15:
        raise ValueError(
            f"argument 'mast' has the law {sketch!r} with unequal weights (from "
            f"{weights.min():.3g} to {weights.max():.3g}); L-SVRDSG needs uniform atoms"
        )
    return weights.size


def l_svrdsg(
    mast: MAST,
    x0,
    gamma: float,
    n_steps: int,
    *,
    n_runs: int = 1,
    rng: int | np.random.Generator | None = None,
    p: float | None = None,
    b: int | None = None,
    w0=None,
    record_every: int | None = None,
    record_at=None,
    geometric: int | None = None,
    on_divergence: str = "warn",
) -> Trace:
    """Algorithm 3 (THEORY.md §4), loopless variance-reduced double sketched gradient.

    Needs a finite, uniform law ``S_1..S_N`` (any law with a uniform finite support: a
    ``Partition``, ``RandK``, ``FiniteSketch`` with equal weights, a user's law). ``p`` is the
    refresh probability (default ``1/N``), ``b`` the reference batch size (default ``N``: the
    exact ``grad f_D``). Start: ``w_0 = x_0`` (or the ``w0`` given, any reference point),
    ``h_0 = grad f_D(w_0)`` (exact, so that the Lyapunov functions of Theorem 4 start
    deterministic). ``aux`` records ``w`` and ``h``;
    counter ``"sketched_grads"`` counts ``2 + b`` per refresh step, 2 otherwise. A non-finite
    iterate stops the run as in ``dsgd`` (``on_divergence``; the limit named is Theorem 4's
    ``gamma_max = 1/(6 L_max)``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(4), np.ones(4)), mr.Partition(4, 2, rng=0))
    >>> trace = mr.l_svrdsg(mast, np.zeros(4), 0.05, 2000, rng=0)
    >>> bool(np.linalg.norm(trace.final[0] - mast.argmin()) < 1e-8)
    True
    """
    if not isinstance(mast, MAST):
        raise TypeError(f"argument 'mast' = {mast!r} must be a MAST objective")
    sketch = mast.sketch
    N = uniform_atoms(sketch)
    gamma = check_real("gamma", gamma, positive=True)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    if p > 1:
        raise ValueError(f"argument 'p' = {p} must lie in (0, 1]")
    b = N if b is None else check_int("b", b, 1, N)
    n_runs = check_int("n_runs", n_runs, 1)
    steps = recording_steps(n_steps, record_every, record_at, geometric)
    n_steps = int(steps[-1])
    rng = as_generator(rng)
    _guard("l_svrdsg", steps, n_runs, mast.d, n_arrays=3)
    X = _start(x0, mast.d, n_runs)
    watch = RunWatch(
        "l_svrdsg",
        gamma,
        n_steps,
        lambda: ("gamma_max = 1/(6 L_max) (Theorem 4)", 1 / (6 * mast.L_max)),
        on_divergence,
    )
    W = X.copy() if w0 is None else np.tile(check_vector("w0", w0, mast.d), (n_runs, 1))
    H = np.array([mast.grad(w) for w in W])
    aptr, aidx, asc = sketch.atom_supports()
    rec = _Recorder(steps, n_runs, mast.d, ("sketched_grads",), aux=("w", "h"))
    all_atoms = np.tile(np.arange(N, dtype=np.int64), (n_runs, 1))
    pack = mast.kernel_pack
    for t in range(n_steps):
        rec.maybe_record(t, X, w=W, h=H)
        k = rng.integers(N, size=n_runs)
        refresh = rng.random(n_runs) < p
        ref_atoms = all_atoms if b == N else _minibatches(rng, N, b, n_runs)
        if pack is None:  # a problem without a kernel: its reference path
            _svrdsg_step_reference(
                mast.problem, mast.v, X, W, H, aptr, aidx, asc, k, refresh, ref_atoms, gamma
            )
        else:
            _svrdsg_step(pack, X, W, H, aptr, aidx, asc, k, refresh, ref_atoms, gamma)
        rec.running["sketched_grads"] += 2 + b * refresh
        finite = bool(np.isfinite(X).all() and np.isfinite(H).all())
        if watch.after_step(t, finite, rec, X, w=W, h=H):
            break
    else:
        watch.close()
        rec.maybe_record(n_steps, X, w=W, h=H)
    return rec.trace(f"l_svrdsg(p={p:g}, b={b})", gamma, X, w_final=W.copy(), h_final=H.copy())


# ------------------------------------------------------------------------------------------------
# Algorithm 4: distributed DSGD
# ------------------------------------------------------------------------------------------------


def _client_supports(owners: np.ndarray, client: int, scale: float):
    rows, idx = np.nonzero(owners == client)
    ptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=owners.shape[0]))))
    return ptr.astype(np.int64), idx.astype(np.int64), np.full(idx.size, scale)


def distributed_dsgd(
    problem: DistributedProblem,
    x0,
    gamma: float,
    n_steps: int,
    *,
    n_runs: int = 1,
    rng: int | np.random.Generator | None = None,
    oracle: str = "exact",
    batch_size: int | None = None,
    record_every: int | None = None,
    record_at=None,
    geometric: int | None = None,
    on_divergence: str = "warn",
) -> Trace:
    """Algorithm 4 (THEORY.md §4): ``x+ = x - (gamma/M) sum_i S_i^T grad f_i(v + S_i(x - v))``.

    Client sketches are drawn independently per client, or jointly from the problem's joint
    law (a ``PermutationSketch``). ``oracle="minibatch"`` uses a tau-nice batch of each client's
    shard. Counters: ``"coords_down"`` (sparse-model coordinates sent to the clients, summed over
    clients), ``"coords_up"`` (gradient coordinates returned), ``"sketched_grads"`` (M per round).
    A non-finite iterate stops the run as in ``dsgd`` (``on_divergence``; the limit named is
    Theorem 5's ``gamma_max = 1/A``).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> clients = [mr.Quadratic(np.eye(2), np.array([1.0, 0.0])),
    ...            mr.Quadratic(np.eye(2), np.array([0.0, 1.0]))]
    >>> dp = mr.DistributedProblem(clients, mr.PermutationSketch(2, 2))
    >>> trace = mr.distributed_dsgd(dp, np.zeros(2), 0.1, 10, rng=0)
    >>> trace.counters["coords_down"][-1]  # 2 coordinates per round in all
    array([20.])
    """
    if not isinstance(problem, DistributedProblem):
        raise TypeError(f"argument 'problem' = {problem!r} must be a DistributedProblem")
    gamma = check_real("gamma", gamma, positive=True)
    n_runs = check_int("n_runs", n_runs, 1)
    steps = recording_steps(n_steps, record_every, record_at, geometric)
    n_steps = int(steps[-1])
    taus = [_check_oracle(c.problem, oracle, batch_size) for c in problem.clients]
    if any(not c.sketch.is_diagonal for c in problem.clients):
        raise TypeError("distributed_dsgd supports diagonal sketches only")
    rng = as_generator(rng)
    M = problem.n_clients
    _guard("distributed_dsgd", steps, n_runs, problem.d, calls_per_step=M)
    X = _start(x0, problem.d, n_runs)
    watch = RunWatch(
        "distributed_dsgd",
        gamma,
        n_steps,
        lambda: ("gamma_max = 1/A (Theorem 5)", 1 / problem.A),
        on_divergence,
    )
    G = np.zeros_like(X)
    rec = _Recorder(steps, n_runs, problem.d, ("coords_down", "coords_up", "sketched_grads"))
    for t in range(n_steps):
        rec.maybe_record(t, X)
        G[:] = 0.0
        owners = None if problem.joint is None else problem.joint.sample_owners(n_runs, rng=rng)
        for i, client in enumerate(problem.clients):
            if owners is None:
                ptr, idx, sc = client.sketch.sample_supports(n_runs, rng=rng)
            else:
                ptr, idx, sc = _client_supports(owners, i, problem.joint.scale)
            rows = _batch_rows(rng, taus[i], getattr(client.problem, "n_samples", 1), n_runs)
            _step(client, X, ptr, idx, sc, rows, G, 1.0)
            sizes = np.diff(ptr)
            rec.running["coords_down"] += sizes
            rec.running["coords_up"] += sizes
        with np.errstate(over="ignore", invalid="ignore"):  # reported by the watch below
            X -= gamma * (G / M)
        rec.running["sketched_grads"] += M
        if watch.after_step(t, bool(np.isfinite(X).all()), rec, X):
            break
    else:
        watch.close()
        rec.maybe_record(n_steps, X)
    return rec.trace(f"distributed_dsgd(M={M})", gamma, X)
