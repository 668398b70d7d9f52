"""Receptive-field algebra: the lecture's rule, published values, hand calculations, and brute force in onnxruntime."""
import math

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from explorer.core.receptive_field import RF, back_project, receptive_fields
from model_factory import Builder, chain


def sq(size: int, stride: int, padding: int, exact: bool = True) -> RF:
    return RF((size, size), (stride, stride), (padding, padding), exact=exact)


def test_lecture_rule_3x3_stride2_then_3x3_sees_7_pixels():
    # RF2 = RF1 + (k - 1) * s = 3 + 2 * 2 = 7
    model = chain((1, 1, 32, 32), [("conv", 3, 2, 0, 1), ("conv", 3, 1, 0, 1)])
    rfs = receptive_fields(model)
    names = [n.output[0] for n in model.graph.node]
    assert rfs[names[0]] == sq(3, 2, 0)
    assert rfs[names[1]] == sq(7, 2, 0)
    assert rfs["input"] == sq(1, 1, 0)


def test_dilation_grows_the_field_without_parameters():
    model = chain((1, 1, 32, 32), [("conv", 3, 1, 2, 2)])
    # 5/1/2 bounds every unit, but unit 1 reads pixels -1, 1, 3: its box is rows 1..3, not the clipped 0..3
    assert receptive_fields(model)[model.graph.node[0].output[0]] == sq(5, 1, 2, exact=False)


def _vgg16_features(b: Builder) -> dict[str, str]:
    """VGG-16 convolutional part with 1 channel (channels do not change the receptive field)."""
    x, names = b.input, {}
    for block, convs in enumerate([2, 2, 3, 3, 3], start=1):
        for i in range(1, convs + 1):
            x = names[f"conv{block}_{i}"] = b.conv(x, 1, k=3, p=1, name=f"conv{block}_{i}")
            x = b.relu(x)
        x = names[f"pool{block}"] = b.pool(x, k=2, s=2, name=f"pool{block}")
    return names


def test_vgg16_published_receptive_fields():
    b = Builder((1, 1, 224, 224))
    names = _vgg16_features(b)
    rfs = receptive_fields(b.build(b.gap_fc(names["pool5"], 10)))
    # Araujo et al. 2019, table 1: VGG-16 conv5_3 196, pool5 212 with stride 32 and padding 90.
    assert rfs["conv5_3"].size == (196, 196) and rfs["conv5_3"].stride == (16, 16)
    assert rfs["pool5"] == sq(212, 32, 90)
    assert rfs["conv1_1"] == sq(3, 1, 1) and rfs["pool1"] == sq(6, 2, 2)
    assert rfs["fc"] is None and rfs["fc_gap"] is None


def test_vgg16_zoo_model_matches_published_values():
    zoo = pytest.importorskip("explorer.core.zoo")
    model = zoo.build("vgg16")
    rfs = receptive_fields(model)
    by_layer = {n.name: rfs.get(n.output[0]) for n in model.graph.node}
    assert by_layer["pool5"] == sq(212, 32, 90)
    assert by_layer["conv5_3"] == sq(196, 16, 90)


def test_alexnet_hand_calculation():
    b = Builder((1, 3, 227, 227))
    conv1 = b.conv(b.input, 1, k=11, s=4, p=2, name="conv1")
    pool1 = b.pool(b.relu(conv1), k=3, s=2, name="pool1")
    conv2 = b.conv(pool1, 1, k=5, p=2, name="conv2")
    pool2 = b.pool(b.relu(conv2), k=3, s=2, name="pool2")
    conv3 = b.conv(pool2, 1, k=3, p=1, name="conv3")
    conv4 = b.conv(conv3, 1, k=3, p=1, name="conv4")
    conv5 = b.conv(conv4, 1, k=3, p=1, name="conv5")
    pool5 = b.pool(conv5, k=3, s=2, name="pool5")
    rfs = receptive_fields(b.build(pool5))
    # conv1: 11, stride 4, padding 2
    assert rfs[conv1] == sq(11, 4, 2)
    # pool1 k3 s2: 11 + 2*4 = 19, stride 8, padding 2 + 0
    assert rfs[pool1] == sq(19, 8, 2)
    # conv2 k5 p2: 19 + 4*8 = 51, padding 2 + 2*8 = 18. Not exact at the border: pool1 (27 units) never reads
    # conv1's last column (unit 55, pixels 218..226), so conv2's last unit sees up to pixel 224, not 226.
    assert rfs[conv2] == sq(51, 8, 18, exact=False)
    # pool2: 51 + 2*8 = 67, stride 16; conv3-5 each +2*16 in size and +1*16 in padding
    assert rfs[pool2] == sq(67, 16, 18, exact=False)
    assert rfs[conv5] == sq(67 + 3 * 32, 16, 18 + 3 * 16, exact=False)
    # pool5: 163 + 2*16 = 195, stride 32
    assert rfs[pool5] == sq(195, 32, 66, exact=False)


