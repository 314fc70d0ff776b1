"""Fusing ranked lists: pure functions, tested against hand-worked values.

The default sums weighted z-scores: unlike reciprocal rank fusion it keeps how far ahead a hit
is, which measured better on SciFact and on our eval set (BENCHMARKS.md); ``fusion = "rrf"`` is
kept for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


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
