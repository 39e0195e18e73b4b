"""Image data: sample digits labelled with the network's guess, and the confusion matrix.

Both draw one ImageItem with fixed levels and keep their text items, re-creating them only when the
number of samples or classes changes.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.ui.plots import style

PIXEL_LEVELS = (0.0, 16.0)  # the digits data set's pixel range
COLUMNS = 8
LABEL_BAND = 4  # image units below each digit for its label
GAP = 1

PRED_TIP = ("Validation images with the network's prediction underneath: green when right, red when "
            "wrong (the true class in brackets). Look at the red ones: would you have got them right?")
CONF_TIP = ("Rows: the true class; columns: what the network predicted; each cell counts validation "
            "images. A perfect network has everything on the diagonal; a bright off-diagonal cell is "
            "a pair of classes it confuses. Shading is the fraction of the row.")


def grey_lut() -> np.ndarray:
    """0 = white, 16 = black: ink on paper, as the digits are usually shown."""
    return np.linspace(255, 0, 256).astype(np.uint8)[:, None].repeat(3, axis=1)


def _image_plot(tip: str) -> pg.PlotWidget:
    plot = style.plot_widget(None, None, None, tip)
    item = plot.getPlotItem()
    item.setAspectLocked(True)
    item.invertY(True)  # row 0 at the top, as images are read
    item.showGrid(x=False, y=False)
    return plot


class ImagePredictions(QWidget):
    """A grid of sample images (COLUMNS wide), each labelled with its predicted class."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.title = QLabel("Predictions (green = right, red = wrong)")
        self.title.setFont(style.font(style.FONT_PT, bold=True))
        self.title.setWordWrap(True)
        self.plot = _image_plot(PRED_TIP)
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.hideAxis("bottom")
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setLookupTable(grey_lut())
        item.addItem(self.image_item)
        self.label_items: list[pg.TextItem] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)

    def set_snapshot(self, snap: dict) -> None:
        images = np.asarray(snap["images"], dtype=float)
        labels = np.asarray(snap["labels"]).astype(int).reshape(-1)
        predicted = np.asarray(snap["predicted"]).astype(int).reshape(-1)
        n, h, w = images.shape if images.ndim == 3 else (0, 8, 8)
        rows = max(-(-n // COLUMNS), 1)
        cell_h, cell_w = h + LABEL_BAND, w + GAP
        mosaic = np.zeros((rows * cell_h, COLUMNS * cell_w))
        for k in range(n):  # at most a few dozen small images
            r, c = divmod(k, COLUMNS)
            mosaic[r * cell_h:r * cell_h + h, c * cell_w:c * cell_w + w] = images[k]
        self.image_item.setImage(mosaic, autoLevels=False, levels=PIXEL_LEVELS)
        self.image_item.setRect(QRectF(0, 0, mosaic.shape[1], mosaic.shape[0]))
        self.plot.getPlotItem().setRange(xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0]), padding=0.01)

        if len(self.label_items) != n:
            for text in self.label_items:
                self.plot.getPlotItem().removeItem(text)
            self.label_items = []
            for k in range(n):
                text = pg.TextItem(anchor=(0.5, 0.0))
                text.setFont(style.font(style.FONT_PT, bold=True))
                r, c = divmod(k, COLUMNS)
                text.setPos(c * cell_w + w / 2, r * cell_h + h + 0.1)
                self.plot.getPlotItem().addItem(text)
                self.label_items.append(text)
        for text, p, t in zip(self.label_items, predicted, labels):
            text.setText(str(p) if p == t else f"{p} ({t})")
            text.setColor(style.RIGHT if p == t else style.WRONG)
        right = int((predicted[:n] == labels[:n]).sum())
        self.title.setText(f"Predictions: {right} of {n} right  (red: wrong, true class in brackets)")


class ConfusionMatrix(QWidget):
    """C x C counts (true class down, predicted across), shaded by the fraction of each true class."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.plot = _image_plot(CONF_TIP)
        item = self.plot.getPlotItem()
        style.style_plot(item, "Confusion matrix", "predicted class", "true class")
        item.showGrid(x=False, y=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        cmap = pg.ColorMap(pos=[0.0, 1.0], color=[(255, 255, 255), (8, 69, 148)])
        self.image_item.setLookupTable(cmap.getLookupTable(nPts=256, alpha=False))
        item.addItem(self.image_item)
        self.cell_items: list[list[pg.TextItem]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot, 1)

    def set_snapshot(self, snap: dict) -> None:
        counts = np.asarray(snap["confusion"], dtype=np.int64)
        classes = counts.shape[0]
        totals = counts.sum(axis=1, keepdims=True)
        fraction = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        self.image_item.setImage(fraction, autoLevels=False, levels=(0.0, 1.0))
        self.image_item.setRect(QRectF(-0.5, -0.5, classes, classes))
        if len(self.cell_items) != classes:
            self._build_cells(classes)
        for i in range(classes):
            for j in range(classes):
                text = self.cell_items[i][j]
                text.setText(str(int(counts[i, j])))
                text.setColor("w" if fraction[i, j] > 0.5 else style.TEXT)

    def cell_text(self, true_class: int, predicted_class: int) -> str:
        return self.cell_items[true_class][predicted_class].toPlainText()

    def _build_cells(self, classes: int) -> None:
        item = self.plot.getPlotItem()
        for row in self.cell_items:
            for text in row:
                item.removeItem(text)
        size = int(np.clip(17 - classes // 2, 7, style.FONT_PT))
        self.cell_items = []
        for i in range(classes):
            row = []
            for j in range(classes):
                text = pg.TextItem(anchor=(0.5, 0.5))
                text.setFont(style.font(size))
                text.setPos(j, i)
                item.addItem(text)
                row.append(text)
            self.cell_items.append(row)
        ticks = [[(k, str(k)) for k in range(classes)]]
        item.getAxis("left").setTicks(ticks)
        item.getAxis("bottom").setTicks(ticks)
        item.setRange(xRange=(-0.5, classes - 0.5), yRange=(-0.5, classes - 0.5), padding=0.01)


class ImageView(QWidget):
    """Predictions above the confusion matrix, fed one snapshot (the pane is taller than wide)."""

    def __init__(self, parent: Optional[QWidget] = None):
        super().__init__(parent)
        self.predictions = ImagePredictions()
        self.confusion = ConfusionMatrix()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.confusion.setMinimumHeight(260)  # ten rows of readable counts
        layout.addWidget(self.predictions, 1)
        layout.addWidget(self.confusion, 1)

    def add(self, records: list[dict]) -> None:
        for r in records:
            if r["type"] == "snapshot" and r["kind"] == "image":
                self.set_snapshot(r)

    def clear(self) -> None:
        pass

    def set_snapshot(self, snap: dict) -> None:
        self.predictions.set_snapshot(snap)
        self.confusion.set_snapshot(snap)
