"""The eval runner: scores every case, compares with the saved baseline, gates regressions."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clusterqa import metrics as m
from clusterqa.assistant import Assistant
from clusterqa.evalset import EvalCase

# The metrics the gate watches, each with the cases it is averaged over.
HEADLINE = ("pass_rate", "hit@5", "mrr@10", "ndcg@10", "fact_recall", "abstention_accuracy",
            "citation_precision")
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


def score_case(case: EvalCase, answer, passages: Sequence[str], n_relevant: int, ms: float
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
    if not answer.abstained:
        scores["citation_validity"] = m.citation_validity(text, set(shown))
        scores["citation_precision"] = m.citation_precision(text, shown)
        if scores["citation_validity"] < 1:
            reasons.append("cites a passage that is not shown")
        if scores["citation_precision"] < 1:
            reasons.append("a cited sentence is not in its passage")
    return CaseResult(case.id, case.question, case.region, case.category, case.answerable, text,
                      answer.abstained, not reasons, reasons, scores, ms,
                      [c.to_json() for c in answer.citations])


def run_cases(assistant: Assistant, cases: Sequence[EvalCase], depth: int = 10,
              progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    assistant.index.refresh()
    all_texts = [c.text for c in assistant.index.chunks.values()]
    results = []
    for case in cases:
        started = time.perf_counter()
        answer, retrieval = assistant.ask_with_retrieval(
            case.question, case.region if case.filter_region else None, depth=depth)
        ms = (time.perf_counter() - started) * 1000
        passages = [retrieval.view.chunks[h.chunk_id].text for h in retrieval.hits]
        n_relevant = count_relevant(all_texts, case.evidence) if case.answerable else 0
        result = score_case(case, answer, passages, n_relevant, ms)
        results.append(result)
        if progress:
            progress(result)
    return results


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
    for key in (*RETRIEVAL, "fact_recall"):
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


# --- the plain llama-index recipe, side by side ---------------------------------------------


def run_naive(naive, cases: Sequence[EvalCase], depth: int = 10) -> dict[str, Any]:
    """Retrieval metrics of the plain recipe on the answerable cases."""
    all_texts = naive.all_texts()
    rows: list[CaseResult] = []
    for case in cases:
        if not case.answerable:
            continue
        started = time.perf_counter()
        hits = naive.retrieve(case.question, depth)
        ms = (time.perf_counter() - started) * 1000
        scores = retrieval_metrics([h.text for h in hits], case.evidence,
                                   count_relevant(all_texts, case.evidence))
        rows.append(CaseResult(case.id, case.question, case.region, case.category, True, "",
                               False, False, [], scores, ms))
    keys = RETRIEVAL
    pick = lambda s: {k: s[k] for k in keys if k in s}  # noqa: E731
    return {"summary": pick(summarize(rows)),
            "by_region": {k: pick(v) for k, v in breakdown(rows, "region").items()},
            "by_category": {k: pick(v) for k, v in breakdown(rows, "category").items()},
            "timings": {**timing_summary(rows), "build_s": round(naive.build_seconds, 2),
                        "model_load_s": round(naive.model_load_seconds, 2),
                        "nodes": naive.nodes}}


# --- baseline and gate ----------------------------------------------------------------------


@dataclass
class Comparison:
    to_fail: list[str] = field(default_factory=list)
    to_pass: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    deltas: dict[str, dict[str, float]] = field(default_factory=dict)
    regressions: list[str] = field(default_factory=list)  # why the gate fails

    @property
    def failed(self) -> bool:
        return bool(self.regressions)


def compare(results: Sequence[CaseResult], baseline: dict[str, Any], tolerance: float
            ) -> Comparison:
    """Flipped cases and metric deltas against the baseline, over the cases both have."""
    base_cases: dict[str, dict[str, Any]] = baseline.get("cases", {})
    comp = Comparison()
    shared = [r for r in results if r.id in base_cases]
    for r in results:
        before = base_cases.get(r.id)
        if before is None:
            comp.new.append(r.id)
        elif before["passed"] and not r.passed:
            comp.to_fail.append(r.id)
        elif not before["passed"] and r.passed:
            comp.to_pass.append(r.id)
    base_rows = [_from_baseline(cid, base_cases[cid]) for cid in (r.id for r in shared)]
    now, then = summarize(shared), summarize(base_rows)
    for key in HEADLINE:
        if key in now and key in then:
            delta = round(now[key] - then[key], 4)
            comp.deltas[key] = {"baseline": then[key], "now": now[key], "delta": delta}
            if delta < -tolerance:
                comp.regressions.append(f"{key} fell {then[key]:.3f} -> {now[key]:.3f} "
                                        f"(tolerance {tolerance})")
    if comp.to_fail:
        comp.regressions.append(f"{len(comp.to_fail)} case(s) passed before and fail now: "
                                + ", ".join(comp.to_fail))
    return comp


def _from_baseline(case_id: str, row: dict[str, Any]) -> CaseResult:
    return CaseResult(case_id, "", row.get("region"), row.get("category", ""),
                      row.get("answerable", True), "", row.get("abstained", False),
                      row["passed"], [], row.get("metrics", {}), 0.0)


def baseline_payload(report: dict[str, Any]) -> dict[str, Any]:
    """What ``--save-baseline`` keeps of a report: per-case outcomes and metrics."""
    keep = ("passed", "region", "category", "answerable", "abstained", "metrics")
    return {
        "created": report["created"],
        "config": report["config"],
        "summary": report["summary"],
        "cases": {r["id"]: {k: r[k] for k in keep} for r in report["cases"]},
    }


def load_baseline(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def result_dicts(results: Sequence[CaseResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


# --- the whole run ------------------------------------------------------------------------


def select(cases: Sequence[EvalCase], regions: Sequence[str] = (), categories: Sequence[str] = (),
           ids: Sequence[str] = ()) -> list[EvalCase]:
    import fnmatch

    return [c for c in cases
            if (not regions or (c.region or "") in regions)
            and (not categories or c.category in categories)
            and (not ids or any(fnmatch.fnmatch(c.id, pattern) for pattern in ids))]


def run_eval(settings, cases: Sequence[EvalCase], *, compare_naive: bool = False,
             ingest: bool = True, filters: str = "",
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Ingest what changed, answer every case, compare with the baseline; returns the report."""
    from clusterqa.ingestion import Ingestor

    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    ingest_s = 0.0
    if ingest:
        t = time.perf_counter()
        report = Ingestor(settings).ingest()
        ingest_s = time.perf_counter() - t
        for failure in report.failed:
            say(f"ingest failed: {failure}")
    t = time.perf_counter()
    assistant = Assistant.from_settings(settings)
    model_load_s = time.perf_counter() - t
    say(f"answering {len(cases)} cases")
    try:
        results = run_cases(assistant, cases, depth=settings.eval.depth)
        status = assistant.status()
    finally:
        assistant.close()
    naive = None
    if compare_naive:
        from clusterqa.naive import NaiveRecipe

        say("building the plain llama-index recipe for comparison")
        recipe = NaiveRecipe(settings.embedding)
        try:
            recipe.build_from_dir(settings.corpus_dir)
            naive = run_naive(recipe, cases, depth=settings.eval.depth)
        finally:
            recipe.close()
    baseline = load_baseline(settings.eval.baseline)
    comparison = compare(results, baseline, settings.eval.tolerance) if baseline else None
    verdict = "no baseline" if comparison is None else (
        "REGRESSION" if comparison.failed else "ok")
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "verdict": verdict,
        "filters": filters,
        "config": config_fingerprint(settings),
        "corpus": {"documents": status.documents, "chunks": status.chunks,
                   "regions": [r.region for r in status.regions]},
        "summary": summarize(results),
        "by_region": breakdown(results, "region"),
        "by_category": breakdown(results, "category"),
        "timings": {"model_load_s": round(model_load_s, 2), "ingest_s": round(ingest_s, 2),
                    **timing_summary(results),
                    "total_s": round(time.perf_counter() - started, 1)},
        "naive": naive,
        "comparison": asdict(comparison) if comparison else None,
        "cases": result_dicts(results),
    }


def config_fingerprint(settings) -> dict[str, Any]:
    r = settings.retrieval
    return {
        "embedding": f"{settings.embedding.backend}:{settings.embedding.model}",
        "chunking": settings.chunking.model_dump(),
        "retrieval": (f"dense={'on' if r.dense else 'off'} bm25={'on' if r.bm25 else 'off'} "
                      f"fusion={r.fusion if r.fusion != 'rrf' else f'rrf(k={r.rrf_k})'} "
                      f"weights={r.dense_weight}/{r.bm25_weight} "
                      f"depth={r.depth} places={'on' if r.expand_places else 'off'}"),
        "answering": settings.answering.model_dump(),
    }
