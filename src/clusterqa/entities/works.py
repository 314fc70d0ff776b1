"""What a clause says an organisation made, and its other names: "known for A and B",
"its credits include A, B and work on the C series", "its projects include the NHS England
app"; "X (formerly Y)", "The Hut Group (THG)", "X began as Y", "renamed it Y"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from clusterqa.entities.clause import CLAUSE_END, Clause, pronoun_target
from clusterqa.entities.names import ORG, is_place

# --- work -------------------------------------------------------------------------------

_MADE = re.compile(r"\b(?:made|built|developed|published|designed|known for|famous "
                   r"for|behind|worked on|work on|helped [\w ]*?build|developer of|maker of|"
                   r"makers of|credits? (?:include|including)|titles? include|games include|"
                   r"projects? include|products? include|hits include|"
                   r"titles?,? (?:led by|including)|series)\b")
_WORKS_LIST = re.compile(r"\b(?:projects|titles|credits|products|games|hits|works|franchises|"
                         r"brands)\b[^;.]{0,20}?\b(?:include|includes|included|including)\s+")


def works(c: Clause, fact) -> None:
    """What an organisation made: the names after "known for", "built", "credits include"
    (not a client: "for Sony"), and the items of a works list, named or not ("its projects
    include the NHS England app and the UK's online passport renewal service")."""
    text = c.text
    made = _MADE.search(text)
    if made and not re.search(r"\b(?:be|been|being|is|was|are|were)\s+$", text[:made.start()]):
        maker = pronoun_target(c, made.start()) or c.subject
        stop = CLAUSE_END.search(text, made.end())
        for item in _items(text[made.end():stop.start() if stop else len(text)],
                           named_only=not _WORKS_LIST.search(text)):
            if item != maker:
                fact(maker, "worked_on", item)


def _items(segment: str, named_only: bool) -> Iterator[str]:
    """The items of a list ("A with Microsoft, B and PS Vita's C", "the A, B and C series"),
    each without its article, a place that owns it ("the UK's") or a trailing phrase ("with
    Microsoft"); the list ends at the first part after an item that is none."""
    found = False
    for part in re.split(r",\s+(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", segment):
        item = _item(part, named_only)
        if item:
            found = True
            yield item
        elif found:
            return


def _item(part: str, named_only: bool) -> str | None:
    part = re.sub(r"^\s*(?:work on the|work on|the|a|an|its|their|his|her)\s+", "", part)
    part = re.sub(r"\s+(?:with|for|on|at|by|from|in|to|after|since|when|beside|near)\b.*$", "",
                  part)
    owner = re.match(r"((?:[\w.&-]+ ){0,2}?[\w.&-]+)(?:'s|’s)\s+", part)
    if owner and is_place(owner.group(1)):
        part = part[owner.end():]  # "the UK's online passport renewal service"
    part = re.sub(r"\s+(?:series|franchises?|games?|titles?)\s*$", "", part).strip(" .:'’")
    if not part or len(part.split()) > 8:
        return None
    if re.fullmatch(rf"{_TITLE}(?: [a-z]+){{0,2}}", part):
        return part  # "Driver", "NHS England app"
    named = re.findall(rf"(?:^|(?<=[a-z] ))({_TITLE})", part)
    if named:
        return named[-1].strip(" :,'’")  # "PSP titles Grand Theft Auto: Liberty City Stories"
    if not named_only and re.fullmatch(r"[a-z][\w-]*(?: [\w-]+){0,5}", part):
        return part
    return None


# A title: capitalised words, a subtitle after a colon ("Sackboy: A Big Adventure").
_TITLE = r"[A-Z][\w.&'’-]*(?:(?: |: )[A-Z0-9][\w.&'’,-]*)*"


# --- names of one thing -----------------------------------------------------------------

_NAME = r"[A-Z0-9][\w.&'’-]*(?: (?:of |for |& )?[A-Z0-9][\w.&'’-]*)*"


def aliases(c: Clause, fact) -> None:
    """Other names of one thing: "Catalyst (formerly Northern Ireland Science Park)", "Tech
    West Midlands (TechWM), formerly Birmingham Tech", "The Hut Group (THG)", "Ultraleap
    began as Ultrahaptics", "established in 1982 as INMOS", "renamed it Ubisoft Leamington"."""
    text = c.text
    for m in c.mentions:
        if m.category != ORG or m.ref:
            continue
        after = text[m.end:]
        formerly = re.match(rf"\s*(?:\(|,\s*|\([^)]*\),\s*)formerly (?:known as )?(?P<a>{_NAME})",
                            after)
        if formerly:
            fact(m.text, "alias", formerly.group("a"))
        short = re.match(r"\s*\((?P<a>[A-Z][\w&]{1,9})\)", after)
        letters = re.sub(r"[^A-Z]", "", short.group("a")) if short else ""
        if short and letters in (_initials(m.text), "T" + _initials(m.text)):  # "(THG)"
            fact(m.text, "alias", short.group("a"))
    became = re.search(rf"\b(?:began|started|started out|started life|was established|was "
                       rf"founded|was formed|co-founded it|founded it)\b[^;,.]{{0,25}}?\bas "
                       rf"(?P<a>{_NAME})", text)
    if became:
        target = c.antecedent if re.search(r"\b(?:co-)?founded it\b", became.group()) else \
            c.subject
        if target and target != became.group("a"):
            fact(target, "alias", became.group("a"))
    renamed = re.search(rf"\b(?:renamed|rebranded) (?P<it>it |itself )?(?:as )?(?P<a>{_NAME})|"
                        rf"\btook the (?P<b>{_NAME}) name\b", text)
    if renamed:
        target = c.antecedent if renamed.group("it") and renamed.group("it").strip() == "it" \
            else c.subject
        alias = renamed.group("a") or renamed.group("b")
        if target and alias and target != alias:
            fact(target, "alias", alias)


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())
