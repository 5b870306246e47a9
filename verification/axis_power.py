"""How much of each hypothesis axis the checker covers: the held-out variants of
``verification/axis_variants.py`` patched in as a new user would (issue 20).

For each variant the statement it patches is replaced everywhere a user can reach it
(``mastref.theorems.<module>.<key>``, ``mastref.theorems.<key>``, ``mastref.<key>``,
``mastref.theorems.REGISTRY`` and ``mastref.catalogue.<key>.<key>``; ``registry()`` rebuilds its
entries from the catalogue module, so its
``statement``, checks and ``search`` see the variant), and four routes are tried in this process
(serially: patches do not reach worker processes):

* ``quick`` and ``full``: the catalogue checks of that theorem's registry entries (the entry
  itself and ``<key>-...`` entries, counterexample checks and a5a checks left out), run as
  ``mastref verify --quick`` / ``mastref verify`` run them (``mastref.report.run_check``), exact
  checks first; killed = some check ``violated`` (the route stops there). Checks of other
  theorems do not call the statement and are not run.
* ``search``: ``worst_case`` with the entry's own default search (``registry()[key].search()``:
  claim, family, horizon, window) at budget 512, ``rng=0``, no seeding; killed = ``violated``.
* ``witness``: ``mastref.check`` of the variant on the instance named in its docstring (exact
  where §6 applies, else Monte Carlo), to show that the variant is false; not a route of the
  checker.

Each route also counts the calls that reached the variant, so that a route which never calls
the statement is told apart from one that calls it and finds nothing.

Usage (from the worktree root)::

    PYTHONPATH=. python verification/axis_power.py --out DIR [--variants a,b] [--routes ...]
    PYTHONPATH=. python verification/axis_power.py --table DIR   # writes AXIS_POWER.md

One JSON file per variant goes to ``DIR``; ``--table`` merges them into
``verification/AXIS_POWER.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import math
import sys
import time
import traceback
import warnings
from pathlib import Path
from unittest import mock

import numpy as np

import mastref as mr
import mastref.catalogue as catalogue
import mastref.theorems as theorems
from mastref.report import run_check
from mastref.verify import worst_case
from mastref.verify.instances import isotropic, near_scalar
from verification.axis_variants import MODULE_OF, VARIANTS, Variant

ROUTES = ("quick", "full", "search", "witness")
BUDGET = 512


@contextlib.contextmanager
def patched(variant: Variant, calls: list):
    """Replace the statement ``variant.statement`` by the variant everywhere a user reaches it;
    ``calls`` gets one entry per call."""
    key = variant.statement
    attr = "baseline_gd" if key == "baseline" else key  # the function's name in the modules
    module = sys.modules[f"mastref.theorems.{MODULE_OF[key]}"]
    entry_module = sys.modules[f"mastref.catalogue.{key}"]  # its checks and search call this

    @functools.wraps(variant.claim)
    def claim(*args, **kw):
        calls.append(1)
        return variant.claim(*args, **kw)

    with (
        mock.patch.object(module, attr, claim),
        mock.patch.object(entry_module, attr, claim),
        mock.patch.object(theorems, attr, claim),
        mock.patch.object(mr, attr, claim),
        mock.patch.dict(theorems.REGISTRY, {key: claim}),
    ):
        yield


def entry_checks(key: str) -> list:
    """The catalogue checks of ``key``'s registry entries, exact checks first."""
    checks = [
        c
        for name, e in catalogue.registry().items()
        if name == key or name.startswith(key + "-")
        for c in e.checks
        if not c.needs_data and c.kind != "counterexample"
    ]
    return sorted(checks, key=lambda c: c.method == "Monte Carlo")


def catalogue_route(variant: Variant, quick: bool) -> dict:
    """Run the theorem's checks with the variant patched in; stop at the first violation."""
    calls: list = []
    start = time.perf_counter()
    verdicts = {}
    killer = ""
    with patched(variant, calls):
        for check in entry_checks(variant.statement):
            try:
                r = run_check(check.name, quick=quick)
                verdicts[check.name] = r.verdict
                tight = float(getattr(r, "max_tightness", math.nan))
                verdicts[check.name] += f" ({tight:.3g})"
            except Exception as err:  # noqa: BLE001 - an error is reported, not a kill
                verdicts[check.name] = f"error: {type(err).__name__}: {str(err)[:120]}"
                continue
            if r.verdict == "violated":
                killer = check.name
                break
    return {
        "killed": bool(killer),
        "by": killer,
        "verdicts": verdicts,
        "calls": len(calls),
        "seconds": time.perf_counter() - start,
    }


