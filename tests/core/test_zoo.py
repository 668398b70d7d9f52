"""The built-in model zoo: exact parameter counts, paper shapes and names, onnxruntime runs, the on-disk cache."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from explorer.core import paths, zoo
from explorer.core.errors import UserError

EXPECTED_PARAMS = {
    "lenet5": 61_706, "alexnet": 62_378_344, "vgg16": 138_357_544, "googlenet": None,  # googlenet: from Table 1
    "resnet34": 21_797_672, "plain34": 21_623_848, "densenet121": 7_978_856,
}

# GoogLeNet, Szegedy et al. 2014, Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj
TABLE1 = [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64), (192, 96, 208, 16, 48, 64),
          (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64), (112, 144, 288, 32, 64, 64),
          (256, 160, 320, 32, 128, 128), (256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)]


def googlenet_params_from_table1() -> int:
    def conv(k: int, cin: int, cout: int) -> int:
        return k * k * cin * cout + cout

    total = conv(7, 3, 64) + conv(1, 64, 64) + conv(3, 64, 192)  # conv1, conv2 reduce, conv2
    cin = 192
    for n1, n3r, n3, n5r, n5, proj in TABLE1:
        total += conv(1, cin, n1) + conv(1, cin, n3r) + conv(3, n3r, n3) + conv(1, cin, n5r) + conv(5, n5r, n5)
        total += conv(1, cin, proj)
        cin = n1 + n3 + n5 + proj
    assert cin == 1024
    return total + 1024 * 1000 + 1000


EXPECTED_PARAMS["googlenet"] = googlenet_params_from_table1()

# Spatial sizes the papers state (tensor name -> NCHW or NC shape).
PAPER_SHAPES = {
    "lenet5": {"c1": (1, 6, 28, 28), "s2": (1, 6, 14, 14), "c3": (1, 16, 10, 10), "s4": (1, 16, 5, 5),
               "c5": (1, 120, 1, 1), "f6": (1, 84), "output": (1, 10), "prob": (1, 10)},
    "alexnet": {"conv1": (1, 96, 55, 55), "pool1": (1, 96, 27, 27), "conv2": (1, 256, 27, 27),
                "pool2": (1, 256, 13, 13), "conv3": (1, 384, 13, 13), "conv5": (1, 256, 13, 13),
                "pool5": (1, 256, 6, 6), "fc6": (1, 4096), "fc8": (1, 1000)},
    "vgg16": {"conv1_2": (1, 64, 224, 224), "pool1": (1, 64, 112, 112), "pool2": (1, 128, 56, 56),
              "pool3": (1, 256, 28, 28), "pool4": (1, 512, 14, 14), "pool5": (1, 512, 7, 7), "fc6": (1, 4096)},
    "googlenet": {"conv1/7x7_s2": (1, 64, 112, 112), "pool1/3x3_s2": (1, 64, 56, 56),
                  "conv2/3x3": (1, 192, 56, 56), "pool2/3x3_s2": (1, 192, 28, 28),
                  "inception_3a/output": (1, 256, 28, 28), "inception_3b/output": (1, 480, 28, 28),
                  "pool3/3x3_s2": (1, 480, 14, 14), "inception_4a/output": (1, 512, 14, 14),
                  "inception_4e/output": (1, 832, 14, 14), "pool4/3x3_s2": (1, 832, 7, 7),
                  "inception_5b/output": (1, 1024, 7, 7), "pool5/7x7_s1": (1, 1024, 1, 1)},
    "resnet34": {"conv1": (1, 64, 112, 112), "maxpool": (1, 64, 56, 56), "layer1.2.relu2": (1, 64, 56, 56),
                 "layer2.3.relu2": (1, 128, 28, 28), "layer3.5.relu2": (1, 256, 14, 14),
                 "layer4.2.relu2": (1, 512, 7, 7), "fc": (1, 1000)},
    "plain34": {"layer4.2.relu2": (1, 512, 7, 7), "fc": (1, 1000)},
    "densenet121": {"pool0": (1, 64, 56, 56), "denseblock1/denselayer6/concat": (1, 256, 56, 56),
                    "transition1/pool": (1, 128, 28, 28), "denseblock2/denselayer12/concat": (1, 512, 28, 28),
                    "transition2/pool": (1, 256, 14, 14), "denseblock3/denselayer24/concat": (1, 1024, 14, 14),
                    "transition3/pool": (1, 512, 7, 7), "denseblock4/denselayer16/concat": (1, 1024, 7, 7),
                    "classifier": (1, 1000)},
}

NAMES = {
    "lenet5": ["c1", "c1/tanh", "s2", "c3", "s4", "c5", "f6", "output", "prob"],
    "alexnet": ["conv1", "conv1/relu", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5",
                "pool5", "fc6", "fc7", "fc8", "prob"],
    "vgg16": [f"conv{s}_{i}" for s, n in enumerate((2, 2, 3, 3, 3), 1) for i in range(1, n + 1)]
    + [f"pool{s}" for s in range(1, 6)] + ["fc6", "fc7", "fc8", "prob"],
    "googlenet": ["conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3", "conv2/norm2",
                  "pool2/3x3_s2", "pool3/3x3_s2", "pool4/3x3_s2", "pool5/7x7_s1", "loss3/classifier", "prob"]
    + [f"inception_{m}/{b}" for m in ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")
       for b in ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj", "output")],
    "resnet34": ["conv1", "bn1", "relu", "maxpool", "layer1.0.conv1", "layer1.0.bn1", "layer1.0.add",
                 "layer2.0.conv1", "layer2.0.downsample.0", "layer2.0.downsample.1", "layer3.0.downsample.0",
                 "layer4.0.downsample.0", "layer4.2.conv2", "avgpool", "fc", "prob"],
    "plain34": ["conv1", "bn1", "layer1.0.conv1", "layer4.2.bn2", "avgpool", "fc", "prob"],
    "densenet121": ["conv0", "norm0", "relu0", "pool0", "denseblock1/denselayer1/norm1",
                    "denseblock1/denselayer1/conv1", "denseblock1/denselayer1/conv2", "transition1/conv",
                    "transition1/pool", "transition3/conv", "denseblock4/denselayer16/conv2", "norm5",
                    "classifier", "prob"],
}

LENET_SHAPES = {"c1.weight": (6, 1, 5, 5), "c1.bias": (6,), "c3.weight": (16, 6, 5, 5), "c3.bias": (16,),
                "c5.weight": (120, 16, 5, 5), "c5.bias": (120,), "f6.weight": (84, 120), "f6.bias": (84,),
                "output.weight": (10, 84), "output.bias": (10,)}


SHIPPED_LENET_WEIGHTS = zoo._bundled_weights


def random_lenet_when_absent(entry: zoo.ZooEntry, arrays: bool = True) -> tuple[dict[str, np.ndarray] | None, str]:
    """Builder and cache tests run LeNet-5 without a weights file, randomly initialised like every other built-in;
    the app itself refuses to (test_missing_lenet_weights_are_a_user_error)."""
    absent = entry.bundled and not (paths.onnx_models_dir() / entry.bundled).is_file()
    return (None, zoo.random_weights_label()) if absent else SHIPPED_LENET_WEIGHTS(entry, arrays)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, onnx.ModelProto]]:
    """Every built-in, built once (no bundled LeNet weights, so results do not depend on the checkout)."""
    with pytest.MonkeyPatch.context() as mp:
        empty = tmp_path_factory.mktemp("no_weights")
        mp.setattr(paths, "onnx_models_dir", lambda: empty)
        mp.setattr(zoo, "_bundled_weights", random_lenet_when_absent)
        yield {name: zoo.build(name) for name in zoo.BUILTINS}


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write the user's cache; no bundled weights unless a test puts them there."""
    (tmp_path / "onnx_models").mkdir()
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(paths, "onnx_models_dir", lambda: tmp_path / "onnx_models")
    monkeypatch.setattr(zoo, "_bundled_weights", random_lenet_when_absent)
    return tmp_path


