"""Ingestion: documents -> chunks -> vectors in Chroma, chunks in the manifest, BM25 beside them.

Incremental and crash-safe. For each new or changed document:

1. embed the chunks Chroma does not have yet (unchanged chunks keep their ids and vectors),
2. upsert them into Chroma (invisible to readers: not in the manifest yet),
3. commit the document and its chunks to the manifest in one SQLite transaction,
4. delete the document's old chunks from Chroma,

and once at the end rebuild BM25 from the manifest. A crash at any point leaves the manifest
consistent; the next run deletes Chroma records the manifest does not list (orphans from 2-4),
re-embeds any the manifest lists but Chroma lacks, and rebuilds a stale BM25. One writer at a
time: a lock file in the data dir.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import filelock
import numpy as np

from clusterqa.chunking import Chunk, Chunker, with_ids
from clusterqa.documents import Document, discover, load_file
from clusterqa.embeddings import Embedder, create_embedder
from clusterqa.errors import IngestLockedError, LoadError, StoreMismatchError
from clusterqa.index import bm25_dir, build_lexical, lexical_params, manifest_path
from clusterqa.lexical import LexicalIndex
from clusterqa.manifest import DocumentRecord, Manifest
from clusterqa.settings import Settings
from clusterqa.sources import SourceList, is_url, read_source_list
from clusterqa.store import VectorStore

# Documents are embedded in groups of about this many batches: large calls let the model sort
# texts by length (little padding); each document still commits on its own.
GROUP_BATCHES = 8


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    metadata_only: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[LoadError] = field(default_factory=list)
    recovered_orphans: int = 0
    recovered_missing: int = 0
    rebuilt: int = 0  # documents re-embedded from the manifest by --rebuild
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    pages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def embedded_per_second(self) -> float:
        return self.chunks_embedded / self.embed_seconds if self.embed_seconds else 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.metadata_only or self.removed
                    or self.recovered_orphans or self.recovered_missing or self.rebuilt)


class IngestProgress:
    """Hooks the CLI uses to draw a progress bar; the default does nothing."""

    def start(self, files: int) -> None: ...

    def file_done(self, source: str) -> None: ...

    def embedded(self, chunks: int, seconds: float) -> None: ...

    def message(self, text: str) -> None: ...


def chroma_metadata(doc: DocumentRecord | Document, chunk_page: int | None) -> dict:
    """What Chroma keeps per chunk: enough to filter on; the rest lives in the manifest."""
    meta = doc.metadata if isinstance(doc, DocumentRecord) else doc.metadata()
    return {"doc_id": doc.doc_id, "region": meta.get("region"), "kind": meta.get("kind"),
            "page": chunk_page}


def embed_input(context: str, text: str) -> str:
    """The text a chunk is embedded as: its document's title, then the chunk."""
    return f"{context}\n{text}" if context else text


def embedder_name(settings: Settings) -> str:
    """What the stored vectors were made with: the model, and how chunks were presented."""
    e = settings.embedding
    name = "fake-hash" if e.backend == "fake" else f"{e.backend}:{e.model}"
    return f"{name}+title" if e.title_prefix else name


