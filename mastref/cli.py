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
    print(
        "mastref verify: the theorem verifier (THEORY.md §5-§7) is not yet implemented; "
        "the foundation (sketches, problems, the MAST objective, kernels) is checked by the "
        "test suite (pytest)."
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
    verify.add_argument("--quick", action="store_true", help="small instances (< 3 minutes)")
    verify.set_defaults(func=_verify)
    info = sub.add_parser("info", help="print the versions of mastref and its numerics stack")
    info.set_defaults(func=_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
