"""--video and --camera on the command line: a screenshot on a video's first frame, one line and exit 2 otherwise."""
from __future__ import annotations

import subprocess
import sys

import cv2
import pytest

from explorer.core import video


def run_app(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("extra", [[], ["--model", "lenet5", "--tab", "explorer"]])
def test_a_screenshot_on_a_video_renders_the_window_and_exits_cleanly(tmp_path, extra):
    clip = video.write_video(tmp_path / "clip.avi", video.moving_bars(5, (320, 240)))
    out = tmp_path / "window.png"
    result = run_app("--screenshot", str(out), "--video", str(clip), *extra)
    assert result.returncode == 0, result.stderr[-2000:]
    picture = cv2.imread(str(out))
    assert picture is not None and picture.std() > 10


@pytest.mark.parametrize("args, words", [(["--video", "{tmp}/bad.avi"], "bad.avi"),
                                         (["--video", "{tmp}/missing.avi"], "missing.avi"),
                                         (["--camera", "97"], "Camera 97 could not be opened")])
def test_an_unreadable_video_or_no_camera_exits_2_with_one_line(tmp_path, args, words):
    (tmp_path / "bad.avi").write_bytes(b"RIFF not a video" * 50)
    result = run_app("--screenshot", str(tmp_path / "x.png"), *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()
