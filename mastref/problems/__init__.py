"""Problems ``f`` (THEORY.md §2): the protocol and the built-in problems.

``Problem`` and ``FiniteSum`` (``mastref.problems.base``) state what a problem provides; the
built-ins are ``Quadratic``, ``LogisticRegression``, ``LeastSquares``, ``FunctionProblem`` (a
user's smooth function from callables) and ``JaxProblem`` (a JAX loss over a parameter pytree;
JAX itself is imported only when one is built). A new problem is one file: a subclass with its own
kernel pack and kernels (``mastref.kernels.register_kernels``), or none (the reference path).
"""

from .auditing import audit
from .base import FiniteSum, Problem, QuadraticForm
from .function import FunctionProblem
from .jax_problem import JaxProblem
from .least_squares import LeastSquares
from .logistic import LogisticRegression, logistic_1d_inf
from .quadratic import Quadratic

__all__ = [
    "FiniteSum",
    "FunctionProblem",
    "JaxProblem",
    "LeastSquares",
    "LogisticRegression",
    "Problem",
    "Quadratic",
    "QuadraticForm",
    "audit",
    "logistic_1d_inf",
]
