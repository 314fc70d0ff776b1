"""The manifest published in the Chroma server, so processes with data dirs of their own serve
one corpus from one server: any of them can ingest, and every one answers from it.

Beside the vectors (collection ``<name>``) the server holds ``<name>-manifest``:

- a record per committed document (its row, chunks and facts as JSON), never changed once
  written and named by what it holds (:func:`record_id`), so an unchanged document is not
  written again and a replica knows which ones it already has;
- ``version:<n>``, one per published version: the ids of its document records, and the state
  a replica copies (the embedder's fingerprint, the fact extractor's version);
- ``head``: the number of the last version published.

A writer publishes after each local commit: new document records, then the version, then the
head. Each write is atomic and the head moves last, so a crash leaves the old head whole and
some garbage. A replica whose data dir is behind the head fetches the records it lacks and
applies the difference in one local transaction: it answers from the old corpus or the new
one, never a mixture, and an empty data dir needs nothing but the server.

Nothing a replica may still be reading is deleted at once: the head and the version before it
are kept whole, records and vectors (a replica may have read the previous head just before it
moved on). What only older versions list is swept at the end of an ingest: their records, and
the vectors the commit protocol's step 3 would have deleted straight away in a store of one's
own. One writer at a time: the ingest lock is per data dir, so the server cannot enforce it;
:meth:`PublishedManifest.publish` refuses when another writer has moved the head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from clusterqa.errors import IngestLockedError, StoreUnavailableError
from clusterqa.store.layout import FINGERPRINT_KEY
from clusterqa.store.manifest import Manifest
from clusterqa.store.vectors import VectorStore
from clusterqa.types import Chunk, DocumentMeta, Fact, StoredDocument

PUBLISHED_KEY = "published"  # manifest state: the version of the server's this data dir holds
FACTS_KEY = "extractor"  # manifest state (ingest.FACTS_KEY): the rules the facts were found by
COPIED_STATE = (FINGERPRINT_KEY, FACTS_KEY)
_BATCH = 100  # document records per request: each carries its document's whole text
_ATTEMPTS = 5

Record = tuple[StoredDocument, list[Chunk], list[Fact]]


@dataclass(frozen=True)
class Version:
    number: int
    records: frozenset[str]
    state: dict[str, str]


class _Swept(Exception):
    """A record the head listed was deleted while we read it: the head moved on twice."""


class PublishedManifest:
    """The published manifest in the server that ``vectors`` uses (a server only)."""

    def __init__(self, vectors: VectorStore) -> None:
        self._vectors = vectors
        self.server = vectors.server

    def head(self) -> int:
        """The number of the last version published; 0 when none was."""
        with self._vectors.reported():
            got = self._vectors.records.get(ids=["head"], include=["metadatas"])
        return int(got["metadatas"][0]["version"]) if got["ids"] else 0

    def version(self, number: int) -> Version | None:
        with self._vectors.reported():
            got = self._vectors.records.get(ids=[f"version:{number}"], include=["documents"])
        if not got["ids"]:
            return None
        body = json.loads(got["documents"][0])
        return Version(number, frozenset(body["records"]), body["state"])

    def fetch(self, ids: Sequence[str]) -> dict[str, Record]:
        """The document records ``ids``; raises _Swept when one is gone."""
        out: dict[str, Record] = {}
        for i in range(0, len(ids), _BATCH):
            with self._vectors.reported():
                got = self._vectors.records.get(ids=list(ids[i:i + _BATCH]),
                                                include=["documents"])
            out.update((rid, _loads(text)) for rid, text in
                       zip(got["ids"], got["documents"], strict=True))
        if len(out) < len(set(ids)):
            raise _Swept
        return out

    # --- the writer's side (it holds the ingest lock of its data dir) ----------------------

    def publish(self, manifest: Manifest) -> int:
        """Make the head what ``manifest`` commits (nothing is written when it already is);
        returns the head's number."""
        number = self.head()
        if number and manifest.get_state(PUBLISHED_KEY) != str(number):
            raise IngestLockedError(
                f"another ingest published to the Chroma server at {self.server} "
                "while this one ran; run this one again when it has finished")
        state = _state(manifest)
        documents = {record_id(d, state): d for d in manifest.documents()}
        head = self.version(number) if number else None
        if head is not None and head.records == documents.keys() and head.state == state:
            return number
        new = [rid for rid in documents if head is None or rid not in head.records]
        for i in range(0, len(new), _BATCH):
            batch = [documents[rid] for rid in new[i:i + _BATCH]]
            self._put(new[i:i + _BATCH], [{"kind": "doc"}] * len(batch),
                      [_dumps(d, manifest.chunks(d.doc_id),
                              [f for _, f in manifest.facts(d.doc_id)]) for d in batch])
        number += 1
        self._put([f"version:{number}"], [{"kind": "version", "number": number}],
                  [json.dumps({"records": sorted(documents), "state": state})])
        self._put(["head"], [{"kind": "head", "version": number}], [""])
        manifest.set_state(PUBLISHED_KEY, str(number))
        return number

    def sweep(self, manifest: Manifest) -> int:
        """Delete what neither the head nor the version before it lists: older versions,
        their document records, and vectors that neither those two nor ``manifest`` list
        (with them, what an interrupted ingest left). Returns how many vectors it deleted."""
        number = self.head()
        kept = [v for v in (self.version(number), self.version(number - 1)) if v is not None]
        listed = frozenset().union(*(v.records for v in kept))
        garbage = [rid for rid, meta in self._entries()
                   if (meta.get("kind") == "doc" and rid not in listed)
                   or (meta.get("kind") == "version"
                       and meta.get("number") not in (number, number - 1))]
        for i in range(0, len(garbage), _BATCH * 10):
            with self._vectors.reported():
                self._vectors.records.delete(ids=garbage[i:i + _BATCH * 10])
        state = _state(manifest)
        local = {record_id(d, state) for d in manifest.documents()}
        try:
            others = self.fetch(sorted(listed - local))
        except _Swept:  # a listed record is gone: which vectors it needs is unknown
            return 0
        wanted = manifest.chunk_ids().union(*(d.chunk_ids for d, _, _ in others.values()))
        orphans = sorted(self._vectors.ids() - wanted)
        self._vectors.delete(orphans)
        return len(orphans)

    def _put(self, ids: list[str], metadatas: list[dict], documents: list[str]) -> None:
        # Chroma stores a vector with every record: these carry a constant one.
        with self._vectors.reported():
            self._vectors.records.upsert(ids=ids, embeddings=[[1.0]] * len(ids),
                                         metadatas=metadatas, documents=documents)

    def _entries(self) -> list[tuple[str, dict]]:
        out, offset, page = [], 0, _BATCH * 50
        while True:
            with self._vectors.reported():
                got = self._vectors.records.get(include=["metadatas"], limit=page,
                                                offset=offset)
            out += zip(got["ids"], got["metadatas"], strict=True)
            if len(got["ids"]) < page:
                return out
            offset += page


