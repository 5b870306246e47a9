"""check_sketch against a user's closed forms: false-alarm rate, power and the door checks.

Power derivation (``check_sketch`` docstring): a statistic ``Y`` with mean ``E``, standard
deviation ``sigma`` and ``n`` draws is z-tested at the Bonferroni level ``z``; a claim off by a
relative ``delta`` is rejected with probability ``>= Phi(|delta| E sqrt(n)/sigma - z)``, which is
``>= 0.99`` iff ``|delta| >= (z + z_0.99) sigma / (E sqrt(n))``. For the law below (independent
keep-or-drop, ``s_j = c_j/p``) the diagonal statistic over all coordinates is
``sum_j s_j^2 = Binom(d, p)/p^2``, whose coefficient of variation is exactly
``sqrt((1 - p)/(p d))``: the reported resolution must match that number.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import binom

import mastref as mr


class Indep(mr.DiagonalSketch):
    """Independent keep-or-drop with every closed form given by the user; ``err`` scales one
    closed form by 1.05 (``"L_S_max-"``: by 0.95, an understatement)."""

    def __init__(self, p, d, err=None):
        self.p, self.d, self.err = float(p), int(d), err

    def _f(self, name):
        return 1.05 if self.err == name else (0.95 if self.err == name + "-" else 1.0)

    def sample_support(self, rng=None):
        rng = mr.as_generator(rng)
        idx = np.flatnonzero(rng.random(self.d) < self.p)
        return idx, np.full(idx.size, 1.0 / self.p)

    def pair_moments(self):
        P = np.full((self.d, self.d), self._f("offdiag"))
        np.fill_diagonal(P, self._f("diag") / self.p)
        return P

    def second_moment_diag(self):
        return np.full(self.d, self._f("diag") / self.p)

    @property
    def L_D(self):
        return self._f("L_D") / self.p

    @property
    def mu_D(self):
        return self._f("mu_D") / self.p

    @property
    def L_S_max(self):
        return self._f("L_S_max") / self.p**2

    def moment(self, multi_index):
        m = np.asarray(multi_index)
        on = m > 0
        return float(np.prod(self.p ** (1.0 - m[on]))) * self._f(f"order{int(m.sum())}")


class WrongDiagonal(mr.DiagonalSketch):
    """The issue's law: pair_moments with 1/p^2 on the diagonal instead of 1/p."""

    def __init__(self, p, d):
        self.p, self.d = float(p), int(d)

    def sample_support(self, rng=None):
        rng = mr.as_generator(rng)
        idx = np.flatnonzero(rng.random(self.d) < self.p)
        return idx, np.full(idx.size, 1.0 / self.p)

    def pair_moments(self):
        P = np.ones((self.d, self.d))
        np.fill_diagonal(P, 1 / self.p**2)
        return P

    @property
    def L_S_max(self):
        return 1 / self.p**2


def _failed(result):
    return {i.name for i in result.items if not i.passed}


