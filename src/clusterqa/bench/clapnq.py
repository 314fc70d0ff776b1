"""ClapNQ (dev, part): does retrieval find the gold passage, and does the answerer abstain on
the unanswerable questions while answering the answerable ones?

The corpus is the union of all the questions' Wikipedia passages. Unanswerable questions come
with a passage that is on topic but does not answer them, so abstaining needs more than topic
matching. Nothing here is tuned on ClapNQ.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from clusterqa.bench.common import BenchResult, passage_text, require
from clusterqa.settings import Settings
from clusterqa.store import StoreLayout
from clusterqa.text import tokenize
from clusterqa.types import Document, DocumentMeta, Page

QUICK = 60  # questions of each kind in quick mode


def passage_id(p: dict) -> str:
    return hashlib.sha1(f"{p['title']}\x1f{p['text']}".encode()).hexdigest()[:16]


def load(data: Path, quick: bool) -> tuple[list[dict], list[dict], dict[str, dict]]:
    folder = require(data / "clapnq", "ClapNQ data")

    def read(name: str) -> list[dict]:
        rows = [json.loads(line) for line in (folder / name).read_text().splitlines() if line]
        return rows[:QUICK] if quick else rows

    answerable = read("clapnq_dev_answerable.jsonl")
    unanswerable = read("clapnq_dev_unanswerable.jsonl")
    passages = {passage_id(p): p for row in answerable + unanswerable for p in row["passages"]}
    return answerable, unanswerable, passages


def answer_recall(answer: str, gold: str) -> float:
    """Share of the gold answer's content words (stemmed, stopwords dropped) in our answer."""
    want = set(tokenize(gold))
    if not want:
        return 0.0
    return len(want & set(tokenize(answer))) / len(want)


def run(settings: Settings, data: Path, quick: bool = False) -> BenchResult:
    from clusterqa.app.assistant import Assistant
    from clusterqa.evals.naive import NaiveRecipe
    from clusterqa.ingest import Ingestor

    answerable, unanswerable, passages = load(data, quick)
    target = StoreLayout(settings.data_dir).bench / ("clapnq-quick" if quick else "clapnq")
    shutil.rmtree(target, ignore_errors=True)
    ours = settings.model_copy(update={"data_dir": target})
    docs = [Document(pid, f"clapnq:{pid}", DocumentMeta(title=p["title"], kind="wikipedia"),
                     [Page(None, passage_text(p))])
            for pid, p in passages.items()]
    Ingestor(ours).ingest_documents(docs, total=len(docs))
    assistant = Assistant.from_settings(ours)

    hit1 = hit5 = 0
    recall: list[float] = []
    false_abstain = 0
    for row in answerable:
        gold = passage_id(row["passages"][0])
        answer, retrieval = assistant.ask_with_retrieval(row["input"], depth=10)
        ranked = list(dict.fromkeys(retrieval.view.chunks[h.chunk_id].doc_id
                                    for h in retrieval.hits))
        hit1 += ranked[:1] == [gold]
        hit5 += gold in ranked[:5]
        false_abstain += answer.abstained
        golds = [o["answer"] for o in row["output"] if o.get("answer")]
        recall.append(0.0 if answer.abstained else
                      max((answer_recall(answer.text, g) for g in golds), default=0.0))
    abstained = sum(assistant.ask(row["input"]).abstained for row in unanswerable)
    assistant.close()

    naive = NaiveRecipe(settings.embedding)
    n_hit1 = n_hit5 = 0
    try:
        naive.build_from_texts([(pid, passage_text(p))
                                for pid, p in passages.items()])
        for row in answerable:
            gold = passage_id(row["passages"][0])
            ranked = list(dict.fromkeys(h.doc_id for h in naive.retrieve(row["input"], 10)))
            n_hit1 += ranked[:1] == [gold]
            n_hit5 += gold in ranked[:5]
    finally:
        naive.close()

    n, u = len(answerable), len(unanswerable)
    result = BenchResult("clapnq")
    result.add("hit@1 (answerable)", round(hit1 / n, 4), round(n_hit1 / n, 4))
    result.add("hit@5 (answerable)", round(hit5 / n, 4), round(n_hit5 / n, 4), target="≥ 0.90")
    result.add("abstains on unanswerable", round(abstained / u, 4), 0.0, target="≥ 0.60")
    result.add("abstains on answerable", round(false_abstain / n, 4), 0.0, target="≤ 0.10")
    result.add("answer recall of gold words", round(sum(recall) / n, 4), None)
    result.details = {"answerable": n, "unanswerable": u, "passages": len(passages)}
    result.notes.append("The plain recipe never abstains (it has no notion of it) and needs an "
                        "LLM to answer, so only its retrieval is scored.")
    return result
