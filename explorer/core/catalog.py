"""The one model registry: every model the app can open, where its weights come from, and what to show about it.

Entries: the built-in architectures with seeded random weights, the networks we train ourselves (bundled in
onnx_models/), the trained ImageNet networks of the ONNX Model Zoo (downloaded on request, pinned by sha256;
facts in docs/model-zoo.md), and the user's own .onnx files. The GUI, the CLI and the tests all go through
``entries``/``get``/``resolve`` → ``load`` (or ``model_path``) → ``describe``; nothing else tests a model's name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx

from explorer.core import metadata as md
from explorer.core import model_facts, paths, predictions, user_cache, zoo
from explorer.core.errors import UserError
from explorer.core.model_facts import ModelFacts
from explorer.core.preprocess import IMAGENET_MEAN, IMAGENET_STD, Preprocess
from explorer.core.progress import Cancel, Cancelled, Progress

__all__ = ["Bundled", "Cancelled", "Download", "ModelEntry", "RandomInit", "TRAINED", "UserFile", "WeightsOrigin",
           "accuracy_text", "describe", "downloaded_path", "entries", "get", "is_available", "load", "model_path",
           "preprocess_text", "recognise", "resolve"]

FILE_PREFIX = "file:"
IMAGENET_LABELS = "imagenet_classes.txt"
PROJECT_LICENCE = "MIT (CNN Explorer's own)"


@dataclass(frozen=True)
class RandomInit:
    seed: int  # built-in architecture, He-normal weights from the seed


@dataclass(frozen=True)
class Bundled:
    file: str  # in onnx_models/: trained weights for a built-in architecture (.npz) or a whole model (.onnx)


@dataclass(frozen=True)
class Download:
    file: str               # the zoo's file name, also its name in the cache and on a user's mirror
    sha256: str
    size: int               # bytes
    urls: tuple[str, ...]   # mirrors, tried in order after the user's own


@dataclass(frozen=True)
class UserFile:
    path: str


WeightsOrigin = RandomInit | Bundled | Download | UserFile


@dataclass(frozen=True)
class ModelEntry:
    key: str                          # stable id: "lenet5", "vgg16", "vgg16-trained", "file:/abs/path.onnx"
    title: str
    architecture: str | None          # the built-in architecture it is ("vgg16"); None when unrecognised
    paper: str
    weights: WeightsOrigin
    params: int | None
    input_shape: tuple[int, ...] | None
    labels: str | None                # assets file name or a JSON list (cnn_explorer.labels syntax)
    accuracy: tuple[float, float | None] | None  # published top-1 / top-5 (%); top-5 None when unpublished
    licence: str
    preprocess: Preprocess | None
    path: str | None = None           # a Download entry recognised in a file the user opened: that file
    note: str = ""                    # one line on what this version is, beside its built-in namesake

    @property
    def trained(self) -> bool:
        if isinstance(self.weights, Bundled) and self.architecture is not None:
            return not model_facts.is_random(zoo.weights_source(self.architecture))  # the file may be absent
        return isinstance(self.weights, (Bundled, Download))

    @property
    def weights_text(self) -> str:
        w = self.weights
        if isinstance(w, RandomInit):
            return zoo.random_weights_label(w.seed)
        if isinstance(w, Bundled):
            return (zoo.weights_source(self.architecture) if self.architecture
                    else f"trained by CNN Explorer (onnx_models/{w.file})")
        if isinstance(w, Download):
            return f"trained on ImageNet (ONNX Model Zoo file {w.file})"
        return f"weights from the file {Path(w.path).name}"

    @property
    def badge(self) -> str:
        if isinstance(self.weights, UserFile):
            return "weights from file"
        return "trained" if self.trained else "random initialisation"


# --- the entries ----------------------------------------------------------------------------------------------
def _builtin(arch: zoo.ZooEntry) -> ModelEntry:
    origin = Bundled(arch.bundled) if arch.bundled else RandomInit(0)
    licence = (f"{PROJECT_LICENCE}; trained on MNIST (CC BY-SA 3.0)" if arch.bundled else PROJECT_LICENCE)
    return ModelEntry(arch.name, arch.title, arch.name, arch.paper, origin, arch.params, arch.input_shape,
                      arch.labels, None, licence, arch.preprocess)


MLP_MNIST = ModelEntry(
    "mlp500", "Fully connected 784-500-10 (MNIST)", None, "the MNIST case study's fully connected baseline",
    Bundled("mlp500_mnist.onnx"), 397_510, (1, 1, 28, 28), None, None,
    f"{PROJECT_LICENCE}; trained on MNIST (CC BY-SA 3.0)",
    Preprocess(size=(28, 28), mean=(0.0,), std=(1.0,), grayscale=True))

_HF_LEGACY = "https://huggingface.co/onnxmodelzoo/legacy_models/resolve/main/validated/vision/classification"
_GITHUB = "https://github.com/onnx/models/raw/main/validated/vision/classification"


def zoo_urls(folder: str, file: str) -> tuple[str, ...]:
    """The mirrors of docs/model-zoo.md, in its order (none verified from here: the checksum is the judge)."""
    stem = file.removesuffix(".onnx")
    return (f"{_HF_LEGACY}/{folder}/model/{file}", f"https://huggingface.co/onnxmodelzoo/{stem}/resolve/main/{file}",
            f"{_GITHUB}/{folder}/model/{file}")


# Caffe recipe (BVLC AlexNet, GoogLeNet): 0-255, BGR, per-channel means subtracted; means in BGR order because
# preprocess.prepare reorders the channels before subtracting.
_CAFFE_BGR = Preprocess(size=(224, 224), resize="resize", scale=1.0, mean=(103.939, 116.779, 123.68),
                        channel_order="BGR")
# torchvision/Gluon recipe (VGG-16, ResNet-34). The zoo resizes the shorter side to 256 and crops 224;
# Preprocess can only crop the centre after scaling the shorter side to 224 (crop ratio 1 instead of 0.875).
_TORCHVISION = Preprocess(size=(224, 224), resize="center_crop", scale=1 / 255, mean=IMAGENET_MEAN, std=IMAGENET_STD)
# DenseNet-121 (Caffe2): its zoo README gives no recipe. Its layer and blob names (data_0, conv1, concat_*, fc6,
# fc6_1) are those of Caffe2's translation of the Caffe DenseNet port (shicai/DenseNet-Caffe), whose README
# states BGR, (x - [103.94, 116.78, 123.68]) * 0.017, i.e. std = 1/0.017 here. Established from those names and
# model-zoo.md's notes, not from the real file: unverified here (no internet).
_DENSENET_CAFFE = Preprocess(size=(224, 224), resize="center_crop", scale=1.0, mean=(103.94, 116.78, 123.68),
                             std=(1 / 0.017,) * 3, channel_order="BGR")


def _trained(arch: str, title: str, folder: str, file: str, sha256: str, size: int, params: int | None,
             accuracy: tuple[float, float | None], licence: str, preprocess: Preprocess, note: str) -> ModelEntry:
    built = zoo.BUILTINS[arch]
    return ModelEntry(f"{arch}-trained", f"{title} (trained, ImageNet)", arch, built.paper,
                      Download(file, sha256, size, zoo_urls(folder, file)), params, (1, 3, 224, 224),
                      IMAGENET_LABELS, accuracy, licence, preprocess, note=note)


TRAINED: tuple[ModelEntry, ...] = (
    _trained("alexnet", "AlexNet", "alexnet", "bvlcalexnet-12.onnx",
             "6b0da9510f27f234ee96a85dc3809dd210150fdefad87f6850f9788513216945", 243_863_787, None,
             (54.80, 78.23), "BSD-3-Clause", _CAFFE_BGR,
             "BVLC's two-GPU network: conv2, conv4 and conv5 in 2 groups, about 61 M parameters; the built-in "
             "alexnet is the single-stream variant (62.4 M)"),
    _trained("vgg16", "VGG-16", "vgg", "vgg16-7.onnx",
             "f20805a3ecccaa88647bbab4ad011ff2412a9838485ea844de0fcbce349820b9", 553_437_328,
             zoo.BUILTINS["vgg16"].params, (72.62, 91.14), "Apache-2.0", _TORCHVISION,
             "configuration D exported from MXNet Gluon: the built-in's layer shapes, in the same order"),
    _trained("googlenet", "GoogLeNet", "inception_and_googlenet/googlenet", "googlenet-12.onnx",
             "c99c507058eaf41de8723408fdda7db8325cb57f0a89f2ee07a716d6e963e14e", 28_021_836, None,
             (67.78, 88.34), "BSD-3-Clause", _CAFFE_BGR,
             "BVLC GoogLeNet: the paper's network with its LRN layers, without the auxiliary classifiers"),
    _trained("resnet34", "ResNet-34", "resnet", "resnet34-v1-7.onnx",
             "883a41b2e30ddc2e422c108b091b5e70b92d37dc5c345a2c563dcae27971e2cc", 87_302_588,
             zoo.BUILTINS["resnet34"].params, (73.73, 91.40), "Apache-2.0", _TORCHVISION,
             "ResNet-34 v1 exported from MXNet Gluon: the built-in's layer shapes, in the same order"),
    _trained("densenet121", "DenseNet-121", "densenet-121", "densenet-12.onnx",
             "0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5", 32_726_877, None,
             (60.96, None), "MIT", _DENSENET_CAFFE,
             "converted from Caffe2; its preprocessing is the Caffe port's recipe, not verified against this file"),
)


def entries() -> list[ModelEntry]:
    """The picker's list: each built-in architecture, its trained version right after it, the bundled networks."""
    trained = {e.architecture: e for e in TRAINED}
    result: list[ModelEntry] = []
    for arch in zoo.BUILTINS.values():
        result.append(_builtin(arch))
        if arch.name in trained:
            result.append(trained[arch.name])
    result.append(MLP_MNIST)
    return result


