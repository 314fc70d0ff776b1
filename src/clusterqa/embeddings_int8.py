"""The same sentence-transformers model, run by CTranslate2 with int8 weights: about twice as
fast on a CPU without native bf16, the vectors within cosine 0.99 of fp32 (BENCHMARKS.md).

Embedding is most of what ingest costs, so this is the default (``embedding.precision``).
Why our own adapter: sentence-transformers has backends for ONNX and OpenVINO but not for
CTranslate2, and here ONNX fp32 and OpenVINO were no faster than torch while ONNX's dynamic
int8 moved vectors too far (cosine down to 0.84); CTranslate2 quantizes weights per row.

The model directory's weights are checked (embeddings.verify_weights), then converted once
to CTranslate2's format in a cache folder keyed by their sha256; nothing is downloaded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from clusterqa.embeddings import file_sha256, resolve_model_dir, verify_weights
from clusterqa.errors import ModelIntegrityError
from clusterqa.settings import EmbeddingSettings

log = logging.getLogger(__name__)

_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_DONE = "clusterqa-converted.json"  # written last: a folder without it is an interrupted run


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clusterqa"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _weights_sha(model_dir: Path) -> str:
    for name in _WEIGHTS:
        path = model_dir / name
        if path.is_file():
            return file_sha256(path)
    raise ModelIntegrityError(f"no {' or '.join(_WEIGHTS)} in {model_dir}")


def check_mean_pooled(model_dir: Path) -> int:
    """The model's max sequence length, if it is a mean-pooled sentence-transformers model
    (what this adapter reproduces); otherwise a clear error."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise ModelIntegrityError(
            f"{model_dir} is not a sentence-transformers model the int8 engine can run "
            f"({exc}); set embedding.precision = 'fp32'") from exc
    if kinds[:2] != ["Transformer", "Pooling"] or not pooling.get("pooling_mode_mean_tokens") \
            or any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens")):
        raise ModelIntegrityError(
            f"{model_dir} is not a mean-pooled model ({', '.join(kinds)}); the int8 engine "
            "reproduces mean pooling only; set embedding.precision = 'fp32'")
    if not (model_dir / "tokenizer.json").is_file():
        raise ModelIntegrityError(f"no tokenizer.json in {model_dir}; set "
                                  "embedding.precision = 'fp32'")
    return int(config.get("max_seq_length") or 512)


def converted(model_dir: Path, cache_dir: Path) -> Path:
    """The CTranslate2 copy of ``model_dir``'s weights, converted on first use (a few seconds)
    into ``cache_dir``; concurrent first uses each convert, the first rename wins."""
    import ctranslate2

    key = f"{_weights_sha(model_dir)[:20]}-ct2-{ctranslate2.__version__}"
    target = cache_dir / "ctranslate2" / key
    if (target / _DONE).is_file():
        _check_converted(target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".converting-"))
    try:
        from ctranslate2.converters import TransformersConverter
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()  # the converter's deprecation notes are not ours
        out = work / "model"
        TransformersConverter(str(model_dir)).convert(str(out), quantization="int8")
        (out / _DONE).write_text(json.dumps({"model.bin": file_sha256(out / "model.bin")}))
        try:
            out.rename(target)
        except OSError:  # another process finished first, or a stale half: keep theirs
            if not (target / _DONE).is_file():
                shutil.rmtree(target, ignore_errors=True)
                out.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _check_converted(target)
    return target


def _check_converted(folder: Path) -> None:
    expected = json.loads((folder / _DONE).read_text()).get("model.bin")
    if file_sha256(folder / "model.bin") != expected:
        raise ModelIntegrityError(
            f"the converted model in {folder} does not match what was converted; delete the "
            "folder and it is converted again")


class Int8Embedder:
    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self.name = f"ctranslate2-int8:{settings.model}"
        self._encoder = None

    def load(self) -> None:
        if self._encoder is not None:
            return
        import ctranslate2
        from tokenizers import Tokenizer

        model_dir = resolve_model_dir(self.settings.model)
        verify_weights(model_dir, self.settings.sha256)
        max_length = check_mean_pooled(model_dir)
        cache = Path(self.settings.cache_dir).expanduser() if self.settings.cache_dir \
            else default_cache_dir()
        try:
            folder = converted(model_dir, cache)
        except OSError as exc:  # a read-only home, say: convert into the temp folder
            log.warning("cannot keep the converted model in %s (%s); using %s", cache, exc,
                        tempfile.gettempdir())
            folder = converted(model_dir, Path(tempfile.gettempdir()) / "clusterqa")
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length)
        self._tokenizer = tokenizer
        self._encoder = ctranslate2.Encoder(str(folder), device="cpu",
                                            compute_type="int8_float32",
                                            intra_threads=usable_cores())
        self._dimension = int(json.loads((model_dir / "config.json").read_text())
                              ["hidden_size"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.load()
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        # Longest first, in batches of similar length: little padding to compute.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        size = self.settings.batch_size
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            hidden = np.asarray(self._encoder.forward_batch([ids[i] for i in batch])
                                .last_hidden_state)
            lengths = np.array([len(ids[i]) for i in batch])
            mask = (np.arange(hidden.shape[1])[None, :] < lengths[:, None])[..., None]
            mean = (hidden * mask).sum(axis=1) / lengths[:, None]
            out[batch] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
