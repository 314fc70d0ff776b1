"""The read side of the store: one consistent view of the corpus for answering questions.

A view is pinned to one manifest version: its chunks, documents and BM25 index all come from
that version, and dense hits outside it (an ingest in progress) are ignored. Before each
question :meth:`CorpusIndex.refresh` checks the version (one tiny SQLite read) and reloads
when another process has committed a newer one, so readers see the old or the new corpus,
never a mixture. With a Chroma server, refresh first brings the data dir to the server's
head when another data dir's ingest moved it (see published.py).

Retrieval depends only on :class:`CorpusReader`: a view and a nearest-vector search.
:class:`CorpusIndex` is the one over the data dir; :class:`FixedCorpus` serves a view built
in memory (benchmarks that grow a store without ingesting it).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import filelock
import numpy as np

from clusterqa.entities.table import EntityTable
from clusterqa.settings import Settings
from clusterqa.store.health import check_not_emptied, check_vectors_present
from clusterqa.store.layout import StoreLayout, check_fingerprint
from clusterqa.store.lexical import LexicalIndex, lexical_params, load_current
from clusterqa.store.manifest import Manifest
from clusterqa.store.published import PUBLISHED_KEY, PublishedManifest, sync
from clusterqa.store.vectors import VectorStore
from clusterqa.store.writer import rebuild_lexical
from clusterqa.types import Chunk, StoredDocument


@dataclass(frozen=True)
class CorpusView:
    """One committed version of the corpus; a question uses one view from start to end."""

    version: int
    chunks: Mapping[str, Chunk]
    documents: Mapping[str, StoredDocument]
    lexical: LexicalIndex
    entities: EntityTable = field(default_factory=lambda: EntityTable({}, {}))
    # What answering derives from this version once and reuses (a filing's table rows):
    # it lives and dies with the view, so no other data dir's version can be served from it.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def document_of(self, chunk_id: str) -> StoredDocument:
        return self.documents[self.chunks[chunk_id].doc_id]

    def region_of(self, chunk_id: str) -> str | None:
        """The chunk's region; None too for a chunk this view does not hold (a vector the
        store returned while a commit was landing)."""
        chunk = self.chunks.get(chunk_id)
        document = self.documents.get(chunk.doc_id) if chunk else None
        return document.region if document else None


class CorpusReader(Protocol):
    """What retrieval reads: the current view, and the chunks nearest a vector."""

    @property
    def view(self) -> CorpusView: ...

    def nearest(self, vector: np.ndarray, k: int, region: str | None = None,
                docs: Collection[str] | None = None) -> list[tuple[str, float]]: ...

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``ids`` (those that exist)."""
        ...


_EMPTY = CorpusView(-1, {}, {}, LexicalIndex.build([], [], []))


@dataclass(frozen=True)
class RegionStats:
    region: str
    documents: int
    chunks: int


class CorpusIndex:
    """The corpus in a data dir, reloaded when another process commits a new version."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.layout = StoreLayout(settings.data_dir)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.layout.manifest)
        self.vectors = VectorStore(settings)
        self._lock = threading.Lock()
        self._view = _EMPTY
        try:
            # A new replica's data dir is empty until it has followed the server.
            follow_server(self.manifest, self.vectors, settings)
            check_not_emptied(self.manifest, self.vectors)
            self.refresh()
        except BaseException:
            self.close()
            raise

    @property
    def view(self) -> CorpusView:
        return self._view

    def nearest(self, vector: np.ndarray, k: int, region: str | None = None,
                docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        return self.vectors.query(vector, k, region, docs)

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self.vectors.embeddings(ids)

    def check_fingerprint(self, wanted: str) -> None:
        check_fingerprint(self.manifest, wanted, self.settings.data_dir)

    def refresh(self) -> bool:
        """Reload if another writer committed since; True when the view changed."""
        if self.manifest.replaced():
            self._reopen()
        with self._lock:
            follow_server(self.manifest, self.vectors, self.settings)
        if self.manifest.version == self._view.version:
            return False
        with self._lock:
            if self.manifest.version == self._view.version:
                return False
            with self.manifest.snapshot():
                version = self.manifest.version
                documents = {d.doc_id: d for d in self.manifest.documents()}
                chunks = self.manifest.chunks()
                facts = self.manifest.facts()
            params = lexical_params(self.settings.retrieval)
            # Not saved yet for this version (an ingest is finishing): build it in memory.
            lexical = load_current(self.layout.bm25, version, params) or \
                LexicalIndex.of_corpus(chunks, documents, params)
            if self._view is not _EMPTY:
                self.vectors.reopen()  # see the other process's writes (see vectors.py)
            check_vectors_present(len(chunks), self.vectors)
            # One assignment: a question in flight keeps the view it started with.
            self._view = CorpusView(version, {c.chunk_id: c for c in chunks}, documents, lexical,
                                    EntityTable.build(facts, documents, chunks))
            return True

    def _reopen(self) -> None:
        """The data dir was recreated under us: read the new files from scratch (version
        numbers start again, so the old view must not be mistaken for the new one)."""
        with self._lock:
            self.manifest.close()
            self.manifest = Manifest(self.layout.manifest)
            self.vectors.reopen()
            self._view = _EMPTY

    def regions(self) -> list[str]:
        return sorted({d.region for d in self._view.documents.values() if d.region})

    def region_stats(self) -> list[RegionStats]:
        view = self._view
        docs = Counter(d.region or "(none)" for d in view.documents.values())
        chunks = Counter(view.documents[c.doc_id].region or "(none)"
                         for c in view.chunks.values() if c.doc_id in view.documents)
        return [RegionStats(r, docs[r], chunks[r]) for r in sorted(docs)]

    def last_ingested(self) -> str | None:
        return max((d.ingested_at for d in self._view.documents.values()), default=None)

    def close(self) -> None:
        self.manifest.close()
        self.vectors.close()


def follow_server(manifest: Manifest, vectors: VectorStore, settings: Settings) -> bool:
    """When the server's head moved (another data dir ingested), bring the manifest and BM25
    in this data dir to it; True if it did. One request when it did not move. Skipped while
    an ingest here holds the lock: it keeps this manifest current itself, and its commits
    not yet published must not be overwritten."""
    head = PublishedManifest(vectors).head() if vectors.server else 0
    if not head or manifest.get_state(PUBLISHED_KEY) == str(head):
        return False
    lock = filelock.FileLock(StoreLayout(settings.data_dir).lock, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return False
    try:
        if not sync(manifest, PublishedManifest(vectors)):
            return False
        rebuild_lexical(manifest, StoreLayout(settings.data_dir).bm25, settings.retrieval)
        return True
    finally:
        lock.release()


class FixedCorpus:
    """A view built in memory over a vector store: never refreshed."""

    def __init__(self, view: CorpusView, vectors: VectorStore) -> None:
        self._view = view
        self._vectors = vectors

    @property
    def view(self) -> CorpusView:
        return self._view

    def nearest(self, vector: np.ndarray, k: int, region: str | None = None,
                docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        return self._vectors.query(vector, k, region, docs)

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return self._vectors.embeddings(ids)
