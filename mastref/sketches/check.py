"""``check_sketch``: certify that a law satisfies Assumption A1 and that its closed forms agree.

THEORY.md §0 (A1: ``E[S] = I``, ``E[S^T S]`` finite), §1 (closed forms) and §3 P2
(``1 <= mu_D <= L_D <= L_S_max``). Exact where the law allows it (finite support, or mixed
moments), Monte Carlo with a stated confidence bound otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from .._budget import SECONDS_PER_PYTHON_STEP, check_cost
from .._validation import MissingCapability, as_generator, check_int, check_real
from .base import MAX_SUPPORT, DiagonalSketch, Sketch

#: Relative tolerance of the exact comparisons (closed form vs enumeration).
EXACT_RTOL = 1e-10
#: Probability that a Monte Carlo check fails an unbiased law (a false alarm).
FALSE_ALARM = 1e-6


@dataclass(frozen=True, kw_only=True)
class CheckItem:
    """One verified statement about a law: its name, outcome and the numbers behind it."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, kw_only=True)
class SketchCheck:
    """Result of ``check_sketch``.

    Attributes
    ----------
    law : str
        ``repr`` of the law.
    passed : bool
        Every item passed.
    bias : float
        ``max |E[S] - I|`` entrywise: exact, or the Monte Carlo estimate.
    bias_bound : float
        Upper confidence bound on the bias (equal to ``bias`` when exact).
    method : str
        How unbiasedness was established.
    items : tuple of CheckItem
        Every statement checked.
    capabilities : frozenset of str
        The law's capabilities (``Sketch.capabilities``).

    Examples
    --------
    >>> import mastref as mr
    >>> result = mr.check_sketch(mr.Bernoulli(0.5, 3))
    >>> result.passed, result.method
    (True, 'exact (support)')
    """

    law: str
    passed: bool
    bias: float
    bias_bound: float
    method: str
    items: tuple[CheckItem, ...]
    capabilities: frozenset[str]

    def __repr__(self) -> str:
        failed = [i.name for i in self.items if not i.passed]
        state = "passed" if self.passed else f"FAILED {failed}"
        return (
            f"SketchCheck({self.law}: {state}, bias={self.bias:.3g} [{self.method}], "
            f"{len(self.items)} items)"
        )

    def table(self) -> str:
        """The items as a Markdown table."""
        rows = [f"| {i.name} | {'pass' if i.passed else 'FAIL'} | {i.detail} |" for i in self.items]
        return "\n".join(["| check | result | numbers |", "|---|---|---|", *rows])


def builtin_certificate(law: Sketch) -> SketchCheck | None:
    """The certificate of a built-in law, from its closed forms in O(d); ``None`` otherwise.

    A law whose type is exactly one of mastref's laws (not a subclass, which may override a
    closed form) satisfies A1 and its closed forms by construction; ``tests/test_sketches.py``
    proves them against an independent enumeration of the support, for every law and many
    ``d``. So nothing is sampled: the certificate records the closed-form constants and checks
    the chain ``1 <= mu_D <= L_D <= L_S_max`` (P2) on them. ``FiniteSketch`` checked
    ``sum_k pi_k s^(k) = 1`` exactly when it was built.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.sketches.check import builtin_certificate
    >>> builtin_certificate(mr.RandK(10**6, 10**3)).method
    'built-in closed forms (proven against enumeration by the test suite)'
    """
    from .dense import Gaussian, Projection
    from .finite import FiniteSketch, Identity, Partition
    from .subsets import Bernoulli, RandK, RandomSubset

    if type(law) not in (
        Bernoulli,
        RandK,
        RandomSubset,
        Partition,
        Identity,
        FiniteSketch,
        Projection,
        Gaussian,
    ):
        return None
    items: list[CheckItem] = [
        CheckItem(
            name="E[S] = I",
            passed=True,
            detail=f"closed form of {type(law).__name__} (THEORY.md §1), checked against "
            "enumeration by tests/test_sketches.py",
        )
    ]
    _constant_chain(law, items)
    return SketchCheck(
        law=repr(law),
        passed=all(i.passed for i in items),
        bias=0.0,
        bias_bound=0.0,
        method="built-in closed forms (proven against enumeration by the test suite)",
        items=tuple(items),
        capabilities=law.capabilities(),
    )


