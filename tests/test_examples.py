"""The two extension examples run end to end with no edit to mastref and say what they claim."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).parents[1] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_custom_law_reaches_exact_and_variance_reduced_tools(tmp_path):
    out = _load("custom_law").main(tmp_path)
    assert out["certificate"].passed and out["certificate"].method == "exact (support)"
    assert out["theorem1"].verdict == "holds" and out["theorem1"].method.startswith("exact")
    assert out["theorem4"].verdict == "holds"
    assert out["logistic"].solution.method == "enumeration" and out["logistic"].gap > 0
    assert (tmp_path / "custom_law_theorem1.png").stat().st_size > 1000


def test_custom_problem_least_squares_and_huber(tmp_path):
    out = _load("custom_problem").main(tmp_path)
    assert out["least_squares"].verdict == "holds"
    assert out["least_squares"].method.startswith("exact")
    assert out["theorem3"].verdict == "holds"
    assert out["huber"].verdict == "holds" and out["huber"].method.startswith("Monte Carlo")
    hm = out["huber_mast"]
    assert np.linalg.norm(hm.grad(hm.argmin())) < 1e-8  # x_D* of the enumerated f_D
    for name in ("custom_problem_least_squares.png", "custom_problem_huber.png"):
        assert (tmp_path / name).stat().st_size > 1000
