"""Wall time of one sweep on each backend: serial, joblib (2 processes), Dask (LocalCluster, 2
worker processes), and that all three write the same bytes.

Run: ``python verification/backend_timings.py [--full] [--data DIR]`` (needs the dask extra).
The sweeps are ``mastref verify --quick`` (``--full``: the full catalogue) and ``mastref
experiment stepsize --quick`` (33 configurations); times include starting the workers (joblib's
processes, the Dask cluster), which is what a user waits for. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from functools import partial
from pathlib import Path

import mastref.experiments as ex
import mastref.verify as mv
from mastref.backend import dask_client


def _timed(sweep, out: Path, **kw) -> float:
    start = time.perf_counter()
    sweep(out, **kw)
    return time.perf_counter() - start


def _on_dask(sweep, out: Path) -> None:
    with dask_client(n_workers=2) as client:  # started inside the timing: part of the wait
        sweep(out, client=client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full verify catalogue")
    parser.add_argument("--data", help="a5a directory for the experiment (default: synthetic)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mastref-backends-"))
    quiet = {"echo": lambda line: None, "progress": False}
    sweeps = {
        f"mastref verify{'' if args.full else ' --quick'}": (
            lambda out, **kw: mv.run(quick=not args.full, out=out, **quiet, **kw),
            "results.csv",
        ),
        "mastref experiment stepsize --quick": (
            lambda out, **kw: ex.run_stepsize(args.data, out, quick=True, progress=False, **kw),
            "stepsize/stepsize.csv",
        ),
    }
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f} at start"
    )
    print()
    print("| sweep | serial | joblib, 2 processes | Dask LocalCluster, 2 workers | same bytes |")
    print("|---|---|---|---|---|")
    for name, (sweep, output) in sweeps.items():
        tag = name.split()[1]
        times = {
            "serial": _timed(sweep, root / f"{tag}-serial", backend="serial"),
            "joblib": _timed(sweep, root / f"{tag}-joblib", backend="joblib", jobs=2),
            "dask": _timed(partial(_on_dask, sweep), root / f"{tag}-dask"),
        }
        same = len({(root / f"{tag}-{b}" / output).read_bytes() for b in times}) == 1
        print(
            f"| `{name}` | {times['serial']:.1f} s | {times['joblib']:.1f} s | "
            f"{times['dask']:.1f} s | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
