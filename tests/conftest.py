import os
import tempfile

# Every test runs without a display; set before anything imports Qt.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Built-in models materialise into a cache shared by the whole run (built once), never the user's own cache.
# Subprocesses (CLI tests) inherit it.
os.environ.setdefault("CNN_EXPLORER_CACHE_DIR", os.path.join(tempfile.gettempdir(), "cnn-explorer-test-cache"))
