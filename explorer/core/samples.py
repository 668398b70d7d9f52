"""The sample images bundled in assets/samples/ (provenance and licences: assets/README.md)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.core.errors import UserError
from explorer.core.images import LoadedImage, load_image
from explorer.core.paths import assets_dir


@dataclass(frozen=True)
class Sample:
    name: str  # stable identifier, used as "sample:<name>" in LoadedImage.source and by the CLI
    title: str  # short label for menus
    path: Path
    description: str  # one sentence: what the image is good for showing


# (name, file, title, description); order = menu order, default first.
_SAMPLES: tuple[tuple[str, str, str, str], ...] = (
    ("astronaut", "astronaut.jpg", "Astronaut (photo)",
     "Eileen Collins in front of a flag: strong horizontal stripes and crisp outlines for edge filters."),
    ("chelsea", "chelsea.png", "Chelsea the cat (photo)",
     "Fur texture, whiskers and eyes: fine diagonal edges and features at several scales."),
    ("coffee", "coffee.jpg", "Coffee cup (photo)",
     "Elliptical rims and smooth porcelain against coarse wood grain."),
    ("rocket", "rocket.jpg", "Rocket launch (photo)",
     "A tall vertical rocket and launch tower: long vertical edges, bright exhaust."),
    ("pattern", "pattern-256.png", "Test pattern (256×256)",
     "Checkerboard, gradient, discs and a bar: clean vertical and horizontal edges to check what a kernel finds."),
    ("lecture-edge-6x6", "lecture-edge-6x6.png", "Lecture: 6×6 vertical edge",
     "The lecture's 6×6 image, three columns of 255 then three of 0, for the vertical-edge kernel example."),
    ("lecture-binary-5x5", "lecture-binary-5x5.png", "Lecture: 5×5 binary image",
     "The lecture's 5×5 grid of 0s and 1s (stored as 0 and 1) used to step through a 3×3 convolution."),
)
# A colour photo with clear structure: the flag's stripes and the suit's outlines make edge kernels obvious.
DEFAULT_SAMPLE = "astronaut"


def _samples_dir() -> Path:
    return assets_dir() / "samples"


def samples() -> list[Sample]:
    """All bundled samples, in menu order."""
    folder = _samples_dir()
    return [Sample(name, title, folder / file, text) for name, file, title, text in _SAMPLES]


def default_sample() -> Sample:
    return get_sample(DEFAULT_SAMPLE)


def get_sample(name: str) -> Sample:
    for sample in samples():
        if sample.name == name:
            return sample
    known = ", ".join(s.name for s in samples())
    raise UserError(f"There is no sample called '{name}': choose one of {known}.")


def load_sample(name: str) -> LoadedImage:
    """Load a bundled sample; its source reads "sample:<name>"."""
    image = load_image(get_sample(name).path)
    return LoadedImage(image.pixels, f"sample:{name}", image.notes)
