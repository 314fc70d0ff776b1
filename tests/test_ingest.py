"""Ingestion against a real Chroma on disk (fake embedder): incremental, exact, crash-safe."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clusterqa.errors import IngestLockedError, StoreMismatchError
from clusterqa.ingest import Ingestor
from clusterqa.loading import load_file
from clusterqa.settings import Settings
from clusterqa.store import StoreLayout
from clusterqa.store.lexical import LexicalIndex
from clusterqa.store.manifest import Manifest
from clusterqa.store.vectors import VectorStore
from tests.conftest import corpus_doc_ids, fake_cli_env, make_settings


def manifest_of(settings: Settings) -> Manifest:
    return Manifest(StoreLayout(settings.data_dir).manifest)


def state(settings: Settings) -> dict:
    """Everything that must agree: manifest, Chroma and BM25 ids."""
    with manifest_of(settings) as manifest:
        committed = manifest.chunk_ids()
        docs = manifest.documents()
        version = manifest.version
    saved = LexicalIndex.load(StoreLayout(settings.data_dir).bm25)
    return {"manifest": committed, "docs": docs, "version": version,
            "chroma": VectorStore(settings).ids(),
            "bm25": set(saved[0].ids) if saved else None,
            "bm25_version": saved[1] if saved else None}


def previous_version_chunks(settings: Settings) -> set[str]:
    """The chunks of the version a Chroma server published before its head: kept for replicas
    still reading it (see store/published.py)."""
    from clusterqa.store.published import PublishedManifest

    published = PublishedManifest(VectorStore(settings))
    previous = published.version(published.head() - 1)
    records = published.fetch(sorted(previous.records)) if previous else {}
    return {cid for doc, _, _ in records.values() for cid in doc.chunk_ids}


def assert_consistent(settings: Settings) -> dict:
    s = state(settings)
    lingering = s["chroma"] - s["manifest"]
    if settings.chroma_url:
        lingering -= previous_version_chunks(settings)
    assert s["manifest"] <= s["chroma"] and not lingering, "Chroma and the manifest disagree"
    assert s["bm25"] == s["manifest"] and s["bm25_version"] == s["version"], "BM25 is stale"
    for doc in s["docs"]:
        assert doc.chunk_ids, f"{doc.doc_id} has no chunks"
    return s


def test_ingesting_twice_changes_nothing(store_settings, corpus_copy: Path) -> None:
    """Same chunk count and ids; the second run embeds nothing and says so."""
    shipped = corpus_doc_ids(corpus_copy)
    first = Ingestor(store_settings).ingest()
    before = assert_consistent(store_settings)
    assert first.ok and set(first.added) == shipped and first.chunks_embedded > 0
    again = Ingestor(store_settings).ingest()
    after = assert_consistent(store_settings)
    assert again.chunks_embedded == 0 and not again.changed
    assert set(again.unchanged) == shipped
    assert after["manifest"] == before["manifest"]
    assert after["version"] == before["version"]


def test_a_changed_document_leaves_no_stale_chunk(store_settings, corpus_copy: Path) -> None:
    """Only the changed chunks are embedded; the old ones are gone from Chroma and BM25."""
    Ingestor(store_settings).ingest()
    before = state(store_settings)
    path = corpus_copy / "scotland" / "scotland-brief.md"
    path.write_text(path.read_text().replace("in 2003 by Gareth Williams",
                                             "in 2003 by Gareth Williams (EDITED)"))
    report = Ingestor(store_settings).ingest()
    after = assert_consistent(store_settings)
    assert report.updated == ["scotland/scotland-brief.md"]
    assert 0 < report.chunks_embedded <= 3 and report.chunks_reused > 0
    gone = before["manifest"] - after["manifest"]
    assert gone and not (gone & after["bm25"])
    if not store_settings.chroma_url:  # a server keeps them a version longer (published.py)
        assert not (gone & after["chroma"])
    with manifest_of(store_settings) as manifest:
        texts = [c.text for c in manifest.chunks()]
    assert any("(EDITED)" in t for t in texts)


def test_front_matter_change_updates_metadata_without_embedding(store_settings,
                                                                corpus_copy: Path) -> None:
    Ingestor(store_settings).ingest()
    path = corpus_copy / "scotland" / "scotland-brief.md"
    path.write_text(path.read_text().replace("region: scotland", "region: alba", 1))
    report = Ingestor(store_settings).ingest()
    assert report.metadata_only == ["scotland/scotland-brief.md"]
    assert report.chunks_embedded == 0
    s = assert_consistent(store_settings)
    doc = next(d for d in s["docs"] if d.doc_id == "scotland/scotland-brief.md")
    assert doc.region == "alba"
    from clusterqa.app.assistant import Assistant

    assistant = Assistant.from_settings(store_settings)
    hits = assistant.retriever.retrieve("Skyscanner", region="alba").hits
    assert hits and all(assistant.view().chunks[h.chunk_id].doc_id == doc.doc_id for h in hits)


def test_prune_and_remove(store_settings, corpus_copy: Path) -> None:
    """--prune drops documents whose files are gone; remove drops one everywhere."""
    Ingestor(store_settings).ingest()
    (corpus_copy / "scotland" / "scotland-brief.md").unlink()
    kept = Ingestor(store_settings).ingest()
    assert not kept.removed  # without --prune nothing is removed
    pruned = Ingestor(store_settings).ingest(prune=True)
    assert pruned.removed == ["scotland/scotland-brief.md"]
    assert Ingestor(store_settings).remove("northern-ireland/northern-ireland-brief.md")
    assert not Ingestor(store_settings).remove("no/such.md")
    s = assert_consistent(store_settings)
    assert {d.doc_id for d in s["docs"]} == corpus_doc_ids(corpus_copy) - {
        "northern-ireland/northern-ireland-brief.md"}


def test_bad_files_are_reported_and_the_rest_ingests(fake_settings, corpus_copy: Path) -> None:
    (corpus_copy / "scotland" / "empty.md").write_text("")
    (corpus_copy / "scotland" / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (corpus_copy / "scotland" / "latin1.txt").write_bytes(b"caf\xe9 society")
    (corpus_copy / "scotland" / "slides.pptx").write_bytes(b"PK\x03\x04")
    report = Ingestor(fake_settings).ingest()
    good = corpus_doc_ids(corpus_copy) - {f"scotland/{name}" for name in (
        "empty.md", "binary.txt", "latin1.txt", "slides.pptx")}
    assert set(report.added) == good and not report.ok
    reasons = {Path(f.source).name: f.reason for f in report.failed}
    assert set(reasons) == {"empty.md", "binary.txt", "latin1.txt", "slides.pptx"}
    assert "empty" in reasons["empty.md"] and "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "unsupported" in reasons["slides.pptx"]
    assert_consistent(fake_settings)


def test_second_writer_is_refused(fake_settings) -> None:
    """Two ingests at once: the second gets a clear message, the store is untouched."""
    import filelock

    lock = filelock.FileLock(fake_settings.data_dir / "ingest.lock")
    fake_settings.data_dir.mkdir(parents=True, exist_ok=True)
    with lock, pytest.raises(IngestLockedError, match="another ingest is already running"):
        Ingestor(fake_settings).ingest()


def test_a_store_built_with_another_model_is_refused(fake_settings) -> None:
    """Refused before any weights load: the model's name is known without them."""
    from clusterqa.app.assistant import Assistant
    from clusterqa.embeddings import SentenceTransformerEmbedder

    Ingestor(fake_settings).ingest()
    real = SentenceTransformerEmbedder(fake_settings.embedding)
    with pytest.raises(StoreMismatchError, match=r"embedded with 'fake-hash\+title'.*--rebuild"):
        Ingestor(fake_settings, embedder=real).ingest()
    with pytest.raises(StoreMismatchError, match=r"but the settings ask for 'sentence-trans"):
        Assistant.from_settings(fake_settings, embedder=real)


