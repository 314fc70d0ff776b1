"""The entity table: every fact of one corpus version, merged into one row per real thing.

Names of one thing are merged by key ("4J"/"4J Studios", "tombola"/"Tombola"); each fact keeps
the chunk its sentence is in, so an answer can cite it. Places are read through the place
hierarchy: an entity in Middlesbrough is in Teesside and in the North East.
"""

from __future__ import annotations

import re
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

    @property
    def home_places(self) -> list[str]:
        """Its places but those only of an office or a site ("offices in Sheffield")."""
        return list(dict.fromkeys(e.fact.obj for e in self.evidence if e.fact.relation ==
                                  "place" and e.fact.obj and e.fact.value != "office"))

    def is_in(self, places: set[str], offices: bool = True) -> bool:
        """Whether any place it is in lies in (or is) one of ``places`` (with ``offices``
        false, not counting a place it only has an office or site in)."""
        return any(normalize_phrase(p) in places
                   for p in (self.places if offices else self.home_places or self.places))

    def hosts(self) -> list[str]:
        """The hubs it is based at ("Aforza, based at Tramshed Tech")."""
        return self.objects("based_at")


class EntityTable:
    def __init__(self, entities: dict[str, Entity],
                 regions: Mapping[str, set[str]], key_of=None,
                 doc_regions: Mapping[str, str] | None = None) -> None:
        self.entities = entities
        self._regions = regions
        self._key_of = key_of or name_key
        self._doc_regions: dict[str, str] = dict(doc_regions or {})
        self._objects: dict[str, list[tuple[Evidence, str]]] | None = None

    @classmethod
    def build(cls, facts: Iterable[tuple[str, Fact]], documents: Mapping[str, StoredDocument],
              chunks: Iterable[Chunk]) -> EntityTable:
        by_page: dict[tuple[str, int | None], list[Chunk]] = {}
        for chunk in chunks:
            by_page.setdefault((chunk.doc_id, chunk.page), []).append(chunk)
        facts = list(facts)
        key_of = _merged_keys(facts)
        entities: dict[str, Entity] = {}
        regions: dict[str, set[str]] = {}
        for doc_id, fact in facts:
            chunk = _chunk_of(by_page.get((doc_id, fact.page), []), fact)
            evidence = Evidence(doc_id, chunk.chunk_id if chunk else None, fact,
                                max(0, fact.start - chunk.start) if chunk else 0,
                                min(len(chunk.text), fact.end - chunk.start) if chunk else 0)
            key = key_of(fact.subject)
            entity = entities.setdefault(key, Entity(key))
            entity.names[fact.subject] += 1
            entity.evidence.append(evidence)
            region = documents[doc_id].region if doc_id in documents else None
            if region and fact.relation != "mention":
                regions.setdefault(entity.key, set()).add(region)
        made = {key_of(e.fact.obj) for entity in entities.values()
                for e in entity.evidence if e.fact.relation == "worked_on" and e.fact.obj}
        for entity in entities.values():
            entity.category = _category(entity, made)
        return cls(entities, regions, key_of,
                   {d: doc.region for d, doc in documents.items() if doc.region})

    def get(self, name: str) -> Entity | None:
        return self.entities.get(self._key_of(name))

    def about(self, keys: set[str], relations: set[str]) -> list[tuple[Evidence, str]]:
        """The facts of ``relations`` whose subject or object is one of ``keys``, each with its
        subject's key: read from an index, not the whole table (a question asks this)."""
        out = [(e, k) for k in keys if k in self.entities
               for e in self.entities[k].evidence if e.fact.relation in relations]
        out += [(e, k) for key in keys for e, k in self._by_object().get(key, ())
                if e.fact.relation in relations and k not in keys]
        return out

    def _by_object(self) -> dict[str, list[tuple[Evidence, str]]]:
        if self._objects is None:
            self._objects = {}
            for entity in self.entities.values():
                for e in entity.evidence:
                    if e.fact.obj and e.fact.relation not in ("kind", "place", "sector",
                                                              "mention"):
                        self._objects.setdefault(self._key_of(e.fact.obj), []).append(
                            (e, entity.key))
        return self._objects

    def key(self, name: str) -> str:
        """The key of the entity ``name`` names (its other names merged: "THG" is The Hut
        Group's)."""
        return self._key_of(name)

    def named_in(self, text: str) -> list[Entity]:
        """The entities a question names, in any case ("what games has sumo digital made?"),
        longest name first and each once; words inside a longer name found are not
        looked up again ("Sumo Digital", not also "Sumo")."""
        words = re.findall(r"[\w.&'’+-]+", text)
        found: list[Entity] = []
        # A place's words name no firm ("North West studios": no "North"), though a longer
        # name may hold a place ("Greater Manchester AI Foundry").
        places = [set(range(i, i + n)) for i in range(len(words)) for n in range(1, 4)
                  if normalize_phrase(" ".join(words[i:i + n])) in places_within()]
        taken: set[int] = set()
        for n in range(min(7, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                span = set(range(i, i + n))
                if taken & span or any(span <= p for p in places):
                    continue
                phrase = " ".join(words[i:i + n]).removesuffix("'s").removesuffix("’s")
                entity = self.entities.get(self._key_of(phrase))
                if entity is None or (n == 1 and _common_word(words[i]) and
                                      words[i][:1].islower()):
                    continue
                if entity.category in (PERSON, WORK) or normalize_phrase(phrase) in \
                        places_within():
                    continue
                if entity not in found:
                    found.append(entity)
                taken |= set(range(i, i + n))
        return found

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

    def regions_of_document(self, doc_id: str) -> list[str]:
        region = self._doc_regions.get(doc_id)
        return [region] if region else []

    def _all_regions(self) -> set[str]:
        return {r for rs in self._regions.values() for r in rs}

    def organisations(self) -> list[Entity]:
        return [e for e in self.entities.values() if e.category in (ORG, UNKNOWN) and
                any(f.fact.relation in _DESCRIBES for f in e.evidence)]

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
            if kinds and not kind_fits(entity, kinds):
                continue
            if region and region not in self.regions_of(entity):
                continue
            out.append(entity)
        return out


def _merged_keys(facts: list[tuple[str, Fact]]):
    """One key per real thing: names share a key when ``name_key`` says so ("4J Studios",
    "4J"), when a document says one is the other's other name ("The Hut Group (THG)",
    "Ultraleap began as Ultrahaptics", "Catalyst (formerly Northern Ireland Science Park)"),
    and when a one-word name is the start of exactly one longer name, in its document and in
    the corpus ("Tramshed" and "Tramshed Tech"; not "Boho" with "Boho Zone" and "Boho One",
    nor "Rockstar" with "Rockstar Leeds" and "Rockstar North")."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:  # the longer key names the group ("the hut group" over "thg")
            keep, drop = (ra, rb) if len(ra) >= len(rb) else (rb, ra)
            parent[drop] = keep

    by_doc: dict[str, set[str]] = {}
    for doc_id, fact in facts:
        by_doc.setdefault(doc_id, set()).add(name_key(fact.subject))
        if fact.obj and fact.relation in _NAMED_OBJECTS:
            by_doc[doc_id].add(name_key(fact.obj))
        if fact.relation == "alias" and fact.obj:
            union(name_key(fact.subject), name_key(fact.obj))
    squeezed: dict[str, str] = {}  # "Auto Trader" and "Autotrader"
    for key in {k for keys in by_doc.values() for k in keys}:
        union(key, squeezed.setdefault(key.replace(" ", ""), key))
    # Longer names by their first word, counted once in the corpus ("rockstar" -> 2); a
    # scan of every name for each one-word name made opening a large store quadratic.
    starting = Counter(k.split(" ", 1)[0] for k in
                       {k for keys in by_doc.values() for k in keys} if " " in k)
    for keys in by_doc.values():
        longer_in_doc: dict[str, list[str]] = {}
        for k in keys:
            if " " in k:
                longer_in_doc.setdefault(k.split(" ", 1)[0], []).append(k)
        for key in keys:
            if " " in key:
                continue
            longer = longer_in_doc.get(key, [])
            # "Rockstar" is no one of "Rockstar Leeds", "Rockstar North", ... anywhere
            if len(longer) == 1 and starting[key] == 1:
                union(key, longer[0])
    return lambda name: find(name_key(name))


# What makes a name an organisation the table lists: something said of it beyond a mention.
_DESCRIBES = frozenset({"kind", "place", "sector", "founded", "acquired_by", "raised",
                        "invested_by", "based_at", "run_by", "backed_by", "founded_by"})
# Relations whose object is an organisation's name ("based at Tramshed", "part of the
# Keywords group").
_NAMED_OBJECTS = frozenset({"acquired_by", "based_at", "invested_by", "backed_by"})


def _common_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= 4.0


def _region_words(name: str) -> str:
    return " ".join(w for w in normalize_phrase(name).replace("&", " ").split()
                    if w not in ("and", "the"))


def _within_region(region: str) -> frozenset[str]:
    """The places inside a region folder's name: "yorkshire-humber" is the gazetteer's
    "yorkshire & humber" (and "yorkshire and the humber")."""
    key = _region_words(region)
    return frozenset().union(*(inner for place, inner in places_within().items()
                               if _region_words(place) == key))


def kind_fits(entity: Entity, kinds: Sequence[str]) -> bool:
    """"firm" asks for any firm-like organisation; "studio" also takes a games firm. One
    nothing says the kind of counts when something shows it is a going concern (a place, a
    founding, a deal, staff, work): a name with only a sector around it ("Lemmings",
    "Driver" in a games paragraph) is more often a title than a firm."""
    own = set(entity.kinds)
    if not own and not (entity.places or any(e.fact.relation in _GOING_CONCERN
                                             for e in entity.evidence)):
        return False
    if "firm" in kinds and (not own or own & {"firm", "startup", "studio", "bank"}):
        return True
    if "startup" in kinds and not own:
        return True  # a firm nothing says the kind of may be the startup asked for
    if "studio" in kinds and "games" in entity.sectors:
        return True
    return bool(own & set(kinds))


_GOING_CONCERN = frozenset(["founded", "founded_by", "acquired_by", "raised", "invested_by",
                            "based_at", "employs", "worked_on", "alias"])


def _chunk_of(chunks: list[Chunk], fact: Fact) -> Chunk | None:
    """The chunk holding the fact's sentence (the one overlapping it most)."""
    best, overlap = None, 0
    for chunk in chunks:
        shared = min(chunk.end, fact.end) - max(chunk.start, fact.start)
        if shared > overlap:
            best, overlap = chunk, shared
    return best


def _category(entity: Entity, made: set[str]) -> str:
    # What it is said to be or to have done makes a firm of a name that looks like a
    # person's ("Morgan Stanley", "Karen Millen" the brand).
    if any(e.fact.relation in ("kind", "sector", "founded", "acquired_by", "raised",
                               "based_at", "invested_by") for e in entity.evidence):
        return ORG
    if all(looks_like_person(n) for n in entity.names):
        return PERSON
    if any(e.fact.relation == "place" for e in entity.evidence):
        return ORG
    if entity.key in made:
        return WORK
    return ORG if len(entity.evidence) > 1 and entity.facts("worked_on") else UNKNOWN
