"""The measured quantities of a claim, computed in one place (THEORY.md §6-§7).

``exact_curve`` gives the exact expectation of a quantity (the moment recursion of §6 for
DSGD and distributed DSGD on quadratics, the L-SVRDSG moments, the deterministic run for GD on
``f_D``), through the one table ``EXPECTATIONS`` (algorithm -> exact expectation), which
``expectation`` also runs in extended precision; ``monte_carlo_samples`` runs the claim's
algorithm ``n_runs`` times and returns the quantity per run, for confidence bounds. Theorem 4's
Lyapunov function is measured here in both forms: ``svrdsg_lyapunov`` per Monte Carlo run,
``lyapunov_of`` from the exact moments. The quantity names are those of
``mastref.theorems.claims``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import MissingCapability
from ..algorithms import Trace, distributed_dsgd, dsgd, gd_mast, l_svrdsg
from ..exact import MAX_ATOMS, expected_distributed_dsgd, expected_dsgd, expected_svrdsg
from ..theorems.claims import Guarantee, atom_grads

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
    if g.algorithm == "dsgd" and g.options.get("oracle") == "minibatch":
        return _minibatch_exact(obj, g.options.get("batch_size"))
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


def _minibatch_exact(obj, batch_size) -> bool:
    """Whether ``expected_dsgd(..., oracle="minibatch")`` applies: a finite sum of quadratics,
    a diagonal law with finite support, and at most ``MAX_ATOMS`` (atom, batch) pairs."""
    n = getattr(obj.problem, "n_samples", None)
    law = obj.sketch
    if n is None or batch_size is None or not obj.has_quadratic_form:
        return False
    if not (law.is_diagonal and law.has_finite_support):
        return False
    return law.support_size * math.comb(n, int(batch_size)) <= MAX_ATOMS


def exact_curve(g: Guarantee, obj, x0: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, E quantity_t)`` for ``t = 0..n_steps`` (before any running minimum)."""
    if g.algorithm == "gd_mast":
        if getattr(obj, "has_quadratic_form", False) and g.quantity in GD_ERROR_COORDINATES:
            return np.arange(n_steps + 1), _gd_error_coordinates(
                obj, x0, g.gamma, n_steps, g.quantity
            )
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
    return expectation(g, obj, x0, n_steps)


#: Quantities of GD on a quadratic ``f_D`` measured in error coordinates
#: (``_gd_error_coordinates``).
GD_ERROR_COORDINATES = ("value_gap", "dist2", "grad_norm2_min")


def _gd_error_coordinates(
    mast, x0: np.ndarray, gamma: float, n_steps: int, quantity: str
) -> np.ndarray:
    """GD on a quadratic ``f_D`` (THEORY.md §4, Algorithm 2) run in error coordinates
    ``e_{t+1} = (I - gamma A_D) e_t``, ``e_0 = x_0 - x_D*``, and measured there::

        value_gap:       f_D(x_t) - f_D^inf = 1/2 e_t^T A_D e_t
        dist2:           ||x_t - x_D*||^2   = ||e_t||^2
        grad_norm2_min:  ||grad f_D(x_t)||^2 = ||A_D e_t||^2   (per step, before the minimum)

    Relative accuracy at any size: from the iterates, ``f_D(x) - f_D^inf`` loses everything
    below ``eps |f_D^inf|`` and ``||x_t - x_D*||^2`` stops at ``eps^2 ||x_D*||^2`` (1.2e-32
    where the true value is 1.6e-121 after 200 steps at rate 1/4, a ratio of 1e88 against a
    bound that follows the truth).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.measure import _gd_error_coordinates
    >>> mast = mr.MAST(mr.Quadratic(np.diag([1.0, 2.0]), np.ones(2)), mr.Identity(2))
    >>> q = _gd_error_coordinates(mast, np.zeros(2), 0.5, 200, "dist2")  # e_0 = (1, 0.5)
    >>> float(q[0]), bool(np.isclose(q[200], 0.25**200, rtol=1e-12, atol=0))  # mode 1 halves
    (1.25, True)
    """
    A_D = mast.A_D
    e = np.asarray(x0, dtype=float) - mast.argmin()
    out = np.empty(n_steps + 1)
    for t in range(n_steps + 1):
        Ae = A_D @ e
        if quantity == "value_gap":
            out[t] = 0.5 * float(e @ Ae)
        elif quantity == "dist2":
            out[t] = float(e @ e)
        else:
            out[t] = float(Ae @ Ae)
        e = e - gamma * Ae
    return out


