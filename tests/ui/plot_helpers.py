"""What the plot tests share: rendering a widget to a PNG to look at, reading its pixels and the
labels its axes draw."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QImage, QPainter


def save_png(qtbot, widget, name: str, size=(900, 600)) -> str:
    """Render as on screen; the second grab lets axes widen to their tick labels first."""
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    qtbot.wait(10)
    image = widget.grab().toImage()
    path = f"/tmp/plots_{name}.png"
    assert image.save(path)
    return path


def view_to_pixel(plot_widget, x: float, y: float, image) -> tuple[int, int, int]:
    """RGB of the rendered widget image at the view coordinates (x, y)."""
    scene_point = plot_widget.getPlotItem().vb.mapViewToScene(QPointF(x, y))
    pos = plot_widget.mapFromScene(scene_point)
    pos = plot_widget.mapTo(plot_widget.window(), pos)
    c = image.pixelColor(pos.x(), pos.y())
    return c.red(), c.green(), c.blue()


def axis_labels(axis) -> list[tuple[str, QRectF]]:
    """The tick labels an axis draws at its present size and range, with their rectangles."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    if axis.style["tickFont"]:
        painter.setFont(axis.style["tickFont"])
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(text, rect) for rect, _, text in texts]
