"""Ingest throughput on PDFs the benchmark makes itself (>= 300 pages), and a no-op re-ingest.

The pages are built from the shipped corpus's sentences (reshuffled per page, so no two pages
are alike), with a running header and page numbers like a real report.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from clusterqa.bench.common import BenchResult, timer
from clusterqa.ingest import Ingestor
from clusterqa.loading import discover, load_file
from clusterqa.settings import Settings
from clusterqa.text import sentence_spans


def corpus_sentences(corpus_dir: Path) -> list[str]:
    out = []
    for path in discover([corpus_dir]):
        text = load_file(path, corpus_dir=corpus_dir).text
        out += [text[a:b].replace("\n", " ") for a, b in sentence_spans(text)
                if len(text[a:b].split()) >= 6]
    return out


def make_pdfs(directory: Path, sentences: list[str], pdfs: int, pages_each: int) -> int:
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate
    except ImportError as exc:  # reportlab is in the dev extra
        raise RuntimeError("the PDF benchmark needs reportlab: pip install -e '.[dev]'") from exc
    rng = random.Random(42)
    style = getSampleStyleSheet()["BodyText"]
    for i in range(pdfs):
        path = directory / f"region-{i % 6}" / f"report-{i:03d}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)

        def header(canvas, doc, i=i):
            canvas.setFont("Helvetica", 8)
            canvas.drawString(40, 810, f"12 Clusters of Tech - benchmark report {i}")
            canvas.drawString(500, 20, f"Page {doc.page}")

        story = []
        for page in range(pages_each):
            picked = rng.sample(sentences, min(len(sentences), 14))
            for para in range(0, len(picked), 4):
                story.append(Paragraph(" ".join(picked[para:para + 4]), style))
            if page < pages_each - 1:
                story.append(PageBreak())
        SimpleDocTemplate(str(path), pagesize=A4).build(story, onFirstPage=header,
                                                        onLaterPages=header)
    return pdfs * pages_each


def run(settings: Settings, quick: bool = False) -> BenchResult:
    result = BenchResult("ingest")
    pdfs, pages_each = (12, 5) if quick else (60, 5)
    with tempfile.TemporaryDirectory(prefix="clusterqa-bench-") as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        pages = make_pdfs(corpus, corpus_sentences(settings.corpus_dir), pdfs, pages_each)
        ours = Settings.load(data_dir=root / "data", corpus_dir=corpus,
                             sources_file=root / "none.yaml",
                             embedding=settings.embedding.model_dump())
        ingestor = Ingestor(ours)
        ingestor.embedder.load()  # before the clock starts
        with timer() as first:
            report = ingestor.ingest()
        with timer() as noop:
            again = Ingestor(ours, embedder=ingestor.embedder).ingest()
        assert again.chunks_embedded == 0, "a re-ingest of an unchanged corpus embedded chunks"
        result.details = {"pdfs": pdfs, "pages": pages, "chunks": report.chunks_total,
                          "failed": [str(f) for f in report.failed],
                          "embed_s": round(report.embed_seconds, 2)}

        from clusterqa.evals.naive import NaiveRecipe

        naive = NaiveRecipe(settings.embedding)
        try:
            texts = [(d.doc_id, d.text) for d in
                     (load_file(p, corpus_dir=corpus) for p in discover([corpus]))]
            naive.build_from_texts(texts)
        finally:
            naive.close()
    result.add("pages read", pages)
    result.add("ingest pages/s", round(pages / first["s"], 1),
               round(pages / naive.build_seconds, 1), "/s")
    result.add("ingest chunks/s", round(report.chunks_total / first["s"], 1),
               round(naive.nodes / naive.build_seconds, 1), "/s")
    result.add("embedding chunks/s", round(report.embedded_per_second, 1))
    result.add("entity extraction", round(report.extract_seconds, 2), None, "s",
               higher_is_better=False, target="≤ 25 % of ingest")
    result.add("entity extraction share of ingest",
               round(report.extract_seconds / first["s"], 3), None, target="≤ 0.25")
    result.add("ingest total", round(first["s"], 2), round(naive.build_seconds, 2), "s",
               higher_is_better=False)
    result.add("no-op re-ingest", round(noop["s"], 3), None, "s", higher_is_better=False)
    result.notes.append("The plain recipe gets the same PDF text (it has no PDF reader of its "
                        "own without llama-index-readers-file) and default 1024-token chunks, "
                        "so it embeds fewer, longer (truncated) chunks.")
    return result
