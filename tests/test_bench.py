"""Benchmarks: their scoring by hand-computed values, clean skipping without data, and small
SciFact- and ClapNQ-shaped data sets run end to end with the real model and a real Chroma."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterqa.app.cli import app
from clusterqa.bench import clapnq, financebench, scifact
from clusterqa.bench.common import BenchResult, percentiles
from tests.conftest import REPO

runner = CliRunner()


def test_scifact_score_by_hand() -> None:
    rankings = {"q1": ["a", "b", "c"], "q2": ["x", "y"]}
    qrels = {"q1": {"b"}, "q2": {"x", "z"}}
    scores = scifact.score(rankings, qrels)
    q1 = (1 / math.log2(3)) / 1  # the one relevant document at rank 2
    q2 = 1 / (1 + 1 / math.log2(3))  # rank 1 found, the second relevant one never
    assert scores["ndcg@10_tune"] == pytest.approx(q1, abs=1e-4)  # even positions: q1
    assert scores["ndcg@10_test"] == pytest.approx(q2, abs=1e-4)
    assert scores["ndcg@10_all"] == pytest.approx((q1 + q2) / 2, abs=1e-4)
    assert scores["recall@100_all"] == pytest.approx(0.75)


def test_doc_ranking_keeps_each_documents_best_chunk() -> None:
    chunks = {c: type("C", (), {"doc_id": d})() for c, d in
              [("c1", "A"), ("c2", "B"), ("c3", "A"), ("c4", "C")]}
    assert scifact.doc_ranking(["c3", "c2", "c1", "c4"], chunks) == ["A", "B", "C"]


def test_answer_recall_counts_stemmed_content_words() -> None:
    # Gold content words, stemmed, stopwords dropped: castl, built, stone.
    assert clapnq.answer_recall("The castles are of stone and were built", "The castle was built "
                                "of stone") == pytest.approx(1.0)
    assert clapnq.answer_recall("A wooden tower", "The castle was built of stone") == 0.0
    assert clapnq.answer_recall("anything", "the of and") == 0.0


def test_gold_figure_found_exactly_or_rounded_either_way() -> None:
    gold = financebench.gold_figures
    # Years are not figures; trailing zeros of "$8.70" are formatting, not precision.
    assert gold("In FY2022 it grew to $8.70 from 1,577.4 in 2021") == [(8.7, 1), (1577.4, 1)]
    assert gold("$382.00") == [(382.0, 0)]
    assert gold("Adj. EBITDA was $2,018mn in FY 2023; 4.2bn in 10-K") == [(2018.0, 0), (4.2, 1)]

    def found(gold_answer: str, answer: str) -> bool:
        return any(financebench.figure_in(v, answer, places) for v, places in gold(gold_answer))

    assert found("$1577.00", "Purchases of PP&E, 2018: (1,577) (in millions) [1].")
    assert found("$382.00", "Net cash provided, 2020: 381,603 (in thousands) = 381.603 million")
    assert found("$8.70", "Property, plant and equipment, net, 2018: 8,738 = 8.738 billion")
    assert found("sold its inventory 2.7 times", "Inventory turnover ratio: 2.72 = 31,089 / x")
    assert found("1,577.4", "capital spending of 1,577 million")  # the answer rounds
    # Rounding never stretches further than a rounded figure can be off.
    assert not found("The quick ratio was approximately 0.54", "Quick ratio: 0.56 = (2,605)")
    assert not found("by 1 percentage point", "guidance of 0.6 points")
    assert not found("$2,018mn in FY 2023", "Adjusted EBITDA, Three Months: 540 [1].")
    assert not found("$8.70", "net PP&E of 8.9 billion")
    assert not found("by 1 percentage point", "Guidance was raised [1].")


def test_speed_rows_are_ratios_where_lower_is_better(tmp_path: Path) -> None:
    result = BenchResult("speed")
    result.add("retrieval p50", 10.0, 20.0, "ms", higher_is_better=False)
    result.add("ingest chunks/s", 40.0, 20.0, "/s")
    result.add("ndcg@10", 0.7, 0.6)
    assert [r.get("ratio") for r in result.rows] == [2.0, 2.0, None]
    saved = json.loads(result.save(tmp_path).read_text())
    assert saved["benchmark"] == "speed" and saved["rows"] == result.rows
    assert percentiles([5, 1, 3, 2, 4]) == {"p50": 3, "p95": 5}


def test_missing_data_skips_cleanly(tmp_path: Path) -> None:
    for which in ("scifact", "clapnq", "speed"):
        result = runner.invoke(app, ["bench", which, "--data", str(tmp_path / "nowhere"),
                                     "--out", str(tmp_path / "out")])
        assert result.exit_code == 0, result.output
        assert f"skipped {which}: no" in result.output and "nowhere" in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_benchmark_is_a_clear_error(tmp_path: Path) -> None:
    """Through the thin entry in evals/, as the team would run it: one line, no traceback."""
    done = subprocess.run([sys.executable, str(REPO / "evals" / "bench.py"), "msmarco"],
                          cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode != 0
    assert "unknown benchmark 'msmarco'" in done.stderr and "Traceback" not in done.stderr


# --- end to end on small data sets in the public formats ------------------------------------

TOPICS = {
    "10": ("Graphene anodes", "Graphene anodes raise the capacity of lithium cells by forty "
           "percent in laboratory tests. The anodes survived a thousand charge cycles."),
    "11": ("Malaria vaccine trial", "A malaria vaccine cut infections in children by half in a "
           "trial across Kenya and Ghana. Side effects were mild."),
    "12": ("Coral bleaching", "Warmer seas caused mass coral bleaching on the reef in 2016. "
           "Recovery took several years where water cooled."),
    "13": ("Sleep and memory", "Deep sleep consolidates memories of facts learned during the "
           "day. Students deprived of sleep recalled fewer words."),
    "14": ("Gut bacteria and obesity", "Mice given gut bacteria from obese donors gained more "
           "fat than mice given bacteria from lean donors."),
    "15": ("Aspirin and heart attacks", "Daily low-dose aspirin lowered the risk of a first "
           "heart attack in men over fifty, with more bleeding."),
}
CLAIMS = {"1": ("Graphene improves battery capacity.", "10"),
          "2": ("A vaccine halves malaria in children.", "11"),
          "3": ("Reef corals bleach when the sea warms.", "12"),
          "5": ("Aspirin prevents heart attacks.", "15")}


@pytest.fixture
def bench_env(tmp_path: Path) -> Path:
    """SciFact- and ClapNQ-shaped data, and a settings file keeping everything in tmp_path."""
    data = tmp_path / "data"
    sf = data / "scifact"
    (sf / "qrels").mkdir(parents=True)
    with gzip.open(sf / "corpus.jsonl.gz", "wt") as f:
        for did, (title, text) in TOPICS.items():
            f.write(json.dumps({"_id": did, "title": title, "text": text}) + "\n")
    (sf / "queries.jsonl").write_text("".join(
        json.dumps({"_id": q, "text": t}) + "\n" for q, (t, _) in CLAIMS.items()))
    (sf / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t1\n" for q, (_, d) in CLAIMS.items()))

    cq = data / "clapnq"
    cq.mkdir()

    def row(question: str, topic: str, answer: str) -> str:
        title, text = TOPICS[topic]
        return json.dumps({"input": question, "passages": [{"title": title, "text": text}],
                           "output": [{"answer": answer}]}) + "\n"

    (cq / "clapnq_dev_answerable.jsonl").write_text(
        row("how much do graphene anodes raise the capacity of lithium cells", "10",
            "Graphene anodes raise capacity by forty percent.")
        + row("in which countries was the malaria vaccine trial", "11", "Kenya and Ghana."))
    (cq / "clapnq_dev_unanswerable.jsonl").write_text(
        row("who is the president of the zorblax coral society", "12", "")
        + row("what did the sleep study cost in dollars", "13", ""))
    (tmp_path / "clusterqa.toml").write_text(f'data_dir = "{tmp_path / "qa"}"\n')
    return data


@pytest.mark.slow
def test_scifact_bench_end_to_end(bench_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "scifact", "--data", str(bench_env), "--quick",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "out" / "scifact-quick.json").read_text())
    rows = {r["metric"]: r for r in saved["rows"]}
    # Six distinct topics: every claim's abstract should come first for our full retrieval.
    assert rows["ndcg@10 ours full"]["ours"] == pytest.approx(1.0)
    assert rows["recall@100 ours full"]["ours"] == pytest.approx(1.0)
    assert 0 < rows["ndcg@10 ours dense"]["naive"] <= 1  # the plain recipe, same run
    assert rows["ingest chunks/s"]["ratio"] > 0
    assert saved["details"]["documents"] == len(TOPICS)
    assert saved["details"]["retrieval"]["depth"] >= 300
    assert "plain llama-index" in result.output


@pytest.mark.slow
def test_clapnq_bench_end_to_end(bench_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["bench", "clapnq", "--data", str(bench_env),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    rows = {r["metric"]: r for r in
            json.loads((tmp_path / "out" / "clapnq.json").read_text())["rows"]}
    assert rows["hit@1 (answerable)"]["ours"] == 1.0
    assert rows["hit@5 (answerable)"]["naive"] == 1.0
    # "zorblax" is in no passage, so that question at least must be abstained on.
    assert rows["abstains on unanswerable"]["ours"] >= 0.5
    assert rows["abstains on answerable"]["ours"] == 0.0
    assert rows["answer recall of gold words"]["ours"] > 0.5


@pytest.mark.slow
def test_financebench_bench_end_to_end(tmp_path: Path) -> None:
    """Two small filings of two companies, questions naming each: routing finds the filing,
    the page with the figure is hit, the figure is in the answer, beside the plain recipe."""
    from tests import docgen

    data = tmp_path / "data"
    pdfs = data / "financebench" / "pdfs"
    pdfs.mkdir(parents=True)
    for stem, company, revenue, staff in (("ACME_2022_10K", "Acme Widgets, Inc.", "4,210", 310),
                                          ("ZORB_2022_10K", "Zorbcorp Holdings plc", "9,870", 80)):
        docgen.pdf_lines(pdfs / f"{stem}.pdf", [
            ["FORM 10-K", "For the fiscal year ended December 31, 2022", company,
             "(Exact name of registrant as specified in its charter)"],
            ["Item 1. Business", f"{company} makes widgets and employs {staff} people."],
            ["Consolidated Statement of Income", f"Net revenue $ {revenue} $ 3,001",
             "Cost of sales 1,200 1,100"]])
    (data / "financebench" / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in [
        {"doc": "ACME_2022_10K", "question": "What was Acme's FY2022 net revenue?",
         "answer": "$4,210", "pages": [3]},
        {"doc": "ZORB_2022_10K", "question": "How many people does Zorbcorp employ?",
         "answer": "80 people", "pages": [2]}]))
    (tmp_path / "clusterqa.toml").write_text(f'data_dir = "{tmp_path / "qa"}"\n')
    result = runner.invoke(app, ["bench", "financebench", "--data", str(data),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "out" / "financebench.json").read_text())
    rows = {r["metric"]: r for r in saved["rows"]}
    assert rows["right filing among the citations"]["ours"] == 1.0
    assert rows["gold page hit@5"]["ours"] == 1.0 and rows["gold page hit@5"]["naive"] > 0
    assert rows["answered with the gold figure or fact"]["ours"] > 0
    assert rows["answered citing outside the filing"]["ours"] == 0
    assert rows["ingest pages/s"]["ratio"] > 0
