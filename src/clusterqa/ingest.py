"""Ingestion, orchestrated: targets -> documents -> plan -> embed -> the store's writer.

Only new or changed documents are chunked and embedded (unchanged chunks keep their ids and
vectors); a change of metadata alone re-embeds nothing. How the result is committed, and
repaired after a crash, is the writer's business (see store/writer.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clusterqa import embeddings
from clusterqa.embeddings import Embedder
from clusterqa.entities.extract import EXTRACTOR_VERSION, extract
from clusterqa.errors import LoadError
from clusterqa.loading.chunking import Chunker, embed_context, with_ids
from clusterqa.loading.files import discover, load_file, printable, refuse_links_out_of
from clusterqa.loading.sources import SourceList, is_url, read_source_list
from clusterqa.settings import Settings
from clusterqa.store.layout import fingerprint
from clusterqa.store.writer import Pending, StoreWriter
from clusterqa.types import Chunk, Document, DocumentMeta, Fact, Page, StoredDocument

FACTS_KEY = "extractor"  # the manifest state naming the rules its facts were found with

# Documents are embedded in groups of about this many batches: large calls let the model sort
# texts by length (little padding); each group commits in one manifest transaction.
GROUP_BATCHES = 16


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
    set_aside_to: Path | None = None  # where --reset moved the old store
    chunks_total: int = 0
    chunks_embedded: int = 0
    chunks_reused: int = 0
    pages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    extract_seconds: float = 0.0  # finding entities and facts

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


def pages_of(chunks: Sequence[Chunk]) -> list[Page]:
    """Pages rebuilt from their chunks (which keep their offsets): each chunk's text at its
    place, the few characters no chunk covers (blank lines between them) as newlines."""
    by_page: dict[int | None, list[str]] = {}
    for chunk in chunks:
        text = by_page.setdefault(chunk.page, [])
        if len(text) < chunk.end:
            text.extend("\n" * (chunk.end - len(text)))
        text[chunk.start:chunk.end] = chunk.text
    return [Page(number, "".join(chars)) for number, chars in by_page.items()]


def embed_input(context: str, text: str) -> str:
    """The text a chunk is embedded as: its document's title, then the chunk."""
    return f"{context}\n{text}" if context else text


