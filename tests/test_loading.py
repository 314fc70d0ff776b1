"""Document loading: Markdown, text, HTML, PDF and DOCX to clean text with metadata.

Every input file is generated at test time (see ``docgen``); conftest runs each test inside its
own ``tmp_path``, so a file's ``source`` is its path relative to that directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clusterqa.errors import LoadError
from clusterqa.loading import discover, load_bytes, load_file
from clusterqa.loading.decode import clean_text, drop_caption_lines, split_front_matter
from clusterqa.loading.markdown_text import markdown_to_text
from clusterqa.loading.pdf_file import strip_repeated_lines
from clusterqa.types import Document, Page
from tests import docgen


def squash(text: str) -> str:
    """Whitespace (spaces, newlines) collapsed to single spaces, for word-order checks."""
    return re.sub(r"\s+", " ", text).strip()


def load_error(path: Path, **kwargs) -> LoadError:
    """The LoadError ``load_file(path)`` raises; fails the test on any other outcome."""
    with pytest.raises(LoadError) as info:
        load_file(path, **kwargs)
    return info.value


def assert_names_file(err: LoadError, source: str) -> None:
    """The error carries the file (as given relative to the cwd) and says it first."""
    assert err.source == source
    assert str(err).startswith(f"{source}: ")
    assert err.reason and err.reason in str(err)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    return root


# --- 1. Markdown with front matter ----------------------------------------------------------

BRIEF_MD = """\
---
title: "North East tech brief"
region: north-east
kind: brief
publisher: "UK Tech Cluster Group"
url: "https://example.org/north-east"
date: 2021-03-04
sources:
  - "https://example.org/s1"
  - "https://example.org/s2"
examples:
  - "Who acquired Kontainers?"
compiled: "by hand"
---

# The North East at a glance

The region has a **fast-growing** tech sector with *many* startups.

## Key firms

- Sage was founded in Newcastle in 1981.
- Atom Bank launched in Durham in 2014.
* Double Eleven makes games in Middlesbrough.
1. Kontainers was bought by a [Canadian company](https://example.com/k "Deal") in 2020.
2) The `PROTO` centre is in Gateshead.

---

See the ![map of the region](img/map.png) and the [full report](/r.pdf) for details.
__Teesside__ hopes to attract more investors next year.
"""

BRIEF_SENTENCES = [
    "The North East at a glance",
    "The region has a fast-growing tech sector with many startups.",
    "Key firms",
    "Sage was founded in Newcastle in 1981.",
    "Atom Bank launched in Durham in 2014.",
    "Double Eleven makes games in Middlesbrough.",
    "Kontainers was bought by a Canadian company in 2020.",
    "The PROTO centre is in Gateshead.",
    "See the map of the region and the full report for details.",
    "Teesside hopes to attract more investors next year.",
]


def test_markdown_front_matter_gives_metadata(corpus: Path) -> None:
    """Front matter fields become the Document's metadata; unknown keys are ignored; the
    doc_id is the path under the corpus and the source the absolute path; a Markdown
    file is one page numbered None."""
    path = docgen.write(corpus / "somewhere" / "north-east-brief.md", BRIEF_MD)
    doc = load_file(path, corpus_dir=corpus)
    assert isinstance(doc, Document)
    assert doc.meta.title == "North East tech brief"
    assert doc.meta.region == "north-east"  # front matter wins over the folder name
    assert doc.meta.kind == "brief"
    assert doc.meta.publisher == "UK Tech Cluster Group"
    assert doc.meta.url == "https://example.org/north-east"
    assert doc.meta.date == "2021-03-04"
    assert doc.meta.sources == ("https://example.org/s1", "https://example.org/s2")
    assert doc.meta.examples == ("Who acquired Kontainers?",)
    assert doc.doc_id == "somewhere/north-east-brief.md"
    assert doc.source == path.resolve().as_posix()  # one file, one source, from anywhere
    assert "compiled" not in doc.meta.to_dict()
    assert [p.number for p in doc.pages] == [None]
    assert "title:" not in doc.text and "---" not in doc.text


def test_region_falls_back_to_first_folder_under_corpus(corpus: Path) -> None:
    """Without a region in the front matter the region is the first folder under corpus_dir,
    however deep the file sits; a file at the corpus root has no region."""
    nested = docgen.write(corpus / "scotland" / "2021" / "notes.md",
                          "---\ntitle: Notes\n---\nEdinburgh has many fintech firms.\n")
    assert load_file(nested, corpus_dir=corpus).meta.region == "scotland"
    at_root = docgen.write(corpus / "loose.md", "Glasgow has a space sector.\n")
    assert load_file(at_root, corpus_dir=corpus).meta.region is None


def test_defaults_without_front_matter(corpus: Path) -> None:
    """No front matter: the title comes from the file name, kind is 'note', and the optional
    fields are empty."""
    path = docgen.write(corpus / "wales" / "cardiff_compound-semiconductors.md",
                        "Cardiff has a compound semiconductor cluster.\n")
    doc = load_file(path, corpus_dir=corpus)
    assert doc.meta.title == "Cardiff compound semiconductors"
    assert doc.meta.kind == "note"
    assert doc.meta.region == "wales"
    meta = doc.meta
    assert (meta.publisher, meta.url, meta.date, meta.sources, meta.examples) == (
        None, None, None, (), ())


def test_metadata_argument_overrides_front_matter(corpus: Path) -> None:
    """``metadata`` (from the source list) beats the file's own front matter."""
    path = docgen.write(corpus / "north-east" / "brief.md", BRIEF_MD)
    doc = load_file(path, corpus_dir=corpus,
                    metadata={"title": "Override", "region": "tees-valley"})
    assert doc.meta.title == "Override"
    assert doc.meta.region == "tees-valley"
    assert doc.meta.publisher == "UK Tech Cluster Group"  # fields not overridden stay


