"""A clause as the relation rules read it, and what they share: its names and references
in order, who does what a verb says, the names a list gives, and the money and year stated
near a word."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clusterqa.entities.names import ORG, PLACE, Mention

MONEY = re.compile(r"[£$€]\s?\d[\d,.]*\s?(?:bn|billion|m|million|k|thousand)?\b|"
                   r"\d[\d,.]*\s?(?:bn|billion|m|million) (?:pounds|dollars|euros)\b")
YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
CLAUSE_END = re.compile(r"[;.!?]|, (?:which|who|while|and it|but)\b| and (?:it|its)\b")
PREPOSITION_BEFORE = re.compile(r"\b(?:by|of|from|with|to|in|at|for|on|into|than|as|"
                                 r"under|via|off|about|over|through|across|within|near|"
                                 r"including|include|includes)\s+(?:the\s+)?$")


@dataclass(frozen=True)
class Clause:
    text: str
    subject: str
    mentions: list[Mention]  # names and references, in order, offsets in ``text``
    antecedent: str | None  # what "it" and "the studio" stand for
    years: list[str]  # the sentence's years
    last_place: str | None


def orgs(c: Clause) -> list[Mention]:
    return [m for m in c.mentions if m.category == ORG]


def money_near(text: str, at: int) -> str | None:
    found = MONEY.search(text, at)
    return found.group().strip() if found else None


def amount_invested(text: str, at: int) -> str | None:
    """The amount invested stated after ``at``: not a valuation ("valued it at $800m")."""
    for found in MONEY.finditer(text, at):
        if not re.search(r"\bvalu\w*(?: \w+){0,2} (?:at|of) (?:about |around |over )?$",
                         text[:found.start()]):
            return found.group().strip()
    return None


def year_near(text: str, at: int, default: list[str]) -> int | None:
    """The year stated just after ``at`` ("owned by Ubisoft since 2006"), else the nearest
    before it, else the sentence's first."""
    after = YEAR.search(text[at:at + 40])
    if after:
        return int(after.group())
    before = YEAR.findall(text[max(0, at - 60):at])
    if before:
        return int(before[-1])
    return int(default[0]) if default else None


def listed(c: Clause, at: int, categories=(ORG,), first_gap: int = 6) -> list[Mention]:
    """The names listed from ``at``: the first after at most ``first_gap`` words with no
    preposition among them ("bought Manchester rival PrettyLittleThing", "the Karen Millen"),
    the rest joined to it by commas and "and" ("A, B and the C brands")."""
    out: list[Mention] = []
    cursor = at
    for m in (m for m in c.mentions if m.start >= at):
        gap = c.text[cursor:m.start]
        if not out:
            if m.category == PLACE and m.category not in categories:
                continue  # "Manchester rival X": the place describes X
            words = gap.split()
            if len(words) > first_gap or re.search(r"[;()%]", gap) or any(
                    w.lower().strip(",") in NO_GAP_WORDS for w in words):
                break
        elif not re.fullmatch(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s*(?:and|or)\s+)(?:the\s+)?",
                              re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gap)):
            break
        if m.category not in categories:
            break
        out.append(m)
        cursor = m.end
    return out


NO_GAP_WORDS = frozenset(["from", "to", "in", "with", "by", "for", "at", "of", "on", "into",
                           "through", "via", "over", "stake", "stakes", "share", "shares",
                           "majority", "minority", "which", "who", "that", "but", "after",
                           "before", "when", "while", "whose"])


def agent_before(c: Clause, at: int, articles: bool = False) -> Mention:
    """Who does what the verb at ``at`` says: the nearest organisation before it in its own
    part of the clause that is no preposition's object ("when Warner's TT Games acquired
    it": TT Games; "a round led by X and then agreed to buy Y": not X), else the clause's
    subject."""
    local = max((m.end() for m in re.finditer(r"\b(?:when|which|who|that|after|before|while|"
                                              r"because|whose|but)\b|[,;]", c.text[:at])),
                default=0)
    for m in reversed([m for m in orgs(c) if local <= m.start and m.end <= at]):
        if not PREPOSITION_BEFORE.search(c.text[:m.start]) and not (
                articles and re.search(r"\b(?:a|an)\s+$", c.text[:m.start])):
            return m
    return Mention(c.subject, 0, 0, ORG)


def pronoun_target(c: Clause, at: int) -> str | None:
    """What "it" just before ``at`` stands for, when the clause's subject is someone else:
    "Take-Two acquired it in March 2004, after which it made ..." (what was acquired)."""
    if not re.search(r"\bit (?:\w+ )?$", c.text[:at]):
        return None
    return next((m.text for m in c.mentions if m.ref and m.start < at and
                 m.text != c.subject), None)
