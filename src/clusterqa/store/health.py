"""Damage a store can suffer that SQLite and Chroma do not report themselves, each named with
the command that repairs it."""

from __future__ import annotations

from clusterqa.errors import StoreDamagedError
from clusterqa.store.manifest import RESET_ADVICE, Manifest
from clusterqa.store.vectors import VectorStore


def check_not_emptied(manifest: Manifest, vectors: VectorStore) -> None:
    """A manifest that was never written beside a vector store that holds chunks was emptied
    or replaced (a 0-byte file, say): treated as an empty corpus, ingest would delete every
    vector as an orphan. (With a server the manifest was first brought to the server's
    head; none was published.)"""
    if manifest.initialized():
        return
    stored = vectors.count()
    if stored and vectors.server:
        raise StoreDamagedError(
            f"the Chroma server at {vectors.server} holds {stored:,} chunks, but no ingest "
            "published which are committed (one from before replicas, or one that never "
            "finished a commit): run `clusterqa ingest` from the data dir that wrote them")
    if stored:
        raise StoreDamagedError(
            f"the manifest {manifest.path} is empty, but the vector store beside it holds "
            f"{stored:,} chunks: the manifest was emptied or replaced; {RESET_ADVICE}")


def check_vectors_present(committed: int, vectors: VectorStore) -> None:
    """Every committed chunk has its vector (they are written first); fewer vectors than
    chunks means the vector store lost some, and answers would come from BM25 alone."""
    stored = vectors.count()
    if stored < committed:
        raise StoreDamagedError(
            f"the vector store {vectors.path} holds {stored:,} of the {committed:,} committed "
            "chunks (deleted or replaced?); run `clusterqa ingest` to restore them")
