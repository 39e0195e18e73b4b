"""Pictures of plots and of the window for slides and notes: PNG or SVG, to a file or the clipboard.

A pyqtgraph view is drawn by pyqtgraph's own exporters, which lay out its items again for the new
size: its PNG is twice the size on screen (crisp on a projected slide), its SVG keeps the curves
and labels as vectors. Any other widget is grabbed as the screen shows it (at the screen's pixel
ratio) or painted into Qt's SVG generator. The clipboard gets both, so a slide program takes the
image and a vector editor (Inkscape, LibreOffice Draw) takes the SVG.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QPoint
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

FORMATS = (".png", ".svg")
PLOT_SCALE = 2  # a plot's PNG is this many times its size on screen
SVG_MIME = "image/svg+xml"
CLOSE_PATH = ("Z", "z")
FILTERS = {"PNG image (*.png)": ".png", "SVG vector drawing (*.svg)": ".svg"}


def picture_png(widget: QWidget) -> QImage:
    if isinstance(widget, pg.GraphicsView):
        exporter = ImageExporter(widget.centralWidget)
        width, height = exporter.params.param("width"), exporter.params.param("height")
        # both set, each without the other following it: the aspect ratio rounded twice is off by a pixel
        width.setValue(PLOT_SCALE * width.value(), blockSignal=exporter.widthChanged)
        height.setValue(PLOT_SCALE * height.value(), blockSignal=exporter.heightChanged)
        return exporter.export(toBytes=True)
    return widget.grab().toImage()


def picture_svg(widget: QWidget) -> bytes:
    if isinstance(widget, pg.GraphicsView):
        with closed_paths_parsed():
            return SVGExporter(widget.centralWidget).export(toBytes=True)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)  # 1.1 has clip paths: scroll areas stay cut
    generator.setOutputDevice(buffer)
    generator.setSize(widget.size())
    generator.setViewBox(widget.rect())
    generator.setResolution(widget.logicalDpiX())  # else a 12 pt label comes out 12 px tall
    generator.setTitle(widget.windowTitle())
    painter = QPainter(generator)
    try:
        widget.render(painter, QPoint())  # QWidget's overload: a QGraphicsView's own one rescales the scene
    finally:
        painter.end()
    return bytes(buffer.data())


@contextmanager
def closed_paths_parsed():
    """pyqtgraph 0.14.0 fails on the "Z" (close path) that Qt 6 writes for every rectangle, so on
    every plot (pyqtgraph issue #3495, fixed after 0.14.0): its coordinate rewriting is handed the
    paths without their "Z", which are put back after. Drop this once pyqtgraph > 0.14.0 is required."""
    module = sys.modules[SVGExporter.__module__]
    rewrite = module.correctCoordinates

    def rewrite_without_closes(node, defs, item, options):
        closes = {}
        for path in node.getElementsByTagName("path"):
            tokens = path.getAttribute("d").split()
            closes[path] = [i for i, token in enumerate(tokens) if token in CLOSE_PATH]
            path.setAttribute("d", " ".join(token for token in tokens if token not in CLOSE_PATH))
        rewrite(node, defs, item, options)
        for path, places in closes.items():
            tokens = path.getAttribute("d").split()
            for i in places:  # in increasing order: each lands where it was
                tokens.insert(i, "Z")
            path.setAttribute("d", " ".join(tokens))

    module.correctCoordinates = rewrite_without_closes
    try:
        yield
    finally:
        module.correctCoordinates = rewrite


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("could not encode the picture as PNG")
    return bytes(data)


def save_picture(widget: QWidget, path: Path) -> None:
    """PNG or SVG by the path's suffix. Writing the file ourselves, not through Qt, gives the
    reason of a failure (folder missing, permission denied) in the OSError, with the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot save a picture as '{path.name}': the name must end in .png or .svg")
    data = png_bytes(picture_png(widget)) if suffix == ".png" else picture_svg(widget)
    path.write_bytes(data)


def copy_picture(widget: QWidget) -> None:
    mime = QMimeData()
    mime.setImageData(picture_png(widget))
    mime.setData(SVG_MIME, QByteArray(picture_svg(widget)))
    QApplication.clipboard().setMimeData(mime)


def ask_picture_path(parent: Optional[QWidget], title: str = "Save picture") -> Optional[Path]:
    """The file the user chose, with the suffix of the chosen type when they typed none."""
    name, chosen = QFileDialog.getSaveFileName(parent, title, "plot.png", ";;".join(FILTERS))
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() in FORMATS else path.with_name(path.name + FILTERS.get(chosen, ".png"))


def save_picture_as(widget: QWidget, parent: Optional[QWidget] = None,
                    ask_path: Callable[[Optional[QWidget]], Optional[Path]] = ask_picture_path) -> Optional[Path]:
    """Ask where, then save; a failure is told in a message box, not raised into Qt's event loop."""
    path = ask_path(parent)
    if path is None:
        return None
    try:
        save_picture(widget, path)
    except (OSError, ValueError) as error:
        QMessageBox.warning(parent, "Could not save the picture", str(error))
        return None
    return path


def add_picture_actions(plot_widget: pg.PlotWidget, parent_window: Optional[QWidget] = None,
                        ask_path: Callable[[Optional[QWidget]], Optional[Path]] = ask_picture_path
                        ) -> tuple[QAction, QAction]:
    """"Copy picture" and "Save picture…" in the plot's right-click menu, above pyqtgraph's own
    "Export…" (which stays: it offers CSV and other sizes)."""
    menu = plot_widget.getPlotItem().getViewBox().menu
    menu.addSeparator()
    copy = menu.addAction("Copy picture")
    copy.triggered.connect(lambda: copy_picture(plot_widget))
    save = menu.addAction("Save picture…")
    save.triggered.connect(lambda: save_picture_as(plot_widget, parent_window or plot_widget.window(), ask_path))
    return copy, save