def count_params(model: onnx.ModelProto) -> int:
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer
               if not t.name.endswith((".running_mean", ".running_var")))


def declared_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    infos = list(model.graph.value_info) + list(model.graph.output)
    return {v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim) for v in infos}


def props(model: onnx.ModelProto) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def run(model: onnx.ModelProto) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    shape = session.get_inputs()[0].shape
    x = np.random.default_rng(1).random(shape, dtype=np.float32)
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def test_builtins_table_lists_all_seven_with_their_counts():
    assert list(zoo.BUILTINS) == list(EXPECTED_PARAMS)
    for name, entry in zoo.BUILTINS.items():
        assert entry.name == name and entry.title and entry.paper
        assert entry.params == EXPECTED_PARAMS[name]
    assert zoo.BUILTINS["lenet5"].input_shape == (1, 1, 32, 32)
    assert zoo.BUILTINS["alexnet"].input_shape == (1, 3, 227, 227)
    assert zoo.BUILTINS["vgg16"].weights == "random initialisation (He-normal, seed 0)"


def test_googlenet_count_from_table1():
    assert EXPECTED_PARAMS["googlenet"] == 6_998_552


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_exact_parameter_count(models, name):
    assert count_params(models[name]) == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_valid_onnx_with_pinned_ir_and_opset(models, name):
    model = models[name]
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert model.ByteSize() < 2**31  # protobuf's limit: no external data needed
    if name != "vgg16":  # checking copies 553 MB twice (slow); materialize checks VGG-16 before writing it
        onnx.checker.check_model(model, full_check=True)


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_node_names_equal_output_names_and_paper_names_present(models, name):
    nodes = models[name].graph.node
    assert all(len(n.output) == 1 and n.output[0] == n.name for n in nodes)
    names = [n.name for n in nodes]
    assert len(names) == len(set(names))
    assert not set(NAMES[name]) - set(names)
    assert models[name].graph.output[0].name == "prob" and nodes[-1].op_type == "Softmax"


