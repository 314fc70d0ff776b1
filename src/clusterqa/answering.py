"""The extractive answerer: the retrieved sentences that best answer the question, each cited.

No small generator or reranker ships inside a PyPI wheel, so the default answer is made of
sentences quoted from the retrieved passages. Each candidate sentence gets a *support* score:

    support = dense_weight * cos(question, sentence) + (1 - dense_weight) * coverage

where ``coverage`` is the IDF-weighted share of the question's words found in the sentence
(full credit) or in its context: the passage's heading or list label and the document title
(half credit). Place names count as covered by the places inside them (Teesside by
Middlesbrough). A question word the corpus never uses (an unknown firm) weighs like the rarest
word, so its absence sinks the score. When no sentence reaches ``min_support`` the assistant
abstains, says so plainly and shows the nearest passages instead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clusterqa.chunking import sentence_spans
from clusterqa.embeddings import Embedder
from clusterqa.index import CorpusIndex
from clusterqa.lexical import tokenize
from clusterqa.query import gazetteer
from clusterqa.retrieval import Hit, Retrieval
from clusterqa.settings import AnsweringSettings

ABSTAIN_TEXT = ("The reports don't say: nothing in the ingested documents answers this. "
                "The nearest passages are shown below, but none of them is an answer.")
_SOURCE_MARKER = re.compile(r"\s*\[S\d+(?:,\s*S?\d+)*\]")
_LIST_QUESTION = re.compile(r"^\s*(which|what|name|list)\b.*\b(firms|companies|studios|startups|"
                            r"businesses|hubs|names|ones|sectors|universities|specialisms|"
                            r"strengths|areas)\b|\blist\b", re.I)
DENSE_WEIGHT = 0.5


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    region: str | None
    page: int | None
    text: str
    score: float  # the passage's best support score, 0..1
    publisher: str | None = None
    url: str | None = None
    kind: str | None = None
    sources: list[str] = field(default_factory=list)  # a brief's own [S<n>] source links
    highlights: list[tuple[int, int]] = field(default_factory=list)  # supporting sentences

    def to_json(self) -> dict[str, Any]:
        """The citation object of ``clusterqa ask --json`` (see DESIGN.md), exactly."""
        return {"n": self.n, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "region": self.region, "page": self.page, "text": self.text,
                "score": round(self.score, 4)}


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    region: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: list[tuple[str, int]] = field(default_factory=list)  # (sentence, n) in order

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.text, "abstained": self.abstained,
                "citations": [c.to_json() for c in self.citations],
                "timings_ms": self.timings_ms}


@dataclass
class Candidate:
    hit_index: int
    chunk_id: str
    start: int
    end: int
    text: str
    context_terms: frozenset[str]
    dense: float = 0.0
    coverage: float = 0.0

    @property
    def support(self) -> float:
        return DENSE_WEIGHT * self.dense + (1 - DENSE_WEIGHT) * self.coverage


def clean_sentence(text: str) -> str:
    """A quoted sentence without the brief's [S<n>] source markers, on one line."""
    text = _SOURCE_MARKER.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def _is_label(text: str) -> bool:
    """A heading or a list item's lead-in ("Games.", "Notable firms")."""
    words = text.split()
    return len(words) <= 5 and not re.search(r"[,;]", text)


