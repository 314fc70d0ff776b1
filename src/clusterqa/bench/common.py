"""What every benchmark shares: data paths, timing, memory, result files."""

from __future__ import annotations

import json
import platform
import resource
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class BenchSkipped(Exception):
    """The data a benchmark needs is not there; it says where it looked."""


@dataclass
class BenchResult:
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # metric, ours, plain recipe, ...
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, ours: float | None, naive: float | None = None,
            unit: str = "", higher_is_better: bool = True, target: str = "") -> None:
        row: dict[str, Any] = {"metric": metric, "ours": ours, "naive": naive, "unit": unit,
                               "target": target}
        if ours is not None and naive not in (None, 0) and unit in ("/s", "ms", "s", "MB"):
            # Speeds as ratios: >1 means ours is better.
            row["ratio"] = round(ours / naive if higher_is_better else naive / ours, 2)
        self.rows.append(row)

    def to_json(self) -> dict[str, Any]:
        return {"benchmark": self.name,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"cpu": platform.processor() or platform.machine(),
                            "cores": _cores(), "python": platform.python_version()},
                "rows": self.rows, "details": self.details, "notes": self.notes}

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        return path


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def passage_text(passage: dict) -> str:
    """A BEIR-style passage ({title, text}) as both recipes get it: the title leads."""
    return f"{passage['title'] or ''}\n\n{passage['text']}".strip()


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise BenchSkipped(f"no {what} at {path} (give --data PATH or set bench.data_dir)")
    return path


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - started


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan")}
    return {"p50": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2)}