def search_route(variant: Variant, budget: int = BUDGET) -> dict:
    """``worst_case`` with the entry's default search, the variant patched in."""
    calls: list = []
    start = time.perf_counter()
    with patched(variant, calls):
        entry = catalogue.registry()[variant.statement]
        claim, family, n_steps, window = entry.search()
        try:
            found = worst_case(
                claim,
                family,
                n_steps=n_steps,
                budget=budget,
                rng=0,
                window=window,
                progress=False,
            )
        except Exception as err:  # noqa: BLE001
            return {
                "killed": False,
                "error": f"{type(err).__name__}: {str(err)[:200]}",
                "calls": len(calls),
                "seconds": time.perf_counter() - start,
            }
    return {
        "killed": found.verdict == "violated",
        "verdict": found.verdict,
        "ratio": float(found.ratio),
        "evaluations": int(found.evaluations),
        "claim": getattr(claim, "__name__", repr(claim)),
        "family": repr(family),
        "n_steps": int(n_steps),
        "window": window,
        "instance": repr(found.instance),
        "calls": len(calls),
        "seconds": time.perf_counter() - start,
    }


# ------------------------------------------------------------------------------------------------
# Witnesses: the instance named in each variant's docstring
# ------------------------------------------------------------------------------------------------


def _clients(problems, laws, v=None):
    return mr.DistributedProblem(problems, laws, shift=v)


def _near_scalar_law(eps=0.01, d=2):
    ones = np.ones(d)
    return mr.FiniteSketch(np.array([(1 - eps) * ones, (1 + eps) * ones]))


def _near_identity_law(eps=0.05, pairs=8, seed=1):
    """``2 pairs`` uniform atoms ``1 +- eps r`` (random signs ``r``, antithetic) in d = 2."""
    r = np.random.default_rng(seed).choice([-1.0, 1.0], size=(pairs, 2))
    return mr.FiniteSketch(1 + eps * np.vstack([r, -r]))


def _round7_cases(name: str) -> list:
    """Witnesses of the round-seven variants (written blind, 2026-12-07)."""
    claim = VARIANTS[name].claim
    x_star = 3.0 * np.ones(2)
    near_scalar = mr.MAST(mr.Quadratic(np.eye(2), x_star), _near_scalar_law(), shift=np.zeros(2))
    if name == "t1_rate_accelerated":
        A = np.diag([1.0, 0.1])
        mast = mr.MAST(mr.Quadratic(A, A @ x_star), mr.Identity(2), shift=x_star)
        return [
            (
                "diag(1, 0.1), identity law, v = x*, x0 - x* = e_2, T=60",
                claim,
                mast,
                dict(x0=x_star + np.array([0.0, 1.0]), n_steps=60),
            )
        ]
    if name in ("t1_LS_mean", "t1_floor_accumulated"):
        mast = mr.MAST(mr.Quadratic(np.eye(2), x_star), mr.Bernoulli(2, 0.5), shift=x_star)
        out = [
            (
                "isotropic, Bernoulli(2, 0.5), v = x*, variant's step, T=30",
                claim,
                mast,
                dict(x0=x_star + 1.0, n_steps=30),
            )
        ]
        if name == "t1_floor_accumulated":  # a gap, started at x_D* (the probe's early bound)
            out = [
                (
                    "near-scalar (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_D*, T=3000",
                    claim,
                    near_scalar,
                    dict(x0=near_scalar.argmin(), n_steps=3000),
                )
            ] + out
        return out
    if name == "t1_gap_erm_suboptimality":
        g = mr.theorem1(near_scalar)
        return [
            (
                "near-scalar (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_D*, 0.5 gamma_max, T=3000",
                claim,
                near_scalar,
                dict(x0=near_scalar.argmin(), gamma=0.5 * g.gamma, n_steps=3000),
            )
        ]
    if name == "t2_delta0_gradient":
        mast = mr.MAST(mr.Quadratic(np.diag([1.0, 0.001]), np.zeros(2)), mr.Identity(2))
        return [
            (
                "diag(1, 0.001), identity law, v = x* = 0, x0 = e_2, T=100",
                claim,
                mast,
                dict(x0=np.array([0.0, 1.0]), n_steps=100),
            )
        ]
    if name in ("t3sc_floor_rho_as_gamma_mu", "t3sc_floor_accumulated"):
        sc = functools.partial(claim, strongly_convex=True)
        g = mr.theorem3(near_scalar, strongly_convex=True)
        frac = 1.96 if name == "t3sc_floor_rho_as_gamma_mu" else 1.0  # 0.98 of the limit
        return [
            (
                f"near-scalar (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_D*, {frac} gamma_def, "
                "T=2000",
                sc,
                near_scalar,
                dict(x0=near_scalar.argmin(), gamma=frac * g.gamma, n_steps=2000),
            )
        ]
    if name == "t3_tau_LS_on_B_only":
        out = []
        for p in (0.5, 0.25):
            mast = mr.MAST(
                mr.LeastSquares(np.ones((2, 1)), np.array([1.0, -1.0])),
                mr.Bernoulli(1, p),
                shift=np.zeros(1),
            )
            out.append(
                (
                    f"f = (x -+ 1)^2/2, n=2, tau=1, Bernoulli(1, {p}), v = 0, the theorem's step "
                    "p^2, T=200, Monte Carlo",
                    functools.partial(claim, batch_size=1, strongly_convex=True),
                    mast,
                    dict(
                        x0=np.zeros(1),
                        gamma=p**2,
                        n_steps=200,
                        method="monte_carlo",
                        n_runs=4000,
                    ),
                )
            )
        return out
    if name == "t4b_floor_gamma_mu":
        mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), _near_identity_law(), shift=np.zeros(2))
        g = mr.theorem4(mast, b=8)
        p = g.gamma * g.values["mu"] / 20
        return [
            (
                f"near-identity N=16, x* = (1, 1), v = 0, b=8, p = gamma mu/20 = {p:.3g}, "
                "x0 = w0 = x_D*, T=3000",
                functools.partial(claim, b=8, p=p),
                mast,
                dict(x0=mast.argmin(), n_steps=3000),
            )
        ]
    if name == "t4a_phi0_reference_ignored":
        x1 = np.ones(2)
        mast = mr.MAST(mr.Quadratic(np.eye(2), x1), _near_identity_law(), shift=x1)
        return [
            (
                "near-identity N=16, v = x*, x0 = x* + 0.05 e_2, w0 = x* + e_1, T=200",
                functools.partial(claim, w0=x1 + np.array([1.0, 0.0])),
                mast,
                dict(x0=x1 + np.array([0.0, 0.05]), n_steps=200),
            )
        ]
    if name == "t5_delta_gradient_dissimilarity":
        dp = _clients([mr.Quadratic(np.eye(2), x_star)], _near_scalar_law(), v=np.zeros(2))
        g = mr.theorem5(dp, strongly_convex=True)
        return [
            (
                "one client, S = (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_F*, 0.5 gamma_max, "
                "T=3000",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=dp.argmin(), gamma=0.5 * g.gamma, n_steps=3000),
            )
        ]
    if name == "t5_LFA_over_M":
        out = []
        for M, T in ((16, 4), (50, 10)):
            dp = _clients([mr.Quadratic(np.eye(1), np.zeros(1))] * M, mr.Identity(1))
            out.append(
                (
                    f"{M} identical clients x^2/2, identity law, x0 = 1, T={T}",
                    claim,
                    dp,
                    dict(x0=np.ones(1), n_steps=T),
                )
            )
        return out
    if name == "baseline_step_3_over_2L":
        A = np.diag([1.0, 1 / 1.8])
        mast = mr.MAST(mr.Quadratic(A, A @ x_star), mr.Identity(2), shift=np.zeros(2))
        return [
            (
                "diag(1, 1/1.8), identity law, x0 = x* + (1, 1), variant's step, T=30",
                claim,
                mast,
                dict(x0=x_star + 1.0, n_steps=30),
            )
        ]
    if name == "baseline_delta0_erm_gap":
        mast = mr.MAST(mr.Quadratic(np.diag([1.0, 0.1]), np.zeros(2)), mr.Bernoulli(2, 0.1))
        return [
            (
                "diag(1, 0.1), Bernoulli(2, 0.1), v = x* = 0, x0 = (0, 3), T=40",
                claim,
                mast,
                dict(x0=np.array([0.0, 3.0]), n_steps=40),
            )
        ]
    return []


