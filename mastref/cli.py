"""Command line interface: ``mastref verify``, ``worst``, ``experiment``, ``checks`` and ``info``.

Every argument is validated before any work starts; an error is one line on standard error
(``mastref verify: error: ...``) with a non-zero exit status (2: a bad argument, 1: a failure
while running, 130: interrupted), and a traceback only with ``--debug``. Results finished
before a failure or an interruption stay on disk (``--resume`` picks them up).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from . import backend as bk
from . import deep
from ._version import __version__
from .backend import OutFolderError, TaskFailed, write_atomic
from .catalogue import registry
from .experiments import EXPERIMENTS
from .report import check_data, check_out, checks_table, run, select_checks
from .verify import worst_case
from .verify.instances import claim_at
from .verify.search import MAX_BUDGET, check_window

#: Exit status of a bad argument, a failure while running, and an interruption.
USAGE, FAILURE, INTERRUPTED = 2, 1, 130


class UsageError(ValueError):
    """A command-line argument that cannot be used (reported with exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """``argparse`` with one-line errors."""

    def error(self, message: str):
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer")
    return value


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer or -1 (all cores)")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a non-negative integer")
    return value


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not any(names) or not all(names):
        raise argparse.ArgumentTypeError(
            f"{text!r} must be check names separated by commas, none empty"
        )
    return names


def _budget(text: str) -> int:
    value = _positive_int(text)
    if not 4 <= value <= MAX_BUDGET:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be from 4 to {MAX_BUDGET} (objective evaluations)"
        )
    return value


def _window(text: str) -> str:
    try:
        return check_window(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).replace("argument 'window' = ", "")) from None


def _scheduler(text: str) -> str:
    if "://" not in text:
        raise argparse.ArgumentTypeError(f"{text!r} must be an address like tcp://host:8786")
    return text


def _out(path: str) -> Path:
    """``path`` as an output directory (created), or a ``UsageError``."""
    try:
        return check_out(path)
    except ValueError as err:
        raise UsageError(str(err).replace("argument 'out'", "argument --out")) from None


def _echo(args: argparse.Namespace):
    """Per-item lines: printed (around a progress bar), or nothing with ``--quiet``."""
    if args.quiet:
        return lambda line: None
    from tqdm import tqdm

    return tqdm.write


def _progress(args: argparse.Namespace) -> bool | None:
    return False if args.quiet else None


def _client(args: argparse.Namespace):
    """A context giving the Dask client (``--backend dask`` or ``--scheduler``), else ``None``;
    connecting (or starting the local cluster) before any work."""
    if args.scheduler is not None and args.backend not in (None, "dask"):
        raise UsageError(f"--scheduler runs on Dask; it cannot go with --backend {args.backend}")
    if bk.resolve_backend(args.backend, args.scheduler) != "dask":
        return nullcontext(None)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(bk.DASK_HINT) from None
    return bk.dask_client(args.scheduler, args.jobs)


def _same_run(args: argparse.Namespace) -> str:
    """The options a resumed run must repeat (mode, data, selection)."""
    flags = " --quick" if args.quick else ""
    if args.data is not None:
        flags += f" --data {args.data}"
    if getattr(args, "only", None):
        flags += f" --only {','.join(args.only)}"
    if getattr(args, "controls", False):
        flags += " --controls"
    if getattr(args, "seed", 0):
        flags += f" --seed {args.seed}"
    return flags


