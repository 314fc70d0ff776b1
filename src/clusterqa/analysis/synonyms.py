"""Words a question may use for what a passage says in other words (data/synonyms.yaml)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from clusterqa.text import tokenize


@lru_cache(maxsize=1)
def synonyms() -> dict[tuple[str, ...], frozenset[tuple[str, ...]]]:
    """Each member of a group (as tokens) -> every member of its groups."""
    groups = yaml.safe_load(
        resources.files("clusterqa.analysis.data").joinpath("synonyms.yaml").read_text())
    table: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for group in groups:
        members = [tuple(tokenize(str(m))) for m in group]
        members = [m for m in members if m]
        for member in members:
            table.setdefault(member, set()).update(members)
    return {k: frozenset(v) for k, v in table.items()}
