"""The eval set is data with a schema; a malformed case is named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterqa.errors import ConfigError
from clusterqa.evals.cases import CATEGORIES, load_cases
from clusterqa.evals.metrics import normalize

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    return path


def test_the_shipped_set_is_valid_and_covers_what_the_issue_asks() -> None:
    """At least 60 cases, every region and category, 15+ unanswerable."""
    cases = load_cases(REPO / "evals" / "cases.yaml")
    assert len(cases) >= 60
    regions = {c.region for c in cases}
    assert {"north-east", "scotland", "northern-ireland", "yorkshire-humber"} <= regions
    for category in CATEGORIES:
        assert sum(c.category == category for c in cases) >= 3, category
    assert sum(not c.answerable for c in cases) >= 15


def test_every_evidence_quote_is_in_the_corpus() -> None:
    """Quotes are copied from the documents, so relevance judgements can be trusted."""
    from clusterqa.loading import discover, load_file

    corpus = REPO / "corpus"
    text = normalize(" ".join(load_file(p, corpus_dir=corpus).text for p in discover([corpus])))
    for case in load_cases(REPO / "evals" / "cases.yaml"):
        for quote in case.evidence:
            assert normalize(quote) in text, (case.id, quote)


def test_malformed_case_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, """
- id: ok-case
  question: "Who?"
  category: lookup
  answerable: true
  evidence: ["x y z"]
  facts: [["x"]]
- id: broken-case
  question: "What?"
  category: trivia
  answerable: true
  evidence: ["a"]
""")
    with pytest.raises(ConfigError, match="case 'broken-case' is malformed: category"):
        load_cases(path)


def test_consistency_rules(tmp_path: Path) -> None:
    """Unanswerable cases carry no evidence; answerable ones need some; ids are unique."""
    with pytest.raises(ConfigError, match=r"'u1'.*no evidence"):
        load_cases(write(tmp_path, "- {id: u1, question: 'Why?', category: unanswerable, "
                                   "answerable: false, evidence: [x]}\n"))
    with pytest.raises(ConfigError, match=r"'a1'.*at least one evidence"):
        load_cases(write(tmp_path, "- {id: a1, question: 'Why?', category: lookup, "
                                   "answerable: true}\n"))
    with pytest.raises(ConfigError, match="duplicate id"):
        load_cases(write(tmp_path, "- {id: d, question: 'Why?', category: unanswerable, "
                                   "answerable: false}\n" * 2))
    with pytest.raises(ConfigError, match="YAML list"):
        load_cases(write(tmp_path, "id: nope\n"))
