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


def test_unknown_subcommand_fails(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err


def test_an_unknown_flag_is_reported_by_its_subcommand(capsys):
    assert main(["checks", "--foo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mastref checks: error: unrecognized arguments: --foo (see mastref ")


def _fails_before_work(argv, capsys, tmp_path, status=2):
    """The command exits with ``status``, one line on stderr, no traceback, nothing run."""
    assert main(argv) == status
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("**/records/*.json"))
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--only", ""], "argument --only: '' must be check names"),
        (["verify", "--only", "theorem1-attained,"], "none empty"),
        (["verify", "--only", "theorem1-logistic-a5a"], "need the a5a data: give data (--data"),
        (["verify", "--only", "no-such-check"], "unknown check(s) ['no-such-check']"),
        (["verify", "--jobs", "-5"], "argument --jobs: '-5' must be a positive integer or -1"),
        (["verify", "--jobs", "0"], "must be a positive integer or -1"),
        (["verify", "--jobs", "two"], "'two' is not an integer"),
        (["verify", "--data", "/no/such/a5a"], "neither the a5a file nor a directory"),
        (["verify", "--scheduler", "localhost"], "must be an address like tcp://host:8786"),
        (["verify", "--backend", "spark"], "invalid choice: 'spark'"),
        (["verify", "--backend", "joblib", "--scheduler", "tcp://h:1"], "cannot go with"),
        (["verify", "--resume", "/no/such/dir"], "argument --resume: /no/such/dir is not a dir"),
        (["worst", "theorem1", "--budget", "0"], "argument --budget: '0' must be a positive"),
        (["worst", "theorem1", "--budget", "2"], "argument --budget: '2' must be from 4 to"),
        (["worst", "theorem1", "--steps", "-3"], "argument --steps: '-3' must be a positive"),
        (["worst", "theorem1", "--window", "early"], "must be 'late', 'all' or 'late:PART'"),
        (["worst", "theorem1", "--window", "late:nope"], "Theorem 1 has no part 'nope'"),
        (["worst", "no-such-theorem"], "unknown theorem 'no-such-theorem'"),
        (["worst", "theorem1", "--seed", "-1"], "must be a non-negative integer"),
        (["experiment", "stepsize", "--data", "/no/such/dir"], "holds no a5a or a5a.t"),
        (["experiment", "stepsize", "--jobs", "-2"], "must be a positive integer or -1"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_any_work(argv, message, capsys, tmp_path):
    out = ["--out", str(tmp_path / "out")] if "--resume" not in argv else []
    err = _fails_before_work(argv + out, capsys, tmp_path)
    assert message in err and "(see mastref" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_resume_of_a_folder_that_is_not_a_run_is_refused(capsys, tmp_path):
    # an empty folder, or one holding other files, is not a run: resuming it would write a
    # whole new run into it (a new user's trial, stop 29)
    (tmp_path / "x.txt").write_text("hi")
    err = _fails_before_work(["verify", "--resume", str(tmp_path)], capsys, tmp_path)
    assert f"{tmp_path} is not a mastref run to resume (no mastref-run.json)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_dask_backend_without_dask_says_how_to_install(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    argv = ["verify", "--quick", "--backend", "dask", "--out", str(tmp_path)]
    err = _fails_before_work(argv, capsys, tmp_path)
    assert 'pip install "mastref[dask]"' in err


def test_out_that_is_a_file_is_refused_before_work(capsys, tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("keep me")
    for argv in (
        ["verify", "--quick", "--only", "theorem1-attained"],
        ["worst", "theorem1", "--quick"],
        ["experiment", "stepsize", "--quick"],
    ):
        err = _fails_before_work(argv + ["--out", str(existing)], capsys, tmp_path)
        assert f"argument --out = '{existing}' is an existing file" in err
    assert existing.read_text() == "keep me"


def test_a_library_error_is_one_line_and_earlier_results_are_kept(tmp_path, capsys, monkeypatch):
    from mastref.catalogue import Check, catalogue

    real = catalogue(with_data=False)["theorem1-attained"]

    def broken(quick, data=None):
        raise ValueError("argument 'x' = 3 must be below 2")

    checks = {
        "theorem1-attained": real,
        "broken": Check(name="broken", theorem="Theorem X", run=broken),
    }
    monkeypatch.setattr("mastref.report.catalogue", lambda with_data=False: checks)
    argv = ["verify", "--quick", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "verify 'broken' failed: ValueError: argument 'x' = 3 must be below 2" in err
    assert f"mastref verify --resume {tmp_path}" in err
    # the check that finished before the failure is on disk, report and plot included
    assert "theorem1-attained" in (tmp_path / "results.csv").read_text()
    assert (tmp_path / "theorem1-attained.png").is_file()
    with pytest.raises(Exception, match="must be below 2"):
        main(argv + ["--debug"])  # --debug shows the traceback
    with pytest.raises(Exception, match="must be below 2"):
        main(["--debug"] + argv)  # before the subcommand too


def test_version():
    exe = shutil.which("mastref")
    cmd = [exe, "--version"] if exe else [sys.executable, "-m", "mastref.cli", "--version"]
    import mastref

    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"mastref {mastref.__version__}"


def test_checks_lists_theorem_instance_and_method(capsys):
    from mastref.catalogue import catalogue

    assert main(["checks"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| check | theorem | instance | method | kind | part | branch | ceiling |"
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in lines[2:]}
    assert set(rows) == set(catalogue(with_data=True))
    methods = {name: cells[3] for name, cells in rows.items()}
    assert set(methods.values()) == {"exact", "Monte Carlo"}
    assert methods["theorem1-logistic-synthetic"] == "Monte Carlo"
    assert methods["theorem1-attained"] == "exact"
    assert all(cells[1].strip() and cells[2].strip() for cells in rows.values())


def test_jobs_1_and_2_write_byte_identical_results(tmp_path):
    only = "theorem1-attained,theorem2-late,stepsize-sweep,theorem5-sc-permutation"
    for jobs in ("1", "2"):
        argv = ["verify", "--quick", "--only", only, "--out", str(tmp_path / jobs), "--quiet"]
        assert main(argv + ["--jobs", jobs]) == 0
    assert (tmp_path / "1" / "results.csv").read_bytes() == (
        tmp_path / "2" / "results.csv"
    ).read_bytes()
