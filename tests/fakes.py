"""Deterministic fakes, so the whole pipeline runs in tests without loading a model.

``HashEmbedder`` hashes each word (SHA-256) to a fixed random direction and sums them: texts
that share words get similar vectors, so retrieval tests behave sensibly, and every run and
machine gets the same numbers. Tests pass it to ``Ingestor``/``Assistant``, or install it as
the factory every component uses (:func:`install_fake_embedder`), as the ``fake_embedding``
fixture and the ``tests.fake_cli`` launcher do.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence

import numpy as np


class HashEmbedder:
    name = "fake-hash"

    def __init__(self, dimension: int = 64, delay: float = 0.0) -> None:
        self.dimension = dimension
        self.delay = delay  # seconds per call, to simulate a slow model
        self._cache: dict[str, np.ndarray] = {}

    def load(self) -> None:
        pass

    def _word(self, word: str) -> np.ndarray:
        vec = self._cache.get(word)
        if vec is None:
            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            vec = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            self._cache[word] = vec
        return vec

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i] += self._word(word)
            norm = np.linalg.norm(out[i])
            if norm > 0:
                out[i] /= norm
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def install_fake_embedder(delay: float = 0.0) -> None:
    """Make ``clusterqa.embeddings.create_embedder`` return a HashEmbedder (this process)."""
    import clusterqa.embeddings

    clusterqa.embeddings.create_embedder = lambda _settings: HashEmbedder(delay=delay)
