"""The entity table: every fact of one corpus version, merged into one row per real thing.

Names of one thing are merged by key ("4J"/"4J Studios", "tombola"/"Tombola"); each fact keeps
the chunk its sentence is in, so an answer can cite it. Places are read through the place
hierarchy: an entity in Middlesbrough is in Teesside and in the North East.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from clusterqa.analysis.places import places_within
from clusterqa.entities.names import ORG, PERSON, looks_like_person, name_key
from clusterqa.text import normalize_phrase
from clusterqa.types import Chunk, Fact, StoredDocument

WORK = "work"  # a game, product or project an organisation made
ROW_HEADER = ("name", "kind", "place", "region", "sector", "facts", "documents")
UNKNOWN = "unknown"  # a name only ever mentioned: nothing says what it is
# What a kind says of the sector: a studio makes games, a bank is in fintech.
KIND_SECTOR = {"studio": "games", "bank": "fintech"}


@dataclass(frozen=True)
class Evidence:
    """A fact and where it stands: its document, its chunk and the sentence's span in it."""

    doc_id: str
    chunk_id: str | None
    fact: Fact
    start: int  # the sentence in the chunk's text (when found there)
    end: int


@dataclass
class Entity:
    key: str
    names: Counter = field(default_factory=Counter)
    category: str = ORG
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The most used form; the longest of those ("4J Studios" over "4J")."""
        top = max(self.names.values())
        return max((n for n, c in self.names.items() if c == top), key=len)

    def objects(self, relation: str) -> list[str]:
        return list(dict.fromkeys(e.fact.obj for e in self.evidence
                                  if e.fact.relation == relation and e.fact.obj))

    @property
    def kinds(self) -> list[str]:
        return self.objects("kind")

    @property
    def places(self) -> list[str]:
        return self.objects("place")

    @property
    def sectors(self) -> list[str]:
        return self.objects("sector")

    def facts(self, relation: str) -> list[Evidence]:
        return [e for e in self.evidence if e.fact.relation == relation]

    def is_in(self, places: set[str]) -> bool:
        """Whether any place it is in lies in (or is) one of ``places``."""
        return any(normalize_phrase(p) in places for p in self.places)


class EntityTable:
    def __init__(self, entities: dict[str, Entity],
                 regions: Mapping[str, set[str]]) -> None:
        self.entities = entities
        self._regions = regions

    @classmethod
    def build(cls, facts: Iterable[tuple[str, Fact]], documents: Mapping[str, StoredDocument],
              chunks: Iterable[Chunk]) -> EntityTable:
        by_page: dict[tuple[str, int | None], list[Chunk]] = {}
        for chunk in chunks:
            by_page.setdefault((chunk.doc_id, chunk.page), []).append(chunk)
        entities: dict[str, Entity] = {}
        regions: dict[str, set[str]] = {}
        for doc_id, fact in facts:
            chunk = _chunk_of(by_page.get((doc_id, fact.page), []), fact)
            evidence = Evidence(doc_id, chunk.chunk_id if chunk else None, fact,
                                max(0, fact.start - chunk.start) if chunk else 0,
                                min(len(chunk.text), fact.end - chunk.start) if chunk else 0)
            entity = entities.setdefault(name_key(fact.subject), Entity(name_key(fact.subject)))
            entity.names[fact.subject] += 1
            entity.evidence.append(evidence)
            region = documents[doc_id].region if doc_id in documents else None
            if region and fact.relation in ("place", "kind", "sector", "founded"):
                regions.setdefault(entity.key, set()).add(region)
        made = {name_key(e.fact.obj) for entity in entities.values()
                for e in entity.evidence if e.fact.relation == "worked_on" and e.fact.obj}
        for entity in entities.values():
            entity.category = _category(entity, made)
        return cls(entities, regions)

    def get(self, name: str) -> Entity | None:
        return self.entities.get(name_key(name))

    def region_of(self, entity: Entity, place: str | None = None) -> str | None:
        """The region ``place`` (by default its first place) lies in, else that of the
        documents describing it."""
        if place is not None:
            for region in sorted(self._all_regions()):
                if normalize_phrase(place) in _within_region(region) | {
                        normalize_phrase(region)}:
                    return region
        regions = self.regions_of(entity)
        return regions[0] if regions else None

    def regions_of(self, entity: Entity) -> list[str]:
        """Every region it has a place in (Sumo Digital: Sheffield and Leamington), in the
        order of its places; else the regions of the documents describing it."""
        out: list[str] = []
        for place in entity.places:
            for region in sorted(self._all_regions()):
                inside = _within_region(region)
                if normalize_phrase(place) in inside | {normalize_phrase(region)} and \
                        region not in out:
                    out.append(region)
        return out or sorted(self._regions.get(entity.key, ()))

    def _all_regions(self) -> set[str]:
        return {r for rs in self._regions.values() for r in rs}

    def organisations(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.category in (ORG, UNKNOWN) and
                (e.kinds or e.places or e.sectors or e.facts("founded") or
                 e.facts("acquired_by") or e.facts("raised"))]

    def rows(self, *, region: str | None = None, kind: str | None = None,
             sector: str | None = None) -> list[list]:
        """The organisations as table rows (see ROW_HEADER), by name, filtered."""
        out = []
        for e in sorted(self.organisations(), key=lambda e: e.name.lower()):
            where = self.region_of(e)
            if (region and where != region) or (kind and kind not in e.kinds) or \
                    (sector and sector not in e.sectors):
                continue
            out.append([e.name, "; ".join(e.kinds), "; ".join(e.places), where or "",
                        "; ".join(e.sectors), len(e.evidence),
                        len({ev.doc_id for ev in e.evidence})])
        return out

    def select(self, *, places: set[str] | None = None, sectors: Sequence[str] = (),
               kinds: Sequence[str] = (), region: str | None = None) -> list[Entity]:
        """Organisations in any of ``places`` (normalised, hierarchy already widened), in
        any of ``sectors``, of any of ``kinds``; the empty constraint matches all."""
        out = []
        for entity in self.organisations():
            if places and not entity.is_in(places):
                continue
            if sectors and not set(sectors) & (set(entity.sectors) | {
                    KIND_SECTOR[k] for k in entity.kinds if k in KIND_SECTOR}):
                continue
            if kinds and not _kind_fits(entity, kinds):
                continue
            if region and region not in self.regions_of(entity):
                continue
            out.append(entity)
        return out


def _region_words(name: str) -> str:
    return " ".join(w for w in normalize_phrase(name).replace("&", " ").split()
                    if w not in ("and", "the"))


def _within_region(region: str) -> frozenset[str]:
    """The places inside a region folder's name: "yorkshire-humber" is the gazetteer's
    "yorkshire & humber" (and "yorkshire and the humber")."""
    key = _region_words(region)
    return frozenset().union(*(inner for place, inner in places_within().items()
                               if _region_words(place) == key))


def _kind_fits(entity: Entity, kinds: Sequence[str]) -> bool:
    """"firm" asks for any firm-like organisation; "studio" also takes a games firm."""
    own = set(entity.kinds)
    if "firm" in kinds and (not own or own & {"firm", "startup", "studio", "bank"}):
        return True
    if "studio" in kinds and "games" in entity.sectors:
        return True
    return bool(own & set(kinds))


def _chunk_of(chunks: list[Chunk], fact: Fact) -> Chunk | None:
    """The chunk holding the fact's sentence (the one overlapping it most)."""
    best, overlap = None, 0
    for chunk in chunks:
        shared = min(chunk.end, fact.end) - max(chunk.start, fact.start)
        if shared > overlap:
            best, overlap = chunk, shared
    return best


def _category(entity: Entity, made: set[str]) -> str:
    if all(looks_like_person(n) for n in entity.names):
        return PERSON
    if any(e.fact.relation in ("kind", "place", "sector", "founded", "acquired_by", "raised")
           for e in entity.evidence):
        return ORG
    if entity.key in made:
        return WORK
    return ORG if len(entity.evidence) > 1 and entity.facts("worked_on") else UNKNOWN
