"""Bad input gets a clear error (ValueError/TypeError/...) whose message names the argument.

Organised by entry point (issue "No silent wrong numbers"): every public constructor and run gets
the classes wrong type, wrong shape, non-finite, out of range, empty and huge. ``CASES`` are the
constructor cases; ``BY_ENTRY`` adds the rest; ``test_fuzz_*`` feeds random malformed arrays
(hypothesis) to every public constructor and asserts "clear error or a correct result".
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mastref as mr
from mastref import backend as bk
from mastref import kernels as mk

A_OK = np.eye(3)
X_OK = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y_OK = np.array([1.0, -1.0, 1.0])
NAN_X = X_OK.copy()
NAN_X[1, 1] = np.nan

CASES = [
    ("bernoulli p > 1", lambda: mr.Bernoulli(3, 1.5), ValueError, "'p'"),
    ("bernoulli p = 0", lambda: mr.Bernoulli(p=np.array([0.5, 0.0])), ValueError, "'p'"),
    ("bernoulli p nan", lambda: mr.Bernoulli(p=np.array([0.5, np.nan])), ValueError, "'p'"),
    ("bernoulli p 2-d", lambda: mr.Bernoulli(p=np.ones((2, 2))), ValueError, "'p'"),
    ("bernoulli scalar without d", lambda: mr.Bernoulli(p=0.5), TypeError, "'d'"),
    ("bernoulli length mismatch", lambda: mr.Bernoulli(3, np.array([0.5, 0.5])), ValueError, "'p'"),
    ("randk k = 0", lambda: mr.RandK(5, 0), ValueError, "'k'"),
    ("randk k > d", lambda: mr.RandK(5, 6), ValueError, "'k'"),
    ("randk float k", lambda: mr.RandK(5, 2.5), TypeError, "'k'"),
    ("identity d = 0", lambda: mr.Identity(0), ValueError, "'d'"),
    ("partition too many blocks", lambda: mr.Partition(3, 4), ValueError, "'n_blocks'"),
    (
        "partition overlapping blocks",
        lambda: mr.Partition(blocks=[[0, 1], [1, 2]]),
        ValueError,
        "'blocks'",
    ),
    (
        "partition missing coordinate",
        lambda: mr.Partition(blocks=[[0], [2]]),
        ValueError,
        "'blocks'",
    ),
    ("finite biased", lambda: mr.FiniteSketch([[1.0, 2.0], [0.0, 0.0]]), ValueError, "'diagonals'"),
    (
        "finite weights sum",
        lambda: mr.FiniteSketch([[1.0], [1.0]], [0.5, 0.6]),
        ValueError,
        "'weights'",
    ),
    (
        "finite negative weight",
        lambda: mr.FiniteSketch([[1.0], [1.0]], [1.5, -0.5]),
        ValueError,
        "'weights'",
    ),
    (
        "permutation more clients than d",
        lambda: mr.PermutationSketch(3, 4),
        ValueError,
        "'n_clients'",
    ),
    ("projection m > d", lambda: mr.Projection(3, 4), ValueError, "'m'"),
    ("gaussian m = 0", lambda: mr.Gaussian(3, 0), ValueError, "'m'"),
    (
        "quadratic not symmetric",
        lambda: mr.Quadratic([[1.0, 2.0], [0.0, 1.0]], [0, 0]),
        ValueError,
        "'A'",
    ),
    ("quadratic indefinite", lambda: mr.Quadratic(np.diag([1.0, -1.0]), [0, 0]), ValueError, "'A'"),
    ("quadratic not square", lambda: mr.Quadratic(np.ones((2, 3)), [0, 0]), ValueError, "'A'"),
    ("quadratic b wrong length", lambda: mr.Quadratic(A_OK, [1.0, 2.0]), ValueError, "'b'"),
    (
        "quadratic b outside range",
        lambda: mr.Quadratic(np.diag([1.0, 0.0]), [0.0, 1.0]),
        ValueError,
        "'b'",
    ),
    (
        "quadratic nan in A",
        lambda: mr.Quadratic(np.diag([1.0, np.nan]), [0.0, 0.0]),
        ValueError,
        "'A'",
    ),
    ("quadratic c inf", lambda: mr.Quadratic(A_OK, np.zeros(3), np.inf), ValueError, "'c'"),
    (
        "logistic labels 0/1",
        lambda: mr.LogisticRegression(X_OK, [1.0, 0.0, 1.0], 0.1),
        ValueError,
        "'y'",
    ),
    ("logistic negative lam", lambda: mr.LogisticRegression(X_OK, Y_OK, -0.1), ValueError, "'lam'"),
    ("logistic zero lam", lambda: mr.LogisticRegression(X_OK, Y_OK, 0.0), ValueError, "'lam'"),
    ("logistic nan in X", lambda: mr.LogisticRegression(NAN_X, Y_OK, 0.1), ValueError, "'X'"),
    ("logistic y length", lambda: mr.LogisticRegression(X_OK, [1.0, -1.0], 0.1), ValueError, "'y'"),
    ("logistic X 1-d", lambda: mr.LogisticRegression(np.ones(3), Y_OK, 0.1), ValueError, "'X'"),
    (
        "mast dimension mismatch",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.RandK(4, 2)),
        ValueError,
        "'sketch'",
    ),
    (
        "mast shift length",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.RandK(3, 2), shift=np.zeros(2)),
        ValueError,
        "'shift'",
    ),
    (
        "mast permutation sketch",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.PermutationSketch(3, 3)),
        TypeError,
        "'sketch'",
    ),
    (
        "mast x with nan",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.Identity(3)).value(
            np.array([0.0, np.nan, 0.0])
        ),
        ValueError,
        "'x'",
    ),
    (
        "mast sample shape",
        lambda: mr.MAST(mr.Quadratic(A_OK, np.zeros(3)), mr.Identity(3)).sketched_grad(
            np.zeros(3), np.ones(2)
        ),
        ValueError,
        "'S'",
    ),
    ("bad seed type", lambda: mr.RandK(3, 1).sample("seed"), TypeError, "'seed'"),
    (
        "moment negative order",
        lambda: mr.RandK(3, 1).moment([1, -1, 0]),
        ValueError,
        "'multi_index'",
    ),
    ("sandwich wrong shape", lambda: mr.RandK(3, 1).sandwich(np.eye(2)), ValueError, "'A'"),
]


Q3 = mr.Quadratic(A_OK, np.ones(3))
MAST3 = mr.MAST(Q3, mr.RandK(3, 1))
LOGI = mr.LogisticRegression(X_OK, Y_OK, 0.1)
V2 = np.zeros(2)
XV = X_OK @ V2
CSC = sp.csc_matrix(X_OK)
CSR = sp.csr_matrix(X_OK)
CSC_ARGS = (
    CSC.indptr.astype(np.int64),
    CSC.indices.astype(np.int64),
    CSC.data,
    Y_OK,
    XV,
    0.1,
    V2,
    np.ones(2),
)
TINY = mr.cost_budget(seconds=1e-3)  # "huge" cases: refused at once under a small budget


def _with_budget(call, **budget):
    def run():
        with mr.cost_budget(**budget):
            return call()

    return run


def _libsvm(tmp_text: str | bytes, name: str = "bad.svm", load=None):
    import pathlib
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp()) / name
    if isinstance(tmp_text, bytes):
        path.write_bytes(tmp_text)
    else:
        path.write_text(tmp_text)
    return lambda: (load or mr.load_libsvm)(path)


def _load_a5a(path):
    from mastref.data import load_a5a

    return load_a5a(path)


def _function_problem(grad, f=lambda x: 0.5 * float(x @ x), **kw):
    return lambda: mr.FunctionProblem(f, grad, **{"d": 3, "L": 1.0, **kw})


# entry point -> [(label, call, exception, regex the message must match)]
def _mast5():
    return mr.MAST(mr.Quadratic(np.diag([1.0, 2.0, 3.0, 4.0, 5.0]), np.ones(5)), mr.RandK(5, 2))


def _claim_at_zero():
    return mr.theorem1(_mast5(), x0=np.zeros(5))


def _family(**kw):
    from mastref.verify.instances import QuadraticFamily

    return QuadraticFamily(d=2, **kw)


def _tmp() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp())


def _store_then(change, **again):
    """A finished RecordStore in a fresh folder, ``change(folder)`` applied, then a second
    store opened there with ``again`` (default: the same settings, resumed)."""

    def run():
        folder = _tmp() / "out"
        bk.RecordStore(folder / "records", {"quick": True}, resume=False).close()
        change(folder)
        kw = {"settings": {"quick": True}, "resume": True, **again}
        return bk.RecordStore(folder / "records", kw.pop("settings"), **kw)

    return run


def _lock_by(pid: int, host: str | None = None):
    def change(folder):
        import json
        import socket

        holder = {"pid": pid, "host": host or socket.gethostname(), "started": "now"}
        (folder / bk.LOCK).write_text(json.dumps(holder))

    return change


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _enter(context):
    def run():
        with context():
            pass

    return run


BY_ENTRY = {
    "Quadratic": [
        ("complex A", lambda: mr.Quadratic(A_OK * (1 + 1j), np.ones(3)), TypeError, "'A'.*complex"),
        ("complex b", lambda: mr.Quadratic(A_OK, np.ones(3) + 0j), TypeError, "'b'.*complex"),
        ("string A", lambda: mr.Quadratic("eye", np.ones(3)), TypeError, "'A'"),
        ("empty A", lambda: mr.Quadratic(np.zeros((0, 0)), np.ones(0)), ValueError, "'A'"),
        ("inf b", lambda: mr.Quadratic(A_OK, [np.inf, 0, 0]), ValueError, "'b'"),
        ("f^inf overflows", lambda: mr.Quadratic(A_OK, [1e308, -1e308, 0]), ValueError, "'b'"),
        (
            "huge d: eigendecomposition refused",
            lambda: mr.Quadratic(np.eye(8000), np.ones(8000)),
            mr.CostLimitExceeded,
            "8000 x 8000.*cost_budget",
        ),
        ("value at overflowing x", lambda: Q3.value([1e200, 1e200, 0]), FloatingPointError, "'x'"),
        ("grad wrong length", lambda: Q3.grad(np.ones(2)), ValueError, "'x'"),
    ],
    "LogisticRegression": [
        ("complex X", lambda: mr.LogisticRegression(X_OK + 0j, Y_OK, 0.1), TypeError, "'X'"),
        ("nan label", lambda: mr.LogisticRegression(X_OK, [1, np.nan, 1], 0.1), ValueError, "'y'"),
        ("labels 1/2", lambda: mr.LogisticRegression(X_OK, [1, 2, 1], 0.1), ValueError, "'y'"),
        ("lam nan", lambda: mr.LogisticRegression(X_OK, Y_OK, np.nan), ValueError, "'lam'"),
        ("lam string", lambda: mr.LogisticRegression(X_OK, Y_OK, "0.1"), TypeError, "'lam'"),
        (
            "sparse X with inf",
            lambda: mr.LogisticRegression(sp.csr_matrix([[1.0, np.inf]]), [1.0], 0.1),
            ValueError,
            "'X'",
        ),
        (
            "empty X",
            lambda: mr.LogisticRegression(np.zeros((0, 2)), [], 0.1),
            ValueError,
            "'X'|'y'",
        ),
        ("batch rows out of range", lambda: LOGI.batch_grad(V2, [0, 5]), ValueError, "'rows'"),
    ],
    "LeastSquares": [
        ("complex y", lambda: mr.LeastSquares(X_OK, Y_OK + 0j, 0.1), TypeError, "'y'"),
        ("y length", lambda: mr.LeastSquares(X_OK, [1.0], 0.1), ValueError, "'y'"),
        ("negative lam", lambda: mr.LeastSquares(X_OK, Y_OK, -1.0), ValueError, "'lam'"),
    ],
    "sketch laws": [
        (
            "bernoulli complex p",
            lambda: mr.Bernoulli(p=np.array([0.5 + 0j, 0.5])),
            TypeError,
            "'p'",
        ),
        ("bernoulli in the 0.2 order (p, d)", lambda: mr.Bernoulli(0.5, 4), TypeError, "'d'"),
        ("bernoulli ragged p", lambda: mr.Bernoulli(p=[[0.5], [0.5, 0.5]]), TypeError, "'p'"),
        (
            "random subset negative size probability",
            lambda: mr.RandomSubset(4, [1, 2, 3], [0.5, -0.1, 0.6], 4 / 2.2),
            ValueError,
            "'size_probs'",
        ),
        (
            "random subset nan size probability",
            lambda: mr.RandomSubset(4, [1, 2], [0.5, np.nan], 8 / 3),
            ValueError,
            "'size_probs'",
        ),
        (
            "random subset probabilities not summing to 1",
            lambda: mr.RandomSubset(4, [1, 2], [0.5, 0.6], 4 / 1.7),
            ValueError,
            "'size_probs'",
        ),
        ("randk d huge float", lambda: mr.RandK(1e6, 3), TypeError, "'d'"),
        ("sample_supports n = -1", lambda: mr.RandK(3, 1).sample_supports(-1), ValueError, "n_"),
        ("sample_supports n = 0.5", lambda: mr.RandK(3, 1).sample_supports(0.5), TypeError, "n_"),
        (
            "dense d x d second moment beyond the memory budget",
            lambda: mr.Bernoulli(100_000, 0.5).second_moment(),
            mr.CostLimitExceeded,
            "GiB",
        ),
        ("projection huge d", lambda: mr.Projection(10**6, 3), mr.CostLimitExceeded, "memory"),
    ],
    "MAST": [
        (
            "complex shift",
            lambda: mr.MAST(Q3, mr.RandK(3, 1), shift=np.ones(3) * 1j),
            TypeError,
            "'shift'",
        ),
        (
            "shift overflows f",
            lambda: mr.MAST(Q3, mr.RandK(3, 1), shift=[1e200, 0, 0]),
            ValueError,
            "'shift'",
        ),
        ("grad of nan x", lambda: MAST3.grad([np.nan, 0, 0]), ValueError, "'x'"),
        (
            "values_and_grads 1-d",
            lambda: MAST3.values_and_grads(np.zeros(3)),
            ValueError,
            "'X'|'Y'",
        ),
    ],
    "FunctionProblem": [
        ("grad = 3x for f = |x|^2/2", _function_problem(lambda x: 3 * x), ValueError, "'grad'"),
        (
            "stated L = 0.5 below the curvature 10",
            _function_problem(lambda x: 10 * x, f=lambda x: 5 * float(x @ x), L=0.5),
            ValueError,
            "stated L = 0.5 is below the measured curvature 10",
        ),
        (
            "stated mu above the curvature",
            _function_problem(lambda x: 0.5 * x, f=lambda x: 0.25 * float(x @ x), mu=1.0),
            ValueError,
            "stated mu = 1 is above the measured curvature 0.5",
        ),
        (
            "inconsistent argmin",
            _function_problem(lambda x: x, mu=1.0, argmin=np.ones(3)),
            ValueError,
            "'argmin'",
        ),
        (
            "hess = 2I for f = |x|^2/2",
            _function_problem(lambda x: x, hess=lambda x: 2 * np.eye(3)),
            ValueError,
            "'hess'",
        ),
        ("f returns a vector", _function_problem(lambda x: x, f=lambda x: x), TypeError, "'f'"),
        ("grad returns a scalar", _function_problem(lambda x: 1.0), ValueError, "grad"),
    ],
    "public doors": [
        (
            "bool logistic labels",
            lambda: mr.LogisticRegression(X_OK, np.array([True, True, True]), 0.1),
            TypeError,
            "'y'.*bool",
        ),
        (
            "mixed quadratic and logistic clients",
            lambda: mr.DistributedProblem(
                [mr.Quadratic(np.eye(2), np.ones(2)), LOGI], mr.RandK(2, 1)
            ),
            TypeError,
            "'problems' mixes",
        ),
        (
            "sketches given as a string",
            lambda: mr.DistributedProblem([Q3, Q3], "rk"),
            TypeError,
            "'sketches' = 'rk'",
        ),
        (
            "sketches list holding a non-law",
            lambda: mr.DistributedProblem([Q3, Q3], [mr.RandK(3, 1), "k"]),
            TypeError,
            r"'sketches'\[1\]",
        ),
        ("rng = -1", lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 5, rng=-1), ValueError, "'rng' = -1"),
        ("rng = 'seed'", lambda: mr.RandK(3, 1).sample_supports(2, rng="a"), TypeError, "'rng'"),
    ],
    "algorithms": [
        ("dsgd complex x0", lambda: mr.dsgd(MAST3, np.zeros(3) + 0j, 0.1, 5), TypeError, "'x0'"),
        ("dsgd x0 2-d wrong", lambda: mr.dsgd(MAST3, np.zeros((2, 3)), 0.1, 5), ValueError, "'x0'"),
        ("dsgd gamma 0", lambda: mr.dsgd(MAST3, np.zeros(3), 0.0, 5), ValueError, "'gamma'"),
        ("dsgd gamma nan", lambda: mr.dsgd(MAST3, np.zeros(3), np.nan, 5), ValueError, "'gamma'"),
        ("dsgd n_steps < 0", lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, -1), ValueError, "'n_steps'"),
        (
            "dsgd n_steps = 10**12 refused at once",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 10**12),
            mr.CostLimitExceeded,
            "n_steps = 1000000000000.*cost_budget",
        ),
        (
            "dsgd recorded iterates beyond memory",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 10**6, n_runs=10**5, record_every=1),
            mr.CostLimitExceeded,
            "record",
        ),
        (
            "dsgd diverging, asked to raise",
            lambda: mr.dsgd(MAST3, np.zeros(3), 1e3, 1000, on_divergence="raise", rng=0),
            mr.DivergenceError,
            "gamma = 1000.*gamma_max",
        ),
        (
            "dsgd on_divergence typo",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 5, on_divergence="ignore"),
            ValueError,
            "'on_divergence'",
        ),
        (
            "gd_mast gamma inf",
            lambda: mr.gd_mast(MAST3, np.zeros(3), np.inf, 5),
            ValueError,
            "'gamma'",
        ),
        (
            "theorem4 p > 1",
            lambda: mr.theorem4(mr.MAST(Q3, mr.Partition(3, 3, rng=0)), p=1.5),
            ValueError,
            r"'p' = 1.5 \(the refresh probability\) must lie in \(0, 1\]",
        ),
        (
            "l_svrdsg p > 1",
            lambda: mr.l_svrdsg(mr.MAST(Q3, mr.Partition(3, 3, rng=0)), np.zeros(3), 0.1, 5, p=1.5),
            ValueError,
            "'p'",
        ),
        (
            "distributed diverging, asked to raise",
            lambda: mr.distributed_dsgd(
                mr.DistributedProblem([Q3, Q3], mr.PermutationSketch(3, 2)),
                np.zeros(3),
                1e3,
                1000,
                on_divergence="raise",
                rng=0,
            ),
            mr.DivergenceError,
            "Theorem 5",
        ),
    ],
    "exact recursions": [
        (
            "expected_dsgd nan x0",
            lambda: mr.expected_dsgd(MAST3, [np.nan, 0, 0], 0.1, 5),
            ValueError,
            "'x0'",
        ),
        (
            "expected_dsgd x0 overflows",
            lambda: mr.expected_dsgd(MAST3, [1e200, 0, 0], 0.1, 5),
            ValueError,
            "'x0'",
        ),
        (
            "expected_dsgd method typo",
            lambda: mr.expected_dsgd(MAST3, np.zeros(3), 0.1, 5, method="fast"),
            ValueError,
            "'method'",
        ),
        (
            "expected_dsgd d = 400, T = 10**6 refused at once",
            lambda: mr.expected_dsgd(
                mr.MAST(mr.Quadratic(np.eye(400), np.ones(400)), mr.RandK(400, 4)),
                np.zeros(400),
                0.1,
                10**6,
            ),
            mr.CostLimitExceeded,
            "d = 400.*cost_budget",
        ),
        (
            "expected_svrdsg diverging, asked to raise",
            lambda: mr.expected_svrdsg(
                mr.MAST(Q3, mr.Partition(3, 3, rng=0)),
                np.zeros(3),
                50.0,
                2000,
                on_divergence="raise",
            ),
            mr.DivergenceError,
            "Theorem 4",
        ),
    ],
    "kernels": [
        (
            "idx out of range",
            lambda: mk.logistic_csc_kernel(*CSC_ARGS, np.array([2]), np.ones(1)),
            ValueError,
            "'idx'",
        ),
        (
            "negative idx",
            lambda: mk.logistic_csc_kernel(*CSC_ARGS, np.array([-1]), np.ones(1)),
            ValueError,
            "'idx'",
        ),
        (
            "idx/sc lengths",
            lambda: mk.logistic_csc_kernel(*CSC_ARGS, np.array([0, 1]), np.ones(1)),
            ValueError,
            "'sc'",
        ),
        (
            "repeated idx",
            lambda: mk.quadratic_kernel(
                A_OK, np.ones(3), np.zeros(3), np.zeros(3), np.array([1, 1]), np.ones(2)
            ),
            ValueError,
            "'idx'",
        ),
        (
            "float idx",
            lambda: mk.quadratic_kernel(
                A_OK, np.ones(3), np.zeros(3), np.zeros(3), np.array([0.0]), np.ones(1)
            ),
            ValueError,
            "'idx'",
        ),
        (
            "nan scale",
            lambda: mk.quadratic_kernel(
                A_OK, np.ones(3), np.zeros(3), np.zeros(3), np.array([0]), np.array([np.nan])
            ),
            ValueError,
            "'sc'",
        ),
    ],
    "kernel data arrays": [
        (
            "csc row index far out of range",
            lambda: mk.logistic_csc_kernel(
                CSC_ARGS[0], np.array([0, 10**9, 2]), *CSC_ARGS[2:], np.array([0]), np.ones(1)
            ),
            ValueError,
            "'indices'",
        ),
        (
            "csc pointers out of order",
            lambda: mk.logistic_csc_kernel(
                np.array([0, 3, 1]), *CSC_ARGS[1:], np.array([1]), np.ones(1)
            ),
            ValueError,
            "'indices'|'indptr'",
        ),
        (
            "csr column index out of range",
            lambda: mk.logistic_csr_kernel(
                CSR.indptr,
                np.array([0, 5, 0, 1]),
                CSR.data,
                Y_OK,
                XV,
                0.1,
                V2,
                V2,
                np.array([0]),
                np.ones(1),
            ),
            ValueError,
            "'indices'",
        ),
        (
            "minibatch pos scratch not -1",
            lambda: mk.logistic_csr_batch_kernel(
                CSR.indptr,
                CSR.indices,
                CSR.data,
                Y_OK,
                XV,
                0.1,
                V2,
                V2,
                np.array([0]),
                np.ones(1),
                np.array([0, 1]),
                np.array([7, 7]),
            ),
            ValueError,
            "'pos'",
        ),
    ],
    "data": [
        ("libsvm nan value", _libsvm("+1 1:nan 2:1\n-1 2:1\n"), ValueError, "line 1.*non-finite"),
        ("libsvm inf value", _libsvm("+1 1:1\n-1 2:inf\n"), ValueError, "line 2.*non-finite"),
        ("libsvm nan label", _libsvm("+1 1:1\nnan 2:1\n"), ValueError, "line 2.*label"),
        ("libsvm three labels", _libsvm("1 1:1\n2 2:1\n3 1:1\n"), ValueError, "labels"),
        ("libsvm bad index", _libsvm("+1 0:1\n"), ValueError, "line 1"),
        (
            "libsvm binary file",
            _libsvm(b"+1 1:1\n\x00\x01\x02\n"),
            ValueError,
            "bad.svm, line 2.*binary",
        ),
        (
            "libsvm not UTF-8",
            _libsvm(b"+1 1:1\n-1 2:\xff\n"),
            ValueError,
            "bad.svm, line 2: not UTF-8",
        ),
        (
            "libsvm huge index",
            _libsvm("+1 1:1\n-1 99999999999999999999999:1\n"),
            ValueError,
            "bad.svm, line 2.*exceeds",
        ),
        ("libsvm item without colon", _libsvm("+1 1:1 7\n"), ValueError, "line 1.*'7'"),
        (
            "a 2-sample, 5-feature file taken for a5a",
            _libsvm("+1 1:1\n-1 5:1\n", name="a5a", load=_load_a5a),
            ValueError,
            "2 samples .* is not a5a \\(6414 samples, 123 features",
        ),
        (
            "save_libsvm label +0.5",
            lambda: mr.save_libsvm("/dev/null", np.eye(2), [0.5, 1.0]),
            ValueError,
            "'y' has label 0.5",
        ),
        (
            "save_libsvm nan",
            lambda: mr.save_libsvm("/dev/null", np.array([[np.nan]]), [1.0]),
            ValueError,
            "'X'",
        ),
        (
            "synthetic_a5a_like(10**9) refused at once",
            lambda: mr.synthetic_a5a_like(10**9),
            mr.CostLimitExceeded,
            "n_samples = 1000000000",
        ),
        (
            "synthetic nnz_per_row > d",
            lambda: mr.synthetic_a5a_like(10, 5, 6),
            ValueError,
            "'nnz_per_row'",
        ),
    ],
    "verifier": [
        (
            "check: x0 differs from the claim's start",
            lambda: mr.check(_claim_at_zero(), _mast5(), n_steps=5, x0=np.full(5, 10.0)),
            ValueError,
            "'x0'.*differs from the start",
        ),
        (
            "check: a problem, not a MAST",
            lambda: mr.check(mr.theorem1, mr.Quadratic(np.eye(2), np.ones(2)), n_steps=5),
            TypeError,
            "'obj'.*must be a MAST",
        ),
        (
            "check: x0 of the wrong shape",
            lambda: mr.check(mr.theorem1, _mast5(), n_steps=5, x0=np.zeros(4)),
            ValueError,
            "'x0'",
        ),
        (
            "theorem1 on clients",
            lambda: mr.theorem1(
                mr.DistributedProblem([mr.Quadratic(np.eye(2), np.ones(2))] * 2, mr.RandK(2, 1)),
                n_steps=5,
            ),
            TypeError,
            "'mast'.*use theorem5",
        ),
        (
            "worst_case: unknown window",
            lambda: mr.worst_case(mr.theorem1, _family(), n_steps=5, budget=8, window="last"),
            ValueError,
            "'window' = 'last'",
        ),
        (
            "worst_case: a law, not a family",
            lambda: mr.worst_case(mr.theorem1, mr.RandK(2, 1), n_steps=5, budget=8),
            TypeError,
            "'family'",
        ),
        ("family: unknown law name", lambda: _family(sketches=("randK",)), ValueError, "'randK'"),
        (
            "family: law of another dimension",
            lambda: _family(sketches=(mr.RandK(3, 1),)),
            ValueError,
            "'sketches'.*d = 3",
        ),
        (
            "family: step range reversed",
            lambda: _family(step_fraction=(1.0, 0.5)),
            ValueError,
            "'step_fraction'",
        ),
        (
            "family: step not a pair",
            lambda: _family(step_fraction=0.5),
            ValueError,
            "'step_fraction' = 0.5",
        ),
        ("family: kappa < 1", lambda: _family(kappa=0.5), ValueError, "'kappa'"),
        (
            "Guarantee: negative step",
            lambda: mr.Guarantee(name="c", quantity="dist2", gamma=-0.1, bound=lambda t: t),
            ValueError,
            "'gamma' = -0.1",
        ),
        (
            "Guarantee: nan step limit",
            lambda: mr.Guarantee(
                name="c", quantity="dist2", gamma=0.1, gamma_max=np.nan, bound=lambda t: t
            ),
            ValueError,
            "'gamma_max'",
        ),
    ],
    "reference path": [
        (
            "sketched_grad_support index -1",
            lambda: mr.FunctionProblem(
                lambda x: 0.5 * float(x @ x), lambda x: x, d=3, L=1.0
            ).sketched_grad_support(np.zeros(3), np.ones(3), np.array([-1]), np.ones(1)),
            ValueError,
            "'idx' has index -1",
        ),
        (
            "sketched_grad_support index d",
            lambda: LOGI.sketched_grad_support(V2, V2, np.array([2]), np.ones(1)),
            ValueError,
            "'idx' has index 2",
        ),
        (
            "sketched_grad_support lengths",
            lambda: LOGI.sketched_grad_support(V2, V2, np.array([0, 1]), np.ones(1)),
            ValueError,
            "'sc'",
        ),
        (
            "sketched_grad_support short x",
            lambda: LOGI.sketched_grad_support(V2, np.ones(1), np.array([0]), np.ones(1)),
            ValueError,
            "'x'",
        ),
    ],
    "records and folders": [
        ("out = ''", lambda: bk.check_out(""), ValueError, "'out' = '' is empty"),
        (
            "damaged settings",
            _store_then(lambda f: (f / "records" / "settings.json").write_text("{")),
            bk.OutFolderError,
            "settings file .* cannot be read.*--out",
        ),
        (
            "other settings",
            _store_then(lambda f: None, settings={"quick": False}),
            bk.OutFolderError,
            "quick: True there, False now.*--out .*out-2",
        ),
        (
            "folder of another kind",
            _store_then(lambda f: None, kind="experiment"),
            bk.OutFolderError,
            "holds a run of kind 'verify'",
        ),
        (
            "folder of another catalogue",
            _store_then(
                lambda f: bk.save_record(f / bk.MARKER, {"kind": "verify", "catalogue": "v1"}),
                catalogue="v2",
            ),
            bk.OutFolderError,
            "catalogue",
        ),
        (
            "locked by a live process",
            _store_then(_lock_by(os.getppid())),
            bk.OutFolderError,
            f"another mastref run \\(PID {os.getppid()}",
        ),
        (
            "locked from another host",
            _store_then(_lock_by(1, host="elsewhere")),
            bk.OutFolderError,
            "PID 1 on host elsewhere",
        ),
    ],
    "backends": [
        (
            "scheduler on a closed loopback port",
            _enter(lambda: bk.dask_client(f"tcp://127.0.0.1:{_closed_port()}")),
            ConnectionError,
            "cannot reach a Dask scheduler at tcp://127.0.0.1:",
        ),
        (
            "scheduler port 70000",
            _enter(lambda: bk.dask_client("tcp://127.0.0.1:70000")),
            ValueError,
            "'scheduler' = 'tcp://127.0.0.1:70000'",
        ),
        ("n_jobs = 0", lambda: bk.map_tasks(abs, [1], n_jobs=0), ValueError, "'n_jobs'"),
        ("backend typo", lambda: bk.map_tasks(abs, [1], backend="ray"), ValueError, "'backend'"),
    ],
    "budget": [
        (
            "dsgd(n_runs=10**10)",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 5, n_runs=10**10),
            mr.CostLimitExceeded,
            "n_runs = 10000000000 x d = 3 needs 224 GiB.*Reduce n_runs",
        ),
        (
            "gd_mast(n_runs=10**10)",
            lambda: mr.gd_mast(MAST3, np.zeros(3), 0.1, 5, n_runs=10**10),
            mr.CostLimitExceeded,
            "n_runs",
        ),
        (
            "l_svrdsg(n_steps=10**10)",
            lambda: mr.l_svrdsg(mr.MAST(Q3, mr.Partition(3, 3, rng=0)), np.zeros(3), 0.1, 10**10),
            mr.CostLimitExceeded,
            "Reduce n_steps",
        ),
        (
            "distributed_dsgd(n_runs=10**9, n_steps=10**4)",
            lambda: mr.distributed_dsgd(
                mr.DistributedProblem([Q3, Q3], mr.RandK(3, 1)),
                np.zeros(3),
                0.1,
                10**4,
                n_runs=10**8,
            ),
            mr.CostLimitExceeded,
            "n_runs",
        ),
        (
            "dsgd with a dense law: a Python call per run and step",
            lambda: mr.dsgd(mr.MAST(Q3, mr.Gaussian(3, 1)), np.zeros(3), 0.01, 10**5, n_runs=10**4),
            mr.CostLimitExceeded,
            "n_steps = 100000 x n_runs = 10000",
        ),
        (
            "dsgd recording every step of 10**11",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 10**11, record_every=1),
            mr.CostLimitExceeded,
            "record_every",
        ),
        (
            "dsgd geometric = 10**10 records",
            lambda: mr.dsgd(MAST3, np.zeros(3), 0.1, 10, geometric=10**10),
            mr.CostLimitExceeded,
            "geometric",
        ),
        (
            "cost_budget seconds 0",
            lambda: mr.cost_budget(seconds=0).__enter__(),
            ValueError,
            "'seconds'",
        ),
    ],
}

ALL = [
    (f"{entry}: {label}", call, exc, match)
    for entry, cases in BY_ENTRY.items()
    for label, call, exc, match in cases
]
ALL += [(f"constructors: {c[0]}", *c[1:]) for c in CASES]


@pytest.mark.parametrize(("name", "call", "exc", "match"), ALL, ids=[c[0] for c in ALL])
def test_bad_input_is_rejected_with_the_argument_named(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_the_suite_covers_every_entry_point_with_many_cases():
    counts = {entry: len(cases) for entry, cases in BY_ENTRY.items()}
    counts["constructors"] = len(CASES)
    assert len({c[0] for c in ALL}) == len(ALL)
    assert sum(counts.values()) >= 100
    assert all(n >= 1 for n in counts.values())


def test_divergence_stops_the_run_and_says_where():
    with pytest.warns(mr.DivergenceWarning, match=r"step \d+ of 1000; gamma = 1000"):
        trace = mr.dsgd(MAST3, np.zeros(3), 1e3, 1000, n_runs=2, rng=0)
    t = trace.stopped_at
    assert t is not None and 0 < t < 1000
    assert trace.steps[-1] == t and trace.iterates.shape[0] == trace.steps.size
    assert np.all(np.isfinite(trace.iterates[:-1])) and not np.all(np.isfinite(trace.final))
    assert "DIVERGED" in repr(trace)
    with pytest.warns(mr.DivergenceWarning, match="expected curve"):
        e = mr.expected_dsgd(MAST3, np.zeros(3), 1e3, 1000)
    assert e.stopped_at is not None and e.steps[-1] == e.stopped_at == e.dist2.size - 1
    assert np.all(np.isfinite(e.dist2[:-1])) and not np.isfinite(e.dist2[-1])


def test_a_user_problem_is_checked_at_the_door_and_blamed_when_it_breaks():
    """A user's ``grad`` of the wrong length ran silently in ``dsgd`` (a new user's trial, stop
    31); ``MAST`` now refuses it, and one that is non-finite at the shift, naming the problem.
    A problem that breaks only away from the shift, inside the step limit, gets a divergence
    warning that blames the problem, not the step."""

    class Centred(mr.Problem):  # f(x) = ||x - c||^2/2, no kernel: the reference path
        d, L, mu, inf = 3, 1.0, 1.0, 0.0
        c = np.ones(3)

        def value(self, x):
            return 0.5 * float(np.sum((x - self.c) ** 2))

        def grad(self, x):
            return x - self.c

        def argmin(self):
            return self.c.copy()

    class WrongLength(Centred):
        def grad(self, x):
            return np.append(x - self.c, 0.0)

    class NaNGrad(Centred):
        def grad(self, x):
            return np.full(3, np.nan)

    class BreaksAway(Centred):
        def grad(self, x):  # finite at the shift 0, NaN once a coordinate passes 0.2
            return np.where(np.abs(x) > 0.2, np.nan, x - self.c)

    with pytest.raises(ValueError, match=r"grad returned an array of shape \(4,\) .* 3 numbers"):
        mr.MAST(WrongLength(), mr.RandK(3, 1))
    with pytest.raises(ValueError, match="grad 3 non-finite entries"):
        mr.MAST(NaNGrad(), mr.RandK(3, 1))
    mast = mr.MAST(BreaksAway(), mr.RandK(3, 1))  # x_D* = c/3
    with pytest.warns(mr.DivergenceWarning, match="the likely cause is the problem"):
        trace = mr.dsgd(mast, np.zeros(3), 0.5 / mast.L_max, 50, rng=0)
    assert trace.stopped_at is not None


def test_no_divergence_warning_inside_the_step_limit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = mr.dsgd(MAST3, np.zeros(3), 1.0 / MAST3.L_max, 500, rng=0)
        e = mr.expected_dsgd(MAST3, np.zeros(3), 1.0 / MAST3.L_max, 500)
    assert trace.stopped_at is None and e.stopped_at is None
    assert trace.steps[-1] == 500 and e.steps[-1] == 500


def test_costs_are_refused_before_any_work():
    import time

    for case in BY_ENTRY["budget"][:5]:
        start = time.perf_counter()
        with pytest.raises(mr.CostLimitExceeded):
            case[1]()
        assert time.perf_counter() - start < 1.0, case[0]


def test_cost_budget_can_be_raised_and_is_restored():
    with mr.cost_budget(seconds=1e-6), pytest.raises(mr.CostLimitExceeded, match="cost_budget"):
        mr.dsgd(MAST3, np.zeros(3), 0.1, 10_000)
    with mr.cost_budget(seconds=1e9):
        assert mr.cost_limits()["seconds"] == 1e9
    assert mr.cost_limits()["seconds"] == 600.0


# ------------------------------------------------------------------------------------------------
# Fuzz: random malformed arrays to every public constructor
# ------------------------------------------------------------------------------------------------

CLEAR = (ValueError, TypeError, mr.MissingCapability, FloatingPointError)

_DTYPES = st.sampled_from(["float64", "int64", "complex128", "bool", "object", "str"])
_SPECIAL = st.sampled_from([0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-320])


@st.composite
def malformed(draw):
    """Arrays of random shape (0-3 dims, sides 0-4) and dtype, with special values mixed in."""
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    size = int(np.prod(shape)) if shape else 1
    values = draw(st.lists(_SPECIAL, min_size=size, max_size=size))
    arr = np.array(values, dtype=float).reshape(shape) if shape else np.float64(values[0])
    kind = draw(_DTYPES)
    if kind == "str":
        return arr.astype(str)
    if kind == "object":
        return arr.astype(object)
    with np.errstate(invalid="ignore", over="ignore"):
        return arr.astype(kind) if kind != "int64" else np.nan_to_num(arr).astype(np.int64)


def _check_problem(f):
    x = np.zeros(f.d)
    assert np.isfinite(f.value(x)) and np.all(np.isfinite(f.grad(x)))
    assert np.isfinite(f.L) and f.L >= 0


def _check_sketch(law):
    assert np.isfinite(law.L_D) and law.L_D >= 1 - 1e-12
    assert np.all(np.isfinite(np.asarray(law.sample(0))))


CONSTRUCTORS = {
    "Quadratic(A, b)": (
        lambda a: mr.Quadratic(a, np.ones(np.shape(a)[0] if np.ndim(a) else 1)),
        _check_problem,
    ),
    "Quadratic(I, b)": (lambda a: mr.Quadratic(np.eye(2), a), _check_problem),
    "LogisticRegression(X, y)": (lambda a: mr.LogisticRegression(a, Y_OK, 0.1), _check_problem),
    "LogisticRegression(X_OK, y)": (lambda a: mr.LogisticRegression(X_OK, a, 0.1), _check_problem),
    "LeastSquares(X, y)": (lambda a: mr.LeastSquares(a, Y_OK, 0.1), _check_problem),
    "Bernoulli(p)": (lambda a: mr.Bernoulli(p=a), _check_sketch),
    "FiniteSketch(diagonals)": (lambda a: mr.FiniteSketch(a), _check_sketch),
    "FiniteSketch(weights)": (lambda a: mr.FiniteSketch(np.eye(2) * 2, a), _check_sketch),
    "RandomSubset(size_probs)": (lambda a: mr.RandomSubset(2, [1, 2], a, 1.0), _check_sketch),
    "MAST(shift)": (
        lambda a: mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1), shift=a),
        lambda m: np.isfinite(m.gap),
    ),
}


@pytest.mark.parametrize("name", list(CONSTRUCTORS))
@settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(arr=malformed())
def test_fuzz_constructors_give_a_clear_error_or_a_correct_object(name, arr):
    build, check = CONSTRUCTORS[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ComplexWarning, no RuntimeWarning overflow
            obj = build(arr)
    except CLEAR as err:
        assert "'" in str(err), f"{name}: message names nothing: {err}"
        return
    check(obj)
