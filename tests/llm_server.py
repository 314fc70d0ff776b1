"""A small OpenAI-compatible chat server for tests, on loopback, scripted by model name.

good          the first sentence of passage [1], cited [1], streamed in pieces
bad-citation  that sentence, then one citing [9] (of fewer passages)
bad-figure    that sentence, then one with a figure no passage states
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


def _first_passage_sentence(prompt: str) -> str:
    match = re.search(r"^\[1\] \([^)]*\) (.+?[.!?])(?=\s|$)", prompt, re.M | re.S)
    return " ".join(match.group(1).split()) if match else "Nothing."


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = body["model"]
        prompt = body["messages"][-1]["content"]
        good = f"{_first_passage_sentence(prompt)} [1]"
        replies = {"good": good, "plain": good,
                   "bad-citation": f"{good} The firm also runs a Mars base [9].",
                   "bad-figure": f"{good} It was later sold for £999m [1]."}
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
        events = "".join(f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n"
                         for p in pieces) + "data: [DONE]\n\n"
        self._send("text/event-stream", events.encode())

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
