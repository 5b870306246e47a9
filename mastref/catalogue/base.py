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
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from ..theorems.claims import Guarantee
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
    ``method`` is one of ``METHODS``.

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

    def run(quick: bool, data=None) -> CheckResult:
        inst = instance() if callable(instance) else instance
        T = n_steps[0] if quick else n_steps[1]
        obj, g = claim_at(claim, inst, T)
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

    return Check(
        name=name,
        theorem=theorem,
        run=run,
        part=part,
        kind=kind,
        method="exact",
        description=description,
    )
