"""Argument checks shared by the constructors.

Every message names the argument, the offending value (or its shape) and the requirement, so
that a user can fix the call without reading the source.
"""

from __future__ import annotations

import numbers

import numpy as np


class MissingCapability(NotImplementedError):
    """A sketch law or problem lacks a capability that the requested computation needs.

    The message names the object, the capability and what provides it (a method to implement,
    or the Monte Carlo alternative).
    """


def as_generator(rng: int | np.random.Generator | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from an int seed, a Generator or ``None`` (SPEC 7).

    A Generator is returned as is (its state advances with use); an int or ``None`` seeds a new
    ``np.random.default_rng``.
    """
    if isinstance(rng, np.random.Generator):
        return rng
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


def check_array(name: str, value, ndim: int, shape: tuple | None = None) -> np.ndarray:
    """A finite float64 array with ``ndim`` dimensions (and ``shape`` where given, -1 = any)."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"argument '{name}' must be a real array: {exc}") from None
    if arr.ndim != ndim:
        raise ValueError(f"argument '{name}' has shape {arr.shape}; expected a {ndim}-d array")
    if shape is not None:
        for got, want in zip(arr.shape, shape, strict=True):
            if want != -1 and got != want:
                raise ValueError(f"argument '{name}' has shape {arr.shape}; expected {shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"argument '{name}' has a non-finite entry {arr[tuple(bad)]} at index {tuple(bad)}"
        )
    return arr


def check_vector(name: str, value, d: int | None = None) -> np.ndarray:
    """A finite 1-d float64 array, of length ``d`` where given."""
    return check_array(name, value, 1, None if d is None else (d,))


def check_symmetric_psd(name: str, A: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Check that a square matrix is symmetric and positive semidefinite; return its eigenvalues.

    Symmetry is required to ``rtol * max|A|``; PSD to ``-rtol * max(1, lambda_max)``.
    """
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"argument '{name}' has shape {A.shape}; expected a square matrix")
    scale = max(1.0, float(np.max(np.abs(A)))) if A.size else 1.0
    asym = float(np.max(np.abs(A - A.T))) if A.size else 0.0
    if asym > rtol * scale:
        raise ValueError(
            f"argument '{name}' is not symmetric: max |A - A^T| = {asym:.3g} > {rtol * scale:.3g}"
        )
    eig = np.linalg.eigvalsh(0.5 * (A + A.T))
    if eig[0] < -rtol * max(1.0, abs(eig[-1])):
        raise ValueError(
            f"argument '{name}' is not positive semidefinite: smallest eigenvalue {eig[0]:.3g} < 0"
        )
    return eig
