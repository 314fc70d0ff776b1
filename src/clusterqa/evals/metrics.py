"""Retrieval and answer metrics; pure functions over plain data, each unit-tested by hand.

Relevance is judged by evidence quotes, not chunk ids, so it survives re-chunking: a retrieved
passage is relevant when it contains one of the case's quotes (case, whitespace, curly quotes,
Markdown emphasis and the briefs' [S<n>] markers ignored).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from clusterqa.text import normalize_quote as normalize

_CITE = re.compile(r"\[(\d+)\]")


def evidence_in(passage: str, evidence: Sequence[str]) -> set[int]:
    """Indices of the evidence quotes the passage contains."""
    norm = normalize(passage)
    return {i for i, quote in enumerate(evidence) if normalize(quote) in norm}


# --- retrieval ------------------------------------------------------------------------------


def hit_at(relevant: Sequence[bool], k: int) -> float:
    return 1.0 if any(relevant[:k]) else 0.0


def recall_at(covered: Sequence[set[int]], n_evidence: int, k: int) -> float:
    """Share of the evidence quotes found in the top ``k`` passages."""
    if n_evidence == 0:
        return 0.0
    found: set[int] = set().union(*covered[:k]) if covered[:k] else set()
    return len(found) / n_evidence


def mrr_at(relevant: Sequence[bool], k: int = 10) -> float:
    for rank, rel in enumerate(relevant[:k], start=1):
        if rel:
            return 1.0 / rank
    return 0.0


def ndcg_at(relevant: Sequence[bool], k: int, n_relevant: int) -> float:
    """Binary nDCG@k; the ideal ranking puts ``n_relevant`` relevant passages first."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, rel in enumerate(relevant[:k], 1) if rel)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, n_relevant) + 1))
    return dcg / ideal if ideal else 0.0


# --- answers --------------------------------------------------------------------------------


def fact_recall(answer: str, facts: Sequence[Sequence[str]]) -> float:
    """Share of required facts stated; a fact is stated when any of its alternatives is."""
    if not facts:
        return 1.0
    norm = normalize(answer)
    return sum(any(normalize(alt) in norm for alt in alts) for alts in facts) / len(facts)


def forbidden_stated(answer: str, forbidden: Sequence[str]) -> list[str]:
    norm = normalize(answer)
    return [f for f in forbidden if normalize(f) in norm]


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """Split an answer into (sentence, [n, ...]) at its citation markers."""
    out: list[tuple[str, list[int]]] = []
    for match in re.finditer(r"(.*?)((?:\s*\[\d+\])+)", answer, re.S):
        sentence = match.group(1).strip()
        numbers = [int(n) for n in _CITE.findall(match.group(2))]
        if sentence:
            out.append((sentence, numbers))
        elif out:  # "[1] [2]" after one sentence: both cite it
            out[-1][1].extend(numbers)
    return out


def citation_validity(answer: str, shown: set[int]) -> float:
    """Share of [n] markers that refer to a passage shown with the answer (1.0 if none)."""
    markers = [int(n) for n in _CITE.findall(answer)]
    if not markers:
        return 1.0
    return sum(n in shown for n in markers) / len(markers)


def citation_precision(answer: str, passages: dict[int, str]) -> float:
    """Share of cited sentences supported by the passage they cite. For extractive answers
    a sentence is supported when it stands in the passage (normalised)."""
    pairs = [(s, n) for s, ns in cited_sentences(answer) for n in ns]
    if not pairs:
        return 1.0
    ok = 0
    for sentence, n in pairs:
        passage = passages.get(n)
        if passage is not None and normalize(sentence).rstrip(".") in normalize(passage):
            ok += 1
    return ok / len(pairs)


# --- list answers ---------------------------------------------------------------------------


def same_item(name: str, alternatives: Sequence[str]) -> bool:
    """One name of an item matches another when either contains the other (normalised):
    "4J Studios" is "4J", "Sumo Digital" is "Sumo Digital (Leamington)"."""
    a = normalize(name)
    return any(b and (b in a or a in b) for b in (normalize(alt) for alt in alternatives))


def items_found(texts: Sequence[str], gold: Sequence[Sequence[str]]) -> int:
    """How many gold items (each a list of accepted names) ``texts`` name."""
    joined = " | ".join(normalize(t) for t in texts)
    return sum(any(normalize(alt) in joined for alt in alts) for alts in gold)


def items_correct(names: Sequence[str], gold: Sequence[Sequence[str]]) -> int:
    """How many of ``names`` are gold items."""
    return sum(any(same_item(name, alts) for alts in gold) for name in names)
