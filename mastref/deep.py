"""The paper's deep-network experiment (THEORY.md §8): pruning robustness of MLPs trained by
ERM and by MAST, ``mastref experiment deep`` (needs the extra ``mastref[jax]``).

For each data set (scikit-learn's bundled 8x8 digits, 10 classes; a5a, or synthetic a5a-like
data without ``data``) and each training seed ``s``: an MLP with ReLU hidden layers and
softmax cross-entropy is pre-trained by ERM (the centre ``v``), then trained further for the
same budget, all starting from ``v``: by plain ERM; by MAST with centre 0 (the shift of the a5a
pruning experiment: ``f_S(x) = f(S x)``, the sketched model is the pruned one rescaled) with
``Bernoulli(1/2)`` (weight-level dropout) and with ``RandK(d, d/2)``; and by MAST with
``Bernoulli(1/2)`` and centre ``v`` (``f(v + S(x - v))``), all through
``mastref.jax.mast_value_and_grad``. Each of the four networks is then pruned by the same
``n_masks`` uniformly random masks at sparsity ``q`` in {0.5, 0.7, 0.9} (a fraction ``q`` of
all parameters set to 0, not rescaled) and its test accuracy measured. Float32 throughout;
JAX, numba and BLAS one thread a process (``mastref.jax.single_thread_env``), ``--jobs``
processes.

Settings (fixed before the runs, not tuned on test accuracy; the same for ERM and MAST): SGD
with momentum 0.9, learning rate 0.02, batch 32, ``epochs`` pre-training epochs and
``epochs`` training epochs. A configuration is ``(data set, seed)``; its JAX key is
``rng_key(seed_base + s)`` (initialisation, minibatch order, sketches) and its masks come from
``default_rng(seed_base + 1000 + s)``, so every backend gives the same numbers. Finished
configurations are recorded in ``out/deep/records/`` (``--resume`` reads them back).
"""

from __future__ import annotations

import importlib.util
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import experiments as ex
from .backend import load_record
from .experiments import _data_name, _data_setting, _sweep, _write_csv, base_seed
from .experiments import load_a5a as _load_a5a
from .jax import mast_value_and_grad, rng_key, single_thread_env
from .sketches import Bernoulli, RandK

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Whether the extra ``mastref[jax]`` (JAX, optax, scikit-learn) is installed.
AVAILABLE = all(importlib.util.find_spec(m) is not None for m in ("jax", "optax", "sklearn"))

#: Pruned fractions of the parameters.
SPARSITIES = (0.5, 0.7, 0.9)
#: Training methods, in the order of the table and of the boxes.
METHODS = (
    "ERM",
    "MAST Bernoulli(1/2), v = 0",
    "MAST RandK(d/2), v = 0",
    "MAST Bernoulli(1/2), v = ERM centre",
)
#: Learning rate, momentum and batch size of every SGD run (pre-training, ERM and MAST).
LR, MOMENTUM, BATCH = 0.02, 0.9, 32


