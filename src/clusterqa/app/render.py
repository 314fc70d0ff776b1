"""Answers as HTML (for the chat) and Markdown (to paste elsewhere), with their sources.

Every piece of document text is escaped here, before it reaches the page: a passage that
contains ``<script>``, an ``onerror`` handler or a ``javascript:`` link is shown as text and
never runs. Only links we build ourselves (``http(s)`` sources, ``#`` anchors) are live. The
chat also runs messages through Markdown (and LaTeX), so the characters those act on become
entities too: a quote shows exactly what the document says, ``__init__`` and ``$5m`` included.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlparse

from clusterqa.types import Answer, Citation

_S_MARKER = re.compile(r"\[S(\d+)\]")
# The same markers once escaped (see escape_text).
_CITE_ESCAPED = re.compile(r"&#91;(\d+)&#93;")
_S_MARKER_ESCAPED = re.compile(r"&#91;S(\d+)&#93;")
_MARKDOWN_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]~$"})
EXCERPT_CHARS = 420
NEAREST_QUOTE_CHARS = 240


def escape_text(text: str) -> str:
    """Text as inert HTML that Markdown leaves alone: tags and entities escaped, and the
    characters of emphasis, links, code and maths written as entities."""
    return html.escape(text, quote=True).translate(_MARKDOWN_ENTITIES)


# What turns document text into a live link or image in Markdown: "](" (inline links and
# images) and "]:" (a reference definition). A backslash before the bracket keeps the text
# as it reads and makes it inert; "[S2]" alone is no link and stays as it is.
_MD_LINK = re.compile(r"\](?=[(:])")


def inert_markdown(text: str) -> str:
    """Document text that Markdown shows as written: no link, no (tracking) image."""
    return _MD_LINK.sub(r"\\]", text)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme in ("http", "https") and parsed.netloc else None


def where(c: Citation) -> str:
    """Where a passage is from: publisher · region · kind · page."""
    parts = [c.publisher, c.region, c.kind, f"page {c.page}" if c.page else None]
    return " · ".join(p for p in parts if p)


def segments(c: Citation) -> list[tuple[str, bool]]:
    """The passage as (text, is a supporting sentence) pieces, in order."""
    out: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in c.highlights:
        out += [(c.text[cursor:start], False), (c.text[start:end], True)]
        cursor = end
    out.append((c.text[cursor:], False))
    return [(text, marked) for text, marked in out if text]


def _anchor(turn: int, n: int) -> str:
    return f"t{turn}-cite-{n}"


def _passage_html(c: Citation) -> str:
    """The passage, escaped, with the supporting sentences marked and [S<n>] markers linked
    to the brief's own sources."""
    body = "".join(f"<mark>{escape_text(text)}</mark>" if marked else escape_text(text)
                   for text, marked in segments(c))

    def source_link(m: re.Match) -> str:
        i = int(m.group(1)) - 1
        url = safe_url(c.sources[i]) if 0 <= i < len(c.sources) else None
        if url is None:
            return m.group(0)
        href = escape_text(url)
        return f'<a href="{href}" target="_blank" rel="noopener">&#91;S{i + 1}&#93;</a>'

    body = _S_MARKER_ESCAPED.sub(source_link, body)
    return body.replace("\n\n", "<br><br>").replace("\n", " ")


def _excerpt(c: Citation) -> str:
    """A short view around the first supporting sentence (whole passage if short)."""
    if len(c.text) <= EXCERPT_CHARS or not c.highlights:
        return ""
    start, end = c.highlights[0]
    lo = max(0, start - 120)
    hi = min(len(c.text), max(end, start + EXCERPT_CHARS - 120))
    # Cut between words, never inside the supporting sentence.
    if lo:
        lo = c.text.find(" ", lo, start) + 1 or lo
    if hi < len(c.text):
        hi = max(c.text.rfind(" ", end, hi), end)
    shifted = Citation(**{**c.__dict__, "text": c.text[lo:hi],
                          "highlights": [(max(s - lo, 0), min(e - lo, hi - lo))
                                         for s, e in c.highlights if s < hi and e > lo]})
    return ("…" if lo else "") + _passage_html(shifted) + ("…" if hi < len(c.text) else "")


def card_html(c: Citation, turn: int, nearest: bool = False) -> str:
    url = safe_url(c.url) or safe_url(c.source)
    title = escape_text(c.title)
    link = (f'<a href="{escape_text(url)}" target="_blank" rel="noopener">{title}</a>'
            if url else title)
    origin = "" if url else f'<div class="cq-source">{escape_text(c.source)}</div>'
    excerpt = _excerpt(c)
    full = _passage_html(c)
    if excerpt:
        # The excerpt hides while the whole passage is open (CSS), so nothing shows twice.
        body = (f'<div class="cq-passage cq-excerpt">{excerpt}</div>'
                f"<details><summary>Whole passage</summary>"
                f'<div class="cq-passage">{full}</div></details>')
    else:
        body = f'<div class="cq-passage">{full}</div>'
    cls = "cq-card cq-nearest" if nearest else "cq-card"
    return (f'<div class="{cls}" id="{_anchor(turn, c.n)}">'
            f'<div class="cq-head"><span class="cq-n">&#91;{c.n}&#93;</span> {link}</div>'
            f'<div class="cq-meta">{escape_text(where(c))}</div>{origin}{body}</div>')


def answer_text_html(answer: Answer, turn: int, text: str | None = None) -> str:
    """The answer text with each [n] a link to its card (and the source on hover)."""
    by_n = {c.n: c for c in answer.citations}

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        c = by_n.get(n)
        if c is None:
            return m.group(0)
        tip = escape_text(f"{c.title} — {where(c)}")
        return f'<a class="cq-ref" href="#{_anchor(turn, n)}" title="{tip}">&#91;{n}&#93;</a>'

    return _CITE_ESCAPED.sub(link, escape_text(answer.text if text is None else text))


