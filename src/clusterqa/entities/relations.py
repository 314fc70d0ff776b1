"""The relations a clause states of the names in it, by rules over the clause's words.

A clause comes with its subject, its names and its references ("it", "the studio" standing
for the entity the paragraph is about), so "Sony agreed to buy the studio", "Flutter bought
it" and "Electronic Arts completed a $1.4bn cash purchase of the studio" all say who bought
what. Each rule is one way English states a relation:

- founding: "founded in 2009 by A and B", "A co-founded it", "founded by Codemasters
  co-founder A" (A is a founder, Codemasters where the founders came from);
- deals: "X bought Y", "Y was bought by X", "X sold Y to Z", "Y is part of the X group";
- money: "Y raised £9m", "X invested £13m in Y", "a round led by X", "X took a stake",
  "backed by A and B";
- tenancy: "X has hosted A, B and C", "tenants such as A", "A, based at X", "a X tenant";
- work: "known for A and B", "its credits include A, B and work on the C series";
- names: "X (formerly Y)", "The Hut Group (THG)", "X began as Y", "renamed it Y";
- origins: "X grew out of Y", "X traces its roots to Y", "spun out of Y";
- listings: "floated on the London Stock Exchange", "went public in 2021";
- closures: "the company collapsed in 2001", "Ubisoft has since closed it", "merged with
  CGU to form Aviva".
"""

from __future__ import annotations

import re

from clusterqa.entities.clause import (
    MONEY,
    YEAR,
    Clause,
    agent_before,
    listed,
    money_near,
    orgs,
    year_near,
)
from clusterqa.entities.describe import OFFICE, WHERE, descriptor, first_place
from clusterqa.entities.lexicon import kind_pattern, sectors_in
from clusterqa.entities.names import ORG, PERSON, PLACE, is_place
from clusterqa.entities.ties import money, staff, tenancy
from clusterqa.entities.works import aliases, works

__all__ = ["Clause", "relate"]


def relate(c: Clause, fact) -> None:
    for rule in (_founding, _origin, _deals, _sales, _listing, _closure, money, tenancy, works,
                 staff, _predicate, aliases, _based):
        rule(c, fact)


# --- founding ---------------------------------------------------------------------------

# "launched Worms in 1995", "set up its Dundee studio": a product or a site, no founding.
_FOUNDED = re.compile(r"\b(?:was |were )?(?:co-)?(?:founded|established|formed)\b|"
                      r"\b(?:was |were )(?:set up|started|launched|created)\b|"
                      r"\b(?:set up|started|launched|created)\b(?= (?:in|on|by|as)\b|,|$)")
# A firm named as someone's employer: "Metro Bank co-founder Anthony Thomson".
_ROLE_AFTER = re.compile(r"\s+(?:co-founder|founder|chief|boss|ceo|executive|director|chairman|"
                         r"head|veterans?|alumni|developers?|staff|engineers|employees)\b", re.I)
_FROM_ROLE = re.compile(r"\b(?:developers|veterans|staff|alumni|engineers|executives|"
                        r"employees|people|team) (?:from|of|at) (?:[A-Z][\w'’-]*(?:'s|’s) )?$")
# Where a list of founders ends: "by A and B and built ...", "by A after their B closed";
# not at a kin or role before the next name ("by A, his brother B and C").
_FOUNDERS_END = re.compile(r"[;.!?]|, (?![A-Z]|and |(?:his|her|their) [a-z-]+ [A-Z])|"
                           r", (?:which|who|while|but)\b|"
                           r"\b(?:after|before|when|while|until|following)\b| and (?:[a-z]+ed|"
                           r"built|made|began|grew|has|had|is|was|sold|bought|became|runs)\b")
_FOUNDER_VERB = re.compile(r"\s+(?:co-)?(?:founded|started|set up|launched|created)\s+")


