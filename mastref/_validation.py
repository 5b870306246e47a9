"""Argument checks shared by the constructors.

Every message names the argument, the offending value (or its shape) and the requirement, so
that a user can fix the call without reading the source.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np


class MissingCapability(NotImplementedError):
    """A sketch law or problem lacks a capability that the requested computation needs.

    The message names the object, the capability and what provides it (a method to implement,
    or the Monte Carlo alternative).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Projection(2, 1))
    >>> try:
    ...     mr.l_svrdsg(mast, np.zeros(2), 0.1, 10)
    ... except mr.MissingCapability as err:
    ...     print("finite_support" in str(err))
    True
    """


def as_generator(rng: int | np.random.Generator | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from an int seed, a Generator or ``None`` (SPEC 7).

    A Generator is returned as is (its state advances with use); an int or ``None`` seeds a new
    ``np.random.default_rng``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> g = np.random.default_rng(0)
    >>> mr.as_generator(g) is g
    True
    >>> int(mr.as_generator(5).integers(100)) == int(mr.as_generator(5).integers(100))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng < 0:
        raise ValueError(f"argument 'rng' = {rng} must be a non-negative int seed")
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"argument 'rng' = {rng!r} must be an int, a numpy.random.Generator or None")


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """An integer in ``[low, high]`` (bounds inclusive, ``None`` for unbounded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"argument '{name}' = {value!r} must be an integer")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"argument '{name}' = {value} must lie in [{lo}, {hi}]")
    return value


