"""The README's Python examples run, in order, as a user would paste them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import mastref as mr

README = (Path(__file__).parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in BLOCKS:
        if "raises InvalidGuarantee" in block:  # the documented error, checked below
            block = "\n".join(
                line for line in block.splitlines() if "raises InvalidGuarantee" not in line
            )
        if "def test_gap_is_nonnegative" in block:
            # run the property test as pytest would; input generation is slow on a loaded
            # machine, which is not what the example is about
            block += (
                "\nfrom hypothesis import HealthCheck, settings\n"
                "settings(suppress_health_check=[HealthCheck.too_slow])"
                "(test_gap_is_nonnegative)()\n"
            )
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["found"].verdict == "violated"
    with pytest.raises(mr.InvalidGuarantee, match="gamma <= gamma_max"):
        mr.theorem1(namespace["problem"], gamma=1.0)
    assert len(BLOCKS) >= 5
