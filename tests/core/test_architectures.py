"""The comparison table: facts measured from graphs (small stand-ins, never VGG-16 itself), cached, sorted, exported."""
import csv
import io

import onnx
import pytest
from model_factory import Builder

from explorer.core import architectures, builtin_structure, paths, zoo
from explorer.core import inspect as core_inspect
from explorer.core.architectures import ARCHITECTURES, Facts, facts_of, rows, sort_rows, to_csv
from explorer.core.errors import UserError


def residual_net() -> onnx.ModelProto:
    """conv a → conv b → conv c, plus a 1×1 projection of a added to c, then global pooling and a Gemm."""
    b = Builder((1, 3, 16, 16))
    a = b.relu(b.conv(b.input, 4, k=3, p=1))
    c = b.conv(b.relu(b.conv(a, 4, k=3, p=1)), 8, k=3, s=2, p=1)
    shortcut = b.conv(a, 8, k=1, s=2)
    return b.build(b.gap_fc(b.op("Add", [c, shortcut]), 10))


SMALL = core_inspect.inspect_model(residual_net())


def test_depth_follows_the_main_path_and_the_field_is_the_deepest_convs():
    facts = facts_of(SMALL)
    assert facts.weight_layers == 4        # a, b, c, fc — the 1×1 shortcut is a side path
    assert facts.rf == 3 + 2 + 2           # three 3×3 layers, stride only in the last: 3 → 5 → 7
    assert (facts.params, facts.macs) == (SMALL.params, SMALL.macs)


def test_six_lecture_architectures_with_zoo_accuracy_and_years():
    assert [a.title for a in ARCHITECTURES] == ["LeNet-5", "AlexNet", "VGG-16", "GoogLeNet", "ResNet-34",
                                                "DenseNet-121"]
    assert [a.year for a in ARCHITECTURES] == [1998, 2012, 2014, 2014, 2015, 2017]
    vgg = ARCHITECTURES[2]
    assert (vgg.top1, vgg.top5) == (72.62, 91.14)          # ONNX Model Zoo, vgg16-7
    assert ARCHITECTURES[4].top1 == 73.73 and ARCHITECTURES[1].top1 == 54.80


def test_facts_are_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path)
    built = []
    monkeypatch.setattr(builtin_structure, "inspect_builtin", lambda name: built.append(name) or SMALL)
    first = architectures.facts_for("vgg16")
    second = architectures.facts_for("vgg16")
    assert first == second == Facts(4, SMALL.params, SMALL.macs, 7)
    assert built == ["vgg16"]                          # the second call did not inspect again
    assert architectures.cached_facts() == {"vgg16": first}


def test_facts_come_from_the_layout_alone_and_equal_the_full_models(tmp_path, monkeypatch):
    """No weights drawn and no model file written (VGG-16's was 553 MB), yet the same numbers as the built model."""
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path)
    facts = architectures.facts_for("alexnet")
    assert facts == architectures.facts_of(core_inspect.inspect_model(zoo.build("alexnet")))
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [architectures._cache_file().name]


def test_damaged_cache_means_no_facts(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path)
    (tmp_path / f"architectures-v{zoo.BUILDER_VERSION}.json").write_text("{not json")
    assert architectures.cached_facts() == {}


def test_cpu_time_is_measured_by_running_the_model(monkeypatch):
    monkeypatch.setattr(zoo, "build", lambda name, arrays=None, **_: residual_net())
    monkeypatch.setitem(zoo.BUILTINS, "lenet5", zoo.BUILTINS["lenet5"].__class__(
        "lenet5", "LeNet-5", "p", (1, 3, 16, 16), 1, "w"))
    assert architectures.cpu_ms_per_image("lenet5", runs=2) > 0


@pytest.mark.parametrize("key", ["lenet5", "alexnet"])  # bundled weights; drawn weights handed over as arrays
def test_timing_a_built_in_writes_no_model_file(key, tmp_path, monkeypatch):
    """The Compare tab's "Measure CPU time here" times every built-in: building each in memory, as the Model
    Explorer opens it, instead of writing it into the cache (VGG-16 alone is 553 MB)."""
    monkeypatch.setattr(paths, "cache_dir", lambda: tmp_path / "cache")
    assert architectures.cpu_ms_per_image(key, runs=1) > 0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_sorting_puts_unknown_values_last_either_way():
    table = rows({"vgg16": Facts(16, 138_357_544, 15_470_264_320, 212), "lenet5": Facts(5, 61_706, 416_520, 32)},
                 {"vgg16": 900.0})
    by_params = sort_rows(table, "parameters", descending=True)
    assert [r["architecture"] for r in by_params[:2]] == ["VGG-16", "LeNet-5"]
    assert all(r["parameters"] is None for r in by_params[2:])
    assert sort_rows(table, "parameters")[0]["architecture"] == "LeNet-5"
    assert sort_rows(table, "year", descending=True)[0]["architecture"] == "DenseNet-121"
    assert sort_rows(table, "CPU ms / image")[0]["architecture"] == "VGG-16"
    with pytest.raises(UserError, match="parameters"):
        sort_rows(table, "colour")


def test_csv_has_raw_numbers_and_names_the_accuracy_source():
    table = rows({"vgg16": Facts(16, 138_357_544, 15_470_264_320, 212)}, {})
    parsed = list(csv.reader(io.StringIO(to_csv(table))))
    assert parsed[0] == list(architectures.COLUMNS)
    vgg = parsed[3]
    assert vgg[:6] == ["VGG-16", "2014", "16", "138357544", "15470264320", "212"]
    assert vgg[7:9] == ["72.62", "91.14"] and vgg[6] == ""
    assert "ONNX Model Zoo" in parsed[-1][0]


def test_cpu_times_read_well_from_hundredths_of_a_millisecond_to_seconds():
    assert architectures.cell_text("CPU ms / image", 0.0312) == "0.031"
    assert architectures.cell_text("CPU ms / image", 1515.2) == "1,515"
    assert architectures.cell_text("CPU ms / image", None) == "–"
