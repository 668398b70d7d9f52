"""The status line: one message, and an error is not hidden by an aside of another topic."""
from __future__ import annotations

from explorer.state.status import StatusState


def test_an_aside_of_another_topic_leaves_a_standing_error():
    status = StatusState()
    status.show("standin.onnx is not an ONNX model.", error=True, topic="compare")
    status.note("CUDA was requested but is not usable here; running on CPU.", topic="explorer")
    assert (status.text, status.error, status.topic) == ("standin.onnx is not an ONNX model.", True, "compare")


def test_an_aside_shows_over_its_own_topics_error_and_over_any_plain_message():
    status = StatusState()
    status.show("Saved the frame.", topic="live")
    status.note("Running on CPU.", topic="explorer")
    assert (status.text, status.error) == ("Running on CPU.", False)
    status.show("That file is not a model.", error=True, topic="explorer")
    status.note("Running on CPU.", topic="explorer")
    assert (status.text, status.error, status.topic) == ("Running on CPU.", False, "explorer")


def test_a_message_someone_asked_for_still_replaces_an_error():
    status = StatusState()
    status.show("standin.onnx is not an ONNX model.", error=True, topic="compare")
    status.show("Saved the frame to out.png.", topic="live")
    assert (status.text, status.error, status.topic) == ("Saved the frame to out.png.", False, "live")
