"""One plot per check: the measured curve against the bound (``mastref.plotting``)."""

from __future__ import annotations

from pathlib import Path

from .result import CheckResult


def plot(result: CheckResult, path: Path) -> None:
    """Write the PNG of ``result`` to ``path``: ``mastref.plotting.check_figure`` (measured with
    its confidence band when Monte Carlo, grey where not checked; the bound and its
    neighbourhood; the numerical resolution when the data reach it; γ_max on a step sweep).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     mr.verify.plot(mr.check(mr.theorem1, mast, n_steps=20), pathlib.Path(tmp) / "t1.png")
    ...     (pathlib.Path(tmp) / "t1.png").is_file()
    True
    """
    from ..plotting import check_figure, save_figure  # matplotlib only when plotting

    save_figure(check_figure(result), path)
