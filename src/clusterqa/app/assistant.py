"""The wiring point: settings -> store, embedder, retriever, answerer -> ``ask``.

The CLI, the Gradio app and the eval runner all go through :class:`Assistant`; none of them
knows how retrieval or answering works.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clusterqa import embeddings
from clusterqa.analysis import analyse
from clusterqa.analysis.followup import Turn, leans_on_previous, rewrite
from clusterqa.answer import Answerer, ExtractiveAnswerer
from clusterqa.answer.compare import DEFAULT_ASPECT, compare, comparison_of
from clusterqa.answer.llm import LLMAnswerer, condense
from clusterqa.answer.llm_client import LLMClient, LLMUnavailable
from clusterqa.embeddings import Embedder
from clusterqa.entities.lexicon import kind_words, sectors_in
from clusterqa.errors import ClusterQAError
from clusterqa.loading.files import display_path
from clusterqa.loading.sources import is_url
from clusterqa.retrieve import HybridRetriever, Retrieval
from clusterqa.settings import Settings
from clusterqa.store import CorpusIndex, CorpusView, fingerprint
from clusterqa.store.reader import RegionStats
from clusterqa.types import Answer

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Status:
    documents: int
    chunks: int
    regions: list[RegionStats]
    last_ingested: str | None
    version: int


@dataclass
class Conversation:
    """The turns so far, as answered (at most the last few matter)."""

    turns: list[Turn] = field(default_factory=list)


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of a streamed answer; the last event carries the whole ``answer``."""

    text: str
    answer: Answer | None = None


