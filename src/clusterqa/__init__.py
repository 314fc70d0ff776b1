"""clusterqa: question answering over the '12 Clusters of Tech' reports, with cited passages.

The pipeline reads in order: ``loading`` (sources, formats, chunking) -> ``ingest`` ->
``store`` (manifest, vectors, BM25, writer, reader) -> ``analysis`` (the question) ->
``retrieve`` -> ``answer`` -> ``app`` (assistant, CLI, chat); ``evals`` and ``bench`` measure it.
"""

from clusterqa.app.assistant import Assistant
from clusterqa.errors import ClusterQAError
from clusterqa.ingest import Ingestor, IngestReport
from clusterqa.settings import Settings
from clusterqa.types import Answer, Citation

__all__ = ["Answer", "Assistant", "Citation", "ClusterQAError", "IngestReport", "Ingestor",
           "Settings"]
