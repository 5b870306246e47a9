"""
Theorem 5: distributed training, and a reconstructed D_max form
===============================================================

In Algorithm 4 (:func:`mastref.distributed_dsgd`) a server sends each of ``M`` clients a
sparsified model ``v + S_i(x − v)`` and averages the sketched gradients they return. Theorem 5
(:ref:`theorem-5`) bounds it with ``L_F = (1/M)Σ L_i L_{D_i}``, ``A = max_i L_i L_{S_i}^max`` and
the heterogeneity ``Δ_M = F^inf − (1/M)Σ f_i^inf``; in its strongly convex form, for
``γ ≤ 1/A``,

    E‖x_T − x_F*‖² ≤ (1 − γμ_F)^T ‖x_0 − x_F*‖² + 2γAΔ_M/μ_F.

:func:`mastref.expected_distributed_dsgd` computes the left side exactly for quadratic clients,
with independent client laws or one joint law such as a permutation sketch (independent
subnetwork training). Verifier checks: :check:`theorem5-sc-single-client`,
:check:`theorem5-sc-neighbourhood`, :check:`theorem5-nonconvex`,
and the finding about a
``D_max`` form reconstructed from secondary summaries
(:check:`theorem5-reconstructed-form-counterexample`, with
:check:`theorem5-on-the-counterexample`): a counterexample to that reconstruction, not to
the paper's theorem.
"""

import matplotlib.pyplot as plt
import numpy as np

import mastref as mr
from mastref.plotting import quantity_label, settle_legends

rng = np.random.default_rng(7)
d, M = 6, 3
clients = []
for _ in range(M):
    B = rng.standard_normal((d, d))
    clients.append(mr.Quadratic(B @ B.T / d + 0.5 * np.eye(d), rng.standard_normal(d)))
shift = rng.standard_normal(d)
x0 = np.zeros(d)

# %%
# Independent RandK sketches against one permutation sketch
# ----------------------------------------------------------
# With independent RandK(6, 2) each client keeps 2 random coordinates of 6; with the
# permutation sketch (:class:`mastref.PermutationSketch`) the 6 coordinates are dealt out, 2
# to each client, so the clients' supports never overlap and every coordinate is trained once
# per round. Both laws have ``L_{S_i}^max = 9`` and ``L_{D_i} = 3``, so Theorem 5 gives them the
# same step and the same bound; the measured curves differ.

laws = {
    "independent RandK(6, 2)": [mr.RandK(d, 2)] * M,
    "permutation sketch, M = 3": mr.PermutationSketch(d, M),
}
T = 400
fig, ax = plt.subplots(figsize=(7.5, 4.8))
bounds, finals = [], {}
for (name, law), colour in zip(laws.items(), ("tab:blue", "tab:orange"), strict=True):
    dp = mr.DistributedProblem(clients, law, shift=shift)
    g = mr.theorem5(dp, x0=x0, strongly_convex=True)
    e = mr.expected_distributed_dsgd(dp, x0, g.gamma, T)
    t = e.steps[1:]
    ax.plot(t, e.dist2[1:], color=colour, lw=2, label=f"{name}: measured, exact")
    bounds.append(g.bound(t))
    finals[name] = e.dist2[-1]
    assert np.all(e.dist2[1:] <= g.bound(t))
    print(
        f"{name}: gamma = {g.gamma:.4g}, Delta_M = {dp.gap:.4g}, "
        f"E||x_T - x*||^2 = {e.dist2[-1]:.3g}, neighbourhood {g.floor:.3g}"
    )
# the two laws share L_F, A and Δ_M: one bound, drawn once
np.testing.assert_allclose(bounds[0], bounds[1], rtol=1e-12)
ax.plot(t, bounds[0], "k--", label="Theorem 5 bound (the same for both laws)")
ax.axhline(g.floor, color="tab:red", ls=":", label="neighbourhood 2γAΔ_M/μ_F")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("round t")
ax.set_ylabel(quantity_label("dist2", algorithm="distributed_dsgd"))
ax.set_title(f"Theorem 5 (strongly convex), M = {M} quadratic clients, γ = 1/A")
ax.legend(fontsize=8)
settle_legends(fig)
assert max(finals.values()) < 0.01 * g.floor