def test_alexnet_zoo_model():
    zoo = pytest.importorskip("explorer.core.zoo")
    model = zoo.build("alexnet")
    rfs = receptive_fields(model)
    by_layer = {n.name: rfs.get(n.output[0]) for n in model.graph.node}
    assert by_layer["conv1"].size == (11, 11) and by_layer["conv1"].stride == (4, 4)
    assert by_layer["pool1"].size == (19, 19) and by_layer["pool1"].stride == (8, 8)
    assert by_layer["conv2"].size == (51, 51)
    assert by_layer["pool5"].size == (195, 195) and by_layer["pool5"].stride == (32, 32)


def _resnet_stem_and_two_blocks() -> tuple[onnx.ModelProto, dict[str, str]]:
    b = Builder((1, 3, 64, 64))
    n = {}
    n["conv1"] = b.relu(b.conv(b.input, 4, k=7, s=2, p=3, name="conv1"))
    n["maxpool"] = b.pool(n["conv1"], k=3, s=2, p=1, name="maxpool")
    a = b.relu(b.conv(n["maxpool"], 4, k=3, p=1, name="layer1.0.conv1"))
    a = b.conv(a, 4, k=3, p=1, name="layer1.0.conv2")
    n["layer1.0"] = b.relu(b.op("Add", [a, n["maxpool"]], name="layer1.0.add"))
    a = b.relu(b.conv(n["layer1.0"], 8, k=3, s=2, p=1, name="layer2.0.conv1"))
    a = b.conv(a, 8, k=3, p=1, name="layer2.0.conv2")
    short = b.conv(n["layer1.0"], 8, k=1, s=2, name="layer2.0.downsample")
    n["layer2.0"] = b.op("Add", [a, short], name="layer2.0.add")
    n["fc"] = b.gap_fc(n["layer2.0"], 10)
    return b.build(n["fc"]), n


def test_resnet_blocks_hand_calculation():
    model, n = _resnet_stem_and_two_blocks()
    rfs = receptive_fields(model)
    assert rfs[n["conv1"]] == sq(7, 2, 3)
    # maxpool 3/2 p1: 7 + 2*2 = 11, stride 4, padding 3 + 1*2 = 5
    assert rfs[n["maxpool"]] == sq(11, 4, 5)
    # two 3x3 convs: 11 + 2*4 + 2*4 = 27, padding 5 + 4 + 4 = 13; identity (11/4/5) lies inside
    assert rfs["layer1.0.conv2"] == sq(27, 4, 13)
    assert rfs[n["layer1.0"]] == sq(27, 4, 13)
    # layer2.0: 3x3 s2 -> 35/8/17, 3x3 -> 51/8/25; 1x1 s2 shortcut -> 27/8/13; union: padding 25,
    # size max(25-25+51, 25-13+27) = 51
    assert rfs["layer2.0.downsample"] == sq(27, 8, 13)
    assert rfs[n["layer2.0"]] == sq(51, 8, 25)
    assert rfs[n["fc"]] is None


def test_resnet34_zoo_model():
    zoo = pytest.importorskip("explorer.core.zoo")
    model = zoo.build("resnet34")
    rfs = receptive_fields(model)
    by_layer = {n.name: rfs.get(n.output[0]) for n in model.graph.node}
    assert by_layer["conv1"] == sq(7, 2, 3)
    assert by_layer["maxpool"] == sq(11, 4, 5)
    # every residual block adds two 3x3 convs; the last spatial tensor has stride 32
    spatial = [r for r in by_layer.values() if r is not None]
    assert spatial[-1].stride == (32, 32)


