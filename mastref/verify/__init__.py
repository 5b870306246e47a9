"""The theorem verifier (THEORY.md §7): ``check`` for one claim, ``run`` for the catalogue.

``check(claim, objective, ...)`` measures a claim's quantity (exactly where §6 applies, by Monte
Carlo with confidence bounds otherwise) and returns a ``CheckResult``; ``run`` executes the
catalogue of ``mastref verify`` and writes ``report.md``, ``results.csv`` and the plots.
"""

from .catalogue import catalogue
from .check import check
from .plot import plot
from .report import run, run_check, table, write_outputs
from .result import FALSE_ALARM, RESOLUTION, CheckResult, judge, verdict, z_value

__all__ = [
    "FALSE_ALARM",
    "RESOLUTION",
    "CheckResult",
    "catalogue",
    "check",
    "judge",
    "plot",
    "run",
    "run_check",
    "table",
    "verdict",
    "write_outputs",
    "z_value",
]
