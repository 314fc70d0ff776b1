"""The command line: parses arguments, calls the library, formats the output.

Domain errors (``ClusterQAError``) become one line on stderr and exit status 2; an ingest in
which some files failed exits 1 after ingesting the rest.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from clusterqa.errors import ClusterQAError
from clusterqa.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask the '12 Clusters of Tech' reports; answers cite their passages.")
sources_app = typer.Typer(help="List or remove ingested documents.", invoke_without_command=True)
app.add_typer(sources_app, name="sources")

# In a pipe Rich assumes 80 columns, which squeezes tables (sources, eval) to single letters.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
# Messages are one line each, however narrow the terminal (or a pipe's 80 columns).
err = Console(stderr=True, highlight=False, soft_wrap=True)

SettingsOpt = Annotated[Path | None, typer.Option(
    "--settings", help="Settings file (TOML); default ./clusterqa.toml or $CLUSTERQA_SETTINGS_FILE",
    exists=True, dir_okay=False)]


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj["settings"]


@app.callback()
def _main(ctx: typer.Context, settings: SettingsOpt = None,
          data_dir: Annotated[Path | None, typer.Option(help="Where derived data lives.")] = None
          ) -> None:
    overrides = {"data_dir": data_dir} if data_dir else {}
    try:
        ctx.obj = {"settings": Settings.load(settings, **overrides)}
    except ValidationError as exc:
        raise ClusterQAError(f"invalid settings: {_settings_problems(exc)}") from exc
    except ValueError as exc:
        raise ClusterQAError(f"invalid settings: {exc}") from exc


def _settings_problems(exc: ValidationError) -> str:
    """pydantic's report in one line: 'retreival: unknown setting; retrieval.top_k: ...'."""
    problems = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "settings"
        what = "unknown setting" if e["type"] == "extra_forbidden" else e["msg"]
        problems.append(f"{where}: {what}")
    return "; ".join(problems) + " (see README, Settings)"


# --- ingest ---------------------------------------------------------------------------------


class _RichProgress:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files = progress.add_task("files", total=None, chunks="")
        self.chunks = 0
        self.seconds = 0.0

    def start(self, files: int) -> None:
        self.progress.update(self.files, total=files)

    def file_done(self, source: str) -> None:
        self.progress.update(self.files, advance=1, description=f"files · {Path(source).name}")

    def embedded(self, chunks: int, seconds: float) -> None:
        self.chunks += chunks
        self.seconds += seconds
        rate = self.chunks / self.seconds if self.seconds else 0
        self.progress.update(self.files, chunks=f"{self.chunks} chunks embedded, {rate:.0f}/s")

    def message(self, text: str) -> None:
        self.progress.console.print(Text(text, style="yellow"))


@app.command()
def ingest(
    ctx: typer.Context,
    targets: Annotated[list[str] | None, typer.Argument(
        help="Files, folders or http(s) URLs; default: the source list (ingest/sources.yaml)")]
    = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone.")] = False,
    rebuild: Annotated[bool, typer.Option(
        help="Re-embed everything already ingested (after a model change); "
             "the chat keeps answering meanwhile.")] = False,
) -> None:
    """Ingest documents: only new or changed ones are embedded."""
    from clusterqa.ingestion import Ingestor

    settings = _settings(ctx)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[chunks]}"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        hooks = _RichProgress(progress)
        report = Ingestor(settings, progress=hooks).ingest(targets or None, prune=prune,
                                                           rebuild=rebuild)
    for failure in report.failed:
        err.print(Text(f"failed: {failure}", style="red"))
    if report.rebuilt:
        out.print(f"rebuild: re-embedded the {report.rebuilt} documents already ingested")
    parts = [f"{len(report.added)} added", f"{len(report.updated)} updated",
             f"{len(report.metadata_only)} metadata only", f"{len(report.unchanged)} unchanged"]
    if prune or report.removed:
        parts.append(f"{len(report.removed)} removed")
    parts.append(f"{len(report.failed)} failed")
    out.print("ingest: " + ", ".join(parts))
    if report.chunks_embedded:
        out.print(f"embedded {report.chunks_embedded} chunks in {report.embed_seconds:.1f}s "
                  f"({report.embedded_per_second:.1f} chunks/s), reused {report.chunks_reused}; "
                  f"{report.pages} pages read; {report.chunks_total} chunks in the store; "
                  f"{report.seconds:.1f}s in all")
    else:
        out.print(f"nothing to embed: the store is up to date ({report.chunks_total} chunks, "
                  f"{report.seconds:.1f}s)")
    if not report.ok:
        raise typer.Exit(1)


