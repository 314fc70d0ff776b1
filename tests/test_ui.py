"""The chat: rendering is escaped (unit), the API answers over HTTP (gradio_client), and a real
Chromium drives the page (Playwright with Debian's /usr/bin/chromium, no browser download)."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from clusterqa.answering import Answer, Citation
from clusterqa.render import answer_html, answer_markdown, safe_url
from tests.conftest import CORPUS

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
PAYLOAD = """---
title: "Zorbcorp field notes <script>window.__pwned = 'title'</script>"
region: north-east
kind: note
publisher: "<img src=x onerror=\\"window.__pwned='publisher'\\">"
url: "javascript:window.__pwned='url'"
---

Zorbcorp is a Gateshead drone maker that was founded by Ada Quill in 2019.
<script>window.__pwned = 'script'</script>
Zorbcorp's first factory <img src=x onerror="window.__pwned='img'"> opened in Gateshead.
Read the <a href="javascript:window.__pwned='link'">Zorbcorp launch notes</a> for more.
"""


def citation(**kw) -> Citation:
    base = dict(n=1, chunk_id="c", doc_id="d", title="T", source="corpus/x.md", region="r",
                page=None, text="Alpha. Beta.", score=0.5, highlights=[(0, 6)])
    return Citation(**{**base, **kw})


# --- rendering (no browser) -------------------------------------------------------------


def test_document_text_is_escaped_in_cards_and_links_are_only_http() -> None:
    c = citation(text="<script>x()</script> <img src=x onerror=y()> ok.",
                 title="<b>t</b>", publisher="<i>p</i>", url="javascript:alert(1)",
                 highlights=[(0, 20)])
    page = answer_html(Answer("q", "ok. [1]", False, [c]), turn=1)
    assert "<script>" not in page and "<img" not in page and "<b>t</b>" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("https://example.org/a") == "https://example.org/a"


def test_each_marker_links_to_its_card_with_the_source_on_hover() -> None:
    c = citation(title="North East brief", publisher="Echo")
    page = answer_html(Answer("q", "Alpha. [1]", False, [c]), turn=3)
    assert 'href="#t3-cite-1"' in page and 'id="t3-cite-1"' in page
    assert 'title="North East brief — Echo · r"' in page
    assert "<mark>Alpha.</mark>" in page


def test_abstention_is_marked_not_an_answer() -> None:
    page = answer_html(Answer("q", "The reports don't say.", True, [citation()]), turn=1)
    assert "Not in the reports" in page and "not an answer" in page and "cq-nearest" in page


def test_markdown_export_quotes_the_supporting_sentence_with_its_link() -> None:
    c = citation(url="https://example.org/r", title="Report", publisher="Pub")
    md = answer_markdown(Answer("Who?", "Alpha. [1]", False, [c]))
    assert "**A:** Alpha. [1]" in md
    assert "[1] Report — Pub · r. <https://example.org/r>" in md
    assert "> Alpha." in md


# --- the running app ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The shipped corpus plus a document full of script payloads, served on loopback."""
    from clusterqa.assistant import Assistant
    from clusterqa.ingestion import Ingestor
    from clusterqa.settings import Settings
    from clusterqa.ui import launch

    root = tmp_path_factory.mktemp("app")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "north-east" / "zorbcorp-notes.md").write_text(PAYLOAD)
    settings = Settings.load(data_dir=root / "data", corpus_dir=corpus,
                             sources_file=root / "none.yaml")
    assert Ingestor(settings, embedder=real_embedder).ingest().ok
    assistant = Assistant.from_settings(settings, embedder=real_embedder)
    port = free_port()
    demo = launch(assistant, settings, block=False, port=port)
    yield f"http://127.0.0.1:{port}/", settings
    demo.close()
    assistant.close()


@pytest.mark.slow
def test_api_ask_returns_the_cli_json(running_app) -> None:
    """Scripts can call the running app: /ask gives the object `clusterqa ask --json` prints."""
    from gradio_client import Client

    url, _ = running_app
    client = Client(url, verbose=False)
    data = client.predict("Who acquired Kontainers?", None, api_name="/ask")
    assert set(data) == {"question", "answer", "abstained", "citations", "timings_ms"}
    assert data["abstained"] is False and "Canadian-based" in data["answer"]
    assert set(data["citations"][0]) == {"n", "doc_id", "title", "source", "region", "page",
                                         "text", "score"}
    scoped = client.predict("Who founded Skyscanner?", "scotland", api_name="/ask")
    assert {c["region"] for c in scoped["citations"]} == {"scotland"}


