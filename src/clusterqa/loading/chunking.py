"""Chunking: sentence-aware windows with overlap, stable ids, page and character offsets.

The splitting itself is llama-index's ``SentenceSplitter`` (paragraphs first, then sentences,
merged up to ``chunk_size`` tokens with ``chunk_overlap``). We split page by page, so a chunk
never spans two PDF pages, and we locate every chunk in its page to keep exact offsets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

from clusterqa.loading.tables import SEP, parse_row
from clusterqa.settings import ChunkingSettings
from clusterqa.types import Chunk, Document


def chunk_id(doc_id: str, page: int | None, text: str, occurrence: int = 0,
             context: str = "", section: str | None = None) -> str:
    """Same document, same page, same text (and same embedding context: the title and the
    page's section it is embedded with) -> same id, on every run and machine."""
    key = f"{doc_id}\x1f{page}\x1f{occurrence}\x1f{context}\x1f{text}"
    if page is not None:  # a page is embedded with its section and number (embed_context)
        key += f"\x1f{section}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def embed_context(context: str, chunk: Chunk) -> str:
    """What a chunk is embedded with besides its text: its document's title, then for a
    page of a report the statement or section the page presents and the page, so a row of
    "CONSOLIDATED STATEMENTS OF CASH FLOWS" is found by a question about the cash-flow
    statement ("3M COMPANY — 10-K FY2018 | Consolidated Statement of Cash Flows | p. 60")."""
    if chunk.page is None or not context:
        return context
    parts = [context, chunk.section, f"p. {chunk.page}"]
    return " | ".join(p for p in parts if p)


def with_ids(doc_id: str, spans: Iterable[tuple[int | None, int, int, str]], context: str = "",
             sections: Mapping[int | None, str | None] | None = None) -> list[Chunk]:
    """Chunks, in order, from (page, start, end, text): the same text twice on one page gets
    its occurrence number, so ids stay distinct and stable. ``sections`` gives each page's
    section (kept with the chunk, not part of its id)."""
    chunks: list[Chunk] = []
    seen: dict[tuple[int | None, str], int] = {}
    for page, start, end, text in spans:
        occurrence = seen.get((page, text), 0)
        seen[(page, text)] = occurrence + 1
        section = (sections or {}).get(page)
        chunks.append(Chunk(chunk_id(doc_id, page, text, occurrence, context, section),
                            doc_id, len(chunks), page, start, end, text, section))
    return chunks


# The longest line a document may have. Paragraphs of prose run to a few thousand characters;
# a 50 MB line is a dump, on which NLTK's sentence regex runs into its time limit.
MAX_LINE_CHARS = 200_000


def rows_apart(sentences: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """A sentence tokenizer that keeps each table row (loading/tables.py) one unit: a row has
    no full stop, so the splitter would otherwise cut it at a comma ("9,497," | "578") when a
    page of rows outgrows a chunk, and the halves would state wrong figures. Text without
    rows is split exactly as before."""

    def split(text: str) -> list[str]:
        if SEP not in text:
            return sentences(text)
        out: list[str] = []
        prose = ""
        for line in text.splitlines(keepends=True):
            if parse_row(line) is None:
                prose += line
                continue
            if prose:
                out += sentences(prose)
                prose = ""
            out.append(line)
        return out + (sentences(prose) if prose else [])

    return split


class Chunker:
    def __init__(self, settings: ChunkingSettings | None = None) -> None:
        settings = settings or ChunkingSettings()
        self._splitter = SentenceSplitter(
            chunk_size=settings.chunk_size,
            chunk_overlap=min(settings.chunk_overlap, settings.chunk_size // 2),
            paragraph_separator="\n\n",
            chunking_tokenizer_fn=rows_apart(split_by_sentence_tokenizer()),
        )

    def chunk(self, document: Document, context: str = "") -> list[Chunk]:
        for page in document.pages:
            longest = max(len(p) for p in page.text.split("\n"))
            if longest > MAX_LINE_CHARS:
                # Not prose: the sentence splitter would spend minutes on it, then time out.
                raise ValueError(f"a line of {longest:,} characters (at most "
                                 f"{MAX_LINE_CHARS:,} without a line break)")
        spans = ((page.number, start, end, text) for page in document.pages
                 for start, end, text in self._locate(page.text))
        return with_ids(document.doc_id, spans, context,
                        {p.number: p.section for p in document.pages if p.section})

    def _locate(self, page_text: str) -> Iterator[tuple[int, int, str]]:
        """Yield (start, end, text) for each split, found in order in the page text."""
        cursor = 0
        for split in self._splitter.split_text(page_text):
            split = split.strip()
            if not split:
                continue
            start = page_text.find(split, cursor)
            if start < 0:  # the splitter rewrote whitespace; fall back to a loose match
                start, end = _loose_find(page_text, split, cursor)
                text = page_text[start:end]
            else:
                end = start + len(split)
                text = split
            yield start, end, text
            cursor = start + 1


def _loose_find(haystack: str, needle: str, cursor: int) -> tuple[int, int]:
    pattern = r"\s+".join(re.escape(w) for w in needle.split())
    match = re.compile(pattern).search(haystack, cursor) or re.compile(pattern).search(haystack)
    if match is None:  # cannot happen for text the splitter took from this page
        raise ValueError("chunk text not found in its page")
    return match.start(), match.end()
