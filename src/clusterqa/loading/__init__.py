"""From sources to documents to chunks: discovery, one module per format, chunking."""

from clusterqa.loading.chunking import Chunker
from clusterqa.loading.files import SUPPORTED_SUFFIXES, discover, load_bytes, load_file

__all__ = ["SUPPORTED_SUFFIXES", "Chunker", "discover", "load_bytes", "load_file"]
