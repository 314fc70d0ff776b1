"""A client for any OpenAI-compatible chat server (llama.cpp's llama-server, Ollama, vLLM,
OpenAI): POST /chat/completions, streamed as server-sent events.

Written on httpx (already a dependency) in a few lines rather than with the openai package or
llama-index's OpenAILike: what matters here is one overall deadline, and that every way a
server can fail (refused, slow, an HTTP error, a malformed stream) becomes one
:class:`LLMUnavailable` with a reason the user can read.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import httpx

from clusterqa.errors import ClusterQAError
from clusterqa.settings import LLMSettings


class LLMUnavailable(ClusterQAError):
    """The LLM server did not give an answer; the message says why, in one line."""


class LLMClient:
    def __init__(self, settings: LLMSettings) -> None:
        if not settings.base_url or not settings.model:
            raise ClusterQAError("answering.backend = 'llm' needs llm.base_url and llm.model "
                                 "(see README, LLM answers)")
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/chat/completions"
        key = settings.api_key.get_secret_value() if settings.api_key else \
            os.environ.get("OPENAI_API_KEY")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}

    def stream(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The reply, piece by piece; LLMUnavailable if it does not come whole in time."""
        s = self.settings
        deadline = time.monotonic() + s.timeout_s
        body = {"model": s.model, "messages": messages, "stream": True,
                "max_tokens": s.max_tokens, "temperature": s.temperature}
        try:
            with httpx.Client(timeout=min(s.timeout_s, 30.0)) as client, \
                    client.stream("POST", self.url, json=body, headers=self._headers) as reply:
                if reply.status_code >= 400:
                    reply.read()
                    raise LLMUnavailable(f"the LLM server answered HTTP {reply.status_code} "
                                         f"({reply.text[:120].strip()})")
                if "json" in reply.headers.get("content-type", ""):
                    # A server that does not stream answers with the whole message.
                    reply.read()
                    yield _message(reply.text)
                    return
                for line in reply.iter_lines():
                    if time.monotonic() > deadline:
                        raise LLMUnavailable(f"the LLM server took longer than "
                                             f"{s.timeout_s:g} s (llm.timeout_s)")
                    piece = _delta(line)
                    if piece is None:
                        return
                    if piece:
                        yield piece
        except httpx.TimeoutException as exc:
            raise LLMUnavailable(f"the LLM server did not answer within "
                                 f"{min(s.timeout_s, 30.0):g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise LLMUnavailable(f"cannot reach the LLM server at {s.base_url} "
                                 f"({type(exc).__name__}: {exc})") from exc

    def complete(self, messages: list[dict[str, str]]) -> str:
        return "".join(self.stream(messages))


def _message(body: str) -> str:
    try:
        return json.loads(body)["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMUnavailable(f"the LLM server sent a malformed reply ({body[:60]!r})") from exc


def _delta(line: str) -> str | None:
    """The text one server-sent event carries: "" for none, None at the end of the stream."""
    line = line.strip()
    if not line or line.startswith(":") or not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
        choice = event["choices"][0]
        return (choice.get("delta") or choice.get("message") or {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMUnavailable(f"the LLM server sent a malformed stream ({data[:60]!r})") from exc
