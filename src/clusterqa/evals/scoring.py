"""Scoring eval cases: pure functions from an answer and its ranked passages to metrics,
and the averages the report and the gate read."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clusterqa.evals import metrics as m
from clusterqa.evals.cases import EvalCase
from clusterqa.types import Answer

# The metrics the gate watches, each with the cases it is averaged over.
HEADLINE = ("pass_rate", "hit@5", "mrr@10", "ndcg@10", "fact_recall", "abstention_accuracy",
            "citation_precision", "item_recall", "item_precision", "lead")
RETRIEVAL = ("hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10")


@dataclass
class CaseResult:
    id: str
    question: str
    region: str | None
    category: str
    answerable: bool
    answer: str
    abstained: bool
    passed: bool
    reasons: list[str]
    metrics: dict[str, float]
    ms: float
    citations: list[dict[str, Any]] = field(default_factory=list)


def retrieval_metrics(passages: Sequence[str], evidence: Sequence[str], n_relevant: int
                      ) -> dict[str, float]:
    covered = [m.evidence_in(p, evidence) for p in passages]
    relevant = [bool(c) for c in covered]
    return {
        "hit@1": m.hit_at(relevant, 1),
        "hit@5": m.hit_at(relevant, 5),
        "recall@5": m.recall_at(covered, len(evidence), 5),
        "mrr@10": m.mrr_at(relevant, 10),
        "ndcg@10": m.ndcg_at(relevant, 10, max(n_relevant, 1)),
    }


def count_relevant(all_passages: Iterable[str], evidence: Sequence[str]) -> int:
    return sum(1 for p in all_passages if m.evidence_in(p, evidence))


def score_case(case: EvalCase, answer: Answer, passages: Sequence[str], n_relevant: int, ms: float
               ) -> CaseResult:
    """Score one case from the answer and the ranked passage texts behind it."""
    text = answer.text
    shown = {c.n: c.text for c in answer.citations}
    scores: dict[str, float] = {"abstention_correct": float(answer.abstained != case.answerable)}
    reasons: list[str] = []
    forbidden = m.forbidden_stated(text, case.must_not_state)
    scores["forbidden"] = float(bool(forbidden))
    if forbidden:
        reasons.append(f"states {', '.join(forbidden)}")
    if case.answerable:
        scores.update(retrieval_metrics(passages, case.evidence, n_relevant))
        scores["fact_recall"] = m.fact_recall(text, case.facts) if not answer.abstained else 0.0
        if answer.abstained:
            reasons.append("abstained on an answerable question")
        elif scores["fact_recall"] < 1:
            missing = [alts[0] for alts in case.facts if m.fact_recall(text, [alts]) == 0]
            reasons.append(f"missing {', '.join(missing)}")
    elif not answer.abstained:
        reasons.append("answered an unanswerable question")
    if case.items and not answer.abstained:
        scores.update(item_metrics(answer, case.items, shown))
    if case.answerable and not answer.abstained:
        scores["lead"] = lead_metric(answer, case)
    if not answer.abstained:
        scores["citation_validity"] = m.citation_validity(text, set(shown))
        # A written lead (the items, each cited) is checked item by item in item_metrics;
        # every quoted sentence must stand in the passage it cites.
        quoted = text.removeprefix(answer.lead).strip() if answer.lead else text
        if answer.sides:  # a comparison: each side's cell of quotes (after its lead)
            quoted = " ".join(side.text.removeprefix(side.lead or "").strip()
                              for side in answer.sides if not side.abstained)
        scores["citation_precision"] = m.citation_precision(quoted, shown)
        if scores["citation_validity"] < 1:
            reasons.append("cites a passage that is not shown")
        if scores["citation_precision"] < 1:
            reasons.append("a cited sentence is not in its passage")
    if case.asked is not None:
        scores["rewrite_correct"] = float(m.normalize(answer.asked or case.question) ==
                                          m.normalize(case.asked))
        if not scores["rewrite_correct"]:
            reasons.append(f"asked {answer.asked!r}, not {case.asked!r}")
    return CaseResult(case.id, case.question, case.region, case.category, case.answerable, text,
                      answer.abstained, not reasons, reasons, scores, ms,
                      [c.to_json() for c in answer.citations])


def item_metrics(answer: Answer, gold: Sequence[Sequence[str]], shown: dict[int, str]
                 ) -> dict[str, float]:
    """Recall: gold items the answer names (as items, or in its text when it lists none).
    Precision: the answer's items that are gold. Cited: items whose every citation contains
    their name."""
    named = [i.name for i in answer.items]
    found = (sum(any(m.same_item(n, alts) for n in named) for alts in gold) if named
             else m.items_found([answer.text], gold))
    out = {"item_recall": found / len(gold)}
    if named:
        out["item_precision"] = m.items_correct(named, gold) / len(named)
        out["item_cited"] = sum(
            all(m.normalize(i.name) in m.normalize(shown.get(n, "")) for n in i.citations)
            and bool(i.citations) for i in answer.items) / len(named)
    return out


def lead_metric(answer: Answer, case: EvalCase) -> float:
    """Whether the first sentence gives the answer: a gold item (lists) or a gold fact."""
    first = answer.sentences[0][0] if answer.sentences else answer.text
    if case.items:
        return float(m.items_found([first], case.items) > 0)
    if case.facts:
        return float(m.fact_recall(first, case.facts) > 0)
    return 1.0


def summarize(results: Sequence[CaseResult]) -> dict[str, float]:
    """Averages; each metric over the cases it applies to (retrieval: answerable ones)."""
    def mean(key: str, rows: Iterable[CaseResult]) -> float | None:
        values = [r.metrics[key] for r in rows if key in r.metrics]
        return round(statistics.fmean(values), 4) if values else None

    answerable = [r for r in results if r.answerable]
    out: dict[str, float | None] = {
        "cases": len(results),
        "pass_rate": round(statistics.fmean(r.passed for r in results), 4) if results else None,
    }
    for key in (*RETRIEVAL, "fact_recall", "item_recall", "item_precision", "item_cited", "lead"):
        out[key] = mean(key, answerable)
    out["abstention_accuracy"] = mean("abstention_correct", results)
    unanswerable = [r for r in results if not r.answerable]
    out["abstained_unanswerable"] = (round(statistics.fmean(r.abstained for r in unanswerable), 4)
                                     if unanswerable else None)
    out["abstained_answerable"] = (round(statistics.fmean(r.abstained for r in answerable), 4)
                                   if answerable else None)
    out["forbidden_rate"] = mean("forbidden", results)
    out["citation_validity"] = mean("citation_validity", results)
    out["citation_precision"] = mean("citation_precision", results)
    return {k: v for k, v in out.items() if v is not None}


def breakdown(results: Sequence[CaseResult], key: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(getattr(r, key) or "(cross-region)", []).append(r)
    return {name: summarize(rows) for name, rows in sorted(groups.items())}


def timing_summary(results: Sequence[CaseResult]) -> dict[str, float]:
    ms = sorted(r.ms for r in results)
    if not ms:
        return {}
    return {"per_question_ms_mean": round(statistics.fmean(ms), 1),
            "per_question_ms_p50": round(ms[len(ms) // 2], 1),
            "per_question_ms_p95": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1)}