def _round8_cases(name: str) -> list:
    """Witnesses of the round-eight variants (written blind, 2026-12-08)."""
    claim = VARIANTS[name].claim
    x_star = 3.0 * np.ones(2)
    near_scalar = mr.MAST(mr.Quadratic(np.eye(2), x_star), _near_scalar_law(), shift=np.zeros(2))
    one = np.ones(1)
    gd_1d = mr.MAST(mr.Quadratic(np.eye(1), np.zeros(1)), mr.Identity(1))
    if name == "t1_dense_LS_as_LD":
        A = np.diag([1.0, 1.0, 1.0, 0.5])
        mast = mr.MAST(mr.Quadratic(A, np.zeros(4)), mr.Projection(4, 2))
        return [
            (
                "f = x^T diag(1, 1, 1, 0.5) x/2, Projection(4, 2), v = x* = 0, x0 = e_1, "
                "variant's step, T=20, Monte Carlo",
                claim,
                mast,
                dict(x0=np.eye(4)[0], n_steps=20, method="monte_carlo", n_runs=200),
            )
        ]
    if name == "t1_mu_local_curvature":
        mast = mr.MAST(mr.LogisticRegression(np.ones((1, 1)), one, lam=0.01), mr.Identity(1))
        return [
            (
                "logistic n = d = 1, lam = 0.01, identity law, x0 = x* + 30, T=20, Monte Carlo "
                "(deterministic run)",
                claim,
                mast,
                dict(x0=mast.argmin() + 30.0, n_steps=20, method="monte_carlo", n_runs=2),
            )
        ]
    if name == "t2_growth_capped_e":
        return [
            (
                "f = x^2/2, identity law, x0 = 1, gamma = 1.9, T=10",
                claim,
                gd_1d,
                dict(x0=one, gamma=1.9, n_steps=10),
            )
        ]
    if name == "t2_horizon_T_plus_1":
        return [
            (
                "f = x^2/2, identity law, x0 = 1, default step, T=4",
                claim,
                gd_1d,
                dict(x0=one, n_steps=4),
            )
        ]
    if name == "t3nc_B_denominator_dropped":

        def exact_oracle_abc(obj, **kw):  # the exact oracle, stated with ABC (0, 1, 0)
            g = claim(obj, abc=(0.0, 1.0, 0.0), **kw)
            return dataclasses.replace(g, options={"oracle": "exact"})

        return [
            (
                "f = x^2/2, identity law, exact oracle stated as ABC (0, 1, 0), x0 = 1, "
                "gamma = 1.9, T=10",
                exact_oracle_abc,
                gd_1d,
                dict(x0=one, gamma=1.9, n_steps=10),
            )
        ]
    if name == "t3sc_rho_without_A":
        mast = mr.MAST(mr.Quadratic(np.eye(1), np.zeros(1)), mr.Bernoulli(1, 0.25))
        return [
            (
                "f = x^2/2, Bernoulli(1, 0.25), v = x* = 0, x0 = 1, default step, T=20",
                functools.partial(claim, strongly_convex=True),
                mast,
                dict(x0=one, n_steps=20),
            )
        ]
    if name == "t3_tau_C_max":
        mast = mr.MAST(
            mr.LeastSquares(np.ones((2, 1)), np.array([21.0, 19.0])),
            mr.FiniteSketch(np.array([[0.95], [1.05]])),
            shift=np.zeros(1),
        )
        return [
            (
                "f_{1,2} = (x - (20 +- 1))^2/2, n=2, tau=1, s = 1 +- 0.05, v = 0, x0 = x_D*, "
                "default step, T=300",
                functools.partial(claim, batch_size=1, strongly_convex=True),
                mast,
                dict(x0=mast.argmin(), n_steps=300),
            )
        ]
    if name == "t4b_cb_squared":
        mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), _near_identity_law(), shift=np.zeros(2))
        return [
            (
                "near-identity N=16, x* = (1, 1), v = 0, b=15, p = 0.02, x0 = w0 = x_D*, T=1500",
                functools.partial(claim, b=15, p=0.02),
                mast,
                dict(x0=mast.argmin(), n_steps=1500),
            )
        ]
    if name == "t4a_L_as_L_fD":
        mast = mr.MAST(
            mr.Quadratic(np.eye(8), np.zeros(8)), mr.Partition(blocks=[[j] for j in range(8)])
        )
        return [
            (
                "f = ||x||^2/2, Partition into 8 blocks, v = x* = 0, p = 1/8, x0 = (1, .., 1), "
                "variant's step, T=60",
                claim,
                mast,
                dict(x0=np.ones(8), n_steps=60),
            )
        ]
    if name == "t5sc_floor_half":
        dp = _clients([mr.Quadratic(np.eye(2), x_star)], _near_scalar_law(), v=np.zeros(2))
        return [
            (
                "one client, S = (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_F*, gamma_max, T=200",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=dp.argmin(), n_steps=200),
            )
        ]
    if name == "t5_delta_offsets":
        dp = _clients(
            [mr.Quadratic(np.eye(1), one, 0.5), mr.Quadratic(np.eye(1), -one, 1.5)],
            [mr.Bernoulli(1, 0.5), mr.Bernoulli(1, 0.5)],
            v=np.zeros(1),
        )
        return [
            (
                "f_1 = (x - 1)^2/2, f_2 = (x + 1)^2/2 + 1, independent Bernoulli(0.5), v = 0, "
                "x0 = 0.5, T=100",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=0.5 * one, n_steps=100),
            )
        ]
    if name == "baseline_L_without_sketch":
        mast = mr.MAST(mr.Quadratic(np.diag([1.0, 0.25]), np.zeros(2)), mr.Bernoulli(2, 0.5))
        return [
            (
                "diag(1, 1/4), Bernoulli(2, 0.5), v = x* = 0, x0 = e_1, variant's step, T=20",
                claim,
                mast,
                dict(x0=np.array([1.0, 0.0]), n_steps=20),
            )
        ]
    if name == "t1_rate_two_minus":
        g = mr.theorem1(near_scalar)
        return [
            (
                f"near-scalar (1 +- 0.01) I, x* = (3, 3), v = 0, x0 = x_D*, {frac} gamma_max, "
                "T=3000",
                claim,
                near_scalar,
                dict(x0=near_scalar.argmin(), gamma=frac * g.gamma, n_steps=3000),
            )
            for frac in (0.1, 0.5, 1.0)
        ]
    if name == "baseline_rate_squared":
        A = np.diag([1.0, 0.1])
        mast = mr.MAST(mr.Quadratic(A, A @ x_star), mr.Identity(2), shift=np.zeros(2))
        return [
            (
                "diag(1, 0.1), identity law, x0 - x* = e_2 (flattest mode, attained), T=60",
                claim,
                mast,
                dict(x0=x_star + np.array([0.0, 1.0]), n_steps=60),
            )
        ]
    return []


