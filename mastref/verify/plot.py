"""One plot per check: the measured curve against the bound, on log scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .result import FALSE_ALARM, CheckResult


def plot(result: CheckResult, path: Path) -> None:
    """Write the PNG of ``result`` to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    x = result.steps
    ax.plot(x, result.measured, "o-" if x.size < 30 else "-", label=f"measured ({result.method})")
    if np.any(result.upper != result.lower):
        ax.fill_between(
            x,
            np.maximum(result.lower, 1e-300),
            result.upper,
            alpha=0.3,
            label=f"one-sided CBs, false alarm {FALSE_ALARM:g}",
        )
    ok = np.isfinite(result.bound)
    ax.plot(x[ok], result.bound[ok], "k--", label=f"bound ({result.theorem})")
    if result.resolution > 0:
        ax.axhline(result.resolution, color="0.6", ls=":", label="numerical resolution")
    ax.set_yscale("log")
    if result.xlabel != "step t" or (x.size and x[0] > 0 and x[-1] / max(x[0], 1) > 100):
        ax.set_xscale("log")
    ax.set_xlabel(result.xlabel)
    ax.set_ylabel(result.quantity)
    ax.set_title(f"{result.name}: {result.verdict}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
