"""Thin entry: `python -m ingest [PATHS...]` is `clusterqa ingest [PATHS...]`."""

import sys

from clusterqa.app.cli import main

if __name__ == "__main__":
    sys.argv = ["clusterqa", "ingest", *sys.argv[1:]]
    main()
