"""Running the registry and reporting: ``report.md``, ``results.csv``, ``controls.csv`` and one
PNG per check. This is the only part of ``mastref.verify`` that knows the theorems (through
``mastref.theorems.registry``)."""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..theorems import registry
from .plot import plot
from .result import FALSE_ALARM, RESOLUTION, CheckResult
from .search import ControlResult, run_control


@dataclass(frozen=True, kw_only=True, repr=False)
class VerifyRun:
    """What ``run`` did: the check results and (with ``controls=True``) the control results."""

    checks: list
    controls: list | None = None

    @property
    def failures(self) -> list[str]:
        """Checks ``violated`` or ``weak``, and controls that did not come out violated."""
        kinds = {name: c.kind for name, c in catalogue(with_data=True).items()}
        bad = [
            r.name
            for r in self.checks
            if (r.verdict in ("violated", "weak")) != (kinds.get(r.name) == "counterexample")
        ]
        if self.controls is not None:
            expected = {c.name for e in registry().values() for c in e.controls if c.unresolved}
            bad += [
                c.name
                for c in self.controls
                if c.verdict not in ("violated", "true (not counted)") and c.name not in expected
            ]
        return bad

    def __repr__(self) -> str:
        counts: dict[str, int] = {}
        for r in self.checks:
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
        text = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        if self.controls is not None:
            killed = sum(c.verdict == "violated" for c in self.controls)
            text += f"; controls killed {killed}/{len(self.controls)}"
        return f"VerifyRun({len(self.checks)} checks: {text})"


def catalogue(with_data: bool = False) -> dict:
    """Check name -> ``Check`` of every theorem in the registry (a5a checks with data only)."""
    out = {}
    for entry in registry().values():
        for check in entry.checks:
            if with_data or not check.needs_data:
                out[check.name] = check
    return out


def run_check(name: str, quick: bool, data=None) -> CheckResult:
    """Run one named check, timed."""
    start = time.perf_counter()
    result = catalogue(with_data=data is not None)[name].run(quick, data)
    return result.replace(seconds=time.perf_counter() - start)


def run_controls(echo: Callable[[str], None] = print, search: bool = False) -> list:
    """Every negative control of the registry (``run_control``), with a line each."""
    results = []
    controls = [c for e in registry().values() for c in e.controls]
    for i, control in enumerate(controls, start=1):
        r = run_control(control, search=search)
        results.append(r)
        echo(f"[control {i}/{len(controls)}] {r.name}: {r.verdict} (ratio {r.ratio:.4g})")
    return results


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.4g}"


def table(results: list[CheckResult]) -> str:
    """The checks as a Markdown table."""
    kinds = {name: c.kind for name, c in catalogue(with_data=True).items()}
    lines = [
        "| check | kind | part | instance | gamma/gamma_max | measured at T* | bound at T* "
        "| tightness (late) | bound decay | floor | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = r.checked()
        last = np.flatnonzero(ok)[-1] if ok.any() else -1  # last checked point
        floor = "-" if r.floor is None else f"{r.floor:g}"
        lines.append(
            f"| {r.name} | {kinds.get(r.name, 'user')} | {r.part or 'whole'} | {r.instance} | "
            f"{_fmt(r.gamma_ratio)} | {_fmt(r.measured[last])} | {_fmt(r.bound[last])} | "
            f"{_fmt(r.late_tightness)} | {_fmt(r.bound_decay)} | {floor} | {r.verdict} |"
        )
    return "\n".join(lines)


def theorem_table(results: list[CheckResult], controls: list[ControlResult] | None) -> str:
    """Per theorem: its best stress tightness against its promise, per part, and its controls."""
    by_name = {r.name: r for r in results}
    lines = [
        "| theorem | relation | best tightness (late) | promised | per part | controls killed |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in registry().items():
        stress = [by_name[c.name] for c in entry.checks if c.kind == "stress" and c.name in by_name]
        best = max((r.late_tightness for r in stress), default=math.nan)
        parts: dict[str, float] = {}
        for r in stress:
            key = r.part or "whole"
            parts[key] = max(parts.get(key, -math.inf), r.late_tightness)
        per_part = ", ".join(f"{k} {_fmt(v)}" for k, v in parts.items()) or "-"
        killed = "-"
        if controls is not None:
            mine = [c for c in controls if c.name in {k.name for k in entry.controls}]
            counted = [c for c in mine if c.verdict != "true (not counted)"]
            killed = f"{sum(c.verdict == 'violated' for c in counted)}/{len(counted)}"
        lines.append(
            f"| {name} | {entry.relation} | {_fmt(best)} | {entry.min_tightness:g} | "
            f"{per_part} | {killed} |"
        )
    return "\n".join(lines)


def controls_table(controls: list[ControlResult]) -> str:
    """The negative controls as a Markdown table."""
    lines = ["| control | change | verdict | ratio | at t | how |", "|---|---|---|---|---|---|"]
    for c in controls:
        lines.append(
            f"| {c.name} | {c.change} | {c.verdict} | {_fmt(c.ratio)} | {c.step} | {c.method} |"
        )
    return "\n".join(lines)


def write_outputs(
    results: list[CheckResult], out: Path, quick: bool, controls: list | None = None
) -> None:
    """``results.csv``, ``report.md``, the PNGs (and ``controls.csv``) into ``out``."""
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
        "## Theorems",
        "",
        theorem_table(results, controls),
        "",
        "## Checks",
        "",
        table(results),
        "",
        "Tightness (late) is the largest measured/bound over the last half of the horizon, on "
        f"the points whose bound lies above the numerical resolution ({RESOLUTION:g} times the "
        "initial value) and, for a check of one part, where that part dominates the bound. A "
        "stress check below its floor is `weak`. Bound decay is the bound at the last counted "
        "point over its first value: near 1, the bound has hardly moved and a tightness near 1 "
        "says little. T* is the last checked point.",
        "",
    ]
    if controls is not None:
        with (out / "controls.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["control", "theorem", "change", "verdict", "ratio", "step", "method"])
            for c in controls:
                w.writerow([c.name, c.theorem, c.change, c.verdict, c.ratio, c.step, c.method])
        parts += ["## Negative controls", "", controls_table(controls), ""]
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
    controls: bool = False,
) -> VerifyRun:
    """Run the checks (or those named in ``only``) and, with ``controls``, the negative controls;
    print progress and the tables, write the outputs to ``out``."""
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
    control_results = run_controls(echo) if controls else None
    write_outputs(results, Path(out), quick, control_results)
    echo("")
    echo(theorem_table(results, control_results))
    echo("")
    echo(table(results))
    if control_results is not None:
        echo("")
        echo(controls_table(control_results))
    echo(f"\nreport: {Path(out) / 'report.md'}")
    return VerifyRun(checks=results, controls=control_results)
