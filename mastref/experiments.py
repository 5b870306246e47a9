"""Reproductions of the paper's experiments on LIBSVM a5a (THEORY.md §8).

Four experiments, each ``run_<name>(data, out, quick, rng)``: it writes PNG figures and a CSV of
the numbers behind them to ``out/<name>/`` and returns a summary dict. ``data`` is the directory
holding ``a5a`` and ``a5a.t`` (or ``None``: synthetic a5a-like data); ``quick`` subsamples the
data and shortens the runs (for tests). ``rng`` is an int seed (a Generator or ``None`` draws
one), from which every configuration derives its own seed; nothing is downloaded.

* ``pruning``: test accuracy of randomly pruned ERM and MAST (RandK) solutions across sparsities.
* ``subsampling``: Algorithm 1-II with tau-nice minibatches on the finite-sum MAST loss.
* ``distributed``: Algorithm 4 with Bernoulli sketches vs the standard loss (S_i = I).
* ``stepsize``: loss after T steps versus gamma / gamma_theory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._validation import as_generator
from .algorithms import distributed_dsgd, dsgd
from .data import load_libsvm, synthetic_a5a_like
from .distributed import DistributedProblem
from .mast import MAST
from .problems import LogisticRegression
from .sketches import Bernoulli, Identity, Partition, RandK
from .theorems import theorem3

#: Default l2 regularisation (THEORY.md §8 suggests 1e-3).
LAMBDA = 1e-3


def base_seed(rng: int | np.random.Generator | None) -> int:
    """The experiment's integer seed: ``rng`` itself, or one drawn from a Generator/``None``."""
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return int(rng)
    return int(as_generator(rng).integers(2**31))


def load_a5a(data, quick: bool, seed: int = 0):
    """``(X_train, y_train, X_test, y_test)``: a5a/a5a.t from ``data`` or synthetic a5a-like data.

    ``quick`` keeps a random 1500 training and 3000 test rows.
    """
    rng = np.random.default_rng(seed)
    if data is None:
        X, y = synthetic_a5a_like(6414 + 8000, 123, 14, rng=seed)
        Xtr, ytr, Xte, yte = X[:6414], y[:6414], X[6414:], y[6414:]
    else:
        data = Path(data)
        Xtr, ytr = load_libsvm(data / "a5a", n_features=123)
        Xte, yte = load_libsvm(data / "a5a.t", n_features=123)
    if quick:
        tr = np.sort(rng.choice(Xtr.shape[0], 1500, replace=False))
        te = np.sort(rng.choice(Xte.shape[0], 3000, replace=False))
        Xtr, ytr, Xte, yte = Xtr[tr], ytr[tr], Xte[te], yte[te]
    return Xtr, ytr, Xte, yte


def accuracy(X, y, W: np.ndarray) -> np.ndarray:
    """Test accuracy of each model (rows of ``W``); a zero score predicts -1 (the majority)."""
    scores = np.asarray(X @ W.T)
    pred = np.where(scores > 0, 1.0, -1.0)
    return np.mean(pred == y[:, None], axis=0)


