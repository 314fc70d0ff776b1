"""The ingest manifest: what is ingested, and the one place that says what is committed.

A SQLite file in the data dir holds every document (source, content hash, metadata, when) and
its chunks (text, page, offsets). Chroma and the BM25 index are derived from it: a chunk is
part of the corpus only once its document's manifest row is committed, and every commit bumps
``version``, which readers watch to reopen their view. SQLite gives us atomic commits and safe
concurrent readers for free, which is what makes ingest crash-safe.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from clusterqa.errors import StoreDamagedError
from clusterqa.types import Chunk, DocumentMeta, Fact, StoredDocument

RESET_ADVICE = ("run `clusterqa ingest --reset` to set the damaged store aside and ingest the "
                "corpus afresh")


def _reports_damage(method: Callable) -> Callable:
    """A damaged SQLite file (truncated, overwritten) is a clear error naming the manifest
    and its repair, not an 'unexpected DatabaseError'. A busy database is not damage."""

    @functools.wraps(method)
    def guarded(self: Manifest, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:
            raise StoreDamagedError(f"the manifest {self.path} is damaged ({exc}); "
                                    f"{RESET_ADVICE}") from exc

    return guarded

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    metadata_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    pages INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    page INTEGER,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ord);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    relation TEXT NOT NULL,
    obj TEXT,
    value TEXT,
    year INTEGER,
    page INTEGER,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    sentence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts(doc_id);
"""


