"""Where everything derived lives in the data dir, and what the stored vectors were made with.

Every path under ``data_dir`` is named here and nowhere else. The embedder fingerprint is
recorded in the manifest at the first ingest; readers and writers check it with
:func:`check_fingerprint`, so vectors of one model are never searched with another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clusterqa.errors import StoreMismatchError
from clusterqa.store.manifest import Manifest

FINGERPRINT_KEY = "embedding_model"


@dataclass(frozen=True)
class StoreLayout:
    root: Path  # settings.data_dir

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.sqlite"

    @property
    def chroma(self) -> Path:
        # Absolute: Chroma caches clients per path string, and a relative one would alias
        # two stores when the working directory changes.
        return (self.root / "chroma").resolve()

    @property
    def bm25(self) -> Path:
        return self.root / "bm25"

    def derived(self) -> list[Path]:
        """The store's own files: what ``ingest --reset`` sets aside (SQLite's -wal and -shm
        files with the manifest)."""
        manifest = self.manifest
        return [manifest, manifest.with_name(manifest.name + "-wal"),
                manifest.with_name(manifest.name + "-shm"), self.chroma, self.bm25]

    @property
    def lock(self) -> Path:
        return self.root / "ingest.lock"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback.jsonl"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def bench(self) -> Path:
        return self.root / "bench"


def fingerprint(embedder_name: str, title_prefix: bool) -> str:
    """What the stored vectors were made with: the model, and how chunks were presented."""
    return f"{embedder_name}+title" if title_prefix else embedder_name


def check_fingerprint(manifest: Manifest, wanted: str, data_dir: Path) -> None:
    """Refuse a store whose chunks were embedded otherwise; an empty store takes any model."""
    stored = manifest.get_state(FINGERPRINT_KEY)
    if stored is not None and stored != wanted and manifest.has_chunks():
        raise StoreMismatchError(
            f"the store in {data_dir} was embedded with '{stored}', but the settings ask for "
            f"'{wanted}'; run `clusterqa ingest --rebuild` to re-embed everything, or use "
            "another data_dir"
        )