def test_densenet_concat_hand_calculation():
    b = Builder((1, 3, 64, 64))
    x0 = b.pool(b.relu(b.conv(b.input, 8, k=7, s=2, p=3, name="conv0")), k=3, s=2, p=1, name="pool0")
    feats = [x0]
    for i in (1, 2):
        h = b.concat(feats, name=f"dense{i}_in") if len(feats) > 1 else feats[0]
        h = b.conv(b.relu(b.op("BatchNormalization", [h] + [b.weight(f"bn{i}_{k}", [b.channels[h]], 1.0)
                                                            for k in "sbmv"], name=f"dense{i}_bn")),
                   8, k=1, name=f"dense{i}_1x1")
        feats.append(b.conv(b.relu(h), 4, k=3, p=1, name=f"dense{i}_3x3"))
    block = b.concat(feats, name="block1")
    trans = b.pool(b.conv(block, 8, k=1, name="trans1_conv"), "AveragePool", k=2, s=2, name="trans1_pool")
    rfs = receptive_fields(b.build(trans))
    # conv0 7/2/3, pool0 3/2/1 -> 11/4/5
    assert rfs[x0] == sq(11, 4, 5)
    # dense1: 1x1 keeps 11/4/5; 3x3 -> 19/4/9
    assert rfs["dense1_3x3"] == sq(19, 4, 9)
    # dense2 input = concat(x0, dense1) = union: padding 9, size max(9-5+11, 19) = 19
    assert rfs["dense2_in"] == sq(19, 4, 9)
    assert rfs["dense2_3x3"] == sq(27, 4, 13)
    # block: union of 11/4/5, 19/4/9, 27/4/13 -> padding 13, sizes 19, 23, 27 -> 27
    assert rfs[block] == sq(27, 4, 13)
    # transition avgpool 2/2: 27 + 1*4 = 31, stride 8
    assert rfs[trans] == sq(31, 8, 13)


def test_densenet121_zoo_model():
    zoo = pytest.importorskip("explorer.core.zoo")
    model = zoo.build("densenet121")
    rfs = receptive_fields(model)
    first_conv = next(n for n in model.graph.node if n.op_type == "Conv")
    assert rfs[first_conv.output[0]] == sq(7, 2, 3)
    concats = [rfs[n.output[0]] for n in model.graph.node if n.op_type == "Concat"]
    assert concats and all(r is not None for r in concats)


def test_union_of_regions_that_do_not_contain_each_other():
    # one branch sees [y, y+2], the other [y-2, y]: the union is [y-2, y+2]
    b = Builder((1, 1, 16, 16))
    right = b.conv(b.input, 1, k=3, p=[0, 0, 2, 2], name="right")
    left = b.conv(b.input, 1, k=3, p=[2, 2, 0, 0], name="left")
    rfs = receptive_fields(b.build(b.op("Add", [right, left], name="add")))
    assert rfs["right"] == sq(3, 1, 0) and rfs["left"] == sq(3, 1, 2)
    assert rfs["add"] == sq(5, 1, 2)


def test_toy_inception_concat():
    b = Builder((1, 3, 32, 32))
    a = b.conv(b.input, 2, k=1, name="1x1")
    c = b.conv(b.conv(b.input, 2, k=1, name="3x3_reduce"), 2, k=3, p=1, name="3x3")
    d = b.conv(b.conv(b.input, 2, k=1, name="5x5_reduce"), 2, k=5, p=2, name="5x5")
    e = b.conv(b.pool(b.input, k=3, s=1, p=1, name="pool"), 2, k=1, name="pool_proj")
    rfs = receptive_fields(b.build(b.concat([a, c, d, e], name="output")))
    assert rfs["output"] == sq(5, 1, 2)
    assert rfs["pool_proj"] == sq(3, 1, 1)


