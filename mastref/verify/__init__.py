"""The theorem verifier (THEORY.md §7): ``check`` for one claim, ``run`` for the catalogue.

``check(claim, objective, ...)`` measures a claim's quantity (exactly where §6 applies, by Monte
Carlo with confidence bounds otherwise) and returns a ``CheckResult``; ``run`` executes the
catalogue of ``mastref verify`` and writes ``report.md``, ``results.csv`` and the plots.
"""

from .check import check
from .instances import Instance, QuadraticFamily
from .plot import plot
from .report import VerifyRun, catalogue, run, run_check, run_controls, table, write_outputs
from .result import FALSE_ALARM, RESOLUTION, CheckResult, judge, verdict, z_value
from .search import ControlResult, WorstCase, run_control, worst_case

__all__ = [
    "FALSE_ALARM",
    "RESOLUTION",
    "CheckResult",
    "ControlResult",
    "Instance",
    "QuadraticFamily",
    "VerifyRun",
    "WorstCase",
    "catalogue",
    "check",
    "judge",
    "plot",
    "run",
    "run_check",
    "run_control",
    "run_controls",
    "table",
    "verdict",
    "worst_case",
    "write_outputs",
    "z_value",
]
