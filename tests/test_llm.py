"""LLM answers against a real HTTP server on loopback, scripted to answer well and badly:
whatever it sends, no unsupported sentence and no citation of a passage that is not there
reaches the reader, and a server that fails gives the extractive answer with one line why."""

from __future__ import annotations

import re

import pytest

from clusterqa.answer.llm import check
from clusterqa.app.assistant import Assistant, Conversation
from clusterqa.ingest import Ingestor
from clusterqa.text import normalize_quote
from tests.llm_server import llm_server

QUESTION = "Who founded Skyscanner?"


@pytest.fixture(scope="module")
def server():
    with llm_server() as url:
        yield url


@pytest.fixture
def ingested(fake_settings):
    Ingestor(fake_settings).ingest()
    return fake_settings


def llm_assistant(settings, url: str, model: str, timeout: float = 2.0) -> Assistant:
    llm = settings.llm.model_copy(update={"base_url": url, "model": model,
                                          "timeout_s": timeout})
    answering = settings.answering.model_copy(update={"backend": "llm"})
    return Assistant.from_settings(settings.model_copy(update={"llm": llm,
                                                              "answering": answering}))


def markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def test_the_support_rule_by_hand() -> None:
    """Names and figures must stand in the cited passage; a citation of no passage is none."""
    passages = ["Skyscanner was founded in 2003 by Gareth Williams.", "Sage is in Newcastle."]
    assert check("Skyscanner was founded in 2003 [1].", passages).supported
    assert not check("Skyscanner was founded in 2004 [1].", passages).supported
    assert not check("Sage was founded by Gareth Williams [2].", passages).supported
    bad = check("Skyscanner was founded in 2003 [9].", passages)
    assert not bad.supported and bad.cited == []


def test_a_good_answer_is_streamed_cited_and_verbatim(ingested, server) -> None:
    assistant = llm_assistant(ingested, server, "good")
    deltas = list(assistant.stream_ask(QUESTION))
    answer = deltas[-1].answer
    assert answer is not None and not answer.abstained and answer.notice is None
    assert "".join(d.text for d in deltas[:-1]) == answer.text
    assert markers(answer.text) == {c.n for c in answer.citations} == {1}
    sentence = re.sub(r"\s*\[\d+\]", "", answer.text).strip()
    assert normalize_quote(sentence) in normalize_quote(answer.citations[0].text)


@pytest.mark.parametrize("model, dropped", [("bad-citation", "Mars base"),
                                            ("bad-figure", "£999m")])
def test_unsupported_sentences_never_reach_the_reader(ingested, server, model, dropped) -> None:
    """The supported sentence stays; the other is removed (listed as unsupported), in the
    stream as in the answer; no [n] names a passage that is not shown."""
    assistant = llm_assistant(ingested, server, model)
    deltas = list(assistant.stream_ask(QUESTION))
    answer = deltas[-1].answer
    streamed = "".join(d.text for d in deltas[:-1])
    assert dropped not in streamed and dropped not in answer.text
    assert any(dropped in s for s in answer.unsupported)
    assert markers(answer.text) <= {c.n for c in answer.citations}
    assert "[9]" not in streamed and answer.to_json()["unsupported"]


@pytest.mark.parametrize("model, reason", [("slow", "did not answer within"),
                                           ("error", "HTTP 500"),
                                           ("malformed", "malformed")])
def test_a_failing_server_gives_the_extractive_answer_and_says_why(ingested, server, model,
                                                                   reason) -> None:
    assistant = llm_assistant(ingested, server, model, timeout=1.0)
    answer = assistant.ask(QUESTION)
    extractive = Assistant.from_settings(ingested).ask(QUESTION)
    assert answer.text == extractive.text
    assert answer.notice and reason in answer.notice and "extractive answer" in answer.notice
    assert "\n" not in answer.notice


def test_when_no_sentence_holds_the_extractive_answer_is_given(ingested, server) -> None:
    """An LLM answer whose every sentence is unsupported is not shown at all: the reader
    gets the extractive answer, and one line saying why."""
    assistant = llm_assistant(ingested, server, "all-bad")
    deltas = list(assistant.stream_ask(QUESTION))
    answer = deltas[-1].answer
    extractive = Assistant.from_settings(ingested).ask(QUESTION)
    assert answer.text == extractive.text and not answer.abstained
    assert "£999m" not in "".join(d.text for d in deltas) and "Mars" not in answer.text
    assert answer.notice == ("none of the LLM's sentences was supported by the passages they "
                             "cite; this is the extractive answer instead.")


def test_a_server_that_is_down_or_does_not_stream(ingested, server) -> None:
    down = llm_assistant(ingested, "http://127.0.0.1:9/v1", "good").ask(QUESTION)
    assert down.notice.startswith("cannot reach the LLM server")
    plain = llm_assistant(ingested, server, "plain").ask(QUESTION)
    assert plain.notice is None and markers(plain.text) == {1}


def test_follow_ups_are_condensed_by_the_llm_and_checked(ingested, server) -> None:
    """A rewrite that keeps the names is taken; one that invents a name is not (the rules'
    rewrite stands)."""
    good = llm_assistant(ingested, server, "rewrite:In which year was Skyscanner sold?")
    conversation = Conversation()
    good.ask_in(conversation, QUESTION)
    assert good._stand_alone(conversation, "When was it sold?", None)[0] == \
        "In which year was Skyscanner sold?"
    invented = llm_assistant(ingested, server, "rewrite:When was Skyscanner sold to Zorblax?")
    conversation = Conversation()
    invented.ask_in(conversation, QUESTION)
    assert invented._stand_alone(conversation, "When was it sold?", None)[0] == \
        "When was Skyscanner sold?"


def test_the_llm_is_chosen_by_environment_variables(tmp_path, corpus_copy, server) -> None:
    """CLUSTERQA_ANSWERING__BACKEND=llm, CLUSTERQA_LLM__BASE_URL and CLUSTERQA_LLM__MODEL are
    all it takes; `ask --json` then carries the LLM's checked answer."""
    import json
    import subprocess
    import sys

    from tests.conftest import fake_cli_env

    env = fake_cli_env()
    assert subprocess.run([sys.executable, "-m", "tests.fake_cli", "ingest"], cwd=tmp_path,
                          env=env, capture_output=True, timeout=120).returncode == 0
    env |= {"CLUSTERQA_ANSWERING__BACKEND": "llm", "CLUSTERQA_LLM__BASE_URL": server,
            "CLUSTERQA_LLM__MODEL": "bad-figure"}
    done = subprocess.run([sys.executable, "-m", "tests.fake_cli", "ask", "--json", QUESTION],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "notice" not in answer and "£999m" not in answer["answer"]
    assert answer["unsupported"] and markers(answer["answer"]) == {1}
