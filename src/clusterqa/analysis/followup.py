"""Follow-up questions rewritten to stand alone, by rules, from the turn before.

"Who founded Skyscanner?" then "When was it sold?" asks "When was Skyscanner sold?";
"which Teesside firms make games?" then "and in Scotland?" asks "which Scotland firms make
games?"; "Who founded Sage?" then "what about Atom bank?" asks "Who founded Atom bank?". A
question that names what it is about, and leans on nothing, is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clusterqa.analysis.places import places_named
from clusterqa.entities.lexicon import kind_words
from clusterqa.entities.names import find_names, is_place, looks_like_person

# "it", "its", "they", "the firm", "this company": words that lean on what came before.
_PRONOUN = re.compile(
    r"\b(?:it|its|they|them|their|theirs|he|him|his|she|her|hers|"
    r"(?:the|this|that) (?:firm|company|business|studio|bank|startup|group|developer|"
    r"publisher|region|city|place|person|founder|deal|one))\b", re.I)
# "when did it happen?": "it" is the event, which no name stands for.
_EVENT = re.compile(r"\bit (?:happen|happened|occur|occurred|take place|took place)\b", re.I)
_PERSONAL = re.compile(r"\b(?:he|him|his|she|her|hers)\b", re.I)
# "what about X?", "how about X?", "and X?", "and in X?", "same for X?"
_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|same for|and what about|what of)\s+"
                       r"(?:in\s+|for\s+|at\s+)?(?P<x>.+?)\s*\??\s*$", re.I)


@dataclass(frozen=True)
class Turn:
    """A question as it was answered, and what its answer named."""

    asked: str
    items: tuple[str, ...] = ()  # the answer's items (names), in order
    region: str | None = None


def rewrite(question: str, previous: Turn | None) -> str:
    """``question`` made to stand alone from ``previous``; unchanged when it already does."""
    if previous is None:
        return question
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis:
        return _swap(previous.asked, ellipsis.group("x").strip())
    leaning = _PRONOUN.search(question)
    if not leaning or _EVENT.search(question) or _named_before(question, leaning.start()):
        return question
    referent = _referent(previous, personal=bool(_PERSONAL.search(question)))
    if referent is None:
        return question
    return _replace_pronoun(question, referent)


def _named_before(question: str, at: int) -> bool:
    """The question names a firm or person before its pronoun ("When was Skyscanner founded
    and who bought it?"): the pronoun points back to that, so the question stands alone."""
    return any(m.start < at and not is_place(m.text) for m in find_names(question))


def _referent(previous: Turn, personal: bool) -> str | None:
    """What a pronoun points back to: the thing the previous question named (a person for
    "he"/"she"), else the single item its answer gave."""
    names = [m.text for m in find_names(previous.asked) if not is_place(m.text)]
    if personal:
        people = [n for n in names if looks_like_person(n)] + [
            i for i in previous.items if looks_like_person(i)]
        if people:
            return people[0]
    others = [n for n in names if not looks_like_person(n)]
    if others:
        return others[0]
    if len(previous.items) == 1 or (previous.items and not personal):
        return previous.items[0]
    return names[0] if names else None


def _replace_pronoun(question: str, referent: str) -> str:
    """The first leaning word replaced by the referent ("its" -> "Skyscanner's")."""
    def sub(match: re.Match) -> str:
        word = match.group().lower()
        if word in ("its", "their", "theirs", "his", "her", "hers"):
            return f"{referent}'s"
        return referent

    return _PRONOUN.sub(sub, question, count=1)


def _swap(asked: str, new: str) -> str:
    """The previous question about ``new`` instead: a place for its place, a name for its
    name; a place is added ("... in Scotland") when the question had none."""
    new_is_place = bool(places_named(new)) or is_place(new)
    if new_is_place:
        old = places_named(asked)
        if old:
            return _replace_words(asked, old[0], new)
        return re.sub(r"\s*\?*\s*$", f" in {new}?", asked, count=1)
    names = [m for m in find_names(asked) if not is_place(m.text)]
    if names:
        end = _with_kind_word(asked, names[0].end)
        return asked[:names[0].start] + new + asked[end:]
    return f"{asked.rstrip(' ?')}: {new}?"


def _with_kind_word(text: str, end: int) -> int:
    """Where a name ends once a singular kind word that follows it is counted in: "Atom
    bank", "Sage group" (names are capitalised runs; these words are not)."""
    after = re.match(r" ([a-z]+)\b", text[end:])
    if after:
        word, kinds = after.group(1), kind_words()
        plural = word.endswith("s") and not word.endswith("ss") and word[:-1] in kinds
        if word in kinds and not plural:
            return end + after.end()
    return end


def _replace_words(text: str, old: str, new: str) -> str:
    """Replace the place ``old`` (as places_named gives it, lower case) in ``text``."""
    pattern = r"[\s\-]+".join(re.escape(w) for w in old.split())
    return re.sub(rf"(?i)\b{pattern}\b", new, text, count=1)


def leans_on_previous(question: str) -> bool:
    return bool(_ELLIPSIS.match(question) or _PRONOUN.search(question))