def _founding(c: Clause, fact) -> None:
    text = c.text
    founded = _FOUNDED.search(text)
    if founded:
        tail = text[founded.end():]
        phrase = re.split(r"[;.!?]|, (?![A-Z]|and )", tail, maxsplit=1)[0]
        founded_year = YEAR.search(phrase[:60])
        year = int(founded_year.group()) if founded_year else None
        if founded_year:
            fact(c.subject, "founded", value=founded_year.group(), year=year)
        # "founded in 2009 by A and B", "set up by Metro Bank co-founder A and former First
        # Direct chief B": the people named after "by" (or, when none, the firms).
        by = re.match(r"(?:\s+(?:in|on|at) (?:(?!\band\b)[^,;]){1,40}?)?\s+by\b(?! \w+ing\b)",
                      tail)
        if by:
            stop = _FOUNDERS_END.search(tail, by.end())
            window = (founded.end() + by.end(), founded.end() + (stop.start() if stop
                                                                 else len(tail)))
            inside = [m for m in c.mentions if window[0] <= m.start < window[1]
                      and m.category in (PERSON, ORG) and m.text != c.subject and not m.ref]
            # "by developers from A, B and C", "by Codemasters co-founder D": where the
            # founders came from, not founders.
            first_from = next((m.start for m in inside if _FROM_ROLE.search(text[:m.start])),
                              len(text))
            origin = [m for m in inside if m.category == ORG and (
                _ROLE_AFTER.match(text, m.end) or m.start >= first_from)]
            for m in origin:
                fact(c.subject, "founders_from", m.text, year=year)
            named = [m for m in inside if m not in origin]
            # When anyone named is a person, the founders are the people: the names of
            # two or three words ("Gareth Williams" is no census name, but sits in the list).
            people = [m for m in named if m.category == PERSON] and \
                [m for m in named if m.category == PERSON or 2 <= len(m.text.split()) <= 3]
            for m in people or named:
                fact(c.subject, "founded_by", m.text, year=year)
        place = re.search(r"\bin (?P<p>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)", tail[:70])
        if place and is_place(place.group("p")) and ";" not in tail[:place.start()]:
            fact(c.subject, "place", place.group("p"))
    # "began in Leeds", "began as an educational charity in Cambridge"
    began = re.search(r"\b(?:began|started out|started life|was born)(?: as [^,;.()]{1,50}?)? "
                      r"in (?P<p>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*)", text)
    if began and is_place(began.group("p")):
        fact(c.subject, "place", began.group("p"))
    # "Drew Nelson co-founded it", "Founder John Roberts started the business".
    for person, m in zip(c.mentions, c.mentions[1:], strict=False):
        if person.category == PERSON and m.category == ORG and \
                _FOUNDER_VERB.fullmatch(text[person.end:m.start]):
            fact(m.text, "founded_by", person.text, year=year_near(text, m.end, []))


# Where a firm came from: "CSR grew out of the consultancy Cambridge Consultants", "Aviva
# traces its roots to the Norwich Union", "spun out of the University of Bristol".
_ORIGIN = re.compile(r"\b(?:grew|grown|spun|span) out of|\bspin-?out (?:of|from)|"
                     r"\btrac(?:es|ed|ing) (?:its|their) (?:roots|origins?|history) (?:back )?to")


def _origin(c: Clause, fact) -> None:
    for m in _ORIGIN.finditer(c.text):
        # the first organisation after it, past a description ("the consultancy")
        source = next((o for o in orgs(c) if o.start >= m.end() and not o.ref and
                       re.fullmatch(r"(?:\s+(?:the|a|an|[a-z-]+))*\s+",
                                    c.text[m.end():o.start])), None)
        agent = agent_before(c, m.start())
        if source is not None and agent.text and agent.text != source.text:
            fact(agent.text, "grew_out_of", source.text,
                 year=year_near(c.text, source.end, []))


# --- deals ------------------------------------------------------------------------------

_BUY = re.compile(
    r"\b(?:bought|buys|acquired|acquires|took over|takes over|purchased|snapped up|"
    r"(?:agreed|agrees|planned|plans|moved|offered|offers)(?: in [A-Z]\w+(?: \d{4})?)? to "
    r"(?:buy|acquire|take over|purchase)|completed (?:a|an|the|its) [^;,]{0,40}?"
    r"(?:purchase|acquisition|takeover) of|(?:(?<=\ba )|(?<=\ban )|(?<=\bthe )|(?<=\bits )|"
    r"(?<=bn )|(?<=\dm )|(?<=cash ))(?:deal|bid|offer) for|"
    r"paid [^,;]{1,30}? for)\s+")
_PASSIVE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+(?:\w+ly\s+|later\s+|then\s+|"
                      r"also\s+|both\s+|all\s+|eventually\s+)*$")
_BOUGHT_BY = re.compile(r"\b(?:was|were|been|being|is|are)\s+(?:\w+ly\s+|later\s+|then\s+|"
                        r"also\s+|both\s+|all\s+|eventually\s+)*(?:bought|acquired|taken over|"
                        r"purchased|sold|snapped up)\b[^;]{0,60}?\b(?:by|to)\s+"
                        r"(?:[A-Z][\w'’-]*(?:'s|’s)\s+|the\s+)?$")
