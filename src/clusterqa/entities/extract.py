"""Facts from a document's text, by rules: who is what, where, in which sector, and who founded,
bought, funded or made what, each with the sentence that states it.

Reads paragraph by paragraph. A paragraph is about what its first name names (a profile, a
list item), so "It", "The firm" or "The Leamington studio" at the start of a later sentence is
that entity. A short lead-in ("Games.", "Startups:") says what the paragraph's firms do.
Around each organisation's name, the words that describe it give its kind, place and sector:
"Newcastle studio Reflections", "Middlesbrough's Double Eleven", "tombola, the Sunderland
online bingo company", "Zorbcorp is a Gateshead drone maker".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterqa.entities.lexicon import kind_pattern, kind_words, sectors_in
from clusterqa.entities.names import ORG, PERSON, PLACE, Mention, find_names, is_place
from clusterqa.text import SOURCE_MARKER, sentence_spans
from clusterqa.types import Document, Fact

# Stored with the facts: a change of rules re-extracts every document (nothing re-embedded).
EXTRACTOR_VERSION = "6"

MONEY = re.compile(r"[£$€]\s?\d[\d,.]*\s?(?:bn|billion|m|million|k|thousand)?\b|"
                   r"\d[\d,.]*\s?(?:bn|billion|m|million) (?:pounds|dollars|euros)\b")
YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_ANAPHOR = re.compile(
    r"^(?:(?i:it|its|they|their|this)|The (?:[\w'’-]+ ){0,4}?(?P<kind>\w+))\b"
    r"(?!\s+(?:of|in)\b)")
# What may stand before a clause's subject: "In 2018", "By early 2024", "at that point".
_OPENER = re.compile(r"\s*(?:(?:in|by|since|from|after|at|on) [^,]{0,30}?(?:\d{4}|point|time)"
                     r",?\s+|then,?\s+|later,?\s+)?", re.I)
_CLAUSE_END = re.compile(r"[;.!?]|, (?:which|who|while|and it|but)\b| and (?:it|its)\b")


def extract(document: Document) -> list[Fact]:
    """Every fact the rules find in ``document``, in reading order."""
    facts: list[Fact] = []
    for page in document.pages:
        for start, end in _paragraphs(page.text):
            facts.extend(_paragraph(page.text, start, end, page.number))
    return facts


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    for match in re.finditer(r"\S(?:.*\S)?(?:\n(?!\s*\n).*\S)*", text):
        yield match.start(), match.end()


def _paragraph(text: str, p_start: int, p_end: int, page: int | None) -> list[Fact]:
    facts: list[Fact] = []
    topic: str | None = None
    previous: str | None = None
    label_sectors: set[str] = set()
    label_kind: str | None = None
    for s_start, s_end in sentence_spans(text[p_start:p_end]):
        start, end = p_start + s_start, p_start + s_end
        # The brief's [S<n>] source marks become blanks: same offsets, no names.
        sentence = SOURCE_MARKER.sub(lambda m: " " * len(m.group()), text[start:end])
        said = " ".join(text[start:end].split())  # as written, [S<n>] marks and all

        def fact(subject: str, relation: str, obj: str | None = None, value: str | None = None,
                 year: int | None = None, *, start=start, end=end, said=said) -> None:
            facts.append(Fact(subject, relation, obj, value, year, page, start, end, said))

        words = sentence.strip().rstrip(".:").split()
        if topic is None and len(words) <= 5 and sentence.rstrip().endswith((".", ":")) \
                and not re.search(r"\b(?:is|was|are|has|had)\b", sentence):
            # A lead-in: "Games." gives the paragraph's firms a sector, "Startups:" a kind,
            # "Boho Zone, Middlesbrough:" names the paragraph's subject and its place.
            label_sectors = sectors_in(re.sub(r"\(.*?\)|\".*?\"", " ", sentence))
            label_kind = next((kind_words()[w.lower()] for w in words
                               if w.lower() in kind_words()), None)
            names = [m for m in find_names(sentence) if m.category != PLACE
                     and m.text.lower() not in kind_words()]
            if names:
                topic = names[0].text
                for place in (m for m in find_names(sentence) if m.category == PLACE):
                    fact(topic, "place", place.text)
            continue
        mentions = _lower_case_name(sentence) + find_names(sentence)
        subjects: list[str] = []
        for c_start, c_end in _clauses(sentence):
            clause = sentence[c_start:c_end]
            inside = [Mention(m.text, m.start - c_start, m.end - c_start, m.category)
                      for m in mentions if c_start <= m.start < c_end]
            # A pronoun means the last sentence's subject (in a profile, the topic).
            antecedent = subjects[0] if subjects else previous or topic
            subject, inside = _subject(clause, inside, antecedent)
            if subject is None:
                continue
            subjects.append(subject)
            _relations(clause, subject, inside, fact, YEAR.findall(sentence), antecedent)
        if subjects:
            topic = topic or subjects[0]
            previous = subjects[0]
        for m in mentions:
            if m.category != ORG:
                continue
            fact(m.text, "mention")
            _from_name(m.text, fact)
            if m.text in subjects:
                for sector in label_sectors:
                    fact(m.text, "sector", sector)
                if label_kind:
                    fact(m.text, "kind", label_kind)
            _describe(sentence, m, fact)
        _enumeration(sentence, mentions, fact)
    return facts


def _lower_case_name(sentence: str) -> list[Mention]:
    """A brand written in lower case ("tombola") is a name when the sentence opens with it
    and describes it: "tombola, the Sunderland online bingo company, ..."."""
    match = re.match(rf"([a-z][\w.&-]+), (?:the|a|an) [^,]{{0,60}}?\b(?:{kind_pattern()})\b",
                     sentence)
    return [Mention(match.group(1), 0, match.end(1), ORG)] if match else []


def _clauses(sentence: str) -> Iterator[tuple[int, int]]:
    """Clauses that may have subjects of their own: "Partnerize raised $9m, Moltin raised
    $8m ..., and Rocket 9 was sold to LeoVegas" is three."""
    start = 0
    for cut in _CLAUSE_CUT.finditer(sentence):
        yield start, cut.start()
        start = cut.end()
    yield start, len(sentence)


