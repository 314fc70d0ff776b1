"""The scale benchmark: its synthetic corpus, and a run end to end at a tiny size with a real
embedded Chroma (each size builds and serves in child processes, as the full run does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clusterqa.app.cli import app
from clusterqa.bench import scale
from clusterqa.bench.scale import FixedQueryEmbedder, SyntheticCorpus
from clusterqa.text import tokenize
from tests.conftest import REPO, make_settings


def test_corpus_is_the_same_in_every_process_and_its_vectors_are_unit() -> None:
    a, b = list(SyntheticCorpus(1_200).batches()), list(SyntheticCorpus(1_200).batches())
    assert [len(x.ids) for x in a] == [1_200]
    assert a[0].texts == b[0].texts and np.array_equal(a[0].vectors, b[0].vectors)
    assert a[0].vectors.shape == (1_200, scale.DIM) and a[0].vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(a[0].vectors, axis=1), 1.0, atol=1e-5)
    # Text alone (what the serving process regenerates) is the same text.
    assert next(SyntheticCorpus(1_200).batches(vectors=False)).texts == a[0].texts
    assert len(set(a[0].ids)) == 1_200


def test_corpus_text_looks_like_text_to_bm25() -> None:
    batch = next(SyntheticCorpus(2_000).batches())
    tokens = [tokenize(t) for t in batch.texts]
    per_chunk = np.mean([len(t) for t in tokens])
    assert 60 <= per_chunk <= 120  # a real 160-token chunk gives about 85
    counts = Counter(t for chunk in tokens for t in chunk)
    top = [n for _, n in counts.most_common()]
    assert top[0] > 20 * top[len(top) // 2]  # Zipf-like: a few very common words
    # Names are rare and selective: each in a few chunks, about 40 % of chunks have one.
    named = [n for n in batch.names if n >= 0]
    assert 0.3 < len(named) / len(batch.names) < 0.5
    assert max(Counter(named).values()) < 0.01 * len(batch.names)
    regions = Counter(batch.regions)
    assert len(regions) > 6 and len({batch.regions[i] for i in range(10)}) == 1  # per document


def test_fixed_embedder_returns_the_given_vector() -> None:
    v = np.arange(4, dtype=np.float32)
    embedder = FixedQueryEmbedder({"q": v})
    assert embedder.embed_query("q") is v
    assert embedder.embed(["q", "q"]).shape == (2, 4)
    with pytest.raises(KeyError):
        embedder.embed_query("not asked")


@pytest.mark.slow
def test_run_at_tiny_sizes_measures_every_size_and_mode(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    result = scale.run(settings, tmp_path / "unused", sizes=[500, 1_000], questions=20,
                       workdir=tmp_path)
    rows = {r["metric"]: r for r in result.rows}
    for size in ("500", "1,000"):
        for metric in ("write chunks/s", "BM25 build", "dense p50", "dense p95", "bm25 p50",
                       "bm25 p95", "fused p50", "fused p95", "fused+region p50",
                       "fused+region p95", "peak RSS build", "peak RSS serve", "disk"):
            row = rows[f"embedded {size}: {metric}"]
            assert row["ours"] is not None and row["ours"] > 0, row
    curve = result.details["curve"]["embedded"]
    assert set(curve) == {"500", "1000"} and "server" not in result.details["curve"]
    for size, point in curve.items():
        serve, build = point["serve"], point["build"]
        assert build["chunks"] == int(size) and serve["questions"] == 20
        for mode in scale.MODES:
            assert 0 < serve[mode]["p50"] <= serve[mode]["p95"], (size, mode)
            # The questions target one chunk each (its name, its words, its vector plus
            # noise): every ranker finds it, so the benchmark times real retrievals.
            assert serve[mode]["target_at_5"] >= 0.9, (size, mode, serve[mode])
        assert point["disk"]["chroma_mb"] > 0 and point["disk"]["bm25_mb"] > 0
        assert build["peak_rss_mb"] >= build["rss_after_write_mb"] > 50
    # Bigger store, more disk; the temporary stores are gone.
    assert curve["1000"]["disk"]["chroma_mb"] > curve["500"]["disk"]["chroma_mb"]
    assert not list(tmp_path.glob("clusterqa-scale-*"))
    saved = json.loads(result.save(tmp_path / "out").read_text())
    assert saved["benchmark"] == "scale" and saved["details"]["sizes"] == [500, 1_000]


@pytest.mark.parametrize("chunks", ["abc", "0", ","])
def test_bad_chunks_is_a_clear_error(tmp_path: Path, chunks: str) -> None:
    """Through the thin entry in evals/, as the team would run it: one line, no traceback."""
    done = subprocess.run([sys.executable, str(REPO / "evals" / "bench.py"), "scale",
                           "--chunks", chunks, "--out", str(tmp_path / "out")],
                          cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode != 0
    assert "--chunks takes sizes" in done.stderr and repr(chunks) in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("store", "message"), [
    ("disk", "--store takes 'embedded' or 'server'"),
    ("server", "--store server needs a Chroma server")])
def test_bad_store_is_a_clear_error(tmp_path: Path, store: str, message: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CLUSTERQA_CHROMA_URL"}
    done = subprocess.run([sys.executable, str(REPO / "evals" / "bench.py"), "scale",
                           "--chunks", "400", "--store", store, "--out", str(tmp_path / "out")],
                          cwd=tmp_path, text=True, capture_output=True, timeout=120,
                          env={**env, "CLUSTERQA_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode != 0 and message in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_bench_scale_from_the_command_line_writes_its_json(tmp_path: Path,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("CLUSTERQA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLUSTERQA_CHROMA_URL", raising=False)
    result = CliRunner().invoke(app, ["bench", "scale", "--chunks", "400", "--quick",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "out" / "scale-quick.json").read_text())
    assert saved["details"]["sizes"] == [400]
    assert saved["details"]["curve"]["embedded"]["400"]["build"]["chunks"] == 400
