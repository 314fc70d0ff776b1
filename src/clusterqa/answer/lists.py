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
from collections import OrderedDict
from collections.abc import Sequence
from weakref import WeakKeyDictionary

import numpy as np

from clusterqa.analysis import Question
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
from clusterqa.embeddings import Embedder
from clusterqa.entities.lexicon import kind_words, sector_words
from clusterqa.entities.names import ORG, find_names, is_place, looks_like_person, name_key
from clusterqa.entities.query import Match, asked_places, matching, shown_name, wants_organisations
from clusterqa.entities.table import UNKNOWN, Entity, EntityTable, Evidence, kind_fits
from clusterqa.retrieve import Retrieval
from clusterqa.store.reader import CorpusView
from clusterqa.text import clean_sentence, normalize_phrase
from clusterqa.types import Answer, Citation, Item

MAX_QUOTES = 6
# "A, B and C", "A and B": a sentence that lists names.
_NAME = r"[A-Z][\w.&'-]*(?: (?:of |for |& )?[A-Z0-9][\w.&'-]*)*"
_ENUMERATION = re.compile(rf"\b{_NAME}(?:, (?:the )?{_NAME})*,? (?:and|or) (?:the )?[A-Z]")
# What an entity card says, in this order.
CARD = ("place", "kind", "sector", "founded", "founded_by", "acquired_by", "closed", "raised",
        "employs", "worked_on")


def answer_from_table(retrieval: Retrieval, region: str | None,
                      embedder: Embedder | None = None) -> Answer | None:
    """A list, count or card answer from the entity table, or None when it has none.
    ``embedder`` lets a list match a sector the lexicon does not give a firm by the
    similarity of the clause naming it to the sector's words."""
    question, view = retrieval.question, retrieval.view
    shape = question.shape
    if shape.kind == ABOUT:
        entity = view.entities.get(shape.subject or "")
        return _card(question, entity, view, region) if entity else None
    # A count is usually of something the reports state as a figure; a compound question
    # asks more than a list, unless its later parts ask about the items ("..., and by
    # whom?").
    if shape.kind != LIST or any(any(t.anchor for t in p.terms) for p in question.parts[1:]):
        return None
    relation = {PERSON: "founded_by", WORK: "worked_on"}.get(shape.item or "")
    if relation is not None:
        return _objects(question, relation, view, region)
    if "run_by" in shape.relations:  # "which universities run the Greater Manchester AI Foundry?"
        return _objects(question, "run_by", view, region)
    if not wants_organisations(question):
        return None
    found = matching(question, view.entities, region, _embed(embedder), view.chunks)
    if not found:
        return None
    return _listed(question, found, view, region)


# Each embedder's vectors for short texts, cached across questions (an entity's clauses are
# asked about again and again). Keyed by embedder: two models' vectors must never mix.
_VECTORS: WeakKeyDictionary[Embedder, OrderedDict[str, np.ndarray]] = WeakKeyDictionary()


