"""What a column shows of its layer: units as squares with their pictures (``NodeBand``), or the
shape of a conv, pool or flatten output (``ShapeView``); the lock of a backbone block (``lock_icon``)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Optional

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground.core.pictures import pictured

NODE_MIN, NODE_MAX = 8, 40  # a node's side in pixels
NODE_GAP = 0.15  # the gap between two nodes, as a share of the node's side
PAD = 3  # room above the first node and below the last
LABEL_GAP = 5  # between a node and its label
BORDER = QColor("#8d939c")
PAPER = QColor("white")
SMALLEST_TEXT = 7.0  # points: a narrow column's captions shrink to this, no further


class NodeBand(QWidget):
    """A column's units as squares from the top, each with its picture once there is one.

    Input bands write their labels left of the nodes, output bands right of them. A layer too wide
    to picture (see ``core.pictures``) is one box with its count. Each band sizes its nodes to its
    own room, so one wide layer does not shrink the nodes of every other one.
    """

    def __init__(self, side: str = "", tip: Callable[[int], str] = lambda i: ""):
        super().__init__()
        self.side = side  # "left": labels left of the nodes (input), "right": right of them (output)
        self.tip = tip
        self.count = 0
        self.labels: list[str] = []
        self.images: list[Optional[QImage]] = []
        self._label_width = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def compact(self) -> bool:
        return not pictured(self.count)

    def set_count(self, count: int, labels: Optional[list[str]] = None) -> None:
        if count == self.count and (labels or []) == self.labels:
            return
        if count != self.count:
            self.images = []
        self.count = count
        self.labels = list(labels or [])
        metrics = self.fontMetrics()
        self._label_width = max((metrics.horizontalAdvance(t) for t in self.labels), default=-LABEL_GAP) + LABEL_GAP
        shown = 3 if self.compact else max(count, 1)
        self.setMinimumHeight(math.ceil(shown * NODE_MIN + (shown - 1) * NODE_MIN * NODE_GAP) + 2 * PAD)
        self.update()

    def set_images(self, images: list[Optional[QImage]]) -> None:
        self.images = images  # painted with the canvas's next update of its node strip

    def image(self, i: int) -> Optional[QImage]:
        return self.images[i] if i < len(self.images) else None

    def node_size(self) -> float:
        """The largest side at which every node (and its label) fits this band."""
        n = max(self.count, 1)
        fit_height = (self.height() - 2 * PAD) / (n + (n - 1) * NODE_GAP)
        fit_width = self.width() - self._label_width - 4
        return float(int(max(NODE_MIN, min(NODE_MAX, fit_height, fit_width))))

    def node_rects(self) -> list[QRectF]:
        if self.compact:
            return []
        size = self.node_size()
        x = {"left": self.width() - size - 2, "right": 2.0}.get(self.side, (self.width() - size) / 2)
        step = size * (1 + NODE_GAP)
        return [QRectF(x, PAD + i * step, size, size) for i in range(self.count)]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.compact:
            self._paint_count(p)
            return
        text = self.palette().color(QPalette.ColorRole.WindowText)
        rects = self.node_rects()
        if len(rects) > 1:  # ten classes in a short band: labels as tall as a node's pitch, never overlapping
            pitch = rects[1].top() - rects[0].top()
            if pitch < p.fontMetrics().height():
                font = p.font()
                font.setPixelSize(max(7, int(pitch)))
                p.setFont(font)
        for i, rect in enumerate(rects):
            image = self.image(i)
            if image is not None:
                p.drawImage(rect, image)
            else:
                p.fillRect(rect, PAPER)
            p.setPen(QPen(BORDER, 1))
            p.drawRect(rect)
            if i < len(self.labels):
                p.setPen(text)
                if self.side == "left":
                    box = QRectF(0, rect.top() - 4, rect.left() - LABEL_GAP, rect.height() + 8)
                else:
                    box = QRectF(rect.right() + LABEL_GAP, rect.top() - 4, self.width(), rect.height() + 8)
                align = Qt.AlignmentFlag.AlignRight if self.side == "left" else Qt.AlignmentFlag.AlignLeft
                p.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, self.labels[i])

    def _paint_count(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = p.fontMetrics()
        width = min(self.width() - 4, metrics.horizontalAdvance("units") + 16)
        rect = QRectF((self.width() - width) / 2, PAD, width, min(self.height() - 2 * PAD, 2 * metrics.height() + 16))
        p.setPen(QPen(BORDER, 1))
        p.setBrush(PAPER)
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self.count}\nunits")

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = QPointF(event.pos())
            hit = next((i for i, r in enumerate(self.node_rects()) if r.adjusted(-3, -3, 3, 3).contains(pos)), None)
            text = self.tip(hit) if hit is not None else (self.toolTip() if self.compact else "")
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)


class ShapeView(QWidget):
    """What a conv, pool or flatten layer (or an image input) outputs: a stack of maps, or a bar of
    values; ``note`` is written above the size ("(auto)" for a flatten the network adds itself)."""

    def __init__(self, kind: str, note: str = ""):
        super().__init__()
        self.kind = kind  # "maps", "image" or "flatten"
        self.note = note
        self.shape: tuple[int, ...] = ()
        self.input_size = 0  # the input image's height: maps are drawn in proportion to it
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(44)

    def set_shape(self, shape: tuple[int, ...], input_size: int = 0, kind: Optional[str] = None) -> None:
        kind = kind or self.kind
        if (tuple(shape), input_size, kind) != (self.shape, self.input_size, self.kind):
            self.shape, self.input_size, self.kind = tuple(shape), input_size, kind
            self.update()

    def caption(self) -> str:
        if self.kind == "flatten":
            lines = [self.note, f"{self.shape[0]}", "values"] if self.shape else [self.note]
            return "\n".join(line for line in lines if line)
        if len(self.shape) != 3:
            return ""
        c, h, w = self.shape
        if self.kind == "image":
            return f"{h}×{w}\nimage" + ("" if c == 1 else f"\n{c} channels")  # two lines: the column is narrow
        return f"{c} maps\n{h}×{w}"

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        caption = self.caption()
        p.setFont(fitting_font(self.font(), caption.split("\n"), self.width() - 2))
        text_h = p.fontMetrics().height() * (caption.count("\n") + 1) + 2
        room = QRectF(self.rect()).adjusted(4, 4, -4, -4 - text_h)
        p.setPen(QPen(BORDER, 1))
        p.setBrush(PAPER)
        if self.kind == "flatten":
            bar = QRectF(room.center().x() - 4, room.top(), 8, max(min(room.height(), 120.0), 8.0))
            p.drawRect(bar)
            for i in range(1, 8):
                y = bar.top() + bar.height() * i / 8
                p.drawLine(QPointF(bar.left(), y), QPointF(bar.right(), y))
            bottom = bar.bottom()
        else:
            layers = 1 if self.kind == "image" else 3
            side = max(min(room.width() - 8 * (layers - 1), room.height() - 8 * (layers - 1), 64.0), 10.0)
            if self.kind == "maps" and len(self.shape) == 3 and self.input_size:
                side = max(side * self.shape[1] / self.input_size, 10.0)
            x0 = room.center().x() - side / 2 - 4 * (layers - 1)
            for k in range(layers):
                square = QRectF(x0 + 8 * k, room.top() + 8 * k, side, side)
                p.setBrush(PAPER if k == layers - 1 else QColor("#f1f2f4"))
                p.drawRect(square)
            if self.kind == "image" and len(self.shape) == 3 and square.width() >= 3 * self.shape[2]:
                p.setPen(QPen(QColor("#d7dade"), 1))
                for i in range(1, self.shape[2]):
                    x = square.left() + square.width() * i / self.shape[2]
                    p.drawLine(QPointF(x, square.top() + 1), QPointF(x, square.bottom() - 1))
                for i in range(1, self.shape[1]):
                    y = square.top() + square.height() * i / self.shape[1]
                    p.drawLine(QPointF(square.left() + 1, y), QPointF(square.right() - 1, y))
            bottom = square.bottom()
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        p.drawText(QRectF(0, bottom + 2, self.width(), text_h), Qt.AlignmentFlag.AlignHCenter, caption)


def fitting_font(font: QFont, lines: list[str], width: int) -> QFont:
    """``font``, or a smaller one (down to SMALLEST_TEXT points, then not bold) in which every line
    fits ``width``."""
    widest = max((QFontMetrics(font).horizontalAdvance(line) for line in lines), default=0)
    size = font.pointSizeF()
    if widest <= width or widest <= 0:
        return font
    smaller = QFont(font)
    smaller.setPointSizeF(max(SMALLEST_TEXT, min(size, math.floor(size * width / widest * 2) / 2)))
    if smaller.bold() and max(QFontMetrics(smaller).horizontalAdvance(line) for line in lines) > width:
        smaller.setBold(False)
    return smaller


@lru_cache(maxsize=8)
def lock_icon(opened: bool, color: str, side: int = 16) -> QIcon:
    """A padlock, shut (a frozen block) or with its shackle swung open (a block that trains)."""
    icon = QIcon()
    for ratio in (1, 2):
        pixmap = QPixmap(side * ratio, side * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = side / 16
        pen = QPen(QColor(color), 1.8 * s)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        # shut: both legs in the body; open: the shackle swung right, its right leg free above
        shackle = QRectF(8.5 * s, 1.5 * s, 6 * s, 7 * s) if opened else QRectF(4.5 * s, 1.5 * s, 7 * s, 8 * s)
        middle = shackle.center().y()
        p.drawArc(shackle, 0, 180 * 16)
        p.drawLine(QPointF(shackle.left(), middle), QPointF(shackle.left(), 8 * s))
        p.drawLine(QPointF(shackle.right(), middle), QPointF(shackle.right(), (middle + s) if opened else 8 * s))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(color))
        p.drawRoundedRect(QRectF(2.5 * s, 7.5 * s, 11 * s, 8 * s), 1.5 * s, 1.5 * s)
        p.setBrush(QColor("white"))
        p.drawEllipse(QPointF(8 * s, 11 * s), 1.3 * s, 1.3 * s)
        p.end()
        icon.addPixmap(pixmap)
    return icon
