"""Loading documents: files (Markdown, text, HTML, PDF, DOCX) to clean text with metadata.

Every loader returns a :class:`Document` whose ``pages`` hold the text; PDFs keep one page per
PDF page (1-based numbers), other formats have a single page numbered ``None``. A file that cannot
be read raises :class:`~clusterqa.errors.LoadError` naming the file and the reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from clusterqa.errors import LoadError

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
DEFAULT_KIND = {".md": "note", ".markdown": "note", ".txt": "note", ".html": "article",
                ".htm": "article", ".pdf": "report", ".docx": "report"}
METADATA_FIELDS = ("title", "kind", "region", "publisher", "url", "date", "sources", "examples")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    number: int | None  # 1-based PDF page; None for formats without pages
    text: str


@dataclass
class Document:
    doc_id: str
    source: str  # repo-relative path, or the URL it was fetched from
    title: str
    kind: str
    region: str | None = None
    publisher: str | None = None
    url: str | None = None
    date: str | None = None
    sources: list[str] = field(default_factory=list)  # a brief's own [S<n>] links, in order
    examples: list[str] = field(default_factory=list)  # example questions for the chat
    pages: list[Page] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def metadata(self) -> dict[str, Any]:
        """Everything but the text: what a change of front matter alone changes."""
        data = asdict(self)
        data.pop("pages")
        return data

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for page in self.pages:
            h.update(f"{page.number}\x1f{page.text}\x1e".encode())
        return h.hexdigest()

    @property
    def metadata_hash(self) -> str:
        blob = json.dumps(self.metadata(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


# --- discovery -------------------------------------------------------------------------


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


# --- loading ---------------------------------------------------------------------------


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


def drop_caption_lines(text: str, publisher: str | None) -> str:
    """Remove stray credit lines ("The Northern Echo:" left where a photo was): a short line
    ending in a colon that is the publisher's name or recurs in the text. Nothing else goes."""
    lines = text.split("\n")
    short = [ln.strip() for ln in lines
             if ln.strip().endswith(":") and len(ln.split()) <= 4]
    credits = {ln for ln in short if short.count(ln) >= 2}
    if publisher:
        credits.add(f"{publisher.strip()}:")
    if not credits:
        return text
    kept = [ln for ln in lines if ln.strip() not in credits]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


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
    return Document(
        doc_id=doc_id,
        source=source,
        title=str(meta.get("title") or default_title),
        kind=str(meta.get("kind") or DEFAULT_KIND.get(suffix, "note")),
        region=_str_or_none(meta.get("region")) or default_region,
        publisher=_str_or_none(meta.get("publisher")),
        url=_str_or_none(meta.get("url")),
        date=_str_or_none(meta.get("date")),
        sources=[str(s) for s in sources],
        examples=[str(q) for q in examples],
        pages=pages,
    )


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
        text = decode_html(data, source, charset)
        from clusterqa.html_text import html_to_text

        body, found = html_to_text(text, url=url)
        return {}, [Page(None, clean_text(body))], found
    if suffix == ".pdf":
        from clusterqa.pdf_text import pdf_pages

        found, pages = pdf_pages(data, source)
        return {}, [Page(n, clean_text(t)) for n, t in pages], found
    if suffix == ".docx":
        from clusterqa.docx_text import docx_text

        found, body = docx_text(data)
        return {}, [Page(None, clean_text(body))], found
    raise LoadError(source, f"unsupported file type '{suffix}'")


# --- text helpers ----------------------------------------------------------------------


def decode_text(data: bytes, source: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 (Windows Notepad's "Unicode")
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError(source, "marked as UTF-16 but is not valid UTF-16") from exc
    if b"\x00" in data[:8192]:
        raise LoadError(source, "looks like a binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(source, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                                f"{exc.start}); save it as UTF-8") from exc


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)


def decode_html(data: bytes, source: str, charset: str | None = None) -> str:
    """HTML in the charset it declares (HTTP header, then <meta>), else UTF-8. Pages
    published in ISO-8859-1 or Windows-1252 are common and must not be refused."""
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return decode_text(data, source)  # a byte-order mark outranks any declaration
    declared = charset
    if not declared:
        found = _META_CHARSET.search(data[:4096])
        declared = found.group(1).decode("ascii") if found else None
    if declared and declared.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return data.decode(declared, errors="replace")
        except LookupError:
            raise LoadError(source, f"declares an unknown charset '{declared}'") from None
    return decode_text(data, source)


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(source, f"front matter is not valid YAML ({exc})") from exc
    if not isinstance(front, dict):
        raise LoadError(source, "front matter must be a mapping of fields")
    return front, text[match.end():]


_MD_RULES = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    # links -> text; the URL may hold one level of balanced parentheses (Wikipedia style)
    (re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()\s]*\))+(?:\s+\"[^\"]*\")?\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
]
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_ORDERED_NOT_ONE = re.compile(r"^\s*(?!0*1[.)])\d{1,3}[.)]\s+")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")


def markdown_to_text(md: str) -> str:
    """Plain text from Markdown: headings and list items become their own paragraphs.

    Kept deliberately small (no Markdown library): the corpus is prose and bullet lists, and
    what matters is that no sentence is lost and the markup does not reach the passages.
    """
    out: list[str] = []
    block = ""  # "" after a blank line, heading or rule; "list" in a list; "text" in prose
    for line in md.splitlines():
        # An ordered list only interrupts a paragraph when it starts at 1 (CommonMark): a
        # wrapped line of prose beginning "450. Most..." is text, not a list item.
        if block == "text" and _MD_ORDERED_NOT_ONE.match(line):
            out.append(line)
            continue
        if not line.strip() or _MD_RULE.match(line) or _MD_HEADING.match(line):
            block = ""
        elif _MD_BULLET.match(line):
            block = "list"
        elif not block:
            block = "text"
        if _MD_RULE.match(line):
            out.append("")
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            out.extend(["", heading.group(1), ""])
            continue
        if _MD_BULLET.match(line):
            out.extend(["", _MD_BULLET.sub("", line, count=1)])
            continue
        out.append(line)
    text = "\n".join(out)
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)


def clean_text(text: str) -> str:
    """Unicode NFKC, no zero-width characters, tidy whitespace, at most one blank line."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