class ExtractiveAnswerer:
    def __init__(self, index: CorpusIndex, embedder: Embedder | None,
                 settings: AnsweringSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._sentence_cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()

    def answer(self, question: str, retrieval: Retrieval, region: str | None = None) -> Answer:
        hits = retrieval.hits[: self.settings.passages]
        candidates = self._candidates(hits)
        self._score(candidates, retrieval)
        chosen = self._choose(candidates, question)
        if not chosen:
            return self._abstain(question, hits, candidates, region)
        return self._compose(question, hits, candidates, chosen, region)

    # --- candidates and scores ------------------------------------------------------------

    def _candidates(self, hits: Sequence[Hit]) -> list[Candidate]:
        out: list[Candidate] = []
        for i, hit in enumerate(hits):
            chunk = self.index.chunks[hit.chunk_id]
            doc = self.index.documents.get(chunk.doc_id)
            title_terms = set(tokenize(doc.metadata.get("title", ""))) if doc else set()
            heading: set[str] = set()
            label: set[str] = set()
            last_para_end = -1
            for start, end in sentence_spans(chunk.text):
                text = chunk.text[start:end]
                new_para = "\n\n" in chunk.text[last_para_end:start] or last_para_end < 0
                if new_para:
                    label = set()
                last_para_end = end
                if _is_label(text):
                    # A lone short paragraph is a heading; a short first sentence a label.
                    is_heading = chunk.text[end:end + 2] == "\n\n" or end == len(chunk.text)
                    if is_heading and new_para:
                        heading = set(tokenize(text))
                    elif new_para:
                        label = set(tokenize(text))
                    continue
                out.append(Candidate(i, hit.chunk_id, start, end, text,
                                     frozenset(title_terms | heading | label)))
        return out

    def _score(self, candidates: list[Candidate], retrieval: Retrieval) -> None:
        if not candidates:
            return
        terms = retrieval.query.tokens
        weights = {t: self.index.lexical.idf(t) for t in terms}
        total = sum(weights.values())
        place_cover = self._place_cover(retrieval)
        for cand in candidates:
            words = set(tokenize(cand.text))
            got = 0.0
            for term in terms:
                alternatives = place_cover.get(term, frozenset()) | {term}
                if words & alternatives:
                    got += weights[term]
                elif cand.context_terms & alternatives:
                    got += 0.5 * weights[term]
            cand.coverage = got / total if total else 0.0
        if retrieval.query_vector is not None and self.embedder is not None:
            vectors = self._sentence_vectors(candidates)
            sims = vectors @ retrieval.query_vector
            for cand, sim in zip(candidates, sims, strict=True):
                cand.dense = float(max(sim, 0.0))

    def _place_cover(self, retrieval: Retrieval) -> dict[str, frozenset[str]]:
        """For each place token in the question, the tokens of the places inside it."""
        cover: dict[str, frozenset[str]] = {}
        for place in retrieval.query.places:
            inner = {t for p in gazetteer()[place] for t in tokenize(p)}
            for token in tokenize(place):
                cover[token] = cover.get(token, frozenset()) | frozenset(inner)
        return cover

    def _sentence_vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Sentence embeddings, cached: chunk ids change with their text, so keys stay valid."""
        cache = self._sentence_cache
        missing = [c for c in candidates if (c.chunk_id, c.start) not in cache]
        if missing:
            vectors = self.embedder.embed([clean_sentence(c.text) for c in missing])
            for cand, vector in zip(missing, vectors, strict=True):
                cache[(cand.chunk_id, cand.start)] = vector
        out = []
        for cand in candidates:
            cache.move_to_end((cand.chunk_id, cand.start))
            out.append(cache[(cand.chunk_id, cand.start)])
        while len(cache) > 50_000:
            cache.popitem(last=False)
        return np.stack(out)

    # --- choosing and composing -----------------------------------------------------------

    def _choose(self, candidates: list[Candidate], question: str) -> list[Candidate]:
        ranked = sorted(candidates, key=lambda c: (-c.support, c.hit_index, c.start))
        if not ranked or ranked[0].support < self.settings.min_support:
            return []
        limit = self.settings.max_sentences + (2 if _LIST_QUESTION.search(question) else 0)
        floor = max(self.settings.min_support, ranked[0].support - 0.15)
        chosen: list[Candidate] = []
        for cand in ranked:
            if len(chosen) >= limit or cand.support < floor:
                break
            words = set(tokenize(cand.text))
            if any(_jaccard(words, set(tokenize(c.text))) >= 0.6 for c in chosen):
                continue  # the same fact from another passage adds nothing to read
            chosen.append(cand)
        return chosen

    def _compose(self, question: str, hits: Sequence[Hit], candidates: list[Candidate],
                 chosen: list[Candidate], region: str | None) -> Answer:
        numbers: dict[int, int] = {}
        sentences: list[tuple[str, int]] = []
        for cand in chosen:
            n = numbers.setdefault(cand.hit_index, len(numbers) + 1)
            sentences.append((_terminate(clean_sentence(cand.text)), n))
        text = " ".join(f"{s} [{n}]" for s, n in sentences)
        citations = [self._citation(n, hits[i], candidates,
                                    [c for c in chosen if c.hit_index == i])
                     for i, n in sorted(numbers.items(), key=lambda kv: kv[1])]
        return Answer(question, text, False, citations, region, sentences=sentences)

    def _abstain(self, question: str, hits: Sequence[Hit], candidates: list[Candidate],
                 region: str | None) -> Answer:
        nearest = hits[: self.settings.nearest_on_abstain]
        citations = [self._citation(n, hit, candidates, [])
                     for n, hit in enumerate(nearest, start=1)]
        text = ABSTAIN_TEXT if hits else "The reports don't say: no document matches this."
        if region:
            text = text.replace("the ingested documents", f"the {region} documents")
        return Answer(question, text, True, citations, region)

    def _citation(self, n: int, hit: Hit, candidates: list[Candidate],
                  supporting: list[Candidate]) -> Citation:
        chunk = self.index.chunks[hit.chunk_id]
        doc = self.index.documents[chunk.doc_id]
        meta = doc.metadata
        own = [c.support for c in candidates if c.chunk_id == hit.chunk_id]
        return Citation(
            n=n, chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, title=meta.get("title", ""),
            source=doc.source, region=meta.get("region"), page=chunk.page, text=chunk.text,
            score=max(own, default=0.0), publisher=meta.get("publisher"), url=meta.get("url"),
            kind=meta.get("kind"), sources=list(meta.get("sources") or []),
            highlights=sorted((c.start, c.end) for c in supporting),
        )


def _terminate(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?\"'”’)" else sentence + "."


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