def test_rebuild_reembeds_everything_with_the_new_recipe(fake_settings, tmp_path: Path,
                                                        corpus_copy: Path) -> None:
    """A changed embedding recipe is refused until --rebuild, which re-embeds every chunk
    already ingested, including documents that came from paths outside the source list."""
    extra = tmp_path / "elsewhere" / "note.md"
    extra.parent.mkdir()
    extra.write_text("Zorbcorp is a Gateshead drone maker. It was founded in 2019.")
    first = Ingestor(fake_settings).ingest()
    Ingestor(fake_settings).ingest([extra])
    before = state(fake_settings)["manifest"]
    plain = fake_settings.model_copy(update={"embedding": fake_settings.embedding.model_copy(
        update={"title_prefix": False})})
    with pytest.raises(StoreMismatchError):
        Ingestor(plain).ingest()
    report = Ingestor(plain).ingest(rebuild=True)
    documents = len(corpus_doc_ids(corpus_copy)) + 1
    assert report.rebuilt == documents and report.chunks_embedded == len(before)
    assert report.chunks_embedded > first.chunks_embedded  # the extra note too
    after = assert_consistent(plain)["manifest"]
    assert len(after) == len(before) and after.isdisjoint(before)  # new ids, no leftovers
    with manifest_of(plain) as manifest:
        assert len(manifest.documents()) == documents
    assert Ingestor(plain).ingest().chunks_embedded == 0


