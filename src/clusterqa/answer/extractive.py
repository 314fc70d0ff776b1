"""The extractive answerer: the retrieved sentences that best answer the question, each cited.

No small generator or reranker ships inside a PyPI wheel, so the default answer is made of
sentences quoted from the retrieved passages. A sentence can answer only if

- it is about every *anchor* of the question (names, numbers, places; see analysis/), in
  itself, in the sentence its pronoun points back to, or in its heading or document title;
- it carries the kind of answer asked for (a number for "how many", a date for "when", a name
  not in the question for "who"/"which firms").

Among those, each gets a support score:

    support = 0.5 * cos(question, sentence) + 0.5 * coverage

where coverage is the rarity-weighted share of the question's words the sentence states
(synonyms and places inside named places count; context counts part). The best sentence
leads; others join when they add words or names the answer lacks. When no sentence qualifies
with ``min_support``, the assistant abstains, says so plainly, and shows the nearest passages.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from clusterqa.analysis import NAME, NUMBER, Part, Question, Term, answer_kinds
from clusterqa.analysis.places import places_within
from clusterqa.analysis.question import DEAL, DEAL_WORDS, MONEY_FIGURE, PRICE
from clusterqa.analysis.shape import COUNT, LIST
from clusterqa.embeddings import Embedder
from clusterqa.entities.guide import Guide, guide
from clusterqa.entities.lexicon import sectors_in
from clusterqa.entities.names import find_names, is_place
from clusterqa.retrieve import Hit, Retrieval
from clusterqa.settings import AnsweringSettings
from clusterqa.store.reader import CorpusView
from clusterqa.text import clean_sentence, paragraph_start, sentence_spans, tokenize
from clusterqa.types import Answer, Citation

ABSTAIN_TEXT = ("The reports don't say: nothing in the ingested documents answers this. "
                "The nearest passages are shown below, but none of them is an answer.")
DENSE_WEIGHT = 0.5
# Support added to a sentence the entity table records as stating what was asked of the
# entity the question names (its staff, its founding, its deal), and again for the deal
# between the most of the entities named.
STATED_BONUS = 0.1
# How much a question word counts when found beside the sentence rather than in it.
ANTECEDENT_CREDIT = 0.8
CONTEXT_CREDIT = 0.5
_STARTS_ANAPHORIC = re.compile(
    r"^(It|Its|They|Their|He|She|His|Her|This|These|That|Both|"
    r"The (\w+[ -]){0,3}(firm|company|group|studio|bank|business|startup|scaleup|developer|"
    r"centre|center|city|park|hub|building|deal|fund|report|campaign|project|site|university|"
    r"sector|cluster|region|body))\b")


@dataclass(eq=False)
class Candidate:
    hit_index: int
    chunk_id: str
    start: int
    end: int
    text: str
    tokens: frozenset[str]
    context: frozenset[str]  # heading, list label, document title
    antecedent: Candidate | None = None  # the sentence a pronoun points back to
    dense: float = 0.0
    coverage: float = 0.0
    eligible: bool = False
    matched: frozenset[str] = frozenset()  # question terms this sentence states
    leans_on_antecedent: bool = False  # its anchors are named only in the antecedent
    vector: np.ndarray | None = None
    stated: float = 0.0  # the table records it as stating what was asked (guide.py)
    credit: dict[str, float] = field(default_factory=dict)  # of the question's anchors

    @property
    def support(self) -> float:
        return DENSE_WEIGHT * self.dense + (1 - DENSE_WEIGHT) * self.coverage + self.stated


_NAME_RUN = re.compile(r"[A-Z][\w&'-]*(?:\s+(?:(?:of|and|for|&)\s+)?[A-Z][\w&'-]*)+")


def _acronyms(question: str, terms) -> dict[str, str]:
    """The question's terms written in capitals, 2 to 5 letters ("FT", "UKRI"): the token
    each is matched by, and its letters."""
    return {t.token: t.word.upper() for t in terms
            if t.word.isalpha() and 2 <= len(t.word) <= 5
            and re.search(rf"\b{t.word.upper()}\b", question)}


def _initials(sentence: str) -> set[str]:
    """The initials of the sentence's multi-word names: "Financial Times" -> "FT", "UK
    Research and Innovation" -> "UKRI" (a word in capitals counts whole)."""
    out = set()
    for run in _NAME_RUN.finditer(sentence):
        words = [w for w in run.group().split() if w[:1].isupper()]
        if words[0] in ("The", "A", "An") and len(words) > 2:
            words = words[1:]  # "The Financial Times"
        out.add("".join(w if w.isupper() else w[0] for w in words))
    return out


