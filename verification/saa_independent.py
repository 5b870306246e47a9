"""An independent sample-average approximation of the gap on a5a, beside ``mastref``'s.

``Delta = f_D^inf - f^inf`` for l2-regularised logistic regression on LIBSVM ``a5a``
(``lam = 1e-3``) under ``RandK(123, 12)``, at the shifts ``v = 0`` and ``v = x*/2``
(THEORY.md §2, §3 P6). Its support has about 1e16 atoms, so ``MAST.solution`` is a
sample-average approximation (``MAST.saa_solution``) with a 99 % interval.

The independent side shares nothing with the package but the data file: its own LIBSVM
parser, its own objective ``(1/n) sum_i log(1 + exp(-y_i a_i^T z)) + (lam/2)||z||^2``, its own
RandK draws ``(d/K) 1_subset`` and scipy's L-BFGS-B. It computes

* the same Mak-Morton-Wood interval (8 SAA problems of 64 draws: Student-t lower bound on the
  mean SAA optimum; normal upper bound on ``f_D`` at the mean minimiser, 4000 fresh draws);
* one SAA problem of 1024 draws: its optimum (biased low) and ``f_D`` at its minimiser by
  20000 fresh draws with a 95 % half-width (biased high).

Run from the repository root: ``python verification/saa_independent.py [--data DIR]``
(about 5 minutes on 2 cores). Measured 2026-12-08 (beside other jobs), printed as a Markdown
table; the committed numbers are in ``verification/SAA.md``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit, ndtri, stdtrit

import mastref as mr

D, K, LAM = 123, 12, 1e-3


def load(path: Path) -> tuple[sp.csr_matrix, np.ndarray]:
    """``B`` with rows ``y_i a_i`` from a LIBSVM file of binary features (own parser)."""
    rows, cols, y = [], [], []
    for i, line in enumerate(path.read_text().splitlines()):
        label, *items = line.split()
        y.append(float(label))
        for item in items:
            rows.append(i)
            cols.append(int(item.split(":")[0]) - 1)
    y = np.array(y)
    A = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(y), D))
    return sp.csr_matrix(A.multiply(y[:, None])), y


def values(B: sp.csr_matrix, Z: np.ndarray) -> np.ndarray:
    """``f`` at each row of ``Z``."""
    margins = B @ Z.T
    return np.mean(np.logaddexp(0.0, -margins), axis=0) + 0.5 * LAM * np.sum(Z * Z, axis=1)


def draws(rng: np.random.Generator, m: int) -> np.ndarray:
    """``m`` RandK(D, K) diagonals ``(D/K) 1_subset``."""
    S = np.zeros((m, D))
    for row in S:
        row[rng.choice(D, K, replace=False)] = D / K
    return S


def saa(B: sp.csr_matrix, S: np.ndarray, v: np.ndarray, x0: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimiser and optimum of ``(1/m) sum_k f(v + s_k * (x - v))`` by L-BFGS-B."""
    n = B.shape[0]

    def F(x):
        Z = v + S * (x - v)
        margins = B @ Z.T
        vals = np.mean(np.logaddexp(0.0, -margins), axis=0) + 0.5 * LAM * np.sum(Z * Z, axis=1)
        G = (-(B.T @ expit(-margins)) / n).T + LAM * Z
        return vals.mean(), (S * G).mean(axis=0)

    r = minimize(F, x0, jac=True, method="L-BFGS-B",
                 options={"gtol": 1e-11, "ftol": 1e-15, "maxiter": 20000})
    return r.x, float(r.fun)


def f_D(B, x, v, rng, n_draws, chunk=500) -> tuple[float, float]:
    """Monte Carlo ``f_D(x)`` and its standard error."""
    vals = np.concatenate([values(B, v + draws(rng, chunk) * (x - v))
                           for _ in range(n_draws // chunk)])
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(len(vals)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    path = args.data / "a5a" if args.data.is_dir() else args.data
    B, _ = load(path)
    n = B.shape[0]

    def f_and_grad(z):
        m = B @ z
        return (float(np.mean(np.logaddexp(0.0, -m)) + 0.5 * LAM * z @ z),
                -(B.T @ expit(-m)) / n + LAM * z)

    x_star = minimize(f_and_grad, np.zeros(D), jac=True, method="L-BFGS-B",
                      options={"gtol": 1e-12, "ftol": 1e-16, "maxiter": 10000}).x
    f_inf = f_and_grad(x_star)[0]
    X, y = mr.load_libsvm(path, n_features=D)
    problem = mr.LogisticRegression(X, y, lam=LAM)
    print("| shift | mastref 99 % interval | independent 99 % interval (8 x 64) "
          "| independent SAA optimum, 1024 draws | independent f_D(x_1024), 95 % | seconds |")
    print("|---|---|---|---|---|---|")
    for label, v in (("v = 0", np.zeros(D)), ("v = x*/2", 0.5 * x_star)):
        start = time.perf_counter()
        lo, hi = mr.MAST(problem, mr.RandK(D, K), shift=v).solution.gap_interval
        rng = np.random.default_rng(12345)
        sols, opts = zip(*(saa(B, draws(rng, 64), v, x_star) for _ in range(8)), strict=True)
        opts = np.array(opts)
        alpha = 0.005
        lower = opts.mean() - stdtrit(7, 1 - alpha) * opts.std(ddof=1) / math.sqrt(8)
        mean, se = f_D(B, np.mean(sols, axis=0), v, rng, 4000)
        upper = mean + ndtri(1 - alpha) * se
        x_big, opt_big = saa(B, draws(rng, 1024), v, np.mean(sols, axis=0))
        mean_big, se_big = f_D(B, x_big, v, rng, 20000)
        print(f"| {label} | [{lo:.4f}, {hi:.4f}] | [{lower - f_inf:.4f}, {upper - f_inf:.4f}] "
              f"| {opt_big - f_inf:.5f} | {mean_big - f_inf:.5f} +- {1.96 * se_big:.5f} "
              f"| {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
