"""The paper's qualitative claims on a subsample of a5a (THEORY.md §8), with statistical margins.

Data: ``$MASTREF_DATA`` or ``../shared/data`` next to the repository; without it the same claims
are tested on synthetic a5a-like data (and the test id says so).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

import mastref.experiments as ex
from mastref.cli import main

_CANDIDATE = Path(
    os.environ.get("MASTREF_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
DATA = _CANDIDATE if (_CANDIDATE / "a5a").is_file() and (_CANDIDATE / "a5a.t").is_file() else None
SOURCE = "a5a" if DATA is not None else "synthetic"


@pytest.fixture(scope="module")
def pruning(tmp_path_factory):
    return ex.run_pruning(DATA, tmp_path_factory.mktemp("p"), quick=True)


@pytest.mark.parametrize("q", [0.5, 0.6, 0.7, 0.8, 0.9])
def test_mast_solution_is_more_robust_to_pruning(pruning, q):
    """Paper claim: at q >= 0.5 the pruned MAST solution beats the pruned ERM solution.

    One-sided Mann-Whitney test over the 200 random masks of each, p < 1e-3; and the medians.
    """
    a_mast, a_erm = pruning[f"pruned_mast_{q:g}"], pruning[f"pruned_erm_{q:g}"]
    assert pruning[f"median_mast_{q:g}"] > pruning[f"median_erm_{q:g}"]
    assert mannwhitneyu(a_mast, a_erm, alternative="greater").pvalue < 1e-3, SOURCE


def test_unpruned_accuracies_are_sane(pruning):
    assert 0.75 < pruning["erm_unpruned"] <= 1.0
    # training with a mild sketch costs little unpruned accuracy (q = 0.1)
    assert pruning["mast_unpruned"][0] > pruning["erm_unpruned"] - 0.02


def test_subsampling_stays_below_theorem3(tmp_path):
    s = ex.run_subsampling(DATA, tmp_path, quick=True)
    for tau in (1, 8, 64, s["n"]):
        assert s[f"value_gap_T_tau{tau}"] <= s[f"bound_T_tau{tau}"]
    assert s["gamma_tau1"] < s["gamma_tau8"] < s["gamma_tau64"]  # larger batches, larger steps
    assert (tmp_path / "subsampling" / "subsampling.png").is_file()


def test_distributed_communication_scales_with_p(tmp_path):
    s = ex.run_distributed(DATA, tmp_path, quick=True)
    for M in (4, 16):
        full = s[f"M{M}_homogeneous_p1.0_coords"]
        for p in (0.9, 0.5, 0.1):
            assert abs(s[f"M{M}_homogeneous_p{p}_coords"] / full - p) < 0.05
        # sparser sketches at their own theory step make less progress per round
        assert s[f"M{M}_homogeneous_p1.0_loss"] < s[f"M{M}_homogeneous_p0.1_loss"]


def test_stepsize_guidance_the_same_on_two_workers(tmp_path):
    s = ex.run_stepsize(DATA, tmp_path / "serial", quick=True, backend="serial")
    for q in (0.1, 0.5, 0.9):
        assert s[f"best_ratio_q{q}"] >= 1.0  # the theory step is safe, not optimal
    assert np.isfinite(s["diverges_from_q0.1"]) and s["diverges_from_q0.1"] > 1.0
    # the command line, the sweep on 2 joblib workers: the same numbers, byte for byte
    args = ["experiment", "stepsize", "--quick", "--out", str(tmp_path / "cli"), "--jobs", "2"]
    assert main(args + (["--data", str(DATA)] if DATA else [])) == 0
    assert (tmp_path / "cli" / "stepsize" / "stepsize.png").stat().st_size > 1000
    csv = (tmp_path / "cli" / "stepsize" / "stepsize.csv").read_bytes()
    assert csv.startswith(b"q,K,ratio")
    assert csv == (tmp_path / "serial" / "stepsize" / "stepsize.csv").read_bytes()
