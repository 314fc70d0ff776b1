"""The store: every path in the data dir, the manifest (the commit record), Chroma vectors,
BM25, the one writer (lock, commit protocol, recovery) and the readers' pinned views."""

from clusterqa.store.layout import StoreLayout, fingerprint
from clusterqa.store.reader import CorpusIndex, CorpusReader, CorpusView, FixedCorpus
from clusterqa.store.writer import Pending, StoreWriter

__all__ = ["CorpusIndex", "CorpusReader", "CorpusView", "FixedCorpus", "Pending", "StoreLayout",
           "StoreWriter", "fingerprint"]
