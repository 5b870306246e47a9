"""mastref: exact reference implementation and theory checker for MAST.

MAST (Model-Agnostic Sparsified Training, ICLR 2025) minimises ``f_D(x) = E[f(v + S(x - v))]``
over random sketches ``S`` with ``E[S] = I``. The specification is THEORY.md; the layout is one
module per concept: ``sketches`` (laws and their certification), ``problems`` (the problem
protocol and the built-in problems), ``mast`` (the objective), ``algorithms``, ``exact`` (§6),
``distributed``, ``theorems`` (the statements, one file per theorem), ``verify`` (the checker:
measurement, results, worst-case search), ``catalogue`` (each theorem's checks and negative
controls), ``report`` (``mastref verify``) and ``testing`` (hypothesis strategies). The import
layers are listed in the documentation's architecture page.
"""

from . import kernels
from ._budget import CostLimitExceeded, cost_budget, cost_limits
from ._validation import DivergenceError, DivergenceWarning, MissingCapability, as_generator
from ._version import __version__ as __version__
from .algorithms import Trace, distributed_dsgd, dsgd, gd_mast, l_svrdsg, recording_steps
from .data import load_libsvm, save_libsvm, synthetic_a5a_like
from .distributed import DistributedProblem
from .exact import Expectation, expected_distributed_dsgd, expected_dsgd, expected_svrdsg
from .mast import MAST, Solution
from .problems import (
    FiniteSum,
    FunctionProblem,
    LeastSquares,
    LogisticRegression,
    Problem,
    Quadratic,
    QuadraticForm,
)
from .sketches import (
    Bernoulli,
    DiagonalSketch,
    FiniteSketch,
    Gaussian,
    Identity,
    JointSketch,
    Partition,
    PerformanceWarning,
    PermutationSketch,
    Projection,
    RandK,
    RandomSubset,
    Sketch,
    SketchCheck,
    check_sketch,
)
from .theorems import (
    REGISTRY,
    Guarantee,
    InvalidGuarantee,
    baseline_gd,
    tau_nice_abc,
    theorem1,
    theorem2,
    theorem3,
    theorem4,
    theorem5,
)
from .verify import CheckResult, QuadraticFamily, WorstCase, check, worst_case
from .verify.measure import svrdsg_lyapunov

__all__ = [
    "kernels",
    "CostLimitExceeded",
    "DivergenceError",
    "DivergenceWarning",
    "cost_budget",
    "cost_limits",
    "MAST",
    "REGISTRY",
    "Bernoulli",
    "CheckResult",
    "DiagonalSketch",
    "DistributedProblem",
    "Expectation",
    "FiniteSketch",
    "FiniteSum",
    "FunctionProblem",
    "Gaussian",
    "Guarantee",
    "Identity",
    "InvalidGuarantee",
    "JointSketch",
    "LeastSquares",
    "LogisticRegression",
    "MissingCapability",
    "Partition",
    "PerformanceWarning",
    "PermutationSketch",
    "Problem",
    "Projection",
    "QuadraticFamily",
    "Quadratic",
    "QuadraticForm",
    "RandK",
    "RandomSubset",
    "Sketch",
    "SketchCheck",
    "Solution",
    "Trace",
    "WorstCase",
    "as_generator",
    "baseline_gd",
    "check",
    "check_sketch",
    "distributed_dsgd",
    "dsgd",
    "expected_distributed_dsgd",
    "expected_dsgd",
    "expected_svrdsg",
    "gd_mast",
    "l_svrdsg",
    "load_libsvm",
    "recording_steps",
    "save_libsvm",
    "svrdsg_lyapunov",
    "synthetic_a5a_like",
    "tau_nice_abc",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
    "worst_case",
]
