"""The embedding engines: the int8 engine's vectors against torch fp32's, its converted-model
cache, and the errors for weights or models it cannot run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clusterqa.embeddings import create_embedder, resolve_model_dir
from clusterqa.embeddings_int8 import Int8Embedder, check_mean_pooled
from clusterqa.errors import ModelIntegrityError
from clusterqa.settings import PACKAGED_MODEL, EmbeddingSettings

TEXTS = [
    "Double Eleven, the Middlesbrough studio, worked on Minecraft Dungeons with Microsoft.",
    "Which Teesside firms make games?",
    "Net revenue — 2022: 86,392; 2021: 79,474 (in millions)",
    "CONSOLIDATED STATEMENTS OF CASH FLOWS | p. 60\nPurchases of property, plant and "
    "equipment (PP&E) — 2018: (1,577); 2017: (1,373); 2016: (1,420) (in millions)",
    "tombola",
    " ".join(["The North East's tech cluster grew again last year."] * 40),  # > 256 pieces
]


@pytest.fixture(scope="module")
def int8(tmp_path_factory: pytest.TempPathFactory) -> Int8Embedder:
    embedder = Int8Embedder(EmbeddingSettings(cache_dir=tmp_path_factory.mktemp("cache")))
    embedder.load()
    return embedder


@pytest.mark.slow
def test_int8_vectors_stay_close_to_fp32_and_rank_the_same(int8: Int8Embedder) -> None:
    fp32 = create_embedder(EmbeddingSettings(precision="fp32"))
    a, b = int8.embed(TEXTS), fp32.embed(TEXTS)
    assert a.dtype == np.float32 and a.shape == b.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() >= 0.98
    # What retrieval needs: the question's nearest text is the same under both.
    question_a, question_b = int8.embed_query(TEXTS[1]), fp32.embed_query(TEXTS[1])
    others = [0, 2, 3, 4, 5]
    assert np.argsort(-(a[others] @ question_a))[0] == np.argsort(-(b[others] @ question_b))[0]


@pytest.mark.slow
def test_int8_vectors_do_not_depend_on_batch_or_order(int8: Int8Embedder) -> None:
    together = int8.embed(TEXTS)
    alone = np.stack([int8.embed_query(t) for t in TEXTS])
    reversed_ = int8.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(together, alone, atol=2e-3)
    np.testing.assert_allclose(together, reversed_, atol=1e-6)
    assert int8.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_the_converted_model_is_reused_and_checked(int8: Int8Embedder, monkeypatch) -> None:
    cache = Path(int8.settings.cache_dir)
    [folder] = (cache / "ctranslate2").iterdir()
    vectors = int8.embed(TEXTS[:2])

    def no_conversion(*_a, **_k):
        raise AssertionError("converted again")

    monkeypatch.setattr("ctranslate2.converters.TransformersConverter", no_conversion)
    again = Int8Embedder(int8.settings)
    np.testing.assert_allclose(again.embed(TEXTS[:2]), vectors, atol=1e-6)

    # A damaged copy is refused with the folder named, never used.
    damaged = cache.parent / "damaged"
    shutil.copytree(cache, damaged)
    model = next((damaged / "ctranslate2").iterdir()) / "model.bin"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match=r"does not match.*delete the folder"):
        Int8Embedder(EmbeddingSettings(cache_dir=damaged)).load()
    assert folder.is_dir()


@pytest.mark.slow
def test_an_interrupted_conversion_is_done_again(tmp_path: Path) -> None:
    """A folder without the completion record (a run killed while converting) is replaced."""
    first = Int8Embedder(EmbeddingSettings(cache_dir=tmp_path))
    vectors = first.embed(TEXTS[:1])
    [folder] = (tmp_path / "ctranslate2").iterdir()
    (folder / "clusterqa-converted.json").unlink()
    (folder / "model.bin").write_bytes(b"half")
    second = Int8Embedder(EmbeddingSettings(cache_dir=tmp_path))
    np.testing.assert_allclose(second.embed(TEXTS[:1]), vectors, atol=1e-6)
    assert [p.name for p in (tmp_path / "ctranslate2").iterdir()] == [folder.name]


def test_int8_is_the_default_engine_and_names_itself() -> None:
    embedder = create_embedder(EmbeddingSettings())
    assert isinstance(embedder, Int8Embedder)
    assert embedder.name == f"ctranslate2-int8:{PACKAGED_MODEL}"
    assert create_embedder(EmbeddingSettings(precision="fp32")).name == \
        f"sentence-transformers:{PACKAGED_MODEL}"


def test_a_model_the_int8_engine_cannot_run_is_refused_clearly(tmp_path: Path) -> None:
    model = tmp_path / "cls-model"
    shutil.copytree(resolve_model_dir(PACKAGED_MODEL), model)
    assert check_mean_pooled(model) == 256
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False,
                                   "pooling_mode_cls_token": True}))
    with pytest.raises(ModelIntegrityError, match=r"cls-model is not a mean-pooled.*'fp32'"):
        check_mean_pooled(model)
    (model / "modules.json").unlink()
    with pytest.raises(ModelIntegrityError, match=r"cls-model is not a sentence-transformers"):
        check_mean_pooled(model)


def test_weights_that_are_not_the_expected_file_are_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(resolve_model_dir(PACKAGED_MODEL), model)
    weights = model / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\0")
    settings = EmbeddingSettings(model=str(model), cache_dir=tmp_path / "cache")
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        Int8Embedder(settings).load()
    assert not (tmp_path / "cache").exists()  # nothing converted from the wrong weights


@pytest.mark.slow
def test_a_cache_folder_that_cannot_be_written_falls_back_to_temp(tmp_path: Path,
                                                                  monkeypatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    vectors = Int8Embedder(EmbeddingSettings(cache_dir=blocked)).embed(TEXTS[:1])
    assert vectors.shape == (1, 384)
    assert blocked.read_text().startswith("a file")
    assert list((tmp_path / "tmp" / "clusterqa" / "ctranslate2").iterdir())
