"""A theorem's checks and negative controls as data, and its stored counterexamples.

``Check`` (one instance and how the theorem is held against it), ``Control`` (a statement
stronger than the theorem, which must come out violated), ``Ceiling`` (a proved upper bound on
a check's tightness) and ``TheoremEntry`` (a theorem in the registry) are filled in by the
catalogue's theorem files; ``stored(name)`` loads the parameter vectors and instances the
worst-case search found, kept as JSON data files in ``mastref/catalogue/data`` (shipped with
the package).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files

import numpy as np

from ..theorems.claims import (
    Guarantee,
    geometric,
    geometric_parts,
    sublinear,
    sublinear_parts,
)
from ..verify.checker import check
from ..verify.instances import claim_at
from ..verify.result import CheckResult

#: How a check measures: the exact expectation (the §6 recursion, the L-SVRDSG moments or a
#: deterministic run), or Monte Carlo with a one-sided confidence bound.
METHODS = ("exact", "Monte Carlo")
#: What a check is (see ``Check``).
KINDS = ("stress", "application", "prediction", "counterexample")


@dataclass(frozen=True, kw_only=True)
class Ceiling:
    """A proved upper bound on a check's late tightness, where the statement is provably not
    attained (it replaces the ">= 0.5 of the bound" requirement for that check).

    ``value(result) -> float``: the ceiling on ``result.late_tightness`` computed from the
    check's own result (its bound, neighbourhood, step ratio and counted window), so that it
    holds for the horizon the check ran; ``lemma``: where the proof is written (a lemma of
    ``docs/theory/theorems.rst``), held by a test of ``tests/test_ceilings.py``.
    ``ceiling(result)`` is ``value(result)``.

    Examples
    --------
    >>> from mastref.catalogue import catalogue
    >>> c = catalogue()["theorem1-neighbourhood-step0.01"]
    >>> c.ceiling.lemma
    'Lemma C1 (the dropped term)'
    """

    value: Callable[[CheckResult], float]
    lemma: str

    def __call__(self, result: CheckResult) -> float:
        return float(self.value(result))


@dataclass(frozen=True, kw_only=True)
class Check:
    """One check of a theorem: an instance and how the theorem is held against it.

    ``run(quick, data) -> CheckResult``. ``kind`` is ``"stress"`` (an instance argued or found
    by the worst-case search to make ``part`` of the bound tight; its ``floor`` is promised),
    ``"application"`` (a realistic instance: tightness reported, no floor),
    ``"prediction"`` (a qualitative prediction of THEORY.md §7) or ``"counterexample"`` (an
    instance on which a reconstructed form fails: ``violated`` is the expected outcome).
    ``method`` is one of ``METHODS``. ``against(claim, quick)``, where set, runs the same
    instance, horizon and judgement with another claim in place of the theorem (how a negative
    control is killed by this check).

    Parts and branches. ``part`` is a key of the theorem's ``Guarantee.parts`` (``""``: the
    whole bound): the tightness is counted only where that part dominates. ``branch`` names a
    branch of a ``min``/``max`` inside the statement, or a term of a sum inside a constant: a
    key of ``Guarantee.branches`` (``"GROUP: NAME"``, built with
    ``mastref.theorems.claims.min_branches`` or ``term_branches``; ``""``: none). A check that
    names a branch is ``not-checked`` (a failure of ``mastref verify``) unless that branch is
    active on its instance (``on_branch``), and a branch the guarantee does not declare is a
    ``ValueError``: so a wrong attribution fails. ``ceiling`` (a ``Ceiling``), where set, is a
    proved upper bound on the check's tightness. The report's theorem table has one row per
    ``(theorem, part, branch)`` of the stress checks (and of ``TheoremEntry.terms``) with the
    best late tightness, the check and the instance, and marks a ceiling-limited check as
    ``tightness / ceiling``. Checks without ``branch`` or ``ceiling`` behave as before.

    Examples
    --------
    >>> from mastref.catalogue import catalogue
    >>> c = catalogue()["theorem1-attained"]
    >>> c.kind, c.method, c.part, c.branch
    ('stress', 'exact', 'transient', '')
    >>> catalogue()["theorem3-tau-Delta-data"].branch
    'C: 2 L_S A_tau Delta_data'
    """

    name: str
    theorem: str
    run: Callable
    part: str = ""
    branch: str = ""
    ceiling: Ceiling | None = None
    kind: str = "stress"
    method: str = "exact"
    description: str = ""
    needs_data: bool = False
    against: Callable | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"argument 'kind' = {self.kind!r} must be one of {list(KINDS)}")
        if self.method not in METHODS:
            raise ValueError(f"argument 'method' = {self.method!r} must be one of {list(METHODS)}")
        if self.ceiling is not None and not isinstance(self.ceiling, Ceiling):
            raise TypeError(f"argument 'ceiling' = {self.ceiling!r} must be a Ceiling or None")


def on_branch(result: CheckResult, g: Guarantee, branch: str) -> CheckResult:
    """``result`` judged for ``branch`` of ``g`` (``Check.branch``): unchanged without a
    branch; a note where the branch is active; ``not-checked`` with the reason where it is
    not (the check then tests another branch, not the one it names); a ``ValueError`` naming
    the declared branches where ``g`` has no such branch.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify import CheckResult
    >>> from mastref.catalogue.base import on_branch
    >>> g = mr.Guarantee(name="c", quantity="dist2", gamma=1.0, bound=lambda t: 1.0 + 0 * t,
    ...     branches={"rho: a": False, "rho: b": True})
    >>> m = np.ones(3)
    >>> r = CheckResult(name="x", theorem="c", instance="i", quantity="dist2",
    ...     method="exact", gamma_ratio=1.0, steps=np.arange(3), measured=m, lower=m, upper=m,
    ...     bound=m, verdict="holds")
    >>> on_branch(r, g, "rho: a").verdict
    'not-checked'
    """
    if not branch:
        return result
    if branch not in g.branches:
        raise ValueError(
            f"check {result.name!r}: {g.name} has no branch {branch!r}; its branches: "
            f"{list(g.branches)}"
        )
    active = [k for k, v in g.branches.items() if v]
    if g.branches[branch]:
        return result.replace(notes=tuple(result.notes) + (f"branch {branch} is active",))
    return result.replace(
        verdict="not-checked",
        notes=tuple(result.notes)
        + (
            f"branch {branch} is not active on this instance (active: {active or 'none'}): "
            "the check does not test the branch it names",
        ),
    )


def dropped_term_ceiling(result: CheckResult) -> float:
    """Lemma C1 (``docs/theory/theorems.rst``): the ceiling on the late tightness of a
    strongly convex distance bound ``(1 - gamma mu)^t r_0 + N`` (Theorem 1; Theorem 5 with
    ``A`` for ``L_max``) whose proof drops ``-2 gamma (1 - gamma L_max)(f - f^inf)``. Keeping
    it, ``E r_t <= q^t r_0 + (1 - q^t) k N`` with ``q = 1 - gamma mu (2 - gamma L_max)`` and
    ``k = 1/(2 - gamma L_max)``, ``gamma L_max = gamma/gamma_max``; the ceiling is the largest
    ratio of that bound to the stated one over the counted points. ``N`` is
    ``result.neighbourhood``, ``r_0 = bound(0) - N`` and ``1 - gamma mu = (bound(1) - N) /
    r_0`` are read off the recorded bound (``nan`` when it has no steps 0 and 1).

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.verify import CheckResult
    >>> from mastref.catalogue.base import dropped_term_ceiling
    >>> t = np.arange(2001)
    >>> b = 0.99**t + 2.0  # r_0 = 1, gamma mu = 0.01, N = 2, at gamma = 0.01 gamma_max
    >>> r = CheckResult(name="x", theorem="T", instance="i", quantity="dist2",
    ...     method="exact", gamma_ratio=0.01, steps=t, measured=b / 2, lower=b / 2,
    ...     upper=b / 2, bound=b, neighbourhood=2.0)
    >>> round(dropped_term_ceiling(r), 4)  # about 1/(2 - 0.01) once the transient is gone
    0.5025
    """
    if not isinstance(result.neighbourhood, float) or result.xlabel != "step t":
        return float("nan")  # no single neighbourhood over steps: no ceiling of this form
    steps, bound, N = result.steps, result.bound, float(result.neighbourhood)
    if not (np.any(steps == 0) and np.any(steps == 1)):
        return float("nan")
    r0 = float(bound[steps == 0][0]) - N
    ratio = min(float(result.gamma_ratio), 1.0)
    k = 1.0 / (2.0 - ratio)
    counted = result.late_mask() & result.checked() & (bound > 0)
    if not counted.any() or not r0 > 0:
        return float("nan")
    gamma_mu = 1.0 - (float(bound[steps == 1][0]) - N) / r0
    q = 1.0 - gamma_mu * (2.0 - ratio)
    t = steps[counted].astype(float)
    sharp = q**t * r0 + (1.0 - q**t) * k * N
    return float(np.max(sharp / bound[counted]))


def decay_ceiling(result: CheckResult) -> float:
    """Lemma C2 (``docs/theory/theorems.rst``): the ceiling on the late tightness of the
    baseline ``(1 - gamma mu)^t delta_0`` for GD at ``gamma <= 1/L``, whose exact worst case
    is ``(1 - gamma mu)^(2t) delta_0``: ``measured/bound <= (1 - gamma mu)^t =
    bound(t)/bound(0)``, maximised over the counted points (the first of them). Under the
    two-decade rule (``bound(T) <= 0.01 bound(0)``) it is at most ``0.1`` over the last half of
    the horizon.

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.verify import CheckResult
    >>> from mastref.catalogue.base import decay_ceiling
    >>> b = 0.5 ** np.arange(5.0)
    >>> r = CheckResult(name="x", theorem="T", instance="i", quantity="value_gap",
    ...     method="exact", gamma_ratio=1.0, steps=np.arange(5), measured=b**2, lower=b**2,
    ...     upper=b**2, bound=b)
    >>> decay_ceiling(r)  # counted from t = 2: (1/2)^2
    0.25
    """
    counted = result.late_mask() & result.checked() & (result.bound > 0)
    if not counted.any() or not result.bound[0] > 0:
        return float("nan")
    return float(np.max(result.bound[counted]) / result.bound[0])


#: The proved ceilings of the catalogue (lemmas of ``docs/theory/theorems.rst``).
DROPPED_TERM = Ceiling(value=dropped_term_ceiling, lemma="Lemma C1 (the dropped term)")
GD_DECAY = Ceiling(value=decay_ceiling, lemma="Lemma C2 (GD's exact rate)")


@dataclass(frozen=True, kw_only=True)
class Control:
    """A negative control: a statement stronger than the theorem, which must come out violated.

    ``claim`` is the modified statement (same signature as a theorem); ``change`` says what was
    changed. ``family`` is where the worst-case search looks for a counterexample and ``theta``
    a counterexample it found (``family.build(theta)``), kept so that the tests are fast and
    reproducible; ``instance`` (a callable returning an ``Instance``) is an argued
    counterexample instead; ``window`` and ``n_steps`` are the search's. A control that cannot
    be made to fail carries in ``true_because`` a proof that it is in fact true, and is not
    counted; one that survived every search without being shown true says so in
    ``unresolved`` (it counts against the kill rate, but does not fail ``mastref verify``).
    ``killed_by`` names the catalogue check whose instance and horizon (``Check.against``) the
    control is held against (its ``instance``, ``n_steps`` and ``window`` are that check's).
    """

    name: str
    theorem: str
    claim: Callable
    change: str
    family: object
    theta: tuple | None = None
    instance: Callable | None = None
    n_steps: int = 50
    window: str = "all"
    true_because: str = ""
    unresolved: str = ""
    killed_by: str = ""


@dataclass(frozen=True, kw_only=True)
class TheoremEntry:
    """A theorem in the registry: its statement, relation, promised tightness, checks,
    controls, and ``search``: a callable returning ``(claim, family, n_steps, window)``, the
    default worst-case search of ``mastref worst NAME``. ``terms``: ``(form, part, branch)``
    triples (``form`` a ``Check.theorem`` name, ``branch`` ``""`` for none) that the report's
    theorem table must list even when no stress check covers them (it then says so); the rows
    of the stress checks are listed in any case."""

    name: str
    statement: Callable
    reference: str
    relation: str = "upper bound"
    min_tightness: float = 0.5
    terms: tuple = ()
    checks: tuple = ()
    controls: tuple = ()
    search: Callable | None = None


@cache
def _load(theorem: str) -> dict:
    return json.loads(files(__package__).joinpath("data", f"{theorem}.json").read_text())


def stored(theorem: str, section: str = "controls") -> dict:
    """The stored counterexamples of a catalogue file: name -> parameter vector (a tuple) for
    ``section="controls"`` and ``"instances"``, or the raw record of another section.

    Examples
    --------
    >>> from mastref.catalogue.base import stored
    >>> len(stored("theorem1")["theorem1-double-rate"])  # a QuadraticFamily(d=2) parameter
    11
    """
    data = _load(theorem)
    if section not in data:
        raise KeyError(f"{theorem}.json has no section {section!r}; sections: {list(data)}")
    if section in ("controls", "instances"):
        return {name: tuple(theta) for name, theta in data[section].items()}
    return data[section]


def control_maker(
    theorem: str, variant: Callable, search_in: Callable, thetas: dict, *, n_steps=50
):
    """The ``control(name, change, **changes)`` factory of a theorem file: a ``Control`` whose
    claim is ``variant(name, **changes)``, searched in ``search_in()`` unless a ``family`` is
    given, with the counterexample ``thetas.get(name)`` and the theorem's default horizon."""

    def control(name, change, *, family=None, window="all", n_steps=n_steps, **changes):
        return Control(
            name=name,
            theorem=theorem,
            claim=variant(name, **changes),
            change=change,
            family=family or search_in(),
            theta=thetas.get(name),
            n_steps=n_steps,
            window=window,
        )

    return control


def at_step(instance: Callable, fraction: float) -> Callable:
    """``instance()`` taken at ``fraction`` of the claim's step limit (or of its default step).

    Examples
    --------
    >>> from mastref.catalogue.base import at_step
    >>> from mastref.verify.instances import near_scalar
    >>> at_step(near_scalar, 0.1)().step_fraction
    0.1
    """

    def build():
        inst = instance()
        return type(inst)(**{**inst.__dict__, "step_fraction": fraction})

    return build


def instance_check(
    name: str,
    theorem: str,
    claim: Callable[..., Guarantee],
    instance,
    *,
    part: str = "",
    branch: str = "",
    ceiling: Ceiling | None = None,
    floor: float | None = None,
    n_steps: tuple[int, int] = (100, 300),
    kind: str = "stress",
    description: str = "",
    notes: tuple = (),
) -> Check:
    """A ``Check`` of ``claim`` on an exactly measured instance.

    ``instance``: an ``Instance`` or a callable returning one (built when the check runs); the
    claim is taken at the instance's step (``claim_at``); ``n_steps`` is the horizon
    ``(quick, full)``; ``part``, ``floor`` and ``notes`` as in ``mastref.check``; ``branch``
    and ``ceiling`` as in ``Check`` (the branch is judged on the theorem's own run,
    ``on_branch``; ``against`` a control's claim it is not).
    """

    def measure(other: Callable[..., Guarantee], quick: bool) -> tuple[CheckResult, Guarantee]:
        inst = instance() if callable(instance) else instance
        T = n_steps[0] if quick else n_steps[1]
        obj, g = claim_at(other, inst, T)
        result = check(
            g,
            obj,
            x0=inst.x0,
            n_steps=T,
            method="exact",
            name=name,
            instance=repr(inst),
            part=part,
            floor=floor,
            notes=notes,
        )
        return result, g

    def against(other: Callable[..., Guarantee], quick: bool = False) -> CheckResult:
        return measure(other, quick)[0]

    def run(quick: bool, data=None) -> CheckResult:
        result, g = measure(claim, quick)
        return on_branch(result, g, branch)

    return Check(
        name=name,
        theorem=theorem,
        run=run,
        against=against,
        part=part,
        branch=branch,
        ceiling=ceiling,
        kind=kind,
        method="exact",
        description=description,
    )


def deterministic_check(
    name: str,
    theorem: str,
    claim: Callable[..., Guarantee],
    build: Callable[[], tuple],
    *,
    n_steps: int,
    instance: str,
    description: str,
    claim_kw: dict | None = None,
    options: dict | None = None,
) -> Check:
    """An application check on an instance with the identity law and the exact gradient, where
    DSGD is gradient descent on ``f_D = f``: measured exactly by that deterministic run
    (``gd_mast``). ``build()`` returns ``(objective, x0)``; the claim is taken as
    ``claim(objective, x0=x0, n_steps=n_steps, **claim_kw)`` (its ``options`` replaced by
    ``options`` when given: a claim stated with a general ABC oracle that is the exact one).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> c = deterministic_check(
    ...     "gd", "Theorem 2", mr.theorem2,
    ...     lambda: (mr.MAST(mr.Quadratic(np.eye(1), np.zeros(1)), mr.Identity(1)), np.ones(1)),
    ...     n_steps=4, instance="f = x^2/2", description="four steps of GD")
    >>> c.run(True).verdict
    'holds'
    """

    def run(quick: bool, data=None) -> CheckResult:
        obj, x0 = build()
        g = claim(obj, x0=x0, n_steps=n_steps, **(claim_kw or {}))
        g = replace(g, algorithm="gd_mast", **({"options": options} if options else {}))
        return check(
            g,
            obj,
            x0=x0,
            n_steps=n_steps,
            method="exact",
            name=name,
            instance=instance,
            notes=("identity law, exact gradient: DSGD is gradient descent on f, measured by its "
                   "deterministic run",),
        )

    return Check(
        name=name,
        theorem=theorem,
        run=run,
        kind="application",
        method="exact",
        description=description,
    )


def rebound(
    g: Guarantee,
    *,
    floor: float,
    rate: float | None = None,
    growth: float | None = None,
    values: dict | None = None,
) -> Guarantee:
    """``g`` with its neighbourhood ``floor`` (and its ``rate``, or with ``growth`` the
    sublinear ``growth^t delta_0/(gamma t) + floor`` of the nonconvex forms) replaced: the
    claims of the per-axis negative controls, which patch a theorem's guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.catalogue.base import rebound
    >>> g = mr.theorem1(mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1)))
    >>> float(rebound(g, floor=0.0).bound(10**6))
    0.0
    """
    v = {**g.values, **(values or {})}
    if growth is not None:
        d0 = v["delta_0"]
        return replace(
            g,
            values=v,
            floor=floor,
            bound=sublinear(growth, d0, g.gamma, floor),
            parts=sublinear_parts(growth, d0, g.gamma, floor),
        )
    rate = g.rate if rate is None else min(max(rate, 0.0), 1.0)
    start = v["delta_0"] if g.quantity == "value_gap" else v.get("lyapunov_0", v.get("dist2_0"))
    return replace(
        g,
        values=v,
        floor=floor,
        rate=rate,
        bound=geometric(rate, start, floor),
        parts=geometric_parts(rate, start, floor),
    )
