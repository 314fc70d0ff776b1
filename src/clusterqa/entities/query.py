"""What a list question asks of the entity table: every organisation of the kind asked for,
in the place asked for (through the hierarchy, and through the hub it is based at), in the
sector asked for, with the relation asked for, each with the sentence that best shows it.

A sector is matched two ways: by the lexicon (a "games studio", "a Bristol AI chip
designer") and by the embedder, as the similarity of an entity's own sentences to the
question. The embedder also reads what the lexicon cannot: "which Manchester companies have
become unicorns?", "which firms anchor the compound semiconductor cluster?" keep only the
firms a sentence about them says it of.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clusterqa.analysis import Question, Term
from clusterqa.analysis.places import demonym_place, places_within
from clusterqa.analysis.question import FRAMING
from clusterqa.analysis.shape import ORGANISATION
from clusterqa.entities.lexicon import kind_words, sector_words, sectors_in
from clusterqa.entities.names import find_names, is_place, looks_like_person
from clusterqa.entities.table import KIND_SECTOR, Entity, EntityTable, Evidence
from clusterqa.text import has_phrase, normalize_phrase, paragraph_start, tokenize
from clusterqa.types import Chunk

# A firm the lexicon gives no sector is in the sector asked for when the clause naming it is
# this similar to the sector's words ("semiconductor companies" and "SPTS Technologies, a
# maker of etch and deposition equipment, ..." 0.41; "software companies" and "Falmouth hosts
# the annual Agile on the Beach conference" 0.28: all-MiniLM-L6-v2 cosines).
SECTOR_BY_SIMILARITY = 0.38
# Which facts a relation asked for is read from.
RELATION_FACTS = {"acquired_by": ("acquired_by",), "founded_by": ("founded_by", "founders_from"),
                  "raised": ("raised", "invested_by"), "based_at": ("based_at",),
                  "run_by": (), "listed": ("listed",), "closed": ("closed",)}
# Words that say how an item is placed or related, not what it is: no similarity needed.
_PLAIN = frozenset(tokenize(
    "tech technology based operations offices office headquarters firms companies "
    "company business businesses come came sold bought acquired owned founded started set "
    "attracted investment invested funding raised backed veterans developers tenants hosted "
    "belong belongs part own owns owned biggest largest big main major notable leading known "
    "run runs behind partners members ended end ending become became been round rounds "
    "series seed floated float listed listing public ipo flotation stock market exchange "
    "shares closed shut collapsed folded defunct bust trading"))

_DESCRIBED = re.compile(r"\b(?:companies|firms|groups|buyers|owners|investors)$")
_RELATED = frozenset(f for facts in RELATION_FACTS.values() for f in facts)
Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors (the embedder's)


@dataclass
class Match:
    entity: Entity
    evidence: Evidence
    score: float = 0.0  # similarity of the evidence to the question (0 without an embedder)
    placed: bool = True  # in the places asked for
    stated: bool = False  # its evidence states the question's own words


# A question about where firms work or employ, not where they are based.
_OFFICES = re.compile(r"\b(?:operations|offices?|sites?|factories|factory|plants?|presence|"
                      r"jobs|staff|employ(?:s|ing|ers?)?|workforce)\b", re.I)


def asked_places(question: Question) -> set[str]:
    return {p for named in question.places for p in {named, *places_within()[named]}}


def matching(question: Question, table: EntityTable, region: str | None,
             embed: Embed | None = None,
             chunks: Mapping[str, Chunk] | None = None) -> list[Match]:
    """The organisations a list question asks for, each with its best evidence. Needs at
    least one constraint (a place, a sector or a relation): "which firms?" alone is no
    question the table can answer."""
    shape = question.shape
    places = asked_places(question)
    targets = relation_targets(question, table)
    if not places and not shape.sectors and not shape.relations:
        return []
    if not shape.relations and any(not is_place(m.text) for m in find_names(question.text)
                                   if m.text.lower() not in kind_words()):
        return []  # "which manufacturers are at Sheffield's AMP?": the table knows no "at"
    related = _related(shape.relations, targets, table)
    asked = {e.key for e in table.named_in(question.text)} | {
        table.key(t.word) for t in question.terms if t.anchor}
    # "with operations in Newport" counts a firm's factories there; "Sheffield companies"
    # does not count a Leeds firm's Sheffield office.
    offices = bool(_OFFICES.search(question.text))
    out: list[Match] = []
    kinds = shape.kinds
    if "startup" in kinds and related is not None and targets:
        kinds = (*kinds, "firm")  # "startups bought by Canadian firms": the deal says which
    for entity in table.select(kinds=kinds, region=region):
        if entity.key in asked or (related is not None and entity.key not in related):
            continue
        if related is None and entity.facts("closed"):
            continue  # "which studios are in Leamington?" asks what is there now
        placed = not places or _placed(entity, places, table, offices,
                                       related is not None and bool(targets))
        evidence = _usable(entity)
        if evidence:
            out.append(Match(entity, evidence[0], placed=placed))
    kept = _by_sector_and_sense(question, out, places, embed, chunks or {})
    # One placed elsewhere counts when a sentence from the place's own report says of it
    # what the question asks ("Its anchor firms include ... Vishay" of the Welsh cluster).
    return [m for m in kept if m.placed or (m.stated and _region_in(
        table.regions_of_document(m.evidence.doc_id), places))]


def relation_targets(question: Question, table: EntityTable) -> set[str]:
    """The keys of the things a question names that its items are related to ("Keywords
    Studios", "Stephen Fitzpatrick"), places apart."""
    keys = {e.key for e in table.named_in(question.text)}
    keys |= {table.key(m.text) for m in find_names(question.text) if not is_place(m.text)
             and m.text.lower() not in kind_words()}
    # an adjective naming the other party: "bought by Canadian firms"
    in_places = {w for p in question.places for w in p.split()}
    keys |= {w.lower() for w in re.findall(r"(?<=\s)[A-Z][a-z]+\b", question.text)
             if not is_place(w) and not demonym_place(w) and w.lower() not in kind_words()
             and w.lower() not in in_places}
    return {k for k in keys if k and k not in kind_words()}


def _related(relations: Sequence[str], targets: set[str], table: EntityTable
             ) -> set[str] | None:
    """The keys of the entities with a relation asked for: to a thing the question names
    when it names one ("founded by Codemasters veterans", "Stephen Fitzpatrick": a surname
    matches the full name), else to anything ("which studios have been bought?")."""
    if not relations:
        return None
    facts = {f for r in relations for f in RELATION_FACTS.get(r, (r,))}
    if targets and all(" " in t or t in table.entities for t in targets):
        # (an index of objects answers "which studios has Keywords bought?" at any size;
        # a person's surname alone names them too: "founded by Fitzpatrick")
        surnames = {t.split()[-1] for t in targets
                    if " " in t and looks_like_person(t.title())}
        return {key for e, key in table.about(targets | surnames, facts)
                if key not in targets | surnames}
    out = set()
    for entity in table.entities.values():
        for e in entity.evidence:
            if e.fact.relation not in facts:
                continue
            if not targets or (e.fact.obj and _same_target(table.key(e.fact.obj), targets)):
                out.add(entity.key)
                break
    return out


def _same_target(key: str, targets: set[str]) -> bool:
    """The object of a fact is a thing the question names: the same key, a full name for a
    surname ("Fitzpatrick"), or a description with the question's words ("bought by
    Canadian-based companies" for "bought by Canadian firms")."""
    if key in targets:
        return True
    if key and not key.split()[-1][:1].isdigit() and any(
            set(t.split()) <= set(key.split()) and len(key.split()) > len(t.split())
            for t in targets if " " not in t) and _DESCRIBED.search(key):
        return True
    return any(
        (" " not in key or " " not in t) and key.split()[-1] == t.split()[-1] and
        looks_like_person(" ".join(w.title() for w in (key if " " in key else t).split()))
        for t in targets)


def _placed(entity: Entity, places: set[str], table: EntityTable, offices: bool,
            lenient: bool) -> bool:
    """In the places asked for: its own place, the place of the hub it is based at, or, for
    one the reports place nowhere, the region its documents cover ("Welsh startups"). With
    a named relation ("tenants at Catalyst's Titanic Quarter park") an unplaced one counts."""
    if entity.is_in(places, offices):
        return True
    for host in entity.hosts():
        hub = table.get(host)
        if hub is not None and hub is not entity and hub.is_in(places):
            return True
    if entity.places if offices else entity.home_places:
        return False  # placed elsewhere (a US office alone places no firm)
    if lenient and any(any(has_phrase(f" {normalize_phrase(e.fact.sentence)} ", p)
                           for p in places)
                       for e in entity.evidence if e.fact.relation in _RELATED):
        return True  # "tenants at Catalyst's Titanic Quarter park": a sentence says so
    return _region_in(table.regions_of(entity), places)


def _region_in(regions: Sequence[str], places: set[str]) -> bool:
    """Whether a region folder ("yorkshire-humber") is one of the places asked for."""
    names = {_region_words(normalize_phrase(r.replace("-", " "))) for r in regions}
    return any(_region_words(p) in names for p in places)


def _region_words(name: str) -> str:
    return " ".join(w for w in name.replace("&", " ").split() if w not in ("and", "the"))


def _usable(entity: Entity) -> list[Evidence]:
    """Its sentences an answer can cite: in a stored passage, naming it."""
    names = [n.lower() for n in entity.names]
    return [e for e in entity.evidence if e.chunk_id is not None and
            any(n in e.fact.sentence.lower() for n in names)]


def shown_name(entity: Entity, evidence: Evidence) -> str:
    """The name an item is listed by: the entity's own, or the form its sentence uses."""
    if entity.name.lower() in evidence.fact.sentence.lower():
        return entity.name
    return max((n for n in entity.names if n.lower() in evidence.fact.sentence.lower()),
               key=len, default=entity.name)


def _by_sector_and_sense(question: Question, found: list[Match], places: set[str],
                         embed: Embed | None, chunks: Mapping[str, Chunk]) -> list[Match]:
    """Keep what is in the sector asked for (by the lexicon, or by the embedder: the clause
    naming it is like the sector's words) and, when the question asks more than kind,
    place, sector and relation can say ("unicorns", "anchor the ... cluster"), what a
    sentence about it says (in its own clause, or in the paragraph before it: "E-commerce
    and unicorns. ... A, B and C"); each with the sentence that shows most."""
    sectors = set(question.shape.sectors)
    residual = _residual_terms(question)
    related = {f for r in question.shape.relations for f in RELATION_FACTS.get(r, (r,))}
    sector_vector = embed([_sector_phrase(question)])[0] if embed and sectors else None
    kept: list[Match] = []
    for match in found:
        entity = match.entity
        own = set(entity.sectors) | {KIND_SECTOR[k] for k in entity.kinds if k in KIND_SECTOR}
        like = None
        if sectors and not sectors & own:
            # The embedder fills in a sector the lexicon gives no word for; a firm the
            # lexicon places in another sector is not in this one ("anchor firms" is like
            # "fintech firms", but IQE makes wafers).
            if sector_vector is None or own:
                continue
            match.score, like = _most_like(entity, sector_vector, embed)
            if match.score < SECTOR_BY_SIMILARITY:
                continue
        said = None
        if residual:
            said = next((e for e in _usable(entity) if _states(residual, e, chunks)), None)
            if said is None:
                continue
            match.stated = True
        match.evidence = said or _best_evidence(entity, places, sectors, like, related)
        kept.append(match)
    return kept


def _sector_phrase(question: Question) -> str:
    """The words that asked for the sector, with the kind of thing asked for: "chip design
    companies", "games studios"."""
    text = question.text.lower()
    words = [w for w in sorted(sector_words(), key=len, reverse=True)
             if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
    words = [w for w in words if not any(w != o and w in o for o in words)]
    nouns = [w for w in re.findall(r"[a-z]+", text) if kind_words().get(w) in
             question.shape.kinds]
    return " ".join([*words, nouns[0] if nouns else "companies"])


def _most_like(entity: Entity, vector: np.ndarray, embed: Embed
               ) -> tuple[float, Evidence | None]:
    """The similarity of the clause naming the entity most like ``vector``, and its
    evidence."""
    evidence = _usable(entity)
    if not evidence:
        return 0.0, None
    sims = embed([_clause_of(e) for e in evidence]) @ vector
    best = int(np.argmax(sims))
    return float(sims[best]), evidence[best]


def _states(terms: list[Term], evidence: Evidence, chunks: Mapping[str, Chunk]) -> bool:
    """Whether the clause naming the entity, with what its paragraph says before it, states
    most of ``terms`` (by weight; a synonym counts)."""
    chunk = chunks.get(evidence.chunk_id or "")
    before = ""
    if chunk is not None:
        before = chunk.text[paragraph_start(chunk.text, evidence.start):evidence.start]
    tokens = frozenset(tokenize(f"{before} {_clause_of(evidence)}"))
    total = sum(t.weight for t in terms)
    stated = sum(t.weight for t in terms if any(set(a) <= tokens for a in t.alternatives))
    return stated >= total / 2


def _clause_of(evidence: Evidence) -> str:
    """The clause of the evidence sentence that names the entity ("...; and ANNA Money,
    Amplyfi and OpenGenius were singled out by the digital minister")."""
    sentence = evidence.fact.sentence
    name = evidence.fact.subject.lower()
    for clause in re.split(r";\s*|,\s+(?:and|while|but)\s+|^[^:]{1,60}:\s+", sentence):
        if name in clause.lower():
            return clause
    return sentence


def _residual_terms(question: Question) -> list[Term]:
    """The question's content words that kind, place, sector and relation do not cover
    ("unicorns", "anchor ... cluster", "digital minister")."""
    out = []
    capitalised = {w.lower() for w in re.findall(r"\b[A-Z][\w-]*", question.text[1:])}
    # the words of a sector phrase the lexicon knows ("chip design") are the sector's
    in_sector = set(tokenize(" ".join(w for w in sector_words()
                                      if re.search(rf"(?<!\w){re.escape(w)}(?!\w)",
                                                   question.text.lower()))))
    for term in question.terms:
        # a rare word asked in lower case ("unicorns") says what the items are, unlike a name
        content = (not term.anchor and term.weight >= 1.5) or (
            term.anchor and term.word not in capitalised and not term.word.isdigit() and
            term.word not in places_within())
        if not content or term.token in _PLAIN or term.word in FRAMING or \
                term.token in in_sector:
            continue
        if term.word in kind_words() or sectors_in(term.word) or term.word in sector_words():
            continue
        out.append(term)
    return out


def _best_evidence(entity: Entity, places: set[str], sectors: set[str],
                   similar: Evidence | None, related: set[str] = frozenset()) -> Evidence:
    """The sentence that shows most of what was asked: the relation asked for ("it has
    hosted A, B and C"), an asked place (the constraint a reader checks first), an asked
    sector, the one most like the sector's words, then the shortest."""
    def shows(e: Evidence, relation: str) -> bool:
        return any(o.fact.sentence == e.fact.sentence and o.fact.relation == relation and (
            normalize_phrase(o.fact.obj or "") in places if relation == "place" else
            o.fact.obj in sectors) for o in entity.evidence)

    def score(e: Evidence) -> tuple[bool, bool, bool, bool, bool, int]:
        says_own = (e.fact.relation == "place" and normalize_phrase(e.fact.obj or "") in places
                    ) or (e.fact.relation == "sector" and e.fact.obj in sectors)
        alike = similar is not None and e.fact.sentence == similar.fact.sentence
        relates = any(o.fact.sentence == e.fact.sentence and o.fact.relation in related
                      for o in entity.evidence)
        return (relates, shows(e, "place"), shows(e, "sector"), alike, says_own,
                -len(e.fact.sentence))

    return max(_usable(entity), key=score)


def wants_organisations(question: Question) -> bool:
    shape = question.shape
    return shape.item == ORGANISATION and bool(shape.kinds or shape.relations)
