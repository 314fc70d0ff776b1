"""`python -m clusterqa ...` is the `clusterqa` command."""

from clusterqa.app.cli import main

main()
