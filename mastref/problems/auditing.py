"""Cheap checks of a problem's stated derivatives and constants against its own values.

A user's ``f``, ``grad``, ``hess``, ``L``, ``mu``, ``argmin`` and ``inf`` are claims. ``audit``
tests them at a few seeded points and a few directions, so its cost is a fixed number of calls
of ``f``/``grad`` (about 40), independent of ``d``; the ``hess`` test adds about 20 calls of
``hess`` (``O(d^2)`` each). Every test is one-sided: it reports only what the samples prove
wrong (up to round-off), never a guess.

Derivatives (central differences along a unit ``u``, ``phi(t) = f(x + t u)``):
    ``(phi(h) - phi(-h)) / (2h)`` is the mean of ``phi'`` over ``[-h, h]``. With a correct
    ``grad`` and an ``L``-smooth ``f`` it differs from ``phi'(0) = grad(x)^T u`` by at most
    ``max(|phi'(h) - phi'(-h)|, L h)`` (the spread of ``grad`` itself, or ``L h`` when ``phi'``
    is not monotone), plus the round-off of ``f``, ``tau |f| / h`` with ``tau = 1e4 eps`` (a
    sum of up to ``1e4``-ish rounded terms), plus a relative ``1e-6``. The step is
    ``h = eps^(1/3) max(1, ||x||)`` (balancing the ``h^2`` truncation against ``eps / h``);
    a mismatch must show at ``h`` and at ``100 h`` to be reported (so round-off that the
    first step amplifies cannot refuse a correct ``grad``). A wrong ``grad`` such as ``3x``
    for ``f = ||x||^2 / 2`` misses by ``2 |x^T u|``, i.e. ``2 ||x||`` along ``u = x / ||x||``
    (the direction of the stated gradient, always among the directions tried): a relative
    error of 2/3, where the allowance at ``100 h ~ 6e-4`` is ``~ 2 L h / ||x||``, about 1e-3
    (relative errors above ~1e-3 are caught at unit-scale points). ``hess`` is tested the same
    way against ``grad``, vector-wise.

Constants (secants, ``y - x = r u``, ``||u|| = 1``):
    ``||grad f(y) - grad f(x)|| / ||y - x|| <= L_f`` and
    ``(grad f(y) - grad f(x))^T (y - x) / ||y - x||^2 >= mu_f`` (``>= 0`` for convex ``f``)
    hold for every pair (THEORY.md §0). ``audit`` measures both on pairs at unit distance,
    the first maximised by eight steps of a secant power iteration (exact for a quadratic's top
    eigenvalue up to its convergence), and reports a stated ``L`` below the measured value, or a
    stated ``mu`` above it, beyond round-off ``1e4 eps (||grad f(x)|| + ||grad f(y)||) / r``
    and a relative ``1e-6``.

Minimiser: ``||grad f(x*)|| <= 1e-6 * max(||grad f(x0)||, L max(1, ||x*||))`` over the sampled
points ``x0``; ``inf`` must not exceed ``f`` at any sampled point, and equals ``f(x*)`` to
``1e-8 max(1, |f(x*)|)`` when both are given.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_generator

EPS = np.finfo(float).eps
#: Round-off allowance of a user's ``f`` and ``grad``, relative to their magnitude.
TAU = 1e4 * EPS
#: Relative slack of every comparison.
REL = 1e-6
#: Central-difference step, relative to ``max(1, ||x||)``.
H_REL = EPS ** (1 / 3)
#: Secant power-iteration steps for the curvature estimate.
POWER_STEPS = 8


def _unit(v: np.ndarray) -> np.ndarray | None:
    n = float(np.linalg.norm(v))
    return None if not np.isfinite(n) or n == 0 else v / n


def _points(problem, stated, rng: np.random.Generator) -> list[np.ndarray]:
    """``x*`` (when stated), the origin, and two points at unit distance from the first."""
    d = problem.d
    centre = np.zeros(d) if stated is None else np.asarray(stated, dtype=float)
    points = [centre] if stated is None else [centre, np.zeros(d)]
    for _ in range(2):
        points.append(centre + _unit(rng.standard_normal(d)))
    return points


def _fmt(x: np.ndarray) -> str:
    return np.array2string(np.asarray(x), precision=4, threshold=6, edgeitems=2)


def _grad_mismatch(problem, x, u, g0, L) -> str | None:
    """A message when ``grad(x)^T u`` disagrees with the central difference of ``f`` at both
    steps ``h`` and ``100 h``; ``None`` otherwise."""
    slope = float(g0 @ u)
    worst = None
    h = H_REL * max(1.0, float(np.linalg.norm(x)))
    for step in (h, 100 * h):
        fp, fm = problem.value(x + step * u), problem.value(x - step * u)
        fd = (fp - fm) / (2 * step)
        spread = abs(float((problem.grad(x + step * u) - problem.grad(x - step * u)) @ u))
        tol = max(spread, L * step) + TAU * (abs(fp) + abs(fm)) / step
        tol += REL * (abs(slope) + abs(fd))
        if abs(fd - slope) <= tol:
            return None
        worst = (fd, step, tol)
    fd, step, tol = worst
    return (
        f"argument 'grad' is not the gradient of 'f': at x = {_fmt(x)}, along a unit direction u, "
        f"grad(x)^T u = {slope:.6g} but (f(x + h u) - f(x - h u)) / (2h) = {fd:.6g} "
        f"(h = {step:.2g}; allowed difference {tol:.2g})"
    )


def _hess_mismatch(problem, x, u) -> str | None:
    """A message when ``hess(x) u`` disagrees with the central difference of ``grad``."""
    H0 = problem.hessian(x)
    scale = max(1.0, float(np.max(np.abs(H0)))) if H0.size else 1.0
    asym = float(np.max(np.abs(H0 - H0.T)))
    if asym > 1e-8 * scale:
        return f"argument 'hess' is not symmetric at x = {_fmt(x)}: max |H - H^T| = {asym:.3g}"
    Hu = H0 @ u
    worst = None
    h = H_REL * max(1.0, float(np.linalg.norm(x)))
    for step in (h, 100 * h):
        gp, gm = problem.grad(x + step * u), problem.grad(x - step * u)
        fd = (gp - gm) / (2 * step)
        spread = float(np.linalg.norm(problem.hvp(x + step * u, u) - problem.hvp(x - step * u, u)))
        tol = spread + TAU * (np.linalg.norm(gp) + np.linalg.norm(gm)) / step
        tol += REL * (np.linalg.norm(Hu) + np.linalg.norm(fd))
        miss = float(np.linalg.norm(fd - Hu))
        if miss <= tol:
            return None
        worst = (miss, step, tol)
    miss, step, tol = worst
    return (
        f"argument 'hess' is not the Hessian of 'f': at x = {_fmt(x)}, along a unit direction u, "
        f"||hess(x) u - (grad(x + h u) - grad(x - h u)) / (2h)|| = {miss:.6g} "
        f"(h = {step:.2g}; allowed {tol:.2g})"
    )


def _curvature(problem, points, rng) -> tuple[float, float]:
    """``(largest, smallest)`` measured secant curvature: ``max ||g(y) - g(x)|| / r`` and
    ``min (g(y) - g(x))^T u / r`` (``y = x + r u``, ``r = 1``), beyond round-off."""
    big, small = 0.0, np.inf
    for x in points[:2]:
        gx = problem.grad(x)
        u = _unit(rng.standard_normal(problem.d))
        for _ in range(POWER_STEPS):
            gy = problem.grad(x + u)
            w = gy - gx
            noise = TAU * (np.linalg.norm(gx) + np.linalg.norm(gy))
            big = max(big, float(np.linalg.norm(w)) - noise)
            small = min(small, float(w @ u) + noise)
            nxt = _unit(w)
            if nxt is None:
                break
            u = nxt
    return big, small


def audit(problem, *, argmin=None, inf=None, rng=0) -> tuple[str, ...]:
    """What the samples prove wrong about a problem's ``grad``, ``hessian``, ``L``, ``mu``,
    convexity, ``argmin`` and ``inf``: one message each, naming the argument; ``()`` when
    nothing is contradicted.

    Cost: about 40 calls of ``value``/``grad`` at seeded points (independent of ``d``), plus
    about 20 of ``hessian`` when the problem has one. The tests and their tolerances are in the
    module docstring (THEORY.md §0 for the inequalities that ``L_f``, ``mu_f`` satisfy).

    Parameters
    ----------
    problem : Problem
        Any problem (``FunctionProblem`` runs it at construction).
    argmin : array_like, optional
        A stated minimiser ``x*`` to check (``grad f(x*) ~ 0``).
    inf : float, optional
        A stated ``f^inf`` to check (``<= f`` at the sampled points; ``= f(x*)``).
    rng : int, Generator or None
        The sampled points and directions (default seed 0: the same answer every call).

    Returns
    -------
    tuple of str
        Messages such as ``"your stated L = 0.5 is below the measured curvature 10 ..."``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.problems import audit
    >>> audit(mr.Quadratic(np.diag([1.0, 10.0]), np.ones(2)))
    ()
    >>> class Steep(mr.Problem):  # f = 5 ||x||^2, but L stated as 0.5
    ...     d, L, mu, inf = 2, 0.5, 0.0, 0.0
    ...     def value(self, x): return 5.0 * float(x @ x)
    ...     def grad(self, x): return 10.0 * x
    ...     def argmin(self): return np.zeros(2)
    >>> print(audit(Steep())[0][:58])
    your stated L = 0.5 is below the measured curvature 10 (||
    """
    gen = as_generator(rng)
    stated = None if argmin is None else np.asarray(argmin, dtype=float)
    points = _points(problem, stated, gen)
    L, mu = float(problem.L), float(problem.mu)
    found: list[str] = []
    grads = [problem.grad(x) for x in points]
    for x, g in zip(points, grads, strict=True):
        directions = [u for u in (_unit(g), _unit(gen.standard_normal(problem.d))) if u is not None]
        for u in directions:
            msg = _grad_mismatch(problem, x, u, g, L)
            if msg:
                found.append(msg)
                break
        if found:
            break
    if problem.has_hessian:
        for x in points:
            msg = _hess_mismatch(problem, x, _unit(gen.standard_normal(problem.d)))
            if msg:
                found.append(msg)
                break
    if found:  # the constants below are measured through grad: meaningless if it is wrong
        return tuple(found)
    big, small = _curvature(problem, points, gen)
    if big > L * (1 + REL):
        found.append(
            f"your stated L = {L:.6g} is below the measured curvature {big:.6g} "
            "(||grad f(y) - grad f(x)|| / ||y - x|| at sampled points, a lower bound on L_f): "
            "pass L >= it"
        )
    if mu > 0 and small < mu * (1 - REL) - REL * big:
        found.append(
            f"your stated mu = {mu:.6g} is above the measured curvature {small:.6g} "
            "((grad f(y) - grad f(x))^T (y - x) / ||y - x||^2 at sampled points, an upper bound "
            "on mu_f): pass mu <= it"
        )
    elif getattr(problem, "is_convex", True) and small < -REL * big:
        found.append(
            f"f is declared convex, but (grad f(y) - grad f(x))^T (y - x) / ||y - x||^2 = "
            f"{small:.6g} < 0 at sampled points: pass convex=False"
        )
    if stated is not None:
        g_star = float(np.linalg.norm(grads[0]))
        scale = max(
            max(float(np.linalg.norm(g)) for g in grads[1:]),
            L * max(1.0, float(np.linalg.norm(stated))),
        )
        if g_star > REL * scale:
            found.append(
                f"argument 'argmin' is not a minimiser: ||grad f(argmin)|| = {g_star:.3g} > "
                f"{REL * scale:.3g} (1e-6 of the gradient scale {scale:.3g})"
            )
    if inf is not None:
        stated_inf = float(inf)
        values = [problem.value(x) for x in points]
        low = min(values)
        if low < stated_inf - 1e-8 * max(1.0, abs(stated_inf)):
            found.append(
                f"argument 'inf' = {stated_inf:.10g} exceeds f = {low:.10g} at a sampled point; "
                "f^inf is the infimum"
            )
        elif stated is not None and abs(values[0] - stated_inf) > 1e-8 * max(1.0, abs(values[0])):
            found.append(
                f"argument 'inf' = {stated_inf:.10g} differs from f(argmin) = {values[0]:.10g}"
            )
    return tuple(found)
