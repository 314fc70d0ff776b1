"""Bytes to clean text: character sets, front matter, whitespace and stray caption lines."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from clusterqa.errors import LoadError


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
MAX_FRONT_MATTER_CHARS = 64 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: front matter has no use for them, and a few hundred
    bytes of nested aliases expand to gigabytes (a "billion laughs" bomb)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in front matter", event.start_mark)
        return super().compose_node(parent, index)


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    match = _FRONT.match(text)
    if not match:
        return {}, text
    if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
        raise LoadError(source, f"front matter is {len(match.group(1)):,} characters long "
                                f"(at most {MAX_FRONT_MATTER_CHARS:,})")
    try:
        front = yaml.load(match.group(1), Loader=_NoAliasLoader) or {}
    except yaml.YAMLError as exc:
        raise LoadError(source, f"front matter is not valid YAML ({exc})") from exc
    if not isinstance(front, dict):
        raise LoadError(source, "front matter must be a mapping of fields")
    return front, text[match.end():]


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
# Control characters (NUL, ESC and the rest of C0 and C1) are never text: an escape sequence
# in a document must not reach a terminal, nor a NUL an answer. Tabs and newlines stay.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Unicode NFKC, no control or zero-width characters, tidy whitespace, at most one blank
    line."""
    text = _CONTROL.sub("", unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