class Assistant:
    def __init__(self, settings: Settings, index: CorpusIndex, embedder: Embedder | None) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.retriever = HybridRetriever(index, embedder, settings.retrieval)
        self.answerer = Answerer(ExtractiveAnswerer(embedder, settings.answering))
        self.llm = (LLMAnswerer(LLMClient(settings.llm), settings.answering.passages)
                    if settings.answering.backend == "llm" else None)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, embedder: Embedder | None = None
                      ) -> Assistant:
        settings = settings or Settings.load()
        if embedder is None and settings.retrieval.dense:
            embedder = embeddings.create_embedder(settings.embedding)
        index = CorpusIndex(settings)
        try:
            if embedder is not None:
                index.check_fingerprint(fingerprint(embedder.name,
                                                    settings.embedding.title_prefix))
                embedder.load()  # a bad model fails here, not at the first question
        except BaseException:
            index.close()
            raise
        return cls(settings, index, embedder)

    def ask(self, question: str, region: str | None = None) -> Answer:
        comparison = comparison_of(question.strip()) if not region else None
        if comparison is not None:
            started = time.perf_counter()
            answer = compare(question.strip(), comparison, self._ask_side)
            answer.timings_ms = {"total": round((time.perf_counter() - started) * 1000, 2)}
            return answer
        return self.ask_with_retrieval(question, region)[0]

    def _ask_side(self, side: str, aspect: str) -> tuple[str, Answer]:
        """One side of a comparison: a region's documents asked the aspect, or a name asked
        about with it."""
        key = _region_key(side)
        regions = {_region_key(r): r for r in self.regions()}
        # "Yorkshire" names yorkshire-humber: a region whose name starts with the side's.
        region = regions.get(key) or next(
            (r for k, r in sorted(regions.items()) if k.startswith(key + "-")), None)
        if region is not None:
            # A sector ("games") is asked as a list, so the entity table answers it.
            # ("games studios" already says what kind of organisation: no "firms" after it)
            kind = "" if aspect.split()[-1].lower() in kind_words() else " firms"
            question = (f"Which {aspect}{kind} are in {side}?" if sectors_in(aspect)
                        else f"What about {aspect} in {side}?")
            return region, self.ask_with_retrieval(question, region)[0]
        if aspect == DEFAULT_ASPECT:
            return side, self.ask_with_retrieval(f"Tell me about {side}")[0]
        return side, self.ask_with_retrieval(f"{side} {aspect}")[0]

    def ask_in(self, conversation: Conversation, question: str, region: str | None = None
               ) -> Answer:
        """Answer ``question`` as the next turn of ``conversation``: a follow-up that leans on
        the turn before is rewritten to stand alone (``answer.asked``), and a turn that names
        no region keeps the previous turn's."""
        asked, region = self._stand_alone(conversation, question, region)
        answer = self.ask(asked, region)
        return self._add_turn(conversation, question, asked, answer, region)

    def _stand_alone(self, conversation: Conversation, question: str, region: str | None
                     ) -> tuple[str, str | None]:
        """The question rewritten from the turn before (by the LLM when one is set and its
        rewrite keeps the names, else by rules), and the region it keeps."""
        previous = conversation.turns[-1] if conversation.turns else None
        question = question.strip()
        asked = rewrite(question, previous)
        if self.llm is not None and previous is not None and leans_on_previous(question):
            asked = condense(self.llm.client, question, previous) or asked
        if region is None and previous is not None and asked != question:
            region = previous.region
        return asked, region

    @staticmethod
    def _add_turn(conversation: Conversation, question: str, asked: str, answer: Answer,
                  region: str | None) -> Answer:
        answer.question, answer.asked = question.strip(), asked
        conversation.turns.append(Turn(asked, tuple(i.name for i in answer.items), region))
        return answer

    def ask_with_retrieval(self, question: str, region: str | None = None,
                           depth: int | None = None) -> tuple[Answer, Retrieval]:
        """The answer and the ranked passages behind it (``depth`` of them; the answerer
        reads the first ``answering.passages``). The eval runner scores both."""
        started = time.perf_counter()
        question, region = self._check(question, region)
        analysed = analyse(question, expand_places=self.settings.retrieval.expand_places)
        retrieval = self.retriever.retrieve(analysed, region=region, k=depth)
        t = time.perf_counter()
        *_, answer = self._answer_stream(retrieval, region)
        return self._finish(answer, retrieval, started, t), retrieval

    def _finish(self, answer: Answer, retrieval: Retrieval, started: float, t: float
                ) -> Answer:
        for citation in answer.citations:
            citation.source = self._shown_source(citation.source)
        answer.timings_ms = {
            **retrieval.timings_ms,
            "answer": round((time.perf_counter() - t) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        return answer

    def _answer_stream(self, retrieval: Retrieval, region: str | None
                       ) -> Iterator[str | Answer]:
        """The answer's checked sentences as an LLM writes them, then the answer; with the
        extractive backend (or when the LLM fails) just the answer."""
        if self.llm is not None:
            try:
                yield from self.llm.stream(retrieval, region)
                return
            except LLMUnavailable as exc:
                answer = self.answerer.answer(retrieval, region=region)
                answer.notice = f"{exc}; this is the extractive answer instead."
                yield answer
                return
        yield self.answerer.answer(retrieval, region=region)

    def stream_ask(self, question: str, region: str | None = None,
                   conversation: Conversation | None = None) -> Iterator[AnswerDelta]:
        """The answer sentence by sentence, then the whole answer with its citations."""
        if self.llm is not None and comparison_of(question.strip()) is None:
            yield from self._stream_llm(question, region, conversation)
            return
        answer = (self.ask(question, region) if conversation is None
                  else self.ask_in(conversation, question, region))
        if answer.abstained or not answer.sentences:
            yield AnswerDelta(answer.text, answer)
            return
        for i, (sentence, n) in enumerate(answer.sentences):
            # A written lead (n 0) carries its items' own markers.
            piece = ("" if i == 0 else " ") + sentence + (f" [{n}]" if n else "")
            yield AnswerDelta(piece, None)
        yield AnswerDelta("", answer)

    def _stream_llm(self, question: str, region: str | None,
                    conversation: Conversation | None) -> Iterator[AnswerDelta]:
        """The LLM's checked sentences as they come, then the whole answer."""
        asked = question.strip()
        if conversation is not None:
            asked, region = self._stand_alone(conversation, question, region)
        started = time.perf_counter()
        asked, region = self._check(asked, region)
        retrieval = self.retriever.retrieve(
            analyse(asked, expand_places=self.settings.retrieval.expand_places), region=region)
        t = time.perf_counter()
        first = True
        for piece in self._answer_stream(retrieval, region):
            if isinstance(piece, str):
                yield AnswerDelta(("" if first else " ") + piece, None)
                first = False
                continue
            answer = self._finish(piece, retrieval, started, t)
            if conversation is not None:
                self._add_turn(conversation, question, asked, answer, region)
            yield AnswerDelta("", answer)

    def view(self) -> CorpusView:
        """The corpus as now committed (reloaded if another process ingested since)."""
        self.index.refresh()
        return self.index.view

    def regions(self) -> list[str]:
        self.index.refresh()
        return self.index.regions()

    def status(self) -> Status:
        view = self.view()
        return Status(len(view.documents), len(view.chunks), self.index.region_stats(),
                      self.index.last_ingested(), view.version)

    def _check(self, question: str, region: str | None) -> tuple[str, str | None]:
        """The question, trimmed, and the region as ingested ("North East" -> north-east)."""
        question = (question or "").strip()
        if not question:
            raise ClusterQAError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ClusterQAError(f"the question is too long ({len(question)} characters; "
                                 f"at most {MAX_QUESTION_CHARS})")
        if not self.view().chunks:
            raise ClusterQAError(f"nothing is ingested in {self.settings.data_dir} yet; "
                                 "run `clusterqa ingest` first")
        if not region:
            return question, None
        known = {_region_key(r): r for r in self.index.regions()}
        found = known.get(_region_key(region))
        if found is None:
            raise ClusterQAError(f"unknown region '{region}'; ingested regions: "
                                 f"{', '.join(self.index.regions())}")
        return question, found

    def _shown_source(self, source: str) -> str:
        """A file as people find it: relative to the project folder (the corpus folder's
        parent), as stored for anything else (a URL; a file outside the project)."""
        if is_url(source) or not Path(source).is_absolute():
            return source
        return display_path(source, self.settings.corpus_dir.resolve().parent)

    def close(self) -> None:
        self.index.close()


def _region_key(region: str) -> str:
    """How people write a region and how it is ingested compare equal: North East, north_east,
    the north-east, and "Yorkshire and the Humber" or "Yorkshire & Humber" and
    yorkshire-humber are one region each."""
    words = re.split(r"[\s_&-]+", region.strip().lower())
    return "-".join(w for w in words if w and w not in ("the", "and"))
