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


def _small_index(method: str = "lucene"):
    """200 chunks of words from a 40-word vocabulary (so terms are common and scores tie),
    over three regions; the index's own bm25s scoring is the reference."""
    import numpy as np

    from clusterqa.store.lexical import LexicalIndex

    rng = np.random.default_rng(7)
    vocab = [f"w{i:02d}x" for i in range(40)]
    texts = [" ".join(rng.choice(vocab[: 5 + i % 35], rng.integers(3, 12))) for i in range(200)]
    regions = [("north", "south", None)[i % 3] for i in range(200)]
    return LexicalIndex.build([f"c{i}" for i in range(200)], texts, regions, method=method)


def _brute_force(index, tokens, k, region=None, extra=(), allowed=None):
    """What search_with_stats means: every chunk scored by bm25s, the best k of those searched
    (equal scores in row order) and the mean and std over all of them."""
    import numpy as np

    scores = index.scores(tokens)
    if extra:
        scores = scores + 0.5 * index.scores(extra)
    mask = np.ones(len(index), dtype=bool)
    if region:
        mask &= np.asarray([r == region for r in index._region_names_of_rows()])
    if allowed is not None:
        mask &= allowed
    rows = [i for i in np.flatnonzero(mask) if scores[i] > 0]
    rows.sort(key=lambda i: (-scores[i], i))
    searched = scores[mask].astype(np.float64)
    return ([(index.ids[i], float(scores[i])) for i in rows[:k]],
            (searched.mean(), searched.std()) if len(searched) else (0.0, 1.0))


@pytest.mark.parametrize("method", ["lucene", "robertson", "atire"])
def test_bm25_search_touches_postings_only_yet_equals_scoring_every_chunk(method) -> None:
    """The top k (scores equal to the bit, ties in row order) and the mean and deviation over
    every chunk searched are those of scoring the whole corpus, with a region, a document
    mask, place words (extra) and k beyond the chunks that match."""
    import numpy as np

    index = _small_index(method)
    allowed = np.random.default_rng(1).random(len(index)) < 0.5
    for tokens in (["w00x"], ["w03x", "w17x", "w03x"], ["w30x", "nosuchword"], ["nosuchword"]):
        for kwargs in ({}, {"region": "north"}, {"region": "nowhere"}, {"allowed": allowed},
                       {"region": "south", "allowed": allowed}, {"extra": ("w01x",)}):
            for k in (1, 7, 500):
                hits, (mean, std, missing) = index.search_with_stats(tokens, k, **kwargs)
                want, (want_mean, want_std) = _brute_force(index, tokens, k, **kwargs)
                assert hits == want, (method, tokens, kwargs, k)
                assert mean == pytest.approx(want_mean, rel=1e-6, abs=1e-9)
                assert std == pytest.approx(want_std, rel=1e-6, abs=1e-9) and missing == 0


def test_bm25_methods_that_score_every_chunk_keep_the_whole_corpus_path() -> None:
    """bm25l gives a chunk without the term a score too: the same scores and stats as
    scoring every chunk (the order of equal scores is bm25s's there)."""
    index = _small_index("bm25l")
    hits, (mean, std, _) = index.search_with_stats(["w03x", "w17x"], 50, region="north")
    want, (want_mean, want_std) = _brute_force(index, ["w03x", "w17x"], 50, region="north")
    assert sorted(s for _, s in hits) == sorted(s for _, s in want)
    assert (mean, std) == (pytest.approx(want_mean, rel=1e-5), pytest.approx(want_std, rel=1e-5))


def test_bm25_regions_survive_save_and_load(tmp_path) -> None:
    from clusterqa.store.lexical import LexicalIndex

    index = _small_index()
    index.save(tmp_path / "bm25", 3)
    loaded, version = LexicalIndex.load(tmp_path / "bm25")
    assert version == 3 and loaded._region_names_of_rows() == index._region_names_of_rows()
    assert loaded._region_names_of_rows()[:3] == ["north", "south", ""]
    assert loaded.search_with_stats(["w03x"], 9, region="south") == \
        index.search_with_stats(["w03x"], 9, region="south")


