"""Thin entry for the benchmarks: `python evals/bench.py scifact [options]` is
`clusterqa bench scifact [options]` (see BENCHMARKS.md)."""

import sys

from clusterqa.app.cli import main

if __name__ == "__main__":
    sys.argv = ["clusterqa", "bench", *sys.argv[1:]]
    main()
