"""Follow-ups rewritten by rules from the turn before: what leans on it is rewritten to stand
alone, and what already stands alone is left exactly as asked."""

from __future__ import annotations

import pytest

from clusterqa.analysis.followup import Turn, leans_on_previous, rewrite


@pytest.mark.parametrize("question, previous, items, expected", [
    # A pronoun: the thing the previous question named.
    ("When was it sold?", "Who founded Skyscanner?", (), "When was Skyscanner sold?"),
    ("Did it buy Kontainers?", "Who founded Skyscanner?", (), "Did Skyscanner buy Kontainers?"),
    ("Where is its headquarters?", "Tell me about Kainos", (),
     "Where is Kainos's headquarters?"),
    ("Who runs the company?", "Tell me about Kainos", (), "Who runs Kainos?"),
    # No name in the previous question: the single item its answer gave.
    ("what have they worked on?", "which Teesside firms make games?", ("Double Eleven",),
     "what have Double Eleven worked on?"),
    # "he"/"she": a person, from the question or the answer's items.
    ("When was he born?", "Who founded Sage?", ("David Goldman", "Paul Muller"),
     "When was David Goldman born?"),
    # Ellipsis: the previous question about another place or name.
    ("and in Scotland?", "which Teesside firms make games?", (),
     "which Scotland firms make games?"),
    ("What about Sage?", "Who founded Skyscanner?", (), "Who founded Sage?"),
    # A name followed by its kind word is swapped whole, not left as "Sage bank".
    ("What about Sage?", "Who founded Atom bank?", (), "Who founded Sage?"),
])
def test_a_follow_up_is_rewritten_from_the_turn_before(question, previous, items,
                                                        expected) -> None:
    assert leans_on_previous(question)
    assert rewrite(question, Turn(previous, items)) == expected


@pytest.mark.parametrize("question", [
    "Who founded Sage?",
    # The pronoun points back to a name the question itself gives first.
    "When was Skyscanner founded and who bought it?",
    "Where is Kainos based, and what does it make?",
    # "it" as the event, which no name stands for.
    "When did it happen?",
])
def test_a_question_that_stands_alone_is_never_rewritten(question) -> None:
    assert rewrite(question, Turn("Who founded Skyscanner?", ("Gareth Williams",))) == question


def test_the_first_question_is_asked_as_it_is() -> None:
    assert rewrite("When was it sold?", None) == "When was it sold?"
