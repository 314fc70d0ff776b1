"""Shared fixtures. Every test gets its own data dir; nothing touches the repo's .clusterqa/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from clusterqa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CLUSTERQA_* variable or clusterqa.toml from the developer's shell leaks in."""
    for key in list(os.environ):
        if key.startswith("CLUSTERQA_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def make_settings(tmp_path: Path, *, corpus: Path | None = None, **overrides) -> Settings:
    data = {"data_dir": tmp_path / "data", "corpus_dir": corpus or tmp_path / "corpus",
            "sources_file": tmp_path / "no-sources.yaml", **overrides}
    return Settings.load(**data)


def fake_cli_env(delay: float = 0.0) -> dict[str, str]:
    """The environment for `python -m tests.fake_cli` (the CLI with the fake embedder)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "FAKE_EMBED_DELAY": str(delay)}


@pytest.fixture
def fake_embedding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every embedder the code under test makes is the deterministic fake."""
    from tests.fakes import HashEmbedder

    monkeypatch.setattr("clusterqa.embeddings.create_embedder", lambda _s: HashEmbedder())


def corpus_doc_ids(corpus: Path) -> set[str]:
    """The document ids a corpus folder ingests as (its files' paths under it): tests count
    these, never the shipped corpus's documents, so adding a region breaks no test."""
    from clusterqa.loading import discover

    return {p.relative_to(corpus).as_posix() for p in discover([corpus])}


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A copy of the shipped corpus the test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def fake_settings(tmp_path: Path, corpus_copy: Path, fake_embedding: None) -> Settings:
    """The shipped corpus, the deterministic hash embedder, a real Chroma on disk."""
    return make_settings(tmp_path, corpus=corpus_copy)


@pytest.fixture(scope="session")
def real_embedder():
    """The real MiniLM model as the default settings run it, loaded once for the session."""
    from clusterqa.embeddings import create_embedder
    from clusterqa.settings import EmbeddingSettings

    embedder = create_embedder(EmbeddingSettings())
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The shipped corpus ingested once with the real model into a real on-disk Chroma."""
    from clusterqa.ingest import Ingestor

    root = tmp_path_factory.mktemp("real")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings.load(data_dir=root / "data", corpus_dir=corpus,
                             sources_file=root / "none.yaml")
    report = Ingestor(settings, embedder=real_embedder).ingest([corpus])
    assert report.ok, report.failed
    return settings


@pytest.fixture(scope="session")
def real_assistant(real_store, real_embedder):
    from clusterqa.app.assistant import Assistant

    assistant = Assistant.from_settings(real_store, embedder=real_embedder)
    yield assistant
    assistant.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Chroma server (`chroma run` from the chromadb package) on a free loopback port,
    for the whole session; its URL."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path_factory.mktemp("chroma")),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("chroma run exited before it opened its port")
            time.sleep(0.1)
        else:
            raise RuntimeError("chroma run did not open its port within 30 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(params=["embedded", "server"])
def store_settings(request: pytest.FixtureRequest, fake_settings: Settings) -> Settings:
    """The shipped corpus and the fake embedder over each kind of vector store: the embedded
    Chroma in the data dir, and a real Chroma server (a collection of the test's own)."""
    if request.param == "embedded":
        return fake_settings
    import uuid

    url = request.getfixturevalue("chroma_server")
    return fake_settings.model_copy(update={"chroma_url": url,
                                            "collection": f"t{uuid.uuid4().hex[:12]}"})
