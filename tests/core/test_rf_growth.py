"""The receptive-field growth curve follows the main path: never falls, and equals the lecture's formula
RF₂ = RF₁ + (k − 1)·s worked by hand for VGG-16 and ResNet-34, with the exact unit boxes as the oracle."""
import pytest

from explorer.core import zoo
from explorer.core.builtin_structure import inspect_builtin
from explorer.core.errors import UserError
from explorer.core.inspect import unit_box
from explorer.core.lesson_steps import grown_receptive_field
from explorer.core.rf_growth import DEPTH_OPS, main_path, plotted_layers, rf_curve


@pytest.fixture(scope="module")
def infos():
    return {key: inspect_builtin(key) for key in zoo.BUILTINS}


def by_hand(layers: list[tuple[int, int]]) -> list[int]:
    """The lecture's rule, layer by layer: the field grows by (k − 1) steps of the stride accumulated so far."""
    rf, jump, out = 1, 1, []
    for k, s in layers:
        rf = grown_receptive_field(rf, k, jump)
        jump *= s
        out.append(rf)
    return out


@pytest.mark.parametrize("key", list(zoo.BUILTINS))
def test_the_curve_never_falls(infos, key):
    depth, sizes = rf_curve(infos[key])
    assert depth == list(range(1, len(sizes) + 1)) and len(sizes) >= 5
    assert all(a <= b for a, b in zip(sizes, sizes[1:])), sizes


def test_vgg16_equals_the_hand_calculation(infos):
    conv, pool = (3, 1), (2, 2)
    stages = [conv] * 2 + [pool] + [conv] * 2 + [pool] + ([conv] * 3 + [pool]) * 3
    expected = [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212]
    assert by_hand(stages) == expected
    info = infos["vgg16"]
    assert rf_curve(info)[1] == expected
    names = [f"conv{s}_{i}" for s, n in enumerate((2, 2, 3, 3, 3), 1) for i in range(1, n + 1)]
    for s in range(5, 0, -1):
        names.insert(names.index(f"conv{s}_1") + (2 if s <= 2 else 3), f"pool{s}")
    assert [layer.name for layer in plotted_layers(info)] == names


def test_resnet34_follows_its_convolutions_not_the_projections(infos):
    info = infos["resnet34"]
    layers = plotted_layers(info)
    names = [layer.name for layer in layers]
    # conv1 7×7/2, maxpool 3/2, then 16 blocks of two 3×3 convs; the first conv of layer2..4 has stride 2.
    stages = [(7, 2), (3, 2)]
    for blocks, first_stride in ((3, 1), (4, 2), (6, 2), (3, 2)):
        stages += [(3, first_stride), (3, 1)] + [(3, 1)] * (2 * blocks - 2)
    hand = by_hand(stages)
    assert len(names) == 34 and not any("downsample" in n for n in names)
    sizes = rf_curve(info)[1]
    assert sizes == hand
    point = dict(zip(names, sizes))
    assert (point["conv1"], point["maxpool"], point["layer1.0.conv1"], point["layer1.2.conv2"]) == (7, 11, 19, 59)
    assert (point["layer2.0.conv1"], point["layer3.0.conv1"], point["layer4.2.conv2"]) == (67, 195, 899)
    # The plain twin has no shortcut to wander into: its graph-order conv/pool list is an independent oracle.
    plain = [layer.rf.size[0] for layer in infos["plain34"].layers if layer.op in DEPTH_OPS and layer.rf]
    assert plain == sizes


def test_graph_order_used_to_dip_at_the_side_branches(infos):
    """What the old plot drew: every conv/pool in graph order. The 1×1 projections and Inception's narrow
    branches fall below the layer before them; the main path leaves them out."""
    for key in ("resnet34", "googlenet"):
        old = [layer.rf.size[0] for layer in infos[key].layers if layer.op in DEPTH_OPS and layer.rf]
        assert any(a > b for a, b in zip(old, old[1:]))
    googlenet = [layer.name for layer in plotted_layers(infos["googlenet"])]
    modules = ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]
    # In each module the 5×5 branch sees the most (5×5 after its 1×1 squeeze beats 3×3 and 3×3 pool + 1×1).
    assert [n for n in googlenet if n.startswith("inception_")] == \
        [f"inception_{m}/{part}" for m in modules for part in ("5x5_reduce", "5x5")]


def test_the_exact_unit_boxes_agree(infos):
    """rf_boxes' interval propagation: a unit whose field lies inside the image sees exactly that many rows."""
    for key in ("vgg16", "resnet34", "densenet121", "googlenet"):
        info = infos[key]
        height = info.input_shape[2]
        checked = 0
        for layer, size in zip(plotted_layers(info), rf_curve(info)[1]):
            if size < height // 2:  # a central unit's field is then inside the image: nothing clipped
                y = layer.shape[2] // 2
                top, _, bottom, _ = unit_box(info, layer.name, y, y)
                assert bottom - top + 1 == size, (key, layer.name)
                checked += 1
        assert checked >= 3


def test_main_path_ends_at_the_output_and_a_bad_key_is_one_line(infos):
    path = main_path(infos["densenet121"])
    assert path[-1].name == "prob" and path[0].name == "conv0"
    assert sum(layer.op == "Conv" for layer in path) == 1 + 2 * (6 + 12 + 24 + 16) + 3   # every dense layer's two
    with pytest.raises(UserError, match="choose one of"):
        inspect_builtin("resnet35")
