"""The measured quantities of a claim, computed in one place (THEORY.md §6-§7).

``exact_curve`` gives the exact expectation of a quantity (the moment recursion of §6 for
DSGD and distributed DSGD on quadratics, the deterministic run for GD on ``f_D``);
``monte_carlo_samples`` runs the claim's algorithm ``n_runs`` times and returns the quantity
per run, for confidence bounds. The quantity names are those of ``mastref.theorems.claims``.
"""

from __future__ import annotations

import numpy as np

from .._validation import MissingCapability
from ..algorithms import distributed_dsgd, dsgd, gd_mast, l_svrdsg
from ..exact import MAX_ATOMS, expected_distributed_dsgd, expected_dsgd, expected_svrdsg
from ..theorems.claims import Guarantee
from ..theorems.theorem4 import svrdsg_lyapunov

#: The exact-expectation field behind each quantity.
_FIELDS = {"dist2": "dist2", "value_gap": "value_gap", "grad_norm2_min": "grad_norm2"}


def per_run(quantity: str, obj, X: np.ndarray) -> np.ndarray:
    """The quantity's integrand at each run's iterate (rows of ``X``): ``||x - x*||^2``,
    ``f(x) - f^inf`` or ``||grad f(x)||^2``."""
    if quantity == "dist2":
        return np.sum((X - obj.argmin()) ** 2, axis=1)
    vals, grads = obj.values_and_grads(X)
    if quantity == "value_gap":
        return vals - obj.inf
    if quantity == "grad_norm2_min":
        return np.sum(grads**2, axis=1)
    raise ValueError(f"quantity {quantity!r} has no per-iterate integrand")


def exact_available(g: Guarantee, obj) -> bool:
    """Whether ``exact_curve`` can measure ``g`` on ``obj``."""
    if g.algorithm == "gd_mast":
        return True
    if g.algorithm == "dsgd" and g.options.get("oracle", "exact") == "exact":
        caps = obj.sketch.capabilities()
        return obj.has_quadratic_form and obj.sketch.is_diagonal and "moments" in caps
    if g.algorithm == "distributed_dsgd":
        return obj.has_quadratic_form and all(
            "moments" in c.sketch.capabilities() for c in obj.clients
        )
    if g.algorithm == "l_svrdsg":
        law = obj.sketch
        return (
            obj.has_quadratic_form
            and law.has_finite_support
            and law.support_size <= MAX_ATOMS
            and g.quantity in ("dist2", "value_gap", "lyapunov")
        )
    return False


def exact_curve(g: Guarantee, obj, x0: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, E quantity_t)`` for ``t = 0..n_steps`` (before any running minimum)."""
    if g.algorithm == "gd_mast":
        tr = gd_mast(obj, x0, g.gamma, n_steps, record_every=1)
        if g.quantity == "value_gap":  # f_D point by point: round-off floors below 0 are 0
            values = np.array([obj.value(x) for x in tr.iterates[:, 0]]) - obj.inf
            return tr.steps, np.maximum(values, 0.0)
        return tr.steps, per_run(g.quantity, obj, tr.iterates[:, 0])
    if not exact_available(g, obj):
        raise MissingCapability(
            f"no exact expectation of {g.quantity} for {g.algorithm} {g.options} on {obj!r}: "
            "use method='monte_carlo'"
        )
    if g.algorithm == "distributed_dsgd":
        e = expected_distributed_dsgd(obj, x0, g.gamma, n_steps)
    elif g.algorithm == "l_svrdsg":
        e = expected_svrdsg(obj, x0, g.gamma, n_steps, p=g.options.get("p"), b=g.options.get("b"))
        if g.quantity == "lyapunov":
            return e.steps, lyapunov_of(g, e.dist2, e.extra["D"], e.extra["h_error"])
    else:
        e = expected_dsgd(obj, x0, g.gamma, n_steps)
    return e.steps, getattr(e, _FIELDS[g.quantity])


def lyapunov_of(g: Guarantee, dist2, D, h_error):
    """``dist2 + c_D D + c_h h_error`` with the guarantee's weights (Theorem 4)."""
    c_h = g.values.get("c_h", 0.0)
    out = dist2 + g.values["c_D"] * D
    return out + c_h * h_error if c_h else out


def monte_carlo_samples(
    g: Guarantee, obj, x0: np.ndarray, n_steps: int, *, n_runs: int, rng, record: dict
) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, samples)``: the quantity per run at the recorded steps, shape (n_records, R)."""
    opts = g.options
    if g.algorithm == "dsgd":
        oracle = opts.get("oracle", "exact")
        if oracle not in ("exact", "minibatch"):
            raise MissingCapability(
                f"{g.name} is about an oracle ({oracle!r}) that mastref cannot run; state "
                "options={'oracle': 'exact'} or {'oracle': 'minibatch', 'batch_size': tau}"
            )
        kw = {"oracle": "minibatch", "batch_size": opts["batch_size"]} if oracle != "exact" else {}
        tr = dsgd(obj, x0, g.gamma, n_steps, rng=rng, n_runs=n_runs, **kw, **record)
    elif g.algorithm == "l_svrdsg":
        tr = l_svrdsg(
            obj,
            x0,
            g.gamma,
            n_steps,
            rng=rng,
            n_runs=n_runs,
            p=opts.get("p"),
            b=opts.get("b"),
            **record,
        )
    elif g.algorithm == "distributed_dsgd":
        tr = distributed_dsgd(obj, x0, g.gamma, n_steps, rng=rng, n_runs=n_runs, **record)
    else:
        tr = gd_mast(obj, x0, g.gamma, n_steps, n_runs=n_runs, **record)
    if g.quantity == "lyapunov":
        return tr.steps, svrdsg_lyapunov(g, obj, tr)
    return tr.steps, np.array([per_run(g.quantity, obj, X) for X in tr.iterates])