def _is_label(text: str) -> bool:
    """A heading or a list item's lead-in ("Games.", "Notable firms")."""
    return len(text.split()) <= 5 and not re.search(r"[,;]", text)


def _match(term: Term, tokens: frozenset[str]) -> bool:
    if any(set(alt) <= tokens for alt in term.alternatives):
        return True
    # Stems of one word family can still differ (sanctifi/sanctif, locat/location): the
    # question's own word counts when one stem of six letters or more extends the other.
    own = term.token
    return " " not in own and len(own) >= 6 and any(
        len(t) >= 6 and (t.startswith(own) or own.startswith(t)) for t in tokens)


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder | None, settings: AnsweringSettings) -> None:
        self.embedder = embedder
        self.settings = settings
        self._sentence_cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()

    def answer(self, retrieval: Retrieval, region: str | None = None,
               need_sector: bool = False) -> Answer:
        """Answer the question retrieval was asked, from its first passages. With
        ``need_sector`` (a list the entity table could not answer), only from passages that
        name the sector the list asks for."""
        hits = retrieval.hits[: self.settings.passages]
        prof = retrieval.question
        question = prof.text
        view = retrieval.view
        candidates = self._candidates(view, hits)
        self._score(candidates, prof, retrieval)
        chosen = self._choose(candidates, prof)
        if need_sector:
            chosen = _in_sector_asked(chosen, prof, view)
        if not chosen:
            return self._abstain(view, question, hits, candidates, region)
        return self._compose(view, prof, hits, candidates, chosen, region)

    # --- candidates -----------------------------------------------------------------------

    def _candidates(self, view: CorpusView, hits: Sequence[Hit]) -> list[Candidate]:
        out: list[Candidate] = []
        for i, hit in enumerate(hits):
            chunk = view.chunks[hit.chunk_id]
            doc = view.documents.get(chunk.doc_id)
            title = frozenset(tokenize(doc.meta.title)) if doc else frozenset()
            heading: frozenset[str] = frozenset()
            label: frozenset[str] = frozenset()
            previous: Candidate | None = None  # the last real sentence
            topic: Candidate | None = None  # the first sentence of the paragraph
            cursor = -1
            for start, end in sentence_spans(chunk.text):
                text = chunk.text[start:end]
                new_para = cursor < 0 or "\n\n" in chunk.text[cursor:start]
                cursor = end
                if new_para:
                    label, topic = frozenset(), None
                if _is_label(text):
                    alone = chunk.text[end:end + 2] == "\n\n" or end == len(chunk.text)
                    if new_para and alone:
                        heading = frozenset(tokenize(text))
                    elif new_para:
                        label = frozenset(tokenize(text))
                    continue
                cand = Candidate(i, hit.chunk_id, start, end, text, frozenset(tokenize(text)),
                                 title | heading | label)
                if topic is not None:
                    # A paragraph (a list item, a profile) is about what its first sentence
                    # names: "Flutter bought *it*", "with *the bank* taking premises".
                    cand.antecedent = topic
                elif _STARTS_ANAPHORIC.match(text):
                    cand.antecedent = previous
                if topic is None:
                    topic = cand
                previous = cand
                out.append(cand)
        return out

    # --- scoring --------------------------------------------------------------------------

    def _score(self, candidates: list[Candidate], prof: Question,
               retrieval: Retrieval) -> None:
        if not candidates:
            return
        total = sum(t.weight for t in prof.terms)
        every = {*prof.terms, *(a for p in prof.parts for a in p.anchors)}
        known = guide(prof, retrieval.view.entities)
        short = _acronyms(prof.text, every)
        for cand in candidates:
            credit = {t.token: self._credit(t, cand) for t in every}
            if short:  # "the FT" for "The Financial Times"
                spelled = _initials(cand.text)
                for token, letters in short.items():
                    if not credit[token] and letters in spelled:
                        credit[token] = 1.0
            said = clean_sentence(cand.text)
            about = known.about.get(said)
            for t in every if about else ():  # the table read whom its "it" stands for
                if not credit[t.token] and _match(t, about):
                    credit[t.token] = ANTECEDENT_CREDIT
            cand.coverage = (sum(t.weight * credit[t.token] for t in prof.terms) / total
                             if total else 0.0)
            cand.matched = frozenset(k for k, v in credit.items() if v >= ANTECEDENT_CREDIT)
            cand.credit = {t.token: credit[t.token] for p in prof.parts for t in p.anchors}
            cand.leans_on_antecedent = bool(_STARTS_ANAPHORIC.match(cand.text)) or any(
                credit[a.token] == ANTECEDENT_CREDIT for p in prof.parts for a in p.anchors)
            cand.eligible = any(self._answers_part(cand, part, credit, known)
                                for part in prof.parts)
            cand.stated = STATED_BONUS * (known.states(said) + (said in known.closest))
        # Only sentences that can answer need their meaning compared: embedding the others
        # would cost most of the answer's time and change nothing.
        eligible = [c for c in candidates if c.eligible]
        if eligible and retrieval.query_vector is not None and self.embedder is not None:
            vectors = self._sentence_vectors(eligible)
            sims = vectors @ retrieval.query_vector
            for cand, vector, sim in zip(eligible, vectors, sims, strict=True):
                cand.vector = vector
                cand.dense = float(max(sim, 0.0))

    @staticmethod
    def _credit(term: Term, cand: Candidate) -> float:
        """How far a sentence states a question term: in itself, through the sentence its
        pronoun points back to, or only in its heading, list label or document title."""
        if _match(term, cand.tokens):
            return 1.0
        if cand.antecedent is not None and _match(term, cand.antecedent.tokens):
            return ANTECEDENT_CREDIT
        if _match(term, cand.context):
            return CONTEXT_CREDIT
        return 0.0

    def _answers_part(self, cand: Candidate, part: Part, credit: dict[str, float],
                      known: Guide) -> bool:
        """About all the part's anchors, stating most of its content words (all of them when
        it has one), and carrying the kind of answer it asks for. A question about a deal of
        an entity the table records deals of is answered by those deals' sentences, and not
        at all when they lack what it asks (the buyer's name, the price)."""
        if any(credit[t.token] == 0 for t in part.anchors):
            return False
        missing = sum(credit[t.token] == 0 for t in part.required)
        if missing > int(len(part.required) * self.settings.max_missing_share):
            return False
        said = clean_sentence(cand.text)
        if DEAL in part.states and known.deals and (
                said not in known.deals or (NAME in part.expects and known.unnamed_buyers)):
            return False
        if DEAL in part.states and not DEAL_WORDS.search(said):
            return False
        if NUMBER in part.expects and known.amount_missing:
            return False
        if PRICE in part.states and not MONEY_FIGURE.search(said):
            return False
        if part.expects:
            return bool(answer_kinds(clean_sentence(cand.text), part_words(part))
                        & part.expects)
        return True

    def _sentence_vectors(self, candidates: list[Candidate]) -> np.ndarray:
        """Sentence embeddings, cached: chunk ids change with their text, so keys stay valid."""
        cache = self._sentence_cache
        missing = [c for c in candidates if (c.chunk_id, c.start) not in cache]
        if missing:
            vectors = self.embedder.embed([clean_sentence(c.text) for c in missing])
            for cand, vector in zip(missing, vectors, strict=True):
                cache[(cand.chunk_id, cand.start)] = vector
        out = []
        for cand in candidates:
            cache.move_to_end((cand.chunk_id, cand.start))
            out.append(cache[(cand.chunk_id, cand.start)])
        while len(cache) > 50_000:
            cache.popitem(last=False)
        return np.stack(out)

    # --- choosing and composing -----------------------------------------------------------

    def _choose(self, candidates: list[Candidate], prof: Question) -> list[Candidate]:
        eligible = sorted((c for c in candidates if c.eligible),
                          key=lambda c: (-c.support, c.hit_index, c.start))
        if not eligible or eligible[0].support < self.settings.min_support:
            return []
        broad = prof.wants_list or len(prof.parts) > 1
        limit = self.settings.max_sentences + (2 if broad else 0)
        spread = self.settings.broad_spread if broad else self.settings.spread
        floor = max(self.settings.min_support, eligible[0].support - spread)
        chosen = [eligible[0]]
        covered = set(eligible[0].matched)
        names = _names(eligible[0].text, prof)
        for cand in eligible[1:]:
            if len(chosen) >= limit or cand.support < floor:
                break
            if any(_same_fact(cand, c) for c in chosen):
                continue  # the same fact from another passage adds nothing to read
            new_terms = cand.matched - covered
            new_names = _names(cand.text, prof) - names
            if not new_terms and not (broad and new_names) and \
                    cand.support < eligible[0].support - 0.05:
                continue  # says nothing the answer does not already say
            chosen.append(cand)
            covered |= cand.matched
            names |= new_names
        return chosen

    def _compose(self, view: CorpusView, prof: Question, hits: Sequence[Hit],
                 candidates: list[Candidate], chosen: list[Candidate], region: str | None
                 ) -> Answer:
        """The answer leads with the sentence that states what was asked ("Flutter bought it
        in November 2021 for £402m."), not with the sentence its "it" points back to: the
        question names what "it" is. That sentence is quoted first only when it holds the
        name asked for ("Who bought PrettyLittleThing?" -> "boohoo was started ... It had
        bought ... PrettyLittleThing"); otherwise it is marked in its passage, not quoted."""
        numbers: dict[int, int] = {}
        quoted: list[Candidate] = []
        context: list[Candidate] = []  # marked in their passages, not quoted
        for cand in chosen:
            ante = cand.antecedent
            if ante is not None and cand.leans_on_antecedent and ante not in quoted \
                    and ante not in chosen:
                if _needs_antecedent(cand, ante, prof):
                    quoted.append(ante)
                else:
                    context.append(ante)
            if cand not in quoted:
                quoted.append(cand)
        sentences: list[tuple[str, int]] = []
        for cand in quoted:
            n = numbers.setdefault(cand.hit_index, len(numbers) + 1)
            sentences.append((_terminate(clean_sentence(cand.text)), n))
        text = " ".join(f"{s} [{n}]" for s, n in sentences)
        citations = [self._citation(view, n, hits[i], candidates,
                                    [c for c in [*quoted, *context] if c.hit_index == i])
                     for i, n in sorted(numbers.items(), key=lambda kv: kv[1])]
        return Answer(prof.text, text, False, citations, region, sentences=sentences)

    def _abstain(self, view: CorpusView, question: str, hits: Sequence[Hit],
                 candidates: list[Candidate], region: str | None) -> Answer:
        nearest = hits[: self.settings.nearest_on_abstain]
        citations = [self._citation(view, n, hit, candidates, [])
                     for n, hit in enumerate(nearest, start=1)]
        text = ABSTAIN_TEXT if hits else "The reports don't say: no document matches this."
        if region:
            text = text.replace("the ingested documents", f"the {region} documents")
        return Answer(question, text, True, citations, region)

    @staticmethod
    def _citation(view: CorpusView, n: int, hit: Hit, candidates: list[Candidate],
                  supporting: list[Candidate]) -> Citation:
        chunk = view.chunks[hit.chunk_id]
        doc = view.documents[chunk.doc_id]
        meta = doc.meta
        own = [c.support for c in candidates if c.chunk_id == hit.chunk_id]
        return Citation(
            n=n, chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, title=meta.title,
            source=doc.source, region=meta.region, page=chunk.page, text=chunk.text,
            score=max(own, default=0.0), publisher=meta.publisher, url=meta.url,
            kind=meta.kind, sources=list(meta.sources),
            highlights=sorted((c.start, c.end) for c in supporting),
        )


