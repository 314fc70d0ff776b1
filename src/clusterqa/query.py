"""What retrieval needs to know about a question: its BM25 tokens and the places it widens to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

from clusterqa.lexical import tokenize


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(resources.files("clusterqa.data").joinpath("places.yaml").read_text())
    return {_norm(k): tuple(_norm(v) for v in vs) for k, vs in raw.items()}


def _norm(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", str(text).lower().replace("’", "'")).strip()


@dataclass(frozen=True)
class Query:
    text: str
    tokens: list[str]
    # Stemmed tokens of the places inside the places the question names ("teesside" ->
    # "middlesbrough", ...), minus those the question already has.
    place_tokens: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


# Interrogatives and auxiliaries say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(tokenize(
    "what which who whom whose when where why how did does do done was were is are has have had "
    "can could would should tell me list name give"
))


def analyse(question: str, expand_places: bool = True) -> Query:
    tokens = [t for t in tokenize(question) if t not in QUESTION_WORDS]
    if not expand_places:
        return Query(question, tokens)
    text = f" {_norm(question)} "
    named = [p for p in gazetteer() if re.search(rf"(?<!\w){re.escape(p)}(?:'s)?(?!\w)", text)]
    wider: list[str] = []
    for place in named:
        for inner in gazetteer()[place]:
            if inner not in wider and inner not in named:
                wider.append(inner)
    seen = set(tokens)
    place_tokens: list[str] = []
    for inner in wider:
        for tok in tokenize(inner):
            if tok not in seen:
                seen.add(tok)
                place_tokens.append(tok)
    return Query(question, tokens, place_tokens, named)
