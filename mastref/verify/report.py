"""Running the catalogue and reporting: ``report.md``, ``results.csv`` and one PNG per check."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .catalogue import catalogue
from .plot import plot
from .result import FALSE_ALARM, RESOLUTION, CheckResult


def run_check(name: str, quick: bool, data=None) -> CheckResult:
    """Run one named check of the catalogue, timed."""
    start = time.perf_counter()
    result = catalogue(with_data=data is not None)[name](quick, data)
    return result.replace(seconds=time.perf_counter() - start)


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.4g}"


def table(results: list[CheckResult]) -> str:
    """The final Markdown table."""
    lines = [
        "| check | instance | gamma/gamma_max | measured at T* | bound at T* | max tightness "
        "| verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = r.checked()
        last = np.flatnonzero(ok)[-1] if ok.any() else -1  # last checked point
        lines.append(
            f"| {r.name} | {r.instance} | {_fmt(r.gamma_ratio)} | {_fmt(r.measured[last])} | "
            f"{_fmt(r.bound[last])} | {_fmt(r.max_tightness)} | {r.verdict} |"
        )
    return "\n".join(lines)


def write_outputs(results: list[CheckResult], out: Path, quick: bool) -> None:
    """``results.csv``, ``report.md`` and the PNGs of ``results`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "check",
                "theorem",
                "quantity",
                "method",
                "x",
                "measured",
                "lower",
                "upper",
                "bound",
                "tightness",
                "verdict",
            ]
        )
        for r in results:
            for i in range(r.steps.size):
                w.writerow(
                    [
                        r.name,
                        r.theorem,
                        r.quantity,
                        r.method,
                        r.steps[i],
                        r.measured[i],
                        r.lower[i],
                        r.upper[i],
                        r.bound[i],
                        r.tightness[i],
                        r.verdict,
                    ]
                )
    parts = [
        "# mastref verify report",
        "",
        f"Mode: {'quick' if quick else 'full'}. Monte Carlo false-alarm rate per check: "
        f"{FALSE_ALARM:g} (one-sided normal bounds, Bonferroni over recorded steps).",
        "",
        table(results),
        "",
        "T* is the last recorded point whose bound lies above the numerical resolution "
        f"({RESOLUTION:g} times the initial value); max tightness is over t >= 1.",
        "",
    ]
    for r in results:
        plot(r, out / f"{r.name}.png")
        parts += [
            f"## {r.name}",
            "",
            f"{r.theorem}; {r.instance}; {r.method}; {r.seconds:.1f} s.",
            "",
        ]
        parts += [f"- {n}" for n in r.notes] + ["", f"![{r.name}]({r.name}.png)", ""]
    (out / "report.md").write_text("\n".join(parts))


def run(
    quick: bool = False,
    only: list[str] | None = None,
    out="mastref-verify",
    data=None,
    jobs: int = 1,
    echo: Callable[[str], None] = print,
) -> list[CheckResult]:
    """Run the catalogue (or the checks named in ``only``), print progress and the table, write
    the outputs to ``out``; returns the results."""
    names = list(catalogue(with_data=data is not None))
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"unknown check(s) {unknown}; available: {', '.join(names)}")
        names = [n for n in names if n in only]
    results: list[CheckResult] = []
    if jobs == 1:
        stream = (run_check(n, quick, data) for n in names)
    else:
        from joblib import Parallel, delayed

        stream = Parallel(n_jobs=jobs, return_as="generator")(
            delayed(run_check)(n, quick, data) for n in names
        )
    for i, r in enumerate(stream, start=1):
        results.append(r)
        echo(f"[{i}/{len(names)}] {r.name}: {r.verdict} ({r.seconds:.1f} s)")
    write_outputs(results, Path(out), quick)
    echo("")
    echo(table(results))
    echo(f"\nreport: {Path(out) / 'report.md'}")
    return results