def test_rebuild_with_the_same_recipe_replaces_vectors_in_place(store_settings,
                                                                corpus_copy: Path) -> None:
    """A new model with the same recipe keeps every chunk id and re-embeds each one."""
    Ingestor(store_settings).ingest()
    before = state(store_settings)["manifest"]
    report = Ingestor(store_settings).ingest(rebuild=True)
    assert report.chunks_embedded == len(before)
    assert report.rebuilt == len(corpus_doc_ids(corpus_copy))
    assert assert_consistent(store_settings)["manifest"] == before


REBUILD_SCRIPT = """
import os, sys
from clusterqa.ingest import Ingestor
from clusterqa.settings import Settings
from tests.fakes import HashEmbedder
s = Settings.load(data_dir=sys.argv[1], corpus_dir=sys.argv[2], sources_file="none.yaml",
                  embedding={"batch_size": 2, "title_prefix": False})
Ingestor(s, embedder=HashEmbedder(delay=float(os.environ["FAKE_EMBED_DELAY"]))).ingest(
    rebuild=True)
"""


def test_readers_keep_answering_during_a_rebuild(tmp_path: Path, corpus_copy: Path,
                                                 fake_embedding: None) -> None:
    """A rebuild replaces chunks group by group: a reader never finds the store empty."""
    from clusterqa.app.assistant import Assistant

    data = tmp_path / "data"
    settings = make_settings(tmp_path, corpus=corpus_copy, data_dir=data)
    Ingestor(settings).ingest()
    reader = Assistant.from_settings(settings)
    proc = subprocess.Popen([sys.executable, "-c", REBUILD_SCRIPT, str(data), str(corpus_copy)],
                            env=fake_cli_env(delay=0.1), cwd=tmp_path)
    asked = 0
    while proc.poll() is None:
        answer = reader.ask("Who acquired Kontainers?")  # raises if the store were empty
        assert answer.citations
        asked += 1
        time.sleep(0.05)
    assert proc.returncode == 0 and asked >= 5
    assert reader.ask("Who acquired Kontainers?").citations


def test_recovery_removes_orphans_and_restores_missing_vectors(store_settings) -> None:
    """What an interrupted run can leave behind is repaired by the next run."""
    import numpy as np

    Ingestor(store_settings).ingest()
    store = VectorStore(store_settings)
    store.upsert(["orphan-id"], np.ones((1, 64), dtype=np.float32), [{"region": "x"}], ["x"])
    victim = sorted(state(store_settings)["manifest"])[0]
    store.delete([victim])
    report = Ingestor(store_settings).ingest()
    assert report.recovered_orphans == 1 and report.recovered_missing == 1
    assert_consistent(store_settings)


# --- killed at any point -----------------------------------------------------------------

SCRIPT = """
import os, sys
from clusterqa.ingest import Ingestor
from clusterqa.settings import Settings
from tests.fakes import HashEmbedder
s = Settings.load(data_dir=sys.argv[1], corpus_dir=sys.argv[2], sources_file="none.yaml",
                  embedding={"batch_size": int(sys.argv[3])})
Ingestor(s, embedder=HashEmbedder(delay=float(os.environ["FAKE_EMBED_DELAY"]))).ingest()
"""


def make_corpus(root: Path, version: int, docs: int = 24) -> None:
    for i in range(docs):
        region = ["north", "south", "east"][i % 3]
        path = root / region / f"doc-{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        # Every other document changes between versions, so reruns replace chunks.
        v = version if i % 2 else 1
        body = "\n\n".join(f"Firm {i}-{j} in {region} grew {v * j}% in version {v}."
                           for j in range(12))
        path.write_text(f"---\ntitle: Doc {i}\n---\n{body}\n")