def _user_file(path: Path) -> ModelEntry:
    path = path.resolve()
    return ModelEntry(f"{FILE_PREFIX}{path}", path.name, None, "", UserFile(str(path)), None, None, None, None,
                      "the file's own", None)


def get(key: str) -> ModelEntry:
    """The entry with this key ("vgg16", "vgg16-trained", "file:/abs/path.onnx"); UserError naming the choices.
    A file key is recognised again (its hash is remembered, so this is cheap after the first time)."""
    if key.startswith(FILE_PREFIX):
        path = Path(key[len(FILE_PREFIX):])
        return (recognise(path) if path.is_file() else None) or _user_file(path)
    listed = entries()
    for entry in listed:
        if entry.key == key:
            return entry
    raise UserError(f"Unknown model {key!r}; choose one of: {', '.join(e.key for e in listed)} "
                    "(or give an .onnx file).")


def _by_download_name(name: str) -> ModelEntry | None:
    """A Download entry named by its zoo file ("googlenet-12.onnx") or stem ("googlenet-12")."""
    for entry in entries():
        if isinstance(entry.weights, Download) and name in (entry.weights.file, entry.weights.file[:-5]):
            return entry
    return None


def recognise(path: str | Path, progress: Progress | None = None, cancel: Cancel | None = None) -> ModelEntry | None:
    """The catalog entry whose published file this is (sha256 match), opened from this path; else None.
    Only files of a listed size are hashed, and a hash is remembered per path, size and modification time."""
    path = Path(path).resolve()
    size = path.stat().st_size
    candidates = [e for e in entries() if isinstance(e.weights, Download) and e.weights.size == size]
    if not candidates:
        return None
    digest = user_cache.file_sha256(path, progress, cancel)
    found = next((e for e in candidates if e.weights.sha256 == digest), None)
    if found is None or path == downloaded_path(found).resolve():
        return found  # our own cached download is the entry itself
    return replace(found, key=f"{FILE_PREFIX}{path}", path=str(path))


