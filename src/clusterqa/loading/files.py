"""Loading documents: files (Markdown, text, HTML, PDF, DOCX) or fetched bytes to a Document.

Every loader returns a :class:`~clusterqa.types.Document` whose ``pages`` hold clean text; PDFs
keep one page per PDF page (1-based numbers), other formats have a single page numbered
``None``. A file that cannot be read raises :class:`~clusterqa.errors.LoadError` naming the
file and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from clusterqa.errors import LoadError
from clusterqa.loading.decode import (
    clean_text,
    decode_html,
    decode_text,
    drop_caption_lines,
    split_front_matter,
)
from clusterqa.loading.markdown_text import markdown_to_text
from clusterqa.types import Document, DocumentMeta, Page

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
DEFAULT_KIND = {".md": "note", ".markdown": "note", ".txt": "note", ".html": "article",
                ".htm": "article", ".pdf": "report", ".docx": "report"}
METADATA_FIELDS = ("title", "kind", "region", "publisher", "url", "date", "sources", "examples")
MAX_FILE_BYTES = 50 * 1024 * 1024


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under ``paths`` (recursively, hidden ones skipped), in a stable order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(part.startswith(".") for part in rel.parts):
                    yield child
        else:
            yield path


def load_file(
    path: Path,
    *,
    corpus_dir: Path | None = None,
    base_dir: Path | None = None,
    metadata: dict[str, Any] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Document:
    """Load one file. ``metadata`` (from the source list) overrides what the file says."""
    base_dir = (base_dir or Path.cwd()).resolve()
    source = _display_path(path, base_dir)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise LoadError(source, "no such file")
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(source, f"unsupported file type '{suffix or path.name}' "
                                f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    size = path.stat().st_size
    if size == 0:
        raise LoadError(source, "empty file")
    if size > max_bytes:
        raise LoadError(source, f"too large ({size:,} bytes; the limit is {max_bytes:,} bytes)")
    data = path.read_bytes()
    try:
        front, pages, found = _parse(suffix, data, source)
    except LoadError:
        raise
    except Exception as exc:  # a parser's own error: report it against the file, go on
        raise LoadError(source, f"could not be parsed ({type(exc).__name__}: {exc})") from exc
    region = _region_from_path(path, corpus_dir)
    doc_id = _doc_id(path, corpus_dir, source)
    return _build(doc_id, source, suffix, pages, {**found, **front, **(metadata or {})},
                  default_title=_title_from_name(path.stem), default_region=region)


def load_bytes(
    data: bytes, *, source: str, suffix: str, metadata: dict[str, Any] | None = None,
    charset: str | None = None,
) -> Document:
    """Load a document fetched from ``source`` (a URL); it becomes the citation link too."""
    if not data:
        raise LoadError(source, "empty response")
    try:
        front, pages, found = _parse(suffix, data, source, url=source, charset=charset)
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(source, f"could not be parsed ({type(exc).__name__}: {exc})") from exc
    meta = {"url": source, **found, **front, **(metadata or {})}
    name = source.rstrip("/").rsplit("/", 1)[-1] or source
    return _build(source, source, suffix, pages, meta,
                  default_title=_title_from_name(Path(name).stem), default_region=None)


def _build(doc_id: str, source: str, suffix: str, pages: list[Page], meta: dict[str, Any],
           *, default_title: str, default_region: str | None) -> Document:
    # Front-matter keys beyond METADATA_FIELDS (e.g. "compiled") are allowed and ignored.
    meta = {k: v for k, v in meta.items() if k in METADATA_FIELDS and v not in (None, "")}
    publisher = _str_or_none(meta.get("publisher"))
    pages = [Page(p.number, drop_caption_lines(p.text, publisher)) for p in pages]
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        raise LoadError(source, "no text found")
    sources = meta.get("sources") or []
    examples = meta.get("examples") or []
    for name, value in (("sources", sources), ("examples", examples)):
        if not isinstance(value, list):
            raise LoadError(source, f"front matter '{name}' must be a list")
    return Document(doc_id, source, DocumentMeta(
        title=str(meta.get("title") or default_title),
        kind=str(meta.get("kind") or DEFAULT_KIND.get(suffix, "note")),
        region=_str_or_none(meta.get("region")) or default_region,
        publisher=publisher,
        url=_str_or_none(meta.get("url")),
        date=_str_or_none(meta.get("date")),
        sources=tuple(str(s) for s in sources),
        examples=tuple(str(q) for q in examples),
    ), pages)


def _parse(suffix: str, data: bytes, source: str, url: str | None = None,
           charset: str | None = None) -> tuple[dict[str, Any], list[Page], dict[str, Any]]:
    """Returns (front matter, pages, metadata found in the file itself)."""
    if suffix in TEXT_SUFFIXES:
        text = decode_text(data, source)
        front, body = split_front_matter(text, source)
        if suffix in {".md", ".markdown"}:
            body = markdown_to_text(body)
        return front, [Page(None, clean_text(body))], {}
    if suffix in HTML_SUFFIXES:
        from clusterqa.loading.html_page import html_to_text

        body, found = html_to_text(decode_html(data, source, charset), url=url)
        return {}, [Page(None, clean_text(body))], found
    if suffix == ".pdf":
        from clusterqa.loading.pdf_file import pdf_pages

        found, pages = pdf_pages(data, source)
        return {}, [Page(n, clean_text(t)) for n, t in pages], found
    if suffix == ".docx":
        from clusterqa.loading.docx_file import docx_text

        found, body = docx_text(data)
        return {}, [Page(None, clean_text(body))], found
    raise LoadError(source, f"unsupported file type '{suffix}'")


# --- naming ----------------------------------------------------------------------------


def _display_path(path: Path, base_dir: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(base_dir).as_posix()
    except ValueError:
        return resolved.as_posix()


def _doc_id(path: Path, corpus_dir: Path | None, source: str) -> str:
    if corpus_dir is not None:
        try:
            return path.resolve().relative_to(corpus_dir.resolve()).as_posix()
        except ValueError:
            pass
    return source


def _region_from_path(path: Path, corpus_dir: Path | None) -> str | None:
    """The region is the first folder under the corpus (or the file's folder elsewhere)."""
    if corpus_dir is not None:
        try:
            rel = path.resolve().relative_to(corpus_dir.resolve())
        except ValueError:
            pass
        else:
            return rel.parts[0] if len(rel.parts) > 1 else None
    return path.resolve().parent.name or None


def _title_from_name(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _str_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)
