"""What the chat writes to the data dir: readers' thumbs up/down, and Markdown exports."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from clusterqa.app.render import answer_markdown, items_csv
from clusterqa.store import StoreLayout
from clusterqa.types import Answer


class FeedbackLog:
    """Thumbs up/down as JSON Lines (``feedback.jsonl``); the latest line for an answer counts.
    ``liked`` is true, false, or null when a reader takes their choice back."""

    def __init__(self, layout: StoreLayout) -> None:
        self.path = layout.feedback
        self._lock = threading.Lock()

    def record(self, liked: bool | None, answer: Answer) -> None:
        """One line for ``answer``, an answer the server gave (so its size is bounded)."""
        record = {"time": datetime.now(UTC).isoformat(timespec="seconds"),
                  "liked": liked, "question": answer.question, "answer": answer.text,
                  "abstained": answer.abstained,
                  "citations": [c.to_json() for c in answer.citations]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


class Exports:
    """Answers saved as Markdown files for the chat's download button."""

    KEEP = 200  # a download is taken at once; the oldest go so the folder cannot grow

    def __init__(self, layout: StoreLayout) -> None:
        self.directory = layout.exports

    def write(self, answer: Answer) -> Path:
        """Save ``answer`` as Markdown; only the newest ``KEEP`` exports are kept."""
        return self._save(answer_markdown(answer), ".md")

    def write_items(self, answer: Answer) -> Path:
        """Save a list answer's items as CSV."""
        return self._save(items_csv(answer), ".csv")

    def _save(self, text: str, suffix: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"answer-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}{suffix}"
        path.write_text(text, encoding="utf-8")
        for old in sorted(self.directory.glob(f"answer-*{suffix}"))[:-self.KEEP]:
            old.unlink(missing_ok=True)
        return path
