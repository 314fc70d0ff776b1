"""Kind, place and sector from the words around an organisation's name: "Newcastle studio
Reflections", "Middlesbrough's Double Eleven", "tombola, the Sunderland online bingo company",
"IQE, headquartered in Cardiff", "XMOS ... is based on Wine Street in Bristol", "The Cardiff
insurer", "the town's Lab42", and the lead-in or list a name stands in.
"""

from __future__ import annotations

import re

from clusterqa.analysis.places import demonym_place, places_within
from clusterqa.entities.lexicon import kind_pattern, kind_words, sectors_in
from clusterqa.entities.names import ORG, PLACE, Mention, find_names, is_place

# Where a firm is: "based in", "headquartered in", "registered at Tech Hub in Swansea",
# "has factories in Newport", "a 60,000 sq ft office at No 1 First Street in Manchester".
WHERE = re.compile(r"\b(?:based|headquartered|located|registered|born|started out|started|"
                    r"began|(?P<office>factories|factory|offices?|sites?|plants?|operations)|"
                    r"studios?|headquarters|head office|base|campus|foundry|centre|center) "
                    r"(?:in|at|on) (?P<where>[^,;.()]{1,60})")
# A place "where" gives as one of a firm's offices or sites (not its home) is marked so: a
# list of "Sheffield companies" leaves out a Leeds firm with a Sheffield office.
OFFICE = "office"
_IMMEDIATE = re.compile(r"\s*(?:\[[^\]]*\]\s*)?(?:,\s*(?:(?:a|an|the) [^,;]{0,50}?,?\s+)?)?"
                        r"(?:(?:is|was|are|were|now|has|had|have) )?(?:its |their )?(?:main )?")
_WORDS_BEFORE_LABELLED = re.compile(
    r"(?:^|[,;:(]|\band|\bor|\binclude[sd]?|\bincluding|\bsuch as|\blike|\bas well as|"
    r"\bthen|\balso|['’]s)\s*(?:the\s+)?$")


def describe(sentence: str, m: Mention, last_place: str | None, fact) -> None:
    """Kind, place and sector from the words around an organisation's name."""
    kinds = kind_pattern()
    # The words just before the name: a long window would make these searches quadratic
    # on a page of figures, and a description is a few words.
    before = sentence[max(0, m.start - 80):m.start]
    pre = re.search(rf"(?:^|[\s(,])(?P<desc>(?:[\w'’-]+ ){{0,3}}?)(?P<kind>{kinds}) $",
                    before, re.I)
    if pre and not re.search(r"\b(?:by|and|of|from|with)\s*$", before[:pre.start("desc") + 1]):
        descriptor(m.text, pre.group("desc"), pre.group("kind"), before[:pre.start()], fact)
    post = re.match(rf" (?P<kind>{kinds})\b", sentence[m.end:])
    if post and re.search(r"\b(?:the|a|an)\s+$", before) and not \
            m.text.lower().endswith(post.group("kind").lower()):
        fact(m.text, "kind", kind_words()[post.group("kind").lower()])  # "the AI Wales network"
    possessive = re.search(r"([A-Z][\w’' -]*?)(?:'s|’s) $", before)
    if possessive and is_place(possessive.group(1)):
        fact(m.text, "place", possessive.group(1))
    if last_place and re.search(r"\b(?:the|this) (?:town|city|region)(?:'s|’s) $", before):
        fact(m.text, "place", last_place)  # "the town's Lab42": the place just named
    after = sentence[m.end:]
    appos = re.match(rf"\s*(?:\[[^\]]*\]\s*)?(?:\([^)]{{1,40}}\)\s*)?,? (?:is |was |has become |"
                     rf"became )?(?:the|a|an|"
                     rf"one of the|(?P<owner>[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?)(?:'s|’s|')) "
                     rf"(?P<desc>[^,;()]{{0,70}})\b(?P<kind>{kinds})\b(?P<rest>[^,;]{{0,60}})",
                     after, re.I)
    if appos:
        descriptor(m.text, appos.group("desc"), appos.group("kind"), "", fact)
        if appos.group("owner") and is_place(appos.group("owner")):
            fact(m.text, "place", appos.group("owner"))
        for sector in sectors_in(appos.group("rest")) - sectors_in(appos.group("desc")):
            fact(m.text, "sector", sector)
    whose = re.match(r"\s*,? whose (?:campus|headquarters|head office|base|home|offices?) "
                     r"(?:is|are|was) (?:in|at) (?:nearby )?(?P<place>[A-Z][\w’'-]*"
                     r"(?: [A-Z][\w’'-]*)*)", after)
    if whose and is_place(whose.group("place")):
        fact(m.text, "place", whose.group("place"))
    # Right after the name or its appositive: "IQE, headquartered in Cardiff", "SPTS, a maker
    # of etch equipment, has its headquarters in Newport" (what a clause says further on
    # is its subject's: relations.py).
    based = WHERE.match(after, len(_IMMEDIATE.match(after).group()))
    if based and not re.search(r",\s*(?:which|who|whose|that)\b[^,]*$", before):
        place = first_place(based.group("where"))
        if place:
            fact(m.text, "place", place, OFFICE if based.group("office") else None)
    chose = re.match(r"[^;.]{0,40}?\b(?:chose|picked|selected) (?P<place>[A-Z][\w’'-]*"
                     r"(?: [A-Z][\w’'-]*)*) (?:for|as) (?:its|their)\b", after)
    if chose and is_place(chose.group("place")):
        fact(m.text, "place", chose.group("place"))
    opened = re.match(r"[^;.,]{0,40}?\b(?:opened|set up|launched|moved to) (?:an?|its|their|the) "
                      r"(?:first |new |own )?(?P<place>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*) "
                      rf"(?:{kinds}|office|base|headquarters)\b", after)
    if opened and is_place(opened.group("place")):
        fact(m.text, "place", opened.group("place"),
             OFFICE if opened.group().endswith("office") else None)


