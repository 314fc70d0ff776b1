"""Hybrid retrieval (dense + BM25 over one corpus view) and the fusion of their rankings."""

from clusterqa.retrieve.fusion import reciprocal_rank_fusion, zscore_fusion
from clusterqa.retrieve.hybrid import Hit, HybridRetriever, Retrieval

__all__ = ["Hit", "HybridRetriever", "Retrieval", "reciprocal_rank_fusion", "zscore_fusion"]
