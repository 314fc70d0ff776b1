"""The eval gate and the benchmarks on the command line: parse, run, print tables."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from clusterqa.app.console import err, out, settings_of
from clusterqa.errors import ClusterQAError

# --- eval -----------------------------------------------------------------------------------


def eval_command(
    ctx: typer.Context,
    region: Annotated[list[str] | None, typer.Option(help="Only cases of this region.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only cases of this category.")]
    = None,
    case: Annotated[list[str] | None, typer.Option(help="Only this case id (glob).")] = None,
    compare: Annotated[str | None, typer.Option(
        help="Also score another recipe side by side: 'naive' (plain llama-index).")] = None,
    save_baseline: Annotated[bool, typer.Option(
        help="Save this run as evals/baseline.json (the gate compares with it).")] = False,
    ingest_first: Annotated[bool, typer.Option(
        "--ingest/--no-ingest", help="Ingest what changed before the run.")] = True,
    backend: Annotated[str | None, typer.Option(
        help="Answer with 'extractive' or 'llm' (the server in [llm]) for this run.")] = None,
) -> None:
    """Run the eval set: ingest what changed, score every case, compare with the baseline.
    (`clusterqa eval draft FOLDER` drafts cases for a new region.)

    Exits 1 when a case that passed in the baseline fails now, or a headline metric falls by
    more than eval.tolerance.
    """
    if ctx.invoked_subcommand is not None:
        return
    if backend not in (None, "extractive", "llm"):
        raise ClusterQAError(f"--backend takes 'extractive' or 'llm', not {backend!r}")
    from clusterqa.evals.cases import load_cases
    from clusterqa.evals.report import LABELS, write_reports
    from clusterqa.evals.runner import run_eval, select

    settings = settings_of(ctx)
    if backend:
        settings = settings.model_copy(update={"answering": settings.answering.model_copy(
            update={"backend": backend})})
    if compare not in (None, "naive"):
        raise ClusterQAError(f"--compare takes 'naive', not {compare!r}")
    cases = load_cases(settings.eval.cases)
    chosen = select(cases, region or (), category or (), case or ())
    filters = ", ".join(f"{name}={','.join(v)}" for name, v in
                        (("region", region), ("category", category), ("case", case)) if v)
    if not chosen:
        raise ClusterQAError(f"no eval case matches {filters}")
    if save_baseline and filters:
        raise ClusterQAError("--save-baseline records the whole set; drop the filters")
    report = run_eval(settings, chosen, compare_naive=compare == "naive", ingest=ingest_first,
                      filters=filters, progress=lambda msg: err.print(Text(msg, style="dim")))
    paths = write_reports(report, settings.eval.reports_dir)

    s, comp = report.summary, report.comparison
    deltas = comp.deltas if comp else {}
    naive = (report.naive or {}).get("summary", {})
    table = Table("metric", "now", "baseline", "change", *(["naive"] if naive else []))
    for key, value in s.items():
        if key == "cases":
            continue
        d = deltas.get(key, {})
        change = d.get("delta")
        style = "" if change is None or abs(change) < 5e-4 else ("green" if change > 0 else "red")
        row = [LABELS.get(key, key), f"{value:.3f}",
               f"{d['baseline']:.3f}" if d else "", Text(f"{change:+.3f}" if d else "", style)]
        if naive:
            row.append(f"{naive[key]:.3f}" if key in naive else "")
        table.add_row(*row)
    out.print(table)
    out.print(f"{s['cases']} cases, {report.passed} passed; "
              f"p50 {report.timings.get('per_question_ms_p50')} ms a question")
    if comp:
        out.print(Text(f"pass -> fail: {', '.join(comp.to_fail) or 'none'}",
                       style="red" if comp.to_fail else ""))
        out.print(Text(f"fail -> pass: {', '.join(comp.to_pass) or 'none'}",
                       style="green" if comp.to_pass else ""))
    out.print(f"reports: {paths['markdown']}, {paths['json']}, {paths['chart']}")
    if save_baseline:
        settings.eval.baseline.parent.mkdir(parents=True, exist_ok=True)
        settings.eval.baseline.write_text(json.dumps(report.baseline(), indent=1) + "\n")
        out.print(f"baseline saved: {settings.eval.baseline}")
        return
    if report.regressed:
        for reason in comp.regressions:
            err.print(Text(f"REGRESSION: {reason}", style="bold red"))
        raise typer.Exit(1)


# --- bench ----------------------------------------------------------------------------------

# Name on the command line -> module in clusterqa.bench.
BENCHMARKS = {"scifact": "scifact", "clapnq": "clapnq", "speed": "speed", "ingest": "ingest_pdfs",
              "financebench": "financebench", "scale": "scale"}


def bench_command(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(
        help="scifact | clapnq | speed | ingest | financebench | scale")],
    data: Annotated[Path | None, typer.Option(
        help="Folder holding scifact/ and clapnq/ (default: bench.data_dir).")] = None,
    quick: Annotated[bool, typer.Option(help="A few hundred documents: a smoke test.")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where the JSON goes.")] = None,
    chunks: Annotated[str | None, typer.Option(
        help="scale only: corpus sizes, e.g. 100000,1000000.")] = None,
    store: Annotated[str | None, typer.Option(
        help="scale only: 'embedded' or 'server' alone (default: the embedded store, and "
             "the server too when chroma_url is set).")] = None,
) -> None:
    """Benchmark on public data, beside the plain llama-index recipe (see BENCHMARKS.md)."""
    from clusterqa.bench.common import BenchSkipped

    if which not in BENCHMARKS:
        raise ClusterQAError(f"unknown benchmark {which!r}; choose from {', '.join(BENCHMARKS)}")
    settings = settings_of(ctx)
    data = data or settings.bench.data_dir
    module = importlib.import_module(f"clusterqa.bench.{BENCHMARKS[which]}")
    try:
        if which == "ingest":
            result = module.run(settings, quick=quick)
        elif which == "scale":
            result = module.run(settings, data, quick=quick,
                                sizes=_sizes(chunks) if chunks else None,
                                stores=_stores(store, settings))
        else:
            result = module.run(settings, data, quick=quick)
    except BenchSkipped as exc:
        out.print(f"skipped {which}: {exc}")
        return
    table = Table("metric", "clusterqa", "plain llama-index", "ratio", "target",
                  title=f"{which}{' (quick)' if quick else ''}")
    def fmt(value, unit: str) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and unit == "" and value <= 1:
            return f"{value:.4f}"
        return f"{value}{unit}"

    for row in result.rows:
        table.add_row(row["metric"], fmt(row["ours"], row["unit"]), fmt(row["naive"], row["unit"]),
                      f"{row['ratio']}x" if row.get("ratio") else "", row.get("target", ""))
    out.print(table)
    for note in result.notes:
        out.print(Text(f"note: {note}", style="dim"))
    name = f"{which}-quick" if quick else which
    result.name = name
    path = result.save(out_dir or settings.bench.results_dir)
    out.print(f"results: {path}")


def _stores(store: str | None, settings) -> list[str] | None:
    if store is None:
        return None
    if store not in ("embedded", "server"):
        raise ClusterQAError(f"--store takes 'embedded' or 'server', not {store!r}")
    if store == "server" and not settings.chroma_url:
        raise ClusterQAError("--store server needs a Chroma server: set CLUSTERQA_CHROMA_URL "
                             "(or chroma_url in the settings file)")
    return [store]


def _sizes(chunks: str) -> list[int]:
    try:
        sizes = [int(size.replace("_", "")) for size in chunks.split(",") if size.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise ClusterQAError(f"--chunks takes sizes such as 100000,1000000, not {chunks!r}")
    return sizes


def draft_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The region's folder, e.g. corpus/wales.")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Where the drafts go (default: evals/drafts/<region>.yaml).")] = None,
) -> None:
    """Ingest a region's folder and draft eval cases from its facts, for review."""
    from clusterqa.evals.draft import draft_cases, write_drafts
    from clusterqa.ingest import Ingestor
    from clusterqa.store import CorpusIndex

    settings = settings_of(ctx)
    if not folder.is_dir():
        raise ClusterQAError(f"no such folder: {folder}")
    report = Ingestor(settings).ingest([folder])
    for failure in report.failed:
        err.print(Text(f"failed: {failure}", style="red"))
    index = CorpusIndex(settings)
    try:
        view = index.view
        root = folder.resolve()
        docs = {d.doc_id for d in view.documents.values()
                if Path(d.source).is_absolute() and Path(d.source).is_relative_to(root)}
        regions = sorted({view.documents[d].region or "" for d in docs})
        region = regions[0] if len(regions) == 1 and regions[0] else folder.name
        cases = draft_cases(view.entities, docs, region)
    finally:
        index.close()
    path = write_drafts(cases, out_file or settings.eval.cases.parent / "drafts" /
                        f"{region}.yaml")
    out.print(f"{len(cases)} draft cases from {len(docs)} documents: {path}")
