"""The words for kinds of organisation and for sectors (data/lexicon.yaml), as lookups."""

from __future__ import annotations

import re
from functools import lru_cache

from clusterqa.entities.names import lexicon


@lru_cache(maxsize=1)
def kind_words() -> dict[str, str]:
    """Each kind noun, singular and plural -> the kind it stands for."""
    out: dict[str, str] = {}
    for kind, words in lexicon()["kinds"].items():
        for word in words:
            out[word] = kind
            out[word + ("es" if word.endswith("s") else "s")] = kind
    out["companies"] = "firm"
    out["universities"] = "university"
    return out


@lru_cache(maxsize=1)
def sector_words() -> dict[str, str]:
    return {w: sector for sector, words in lexicon()["sectors"].items() for w in words}


@lru_cache(maxsize=1)
def kind_pattern() -> str:
    return "|".join(sorted((re.escape(w) for w in kind_words()), key=len, reverse=True))


@lru_cache(maxsize=1)
def _sector_pattern() -> re.Pattern:
    words = sorted(sector_words(), key=len, reverse=True)  # longest first: "mobile games"
    return re.compile(rf"(?<!\w)({'|'.join(re.escape(w) for w in words)})(?![\w-])")


def sectors_in(text: str) -> set[str]:
    """The sectors the words of ``text`` name ("online bingo" -> gambling). One pass of one
    pattern: this runs for every name of every page at ingest."""
    words = sector_words()
    low = text.lower()
    found: set[str] = set()
    position = 0
    while (match := _sector_pattern().search(low, position)) is not None:
        found.add(words[match.group(1)])
        position = match.start() + 1  # overlapping words ("chip design", "design") count
    return found
