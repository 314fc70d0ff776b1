"""Hybrid retrieval: dense (Chroma) and BM25 rankings, fused.

Dense MiniLM alone misses exact names ("Kontainers"); BM25 alone misses paraphrase ("make games"
vs "digital entertainment"). Each ranker returns its top ``depth`` chunks. The default fusion
sums weighted z-scores (BM25 standardised over every chunk, dense over its list): unlike
reciprocal rank fusion it keeps how far ahead a hit is, which measured better on SciFact and
on our eval set (BENCHMARKS.md); ``fusion = "rrf"`` is kept for comparison. We fuse ourselves
(a few lines) rather than use llama-index's QueryFusionRetriever, which is built around LLM
query generation and async calls, and would hide the weights and depths we tune and report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from clusterqa.embeddings import Embedder
from clusterqa.index import CorpusIndex, CorpusView
from clusterqa.query import Query, analyse
from clusterqa.settings import RetrievalSettings


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    score: float  # fused score
    dense: float | None = None  # cosine similarity, when the dense ranker found it
    bm25: float | None = None
    ranks: Mapping[str, int] = field(default_factory=dict)  # 1-based rank per ranker


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float] | None = None,
    k: int = 60,
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(id) = sum over lists of weight / (k + rank), rank from 1."""
    scores: dict[str, float] = {}
    for name, ids in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        if weight == 0:
            continue
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    # Ties keep the order of first appearance, so results are deterministic.
    return sorted(scores.items(), key=lambda kv: -kv[1])


def zscore_fusion(
    scored: Mapping[str, Sequence[tuple[str, float]]], weights: Mapping[str, float] | None = None,
    stats: Mapping[str, tuple[float, float, float]] | None = None,
) -> list[tuple[str, float]]:
    """Fuse ranked (id, score) lists by a weighted sum of z-scores.

    A list's mean and standard deviation come from ``stats[name]`` = (mean, std, score of an
    id the list lacks) when the ranker scored the whole corpus (BM25 does), else from the list
    itself, where an id it lacks gets its lowest z: it ranked below everything returned.
    """
    lists: list[tuple[float, dict[str, float], float]] = []
    for name, items in scored.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        if weight == 0 or not items:
            continue
        values = np.asarray([score for _, score in items], dtype=np.float64)
        if stats and name in stats:
            mean, std, missing = stats[name]
        else:
            mean, std, missing = values.mean(), values.std(), values.min()
        std = std or 1.0
        z = (values - mean) / std
        lists.append((weight, dict(zip((i for i, _ in items), z.tolist(), strict=True)),
                      float((missing - mean) / std)))
    ids = dict.fromkeys(item for _, zs, _ in lists for item in zs)
    fused = {item: sum(w * zs.get(item, floor) for w, zs, floor in lists) for item in ids}
    return sorted(fused.items(), key=lambda kv: -kv[1])


@dataclass
class Retrieval:
    query: Query
    hits: list[Hit]
    query_vector: np.ndarray | None
    timings_ms: dict[str, float]
    view: CorpusView  # the corpus version the hits come from


class HybridRetriever:
    def __init__(self, index: CorpusIndex, embedder: Embedder | None,
                 settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def retrieve(self, question: str, region: str | None = None, k: int | None = None
                 ) -> Retrieval:
        s = self.settings
        k = k or s.top_k
        timings: dict[str, float] = {}
        query = analyse(question, expand_places=s.expand_places)
        rankings: dict[str, list[str]] = {}
        dense_scores: dict[str, float] = {}
        bm25_scores: dict[str, float] = {}
        lexical_stats = (0.0, 1.0, 0.0)
        vector = None
        view = self.index.view
        known = view.chunks

        if s.dense and self.embedder is not None:
            t = time.perf_counter()
            vector = self.embedder.embed_query(question)
            timings["embed_query"] = _ms(t)
            t = time.perf_counter()
            # Ask for a few more than needed: hits from an uncommitted ingest are dropped.
            found = self.index.vectors.query(vector, s.depth + 10, region=region)
            dense = [(cid, sim) for cid, sim in found if cid in known][: s.depth]
            timings["dense"] = _ms(t)
            rankings["dense"] = [cid for cid, _ in dense]
            dense_scores = dict(dense)

        if s.bm25:
            t = time.perf_counter()
            lexical, lexical_stats = view.lexical.search_with_stats(
                query.tokens, s.depth, region=region, extra=query.place_tokens)
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
        rank_of = {name: {cid: r for r, cid in enumerate(ids, 1)} for name, ids in rankings.items()}
        hits = [
            Hit(cid, score, dense_scores.get(cid), bm25_scores.get(cid),
                {name: ranks[cid] for name, ranks in rank_of.items() if cid in ranks})
            for cid, score in fused[:k]
        ]
        return Retrieval(query, hits, vector, timings, view)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
