"""mastref: exact reference implementation and theory checker for MAST.

MAST (Model-Agnostic Sparsified Training, ICLR 2025) minimises ``f_D(x) = E[f(v + S(x - v))]``
over random sketches ``S`` with ``E[S] = I``. The specification is THEORY.md.
"""

from .algorithms import Trace, distributed_dsgd, dsgd, gd_mast, l_svrdsg, recording_steps
from .data import load_libsvm, save_libsvm, synthetic_a5a_like
from .distributed import DistributedProblem
from .exact import Expectation, expected_distributed_dsgd, expected_dsgd
from .kernels import (
    logistic_batch_reference,
    logistic_csc_kernel,
    logistic_csr_batch_kernel,
    logistic_csr_kernel,
    logistic_dense_batch_kernel,
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
from .theory import (
    Guarantee,
    InvalidGuarantee,
    baseline_gd,
    svrdsg_lyapunov,
    tau_nice_abc,
    theorem1,
    theorem2,
    theorem3,
    theorem4,
    theorem5,
)

__version__ = "0.1.0"

__all__ = [
    "MAST",
    "DistributedProblem",
    "load_libsvm",
    "save_libsvm",
    "synthetic_a5a_like",
    "Expectation",
    "expected_distributed_dsgd",
    "expected_dsgd",
    "Guarantee",
    "InvalidGuarantee",
    "Trace",
    "baseline_gd",
    "distributed_dsgd",
    "dsgd",
    "gd_mast",
    "l_svrdsg",
    "recording_steps",
    "svrdsg_lyapunov",
    "tau_nice_abc",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
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
    "logistic_batch_reference",
    "logistic_csr_batch_kernel",
    "logistic_dense_batch_kernel",
    "logistic_dense_kernel",
    "logistic_reference",
    "quadratic_kernel",
    "quadratic_reference",
]