def test_markdown_markup_removed_without_losing_a_sentence(corpus: Path) -> None:
    """Headings, bold/italic, bullets, numbered items, links, images, inline code and rules
    are stripped; every sentence survives; headings and list items are paragraphs of their
    own."""
    doc = load_file(docgen.write(corpus / "ne" / "brief.md", BRIEF_MD), corpus_dir=corpus)
    text = doc.text
    for sentence in BRIEF_SENTENCES:
        assert sentence in text, sentence
    for markup in ("**", "__", "](", "![", "`", "#"):
        assert markup not in text, markup
    assert not re.search(r"(?m)^\s*(?:[-*+]|\d+[.)])\s", text), text
    paragraphs = text.split("\n\n")
    for item in ("The North East at a glance", "Key firms",
                 "Sage was founded in Newcastle in 1981."):
        assert item in paragraphs
    # Sentences follow the Markdown order.
    positions = [text.index(s) for s in BRIEF_SENTENCES]
    assert positions == sorted(positions)


def test_markdown_to_text_leaves_plain_asterisks_and_underscores() -> None:
    """Arithmetic and snake_case are not emphasis: they come through unchanged."""
    line = "Growth was 5 * 3 = 15 percent, or 2*3*4 by file_name_v2 count."
    assert markdown_to_text(line).strip() == line


def test_markdown_link_with_parentheses_in_url() -> None:
    """A link whose URL contains balanced parentheses becomes just its text."""
    md = "See [the River Tees](https://en.wikipedia.org/wiki/Tees_(river)) for more."
    assert markdown_to_text(md).strip() == "See the River Tees for more."


def test_markdown_wrapped_line_starting_with_a_number_keeps_the_number() -> None:
    """A paragraph continuation line beginning 'NNN. ' keeps its number."""
    md = "Its headcount grew from 120 in 2019 to\n450. Most of them work in games.\n"
    assert squash(markdown_to_text(md)) == (
        "Its headcount grew from 120 in 2019 to 450. Most of them work in games.")


def test_bad_yaml_front_matter_is_a_load_error_naming_the_file(corpus: Path) -> None:
    """Front matter that is not valid YAML is a LoadError naming the file, not a YAMLError."""
    path = docgen.write(corpus / "north-east" / "broken.md",
                        "---\ntitle: \"unclosed\nregion: [north-east\n---\nBody text here.\n")
    err = load_error(path, corpus_dir=corpus)
    assert_names_file(err, "corpus/north-east/broken.md")
    assert "YAML" in err.reason


@pytest.mark.parametrize(
    ("front", "words"),
    [
        ("- just\n- a list", "mapping"),
        ("title: T\nsources: https://example.org/one", "sources"),
        ("title: T\nexamples: What is it?", "examples"),
    ],
    ids=["not-a-mapping", "sources-not-a-list", "examples-not-a-list"],
)
def test_malformed_front_matter_fields(corpus: Path, front: str, words: str) -> None:
    """Front matter of the wrong shape is a LoadError naming the file and the problem."""
    path = docgen.write(corpus / "x" / "bad.md", f"---\n{front}\n---\nSome body text.\n")
    err = load_error(path, corpus_dir=corpus)
    assert_names_file(err, "corpus/x/bad.md")
    assert words in err.reason


def test_split_front_matter() -> None:
    """Only a leading '---' block is front matter (CRLF too); a later '---' is body text."""
    assert split_front_matter("no front matter\n---\nx: 1\n---\n", "f.md") == (
        {}, "no front matter\n---\nx: 1\n---\n")
    front, body = split_front_matter("---\r\ntitle: T\r\nregion: r\r\n---\r\nBody.\r\n", "f.md")
    assert front == {"title": "T", "region": "r"}
    assert body == "Body.\r\n"
    with pytest.raises(LoadError) as info:
        split_front_matter("---\n: : :\n  - [\n---\nBody.", "notes/f.md")
    assert info.value.source == "notes/f.md"


