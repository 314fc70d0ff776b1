"""End to end with the real MiniLM model and a real Chroma on disk: ingest -> ask."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from clusterqa.app.assistant import Assistant
from clusterqa.evals import metrics
from clusterqa.ingest import Ingestor
from clusterqa.settings import Settings
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow


def check_citations(answer) -> None:
    passages = {c.n: c.text for c in answer.citations}
    assert metrics.citation_validity(answer.text, set(passages)) == 1.0
    quoted = answer.text.removeprefix(answer.lead or "").strip()
    assert metrics.citation_precision(quoted, passages) == 1.0
    for item in answer.items:  # a written lead: each item stands in what it cites
        assert item.citations and all(item.name in passages[n] for n in item.citations)


def test_teesside_games_names_double_eleven(real_assistant) -> None:
    """The headline question: the answer begins with the firm, its place and its source."""
    answer = real_assistant.ask("which Teesside firms make games?")
    assert not answer.abstained
    assert answer.text.startswith("Double Eleven (Middlesbrough) [1].")
    assert [i.name for i in answer.items][:1] == ["Double Eleven"]
    cited = [c for c in answer.citations if "Double Eleven" in c.text]
    assert cited, "a passage about Double Eleven is cited"
    # The quotes that follow are about it: by name, or as "The scaleup digital entertainment
    # firm" the table resolved; none of the quotes about Teesside that name no games firm.
    firm = real_assistant.view().entities.get("Double Eleven")
    about = {" ".join(e.fact.sentence.split()) for e in firm.evidence}
    for sentence, _ in answer.sentences[1:]:
        assert "Double Eleven" in sentence or " ".join(sentence.split()) in about, sentence
    assert len(answer.sentences) >= 3  # its evidence, not the lead alone
    check_citations(answer)


def test_which_has_more_studios_a_or_b_is_a_comparison_of_studios(real_assistant) -> None:
    """"Which has more games studios, Scotland or the North East?": each side lists its own
    region's studios, and the game titles its briefs name are no studios."""
    answer = real_assistant.ask("Which has more games studios, Scotland or the North East?")
    sides = {s.name: s for s in answer.sides}
    assert list(sides) == ["scotland", "north-east"]
    assert "4J Studios" in sides["scotland"].text and "Double Eleven" in sides["north-east"].text
    for title in ("Lemmings", "Grand Theft Auto", "Driver"):
        assert f"{title} [" not in answer.text  # named in quotes, never listed as a studio


def test_kontainers_buyers(real_assistant) -> None:
    answer = real_assistant.ask("Who acquired Kontainers?")
    assert not answer.abstained
    assert any(re.search(r"Kontainers and Moltin.*Canadian-based companies", c.text, re.S)
               for c in answer.citations)
    assert "Canadian-based" in answer.text
    check_citations(answer)


def test_sopost_revenue_abstains(real_assistant) -> None:
    answer = real_assistant.ask("What is SoPost's annual revenue?")
    assert answer.abstained
    assert answer.text.startswith("The reports don't say")
    assert answer.citations  # the nearest passages are still shown


def test_every_example_question_the_chat_offers_is_answered(real_assistant) -> None:
    """The chat's example questions come from the documents' front matter: a shipped
    example that only got "the reports don't say" would be a poor first impression."""
    examples = [q for doc in real_assistant.view().documents.values()
                for q in doc.meta.examples]
    assert len(examples) >= 5
    for question in examples:
        answer = real_assistant.ask(question)
        assert not answer.abstained, question
        check_citations(answer)


def test_hybrid_ranks_the_kontainers_passage_first(real_assistant) -> None:
    """The passage naming Kontainers leads the fused ranking, found by both rankers."""
    hit = real_assistant.retriever.retrieve("Who acquired Kontainers?", k=1).hits[0]
    assert "Kontainers" in real_assistant.view().chunks[hit.chunk_id].text
    assert set(hit.ranks) == {"dense", "bm25"}


def test_ingesting_again_keeps_the_same_chunks(real_store, real_embedder) -> None:
    from clusterqa.store import StoreLayout
    from clusterqa.store.manifest import Manifest

    path = StoreLayout(real_store.data_dir).manifest
    with Manifest(path) as manifest:
        before = manifest.chunk_ids()
    report = Ingestor(real_store, embedder=real_embedder).ingest([real_store.corpus_dir])
    with Manifest(path) as manifest:
        after = manifest.chunk_ids()
    assert report.chunks_embedded == 0 and after == before


def test_html_with_a_script_is_ingested_as_text(tmp_path: Path, real_embedder) -> None:
    """The article text is ingested and answerable; the script's code never is."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    page = corpus / "north-east" / "acme-robotics.html"
    page.write_text(
        "<html><head><title>Acme Robotics opens in Gateshead</title>"
        "<script>window.pwned = 1; document.write('INJECTED')</script></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        "<article><h1>Acme Robotics opens in Gateshead</h1>"
        "<p>Acme Robotics, a warehouse automation startup, opened a Gateshead office with 45 "
        "engineers in March 2024.</p><script>alert('pwned')</script>"
        "<p>The company was founded by Priya Shah, a former Sage engineer.</p></article>"
        "</body></html>")
    settings = Settings.load(data_dir=tmp_path / "data", corpus_dir=corpus,
                             sources_file=tmp_path / "none.yaml")
    report = Ingestor(settings, embedder=real_embedder).ingest()
    assert report.ok and "north-east/acme-robotics.html" in report.added
    assistant = Assistant.from_settings(settings, embedder=real_embedder)
    answer = assistant.ask("Who founded Acme Robotics?")
    assert not answer.abstained and "Priya Shah" in answer.text
    stored = " ".join(c.text for c in assistant.view().chunks.values())
    assert "pwned" not in stored and "INJECTED" not in stored and "Home | News" not in stored
    card = next(c for c in answer.citations if c.doc_id == "north-east/acme-robotics.html")
    assert card.title == "Acme Robotics opens in Gateshead" and card.kind == "article"
