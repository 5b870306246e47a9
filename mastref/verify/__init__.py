"""The theorem verifier (THEORY.md §7): ``check`` for one claim, ``worst_case`` for a search.

``check(claim, objective, ...)`` measures a claim's quantity (exactly where §6 applies, by Monte
Carlo with confidence bounds otherwise) and returns a ``CheckResult``; ``worst_case`` searches
a family of instances for the largest ``measured / bound``; ``run_control`` holds a negative
control against its counterexample. The verifier names no theorem: the catalogue
(``mastref.catalogue``) holds the checks, and ``mastref.report.run`` executes them.
"""

from .checker import check
from .instances import Instance, QuadraticFamily
from .plot import save_check_figure
from .result import FALSE_ALARM, RESOLUTION, CheckResult, judge, verdict, z_value
from .search import ControlResult, WorstCase, run_control, worst_case

__all__ = [
    "FALSE_ALARM",
    "RESOLUTION",
    "CheckResult",
    "ControlResult",
    "Instance",
    "QuadraticFamily",
    "WorstCase",
    "check",
    "judge",
    "save_check_figure",
    "run_control",
    "verdict",
    "worst_case",
    "z_value",
]
