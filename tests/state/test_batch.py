"""Several fields set as one step: listeners see the finished state, once per field (explorer/state/batch.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psygnal import evented

from explorer.core.images import LoadedImage
from explorer.state.batch import batched
from explorer.state.image import ImageState


@evented
@dataclass
class Pair:
    a: int = 0
    b: int = 0


def test_a_listener_of_the_first_field_sees_the_second_already_set():
    pair, seen = Pair(), []
    pair.events.a.connect(lambda *_: seen.append((pair.a, pair.b)))
    with batched(pair.events):
        pair.a = 1
        pair.b = 2
    assert seen == [(1, 2)]


def test_each_changed_field_is_heard_once_with_its_newest_value_and_its_oldest_old_value():
    pair, heard = Pair(), []
    pair.events.a.connect(lambda new, old: heard.append(("a", new, old)))
    pair.events.b.connect(lambda new, old: heard.append(("b", new, old)))
    with batched(pair.events):
        pair.a = 1
        pair.a = 5
        pair.a = 7
    assert heard == [("a", 7, 0)]


def test_nested_batches_on_one_state_emit_when_the_outermost_ends():
    pair, heard = Pair(), []
    pair.events.a.connect(lambda *_: heard.append(pair.a))
    with batched(pair.events):
        with batched(pair.events):
            pair.a = 3
        assert heard == []
        pair.a = 4
    assert heard == [4]


def test_nothing_is_held_back_after_a_batch_that_raised():
    pair, heard = Pair(), []
    pair.events.a.connect(lambda *_: heard.append(pair.a))
    try:
        with batched(pair.events):
            pair.a = 1
            raise ValueError
    except ValueError:
        pass
    assert heard == [1]
    pair.a = 2
    assert heard == [1, 2]


def test_a_new_frame_is_the_model_input_when_its_image_event_arrives():
    """The live pipeline's case: the Model Explorer's summary read model_input() in the image event and saw the
    previous frame (photo not yet set), so it flipped its text twice on every frame."""
    state = ImageState()
    state.set(LoadedImage(np.zeros((480, 640, 3), np.uint8), "frame 1"))
    frame = LoadedImage(np.ones((480, 640, 3), np.uint8), "frame 2")
    seen = []
    state.events.image.connect(lambda *_: seen.append(state.model_input() is frame))
    state.set(frame)
    assert seen == [True]


def test_a_listener_that_batches_the_same_state_hears_each_change_once():
    """A field's listener that sets other fields of the same state in a batch of its own: the field it heard is
    not emitted again (it was, for ever: psygnal empties a resumed queue only after the emission)."""
    pair, heard = Pair(), []

    def on_a(*_):
        heard.append(("a", pair.a))
        with batched(pair.events):
            pair.b = pair.a * 10

    pair.events.a.connect(on_a)
    pair.events.b.connect(lambda *_: heard.append(("b", pair.b)))
    with batched(pair.events):
        pair.a = 1
    assert heard == [("a", 1), ("b", 10)]