_CLAUSE_CUT = re.compile(r";\s*|,? and (?=(?:it|its|they)\b)|, and (?=[A-Z])|"
                         r" and (?=(?:[\w-]+ ){0,4}?[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)* "
                         r"(?:raised|was|were|bought|acquired|sold|opened|launched)\b)|"
                         r", (?=[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)* (?:raised|was|were|bought|"
                         r"acquired|sold|opened|launched)\b)")


def _subject(sentence: str, mentions: list[Mention], topic: str | None
             ) -> tuple[str | None, list[Mention]]:
    """Who a clause is about: the topic when it opens with a pronoun or "The <kind>", else
    its first organisation (before any verb of its own)."""
    opener = _OPENER.match(sentence)
    anaphor = _ANAPHOR.match(sentence, opener.end() if opener else 0)
    if anaphor and topic is not None and (
            anaphor.group("kind") is None or anaphor.group("kind").lower() in kind_words()):
        # "The Leamington studio": the description tells the topic's place and kind too.
        described = Mention(topic, anaphor.start(), anaphor.end(), ORG)
        return topic, [described, *[m for m in mentions if m.start >= anaphor.end()]]
    for m in mentions:
        if m.category == ORG and not re.search(r"\b(?:is|was|were|has|had|bought|acquired)\b",
                                               sentence[:m.start]):
            return m.text, mentions
    return None, mentions


