"""The live source's state without Qt: what the toolbar's readout says in each phase."""
from explorer.state.live import LiveState


def test_the_readout_follows_the_source_through_play_pause_and_stop():
    live = LiveState()
    assert not live.live and live.rate_text() == ""
    live.started("video:/clips/cup.avi", "cup.avi")
    live.frame_shown(dropped=0, fps=29.5)
    live.frame_shown(dropped=3, fps=30.0)
    assert live.shown == 2 and live.rate_text() == "30.0 frames/s shown, 3 dropped"
    live.playing = False
    assert live.rate_text() == "paused at frame 2 (3 dropped)"
    live.stopped("cup.avi is damaged after frame 2 of 40: the last good frame stays; re-encode it.")
    assert not live.running and live.error.startswith("cup.avi") and live.rate_text() == "stopped after 2 shown, 3 dropped"
    live.started("camera:0", "Camera 0")
    assert (live.shown, live.dropped, live.error) == (0, 0, "")
    live.back_to_still()
    assert not live.live and live.rate_text() == ""


def test_one_event_per_frame_reaches_the_readout_after_its_numbers_changed():
    live = LiveState()
    live.started("camera:0", "Camera 0")
    seen = []
    live.events.shown.connect(lambda *_: seen.append(live.rate_text()))
    live.frame_shown(dropped=4, fps=12.0)
    assert seen == ["12.0 frames/s shown, 4 dropped"]
