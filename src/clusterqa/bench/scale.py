"""Scale: how writing and retrieval cost grow from 1,000 to 1,000,000 chunks.

A synthetic corpus stands in for a newsroom archive, so nothing is embedded and no embedding
cost is measured:

- text for BM25: words drawn from a fixed pseudo-word vocabulary with a Zipf-like
  distribution (its most frequent "words" are English stopwords, which BM25 drops, as in real
  text), 70-130 words a chunk, and in 40 % of chunks one rare capitalised "name" (each name in
  about 25 chunks), so a question has a selective term as real ones do;
- vectors: seeded random unit vectors of dimension 384 (float32), each a random one of 256
  topic centres plus as much Gaussian noise again (cosine about 0.5 within a topic, 0 across):
  real embeddings cluster, and uniform random vectors are a worst case no embedding model makes;
- ten chunks a document, documents spread over twelve regions, unevenly.

Each question targets one chunk: its text is the chunk's name and three of its words, its
vector is the chunk's plus noise. A fixed embedder returns that vector, so the retriever runs
as in the app (question analysis is done before the clock starts).

Per size and store (embedded Chroma in a fresh data dir, and the server ``settings.chroma_url``
names, in a fresh collection it deletes afterwards), two child processes, so sizes do not pile
up memory:

- *build* (an ingest's write side): Chroma upserts of the vectors (chunks/s), BM25 built from
  the chunks as ingest does (``LexicalIndex.of_corpus``) and saved; its peak RSS;
- *serve* (a chat process): BM25 loaded from disk, the chunks in memory as the manifest would
  give them, the vector store opened; latency of dense alone, BM25 alone, fused, and fused
  within one region; how often the targeted chunk is in the top ``retrieval.top_k``; peak RSS.

Disk is the data dir (Chroma and BM25; for a server only BM25 is local).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clusterqa.bench.common import BenchResult, percentiles
from clusterqa.settings import Settings

DEFAULT_SIZES = [1_000, 5_000, 50_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
DIM = 384
SEED = 15
MODES = ("dense", "bm25", "fused", "fused_region")
TARGET_P50_MS = 150  # fused retrieval at 1M chunks (issue 15)
TARGET_RSS_MB = 8 * 1024

_BATCH = 10_000  # chunks generated and written at a time (a multiple of CHUNKS_PER_DOC)
CHUNKS_PER_DOC = 10
_VOCAB = 30_000
_CENTRES = 256
_NAME_SHARE = 0.4
_CHUNKS_PER_NAME = 25
_REGIONS = ("london", "scotland", "north-west", "south-east", "west-midlands", "north-east",
            "yorkshire", "wales", "south-west", "east-of-england", "east-midlands",
            "northern-ireland")
# The commonest words of English text; tokenize() drops them as BM25 does for real text.
_STOPWORDS = [
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by",
    "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an",
    "they", "you", "were", "her", "she", "there", "been", "one", "all", "we", "their", "has",
    "would", "when", "if", "so", "no", "will", "can", "more", "other", "who", "its", "into",
    "than"]
_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
           "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr"]
_NAME_ONSETS = ["z", "x", "q", "kw", "vr", "zh"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
_CODAS = ("", "", "n", "r", "s", "t", "l", "m", "nd", "st")


# --- the synthetic corpus ---------------------------------------------------------------------


def _words(rng: np.random.Generator, count: int, onsets: Sequence[str], syllables: int,
           exclude: set[str]) -> list[str]:
    """``count`` distinct pseudo-words of 2 to ``syllables`` + 1 syllables, the first led by
    one of ``onsets``."""
    out: dict[str, None] = {}
    first = np.asarray([o + v for o in onsets for v in _VOWELS], dtype=object)
    later = np.asarray([o + v for o in _ONSETS for v in _VOWELS], dtype=object)
    codas = np.asarray(_CODAS, dtype=object)
    while len(out) < count:
        n = 2 * (count - len(out)) + 100
        extra = rng.integers(1, syllables + 1, n)
        words = first[rng.integers(0, len(first), n)] + later[rng.integers(0, len(later), n)]
        third = later[rng.integers(0, len(later), n)]
        words = np.where(extra > 1, words + third, words) + codas[rng.integers(0, len(codas), n)]
        for word in words.tolist():
            if word not in exclude and len(out) < count:
                out[word] = None
    return list(out)


@dataclass
class Batch:
    start: int
    ids: list[str]
    texts: list[str]
    doc_ids: list[str]
    regions: list[str]
    word_ids: list[np.ndarray]  # each chunk's vocabulary indices (to draw questions from)
    names: list[int]  # each chunk's name index, -1 for none
    vectors: np.ndarray | None


class SyntheticCorpus:
    """``size`` chunks, the same for the same (size, seed) in every process, made batch by
    batch so a million chunks never sit in memory as vectors."""

    def __init__(self, size: int, seed: int = SEED) -> None:
        self.size, self.seed = size, seed
        rng = np.random.default_rng([seed, 0])
        content = _words(rng, _VOCAB, _ONSETS, 2, set(_STOPWORDS))
        self.vocab = np.asarray(_STOPWORDS + content, dtype=object)
        ranks = np.arange(1, len(self.vocab) + 1)
        weights = 1.0 / (ranks + 2.7) ** 1.05  # Zipf-Mandelbrot, as word counts go
        self._cdf = np.cumsum(weights / weights.sum())
        self.names = [w.capitalize() for w in
                      _words(rng, max(40, size // _CHUNKS_PER_NAME), _NAME_ONSETS, 2,
                             set(content))]
        centres = rng.standard_normal((_CENTRES, DIM)).astype(np.float32)
        self._centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        docs = (size + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC
        region_p = 1.0 / np.arange(1, len(_REGIONS) + 1)
        self.doc_regions = rng.choice(len(_REGIONS), docs, p=region_p / region_p.sum())
        title_words = self.vocab[np.searchsorted(self._cdf, rng.random((docs, 3)))
                                 .clip(len(_STOPWORDS), len(self.vocab) - 1)]
        self.doc_titles = [" ".join(words).title() for words in title_words.tolist()]

    def region_of_doc(self, doc: int) -> str:
        return _REGIONS[int(self.doc_regions[doc])]

    def batches(self, vectors: bool = True) -> Iterator[Batch]:
        for start in range(0, self.size, _BATCH):
            yield self._batch(start, min(_BATCH, self.size - start), vectors)

    def _batch(self, start: int, n: int, with_vectors: bool) -> Batch:
        rng = np.random.default_rng([self.seed, 1, start])
        lengths = rng.integers(70, 131, n)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        word_ids = np.searchsorted(self._cdf, rng.random(int(offsets[-1])))
        word_ids = word_ids.clip(0, len(self.vocab) - 1)
        words = self.vocab[word_ids]
        has_name = rng.random(n) < _NAME_SHARE
        name_ids = rng.integers(0, len(self.names), n)
        name_pos = rng.random(n)
        texts, names, per_chunk = [], [], []
        for i in range(n):
            lo, hi = int(offsets[i]), int(offsets[i + 1])
            chunk = words[lo:hi].tolist()
            if has_name[i]:
                chunk.insert(int(name_pos[i] * len(chunk)), self.names[name_ids[i]])
                names.append(int(name_ids[i]))
            else:
                names.append(-1)
            texts.append(" ".join(chunk) + ".")
            per_chunk.append(word_ids[lo:hi])
        docs = [(start + i) // CHUNKS_PER_DOC for i in range(n)]
        matrix = None
        if with_vectors:
            vrng = np.random.default_rng([self.seed, 2, start])
            topic = vrng.integers(0, _CENTRES, n)
            noise = vrng.standard_normal((n, DIM), dtype=np.float32) / np.float32(np.sqrt(DIM))
            matrix = self._centres[topic] + noise
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        return Batch(start, [f"s{start + i}" for i in range(n)], texts,
                     [f"d{d}" for d in docs], [self.region_of_doc(d) for d in docs],
                     per_chunk, names, matrix)

    def documents(self) -> dict[str, Any]:
        """The StoredDocuments (title and region) BM25 and region filters read."""
        from clusterqa.types import DocumentMeta, StoredDocument

        return {f"d{d}": StoredDocument(f"d{d}", "synthetic", "", "", DocumentMeta(
            title, "report", self.region_of_doc(d)), 1, "")
                for d, title in enumerate(self.doc_titles)}


def _question(corpus: SyntheticCorpus, batch: Batch, i: int, rng: np.random.Generator
              ) -> dict[str, Any]:
    """A question aimed at chunk ``i`` of ``batch``: its name, three of its words, and its
    vector plus noise."""
    content = np.unique(batch.word_ids[i][batch.word_ids[i] >= len(_STOPWORDS)])
    words = [str(corpus.vocab[w]) for w in rng.choice(content, min(3, len(content)),
                                                      replace=False)]
    text = f"What did {corpus.names[batch.names[i]]} say about {' '.join(words)}?"
    vector = batch.vectors[i] + rng.standard_normal(DIM).astype(np.float32) * 0.5 / np.sqrt(DIM)
    vector /= np.linalg.norm(vector)
    return {"text": text, "target": batch.ids[i], "region": batch.regions[i],
            "vector": vector.astype(np.float32).tolist()}


class FixedQueryEmbedder:
    """An embedder for the benchmark: each question's vector is given, none is computed."""

    name = "scale-bench-fixed"

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self._vectors = vectors

    def load(self) -> None:
        pass

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]


