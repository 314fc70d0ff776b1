"""`python -m tests.fake_cli ARGS` is `clusterqa ARGS` with the fake embedder, for tests that
run the command in a process of its own. FAKE_EMBED_DELAY (seconds per embedding call) slows
it down, so a test has a window to kill an ingest in."""

import os

from tests.fakes import install_fake_embedder

install_fake_embedder(delay=float(os.environ.get("FAKE_EMBED_DELAY", "0")))

from clusterqa.app.cli import main  # noqa: E402 - after the fake is installed

main()
