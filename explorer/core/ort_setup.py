"""onnxruntime imported with its telemetry switched off (the README promises no network use).

Official onnxruntime builds start Microsoft's 1DS telemetry when the library initialises, i.e. at import: before
any session exists it creates ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ (a device id and an event database
holding the executable path and the OS) and queues events for upload. ORT_DISABLE_TELEMETRY=1 is the switch that
stops all of it (onnxruntime's Privacy.md), and it is read only at initialisation, so it must be set before the
first import. ``disable_telemetry_events()`` only drops non-essential events; it is called too, for builds that do
not read the variable.
"""
from __future__ import annotations

import os
from types import ModuleType


def import_without_telemetry() -> ModuleType:
    """The onnxruntime module, imported with telemetry off. Too late if onnxruntime was imported before."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"
    import onnxruntime

    if hasattr(onnxruntime, "disable_telemetry_events"):
        onnxruntime.disable_telemetry_events()
    return onnxruntime


ort = import_without_telemetry()