def sync(manifest: Manifest, published: PublishedManifest) -> bool:
    """Bring ``manifest`` to the server's head when it is behind; True if it changed. What it
    lacks is fetched first, then applied in one transaction. The caller holds the data dir's
    ingest lock (a writer's own commits must not be overwritten)."""
    for _ in range(_ATTEMPTS):
        number = published.head()
        if not number or manifest.get_state(PUBLISHED_KEY) == str(number):
            return False
        head = published.version(number)
        if head is None:
            continue  # swept: the head moved on twice since we read it
        state = _state(manifest)
        local = {record_id(d, state): d.doc_id for d in manifest.documents()}
        try:
            fetched = published.fetch(sorted(head.records - local.keys()))
        except _Swept:
            continue
        manifest.replace_documents([doc_id for rid, doc_id in local.items()
                                    if rid not in head.records],
                                   list(fetched.values()),
                                   {**head.state, PUBLISHED_KEY: str(number)})
        return True
    raise StoreUnavailableError(
        f"the corpus on the Chroma server at {published.server} changed faster "
        f"than this process could read it ({_ATTEMPTS} tries); try again")


def record_id(doc: StoredDocument, state: Mapping[str, str]) -> str:
    """A document record's name, from what it holds: a document's chunks and facts follow
    from its content, metadata and chunk ids, and the rules the facts were found by."""
    key = json.dumps([doc.doc_id, doc.source, doc.content_hash, doc.metadata_hash, doc.pages,
                      doc.ingested_at, list(doc.chunk_ids), state.get(FACTS_KEY)])
    return "doc:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _state(manifest: Manifest) -> dict[str, str]:
    return {key: value for key in COPIED_STATE
            if (value := manifest.get_state(key)) is not None}


def _dumps(doc: StoredDocument, chunks: Sequence[Chunk], facts: Sequence[Fact]) -> str:
    body = asdict(doc)
    body["meta"] = doc.meta.to_dict()
    return json.dumps({"document": body, "chunks": [asdict(c) for c in chunks],
                       "facts": [asdict(f) for f in facts]}, ensure_ascii=False)


def _loads(text: str) -> Record:
    data = json.loads(text)
    doc = data["document"]
    doc["meta"] = DocumentMeta.from_dict(doc["meta"])
    doc["chunk_ids"] = tuple(doc["chunk_ids"])
    return (StoredDocument(**doc), [Chunk(**c) for c in data["chunks"]],
            [Fact(**f) for f in data["facts"]])
