"""Names in a sentence, without a NER model: runs of capitalised words, told apart by rules.

No NER model ships in a verified PyPI package (spaCy's official models are not on PyPI), so a
name is a run of capitalised words ("Double Eleven", "University of Warwick", "4J Studios"),
and what it names comes from gazetteers that ship in the repo: the place hierarchy (a place),
given names from the US Census (a person), and otherwise an organisation or a title. The
extractor refines that from the words around it ("studio Reflections", "founded by ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from clusterqa.analysis.places import places_within
from clusterqa.text import normalize_phrase

ORG, PERSON, PLACE = "organisation", "person", "place"


def _words(text: str) -> list[str]:
    return text.split()


# A word of a name: capitalised ("Sage"), an acronym or one that starts with a digit ("4J",
# "3D"), with inner apostrophes, dots, ampersands and hyphens ("AO.com", "Rolls-Royce").
# A lower-case word with a digit ("e2v") only continues one ("Teledyne e2v").
_WORD = re.compile(r"[A-Z0-9][\w.&'’+-]*[\w+]|[A-Z0-9]|(?<![\w.-])[a-z]+\d[a-z\d]*(?![\w-])")
# Lower-case words that may sit inside a name ("University of Warwick", "Bank of Ireland").
_JOINERS = frozenset({"of", "&", "de"})
# Capitalised words that are not names, or not names on their own.
_NOT_NAMES = frozenset(_words("""
a an the it its this these those they their he she his her we our i you your in on at by
for from with to of and or but as if so also after before when while since once although
though today now then meanwhile both others other another each every all some many most
more one two three four five six seven eight nine ten eleven twelve first second third
last next several such this that there here what which who whom whose where why how not
no yes mr mrs ms dr sir lord january february march april may june july august september
october november december monday tuesday wednesday thursday friday saturday sunday uk
britain british england english scottish welsh cornish european us usa american canadian irish
chief former co-founder founder ceo coo cto cfo chairman chairwoman director head boss
mayor minister professor government council
"""))
# Number words end a run only when they begin it: "Boho One" and "Double Eleven" are names.
_NUMBERS = frozenset(_words("""
one two three four five six seven eight nine ten eleven twelve
"""))
# Last words that make a name an organisation's: sector and kind nouns ("Clyde Space",
# "Cirdan Imaging"), and a few banks' and firms' that look like surnames.
_NOT_SURNAMES = frozenset(_words("""
space software systems digital media games studios labs energy capital partners foods
imaging health bank banking technology technologies robotics security solutions networks
group holdings ventures analytics engineering aerospace motors pharma therapeutics
stanley sachs
"""))
# Words that are no name alone but end one: "Lancashire County Council", "Scottish Government".
_ENDS_NAMES = frozenset(_words("council government"))
# Countries are no name alone, but end one after "of": "East of England", "Bank of England".
_COUNTRIES = frozenset(_words("uk britain england"))
_MONTHS = frozenset(_words("""
january february march april may june july august september october november december
"""))


@dataclass(frozen=True)
class Mention:
    text: str
    start: int  # offsets in the sentence
    end: int
    category: str  # ORG, PERSON or PLACE (a guess the extractor may override)
    ref: bool = False  # "it", "the studio": the entity a paragraph is about, not a name


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    text = resources.files("clusterqa.entities.data").joinpath("first_names.txt").read_text()
    return frozenset(line for line in text.split() if not line.startswith("#"))


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return yaml.safe_load(
        resources.files("clusterqa.entities.data").joinpath("lexicon.yaml").read_text())


@lru_cache(maxsize=1)
def known_places() -> frozenset[str]:
    return frozenset(places_within()) | frozenset(lexicon()["elsewhere"])


def is_place(name: str) -> bool:
    return normalize_phrase(name) in known_places()


def looks_like_person(name: str) -> bool:
    """Two or three capitalised words, the first a given name ("Lee Hutchinson")."""
    words = name.split()
    if words and (words[0] == "The" or words[-1].lower() in _NOT_SURNAMES):
        return False  # "The Floow", "Clyde Space", "Morgan Stanley" is no person
    return 2 <= len(words) <= 3 and words[0].lower() in first_names() and all(
        w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words)


def _common(word: str) -> bool:
    """A word a sentence may start with that is no name ("Flutter" is kept, "Its" is not)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= 4.6


