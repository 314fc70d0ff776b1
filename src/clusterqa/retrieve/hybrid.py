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

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from clusterqa.analysis import Question, analyse
from clusterqa.embeddings import Embedder
from clusterqa.retrieve.fusion import reciprocal_rank_fusion, zscore_fusion
from clusterqa.retrieve.routing import Router
from clusterqa.settings import RetrievalSettings
from clusterqa.store.reader import CorpusReader, CorpusView


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
        self._masks: dict[tuple[int, frozenset[str]], np.ndarray] = {}

    def _router(self, view: CorpusView) -> Router:
        """The view's router (built once per corpus version)."""
        if self._routing is None or self._routing[0] != view.version:
            self._routing = (view.version, Router(view.documents))
            self._masks.clear()
        return self._routing[1]

    def _allowed(self, view: CorpusView, docs: frozenset[str]) -> np.ndarray:
        """Which BM25 rows belong to ``docs``."""
        key = (view.version, docs)
        if key not in self._masks:
            chunks = view.chunks
            self._masks[key] = np.fromiter(
                (cid in chunks and chunks[cid].doc_id in docs for cid in view.lexical.ids),
                dtype=bool, count=len(view.lexical.ids))
        return self._masks[key]

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

        if s.dense and self.embedder is not None:
            t = time.perf_counter()
            vector = self.embedder.embed_query(question.text)
            timings["embed_query"] = _ms(t)
            t = time.perf_counter()
            # Ask for a few more than needed: hits from an uncommitted ingest are dropped.
            found = self.corpus.nearest(vector, s.depth + 10, region=region, docs=docs)
            dense = [(cid, sim) for cid, sim in found if cid in known][: s.depth]
            timings["dense"] = _ms(t)
            rankings["dense"] = [cid for cid, _ in dense]
            dense_scores = dict(dense)

        if s.bm25:
            t = time.perf_counter()
            lexical, lexical_stats = view.lexical.search_with_stats(
                question.search_tokens, s.depth, region=region, extra=question.place_tokens,
                allowed=self._allowed(view, route.docs) if docs else None)
            timings["bm25"] = _ms(t)
            rankings["bm25"] = [cid for cid, _ in lexical if cid in known]
            bm25_scores = dict(lexical)

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
