"""The backend switch: serial, joblib and Dask give the same results; seeds, records, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import mastref.verify as mv
from mastref import backend as bk
from mastref import report


def draw(n: int, rng: np.random.Generator) -> np.ndarray:
    """A task whose result depends on its own random stream only."""
    return n + rng.standard_normal(3)


def square(n: int) -> int:
    return n * n


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n


@pytest.fixture(scope="module")
def client():
    """A Dask LocalCluster of 2 single-threaded worker processes."""
    import distributed  # the test extra installs it: never skipped

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_seeds_are_spawned_from_one_seed_sequence():
    # task i's stream is default_rng(SeedSequence(rng).spawn(n)[i]): a function of rng and i only
    got = [g.standard_normal(4) for g in bk.task_rngs(2025, 5)]
    children = np.random.SeedSequence(2025).spawn(5)
    for i, child in enumerate(children):
        assert np.array_equal(got[i], np.random.default_rng(child).standard_normal(4))
    # a task's stream does not depend on how many tasks there are (what resuming relies on)
    assert np.array_equal(got[1], bk.task_rngs(2025, 2)[1].standard_normal(4))
    # distinct tasks get distinct streams
    assert len({tuple(x) for x in got}) == 5


def test_joblib_gives_the_serial_results():
    tasks = list(range(7))
    serial = bk.map_tasks(draw, tasks, backend="serial", rng=11)
    parallel = bk.map_tasks(draw, tasks, backend="joblib", n_jobs=2, rng=11)
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel, strict=True))
    assert bk.map_tasks(square, [3, 1, 2], n_jobs=2) == [9, 1, 4]  # task order


def test_dask_local_cluster_gives_the_serial_results(client):
    tasks = list(range(7))
    serial = bk.map_tasks(draw, tasks, backend="serial", rng=11)
    on_dask = bk.map_tasks(draw, tasks, client=client, rng=11)
    assert all(np.array_equal(a, b) for a, b in zip(serial, on_dask, strict=True))


def test_verify_on_dask_writes_the_serial_results(client, tmp_path):
    only = ["theorem1-attained", "theorem2-late", "stepsize-sweep", "theorem4a-p-branch"]
    serial_out = tmp_path / "serial"
    report.run(quick=True, only=only, out=serial_out, backend="serial", echo=lambda s: None)
    report.run(quick=True, only=only, out=tmp_path / "dask", client=client, echo=lambda s: None)
    serial = (tmp_path / "serial" / "results.csv").read_bytes()
    assert (tmp_path / "dask" / "results.csv").read_bytes() == serial


def test_a_failing_task_is_named_and_finished_ones_are_kept(tmp_path):
    store = bk.RecordStore(tmp_path / "records", {"run": 1}, resume=False)
    keys = [f"n{n}" for n in range(5)]
    with pytest.raises(bk.TaskFailed, match=r"sweep 3 failed: ValueError: three is not allowed"):
        bk.map_tasks(
            fail_on_three, range(5), backend="serial", store=store, keys=keys, desc="sweep"
        )
    assert [store.has(k) for k in keys] == [True, True, True, False, False]


def test_recorded_tasks_are_read_back_not_run(tmp_path):
    calls: list[int] = []
    seen: list[int] = []

    def counted(n, rng):
        calls.append(n)
        return draw(n, rng)

    keys = [f"n{n}" for n in range(4)]
    first = bk.RecordStore(tmp_path / "r", {"seed": 5}, resume=False)
    whole = bk.map_tasks(counted, range(4), backend="serial", rng=5, store=first, keys=keys)
    for key in ("n1", "n3"):  # as if the run had stopped before these two
        (tmp_path / "r" / f"{key}.json").unlink()
    calls.clear()
    again = bk.RecordStore(tmp_path / "r", {"seed": 5}, resume=True)
    resumed = bk.map_tasks(
        counted,
        range(4),
        backend="serial",
        rng=5,
        store=again,
        keys=keys,
        on_result=lambda i, r: seen.append(i),
    )
    assert calls == [1, 3] and seen == [1, 3]
    assert all(np.array_equal(a, b) for a, b in zip(whole, resumed, strict=True))


def test_resume_refuses_other_settings_and_a_new_run_starts_clean(tmp_path):
    store = bk.RecordStore(tmp_path / "r", {"quick": True}, resume=False)
    store.save("a", 1)
    with pytest.raises(ValueError, match="other settings.*quick: True there, False now"):
        bk.RecordStore(tmp_path / "r", {"quick": False}, resume=True)
    fresh = bk.RecordStore(tmp_path / "r", {"quick": True}, resume=False)
    assert not fresh.has("a")


def test_records_round_trip_exactly(tmp_path):
    value = {
        "floats": np.array([0.1, 1 / 3, -0.0, np.inf, -np.inf, 5e-324, 1.7976931348623157e308]),
        "ints": np.arange(6, dtype=np.int64).reshape(2, 3),
        "mask": np.array([True, False]),
        "empty": np.zeros((0, 4)),
        "scalar": np.float64(2.0) / 3,
        "nan": float("nan"),
        "nested": (1, "a", [None, {"k": (2.5,)}]),
    }
    bk.save_record(tmp_path / "v.json", value)
    back = bk.load_record(tmp_path / "v.json")
    for key in ("floats", "ints", "mask", "empty"):
        assert back[key].dtype == value[key].dtype and back[key].shape == value[key].shape
        assert back[key].tobytes() == value[key].tobytes()  # bit for bit, signed zero included
    assert back["scalar"] == value["scalar"] and np.isnan(back["nan"])
    assert back["nested"] == value["nested"]
    result = report.run_check("theorem1-attained", quick=True)
    bk.save_record(tmp_path / "c.json", result)
    again = bk.load_record(tmp_path / "c.json")
    assert isinstance(again, mv.CheckResult) and again.verdict == result.verdict
    for field in ("steps", "measured", "lower", "upper", "bound"):
        assert getattr(again, field).tobytes() == getattr(result, field).tobytes()
    assert again.notes == result.notes and again.gamma == result.gamma


def test_records_refuse_foreign_objects(tmp_path):
    from fractions import Fraction

    with pytest.raises(TypeError, match="cannot record a value of type Fraction"):
        bk.save_record(tmp_path / "x.json", {"f": Fraction(1, 3)})
    (tmp_path / "evil.json").write_text(
        json.dumps({"__dataclass__": "subprocess:Popen", "fields": {"args": "true"}})
    )
    with pytest.raises(ValueError, match="outside mastref"):
        bk.load_record(tmp_path / "evil.json")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")

    def broken(tmp):
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        bk.write_atomic(path, broken)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"backend": "spark"}, ValueError, "must be one of"),
        ({"n_jobs": 0}, ValueError, "positive integer or -1"),
        ({"n_jobs": -5}, ValueError, "positive integer or -1"),
        ({"n_jobs": 1.5}, TypeError, "must be an integer"),
        ({"backend": "joblib", "scheduler": "tcp://h:1"}, ValueError, "only used by 'dask'"),
        ({"rng": -1}, TypeError, "non-negative int"),
        ({"store": "x"}, ValueError, "'keys' must name every task"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        bk.map_tasks(square, [1, 2], **kwargs)


def test_dask_is_optional(monkeypatch):
    # importing mastref does not import dask ...
    code = "import sys, mastref, mastref.verify; print('distributed' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    # ... and asking for the dask backend without it says how to install it
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "mastref\[dask\]"'):
        bk.map_tasks(square, [1, 2], backend="dask")


def test_progress_is_quiet_off_a_terminal(capsys):
    bk.map_tasks(square, [1, 2, 3], desc="sweep")  # stderr is captured: not a terminal
    assert capsys.readouterr().err == ""
    bk.map_tasks(square, [1, 2, 3], desc="sweep", progress=True)
    err = capsys.readouterr().err
    assert "sweep" in err and "3/3" in err
    bk.map_tasks(square, [1, 2, 3], desc="sweep", progress=False)
    assert capsys.readouterr().err == ""


def test_jobs_are_capped_at_the_number_of_tasks(capfd, monkeypatch):
    monkeypatch.setattr(bk.os, "cpu_count", lambda: 8)  # the tasks, not the cores, cap here
    assert bk.cap_jobs(1000, 2) == (2, "n_jobs = 1000 capped at 2, the number of tasks to run")
    assert bk.cap_jobs(-1, 10**6)[1] is None and bk.cap_jobs(3, 3) == (3, None)
    assert bk.map_tasks(square, [2, 3], backend="joblib", n_jobs=1000) == [4, 9]
    assert "n_jobs = 1000 capped at 2" in capfd.readouterr().err
    bk.map_tasks(square, [2, 3], backend="joblib", n_jobs=1000, progress=False)
    assert "capped" not in capfd.readouterr().err


def test_jobs_are_capped_at_the_cores(monkeypatch):
    # more processes than cores only share them: 100000 asked on 2 cores and 67 tasks gave 67
    monkeypatch.setattr(bk.os, "cpu_count", lambda: 2)
    assert bk.cap_jobs(100000, 67) == (2, "n_jobs = 100000 capped at 2, the cores of this machine")
    assert bk.cap_jobs(-1, 67) == (2, None) and bk.cap_jobs(2, 67) == (2, None)
    assert bk.cap_jobs(5, 1) == (1, "n_jobs = 5 capped at 1, the number of tasks to run")


# ------------------------------------------------------------------------------------------------
# Unreachable or malformed scheduler addresses fail fast, naming the address (loopback only)
# ------------------------------------------------------------------------------------------------


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def loopback_server():
    """A server on 127.0.0.1 that sends ``payload`` to each connection (or nothing)."""
    import socket
    import threading

    servers = []

    def start(payload: bytes) -> int:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        servers.append(srv)

        def serve():
            while True:
                try:
                    conn, _ = srv.accept()
                except OSError:
                    return
                if payload:
                    conn.sendall(payload)
                servers.append(conn)

        threading.Thread(target=serve, daemon=True).start()
        return srv.getsockname()[1]

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda srv: f"tcp://127.0.0.1:{_closed_port()}", "cannot reach a Dask scheduler at"),
        (lambda srv: f"tcp://127.0.0.1:{srv(b'')}", "no Dask scheduler answered at.*2.5 s"),
        (lambda srv: f"tcp://127.0.0.1:{srv(b'HTTP/1.1 200 OK' * 8)}", "is not a Dask scheduler"),
        (lambda srv: "tcp://127.0.0.1:99999", "port 99999 is not in 1..65535"),
        (lambda srv: "tcp://127.0.0.1:http", "port http is not in"),
        (lambda srv: "tcp://127.0.0.1", "names no port"),
        (lambda srv: "tcp://:8786", "names no host"),
        (lambda srv: "http://127.0.0.1:8786", "scheme 'http'"),
        (lambda srv: "127.0.0.1:8786", "must be an address like"),
    ],
    ids=[
        "closed",
        "silent",
        "not-dask",
        "port>65535",
        "port-name",
        "no-port",
        "no-host",
        "http",
        "no-scheme",
    ],
)
def test_a_bad_scheduler_address_fails_within_3_s_naming_it(loopback_server, make, match):
    import time

    address = make(loopback_server)
    start = time.perf_counter()
    with pytest.raises((ConnectionError, ValueError), match=match) as caught:
        with bk.dask_client(address):
            pass
    assert time.perf_counter() - start <= 3.0
    assert address in str(caught.value)


def test_the_cli_names_an_unreachable_scheduler(tmp_path, capsys):
    import time

    from mastref.cli import main

    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.perf_counter()
    args = ["verify", "--quick", "--only", "theorem1-attained", "--out", str(tmp_path)]
    assert main([*args, "--scheduler", address]) != 0
    assert time.perf_counter() - start <= 3.0
    assert f"cannot reach a Dask scheduler at {address}" in capsys.readouterr().err
