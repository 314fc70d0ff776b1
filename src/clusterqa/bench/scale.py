"""Scale: how writing and retrieval cost grow from 1,000 to 1,000,000 chunks (issue 15).

``clusterqa bench scale [--chunks 100000,1000000]``. A synthetic corpus (scale_corpus.py:
clustered random unit vectors and Zipf pseudo-word text, nothing embedded) is written to the
embedded store in a fresh data dir and, when ``settings.chroma_url`` names a server, to a fresh
collection there (deleted afterwards). Each size and store is built, then served, in child
processes (scale_children.py) that report write throughput, retrieval p50/p95 (dense, BM25,
fused, fused within a region) and peak RSS; disk is the data dir (Chroma and BM25; for a server
only BM25 is local). This module runs them and turns the curve into rows.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from clusterqa.bench.common import BenchResult
from clusterqa.bench.scale_children import MODES, child
from clusterqa.bench.scale_corpus import DIM, FixedQueryEmbedder, SyntheticCorpus
from clusterqa.settings import Settings

__all__ = ["DEFAULT_SIZES", "DIM", "MODES", "QUICK_SIZES", "FixedQueryEmbedder",
           "SyntheticCorpus", "measure", "run"]

DEFAULT_SIZES = [1_000, 5_000, 50_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 5_000]
TARGET_P50_MS = 150  # fused retrieval at 1M chunks (issue 15)
TARGET_RSS_MB = 8 * 1024


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
        sized = settings.model_copy(update=update)
        try:
            build = child("build", sized, size, questions, work)
            serve = child("serve", sized, size, questions, work)
            from clusterqa.store.layout import StoreLayout

            layout = StoreLayout(sized.data_dir)
            disk = {"chroma_mb": _disk_mb(layout.chroma) if store == "embedded" else None,
                    "bm25_mb": _disk_mb(layout.bm25)}
        finally:
            if store == "server":
                _drop_collection(settings.chroma_url, update["collection"])
            shutil.rmtree(work, ignore_errors=True)
    return {"build": build, "serve": serve, "disk": disk}


def run(settings: Settings, data: Path, quick: bool = False, sizes: list[int] | None = None,
        questions: int | None = None, workdir: Path | None = None,
        stores: list[str] | None = None) -> BenchResult:
    """Write and retrieval cost by corpus size, for the embedded store and (when
    ``settings.chroma_url`` is set) the server, or only ``stores``. ``data`` is unused: the
    corpus is synthetic."""
    del data
    sizes = list(sizes or (QUICK_SIZES if quick else DEFAULT_SIZES))
    questions = questions or (40 if quick else 100)
    stores = stores or ["embedded"] + (["server"] if settings.chroma_url else [])
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
