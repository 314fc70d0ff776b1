"""The chat: rendering is escaped (unit), the API answers over HTTP (gradio_client), and a real
Chromium drives the page (Playwright with Debian's /usr/bin/chromium, no browser download)."""

from __future__ import annotations

import json
import re
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest

from clusterqa.app.render import answer_html, answer_markdown, safe_url
from clusterqa.types import Answer, Citation
from tests.conftest import CORPUS, corpus_doc_ids

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


def test_quotes_show_markdown_and_maths_characters_verbatim() -> None:
    """The chat renders Markdown: document text must not turn into emphasis, links or maths."""
    text = "Set window.__flag__ to *on*; it costs $5m [see](javascript:x) or `code`."
    page = answer_html(Answer("q", "ok. [1]", False, [citation(text=text,
                                                                highlights=[])]), turn=1)
    for raw in ("__", "*on*", "$5m", "](", "`code`"):
        assert raw not in page
    assert "&#95;&#95;flag&#95;&#95;" in page and "&#36;5m" in page
    assert 'href="#t1-cite-1"' in page  # our own [n] links still work


def test_excerpt_cuts_between_words_and_hides_when_the_card_opens() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = f"{words} The supporting sentence is here. {words}"
    start = text.index("The supporting")
    c = citation(text=text, highlights=[(start, start + len("The supporting sentence is here."))])
    page = answer_html(Answer("q", "x [1]", False, [c]), turn=1)
    excerpt = page.split('class="cq-passage cq-excerpt">')[1].split("</div>")[0]
    # Starts and ends on whole words ("word57", never "ord57" or "wo").
    assert re.match(r"…word\d+ ", excerpt) and re.search(r" word\d+…$", excerpt)
    assert "<mark>The supporting sentence is here.</mark>" in excerpt
    assert "<details><summary>Whole passage</summary>" in page


def test_markdown_export_pastes_cleanly_with_every_source_traceable() -> None:
    said = "Tombola was bought by Flutter [S2]."
    brief = citation(n=1, title="NE brief", source="corpus/ne.md", url=None,
                     text=f"{said} Other text.", highlights=[(0, len(said))],
                     sources=["https://a.example/1", "https://b.example/2"])
    article = citation(n=2, title="<img src=x onerror=y()> Echo", publisher="<b>Echo</b>",
                       url="https://echo.example/a", text="Second. Quote.", highlights=[(0, 7)])
    md = answer_markdown(Answer("Who bought <tombola>?", "Flutter [1]. Second [2].", False,
                                [brief, article]))
    blocks = [b.strip() for b in md.split("\n\n")]
    # Every source, its quote and its brief's links are paragraphs of their own.
    assert "[1] NE brief — r. corpus/ne.md" in blocks
    assert "> Tombola was bought by Flutter [S2]." in blocks
    assert "Sources behind this passage: [S2] <https://b.example/2>" in blocks
    assert "> Second." in blocks
    assert "<img" not in md and "<b>" not in md and "&lt;tombola&gt;" in md
    nearest = answer_markdown(Answer("q", "The reports don't say.", True,
                                     [citation(text="word " * 100, highlights=[])]))
    assert "**Nearest passages (not an answer):**" in nearest
    assert "> word word" in nearest and nearest.rstrip().endswith("…")


def test_feedback_taken_back_is_recorded_as_such(tmp_path: Path) -> None:
    """Clicking Like again un-likes: gradio sends an empty value, which is no dislike. Only
    answers this server gave are recorded, from what it answered, not what the page sent."""
    from types import SimpleNamespace

    from clusterqa.app.ui import ChatApp
    from clusterqa.store import StoreLayout
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    app = ChatApp(assistant=None, settings=settings)
    answer = Answer("Who?", "Al. [1]", False, [citation()])
    shown = answer_html(answer, turn=1)
    app._answers[shown] = answer
    history = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": shown}]
    for value in (True, "", False):
        app.feedback(history, SimpleNamespace(index=1, liked=value))
    forged = [{"role": "user", "content": "Forged?"}, {"role": "assistant", "content": "No."}]
    app.feedback(forged, SimpleNamespace(index=1, liked=True))
    feedback = StoreLayout(settings.data_dir).feedback
    records = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert [r["liked"] for r in records] == [True, None, False]
    assert all(r["question"] == "Who?" and r["answer"] == "Al. [1]" for r in records)


def test_status_counts_read_as_english() -> None:
    from clusterqa.app.ui import _count, _when

    assert _count(1, "document") == "1 document" and _count(1200, "chunk") == "1,200 chunks"
    assert _when("2026-11-26T14:15:56+00:00") == "26 Nov 2026, 14:15 UTC"
    assert _when(None) == "never"