def describe_reference(clause: str, ref: Mention, fact) -> None:
    """"The Cardiff insurer", "the Liverpool studio": the kind and place of what they stand
    for."""
    words = clause[ref.start:ref.end].split()
    if len(words) >= 2 and words[-1].lower() in kind_words():
        descriptor(ref.text, " ".join(words[1:-1]), words[-1], "", fact)
        based = re.match(r"\s*,\s*(?:based|headquartered|located) (?:in|at) (?P<where>[^,;.()]"
                         r"{1,60})", clause[ref.end:])
        if based and first_place(based.group("where")):
            fact(ref.text, "place", first_place(based.group("where")))


def first_place(text: str) -> str | None:
    """The first gazetteer place in a short phrase ("Wine Street in Bristol")."""
    for m in find_names(text):
        if m.category == PLACE:
            return m.text
    return None


def takes_label(sentence: str, m: Mention) -> bool:
    """Whether a paragraph's lead-in ("Startups:", "Sheffield:") describes this name: it
    stands as a subject or in a list ("A, B and C"), not as the object of a preposition or
    verb ("sold to BT", "based at Tramshed Tech") or inside brackets."""
    before = sentence[:m.start]
    if before.count("(") > before.count(")"):
        return False
    if re.search(r"\b(?:a|an)\s+$", before):
        return False  # "a Tramshed tenant": the name describes something else
    if re.search(rf"\b(?:{kind_pattern()})\s+$", before, re.I):
        return True  # "software firm FD Technologies"
    return bool(_WORDS_BEFORE_LABELLED.search(before))


def from_name(name: str, fact) -> None:
    """What a name itself says: "Playground Games" (a games firm), "4J Studios" (a studio),
    "Newport Wafer Fab" and "Newcastle University" (in Newport, in Newcastle), "Rockstar
    Leeds" and "University of Bristol" (a studio in Leeds, in Bristol)."""
    for sector in sectors_in(name):
        fact(name, "sector", sector)
    words = name.split()
    if len(words) > 1 and words[-1].lower() in kind_words():
        fact(name, "kind", kind_words()[words[-1].lower()])
    elif len(words) > 2 and words[1] == "of" and words[0].lower() in kind_words():
        fact(name, "kind", kind_words()[words[0].lower()])  # "University of Sheffield"
    for j in range(len(words) - 1, 0, -1):
        if is_place(" ".join(words[:j])):
            fact(name, "place", " ".join(words[:j]))
            return
    # A town closing a name places it; an area or region there ("Allstate NI", "Digital
    # Catapult North East") says less than the sentences will (an area holds many places).
    for j in range(1, len(words)):
        place = " ".join(words[j:])
        if words[j][:1].isupper() and is_place(place) and \
                len(places_within().get(place.lower(), ())) <= 3:
            fact(name, "place", place)
            return


def descriptor(name: str, desc: str, kind_word: str, lead: str, fact) -> None:
    """"Newcastle studio": place and kind; "online bingo company": sector and kind;
    "Bolton-based online retailer": place too."""
    fact(name, "kind", kind_words()[kind_word.lower()])
    words = [re.sub(r"(?:'s|’s|-based|-born|-headquartered)$", "", w) for w in desc.split()]
    for i in range(len(words)):  # "Other Warwickshire studios": the longest place in it
        for j in range(len(words), i, -1):
            if words[i][:1].isupper() and is_place(" ".join(words[i:j])):
                fact(name, "place", " ".join(words[i:j]))
                break
        else:
            if words[i][:1].isupper() and demonym_place(words[i]):
                fact(name, "place", words[i])
                break
            continue
        break
    lead_place = re.search(r"([A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)(?:'s|’s)? $", lead)
    if lead_place and is_place(lead_place.group(1)):
        fact(name, "place", lead_place.group(1))
    for sector in sectors_in(f"{desc} {kind_word}"):
        fact(name, "sector", sector)


_ENUMERATION_CUE = re.compile(r"\s+(?:include|includes|included|including|such as|like|are|"
                              r"were)\b", re.I)


def enumeration(sentence: str, mentions: list[Mention], fact) -> None:
    """"Other Warwickshire studios include A, B and C": each listed name gets the kind, place
    and sector the words before the list give (the list ends where names stop following
    each other: "firms such as A and B, attract graduates ... of STEM" lists two)."""
    for cue in _ENUMERATION_CUE.finditer(sentence):
        # The kind noun just before the cue (a short window keeps this linear).
        start = max(0, cue.start() - 80)
        head = re.search(rf"(?P<desc>(?:[\w'’-]+ ){{0,3}}?)(?P<kind>{kind_pattern()})$",
                         sentence[start:cue.start()], re.I)
        if not head:
            continue
        if re.search(r"\bof (?:its |the |their )?(?:[\w'’-]+ ){0,2}$",
                     sentence[start:start + head.start("kind")]):
            continue  # "tenants of its SETsquared centre include": the centre is no head
        cursor = cue.end()
        for m in (m for m in mentions if m.start >= cue.end()):
            gap = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", sentence[cursor:m.start])
            if not re.fullmatch(r"[\s:]*(?:,\s*(?:and\s+|or\s+)?|\s*(?:and|or)\s+)?", gap):
                break
            if m.category == ORG:
                descriptor(m.text, head.group("desc"), head.group("kind"),
                           sentence[:start + head.start()], fact)
            cursor = m.end
        return
