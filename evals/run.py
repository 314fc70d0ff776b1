"""Thin entry for the eval gate: `python evals/run.py [options]` is `clusterqa eval [options]`."""

import sys

from clusterqa.app.cli import main

if __name__ == "__main__":
    sys.argv = ["clusterqa", "eval", *sys.argv[1:]]
    main()