def test_front_matter_only_is_no_text(corpus: Path) -> None:
    """A Markdown file with front matter and no body is a LoadError ('no text found')."""
    path = docgen.write(corpus / "r" / "empty-body.md", "---\ntitle: Nothing here\n---\n\n  \n")
    err = load_error(path, corpus_dir=corpus)
    assert_names_file(err, "corpus/r/empty-body.md")
    assert "no text" in err.reason


def test_hashes_separate_text_from_metadata(corpus: Path) -> None:
    """A front-matter change moves metadata_hash only; a body change moves content_hash only."""
    path = corpus / "r" / "a.md"
    docgen.write(path, "---\ntitle: One\n---\nThe same body sentence.\n")
    first = load_file(path, corpus_dir=corpus)
    docgen.write(path, "---\ntitle: Two\n---\nThe same body sentence.\n")
    retitled = load_file(path, corpus_dir=corpus)
    docgen.write(path, "---\ntitle: Two\n---\nA different body sentence.\n")
    edited = load_file(path, corpus_dir=corpus)
    assert first.content_hash == retitled.content_hash
    assert first.metadata_hash != retitled.metadata_hash
    assert retitled.metadata_hash == edited.metadata_hash
    assert retitled.content_hash != edited.content_hash
    reloaded = load_file(path, corpus_dir=corpus)  # loading is deterministic
    assert (reloaded.content_hash, reloaded.metadata_hash) == (
        edited.content_hash, edited.metadata_hash)


# --- 2. Plain text and clean_text -------------------------------------------------------------


def test_txt_is_loaded_as_plain_text(tmp_path: Path) -> None:
    """A .txt file is one page of cleaned text; Markdown-looking characters are kept as they
    are; a UTF-8 BOM is dropped; the title comes from the file name."""
    path = docgen.write(
        tmp_path / "yorkshire" / "leeds-notes.txt",
        "\ufeffLeeds   has a\tlarge health-tech sector.\r\n\r\n\r\n\r\n"
        "Its NHS links matter * a lot *.\r\n",
    )
    doc = load_file(path)
    assert doc.source == (Path.cwd() / "yorkshire/leeds-notes.txt").as_posix()
    assert doc.meta.title == "Leeds notes"
    assert doc.meta.kind == "note"
    assert doc.meta.region == "yorkshire"  # no corpus_dir: the file's own folder
    assert doc.pages == [Page(None, "Leeds has a large health-tech sector.\n\n"
                                    "Its NHS links matter * a lot *.")]


def test_clean_text_normalises_unicode_and_whitespace() -> None:
    """NFKC (ligatures, full-width, no-break and em spaces), zero-width and soft-hyphen
    characters removed, runs of spaces/tabs collapsed, line ends unified, at most one blank
    line, ends stripped."""
    fullwidth_teesside = "\uff34\uff45\uff45\uff53\uff53\uff49\uff44\uff45"
    raw = (f"  \ufeff\ufb01nance\u00a0and\u2003tech\u200b in {fullwidth_teesside}"
           "\t\t hub\u00ad\u2060s  \r\n\r\n\r\n\r\nnext\u200c\u200dline\rlast line   \n\n")
    assert clean_text(raw) == "finance and tech in Teesside hubs\n\nnextline\nlast line"
    assert clean_text("") == ""
    assert clean_text("a\n\nb") == "a\n\nb"  # already clean: unchanged


def test_clean_text_applies_to_loaded_files(tmp_path: Path) -> None:
    """Zero-width characters inside a file never reach the Document's text."""
    path = docgen.write(tmp_path / "zw.txt", "Sun\u200bderland Soft\u00adware City\u00a0hub.")
    assert load_file(path).text == "Sunderland Software City hub."


# --- 3. HTML ----------------------------------------------------------------------------------

ARTICLE_SENTENCES = [
    "The Tees Valley tech cluster added four hundred new jobs last year, according to a new "
    "report published on Monday.",
    "Software firms in Middlesbrough and Darlington accounted for most of the growth, with "
    "games studios leading the way.",
    "The report says that access to skilled graduates remains the main constraint on further "
    "expansion of the sector.",
    "Local leaders hope that a new digital skills academy will help close the gap within "
    "three years.",
]
TABLE_ROWS = [("Town", "Jobs"), ("Middlesbrough", "210"), ("Darlington", "120"),
              ("Stockton", "70")]


def article_html(title: str = "Tees Valley jobs boom") -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in TABLE_ROWS)
    paras = [f"<p>{s}</p>" for s in ARTICLE_SENTENCES]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ color: red; }} .cookie-banner {{ position: fixed; }}</style>
<script>window.pwned=1; console.log("tracking pixel");</script>
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<div class="cookie-banner" id="cookie-consent">We use cookies to improve your experience.
 <button>Accept all cookies</button></div>
