"""The command line: thin over the library, JSON Lines for scripts, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterqa.app.cli import app
from tests.conftest import corpus_doc_ids, fake_cli_env

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, corpus_copy: Path, fake_embedding: None) -> Path:
    """A project folder (the working directory) with a copy of the corpus; the command runs
    with the fake embedder, in this process or in its own (``run_cli``)."""
    return tmp_path


def test_ingest_then_ask_json_lines(cli_env: Path) -> None:
    """Several questions, one JSON object per line with exactly the documented fields."""
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert f"{len(corpus_doc_ids(cli_env / 'corpus'))} added" in result.output
    again = runner.invoke(app, ["ingest"])
    assert "nothing to embed" in again.output
    result = runner.invoke(app, ["ask", "--json", "Who acquired Kontainers?",
                                 "What is Zorblax's revenue?"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["question"] for d in lines] == ["Who acquired Kontainers?",
                                             "What is Zorblax's revenue?"]
    assert lines[1]["abstained"] is True
    for d in lines:
        assert set(d) == {"question", "answer", "abstained", "citations", "items",
                       "timings_ms"}


def test_ask_reads_questions_from_stdin(cli_env: Path) -> None:
    runner.invoke(app, ["ingest"])
    result = runner.invoke(app, ["ask", "--json", "-"],
                           input="Who acquired Kontainers?\n\nWho founded Skyscanner?\n")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2


def test_human_output_shows_sources(cli_env: Path) -> None:
    runner.invoke(app, ["ingest"])
    result = runner.invoke(app, ["ask", "Who founded Skyscanner?"])
    assert "Sources:" in result.stdout and "[1]" in result.stdout
    listing = runner.invoke(app, ["sources"])
    shipped = len(corpus_doc_ids(cli_env / "corpus"))
    assert "scotland/scotland-brief.md" in listing.stdout
    assert f"{shipped} documents" in listing.stdout
    assert "Scotland tech cluster brief" in listing.stdout  # not squeezed to "S…" in a pipe


def test_sources_remove(cli_env: Path) -> None:
    runner.invoke(app, ["ingest"])
    result = runner.invoke(app, ["sources", "remove", "scotland/scotland-brief.md"])
    assert result.exit_code == 0 and "removed" in result.stdout
    shipped = len(corpus_doc_ids(cli_env / "corpus"))
    assert f"{shipped - 1} documents" in runner.invoke(app, ["sources"]).stdout


def run_cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.fake_cli", *args], cwd=cwd, text=True,
                          capture_output=True, input=stdin, timeout=120, env=fake_cli_env())


def test_errors_are_one_line_not_a_traceback(cli_env: Path) -> None:
    """Unknown region, nothing ingested, a failed file: one clear line, a non-zero status."""
    empty = run_cli("ask", "anything", cwd=cli_env)
    assert empty.returncode == 2
    assert empty.stderr.strip().startswith("error: nothing is ingested")
    assert "Traceback" not in empty.stderr and len(empty.stderr.strip().splitlines()) == 1
    assert run_cli("ingest", cwd=cli_env).returncode == 0
    bad = run_cli("ask", "--region", "atlantis", "x", cwd=cli_env)
    assert bad.returncode == 2 and "unknown region 'atlantis'" in bad.stderr
    (cli_env / "corpus" / "scotland" / "broken.txt").write_bytes(b"\x89PNG\x00\x01bad")
    failed = run_cli("ingest", cwd=cli_env)
    assert failed.returncode == 1
    assert "failed: " in failed.stderr and "broken.txt" in failed.stderr
    assert "1 failed" in failed.stdout


def test_bad_settings_name_the_field(cli_env: Path) -> None:
    (cli_env / "clusterqa.toml").write_text("[retrieval]\ntop_k = -1\n")
    result = run_cli("ask", "x", cwd=cli_env)
    assert result.returncode == 2 and "top_k" in result.stderr and "Traceback" not in result.stderr
    # A misspelt section, and a misspelt variable: one line each, naming what is wrong.
    (cli_env / "clusterqa.toml").write_text('[retreival]\ntop_k = 3\n')
    typo = run_cli("ask", "x", cwd=cli_env)
    assert typo.stderr.strip() == ("error: invalid settings: retreival: unknown setting "
                                   "(see README, Settings)")


def test_long_messages_stay_on_one_line_in_a_pipe(cli_env: Path) -> None:
    run_cli("ingest", cwd=cli_env)
    region = "a-region-name-long-enough-to-push-the-message-well-past-eighty-columns"
    result = run_cli("ask", "--region", region, "x", cwd=cli_env)
    assert len(result.stderr.strip().splitlines()) == 1 and region in result.stderr


def test_a_batch_answers_every_good_question(cli_env: Path) -> None:
    """A bad question is reported in its place; the others are still answered; exit 2."""
    assert run_cli("ingest", cwd=cli_env).returncode == 0
    result = run_cli("ask", "--json", "Who founded Skyscanner?", "x" * 2500,
                     "Who acquired Kontainers?", cwd=cli_env)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("error" in d) for d in lines] == [False, True, False]
    assert "too long" in lines[1]["error"] and "too long" in result.stderr
    assert result.returncode == 2


def test_stdin_that_is_not_utf8_is_read_not_fatal(cli_env: Path) -> None:
    run_cli("ingest", cwd=cli_env)
    done = subprocess.run([sys.executable, "-m", "tests.fake_cli", "ask", "--json", "-"],
                          cwd=cli_env, input=b"\xff\xfe bad\nWho founded Skyscanner?\n",
                          capture_output=True, timeout=120, env=fake_cli_env())
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.decode().splitlines()) == 2


def test_region_names_match_as_people_write_them(cli_env: Path) -> None:
    run_cli("ingest", cwd=cli_env)
    for spelling in ("North East", "North-East", "north_east"):
        result = run_cli("ask", "--json", "--region", spelling, "Who acquired Kontainers?",
                         cwd=cli_env)
        assert result.returncode == 0, result.stderr
        cited = json.loads(result.stdout)["citations"]
        assert cited and {c["region"] for c in cited} == {"north-east"}


def test_serving_on_a_busy_port_is_a_clear_error(cli_env: Path) -> None:
    import socket

    run_cli("ingest", cwd=cli_env)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=cli_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr


def test_entities_and_drafted_cases_for_a_region(cli_env: Path) -> None:
    """`entities --csv` lists the organisations with place and region; `eval draft` writes
    cases in the eval set's own format, each with evidence that stands in the corpus."""
    import csv
    import io

    import yaml

    from clusterqa.evals.cases import EvalCase

    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["entities", "--csv", "--region", "north-east"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    double = next(r for r in rows if r["name"] == "Double Eleven")
    assert double["place"] == "Middlesbrough" and double["region"] == "north-east"
    assert all(r["region"] == "north-east" for r in rows)
    out = cli_env / "draft.yaml"
    drafted = runner.invoke(app, ["eval", "draft", "corpus/scotland", "--out", str(out)])
    assert drafted.exit_code == 0, drafted.output
    cases = [EvalCase.model_validate(c) for c in yaml.safe_load(out.read_text())]
    assert cases and all(c.region == "scotland" for c in cases)
    text = " ".join((cli_env / "corpus" / "scotland" / "scotland-brief.md").read_text().split())
    assert all(e.rstrip(".") in text.replace("**", "") for c in cases for e in c.evidence)


def test_a_conversation_on_stdin_answers_follow_ups_as_rewritten(cli_env: Path) -> None:
    """`ask --json --conversation -`: each line a turn; a follow-up carries `asked`, the
    question as answered; one that stands alone is not rewritten."""
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["ask", "--json", "--conversation", "-"],
                           input="Who founded Skyscanner?\nWhen was it sold?\nWho founded Sage?\n")
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["asked"] for t in turns] == ["Who founded Skyscanner?", "When was Skyscanner sold?",
                                          "Who founded Sage?"]
    assert turns[1]["question"] == "When was it sold?" and "2016" in turns[1]["answer"]


def test_a_comparison_answers_each_side_on_its_own(cli_env: Path) -> None:
    """Each side's cell quotes its own region's documents; --json carries the sides."""
    assert runner.invoke(app, ["ingest"]).exit_code == 0
    result = runner.invoke(app, ["ask", "--json",
                                 "Compare Scotland and the North East on games"])
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["sides"]] == ["scotland", "north-east"]
    by_n = {c["n"]: c for c in data["citations"]}
    for side in data["sides"]:
        assert side["citations"] and all(by_n[n]["region"] == side["name"]
                                         for n in side["citations"])
