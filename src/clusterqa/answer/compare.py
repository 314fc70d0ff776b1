"""Comparisons, side by side: each side (a region, or a firm) is asked on its own, and each
cell quotes and cites what its side's passages say.

"Compare Scotland and Northern Ireland on fintech" asks "fintech" of Scotland's documents and
of Northern Ireland's, so neither side drowns the other; a firm is asked about by name. A side
the reports say nothing about is shown as such, not filled from the other side.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from clusterqa.types import Answer, Citation, Side

# A side of "A or B": a name, its words capitalised ("the North East", "Leamington Spa").
_SIDE = r"(?:the )?(?P<{}>[A-Z][\w.&'’-]*(?: (?:of |and |& )?[A-Z][\w.&'’-]*)*)"
_COMPARE = (
    re.compile(r"^\s*compare (?P<a>.+?) (?:and|with|to|vs\.?|versus) (?P<b>.+?)"
               r"(?: (?:on|for|in terms of) (?P<x>.+?))?\s*\??\s*$", re.I),
    re.compile(r"^\s*how (?:does|do|did) (?P<a>.+?) compare (?:with|to|against) (?P<b>.+?)"
               r"(?: (?:on|for|in terms of) (?P<x>.+?))?\s*\??\s*$", re.I),
    # "Scotland vs Wales: fintech", "Scotland versus Wales on fintech"
    re.compile(r"^\s*" + _SIDE.format("a") + r" (?:vs\.?|versus) " + _SIDE.format("b") +
               r"(?:\s*(?::|on|for|in terms of)\s*(?P<x>.+?))?\s*\??\s*$"),
    # "Which has more games studios, Scotland or the North East?" (asking which is more)
    re.compile(r"^\s*(?P<x>(?i:which|where|what)\b.*?\b(?i:more|most|better|best|bigger|"
               r"biggest|stronger|strongest|larger|largest)\b.*?),? " + _SIDE.format("a") +
               " or " + _SIDE.format("b") + r"\s*\?\s*$"),
    # "Leeds or Manchester for fintech?"
    re.compile(r"^\s*" + _SIDE.format("a") + " or " + _SIDE.format("b") +
               r"(?: (?:on|for|in terms of) (?P<x>.+?))?\s*\?\s*$"),
)
# The framing of "which has more games studios, A or B?": what is left is the aspect.
_FRAMING = re.compile(r"(?i)^(?:which|where|what)(?: (?:one|region|city|place))?"
                      r"(?: (?:has|have|is|are|does|do))?(?: (?:the )?(?:more|most|better|best|"
                      r"bigger|biggest|stronger|strongest|larger|largest))?"
                      r"(?: (?:for|in|on|at))?\b\s*")
DEFAULT_ASPECT = "tech strengths"
CELL_SENTENCES = 2


@dataclass(frozen=True)
class Comparison:
    sides: tuple[str, str]
    aspect: str


def comparison_of(question: str) -> Comparison | None:
    """The two sides and the aspect a comparison asks about, or None. An "A or B" question
    is one only when it asks which (or is nothing but the two sides): "Is Skyscanner based in
    Edinburgh or Glasgow?" is a question about Skyscanner."""
    for pattern in _COMPARE:
        match = pattern.match(question)
        if match:
            aspect = _FRAMING.sub("", (match.groupdict().get("x") or "").strip(" ,?:"))
            return Comparison((match.group("a").strip(), match.group("b").strip()),
                              aspect.strip(" ,?:") or DEFAULT_ASPECT)
    return None


def compare(question: str, comparison: Comparison,
            ask_side: Callable[[str, str], tuple[str, Answer]]) -> Answer:
    """``ask_side(side, aspect)`` answers the aspect for one side and says how the side was
    read (a region, or a name); the cells are its first sentences, renumbered together."""
    citations: list[Citation] = []
    sides: list[Side] = []
    for side in comparison.sides:
        label, answer = ask_side(side, comparison.aspect)
        if answer.abstained or not answer.sentences:
            sides.append(Side(label, "The reports don't say.", [], True))
        else:
            sides.append(_cell(label, answer, citations))
    parts = [f"{s.name}: " + ("the reports don't say." if s.abstained else s.text)
             for s in sides]
    text = f"On {comparison.aspect}: " + " ".join(parts)
    return Answer(question, text, all(s.abstained for s in sides), citations, sides=sides,
                  sentences=[(p, 0) for p in parts])


def _cell(label: str, answer: Answer, citations: list[Citation]) -> Side:
    """One side's cell: its answer's lead (a list's items) and first quotes, each cited by a
    number of the whole comparison (``citations`` grows with the passages it adds)."""
    by_n = {c.n: c for c in answer.citations}
    numbers = {c.chunk_id: c.n for c in citations}
    cited: list[int] = []

    def renumber(n: int) -> int:
        source = by_n[n]
        if source.chunk_id not in numbers:
            numbers[source.chunk_id] = len(citations) + 1
            citations.append(Citation(**{**source.__dict__, "n": numbers[source.chunk_id]}))
        cited.append(numbers[source.chunk_id])
        return numbers[source.chunk_id]

    cell: list[str] = []
    lead = None
    if answer.lead:  # the items a list answer names, their markers renumbered
        lead = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber(int(m.group(1)))}]", answer.lead)
        cell.append(lead)
    for sentence, n in [(s, n) for s, n in answer.sentences if n][:CELL_SENTENCES]:
        cell.append(f"{sentence} [{renumber(n)}]")
    return Side(label, " ".join(cell), list(dict.fromkeys(cited)), False, lead)
