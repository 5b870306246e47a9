"""Write your own sketch law: block-Bernoulli dropout, from one file, with no edit to mastref.

Whole blocks of coordinates (say, the weights of one neuron) are kept together with probability
``p`` and rescaled by ``1/p``, so ``E[S] = I``. The law below implements

* ``sample_support`` -- all a law needs: Monte Carlo, ``dsgd`` (numba compiles it for speed)
  and ``check_sketch`` by Monte Carlo;
* ``support`` / ``support_size`` -- the finite support: exact ``f_D`` and ``x_D*``, the exact
  expectations of THEORY.md §6 (``expected_dsgd``), L-SVRDSG and Theorem 4;
* ``pair_moments`` and ``L_S_max`` -- closed forms (``check_sketch`` compares them with the
  support, so a wrong closed form is caught).

Run: ``python examples/custom_law.py [OUTDIR]`` (writes ``custom_law_theorem1.png``).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

import mastref as mr


class BlockBernoulli(mr.DiagonalSketch):
    """Blocks kept together with probability ``p``: ``s_j = 1[block(j) kept] / p``.

    ``E[s_i s_j] = 1/p`` if ``i, j`` share a block, else 1; ``L_S_max = 1/p^2``.
    """

    def __init__(self, block_of, p: float):
        self.block_of = np.asarray(block_of, dtype=np.int64)
        self.n_blocks = int(self.block_of.max()) + 1
        self.d = self.block_of.size
        self.p = float(p)

    def sample_support(self, rng=None):
        rng = mr.as_generator(rng)
        keep = rng.random(self.n_blocks) < self.p
        idx = np.flatnonzero(keep[self.block_of])
        return idx, np.full(idx.size, 1.0 / self.p)

    @property
    def support_size(self) -> int:
        return 2**self.n_blocks

    def support(self):
        masks = np.array(list(itertools.product((0, 1), repeat=self.n_blocks)), dtype=float)
        weights = np.prod(np.where(masks == 1, self.p, 1.0 - self.p), axis=1)
        return masks[:, self.block_of] / self.p, weights

    def pair_moments(self):
        same = self.block_of[:, None] == self.block_of[None, :]
        return np.where(same, 1.0 / self.p, 1.0)

    @property
    def L_S_max(self) -> float:
        return 1.0 / self.p**2

    def __repr__(self) -> str:
        return f"BlockBernoulli(d={self.d}, blocks={self.n_blocks}, p={self.p:g})"


def main(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    law = BlockBernoulli(np.repeat(np.arange(4), 2), p=0.5)  # d = 8, 4 blocks of 2
    cert = mr.check_sketch(law, rng=0)
    print(cert.table())
    print("capabilities:", sorted(law.capabilities()))

    rng = np.random.default_rng(0)
    B = rng.standard_normal((8, 8))
    A = B @ B.T / 8 + 0.5 * np.eye(8)
    problem = mr.Quadratic(A, A @ rng.standard_normal(8))
    mast = mr.MAST(problem, law, shift=rng.standard_normal(8))
    x0 = np.zeros(8)
    print(f"x_D* = {np.round(mast.argmin(), 4)}, Delta = {mast.gap:.6g} ({mast.solution.method})")

    # Theorem 1 against the exact expectation of DSGD (THEORY.md §6)
    g = mr.theorem1(mast, x0=x0)  # step 1/L_max, L_max = L_f L_S_max
    exact = mr.expected_dsgd(mast, x0, g.gamma, 400)
    print(f"E||x_400 - x_D*||^2 = {exact.dist2[-1]:.6g} (exact), bound {g.bound(400):.6g}")
    result = mr.check(g, mast, n_steps=400)
    print(result)
    mr.verify.save_check_figure(result, out / "custom_law_theorem1.png")

    # L-SVRDSG on the same law (16 uniform atoms at p = 1/2) and Theorem 4 (a)
    r4 = mr.check(mr.theorem4, mast, x0=x0, n_steps=400)  # exact L-SVRDSG moments
    print(r4)

    # the same law on a logistic problem: f_D is an exact sum over the 16 atoms
    X = rng.standard_normal((100, 8)) * (rng.random((100, 8)) < 0.5)
    lr = mr.LogisticRegression(X, np.where(rng.random(100) < 0.5, -1.0, 1.0), lam=0.05)
    logistic = mr.MAST(lr, law, shift=0.5 * lr.argmin())
    print(f"logistic: Delta = {logistic.gap:.6g} ({logistic.solution.method})")
    return {"certificate": cert, "theorem1": result, "theorem4": r4, "logistic": logistic}


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("."))
