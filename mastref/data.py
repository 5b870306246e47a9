"""Data: a LIBSVM/svmlight reader and a synthetic generator of a5a-like data.

The package never downloads anything; real data (LIBSVM ``a5a``, ``a5a.t``) is read from a path.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ._budget import check_cost, progress_bar
from ._validation import as_generator, check_int, check_vector

#: Measured time to draw one row of ``synthetic_a5a_like`` (a weighted sample without
#: replacement), rounded towards the slow side.
SECONDS_PER_SAMPLED_ROW = 3e-5
#: Largest feature index of a LIBSVM file (LIBSVM stores indices as C ints).
MAX_FEATURE_INDEX = 2**31 - 1
#: ``(n_samples, n_features)`` of the LIBSVM a5a files (``/work/shared/data/README``: 6414
#: training and 26147 test lines, 123 binary features).
A5A_SHAPES = {"a5a": (6414, 123), "a5a.t": (26147, 123)}


def load_libsvm(path, n_features: int | None = None) -> tuple[sp.csr_matrix, np.ndarray]:
    """Read a LIBSVM file (``label idx:value idx:value ...``, 1-based indices) into ``(X, y)``.

    ``X`` is a CSR matrix with ``n_features`` columns (default: the largest index seen; a5a never
    uses feature 123, so pass ``n_features=123``). Labels are mapped to ``{-1, +1}``: files with
    labels ``{-1, +1}`` are kept, any other pair of labels maps the smaller to -1. Malformed lines
    and non-finite labels or values (``nan``, ``inf``) raise ``ValueError`` naming the file, the
    line number and its content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import mastref as mr
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.svm"
    >>> _ = path.write_text("+1 1:1 3:1\\n-1 2:1\\n")
    >>> X, y = mr.load_libsvm(path, n_features=4)
    >>> X.toarray().tolist(), y.tolist()
    ([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]], [1.0, -1.0])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"argument 'path' = {str(path)!r} is not a file")
    labels, indptr, indices, values = [], [0], [], []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            where = f"{path}, line {lineno}"
            if b"\0" in raw:
                raise ValueError(f"{where}: a NUL byte: {path} is a binary file, not LIBSVM text")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{where}: not UTF-8 text (byte {raw[exc.start]:#04x} at column "
                    f"{exc.start + 1}); LIBSVM files are plain text"
                ) from None
            body = line.split("#", 1)[0].strip()
            if not body:
                continue
            parts = body.split()
            try:
                label = float(parts[0])
                if not math.isfinite(label):
                    raise ValueError(f"label {parts[0]!r} is not a finite number")
                labels.append(label)
                last = 0
                for item in parts[1:]:
                    pair = item.split(":")
                    if len(pair) != 2:
                        raise ValueError(f"item {item!r} is not index:value")
                    idx = int(pair[0])
                    if idx <= last:
                        raise ValueError("indices must be >= 1 and strictly increasing")
                    if idx > MAX_FEATURE_INDEX:
                        raise ValueError(
                            f"feature index {idx} exceeds {MAX_FEATURE_INDEX} (2^31 - 1, the "
                            "LIBSVM limit)"
                        )
                    last = idx
                    value = float(pair[1])
                    if not math.isfinite(value):
                        raise ValueError(f"feature {idx} has the non-finite value {pair[1]!r}")
                    indices.append(idx - 1)
                    values.append(value)
            except ValueError as exc:
                shown = line.rstrip()
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                raise ValueError(f"{where}: cannot parse {shown!r} ({exc})") from None
            indptr.append(len(indices))
    if not labels:
        raise ValueError(f"{path}: no data lines")
    seen = max(indices) + 1 if indices else 0
    if n_features is None:
        n_features = seen
    n_features = check_int("n_features", n_features, max(seen, 1))
    X = sp.csr_matrix(
        (np.array(values), np.array(indices, dtype=np.int64), np.array(indptr, dtype=np.int64)),
        shape=(len(labels), n_features),
    )
    return X, _to_pm1(np.array(labels), str(path))


def _to_pm1(y: np.ndarray, name: str) -> np.ndarray:
    classes = np.unique(y)
    if classes.size > 2:
        raise ValueError(f"{name}: {classes.size} distinct labels; binary data expected")
    if set(classes.tolist()) <= {-1.0, 1.0}:
        return y
    return np.where(y == classes.max(), 1.0, -1.0) if classes.size == 2 else np.ones_like(y)


def save_libsvm(path, X, y) -> None:
    """Write ``(X, y)`` in LIBSVM format (1-based indices, nonzeros only).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> import mastref as mr
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.svm"
    >>> mr.save_libsvm(path, np.array([[0.0, 2.5]]), np.array([-1.0]))
    >>> path.read_text()
    '-1 2:2.5\\n'
    """
    X = sp.csr_matrix(X)
    if X.dtype.kind not in "biuf" or not np.isfinite(X.data).all():
        raise ValueError("argument 'X' must be real and finite (LIBSVM stores numbers)")
    y = check_vector("y", y, X.shape[0])
    bad = np.flatnonzero((y != 1.0) & (y != -1.0))
    if bad.size:
        raise ValueError(
            f"argument 'y' has label {float(y[bad[0]])!r} at index {bad[0]}; labels must be -1 "
            "or +1 (load_libsvm reads binary data)"
        )
    with Path(path).open("w") as fh:
        for i in range(X.shape[0]):
            row = X.getrow(i)
            items = " ".join(
                f"{j + 1}:{v:.17g}" for j, v in zip(row.indices, row.data, strict=True)
            )
            fh.write(f"{y[i]:+g} {items}\n")


def load_a5a(path, split: str = "a5a") -> tuple[sp.csr_matrix, np.ndarray]:
    """Read the LIBSVM a5a training file (``split="a5a"``) or test file (``"a5a.t"``) and check
    its known shape: 6414 (test: 26147) samples, 123 features, labels -1/+1.

    ``path`` is the file itself or a directory holding it (named ``a5a`` / ``a5a.t``). Any other
    shape is refused, so that a small file is never taken for a5a.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import mastref as mr
    >>> from mastref.data import load_a5a
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a5a"
    >>> _ = path.write_text("+1 1:1\\n-1 5:1\\n")
    >>> try:
    ...     load_a5a(path)
    ... except ValueError as err:
    ...     print(str(err).split(": ", 1)[1][:52])
    2 samples with features up to 5 is not a5a (6414 sam
    """
    if split not in A5A_SHAPES:
        raise ValueError(f"argument 'split' = {split!r} must be one of {list(A5A_SHAPES)}")
    path = Path(path)
    if path.is_dir():
        path = path / split
    n, d = A5A_SHAPES[split]
    X, y = load_libsvm(path)
    if X.shape[0] != n or X.shape[1] > d:
        raise ValueError(
            f"{path}: {X.shape[0]} samples with features up to {X.shape[1]} is not {split} "
            f"({n} samples, {d} features); pass the LIBSVM {split} file"
        )
    return sp.csr_matrix((X.data, X.indices, X.indptr), shape=(n, d)), y


def synthetic_a5a_like(
    n_samples: int = 6414,
    n_features: int = 123,
    nnz_per_row: int = 14,
    rng: int | np.random.Generator | None = 0,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Sparse binary data shaped like a5a: ``nnz_per_row`` ones per row, about 24% positives.

    Features have power-law popularity (a few very common, many rare) and labels come from a
    sparse logistic model, so the problem is learnable but not separable.

    Examples
    --------
    >>> import mastref as mr
    >>> X, y = mr.synthetic_a5a_like(100, 20, 3, rng=0)
    >>> X.shape, X.nnz, sorted(set(y.tolist()))
    ((100, 20), 300, [-1.0, 1.0])
    """
    rng = as_generator(rng)
    n = check_int("n_samples", n_samples, 1)
    d = check_int("n_features", n_features, 1)
    k = check_int("nnz_per_row", nnz_per_row, 1, d)
    check_cost(
        f"synthetic_a5a_like: n_samples = {n}, nnz_per_row = {k}",
        seconds=n * SECONDS_PER_SAMPLED_ROW,
        nbytes=24.0 * n * k,
        hint="Reduce n_samples.",
    )
    popularity = 1.0 / np.arange(1, d + 1) ** 0.8
    popularity /= popularity.sum()
    rows = []
    with progress_bar(n, n * SECONDS_PER_SAMPLED_ROW, "synthetic_a5a_like") as update:
        for _ in range(n):
            rows.append(np.sort(rng.choice(d, size=k, replace=False, p=popularity)))
            update(1)
    indices = np.concatenate(rows)
    indptr = np.arange(0, n * k + 1, k)
    X = sp.csr_matrix((np.ones(n * k), indices, indptr), shape=(n, d))
    w = rng.standard_normal(d) * (rng.random(d) < 0.3)
    margin = X @ w
    threshold = np.quantile(margin, 0.76)
    p = 1.0 / (1.0 + np.exp(-(margin - threshold) * 2.0))
    y = np.where(rng.random(n) < p, 1.0, -1.0)
    return X, y
