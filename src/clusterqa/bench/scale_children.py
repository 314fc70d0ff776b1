"""The scale benchmark's two child processes, one of each per size and store, so sizes do not
pile up memory and each peak RSS is its own:

- *build* (an ingest's write side): Chroma upserts of the vectors (chunks/s), BM25 built from
  the chunks as ingest does (``LexicalIndex.of_corpus``) and saved; its peak RSS;
- *serve* (a chat process): BM25 loaded from disk, the chunks in memory as the manifest would
  give them, the vector store opened; latency of dense alone, BM25 alone, fused, and fused
  within one region (question analysis done before the clock starts); how often the targeted
  chunk is in the top ``retrieval.top_k``; where a fused retrieval's time goes; peak RSS.

The parent (scale.py) runs ``python -m clusterqa.bench.scale_children ARGS`` and reads the
last line of its stdout, one JSON object.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from clusterqa.bench.common import percentiles
from clusterqa.bench.scale_corpus import (
    CHUNKS_PER_DOC,
    SEED,
    FixedQueryEmbedder,
    SyntheticCorpus,
    question_for,
)
from clusterqa.settings import Settings

MODES = ("dense", "bm25", "fused", "fused_region")


def _rss_mb() -> dict[str, float]:
    current = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_mb": round(current)}


def build(settings: Settings, size: int, questions: int, work: Path) -> dict[str, Any]:
    """The write side: vectors into Chroma, then BM25 built from the chunks and saved."""
    from clusterqa.store.layout import StoreLayout
    from clusterqa.store.lexical import LexicalIndex, lexical_params
    from clusterqa.store.vectors import VectorStore
    from clusterqa.types import Chunk

    corpus = SyntheticCorpus(size)
    qrng = np.random.default_rng([SEED, 3, size])
    wanted = set(qrng.choice(size, min(size, questions * 4), replace=False).tolist())
    store = VectorStore(settings)
    records: list[Chunk] = []
    asked: list[dict[str, Any]] = []
    generate_s = write_s = 0.0
    t = time.perf_counter()
    for batch in corpus.batches():
        generate_s += time.perf_counter() - t
        t = time.perf_counter()
        store.upsert(batch.ids, batch.vectors, [
            {"doc_id": d, "region": r, "kind": "report"}
            for d, r in zip(batch.doc_ids, batch.regions, strict=True)], batch.texts)
        write_s += time.perf_counter() - t
        if (batch.start + len(batch.ids)) % 100_000 == 0:  # a long build shows it is alive
            print(f"{batch.start + len(batch.ids):,} chunks written in {write_s:.0f} s",
                  file=sys.stderr, flush=True)
        t = time.perf_counter()
        for i, (cid, doc, text) in enumerate(zip(batch.ids, batch.doc_ids, batch.texts,
                                                  strict=True)):
            records.append(Chunk(cid, doc, (batch.start + i) % CHUNKS_PER_DOC, None, 0,
                                 len(text), text))
            if batch.start + i in wanted and batch.names[i] >= 0 and len(asked) < questions:
                asked.append(question_for(corpus, batch, i, qrng))
    generate_s += time.perf_counter() - t
    t = time.perf_counter()
    count = store.count()
    store.query(np.asarray(asked[0]["vector"], dtype=np.float32), 10)
    settle_s = time.perf_counter() - t  # a write that is still being indexed shows here
    store.close()
    assert count == size, f"Chroma holds {count} of {size} chunks"
    rss_after_write = _rss_mb()["rss_mb"]

    documents = corpus.documents()
    params = lexical_params(settings.retrieval)
    t = time.perf_counter()
    lexical = LexicalIndex.of_corpus(records, documents, params)
    bm25_build_s = time.perf_counter() - t
    t = time.perf_counter()
    lexical.save(StoreLayout(settings.data_dir).bm25, 1)
    bm25_save_s = time.perf_counter() - t
    (work / "questions.json").write_text(json.dumps(asked))
    return {"chunks": size, "generate_s": round(generate_s, 2), "write_s": round(write_s, 2),
            "write_per_s": round(size / write_s, 1), "settle_s": round(settle_s, 3),
            "bm25_build_s": round(bm25_build_s, 2), "bm25_save_s": round(bm25_save_s, 2),
            "rss_after_write_mb": rss_after_write, **_rss_mb()}


def serve(settings: Settings, size: int, work: Path) -> dict[str, Any]:
    """The read side, as a chat process has it: retrieval latency and memory."""
    from clusterqa.analysis import analyse
    from clusterqa.retrieve import HybridRetriever
    from clusterqa.store import CorpusView, FixedCorpus
    from clusterqa.store.layout import StoreLayout
    from clusterqa.store.lexical import LexicalIndex
    from clusterqa.store.vectors import VectorStore
    from clusterqa.types import Chunk

    asked = json.loads((work / "questions.json").read_text())
    corpus = SyntheticCorpus(size)
    t = time.perf_counter()
    chunks: dict[str, Chunk] = {}
    for batch in corpus.batches(vectors=False):
        for i, (cid, doc, text) in enumerate(zip(batch.ids, batch.doc_ids, batch.texts,
                                                  strict=True)):
            chunks[cid] = Chunk(cid, doc, (batch.start + i) % CHUNKS_PER_DOC, None, 0,
                                len(text), text)
    documents = corpus.documents()
    chunks_s = time.perf_counter() - t
    del corpus, batch
    gc.collect()
    t = time.perf_counter()
    loaded = LexicalIndex.load(StoreLayout(settings.data_dir).bm25)
    assert loaded is not None, "the benchmark's BM25 index did not load"
    bm25_load_s = time.perf_counter() - t
    t = time.perf_counter()
    store = VectorStore(settings)
    open_s = time.perf_counter() - t
    view = CorpusView(1, chunks, documents, loaded[0])
    embedder = FixedQueryEmbedder({q["text"]: np.asarray(q["vector"], dtype=np.float32)
                                   for q in asked})
    r = settings.retrieval
    retrievers = {
        "dense": HybridRetriever(FixedCorpus(view, store), embedder,
                                 r.model_copy(update={"bm25": False})),
        "bm25": HybridRetriever(FixedCorpus(view, store), embedder,
                                r.model_copy(update={"dense": False})),
        "fused": HybridRetriever(FixedCorpus(view, store), embedder, r),
    }
    questions = [(analyse(q["text"], expand_places=r.expand_places), q) for q in asked]
    t = time.perf_counter()
    retrievers["fused"].retrieve(questions[0][0])
    first_s = time.perf_counter() - t  # Chroma loads its index on the first query
    for question, q in questions[:5]:  # warm up
        for mode in MODES:
            _retrieve(retrievers, mode, question, q["region"])
    latency: dict[str, list[float]] = {m: [] for m in MODES}
    parts: dict[str, dict[str, list[float]]] = {
        mode: {"dense": [], "bm25": []} for mode in ("fused", "fused_region")}
    found = dict.fromkeys(MODES, 0)
    for question, q in questions:
        for mode in MODES:  # interleaved, so load on the machine hits every mode alike
            t = time.perf_counter()
            got = _retrieve(retrievers, mode, question, q["region"])
            latency[mode].append((time.perf_counter() - t) * 1000)
            found[mode] += q["target"] in {h.chunk_id for h in got.hits}
            for part, values in parts.get(mode, {}).items():
                values.append(got.timings_ms.get(part, 0.0))
    store.close()
    out: dict[str, Any] = {"questions": len(questions), "chunks_in_memory_s": round(chunks_s, 2),
                           "bm25_load_s": round(bm25_load_s, 2),
                           "store_open_s": round(open_s, 3), "first_query_s": round(first_s, 3)}
    for mode in MODES:
        out[mode] = {**percentiles(latency[mode]),
                     f"target_at_{r.top_k}": round(found[mode] / len(questions), 3)}
    for mode, timed in parts.items():  # where a fused retrieval's time goes
        out[f"{mode}_parts"] = {part: percentiles(v) for part, v in timed.items()}
    return {**out, **_rss_mb()}


def _retrieve(retrievers: dict, mode: str, question, region: str):
    if mode == "fused_region":
        return retrievers["fused"].retrieve(question, region=region)
    return retrievers[mode].retrieve(question)


def child(step: str, settings: Settings, size: int, questions: int, work: Path
          ) -> dict[str, Any]:
    """Run ``step`` ("build" or "serve") in a fresh interpreter; its result."""
    args = json.dumps({"step": step, "settings": settings.model_dump(mode="json"),
                       "size": size, "questions": questions, "work": str(work)})
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run([sys.executable, "-m", "clusterqa.bench.scale_children", args],
                          capture_output=True, text=True, env=env, timeout=6 * 3600)
    if done.returncode != 0:
        raise RuntimeError(f"scale benchmark {step} at {size:,} chunks failed:\n"
                           f"{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(raw: str) -> None:
    args = json.loads(raw)
    settings = Settings.model_validate(args["settings"])
    work = Path(args["work"])
    if args["step"] == "build":
        out = build(settings, args["size"], args["questions"], work)
    else:
        out = serve(settings, args["size"], work)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    child_main(sys.argv[1])
