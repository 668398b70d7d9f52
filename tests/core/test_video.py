"""Video files and cameras as frame sources: every frame in order, looping or stopping at the end, and one line
for every failure (no camera, unreadable, truncated, end of file)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from fake_video import frame_number

from explorer.core import video
from explorer.core.errors import UserError


@pytest.fixture
def clip(tmp_path):
    return video.write_video(tmp_path / "clip.avi", video.moving_bars(12, (160, 120)), fps=20)


def read_all(source) -> list[np.ndarray]:
    frames = []
    with pytest.raises(video.EndOfVideo) as ended:
        while True:
            frames.append(source.read())
    assert "End of clip.avi (12 frames)" in str(ended.value)
    return frames


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_a_file_gives_every_frame_in_order_as_rgb_then_ends(clip):
    source = video.VideoFileSource(clip, loop=False)
    assert source.interval_s == pytest.approx(1 / 20)
    frames = read_all(source)
    assert [frame_number(f) for f in frames] == list(range(12))
    first = frames[0]
    assert first.shape == (120, 160, 3) and first.dtype == np.uint8
    disc = first[60, 12]  # frame 0's disc is centred on the left edge: red in RGB order, not blue
    assert disc[0] > 150 and disc[2] < 100


def test_a_looping_file_starts_over(clip):
    source = video.VideoFileSource(clip, loop=True)
    numbers = [frame_number(source.read()) for _ in range(30)]
    assert numbers == list(range(12)) * 2 + list(range(6))


def test_a_truncated_file_gives_its_good_frames_then_one_line(clip, tmp_path):
    data = clip.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    source = video.VideoFileSource(cut, loop=True)
    good = []
    with pytest.raises(UserError) as failed:
        while True:
            good.append(frame_number(source.read()))
    assert 0 < len(good) < 12 and good == list(range(len(good)))
    assert not isinstance(failed.value, video.EndOfVideo)
    assert f"cut.avi is damaged after frame {len(good)} of 12" in one_line(failed)


@pytest.mark.parametrize("content", [b"", b"RIFF not a video at all" * 40])
def test_an_unreadable_file_is_one_line(tmp_path, content):
    bad = tmp_path / "bad.avi"
    bad.write_bytes(content)
    with pytest.raises(UserError) as failed:
        video.first_frame(video.VideoFileSource(bad))
    assert "bad.avi" in one_line(failed)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(UserError) as failed:
        video.VideoFileSource(tmp_path / "nowhere.avi")
    assert "nowhere.avi" in one_line(failed)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("kind, words", [("folder", "is a folder"), ("fifo", "is a named pipe (FIFO)"),
                                         ("device", "is a device")])
def test_a_special_file_is_refused_before_ffmpeg_opens_it(tmp_path, kind, words):
    """FFmpeg would wait for ever for a FIFO's writer and read /dev/zero without end: the line says what it is."""
    path = tmp_path / "clip.avi"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    with pytest.raises(UserError) as failed:
        video.VideoFileSource(path)
    assert one_line(failed) == f"'clip.avi' {words}, not a video file: choose a regular file."


def test_a_4k_video_plays_at_the_working_size_and_says_so(tmp_path):
    """Frames get the opened pictures' limit (images.WORKING_MAX_SIDE): 3840×2160 plays at 2048×1152."""
    from explorer.core.images import WORKING_MAX_SIDE

    clip = video.write_video(tmp_path / "uhd.avi", video.moving_bars(2, (3840, 2160)), fps=10)
    source = video.VideoFileSource(clip)
    frame = source.read()
    assert frame.shape == (1152, WORKING_MAX_SIDE, 3)
    assert source.notes == ("downscaled from 3840×2160 to 2048×1152 to keep the playground interactive",)
    source.close()
    small = video.VideoFileSource(video.write_video(tmp_path / "vga.avi", video.moving_bars(2, (640, 480)), fps=10))
    assert small.read().shape == (480, 640, 3) and small.notes == ()
    small.close()


def test_no_camera_is_one_line():
    with pytest.raises(UserError) as failed:
        video.CameraSource(video.CameraSettings(index=97))
    assert "Camera 97 could not be opened" in one_line(failed)


def test_the_rate_meter_counts_the_last_second():
    meter = video.RateMeter()
    for i in range(30):
        meter.tick(10 + i / 30)
    assert meter.rate(10 + 29 / 30) == 30
    assert meter.rate(11.5) == 15  # only the frames of the last second still count
    assert meter.rate(20) == 0


def test_generated_frames_carry_their_number():
    frames = list(video.moving_bars(3000, (64, 48)))
    assert [frame_number(f) for f in frames[::499]] == list(range(0, 3000, 499))
