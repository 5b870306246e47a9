"""Benchmarks of mastref (issue "Performance"): ``python -m benchmarks [--quick] [--readme]``.

Every number is a median over repeats measured in this one process, and every target is a ratio
of two timings taken back to back, so that it is stable on a noisy 2-core machine:

1. sketched logistic gradient (CSC kernel) at density K/d vs the full gradient, on a5a-sized
   synthetic data and on a large sparse set (n = 100 000, d = 10 000);
2. the numba kernel vs the plain NumPy/SciPy implementation of the same sketched gradient;
3. Algorithm 1 on a quadratic (d = 100): R = 256 runs advanced together vs 256 separate runs;
4. the exact moment recursion (d = 20, T = 1000) and its scaling in d;
5. ``mastref verify --quick`` end to end, and import + first kernel call with a warm JIT cache.

``--readme`` rewrites the results table in README.md between the BENCHMARKS markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

import mastref as mr

ROOT = Path(__file__).resolve().parents[1]


def median_time(fn, repeat: int = 7, number: int | None = None) -> float:
    """Median seconds per call of ``fn`` over ``repeat`` timings (``number`` calls each)."""
    if number is None:
        t = timeit.timeit(fn, number=1)
        number = max(1, int(0.05 / max(t, 1e-9)))
    return float(np.median(timeit.repeat(fn, repeat=repeat, number=number)) / number)


def sparse_data(n: int, d: int, nnz_row: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    cols = np.concatenate([rng.choice(d, nnz_row, replace=False) for _ in range(n)])
    X = sp.csr_matrix(
        (np.ones(n * nnz_row), cols, np.arange(0, n * nnz_row + 1, nnz_row)), shape=(n, d)
    )
    X.sort_indices()
    return X, np.where(rng.random(n) < 0.5, -1.0, 1.0)


def numpy_sketched_grad(Xc, y, lam, v, x, idx, sc, Xv):
    """The same sketched gradient in plain SciPy, using the support: column slice X[:, C]."""
    XC = Xc[:, idx]
    u = sc * (x[idx] - v[idx])
    r = -y * expit(-y * (Xv + XC @ u)) / y.size
    return sc * (XC.T @ r + lam * (v[idx] + u))


def bench_gradients(rows: list, quick: bool) -> None:
    sets = [("a5a-sized (n=6400, d=123, 14 nnz/row)", 6400, 123, 14)]
    if not quick:
        sets.append(("large (n=100000, d=10000, 50 nnz/row)", 100_000, 10_000, 50))
    for label, n, d, nnz_row in sets:
        _bench_set(rows, label, n, d, nnz_row)


def _bench_set(rows: list, label: str, n: int, d: int, nnz_row: int) -> None:
    X, y = sparse_data(n, d, nnz_row)
    lam = 1e-3
    rng = np.random.default_rng(1)
    v, x = rng.standard_normal(d) * 0.1, rng.standard_normal(d) * 0.1
    Xc = X.tocsc()
    Xc.sort_indices()
    ip, ix = Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64)
    Xv = X @ v
    full_idx = np.arange(d, dtype=np.int64)
    full_sc = np.ones(d)
    mr.logistic_csc_kernel(ip, ix, Xc.data, y, Xv, lam, v, x, full_idx, full_sc)  # compile
    t_full = median_time(
        lambda: mr.logistic_csc_kernel(ip, ix, Xc.data, y, Xv, lam, v, x, full_idx, full_sc)
    )
    lr = mr.LogisticRegression(X, y, lam)
    t_scipy_full = median_time(lambda: lr.grad(x))
    rows.append(
        (
            label,
            "full gradient: numba kernel (K = d) / scipy `grad`",
            f"{t_full * 1e3:.3f} ms / {t_scipy_full * 1e3:.3f} ms",
            "",
            "",
        )
    )
    for density in (0.05, 0.1, 0.25, 0.5):
        K = max(1, int(round(density * d)))
        idx = np.sort(rng.choice(d, K, replace=False)).astype(np.int64)
        sc = np.full(K, d / K)
        t_k = median_time(
            lambda idx=idx, sc=sc: mr.logistic_csc_kernel(
                ip, ix, Xc.data, y, Xv, lam, v, x, idx, sc
            )
        )
        t_np = median_time(
            lambda idx=idx, sc=sc: numpy_sketched_grad(Xc, y, lam, v, x, idx, sc, Xv)
        )
        t_ref = median_time(
            lambda idx=idx, sc=sc: mr.logistic_reference(X, y, lam, v, x, idx, sc), repeat=5
        )
        ratio = t_k / t_full
        target = "≤ 2K/d" if density >= 0.1 else "(no target)"
        met = "" if density < 0.1 else ("met" if ratio <= 2 * density else "MISSED")
        rows.append(
            (
                label,
                f"sketched / full at K/d = {density}",
                f"{ratio:.3f}",
                f"{target} = {2 * density:.2f}" if density >= 0.1 else target,
                met,
            )
        )
        speedup = t_np / t_k
        big = n >= 100_000
        rows.append(
            (
                label,
                f"numba vs SciPy on the support (X[:, C]) at K/d = {density}",
                f"{speedup:.1f}x ({t_k * 1e3:.3f} vs {t_np * 1e3:.3f} ms)",
                "≥ 3x" if big else "(no target)",
                ("met" if speedup >= 3 else "MISSED") if big else "",
            )
        )
        rows.append(
            (
                label,
                f"numba vs full-vector NumPy reference at K/d = {density}",
                f"{t_ref / t_k:.1f}x",
                "(report)",
                "",
            )
        )


def bench_runs(rows: list, quick: bool) -> None:
    rng = np.random.default_rng(2)
    d = 100
    B = rng.standard_normal((d, d))
    A = B @ B.T / d + 0.5 * np.eye(d)
    mast = mr.MAST(mr.Quadratic(A, A @ rng.standard_normal(d)), mr.RandK(d, 10))
    T, R = (100, 256) if quick else (500, 256)
    gamma = 1.0 / mast.L_max
    mr.dsgd(mast, np.zeros(d), gamma, 2, rng=0, n_runs=2)  # compile
    t_vec = median_time(
        lambda: mr.dsgd(mast, np.zeros(d), gamma, T, rng=0, n_runs=R, record_at=[T]),
        repeat=3,
        number=1,
    )
    t_one = median_time(
        lambda: mr.dsgd(mast, np.zeros(d), gamma, T, rng=0, n_runs=1, record_at=[T]),
        repeat=3,
        number=1,
    )
    per_vec, per_sep = t_vec / R, t_one
    rows.append(
        (
            "quadratic d=100, RandK(10)",
            f"Algorithm 1, T={T}: per-run cost, R={R} together vs separate runs",
            f"{per_vec * 1e3:.2f} ms vs {per_sep * 1e3:.2f} ms ({per_sep / per_vec:.0f}x)",
            "(report)",
            "",
        )
    )


class _UserBernoulli(mr.DiagonalSketch):
    """Bernoulli(p) written as a user would: ``sample_support`` only (compiled default)."""

    def __init__(self, d: int, p: float):
        self.d, self.p = d, float(p)

    def sample_support(self, rng=None):
        rng = mr.as_generator(rng)
        idx = np.flatnonzero(rng.random(self.d) < self.p)
        return idx, np.full(idx.size, 1.0 / self.p)


def bench_sampling(rows: list, quick: bool) -> None:
    """The default ``sample_supports`` of a user's law vs the built-in vectorised one."""
    for d, n in ((8, 1000), (123, 1000), (123, 100)):
        user, builtin = _UserBernoulli(d, 0.5), mr.Bernoulli(0.5, d)
        user.sample_supports(2, rng=0)  # compile
        t_user = median_time(lambda u=user, n=n: u.sample_supports(n, rng=0))
        t_builtin = median_time(lambda b=builtin, n=n: b.sample_supports(n, rng=0))
        g = np.random.default_rng(0)
        t_loop = median_time(
            lambda u=user, n=n, g=g: [u.sample_support(g) for _ in range(n)], repeat=3
        )
        ratio = t_user / t_builtin
        rows.append(
            (
                f"Bernoulli(0.5), d={d}, {n} draws",
                "user law (sample_support only), compiled default vs built-in sample_supports",
                f"{ratio:.1f}x ({t_user * 1e3:.2f} vs {t_builtin * 1e3:.2f} ms; Python loop "
                f"{t_loop * 1e3:.1f} ms)",
                "<= 3x",
                "met" if ratio <= 3 else "MISSED",
            )
        )


