"""The rate-verification notebooks run top to bottom; their cells assert what they claim."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_the_six_themes_are_present():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path):
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_stated_claim_is_asserted(path):
    """A markdown cell that lists "Claims checked below" as 1., 2., ... is followed by code cells
    with an ``assert ...  # claim k`` for every k; every "Prediction"/"Claim" cell is followed
    by a code cell that asserts something. So a wrong sentence fails CI."""
    import re

    book = nbformat.read(path, as_version=4)
    cells = book.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        code_after = []
        for later in cells[i + 1 :]:
            if later.cell_type == "markdown" and re.search(r"Claim|Prediction", later.source):
                break
            if later.cell_type == "code":
                code_after.append(later.source)
        code = "\n".join(code_after)
        if "Claims checked below" in cell.source:
            numbers = re.findall(r"^(\d+)\. ", cell.source, flags=re.MULTILINE)
            assert numbers, f"{path.stem}: a claims list without numbered claims"
            for k in numbers:
                assert re.search(rf"assert .*# claim {k}\b", code) or re.search(
                    rf"# claim {k}\b", code
                ), f"{path.stem}: claim {k} is not asserted"
        if re.search(r"\*\*(Prediction|Claim)", cell.source):
            assert "assert " in code, f"{path.stem}: cell {i} predicts without an assert"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_has_a_title_labels_and_a_legend(path):
    """Static check of the plotting cells: a figure drawn with ``ax.plot`` gets a title, both
    axis labels and a legend in the same cell (plots of ``found.plot`` are checked elsewhere)."""
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code" and "plt.subplots" in cell.source:
            for call in ("set_title", "set_xlabel", "set_ylabel"):
                assert call in cell.source, f"{path.stem}: figure without {call}"
            assert ".legend(" in cell.source or ".bar(" in cell.source, f"{path.stem}: no legend"
