"""Answers as HTML (for the chat) and Markdown (to paste elsewhere), with their sources.

Every piece of document text is HTML-escaped here, before it reaches the page: a passage that
contains ``<script>``, an ``onerror`` handler or a ``javascript:`` link is shown as text and
never runs. Only links we build ourselves (``http(s)`` sources, ``#`` anchors) are live.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from clusterqa.answering import Answer, Citation

_CITE = re.compile(r"\[(\d+)\]")
_S_MARKER = re.compile(r"\[S(\d+)\]")
EXCERPT_CHARS = 420


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def where(c: Citation) -> str:
    parts = [c.publisher, c.region, c.kind, f"page {c.page}" if c.page else None]
    return " · ".join(p for p in parts if p)


def _anchor(turn: int, n: int) -> str:
    return f"t{turn}-cite-{n}"


def _passage_html(c: Citation) -> str:
    """The passage, escaped, with the supporting sentences marked and [S<n>] markers linked
    to the brief's own sources."""
    text = c.text
    pieces: list[str] = []
    cursor = 0
    for start, end in c.highlights:
        pieces.append(html.escape(text[cursor:start]))
        pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    body = "".join(pieces)

    def source_link(m: re.Match) -> str:
        i = int(m.group(1)) - 1
        url = safe_url(c.sources[i]) if 0 <= i < len(c.sources) else None
        if url is None:
            return m.group(0)
        href = html.escape(url, quote=True)
        return f'<a href="{href}" target="_blank" rel="noopener">[S{i + 1}]</a>'

    body = _S_MARKER.sub(source_link, body)
    return body.replace("\n\n", "<br><br>").replace("\n", " ")


def _excerpt(c: Citation) -> str:
    """A short view around the first supporting sentence (whole passage if short)."""
    if len(c.text) <= EXCERPT_CHARS or not c.highlights:
        return ""
    start, end = c.highlights[0]
    lo = max(0, start - 120)
    hi = min(len(c.text), max(end, start + EXCERPT_CHARS - 120))
    shifted = Citation(**{**c.__dict__, "text": c.text[lo:hi],
                          "highlights": [(max(s - lo, 0), min(e - lo, hi - lo))
                                         for s, e in c.highlights if s < hi and e > lo]})
    return ("…" if lo else "") + _passage_html(shifted) + ("…" if hi < len(c.text) else "")


def card_html(c: Citation, turn: int, nearest: bool = False) -> str:
    url = safe_url(c.url) or safe_url(c.source)
    title = html.escape(c.title)
    link = (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{title}</a>'
            if url else title)
    origin = "" if url else f'<div class="cq-source">{html.escape(c.source)}</div>'
    excerpt = _excerpt(c)
    full = _passage_html(c)
    if excerpt:
        body = (f'<div class="cq-passage">{excerpt}</div>'
                f"<details><summary>Whole passage</summary>"
                f'<div class="cq-passage">{full}</div></details>')
    else:
        body = f'<div class="cq-passage">{full}</div>'
    cls = "cq-card cq-nearest" if nearest else "cq-card"
    return (f'<div class="{cls}" id="{_anchor(turn, c.n)}">'
            f'<div class="cq-head"><span class="cq-n">[{c.n}]</span> {link}</div>'
            f'<div class="cq-meta">{html.escape(where(c))}</div>{origin}{body}</div>')


def answer_text_html(answer: Answer, turn: int, text: str | None = None) -> str:
    """The answer text with each [n] a link to its card (and the source on hover)."""
    by_n = {c.n: c for c in answer.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        c = by_n.get(n)
        if c is None:
            return m.group(0)
        tip = html.escape(f"{c.title} — {where(c)}", quote=True)
        return f'<a class="cq-ref" href="#{_anchor(turn, n)}" title="{tip}">[{n}]</a>'

    return _CITE.sub(link, html.escape(answer.text if text is None else text))


def answer_html(answer: Answer, turn: int, partial: str | None = None) -> str:
    """The whole chat message: answer (or the partial text while streaming) and its cards."""
    if partial is not None:
        return f'<div class="cq-answer">{answer_text_html(answer, turn, partial)}</div>'
    if answer.abstained:
        head = (f'<div class="cq-abstain"><strong>Not in the reports.</strong> '
                f"{html.escape(answer.text)}</div>")
        label = "Nearest passages — not an answer"
    else:
        head = f'<div class="cq-answer">{answer_text_html(answer, turn)}</div>'
        label = "Sources"
    if not answer.citations:
        return head
    cards = "".join(card_html(c, turn, nearest=answer.abstained) for c in answer.citations)
    return f'{head}<div class="cq-sources"><div class="cq-label">{label}</div>{cards}</div>'


def answer_markdown(answer: Answer) -> str:
    """Question, answer and sources as Markdown, for a journalist to paste with sources intact."""
    lines = [f"**Q:** {answer.question}", ""]
    if answer.abstained:
        lines += [f"**A:** {answer.text}", "", "Nearest passages (not an answer):"]
    else:
        lines += [f"**A:** {answer.text}", "", "Sources:"]
    for c in answer.citations:
        link = safe_url(c.url) or safe_url(c.source)
        meta = where(c)
        lines.append(f"[{c.n}] {c.title}" + (f" — {meta}" if meta else "")
                     + f". {f'<{link}>' if link else c.source}")
        quote = " ".join(re.sub(r"\s+", " ", c.text[s:e]).strip() for s, e in c.highlights)
        if quote:
            lines.append(f"> {quote}")
    return "\n".join(lines) + "\n"
