"""Bring your own problem: least squares from data, and a Huber loss from two callables.

* ``LeastSquares(X, y, lam)`` is a finite sum with a quadratic form: closed-form ``f_D``, ``x_D*``
  and ``Delta``, the exact expectations of THEORY.md §6, its own numba kernels (sparse data,
  minibatches) and Theorem 3's tau-nice constants.
* ``FunctionProblem(f, grad, L=..., mu=...)`` is any smooth function: ``f_D`` is exact by
  enumeration over a finite-support law, ``x_D*`` by a second-order solve, the algorithms run on
  the reference path (no kernel), and the theorems that need only ``L_f``, ``mu_f`` apply; those
  that need more (a finite sum, a quadratic form) say so.

Run: ``python examples/custom_problem.py [OUTDIR]`` (writes two PNGs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import mastref as mr


def huber_problem(d: int, centre: float = 1.0, reg: float = 0.1) -> mr.FunctionProblem:
    """``f(x) = sum_j h(x_j - centre) + reg/2 ||x||^2``, ``h`` the Huber function (delta = 1)."""

    def huber(x):
        r = np.abs(x - centre)
        return float(np.sum(np.where(r <= 1.0, 0.5 * r**2, r - 0.5)) + 0.5 * reg * x @ x)

    def grad(x):
        return np.clip(x - centre, -1.0, 1.0) + reg * x

    return mr.FunctionProblem(huber, grad, d=d, L=1.0 + reg, mu=reg)


def main(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)

    # --- least squares from sparse data, RandK(3) of 12 coordinates -----------------------
    X = sp.random(300, 12, density=0.3, random_state=1, format="csr")
    y = X @ rng.standard_normal(12) + 0.1 * rng.standard_normal(300)
    ls = mr.LeastSquares(X, y, lam=0.01)
    mast = mr.MAST(ls, mr.RandK(12, 3), shift=0.5 * ls.argmin())
    x0 = np.zeros(12)
    print(f"least squares: Delta = {mast.gap:.6g} ({mast.solution.method})")
    r1 = mr.check(mr.theorem1, mast, x0=x0, n_steps=3000)
    print(r1)
    mr.verify.save_check_figure(r1, out / "custom_problem_least_squares.png")
    g3 = mr.theorem3(mast, x0=x0, batch_size=30, strongly_convex=True)
    r3 = mr.check(g3, mast, n_steps=2000, n_runs=100, rng=2)
    print(r3)

    # --- a Huber loss from two callables, Bernoulli(0.6) dropout on 5 coordinates ---------
    huber = huber_problem(5)
    hmast = mr.MAST(huber, mr.Bernoulli(5, 0.6), shift=np.full(5, 2.0))
    print(f"huber: x_D* = {np.round(hmast.argmin(), 4)}, Delta = {hmast.gap:.6g}")
    rh = mr.check(mr.theorem1, hmast, x0=np.zeros(5), n_steps=300, n_runs=200, rng=3)
    print(rh)
    mr.verify.save_check_figure(rh, out / "custom_problem_huber.png")
    try:
        mr.expected_dsgd(hmast, np.zeros(5), 0.1, 10)
    except mr.MissingCapability as err:
        print("as expected:", err)
    return {"least_squares": r1, "theorem3": r3, "huber": rh, "huber_mast": hmast}


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
