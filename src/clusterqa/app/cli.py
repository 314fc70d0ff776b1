"""The command line: parses arguments, calls the library, formats the output.

Domain errors (``ClusterQAError``) become one line on stderr and exit status 2; an ingest in
which some files failed exits 1 after ingesting the rest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from clusterqa.app.cli_eval import bench_command, draft_command, eval_command
from clusterqa.app.console import err, out, settings_of, terminal_safe
from clusterqa.errors import ClusterQAError
from clusterqa.settings import Settings
from clusterqa.types import Answer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask the '12 Clusters of Tech' reports; answers cite their passages.")
sources_app = typer.Typer(help="List or remove ingested documents.", invoke_without_command=True)
app.add_typer(sources_app, name="sources")


SettingsOpt = Annotated[Path | None, typer.Option(
    "--settings", help="Settings file (TOML); default ./clusterqa.toml or $CLUSTERQA_SETTINGS_FILE",
    exists=True, dir_okay=False)]


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
    reset: Annotated[bool, typer.Option(
        help="Set a damaged store aside (kept in the data dir) and ingest afresh.")] = False,
) -> None:
    """Ingest documents: only new or changed ones are embedded."""
    from clusterqa.ingest import Ingestor

    settings = settings_of(ctx)
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[chunks]}"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        hooks = _RichProgress(progress)
        report = Ingestor(settings, progress=hooks).ingest(targets or None, prune=prune,
                                                           rebuild=rebuild, reset=reset)
    if report.set_aside_to:
        out.print(Text(f"reset: the old store was moved to {report.set_aside_to}"))
    for failure in report.failed:
        err.print(Text(terminal_safe(f"failed: {failure}"), style="red"))
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
    conversation: Annotated[bool, typer.Option(
        "--conversation", help="The questions are turns of one conversation: a follow-up "
                               "('When was it sold?') is answered as its rewrite.")] = False,
) -> None:
    """Answer questions from the ingested reports, citing the passages."""
    from clusterqa.app.assistant import Assistant, Conversation

    expanded: list[str] = []
    for q in questions:
        if q == "-":
            # Bytes that are not UTF-8 become U+FFFD rather than stopping the batch.
            stdin = sys.stdin.buffer.read().decode("utf-8", errors="replace")
            expanded.extend(line.strip() for line in stdin.splitlines() if line.strip())
        else:
            expanded.append(q)
    assistant = Assistant.from_settings(settings_of(ctx))
    turns = Conversation() if conversation else None
    failed = 0
    for question in expanded:
        try:
            answer = (assistant.ask(question, region=region) if turns is None
                      else assistant.ask_in(turns, question, region=region))
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


def _print_answer(answer: Answer) -> None:
    from clusterqa.app.render import segments, where

    out.print(Text(terminal_safe(f"Q: {answer.question}"), style="bold"))
    if answer.asked and answer.asked != answer.question:
        out.print(Text(terminal_safe(f"Answering: {answer.asked}"), style="dim"))
    if answer.notice:
        err.print(Text(terminal_safe(f"note: {answer.notice}"), style="yellow"))
    out.print(Text(terminal_safe(answer.text), style="yellow" if answer.abstained else ""))
    for dropped in answer.unsupported:
        out.print(Text(terminal_safe(f"not supported by the sources (removed): {dropped}"),
                       style="dim"))
    heading = "Nearest passages (not an answer):" if answer.abstained else "Sources:"
    out.print(Text(heading, style="dim"))
    for c in answer.citations:
        origin = where(c)
        out.print(Text(terminal_safe(f"[{c.n}] {c.title}" + (f" ({origin})" if origin else "")),
                       style="bold"))
        out.print(Text(terminal_safe(f"    {c.url or c.source}"), style="blue"))
        body = Text("    ")
        for text, marked in segments(c):
            body.append(terminal_safe(text.replace("\n", " ")),
                        style="bold green" if marked else "")
        out.print(body)
    out.print()


# --- sources --------------------------------------------------------------------------------


@sources_app.callback()
def sources(ctx: typer.Context) -> None:
    """List what is ingested (region, title, kind, pages, chunks, when)."""
    if ctx.invoked_subcommand is not None:
        return
    from clusterqa.store import StoreLayout
    from clusterqa.store.health import check_not_emptied
    from clusterqa.store.manifest import Manifest
    from clusterqa.store.reader import follow_server
    from clusterqa.store.vectors import VectorStore

    settings = settings_of(ctx)
    vectors = VectorStore(settings)
    try:
        with Manifest(StoreLayout(settings.data_dir).manifest) as manifest:
            follow_server(manifest, vectors, settings)  # a replica lists the server's corpus
            check_not_emptied(manifest, vectors)
            docs = manifest.documents()
    finally:
        vectors.close()
    table = Table("region", "title", "kind", "pages", "chunks", "ingested")
    table.add_column("id", no_wrap=True)
    for d in docs:
        # Text cells: a title or file name with [brackets] is shown, never read as markup.
        table.add_row(*(Text(terminal_safe(v)) for v in (
            d.region or "", d.meta.title, d.meta.kind, str(d.pages), str(len(d.chunk_ids)),
            d.ingested_at, d.doc_id)))
    # Piped output is not cut to 80 columns: ids must stay whole for `sources remove`.
    out.print(table, width=None if out.is_terminal else 240)
    out.print(f"{len(docs)} documents, {sum(len(d.chunk_ids) for d in docs)} chunks")


@sources_app.command("remove")
def sources_remove(ctx: typer.Context, doc_id: Annotated[str, typer.Argument(
        help="The document id, as `clusterqa sources` lists it.")]) -> None:
    """Remove one document from the manifest, Chroma and BM25."""
    from clusterqa.ingest import Ingestor

    if not Ingestor(settings_of(ctx)).remove(doc_id):
        raise ClusterQAError(f"no ingested document has the id '{doc_id}'")
    out.print(Text(terminal_safe(f"removed {doc_id}")))


# --- entities -------------------------------------------------------------------------------


@app.command()
def entities(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Option(help="Only this region's.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (firm, studio, bank...).")]
    = None,
    sector: Annotated[str | None, typer.Option(help="Only this sector (games, fintech...).")]
    = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, for a spreadsheet.")]
    = False,
) -> None:
    """The organisations the reports describe: kind, place, region and sector, with how many
    facts each has (read from the entity table built at ingest)."""
    import csv

    from clusterqa.entities.table import ROW_HEADER
    from clusterqa.store import CorpusIndex

    index = CorpusIndex(settings_of(ctx))
    try:
        rows = index.view.entities.rows(region=region, kind=kind, sector=sector)
    finally:
        index.close()
    header = list(ROW_HEADER)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*(Text(terminal_safe(str(v))) for v in row))
    out.print(table, width=None if out.is_terminal else 240)
    out.print(f"{len(rows)} organisations")


# --- serve ----------------------------------------------------------------------------------


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Default from settings: 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default from settings: 7860")] = None,
) -> None:
    """Open the chat in the browser (Gradio)."""
    from clusterqa.app.assistant import Assistant
    from clusterqa.app.ui import launch

    settings = settings_of(ctx)
    if host or port:
        server = settings.server.model_copy(update={k: v for k, v in
                                                    {"host": host, "port": port}.items() if v})
        settings = settings.model_copy(update={"server": server})
    try:
        launch(Assistant.from_settings(settings), settings)
    except OSError as exc:  # gradio: "Cannot find empty port in range: 7860-7860"
        raise ClusterQAError(f"cannot serve on {settings.server.host}:{settings.server.port} "
                             f"({exc}); is the chat already running? Try --port") from exc


eval_app = typer.Typer(help="Run the eval set, or draft cases for a new region.",
                       invoke_without_command=True)
eval_app.callback()(eval_command)
eval_app.command("draft")(draft_command)
app.add_typer(eval_app, name="eval")
app.command("bench")(bench_command)


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
