"""The lexical index: BM25 (bm25s) over stemmed, stopword-free tokens, persisted on disk.

bm25s scores a query against every chunk with sparse matrices, so a region filter is a mask
over the score vector and a weighted query (place expansions) is a sum of two score vectors.
The index is derived from the manifest: :func:`load_current` returns the saved one only when
it was built from the manifest version and parameters asked for (the one "is it stale" rule).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np

from clusterqa.settings import RetrievalSettings
from clusterqa.text import tokenize
from clusterqa.types import Chunk, StoredDocument


def lexical_params(retrieval: RetrievalSettings) -> dict:
    """How BM25 is built; a change of any of these means a rebuild."""
    r = retrieval
    return {"k1": r.bm25_k1, "b": r.bm25_b, "method": r.bm25_method,
            "title_weight": r.title_weight, "text": 2}  # text 2: the page's section too


def lexical_text(chunk: Chunk, document: StoredDocument | None, title_weight: int = 1) -> str:
    """What BM25 indexes: the chunk, after its document's title (repeated to weigh more) and
    its page's section ("Consolidated Statements of Cash Flows")."""
    title = document.meta.title if document else ""
    section = f"{chunk.section}\n" if chunk.section else ""
    return f"{(title + ' ') * title_weight}\n{section}{chunk.text}" if title else \
        f"{section}{chunk.text}"


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25, ids: list[str], regions: list[str | None],
                 params: dict | None = None) -> None:
        self._bm25 = bm25
        self.params = params or {}  # how it was built; a change of settings means a rebuild
        self.ids = ids
        self._regions = np.asarray([r or "" for r in regions], dtype=object)
        self._region_masks: dict[str, np.ndarray] = {}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], regions: Sequence[str | None],
              k1: float = 1.2, b: float = 0.75, method: str = "lucene",
              params: dict | None = None) -> LexicalIndex:
        tokens = [tokenize(t) for t in texts]
        bm25 = bm25s.BM25(k1=k1, b=b, method=method)
        if tokens:
            # An empty chunk list would make bm25s fail; "" keeps empty token lists legal.
            bm25.index([t or [""] for t in tokens], show_progress=False)
        return cls(bm25, list(ids), list(regions), params)

    @classmethod
    def of_corpus(cls, chunks: Sequence[Chunk], documents: Mapping[str, StoredDocument],
                  params: dict) -> LexicalIndex:
        """The index of a corpus version, built with ``params`` (see lexical_params)."""
        return cls.build(
            [c.chunk_id for c in chunks],
            [lexical_text(c, documents.get(c.doc_id), params["title_weight"]) for c in chunks],
            [documents[c.doc_id].region if c.doc_id in documents else None for c in chunks],
            k1=params["k1"], b=params["b"], method=params["method"], params=params,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        if not self.ids or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(list(tokens))

    def search_with_stats(self, tokens: Sequence[str], k: int, region: str | None = None,
                          extra: Sequence[str] = (), extra_weight: float = 0.5,
                          allowed: np.ndarray | None = None
                          ) -> tuple[list[tuple[str, float]], tuple[float, float, float]]:
        """The top ``k`` and (mean, std, 0) of the scores over every chunk searched, so a
        fusion can standardise them against the whole corpus, not just the top. ``allowed``
        (a boolean per chunk) narrows the search further (routing to documents)."""
        if not self.ids:
            return [], (0.0, 1.0, 0.0)
        scores = self.scores(tokens)
        if extra:
            scores = scores + extra_weight * self.scores(extra)
        if region or allowed is not None:
            mask = self._mask(region) if region else np.ones(len(self.ids), dtype=bool)
            if allowed is not None:
                mask = mask & allowed
            searched = scores[mask]
            scores = np.where(mask, scores, 0.0)
        else:
            searched = scores
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
        stats = (float(searched.mean()), float(searched.std()), 0.0) if len(searched) \
            else (0.0, 1.0, 0.0)
        return hits, stats

    def _mask(self, region: str) -> np.ndarray:
        mask = self._region_masks.get(region)
        if mask is None:
            mask = self._regions == region
            self._region_masks[region] = mask
        return mask

    # --- persistence ------------------------------------------------------------------

    def save(self, directory: Path, version: int) -> None:
        """Write to a fresh folder, then swap it in: a reader never sees half an index."""
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(tmp / "bm25"))
        (tmp / "index.json").write_text(json.dumps({
            "version": version, "params": self.params, "ids": self.ids,
            "regions": list(self._regions),
        }))
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> tuple[LexicalIndex, int] | None:
        """The saved index and the manifest version it was built from, or None."""
        meta_path = directory / "index.json"
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            bm25 = (bm25s.BM25.load(str(directory / "bm25")) if meta["ids"]
                    else bm25s.BM25())
        except (OSError, ValueError, KeyError):
            return None  # unreadable: the caller rebuilds it from the manifest
        regions = [r or None for r in meta["regions"]]
        return cls(bm25, meta["ids"], regions, meta.get("params")), int(meta["version"])


def load_current(directory: Path, version: int, params: dict) -> LexicalIndex | None:
    """The saved index if it was built from manifest ``version`` with ``params``, else None
    (the caller builds it from the manifest)."""
    saved = LexicalIndex.load(directory)
    if saved is not None and saved[1] == version and saved[0].params == params:
        return saved[0]
    return None
