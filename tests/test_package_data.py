"""The stored counterexamples ship with the package: built into a wheel and read from it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_counterexamples_and_they_load_from_it(tmp_path):
    data = sorted(p.name for p in (ROOT / "mastref" / "catalogue" / "data").glob("*.json"))
    assert {"theorem5_reconstructed.json", "theorem4_certificates.json"} <= set(data)
    assert len(data) == 8
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("mastref-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert {f"mastref/catalogue/data/{n}" for n in data} <= names
        z.extractall(tmp_path / "installed")
    # read from the unpacked wheel (not the checkout): the same vectors as the checkout's files
    code = (
        "import json, mastref.catalogue.base as b; "
        "print(b.__file__); print(json.dumps(b.stored('theorem1')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "installed"), "PATH": ""},
    ).stdout.splitlines()
    assert out[0].startswith(str(tmp_path / "installed"))
    stored = json.loads(out[1])
    checkout = json.loads((ROOT / "mastref/catalogue/data/theorem1.json").read_text())["controls"]
    assert stored == checkout
