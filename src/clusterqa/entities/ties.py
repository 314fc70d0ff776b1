"""Money, staff and hubs a clause states: "Y raised £9m", "X invested £13m in Y", "a round
led by X", "X took a stake", "backed by A and B", "run by A, B and C"; "It now has 350
staff"; "X has hosted A, B and C", "tenants such as A", "A, based at X", "a X tenant"."""

from __future__ import annotations

import re

from clusterqa.entities.clause import (
    MONEY,
    Clause,
    agent_before,
    amount_invested,
    listed,
    orgs,
    pronoun_target,
    year_near,
)
from clusterqa.entities.names import ORG, PERSON, PLACE

# --- money ------------------------------------------------------------------------------

def money(c: Clause, fact) -> None:
    text = c.text
    raised = re.search(r"\b(?:raised|secured|attracted|landed|won)\b", text)
    money = MONEY.search(text)
    if raised and money and money.start() > raised.start():
        fact(c.subject, "raised", value=money.group().strip(),
             year=year_near(text, raised.end(), c.years))
    for invested in re.finditer(r"\binvested\s+(?P<money>[^\s]+(?: [mb]illion)?)\s+in\s+",
                                text):
        investor = agent_before(c, invested.start())
        for m in listed(c, invested.end()):
            fact(m.text, "raised", value=invested.group("money"),
                 year=year_near(text, m.end, c.years))
            if investor is not None and investor.text != m.text:
                fact(m.text, "invested_by", investor.text, invested.group("money"))
    for m in (m for m in c.mentions if m.category in (ORG, PERSON)):
        before = text[:m.start]
        led = re.search(r"\b(?:round|series \w+|investment|funding|raise)\b[^;,]{0,30}?\bled "
                        r"by\s+(?:the\s+)?$", before, re.I)
        given = re.search(r"\b(?:secured|raised|received|won)\s+[£$€]\S+\s+from\s+(?:the\s+)?$",
                          before)
        if (led or given) and m.text != c.subject:
            fact(c.subject, "invested_by", m.text, amount_invested(text, 0))
    for stake in re.finditer(r"\b(?:bought|took|acquired|takes|buys|holds|taking)\s+(?:a|an)\s+"
                             r"(?:[\d.]+% |majority |minority |controlling |\w+ )?stake\b", text):
        investor = agent_before(c, stake.start())
        into = next((m for m in listed(c, stake.end(), first_gap=1)
                     if text[stake.end():m.start].strip() in ("in", "in the")), None)
        target = into.text if into else (c.subject if investor is None or
                                         c.subject != investor.text else c.antecedent)
        if investor is not None and target and target != investor.text:
            near = MONEY.search(text[stake.start():stake.end() + 30])
            fact(target, "invested_by", investor.text, near.group().strip() if near else None,
                 year_near(text, stake.end(), c.years))
    for m in orgs(c):
        owned = re.match(r"(?:'s|’s) (?:\d{4} )?(?:investment|funding|backing)\b", text[m.end:])
        if owned and not m.ref:
            ref = next((r for r in c.mentions if r.ref and r.start > m.end), None)
            target = ref.text if ref else c.antecedent
            if target and target != m.text:
                fact(target, "invested_by", m.text, amount_invested(text, m.end))
    for run in re.finditer(r"\b(?:run|led|operated|managed|chaired|owned jointly) (?:jointly )?"
                           r"by\s+|\b(?:a |the )?(?:partnership|joint venture|consortium) "
                           r"(?:of|between)\s+", text):
        for m in listed(c, run.end(), (ORG, PERSON)):
            if m.text != c.subject:
                fact(c.subject, "run_by", m.text)
    for backed in re.finditer(r"\b(?:backed|funded|supported) (?:partly |jointly )?by\s+", text):
        for m in listed(c, backed.end(), (ORG, PERSON)):
            if m.text != c.subject:
                fact(c.subject, "backed_by", m.text)


# --- tenancy ----------------------------------------------------------------------------

def tenancy(c: Clause, fact) -> None:
    """Who is based at a hub: "X has hosted A, B and C", "its park housed about 160
    companies including A", "tenants such as A", "A, based at X", "A is a X tenant"."""
    text = c.text
    for hosted in re.finditer(r"\b(?:has |have |had )?(?:hosted|hosts|housed|houses|"
                              r"(?:is|was|are) (?:also )?home to)\s+", text):
        host = agent_before(c, hosted.start())
        if host.end == 0 and c.mentions and c.mentions[0].category == PLACE:
            continue  # "Chelmsford, where Marconi opened ..., is home to X": a place hosts
        guests = listed(c, hosted.end(), first_gap=1)
        cue = re.search(r"\b(?:including|include|such as|like)\s+", text[hosted.end():])
        if not guests and cue and cue.start() < 60:
            guests = listed(c, hosted.end() + cue.end(), first_gap=1)
        for m in guests:
            if host is not None and m.text != host.text:
                fact(m.text, "based_at", host.text)
    for tenants in re.finditer(r"\btenants?\b(?P<of> of (?:its |the )?)?[^;]{0,40}?\b(?:such as|"
                               r"include|includes|included|including|like)\s+", text):
        hosts = {c.subject, c.antecedent}
        if tenants.group("of"):
            named = next((m for m in orgs(c) if m.start == tenants.end("of")), None)
            hosts.add(named.text if named else None)
        for m in listed(c, tenants.end(), first_gap=1):
            for host in hosts - {None, m.text}:
                fact(m.text, "based_at", host)
    for based in re.finditer(r"\b(?:based|registered|housed|located|started out) (?:at|in) "
                             r"(?:the\s+)?", text):
        host = next((h for h in orgs(c) if h.start == based.end() and not h.ref), None)
        if host is not None:
            tenant = agent_before(c, based.start())
            if tenant.text != host.text:
                fact(tenant.text, "based_at", host.text)
    tenant = re.search(r"\b(?:is|was|are|were) (?:also |now )?(?:a|an) (?P<host>[A-Z][\w.&'-]*"
                       r"(?: [A-Z][\w.&'-]*)*) (?:tenant|member|resident)\b", text)
    if tenant:
        fact(c.subject, "based_at", tenant.group("host"))


def staff(c: Clause, fact) -> None:
    """"It now has 350 staff"; "Sony agreed to buy the studio ..., when it had more than 200
    staff": the studio's."""
    members = re.search(r"\b(?:has|had|have|with) (?:more than |over |about |around |some )?"
                        r"[\d,]+ members\b", c.text)
    if members:  # "Software Cornwall has more than 60 members": a membership body
        fact(c.subject, "kind", "hub")
    staff = re.search(r"\b(?:has|had|have|employs|employed|employing|with|of|to) (?:more "
                      r"than |about |around |over |almost |nearly |some )?(\d[\d,]*) "
                      r"(?:staff|employees|people|workers)\b", c.text)
    if staff:
        if re.search(r",\s*(?:which|who)\b[^,]*$", c.text[:staff.start()]):
            return  # "SSE's household business, which employed 8,000": not the subject's
        who = pronoun_target(c, staff.start() + len(staff.group().split()[0]) + 1)
        fact(who or c.subject, "employs", value=staff.group(1),
             year=year_near(c.text, 0, c.years))
