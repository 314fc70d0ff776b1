"""The lexical index: BM25 (bm25s) over stemmed, stopword-free tokens, persisted on disk.

bm25s scores a query against every chunk with sparse matrices, so a region filter is a mask
over the score vector and a weighted query (place expansions) is a sum of two score vectors.
We keep document frequencies beside it: the answerer weighs question words by their IDF.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball, C speed

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, Snowball-stemmed words ("Teesside's" -> "teessid")."""
    words = [w for w in _WORD.findall(text.lower().replace("’", "'"))
             if w not in _stopwords() and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25, ids: list[str], regions: list[str | None],
                 doc_freq: dict[str, int], params: dict | None = None) -> None:
        self._bm25 = bm25
        self.params = params or {}  # how it was built; a change of settings means a rebuild
        self.ids = ids
        self._regions = np.asarray([r or "" for r in regions], dtype=object)
        self._doc_freq = doc_freq
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
        doc_freq = Counter(term for toks in tokens for term in set(toks))
        return cls(bm25, list(ids), list(regions), dict(doc_freq), params)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        """BM25's IDF; a word the corpus never uses gets the IDF of a word used once."""
        n = len(self.ids)
        df = self._doc_freq.get(term, 0) or 1
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def knows(self, term: str) -> bool:
        return term in self._doc_freq

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        if not self.ids or not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(list(tokens))

    def search_with_stats(self, tokens: Sequence[str], k: int, region: str | None = None,
                          extra: Sequence[str] = (), extra_weight: float = 0.5
                          ) -> tuple[list[tuple[str, float]], tuple[float, float, float]]:
        """The top ``k`` and (mean, std, 0) of the scores over every chunk searched, so a
        fusion can standardise them against the whole corpus, not just the top."""
        if not self.ids:
            return [], (0.0, 1.0, 0.0)
        scores = self.scores(tokens)
        if extra:
            scores = scores + extra_weight * self.scores(extra)
        if region:
            mask = self._mask(region)
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
            "regions": list(self._regions), "doc_freq": self._doc_freq,
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
        return (cls(bm25, meta["ids"], regions, meta["doc_freq"], meta.get("params")),
                int(meta["version"]))
