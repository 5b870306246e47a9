"""The theorems of THEORY.md §5 as code, one file each, and claims as data.

Every theorem takes ``(objective, *, gamma=None, x0=None, n_steps=None, ...)`` and returns a
``Guarantee`` (``mastref.theorems.claims``). ``REGISTRY`` lists them by name.
"""

from .baseline import baseline_gd
from .claims import QUANTITIES, Guarantee, InvalidGuarantee
from .theorem1 import theorem1
from .theorem2 import theorem2
from .theorem3 import tau_nice_abc, theorem3
from .theorem4 import svrdsg_lyapunov, theorem4
from .theorem5 import theorem5

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
    "svrdsg_lyapunov",
    "tau_nice_abc",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
]
