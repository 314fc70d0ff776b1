"""The wiring point: settings -> store, embedder, retriever, answerer -> ``ask``.

The CLI, the Gradio app and the eval runner all go through :class:`Assistant`; none of them
knows how retrieval or answering works.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from clusterqa import embeddings
from clusterqa.analysis import analyse
from clusterqa.answer import Answerer, ExtractiveAnswerer
from clusterqa.embeddings import Embedder
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
        return self.ask_with_retrieval(question, region)[0]

    def ask_with_retrieval(self, question: str, region: str | None = None,
                           depth: int | None = None) -> tuple[Answer, Retrieval]:
        """The answer and the ranked passages behind it (``depth`` of them; the answerer
        reads the first ``answering.passages``). The eval runner scores both."""
        started = time.perf_counter()
        question, region = self._check(question, region)
        analysed = analyse(question, expand_places=self.settings.retrieval.expand_places)
        retrieval = self.retriever.retrieve(analysed, region=region, k=depth)
        t = time.perf_counter()
        answer = self.answerer.answer(retrieval, region=region)
        for citation in answer.citations:
            citation.source = self._shown_source(citation.source)
        answer.timings_ms = {
            **retrieval.timings_ms,
            "answer": round((time.perf_counter() - t) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        return answer, retrieval

    def stream_ask(self, question: str, region: str | None = None) -> Iterator[AnswerDelta]:
        """The answer sentence by sentence, then the whole answer with its citations."""
        answer = self.ask(question, region)
        if answer.abstained or not answer.sentences:
            yield AnswerDelta(answer.text, answer)
            return
        for i, (sentence, n) in enumerate(answer.sentences):
            # A written lead (n 0) carries its items' own markers.
            piece = ("" if i == 0 else " ") + sentence + (f" [{n}]" if n else "")
            yield AnswerDelta(piece, None)
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
    """How people write a region and how it is ingested compare equal: North East, north_east
    and north-east are one region."""
    return re.sub(r"[\s_-]+", "-", region.strip().lower())