@pytest.mark.slow
def test_killed_ingest_leaves_a_consistent_store(tmp_path: Path) -> None:
    """SIGKILL an ingest at random moments, many times, changing the corpus in between: after
    each rerun every manifest entry has all its chunks in Chroma and BM25, with no orphans and
    no duplicates."""
    corpus = tmp_path / "corpus"
    data = tmp_path / "data"
    env = fake_cli_env(delay=0.5)
    rng = random.Random(7)
    settings = make_settings(tmp_path, corpus=corpus, data_dir=data,
                             embedding={"batch_size": 1})
    kills = 0
    for version in range(1, 7):
        make_corpus(corpus, version)
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), str(corpus), "1"],
                                env=env, cwd=tmp_path)
        time.sleep(rng.uniform(2.0, 5.0))  # imports take ~2 s; then ingest is under way
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        rerun = subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(corpus), "1"],
                               env=env, cwd=tmp_path, timeout=300)
        assert rerun.returncode == 0
        s = assert_consistent(settings)
        assert len(s["docs"]) == 24
        with manifest_of(settings) as manifest:
            texts = [c.text for c in manifest.chunks()]
        assert len(texts) == len(set(texts)), "duplicate chunks"
        # The store holds exactly the current files.
        current = {f"{p.parent.name}/{p.name}": load_file(p, corpus_dir=corpus).content_hash
                   for p in corpus.rglob("*.md")}
        assert {d.doc_id: d.content_hash for d in s["docs"]} == current
    assert kills >= 3, "the ingest finished before it could be killed; raise the delay"


# --- readers during an ingest, and web pages -------------------------------------------------


@pytest.mark.slow
def test_readers_see_old_or_new_never_a_mixture(tmp_path: Path, fake_embedding: None) -> None:
    """While another process re-ingests a changed document, every answer's passages come from
    one version of it; afterwards the reader sees the new version without reopening."""
    from clusterqa.app.assistant import Assistant

    corpus = tmp_path / "corpus"
    data = tmp_path / "data"
    doc = corpus / "north" / "report.md"
    doc.parent.mkdir(parents=True)

    def write(marker: str) -> None:
        doc.write_text("\n\n".join(f"Firm {j} reports {marker} growth in the north, and "
                                   f"{marker} figures for year {j}." for j in range(60)))

    settings = make_settings(tmp_path, corpus=corpus, data_dir=data,
                             embedding={"batch_size": 2})
    write("alpha")
    Ingestor(settings).ingest()
    reader = Assistant.from_settings(settings)
    write("omega")
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), str(corpus), "2"],
                            env=fake_cli_env(delay=0.2), cwd=tmp_path)
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        _, retrieval = reader.ask_with_retrieval("firm growth figures", depth=30)
        texts = [retrieval.view.chunks[h.chunk_id].text for h in retrieval.hits]
        markers = {m for t in texts for m in ("alpha", "omega") if m in t}
        assert len(markers) == 1, f"mixed versions in one answer: {markers}"
        seen |= markers
        if proc.poll() is not None and "omega" in markers:
            break
        time.sleep(0.05)
    assert proc.wait() == 0
    assert seen == {"alpha", "omega"}


def test_ingest_a_web_page_over_http(fake_settings, tmp_path: Path) -> None:
    """A URL is fetched, its main text ingested, and the URL becomes the citation link."""
    import http.server
    import threading

    site = tmp_path / "site"
    site.mkdir()
    (site / "news.html").write_text(
        "<html><head><title>Hull startup raises funds</title></head><body>"
        "<nav>Home | Sport | Weather</nav><div class='cookie'>We use cookies.</div>"
        "<article><p>Humber Robotics, a Hull startup, raised £2m from local investors in "
        "2024 to build warehouse robots for the port.</p>"
        "<script>window.pwned = 1</script></article></body></html>")
    (site / "missing-type").write_bytes(b"\x89PNG\r\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(site), **kw)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        report = Ingestor(fake_settings).ingest([f"{base}/news.html", f"{base}/gone.html",
                                                 f"{base}/missing-type"])
    finally:
        server.shutdown()
    assert report.added == [f"{base}/news.html"]
    reasons = {f.source: f.reason for f in report.failed}
    assert "HTTP 404" in reasons[f"{base}/gone.html"]
    assert f"{base}/missing-type" in reasons
    from clusterqa.app.assistant import Assistant

    answer = Assistant.from_settings(fake_settings).ask("How much did Humber Robotics raise?")
    card = next(c for c in answer.citations if c.doc_id == f"{base}/news.html")
    assert card.url == card.source == f"{base}/news.html"
    assert "£2m" in card.text and "pwned" not in card.text and "cookies" not in card.text