def test_resnet_and_plain_differ_only_by_shortcuts(models):
    ops = lambda m: [n.op_type for n in m.graph.node]  # noqa: E731
    assert ops(models["resnet34"]).count("Add") == 16 and "Add" not in ops(models["plain34"])
    assert not any("downsample" in n.name for n in models["plain34"].graph.node)
    convs = [n for n in models["resnet34"].graph.node if n.op_type == "Conv"]
    assert len(convs) == 33 + 3 and all(len(n.input) == 2 for n in convs)  # 33 weighted convs + 3 projections


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_paper_spatial_sizes(models, name):
    shapes = declared_shapes(models[name])
    for tensor, shape in PAPER_SHAPES[name].items():
        assert shapes[tensor] == shape, tensor


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "googlenet", "resnet34", "densenet121"])
def test_declared_shapes_agree_with_onnx_shape_inference(models, name):
    model = onnx.ModelProto()
    model.CopyFrom(models[name])
    declared = declared_shapes(model)
    del model.graph.value_info[:]
    inferred = declared_shapes(onnx.shape_inference.infer_shapes(model, strict_mode=True))
    assert inferred == declared


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_runs_in_onnxruntime(models, name):
    out = run(models[name])
    assert out.shape == ((1, 10) if name == "lenet5" else (1, 1000))
    assert np.isfinite(out).all() and out.sum() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("name", list(EXPECTED_PARAMS))
def test_metadata(models, name):
    meta = props(models[name])
    pre = json.loads(meta["cnn_explorer.preprocess"])
    assert set(pre) == {"size", "resize", "scale", "mean", "std", "channel_order", "grayscale", "layout"}
    assert pre["size"] == list(zoo.BUILTINS[name].input_shape[2:]) and pre["layout"] == "NCHW"
    assert pre["scale"] == pytest.approx(1 / 255) and pre["channel_order"] == "RGB"
    assert meta["cnn_explorer.builder_version"] == str(zoo.BUILDER_VERSION)
    assert meta["cnn_explorer.title"] == zoo.BUILTINS[name].title
    assert meta["cnn_explorer.paper"] == zoo.BUILTINS[name].paper
    assert meta["cnn_explorer.weights"] == "random initialisation (He-normal, seed 0)"
    if name == "lenet5":
        assert pre["grayscale"] is True and pre["mean"] == [0.0] and pre["std"] == [1.0]
        assert json.loads(meta["cnn_explorer.labels"]) == [str(d) for d in range(10)]
    else:
        assert pre["grayscale"] is False and pre["mean"] == [0.485, 0.456, 0.406]
        assert pre["std"] == [0.229, 0.224, 0.225]
        assert "cnn_explorer.labels" not in meta


