"""What the plot tests share: rendering a widget to a PNG to look at, and reading its pixels."""

from __future__ import annotations

from PySide6.QtCore import QPointF


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
