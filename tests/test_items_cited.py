"""Every item a list answer names is cited by a passage that names it, over the whole eval
set, with the real model and the shipped corpus."""

from __future__ import annotations

import pytest

from clusterqa.evals.cases import load_cases
from clusterqa.evals.runner import run_cases
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_every_item_of_every_eval_answer_is_cited_by_its_name(real_assistant) -> None:
    results = run_cases(real_assistant, load_cases(REPO / "evals" / "cases.yaml"))
    listed = [r for r in results if "item_cited" in r.metrics]
    assert len(listed) > 30
    uncited = [(r.id, r.answer[:120]) for r in listed if r.metrics["item_cited"] < 1]
    assert not uncited