<article>
{paras[0]}{paras[1]}{paras[2]}
<table>{rows}</table>
{paras[3]}
</article>
<footer>Copyright 2024 Example News Ltd. All rights reserved.</footer>
<script>document.write("injected footer script")</script>
</body></html>"""


def test_html_keeps_article_and_table_drops_chrome(tmp_path: Path) -> None:
    """Only the article reaches the text: its sentences in order and the table's values row by
    row; no script code, no styles, no navigation, no cookie banner, no footer. The title
    comes from <title>; an HTML page is one page numbered None, kind 'article'."""
    doc = load_file(docgen.write(tmp_path / "news" / "tees.html", article_html()))
    text = doc.text
    for sentence in ARTICLE_SENTENCES:
        assert sentence in text, sentence
    flat = squash(text)
    row_positions = []
    for row in TABLE_ROWS:
        match = re.search(r"\W+".join(map(re.escape, row)), flat)
        assert match, row
        row_positions.append(match.start())
    assert row_positions == sorted(row_positions)
    assert flat.index(ARTICLE_SENTENCES[2]) < row_positions[0] < flat.index(ARTICLE_SENTENCES[3])
    for junk in ("pwned", "window.", "console.log", "tracking", "injected", "color: red",
                 "Home | News", "Home", "cookie", "Accept all", "Copyright"):
        assert junk not in text, junk
    assert doc.meta.title == "Tees Valley jobs boom"
    assert doc.meta.kind == "article"
    assert [p.number for p in doc.pages] == [None]


def test_short_html_page_never_leaks_script_or_style(tmp_path: Path) -> None:
    """A page too short for the main extractor still gives its paragraph and no script,
    style or cookie text."""
    html = ("<html><head><title>Short note</title><style>p{color:red}</style>"
            "<script>window.pwned=1</script></head><body>"
            "<div class='cookie-banner'>We use cookies.</div>"
            "<p>Hull has a growing offshore wind tech cluster.</p></body></html>")
    doc = load_file(docgen.write(tmp_path / "short.html", html))
    assert "Hull has a growing offshore wind tech cluster." in doc.text
    for junk in ("pwned", "window", "color:red", "cookies"):
        assert junk not in doc.text
    assert doc.meta.title == "Short note"


def test_html_that_is_not_utf8_is_a_load_error(tmp_path: Path) -> None:
    """HTML bytes that are not UTF-8 give a LoadError naming the file and the encoding
    problem, not a UnicodeDecodeError."""
    path = docgen.write(tmp_path / "old.html",
                        b"<html><body><p>Caf\xe9 culture in Leeds.</p></body></html>")
    err = load_error(path)
    assert_names_file(err, "old.html")
    assert "UTF-8" in err.reason


def test_html_in_the_charset_it_declares(tmp_path: Path) -> None:
    """ISO-8859-1 and Windows-1252 pages (a <meta> charset, or the HTTP header) load."""
    meta = docgen.write(tmp_path / "latin.html", (
        '<html><head><meta charset="iso-8859-1"><title>Caf\xe9s</title></head><body>'
        "<p>Caf\xe9 culture in Leeds is growing fast this year, say the owners.</p>"
        "</body></html>").encode("latin-1"))
    assert "Café culture in Leeds" in load_file(meta).text
    page = ("<html><body><p>\u201cLeeds\u201d caf\xe9s are hiring developers for their "
            "new booking apps this year.</p></body></html>").encode("cp1252")
    doc = load_bytes(page, source="https://example.org/a", suffix=".html",
                     charset="windows-1252")
    assert "“Leeds” cafés" in doc.text
    odd = docgen.write(tmp_path / "odd.html", b'<meta charset="klingon-8"><p>x</p>')
    err = load_error(odd)
    assert_names_file(err, "odd.html")
    assert "klingon-8" in err.reason


def test_utf16_text_is_text_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Hull hosts a games studio that ships console titles.".encode("utf-16"))
    assert "Hull hosts a games studio" in load_file(path).text


# --- 4. PDF -----------------------------------------------------------------------------------

PDF_SENTENCES = [
    "Sunderland Software City supports over two hundred startups.",
    "Newcastle University spins out a data science company every year.",
    "Durham hosts the headquarters of a digital challenger bank.",
    "Middlesbrough games studios ship titles for global publishers.",
]
PDF_HEADER = "North East Tech Cluster Review - Draft for consultation"


def test_pdf_pages_numbered_with_header_and_footer_stripped(tmp_path: Path) -> None:
    """A 4-page PDF gives pages 1..4; each page's own sentence is on that page only; the
    header repeated on every page and the 'Page N of 4' footer are gone; kind is 'report'."""
    path = docgen.pdf_with_header_footer(tmp_path / "review.pdf", PDF_SENTENCES,
                                         header=PDF_HEADER)
    doc = load_file(path)
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    for page, sentence in zip(doc.pages, PDF_SENTENCES, strict=True):
        assert sentence in page.text
        others = [s for s in PDF_SENTENCES if s != sentence]
        assert not any(s in page.text for s in others)
        assert "North East Tech Cluster Review" not in page.text
        assert "Draft for consultation" not in page.text
        assert not re.search(r"Page \d+ of \d+", page.text)
    assert doc.meta.kind == "report"
    assert "North East Tech Cluster Review" not in doc.text


def test_pdf_table_cells_in_row_order(tmp_path: Path) -> None:
    """A PDF table's cell values all come out, row after row, cells left to right."""
    rows = [["Town", "Jobs", "Firms"], ["Middlesbrough", "210", "45"],
            ["Darlington", "120", "31"], ["Stockton", "70", "18"]]
    doc = load_file(docgen.pdf_table(tmp_path / "jobs.pdf", "Jobs by town in the Tees Valley.",
                                     rows))
    assert [p.number for p in doc.pages] == [1]
    intro = "Jobs by town in the Tees Valley."
    flat = squash(doc.text)
    assert flat.startswith(intro)
    tokens = flat[len(intro):].split()
    cells = [cell for row in rows for cell in row]
    assert sorted(tokens) == sorted(cells)  # nothing lost, nothing extra
    # ... and in row-major order: each cell found after the one before.
    it = iter(tokens)
    assert all(any(tok == cell for tok in it) for cell in cells), tokens


