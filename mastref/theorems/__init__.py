"""The theorems of THEORY.md §5 as statements, one file each, and claims as data.

Every theorem takes ``(objective, *, gamma=None, x0=None, n_steps=None, ...)`` and returns a
``Guarantee`` (``mastref.theorems.claims``): ``strongly_convex`` (``theorem1``), ``nonconvex``
(``theorem2``), ``general_oracle`` (``theorem3``, ``tau_nice_abc``), ``svrdsg`` (``theorem4``),
``distributed`` (``theorem5``, and ``theorem5_reconstructed``, a ``D_max`` form reconstructed
from secondary summaries) and ``baseline`` (``baseline_gd``). Nothing here measures: the
instances on which each theorem is checked and its negative controls are in
``mastref.catalogue``, one file per theorem.
"""

from .baseline import baseline_gd
from .claims import QUANTITIES, Guarantee, InvalidGuarantee
from .distributed import theorem5, theorem5_reconstructed
from .general_oracle import tau_nice_abc, theorem3
from .nonconvex import theorem2
from .strongly_convex import theorem1
from .svrdsg import theorem4

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
    "QUANTITIES",
    "REGISTRY",
    "Guarantee",
    "InvalidGuarantee",
    "baseline_gd",
    "tau_nice_abc",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
    "theorem5_reconstructed",
]
