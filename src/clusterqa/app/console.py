"""The consoles the command line prints to, and the settings it was started with."""

from __future__ import annotations

import re
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


# C0 and C1 controls but newline and tab: a document's escape sequences (clear screen, OSC 8
# hyperlinks) must reach a terminal as nothing, whatever an older store may still hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text with no control characters, and no bytes a terminal cannot print."""
    return _CONTROL.sub("", text).encode("utf-8", "backslashreplace").decode("utf-8")
