"""Replicas of one Chroma server (store/published.py), against a real `chroma run`: what an
ingest publishes, how a data dir of its own follows it, and when old vectors may go."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from clusterqa.errors import IngestLockedError, StoreDamagedError, StoreUnavailableError
from clusterqa.ingest import Ingestor
from clusterqa.settings import Settings
from clusterqa.store import CorpusIndex, StoreLayout, StoreWriter
from clusterqa.store.lexical import lexical_params, load_current
from clusterqa.store.manifest import Manifest
from clusterqa.store.published import PUBLISHED_KEY, PublishedManifest, sync
from clusterqa.store.vectors import VectorStore


@pytest.fixture
def server(fake_settings: Settings, chroma_server: str) -> Settings:
    """The writer's settings: the shipped corpus, the fake embedder, a collection of its own
    on the session's Chroma server."""
    return fake_settings.model_copy(update={"chroma_url": chroma_server,
                                            "collection": f"p{uuid.uuid4().hex[:12]}"})


def replica(settings: Settings, name: str) -> Settings:
    """The same server and corpus, from a data dir of its own (empty until it syncs)."""
    return settings.model_copy(update={"data_dir": settings.data_dir.parent / name})


def published(settings: Settings) -> PublishedManifest:
    return PublishedManifest(VectorStore(settings))


def contents(settings: Settings) -> tuple:
    """Everything a data dir's manifest says of the corpus."""
    with Manifest(StoreLayout(settings.data_dir).manifest) as manifest:
        return manifest.documents(), manifest.chunks(), manifest.facts()


def write_report(corpus: Path, marker: str) -> None:
    """A document every passage of which names its version."""
    path = corpus / "north" / "report.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(f"Firm {j} reports {marker} growth in the north, and {marker} "
                                f"figures for year {j}." for j in range(30)))


def test_a_new_replica_needs_nothing_but_the_server(server: Settings) -> None:
    """An empty data dir builds the writer's manifest exactly (documents, chunks, facts, the
    embedder's fingerprint) and a current BM25 from the server, and answers as the writer
    does."""
    from clusterqa.app.assistant import Assistant

    Ingestor(server).ingest()
    reader = replica(server, "replica")
    index = CorpusIndex(reader)
    try:
        assert contents(reader) == contents(server)
        assert index.manifest.get_state(PUBLISHED_KEY) == str(published(server).head())
        params = lexical_params(reader.retrieval)
        assert load_current(StoreLayout(reader.data_dir).bm25, index.view.version, params)
    finally:
        index.close()
    question = "Who acquired Kontainers?"
    theirs = Assistant.from_settings(reader).ask(question)
    ours = Assistant.from_settings(server).ask(question)
    assert theirs.citations and theirs.text == ours.text