# --- ask ------------------------------------------------------------------------------------


@app.command()
def ask(
    ctx: typer.Context,
    questions: Annotated[list[str], typer.Argument(help="Questions; '-' reads one per line "
                                                        "from stdin.")],
    region: Annotated[str | None, typer.Option(help="Only this region's documents.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question "
                                                         "(JSON Lines).")] = False,
) -> None:
    """Answer questions from the ingested reports, citing the passages."""
    from clusterqa.assistant import Assistant

    expanded: list[str] = []
    for q in questions:
        if q == "-":
            # Bytes that are not UTF-8 become U+FFFD rather than stopping the batch.
            stdin = sys.stdin.buffer.read().decode("utf-8", errors="replace")
            expanded.extend(line.strip() for line in stdin.splitlines() if line.strip())
        else:
            expanded.append(q)
    assistant = Assistant.from_settings(_settings(ctx))
    failed = 0
    for question in expanded:
        try:
            answer = assistant.ask(question, region=region)
        except ClusterQAError as exc:
            # One bad question in a batch is reported in its place; the rest are answered.
            if len(expanded) == 1:
                raise
            failed += 1
            err.print(Text(f"error: {exc}", style="red"))
            if as_json:
                _write_json({"question": question, "error": str(exc)})
            continue
        if as_json:
            _write_json(answer.to_json())
        else:
            _print_answer(answer)
    if failed:
        raise typer.Exit(2)


