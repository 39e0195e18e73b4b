"""For slides and notes, from the window: a picture of the window or of one plot (PNG, SVG), and a
recording of the window as an animated GIF."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from PIL import Image
from PySide6.QtGui import QImage

from tests.ui.window_helpers import WAIT_MS, open_window


def test_a_picture_of_the_window_as_png_and_svg(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    assert window.save_window_picture_path(tmp_path / "window.png")
    image = QImage(str(tmp_path / "window.png"))
    ratio = window.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(window.width() * ratio), round(window.height() * ratio))
    assert window.save_window_picture_path(tmp_path / "window.svg")
    assert ET.parse(tmp_path / "window.svg").getroot().tag.endswith("svg")


def test_a_picture_with_a_name_it_cannot_have_is_said_in_the_banner(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    assert not window.save_window_picture_path(tmp_path / "window.bmp")
    assert "png or .svg" in window.banner.message() and not (tmp_path / "window.bmp").exists()


def test_each_plots_menu_copies_and_saves_its_picture(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    target = tmp_path / "loss.svg"
    window._ask_picture_path = lambda parent: target  # the file dialog's answer
    menu = window.metrics.loss_plot.getPlotItem().getViewBox().menu
    actions = {action.text(): action for action in menu.actions()}
    assert {"Copy picture", "Save picture…"} <= actions.keys()
    actions["Save picture…"].trigger()
    assert ET.parse(target).getroot().tag.endswith("svg")


def test_recording_the_window_saves_an_animated_gif(qtbot, settings, tmp_path):
    window = open_window(qtbot, settings)
    window.record_action.trigger()
    assert window.recorder.is_recording and window.record_action.isChecked()
    window.play_action.trigger()  # something moves
    qtbot.waitUntil(lambda: window.recorder.seconds_buffered >= 1.0, timeout=WAIT_MS)
    window.record_action.trigger()
    assert not window.recorder.is_recording
    target = tmp_path / "run.gif"
    with qtbot.waitSignal(window.recorder.saved, timeout=WAIT_MS):
        window.recorder.save_gif(target)
    with Image.open(target) as gif:
        assert gif.n_frames >= 2 and max(gif.size) <= 800  # Pillow merges frames that did not change
        shown_ms = 0
        for frame in range(gif.n_frames):
            gif.seek(frame)
            shown_ms += gif.info["duration"]
    assert shown_ms >= 900  # the second recorded, at the speed it was taken