def _round9_cases(name: str) -> list:
    """Witnesses of the round-nine variants (written blind, 2026-12-08)."""
    claim = VARIANTS[name].claim
    one = np.ones(1)
    gd_1d = mr.MAST(mr.Quadratic(np.eye(1), np.zeros(1)), mr.Identity(1))
    uneven = mr.MAST(mr.Quadratic(np.eye(2), np.zeros(2)), mr.Bernoulli(2, p=np.array([0.25, 1.0])))
    exact_mu = mr.MAST(
        mr.Quadratic(np.diag([4.0, 1.0]), np.zeros(2)), mr.Bernoulli(2, p=np.array([1.0, 0.25]))
    )
    if name == "t1_mu_as_LD":
        return [
            (
                "f = ||x||^2/2, Bernoulli p = (1/4, 1), v = x* = 0, x0 = e_2, default step, T=20",
                claim,
                uneven,
                dict(x0=np.array([0.0, 1.0]), n_steps=20),
            )
        ]
    if name == "t4a_L_without_outlier_atom":
        law = mr.FiniteSketch(np.array([[0.5], [0.5], [0.5], [2.5]]))
        mast = mr.MAST(mr.Quadratic(np.eye(1), np.zeros(1)), law)
        return [
            (
                "f = x^2/2, atoms s = 0.5, 0.5, 0.5, 2.5, v = x* = 0, x0 = w0 = 1, "
                "variant's step, T=20",
                claim,
                mast,
                dict(x0=one, n_steps=20),
            )
        ]
    if name in ("t3_tau_C_ctau_squared", "t3_tau_interpolation_by_shift"):
        mast = mr.MAST(
            mr.LeastSquares(np.ones((3, 1)), np.array([-10.0, 0.0, 10.0])), mr.Identity(1)
        )
        return [
            (
                "f_i = (x - a_i)^2/2, a = (-10, 0, 10), n=3, tau=2, identity law, x0 = x* = 0, "
                "default step, T=5",
                functools.partial(claim, batch_size=2, strongly_convex=True),
                mast,
                dict(x0=np.zeros(1), n_steps=5),
            )
        ]
    if name == "t4a_p_at_least_1_over_N":
        mast = mr.MAST(
            mr.Quadratic(np.eye(1), np.zeros(1)), mr.FiniteSketch(np.array([[0.5], [1.5]]))
        )
        return [
            (
                "f = x^2/2, atoms s = 0.5, 1.5, v = x* = 0, p = 0.001, x0 = w0 = 1, T=100",
                functools.partial(claim, p=0.001),
                mast,
                dict(x0=one, n_steps=100),
            )
        ]
    if name == "t5_joint_law_no_neighbourhood":
        c = np.array([1.0, -1.0])
        dp = _clients(
            [mr.Quadratic(np.eye(2), c), mr.Quadratic(np.eye(2), -c)],
            mr.PermutationSketch(2, 2),
            v=np.zeros(2),
        )
        return [
            (
                "f_{1,2} = ||x -+ (1, -1)||^2/2, PermutationSketch(2, 2), v = 0, x0 = x_F*, "
                "step limit, T=50",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=dp.argmin(), n_steps=50),
            )
        ]
    if name == "t5_delta0_best_client":
        dp = _clients(
            [mr.Quadratic(np.eye(1), one), mr.Quadratic(np.eye(1), -one)],
            [mr.Identity(1), mr.Identity(1)],
        )
        return [
            (
                "f_{1,2} = (x -+ 1)^2/2, identity laws, x0 = 1, T=1",
                claim,
                dp,
                dict(x0=one, n_steps=1),
            )
        ]
    if name == "t2_convex_no_growth":
        return [("f = x^2/2, identity law, x0 = 1, T=1", claim, gd_1d, dict(x0=one, n_steps=1))]
    if name == "t2_Delta_P6_squared":
        mast = mr.MAST(
            mr.Quadratic(np.eye(2), 3.0 * np.ones(2)), _near_scalar_law(0.1), shift=np.zeros(2)
        )
        return [
            (
                "S = (1 +- 0.1) I, x* = (3, 3), v = 0, x0 = x_D* + 0.05 (1, 1), gamma = 0.05, "
                "T=200",
                claim,
                mast,
                dict(x0=mast.argmin() + 0.05 * np.ones(2), gamma=0.05, n_steps=200),
            )
        ]
    if name == "baseline_logistic_quarter":
        mast = mr.MAST(
            mr.LogisticRegression(np.diag([1.0, 2.0]), np.ones(2), lam=0.01), mr.Identity(2)
        )
        return [
            (
                "logistic X = diag(1, 2), y = 1, lam = 0.01, identity law, x0 = x* + 30 e_1, T=20",
                claim,
                mast,
                dict(x0=mast.argmin() + np.array([30.0, 0.0]), n_steps=20),
            )
        ]
    if name in ("t1_mu_exact", "baseline_mu_exact"):
        return [
            (
                "A = diag(4, 1), Bernoulli p = (1, 1/4) (A_D = 4 I), v = x* = 0, x0 = (1, 1), "
                f"T={T}",
                claim,
                exact_mu,
                dict(x0=np.ones(2), n_steps=T),
            )
            for T in ((20,) if name == "t1_mu_exact" else (10,))
        ]
    return []


