"""The read side of the store: one consistent view of the corpus for answering questions.

A view is pinned to one manifest version: its chunks, documents and BM25 index all come from
that version, and dense hits outside it (an ingest in progress) are ignored. Before each
question the view checks the version (one tiny SQLite read) and reloads when another process
has committed a newer one, so readers see the old or the new corpus, never a mixture.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from clusterqa.lexical import LexicalIndex
from clusterqa.manifest import ChunkRecord, DocumentRecord, Manifest
from clusterqa.settings import Settings
from clusterqa.store import VectorStore


def manifest_path(settings: Settings) -> Path:
    return settings.data_dir / "manifest.sqlite"


def bm25_dir(settings: Settings) -> Path:
    return settings.data_dir / "bm25"


def lexical_text(chunk: ChunkRecord, document: DocumentRecord | None, title_weight: int = 1
                 ) -> str:
    """What BM25 indexes: the chunk, after its document's title (repeated to weigh more)."""
    title = document.metadata.get("title", "") if document else ""
    return f"{(title + ' ') * title_weight}\n{chunk.text}" if title else chunk.text


def lexical_params(settings: Settings) -> dict:
    r = settings.retrieval
    return {"k1": r.bm25_k1, "b": r.bm25_b, "method": r.bm25_method,
            "title_weight": r.title_weight}


def build_lexical(settings: Settings, chunks: list[ChunkRecord],
                  documents: Mapping[str, DocumentRecord]) -> LexicalIndex:
    params = lexical_params(settings)
    return LexicalIndex.build(
        [c.chunk_id for c in chunks],
        [lexical_text(c, documents.get(c.doc_id), params["title_weight"]) for c in chunks],
        [documents[c.doc_id].region if c.doc_id in documents else None for c in chunks],
        k1=params["k1"], b=params["b"], method=params["method"], params=params,
    )


@dataclass(frozen=True)
class CorpusView:
    """One committed version of the corpus; a question uses one view from start to end."""

    version: int
    chunks: Mapping[str, ChunkRecord]
    documents: Mapping[str, DocumentRecord]
    lexical: LexicalIndex


@dataclass(frozen=True)
class RegionStats:
    region: str
    documents: int
    chunks: int


class CorpusIndex:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(manifest_path(settings))
        self.vectors = VectorStore(settings)
        self._lock = threading.Lock()
        self._view = CorpusView(-1, {}, {}, LexicalIndex.build([], [], []))
        self.refresh()

    @property
    def view(self) -> CorpusView:
        return self._view

    @property
    def version(self) -> int:
        return self._view.version

    @property
    def chunks(self) -> Mapping[str, ChunkRecord]:
        return self._view.chunks

    @property
    def documents(self) -> Mapping[str, DocumentRecord]:
        return self._view.documents

    def refresh(self) -> bool:
        """Reload if another writer committed since; True when the view changed."""
        if self.manifest.version == self.version:
            return False
        with self._lock:
            if self.manifest.version == self.version:
                return False
            with self.manifest.snapshot():
                version = self.manifest.version
                documents = {d.doc_id: d for d in self.manifest.documents()}
                chunks = self.manifest.chunks()
            lexical = self._load_lexical(version, chunks, documents)
            if self.version != -1:
                self.vectors.reopen()  # see the other process's writes (see store.py)
            # One assignment: a question in flight keeps the view it started with.
            self._view = CorpusView(version, {c.chunk_id: c for c in chunks}, documents, lexical)
            return True

    def _load_lexical(self, version: int, chunks: list[ChunkRecord],
                      documents: dict[str, DocumentRecord]) -> LexicalIndex:
        saved = LexicalIndex.load(bm25_dir(self.settings))
        if saved is not None and saved[1] == version and \
                saved[0].params == lexical_params(self.settings):
            return saved[0]
        # Not saved yet for this version (an ingest is finishing): build it in memory.
        return build_lexical(self.settings, chunks, documents)

    def regions(self) -> list[str]:
        return sorted({d.region for d in self.documents.values() if d.region})

    def region_stats(self) -> list[RegionStats]:
        docs = Counter(d.region or "(none)" for d in self.documents.values())
        chunks = Counter(self.documents[c.doc_id].region or "(none)"
                         for c in self.chunks.values() if c.doc_id in self.documents)
        return [RegionStats(r, docs[r], chunks[r]) for r in sorted(docs)]

    def last_ingested(self) -> str | None:
        return max((d.ingested_at for d in self.documents.values()), default=None)

    def close(self) -> None:
        self.manifest.close()