_OWNED = re.compile(r"\b(?:owned by|(?:is|was|are|became|becoming|now)\s+(?:now\s+)?(?:a\s+)?"
                    r"part of(?: the)?|sale to|(?:then|later|and|eventually|was) sold to)\s+"
                    r"(?:[A-Z][\w'’-]*(?:'s|’s)\s+)?$")


def _deals(c: Clause, fact) -> None:
    """Who was bought by whom: "X bought Y" (Y a name, "it" or "the studio"), "Y was bought
    by X", "owned by X", "part of the X group", "after a sale to X"; "A and B were bought by
    Canadian-based companies" records the buyers as described."""
    text = c.text
    verbs = list(_BUY.finditer(text))
    for verb, following in zip(verbs, [*verbs[1:], None], strict=False):
        if _PASSIVE.search(text[:verb.start()]):
            continue
        buyer = agent_before(c, verb.start())
        # The price is the one stated before the next purchase ("... acquire it in 2014, and
        # in 2018 X agreed to buy Y for $3.4bn": none for the first).
        span = text[:following.start()] if following else text
        for m in listed(c, verb.end(), (ORG, PERSON)):  # nobody buys a person: a brand
            if m.text != buyer.text:
                fact(m.text, "acquired_by", buyer.text,
                     money_near(span, max(0, verb.start() - 12)),  # "a $1.2bn deal for"
                     year_near(text, m.end, c.years))
    for m in orgs(c):
        if m.text != c.subject and not m.ref and (_BOUGHT_BY.search(text[:m.start]) or
                                                   _OWNED.search(text[:m.start])):
            near = MONEY.search(text[max(0, m.start - 40):m.end + 30])
            fact(c.subject, "acquired_by", m.text, near.group().strip() if near else None,
                 year_near(text, m.end, c.years))
    described = re.search(r"\b(?:were|was) (?:both |all |later )?(?:bought|acquired) by "
                          r"(?P<who>[A-Za-z][\w -]{3,40}?(?:companies|firms|groups|buyers|"
                          r"owners))", text)
    if described:
        for m in orgs(c):
            if m.start < described.start() and not m.ref:
                fact(m.text, "acquired_by", described.group("who"), money_near(text, 0),
                     year_near(text, described.start(), c.years))


def _sales(c: Clause, fact) -> None:
    """"X sold Y to Z": Y was bought by Z; "sold it (or "the ISP") to Z": what the paragraph
    (or the seller's owner, "Plusnet's co-founder") is about; "sold a 21% stake to Z": Z
    invested."""
    text = c.text
    for sale in re.finditer(r"\bsold\s+(?P<what>[^;]{1,60}?)\s+to\s+(?:[A-Z][\w'’-]*(?:'s|’s)"
                            r"\s+)?", text):
        if _PASSIVE.search(text[:sale.start()]):
            continue
        buyer = next((m for m in orgs(c) if m.start == sale.end() and not m.ref), None)
        if buyer is None:
            continue
        what = sale.group("what")
        refs = [m for m in c.mentions if m.ref and sale.start("what") <= m.start]
        named = [m for m in orgs(c) if sale.start("what") <= m.start < sale.end("what")
                 and not m.ref and not any(r.start <= m.start < r.end for r in refs)]
        near = MONEY.search(re.split(r"\band\b|;", text[buyer.end:buyer.end + 60])[0])
        money = near.group().strip() if near else None  # "to BT ... in a deal reported at £67m"
        year = year_near(text, buyer.end, c.years)
        owner = re.search(r"([A-Z][\w.&'’-]*(?: [A-Z][\w.&'’-]*)*)(?:'s|’s) (?:co-)?"
                          r"(?:founders?|owners?|managers|shareholders)\s+$", text[:sale.start()])
        if re.search(r"\bstake\b|\d\s?%|\bshares?\b", what):
            target = c.subject if c.subject != buyer.text else c.antecedent
            if target:
                fact(target, "invested_by", buyer.text, money, year)
        elif named and not (owner and re.match(r"(?:the|it)\b", what)):
            fact(named[0].text, "acquired_by", buyer.text, money, year)
        else:
            target = owner.group(1) if owner else c.antecedent
            if target and target != buyer.text:
                fact(target, "acquired_by", buyer.text, money, year)


# A listing on a stock market: "floated on the London Stock Exchange in June 2024", "went
# public in 2021", "listed on Nasdaq", "its 2018 IPO". ("listed" alone is too common: "a
# listed building", "listed among the best"; only a listing on a market counts.)
_MARKET = (r"(?:the |a )?(?:(?P<market>(?:London|New York|Nasdaq|NYSE|AIM|Euronext|Frankfurt|"
           r"Hong Kong|Toronto)(?: Stock Exchange| Stock Market|’?'?s? (?:[A-Z]\w+ ){0,3}"
           r"[Mm]arket)?)|stock (?:market|exchange))")