def _witness_cases(name: str) -> list:
    """``(label, claim, objective, kwargs of mastref.check)`` candidates for ``name``."""
    if VARIANTS[name].axis.startswith("round 7"):
        return _round7_cases(name)
    if VARIANTS[name].axis.startswith("round 8"):
        return _round8_cases(name)
    if VARIANTS[name].axis.startswith("round 9"):
        return _round9_cases(name)
    claim = VARIANTS[name].claim
    ns = near_scalar(0.01)
    ns_mast = ns.objective()
    iso = isotropic(4, mr.RandK(4, 1))
    iso_mast = iso.objective()
    c = 3.0 * np.ones(2)
    if name == "t1_floor_step_squared":
        g = mr.theorem1(ns_mast)
        return [
            (
                "near_scalar(0.01), 0.1 gamma_max, T=3000",
                claim,
                ns_mast,
                dict(x0=ns.x0, gamma=0.1 * g.gamma, n_steps=3000),
            )
        ]
    if name == "t1_rate_sqrt":
        g = mr.theorem1(iso_mast)
        return [
            (
                "isotropic RandK(4,1), v=x*, 0.01 gamma_max, T=300",
                claim,
                iso_mast,
                dict(x0=iso.x0, gamma=0.01 * g.gamma, n_steps=300),
            )
        ]
    if name in ("t2_floor_step_squared", "t3nc_floor_06"):
        T = 3000 if name.startswith("t2") else 300
        frac = 0.1 if name.startswith("t2") else 1.0
        out = []
        stmt = mr.theorem2 if name.startswith("t2") else functools.partial(mr.theorem3)
        g = stmt(ns_mast, n_steps=T)
        x_D = ns_mast.argmin()
        for r2 in (0.5, 1.0, 2.0, 4.0):  # start at r2 times the stationary E||grad||^2 scale
            offset = math.sqrt(r2 * frac * g.gamma * 2 * ns_mast.gap)
            x0 = x_D + offset * np.ones(2) / math.sqrt(2)
            out.append(
                (
                    f"near_scalar(0.01), start offset {offset:.3g}, {frac} gamma_def, T={T}",
                    claim,
                    ns_mast,
                    dict(x0=x0, gamma=frac * g.gamma, n_steps=T),
                )
            )
        return out
    if name == "t3sc_floor_step_squared":
        g = mr.theorem3(ns_mast, strongly_convex=True)
        return [
            (
                "near_scalar(0.01), 0.1 gamma_def, T=3000",
                functools.partial(claim, strongly_convex=True),
                ns_mast,
                dict(x0=ns.x0, gamma=0.1 * g.gamma, n_steps=3000),
            )
        ]
    if name == "t5sc_floor_step_squared":
        dp = _clients([mr.Quadratic(np.eye(2), c)], _near_scalar_law())
        g = mr.theorem5(dp, strongly_convex=True)
        return [
            (
                "one client, S = (1 +- 0.01) I, 0.1 gamma_max, T=3000",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=ns.x0, gamma=0.1 * g.gamma, n_steps=3000),
            )
        ]
    if name == "t5_LF_min":
        dp = _clients(
            [mr.Quadratic(np.eye(2), c), mr.Quadratic(0.01 * np.eye(2), 0.01 * c)],
            [_near_scalar_law(), mr.Identity(2)],
        )
        out = []
        for T in (300, 3000):
            g = claim(dp, n_steps=T)
            x_F = dp.argmin()
            for k in (0.5, 1.0, 2.0):
                offset = math.sqrt(k * g.gamma * dp.gap)
                out.append(
                    (
                        f"2 clients L = 1 (near-scalar) and 0.01 (identity), T={T}, offset "
                        f"{offset:.3g}",
                        claim,
                        dp,
                        dict(x0=x_F + offset * np.ones(2) / math.sqrt(2), n_steps=T),
                    )
                )
        return out
    if name == "t5_A_maxL_minLS":
        dp = _clients(
            [mr.Quadratic(np.eye(2), c), mr.Quadratic(np.eye(2), c)],
            [mr.Bernoulli(2, 0.1), mr.Identity(2)],
        )
        return [
            (
                "2 clients L = 1, Bernoulli(0.1) and identity, variant's gamma_max, T=50",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=np.zeros(2), n_steps=50),
            )
        ]
    if name == "t5sc_mu_max":
        a = np.ones(2)
        dp = _clients(
            [mr.Quadratic(np.eye(2), a), mr.Quadratic(0.01 * np.eye(2), 0.01 * a)], mr.Identity(2)
        )
        g = mr.theorem5(dp, strongly_convex=True)
        return [
            (
                "2 clients curvature 1 and 0.01, identity law, 0.5 gamma_max, T=20",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=np.zeros(2), gamma=0.5 * g.gamma, n_steps=20),
            )
        ]
    if name == "t5_delta_sketch_only":
        dp = _clients(
            [mr.Quadratic(np.eye(1), np.ones(1)), mr.Quadratic(np.eye(1), -np.ones(1))],
            [mr.Bernoulli(1, 0.5), mr.Bernoulli(1, 0.5)],
            v=np.zeros(1),
        )
        return [
            (
                "f = (x -+ 1)^2/2, independent Bernoulli(0.5), v = 0, x0 = 0.5, T=200",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=0.5 * np.ones(1), n_steps=200),
            )
        ]
    if name.startswith("t3_tau"):
        if name == "t3_tau_A_mean_L":
            m = 19
            X = np.array([[math.sqrt(m)]] + [[1.0]] * m)
            y = np.array([-1.0 / math.sqrt(m)] + [1.0 / m] * m)  # optima -1/m and 1/m: x* = 0
            tau, law = 1, mr.Identity(1)
        elif name == "t3_tau_c_without_bessel":
            X, y, tau, law = np.ones((2, 1)), np.array([1.0, -1.0]), 1, mr.Identity(1)
        else:  # 12 identical samples f_i = ||x||^2/2 (zero rows, lam = 1)
            X, y, tau, law = np.zeros((12, 4)), np.zeros(12), 6, mr.RandK(4, 1)
        lam = 1.0 if name == "t3_tau_B_linear" else 0.0
        mast = mr.MAST(mr.LeastSquares(X, y, lam=lam), law, shift=np.zeros(X.shape[1]))
        x0 = mast.argmin() + (0.0 if name != "t3_tau_B_linear" else 1.0)
        label = f"least squares n={X.shape[0]}, d={X.shape[1]}, tau={tau}, {law!r}, Monte Carlo"
        sc = functools.partial(claim, batch_size=tau, strongly_convex=True)
        true_step = mr.theorem3(mast, batch_size=tau, strongly_convex=True).gamma
        mc = dict(method="monte_carlo", n_runs=4000)
        return [  # first at the theorem's own step (the variant's constants alone), then its own
            (
                f"{label}, the theorem's step, T=200",
                sc,
                mast,
                dict(x0=x0 + 0.05, gamma=true_step, n_steps=200, **mc),
            ),
            (f"{label}, the variant's own step, T=60", sc, mast, dict(x0=x0, n_steps=60, **mc)),
        ]
    if name.startswith("t4"):
        rng = np.random.default_rng(1)
        r = rng.choice([-1.0, 1.0], size=(8, 2))
        law = mr.FiniteSketch(1 + 0.05 * np.vstack([r, -r]))  # N = 16, near the identity
        x_star = np.ones(2)
        Q = mr.Quadratic(np.diag([1.0, 1.5]), np.diag([1.0, 1.5]) @ x_star)
        interp = mr.MAST(Q, law, shift=x_star)  # v = x*: sigma*^2 = 0
        x0 = x_star + np.array([1.0, 0.0])  # along the flattest mode
        if name == "t4a_gamma_mu_branch_2p5":
            return [
                (
                    "near-identity N=16, v = x*, p = 0.9, T=400",
                    functools.partial(claim, p=0.9),
                    interp,
                    dict(x0=x0, n_steps=400),
                )
            ]
        if name == "t4a_gamma_mu_branch":
            return [
                (
                    "near-identity N=16, p = 0.9, T=100",
                    functools.partial(claim, p=0.9),
                    interp,
                    dict(x0=x0, n_steps=100),
                )
            ]
        if name == "t4a_p_branch":
            return [
                (
                    "near-identity N=16, v = x*, p = 0.01, T=2000",
                    functools.partial(claim, p=0.01),
                    interp,
                    dict(x0=x0, n_steps=2000),
                )
            ]
        if name == "t4b_gamma_mu_branch":
            return [
                (
                    "near-identity N=16, v = x*, b=15, p = 0.9, T=400",
                    functools.partial(claim, b=15, p=0.9),
                    interp,
                    dict(x0=x0, n_steps=400),
                )
            ]
        return [
            (
                "near-identity N=16, v = x*, b=15, p = 0.005, T=3000",
                functools.partial(claim, b=15, p=0.005),
                interp,
                dict(x0=x0, n_steps=3000),
            )
        ]
    if name == "t1_LS_max_as_LD_muD":
        x_star = np.array([1.0, -1.0])
        mast = mr.MAST(mr.Quadratic(np.eye(2), x_star), mr.Bernoulli(p=[0.1, 1.0]), shift=x_star)
        return [
            (
                "isotropic, v = x*, Bernoulli(p = (0.1, 1)), variant's step, T=30",
                claim,
                mast,
                dict(x0=x_star + 1.0, n_steps=30),
            )
        ]
    if name == "t5_A_mean":
        dp = _clients(
            [mr.Quadratic(np.eye(2), c), mr.Quadratic(0.01 * np.eye(2), 0.01 * c)],
            [_near_scalar_law(), mr.Identity(2)],
        )
        return [
            (
                "2 clients L = 1 (near-scalar) and 0.01 (identity), T=3000",
                functools.partial(claim, strongly_convex=True),
                dp,
                dict(x0=ns.x0, n_steps=3000),
            )
        ]
    return []


