"""Chunking: sentence-aware windows with overlap, exact offsets, stable ids, pages kept apart."""

from __future__ import annotations

import itertools

from clusterqa.loading.chunking import Chunker, chunk_id
from clusterqa.settings import ChunkingSettings
from clusterqa.text import sentence_spans
from clusterqa.types import Document, DocumentMeta, Page

TEXT = " ".join(f"Sentence number {i} talks about firm {i} in Leeds." for i in range(60))


def doc(pages: list[Page], doc_id: str = "r/doc.md") -> Document:
    return Document(doc_id, doc_id, DocumentMeta(title="T", kind="note"), pages)


def test_offsets_point_at_the_chunk_text_in_its_page() -> None:
    """Every chunk's (start, end) slice of its page is exactly its text."""
    pages = [Page(1, TEXT), Page(2, "Second page. " + TEXT)]
    chunks = Chunker(ChunkingSettings(chunk_size=64, chunk_overlap=16)).chunk(doc(pages))
    assert len(chunks) > 4
    by_page = {p.number: p.text for p in pages}
    for c in chunks:
        assert by_page[c.page][c.start:c.end] == c.text


def test_chunks_overlap_and_end_on_sentence_boundaries() -> None:
    """Neighbouring chunks share text, and no chunk cuts a sentence in half."""
    chunks = Chunker(ChunkingSettings(chunk_size=64, chunk_overlap=16)).chunk(doc([Page(None,
                                                                                       TEXT)]))
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end, "expected overlap"
    for c in chunks:
        assert c.text.endswith(".")


def test_ids_are_stable_and_depend_on_document_and_text() -> None:
    """The same text in the same document gets the same id on every run."""
    pages = [Page(None, TEXT)]
    first = Chunker().chunk(doc(pages))
    again = Chunker().chunk(doc(pages))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    other = Chunker().chunk(doc(pages, doc_id="r/other.md"))
    assert {c.chunk_id for c in first}.isdisjoint(c.chunk_id for c in other)
    assert chunk_id("d", 1, "x") != chunk_id("d", 2, "x")


def test_a_chunk_never_spans_two_pdf_pages() -> None:
    pages = [Page(1, "Alpha is on page one."), Page(2, "Beta is on page two.")]
    chunks = Chunker().chunk(doc(pages))
    assert [(c.page, c.text) for c in chunks] == [(1, "Alpha is on page one."),
                                                  (2, "Beta is on page two.")]


def test_repeated_text_in_one_document_gets_distinct_ids() -> None:
    pages = [Page(1, "Same words."), Page(1, "Same words.")]
    ids = [c.chunk_id for c in Chunker().chunk(doc(pages))]
    assert len(set(ids)) == 2


def test_sentence_spans_keep_paragraphs_apart_and_join_wrapped_lines() -> None:
    text = "Para one. Second sentence\nwrapped here.\n\nHeading\n\nThird para. Fourth."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Para one.", "Second sentence\nwrapped here.", "Heading", "Third para.", "Fourth."]
