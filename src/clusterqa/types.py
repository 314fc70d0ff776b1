"""The types every stage shares: documents and their metadata, chunks, answers and citations.

A document's metadata is one type, :class:`DocumentMeta`, whether the document was just loaded
(:class:`Document`, with its pages) or is read back from the store (:class:`StoredDocument`,
with its hashes and chunk ids); every stage reads it by attribute, never by string key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based PDF page; None for formats without pages
    text: str
    # The statement or section the page presents ("Consolidated Statements of Cash Flows"),
    # when its top says so; retrieval prefers it for a question that needs that statement.
    section: str | None = None


@dataclass(frozen=True)
class DocumentMeta:
    """What a citation shows and a filter uses; the front matter or source list sets it."""

    title: str
    kind: str
    region: str | None = None
    publisher: str | None = None
    url: str | None = None
    date: str | None = None
    sources: tuple[str, ...] = ()  # a brief's own [S<n>] links, in order
    examples: tuple[str, ...] = ()  # example questions for the chat
    # What a question may name the document by (a filing's company, its tickers), and the
    # kind and period of a filing ("10-K", 2022, quarter 1): document routing reads them.
    aliases: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    form: str | None = None
    year: int | None = None
    quarter: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("sources", "examples", "aliases", "tickers"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentMeta:
        """Read back from the manifest; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("title", "")
        values.setdefault("kind", "note")
        for name in ("sources", "examples", "aliases", "tickers"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)

    @property
    def digest(self) -> str:
        """Changes when any field does: a metadata-only change re-embeds nothing."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Document:
    """A loaded document: pages of clean text and its metadata."""

    doc_id: str  # stable: the path under the corpus, or the URL
    source: str  # the file's path relative to the directory ingest ran from, or the URL
    meta: DocumentMeta
    pages: list[Page] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for page in self.pages:
            h.update(f"{page.number}\x1f{page.text}\x1e".encode())
        return h.hexdigest()

    @property
    def metadata_hash(self) -> str:
        return self.meta.digest


@dataclass(frozen=True)
class StoredDocument:
    """A document as the manifest has it: metadata, hashes and its chunk ids in order."""

    doc_id: str
    source: str
    content_hash: str
    metadata_hash: str
    meta: DocumentMeta
    pages: int
    ingested_at: str
    chunk_ids: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, doc: Document) -> StoredDocument:
        """What the manifest keeps of a loaded document (it stamps ``ingested_at``)."""
        return cls(doc.doc_id, doc.source, doc.content_hash, doc.metadata_hash, doc.meta,
                   len(doc.pages), "")

    @property
    def region(self) -> str | None:
        return self.meta.region


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    ord: int  # position of the chunk in its document
    page: int | None  # 1-based PDF page, None for formats without pages
    start: int  # character offsets of ``text`` in the page's text
    end: int
    text: str
    section: str | None = None  # its page's (see Page.section)


@dataclass(frozen=True)
class Fact:
    """One thing a document states about a named entity, with the sentence that states it.

    ``relation`` is one of: mention, kind, place, sector, founded, founded_by, acquired_by,
    raised, employs, worked_on. ``obj`` is the other name, kind, place or sector; ``value`` a
    figure as written ("£402m", "350"); ``start``/``end`` the sentence in its page's text.
    """

    subject: str
    relation: str
    obj: str | None
    value: str | None
    year: int | None
    page: int | None
    start: int
    end: int
    sentence: str


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
class Item:
    """One thing a list answer names, with where it is and the citations that show it."""

    name: str
    kind: str | None = None  # organisation, person, work, place, sector (or a firm's kind)
    place: str | None = None
    region: str | None = None
    sector: str | None = None
    citations: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "place": self.place,
                "region": self.region, "sector": self.sector, "citations": self.citations}


@dataclass
class Side:
    """One side of a comparison: its cell of quotes (each cited), or that the reports don't
    say."""

    name: str
    text: str
    citations: list[int] = field(default_factory=list)
    abstained: bool = False
    lead: str | None = None  # the items its answer names, when it is a list

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "answer": self.text, "citations": self.citations,
                "abstained": self.abstained}


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    region: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: list[tuple[str, int]] = field(default_factory=list)  # (sentence, n) in order
    items: list[Item] = field(default_factory=list)  # what a list question asked for
    # The answer's first sentence when it is written, not quoted: a list of the items
    # ("Double Eleven (Middlesbrough) [1]."); each item's citations contain its name.
    lead: str | None = None
    # In a conversation, the question as answered: a follow-up rewritten to stand alone.
    asked: str | None = None
    sides: list[Side] = field(default_factory=list)  # a comparison's, side by side
    # An LLM's sentences the passages did not support (removed from ``text``).
    unsupported: list[str] = field(default_factory=list)
    notice: str | None = None  # one line on how the answer was made, when not as asked

    def to_json(self) -> dict[str, Any]:
        out = {"question": self.question, "answer": self.text, "abstained": self.abstained,
               "citations": [c.to_json() for c in self.citations],
               "items": [i.to_json() for i in self.items], "timings_ms": self.timings_ms}
        if self.asked is not None:
            out["asked"] = self.asked
        if self.sides:
            out["sides"] = [s.to_json() for s in self.sides]
        if self.unsupported:
            out["unsupported"] = self.unsupported
        if self.notice:
            out["notice"] = self.notice
        return out