def _describe(sentence: str, m: Mention, fact) -> None:
    """Kind, place and sector from the words around an organisation's name."""
    kinds = kind_pattern()
    # The words just before the name: a long window would make these searches quadratic
    # on a page of figures, and a description is a few words.
    before = sentence[max(0, m.start - 80):m.start]
    pre = re.search(rf"(?:^|[\s(,])(?P<desc>(?:[\w'’-]+ ){{0,3}}?)(?P<kind>{kinds}) $",
                    before, re.I)
    if pre and not re.search(r"\b(?:by|and|of|from|with)\s*$", before[:pre.start("desc") + 1]):
        _descriptor(m.text, pre.group("desc"), pre.group("kind"), before[:pre.start()], fact)
    possessive = re.search(r"([A-Z][\w’' -]*?)(?:'s|’s) $", before)
    if possessive and is_place(possessive.group(1)):
        fact(m.text, "place", possessive.group(1))
    after = sentence[m.end:]
    appos = re.match(rf"\s*,? (?:is |was |has become |became )?(?:the|a|an|one of the|"
                     rf"(?P<owner>[A-Z][\w'’-]*)(?:'s|’s)) "
                     rf"(?P<desc>[^,;()]{{0,70}}?)\b(?P<kind>{kinds})\b(?P<rest>[^,;]{{0,60}})",
                     after, re.I)
    if appos:
        _descriptor(m.text, appos.group("desc"), appos.group("kind"), "", fact)
        if appos.group("owner") and is_place(appos.group("owner")):
            fact(m.text, "place", appos.group("owner"))
        for sector in sectors_in(appos.group("rest")) - sectors_in(appos.group("desc")):
            fact(m.text, "sector", sector)
    whose = re.match(r"\s*,? whose (?:campus|headquarters|head office|base|home|offices?) "
                     r"(?:is|are|was) (?:in|at) (?:nearby )?(?P<place>[A-Z][\w’'-]*"
                     r"(?: [A-Z][\w’'-]*)*)", after)
    if whose and is_place(whose.group("place")):
        fact(m.text, "place", whose.group("place"))
    for based in re.finditer(r"\b(?:based|headquartered|located|started out|started|"
                             r"(?:factories|factory|offices?|sites?|plants?|operations|studios?|"
                             r"headquarters|head office|base|campus)) (?:in|at) (?P<place>"
                             r"[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)", after[:100]):
        if is_place(based.group("place")):
            fact(m.text, "place", based.group("place"))
    chose = re.match(r"[^;.]{0,40}?\b(?:chose|picked|selected) (?P<place>[A-Z][\w’'-]*"
                     r"(?: [A-Z][\w’'-]*)*) (?:for|as) (?:its|their)\b", after)
    if chose and is_place(chose.group("place")):
        fact(m.text, "place", chose.group("place"))
    opened = re.match(r"[^;.]{0,40}?\b(?:opened|set up|launched|moved to) (?:an?|its|their|the) "
                      r"(?P<place>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*) "
                      rf"(?:{kinds}|office|base|headquarters)\b", after)
    if opened and is_place(opened.group("place")):
        fact(m.text, "place", opened.group("place"))


def _from_name(name: str, fact) -> None:
    """What a name itself says: "Playground Games" (a games firm), "4J Studios" (a studio),
    "Newport Wafer Fab" and "Newcastle University" (in Newport, in Newcastle)."""
    for sector in sectors_in(name):
        fact(name, "sector", sector)
    words = name.split()
    if len(words) > 1 and words[-1].lower() in kind_words():
        fact(name, "kind", kind_words()[words[-1].lower()])
    for j in range(len(words) - 1, 0, -1):
        if is_place(" ".join(words[:j])):
            fact(name, "place", " ".join(words[:j]))
            break


def _descriptor(name: str, desc: str, kind_word: str, lead: str, fact) -> None:
    """"Newcastle studio": place and kind; "online bingo company": sector and kind."""
    fact(name, "kind", kind_words()[kind_word.lower()])
    words = [w.removesuffix("'s").removesuffix("’s") for w in desc.split()]
    for i in range(len(words)):  # "Other Warwickshire studios": the longest place in it
        for j in range(len(words), i, -1):
            if words[i][:1].isupper() and is_place(" ".join(words[i:j])):
                fact(name, "place", " ".join(words[i:j]))
                break
        else:
            continue
        break
    lead_place = re.search(r"([A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)(?:'s|’s)? $", lead)
    if lead_place and is_place(lead_place.group(1)):
        fact(name, "place", lead_place.group(1))
    for sector in sectors_in(f"{desc} {kind_word}"):
        fact(name, "sector", sector)


_FOUNDED = re.compile(r"\b(?:was |were )?(?:co-)?(?:founded|set up|started|established|"
                      r"formed|launched|created)\b")