# --- the running app ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory, real_embedder):
    """The shipped corpus plus a document full of script payloads, served on loopback."""
    from clusterqa.app.assistant import Assistant
    from clusterqa.app.ui import launch
    from clusterqa.ingest import Ingestor
    from clusterqa.settings import Settings

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
    assert set(data) == {"question", "answer", "abstained", "citations", "items",
                       "timings_ms"}
    assert data["abstained"] is False and "Canadian-based" in data["answer"]
    assert set(data["citations"][0]) == {"n", "doc_id", "title", "source", "region", "page",
                                         "text", "score"}
    scoped = client.predict("Who founded Skyscanner?", "scotland", api_name="/ask")
    assert {c["region"] for c in scoped["citations"]} == {"scotland"}


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (Linux /proc/net/tcp*)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                found.add(address if width == 32 else
                          socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@pytest.mark.slow
def test_the_app_listens_on_loopback_only(running_app) -> None:
    """By default the chat's socket is bound to 127.0.0.1, and to nothing else."""
    from clusterqa.settings import Settings

    assert Settings.load().server.host == "127.0.0.1"
    url, _ = running_app
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert listening_addresses(port) == {"127.0.0.1"}


# --- in the browser -----------------------------------------------------------------------


@contextmanager
def chromium_page(url: str):
    """A page of Debian's Chromium on ``url``, with nothing reachable but loopback."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

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


@pytest.fixture
def page(running_app):
    with chromium_page(running_app[0]) as pg:
        yield pg


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
    # A long passage shows an excerpt; its card expands to the whole passage, which then
    # replaces the excerpt rather than repeating it.
    details = bot.locator(".cq-card details").first
    assert details.count() == 1
    excerpt = bot.locator(".cq-excerpt").first
    assert excerpt.is_visible()
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    assert not excerpt.is_visible()


@pytest.mark.slow
@pytest.mark.browser
def test_a_finished_answer_is_shown_from_its_question(page) -> None:
    """Long source cards must not push the answer out of view when it completes."""
    ask(page, "Who founded Skyscanner?")
    ask(page, "which Teesside firms make games?")
    page.wait_for_timeout(400)
    assert page.evaluate("""() => {
        const box = document.querySelector('#chat').getBoundingClientRect();
        const asked = [...document.querySelectorAll('#chat [data-testid="user"]')].pop();
        const r = asked.getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom;
    }""")


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
    assert page.locator("#export").is_disabled()  # nothing to export yet
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
    # Shown verbatim: not run, and not eaten by Markdown either (the underscores stay).
    assert "<script>window.__pwned = 'script'</script>" in bot.inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_feedback_is_stored_with_question_answer_and_citations(page, running_app) -> None:
    from clusterqa.store import StoreLayout

    _, settings = running_app
    path = StoreLayout(settings.data_dir).feedback
    before = path.read_text().count("\n") if path.exists() else 0
    ask(page, "Who founded Skyscanner?")
    page.locator("#chat button[aria-label='Like']").last.click()
    page.wait_for_selector("#chat button[aria-label='Liked']")
    for _ in range(50):
        if path.exists() and path.read_text().count("\n") > before:
            break
        page.wait_for_timeout(100)
    record = json.loads(path.read_text().splitlines()[-1])
    assert record["liked"] is True and record["question"] == "Who founded Skyscanner?"
    assert "Skyscanner" in record["answer"] and record["citations"]
    # Clicking it again takes the like back: recorded as null, not as a dislike.
    page.locator("#chat button[aria-label='Liked']").last.click()
    for _ in range(50):
        if path.read_text().count("\n") > before + 1:
            break
        page.wait_for_timeout(100)
    assert json.loads(path.read_text().splitlines()[-1])["liked"] is None


@pytest.mark.slow
@pytest.mark.browser
def test_status_line_and_examples(page) -> None:
    status = page.locator("#status").inner_text()
    documents = len(corpus_doc_ids(CORPUS)) + 1  # the shipped corpus and the payload note
    assert f"{documents} documents" in status and "scotland" in status
    assert page.get_by_text("Who founded Skyscanner?").count() >= 1


def test_list_items_render_as_an_escaped_table_and_as_csv() -> None:
    """Items stand in a table above the answer, each linked to its card; names from documents
    are escaped; the CSV carries each item with its citations and links."""
    from clusterqa.app.render import items_csv
    from clusterqa.types import Item

    c = citation(url="https://example.org/ne", text="Middlesbrough's Double Eleven grew.")
    items = [Item("Double Eleven", "firm", "Middlesbrough", "north-east", "games", [1]),
             Item("<b>Bad</b> Co", None, None, None, None, [1])]
    answer = Answer("which Teesside firms make games?", "Double Eleven (Middlesbrough) [1].",
                    False, [c], items=items, lead="Double Eleven (Middlesbrough) [1].")
    page = answer_html(answer, turn=2)
    assert page.index('class="cq-items"') < page.index('class="cq-answer"')
    assert "<td>Double Eleven</td><td>firm</td><td>Middlesbrough</td>" in page
    assert 'href="#t2-cite-1"' in page and "<b>Bad</b>" not in page
    rows = items_csv(answer).splitlines()
    assert rows[0].startswith("name,kind,place,region,sector,citations")
    assert rows[1] == "Double Eleven,firm,Middlesbrough,north-east,games,[1],https://example.org/ne"


@pytest.mark.slow
@pytest.mark.browser
def test_a_follow_up_is_answered_as_its_rewrite(page) -> None:
    """The chat keeps the conversation: "When was it sold?" after a question about
    Skyscanner is answered as, and shows, "When was Skyscanner sold?"."""
    ask(page, "Who founded Skyscanner?")
    ask(page, "When was it sold?")
    bot = last_bot(page)
    assert "Answering: When was Skyscanner sold?" in bot.inner_text()
    assert "2016" in bot.inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_a_comparison_is_a_table_of_sides_each_cited(page) -> None:
    """"Compare A and B on X" answers side by side: a column per region, each cell quoting
    its own region's documents with markers that link to cards; a side the reports say
    nothing about says so rather than borrowing the other side's quotes."""
    def cells(question: str) -> dict[str, object]:
        ask(page, question)
        table = last_bot(page).locator("table.cq-compare")
        names = table.locator("thead th").all_inner_texts()[1:]
        row = table.locator("tbody td")
        assert row.count() == len(names) == 2
        return {name: row.nth(i) for i, name in enumerate(names)}

    games = cells("Compare Scotland and the North East on games")
    assert list(games) == ["scotland", "north-east"]
    for cell in games.values():
        assert cell.locator("a[href^='#t']").count() >= 1, cell.inner_html()
    sources = last_bot(page).locator(".cq-sources").inner_text().lower()
    assert "scotland" in sources and "north-east" in sources
    # Scotland's documents say nothing of life sciences; Northern Ireland's brief does.
    life = cells("Compare Scotland and Northern Ireland on life sciences")
    assert life["scotland"].inner_text().startswith("The reports don't say")
    assert life["scotland"].locator("a").count() == 0
    assert life["northern-ireland"].locator("a[href^='#t']").count() >= 1


@pytest.fixture(scope="module")
def llm_app(running_app, real_embedder):
    """The same store served by a second app whose answers come from a scripted LLM server
    that streams slowly ("trickle") or adds a sentence no passage supports."""
    from clusterqa.app.assistant import Assistant
    from clusterqa.app.ui import launch
    from tests.llm_server import llm_server

    _, settings = running_app
    with llm_server() as base_url:
        apps = {}
        for model in ("trickle", "bad-figure"):
            llm = settings.llm.model_copy(update={"base_url": base_url, "model": model,
                                                  "timeout_s": 20})
            answering = settings.answering.model_copy(update={"backend": "llm"})
            assistant = Assistant.from_settings(
                settings.model_copy(update={"llm": llm, "answering": answering}),
                embedder=real_embedder)
            port = free_port()
            apps[model] = (launch(assistant, settings, block=False, port=port), assistant,
                           f"http://127.0.0.1:{port}/")
        yield {model: url for model, (_, _, url) in apps.items()}
        for demo, assistant, _ in apps.values():
            demo.close()
            assistant.close()


@pytest.mark.slow
@pytest.mark.browser
def test_an_llm_answer_streams_into_the_chat_checked(llm_app) -> None:
    """With answering.backend = "llm", the answer's sentences appear while the server is still
    writing (before the source cards), and a sentence no passage supports is never shown as
    answer, only listed as removed."""
    with chromium_page(llm_app["trickle"]) as pg:
        pg.fill("#question textarea", "Who founded Skyscanner?")
        pg.press("#question textarea", "Enter")
        # The first sentence is shown while the rest of the stream is still coming.
        pg.wait_for_function(
            "() => { const b = [...document.querySelectorAll(\"#chat [data-testid='bot']\")];"
            " const last = b[b.length - 1]; return last && last.querySelector('.cq-answer')"
            " && !last.querySelector('.cq-sources'); }", timeout=30_000)
        pg.wait_for_selector("#chat .cq-sources", timeout=30_000)
        assert "Skyscanner" in last_bot(pg).locator(".cq-answer").inner_text()
    with chromium_page(llm_app["bad-figure"]) as pg:
        ask(pg, "Who founded Skyscanner?")
        bot = last_bot(pg)
        assert "£999m" not in bot.locator(".cq-answer").inner_text()
        assert "£999m" in (bot.locator(".cq-unsupported").text_content() or "")