def _in_sector_asked(chosen: list[Candidate], prof: Question, view: CorpusView
                     ) -> list[Candidate]:
    """For a list of a sector ("which games studios are in Norwich?"), the sentences that
    name that sector (by the lexicon's words), in themselves or in their paragraph so far
    (a "Games." lead-in): a sentence about Norwich that says nothing of games lists no games
    studio, however well it matches the place."""
    asked = set(prof.shape.sectors)
    if not asked or prof.shape.kind not in (LIST, COUNT) or prof.shape.relations:
        return chosen
    unplaced = prof.text
    for place in prof.places:  # "the East of England" is a place, not a name
        unplaced = re.sub(rf"(?i)\b{re.escape(place)}\b", " ", unplaced)
    if any(not is_place(m.text) for m in find_names(unplaced)):
        return chosen  # "which Sheffield games studio did Tencent buy?": the deal decides
    chunks = view.chunks
    kept = []
    for c in chosen:
        text = chunks[c.chunk_id].text if c.chunk_id in chunks else c.text
        if asked & sectors_in(text[paragraph_start(text, c.start):c.end]):
            kept.append(c)
    return kept


def part_words(part: Part) -> frozenset[str]:
    """The part's own words: a name it already contains is not an answer to it."""
    return frozenset(w for t in (*part.terms, *part.inherited) for w in t.word.split())