def find_names(sentence: str) -> list[Mention]:
    """The names in ``sentence``, in order, each with a first guess at what it names."""
    words = [(m.group().rstrip(".'’"), m.start()) for m in _WORD.finditer(sentence)]
    words = [(w.removesuffix("'s").removesuffix("’s"), s) for w, s in words if w]
    runs: list[list[tuple[str, int]]] = []
    for word, start in words:
        if re.fullmatch(r"\d[\d,.]*(?:m|bn|k|s|st|nd|rd|th)?", word) and not (
                runs and runs[-1] and _joined(sentence, runs[-1], start)):
            runs.append([])  # a year or count starts no name ("2020 Electronic Arts")
            continue
        if word == "The" and sentence[:start].strip() and not (
                runs and runs[-1] and _joined(sentence, runs[-1], start)):
            runs.append([(word, start)])  # mid-sentence "The" is part of a name
            continue
        if word.endswith(("-based", "-born", "-owned", "-headquartered")) or re.search(
                r"-[a-z]+ed$", word):
            runs.append([])  # "Canadian-based": a description, not a name
            continue
        continues = bool(runs and runs[-1] and _joined(sentence, runs[-1], start))
        if word[0].islower():
            if continues:
                runs[-1].append((word, start))
            else:
                runs.append([])
            continue
        if word.lower() in _NOT_NAMES and not (continues and word.lower() in _NUMBERS) and not (
                continues and word.lower() in _ENDS_NAMES) and not (
                continues and _ends_with_country(sentence, (word, start))):
            runs.append([])  # a break
            continue
        if runs and runs[-1] and _joined(sentence, runs[-1], start):
            runs[-1].append((word, start))
        else:
            runs.append([(word, start)])
    out: list[Mention] = []
    for run in runs:
        while run and run[-1][0].lower() in _NOT_NAMES - _NUMBERS - _ENDS_NAMES and not (
                len(run) > 1 and _ends_with_country(sentence, run[-1])):
            run = run[:-1]
        if not run:
            continue
        start = run[0][1]
        end = run[-1][1] + len(run[-1][0])
        text = sentence[start:end]
        if len(run) == 1 and _skip_single(text, start, sentence):
            continue
        out.append(Mention(text, start, end, _guess(text)))
    return out


def _ends_with_country(sentence: str, word: tuple[str, int]) -> bool:
    """"England" after "of" ends a name ("East of England")."""
    return word[0].lower() in _COUNTRIES and bool(re.search(r"\bof\s+$", sentence[:word[1]]))


def _joined(sentence: str, run: list[tuple[str, int]], start: int) -> bool:
    """Whether the word at ``start`` continues ``run``: only spaces, or a joiner, between."""
    last, at = run[-1]
    between = sentence[at + len(last):start]
    if last.endswith(("'s", "’s")) or sentence[at + len(last):].startswith(("'s", "’s")):
        return False  # "Middlesbrough's Double Eleven" is two names
    gap = between.strip()
    spaced = between.startswith(" ") and between.endswith(" ")
    return (between.isspace() and len(between) <= 2) or (gap.lower() in _JOINERS and spaced) or (
        # "Institute for Compound Semiconductors", "Centre for Digital Innovation"
        gap.lower() == "for" and spaced and last.lower() in _INSTITUTIONS)


# Nouns that head an institution's name joined by "for": "Centre for Data".
_INSTITUTIONS = frozenset(_words("""
centre center institute council department office agency fund foundation trust society
school association alliance catapult academy college
"""))


def _skip_single(word: str, start: int, sentence: str) -> bool:
    if word.isdigit() or (len(word) == 1 and not word.isupper()):
        return True
    if re.fullmatch(r"\d[\d,.]*[a-z]*", word):  # "2,500", "1980s", "3m"
        return True
    if word.lower() in _MONTHS:
        return True
    return opens_sentence(sentence, start) and _common(word)


def opens_sentence(sentence: str, start: int) -> bool:
    """Whether a word at ``start`` stands where a sentence (or a "Label:" lead-in's text)
    begins, so that its capital says nothing of its being a name."""
    before = sentence[:start].rstrip()
    return not before or before.endswith((":", "."))


def _guess(text: str) -> str:
    if is_place(text):
        return PLACE
    if looks_like_person(text):
        return PERSON
    return ORG


def name_key(name: str) -> str:
    """What names of one thing share: "4J Studios" and "4J", "tombola" and "Tombola",
    "Sage Group plc" and "Sage" (case, punctuation and generic trailing words ignored)."""
    words = re.sub(r"[^\w&+]+", " ", name.lower().replace("’", "'")).split()
    while len(words) > 1 and words[-1] in _GENERIC_TAIL:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


_GENERIC_TAIL = frozenset(_words("""
ltd limited plc inc group holdings studios studio games uk llp co company technologies
technology bank
"""))
