"""Running the registry and reporting: ``report.md``, ``results.csv``, ``controls.csv`` and one
PNG per check, from the catalogue (``mastref.catalogue.registry``): this module sits above the
verifier (``mastref.verify``) and the catalogue, and is the one that runs them together.

Nothing finished is lost: each check's result is written to ``OUT/records/<check>.json`` and its
plot to ``OUT/<check>.png`` as soon as it completes (atomically), and ``results.csv`` and
``report.md`` are rebuilt from the records on disk after the first check, then at most every
``TABLE_INTERVAL`` seconds, and at the end; ``run(..., resume=True)``
(``mastref verify --resume OUT``) reads the finished checks back instead of running them again,
so a resumed run writes the same ``results.csv`` as an uninterrupted one. The checks (and the
negative controls) run through ``mastref.backend.map_tasks``: serial, joblib or Dask.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from . import backend as bk
from ._version import __version__
from .catalogue import catalogue, registry
from .verify.plot import save_check_figure
from .verify.result import FALSE_ALARM, RESOLUTION, CheckResult
from .verify.search import ControlResult, run_control

#: Least seconds between two rebuilds of ``results.csv`` and ``report.md`` during a run (after the
#: first check and at the end they are always written). Rebuilding after every check made the
#: whole ``mastref verify`` quadratic in its rows: 68 rebuilds of a 120,000-row ``results.csv``
#: took 68 of its 128 s (profiled at 0540fd8). The records are on disk after every check, so
#: ``--resume`` loses nothing to the interval.
TABLE_INTERVAL = 10.0

#: Columns of ``results.csv``: one row per recorded point of a check. ``verdict`` is the
#: point's own (``not-checked`` with a ``reason`` where there is no finite comparison);
#: ``check_verdict`` is the check's.
RESULT_COLUMNS = (
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
    "reason",
    "check_verdict",
)


@dataclass(frozen=True, kw_only=True, repr=False)
class VerifyRun:
    """What ``run`` did: the check results and (with ``controls=True``) the control results."""

    checks: list
    controls: list | None = None

    @property
    def failures(self) -> list[str]:
        """Checks ``violated``, ``weak`` or ``not-checked`` (a counterexample check fails
        unless it is ``violated``), and controls that did not come out violated."""
        kinds = {name: c.kind for name, c in catalogue(with_data=True).items()}
        bad = [
            r.name
            for r in self.checks
            if r.verdict == "not-checked"
            or (r.verdict in ("violated", "weak")) != (kinds.get(r.name) == "counterexample")
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


def select_checks(only: Sequence[str] | None, data=None) -> list[str]:
    """The check names to run, in catalogue order: all of them (``only=None``), or those named
    in ``only``; a clear error for an empty or unknown name, and for a check that needs
    ``data`` when none is given."""
    with_data = catalogue(with_data=True)
    available = [n for n, c in with_data.items() if data is not None or not c.needs_data]
    if only is None:
        return available
    if isinstance(only, str):
        raise TypeError(f"argument 'only' = {only!r} must be a list of check names")
    if not only or any(not isinstance(n, str) or not n.strip() for n in only):
        raise ValueError(
            f"argument 'only' = {list(only)!r} must name at least one check, none empty"
        )
    wanted = [n.strip() for n in only]
    needs = [n for n in wanted if n in with_data and n not in available]
    if needs:
        raise ValueError(
            f"check(s) {', '.join(needs)} need the a5a data: give data (--data PATH: the a5a "
            "file or a directory holding it)"
        )
    unknown = [n for n in wanted if n not in with_data]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; available: {', '.join(with_data)}")
    return [n for n in available if n in wanted]


def checks_table(with_data: bool = True) -> str:
    """The catalogue as a Markdown table: name, theorem, instance, method, kind, part, branch
    and proved ceiling.

    Examples
    --------
    >>> from mastref.report import checks_table
    >>> print(checks_table().splitlines()[0])
    | check | theorem | instance | method | kind | part | branch | ceiling |
    """
    lines = [
        "| check | theorem | instance | method | kind | part | branch | ceiling |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, check in catalogue(with_data=with_data).items():
        ceiling = check.ceiling.lemma if check.ceiling is not None else "-"
        lines.append(
            f"| {name} | {check.theorem} | {_md(check.description)} | {check.method} | "
            f"{check.kind} | {check.part or 'whole'} | {check.branch or '-'} | {ceiling} |"
        )
    return "\n".join(lines)


def run_check(name: str, *, quick: bool = False, data=None) -> CheckResult:
    """Run one named check, timed."""
    start = time.perf_counter()
    result = catalogue(with_data=data is not None)[name].run(quick, data)
    return result.replace(seconds=time.perf_counter() - start)


def _check_and_plot(name: str, quick: bool, data=None, out: Path | None = None) -> CheckResult:
    """``run_check``, and its PNG written to ``out`` where the check ran (``None``: the caller
    plots, e.g. when the workers do not share this file system)."""
    result = run_check(name, quick=quick, data=data)
    if out is not None:
        _write_plot(result, out)
    return result


def _controls_by_name() -> dict:
    return {c.name: c for e in registry().values() for c in e.controls}


def _control_task(name: str, search: bool) -> ControlResult:
    """Run the control ``name``; the instance is left out (``_with_instance`` rebuilds it), so
    that the result can be recorded as JSON."""
    control = _controls_by_name()[name]
    if control.killed_by and not search:
        return _control_by_check(control)
    result = run_control(control, search=search)
    return dataclasses.replace(result, instance=None)


def _control_by_check(control) -> ControlResult:
    """A control held against the catalogue check it names (``Control.killed_by``): the
    check's instance, horizon and judgement with the control's claim (``Check.against``);
    ``ratio`` is the largest measured/bound."""
    chk = {c.name: c for e in registry().values() for c in e.checks}[control.killed_by]
    r = chk.against(control.claim)
    tight = np.where(np.isfinite(r.tightness), r.tightness, -np.inf)
    return ControlResult(
        name=control.name,
        theorem=control.theorem,
        change=control.change,
        verdict="violated" if r.verdict == "violated" else "holds",
        ratio=r.max_tightness,
        ratio_extended=math.nan,
        t=int(r.steps[int(np.argmax(tight))]),
        instance=None,
        theta=None,
        method=f"check {control.killed_by}",
        seconds=r.seconds,
    )


def _with_instance(result: ControlResult) -> ControlResult:
    """``result`` with its instance rebuilt from the control (argued) or from ``theta``."""
    control = _controls_by_name()[result.name]
    if result.method == "argued counterexample":
        inst = control.instance()
    elif result.theta is not None:
        inst = control.family.build(np.asarray(result.theta, dtype=float))
    else:
        inst = None
    return dataclasses.replace(result, instance=inst)


def _write(text: str) -> None:
    from tqdm import tqdm

    tqdm.write(text)  # print, without breaking a progress bar


def run_controls(
    *,
    echo: Callable[[str], None] | None = None,
    search: bool = False,
    backend: str | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    client=None,
    store: bk.RecordStore | None = None,
    progress: bool | None = None,
) -> list:
    """Every negative control of the registry (``run_control``), with a line each, through
    ``map_tasks`` (the backend arguments as there; ``store``: record each finished control,
    read back those already recorded)."""
    echo = _write if echo is None else echo
    names = list(_controls_by_name())

    def finished(i: int, r: ControlResult) -> None:
        echo(f"[control {i + 1}/{len(names)}] {r.name}: {r.verdict} (ratio {r.ratio:.4g})")

    results = bk.map_tasks(
        partial(_control_task, search=search),
        names,
        backend=backend,
        n_jobs=jobs,
        scheduler=scheduler,
        client=client,
        store=store,
        keys=[f"control-{n}" for n in names],
        progress=progress,
        desc="controls",
        on_result=finished,
    )
    return [_with_instance(r) for r in results]


def _md(text: str) -> str:
    """``text`` as a Markdown table cell (``|`` escaped, as in ``||v||``)."""
    return str(text).replace("|", "\\|")


def _cell(x: float, reason: str) -> str:
    """``x`` to 4 digits, or the reason it is not a finite number."""
    return f"{x:.4g}" if np.isfinite(x) else f"- ({reason})"


def _gamma_cells(r: CheckResult) -> tuple[str, str]:
    """``(gamma, gamma / gamma_max)`` of a check, or the reason each is not one number."""
    if np.isfinite(r.gamma) and np.isfinite(r.gamma_max):
        return f"{r.gamma:.4g}", f"{r.gamma / r.gamma_max:.4g}"
    if np.isfinite(r.gamma) and r.gamma_max == math.inf:
        return f"{r.gamma:.4g}", "- (no step limit: the claim holds for every gamma > 0)"
    if "gamma" in r.xlabel:
        return "- (swept: the x-axis)", "- (swept: the x-axis)"
    if r.xlabel != "step t":
        return f"- (one per {r.xlabel})", _cell(r.gamma_ratio, f"one per {r.xlabel}")
    return "- (not recorded)", _cell(r.gamma_ratio, "not recorded")


def table(results: list[CheckResult]) -> str:
    """The checks as a Markdown table; a cell that is not a finite number says why."""
    checks = catalogue(with_data=True)
    lines = [
        "| check | kind | part | branch | instance | gamma | gamma/gamma_max | measured at T* "
        "| bound at T* | tightness (late) | bound decay | ceiling | floor | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ok = r.checked()
        gamma, ratio = _gamma_cells(r)
        if ok.any():
            last = np.flatnonzero(ok)[-1]  # last checked point
            measured = _cell(r.measured[last], "measured value not finite")
            bound = f"{r.bound[last]:.4g}"
        else:
            measured = bound = "- (no finite bound above the resolution: not checked)"
        late = _cell(r.late_tightness, "no checked point in the counted window")
        decay = _cell(
            r.bound_decay,
            "not a curve over steps" if r.xlabel != "step t" else "no checked point",
        )
        floor = "-" if r.floor is None else f"{r.floor:g}"
        chk = checks.get(r.name)
        kind = chk.kind if chk is not None else "user"
        branch = (chk.branch if chk is not None else "") or "-"
        ceiling = ceiling_cell(r, chk) if chk is not None else "-"
        lines.append(
            f"| {r.name} | {kind} | {r.part or 'whole'} | {branch} | {_md(r.instance)} | "
            f"{gamma} | {ratio} | {measured} | {bound} | {late} | {decay} | {ceiling} | "
            f"{floor} | {r.verdict} |"
        )
    return "\n".join(lines)


def proved_ceiling(r: CheckResult, check=None) -> float:
    """The proved ceiling on ``r``'s late tightness (``Check.ceiling`` of the catalogue check
    ``check``, looked up by ``r.name`` when ``None``); NaN where the check has none (a user's
    check included)."""
    check = check if check is not None else catalogue(with_data=True).get(r.name)
    if check is None or check.ceiling is None:
        return math.nan
    return float(check.ceiling(r))


def ceiling_cell(r: CheckResult, check=None) -> str:
    """The check's proved ceiling (``Check.ceiling``) as a table cell: ``c (lemma); t/c``, or
    ``-`` where the check has none."""
    check = check if check is not None else catalogue(with_data=True).get(r.name)
    if check is None or check.ceiling is None:
        return "-"
    c = proved_ceiling(r, check)
    if not np.isfinite(c) or c <= 0:
        return f"- ({check.ceiling.lemma}: no counted point)"
    return f"{c:.4g} ({check.ceiling.lemma}); tightness/ceiling {r.late_tightness / c:.3g}"


def counts(r: CheckResult) -> bool:
    """Whether a check's late tightness counts for the theorem table (the counting rule of the
    search families): the bound has fallen two decades where the tightness is counted
    (``bound_decay <= 0.01``), or sits within 5 % of its floor (the neighbourhood) at the last
    counted point; a check whose x-axis is not the step counts."""
    if r.xlabel != "step t":
        return True
    if r.bound_decay <= 0.01:
        return True
    nb = r.neighbourhood
    counted = r.late_mask() & r.checked()
    if not isinstance(nb, float) or not nb > 0 or not counted.any():
        return False
    return bool(r.bound[np.flatnonzero(counted)[-1]] <= 1.05 * nb)


def _status(best: float, ceilings: list[tuple[float, float, str, str]]) -> str:
    """A row's status: attained (>= 0.9), reached (>= 0.5), ceiling-limited (a counted check of
    the row within 0.9 of its proved ceiling and within 0.9 of the row's best tightness: a
    tight ceiling on a looser instance does not speak for the row), else open (saying which
    ceiling came nearest)."""
    if best >= 0.9:
        return "attained (>= 0.9)"
    if best >= 0.5:
        return "reached (>= 0.5)"
    met = [x for x in ceilings if x[0] >= 0.9 * x[1] and x[0] >= 0.9 * best]
    if met:
        t, c, lemma, name = max(met, key=lambda x: x[0] / x[1])
        return f"ceiling {c:.4g} (proved: {lemma}); {name} reaches {t / c:.3g} of it"
    if not ceilings:
        return "OPEN: below 0.5 and no proved ceiling"
    t, c, _, name = max(ceilings, key=lambda x: x[0] / x[1])
    return (
        f"OPEN: below 0.5; proved ceilings, but none met (best: {name} at {t / c:.3g} of its "
        f"ceiling {c:.4g}; 0.9 needed)"
    )


def theorem_table(results: list[CheckResult], controls: list[ControlResult] | None) -> str:
    """Per theorem, one row per ``(form, part, branch)``: the best late stress tightness among
    the checks that ``counts`` (the two-decade rule; a row where none does says so), the
    bound's decay where it is counted, the check and the instance that reach it, the row's
    status (attained, reached, or limited by a proved ceiling, ``Check.ceiling``), and every
    ceiling-limited check of the row as ``tightness = share of ceiling c (lemma)``; the
    theorem's first row also gives its relation (where it is not a plain upper bound), promise
    and controls killed. A row listed in ``TheoremEntry.terms`` with no stress check says so.

    Examples
    --------
    >>> from mastref.report import theorem_table
    >>> theorem_table([], None).splitlines()[0].split(" | ")[:5]
    ['| theorem', 'form', 'part', 'branch', 'best tightness (late)']
    """
    by_name = {r.name: r for r in results}
    lines = [
        "| theorem | form | part | branch | best tightness (late) | bound decay | check | instance "
        "| status | ceiling-limited checks | promised | controls killed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in registry().items():
        rows: dict[tuple[str, str, str], list] = {k: [] for k in entry.terms}
        for c in entry.checks:
            if c.kind == "stress" and c.name in by_name:
                rows.setdefault((c.theorem, c.part or "whole", c.branch), []).append(c)
        killed = "-"
        if controls is not None:
            mine = [c for c in controls if c.name in {k.name for k in entry.controls}]
            counted = [c for c in mine if c.verdict != "true (not counted)"]
            killed = f"{sum(c.verdict == 'violated' for c in counted)}/{len(counted)}"
        promised = f"{entry.min_tightness:g}" if entry.min_tightness > 0 else "-"
        first = f"{promised} | {killed}"
        label = name if entry.relation == "upper bound" else f"{name} ({entry.relation})"
        if not rows:
            kinds = sorted({c.kind for c in entry.checks})
            what = (
                f"- (no stress check: its checks are {' and '.join(kinds)}, nothing to attain)"
                if entry.checks and "stress" not in kinds
                else "- (no stress check run)"
            )
            lines.append(f"| {label} | - | - | - | {what} | - | - | - | - | - | {first} |")
        for (form, part, branch), checks in rows.items():
            measured = [(by_name[c.name].late_tightness, c) for c in checks]
            measured = [(t, c) for t, c in measured if np.isfinite(t)]
            counted = [(t, c) for t, c in measured if counts(by_name[c.name])]
            if not measured:
                cells = "- (no stress check run) | - | - | - | OPEN: no check | -"
            else:
                best, chk = max(counted or measured, key=lambda x: x[0])
                r = by_name[chk.name]
                ceilings = [
                    (t, c.ceiling(by_name[c.name]), c.ceiling.lemma, c.name)
                    for t, c in counted  # a ceiling speaks for a row only where its check counts
                    if c.ceiling is not None
                ]
                ceilings = [x for x in ceilings if np.isfinite(x[1]) and x[1] > 0]
                capped = "; ".join(
                    f"{n}: {t:.4g} = {t / c:.3g} of ceiling {c:.4g} ({lemma})"
                    for t, c, lemma, n in ceilings
                )
                decay = _cell(r.bound_decay, "not a curve over steps")
                status = _status(best, ceilings)
                if not counted:
                    status = (
                        f"EARLY ONLY: the bound falls to {r.bound_decay:.3g} of its start and is "
                        f"not at its floor (two-decade rule not met); {status}"
                    )
                cells = (
                    f"{best:.4g} | {decay} | {chk.name} | {_md(r.instance)} | {status} | "
                    f"{capped or '-'}"
                )
            lines.append(f"| {label} | {form} | {part} | {branch or '-'} | {cells} | {first} |")
            first, label = " | ", name
    return "\n".join(lines)


def controls_table(controls: list[ControlResult]) -> str:
    """The negative controls as a Markdown table."""
    lines = ["| control | change | verdict | ratio | at t | how |", "|---|---|---|---|---|---|"]
    for c in controls:
        ratio = _cell(c.ratio, "proved true, not measured")
        lines.append(f"| {c.name} | {_md(c.change)} | {c.verdict} | {ratio} | {c.t} | {c.method} |")
    return "\n".join(lines)


def results_csv(results: list[CheckResult]) -> str:
    """``results.csv``: one row per recorded point (``RESULT_COLUMNS``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(RESULT_COLUMNS)
    for r in results:
        verdicts, reasons = r.point_verdicts()
        tight = r.tightness
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
                    tight[i],
                    verdicts[i],
                    reasons[i],
                    r.verdict,
                ]
            )
    return buf.getvalue()