def resolve(name_or_path: str | Path, progress: Progress | None = None, cancel: Cancel | None = None) -> ModelEntry:
    """What a user typed: a key, a zoo file stem ("googlenet-12"), or an .onnx path (the catalog entry when its
    sha256 matches a published file, else a user-file entry)."""
    text = str(name_or_path)
    known = {e.key: e for e in entries()}
    if text in known:
        return known[text]  # a name wins over a file of the same name in the current folder
    text = text.removeprefix(FILE_PREFIX)
    path = Path(text)
    if path.is_file():
        return recognise(path, progress, cancel) or _user_file(path)
    by_file = _by_download_name(text)
    if by_file is not None:
        return by_file
    if path.suffix.lower() == ".onnx":
        raise UserError(f"No such file: {text}. Check the path.")
    raise UserError(f"{text!r} is neither a built-in or catalog model ({', '.join(known)}) nor an .onnx file; "
                    "'cnn-explorer models' lists the names.")


# --- files ----------------------------------------------------------------------------------------------------
def downloaded_path(entry: ModelEntry) -> Path:
    """Where a Download entry's file lives in the user cache (whether or not it is there yet)."""
    assert isinstance(entry.weights, Download)
    return user_cache.downloads_dir() / entry.weights.file


def is_available(entry: ModelEntry) -> bool:
    """Can it be opened without downloading?"""
    w = entry.weights
    if isinstance(w, RandomInit) or (isinstance(w, Bundled) and entry.architecture):
        return True  # built from code (a missing bundled file falls back to random weights)
    if isinstance(w, Bundled):
        return (paths.onnx_models_dir() / w.file).is_file()
    if isinstance(w, Download):
        file = Path(entry.path) if entry.path else downloaded_path(entry)
        return file.is_file() and file.stat().st_size == w.size  # recognised, or moved in after its sha256 matched
    return Path(w.path).is_file()