def _write_csv(path: Path, header: list[str], rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _solve_mast_dsgd(mast: MAST, x_start, n_steps: int, seed: int) -> tuple[np.ndarray, dict]:
    """Algorithm 1 at the Theorem 1 step ``1/L_max`` from ``x_start``; the average of the last
    half of the iterates; accuracy stated as a Monte Carlo ``||grad f_D||`` with its SE."""
    gamma = 1.0 / mast.L_max
    half = n_steps // 2
    tr = dsgd(mast, x_start, gamma, n_steps, rng=seed, record_at=np.arange(half, n_steps + 1))
    x_bar = tr.iterates[:, 0].mean(axis=0)
    mean, se = mast.estimate_grad(x_bar, n_samples=400, rng=seed + 1)
    return x_bar, {
        "gamma": gamma,
        "steps": n_steps,
        "grad_norm": float(np.linalg.norm(mean)),
        "grad_norm_se": float(np.linalg.norm(se)),
    }


# ------------------------------------------------------------------------------------------------
# 1. pruning
# ------------------------------------------------------------------------------------------------


def run_pruning(
    data=None,
    out="experiments",
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
    n_masks: int = 200,
) -> dict:
    """ERM vs MAST (RandK, v = 0) solutions under random pruning of a fraction q of coordinates.

    ERM is solved exactly (cvxpy + Newton). MAST at sparsity q (K = round((1-q) d) kept) is
    solved by Algorithm 1 at the Theorem 1 step, warm-started at the ERM solution, averaging the
    last half of the iterates; its accuracy is reported as a Monte Carlo ``||grad f_D||``.
    Each solution is pruned by ``n_masks`` uniformly random masks keeping K coordinates.
    """
    seed = base_seed(rng)
    Xtr, ytr, Xte, yte = load_a5a(data, quick, seed)
    erm = LogisticRegression(Xtr, ytr, lam)
    x_erm = erm.argmin()
    d = erm.n_features
    qs = np.round(np.arange(0.1, 1.0, 0.1), 1)
    rng = np.random.default_rng(seed)
    rows, box_erm, box_mast, summary = [], [], [], {"q": qs.tolist()}
    acc_erm_full = float(accuracy(Xte, yte, x_erm[None])[0])
    mast_full = []
    steps = 4000 if quick else 40000
    for q in qs:
        K = int(round((1 - q) * d))
        mast = MAST(erm, RandK(d, K))
        x_mast, info = _solve_mast_dsgd(mast, x_erm, steps, seed + int(q * 100))
        masks = np.zeros((n_masks, d))
        for m in range(n_masks):
            masks[m, rng.choice(d, K, replace=False)] = 1.0
        a_erm = accuracy(Xte, yte, masks * x_erm)
        a_mast = accuracy(Xte, yte, masks * x_mast)
        mast_full.append(float(accuracy(Xte, yte, x_mast[None])[0]))
        box_erm.append(a_erm)
        box_mast.append(a_mast)
        for name, a in (("ERM", a_erm), ("MAST", a_mast)):
            q1, med, q3 = np.quantile(a, [0.25, 0.5, 0.75])
            rows.append(
                [
                    q,
                    K,
                    name,
                    med,
                    q1,
                    q3,
                    a.mean(),
                    a.min(),
                    a.max(),
                    acc_erm_full if name == "ERM" else mast_full[-1],
                    info["grad_norm"] if name == "MAST" else 0.0,
                    info["grad_norm_se"] if name == "MAST" else 0.0,
                ]
            )
        summary[f"median_erm_{q:g}"] = float(np.median(a_erm))
        summary[f"median_mast_{q:g}"] = float(np.median(a_mast))
        summary[f"pruned_erm_{q:g}"] = a_erm
        summary[f"pruned_mast_{q:g}"] = a_mast
    out = Path(out) / "pruning"
    _write_csv(
        out / "pruning.csv",
        [
            "q",
            "K",
            "model",
            "median",
            "q25",
            "q75",
            "mean",
            "min",
            "max",
            "unpruned",
            "mast_grad_norm_mc",
            "mast_grad_norm_se",
        ],
        rows,
    )
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    pos = np.arange(qs.size)
    b1 = ax.boxplot(box_erm, positions=pos - 0.18, widths=0.3, patch_artist=True, showfliers=False)
    b2 = ax.boxplot(box_mast, positions=pos + 0.18, widths=0.3, patch_artist=True, showfliers=False)
    for patch in b1["boxes"]:
        patch.set_facecolor("#9ecae1")
    for patch in b2["boxes"]:
        patch.set_facecolor("#fdae6b")
    ax.axhline(acc_erm_full, color="#3182bd", ls="--", label=f"ERM unpruned ({acc_erm_full:.3f})")
    ax.plot(pos + 0.18, mast_full, "x", color="#e6550d", label="MAST_q unpruned")
    ax.plot([], [], "s", color="#9ecae1", label="ERM, pruned")
    ax.plot([], [], "s", color="#fdae6b", label="MAST_q, pruned")
    ax.set_xticks(pos, [f"{q:.1f}" for q in qs])
    ax.set_xlabel("pruned fraction q (MAST trained with RandK at the same q)")
    ax.set_ylabel(f"test accuracy ({n_masks} random masks)")
    ax.set_title(f"Pruning robustness, l2-logistic regression (lam={lam:g})")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "pruning.png", dpi=120)
    plt.close(fig)
    summary.update({"erm_unpruned": acc_erm_full, "mast_unpruned": mast_full, "lam": lam})
    return summary


# ------------------------------------------------------------------------------------------------
# 2. subsampling
# ------------------------------------------------------------------------------------------------


