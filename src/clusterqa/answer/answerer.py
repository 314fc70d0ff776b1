"""Which answerer answers: by the question's shape. Lists, counts and entity cards come from
the entity table when it has what they ask for; everything else, and every list the table
cannot answer, is answered by quoting sentences (then led by the names they give). A question
for a figure that a filing's table states, or a calculation on such figures, gets the figure
first (figures.py); when it cannot be sure of every input, the quotes answer as before."""

from __future__ import annotations

from clusterqa.analysis.shape import ABOUT
from clusterqa.answer.extractive import ExtractiveAnswerer
from clusterqa.answer.figures import FigureAnswerer
from clusterqa.answer.lists import answer_from_table, lead_with_items, merge
from clusterqa.retrieve import Retrieval
from clusterqa.types import Answer


class Answerer:
    def __init__(self, extractive: ExtractiveAnswerer) -> None:
        self.extractive = extractive
        self.figures = FigureAnswerer()

    def answer(self, retrieval: Retrieval, region: str | None = None) -> Answer:
        table = answer_from_table(retrieval, region, self.extractive.embedder)
        if table is not None and retrieval.question.shape.kind == ABOUT:
            return table
        figure = self.figures.answer(retrieval, region) if table is None else None
        if figure is not None:
            return figure
        # Without the table's items, a list of a sector is only quoted from passages about it.
        answer = self.extractive.answer(retrieval, region, need_sector=table is None)
        if table is not None:
            # The table's items lead; the quotes about them that the passages give follow.
            return table if answer.abstained else merge(
                table, answer, retrieval.view.entities, retrieval.question)
        return lead_with_items(answer, retrieval.question, retrieval.view.entities)
