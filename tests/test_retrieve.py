"""Reciprocal rank fusion, by hand; and hybrid retrieval over a real Chroma with a fake model."""

from __future__ import annotations

import pytest

from clusterqa.retrieve import reciprocal_rank_fusion


def test_rrf_scores_by_hand() -> None:
    """score = sum of weight / (k + rank): with k=60, 'b' (2nd and 1st) beats 'a' (1st only)."""
    fused = dict(reciprocal_rank_fusion({"dense": ["a", "b"], "bm25": ["b", "c"]}, k=60))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 62)
    ranked = reciprocal_rank_fusion({"dense": ["a", "b"], "bm25": ["b", "c"]})
    assert ranked[0][0] == "b"


def test_rrf_weights_and_zero_weight() -> None:
    """A weight scales a ranker's votes; weight 0 switches the ranker off."""
    fused = dict(reciprocal_rank_fusion({"dense": ["a"], "bm25": ["b"]},
                                        {"dense": 2.0, "bm25": 1.0}, k=1))
    assert fused == {"a": pytest.approx(1.0), "b": pytest.approx(0.5)}
    only_bm25 = reciprocal_rank_fusion({"dense": ["a"], "bm25": ["b"]}, {"dense": 0.0}, k=1)
    assert [i for i, _ in only_bm25] == ["b"]


def test_rrf_ties_keep_first_appearance_order() -> None:
    fused = reciprocal_rank_fusion({"x": ["p", "q"], "y": ["q", "p"]}, k=60)
    assert [i for i, _ in fused] == ["p", "q"]


def test_hybrid_finds_exact_names_and_filters_by_region(fake_settings) -> None:
    """BM25 finds the rare name; the region filter keeps other regions out of both rankers."""
    from clusterqa.app.assistant import Assistant
    from clusterqa.ingest import Ingestor

    Ingestor(fake_settings).ingest()
    assistant = Assistant.from_settings(fake_settings)
    hits = assistant.retriever.retrieve("Kontainers", k=5).hits
    assert "Kontainers" in assistant.view().chunks[hits[0].chunk_id].text
    scoped = assistant.retriever.retrieve("games studio", region="scotland", k=10).hits
    assert scoped
    assert {assistant.view().document_of(h.chunk_id).region
            for h in scoped} == {"scotland"}


def test_zscore_fusion_by_hand() -> None:
    """dense z = (1.22, 0, -1.22), bm25 z = (1, -1); a missing id gets the list's lowest z."""
    from clusterqa.retrieve import zscore_fusion

    fused = dict(zscore_fusion({"dense": [("a", 0.9), ("b", 0.5), ("c", 0.1)],
                                "bm25": [("b", 10.0), ("d", 2.0)]}))
    z = 0.4 / (0.32 / 3) ** 0.5  # (0.9 - 0.5) / population std of (0.9, 0.5, 0.1)
    assert fused["b"] == pytest.approx(1.0)
    assert fused["a"] == pytest.approx(z - 1)
    assert fused["c"] == pytest.approx(-z - 1) == fused["d"]
    weighted = dict(zscore_fusion({"dense": [("a", 1.0), ("b", 0.0)],
                                   "bm25": [("b", 1.0), ("a", 0.0)]}, {"dense": 0.3, "bm25": 0.7}))
    assert weighted["b"] > weighted["a"]