#: Algorithm -> its exact expectation (``mastref.exact``) and the options that select the
#: enumeration path (every atom of the law), which runs in extended precision.
EXPECTATIONS = {
    "dsgd": (expected_dsgd, {"method": "atoms"}),
    "distributed_dsgd": (expected_distributed_dsgd, {"method": "atoms"}),
    "l_svrdsg": (expected_svrdsg, {}),
}


def expectation(
    g: Guarantee, obj, x0: np.ndarray, n_steps: int, *, dtype=None
) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, E quantity_t)`` from the exact expectation of ``g.algorithm``
    (``EXPECTATIONS``); ``dtype`` (e.g. ``np.longdouble``) runs the enumeration path at that
    precision. ``grad_norm2_min`` gives ``E||grad f(x_t)||^2`` (before the running minimum).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> from mastref.verify.measure import expectation
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1), shift=np.ones(2))
    >>> g = mr.theorem1(mast, x0=np.zeros(2))
    >>> steps, dist2 = expectation(g, mast, np.zeros(2), 3)
    >>> dist2.tolist()  # (1 - gamma mu)^t ||x0 - x*||^2 with equality (v = x*)
    [2.0, 1.0, 0.5, 0.25]
    """
    oracle = g.options.get("oracle", "exact")
    if g.algorithm not in EXPECTATIONS or (
        g.algorithm == "dsgd" and oracle not in ("exact", "minibatch")
    ):
        raise MissingCapability(f"no exact expectation for {g.algorithm} {g.options}")
    fn, extended = EXPECTATIONS[g.algorithm]
    kw = {} if dtype is None else {**extended, "dtype": dtype}
    if g.algorithm == "dsgd" and oracle == "minibatch":  # enumerates (sketch atom, batch)
        kw.update(oracle="minibatch", batch_size=g.options["batch_size"], method="atoms")
    if g.algorithm == "l_svrdsg":
        kw.update(p=g.options.get("p"), b=g.options.get("b"), w0=g.options.get("w0"))
    e = fn(obj, x0, g.gamma, n_steps, **kw)
    if g.quantity == "lyapunov":
        return e.steps, lyapunov_of(g, e.dist2, e.extra["D"], e.extra["h_error"])
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
            w0=opts.get("w0"),
            **record,
        )
    elif g.algorithm == "distributed_dsgd":
        tr = distributed_dsgd(obj, x0, g.gamma, n_steps, rng=rng, n_runs=n_runs, **record)
    else:
        tr = gd_mast(obj, x0, g.gamma, n_steps, n_runs=n_runs, **record)
    if g.quantity == "lyapunov":
        return tr.steps, svrdsg_lyapunov(g, obj, tr)
    return tr.steps, np.array([per_run(g.quantity, obj, X) for X in tr.iterates])


def svrdsg_lyapunov(guarantee: Guarantee, mast, trace: Trace) -> np.ndarray:
    """Measured Lyapunov function of Theorem 4 at each recorded step, per run: (n_records, R).

    ``||x - x*||^2 + c_D D(w) + c_h ||h - grad f_D(w)||^2`` from the trace's iterates and its
    recorded ``w`` and ``h`` (``l_svrdsg`` records both); ``lyapunov_of`` is the same function
    of the exact moments.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.Partition(2, 2, rng=0))
    >>> g = mr.theorem4(mast, x0=np.zeros(2))
    >>> trace = mr.l_svrdsg(mast, np.zeros(2), g.gamma, 5, n_runs=2, rng=0)
    >>> phi = mr.svrdsg_lyapunov(g, mast, trace)
    >>> phi.shape, bool(np.allclose(phi[0], g.bound(0)))  # Phi_0 is deterministic
    ((6, 2), True)
    """
    if guarantee.quantity != "lyapunov":
        raise ValueError(f"{guarantee.name} does not bound a Lyapunov function")
    x_star = mast.argmin()
    g_star = atom_grads(mast, x_star)
    c_D, c_h = guarantee.values["c_D"], guarantee.values["c_h"]
    n_rec, R, _ = trace.iterates.shape
    out = np.empty((n_rec, R))
    for k in range(n_rec):
        for r in range(R):
            w, h = trace.aux["w"][k, r], trace.aux["h"][k, r]
            D = float(np.mean(np.sum((atom_grads(mast, w) - g_star) ** 2, axis=1)))
            e = float(np.sum((h - mast.grad(w)) ** 2)) if c_h else 0.0
            out[k, r] = float(np.sum((trace.iterates[k, r] - x_star) ** 2)) + c_D * D + c_h * e
    return out
