"""One switch for sweeps of independent tasks: serial, joblib (local processes) or Dask.

``map_tasks(fn, tasks, backend=...)`` runs ``fn`` on every task and returns the results in task
order, whatever order they finish in:

* ``"serial"``: one after the other in this process;
* ``"joblib"`` (default): ``n_jobs`` local worker processes (``n_jobs=1``: in this process);
* ``"dask"``: the workers of a ``dask.distributed`` cluster (a ``Client`` passed in, the
  scheduler at ``scheduler="tcp://host:port"``, or a local cluster of ``n_jobs`` workers).
  Dask is an optional extra: ``pip install "mastref[dask]"``.

Results do not depend on the backend. With ``rng`` given, task ``i`` is called as
``fn(task_i, rng_i)`` where ``rng_i = default_rng(s_i)`` and ``s_0, s_1, ...`` are spawned from
one ``numpy.random.SeedSequence`` (``s_i`` is ``SeedSequence(entropy, spawn_key=(i,))``): the
seed of a task is a function of ``rng`` and its position only, never of a worker's state.

Nothing finished is lost: with a ``RecordStore``, each finished task's result is written to
disk as it completes (JSON, atomically: a temporary file in the same directory, then
``os.replace``), and the tasks whose record is already there are read back instead of run (the
``--resume`` of ``mastref verify`` and ``mastref experiment``). JSON keeps every float exactly
(``repr`` round-trips), so a resumed sweep gives the same numbers as an uninterrupted one.
Progress is a ``tqdm`` bar on standard error, quiet when that is not a terminal.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import numbers
import os
import socket
import sys
import time
import traceback
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

#: The backends of ``map_tasks``.
BACKENDS = ("serial", "joblib", "dask")
#: The install hint of the optional Dask extra.
DASK_HINT = 'the dask backend needs dask.distributed: pip install "mastref[dask]"'


class TaskFailed(RuntimeError):
    """A task of ``map_tasks`` raised; the message names the task, the cause is chained and
    ``remote_traceback`` holds the traceback as formatted where the task ran."""

    def __init__(self, message: str, remote_traceback: str = ""):
        super().__init__(message)
        self.remote_traceback = remote_traceback


def check_jobs(n_jobs) -> int:
    """``n_jobs`` as an int: a positive number of workers, or ``-1`` for one per core."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise TypeError(f"argument 'n_jobs' = {n_jobs!r} must be an integer")
    if n_jobs != -1 and n_jobs < 1:
        raise ValueError(f"argument 'n_jobs' = {n_jobs} must be a positive integer or -1")
    return int(n_jobs)


def cap_jobs(n_jobs: int, n_tasks: int) -> tuple[int, str | None]:
    """``(workers, note)``: ``n_jobs`` (``-1``: one per core) capped at ``n_tasks``, since a
    worker beyond the number of tasks only costs a process start, and at the cores of this
    machine (``os.cpu_count()``), since the tasks are CPU-bound and more processes than cores
    only share them (``--jobs 100000`` started 67 processes on 2 cores); ``note`` says so when
    capped.

    Examples
    --------
    >>> from mastref.backend import cap_jobs
    >>> cap_jobs(1000, 2)
    (2, 'n_jobs = 1000 capped at 2, the number of tasks to run')
    >>> cap_jobs(2, 10)
    (2, None)
    """
    n_jobs = check_jobs(n_jobs)
    cores = os.cpu_count() or 1
    wanted = cores if n_jobs == -1 else n_jobs
    workers = max(1, min(wanted, n_tasks, cores))
    if workers == wanted:
        return workers, None
    by = "the number of tasks to run" if workers == n_tasks else "the cores of this machine"
    return workers, f"n_jobs = {n_jobs} capped at {workers}, {by}"


