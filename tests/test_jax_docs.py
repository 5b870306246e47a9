"""The examples of docs/jax.rst run as written, and print what the page says they print.

The page's two ``code-block:: python`` blocks are read from the page itself (so the page cannot
drift from what is tested) and executed in one namespace, in order: wrapping a JAX MLP on the
digits as a ``JaxProblem`` and running DSGD on its MAST loss, then ``mast_value_and_grad`` in an
optax training loop.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="JAX is an optional extra: pip install 'mastref[jax]'")
pytest.importorskip("optax", reason="optax comes with the extra mastref[jax]")
pytest.importorskip("sklearn", reason="scikit-learn (the digits) comes with the extra mastref[jax]")

_PAGE = Path(__file__).resolve().parents[1] / "docs" / "jax.rst"


def _blocks() -> list[str]:
    text = _PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text)
    return ["\n".join(line[4:] for line in b.splitlines()) for b in blocks]


def test_the_jax_page_examples_run_and_print_what_the_page_says():
    blocks = _blocks()
    assert len(blocks) == 2
    first = blocks[0]
    # the printed claim, from the comment on the block's last line: "... before and after: a -> b"
    stated = re.search(r"print\(.*\)\s*#.*?([0-9.]+) -> ([0-9.]+)", first)
    assert stated is not None, "the first example states its output as 'a -> b'"
    ns: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(first, f"{_PAGE}:block 1", "exec"), ns)
    before, after = (float(v) for v in out.getvalue().split())
    # the documented values, to the page's two decimals (+-0.01 across platforms' float32)
    assert abs(before - float(stated.group(1))) <= 0.01
    assert abs(after - float(stated.group(2))) <= 0.01
    start = jax.tree_util.tree_leaves(ns["params"])
    exec(compile(blocks[1], f"{_PAGE}:block 2", "exec"), ns)
    end = jax.tree_util.tree_leaves(ns["params"])
    assert ns["t"] == 499  # the loop ran its 500 steps
    assert np.isfinite(float(ns["value"]))
    assert any(not np.array_equal(a, b) for a, b in zip(start, end, strict=True))