def _names(text: str, prof: Question) -> set[str]:
    """Capitalised words a sentence adds beyond the question (the entities of a list)."""
    if NAME not in prof.expects and not prof.wants_list:
        return set()
    return {w for w in re.findall(r"\b[A-Z][\w&'-]+", clean_sentence(text))[1:]
            if w.lower() not in prof.words}


def _needs_antecedent(cand: Candidate, antecedent: Candidate, prof: Question) -> bool:
    """Whether the sentence a pronoun points back to must be quoted first: when it holds
    the name asked for. "Who bought PrettyLittleThing?" -> "It had bought Manchester rival
    PrettyLittleThing" names no buyer, "boohoo was started ..." does; "Where has Citi been a
    tenant?" -> "It has had campuses ..., with tenants such as Citi": what "It" is, the
    question does not say. "What did Flutter pay for tombola?" -> "Flutter bought it in
    November 2021 for £402m" needs nothing before it: the question names what "it" is."""
    if NAME not in prof.expects:
        return False
    if _STARTS_WITH_PRONOUN.match(cand.text) and not _names_referent(cand, prof):
        return True  # "It has had campuses ..." ("Its parent Sumo Group bought" has a subject)
    if _WHICH.match(prof.text) and _REFERS.search(cand.text) and _new_names(antecedent.text,
                                                                             prof):
        return True  # "Which studio was sold to EA?" -> "EA ... bought the studio": which?
    return not _new_names(cand.text, prof) and bool(_new_names(antecedent.text, prof))


