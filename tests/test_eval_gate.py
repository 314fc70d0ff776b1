"""The eval gate, run for real: passes against the committed baseline, fails when retrieval
is broken on purpose and names the cases that flipped."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterqa.app.cli import app
from clusterqa.evals.baseline import compare
from clusterqa.evals.report import markdown
from tests.conftest import REPO

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, real_store) -> Path:
    """Settings pointing at the session's real store, with the repo's cases and a baseline
    saved from this corpus (so adding a region to corpus/ changes nothing here; `make eval`
    checks the committed baseline)."""
    root = tmp_path_factory.mktemp("gate")
    evals = root / "evals"
    evals.mkdir()
    shutil.copy(REPO / "evals" / "cases.yaml", evals / "cases.yaml")
    (root / "clusterqa.toml").write_text(
        f'data_dir = "{real_store.data_dir}"\ncorpus_dir = "{real_store.corpus_dir}"\n'
        f'sources_file = "{root / "none.yaml"}"\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        saved = runner.invoke(app, ["eval", "--no-ingest", "--save-baseline"])
    assert saved.exit_code == 0, saved.output
    return root


@pytest.fixture(autouse=True)
def _in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)


def test_gate_passes_against_its_baseline(project: Path) -> None:
    """Run again, nothing changed: every case as before, the verdict ok."""
    result = runner.invoke(app, ["eval", "--no-ingest"])
    assert result.exit_code == 0, result.output
    assert "pass -> fail: none" in result.output
    report = json.loads((project / "evals" / "reports" / "report.json").read_text())
    assert report["verdict"] == "ok"
    for name in ("report.md", "report.json", "report.png"):
        assert (project / "evals" / "reports" / name).stat().st_size > 0


def test_gate_fails_when_bm25_is_turned_off(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLUSTERQA_RETRIEVAL__BM25", "false")
    result = runner.invoke(app, ["eval", "--no-ingest"])
    assert result.exit_code == 1
    report = json.loads((project / "evals" / "reports" / "report.json").read_text())
    flipped = report["comparison"]["to_fail"]
    assert flipped, "some case must flip"
    assert f"pass -> fail: {', '.join(flipped)}" in result.output
    assert "REGRESSION" in result.output


def test_filters_select_cases(project: Path) -> None:
    result = runner.invoke(app, ["eval", "--no-ingest", "--region", "scotland",
                                 "--category", "numbers"])
    assert result.exit_code == 0, result.output
    report = json.loads((project / "evals" / "reports" / "report.json").read_text())
    assert report["cases"] and all(c["region"] == "scotland" and c["category"] == "numbers"
                                   for c in report["cases"])
    nothing = runner.invoke(app, ["eval", "--no-ingest", "--case", "no-such-*"])
    assert "no eval case matches case=no-such-*" in str(nothing.exception)


def test_comparison_logic_by_hand() -> None:
    """A case that passed and now fails is a regression; a metric within tolerance is not."""
    from clusterqa.evals.scoring import CaseResult

    def row(cid: str, passed: bool, hit: float) -> CaseResult:
        return CaseResult(cid, "q", "r", "lookup", True, "a", False, passed, [],
                          {"hit@5": hit, "abstention_correct": 1.0}, 1.0)

    baseline = {"cases": {"a": {"passed": True, "metrics": {"hit@5": 1.0}},
                          "b": {"passed": False, "metrics": {"hit@5": 1.0}}}}
    comp = compare([row("a", False, 1.0), row("b", True, 1.0), row("c", True, 1.0)], baseline,
                   tolerance=0.02)
    assert comp.to_fail == ["a"] and comp.to_pass == ["b"] and comp.new == ["c"]
    assert comp.failed
    steady = compare([row("a", True, 0.99), row("b", False, 0.99)], baseline, tolerance=0.02)
    assert not steady.failed
    dropped = compare([row("a", True, 0.5), row("b", False, 0.5)], baseline, tolerance=0.02)
    assert dropped.failed and "hit@5" in dropped.regressions[0]


def test_report_markdown_shows_both_recipes() -> None:
    """The plain recipe's figures stand in their own column, retrieval metrics only; without a
    comparison run that column is empty."""
    from clusterqa.evals.runner import EvalReport
    from clusterqa.evals.scoring import CaseResult

    case = CaseResult("c1", "Who?", "north-east", "lookup", True, "X [1]", False, True, [],
                      {"hit@5": 1.0, "fact_recall": 1.0}, 12.0)
    summary = {"cases": 1, "pass_rate": 1.0, "hit@5": 0.875, "fact_recall": 0.75}
    naive = {"summary": {"hit@5": 0.625}, "by_region": {}, "by_category": {}, "timings": {}}
    report = EvalReport("2026-12-02T00:00:00+00:00", "no baseline", "", {"retrieval": "r"},
                        {"documents": 1, "chunks": 2, "regions": ["north-east"]}, summary,
                        {"north-east": summary}, {"lookup": summary}, {}, naive, None, [case])
    rows = {line.split(" | ")[0].strip("| "): line for line in markdown(report).splitlines()
            if line.startswith("| ")}
    assert rows["hit@5"].endswith("| 0.875 | – | – | 0.625 |")
    assert rows["fact recall"].endswith("| 0.750 | – | – | n/a (needs an LLM) |")
    alone = markdown(EvalReport(**{**report.__dict__, "naive": None}))
    assert "0.625" not in alone


def test_the_gate_runs_against_an_llm_server(project: Path, monkeypatch) -> None:
    """`eval --backend llm` asks the configured server for every case and scores what it
    answered; a sentence the passages don't support never reaches a scored answer."""
    from tests.llm_server import llm_server, requests_seen

    with llm_server() as url:
        monkeypatch.setenv("CLUSTERQA_LLM__BASE_URL", url)
        monkeypatch.setenv("CLUSTERQA_LLM__MODEL", "bad-figure")
        before = requests_seen("bad-figure")
        result = runner.invoke(app, ["eval", "--no-ingest", "--backend", "llm",
                                     "--region", "north-east", "--category", "lookup"])
        asked = requests_seen("bad-figure") - before
    assert "pass -> fail:" in result.output, result.output
    report = json.loads((project / "evals" / "reports" / "report.json").read_text())
    assert report["config"]["answering"]["backend"] == "llm"
    assert asked >= len(report["cases"]) > 0
    assert not any("£999m" in case["answer"] for case in report["cases"])
    answered = [c for c in report["cases"] if not c["abstained"]]
    assert answered and all(re.search(r"\[\d+\]", c["answer"]) for c in answered)