class Manifest:
    @_reports_damage
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        if "section" not in columns:  # stores made before sections were kept
            self._db.execute("ALTER TABLE chunks ADD COLUMN section TEXT")
        stat = path.stat()
        self._identity = (stat.st_dev, stat.st_ino)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self.get_state("version") or 0)

    @_reports_damage
    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    @_reports_damage
    def documents(self) -> list[StoredDocument]:
        ids: dict[str, list[str]] = {}
        for chunk_id, doc_id in self._db.execute(
            "SELECT chunk_id, doc_id FROM chunks ORDER BY doc_id, ord"
        ):
            ids.setdefault(doc_id, []).append(chunk_id)
        rows = self._db.execute(
            "SELECT doc_id, source, content_hash, metadata_hash, metadata, pages, ingested_at"
            " FROM documents ORDER BY doc_id"
        ).fetchall()
        return [_stored(row, tuple(ids.get(row[0], ()))) for row in rows]

    @_reports_damage
    def document(self, doc_id: str) -> StoredDocument | None:
        row = self._db.execute(
            "SELECT doc_id, source, content_hash, metadata_hash, metadata, pages, ingested_at"
            " FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        if row is None:
            return None
        ids = tuple(r[0] for r in self._db.execute(
            "SELECT chunk_id FROM chunks WHERE doc_id=? ORDER BY ord", (doc_id,)))
        return _stored(row, ids)

    @_reports_damage
    def document_by_source(self, source: str) -> StoredDocument | None:
        """The document ingested from ``source`` (an absolute path or a URL), if any."""
        row = self._db.execute("SELECT doc_id FROM documents WHERE source=?",
                               (source,)).fetchone()
        return self.document(row[0]) if row else None

    @_reports_damage
    def chunks(self, doc_id: str | None = None) -> list[Chunk]:
        query = 'SELECT chunk_id, doc_id, ord, page, start, "end", text, section FROM chunks'
        if doc_id is None:
            rows = self._db.execute(query + " ORDER BY doc_id, ord").fetchall()
        else:
            rows = self._db.execute(query + " WHERE doc_id=? ORDER BY ord", (doc_id,)).fetchall()
        return [Chunk(*row) for row in rows]

    @_reports_damage
    def initialized(self) -> bool:
        """Whether anything was ever written (an ingest records its embedder first)."""
        return self._db.execute("SELECT 1 FROM state LIMIT 1").fetchone() is not None

    def replaced(self) -> bool:
        """Whether the file this connection reads was deleted or replaced since it opened
        (the data dir recreated under a running chat)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return True
        return (stat.st_dev, stat.st_ino) != self._identity

    @_reports_damage
    def facts(self, doc_id: str | None = None) -> list[tuple[str, Fact]]:
        """(doc_id, fact) for one document or all, in document and reading order."""
        query = ('SELECT doc_id, subject, relation, obj, value, year, page, start, "end", '
                 "sentence FROM facts")
        rows = (self._db.execute(query + " ORDER BY doc_id, rowid").fetchall() if doc_id is None
                else self._db.execute(query + " WHERE doc_id=? ORDER BY rowid",
                                      (doc_id,)).fetchall())
        return [(row[0], Fact(*row[1:])) for row in rows]

    @_reports_damage
    def has_chunks(self) -> bool:
        return self._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None

    @_reports_damage
    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT chunk_id FROM chunks")}

    @contextmanager
    def snapshot(self) -> Iterator[Manifest]:
        """A consistent view across several reads (one read transaction)."""
        self._db.execute("BEGIN")
        try:
            yield self
        finally:
            self._db.execute("COMMIT")

    # --- writing (callers hold the ingest lock) -----------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute(
                "INSERT INTO state(key, value) VALUES('version', '1') ON CONFLICT(key)"
                " DO UPDATE SET value = CAST(value AS INTEGER) + 1"
            )
            self._db.execute("COMMIT")

    @_reports_damage
    def put_documents(self, documents: Sequence[tuple[StoredDocument, Sequence[Chunk],
                                                      Sequence[Fact]]]) -> None:
        """Replace documents, all their chunks and facts, in one atomic commit."""
        now = _now()
        with self._transaction() as db:
            for doc, chunks, facts in documents:
                self._insert_document(db, doc, chunks, facts, now)

    def _insert_document(self, db: sqlite3.Connection, doc: StoredDocument,
                         chunks: Sequence[Chunk], facts: Sequence[Fact], ingested_at: str
                         ) -> None:
        db.execute("DELETE FROM documents WHERE doc_id=?", (doc.doc_id,))
        db.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc.doc_id, doc.source, doc.content_hash, doc.metadata_hash,
             json.dumps(doc.meta.to_dict(), ensure_ascii=False), doc.pages, ingested_at),
        )
        db.executemany(
            'INSERT INTO chunks (chunk_id, doc_id, ord, page, start, "end", text, section) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.chunk_id, doc.doc_id, c.ord, c.page, c.start, c.end, c.text, c.section)
             for c in chunks],
        )
        self._insert_facts(db, doc.doc_id, facts)

    def _insert_facts(self, db: sqlite3.Connection, doc_id: str, facts: Sequence[Fact]) -> None:
        db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(doc_id, f.subject, f.relation, f.obj, f.value, f.year, f.page, f.start,
                         f.end, f.sentence) for f in facts])

    @_reports_damage
    def replace_facts(self, facts: dict[str, Sequence[Fact]]) -> None:
        """New facts for documents whose text is unchanged (the extractor changed), in one
        commit."""
        with self._transaction() as db:
            for doc_id, doc_facts in facts.items():
                db.execute("DELETE FROM facts WHERE doc_id=?", (doc_id,))
                self._insert_facts(db, doc_id, doc_facts)

    @_reports_damage
    def update_metadata(self, doc_id: str, source: str, meta: DocumentMeta) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE documents SET source=?, metadata_hash=?, metadata=?, ingested_at=?"
                " WHERE doc_id=?",
                (source, meta.digest, json.dumps(meta.to_dict(), ensure_ascii=False), _now(),
                 doc_id),
            )

    @_reports_damage
    def replace_documents(self, remove: Sequence[str],
                          put: Sequence[tuple[StoredDocument, Sequence[Chunk], Sequence[Fact]]],
                          state: dict[str, str]) -> None:
        """Documents as another store committed them, in one commit (readers see all of it or
        none): ``remove`` deleted, ``put`` added or replaced keeping their ``ingested_at``,
        ``state`` recorded."""
        with self._transaction() as db:
            db.executemany("DELETE FROM documents WHERE doc_id=?", [(d,) for d in remove])
            for doc, chunks, facts in put:
                self._insert_document(db, doc, chunks, facts, doc.ingested_at)
            db.executemany("INSERT INTO state(key, value) VALUES(?, ?) ON CONFLICT(key) "
                           "DO UPDATE SET value=excluded.value", list(state.items()))

    @_reports_damage
    def make_sources_absolute(self, base: Path) -> None:
        """Stores before 0.2 kept a file's path relative to where ingest ran; make each one
        absolute (against ``base``) when that names an existing file. A path that cannot be
        placed is left as it was (and never pruned: see Ingestor._prune)."""
        rows = self._db.execute("SELECT doc_id, source FROM documents").fetchall()
        moved = [(Path(base, source).resolve().as_posix(), doc_id) for doc_id, source in rows
                 if "://" not in source and not Path(source).is_absolute()
                 and Path(base, source).is_file()]
        if moved:
            with self._transaction() as db:
                db.executemany("UPDATE documents SET source=? WHERE doc_id=?", moved)

    @_reports_damage
    def remove_document(self, doc_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))

    @_reports_damage
    def set_state(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO state(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=?",
            (key, value, value),
        )


def _stored(row: tuple, chunk_ids: tuple[str, ...]) -> StoredDocument:
    doc_id, source, content_hash, metadata_hash, metadata, pages, ingested_at = row
    return StoredDocument(doc_id, source, content_hash, metadata_hash,
                          DocumentMeta.from_dict(json.loads(metadata)), pages, ingested_at,
                          chunk_ids)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
