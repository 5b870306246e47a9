"""
A claim of your own: check it, then try to falsify it
=====================================================

A claim is a :class:`mastref.Guarantee` built by keyword: the measured quantity, the step, the
step limit and ``bound(t)``. :func:`mastref.check` holds it against the exact (or Monte Carlo)
measurement on one instance; :func:`mastref.worst_case` searches a family of small quadratic
instances (:class:`mastref.QuadraticFamily`: spectrum, eigenbasis, minimiser, shift, start,
law, step) for the one that maximises ``max_t measured(t)/bound(t)``, on exact expectations. A
ratio above 1, confirmed in extended precision, is a counterexample (:ref:`theory-checking`).

The claim below is a plausible guess, Theorem 1 without its neighbourhood: DSGD at
``γ ≤ 1/L_max`` converges at rate ``1 − γμ`` to zero. The theory predicts it is false whenever
``Δ > 0``, because the sketched gradients do not vanish at ``x_D*``.
"""

import matplotlib.pyplot as plt
import numpy as np

import mastref as mr
from mastref.plotting import quantity_label, settle_legends


def no_neighbourhood(mast, **kw):
    """Theorem 1's step and rate, without the neighbourhood 2γ L_max Δ/μ."""
    g = mr.theorem1(mast, **kw)  # borrow the step and the constants
    r0 = g.values["dist2_0"]
    return mr.Guarantee(
        name="rate 1 − γμ, no neighbourhood",
        quantity="dist2",
        gamma=g.gamma,
        gamma_max=g.gamma_max,
        bound=lambda t: g.rate**t * r0,
    )


# %%
# Check it on one instance
# ------------------------
# A random quadratic with RandK and a random shift: ``Δ > 0``, and the check says
# ``violated`` as soon as the measured curve reaches its floor.

rng = np.random.default_rng(0)
B = rng.standard_normal((5, 5))
f = mr.Quadratic(B @ B.T + 0.1 * np.eye(5), rng.standard_normal(5))
mast = mr.MAST(f, mr.RandK(5, 2), shift=np.zeros(5))
x0 = rng.standard_normal(5)

result = mr.check(no_neighbourhood, mast, x0=x0, n_steps=3000)
theorem = mr.check(mr.theorem1, mast, x0=x0, n_steps=3000)
print(result)
print(theorem)

fig, ax = plt.subplots(figsize=(7.5, 4.6))
t = result.steps[1:]
ax.plot(t, result.measured[1:], lw=2, label=f"measured, {result.method}")
ax.plot(t, result.bound[1:], "--", color="tab:red", label=f"the claim: {result.verdict}")
ax.plot(t, theorem.bound[1:], "k--", label=f"Theorem 1: {theorem.verdict}")
crossed = np.flatnonzero(result.tightness > 1)
if crossed.size:
    ax.axvline(
        result.steps[crossed[0]],
        color="tab:red",
        lw=1,
        ls=":",
        label=f"measured exceeds the claim from t = {result.steps[crossed[0]]}",
    )
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_ylim(0.1 * result.measured.min(), 3 * max(result.measured.max(), theorem.bound.max()))
ax.set_xlabel("iteration t")
ax.set_ylabel(quantity_label("dist2"))
ax.set_title(f"A naive claim against measurement (Δ = {mast.gap:.3g})")
ax.legend(fontsize=8)
settle_legends(fig)
assert result.verdict == "violated" and theorem.verdict == "holds"
assert crossed.size and 500 < result.steps[crossed[0]] < 1000

# %%
# **Conclusion.** The claim without a neighbourhood fails on this instance from ``t = 701`` on,
# when its bound decays below the measured floor, while Theorem 1, whose neighbourhood accounts
# for ``Δ > 0``, holds.

# %%
# Search for the worst instance
# -----------------------------
# The search is ``scipy.optimize.differential_evolution`` over the family's box of
# parameters, polished by bounded Powell. It finds a counterexample within a small budget;
# ``found.instance.describe()`` gives it as plain arrays, so anyone can rebuild it.

family = mr.QuadraticFamily(d=2, sketches=("randk", "bernoulli"), step_fraction=(1, 1))
found = mr.worst_case(no_neighbourhood, family, n_steps=60, budget=120, rng=0)
print(found)
print("instance:", found.instance.describe())

# %%
# The same search against Theorem 1 itself, with the same budget, finds no counterexample.

found_theorem = mr.worst_case(mr.theorem1, family, n_steps=60, budget=120, rng=0)
print(found_theorem)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
for ax, w, title in ((ax1, found, "the claim"), (ax2, found_theorem, "Theorem 1")):
    r = w.result
    ax.plot(r.steps, r.measured, lw=2, label="measured, exact")
    ax.plot(r.steps, r.bound, "k--", label=f"bound of {title}")
    ax.plot(
        w.t,
        r.measured[np.searchsorted(r.steps, w.t)],
        "o",
        color="tab:red",
        label=f"largest measured/bound = {w.ratio:.3g} at t = {w.t}",
    )
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(quantity_label("dist2"))
    ax.set_title(f"worst case for {title}: {w.verdict}", fontsize=10)
    ax.legend(fontsize=8)
fig.suptitle("Worst-case search over 2-dimensional quadratics (RandK or Bernoulli)")
settle_legends(fig)
assert found.verdict == "violated" and found.ratio > 1e6
assert found_theorem.verdict == "no counterexample found" and found_theorem.ratio < 1
assert max(found.evaluations, found_theorem.evaluations) < 300

# %%
# **Conclusion.** In under 300 evaluations the search breaks the claim by a factor above a
# million (5.3e7) but finds no instance where Theorem 1 fails, its best ratio being 0.75.