def resolve_backend(backend: str | None, scheduler: str | None = None, client=None) -> str:
    """The backend to use: ``backend``, or ``"dask"`` when a ``scheduler`` or ``client`` is
    given and ``"joblib"`` otherwise; a clear error for a name not in ``BACKENDS`` or a
    scheduler given to another backend."""
    dask_given = scheduler is not None or client is not None
    if backend is None:
        return "dask" if dask_given else "joblib"
    if backend not in BACKENDS:
        raise ValueError(f"argument 'backend' = {backend!r} must be one of {list(BACKENDS)}")
    if dask_given and backend != "dask":
        raise ValueError(
            f"argument 'backend' = {backend!r}: a scheduler or client is only used by 'dask'"
        )
    return backend


def task_rngs(rng, n: int) -> list[np.random.Generator]:
    """``n`` independent generators ``default_rng(s_i)``, ``s_i`` spawned from one
    ``SeedSequence`` built from ``rng`` (an int, a ``SeedSequence``, or a ``Generator`` that
    draws the entropy).

    Examples
    --------
    >>> from mastref.backend import task_rngs
    >>> a, b = task_rngs(7, 2)
    >>> [int(g.integers(100)) for g in task_rngs(7, 2)] == [int(a.integers(100)),
    ...                                                    int(b.integers(100))]
    True
    """
    if isinstance(rng, np.random.SeedSequence):
        root = rng
    elif isinstance(rng, np.random.Generator):
        root = np.random.SeedSequence(int(rng.integers(2**63)))
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        root = np.random.SeedSequence(int(rng))
    else:
        raise TypeError(
            f"argument 'rng' = {rng!r} must be a non-negative int, a numpy SeedSequence or a "
            "Generator"
        )
    return [np.random.default_rng(s) for s in root.spawn(n)]


#: Seconds for a scheduler address to answer the TCP probe with a Dask handshake.
CONNECT_SECONDS = 2.5
#: Seconds for the Dask client to connect to a scheduler that answered the probe.
CLIENT_SECONDS = 10.0


def check_scheduler(scheduler) -> tuple[str, int]:
    """``(host, port)`` of a scheduler address ``"tcp://host:port"`` (also ``tls://``), or a
    ``ValueError`` naming the address and what is wrong with it.

    Examples
    --------
    >>> from mastref.backend import check_scheduler
    >>> check_scheduler("tcp://127.0.0.1:8786")
    ('127.0.0.1', 8786)
    >>> try:
    ...     check_scheduler("tcp://127.0.0.1:99999")
    ... except ValueError as err:
    ...     print(err)
    argument 'scheduler' = 'tcp://127.0.0.1:99999': port 99999 is not in 1..65535
    """
    from urllib.parse import urlsplit

    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(
            f"argument 'scheduler' = {scheduler!r} must be an address like 'tcp://host:8786'"
        )
    parts = urlsplit(scheduler)
    if parts.scheme not in ("tcp", "tls"):
        raise ValueError(
            f"argument 'scheduler' = {scheduler!r}: scheme {parts.scheme!r} is not tcp or tls"
        )
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rsplit(":", 1)[-1]
        raise ValueError(
            f"argument 'scheduler' = {scheduler!r}: port {raw} is not in 1..65535"
        ) from None
    if not parts.hostname:
        raise ValueError(f"argument 'scheduler' = {scheduler!r} names no host")
    if port is None or not 1 <= port <= 65535:
        raise ValueError(f"argument 'scheduler' = {scheduler!r} names no port (tcp://host:8786)")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"argument 'scheduler' = {scheduler!r}: unexpected path or query")
    return parts.hostname, port


