"""Hybrid retrieval: dense (Chroma) and BM25 rankings of one corpus view, fused.

Dense MiniLM alone misses exact names ("Kontainers"); BM25 alone misses paraphrase ("make games"
vs "digital entertainment"). Each ranker returns its top ``depth`` chunks; BM25 is standardised
over every chunk, dense over its list (see fusion.py). We fuse ourselves (a few lines) rather
than use llama-index's QueryFusionRetriever, which is built around LLM query generation and
async calls, and would hide the weights and depths we tune and report.

The retriever reads any :class:`~clusterqa.store.CorpusReader`: the data dir's index, or a
view built in memory by a benchmark.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from clusterqa.analysis import Question, analyse
from clusterqa.embeddings import Embedder
from clusterqa.retrieve.fusion import reciprocal_rank_fusion, zscore_fusion
from clusterqa.retrieve.routing import Router
from clusterqa.settings import RetrievalSettings
from clusterqa.store.reader import CorpusReader, CorpusView

_MASKS = 32  # routed document sets whose BM25 masks are kept
# A region's dense search runs unfiltered for up to this many chunks (Chroma answers
# 2,000 in 135 ms at 50,000 chunks), asking for its share of them plus a quarter more.
_MAX_FETCH = 2_000
_OVERFETCH = 1.25
# Chroma, embedded, on this machine: its metadata filter reads about a chunk a microsecond of
# the whole collection; fetching a vector by id costs about 60 µs.
_FILTER_US_PER_CHUNK = 1.0
_FETCH_US_PER_VECTOR = 60.0
# A small region's exact search (the filter) is given up for the approximate one only where
# the filter alone would cost more than this.
_APPROXIMATE_ABOVE_MS = 100


def _fetch_is_cheaper(vectors: float, chunks: int) -> bool:
    """Fetching ``vectors`` by id costs less than Chroma filtering ``chunks``."""
    return vectors * _FETCH_US_PER_VECTOR < chunks * _FILTER_US_PER_CHUNK


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float  # fused score
    ranks: Mapping[str, int] = field(default_factory=dict)  # 1-based rank per ranker


@dataclass
class Retrieval:
    question: Question
    hits: list[Hit]
    query_vector: np.ndarray | None
    timings_ms: dict[str, float]
    view: CorpusView  # the corpus version the hits come from


class HybridRetriever:
    def __init__(self, corpus: CorpusReader, embedder: Embedder | None,
                 settings: RetrievalSettings) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.settings = settings
        self._routing: tuple[int, Router] | None = None
        # Per corpus version: each BM25 row's document as a code (-1: not in the view), and
        # the masks of the document sets asked for lately.
        self._row_docs: tuple[int, dict[str, int], np.ndarray] | None = None
        self._masks: dict[tuple[int, frozenset[str]], np.ndarray] = {}

    def _router(self, view: CorpusView) -> Router:
        """The view's router (built once per corpus version)."""
        if self._routing is None or self._routing[0] != view.version:
            self._routing = (view.version, Router(view.documents))
            self._masks.clear()
            self._row_docs = None
        return self._routing[1]

    def _allowed(self, view: CorpusView, docs: frozenset[str]) -> np.ndarray:
        """Which BM25 rows belong to ``docs``. The rows' documents are looked up once per
        corpus version; a mask is then one vectorised comparison (a Python pass over the
        rows per new set of documents took about 0.4 s at a million chunks), and only the
        latest ``_MASKS`` are kept (each is a byte per chunk)."""
        key = (view.version, docs)
        mask = self._masks.get(key)
        if mask is not None:
            return mask
        if self._row_docs is None or self._row_docs[0] != view.version:
            codes: dict[str, int] = {}
            chunks, ids = view.chunks, view.lexical.ids
            rows = np.fromiter((codes.setdefault(chunks[cid].doc_id, len(codes))
                                if cid in chunks else -1 for cid in ids),
                               dtype=np.int32, count=len(ids))
            self._row_docs = (view.version, codes, rows)
        _, codes, rows = self._row_docs
        mask = np.isin(rows, [codes[d] for d in docs if d in codes])
        while len(self._masks) >= _MASKS:
            self._masks.pop(next(iter(self._masks)), None)
        self._masks[key] = mask
        return mask

    def _nearest(self, view: CorpusView, vector: np.ndarray, n: int, region: str | None,
                 docs: frozenset[str] | None, candidates: Sequence[str] = ()
                 ) -> list[tuple[str, float]]:
        """The ``n`` chunks nearest ``vector`` (of ``region``, of ``docs``), by the cheapest
        search (costs measured on this machine, see BENCHMARKS.md "Scale"):

        - Chroma's metadata filter reads every chunk of the collection (about 1 µs each, 95 ms
          at 100,000 chunks even for a region of 2,700), so it is used only while that is
          cheap;
        - routed documents' vectors fetched by id (about 60 µs each) and scored exactly, when
          that is cheaper than the filter (a filing among a million chunks);
        - a region holding a good share of the corpus: one unfiltered search deep enough to
          hold ``n`` of its chunks at its share, filtered here (the same chunks as Chroma's
          filter when the search is exhaustive; else the filter runs after all unless ``n``
          of the region's turned up);
        - a small region of a corpus so large that the filter would cost over 100 ms: its
          chunks among the deepest unfiltered search we allow, and ``candidates`` (BM25's
          best of the region) scored exactly. This can miss a chunk only dense search would
          find in that region, which the filter would not; the scale benchmark counts how
          often the question's chunk is still found.
        """
        total = len(view.lexical)
        if docs:
            ids = [cid for d in sorted(docs) for cid in getattr(view.documents.get(d),
                                                                   "chunk_ids", ())
                   if region is None or view.region_of(cid) == region]
            if ids and _fetch_is_cheaper(len(ids), total):
                return self._exact(vector, ids)[:n]
            return self.corpus.nearest(vector, n, region=region, docs=docs)
        size = view.lexical.region_size(region) if region else 0
        if not size:
            return self.corpus.nearest(vector, n, region=region)
        fetch = math.ceil(n * total / size * _OVERFETCH)
        if fetch <= _MAX_FETCH:
            found = self.corpus.nearest(vector, fetch)
            inside = [(cid, sim) for cid, sim in found if view.region_of(cid) == region]
            if len(inside) >= n or len(found) < fetch:  # enough, or every chunk was searched
                return inside
        if total * _FILTER_US_PER_CHUNK <= _APPROXIMATE_ABOVE_MS * 1000 or not candidates:
            return self.corpus.nearest(vector, n, region=region)
        inside = [(cid, sim) for cid, sim in self.corpus.nearest(vector, _MAX_FETCH)
                  if view.region_of(cid) == region]
        seen = {cid for cid, _ in inside}
        scored = inside + self._exact(vector, [c for c in candidates if c not in seen])
        return sorted(scored, key=lambda kv: -kv[1])[:n]

    def _exact(self, vector: np.ndarray, ids: Sequence[str]) -> list[tuple[str, float]]:
        """``ids`` by cosine similarity to ``vector``, best first (their vectors fetched)."""
        got = self.corpus.embeddings(ids) if ids else {}
        if not got:
            return []
        keys = list(got)
        matrix = np.stack([got[k] for k in keys])
        sims = matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector) + 1e-12)
        return [(keys[i], float(sims[i])) for i in np.argsort(-sims, kind="stable")]

    def retrieve(self, question: Question | str, region: str | None = None,
                 k: int | None = None) -> Retrieval:
        """The ``k`` best chunks of the current view (``retrieval.top_k`` by default)."""
        s = self.settings
        if isinstance(question, str):
            question = analyse(question, expand_places=s.expand_places)
        k = k or s.top_k
        timings: dict[str, float] = {}
        rankings: dict[str, list[str]] = {}
        dense_scores: dict[str, float] = {}
        bm25_scores: dict[str, float] = {}
        lexical_stats = (0.0, 1.0, 0.0)
        vector = None
        view = self.corpus.view
        known = view.chunks
        route = self._router(view).route(question.text)
        docs = route.docs or None

        if s.bm25:
            t = time.perf_counter()
            lexical, lexical_stats = view.lexical.search_with_stats(
                question.search_tokens, s.depth, region=region, extra=question.place_tokens,
                allowed=self._allowed(view, route.docs) if docs else None)
            timings["bm25"] = _ms(t)
            rankings["bm25"] = [cid for cid, _ in lexical if cid in known]
            bm25_scores = dict(lexical)

        if s.dense and self.embedder is not None:
            t = time.perf_counter()
            vector = self.embedder.embed_query(question.text)
            timings["embed_query"] = _ms(t)
            t = time.perf_counter()
            # Ask for a few more than needed: hits from an uncommitted ingest are dropped.
            found = self._nearest(view, vector, s.depth + 10, region, docs,
                                  candidates=rankings.get("bm25", ()))
            dense = [(cid, sim) for cid, sim in found if cid in known][: s.depth]
            timings["dense"] = _ms(t)
            rankings["dense"] = [cid for cid, _ in dense]
            dense_scores = dict(dense)

        weights = {"dense": s.dense_weight, "bm25": s.bm25_weight}
        if s.fusion == "zscore":
            lexical_hits = [(c, bm25_scores[c]) for c in rankings.get("bm25", [])]
            fused = zscore_fusion({"dense": list(dense_scores.items()), "bm25": lexical_hits},
                                  weights, {"bm25": lexical_stats})
        else:
            fused = reciprocal_rank_fusion(rankings, weights, k=s.rrf_k)
        if route.fit or route.statements:
            fused = sorted(((cid, score + route.boost(known[cid].doc_id, known[cid].section))
                            for cid, score in fused), key=lambda kv: -kv[1])
        rank_of = {name: {cid: r for r, cid in enumerate(ids, 1)} for name, ids in rankings.items()}
        hits = [
            Hit(cid, score, {name: ranks[cid] for name, ranks in rank_of.items() if cid in ranks})
            for cid, score in fused[:k]
        ]
        return Retrieval(question, hits, vector, timings, view)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
