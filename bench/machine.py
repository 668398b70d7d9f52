"""What machine a benchmark ran on, for the line printed above its table."""
from __future__ import annotations

import os
import platform
import time


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else whatever the platform reports."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def describe(*versions: str) -> str:
    """'2026-11-25, <cpu>, 2 cores, Python 3.11.7, <versions…>'."""
    return ", ".join([time.strftime("%Y-%m-%d"), cpu_model(), f"{os.cpu_count()} cores",
                      f"Python {platform.python_version()}", *versions])