def _embed(embedder: Embedder | None):
    """A function giving ``embedder``'s vectors for short texts, through its cache."""
    if embedder is None:
        return None
    cache = _VECTORS.setdefault(embedder, OrderedDict())

    def embed(texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            for text, vector in zip(missing, embedder.embed([clean_sentence(t) for t in
                                                             missing]), strict=True):
                cache[text] = vector
        while len(cache) > 20_000:
            cache.popitem(last=False)
        return np.stack([cache[t] for t in texts])

    return embed


def _shown_place(entity: Entity, evidence: Evidence, asked: set[str]) -> str | None:
    """The place an item is listed with: the one its evidence gives, else one inside the
    places asked for ("Sumo Digital (Sheffield)" for South Yorkshire, though the table also
    has its Leamington studio), else its first home."""
    if evidence.fact.relation == "place" and evidence.fact.obj:
        return evidence.fact.obj
    inside = [p for p in entity.places if normalize_phrase(p) in asked]
    return (inside or entity.home_places or [None])[0]  # (a US office alone is no home)


def _listed(question: Question, found: list[Match], view: CorpusView,
            region: str | None) -> Answer:
    numbers: dict[str, int] = {}
    items: list[Item] = []
    quotes: list[tuple[str, int]] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    asked = asked_places(question)
    for match in found:
        entity, evidence = match.entity, match.evidence
        n = numbers.setdefault(evidence.chunk_id, len(numbers) + 1)
        place = _shown_place(entity, evidence, asked)
        items.append(Item(shown_name(entity, evidence), (entity.kinds or [ORG])[0], place,
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
    named = view.entities.named_in(question.text)
    having = [e for e in named if e.facts(relation)]  # "Rockstar Leeds", not "PSP"
    if len(having) != 1:
        return None
    entity = having[0]
    said = normalize_phrase(question.text)  # "Apart from Minecraft Dungeons, what titles ..."
    numbers: dict[str, int] = {}
    items: dict[str, Item] = {}
    quotes: list[tuple[str, int]] = []
    spans: dict[str, list[tuple[int, int]]] = {}
    for evidence in entity.facts(relation):
        obj = evidence.fact.obj
        if not obj or evidence.chunk_id is None or name_key(obj) in items or \
                normalize_phrase(obj) in said or not _of_kind(obj, question, view.entities):
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


def _of_kind(name: str, question: Question, table: EntityTable) -> bool:
    """Whether a related name is of the kind asked for ("which *universities* run X?"): by
    what the table knows of it, or by a kind word in the name itself."""
    kinds = set(question.shape.kinds)
    if not kinds:
        return True
    entity = table.get(name)
    named = {kind_words()[w.lower()] for w in name.split() if w.lower() in kind_words()}
    return bool(kinds & (named | set(entity.kinds if entity else ())))


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


def merge(first: Answer, second: Answer, table: EntityTable | None = None,
          question: Question | None = None) -> Answer:
    """``first`` followed by the sentences of ``second`` it does not already quote, their
    citations renumbered after its own (a passage cited by both keeps one number). With
    ``table``, only the sentences that speak of ``first``'s items, or of what ``question``
    names ("who started tombola, and how big was its workforce?"), follow a list: a quote that
    names none ("Companies right here in Teesside are working on the next blockbuster game")
    supports no item and buries the ones that do."""
    number = {c.chunk_id: c.n for c in first.citations}
    citations = list(first.citations)
    by_n = {c.n: c for c in second.citations}
    quoted = {s for s, _ in first.sentences}
    supports = (_about_items(first.items, table, question)
                if table is not None and first.items else None)
    added: list[tuple[str, int]] = []
    for sentence, n in second.sentences:
        if sentence in quoted or n not in by_n or (supports and not supports(sentence)):
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


def _about_items(items: Sequence[Item], table: EntityTable, question: Question | None):
    """Whether a sentence names one of ``items`` or an entity the question names (not a
    place), by any variant of its name, or is a sentence the table took one of their facts
    from (which may name it only as "The scaleup digital entertainment firm")."""
    entities = [e for e in (table.get(i.name) for i in items) if e is not None]
    if question is not None:
        entities += [e for e in table.named_in(question.text) if not is_place(e.name)]
    keys = {e.key for e in entities}
    stated = {clean_sentence(ev.fact.sentence) for e in entities for ev in e.evidence}
    plain = {name_key(i.name) for i in items}

    def supports(sentence: str) -> bool:
        if clean_sentence(sentence) in stated:
            return True
        for mention in find_names(sentence):
            known = table.get(mention.text)
            if name_key(mention.text) in plain or (known is not None and known.key in keys):
                return True
        return False

    return supports


def lead_with_items(answer: Answer, question: Question, table: EntityTable) -> Answer:
    """An extractive answer to a list question, led by the names its quoted sentences give of
    the kind asked for ("David Goldman [1], Paul Muller [1] and Graham Wylie [1].")."""
    shape = question.shape
    if answer.abstained or shape.kind not in (LIST, COUNT) or not answer.sentences:
        return answer
    asked = {name_key(m.text) for m in find_names(question.text)}
    # what the question itself names (a place a list of places is inside is no item)
    said = {normalize_phrase(m.text) for m in find_names(question.text)} | set(question.places)
    items: dict[str, Item] = {}
    for i, (sentence, n) in enumerate(answer.sentences):
        names = [name for name in _names_of_kind(sentence, shape.item, table, shape.kinds)
                 if name_key(name) not in asked and normalize_phrase(name) not in said and
                 not (len(name.split()) == 1 and name.lower() in question.words and
                      not is_place(name))]
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


def _of_each(sentence: str, kinds: Sequence[str]) -> list[str]:
    """"the universities of Bath, Bristol and Exeter": Bath, Bristol and Exeter, each a
    university (listed by the name the sentence gives)."""
    out = []
    for match in re.finditer(rf"\b(?P<noun>[a-z]+) of (?P<list>{_NAME}(?:, {_NAME})*,? "
                             rf"(?:and|or) {_NAME})", sentence):
        noun = match.group("noun")
        if kind_words().get(noun) not in kinds or not noun.endswith("s"):
            continue
        out += re.split(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+", match.group("list"))
    return out


def _names_of_kind(sentence: str, item: str | None, table: EntityTable,
                   kinds: Sequence[str] = ()) -> list[str]:
    if item == SECTOR:
        low = sentence.lower()
        found = [w for w in sorted(sector_words(), key=len, reverse=True)
                 if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low)]
        return [w for w in found if not any(w != o and w in o for o in found)]
    out = _of_each(sentence, kinds) if item == ORGANISATION else []
    if out:
        return out
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
            # A name the table knows as an organisation, or one of a list of names that the
            # table does not know as a work or a person ("titles include A, B and C").
            ok = not is_place(mention.text) and not looks_like_person(mention.text) and (
                name_key(mention.text) in organisations or
                (any(mention.start in span for span in listed) and
                 (known is None or known.category not in (WORK, PERSON)))) and not (
                kinds and known is not None and known.kinds and not kind_fits(known, kinds))
            # (a university is no manufacturer: a kind the table knows must fit the one asked)
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