_LISTING = re.compile(rf"\b(?:floated|listed|began trading|started trading) (?:its shares )?"
                      rf"(?:on|in) {_MARKET}|\b(?:floated|went public)\b(?! (?:the|an?) "
                      rf"(?:idea|plan|proposal|notion))|\b(?:an?|its|the) (?:\d{{4}} )?"
                      rf"(?:initial public offering|IPO|flotation|stock market listing)\b")


def _listing(c: Clause, fact) -> None:
    for m in _LISTING.finditer(c.text):
        if re.search(r"\b(?:not|never|plans? to|planned|considering|could|would|may)\s+"
                     r"(?:\w+\s+)?$", c.text[:m.start()]):
            continue  # not (yet) a listing: "plans to float", "has never floated"
        agent = agent_before(c, m.start())
        if agent.text:
            fact(agent.text, "listed", m.group("market"),
                 year=year_near(c.text, m.end(), c.years))


# A firm that no longer trades: "collapsed in 2001", "went into administration", "was wound
# up", "closed in 2013" (only with nothing closed after it: "closed a £5m round" is a deal),
# "merged with CGU to form Aviva" (what it became is the object).
_ENDED = re.compile(
    r"\b(?:collapsed|folded|went (?:bust|under)|went into (?:administration|receivership|"
    r"liquidation)|ceased trading|(?:was|were|has been|had been) (?:later |eventually |then )?"
    r"(?:closed|shut(?: down)?|wound up|dissolved|liquidated)|closed(?: down| its doors)?|"
    r"shut (?:down|its doors))(?=\s+in\s+(?:\d{4}|[A-Z][a-z]+ \d{4})|\s*[,;.)\[]|\s*$|"
    r"\s+(?:after|when|and|as|following)\b)")
_SHUT = re.compile(r"\b(?:closed|shut(?: down)?|wound up)\s+")  # "Ubisoft has since closed it"
_MERGED = re.compile(r"\bmerged with [^;]{1,60}? (?:in \d{4} )?to (?:form|create) ")
# Only what stands for the firm may be what closed: "it", "the studio", its name.
_AGENT_GAP = re.compile(r"(?:\s+(?:has|had|have|was|were|later|eventually|then|since|"
                        r"finally|itself|subsequently|quickly|soon))*\s*")


_DESCRIPTION = re.compile(rf"\s*(?:(?:the|this) (?:[\w-]+ ){{0,2}}(?:{kind_pattern()})|it|they)"
                         rf"{_AGENT_GAP.pattern}", re.I)


def _closure(c: Clause, fact) -> None:
    text = c.text
    for m in _ENDED.finditer(text):
        agent = next((o.text for o in reversed(orgs(c)) if o.end <= m.start()
                      and _AGENT_GAP.fullmatch(text[o.end:m.start()])), None)
        if agent is None and _DESCRIPTION.fullmatch(text[:m.start()]):
            agent = c.subject  # "; the company collapsed in 2001"
        if agent:
            fact(agent, "closed", None, "closed", year=year_near(text, m.end(), c.years))
    for m in _SHUT.finditer(text):
        if _PASSIVE.search(text[:m.start()]):
            continue
        closer = agent_before(c, m.start())
        for closed in listed(c, m.end(), (ORG,), first_gap=1):
            target = closed.text
            if closed.ref and closed.text in (closer.text, c.subject):
                # "Firesprite was formed by veterans of Sony's Studio Liverpool, formerly
                # Psygnosis, after Sony closed it": "it" is the studio just named
                before = [o for o in orgs(c) if o.end <= closer.start and not o.ref
                          and o.text not in (closer.text, c.subject)]
                target = before[-1].text if before else c.antecedent or target
            if target != closer.text:
                fact(target, "closed", closer.text, "closed",
                     year=year_near(text, closed.end, c.years))
    for m in _MERGED.finditer(text):
        formed = next((o for o in orgs(c) if o.start == m.end()), None)
        agent = agent_before(c, m.start())
        if formed is not None and agent.text and agent.text != formed.text:
            fact(agent.text, "closed", formed.text, "merged",
                 year=year_near(text, m.end(), c.years))