def test_only_what_changed_is_published_and_fetched(server: Settings, corpus_copy: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that changes nothing publishes nothing; a changed document is one new record,
    and a replica already in step fetches that one record alone."""
    Ingestor(server).ingest()
    store = published(server)
    first = store.head()
    reader = CorpusIndex(replica(server, "replica"))
    try:
        Ingestor(server).ingest()
        assert store.head() == first
        path = corpus_copy / "scotland" / "scotland-brief.md"
        path.write_text(path.read_text().replace("Skyscanner", "Skyscanner (EDITED)"))
        Ingestor(server).ingest()
        assert store.head() == first + 1
        before, after = store.version(first), store.version(first + 1)
        assert len(after.records - before.records) == len(before.records - after.records) == 1
        fetched: list[str] = []
        real_fetch = PublishedManifest.fetch

        def spy(self, ids):
            fetched.extend(ids)
            return real_fetch(self, ids)

        monkeypatch.setattr(PublishedManifest, "fetch", spy)
        assert reader.refresh()
        assert fetched == sorted(after.records - before.records)
        assert any("(EDITED)" in c.text for c in reader.view.chunks.values())
    finally:
        reader.close()


def test_old_vectors_stay_while_a_replica_may_still_read_them(server: Settings,
                                                              corpus_copy: Path) -> None:
    """A replica pinned to version n keeps every vector it lists while the head is n + 1
    (step 3 of the commit protocol waits); they go once the head moves past n + 1, and the
    replica then jumps straight to the head."""
    write_report(corpus_copy, "alpha")
    Ingestor(server).ingest()
    reader = CorpusIndex(replica(server, "replica"))
    try:
        alpha = {cid for cid, c in reader.view.chunks.items() if "alpha" in c.text}
        assert len(alpha) > 3
        write_report(corpus_copy, "omega")
        Ingestor(server).ingest()
        assert reader.vectors.existing(sorted(alpha)) == alpha  # the replica has not moved
        write_report(corpus_copy, "gamma")
        Ingestor(server).ingest()
        assert not reader.vectors.existing(sorted(alpha))
        assert reader.refresh()
        texts = " ".join(c.text for c in reader.view.chunks.values())
        assert "gamma" in texts and "alpha" not in texts and "omega" not in texts
        store = published(server)
        head = store.head()
        assert store.version(head - 2) is None and store.version(head - 1) is not None
    finally:
        reader.close()


def test_a_run_killed_before_it_published_is_published_by_the_next(
        server: Settings, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after its local commit, while writing the head: replicas keep the old version
    whole, and the next run publishes the commit without embedding anything again."""
    write_report(corpus_copy, "alpha")
    Ingestor(server).ingest()
    reader = CorpusIndex(replica(server, "replica"))
    head = published(server).head()
    real_put = PublishedManifest._put

    def killed_at_the_head(self, ids, metadatas, documents):
        if ids == ["head"]:
            raise KeyboardInterrupt
        real_put(self, ids, metadatas, documents)

    monkeypatch.setattr(PublishedManifest, "_put", killed_at_the_head)
    write_report(corpus_copy, "omega")
    try:
        with pytest.raises(KeyboardInterrupt):
            Ingestor(server).ingest()
        assert published(server).head() == head
        assert not reader.refresh()
        monkeypatch.setattr(PublishedManifest, "_put", real_put)
        report = Ingestor(server).ingest()
        assert report.chunks_embedded == 0 and published(server).head() == head + 1
        assert reader.refresh()
        assert all("omega" in c.text for c in reader.view.chunks.values()
                   if c.doc_id == "north/report.md")
    finally:
        reader.close()


def test_any_data_dir_can_ingest_one_after_another(server: Settings, corpus_copy: Path
                                                   ) -> None:
    """A second data dir first takes the server's corpus: it embeds and publishes nothing
    already there, and deletes none of the first one's vectors; the first then follows its
    changes before making any."""
    Ingestor(server).ingest()
    store = published(server)
    head, stored = store.head(), VectorStore(server).ids()
    other = replica(server, "other")
    again = Ingestor(other).ingest()
    assert again.chunks_embedded == 0 and not again.changed
    assert store.head() == head and VectorStore(server).ids() == stored
    write_report(corpus_copy, "alpha")
    assert Ingestor(other).ingest().added == ["north/report.md"]
    report = Ingestor(server).ingest()
    assert report.chunks_embedded == 0 and "north/report.md" in report.unchanged
    assert contents(server) == contents(other)


def test_a_second_writer_on_the_same_server_is_refused(server: Settings,
                                                       corpus_copy: Path) -> None:
    """Two ingests from two data dirs at once: the one that publishes second is refused (the
    ingest lock is per data dir; the server cannot hold one), and the head stays the
    first's."""
    Ingestor(server).ingest()
    refused = pytest.raises(IngestLockedError, match="another ingest published to the Chroma")
    with refused, StoreWriter(server):  # leaving it publishes
        write_report(corpus_copy, "alpha")
        Ingestor(replica(server, "other")).ingest()
    with Manifest(StoreLayout(replica(server, "other").data_dir).manifest) as manifest:
        assert manifest.get_state(PUBLISHED_KEY) == str(published(server).head())


def test_a_replica_that_cannot_read_the_head_whole_says_so(server: Settings) -> None:
    """A record the head lists that stays missing is one clear error, and the replica's
    manifest is left as it was."""
    Ingestor(server).ingest()
    store = published(server)
    gone = sorted(store.version(store.head()).records)[0]
    store._vectors.records.delete(ids=[gone])
    reader = replica(server, "replica")
    with Manifest(StoreLayout(reader.data_dir).manifest) as manifest:
        with pytest.raises(StoreUnavailableError, match="changed faster than this process"):
            sync(manifest, published(reader))
        assert not manifest.documents() and manifest.get_state(PUBLISHED_KEY) is None


def test_vectors_without_a_published_manifest_are_named(server: Settings) -> None:
    """A server holding vectors no ingest published (a clusterqa from before replicas): a new
    replica says so and what to do, instead of serving an empty corpus."""
    import numpy as np

    VectorStore(server).upsert(["x"], np.ones((1, 64), dtype=np.float32), [{"region": "x"}],
                               ["x"])
    with pytest.raises(StoreDamagedError, match="no ingest published which are committed"):
        CorpusIndex(replica(server, "replica"))


def test_sources_in_a_new_replica_lists_the_servers_corpus(server: Settings,
                                                           corpus_copy: Path) -> None:
    """`clusterqa sources` from an empty data dir follows the server first."""
    from typer.testing import CliRunner

    from clusterqa.app.cli import app
    from tests.conftest import corpus_doc_ids

    Ingestor(server).ingest()
    env = {"CLUSTERQA_DATA_DIR": str(replica(server, "replica").data_dir),
           "CLUSTERQA_CHROMA_URL": server.chroma_url, "CLUSTERQA_COLLECTION": server.collection}
    listing = CliRunner().invoke(app, ["sources"], env=env)
    assert listing.exit_code == 0, listing.output
    assert f"{len(corpus_doc_ids(corpus_copy))} documents" in listing.stdout


def test_the_facts_state_published_is_the_one_ingest_keeps() -> None:
    """published.py names ingest's state key itself (ingest imports the store, not back)."""
    from clusterqa import ingest
    from clusterqa.store import published as module

    assert module.FACTS_KEY == ingest.FACTS_KEY