def check_real(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """A finite real scalar, optionally > 0 or >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"argument '{name}' = {value!r} must be a real number")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"argument '{name}' = {value} must be finite")
    if positive and not value > 0:
        raise ValueError(f"argument '{name}' = {value} must be > 0")
    if nonnegative and not value >= 0:
        raise ValueError(f"argument '{name}' = {value} must be >= 0")
    return value


def as_real_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; complex, object, string and datetime input is refused (a
    silent cast would drop the imaginary part or turn text into numbers)."""
    raw = value if isinstance(value, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"argument '{name}' must be a real array: {exc}") from None
    kind = raw.dtype.kind
    if kind == "c":
        raise TypeError(f"argument '{name}' is complex ({raw.dtype}); a real array is required")
    if kind not in "biuf":
        raise TypeError(
            f"argument '{name}' has dtype {raw.dtype}; a real (integer or float) array is required"
        )
    return raw.astype(np.float64, copy=False)


def ndim_of(name: str, value) -> int:
    """``np.ndim(value)``, with a clear error for ragged nested lists."""
    try:
        return int(np.ndim(value))
    except ValueError as exc:
        raise TypeError(f"argument '{name}' must be a real array: {exc}") from None


def check_array(name: str, value, ndim: int, shape: tuple | None = None) -> np.ndarray:
    """A finite float64 array with ``ndim`` dimensions (and ``shape`` where given, -1 = any)."""
    arr = as_real_array(name, value)
    if arr.ndim != ndim:
        raise ValueError(f"argument '{name}' has shape {arr.shape}; expected a {ndim}-d array")
    if shape is not None:
        for got, want in zip(arr.shape, shape, strict=True):
            if want != -1 and got != want:
                raise ValueError(f"argument '{name}' has shape {arr.shape}; expected {shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"argument '{name}' has a non-finite entry {arr[tuple(bad)]} at index "
            f"{tuple(int(i) for i in bad)}"
        )
    return arr


def check_vector(name: str, value, d: int | None = None) -> np.ndarray:
    """A finite 1-d float64 array, of length ``d`` where given."""
    return check_array(name, value, 1, None if d is None else (d,))


def check_symmetric_psd(name: str, A: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Check that a square matrix is symmetric and positive semidefinite; return its eigenvalues.

    Symmetry is required to ``rtol * max|A|``; PSD to ``-rtol * max(1, lambda_max)``.
    """
    check_symmetric(name, A, rtol)
    return check_psd(name, np.linalg.eigvalsh(0.5 * A + 0.5 * A.T), rtol)


def check_symmetric(name: str, A: np.ndarray, rtol: float = 1e-10) -> None:
    """A square matrix, symmetric to ``rtol * max(1, max|A|)``."""
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"argument '{name}' has shape {A.shape}; expected a square matrix")
    scale = max(1.0, float(np.max(np.abs(A)))) if A.size else 1.0
    asym = float(np.max(np.abs(A - A.T))) if A.size else 0.0
    if asym > rtol * scale:
        raise ValueError(
            f"argument '{name}' is not symmetric: max |A - A^T| = {asym:.3g} > {rtol * scale:.3g}"
        )


def check_psd(name: str, eig: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Ascending eigenvalues of a positive semidefinite matrix: the smallest ``>= -rtol *
    max(1, |lambda_max|)``."""
    if eig[0] < -rtol * max(1.0, abs(eig[-1])):
        raise ValueError(
            f"argument '{name}' is not positive semidefinite: smallest eigenvalue {eig[0]:.3g} < 0"
        )
    return eig


def check_support(idx, sc, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A sketch support: distinct int64 indices in ``[0, d)`` and finite float64 scales of the
    same length (cost ``O(len(idx) log len(idx))``)."""
    try:
        idx_arr = np.asarray(idx)
    except ValueError as exc:
        raise TypeError(f"argument 'idx' must be a 1-d integer array: {exc}") from None
    if idx_arr.ndim != 1 or not (np.issubdtype(idx_arr.dtype, np.integer) or (idx_arr.size == 0)):
        raise ValueError(
            f"argument 'idx' must be a 1-d integer array; got {idx_arr.dtype} "
            f"of shape {idx_arr.shape}"
        )
    idx_arr = np.ascontiguousarray(idx_arr, dtype=np.int64)
    if idx_arr.size and (idx_arr.min() < 0 or idx_arr.max() >= d):
        bad = idx_arr[(idx_arr < 0) | (idx_arr >= d)][0]
        raise ValueError(f"argument 'idx' has index {bad}; indices must lie in [0, {d - 1}]")
    ordered = np.sort(idx_arr)
    if ordered.size > 1 and bool(np.any(ordered[1:] == ordered[:-1])):
        raise ValueError("argument 'idx' has repeated indices; a support lists each index once")
    sc_arr = check_vector("sc", sc, idx_arr.size)
    return idx_arr, np.ascontiguousarray(sc_arr)


def check_rows(rows, n: int) -> np.ndarray:
    """Sample indices of a minibatch: a non-empty 1-d int64 array in ``[0, n)``."""
    r = np.asarray(rows)
    if r.ndim != 1 or r.size == 0 or not np.issubdtype(r.dtype, np.integer):
        raise ValueError("argument 'rows' must be a non-empty 1-d array of sample indices")
    if r.min() < 0 or r.max() >= n:
        raise ValueError(f"argument 'rows' has an index outside [0, {n - 1}]")
    return np.ascontiguousarray(r, dtype=np.int64)


def check_probabilities(name: str, p, *, sum_to_one: bool = False, positive: bool = False):
    """A finite 1-d array of probabilities in ``[0, 1]`` (``(0, 1]`` with ``positive``), summing
    to 1 within ``1e-12 * len(p)`` when ``sum_to_one``."""
    arr = check_vector(name, p)
    if arr.size == 0:
        raise ValueError(f"argument '{name}' is empty; at least one probability is required")
    low = arr <= 0 if positive else arr < 0
    bad = np.flatnonzero(low | (arr > 1))
    if bad.size:
        need = "(0, 1]" if positive else "[0, 1]"
        raise ValueError(
            f"argument '{name}' has entry {float(arr[bad[0]])} at index {bad[0]}; probabilities "
            f"must lie in {need}"
        )
    if sum_to_one and abs(arr.sum() - 1.0) > 1e-12 * max(arr.size, 1):
        raise ValueError(f"argument '{name}' sums to {arr.sum()!r}; probabilities must sum to 1")
    return arr


class DivergenceWarning(RuntimeWarning):
    """An algorithm or exact recursion reached a non-finite iterate and stopped.

    The message names the step, the step size ``gamma`` and the largest step the relevant theorem
    admits; the returned ``Trace``/``Expectation`` records the stop in ``stopped_at``. Turn it
    into an error with ``on_divergence="raise"`` (``DivergenceError``) or with
    ``warnings.simplefilter("error", mastref.DivergenceWarning)``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.diag([1.0, 100.0]), np.ones(2)), mr.RandK(2, 1))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     trace = mr.dsgd(mast, np.zeros(2), 10.0, 1000, rng=0)
    >>> caught[0].category.__name__, trace.stopped_at < 1000
    ('DivergenceWarning', True)
    """


class DivergenceError(FloatingPointError):
    """Raised instead of ``DivergenceWarning`` when a run is asked to ``on_divergence="raise"``."""


def check_on_divergence(value) -> str:
    if value not in ("warn", "raise"):
        raise ValueError(f"argument 'on_divergence' = {value!r} must be 'warn' or 'raise'")
    return value


def finite_result(argument: str):
    """Decorate a method whose result must be finite: overflow to ``inf``/``nan`` raises
    ``FloatingPointError`` naming the method and ``argument`` (the input too large for double
    precision) instead of returning the non-finite number."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with np.errstate(over="ignore", invalid="ignore"):
                out = method(self, *args, **kwargs)
            for part in out if isinstance(out, tuple) else (out,):
                if not np.all(np.isfinite(part)):
                    raise FloatingPointError(
                        f"{type(self).__name__}.{method.__name__}: the result is not finite "
                        f"(overflow); argument '{argument}' is too large for double precision"
                    )
            return out

        return wrapper

    return decorate


#: Largest |s| of a sketch's entries: its fourth power (the mixed moments of order four that the
#: exact §6 recursion uses) stays below the largest double.
MAX_SKETCH_ENTRY = 1e75


def check_sketch_entries(name: str, largest: float) -> None:
    """Entries of a sketch (scales ``1/p``, atom values) whose fourth powers are finite."""
    if not largest <= MAX_SKETCH_ENTRY:
        raise ValueError(
            f"argument '{name}' gives sketch entries up to {largest:.3g}; their fourth powers "
            f"(the moments E[s^4] of THEORY.md §6) overflow double precision: entries must be "
            f"<= {MAX_SKETCH_ENTRY:g}"
        )


def check_data_scale(name: str, squared_norm: float) -> None:
    """``||X||_F^2`` finite: then every row norm ``||a_i||^2``, Gram entry and ``L`` is finite."""
    if not np.isfinite(squared_norm):
        raise ValueError(
            f"argument '{name}' is too large: its squared norm (a bound on every ||a_i||^2 and "
            f"on the smoothness constant) overflows double precision"
        )