class Ingestor:
    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 progress: IngestProgress | None = None,
                 fetch: Callable[[str, dict], Document] | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.progress = progress or IngestProgress()
        self._fetch = fetch
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = filelock.FileLock(settings.data_dir / "ingest.lock", timeout=0)

    @property
    def embedder(self) -> Embedder:
        # Loaded only when something needs embedding: a no-op re-ingest stays instant.
        if self._embedder is None:
            self._embedder = create_embedder(self.settings.embedding)
        return self._embedder

    # --- entry points ---------------------------------------------------------------------

    def ingest(self, targets: Sequence[str | Path] | None = None, prune: bool = False,
               rebuild: bool = False) -> IngestReport:
        """Ingest ``targets`` (files, folders, URLs), or the source list when none are given.
        ``rebuild`` first re-embeds everything already ingested (a new model or embedding
        recipe; see ``_reembed``)."""
        source_list = read_source_list(self.settings.sources_file, self.settings.corpus_dir)
        files, urls = self._targets(targets, source_list)

        def documents(report: IngestReport) -> Iterable[Document]:
            return self._load_all(files, urls, source_list, report)

        return self._run(documents, len(files) + len(urls), prune, rebuild)

    def ingest_documents(self, documents: Iterable[Document], total: int | None = None
                         ) -> IngestReport:
        """Ingest documents built in code (benchmarks, other loaders), incrementally."""
        return self._run(lambda _report: documents, total, prune=False)

    def _run(self, documents: Callable[[IngestReport], Iterable[Document]], total: int | None,
             prune: bool, rebuild: bool = False) -> IngestReport:
        with self._locked() as (manifest, store):
            report = IngestReport()
            started = time.perf_counter()
            if rebuild:
                self._reembed(manifest, store, report)
            self._check_model(manifest)
            self._recover(manifest, store, report)
            self.progress.start(total or 0)
            seen: set[str] = set()
            group = self.settings.embedding.batch_size * GROUP_BATCHES
            pending: list[tuple[Document, list[Chunk], DocumentRecord | None]] = []
            for doc in documents(report):
                if doc.doc_id in seen:
                    continue
                seen.add(doc.doc_id)
                report.pages += len(doc.pages)
                pending.extend(self._plan(doc, manifest, store, report))
                if sum(len(c) for _, c, _ in pending) >= group:
                    self._write(pending, manifest, store, report)
                    pending = []
            self._write(pending, manifest, store, report)
            if prune:
                self._prune(manifest, store, report)
            self._rebuild_lexical(manifest)
            report.chunks_total = len(manifest.chunk_ids())
            report.seconds = time.perf_counter() - started
            return report

    def _reembed(self, manifest: Manifest, store: VectorStore, report: IngestReport) -> None:
        """Re-embed every ingested chunk with the current model and recipe, from the text the
        manifest keeps, so documents ingested from other paths or URLs are kept too.

        It goes group by group like any update (new vectors in, one manifest commit, old ids
        out), so readers keep answering throughout: each chunk has its old vector or its new
        one. Killed half way, the manifest still names the old model, and ``ingest`` asks
        for ``--rebuild`` again. A model with vectors of another size needs a new data_dir.
        """
        group = self.settings.embedding.batch_size * GROUP_BATCHES
        pending: list[tuple[DocumentRecord, list[Chunk], DocumentRecord]] = []
        records = manifest.documents()
        self.progress.start(len(records))
        for record in records:
            chunks = with_ids(record.doc_id, ((c.page, c.start, c.end, c.text)
                                              for c in manifest.chunks(record.doc_id)),
                              self._embed_context(record))
            pending.append((record, chunks, record))
            if sum(len(c) for _, c, _ in pending) >= group:
                self._write(pending, manifest, store, report, reembed=True)
                pending = []
            self.progress.file_done(record.source)
        self._write(pending, manifest, store, report, reembed=True)
        manifest.set_state("embedding_model", embedder_name(self.settings))
        report.rebuilt = len(records)

    def remove(self, doc_id: str) -> bool:
        """Remove one document from the manifest, Chroma and BM25. False if it is unknown."""
        with self._locked() as (manifest, store):
            record = manifest.document(doc_id)
            if record is None:
                return False
            manifest.remove_document(doc_id)
            store.delete(record.chunk_ids)
            self._rebuild_lexical(manifest)
            return True

    # --- steps ----------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[tuple[Manifest, VectorStore]]:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise IngestLockedError(
                f"another ingest is already running on {self.settings.data_dir}; "
                "wait for it to finish"
            ) from None
        try:
            manifest = Manifest(manifest_path(self.settings))
            try:
                yield manifest, VectorStore(self.settings)
            finally:
                manifest.close()
        finally:
            self._lock.release()

    def _check_model(self, manifest: Manifest) -> None:
        name = embedder_name(self.settings)
        stored = manifest.get_state("embedding_model")
        if stored is None or not manifest.chunk_ids():
            manifest.set_state("embedding_model", name)
        elif stored != name:
            raise StoreMismatchError(
                f"the store in {self.settings.data_dir} was embedded with '{stored}', but the "
                f"settings ask for '{name}'; run `clusterqa ingest --rebuild` to re-embed "
                "everything, or use another data_dir"
            )

    def _recover(self, manifest: Manifest, store: VectorStore, report: IngestReport) -> None:
        """Make Chroma match the manifest after an interrupted run."""
        committed = manifest.chunk_ids()
        stored = store.ids()
        orphans = stored - committed
        if orphans:
            store.delete(sorted(orphans))
            report.recovered_orphans = len(orphans)
        missing = committed - stored
        if missing:
            documents = {d.doc_id: d for d in manifest.documents()}
            chunks = [c for c in manifest.chunks() if c.chunk_id in missing]
            vectors = self._embed([embed_input(self._embed_context(documents[c.doc_id]), c.text)
                                   for c in chunks], report)
            store.upsert([c.chunk_id for c in chunks], vectors,
                         [chroma_metadata(documents[c.doc_id], c.page) for c in chunks],
                         [c.text for c in chunks])
            report.recovered_missing = len(chunks)
        if orphans or missing:
            self.progress.message(f"recovered from an interrupted ingest: removed "
                                  f"{len(orphans)} orphan chunks, restored {len(missing)}")

    def _targets(self, targets: Sequence[str | Path] | None, source_list: SourceList
                 ) -> tuple[list[Path], list[str]]:
        if not targets:
            return list(discover(source_list.paths)), list(source_list.urls)
        urls = [str(t) for t in targets if is_url(str(t))]
        paths = [Path(t) for t in targets if not is_url(str(t))]
        return list(discover(paths)), urls

    def _load_all(self, files: Iterable[Path], urls: Iterable[str], source_list: SourceList,
                  report: IngestReport) -> Iterable[Document]:
        corpus = self.settings.corpus_dir
        for path in files:
            try:
                key = _relative_key(path)
                yield load_file(path, corpus_dir=corpus, metadata=source_list.metadata_for(key))
            except LoadError as exc:
                report.failed.append(exc)  # named once, in the summary
            finally:
                self.progress.file_done(str(path))
        for url in urls:
            try:
                fetch = self._fetch
                if fetch is None:
                    from clusterqa.fetch import fetch_document as fetch
                yield fetch(url, source_list.metadata_for(url))
            except LoadError as exc:
                report.failed.append(exc)  # named once, in the summary
            finally:
                self.progress.file_done(url)

    def _plan(self, doc: Document, manifest: Manifest, store: VectorStore, report: IngestReport
              ) -> list[tuple[Document, list[Chunk], DocumentRecord | None]]:
        """Decide what a document needs; metadata-only changes are applied at once."""
        old = manifest.document(doc.doc_id)
        context = self._embed_context(doc)
        same_context = old is not None and self._embed_context(old) == context
        if old is not None and old.content_hash == doc.content_hash and same_context:
            if old.metadata_hash == doc.metadata_hash and old.source == doc.source:
                report.unchanged.append(doc.doc_id)
                return []
            pages = {c.chunk_id: c.page for c in manifest.chunks(doc.doc_id)}
            manifest.update_metadata(doc.doc_id, doc.source, doc.metadata_hash, doc.metadata())
            store.update_metadata(list(old.chunk_ids),
                                  [chroma_metadata(doc, pages.get(cid)) for cid in old.chunk_ids])
            report.metadata_only.append(doc.doc_id)
            return []
        chunks = Chunker(self.settings.chunking).chunk(doc, context)
        return [(doc, chunks, old)]

    def _embed_context(self, doc: Document | DocumentRecord) -> str:
        """What a chunk is embedded with besides its text: the document's title."""
        if not self.settings.embedding.title_prefix:
            return ""
        meta = doc.metadata if isinstance(doc, DocumentRecord) else doc.metadata()
        return str(meta.get("title") or "")

    def _write(self, pending: Sequence[tuple[Document | DocumentRecord, list[Chunk],
                                             DocumentRecord | None]],
               manifest: Manifest, store: VectorStore, report: IngestReport,
               reembed: bool = False) -> None:
        """Embed, store and commit a group of documents: vectors first, then one manifest
        commit for the group, then the old chunks go (see the module docstring). With
        ``reembed`` even chunks Chroma has are embedded again (a new model, same ids)."""
        if not pending:
            return
        all_ids = [c.chunk_id for _, chunks, _ in pending for c in chunks]
        have = set() if reembed else store.existing(all_ids)
        # Embed each distinct input once, across all documents in the group.
        todo = [(doc, c) for doc, chunks, _ in pending for c in chunks if c.chunk_id not in have]
        inputs = {c.chunk_id: embed_input(self._embed_context(doc), c.text) for doc, c in todo}
        distinct = list(dict.fromkeys(inputs.values()))
        vectors = dict(zip(distinct, self._embed(distinct, report), strict=True)) if distinct \
            else {}
        report.chunks_embedded += len(distinct)
        report.chunks_reused += len(all_ids) - len(todo)
        if todo:
            store.upsert([c.chunk_id for _, c in todo],
                         np.stack([vectors[inputs[c.chunk_id]] for _, c in todo]),
                         [chroma_metadata(doc, c.page) for doc, c in todo],
                         [c.text for _, c in todo])
        kept = [(doc, c) for doc, chunks, _ in pending for c in chunks if c.chunk_id in have]
        if kept:  # reused vectors; their metadata may have changed with the text
            store.update_metadata([c.chunk_id for _, c in kept],
                                  [chroma_metadata(doc, c.page) for doc, c in kept])
        manifest.put_documents([_record_fields(doc, chunks) for doc, chunks, _ in pending])
        stale: set[str] = set()
        for doc, chunks, old in pending:
            if old is not None:
                stale |= set(old.chunk_ids) - {c.chunk_id for c in chunks}
            if not reembed:
                (report.updated if old is not None else report.added).append(doc.doc_id)
        store.delete(sorted(stale))

    def _embed(self, texts: Sequence[str], report: IngestReport) -> np.ndarray:
        embedder = self.embedder  # loading the model is not embedding time
        started = time.perf_counter()
        vectors = embedder.embed(list(texts))
        seconds = time.perf_counter() - started
        report.embed_seconds += seconds
        self.progress.embedded(len(texts), seconds)
        return vectors

    def _prune(self, manifest: Manifest, store: VectorStore, report: IngestReport) -> None:
        for record in manifest.documents():
            if is_url(record.source) or Path(record.source).exists():
                continue
            manifest.remove_document(record.doc_id)
            store.delete(record.chunk_ids)
            report.removed.append(record.doc_id)

    def _rebuild_lexical(self, manifest: Manifest) -> None:
        directory = bm25_dir(self.settings)
        saved = LexicalIndex.load(directory)
        with manifest.snapshot():
            version = manifest.version
            if saved is not None and saved[1] == version and \
                    saved[0].params == lexical_params(self.settings):
                return
            documents = {d.doc_id: d for d in manifest.documents()}
            chunks = manifest.chunks()
        build_lexical(self.settings, chunks, documents).save(directory, version)


def _record_fields(doc: Document | DocumentRecord, chunks: list[Chunk]) -> tuple:
    """A document (freshly loaded, or as the manifest has it) as put_documents takes it."""
    if isinstance(doc, DocumentRecord):
        return (doc.doc_id, doc.source, doc.content_hash, doc.metadata_hash, doc.metadata,
                doc.pages, chunks)
    return (doc.doc_id, doc.source, doc.content_hash, doc.metadata_hash, doc.metadata(),
            len(doc.pages), chunks)


def _relative_key(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
