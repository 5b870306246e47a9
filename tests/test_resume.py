"""Nothing finished is lost: a killed or interrupted run resumes to the uninterrupted results."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mastref.experiments as ex
from mastref.cli import main

#: The child restores Python's SIGINT handler (a shell may start background jobs ignoring it).
CHILD = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from mastref.cli import main; sys.exit(main(sys.argv[1:]))"
)
#: Three quick checks: a fast exact one first, then two Monte Carlo / L-SVRDSG ones (~1 s each).
ONLY = "theorem1-attained,theorem1-logistic-synthetic,variance-reduction"


def _start_and_signal(out: Path, sig: int, trigger: str) -> subprocess.CompletedProcess:
    """Start ``mastref verify --quick --only ONLY --out out``, send ``sig`` as soon as the file
    ``out/trigger`` exists (the first check is on disk), and return the finished process."""
    args = ["verify", "--quick", "--only", ONLY, "--out", str(out), "--jobs", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not (out / trigger).is_file() and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _uninterrupted(out: Path) -> bytes:
    assert main(["verify", "--quick", "--only", ONLY, "--out", str(out), "--quiet"]) == 0
    return (out / "results.csv").read_bytes()


def test_a_killed_verify_resumes_to_the_same_results(tmp_path, capsys):
    out = tmp_path / "killed"
    done = _start_and_signal(out, signal.SIGKILL, "results.csv")  # the report of check 1
    assert done.returncode == -signal.SIGKILL, done.stderr
    records = sorted(p.name for p in (out / "records").glob("*.json"))
    assert "theorem1-attained.json" in records and "variance-reduction.json" not in records
    # what was finished is on disk, readable: the report so far
    assert "theorem1-attained" in (out / "results.csv").read_text()
    first = (out / "records" / "theorem1-attained.json").stat().st_mtime_ns
    assert main(["verify", "--quick", "--only", ONLY, "--resume", str(out)]) == 0
    assert f"resuming {out}: " in capsys.readouterr().out
    assert (out / "records" / "theorem1-attained.json").stat().st_mtime_ns == first  # not rerun
    assert (out / "results.csv").read_bytes() == _uninterrupted(tmp_path / "whole")
    assert not list(out.glob(".*.tmp*")) and not list((out / "records").glob(".*.tmp*"))


def test_an_interrupted_verify_says_how_to_resume(tmp_path):
    out = tmp_path / "interrupted"
    done = _start_and_signal(out, signal.SIGINT, "records/theorem1-attained.json")
    assert done.returncode == 130, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "interrupted" in lines[0]
    assert lines[0].endswith(f"continue with: mastref verify --resume {out} --quick --only {ONLY}")
    assert (out / "records" / "theorem1-attained.json").is_file()


def test_resume_refuses_another_mode(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["verify", "--quick", "--only", "theorem1-attained", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["verify", "--only", "theorem1-attained", "--resume", str(out)]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "quick: True there, False now" in err


def test_an_interrupted_experiment_resumes_to_the_same_results(tmp_path, monkeypatch):
    whole = tmp_path / "whole"
    ex.run_stepsize(None, whole, quick=True, backend="serial")
    real = ex._stepsize_at

    def interrupted(config, **kw):
        if config == (0.5, 1.0):  # the 14th of 33 configurations
            raise KeyboardInterrupt
        return real(config, **kw)

    out = tmp_path / "resumed"
    monkeypatch.setattr(ex, "_stepsize_at", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ex.run_stepsize(None, out, quick=True, backend="serial")
    assert len(list((out / "stepsize" / "records").glob("q*.json"))) == 13
    ran = []

    def counted(config, **kw):
        ran.append(config)
        return real(config, **kw)

    monkeypatch.setattr(ex, "_stepsize_at", counted)
    ex.run_stepsize(None, out, quick=True, backend="serial", resume=True)
    assert len(ran) == 33 - 13 and ran[0] == (0.5, 1.0)
    csv = (out / "stepsize" / "stepsize.csv").read_bytes()
    assert csv == (whole / "stepsize" / "stepsize.csv").read_bytes()
    assert os.path.getsize(out / "stepsize" / "stepsize.png") > 1000