def run_subsampling(
    data=None,
    out="experiments",
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
) -> dict:
    """Algorithm 1-II on the finite-sum MAST loss with tau in {1, 8, 64, n}.

    The sketch is a fixed Partition into 2 blocks (sparsity 0.5), so f_D is an exact finite sum
    and f_D^inf is exact (cvxpy + Newton). Each tau runs at the step of the strongly convex
    corollary of Theorem 3 (with its tau-nice ABC constants); the bound is drawn against the mean
    over R runs.
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    f = LogisticRegression(Xtr, ytr, lam)
    mast = MAST(f, Partition(f.n_features, 2, rng=seed), shift=None)
    n = f.n_samples
    x0 = np.zeros(f.n_features)
    R = 5 if quick else 10
    T = 2000 if quick else 20000
    rows, summary = [], {}
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    f_inf = mast.inf
    for tau in (1, 8, 64, n):
        g = theorem3(mast, x0=x0, batch_size=tau, strongly_convex=True)
        tr = dsgd(
            mast,
            x0,
            g.gamma,
            T,
            rng=seed + tau,
            n_runs=R,
            oracle="minibatch",
            batch_size=tau,
            geometric=40,
        )
        value_gaps = np.array([mast.values_and_grads(Xk)[0] for Xk in tr.iterates]) - f_inf
        mean = value_gaps.mean(axis=1)
        passes = tr.counters["samples"][:, 0] / n
        bound = g.bound(tr.steps)
        for k in range(tr.steps.size):
            rows.append(
                [
                    tau,
                    tr.steps[k],
                    passes[k],
                    mean[k],
                    value_gaps[k].std(ddof=1) / np.sqrt(R),
                    bound[k],
                    g.gamma,
                ]
            )
        label = f"tau={tau}" if tau < n else f"tau=n={n}"
        (line,) = axes[0].plot(tr.steps, mean, label=label)
        axes[0].plot(tr.steps, bound, "--", color=line.get_color(), lw=0.8)
        axes[1].plot(passes, mean, label=label, color=line.get_color())
        summary[f"value_gap_T_tau{tau}"] = float(mean[-1])
        summary[f"bound_T_tau{tau}"] = float(bound[-1])
        summary[f"gamma_tau{tau}"] = g.gamma
    for ax, xl in zip(axes, ("step t", "data passes (samples / n)"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("E f_D(x_t) - f_D^inf")
        ax.legend(fontsize=8)
    axes[0].set_title("measured (solid) vs Theorem 3 bound (dashed)")
    axes[1].set_title("cost in data passes")
    fig.tight_layout()
    out = Path(out) / "subsampling"
    _write_csv(
        out / "subsampling.csv",
        ["tau", "step", "data_passes", "value_gap_mean", "value_gap_se", "theorem3_bound", "gamma"],
        rows,
    )
    fig.savefig(out / "subsampling.png", dpi=120)
    plt.close(fig)
    summary["n"] = n
    return summary


# ------------------------------------------------------------------------------------------------
# 3. distributed
# ------------------------------------------------------------------------------------------------


def run_distributed(
    data=None,
    out="experiments",
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
) -> dict:
    """Algorithm 4 with M in {4, 16}, homogeneous and label-heterogeneous splits, Bernoulli
    sketches p in {0.9, 0.5, 0.1} against the standard loss (S_i = I).

    Every configuration runs the same number of rounds at the default step of Theorem 5
    (nonconvex, ``1/sqrt(L_F A T)``) of its own sketch law; reported are the standard loss
    ``f(x_t) - f^inf``, ``||grad f(x_t)||^2`` and the coordinates sent to the clients.
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    whole = LogisticRegression(Xtr, ytr, lam)
    f_inf = whole.inf
    d = whole.n_features
    T = 300 if quick else 3000
    R = 3
    rows, summary = [], {}
    plt = _plt()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for col, M in enumerate((4, 16)):
        for split, style in (("homogeneous", "-"), ("heterogeneous", ":")):
            for p in (1.0, 0.9, 0.5, 0.1):
                law = Identity(d) if p == 1.0 else Bernoulli(p, d)
                dp = DistributedProblem.from_data(Xtr, ytr, lam, M, law, split=split, rng=seed)
                gamma = 1.0 / np.sqrt(dp.L_F * dp.A * T)
                tr = distributed_dsgd(dp, np.zeros(d), gamma, T, rng=seed, n_runs=R, geometric=30)
                loss = np.array([[whole.value(x) for x in Xk] for Xk in tr.iterates]) - f_inf
                gn = np.array([[np.sum(whole.grad(x) ** 2) for x in Xk] for Xk in tr.iterates])
                coords = tr.counters["coords_down"].mean(axis=1)
                for k in range(tr.steps.size):
                    rows.append(
                        [M, split, p, tr.steps[k], coords[k], loss[k].mean(), gn[k].mean(), gamma]
                    )
                name = "standard (S=I)" if p == 1.0 else f"Bernoulli p={p}"
                if split == "homogeneous":
                    axes[0, col].plot(tr.steps, loss.mean(1), style, label=name)
                    axes[1, col].plot(coords, loss.mean(1), style, label=name)
                else:
                    axes[0, col].plot(tr.steps, loss.mean(1), style, color="0.5", lw=0.8)
                summary[f"M{M}_{split}_p{p}_loss"] = float(loss[-1].mean())
                summary[f"M{M}_{split}_p{p}_coords"] = float(coords[-1])
        axes[0, col].set_title(f"M = {M}: solid homogeneous, dotted split by label")
        axes[1, col].set_title(f"M = {M}, homogeneous: loss vs communication")
        for ax, xl in ((axes[0, col], "round t"), (axes[1, col], "coordinates sent to clients")):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel(xl)
            ax.set_ylabel("f(x_t) - f^inf (standard loss)")
            ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out) / "distributed"
    _write_csv(
        out / "distributed.csv",
        ["M", "split", "p", "round", "coords_down", "loss_value_gap", "grad_norm2", "gamma"],
        rows,
    )
    fig.savefig(out / "distributed.png", dpi=120)
    plt.close(fig)
    return summary


