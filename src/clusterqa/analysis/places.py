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


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Adjectives for places ("welsh" -> "wales"), each to a gazetteer place."""
    raw = yaml.safe_load(
        resources.files("clusterqa.analysis.data").joinpath("demonyms.yaml").read_text())
    known = places_within()
    return {normalize_phrase(k): normalize_phrase(v) for k, v in raw.items()
            if normalize_phrase(v) in known}


def demonym_place(word: str) -> str | None:
    """The place an adjective names ("Cornish" -> "cornwall"), or None."""
    return demonyms().get(normalize_phrase(word))


def places_named(text: str, adjectives: bool = True) -> list[str]:
    """The gazetteer places ``text`` names, longest first ("south yorkshire" before
    "yorkshire"); with ``adjectives``, a demonym names its place ("Welsh startups": wales)."""
    norm = f" {normalize_phrase(text)} "
    for adjective, place in demonyms().items() if adjectives else ():
        if has_phrase(norm, adjective):
            norm = re.sub(rf"(?<!\w){re.escape(adjective)}(?!\w)", place, norm)
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
