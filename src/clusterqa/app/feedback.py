"""What the chat writes to the data dir: readers' thumbs up/down, and Markdown exports."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

from clusterqa.app.render import answer_markdown
from clusterqa.store import StoreLayout
from clusterqa.types import Answer


class FeedbackLog:
    """Thumbs up/down as JSON Lines (``feedback.jsonl``); the latest line for an answer counts.
    ``liked`` is true, false, or null when a reader takes their choice back."""

    def __init__(self, layout: StoreLayout) -> None:
        self.path = layout.feedback
        self._lock = threading.Lock()

    def record(self, liked: bool | None, question: str, answer: Answer | None,
               answer_text: str) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="seconds"),
                  "liked": liked, "question": question,
                  "answer": answer.text if answer else answer_text,
                  "abstained": answer.abstained if answer else None,
                  "citations": [c.to_json() for c in answer.citations] if answer else []}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


class Exports:
    """Answers saved as Markdown files for the chat's download button."""

    def __init__(self, layout: StoreLayout) -> None:
        self.directory = layout.exports

    def write(self, answer: Answer) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"answer-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}.md"
        path.write_text(answer_markdown(answer), encoding="utf-8")
        return path