def test_pdf_two_columns_come_out_one_after_the_other(tmp_path: Path) -> None:
    """Two side-by-side columns are read column by column: all of the first column's words in
    order, then all of the second's, never interleaved line by line."""
    left = " ".join(f"Alpha sentence {n} describes the northern software firms in detail."
                    for n in range(1, 9))
    right = " ".join(f"Beta sentence {n} covers the southern games studios at length."
                     for n in range(1, 9))
    doc = load_file(docgen.pdf_two_columns(tmp_path / "columns.pdf", left, right))
    assert len(doc.pages) == 1
    flat = squash(doc.text)
    # The paragraphs wrap over several lines each, so interleaving would break both of these.
    assert left in flat
    assert right in flat
    assert flat.index(left) + len(left) <= flat.index(right)


def test_pdf_title_from_document_info(tmp_path: Path) -> None:
    """A PDF whose info dictionary has a real /Title takes that as the Document title."""
    path = docgen.pdf_lines(tmp_path / "r-2021.pdf", [["Leeds has a health-tech cluster."]],
                            title="Yorkshire Cluster Report 2021")
    assert load_file(path).meta.title == "Yorkshire Cluster Report 2021"


@pytest.mark.parametrize("maker", ["canvas", "platypus"])
def test_pdf_placeholder_title_falls_back_to_file_name(tmp_path: Path, maker: str) -> None:
    """A PDF written without a title gets its title from the file name."""
    path = tmp_path / "tees-valley-jobs.pdf"
    if maker == "canvas":  # reportlab's canvas writes /Title (untitled)
        docgen.pdf_lines(path, [["Teesside has a games cluster."]])
    else:  # reportlab's platypus templates write /Title (anonymous)
        docgen.pdf_table(path, "Jobs by town.", [["Town", "Jobs"], ["Stockton", "70"]])
    assert load_file(path).meta.title == "Tees valley jobs"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_pdf_with_owner_password_only_loads(tmp_path: Path, algorithm: str) -> None:
    """An encrypted PDF with an empty user password (restrictions only) opens without a
    password and loads like any other PDF."""
    plain = docgen.pdf_lines(tmp_path / "plain.pdf",
                             [["Glasgow builds more satellites than any city outside the US."],
                              ["Edinburgh is home to many fintech firms."]])
    locked = docgen.encrypt_pdf(plain, tmp_path / "restricted.pdf", user_password="",
                                owner_password="secret", algorithm=algorithm)
    assert locked.read_bytes() != plain.read_bytes()
    assert b"/Encrypt" in locked.read_bytes()
    doc = load_file(locked)
    expected = load_file(plain)
    assert [(p.number, p.text) for p in doc.pages] == [(p.number, p.text) for p in expected.pages]
    assert "Glasgow builds more satellites" in doc.pages[0].text


def test_pdf_needing_a_user_password_is_a_load_error(tmp_path: Path) -> None:
    """A PDF that needs a password to open is a LoadError naming the file and saying a
    password is needed."""
    plain = docgen.pdf_lines(tmp_path / "plain.pdf", [["Confidential Belfast cyber figures."]])
    locked = docgen.encrypt_pdf(plain, tmp_path / "locked.pdf", user_password="open-sesame",
                                owner_password="secret")
    err = load_error(locked)
    assert_names_file(err, "locked.pdf")
    assert "password" in err.reason.lower()


def test_image_only_pdf_is_a_load_error(tmp_path: Path) -> None:
    """A PDF with drawings and images but no text layer is a LoadError saying so."""
    from pypdf import PdfReader

    path = docgen.pdf_image_only(tmp_path / "scan.pdf")
    assert PdfReader(path).pages[0].images  # the page really does carry an image
    err = load_error(path)
    assert_names_file(err, "scan.pdf")
    assert "no text layer" in err.reason


