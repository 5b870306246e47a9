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

Each experiment is a sweep over configurations (pruning: the sparsities q; subsampling: the
batch sizes tau; distributed: the (M, split, p) grid; stepsize: the (q, gamma/gamma_theory)
pairs) run through ``mastref.backend.map_tasks`` (``backend``: serial, joblib or Dask; ``jobs``
workers). A configuration's seed is a function of the experiment's seed and of the
configuration itself (as stated in each experiment), never of the worker that runs it, so every
backend gives the same numbers. Each finished configuration is recorded in
``out/<name>/records/`` as it completes; ``resume=True`` (``mastref experiment NAME --resume``)
reads those back instead of running them again, with the same results.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import backend as bk
from ._validation import as_generator
from ._version import __version__
from .algorithms import distributed_dsgd, dsgd
from .data import load_a5a as _load_a5a_file
from .data import synthetic_a5a_like
from .distributed import DistributedProblem
from .mast import MAST
from .problems import LogisticRegression
from .sketches import Bernoulli, Identity, Partition, RandK
from .theorems import theorem3
from .verify.result import FALSE_ALARM, z_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
        Xtr, ytr = _load_a5a_file(data, "a5a")
        Xte, yte = _load_a5a_file(data, "a5a.t")
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
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    bk.write_atomic(path, lambda tmp: tmp.write_text(buf.getvalue(), newline=""))


def _save_figure(fig: Figure, path: Path) -> None:
    from .plotting import save_figure

    bk.write_atomic(path, lambda tmp: save_figure(fig, tmp, dpi=120))


def _sweep(
    name: str,
    fn: Callable,
    configs: list,
    keys: list[str],
    *,
    out,
    settings: dict,
    backend: str | None,
    jobs: int,
    scheduler: str | None,
    client,
    resume: bool,
    progress: bool | None,
) -> list:
    """``fn`` over the configurations through ``map_tasks``, each finished one recorded in
    ``out/<name>/records/<key>.json`` (``resume``: the recorded ones are read back)."""
    settings = {**settings, "version": __version__}
    root = Path(out) / name / "records"
    with bk.RecordStore(root, settings, resume=resume, kind="experiment") as store:
        return bk.map_tasks(
            fn,
            configs,
            keys=keys,
            store=store,
            backend=backend,
            n_jobs=jobs,
            scheduler=scheduler,
            client=client,
            progress=progress,
            desc=f"experiment {name}",
        )


def _data_setting(data) -> str | None:
    return None if data is None else str(Path(data).resolve())


def _data_name(data) -> str:
    """The data in words, for titles."""
    return "synthetic a5a-like data" if data is None else "a5a"


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


def _prune_at(
    q: float,
    *,
    erm: LogisticRegression,
    x_erm: np.ndarray,
    Xte,
    yte: np.ndarray,
    masks: dict,
    steps: int,
    seed: int,
) -> dict:
    """One sparsity ``q``: MAST (RandK, K kept) solved from ``x_erm`` with seed
    ``seed + int(100 q)``; both solutions pruned by the masks drawn for ``q``."""
    d = erm.n_features
    keep = masks[f"{q:g}"]
    K = keep.shape[1]
    mast = MAST(erm, RandK(d, K))
    x_mast, info = _solve_mast_dsgd(mast, x_erm, steps, seed + int(q * 100))
    pruned = np.zeros((keep.shape[0], d))
    pruned[np.arange(keep.shape[0])[:, None], keep] = 1.0
    return {
        "info": info,
        "a_erm": accuracy(Xte, yte, pruned * x_erm),
        "a_mast": accuracy(Xte, yte, pruned * x_mast),
        "mast_full": float(accuracy(Xte, yte, x_mast[None])[0]),
    }


