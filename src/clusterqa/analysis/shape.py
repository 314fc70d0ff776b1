"""The shape of a question, by rules: a list ("which Teesside firms make games?"), a count
("how many studios ..."), an entity card ("tell me about Kwalee") or a fact (the rest); and for
a list, what its items are and the constraints they must meet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clusterqa.entities.lexicon import kind_words, sectors_in
from clusterqa.entities.names import is_place

LIST, COUNT, ABOUT, FACT = "list", "count", "about", "fact"
ORGANISATION, PERSON, WORK, PLACE, SECTOR = "organisation", "person", "work", "place", "sector"

# What a list's items are, by the noun it asks for.
_ITEM_NOUNS = {
    PERSON: r"founders?|people|bosses|chiefs|executives|leaders|ceos",
    WORK: r"games|titles|franchises|series|products|projects|apps|brands of games|hits",
    PLACE: r"regions|areas|places|cities|towns|clusters|locations|counties",
    SECTOR: r"sectors|specialisms|specialities|strengths|industries|fields",
}
# "Which ...", and "Apart from X, what titles ...": a list's question word opens a clause.
_LIST = re.compile(r"(?:^|[,;:]\s*)(?:which|what|name|list|who)\b|\b(?:name|list) "
                   r"(?:the|some|all)\b", re.I)
_ABOUT = re.compile(r"^\s*(?:tell me about (?P<w>.+?)\??$|what (?:does|do) (?P<x>.+?) do\b|"
                    r"who (?:is|are) (?P<y>[A-Z].+?)\??$|what is (?P<z>[A-Z][\w&' -]+)\??$)",
                    re.I)
_COUNT = re.compile(r"\bhow many (?P<noun>\w+)", re.I)
_FOUNDERS = re.compile(r"\bwho (?:founded|co-founded|set up|started|created|launched|"
                       r"were the founders|are the founders)\b", re.I)
# The relations a list's items have, by the words a question asks them with: to a thing it
# names ("which studios has EA bought?") or to anything ("which Liverpool studios have been
# bought?"). "raised" stands for money raised or an investor's backing.
_RELATIONS = (
    ("acquired_by", re.compile(r"\b(?:bought|acquired|purchased|taken over|took over|owned|"
                               r"owns|owning|sold|belong to|belongs to|part of|snapped up)\b",
                               re.I)),
    ("founded_by", re.compile(r"\b(?:founded|set up|started|co-founded|created|launched) by\b|"
                              r"\bhas (?P<who>.+?) (?:founded|set up|started)\b", re.I)),
    ("raised", re.compile(r"\b(?:raised|raise|funding|investment|invested|backed|attracted)\b",
                          re.I)),
    ("based_at", re.compile(r"\bbased at\b|\btenants?\b|\bhosted\b|\bhoused\b|"
                            r"\bhome to\b|\bresident\b", re.I)),
    ("listed", re.compile(r"\b(?:floated|float|listed on|went public|gone public|IPOs?|"
                          r"initial public offerings?|stock (?:market|exchange) listings?)\b",
                          re.I)),
    ("closed", re.compile(r"\b(?:closed|shut|shut down|collapsed|folded|defunct|went bust|"
                          r"gone bust|went under|ceased trading|wound up|no longer (?:trading|"
                          r"exist|exists|open))\b", re.I)),
    # "which universities run the AI Foundry?", "who is behind the centre?": its runners
    ("run_by", re.compile(r"\b(?:run|runs|ran|operate|operates|manage|manages|behind|partners "
                          r"in|members of)\b", re.I)),
)


@dataclass(frozen=True)
class Shape:
    kind: str  # LIST, COUNT, ABOUT or FACT
    item: str | None = None  # what a list's items are
    kinds: tuple[str, ...] = ()  # organisation kinds asked for ("studio", "startup")
    sectors: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()  # relations the items have (to a named thing, or any)
    subject: str | None = None  # what an ABOUT question is about

    @property
    def relation(self) -> str | None:
        return self.relations[0] if self.relations else None


def shape_of(text: str) -> Shape:
    about = _ABOUT.match(text)
    if about:
        subject = next(g for g in about.groups() if g)
        return Shape(ABOUT, subject=subject.strip(" ?"))
    count = _COUNT.search(text)
    if count:
        counted = _noun_run(re.findall(r"[\w'-]+", text[count.start("noun"):])[:4])
        if counted and counted.split()[-1] in kind_words():
            return _list_shape(COUNT, text, counted)
        return Shape(FACT)
    noun = _asked_noun(text)
    if _FOUNDERS.search(text):
        return Shape(LIST, PERSON)
    if _LIST.search(text) and noun and _is_plural(noun):
        return _list_shape(LIST, text, noun)
    return Shape(FACT)


def _list_shape(kind: str, text: str, noun: str) -> Shape:
    item = next((what for what, pattern in _ITEM_NOUNS.items()
                 if re.search(rf"\b(?:{pattern})$", noun)), ORGANISATION)
    kinds = tuple(dict.fromkeys(kind_words()[w] for w in noun.split() if w in kind_words()))
    # What the items do: sector words outside the kind noun ("which *games* studios").
    # (not from a name the question holds: "Engine Shed" says nothing of mobility)
    sectors = tuple(sorted(sectors_in(re.sub(r"(?<=\s)[A-Z][a-z][\w'-]*", " ", text))))
    relations = tuple(name for name, pattern in _RELATIONS if pattern.search(text))
    return Shape(kind, item, kinds, sectors, relations)


_NOT_NOUNS = frozenset(["is", "was", "has", "does", "its", "this", "us", "as", "his"])


def _asked_noun(text: str) -> str:
    """The plural noun a "which/what/name ..." question asks for, with the lower-case words
    just before it ("games studios", "tech companies"): "" when there is none."""
    lead = re.search(r"\b(?:which|what|name|list)\b(?: (?:the|some|all))?", text, re.I)
    if not lead:
        return ""
    return _noun_run(re.findall(r"[\w'-]+", text[lead.end():])[:6])


def _noun_run(words: list[str]) -> str:
    """The first run of plural nouns ("games studios"), with up to two lower-case words just
    before it ("tech companies"); places are not nouns here ("leeds fintech startups")."""
    def plural(word: str) -> bool:
        return word.endswith("s") and word.islower() and word not in _NOT_NOUNS and \
            not word.endswith(("ss", "'s")) and not is_place(word)

    for i, word in enumerate(words):
        if plural(word):
            end = i + 1
            while end < len(words) and plural(words[end]):
                end += 1
            before = [w for w in words[:i] if w.islower() and not is_place(w)][-2:]
            return " ".join([*before, *words[i:end]])
    return ""


def _is_plural(noun: str) -> bool:
    last = noun.split()[-1]
    return (last.endswith("s") and not last.endswith("ss")) or last in ("people", "media")
