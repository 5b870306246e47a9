"""PEPit cross-check of the one-step inequalities behind THEORY.md §5 (issue 12, deliverable 6).

DSGD with a finite uniform sketch law ``S_1..S_N`` is SGD on the finite sum
``f_D = (1/N) sum_k f_k`` with ``f_k(x) = f(v + S_k(x - v))``. Where a theorem's proof is a
one-step inequality about that function class, a performance-estimation problem (PEP; Drori &
Teboulle 2014, Taylor, Hendrickx & Glineur 2017) computes the worst case of the one-step
quantity over the whole class by a semidefinite program, solved here with PEPit (Goujaud et al.
2024) through CVXPY. ``pepit_one_step`` returns it next to the theorem's one-step bound.

The function class (the same for every claim)
    * each ``f_k`` is ``L_max``-smooth and, with ``components="convex"``, convex (PEPit's exact
      interpolation conditions of ``SmoothConvexFunction`` / ``SmoothFunction``);
    * ``f_D`` is ``mu``-strongly convex with minimiser ``x*`` (``grad f_D(x*) = 0``). Strong
      convexity of a sum has no known interpolation theorem, so it is imposed through the
      ``(mu, L)`` interpolation inequalities of ``f_D`` (``L = L_max``, or the ``L`` given) on
      every point at which the step evaluates the components. These are necessary, so the PEP is
      a *relaxation*: its value is an upper bound on the worst case of the class, and a value
      below the theorem's bound certifies the one-step inequality. The §5 proofs use strong
      convexity only between such points, so the relaxation cannot exceed their bounds;
    * the interpolation gap. ``f^inf <= inf f_k`` for every ``k`` (``f_k`` is ``f`` along an
      affine map), hence ``Delta = f_D^inf - f^inf >= f_D(x*) - (1/N) sum_k inf f_k``. The PEP
      imposes the weaker finite-sum gap ``f_D(x*) - (1/N) sum_k c_k <= Delta``, where
      ``c_k = f_k(x_k*)`` at a minimiser ``x_k*`` of the convex ``f_k`` (a stationary point;
      attained infima), or, for ``components="smooth"``, a free lower bound ``c_k`` with
      ``f_k(y) - ||grad f_k(y)||^2/(2 L_max) >= c_k`` at every evaluated ``y`` (true of every
      ``L_max``-smooth function bounded below by ``c_k``). Every MAST instance with gap ``Delta``
      belongs to the class, and P8's step ``E||grad f_S(x)||^2 <= 2 L_max (f_D(x) - f_D^inf)
      + 2 L_max Delta`` holds on all of it.

Theorems 1 and 3 assume only ``f`` smooth (Theorem 3 through P8's ABC bound), so their literal
class is ``components="smooth"``; Theorem 4 assumes ``f`` convex (``components="convex"``), and
``verification/PEPIT.md`` tabulates the convex class for all three. Every
MAST instance of the class has a PEP value at most the worst case reported, and the class is
larger than the MAST instances (not every finite sum comes from one ``f`` and one law), so a
ratio near 1 says the one-step inequality is tight on the function class, not on MAST.

The claims (``x+ = x - gamma g``, ``k`` uniform, one step)
    ``"theorem1"``
        ``g = grad f_k(x)``: ``E||x+ - x*||^2 <= (1 - gamma mu)||x - x*||^2
        + 2 gamma^2 L_max Delta``, ``0 < gamma <= 1/L_max`` (THEORY.md §5, Theorem 1, proof).
    ``"theorem3"``
        ``g = grad f_k(x)`` with the DSGD constants ``A = L_max``, ``B = 0``,
        ``C = 2 L_max Delta`` (P8): ``E f_D(x+) - f_D^inf <= (1 - rho)(f_D(x) - f_D^inf)
        + L C gamma^2/2``, ``rho = 2 gamma mu - L A gamma^2 in (0, 1]``, ``L`` the smoothness of
        ``f_D`` (THEORY.md §5, Theorem 3, strongly convex part).
    ``"theorem4a"``
        L-SVRDSG with exact reference (``b = N``): ``g = grad f_k(x) - grad f_k(w)
        + grad f_D(w)``, ``w+ = x`` with probability ``p`` (else ``w``):
        ``E Phi+ <= (1 - min(gamma mu, p/2)) Phi``, ``Phi = ||x - x*||^2 + (4 gamma^2/p) D(w)``,
        ``D(y) = (1/N) sum_k ||grad f_k(y) - grad f_k(x*)||^2``, ``gamma <= 1/(6 L_max)``,
        convex components (THEORY.md §5, Theorem 4a). The refresh is averaged exactly:
        ``E D+ = p D(x) + (1 - p) D(w)``.

The parts
    ``"total"``: the worst case of the next value given the current one ``<= initial`` (and the
    gap ``<= Delta``), against ``rate * initial + neighbourhood(Delta)``. With ``Delta = 0`` it
    is the contraction factor. ``"neighbourhood"``: the worst case of
    ``E next - rate * current`` over all starts, with the gap ``<= Delta``, against the
    neighbourhood term: the smallest neighbourhood that makes the theorem's rate valid.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from .._validation import check_int, check_real

#: The one-step claims ``pepit_one_step`` knows.
CLAIMS = ("theorem1", "theorem3", "theorem4a")
#: ``"total"``: next value given the current one; ``"neighbourhood"``: the additive term.
PARTS = ("total", "neighbourhood")
#: The class of each component ``f_k`` (both ``L_max``-smooth).
COMPONENTS = ("convex", "smooth")

_INSTALL = 'PEPit is needed for this cross-check: pip install "mastref[pepit]"'


@dataclass(frozen=True, kw_only=True, repr=False)
class PepitComparison:
    """A PEP worst case of a one-step quantity next to the theorem's one-step bound.

    Attributes
    ----------
    claim, part, components : str
        As passed to ``pepit_one_step``.
    N : int
        Number of components ``f_k`` (atoms of the sketch law).
    gamma, L_max, mu, L, p, Delta, initial : float
        The step, the constants of the class (``L`` the smoothness imposed on ``f_D``), the
        refresh probability (``nan`` unless Theorem 4a), the gap bound and the bound on the
        current value (``nan`` for the neighbourhood part).
    rate, neighbourhood : float
        The theorem's one-step contraction factor and additive term at ``Delta``.
    worst_case : float
        PEPit's value (dual of the SDP, an upper bound on the class's worst case).
    bound : float
        The theorem's one-step bound: ``rate * initial + neighbourhood`` (total part) or
        ``neighbourhood`` (neighbourhood part).
    ratio : float
        ``worst_case / bound``: at most 1 (up to the solver's tolerance) if the inequality holds,
        1 if it is tight on the class.
    primal : float
        The solver's primal value (the worst case of the Gram matrix found); ``worst_case -
        primal`` is the duality gap, a measure of the solver's accuracy.
    status : str
        CVXPY's status: ``"optimal"`` or ``"optimal_inaccurate"`` (then look at the gap).
    """

    claim: str
    part: str
    components: str
    N: int
    gamma: float
    L_max: float
    mu: float
    L: float
    p: float
    Delta: float
    initial: float
    rate: float
    neighbourhood: float
    worst_case: float
    bound: float
    ratio: float
    primal: float
    status: str

    def __repr__(self) -> str:
        return (
            f"PepitComparison({self.claim} {self.part}, N={self.N}, "
            f"gamma*L_max={self.gamma * self.L_max:.4g}, mu/L_max={self.mu / self.L_max:.4g}: "
            f"worst case {self.worst_case:.6g} vs bound {self.bound:.6g}, "
            f"ratio {self.ratio:.4f})"
        )

    def holds(self, tol: float = 1e-6) -> bool:
        """``worst_case <= bound + tol * max(1, bound)`` (``tol`` the SDP's accuracy)."""
        return self.worst_case <= self.bound + tol * max(1.0, self.bound)


def _import_pepit():
    try:
        import PEPit
        from PEPit.functions import SmoothConvexFunction, SmoothFunction
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(_INSTALL) from err
    return PEPit, SmoothConvexFunction, SmoothFunction


def _choice(name: str, value, allowed: tuple) -> str:
    if value not in allowed:
        raise ValueError(f"argument '{name}' = {value!r} must be one of {allowed}")
    return value


class _FiniteSum:
    """The PEP class of module docstring: ``f_1..f_N`` and ``f_D`` with its minimiser ``x*``."""

    def __init__(self, problem, N: int, L_max: float, mu: float, L: float, components: str):
        PEPit, SmoothConvexFunction, SmoothFunction = _import_pepit()
        self.problem, self.L_max, self.mu, self.L = problem, L_max, mu, L
        self.convex = components == "convex"
        cls = SmoothConvexFunction if self.convex else SmoothFunction
        self.f = [problem.declare_function(cls, L=L_max) for _ in range(N)]
        self.f_D = sum(self.f[1:], self.f[0]) / N
        self.xs = self.f_D.stationary_point()
        self.points = [self.xs]
        if self.convex:
            minimisers = [fk.stationary_point() for fk in self.f]
            self.points += minimisers
            self.lower = [fk.value(xk) for fk, xk in zip(self.f, minimisers, strict=True)]
        else:
            self.lower = [PEPit.Expression(is_leaf=True) for _ in range(N)]

    def grads(self, x) -> list:
        """``grad f_k(x)`` for every ``k``; ``x`` joins the points of the class constraints."""
        self.points.append(x)
        return [fk.gradient(x) for fk in self.f]

    def value(self, y):
        """``f_D(y)``; ``y`` joins the points of the class constraints."""
        self.points.append(y)
        return self.f_D.value(y)

    def D(self, y, gs_star) -> object:
        """``(1/N) sum_k ||grad f_k(y) - grad f_k(x*)||^2``."""
        pairs = zip(self.grads(y), gs_star, strict=True)
        return sum((g - gs) ** 2 for g, gs in pairs) / len(self.f)

    def gap(self):
        """The finite-sum gap ``f_D(x*) - (1/N) sum_k c_k``."""
        return self.f_D.value(self.xs) - sum(self.lower) / len(self.f)

    def close(self) -> None:
        """Impose ``f_D``'s ``(mu, L)`` interpolation inequalities (and, for smooth components,
        the lower bounds ``c_k``) on every point collected."""
        points = list({id(x): x for x in self.points}.values())
        oracles = [(x, *self.f_D.oracle(x)) for x in points]
        mu, L = self.mu, self.L
        for i, (xi, gi, fi) in enumerate(oracles):
            for j, (xj, gj, fj) in enumerate(oracles):
                if i != j:  # Taylor, Hendrickx & Glineur (2017), Theorem 4
                    self.problem.add_constraint(
                        fi - fj
                        >= gj * (xi - xj)
                        + (gi - gj) ** 2 / (2 * L)
                        + mu / (2 * (1 - mu / L)) * (xi - xj - (gi - gj) / L) ** 2
                    )
        if not self.convex:
            for fk, ck in zip(self.f, self.lower, strict=True):
                for x in points:
                    g, fx = fk.oracle(x)
                    self.problem.add_constraint(fx - g**2 / (2 * self.L_max) >= ck)


def _theorem1(fs: _FiniteSum, gamma: float, **_) -> tuple:
    x = fs.problem.set_initial_point()
    xs = fs.xs
    nxt = sum((x - gamma * g - xs) ** 2 for g in fs.grads(x)) / len(fs.f)
    return (x - xs) ** 2, nxt


def _theorem3(fs: _FiniteSum, gamma: float, **_) -> tuple:
    x = fs.problem.set_initial_point()
    f_star = fs.f_D.value(fs.xs)
    successors = [x - gamma * g for g in fs.grads(x)]
    nxt = sum(fs.value(y) for y in successors) / len(fs.f) - f_star
    return fs.f_D.value(x) - f_star, nxt


def _theorem4a(fs: _FiniteSum, gamma: float, p: float, **_) -> tuple:
    x, w = fs.problem.set_initial_point(), fs.problem.set_initial_point()
    xs = fs.xs
    gs_star = [fk.gradient(xs) for fk in fs.f]
    ref = fs.f_D.gradient(w)
    gw = fs.grads(w)
    steps = [x - gamma * (gx - gwk + ref) for gx, gwk in zip(fs.grads(x), gw, strict=True)]
    dist_next = sum((y - xs) ** 2 for y in steps) / len(fs.f)
    c = 4 * gamma**2 / p
    D_w, D_x = fs.D(w, gs_star), fs.D(x, gs_star)
    return (x - xs) ** 2 + c * D_w, dist_next + c * (p * D_x + (1 - p) * D_w)


def _constants(claim, gamma, L_max, mu, L, p) -> tuple[float, float, str]:
    """(rate, neighbourhood coefficient of Delta, step-size condition violated or '')."""
    if claim == "theorem1":
        limit = 1 / L_max
        bad = "" if gamma <= limit * (1 + 1e-12) else f"gamma <= 1/L_max = {limit:.6g}"
        return 1 - gamma * mu, 2 * gamma**2 * L_max, bad
    if claim == "theorem3":
        rho = 2 * gamma * mu - L * L_max * gamma**2
        bad = "" if 0 < rho <= 1 else f"rho = 2 gamma mu - L L_max gamma^2 = {rho:.6g} in (0, 1]"
        return 1 - rho, L * L_max * gamma**2, bad
    limit = 1 / (6 * L_max)
    bad = "" if gamma <= limit * (1 + 1e-12) else f"gamma <= 1/(6 L_max) = {limit:.6g}"
    return 1 - min(gamma * mu, p / 2), 0.0, bad


_STEPS = {"theorem1": _theorem1, "theorem3": _theorem3, "theorem4a": _theorem4a}


def pepit_one_step(
    claim: str,
    *,
    L_max: float,
    mu: float,
    N: int,
    gamma: float,
    Delta: float = 0.0,
    part: str = "total",
    initial: float = 1.0,
    components: str = "convex",
    L: float | None = None,
    p: float | None = None,
    solver: str = "CLARABEL",
) -> PepitComparison:
    """Worst case (PEPit) of a theorem's one-step quantity on its function class, with the bound.

    The class: ``f_D = (1/N) sum_k f_k``, each ``f_k`` ``L_max``-smooth (and convex), ``f_D``
    ``mu``-strongly convex, finite-sum gap ``f_D(x*) - (1/N) sum_k inf f_k <= Delta`` (a
    relaxation containing every MAST instance with gap ``Delta``; see the module docstring).
    Theorem 1 (THEORY.md §5): ``E||x+ - x*||^2 <= (1 - gamma mu)||x - x*||^2
    + 2 gamma^2 L_max Delta`` for ``x+ = x - gamma grad f_k(x)``, ``k`` uniform; Theorem 3:
    ``E f_D(x+) - f_D^inf <= (1 - rho)(f_D(x) - f_D^inf) + L L_max gamma^2 Delta``; Theorem 4a:
    ``E Phi+ <= (1 - min(gamma mu, p/2)) Phi``.

    Parameters
    ----------
    claim : {"theorem1", "theorem3", "theorem4a"}
        The one-step inequality.
    L_max : float
        Smoothness of every component ``f_k`` (``L_f L_S_max``; Theorem 4: ``L_f max_k L_{S_k}``).
    mu : float
        Strong convexity of ``f_D``, ``0 < mu < L``.
    N : int
        Number of components (atoms of the uniform sketch law), ``>= 1``.
    gamma : float
        The step, within the theorem's step-size condition.
    Delta : float
        Bound on the gap (ignored by Theorem 4a, whose bound does not depend on it).
    part : {"total", "neighbourhood"}
        ``"total"``: worst ``E next`` given ``current <= initial``, against
        ``rate * initial + neighbourhood``; ``"neighbourhood"``: worst ``E next - rate * current``
        over all starts, against the neighbourhood term (needs ``Delta > 0``).
    initial : float
        Bound on the current value: ``||x - x*||^2`` (Theorem 1), ``f_D(x) - f_D^inf``
        (Theorem 3), ``Phi`` (Theorem 4a).
    components : {"convex", "smooth"}
        The class of each ``f_k``; Theorem 4a needs ``"convex"``.
    L : float, optional
        Smoothness imposed on ``f_D`` (default ``L_max``, which it has anyway), ``<= L_max``.
    p : float, optional
        Theorem 4a's refresh probability (default ``1/N``).
    solver : str
        CVXPY's SDP solver (``"CLARABEL"``, interior point, about 1e-8 accurate; or ``"SCS"``).

    Returns
    -------
    PepitComparison
        ``worst_case``, ``bound`` and ``ratio = worst_case / bound``.

    Raises
    ------
    ImportError
        PEPit is not installed (``pip install "mastref[pepit]"``).
    ValueError
        An argument outside its range, or a step outside the theorem's condition.

    Examples
    --------
    Theorem 1 attains its rate at ``gamma = 1/L_max`` (RandK(2, 1) on ``||x - x*||^2``):

    >>> from mastref.catalogue.pepit import pepit_one_step
    >>> r = pepit_one_step("theorem1", L_max=1.0, mu=0.5, N=2, gamma=1.0)
    >>> round(r.worst_case, 6), r.bound
    (0.5, 0.5)
    """
    claim = _choice("claim", claim, CLAIMS)
    part = _choice("part", part, PARTS)
    components = _choice("components", components, COMPONENTS)
    N = check_int("N", N, low=1)
    L_max = check_real("L_max", L_max, positive=True)
    L = L_max if L is None else check_real("L", L, positive=True)
    if L > L_max:
        raise ValueError(f"argument 'L' = {L} must be <= L_max = {L_max} (f_D is an average)")
    mu = check_real("mu", mu, positive=True)
    if not mu < L:
        raise ValueError(f"argument 'mu' = {mu} must be < L = {L}")
    gamma = check_real("gamma", gamma, positive=True)
    Delta = check_real("Delta", Delta, nonnegative=True)
    initial = check_real("initial", initial, positive=True)
    p = 1.0 / N if p is None else check_real("p", p, positive=True)
    if p > 1:
        raise ValueError(f"argument 'p' = {p} must lie in (0, 1]")
    if claim == "theorem4a":
        if components != "convex":
            raise ValueError(
                f"argument 'components' = {components!r} must be 'convex' for theorem4a "
                "(Theorem 4 assumes f convex)"
            )
        if part == "neighbourhood":
            raise ValueError("argument 'part' = 'neighbourhood': theorem4a has no neighbourhood")
    if part == "neighbourhood" and Delta == 0:
        raise ValueError("argument 'Delta' = 0.0 must be > 0 for part='neighbourhood'")
    rate, coefficient, bad = _constants(claim, gamma, L_max, mu, L, p)
    if bad:
        raise ValueError(f"argument 'gamma' = {gamma} outside the step-size condition: {bad}")

    PEPit, _, _ = _import_pepit()
    problem = PEPit.PEP()
    fs = _FiniteSum(problem, N, L_max, mu, L, components)
    current, nxt = _STEPS[claim](fs, gamma, p=p)
    if claim != "theorem4a":
        problem.add_constraint(fs.gap() <= Delta)
    fs.close()
    neighbourhood = coefficient * Delta
    if part == "total":
        problem.set_initial_condition(current <= initial)
        problem.set_performance_metric(nxt)
        bound = rate * initial + neighbourhood
    else:
        problem.set_performance_metric(nxt - rate * current)
        bound, initial = neighbourhood, math.nan
    with warnings.catch_warnings():  # CVXPY's "may be inaccurate": the status is checked below
        warnings.simplefilter("ignore", UserWarning)
        worst = problem.solve(wrapper="cvxpy", solver=solver, verbose=0)
    status = problem.wrapper.prob.status
    if worst is None or status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"the PEP SDP was not solved by {solver!r}: status {status!r}")
    worst, primal = float(worst), float(problem.wrapper.prob.value)
    return PepitComparison(
        claim=claim,
        part=part,
        components=components,
        N=N,
        gamma=gamma,
        L_max=L_max,
        mu=mu,
        L=L,
        p=p if claim == "theorem4a" else math.nan,
        Delta=Delta,
        initial=initial,
        rate=rate,
        neighbourhood=neighbourhood,
        worst_case=worst,
        bound=bound,
        ratio=worst / bound if bound > 0 else math.inf,
        primal=primal,
        status=status,
    )
