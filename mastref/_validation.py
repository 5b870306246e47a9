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


def check_support(idx, sc, d: int) -> tuple[np.ndarray, np.ndarray]:
    """A sketch support: distinct int64 indices in ``[0, d)`` and finite float64 scales of the
    same length (cost ``O(len(idx) log len(idx))``)."""
    idx_arr = np.asarray(idx)
    if idx_arr.ndim != 1 or not (np.issubdtype(idx_arr.dtype, np.integer) or (idx_arr.size == 0)):
        raise ValueError(
            f"argument 'idx' must be a 1-d integer array; got {idx_arr.dtype} "
            f"of shape {idx_arr.shape}"
        )
    idx_arr = np.ascontiguousarray(idx_arr, dtype=np.int64)
    if idx_arr.size and (idx_arr.min() < 0 or idx_arr.max() >= d):
        bad = idx_arr[(idx_arr < 0) | (idx_arr >= d)][0]
        raise ValueError(f"argument 'idx' has index {bad}; indices must lie in [0, {d - 1}]")
    if np.unique(idx_arr).size != idx_arr.size:
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
