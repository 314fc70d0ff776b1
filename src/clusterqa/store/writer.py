"""The write side of the store: one writer at a time, and the commit protocol.

For each group of new or changed documents:

1. vectors for the chunks Chroma does not have yet are upserted (invisible to readers: the
   manifest does not list them yet);
2. the manifest commits the documents and their chunks in one SQLite transaction;
3. the documents' old chunks are deleted from Chroma;

and once at the end BM25 is rebuilt from the manifest. A crash at any point leaves the
manifest consistent; :meth:`StoreWriter.recover` (run at the start of every ingest) deletes
Chroma records the manifest does not list (orphans of 1-3), re-embeds any the manifest lists
but Chroma lacks, and a stale BM25 is rebuilt. One writer at a time: a lock file.

With a Chroma server (see published.py) the data dir first follows the server (another data
dir may have ingested since), each commit is published after step 2, and step 3 waits: the
old chunks' vectors are swept at the end, once no replica can still be reading them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import filelock
import numpy as np

from clusterqa.errors import IngestLockedError
from clusterqa.settings import RetrievalSettings, Settings
from clusterqa.store.health import check_not_emptied
from clusterqa.store.layout import FINGERPRINT_KEY, StoreLayout, check_fingerprint
from clusterqa.store.lexical import LexicalIndex, lexical_params, load_current
from clusterqa.store.manifest import Manifest
from clusterqa.store.published import PublishedManifest, sync
from clusterqa.store.vectors import VectorStore, chunk_metadata
from clusterqa.types import Chunk, Document, Fact, StoredDocument

# Vectors for (document, chunk) pairs, one row each, in order.
EmbedChunks = Callable[[Sequence[tuple[StoredDocument, Chunk]]], np.ndarray]


@dataclass
class Pending:
    """A document to commit with its chunks and facts, and what the manifest had before (or
    None)."""

    document: StoredDocument
    chunks: list[Chunk]
    old: StoredDocument | None
    facts: list[Fact] = field(default_factory=list)


class StoreWriter:
    """Holds the write lock while open (``with StoreWriter(settings) as writer: ...``)."""

    def __init__(self, settings: Settings, reset: bool = False) -> None:
        """With ``reset``, the store's files are first moved aside (see :meth:`set_aside`)."""
        self.settings = settings
        self.layout = StoreLayout(settings.data_dir)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = filelock.FileLock(self.layout.lock, timeout=0)
        self._reset = reset
        self.set_aside_to: Path | None = None
        self.manifest: Manifest | None = None
        self.vectors: VectorStore | None = None
        self.published: PublishedManifest | None = None
        self._swept_at = 0  # the head the last sweep kept

    def __enter__(self) -> StoreWriter:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise IngestLockedError(
                f"another ingest is already running on {self.settings.data_dir}; "
                "wait for it to finish"
            ) from None
        try:
            if self._reset:
                self.set_aside_to = self.set_aside()
            self.manifest = Manifest(self.layout.manifest)
            self.vectors = VectorStore(self.settings)
            if self.vectors.server:
                self.published = PublishedManifest(self.vectors)
                sync(self.manifest, self.published)
            check_not_emptied(self.manifest, self.vectors)
            self.manifest.make_sources_absolute(Path.cwd())
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        """Publishes what is left to publish and sweeps, after a run that went well (after
        one that did not, the next run's :meth:`recover` does)."""
        try:
            if exc_type is None and self.published is not None and \
                    self.published.publish(self.manifest) != self._swept_at:
                self.published.sweep(self.manifest)
        finally:
            self._close()

    def _close(self) -> None:
        if self.manifest is not None:
            self.manifest.close()
        if self.vectors is not None:
            self.vectors.close()
        self.manifest = self.vectors = self.published = None
        self._lock.release()

    def set_aside(self) -> Path | None:
        """Move the manifest, vectors and BM25 into ``damaged-<time>/`` in the data dir, so a
        damaged store can be rebuilt from the corpus and nothing is deleted. Returns the
        folder, or None when there was nothing to move."""
        parts = [p for p in self.layout.derived() if p.exists()]
        if not parts:
            return None
        folder = self.layout.root / f"damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        folder.mkdir(parents=True, exist_ok=True)
        for part in parts:
            part.rename(folder / part.name)
        return folder

    # --- the embedder the vectors were made with ----------------------------------------------

    def ensure_fingerprint(self, wanted: str) -> None:
        """Record ``wanted`` on an empty store; refuse a store embedded otherwise."""
        check_fingerprint(self.manifest, wanted, self.settings.data_dir)
        self.manifest.set_state(FINGERPRINT_KEY, wanted)

    def set_fingerprint(self, wanted: str) -> None:
        """After every chunk has been re-embedded with ``wanted`` (``--rebuild``)."""
        self.manifest.set_state(FINGERPRINT_KEY, wanted)

    # --- recovery -------------------------------------------------------------------------

    def recover(self, embed: EmbedChunks) -> tuple[int, int]:
        """Make Chroma match the manifest after an interrupted run; returns (orphans
        deleted, missing vectors restored). With a server, commits an interrupted run did
        not publish are published, and orphans are what the sweep finds."""
        committed = self.manifest.chunk_ids()
        stored = self.vectors.ids()
        missing = committed - stored
        if missing:
            documents = {d.doc_id: d for d in self.manifest.documents()}
            pairs = [(documents[c.doc_id], c) for c in self.manifest.chunks()
                     if c.chunk_id in missing]
            self._upsert(pairs, embed(pairs))
        if self.published is not None:
            self._swept_at = self.published.publish(self.manifest)
            return self.published.sweep(self.manifest), len(missing)
        orphans = stored - committed
        self.vectors.delete(sorted(orphans))
        return len(orphans), len(missing)

    # --- writing --------------------------------------------------------------------------

    def update_metadata(self, doc: Document, old: StoredDocument) -> None:
        """A change of front matter (or source) alone: no chunk changes, nothing embedded."""
        pages = {c.chunk_id: c.page for c in self.manifest.chunks(doc.doc_id)}
        self.manifest.update_metadata(doc.doc_id, doc.source, doc.meta)
        self.vectors.update_metadata(
            list(old.chunk_ids),
            [chunk_metadata(doc.doc_id, doc.meta, pages.get(cid)) for cid in old.chunk_ids])
        self._publish()

    def commit(self, pending: Sequence[Pending], embed: EmbedChunks, reembed: bool = False
               ) -> int:
        """Store and commit a group of documents by the protocol above; returns how many
        chunks kept the vectors Chroma had. With ``reembed`` every chunk is embedded again
        (a new model, same ids)."""
        if not pending:
            return 0
        pairs = [(p.document, c) for p in pending for c in p.chunks]
        have = set() if reembed else self.vectors.existing([c.chunk_id for _, c in pairs])
        todo = [(d, c) for d, c in pairs if c.chunk_id not in have]
        if todo:
            self._upsert(todo, embed(todo))
        kept = [(d, c) for d, c in pairs if c.chunk_id in have]
        if kept:  # reused vectors; their metadata may have changed with the text
            self.vectors.update_metadata([c.chunk_id for _, c in kept],
                                         [chunk_metadata(d.doc_id, d.meta, c.page)
                                          for d, c in kept])
        self.manifest.put_documents([(p.document, p.chunks, p.facts) for p in pending])
        if self._publish():
            return len(kept)  # step 3 waits for the sweep
        stale: set[str] = set()
        for p in pending:
            if p.old is not None:
                stale |= set(p.old.chunk_ids) - {c.chunk_id for c in p.chunks}
        self.vectors.delete(sorted(stale))
        return len(kept)

    def _publish(self) -> bool:
        """Publish the manifest to the server, if there is one; True if there is."""
        if self.published is not None:
            self.published.publish(self.manifest)
        return self.published is not None

    def _upsert(self, pairs: Sequence[tuple[StoredDocument, Chunk]], vectors: np.ndarray
                ) -> None:
        self.vectors.upsert([c.chunk_id for _, c in pairs], vectors,
                            [chunk_metadata(d.doc_id, d.meta, c.page) for d, c in pairs],
                            [c.text for _, c in pairs])

    def remove(self, record: StoredDocument) -> None:
        """Remove one document: manifest first (readers stop seeing it), then its vectors
        (with a server, at the sweep)."""
        self.manifest.remove_document(record.doc_id)
        if not self._publish():
            self.vectors.delete(record.chunk_ids)

    def rebuild_lexical(self) -> None:
        rebuild_lexical(self.manifest, self.layout.bm25, self.settings.retrieval)


def rebuild_lexical(manifest: Manifest, directory: Path, retrieval: RetrievalSettings) -> None:
    """Rebuild BM25 from the manifest unless the saved one is current. (The caller holds the
    ingest lock: two saves at once would collide.)"""
    params = lexical_params(retrieval)
    with manifest.snapshot():
        version = manifest.version
        if load_current(directory, version, params) is not None:
            return
        documents = {d.doc_id: d for d in manifest.documents()}
        chunks = manifest.chunks()
    LexicalIndex.of_corpus(chunks, documents, params).save(directory, version)
