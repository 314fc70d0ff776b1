"""Speed on 2 CPU cores: warm query latency (retrieval alone and a full answer), cold start to
the first answer and peak memory (each system in its own process), and how retrieval latency
grows from 1k to 5k to 50k chunks. Uses the SciFact store `bench scifact` builds (or builds it).

The larger stores are made by duplicating SciFact's chunks: each copy keeps the text with a
"copy N" tag appended (so BM25 sees distinct documents) and the vector plus small Gaussian noise
(sigma 0.01, renormalised), so no embedding is needed to grow the store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from clusterqa.bench import scifact
from clusterqa.bench.common import BenchResult, passage_text, percentiles
from clusterqa.settings import Settings

OURS_CHILD = """
import json, resource, sys, time
from clusterqa import Assistant, Settings
settings = Settings.model_validate_json(sys.argv[1])
questions = json.loads(sys.argv[2])
assistant = Assistant.from_settings(settings)
first = assistant.ask(questions[0])
cold = time.time()
for q in questions[:10]:
    assistant.ask(q)  # warm up caches
retrieve, answer = [], []
for q in questions:
    t = time.perf_counter()
    assistant.retriever.retrieve(q)
    retrieve.append(time.perf_counter() - t)
    t = time.perf_counter(); assistant.ask(q); answer.append(time.perf_counter() - t)
print(json.dumps({"first_answer_at": cold, "retrieve_ms": [x * 1000 for x in retrieve],
                  "answer_ms": [x * 1000 for x in answer],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

NAIVE_CHILD = """
import json, resource, sys, time
from pathlib import Path
from clusterqa.evals.naive import NaiveRecipe
from clusterqa.settings import EmbeddingSettings
embedding = EmbeddingSettings.model_validate_json(sys.argv[1])
questions = json.loads(sys.argv[2])
naive = NaiveRecipe(embedding, persist_dir=Path(sys.argv[3]))
assert naive.open_existing()
naive.retrieve(questions[0], 5)
cold = time.time()
for q in questions[:10]:
    naive.retrieve(q, 5)
retrieve = []
for q in questions:
    t = time.perf_counter(); naive.retrieve(q, 5); retrieve.append(time.perf_counter() - t)
print(json.dumps({"first_answer_at": cold, "retrieve_ms": [x * 1000 for x in retrieve],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str) -> tuple[dict, float]:
    started = time.time()
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                         check=True, timeout=3600)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data, data["first_answer_at"] - started


def run(settings: Settings, data: Path, quick: bool = False) -> BenchResult:
    from clusterqa.evals.naive import NaiveRecipe

    corpus, queries, _ = scifact.load(data, quick)
    ours, _ = scifact.build_store(settings, corpus, quick, fresh=False)  # no-op when built
    naive = NaiveRecipe(settings.embedding, persist_dir=scifact.naive_dir(settings, quick))
    if not naive.open_existing():
        naive.build_from_texts([(d["_id"], passage_text(d)) for d in corpus])
    naive.close()
    questions = list(queries.values())[: 60 if quick else 300]

    mine, my_cold = _child(OURS_CHILD, ours.model_dump_json(), json.dumps(questions))
    theirs, their_cold = _child(NAIVE_CHILD, settings.embedding.model_dump_json(),
                                json.dumps(questions), str(scifact.naive_dir(settings, quick)))
    result = BenchResult("speed")
    r_ours, r_naive = percentiles(mine["retrieve_ms"]), percentiles(theirs["retrieve_ms"])
    a_ours = percentiles(mine["answer_ms"])
    result.add("retrieval p50", r_ours["p50"], r_naive["p50"], "ms", higher_is_better=False,
               target="≤ 30 ms at 5k docs")
    result.add("retrieval p95", r_ours["p95"], r_naive["p95"], "ms", higher_is_better=False)
    result.add("full answer p50", a_ours["p50"], None, "ms", target="≤ 150 ms at 5k docs")
    result.add("full answer p95", a_ours["p95"], None, "ms")
    result.add("cold start to first answer", round(my_cold, 2), round(their_cold, 2), "s",
               higher_is_better=False)
    result.add("peak RSS", round(mine["rss_mb"]), round(theirs["rss_mb"]), "MB",
               higher_is_better=False)
    result.details = {"documents": len(corpus), "questions": len(questions),
                      "growth": growth(ours, questions[:50], quick)}
    for size, row in result.details["growth"].items():
        result.add(f"retrieval p50 at {size} chunks", row["ours_p50"], row["naive_p50"], "ms",
                   higher_is_better=False)
    result.notes.append("The plain recipe's 'answer' needs an LLM; its latency is retrieval "
                        "(top-5) only. Cold start is process start to first result, "
                        "imports and model load included.")
    return result


def growth(ours: Settings, questions: list[str], quick: bool) -> dict[str, dict[str, float]]:
    """Retrieval latency over stores of growing size made by duplicating real chunks."""
    from clusterqa.embeddings import create_embedder
    from clusterqa.evals.naive import NaiveRecipe
    from clusterqa.retrieve import HybridRetriever
    from clusterqa.store import CorpusIndex, CorpusView, FixedCorpus
    from clusterqa.store.lexical import LexicalIndex, lexical_params
    from clusterqa.store.vectors import VectorStore
    from clusterqa.types import Chunk

    source = CorpusIndex(ours)
    chunks = list(source.view.chunks.values())
    vectors = source.vectors.embeddings([c.chunk_id for c in chunks])
    source.close()
    embedder = create_embedder(ours.embedding)
    rng = np.random.default_rng(0)
    sizes = (1_000, 5_000) if quick else (1_000, 5_000, 50_000)
    out: dict[str, dict[str, float]] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="clusterqa-growth-") as tmp:
            settings = ours.model_copy(update={"data_dir": Path(tmp)})
            records, texts, matrix = [], [], []
            for i in range(size):
                base = chunks[i % len(chunks)]
                copy = i // len(chunks)
                text = base.text if copy == 0 else f"{base.text} copy{copy}"
                vec = vectors[base.chunk_id] + (rng.normal(0, 0.01, 384) if copy else 0)
                records.append(Chunk(f"g{i}", base.doc_id, 0, None, 0, len(text), text))
                texts.append(text)
                matrix.append(vec / np.linalg.norm(vec))
            matrix = np.asarray(matrix, dtype=np.float32)
            store = VectorStore(settings)
            store.upsert([r.chunk_id for r in records], matrix,
                         [{"region": "x"}] * size, texts)
            view = CorpusView(1, {r.chunk_id: r for r in records}, {},
                              LexicalIndex.of_corpus(records, {},
                                                     lexical_params(settings.retrieval)))
            retriever = HybridRetriever(FixedCorpus(view, store), embedder, settings.retrieval)
            naive = NaiveRecipe(ours.embedding, persist_dir=Path(tmp) / "naive")
            naive.add_embedded(texts, matrix)
            mine, theirs = [], []
            for q in questions[:5]:
                retriever.retrieve(q)
                naive.retrieve(q, 5)
            for q in questions:
                t = time.perf_counter()
                retriever.retrieve(q)
                mine.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                naive.retrieve(q, 5)
                theirs.append((time.perf_counter() - t) * 1000)
            out[f"{size:,}"] = {"ours_p50": percentiles(mine)["p50"],
                                "naive_p50": percentiles(theirs)["p50"]}
    return out