# --- the child processes ----------------------------------------------------------------------


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


def _build(settings: Settings, size: int, questions: int, work: Path) -> dict[str, Any]:
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
                asked.append(_question(corpus, batch, i, qrng))
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


def _serve(settings: Settings, size: int, work: Path) -> dict[str, Any]:
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


def _child(step: str, settings: Settings, size: int, questions: int, work: Path
           ) -> dict[str, Any]:
    args = json.dumps({"step": step, "settings": settings.model_dump(mode="json"),
                       "size": size, "questions": questions, "work": str(work)})
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run([sys.executable, "-m", "clusterqa.bench.scale", args],
                          capture_output=True, text=True, env=env, timeout=6 * 3600)
    if done.returncode != 0:
        raise RuntimeError(f"scale benchmark {step} at {size:,} chunks failed:\n"
                           f"{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child_main(raw: str) -> None:
    args = json.loads(raw)
    settings = Settings.model_validate(args["settings"])
    work = Path(args["work"])
    if args["step"] == "build":
        out = _build(settings, args["size"], args["questions"], work)
    else:
        out = _serve(settings, args["size"], work)
    print(json.dumps(out), flush=True)


# --- the parent -------------------------------------------------------------------------------


def _disk_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    total = sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())
    return round(total / 2**20, 1)


