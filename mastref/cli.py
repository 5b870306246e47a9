"""Command line interface: ``mastref verify`` (the theorem verifier) and ``mastref info``."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def _info(args: argparse.Namespace) -> int:
    import numba
    import numpy

    print(f"mastref {__version__} (numpy {numpy.__version__}, numba {numba.__version__})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .verify import run

    only = [name.strip() for name in args.only.split(",")] if args.only else None
    outcome = run(
        quick=args.quick,
        only=only,
        out=args.out,
        data=args.data,
        jobs=args.jobs,
        controls=args.controls,
    )
    if outcome.failures:
        print(
            f"FAILED (violated, weak, or a control that held): {', '.join(outcome.failures)}",
            file=sys.stderr,
        )
        return 1
    return 0


def _worst(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .theorems import registry
    from .verify import worst_case

    entries = registry()
    if args.name not in entries:
        print(f"unknown theorem {args.name!r}; choose from {', '.join(entries)}", file=sys.stderr)
        return 2
    claim, family, n_steps, window = entries[args.name].search()
    budget = args.budget or (200 if args.quick else 2000)
    found = worst_case(
        claim,
        family,
        n_steps=args.steps or n_steps,
        budget=budget,
        rng=args.seed,
        window=args.window or window,
    )
    print(found)
    print(found.instance.describe())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    found.plot(out / f"worst-{args.name}.png")
    print(f"plot: {out / f'worst-{args.name}.png'}")
    return 1 if found.verdict == "violated" else 0


def _experiment(args: argparse.Namespace) -> int:
    from .experiments import EXPERIMENTS

    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    for name in names:
        print(f"experiment {name}: running ({'quick' if args.quick else 'full'}) ...", flush=True)
        summary = EXPERIMENTS[name](args.data, args.out, quick=args.quick, rng=args.seed)
        shown = {k: v for k, v in summary.items() if isinstance(v, float | int)}
        print(
            f"experiment {name}: wrote {args.out}/{name}/ ; "
            + ", ".join(f"{k}={v:.4g}" for k, v in shown.items())
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    from .verify import catalogue

    print("| check | theorem | kind | part | instance and method |")
    print("|---|---|---|---|---|")
    for name, check in catalogue(with_data=True).items():
        print(
            f"| {name} | {check.theorem} | {check.kind} | {check.part or 'whole'} | "
            f"{check.description} |"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mastref",
        description="Exact reference implementation and theory checker for MAST "
        "(Model-Agnostic Sparsified Training).",
    )
    parser.add_argument("--version", action="version", version=f"mastref {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="hold measured convergence against the theorems")
    verify.add_argument("--quick", action="store_true", help="short horizons, few runs (< 3 min)")
    verify.add_argument("--only", metavar="NAME[,NAME]", help="run only these checks")
    verify.add_argument("--out", default="mastref-verify", help="output directory")
    verify.add_argument("--data", metavar="PATH", help="a5a file or directory (adds a5a checks)")
    verify.add_argument("--jobs", type=int, default=1, help="checks run in parallel (joblib)")
    verify.add_argument(
        "--controls", action="store_true", help="also run the negative controls (each must fail)"
    )
    verify.set_defaults(func=_verify)
    worst = sub.add_parser("worst", help="worst-case instance search for a theorem")
    worst.add_argument("name", help="theorem name (theorem1 ... theorem5, baseline)")
    worst.add_argument("--budget", type=int, help="objective evaluations (default 2000)")
    worst.add_argument("--quick", action="store_true", help="budget 200")
    worst.add_argument("--steps", type=int, help="horizon T")
    worst.add_argument("--window", help="late, all or late:PART (default late)")
    worst.add_argument("--seed", type=int, default=0)
    worst.add_argument("--out", default="mastref-worst", help="output directory for the plot")
    worst.set_defaults(func=_worst)
    exp = sub.add_parser("experiment", help="reproduce an experiment of the paper (THEORY §8)")
    exp.add_argument("name", choices=["pruning", "subsampling", "distributed", "stepsize", "all"])
    exp.add_argument(
        "--data",
        metavar="DIR",
        help="directory with a5a and a5a.t (default: synthetic a5a-like data)",
    )
    exp.add_argument("--out", default="experiments", help="output directory")
    exp.add_argument("--quick", action="store_true", help="subsampled data, short runs")
    exp.add_argument("--seed", type=int, default=0)
    exp.set_defaults(func=_experiment)
    checks = sub.add_parser("checks", help="list the verifier's checks")
    checks.set_defaults(func=_list)
    info = sub.add_parser("info", help="print the versions of mastref and its numerics stack")
    info.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
