"""Top classes: softmax is applied exactly when the graph gives logits, decided from the graph's last op."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from explorer.core import catalog, predictions, zoo


def _graph(ops: list[str]):
    """input (1,4) -> ops in a chain -> output."""
    nodes, x = [], "x"
    for i, op in enumerate(ops):
        attrs = {"axis": 1} if op == "Softmax" else {}
        nodes.append(helper.make_node(op, [x], [f"t{i}"], **attrs))
        x = f"t{i}"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, 4])])
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("ops, expected", [(["Relu", "Softmax"], True), (["Softmax", "Flatten"], True),
                                           (["Softmax", "Identity", "Flatten"], True), (["Relu"], False),
                                           (["Softmax", "Relu"], False), (["LogSoftmax"], False)])
def test_softmax_is_read_from_the_graph(ops, expected):
    assert predictions.ends_in_softmax(_graph(ops)) is expected


def test_describe_says_whether_the_output_is_probabilities():
    assert catalog.describe(catalog.get("lenet5"), zoo.build("lenet5")).probabilities  # built-ins end in Softmax
    logits_model = _graph(["Relu"])
    assert not catalog.describe(catalog.get("vgg16-trained"), logits_model).probabilities


def test_logits_become_probabilities_and_probabilities_are_kept():
    logits = np.array([2.0, 0.0, 1.0, -1.0])
    top = predictions.top_classes(logits, probabilities=False, k=3)
    e = np.exp(logits) / np.exp(logits).sum()
    assert [i for i, _ in top] == [0, 2, 1]
    assert [p for _, p in top] == pytest.approx([e[0], e[2], e[1]])
    # Positive logits that happen to sum to one are still logits: the graph decides, not the numbers.
    positive = np.array([0.7, 0.2, 0.1])
    assert predictions.top_classes(positive, probabilities=False)[0][1] == pytest.approx(0.4640, abs=1e-4)
    assert predictions.top_classes(positive, probabilities=True)[0] == (0, pytest.approx(0.7))


def test_densenet_style_output_is_flattened():
    """The zoo's DenseNet gives 1×1000×1×1 logits."""
    out = np.zeros((1, 1000, 1, 1), np.float32)
    out[0, 281, 0, 0] = 10.0
    (index, p), *_ = predictions.top_classes(out, probabilities=False)
    assert index == 281 and p == pytest.approx(np.exp(10) / (np.exp(10) + 999))
