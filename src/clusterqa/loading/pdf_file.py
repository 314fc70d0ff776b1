"""Text per page from PDFs (PDFium, pypdf where PDFium cannot), with repeated headers and
footers removed and table rows written with their column headers (see tables.py)."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from clusterqa.errors import LoadError
from clusterqa.loading.tables import label_rows

# pypdf logs what it repairs or cannot read; our own LoadError names the file and the reason
# once, in the ingest summary, so its warnings would only repeat it without the file name.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# /Title values PDF producers write when no title was set (reportlab: canvas, platypus).
_PLACEHOLDER_TITLES = {"untitled", "(anonymous)", "anonymous", "untitled document"}


def _pdfium_texts(data: bytes, password: str | None) -> list[str] | None:
    """Text per page with PDFium (pypdfium2): about 5 ms a page against pypdf's 100 on real
    filings, and a table row stays on one line ("Net income $ 5,363 $ 4,869") where pypdf
    breaks it into a line per cell. None when PDFium cannot read the file (pypdf then does)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError:
        return None
    try:
        texts = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded().replace("\r\n", "\n"))
            textpage.close()
            page.close()
        return texts
    except pdfium.PdfiumError:
        return None
    finally:
        pdf.close()


def pdf_pages(data: bytes, source: str) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Returns ({title} from the PDF's info, [(1-based page number, text), ...]). pypdf opens
    the file (encryption, metadata); PDFium reads the text."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Owner-password-only PDFs (restrictions, no open password) decrypt with "".
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # unsupported encryption algorithms land here
                raise LoadError(source, f"encrypted PDF that cannot be opened ({exc})") from exc
            if not opened:
                raise LoadError(source, "PDF needs a password to open; skipped")
        texts = _pdfium_texts(data, "" if reader.is_encrypted else None) or \
            [page.extract_text() or "" for page in reader.pages]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
        if title is not None and str(title).strip().lower() in _PLACEHOLDER_TITLES:
            title = None  # written by a tool when nobody set a title: use the file name
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(source, f"corrupt or unreadable PDF ({exc})") from exc
    if not any(t.strip() for t in texts):
        raise LoadError(source, f"PDF has no text layer ({len(texts)} pages, image-only?); "
                                "run OCR on it first")
    texts = [label_rows(t) for t in strip_repeated_lines(texts)]
    found = {"title": str(title).strip()} if title and str(title).strip() else {}
    return found, [(i, t) for i, t in enumerate(texts, start=1)]


_PAGE_NUMBER = re.compile(r"\b(?:page|p\.|pg\.?)\s*\d+|^\W*\d+(?:\s*(?:of|/)\s*\d+)?\W*$")


def _line_key(line: str) -> str:
    # Page numbers vary from page to page; "Page 3 of 9" and "Page 4 of 9" are one footer.
    # Only short lines and page-number lines are compared without their digits: a sentence
    # that differs from page to page only in its figures ("In 2021 ... 1,200 people") is
    # content, not a running footer.
    line = line.strip().lower()
    if len(line.split()) <= 4 or _PAGE_NUMBER.search(line):
        return re.sub(r"\d+", "#", line)
    return line


def strip_repeated_lines(pages: list[str], edge: int = 3, min_share: float = 0.5) -> list[str]:
    """Drop lines that stand in the first or last ``edge`` lines of most pages."""
    if len(pages) < 3:
        return pages
    counts: Counter[str] = Counter()
    for text in pages:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        counts.update({_line_key(ln) for ln in lines[:edge] + lines[-edge:]})
    repeated = {k for k, c in counts.items() if c >= max(2, min_share * len(pages))}
    if not repeated:
        return pages
    cleaned = []
    for text in pages:
        lines = text.splitlines()
        nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(nonblank[:edge] + nonblank[-edge:])
        cleaned.append("\n".join(ln for i, ln in enumerate(lines)
                                 if not (i in edges and _line_key(ln) in repeated)))
    return cleaned


# A financial statement's title ("Consolidated Statements of Cash Flows", "Balance Sheets"),
# matched without spaces: PDF text splits words where letters are spaced ("Incom e").
_STATEMENT = re.compile(
    r"^(?:condensed)?(?:consolidated)?(?:statements?of(?:consolidated)?(?:income|operations|"
    r"earnings|cashflows?|financial(?:position|condition)|comprehensive(?:income|loss)|"
    r"changesin\w+|shareholders|stockholders|equity)|balancesheets?)")
SECTION_LOOKS = 600  # a section's title stands near the top of its page


def page_section(text: str) -> str | None:
    """The statement a page presents, when a line near its top is a statement's title."""
    offset = 0
    for line in text.split("\n"):
        if offset > SECTION_LOOKS:
            return None
        squashed = re.sub(r"\W+", "", line).lower()
        if 8 <= len(line.strip()) <= 120 and _STATEMENT.match(squashed) and \
                not re.search(r"\d{2,}$", squashed):  # a table of contents' line ends in a page
            return " ".join(line.split())
        offset += len(line) + 1
    return None