def witness_route(variant: Variant) -> dict:
    """The variant's own falsifying instance(s), tried in order: the first violated one, else
    the largest measured/bound."""
    start = time.perf_counter()
    best = {"killed": False, "ratio": math.nan, "instance": "", "verdict": "none"}
    for label, claim, obj, kw in _witness_cases(variant.name):
        try:
            r = mr.check(claim, obj, **kw)
        except Exception as err:  # noqa: BLE001
            best.setdefault("errors", []).append(f"{label}: {type(err).__name__}: {err}"[:300])
            continue
        ratio = float(r.max_tightness)
        if not (ratio <= best["ratio"]):  # nan-safe max
            best.update(ratio=ratio, instance=label, verdict=r.verdict, method=r.method)
        if r.verdict == "violated":
            best.update(killed=True, ratio=ratio, instance=label, verdict=r.verdict)
            break
    best["seconds"] = time.perf_counter() - start
    return best


# ------------------------------------------------------------------------------------------------
# Driver and table
# ------------------------------------------------------------------------------------------------


def run_variant(name: str, routes=ROUTES, budget: int = BUDGET) -> dict:
    """All requested routes for one variant."""
    variant = VARIANTS[name]
    out = {
        "name": name,
        "statement": variant.statement,
        "axis": variant.axis,
        "expected_false": variant.expected_false,
    }
    for route in routes:
        try:
            if route == "quick":
                out[route] = catalogue_route(variant, quick=True)
            elif route == "full":
                out[route] = catalogue_route(variant, quick=False)
            elif route == "search":
                out[route] = search_route(variant, budget)
            elif route == "witness":
                out[route] = witness_route(variant)
        except Exception as err:  # noqa: BLE001 - keep the other routes
            out[route] = {"killed": False, "error": traceback.format_exc(limit=3)[-600:]}
            print(f"{name} {route}: {type(err).__name__}: {err}", flush=True)
        r = out[route]
        print(
            f"{name:26s} {route:8s} killed={r.get('killed')} "
            f"{r.get('by', r.get('ratio', ''))} {r.get('seconds', 0):.1f}s",
            flush=True,
        )
    return out