def test_mixed_strides_are_flagged():
    b = Builder((1, 1, 32, 32))
    s2 = b.conv(b.input, 1, k=2, s=2, name="strided")  # 16x16, stride 2
    s1 = b.conv(b.input, 1, k=17, name="wide")  # 16x16, stride 1
    rf = receptive_fields(b.build(b.op("Add", [s2, s1], name="add")))["add"]
    assert rf.mixed_strides and rf.stride == (2, 2)


@pytest.mark.parametrize("mode,n,k,s,begin", [
    ("SAME_UPPER", 8, 2, 1, 0), ("SAME_LOWER", 8, 2, 1, 1),
    ("SAME_UPPER", 9, 4, 2, 1), ("SAME_LOWER", 9, 4, 2, 2),  # total = (5-1)*2 + 4 - 9 = 3
    ("SAME_UPPER", 10, 3, 2, 0), ("SAME_UPPER", 9, 3, 2, 1),  # total 1 -> begin 0; total 2 -> begin 1
])
def test_auto_pad_same(mode, n, k, s, begin):
    b = Builder((1, 1, n, n))
    model = b.build(b.conv(b.input, 1, k=k, s=s, auto_pad=mode, name="c"))
    assert receptive_fields(model)["c"] == sq(k, s, begin)
    _check_by_brute_force(model, "c", tight=True)


def test_ceil_mode_keeps_begin_padding():
    b = Builder((1, 1, 15, 15))
    rfs = receptive_fields(b.build(b.pool(b.input, k=3, s=2, p=1, ceil_mode=1, name="p")))
    assert rfs["p"] == sq(3, 2, 1)


def test_elementwise_softmax_transpose_and_pad():
    b = Builder((1, 16, 16, 3), opset=17)
    nchw = b.op("Transpose", [b.input], name="to_nchw", channels=3, perm=[0, 3, 1, 2])
    pads = b.input + "_pads"
    b.inits.append(numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), pads))
    padded = b.op("Pad", [nchw, pads], name="pad")
    conv = b.conv(padded, 4, k=3, name="conv")
    chan_softmax = b.op("Softmax", [b.op("LRN", [b.relu(conv)], size=3)], name="softmax_c", axis=1)
    row_softmax = b.op("Softmax", [conv], name="softmax_w", axis=-1)
    reshaped = b.op("Flatten", [chan_softmax], name="flatten")
    rfs = receptive_fields(b.build(chan_softmax, row_softmax, reshaped))
    assert rfs["to_nchw"] == sq(1, 1, 0)
    assert rfs["pad"] == sq(1, 1, 1)
    assert rfs["conv"] == sq(3, 1, 1)
    assert rfs["softmax_c"] == sq(3, 1, 1)
    # softmax over the last axis (W) of NCHW: 3 rows, every column (31/1/15 clipped to 16 columns)
    assert rfs["softmax_w"] == RF((3, 31), (1, 1), (1, 15)) and rfs["flatten"] is None


def test_unknown_op_same_shape_is_element_wise_else_whole_input():
    b = Builder((1, 1, 16, 16))
    conv = b.conv(b.input, 1, k=3, p=1, name="conv")
    same = b.op("FancyBlur", [conv], name="blur", domain="com.example")
    grow = b.op("FancyZoom", [same], name="zoom", domain="com.example")
    notes: list[str] = []
    shapes = {"conv": (1, 1, 16, 16), "blur": (1, 1, 16, 16), "zoom": (1, 1, 32, 32)}
    rfs = receptive_fields(b.build(grow), shapes=shapes, notes=notes)
    assert rfs["blur"] == sq(3, 1, 1) and any("FancyBlur" in n and "element-wise" in n for n in notes)
    assert rfs["zoom"] is None and any("FancyZoom" in n for n in notes)


def test_back_project_box_clip_and_padding():
    rf = sq(3, 2, 1)
    corner = back_project(rf, 0, 0, (8, 8))
    assert corner.box == (-1, -1, 1, 1) and corner.clipped == (0, 0, 1, 1) and corner.in_padding
    inner = back_project(rf, 2, 3, (8, 8))
    assert inner.box == (3, 5, 5, 7) and inner.clipped == inner.box and not inner.in_padding
    outside = back_project(sq(3, 1, 10), 0, 0, (8, 8))
    assert outside.clipped is None and outside.in_padding
    tall = back_project(RF((5, 3), (4, 2), (2, 1)), 1, 1, (10, 10))
    assert tall.box == (2, 1, 6, 3)


