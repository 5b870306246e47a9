"""Guards on cost: estimate a call's time and memory before doing the work, refuse beyond a
budget, and show progress for long loops.

Every routine whose time or memory grows with a user's size argument calls ``check_cost`` with
an estimate *before* it allocates or loops. The estimates are lower bounds or close to them
(a per-step Python overhead, measured ``d^3`` coefficients of LAPACK and of the §6 recursion on a
2-core x86_64 machine), so that a refusal is never a false alarm by much. The defaults are
``DEFAULT_SECONDS = 600`` s of estimated time (a tenth of it, 60 s, for a single step that cannot
show progress, such as an eigendecomposition) and ``DEFAULT_BYTES = 4 GiB`` for one allocation;
raise them for one block of code with ``cost_budget``:

>>> import mastref as mr
>>> with mr.cost_budget(seconds=3600):
...     mr.cost_limits()["seconds"]
3600.0
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import sys
from collections.abc import Iterator

DEFAULT_SECONDS = 600.0
DEFAULT_BYTES = 4 * 2**30
PROGRESS_AFTER_SECONDS = 2.0
SILENT_FRACTION = 10.0  # a call that cannot show progress gets budget / SILENT_FRACTION

# Measured coefficients (2-core x86_64, numpy 2.4, OpenBLAS), rounded towards the slow side.
SECONDS_PER_PYTHON_STEP = 2e-6  # one iteration of a Python-level loop that calls numpy/numba
TYPICAL_SECONDS_PER_STEP = 5e-5  # a typical step of Algorithms 1-4 (sampling + kernel)
SECONDS_PER_EIGH_D3 = 1e-9  # numpy.linalg.eigh on a dense d x d matrix: ~ c d^3 s
SECONDS_PER_RECURSION_D3 = 1e-10  # one d x d product of the §6 recursions, per d^3
SECONDS_PER_RUN_STEP = 1e-7  # one run of one vectorised/jitted step (measured 5e-7 at d = 3)

_limits: contextvars.ContextVar[tuple[float, float]] = contextvars.ContextVar(
    "mastref_cost_limits", default=(DEFAULT_SECONDS, float(DEFAULT_BYTES))
)


class CostLimitExceeded(ValueError):
    """A call's estimated time or memory exceeds the cost budget (``cost_budget`` raises it)."""


def cost_limits() -> dict:
    """The budget in force: ``{"seconds": ..., "bytes": ...}`` (see ``cost_budget``).

    Examples
    --------
    >>> import mastref as mr
    >>> mr.cost_limits()["seconds"]
    600.0
    """
    seconds, nbytes = _limits.get()
    return {"seconds": seconds, "bytes": nbytes}


@contextlib.contextmanager
def cost_budget(seconds: float | None = None, bytes: float | None = None) -> Iterator[None]:
    """Raise (or lower) the cost budget for the calls made inside the ``with`` block.

    Parameters
    ----------
    seconds : float, optional
        Largest estimated run time accepted (default budget 600 s); ``math.inf`` for none.
    bytes : float, optional
        Largest single allocation accepted (default 4 GiB).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> try:
    ...     with mr.cost_budget(seconds=1e-3):
    ...         mr.dsgd(mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1)),
    ...                 np.zeros(2), 0.1, 10**6)
    ... except mr.CostLimitExceeded as err:
    ...     print(str(err).split(";")[0])
    dsgd: n_steps = 1000000 x n_runs = 1 needs an estimated 2.1 s
    """
    new = cost_limits()
    for key, value in (("seconds", seconds), ("bytes", bytes)):
        if value is not None:
            value = float(value)
            if not value > 0:
                raise ValueError(f"argument '{key}' = {value} must be > 0")
            new[key] = value
    token = _limits.set((new["seconds"], new["bytes"]))
    try:
        yield
    finally:
        _limits.reset(token)


def _human_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.3g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 2 * 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} days"


