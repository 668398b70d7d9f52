"""CNN Explorer: see convolutional neural networks work."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnn-explorer")
except PackageNotFoundError:  # running from a source tree that is not installed (e.g. a frozen build)
    __version__ = "0.1.0"
