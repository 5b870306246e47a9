"""Per-axis negative controls (issue 20) are killed by a catalogue CHECK, not only by a stored
instance: each control naming a check (``Control.killed_by``) comes out violated when the check
is run with the control's claim in place of the theorem, while the theorem holds there."""

import pytest

from mastref.catalogue import registry

_PAIRS = [
    (ctl, {c.name: c for c in e.checks}[ctl.killed_by])
    for e in registry().values()
    for ctl in e.controls
    if ctl.killed_by
]


def test_every_axis_has_a_control_killed_by_a_check():
    names = {ctl.name for ctl, _ in _PAIRS}
    for fragment in ("floor-step-squared", "rate-sqrt", "nonconvex-floor"):
        assert any(fragment in n for n in names), fragment


@pytest.mark.parametrize("ctl,chk", _PAIRS, ids=[ctl.name for ctl, _ in _PAIRS])
def test_control_killed_by_its_check(ctl, chk):
    assert chk.against is not None
    wrong = chk.against(ctl.claim)
    assert wrong.verdict == "violated", (ctl.name, wrong.max_tightness)
    assert wrong.max_tightness > 1.05  # killed by a margin, far above round-off
    right = chk.run(False)
    assert right.verdict == "holds", (chk.name, right.late_tightness)
