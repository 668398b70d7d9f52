"""Explanations of a model's decision, forward-only on onnxruntime (see methods.py for the methods and their choices).

The GUI keeps one ``ExplainModel`` per open model (it caches sessions) and calls ``explain`` (or one method) on its
task runner with ``progress(fraction, text)`` and ``cancelled()``; ``runtime.RunCancelled`` means it was cancelled.
"""
from explorer.core.explain.methods import (FILLS, METHODS, Explanation, ablation_cam, default_patch, eigen_cam,
                                           explain, occlusion, score_cam, to_image)
from explorer.core.explain.model import RANDOM_NOTE, ExplainModel, class_names, is_random
from explorer.core.explain.overlay import field_picture, overlay, unit_heat

__all__ = ["FILLS", "METHODS", "RANDOM_NOTE", "ExplainModel", "Explanation", "ablation_cam", "class_names",
           "default_patch", "eigen_cam", "explain", "field_picture", "is_random", "occlusion", "overlay",
           "score_cam", "to_image", "unit_heat"]
