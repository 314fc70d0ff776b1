"""The vector store: one Chroma collection of chunk vectors (cosine), embedded or a server.

We call chromadb directly rather than through llama-index's ``ChromaVectorStore``: we need our
own stable ids, per-chunk metadata updates without re-embedding, orphan listing for crash
recovery and reopening after another process writes, and llama-index would store a second
serialized copy of every node in the metadata.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from clusterqa.errors import ConfigError, StoreDamagedError, StoreUnavailableError
from clusterqa.settings import Settings
from clusterqa.store.layout import StoreLayout
from clusterqa.types import DocumentMeta

_BATCH = 2000  # Chroma caps the records per call; stay well below it


@contextmanager
def reported(settings: Settings, path: Path) -> Iterator[None]:
    """An embedded Chroma whose files are damaged, or a Chroma server that cannot be reached,
    is one clear line saying which and what to do, not an 'unexpected InternalError'."""
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except (ChromaError, ValueError, httpx.HTTPError, ConnectionError) as exc:
        if settings.chroma_url:
            # Down, restarting or refusing us: the commit protocol leaves nothing
            # half-written (the manifest commits only after the vectors are stored).
            raise StoreUnavailableError(
                f"cannot use the Chroma server at {settings.chroma_url} "
                f"({type(exc).__name__}: {str(exc)[:160]}); check it is running, then "
                "run the command again") from exc
        if not isinstance(exc, ChromaError):
            raise
        raise StoreDamagedError(
            f"the vector store {path} cannot be read ({exc}); run `clusterqa ingest "
            "--reset` to set the damaged store aside and ingest the corpus afresh") from exc


def _reports_damage(method: Callable) -> Callable:
    @functools.wraps(method)
    def guarded(self: VectorStore, *args, **kwargs):
        with reported(self._settings, self._path):
            return method(self, *args, **kwargs)

    return guarded


class VectorStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._path = StoreLayout(settings.data_dir).chroma
        self.path = settings.chroma_url or str(self._path)
        self._client = None
        self._collection = None
        # A server's companion collection: the published manifest (see published.py).
        self.records = None
        self.reopen()

    @property
    def server(self) -> str | None:
        """The Chroma server's URL, or None for the embedded store."""
        return self._settings.chroma_url

    def reported(self) -> AbstractContextManager[None]:
        """Chroma's errors, for calls made through :attr:`records`, as this store's."""
        return reported(self._settings, self._path)

    @_reports_damage
    def reopen(self) -> None:
        """(Re)connect. An embedded Chroma keeps one cached system per path and process, whose
        view of the files goes stale when another process writes; closing the last client
        stops it, so the new client starts a fresh system that reads what is on disk now.
        (Dropping a client without closing it, as clearing Chroma's cache does, leaked its
        threads and open files on every reopen.)"""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.close()

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        url = self._settings.chroma_url
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ConfigError(f"chroma_url must look like http://host:port, got {url!r}")
            token = self._settings.chroma_token
            self._client = chromadb.HttpClient(
                host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 80),
                ssl=parsed.scheme == "https", settings=chroma_settings,
                headers={"Authorization": f"Bearer {token.get_secret_value()}"} if token else None,
            )
        else:
            self._path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(self._path),
                                                     settings=chroma_settings)
        # embedding_function=None: we always pass vectors, and Chroma's default function
        # would try to download a model.
        self._collection = self._client.get_or_create_collection(
            self._settings.collection, embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        if url:
            self.records = self._client.get_or_create_collection(
                f"{self._settings.collection}-manifest", embedding_function=None)

    def close(self) -> None:
        """Release the client (Chroma stops its system when no other client in this process
        shares it)."""
        if self._client is not None:
            self._client.close()
            self._client = self._collection = self.records = None

    @_reports_damage
    def count(self) -> int:
        return self._collection.count()

    @_reports_damage
    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._collection.get(include=[], limit=_BATCH * 5, offset=offset)["ids"]
            out.update(got)
            if len(got) < _BATCH * 5:
                return out
            offset += len(got)

    @_reports_damage
    def existing(self, ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(ids), _BATCH):
            out.update(self._collection.get(ids=list(ids[i:i + _BATCH]), include=[])["ids"])
        return out

    @_reports_damage
    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), _BATCH):
            got = self._collection.get(ids=list(ids[i:i + _BATCH]), include=["embeddings"])
            out.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32),
                           strict=True))
        return out

    @_reports_damage
    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]],
               texts: Sequence[str]) -> None:
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            self._collection.upsert(ids=list(ids[sl]), embeddings=vectors[sl],
                                    metadatas=[_clean(m) for m in metadatas[sl]],
                                    documents=list(texts[sl]))

    @_reports_damage
    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            self._collection.update(ids=list(ids[sl]), metadatas=[_clean(m) for m in metadatas[sl]])

    @_reports_damage
    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[i:i + _BATCH])

    @_reports_damage
    def query(self, vector: np.ndarray, k: int, region: str | None = None,
              docs: Collection[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` nearest chunks as (id, cosine similarity), best first; only the region's,
        and only those of ``docs`` when given."""
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, include=["distances"],
            where=chunk_filter(region, docs),
        )
        return [(cid, 1.0 - float(d))
                for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]


def chunk_metadata(doc_id: str, meta: DocumentMeta, page: int | None) -> dict[str, Any]:
    """What Chroma keeps per chunk: enough to filter on; the rest lives in the manifest."""
    return {"doc_id": doc_id, "region": meta.region, "kind": meta.kind, "page": page}


def chunk_filter(region: str | None, docs: Collection[str] | None = None
                 ) -> dict[str, Any] | None:
    """The ``where`` clause for a region and a set of documents, over what
    :func:`chunk_metadata` writes."""
    clauses = ([{"region": region}] if region else []) + (
        [{"doc_id": {"$in": sorted(docs)}}] if docs else [])
    return None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    # Chroma metadata values must be str/int/float/bool; drop the unknowns (None).
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}
