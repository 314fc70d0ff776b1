"""Domain errors: the CLI and UI turn these into one clear line, never a traceback."""


class ClusterQAError(Exception):
    """Base class for errors a user can act on."""


class ConfigError(ClusterQAError):
    """Settings or the source list are wrong."""


class ModelIntegrityError(ClusterQAError):
    """The embedding model's weights are missing or are not the expected file."""


class LoadError(ClusterQAError):
    """A document could not be read; the message names the file and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class IngestLockedError(ClusterQAError):
    """Another ingest holds the store's write lock."""


class StoreMismatchError(ClusterQAError):
    """The store on disk was built with another embedding model or format."""


class StoreDamagedError(ClusterQAError):
    """A file of the store is damaged or missing; the message says which and how to repair."""


class StoreUnavailableError(ClusterQAError):
    """The Chroma server cannot be reached (down, restarting, or refusing the token)."""
