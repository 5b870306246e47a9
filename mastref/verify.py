"""The theorem verifier: measured convergence held against every bound of THEORY.md §5 (§7).

Each check builds an exactly solvable instance (quadratics, or logistic regression with a
finite-support sketch), asks ``mastref.theory`` for the guarantee, measures the bounded quantity,
and reports the tightness ``measured/bound`` over the horizon and a verdict:

* exact measurements (the moment recursion of §6, or deterministic GD): ``holds`` or ``violated``;
* Monte Carlo over ``R`` runs: one-sided normal confidence bounds at false-alarm rate
  ``FALSE_ALARM`` per check (Bonferroni over the recorded steps). ``violated`` when the lower
  confidence bound exceeds the bound somewhere, ``holds`` when the upper one stays below it
  everywhere, ``inconclusive`` otherwise.

``run(...)`` writes ``report.md``, ``results.csv`` and one PNG per check; the CLI is
``mastref verify``.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import norm

from . import theory
from .algorithms import dsgd, gd_mast, l_svrdsg
from .distributed import DistributedProblem
from .exact import expected_distributed_dsgd, expected_dsgd
from .mast import MAST
from .problems import LogisticRegression, Quadratic
from .sketches import Bernoulli, FiniteSketch, Partition, PermutationSketch, RandK

#: False-alarm rate of a Monte Carlo check (probability of a wrong ``violated``).
FALSE_ALARM = 1e-3
#: Relative numerical resolution: values below RESOLUTION times the initial value are round-off.
RESOLUTION = 1e-10
_RTOL = 1e-9


@dataclass
class CheckResult:
    """Outcome of one check; arrays are indexed like ``steps``."""

    name: str
    theorem: str
    instance: str
    quantity: str
    method: str
    gamma_ratio: float
    steps: np.ndarray
    measured: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    bound: np.ndarray
    verdict: str
    notes: list[str] = field(default_factory=list)
    xlabel: str = "step t"
    seconds: float = 0.0
    #: Values at or below this level are round-off; bounds below it are not checked.
    resolution: float = 0.0

    def checked(self) -> np.ndarray:
        """Mask of the entries where the bound is finite and above the numerical resolution."""
        return np.isfinite(self.bound) & (self.bound > self.resolution)

    @property
    def tightness(self) -> np.ndarray:
        """``measured / bound`` on the checked entries (nan elsewhere)."""
        ok = self.checked() & (self.bound > 0)
        out = np.full(self.measured.shape, np.nan)
        out[ok] = self.measured[ok] / self.bound[ok]
        return out

    def judge(self) -> CheckResult:
        """Set ``verdict`` from the confidence bounds on the checked entries."""
        self.verdict = verdict(self.lower, self.upper, self.bound, self.resolution)
        skipped = int(np.sum(np.isfinite(self.bound) & ~self.checked()))
        if skipped:
            self.notes.append(
                f"{skipped} recorded point(s) with a bound below the numerical resolution "
                f"{self.resolution:.2g} are not checked"
            )
        return self


def verdict(lower, upper, bound, resolution: float = 0.0) -> str:
    """``violated`` / ``holds`` / ``inconclusive`` (see the module docstring)."""
    ok = np.isfinite(bound) & (bound > resolution)
    slack = _RTOL * np.abs(bound[ok]) + 1e-15
    if np.any(lower[ok] > bound[ok] + slack):
        return "violated"
    if np.all(upper[ok] <= bound[ok] + slack):
        return "holds"
    return "inconclusive"


def _z(n_steps: int) -> float:
    return float(norm.ppf(1.0 - FALSE_ALARM / max(n_steps, 1)))


def _resolution(measured0: float, bound0: float) -> float:
    scale = max(abs(measured0), abs(bound0) if np.isfinite(bound0) else 0.0)
    return RESOLUTION * scale


def _result(name, g, instance, method, steps, mean, lower, upper, notes, running_min):
    """A judged ``CheckResult``; ``running_min``: the quantity is ``min_{s<t}`` (from t = 1)."""
    res = _resolution(mean[0], float(g.bound(steps[0])) if steps[0] > 0 else mean[0])
    if running_min:
        mean, lower, upper = (np.minimum.accumulate(a)[:-1] for a in (mean, lower, upper))
        steps = steps[1:]
    bound = g.bound(steps)
    return CheckResult(
        name,
        g.name,
        instance,
        g.quantity,
        method,
        _ratio(g),
        steps,
        mean,
        lower,
        upper,
        bound,
        "",
        list(notes) + g.notes,
        resolution=res,
    ).judge()


def _mc_result(name, g, instance, method, steps, samples, notes=(), running_min=False):
    """A Monte Carlo check from per-step samples (n_records, R): one-sided normal bounds."""
    mean = samples.mean(axis=1)
    se = samples.std(axis=1, ddof=1) / np.sqrt(samples.shape[1])
    z = _z(len(steps))
    return _result(
        name, g, instance, method, steps, mean, mean - z * se, mean + z * se, notes, running_min
    )


def _exact_result(name, g, instance, method, steps, values, notes=(), running_min=False):
    """An exact (or deterministic) check: the confidence bounds are the values themselves."""
    return _result(name, g, instance, method, steps, values, values, values, notes, running_min)


def _ratio(g) -> float:
    return g.gamma / g.gamma_max if np.isfinite(g.gamma_max) and g.gamma_max > 0 else float("nan")


# ------------------------------------------------------------------------------------------------
# Instances
# ------------------------------------------------------------------------------------------------


def _quadratic(seed: int, d: int = 8, mu: float = 0.5) -> Quadratic:
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d))
    A = B @ B.T / d + mu * np.eye(d)
    return Quadratic(A, A @ rng.standard_normal(d))


def _shift(problem, kind: str, seed: int) -> np.ndarray:
    if kind == "v0":
        return np.zeros(problem.n_features)
    if kind == "vstar":
        return problem.argmin()
    return np.random.default_rng(seed + 1000).standard_normal(problem.n_features)


def _logistic(seed: int, n: int = 200, d: int = 6, lam: float = 0.05) -> LogisticRegression:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.5)
    return LogisticRegression(X, np.where(rng.random(n) < 0.5, -1.0, 1.0), lam)


# ------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------

_SKETCHES = {
    "randk": lambda d: RandK(d, d // 4),
    "bernoulli": lambda d: Bernoulli(0.5, d),
    "partition": lambda d: Partition(d, 4, seed=0),
}


def _theorem1_quadratic(sketch: str, shift: str, constants: str = "paper") -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        q = _quadratic(1)
        mast = MAST(q, _SKETCHES[sketch](8), shift=_shift(q, shift, 1))
        x0 = np.zeros(8)
        g = theory.theorem1(mast, x0, constants=constants)
        T = 300 if quick else 3000
        e = expected_dsgd(mast, x0, g.gamma, T)
        name = f"theorem1-{sketch}-{shift}" + ("-exact" if constants == "exact" else "")
        notes = [f"Delta = {mast.gap:.4g}"]
        return _exact_result(
            name,
            g,
            f"quadratic d=8, {mast.sketch!r}, {shift}",
            "exact (§6 recursion)",
            e.steps,
            e.dist2,
            notes,
        )

    return check


def _theorem2_quadratic(sketch: str, shift: str) -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        q = _quadratic(2)
        mast = MAST(q, _SKETCHES[sketch](8), shift=_shift(q, shift, 2))
        x0 = np.zeros(8)
        T = 300 if quick else 2000
        g = theory.theorem2(mast, x0, T)
        e = expected_dsgd(mast, x0, g.gamma, T)
        return _exact_result(
            f"theorem2-{sketch}-{shift}",
            g,
            f"quadratic d=8, {mast.sketch!r}, {shift}",
            "exact (§6 recursion)",
            e.steps,
            e.grad_norm2,
            running_min=True,
        )

    return check


def _theorem3_logistic(strongly_convex: bool) -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        lr = _logistic(3)
        mast = MAST(lr, Partition(6, 3, seed=0), shift=0.5 * lr.argmin())
        x0 = np.zeros(6)
        R = 200 if quick else 1000
        tau = 8
        if strongly_convex:
            T = 500 if quick else 3000
            g = theory.theorem3(mast, x0, batch_size=tau, strongly_convex=True)
            tr = dsgd(
                mast,
                x0,
                g.gamma,
                T,
                seed=3,
                n_runs=R,
                oracle="minibatch",
                batch_size=tau,
                geometric=25,
            )
            vals = np.array([mast.values_and_grads(X)[0] for X in tr.iterates]) - mast.inf
            name = "theorem3-sc-logistic-tau8"
            return _mc_result(
                name,
                g,
                "logistic n=200 d=6, Partition(3), tau=8",
                f"Monte Carlo (R={R})",
                tr.steps,
                vals,
            )
        T = 200 if quick else 1000
        g = theory.theorem3(mast, x0, T, batch_size=tau)
        tr = dsgd(
            mast,
            x0,
            g.gamma,
            T,
            seed=4,
            n_runs=R,
            oracle="minibatch",
            batch_size=tau,
            record_every=1,
        )
        vals = np.array([np.sum(mast.values_and_grads(X)[1] ** 2, axis=1) for X in tr.iterates])
        return _mc_result(
            "theorem3-nonconvex-logistic-tau8",
            g,
            "logistic n=200 d=6, Partition(3), tau=8",
            f"Monte Carlo (R={R})",
            tr.steps,
            vals,
            running_min=True,
        )

    return check


def _theorem4(part: str) -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        R = 100 if quick else 500
        if part == "a":
            mast = MAST(
                _quadratic(4, d=6),
                FiniteSketch(*RandK(6, 3).support()),
                shift=np.random.default_rng(4).standard_normal(6),
            )
            g = theory.theorem4(mast, np.zeros(6))
            T, b, inst = (
                (300 if quick else 2000),
                None,
                "quadratic d=6, RandK(3) as N=20 atoms, b=N",
            )
        else:
            atoms = np.array(
                [[1.1, 1.1, 0.9], [0.9, 0.9, 1.1], [1.1, 0.9, 1.1], [0.9, 1.1, 0.9]] * 3
            )
            mast = MAST(
                _quadratic(5, d=3, mu=2.0),
                FiniteSketch(atoms),
                shift=np.random.default_rng(5).standard_normal(3),
            )
            b = 11
            g = theory.theorem4(mast, np.zeros(mast.d), b=b)
            T, inst = (500 if quick else 3000), "quadratic d=3, near-identity law (N=12), b=11"
        tr = l_svrdsg(mast, np.zeros(mast.d), g.gamma, T, seed=6, n_runs=R, b=b, geometric=15)
        phi = theory.svrdsg_lyapunov(g, mast, tr)
        return _mc_result(f"theorem4{part}", g, inst, f"Monte Carlo (R={R})", tr.steps, phi)

    return check


def _theorem5(law: str, strongly_convex: bool) -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        clients = [_quadratic(10 + i, d=6) for i in range(3)]
        sketches = PermutationSketch(6, 3) if law == "permutation" else [RandK(6, 3)] * 3
        dp = DistributedProblem(
            clients, sketches, shift=np.random.default_rng(7).standard_normal(6)
        )
        x0 = np.zeros(6)
        inst = f"3 quadratic clients d=6, {law} sketches"
        if strongly_convex:
            T = 300 if quick else 3000
            g = theory.theorem5(dp, x0, strongly_convex=True)
            e = expected_distributed_dsgd(dp, x0, g.gamma, T)
            return _exact_result(
                f"theorem5-sc-{law}",
                g,
                inst,
                "exact (§6 recursion)",
                e.steps,
                e.dist2,
                [f"Delta_M = {dp.gap:.4g}"],
            )
        T = 300 if quick else 2000
        g = theory.theorem5(dp, x0, T)
        e = expected_distributed_dsgd(dp, x0, g.gamma, T)
        return _exact_result(
            f"theorem5-nonconvex-{law}",
            g,
            inst,
            "exact (§6 recursion)",
            e.steps,
            e.grad_norm2,
            running_min=True,
        )

    return check


def _baseline(quick: bool, data=None) -> CheckResult:
    q = _quadratic(8)
    mast = MAST(q, RandK(8, 2), shift=_shift(q, "vrand", 8))
    g = theory.baseline_gd(mast, np.zeros(8))
    T = 200 if quick else 2000
    tr = gd_mast(mast, np.zeros(8), g.gamma, T, record_every=1)
    vals = np.array([mast.value(x) for x in tr.iterates[:, 0]]) - mast.inf
    return _exact_result(
        "baseline-gd",
        g,
        "quadratic d=8, RandK(2), random v",
        "deterministic",
        tr.steps,
        np.maximum(vals, 0.0),
    )


def _theorem1_logistic(source: str) -> Callable:
    def check(quick: bool, data=None) -> CheckResult:
        if source == "a5a":
            from .data import load_libsvm

            X, y = load_libsvm(Path(data) / "a5a" if Path(data).is_dir() else data, n_features=123)
            lr = LogisticRegression(X, y, 1e-3)
            B, R, T = 4, (20 if quick else 100), (200 if quick else 1000)
            inst = f"a5a (n={lr.n_samples}, d=123, lam=1e-3), Partition(4), v = 0"
        else:
            from .data import synthetic_a5a_like

            X, y = synthetic_a5a_like(400, 20, 5, seed=9)
            lr = LogisticRegression(X, y, 1e-2)
            B, R, T = 4, (200 if quick else 1000), (300 if quick else 2000)
            inst = "synthetic a5a-like (n=400, d=20, lam=1e-2), Partition(4), v = 0"
        mast = MAST(lr, Partition(lr.n_features, B, seed=0))
        x0 = np.zeros(lr.n_features)
        g = theory.theorem1(mast, x0)
        tr = dsgd(mast, x0, g.gamma, T, seed=10, n_runs=R, geometric=20)
        dist2 = np.sum((tr.iterates - mast.argmin()) ** 2, axis=2)
        return _mc_result(
            f"theorem1-logistic-{source}",
            g,
            inst,
            f"Monte Carlo (R={R})",
            tr.steps,
            dist2,
            [f"Delta = {mast.gap:.4g}"],
        )

    return check


# --- qualitative predictions (THEORY.md §7) ------------------------------------------------------


def _interpolation(quick: bool, data=None) -> CheckResult:
    r = _theorem1_quadratic("randk", "vstar")(quick)
    r.name = "interpolation-linear"
    final = r.measured[-1] / r.measured[0]
    r.notes.append(f"Delta = 0: E||x_T - x*||^2 / ||x_0 - x*||^2 = {final:.3g} (no neighbourhood)")
    if not final < 1e-3 and r.verdict == "holds":
        r.verdict = "inconclusive"
    return r


def _sparsity(quick: bool, data=None) -> CheckResult:
    """Contraction factor per step of E||x_t - x*||^2 under interpolation, across K."""
    q = _quadratic(11)
    Ks = np.array([8, 4, 2, 1])
    T = 200 if quick else 1000
    measured, predicted = [], []
    for K in Ks:
        mast = MAST(q, RandK(8, int(K)), shift=q.argmin())
        g = theory.theorem1(mast, np.zeros(8))
        e = expected_dsgd(mast, np.zeros(8), g.gamma, T)
        above = np.flatnonzero(e.dist2 > RESOLUTION * e.dist2[0])[-1]  # before round-off
        measured.append((e.dist2[above] / e.dist2[0]) ** (1.0 / above))
        predicted.append(g.rate)
    measured, predicted = np.array(measured), np.array(predicted)
    v = verdict(measured, measured, predicted)
    slows = bool(np.all(np.diff(measured) > 0))
    notes = [
        f"measured factors {np.round(measured, 6).tolist()} for K = {Ks.tolist()}",
        "slows down as K decreases" if slows else "NO monotone slowdown",
    ]
    if not slows and v == "holds":
        v = "inconclusive"
    return CheckResult(
        "sparsity-slowdown",
        "Theorem 1",
        "quadratic d=8, RandK(K), v = x*",
        "contraction factor",
        "exact (§6 recursion)",
        1.0,
        Ks,
        measured,
        measured,
        measured,
        predicted,
        v,
        notes,
        xlabel="K (coordinates kept of 8)",
    )


def _variance_reduction(quick: bool, data=None) -> CheckResult:
    mast = MAST(
        _quadratic(12, d=6),
        FiniteSketch(*RandK(6, 3).support()),
        shift=np.random.default_rng(12).standard_normal(6),
    )
    x0 = np.zeros(6)
    g = theory.theorem4(mast, x0)
    T, R = (1500 if quick else 6000), (50 if quick else 200)
    tr = l_svrdsg(mast, x0, g.gamma, T, seed=12, n_runs=R, geometric=15)
    dist2 = np.sum((tr.iterates - mast.argmin()) ** 2, axis=2)
    floor = expected_dsgd(mast, x0, g.gamma, T).dist2[-1]
    r = _mc_result(
        "variance-reduction",
        g,
        "quadratic d=6, RandK(3) as N=20 atoms, random v",
        f"Monte Carlo (R={R})",
        tr.steps,
        dist2,
        [f"DSGD at the same step: E||x_T - x*||^2 = {floor:.3g} (its neighbourhood)"],
    )
    r.quantity = "dist2 (bounded by the Lyapunov bound)"
    if r.verdict == "holds" and not r.upper[-1] < 1e-3 * floor:
        r.verdict = "inconclusive"
    r.notes.append(f"L-SVRDSG at T: {r.measured[-1]:.3g} (upper CB {r.upper[-1]:.3g})")
    return r


def _stepsize_sweep(quick: bool, data=None) -> CheckResult:
    q = _quadratic(13)
    mast = MAST(q, RandK(8, 2), shift=_shift(q, "vrand", 13))
    x0 = np.zeros(8)
    g = theory.theorem1(mast, x0)
    ratios = 2.0 ** np.arange(-3, 4)
    T = 200 if quick else 1000
    measured, bound = [], []
    for rho in ratios:
        gamma = rho * g.gamma_max
        measured.append(expected_dsgd(mast, x0, gamma, T).dist2[-1])
        valid = rho <= 1
        bound.append(theory.theorem1(mast, x0, gamma=gamma).bound(T) if valid else np.inf)
    measured, bound = np.array(measured), np.array(bound)
    diverged = ratios[~(measured < np.sum((x0 - mast.argmin()) ** 2))]
    notes = [
        "guarantee ends at gamma/gamma_max = 1 (no bound beyond)",
        f"diverges (E||x_T - x*||^2 > ||x_0 - x*||^2) from gamma/gamma_max = {diverged.min():g}"
        if diverged.size
        else "no divergence up to 8 gamma_max",
    ]
    return CheckResult(
        "stepsize-sweep",
        "Theorem 1",
        "quadratic d=8, RandK(2), random v",
        "dist2 at T",
        "exact (§6 recursion)",
        float("nan"),
        ratios,
        measured,
        measured,
        measured,
        bound,
        verdict(measured, measured, bound),
        notes,
        xlabel="gamma / gamma_max",
    )


def catalogue(with_data: bool = False) -> dict[str, Callable]:
    """Name -> check function ``(quick, data) -> CheckResult``."""
    checks = {}
    for sketch in ("randk", "bernoulli", "partition"):
        for shift in ("v0", "vrand"):
            checks[f"theorem1-{sketch}-{shift}"] = _theorem1_quadratic(sketch, shift)
    checks["theorem1-bernoulli-vrand-exact"] = _theorem1_quadratic("bernoulli", "vrand", "exact")
    checks["theorem1-logistic-synthetic"] = _theorem1_logistic("synthetic")
    if with_data:
        checks["theorem1-logistic-a5a"] = _theorem1_logistic("a5a")
    checks["theorem2-randk-vrand"] = _theorem2_quadratic("randk", "vrand")
    checks["theorem2-bernoulli-v0"] = _theorem2_quadratic("bernoulli", "v0")
    checks["theorem3-sc-logistic-tau8"] = _theorem3_logistic(True)
    checks["theorem3-nonconvex-logistic-tau8"] = _theorem3_logistic(False)
    checks["theorem4a"] = _theorem4("a")
    checks["theorem4b"] = _theorem4("b")
    for law in ("independent", "permutation"):
        checks[f"theorem5-sc-{law}"] = _theorem5(law, True)
        checks[f"theorem5-nonconvex-{law}"] = _theorem5(law, False)
    checks["baseline-gd"] = _baseline
    checks["interpolation-linear"] = _interpolation
    checks["sparsity-slowdown"] = _sparsity
    checks["variance-reduction"] = _variance_reduction
    checks["stepsize-sweep"] = _stepsize_sweep
    return checks


# ------------------------------------------------------------------------------------------------
# Running and reporting
# ------------------------------------------------------------------------------------------------


def run_check(name: str, quick: bool, data=None) -> CheckResult:
    """Run one named check of the catalogue, timed."""
    start = time.perf_counter()
    result = catalogue(with_data=data is not None)[name](quick, data)
    result.seconds = time.perf_counter() - start
    return result


def plot(result: CheckResult, path: Path) -> None:
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


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.4g}"


def table(results: list[CheckResult]) -> str:
    """The final Markdown table."""
    lines = [
        "| check | instance | gamma/gamma_max | measured at T* | bound at T* | max tightness "
        "| verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        tight = r.tightness[r.steps > 0] if r.xlabel == "step t" else r.tightness
        max_t = float(np.nanmax(tight)) if np.any(np.isfinite(tight)) else float("nan")
        ok = r.checked()
        last = np.flatnonzero(ok)[-1] if ok.any() else -1  # last checked point
        lines.append(
            f"| {r.name} | {r.instance} | {_fmt(r.gamma_ratio)} | {_fmt(r.measured[last])} | "
            f"{_fmt(r.bound[last])} | {_fmt(max_t)} | {r.verdict} |"
        )
    return "\n".join(lines)


def write_outputs(results: list[CheckResult], out: Path, quick: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "check",
                "theorem",
                "quantity",
                "method",
                "x",
                "measured",
                "lower",
                "upper",
                "bound",
                "tightness",
                "verdict",
            ]
        )
        for r in results:
            for i in range(r.steps.size):
                w.writerow(
                    [
                        r.name,
                        r.theorem,
                        r.quantity,
                        r.method,
                        r.steps[i],
                        r.measured[i],
                        r.lower[i],
                        r.upper[i],
                        r.bound[i],
                        r.tightness[i],
                        r.verdict,
                    ]
                )
    parts = [
        "# mastref verify report",
        "",
        f"Mode: {'quick' if quick else 'full'}. Monte Carlo false-alarm rate per check: "
        f"{FALSE_ALARM:g} (one-sided normal bounds, Bonferroni over recorded steps).",
        "",
        table(results),
        "",
        "T* is the last recorded point whose bound lies above the numerical resolution "
        f"({RESOLUTION:g} times the initial value); max tightness is over t >= 1.",
        "",
    ]
    for r in results:
        plot(r, out / f"{r.name}.png")
        parts += [
            f"## {r.name}",
            "",
            f"{r.theorem}; {r.instance}; {r.method}; {r.seconds:.1f} s.",
            "",
        ]
        parts += [f"- {n}" for n in r.notes] + ["", f"![{r.name}]({r.name}.png)", ""]
    (out / "report.md").write_text("\n".join(parts))


def run(
    quick: bool = False,
    only: list[str] | None = None,
    out="mastref-verify",
    data=None,
    jobs: int = 1,
    echo: Callable[[str], None] = print,
) -> list[CheckResult]:
    """Run the catalogue (or the checks named in ``only``), print progress and the table, write
    the outputs to ``out``; returns the results."""
    names = list(catalogue(with_data=data is not None))
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; available: {', '.join(names)}")
        names = [n for n in names if n in only]
    results: list[CheckResult] = []
    if jobs == 1:
        stream = (run_check(n, quick, data) for n in names)
    else:
        from joblib import Parallel, delayed

        stream = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(run_check)(n, quick, data) for n in names
        )
    for i, r in enumerate(stream, start=1):
        results.append(r)
        echo(f"[{i}/{len(names)}] {r.name}: {r.verdict} ({r.seconds:.1f} s)")
    write_outputs(results, Path(out), quick)
    echo("")
    echo(table(results))
    echo(f"\nreport: {Path(out) / 'report.md'}")
    return results