@pytest.mark.parametrize("cut", [0.02, 0.25, 0.5, 0.75, 0.95])
def test_truncated_pdf_is_a_load_error(tmp_path: Path, cut: float) -> None:
    """A real PDF cut short at any point is a LoadError (never another exception, never a
    partial document)."""
    whole = docgen.pdf_with_header_footer(tmp_path / "whole.pdf", PDF_SENTENCES,
                                          header=PDF_HEADER).read_bytes()
    path = docgen.write(tmp_path / "cut.pdf", whole[: int(len(whole) * cut)])
    err = load_error(path)
    assert_names_file(err, "cut.pdf")


@pytest.mark.parametrize(
    "data",
    [docgen.random_bytes(4000), b"%PDF-1.7\n" + docgen.random_bytes(4000),
     b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n"
     b"%%EOF\n", b"this is plain text, not a PDF\n"],
    ids=["random", "pdf-header-then-noise", "dangling-catalog", "text-named-pdf"],
)
def test_corrupt_pdf_is_a_load_error(tmp_path: Path, data: bytes) -> None:
    """Bytes that are not a readable PDF but are named .pdf give a LoadError."""
    err = load_error(docgen.write(tmp_path / "broken.pdf", data))
    assert_names_file(err, "broken.pdf")


def test_strip_repeated_lines_only_touches_page_edges() -> None:
    """Lines repeated at the top/bottom of most pages go; the same line in the middle of a
    page's body stays; page numbers that differ count as one footer; under 3 pages nothing
    is stripped."""
    words = ["one", "two", "three", "four"]
    pages = []
    for n, word in enumerate(words, start=1):
        body = [f"Body {word} line {part}." for part in ("a", "b", "c", "d", "e", "f")]
        if n == 2:
            body.insert(3, "ACME REPORT")  # mid-page: not an edge line
        pages.append("\n".join(["ACME REPORT", *body, f"- {n} -"]))
    cleaned = strip_repeated_lines(pages)
    assert len(cleaned) == 4
    for n, (word, text) in enumerate(zip(words, cleaned, strict=True), start=1):
        assert not text.startswith("ACME REPORT")
        assert f"- {n} -" not in text
        assert [ln for ln in text.splitlines() if ln.startswith("Body")] == [
            f"Body {word} line {part}." for part in ("a", "b", "c", "d", "e", "f")]
    assert "ACME REPORT" in cleaned[1]  # the mid-page occurrence is content
    two = ["ACME REPORT\nA.\nPage 1", "ACME REPORT\nB.\nPage 2"]
    assert strip_repeated_lines(two) == two


def test_pdf_sentences_differing_only_in_numbers_are_kept(tmp_path: Path) -> None:
    """A yearly figure opening each page is content, not a running header: it stays."""
    years = [(2020, "900"), (2021, "1,200"), (2022, "1,450"), (2023, "1,700")]
    notes = ["Games studios led the growth.", "Fintech hiring slowed down.",
             "A new skills academy opened.", "Investment reached a record high."]
    pages = [[f"In {year} the cluster employed {staff} people across the region.", note]
             for (year, staff), note in zip(years, notes, strict=True)]
    doc = load_file(docgen.pdf_lines(tmp_path / "yearly.pdf", pages, title="Yearly figures"))
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    for page, note in zip(doc.pages, notes, strict=True):
        assert note in page.text
    for page, (year, staff) in zip(doc.pages, years, strict=True):
        assert f"In {year} the cluster employed {staff} people" in page.text


# --- 5. DOCX ----------------------------------------------------------------------------------


def test_docx_text_in_document_order_with_table_cells(tmp_path: Path) -> None:
    """A Word file gives its heading, paragraphs and table cells in document order (each table
    row on its own line), the title from the core properties, kind 'report', one page."""
    path = docgen.docx_file(
        tmp_path / "scotland.docx",
        title="Scotland Cluster Review",
        heading="Overview",
        paragraphs_before=["Edinburgh hosts many fintech firms.",
                           "Glasgow has a growing space sector."],
        table=[["City", "Firms"], ["Edinburgh", "320"], ["Glasgow", "210"]],
        paragraphs_after=["Dundee is known for its games industry."],
    )
    doc = load_file(path)
    assert doc.meta.title == "Scotland Cluster Review"
    assert doc.meta.kind == "report"
    assert [p.number for p in doc.pages] == [None]
    order = ["Overview", "Edinburgh hosts many fintech firms.",
             "Glasgow has a growing space sector.", "City", "Firms", "Edinburgh", "320",
             "Glasgow", "210", "Dundee is known for its games industry."]
    text = doc.text
    positions, start = [], 0
    for piece in order:
        start = text.index(piece, start)
        positions.append(start)
    assert positions == sorted(positions)
    lines = text.splitlines()
    row_lines = [ln for ln in lines if "320" in ln or "210" in ln]
    assert any("Edinburgh" in ln and "320" in ln for ln in row_lines)
    assert any("Glasgow" in ln and "210" in ln for ln in row_lines)