def items_html(answer: Answer, turn: int) -> str:
    """A list answer's items as a table (name, kind, place, region, sector, sources)."""
    if not answer.items:
        return ""
    by_n = {c.n: c for c in answer.citations}
    rows = []
    for item in answer.items:
        refs = " ".join(
            f'<a class="cq-ref" href="#{_anchor(turn, n)}" '
            f'title="{escape_text(f"{by_n[n].title} — {where(by_n[n])}")}">&#91;{n}&#93;</a>'
            for n in item.citations if n in by_n)
        cells = [escape_text(v or "") for v in (item.name, item.kind, item.place, item.region,
                                                 item.sector)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{refs}</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("name", "kind", "place", "region", "sector",
                                              "sources"))
    return (f'<table class="cq-items"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def sides_html(answer: Answer, turn: int) -> str:
    """A comparison as a table: the aspect, then each side's cell of quotes, cited."""
    if not answer.sides:
        return ""
    aspect = answer.text.split(":", 1)[0].removeprefix("On ")
    head = "".join(f"<th>{escape_text(s.name)}</th>" for s in answer.sides)
    cells = "".join(
        f"<td>{answer_text_html(answer, turn, s.text) if not s.abstained else escape_text(s.text)}"
        f"</td>" for s in answer.sides)
    return (f'<table class="cq-items cq-compare"><thead><tr><th></th>{head}</tr></thead>'
            f"<tbody><tr><th>{escape_text(aspect)}</th>{cells}</tr></tbody></table>")


def items_csv(answer: Answer) -> str:
    """The items as CSV, for a spreadsheet."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "kind", "place", "region", "sector", "citations", "sources"])
    by_n = {c.n: c for c in answer.citations}
    for item in answer.items:
        links = [safe_url(by_n[n].url) or by_n[n].source for n in item.citations if n in by_n]
        writer.writerow([item.name, item.kind or "", item.place or "", item.region or "",
                         item.sector or "", " ".join(f"[{n}]" for n in item.citations),
                         " ".join(links)])
    return buffer.getvalue()


def answer_html(answer: Answer, turn: int, partial: str | None = None) -> str:
    """The whole chat message: answer (or the partial text while streaming) and its cards."""
    if partial is not None:
        return f'<div class="cq-answer">{answer_text_html(answer, turn, partial)}</div>'
    if answer.abstained:
        head = (f'<div class="cq-abstain"><strong>Not in the reports.</strong> '
                f"{escape_text(answer.text)}</div>")
        label = "Nearest passages — not an answer"
    elif answer.sides:
        head = sides_html(answer, turn)
        label = "Sources"
    else:
        head = (items_html(answer, turn) +
                f'<div class="cq-answer">{answer_text_html(answer, turn)}</div>')
        label = "Sources"
    if answer.unsupported:
        dropped = "".join(f"<li>{escape_text(t)}</li>" for t in answer.unsupported)
        head += (f'<details class="cq-unsupported"><summary>Not supported by the sources '
                 f"({len(answer.unsupported)}), removed</summary><ul>{dropped}</ul></details>")
    if answer.notice:
        head = f'<div class="cq-notice">{escape_text(answer.notice)}</div>{head}'
    if answer.asked and answer.asked != answer.question:
        head = f'<div class="cq-asked">Answering: {escape_text(answer.asked)}</div>{head}'
    if not answer.citations:
        return head
    cards = "".join(card_html(c, turn, nearest=answer.abstained) for c in answer.citations)
    return f'{head}<div class="cq-sources"><div class="cq-label">{label}</div>{cards}</div>'


def answer_markdown(answer: Answer) -> str:
    """Question, answer and sources as Markdown, for a journalist to paste with sources intact:
    each source's title, where it is from and its link, the quoted sentences, and the links a
    brief gives for the [S<n>] marks in them. HTML in document text is escaped (it must not
    come alive in whatever the Markdown is pasted into)."""

    def esc(text: str) -> str:
        return inert_markdown(html.escape(text, quote=False))

    label = "Nearest passages (not an answer)" if answer.abstained else "Sources"
    lines = [f"**Q:** {esc(answer.question)}", "", f"**A:** {esc(answer.text)}", "",
             f"**{label}:**", ""]
    for c in answer.citations:
        link = safe_url(c.url) or safe_url(c.source)
        meta = where(c)
        lines.append(f"[{c.n}] {esc(c.title)}" + (f" — {esc(meta)}" if meta else "")
                     + f". {f'<{link}>' if link else esc(c.source)}")
        quote = _quote(c)
        if quote:
            lines += ["", f"> {esc(quote)}"]
        cited = [(i, safe_url(c.sources[i - 1])) for i in
                 dict.fromkeys(int(m) for m in _S_MARKER.findall(quote))
                 if 0 < i <= len(c.sources)]
        if any(url for _, url in cited):
            lines += ["", "Sources behind this passage: "
                      + ", ".join(f"[S{i}] <{url}>" for i, url in cited if url)]
        lines.append("")
    return "\n".join(lines)


def _quote(c: Citation) -> str:
    """The supporting sentences; for a passage that supports nothing, its opening words."""
    def clean(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    if c.highlights:
        return " ".join(clean(c.text[s:e]) for s, e in c.highlights)
    text = clean(c.text)
    if len(text) <= NEAREST_QUOTE_CHARS:
        return text
    cut = text.rfind(" ", 0, NEAREST_QUOTE_CHARS)
    return text[: cut if cut > 0 else NEAREST_QUOTE_CHARS] + " …"