def test_initialisation_is_he_normal_with_zero_biases_and_identity_bn(models):
    init = {t.name: numpy_helper.to_array(t) for t in models["resnet34"].graph.initializer}
    w = init["layer3.0.conv2.weight"]  # fan_in 256*9
    assert w.std() == pytest.approx(np.sqrt(2 / (256 * 9)), rel=0.02) and abs(w.mean()) < 1e-3
    assert (init["layer3.0.bn2.weight"] == 1).all() and (init["layer3.0.bn2.bias"] == 0).all()
    assert (init["layer3.0.bn2.running_mean"] == 0).all() and (init["layer3.0.bn2.running_var"] == 1).all()
    assert (init["fc.bias"] == 0).all() and init["fc.weight"].shape == (1000, 512)


def test_same_seed_same_weights_other_seed_other_weights(models):
    again = zoo.build("googlenet", seed=0)
    other = zoo.build("googlenet", seed=1)
    first = {t.name: t.raw_data for t in models["googlenet"].graph.initializer}
    assert {t.name: t.raw_data for t in again.graph.initializer} == first
    assert {t.name: t.raw_data for t in other.graph.initializer}["conv1/7x7_s2.weight"] != first[
        "conv1/7x7_s2.weight"]
    assert props(other)["cnn_explorer.weights"] == "random initialisation (He-normal, seed 1)"


def test_lenet_initializer_names_and_shapes(models):
    shapes = {t.name: tuple(t.dims) for t in models["lenet5"].graph.initializer}
    assert shapes == LENET_SHAPES
    gemms = [n for n in models["lenet5"].graph.node if n.op_type == "Gemm"]
    assert all(onnx.helper.get_attribute_value(a) == 1 for n in gemms for a in n.attribute if a.name == "transB")


def write_lenet_weights(folder: Path, source: str | None = "trained on MNIST by tools/train_lenet.py",
                        **overrides: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    weights = {k: rng.standard_normal(s).astype(np.float32) for k, s in LENET_SHAPES.items()}
    weights.update(overrides)
    extra = {"__weights_source__": np.array(source)} if source else {}
    np.savez(folder / "lenet5_mnist.npz", **weights, **extra)
    return weights


def test_lenet_uses_bundled_trained_weights(isolated_dirs):
    weights = write_lenet_weights(isolated_dirs / "onnx_models")
    model = zoo.build("lenet5")
    built = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    assert all(np.array_equal(built[k], v) for k, v in weights.items())
    assert props(model)["cnn_explorer.weights"] == "trained on MNIST by tools/train_lenet.py"
    assert json.loads(props(model)["cnn_explorer.labels"]) == [str(d) for d in range(10)]
    assert run(model).shape == (1, 10)


def test_weights_source_follows_the_bundled_file(isolated_dirs):
    assert zoo.weights_source("lenet5") == zoo.weights_source("vgg16") == "random initialisation (He-normal, seed 0)"
    write_lenet_weights(isolated_dirs / "onnx_models")
    assert zoo.weights_source("lenet5") == "trained on MNIST by tools/train_lenet.py"


def test_missing_lenet_weights_are_a_user_error(isolated_dirs, monkeypatch):
    monkeypatch.setattr(zoo, "_bundled_weights", SHIPPED_LENET_WEIGHTS)
    with pytest.raises(UserError, match=r"LeNet-5 weights .*lenet5_mnist\.npz are missing: reinstall"):
        zoo.build("lenet5")
    write_lenet_weights(isolated_dirs / "onnx_models")
    assert props(zoo.build("lenet5"))["cnn_explorer.weights"] == "trained on MNIST by tools/train_lenet.py"


def test_lenet_weights_without_source_say_mnist(isolated_dirs):
    write_lenet_weights(isolated_dirs / "onnx_models", source=None)
    assert props(zoo.build("lenet5"))["cnn_explorer.weights"] == "trained on MNIST"


def test_lenet_weights_of_wrong_shape_are_a_user_error(isolated_dirs):
    write_lenet_weights(isolated_dirs / "onnx_models", **{"c1.weight": np.zeros((6, 3, 5, 5), np.float32)})
    with pytest.raises(UserError, match="c1.weight"):
        zoo.build("lenet5")


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="lenet5"):
        zoo.build("resnet50")
    with pytest.raises(UserError):
        zoo.materialize("resnet50")