# A firm named as someone's employer: "Metro Bank co-founder Anthony Thomson".
_ROLE_AFTER = re.compile(r"\s+(?:co-founder|founder|chief|boss|ceo|executive|director|chairman|"
                         r"head|veterans?|alumni)\b", re.I)
_BOUGHT_BY = re.compile(r"\b(?:was|were|been|being)\s+(?:later\s+|then\s+)?"
                        r"(?:bought|acquired|taken over|purchased|sold)\b[^;]*?\b(?:by|to)\s+$")
_BUYS = re.compile(r"\b(?:bought|acquired|took over|purchased|snapped up|agreed to buy)\s+$")
_OWNED = re.compile(r"\bowned by\s+$")
_MADE = re.compile(r"\b(?:made|built|developed|created|published|designed|known for|famous "
                   r"for|behind|worked on|work on|helped [\w ]*?build|developer of|maker of|"
                   r"makers of|credits? (?:include|including)|titles? include|games include|"
                   r"titles?,? (?:led by|including)|series)\b")


def _relations(sentence: str, subject: str, mentions: list[Mention], fact,
               sentence_years: list[str], topic: str | None) -> None:
    """The relations a clause states of its subject."""
    money = MONEY.search(sentence)
    amount = money.group().strip() if money else None
    years = [int(y) for y in YEAR.findall(sentence) or sentence_years]
    year = years[0] if years else None
    clause_end = _CLAUSE_END.search(sentence, mentions[0].end if mentions else 0)
    founded = _FOUNDED.search(sentence)
    if founded:
        tail = sentence[founded.end():]
        founded_year = YEAR.search(tail[:60])
        if founded_year:
            fact(subject, "founded", value=founded_year.group(), year=int(founded_year.group()))
        # "founded in 2009 by A and B", "set up by Metro Bank co-founder A and former First
        # Direct chief B": the people named after "by" (or, when none, the firms).
        by = re.match(r"(?:\s+(?:in|on|at) (?:(?!\band\b)[^,;]){1,40}?)?\s+by\b", tail)
        if by:
            stop = _CLAUSE_END.search(tail, by.end())
            window = (founded.end() + by.end(), founded.end() + (stop.start() if stop
                                                                 else len(tail)))
            named = [m for m in mentions if window[0] <= m.start < window[1]
                     and m.category in (PERSON, ORG) and m.text != subject and not
                     _ROLE_AFTER.match(sentence, m.end)]
            # When anyone named is a person, the founders are the people: the names of
            # two or three words ("Gareth Williams" is no census name, but sits in the list).
            people = [m for m in named if m.category == PERSON] and \
                [m for m in named if m.category == PERSON or 2 <= len(m.text.split()) <= 3]
            for m in people or named:
                fact(subject, "founded_by", m.text,
                     year=int(founded_year.group()) if founded_year else None)
        place = re.match(r"\s+in (?P<p>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)", tail)
        if place and is_place(place.group("p")):
            fact(subject, "place", place.group("p"))
    # Who was bought by whom: "Y was bought by X", "owned by X since 2006", "X bought Y",
    # "X bought it" (the paragraph's topic); "A and B were bought by Canadian-based
    # companies" records the buyers as described.
    bought = [m for m in mentions if m.category == ORG and m.text != subject and
              (_BOUGHT_BY.search(sentence[:m.start]) or _OWNED.search(sentence[:m.start]))]
    for m in bought:
        fact(subject, "acquired_by", m.text, amount, _year_near(sentence, m.end) or year)
    described = re.search(r"\b(?:were|was) (?:both |all |later )?(?:bought|acquired) by "
                          r"(?P<who>[A-Za-z][\w -]{3,40}?(?:companies|firms|groups|buyers|owners))",
                          sentence)
    if described and not bought:
        for m in mentions:
            if m.category == ORG and m.start < described.start():
                fact(m.text, "acquired_by", described.group("who"), amount, year)
    for i, m in enumerate(mentions):
        if _BUYS.search(sentence[:m.start]) and m.category == ORG and i > 0:
            buyer = next((p.text for p in reversed(mentions[:i]) if p.category == ORG), None)
            if buyer and buyer != m.text:
                fact(m.text, "acquired_by", buyer, amount, _year_near(sentence, m.end) or year)
    pronoun_bought = re.search(r"^(?P<buyer>.+?)\s+(?:bought|acquired|took over) (?:it|the "
                               r"(?:[\w'’-]+ ){0,3}?(?:studio|firm|company|business|startup|"
                               r"publisher|developer|group))\b", sentence)
    if pronoun_bought and topic is not None:
        buyers = [m for m in mentions if m.end <= pronoun_bought.end("buyer") and
                  m.category == ORG and m.text != topic]
        if buyers:
            fact(topic, "acquired_by", buyers[-1].text, amount,
                 _year_near(sentence, pronoun_bought.end()) or year)
    raised = re.search(r"\b(?:raised|secured|attracted|landed)\b", sentence)
    if raised and money and money.start() > raised.start():
        fact(subject, "raised", value=amount, year=year)
    staff = re.search(r"\b(?:has|had|have|employs|employed|employing|with|of|to) (?:more "
                      r"than |about |around |over |almost |nearly |some )?(\d[\d,]*) "
                      r"(?:staff|employees|people|workers)\b", sentence)
    if staff:
        fact(subject, "employs", value=staff.group(1), year=year)
    predicate = re.search(rf"\b(?:is|was|has become|became|remains|is now) (?:the|a|an|one of "
                          rf"the) (?P<desc>[^,;()]{{0,60}}?)\b(?P<kind>{kind_pattern()})\b"
                          rf"(?P<rest>[^,;]{{0,60}})", sentence, re.I)
    nearest = [m for m in mentions if m.end <= (predicate.start() if predicate else 0)]
    if predicate and (not nearest or nearest[-1].category != ORG or
                      nearest[-1].text == subject):
        _descriptor(subject, predicate.group("desc"), predicate.group("kind"), "", fact)
        for sector in sectors_in(predicate.group("rest")):
            fact(subject, "sector", sector)
    focus = re.search(r"\b(?:focused on|focusing on|specialising in|specializing in|makes|"
                      r"known for|best known for|publishing|publishes|publisher of|"
                      r"making|develops|developing|builds|building|designs|designing)\b",
                      sentence)
    if focus:
        for sector in sectors_in(sentence[focus.end():focus.end() + 60]):
            fact(subject, "sector", sector)
    made = _MADE.search(sentence)
    if made:
        stop = clause_end.start() if clause_end and clause_end.start() > made.end() \
            else len(sentence)
        for m in mentions:
            if made.end() <= m.start < stop and m.category == ORG and m.text != subject \
                    and not re.search(r"\b(?:for|with|by|from|at|to)\s+$",
                                      sentence[made.end():m.start]):
                fact(subject, "worked_on", m.text)  # "made X for Sony": Sony is a client


