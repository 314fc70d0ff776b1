"""The consoles the command line prints to, and the settings it was started with."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from clusterqa.settings import Settings

# In a pipe Rich assumes 80 columns, which squeezes tables (sources, eval) to single letters.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
# Messages are one line each, however narrow the terminal (or a pipe's 80 columns).
err = Console(stderr=True, highlight=False, soft_wrap=True)


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj["settings"]
