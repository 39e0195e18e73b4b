"""The columns side by side, with the connections between their units painted underneath, and
labelled groups of neighbouring columns (a transfer run's backbone and head)."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSpacerItem, QWidget

from playground.ui import colors
from playground.ui.network.coloring import weight_pen
from playground.ui.network.drawing import NodeBand

COLUMN_GAP = 8  # the least room between two columns; wider panels spread them out
LAYER_BACKGROUND = QColor("#f5f6f8")
GRID_LINE = QColor("#c4c8ce")  # connections before any weights are known; the add column's outline
MARGINS = (4, 2, 4, 2)


class ColumnGroup:
    """A label over neighbouring columns (``label``, elided to their width, whole in its tooltip) and
    ``area``, an invisible widget over the label and the columns that error marks can frame; the
    mouse goes through it to the columns."""

    def __init__(self, canvas: QWidget, name: str):
        self.label = QLabel(canvas)
        self.label.setObjectName(f"{name}_label")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        self.label.setStyleSheet(f"color: {colors.MUTED};")
        self.area = QWidget(canvas)
        self.area.setObjectName(f"{name}_area")
        self.area.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.columns: list[QWidget] = []
        self.text = ""
        self.hide()

    def set_text(self, text: str, tip: str = "") -> None:
        if (text, tip) == (self.text, self.label.toolTip()):
            return
        self.text = text
        self.label.setToolTip(tip)
        self.area.setToolTip(tip)
        self.place()

    def hide(self) -> None:
        self.columns = []
        self.label.hide()
        self.area.hide()

    def span(self) -> Optional[QRect]:
        if not self.columns:
            return None
        rect = QRect(self.columns[0].geometry())
        for column in self.columns[1:]:
            rect = rect.united(column.geometry())
        return rect

    def place(self) -> None:
        span = self.span()
        if span is None:
            return
        height = self.label.fontMetrics().height()
        top = max(span.top() - height - 3, 0)
        text = self.label.fontMetrics().elidedText(self.text, Qt.TextElideMode.ElideRight, span.width() - 4)
        self.label.setText(text)
        self.label.setGeometry(span.left() + 2, top, span.width() - 4, height)
        self.area.setGeometry(QRect(span.left() - 2, top, span.width() + 4, span.bottom() - top + 3))
        self.label.show()
        self.area.show()
        self.area.raise_()


class NetworkCanvas(QWidget):
    """Holds the columns and paints what lies between them: the layer columns' backgrounds, the
    dashed place where a new layer appears, and a line per weight (blue positive, orange negative,
    wider = larger |w|). A line's pen is chosen once per snapshot; painting only maps positions."""

    def __init__(self):
        super().__init__()
        self.setObjectName("network_canvas")
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("white"))
        self.setPalette(palette)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(*MARGINS)
        self.row.setSpacing(0)
        self.columns: list[QWidget] = []
        self.shaded: list[QWidget] = []  # the layers' columns, on a light background
        self.tints: dict[QWidget, QColor] = {}  # columns on a background of their own (frozen, open blocks)
        self.dashed: Optional[QWidget] = None  # where the next layer will appear
        self.groups: dict[str, ColumnGroup] = {}
        self.pairs: list[tuple[NodeBand, NodeBand, int]] = []  # source, target, index into the weights
        self._pens: dict[int, list[list[QPen]]] = {}  # weight index -> pens[target][source]
        self._weights_seen = 0  # counts new pens: the lines drawn are made again after a change
        self._drawn: tuple = ((), [])  # (where the nodes were, the lines sorted thin to thick) of the last paint

    def group(self, name: str) -> ColumnGroup:
        """The group called ``name`` (made on first use): ``arrange`` says which columns it spans."""
        if name not in self.groups:
            self.groups[name] = ColumnGroup(self, name)
        return self.groups[name]

    def arrange(self, columns: list[QWidget], shaded: list[QWidget], dashed: Optional[QWidget],
                groups: Optional[dict[str, list[QWidget]]] = None, gaps: Optional[list[int]] = None) -> None:
        """Lay ``columns`` out from left to right. Each has ``band`` (its NodeBand, or None) and
        ``weighted`` (weights come into its units). Lines join neighbouring bands, passing over the
        ``dashed`` column; the k-th weighted column has the k-th weight matrix of a snapshot.
        ``groups`` labels runs of neighbouring columns (the others are hidden); ``gaps`` are the
        least room between each two columns (COLUMN_GAP by default)."""
        while self.row.count():
            self.row.takeAt(0)
        for i, column in enumerate(columns):
            if i:
                gap = gaps[i - 1] if gaps else COLUMN_GAP
                self.row.addItem(QSpacerItem(gap, 0, QSizePolicy.Policy.MinimumExpanding))
            self.row.addWidget(column)
            column.show()
        self.columns, self.shaded, self.dashed = columns, shaded, dashed
        groups = {name: list(members) for name, members in (groups or {}).items() if members}
        for name in set(self.groups) | set(groups):
            group = self.group(name)
            group.hide()
            group.columns = groups.get(name, [])
        top = max((g.label.fontMetrics().height() + 4 for g in self.groups.values() if g.columns), default=0)
        self.row.setContentsMargins(MARGINS[0], MARGINS[1] + top, MARGINS[2], MARGINS[3])
        self.place_groups()
        self.pairs, k = [], 0
        layers = [column for column in columns if column is not dashed]
        for source, target in zip(layers, layers[1:]):
            if target.weighted:
                if source.band is not None:
                    self.pairs.append((source.band, target.band, k))
                k += 1
        self.clear_weights()

    def set_tints(self, tints: dict[QWidget, QColor]) -> None:
        if tints != self.tints:
            self.tints = tints
            self.update()

    def place_groups(self) -> None:
        for group in self.groups.values():
            if group.columns:
                group.place()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)  # the layout has placed the columns already
        self.place_groups()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a column's width changed: the layout has run
            self.place_groups()
        return handled

    def set_weights(self, weights: list[Optional[np.ndarray]]) -> None:
        """A pen per drawn connection from its layer's weight matrix (out x in)."""
        self._pens = {}
        for source, target, k in self.pairs:
            matrix = weights[k] if k < len(weights) else None
            if matrix is not None and np.shape(matrix) == (target.count, source.count):
                self._pens[k] = [[weight_pen(w) for w in row] for row in np.asarray(matrix, dtype=float).tolist()]
        self._weights_seen += 1
        self.update_nodes()

    def clear_weights(self) -> None:
        self._pens = {}
        self._weights_seen += 1
        self.update()

    def update_nodes(self) -> None:
        """Repaint the strip that holds the nodes and the lines, not the controls above and below."""
        bands = [band for band in self.bands() if band.isVisible()]
        if not bands:
            return
        top = min(band.mapTo(self, QPoint(0, 0)).y() for band in bands)
        bottom = max(band.mapTo(self, QPoint(0, band.height())).y() for band in bands)
        self.update(0, top, self.width(), bottom - top + 1)

    def bands(self) -> list[NodeBand]:
        return [column.band for column in self.columns if column.band is not None]

    def connections(self) -> list[tuple[QLineF, QPen]]:
        """Every line drawn, pair by pair, then target by target, then source by source: from each
        node's right edge to each node's left edge in the next column. Wide layers have none."""
        neutral = QPen(GRID_LINE, 1)
        lines = []
        for source, target, k in self.pairs:
            if source.compact or target.compact or not source.count or not target.count:
                continue
            starts = self._edge_points(source, right=True)
            ends = self._edge_points(target, right=False)
            pens = self._pens.get(k)
            if pens is not None and (len(pens), len(pens[0])) != (len(ends), len(starts)):
                pens = None
            for j, end in enumerate(ends):
                for i, start in enumerate(starts):
                    lines.append((QLineF(start, end), pens[j][i] if pens else neutral))
        return lines

    def _edge_points(self, band: NodeBand, right: bool) -> list[QPointF]:
        offset = QPointF(band.mapTo(self, QPoint(0, 0)))
        return [offset + QPointF(r.right() if right else r.left(), r.center().y()) for r in band.node_rects()]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(LAYER_BACKGROUND)
        for column in self.shaded:
            p.drawRoundedRect(QRectF(column.geometry()), 6, 6)
        for column, color in self.tints.items():
            if column.isVisible():
                p.setBrush(color)
                p.drawRoundedRect(QRectF(column.geometry()), 5, 5)
        self._paint_groups(p)
        if self.dashed is not None and not self.dashed.isHidden():  # hidden while presenting: no empty frame
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(GRID_LINE, 1.2, Qt.PenStyle.DashLine))
            p.drawRoundedRect(QRectF(self.dashed.geometry()).adjusted(1, 1, -1, -1), 6, 6)
        for line, pen in self._sorted_lines():
            p.setPen(pen)
            p.drawLine(line)

    def _paint_groups(self, p: QPainter) -> None:
        """A bracket under each group's label and a dashed line between two neighbouring groups."""
        spans = sorted((span for span in (g.span() for g in self.groups.values() if g.columns) if span is not None),
                       key=QRect.left)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for span in spans:
            p.setPen(QPen(GRID_LINE, 1.2))
            y = span.top() - 2.5
            p.drawPolyline([QPointF(span.left() + 1, y + 3), QPointF(span.left() + 1, y),
                            QPointF(span.right() - 1, y), QPointF(span.right() - 1, y + 3)])
        p.setPen(QPen(GRID_LINE, 1.2, Qt.PenStyle.DashLine))
        for left, right in zip(spans, spans[1:]):
            x = (left.right() + right.left()) / 2
            p.drawLine(QPointF(x, left.top() - 2), QPointF(x, left.bottom()))
        p.setPen(Qt.PenStyle.NoPen)

    def _sorted_lines(self) -> list[tuple[QLineF, QPen]]:
        """The lines, thin first so that the strong weights stay on top; made again only when a
        node moved or the weights changed (the canvas repaints five times a second while training)."""
        where = (self._weights_seen, tuple((band.mapTo(self, QPoint(0, 0)).toTuple(), band.size().toTuple(), band.count)
                                       for band in self.bands()))
        if where != self._drawn[0]:
            self._drawn = (where, sorted(self.connections(), key=lambda lp: lp[1].widthF()))
        return self._drawn[1]
