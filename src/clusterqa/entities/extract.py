"""Facts from a document's text, by rules: who is what, where, in which sector, and who founded,
bought, funded, hosted or made what, each with the sentence that states it.

Reads paragraph by paragraph. A paragraph is about what its first name names (a profile, a
list item), so "It", "The firm", "the studio" or "The Leamington studio" later in it is that
entity (or the last sentence's subject). A lead-in says what the paragraph's firms are:
"Games." gives a sector, "Startups:" a kind, "Sheffield:" or "Cornish software:" a place,
"Boho Zone, Middlesbrough:" names what the paragraph is about. Around each organisation's
name, the words that describe it give its kind, place and sector (describe.py); the clause it
stands in gives its relations (relations.py).

Relations (``Fact.relation``): mention, kind, place, sector, founded, founded_by,
founders_from (where the founders came from), acquired_by, raised, invested_by, backed_by,
based_at (a tenant of a hub), employs, worked_on, alias (another name of the same thing).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from clusterqa.analysis.places import demonym_place
from clusterqa.entities.describe import (
    describe,
    describe_reference,
    enumeration,
    from_name,
    takes_label,
)
from clusterqa.entities.lexicon import kind_words, sector_words, sectors_in
from clusterqa.entities.names import (
    ORG,
    PLACE,
    Mention,
    find_names,
    is_place,
    opens_sentence,
)
from clusterqa.entities.relations import Clause, relate
from clusterqa.text import SOURCE_MARKER, sentence_spans
from clusterqa.types import Document, Fact


def _rules_version() -> str:
    """A digest of the rules (these modules and the lexicon): stored with the facts, so any
    change of rules re-extracts every document (from stored text, nothing re-embedded)."""
    digest = hashlib.sha256()
    for name in ("extract.py", "describe.py", "relations.py", "clause.py", "ties.py", "works.py",
                 "names.py", "lexicon.py",
                 "data/lexicon.yaml", "data/first_names.txt"):
        digest.update(resources.files("clusterqa.entities").joinpath(name).read_bytes())
    for name in ("places.yaml", "demonyms.yaml"):
        digest.update(resources.files("clusterqa.analysis.data").joinpath(name).read_bytes())
    return "8-" + digest.hexdigest()[:12]


EXTRACTOR_VERSION = _rules_version()

YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_ANAPHOR = re.compile(
    r"(?:(?i:it|its|they|their|this|his|her)|The (?:[\w'’-]+ ){0,4}?(?P<kind>\w+))\b"
    r"(?!\s+(?:of|in)\b)")
# What may stand before a clause's subject: "In 2018", "By early 2024", "at that point".
_OPENER = re.compile(r"\s*(?:(?:in|by|since|from|after|at|on) [^,]{0,30}?(?:\d{4}|point|time)"
                     r",?\s+|then,?\s+|later,?\s+)?", re.I)
_VERBISH = re.compile(r"\b(?:is|was|are|were|has|had|have|said|says|told|added|wrote|"
                      r"announced|explained)\b")
# "Sheffield: ...", "Cornish software: ...", "Boho Zone, Middlesbrough: ...".
_LABEL_PREFIX = re.compile(r"^\s*(?P<label>[^:;.!?\"“]{2,60}?):\s+(?=\S)")
_CLAUSE_CUT = re.compile(r";\s*|,? and (?=(?:it|its|they)\b)|, and (?=[A-Z])|"
                         r" and (?=(?:[\w-]+ ){0,4}?[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)* "
                         r"(?:raised|was|were|bought|acquired|sold|opened|launched)\b)|"
                         r", (?=[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)* (?:raised|was|were|bought|"
                         r"acquired|sold|opened|launched)\b)")
# Verbs whose object is another firm than their subject: "SoftBank agreed to buy the designer".
_DEAL_VERB = re.compile(r"\b(?:buy|bought|buying|acquire[ds]?|acquiring|take over|took over|"
                        r"taking over|invest(?:ed|s)? in|backed|backs|merge[ds]? with|"
                        r"partner(?:ed|s)? with|sold|sell)\b")
# A definite description or pronoun standing for the entity a paragraph is about: "bought
# it", "the studio", "the Southam publisher", "The Cardiff insurer". Lower-case words or
# places may describe it; a name right after ("the studio Reflections") makes it no reference.
_REFERENCE_NOUNS = ("plant", "site", "fab", "foundry", "ISP")
# The kinds a reference may stand for: "the government" or "the council" is no firm's name.
_REFERENCE_KINDS = frozenset({"firm", "startup", "studio", "bank"})


@lru_cache(maxsize=1)
def _reference() -> re.Pattern:
    nouns = sorted([w for w, k in kind_words().items() if k in _REFERENCE_KINDS] +
                   list(_REFERENCE_NOUNS), key=len, reverse=True)
    return re.compile(rf"(?<![\w'’])(?:(?P<it>it|It)\b(?!['’])|(?P<the>[Tt]he) (?P<desc>"
                      rf"(?:[\w'’-]+ ){{0,3}}?)(?P<kind>{'|'.join(nouns)})\b"
                      rf"(?! (?:of|[A-Z0-9]))(?!['’]))")


@dataclass
class Paragraph:
    """What a paragraph has said so far: what it is about and what its lead-in says."""

    topic: str | None = None
    previous: str | None = None  # the last sentence's subject
    sectors: set[str] = field(default_factory=set)  # from a lead-in ("Games.")
    kind: str | None = None  # "Startups:"
    place: str | None = None  # "Sheffield:", "Cornish software:"
    last_place: str | None = None  # the place named last ("the town's Lab42")
    # The organisation named last: a paragraph of an article that opens "The scaleup digital
    # entertainment firm ..." is about the firm the paragraph before it named last.
    named: str | None = None
    brands: re.Pattern | None = None  # the document's lower-case brands ("boohoo")
    # One-word names the document gives mid-sentence ("... and Arm listed on Nasdaq"): such a
    # word opening a sentence is the name, though it is a common word ("Arm was founded").
    openers: frozenset[str] = frozenset()


def extract(document: Document) -> list[Fact]:
    """Every fact the rules find in ``document``, in reading order."""
    facts: list[Fact] = []
    brands, openers = _document_names(document)
    for page in document.pages:
        named: str | None = None  # the organisation the last paragraph named last
        for start, end in _paragraphs(page.text):
            para = Paragraph(named=named, brands=brands, openers=openers)
            facts.extend(_paragraph(page.text, start, end, page.number, para))
            named = para.named
    return facts


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    for match in re.finditer(r"\S(?:.*\S)?(?:\n(?!\s*\n).*\S)*", text):
        yield match.start(), match.end()


def _paragraph(text: str, p_start: int, p_end: int, page: int | None, para: Paragraph
               ) -> list[Fact]:
    facts: list[Fact] = []
    for s_start, s_end in sentence_spans(text[p_start:p_end]):
        start, end = p_start + s_start, p_start + s_end
        # The brief's [S<n>] source marks become blanks: same offsets, no names.
        sentence = SOURCE_MARKER.sub(lambda m: " " * len(m.group()), text[start:end])
        sentence = sentence.replace("\n", " ")  # a line break inside a sentence is a space
        said = " ".join(text[start:end].split())  # as written, [S<n>] marks and all

        def fact(subject: str, relation: str, obj: str | None = None, value: str | None = None,
                 year: int | None = None, *, start=start, end=end, said=said) -> None:
            facts.append(Fact(subject, relation, obj, value, year, page, start, end, said))

        words = sentence.strip().rstrip(".:").split()
        if para.topic is None and len(words) <= 5 and sentence.rstrip().endswith((".", ":")) \
                and _is_label(sentence) and not re.search(r"\d{4}", sentence):
            _lead_in(sentence, para, fact)  # "Games.", "Startups:", "Boho Zone, Middlesbrough:"
            continue
        prefix = _LABEL_PREFIX.match(sentence)
        labelled = False
        if prefix and para.topic is None and _is_label(prefix.group("label")):
            _lead_in(prefix.group("label"), para, fact)
            sentence = " " * prefix.end() + sentence[prefix.end():]
            labelled = para.topic is not None
        _sentence(sentence, para, fact, labelled)
    return facts


def _is_label(text: str) -> bool:
    """A lead-in before a colon names something ("Sheffield", "Cornish software", "Boho Zone,
    Middlesbrough"); "Manchester anchors the region" or "He said" is a sentence."""
    bare = re.sub(r"\(.*?\)", " ", text)
    return len(bare.split()) <= 6 and not _VERBISH.search(bare) and not re.search(
        r"\b(?:the|it|he|she|they|we)\b", bare)


def _lead_in(label: str, para: Paragraph, fact) -> None:
    """What a lead-in says of the paragraph: a sector, a kind, a place, or its subject."""
    para.sectors = sectors_in(re.sub(r"\(.*?\)|\".*?\"", " ", label))
    para.kind = next((kind_words()[w.lower()] for w in label.split()
                      if w.lower() in kind_words()), None)
    found = find_names(label)
    places = [m.text for m in found if m.category == PLACE] + [
        w for w in re.findall(r"[A-Z][a-z]+", label) if demonym_place(w)]
    # A lead-in names its subject only when it is all name ("Boho Zone, Middlesbrough",
    # "Derry and Strabane City Deal"); "Compound semiconductors." is a sector.
    bare = re.sub(r"\(.*?\)", " ", label)
    named = not re.search(r"\b(?!(?:of|and|for|the|&)\b)[a-z][\w-]*", bare)
    names = [m for m in found if named and m.category != PLACE and m.text.lower() not in
             kind_words() and m.text.lower() not in sector_words() and not demonym_place(m.text)]
    if names:
        # "WMG, University of Warwick:" names what the paragraph is about; its words say
        # nothing of the other names in it.
        para.topic, para.kind, para.sectors = names[0].text, None, set()
        for place in places:
            fact(para.topic, "place", place)
        formerly = re.search(r"\(formerly (?:known as )?([A-Z][^)]*)\)", label)
        if formerly:  # "Catalyst (formerly Northern Ireland Science Park):"
            fact(para.topic, "alias", formerly.group(1).strip())
    elif places:
        place = demonym_place(places[0])
        para.place = place.title() if place else places[0]
        para.last_place = para.place


def _sentence(sentence: str, para: Paragraph, fact, labelled: bool = False) -> None:
    """The facts of one sentence; ``labelled`` when a lead-in just named its subject
    ("Tramshed Tech, Cardiff: workspace in ...")."""
    names = find_names(sentence)
    mentions = [_without_kind(m, sentence) for m in _brands(sentence, para.brands) +
                _opening_name(sentence, names, para.openers) + names
                if not _descriptive(m.text)]
    subjects: list[str] = []
    referred: str | None = None  # what "it" or "the studio" stood for earlier in the sentence
    if para.topic is None and para.previous is None and _DESCRIBED_OPENING.match(sentence):
        para.topic = para.named  # "The scaleup digital entertainment firm, based in ..."
    for c_start, c_end in _clauses(sentence):
        clause = sentence[c_start:c_end]
        inside = [Mention(m.text, m.start - c_start, m.end - c_start, m.category)
                  for m in mentions if c_start <= m.start < c_end]
        # A pronoun means the last sentence's subject (in a profile, the topic); after
        # "Flutter bought it", "it had 700 staff" is still what was bought.
        antecedent = referred or (subjects[0] if subjects else para.previous or para.topic)
        subject = para.topic if labelled and not subjects and re.match(r"\s*[a-z]", clause) \
            else _subject(clause, inside, antecedent)
        if subject is None:
            continue
        # "bought it", "the plant": what the paragraph is about (a buyer named in between is
        # not what was bought), or, opening a paragraph, what the clause is about ("X was
        # based in Wilmslow when Y acquired it").
        refs = _references(clause, inside, subjects[0] if subjects else
                           para.topic or para.previous or subject, para.named)
        subjects.append(subject)
        referred = next((r.text for r in refs if r.text != subject), referred)
        # (the pronoun or description a clause opens with is its subject, not an object)
        opening = _OPENER.match(clause).end() + 1
        everything = sorted([*inside, *(r for r in refs if r.start > opening)],
                            key=lambda m: m.start)
        relate(Clause(clause, subject, everything, antecedent, YEAR.findall(sentence),
                      para.last_place), fact)
        for ref in refs:
            describe_reference(clause, ref, fact)
    if subjects:
        para.topic = para.topic or subjects[0]
        para.previous = referred or subjects[0]
    for m in mentions:
        if m.category == PLACE:
            para.last_place = m.text
        if m.category != ORG:
            continue
        para.named = m.text
        fact(m.text, "mention")
        from_name(m.text, fact)
        if m.text in subjects or takes_label(sentence, m):
            for sector in para.sectors:
                fact(m.text, "sector", sector)
            if para.kind:
                fact(m.text, "kind", para.kind)
            if para.place:
                fact(m.text, "place", para.place)
        describe(sentence, m, para.last_place, fact)
    enumeration(sentence, mentions, fact)


def _lower_case_name(sentence: str) -> list[Mention]:
    """A brand written in lower case ("tombola", "boohoo") is a name when the sentence opens
    with it and describes it: "tombola, the Sunderland online bingo company, ...", "boohoo
    was started in Manchester"."""
    match = re.match(r"\s*([a-z][\w.&-]*[\d&.-][\w.&-]*|[a-z][\w.&-]+)(?=, (?:the|a|an) |"
                     r" (?:was|is|has|had) )", sentence)
    if not match or match.group(1) in _COMMON_OPENERS:
        return []
    return [Mention(match.group(1), match.start(1), match.end(1), ORG)]


def _document_names(document: Document) -> tuple[re.Pattern | None, frozenset[str]]:
    """What the whole document says of names, read before its facts (one pass over its
    sentences):

    - the brands it writes in lower case, found where a sentence opens with one and describes
      it; then found wherever the document names them ("as many $1bn companies as Amsterdam:
      boohoo, AO.com ..."), as a pattern;
    - the one-word names it uses inside a sentence, where capitals mean a name.
    """
    brands: set[str] = set()
    openers: set[str] = set()
    for page in document.pages:
        for start, end in sentence_spans(page.text):
            brands.update(m.text for m in _lower_case_name(page.text[start:end]))
            sentence = SOURCE_MARKER.sub(lambda m: " " * len(m.group()), page.text[start:end])
            openers.update(m.text for m in find_names(sentence) if m.category == ORG and
                           " " not in m.text and not opens_sentence(sentence, m.start))
    if not brands:
        return None, frozenset(openers)
    names = "|".join(sorted(map(re.escape, brands), key=len, reverse=True))
    return re.compile(rf"(?<![\w.-])({names})(?![\w-])"), frozenset(openers)


def _opening_name(sentence: str, names: list[Mention], openers: frozenset[str]
                  ) -> list[Mention]:
    """The sentence's first word when the document names it so elsewhere and the name rules,
    seeing a common word open a sentence, let it go ("Arm was founded in 1990")."""
    first = re.match(r"\s*([A-Z][\w&'-]*)", sentence)
    if first is None or first.group(1) not in openers:
        return []
    if any(m.start == first.start(1) for m in names):  # the name rules found it already
        return []
    return [Mention(first.group(1), first.start(1), first.end(1), ORG)]


def _brands(sentence: str, brands: re.Pattern | None) -> list[Mention]:
    if brands is None:
        return []
    return [Mention(m.group(1), m.start(1), m.end(1), ORG) for m in brands.finditer(sentence)]


_COMMON_OPENERS = frozenset(["it", "this", "that", "there", "here", "which", "who", "what",
                             "he", "she", "they", "we", "one", "each", "both", "all", "some"])


def _descriptive(name: str) -> bool:
    """A capitalised description, no name: "AI" in "AI company Automise", "Bristol AI" in
    "the Bristol AI chip designer" (a place and a sector word)."""
    words = name.split()
    rest = " ".join(words[1:]).lower()
    return name.lower() in sector_words() or (
        len(words) > 1 and is_place(words[0]) and rest in sector_words())


def _without_kind(m: Mention, sentence: str) -> Mention:
    """"Startup Paid, based in Darlington": a sentence's capital on a kind noun is no part
    of the name."""
    first, _, rest = m.text.partition(" ")
    if rest[:1].isupper() and not sentence[:m.start].strip() and first.lower() in kind_words():
        return Mention(rest, m.start + len(first) + 1, m.end, m.category)
    return m


_DESCRIBED_OPENING = re.compile(r"\s*The (?:[\w'’-]+ ){0,4}?(?:firm|company|studio|startup|"
                                r"business|group|developer|scaleup|bank)\b")


def _clauses(sentence: str) -> Iterator[tuple[int, int]]:
    """Clauses that may have subjects of their own: "Partnerize raised $9m, Moltin raised
    $8m ..., and Rocket 9 was sold to LeoVegas" is three."""
    start = 0
    for cut in _CLAUSE_CUT.finditer(sentence):
        if not re.search(r"(?<![\w'’])[a-z]{2,}", sentence[start:cut.start()]):
            continue  # "Kontainers and Moltin were both bought": one subject of two names
        yield start, cut.start()
        start = cut.end()
    yield start, len(sentence)


def _references(clause: str, mentions: list[Mention], antecedent: str | None,
                named: str | None = None) -> list[Mention]:
    """"it", "the studio", "the Southam publisher" in a clause, each standing for
    ``antecedent``: not an appositive ("Pixel Toys, the Leamington studio") and not a
    description followed by its name ("the studio Reflections"). A description that a deal
    verb makes the object of the antecedent named in this clause is another firm: the one
    named before (``named``), as in "SoftBank agreed to buy the Cambridge chip designer"."""
    if antecedent is None:
        return []
    out = []
    for match in _reference().finditer(clause):
        target = antecedent
        if match.group("the") and any(
                m.text == antecedent and m.end <= match.start() and
                _DEAL_VERB.search(clause, m.end, match.start()) for m in mentions):
            if named is None or named == antecedent:
                continue
            target = named
        if match.group("the"):
            desc = match.group("desc").split()
            if any(w[:1].isupper() and not any(m.category == PLACE and w in m.text
                                               for m in mentions) for w in desc):
                continue  # "the Keywords group": a name, not a reference
            if re.search(r"\w[\w'’.)]*,\s*$", clause[:match.start()]) and match.start() > 0 \
                    and not re.search(r"\b(?:and|by|to|for|of|from|with|in)\s*$",
                                      clause[:match.start()]):
                continue  # an appositive: it describes the name before it
        out.append(Mention(target, match.start(), match.end(), ORG, ref=True))
    return out


def _subject(clause: str, mentions: list[Mention], antecedent: str | None) -> str | None:
    """Who a clause is about: the antecedent when it opens with a pronoun or "The <kind>",
    else its first organisation (before any verb of its own); a clause with neither (a
    profile's "set up in 2009, it has hosted ...") is about the antecedent too."""
    opener = _OPENER.match(clause)
    anaphor = _ANAPHOR.match(clause, opener.end() if opener else 0)
    if anaphor and (anaphor.group("kind") is None or
                    anaphor.group("kind").lower() in kind_words()):
        return antecedent  # None when nothing came before: "Its anchor firms" of a cluster
    for m in mentions:
        if m.category == ORG and not re.search(r"\b(?:is|was|were|has|had|bought|acquired)\b",
                                               clause[:m.start]):
            return m.text
    if any(m.category == ORG for m in mentions) and antecedent is None:
        return None
    return antecedent