# ------------------------------------------------------------------------------------------------
# 4. step size
# ------------------------------------------------------------------------------------------------


def run_stepsize(
    data=None,
    out="experiments",
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
) -> dict:
    """Loss after T steps of Algorithm 1 (RandK, v = 0, x_0 = 0) versus gamma / gamma_theory,
    gamma_theory = 1/L_max of Theorem 1, for sparsities q in {0.1, 0.5, 0.9}.

    Reported: the MAST loss f_D(x_T) (Monte Carlo, 200 sketches) and the standard loss f(x_T),
    means over R runs. "Stops improving": the smallest ratio above the best one whose loss is more
    than 1% above the best; "diverges": the smallest ratio ending above f_D(x_0) = log 2.
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    f = LogisticRegression(Xtr, ytr, lam)
    d = f.n_features
    ratios = 2.0 ** np.arange(-2, 9)
    T = 300 if quick else 3000
    R = 3
    rows, summary = [], {}
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for q in (0.1, 0.5, 0.9):
        K = int(round((1 - q) * d))
        mast = MAST(f, RandK(d, K))
        gamma_theory = 1.0 / mast.L_max
        losses = []
        for r in ratios:
            with np.errstate(over="ignore", invalid="ignore"):
                tr = dsgd(mast, np.zeros(d), r * gamma_theory, T, rng=seed, n_runs=R, record_at=[T])
                finite = np.all(np.isfinite(tr.final), axis=1)
                fD = [
                    mast.estimate_value(x, n_samples=200, rng=seed)[0] if ok else np.inf
                    for x, ok in zip(tr.final, finite, strict=True)
                ]
                fx = [f.value(x) if ok else np.inf for x, ok in zip(tr.final, finite, strict=True)]
            loss = float(np.mean(fD)) if np.all(np.isfinite(fD)) else np.inf
            losses.append(loss)
            rows.append([q, K, r, r * gamma_theory, loss, float(np.mean(fx)), int(np.sum(~finite))])
        losses = np.array(losses)
        best = int(np.argmin(losses))
        # f_D(x_0) = log 2 at x_0 = v = 0: "diverged" means ending worse than the start
        worse = ratios[~np.isfinite(losses) | (losses > np.log(2))]
        stalls = ratios[(ratios > ratios[best]) & ~(losses <= 1.01 * losses[best])]
        summary[f"best_ratio_q{q}"] = float(ratios[best])
        summary[f"stops_improving_from_q{q}"] = float(stalls.min()) if stalls.size else np.inf
        summary[f"diverges_from_q{q}"] = float(worse.min()) if worse.size else float("inf")
        ax.plot(ratios, np.where(np.isfinite(losses), losses, np.nan), "o-", label=f"q = {q}")
    ax.axvline(1.0, color="k", ls="--", lw=0.8, label="gamma_theory = 1/L_max")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("gamma / gamma_theory")
    ax.set_ylabel(f"f_D(x_T), T = {T} (Monte Carlo)")
    ax.set_title("Step-size guidance (missing points: diverged)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(out) / "stepsize"
    _write_csv(
        out / "stepsize.csv", ["q", "K", "ratio", "gamma", "fD_T", "f_T", "runs_diverged"], rows
    )
    fig.savefig(out / "stepsize.png", dpi=120)
    plt.close(fig)
    return summary


EXPERIMENTS: dict[str, Callable[..., dict]] = {
    "pruning": run_pruning,
    "subsampling": run_subsampling,
    "distributed": run_distributed,
    "stepsize": run_stepsize,
}
