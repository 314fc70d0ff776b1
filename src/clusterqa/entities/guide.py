"""What the entity table knows of a fact question, for the answerer to lead with it.

"What did Blue Prism pay for Thoughtonomy?" names two entities and asks for a deal's price;
the table records one deal between them, with the sentence that states it, so that sentence
is the answer, not another sentence about Blue Prism with a price in it (SS&C's purchase of
Blue Prism). And when the table records the entity's deal but not what the question asks of
it ("Which Canadian company bought Kontainers?": the buyers are only "Canadian-based
companies"; "What did Ubisoft pay for FreeStyleGames?": no price), no sentence answers.

"Double Eleven headcount?" asks for a figure the table records as the entity's staff; the
sentence stating it leads, over a sentence about a building "billed as room for 830 jobs".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clusterqa.analysis import Question
from clusterqa.analysis.question import PART_SPLIT
from clusterqa.entities.names import find_names
from clusterqa.entities.table import EntityTable, Evidence
from clusterqa.text import clean_sentence, tokenize

DEALS = ("acquired_by",)
_MONEY = frozenset({"acquired_by", "raised", "invested_by"})
# What a question asks of an entity, by its words -> the relations that state it.
_ASKS = (
    (re.compile(r"\b(?:staff|employees|employ\w*|headcount|workforce|people work)\b", re.I),
     ("employs",)),
    (re.compile(r"\b(?:founded|started|set up|established|launched|formed)\b", re.I),
     ("founded", "founded_by")),
    (re.compile(r"\b(?:gr[eo]w(?:n)? out of|spun out|spin-?out|roots|origins?)\b", re.I),
     ("grew_out_of",)),
    (re.compile(r"\b(?:closed|close|shut|collapsed?|folded|went bust|go bust|administration|"
                r"ceased trading|wound up|merged?|still (?:trading|open|exists?|around))\b",
                re.I), ("closed",)),
    (re.compile(r"\b(?:raised|raise|funding|invest\w*|backed|round)\b", re.I),
     ("raised", "invested_by")),
    (re.compile(r"\b(?:bought|buy|acquired|acquire|purchased|took over|take over|takes over|"
                r"sold|sell|owns|paid|pay|takeover)\b", re.I), DEALS),
)


@dataclass
class Guide:
    """The sentences stating what the question asks of the entities it names."""

    stating: set[str] = field(default_factory=set)  # clean sentences of the facts asked for
    # each of those sentences -> the words of the names of what it is about: a sentence that
    # names its firm only as "it" ("SoftBank bought it in 2024") is about the firm asked of
    about: dict[str, frozenset[str]] = field(default_factory=dict)
    deals: set[str] = field(default_factory=set)  # sentences of the deals of the named
    closest: set[str] = field(default_factory=set)  # of those between the most of them
    # Every deal recorded names no buyer, and the question already says what they say of
    # the buyers ("Which Canadian company bought Kontainers?": "Canadian-based companies").
    unnamed_buyers: bool = False
    # "How much did Sequoia invest in Skyscanner?": the investment is recorded, no amount
    amount_missing: bool = False

    def states(self, sentence: str) -> bool:
        return clean_sentence(sentence) in self.stating


def guide(question: Question, table: EntityTable) -> Guide:
    entities = table.named_in(question.text)
    named = {e.key for e in entities}
    if not named:
        return Guide()
    # each named entity by the words the question names it with ("Sky Bet" for Sky Betting
    # & Gaming; "Ubisoft Leamington" is also FreeStyleGames's name, but a question about
    # FreeStyleGames does not ask of Ubisoft)
    mentions = [m.text for m in find_names(question.text)]
    said = {e.key: frozenset(tokenize(" ".join(
        m for m in mentions if any(n.lower() in m.lower() for n in e.names)) or e.name))
        for e in entities}
    # each part of the question asks one thing: "how many staff did it have when it was
    # sold?" asks for staff, not for the sale
    asked = {r for piece in PART_SPLIT.split(question.text) if piece and piece.strip()
             for relations in [next((rs for pattern, rs in _ASKS if pattern.search(piece)), ())]
             for r in relations}
    facts = [(e, key) for e, key in table.about(named, asked) if e.chunk_id is not None]
    out = Guide(stating={clean_sentence(e.fact.sentence) for e, _ in facts})
    for e, key in facts:
        sentence = clean_sentence(e.fact.sentence)
        for party in _parties(e, key, table) & named:
            out.about[sentence] = out.about.get(sentence, frozenset()) | said[party]
    money = [e for e, _ in facts if e.fact.relation in _MONEY]
    out.amount_missing = bool(re.search(r"\bhow much\b", question.text, re.I) and money and
                              not any(e.fact.value for e in money))
    deals = [(e, key) for e, key in facts if e.fact.relation in DEALS]
    if deals:
        out.deals = {clean_sentence(e.fact.sentence) for e, _ in deals}
        asked_words = set(tokenize(question.text))
        out.unnamed_buyers = all(
            not _named(e.fact.obj) and set(tokenize(e.fact.obj or "")) - _GENERIC <= asked_words
            for e, _ in deals)
        # the deals between the most of the entities named ("Blue Prism" and "Thoughtonomy")
        most = max(len(_parties(e, key, table) & named) for e, key in deals)
        out.closest = {clean_sentence(e.fact.sentence) for e, key in deals
                       if len(_parties(e, key, table) & named) == most}
    return out


def _named(buyer: str | None) -> bool:
    """"Flutter" names a buyer; "Canadian-based companies" describes some."""
    return bool(buyer) and buyer.split()[-1][:1].isupper()


_GENERIC = frozenset(tokenize("based companies company firms firm groups group buyers owners"))


def _parties(evidence: Evidence, key: str, table: EntityTable) -> frozenset[str]:
    return frozenset({key, table.key(evidence.fact.obj or "")})
