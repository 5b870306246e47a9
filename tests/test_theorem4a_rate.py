"""Theorem 4a's rate on the ``p/2`` branch, derived by hand on a two-coordinate instance.

THEORY.md §5, Theorem 4 (a): ``E Phi_T <= (1 - min(gamma mu, p/2))^T Phi_0`` with
``Phi_0 = ||x_0 - x_D*||^2 + (4 gamma^2/p) D_0``. Every catalogue check so far sits where the
two branches of the min coincide or where ``gamma mu`` is the smaller one, so a rate with ``p``
in place of ``p/2`` went unnoticed. Here ``p < 2 gamma mu``: the ``p/2`` branch is active.

The instance, worked out by hand (no mastref call enters the expected numbers):
``f(x) = 1/2 x^T A x``, ``A = diag(1, 2)`` (``L_f = 2``, ``mu_f = 1``); shift ``v = (1, 1)``;
the partition law with blocks ``{0}``, ``{1}``: ``S_1 = diag(2, 0)``, ``S_2 = diag(0, 2)``, each
with probability 1/2 (``L_S^max = 4``, ``mu_D = 2``).

* ``A_D = E[S A S] = (diag(4, 0) + diag(0, 8))/2 = diag(2, 4)``;
  ``grad f_D(x) = E[S A (v + S(x - v))] = A v + A_D (x - v) = 0`` gives ``x_D* = (1/2, 1/2)``.
* Paper constants: ``L = L_f L_S^max = 8``, ``mu = mu_f mu_D = 2``; ``gamma_max = 1/(6L) = 1/48``.
* ``x_0 = 0``: ``||x_0 - x_D*||^2 = 1/2``. ``grad f_{S_k}(x_0) - grad f_{S_k}(x*) =
  S_k A S_k (x_0 - x*)``: ``(-2, 0)`` and ``(0, -4)``, so ``D_0 = (4 + 16)/2 = 10``.
* ``gamma = 1/48``, ``p = 1/20 < 2 gamma mu = 1/12``: ``min(gamma mu, p/2) = 1/40``,
  ``Phi_0 = 1/2 + (4/48^2)(20)(10) = 1/2 + 25/72 = 61/72``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import mastref as mr

GAMMA = Fraction(1, 48)
P = Fraction(1, 20)
PHI_0 = Fraction(1, 2) + 4 * GAMMA**2 / P * 10


def _guarantee():
    f = mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2))
    mast = mr.MAST(f, mr.Partition(blocks=[[0], [1]]), shift=np.ones(2))
    return mr.theorem4(mast, x0=np.zeros(2), gamma=float(GAMMA), p=float(P), n_steps=40)


def test_hand_derived_instance():
    assert PHI_0 == Fraction(61, 72)
    assert P < 2 * GAMMA * 2  # the p/2 branch of the min is the active one


def test_theorem4a_rate_is_one_minus_p_over_2_when_p_is_below_2_gamma_mu():
    g = _guarantee()
    assert g.name == "Theorem 4a"
    assert g.gamma == pytest.approx(float(GAMMA), rel=1e-15)
    assert g.rate == pytest.approx(1 - float(P) / 2, rel=1e-15)  # 39/40, not 1 - gamma mu


@pytest.mark.parametrize("t", [0, 1, 10, 40])
def test_theorem4a_bound_value_at_t(t):
    expected = (1 - P / 2) ** t * PHI_0
    assert float(_guarantee().bound(t)) == pytest.approx(float(expected), rel=1e-13)
