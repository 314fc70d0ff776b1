"""Text of a Word document: paragraphs and tables, in document order."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx

from clusterqa.errors import LoadError


def docx_text(data: bytes, source: str, max_bytes: int) -> tuple[dict[str, Any], str]:
    # A DOCX is a zip: a small file can expand to gigabytes of XML (a zip bomb), so the size
    # limit applies to what it expands to, checked before anything is decompressed.
    try:
        expanded = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile as exc:
        raise LoadError(source, f"not a valid DOCX (not a zip archive: {exc})") from exc
    if expanded > max_bytes:
        raise LoadError(source, f"expands to {expanded:,} bytes, over the limit of "
                                f"{max_bytes:,} bytes (a zip bomb?)")
    document = docx.Document(io.BytesIO(data))
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                blocks.append(" | ".join(cells))
        elif block.text.strip():
            blocks.append(block.text)
    title = document.core_properties.title
    return ({"title": title} if title else {}), "\n\n".join(blocks)
