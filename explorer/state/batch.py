"""Several fields of one evented state changed as one step: listeners hear of it once every field is set.

psygnal's ``SignalGroup.paused()`` pauses only the group's relay (``events.all``), not each field's signal, so a
listener of the first field assigned ran before the next one was set and saw half an update (a live frame's
``image`` event came while ``photo`` still held the previous frame, and the Model Explorer's summary flipped twice
per frame). ``batched`` pauses every field's signal and, at the end, emits each changed field once, in the order
the fields are declared, with its latest value.
"""
from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from psygnal import SignalGroup

_depth: dict[int, int] = {}  # id(group) -> open batches on it: only the outermost pauses and resumes


def _take_latest(queue: deque[tuple]) -> tuple:
    """One emission for a field assigned several times: its newest value (and, for evented fields, the oldest old
    value), so a listener sees the net change. The queue is emptied here, before the emission: a listener that
    starts a batch of its own would otherwise resume these arguments again, and again (a loop until the stack
    runs out)."""
    newest, oldest = queue[-1], queue[0]
    queue.clear()
    return (newest[0], oldest[1]) if len(newest) == 2 and len(oldest) == 2 else newest


# psygnal inspects a reducer's signature on every resume (~0.1 ms, several times per live frame): give it the answer.
_take_latest.__signature__ = inspect.signature(_take_latest)  # type: ignore[attr-defined]


@contextmanager
def batched(events: SignalGroup) -> Iterator[None]:
    key = id(events)
    outermost = key not in _depth
    _depth[key] = _depth.get(key, 0) + 1
    signals = list(events.signals.values())
    if outermost:
        for signal in signals:
            signal.pause()
    try:
        yield
    finally:
        _depth[key] -= 1
        if outermost:
            del _depth[key]
            for signal in signals:
                signal.resume(reducer=_take_latest)
