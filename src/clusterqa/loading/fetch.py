"""Fetching a web page or PDF over HTTP(S) for ingestion; the URL becomes the citation link."""

from __future__ import annotations

import time

import httpx

from clusterqa.errors import LoadError
from clusterqa.loading.files import MAX_FILE_BYTES, load_bytes
from clusterqa.types import Document

_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
          "text/plain": ".txt", "text/markdown": ".md"}
USER_AGENT = "clusterqa/0.1 (+https://github.com/clusterqa)"


def fetch_document(url: str, metadata: dict | None = None, timeout: float = 60.0,
                   max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Fetch and load ``url``. ``timeout`` bounds the whole download, not just each read: a
    server that trickles a byte at a time must not hold ingest (and its lock) for ever."""
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(follow_redirects=True, timeout=min(timeout, 30.0),
                          headers={"User-Agent": USER_AGENT}) as client, \
                client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise LoadError(url, f"HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            charset = response.charset_encoding  # from the header, None when not given
            chunks, size = [], 0
            for block in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise LoadError(url, f"took longer than {timeout:g} s to download "
                                         "(ingest.fetch_timeout_s)")
                size += len(block)
                if size > max_bytes:
                    raise LoadError(url, f"too large (over {max_bytes / 2**20:.0f} MB)")
                chunks.append(block)
    except httpx.HTTPError as exc:
        raise LoadError(url, f"could not fetch ({type(exc).__name__}: {exc})") from exc
    data = b"".join(chunks)
    suffix = _TYPES.get(content_type)
    if suffix is None:
        path = url.split("?")[0].lower()
        suffix = next((s for s in (".pdf", ".html", ".htm", ".txt", ".md") if path.endswith(s)),
                      None)
        if suffix is None and data.lstrip()[:1] == b"<":
            suffix = ".html"
    if suffix is None:
        raise LoadError(url, f"unsupported content type '{content_type or 'unknown'}'")
    return load_bytes(data, source=url, suffix=suffix, metadata=metadata, charset=charset)
