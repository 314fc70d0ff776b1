"""Several chat processes, each with a data dir of its own, serve from one real Chroma server
(`chroma run`) while a third process ingests a changed document."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from clusterqa.ingest import Ingestor
from tests.conftest import fake_cli_env, make_settings
from tests.test_published import write_report

# A chat replica: asks through the Assistant until killed, one JSON line an answer, naming
# which version(s) of the report its passages and citations come from.
CHAT = """
import json, time
from tests.fakes import install_fake_embedder
install_fake_embedder()
from clusterqa.app.assistant import Assistant
assistant = Assistant.from_settings()
while True:
    try:
        answer, retrieval = assistant.ask_with_retrieval("firm growth figures", depth=30)
        texts = [retrieval.view.chunks[h.chunk_id].text for h in retrieval.hits]
        texts += [c.text for c in answer.citations] + [answer.text]
        line = {"markers": sorted({m for t in texts for m in ("alpha", "omega") if m in t}),
                "version": retrieval.view.version}
    except Exception as exc:
        line = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps({"t": time.time(), **line}), flush=True)
    time.sleep(0.05)
"""


class Chat:
    """A chat process and the answers it has printed so far."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str) -> None:
        self.answers: list[dict] = []
        self.stderr = cwd / f"{name}.stderr"
        self.proc = subprocess.Popen([sys.executable, "-c", CHAT], env=env, cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=self.stderr.open("w"),
                                     text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.answers.append(json.loads(line))

    def has_answered(self, marker: str, after: float = 0.0) -> bool:
        return any(a.get("markers") == [marker] and a["t"] > after for a in self.answers)

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"a chat exited: {self.stderr.read_text()[-2000:]}")
        return True


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_two_chats_follow_an_ingest_from_a_third_process(tmp_path: Path, chroma_server: str,
                                                         fake_embedding: None) -> None:
    """Both chats answer throughout; every answer comes wholly from the old report or wholly
    from the new one, each chat moves from old to new once and never back, and both end on
    the new one without a restart. The chats start from empty data dirs."""
    corpus = tmp_path / "corpus"
    write_report(corpus, "alpha")
    server = {"CLUSTERQA_CHROMA_URL": chroma_server,
              "CLUSTERQA_COLLECTION": f"r{uuid.uuid4().hex[:12]}",
              "CLUSTERQA_CORPUS_DIR": str(corpus),
              "CLUSTERQA_EMBEDDING__BATCH_SIZE": "2"}
    writer = make_settings(tmp_path, corpus=corpus, chroma_url=chroma_server,
                           collection=server["CLUSTERQA_COLLECTION"])
    assert Ingestor(writer).ingest([corpus]).ok
    chats = [Chat(fake_cli_env() | server | {"CLUSTERQA_DATA_DIR": str(tmp_path / name)},
                  tmp_path, name) for name in ("chat-1", "chat-2")]
    try:
        wait_until(lambda: all(c.alive() and c.has_answered("alpha") for c in chats), 180,
                   "both chats answer from the first version")
        write_report(corpus, "omega")
        started = time.time()
        ingest = subprocess.run(
            [sys.executable, "-m", "tests.fake_cli", "ingest", str(corpus)], cwd=tmp_path,
            env=fake_cli_env(delay=0.2) | server | {"CLUSTERQA_DATA_DIR": str(writer.data_dir)},
            capture_output=True, text=True, timeout=300)
        finished = time.time()
        assert ingest.returncode == 0, ingest.stderr
        wait_until(lambda: all(c.alive() and c.has_answered("omega", after=finished)
                               for c in chats), 120, "both chats answer from the new version")
    finally:
        for chat in chats:
            chat.proc.kill()
            chat.proc.wait()
    for chat in chats:
        answers = list(chat.answers)
        assert not [a for a in answers if "error" in a], chat.stderr.read_text()[-2000:]
        assert all(len(a["markers"]) == 1 for a in answers), "an answer mixes the versions"
        sequence = [a["markers"][0] for a in answers]
        switch = sequence.index("omega")
        assert set(sequence[:switch]) == {"alpha"} and set(sequence[switch:]) == {"omega"}
        assert any(started < a["t"] < finished for a in answers), "stopped during the ingest"
