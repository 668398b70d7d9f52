"""What a 1×1 "bottleneck" saves in an Inception branch: multiplications with and without the reduction.

The lecture's example is GoogLeNet's 5×5 branch on a 28×28×192 input with 32 filters. Every output value of a
k×k convolution over c channels costs k·k·c multiplications, so a layer costs (outputs)·(k·k·c). With a 1×1
convolution down to r channels first, the 5×5 filters only see r channels. Costs come from ``conv.layer_cost``
("same" padding: the output keeps the input's height and width).
"""
from __future__ import annotations

from dataclasses import dataclass

from explorer.core.conv import layer_cost
from explorer.core.errors import UserError


@dataclass(frozen=True)
class InceptionCost:
    height: int
    width: int
    channels: int      # input depth
    filters: int       # output channels of the k×k convolution
    size: int          # k
    reduced: int       # channels after the 1×1 reduction

    @property
    def direct(self) -> int:
        """k×k straight on the full-depth input."""
        return layer_cost(self.size, self.channels, self.filters, (self.height, self.width)).macs

    @property
    def reduction(self) -> int:
        """The 1×1 convolution down to ``reduced`` channels."""
        return layer_cost(1, self.channels, self.reduced, (self.height, self.width)).macs

    @property
    def after_reduction(self) -> int:
        """k×k on the reduced input."""
        return layer_cost(self.size, self.reduced, self.filters, (self.height, self.width)).macs

    @property
    def bottleneck(self) -> int:
        return self.reduction + self.after_reduction

    @property
    def ratio(self) -> float:
        """bottleneck / direct: about a tenth in the lecture's example."""
        return self.bottleneck / self.direct

    def formula_lines(self) -> tuple[str, str, str]:
        """The three computations written out with their numbers, as the class reads them."""
        h, w, c, n, k, r = self.height, self.width, self.channels, self.filters, self.size, self.reduced
        return (
            f"{k}×{k} directly: ({h}·{w}·{n}) · ({k}·{k}·{c}) = {self.direct:,}",
            f"1×1 to {r} channels, then {k}×{k}: ({h}·{w}·{r}) · (1·1·{c}) + ({h}·{w}·{n}) · ({k}·{k}·{r}) = "
            f"{self.reduction:,} + {self.after_reduction:,} = {self.bottleneck:,}",
            f"saving: {self.bottleneck:,} / {self.direct:,} = {self.ratio:.3f} (about 1/{1 / self.ratio:.1f})",
        )


def inception_cost(height: int = 28, width: int = 28, channels: int = 192, filters: int = 32, size: int = 5,
                   reduced: int = 16) -> InceptionCost:
    """The lecture's numbers by default; UserError naming the value to change on nonsense."""
    for name, value in (("height", height), ("width", width), ("input channels", channels),
                        ("filters", filters), ("filter size", size), ("reduced channels", reduced)):
        if int(value) != value or value < 1:
            raise UserError(f"{name} = {value} must be a whole number of at least 1.")
    return InceptionCost(height, width, channels, filters, size, reduced)
