"""The chat in the browser: `python app.py` (after `clusterqa ingest`), or `clusterqa serve`."""

from clusterqa import Assistant, Settings
from clusterqa.app.ui import launch

if __name__ == "__main__":
    settings = Settings.load()
    launch(Assistant.from_settings(settings), settings)
