"""Per-step cost of the exact recursion (THEORY.md §6) in units of one ``d x d`` matrix product.

``python -m benchmarks.exact_recursion [--d 200 500 1000] [--steps 10] [--threads N]``

For each ``d`` and law (RandK(d, d/4), Bernoulli(1/4), Partition(d, 4)) on a random strongly
convex quadratic, ``expected_dsgd(..., method="moments")`` runs for ``2`` and for ``2 + steps``
steps; the difference divided by ``steps`` is the time of one step, without the set-up. One
``d x d`` float64 product is timed in the same rounds (median of 5 each), and the table prints
the median step time over the median product time. ``--threads`` limits the BLAS threads of both
(threadpoolctl); on a loaded machine a 2-thread BLAS spends most of its time waiting, which
distorts small products far more than large ones, so compare the columns of one run only.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np

import mastref as mr


def _product_seconds(d: int, rng) -> float:
    X, Y = rng.standard_normal((d, d)), rng.standard_normal((d, d))
    times = []
    for _ in range(5):
        start = time.perf_counter()
        X @ Y
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _laws(d: int) -> dict:
    return {
        "RandK(d, d/4)": mr.RandK(d, d // 4),
        "Bernoulli(1/4)": mr.Bernoulli(d, 0.25),
        "Partition(d, 4)": mr.Partition(d, 4, rng=0),
    }


def measure(d: int, steps: int, rounds: int = 3, seed: int = 0) -> list[dict]:
    """One row per law: seconds per step, seconds per product and their ratio (medians over
    ``rounds``; each round times a product, a 2-step run and a ``2 + steps`` run)."""
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d)) / np.sqrt(d)
    A = B @ B.T + 0.1 * np.eye(d)
    problem = mr.Quadratic(A, A @ rng.standard_normal(d))
    rows = []
    for name, law in _laws(d).items():
        mast = mr.MAST(problem, law, shift=rng.standard_normal(d))
        gamma = 0.5 / mast.L_max
        x0 = np.zeros(d)
        mast.argmin()  # cached set-up, outside the timings
        per_step, product = [], []
        for _ in range(rounds):
            product.append(_product_seconds(d, rng))
            start = time.perf_counter()
            mr.expected_dsgd(mast, x0, gamma, 2, method="moments")
            short = time.perf_counter() - start
            start = time.perf_counter()
            mr.expected_dsgd(mast, x0, gamma, 2 + steps, method="moments")
            per_step.append((time.perf_counter() - start - short) / steps)
        step_s, product_s = float(np.median(per_step)), float(np.median(product))
        rows.append(
            {
                "law": name,
                "d": d,
                "step_s": step_s,
                "product_s": product_s,
                "ratio": step_s / product_s,
            }
        )
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all)")
    args = parser.parse_args(argv)
    limit = contextlib.nullcontext()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(args.threads)
    print(
        f"exact recursion, per step (BLAS threads: {args.threads or 'default'}), "
        f"{args.steps} steps after 2, median of {args.rounds} rounds"
    )
    print(f"{'law':16s} {'d':>5s} {'step [ms]':>10s} {'product [ms]':>13s} {'products/step':>14s}")
    with limit:
        for d in args.d:
            for row in measure(d, args.steps, args.rounds):
                print(
                    f"{row['law']:16s} {row['d']:5d} {1e3 * row['step_s']:10.1f} "
                    f"{1e3 * row['product_s']:13.1f} {row['ratio']:14.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