def test_routed_document_masks_match_the_chunks_and_are_bounded() -> None:
    """A mask of the BM25 rows of a set of documents: rows of chunks not in the view never
    match; only the latest masks are kept."""
    from types import SimpleNamespace

    import numpy as np

    from clusterqa.retrieve import hybrid
    from clusterqa.settings import RetrievalSettings

    index = _small_index()
    chunks = {f"c{i}": SimpleNamespace(doc_id=f"d{i // 10}") for i in range(190)}  # 190..199 gone
    view = SimpleNamespace(version=4, chunks=chunks, lexical=index, documents={})
    retriever = hybrid.HybridRetriever(None, None, RetrievalSettings())
    for docs in (frozenset({"d0"}), frozenset({"d3", "d19", "nosuchdoc"}), frozenset()):
        mask = retriever._allowed(view, docs)
        want = [cid in chunks and chunks[cid].doc_id in docs for cid in index.ids]
        assert mask.tolist() == want
    assert np.count_nonzero(retriever._allowed(view, frozenset({"d19"}))) == 0
    for i in range(hybrid._MASKS + 5):
        retriever._allowed(view, frozenset({f"d{i}", "x"}))
    assert len(retriever._masks) == hybrid._MASKS


class _ExactVectors:
    """A corpus reader over vectors in memory: exact cosine, Chroma's region filter; it
    records each search's depth and filter."""

    def __init__(self, view, vectors) -> None:
        self.view, self._vectors, self.calls = view, vectors, []

    def nearest(self, vector, k, region=None, docs=None):
        self.calls.append((k, region))
        sims = self._vectors @ vector
        order = sorted(range(len(sims)), key=lambda i: -sims[i])
        ids = [f"c{i}" for i in order
               if (region is None or self.view.documents[f"d{i}"].region == region)
               and (docs is None or f"d{i}" in docs)]
        return [(cid, float(sims[int(cid[1:])])) for cid in ids[:k]]

    def embeddings(self, ids):
        self.calls.append(("fetch", len(ids)))
        return {cid: self._vectors[int(cid[1:])] for cid in ids}


