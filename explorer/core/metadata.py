"""The ONNX ``metadata_props`` keys CNN Explorer reads and writes, named once for the whole project."""
from __future__ import annotations

from collections.abc import Mapping

import onnx

WEIGHTS = "cnn_explorer.weights"              # where the weights came from, one line ("random initialisation ...")
LABELS = "cnn_explorer.labels"                # a JSON list of class names, or a file name in assets/
TITLE = "cnn_explorer.title"                  # the name to show
PREPROCESS = "cnn_explorer.preprocess"        # JSON of explorer.core.preprocess.Preprocess
BUILDER_VERSION = "cnn_explorer.builder_version"  # the zoo builder that wrote the file (cache invalidation)
PAPER = "cnn_explorer.paper"                  # the paper the architecture comes from
HELDOUT_ACCURACY = "cnn_explorer.heldout_accuracy"  # the bundled MNIST networks' measured held-out accuracy


def read(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def update(model: onnx.ModelProto, values: Mapping[str, str]) -> None:
    """Set these keys (replacing earlier values), keeping every other key the model carries."""
    onnx.helper.set_model_props(model, {**read(model), **values})