def _predicate(c: Clause, fact) -> None:
    """"X is the UK's largest independent mobile games developer": kind and sector; "which
    makes software", "focused on mobile games": sector."""
    text = c.text
    predicate = re.search(rf"\b(?:is|was|has become|became|remains|is now) (?:the|a|an|one of "
                          rf"the) (?P<desc>[^,;()]{{0,60}}?)\b(?P<kind>{kind_pattern()})\b"
                          rf"(?P<rest>[^,;]{{0,60}})", text, re.I)
    nearest = [m for m in c.mentions if m.end <= (predicate.start() if predicate else 0)]
    if predicate and (not nearest or nearest[-1].category != ORG or
                      nearest[-1].text == c.subject):
        descriptor(c.subject, predicate.group("desc"), predicate.group("kind"), "", fact)
        for sector in sectors_in(predicate.group("rest")):
            fact(c.subject, "sector", sector)
    focus = re.search(r"\b(?:focused on|focusing on|specialising in|specializing in|makes|"
                      r"known for|best known for|publishing|publishes|publisher of|"
                      r"making|develops|developing|builds|building|designs|designing|"
                      r"writes|supplies|to build|to make|to develop)\b", text)
    if focus:
        for sector in sectors_in(text[focus.end():focus.end() + 60]):
            fact(c.subject, "sector", sector)


_WORKS_IN = re.compile(r"\b(?:builds|built|makes|made|manufactures|manufactured|designs|"
                       r"designed|develops|developed|produces|produced|assembles|assembled|"
                       r"employs|employed) (?:[\w,’'-]+ ){1,5}?(?:in|at) "
                       r"(?P<where>[A-Z][^,;.()]{1,40})")


_STAFFED = re.compile(r"\b(?:staff|employees|people|jobs|workers|roles)\b(?: [\w,-]+){0,3}? "
                      r"(?:in|across|at) (?P<where>[A-Z][^;.()\[]{1,60})")


def _based(c: Clause, fact) -> None:
    """"described as Manchester-based", "is registered at Tech Hub in Swansea": the
    subject's place."""
    for where in WHERE.finditer(c.text):
        place = first_place(where.group("where"))
        agent = agent_before(c, where.start(), articles=True)
        if place and (agent.text == c.subject or agent.ref):
            fact(agent.text, "place", place, OFFICE if where.group("office") else None)
    opened = re.search(rf"\b(?:opened|set up|launched|moved to|built) (?:an?|its|their|the) "
                       rf"(?:first |new |own )?(?P<p>[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*) "
                       rf"(?P<what>{kind_pattern()}|office|base|headquarters|hq)\b", c.text)
    if opened and is_place(opened.group("p")):
        agent = agent_before(c, opened.start())
        fact(agent.text, "place", opened.group("p"),
             OFFICE if opened.group("what") == "office" else None)
    # "Airbus builds satellites in Stevenage", "employs 300 people in Newport": where its
    # work is done is a place of the firm (the place must be one the gazetteer knows).
    for work in _WORKS_IN.finditer(c.text):
        place = first_place(work.group("where"))
        agent = agent_before(c, work.start())
        if place and (agent.text == c.subject or agent.ref):
            fact(agent.text, "place", place)
    # "had 1,500 staff in Belfast and 900 in Derry", "600 jobs across Belfast and Derry":
    # where its people work are sites of the firm (not its home).
    for staffed in _STAFFED.finditer(c.text):
        agent = agent_before(c, staffed.start())
        if not (agent.text == c.subject or agent.ref):
            continue
        for place in (m for m in c.mentions if m.category == PLACE
                      and staffed.start("where") <= m.start < staffed.end()):
            fact(agent.text, "place", place.text, OFFICE)
    # "Manchester ... had produced as many $1bn companies as Amsterdam: A, B and C",
    # "Chelmsford, where Marconi opened a factory, is home to Teledyne e2v".
    for place in (m for m in c.mentions if m.category == PLACE):
        hosts = re.match(r"[^:;]{0,80}?\b(?:produced|is home to|was home to|hosts|boasts|has|"
                         r"had)\b[^:;]{0,60}?(?::|\binclud\w*|such as)\s+", c.text[place.end:]) \
            or re.match(r"[^:;]{0,80}?\b(?:is|was) home to\s+", c.text[place.end:])
        if hosts:
            for m in listed(c, place.end + hosts.end(), first_gap=0):
                fact(m.text, "place", place.text)
            break
    for based in re.finditer(r"\b(?:as|is|was|now) (?P<p>[A-Z][\w]*(?: [A-Z]\w*)*)-based\b",
                             c.text):
        if is_place(based.group("p")):
            fact(c.subject, "place", based.group("p"))
