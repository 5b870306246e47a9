"""
Predictions: sparsity slows DSGD down, the guarantee ends at γ_max
==================================================================

Beyond its bounds, the theory makes qualitative predictions (:ref:`theory-checking`): the
sparser the sketch, the larger ``L_S^max`` and the smaller the admissible step, so DSGD slows
down; and past the step-size limit the guarantee ends -- far enough past it, DSGD diverges.
Both are measured here with exact expectations (:func:`mastref.expected_dsgd`). The verifier's
versions are :check:`sparsity-slowdown` and :check:`stepsize-sweep`.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

import mastref as mr
from mastref.plotting import draw_off_scale, settle_legends

rng = np.random.default_rng(11)
d = 8
B = rng.standard_normal((d, d))
f = mr.Quadratic(B @ B.T / d + 0.5 * np.eye(d), rng.standard_normal(d))
x0 = np.zeros(d)

# %%
# Sparsity slows DSGD down
# ------------------------
# Interpolation (``v = x*``, so ``Δ = 0``) isolates the rate: every run converges to ``x*``
# linearly. RandK keeping ``K`` of 8 coordinates has ``L_S^max = (8/K)²``, and at its own step
# ``1/L_max`` the Theorem 1 factor ``1 − γμ`` approaches 1 as ``K`` falls. The measured curves
# (solid) follow, each under its bound (dashed); they are drawn down to the numerical
# resolution, ``1e-10`` of the start.

T = 300
fig, ax = plt.subplots(figsize=(10, 4.8))
reached = {}
for K, colour in zip((8, 4, 2, 1), ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=True):
    mast = mr.MAST(f, mr.RandK(d, K), shift=f.argmin())
    g = mr.theorem1(mast, x0=x0)
    e = mr.expected_dsgd(mast, x0, g.gamma, T)
    ok = e.dist2 > 1e-10 * e.dist2[0]
    reached[K] = int(e.steps[~ok][0]) if (~ok).any() else T
    assert np.all(e.dist2[ok] <= g.bound(e.steps[ok]) * (1 + 1e-9))  # above the resolution
    ax.plot(
        e.steps[ok],
        e.dist2[ok],
        color=colour,
        lw=2,
        label=f"K = {K}: L_S^max = {(d / K) ** 2:g}, 1 − γμ = {g.rate:.3f}",
    )
    ax.plot(e.steps, g.bound(e.steps), "--", color=colour, lw=1)
ax.plot([], [], "k-", lw=2, label="solid: measured, exact")
ax.plot([], [], "k--", lw=1, label="dashed: Theorem 1 bound")
ax.axhline(
    1e-10 * np.sum((x0 - f.argmin()) ** 2), color="0.6", ls=":", label="numerical resolution"
)
ax.set_yscale("log")
ax.set_ylim(1e-11 * np.sum((x0 - f.argmin()) ** 2), 3 * np.sum((x0 - f.argmin()) ** 2))
ax.set_xlabel("iteration t")
ax.set_ylabel(r"$\mathbf{E}\,\|x_t - x^\star\|^2$  (v = x*, Δ = 0)")
ax.set_title("Sparsity slows DSGD down: RandK(8, K) at γ = 1/L_max")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.tight_layout()
print("first step at the numerical resolution, per K:", reached)
assert reached[8] < reached[4] < reached[2] < reached[1] < T

# %%
# **Conclusion.** The sparser the sketch, the slower DSGD converges, each ``K`` under its bound:
# the run reaches the numerical resolution at ``t = 36`` with ``K = 8`` and only at
# ``t = 245`` with ``K = 1``.

# %%
# The guarantee ends at γ_max
# ---------------------------
# With a random shift (``Δ > 0``), sweep the step from ``γ_max/8`` to ``8γ_max``
# (``γ_max = 1/L_max``) and measure ``E‖x_T − x_D*‖²`` at ``T = 200``. Theorem 1 gives a bound
# only up to ``γ_max``; past it the measurement first degrades, then explodes: runs that end
# farther from ``x_D*`` than they started are drawn as triangles on the top edge of the frame,
# with their values, instead of stretching the axis to them (they reach ``1e130``).

mast = mr.MAST(f, mr.RandK(d, 2), shift=rng.standard_normal(d))
g = mr.theorem1(mast, x0=x0)
ratios = 2.0 ** np.arange(-3, 3.5, 0.5)
T = 200
measured, bound = [], []
for rho in ratios:
    measured.append(mr.expected_dsgd(mast, x0, rho * g.gamma_max, T).dist2[-1])
    bound.append(
        float(mr.theorem1(mast, x0=x0, gamma=rho * g.gamma_max).bound(T)) if rho <= 1 else np.nan
    )
measured, bound = np.array(measured), np.array(bound)
start = np.sum((x0 - mast.argmin()) ** 2)
diverged = ~(measured < start)

fig, ax = plt.subplots(figsize=(10, 4.8))
ax.plot(ratios[~diverged], measured[~diverged], "o-", label=f"measured, exact, T = {T}")
ax.plot(ratios, bound, "ks--", label="Theorem 1 bound at T (γ ≤ γ_max only)")
top = 3 * max(start, np.nanmax(bound))
draw_off_scale(
    ax,
    ratios[diverged],
    measured[diverged],
    color="tab:red",
    label="diverged: E‖x_T − x_D*‖² > ‖x_0 − x_D*‖², above the frame (value below)",
)
ax.axhline(start, color="0.5", ls=":", label="start ‖x_0 − x_D*‖²")
ax.axvline(1.0, color="k", lw=1, label="γ_max = 1/L_max")
ax.set_xscale("log", base=2)
ax.xaxis.set_major_locator(FixedLocator(2.0 ** np.arange(-3, 4)))
ax.xaxis.set_minor_locator(NullLocator())
ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}" if x >= 1 else f"1/{1 / x:g}"))
ax.set_yscale("log")
ax.set_ylim(0.3 * measured[~diverged].min(), top)
ax.set_xlabel("step γ / γ_max")
ax.set_ylabel(rf"$\mathbf{{E}}\,\|x_T - x_D^\star\|^2$ at T = {T}")
ax.set_title("Step-size sweep, RandK(8, 2): no guarantee past γ_max, divergence beyond")
ax.legend(fontsize=8)
settle_legends(fig)  # inside if a corner is free, else outside
print("diverged from gamma/gamma_max =", ratios[diverged].min() if diverged.any() else "none")
admitted = ratios <= 1
assert np.all(measured[admitted] <= bound[admitted])
assert diverged.any() and ratios[diverged].min() > 2 and not diverged[ratios <= 2].any()

# %%
# **Conclusion.** Up to ``γ_max`` every measurement is under the bound; past it the theorem
# promises nothing, the error grows, and from ``γ ≈ 2.8 γ_max`` on the runs end farther from
# ``x_D*`` than they started.