def bench_exact(rows: list, quick: bool) -> None:
    rng = np.random.default_rng(3)
    sizes = (5, 10, 20) if quick else (5, 10, 15, 20, 25)
    times = {}
    for d in sizes:
        B = rng.standard_normal((d, d))
        A = B @ B.T / d + 0.5 * np.eye(d)
        mast = mr.MAST(
            mr.Quadratic(A, A @ rng.standard_normal(d)),
            mr.RandK(d, max(1, d // 4)),
            shift=rng.standard_normal(d),
        )
        mr.expected_dsgd(mast, np.zeros(d), 1.0 / mast.L_max, 2)  # compile
        start = time.perf_counter()
        mr.expected_dsgd(mast, np.zeros(d), 1.0 / mast.L_max, 1000)
        times[d] = time.perf_counter() - start
    slope = np.polyfit(np.log(list(times)), np.log(list(times.values())), 1)[0]
    rows.append(
        (
            "RandK, T = 1000",
            "exact moment recursion, d = 20",
            f"{times[20]:.2f} s",
            "< 10 s",
            "met" if times[20] < 10 else "MISSED",
        )
    )
    rows.append(
        (
            "RandK, T = 1000",
            "scaling in d: " + ", ".join(f"d={d}: {t:.2f} s" for d, t in times.items()),
            f"~ d^{slope:.1f}",
            "(O(d^4) expected)",
            "",
        )
    )


def bench_cli(rows: list, quick: bool) -> None:
    env = dict(os.environ)
    code = (
        "import time; t=time.perf_counter(); import numpy as np, mastref as mr; "
        "mr.quadratic_kernel(np.eye(3), np.zeros(3), np.zeros(3), np.ones(3), "
        "np.arange(2), np.ones(2)); print(time.perf_counter()-t)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)  # warm
    warm = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
            ).stdout
        )
        for _ in range(3)
    ]
    t_import = float(np.median(warm))
    rows.append(
        (
            "warm JIT cache",
            "import mastref + first kernel call",
            f"{t_import:.2f} s",
            "< 2 s",
            "met" if t_import < 2 else "MISSED",
        )
    )
    if quick:
        return
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mastref.cli",
            "verify",
            "--quick",
            "--out",
            str(Path(os.environ.get("TMPDIR", "/tmp")) / "mastref-bench-verify"),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    rows.append(
        (
            "2 cores",
            "mastref verify --quick, end to end",
            f"{time.perf_counter() - start:.1f} s",
            "< 180 s",
            "",
        )
    )


def table(rows: list) -> str:
    lines = ["| set | measurement | value | target | status |", "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    import numba

    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sets only")
    parser.add_argument("--readme", action="store_true", help="rewrite the README table")
    args = parser.parse_args(argv)
    rows: list = []
    for step in (bench_gradients, bench_runs, bench_sampling, bench_exact, bench_cli):
        print(f"running {step.__name__} ...", file=sys.stderr, flush=True)
        step(rows, args.quick)
    text = f"Machine: {machine()}. Medians over repeats.\n\n{table(rows)}\n"
    print(text)
    (ROOT / "benchmarks" / "RESULTS.md").write_text(text)
    if args.readme:
        readme = ROOT / "README.md"
        s = readme.read_text()
        start, end = "<!-- BENCHMARKS:START -->", "<!-- BENCHMARKS:END -->"
        i, j = s.index(start) + len(start), s.index(end)
        readme.write_text(s[:i] + "\n" + text + s[j:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
