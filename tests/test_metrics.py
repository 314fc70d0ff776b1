"""Eval metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from clusterqa.evals import metrics as m


def test_evidence_matching_ignores_case_space_markup_and_markers() -> None:
    passage = "Middlesbrough's **Double Eleven** helped\nMojang build [S7] the console editions."
    assert m.evidence_in(passage, ["double eleven helped mojang build the console",
                                   "not here"]) == {0}
    assert m.evidence_in("He said: “I am delighted”", ['said: "I am delighted"']) == {0}


def test_hit_and_mrr() -> None:
    rel = [False, False, True, False, True]
    assert m.hit_at(rel, 1) == 0.0
    assert m.hit_at(rel, 3) == 1.0
    assert m.mrr_at(rel, 10) == pytest.approx(1 / 3)
    assert m.mrr_at(rel, 2) == 0.0
    assert m.mrr_at([False] * 5, 10) == 0.0


def test_recall_counts_distinct_evidence_quotes() -> None:
    covered = [{0}, set(), {0, 1}, {2}]
    assert m.recall_at(covered, 4, 1) == pytest.approx(1 / 4)
    assert m.recall_at(covered, 4, 3) == pytest.approx(2 / 4)
    assert m.recall_at(covered, 4, 5) == pytest.approx(3 / 4)


def test_ndcg_by_hand() -> None:
    """Relevant at ranks 1 and 3, two relevant in all: (1 + 1/2) / (1 + 1/log2 3)."""
    rel = [True, False, True, False]
    expected = (1 + 1 / 2) / (1 + 1 / math.log2(3))
    assert m.ndcg_at(rel, 10, 2) == pytest.approx(expected)
    assert m.ndcg_at([True, True], 10, 2) == pytest.approx(1.0)
    assert m.ndcg_at([False, True], 10, 1) == pytest.approx(1 / math.log2(3))
    assert m.ndcg_at([False] * 3, 10, 1) == 0.0


def test_fact_recall_accepts_any_alternative() -> None:
    answer = "Flutter bought it in November 2021 for £402m [1]."
    assert m.fact_recall(answer, [["£402m", "402 million"], ["Flutter"]]) == 1.0
    assert m.fact_recall(answer, [["Flutter"], ["2019"]]) == 0.5
    assert m.forbidden_stated(answer, ["Sage", "£402m"]) == ["£402m"]


def test_cited_sentences_split_at_markers() -> None:
    answer = "A is true. [1] B holds. [2] [3] C too. [1]"
    assert m.cited_sentences(answer) == [("A is true.", [1]), ("B holds.", [2, 3]),
                                         ("C too.", [1])]


def test_citation_validity_and_precision() -> None:
    passages = {1: "Alpha said A is true. More text.", 2: "Beta holds here."}
    answer = "A is true. [1] Beta holds here. [2] Made up. [1] Ghost. [9]"
    assert m.citation_validity(answer, set(passages)) == pytest.approx(3 / 4)
    # "A is true" in 1, "Beta holds here" in 2, "Made up" not in 1, 9 not shown.
    assert m.citation_precision(answer, passages) == pytest.approx(2 / 4)
    assert m.citation_precision("No markers at all.", passages) == 1.0


def test_item_matching_by_hand() -> None:
    """A name matches an item when either contains the other, normalised; recall counts gold
    items named, precision the names that are gold."""
    gold = [["4J Studios", "4J"], ["DMA Design"], ["Outplay Entertainment", "Outplay"]]
    assert m.same_item("4J Studios (Dundee)", gold[0]) and m.same_item("outplay", gold[2])
    assert not m.same_item("Rockstar North", gold[1])
    assert m.items_found(["4J Studios [1] and Outplay [2]."], gold) == 2
    assert m.items_correct(["4J Studios", "Rockstar North", "DMA Design"], gold) == 2
