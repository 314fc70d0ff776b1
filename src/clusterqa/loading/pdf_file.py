"""Text per page from PDFs (pypdf), with repeated headers and footers removed."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from clusterqa.errors import LoadError

# pypdf logs what it repairs or cannot read; our own LoadError names the file and the reason
# once, in the ingest summary, so its warnings would only repeat it without the file name.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# /Title values PDF producers write when no title was set (reportlab: canvas, platypus).
_PLACEHOLDER_TITLES = {"untitled", "(anonymous)", "anonymous", "untitled document"}


def pdf_pages(data: bytes, source: str) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """Returns ({title} from the PDF's info, [(1-based page number, text), ...])."""
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
        texts = [page.extract_text() or "" for page in reader.pages]
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
    texts = strip_repeated_lines(texts)
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
