"""The comparison tab's state: the Inception calculator's numbers, the table's sort, and the measured facts.

``facts``, ``times`` and ``structures`` are derived (filled by tasks, never saved); the calculator's numbers and
the page under the table (PAGES) are the user's.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

from psygnal import evented

from explorer.core import architectures
from explorer.core.inception_cost import InceptionCost, inception_cost
from explorer.state.batch import batched

PAGES = ("inception", "shortcuts")   # under the table: the Inception calculator, the ResNet-34 / plain-34 strips


@evented(equality_operators={"facts": operator.is_, "times": operator.is_, "structures": operator.is_})
@dataclass
class CompareState:
    height: int = 28
    width: int = 28
    channels: int = 192
    filters: int = 32
    size: int = 5
    reduced: int = 16
    sort: str = "year"
    descending: bool = False
    facts: dict[str, architectures.Facts] = field(default_factory=dict)   # derived
    times: dict[str, float] = field(default_factory=dict)                 # derived: CPU ms per image
    progress: str = ""                                                    # what the running task is doing
    page: str = "inception"                                               # one of PAGES
    structures: dict[str, object] = field(default_factory=dict)  # derived: key -> core.inspect.ModelInfo

    def cost(self) -> InceptionCost:
        return inception_cost(self.height, self.width, self.channels, self.filters, self.size, self.reduced)

    def table(self) -> list[dict[str, object]]:
        return architectures.sort_rows(architectures.rows(self.facts, self.times), self.sort, self.descending)

    def sort_by(self, column: str) -> None:
        """A header click: the same column again flips the direction."""
        with batched(self.events):
            self.descending = not self.descending if column == self.sort else column not in ("architecture", "year")
            self.sort = column