def _not_downloaded(entry: ModelEntry) -> UserError:
    return UserError(f"{entry.title} is not downloaded yet: run cnn-explorer download {entry.key} "
                     f"({entry.weights.size / 1e6:.0f} MB), or open the zoo file {entry.weights.file} if you have it.")


def model_path(entry: ModelEntry, progress: Progress | None = None, cancel: Cancel | None = None) -> Path:
    """The .onnx file for an entry: a built-in written into the cache (costs its full size on disk: prefer
    ``load`` for opening), the cached download, the bundled file or the user's file."""
    w = entry.weights
    if entry.architecture and isinstance(w, (RandomInit, Bundled)):
        if isinstance(w, RandomInit) and w.seed != 0:
            raise UserError(f"Only seed 0 of {entry.title} can be written to a file; open it instead.")
        return zoo.materialize(entry.architecture, progress)
    if isinstance(w, Bundled):
        path = paths.onnx_models_dir() / w.file
    elif isinstance(w, Download):
        if not is_available(entry):
            raise _not_downloaded(entry)
        path = Path(entry.path) if entry.path else downloaded_path(entry)
    else:
        path = Path(w.path)
    if not path.is_file():
        raise UserError(f"The model file {path} is missing. Check the path or reinstall CNN Explorer.")
    return path


