"""
The paper's experiments on a5a
==============================

:mod:`mastref.experiments` reproduces the four experiments of :ref:`theory-experiments` on
ℓ2-regularised logistic regression with ``λ = 1e-3``: robustness to random pruning, Algorithm 1-II
with minibatches, distributed training with Bernoulli sketches, and step-size guidance. Each
``run_<name>(data, out, quick, rng)`` writes a CSV of its numbers (and a figure) to
``out/<name>/`` and returns a summary; the figures below are drawn from the CSVs.

This page runs them in **quick mode** (1500 training and 3000 test rows, short runs) so that
it builds in about half a minute. The data: the LIBSVM files ``a5a`` and ``a5a.t`` when a
directory holding them is found (the environment variable ``MASTREF_DATA``, or ``shared/data``
next to the repository), otherwise the package's synthetic a5a-like data
(:func:`mastref.synthetic_a5a_like`: 123 binary features, 14 per row), so the page never needs
a download. The text printed below says which was used. The command-line equivalent is
``mastref experiment NAME --quick [--data DIR]``; the full runs are described in
``verification/EXPERIMENTS.md``.
"""

import csv
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from mastref import experiments
from mastref.plotting import draw_off_scale, settle_legends


def find_a5a():
    """A directory holding a5a and a5a.t, or None (synthetic a5a-like data)."""
    try:
        here = Path(__file__).resolve().parent
    except NameError:  # in a notebook
        here = Path.cwd()
    candidates = [os.environ.get("MASTREF_DATA")] + [
        str(p / "shared" / "data") for p in here.parents
    ]
    for c in candidates:
        if c and (Path(c) / "a5a").is_file() and (Path(c) / "a5a.t").is_file():
            return Path(c)
    return None


