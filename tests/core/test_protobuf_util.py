"""copy_fields on every protobuf the dependency floor allows: releases before 6 have ``label`` only."""
from types import SimpleNamespace

import onnx
from onnx import helper

from explorer.core.protobuf_util import copy_fields, is_repeated


def _model() -> onnx.ModelProto:
    weight = helper.make_tensor("w", onnx.TensorProto.FLOAT, [1], [2.0])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])], [weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_copies_everything_but_the_skipped_field():
    model = _model()
    copy = copy_fields(model.graph, onnx.GraphProto(), "initializer")
    assert len(copy.initializer) == 0
    copy.initializer.extend(model.graph.initializer)
    assert copy == model.graph


class _OldField:
    """A protobuf 5 field descriptor: ``label`` and no ``is_repeated``."""
    LABEL_REPEATED = 3

    def __init__(self, real) -> None:
        self.name, self.message_type = real.name, real.message_type
        self.label = self.LABEL_REPEATED if real.is_repeated else 1


def test_works_with_descriptors_that_only_have_a_label():
    model = _model()
    old_style = SimpleNamespace(ListFields=lambda: [(_OldField(f), v) for f, v in model.graph.ListFields()])
    copy = copy_fields(old_style, onnx.GraphProto(), "initializer")
    assert [n.op_type for n in copy.node] == ["Mul"] and len(copy.input) == 1 and not copy.initializer
    assert is_repeated(_OldField(model.graph.DESCRIPTOR.fields_by_name["node"]))
    assert not is_repeated(_OldField(model.graph.DESCRIPTOR.fields_by_name["name"]))
