"""Problems ``f`` (THEORY.md §2): the protocol and the built-in problems.

``Problem`` and ``FiniteSum`` (``mastref.problems.base``) state what a problem provides; the
built-ins are ``Quadratic``, ``LogisticRegression``, ``LeastSquares`` and ``FunctionProblem`` (a
user's smooth function from callables). A new problem is one file: a subclass with its own
kernel pack and kernels (``mastref.kernels.register_kernels``), or none (the reference path).
"""

from .base import FiniteSum, Problem, QuadraticForm
from .function import FunctionProblem
from .least_squares import LeastSquares
from .logistic import LogisticRegression, logistic_1d_inf
from .quadratic import Quadratic

__all__ = [
    "FiniteSum",
    "FunctionProblem",
    "LeastSquares",
    "LogisticRegression",
    "Problem",
    "Quadratic",
    "QuadraticForm",
    "logistic_1d_inf",
]
