"""Run the experiments of THEORY.md §8 and write their figures and CSVs here.

Usage (from the repository root):

    python verification/experiments/run.py all --data ../shared/data --out verification/experiments

NAME is one of pruning, subsampling, distributed, stepsize, all. This is the same as
``mastref experiment NAME --data ... --out ...``; the code is in ``mastref/experiments.py`` and
the results are discussed in ``verification/EXPERIMENTS.md``.
"""

import sys

from mastref.cli import main

if __name__ == "__main__":
    sys.exit(main(["experiment", *sys.argv[1:]]))
