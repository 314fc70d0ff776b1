"""Loading documents: files (Markdown, text, HTML, PDF, DOCX) or fetched bytes to a Document.

Every loader returns a :class:`~clusterqa.types.Document` whose ``pages`` hold clean text; PDFs
keep one page per PDF page (1-based numbers), other formats have a single page numbered
``None``. A file that cannot be read raises :class:`~clusterqa.errors.LoadError` naming the
file and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
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
METADATA_FIELDS = ("title", "kind", "region", "publisher", "url", "date", "sources", "examples",
                   "aliases", "tickers", "form", "year", "quarter")
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


def refuse_links_out_of(path: Path, folder: Path) -> None:
    """Refuse a file found in ``folder`` that is, or sits behind, a symlink leading out of it:
    a link in the corpus must not pull in, say, ~/.ssh/id_rsa."""
    target, root = path.resolve(), folder.resolve()
    if not target.is_relative_to(root):
        raise LoadError(printable(str(path)),
                        f"a symlink to {target}, outside {folder}; refused (set "
                        "ingest.follow_symlinks = true to allow links out of the corpus)")


def load_file(
    path: Path,
    *,
    corpus_dir: Path | None = None,
    base_dir: Path | None = None,
    metadata: dict[str, Any] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Document:
    """Load one file. ``metadata`` (from the source list) overrides what the file says.

    The document's ``source`` is the file's absolute path, however the file was named: one
    file is one document from any working directory. Errors name the file as ``base_dir``
    (default: the working directory) would."""
    name = display_path(path, (base_dir or Path.cwd()).resolve())
    if name != name.encode("utf-8", "replace").decode("utf-8"):
        raise LoadError(printable(name), "the file name is not valid UTF-8; rename the file")
    source = path.resolve().as_posix()
    suffix = path.suffix.lower()
    if not path.is_file():
        raise LoadError(name, "no such file")
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(name, f"unsupported file type '{suffix or path.name}' "
                              f"(supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    size = path.stat().st_size
    if size == 0:
        raise LoadError(name, "empty file")
    if size > max_bytes:
        raise LoadError(name, f"too large ({size:,} bytes; the limit is {max_bytes:,} bytes)")
    data = path.read_bytes()
    try:
        front, pages, found = _parse(suffix, data, name, max_bytes=max_bytes)
    except LoadError:
        raise
    except Exception as exc:  # a parser's own error: report it against the file, go on
        raise LoadError(name, f"could not be parsed ({type(exc).__name__}: {exc})") from exc
    region = _region_from_path(path, corpus_dir)
    doc_id = _doc_id(path, corpus_dir, source)
    return _build(doc_id, source, suffix, pages, {**found, **front, **(metadata or {})},
                  default_title=_title_from_name(path.stem), default_region=region, name=name)


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
           *, default_title: str, default_region: str | None, name: str | None = None
           ) -> Document:
    name = name or source
    # Front-matter keys beyond METADATA_FIELDS (e.g. "compiled") are allowed and ignored.
    meta = {k: v for k, v in meta.items() if k in METADATA_FIELDS and v not in (None, "")}
    fields = {key: _text_field(meta.get(key), key, name)
              for key in ("title", "kind", "region", "publisher", "url", "date", "form")}
    lists = {key: _list_field(meta.get(key), key, name)
             for key in ("sources", "examples", "aliases", "tickers")}
    numbers = {key: _number_field(meta.get(key), key, name) for key in ("year", "quarter")}
    pages = [Page(p.number, drop_caption_lines(p.text, fields["publisher"]), p.section)
             for p in pages]
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        raise LoadError(name, "no text found")
    return Document(doc_id, source, DocumentMeta(
        title=fields["title"] or default_title,
        kind=fields["kind"] or DEFAULT_KIND.get(suffix, "note"),
        region=fields["region"] or default_region,
        publisher=fields["publisher"], url=fields["url"], date=fields["date"],
        sources=lists["sources"], examples=lists["examples"], aliases=lists["aliases"],
        tickers=lists["tickers"], form=fields["form"], **numbers,
    ), pages)


# A field longer than this is not a title or a link but a mistake (or a YAML bomb's output).
MAX_FIELD_CHARS = 2000


def _text_field(value: object, key: str, name: str) -> str | None:
    """A metadata field as text; a list, a mapping or a number where text belongs is named
    as an error (``region: 123`` is almost always a slip, not region "123")."""
    if value is None:
        return None
    if key == "date" and isinstance(value, date | int):  # YAML reads 2021-03-04 as a date
        return str(value)
    if not isinstance(value, str):
        raise LoadError(name, f"front matter '{key}' must be text, not "
                              f"{type(value).__name__} ({str(value)[:40]!r})")
    if len(value) > MAX_FIELD_CHARS:
        raise LoadError(name, f"front matter '{key}' is {len(value):,} characters long "
                              f"(at most {MAX_FIELD_CHARS:,})")
    return value.strip() or None


def _number_field(value: object, key: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise LoadError(name, f"front matter '{key}' must be a whole number, not "
                              f"{type(value).__name__} ({str(value)[:40]!r})")
    return value


def _list_field(value: object, key: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise LoadError(name, f"front matter '{key}' must be a list")
    return tuple(t for t in (_text_field(v, key, name) for v in value) if t)


def _parse(suffix: str, data: bytes, source: str, url: str | None = None,
           charset: str | None = None, max_bytes: int = MAX_FILE_BYTES
           ) -> tuple[dict[str, Any], list[Page], dict[str, Any]]:
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
        from clusterqa.loading.pdf_file import page_section, pdf_pages

        found, pages = pdf_pages(data, source)
        pages = [Page(n, text, page_section(text)) for n, text in
                 ((n, clean_text(t)) for n, t in pages)]
        return {}, pages, {**found, **identify(source, found.get("title"), pages)}
    if suffix == ".docx":
        from clusterqa.loading.docx_file import docx_text

        found, body = docx_text(data, source, max_bytes)
        return {}, [Page(None, clean_text(body))], found
    raise LoadError(source, f"unsupported file type '{suffix}'")


def identify(source: str, pdf_title: str | None, pages: list[Page]) -> dict[str, Any]:
    """What a PDF says it is (see identity.py): its names, tickers, form and period; and a
    title made of them ("PepsiCo, Inc. — 10-K FY2022") when its own is missing or junk
    ("0001512673-21-000008", "Microsoft Word - F20_10K")."""
    from clusterqa.loading.identity import _JUNK_TITLE, describe

    info = describe(source, Path(source).stem, pdf_title, [p.text for p in pages[:3]])
    found: dict[str, Any] = {"aliases": sorted(info.aliases), "tickers": sorted(info.tickers),
                             "form": info.form, "year": info.year, "quarter": info.quarter}
    from_text = [n for n in info.names if re.sub(r"[\W_]+", " ", n).strip().lower() !=
                 re.sub(r"[\W_\d]+", " ", Path(source).stem).strip().lower()]
    if from_text and (not pdf_title or _JUNK_TITLE.search(pdf_title.strip())):
        found["title"] = info.label  # a name the document states, not just its file's
    return found


# --- naming ----------------------------------------------------------------------------


def display_path(path: Path | str, base_dir: Path) -> str:
    """``path`` relative to ``base_dir`` when inside it, else absolute."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(base_dir).as_posix()
    except ValueError:
        return resolved.as_posix()


def printable(name: str) -> str:
    """A file name as text that can be printed and stored: bytes that were not UTF-8 become
    backslash escapes (``caf\\udce9.md``)."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


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


