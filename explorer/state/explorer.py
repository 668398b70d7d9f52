"""The Model Explorer's state: which model the user wants, what is loaded, which layer, channel and unit.

``model`` is the user's choice (a catalog key or an .onnx path); ``loaded`` is what the model task produced, and
views show a model only when the two agree, so nothing of the previous network is shown as the new one while it
builds. A ``result`` is shown only when it answers the current model and model input
(``explorer.ui.model_explorer.readouts.answers``).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

from psygnal import evented

from explorer.state.batch import batched

NORMALIZE = ("channel", "layer")
PANELS = ("activations", "filters", "rf-growth", "explain", "random-vs-trained")  # the tabs, in order


@evented(equality_operators={"loaded": operator.is_, "result": operator.is_, "explanation": operator.is_,
                             "field": operator.is_})
@dataclass
class ExplorerState:
    model: str = "lenet5"            # what the user chose
    layer: str = ""                  # tensor name of the shown layer ("" = the first after the input)
    channel: int | None = None
    unit: tuple[int, int] | None = None
    normalize: str = "channel"       # colour scale: per channel or per layer
    sort: bool = False               # channels sorted by mean activation
    panel: str = "activations"
    # The Explain panel (what the network looks at) and the measured field of the clicked unit
    explain_method: str = "ablation-cam"   # class-specific and one pass of the part after the layer per channel
    explain_layer: str = ""                # "" = the last layer that still has a spatial map
    explain_class: int | None = None       # None = the model's top prediction
    explain_patch: int = 0                 # occlusion patch in model-input pixels (0: a quarter of the input)
    explain_stride: int = 0                # 0: half the patch
    explain_fill: str = "mean"
    explain_opacity: float = 0.5
    effective_field: bool = False          # measure the clicked unit's effective receptive field
    # ----- derived, never saved -----
    loaded: object | None = None     # workers.tasks.LoadedModel of the model the user chose, once it has loaded
    result: object | None = None     # workers.tasks.RunResult for (loaded model, current image)
    progress: float = 1.0            # < 1 while the model builds, loads or runs
    progress_text: str = ""
    error: str = ""                  # one line about the latest request; "" when it went well
    explanation: object | None = None  # workers.tasks.Explained answering the panel's current request
    explain_progress: float = 1.0
    explain_text: str = ""             # progress, or one line saying why there is no map
    field: object | None = None        # core.erf.EffectiveField of the clicked unit (when effective_field)
    field_text: str = ""               # progress, or why there is no measured field
    mosaic_aspect: float = 1.0         # width / height of where the channels' mosaic is painted: its grid fits it

    def choose(self, model: str) -> None:
        """Another model: everything derived from the old one stops being shown at once."""
        if model == self.model and self.error == "":
            return
        with batched(self.events):
            self.model = model
            self.error = ""
            self.result = None
            self.channel, self.unit = None, None
            self.explain_layer, self.explain_class = "", None  # names and classes of the old model

    def is_current(self, loaded: object | None) -> bool:
        return loaded is not None and getattr(loaded, "key", None) == self.model

    def shown_model(self) -> object | None:
        """The loaded model when it is the one the user chose, else None (it is still loading)."""
        return self.loaded if self.is_current(self.loaded) else None
