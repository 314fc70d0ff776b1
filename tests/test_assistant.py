"""The assistant end to end (ingest, retrieve, answer) over a real Chroma with the fake embedder."""

from __future__ import annotations

import re

import pytest

from clusterqa.app.assistant import Assistant
from clusterqa.app.render import answer_markdown
from clusterqa.errors import ClusterQAError
from clusterqa.evals import metrics
from clusterqa.ingest import Ingestor


@pytest.fixture
def assistant(store_settings):
    """Over the embedded store and over a Chroma server."""
    Ingestor(store_settings).ingest()
    a = Assistant.from_settings(store_settings)
    yield a
    a.close()


def test_citations_are_numbered_in_order_and_each_sentence_is_in_its_passage(assistant) -> None:
    """[1] comes first, numbers are consecutive, each refers to a shown passage that contains
    the sentence it follows."""
    answer = assistant.ask("Who founded Skyscanner and who bought it?")
    assert not answer.abstained
    used = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert used and used[0] == 1
    assert sorted(set(used)) == list(range(1, max(used) + 1))
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    passages = {c.n: c.text for c in answer.citations}
    assert metrics.citation_validity(answer.text, set(passages)) == 1.0
    # Quoted sentences stand in their passages; a written lead names items, each of which
    # stands in the passages it cites.
    quoted = answer.text.removeprefix(answer.lead or "").strip()
    assert metrics.citation_precision(quoted, passages) == 1.0
    for item in answer.items:
        assert all(item.name in passages[n] for n in item.citations)
    assert "Skyscanner" in answer.text
    for c in answer.citations:  # the supporting sentences are marked inside the passage
        assert c.highlights and all(0 <= s < e <= len(c.text) for s, e in c.highlights)


def test_abstains_on_what_the_corpus_does_not_say(assistant) -> None:
    """No firm called Zorblax is in the corpus: say so, cite nothing, show nearest passages."""
    answer = assistant.ask("What is Zorblax Ltd's annual revenue?")
    assert answer.abstained
    assert answer.text.startswith("The reports don't say")
    assert not re.search(r"\[\d+\]", answer.text)
    assert answer.citations  # the nearest passages, shown as such


def test_json_has_exactly_the_documented_fields(assistant) -> None:
    data = assistant.ask("Who acquired Kontainers?").to_json()
    assert set(data) == {"question", "answer", "abstained", "citations", "items",
                       "timings_ms"}
    assert set(data["citations"][0]) == {"n", "doc_id", "title", "source", "region", "page",
                                         "text", "score"}
    first = data["citations"][0]
    # The file's path as ingested from the project folder (the test's working directory).
    assert first["source"] == f"corpus/{first['doc_id']}"
    assert data["timings_ms"]["total"] > 0


def test_region_filter_and_its_errors(assistant) -> None:
    answer = assistant.ask("Which games studios are there?", region="scotland")
    assert {c.region for c in answer.citations} == {"scotland"}
    with pytest.raises(ClusterQAError, match="unknown region 'atlantis'"):
        assistant.ask("anything", region="atlantis")
    with pytest.raises(ClusterQAError, match="empty"):
        assistant.ask("   ")


def test_streaming_ends_with_the_same_answer(assistant) -> None:
    deltas = list(assistant.stream_ask("Who founded Skyscanner?"))
    final = deltas[-1].answer
    assert final is not None
    assert "".join(d.text for d in deltas[:-1]) == final.text


def test_markdown_export_keeps_sources(assistant) -> None:
    md = answer_markdown(assistant.ask("Who acquired Kontainers?"))
    assert md.startswith("**Q:** Who acquired Kontainers?")
    assert "[1] " in md and "Sources:" in md


def test_asking_an_empty_store_says_what_to_do(tmp_path, fake_embedding) -> None:
    from tests.conftest import make_settings

    a = Assistant.from_settings(make_settings(tmp_path))
    with pytest.raises(ClusterQAError, match="clusterqa ingest"):
        a.ask("anything")
