"""What a question asks: one :func:`analyse` that retrieval and answering both read, with the
place hierarchy and synonyms it uses."""

from clusterqa.analysis.question import (
    DATE,
    NAME,
    NUMBER,
    Part,
    Question,
    Term,
    analyse,
    answer_kinds,
)

__all__ = ["DATE", "NAME", "NUMBER", "Part", "Question", "Term", "analyse", "answer_kinds"]
