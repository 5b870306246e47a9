"""The theorems of THEORY.md §5 as code, one file each, and claims as data.

Every theorem takes ``(objective, *, gamma=None, x0=None, n_steps=None, ...)`` and returns a
``Guarantee`` (``mastref.theorems.claims``). Each theorem file also holds the instances on which
the theorem is checked (``Check``) and its negative controls (``Control``): statements stronger
than the theorem that must come out violated. ``REGISTRY`` lists them by name; a new theorem is
one file with an ``entry()`` and one line here.
"""

from importlib import import_module

from .baseline import baseline_gd
from .claims import QUANTITIES, Check, Control, Guarantee, InvalidGuarantee, TheoremEntry
from .pepit_check import PepitComparison, pepit_one_step
from .theorem1 import theorem1
from .theorem2 import theorem2
from .theorem3 import tau_nice_abc, theorem3
from .theorem4 import svrdsg_lyapunov, theorem4
from .theorem5 import theorem5

#: The theorem files, in the order of THEORY.md §5.
MODULES = ("theorem1", "theorem2", "theorem3", "theorem4", "theorem5", "baseline")


def registry() -> dict[str, TheoremEntry]:
    """Theorem name -> ``TheoremEntry`` (statement, relation, checks, controls); the last entry
    is the paper's distributed form, an external claim refuted by a counterexample."""
    out = {name: import_module(f"{__name__}.{name}").entry() for name in MODULES}
    out["theorem5-paper"] = import_module(f"{__name__}.theorem5").paper_entry()
    return out


#: Theorem name -> statement function.
REGISTRY = {
    "theorem1": theorem1,
    "theorem2": theorem2,
    "theorem3": theorem3,
    "theorem4": theorem4,
    "theorem5": theorem5,
    "baseline": baseline_gd,
}

__all__ = [
    "MODULES",
    "QUANTITIES",
    "REGISTRY",
    "Check",
    "Control",
    "Guarantee",
    "InvalidGuarantee",
    "PepitComparison",
    "TheoremEntry",
    "baseline_gd",
    "pepit_one_step",
    "registry",
    "svrdsg_lyapunov",
    "tau_nice_abc",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
]
