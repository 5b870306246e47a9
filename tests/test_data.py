"""LIBSVM reader and the synthetic a5a-like generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import mastref.data as md

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_roundtrip(tmp_path):
    X, y = md.synthetic_a5a_like(50, 30, 4, rng=1)
    md.save_libsvm(tmp_path / "f.svm", X, y)
    X2, y2 = md.load_libsvm(tmp_path / "f.svm", n_features=30)
    assert (X2 != X).nnz == 0 and np.array_equal(y2, y)
    assert X2.shape == (50, 30) and sp.isspmatrix_csr(X2)


def test_synthetic_shape_like_a5a():
    X, y = md.synthetic_a5a_like(2000, 123, 14, rng=0)
    assert X.shape == (2000, 123) and np.all(np.diff(X.indptr) == 14)
    assert set(np.unique(X.data)) == {1.0} and set(np.unique(y)) == {-1.0, 1.0}
    assert 0.1 < np.mean(y == 1) < 0.4


def test_labels_mapped_and_features_padded(tmp_path):
    f = tmp_path / "g.svm"
    f.write_text("1 1:0.5 3:2\n0 2:1\n")
    X, y = md.load_libsvm(f, n_features=5)
    assert X.shape == (2, 5) and np.array_equal(y, [1.0, -1.0])
    np.testing.assert_array_equal(X.toarray()[0], [0.5, 0, 2, 0, 0])


@pytest.mark.parametrize("line", ["+1 3:1 2:1", "+1 0:1", "abc 1:1", "+1 1-1", "+1 2:x"], ids=str)
def test_malformed_line_names_line_and_content(tmp_path, line):
    f = tmp_path / "bad.svm"
    f.write_text(f"-1 1:1\n{line}\n")
    with pytest.raises(ValueError, match=r"line 2: cannot parse") as err:
        md.load_libsvm(f)
    assert line in str(err.value)


def test_too_few_features_rejected(tmp_path):
    f = tmp_path / "h.svm"
    f.write_text("-1 7:1\n")
    with pytest.raises(ValueError, match="'n_features'"):
        md.load_libsvm(f, n_features=3)


@pytest.mark.skipif(not (SHARED / "a5a").is_file(), reason="a5a not present next to the repo")
def test_a5a_counts_from_its_readme():
    X, y = md.load_libsvm(SHARED / "a5a", n_features=123)
    assert X.shape == (6414, 123) and X.nnz == 88939
    assert int(np.sum(y == -1)) == 4845 and int(np.sum(y == 1)) == 1569
