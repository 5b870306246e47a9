"""Theorem constants at scale: ``theorem1``-``theorem5`` and the baseline at n = 1e5, d = 1e4.

``python -m benchmarks.theorems_at_scale [--n 100000] [--d 10000] [--per-row 20] [--slack]``

A random sparse logistic problem (``per_row`` standard normal nonzeros per row at uniform
columns, labels ``sign(X w + noise)``, ``lam = 1e-3``). The set-up row times the problem's own
constants: ``L_f`` (Lanczos) and ``x*`` (L-BFGS with its certificate). Every theorem row is then
timed on a fresh ``MAST`` (so its ``gap_bound`` is computed inside the call; ``x*`` is cached on
the problem), and the last row is ``theorem1`` on a fresh problem object, everything included.
Theorem 5 splits the rows into 4 clients, each with its own ``RandK(d, d/10)`` drawn
independently. The table gives the time, the ``Delta`` the guarantee used and the certified
bracket ``[lower, upper]`` on it (``GapBound``), and how it was obtained. Timings on a shared,
loaded machine are noisy: one run, wall-clock seconds.

``--slack`` prints the slack of the P5 bracket (``MAST._bracket_bound``) against the exact
``Delta`` instead: small instances where it is exact (logistic regression with enumerable laws,
cvxpy + Newton; a quadratic, closed form) and the n = 1e5, d = 1e4 problem with
``Partition(d, 10)``, whose ``Delta`` the certified L-BFGS solve of the exact 10-atom sum gives
to ~1e-12.
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
        lambda: mr.MAST(f, mr.Bernoulli(d, 0.1)),
        lambda m: mr.theorem3(m, n_steps=1000, batch_size=100),
    )
    add("theorem4, Partition(d, 10)", lambda: mr.MAST(f, mr.Partition(d, 10, rng=0)), mr.theorem4)
    add("baseline_gd, Bernoulli(0.1)", lambda: mr.MAST(f, mr.Bernoulli(d, 0.1)), mr.baseline_gd)
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
        out.append(f"| {name} | {t:.2f} | {delta:.5g} | [{b.lower:.5g}, {b.upper:.5g}] | {how} |")
    return "\n".join(out)


def slack(n: int, d: int, per_row: int) -> str:
    """The bracket ``[lower, upper]`` against the exact ``Delta`` (Markdown)."""
    rng = np.random.default_rng(1)
    Xs = rng.standard_normal((40, 6))
    ys = np.where(Xs @ rng.standard_normal(6) + rng.standard_normal(40) > 0, 1.0, -1.0)
    small = mr.LogisticRegression(Xs, ys, 0.1)
    v = 0.5 * rng.standard_normal(6)
    B = rng.standard_normal((6, 6))
    quad = mr.Quadratic(B @ B.T / 6 + 0.3 * np.eye(6), rng.standard_normal(6))
    cases = [
        ("logistic n=40 d=6 lam=0.1, RandK(6, 2), v ~ N(0, 1/4)", small, mr.RandK(6, 2), v),
        ("same, Bernoulli(0.5)", small, mr.Bernoulli(6, 0.5), v),
        ("same, Partition(6, 3)", small, mr.Partition(6, 3, rng=0), v),
        ("same, RandK(6, 2), v = 0", small, mr.RandK(6, 2), None),
        ("quadratic d=6, RandK(6, 2), v ~ N(0, 1/4)", quad, mr.RandK(6, 2), v),
    ]
    X, y = problem_data(n, d, per_row)
    big = mr.LogisticRegression(X, y, 1e-3)
    cases.append(
        (
            f"logistic n={n} d={d} lam=1e-3, Partition(d, 10), v = 0",
            big,
            mr.Partition(d, 10, rng=0),
            None,
        )
    )
    out = [
        "| instance | exact Delta | lower | upper | upper/exact | lower/exact | P6/exact |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f, law, shift in cases:
        mast = mr.MAST(f, law, shift=shift)
        sol = mast.solution
        exact = 0.5 * (sol.gap_interval[0] + sol.gap_interval[1])
        b = mast._bracket_bound()
        h = f.argmin() - mast.v
        p6 = 0.5 * f.L * (law.L_D - 1) * float(h @ h)
        out.append(
            f"| {name} | {exact:.6g} | {b.lower:.6g} | {b.upper:.6g} | {b.upper / exact:.4f} | "
            f"{b.lower / exact:.4f} | {p6 / exact:.4g} |"
        )
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=10_000)
    parser.add_argument("--per-row", type=int, default=20)
    parser.add_argument("--slack", action="store_true", help="the slack of the Delta bracket")
    args = parser.parse_args(argv)
    if args.slack:
        print(slack(args.n, args.d, args.per_row))
        return 0
    print(f"n = {args.n}, d = {args.d}, {args.per_row} nonzeros a row, lam = 1e-3")
    print(table(run(args.n, args.d, args.per_row)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
