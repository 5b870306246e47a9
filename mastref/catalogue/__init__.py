"""The verification catalogue: each theorem's checks, negative controls, instances and default
worst-case search, one file per theorem (``theorem1`` ... ``theorem5``, ``baseline``, and
``theorem5_reconstructed`` for a ``D_max`` form reconstructed from secondary summaries).

``registry()`` lists them by name; ``catalogue()`` gives every check by name. Stored
counterexamples are data files (``data/*.json``, ``base.stored``). A new theorem is one
statement file in ``mastref.theorems`` and one file here, with an ``entry()``, added to
``MODULES``.
"""

from . import baseline, theorem1, theorem2, theorem3, theorem4, theorem5, theorem5_reconstructed
from .base import Check, Control, TheoremEntry, stored
from .pepit import PepitComparison, pepit_one_step

#: The catalogue files, in the order of THEORY.md §5 (the reconstructed form last).
MODULES = (theorem1, theorem2, theorem3, theorem4, theorem5, baseline, theorem5_reconstructed)


def registry() -> dict[str, TheoremEntry]:
    """Theorem name -> ``TheoremEntry`` (statement, relation, checks, controls); the last entry
    is a ``D_max`` form of Theorem 5 reconstructed from secondary summaries, with an instance on
    which it fails.

    Examples
    --------
    >>> from mastref.catalogue import registry
    >>> list(registry())[-2:]
    ['baseline', 'theorem5-reconstructed-form']
    """
    return {entry.name: entry for entry in (m.entry() for m in MODULES)}


def catalogue(with_data: bool = False) -> dict[str, Check]:
    """Check name -> ``Check`` of every theorem in the registry (a5a checks with data only)."""
    out = {}
    for entry in registry().values():
        for check in entry.checks:
            if with_data or not check.needs_data:
                out[check.name] = check
    return out


__all__ = [
    "MODULES",
    "Check",
    "Control",
    "PepitComparison",
    "TheoremEntry",
    "catalogue",
    "pepit_one_step",
    "registry",
    "stored",
]