def _write_json(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _print_answer(answer) -> None:
    out.print(Text(f"Q: {answer.question}", style="bold"))
    out.print(Text(answer.text, style="yellow" if answer.abstained else ""))
    heading = "Nearest passages (not an answer):" if answer.abstained else "Sources:"
    out.print(Text(heading, style="dim"))
    for c in answer.citations:
        where = ", ".join(x for x in [c.publisher, c.region, f"page {c.page}" if c.page else None]
                          if x)
        out.print(Text(f"[{c.n}] {c.title}" + (f" ({where})" if where else ""), style="bold"))
        out.print(Text(f"    {c.url or c.source}", style="blue"))
        body = Text("    ")
        cursor = 0
        for start, end in c.highlights:
            body.append(c.text[cursor:start].replace("\n", " "))
            body.append(c.text[start:end].replace("\n", " "), style="bold green")
            cursor = end
        body.append(c.text[cursor:].replace("\n", " "))
        out.print(body)
    out.print()


# --- eval -----------------------------------------------------------------------------------


@app.command("eval")
def eval_(
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
) -> None:
    """Run the eval set: ingest what changed, score every case, compare with the baseline.

    Exits 1 when a case that passed in the baseline fails now, or a headline metric falls by
    more than eval.tolerance.
    """
    from clusterqa.eval_report import LABELS, write_reports
    from clusterqa.evalset import load_cases
    from clusterqa.evaluation import baseline_payload, run_eval, select

    settings = _settings(ctx)
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

    s, comp = report["summary"], report.get("comparison") or {}
    deltas = comp.get("deltas", {})
    naive = (report.get("naive") or {}).get("summary", {})
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
    out.print(f"{s['cases']} cases, {sum(r['passed'] for r in report['cases'])} passed; "
              f"p50 {report['timings'].get('per_question_ms_p50')} ms a question")
    if comp:
        out.print(Text(f"pass -> fail: {', '.join(comp['to_fail']) or 'none'}",
                       style="red" if comp["to_fail"] else ""))
        out.print(Text(f"fail -> pass: {', '.join(comp['to_pass']) or 'none'}",
                       style="green" if comp["to_pass"] else ""))
    out.print(f"reports: {paths['markdown']}, {paths['json']}, {paths['chart']}")
    if save_baseline:
        settings.eval.baseline.parent.mkdir(parents=True, exist_ok=True)
        settings.eval.baseline.write_text(json.dumps(baseline_payload(report), indent=1) + "\n")
        out.print(f"baseline saved: {settings.eval.baseline}")
        return
    if report["verdict"] == "REGRESSION":
        for reason in comp["regressions"]:
            err.print(Text(f"REGRESSION: {reason}", style="bold red"))
        raise typer.Exit(1)


# --- bench ----------------------------------------------------------------------------------

# Name on the command line -> module in clusterqa.bench.
BENCHMARKS = {"scifact": "scifact", "clapnq": "clapnq", "speed": "speed", "ingest": "ingest_pdfs"}


@app.command()
def bench(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(help="scifact | clapnq | speed | ingest")],
    data: Annotated[Path | None, typer.Option(
        help="Folder holding scifact/ and clapnq/ (default: bench.data_dir).")] = None,
    quick: Annotated[bool, typer.Option(help="A few hundred documents: a smoke test.")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where the JSON goes.")] = None,
) -> None:
    """Benchmark on public data, beside the plain llama-index recipe (see BENCHMARKS.md)."""
    from clusterqa.bench.common import BenchSkipped

    if which not in BENCHMARKS:
        raise ClusterQAError(f"unknown benchmark {which!r}; choose from {', '.join(BENCHMARKS)}")
    settings = _settings(ctx)
    data = data or settings.bench.data_dir
    module = importlib.import_module(f"clusterqa.bench.{BENCHMARKS[which]}")
    try:
        result = (module.run(settings, quick=quick) if which == "ingest"
                  else module.run(settings, data, quick=quick))
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


# --- sources --------------------------------------------------------------------------------


@sources_app.callback()
def sources(ctx: typer.Context) -> None:
    """List what is ingested (region, title, kind, pages, chunks, when)."""
    if ctx.invoked_subcommand is not None:
        return
    from clusterqa.index import manifest_path
    from clusterqa.manifest import Manifest

    settings = _settings(ctx)
    manifest = Manifest(manifest_path(settings))
    docs = manifest.documents()
    table = Table("region", "title", "kind", "pages", "chunks", "ingested")
    table.add_column("id", no_wrap=True)
    for d in docs:
        table.add_row(d.region or "", d.metadata.get("title", ""), d.metadata.get("kind", ""),
                      str(d.pages), str(len(d.chunk_ids)), d.ingested_at, d.doc_id)
    # Piped output is not cut to 80 columns: ids must stay whole for `sources remove`.
    out.print(table, width=None if out.is_terminal else 240)
    out.print(f"{len(docs)} documents, {sum(len(d.chunk_ids) for d in docs)} chunks")


@sources_app.command("remove")
def sources_remove(ctx: typer.Context, doc_id: Annotated[str, typer.Argument(
        help="The document id, as `clusterqa sources` lists it.")]) -> None:
    """Remove one document from the manifest, Chroma and BM25."""
    from clusterqa.ingestion import Ingestor

    if not Ingestor(_settings(ctx)).remove(doc_id):
        raise ClusterQAError(f"no ingested document has the id '{doc_id}'")
    out.print(f"removed {doc_id}")


# --- serve ----------------------------------------------------------------------------------


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Default from settings: 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default from settings: 7860")] = None,
) -> None:
    """Open the chat in the browser (Gradio)."""
    from clusterqa.assistant import Assistant
    from clusterqa.ui import launch

    settings = _settings(ctx)
    if host or port:
        server = settings.server.model_copy(update={k: v for k, v in
                                                    {"host": host, "port": port}.items() if v})
        settings = settings.model_copy(update={"server": server})
    try:
        launch(Assistant.from_settings(settings), settings)
    except OSError as exc:  # gradio: "Cannot find empty port in range: 7860-7860"
        raise ClusterQAError(f"cannot serve on {settings.server.host}:{settings.server.port} "
                             f"({exc}); is the chat already running? Try --port") from exc


def main() -> None:
    try:
        app()
    except ClusterQAError as exc:
        err.print(Text(f"error: {exc}", style="red"))
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: one line, and the traceback on request
        if os.environ.get("CLUSTERQA_DEBUG"):
            raise
        err.print(Text(f"error: unexpected {type(exc).__name__}: {exc} "
                       "(set CLUSTERQA_DEBUG=1 for the traceback)", style="red"))
        sys.exit(3)


if __name__ == "__main__":
    main()