def controls_csv(controls: list[ControlResult]) -> str:
    """``controls.csv``: one row per negative control."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["control", "theorem", "change", "verdict", "ratio", "t", "method"])
    for c in controls:
        w.writerow([c.name, c.theorem, c.change, c.verdict, c.ratio, c.t, c.method])
    return buf.getvalue()


def report_md(results: list[CheckResult], quick: bool, controls: list | None = None) -> str:
    """``report.md``: the theorem table, the check table, the controls, and one section per
    check with its plot."""
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
        "One row per form, part and branch of each statement. A `-` cell: nothing applies (no "
        "branch, no ceiling-limited check, controls not run with `--controls`). The last two "
        "columns belong to the theorem, not the row: they are given on its first row and left "
        "blank on the others.",
        "",
        "## Checks",
        "",
        table(results),
        "",
        "Tightness (late) is the largest measured/bound over the last half of the horizon, on "
        f"the points whose bound lies above the numerical resolution ({RESOLUTION:g} times the "
        "initial value) and, for a check of one part, where that part dominates the bound. A "
        "stress check below its floor is `weak`; a check with no finite bound above the "
        "resolution is `not-checked`. Bound decay is the bound at the last counted point over "
        "its first value: near 1, the bound has hardly moved and a tightness near 1 says "
        "little. T* is the last checked point. A cell that is not a finite number says why.",
        "",
    ]
    if controls is not None:
        parts += ["## Negative controls", "", controls_table(controls), ""]
    checks = catalogue(with_data=True)
    for r in results:
        parts += [
            f"## {r.name}",
            "",
            f"{r.theorem}; {r.instance}; {r.method}; {r.seconds:.1f} s.",
            "",
        ]
        parts += [f"- {n}" for n in r.notes] + ["", f"![{r.name}]({r.name}.png)", ""]
        parts += [conclusion(r, checks.get(r.name)), ""]
    return "\n".join(parts)


def conclusion(r: CheckResult, check=None) -> str:
    """The sentence a check's figure proves, from its result: the verdict, the largest ratio
    where the bound is broken, else the late tightness against the promised floor and the
    proved ceiling; a counterexample check says whether the claim fell as expected.

    Examples
    --------
    >>> import numpy as np
    >>> from mastref.verify import CheckResult
    >>> m = np.array([1.0, 0.5, 0.45])
    >>> r = CheckResult(name="x", theorem="Theorem 1", instance="i", quantity="dist2",
    ...     method="exact", gamma_ratio=1.0, steps=np.arange(3), measured=m, lower=m, upper=m,
    ...     bound=np.array([1.0, 1.0, 0.5]), verdict="holds", floor=0.8)
    >>> print(conclusion(r)[:80])
    **Conclusion.** The measurement (exact) stays at or below the bound of Theorem 1
    >>> print(conclusion(r)[80:])
     at every checked point, and reaches 0.9 of it late (promised: at least 0.8).
    """
    kind = check.kind if check is not None else "user"
    x = r._x_name()
    if r.verdict == "violated":
        tight = np.where(np.isfinite(r.tightness), r.tightness, -np.inf)
        at = int(np.argmax(tight))
        text = (
            f"The measurement ({r.method}) breaks the bound of {r.theorem}: measured/bound "
            f"reaches {tight[at]:.4g} at {x} = {r.steps[at]:g}, so the claim is false on this "
            "instance"
        )
        text += " (a stored counterexample, as expected)." if kind == "counterexample" else "."
    elif r.verdict == "not-checked":
        text = (
            f"Nothing is compared: no point has a finite bound above the numerical resolution "
            f"({r.resolution:g})."
        )
    else:
        late = r.late_tightness
        text = (
            f"The measurement ({r.method}) stays at or below the bound of {r.theorem} at every "
            f"checked point, and reaches {late:.3g} of it "
            + ("late" if r.xlabel == "step t" else f"at its closest ({r.xlabel})")
        )
        if r.floor is not None:
            text += (
                f" (promised: at least {r.floor:g})"
                if r.verdict != "weak"
                else f", below the promised {r.floor:g}: the check has lost its power"
            )
        ceiling = math.nan if check is None else proved_ceiling(r, check)
        if np.isfinite(ceiling) and ceiling > 0:
            text += (
                f"; no instance with these constants can make the statement tighter than "
                f"{ceiling:.4g} at these steps "
                f"({check.ceiling.lemma}), so this is {late / ceiling:.3g} of what it allows"
            )
        text += "."
        if kind == "counterexample":
            text += " This was a stored counterexample: it should have been violated."
    return f"**Conclusion.** {text}"


def _write_text(path: Path, text: str) -> None:
    bk.write_atomic(path, lambda tmp: tmp.write_text(text, newline=""))


def _write_plot(result: CheckResult, out: Path) -> None:
    """The check's PNG, with its proved ceiling drawn where it has one (``proved_ceiling``)."""
    ceiling = proved_ceiling(result)
    bk.write_atomic(
        out / f"{result.name}.png", lambda tmp: save_check_figure(result, tmp, ceiling=ceiling)
    )