def _cell(r: dict | None, what: str) -> str:
    if r is None:
        return "not run"
    if "error" in r and not r.get("killed"):
        return "error"
    mark = "**killed**" if r["killed"] else "survives"
    if what == "catalogue":
        extra = f" by `{r['by']}`" if r.get("by") else ""
        calls = "" if r.get("calls") else " (never called)"
        return f"{mark}{extra}{calls}"
    return f"{mark} ({r.get('ratio', math.nan):.3g})"


def table(results: list[dict]) -> str:
    """The Markdown table of AXIS_POWER.md."""
    lines = [
        "| variant | axis | theorem | quick | full | search (ratio) | witness (ratio) | seconds "
        "q / f / s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        secs = " / ".join(
            f"{r[k]['seconds']:.0f}" if k in r and "seconds" in r[k] else "-"
            for k in ("quick", "full", "search")
        )
        name = r["name"] + ("" if r["expected_false"] else " (TRUE probe)")
        lines.append(
            f"| `{name}` | {r['axis']} | {r['statement']} | {_cell(r.get('quick'), 'catalogue')}"
            f" | {_cell(r.get('full'), 'catalogue')} | {_cell(r.get('search'), 'search')} | "
            f"{_cell(r.get('witness'), 'search')} | {secs} |"
        )
    false = [r for r in results if r["expected_false"]]

    def rates(rs):
        def rate(route):
            done = [r for r in rs if route in r]
            return f"{sum(r[route]['killed'] for r in done)}/{len(done)}"

        routes = ("quick", "full", "search")
        any_route = sum(any(r.get(k, {}).get("killed") for k in routes) for r in rs)
        return (
            f"quick {rate('quick')}, full {rate('full')}, search {rate('search')}, any route "
            f"{any_route}/{len(rs)}; own witnesses {rate('witness')}"
        )

    blind = [r for r in false if "added after" not in r["axis"]]
    lines += [
        "",
        f"Kill rate over the {len(blind)} variants written blind: {rates(blind)}. With the "
        f"variants added after the run ({len(false)} in all): {rates(false)}.",
        "",
        "Survivors of every route, with the instance where the variant fails (its witness):",
        "",
    ]
    for r in false:
        if any(r.get(k, {}).get("killed") for k in ("quick", "full", "search")):
            continue
        w = r.get("witness", {})
        shown = (
            f"violated on {w['instance']} (ratio {w['ratio']:.3g})"
            if w.get("killed")
            else "no witness found"
        )
        lines.append(f"- `{r['name']}` ({r['axis']}): {shown}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="directory for one JSON file per variant")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--budget", type=int, default=BUDGET)
    parser.add_argument("--table", type=Path, help="merge the JSON files of this directory")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    if args.table:
        results = [json.loads(p.read_text()) for p in sorted(args.table.glob("*.json"))]
        order = list(VARIANTS)
        results.sort(key=lambda r: order.index(r["name"]))
        print(table(results))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.variants.split(","):
        path = args.out / f"{name}.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        res = run_variant(name, tuple(args.routes.split(",")), args.budget)
        old.update(res)
        path.write_text(json.dumps(old, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
