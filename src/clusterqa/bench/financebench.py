"""FinanceBench (open sample): real SEC filings, analysts' questions with gold evidence pages.
Ours and the plain llama-index recipe, ingested and asked in one run.

Metrics over the 42 questions: the right filing among the citations and in the top-5 hits,
a gold page among the first 1/3/5 distinct (filing, page) hits, the share answered (not
abstained), and for answered questions whether the gold answer's figures appear in the
answer (figure answers and quotes alike) and whether any citation is outside the filing;
ingest speed in pages/s for both recipes (model load excluded), and how many table rows were
written with their column headers. Quick mode takes the questions of three filings.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from clusterqa.bench.common import BenchResult, require
from clusterqa.settings import Settings
from clusterqa.store import StoreLayout

QUICK_FILINGS = 3


@dataclass(frozen=True)
class Question:
    doc: str  # file stem, "3M_2018_10K"
    question: str
    answer: str
    pages: tuple[int, ...]  # gold, 1-based


def load(data: Path, quick: bool) -> tuple[list[Path], list[Question]]:
    folder = require(data / "financebench", "FinanceBench data")
    questions = [Question(q["doc"], q["question"], q["answer"], tuple(q["pages"]))
                 for q in map(json.loads, (folder / "questions.jsonl").read_text().splitlines())]
    pdfs = sorted((folder / "pdfs").glob("*.pdf"))
    if quick:
        # The three filings with most questions, and those questions.
        wanted = sorted({q.doc for q in questions},
                        key=lambda d: -sum(q.doc == d for q in questions))[:QUICK_FILINGS]
        pdfs = [p for p in pdfs if p.stem in wanted]
        questions = [q for q in questions if q.doc in wanted]
    return pdfs, questions


# A figure, with a unit glued on or not ("$2,018mn", "4.2bn"), but not part of a word ("10-K").
_NUMBER = re.compile(r"(?<![\w.,])\(?-?\$?\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
                     r"(?!(?!(?:mn|bn|m|b|k)\b)\w|,\d|\.\d|-[A-Za-z])")


def figures(text: str) -> list[tuple[float, int]]:
    """(value, decimals) of every number in ``text`` ("$1,577.00" -> (1577.0, 2))."""
    return [(float(m.group(1).replace(",", "") + (m.group(2) or "")),
             max(len(m.group(2) or "") - 1, 0)) for m in _NUMBER.finditer(text)]


def gold_figures(answer: str) -> list[tuple[float, int]]:
    """The figures a gold answer states (not years), each with the decimals it is given to.
    The gold answers are written by formatting ("$1577.00", "$8.70"), so trailing zeros after
    the point say nothing of precision and are not counted."""
    out = []
    for m in _NUMBER.finditer(answer):
        value, _ = figures(m.group())[0]
        if value and not (m.group(2) is None and 1990 <= value <= 2030 and "," not in m.group()):
            out.append((value, len((m.group(2) or ".").rstrip("0")) - 1))
    return list(dict.fromkeys(out))


_CITATION = re.compile(r"\[\d+\]")
_ROUNDING = 0.02  # a rounded figure is never more than 2 % off the one it stands for


def figure_in(value: float, text: str, decimals: int | None = None) -> bool:
    """``value`` written in ``text``, exactly or rounded either way: "1,577" for a gold
    1577.4, and "381.603" for a gold 382 given to ``decimals`` places (0). The 2 % bound keeps
    a small gold figure ("1") from matching any number that happens to round to it."""
    for v, places in figures(_CITATION.sub("", text)):  # "[2]" is no figure
        if not v:
            continue
        if abs(v - value) < 1e-9:
            return True
        if abs(value) < 1 or abs(v - value) > _ROUNDING * abs(value):
            continue
        if abs(round(value, places) - v) < 1e-9 or (
                decimals is not None and abs(round(v, decimals) - value) < 1e-9):
            return True
    return False


def page_hits(question: Question, ranked: list[tuple[str, int | None]]) -> dict[str, bool]:
    pages = list(dict.fromkeys(ranked))
    gold = {(question.doc, p) for p in question.pages}
    out = {f"page@{k}": any(p in gold for p in pages[:k]) for k in (1, 3, 5)}
    out["doc_in_top5"] = question.doc in [d for d, _ in ranked[:5]]
    return out


def run(settings: Settings, data: Path, quick: bool = False) -> BenchResult:
    pdfs, questions = load(data, quick)
    ours = _ours(settings, pdfs, questions, quick)
    naive = _naive(settings, pdfs, questions)
    n = len(questions)

    def share(rows: list[dict], key: str) -> float:
        return round(sum(bool(r[key]) for r in rows) / n, 4)

    result = BenchResult("financebench")
    result.add("right filing among the citations", share(ours["rows"], "doc_cited"), None,
               target="≥ 0.95")
    result.add("right filing in the top 5", share(ours["rows"], "doc_in_top5"),
               share(naive["rows"], "doc_in_top5"))
    for k in (1, 3, 5):
        result.add(f"gold page hit@{k}", share(ours["rows"], f"page@{k}"),
                   share(naive["rows"], f"page@{k}"),
                   target="≥ 0.70, +0.20 over plain" if k == 5 else "")
    result.add("answered (not abstained)", share(ours["rows"], "answered"), None)
    answered = [r for r in ours["rows"] if r["answered"]]
    result.add("answered with the gold figure or fact", share(ours["rows"], "with_figure"),
               None, target="≥ 0.33")
    result.add("answered citing outside the filing",
               sum(r["outside"] for r in answered), None, target="0")
    result.add("ingest pages/s", ours["pages_per_s"], naive["pages_per_s"], "/s",
               target="≥ 1x plain")
    result.details = {"filings": len(pdfs), "questions": n, "pages": ours["pages"],
                      "table_rows_with_headers": ours["table_rows"], "rows": ours["rows"]}
    result.notes.append("The plain recipe gets pypdf's text, one llama-index Document a page, "
                        "default SentenceSplitter, MiniLM, dense top-5; it needs an LLM to "
                        "answer, so only its retrieval is scored.")
    return result


def _ours(settings: Settings, pdfs: list[Path], questions: list[Question], quick: bool
          ) -> dict:
    from clusterqa.app.assistant import Assistant
    from clusterqa.ingest import Ingestor

    target = StoreLayout(settings.data_dir).bench / ("financebench-quick" if quick
                                                     else "financebench")
    shutil.rmtree(target, ignore_errors=True)
    ours = settings.model_copy(update={"data_dir": target, "corpus_dir": pdfs[0].parent,
                                       "sources_file": target / "none.yaml"})
    ingestor = Ingestor(ours)
    ingestor.embedder.load()  # model load is not ingest time
    started = time.perf_counter()
    report = ingestor.ingest(pdfs)
    seconds = time.perf_counter() - started
    assistant = Assistant.from_settings(ours, embedder=ingestor.embedder)
    from clusterqa.loading.tables import parse_row

    view = assistant.view()
    table_rows = sum(parse_row(line) is not None for chunk in view.chunks.values()
                     for line in chunk.text.split("\n") if " — " in line)
    rows = []
    for q in questions:
        answer, retrieval = assistant.ask_with_retrieval(q.question, depth=10)
        view = retrieval.view
        ranked = [(Path(view.chunks[h.chunk_id].doc_id).stem, view.chunks[h.chunk_id].page)
                  for h in retrieval.hits]
        cited = [Path(c.doc_id).stem for c in answer.citations]
        gold = gold_figures(q.answer)
        rows.append({"doc": q.doc, "question": q.question, **page_hits(q, ranked),
                     "doc_cited": q.doc in cited, "answered": not answer.abstained,
                     "with_figure": not answer.abstained and bool(gold) and any(
                         figure_in(f, answer.text, places) for f, places in gold),
                     "outside": not answer.abstained and any(d != q.doc for d in cited),
                     "answer": answer.text})
    assistant.close()
    return {"rows": rows, "pages": report.pages, "table_rows": table_rows,
            "pages_per_s": round(report.pages / seconds, 2) if seconds else None}


def _naive(settings: Settings, pdfs: list[Path], questions: list[Question]) -> dict:
    from llama_index.core import Document
    from pypdf import PdfReader

    from clusterqa.evals.naive import NaiveRecipe

    recipe = NaiveRecipe(settings.embedding)
    try:
        started = time.perf_counter()
        docs = [Document(text=page.extract_text() or "", metadata={"doc": pdf.stem, "page": n})
                for pdf in pdfs for n, page in enumerate(PdfReader(pdf).pages, start=1)]
        recipe.build(docs)
        seconds = time.perf_counter() - started
        retriever = recipe.index.as_retriever(similarity_top_k=5)
        rows = []
        for q in questions:
            ranked = [(n.node.metadata["doc"], int(n.node.metadata["page"]))
                      for n in retriever.retrieve(q.question)]
            rows.append(page_hits(q, ranked))
    finally:
        recipe.close()
    return {"rows": rows, "pages_per_s": round(len(docs) / seconds, 2)}
