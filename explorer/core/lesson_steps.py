"""The lecture as an ordered walk through the live app: each step says which tab to show and what to set up.

A step names a Playground example from ``lessons`` (image, kernel and parameters together), or a model and panel
in the Model Explorer, or a tab with a calculator, or a picture the Lesson tab draws itself; its caption is our one- or two-sentence summary of what the
class should see. The numbers quoted in captions are computed here from core, and tests/core/test_lesson_steps.py
checks them against the lecture.
"""
from __future__ import annotations

from dataclasses import dataclass

from explorer.core import connectivity, inception_cost, lessons, pad_vs_dilation
from explorer.core.conv import output_size
from explorer.core.errors import UserError
from explorer.core.mnist import fc_weights


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    caption: str
    tab: str               # the tab the audience sees: playground, explorer, mnist, compare or lesson
    lesson: str = ""       # a lessons.LESSONS key: the Playground's image and settings
    model: str = ""        # a built-in for the Model Explorer
    panel: str = ""        # the explorer's panel (activations, filters, rf-growth)
    mnist_page: str = ""   # the MNIST tab's page (draw, compare, weights)
    compare_page: str = ""  # the Compare tab's page under the table (inception, shortcuts)
    picture: str = ""      # a PICTURES key: drawn in the Lesson tab itself


PICTURES = ("sparse", "pad-vs-dilation")


def dilated_span(f: int, d: int) -> int:
    """Input pixels one side of an f×f filter at dilation d covers: d·(f − 1) + 1, with no extra weights."""
    return d * (f - 1) + 1


def grown_receptive_field(rf: int, k: int, s: int) -> int:
    """RF₂ = RF₁ + (k − 1)·s: a k×k layer on top widens the field by k − 1 steps of the earlier stride s."""
    return rf + (k - 1) * s


def _fc_caption() -> str:
    gray, rgb = fc_weights(64, 64, 1, 500).weights, fc_weights(64, 64, 3, 500).weights
    return (f"Connect a 64×64 gray image to 500 units and every pixel meets every unit: {gray:,} weights. "
            f"In colour (64×64×3) it is {rgb:,} — and that is one layer.")


def _size_caption() -> str:
    same = output_size(5, 3, 1, 1)
    valid = output_size(4, 3)
    stride = output_size(5, 3, 2)
    return (f"Padding 1 keeps a 5×5 input at {same}×{same}; without padding a 4×4 input shrinks to {valid}×{valid}; "
            f"stride 2 on 5×5 gives {stride}×{stride}.")


def _dilation_caption() -> str:
    return (f"The same nine weights at rate 2 cover {dilated_span(3, 2)}×{dilated_span(3, 2)}, at rate 3 "
            f"{dilated_span(3, 3)}×{dilated_span(3, 3)}: a wider view for free.")


def _pad_vs_dilation_caption() -> str:
    padded, dilated = pad_vs_dilation.panels()
    sides = pad_vs_dilation.SIDE, pad_vs_dilation.out_side(padded.params), pad_vs_dilation.out_side(dilated.params)
    return (f"Padding 1 and dilation 2 both keep a {sides[0]}×{sides[0]} input at full size ({sides[1]}×{sides[1]} "
            f"and {sides[2]}×{sides[2]}), each with {padded.weights} weights; but one unit sees "
            f"{padded.span}×{padded.span} with padding and {dilated.span}×{dilated.span} with dilation. "
            f"Point at an output unit.")


def _sparse_caption() -> str:
    shown = connectivity.picture(width=3, same=True, focus="input", index=2)
    conv, dense = shown.conv, shown.dense
    return (f"A width-3 kernel joins x₃ to only {len(conv.reached(2))} outputs; a matrix product joins it to all "
            f"{len(dense.reached(2))}. The convolution reuses its {conv.weights} weights at every position, the "
            f"matrix needs {dense.outputs}×{dense.inputs} = {dense.weights}. Click an input, an output or a weight.")


def _rf_caption() -> str:
    return (f"Each layer sees a window of the layer below, so fields grow with depth: RF₂ = RF₁ + (k − 1)·s; "
            f"with k = 3 after a stride of 2: 3 + 2·2 = {grown_receptive_field(3, 3, 2)}.")