def human_bytes(n: float) -> str:
    """``1536 -> '1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_cost(
    what: str,
    *,
    seconds: float = 0.0,
    nbytes: float = 0.0,
    hint: str = "",
    silent: bool = False,
) -> None:
    """Refuse a call whose estimated time or memory exceeds the budget.

    ``what`` names the call and the size arguments (``"dsgd: n_steps = 10^12"``); ``hint`` says
    which argument to reduce. The message gives the estimate, the limit and how to raise it. A
    ``silent`` call (one long step that cannot show progress, such as an eigendecomposition) is
    held to a tenth of the time budget (60 s by default).
    """
    limits = cost_limits()
    limit = limits["seconds"] / (SILENT_FRACTION if silent else 1.0)
    if seconds > limit:
        needed = math.ceil(seconds * 2 * (SILENT_FRACTION if silent else 1.0))
        raise CostLimitExceeded(
            f"{what} needs an estimated {_human_seconds(seconds)}; the budget is "
            f"{_human_seconds(limit)}{' for a step without progress' if silent else ''}. "
            f"{hint + ' ' if hint else ''}To run it anyway: "
            f"`with mastref.cost_budget(seconds={needed:.3g}): ...`"
        )
    if nbytes > limits["bytes"]:
        raise CostLimitExceeded(
            f"{what} needs {human_bytes(nbytes)} of memory; the budget is "
            f"{human_bytes(limits['bytes'])}. {hint + ' ' if hint else ''}To run it anyway: "
            f"`with mastref.cost_budget(bytes={nbytes * 2:.3g}): ...`"
        )


def check_run(
    what: str,
    *,
    n_steps: int,
    n_runs: int,
    d: int,
    n_records: int,
    n_arrays: int = 1,
    calls_per_step: int = 1,
    python_per_run: bool = False,
) -> None:
    """Refuse a loop of ``n_steps`` steps over ``n_runs`` runs in ``R^d`` beyond the budget,
    before anything is allocated.

    Time: ``n_steps * (calls_per_step * SECONDS_PER_PYTHON_STEP + n_runs * c)`` with ``c =
    SECONDS_PER_PYTHON_STEP`` when each run is a Python call (``python_per_run``: a dense law, a
    problem without a kernel) and ``SECONDS_PER_RUN_STEP`` otherwise; both coefficients are
    below the measured ones, so the estimate is a lower bound. Memory: the state, ``n_arrays``
    arrays of ``n_runs x d`` floats, and as many recorded at ``n_records`` steps. The messages
    name ``n_steps``, ``n_runs`` and the recording arguments of Algorithms 1-4.

    Examples
    --------
    >>> from mastref._budget import CostLimitExceeded, check_run
    >>> try:
    ...     check_run("dsgd", n_steps=5, n_runs=10**10, d=3, n_records=6)
    ... except CostLimitExceeded as err:
    ...     print(str(err).split(";")[0])
    dsgd: n_runs = 10000000000 x d = 3 needs 224 GiB of memory
    """
    per_run = SECONDS_PER_PYTHON_STEP if python_per_run else SECONDS_PER_RUN_STEP
    seconds = float(n_steps) * (calls_per_step * SECONDS_PER_PYTHON_STEP + float(n_runs) * per_run)
    state = 8.0 * n_arrays * float(n_runs) * d
    check_cost(
        f"{what}: n_runs = {n_runs} x d = {d}",
        nbytes=state,
        hint="Reduce n_runs.",
    )
    check_cost(
        f"{what}: recording {n_records} steps x n_runs = {n_runs} x d = {d}",
        nbytes=state * n_records,
        hint="Record fewer steps (record_every, record_at or geometric) or fewer runs.",
    )
    check_cost(
        f"{what}: n_steps = {n_steps} x n_runs = {n_runs}",
        seconds=seconds,
        hint="Reduce n_steps or n_runs.",
    )


def check_dense(what: str, d: int, *, copies: int = 1, eigh: bool = False) -> None:
    """Refuse ``copies`` dense ``d x d`` float64 matrices beyond the memory budget, and an
    eigendecomposition (``eigh``) beyond the time budget; a long accepted one is announced."""
    nbytes = 8.0 * copies * float(d) ** 2
    matrices = f"a dense {d} x {d} matrix" if copies == 1 else f"{copies} dense {d} x {d} matrices"
    check_cost(
        f"{what}: {matrices}",
        nbytes=nbytes,
        hint="Use a smaller d (or a problem with a sparse or structured form).",
    )
    if eigh:
        seconds = SECONDS_PER_EIGH_D3 * float(d) ** 3
        check_cost(
            f"{what}: eigendecomposition of a {d} x {d} matrix",
            seconds=seconds,
            hint="Use a smaller d.",
            silent=True,
        )
        announce(f"{what}: eigendecomposition of a {d} x {d} matrix", seconds)


def announce(what: str, seconds: float) -> None:
    """Tell a terminal user about a single long step that cannot show progress."""
    if seconds >= PROGRESS_AFTER_SECONDS and sys.stderr.isatty():
        print(f"mastref: {what}, estimated {_human_seconds(seconds)} ...", file=sys.stderr)


def progress(total: int, seconds: float, desc: str):
    """A tqdm bar over ``total`` steps when the estimate exceeds ``PROGRESS_AFTER_SECONDS`` and
    stderr is a terminal; otherwise ``None`` (callers then skip the updates)."""
    if seconds < PROGRESS_AFTER_SECONDS or not sys.stderr.isatty():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False, mininterval=0.5)


@contextlib.contextmanager
def progress_bar(total: int, seconds: float, desc: str) -> Iterator:
    """``with progress_bar(total, seconds, desc) as update: ... update(1) ...``: a tqdm bar on
    a terminal when the estimate ``seconds`` exceeds ``PROGRESS_AFTER_SECONDS``, else an
    ``update`` that does nothing; the bar is closed on exit, also on an error or Ctrl-C.

    Examples
    --------
    >>> from mastref._budget import progress_bar
    >>> with progress_bar(3, 0.1, "search") as update:  # short: no bar
    ...     for _ in range(3):
    ...         update(1)
    """
    bar = progress(total, seconds, desc)
    try:
        yield (lambda n=1: None) if bar is None else bar.update
    finally:
        if bar is not None:
            bar.close()
