"""The console entry point exists and answers."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from mastref.cli import main


def test_help_via_entry_point():
    exe = shutil.which("mastref")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "mastref.cli", "--help"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert "verify" in out and "usage: mastref" in out


def test_verify_subcommand_runs(tmp_path):
    assert main(["verify", "--quick", "--only", "baseline-approached", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").is_file() and (tmp_path / "baseline-approached.png").is_file()


def test_unknown_subcommand_fails():
    with pytest.raises(SystemExit) as err:
        main(["no-such-command"])
    assert err.value.code != 0
