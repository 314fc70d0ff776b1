"""The plain llama-index recipe, as its tutorials build it, for side-by-side scoring.

``SimpleDirectoryReader`` -> ``VectorStoreIndex`` over Chroma with the same MiniLM model through
``HuggingFaceEmbedding`` (its default batch size), default chunking (``SentenceSplitter``
1024/200), dense top-k retrieval. No BM25, no cleaning, no place handling. It answers with an
LLM in the tutorials; offline we score what it retrieves.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clusterqa.embeddings import resolve_model_dir, verify_weights
from clusterqa.settings import EmbeddingSettings


@dataclass
class NaiveHit:
    text: str
    score: float
    doc_id: str


class NaiveRecipe:
    def __init__(self, embedding: EmbeddingSettings, persist_dir: Path | None = None) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        model_dir = resolve_model_dir(embedding.model)
        verify_weights(model_dir, embedding.sha256)
        self._tmp = None
        if persist_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="clusterqa-naive-")
            persist_dir = Path(self._tmp.name)
        self.persist_dir = persist_dir
        started = time.perf_counter()
        self.embed_model = HuggingFaceEmbedding(model_name=str(model_dir), device="cpu")
        self.model_load_seconds = time.perf_counter() - started
        self.index = None
        self.nodes = 0
        self.build_seconds = 0.0

    def build_from_dir(self, directory: Path) -> None:
        from llama_index.core import SimpleDirectoryReader

        docs = SimpleDirectoryReader(str(directory), recursive=True).load_data()
        self.build(docs)

    def build_from_texts(self, items: Sequence[tuple[str, str]]) -> None:
        """``items`` are (doc id, text)."""
        from llama_index.core import Document

        self.build([Document(text=text, id_=doc_id) for doc_id, text in items])

    def build(self, documents: list) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import StorageContext, VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        started = time.perf_counter()
        client = chromadb.PersistentClient(
            path=str(self.persist_dir), settings=ChromaSettings(anonymized_telemetry=False)
        )
        collection = client.get_or_create_collection("naive", embedding_function=None)
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(
            chroma_collection=collection))
        self.index = VectorStoreIndex.from_documents(
            documents, storage_context=storage, embed_model=self.embed_model
        )
        self.nodes = collection.count()
        self.build_seconds = time.perf_counter() - started

    def open_existing(self) -> bool:
        """Reopen an index built earlier in ``persist_dir``; False when there is none."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client = chromadb.PersistentClient(
            path=str(self.persist_dir), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection("naive", embedding_function=None)
        if collection.count() == 0:
            return False
        self.index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=self.embed_model)
        self.nodes = collection.count()
        return True

    def add_embedded(self, texts: Sequence[str], vectors) -> None:
        """Add nodes whose vectors are already known (the latency-growth benchmark)."""
        from llama_index.core.schema import TextNode

        nodes = [TextNode(text=t, embedding=[float(x) for x in v])
                 for t, v in zip(texts, vectors, strict=True)]
        if self.index is None:
            self.build([])
        self.index.insert_nodes(nodes)
        self.nodes += len(nodes)

    def all_texts(self) -> list[str]:
        """Every node's text (to count relevant passages for nDCG)."""
        store = self.index.vector_store
        got = store._collection.get(include=["documents"])
        return list(got["documents"])

    def retrieve(self, question: str, k: int) -> list[NaiveHit]:
        retriever = self.index.as_retriever(similarity_top_k=k)
        return [NaiveHit(n.node.get_content(), float(n.score or 0.0), n.node.ref_doc_id or "")
                for n in retriever.retrieve(question)]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
