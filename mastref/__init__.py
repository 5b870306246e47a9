"""mastref: exact reference implementation and theory checker for MAST.

MAST (Model-Agnostic Sparsified Training, ICLR 2025) minimises ``f_D(x) = E[f(v + S(x - v))]``
over random sketches ``S`` with ``E[S] = I``. The specification is THEORY.md.
"""

from .kernels import (
    logistic_csc_kernel,
    logistic_csr_kernel,
    logistic_dense_kernel,
    logistic_reference,
    quadratic_kernel,
    quadratic_reference,
)
from .mast import MAST
from .problems import LogisticRegression, Quadratic
from .sketches import (
    Bernoulli,
    DiagonalSketch,
    FiniteSketch,
    Gaussian,
    Identity,
    Partition,
    PermutationSketch,
    Projection,
    RandK,
    RandomSubset,
    Sketch,
)

__version__ = "0.1.0"

__all__ = [
    "MAST",
    "Bernoulli",
    "DiagonalSketch",
    "FiniteSketch",
    "Gaussian",
    "Identity",
    "LogisticRegression",
    "Partition",
    "PermutationSketch",
    "Projection",
    "Quadratic",
    "RandK",
    "RandomSubset",
    "Sketch",
    "logistic_csc_kernel",
    "logistic_csr_kernel",
    "logistic_dense_kernel",
    "logistic_reference",
    "quadratic_kernel",
    "quadratic_reference",
]
