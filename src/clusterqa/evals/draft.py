"""Draft eval cases for a new region from its fact table, for the team to review and keep.

Each candidate is a case in the eval set's format: a question a journalist might ask, the
facts a good answer states, and the sentence that states them as evidence. They are drafts:
the rules that found the facts can be wrong, so a person reads each one before it joins
evals/cases.yaml (the README's "Adding a region", step 3).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from clusterqa.entities.table import Entity, EntityTable
from clusterqa.text import clean_sentence


def draft_cases(table: EntityTable, doc_ids: set[str], region: str | None) -> list[dict[str, Any]]:
    """Candidate cases from the facts the documents ``doc_ids`` state."""
    cases: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(case_id: str, question: str, category: str, evidence: str, **more: Any) -> None:
        case_id = re.sub(r"[^a-z0-9-]+", "-", case_id.lower()).strip("-")
        if case_id in seen:
            return
        seen.add(case_id)
        cases.append({"id": case_id, "question": question, "region": region,
                      "category": category, "answerable": True,
                      "evidence": [clean_sentence(evidence)], **more,
                      "notes": "draft from the fact table: check the question, the facts and "
                               "the evidence before keeping it"})

    prefix = (region or "x")[:2]
    for entity in sorted(table.organisations(), key=lambda e: e.name):
        own = [e for e in entity.evidence if e.doc_id in doc_ids]
        if not own:
            continue
        name, slug = entity.name, f"{prefix}-{entity.key}"
        for ev in own:
            f = ev.fact
            if f.relation == "founded" and f.value:
                add(f"{slug}-founded", f"When was {name} founded?", "numbers", f.sentence,
                    facts=[[f.value]])
            elif f.relation == "acquired_by" and f.obj:
                add(f"{slug}-buyer", f"Who bought {name}?", "lookup", f.sentence,
                    facts=[[f.obj]])
                if f.value:
                    add(f"{slug}-price", f"How much was {name} sold for?", "numbers",
                        f.sentence, facts=[[f.value]])
            elif f.relation == "raised" and f.value:
                add(f"{slug}-raised", f"How much did {name} raise?", "numbers", f.sentence,
                    facts=[[f.value]])
            elif f.relation == "place" and f.obj:
                add(f"{slug}-place", f"Where is {name} based?", "place", f.sentence,
                    facts=[[f.obj]])
        founders = [ev for ev in own if ev.fact.relation == "founded_by" and ev.fact.obj]
        if founders:
            add(f"{slug}-founders", f"Who founded {name}?", "list", founders[0].fact.sentence,
                facts=[[ev.fact.obj] for ev in founders[:3]],
                items=[[ev.fact.obj] for ev in founders])
    cases += _place_lists(table, doc_ids, region, prefix, seen)
    return cases


def _place_lists(table: EntityTable, doc_ids: set[str], region: str | None, prefix: str,
                 seen: set[str]) -> list[dict[str, Any]]:
    """"Which <sector> firms are in <place>?" for places with two or more such firms."""
    groups: dict[tuple[str, str], list[Entity]] = defaultdict(list)
    for entity in table.organisations():
        if not any(e.doc_id in doc_ids for e in entity.evidence):
            continue
        for place in entity.places[:1]:
            for sector in entity.sectors:
                groups[(place, sector)].append(entity)
    out = []
    for (place, sector), members in sorted(groups.items()):
        case_id = re.sub(r"[^a-z0-9-]+", "-", f"{prefix}-{place}-{sector}-firms".lower())
        if len(members) < 2 or case_id in seen:
            continue
        evidence = [next(clean_sentence(e.fact.sentence) for e in m.evidence
                         if e.fact.relation == "place") for m in members]
        out.append({"id": case_id, "question": f"Which {sector} firms are based in {place}?",
                    "region": region, "category": "list", "answerable": True,
                    "evidence": list(dict.fromkeys(evidence)),
                    "facts": [[m.name] for m in members[:3]], "items": [[m.name] for m in members],
                    "notes": "draft from the fact table: is every firm listed, and no other?"})
    return out


def write_drafts(cases: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Draft eval cases from the fact table (clusterqa eval draft). Review each one:\n"
              "# keep what is right, fix what is not, add unanswerable cases, then move the\n"
              "# cases you keep into evals/cases.yaml.\n")
    path.write_text(header + yaml.safe_dump(cases, sort_keys=False, allow_unicode=True,
                                            width=100), encoding="utf-8")
    return path