def _year_near(sentence: str, at: int) -> int | None:
    """The year stated just after ``at`` ("owned by Ubisoft since 2006")."""
    match = YEAR.search(sentence[at:at + 40])
    return int(match.group()) if match else None


_LIST_CUE = re.compile(r"\b(?:include|includes|included|including|such as|like|hosted|hosts|"
                       r"are|were|among them|tenants)\b[: ]*")


def _enumeration(sentence: str, mentions: list[Mention], fact) -> None:
    """"Other Warwickshire studios include A, B and C": each listed name gets the kind, place
    and sector the words before the list give."""
    for cue in _ENUMERATION_CUE.finditer(sentence):
        # The kind noun just before the cue (a short window keeps this linear).
        start = max(0, cue.start() - 80)
        head = re.search(rf"(?P<desc>(?:[\w'’-]+ ){{0,3}}?)(?P<kind>{kind_pattern()})$",
                         sentence[start:cue.start()], re.I)
        if not head:
            continue
        stop = _CLAUSE_END.search(sentence, cue.end())
        end = stop.start() if stop else len(sentence)
        for m in mentions:
            if cue.end() <= m.start < end and m.category == ORG:
                _descriptor(m.text, head.group("desc"), head.group("kind"),
                            sentence[:start + head.start()], fact)
        return


_ENUMERATION_CUE = re.compile(r"\s+(?:include|including|such as|like|are|were)\b", re.I)
