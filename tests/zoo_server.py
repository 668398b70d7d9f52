"""A local HTTP server (a thread on 127.0.0.1) and a test catalog entry for download tests. No internet."""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from explorer.core import catalog
from explorer.core.catalog import Download, ModelEntry

FILE = "tiny-12.onnx"


def tiny_model(features: int = 256, classes: int = 1000, seed: int = 0) -> onnx.ModelProto:
    """A 1×3×8×8 → logits model: conv (features@3×3), global pooling, flatten, gemm."""
    rng = np.random.default_rng(seed)
    conv = numpy_helper.from_array(rng.standard_normal((features, 3, 3, 3)).astype(np.float32), "conv.weight")
    fc = numpy_helper.from_array(rng.standard_normal((classes, features)).astype(np.float32), "fc.weight")
    nodes = [helper.make_node("Conv", ["data", "conv.weight"], ["conv"], name="conv"),
             helper.make_node("GlobalAveragePool", ["conv"], ["pool"], name="pool"),
             helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
             helper.make_node("Gemm", ["flat", "fc.weight"], ["logits"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])],
                              initializer=[conv, fc])
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])


def tiny_model_bytes() -> bytes:
    """About 1 MB: several download chunks."""
    return tiny_model().SerializeToString()


class Server:
    """Serves ``files`` under /ok/, /drop/ (half the bytes, then the connection closes), /404/ and
    /wrong/ (the same length, other bytes). ``requests`` counts the paths asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append(self.path)  # absolute ("http://host/...") when asked as a proxy
                _, mode, name = urlparse(self.path).path.split("/", 2)
                data = server.files.get(name)
                if mode == "404" or data is None:
                    self.send_error(404)
                    return
                if mode == "wrong":
                    data = bytes(len(data))
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if mode == "drop" else data)
                self.wfile.flush()
                if mode == "drop":
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="test-http-server", daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@contextmanager
def serving(files: dict[str, bytes]) -> Iterator[Server]:
    with Server(files) as server:
        yield server


def entry_for(data: bytes, urls: tuple[str, ...], file: str = FILE) -> ModelEntry:
    """A trained-model entry like the real ones, for a generated file served locally."""
    template = next(e for e in catalog.TRAINED if e.key == "googlenet-trained")
    return replace(template, key="tiny-trained", title="Tiny (trained, ImageNet)",
                   weights=Download(file, hashlib.sha256(data).hexdigest(), len(data), urls))
