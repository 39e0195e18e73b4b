"""Pictures for slides: the files and the clipboard a lecturer gets from a plot or any widget."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from playground.ui.pictures_export import (
    SVG_MIME,
    add_picture_actions,
    copy_picture,
    save_picture,
)
from playground.ui.plots import style

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def plot(qtbot):
    widget = style.plot_widget("Loss", "epoch", "loss")
    widget.plot(np.arange(10), np.arange(10) ** 2, pen=style.pen("r"))
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def panel(qtbot, plot):
    """A widget that is not a plot: a label over the plot, as the window holds them."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.addWidget(QLabel("Two moons, 3 layers"))
    layout.addWidget(plot)
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def colours(image: QImage) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.sizeInBytes() // 4)
    return len(np.unique(pixels))


def svg_parts(data: bytes) -> tuple[set[str], list[str]]:
    """The element names and the texts of an SVG document."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    names = {element.tag.removeprefix(SVG) for element in root.iter()}
    texts = [element.text.strip() for element in root.iter(f"{SVG}text") if element.text]
    return names, texts


def test_a_plot_as_png_is_twice_its_size_on_screen_and_not_blank(plot, tmp_path):
    path = tmp_path / "loss.png"
    save_picture(plot, path)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (800, 600)
    assert colours(image) > 2  # background, curve, text and grid, smoothed


def test_a_plot_as_svg_keeps_its_curve_and_labels_as_vectors(plot, tmp_path):
    path = tmp_path / "loss.svg"
    save_picture(plot, path)
    names, texts = svg_parts(path.read_bytes())
    assert names & {"path", "polyline"}
    assert {"Loss", "epoch", "loss"} <= set(texts)


def test_any_widget_as_png_is_its_picture_on_screen(panel, tmp_path):
    path = tmp_path / "panel.PNG"  # the suffix in any case
    save_picture(panel, path)
    image = QImage(str(path))
    ratio = panel.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(500 * ratio), round(400 * ratio))
    assert colours(image) > 2


def test_any_widget_as_svg_keeps_its_text_and_its_plots_lines(panel, tmp_path):
    path = tmp_path / "panel.svg"
    save_picture(panel, path)
    names, texts = svg_parts(path.read_bytes())
    assert "Two moons, 3 layers" in texts and "Loss" in texts
    assert names & {"path", "polyline"}


def test_an_unknown_format_is_refused_with_the_formats_that_work(plot, tmp_path):
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        save_picture(plot, tmp_path / "loss.jpg")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["loss.png", "loss.svg"])
def test_a_missing_folder_is_an_oserror_naming_the_file(plot, tmp_path, name):
    path = tmp_path / "no such folder" / name
    with pytest.raises(OSError, match="no such folder"):
        save_picture(plot, path)


def test_copy_puts_an_image_and_its_svg_on_the_clipboard(plot):
    copy_picture(plot)
    mime = QApplication.clipboard().mimeData()
    assert mime.hasImage()
    image = QImage(mime.imageData())
    assert (image.width(), image.height()) == (800, 600)
    names, texts = svg_parts(bytes(mime.data(SVG_MIME)))
    assert "Loss" in texts


def test_the_plot_menu_offers_copy_and_save_beside_pyqtgraphs_export(plot, tmp_path):
    asked = []

    def ask_path(parent):
        asked.append(parent)
        return tmp_path / "chosen.svg"
    copy, save = add_picture_actions(plot, ask_path=ask_path)
    menu = plot.getPlotItem().getViewBox().menu
    assert [copy, save] == [a for a in menu.actions() if a.text() in ("Copy picture", "Save picture…")]

    save.trigger()
    assert asked == [plot.window()]
    assert svg_parts((tmp_path / "chosen.svg").read_bytes())[1]

    QApplication.clipboard().clear()
    copy.trigger()
    assert QApplication.clipboard().mimeData().hasImage()

    scene_entries = [a.text() for a in plot.scene().contextMenu]
    assert "Export..." in scene_entries  # pyqtgraph's own, added below the plot's menu


def test_a_cancelled_dialog_saves_nothing(plot, tmp_path):
    _, save = add_picture_actions(plot, ask_path=lambda parent: None)
    save.trigger()
    assert not list(tmp_path.iterdir())
