"""Nothing finished is lost: a killed or interrupted run resumes to the uninterrupted results."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mastref.experiments as ex
from mastref import backend as bk
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


# ------------------------------------------------------------------------------------------------
# Damage: unreadable records, folders of another kind, two writers, settings that differ
# ------------------------------------------------------------------------------------------------

FIRST = "theorem1-attained"


@pytest.mark.parametrize("damage", [b"", b'{"__dataclass__": "mastref.ver', b"\xff\xfe"])
def test_a_damaged_record_is_named_moved_aside_and_recomputed(tmp_path, capsys, damage):
    out = tmp_path / "out"
    assert main(["verify", "--quick", "--only", FIRST, "--out", str(out), "--quiet"]) == 0
    good = (out / "results.csv").read_bytes()
    record = out / "records" / f"{FIRST}.json"
    record.write_bytes(damage)
    capsys.readouterr()
    assert main(["verify", "--quick", "--only", FIRST, "--resume", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"record {record} cannot be read" in err and "recomputing it" in err
    moved = list((out / "records" / "damaged").glob(f"{FIRST}.*.json"))
    assert len(moved) == 1 and moved[0].read_bytes() == damage  # kept, never deleted
    assert (out / "results.csv").read_bytes() == good
    bk.load_record(record)  # recomputed and readable


def test_a_folder_of_another_kind_is_refused_with_its_kind_named(tmp_path, capsys):
    experiments = tmp_path / "experiments"
    bk.RecordStore(
        experiments / "stepsize" / "records", {}, resume=False, kind="experiment"
    ).close()
    for folder in (experiments, experiments / "stepsize"):
        assert main(["verify", "--quick", "--only", FIRST, "--resume", str(folder)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "holds a run of kind 'experiment'" in err, err
        assert not (folder / "records" / f"{FIRST}.json").exists()  # nothing written
        assert not (folder / "report.md").exists()
    verify_out = tmp_path / "v"
    assert main(["verify", "--quick", "--only", FIRST, "--out", str(verify_out), "--quiet"]) == 0
    with pytest.raises(bk.OutFolderError, match="holds a run of kind 'verify'"):
        ex.run_stepsize(None, verify_out, quick=True, backend="serial")
    bk.RecordStore(verify_out / "records", {}, resume=False, catalogue="first").close()
    with pytest.raises(bk.OutFolderError, match="catalogue 'first'"):
        bk.RecordStore(verify_out / "records", {}, resume=True, catalogue="other")


def test_two_writers_on_one_folder_the_second_is_refused_and_a_stale_lock_is_taken_over(
    tmp_path, capsys
):
    out = tmp_path / "shared"
    args = ["verify", "--quick", "--only", ONLY, "--out", str(out), "--jobs", "1"]
    first = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        while not (out / bk.LOCK).is_file() and first.poll() is None:
            time.sleep(0.01)
        assert main(["verify", "--quick", "--only", ONLY, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"another mastref run (PID {first.pid}" in err and "--out " in err
    finally:
        first.kill()
        first.communicate(timeout=60)
    assert (out / bk.LOCK).is_file()  # left by the killed writer: stale
    assert main(["verify", "--quick", "--only", ONLY, "--resume", str(out), "--quiet"]) == 0
    assert f"stale lock of PID {first.pid} (not running) taken over" in capsys.readouterr().err
    assert not (out / bk.LOCK).exists()  # released when the run ended


def test_a_settings_mismatch_names_the_settings_and_offers_a_new_folder(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["verify", "--quick", "--only", FIRST, "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["verify", "--only", FIRST, "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "quick: True there, False now" in err and f"--out {tmp_path / 'quick-2'}" in err
    assert "--resume" not in err


def test_damaged_settings_are_named_and_nothing_is_changed(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["verify", "--quick", "--only", FIRST, "--out", str(out), "--quiet"]) == 0
    (out / "records" / "settings.json").write_text("{")
    before = (out / "records" / f"{FIRST}.json").read_bytes()
    assert main(["verify", "--quick", "--only", FIRST, "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "settings file" in err and "cannot be read" in err and "--out" in err
    assert (out / "records" / f"{FIRST}.json").read_bytes() == before


def test_verify_refuses_an_empty_out(capsys):
    assert main(["verify", "--quick", "--only", FIRST, "--out", ""]) == 2
    assert "argument --out = '' is empty" in capsys.readouterr().err


def test_an_interrupted_experiment_names_its_records_folder(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(ex.EXPERIMENTS, "stepsize", interrupted)
    out = tmp_path / "exp"
    assert main(["experiment", "stepsize", "--quick", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"finished configurations are in {out / 'stepsize' / 'records'};" in err
    assert "NAME" not in err and "OUT" not in err


class _Swallowed:
    """An object whose finaliser raises ``KeyboardInterrupt``: Python cannot raise it there, so
    it goes to ``sys.unraisablehook`` (as a Ctrl-C landing in JAX's garbage-collection callback
    did in CI: the run went on and ended with status 0)."""

    def __del__(self):
        raise KeyboardInterrupt


def test_a_swallowed_interrupt_still_stops_verify(tmp_path, monkeypatch, capsys):
    out = tmp_path / "swallowed"
    real = bk._call

    def call(i, fn, task, rng):
        result = real(i, fn, task, rng)
        if i == 0:
            _Swallowed()  # deleted at once: the interrupt lands in a finaliser
        return result

    monkeypatch.setattr(bk, "_call", call)
    args = ["verify", "--quick", "--only", ONLY, "--out", str(out), "--jobs", "1"]
    assert main(args) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith(
        f"continue with: mastref verify --resume {out} --quick --only {ONLY}"
    )
    records = {p.name for p in (out / "records").glob("*.json")} - {"settings.json"}
    assert records == {"theorem1-attained.json"}  # stopped after the task that was running
    assert sys.unraisablehook is not bk._latch  # the hook is given back


def test_other_unraisable_reports_still_reach_the_previous_hook(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))

    class Broken:
        def __del__(self):
            raise ValueError("not an interrupt")

    with bk.interrupts_latched():
        Broken()
    assert seen == [ValueError]


def test_tables_are_rebuilt_after_the_first_check_and_at_the_end(tmp_path, monkeypatch):
    """With an infinite interval the tables are written twice: after the first check (so a
    killed run leaves a report) and at the end; the result is the same as with no throttle."""
    import mastref.report as report

    calls = []
    real = report._write_tables
    monkeypatch.setattr(report, "_write_tables", lambda *a, **k: (calls.append(1), real(*a, **k)))
    only = ["theorem1-attained", "theorem3-sc-neighbourhood-step0.01", "theorem2-step0.1"]
    kw = dict(quick=True, only=only, jobs=1, backend="serial", progress=False, echo=lambda s: None)
    monkeypatch.setattr(report, "TABLE_INTERVAL", math.inf)
    report.run(out=tmp_path / "throttled", **kw)
    assert len(calls) == 2
    monkeypatch.setattr(report, "TABLE_INTERVAL", 0.0)
    report.run(out=tmp_path / "every", **kw)
    assert len(calls) == 2 + len(only) + 1
    assert (tmp_path / "throttled" / "results.csv").read_bytes() == (
        tmp_path / "every" / "results.csv"
    ).read_bytes()


def test_every_figure_of_the_report_is_followed_by_its_conclusion(tmp_path):
    """Each check's figure in report.md is followed by the sentence it proves: a stored
    counterexample says it is violated with its largest ratio, a check with a proved ceiling
    states it, and a passing check its late tightness."""
    import re

    import mastref.report as report

    only = ["theorem1-attained", "theorem5-reconstructed-form-counterexample"]
    run = report.run(
        quick=True, only=only, out=tmp_path, jobs=1, backend="serial", progress=False,
        echo=lambda s: None,
    )
    text = (tmp_path / "report.md").read_text()
    for name in only:
        after = text.split(f"![{name}]({name}.png)", 1)[1].lstrip("\n").split("\n", 1)[0]
        assert after.startswith("**Conclusion.** The measurement")
    by_name = {r.name: r for r in run.checks}
    bad = by_name["theorem5-reconstructed-form-counterexample"]
    ratio = float(np.nanmax(bad.tightness))
    assert re.search(rf"breaks the bound .* reaches {ratio:.4g} at t = .* as expected\)\.", text)
    assert f"reaches {by_name['theorem1-attained'].late_tightness:.3g} of it late" in text
