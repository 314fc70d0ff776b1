"""The scale benchmark's synthetic corpus: a newsroom archive's shape without its cost.

Nothing is embedded, so no embedding cost is measured:

- text for BM25: words drawn from a fixed pseudo-word vocabulary with a Zipf-like
  distribution (its most frequent "words" are English stopwords, which BM25 drops, as in real
  text), 70-130 words a chunk, and in 40 % of chunks one rare capitalised "name" (each name in
  about 25 chunks), so a question has a selective term as real ones do;
- vectors: seeded random unit vectors of dimension 384 (float32), each a random one of 256
  topic centres plus as much Gaussian noise again (cosine about 0.5 within a topic, 0 across):
  real embeddings cluster, and uniform random vectors are a worst case no embedding model makes;
- ten chunks a document, documents spread over twelve regions, unevenly.

Each question targets one chunk: its text is the chunk's name and three of its words, its
vector is the chunk's plus noise. :class:`FixedQueryEmbedder` returns that vector, so the
retriever runs as in the app. The corpus is made batch by batch from (size, seed), the same in
every process, so the build and serve children regenerate it rather than pass it around.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DIM = 384
SEED = 15

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


def question_for(corpus: SyntheticCorpus, batch: Batch, i: int, rng: np.random.Generator
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