def _write_tables(
    results: list[CheckResult], out: Path, quick: bool, controls: list | None
) -> None:
    _write_text(out / "results.csv", results_csv(results))
    if controls is not None:
        _write_text(out / "controls.csv", controls_csv(controls))
    _write_text(out / "report.md", report_md(results, quick, controls))


def write_outputs(
    results: list[CheckResult], out: Path, *, quick: bool = False, controls: list | None = None
) -> None:
    """``results.csv``, ``report.md``, the PNGs (and ``controls.csv``) into ``out``, each file
    written atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for r in results:
        _write_plot(r, out)
    _write_tables(results, out, quick, controls)


def check_out(out) -> Path:
    """``out`` as a directory path (created): ``mastref.backend.check_out``."""
    return bk.check_out(out)


def check_data(data) -> Path | None:
    """``data`` as a path to the a5a file (or a directory holding ``a5a``), or ``None``."""
    if data is None:
        return None
    path = Path(data)
    if not (path.is_file() or (path / "a5a").is_file()):
        raise ValueError(
            f"argument 'data' = '{data}' is neither the a5a file nor a directory holding one"
        )
    return path


def run(
    *,
    quick: bool = False,
    only: list[str] | None = None,
    out="mastref-verify",
    data=None,
    jobs: int = 1,
    echo: Callable[[str], None] | None = None,
    controls: bool = False,
    backend: str | None = None,
    scheduler: str | None = None,
    client=None,
    resume: bool = False,
    progress: bool | None = None,
) -> VerifyRun:
    """Run the checks (or those named in ``only``) and, with ``controls``, the negative controls;
    print a line per check and the tables, write the outputs to ``out`` as each check finishes.

    Parameters
    ----------
    quick : bool
        Short horizons, few runs.
    only : list of str, optional
        The checks to run (default: every check; the a5a checks need ``data``).
    out : path
        Output directory (``report.md``, ``results.csv``, PNGs, ``records/``).
    data : path, optional
        The a5a file, or a directory holding it (adds the a5a checks).
    jobs : int
        Workers (joblib processes or local Dask workers); ``-1``: one per core.
    echo : callable, optional
        Where the lines go (default: standard output, around the progress bar).
    controls : bool
        Also run the negative controls.
    backend, scheduler, client
        As in ``mastref.backend.map_tasks`` (default joblib; Dask with a scheduler address or
        a client).
    resume : bool
        Keep the checks already recorded in ``out`` (by a run with the same mode and data) and
        run only the others.
    progress : bool or None
        Progress bar (``None``: only on a terminal).

    Returns
    -------
    VerifyRun
        The results as recorded on disk, in catalogue order.
    """
    check_data(data)
    names = select_checks(only, data)
    jobs = bk.check_jobs(jobs)
    backend = bk.resolve_backend(backend, scheduler, client)
    out = check_out(out)
    echo = _write if echo is None else echo

    settings = {
        "quick": bool(quick),
        "data": None if data is None else str(Path(data).resolve()),
        "version": __version__,
    }
    store = bk.RecordStore(out / "records", settings, resume=resume)
    bk.remove_partial(out)
    if resume:
        echo(f"resuming {out}: {sum(store.has(n) for n in names)} of {len(names)} checks on disk")

    def on_disk() -> list[CheckResult]:
        return [store.load(n) for n in names if store.has(n)]

    count = [sum(store.has(n) for n in names)]
    written = [-math.inf]  # when the tables were last rebuilt (time.monotonic)

    # workers on this machine (joblib, a local Dask cluster started here) write the plots;
    # the workers of a scheduler or of a client passed in may not share this file system
    local = backend != "dask" or (client is None and scheduler is None)

    def finished(i: int, r: CheckResult) -> None:
        count[0] += 1
        if not local:
            _write_plot(r, out)
        if time.monotonic() - written[0] >= TABLE_INTERVAL:
            _write_tables(on_disk(), out, quick, None)
            written[0] = time.monotonic()
        echo(f"[{count[0]}/{len(names)}] {r.name}: {r.verdict} ({r.seconds:.1f} s)")

    if backend == "dask" and client is None:  # one cluster for the checks and the controls
        session = bk.dask_client(scheduler, bk.cap_jobs(jobs, len(names))[0])
    else:
        session = nullcontext(client)
    with session as client:
        where = {"backend": backend, "client": client, "progress": progress}
        bk.map_tasks(
            partial(_check_and_plot, quick=quick, data=data, out=out if local else None),
            names,
            n_jobs=jobs,
            store=store,
            keys=names,
            desc="verify",
            on_result=finished,
            **where,
        )
        control_results = (
            run_controls(echo=echo, jobs=jobs, store=store, **where) if controls else None
        )
    results = on_disk()
    for r in results:  # a plot lost to an interruption between its record and its PNG
        if not (out / f"{r.name}.png").is_file():
            _write_plot(r, out)
    _write_tables(results, out, quick, control_results)
    echo("")
    echo(theorem_table(results, control_results))
    echo("")
    echo(table(results))
    if control_results is not None:
        echo("")
        echo(controls_table(control_results))
    echo(f"\nreport: {out / 'report.md'}")
    return VerifyRun(checks=results, controls=control_results)