def load(entry: ModelEntry, progress: Progress | None = None, cancel: Cancel | None = None,
         allow_large: bool = False, arrays: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
    """The model in memory, ready for inspect and runtime. Built-ins are built from their seed (no file);
    files go through the safe loader. Catalog facts (title, labels, preprocessing) are written into its
    metadata so every consumer reads the same.

    ``arrays`` (a dict to fill) is for opening a session: a built-in's drawn weights go there and its largest
    ones only there, so pass both on, ``ActivationSession(model, weights=arrays)``; files leave it empty."""
    from explorer.core import onnx_load

    w = entry.weights
    if entry.architecture and isinstance(w, (RandomInit, Bundled)):
        seed = w.seed if isinstance(w, RandomInit) else 0
        return zoo.build(entry.architecture, seed=seed, progress=progress, cancel=cancel, arrays=arrays)
    model = onnx_load.load_model(model_path(entry, progress, cancel), allow_large=allow_large)
    if isinstance(w, Download):
        facts = {md.TITLE: entry.title, md.WEIGHTS: entry.weights_text}
        if entry.labels:
            facts[md.LABELS] = entry.labels
        if entry.preprocess is not None:
            facts[md.PREPROCESS] = entry.preprocess.to_json()
        md.update(model, facts)
    return model


# --- what to show ---------------------------------------------------------------------------------------------
def accuracy_text(accuracy: tuple[float, float | None]) -> str:
    top1, top5 = accuracy
    return f"published accuracy: top-1 {top1:.2f} %" + (f", top-5 {top5:.2f} %" if top5 is not None else "")


def preprocess_text(pre: Preprocess) -> str:
    """The recipe in one line, e.g. 'BGR, resized to 224×224, 0–255, minus (103.939, 116.779, 123.68), divided by
    (1, 1, 1)': channel order, resizing, value range, then the per-channel mean and std."""
    h, w = pre.size
    fit = f"resized to {h}×{w}" if pre.resize == "resize" else f"shorter side to {min(h, w)}, centre crop {h}×{w}"
    colour = "grayscale" if pre.grayscale else pre.channel_order
    scale = {1.0: "0–255", 1 / 255: "0–1"}.get(pre.scale, f"× {pre.scale:.4g}")
    numbers = lambda values: ", ".join(f"{v:g}" for v in values)  # noqa: E731
    return f"{colour}, {fit}, {scale}, minus ({numbers(pre.mean)}), divided by ({numbers(pre.std)})"


def describe(entry: ModelEntry, model: onnx.ModelProto) -> ModelFacts:
    """What the explorer and the CLI both show about a loaded model: title, weights, labels, filters, facts."""
    meta = md.read(model)
    weights_text = entry.weights_text
    badge = entry.badge
    title = entry.title
    if isinstance(entry.weights, UserFile):
        title = meta.get(md.TITLE) or title
        if md.WEIGHTS in meta:  # the file says where its weights come from: believe it
            weights_text = meta[md.WEIGHTS]
            badge = "random initialisation" if model_facts.is_random(weights_text) else "trained"
    elif isinstance(entry.weights, Bundled) and md.WEIGHTS in meta:
        weights_text = meta[md.WEIGHTS]  # the bundled file's own account (data set, accuracy)
    outputs = model_facts.output_size(model)
    labels = None
    if badge != "random initialisation":
        labels = model_facts.read_labels(entry.labels or meta.get(md.LABELS), outputs)
    stored = sum(math.prod(t.dims) for t in model.graph.initializer)
    facts = [f"weights: {weights_text}"]
    if entry.note:
        facts.append(entry.note)
    if entry.paper:
        facts.append(f"paper: {entry.paper}")
    facts.append(f"parameters: {entry.params:,}" if entry.params is not None else f"stored values: {stored:,}")
    if entry.accuracy is not None:
        facts.append(accuracy_text(entry.accuracy))
    if entry.preprocess is not None:
        facts.append(f"preprocessing: {preprocess_text(entry.preprocess)}")
    if isinstance(entry.weights, Download):
        facts.append(f"file: {entry.weights.file} (sha256 {entry.weights.sha256[:12]}…)")
    facts.append(f"licence: {entry.licence}")
    return ModelFacts(title=title, weights_text=weights_text, badge=badge, labels=labels,
                      filters=model_facts.conv_filters(model), facts=facts,
                      probabilities=predictions.ends_in_softmax(model))

