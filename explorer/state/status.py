"""The status line as state: one message, whether it is an error, and the topic that raised it.

A message belongs to a topic ("image", "explorer", "mnist", ...): when that topic's subject changes (another model
is chosen), its old messages are cleared, so a warning about an opened file never outlives the file.
"""
from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

from explorer.state.batch import batched


@evented
@dataclass
class StatusState:
    text: str = ""
    error: bool = False
    topic: str = ""

    def show(self, text: str, *, error: bool = False, topic: str = "") -> None:
        with batched(self.events):
            self.text, self.error, self.topic = text, error, topic

    def note(self, text: str, *, topic: str = "") -> None:
        """An aside nobody asked for (e.g. which provider a model runs on): shown unless another topic's error is
        standing, which must stay readable; the aside can be lost."""
        if not (self.error and self.topic != topic):
            self.show(text, topic=topic)

    def clear_topic(self, topic: str) -> None:
        """Forget the current message if ``topic`` raised it."""
        if self.topic == topic and self.text:
            self.show("")
