"""Text of a Word document: paragraphs and tables, in document order."""

from __future__ import annotations

import io
from typing import Any

import docx


def docx_text(data: bytes) -> tuple[dict[str, Any], str]:
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
