"""The deep-network experiment (mastref.deep) in a tiny configuration: it runs, records,
resumes to the same numbers, and writes its table and figure."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax", reason="JAX is an optional extra: pip install 'mastref[jax]'")
pytest.importorskip("optax", reason="optax comes with the extra mastref[jax]")
pytest.importorskip("sklearn", reason="the digits data ship with scikit-learn (extra mastref[jax])")

from mastref.deep import METHODS, SPARSITIES, load_results, run_deep  # noqa: E402


def test_tiny_deep_experiment_runs_records_and_resumes(tmp_path):
    kw = {"quick": True, "rng": 0, "n_seeds": 1, "epochs": 1, "n_masks": 5, "backend": "serial"}
    first = run_deep(None, tmp_path, datasets=("digits",), **kw)
    out = tmp_path / "deep"
    assert (out / "deep.png").stat().st_size > 10_000
    assert (out / "records" / "digits-seed0.json").is_file()
    table = (out / "deep.md").read_text().splitlines()
    assert len(table) == 2 + len(METHODS)
    for m in METHODS:
        for q in SPARSITIES:
            assert 0.0 <= first[f"median|digits|{m}|{q:g}"] <= 1.0
        # two epochs (pre-training + training) on 400 digits: well above chance (0.1)
        assert first[f"unpruned|digits|{m}"] > 0.3
    again = run_deep(None, tmp_path, datasets=("digits",), resume=True, **kw)
    assert again == first
    summary, boxes = load_results(out)  # what the gallery example draws from
    assert summary == first and boxes["digits", METHODS[0], 0.5].shape == (5,)


def test_deep_rejects_unknown_data_set(tmp_path):
    with pytest.raises(ValueError, match="'datasets'"):
        run_deep(None, tmp_path, quick=True, datasets=("mnist",))
    assert np.isfinite(SPARSITIES).all()