def read_csv(path):
    """Columns of a CSV as arrays (numbers where they parse)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        try:
            out[key] = np.array(values, dtype=float)
        except ValueError:
            out[key] = np.array(values)
    return out


data = find_a5a()
print("data:", f"LIBSVM a5a from {data}" if data else "synthetic a5a-like (a5a not found)")
source = "a5a" if data else "synthetic a5a-like data"
out = Path(tempfile.mkdtemp())

# %%
# Pruning robustness
# ------------------
# ERM is solved exactly; MAST at sparsity ``q`` (RandK keeping ``(1 − q)d`` coordinates,
# ``v = 0``) by Algorithm 1 at the Theorem 1 step, warm-started at the ERM solution. Each
# solution is then pruned by 200 random masks keeping the same number of coordinates. The
# paper's finding: the MAST solutions lose less accuracy.

summary = experiments.run_pruning(data=data, out=out, quick=True, rng=0)
p = read_csv(out / "pruning" / "pruning.csv")
fig, ax = plt.subplots(figsize=(8, 4.6))
for model, colour, shift in (("ERM", "tab:blue", -0.012), ("MAST", "tab:orange", 0.012)):
    m = p["model"] == model
    q = p["q"][m]
    ax.errorbar(
        q + shift,
        p["median"][m],
        yerr=[p["median"][m] - p["q25"][m], p["q75"][m] - p["median"][m]],
        fmt="o-",
        color=colour,
        capsize=3,
        label=f"{model}, pruned: median and quartiles of 200 masks",
    )
    if model == "ERM":  # one solution for every q: a line, not a row of markers
        ax.axhline(p["unpruned"][m][0], color=colour, ls="--", lw=1, label="ERM, unpruned")
    else:  # MAST is trained anew at each q
        ax.plot(q + shift, p["unpruned"][m], "x", color=colour, ms=8, label="MAST, unpruned")
ax.set_xlabel("fraction of coordinates pruned q (MAST trained with RandK at the same q)")
ax.set_ylabel("test accuracy")
ax.set_title(f"Pruning robustness of ERM and MAST solutions ({source}, quick)")
ax.legend(fontsize=8)
settle_legends(fig)
median = {model: p["median"][p["model"] == model] for model in ("ERM", "MAST")}
print("median accuracy at q = 0.9:", {k: round(float(v[-1]), 3) for k, v in median.items()})
assert np.all(median["MAST"] >= median["ERM"]) and median["MAST"][-1] > median["ERM"][-1] + 0.01

# %%
# **Conclusion.** At every pruned fraction the median pruned MAST solution is at least as
# accurate as the pruned ERM solution, and at ``q = 0.9`` it leads by more than one point of
# accuracy (the two medians are printed above).

# %%
# Minibatches (Algorithm 1-II)
# ----------------------------
# A fixed partition into 2 blocks makes ``f_D`` an exact finite sum, so ``f_D^inf`` is exact.
# Each batch size ``τ`` runs at the step of the strongly convex form of Theorem 3 with its
# τ-nice constants; solid: mean over the runs, dashed: the bound.

experiments.run_subsampling(data=data, out=out, quick=True, rng=0)
s = read_csv(out / "subsampling" / "subsampling.csv")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
for tau in np.unique(s["tau"]):
    m = (s["tau"] == tau) & (s["step"] > 0)
    label = f"τ = {tau:g}" if tau < s["tau"].max() else f"τ = n = {tau:g}"
    # later (larger τ) curves thinner, so that coinciding ones stay visible
    width = 5.0 - 1.2 * int(np.flatnonzero(np.unique(s["tau"]) == tau)[0])
    (line,) = ax1.plot(s["step"][m], s["value_gap_mean"][m], lw=width, label=f"{label}: measured")
    ax1.plot(
        s["step"][m],
        s["theorem3_bound"][m],
        "--",
        color=line.get_color(),
        lw=1,
        label=f"{label}: Theorem 3 bound",
    )
    ax2.plot(
        s["data_passes"][m], s["value_gap_mean"][m], lw=width, color=line.get_color(), label=label
    )
    assert np.all(s["value_gap_mean"][m] <= s["theorem3_bound"][m])
ax1.set_xlabel("iteration t")
ax1.set_title("measured against the Theorem 3 bound", fontsize=10)
ax2.set_xlabel("data passes (samples drawn / n)")
ax2.set_title("the same runs against their cost", fontsize=10)
for ax in (ax1, ax2):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\mathbf{E}\,f_D(x_t) - f_D^{\inf}$ (mean over runs)")
    ax.legend(fontsize=7)
fig.suptitle(f"Algorithm 1-II with τ-nice minibatches, Partition(2) ({source}, quick)")
settle_legends(fig)
last = {tau: s["value_gap_mean"][s["tau"] == tau][-1] for tau in np.unique(s["tau"])}
print("value gap at the last step:", {f"{k:g}": round(float(v), 4) for k, v in last.items()})
assert np.all(np.diff(list(last.values())) <= 0)

# %%
# **Conclusion.** Every batch size stays under its Theorem 3 bound, and per iteration the larger
# batches end lower, but per data pass the smallest batch makes the most progress.

# %%
# Distributed training (Algorithm 4)
# ----------------------------------
# ``M = 4`` clients holding equal shards; Bernoulli sketches keeping a fraction ``p`` of the
# coordinates against the standard loss (``p = 1``, ``S_i = I``), all at the default step of
# Theorem 5. Sparser sketches send fewer coordinates per round but need more rounds.

experiments.run_distributed(data=data, out=out, quick=True, rng=0)
r = read_csv(out / "distributed" / "distributed.csv")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
for prob in np.unique(r["p"])[::-1]:
    m = (r["M"] == 4) & (r["split"] == "homogeneous") & (r["p"] == prob) & (r["round"] > 0)
    label = "standard loss (S_i = I)" if prob == 1 else f"Bernoulli, keep p = {prob:g}"
    (line,) = ax1.plot(r["round"][m], r["loss_value_gap"][m], lw=2, label=label)
    ax2.plot(r["coords_down"][m], r["loss_value_gap"][m], lw=2, color=line.get_color(), label=label)
ax1.set_xlabel("round t")
ax1.set_title("loss against rounds", fontsize=10)
ax2.set_xlabel("coordinates sent to the clients (total)")
ax2.set_title("loss against communication", fontsize=10)
for ax in (ax1, ax2):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel(r"$f(x_t) - f^{\inf}$ (standard loss)")
    ax.legend(fontsize=8)
fig.suptitle(f"Distributed DSGD, M = 4 homogeneous clients ({source}, quick)")
settle_legends(fig)
home = (r["M"] == 4) & (r["split"] == "homogeneous")
end = {prob: r["loss_value_gap"][home & (r["p"] == prob)][-1] for prob in np.unique(r["p"])}
print("loss gap at the last round:", {f"p = {k:g}": round(float(v), 4) for k, v in end.items()})
assert np.all(np.diff(list(end.values())) < 0)  # p ascending: the denser, the lower

# %%
# **Conclusion.** In this quick run the sparser the sketch, the higher the loss after the same
# number of rounds, and sparsity does not pay per coordinate sent either: the standard loss
# (``p = 1``) ends lowest.

# %%
# Step-size guidance
# ------------------
# Algorithm 1 (RandK, ``v = 0``) for ``T`` steps at multiples of the Theorem 1 step
# ``γ_theory = 1/L_max``, at three sparsities. The theory step is safe but conservative: the
# loss keeps improving up to a few times ``γ_theory``, then stops improving, then diverges.

summary = experiments.run_stepsize(data=data, out=out, quick=True, rng=0)
z = read_csv(out / "stepsize" / "stepsize.csv")
fig, ax = plt.subplots(figsize=(10, 4.6))
for q in np.unique(z["q"]):
    m = z["q"] == q
    finite = m & np.isfinite(z["fD_T"])
    (line,) = ax.plot(z["ratio"][finite], z["fD_T"][finite], "o-", label=f"q = {q:g}: f_D(x_T)")
    gone = m & ~np.isfinite(z["fD_T"])
    draw_off_scale(
        ax,
        z["ratio"][gone],
        z["fD_T"][gone],
        color=line.get_color(),
        label=f"q = {q:g}: diverged (non-finite), above the frame" if gone.any() else "_nolegend_",
    )
ax.axvline(1.0, color="k", lw=1, label="γ_theory = 1/L_max (Theorem 1)")
ax.axhline(np.log(2), color="0.5", ls=":", label="f_D(x_0) = log 2 (the start)")
ax.set_xscale("log", base=2)
ticks = np.unique(z["ratio"])
ax.xaxis.set_major_locator(FixedLocator(ticks))
ax.xaxis.set_minor_locator(NullLocator())
ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}" if x >= 1 else f"1/{1 / x:g}"))
ax.set_yscale("log")
ax.set_xlabel("step γ / γ_theory")
ax.set_ylabel("f_D(x_T), Monte Carlo over 200 sketches")
ax.set_title(f"Step-size guidance: loss after T steps ({source}, quick)")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.tight_layout()
diverges = {k: v for k, v in summary.items() if k.startswith("diverges")}
print(diverges)
safe = z["ratio"] <= 1
assert np.all(z["fD_T"][safe] < np.log(2)) and min(diverges.values()) >= 2

# %%
# **Conclusion.** The Theorem 1 step is safe at every sparsity, since the loss ends below its
# start ``log 2`` for every ``γ ≤ γ_theory``, but conservative, since each sparsity first ends
# above the start only at a step at least twice as large (the ratios are printed above).