def _drop_collection(url: str, name: str) -> None:
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parsed = urlparse(url)
    client = chromadb.HttpClient(host=parsed.hostname, port=parsed.port or 80,
                                 ssl=parsed.scheme == "https",
                                 settings=ChromaSettings(anonymized_telemetry=False))
    with contextlib.suppress(Exception):  # never created: the build failed first
        client.delete_collection(name)


def measure(settings: Settings, store: str, size: int, questions: int,
            workdir: Path | None = None) -> dict[str, Any]:
    """One size on one store ("embedded" or "server"): build, then serve, each in a child."""
    with tempfile.TemporaryDirectory(prefix=f"clusterqa-scale-{size}-", dir=workdir) as tmp:
        work = Path(tmp)
        update: dict[str, Any] = {"data_dir": work / "data"}
        if store == "embedded":
            update["chroma_url"] = None
        else:
            update["collection"] = f"scale-{size}-{uuid.uuid4().hex[:8]}"
        child = settings.model_copy(update=update)
        try:
            build = _child("build", child, size, questions, work)
            serve = _child("serve", child, size, questions, work)
            from clusterqa.store.layout import StoreLayout

            layout = StoreLayout(child.data_dir)
            disk = {"chroma_mb": _disk_mb(layout.chroma) if store == "embedded" else None,
                    "bm25_mb": _disk_mb(layout.bm25)}
        finally:
            if store == "server":
                _drop_collection(settings.chroma_url, update["collection"])
            shutil.rmtree(work, ignore_errors=True)
    return {"build": build, "serve": serve, "disk": disk}


def run(settings: Settings, data: Path, quick: bool = False, sizes: list[int] | None = None,
        questions: int | None = None, workdir: Path | None = None) -> BenchResult:
    """Write and retrieval cost by corpus size, for the embedded store and (when
    ``settings.chroma_url`` is set) the server. ``data`` is unused: the corpus is synthetic."""
    del data
    sizes = list(sizes or (QUICK_SIZES if quick else DEFAULT_SIZES))
    questions = questions or (40 if quick else 100)
    stores = ["embedded"] + (["server"] if settings.chroma_url else [])
    result = BenchResult("scale")
    curve: dict[str, dict[str, Any]] = {}
    for store in stores:
        curve[store] = {}
        for size in sizes:
            row = measure(settings, store, size, questions, workdir)
            curve[store][str(size)] = row
            _add_rows(result, store, size, row)
    r = settings.retrieval
    result.details = {"sizes": sizes, "questions": questions, "dim": DIM,
                      "depth": r.depth, "top_k": r.top_k, "chroma_url": settings.chroma_url,
                      "curve": curve}
    result.notes.append(
        "Synthetic corpus: clustered random unit vectors (384-d) and Zipf pseudo-word text; "
        "no embedding. Latency is retrieval alone (question analysis and embedding excluded). "
        "Build RSS is the writing process, serve RSS a process that only answers.")
    if "server" in stores:
        result.notes.append("Server rows: RSS and disk are this side only (BM25, chunks); "
                            "the Chroma server's own memory and disk are not included.")
    return result


def _add_rows(result: BenchResult, store: str, size: int, row: dict[str, Any]) -> None:
    b, s, d = row["build"], row["serve"], row["disk"]
    at = f"{store} {size:,}"
    big = size >= 1_000_000
    result.add(f"{at}: write chunks/s", b["write_per_s"], unit="/s")
    result.add(f"{at}: BM25 build", b["bm25_build_s"], unit="s", higher_is_better=False)
    for mode in MODES:
        label = "fused+region" if mode == "fused_region" else mode
        target = f"≤ {TARGET_P50_MS} ms" if big and mode == "fused" else ""
        result.add(f"{at}: {label} p50", s[mode]["p50"], unit="ms", higher_is_better=False,
                   target=target)
        result.add(f"{at}: {label} p95", s[mode]["p95"], unit="ms", higher_is_better=False)
    result.add(f"{at}: peak RSS build", b["peak_rss_mb"], unit="MB", higher_is_better=False)
    result.add(f"{at}: peak RSS serve", s["peak_rss_mb"], unit="MB", higher_is_better=False,
               target=f"≤ {TARGET_RSS_MB:,} MB" if big else "")
    disk = (d["chroma_mb"] or 0) + d["bm25_mb"]
    result.add(f"{at}: disk", round(disk, 1), unit="MB", higher_is_better=False)


if __name__ == "__main__":
    _child_main(sys.argv[1])
