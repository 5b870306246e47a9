"""Watching a run: a progress bar for long loops, and the first non-finite iterate reported.

Beyond a theorem's step limit (THEORY.md §5) the iterates of Algorithms 1-4, and the exact
expected curves of §6, may grow without bound and overflow. A run never returns such values
quietly: it stops at the first non-finite value with a ``DivergenceWarning`` (or a
``DivergenceError`` with ``on_divergence="raise"``) that names the step, ``gamma`` and the
theorem's ``gamma_max``, and its result records ``stopped_at``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

from ._budget import TYPICAL_SECONDS_PER_STEP, progress
from ._validation import DivergenceError, DivergenceWarning, check_on_divergence


class RunWatch:
    """Detects the first non-finite iterate and reports it (THEORY.md §5: beyond a theorem's step
    limit the iterates may grow without bound; a run never returns such values quietly)."""

    def __init__(
        self,
        name: str,
        gamma: float,
        n_steps: int,
        limit: Callable[[], tuple[str, float]],
        on_divergence: str,
        seconds: float | None = None,
        what: str = "iterate",
        record: str = "trace",
        stacklevel: int = 3,
    ):
        self.name, self.gamma, self.n_steps, self.limit = name, gamma, n_steps, limit
        self.on_divergence = check_on_divergence(on_divergence)
        self.what, self.record, self.stacklevel = what, record, stacklevel
        if seconds is None:
            seconds = n_steps * TYPICAL_SECONDS_PER_STEP
        self.bar = progress(n_steps, seconds, name)

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def after_step(self, t: int, finite: bool, rec, X, **aux) -> bool:
        """After step ``t`` (iterate ``t + 1`` in ``X``): tick the bar; if the iterate is not
        ``finite``, report it, record it as the run's last record and return ``True`` (stop)."""
        self.tick()
        if finite:
            return False
        self.diverged(t + 1, stacklevel=self.stacklevel + 1)
        rec.stop(t + 1, X, **aux)
        return True

    def diverged(self, t: int, stacklevel: int | None = None) -> None:
        """Warn (or raise) that the iterate after ``t`` steps is non-finite."""
        self.close()
        try:
            label, gamma_max = self.limit()
        except Exception:  # noqa: BLE001 - the constant is informative only
            label, gamma_max = "gamma_max", math.nan
        ratio = self.gamma / gamma_max if gamma_max > 0 else math.inf
        message = (
            f"{self.name}: the {self.what} became non-finite at step {t} of {self.n_steps}; "
            f"gamma = {self.gamma:.6g}, {label} = {gamma_max:.6g} (gamma/gamma_max = "
            f"{ratio:.3g}). The run stopped there ({self.record}.stopped_at = {t})."
        )
        if ratio <= 1:
            message += (
                " The step is within the limit, so the likely cause is the problem: its "
                "gradient or value returned inf or NaN."
            )
        if self.on_divergence == "raise":
            raise DivergenceError(message)
        warnings.warn(message, DivergenceWarning, stacklevel=stacklevel or self.stacklevel)
