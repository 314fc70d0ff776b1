"""Answers that name things: lists, counts and entity cards, read from the entity table.

A list question ("which Teesside firms make games?") is answered from every entity of the
corpus that fits it, not only from the top passages: the table gives each firm's places
(read through the place hierarchy), sectors and kinds, each with the sentence that states it.
The answer's first sentence names the items, each cited ("Double Eleven (Middlesbrough) [1]."),
and the quotes that show them follow. When the table has nothing that fits, the extractive
answer stands, led by the names its sentences give of the kind asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clusterqa.analysis import Question
from clusterqa.analysis.places import places_within
from clusterqa.analysis.shape import (
    ABOUT,
    COUNT,
    LIST,
    ORGANISATION,
    PERSON,
    PLACE,
    SECTOR,
    WORK,
)
from clusterqa.entities.lexicon import kind_words, sector_words
from clusterqa.entities.names import ORG, find_names, is_place, looks_like_person, name_key
from clusterqa.entities.table import UNKNOWN, Entity, EntityTable, Evidence
from clusterqa.retrieve import Retrieval
from clusterqa.store.reader import CorpusView
from clusterqa.text import clean_sentence, normalize_phrase
from clusterqa.types import Answer, Citation, Item

MAX_QUOTES = 6
# "A, B and C", "A and B": a sentence that lists names.
_ENUMERATION = re.compile(r"\b[A-Z][\w.&'-]*(?: [A-Z0-9][\w.&'-]*)*(?:, [A-Z][\w.&'-]*"
                          r"(?: [A-Z0-9][\w.&'-]*)*)* (?:and|or) [A-Z]")
# What an entity card says, in this order.
CARD = ("place", "kind", "sector", "founded", "founded_by", "acquired_by", "raised", "employs",
        "worked_on")


def answer_from_table(retrieval: Retrieval, region: str | None) -> Answer | None:
    """A list, count or card answer from the entity table, or None when it has none."""
    question, view = retrieval.question, retrieval.view
    shape = question.shape
    if shape.kind == ABOUT:
        entity = view.entities.get(shape.subject or "")
        return _card(question, entity, view, region) if entity else None
    # A count is usually of something the reports state as a figure; a compound question
    # ("who started X, and how big ...") asks more than a list.
    if shape.kind != LIST or len(question.parts) > 1:
        return None
    relation = {PERSON: "founded_by", WORK: "worked_on"}.get(shape.item or "")
    if relation is not None:
        return _objects(question, relation, view, region)
    if shape.item != ORGANISATION or not (shape.kinds or shape.relation):
        return None
    found = matching(question, view.entities, region)
    if not found:
        return None
    return _listed(question, found, view, region)


def matching(question: Question, table: EntityTable, region: str | None
             ) -> list[tuple[Entity, Evidence]]:
    """The organisations a list question asks for, each with its best evidence. Needs at
    least one constraint (a place, a sector or a relation to a named thing): "which firms?"
    alone is no question the table can answer."""
    shape = question.shape
    places = {p for named in question.places for p in {named, *places_within()[named]}}
    related = _related(question, table)
    if not places and not shape.sectors and related is None:
        return []
    if related is None and any(not is_place(m.text) for m in find_names(question.text)
                               if m.text.lower() not in kind_words()):
        return []  # "which manufacturers are at Sheffield's AMP?": the table knows no "at"
    candidates = table.select(places=places or None, sectors=shape.sectors,
                              kinds=shape.kinds, region=region)
    if related is not None:
        candidates = [e for e in candidates if e.key in related]
    asked = {name_key(t.word) for t in question.terms if t.anchor}
    out = []
    for entity in candidates:
        if entity.key in asked:
            continue
        evidence = _best_evidence(entity, places, shape.sectors, related)
        if evidence is not None:
            out.append((entity, evidence))
    return out


def _related(question: Question, table: EntityTable) -> set[str] | None:
    """For "which studios has Electronic Arts bought?": the keys of the entities that have
    the relation asked for to a thing the question names; None when it asks none."""
    relation = question.shape.relation
    if relation is None:
        return None
    named = [table.get(t.word) for t in question.terms if t.anchor]
    targets = {e.key for e in named if e is not None}
    if not targets:
        # The named thing may be a person the table knows only as an object ("founded by").
        targets = {name_key(m.text) for m in find_names(question.text)}
    return {e.key for e in table.entities.values()
            if any(name_key(o) in targets for o in e.objects(relation))}


def _best_evidence(entity: Entity, places: set[str], sectors: Sequence[str],
                   related: set[str] | None) -> Evidence | None:
    """The sentence that shows most of what was asked: an asked place first (the constraint
    a reader checks first), then an asked sector, then the shortest."""
    def shows(e: Evidence, relation: str) -> bool:
        return any(o.fact.sentence == e.fact.sentence and o.fact.relation == relation and (
            normalize_phrase(o.fact.obj or "") in places if relation == "place" else
            o.fact.obj in sectors) for o in entity.evidence)

    def score(e: Evidence) -> tuple[bool, bool, bool, int]:
        says_own = (e.fact.relation == "place" and normalize_phrase(e.fact.obj or "") in places
                    ) or (e.fact.relation == "sector" and e.fact.obj in sectors)
        return (shows(e, "place"), shows(e, "sector"), says_own, -len(e.fact.sentence))

    usable = [e for e in entity.evidence if e.chunk_id is not None and
              entity.name.lower() in e.fact.sentence.lower()]
    return max(usable, key=score, default=None)


def _shown_place(entity: Entity, evidence: Evidence, asked: set[str]) -> str | None:
    """The place an item is listed with: the one its evidence gives, else one inside the
    places asked for ("Sumo Digital (Sheffield)" for South Yorkshire, though the table also
    has its Leamington studio), else its first."""
    if evidence.fact.relation == "place" and evidence.fact.obj:
        return evidence.fact.obj
    inside = [p for p in entity.places if normalize_phrase(p) in asked]
    return (inside or entity.places or [None])[0]


def _listed(question: Question, found: list[tuple[Entity, Evidence]], view: CorpusView,
            region: str | None) -> Answer:
    numbers: dict[str, int] = {}
    items: list[Item] = []
    quotes: list[tuple[str, int]] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    asked = {p for named in question.places for p in {named, *places_within()[named]}}
    for entity, evidence in found:
        n = numbers.setdefault(evidence.chunk_id, len(numbers) + 1)
        place = _shown_place(entity, evidence, asked)
        items.append(Item(entity.name, (entity.kinds or [ORG])[0], place,
                          view.entities.region_of(entity, place),
                          (entity.sectors or [None])[0], [n]))
        sentence = clean_sentence(evidence.fact.sentence)
        if (sentence, n) not in quotes and len(quotes) < MAX_QUOTES:
            quotes.append((sentence, n))
            spans.setdefault(evidence.chunk_id, []).append((evidence.start, evidence.end))
    named = _join([f"{i.name}" + (f" ({i.place})" if i.place else "") +
                   f" [{i.citations[0]}]" for i in items])
    lead = (f"{len(items)}: {named}." if question.shape.kind == COUNT else f"{named}.")
    text = " ".join([lead, *(f"{_terminate(s)} [{n}]" for s, n in quotes)])
    citations = [citation_for(view, n, chunk_id, spans.get(chunk_id, []))
                 for chunk_id, n in sorted(numbers.items(), key=lambda kv: kv[1])]
    return Answer(question.text, text, False, citations, region,
                  sentences=[(lead, 0), *quotes], items=items, lead=lead)


def _objects(question: Question, relation: str, view: CorpusView, region: str | None
             ) -> Answer | None:
    """"Who founded Sage?", "what games has Sumo Digital made?": the founders or works the
    table records for the one entity the question names."""
    named = [e for t in question.terms if t.anchor
             for e in [view.entities.get(t.word)] if e is not None]
    named += [e for m in find_names(question.text) for e in [view.entities.get(m.text)]
              if e is not None and e not in named]
    if len(named) != 1:
        return None
    entity = named[0]
    numbers: dict[str, int] = {}
    items: dict[str, Item] = {}
    quotes: list[tuple[str, int]] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for evidence in entity.facts(relation):
        obj = evidence.fact.obj
        if not obj or evidence.chunk_id is None or name_key(obj) in items:
            continue
        n = numbers.setdefault(evidence.chunk_id, len(numbers) + 1)
        items[name_key(obj)] = Item(obj, question.shape.item, citations=[n])
        sentence = clean_sentence(evidence.fact.sentence)
        if (sentence, n) not in quotes and len(quotes) < MAX_QUOTES:
            quotes.append((sentence, n))
            spans.setdefault(evidence.chunk_id, []).append((evidence.start, evidence.end))
    if not items:
        return None
    lead = _join([f"{i.name} [{i.citations[0]}]" for i in items.values()]) + "."
    if question.shape.kind == COUNT:
        lead = f"{len(items)}: {lead}"
    text = " ".join([lead, *(f"{_terminate(s)} [{n}]" for s, n in quotes)])
    citations = [citation_for(view, n, chunk_id, spans.get(chunk_id, []))
                 for chunk_id, n in sorted(numbers.items(), key=lambda kv: kv[1])]
    return Answer(question.text, text, False, citations, region,
                  sentences=[(lead, 0), *quotes], items=list(items.values()), lead=lead)


def _card(question: Question, entity: Entity, view: CorpusView, region: str | None
          ) -> Answer | None:
    """What the corpus says of one entity, a cited line each: place, kind, sector, founding,
    founders, deals, money raised, staff, work."""
    numbers: dict[str, int] = {}
    quotes: list[tuple[str, int]] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for relation in CARD:
        for evidence in entity.facts(relation):
            if evidence.chunk_id is None:
                continue
            sentence = clean_sentence(evidence.fact.sentence)
            if any(sentence == s for s, _ in quotes) or len(quotes) >= MAX_QUOTES:
                continue
            n = numbers.setdefault(evidence.chunk_id, len(numbers) + 1)
            quotes.append((sentence, n))
            spans.setdefault(evidence.chunk_id, []).append((evidence.start, evidence.end))
    if not quotes:
        return None
    facts = [x for x in (", ".join(entity.places[:2]), ", ".join(entity.sectors[:2])) if x]
    lead = f"{entity.name}" + (f" ({'; '.join(facts)})" if facts else "") + " [1]."
    text = " ".join([lead, *(f"{_terminate(s)} [{n}]" for s, n in quotes)])
    citations = [citation_for(view, n, chunk_id, spans.get(chunk_id, []))
                 for chunk_id, n in sorted(numbers.items(), key=lambda kv: kv[1])]
    item = Item(entity.name, (entity.kinds or [entity.category])[0],
                entity.places[0] if entity.places else None, view.entities.region_of(entity),
                entity.sectors[0] if entity.sectors else None, [1])
    return Answer(question.text, text, False, citations, region,
                  sentences=[(lead, 0), *quotes], items=[item], lead=lead)


def merge(first: Answer, second: Answer) -> Answer:
    """``first`` followed by the sentences of ``second`` it does not already quote, their
    citations renumbered after its own (a passage cited by both keeps one number)."""
    number = {c.chunk_id: c.n for c in first.citations}
    citations = list(first.citations)
    by_n = {c.n: c for c in second.citations}
    quoted = {s for s, _ in first.sentences}
    added: list[tuple[str, int]] = []
    for sentence, n in second.sentences:
        if sentence in quoted or n not in by_n:
            continue
        chunk_id = by_n[n].chunk_id
        if chunk_id not in number:
            number[chunk_id] = len(citations) + 1
            citations.append(Citation(**{**by_n[n].__dict__, "n": number[chunk_id]}))
        else:
            own = next(c for c in citations if c.chunk_id == chunk_id)
            own.highlights = sorted(set(own.highlights) | set(by_n[n].highlights))
        added.append((sentence, number[chunk_id]))
        quoted.add(sentence)
    first.text = " ".join([first.text, *(f"{s} [{n}]" for s, n in added)])
    first.sentences = [*first.sentences, *added]
    first.citations = citations
    return first


def lead_with_items(answer: Answer, question: Question, table: EntityTable) -> Answer:
    """An extractive answer to a list question, led by the names its quoted sentences give of
    the kind asked for ("David Goldman [1], Paul Muller [1] and Graham Wylie [1].")."""
    shape = question.shape
    if answer.abstained or shape.kind not in (LIST, COUNT) or not answer.sentences:
        return answer
    asked = {name_key(m.text) for m in find_names(question.text)}
    items: dict[str, Item] = {}
    for i, (sentence, n) in enumerate(answer.sentences):
        names = [name for name in _names_of_kind(sentence, shape.item, table)
                 if name_key(name) not in asked and not set(name.lower().split()) <=
                 question.words]
        # Items come from the best sentence, and from later ones that list several.
        if i and (len(names) < 2 or not _ENUMERATION.search(sentence)):
            continue
        for name in names:
            item = items.setdefault(name_key(name), Item(name, shape.item))
            if n not in item.citations:
                item.citations.append(n)
    if not items:
        return answer
    named = _join([f"{i.name} [{i.citations[0]}]" for i in items.values()])
    lead = f"{len(items)}: {named}." if shape.kind == COUNT else f"{named}."
    answer.text = f"{lead} {answer.text}"
    answer.sentences = [(lead, 0), *answer.sentences]
    answer.items, answer.lead = list(items.values()), lead
    return answer


def _names_of_kind(sentence: str, item: str | None, table: EntityTable) -> list[str]:
    if item == SECTOR:
        low = sentence.lower()
        found = [w for w in sorted(sector_words(), key=len, reverse=True)
                 if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low)]
        return [w for w in found if not any(w != o and w in o for o in found)]
    out = []
    listed = [range(m.start(), m.end()) for m in _ENUMERATION.finditer(sentence)]
    organisations = {e.key for e in table.organisations()}
    for mention in find_names(sentence):
        known = table.get(mention.text)
        if item == PLACE:
            ok = is_place(mention.text)
        elif item == PERSON:
            ok = looks_like_person(mention.text) or (
                2 <= len(mention.text.split()) <= 3 and not is_place(mention.text)
                and (known is None or known.category in (PERSON, UNKNOWN)))
        else:
            # A name the table knows as an organisation, or one of a list of names.
            ok = not is_place(mention.text) and not looks_like_person(mention.text) and (
                name_key(mention.text) in organisations or
                any(mention.start in span for span in listed))
        if ok:
            out.append(mention.text)
    return out


def citation_for(view: CorpusView, n: int, chunk_id: str, spans: list[tuple[int, int]]
              ) -> Citation:
    chunk = view.chunks[chunk_id]
    meta = view.documents[chunk.doc_id].meta
    marks = sorted({(max(0, s), min(len(chunk.text), e)) for s, e in spans if e > s})
    return Citation(n=n, chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, title=meta.title,
                    source=view.documents[chunk.doc_id].source, region=meta.region,
                    page=chunk.page, text=chunk.text, score=1.0 if marks else 0.0,
                    publisher=meta.publisher, url=meta.url, kind=meta.kind,
                    sources=list(meta.sources), highlights=marks)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _terminate(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?\"'”’)" else sentence + "."