def _inception_caption() -> str:
    cost = inception_cost.inception_cost()
    return (f"A 5×5 branch on 28×28×192 costs {cost.direct:,} multiplications; a 1×1 squeeze to 16 channels first "
            f"brings it to {cost.bottleneck:,}, about a tenth. Edit the numbers below.")


def _example(key: str, title: str, lesson: str) -> Step:
    """A step showing one of the Playground's lecture examples, captioned by the example's own explanation."""
    return Step(key, title, lessons.lesson(lesson).explanation, "playground", lesson=lesson)


STEPS: tuple[Step, ...] = (
    _example("numbers-gray", "An image is numbers", "numbers-gray"),
    _example("numbers-rgb", "Colour: three numbers per pixel", "numbers-rgb"),
    Step("fc-explosion", "Why fully connected layers explode", _fc_caption(), "mnist", mnist_page="weights"),
    _example("step-by-step", "Convolution step by step", "step-by-step"),
    _example("edge", "A kernel that finds edges", "edge"),
    _example("filter-size", "Filter size, and why odd", "filter-size"),
    Step("padding", "Padding keeps the size", _size_caption(), "playground", lesson="padding"),
    _example("shrink", "Without padding the map shrinks", "shrink"),
    _example("stride", "Stride", "stride"),
    Step("dilation", "Dilation, rate 2", _dilation_caption(), "playground", lesson="dilation"),
    _example("dilation-3", "Dilation, rate 3", "dilation-3"),
    Step("pad-vs-dilation", "Padding against dilation", _pad_vs_dilation_caption(), "lesson",
         picture="pad-vs-dilation"),
    _example("max-pool", "Max pooling", "max-grid"),
    _example("avg-pool", "Average pooling", "avg-grid"),
    _example("photo-pool", "Pooling a photo", "pooling"),
    _example("volume", "Convolution on volume", "volume"),
    Step("sparse", "Sparse connectivity, shared weights", _sparse_caption(), "lesson", picture="sparse"),
    Step("rf-growth", "Receptive fields grow with depth", _rf_caption(), "explorer", model="vgg16",
         panel="rf-growth"),
    Step("lenet5", "LeNet-5 (1998)", "Convolution and pooling take turns, then fully connected layers read "
         "the digit: about 60 thousand weights.", "explorer", model="lenet5", panel="activations"),
    Step("alexnet", "AlexNet (2012)", "Large filters first, ReLU and dropout, trained on GPUs: about 60 million "
         "weights, most in the fully connected layers.", "explorer", model="alexnet", panel="activations"),
    Step("vgg16", "VGG-16 (2014)", "Only 3×3 filters, 16 weight layers; each stage halves the map and doubles "
         "the depth. 138 million weights.", "explorer", model="vgg16", panel="activations"),
    Step("googlenet", "GoogLeNet (2014)", "Nine Inception modules: 1×1, 3×3 and 5×5 side by side, each large "
         "filter behind a 1×1 squeeze.", "explorer", model="googlenet", panel="activations"),
    Step("inception-cost", "What the 1×1 squeeze saves", _inception_caption(), "compare", compare_page="inception"),
    Step("resnet", "ResNet-34 and its plain twin", "Shortcuts add each block's input to its output, so 34 layers "
         "still train; plain-34 has the same layers without them (the red arcs).", "compare",
         compare_page="shortcuts"),
    Step("densenet", "DenseNet-121", "Inside a block every layer reads the maps of all layers before it: features "
         "are reused, so few weights suffice.", "explorer", model="densenet121", panel="activations"),
    Step("compare", "Six architectures side by side", "Year, depth, weights, cost, receptive field, speed on "
         "this machine and published accuracy: click a column to sort.", "compare"),
    Step("mnist", "Case study: MNIST digits", "Draw a digit: the small CNN and the fully connected net both read "
         "it; shift it and watch which one copes.", "mnist", mnist_page="draw"),
)


def step(key: str) -> Step:
    for item in STEPS:
        if item.key == key:
            return item
    raise UserError(f"Unknown lesson step {key!r}; choose one of: {', '.join(item.key for item in STEPS)}.")


def clamp(index: int) -> int:
    return min(max(index, 0), len(STEPS) - 1)

