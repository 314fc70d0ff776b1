"""The eval run: ingest what changed, answer every case, score it beside the plain recipe,
compare with the baseline. The result is a typed :class:`EvalReport`."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from clusterqa import embeddings
from clusterqa.app.assistant import Assistant, Conversation
from clusterqa.evals.baseline import Comparison, baseline_payload, compare, load_baseline
from clusterqa.evals.cases import EvalCase
from clusterqa.evals.scoring import (
    RETRIEVAL,
    CaseResult,
    breakdown,
    count_relevant,
    retrieval_metrics,
    score_case,
    summarize,
    timing_summary,
)
from clusterqa.settings import Settings


@dataclass
class EvalReport:
    created: str
    verdict: str  # "ok", "REGRESSION" or "no baseline"
    filters: str
    config: dict[str, Any]
    corpus: dict[str, Any]  # documents, chunks, regions
    summary: dict[str, float]
    by_region: dict[str, dict[str, float]]
    by_category: dict[str, dict[str, float]]
    timings: dict[str, float]
    naive: dict[str, Any] | None  # the plain recipe's summary, by_region, by_category, timings
    comparison: Comparison | None
    cases: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.cases)

    @property
    def regressed(self) -> bool:
        return self.verdict == "REGRESSION"

    def baseline(self) -> dict[str, Any]:
        """What ``--save-baseline`` writes."""
        return baseline_payload(self.created, self.config, self.summary, self.cases)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_cases(assistant: Assistant, cases: Sequence[EvalCase], depth: int = 10,
              progress: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    all_texts = [c.text for c in assistant.view().chunks.values()]
    results = []
    for case in cases:
        region = case.region if case.filter_region else None
        conversation = Conversation()
        for earlier in case.history:
            assistant.ask_in(conversation, earlier, region)
        started = time.perf_counter()
        if case.history or case.category == "comparison":
            # Asked as the user would (a turn of its conversation, or a comparison), then
            # retrieval is scored on the question as answered.
            answer = assistant.ask_in(conversation, case.question, region)
            retrieval = assistant.retriever.retrieve(answer.asked or case.question, region,
                                                     k=depth)
        else:
            answer, retrieval = assistant.ask_with_retrieval(case.question, region, depth=depth)
        ms = (time.perf_counter() - started) * 1000
        passages = [retrieval.view.chunks[h.chunk_id].text for h in retrieval.hits]
        n_relevant = count_relevant(all_texts, case.evidence) if case.answerable else 0
        result = score_case(case, answer, passages, n_relevant, ms)
        results.append(result)
        if progress:
            progress(result)
    return results


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

    def pick(summary: dict[str, float]) -> dict[str, float]:
        return {k: summary[k] for k in RETRIEVAL if k in summary}

    return {"summary": pick(summarize(rows)),
            "by_region": {k: pick(v) for k, v in breakdown(rows, "region").items()},
            "by_category": {k: pick(v) for k, v in breakdown(rows, "category").items()},
            "timings": {**timing_summary(rows), "build_s": round(naive.build_seconds, 2),
                        "model_load_s": round(naive.model_load_seconds, 2),
                        "nodes": naive.nodes}}


def select(cases: Sequence[EvalCase], regions: Sequence[str] = (), categories: Sequence[str] = (),
           ids: Sequence[str] = ()) -> list[EvalCase]:
    return [c for c in cases
            if (not regions or (c.region or "") in regions)
            and (not categories or c.category in categories)
            and (not ids or any(fnmatch.fnmatch(c.id, pattern) for pattern in ids))]


def run_eval(settings: Settings, cases: Sequence[EvalCase], *, compare_naive: bool = False,
             ingest: bool = True, filters: str = "",
             progress: Callable[[str], None] | None = None) -> EvalReport:
    """Ingest what changed, answer every case, compare with the baseline."""
    from clusterqa.ingest import Ingestor

    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    ingest_s = 0.0
    if ingest:
        t = time.perf_counter()
        ingested = Ingestor(settings).ingest()
        ingest_s = time.perf_counter() - t
        for failure in ingested.failed:
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
        from clusterqa.evals.naive import NaiveRecipe

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
    return EvalReport(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        verdict=verdict,
        filters=filters,
        config=config_fingerprint(settings),
        corpus={"documents": status.documents, "chunks": status.chunks,
                "regions": [r.region for r in status.regions]},
        summary=summarize(results),
        by_region=breakdown(results, "region"),
        by_category=breakdown(results, "category"),
        timings={"model_load_s": round(model_load_s, 2), "ingest_s": round(ingest_s, 2),
                 **timing_summary(results), "total_s": round(time.perf_counter() - started, 1)},
        naive=naive,
        comparison=comparison,
        cases=results,
    )


def config_fingerprint(settings: Settings) -> dict[str, Any]:
    r = settings.retrieval
    return {
        "embedding": embeddings.create_embedder(settings.embedding).name,  # engine and model
        "chunking": settings.chunking.model_dump(),
        "retrieval": (f"dense={'on' if r.dense else 'off'} bm25={'on' if r.bm25 else 'off'} "
                      f"fusion={r.fusion if r.fusion != 'rrf' else f'rrf(k={r.rrf_k})'} "
                      f"weights={r.dense_weight}/{r.bm25_weight} "
                      f"depth={r.depth} places={'on' if r.expand_places else 'off'}"),
        "answering": settings.answering.model_dump(),
    }
