"""clusterqa: question answering over the '12 Clusters of Tech' reports, with cited passages."""

from clusterqa.answering import Answer, Citation
from clusterqa.assistant import Assistant
from clusterqa.errors import ClusterQAError
from clusterqa.ingestion import Ingestor, IngestReport
from clusterqa.settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "ClusterQAError", "IngestReport", "Ingestor",
           "Settings"]
