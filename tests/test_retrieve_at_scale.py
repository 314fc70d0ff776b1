"""The searches a large store takes instead of Chroma's metadata filter, on a real embedded
Chroma (the scale benchmark's synthetic chunks, so no model is loaded): routed documents'
vectors fetched by id give the filter's answer; a small region's approximate search returns
only the region's chunks, best first, and still finds the chunk a question aims at."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clusterqa.analysis import analyse
from clusterqa.bench.scale_corpus import (
    CHUNKS_PER_DOC,
    FixedQueryEmbedder,
    SyntheticCorpus,
    question_for,
)
from clusterqa.retrieve import HybridRetriever, hybrid
from clusterqa.store import CorpusView, FixedCorpus
from clusterqa.store.lexical import LexicalIndex, lexical_params
from clusterqa.store.vectors import VectorStore
from clusterqa.types import Chunk
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("scale"))
    corpus = SyntheticCorpus(3_000)
    vectors = VectorStore(settings)
    chunks: dict[str, Chunk] = {}
    questions = []
    rng = np.random.default_rng(11)
    for batch in corpus.batches():
        vectors.upsert(batch.ids, batch.vectors, [
            {"doc_id": d, "region": r, "kind": "report"}
            for d, r in zip(batch.doc_ids, batch.regions, strict=True)], batch.texts)
        for i, (cid, doc, text) in enumerate(zip(batch.ids, batch.doc_ids, batch.texts,
                                                  strict=True)):
            chunks[cid] = Chunk(cid, doc, (batch.start + i) % CHUNKS_PER_DOC, None, 0,
                                len(text), text)
            if batch.names[i] >= 0 and i % 97 == 0:
                questions.append(question_for(corpus, batch, i, rng))
    by_doc: dict[str, list[str]] = {}
    for chunk in chunks.values():
        by_doc.setdefault(chunk.doc_id, []).append(chunk.chunk_id)
    documents = {d: dataclasses.replace(doc, chunk_ids=tuple(by_doc.get(d, ())))
                 for d, doc in corpus.documents().items()}
    lexical = LexicalIndex.of_corpus(list(chunks.values()), documents,
                                     lexical_params(settings.retrieval))
    view = CorpusView(1, chunks, documents, lexical)
    yield settings, view, vectors, questions
    vectors.close()


def test_routed_documents_fetched_by_id_equal_chromas_filter(store, monkeypatch) -> None:
    settings, view, vectors, questions = store
    retriever = HybridRetriever(FixedCorpus(view, vectors), None, settings.retrieval)
    docs = frozenset({"d3", "d41", "d200"})
    vector = np.asarray(questions[0]["vector"], dtype=np.float32)
    want = vectors.query(vector, 25, docs=docs)
    monkeypatch.setattr(hybrid, "_FETCH_US_PER_VECTOR", 0.001)  # as in a far larger store
    fetched = _count_fetches(monkeypatch)
    got = retriever._nearest(view, vector, 25, None, docs)
    assert fetched == [3 * 10]  # the three documents' chunks, and no filter
    assert [c for c, _ in got] == [c for c, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-4)


def test_a_small_regions_approximate_search_keeps_to_the_region(store, monkeypatch) -> None:
    settings, view, vectors, questions = store
    monkeypatch.setattr(hybrid, "_APPROXIMATE_ABOVE_MS", 0)  # as in a far larger store
    monkeypatch.setattr(hybrid, "_MAX_FETCH", 300)
    embedder = FixedQueryEmbedder({q["text"]: np.asarray(q["vector"], dtype=np.float32)
                                   for q in questions})
    retriever = HybridRetriever(FixedCorpus(view, vectors), embedder, settings.retrieval)
    fetched = _count_fetches(monkeypatch)
    found = 0
    for q in questions:
        vector = np.asarray(q["vector"], dtype=np.float32)
        lexical, _ = view.lexical.search_with_stats(analyse(q["text"]).search_tokens, 300,
                                                    region=q["region"])
        dense = retriever._nearest(view, vector, 50, q["region"], None,
                                   candidates=[c for c, _ in lexical])
        assert dense and all(view.documents[view.chunks[c].doc_id].region == q["region"]
                             for c, _ in dense)
        sims = [s for _, s in dense]
        assert sims == sorted(sims, reverse=True)
        hits = retriever.retrieve(q["text"], region=q["region"]).hits
        assert all(view.documents[view.chunks[h.chunk_id].doc_id].region == q["region"]
                   for h in hits)
        found += q["target"] in {h.chunk_id for h in hits}
    assert found >= 0.9 * len(questions)
    assert len(fetched) >= len(questions)  # BM25's candidates were scored, every time


def _count_fetches(monkeypatch) -> list[int]:
    """How many vectors each fetch by id asked for (and no use of Chroma's filter)."""
    calls: list[int] = []
    fetch, query = FixedCorpus.embeddings, FixedCorpus.nearest

    def counted(self, ids):
        calls.append(len(ids))
        return fetch(self, ids)

    def unfiltered(self, vector, k, region=None, docs=None):
        assert region is None and docs is None, "Chroma's filter was used"
        return query(self, vector, k)

    monkeypatch.setattr(FixedCorpus, "embeddings", counted)
    monkeypatch.setattr(FixedCorpus, "nearest", unfiltered)
    return calls