def test_docx_without_title_uses_file_name(tmp_path: Path) -> None:
    """An untitled Word file takes its title from the file name."""
    path = docgen.docx_file(tmp_path / "belfast_cyber-notes.docx", title=None,
                            paragraphs_before=["Belfast has a strong cyber security cluster."],
                            table=[["Firm", "Staff"], ["Example Ltd", "40"]],
                            paragraphs_after=[])
    assert load_file(path).meta.title == "Belfast cyber notes"


def test_corrupt_docx_is_a_load_error(tmp_path: Path) -> None:
    """A .docx that is not a Word (zip) file is a LoadError, not a zipfile error."""
    err = load_error(docgen.write(tmp_path / "broken.docx", docgen.random_bytes(2000)))
    assert_names_file(err, "broken.docx")


# --- 6. Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n\t\n", "no text"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00" * 20, "binary"),
        ("latin1.txt", b"Caf\xe9 culture in Leeds.", "UTF-8"),
        ("notes.xyz", b"Some perfectly good text.", "unsupported"),
        ("Makefile", b"all:\n\techo hi\n", "unsupported"),
    ],
    ids=["empty", "whitespace-only", "nul-bytes", "latin-1", "unsupported-ext", "no-ext"],
)
def test_bad_input_is_a_load_error_naming_file_and_reason(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    """Each unreadable input is a LoadError whose message names the file and the reason."""
    err = load_error(docgen.write(tmp_path / "in" / name, data))
    assert_names_file(err, f"in/{name}")
    assert words.lower() in err.reason.lower()


def test_latin1_error_says_where(tmp_path: Path) -> None:
    """The UTF-8 error points at the offending byte."""
    err = load_error(docgen.write(tmp_path / "cafe.txt", b"caf\xe9"))
    assert "0xe9" in err.reason and "offset 3" in err.reason


def test_missing_file_is_a_load_error(tmp_path: Path) -> None:
    """A path that does not exist is a LoadError naming it."""
    err = load_error(tmp_path / "gone.md")
    assert_names_file(err, "gone.md")
    assert "no such file" in err.reason


def test_file_larger_than_max_bytes_is_a_load_error(tmp_path: Path) -> None:
    """A file over max_bytes is refused before it is read, naming the file."""
    path = docgen.write(tmp_path / "big.txt", "word " * 400)  # 2000 bytes
    err = load_error(path, max_bytes=1000)
    assert_names_file(err, "big.txt")
    assert "too large" in err.reason
    assert load_file(path, max_bytes=2000).text.startswith("word word")  # at the limit: fine


def test_too_large_message_shows_size_and_limit_distinctly(tmp_path: Path) -> None:
    """The reason states the file's size and the limit so that a reader can tell them apart."""
    path = docgen.write(tmp_path / "big.txt", "x" * 1500)
    err = load_error(path, max_bytes=1000)
    numbers = re.findall(r"\d[\d,.]*\d|\d", err.reason)
    assert len(numbers) >= 2 and numbers[0] != numbers[1], err.reason


def test_discover_walks_directories_skipping_hidden(tmp_path: Path) -> None:
    """discover() yields the files under a directory recursively, in sorted order, skipping
    hidden files and anything in hidden folders; a file path is passed through as is."""
    root = tmp_path / "corpus"
    for rel in ("b/two.md", "a/one.md", "a/deeper/three.pdf", "top.txt", ".hidden.md",
                "a/.DS_Store", ".git/config", "a/.cache/x.md"):
        docgen.write(root / rel, "x")
    extra = docgen.write(tmp_path / "loose.html", "<p>x</p>")
    found = list(discover([root, extra]))
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "corpus/a/deeper/three.pdf", "corpus/a/one.md", "corpus/b/two.md", "corpus/top.txt",
        "loose.html"]
    assert list(discover([root])) == found[:-1]  # stable


def test_discover_root_inside_a_hidden_folder(tmp_path: Path) -> None:
    """Only path parts below the given root count as hidden: a corpus kept under a hidden
    folder (e.g. a cache) is still walked."""
    root = tmp_path / ".cache" / "corpus"
    docgen.write(root / "r" / "doc.md", "x")
    assert [p.name for p in discover([root])] == ["doc.md"]


# --- 7. drop_caption_lines ---------------------------------------------------------------------


def test_drop_caption_lines_removes_publisher_credit() -> None:
    """A bare 'The Northern Echo:' line goes when the publisher is The Northern Echo, even
    once; the publisher's name inside a sentence stays."""
    text = ("First paragraph.\n\nThe Northern Echo:\n\nThe Northern Echo: Darlington hub opens.\n"
            "\nLast paragraph.")
    out = drop_caption_lines(text, "The Northern Echo")
    assert "The Northern Echo:\n" not in out
    assert out.splitlines().count("The Northern Echo:") == 0
    assert "The Northern Echo: Darlington hub opens." in out
    assert "First paragraph." in out and "Last paragraph." in out
    assert "\n\n\n" not in out


def test_drop_caption_lines_keeps_publisher_line_for_other_publishers() -> None:
    """Without the matching publisher, a single 'The Northern Echo:' line is left alone."""
    text = "First.\nThe Northern Echo:\nSecond."
    assert drop_caption_lines(text, None) == text
    assert drop_caption_lines(text, "BBC News") == text


