"""Which questions are comparisons, and of what: the sides and the aspect, by rules."""

from __future__ import annotations

import pytest

from clusterqa.answer.compare import DEFAULT_ASPECT, comparison_of


@pytest.mark.parametrize(("question", "sides", "aspect"), [
    ("Compare Scotland and Northern Ireland on fintech", ("Scotland", "Northern Ireland"),
     "fintech"),
    ("How does the North East compare with Yorkshire on games?", ("the North East", "Yorkshire"),
     "games"),
    ("Compare Double Eleven and Playground Games", ("Double Eleven", "Playground Games"),
     DEFAULT_ASPECT),
    ("Scotland vs Wales: fintech", ("Scotland", "Wales"), "fintech"),
    ("Scotland versus Wales on fintech", ("Scotland", "Wales"), "fintech"),
    ("Which has more games studios, Scotland or the North East?", ("Scotland", "North East"),
     "games studios"),
    ("Which is better for games, Dundee or Leamington Spa?", ("Dundee", "Leamington Spa"),
     "games"),
    ("Which region is stronger in cyber security: Scotland or Northern Ireland?",
     ("Scotland", "Northern Ireland"), "cyber security"),
    ("Leeds or Manchester for fintech?", ("Leeds", "Manchester"), "fintech"),
    ("Scotland or Wales?", ("Scotland", "Wales"), DEFAULT_ASPECT),
])
def test_comparisons_give_their_sides_and_aspect(question, sides, aspect) -> None:
    got = comparison_of(question)
    assert got is not None and got.sides == sides and got.aspect == aspect


@pytest.mark.parametrize("question", [
    "Is Skyscanner based in Edinburgh or Glasgow?",  # about Skyscanner: a place is asked
    "Did Sony or Microsoft buy the studio?",
    "What did Sage buy in 2021, Brightpearl or Kontainers?",  # asks which, not which is more
    "Who bought Skyscanner, Expedia or Trip.com?",
    "Which Teesside firms make games?",
])
def test_a_question_with_or_that_compares_nothing_is_no_comparison(question) -> None:
    assert comparison_of(question) is None