# --- brute force: perturb pixels in onnxruntime, see which output units change ------------------------------

def _influence(model: onnx.ModelProto, output: str) -> tuple[np.ndarray, tuple[int, int]]:
    """(H*W, Ho, Wo) bool: does input pixel i change output unit (y, x)?"""
    n, c, h, w = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    batch = 1 + h * w
    model = onnx.ModelProto.FromString(model.SerializeToString())
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = batch
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None))
    rng = np.random.default_rng(1)
    base = rng.uniform(0.5, 1.5, size=(1, c, h, w)).astype(np.float32)
    x = np.repeat(base, batch, axis=0)
    for i in range(h * w):
        x[1 + i, :, i // w, i % w] += 10.0
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = session.run([output], {model.graph.input[0].name: x})[0][:, 0]
    return np.abs(out[1:] - out[:1]) > 1e-4 * (1 + np.abs(out[:1])), (h, w)


def _check_by_brute_force(model: onnx.ModelProto, output: str, tight: bool) -> None:
    rf = receptive_fields(model)[output]
    changed, (h, w) = _influence(model, output)
    _, ho, wo = changed.shape
    for y in range(ho):
        for x in range(wo):
            pixels = np.flatnonzero(changed[:, y, x])
            region = back_project(rf, y, x, (h, w))
            if pixels.size == 0:
                assert region.clipped is None or not tight
                continue
            rows, cols = pixels // w, pixels % w
            top, left, bottom, right = region.clipped
            assert top <= rows.min() and rows.max() <= bottom and left <= cols.min() and cols.max() <= right
            if tight and not region.in_padding:  # dense positive kernels reach both ends of the box
                assert (rows.min(), cols.min(), rows.max(), cols.max()) == region.box


def _random_chain(seed: int, allow_max: bool) -> list[tuple]:
    rng = np.random.default_rng(seed)
    n, layers = 28, []
    for _ in range(rng.integers(2, 5)):
        kind = rng.choice(["conv", "conv", "avgpool"] + (["maxpool"] if allow_max else []))
        k = int(rng.choice([1, 2, 3, 5]))
        s = int(rng.choice([1, 1, 2, 3]))
        if kind == "conv":
            d = int(rng.choice([1, 2]))
            p = int(rng.integers(0, d * (k - 1) + 1))
            spec, k_eff = ("conv", k, s, p, d), d * (k - 1) + 1
        else:
            p = int(rng.integers(0, k // 2 + 1))
            spec, k_eff = (str(kind), k, s, p), k
        out = math.floor((n + 2 * p - k_eff) / s) + 1
        if out < 2:
            break
        layers.append(spec)
        n = out
    return layers or [("conv", 3, 1, 0, 1)]


@pytest.mark.parametrize("seed", range(10))
def test_brute_force_linear_chains_are_tight(seed):
    layers = _random_chain(seed, allow_max=False)
    model = chain((1, 1, 28, 28), layers, positive=True, seed=seed)
    _check_by_brute_force(model, model.graph.node[-1].output[0], tight=True)


@pytest.mark.parametrize("seed", range(10, 16))
def test_brute_force_with_max_pooling_stays_inside(seed):
    layers = _random_chain(seed, allow_max=True)
    model = chain((1, 1, 28, 28), layers, positive=True, seed=seed)
    _check_by_brute_force(model, model.graph.node[-1].output[0], tight=False)


def test_brute_force_branches_union_is_tight():
    b = Builder((1, 1, 20, 20), positive=True)
    right = b.conv(b.input, 1, k=3, p=[0, 0, 2, 2], bias=False)
    left = b.conv(b.conv(b.input, 1, k=3, p=1, bias=False), 1, k=3, p=[2, 2, 0, 0], bias=False)
    model = b.build(b.op("Add", [right, left], name="add"))
    # right sees [y, y+2], left [y-3, y+1]: the union [y-3, y+2] is 6 wide with padding 3
    assert receptive_fields(model)["add"] == sq(6, 1, 3)
    _check_by_brute_force(model, "add", tight=True)
