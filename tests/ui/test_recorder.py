"""Recording the last seconds of a widget as a GIF: what the lecturer's file holds."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image, ImageSequence
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from playground.ui.recorder import MAX_SIZE, Recorder

FPS = 20
RED_PER_SECOND = 100  # the clock widget's red channel: hundredths of a second since it was made


class Clock(QWidget):
    """A widget whose colour says when it was painted."""

    def __init__(self):
        super().__init__()
        self.born = time.monotonic()

    def paintEvent(self, event):
        red = int((time.monotonic() - self.born) * RED_PER_SECOND) % 256
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(red, 80, 160))
        painter.end()


@pytest.fixture
def clock(qtbot):
    widget = Clock()
    qtbot.addWidget(widget)
    widget.resize(1000, 200)  # wider than MAX_SIZE: frames are shrunk
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def record(qtbot, recorder: Recorder, seconds: float) -> None:
    recorder.start()
    qtbot.wait(int(seconds * 1000))
    recorder.stop()


def save(qtbot, recorder: Recorder, path) -> Image.Image:
    with qtbot.waitSignal(recorder.saved, timeout=20_000) as saved:
        recorder.save_gif(path)
    assert saved.args == [str(path)]
    return Image.open(path)


def reds(gif: Image.Image) -> list[int]:
    return [frame.convert("RGB").getpixel((5, 5))[0] for frame in ImageSequence.Iterator(gif)]


def test_a_second_of_recording_is_an_animated_gif_at_the_recording_speed(qtbot, clock, tmp_path):
    recorder = Recorder(clock, fps=FPS, seconds=5)
    record(qtbot, recorder, 1.0)
    gif = save(qtbot, recorder, tmp_path / "clock.gif")

    assert gif.n_frames > FPS // 2
    assert len(set(reds(gif))) == gif.n_frames  # each frame a different moment
    assert gif.size == (MAX_SIZE.width(), MAX_SIZE.width() * 200 // 1000)
    durations = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
    assert np.median(durations) == pytest.approx(1000 / FPS, abs=20)
    assert gif.info.get("loop") == 0  # plays on and on, as a slide wants


def test_the_buffer_keeps_only_the_last_seconds(qtbot, clock, tmp_path):
    recorder = Recorder(clock, fps=FPS, seconds=0.25)
    record(qtbot, recorder, 0.8)
    assert recorder.seconds_buffered == pytest.approx(0.25, abs=0.1)
    gif = save(qtbot, recorder, tmp_path / "last.gif")

    assert gif.n_frames <= round(FPS * 0.25)
    first_painted = reds(gif)[0] / RED_PER_SECOND
    assert first_painted > 0.4  # the first half second is gone


def test_stop_stops_grabbing(qtbot, clock):
    recorder = Recorder(clock, fps=FPS, seconds=5)
    recorder.start()
    assert recorder.is_recording
    qtbot.wait(200)
    recorder.stop()
    assert not recorder.is_recording
    buffered = recorder.seconds_buffered
    qtbot.wait(300)
    assert recorder.seconds_buffered == buffered


def test_saving_before_recording_says_what_to_do(qtbot, clock, tmp_path):
    recorder = Recorder(clock)
    with qtbot.waitSignal(recorder.failed) as failed:
        recorder.save_gif(tmp_path / "empty.gif")
    assert "Nothing recorded" in failed.args[0]
    assert not list(tmp_path.iterdir())


def test_a_write_that_fails_names_the_file(qtbot, clock, tmp_path):
    recorder = Recorder(clock, fps=FPS, seconds=1)
    record(qtbot, recorder, 0.2)
    path = tmp_path / "no such folder" / "clock.gif"
    with qtbot.waitSignal(recorder.failed, timeout=20_000) as failed:
        recorder.save_gif(path)
    assert str(path) in failed.args[0]