def test_wrong_diagonal_law_fails():
    law = WrongDiagonal(1 / 12, 6)
    assert law.L_D == pytest.approx(144.0)  # the wrong claim; the truth is 12
    result = mr.check_sketch(law, rng=0)
    assert not result.passed
    assert "E[s_j^2] = samples (groups, all, argmax, argmin)" in _failed(result)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused, not also "certified" (a new user's trial)
        with pytest.raises(ValueError, match="fails check_sketch"):
            mr.MAST(mr.Quadratic(np.eye(6), np.ones(6)), WrongDiagonal(1 / 12, 6))


def test_correct_user_law_passes_and_its_resolution_matches_the_exact_variance():
    p, d, n = 0.5, 8, 20000
    result = mr.check_sketch(Indep(p, d), rng=1)
    assert result.passed, result.table()
    item = next(i for i in result.items if i.name.startswith("E[s_j^2] = samples"))
    n_stats = int(item.detail.split("(")[1].split(" in all")[0])
    z = float(ndtri(1 - 1e-6 / (2 * n_stats)))
    cv = math.sqrt((1 - p) / (p * d))  # sum_j s_j^2 = Binom(d, p) / p^2
    exact = (z + float(ndtri(0.99))) * cv / math.sqrt(n)
    reported = float(item.detail.split(">= ")[1].split("%")[0]) / 100
    assert reported == pytest.approx(exact, rel=0.05)
    assert reported <= 0.05


@pytest.mark.parametrize(
    "err", ["diag", "offdiag", "L_D", "mu_D", "L_S_max-", "order1", "order2", "order3", "order4"]
)
def test_every_closed_form_off_by_five_percent_fails(err):
    """Power: each mutant is caught at the default n_samples under three seeds. For the
    sampled ones the reported resolution of the item that catches it is <= 5 % (so each seed
    fails with probability >= 0.99); L_D, mu_D are exact consistency checks against
    E[s_j^2] and L_S_max- is an essential supremum seen in every draw that keeps a
    coordinate (probability 1 - 2^-8 per draw)."""
    for seed in (0, 1, 2):
        result = mr.check_sketch(Indep(0.5, 8, err), rng=seed)
        assert not result.passed, (err, seed, result.table())


def test_false_alarm_rate_is_calibrated():
    """At false_alarm = 0.05 and a right law, the failures over 40 independent runs are
    Binomial(40, <= 0.05) under the normal approximation: 8 or more has probability 3e-4."""
    law = Indep(0.5, 8)
    fails = sum(
        not mr.check_sketch(law, rng=seed, n_samples=4000, false_alarm=0.05).passed
        for seed in range(40)
    )
    assert fails <= 7
    assert binom.sf(7, 40, 0.05) < 1e-3


def test_false_alarm_must_be_a_probability():
    for bad in (2.0, 1.0, 0.0, -1e-3):
        with pytest.raises(ValueError, match="false_alarm"):
            mr.check_sketch(mr.RandK(4, 2), false_alarm=bad)


class BadDraws(mr.DiagonalSketch):
    d = 5

    def __init__(self, idx, sc):
        self._idx, self._sc = idx, sc

    def sample_support(self, rng=None):
        return np.asarray(self._idx), np.asarray(self._sc)


@pytest.mark.parametrize(
    ("idx", "sc", "message"),
    [
        ([-1, 2], [2.0, 2.0], r"'sample_support' of the law BadDraws\(d=5\) returned index -1"),
        ([0, 5], [2.0, 2.0], r"returned index 5; indices must lie in \[0, d = 5\)"),
        ([0, 1], [2.0], r"indices of shape \(2,\) and scales of shape \(1,\)"),
        ([0.0, 1.0], [2.0, 2.0], "dtype float64"),
        ([1, 1], [2.0, 2.0], "repeated index"),
        ([1, 2], [np.inf, 2.0], "the scale inf"),
    ],
)
def test_user_draws_are_checked_at_every_door(idx, sc, message):
    law = BadDraws(idx, sc)
    q = mr.Quadratic(np.eye(5), np.ones(5))
    for call in (
        lambda: law.sample_support(rng=0),
        lambda: law.sample(rng=0),
        lambda: mr.check_sketch(law, rng=0),
    ):
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(ValueError, match=message):
        mr.MAST(q, law)


def test_large_d_user_law_is_checked_in_linear_time():
    """d = 10^5: diagonal, sampled pairs (moment()) and quadratic forms, no d x d object."""
    import time

    class SparseIndep(Indep):
        def pair_moments(self):  # a dense closed form that the cost guard refuses at this d
            raise AssertionError("d x d pair_moments must not be called at d = 10^5")

    law = SparseIndep(0.01, 10**5)
    start = time.perf_counter()
    result = mr.check_sketch(law, rng=0, n_samples=2000)
    assert time.perf_counter() - start < 60
    names = {i.name for i in result.items}
    assert "E[s s^T] quadratic forms u^T E[s s^T] u = samples" in names
    assert result.passed, result.table()
    wrong = mr.check_sketch(SparseIndep(0.01, 10**5, "diag"), rng=0, n_samples=2000)
    assert "E[s_j^2] = samples (groups, all, argmax, argmin)" in _failed(wrong)


def test_a_dense_user_law_is_checked_at_the_door():
    class WrongShape(mr.Sketch):
        d = 3

        def sample(self, rng=None):
            return np.eye(2)

    with pytest.raises(ValueError, match=r"WrongShape\(d=3\)\.sample returned an array of shape"):
        mr.check_sketch(WrongShape(), rng=0, n_samples=10)


def _rotation(sign: float) -> np.ndarray:
    R = np.zeros((3, 3))
    R[0, 1], R[1, 0] = 1.0, -1.0
    return np.eye(3) + 0.9 * sign * R


class Rot(mr.Sketch):
    """``S = I + 0.9 R`` with ``R = +-(e_0 e_1^T - e_1 e_0^T)``, equally likely: ``E[S] = I``,
    and, since ``R`` is antisymmetric with ``R^T R = diag(1, 1, 0)``, ``S^T S = diag(1.81,
    1.81, 1)`` in every draw (so ``L_D = L_S_max = 1.81``, ``mu_D = 1``); ``E[S^T A S]`` is the
    average over the two atoms (by hand: a new user's trial, stop 30)."""

    d = 3

    def sample(self, rng=None):
        return _rotation(mr.as_generator(rng).choice([-1.0, 1.0]))

    def second_moment(self):
        return np.diag([1.81, 1.81, 1.0])

    def sandwich(self, A):
        A = np.asarray(A, float)
        return sum(0.5 * _rotation(s).T @ A @ _rotation(s) for s in (-1.0, 1.0))

    @property
    def L_S_max(self):
        return 1.81


class RotWrongSecond(Rot):
    def second_moment(self):  # the trial's law: E[S^T S] = I claimed
        return np.eye(3)


class RotWrongSandwich(Rot):
    def sandwich(self, A):  # E[S^T A S] = A claimed
        return np.asarray(A, float)


class RotWrongLSmax(Rot):
    @property
    def L_S_max(self):  # 5 % too small
        return 1.81 * 0.95


def test_a_dense_user_law_is_checked_against_its_own_samples():
    """``check_sketch`` passed the trial's dense law with ``E[S^T S] = I`` and ``E[S^T A S] =
    A`` claimed, comparing the closed forms only with each other (``MAST`` then reported
    ``Delta = 0`` where it is 0.381). Each wrong closed form must fail on its own item; the
    right law passes."""
    assert mr.check_sketch(Rot(), rng=0).passed
    cases = {
        RotWrongSecond: "E[S^T S] quadratic forms ||S u||^2 = samples (dense)",
        RotWrongSandwich: "E[S^T A S] quadratic forms (S u)^T A (S u) = samples, random PSD A "
        "(dense)",
        RotWrongLSmax: "L_S_max >= lambda_max(S^T S) in every draw (dense)",
    }
    for law, item in cases.items():
        result = mr.check_sketch(law(), rng=0)
        assert not result.passed and item in _failed(result), law.__name__
    # a built-in dense law's subclass claiming a wrong L_D (2 where the samples read 3)
    class WrongLD(mr.Gaussian):
        @property
        def L_D(self):
            return 2.0

    assert "E[S^T S] quadratic forms ||S u||^2 = samples (dense)" in _failed(
        mr.check_sketch(WrongLD(3, 2), rng=0)
    )
    assert mr.check_sketch(mr.Gaussian(3, 2), rng=0).passed


class RotListed(Rot):
    """``Rot`` with its two atoms listed (a finite support)."""

    support_size = 2

    def support(self):
        return np.array([_rotation(-1.0), _rotation(1.0)]), np.array([0.5, 0.5])


class RotListedWrongSecond(RotListed):
    def second_moment(self):  # 7 % high (a new user's trial, stop 31)
        return 1.07 * np.diag([1.81, 1.81, 1.0])


class RotListedWrongSandwich(RotListed):
    def sandwich(self, A):
        return 1.07 * Rot.sandwich(self, A)


def test_a_dense_law_with_a_support_has_its_own_closed_forms_held_to_the_atoms():
    """With a support listed, the dense sampled items do not run, and ``check_sketch`` used to
    compare ``L_D`` with the law's own ``second_moment()`` and never read its ``sandwich``:
    both 7 % high passed, and ``MAST`` used them (``A_D``, ``L``, ``Delta`` off; a new user's
    trial). Each must now fail against ``sum_k pi_k S_k^T S_k`` and ``sum_k pi_k S_k^T A S_k``
    (by hand above: ``S^T S = diag(1.81, 1.81, 1)`` in both atoms)."""
    assert mr.check_sketch(RotListed(), rng=0).passed
    wrong_second = mr.check_sketch(RotListedWrongSecond(), rng=0)
    assert "E[S^T S] = enumeration (dense)" in _failed(wrong_second)
    assert "sandwich(A) = enumeration" in _failed(mr.check_sketch(RotListedWrongSandwich(), rng=0))
    with pytest.raises(ValueError, match="sandwich"):
        mr.MAST(mr.Quadratic(np.eye(3), np.ones(3)), RotListedWrongSandwich())


class IndepWrongSandwich(Indep):
    def sandwich(self, A):  # 5 % high; E[S A S] = A * E[s s^T] for every diagonal law
        return 1.05 * np.asarray(A, float) * self.pair_moments()


def test_a_diagonal_law_s_own_sandwich_is_held_to_its_pair_moments():
    """``MAST`` builds ``A_D = E[S A S]`` from the law's ``sandwich`` when it overrides it;
    only ``pair_moments`` used to be checked (a 7 % high sandwich passed and gave ``A_D`` 4.28
    where it is 4: a new user's trial). Without a support: against ``A * pair_moments()``;
    with one (``BlockRandK``-like atoms): against the enumeration."""
    assert mr.check_sketch(Indep(0.5, 8), rng=0).passed
    failed = _failed(mr.check_sketch(IndepWrongSandwich(0.5, 8), rng=0))
    assert "sandwich(A) = A * pair_moments() (E[S A S] = A * E[s s^T])" in failed

    class Listed(mr.RandK):
        def sandwich(self, A):
            return 1.07 * super().sandwich(A)

    assert "sandwich(A) = enumeration" in _failed(mr.check_sketch(Listed(4, 2), rng=0))


def test_the_numba_fallback_warning_names_the_unsupported_call():
    """A user's ``sample_support`` that numba cannot compile falls back to a Python loop; the
    warning quoted only numba's pipeline header. It must name the cause (here
    ``Generator.choice``, which numba does not support)."""

    class ChoiceLaw(mr.DiagonalSketch):
        def __init__(self, d, k):
            self.d, self.k = int(d), int(k)

        def sample_support(self, rng=None):
            rng = mr.as_generator(rng)
            return np.sort(rng.choice(self.d, self.k, replace=False)), np.full(
                self.k, self.d / self.k
            )

    with pytest.warns(mr.PerformanceWarning, match="Unknown attribute 'choice'"):
        ChoiceLaw(6, 2).sample_supports(10, rng=0)