def _constant_chain(law: Sketch, items: list) -> None:
    L_D, mu_D, L_S_max = law.L_D, law.mu_D, law.L_S_max
    tol = EXACT_RTOL * max(1.0, abs(L_S_max) if np.isfinite(L_S_max) else 1.0)
    ordered = 1.0 - tol <= mu_D <= L_D + tol and L_D <= L_S_max + tol
    items.append(
        CheckItem(
            name="1 <= mu_D <= L_D <= L_S_max (P2)",
            passed=bool(ordered),
            detail=f"mu_D = {mu_D:.6g}, L_D = {L_D:.6g}, L_S_max = {L_S_max:.6g}",
        )
    )


def _close(a, b, scale: float = 1.0) -> tuple[bool, float]:
    err = float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)), initial=0.0))
    return err <= EXACT_RTOL * max(1.0, scale, float(np.max(np.abs(b), initial=0.0))), err


def _support_items(law: Sketch, items: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Sanity of a finite support; returns ``(atoms, weights)`` or ``None`` (too large)."""
    if law.support_size > MAX_SUPPORT:
        items.append(
            CheckItem(
                name="support enumerable",
                passed=True,
                detail=f"{law.support_size} atoms > MAX_SUPPORT: not enumerated",
            )
        )
        return None
    atoms, w = law.support()
    atoms, w = np.asarray(atoms, float), np.asarray(w, float)
    shape_ok = (
        atoms.shape[0] == w.shape[0] == law.support_size
        and atoms.shape[1:] in ((law.d,), (law.d, law.d))
        and w.ndim == 1
    )
    items.append(
        CheckItem(
            name="support shape",
            passed=bool(shape_ok),
            detail=f"atoms {atoms.shape}, weights {w.shape}, support_size {law.support_size}",
        )
    )
    finite = bool(np.all(np.isfinite(atoms)) and np.all(np.isfinite(w)))
    positive = bool(np.all(w > 0))
    total = float(w.sum())
    items.append(
        CheckItem(
            name="probabilities",
            passed=finite and positive and abs(total - 1.0) <= 1e-12,
            detail=f"min weight {w.min():.3g}, sum {total!r}, finite {finite}",
        )
    )
    return (atoms, w) if shape_ok else None


def _mean_matrix(law: Sketch, atoms: np.ndarray, w: np.ndarray) -> np.ndarray:
    mean = np.tensordot(w, atoms, axes=1)
    return np.diag(mean) if mean.ndim == 1 else mean


def _monte_carlo_mean(law: Sketch, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Per-entry mean and standard error of ``S`` (diagonal: ``s``) over ``n`` draws."""
    diagonal = law.is_diagonal and isinstance(law, DiagonalSketch)
    check_cost(
        f"check_sketch: n_samples = {n} draws of a {'diagonal' if diagonal else 'dense'} law, "
        f"d = {law.d}",
        seconds=n * (1e-9 * law.d if diagonal else SECONDS_PER_PYTHON_STEP + 1e-9 * law.d**2),
        nbytes=16.0 * (n * law.d if diagonal else law.d**2),
        hint="Reduce n_samples.",
    )
    if diagonal:
        _, idx, sc = law.sample_supports(n, rng=rng)
        first = np.zeros(law.d)
        second = np.zeros(law.d)
        np.add.at(first, idx, sc)
        np.add.at(second, idx, sc * sc)
    else:
        first = np.zeros((law.d, law.d))
        second = np.zeros((law.d, law.d))
        for _ in range(n):
            S = np.asarray(law.sample(rng), float)
            first += S
            second += S * S
    mean = first / n
    var = np.maximum(second / n - mean**2, 0.0) * n / (n - 1)
    return mean, np.sqrt(var / n)


def check_sketch(
    law: Sketch,
    *,
    rng: int | np.random.Generator | None = None,
    n_samples: int = 20000,
    false_alarm: float = FALSE_ALARM,
) -> SketchCheck:
    """Certify a sketch law: ``E[S] = I``, moment consistency, support sanity (THEORY.md §0-§1).

    Unbiasedness is exact from a finite support (``sum_k pi_k S_k = I``) or from the first
    moments (``E[s_j] = moment(e_j) = 1``); otherwise it is tested by Monte Carlo over
    ``n_samples`` draws: the law fails when some entry's two-sided normal confidence interval
    at level ``1 - false_alarm`` (Bonferroni over the entries) excludes its target, so an
    unbiased law fails with probability at most ``false_alarm``. Consistency: the closed forms
    (pair moments, ``L_D``, ``mu_D``, ``L_S_max``, mixed moments up to order 4) agree with an
    enumeration of the support where both exist, ``E[s s^T]`` is symmetric PSD with diagonal
    ``>= 1`` (Jensen), and ``1 <= mu_D <= L_D <= L_S_max`` (P2).

    Parameters
    ----------
    law : Sketch
        The law to certify.
    rng : int, Generator or None
        Randomness of the Monte Carlo parts (fixed seeds give a reproducible certificate).
    n_samples : int
        Draws for the Monte Carlo parts.
    false_alarm : float
        Probability, per check, that Monte Carlo fails a law that is in fact unbiased.

    Returns
    -------
    SketchCheck
        ``passed``, the measured ``bias`` and every item checked.

    Examples
    --------
    >>> import mastref as mr
    >>> mr.check_sketch(mr.RandK(6, 2)).passed
    True

    A user's law that forgot to rescale the kept coordinates by ``1/p``:

    >>> class Unscaled(mr.DiagonalSketch):
    ...     d = 3
    ...     def sample(self, rng=None):
    ...         return mr.as_generator(rng).integers(0, 2, 3).astype(float)
    >>> result = mr.check_sketch(Unscaled(), rng=0)
    >>> result.passed, round(result.bias, 1)
    (False, 0.5)
    """
    if not isinstance(law, Sketch):
        raise TypeError(
            f"argument 'law' = {law!r} must be a mastref Sketch (a joint law: check law.marginal())"
        )
    n_samples = check_int("n_samples", n_samples, 2)
    false_alarm = check_real("false_alarm", false_alarm, positive=True)
    rng = as_generator(rng)
    items: list[CheckItem] = []
    caps = law.capabilities()
    d = check_int("law.d", law.d, 1)
    enumerated = _support_items(law, items) if law.has_finite_support else None
    # --- unbiasedness -----------------------------------------------------------------------
    if enumerated is not None:
        atoms, w = enumerated
        bias = float(np.max(np.abs(_mean_matrix(law, atoms, w) - np.eye(d))))
        scale = float(np.max(np.abs(atoms)))
        ok = bias <= EXACT_RTOL * max(1.0, scale)
        bound, method = bias, "exact (support)"
    elif "moments" in caps:
        first = np.array([law.moment(np.eye(d, dtype=np.int64)[j]) for j in range(d)])
        bias = float(np.max(np.abs(first - 1.0)))
        ok = bias <= EXACT_RTOL
        bound, method = bias, "exact (first moments)"
    else:
        mean, se = _monte_carlo_mean(law, n_samples, rng)
        target = np.ones(d) if mean.ndim == 1 else np.eye(d)
        z = float(ndtri(1.0 - false_alarm / (2 * mean.size)))
        dev = np.abs(mean - target)
        bias = float(np.max(dev))
        bound = float(np.max(dev + z * se))
        ok = bool(np.all(dev <= z * se + 1e-12))
        method = f"Monte Carlo (n={n_samples}, two-sided {1 - false_alarm:g} Bonferroni interval)"
    items.append(
        CheckItem(
            name="E[S] = I",
            passed=bool(ok),
            detail=f"max |E[S] - I| = {bias:.3g} ({method}); upper bound {bound:.3g}",
        )
    )
    # --- consistency of the closed forms ---------------------------------------------------
    if law.is_diagonal and isinstance(law, DiagonalSketch):
        _diagonal_items(law, caps, enumerated, items, rng)
    if "constants" in caps:
        _constant_items(law, enumerated, items)
    passed = all(i.passed for i in items)
    return SketchCheck(
        law=repr(law),
        passed=passed,
        bias=bias,
        bias_bound=bound,
        method=method,
        items=tuple(items),
        capabilities=caps,
    )


def _diagonal_items(law: DiagonalSketch, caps, enumerated, items: list, rng) -> None:
    if "sandwich" not in caps:
        return
    try:
        P = law.pair_moments()
    except MissingCapability:
        return
    sym = float(np.max(np.abs(P - P.T)))
    eig_min = float(np.linalg.eigvalsh(0.5 * (P + P.T))[0])
    diag_min = float(np.min(np.diag(P)))
    items.append(
        CheckItem(
            name="E[s s^T] symmetric PSD, diagonal >= 1",
            passed=sym <= EXACT_RTOL * max(1.0, np.max(np.abs(P)))
            and eig_min >= -EXACT_RTOL * max(1.0, np.max(np.abs(P)))
            and diag_min >= 1.0 - EXACT_RTOL,
            detail=f"asymmetry {sym:.3g}, lambda_min {eig_min:.4g}, min E[s_j^2] {diag_min:.6g}",
        )
    )
    ok, err = _close(law.second_moment_diag(), np.diag(P))
    items.append(
        CheckItem(
            name="second_moment_diag = diag E[s s^T]", passed=ok, detail=f"max error {err:.3g}"
        )
    )
    if enumerated is not None:
        atoms, w = enumerated
        ok, err = _close(P, (atoms.T * w) @ atoms)
        items.append(
            CheckItem(name="E[s s^T] = enumeration", passed=ok, detail=f"max error {err:.3g}")
        )
        if "moments" in caps:
            worst = 0.0
            ok = True
            for m in _test_multi_indices(law.d, rng):
                on = m > 0
                exact = float(w @ np.prod(atoms[:, on] ** m[on], axis=1))
                good, err = _close(law.moment(m), exact)
                ok &= good
                worst = max(worst, err)
            items.append(
                CheckItem(
                    name="mixed moments (order <= 4) = enumeration",
                    passed=bool(ok),
                    detail=f"max error {worst:.3g} over multi-indices of order 1-4",
                )
            )


def _test_multi_indices(d: int, rng) -> list[np.ndarray]:
    """Multi-indices of order 1 to 4 with every coincidence pattern, at random positions."""
    patterns = [(1,), (2,), (1, 1), (3,), (2, 1), (1, 1, 1), (4,), (2, 2), (3, 1), (2, 1, 1)]
    patterns.append((1, 1, 1, 1))
    out = []
    for pat in patterns:
        if len(pat) > d:
            continue
        m = np.zeros(d, dtype=np.int64)
        m[rng.choice(d, size=len(pat), replace=False)] = pat
        out.append(m)
    return out


def _constant_items(law: Sketch, enumerated, items: list) -> None:
    _constant_chain(law, items)
    L_D, mu_D, L_S_max = law.L_D, law.mu_D, law.L_S_max
    eig = np.linalg.eigvalsh(law.second_moment())
    ok_l, err_l = _close(eig[-1], L_D)
    ok_m, err_m = _close(eig[0], mu_D)
    items.append(
        CheckItem(
            name="L_D, mu_D = extreme eigenvalues of E[S^T S]",
            passed=ok_l and ok_m,
            detail=f"errors {err_l:.3g}, {err_m:.3g}",
        )
    )
    if enumerated is not None:
        atoms, w = enumerated
        lmax = max(law.L_S(a) for a in atoms)
        ok, err = _close(L_S_max, lmax)
        items.append(
            CheckItem(
                name="L_S_max = max over the support",
                passed=ok,
                detail=f"closed form {L_S_max:.6g}, enumeration {lmax:.6g}",
            )
        )
