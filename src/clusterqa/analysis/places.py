"""Places: a small UK gazetteer (data/places.yaml) read as a hierarchy, town -> area -> region.

A place a question names stands for every place inside it, transitively: "North East" covers
Teesside and so Middlesbrough and Billingham. Retrieval widens the question with them and the
answerer accepts a sentence naming any of them; both read :func:`places_within`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from clusterqa.text import has_phrase, normalize_phrase


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[str, ...]]:
    """Each wider place -> the places directly inside it (and other names for it)."""
    raw = yaml.safe_load(
        resources.files("clusterqa.analysis.data").joinpath("places.yaml").read_text())
    return {normalize_phrase(k): tuple(normalize_phrase(v) for v in vs) for k, vs in raw.items()}


@lru_cache(maxsize=1)
def places_within() -> dict[str, frozenset[str]]:
    """Each gazetteer place -> every place inside it, transitively (UK -> Leeds)."""
    direct = gazetteer()
    out: dict[str, frozenset[str]] = {}
    leaves = {inner for inners in direct.values() for inner in inners}
    for place in [*direct, *sorted(leaves - set(direct))]:
        seen: set[str] = set()
        todo = list(direct.get(place, ()))
        while todo:
            inner = todo.pop()
            if inner not in seen:
                seen.add(inner)
                todo.extend(direct.get(inner, ()))
        out[place] = frozenset(seen)
    return out


def places_named(text: str) -> list[str]:
    """The gazetteer places ``text`` names, longest first ("south yorkshire" before
    "yorkshire")."""
    norm = f" {normalize_phrase(text)} "
    found: list[str] = []
    taken: list[tuple[int, int]] = []  # spans of the longer places already found
    for place in sorted((p for p in places_within() if has_phrase(norm, p)), key=len,
                        reverse=True):
        # "South Yorkshire" names South Yorkshire, not Yorkshire: a place counts only where
        # it stands outside every longer place found.
        spans = [m.span() for m in re.finditer(rf"(?<!\w){re.escape(place)}(?:'s)?(?!\w)",
                                               norm)]
        free = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in taken)]
        if free:
            found.append(place)
        taken.extend(spans)
    return found