class Ingestor:
    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 progress: IngestProgress | None = None,
                 fetch: Callable[[str, dict], Document] | None = None) -> None:
        self.settings = settings
        # Cheap to make: the model's weights load on the first text to embed, so a no-op
        # re-ingest stays instant.
        self.embedder = embedder or embeddings.create_embedder(settings.embedding)
        self.progress = progress or IngestProgress()
        self._fetch = fetch
        self._group = settings.embedding.batch_size * GROUP_BATCHES

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.embedder.name, self.settings.embedding.title_prefix)

    # --- entry points ---------------------------------------------------------------------

    def ingest(self, targets: Sequence[str | Path] | None = None, prune: bool = False,
               rebuild: bool = False, reset: bool = False) -> IngestReport:
        """Ingest ``targets`` (files, folders, URLs), or the source list when none are given.
        ``rebuild`` first re-embeds everything already ingested (a new model or embedding
        recipe; see ``_reembed``); ``reset`` first sets the store aside (a damaged one)."""
        source_list = read_source_list(self.settings.sources_file, self.settings.corpus_dir)
        files, urls = self._targets(targets, source_list)

        def documents(report: IngestReport) -> Iterable[Document]:
            return self._load_all(files, urls, source_list, report)

        return self._run(documents, len(files) + len(urls), prune, rebuild, reset)

    def ingest_documents(self, documents: Iterable[Document], total: int | None = None
                         ) -> IngestReport:
        """Ingest documents built in code (benchmarks, other loaders), incrementally."""
        return self._run(lambda _report: documents, total, prune=False)

    def remove(self, doc_id: str) -> bool:
        """Remove one document from the manifest, Chroma and BM25. False if it is unknown."""
        with StoreWriter(self.settings) as writer:
            record = writer.manifest.document(doc_id)
            if record is None:
                return False
            writer.remove(record)
            writer.rebuild_lexical()
            return True

    def _run(self, documents: Callable[[IngestReport], Iterable[Document]], total: int | None,
             prune: bool, rebuild: bool = False, reset: bool = False) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        embed = self._embed_chunks(report)
        with StoreWriter(self.settings, reset=reset) as writer:
            report.set_aside_to = writer.set_aside_to
            if rebuild:
                self._reembed(writer, embed, report)
            writer.ensure_fingerprint(self.fingerprint)
            if writer.manifest.version == 0 and writer.manifest.get_state(FACTS_KEY) is None:
                # A new store's facts all come from this run's extractor: without this, a
                # first ingest extracted every document's facts twice (_refresh_facts).
                writer.manifest.set_state(FACTS_KEY, EXTRACTOR_VERSION)
            report.recovered_orphans, report.recovered_missing = writer.recover(embed)
            if report.recovered_orphans or report.recovered_missing:
                self.progress.message(
                    f"recovered from an interrupted ingest: removed {report.recovered_orphans}"
                    f" orphan chunks, restored {report.recovered_missing}")
            self.progress.start(total or 0)
            seen: set[str] = set()
            pending: list[Pending] = []
            for doc in documents(report):
                if doc.doc_id in seen:
                    continue
                seen.add(doc.doc_id)
                report.pages += len(doc.pages)
                pending.extend(self._plan(doc, writer, report))
                if sum(len(p.chunks) for p in pending) >= self._group:
                    self._commit(writer, pending, embed, report)
                    pending = []
            self._commit(writer, pending, embed, report)
            if prune:
                self._prune(writer, report)
            self._refresh_facts(writer, report)
            writer.rebuild_lexical()
            report.chunks_total = len(writer.manifest.chunk_ids())
        report.seconds = time.perf_counter() - started
        return report

    # --- steps ----------------------------------------------------------------------------

    def _targets(self, targets: Sequence[str | Path] | None, source_list: SourceList
                 ) -> tuple[list[tuple[Path, Path | None]], list[str]]:
        """Files, each with the folder it was found in (None when named itself), and URLs."""
        if not targets:
            paths, urls = source_list.paths, list(source_list.urls)
        else:
            urls = [str(t) for t in targets if is_url(str(t))]
            paths = [Path(t) for t in targets if not is_url(str(t))]
        files = [(found, path if path.is_dir() else None)
                 for path in paths for found in discover([path])]
        return files, urls

    def _load_all(self, files: Iterable[tuple[Path, Path | None]], urls: Iterable[str],
                  source_list: SourceList, report: IngestReport) -> Iterator[Document]:
        corpus = self.settings.corpus_dir
        limit = int(self.settings.ingest.max_file_mb * 2**20)
        for path, folder in files:
            try:
                if folder is not None and not self.settings.ingest.follow_symlinks:
                    refuse_links_out_of(path, folder)
                yield load_file(path, corpus_dir=corpus, metadata=source_list.metadata_for(path),
                                max_bytes=limit)
            except LoadError as exc:
                report.failed.append(exc)  # named once, in the summary
            finally:
                self.progress.file_done(printable(str(path)))
        for url in urls:
            try:
                fetch = self._fetch
                if fetch is None:
                    from clusterqa.loading.fetch import fetch_document as fetch
                yield fetch(url, source_list.metadata_for(url),
                            timeout=self.settings.ingest.fetch_timeout_s, max_bytes=limit)
            except LoadError as exc:
                report.failed.append(exc)  # named once, in the summary
            finally:
                self.progress.file_done(url)

    def _plan(self, doc: Document, writer: StoreWriter, report: IngestReport) -> list[Pending]:
        """What a document needs; a change of metadata alone is applied at once."""
        old = writer.manifest.document(doc.doc_id)
        if old is None:
            # The same file reached another way (from another working directory, or from
            # outside the corpus folder) is the same document: it keeps its id.
            old = writer.manifest.document_by_source(doc.source)
            if old is not None:
                doc.doc_id = old.doc_id
        context = self._context(doc.meta)
        if old is not None and old.content_hash == doc.content_hash and \
                self._context(old.meta) == context:
            if old.metadata_hash == doc.metadata_hash and old.source == doc.source:
                report.unchanged.append(doc.doc_id)
            else:
                writer.update_metadata(doc, old)
                report.metadata_only.append(doc.doc_id)
            return []
        try:
            chunks = Chunker(self.settings.chunking).chunk(doc, context)
        except Exception as exc:  # NLTK's regex timeout on one endless line, say
            report.failed.append(LoadError(doc.source, f"could not be split into passages "
                                                       f"({type(exc).__name__}: {exc})"))
            return []
        return [Pending(StoredDocument.from_document(doc), chunks, old,
                        self._facts(doc, report))]

    def _facts(self, doc: Document, report: IngestReport) -> list[Fact]:
        started = time.perf_counter()
        try:
            return extract(doc)
        finally:
            report.extract_seconds += time.perf_counter() - started

    def _refresh_facts(self, writer: StoreWriter, report: IngestReport) -> None:
        """Facts for every document when the extractor's rules changed since they were
        stored: from the text the manifest keeps, nothing re-embedded."""
        if writer.manifest.get_state(FACTS_KEY) == EXTRACTOR_VERSION:
            return
        facts = {}
        for record in writer.manifest.documents():
            chunks = writer.manifest.chunks(record.doc_id)
            doc = Document(record.doc_id, record.source, record.meta, pages_of(chunks))
            facts[record.doc_id] = self._facts(doc, report)
        writer.manifest.replace_facts(facts)
        writer.manifest.set_state(FACTS_KEY, EXTRACTOR_VERSION)

    def _commit(self, writer: StoreWriter, pending: list[Pending], embed, report: IngestReport
                ) -> None:
        report.chunks_reused += writer.commit(pending, embed)
        for p in pending:
            (report.updated if p.old is not None else report.added).append(p.document.doc_id)

    def _reembed(self, writer: StoreWriter, embed, report: IngestReport) -> None:
        """Re-embed every ingested chunk with the current model and recipe, from the text the
        manifest keeps, so documents ingested from other paths or URLs are kept too.

        It goes group by group like any update (new vectors in, one manifest commit, old ids
        out), so readers keep answering throughout: each chunk has its old vector or its new
        one. Killed half way, the manifest still names the old model, and ``ingest`` asks
        for ``--rebuild`` again. A model with vectors of another size needs a new data_dir.
        """
        records = writer.manifest.documents()
        self.progress.start(len(records))
        pending: list[Pending] = []
        for record in records:
            stored = writer.manifest.chunks(record.doc_id)
            chunks = with_ids(record.doc_id, ((c.page, c.start, c.end, c.text) for c in stored),
                              self._context(record.meta), {c.page: c.section for c in stored})
            facts = [f for _, f in writer.manifest.facts(record.doc_id)]
            pending.append(Pending(record, chunks, record, facts))
            if sum(len(p.chunks) for p in pending) >= self._group:
                writer.commit(pending, embed, reembed=True)
                pending = []
            self.progress.file_done(record.source)
        writer.commit(pending, embed, reembed=True)
        writer.set_fingerprint(self.fingerprint)
        report.rebuilt = len(records)

    def _prune(self, writer: StoreWriter, report: IngestReport) -> None:
        """Remove documents whose file is gone. Only an absolute path is checked: a URL, or
        a path an old store kept relative to somewhere unknown, is never pruned."""
        for record in writer.manifest.documents():
            path = Path(record.source)
            if is_url(record.source) or not path.is_absolute() or path.exists():
                continue
            writer.remove(record)
            report.removed.append(record.doc_id)

    def _context(self, meta: DocumentMeta) -> str:
        """What a chunk is embedded with besides its text: the document's title."""
        return meta.title if self.settings.embedding.title_prefix else ""

    def _embed_chunks(self, report: IngestReport):
        """The writer's embedding callback: each distinct input embedded once, timed."""

        def embed(pairs: Sequence[tuple[StoredDocument, Chunk]]) -> np.ndarray:
            inputs = [embed_input(embed_context(self._context(d.meta), c), c.text)
                      for d, c in pairs]
            distinct = list(dict.fromkeys(inputs))
            started = time.perf_counter()
            vectors = self.embedder.embed(distinct)
            seconds = time.perf_counter() - started
            report.embed_seconds += seconds
            report.chunks_embedded += len(distinct)
            self.progress.embedded(len(distinct), seconds)
            row = {text: i for i, text in enumerate(distinct)}
            return vectors[[row[text] for text in inputs]]

        return embed