def _names_referent(cand: Candidate, prof: Question) -> bool:
    """Whether the question names what the sentence's pronoun stands for: a name of the
    question's (not a place) is stated only in the sentence the pronoun points back to."""
    return any(credit == ANTECEDENT_CREDIT and token not in _PLACE_TOKENS
               for token, credit in cand.credit.items())


_WHICH = re.compile(r"\s*which\b", re.I)
# The nouns a sentence names a firm by when it has named it before ("the studio").
_FIRM_NOUN = r"(?:firm|company|group|studio|bank|business|startup|developer)"
_REFERS = re.compile(rf"\b(?:it|the {_FIRM_NOUN})\b(?!['’])")
_STARTS_WITH_PRONOUN = re.compile(rf"^(?:It|They|He|She|The (?:\w+[ -]){{0,3}}{_FIRM_NOUN})\b"
                                  rf"(?!['’])")
_PLACE_TOKENS = frozenset(t for place in places_within() for t in tokenize(place))


def _new_names(text: str, prof: Question) -> list[str]:
    """Names in a sentence that the question does not name, places apart."""
    return [m.text for m in find_names(clean_sentence(text)) if not is_place(m.text) and
            not set(m.text.lower().split()) <= prof.words]


def _terminate(sentence: str) -> str:
    return sentence if sentence[-1:] in ".!?\"'”’)" else sentence + "."


def _same_fact(a: Candidate, b: Candidate) -> bool:
    """Near-identical wording, or the same statement paraphrased (article vs brief)."""
    words = len(a.tokens & b.tokens) / len(a.tokens | b.tokens) if a.tokens and b.tokens else 0
    if words >= 0.6:
        return True
    return a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= 0.8
