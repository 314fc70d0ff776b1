"""Main text of an HTML page: trafilatura drops navigation, cookie banners, scripts and styles."""

from __future__ import annotations

from typing import Any

import trafilatura


def html_to_text(html: str, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """Returns (main text with blank lines between paragraphs, {title, publisher} found)."""
    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=True, favor_precision=True
    )
    if not text:
        # Very short pages fall under trafilatura's extraction thresholds; its baseline
        # still keeps only <article>/<p>-like text, never <script> or <style>.
        text = trafilatura.baseline(html)[1]
    found: dict[str, Any] = {}
    meta = trafilatura.extract_metadata(html, default_url=url)
    if meta is not None:
        # The page date is left out: trafilatura guesses it from any year in the text.
        found = {"title": meta.title, "publisher": meta.sitename}
    # trafilatura puts one paragraph a line; the chunker splits paragraphs on blank lines.
    return (text or "").replace("\n", "\n\n"), {k: v for k, v in found.items() if v}
