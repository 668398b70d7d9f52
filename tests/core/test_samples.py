"""The bundled samples: present, loadable, documented, and the lecture grids hold the lecture's values."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from explorer.core.errors import UserError
from explorer.core.paths import assets_dir, project_root
from explorer.core.samples import default_sample, get_sample, load_sample, samples

# name -> shape as documented in assets/README.md (H, W[, 3])
DOCUMENTED_SHAPES = {
    "astronaut": (512, 512, 3),
    "chelsea": (300, 451, 3),
    "coffee": (341, 512, 3),
    "rocket": (342, 512, 3),
    "pattern": (256, 256, 3),
    "lecture-edge-6x6": (6, 6),
    "lecture-binary-5x5": (5, 5),
}


def _make_samples_module():
    spec = importlib.util.spec_from_file_location("make_samples", project_root() / "tools" / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_list_matches_the_documented_set():
    assert [s.name for s in samples()] == list(DOCUMENTED_SHAPES)
    assert all(s.title and s.description for s in samples())


@pytest.mark.parametrize("name", list(DOCUMENTED_SHAPES))
def test_every_sample_loads_with_its_documented_shape(name):
    image = load_sample(name)
    assert image.pixels.dtype == np.uint8
    assert image.pixels.shape == DOCUMENTED_SHAPES[name]
    assert image.source == f"sample:{name}" and image.notes == ()


def test_sample_files_are_small_and_have_provenance():
    readme = (assets_dir() / "README.md").read_text(encoding="utf-8")
    for sample in samples():
        assert sample.path.stat().st_size <= 300 * 1024, sample.path.name
        assert f"`{sample.path.name}`" in readme, f"{sample.path.name} has no provenance in assets/README.md"


def test_default_is_a_colour_photo():
    sample = default_sample()
    assert sample.name == "astronaut"
    assert load_sample(sample.name).pixels.ndim == 3


def test_lecture_edge_grid_holds_the_lecture_values():
    expected = np.array([[255, 255, 255, 0, 0, 0]] * 6, dtype=np.uint8)
    np.testing.assert_array_equal(load_sample("lecture-edge-6x6").pixels, expected)


def test_lecture_binary_grid_holds_zeros_and_ones():
    expected = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
    np.testing.assert_array_equal(load_sample("lecture-binary-5x5").pixels, expected)


def test_generated_samples_match_the_committed_files():
    make = _make_samples_module()
    np.testing.assert_array_equal(load_sample("lecture-edge-6x6").pixels, make.lecture_edge())
    np.testing.assert_array_equal(load_sample("lecture-binary-5x5").pixels, make.lecture_binary())
    # Anti-aliased circle edges may differ by a level between OpenCV versions; the layout must not.
    diff = np.abs(load_sample("pattern").pixels.astype(int) - make.pattern())
    assert diff.mean() < 0.5


def test_pattern_has_clear_vertical_and_horizontal_edges():
    gray = load_sample("pattern").pixels.astype(int).mean(axis=2)
    assert (np.abs(np.diff(gray, axis=1)) >= 200).sum() > 100  # vertical edges: jumps along a row
    assert (np.abs(np.diff(gray, axis=0)) >= 200).sum() > 100  # horizontal edges: jumps down a column


def test_unknown_sample_is_a_user_error():
    with pytest.raises(UserError, match="no sample called 'mona-lisa'"):
        get_sample("mona-lisa")
    with pytest.raises(UserError, match="astronaut"):
        load_sample("mona-lisa")
