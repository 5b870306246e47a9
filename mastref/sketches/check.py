"""``check_sketch``: certify that a law satisfies Assumption A1 and that its closed forms agree.

THEORY.md §0 (A1: ``E[S] = I``, ``E[S^T S]`` finite), §1 (closed forms) and §3 P2
(``1 <= mu_D <= L_D <= L_S_max``). Exact where the law allows it (finite support, or mixed
moments), Monte Carlo with a stated confidence bound otherwise.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from .._budget import SECONDS_PER_PYTHON_STEP, CostLimitExceeded, check_cost, check_dense
from .._validation import MissingCapability, as_generator, check_int, check_real
from .base import MAX_SUPPORT, DiagonalSketch, Sketch, count_str

#: Relative tolerance of the exact comparisons (closed form vs enumeration).
EXACT_RTOL = 1e-10
#: Probability that a Monte Carlo check fails an unbiased law (a false alarm).
FALSE_ALARM = 1e-6
#: Probability with which a closed form off by the reported resolution fails (power).
POWER = 0.99
#: Random coordinate groups whose sums of ``s_j^2`` test the diagonal of ``E[s s^T]``.
N_GROUPS = 8
#: Random sign vectors (besides ``u = 1``) of the quadratic forms ``u^T E[s s^T] u``.
N_FORMS = 4
#: Coordinates the quadratic forms live on (a random subset).
FORM_SIZE = 32
#: Largest ``d^2`` for exact first moments by ``moment(e_j)`` (each call costs O(d)).
MAX_MOMENT_WORK = 10**7
#: Random index tuples summed per coincidence pattern of the mixed-moment statistics.
MOMENT_TUPLES = 64
#: Up to this d every coordinate's mean is a statistic of its own.
SINGLE_COORDINATES = 64
#: A statistic is tested only when at least this many draws make it nonzero (or all do):
#: rarer ones are too far from normal for the z-test at ``n_samples``.
MIN_NONZERO = 50
#: Relative round-off allowed in the sampled comparisons.
ROUND_OFF = 1e-9


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
    resolution : float
        The relative error, in every entry of one sampled closed form, that fails with
        probability ``>= 0.99``: for each item the best of its statistics, then the worst
        over the items (0 when nothing was sampled).

    Examples
    --------
    >>> import mastref as mr
    >>> result = mr.check_sketch(mr.Bernoulli(3, 0.5))
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
    resolution: float = 0.0

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
                detail=f"{count_str(law.support_size)} atoms > MAX_SUPPORT: not enumerated",
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


def _mean_error(atoms: np.ndarray, w: np.ndarray) -> float:
    """``max |sum_k w_k S_k - I|`` entrywise (diagonal atoms: scale vectors)."""
    mean = np.tensordot(w, atoms, axes=1)
    if mean.ndim == 1:
        return float(np.max(np.abs(mean - 1.0)))
    return float(np.max(np.abs(mean - np.eye(mean.shape[0]))))


def _dense_refusal(d: int, *, eigh: bool = False) -> str | None:
    """``None`` when dense ``d x d`` checks fit the cost guard, else the guard's message."""
    try:
        check_dense("check_sketch", d, copies=2, eigh=eigh)
    except CostLimitExceeded as exc:
        return str(exc).split(". To run it anyway")[0]
    return None


def _dense_sample(law: Sketch, rng) -> np.ndarray:
    """One draw of a dense law, checked: a finite ``d x d`` matrix, else an error naming the
    law and what it returned."""
    S = np.asarray(law.sample(rng), float)
    if S.shape != (law.d, law.d) or not np.all(np.isfinite(S)):
        raise ValueError(
            f"{law!r}.sample returned an array of shape {S.shape} (finite: "
            f"{bool(np.all(np.isfinite(S)))}); a dense law's sample is a finite "
            f"{law.d} x {law.d} matrix"
        )
    return S


