"""One measured/bound ratio per theorem of THEORY.md §5 on concrete instances (Markdown table).

Run: ``python verification/theorem_ratios.py``. Measurements are Monte Carlo means over R runs
(fixed seeds) with their standard errors; the baseline is deterministic.
"""

from __future__ import annotations

import numpy as np

import mastref as mr

R = 1000


def quadratic(rng, d, mu=0.5):
    B = rng.standard_normal((d, d))
    A = B @ B.T + mu * np.eye(d)
    return mr.Quadratic(A, A @ rng.standard_normal(d))


def logistic(rng, n, d, lam):
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.5)
    return mr.LogisticRegression(X, np.where(rng.random(n) < 0.5, -1.0, 1.0), lam)


def mean_se(values):
    return values.mean(), values.std(ddof=1) / np.sqrt(values.size)


def row(name, instance, g, T, measured, se):
    bound = float(g.bound(T))
    ratio = (
        f"{g.gamma / g.gamma_max:.3g}" if np.isfinite(g.gamma_max) else "- (no step limit)"
    )
    return (
        f"| {name} | {instance} | {ratio} | {T} | {measured:.4g} ± {se:.2g} | "
        f"{bound:.4g} | {measured / bound:.3g} |"
    )


def main() -> None:
    rng = np.random.default_rng(2025)
    rows = []
    q = quadratic(rng, 8)
    M = mr.MAST(q, mr.RandK(8, 4), shift=rng.standard_normal(8))
    x0 = np.zeros(8)

    g = mr.theorem1(M, x0=x0)
    T = 2000
    tr = mr.dsgd(M, x0, g.gamma, T, rng=1, n_runs=R, record_at=[T])
    rows.append(
        row(
            "Theorem 1",
            "quadratic d=8, RandK(4), random v",
            g,
            T,
            *mean_se(np.sum((tr.final - M.argmin()) ** 2, axis=1)),
        )
    )
    ge = mr.theorem1(M, x0=x0, constants="exact")
    tr = mr.dsgd(M, x0, ge.gamma, T, rng=1, n_runs=R, record_at=[T])
    rows.append(
        row(
            "Theorem 1 (exact constants)",
            "same",
            ge,
            T,
            *mean_se(np.sum((tr.final - M.argmin()) ** 2, axis=1)),
        )
    )

    T = 1000
    g = mr.theorem2(M, x0=x0, n_steps=T)
    tr = mr.dsgd(M, x0, g.gamma, T, rng=2, n_runs=R, record_every=10)
    grads = np.einsum("kri,ij->krj", tr.iterates[:-1] - M.v, M.A_D) + M.grad(M.v)
    g2 = np.sum(grads**2, axis=2)
    k = int(np.argmin(g2.mean(axis=1)))
    rows.append(row("Theorem 2", "same, min over recorded t < T", g, T, *mean_se(g2[k])))

    lr = logistic(rng, 200, 6, 0.05)
    ML = mr.MAST(lr, mr.Partition(6, 3, rng=0), shift=0.5 * lr.argmin())
    x0 = np.zeros(6)
    g = mr.theorem3(ML, x0=x0, strongly_convex=True, batch_size=8)
    T = 3000
    tr = mr.dsgd(
        ML, x0, g.gamma, T, rng=3, n_runs=200, oracle="minibatch", batch_size=8, record_at=[T]
    )
    gaps = np.array([ML.value(x) for x in tr.final]) - ML.inf
    rows.append(
        row(
            "Theorem 3 (strongly convex, tau=8)",
            "logistic n=200 d=6, Partition(3)",
            g,
            T,
            *mean_se(gaps),
        )
    )

    Mq = mr.MAST(quadratic(rng, 6), mr.Partition(6, 3, rng=1), shift=rng.standard_normal(6))
    g = mr.theorem4(Mq, x0=np.zeros(6))
    T = 300
    tr = mr.l_svrdsg(Mq, np.zeros(6), g.gamma, T, rng=4, n_runs=200, record_at=[T])
    phi = mr.svrdsg_lyapunov(g, Mq, tr)[-1]
    rows.append(row("Theorem 4a (b = N)", "quadratic d=6, Partition(3)", g, T, *mean_se(phi)))
    atoms = np.array([[1.1, 1.1, 0.9], [0.9, 0.9, 1.1], [1.1, 0.9, 1.1], [0.9, 1.1, 0.9]] * 3)
    Mb = mr.MAST(quadratic(rng, 3, mu=2.0), mr.FiniteSketch(atoms), shift=rng.standard_normal(3))
    g = mr.theorem4(Mb, x0=np.zeros(3), b=11)
    T = 3000
    tr = mr.l_svrdsg(Mb, np.zeros(3), g.gamma, T, rng=5, n_runs=200, b=11, record_at=[T])
    phi = mr.svrdsg_lyapunov(g, Mb, tr)[-1]
    rows.append(
        row("Theorem 4b (b = 11 of 12)", "quadratic d=3, near-identity law", g, T, *mean_se(phi))
    )

    clients = [quadratic(rng, 6) for _ in range(3)]
    dp = mr.DistributedProblem(clients, mr.PermutationSketch(6, 3), shift=rng.standard_normal(6))
    g = mr.theorem5(dp, x0=np.zeros(6), strongly_convex=True)
    T = 2000
    tr = mr.distributed_dsgd(dp, np.zeros(6), g.gamma, T, rng=6, n_runs=R, record_at=[T])
    rows.append(
        row(
            "Theorem 5 (strongly convex)",
            "3 quadratic clients d=6, permutation",
            g,
            T,
            *mean_se(np.sum((tr.final - dp.argmin()) ** 2, axis=1)),
        )
    )

    g = mr.baseline_gd(M, x0=np.zeros(8))
    T = 100
    tr = mr.gd_mast(M, np.zeros(8), g.gamma, T, record_at=[T])
    rows.append(
        row("Baseline GD", "quadratic d=8, RandK(4)", g, T, M.value(tr.final[0]) - M.inf, 0.0)
    )

    print("| theorem | instance | gamma/gamma_max | T | measured | bound | measured/bound |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
