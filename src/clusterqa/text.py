"""Text helpers every stage shares: word tokens for BM25 and question analysis, sentence spans
for the answerer, and the normal form place names and phrases are compared in."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+")
# A brief's own source markers ("[S3]", "[S1, S4]"): not part of what a sentence says.
SOURCE_MARKER = re.compile(r"\s*\[S\d+(?:,\s*S?\d+)*\]")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball, C speed

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stopword-free, Snowball-stemmed words ("Teesside's" -> "teessid")."""
    words = [w for w in _WORD.findall(text.lower().replace("’", "'"))
             if w not in _stopwords() and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


def normalize_phrase(text: str) -> str:
    """Lower case, straight apostrophes, hyphens and runs of space as one space: the form
    place names and phrases are looked up in ("North-East" -> "north east")."""
    return re.sub(r"[\s\-]+", " ", str(text).lower().replace("’", "'")).strip()


def has_phrase(text: str, phrase: str) -> bool:
    """``phrase`` as whole words in ``text`` (both normalised), possessive allowed."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?:'s)?(?!\w)", text) is not None


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normalize_quote(text: str) -> str:
    """Text as quotes are compared: no [S<n>] marks or Markdown bold, straight quotes and
    dashes, one space, lower case. A quote stands in a passage when its form is in the
    passage's."""
    text = SOURCE_MARKER.sub("", text).replace("**", "").translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().lower()


def clean_sentence(text: str) -> str:
    """A quoted sentence without the brief's [S<n>] source markers, on one line."""
    return re.sub(r"\s+", " ", SOURCE_MARKER.sub("", text)).strip()


@lru_cache(maxsize=1)
def _punkt():
    # llama-index ships Punkt's trained parameters, so this works offline.
    from llama_index.core.utils import globals_helper

    return globals_helper.punkt_tokenizer


def paragraph_start(text: str, at: int) -> int:
    """Where the paragraph holding offset ``at`` of ``text`` begins (paragraphs part at a
    blank line)."""
    return text.rfind("\n\n", 0, at) + 1


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text``; sentences never cross a blank line."""
    spans: list[tuple[int, int]] = []
    tokenizer = _punkt()
    for para in re.finditer(r"\S(?:.*\S)?(?:\n(?!\s*\n).*\S)*", text):
        base = para.start()
        for start, end in tokenizer.span_tokenize(para.group()):
            spans.append((base + start, base + end))
    return spans
