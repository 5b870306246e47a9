"""Bad input to the statements and the verifier (issue 21): a clear error naming the argument or
the claim, before any work; a false claim (a negative bound) comes out ``violated``."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import mastref as mr
from mastref.cli import main
from mastref.verify.instances import QuadraticFamily


def _mast():
    return mr.MAST(mr.Quadratic(np.diag([1.0, 2.0]), np.zeros(2)), mr.RandK(2, 1))


def _claim(bound, name="mine"):
    return mr.Guarantee(name=name, quantity="dist2", gamma=0.1, gamma_max=0.25, bound=bound)


def _family():
    return QuadraticFamily(d=2, sketches=("randk",))


CASES = [
    (
        "bound of the wrong shape",
        lambda: mr.check(_claim(lambda t: np.ones((2, 2))), _mast(), n_steps=5),
        ValueError,
        r"mine: bound\(t\) has shape \(2, 2\) for t of shape \(6,\)",
    ),
    (
        "bound nan",
        lambda: mr.check(_claim(lambda t: np.where(t > 2, np.nan, 1.0)), _mast(), n_steps=5),
        ValueError,
        r"mine: bound\(t\) is nan at t = \[3 4 5\]",
    ),
    (
        "bound at t = nan",
        lambda: _claim(lambda t: 1.0 + t).bound(np.nan),
        ValueError,
        r"argument 't' = nan must be >= 0",
    ),
    (
        "bound at t < 0",
        lambda: _claim(lambda t: 1.0 + t).bound([1.0, -1.0]),
        ValueError,
        r"argument 't' = .* must be >= 0",
    ),
    ("theorem1 of a string", lambda: mr.theorem1("m"), TypeError, r"argument 'mast' = 'm'"),
    (
        "theorem3 abc of two",
        lambda: mr.theorem3(_mast(), abc=(1.0, 2.0)),
        ValueError,
        r"argument 'abc' = \(1.0, 2.0\) must be a triple",
    ),
    (
        "theorem3 abc negative",
        lambda: mr.theorem3(_mast(), abc=(1.0, -2.0, 0.0)),
        ValueError,
        r"argument 'abc\[B\]'",
    ),
    (
        "check floor nan",
        lambda: mr.check(mr.theorem1, _mast(), n_steps=5, floor=float("nan")),
        ValueError,
        r"argument 'floor' = nan must be finite",
    ),
    (
        "worst_case budget 1e9",
        lambda: mr.worst_case(mr.theorem1, _family(), n_steps=5, budget=10**9),
        ValueError,
        r"argument 'budget' = 1000000000 must lie in \[4, 1000000\]",
    ),
    (
        "worst_case popsize 0",
        lambda: mr.worst_case(mr.theorem1, _family(), n_steps=5, popsize=0),
        ValueError,
        r"argument 'popsize' = 0 must lie in \[1, inf\]",
    ),
    (
        "family step fraction zero",
        lambda: QuadraticFamily(d=2, sketches=("randk",), step_fraction=(0.0, 1.0)),
        ValueError,
        r"argument 'step_fraction' = 0.0",
    ),
]


@pytest.mark.parametrize(("what", "call", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_up_front_naming_it(what, call, error, message):
    started = time.perf_counter()
    with pytest.raises(error, match=message):
        call()
    assert time.perf_counter() - started < 1.0, what  # refused before any search or run


def test_a_negative_bound_is_violated_not_unchecked():
    """Every measured quantity is >= 0: a bound below 0 is a false claim, wherever it is."""
    r = mr.check(_claim(lambda t: 1.0 - 0.5 * t), _mast(), x0=np.ones(2), n_steps=5)
    assert r.verdict == "violated"
    assert any(re.search(r"bound\(t\) < 0 at t = \[3 4 5\]", n) for n in r.notes)
    # entirely negative: still violated (before, nothing above the resolution: not-checked)
    r = mr.check(_claim(lambda t: -np.ones(np.shape(t))), _mast(), x0=np.ones(2), n_steps=5)
    assert r.verdict == "violated"


def test_a_constant_bound_is_one_value_per_step():
    """A scalar bound is broadcast (a constant claim is legitimate): ``||x_t - x*||^2 <= 2``
    holds from ``x_0 = (1, 1)`` (``x* = 0``) since each coordinate contracts in mean square."""
    g = _claim(lambda t: 2.0)
    assert g.bound(np.arange(4)).tolist() == [2.0, 2.0, 2.0, 2.0]
    assert mr.check(g, _mast(), x0=np.ones(2), n_steps=20).verdict == "holds"


def test_cli_refuses_a_huge_budget_naming_it(tmp_path, capsys):
    started = time.perf_counter()
    argv = ["worst", "theorem1", "--budget", "1000000000", "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "argument --budget: '1000000000' must be from 4 to 1000000" in err
    assert time.perf_counter() - started < 1.0
    assert not list(tmp_path.iterdir())
