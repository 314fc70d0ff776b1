"""Eval reports: Markdown (for people and diffs), JSON (for scripts) and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clusterqa.evals.runner import EvalReport
from clusterqa.evals.scoring import HEADLINE, RETRIEVAL

LABELS = {"pass_rate": "pass rate", "fact_recall": "fact recall", "item_recall": "item recall",
          "item_precision": "item precision", "item_cited": "items cited by name",
          "lead": "answer leads",
          "abstention_accuracy": "abstention acc.", "citation_precision": "citation precision",
          "citation_validity": "citation validity", "forbidden_rate": "forbidden stated",
          "abstained_unanswerable": "abstains on unanswerable",
          "abstained_answerable": "abstains on answerable"}
TABLE_METRICS = ("pass_rate", "hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "fact_recall",
                 "item_recall", "item_precision", "lead",
                 "abstention_accuracy")


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _delta(value: float | None) -> str:
    if value is None:
        return "–"
    return "0" if abs(value) < 5e-4 else f"{value:+.3f}"


def write_reports(report: EvalReport, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": directory / "report.md", "json": directory / "report.json",
             "chart": directory / "report.png"}
    paths["json"].write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    write_chart(report, paths["chart"])
    paths["markdown"].write_text(markdown(report, chart=paths["chart"].name), encoding="utf-8")
    return paths


def markdown(report: EvalReport, chart: str | None = None) -> str:
    s, naive = report.summary, (report.naive or {})
    comp = report.comparison
    deltas = comp.deltas if comp else {}
    lines = [
        "# clusterqa eval report", "",
        f"- when: {report.created}",
        f"- cases: {s.get('cases')} ({report.filters or 'the whole set'})",
        f"- corpus: {report.corpus['documents']} documents, {report.corpus['chunks']} "
        f"chunks, regions: {', '.join(report.corpus['regions'])}",
        f"- retrieval: {report.config['retrieval']}",
        f"- verdict: **{report.verdict}**", "",
        "## Headline", "",
        "| metric | clusterqa | baseline | change | plain llama-index recipe |",
        "|---|---|---|---|---|",
    ]
    ns = naive.get("summary", {})
    keys = [*HEADLINE, *[k for k in RETRIEVAL if k not in HEADLINE], "citation_validity",
            "abstained_unanswerable", "abstained_answerable", "forbidden_rate"]
    for key in keys:
        if key not in s:
            continue
        d = deltas.get(key, {})
        naive_value = ns.get(key) if key in RETRIEVAL else None
        na = "n/a (needs an LLM)" if naive and key not in RETRIEVAL else _fmt(naive_value)
        lines.append(f"| {LABELS.get(key, key)} | {_fmt(s[key])} | {_fmt(d.get('baseline'))} "
                     f"| {_delta(d.get('delta'))} | {na if naive else '–'} |")
    lines += ["", "Retrieval metrics are over the answerable cases; a passage is relevant when it "
              "contains one of the case's evidence quotes. The plain recipe is llama-index's "
              "`VectorStoreIndex` over Chroma with the same MiniLM model, default chunking and "
              "dense top-k, built in the same run; offline it has no LLM to answer with, so only "
              "its retrieval is scored.", ""]
    lines += ["## Changes against the baseline", ""]
    if not comp:
        lines.append("No baseline yet: run `clusterqa eval --save-baseline` to make one.")
    else:
        lines.append(f"- pass → fail: {', '.join(comp.to_fail) or 'none'}")
        lines.append(f"- fail → pass: {', '.join(comp.to_pass) or 'none'}")
        if comp.new:
            lines.append(f"- new cases (not in the baseline): {', '.join(comp.new)}")
        for reason in comp.regressions:
            lines.append(f"- **regression:** {reason}")
    lines.append("")
    for title, key in (("By region", "by_region"), ("By category", "by_category")):
        groups: dict[str, dict[str, float]] = getattr(report, key)
        lines += [f"## {title}", "",
                  "| " + " | ".join(["group", "cases", *[LABELS.get(k, k) for k in TABLE_METRICS],
                                      "naive hit@5", "naive nDCG@10"]) + " |",
                  "|" + "---|" * (len(TABLE_METRICS) + 4)]
        for group, row in groups.items():
            nrow = naive.get(key, {}).get(group, {})
            cells = [group, _fmt(row.get("cases")), *[_fmt(row.get(k)) for k in TABLE_METRICS],
                     _fmt(nrow.get("hit@5")), _fmt(nrow.get("ndcg@10"))]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if chart:
        lines += [f"![metrics by region and category]({chart})", ""]
    t = report.timings
    lines += ["## Timings", "", f"- model load: {t.get('model_load_s')} s; ingest: "
              f"{t.get('ingest_s')} s",
              f"- per question: mean {t.get('per_question_ms_mean')} ms, p50 "
              f"{t.get('per_question_ms_p50')} ms, p95 {t.get('per_question_ms_p95')} ms",
              f"- whole run: {t.get('total_s')} s"]
    if naive:
        nt = naive.get("timings", {})
        lines.append(f"- plain recipe: build {nt.get('build_s')} s ({nt.get('nodes')} nodes), "
                     f"retrieval p50 {nt.get('per_question_ms_p50')} ms")
    lines.append("")
    failing = [r for r in report.cases if not r.passed]
    lines += ["## Failing cases", ""]
    if not failing:
        lines.append("None.")
    for r in failing:
        answer = r.answer.replace("\n", " ")
        answer = answer[:220] + ("…" if len(answer) > 220 else "")
        lines.append(f"- `{r.id}` ({r.category}, {r.region or 'cross-region'}): "
                     f"{r.question} — {'; '.join(r.reasons)}. Answer: {answer}")
    lines.append("")
    return "\n".join(lines)


def write_chart(report: EvalReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here or in CI
    import matplotlib.pyplot as plt
    import numpy as np

    shown = ("pass_rate", "hit@5", "ndcg@10", "fact_recall", "abstention_accuracy")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), constrained_layout=True)
    for ax, key, title in ((axes[0], "by_region", "by region"),
                           (axes[1], "by_category", "by category")):
        rows: dict[str, dict[str, float]] = getattr(report, key)
        groups = list(rows)
        x = np.arange(len(groups))
        series = [(LABELS.get(k, k), [rows[g].get(k) for g in groups]) for k in shown]
        naive_rows = (report.naive or {}).get(key)
        if naive_rows:
            series.append(("naive hit@5", [naive_rows.get(g, {}).get("hit@5") for g in groups]))
        width = 0.8 / len(series)
        for i, (label, values) in enumerate(series):
            heights = [v if v is not None else 0 for v in values]
            ax.bar(x + (i - (len(series) - 1) / 2) * width, heights, width, label=label)
        ax.set_xticks(x, groups, rotation=20, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"clusterqa eval {title}")
        ax.grid(axis="y", alpha=0.3)
    axes[1].legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)
