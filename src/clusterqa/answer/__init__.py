"""Answering: lists, counts and entity cards from the entity table; the rest by quoting the
retrieved passages (each quote cited) or an honest abstention."""

from clusterqa.answer.answerer import Answerer
from clusterqa.answer.extractive import ABSTAIN_TEXT, ExtractiveAnswerer

__all__ = ["ABSTAIN_TEXT", "Answerer", "ExtractiveAnswerer"]
