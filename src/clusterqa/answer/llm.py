"""LLM answers, opt in, and checked: an OpenAI-compatible server writes the answer from the
numbered passages; every sentence is kept only if the passages it cites support it.

A sentence is supported when it cites a passage that exists and every name and figure it
states stands in the passages it cites (the extractive answerer's rule: an answer must be
about what the passage is about). A citation of no passage is dropped; an unsupported sentence
is removed and listed as "not supported by the sources". Sentences are checked as they
stream, so nothing unchecked reaches the reader. When no sentence holds, or the server is
down, slow or broken, the extractive answer is given with one line saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clusterqa.analysis.followup import Turn
from clusterqa.answer.lists import citation_for
from clusterqa.answer.llm_client import LLMClient, LLMUnavailable
from clusterqa.entities.names import find_names
from clusterqa.retrieve import Retrieval
from clusterqa.text import clean_sentence, tokenize
from clusterqa.text import normalize_quote as normalize
from clusterqa.types import Answer

SYSTEM = (
    "You answer questions about UK tech clusters using only the numbered passages given. "
    "Write at most four short sentences. End every sentence with the number of the passage "
    "that states it, in square brackets, like [2]. Use only names and figures that the cited "
    "passage states. If the passages do not answer the question, reply exactly: "
    "NOT IN THE REPORTS")
NOT_IN = "NOT IN THE REPORTS"
# One finished sentence and the markers after (or just before) its full stop.
_UNIT = re.compile(r"\s*(?P<s>.+?(?:\s*\[[\d,\s]+\])*[.!?](?:\s*\[[\d,\s]+\])*)(?=\s|$)", re.S)
_MARKERS = re.compile(r"\s*\[([\d,\s]+)\]")
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")


@dataclass
class Checked:
    """A sentence of the LLM's, the passages (1-based) it validly cites, and whether they
    support it."""

    text: str
    cited: list[int]
    supported: bool


def check(sentence: str, passages: list[str]) -> Checked:
    """Apply the support rule to one sentence of the reply (see the module docstring)."""
    numbers = [int(n) for group in _MARKERS.findall(sentence) for n in group.split(",")
               if n.strip().isdigit()]
    valid = list(dict.fromkeys(n for n in numbers if 1 <= n <= len(passages)))
    text = clean_sentence(_MARKERS.sub("", sentence))  # a brief's [S<n>] marks are no names
    if not valid:
        return Checked(text, [], False)
    cited = normalize(" ".join(passages[n - 1] for n in valid))
    names = [m.text for m in find_names(text)]
    figures = _FIGURE.findall(text)
    if names or figures:
        ok = all(normalize(n) in cited for n in names) and all(
            f in cited or f.replace(",", "") in cited.replace(",", "") for f in figures)
    else:  # no name or figure to check: most of its words must be the passage's
        words, known = set(tokenize(text)), set(tokenize(cited))
        ok = bool(words) and len(words & known) / len(words) >= 0.6
    return Checked(text, valid, ok)


class LLMAnswerer:
    def __init__(self, client: LLMClient, passages: int) -> None:
        self.client = client
        self.passages = passages

    def stream(self, retrieval: Retrieval, region: str | None) -> Iterator[str | Answer]:
        """Checked sentences as they arrive (each with its renumbered marker), then the
        answer; LLMUnavailable when the server fails before any sentence holds."""
        view = retrieval.view
        hits = retrieval.hits[: self.passages]
        texts = [view.chunks[h.chunk_id].text for h in hits]
        prompt = "\n\n".join(
            f"[{i}] ({view.document_of(h.chunk_id).meta.title}) {t}"
            for i, (h, t) in enumerate(zip(hits, texts, strict=True), start=1))
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": f"Passages:\n{prompt}\n\n"
                                                f"Question: {retrieval.question.text}"}]
        kept: list[tuple[str, list[int]]] = []
        dropped: list[str] = []
        numbers: dict[int, int] = {}  # passage -> citation number, by first use
        buffer = ""

        def take(unit: str) -> str | None:
            checked = check(unit, texts)
            if not checked.supported or NOT_IN in checked.text:
                if checked.text and NOT_IN not in checked.text:
                    dropped.append(checked.text)
                return None
            ns = [numbers.setdefault(n, len(numbers) + 1) for n in checked.cited]
            kept.append((checked.text, ns))
            return f"{checked.text} " + "".join(f"[{n}]" for n in ns)

        for piece in self.client.stream(messages):
            buffer += piece
            while True:
                match = _UNIT.match(buffer)
                if not match or match.end() == len(buffer):
                    break  # the last unit may still grow
                buffer = buffer[match.end():]
                shown = take(match.group("s"))
                if shown:
                    yield shown
        if buffer.strip():
            shown = take(buffer.strip())
            if shown:
                yield shown
        if not kept:
            raise LLMUnavailable("none of the LLM's sentences was supported by the passages "
                                 "they cite" if dropped else "the LLM found no answer in the "
                                 "passages")
        by_number = {n: hits[p - 1].chunk_id for p, n in numbers.items()}
        citations = [citation_for(view, n, by_number[n], []) for n in sorted(by_number)]
        text = " ".join(f"{t} " + "".join(f"[{n}]" for n in ns) for t, ns in kept)
        yield Answer(retrieval.question.text, text, False, citations, region,
                     sentences=[(f"{t} " + "".join(f"[{n}]" for n in ns), 0) for t, ns in kept],
                     unsupported=dropped)


REWRITE = ("Rewrite the follow-up question so that it stands alone, using the previous question "
           "and the names its answer gave. Keep every name the follow-up uses. Reply with the "
           "rewritten question only.")


def condense(client: LLMClient, question: str, previous: Turn) -> str | None:
    """A follow-up rewritten by the LLM, checked: it must keep the names the follow-up gives
    and name nothing that neither it, the previous question nor its answer named. None when
    the rewrite fails the check or the server fails (the rules' rewrite stands)."""
    named = " ".join([previous.asked, *previous.items, question])
    try:
        reply = client.complete([
            {"role": "system", "content": REWRITE},
            {"role": "user", "content": f"Previous question: {previous.asked}\n"
                                        f"Its answer named: {', '.join(previous.items) or '-'}"
                                        f"\nFollow-up: {question}"}]).strip().strip('"')
    except LLMUnavailable:
        return None
    reply = reply.splitlines()[0].strip() if reply else ""
    kept = all(m.text in reply for m in find_names(question))
    invented = [m.text for m in find_names(reply) if m.text not in named]
    return reply if reply and len(reply) < 300 and kept and not invented else None
