"""The vector store: one Chroma collection of chunk vectors (cosine), embedded or a server.

We call chromadb directly rather than through llama-index's ``ChromaVectorStore``: we need our
own stable ids, per-chunk metadata updates without re-embedding, orphan listing for crash
recovery and reopening after another process writes, and llama-index would store a second
serialized copy of every node in the metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clusterqa.errors import ConfigError
from clusterqa.settings import Settings
from clusterqa.store.layout import StoreLayout
from clusterqa.types import DocumentMeta

_BATCH = 2000  # Chroma caps the records per call; stay well below it


class VectorStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._path = StoreLayout(settings.data_dir).chroma
        self._client = None
        self._collection = None
        self.reopen(clear_cache=False)

    def reopen(self, clear_cache: bool = True) -> None:
        """(Re)connect. An embedded client caches its view per process, so a reader reopens
        with ``clear_cache`` to see what another process wrote."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        url = self._settings.chroma_url
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ConfigError(f"chroma_url must look like http://host:port, got {url!r}")
            self._client = chromadb.HttpClient(
                host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 80),
                ssl=parsed.scheme == "https", settings=chroma_settings,
            )
        else:
            if clear_cache:
                from chromadb.api.shared_system_client import SharedSystemClient

                SharedSystemClient.clear_system_cache()
            self._path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(self._path),
                                                     settings=chroma_settings)
        # embedding_function=None: we always pass vectors, and Chroma's default function
        # would try to download a model.
        self._collection = self._client.get_or_create_collection(
            self._settings.collection, embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._collection.get(include=[], limit=_BATCH * 5, offset=offset)["ids"]
            out.update(got)
            if len(got) < _BATCH * 5:
                return out
            offset += len(got)

    def existing(self, ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for i in range(0, len(ids), _BATCH):
            out.update(self._collection.get(ids=list(ids[i:i + _BATCH]), include=[])["ids"])
        return out

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), _BATCH):
            got = self._collection.get(ids=list(ids[i:i + _BATCH]), include=["embeddings"])
            out.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32),
                           strict=True))
        return out

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]],
               texts: Sequence[str]) -> None:
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            self._collection.upsert(ids=list(ids[sl]), embeddings=vectors[sl],
                                    metadatas=[_clean(m) for m in metadatas[sl]],
                                    documents=list(texts[sl]))

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            self._collection.update(ids=list(ids[sl]), metadatas=[_clean(m) for m in metadatas[sl]])

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[i:i + _BATCH])

    def query(self, vector: np.ndarray, k: int, region: str | None = None
              ) -> list[tuple[str, float]]:
        """The ``k`` nearest chunks as (id, cosine similarity), best first."""
        if k <= 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, include=["distances"],
            where=region_filter(region),
        )
        return [(cid, 1.0 - float(d))
                for cid, d in zip(result["ids"][0], result["distances"][0], strict=True)]


def chunk_metadata(doc_id: str, meta: DocumentMeta, page: int | None) -> dict[str, Any]:
    """What Chroma keeps per chunk: enough to filter on; the rest lives in the manifest."""
    return {"doc_id": doc_id, "region": meta.region, "kind": meta.kind, "page": page}


def region_filter(region: str | None) -> dict[str, Any] | None:
    """The ``where`` clause for a region, over what :func:`chunk_metadata` writes."""
    return {"region": region} if region else None


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    # Chroma metadata values must be str/int/float/bool; drop the unknowns (None).
    return {k: v for k, v in metadata.items() if isinstance(v, str | int | float | bool)}