def test_drop_caption_lines_removes_repeated_short_credit_only() -> None:
    """A short credit line like 'Photo:' goes when it recurs, and stays when it is there once."""
    repeated = "Intro.\n\nPhoto:\n\nMiddle.\n\nPhoto:\n\nEnd."
    assert drop_caption_lines(repeated, None) == "Intro.\n\nMiddle.\n\nEnd."
    once = "Intro.\nPhoto:\nEnd."
    assert drop_caption_lines(once, None) == once


def test_drop_caption_lines_keeps_a_sentence_ending_with_a_colon() -> None:
    """A real sentence ending with a colon ('He said:', or a long one, even repeated) stays."""
    text = ("Tees Valley Mayor Ben Houchen said:\n\"Teesside steel built the world.\"\n"
            "He said:\n\"We are driving innovation.\"\n"
            "The minister told reporters outside Parliament:\n\"More to come.\"\n"
            "The minister told reporters outside Parliament:\n\"Soon.\"")
    out = drop_caption_lines(text, "The Northern Echo")
    assert out == text


def test_loaded_article_has_no_publisher_credit_lines(corpus: Path) -> None:
    """Loading a Northern Echo article drops the stray 'The Northern Echo:' lines and keeps
    the quotation that follows 'said:'."""
    md = ("---\ntitle: Launch\npublisher: The Northern Echo\n---\n\nA campaign launched.\n\n"
          "The Northern Echo:\n\nTees Valley Mayor Ben Houchen said: \u201cPeople know.\u201d\n\n"
          "He said:\n\n\u201cFar too many people still think so.\u201d\n\nThe Northern Echo:\n")
    doc = load_file(docgen.write(corpus / "north-east" / "launch.md", md), corpus_dir=corpus)
    assert "The Northern Echo:" not in doc.text
    assert doc.text == ("A campaign launched.\n\nTees Valley Mayor Ben Houchen said: "
                        "\u201cPeople know.\u201d\n\nHe said:\n\n"
                        "\u201cFar too many people still think so.\u201d")


# --- 8. load_bytes ----------------------------------------------------------------------------


def test_load_bytes_html_from_url() -> None:
    """HTML fetched from a URL: source, url and doc_id are the URL; the text is the article;
    the title comes from the page; no region."""
    url = "https://news.example.com/2024/tees-valley-jobs-boom"
    doc = load_bytes(article_html().encode(), source=url, suffix=".html")
    assert doc.source == url
    assert doc.meta.url == url
    assert doc.doc_id == url
    assert doc.meta.title == "Tees Valley jobs boom"
    assert doc.meta.region is None
    assert doc.meta.kind == "article"
    assert ARTICLE_SENTENCES[0] in doc.text
    assert "pwned" not in doc.text


def test_load_bytes_metadata_overrides_page() -> None:
    """Metadata from the source list beats what the page says (but the URL stays the source)."""
    url = "https://news.example.com/tees"
    doc = load_bytes(article_html().encode(), source=url, suffix=".html",
                     metadata={"title": "Listed title", "region": "north-east"})
    assert (doc.meta.title, doc.meta.region, doc.source) == ("Listed title", "north-east", url)


def test_load_bytes_empty_or_bad_is_a_load_error_naming_the_url() -> None:
    """An empty response or an unreadable body is a LoadError whose source is the URL."""
    url = "https://example.com/report.pdf"
    with pytest.raises(LoadError) as info:
        load_bytes(b"", source=url, suffix=".pdf")
    assert info.value.source == url and "empty" in info.value.reason
    with pytest.raises(LoadError) as info:
        load_bytes(docgen.random_bytes(500), source=url, suffix=".pdf")
    assert info.value.source == url
    assert str(info.value).startswith(f"{url}: ")


def test_load_bytes_pdf_keeps_pages() -> None:
    """A fetched PDF keeps its page numbers and takes its title from the PDF's info."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = docgen.pdf_lines(Path(tmp) / "p.pdf", [["First page text."], ["Second page."]],
                                title="Fetched report").read_bytes()
    doc = load_bytes(data, source="https://example.com/files/annual-report.pdf", suffix=".pdf")
    assert [(p.number, p.text) for p in doc.pages] == [(1, "First page text."),
                                                       (2, "Second page.")]
    assert doc.meta.title == "Fetched report"


def test_the_shipped_source_list_follows_the_corpus_dir_setting(tmp_path: Path) -> None:
    """CLUSTERQA_CORPUS_DIR=/elsewhere must ingest /elsewhere: the repo's list names no
    folder of its own, so the setting decides (it named corpus/, which shadowed it)."""
    from clusterqa.loading.sources import read_source_list
    from tests.conftest import REPO

    elsewhere = tmp_path / "elsewhere"
    listed = read_source_list(REPO / "ingest" / "sources.yaml", elsewhere)
    assert listed.paths == [elsewhere]