def _dense_mean(law: Sketch, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Per-entry mean and standard error of a dense law's ``S`` over ``n`` draws."""
    check_cost(
        f"check_sketch: n_samples = {n} draws of a dense law, d = {law.d}",
        seconds=n * (SECONDS_PER_PYTHON_STEP + 1e-9 * law.d**2),
        nbytes=16.0 * law.d**2,
        hint="Reduce n_samples.",
    )
    first = np.zeros((law.d, law.d))
    second = np.zeros((law.d, law.d))
    for _ in range(n):
        S = _dense_sample(law, rng)
        first += S
        second += S * S
    mean = first / n
    var = np.maximum(second / n - mean**2, 0.0) * n / (n - 1)
    return mean, np.sqrt(var / n)


class _Draws:
    """``n`` draws of a diagonal law in CSR layout, with per-draw statistics in O(n K)."""

    def __init__(self, law: DiagonalSketch, n: int, rng):
        pilot = min(n, 32)
        p_ptr, _, _ = law.sample_supports(pilot, rng=rng)
        k_bar = max(1.0, float(p_ptr[-1]) / pilot)
        check_cost(
            f"check_sketch: n_samples = {n} draws of about {k_bar:.3g} coordinates each",
            seconds=n * k_bar * 2e-7,
            nbytes=8.0 * 6 * n * k_bar,
            hint="Reduce n_samples (the Monte Carlo draws).",
        )
        self.n, self.d = n, law.d
        self.ptr, self.idx, self.sc = law.sample_supports(n, rng=rng)
        self.rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.ptr))

    def per_draw(self, weights: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``sum_{j in draw} weights`` for every draw (``weights`` aligned with ``idx``)."""
        rows = self.rows if mask is None else self.rows[mask]
        w = weights if mask is None else weights[mask]
        return np.bincount(rows, weights=w, minlength=self.n)

    def coordinate(self, j: int) -> np.ndarray:
        """``s_j`` in every draw."""
        return self.per_draw(self.sc, self.idx == j)

    def columns(self, J: np.ndarray) -> np.ndarray:
        """``s_J`` in every draw, as an ``(n, |J|)`` array (one pass over the draws)."""
        pos = np.full(self.d, -1, dtype=np.int64)
        pos[J] = np.arange(J.size)
        hit = pos[self.idx] >= 0
        out = np.zeros((self.n, J.size))
        out[self.rows[hit], pos[self.idx[hit]]] = self.sc[hit]
        return out

    def coordinate_means(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-coordinate mean of ``s_j`` and its standard error."""
        first = np.bincount(self.idx, weights=self.sc, minlength=self.d) / self.n
        second = np.bincount(self.idx, weights=self.sc**2, minlength=self.d) / self.n
        var = np.maximum(second - first**2, 0.0) * self.n / (self.n - 1)
        return first, np.sqrt(var / self.n)


def _z_test(values: np.ndarray, claim: float, z: float) -> tuple[bool, float, float, float]:
    """``(passed, mean, half-width, resolution)`` of a two-sided z-test of ``E[values] = claim``.

    ``resolution`` is the relative error ``|claim - E| / |E|`` detected with probability
    ``POWER``: under the normal approximation the test rejects a claim off by ``delta`` with
    probability ``Phi(|delta| |E| sqrt(n) / sigma - z) >= POWER`` iff
    ``|delta| >= (z + z_POWER) sigma / (|E| sqrt(n))``.
    """
    n = values.size
    mean = float(values.mean())
    sd = float(values.std(ddof=1))
    half = z * sd / math.sqrt(n) + ROUND_OFF * max(1.0, abs(claim))
    scale = max(abs(mean), abs(claim), 1e-300)
    resolution = (z + float(ndtri(POWER))) * sd / (scale * math.sqrt(n))
    return abs(mean - claim) <= half, mean, half, resolution


def check_sketch(
    law: Sketch,
    *,
    rng: int | np.random.Generator | None = 0,
    n_samples: int = 20000,
    false_alarm: float = FALSE_ALARM,
) -> SketchCheck:
    """Certify a sketch law: ``E[S] = I`` and every closed form it gives, against its own samples
    and, where it has one, against an enumeration of its support (THEORY.md §0-§1, §3 P2).

    **Exact parts.** Unbiasedness from a finite support (``sum_k pi_k S_k = I``) or from the
    first moments (``moment(e_j) = 1``); the closed forms (pair moments, ``L_D``, ``mu_D``,
    ``L_S_max``, mixed moments up to order 4) against the enumeration; ``E[s s^T]`` symmetric
    PSD with diagonal ``>= 1`` (Jensen); ``1 <= mu_D <= L_D <= L_S_max`` (P2);
    ``L_D = max_j E[s_j^2]``, ``mu_D = min_j E[s_j^2]`` (diagonal laws, O(d)); the law's own
    ``sandwich(A)`` at a random PSD ``A`` (what ``MAST`` builds ``A_D`` from) against the
    enumeration, or for a diagonal law without one against ``A * pair_moments()``; a dense
    law's ``second_moment()`` against the enumeration. Dense ``d x d`` checks run only where
    the cost guard admits them.

    **Sampled parts of a dense law** (no enumerable support; ``_dense_sampled_items``): the
    entries of ``E[S]`` (level ``false_alarm / 2``) and, at level ``false_alarm / 2``, the
    quadratic forms ``||S u||^2`` against ``u^T E[S^T S] u`` (random unit ``u``, and the
    eigenvectors of the claimed extreme eigenvalues against ``L_D`` and ``mu_D``) and
    ``(S u)^T A (S u)`` against ``u^T sandwich(A) u`` for a random PSD ``A``; every draw's
    ``lambda_max(S^T S) <= L_S_max``. O(n_samples d^2), plus an SVD per draw up to ``d = 32``.

    **Sampled parts** (diagonal laws, O(n_samples K)): ``n`` draws ``s^(r)``. Each closed form is
    turned into statistics ``Y = phi(s)`` whose mean the law claims:
    ``E[s_j]`` = 1 per coordinate; ``sum_{j in G} s_j^2`` for ``N_GROUPS`` random groups ``G``
    and for all coordinates (claim ``sum_{j in G} E[s_j^2]``), ``s_j^2`` at the coordinates
    attaining ``L_D`` and ``mu_D``; ``(u^T s)^2`` for ``N_FORMS`` random sign vectors ``u`` on
    ``FORM_SIZE`` random coordinates and for ``u = 1`` there (claim ``u^T E[s s^T] u``: the
    diagonal and every sampled pair enter); ``prod_j s_j^{m_j}`` at multi-indices of order 1-4
    of every coincidence pattern (claim ``moment(m)``). Each is a two-sided z-test at level
    ``false_alarm / 2`` Bonferroni-split over the statistics (the per-coordinate means get the
    other half), so a law whose closed forms are all right fails with probability at most
    ``false_alarm`` (normal approximation of the means of ``n`` i.i.d. draws). A closed form off
    by a relative ``delta`` is caught with probability ``>= POWER = 0.99`` once
    ``|delta| >= (z + z_0.99) sigma / (|E Y| sqrt(n))``. A closed form off by ``delta`` in every
    entry shifts each of its statistics by ``delta``, so its item fails at least as often as
    its best statistic: each item reports that resolution and ``resolution`` the worst over
    the items; at the default ``n_samples = 20000`` it is below
    5 % whenever the coefficient of variation ``sigma / |E Y|`` of the statistic is below
    ``0.05 sqrt(n) / (z + 2.33)`` (about 0.85). ``L_S_max`` is an essential supremum: every
    draw must satisfy ``max_j s_j^2 <= L_S_max`` (no false alarm; an ``L_S_max`` too small by
    5 % is caught with probability ``1 - (1 - q)^n``, ``q = P(L_S > L_S_max)``; one too large
    is a valid, conservative bound). User laws' draws are checked at the door (length,
    index range and sign, distinct indices, finite scales).

    Parameters
    ----------
    law : Sketch
        The law to certify.
    rng : int, Generator or None
        Randomness of the sampled parts (default seed 0, like every function that returns a
        verdict: the same law gets the same certificate).
    n_samples : int
        Draws for the sampled parts (>= 2).
    false_alarm : float
        Probability, in ``(0, 1)``, that a law whose closed forms are right fails.

    Returns
    -------
    SketchCheck
        ``passed``, the measured ``bias``, ``resolution`` and every item checked.

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
    if not false_alarm < 1:
        raise ValueError(f"argument 'false_alarm' = {false_alarm} must lie in (0, 1)")
    rng = as_generator(rng)
    items: list[CheckItem] = []
    caps = law.capabilities()
    d = check_int("law.d", law.d, 1)
    diagonal = law.is_diagonal and isinstance(law, DiagonalSketch)
    enumerated = None
    if law.has_finite_support and law.support_size <= MAX_SUPPORT:
        try:
            check_cost(
                "check_sketch: the support as a dense array",
                nbytes=8.0 * law.support_size * (d if diagonal else d * d),
            )
            enumerated = _support_items(law, items)
        except CostLimitExceeded as exc:
            items.append(CheckItem(name="support enumerable", passed=True, detail=str(exc)))
    elif law.has_finite_support:
        _support_items(law, items)
    draws = _Draws(law, n_samples, rng) if diagonal else None
    dense_sampled = not diagonal and enumerated is None  # two sampled families share alpha
    # --- unbiasedness -----------------------------------------------------------------------
    bias, bound, method, ok = _unbiasedness(
        law, caps, enumerated, draws, n_samples, rng, false_alarm / (2 if dense_sampled else 1)
    )
    exact_mean = not method.startswith("Monte Carlo")
    if not diagonal or exact_mean:
        items.append(
            CheckItem(
                name="E[S] = I",
                passed=bool(ok),
                detail=f"max |E[S] - I| = {bias:.3g} ({method}); upper bound {bound:.3g}",
            )
        )
    resolution = 0.0
    if dense_sampled:
        resolution = _dense_sampled_items(law, caps, n_samples, rng, items, false_alarm / 2)
    if diagonal:
        _diagonal_items(law, caps, enumerated, items, rng)
        resolution, mean_bound = _sampled_items(
            law, caps, draws, items, rng, false_alarm, exact_mean
        )
        if not exact_mean:
            bound = max(bias, mean_bound)
    _sandwich_items(law, caps, enumerated, items, rng, diagonal)
    if "constants" in caps:
        _constant_items(law, enumerated, items, diagonal)
    return SketchCheck(
        law=repr(law),
        passed=all(i.passed for i in items),
        bias=bias,
        bias_bound=bound,
        method=method,
        items=tuple(items),
        capabilities=caps,
        resolution=resolution,
    )


def _unbiasedness(law, caps, enumerated, draws, n, rng, alpha):
    """``(bias, bound, method, ok)``: exact from the support or the first moments, else the
    per-coordinate (per-entry) Monte Carlo test at level ``alpha``."""
    d = law.d
    if enumerated is not None:
        atoms, w = enumerated
        bias = _mean_error(atoms, w)
        ok = bias <= EXACT_RTOL * max(1.0, float(np.max(np.abs(atoms))))
        return bias, bias, "exact (support)", ok
    if "moments" in caps and d * d <= MAX_MOMENT_WORK:
        first = np.empty(d)
        m = np.zeros(d, dtype=np.int64)
        for j in range(d):
            m[j] = 1
            first[j] = law.moment(m)
            m[j] = 0
        bias = float(np.max(np.abs(first - 1.0)))
        return bias, bias, "exact (first moments)", bias <= EXACT_RTOL
    if draws is not None:
        mean, _ = draws.coordinate_means()
        bias = float(np.max(np.abs(mean - 1.0)))
        return bias, math.nan, f"Monte Carlo (n={n}, linear forms u^T s, see items)", True
    mean, se = _dense_mean(law, n, rng)
    target = np.eye(d)
    z = float(ndtri(1.0 - alpha / (2 * mean.size)))
    dev = np.abs(mean - target)
    bias = float(np.max(dev))
    bound = float(np.max(dev + z * se))
    ok = bool(np.all(dev <= z * se + 1e-12))
    method = f"Monte Carlo (n={n}, Bonferroni z-test, false alarm {alpha:g})"
    return bias, bound, method, ok


#: Draws whose ``lambda_max(S^T S)`` a dense law's ``L_S_max`` is held against, above ``d = 32``
#: (an SVD each); every draw up to it.
L_S_DRAWS = 500


def _dense_sampled_items(law: Sketch, caps, n: int, rng, items: list, alpha: float) -> float:
    """A dense law's closed forms against ``n`` draws of its own (see ``check_sketch``): the
    quadratic forms ``||S u||^2`` (claim ``u^T E[S^T S] u``) at ``N_FORMS + 1`` random unit
    vectors and at the eigenvectors of the claimed ``E[S^T S]`` for its extreme eigenvalues
    (claims ``L_D`` and ``mu_D``); ``(S u)^T A (S u)`` for a random PSD ``A`` at two random
    ``u`` (claim ``u^T sandwich(A) u``); z-tests at family-wise level ``alpha`` (Bonferroni);
    and ``lambda_max(S^T S) <= L_S_max`` in every draw (in the first ``L_S_DRAWS`` draws above
    ``d = 32``). Returns the worst resolution of the z-tests (0 when none ran)."""
    d = law.d
    refusal = _dense_refusal(d, eigh=True)
    if refusal is not None:
        items.append(
            CheckItem(
                name="E[S^T S], sandwich = samples (dense)",
                passed=True,
                detail=f"not checked: {refusal}",
            )
        )
        return 0.0
    second = _claimed(law.second_moment) if "constants" in caps else None
    A = None
    if "sandwich" in caps:
        G = rng.standard_normal((d, d))
        A = G @ G.T / d
        sandwich = _claimed(lambda: law.sandwich(A))
        if sandwich is None:
            A = None
    U = rng.standard_normal((d, N_FORMS + 1))
    U /= np.linalg.norm(U, axis=0)
    labels = [f"random u #{f}" for f in range(U.shape[1])]
    claims = []
    if second is not None:
        second = 0.5 * (second + second.T)
        eig, vec = np.linalg.eigh(second)
        U = np.column_stack([U, vec[:, -1], vec[:, 0]])
        labels += ["top eigenvector (L_D)", "bottom eigenvector (mu_D)"]
        claims = [float(u @ second @ u) for u in U.T[:-2]] + [float(law.L_D), float(law.mu_D)]
    V = U[:, :2]
    L_S_max = float(law.L_S_max) if "constants" in caps else math.inf
    n_svd = n if d <= 32 else min(n, L_S_DRAWS)
    check_cost(
        f"check_sketch: n_samples = {n} draws of a dense law, d = {d}",
        seconds=n * (SECONDS_PER_PYTHON_STEP + 1e-9 * d * d * (U.shape[1] + 4))
        + n_svd * 1e-9 * d**3,
        nbytes=8.0 * n * (U.shape[1] + 2) + 8.0 * d * d * 4,
        hint="Reduce n_samples.",
    )
    forms = np.empty((n, U.shape[1]))
    sandwiched = np.empty((n, 2))
    top = 0.0
    for r in range(n):
        S = _dense_sample(law, rng)
        SU = S @ U
        forms[r] = np.einsum("ij,ij->j", SU, SU)
        if A is not None:
            SV = SU[:, :2]
            sandwiched[r] = np.einsum("ij,ij->j", SV, A @ SV)
        if r < n_svd:
            top = max(top, float(np.linalg.norm(S, 2) ** 2))
    tests: dict[str, list] = {}
    if second is not None:
        tests["E[S^T S] quadratic forms ||S u||^2 = samples (dense)"] = [
            (label, forms[:, f], claim, 0)
            for f, (label, claim) in enumerate(zip(labels, claims, strict=True))
        ]
    if A is not None:
        tests["E[S^T A S] quadratic forms (S u)^T A (S u) = samples, random PSD A (dense)"] = [
            (f"random u #{f}", sandwiched[:, f], float(V[:, f] @ sandwich @ V[:, f]), 0)
            for f in range(2)
        ]
    worst = _run_z_tests(tests, n, items, alpha)[0] if tests else 0.0
    if math.isfinite(L_S_max):
        items.append(
            CheckItem(
                name="L_S_max >= lambda_max(S^T S) in every draw (dense)",
                passed=top <= L_S_max * (1 + ROUND_OFF),
                detail=f"L_S_max = {L_S_max:.6g}, largest sampled lambda_max(S^T S) = "
                f"{top:.6g} over {n_svd} draws",
            )
        )
    return worst


def _sandwich_items(law: Sketch, caps, enumerated, items: list, rng, diagonal: bool) -> None:
    """A law's own ``sandwich(A)`` (which ``MAST`` uses for ``A_D = E[S^T A S]``) and, for a
    dense law, its ``second_moment()``, at a random PSD ``A``: against the enumeration
    ``sum_k pi_k S_k^T A S_k`` where the support is enumerated; for a diagonal law without one,
    against the identity ``E[S A S] = A * E[s s^T]`` with its ``pair_moments()`` (which the
    sampled items hold to the draws). A dense law without a support has its sandwich held to
    its samples in ``_dense_sampled_items``. Exact, within the dense cost guard."""
    own_sandwich = law._overrides("sandwich", DiagonalSketch if diagonal else Sketch)
    if "sandwich" not in caps or _dense_refusal(law.d) is not None:
        return
    if enumerated is None and not (diagonal and own_sandwich):
        return
    G = rng.standard_normal((law.d, law.d))
    A = G @ G.T / law.d
    claimed = _claimed(lambda: law.sandwich(A))
    if claimed is None:
        return
    if enumerated is not None:  # the base class's sums over the atoms (diagonal: A * E[s s^T])
        atoms, w = enumerated
        exact = A * ((atoms.T * w) @ atoms) if diagonal else Sketch.sandwich(law, A)
        source = "enumeration"
    else:
        P = _claimed(law.pair_moments)
        if P is None:
            return
        exact, source = A * np.asarray(P, float), "A * pair_moments() (E[S A S] = A * E[s s^T])"
    claimed = np.asarray(claimed, float)
    if claimed.shape != (law.d, law.d):
        ok, detail = False, f"sandwich(A) has shape {claimed.shape}; expected ({law.d}, {law.d})"
    else:
        ok, err = _close(claimed, exact)
        detail = f"max error {err:.3g} at a random PSD A"
    items.append(CheckItem(name=f"sandwich(A) = {source}", passed=ok, detail=detail))
    if enumerated is not None and not diagonal:
        second = _claimed(law.second_moment)
        if second is not None:
            ok, err = _close(second, Sketch.second_moment(law))
            items.append(
                CheckItem(
                    name="E[S^T S] = enumeration (dense)",
                    passed=ok,
                    detail=f"second_moment(): max error {err:.3g}",
                )
            )


def _claimed(fn):
    """A closed form the law gives, or ``None`` (missing, or refused by the cost guard)."""
    try:
        return fn()
    except (MissingCapability, CostLimitExceeded):
        return None


def _full_pairs(law: DiagonalSketch, caps) -> np.ndarray | None:
    """The law's ``E[s s^T]`` when it has one and the cost guard admits ``d x d``."""
    if "sandwich" not in caps or _dense_refusal(law.d) is not None:
        return None
    return _claimed(law.pair_moments)


def _pair_block(law: DiagonalSketch, caps, T: np.ndarray, P) -> np.ndarray | None:
    """The law's ``E[s_T s_T^T]``: from ``P``, ``pair_moments(idx=T)`` or ``moment``."""
    if P is not None:
        return P[np.ix_(T, T)]
    if "idx" in inspect.signature(law.pair_moments).parameters:
        block = _claimed(lambda: law.pair_moments(idx=T))
        if block is not None:
            return block
    if "moments" in caps and law._overrides("moment", DiagonalSketch):
        out = np.empty((T.size, T.size))
        m = np.zeros(law.d, dtype=np.int64)
        for a in range(T.size):
            for b in range(a, T.size):
                m[T[a]] += 1
                m[T[b]] += 1
                out[a, b] = out[b, a] = law.moment(m)
                m[T[a]] = m[T[b]] = 0
        return out
    return None


def _diagonal_items(law: DiagonalSketch, caps, enumerated, items: list, rng) -> None:
    """Exact consistency of a diagonal law's closed forms (dense parts within the cost guard)."""
    if "sandwich" not in caps:
        return
    refusal = _dense_refusal(law.d, eigh=True)
    if refusal is not None:
        items.append(
            CheckItem(
                name="E[s s^T] symmetric PSD (dense)",
                passed=True,
                detail=f"not formed: {refusal}; its diagonal, sampled pairs and quadratic forms "
                "are compared with samples below",
            )
        )
        return
    P = _claimed(law.pair_moments)
    if P is None:
        return
    P = np.asarray(P, float)
    if P.shape != (law.d, law.d):
        items.append(
            CheckItem(
                name="E[s s^T] shape",
                passed=False,
                detail=f"pair_moments() has shape {P.shape}; expected ({law.d}, {law.d})",
            )
        )
        return
    scale = max(1.0, float(np.max(np.abs(P))))
    sym = float(np.max(np.abs(P - P.T)))
    eig_min = float(np.linalg.eigvalsh(0.5 * (P + P.T))[0])
    diag_min = float(np.min(np.diag(P)))
    items.append(
        CheckItem(
            name="E[s s^T] symmetric PSD, diagonal >= 1",
            passed=sym <= EXACT_RTOL * scale
            and eig_min >= -EXACT_RTOL * scale
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


def _sampled_items(
    law: DiagonalSketch, caps, draws: _Draws, items: list, rng, alpha: float, exact_mean: bool
) -> tuple[float, float]:
    """Every closed form against the law's own draws (see ``check_sketch``).

    Returns the worst resolution over the statistics and an upper confidence bound on the
    average bias ``|E[s_j] - 1|`` over each tested coordinate group (``nan`` if ``exact_mean``).
    """
    d = law.d
    tests: dict[str, list] = {}  # item name -> [(label, values, claim, n_coordinates)]
    sq = draws.sc * draws.sc
    n_groups = min(N_GROUPS, max(1, d // 4))
    group = rng.permutation(d) % n_groups  # balanced random groups
    g_of = group[draws.idx]
    T = np.sort(rng.choice(d, size=min(d, FORM_SIZE), replace=False))
    pos = np.full(d, -1, dtype=np.int64)
    pos[T] = np.arange(T.size)
    on_T = pos[draws.idx] >= 0
    signs = [np.ones(T.size)] + [rng.choice([-1.0, 1.0], size=T.size) for _ in range(N_FORMS)]

    def form(u: np.ndarray, squared: bool = False) -> np.ndarray:
        """``u^T s`` (``sum_j u_j s_j^2`` if ``squared``) in every draw, ``u`` on ``T``."""
        weights = np.zeros(draws.idx.size)
        sc = draws.sc[on_T] ** 2 if squared else draws.sc[on_T]
        weights[on_T] = u[pos[draws.idx[on_T]]] * sc
        return draws.per_draw(weights)

    if not exact_mean:
        rows = []
        if d <= SINGLE_COORDINATES:
            rows += [(f"s_{j}", draws.coordinate(j), 1.0, 1) for j in range(d)]
        for g in range(n_groups):
            size = int(np.sum(group == g))
            rows.append((f"sum over group {g}", draws.per_draw(draws.sc, g_of == g), size, size))
        rows.append(("sum over all coordinates", draws.per_draw(draws.sc), float(d), d))
        for f, u in enumerate(signs[1:], 1):
            rows.append((f"u #{f} on {T.size} coordinates", form(u), float(u.sum()), T.size))
        tests["E[S] = I: linear forms u^T s = samples"] = rows
    D = _claimed_diagonal(law, caps, items)
    if D is not None:
        rows = []
        for g in range(n_groups):
            rows.append(
                (f"group {g}", draws.per_draw(sq, g_of == g), float(D[group == g].sum()), 0)
            )
        rows.append(("all coordinates", draws.per_draw(sq), float(D.sum()), 0))
        for label, j in (("argmax (L_D)", int(np.argmax(D))), ("argmin (mu_D)", int(np.argmin(D)))):
            rows.append((f"{label} j = {j}", draws.coordinate(j) ** 2, float(D[j]), 0))
        tests["E[s_j^2] = samples (groups, all, argmax, argmin)"] = rows
    P_full = _full_pairs(law, caps) if law._overrides("pair_moments", DiagonalSketch) else None
    block = _pair_block(law, caps, T, P_full) if "sandwich" in caps else None
    if block is not None:
        rows = []
        off = block - np.diag(np.diag(block))
        for f, u in enumerate(signs):
            label = f"u {'= 1' if f == 0 else f'#{f}'} on {T.size} coordinates"
            rows.append((label, form(u) ** 2, float(u @ block @ u), 0))
            # the off-diagonal part alone: (u^T s)^2 - sum_j u_j^2 s_j^2
            rows.append(
                (
                    f"{label}, i != j",
                    form(u) ** 2 - form(u * u, squared=True),
                    float(u @ off @ u),
                    0,
                )
            )
        tests["E[s s^T] quadratic forms u^T E[s s^T] u = samples"] = rows
    elif "sandwich" in caps:
        items.append(
            CheckItem(
                name="E[s s^T] quadratic forms = samples",
                passed=True,
                detail=f"not checked: pair_moments() is a dense {d} x {d} matrix beyond the "
                "cost guard; give pair_moments(idx=None) blocks or moment() to have it checked",
            )
        )
    if law._overrides("moment", DiagonalSketch):
        tests["mixed moments (order <= 4) = samples"] = _moment_rows(law, draws, rng)
    worst, mean_bound = _run_z_tests(tests, draws.n, items, alpha)
    if "constants" in caps:
        L_S_max = float(law.L_S_max)
        top = float(np.max(sq, initial=0.0))
        items.append(
            CheckItem(
                name="L_S_max >= max_j s_j^2 in every draw",
                passed=top <= L_S_max * (1 + ROUND_OFF),
                detail=f"L_S_max = {L_S_max:.6g}, largest sampled L_S = {top:.6g}",
            )
        )
    return worst, mean_bound


def _moment_rows(law: DiagonalSketch, draws: _Draws, rng) -> list:
    """One statistic per coincidence pattern of order 1-4: the sum over ``R`` random index
    tuples of ``prod_j s_j^{m_j}`` (claim: the sum of ``moment(m)``). Summing over tuples
    lowers the coefficient of variation, hence the resolution, against a single tuple."""
    d = law.d
    R = max(1, min(MOMENT_TUPLES, MAX_MOMENT_WORK // (11 * d)))
    patterns = [(1,), (2,), (1, 1), (3,), (2, 1), (1, 1, 1), (4,), (2, 2), (3, 1), (2, 1, 1)]
    patterns.append((1, 1, 1, 1))
    rows = []
    m = np.zeros(d, dtype=np.int64)
    for pat in patterns:
        if len(pat) > d:
            continue
        tuples = [rng.choice(d, size=len(pat), replace=False) for _ in range(R)]
        J = np.unique(np.concatenate(tuples))
        cols = draws.columns(J)
        where = {int(j): c for c, j in enumerate(J)}
        vals = np.zeros(draws.n)
        claim = 0.0
        for tup in tuples:
            prod = np.ones(draws.n)
            for j, power in zip(tup, pat, strict=True):
                prod *= cols[:, where[int(j)]] ** power
                m[j] = power
            vals += prod
            claim += float(law.moment(m))
            m[tup] = 0
        rows.append((f"pattern {'+'.join(map(str, pat))} over {R} tuples", vals, claim, 0))
    return rows


def _claimed_diagonal(law: DiagonalSketch, caps, items: list) -> np.ndarray | None:
    """The law's ``E[s_j^2]`` (``second_moment_diag``, or the diagonal of a user's dense
    ``pair_moments()`` within the cost guard), or ``None``."""
    user_pairs_only = law._overrides("pair_moments", DiagonalSketch) and not law._overrides(
        "second_moment_diag", DiagonalSketch
    )
    if not (
        "constants" in caps
        or "sandwich" in caps
        or law._overrides("second_moment_diag", DiagonalSketch)
    ):
        return None
    if user_pairs_only:
        P = _full_pairs(law, caps)
        D = None if P is None else np.diag(np.asarray(P, float))
    else:
        D = _claimed(law.second_moment_diag)
    if D is None:
        return None
    D = np.asarray(D, float)
    if D.shape != (law.d,):
        items.append(
            CheckItem(
                name="E[s_j^2] shape",
                passed=False,
                detail=f"second_moment_diag() has shape {D.shape}; expected ({law.d},)",
            )
        )
        return None
    return D


def _run_z_tests(tests: dict, n: int, items: list, alpha: float) -> tuple[float, float]:
    """The z-tests of ``tests`` at family-wise level ``alpha`` (Bonferroni over the tested
    statistics); statistics with fewer than ``MIN_NONZERO`` nonzero draws are listed, not
    tested. Returns the worst resolution and the bias bound of the linear forms."""
    skipped = []
    for name in tests:
        kept = []
        for row in tests[name]:
            hits = int(np.count_nonzero(row[1]))
            if hits >= MIN_NONZERO or hits == n:
                kept.append(row)
            else:
                skipped.append(f"{row[0]} ({hits} nonzero draws)")
        tests[name] = kept
    n_stats = sum(len(r) for r in tests.values())
    worst, mean_bound = 0.0, math.nan
    z = float(ndtri(1.0 - alpha / (2 * max(n_stats, 1))))
    for name, rows in tests.items():
        if not rows:
            continue
        ok, details, res_item = True, [], math.inf
        for label, values, claim, n_coords in rows:
            good, mean, half, res = _z_test(values, claim, z)
            ok &= good
            res_item = min(res_item, res)
            if n_coords:
                avg = (abs(mean - claim) + half) / n_coords
                mean_bound = avg if math.isnan(mean_bound) else max(mean_bound, avg)
            if not good:
                details.append(f"{label}: claim {claim:.6g}, samples {mean:.6g} +- {half:.3g}")
        worst = max(worst, res_item)
        head = "" if ok else "; ".join(details[:3]) + "; "
        power = (
            "a closed form off in every entry fails (a statistic of zero variance: any error "
            "shows)"
            if res_item == 0
            else f"a closed form off by >= {res_item:.2%} in every entry fails with "
            f"probability >= {POWER}"
        )
        items.append(
            CheckItem(
                name=name,
                passed=bool(ok),
                detail=f"{head}{len(rows)} z-tests at z = {z:.3g} ({n_stats} in all, false "
                f"alarm {alpha:g}); {power}",
            )
        )
    if skipped:
        more = "; ..." if len(skipped) > 4 else ""
        items.append(
            CheckItem(
                name="statistics too rare to test",
                passed=True,
                detail=f"fewer than {MIN_NONZERO} nonzero draws of {n}, not tested: "
                + "; ".join(skipped[:4])
                + more,
            )
        )
    return worst, mean_bound


def _constant_items(law: Sketch, enumerated, items: list, diagonal: bool) -> None:
    _constant_chain(law, items)
    L_D, mu_D, L_S_max = law.L_D, law.mu_D, law.L_S_max
    if diagonal:
        D = (
            _claimed(law.second_moment_diag)
            if (
                law._overrides("second_moment_diag", DiagonalSketch)
                or not law._overrides("pair_moments", DiagonalSketch)
                or _dense_refusal(law.d) is None
            )
            else None
        )
        if D is None:
            return
        extremes, what = (float(np.max(D)), float(np.min(D))), "max/min of E[s_j^2]"
    else:
        refusal = _dense_refusal(law.d, eigh=True)
        if refusal is not None:
            items.append(CheckItem(name="L_D, mu_D (dense)", passed=True, detail=refusal))
            return
        eig = np.linalg.eigvalsh(law.second_moment())
        extremes, what = (float(eig[-1]), float(eig[0])), "extreme eigenvalues of E[S^T S]"
    ok_l, err_l = _close(extremes[0], L_D)
    ok_m, err_m = _close(extremes[1], mu_D)
    items.append(
        CheckItem(
            name=f"L_D, mu_D = {what}",
            passed=ok_l and ok_m,
            detail=f"L_D = {L_D:.6g} vs {extremes[0]:.6g}, mu_D = {mu_D:.6g} vs {extremes[1]:.6g}",
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