def _info(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("numpy", "numba", "scipy", "cvxpy", "matplotlib", "tqdm", "dask", "pepit"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} not installed")
    print(f"mastref {__version__} ({', '.join(parts)})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    if args.resume is not None:
        if args.out is not None and Path(args.out) != Path(args.resume):
            raise UsageError(f"--out {args.out} and --resume {args.resume} name two directories")
        if not Path(args.resume).is_dir():
            raise UsageError(f"argument --resume: {args.resume} is not a directory")
        args.out = args.resume
    try:
        check_data(args.data)
        select_checks(args.only, args.data)
    except ValueError as err:
        raise UsageError(str(err).replace("argument 'data'", "argument --data")) from None
    out = _out("mastref-verify" if args.out is None else args.out)
    with _client(args) as client:
        again = f"mastref verify --resume {out}{_same_run(args)}"
        args.hint = f"finished checks are in {out}; continue with: {again}"
        outcome = run(
            quick=args.quick,
            only=args.only,
            out=out,
            data=args.data,
            jobs=args.jobs,
            controls=args.controls,
            client=client,
            backend="dask" if client is not None else args.backend,
            resume=args.resume is not None,
            progress=_progress(args),
            echo=_echo(args),
        )
    if outcome.failures:
        print(
            "FAILED (violated, weak, not-checked, or a control that held): "
            + ", ".join(outcome.failures),
            file=sys.stderr,
        )
        return FAILURE
    return 0


def _user_claim(spec: str):
    """The callable named by ``module:function`` (a user's claim), or a ``UsageError``."""
    import importlib

    module, _, name = spec.partition(":")
    if not module or not name:
        raise UsageError(f"argument '--claim' = {spec!r} must be 'module:function'")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # a module in the working directory, as python -m
    try:
        claim = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as err:
        raise UsageError(f"argument '--claim' = {spec!r}: {err}") from err
    if not callable(claim):
        raise UsageError(f"argument '--claim' = {spec!r} is not callable")
    return claim


def _worst(args: argparse.Namespace) -> int:
    entries = registry()
    if args.name not in entries or entries[args.name].search is None:
        names = [n for n, e in entries.items() if e.search is not None]
        raise UsageError(f"unknown theorem {args.name!r}; choose from {', '.join(names)}")
    claim, family, n_steps, window = entries[args.name].search()
    if args.claim:
        claim = _user_claim(args.claim)
        _probe_claim(claim, family, n_steps, args.claim)
    window = args.window or window
    n_steps = args.steps or n_steps
    if window.startswith("late:"):
        _check_part(claim, family, n_steps, window[5:])
    out = _out(args.out)
    budget = args.budget or (200 if args.quick else 2000)
    found = worst_case(
        claim,
        family,
        n_steps=n_steps,
        budget=budget,
        rng=args.seed,
        window=window,
        progress=_progress(args),
        seeds=family.landmarks() if args.seeded else None,
    )
    print(found)
    if found.instance is None:  # nothing was tested: neither a verdict nor a pass
        print(
            "mastref worst: the claim applied to no instance of the family, so nothing was "
            "tested (the reasons are above)",
            file=sys.stderr,
        )
        return FAILURE
    print(found.instance.describe())
    record = {
        "claim": found.claim,
        "verdict": found.verdict,
        "ratio": found.ratio,
        "t": found.t,
        "evaluations": found.evaluations,
        "instance": found.instance.describe(),
    }
    data = out / f"worst-{args.name}.json"
    write_atomic(data, lambda tmp: tmp.write_text(json.dumps(record, indent=1)))
    path = out / f"worst-{args.name}.png"
    write_atomic(path, found.plot)
    print(f"instance: {data}\nplot: {path}")
    return FAILURE if found.verdict == "violated" else 0


def _probe_claim(claim, family, n_steps: int, spec: str) -> None:
    """A ``UsageError`` (exit status 2) when a user's claim cannot take a theorem's call or
    returns no ``Guarantee`` on the family's central instance (``call_claim``'s checks); a
    claim that does not apply there is left to the search, which reports it."""
    centre = np.array(family.bounds, dtype=float).mean(axis=1)
    try:
        claim_at(claim, family.build(centre), n_steps)
    except TypeError as err:
        raise UsageError(f"argument '--claim' = {spec!r}: {err}") from None
    except ValueError:
        return


def _check_part(claim, family, n_steps: int, part: str) -> None:
    """A ``UsageError`` when the claim's bound has no part ``part`` (on the family's central
    instance; when the claim does not apply there, the search reports it)."""
    centre = np.array(family.bounds, dtype=float).mean(axis=1)
    try:
        _, g = claim_at(claim, family.build(centre), n_steps)
    except ValueError:
        return
    if part not in g.parts:
        raise UsageError(
            f"argument --window: {g.name} has no part {part!r}; parts: {', '.join(g.parts)}"
        )


def _experiment(args: argparse.Namespace) -> int:
    if args.data is not None:
        data = Path(args.data)
        missing = [f for f in ("a5a", "a5a.t") if not (data / f).is_file()]
        if missing:
            raise UsageError(f"argument --data: {data} holds no {' or '.join(missing)}")
    out = _out(args.out)
    experiments = {**EXPERIMENTS, **({"deep": deep.run_deep} if deep.AVAILABLE else {})}
    if args.name not in (*experiments, "all"):
        raise UsageError(f"experiment {args.name} needs the extra: pip install 'mastref[jax]'")
    names = list(experiments) if args.name == "all" else [args.name]
    resume = f"mastref experiment {args.name} --resume --out {out}{_same_run(args)}"
    echo = _echo(args)
    with _client(args) as client:
        where = ", ".join(str(out / name / "records") for name in names)
        args.hint = f"finished configurations are in {where}; continue with: {resume}"
        for name in names:
            echo(f"experiment {name}: running ({'quick' if args.quick else 'full'}) ...")
            summary = experiments[name](
                args.data,
                out,
                quick=args.quick,
                rng=args.seed,
                backend="dask" if client is not None else args.backend,
                jobs=args.jobs,
                client=client,
                resume=args.resume,
                progress=_progress(args),
            )
            shown = {k: v for k, v in summary.items() if isinstance(v, float | int)}
            print(
                f"experiment {name}: wrote {out / name}/ ; "
                + ", ".join(f"{k}={v:.4g}" for k, v in shown.items())
            )
    return 0


def _list(args: argparse.Namespace) -> int:
    print(checks_table(with_data=True))
    return 0


def _add_backend(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        help=f"{what} run in parallel: worker processes (-1: one per core; default 1)",
    )
    parser.add_argument(
        "--backend",
        choices=["serial", "joblib", "dask"],
        help="serial, joblib (local processes, the default) or dask (a local cluster of "
        "--jobs worker processes, or the cluster of --scheduler); dask needs: "
        "pip install 'mastref[dask]'",
    )
    parser.add_argument(
        "--scheduler",
        type=_scheduler,
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler (tcp://host:8786)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand without --debug keeps a --debug given before it (a separate action
    # from the top-level one: parents share their actions)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show error tracebacks"
    )
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument(
        "--quiet", action="store_true", help="no progress bars and no per-item lines"
    )
    parser = _Parser(
        prog="mastref",
        description="Exact reference implementation and theory checker for MAST "
        "(Model-Agnostic Sparsified Training).",
    )
    parser.add_argument("--debug", action="store_true", help="show error tracebacks")
    parser.add_argument("--version", action="version", version=f"mastref {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    verify = sub.add_parser(
        "verify", help="hold measured convergence against the theorems", parents=[common, quiet]
    )
    verify.add_argument("--quick", action="store_true", help="short horizons, few runs")
    verify.add_argument("--only", type=_names, metavar="NAME[,NAME]", help="run only these checks")
    verify.add_argument("--out", metavar="DIR", help="output directory (default mastref-verify)")
    verify.add_argument(
        "--resume",
        metavar="DIR",
        help="continue an interrupted run in DIR: the checks recorded there are kept",
    )
    verify.add_argument("--data", metavar="PATH", help="a5a file or directory (adds a5a checks)")
    _add_backend(verify, "checks")
    verify.add_argument(
        "--controls", action="store_true", help="also run the negative controls (each must fail)"
    )
    verify.set_defaults(func=_verify)
    worst = sub.add_parser(
        "worst", help="worst-case instance search for a theorem", parents=[common, quiet]
    )
    worst.add_argument(
        "name",
        help="theorem name (theorem1 ... theorem5, baseline, theorem5-reconstructed-form)",
    )
    worst.add_argument(
        "--budget",
        type=_budget,
        help="objective evaluations, at least (rounded up to whole generations; default 2000)",
    )
    worst.add_argument(
        "--quick",
        action="store_true",
        help="budget 200, a lower bound like --budget: differential evolution runs at least "
        "two whole generations (512 evaluations at 14 parameters), per member of a union "
        "(2048 for theorem4 and theorem5: minutes, see verification/WORST_QUICK.md)",
    )
    worst.add_argument("--steps", type=_positive_int, help="horizon T")
    worst.add_argument("--window", type=_window, help="late, all or late:PART (default late)")
    worst.add_argument("--seed", type=_seed, default=0)
    worst.add_argument(
        "--claim",
        metavar="MODULE:FUNCTION",
        help="search a claim of your own (a function with a theorem's signature returning a "
        "Guarantee) in the theorem's default family",
    )
    worst.add_argument(
        "--seeded",
        action="store_true",
        help="put the family's argued worst cases (landmarks) in the initial population",
    )
    worst.add_argument(
        "--out",
        default="mastref-worst",
        help="output directory for the plot and the instance (worst-NAME.png, worst-NAME.json)",
    )
    worst.set_defaults(func=_worst)
    exp = sub.add_parser(
        "experiment",
        help="reproduce an experiment of the paper (THEORY §8)",
        parents=[common, quiet],
    )
    exp.add_argument(
        "name", choices=["pruning", "subsampling", "distributed", "stepsize", "deep", "all"]
    )
    exp.add_argument(
        "--data",
        metavar="DIR",
        help="directory with a5a and a5a.t (default: synthetic a5a-like data)",
    )
    exp.add_argument("--out", default="experiments", help="output directory")
    exp.add_argument("--quick", action="store_true", help="subsampled data, short runs")
    exp.add_argument("--seed", type=_seed, default=0)
    exp.add_argument(
        "--resume",
        action="store_true",
        help="keep the configurations already recorded in OUT/NAME/records",
    )
    _add_backend(exp, "configurations")
    exp.set_defaults(func=_experiment)
    checks = sub.add_parser("checks", help="list the verifier's checks", parents=[common])
    checks.set_defaults(func=_list)
    info = sub.add_parser(
        "info", help="print the versions of mastref and its numerics stack", parents=[common]
    )
    info.set_defaults(func=_info)
    return parser


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit status (see the module docstring)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the subcommand's parser, so the message names the subcommand
            sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as done:  # --help, --version, or a bad argument (already reported)
        return done.code if isinstance(done.code, int) else USAGE
    prog = f"mastref {args.command}"
    try:
        with bk.interrupts_latched():
            return args.func(args)
    except UsageError as err:
        if args.debug:
            raise
        print(f"{prog}: error: {_one_line(err)} (see {prog} --help)", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        if args.debug:
            raise
        hint = getattr(args, "hint", "")
        print(f"{prog}: interrupted{'; ' + hint if hint else ''}", file=sys.stderr)
        return INTERRUPTED
    except Exception as err:
        if args.debug:
            remote = getattr(err, "remote_traceback", "")
            if remote:
                print(remote, file=sys.stderr)
            raise
        if isinstance(err, OutFolderError):  # says itself what to do; nothing was run
            print(f"{prog}: error: {_one_line(err)}", file=sys.stderr)
            return USAGE
        hint = getattr(args, "hint", "")
        kind = "" if isinstance(err, TaskFailed) else f"{type(err).__name__}: "
        print(
            f"{prog}: error: {kind}{_one_line(err)}" + (f" ({hint})" if hint else ""),
            file=sys.stderr,
        )
        return FAILURE


if __name__ == "__main__":
    sys.exit(main())