# %%
# **Conclusion.** Theorem 5 cannot tell the two laws apart (one step, one bound), and both stay
# far under it: they settle at 0.022 (independent RandK) and 0.030 (permutation sketch), under
# 1 % of the neighbourhood 6.26.

# %%
# A reconstructed ``D_max`` form fails on two clients
# ---------------------------------------------------
# Secondary summaries of the paper quote only the constant
# ``D_max = max_i L_i² L_{D_i} L_{S_i}^max`` for its distributed theorem and an ``O(1/√T)`` rate.
# The form checked here -- the nonconvex bound ``(1 + D_max γ²)^T δ_0/(γT) + D_max γ Δ_M`` at
# ``γ = 1/√(D_max T)``, with prefactors 1 -- is this package's reconstruction by analogy with
# Theorem 5 (:ref:`theorem-5-paper`), not the paper's statement. The worst-case search found two
# clients in ``R²`` on which it is exceeded
# (:func:`mastref.catalogue.theorem5_reconstructed.counterexample_instance`): a nearly flat but
# very sparse client whose noise lands where the other client curves ``F``. Theorem 5 in this
# package's constants holds on the same instance, and so does the reconstruction with a factor 2
# on either of its terms, as in the usual ABC template.

from mastref.catalogue.theorem5_reconstructed import counterexample_instance  # noqa: E402
from mastref.theorems.distributed import theorem5_reconstructed  # noqa: E402

inst = counterexample_instance()
dp = inst.objective()
T = 100
fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
worst = {}
for ax, claim, title in (
    (axes[0], theorem5_reconstructed, "the reconstructed D_max form"),
    (axes[1], mr.theorem5, "Theorem 5 (L_F·A)"),
):
    r = mr.check(claim, dp, x0=inst.x0, n_steps=T)
    k = int(np.nanargmax(r.tightness))
    worst[title] = r
    ax.plot(r.steps, r.measured, lw=2, label=f"measured, {r.method}")
    ax.plot(r.steps, r.bound, "k--", label=f"bound of {title}")
    ax.plot(
        r.steps[k],
        r.measured[k],
        "o",
        color="tab:red",
        label=f"largest measured/bound = {r.tightness[k]:.3f}",
    )
    ax.set_yscale("log")
    ax.set_xlabel("round t")
    ax.set_ylabel(quantity_label("grad_norm2_min", algorithm="distributed_dsgd"))
    ax.set_title(f"{title}: {r.verdict}", fontsize=10)
    ax.legend(fontsize=8)
fig.suptitle("Two clients: the reconstructed D_max form is exceeded, Theorem 5 holds")
settle_legends(fig)

reconstructed, theorem5 = worst.values()
g = theorem5_reconstructed(dp, x0=inst.x0, n_steps=T)
transient = g.parts["transient"](reconstructed.steps)
rest = reconstructed.bound - transient  # the neighbourhood term D_max γ Δ_M
doubled = {
    "2 x transient": np.nanmax(reconstructed.measured / (2 * transient + rest)),
    "2 x neighbourhood": np.nanmax(reconstructed.measured / (transient + 2 * rest)),
}
print({k: round(float(v), 3) for k, v in doubled.items()})
assert reconstructed.verdict == "violated" and theorem5.verdict == "holds"
assert 1.2 < np.nanmax(reconstructed.tightness) < 1.25 and max(doubled.values()) < 1

# %%
# **Conclusion.** The reconstructed ``D_max`` form is exceeded by a factor 1.225 on this
# instance while Theorem 5 holds, and a factor 2 on either term of the reconstruction (largest
# ratios 0.92 and 0.73) removes the violation, so the finding is about our reconstruction and
# says nothing about the paper's published theorem.