# --- materialize ----------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, fraction: float, message: str) -> None:
        self.calls.append((fraction, message))

    @property
    def fractions(self) -> list[float]:
        return [f for f, _ in self.calls]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names passed to zoo.build, to tell a rebuild from a cache hit."""
    calls: list[str] = []
    real = zoo.build

    def counting(name: str, **kwargs: object) -> onnx.ModelProto:
        calls.append(name)
        return real(name, **kwargs)

    monkeypatch.setattr(zoo, "build", counting)
    return calls


def test_materialize_writes_into_the_cache_with_increasing_progress(isolated_dirs, builds):
    rec = Recorder()
    path = zoo.materialize("googlenet", rec)
    assert path == isolated_dirs / "cache" / "models" / f"googlenet-v{zoo.BUILDER_VERSION}.onnx"
    assert builds == ["googlenet"]
    fractions = rec.fractions
    assert len(fractions) > 10 and fractions[-1] == 1.0 and fractions[0] == 0.0
    assert all(a < b for a, b in zip(fractions, fractions[1:]))
    assert any("inception_4a" in m for _, m in rec.calls) and any("writing" in m for _, m in rec.calls)
    model = onnx.load(path)
    onnx.checker.check_model(model)
    assert count_params(model) == EXPECTED_PARAMS["googlenet"]
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]


def test_materialize_reuses_the_cached_file(builds):
    path = zoo.materialize("lenet5")
    stamp = path.stat().st_mtime_ns
    rec = Recorder()
    assert zoo.materialize("lenet5", rec) == path
    assert builds == ["lenet5"] and path.stat().st_mtime_ns == stamp and rec.fractions == [1.0]
    path.with_suffix(".json").unlink()  # sidecar lost but the file is sound: verified and kept
    assert zoo.materialize("lenet5") == path and builds == ["lenet5"]
    assert path.with_suffix(".json").is_file()
    path.touch()  # touched but unchanged: hash still matches
    assert zoo.materialize("lenet5") == path and builds == ["lenet5"]


@pytest.mark.parametrize("damage", ["truncate", "same_size", "garbage_without_sidecar", "delete"])
def test_materialize_rebuilds_a_damaged_file(builds, damage):
    path = zoo.materialize("lenet5")
    good = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "same_size":
        path.write_bytes(good[:1000] + bytes(len(good) - 1000))
    elif damage == "garbage_without_sidecar":
        path.write_bytes(b"not an onnx file")
        path.with_suffix(".json").unlink()
    else:
        path.unlink()
    assert zoo.materialize("lenet5") == path
    assert builds == ["lenet5", "lenet5"]
    assert path.read_bytes() == good  # deterministic rebuild


def test_materialize_rebuilds_after_a_builder_version_change(builds, monkeypatch):
    old = zoo.materialize("lenet5")
    monkeypatch.setattr(zoo, "BUILDER_VERSION", zoo.BUILDER_VERSION + 1)
    new = zoo.materialize("lenet5")
    assert new != old and new.name == f"lenet5-v{zoo.BUILDER_VERSION}.onnx"
    assert not old.exists() and not old.with_suffix(".json").exists()  # the stale version is cleaned up
    assert props(onnx.load(new))["cnn_explorer.builder_version"] == str(zoo.BUILDER_VERSION)
    # a file under the current name that claims an older builder is rebuilt too
    new.with_suffix(".json").unlink()
    model = onnx.load(new)
    onnx.helper.set_model_props(model, {**props(model), "cnn_explorer.builder_version": "0"})
    onnx.save(model, new)
    zoo.materialize("lenet5")
    assert builds == ["lenet5"] * 3


def test_materialize_rebuilds_lenet_when_trained_weights_appear(isolated_dirs, builds):
    path = zoo.materialize("lenet5")
    assert props(onnx.load(path))["cnn_explorer.weights"].startswith("random")
    write_lenet_weights(isolated_dirs / "onnx_models")
    zoo.materialize("lenet5")
    assert builds == ["lenet5", "lenet5"]
    assert props(onnx.load(path))["cnn_explorer.weights"].startswith("trained on MNIST")


def test_a_failed_write_leaves_no_file(monkeypatch):
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(zoo.os, "replace", broken_replace)
    with pytest.raises(UserError, match="disk full"):
        zoo.materialize("lenet5")
    folder = paths.cache_dir() / "models"
    assert list(folder.iterdir()) == []



@pytest.mark.parametrize("block", [1000, 1 << 20])  # many blocks per tensor / many small tensors per job
def test_weights_follow_the_seed_scheme_whatever_the_thread_count(models, monkeypatch, block):
    """Block b of the k-th drawn tensor is default_rng((seed, k, b)).standard_normal × sqrt(2 / fan_in), scaled
    in float32 (graph.py's seed scheme); one drawing thread gives the same values as many."""
    from explorer.core.zoo import graph

    monkeypatch.setattr(graph, "BLOCK", block)
    monkeypatch.setattr(graph, "WORKERS", 3)
    model = zoo.build("densenet121", seed=3)
    drawn = [t for t in model.graph.initializer if t.name.endswith(".weight") and len(t.dims) > 1]
    assert len(drawn) == 121  # 120 convolutions + the classifier
    for k, tensor in enumerate(drawn):
        size = int(np.prod(tensor.dims))
        scale = np.float32(np.sqrt(2 / np.prod(tensor.dims[1:])))
        oracle = np.concatenate([np.random.default_rng((3, k, b)).standard_normal(min(block, size - start),
                                                                                  dtype=np.float32) * scale
                                 for b, start in enumerate(range(0, size, block))])
        assert np.array_equal(numpy_helper.to_array(tensor).reshape(-1), oracle), tensor.name
    monkeypatch.setattr(graph, "WORKERS", 1)
    again = {t.name: t.raw_data for t in zoo.build("densenet121", seed=3).graph.initializer}
    assert again == {t.name: t.raw_data for t in model.graph.initializer}


def test_a_build_can_be_cancelled():
    from explorer.core.progress import Cancelled

    calls = []
    with pytest.raises(Cancelled, match="cancelled"):
        zoo.build("vgg16", progress=lambda f, m: calls.append(f), cancel=lambda: len(calls) >= 3)
    assert len(calls) == 3


def test_weights_handed_over_as_arrays_are_the_drawn_ones(monkeypatch):
    """With ``arrays``, every He-normal tensor is handed over as an array holding the values of the plain build
    (same seed, same stream); tensors of OUTSIDE_MIN_BYTES or more are left structure-only in the proto."""
    from explorer.core.zoo import graph

    monkeypatch.setattr(graph, "OUTSIDE_MIN_BYTES", 1024 * 1000 * 4)  # the classifier (1000×1024) and no conv
    plain = {t.name: numpy_helper.to_array(t) for t in zoo.build("googlenet", seed=2).graph.initializer}
    arrays: dict[str, np.ndarray] = {}
    model = zoo.build("googlenet", seed=2, arrays=arrays)
    random = {name for name, value in plain.items() if name.endswith(".weight") and value.ndim > 1}
    assert set(arrays) == random and len(random) == 58  # 57 convolutions + the classifier
    for name in random:
        assert arrays[name].dtype == np.float32 and np.array_equal(arrays[name], plain[name]), name
    for tensor in model.graph.initializer:
        if tensor.name == "loss3/classifier.weight":
            assert tuple(tensor.dims) == (1000, 1024) and not tensor.raw_data and not tensor.external_data
        else:
            assert np.array_equal(numpy_helper.to_array(tensor), plain[tensor.name]), tensor.name
