"""One analysis of a question, which retrieval and the answerer both read.

- for retrieval: its BM25 tokens, and the places inside the places it names (Teesside ->
  Middlesbrough), to widen the lexical query with;
- its content words, each weighted by how rare it is in general English (wordfreq), with the
  words a passage may use instead (synonyms.yaml) and, for places, the places inside them;
- its *anchors*: names, numbers and places (capitalised or rare words, gazetteer places) that
  an answer must be about. A passage about SoPost that never mentions revenue does not answer
  "What is SoPost's annual revenue?";
- the kind of answer it expects: a number ("how many"), a date ("when") or a name ("who",
  "which firms").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clusterqa.analysis.places import demonyms, places_named, places_within
from clusterqa.analysis.shape import FACT, Shape, shape_of
from clusterqa.analysis.synonyms import synonyms
from clusterqa.text import has_phrase, normalize_phrase, tokenize

NUMBER, DATE, NAME = "number", "date", "name"
DEAL, PRICE = "deal", "price"
# A question about a sale, and one about its price; and what a sentence stating them says.
_DEAL_Q = re.compile(r"\b(?:who|which(?: \w+){1,3}?|what(?: \w+){1,3}?)\s+(?:bought|acquired|"
                     r"purchased|took over|owns)\b|\bhow much did \w+ pay\b|\b(?:bought|"
                     r"acquired|taken over|purchased) by\b|\bsold to\b|\b(?:sell|sold) for\b|"
                     r"\bpa(?:y|id)(?: \w+){0,3} for\b", re.I)
_PRICE_Q = re.compile(r"\b(?:sell|sold|go|went) for\b|\bpa(?:y|id)(?: \w+){0,3} for\b|"
                      r"\bprice\b|"
                      r"\bhow much (?:was|were|did|is)\b.*\b(?:sold|bought|acquired|paid|pay|"
                      r"worth|sale|deal|takeover)\b", re.I)
DEAL_WORDS = re.compile(r"\b(?:bought|buy|buys|buying|acquir\w*|sold|sells?|sale|purchas\w*|"
                        r"took over|takeover|taken over|deal|owned|owns|merger|merged|paid|"
                        r"pays)\b", re.I)
MONEY_FIGURE = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:bn|billion|m|million)\b", re.I)
_RARE_ZIPF = 3.3  # rarer than this in general English: a name, whatever its case
# Words at least this rare (Zipf <= 5) carry the question's content: "revenue" must be stated
# (or said in other words), "make" need not be.
REQUIRED_WEIGHT = 2.0
PART_SPLIT = re.compile(
    r",?\s+and\s+(?=(?:how|what|when|where|who|which|whom|whose|is|are|was|were|did|does|do)\b)"
    r"|\?\s+(?=\w)|;\s*", re.I)
_COUNTED = re.compile(r"\bhow (?:many|much)\s+(?P<noun>(?!did|do|does|is|are|was|were|has|"
                      r"have|had|will|would|can|could)\w+)", re.I)
_KIND_NOUNS = (r"companies|company|firms|firm|studios|studio|startups|startup|businesses|"
               r"business|developers|developer|banks|bank|regions|region|projects|project|"
               r"franchises|games|hubs|places|cities|city|clusters|employers|universities|"
               r"sectors|areas")
# The nouns a "which ..." question asks for, a whole run of them ("which *games studio*").
_TYPE_NOUN = re.compile(rf"\b(which|what|name|list)\s+(?:\w+\s+){{0,2}}?"
                        rf"(?P<noun>(?:(?:{_KIND_NOUNS})\s+)*(?:{_KIND_NOUNS}))\b", re.I)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Interrogatives and auxiliaries say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(tokenize(
    "what which who whom whose when where why how did does do done was were is are has have had "
    "can could would should tell me list name give"
))


EVERYWHERE = ("uk", "britain", "british", "united kingdom", "england")
STOPWORDS = _words(
    "a about above after again against all also am an and any are as at be because been "
    "before being below between both but by can could did do does doing down during each few "
    "for from further had has have having he her here hers herself him himself his how i if "
    "in into is it its itself just many me more most much my myself no nor not now of off on "
    "once only or other our ours out over own same she should so some such than that the "
    "their theirs them then there these they this those through to too under until up very "
    "was we were what when where which while who whom whose why will with would you your "
    "yours according sort kind type kinds sorts types"
)

# Words that frame a question rather than say what it is about ("what is the *purpose* of",
# "where is it *located*"): an answer rarely repeats them, so they are never required.
FRAMING = _words(
    "mean meant means meaning purpose purposes reason reasons cause caused causes function "
    "functions role located location situated origin origins come comes came happen happened "
    "happens determine determines determined called name named known describe described "
    "explain term phrase refer refers referred definition define defined example examples "
    "main major primary difference differences"
)

_NUMBER_Q = re.compile(
    r"\bhow (many|much|big|large|fast|old)\b|\bwhat (percentage|proportion|share|number|amount|"
    r"size|figure)\b|\b(headcount|turnover|revenue|valuation|salary|worth)\b", re.I)
_DATE_Q = re.compile(r"\bwhen\b|\b(what|which) year\b|\bsince when\b|\bwhat date\b|"
                     r"\b(year|date)\s*\??\s*$", re.I)
_NAME_Q = re.compile(
    r"\bwho\b|\bwhere\b|\b(which|what)\s+(\w+\s+){0,3}?(company|companies|firm|firms|studio|"
    r"studios|startup|startups|business|businesses|region|regions|city|cities|university|"
    r"universities|projects?|franchises?|games|developers?|banks?|names?|hubs?|incubators?|"
    r"places?|sites?|towns?|clusters?|investors?|buyers?|owners?)\b", re.I)
_LIST_Q = re.compile(r"\b(which|what|name|list)\b.*\b(companies|firms|studios|startups|"
                     r"businesses|regions|projects|franchises|games|developers|banks|names|hubs|"
                     r"places|clusters|employers|specialisms|strengths|areas|sectors)\b", re.I)
_NUMBER_WORDS = _words(
    "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty hundred hundreds thousand thousands million millions billion billions dozen "
    "dozens half quarter double triple"
)
_MONTHS = _words(
    "january february march april may june july august september october november december"
)
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
# Capitalised words that are not names (sentence openers, pronouns).
_NOT_NAMES = _words(
    "The A An It Its In On At By For From With Its This These Those They Their He She His Her "
    "We Our I Today Now Also And But Meanwhile Born Others After Before When While Since"
)


@dataclass(frozen=True)
class Term:
    token: str  # the stem, as the lexical index has it
    word: str  # as the question wrote it
    weight: float
    alternatives: frozenset[tuple[str, ...]]  # token tuples that count as this term
    anchor: bool  # a name, number or place: an answer must be about it
    required: bool = False  # a content word an answer must state (or say in other words)


@dataclass(frozen=True)
class Part:
    """One question of a compound one ("who founded X, and when?")."""

    terms: tuple[Term, ...]
    expects: frozenset[str]  # the kinds of answer it asks for
    inherited: tuple[Term, ...] = ()  # anchors taken from the first part
    # What an answering sentence must state outright (DEAL, PRICE): "who bought X?" is not
    # answered by a sentence about X that records no sale.
    states: frozenset[str] = frozenset()

    @property
    def anchors(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.anchor) + self.inherited

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.required)


@dataclass(frozen=True)
class Question:
    text: str
    # BM25's query: the question's stemmed words without interrogatives and auxiliaries.
    search_tokens: list[str]
    # Stemmed words of the places inside the places the question names ("teesside" ->
    # "middlesbrough", ...), minus the question's own; retrieval adds them at a lower weight.
    place_tokens: list[str]
    places: list[str]  # the gazetteer places it names, longest first
    terms: list[Term]
    parts: list[Part]
    wants_list: bool = False
    words: frozenset[str] = field(default_factory=frozenset)  # lower-cased question words
    # list, count, about or fact, and what a list asks for
    shape: Shape = field(default_factory=lambda: Shape(FACT))

    @property
    def expects(self) -> frozenset[str]:
        return frozenset().union(*(p.expects for p in self.parts))


def _phrase_terms(tokens: list[str], seen: set[str]) -> list[Term]:
    """Several-word terms the question uses ("augmented reality"), matched as one."""
    out = []
    for phrase, alternatives in synonyms().items():
        n = len(phrase)
        if n < 2 or set(phrase) <= seen:
            continue
        if any(tuple(tokens[i:i + n]) == phrase for i in range(len(tokens) - n + 1)):
            weight = max(term_weight(t) for t in phrase)
            out.append(Term(" ".join(phrase), " ".join(phrase), weight, alternatives, False,
                            required=weight >= REQUIRED_WEIGHT))
            seen.update(phrase)
    return out


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def term_weight(word: str) -> float:
    """Rare words weigh more: 'sopost' 7, 'revenue' 2.4, 'make' 0.9 (7 minus Zipf frequency)."""
    return min(7.0, max(0.5, 7.0 - _zipf(word)))


def _place_terms(text: str, seen: set[str]) -> list[Term]:
    """Places the text names, longest first: "South Yorkshire" is one anchor, which Sheffield
    covers and plain "Yorkshire" does not."""
    terms = []
    norm = f" {normalize_phrase(text)} "
    for place in places_named(text):
        toks = tuple(tokenize(place))
        if not toks or set(toks) <= seen:
            continue
        # "Welsh" names Wales: a sentence saying either states the place.
        adjectives = [a for a, p in demonyms().items() if p == place]
        alternatives = {toks} | {tuple(tokenize(a)) for a in adjectives} | {
            tuple(tokenize(p)) for p in places_within()[place]}
        terms.append(Term(" ".join(toks), place, 3.0, frozenset(a for a in alternatives if a),
                          True))
        seen.update(toks)
        for adjective in adjectives:
            if has_phrase(norm, adjective):
                seen.update(tokenize(adjective))
    return terms


def _part(text: str, capitalised: set[str], seen: set[str]) -> Part:
    terms = _place_terms(text, seen)
    terms += _phrase_terms(tokenize(text), seen)
    table = synonyms()
    type_noun = _TYPE_NOUN.search(text)
    type_tokens = set(tokenize(type_noun.group("noun"))) if type_noun else set()
    # "how many *people*", "how much *VC*": what is counted must be what the answer counts.
    counted = _COUNTED.search(text)
    counted_tokens = set(tokenize(counted.group("noun"))) if counted else set()
    for match in re.finditer(r"\w+", text):
        word = match.group()
        lower = word.lower()
        for token in tokenize(lower):
            if token in seen or token in QUESTION_WORDS or lower in STOPWORDS:
                continue
            seen.add(token)
            anchor = lower in capitalised or word.isdigit() or _zipf(lower) < _RARE_ZIPF
            weight = 3.0 if word.isdigit() else term_weight(lower)
            if token in type_tokens:  # "which *firms*": what the answer is, not what it says
                weight /= 2
            alternatives = frozenset({(token,)} | set(table.get((token,), ())))
            # The kind of thing asked for ("which *studio*") need not be repeated by the
            # sentence that names it ("Tencent bought ... Sumo Digital").
            required = not anchor and lower not in FRAMING and token not in type_tokens and (
                weight >= REQUIRED_WEIGHT or token in counted_tokens)
            terms.append(Term(token, lower, weight, alternatives, anchor, required=required))
    expects = {kind for kind, pattern in ((NUMBER, _NUMBER_Q), (DATE, _DATE_Q), (NAME, _NAME_Q))
               if pattern.search(text)}
    states = {what for what, pattern in ((DEAL, _DEAL_Q), (PRICE, _PRICE_Q))
              if pattern.search(text)}
    return Part(tuple(terms), frozenset(expects), states=frozenset(states))


def analyse(question: str, expand_places: bool = True) -> Question:
    """Everything retrieval and the answerer need to know about ``question``."""
    text = question.replace("’", "'")
    surface = [(m.group(), m.start()) for m in re.finditer(r"\w+", text)]
    first = surface[0][1] if surface else 0
    capitalised = {w.lower() for w, pos in surface if w[:1].isupper() and pos != first
                   and w not in _NOT_NAMES}
    # The whole corpus is about the UK: these never narrow anything down.
    seen: set[str] = set(tokenize(" ".join(EVERYWHERE)))
    pieces = [p for p in PART_SPLIT.split(text) if p and p.strip() and len(p.split()) > 1]
    parts = [_part(piece, capitalised, seen) for piece in pieces] or [Part((), frozenset())]
    # A later part without anchors ("... and how big was *its* workforce?") is about the
    # first part's subject.
    subject = tuple(t for t in parts[0].terms if t.anchor)
    parts = [p if any(t.anchor for t in p.terms) else Part(p.terms, p.expects, subject,
                                                            p.states)
             for p in parts]
    search_tokens = [t for t in tokenize(question) if t not in QUESTION_WORDS]
    places = places_named(text)
    return Question(
        text=question, search_tokens=search_tokens,
        # (retrieval widens only places named as places: "Welsh" names Wales for the
        # answer, but a passage about Swansea is no nearer to "the Welsh cluster")
        place_tokens=_widened(places_named(text, adjectives=False), set(search_tokens))
        if expand_places else [],
        places=places, terms=[t for p in parts for t in p.terms], parts=parts,
        wants_list=bool(_LIST_Q.search(text)),
        words=frozenset(w.lower() for w, _ in surface), shape=shape_of(text))


def _widened(places: list[str], known: set[str]) -> list[str]:
    """Tokens of every place inside the named ones that the question does not already have,
    in a stable order."""
    inside = sorted({p for place in places for p in places_within()[place]} - set(places))
    out: list[str] = []
    for place in inside:
        for token in tokenize(place):
            if token not in known:
                known.add(token)
                out.append(token)
    return out


def _opens_with_name(word: str) -> bool:
    """A capitalised first word is a name when it could be nothing else: a capital inside it
    ("SoftBank bought it in 2024"), or a word English rarely uses ("Kainos", "Flutter"), not
    "The", "In" or "Investors"."""
    return any(c.isupper() for c in word[1:]) or _zipf(word.lower()) < 3.5


def answer_kinds(sentence: str, question_words: frozenset[str]) -> set[str]:
    """Which kinds of answer a sentence carries: a number, a date, a name not in the question."""
    kinds: set[str] = set()
    words = re.findall(r"[\w£$€.,%]+", sentence)
    for i, raw in enumerate(words):
        w = raw.strip(".,")
        lower = w.lower()
        if _YEAR.match(w):
            kinds.add(DATE)
        elif re.search(r"\d", w) or w in _NUMBER_WORDS:  # "Double Eleven" is a name
            kinds.add(NUMBER)
        if lower in _MONTHS:
            kinds.add(DATE)
        if (w[:1].isupper() or re.match(r"^\d+[A-Z]", w)) and w not in _NOT_NAMES \
                and lower not in question_words and (i > 0 or _opens_with_name(w)):
            kinds.add(NAME)
    return kinds