def run_pruning(
    data=None,
    out="experiments",
    *,
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
    n_masks: int = 200,
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> dict:
    """ERM vs MAST (RandK, v = 0) solutions under random pruning of a fraction q of coordinates.

    ERM is solved exactly (cvxpy + Newton). MAST at sparsity q (K = round((1-q) d) kept) is
    solved by Algorithm 1 at the Theorem 1 step, warm-started at the ERM solution, averaging the
    last half of the iterates (seed ``seed + int(100 q)``); its accuracy is reported as a Monte
    Carlo ``||grad f_D||``. Each solution is pruned by ``n_masks`` uniformly random masks
    keeping K coordinates, drawn from ``default_rng(seed)`` in the order q = 0.1, ..., 0.9.
    The sparsities run through ``map_tasks`` (``backend``, ``jobs``, ``scheduler``,
    ``client``, ``progress`` as there; ``resume``: see the module docstring).
    """
    seed = base_seed(rng)
    Xtr, ytr, Xte, yte = load_a5a(data, quick, seed)
    erm = LogisticRegression(Xtr, ytr, lam)
    x_erm = erm.argmin()
    d = erm.n_features
    qs = np.round(np.arange(0.1, 1.0, 0.1), 1)
    mask_rng = np.random.default_rng(seed)
    masks = {}
    for q in qs:
        K = int(round((1 - q) * d))
        masks[f"{q:g}"] = np.array([mask_rng.choice(d, K, replace=False) for _ in range(n_masks)])
    acc_erm_full = float(accuracy(Xte, yte, x_erm[None])[0])
    steps = 4000 if quick else 40000
    results = _sweep(
        "pruning",
        partial(
            _prune_at, erm=erm, x_erm=x_erm, Xte=Xte, yte=yte, masks=masks, steps=steps, seed=seed
        ),
        [float(q) for q in qs],
        [f"q{q:g}" for q in qs],
        out=out,
        settings={
            "quick": quick,
            "data": _data_setting(data),
            "seed": seed,
            "lam": lam,
            "n_masks": n_masks,
        },
        backend=backend,
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        resume=resume,
        progress=progress,
    )
    rows, box_erm, box_mast, summary = [], [], [], {"q": qs.tolist()}
    mast_full = []
    for q, res in zip(qs, results, strict=True):
        K = int(round((1 - q) * d))
        a_erm, a_mast, info = res["a_erm"], res["a_mast"], res["info"]
        mast_full.append(res["mast_full"])
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
    fig = _pruning_figure(
        qs, box_erm, box_mast, acc_erm_full, mast_full, n_masks=n_masks, lam=lam, data=data
    )
    _save_figure(fig, out / "pruning.png")
    summary.update({"erm_unpruned": acc_erm_full, "mast_unpruned": mast_full, "lam": lam})
    return summary


def _pruning_figure(
    qs, box_erm, box_mast, acc_erm_full: float, mast_full, *, n_masks: int, lam: float, data
) -> Figure:
    """Test accuracy of the pruned ERM and MAST_q solutions per sparsity q (boxes over the
    random masks), the unpruned accuracies marked."""
    from matplotlib.figure import Figure

    from .plotting import settle_legends

    fig = Figure(figsize=(9, 4.8))
    ax = fig.subplots()
    pos = np.arange(len(qs))
    colours = {"ERM": ("#9ecae1", "#3182bd"), "MAST": ("#fdae6b", "#e6550d")}
    for boxes, shift, (face, _) in (
        (box_erm, -0.18, colours["ERM"]),
        (box_mast, 0.18, colours["MAST"]),
    ):
        drawn = ax.boxplot(
            boxes,
            positions=pos + shift,
            widths=0.3,
            patch_artist=True,
            whis=(0, 100),  # whiskers at the extremes: every mask is inside the frame
            medianprops={"color": "k"},
        )
        for patch in drawn["boxes"]:
            patch.set_facecolor(face)
    ax.axhline(
        acc_erm_full, color=colours["ERM"][1], ls="--", label=f"ERM unpruned ({acc_erm_full:.3f})"
    )
    ax.plot(pos + 0.18, mast_full, "x", color=colours["MAST"][1], label="MAST_q unpruned")
    ax.plot(
        [],
        [],
        "s",
        color=colours["ERM"][0],
        label=f"ERM pruned: quartiles, whiskers min-max of {n_masks} masks",
    )
    ax.plot([], [], "s", color=colours["MAST"][0], label=f"MAST_q pruned: the same {n_masks} masks")
    ax.set_xticks(pos, [f"{q:.1f}" for q in qs])
    ax.set_xlabel("pruned fraction q (MAST_q trained with RandK keeping K = round((1 − q) d))")
    ax.set_ylabel("test accuracy (fraction of test points)")
    ax.set_title(
        f"Pruning robustness, ℓ2-logistic regression (λ = {lam:g}) on {_data_name(data)}\n"
        "MAST_q: Algorithm 1 at γ = γ_max = 1/L_max of Theorem 1; ERM: exact minimiser",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    settle_legends(fig)  # inside where it covers no box, else outside
    return fig


# ------------------------------------------------------------------------------------------------
# 2. subsampling
# ------------------------------------------------------------------------------------------------


def _subsample_at(
    tau: int, *, mast: MAST, x0: np.ndarray, f_inf: float, R: int, T: int, seed: int
) -> dict:
    """One batch size ``tau``: ``R`` runs of Algorithm 1-II at Theorem 3's step, seed
    ``seed + tau``; the value gaps' mean and standard error, the data passes and the bound."""
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
    return {
        "steps": tr.steps,
        "passes": tr.counters["samples"][:, 0] / mast.problem.n_samples,
        "mean": value_gaps.mean(axis=1),
        "se": np.array([gaps.std(ddof=1) / np.sqrt(R) for gaps in value_gaps]),
        "bound": g.bound(tr.steps),
        "gamma": g.gamma,
    }


def run_subsampling(
    data=None,
    out="experiments",
    *,
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> dict:
    """Algorithm 1-II on the finite-sum MAST loss with tau in {1, 8, 64, n}.

    The sketch is a fixed Partition into 2 blocks, so f_D is an exact finite sum and f_D^inf is
    exact (cvxpy + Newton). Each tau runs at the step of the strongly convex corollary of
    Theorem 3 (with its tau-nice ABC constants), seed ``seed + tau``; the bound is drawn against
    the mean over R runs. The batch sizes run through ``map_tasks`` (arguments as in
    ``run_pruning``).
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    f = LogisticRegression(Xtr, ytr, lam)
    mast = MAST(f, Partition(f.n_features, 2, rng=seed), shift=None)
    n = f.n_samples
    x0 = np.zeros(f.n_features)
    R = 5 if quick else 10
    T = 2000 if quick else 20000
    taus = [1, 8, 64, n]
    results = _sweep(
        "subsampling",
        partial(_subsample_at, mast=mast, x0=x0, f_inf=mast.inf, R=R, T=T, seed=seed),
        taus,
        [f"tau{tau}" for tau in taus],
        out=out,
        settings={"quick": quick, "data": _data_setting(data), "seed": seed, "lam": lam},
        backend=backend,
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        resume=resume,
        progress=progress,
    )
    rows, summary = [], {}
    for tau, res in zip(taus, results, strict=True):
        steps, passes, mean, bound = res["steps"], res["passes"], res["mean"], res["bound"]
        for k in range(steps.size):
            rows.append([tau, steps[k], passes[k], mean[k], res["se"][k], bound[k], res["gamma"]])
        summary[f"value_gap_T_tau{tau}"] = float(mean[-1])
        summary[f"bound_T_tau{tau}"] = float(bound[-1])
        summary[f"gamma_tau{tau}"] = res["gamma"]
    out = Path(out) / "subsampling"
    _write_csv(
        out / "subsampling.csv",
        ["tau", "step", "data_passes", "value_gap_mean", "value_gap_se", "theorem3_bound", "gamma"],
        rows,
    )
    claims = [theorem3(mast, x0=x0, batch_size=tau, strongly_convex=True) for tau in taus]
    fig = _subsampling_figure(taus, results, claims, n=n, R=R, law=repr(mast.sketch), data=data)
    _save_figure(fig, out / "subsampling.png")
    summary["n"] = n
    return summary


def _subsampling_figure(taus, results, claims, *, n: int, R: int, law: str, data) -> Figure:
    """One panel per batch size: the Monte Carlo mean of the value gap with its confidence band
    against the Theorem 3 bound and its neighbourhood; and the means against data passes."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .plotting import (
        band_entry,
        draw_bound,
        draw_measured,
        quantity_label,
        set_y_frame,
        step_text,
        y_frame,
    )

    fig = Figure(figsize=(16, 8.8))
    axes = fig.subplot_mosaic([["0", "1", "cost"], ["2", "3", "cost"]])
    widest = 0.0
    cost = axes["cost"]
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for k, (tau, res, g) in enumerate(zip(taus, results, claims, strict=True)):
        ax, colour = axes[str(k)], colours[k % len(colours)]
        t = np.asarray(res["steps"], dtype=float)
        keep = t >= 1  # a logarithmic t axis
        mean, bound = res["mean"][keep], res["bound"][keep]
        half = z_value(t.size) * res["se"][keep]  # the verifier's one-sided bounds
        widest = max(widest, float(np.nanmax(half)))
        draw_measured(
            ax,
            t[keep],
            mean,
            lower=mean - half,
            upper=mean + half,
            color=colour,
            label=f"measured: Monte Carlo mean of {R} runs",
            band_label="_nolegend_",  # the figure legend speaks for the four panels
        )
        draw_bound(ax, t[keep], bound, neighbourhood=g.floor, label="Theorem 3 bound")
        set_y_frame(ax, y_frame(mean, mean + half, bound, [g.floor]))
        ax.set_xscale("log")
        name = f"τ = {tau}" if tau < n else f"τ = n = {n}"
        ax.set_title(
            f"{name}: γ = {g.gamma:.2g}, {step_text(g.gamma, g.gamma_max)}; "
            f"neighbourhood {g.floor:.3g}",
            fontsize=10,
        )
        ax.set_xlabel("iteration t")
        ax.set_ylabel(quantity_label("value_gap"))
        cost.plot(res["passes"][keep], mean, color=colour, lw=2, label=name)
    means = [res["mean"][np.asarray(res["steps"]) >= 1] for res in results]
    set_y_frame(cost, y_frame(*means))
    cost.set_xscale("log")
    cost.set_xlabel("data passes (samples drawn / n)")
    cost.set_ylabel(quantity_label("value_gap") + " (Monte Carlo mean)")
    cost.set_title("the same runs against their cost", fontsize=10)
    cost.legend(fontsize=8)
    fig.suptitle(
        "Theorem 3 (strongly convex): Algorithm 1-II with τ-nice minibatches, ℓ2-logistic "
        f"regression on {_data_name(data)} (n = {n}), {law}, v = 0"
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # room for the legend below
    entries = [
        (Line2D([], [], color="0.3", lw=2), f"measured: Monte Carlo mean of {R} runs (colour: τ)"),
        (Line2D([], [], color="k", ls="--"), "Theorem 3 bound"),
        (Line2D([], [], color="k", ls=":"), "its neighbourhood (floor)"),
    ]
    if widest > 0:  # draw_measured drew the bands; the entry says whether they can be seen
        fig.draw_without_rendering()
        panels = [axes[str(k)] for k in range(len(taus))]
        band = f"confidence band (one-sided, false alarm {FALSE_ALARM:g})"
        entries.insert(1, band_entry(panels, widest, band))
    fig.legend(  # one legend for the four panels, drawn alike
        *zip(*entries, strict=True),
        loc="lower left",
        bbox_to_anchor=(0.02, 0.0),
        ncol=4,
        fontsize=8.5,
    )
    return fig


# ------------------------------------------------------------------------------------------------
# 3. distributed
# ------------------------------------------------------------------------------------------------


def _distributed_at(
    config: tuple,
    *,
    Xtr,
    ytr: np.ndarray,
    lam: float,
    whole,
    f_inf: float,
    T: int,
    R: int,
    seed: int,
) -> dict:
    """One ``(M, split, p)``: ``R`` runs of Algorithm 4 at ``1/sqrt(L_F A T)``, seed ``seed``
    for every configuration (common random numbers across the grid)."""
    M, split, p = config
    d = whole.n_features
    law = Identity(d) if p == 1.0 else Bernoulli(d, p)
    dp = DistributedProblem.from_data(Xtr, ytr, lam, M, law, split=split, rng=seed)
    gamma = 1.0 / np.sqrt(dp.L_F * dp.A * T)
    tr = distributed_dsgd(dp, np.zeros(d), gamma, T, rng=seed, n_runs=R, geometric=30)
    loss = np.array([[whole.value(x) for x in Xk] for Xk in tr.iterates]) - f_inf
    gn = np.array([[np.sum(whole.grad(x) ** 2) for x in Xk] for Xk in tr.iterates])
    return {
        "steps": tr.steps,
        "coords": tr.counters["coords_down"].mean(axis=1),
        "loss": loss,
        "gn": gn,
        "gamma": gamma,
    }


def run_distributed(
    data=None,
    out="experiments",
    *,
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> dict:
    """Algorithm 4 with M in {4, 16}, homogeneous and label-heterogeneous splits, Bernoulli
    sketches p in {0.9, 0.5, 0.1} against the standard loss (S_i = I).

    Every configuration runs the same number of rounds at the default step of Theorem 5
    (nonconvex, ``1/sqrt(L_F A T)``) of its own sketch law, all with seed ``seed``; reported are
    the standard loss ``f(x_t) - f^inf``, ``||grad f(x_t)||^2`` and the coordinates sent to the
    clients. The 16 configurations run through ``map_tasks`` (arguments as in
    ``run_pruning``).
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    whole = LogisticRegression(Xtr, ytr, lam)
    T = 300 if quick else 3000
    R = 3
    configs = [
        (M, split, p)
        for M in (4, 16)
        for split in ("homogeneous", "heterogeneous")
        for p in (1.0, 0.9, 0.5, 0.1)
    ]
    results = _sweep(
        "distributed",
        partial(
            _distributed_at,
            Xtr=Xtr,
            ytr=ytr,
            lam=lam,
            whole=whole,
            f_inf=whole.inf,
            T=T,
            R=R,
            seed=seed,
        ),
        configs,
        [f"M{M}-{split}-p{p:g}" for M, split, p in configs],
        out=out,
        settings={"quick": quick, "data": _data_setting(data), "seed": seed, "lam": lam},
        backend=backend,
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        resume=resume,
        progress=progress,
    )
    rows, summary = [], {}
    for (M, split, p), res in zip(configs, results, strict=True):
        steps, coords, loss, gn = res["steps"], res["coords"], res["loss"], res["gn"]
        for k in range(steps.size):
            rows.append(
                [M, split, p, steps[k], coords[k], loss[k].mean(), gn[k].mean(), res["gamma"]]
            )
        summary[f"M{M}_{split}_p{p}_loss"] = float(loss[-1].mean())
        summary[f"M{M}_{split}_p{p}_coords"] = float(coords[-1])
    out = Path(out) / "distributed"
    _write_csv(
        out / "distributed.csv",
        ["M", "split", "p", "round", "coords_down", "loss_value_gap", "grad_norm2", "gamma"],
        rows,
    )
    _save_figure(_distributed_figure(configs, results, R=R, data=data), out / "distributed.png")
    return summary


def _distributed_figure(configs, results, *, R: int, data) -> Figure:
    """Per number of clients: the standard loss per round (homogeneous and label-split shards)
    and against the coordinates sent, Monte Carlo means with their confidence bands."""
    from matplotlib.figure import Figure

    from .plotting import band_entry, draw_measured, set_y_frame, y_frame

    fig = Figure(figsize=(12, 8.6))
    axes = fig.subplots(2, 2)
    colours = {1.0: "k", 0.9: "tab:blue", 0.5: "tab:orange", 0.1: "tab:red"}
    framed: dict = {0: [], 1: []}
    widest = [0.0, 0.0]
    for (M, split, p), res in zip(configs, results, strict=True):
        col = (4, 16).index(M)
        t = np.asarray(res["steps"], dtype=float)
        keep = t >= 1  # logarithmic axes
        loss = np.asarray(res["loss"])[keep]
        mean = loss.mean(axis=1)
        framed[col].append(mean)
        name = "standard loss (S_i = I)" if p == 1.0 else f"Bernoulli(p = {p:g})"
        if split == "homogeneous":
            half = z_value(t.size) * loss.std(axis=1, ddof=1) / np.sqrt(loss.shape[1])
            widest[col] = max(widest[col], float(np.nanmax(half)))
            band = {"lower": mean - half, "upper": mean + half}
            draw_measured(
                axes[0, col],
                t[keep],
                mean,
                **band,
                color=colours.get(p),
                label=name,
                band_label="_nolegend_",
            )
            draw_measured(
                axes[1, col],
                np.asarray(res["coords"])[keep],
                mean,
                **band,
                color=colours.get(p),
                label=name,
                band_label="_nolegend_",
            )
        else:
            axes[0, col].plot(t[keep], mean, ":", color=colours.get(p), lw=1.5)
    for col, M in enumerate((4, 16)):
        top, bottom = axes[0, col], axes[1, col]
        top.plot([], [], "k:", lw=1.5, label="dotted: shards split by label")
        for ax in (top, bottom):
            set_y_frame(ax, y_frame(*framed[col]))
            ax.set_xscale("log")
            ax.set_ylabel(f"f(x_t) − f^inf, standard loss (mean of {R} runs)")
        top.set_xlabel("round t")
        top.set_title(
            f"M = {M} clients: solid homogeneous shards, dotted split by label", fontsize=10
        )
        bottom.set_xlabel("coordinates sent to the clients (cumulative)")
        bottom.set_title(
            f"M = {M} clients, homogeneous shards: loss against communication", fontsize=10
        )
    fig.suptitle(
        f"Algorithm 4 (distributed DSGD), ℓ2-logistic regression on {_data_name(data)}: "
        "Bernoulli(p) sketches per client\nagainst the standard loss, each at γ = 1/√(L_F A T) "
        "of Theorem 5 (nonconvex) for its own law",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # room for the legend below
    handles, labels = axes[0, 0].get_legend_handles_labels()  # the four panels: same colours
    if any(ax.collections for ax in axes.flat):  # bands (draw_measured: where runs differ)
        fig.draw_without_rendering()
        band = f"bands: one-sided confidence, false alarm {FALSE_ALARM:g}"
        handle, label = band_entry(list(axes.flat), max(widest), band)
        handles, labels = [*handles, handle], [*labels, label]
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8.5)
    return fig


# ------------------------------------------------------------------------------------------------
# 4. step size
# ------------------------------------------------------------------------------------------------


def _stepsize_at(config: tuple, *, f: LogisticRegression, T: int, R: int, seed: int) -> dict:
    """One ``(q, ratio)``: ``R`` runs of Algorithm 1 (RandK at sparsity q) at ``ratio / L_max``
    from 0, seed ``seed`` for every pair (common random numbers across the sweep); the Monte
    Carlo ``f_D(x_T)`` (200 sketches) and ``f(x_T)``, means over the runs."""
    q, ratio = config
    d = f.n_features
    K = int(round((1 - q) * d))
    mast = MAST(f, RandK(d, K))
    gamma_theory = 1.0 / mast.L_max
    with np.errstate(over="ignore", invalid="ignore"):
        tr = dsgd(mast, np.zeros(d), ratio * gamma_theory, T, rng=seed, n_runs=R, record_at=[T])
        finite = np.all(np.isfinite(tr.final), axis=1)
        fD = [
            mast.estimate_value(x, n_samples=200, rng=seed)[0] if ok else np.inf
            for x, ok in zip(tr.final, finite, strict=True)
        ]
        fx = [f.value(x) if ok else np.inf for x, ok in zip(tr.final, finite, strict=True)]
    return {
        "K": K,
        "gamma": ratio * gamma_theory,
        "loss": float(np.mean(fD)) if np.all(np.isfinite(fD)) else np.inf,
        "f_T": float(np.mean(fx)),
        "diverged": int(np.sum(~finite)),
    }


def run_stepsize(
    data=None,
    out="experiments",
    *,
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    lam: float = LAMBDA,
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> dict:
    """Loss after T steps of Algorithm 1 (RandK, v = 0, x_0 = 0) versus gamma / gamma_theory,
    gamma_theory = 1/L_max of Theorem 1, for sparsities q in {0.1, 0.5, 0.9}.

    Reported: the MAST loss f_D(x_T) (Monte Carlo, 200 sketches) and the standard loss f(x_T),
    means over R runs. "Stops improving": the smallest ratio above the best one whose loss is more
    than 1% above the best; "diverges": the smallest ratio ending above f_D(x_0) = log 2. The
    33 (q, ratio) pairs run through ``map_tasks`` (arguments as in ``run_pruning``).
    """
    seed = base_seed(rng)
    Xtr, ytr, _, _ = load_a5a(data, quick, seed)
    f = LogisticRegression(Xtr, ytr, lam)
    ratios = 2.0 ** np.arange(-2, 9)
    qs = (0.1, 0.5, 0.9)
    T = 300 if quick else 3000
    R = 3
    configs = [(q, float(r)) for q in qs for r in ratios]
    results = _sweep(
        "stepsize",
        partial(_stepsize_at, f=f, T=T, R=R, seed=seed),
        configs,
        [f"q{q:g}-ratio{r:g}" for q, r in configs],
        out=out,
        settings={"quick": quick, "data": _data_setting(data), "seed": seed, "lam": lam},
        backend=backend,
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        resume=resume,
        progress=progress,
    )
    rows, summary = [], {}
    curves = []
    for j, q in enumerate(qs):
        mine = results[j * ratios.size : (j + 1) * ratios.size]
        for r, res in zip(ratios, mine, strict=True):
            rows.append([q, res["K"], r, res["gamma"], res["loss"], res["f_T"], res["diverged"]])
        losses = np.array([res["loss"] for res in mine])
        curves.append(losses)
        best = int(np.argmin(losses))
        # f_D(x_0) = log 2 at x_0 = v = 0: "diverged" means ending worse than the start
        worse = ratios[~np.isfinite(losses) | (losses > np.log(2))]
        stalls = ratios[(ratios > ratios[best]) & ~(losses <= 1.01 * losses[best])]
        summary[f"best_ratio_q{q}"] = float(ratios[best])
        summary[f"stops_improving_from_q{q}"] = float(stalls.min()) if stalls.size else np.inf
        summary[f"diverges_from_q{q}"] = float(worse.min()) if worse.size else float("inf")
    out = Path(out) / "stepsize"
    _write_csv(
        out / "stepsize.csv", ["q", "K", "ratio", "gamma", "fD_T", "f_T", "runs_diverged"], rows
    )
    fig = _stepsize_figure(ratios, qs, curves, T=T, R=R, data=data)
    _save_figure(fig, out / "stepsize.png")
    return summary


def _stepsize_figure(ratios, qs, curves, *, T: int, R: int, data) -> Figure:
    """``f_D(x_T)`` against ``γ / γ_max`` per sparsity: one tick per ratio, ``γ_max`` of
    Theorem 1 marked, the start ``f_D(x_0) = log 2`` drawn, diverged runs at the top."""
    from matplotlib.figure import Figure

    from .plotting import (
        draw_off_scale,
        mark_gamma_max,
        set_y_frame,
        settle_legends,
        sweep_axis,
        y_frame,
    )

    fig = Figure(figsize=(9, 5))
    ax = fig.subplots()
    colours = ("tab:blue", "tab:orange", "tab:green")
    for q, losses, colour in zip(qs, curves, colours, strict=False):
        finite = np.isfinite(losses)
        ax.plot(ratios[finite], losses[finite], "o-", color=colour, label=f"q = {q:g}")
        draw_off_scale(ax, ratios[~finite], losses[~finite], color=colour)
    if any((~np.isfinite(c)).any() for c in curves):
        ax.plot([], [], "^", color="0.5", label="diverged (a run overflowed): above the frame")
    ax.axhline(
        np.log(2), color="0.4", ls=":", label="start f_D(x_0) = log 2 (above: worse than the start)"
    )
    set_y_frame(ax, y_frame(*curves, [np.log(2)]))
    sweep_axis(ax, ratios)
    mark_gamma_max(ax, label="γ_max = 1/L_max of Theorem 1")
    ax.set_xlabel("step size γ / γ_max")
    ax.set_ylabel(f"f_D(x_T) at T = {T} (Monte Carlo, mean of {R} runs)")
    ax.set_title(
        f"Step-size sweep: Algorithm 1 with RandK at sparsity q, ℓ2-logistic regression on "
        f"{_data_name(data)}\nf_D(x_T) estimated over 200 sketches per run, x_0 = v = 0",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    settle_legends(fig)
    return fig


EXPERIMENTS: dict[str, Callable[..., dict]] = {
    "pruning": run_pruning,
    "subsampling": run_subsampling,
    "distributed": run_distributed,
    "stepsize": run_stepsize,
}
