"""The lexical index: BM25 (bm25s) over stemmed, stopword-free tokens, persisted on disk.

A search touches only the chunks that hold a query term (their postings), never a score per
chunk of the corpus: the top ``k`` and the exact mean and standard deviation over every chunk
searched (which z-score fusion needs) both follow from the touched chunks' scores, since every
other chunk scores 0. Scoring the whole corpus, then taking the mean, the deviation, the top
``k`` and the region's share of a score vector per question cost 12 ms a question at 1M
chunks (bench scale, BENCHMARKS.md), most of a BM25 search's time; the postings alone cost a
few. Methods that give every chunk a score (bm25l, bm25+) keep the dense path.
The index is derived from the manifest: :func:`load_current` returns the saved one only when
it was built from the manifest version and parameters asked for (the one "is it stale" rule).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
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
        # A region per chunk as a small code (1M strings would be 60 MB and slow to compare).
        codes: dict[str, int] = {}
        self._region_codes = np.fromiter((codes.setdefault(r or "", len(codes)) for r in regions),
                                         dtype=np.int32, count=len(ids))
        self._region_names = list(codes)
        self._region_masks: dict[str, tuple[np.ndarray, int]] = {}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Iterable[str], regions: Sequence[str | None],
              k1: float = 1.2, b: float = 0.75, method: str = "lucene",
              params: dict | None = None) -> LexicalIndex:
        """BM25 over ``texts`` (read once). Each chunk's tokens become term ids as it is
        tokenised, so the corpus is never held as strings: a million chunks' 85 million
        token strings took about 5 GB of a build's peak (bench scale, BENCHMARKS.md)."""
        vocab: dict[str, int] = {}
        # An empty chunk would make bm25s fail; "" keeps empty token lists legal.
        term_ids = [[vocab.setdefault(t, len(vocab)) for t in tokenize(text) or [""]]
                    for text in texts]
        bm25 = bm25s.BM25(k1=k1, b=b, method=method)
        if term_ids:
            bm25.index((term_ids, vocab), show_progress=False)
        return cls(bm25, list(ids), list(regions), params)

    @classmethod
    def of_corpus(cls, chunks: Sequence[Chunk], documents: Mapping[str, StoredDocument],
                  params: dict) -> LexicalIndex:
        """The index of a corpus version, built with ``params`` (see lexical_params)."""
        return cls.build(
            [c.chunk_id for c in chunks],
            (lexical_text(c, documents.get(c.doc_id), params["title_weight"]) for c in chunks),
            [documents[c.doc_id].region if c.doc_id in documents else None for c in chunks],
            k1=params["k1"], b=params["b"], method=params["method"], params=params,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def region_size(self, region: str) -> int:
        """How many chunks ``region`` holds."""
        return self._mask(region)[1]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Every chunk's score (bm25s's own scoring)."""
        if not self.ids or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(list(tokens))

    def _postings(self, tokens: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each known term's postings: the rows of the chunks holding it (ascending) and the
        term's score in each."""
        bm25 = self._bm25
        data, indices, indptr = (bm25.scores[key] for key in ("data", "indices", "indptr"))
        return [(indices[indptr[t]:indptr[t + 1]], data[indptr[t]:indptr[t + 1]])
                for t in bm25.get_tokens_ids(list(tokens))] if tokens else []

    def _summed(self, postings: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Every chunk's score, summed term by term in bm25s's order (so equal to the bit).
        A chunk occurs once in a term's postings, so a plain indexed add is exact, and ten
        times faster than bm25s's ``np.add.at``."""
        out = np.zeros(len(self.ids), dtype=np.dtype(self._bm25.dtype))
        for rows, scores in postings:
            out[rows] += scores
        return out

    def search_with_stats(self, tokens: Sequence[str], k: int, region: str | None = None,
                          extra: Sequence[str] = (), extra_weight: float = 0.5,
                          allowed: np.ndarray | None = None
                          ) -> tuple[list[tuple[str, float]], tuple[float, float, float]]:
        """The top ``k`` and (mean, std, 0) of the scores over every chunk searched, so a
        fusion can standardise them against the whole corpus, not just the top. ``allowed``
        (a boolean per chunk) narrows the search further (routing to documents). Equal
        scores rank in the index's order (the chunks' order in the manifest)."""
        if not self.ids or k <= 0:
            return [], (0.0, 1.0, 0.0)
        if self._bm25.nonoccurrence_array is not None:
            return self._search_every_chunk(tokens, k, region, extra, extra_weight, allowed)
        postings = self._postings(tokens)
        more = self._postings(extra) if extra else []
        rows = _union([rows for rows, _ in postings + more])
        values = self._summed(postings)[rows]
        if more:
            values = values + extra_weight * self._summed(more)[rows]
        searched = len(self.ids)
        if region or allowed is not None:
            mask, searched = self._mask(region) if region else (None, 0)
            if allowed is not None:
                mask = allowed if mask is None else mask & allowed
                searched = int(np.count_nonzero(mask))
            inside = mask[rows]
            rows, values = rows[inside], values[inside]
        if not searched:
            return [], (0.0, 1.0, 0.0)
        # Exact over all ``searched`` chunks (those not in ``rows`` score 0): float64, two-pass.
        wide = values.astype(np.float64)
        mean = wide.sum() / searched
        var = (np.square(wide - mean).sum() + (searched - len(wide)) * mean * mean) / searched
        stats = (float(mean), float(np.sqrt(max(var, 0.0))), 0.0)
        positive = values > 0
        rows, values = rows[positive], values[positive]
        if len(values) > k:  # the k-th best score; ties with it are then ordered by row
            keep = values >= np.partition(values, len(values) - k)[len(values) - k]
            rows, values = rows[keep], values[keep]
        order = np.lexsort((rows, -values))[:k]
        hits = [(self.ids[row], value)
                for row, value in zip(rows[order].tolist(), values[order].tolist(), strict=True)]
        return hits, stats

    def _search_every_chunk(self, tokens: Sequence[str], k: int, region: str | None,
                            extra: Sequence[str], extra_weight: float,
                            allowed: np.ndarray | None
                            ) -> tuple[list[tuple[str, float]], tuple[float, float, float]]:
        """:meth:`search_with_stats` for methods that score a chunk lacking every term."""
        scores = self.scores(tokens)
        if extra:
            scores = scores + extra_weight * self.scores(extra)
        if region or allowed is not None:
            mask = self._mask(region)[0] if region else np.ones(len(self.ids), dtype=bool)
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

    def _region_names_of_rows(self) -> list[str]:
        """Each row's region, "" for none (as saved)."""
        return [self._region_names[c] for c in self._region_codes.tolist()]

    def _mask(self, region: str) -> tuple[np.ndarray, int]:
        """Which chunks are in ``region``, and how many."""
        got = self._region_masks.get(region)
        if got is None:
            code = (self._region_names.index(region) if region in self._region_names else -1)
            mask = self._region_codes == code
            got = self._region_masks[region] = (mask, int(np.count_nonzero(mask)))
        return got

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
            "regions": self._region_names_of_rows(),
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


def _union(runs: list[np.ndarray]) -> np.ndarray:
    """The rows in any of the ascending ``runs``, ascending. A stable sort (timsort) merges
    sorted runs in O(n log runs): 1 ms for 80,000 rows, where ``np.unique`` took 33 ms and
    finding the nonzero scores of a million chunks 4.5 ms."""
    if len(runs) <= 1:
        return runs[0] if runs else np.empty(0, dtype=np.int64)
    rows = np.concatenate(runs)
    rows.sort(kind="stable")
    return rows[np.concatenate(([True], rows[1:] != rows[:-1]))]


def load_current(directory: Path, version: int, params: dict) -> LexicalIndex | None:
    """The saved index if it was built from manifest ``version`` with ``params``, else None
    (the caller builds it from the manifest)."""
    saved = LexicalIndex.load(directory)
    if saved is not None and saved[1] == version and saved[0].params == params:
        return saved[0]
    return None
