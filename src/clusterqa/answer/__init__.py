"""Answering from retrieved passages: the extractive answerer (quotes, each cited, or an
honest abstention)."""

from clusterqa.answer.extractive import ABSTAIN_TEXT, ExtractiveAnswerer

__all__ = ["ABSTAIN_TEXT", "ExtractiveAnswerer"]