@pytest.mark.slow
def test_the_app_listens_on_loopback_only(running_app) -> None:
    from clusterqa.settings import Settings

    assert Settings.load().server.host == "127.0.0.1"
    url, _ = running_app
    assert url.startswith("http://127.0.0.1:")


# --- in the browser -----------------------------------------------------------------------


@pytest.fixture
def page(running_app):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    url, _ = running_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=BROWSER_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280,
                                                                       "height": 1000})
        pg = context.new_page()
        # Nothing leaves the machine: only the app on loopback is reachable.
        pg.route(lambda u: not u.startswith("http://127.0.0.1"), lambda r: r.abort())
        pg.goto(url)
        pg.wait_for_selector("#question textarea")
        yield pg
        browser.close()


def ask(page, question: str) -> None:
    before = page.locator("#chat .cq-sources").count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .cq-sources').length > n", arg=before,
        timeout=60_000)


def last_bot(page):
    return page.locator("#chat [data-testid='bot']").last


@pytest.mark.slow
@pytest.mark.browser
def test_headline_question_shows_answer_and_cards_and_follows_a_reference(page) -> None:
    ask(page, "which Teesside firms make games?")
    bot = last_bot(page)
    assert "Double Eleven" in bot.inner_text()
    cards = bot.locator(".cq-card")
    assert cards.count() >= 1
    first = cards.first.inner_text()
    assert "north-east" in first and ("article" in first or "brief" in first)
    assert bot.locator(".cq-card mark").count() >= 1  # the supporting sentence is marked
    ref = bot.locator("a.cq-ref").first
    assert ref.get_attribute("title")  # hover shows the source
    ref.click()
    target = ref.get_attribute("href")
    assert page.evaluate("location.hash") == target
    assert page.evaluate("document.querySelector(':target').id") == target[1:]
    # A long passage shows an excerpt; its card expands to the whole passage.
    details = bot.locator(".cq-card details").first
    assert details.count() == 1
    details.locator("summary").click()
    assert details.get_attribute("open") is not None


@pytest.mark.slow
@pytest.mark.browser
def test_abstention_is_plain_and_shows_nearest_passages(page) -> None:
    ask(page, "What is SoPost's annual revenue?")
    bot = last_bot(page)
    assert "Not in the reports" in bot.inner_text()
    assert "not an answer" in bot.inner_text().lower()
    assert bot.locator(".cq-card.cq-nearest").count() >= 1


@pytest.mark.slow
@pytest.mark.browser
def test_region_filter_limits_the_sources(page) -> None:
    page.locator("#region input").click()
    page.locator("[role=option]", has_text="scotland").click()
    ask(page, "Which games studios are there?")
    metas = last_bot(page).locator(".cq-meta").all_inner_texts()
    assert metas and all("scotland" in m for m in metas)


@pytest.mark.slow
@pytest.mark.browser
def test_export_downloads_markdown_with_sources(page) -> None:
    ask(page, "Who acquired Kontainers?")
    page.wait_for_timeout(500)  # the export file is set with the final message
    with page.expect_download() as download:
        page.locator("#export").click()
    text = Path(download.value.path()).read_text()
    assert text.startswith("**Q:** Who acquired Kontainers?")
    assert "[1]" in text and "Sources:" in text


@pytest.mark.slow
@pytest.mark.browser
def test_document_payloads_stay_inert(page) -> None:
    """Script tags, onerror handlers and javascript: links from a document run nothing."""
    ask(page, "Who founded Zorbcorp?")
    bot = last_bot(page)
    assert "Zorbcorp" in bot.inner_text()
    for details in bot.locator("details").all():
        details.locator("summary").click()
    for link in bot.locator("a").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith("javascript:")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert "<script>" in bot.inner_text() or "window.__pwned" in bot.inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_is_stored_with_question_answer_and_citations(page, running_app) -> None:
    _, settings = running_app
    path = settings.data_dir / "feedback.jsonl"
    before = path.read_text().count("\n") if path.exists() else 0
    ask(page, "Who founded Skyscanner?")
    page.locator("#chat button[aria-label='Like']").last.click()
    page.wait_for_function("() => true")
    for _ in range(50):
        if path.exists() and path.read_text().count("\n") > before:
            break
        page.wait_for_timeout(100)
    record = json.loads(path.read_text().splitlines()[-1])
    assert record["liked"] is True and record["question"] == "Who founded Skyscanner?"
    assert "Skyscanner" in record["answer"] and record["citations"]


@pytest.mark.slow
@pytest.mark.browser
def test_status_line_and_examples(page) -> None:
    status = page.locator("#status").inner_text()
    assert "6 documents" in status and "scotland" in status
    assert page.get_by_text("Who founded Skyscanner?").count() >= 1
