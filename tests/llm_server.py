"""A small OpenAI-compatible chat server for tests, on loopback, scripted by model name.

good          the first sentence of passage [1], cited [1], streamed in pieces
bad-citation  that sentence, then one citing [9] (of fewer passages)
bad-figure    that sentence, then one with a figure no passage states
all-bad       only sentences no passage supports (a figure no passage states, a [9])
trickle       the first two sentences of passage [1], each cited, streamed a piece every 0.3 s
slow          waits longer than any test's timeout before answering
error         HTTP 500
malformed     a stream whose chunks are not JSON
plain         the good answer as one JSON message (a server that does not stream)
rewrite:TEXT  replies TEXT (for follow-up rewrites)
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from contextlib import contextmanager
from typing import ClassVar


def _second_passage_sentence(prompt: str) -> str | None:
    """The next sentence of passage [1] after its first, if it has one."""
    match = re.search(r"^\[1\] \([^)]*\) (.+?)(?=\n\n\[2\]|\Z)", prompt, re.M | re.S)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(match.group(1).split())) \
        if match else []
    return sentences[1] if len(sentences) > 1 else None


def _first_passage_sentence(prompt: str) -> str:
    match = re.search(r"^\[1\] \([^)]*\) (.+?[.!?])(?=\s|$)", prompt, re.M | re.S)
    return " ".join(match.group(1).split()) if match else "Nothing."


class _Handler(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[dict[str, int]] = {}  # model -> chat requests received

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = body["model"]
        _Handler.requests[model] = _Handler.requests.get(model, 0) + 1
        prompt = body["messages"][-1]["content"]
        good = f"{_first_passage_sentence(prompt)} [1]"
        replies = {"good": good, "plain": good,
                   "bad-citation": f"{good} The firm also runs a Mars base [9].",
                   "bad-figure": f"{good} It was later sold for £999m [1].",
                   "all-bad": "It was later sold for £999m [1]. The firm also runs a Mars "
                              "base [9]."}
        second = _second_passage_sentence(prompt)
        replies["trickle"] = f"{good} {second} [1]" if second else good
        if model.startswith("rewrite:"):
            replies[model] = model.removeprefix("rewrite:")
        if model == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal error")
            return
        if model == "slow":
            time.sleep(4)
        if model == "plain" or not body.get("stream"):
            self._send("application/json", json.dumps(
                {"choices": [{"message": {"role": "assistant",
                                          "content": replies.get(model, good)}}]}).encode())
            return
        if model == "malformed":
            self._send("text/event-stream", b"data: {not json\n\n")
            return
        text = replies.get(model, good)
        pieces = [text[i:i + 17] for i in range(0, len(text), 17)]
        events = [f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n"
                  for p in pieces] + ["data: [DONE]\n\n"]
        if model != "trickle":
            self._send("text/event-stream", "".join(events).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for event in events:
            self.wfile.write(event.encode())
            self.wfile.flush()
            time.sleep(0.3)

    def _send(self, kind: str, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def llm_server():
    """The server's base URL (``http://127.0.0.1:<port>/v1``) while the block runs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def requests_seen(model: str) -> int:
    """How many chat requests any test's server has had for ``model``."""
    return _Handler.requests.get(model, 0)
