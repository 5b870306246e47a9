"""Theorem 4 (a) as stated, at the step limit: the worst start and the exact late rate on
quadratics (issue 20; docs/theory/theorem4_proof.rst, "Measured at the step limit").

L-SVRDSG with the full reference batch (``b = N``) on ``f(x) = 1/2 x^T A x - b^T x`` and a
uniform law over ``N`` atoms ``S_k``; ``D_k = S_k A S_k``, ``A_D = (1/N) sum_k D_k``. In the
error coordinates ``y = (e, eps) = (x - x*, w - x*)`` one step is, with atom ``k`` and a coin
of probability ``p`` (THEORY.md §5, Algorithm 3; ``h = grad f_D(w)``)::

    e+ = (I - gamma D_k) e + gamma (D_k - A_D) eps,    eps+ = e (prob. p) or eps,

so the second moment ``Z = E[y y^T]`` evolves linearly, ``Z+ = L(Z)``, and the statement's
Lyapunov function ``Phi = ||e||^2 + (4 gamma^2 / p) (1/N) sum_k ||D_k eps||^2 = y^T W y`` has
``E Phi_t = <L*^t(W), Z_0>``. The worst start at step ``t`` is therefore a generalized
eigenvalue problem of ``(L*^t(W), W)``: over every ``(x_0, w_0)`` ("free": the statement's
Lemma holds for any state with ``h = grad f_D(w)``), or over ``w_0 = x_0`` (what
``theorem4`` and ``mastref.check`` measure). The counted late tightness is the largest
``E Phi_t / ((1 - rho)^t Phi_0)`` over ``t`` in ``[T/2, T]``, ``T = ceil(t_2) + 1``,
``t_2 = ln 100 / -ln(1 - rho)`` (the report's rule); ``max_start max_t = max_t max_start``.
The late rate ``r`` is the per-step decay of the worst-start ``E Phi_t`` over ``[4T, 5T]``
(the decay ``Phi`` sees; a mode of ``L`` that ``W`` does not see is left out), reported as
``ln r / ln(1 - rho)`` (1: the stated rate is exact).

Usage (from the repository root)::

    PYTHONPATH=. python verification/theorem4_worst_start.py --N 2 4 8 --validate

prints a Markdown table for the meeting family (``catalogue.theorem4.meeting_instance``'s
instance with ``p = pf * 2 gamma mu``); ``--validate`` compares the ``x_0 = 3 * 1`` column with
``mastref.check(..., method="exact")``.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.linalg import eigh

from mastref.catalogue.theorem4 import meeting_instance
from mastref.theorems import theorem4
from mastref.verify.checker import check
from mastref.verify.instances import Instance, claim_at


class SecondMoment:
    """The adjoint ``L*`` of one L-SVRDSG step on the second moment of ``(e, eps)``."""

    def __init__(self, D: np.ndarray, gamma: float, p: float):
        self.D, self.gamma, self.p = D, gamma, p
        self.d = D.shape[1]
        self.A_D = D.mean(axis=0)
        K = np.einsum("kab,kbc->ac", D, D) / D.shape[0]
        self.c = 4.0 * gamma**2 / p
        eye, zero = np.eye(self.d), np.zeros((self.d, self.d))
        self.W = np.block([[eye, zero], [zero, self.c * K]])
        self.B0 = np.hstack([eye, -gamma * self.A_D])  # e+ = (B0 + gamma D_k J) y
        self.J = np.hstack([-eye, eye])
        self.B_mean = np.hstack([eye - gamma * self.A_D, zero])  # E_k of e+'s map
        self.C = np.hstack([p * eye, (1 - p) * eye])  # E of eps+'s map

    def adjoint(self, M: np.ndarray) -> np.ndarray:
        """``L*(M)``: ``E[y+^T M y+] = y^T L*(M) y`` for every ``y``."""
        d, g, p = self.d, self.gamma, self.p
        Mee, Mef, Mfe, Mff = M[:d, :d], M[:d, d:], M[d:, :d], M[d:, d:]
        B0, J = self.B0, self.J
        DMD = np.matmul(np.matmul(self.D, Mee), self.D).mean(axis=0)
        out = B0.T @ Mee @ B0 + g * (B0.T @ Mee @ self.A_D @ J + J.T @ self.A_D @ Mee @ B0)
        out += g**2 * (J.T @ DMD @ J)
        out += self.B_mean.T @ Mef @ self.C + self.C.T @ Mfe @ self.B_mean
        out[:d, :d] += p * Mff
        out[d:, d:] += (1 - p) * Mff
        return 0.5 * (out + out.T)


def worst(M: np.ndarray, W: np.ndarray, starts: str, y0: np.ndarray | None = None) -> float:
    """``max E Phi_t / Phi_0`` over the starts (``"free"``, ``"w0=x0"``) or at ``y0``."""
    if y0 is not None:
        return float(y0 @ M @ y0 / (y0 @ W @ y0))
    if starts == "w0=x0":
        d = W.shape[0] // 2
        C0 = np.vstack([np.eye(d), np.eye(d)])
        return float(eigh(C0.T @ M @ C0, C0.T @ W @ C0, eigvals_only=True)[-1])
    return float(eigh(M, W, eigvals_only=True)[-1])


def meeting(N: int, pf: float) -> Instance:
    """``catalogue.theorem4.meeting_instance`` on ``N`` coordinates (``f = ||x||^2/2``, the
    partition into single coordinates, ``v = 1``, ``x_0 = 3 * 1``, the step limit) at ``p =
    pf * 2 gamma mu`` (``gamma mu = 1/(6N)``)."""
    inst = meeting_instance("p", N)
    return Instance(**{**inst.__dict__, "claim_kwargs": {"p": pf / (3.0 * N)}})


def analyse(inst: Instance, validate: bool = False) -> dict:
    """The counted late tightness for the instance's start, the worst ``w_0 = x_0`` and the
    worst free start; the late rate ratio; with ``validate``, ``mastref.check``'s value."""
    _, g = claim_at(theorem4, inst, 10)
    rho = 1.0 - g.rate
    T = math.ceil(math.log(100) / -math.log(1 - rho)) + 1
    obj, g = claim_at(theorem4, inst, T)
    S, _ = inst.sketch.support()
    S = np.asarray(S, float)
    A = np.asarray(inst.A[0], float)
    op = SecondMoment(S[:, :, None] * A[None] * S[:, None, :], g.gamma, g.values["p"])
    if not math.isclose(op.c, g.values["c_D"], rel_tol=1e-12):
        raise AssertionError(f"Lyapunov weight {op.c} is not theorem4's c_D {g.values['c_D']}")
    e0 = inst.x0 - obj.argmin()
    y0 = np.concatenate([e0, e0])
    out = {"T": T, "rho": rho, "given": 0.0, "w0=x0": 0.0, "free": 0.0}
    M = op.W
    for t in range(1, 5 * T + 1):
        M = op.adjoint(M)
        if T / 2 <= t <= T:
            decay = (1 - rho) ** t
            out["given"] = max(out["given"], worst(M, op.W, "", y0) / decay)
            out["w0=x0"] = max(out["w0=x0"], worst(M, op.W, "w0=x0") / decay)
            out["free"] = max(out["free"], worst(M, op.W, "free") / decay)
        if t == T:
            log_scale = 0.0
        if t > T and t % 50 == 0:  # keep M representable over the long run
            s = np.abs(M).max()
            M, log_scale = M / s, log_scale + math.log(s)
        if t == 4 * T:
            at_4T = log_scale + math.log(worst(M, op.W, "free"))
    r = math.exp((log_scale + math.log(worst(M, op.W, "free")) - at_4T) / T)
    out["ratio"] = math.log(r) / math.log(1 - rho)
    if validate:
        result = check(g, obj, x0=inst.x0, n_steps=T, method="exact")
        out["check"] = result.late_tightness
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--N", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--pf", type=float, nargs="+", default=[0.99, 1.0, 1.01])
    parser.add_argument("--validate", action="store_true")
    args = parser.parse_args()
    cols = "| N | p / (2 gamma mu) | T | x_0 = 3 * 1 | check | worst x_0 (w_0 = x_0) "
    print(cols + "| worst (x_0, w_0) | ln r / ln(1 - rho) |")
    print("|---|---|---|---|---|---|---|---|")
    for N in args.N:
        for pf in args.pf:
            res = analyse(meeting(N, pf), validate=args.validate)
            check_value = f"{res['check']:.4f}" if "check" in res else "-"
            print(
                f"| {N} | {pf:g} | {res['T']} | {res['given']:.4f} | {check_value} | "
                f"{res['w0=x0']:.4f} | {res['free']:.4f} | {res['ratio']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