def test_a_regions_dense_search_unfiltered_and_deep_equals_chromas_filter(monkeypatch) -> None:
    """A region's nearest chunks come from one unfiltered search deep enough for the region's
    share, filtered here: the same chunks, in the same order, as the filtered search; when
    the deep search holds too few of the region's, the filtered search is used after all."""
    from types import SimpleNamespace

    import numpy as np

    from clusterqa.retrieve import hybrid
    from clusterqa.settings import RetrievalSettings
    from clusterqa.store import CorpusView

    index = _small_index()  # 200 chunks; regions north, south, none by row
    regions = index._region_names_of_rows()
    view = CorpusView(
        version=1, lexical=index,
        chunks={f"c{i}": SimpleNamespace(doc_id=f"d{i}") for i in range(200)},
        documents={f"d{i}": SimpleNamespace(region=regions[i] or None) for i in range(200)})
    vectors = np.random.default_rng(3).standard_normal((200, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    corpus = _ExactVectors(view, vectors)
    retriever = hybrid.HybridRetriever(corpus, None, RetrievalSettings())
    for q in range(5):
        for n in (5, 30, 67):
            got = retriever._nearest(view, vectors[q], n, "north", None)
            want = corpus.nearest(vectors[q], n, region="north")
            assert got[:n] == want, (q, n)
    # 67 of north's 67 chunks: 67 * 200 / 67 * 1.25 = 250 asked, all 200 returned (exhaustive).
    corpus.calls.clear()
    assert len(retriever._nearest(view, vectors[0], 67, "north", None)) == 67
    assert corpus.calls == [(250, None)]
    # Too deep to search unfiltered: Chroma's filter.
    monkeypatch.setattr(hybrid, "_MAX_FETCH", 100)
    corpus.calls.clear()
    retriever._nearest(view, vectors[0], 67, "north", None)
    assert corpus.calls == [(67, "north")]
    # Deep enough for the region's share, yet too few of its chunks turned up: filter after all.
    monkeypatch.setattr(hybrid, "_OVERFETCH", 0.5)
    corpus.calls.clear()
    got = retriever._nearest(view, vectors[0], 60, "north", None)
    assert corpus.calls == [(90, None), (60, "north")] and got == corpus.nearest(
        vectors[0], 60, region="north")
    # A region no chunk is in: the filter (which finds nothing); documents routed: the filter.
    corpus.calls.clear()
    retriever._nearest(view, vectors[0], 5, "nowhere", None)
    retriever._nearest(view, vectors[0], 5, "north", frozenset({"d1"}))
    assert corpus.calls == [(5, "nowhere"), (5, "north")]


def test_large_corpora_fetch_routed_vectors_and_approximate_small_regions(monkeypatch) -> None:
    """Where Chroma's filter would read too many chunks: routed documents' vectors are fetched
    by id and scored exactly (the filter's answer, cheaper); a small region takes its chunks
    from the deepest unfiltered search plus BM25's candidates, scored exactly."""
    from types import SimpleNamespace

    import numpy as np

    from clusterqa.retrieve import hybrid
    from clusterqa.settings import RetrievalSettings
    from clusterqa.store import CorpusView

    index = _small_index()
    regions = index._region_names_of_rows()
    view = CorpusView(
        version=1, lexical=index,
        chunks={f"c{i}": SimpleNamespace(doc_id=f"d{i}") for i in range(200)},
        documents={f"d{i}": SimpleNamespace(region=regions[i] or None, chunk_ids=(f"c{i}",))
                   for i in range(200)})
    vectors = np.random.default_rng(5).standard_normal((200, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    corpus = _ExactVectors(view, vectors)
    retriever = hybrid.HybridRetriever(corpus, None, RetrievalSettings())
    docs = frozenset(f"d{i}" for i in range(0, 200, 7))
    want = corpus.nearest(vectors[1], 10, docs=docs)
    corpus.calls.clear()
    # 29 vectors cost more to fetch than filtering 200 chunks: the filter.
    assert retriever._nearest(view, vectors[1], 10, None, docs) == want
    assert corpus.calls == [(10, None)]
    monkeypatch.setattr(hybrid, "_FETCH_US_PER_VECTOR", 1.0)  # a far larger corpus
    corpus.calls.clear()
    got = retriever._nearest(view, vectors[1], 10, None, docs)
    assert [c for c, _ in got] == [c for c, _ in want] and corpus.calls == [("fetch", 29)]
    assert np.allclose([s for _, s in got], [s for _, s in want])

    # A small region whose filter would cost too much: unfiltered top 100 (of 200) and BM25.
    monkeypatch.setattr(hybrid, "_MAX_FETCH", 100)
    monkeypatch.setattr(hybrid, "_APPROXIMATE_ABOVE_MS", 0)
    south = [f"c{i}" for i in range(200) if regions[i] == "south"]
    farthest = min(south, key=lambda c: float(vectors[int(c[1:])] @ vectors[2]))
    corpus.calls.clear()
    got = retriever._nearest(view, vectors[2], len(south), "south", None,
                             candidates=[farthest])
    top100 = {c for c, _ in corpus.nearest(vectors[2], 100)}
    expected = {c for c in south if c in top100} | {farthest}
    assert corpus.calls[0] == (100, None) and corpus.calls[1] == ("fetch", 1)
    ranked = sorted(expected, key=lambda c: -float(vectors[int(c[1:])] @ vectors[2]))
    assert [c for c, _ in got] == ranked and ranked[-1] == farthest  # found by BM25 alone
    assert len(ranked) < len(south)  # the approximation: the rest of south is not searched
    assert all(regions[int(c[1:])] == "south" for c, _ in got)
    # Without candidates (BM25 off) the exact filter is kept.
    corpus.calls.clear()
    retriever._nearest(view, vectors[2], 30, "south", None)
    assert corpus.calls == [(30, "south")]
