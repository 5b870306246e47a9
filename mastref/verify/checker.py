"""``check``: hold any claim against measurement on a user's own objects (THEORY.md §7)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .._validation import check_int, check_real, check_vector
from ..problems import audit
from ..theorems.claims import Guarantee
from .instances import call_claim
from .measure import exact_available, exact_curve, monte_carlo_samples
from .result import CheckResult, exact_result, monte_carlo_result

_METHODS = ("auto", "exact", "monte_carlo")


def check(
    claim: Guarantee | Callable[..., Guarantee],
    obj,
    *,
    x0=None,
    gamma: float | None = None,
    n_steps: int,
    method: str = "auto",
    n_runs: int = 200,
    rng: int | np.random.Generator | None = 0,
    name: str | None = None,
    instance: str | None = None,
    notes: tuple = (),
    record: dict | None = None,
    part: str = "",
    floor: float | None = None,
) -> CheckResult:
    """Hold a claim against the measured run of its algorithm; the verifier's ``CheckResult``.

    Parameters
    ----------
    claim : Guarantee or callable
        A ``Guarantee``, or a callable ``claim(obj, gamma=..., x0=..., n_steps=...)`` returning
        one (every theorem of ``mastref.theorems``, or a user's).
    obj : MAST or DistributedProblem
        The instance.
    x0 : array_like, optional
        Starting point (default: the claim's, else the shift ``v``).
    gamma : float, optional
        Step size passed to a callable claim (default: the claim's choice).
    n_steps : int
        Horizon ``T``.
    method : {"auto", "exact", "monte_carlo"}
        ``exact``: the exact expectation (the §6 recursion for DSGD on quadratics with a law
        that has mixed moments; the deterministic run for GD on ``f_D``). ``monte_carlo``:
        ``n_runs`` runs with one-sided normal confidence bounds (false-alarm rate
        ``mastref.verify.FALSE_ALARM``). ``auto``: exact when available.
    n_runs : int
        Monte Carlo runs.
    rng : int, Generator or None
        Monte Carlo randomness.
    name, instance : str, optional
        Labels of the result.
    notes : tuple of str
        Remarks added to the result.
    record : dict, optional
        Recording steps for Monte Carlo (``record_every``, ``record_at`` or ``geometric``);
        default every step for ``grad_norm2_min`` (a running minimum), else 30 geometric steps.
    part : str
        Count the tightness only where this part of the bound (``Guarantee.parts``) dominates.
    floor : float, optional
        The tightness the check promises: a check that holds below it is ``weak``.

    A bound that is ``nan`` at some ``t`` is refused (a ``ValueError`` naming the claim); a
    negative bound is ``violated`` (every measured quantity is ``>= 0``). A ``violated`` run on
    a problem whose stated constants ``mastref.problems.audit`` contradicts (e.g. a stated ``L``
    below the measured curvature) raises a ``ValueError`` with that message instead: the
    constant is at fault, not the claim.

    Returns
    -------
    CheckResult
        ``holds``, ``violated`` or ``inconclusive``, with the curves and the tightness.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    >>> mast = mr.MAST(f, mr.Bernoulli(2, 0.5), shift=np.ones(2))
    >>> result = mr.check(mr.theorem1, mast, x0=np.zeros(2), n_steps=50)
    >>> result.verdict, result.method
    ('holds', 'exact (§6 recursion)')
    """
    if method not in _METHODS:
        raise ValueError(f"argument 'method' = {method!r} must be one of {list(_METHODS)}")
    n_steps = check_int("n_steps", n_steps, 1)
    if floor is not None:
        floor = check_real("floor", floor, nonnegative=True)
    if not (hasattr(obj, "v") and hasattr(obj, "d")):
        raise TypeError(
            f"argument 'obj' = {obj!r} must be a MAST or a DistributedProblem (the sketched "
            "objective the claim is about); wrap a problem as mr.MAST(problem, law, shift=v)"
        )
    if x0 is not None:
        x0 = check_vector("x0", x0, obj.d)
    started = time.perf_counter()
    if isinstance(claim, Guarantee):
        g = claim
        if gamma is not None and gamma != g.gamma:
            raise ValueError(
                f"argument 'gamma' = {gamma} differs from the claim's step {g.gamma}; state the "
                "claim at that step"
            )
        if x0 is not None and g.x0 is not None and not np.array_equal(x0, g.x0):
            raise ValueError(
                f"argument 'x0' = {_short(x0)} differs from the start the claim was stated for, "
                f"{_short(g.x0)}: its bound depends on x0; state the claim at that start (or pass "
                "the theorem itself, e.g. mr.check(mr.theorem1, obj, x0=...))"
            )
    elif callable(claim):
        g = call_claim(claim, obj, gamma=gamma, x0=x0, n_steps=n_steps)
    else:
        raise TypeError(f"argument 'claim' = {claim!r} must be a Guarantee or a callable")
    t = np.arange(n_steps + 1)
    bound = g.bound(t)
    if np.all(np.isposinf(bound)):
        raise ValueError(f"{g.name}: bound(t) is inf at every step checked; it bounds nothing")
    if np.any(np.isnan(bound)):
        raise ValueError(
            f"{g.name}: bound(t) is nan at t = {_short(t[np.isnan(bound)])}; a claim must bound "
            "every step it is checked at (inf where it gives no bound)"
        )
    negative = t[bound < 0]
    if x0 is None:
        x0 = g.x0 if g.x0 is not None else obj.v
    x0 = np.asarray(x0, dtype=float)
    running_min = g.quantity == "grad_norm2_min"
    if method == "auto":
        method = "exact" if exact_available(g, obj) else "monte_carlo"
    label = name or g.name
    where = instance or repr(obj)
    how_judged = {"part": part, "floor": floor, "law": law_of(obj)}
    if method == "exact":
        steps, values = exact_curve(g, obj, x0, n_steps)
        how = {"gd_mast": "deterministic", "l_svrdsg": "exact (L-SVRDSG moments)"}.get(
            g.algorithm, "exact (§6 recursion)"
        )
        result = exact_result(label, g, where, how, steps, values, notes, running_min, **how_judged)
    else:
        n_runs = check_int("n_runs", n_runs, 2)
        if record is None:
            record = {"record_every": 1} if running_min else {"geometric": 30}
        steps, samples = monte_carlo_samples(
            g, obj, x0, n_steps, n_runs=n_runs, rng=rng, record=record
        )
        how = f"Monte Carlo (R={n_runs})"
        result = monte_carlo_result(
            label, g, where, how, steps, samples, notes, running_min, **how_judged
        )
    finite = np.isfinite(np.asarray(result.measured, dtype=float))
    last = float(result.steps[finite][-1]) if finite.any() else -1.0
    if last < n_steps:
        result = result.replace(
            notes=tuple(result.notes)
            + (
                f"the measurement is finite only up to t = {last:g} of {n_steps} (the run "
                "diverged): the steps after it are not compared with the bound",
            )
        )
    if negative.size:
        result = result.replace(
            verdict="violated",
            notes=tuple(result.notes)
            + (
                f"bound(t) < 0 at t = {_short(negative)}: {g.quantity} is >= 0, so the claim is "
                "false there",
            ),
        )
    if result.verdict == "violated":
        _refuse_contradicted_constants(g, obj)
    return result.replace(seconds=time.perf_counter() - started)


def _refuse_contradicted_constants(g: Guarantee, obj) -> None:
    """A ``ValueError`` when ``mastref.problems.audit`` contradicts a constant the user stated
    (``L``, ``mu``, convexity, ``argmin``, ``inf``, ``grad``): the bound was computed from it, so a
    run above the bound blames that constant, not the claim."""
    problems = getattr(obj, "problems", None) or [obj.problem]
    found = [f"{p!r}: {msg}" if len(problems) > 1 else msg for p in problems for msg in audit(p)]
    if found:
        raise ValueError(
            f"{g.name} is not judged: the run exceeds its bound, but the bound used constants "
            "that the samples contradict: " + "; ".join(found) + ". Fix the stated constant(s)"
        )


def _short(x) -> str:
    return np.array2string(np.asarray(x), precision=4, threshold=6)


def law_of(obj) -> str:
    """The sketch law(s) of a ``MAST`` or ``DistributedProblem``, in words for a title: the
    law, ``"M clients, LAW"`` when every client has the same one, the joint law, or the list.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.checker import law_of
    >>> law_of(mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1)))
    'RandK(d=2, k=1)'
    """
    if getattr(obj, "joint", None) is not None:
        return f"{obj.n_clients} clients, {obj.joint!r}"
    laws = getattr(obj, "sketches", None)
    if laws is None:
        sketch = getattr(obj, "sketch", None)
        return "" if sketch is None else repr(sketch)
    names = [repr(law) for law in laws]
    if len(names) == 1:
        return names[0]
    if len(set(names)) == 1:
        return f"{len(names)} clients, {names[0]}"
    return f"{len(names)} clients, [{', '.join(names)}]"
