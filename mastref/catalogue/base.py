"""A theorem's checks and negative controls as data, and its stored counterexamples.

``Check`` (one instance and how the theorem is held against it), ``Control`` (a statement
stronger than the theorem, which must come out violated) and ``TheoremEntry`` (a theorem in the
registry) are filled in by the catalogue's theorem files; ``stored(name)`` loads the parameter
vectors and instances the worst-case search found, kept as JSON data files in
``mastref/catalogue/data`` (shipped with the package).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files

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

    Examples
    --------
    >>> from mastref.catalogue import catalogue
    >>> c = catalogue()["theorem1-attained"]
    >>> c.kind, c.method, c.part
    ('stress', 'exact', 'transient')
    """

    name: str
    theorem: str
    run: Callable
    part: str = ""
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
    default worst-case search of ``mastref worst NAME``."""

    name: str
    statement: Callable
    reference: str
    relation: str = "upper bound"
    min_tightness: float = 0.5
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
    floor: float | None = None,
    n_steps: tuple[int, int] = (100, 300),
    kind: str = "stress",
    description: str = "",
    notes: tuple = (),
) -> Check:
    """A ``Check`` of ``claim`` on an exactly measured instance.

    ``instance``: an ``Instance`` or a callable returning one (built when the check runs); the
    claim is taken at the instance's step (``claim_at``); ``n_steps`` is the horizon
    ``(quick, full)``; ``part``, ``floor`` and ``notes`` as in ``mastref.check``.
    """

    def against(other: Callable[..., Guarantee], quick: bool = False) -> CheckResult:
        inst = instance() if callable(instance) else instance
        T = n_steps[0] if quick else n_steps[1]
        obj, g = claim_at(other, inst, T)
        return check(
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

    def run(quick: bool, data=None) -> CheckResult:
        return against(claim, quick)

    return Check(
        name=name,
        theorem=theorem,
        run=run,
        against=against,
        part=part,
        kind=kind,
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