def _probe(scheduler: str, host: str, port: int) -> None:
    """A ``ConnectionError`` naming ``scheduler`` within ``CONNECT_SECONDS`` unless a Dask
    server answers there: a closed port fails at once; a server that sends nothing, or bytes
    that are not a Dask message length, is refused."""
    deadline = time.monotonic() + CONNECT_SECONDS
    try:
        probe = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
    except OSError as err:
        raise ConnectionError(
            f"cannot reach a Dask scheduler at {scheduler}: {err.strerror or err} (is it running, "
            "and is the address right?)"
        ) from None
    with probe:  # a Dask server speaks first: its handshake, prefixed by its length (8 bytes)
        head = b""
        try:
            while len(head) < 8:
                probe.settimeout(max(deadline - time.monotonic(), 0.01))
                chunk = probe.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
        except OSError:
            pass
    if len(head) < 8:
        raise ConnectionError(
            f"no Dask scheduler answered at {scheduler} within {CONNECT_SECONDS:g} s (the port "
            "is open, but nothing there sent a Dask handshake)"
        )
    if int.from_bytes(head, "little") >= 2**32:
        raise ConnectionError(
            f"the server at {scheduler} is not a Dask scheduler (its first bytes {head!r} are "
            "not a Dask message length)"
        )


def _connect(distributed, scheduler: str):
    """A client of the scheduler at ``scheduler`` (probed by ``_probe``); whatever the
    handshake raises (dask gives OSError, TimeoutError, even MemoryError on garbage) is a
    ``ConnectionError`` naming the address."""
    try:
        return distributed.Client(scheduler, timeout=f"{CLIENT_SECONDS}s")
    except Exception as err:  # dask raises OSError, TimeoutError, even MemoryError on garbage
        raise ConnectionError(
            f"no Dask scheduler answered at {scheduler} within {CLIENT_SECONDS:g} s "
            f"({type(err).__name__}: {_short(err)}); is a Dask scheduler listening there?"
        ) from None


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 2) -> Iterator:
    """A ``dask.distributed.Client``: connected to ``scheduler`` (``"tcp://host:port"``), or to
    a local cluster of ``n_workers`` single-threaded worker processes; closed on exit."""
    if scheduler is not None:
        host, port = check_scheduler(scheduler)
        _probe(scheduler, host, port)  # before importing dask: a dead address fails at once
    try:
        import distributed
    except ImportError as err:
        raise ImportError(DASK_HINT) from err
    if scheduler is not None:
        client = _connect(distributed, scheduler)
        with client:
            yield client
        return
    if n_workers == -1:
        n_workers = os.cpu_count() or 1
    with (
        distributed.LocalCluster(
            n_workers=n_workers, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _call(i: int, fn: Callable, task, rng) -> tuple:
    """Run one task where it is scheduled; ``(i, True, result)`` or ``(i, False, (exception,
    formatted traceback))``, so that the caller knows which task failed."""
    try:
        return i, True, fn(task) if rng is None else fn(task, rng)
    except Exception as exc:  # reported by the caller, which names the task
        return i, False, (exc, traceback.format_exc())


#: Set when a Ctrl-C was swallowed (see ``interrupts_latched``); read by ``map_tasks``.
_LATCHED_INTERRUPT = False
#: The unraisable hook that ``interrupts_latched`` replaced (other reports are passed to it).
_PREVIOUS_HOOK = sys.__unraisablehook__


def _latch(unraisable) -> None:
    """``sys.unraisablehook`` that keeps a swallowed ``KeyboardInterrupt`` instead of printing."""
    global _LATCHED_INTERRUPT
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _LATCHED_INTERRUPT = True
    else:
        _PREVIOUS_HOOK(unraisable)


def raise_latched_interrupt() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C was swallowed since ``interrupts_latched`` began."""
    global _LATCHED_INTERRUPT
    if _LATCHED_INTERRUPT:
        _LATCHED_INTERRUPT = False
        raise KeyboardInterrupt


@contextmanager
def interrupts_latched() -> Iterator[None]:
    """Make a Ctrl-C count even when it lands where Python cannot raise it.

    Python raises ``KeyboardInterrupt`` in whatever Python code runs when SIGINT arrives; inside
    a garbage-collection callback or a ``__del__`` (JAX registers one, and cvxpy imports JAX
    when it is installed) the exception is "ignored" and the run goes on. Within this context
    such an interrupt is kept instead, and ``map_tasks`` raises it after the task that was
    running (``raise_latched_interrupt``), so the command stops with its resume hint.
    ``mastref``'s command line runs every command in this context.

    Examples
    --------
    >>> from mastref.backend import interrupts_latched, map_tasks
    >>> class Swallowed:
    ...     def __del__(self):
    ...         raise KeyboardInterrupt  # Python can only print this one
    >>> def task(n):
    ...     if n == 1:
    ...         Swallowed()
    ...     return n
    >>> done = []
    >>> try:
    ...     with interrupts_latched():
    ...         map_tasks(task, [0, 1, 2], backend="serial", on_result=lambda i, v: done.append(i))
    ... except KeyboardInterrupt:
    ...     print("stopped after", done)
    stopped after [0, 1]
    """
    global _LATCHED_INTERRUPT, _PREVIOUS_HOOK
    previous = _PREVIOUS_HOOK = sys.unraisablehook
    _LATCHED_INTERRUPT = False
    sys.unraisablehook = _latch
    try:
        yield
        raise_latched_interrupt()
    finally:
        sys.unraisablehook = _PREVIOUS_HOOK = previous
        _LATCHED_INTERRUPT = False


def _progress(total: int, initial: int, desc: str | None, progress: bool | None):
    from tqdm import tqdm

    # disable=None: tqdm stays quiet when standard error is not a terminal
    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        disable=None if progress is None else not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )


def map_tasks(
    fn: Callable,
    tasks: Sequence,
    *,
    backend: str | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    rng=None,
    store: RecordStore | None = None,
    keys: Sequence[str] | None = None,
    progress: bool | None = None,
    desc: str | None = None,
    on_result: Callable[[int, Any], None] | None = None,
) -> list:
    """``[fn(t) for t in tasks]`` (or ``fn(t, rng_i)``) on the chosen backend, in task order.

    Parameters
    ----------
    fn : callable
        A picklable function (module-level, or a ``functools.partial`` of one) for the
        process backends.
    tasks : sequence
        The tasks (small, picklable; shared data belongs in ``fn``).
    backend : {"serial", "joblib", "dask"} or None
        ``None``: ``"dask"`` when ``scheduler`` or ``client`` is given, else ``"joblib"``.
    n_jobs : int
        Worker processes of joblib or of a local Dask cluster (``-1``: one per core).
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``).
    client : dask.distributed.Client, optional
        A client to submit to (kept open).
    rng : int, SeedSequence or Generator, optional
        With it, task ``i`` gets the ``i``-th of ``task_rngs(rng, len(tasks))`` as its second
        argument.
    store : RecordStore, optional
        Where finished tasks are written (``keys[i]`` is task ``i``'s record name); tasks
        whose record exists are read back, not run.
    keys : sequence of str, optional
        Record names, one per task (required with ``store``).
    progress : bool or None
        Show a progress bar; ``None``: only when standard error is a terminal.
    desc : str, optional
        Label of the progress bar and of error messages.
    on_result : callable, optional
        ``on_result(i, result)``, called in this process as each task finishes (after its
        record is written), in the order they finish; read-back records are not passed.

    Returns
    -------
    list
        The results, in the order of ``tasks``.

    Raises
    ------
    TaskFailed
        A task raised (the message names it; the records of finished tasks are kept).

    Examples
    --------
    >>> from mastref.backend import map_tasks
    >>> def draw(n, rng):
    ...     return int(rng.integers(1000)) + n
    >>> serial = map_tasks(draw, [0, 10, 20], backend="serial", rng=1)
    >>> serial == map_tasks(draw, [0, 10, 20], backend="joblib", n_jobs=2, rng=1)
    True
    """
    backend = resolve_backend(backend, scheduler, client)
    n_jobs = check_jobs(n_jobs)
    tasks = list(tasks)
    n = len(tasks)
    if store is not None:
        if keys is None or len(keys) != n:
            raise ValueError("argument 'keys' must name every task when a store is given")
    rngs = task_rngs(rng, n) if rng is not None else [None] * n
    results: list = [None] * n
    todo = []
    for i in range(n):
        if store is not None and store.has(keys[i]):
            results[i] = store.load(keys[i])
        else:
            todo.append(i)
    label = desc or "task"
    if client is None and scheduler is None:  # local workers: no more than the tasks
        n_jobs, note = cap_jobs(n_jobs, len(todo))
        if note and progress is not False and len(todo) > 0:
            print(f"mastref: {note}", file=sys.stderr)
    with _progress(n, n - len(todo), desc, progress) as bar:
        for i, ok, value in _run(backend, n_jobs, scheduler, client, fn, tasks, rngs, todo):
            if not ok:
                exc, tb = value
                raise TaskFailed(
                    f"{label} {tasks[i]!r} failed: {type(exc).__name__}: {exc}", tb
                ) from exc
            if store is not None:  # what is on disk, so that a resumed run gives the same
                store.save(keys[i], value)
                value = store.load(keys[i])
            results[i] = value
            if on_result is not None:
                on_result(i, value)
            bar.update(1)
            raise_latched_interrupt()
    return results


def _run(backend, n_jobs, scheduler, client, fn, tasks, rngs, todo) -> Iterator[tuple]:
    """``(i, ok, value)`` for the tasks ``todo``, in the order they finish."""
    if not todo:
        return
    if backend == "serial" or (backend == "joblib" and n_jobs == 1):
        for i in todo:
            yield _call(i, fn, tasks[i], rngs[i])
    elif backend == "joblib":
        from joblib import Parallel, delayed

        with warnings.catch_warnings():  # stopping at a failure cancels the rest: no news
            warnings.filterwarnings("ignore", message=".*still being processed by the workers")
            yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(_call)(i, fn, tasks[i], rngs[i]) for i in todo
            )
    elif client is not None:
        yield from _run_dask(client, fn, tasks, rngs, todo)
    else:
        with dask_client(scheduler, n_jobs) as own:
            yield from _run_dask(own, fn, tasks, rngs, todo)


def _run_dask(client, fn, tasks, rngs, todo) -> Iterator[tuple]:
    from distributed import as_completed

    shared = client.scatter(fn, broadcast=True, hash=False)  # sent once, not once per task
    futures = [client.submit(_call, i, shared, tasks[i], rngs[i], pure=False) for i in todo]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel(futures)


# ------------------------------------------------------------------------------------------------
# Records on disk
# ------------------------------------------------------------------------------------------------


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` to a temporary file next to ``path`` (same suffix), then
    ``os.replace(tmp, path)``: a reader sees the old file or the whole new one, never a part."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_partial(directory: Path) -> None:
    """Delete the temporary files ``write_atomic`` left in ``directory`` (a killed writer)."""
    for tmp in Path(directory).glob(".*.tmp.*"):
        tmp.unlink(missing_ok=True)


def _encode(x):
    if isinstance(x, np.ndarray):
        return {"__ndarray__": x.dtype.str, "shape": list(x.shape), "data": x.ravel().tolist()}
    if isinstance(x, np.generic):
        return x.item()
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        cls = type(x)
        if not cls.__module__.startswith("mastref."):
            raise TypeError(f"cannot record a {cls.__name__} (only mastref's dataclasses)")
        fields = {f.name: _encode(getattr(x, f.name)) for f in dataclasses.fields(x)}
        return {"__dataclass__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(x, tuple):
        return {"__tuple__": [_encode(v) for v in x]}
    if isinstance(x, list):
        return [_encode(v) for v in x]
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise TypeError("cannot record a dict with non-string keys")
        return {k: _encode(v) for k, v in x.items()}
    if x is None or isinstance(x, bool | int | float | str):
        return x
    raise TypeError(f"cannot record a value of type {type(x).__name__}")


def _decode(x):
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if not isinstance(x, dict):
        return x
    if "__ndarray__" in x:
        return np.array(x["data"], dtype=np.dtype(x["__ndarray__"])).reshape(x["shape"])
    if "__tuple__" in x:
        return tuple(_decode(v) for v in x["__tuple__"])
    if "__dataclass__" in x:
        module, name = x["__dataclass__"].split(":")
        if not module.startswith("mastref."):
            raise ValueError(f"record names a class outside mastref: {x['__dataclass__']}")
        cls = getattr(importlib.import_module(module), name)
        return cls(**{k: _decode(v) for k, v in x["fields"].items()})
    return {k: _decode(v) for k, v in x.items()}


def save_record(path: Path, value) -> None:
    """Write ``value`` (numbers, strings, arrays, tuples, lists, dicts with string keys,
    mastref dataclasses of those) to ``path`` as JSON, atomically; ``load_record`` reads it back
    equal, every float bit for bit.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from mastref.backend import load_record, save_record
    >>> path = Path(tempfile.mkdtemp()) / "r.json"
    >>> save_record(path, {"x": np.array([0.1, np.inf]), "n": (1, "a")})
    >>> back = load_record(path)
    >>> back["x"].tolist(), back["n"]
    ([0.1, inf], (1, 'a'))
    """
    text = json.dumps(_encode(value))
    write_atomic(Path(path), lambda tmp: tmp.write_text(text))


def load_record(path: Path):
    """The value ``save_record`` wrote to ``path``."""
    return _decode(json.loads(Path(path).read_text()))


class OutFolderError(ValueError):
    """An output folder that a run cannot use: of another kind, in use by another run, written
    with other settings, or with unreadable settings. The message says why and what to do;
    nothing in the folder was changed."""


#: The file naming a folder's kind (``verify``, ``experiment``) and catalogue.
MARKER = "mastref-run.json"
#: The lock file of a folder being written: the holder's PID, host and start time.
LOCK = "mastref.lock"


def check_out(out) -> Path:
    """``out`` as an output directory (created): refused when empty, an existing file, or not
    creatable or writable.

    Examples
    --------
    >>> from mastref.backend import check_out
    >>> try:
    ...     check_out("")
    ... except ValueError as err:
    ...     print(err)
    argument 'out' = '' is empty; name an output directory
    """
    if out is None or str(out).strip() == "":
        raise ValueError(
            f"argument 'out' = {'' if out is None else str(out)!r} is empty; name "
            "an output directory"
        )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"argument 'out' = '{out}' is an existing file, not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"argument 'out' = '{out}': cannot create it ({err.strerror})") from err
    if not os.access(out, os.W_OK | os.X_OK):
        raise ValueError(f"argument 'out' = '{out}' is not a writable directory")
    return out


def _fresh_name(folder: Path) -> Path:
    """``folder-2``, ``folder-3``, ...: the first that does not exist."""
    k = 2
    while folder.with_name(f"{folder.name}-{k}").exists():
        k += 1
    return folder.with_name(f"{folder.name}-{k}")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie does not). On Windows, where
    ``os.kill(pid, 0)`` would end the process, it is assumed alive (the message then names the
    lock file to delete by hand)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _describe_kind(marker: dict) -> str:
    kind = marker.get("kind", "?")
    catalogue = marker.get("catalogue")
    return f"'{kind}'" + (f" (catalogue {catalogue!r})" if catalogue else "")


class RecordStore:
    """Finished tasks of one run on disk: ``root/<key>.json`` (the key percent-encoded), and
    ``root/settings.json`` with the run's settings; the run's folder ``root.parent`` holds
    ``mastref-run.json`` (its kind and catalogue) and, while the store is open, the lock file
    ``mastref.lock`` (the writer's PID).

    A new run (``resume=False``) deletes the records of an earlier run in ``root``; a resumed
    run keeps them. Refused, with ``OutFolderError`` and nothing changed: a folder (or its parent,
    or a sub-folder) of another kind or catalogue; a resume of a folder that holds no run (no
    ``mastref-run.json``); a folder locked by a live process (a lock whose
    PID is not running is stale and taken over, with a note); a resume whose settings differ from
    those stored (the message names them and offers a new folder) or cannot be read. A record
    that cannot be read is moved to ``root/damaged/`` (never deleted), named on standard error,
    and counts as not finished, so that it is recomputed.

    Parameters
    ----------
    root : path
        The records directory (created).
    settings : dict
        What the results depend on (mode, data, seed), JSON-serialisable.
    resume : bool
        Keep and reuse the records already in ``root``.
    kind : str
        What writes the folder (``"verify"``, ``"experiment"``).
    catalogue : str, optional
        The catalogue of checks or experiments the records belong to (a folder of another named
        catalogue is refused; ``None`` on either side matches any).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from mastref.backend import RecordStore
    >>> root = Path(tempfile.mkdtemp()) / "records"
    >>> store = RecordStore(root, {"quick": True}, resume=False)
    >>> store.save("a", 1.5)
    >>> store.close()
    >>> RecordStore(root, {"quick": True}, resume=True).load("a")
    1.5
    """

    def __init__(
        self,
        root: Path,
        settings: Mapping,
        *,
        resume: bool,
        kind: str = "verify",
        catalogue: str | None = None,
    ):
        self.root = Path(root)
        self.folder = self.root.parent
        self.settings = dict(settings)
        self.marker = {"kind": kind, "catalogue": catalogue}
        self.damaged: list[tuple[Path, Path, str]] = []
        self._cache: dict[str, Any] = {}
        self._check_kind()
        if resume and not (self.folder / MARKER).is_file():
            raise OutFolderError(
                f"{self.folder} is not a mastref run to resume (no {MARKER}); start one there "
                f"with --out {self.folder}"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = self.folder / LOCK
        self._acquire()
        self._finalizer = weakref.finalize(self, _release, self._lock, self._token)
        try:
            self._check_settings(resume)
        except BaseException:
            self.close()
            raise
        save_record(self.folder / MARKER, self.marker)
        self.root.mkdir(parents=True, exist_ok=True)
        remove_partial(self.root)
        if not resume:
            for old_record in self.root.glob("*.json"):
                old_record.unlink()
        save_record(self.root / "settings.json", self.settings)

    # ---- the folder: kind, lock, settings ------------------------------------------------

    def _check_kind(self) -> None:
        """Refuse a folder, its parent or a sub-folder marked with another kind or catalogue."""
        mine = self.marker
        places = [self.folder, self.folder.parent]
        if self.folder.is_dir():
            places += sorted(p for p in self.folder.iterdir() if p.is_dir())
        for place in places:
            marker = _read_json(place / MARKER)
            if not isinstance(marker, dict):
                continue
            theirs = marker.get("catalogue")
            if marker.get("kind") != mine["kind"] or (
                place == self.folder
                and None not in (theirs, mine["catalogue"])
                and theirs != mine["catalogue"]
            ):
                where = "it" if place == self.folder else f"{place}"
                raise OutFolderError(
                    f"{self.folder} cannot hold a run of kind {_describe_kind(mine)}: {where} "
                    f"holds a run of kind {_describe_kind(marker)} (see {place / MARKER}); pass "
                    f"another output folder, e.g. --out {_fresh_name(self.folder)}"
                )

    def _acquire(self) -> None:
        """Create the lock file (exclusively); take over a stale one (its PID not running)."""
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "token": os.urandom(8).hex(),
        }
        self._token = me["token"]
        for _ in range(3):
            try:
                fd = os.open(self._lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = _read_json(self._lock)
                if not isinstance(holder, dict) or not isinstance(holder.get("pid"), int):
                    if time.time() - self._lock.stat().st_mtime < 2.0:  # being written
                        time.sleep(0.2)
                        continue
                    holder = {"pid": None, "host": me["host"], "started": "?"}
                pid, host = holder.get("pid"), holder.get("host")
                if host != me["host"]:
                    raise OutFolderError(
                        f"{self.folder} is locked by PID {pid} on host {host} (since "
                        f"{holder.get('started')}); if that run is over, delete {self._lock}, or "
                        f"pass another output folder, e.g. --out {_fresh_name(self.folder)}"
                    ) from None
                if pid is not None and pid != me["pid"] and _alive(pid):
                    raise OutFolderError(
                        f"{self.folder} is being written by another mastref run (PID {pid}, "
                        f"since {holder.get('started')}; lock {self._lock}, to delete if that "
                        f"process is not mastref); wait for it to finish, or pass another output "
                        f"folder, e.g. --out {_fresh_name(self.folder)}"
                    ) from None
                if pid != me["pid"]:
                    print(
                        f"mastref: {self._lock}: stale lock of PID {pid} (not running) taken over",
                        file=sys.stderr,
                    )
                self._lock.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            return
        raise OutFolderError(f"{self.folder}: cannot take the lock {self._lock}; try again")

    def _check_settings(self, resume: bool) -> None:
        stored = self.root / "settings.json"
        if not (resume and stored.is_file()):
            return
        try:
            old = load_record(stored)
            if not isinstance(old, dict):
                raise ValueError("not a JSON object")
        except Exception as err:
            raise OutFolderError(
                f"cannot resume {self.folder}: its settings file {stored} cannot be read "
                f"({type(err).__name__}: {_short(err)}), so its records cannot be matched to "
                f"this run; pass a new output folder, e.g. --out {_fresh_name(self.folder)}"
            ) from None
        changed = {k: (old.get(k), v) for k, v in self.settings.items() if old.get(k) != v}
        if changed:
            what = "; ".join(f"{k}: {a!r} there, {b!r} now" for k, (a, b) in changed.items())
            raise OutFolderError(
                f"cannot resume {self.folder}: it was written with other settings ({what}); "
                f"resume it with its own settings, or run these in a new output folder, e.g. "
                f"--out {_fresh_name(self.folder)}"
            )

    def close(self) -> None:
        """Release the lock (also done when the store is garbage-collected or at exit)."""
        self._finalizer()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- records ---------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        """``root/<key>.json``, the key percent-encoded (``/`` and the like)."""
        if not isinstance(key, str) or not key or key.startswith(".") or key == "settings":
            raise ValueError(f"record key {key!r} must be a non-empty name, not 'settings'")
        return self.root / f"{quote(key, safe='')}.json"

    def has(self, key: str) -> bool:
        """Whether task ``key`` has finished: its record is there and can be read (a damaged
        one is moved aside to ``root/damaged/`` and named on standard error)."""
        if key in self._cache:
            return True
        path = self._path(key)
        if not path.is_file():
            return False
        try:
            self._cache[key] = load_record(path)
        except Exception as err:
            self._set_aside(path, f"{type(err).__name__}: {_short(err)}")
            return False
        return True

    def _set_aside(self, path: Path, reason: str) -> None:
        damaged = self.root / "damaged"
        damaged.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        dest = damaged / f"{path.stem}.{stamp}.{os.getpid()}{path.suffix}"
        os.replace(path, dest)
        self.damaged.append((path, dest, reason))
        print(
            f"mastref: record {path} cannot be read ({reason}); moved to {dest}, recomputing it",
            file=sys.stderr,
        )

    def load(self, key: str):
        """The stored result of ``key``."""
        if key in self._cache or self.has(key):
            return self._cache.pop(key)
        raise FileNotFoundError(f"no readable record of {key!r} in {self.root}")

    def save(self, key: str, value) -> None:
        """Store the result of ``key`` (atomically)."""
        self._cache.pop(key, None)
        save_record(self._path(key), value)


def _short(err: BaseException, limit: int = 120) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _release(lock: Path, token: str) -> None:
    """Delete ``lock`` if it is still the one this store wrote (``token``)."""
    holder = _read_json(lock)
    if isinstance(holder, dict) and holder.get("token") == token:
        lock.unlink(missing_ok=True)
