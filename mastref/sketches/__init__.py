"""Sketch laws ``D`` with ``E[S] = I``, their exact constants and their certification.

THEORY.md §0-§1. The protocol (``Sketch``, ``DiagonalSketch``, ``JointSketch``) and the
capabilities a law can declare are in ``mastref.sketches.base``; ``check_sketch`` certifies a
law. A new law is one file: a subclass of ``DiagonalSketch`` (or ``Sketch``) implementing
``sample_support`` (or ``sample``) and whatever closed forms it knows.
"""

from .base import (
    CAPABILITIES,
    MAX_SUPPORT,
    DiagonalSketch,
    JointSketch,
    MomentStructure,
    PerformanceWarning,
    Sketch,
    gather_supports,
    supports_from_pairs,
)
from .check import CheckItem, SketchCheck, check_sketch
from .dense import Gaussian, Projection
from .finite import FiniteSketch, Identity, Partition
from .permutation import PermutationSketch
from .subsets import Bernoulli, RandK, RandomSubset

__all__ = [
    "CAPABILITIES",
    "MAX_SUPPORT",
    "Bernoulli",
    "CheckItem",
    "DiagonalSketch",
    "FiniteSketch",
    "Gaussian",
    "Identity",
    "JointSketch",
    "MomentStructure",
    "Partition",
    "PerformanceWarning",
    "PermutationSketch",
    "Projection",
    "RandK",
    "RandomSubset",
    "Sketch",
    "SketchCheck",
    "check_sketch",
    "gather_supports",
    "supports_from_pairs",
]
