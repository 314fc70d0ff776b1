"""Build test documents (PDF, DOCX, raw bytes) at test time, so no binary fixture is committed.

Every builder writes to the path it is given and returns that path. PDFs are drawn with
reportlab, encrypted with pypdf; Word files are written with python-docx.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

# --- PDF -------------------------------------------------------------------------------


def pdf_lines(path: Path, pages: Sequence[Sequence[str]], *, title: str | None = None) -> Path:
    """One PDF page per item of ``pages``; each page draws its lines top to bottom."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    if title:
        c.setTitle(title)
    _, height = A4
    for lines in pages:
        c.setFont("Helvetica", 11)
        y = height - 60
        for line in lines:
            c.drawString(60, y, line)
            y -= 24
        c.showPage()
    c.save()
    return path


def pdf_with_header_footer(path: Path, sentences: Sequence[str], *, header: str) -> Path:
    """A page per sentence: ``header`` at the top, the sentence, "Page N of M" at the foot."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    width, height = A4
    total = len(sentences)
    for number, sentence in enumerate(sentences, start=1):
        c.setFont("Helvetica", 9)
        c.drawString(60, height - 40, header)
        c.setFont("Helvetica", 11)
        c.drawString(60, height - 120, sentence)
        c.setFont("Helvetica", 9)
        c.drawCentredString(width / 2, 30, f"Page {number} of {total}")
        c.showPage()
    c.save()
    return path


def pdf_table(path: Path, intro: str, rows: Sequence[Sequence[str]]) -> Path:
    """One page: a paragraph, then a gridded table of ``rows`` (the first row is the header)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    doc = SimpleDocTemplate(str(path), pagesize=A4, invariant=1)
    table = Table([list(r) for r in rows])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    doc.build([Paragraph(intro, getSampleStyleSheet()["Normal"]), Spacer(1, 12), table])
    return path


def pdf_two_columns(path: Path, left: str, right: str) -> Path:
    """One page with two side-by-side frames; ``left`` fills the first, ``right`` the second.

    The paragraphs are long enough to wrap over many lines, so a line-by-line reading across
    the page would interleave the two columns.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, FrameBreak, PageTemplate, Paragraph

    width, height = A4
    margin, gap = 50, 24
    col_w = (width - 2 * margin - gap) / 2
    frames = [
        Frame(margin, margin, col_w, height - 2 * margin, id="left"),
        Frame(margin + col_w + gap, margin, col_w, height - 2 * margin, id="right"),
    ]
    doc = BaseDocTemplate(str(path), pagesize=A4, invariant=1)
    doc.addPageTemplates([PageTemplate(id="two", frames=frames)])
    style = getSampleStyleSheet()["Normal"]
    doc.build([Paragraph(left, style), FrameBreak(), Paragraph(right, style)])
    return path


def pdf_image_only(path: Path, pages: int = 2) -> Path:
    """Pages with drawn shapes and a raster image but not a single character of text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        c.setFillColorRGB(0.2, 0.4, 0.6)
        c.rect(100, 400, 300, 200, fill=1, stroke=1)
        c.circle(300, 250, 60, fill=1)
        c.drawImage(ImageReader(_png_bytes()), 100, 100, width=80, height=80)
        c.showPage()
    c.save()
    return path


def _png_bytes() -> io.BytesIO:
    """A 4x4 red PNG written by hand (zlib + crc), so Pillow is not needed to make it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return io.BytesIO(png)


def encrypt_pdf(source: Path, target: Path, *, user_password: str, owner_password: str,
                algorithm: str = "AES-128") -> Path:
    """``source`` re-written by pypdf with standard encryption (``algorithm``: RC4-128,
    AES-128 or AES-256)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import UserAccessPermissions

    writer = PdfWriter(clone_from=PdfReader(source))
    # Printing allowed, copying and editing not: a typical "restricted" report.
    permissions = UserAccessPermissions.PRINT | UserAccessPermissions.PRINT_TO_REPRESENTATION
    writer.encrypt(user_password=user_password, owner_password=owner_password,
                   permissions_flag=permissions, algorithm=algorithm)
    with target.open("wb") as fh:
        writer.write(fh)
    return target


# --- DOCX ------------------------------------------------------------------------------


def docx_file(path: Path, *, title: str | None, paragraphs_before: Sequence[str],
              table: Sequence[Sequence[str]], paragraphs_after: Sequence[str],
              heading: str | None = None) -> Path:
    """A Word file: optional heading, paragraphs, a table, more paragraphs, in that order."""
    import docx

    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs_before:
        document.add_paragraph(text)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    for text in paragraphs_after:
        document.add_paragraph(text)
    document.save(str(path))
    return path


# --- raw bytes -------------------------------------------------------------------------


def random_bytes(n: int, seed: int = 1234) -> bytes:
    """Deterministic noise that is certainly not a PDF (no %PDF header, no %%EOF)."""
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def write(path: Path, data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path
