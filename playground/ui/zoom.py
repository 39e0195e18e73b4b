"""Make everything under a widget larger or smaller at run time: its fonts and its plots' lines.

Qt scales a whole app only at start-up (QT_SCALE_FACTOR); a lecturer presses F5 in the middle of a
class. So the presentation mode sets a zoom: the application font (every widget that did not choose
its own), each font a widget did choose, and in every pyqtgraph scene the tick fonts, axis labels,
titles, text items, pens and symbols are multiplied by it. Each widget and item remembers the zoom
it is at, so ``zoom`` can run again at any time (plots made since then catch up, nothing doubles)
and ``zoom(root, 1)`` gives everything its own size back.
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QApplication, QWidget

POINT_SIZE = re.compile(r"font-size:\s*([0-9.]+)pt")


ZOOM = "playground_zoom"  # the attribute that holds a plot item's zoom (and the app's, as a property)
OWN_POINTS = "playground_own_points"  # a widget's own font size
OWN_WIDTH = "playground_own_width"  # a curve's (own width, width shown)
OWN_TEXT, LABEL_ZOOM = "playground_own_text", "playground_label_zoom"  # a title's (text, options), its zoom
SIZE_SET = 0x2  # QFont::SizeResolved: the font's size is the widget's own (else it follows the app's font)
MIN_LINE = 3.0  # px: a zoomed curve is never thinner, whatever its own width (the pale batch losses: 1)


def zoom(root: QWidget, factor: float) -> None:
    """Bring the fonts and lines under ``root`` (and the application's font) to ``factor`` times
    their own size."""
    app = QApplication.instance()
    ratio = factor / (app.property(ZOOM) or 1.0)
    # not popups (a combo box's list): their owner gives them its font
    widgets = [w for w in (root, *root.findChildren(QWidget)) if w.window() is root.window()]
    if ratio != 1:
        app.setFont(_scaled(app.font(), ratio))
        app.setProperty(ZOOM, factor)
        QApplication.sendPostedEvents()  # the new font reaches every widget now, not at the next event
        for widget in widgets:  # a widget with a style sheet keeps the font it had when it was styled
            if widget.styleSheet():
                widget.setStyleSheet(widget.styleSheet())
    for widget in widgets:
        if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and widget.font().resolveMask() & SIZE_SET:
            _zoom_font(widget, factor)
        if isinstance(widget, pg.GraphicsView):
            for item in widget.scene().items():
                ratio = factor / getattr(item, ZOOM, 1.0)
                if ratio != 1:
                    setattr(item, ZOOM, factor)
                    _zoom_item(item, ratio)
                if isinstance(item, pg.PlotDataItem):
                    _zoom_line(item, factor)
                elif isinstance(item, pg.LabelItem):
                    _zoom_label(item, factor)


def _zoom_label(label: pg.LabelItem, factor: float) -> None:
    """Titles change as a run goes ("Accuracy: 87.0%"), set by the views at their own size: the
    label's ``setText`` is wrapped once to keep what the view asked for and show it at the zoom."""
    if not hasattr(label, OWN_TEXT):
        setattr(label, OWN_TEXT, (label.text or "", {"size": label.opts.get("size")}))
        show = label.setText

        def set_text(text, **args):
            own_args = {**getattr(label, OWN_TEXT)[1], **args}
            setattr(label, OWN_TEXT, (text, own_args))
            zoomed = dict(own_args)
            size = POINT_SIZE.search(f"font-size:{own_args.get('size') or ''}")
            if size:
                zoomed["size"] = f"{float(size.group(1)) * label_zoom(label):g}pt"
            show(_html(text, label_zoom(label)), **{k: v for k, v in zoomed.items() if v is not None})

        label.setText = set_text
    if label_zoom(label) == factor:
        return
    setattr(label, LABEL_ZOOM, factor)
    text, args = getattr(label, OWN_TEXT)
    if text:
        label.setText(text, **{k: v for k, v in args.items() if v is not None})


def label_zoom(label: pg.LabelItem) -> float:
    return getattr(label, LABEL_ZOOM, 1.0)


def _zoom_font(widget: QWidget, factor: float) -> None:
    """A font the widget chose, at ``factor`` times the size it had when first seen. Absolute, not a
    ratio: a combo box copies its font into its popup, and both are seen here; each gets its own
    size times the zoom however many times it is set."""
    own = widget.property(OWN_POINTS)
    if own is None:
        own = widget.font().pointSizeF()
        if own <= 0:  # a pixel size: left as it is
            return
        widget.setProperty(OWN_POINTS, own)
    if abs(widget.font().pointSizeF() - own * factor) > 1e-6:
        font = QFont(widget.font())
        font.setPointSizeF(own * factor)
        widget.setFont(font)


def _zoom_line(curve: pg.PlotDataItem, factor: float) -> None:
    """A curve's line at ``factor`` times its own width, and at least MIN_LINE px when zoomed. Its
    own width is what the app last gave it: views set new pens as they go (dashed, a new colour)."""
    pen = curve.opts.get("pen")
    if not isinstance(pen, QPen) or pen.style() == Qt.PenStyle.NoPen:
        return
    own, shown = getattr(curve, OWN_WIDTH, (None, None))
    if own is None or abs(pen.widthF() - shown) > 1e-6:
        own = max(pen.widthF(), 1.0)  # 0 is a cosmetic 1 px
    width = own if factor == 1 else max(own * factor, MIN_LINE)
    setattr(curve, OWN_WIDTH, (own, width))
    if abs(width - pen.widthF()) > 1e-6:
        wider = QPen(pen)
        wider.setWidthF(width)
        curve.setPen(wider)


def _scaled(font: QFont, ratio: float) -> QFont:
    scaled = QFont(font)
    if font.pointSizeF() > 0:
        scaled.setPointSizeF(font.pointSizeF() * ratio)
    elif font.pixelSize() > 0:
        scaled.setPixelSize(max(1, round(font.pixelSize() * ratio)))
    return scaled


def _pen(pen: QPen, ratio: float) -> QPen:
    wider = QPen(pen)
    wider.setWidthF(max(pen.widthF(), 1.0) * ratio)
    return wider


def _html(text: str, ratio: float) -> str:
    return POINT_SIZE.sub(lambda m: f"font-size:{float(m.group(1)) * ratio:g}pt", text)


def _zoom_item(item, ratio: float) -> None:
    if isinstance(item, pg.AxisItem):
        if item.style.get("tickFont") is not None:  # without one, its ticks follow the app's font already
            item.setTickFont(_scaled(item.style["tickFont"], ratio))
        item.setPen(_pen(item.pen(), ratio))
        item.setTextPen(item.textPen())
        if item.labelText or item.labelUnits:
            label_style = dict(item.labelStyle)
            size = POINT_SIZE.search(f"font-size:{label_style.get('font-size', '')}")
            if size:
                label_style["font-size"] = f"{float(size.group(1)) * ratio:g}pt"
            item.setLabel(item.labelText, item.labelUnits, **label_style)
    elif isinstance(item, pg.PlotDataItem):
        if item.opts.get("symbol") is not None and item.opts.get("symbolSize"):
            item.setSymbolSize(item.opts["symbolSize"] * ratio)
    elif isinstance(item, pg.InfiniteLine):
        item.setPen(_pen(item.pen, ratio))
    elif isinstance(item, pg.TextItem):
        item.setFont(_scaled(item.textItem.font(), ratio))
