"""Theorem constants at scale: ``theorem1``-``theorem5`` and the baseline at n = 1e5, d = 1e4.

``python -m benchmarks.theorems_at_scale [--n 100000] [--d 10000] [--per-row 20]``

A random sparse logistic problem (``per_row`` standard normal nonzeros per row at uniform
columns, labels ``sign(X w + noise)``, ``lam = 1e-3``). The set-up row times the problem's own
constants: ``L_f`` (Lanczos) and ``x*`` (L-BFGS with its certificate). Every theorem row is then
timed on a fresh ``MAST`` (so its ``gap_bound`` is computed inside the call; ``x*`` is cached on
the problem), and the last row is ``theorem1`` on a fresh problem object, everything included.
Theorem 5 splits the rows into 4 clients, each with its own ``RandK(d, d/10)`` drawn
independently. The table gives the time, the ``Delta`` the guarantee used and the certified
bracket ``[lower, upper]`` on it (``GapBound``), and how it was obtained. Timings on a shared,
loaded machine are noisy: one run, wall-clock seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

import mastref as mr


def problem_data(n: int, d: int, per_row: int, rng: int = 0):
    """``(X, y)``: CSR ``n x d`` with ``per_row`` N(0, 1) entries a row, labels +-1."""
    rng = np.random.default_rng(rng)
    rows = np.repeat(np.arange(n), per_row)
    cols = rng.integers(0, d, n * per_row)
    X = sp.csr_matrix((rng.standard_normal(n * per_row), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    w = rng.standard_normal(d)
    y = np.where(X @ w + rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run(n: int, d: int, per_row: int) -> list[tuple]:
    X, y = problem_data(n, d, per_row)
    K = max(d // 10, 1)
    rows = []

    def setup():
        f = mr.LogisticRegression(X, y, 1e-3)
        f.L, f.argmin()
        return f

    f, t = _timed(setup)
    rows.append(("problem: L_f (Lanczos) + x* (L-BFGS)", t, None, None))

    def add(name, make, call):
        obj = make()
        g, t = _timed(lambda: call(obj))
        bound = obj.gap_bound
        key = "Delta_M" if "Delta_M" in g.values else "Delta"
        rows.append((name, t, g.values.get(key), bound))

    add("theorem1, RandK(d, d/10)", lambda: mr.MAST(f, mr.RandK(d, K)), mr.theorem1)
    add(
        "theorem2, RandK(d, d/10), T = 1000",
        lambda: mr.MAST(f, mr.RandK(d, K)),
        lambda m: mr.theorem2(m, n_steps=1000),
    )
    add(
        "theorem3, Bernoulli(0.1), tau = 100",
        lambda: mr.MAST(f, mr.Bernoulli(0.1, d)),
        lambda m: mr.theorem3(m, n_steps=1000, batch_size=100),
    )
    add("theorem4, Partition(d, 10)", lambda: mr.MAST(f, mr.Partition(d, 10, rng=0)), mr.theorem4)
    add("baseline_gd, Bernoulli(0.1)", lambda: mr.MAST(f, mr.Bernoulli(0.1, d)), mr.baseline_gd)
    shards = np.array_split(np.arange(n), 4)

    def clients():
        probs = [mr.LogisticRegression(X[s], y[s], 1e-3) for s in shards]
        return mr.DistributedProblem(probs, mr.RandK(d, K))

    add(
        "theorem5 (4 clients), RandK(d, d/10), cold",
        clients,
        lambda p: mr.theorem5(p, strongly_convex=True),
    )
    add(
        "theorem1, RandK(d, d/10), cold (new problem)",
        lambda: mr.MAST(mr.LogisticRegression(X, y, 1e-3), mr.RandK(d, K)),
        mr.theorem1,
    )
    return rows


def table(rows: list[tuple]) -> str:
    out = [
        "| call | seconds | Delta used | certified bracket | how |",
        "|---|---:|---:|---|---|",
    ]
    for name, t, delta, b in rows:
        if b is None:
            out.append(f"| {name} | {t:.2f} | | | |")
            continue
        how = b.method.split(":")[0]
        out.append(
            f"| {name} | {t:.2f} | {delta:.5g} | [{b.lower:.5g}, {b.upper:.5g}] | {how} |"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=10_000)
    parser.add_argument("--per-row", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"n = {args.n}, d = {args.d}, {args.per_row} nonzeros a row, lam = 1e-3")
    print(table(run(args.n, args.d, args.per_row)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
