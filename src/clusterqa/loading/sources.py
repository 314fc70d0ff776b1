"""The source list (``ingest/sources.yaml``): what ``clusterqa ingest`` ingests by default.

```yaml
paths: [corpus]            # files or folders, relative to the repo
urls: []                   # web pages or PDFs fetched over HTTP(S)
metadata:                  # for files without front matter (PDFs, HTML, DOCX), keyed by path/URL
  corpus/north-east/report.pdf: {title: "...", publisher: "...", url: "https://..."}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from clusterqa.errors import ConfigError


class _SourceListModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = []
    urls: list[str] = []
    metadata: dict[str, dict[str, Any]] = {}


@dataclass
class SourceList:
    paths: list[Path] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

    def metadata_for(self, key: str | Path) -> dict[str, Any]:
        """The metadata listed for a URL, or for a file by any path that names it."""
        return self.metadata.get(_key(str(key)), {})


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def read_source_list(path: Path, corpus_dir: Path) -> SourceList:
    """The list at ``path``; without one, the whole corpus folder."""
    if not path.is_file():
        return SourceList(paths=[corpus_dir])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        model = _SourceListModel.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: not a valid source list ({exc})") from exc
    metadata = {_key(k): v for k, v in model.metadata.items()}
    return SourceList([Path(p) for p in model.paths] or [corpus_dir], model.urls, metadata)


def _key(name: str) -> str:
    # Files are keyed by absolute path: the list names them relative to the directory
    # commands run from, and a file is found the same however it was reached.
    return name if is_url(name) else Path(name).resolve().as_posix()
