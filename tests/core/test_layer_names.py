"""Paper layer names by structure, on the structure-only zoo copies the onnx package ships (nodes named n0, n1…)
and on renamed copies of our own VGG-16 and ResNet-34 (the onnx package has no copy of those two). Not checked
against the real zoo files: they could not be downloaded here."""
from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from explorer.core import layer_names, zoo
from explorer.core.inspect import inspect_model

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def light(name: str) -> onnx.ModelProto:
    return onnx.load(str(LIGHT / f"light_{name}.onnx"))


def renamed_builtin(architecture: str) -> tuple[onnx.ModelProto, dict[str, str]]:
    """Our built-in's layout with its nodes renamed n0, n1…, and the true names."""
    model = zoo.BUILTINS[architecture].builder(None)
    truth = {}
    for i, node in enumerate(model.graph.node):
        truth[f"n{i}"] = node.name
        node.name = f"n{i}"
    return model, truth


@pytest.mark.parametrize("file, architecture, named, first, last", [
    ("bvlc_alexnet", "alexnet", 21, ("n0", "conv1"), ("n23", "prob")),   # the paper's two-GPU net: groups of 2
    ("inception_v1", "googlenet", 132, ("n0", "conv1/7x7_s2"), ("n143", "prob")),
    ("densenet121", "densenet121", 245, ("n0", "conv0"), ("n902", "norm5")),  # its classifier is a 1×1 conv
])
def test_light_zoo_copies_get_the_papers_names(file, architecture, named, first, last):
    names = layer_names.paper_names(light(file), architecture)
    assert len(names) == named
    assert names[first[0]] == first[1] and names[last[0]] == last[1]
    assert len(set(names.values())) == len(names)   # never two layers under one name
    # every weight layer is named, in order
    ours = [w.name for w in layer_names.weight_layers(zoo.BUILTINS[architecture].builder(None))]
    assert [names[w.name] for w in layer_names.weight_layers(light(file))] == ours


def test_alexnet_names_follow_into_the_layers_after_each_convolution():
    names = layer_names.paper_names(light("bvlc_alexnet"), "alexnet")
    assert [names[f"n{i}"] for i in (0, 1, 2, 3, 4)] == ["conv1", "conv1/relu", "norm1", "pool1", "conv2"]


@pytest.mark.parametrize("file, architecture", [("vgg19", "vgg16"), ("resnet50", "resnet34"),
                                                ("zfnet512", "alexnet"), ("squeezenet", "alexnet")])
def test_another_structure_gets_no_paper_names(file, architecture):
    assert layer_names.paper_names(light(file), architecture) == {}


@pytest.mark.parametrize("architecture, examples", [
    ("vgg16", {"conv1_1", "conv5_3", "fc8", "pool5"}),
    ("resnet34", {"conv1", "layer1.0.conv1", "layer4.2.conv2", "fc"}),
])
def test_renamed_vgg16_and_resnet34_get_their_names_back(architecture, examples):
    model, truth = renamed_builtin(architecture)
    names = layer_names.paper_names(model, architecture)
    assert all(truth[k] == v for k, v in names.items())          # nothing named wrongly
    assert examples <= set(names.values())
    weights = {w.name for w in layer_names.weight_layers(model)}
    assert weights <= set(names)


def test_rename_changes_layer_names_only():
    model, truth = renamed_builtin("vgg16")
    info = inspect_model(model)
    renamed = layer_names.rename(info, layer_names.paper_names(model, "vgg16"))
    assert [layer.output for layer in renamed.layers] == [layer.output for layer in info.layers]
    assert renamed.layers[0].name == "conv1_1" and info.layers[0].name == "n0"