def _dataset(name: str, data, quick: bool, seed: int):
    """``(X_train, y_train, X_test, y_test, hidden)`` in float32 / int labels."""
    if name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        X = (X / 16.0).astype(np.float32)
        perm = np.random.default_rng(seed).permutation(X.shape[0])
        n_test = 597
        te, tr = perm[:n_test], perm[n_test:]
        if quick:
            tr, te = tr[:400], te[:300]
        return X[tr], y[tr], X[te], y[te], (64,)
    Xtr, ytr, Xte, yte = _load_a5a(data, quick, seed)
    dense = [
        np.asarray(M.todense() if hasattr(M, "todense") else M, dtype=np.float32)
        for M in (Xtr, Xte)
    ]
    labels = [((y + 1) // 2).astype(np.int64) for y in (ytr, yte)]
    if quick:
        dense, labels = [dense[0][:400], dense[1][:300]], [labels[0][:400], labels[1][:300]]
    return dense[0], labels[0], dense[1], labels[1], (64,)


def _loss(params, batch):
    import jax
    import jax.numpy as jnp

    logits = _logits(params, batch[0])
    picked = jnp.take_along_axis(logits, batch[1][:, None], axis=1)[:, 0]
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)


def _logits(params, X):
    import jax.numpy as jnp

    h = X
    for W, b in params[:-1]:
        h = jnp.maximum(h @ W + b, 0.0)
    return h @ params[-1][0] + params[-1][1]


def _train(params, v, sketch, X, Y, epochs: int, key):
    """``epochs`` passes of SGD (momentum) over shuffled minibatches, the gradient being plain
    (``sketch = None``) or MAST's ``S^T grad f_B(v + S(x - v))``."""
    return _trainer(sketch, epochs)(params, v, X, Y, key)


_TRAINERS: dict = {}


def _trainer(sketch, epochs: int):
    """The jitted training run for a sketch law (``repr`` identifies Bernoulli and RandK) and a
    number of epochs, compiled once per process and data shape and reused across seeds."""
    import jax
    import optax

    name = (repr(sketch), epochs)
    if name in _TRAINERS:
        return _TRAINERS[name]
    opt = optax.sgd(LR, momentum=MOMENTUM)

    @jax.jit
    def run(params, v, X, Y, key):
        grad_fn = (
            (lambda p, b, k: jax.value_and_grad(_loss)(p, b))
            if sketch is None
            else mast_value_and_grad(_loss, sketch, v)
        )
        n_batches = X.shape[0] // BATCH

        def epoch(carry, _):
            params, state, key = carry
            key, kperm = jax.random.split(key)
            order = jax.random.permutation(kperm, X.shape[0])[: n_batches * BATCH]

            def step(c, idx):
                p, s, k = c
                k, sub = jax.random.split(k)
                _, g = grad_fn(p, (X[idx], Y[idx]), sub)
                updates, s = opt.update(g, s, p)
                return (optax.apply_updates(p, updates), s, k), None

            carry, _ = jax.lax.scan(step, (params, state, key), order.reshape(n_batches, BATCH))
            return carry, None

        (params, _, _), _ = jax.lax.scan(
            epoch, (params, opt.init(params), key), None, length=epochs
        )
        return params

    _TRAINERS[name] = run
    return run


def _jitted_loss():
    """``jax.jit(_loss)``, compiled once per process and data shape."""
    import jax

    if "loss" not in _TRAINERS:
        _TRAINERS["loss"] = jax.jit(_loss)
    return _TRAINERS["loss"]


def _accuracy_fn():
    """Jitted ``(template, flat, masks, X, Y) -> accuracy of unravel(flat * mask) per mask``."""
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    if "accuracy" not in _TRAINERS:

        def accuracies(template, flat, masks, X, Y):
            unravel = ravel_pytree(template)[1]

            def acc(mask):
                return jnp.mean(jnp.argmax(_logits(unravel(flat * mask), X), axis=1) == Y)

            return jax.vmap(acc)(masks)

        _TRAINERS["accuracy"] = jax.jit(accuracies)
    return _TRAINERS["accuracy"]


def _deep_at(config: tuple, *, data, quick: bool, epochs: int, n_masks: int, seed: int) -> dict:
    """One ``(data set, training seed)``: pre-train, train the three ways, prune, evaluate."""
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    name, s = config
    Xtr, ytr, Xte, yte, hidden = _dataset(name, data, quick, seed)
    sizes = (Xtr.shape[1], *hidden, int(max(ytr.max(), yte.max())) + 1)
    k_init, k_pre, k_train = jax.random.split(rng_key(seed + s), 3)
    init_rng = np.random.default_rng(np.asarray(jax.random.key_data(k_init)))
    params = [
        (
            jnp.asarray(init_rng.standard_normal((a, b)) * np.sqrt(2.0 / a), jnp.float32),
            jnp.zeros(b, jnp.float32),
        )
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    X, Y = jnp.asarray(Xtr), jnp.asarray(ytr)
    v = _train(params, params, None, X, Y, epochs, k_pre)  # centre unused: ERM's compiled run
    flat_v = ravel_pytree(v)[0]
    d = int(flat_v.size)
    zero = jax.tree_util.tree_map(jnp.zeros_like, v)
    runs = {
        METHODS[0]: (None, v),
        METHODS[1]: (Bernoulli(d, 0.5), zero),
        METHODS[2]: (RandK(d, d // 2), zero),
        METHODS[3]: (Bernoulli(d, 0.5), v),
    }
    trained = {m: _train(v, c, S, X, Y, epochs, k_train) for m, (S, c) in runs.items()}
    Xt, Yt = jnp.asarray(Xte), jnp.asarray(yte)

    def accuracies(flat, masks):
        return _accuracy_fn()(v, flat, masks, Xt, Yt)

    mask_rng = np.random.default_rng(seed + 1000 + s)
    out = {
        "d": d,
        "sizes": list(sizes),
        "n_train": int(Xtr.shape[0]),
        "n_test": int(Xte.shape[0]),
    }
    ones = jnp.ones((1, d), jnp.float32)
    out["centre_unpruned"] = float(accuracies(flat_v, ones)[0])
    masks = {}
    for q in SPARSITIES:
        K = int(round((1 - q) * d))
        M = np.zeros((n_masks, d), dtype=np.float32)
        for i in range(n_masks):
            M[i, mask_rng.choice(d, K, replace=False)] = 1.0
        masks[q] = jnp.asarray(M)
    for m, p in trained.items():
        flat = ravel_pytree(p)[0]
        out[f"{m}|unpruned"] = float(accuracies(flat, ones)[0])
        out[f"{m}|train_loss"] = float(_jitted_loss()(p, (X, Y)))
        for q in SPARSITIES:
            out[f"{m}|{q:g}"] = np.asarray(accuracies(flat, masks[q]), dtype=np.float64)
    return out


def run_deep(
    data=None,
    out="experiments",
    quick: bool = False,
    rng: int | np.random.Generator | None = 0,
    *,
    n_seeds: int | None = None,
    epochs: int | None = None,
    n_masks: int | None = None,
    datasets: tuple = ("digits", "a5a"),
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> dict:
    """Pruning robustness of MLPs trained by ERM and by MAST (see the module docstring).

    Full run: 3 training seeds, 30 + 30 epochs, 200 masks per sparsity; ``quick``: 400
    training and 300 test points, 2 seeds, 2 + 2 epochs, 20 masks. Writes ``deep.csv`` (the
    quartiles over all masks and seeds), ``deep.md`` (the median table) and ``deep.png`` (box
    plots) to ``out/deep/``; returns the medians. ``n_seeds``, ``epochs``, ``n_masks`` and
    ``datasets`` override these; the other arguments are those of ``run_pruning``.
    """
    for key, value in single_thread_env().items():
        os.environ.setdefault(key, value)
    seed = base_seed(rng)
    n_seeds = (2 if quick else 3) if n_seeds is None else n_seeds
    epochs = (2 if quick else 30) if epochs is None else epochs
    n_masks = (20 if quick else 200) if n_masks is None else n_masks
    if not datasets or any(name not in ("digits", "a5a") for name in datasets):
        raise ValueError(f"argument 'datasets' = {datasets!r} must name 'digits' and/or 'a5a'")
    datasets = tuple(datasets)
    configs = [(name, s) for name in datasets for s in range(n_seeds)]
    results = _sweep(
        "deep",
        partial(_deep_at, data=data, quick=quick, epochs=epochs, n_masks=n_masks, seed=seed),
        configs,
        [f"{name}-seed{s}" for name, s in configs],
        out=out,
        settings={
            "quick": quick,
            "data": _data_setting(data),
            "seed": seed,
            "epochs": epochs,
            "n_masks": n_masks,
            "lr": LR,
            "momentum": MOMENTUM,
            "batch": BATCH,
        },
        backend=backend,
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        resume=resume,
        progress=progress,
    )
    by_config = dict(zip(configs, results, strict=True))
    summary, boxes = summarise(by_config, epochs=epochs, data_name=_data_name(data))
    out_dir = Path(out) / "deep"
    rows = []
    for name in datasets:
        for m in METHODS:
            for q in SPARSITIES:
                a = boxes[name, m, q]
                q1, med, q3 = np.quantile(a, [0.25, 0.5, 0.75])
                unpruned = summary[f"unpruned|{name}|{m}"]
                rows.append([name, m, q, med, q1, q3, a.mean(), a.min(), a.max(), unpruned])
    _write_csv(
        out_dir / "deep.csv",
        ["data", "model", "q", "median", "q25", "q75", "mean", "min", "max", "unpruned_mean"],
        rows,
    )
    (out_dir / "deep.md").write_text(median_table(summary))
    ex._save_figure(deep_figure(summary, boxes), out_dir / "deep.png")
    return summary


def summarise(by_config: dict, *, epochs: int, data_name: str = "a5a") -> tuple[dict, dict]:
    """``(summary, boxes)`` from the per-configuration results ``{(data set, seed): record}``
    of a run with ``epochs`` pre-training and training epochs.

    ``summary``: medians over all masks of all seeds (``"median|DATA|METHOD|q"``), unpruned
    accuracies averaged over seeds (``"unpruned|DATA|METHOD"``), ``"d|DATA"``, the data sets,
    ``"n_seeds"``, ``"n_masks"``, ``"epochs"`` and ``"labels"``; ``boxes[DATA, METHOD, q]``: the
    accuracies of every mask of every seed.
    """
    datasets = tuple(dict.fromkeys(name for name, _ in by_config))
    summary: dict = {
        "datasets": datasets,
        "labels": {"digits": "digits", "a5a": data_name},
        "epochs": epochs,
    }
    boxes: dict = {}
    for name in datasets:
        res = [r for (n_, _), r in by_config.items() if n_ == name]
        for m in METHODS:
            for q in SPARSITIES:
                boxes[name, m, q] = np.concatenate([np.asarray(r[f"{m}|{q:g}"]) for r in res])
                summary[f"median|{name}|{m}|{q:g}"] = float(np.median(boxes[name, m, q]))
            summary[f"unpruned|{name}|{m}"] = float(np.mean([r[f"{m}|unpruned"] for r in res]))
        summary[f"d|{name}"] = res[0]["d"]
        summary["n_seeds"] = len(res)
        summary["n_masks"] = len(res[0][f"{METHODS[0]}|{SPARSITIES[0]:g}"])
    return summary, boxes


def load_results(directory) -> tuple[dict, dict]:
    """``summarise`` of a finished run's records (``OUT/deep``, e.g.
    ``verification/experiments/deep``), without running anything."""
    records = Path(directory) / "records"
    settings = load_record(records / "settings.json")
    by_config = {}
    for path in sorted(records.glob("*-seed*.json")):
        name, seed = path.stem.rsplit("-seed", 1)
        by_config[name, int(seed)] = load_record(path)
    order = sorted(by_config, key=lambda c: (c[0] != "digits", c[1]))
    data_name = _data_name(settings.get("data"))
    return summarise(
        {c: by_config[c] for c in order}, epochs=settings["epochs"], data_name=data_name
    )


def median_table(summary: dict) -> str:
    """The Markdown table of median test accuracies (all masks of all seeds) per data set,
    method and sparsity, with the unpruned accuracy (mean over seeds)."""
    datasets, labels = summary["datasets"], summary["labels"]
    head = "| data | model | unpruned | " + " | ".join(f"q = {q:g}" for q in SPARSITIES) + " |"
    lines = [head, "|" + "---|" * (3 + len(SPARSITIES))]
    for name in datasets:
        for m in METHODS:
            cells = " | ".join(f"{summary[f'median|{name}|{m}|{q:g}']:.3f}" for q in SPARSITIES)
            lines.append(
                f"| {labels[name]} | {m} | {summary[f'unpruned|{name}|{m}']:.3f} | {cells} |"
            )
    return "\n".join(lines) + "\n"


def deep_figure(summary: dict, boxes: dict, fig: Figure | None = None) -> Figure:
    """One panel per data set: per sparsity, a box per method over every mask of every seed
    (drawn into ``fig`` if given, e.g. a pyplot figure, else into a new ``Figure``)."""
    from matplotlib.figure import Figure

    datasets, labels = summary["datasets"], summary["labels"]
    n_seeds, n_masks, epochs = summary["n_seeds"], summary["n_masks"], summary["epochs"]
    fig = Figure(figsize=(11, 5.6)) if fig is None else fig
    axes = np.atleast_1d(fig.subplots(1, len(datasets)))
    colours = ("#9ecae1", "#fdae6b", "#a1d99b", "#bcbddc")
    width = 0.2
    for ax, name in zip(axes, datasets, strict=True):
        pos = np.arange(len(SPARSITIES))
        for j, (m, c) in enumerate(zip(METHODS, colours, strict=True)):
            drawn = ax.boxplot(
                [boxes[name, m, q] for q in SPARSITIES],
                positions=pos + (j - 1.5) * width,
                widths=0.8 * width,
                patch_artist=True,
                whis=(0, 100),
                medianprops={"color": "k"},
            )
            for patch in drawn["boxes"]:
                patch.set_facecolor(c)
        ax.set_xticks(pos, [f"{q:g}" for q in SPARSITIES])
        ax.set_xlabel("pruned fraction q of all parameters (uniformly random masks)")
        ax.set_ylabel("test accuracy")
        ax.set_title(f"{labels[name]}: MLP, d = {summary[f'd|{name}']}", fontsize=10)
    fig.suptitle(
        f"Random pruning of MLPs trained by ERM and by MAST, all from the same ERM network v, "
        f"on {' and '.join(labels[n] for n in datasets)}\n"
        f"boxes: quartiles, whiskers min-max over {n_masks} masks x {n_seeds} seeds; SGD lr {LR}, "
        f"momentum {MOMENTUM}, batch {BATCH}, {epochs} + {epochs} epochs, float32",
        fontsize=9,
    )
    for ax in axes:
        for m, c in zip(METHODS, colours, strict=True):
            unpruned = ", ".join(
                f"{labels[n]} {summary[f'unpruned|{n}|{m}']:.3f}" for n in datasets
            )
            ax.plot([], [], "s", color=c, label=f"{m} (unpruned: {unpruned})")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig
